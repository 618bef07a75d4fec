// porter's owner app (docs/web.md): hash routes, one view at a time, every
// fact from porterd's API and live stream. Secrets (the owner key) stay in
// keystore.js; commands are signed here (porter.js) and only relayed by
// porterd. No innerHTML: every piece of server data goes in as text.

import * as api from './api.js';
import * as keystore from './keystore.js';
import { commandEnvelope, grantLink, rootChain, isId, approvalEnvelope } from './porter.js';
import { pairingStatement, readPairing, hubKeyIsValid } from './porter.js';
import { ownerStatement, endorseTarget, endorseBody } from './porter.js';
import { getSodium } from './sodium.js';
import { PASSPHRASE_MIN } from './kdf.js';
import { toB64url, fromB64url } from './util.js';
import { reasonText, eventText, isAlert, stateText, levelText } from './words.js';
import { liveSection, entryWatch, stopLive } from './live.js';
import { openKeyRecord, openManifest, keyRecordMatches, segmentSignatureOk, revocationEnvelope } from './porter.js';
import { kid, clipGaps, clipTimesAgree, chainSummary, keyRevocationTarget, readChain, chainHolder } from './porter.js';
import { termsRows, unusable } from './terms.js';
import { cameraKeyFor, endorserFor } from './camtrust.js';
import { toHex, fromHex } from './util.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const toastEl = document.getElementById('toast');

let account = null;
let homes = null; // [home] of the signed-in account
// At most ONE EventSource at a time (the home in view): a browser gives
// HTTP/1.1 six connections per host, and each stream holds one; more
// streams would leave the API calls (sign-out too) waiting.
const streams = new Map(); // home id -> {es, hubs: Map, listeners: Set}
let poller = null; // the homes list's hubs polling (setInterval id)
let view = 0; // bumped on every render: late answers of an old view are dropped

// ---- small DOM helpers ----

function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'testid') el.dataset.testid = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of kids.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function toast(msg) {
  toastEl.textContent = msg;
  toastEl.classList.add('show');
  clearTimeout(toast.t);
  toast.t = setTimeout(() => toastEl.classList.remove('show'), 2500);
}

function when(at) {
  if (at === null || at === undefined) return 'never';
  return new Date(at * 1000).toLocaleString();
}

// A hub's refusal in plain words; a stale command most often means this
// device's clock is off.
function refusalText(reason) {
  const words = reasonText(reason);
  return reason === 'stale' ? `${words}: check this device's clock` : words;
}

function errorText(e) {
  if (e instanceof api.ApiError) {
    const words = reasonText(e.code);
    return words && words !== e.code ? `${words} (${e.code})` : e.message || e.code;
  }
  return e && e.message ? e.message : String(e);
}

function setView(title, ...content) {
  view++;
  wipePairCodes();
  endClip();
  stopLive(); // the live panel leaves the page: its session ends with it
  stopPolling();
  main.replaceChildren(h('h1', { text: title }), ...content);
  document.title = `${title} · porter`;
  return view;
}

// ---- sessions ----

function closeStreams() {
  for (const s of streams.values()) s.es.close();
  streams.clear();
}

function stopPolling() {
  clearInterval(poller);
  poller = null;
}

// Everything this page knows of the session, forgotten at once (and
// before any request): streams, the key worker, the CSRF token, the data.
function forget() {
  wipePairCodes();
  endClip();
  stopPolling();
  closeStreams();
  stopLive();
  keystore.lock();
  api.forget();
  account = null;
  homes = null;
}

function showSignIn(message) {
  forget();
  nav.hidden = true;
  view++;
  const err = h('p', { class: 'error', role: 'alert', testid: 'signin-error', text: message || '' });
  const email = h('input', { id: 'email', type: 'email', name: 'email', autocomplete: 'username', required: true,
    testid: 'signin-email' });
  const password = h('input', { id: 'password', type: 'password', name: 'password',
    autocomplete: 'current-password', required: true, testid: 'signin-password' });
  const btn = h('button', { type: 'submit', testid: 'signin-submit', text: 'Sign in' });
  const form = h('form', { testid: 'signin-form', 'aria-labelledby': 'signin-title' },
    h('label', { for: 'email' }, 'E-mail', email),
    h('label', { for: 'password' }, 'Password', password),
    btn, err);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    btn.disabled = true;
    err.textContent = '';
    try {
      account = await api.signIn(email.value.trim(), password.value);
      password.value = '';
      nav.hidden = false;
      if (!location.hash || location.hash === '#/signin') location.hash = '#/homes';
      else route();
    } catch (e) {
      err.textContent = errorText(e);
    } finally {
      btn.disabled = false;
    }
  });
  main.replaceChildren(h('h1', { id: 'signin-title', text: 'Sign in' }), form);
  document.title = 'Sign in · porter';
  email.focus();
  return err;
}

api.setUnauthenticatedHandler((message) => {
  if (account) showSignIn(message || 'Your session has ended: sign in again.');
});

// Forget locally first (streams closed, key worker ended, token dropped),
// then ask porterd to end the session; a failure is told on the sign-in
// screen (the cookie may still be valid until it expires).
async function signOut(everywhere) {
  const token = api.csrfToken();
  const err = showSignIn('Signing out…');
  const mine = view;
  try {
    await api.signOut(everywhere, token);
    if (mine === view) err.textContent = everywhere ? 'Signed out on every device.' : 'Signed out.';
  } catch (e) {
    if (mine === view) err.textContent = `Sign-out failed: ${errorText(e)}. This page forgot the session; sign in and out again to end it at the server.`;
  }
}

document.getElementById('signout').addEventListener('click', () => signOut(false));
document.getElementById('signout-all').addEventListener('click', () => signOut(true));

// ---- live state: GET /v1/homes/{id}/stream ----

function stream(homeId) {
  let s = streams.get(homeId);
  if (s) return s;
  closeStreams(); // one stream at a time
  const es = new EventSource(`/v1/homes/${api.enc(homeId)}/stream`);
  s = { es, hubs: new Map(), listeners: new Set(), connected: false };
  streams.set(homeId, s);
  const fire = (kind, data) => {
    for (const fn of s.listeners) fn(kind, data);
  };
  es.addEventListener('open', () => {
    s.connected = true;
    fire('open');
  });
  es.addEventListener('hub', (m) => {
    let hub;
    try {
      hub = JSON.parse(m.data);
    } catch {
      return;
    }
    if (!hub || typeof hub.id !== 'string') return;
    s.hubs.set(hub.id, hub);
    fire('hub', hub);
  });
  es.addEventListener('event', (m) => {
    let ev;
    try {
      ev = JSON.parse(m.data);
    } catch {
      return; // not JSON: ignored
    }
    if (!ev || typeof ev !== 'object' || typeof ev.type !== 'string') return;
    fire('event', ev);
  });
  es.addEventListener('error', async () => {
    s.connected = false;
    fire('down');
    if (es.readyState === EventSource.CLOSED) {
      // The server refused the stream (401 after sign-out, 503 when full):
      // signed out shows the sign-in form; otherwise try again later.
      if (streams.get(homeId) === s) streams.delete(homeId);
      if (!account) return;
      const was = account.id;
      const who = await api.resume();
      if (!account) return;
      if (!who || who.id !== was) {
        showSignIn(who ? 'This browser is now signed in to another account: sign in again.'
          : 'Your session has ended: sign in again.');
        return;
      }
      setTimeout(async () => {
        if (!account || streams.has(homeId) || !s.listeners.size) return;
        // Still this account's home? A member removed, or a home deleted,
        // gets 404: say so and stop, rather than retry for ever.
        try {
          await api.get(`/v1/homes/${api.enc(homeId)}`);
        } catch (e) {
          if (e instanceof api.ApiError && e.status === 404) {
            homes = null;
            toast('This home is no longer among yours (removed or deleted).');
            if (location.hash.startsWith(`#/homes/${api.enc(homeId)}`)) location.hash = '#/homes';
            return;
          }
        }
        if (account && !streams.has(homeId) && s.listeners.size) {
          const again = stream(homeId);
          for (const fn of s.listeners) again.listeners.add(fn);
          for (const fn of s.listeners) fn('reopen', again);
        }
      }, 5000);
    }
  });
  return s;
}

function keepStreams(ids) {
  for (const [id, s] of streams) {
    if (!ids.includes(id)) {
      s.es.close();
      streams.delete(id);
    } else s.listeners.clear();
  }
}

const STATE_WORDS = {
  locked: 'locked', unlocked: 'UNLOCKED', jammed: 'JAMMED', unknown: 'unknown', closed: 'closed', open: 'OPEN',
  none: 'none', healthy: 'healthy', unhealthy: 'UNHEALTHY', disarmed: 'disarmed', armed_home: 'armed (home)',
  armed_away: 'armed (away)', armed_night: 'armed (night)', arming: 'arming', pending: 'pending',
  triggered: 'TRIGGERED',
};

function hubCard(hub) {
  const st = hub.state || {};
  const field = (label, key, value) => h('div', {}, h('dt', { text: label }),
    h('dd', { testid: `hub-${key}`, 'data-value': value ?? 'unknown',
      text: (typeof value === 'string' && Object.hasOwn(STATE_WORDS, value) ? STATE_WORDS[value] : value) || 'unknown' }));
  const online = h('span', { class: `pill ${hub.online ? 'on' : 'off'}`, testid: 'hub-online',
    'data-value': hub.online ? 'online' : 'offline', text: hub.online ? '● online' : '○ offline' });
  return h('article', { class: 'card', testid: 'hub', 'data-hub': hub.id, 'aria-label': `hub ${hub.label || hub.id}` },
    h('div', { class: 'row' }, h('strong', { text: hub.label || hub.id }), online),
    h('div', { class: 'small muted mono', text: hub.id }),
    h('dl', { class: 'grid' },
      field('Bolt', 'bolt', st.bolt), field('Door', 'door', st.door),
      field('Alarm', 'alarm', st.alarm), field('Camera', 'camera', st.camera)),
    h('p', { class: 'small muted', text: `last seen ${when(hub.last_seen)}${st.at ? ` · state of ${when(st.at)}` : ''}` }));
}

// A list of hub cards that put(hub) keeps current. Only the status line
// is a live region (a card's every change read aloud would be noise).
function hubList() {
  const box = h('div', { testid: 'hubs' });
  const note = h('p', { class: 'small muted', testid: 'stream-status', role: 'status', 'aria-live': 'polite' });
  const shown = new Map();
  const put = (hub) => {
    if (!hub || typeof hub.id !== 'string') return;
    const card = hubCard(hub);
    const old = shown.get(hub.id);
    if (old && old.isConnected) old.replaceWith(card);
    else box.append(card);
    shown.set(hub.id, card);
  };
  return { box, note, shown, put };
}

// The hubs of the homes list: read every POLL_MS (no stream: one per home
// would use up the browser's connections).
const POLL_MS = 4000;
function polledHubs(homeId, v) {
  const { box, note, shown, put } = hubList();
  note.textContent = 'updated every few seconds';
  let empty = null;
  const read = () => api.get(`/v1/homes/${api.enc(homeId)}/hubs`).then((r) => {
    if (v !== view) return;
    for (const hub of r.hubs || []) put(hub);
    if (!shown.size && !empty) box.append(empty = h('p', { class: 'muted', text: 'No hub paired yet.' }));
    if (shown.size && empty) {
      empty.remove();
      empty = null;
    }
  }).catch(() => {});
  return { nodes: [note, box], read };
}

// A live list of a home's hub cards: the stream's hub messages, with the
// hubs list as the first picture until the stream's first messages come.
function liveHubs(homeId, onEvent) {
  const { box, note, shown, put } = hubList();
  note.textContent = 'connecting to the live state…';
  const listener = (kind, data) => {
    if (kind === 'hub') put(data);
    else if (kind === 'open') note.textContent = 'live';
    else if (kind === 'down') note.textContent = 'reconnecting…';
    else if (kind === 'event' && onEvent) onEvent(data);
  };
  const s = stream(homeId);
  s.listeners.add(listener);
  for (const hub of s.hubs.values()) put(hub);
  if (s.connected) note.textContent = 'live';
  let empty = null;
  const read = () => api.get(`/v1/homes/${api.enc(homeId)}/hubs`).then((r) => {
    for (const hub of r.hubs || []) if (!shown.has(hub.id)) put(hub);
    if (!(r.hubs || []).length && !shown.size && !empty) box.append(empty = h('p', { class: 'muted', text: 'No hub paired yet.' }));
    if (shown.size && empty) {
      empty.remove();
      empty = null;
    }
  }).catch(() => {});
  read();
  // reload(): the list read again (a hub paired from this page).
  return Object.assign([note, box], { reload: read });
}

// ---- views ----

async function loadHomes() {
  if (!homes) homes = (await api.get('/v1/homes')).homes || [];
  return homes;
}

function homeTabs(home, current) {
  const link = (href, text, id) => h('a', { href, testid: `tab-${id}`,
    'aria-current': current === id ? 'page' : null, text });
  const base = `#/homes/${api.enc(home.id)}`;
  return h('nav', { class: 'tabs', 'aria-label': 'Home' },
    link(base, 'Live state', 'home'), link(`${base}/timeline`, 'Timeline', 'timeline'),
    link(`${base}/deliveries`, 'Deliveries', 'deliveries'), link(`${base}/people`, 'People', 'people'),
    link(`${base}/clips`, 'Clips', 'clips'), link(`${base}/settings`, 'Settings', 'settings'),
    link('#/homes', 'All homes', 'homes'));
}

async function viewHomes() {
  const v = setView('Your homes', h('p', { class: 'muted', text: 'Loading…' }));
  homes = null; // read afresh: a home may have been left, removed or deleted meanwhile
  const list = await loadHomes();
  if (v !== view) return;
  keepStreams([]);
  const polled = [];
  const items = list.map((home, i) => {
    const p = i < 8 ? polledHubs(home.id, v) : null;
    if (p) polled.push(p);
    return h('section', { class: 'card', testid: 'home', 'data-home': home.id },
      h('h2', {}, h('a', { href: `#/homes/${api.enc(home.id)}`, text: home.name })),
      h('p', { class: 'small muted', text: `${home.role} · ${home.tz} · ${home.id}` }),
      p ? p.nodes : h('p', { class: 'muted', text: 'Open the home for its live state.' }));
  });
  main.replaceChildren(h('h1', { text: 'Your homes' }),
    ...(items.length ? items : [h('p', { class: 'muted', text: 'You belong to no home yet.' })]));
  let busy = false;
  const readAll = async () => {
    if (busy || v !== view) return;
    busy = true;
    try {
      for (const p of polled) await p.read(); // one request at a time
    } finally {
      busy = false;
    }
  };
  readAll();
  if (polled.length) poller = setInterval(readAll, POLL_MS);
}

async function findHome(id) {
  const list = await loadHomes();
  const home = list.find((x) => x.id === id);
  if (!home) throw new Error('no such home');
  return home;
}

async function viewHome(id) {
  const v = setView('Home');
  const home = await findHome(id);
  if (v !== view) return;
  keepStreams([home.id]);
  const result = h('p', { testid: 'command-result', 'aria-live': 'polite' });
  let waiting = null; // {nonce, op}
  const approvals = approvalsSection(home);
  const onEvent = (ev) => {
    approvals.onEvent(ev);
    if (!waiting || !ev || !ev.data) return;
    if ((ev.type === 'command.ok' || ev.type === 'command.refuse') && ev.data.nonce === waiting.nonce) {
      const ok = ev.type === 'command.ok';
      result.className = ok ? 'okmsg' : 'error';
      result.dataset.value = ok ? 'ok' : 'refused';
      result.textContent = ok ? `Done: the hub carried out "${waiting.op}".`
        : `The hub refused "${waiting.op}": ${refusalText(ev.data.reason)}`;
      waiting = null;
    }
  };
  const send = async (op) => {
    const sg = keystore.signer(account);
    if (!sg) {
      result.className = 'error';
      result.textContent = 'Unlock your key first (below).';
      return;
    }
    result.className = '';
    result.dataset.value = 'sending';
    result.textContent = `Signing "${op}"…`;
    try {
      const { bytes, nonce } = await commandEnvelope({ sk: sg.sk, pk: sg.pk, home: home.id, op });
      waiting = { nonce, op };
      const r = await api.post(`/v1/homes/${api.enc(home.id)}/commands`, { command: toB64url(bytes) });
      // The hub's answer may come down the stream before porterd's.
      if (waiting && waiting.nonce === nonce) {
        result.dataset.value = 'relayed';
        result.textContent = `Sent "${op}" to ${(r.relayed_to || []).join(', ')}: waiting for the hub…`;
      }
    } catch (e) {
      waiting = null;
      result.className = 'error';
      result.dataset.value = 'error';
      result.textContent = `Not sent: ${e instanceof api.ApiError && e.code === 'stale' ? refusalText('stale') : errorText(e)}`;
    }
  };
  // Unlocking opens the door: a second, explicit confirmation.
  const confirmBox = h('div', { class: 'row', testid: 'unlock-confirm-box', hidden: true });
  const askUnlock = () => {
    const yes = h('button', { type: 'button', class: 'danger', testid: 'unlock-confirm',
      text: `Unlock every lock of ${home.name}`, onclick: () => { confirmBox.hidden = true; confirmBox.replaceChildren(); send('unlock'); } });
    const no = h('button', { type: 'button', class: 'secondary', testid: 'unlock-cancel', text: 'Cancel',
      onclick: () => { confirmBox.hidden = true; confirmBox.replaceChildren(); } });
    confirmBox.replaceChildren(yes, no);
    confirmBox.hidden = false;
    yes.focus();
  };
  const owner = home.role === 'owner';
  const control = h('section', { 'aria-labelledby': 'remote-title' }, h('h2', { id: 'remote-title', text: 'Remote control' }));
  if (!owner) control.append(h('p', { class: 'muted', text: 'Only the home\'s owners can lock and unlock from here.' }));
  else {
    control.append(h('div', { class: 'row' },
      h('button', { type: 'button', testid: 'unlock', onclick: askUnlock, text: 'Unlock' }),
      h('button', { type: 'button', class: 'secondary', testid: 'lock', onclick: () => send('lock'), text: 'Lock' })),
    confirmBox,
    h('p', { class: 'small muted', text: 'Every lock of the home. The command is signed in this page with your key; porterd only relays it.' }),
    result, await keyUnlockBox());
  }
  if (v !== view) return;
  const pairing = owner ? pairHubBox(home) : null;
  const hubNodes = liveHubs(home.id, (ev) => {
    onEvent(ev);
    if (pairing) pairing.onEvent(ev);
  });
  if (pairing) pairing.reloadHubs = hubNodes.reload;
  main.replaceChildren(h('h1', { text: home.name }), homeTabs(home, 'home'), approvals.el,
    h('section', { 'aria-labelledby': 'hubs-title' }, h('h2', { id: 'hubs-title', text: 'Hubs' }), hubNodes,
      pairing ? pairing.el : null),
    ...(owner ? [liveSection({ account, home })] : []), control);
}

// ---- pairing a hub (docs/web.md "Pairing a hub") ----
// The owner pastes what porter-hub pair prints on the hub (the QR code's
// text porter-pair:v1?hub=..&key=..&code=.., or the hub key and the
// code); the page shows the hub's key id, computed here from the key, and
// the home, and asks. Then it signs a PT_ENV_PAIRING with this browser's
// key whose nonce is a MAC of the code (porter.js pairingNonce): porterd
// and the broker see the MAC, never the code. porterd checks the statement
// against the home's owner keys, stores the hub and relays the statement
// to it; the hub pairs itself if it shows that code and has no owner yet.
// The code lives in one Uint8Array while the owner confirms, and is wiped
// (filled with zeros) once signed, on Cancel, on any refusal and when the
// view goes; the fields are emptied as soon as they are read. (The copies
// JavaScript strings and libsodium's heap make cannot be wiped from here.)

const pairCodes = new Set(); // the codes held while an owner confirms
function wipePairCodes() {
  for (const c of pairCodes) c.fill(0);
  pairCodes.clear();
}

const HUB_REFUSALS = {
  'untrusted-signer': 'porterd does not count this browser\'s key among the home\'s owner keys',
  'bad-signature': 'the signature does not verify with this browser\'s key',
  'wrong-home-or-lock': 'the statement is for another home',
  stale: 'porterd finds the statement too old or too new: check this device\'s clock',
  malformed: 'porterd could not read the statement',
  unsupported: 'porterd does not support this statement',
  exists: 'porterd already has this hub: its key is paired already (nothing was changed)',
  'limit-reached': 'this home has as many hubs as porterd allows (8)',
  forbidden: 'only the home\'s owners can pair a hub',
};

// How long the page waits for the new hub's word after porterd relayed the
// statement: the hub's code lives hub.pairing_ttl (5 minutes) from
// porter-hub pair, so after that the hub would refuse it anyway.
const PAIR_WAIT_MS = 5 * 60 * 1000;
// A pairing normally answers within seconds. After this long without word
// the page says why a refusal cannot show here: a hub that refuses (a
// mistyped or expired code) is not paired, so it has named no home, and
// porterd files nothing it sends (docs/mqtt.md, "home").
const PAIR_HINT_MS = 15 * 1000;

function hubRefusal(e) {
  if (!(e instanceof api.ApiError)) return errorText(e);
  if (e.code === 'invalid-field' && e.field === 'pairing') return 'porterd says the statement names another hub key than the one sent (invalid-field)';
  if (e.code === 'invalid-field' && e.field === 'public_key') return 'porterd refuses the hub key (invalid-field)';
  if (e.code === 'invalid-field' && e.field === 'label') return 'porterd refuses the label: at most 100 bytes of printable text (invalid-field)';
  return Object.hasOwn(HUB_REFUSALS, e.code) ? `${HUB_REFUSALS[e.code]} (${e.code})` : errorText(e);
}

/** pairHubBox(home) -> {el, onEvent, reloadHubs}: the form "Pair a hub"
 * of a home's Hubs section (owners). onEvent(ev): the stream's events, to
 * show the new hub's own word on the pairing. */
function pairHubBox(home) {
  const el = h('div', { class: 'card', testid: 'pair-hub' });
  const out = { el, onEvent: () => {}, reloadHubs: () => {} };
  const title = h('h3', { id: 'pair-title', text: 'Pair a hub' });
  const result = h('p', { testid: 'pair-result', 'aria-live': 'polite' });
  let pending = null; // {hubId, hubKey, code, kid, label}: being confirmed
  let busy = false;
  let watch = null; // {hubId, ownKid, status}: the new hub's events
  let early = null; // {hubId, events}: its events heard before porterd's answer
  let waitTimer = null; // ends the wait for the hub's word
  let hintTimer = null; // says why a refusal cannot show, if it is slow
  const wipe = () => {
    if (pending) {
      pending.code.fill(0);
      pairCodes.delete(pending.code);
      pending = null;
    }
  };
  const say = (text, value, cls = '') => {
    result.className = cls;
    result.dataset.value = value;
    result.textContent = text;
  };
  const form = (keepResult = false) => {
    wipe();
    clearTimeout(waitTimer);
    clearTimeout(hintTimer);
    waitTimer = null;
    hintTimer = null;
    watch = null;
    early = null;
    if (!keepResult) say('', '');
    const text = h('textarea', { id: 'pair-text', rows: 3, autocomplete: 'off', spellcheck: 'false',
      autocapitalize: 'off', testid: 'pair-text' });
    const code = h('input', { id: 'pair-code', type: 'text', autocomplete: 'off', spellcheck: 'false',
      autocapitalize: 'off', maxlength: 64, testid: 'pair-code' });
    const label = h('input', { id: 'pair-label', type: 'text', maxlength: 100, autocomplete: 'off', testid: 'pair-label' });
    const btn = h('button', { type: 'submit', testid: 'pair-check', text: 'Check the hub' });
    const f = h('form', { autocomplete: 'off', testid: 'pair-form' },
      h('label', { for: 'pair-text' }, 'Pairing text, or the hub key', text),
      h('label', { for: 'pair-code' }, 'Pairing code (only with the hub key alone)', code),
      h('label', { for: 'pair-label' }, 'Label (optional, e.g. "hall")', label),
      btn);
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (busy) return;
      // Read once, then the fields are emptied: the code is not left in
      // the page, whatever happens next.
      const raw = text.value;
      const rawCode = code.value;
      text.value = '';
      code.value = '';
      busy = true;
      btn.disabled = true;
      try {
        const p = readPairing(raw, rawCode);
        pairCodes.add(p.code);
        pending = { ...p, label: label.value.trim() };
        if (!(await hubKeyIsValid(p.hubKey))) throw new Error('the hub key is not a valid Ed25519 public key');
        pending.kid = toHex(await kid(p.hubKey));
        confirm();
      } catch (e) {
        wipe();
        say(`Not paired: ${e.message || e}. Paste it again.`, 'error', 'error');
        text.focus();
      } finally {
        busy = false;
        btn.disabled = false;
      }
    });
    el.replaceChildren(title,
      h('p', { class: 'small', text: 'On the hub, run porter-hub pair -f /etc/porter/porter-hub.conf. Paste the line that starts with porter-pair:v1? (the text of its QR code), or the hub key and, below, the code. The code is valid once, for a few minutes.' }),
      h('p', { class: 'small muted', text: 'This browser\'s key signs that the hub belongs to this home, over a fingerprint of the code: porterd never sees the code. The hub then obeys this key as its owner.' }),
      f, result);
  };
  const confirm = () => {
    say('', '');
    const expect = `hub-${pending.kid}`;
    const mismatch = pending.hubId !== null && pending.hubId !== expect;
    const yes = h('button', { type: 'button', class: 'danger', testid: 'pair-confirm', text: `Yes, pair hub ${pending.kid}`,
      onclick: () => sign() });
    const no = h('button', { type: 'button', class: 'secondary', testid: 'pair-cancel', text: 'Cancel', onclick: () => form() });
    el.replaceChildren(...[title,
      h('p', { testid: 'pair-confirm-text', 'data-kid': pending.kid, 'data-home': home.id,
        text: `Pair the hub with key id ${pending.kid} (${expect}) with the home ${home.name} (${home.id})?` }),
      h('p', { class: 'small muted', text: `Compare: porter-hub pair printed "hub id: ${expect}" on the hub. Whoever controls this hub will be trusted as this home's hub.` }),
      mismatch ? h('p', { class: 'error', testid: 'pair-mismatch',
        text: `The text names the hub ${pending.hubId}, but its key's id is ${pending.kid}: check that you pasted what this hub shows.` }) : null,
      pending.label ? h('p', { class: 'small', text: `Label: ${pending.label}` }) : null,
      h('div', { class: 'row', testid: 'pair-actions' }, yes, no), result].filter(Boolean));
    yes.focus();
  };
  // Refused before anything was sent: back to the form, with why.
  const refuse = (text) => {
    form(true);
    say(text, 'error', 'error');
    el.querySelector('#pair-text')?.focus();
  };
  const sign = async () => {
    if (busy) return;
    if (!pending) return form();
    const sg = keystore.signer(account);
    if (!sg) {
      const rec = await keystore.load(account).catch(() => null);
      if (!el.isConnected) return wipe();
      if (!rec) {
        refuse('Not paired: this browser has no owner key yet: make one on the Keys page.');
        return;
      }
      const actions = el.querySelector('[data-testid="pair-actions"]');
      actions.replaceChildren(h('p', { class: 'small', text: 'To sign the pairing, unlock your key:' }),
        unlockForm(rec, () => {
          keyBoxAgain();
          if (pending) confirm();
        }, { input: 'pair-pass', pass: 'pair-passphrase', unlock: 'pair-key-unlock', error: 'pair-key-error' }),
        h('button', { type: 'button', class: 'secondary', testid: 'pair-cancel', text: 'Cancel', onclick: () => form() }));
      actions.querySelector('input').focus();
      return;
    }
    busy = true;
    for (const b of el.querySelectorAll('button')) b.disabled = true;
    const enc = api.enc(home.id);
    const own = toB64url(sg.pk);
    const ownKid = toHex(await kid(sg.pk));
    let enrolled = false;
    try {
      say(`Checking that key ${ownKid} is an owner key of this home…`, 'checking');
      const keys = (await api.get(`/v1/homes/${enc}/owner-keys`)).keys || [];
      if (!keys.some((k) => k && k.public_key === own)) {
        if (keys.length) {
          wipe();
          refuse(`Not paired: this browser's key ${ownKid} is not an owner key of ${home.name} yet. An owner key the hubs trust must endorse it first (Keys page: porter key endorse), then pair again.`);
          return;
        }
        // The home has no owner key at all: this key becomes its first.
        say(`Enrolling key ${ownKid} as the first owner key of ${home.name}…`, 'enrolling');
        const rec = await keystore.load(account).catch(() => null);
        await api.post(`/v1/homes/${enc}/owner-keys`, { public_key: own, label: (rec && rec.label) || 'browser' });
        enrolled = true;
      }
      // The code wiped meanwhile (the view left, signed out): nothing signed.
      if (!pending || !pairCodes.has(pending.code)) throw new Error('the code was wiped meanwhile: paste the text again');
      say('Signing the pairing…', 'signing');
      const { hubKey, label } = pending;
      let bytes;
      try {
        ({ bytes } = await pairingStatement({ sk: sg.sk, pk: sg.pk, home: home.id, hubKey, code: pending.code }));
      } finally {
        wipe();
      }
      const body = { public_key: toB64url(hubKey), pairing: toB64url(bytes) };
      if (label) body.label = label;
      // porterd relays before it answers: the hub's word may come through
      // the stream before the answer reaches this page; it is kept.
      early = { hubId: `hub-${toHex(await kid(hubKey))}`, events: [] };
      const hub = await api.post(`/v1/homes/${enc}/hubs`, body);
      const hubId = hub && typeof hub.id === 'string' ? hub.id : `hub-${toHex(await kid(hubKey))}`;
      // porterd says whether it could pass the statement on to the hub
      // (MQTT); an older porterd does not say (unknown).
      const relayed = hub && typeof hub.relayed === 'boolean' ? String(hub.relayed) : 'unknown';
      const first = enrolled ? `Key ${ownKid} enrolled as this home's first owner key. ` : '';
      const stored = {
        true: `Hub ${hubId} is stored at porterd, which passed the signed pairing on to it.`,
        false: `Hub ${hubId} is stored at porterd, but porterd could not reach it to pass the signed pairing on: the hub is not paired.`,
        unknown: `Hub ${hubId} is stored at porterd, which passes the signed pairing on to it if it can reach it (this porterd does not say whether it could).`,
      }[relayed];
      const retry = `pair it at the door (porter hub pair-local, with a new code from porter-hub pair), or remove the hub (porter hub remove --home ${home.id} ${hubId}) and pair again: porterd keeps it meanwhile, so pairing it again from this page is refused (exists)`;
      const status = relayed === 'false'
        ? h('p', { class: 'error', testid: 'pair-hub-status', 'data-value': 'not-relayed', 'aria-live': 'polite',
          text: `${retry[0].toUpperCase()}${retry.slice(1)}.` })
        : h('p', { testid: 'pair-hub-status', 'data-value': 'waiting', 'aria-live': 'polite',
          text: `Waiting for the hub's word: it pairs itself if it is online, still shows this code and has no owner yet.` });
      const w = { hubId, ownKid, status };
      watch = w;
      const heard = early && early.hubId === hubId ? early.events : [];
      early = null;
      for (const ev of heard) out.onEvent(ev);
      clearTimeout(waitTimer);
      clearTimeout(hintTimer);
      hintTimer = relayed === 'false' ? null : setTimeout(() => {
        hintTimer = null;
        if (watch !== w || !el.isConnected || status.dataset.value !== 'waiting') return;
        status.dataset.hint = 'slow';
        status.textContent = `Still waiting for the hub ${hubId}. If it refused the pairing (a mistyped code, or one that has expired or was used), it cannot say so here: porterd files nothing from a hub until the hub itself names this home, which it does only once paired. If the code may be wrong, run porter-hub pair for a new one and pair again; this page keeps waiting ${PAIR_WAIT_MS / 60000} minutes in all.`;
      }, PAIR_HINT_MS);
      waitTimer = relayed === 'false' ? null : setTimeout(() => {
        waitTimer = null;
        if (watch !== w || !el.isConnected || status.dataset.value !== 'waiting') return;
        status.className = 'error';
        status.dataset.value = 'timeout';
        status.textContent = `No word from the hub ${hubId} in 5 minutes. Check that the hub is online (connected to the broker) and still shows its code (a code is valid 5 minutes, once, from porter-hub pair). If it is not paired, ${retry}.`;
      }, PAIR_WAIT_MS);
      el.replaceChildren(title,
        h('p', { class: relayed === 'false' ? 'error' : 'okmsg', testid: 'pair-result', 'data-value': 'stored',
          'data-hub': hubId, 'data-relayed': relayed, tabindex: '-1', text: `${first}${stored}` }),
        status,
        h('button', { type: 'button', class: 'secondary', testid: 'pair-again', text: 'Pair another hub', onclick: () => form() }));
      el.querySelector('[data-testid="pair-result"]').focus();
      out.reloadHubs();
    } catch (e) {
      wipe();
      early = null;
      refuse(`Not paired: ${hubRefusal(e)}.${enrolled ? ` (Key ${ownKid} was enrolled as this home's first owner key.)` : ''}`);
    } finally {
      busy = false;
    }
  };
  // The new hub's events (source hub:<id>): its pairing.ok names the
  // owner key it now trusts; pairing.refuse says why not.
  out.onEvent = (ev) => {
    if (!watch && early && ev && ev.source === `hub:${early.hubId}`) {
      if (early.events.length < 16) early.events.push(ev);
      return;
    }
    if (!watch || !ev || ev.source !== `hub:${watch.hubId}` || !ev.data) return;
    const st = watch.status;
    if (ev.type === 'pairing.ok') {
      const k = typeof ev.data.owner_key_id === 'string' ? ev.data.owner_key_id : '';
      st.dataset.kid = k;
      if (k === watch.ownKid) {
        st.className = 'okmsg';
        st.dataset.value = 'paired';
        st.textContent = `The hub ${watch.hubId} paired itself: it trusts this browser's key ${k} as its owner.`;
      } else {
        st.className = 'error';
        st.dataset.value = 'other-key';
        st.textContent = `The hub ${watch.hubId} says it paired with another owner key (${k}), not this browser's ${watch.ownKid}.`;
      }
    } else if (ev.type === 'pairing.refuse') {
      st.className = 'error';
      st.dataset.value = 'refused';
      st.dataset.reason = String(ev.data.reason || '');
      st.textContent = `The hub ${watch.hubId} refused the pairing: ${refusalText(String(ev.data.reason || 'unknown'))}. Ask it for a new code and pair again.`;
    }
  };
  form();
  return out;
}

// A small box to unlock the key where it is needed (the home page).
async function keyUnlockBox() {
  const box = h('div', { testid: 'key-box' });
  const rec = await keystore.load(account);
  if (!rec) {
    box.append(h('p', {}, 'No key in this browser yet: ', h('a', { href: '#/keys', text: 'make one on the Keys page' }), '.'));
  } else if (keystore.signer(account)) {
    box.append(h('p', { class: 'small okmsg', testid: 'key-state', 'data-value': 'unlocked',
      text: `Key ${rec.key_id} is unlocked.` }));
  } else {
    box.append(unlockForm(rec, () => route()));
  }
  return box;
}

// ids: the form's element id and test ids, when a page holds a second
// unlock form (an answer to a hub's request, below).
const UNLOCK_IDS = { input: 'unlock-pass', pass: 'key-passphrase', unlock: 'key-unlock', error: 'key-error' };

function unlockForm(rec, done, ids = UNLOCK_IDS) {
  // Not a site password: no password-manager autofill, and a name of its own.
  const pass = h('input', { id: ids.input, type: 'password', name: 'porter-key-passphrase', autocomplete: 'off',
    required: true, testid: ids.pass });
  const err = h('p', { class: 'error', role: 'alert', testid: ids.error });
  const btn = h('button', { type: 'submit', testid: ids.unlock, text: 'Unlock key' });
  const form = h('form', { autocomplete: 'off' }, h('label', { for: ids.input }, `Passphrase of key ${rec.key_id}`, pass),
    h('p', { class: 'small muted', text: 'The key stays unlocked in this tab until you lock it, sign out, leave the page or do nothing for 10 minutes.' }),
    btn, err);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    btn.disabled = true;
    err.textContent = '';
    try {
      await keystore.unlock(account, pass.value);
      pass.value = '';
      toast('Key unlocked');
      done();
    } catch (e) {
      err.textContent = errorText(e);
    } finally {
      btn.disabled = false;
    }
  });
  return form;
}

async function pageAll(path, key, max) {
  let out = [];
  let next = null;
  for (let i = 0; i < max; i++) {
    const sep = path.includes('?') ? '&' : '?';
    const r = await api.get(`${path}${sep}limit=200${next ? `&after=${api.enc(next)}` : ''}`);
    out = out.concat(r[key] || []);
    next = r.next;
    if (!next) break;
  }
  return out;
}

function eventItem(ev, alertIds, openAlerts, homeId, home) {
  const alert = isAlert(ev, alertIds);
  const d = ev.data || {};
  const bits = [];
  if (d.reason) bits.push(reasonText(d.reason));
  if (d.op) bits.push(`${d.op}`);
  if (d.answer === 'approve' || d.answer === 'deny') bits.push(d.answer === 'approve' ? 'approved' : 'denied');
  if (d.lock) bits.push(`lock ${d.lock}`);
  if (d.delivery_id) bits.push(d.delivery_id);
  const li = h('li', { class: alert ? 'alert' : '', testid: alert ? 'event-alert' : 'event', 'data-type': ev.type },
    alert ? h('span', { class: 'alert-label', testid: 'alert-label' }, h('span', { 'aria-hidden': 'true', text: '⚠ ' }), 'ALERT') : null,
    h('strong', { text: eventText(ev.type) }),
    bits.length ? h('span', { text: ` — ${bits.join(' · ')}` }) : null,
    h('div', { class: 'small muted', text: `${when(ev.at)} · ${ev.source || ''} · ${ev.type}` }));
  const open = openAlerts && openAlerts.get(ev.id);
  if (open && open.type === 'approval-request' && home) li.append(approvalBox(home, open, 'timeline'));
  else if (open) {
    li.append(h('button', { type: 'button', class: 'secondary', testid: 'alert-ack', text: 'Acknowledge',
      onclick: async (e) => {
        e.target.disabled = true;
        try {
          await api.post(`/v1/homes/${api.enc(homeId)}/alerts/${api.enc(open.id)}/ack`);
          e.target.replaceWith(h('span', { class: 'small okmsg', text: ' acknowledged' }));
        } catch (x) {
          e.target.disabled = false;
          toast(errorText(x));
        }
      } }));
  }
  return li;
}

// ---- a hub asks the owners (docs/alarm.md "Ask the owner") ----
// An open alert approval-request: what is asked, in words; Approve or
// Deny signs a PT_ENV_APPROVAL in the page for exactly that request and
// that credential (the session id shown), porterd relays it to the hubs
// (POST .../approvals), and the alert is acknowledged. porterd cannot
// make an answer, nor move one to another request or credential.

const HEX16_RE = /^[0-9a-f]{32}$/;
const PURPOSE_WORDS = { delivery: 'A delivery', guest: 'A guest', service: 'A service', resident: 'A resident' };

/** approvalAsk(data) -> the request as the page will sign for it, or null
 * when porterd's data is not a request this app can read. */
function approvalAsk(d) {
  if (!d || typeof d !== 'object' || !HEX16_RE.test(d.request || '') || !HEX16_RE.test(d.session || '')) return null;
  return {
    request: d.request,
    session: d.session,
    lock: isId(d.lock) ? d.lock : null,
    purpose: typeof d.purpose === 'string' && Object.hasOwn(PURPOSE_WORDS, d.purpose) ? d.purpose : null,
    alarm: typeof d.alarm === 'string' && /^[a-z_]{1,32}$/.test(d.alarm) ? d.alarm : 'unknown',
    expires: Number.isSafeInteger(d.expires) && d.expires > 0 ? d.expires : null,
  };
}

function approvalWords(q) {
  const who = q.purpose ? `${PURPOSE_WORDS[q.purpose]} credential` : 'A credential';
  const where = q.lock ? ` at lock ${q.lock}` : '';
  return `${who}${where} cannot get the alarm's entry zone bypassed (panel: ${q.alarm}). ` +
    'Let it in anyway? The alarm will not be disarmed or bypassed: an armed panel will see the door open.';
}

const nowS = () => Math.floor(Date.now() / 1000);

// The key was unlocked elsewhere on the page: the home page's key box says so.
function keyBoxAgain() {
  const kb = main.querySelector('[data-testid="key-box"]');
  if (kb) keyUnlockBox().then((nb) => kb.isConnected && kb.replaceWith(nb)).catch(() => {});
}

/** approvalBox(home, alert, where) -> the box of one open
 * approval-request alert: the question, its expiry, Approve and Deny
 * (owners, while it lasts). */
function approvalBox(home, al, where) {
  const q = approvalAsk(al.data);
  const box = h('div', { class: 'card approval', testid: 'approval', 'data-alert': String(al.id),
    'data-request': q ? q.request : '', 'data-where': where });
  const result = h('p', { testid: 'approval-result', 'aria-live': 'polite' });
  const ackButton = () => h('button', { type: 'button', class: 'secondary', testid: 'alert-ack', text: 'Acknowledge',
    onclick: async (e) => {
      e.target.disabled = true;
      try {
        await api.post(`/v1/homes/${api.enc(home.id)}/alerts/${api.enc(al.id)}/ack`);
        e.target.replaceWith(h('span', { class: 'small okmsg', text: ' acknowledged' }));
      } catch (x) {
        e.target.disabled = false;
        toast(errorText(x));
      }
    } });
  if (!q) {
    box.append(h('p', { class: 'error', testid: 'approval-unreadable',
      text: 'The hub asks an owner to let someone in, but porterd gave a request this app cannot read: nothing can be answered from here.' }),
    ackButton());
    return box;
  }
  box.append(h('p', { testid: 'approval-question', text: approvalWords(q) }),
    h('p', { class: 'small muted mono', testid: 'approval-ids', text: `credential ${q.session} · request ${q.request}` }));
  const expiry = h('p', { class: 'small', testid: 'approval-expiry' });
  const actions = h('div', { testid: 'approval-actions' });
  box.append(expiry, actions, result);
  let busy = false;
  let done = false;
  let timer = null;
  const expired = () => q.expires !== null && nowS() >= q.expires;
  const showExpired = () => {
    clearTimeout(timer);
    box.dataset.state = 'expired';
    expiry.textContent = `This request expired at ${when(q.expires)}: the hub no longer waits for an answer.`;
    actions.replaceChildren(ackButton());
  };
  const watchExpiry = () => {
    clearTimeout(timer);
    if (q.expires === null) return;
    // Checked again at least every minute (a device asleep meanwhile).
    timer = setTimeout(() => {
      if (!box.isConnected || done) return;
      if (expired() && !busy) showExpired();
      else watchExpiry();
    }, Math.min(60000, Math.max(1000, (q.expires - nowS()) * 1000)));
  };
  const ask = () => {
    actions.replaceChildren(
      h('div', { class: 'row' },
        h('button', { type: 'button', testid: 'approval-approve', text: 'Approve', onclick: () => step('approve') }),
        h('button', { type: 'button', class: 'danger', testid: 'approval-deny', text: 'Deny', onclick: () => step('deny') })));
  };
  const fail = (text) => {
    result.className = 'error';
    result.dataset.value = 'error';
    result.textContent = text;
  };
  // Approve or Deny: the key unlocked (its passphrase, in this box), then
  // a second, explicit confirmation, then the signature.
  const step = async (answer) => {
    if (busy || done) return;
    result.textContent = '';
    result.className = '';
    delete result.dataset.value;
    if (expired()) {
      showExpired();
      return;
    }
    if (!keystore.signer(account)) {
      const rec = await keystore.load(account).catch(() => null);
      if (!box.isConnected) return;
      if (!rec) {
        actions.replaceChildren(h('p', {}, 'No key in this browser yet: ',
          h('a', { href: '#/keys', text: 'make one on the Keys page' }), ' and have it endorsed.'));
        return;
      }
      actions.replaceChildren(h('p', { class: 'small', text: `To ${answer}, unlock your key:` }),
        unlockForm(rec, () => {
          keyBoxAgain();
          step(answer);
        }, { input: `approval-pass-${al.id}`, pass: 'approval-passphrase',
          unlock: 'approval-key-unlock', error: 'approval-key-error' }),
        h('button', { type: 'button', class: 'secondary', testid: 'approval-cancel', text: 'Cancel', onclick: ask }));
      actions.querySelector('input').focus();
      return;
    }
    const yes = h('button', { type: 'button', class: answer === 'approve' ? 'danger' : '', testid: 'approval-confirm',
      'data-answer': answer, text: answer === 'approve' ? 'Yes, let it in once' : 'Yes, refuse it',
      onclick: () => send(answer) });
    actions.replaceChildren(
      h('p', { testid: 'approval-confirm-text', text: answer === 'approve'
        ? 'The hub will let this one credential in, once, before the request expires. The alarm stays as it is.'
        : 'The hub will refuse this credential until the request expires.' }),
      h('div', { class: 'row' }, yes,
        h('button', { type: 'button', class: 'secondary', testid: 'approval-cancel', text: 'Cancel', onclick: ask })));
    yes.focus();
  };
  const send = async (answer) => {
    if (busy || done) return;
    if (expired()) {
      showExpired();
      return;
    }
    const sg = keystore.signer(account);
    if (!sg) {
      step(answer); // locked meanwhile (idle): its passphrase again
      return;
    }
    busy = true;
    actions.replaceChildren();
    result.className = '';
    result.dataset.value = 'sending';
    result.textContent = answer === 'approve' ? 'Signing the approval…' : 'Signing the denial…';
    try {
      const env = await approvalEnvelope({ sk: sg.sk, pk: sg.pk, home: home.id, request: fromHex(q.request),
        session: fromHex(q.session), answer });
      const r = await api.post(`/v1/homes/${api.enc(home.id)}/approvals`, { approval: toB64url(env) });
      done = true;
      clearTimeout(timer);
      const n = r && Number.isSafeInteger(r.hubs) ? r.hubs : 0;
      box.dataset.state = 'answered';
      result.className = 'okmsg';
      result.dataset.value = 'sent';
      result.dataset.answer = answer;
      result.textContent = `${answer === 'approve' ? 'approval' : 'denial'} sent to ${n} hub${n === 1 ? '' : 's'}`;
      try {
        await api.post(`/v1/homes/${api.enc(home.id)}/alerts/${api.enc(al.id)}/ack`);
        actions.replaceChildren(h('span', { class: 'small okmsg', testid: 'approval-acked', text: 'alert acknowledged' }));
      } catch (x) {
        actions.replaceChildren(h('span', { class: 'small error', text: `The alert was not acknowledged: ${errorText(x)}` }),
          ackButton());
      }
    } catch (e) {
      const code = e instanceof api.ApiError ? e.code : '';
      fail(`Not sent: ${code === 'stale' ? refusalText('stale') : code === 'untrusted-signer'
        ? `${errorText(e)}: this browser's key is not an owner key of the home (have it endorsed: Keys page)` : errorText(e)}`);
      if (expired()) showExpired();
      else ask();
    } finally {
      busy = false;
    }
  };
  if (expired()) showExpired();
  else if (home.role !== 'owner') {
    box.dataset.state = 'open';
    expiry.textContent = q.expires === null ? 'The hub gives no expiry time.' : `Until ${when(q.expires)}.`;
    actions.replaceChildren(h('p', { class: 'small muted', text: 'Only the home\'s owners can answer.' }), ackButton());
  } else {
    box.dataset.state = 'open';
    expiry.textContent = q.expires === null
      ? 'The hub gives no expiry time (its clock is not trusted): it forgets the request after a few minutes.'
      : `Answer before ${when(q.expires)}.`;
    ask();
    watchExpiry();
  }
  return box;
}

/** approvalsSection(home) -> {el, onEvent}: the home's open
 * approval-request alerts, read again when the stream tells of a new one.
 * A box being answered stays as it is. */
function approvalsSection(home) {
  const list = h('div', { testid: 'approvals-list' });
  const el = h('section', { 'aria-labelledby': 'approvals-title', testid: 'approvals', hidden: true },
    h('h2', { id: 'approvals-title' }, h('span', { class: 'alert-label', text: 'ASKED' }), 'The hub asks you'), list);
  const shown = new Map(); // alert id -> box
  let reading = null;
  let again = false;
  const read = () => {
    if (reading) {
      again = true;
      return;
    }
    reading = pageAll(`/v1/homes/${api.enc(home.id)}/alerts?open=true`, 'alerts', 5).then((alerts) => {
      for (const al of alerts) {
        if (al.type !== 'approval-request' || shown.has(al.id)) continue;
        const box = approvalBox(home, al, 'home');
        shown.set(al.id, box);
        list.prepend(box);
      }
      el.hidden = shown.size === 0;
    }).catch(() => {}).finally(() => {
      reading = null;
      if (again) {
        again = false;
        read();
      }
    });
  };
  read();
  return {
    el,
    onEvent(ev) {
      // (The stream's listeners go with the view: keepStreams.)
      if (ev && ev.type === 'alert.approval-request') read();
    },
  };
}

async function viewTimeline(id) {
  const v = setView('Timeline');
  const home = await findHome(id);
  keepStreams([home.id]);
  const [events, alerts] = await Promise.all([
    pageAll(`/v1/homes/${api.enc(home.id)}/events`, 'events', 10),
    pageAll(`/v1/homes/${api.enc(home.id)}/alerts`, 'alerts', 5).catch(() => []),
  ]);
  if (v !== view) return;
  const alertIds = new Set(alerts.map((a) => a.event_id));
  const openAlerts = new Map(alerts.filter((a) => !a.acked_at).map((a) => [a.event_id, a]));
  const seen = new Set(events.map((e) => e.id));
  // Live view while an entry is in progress (owners: live.js).
  const watch = home.role === 'owner' ? entryWatch({ account, home, events }) : { el: null, onEvent() {} };
  const list = h('ul', { class: 'timeline', testid: 'timeline' },
    events.slice(-200).reverse().map((ev) => eventItem(ev, alertIds, openAlerts, home.id, home)));
  const s = stream(home.id);
  let wasDown = false;
  s.listeners.add((kind, ev) => {
    // porterd replays at most 200 events after a reconnect: read the
    // timeline again rather than risk a gap.
    if (kind === 'down') wasDown = true;
    if (kind === 'open' && wasDown && v === view) {
      route();
      return;
    }
    if (kind !== 'event' || !ev || seen.has(ev.id)) return;
    seen.add(ev.id);
    watch.onEvent(ev);
    list.prepend(eventItem(ev, alertIds, null, home.id));
  });
  main.replaceChildren(h('h1', { text: `${home.name}: timeline` }), homeTabs(home, 'timeline'), ...(watch.el ? [watch.el] : []),
    h('p', { class: 'small muted', text: `${events.length} events, newest first; new ones appear as they happen. Alerts are marked ALERT.` }),
    ...(events.length ? [list] : [h('p', { class: 'muted', text: 'Nothing has happened yet.' }), list]));
}

function deliveryCard(d, refresh) {
  const c = d.courier;
  const err = h('p', { class: 'error', role: 'alert' });
  const act = (what, body) => async (e) => {
    e.target.disabled = true;
    try {
      await api.post(`/v1/deliveries/${api.enc(d.id)}/${what}`, body);
      toast(what === 'approve' ? 'Delivery approved' : 'Delivery refused');
      refresh();
    } catch (x) {
      e.target.disabled = false;
      err.textContent = errorText(x);
    }
  };
  const early = ['scheduled', 'out-for-delivery', 'at-the-door'].includes(d.state);
  const buttons = h('div', { class: 'row' },
    d.approval === 'pending' && early
      ? h('button', { type: 'button', testid: 'delivery-approve', onclick: act('approve'), text: 'Approve' }) : null,
    early ? h('button', { type: 'button', class: 'danger', testid: 'delivery-refuse',
      onclick: act('refuse', { reason: 'refused by the owner' }), text: 'Refuse' }) : null,
    ['credential-issued', 'entered', 'completed', 'failed'].includes(d.state) && d.in_home
      ? h('button', { type: 'button', class: 'secondary', testid: 'delivery-clip', text: 'Video of the entry',
        onclick: async (e) => {
          e.target.disabled = true;
          try {
            const clips = await deliveryClips(d);
            if (!clips.length) err.textContent = 'No clip recorded during this delivery yet.';
            else location.hash = `#/homes/${api.enc(d.home_id)}/clips/${api.enc(clips[clips.length - 1].id)}`;
          } catch (x) {
            err.textContent = errorText(x);
          } finally {
            e.target.disabled = false;
          }
        } }) : null);
  const field = (label, value, testid) => h('div', {}, h('dt', { text: label }), h('dd', { testid, text: value }));
  return h('article', { class: 'card', testid: 'delivery', 'data-delivery': d.id },
    h('div', { class: 'row' }, h('strong', {}, h('a', { href: `#/homes/${api.enc(d.home_id)}/deliveries/${api.enc(d.id)}`,
      testid: 'delivery-link', text: d.package_id || d.id })),
    h('span', { class: 'pill', testid: 'delivery-state', 'data-value': d.state, text: stateText(d.state) })),
    h('dl', { class: 'grid' },
      field('Carrier', d.carrier_name || d.carrier_id, 'delivery-carrier'),
      field('Courier', c ? c.name : 'not assigned yet', 'delivery-courier'),
      field('Checked', c ? levelText(c.level) + (c.attested ? ' (attested)' : '') : '—', 'delivery-level'),
      field('Approval', d.approval, 'delivery-approval'),
      field('In the home', d.in_home ? 'yes' : 'no, at the door', 'delivery-inhome'),
      field('Window', `${when(d.window_start)} – ${when(d.window_end)}`, 'delivery-window')),
    d.reason ? h('p', { class: 'small', text: `Reason: ${d.reason}` }) : null,
    buttons, err);
}

async function viewDeliveries(id) {
  const v = setView('Deliveries');
  const home = await findHome(id);
  keepStreams([]);
  const list = await pageAll(`/v1/deliveries?home=${api.enc(home.id)}`, 'deliveries', 5);
  if (v !== view) return;
  const order = ['at-the-door', 'out-for-delivery', 'scheduled', 'credential-issued', 'entered'];
  const rank = (d) => (order.includes(d.state) ? order.indexOf(d.state) : 10);
  list.sort((a, b) => rank(a) - rank(b) || (b.updated_at || 0) - (a.updated_at || 0));
  main.replaceChildren(h('h1', { text: `${home.name}: deliveries` }), homeTabs(home, 'deliveries'),
    list.length ? h('div', { testid: 'deliveries' }, list.map((d) => deliveryCard(d, () => route())))
      : h('p', { class: 'muted', testid: 'deliveries-empty', text: 'No deliveries for this home.' }));
}

// One delivery, followed live: the home's stream (the only one open) tells
// of each delivery.<state> event; the card is read again and redrawn in
// place, without reloading the page.
async function viewDelivery(homeId, deliveryId) {
  const v = setView('Delivery');
  const home = await findHome(homeId);
  keepStreams([home.id]);
  const path = `/v1/deliveries/${api.enc(deliveryId)}`;
  const first = await api.get(path);
  if (v !== view) return;
  const note = h('p', { class: 'small muted', testid: 'stream-status', role: 'status', 'aria-live': 'polite',
    text: 'connecting to the live state…' });
  const box = h('div', { testid: 'delivery-live', 'aria-live': 'polite' });
  let reading = null;
  let again = false;
  const draw = (d) => box.replaceChildren(deliveryCard(d, reread));
  async function reread() {
    if (reading) {
      again = true;
      return;
    }
    reading = api.get(path).then((d) => {
      if (v === view) draw(d);
    }).catch(() => {}).finally(() => {
      reading = null;
      if (again && v === view) {
        again = false;
        reread();
      }
    });
  }
  draw(first);
  const s = stream(home.id);
  let wasDown = false;
  s.listeners.add((kind, ev) => {
    if (v !== view) return;
    if (kind === 'open') {
      note.textContent = 'live: changes appear as they happen';
      if (wasDown) reread(); // events may have been missed
      wasDown = false;
    } else if (kind === 'down') {
      wasDown = true;
      note.textContent = 'reconnecting…';
    } else if (kind === 'event' && ev && typeof ev.type === 'string' && ev.type.startsWith('delivery.') &&
      ev.data && ev.data.delivery_id === deliveryId) reread();
  });
  if (s.connected) note.textContent = 'live: changes appear as they happen';
  main.replaceChildren(h('h1', { text: `${home.name}: delivery` }), homeTabs(home, 'deliveries'), note, box);
}

// Guests: a root grant (purpose guest, no further delegation) signed in
// the page with the owner's key, for the guest's device key, on a weekly
// schedule in the home's zone; uploaded to porterd, handed to the guest.
const DAYS = [['Mon', 1], ['Tue', 2], ['Wed', 3], ['Thu', 4], ['Fri', 5], ['Sat', 6], ['Sun', 0]];

function minutes(hhmm) {
  const m = /^(\d\d):(\d\d)$/.exec(hhmm);
  return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
}

// People (issue 7): the carriers accepted and on what terms (their
// delegations, read from the signed grants), guests and services with
// their schedules, the household; each revocable from here.
async function viewPeople(id) {
  const v = setView('People');
  homes = null; // the policy's carriers, read afresh
  const home = await findHome(id);
  keepStreams([]);
  const grants = await pageAll(`/v1/homes/${api.enc(home.id)}/grants`, 'grants', 5).catch(() => []);
  const revoked = new Set();
  const revokedKeys = new Set();
  try {
    const r = await api.get(`/v1/homes/${api.enc(home.id)}/revocations`);
    for (const x of r.revocations || []) {
      if (x.kind === 'token' && typeof x.target === 'string') revoked.add(x.target);
      if (x.kind === 'key' && typeof x.target === 'string') revokedKeys.add(x.target);
    }
  } catch { /* shown without */ }
  const carriers = await carriersSection(home, grants, revoked, revokedKeys);
  if (v !== view) return;
  const content = [h('h1', { text: `${home.name}: people` }), homeTabs(home, 'people'), ...carriers,
    h('h2', { text: 'Guests and services' })];
  const grantItem = (g) => {
    const gone = revoked.has(g.token_id);
    const li = h('li', { testid: 'grant', 'data-token': g.token_id, 'data-revoked': gone ? 'yes' : 'no' },
      h('strong', { text: g.label || g.token_id }), ` — ${g.purpose}, ${g.links} link${g.links === 1 ? '' : 's'}`,
      gone ? h('span', { class: 'alert-label', testid: 'grant-revoked', text: 'REVOKED (as porterd lists it)' }) : null,
      h('div', { class: 'small muted mono', text: `token ${g.token_id} · until ${g.expires_at ? when(g.expires_at) : 'no end'}` }),
      grantSchedule(home, g, roots));
    // porterd's list of revocations is not checked here, so a grant it
    // marks revoked keeps a "Revoke again" (a duplicate is harmless).
    if (home.role === 'owner' && /^[0-9a-f]{32}$/.test(g.token_id || '')) li.append(revokeBox(home, g, li, gone));
    return li;
  };
  const roots = await homeRoots(home);
  if (v !== view) return;
  const grantList = h('ul', { class: 'timeline', testid: 'grants' }, grants.slice().reverse().map(grantItem));
  if (home.role === 'owner') {
    const input = (idv, attrs) => h('input', { id: idv, ...attrs });
    const holder = input('g-holder', { type: 'text', required: true, pattern: '[A-Za-z0-9_\\-]{43}', spellcheck: 'false',
      autocomplete: 'off', testid: 'grant-holder' });
    const label = input('g-label', { type: 'text', maxlength: 100, value: 'guest', testid: 'grant-label' });
    const purposeSel = h('select', { id: 'g-purpose', testid: 'grant-purpose' },
      h('option', { value: 'guest', text: 'a guest' }), h('option', { value: 'service', text: 'a service (the cleaner, a dog walker)' }));
    const lock = input('g-lock', { type: 'text', pattern: '[A-Za-z0-9_\\-][A-Za-z0-9._\\-]{0,63}', placeholder: 'every lock',
      testid: 'grant-lock' });
    const from = input('g-from', { type: 'time', value: '08:00', required: true, testid: 'grant-from' });
    const to = input('g-to', { type: 'time', value: '20:00', required: true, testid: 'grant-to' });
    const until = new Date(Date.now() + 30 * 86400e3).toISOString().slice(0, 10);
    const exp = input('g-exp', { type: 'date', value: until, required: true, testid: 'grant-until' });
    const entries = input('g-entries', { type: 'number', min: 1, max: 1000000, placeholder: 'unlimited', testid: 'grant-entries' });
    const note = input('g-note', { type: 'text', maxlength: 280, testid: 'grant-note' });
    const boxes = DAYS.map(([name, bit]) => {
      const cb = h('input', { type: 'checkbox', id: `g-day-${name}`, 'data-bit': bit, checked: bit >= 1 && bit <= 5,
        testid: `grant-day-${name.toLowerCase()}` });
      return h('label', { class: 'day', for: `g-day-${name}` }, cb, name);
    });
    const err = h('p', { class: 'error', role: 'alert', testid: 'grant-error' });
    const out = h('div', { testid: 'grant-result' });
    const btn = h('button', { type: 'submit', testid: 'grant-create', text: 'Sign and upload' });
    const form = h('form', { class: 'wide' },
      h('label', { for: 'g-holder' }, 'Guest\'s device key (base64url, 43 characters)', holder),
      h('label', { for: 'g-purpose' }, 'Who', purposeSel),
      h('label', { for: 'g-label' }, 'Label', label),
      h('label', { for: 'g-lock' }, 'Lock (empty: every lock)', lock),
      h('fieldset', {}, h('legend', { text: `Days (${home.tz})` }), h('div', { class: 'row' }, boxes)),
      h('div', { class: 'row' }, h('label', { for: 'g-from' }, 'From', from), h('label', { for: 'g-to' }, 'Until', to)),
      h('label', { for: 'g-exp' }, 'Valid until the end of (UTC)', exp),
      h('label', { for: 'g-entries' }, 'Entries (empty: unlimited)', entries),
      h('label', { for: 'g-note' }, 'Note shown at the door', note),
      btn, err);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      err.textContent = '';
      out.replaceChildren();
      const sg = keystore.signer(account);
      if (!sg) {
        err.textContent = 'Unlock your key first (Keys page or the home page).';
        return;
      }
      btn.disabled = true;
      try {
        let holderKey;
        try {
          holderKey = fromB64url(holder.value.trim());
        } catch {
          throw new Error('the guest\'s key is not base64url');
        }
        if (holderKey.length !== 32) throw new Error('the guest\'s key is not 32 bytes');
        let days = 0;
        for (const b of boxes) if (b.firstChild.checked) days |= 1 << Number(b.firstChild.dataset.bit);
        if (!days) throw new Error('choose at least one day');
        let start = minutes(from.value);
        let end = minutes(to.value);
        if (end === 0) end = 1440;
        if (!(start < end)) throw new Error('the end time must be after the start time (an overnight stay needs two grants)');
        const expAt = Math.floor(Date.parse(`${exp.value}T00:00:00Z`) / 1000) + 86400;
        const now = Math.floor(Date.now() / 1000);
        if (!(expAt > now)) throw new Error('the end date is in the past');
        const s = await getSodium();
        const g = { sk: sg.sk, pk: sg.pk, home: home.id, exp: expAt, iat: now, cti: s.randombytes_buf(16),
          holder: holderKey, purpose: purposeSel.value === 'service' ? 'service' : 'guest', depth: 0, tz: home.tz,
          weekly: [[days, start, end]] };
        if (lock.value.trim()) g.locks = [lock.value.trim()];
        if (entries.value) g.entries = Number(entries.value);
        if (note.value.trim()) g.note = note.value.trim();
        const chain = toB64url(rootChain(await grantLink(g)));
        const r = await api.post(`/v1/homes/${api.enc(home.id)}/grants`, { chain, label: label.value.trim() || 'guest' });
        grantList.prepend(grantItem({ ...r, chain }));
        out.append(h('p', { class: 'okmsg', text: `Stored: token ${r.token_id}, valid until ${when(r.expires_at)}.` }),
          h('p', { text: 'Give the guest this credential (base64url of the chain; porter cred inspect shows it once decoded):' }),
          h('pre', { class: 'cmd', testid: 'grant-chain', 'data-token': r.token_id, text: chain }));
      } catch (e) {
        err.textContent = errorText(e);
      } finally {
        btn.disabled = false;
      }
    });
    content.push(h('h3', { text: 'Let a guest in' }),
      h('p', { class: 'small muted', text: 'Signed here with your key (which the hub must trust: see Keys). Purpose guest, no further delegation.' }),
      form, out);
  }
  content.push(h('h3', { text: 'Credentials of this home' }), grantList);
  const members = membersSection(home, home.role === 'owner');
  content.push(h('h2', { text: 'Household members' }), ...members.el,
    home.role === 'owner'
      ? h('p', { class: 'small' }, 'Add someone on ', h('a', { href: `#/homes/${api.enc(home.id)}/settings`, text: 'the Settings page' }), '.')
      : h('p', { class: 'small muted', text: 'The owners add and remove members.' }));
  main.replaceChildren(...content);
}

// The owner keys a grant of the home may be rooted in, as the page knows
// them: this browser's key and porterd's list of the home's owner keys.
async function homeRoots(home) {
  const rec = await keystore.load(account).catch(() => null);
  const keys = await api.get(`/v1/homes/${api.enc(home.id)}/owner-keys`).then((r) => r.keys || []).catch(() => []);
  return [rec ? bytesOf(rec.public_key) : null, ...keys.map((k) => bytesOf(k.public_key))].filter((k) => k && k.length === 32);
}

// A credential's schedule and limits, read from its signed chain (the
// last link's terms; porter.js readChain), in the home's zone.
function grantSchedule(home, g, roots) {
  const el = h('div', { class: 'small', testid: 'grant-terms' });
  const bytes = bytesOf(g.chain);
  (bytes ? readChain(bytes, { rootKeys: roots, home: home.id }) : Promise.reject(new Error('porterd gave no chain'))).then((r) => {
    const t = r.leaf;
    const rows = Object.fromEntries(termsRows(t, { tz: home.tz, rootKid: r.rootKid, links: r.links.length }).map(([k, , x]) => [k, x]));
    el.dataset.checked = 'yes';
    el.dataset.days = rows.days;
    el.textContent = `${rows.days}; ${rows.valid}; entries: ${t.entries === null ? 'unlimited' : t.entries}; ${rows.locks}` +
      `${t.note !== null ? `; note: ${t.note}` : ''}${t.duress ? '; DURESS credential' : ''} (read from the signed chain)`;
  }, (e) => {
    el.dataset.checked = 'no';
    el.className = 'small error';
    el.textContent = `Terms not shown: the chain does not check out here (${errorText(e)}${e && e.code ? `, ${e.code}` : ''}).`;
  });
  return el;
}

// ---- carriers (People page): the policy's accepted carriers and the
// owners' delegations to them. A delegation is a grant whose last link's
// holder is a carrier's key; its terms are read from the signed chain
// (porter.js readChain: every signature, the narrowing, the home), rooted
// in this browser's key or one of the home's owner keys, never from
// porterd's description, which must agree with the chain or the
// delegation is shown failing. ----

function bytesOf(b64) {
  try {
    const b = fromB64url(String(b64 || ''));
    return b.length ? b : null;
  } catch {
    return null;
  }
}

async function carriersSection(home, grants, revoked, revokedKeys) {
  const owner = home.role === 'owner';
  const pol = home.policy || {};
  const accepted = Array.isArray(pol.carriers) ? pol.carriers.filter((x) => typeof x === 'string') : [];
  const rec = await keystore.load(account).catch(() => null);
  const ownPk = rec ? bytesOf(rec.public_key) : null;
  const ownerKeys = await api.get(`/v1/homes/${api.enc(home.id)}/owner-keys`).then((r) => r.keys || []).catch(() => []);
  const roots = [ownPk, ...ownerKeys.map((k) => bytesOf(k.public_key))].filter((k) => k && k.length === 32);
  // porterd's directory names the keys; an accepted carrier not in its
  // first pages is asked for by id.
  const dir = await pageAll('/v1/carriers', 'carriers', 5).catch(() => []);
  const byId = new Map();
  for (const c of dir) if (c && typeof c.id === 'string') byId.set(c.id, c);
  for (const cid of accepted) {
    if (byId.has(cid)) continue;
    if (!isId(cid)) {
      byId.set(cid, { id: cid, missing: true });
      continue;
    }
    byId.set(cid, await api.get(`/v1/carriers/${api.enc(cid)}`).catch(() => ({ id: cid, missing: true })));
  }
  const byKey = new Map(); // hex of the key -> carrier
  for (const c of byId.values()) {
    const pk = c.missing ? null : bytesOf(c.public_key);
    c.pk = pk && pk.length === 32 ? pk : null;
    c.kidHex = c.pk ? toHex(await kid(c.pk)) : null;
    c.keyOk = !!c.pk && c.kidHex === c.key_id;
    if (c.pk) byKey.set(toHex(c.pk), c);
  }
  // Every grant whose last holder is a carrier key, or which a carrier
  // could use (delivery, may be handed on): a delegation.
  const dels = [];
  for (const g of grants) {
    const bytes = bytesOf(g.chain);
    const holder = bytes ? chainHolder(bytes) : null;
    const carrier = holder ? byKey.get(toHex(holder)) || null : null;
    let read = null;
    let fail = null;
    try {
      if (!bytes) throw Object.assign(new Error('porterd gave no chain'), { code: 'malformed' });
      read = await readChain(bytes, { rootKeys: roots, home: home.id });
      const leaf = read.leaf;
      const differs = [];
      if (g.token_id !== read.tokenId) differs.push(`token id ${g.token_id}`);
      if (g.holder !== toB64url(read.holder)) differs.push('holder');
      if (g.purpose !== leaf.purpose) differs.push(`purpose ${g.purpose}`);
      if ((g.expires_at ?? null) !== leaf.exp) differs.push('expiry');
      if (g.links !== read.links.length) differs.push('number of links');
      if (differs.length) {
        throw Object.assign(new Error(`porterd describes it otherwise than the signed chain says (${differs.join(', ')})`),
          { code: 'porterd-differs' });
      }
    } catch (e) {
      fail = e;
      read = null;
    }
    if (!carrier && !(read && read.leaf.purpose === 'delivery' && read.leaf.depth >= 1)) continue;
    const isRevoked = read ? revoked.has(read.tokenId) || read.links.some((l) => revoked.has(l.terms.tokenId) ||
      revokedKeys.has(toB64url(l.terms.holder))) || revokedKeys.has(toB64url(read.rootKey)) : revoked.has(g.token_id);
    dels.push({ g, carrier, read, fail, revoked: isRevoked });
  }
  const shown = new Set(accepted);
  for (const d of dels) if (d.carrier) shown.add(d.carrier.id);
  const list = h('ul', { class: 'timeline', testid: 'carriers' });
  for (const cid of shown) {
    const c = byId.get(cid) || { id: cid, missing: true };
    list.append(carrierItem(home, c, accepted.includes(cid), dels.filter((d) => d.carrier === c), ownPk));
  }
  const strays = dels.filter((d) => !d.carrier);
  if (strays.length) {
    list.append(h('li', { testid: 'carrier', 'data-carrier': '', 'data-accepted': 'no', 'data-mismatch': 'unknown-key', class: 'alert' },
      h('span', { class: 'alert-label', text: 'NO CARRIER' }),
      h('strong', { text: 'Delegations to keys of no carrier porterd lists' }),
      h('p', { class: 'small', text: 'They may deliver (delivery, may be handed on), but to whom porterd cannot say. Revoke them if they are not meant to be.' }),
      h('ul', { class: 'timeline' }, strays.map((d) => delegationItem(home, d, pol, null)))));
  }
  const out = [h('h2', { text: 'Carriers' }),
    h('p', { class: 'small muted', text: 'A carrier delivers inside only when the delivery policy accepts it and an owner delegated to it. ' +
      'The terms below are read from the delegation the owner signed, checked in this page; porterd\'s description is not trusted.' }),
    shown.size || strays.length ? list : h('p', { class: 'muted', testid: 'carriers-none', text: 'No carrier is accepted or delegated to.' })];
  if (owner) out.push(delegateForm(home, [...byId.values()].filter((c) => c.keyOk), accepted));
  return out;
}

function carrierItem(home, c, isAccepted, ds, ownPk) {
  const pol = home.policy || {};
  const usable = ds.filter((d) => d.read && !d.revoked && !unusable(d.read.leaf, pol).length);
  const live = ds.filter((d) => d.read && !d.revoked);
  const mismatch = isAccepted && !usable.length ? 'no-delegation' : !isAccepted && live.length ? 'not-accepted' : '';
  const li = h('li', { testid: 'carrier', 'data-carrier': c.id, 'data-accepted': isAccepted ? 'yes' : 'no',
    'data-delegations': String(ds.length), 'data-usable': String(usable.length), 'data-mismatch': mismatch,
    class: mismatch ? 'alert' : null });
  li.append(h('strong', { text: c.missing ? c.id : c.name }), ` ${c.id} `,
    h('span', { class: 'pill', testid: 'carrier-accepted', text: isAccepted ? 'accepted by the policy' : 'NOT in the policy' }));
  if (c.missing) {
    li.append(h('p', { class: 'error', text: 'porterd knows no carrier with this id: the policy names it, but no delivery can come from it.' }));
  } else {
    li.append(h('p', { class: 'small mono', testid: 'carrier-key', 'data-kid': c.kidHex || '' },
      c.keyOk ? `key id ${c.kidHex} (computed from the key porterd gives; compare it with the carrier's)`
        : `porterd says key id ${c.key_id}, but the key it gives has the id ${c.kidHex}: do not trust this entry`),
    h('p', { class: 'small', testid: 'carrier-verification', text: `${c.hosted ? 'porterd holds its key and issues its couriers\' credentials at the door' : 'It holds its own key and issues its couriers\' credentials itself'}. ` +
      'Verification: each courier is enrolled with a level the carrier signs (basic, ID checked, background checked), shown on the delivery before the door opens; this home sets no minimum level.' }));
  }
  if (mismatch === 'no-delegation') {
    li.append(h('p', { testid: 'carrier-mismatch' }, h('span', { class: 'alert-label', text: 'NO DELEGATION' }),
      `Accepted by the policy, but no delegation porterd can use${ds.length ? ' (those below are revoked, failing or unusable)' : ''}: it issues no courier's credential for this carrier (no-delegation). Delegate below, or take it out of the policy (Settings).`));
  } else if (mismatch === 'not-accepted') {
    li.append(h('p', { testid: 'carrier-mismatch' }, h('span', { class: 'alert-label', text: 'NOT ACCEPTED' }),
      'Delegated to, but the policy does not accept this carrier: porterd refuses its deliveries. Revoke the delegation if it is not meant to be.'));
  }
  li.append(ds.length ? h('ul', { class: 'timeline' }, ds.map((d) => delegationItem(home, d, pol, c)))
    : h('p', { class: 'small muted', text: 'No delegation to this carrier.' }));
  if (home.role === 'owner' && c.keyOk && !(ownPk && toHex(ownPk) === toHex(c.pk))) {
    li.append(keyRevokeBox(home, { public_key: c.public_key, key_id: c.key_id }, 'carrier-key',
      `Revoke ${c.name}'s key at this home`, 'Every credential that names this key stops opening the door, those porterd may not list included; a new delegation to this carrier then needs a new carrier key.'));
  }
  return li;
}

function delegationItem(home, d, pol, c) {
  const r = d.read;
  const state = !r ? 'failing' : d.revoked ? 'revoked' : 'verified';
  const li = h('li', { testid: 'delegation', 'data-token': r ? r.tokenId : d.g.token_id || '', 'data-state': state });
  li.append(h('strong', { text: d.g.label || 'delegation' }), ' ');
  if (!r) {
    const code = d.fail && d.fail.code ? d.fail.code : 'malformed';
    li.append(h('span', { class: 'alert-label', testid: 'delegation-state', 'data-value': 'failing', 'data-reason': code, text: 'FAILING' }),
      h('p', { class: 'error', testid: 'delegation-failure',
        text: `${errorText(d.fail)}${code !== 'porterd-differs' ? ` (${code})` : ''}. Its terms are not shown: what porterd gave does not check out against the owner's signature. porterd calls it token ${d.g.token_id} (not checked).` }));
    if (c && c.keyOk && home.role === 'owner')
      li.append(h('p', { class: 'small', text: 'To be sure this carrier can use no delegation, revoke the carrier\'s key below.' }));
    return li;
  }
  li.append(state === 'revoked' ? h('span', { class: 'alert-label', testid: 'delegation-state', 'data-value': 'revoked', text: 'REVOKED (as porterd lists it)' })
    : h('span', { class: 'pill on', testid: 'delegation-state', 'data-value': 'verified', text: 'signature checked in this page' }));
  const dl = h('dl', { class: 'grid', testid: 'delegation-terms' });
  for (const [key, label, text] of termsRows(r.leaf, { tz: home.tz, rootKid: r.rootKid, links: r.links.length }))
    dl.append(h('div', {}, h('dt', { text: label }), h('dd', { 'data-term': key, class: key === 'token' ? 'mono' : null, text })));
  li.append(dl);
  const why = unusable(r.leaf, pol);
  if (why.length && state !== 'revoked')
    li.append(h('p', { testid: 'delegation-unusable' }, h('span', { class: 'alert-label', text: 'UNUSED' }),
      `porterd issues no courier's credential under it: ${why.join('; ')}.`));
  if (home.role === 'owner') li.append(delegationRevokeBox(home, d, li, c, state === 'revoked'));
  return li;
}

// Revoke a delegation: a PT_ENV_REVOCATION of the token id of the chain's
// last link, as readChain read it (never porterd's token_id), signed here.
// The couriers' credentials made from it carry that link: the hubs refuse
// them all once they have fetched it, and porterd issues no more.
function delegationRevokeBox(home, d, li, c, again) {
  const t = d.read;
  const box = h('div', { class: 'row' });
  const err = h('p', { class: 'error', role: 'alert', testid: 'delegation-revoke-error' });
  const who = c ? c.name : 'this key';
  const details = h('p', { class: 'small', testid: 'delegation-revoke-details', 'data-token': t.tokenId, hidden: true,
    text: `Token ${t.tokenId}, to ${who} (holder key ${toB64url(t.holder)}), signed by owner key ${t.rootKid}. ` +
      'Every courier\'s credential made from it stops opening the door once the hubs have fetched the revocation, and porterd issues no more under it.' });
  const ask = h('button', { type: 'button', class: 'secondary', testid: again ? 'delegation-revoke-again' : 'delegation-revoke',
    text: again ? 'Revoke again' : `Revoke this delegation to ${who}` });
  const sure = h('button', { type: 'button', class: 'danger', testid: 'delegation-revoke-confirm', hidden: true,
    text: `Revoke token ${t.tokenId} for good` });
  const cancel = h('button', { type: 'button', class: 'secondary', testid: 'delegation-revoke-cancel', hidden: true, text: 'Cancel' });
  ask.addEventListener('click', () => {
    err.textContent = '';
    ask.hidden = true;
    sure.hidden = cancel.hidden = details.hidden = false;
    sure.focus();
  });
  cancel.addEventListener('click', () => {
    ask.hidden = false;
    sure.hidden = cancel.hidden = details.hidden = true;
  });
  sure.addEventListener('click', async () => {
    err.textContent = '';
    const sg = keystore.signer(account);
    if (!sg) {
      const rec = await keystore.load(account).catch(() => null);
      err.textContent = rec ? 'Unlock your key, then revoke again.' : 'This browser has no owner key (see Keys): revoke it from a device that has one.';
      if (rec && !box.querySelector('form')) box.append(unlockForm(rec, () => box.querySelector('form')?.remove()));
      return;
    }
    sure.disabled = cancel.disabled = true;
    try {
      let version = null;
      try {
        const env = await revocationEnvelope({ sk: sg.sk, pk: sg.pk, home: home.id, tokenId: fromHex(t.tokenId) });
        version = (await api.post(`/v1/homes/${api.enc(home.id)}/revocations`, { revocation: toB64url(env) })).version;
      } catch (e) {
        if (!(e instanceof api.ApiError && e.status === 409 && e.code === 'exists')) throw e;
      }
      li.dataset.state = 'revoked';
      box.replaceChildren(h('span', { class: 'alert-label', testid: 'delegation-revoked', text: 'REVOKED' }),
        h('span', { class: 'small', text: version === null ? `token ${t.tokenId} was revoked already`
          : `token ${t.tokenId}: revocation version ${version}: the hubs refuse its couriers' credentials once they have fetched it` }));
    } catch (e) {
      err.textContent = errorText(e);
      sure.disabled = cancel.disabled = false;
    }
  });
  box.append(ask, sure, cancel, details, err);
  return box;
}

// Delegate to a carrier: a root grant signed here with the owner key,
// purpose delivery, depth 1 (the carrier to one courier's device), on a
// weekly schedule in the home's zone, for the carrier's key from porterd's
// directory (its key id, computed here, shown before signing).
function delegateForm(home, carriers, accepted) {
  const pol = home.policy || {};
  const sorted = carriers.slice().sort((a, b) => Number(accepted.includes(b.id)) - Number(accepted.includes(a.id)));
  const wrap = h('section', { 'aria-labelledby': 'delegate-title' }, h('h3', { id: 'delegate-title', text: 'Delegate to a carrier' }));
  if (!sorted.length) {
    wrap.append(h('p', { class: 'muted', text: 'porterd lists no carrier to delegate to.' }));
    return wrap;
  }
  const sel = h('select', { id: 'd-carrier', testid: 'delegate-carrier' },
    sorted.map((c) => h('option', { value: c.id, text: `${c.name} (${c.id})${accepted.includes(c.id) ? '' : ': not in the policy'}` })));
  const keyNote = h('p', { class: 'small mono', testid: 'delegate-key' });
  const showKey = () => {
    const c = sorted.find((x) => x.id === sel.value);
    keyNote.textContent = c ? `${c.name}'s key id ${c.kidHex} (computed from the key porterd gives)` : '';
  };
  sel.addEventListener('change', showKey);
  showKey();
  const input = (idv, attrs) => h('input', { id: idv, ...attrs });
  const from = input('d-from', { type: 'time', value: '08:00', required: true, testid: 'delegate-from' });
  const to = input('d-to', { type: 'time', value: '20:00', required: true, testid: 'delegate-to' });
  const until = new Date(Date.now() + 90 * 86400e3).toISOString().slice(0, 10);
  const exp = input('d-exp', { type: 'date', value: until, required: true, testid: 'delegate-until' });
  const entries = input('d-entries', { type: 'number', min: 1, max: 1000000, value: 50, required: true, testid: 'delegate-entries' });
  const door = input('d-door', { type: 'number', min: 1, max: 86400, value: 120, testid: 'delegate-door' });
  const lock = input('d-lock', { type: 'text', pattern: '[A-Za-z0-9_\\-][A-Za-z0-9._\\-]{0,63}', placeholder: 'every lock', testid: 'delegate-lock' });
  const note = input('d-note', { type: 'text', maxlength: 280, testid: 'delegate-note' });
  const label = input('d-label', { type: 'text', maxlength: 100, testid: 'delegate-label', placeholder: 'delegation' });
  const cb = (idv, text, on, testid) => {
    const x = h('input', { type: 'checkbox', id: idv, checked: on, testid });
    return { x, el: h('label', { class: 'day', for: idv }, x, text) };
  };
  const cam = cb('d-cam', 'The camera must be working', pol.camera_required !== false, 'delegate-camera');
  const alarm = cb('d-alarm', 'The alarm stays armed (entry zone bypassed)', pol.alarm_bypass_required !== false, 'delegate-alarm');
  const boxes = DAYS.map(([name, bit]) => {
    const x = h('input', { type: 'checkbox', id: `d-day-${name}`, 'data-bit': bit, checked: bit >= 1 && bit <= 5,
      testid: `delegate-day-${name.toLowerCase()}` });
    return h('label', { class: 'day', for: `d-day-${name}` }, x, name);
  });
  const err = h('p', { class: 'error', role: 'alert', testid: 'delegate-error' });
  const btn = h('button', { type: 'submit', testid: 'delegate-create', text: 'Sign and upload the delegation' });
  const form = h('form', { class: 'wide', testid: 'delegate-form' },
    h('label', { for: 'd-carrier' }, 'Carrier', sel), keyNote,
    h('fieldset', {}, h('legend', { text: `Days (${home.tz})` }), h('div', { class: 'row' }, boxes)),
    h('div', { class: 'row' }, h('label', { for: 'd-from' }, 'From', from), h('label', { for: 'd-to' }, 'Until', to)),
    h('label', { for: 'd-exp' }, 'Valid until the end of (UTC)', exp),
    h('label', { for: 'd-entries' }, 'Entries in all (each courier\'s credential uses 1)', entries),
    h('label', { for: 'd-door' }, 'Door open at most (seconds; empty: no limit)', door),
    cam.el, alarm.el,
    h('label', { for: 'd-lock' }, 'Lock (empty: every lock)', lock),
    h('label', { for: 'd-note' }, 'Note shown to couriers at the door', note),
    h('label', { for: 'd-label' }, 'Label', label),
    h('p', { class: 'small muted', text: 'Signed here with your key (which the hub must trust: see Keys). Purpose delivery; the carrier may hand it on once, to a courier\'s device, never wider than this.' }),
    btn, err);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.textContent = '';
    const sg = keystore.signer(account);
    if (!sg) {
      err.textContent = 'Unlock your key first (Keys page or the home page).';
      return;
    }
    btn.disabled = true;
    try {
      const c = sorted.find((x) => x.id === sel.value);
      if (!c || !c.keyOk) throw new Error('choose a carrier whose key checks out');
      let days = 0;
      for (const b of boxes) if (b.firstChild.checked) days |= 1 << Number(b.firstChild.dataset.bit);
      if (!days) throw new Error('choose at least one day');
      const start = minutes(from.value);
      let end = minutes(to.value);
      if (end === 0) end = 1440;
      if (!(start < end)) throw new Error('the end time must be after the start time');
      const expAt = Math.floor(Date.parse(`${exp.value}T00:00:00Z`) / 1000) + 86400;
      const now = Math.floor(Date.now() / 1000);
      if (!(expAt > now)) throw new Error('the end date is in the past');
      const s = await getSodium();
      const g = { sk: sg.sk, pk: sg.pk, home: home.id, exp: expAt, iat: now, cti: s.randombytes_buf(16), holder: c.pk,
        purpose: 'delivery', depth: 1, entries: Number(entries.value), tz: home.tz, weekly: [[days, start, end]] };
      const conditions = (cam.x.checked ? 1 : 0) | (alarm.x.checked ? 2 : 0);
      if (conditions) g.conditions = conditions;
      if (door.value) g.doorOpenMax = Number(door.value);
      if (lock.value.trim()) g.locks = [lock.value.trim()];
      if (note.value.trim()) g.note = note.value.trim();
      const chain = toB64url(rootChain(await grantLink(g)));
      const r = await api.post(`/v1/homes/${api.enc(home.id)}/grants`, { chain, label: label.value.trim() || `${c.name} delegation` });
      toast(`Delegated to ${c.name}: token ${r.token_id}`);
      route();
    } catch (e) {
      err.textContent = errorText(e);
      btn.disabled = false;
    }
  });
  wrap.append(form);
  return wrap;
}

// Revoke a credential: a PT_ENV_REVOCATION of its token id, signed here
// with the owner key (porterd cannot make one), stored by porterd and
// fetched by the hubs. Irreversible, so it asks once more.
// What is revoked is the token id of the chain's last link, read from the
// chain itself (its links' signatures checked, the root's with this
// browser's key or a home owner key), never porterd's token_id or label
// alone: the confirmation shows the holder, purpose, expiry and token id.
function revokeBox(home, g, li, again = false) {
  const box = h('div', { class: 'row' });
  const err = h('p', { class: 'error', role: 'alert', testid: 'grant-revoke-error' });
  const details = h('p', { class: 'small mono', testid: 'grant-revoke-details', hidden: true });
  const ask = h('button', { type: 'button', class: 'secondary', testid: again ? 'grant-revoke-again' : 'grant-revoke',
    text: again ? 'Revoke again' : 'Revoke' });
  const sure = h('button', { type: 'button', class: 'danger', testid: 'grant-revoke-confirm', hidden: true, text: 'Revoke for good' });
  const cancel = h('button', { type: 'button', class: 'secondary', testid: 'grant-revoke-cancel', hidden: true, text: 'Cancel' });
  let target = null; // the chain's last link, checked
  ask.addEventListener('click', async () => {
    err.textContent = '';
    ask.disabled = true;
    try {
      let chain;
      try {
        chain = fromB64url(String(g.chain || ''));
      } catch {
        throw new Error('porterd gave no readable chain for this credential');
      }
      const roots = [];
      const rec = await keystore.load(account).catch(() => null);
      if (rec && rec.public_key) roots.push(fromB64url(rec.public_key));
      const keys = await api.get(`/v1/homes/${api.enc(home.id)}/owner-keys`).then((r) => r.keys || []).catch(() => []);
      for (const k of keys) {
        try {
          roots.push(fromB64url(k.public_key));
        } catch { /* not a key */ }
      }
      const c = await chainSummary(chain, roots);
      if (c.tokenId !== g.token_id)
        throw new Error(`porterd lists token ${g.token_id}, but the chain's last link is token ${c.tokenId}: not revoked`);
      target = c;
      const own = rec && rec.public_key && toHex(await kid(fromB64url(rec.public_key))) === c.rootKid;
      details.textContent = `Token ${c.tokenId}: holder key ${toB64url(c.holder)}, ${c.purpose}, ` +
        `until ${c.exp === null ? 'no end' : when(c.exp)}, ${c.links} link${c.links === 1 ? '' : 's'}, ` +
        `issued by owner key ${c.rootKid}${own ? ' (this browser\'s)' : ''}${c.rootChecked ? '' : ' (its signature not checked: the key is not known here)'}.`;
      details.dataset.token = c.tokenId;
      sure.textContent = `Revoke token ${c.tokenId} for good`;
      details.hidden = false;
      ask.hidden = true;
      sure.hidden = cancel.hidden = false;
      sure.focus();
    } catch (e) {
      err.textContent = `Not revoked: ${errorText(e)}`;
    } finally {
      ask.disabled = false;
    }
  });
  cancel.addEventListener('click', () => {
    ask.hidden = false;
    sure.hidden = cancel.hidden = details.hidden = true;
    target = null;
  });
  sure.addEventListener('click', async () => {
    err.textContent = '';
    if (!target) return;
    const sg = keystore.signer(account);
    if (!sg) {
      err.textContent = 'Unlock your key first (Keys page or the home page).';
      return;
    }
    sure.disabled = cancel.disabled = true;
    try {
      let version = null;
      try {
        const env = await revocationEnvelope({ sk: sg.sk, pk: sg.pk, home: home.id, tokenId: fromHex(target.tokenId) });
        version = (await api.post(`/v1/homes/${api.enc(home.id)}/revocations`, { revocation: toB64url(env) })).version;
      } catch (e) {
        // A duplicate: revoked already, which is what was asked.
        if (!(e instanceof api.ApiError && e.status === 409 && e.code === 'exists')) throw e;
      }
      li.dataset.revoked = 'yes';
      box.replaceChildren(h('span', { class: 'alert-label', testid: 'grant-revoked', text: 'REVOKED' }),
        h('span', { class: 'small', text: version === null ? `token ${target.tokenId} was revoked already`
          : `token ${target.tokenId}: revocation version ${version}: the hubs refuse it once they have fetched it` }));
    } catch (e) {
      err.textContent = errorText(e);
      sure.disabled = cancel.disabled = false;
    }
  });
  box.append(ask, sure, cancel, details, err);
  return box;
}

async function viewKeys() {
  const v = setView('Keys');
  const rec = await keystore.load(account);
  const list = await loadHomes().catch(() => []);
  if (v !== view) return;
  keepStreams([]);
  const content = [];
  if (!rec) {
    const label = h('input', { id: 'key-label', type: 'text', maxlength: 100, value: `${account.name || 'my'} browser`,
      testid: 'key-label' });
    const p1 = h('input', { id: 'key-pass1', type: 'password', name: 'porter-key-new-passphrase', autocomplete: 'off',
      required: true, minlength: PASSPHRASE_MIN, testid: 'key-new-passphrase' });
    const p2 = h('input', { id: 'key-pass2', type: 'password', name: 'porter-key-new-passphrase-again', autocomplete: 'off',
      required: true, minlength: PASSPHRASE_MIN, testid: 'key-new-passphrase2' });
    const err = h('p', { class: 'error', role: 'alert', testid: 'key-error' });
    const btn = h('button', { type: 'submit', testid: 'key-create', text: 'Make a key' });
    const form = h('form', { autocomplete: 'off' }, h('label', { for: 'key-label' }, 'Label', label),
      h('label', { for: 'key-pass1' }, `Passphrase (at least ${PASSPHRASE_MIN} characters)`, p1),
      h('label', { for: 'key-pass2' }, 'The passphrase again', p2),
      h('p', { class: 'small muted', testid: 'key-passphrase-note',
        text: 'This is not your sign-in password: do not let the browser save it. Anyone who has this browser and the passphrase can unlock your doors.' }),
      btn, err);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      err.textContent = '';
      if (p1.value !== p2.value) {
        err.textContent = 'The two passphrases differ.';
        return;
      }
      btn.disabled = true;
      btn.textContent = 'Making the key…';
      try {
        await keystore.create(account, p1.value, label.value.trim());
        p1.value = p2.value = '';
        toast('Key made and unlocked');
        route();
      } catch (e) {
        err.textContent = errorText(e);
        btn.disabled = false;
        btn.textContent = 'Make a key';
      }
    });
    content.push(h('p', { text: 'Make an owner key in this browser. It is kept here, encrypted with your passphrase, and never sent to the server: only its public half is shown below, to be endorsed by an owner key the hub already trusts.' }), form);
  } else {
    const unlocked = !!keystore.signer(account);
    content.push(h('section', { class: 'card', testid: 'key' },
      h('dl', {},
        h('dt', { text: 'Label' }), h('dd', { text: rec.label }),
        h('dt', { text: 'Key id' }), h('dd', { class: 'mono', testid: 'key-id', text: rec.key_id }),
        h('dt', { text: 'Public key' }), h('dd', { class: 'mono', testid: 'key-public', text: rec.public_key }),
        h('dt', { text: 'State' }), h('dd', { testid: 'key-state', 'data-value': unlocked ? 'unlocked' : 'locked',
          text: unlocked ? 'unlocked (held by this tab\'s key worker until you lock it, sign out, leave the page or do nothing for 10 minutes)' : 'locked' })),
      unlocked ? h('button', { type: 'button', class: 'secondary', testid: 'key-lock', text: 'Lock the key',
        onclick: () => { keystore.lock(); route(); } }) : unlockForm(rec, () => route())));
    const owned = list.filter((x) => x.role === 'owner');
    content.push(h('h2', { text: 'Endorse it' }),
      h('p', { testid: 'endorse-here-note', text: `An owner key the hub already trusts must endorse this key before the hub obeys it. From another device whose browser key is already an owner key: open Keys there, paste this public key under "Endorse another device's key", and check that it shows the key id ${rec.key_id}. Or, on the computer that holds an owner key, run:` }));
    const ownPk = fromB64url(rec.public_key);
    for (const [idx, home] of owned.entries()) {
      // Copied into a shell: only a well-formed home id, every argument
      // single-quoted.
      if (!isId(home.id)) continue;
      const cmd = ['porter', 'key', 'endorse', '--key', shq('OWNER_KEY'), '--home', shq(home.id),
        '--public-key', shq(rec.public_key), '--label', shq(rec.label)].join(' ');
      const status = h('p', { class: 'small', testid: 'endorse-status', 'data-home': home.id, text: 'checking…' });
      // Whose camera statements this browser believes (camtrust.js): the
      // endorser, pinned here on first sight, for the user to compare.
      const pin = h('p', { class: 'small', testid: 'endorser-pin', 'data-home': home.id, text: '' });
      const pinWarn = h('p', { class: 'error', testid: 'endorser-warning', 'data-home': home.id, hidden: true });
      const card = h('section', { class: 'card' }, h('strong', { text: home.name }),
        h('pre', { class: 'cmd', testid: 'endorse-command', 'data-home': home.id, text: cmd }), status, pin, pinWarn);
      content.push(card);
      endorserFor(account, home.id).then((e) => {
        pin.dataset.kid = e.pinnedKid || '';
        pin.textContent = e.pinnedKid
          ? `This browser trusts cameras vouched for by owner key ${e.pinnedKid} (the key that endorsed it, as first seen); compare with porter key list on your computer.`
          : 'This browser trusts cameras vouched for by its own key only, until it sees the endorsement of its key.';
        // A revoked key here, or revocations not read: no camera believed (camtrust.js).
        const warn = [e.refusal ? `No camera is believed: ${e.refusal.message}.` : '', e.warning || ''].filter(Boolean).join(' ');
        if (warn) {
          pinWarn.textContent = warn;
          pinWarn.dataset.refusal = e.refusal ? e.refusal.code : '';
          pinWarn.hidden = false;
        }
      }).catch((e) => { pin.textContent = errorText(e); });
      api.get(`/v1/homes/${api.enc(home.id)}/owner-keys`).then((r) => {
        const k = (r.keys || []).find((x) => x.public_key === rec.public_key);
        status.dataset.value = k ? (k.endorsed_by ? 'endorsed' : 'stored') : 'unknown';
        status.textContent = !k ? 'Not known to porter for this home yet.'
          : k.endorsed_by ? `Endorsed by key ${k.endorsed_by}.` : 'Stored without an endorsement: hubs will not obey it.';
        // An owner key of this home (at porterd) may endorse another
        // device's key from here; porterd and the hubs check that it may.
        if (k && card.isConnected) card.append(endorseBox(home, rec, ownPk, idx));
      }).catch((e) => { status.textContent = errorText(e); });
    }
    if (!owned.length) content.push(h('p', { class: 'muted', text: 'You own no home.' }));
  }
  main.replaceChildren(h('h1', { text: 'Your key' }), ...content);
}

// porterd's refusals of an endorsement (POST .../owner-keys), in words.
const ENDORSE_REFUSALS = {
  'untrusted-signer': 'porterd does not count this browser\'s key among the owner keys that may endorse (it must itself be endorsed, or be the home\'s first key)',
  'bad-signature': 'porterd finds that the signature does not verify with this browser\'s key: the statement was changed on its way, or porterd has another key',
  'wrong-home-or-lock': 'porterd says the statement is for another home',
  stale: 'porterd finds the statement too old or too new: check this device\'s clock',
  malformed: 'porterd could not read the statement',
  unsupported: 'porterd does not support this statement',
  exists: 'porterd already has this key as an owner key of the home (nothing was changed)',
  'limit-reached': 'this home has as many owner keys as porterd allows (64)',
  forbidden: 'only the home\'s owners can endorse a key',
};

function endorseRefusal(e) {
  if (!(e instanceof api.ApiError)) return errorText(e);
  if (e.code === 'invalid-field' && e.field === 'statement') return 'porterd says the statement names another key than the one sent, or is not one it reads (invalid-field)';
  if (e.code === 'invalid-field' && e.field === 'public_key') return 'porterd refuses the key (invalid-field)';
  if (e.code === 'invalid-field' && e.field === 'label') return 'porterd refuses the label: at most 100 bytes of printable text (invalid-field)';
  return Object.hasOwn(ENDORSE_REFUSALS, e.code) ? `${ENDORSE_REFUSALS[e.code]} (${e.code})` : errorText(e);
}

/** endorseBox(home, rec, ownPk, idx) -> the form "Endorse another
 * device's key" of a home on the Keys page (docs/web-app.md): the owner
 * pastes the public key the new device's Keys page shows; the page checks
 * it (endorseTarget: a valid key, not this browser's, not an owner key of
 * the home already), shows its key id to compare and asks; only then does
 * the key worker sign the PT_ENV_OWNER statement, posted as porter key
 * endorse posts it. idx: the home's place in the list (element ids). */
function endorseBox(home, rec, ownPk, idx) {
  const el = h('div', { class: 'endorse', testid: 'endorse-box', 'data-home': home.id });
  const title = h('h3', { text: 'Endorse another device\'s key' });
  const result = h('p', { testid: 'endorse-result', 'data-home': home.id, role: 'alert', tabindex: '-1' });
  const ids = { key: `endorse-key-${idx}`, label: `endorse-label-${idx}` };
  let pending = null; // {pk, keyId, label}: being confirmed
  let busy = false;
  const say = (text, value, cls = '', reason = '') => {
    result.className = cls;
    result.dataset.value = value;
    result.dataset.reason = reason;
    result.textContent = text;
  };
  const form = (keepResult = false, keyValue = '', labelValue = '') => {
    pending = null;
    if (!keepResult) say('', '');
    const key = h('input', { id: ids.key, type: 'text', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'off',
      maxlength: 200, class: 'mono', testid: 'endorse-key', 'aria-describedby': `${ids.key}-help` });
    key.value = keyValue;
    const label = h('input', { id: ids.label, type: 'text', maxlength: 100, autocomplete: 'off', testid: 'endorse-label' });
    label.value = labelValue;
    const btn = h('button', { type: 'submit', testid: 'endorse-check', text: 'Check the key' });
    const f = h('form', { autocomplete: 'off', testid: 'endorse-form' },
      h('label', { for: ids.key }, 'Public key of the new device', key),
      h('p', { id: `${ids.key}-help`, class: 'small muted',
        text: 'On the new device (a phone, another browser), sign in, make a key on its Keys page and copy the public key it shows (you may paste its key id before it).' }),
      h('label', { for: ids.label }, 'Label (optional, e.g. "Ana\'s phone")', label),
      btn);
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (busy) return;
      busy = true;
      btn.disabled = true;
      say('Checking the key…', 'checking');
      try {
        // porterd's list read now, not the one the page was drawn with;
        // without it nothing is endorsed.
        let keys;
        try {
          keys = (await api.get(`/v1/homes/${api.enc(home.id)}/owner-keys`)).keys || [];
        } catch (e) {
          throw new Error(`could not read this home's owner keys: ${errorText(e)}`);
        }
        const t = await endorseTarget(key.value, ownPk, keys);
        if (!el.isConnected) return;
        pending = { ...t, label: label.value.trim() };
        confirm();
      } catch (e) {
        pending = null;
        say(`Not endorsed: ${e.message || e}.`, 'refused', 'error', e.code || 'error');
        key.focus();
      } finally {
        busy = false;
        btn.disabled = false;
      }
    });
    el.replaceChildren(title,
      h('p', { class: 'small muted', text: `The key you endorse becomes an owner key of ${home.name}: once the hubs have the endorsement, it can unlock every lock, grant and revoke, as this browser's key can.` }),
      f, result);
  };
  const confirm = () => {
    say('', '');
    const yes = h('button', { type: 'button', class: 'danger', testid: 'endorse-confirm', text: `Yes, endorse key ${pending.keyId}`,
      onclick: () => sign() });
    const no = h('button', { type: 'button', class: 'secondary', testid: 'endorse-cancel', text: 'Cancel', onclick: () => form() });
    el.replaceChildren(title,
      h('p', { testid: 'endorse-confirm-text', 'data-kid': pending.keyId, 'data-home': home.id,
        text: `Endorse the key with key id ${pending.keyId} as an owner key of ${home.name} (${home.id})?` }),
      h('p', { class: 'mono small', testid: 'endorse-confirm-key', text: `Public key: ${pending.publicKey}` }),
      h('p', { class: 'small', text: `Compare: the new device's Keys page shows "Key id ${pending.keyId}". If it shows another, cancel: this is not its key.` }),
      pending.label ? h('p', { class: 'small', text: `Label: ${pending.label}` }) : null,
      h('div', { class: 'row', testid: 'endorse-actions' }, yes, no), result);
    yes.focus();
  };
  // Refused after the confirmation: back to the form, the key and label
  // kept, with why.
  const refuse = (text, reason) => {
    form(true, pending ? pending.publicKey : '', pending ? pending.label : '');
    say(text, 'refused', 'error', reason);
    result.focus();
  };
  const sign = async () => {
    if (busy || !pending) return;
    const sg = keystore.signer(account);
    if (!sg) {
      const actions = el.querySelector('[data-testid="endorse-actions"]');
      actions.replaceChildren(h('p', { class: 'small', text: 'To sign the endorsement, unlock your key:' }),
        unlockForm(rec, () => {
          // The key card above says so too (without redrawing the page).
          const card = main.querySelector('[data-testid="key"]');
          const st = card && card.querySelector('dd[data-testid="key-state"]');
          if (st) {
            st.dataset.value = 'unlocked';
            st.textContent = 'unlocked (held by this tab\'s key worker until you lock it, sign out, leave the page or do nothing for 10 minutes)';
            card.querySelector('form')?.replaceWith(h('button', { type: 'button', class: 'secondary', testid: 'key-lock',
              text: 'Lock the key', onclick: () => { keystore.lock(); route(); } }));
          }
          if (pending) confirm();
        }, { input: `endorse-pass-${idx}`, pass: 'endorse-passphrase', unlock: 'endorse-key-unlock', error: 'endorse-key-error' }),
        h('button', { type: 'button', class: 'secondary', testid: 'endorse-cancel', text: 'Cancel', onclick: () => form() }));
      actions.querySelector('input').focus();
      return;
    }
    busy = true;
    for (const b of el.querySelectorAll('button')) b.disabled = true;
    const { pk, keyId, label } = pending;
    try {
      const ownKid = toHex(await kid(sg.pk));
      say(`Signing the endorsement of key ${keyId} with this browser's key ${ownKid}…`, 'signing');
      // Signed in the key worker (sg.sk sends it the bytes to sign).
      const statement = await ownerStatement({ sk: sg.sk, pk: sg.pk, home: home.id, newKey: pk });
      const r = await api.post(`/v1/homes/${api.enc(home.id)}/owner-keys`, endorseBody(pk, statement, label));
      pending = null;
      // porterd's answer must be of this key, endorsed by this browser's.
      const same = r && r.key_id === keyId && r.endorsed_by === ownKid;
      el.replaceChildren(title,
        h('p', { class: same ? 'okmsg' : 'error', testid: 'endorse-result', 'data-home': home.id, role: 'status', tabindex: '-1',
          'data-value': same ? 'endorsed' : 'porterd-differs', 'data-kid': keyId,
          text: same
            ? `Endorsed: key ${keyId} is now an owner key of ${home.name}, endorsed by this browser's key ${ownKid}. porterd passes the endorsement on to the home's hubs; the new device's Keys page now says "Endorsed by key ${ownKid}".`
            : `porterd stored an answer that is not this endorsement: key ${r && r.key_id}, endorsed by ${r && r.endorsed_by} (expected key ${keyId} endorsed by ${ownKid}). Check the home's owner keys with porter key list.` }),
        h('button', { type: 'button', class: 'secondary', testid: 'endorse-again', text: 'Endorse another key', onclick: () => form() }));
      el.querySelector('[data-testid="endorse-result"]').focus();
    } catch (e) {
      busy = false;
      refuse(`Not endorsed: ${endorseRefusal(e)}.`, e.code || 'error');
    } finally {
      busy = false;
    }
  };
  form();
  return el;
}

/** shq(s) -> s single-quoted for a POSIX shell. */
function shq(s) {
  return `'${String(s).replaceAll('\'', '\'\\\'\'')}'`;
}

// ---- clips (docs/clips.md, docs/web-app.md "Clips") ----
//
// A clip is checked here against the camera's key (GET .../cameras): the
// key record's signature, the manifest's when there is one (and that it
// carries the key record's sealed keys), and each sealed segment's own
// camera signature over the SHA-256 of the bytes fetched (and its size
// and SHA-256 against the manifest). Only then does a key worker of its
// own (keyworker.js, started here, ended as soon as the clip is
// decrypted, on leaving the view, on sign-out and on pagehide) unlock the
// owner key with the passphrase, open the clip key (Ed25519 -> X25519)
// and open each segment. The page gets the plaintext video, never the
// clip key or the owner key.

const SEG_MAX = 16 * 1024 * 1024;
const CLIP_TOTAL_MAX = 256 * 1024 * 1024; // all of a clip's segments together
let clipWorker = null; // {w, pending: Map, next}
let clipUrl = null; // the object URL of the video in view

function endClip() {
  if (clipWorker) {
    clipWorker.w.terminate();
    for (const p of clipWorker.pending.values()) p.reject(new Error('the clip key worker ended'));
    clipWorker = null;
  }
  if (clipUrl) {
    URL.revokeObjectURL(clipUrl);
    clipUrl = null;
  }
}

function clipWorkerStart() {
  if (clipWorker) {
    clipWorker.w.terminate();
    clipWorker = null;
  }
  const w = new Worker(new URL('keyworker.js', import.meta.url), { type: 'module', name: 'porter-clip-key' });
  const cw = { w, pending: new Map(), next: 1 };
  w.addEventListener('message', (ev) => {
    const { id, ok, result, error } = ev.data || {};
    const p = cw.pending.get(id);
    if (!p) return;
    cw.pending.delete(id);
    if (ok) p.resolve(result);
    else p.reject(new Error(error));
  });
  w.addEventListener('error', (ev) => {
    ev.preventDefault();
    for (const p of cw.pending.values()) p.reject(new Error('the key worker failed to start'));
    cw.pending.clear();
  });
  clipWorker = cw;
  return cw;
}

function clipCall(cw, msg, transfer) {
  return new Promise((resolve, reject) => {
    if (clipWorker !== cw) {
      reject(new Error('the clip key worker ended'));
      return;
    }
    const id = cw.next++;
    cw.pending.set(id, { resolve, reject });
    cw.w.postMessage({ ...msg, id }, transfer || []);
  });
}

function clipWhen(ms) {
  return Number.isFinite(ms) && ms > 0 ? new Date(ms).toLocaleString() : '—';
}

// fetch, check and return what a clip's playback needs; throws with the
// first thing that does not hold. progress(text) tells the user.
async function checkClip(home, clip, progress) {
  const base = `/v1/homes/${api.enc(home.id)}/clips/${api.enc(clip.id)}`;
  progress('Reading the camera\'s key…');
  const cams = (await api.get(`/v1/homes/${api.enc(home.id)}/cameras`)).cameras || [];
  const cam = cams.find((c) => c.id === clip.camera);
  if (!cam) throw new Error(`camera ${clip.camera} is not enrolled in this home: nothing to check the clip against`);
  let camPk;
  try {
    camPk = fromB64url(cam.public_key);
  } catch {
    camPk = null;
  }
  if (!camPk || camPk.length !== 32) throw new Error(`camera ${cam.id}: its key is not 32 bytes of base64url`);
  // The key id shown is the one of the key everything is checked with;
  // porterd's key_id must be that one.
  const camKeyId = toHex(await kid(camPk));
  if (cam.key_id !== undefined && cam.key_id !== camKeyId)
    throw new Error(`porterd's key id for camera ${cam.id} (${cam.key_id}) is not the id of the key it gave (${camKeyId})`);
  // Believed only with an owner's statement this browser can follow
  // (camtrust.js): else nothing of the clip is fetched or opened.
  progress('Checking the owner\'s statement for the camera\'s key…');
  const vouched = await cameraKeyFor(account, home.id, cam);
  camPk = vouched.key;
  const detail = await api.get(base);
  progress('Checking the key record\'s signature…');
  const krBytes = await api.getBytes(`${base}/key`, 1024);
  if (!krBytes) throw new Error('the clip has no key record: it cannot be opened');
  const kr = await openKeyRecord(krBytes, camPk);
  if (kr.clip !== clip.id || kr.camera !== cam.id) throw new Error('the key record is of another clip or camera');
  let man = null;
  if (detail.manifest) {
    progress('Checking the manifest\'s signature…');
    const mb = await api.getBytes(`${base}/manifest`, 51264);
    if (!mb) throw new Error('porterd says the clip has a manifest but does not give it');
    man = await openManifest(mb, camPk);
    if (man.clip !== clip.id || !keyRecordMatches(kr, man))
      throw new Error('the manifest does not match the key record (other camera, clip, START or sealed keys)');
  }
  // The times shown are the camera's; porterd's must agree with them.
  if (!clipTimesAgree(clip, man))
    throw new Error('porterd\'s start or end of the clip is not the one the camera signed in its manifest');
  const sigs = new Map();
  for (const st of detail.stored_segments || []) {
    if (st && Number.isInteger(st.index) && typeof st.signature === 'string') sigs.set(st.index, st.signature);
  }
  // Without a manifest nothing lists the segments but porterd: every
  // index from 0 to the highest stored one is fetched, and each gap
  // (0 included) is reported missing.
  const gaps = man ? { indexes: man.segments.map((x) => x.index), missing: [] }
    : clipGaps((detail.stored_segments || []).map((x) => x && x.index));
  const indexes = gaps.indexes;
  const s = await getSodium();
  const segments = [];
  const missing = [...gaps.missing];
  const unsigned = [];
  let total = 0;
  for (const i of indexes) {
    if (missing.includes(i)) continue;
    progress(`Checking segment ${i + 1} of ${indexes.length}…`);
    const b = await api.getBytes(`${base}/segments/${i}`, SEG_MAX);
    if (!b) {
      missing.push(i);
      continue;
    }
    total += b.length;
    if (total > CLIP_TOTAL_MAX) throw new Error(`the clip is over ${CLIP_TOTAL_MAX} bytes: use porter clip decrypt`);
    const sha = s.crypto_hash_sha256(b);
    if (man) {
      const want = man.segments[i];
      if (b.length !== want.size || toHex(sha) !== toHex(want.sha256))
        throw new Error(`segment ${i}: its size or SHA-256 is not the manifest's`);
    }
    const sig = sigs.get(i);
    if (sig !== undefined) {
      let sigBytes = null;
      try {
        sigBytes = fromB64url(sig);
      } catch {
        sigBytes = null;
      }
      if (!sigBytes || !(await segmentSignatureOk(camPk, clip.id, i, sha, sigBytes)))
        throw new Error(`segment ${i}: the camera's signature does not verify`);
    } else if (!man) {
      unsigned.push(i); // nothing vouches for it: not shown
      continue;
    }
    segments.push({ index: i, bytes: b });
  }
  missing.sort((a, b) => a - b);
  return { cam, camKeyId, vouched, kr, man, segments, missing, unsigned, indexes };
}

function clipPlayer(home, clip) {
  const status = h('p', { testid: 'clip-status', role: 'status', 'aria-live': 'polite' });
  const facts = h('div', { testid: 'clip-facts' });
  const video = h('video', { testid: 'clip-video', controls: true, playsinline: true, preload: 'metadata', hidden: true,
    'aria-label': `video of clip ${clip.id}` });
  const err = h('p', { class: 'error', role: 'alert', testid: 'clip-error' });
  const pass = h('input', { id: `clip-pass-${clip.id}`, type: 'password', name: 'porter-key-passphrase', autocomplete: 'off',
    required: true, testid: 'clip-passphrase' });
  const btn = h('button', { type: 'submit', testid: 'clip-play', text: 'Check, decrypt and play' });
  const form = h('form', { autocomplete: 'off' },
    h('label', { for: `clip-pass-${clip.id}` }, 'Passphrase of your key (the clip is opened in a key worker of its own, ended once the clip is decrypted)', pass),
    btn);
  // porterd's time until the camera's signed one replaces it.
  const heading = h('h2', { testid: 'clip-heading', 'data-signed': 'no',
    text: `Clip from ${clipWhen(clip.start_ms)} (as porterd lists it: not checked yet)` });
  const mine = view;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.textContent = '';
    facts.replaceChildren();
    status.dataset.value = 'checking';
    btn.disabled = true;
    const passphrase = pass.value;
    pass.value = '';
    const progress = (t) => {
      if (mine === view) status.textContent = t;
    };
    try {
      const rec = await keystore.load(account);
      if (!rec) throw new Error('no key in this browser yet: make one on the Keys page');
      const c = await checkClip(home, clip, progress);
      if (mine !== view) return;
      if (!c.segments.length) throw new Error('no segment the camera signed is stored: nothing to play');
      progress('Unlocking your key and opening the clip key…');
      const cw = clipWorkerStart();
      await clipCall(cw, { op: 'unlock', passphrase,
        record: { kdf: rec.kdf, nonce: rec.nonce, box: rec.box, publicKey: fromB64url(rec.public_key) } });
      let handle;
      try {
        handle = await clipCall(cw, { op: 'clip-key', clip: fromHex(c.kr.clip), keys: c.kr.keys });
      } catch (e) {
        if (e.message === 'not-a-recipient') {
          throw new Error(`this clip is sealed to key ${c.kr.keys.map(([k]) => toHex(k)).join(', ')}, not to this browser's key ${rec.key_id}: the camera seals to the keys in its clips.owners and the owner keys the hub trusted when it recorded (a key endorsed later opens the clips recorded after)`);
        }
        throw e;
      }
      const plain = [];
      for (const seg of c.segments) {
        progress(`Decrypting segment ${seg.index + 1} of ${c.indexes.length}…`);
        plain.push(await clipCall(cw, { op: 'clip-segment', handle, index: seg.index, bytes: seg.bytes }, [seg.bytes.buffer]));
      }
      endClip(); // the worker, the owner key and the clip key end here
      if (mine !== view) return;
      heading.textContent = `Clip from ${clipWhen(c.man ? c.man.start : c.kr.start)}`;
      heading.dataset.signed = 'yes';
      const container = c.kr.container;
      const cut = !c.man || c.man.endSeq === 0 || c.missing.length > 0 || c.unsigned.length > 0;
      const words = [];
      if (!c.man) words.push('the camera never sent its manifest (it stopped before the end): nothing proves how the clip ended; shown is each segment the camera signed, in its place');
      else if (c.man.endSeq === 0) words.push('the camera stopped before the entry ended');
      if (c.missing.length) words.push(`segments missing: ${c.missing.join(', ')}`);
      if (c.unsigned.length) words.push(`segments without a camera signature, not shown: ${c.unsigned.join(', ')}`);
      facts.append(
        h('p', { class: cut ? 'error' : 'okmsg', testid: 'clip-cut-short', 'data-value': cut ? 'yes' : 'no',
          text: cut ? `Cut short: ${words.join('; ')}.` : 'Complete: every segment the camera listed, checked against its signed manifest.' }),
        h('p', { class: 'small', testid: 'clip-verified', 'data-segments': String(c.segments.length),
          text: `Checked: the key record${c.man ? ', the manifest' : ''} and ${c.segments.length} segment${c.segments.length === 1 ? '' : 's'} signed by camera ${c.cam.name || c.cam.id} (key id ${c.camKeyId}), decrypted in this page.` }),
        h('p', { class: 'small', testid: 'clip-signed-times', 'data-start': String(c.man ? c.man.start : c.kr.start),
          'data-end': c.man ? String(c.man.end) : '',
          text: c.man ? `Camera-signed: from ${clipWhen(c.man.start)} to ${clipWhen(c.man.end)}.`
            : `Camera-signed: started ${clipWhen(c.kr.start)} (no signed end).` }),
        h('p', { class: 'small muted', testid: 'clip-camera-vouched', 'data-signer': c.vouched.signerKid,
          'data-anchor': String(c.vouched.anchor),
          text: `The camera key is the one owner key ${c.vouched.signerKid} enrolled for this camera${c.vouched.anchor === 0 ? ', this browser\'s own key'
            : c.vouched.anchor === 1 ? ', the owner key that endorsed this browser\'s key (as this browser first saw it)'
              : ', an owner key endorsed from this browser\'s key or the one that endorsed it'} (docs/cam.md, "Who a viewer believes"); its key id can also be compared with the one porter-cam key prints on the camera.` }));
      if (c.vouched.warning) facts.append(h('p', { class: 'error', testid: 'clip-endorser-warning', text: c.vouched.warning }));
      if (container !== 'mp4') {
        status.dataset.value = 'unplayable';
        status.textContent = 'This clip is MPEG-TS, which browsers do not play: use porter clip decrypt.';
        return;
      }
      clipUrl = URL.createObjectURL(new Blob(plain, { type: 'video/mp4' }));
      video.src = clipUrl;
      video.hidden = false;
      status.dataset.value = 'ready';
      status.textContent = 'Decrypted: playing.';
      video.addEventListener('loadedmetadata', () => {
        if (Number.isFinite(video.duration)) status.textContent = `Decrypted: ${video.duration.toFixed(1)} s of video.`;
      }, { once: true });
      video.addEventListener('error', () => {
        status.dataset.value = 'error';
        status.textContent = 'This browser cannot play the decrypted video (its codec?): use porter clip decrypt.';
      }, { once: true });
    } catch (e) {
      endClip();
      if (mine !== view) return;
      status.dataset.value = 'refused';
      status.textContent = '';
      err.textContent = `Not played: ${errorText(e)}`;
    } finally {
      btn.disabled = false;
    }
  });
  return h('section', { class: 'card', testid: 'clip-player', 'data-clip': clip.id },
    heading,
    h('p', { class: 'small muted mono', text: `${clip.id} · camera ${clip.camera} · ${clip.segments} segment${clip.segments === 1 ? '' : 's'} stored${clip.manifest ? '' : ' · no manifest yet'}` }),
    form, status, err, facts, video);
}

function clipItem(home, c) {
  return h('li', { testid: 'clip', 'data-clip': c.id },
    h('a', { href: `#/homes/${api.enc(home.id)}/clips/${api.enc(c.id)}`, testid: 'clip-open',
      text: `${clipWhen(c.start_ms)} – ${c.end_ms ? clipWhen(c.end_ms) : 'still recording or cut short'}` }),
    h('div', { class: 'small muted mono', text: `${c.id} · camera ${c.camera} · ${c.segments} segments, ${c.bytes} bytes${c.manifest ? '' : ' · no manifest'}` }));
}

async function viewClips(id, clipId) {
  const v = setView('Clips');
  const home = await findHome(id);
  keepStreams([]);
  const clips = await pageAll(`/v1/homes/${api.enc(home.id)}/clips`, 'clips', 5);
  if (v !== view) return;
  clips.sort((a, b) => (b.start_ms || 0) - (a.start_ms || 0));
  const content = [h('h1', { text: `${home.name}: clips` }), homeTabs(home, 'clips')];
  if (clipId) {
    const clip = clips.find((c) => c.id === clipId);
    content.push(clip ? clipPlayer(home, clip) : h('p', { class: 'error', role: 'alert', text: 'No such clip in this home.' }));
  }
  content.push(h('p', { class: 'small muted', text: 'Each clip is sealed on the camera to the owners\' keys: porterd stores what it cannot read. Newest first.' }),
    clips.length ? h('ul', { class: 'timeline', testid: 'clips' }, clips.map((c) => clipItem(home, c)))
      : h('p', { class: 'muted', testid: 'clips-empty', text: 'No clips yet.' }));
  main.replaceChildren(...content);
}

// The clips recorded while a delivery was in the home: from its
// credential (or its entry) to its end, a minute either side.
async function deliveryClips(d) {
  const full = await api.get(`/v1/deliveries/${api.enc(d.id)}`);
  const hist = full.history || [];
  const at = (st) => (hist.find((x) => x.state === st) || {}).at;
  const from = (at('credential-issued') || at('entered') || full.updated_at) - 60;
  const to = (at('completed') || at('failed') || Math.floor(Date.now() / 1000)) + 60;
  const clips = await pageAll(`/v1/homes/${api.enc(d.home_id)}/clips`, 'clips', 5);
  return clips.filter((c) => {
    const s = Math.floor((c.start_ms || 0) / 1000);
    const e = c.end_ms ? Math.ceil(c.end_ms / 1000) : s;
    return e >= from && s <= to;
  }).sort((a, b) => (a.start_ms || 0) - (b.start_ms || 0));
}

// Home settings (owners edit, members read): couriers' notes, the
// delivery policy, the time zone (PATCH /v1/homes/{id}: a policy given
// replaces the whole policy, so the carriers and fields not shown here are
// sent back as they are); and the household members: listed for everyone,
// added by e-mail and removed by owners, left by anyone (membersSection).
async function viewSettings(id) {
  const v = setView('Settings');
  homes = null; // read the home afresh
  const home = await findHome(id);
  keepStreams([]);
  if (v !== view) return;
  const owner = home.role === 'owner';
  const pol = home.policy || {};
  const dis = owner ? null : true;
  const notes = h('textarea', { id: 's-notes', maxlength: 500, rows: 3, disabled: dis, testid: 'settings-notes' });
  notes.value = home.notes || '';
  const tz = h('input', { id: 's-tz', type: 'text', value: home.tz, required: true, spellcheck: 'false', autocomplete: 'off',
    pattern: '[A-Za-z0-9_+\\-]+(/[A-Za-z0-9_+\\-]+)*', disabled: dis, testid: 'settings-tz' });
  const box = (idv, label, on, testid) => {
    const cb = h('input', { type: 'checkbox', id: idv, checked: !!on, disabled: dis, testid });
    return { cb, el: h('label', { class: 'day', for: idv }, cb, label) };
  };
  const inHome = box('s-inhome', 'Couriers may deliver inside', pol.in_home_delivery, 'settings-inhome');
  const cam = box('s-cam', 'Camera required', pol.camera_required !== false, 'settings-camera');
  const alarm = box('s-alarm', 'Alarm entry-zone bypass required', pol.alarm_bypass_required !== false, 'settings-alarm');
  const approval = h('select', { id: 's-approval', disabled: dis, testid: 'settings-approval' },
    h('option', { value: 'per-delivery', text: 'I approve each delivery' }),
    h('option', { value: 'standing', text: 'Standing approval' }));
  approval.value = pol.approval === 'standing' ? 'standing' : 'per-delivery';
  const hours = h('textarea', { id: 's-hours', rows: 2, disabled: dis, spellcheck: 'false', testid: 'settings-hours',
    placeholder: 'mon-fri 08:00-20:00' });
  hours.value = (pol.hours || []).join('\n');
  const carriers = Array.isArray(pol.carriers) ? pol.carriers.filter((x) => typeof x === 'string') : [];
  const err = h('p', { class: 'error', role: 'alert', testid: 'settings-error' });
  const done = h('p', { class: 'okmsg', role: 'status', testid: 'settings-result' });
  const save = h('button', { type: 'submit', testid: 'settings-save', text: 'Save' });
  const form = h('form', { class: 'wide', testid: 'settings-form' },
    h('label', { for: 's-notes' }, 'Notes shown to couriers (pets, where to leave parcels)', notes),
    h('label', { for: 's-tz' }, 'Time zone (IANA, as Europe/Berlin): schedules are read in it', tz),
    h('fieldset', {}, h('legend', { text: 'Delivery policy' }), inHome.el, cam.el, alarm.el,
      h('label', { for: 's-approval' }, 'Approval', approval),
      h('label', { for: 's-hours' }, 'Hours couriers may come in (one per line; empty: none set)', hours),
      h('p', { class: 'small muted', testid: 'settings-carriers' },
        carriers.length ? `Carriers accepted: ${carriers.join(', ')}. ` : 'No carrier accepted yet. ',
        h('a', { href: `#/homes/${api.enc(home.id)}/people`, text: 'Their delegations and terms: People' }))),
    owner ? save : h('p', { class: 'muted', text: 'Only the home\'s owners can change these.' }), err, done);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!owner) return;
    err.textContent = '';
    done.textContent = '';
    save.disabled = true;
    try {
      const policy = { ...pol, in_home_delivery: inHome.cb.checked, camera_required: cam.cb.checked,
        alarm_bypass_required: alarm.cb.checked, approval: approval.value, carriers,
        hours: hours.value.split(/[\n,;]+/).map((x) => x.trim()).filter(Boolean) };
      const r = await api.request('PATCH', `/v1/homes/${api.enc(home.id)}`, { notes: notes.value.trim(), tz: tz.value.trim(), policy });
      homes = null;
      done.textContent = `Saved: ${r.tz}, ${(r.policy?.hours || []).join('; ') || 'no hours'}.`;
      done.dataset.value = 'saved';
    } catch (e) {
      err.textContent = errorText(e);
    } finally {
      save.disabled = false;
    }
  });
  const content = [h('h1', { text: `${home.name}: settings` }), homeTabs(home, 'settings'), form];
  const members = membersSection(home, owner);
  if (!owner) {
    content.push(h('h2', { text: 'Household members' }), ...members.el);
  } else {
    const email = h('input', { id: 'm-email', type: 'email', required: true, autocomplete: 'off', testid: 'member-email' });
    const role = h('select', { id: 'm-role', testid: 'member-role' }, h('option', { value: 'member', text: 'member' }),
      h('option', { value: 'owner', text: 'owner' }));
    const merr = h('p', { class: 'error', role: 'alert', testid: 'member-error' });
    const mres = h('p', { class: 'okmsg', role: 'status', testid: 'member-result' });
    const add = h('button', { type: 'submit', testid: 'member-add', text: 'Add to the household' });
    const mform = h('form', {}, h('label', { for: 'm-email' }, 'Their porter account\'s e-mail', email),
      h('label', { for: 'm-role' }, 'Role', role), add, merr, mres);
    mform.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      merr.textContent = '';
      mres.textContent = '';
      add.disabled = true;
      try {
        const r = await api.post(`/v1/homes/${api.enc(home.id)}/members`, { email: email.value.trim(), role: role.value });
        mres.textContent = `Added account ${r.account_id} as ${r.role}.`;
        mres.dataset.value = 'added';
        members.load();
      } catch (e) {
        merr.textContent = e instanceof api.ApiError && e.status === 404 ? 'No porter account has that e-mail.'
          : e instanceof api.ApiError && e.status === 409 && e.code === 'limit-reached' ? 'A home has at most 64 members.'
          : e instanceof api.ApiError && e.status === 409 ? 'That account is already in this household.' : errorText(e);
      } finally {
        add.disabled = false;
      }
    });
    content.push(h('h2', { text: 'Household members' }),
      h('p', { class: 'small muted', text: 'A member sees the home, its timeline and clips; an owner also grants, revokes and unlocks.' }),
      ...members.el, h('h3', { text: 'Add someone' }), mform);
  }
  main.replaceChildren(...content);
}

// The household (GET .../members): owners remove anyone, anyone may leave
// (DELETE .../members/{account}; porterd refuses the last owner, 409
// last-owner). The hubs trust owner keys, not accounts: removing an owner
// leaves their keys trusted until an owner revokes them, signed here, so
// the page then shows the keys that account enrolled, each with its
// revocation (docs/api.md, "Homes").
function membersSection(home, owner) {
  const list = h('ul', { class: 'timeline', testid: 'member-list' });
  const lerr = h('p', { class: 'error', role: 'alert', testid: 'member-list-error' });
  const after = h('div', { testid: 'member-removed' });
  const load = async () => {
    lerr.textContent = '';
    try {
      const r = await api.listMembers(home.id);
      const ms = Array.isArray(r.members) ? r.members : [];
      list.replaceChildren(...ms.map((m) => memberItem(home, owner, m, load, after)));
      list.dataset.count = String(ms.length);
    } catch (e) {
      lerr.textContent = errorText(e);
    }
  };
  load();
  return { el: [list, lerr, after], load };
}

function memberItem(home, owner, m, reload, after) {
  const self = account && m.account_id === account.id;
  const li = h('li', { testid: 'member', 'data-account': String(m.account_id), 'data-email': m.email, 'data-role': m.role },
    h('strong', { text: m.name }), ` ${m.email} · ${m.role}${self ? ' (you)' : ''}`);
  if (!owner && !self) return li;
  const err = h('p', { class: 'error', role: 'alert', testid: 'member-remove-error' });
  const ask = h('button', { type: 'button', class: 'secondary', testid: 'member-remove', text: self ? 'Leave' : 'Remove' });
  const sure = h('button', { type: 'button', class: 'danger', testid: 'member-remove-confirm', hidden: true,
    text: self ? `Leave ${home.name}` : `Remove ${m.name} from ${home.name}` });
  const cancel = h('button', { type: 'button', class: 'secondary', testid: 'member-remove-cancel', hidden: true, text: 'Cancel' });
  const warn = h('p', { class: 'small', hidden: true, testid: 'member-remove-warning',
    text: self ? (m.role === 'owner' ? 'You lose this home at once. Your owner keys stay trusted by its hubs until another owner revokes them.' : 'You lose this home at once.')
      : m.role === 'owner' ? `${m.name} loses this home at once, but the hubs keep obeying their owner keys until you revoke them (offered next).`
        : `${m.name} loses this home at once.` });
  ask.addEventListener('click', () => {
    ask.hidden = true;
    sure.hidden = cancel.hidden = warn.hidden = false;
    sure.focus();
  });
  cancel.addEventListener('click', () => {
    ask.hidden = false;
    sure.hidden = cancel.hidden = warn.hidden = true;
  });
  sure.addEventListener('click', async () => {
    err.textContent = '';
    sure.disabled = cancel.disabled = true;
    try {
      // The keys the account enrolled, read afresh (the list may be old):
      // once removed it is no longer listed.
      let keyIds = m.key_ids;
      if (!self && m.role === 'owner') {
        const fresh = ((await api.listMembers(home.id)).members || []).find((x) => x.account_id === m.account_id);
        if (fresh) keyIds = fresh.key_ids;
      }
      await api.removeMember(home.id, m.account_id);
      if (self) {
        homes = null;
        toast(`You left ${home.name}`);
        location.hash = '#/homes';
        return;
      }
      toast(`${m.name} removed`);
      if (m.role === 'owner') await removedOwnerKeys(home, { ...m, key_ids: keyIds }, after);
      else after.replaceChildren();
      await reload();
    } catch (e) {
      err.textContent = e instanceof api.ApiError && e.code === 'last-owner'
        ? `${self ? 'You are' : `${m.name} is`} the last owner: make another account owner first, or delete the home.`
        : errorText(e);
      sure.disabled = cancel.disabled = false;
    }
  });
  li.append(' ', ask, sure, cancel, warn, err);
  return li;
}

// After an owner's removal: the owner keys that account enrolled, each
// with a signed key revocation (PT_ENV_REVOCATION of the key).
async function removedOwnerKeys(home, m, box) {
  const ids = new Set(Array.isArray(m.key_ids) ? m.key_ids : []);
  let keys = [];
  let problem = '';
  try {
    keys = ((await api.get(`/v1/homes/${api.enc(home.id)}/owner-keys`)).keys || []).filter((k) => ids.has(k.key_id));
  } catch (e) {
    problem = errorText(e);
  }
  const note = h('p', { testid: 'member-removed-note', 'data-keys': String(keys.length) });
  if (problem) note.textContent = `${m.name} is removed. Their owner keys (${[...ids].join(', ') || 'none enrolled by them'}) could not be read: ${problem}. Revoke them: the hubs obey them until then.`;
  else if (!keys.length) note.textContent = `${m.name} is removed. Their account enrolled no owner key here. If they hold an owner key that another account enrolled, revoke that key: the hubs obey it until then.`;
  else note.textContent = `${m.name} is removed from porter, but the hubs still obey the owner ${keys.length === 1 ? 'key' : 'keys'} their account enrolled until you revoke ${keys.length === 1 ? 'it' : 'them'}:`;
  const ul = h('ul', { class: 'timeline' });
  for (const k of keys) {
    const li = h('li', { testid: 'removed-key', 'data-key': k.key_id },
      h('span', { class: 'mono', text: k.key_id }), ` ${k.label || ''} `);
    li.append(keyRevokeBox(home, k));
    ul.append(li);
  }
  box.replaceChildren(h('h3', { text: `${m.name}'s owner keys` }), note, ul);
}

function keyRevokeBox(home, k, tid = 'key', askText = 'Revoke this key', warning = '') {
  const box = h('div', { class: 'row' });
  const err = h('p', { class: 'error', role: 'alert', testid: `${tid}-revoke-error` });
  const ask = h('button', { type: 'button', class: 'secondary', testid: `${tid}-revoke`, text: askText });
  const sure = h('button', { type: 'button', class: 'danger', testid: `${tid}-revoke-confirm`, hidden: true,
    text: 'Revoke for good' });
  const cancel = h('button', { type: 'button', class: 'secondary', testid: `${tid}-revoke-cancel`, hidden: true, text: 'Cancel' });
  const details = h('p', { class: 'small mono', testid: `${tid}-revoke-details`, hidden: true });
  // The key revoked is the 32-byte key porterd gives, its id computed
  // here (porterd's key_id must be it); never this browser's own key.
  let target = null;
  ask.addEventListener('click', async () => {
    err.textContent = '';
    ask.disabled = true;
    try {
      const rec = await keystore.load(account).catch(() => null);
      const t = await keyRevocationTarget(k, rec && rec.public_key ? fromB64url(rec.public_key) : null);
      if (t.own) throw new Error(`key ${t.keyId} is this browser's own owner key: revoke it from another owner's device`);
      target = t;
      details.textContent = `Key id ${t.keyId} (computed from the key), public key ${toB64url(t.pk)}.${warning ? ` ${warning}` : ''}`;
      details.dataset.keyId = t.keyId;
      sure.textContent = `Revoke key ${t.keyId} for good`;
      details.hidden = false;
      ask.hidden = true;
      sure.hidden = cancel.hidden = false;
      sure.focus();
    } catch (e) {
      target = null;
      err.textContent = `Not revoked: ${errorText(e)}`;
    } finally {
      ask.disabled = false;
    }
  });
  cancel.addEventListener('click', () => {
    ask.hidden = false;
    sure.hidden = cancel.hidden = details.hidden = true;
    target = null;
  });
  sure.addEventListener('click', async () => {
    err.textContent = '';
    if (!target) return;
    const sg = keystore.signer(account);
    if (!sg) {
      // Unlock here: leaving the page would lose this list.
      const rec = await keystore.load(account).catch(() => null);
      err.textContent = rec ? 'Unlock your key, then revoke again.' : 'This browser has no owner key (see Keys): revoke it from a device that has one.';
      if (rec && !box.querySelector('form')) box.append(unlockForm(rec, () => box.querySelector('form')?.remove()));
      return;
    }
    sure.disabled = cancel.disabled = true;
    try {
      const env = await revocationEnvelope({ sk: sg.sk, pk: sg.pk, home: home.id, key: target.pk });
      const r = await api.post(`/v1/homes/${api.enc(home.id)}/revocations`, { revocation: toB64url(env) });
      box.replaceChildren(h('span', { class: 'alert-label', testid: `${tid}-revoked`, text: 'REVOKED' }),
        h('span', { class: 'small', text: `key ${target.keyId}: revocation version ${r.version}: the hubs refuse this key once they have fetched it` }));
    } catch (e) {
      err.textContent = errorText(e);
      sure.disabled = cancel.disabled = false;
    }
  });
  box.append(ask, sure, cancel, details, err);
  return box;
}

// ---- routing ----

async function route() {
  if (!account) return;
  nav.hidden = false;
  for (const a of nav.querySelectorAll('a')) a.removeAttribute('aria-current');
  const mine = view + 1; // setView's next number
  try {
    const parts = (location.hash.replace(/^#\/?/, '') || 'homes').split('/').map(decodeURIComponent);
    if (parts[0] === 'keys') {
      nav.querySelector('[data-testid="nav-keys"]').setAttribute('aria-current', 'page');
      await viewKeys();
    } else if (parts[0] === 'homes' && parts[1]) {
      if (parts[2] === 'timeline') await viewTimeline(parts[1]);
      else if (parts[2] === 'deliveries' && parts[3]) await viewDelivery(parts[1], parts[3]);
      else if (parts[2] === 'deliveries') await viewDeliveries(parts[1]);
      else if (parts[2] === 'people' || parts[2] === 'guests') await viewPeople(parts[1]);
      else if (parts[2] === 'clips') await viewClips(parts[1], parts[3]);
      else if (parts[2] === 'settings') await viewSettings(parts[1]);
      else await viewHome(parts[1]);
    } else {
      nav.querySelector('[data-testid="nav-homes"]').setAttribute('aria-current', 'page');
      await viewHomes();
    }
    // The view is drawn: focus its content (screen readers start there).
    if (account && view === mine) main.focus({ preventScroll: true });
  } catch (e) {
    if (!account) return; // signed out meanwhile: the sign-in form is shown
    stopPolling();
    main.replaceChildren(h('h1', { text: 'Something went wrong' }), h('p', { class: 'error', role: 'alert', text: errorText(e) }),
      h('p', {}, h('a', { href: '#/homes', text: 'Back to your homes' })));
  }
}

window.addEventListener('hashchange', () => route());

// The key locks itself after keystore.IDLE_MS without input, and when the
// page is left (pagehide: another page, a reload, the tab closed or frozen).
for (const type of ['keydown', 'pointerdown', 'wheel', 'touchstart'])
  document.addEventListener(type, () => keystore.touch(), { capture: true, passive: true });
window.addEventListener('pagehide', () => {
  wipePairCodes();
  keystore.lock();
  endClip();
});
keystore.setAutoLockHandler(() => {
  toast('Key locked after 10 minutes without input');
  route();
});

async function boot() {
  const who = await api.resume();
  if (!who) {
    showSignIn();
    return;
  }
  account = who;
  route();
}

boot();
