// porter's owner app (docs/web.md): hash routes, one view at a time, every
// fact from porterd's API and live stream. Secrets (the owner key) stay in
// keystore.js; commands are signed here (porter.js) and only relayed by
// porterd. No innerHTML: every piece of server data goes in as text.

import * as api from './api.js';
import * as keystore from './keystore.js';
import { commandEnvelope, grantLink, rootChain, isId } from './porter.js';
import { getSodium } from './sodium.js';
import { PASSPHRASE_MIN } from './kdf.js';
import { toB64url, fromB64url } from './util.js';
import { reasonText, eventText, isAlert, stateText, levelText } from './words.js';

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
  stopPolling();
  closeStreams();
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
      setTimeout(() => {
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
  api.get(`/v1/homes/${api.enc(homeId)}/hubs`).then((r) => {
    for (const hub of r.hubs || []) if (!shown.has(hub.id)) put(hub);
    if (!(r.hubs || []).length && !shown.size) box.append(h('p', { class: 'muted', text: 'No hub paired yet.' }));
  }).catch(() => {});
  return [note, box];
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
    link(`${base}/deliveries`, 'Deliveries', 'deliveries'), link(`${base}/guests`, 'Guests', 'guests'),
    link('#/homes', 'All homes', 'homes'));
}

async function viewHomes() {
  const v = setView('Your homes', h('p', { class: 'muted', text: 'Loading…' }));
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
  const onEvent = (ev) => {
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
  main.replaceChildren(h('h1', { text: home.name }), homeTabs(home, 'home'),
    h('section', { 'aria-labelledby': 'hubs-title' }, h('h2', { id: 'hubs-title', text: 'Hubs' }), liveHubs(home.id, onEvent)),
    control);
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

function unlockForm(rec, done) {
  // Not a site password: no password-manager autofill, and a name of its own.
  const pass = h('input', { id: 'unlock-pass', type: 'password', name: 'porter-key-passphrase', autocomplete: 'off',
    required: true, testid: 'key-passphrase' });
  const err = h('p', { class: 'error', role: 'alert', testid: 'key-error' });
  const btn = h('button', { type: 'submit', testid: 'key-unlock', text: 'Unlock key' });
  const form = h('form', { autocomplete: 'off' }, h('label', { for: 'unlock-pass' }, `Passphrase of key ${rec.key_id}`, pass),
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

function eventItem(ev, alertIds, openAlerts, homeId) {
  const alert = isAlert(ev, alertIds);
  const d = ev.data || {};
  const bits = [];
  if (d.reason) bits.push(reasonText(d.reason));
  if (d.op) bits.push(`${d.op}`);
  if (d.lock) bits.push(`lock ${d.lock}`);
  if (d.delivery_id) bits.push(d.delivery_id);
  const li = h('li', { class: alert ? 'alert' : '', testid: alert ? 'event-alert' : 'event', 'data-type': ev.type },
    alert ? h('span', { class: 'alert-label', testid: 'alert-label' }, h('span', { 'aria-hidden': 'true', text: '⚠ ' }), 'ALERT') : null,
    h('strong', { text: eventText(ev.type) }),
    bits.length ? h('span', { text: ` — ${bits.join(' · ')}` }) : null,
    h('div', { class: 'small muted', text: `${when(ev.at)} · ${ev.source || ''} · ${ev.type}` }));
  const open = openAlerts && openAlerts.get(ev.id);
  if (open) {
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
  const list = h('ul', { class: 'timeline', testid: 'timeline' },
    events.slice(-200).reverse().map((ev) => eventItem(ev, alertIds, openAlerts, home.id)));
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
    list.prepend(eventItem(ev, alertIds, null, home.id));
  });
  main.replaceChildren(h('h1', { text: `${home.name}: timeline` }), homeTabs(home, 'timeline'),
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
      onclick: act('refuse', { reason: 'refused by the owner' }), text: 'Refuse' }) : null);
  const field = (label, value, testid) => h('div', {}, h('dt', { text: label }), h('dd', { testid, text: value }));
  return h('article', { class: 'card', testid: 'delivery', 'data-delivery': d.id },
    h('div', { class: 'row' }, h('strong', { text: d.package_id || d.id }),
      h('span', { class: 'pill', testid: 'delivery-state', text: stateText(d.state) })),
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

// Guests: a root grant (purpose guest, no further delegation) signed in
// the page with the owner's key, for the guest's device key, on a weekly
// schedule in the home's zone; uploaded to porterd, handed to the guest.
const DAYS = [['Mon', 1], ['Tue', 2], ['Wed', 3], ['Thu', 4], ['Fri', 5], ['Sat', 6], ['Sun', 0]];

function minutes(hhmm) {
  const m = /^(\d\d):(\d\d)$/.exec(hhmm);
  return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
}

async function viewGuests(id) {
  const v = setView('Guests');
  const home = await findHome(id);
  keepStreams([]);
  const grants = await pageAll(`/v1/homes/${api.enc(home.id)}/grants`, 'grants', 5).catch(() => []);
  if (v !== view) return;
  const content = [h('h1', { text: `${home.name}: guests` }), homeTabs(home, 'guests')];
  const grantItem = (g) => h('li', { testid: 'grant', 'data-token': g.token_id },
    h('strong', { text: g.label || g.token_id }), ` — ${g.purpose}, ${g.links} link${g.links === 1 ? '' : 's'}`,
    h('div', { class: 'small muted mono', text: `token ${g.token_id} · until ${g.expires_at ? when(g.expires_at) : 'no end'}` }));
  const grantList = h('ul', { class: 'timeline', testid: 'grants' }, grants.slice().reverse().map(grantItem));
  if (home.role === 'owner') {
    const input = (idv, attrs) => h('input', { id: idv, ...attrs });
    const holder = input('g-holder', { type: 'text', required: true, pattern: '[A-Za-z0-9_\\-]{43}', spellcheck: 'false',
      autocomplete: 'off', testid: 'grant-holder' });
    const label = input('g-label', { type: 'text', maxlength: 100, value: 'guest', testid: 'grant-label' });
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
          holder: holderKey, purpose: 'guest', depth: 0, tz: home.tz, weekly: [[days, start, end]] };
        if (lock.value.trim()) g.locks = [lock.value.trim()];
        if (entries.value) g.entries = Number(entries.value);
        if (note.value.trim()) g.note = note.value.trim();
        const chain = toB64url(rootChain(await grantLink(g)));
        const r = await api.post(`/v1/homes/${api.enc(home.id)}/grants`, { chain, label: label.value.trim() || 'guest' });
        grantList.prepend(grantItem(r));
        out.append(h('p', { class: 'okmsg', text: `Stored: token ${r.token_id}, valid until ${when(r.expires_at)}.` }),
          h('p', { text: 'Give the guest this credential (base64url of the chain; porter cred inspect shows it once decoded):' }),
          h('pre', { class: 'cmd', testid: 'grant-chain', 'data-token': r.token_id, text: chain }));
      } catch (e) {
        err.textContent = errorText(e);
      } finally {
        btn.disabled = false;
      }
    });
    content.push(h('h2', { text: 'Let a guest in' }),
      h('p', { class: 'small muted', text: 'Signed here with your key (which the hub must trust: see Keys). Purpose guest, no further delegation.' }),
      form, out);
  }
  content.push(h('h2', { text: 'Credentials of this home' }), grantList);
  main.replaceChildren(...content);
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
      h('p', { text: 'An owner key the hub already trusts must endorse this key before the hub obeys it. On the computer that holds that key, run:' }));
    for (const home of owned) {
      // Copied into a shell: only a well-formed home id, every argument
      // single-quoted.
      if (!isId(home.id)) continue;
      const cmd = ['porter', 'key', 'endorse', '--key', shq('OWNER_KEY'), '--home', shq(home.id),
        '--public-key', shq(rec.public_key), '--label', shq(rec.label)].join(' ');
      const status = h('p', { class: 'small', testid: 'endorse-status', 'data-home': home.id, text: 'checking…' });
      content.push(h('section', { class: 'card' }, h('strong', { text: home.name }),
        h('pre', { class: 'cmd', testid: 'endorse-command', 'data-home': home.id, text: cmd }), status));
      api.get(`/v1/homes/${api.enc(home.id)}/owner-keys`).then((r) => {
        const k = (r.keys || []).find((x) => x.public_key === rec.public_key);
        status.dataset.value = k ? (k.endorsed_by ? 'endorsed' : 'stored') : 'unknown';
        status.textContent = !k ? 'Not known to porter for this home yet.'
          : k.endorsed_by ? `Endorsed by key ${k.endorsed_by}.` : 'Stored without an endorsement: hubs will not obey it.';
      }).catch((e) => { status.textContent = errorText(e); });
    }
    if (!owned.length) content.push(h('p', { class: 'muted', text: 'You own no home.' }));
  }
  main.replaceChildren(h('h1', { text: 'Your key' }), ...content);
}

/** shq(s) -> s single-quoted for a POSIX shell. */
function shq(s) {
  return `'${String(s).replaceAll('\'', '\'\\\'\'')}'`;
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
      else if (parts[2] === 'deliveries') await viewDeliveries(parts[1]);
      else if (parts[2] === 'guests') await viewGuests(parts[1]);
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
window.addEventListener('pagehide', () => keystore.lock());
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
