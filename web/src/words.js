// Plain words for reason codes (docs/reasons.md: the same text the courier's
// device, the CLI and the hub show) and for event types (docs/api.md,
// docs/hub.md, docs/door.md).

export const REASONS = Object.freeze({
  ok: 'granted',
  malformed: 'the credential or message is malformed',
  'bad-signature': 'a signature does not verify',
  'broken-chain': 'a link was not issued by the holder of the link before it',
  'widened-link': 'a link grants more than the link it was delegated from',
  'chain-too-long': 'the delegation chain has too many links',
  'untrusted-root': 'the first link is not signed by an owner key this hub trusts',
  'not-yet-valid': 'the credential is not valid yet',
  expired: 'the credential has expired',
  'outside-schedule': 'the credential is not valid at this time of day or week',
  'time-unknown': 'the hub does not know the time, so time-bound credentials are refused',
  'wrong-home-or-lock': 'the credential is for another home or lock',
  'no-entries-left': 'the credential has no entries left',
  revoked: 'the credential or a key in its chain has been revoked',
  'revocation-data-too-old': 'the hub has not refreshed its revocations recently enough to admit visitors',
  'camera-unhealthy': 'the credential requires the camera, and the camera is not healthy',
  'alarm-cannot-bypass': 'the credential requires an entry-zone bypass the alarm cannot give',
  'door-not-closed': 'the door is not closed and locked',
  'locked-out': 'too many failed attempts: try again later',
  'proof-too-late': 'the answer came too long after the challenge',
  'nonce-reused': 'the challenge was already used',
  unsupported: 'an algorithm, header or claim is not supported',
  'too-large': 'the input is larger than allowed',
  stale: 'the signed message is too old or from the future',
  replayed: 'the signed message was already used',
  'invalid-argument': 'invalid argument',
  'buffer-too-small': 'the output does not fit',
  'io-error': 'input/output error',
  'out-of-memory': 'out of memory',
  'crypto-failure': 'the crypto library failed',
  'not-found': 'not found',
  'untrusted-signer': 'the signer is not allowed to issue this message',
  exists: 'it already exists',
  conflict: 'it changed meanwhile: read it again',
  'panic-received': 'the call for help was received; the door stays shut',
  'owner-asked': 'the owner has been asked to let you in: try again once they answer',
  'owner-denied': 'the owner refused this entry',
  // the hub's approval.refuse (docs/alarm.md "Ask the owner")
  'wrong-session': 'the answer names another credential than the one the hub asked about',
  // porterd's own (docs/api.md, Errors)
  unauthenticated: 'you are signed out',
  'bad-credentials': 'wrong e-mail or password',
  forbidden: 'your role does not allow this',
  csrf: 'cross-site request refused',
  'rate-limited': 'too many sign-in attempts: wait a little',
  'no-hub': 'this home has no paired hub that has confirmed it belongs here (a hub does once it is paired and online)',
  'hub-unconfirmed': 'this hub has not confirmed it belongs to this home: nothing is sent to it',
  'mqtt-unavailable': 'porterd cannot reach the hubs right now',
  'wrong-state': 'the delivery is not in a state that allows this',
});

// Lookups with Object.hasOwn: a code such as "constructor" or "__proto__"
// from the server is not a word of Object.prototype.
const own = (table, key) => (typeof key === 'string' && Object.hasOwn(table, key) ? table[key] : undefined);

export function reasonText(code) {
  if (code === null || code === undefined) return '';
  return own(REASONS, code) || String(code);
}

const EVENTS = {
  'decision.grant': 'door opened for a credential',
  'decision.refuse': 'credential refused at the door',
  'command.ok': 'remote command carried out',
  'command.refuse': 'remote command refused by the hub',
  'command.relayed': 'remote command sent to the hub',
  'lock.unlocking': 'bolt unlocking',
  'lock.unlocked': 'bolt unlocked',
  'lock.locking': 'bolt locking',
  'lock.locked': 'bolt locked',
  'lock.jammed': 'bolt jammed',
  'door.opened': 'door opened',
  'door.closed': 'door closed',
  'door.held-open': 'door held open too long',
  'door.second-opening': 'door opened a second time',
  'door.forced': 'door forced open',
  'door.start': 'door monitoring started',
  intrusion: 'motion inside during a delivery',
  'session.start': 'entry started',
  'session.end': 'entry ended',
  'hub.start': 'hub started',
  'hub.stop': 'hub stopped',
  'hub.online': 'hub online',
  'hub.offline': 'hub offline',
  'hub.paired': 'hub paired',
  'hub.removed': 'hub removed',
  'hub.event-gap': 'events missing from the hub',
  'hub.event-fork': 'the hub\'s event history forked',
  'hub.batch-refused': 'a batch of hub events did not verify',
  'pairing.open': 'pairing code shown at the hub',
  'pairing.ok': 'hub paired at the door',
  'pairing.refuse': 'pairing refused at the hub',
  'pairing.expired': 'pairing code expired',
  'lockout.start': 'too many failed attempts: door locked out',
  'lockout.end': 'lockout over',
  'revocation.add': 'revocation applied at the hub',
  'revocation.refuse': 'revocation refused at the hub',
  'camera.healthy': 'camera healthy',
  'camera.unhealthy': 'camera unhealthy',
  'camera.clip-refused': 'the server refused a clip of the camera\'s for good',
  'revocation.pending-evicted': 'a revocation the hub could not verify yet was dropped (too many waiting)',
  'owner.add': 'owner key trusted by the hub',
  'owner.refuse': 'owner key refused by the hub',
  'courier-panic': 'courier pressed panic',
  'hub-offline': 'hub went offline',
  'delivery.approved': 'delivery approved',
  'panic.refuse': 'a call for help at the door did not verify',
  'approval.answer': 'an owner\'s answer reached the hub',
  'approval.refuse': 'an owner\'s answer was refused by the hub',
  'approval.relayed': 'an owner\'s answer sent to the hub',
  'hub.confirmed': 'the hub confirmed it belongs to this home',
  'hub.disowned': 'the hub says it no longer belongs to this home',
  'hub.replaced': 'another home registered this hub, which had not confirmed this one',
};

// Alerts (hub events alert.<name>, porterd's alert types, docs/api.md).
const ALERT_WORDS = {
  'door-forced': 'door forced open',
  'door-held-open': 'door held open too long',
  intrusion: 'motion inside during a delivery',
  'lock-jammed': 'bolt jammed',
  'clock-drift': 'the hub\'s clock is off',
  'camera-unhealthy': 'the camera failed during an entry',
  'alarm-triggered': 'alarm triggered',
  'courier-panic': 'courier pressed panic',
  'hub-offline': 'hub went offline',
  'event-gap': 'events missing from the hub',
  'event-fork': 'the hub\'s event history forked',
  'event-unverified': 'hub events that do not verify',
  'uplink-fork': 'the hub\'s event history forked',
  'uplink-gap': 'events missing from the hub',
  duress: 'an owner opened the door under duress',
  panic: 'a courier called for help at the door',
  'approval-request': 'the hub asks an owner to let someone in',
  'hub-disowned': 'the hub says it no longer belongs to this home',
  'hub-replaced': 'another home registered this hub, which had not confirmed this one',
  'clip-refused': 'the server refused a clip for good: it is kept on the camera (porter-cam refused)',
};

const STATES = {
  scheduled: 'scheduled', 'out-for-delivery': 'out for delivery', 'at-the-door': 'courier at the door',
  'credential-issued': 'door credential issued', entered: 'courier entered', completed: 'completed',
  refused: 'refused', cancelled: 'cancelled', failed: 'failed',
};

export function stateText(s) {
  return own(STATES, s) || s;
}

export function eventText(type) {
  if (typeof type !== 'string') return 'unknown event';
  if (own(EVENTS, type)) return EVENTS[type];
  if (type.startsWith('delivery.')) return 'delivery ' + stateText(type.slice(9));
  if (type.startsWith('alert.')) return own(ALERT_WORDS, type.slice(6)) || type.slice(6).replaceAll('-', ' ');
  if (own(ALERT_WORDS, type)) return ALERT_WORDS[type];
  return type.replaceAll(/[.-]/g, ' ');
}

// Event types that are alerts whatever porterd's alerts list says: the
// door's own events, and two that porterd raises no alert for each time
// (camera.unhealthy outside an entry: the hub's alert.camera-unhealthy is
// raised only during one) or whose alert the page may not have read yet
// (hub.offline, porterd's hub-offline: an event that arrives on the
// stream is drawn with the alerts read when the timeline was).
const ALERT_TYPES = new Set(['courier-panic', 'hub-offline', 'event-gap', 'event-fork', 'event-unverified',
  'uplink-fork', 'uplink-gap', 'door.forced', 'door.held-open', 'intrusion', 'lock.jammed',
  'camera.unhealthy', 'hub.offline']);

/** isAlert(event, alertEventIds) -> whether the event needs a person. */
export function isAlert(ev, alertEventIds) {
  if (typeof ev.type !== 'string') return false;
  return (alertEventIds && alertEventIds.has(ev.id)) || ev.type.startsWith('alert.') || ALERT_TYPES.has(ev.type);
}

/** levelText(level) -> a courier's verification level in plain words. */
export function levelText(level) {
  return own(LEVELS, level) || level;
}

export const LEVELS = { basic: 'basic', 'id-checked': 'ID checked', 'background-checked': 'background checked' };
