// A delegation's terms in plain words (the People page's carriers): what
// the owner signed, as porter.js readChain read and checked it, told in
// the home's time zone; and why porterd would not issue a courier's
// credential under it (docs/api.md "Arrival and just-in-time
// credentials"). Pure functions: no DOM, no fetch (node tests them).

const DAY_ORDER = [[1, 'Mon'], [2, 'Tue'], [3, 'Wed'], [4, 'Thu'], [5, 'Fri'], [6, 'Sat'], [0, 'Sun']];

/** daysText(bits) -> 'Mon–Fri', 'Sat, Sun', 'every day', ... (bit 0
 * Sunday ... bit 6 Saturday), Monday first. */
export function daysText(bits) {
  if ((bits & 127) === 127) return 'every day';
  const runs = [];
  let run = null;
  for (const [bit, name] of DAY_ORDER) {
    if (bits & (1 << bit)) {
      if (run) run.push(name);
      else runs.push((run = [name]));
    } else run = null;
  }
  return runs.map((r) => (r.length >= 3 ? `${r[0]}–${r[r.length - 1]}` : r.join(', '))).join(', ');
}

/** hhmm(minutes) -> '08:00' ('24:00' for the end of the day). */
export function hhmm(m) {
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

/** weeklyText(weekly) -> 'Mon–Fri 08:00–20:00; Sat 09:00–12:00'. */
export function weeklyText(weekly) {
  return weekly.map(([d, s, e]) => `${daysText(d)} ${hhmm(s)}–${hhmm(e)}`).join('; ');
}

/** when(t, tz) -> t (Unix seconds) as a date and time in the zone tz, with
 * the zone named ('3 Dec 2026, 17:09 Europe/Lisbon'); UTC when the browser
 * does not know tz. */
export function whenIn(t, tz) {
  const opts = { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
  let zone = tz || 'UTC';
  let f;
  try {
    f = new Intl.DateTimeFormat('en-GB', { ...opts, timeZone: zone });
  } catch {
    zone = 'UTC';
    f = new Intl.DateTimeFormat('en-GB', { ...opts, timeZone: zone });
  }
  return `${f.format(new Date(t * 1000))} ${zone}`;
}

/** termsRows(leaf, {tz, rootKid, links}) -> [[key, label, text]]: every
 * term of the delegation (the chain's last link) in plain words, days and
 * times in the home's zone tz. key is stable (tests read it). */
export function termsRows(t, { tz, rootKid, links = 1, now = Math.floor(Date.now() / 1000) } = {}) {
  const rows = [];
  rows.push(['purpose', 'Purpose', t.purpose === 'delivery' ? 'deliveries'
    : `${t.purpose} (not a delivery delegation: porterd issues no courier credential under it)`]);
  let days = 'any day, at any hour';
  if (t.weekly) {
    days = `${weeklyText(t.weekly)} (${t.tz})`;
    if (tz && t.tz !== tz) days += `: not the home's zone (${tz}), so the hub refuses it`;
  }
  rows.push(['days', 'Days and hours', days]);
  rows.push(['windows', 'Windows', t.windows ? t.windows.map(([s, e]) => `${whenIn(s, tz)} to ${whenIn(e, tz)}`).join('; ')
    : 'none (any time between the dates below)']);
  const valid = [];
  if (t.nbf !== null) valid.push(`from ${whenIn(t.nbf, tz)}`);
  valid.push(t.exp === null ? 'with no end' : `until ${whenIn(t.exp, tz)}${t.exp <= now ? ' (EXPIRED)' : ''}`);
  rows.push(['valid', 'Valid', valid.join(' ')]);
  rows.push(['entries', 'Entries', t.entries === null ? 'unlimited'
    : `${t.entries} in all, shared by its couriers' credentials (1 each)`]);
  rows.push(['door', 'Door open at most', t.doorOpenMax === null ? 'no limit set' : `${t.doorOpenMax} s`]);
  rows.push(['camera', 'Camera', t.camera ? 'must be working, or the door stays shut' : 'not required']);
  rows.push(['alarm', 'Alarm', t.alarm ? 'stays armed; only the entry zone is bypassed' : 'no condition']);
  rows.push(['locks', 'Locks', t.locks ? t.locks.join(', ') : 'every lock of the home']);
  rows.push(['depth', 'May hand on', t.depth === 0 ? 'no further (so the carrier cannot give its couriers a credential)'
    : `${t.depth} more time${t.depth === 1 ? '' : 's'} (the carrier to a courier's device)`]);
  if (t.note !== null) rows.push(['note', 'Note at the door', t.note]);
  rows.push(['signed', 'Signed', `${t.iat !== null ? `on ${whenIn(t.iat, tz)} ` : ''}by owner key ${rootKid}` +
    `${links > 1 ? `, through ${links} links` : ''}`]);
  rows.push(['token', 'Token id', t.tokenId]);
  return rows;
}

/** unusable(leaf, policy, now) -> [reason]: why porterd would not issue a
 * courier's credential under this delegation (purpose delivery, depth at
 * least 1, entries, the conditions the policy requires, not expired,
 * valid already). Empty when it may. */
export function unusable(t, policy, now = Math.floor(Date.now() / 1000)) {
  const out = [];
  const pol = policy || {};
  if (t.purpose !== 'delivery') out.push('its purpose is not delivery');
  if (t.depth < 1) out.push('it may not be handed on to a courier (depth 0)');
  if (t.exp !== null && t.exp <= now) out.push('it has expired');
  if (t.nbf !== null && t.nbf > now) out.push('it is not valid yet');
  if (pol.camera_required !== false && !t.camera) out.push('the home requires the camera and it does not');
  if (pol.alarm_bypass_required !== false && !t.alarm) out.push('the home requires the alarm bypass and it does not');
  return out;
}
