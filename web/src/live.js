// Live view in the page (docs/live.md "The viewer", docs/web-app.md "Live
// view"). One panel at a time; each live session has a worker of its own
// (keyworker.js, ops live-*) that makes the session's X25519 key pair,
// checks the camera-signed key record, opens the live key and decrypts
// each fragment: neither the X25519 secret nor the live key ever enters
// this page. The owner's key worker (keystore.js) only signs the request.
// porterd relays ciphertext: POST .../live, GET .../key (retried while
// 404), then GET .../fragments/{n} as a long poll (200 a fragment, 204
// ask again, 409 behind -> jump to "next", 410 over). Decrypted fMP4 goes
// to a MediaSource; nothing that did not open is ever appended.

import * as api from './api.js';
import * as keystore from './keystore.js';
import { liveRequest, LIVE, kid, TrustError } from './porter.js';
import { toB64url, fromB64url, toHex } from './util.js';
import { cameraKeyFor } from './camtrust.js';

const KEY_WAIT_MS = 20000; // the camera's key record: at most this long
const RENEW_BEFORE_S = 30; // a new session this long before expiry
const HIDDEN_STOP_MS = 30000; // stop after the page was hidden this long
const LAG_MAX_S = 4; // jump to the live edge when further behind
const KEEP_S = 20; // seconds of video kept behind the playhead
const SESSION_MIN_S = 300; // porterd's expires_at: at least iat + this
const EXPIRY_GRACE_S = 5; // the view ends this long after expires_at
const POLL_MIN_MS = 1000; // a 204 sooner than this: wait before asking again
const POLL_BACKOFF_MAX_MS = 8000; // ... doubling up to this
const EMPTY_MAX = 18; // consecutive 204s (3 min at [live] wait = 10 s)
const JUMPS_MAX = 10; // consecutive 409s without a fragment
const RENEW_GAP_MS = 60000; // at most one renewal a minute

let current = null; // the open panel's controller

/** codecOf(init) -> 'avc1.PPCCLL' from the init segment's avcC box, or null. */
export function codecOf(init) {
  // moov > trak > mdia > minf > stbl > stsd > avc1|avc3 > avcC: walk the
  // boxes down by name; the bytes are the camera's, already authenticated.
  const path = ['moov', 'trak', 'mdia', 'minf', 'stbl', 'stsd'];
  const fourcc = (b, o) => String.fromCharCode(b[o], b[o + 1], b[o + 2], b[o + 3]);
  const u32 = (b, o) => ((b[o] << 24) >>> 0) + (b[o + 1] << 16) + (b[o + 2] << 8) + b[o + 3];
  const find = (b, start, end, name) => {
    for (let o = start; o + 8 <= end;) {
      const size = u32(b, o);
      if (size < 8 || o + size > end) return null;
      if (fourcc(b, o + 4) === name) return [o + 8, o + size];
      o += size;
    }
    return null;
  };
  let range = [0, init.length];
  for (const name of path) {
    range = find(init, range[0], range[1], name);
    if (!range) return null;
  }
  // stsd: version/flags (4), entry count (4), then sample entries; a
  // visual sample entry has 78 bytes before its child boxes.
  const entry = range[0] + 8;
  if (entry + 8 > range[1]) return null;
  const kind = fourcc(init, entry + 4);
  if (kind !== 'avc1' && kind !== 'avc3') return null;
  const esize = u32(init, entry);
  const c = find(init, entry + 8 + 78, Math.min(entry + esize, range[1]), 'avcC');
  if (!c || c[1] - c[0] < 4) return null;
  const hx = (x) => x.toString(16).padStart(2, '0').toUpperCase();
  return `${kind}.${hx(init[c[0] + 1])}${hx(init[c[0] + 2])}${hx(init[c[0] + 3])}`;
}

/** mimeFor(init) -> a MIME type this browser's MediaSource plays, or null. */
export function mimeFor(init) {
  const codec = codecOf(init);
  if (!codec || typeof MediaSource === 'undefined') return null;
  const t = `video/mp4; codecs="${codec}"`;
  return MediaSource.isTypeSupported(t) ? t : null;
}

// ---- one live session: its worker, its requests ----

class Session {
  constructor(home, camera, cameraKey) {
    this.home = home;
    this.camera = camera;
    this.cameraKey = cameraKey;
    this.id = crypto.getRandomValues(new Uint8Array(LIVE.idLen));
    this.hex = toHex(this.id);
    this.ctl = new AbortController();
    this.ended = false;
    this.expiresAt = 0;
    this.pending = new Map();
    this.next = 1;
    this.w = new Worker(new URL('keyworker.js', import.meta.url), { type: 'module', name: 'porter-live' });
    this.w.addEventListener('message', (ev) => {
      const { id, ok, result, error } = ev.data || {};
      const p = this.pending.get(id);
      if (!p) return;
      this.pending.delete(id);
      if (ok) p.resolve(result);
      else p.reject(new Error(error));
    });
    this.w.addEventListener('error', (ev) => {
      ev.preventDefault();
      this.failAll('the live worker failed');
    });
  }

  failAll(why) {
    const p = this.pending;
    this.pending = new Map();
    for (const { reject } of p.values()) reject(new Error(why));
  }

  call(msg) {
    return new Promise((resolve, reject) => {
      if (!this.w) {
        reject(new Error('the live session has ended'));
        return;
      }
      const id = this.next++;
      this.pending.set(id, { resolve, reject });
      this.w.postMessage({ ...msg, session: this.id, id });
    });
  }

  async fetchBytes(path, max = LIVE.fragmentMax, what = 'a fragment') {
    const res = await fetch(path, { credentials: 'same-origin', cache: 'no-store', redirect: 'error',
      signal: this.ctl.signal, headers: { Accept: 'application/octet-stream, application/cbor, application/json' } });
    let bytes = null;
    let json = null;
    if (res.status === 200) {
      bytes = await api.readLimited(res, max, `porterd sent ${what} over the limit`);
    } else if ((res.headers.get('Content-Type') || '').startsWith('application/json')) {
      json = await res.json().catch(() => null);
    }
    return { status: res.status, bytes, json };
  }

  // POST the signed request; porterd relays it to the hub.
  async open() {
    const sg = keystore.signer(this.account);
    if (!sg) throw new Error('Unlock your key first: live view is asked for with your owner key.');
    const viewerKey = await this.call({ op: 'live-new', camera: this.camera });
    const iat = Math.floor(Date.now() / 1000);
    const exp = iat + LIVE.secondsMax;
    const { bytes } = await liveRequest({ sk: sg.sk, pk: sg.pk, home: this.home, camera: this.camera, viewerKey,
      session: this.id, iat, exp });
    const r = await api.post(`/v1/homes/${api.enc(this.home)}/live`, { request: toB64url(bytes) });
    if (!r || r.session !== this.hex || r.camera !== this.camera) throw new Error('porterd answered for another session');
    this.base = `/v1/live/${this.hex}`; // from here on, end() deletes it
    // The session cannot outlive what was signed; an expiry already past,
    // none, or less than SESSION_MIN_S would make renewals come too often.
    if (!Number.isSafeInteger(r.expires_at) || r.expires_at < iat + SESSION_MIN_S)
      throw new Error('porterd gave the session too short an expiry');
    const at = Math.min(r.expires_at, exp);
    if (at <= Math.floor(Date.now() / 1000) + RENEW_BEFORE_S) throw new Error('porterd gave the session no time to run');
    this.expiresAt = at;
  }

  // The camera's key record: retried while 404.
  async key() {
    const end = Date.now() + KEY_WAIT_MS;
    for (;;) {
      if (this.ended) throw new Error('stopped');
      const r = await this.fetchBytes(`${this.base}/key`, 384, 'a key record');
      if (r.status === 200) {
        if (r.bytes.length > 384) throw new Error('the key record is too large');
        return this.call({ op: 'live-key', record: r.bytes, cameraKey: this.cameraKey });
      }
      if (r.status === 410) throw new Error('the live session ended before the camera answered');
      if (r.status !== 404) throw new api.ApiError(r.status, r.json);
      if (Date.now() > end) throw new Error('the camera did not answer (no key record): is it online, and does the hub trust your key?');
      await new Promise((ok) => setTimeout(ok, 300));
    }
  }

  // A pause that a Stop cuts short.
  sleep(ms) {
    return new Promise((ok) => {
      const t = setTimeout(ok, ms);
      this.ctl.signal.addEventListener('abort', () => {
        clearTimeout(t);
        ok();
      }, { once: true });
    });
  }

  // Past expires_at (and a few seconds): porterd may not go on serving.
  expired() {
    return Date.now() / 1000 > this.expiresAt + EXPIRY_GRACE_S;
  }

  // Fragment n, opened by the worker: {index, capture, duration, media};
  // {next: k} when porterd dropped n already; null when the session is over.
  // A 204 that came back sooner than POLL_MIN_MS waits (doubling), and
  // too many 204s or 409s in a row without a fragment end the view.
  async fragment(n) {
    let empty = 0;
    let pause = POLL_MIN_MS;
    this.jumps = this.jumps || 0;
    for (;;) {
      if (this.ended || this.expired()) return null;
      const t0 = Date.now();
      const r = await this.fetchBytes(`${this.base}/fragments/${n}`);
      if (this.ended || this.expired()) return null;
      if (r.status === 200) {
        this.jumps = 0;
        return this.call({ op: 'live-fragment', index: n, bytes: r.bytes });
      }
      if (r.status === 204) {
        if (++empty > EMPTY_MAX) throw new Error('porterd sent no fragment for too long');
        if (Date.now() - t0 < POLL_MIN_MS) {
          await this.sleep(pause);
          pause = Math.min(pause * 2, POLL_BACKOFF_MAX_MS);
        } else pause = POLL_MIN_MS;
        continue;
      }
      if (r.status === 410) return null;
      if (r.status === 409) {
        // {"error": "behind", "next": k} (docs/live.md); also read inside
        // an error object, as other API errors are shaped.
        const j = r.json || {};
        const k = Number.isInteger(j.next) ? j.next : j.error && Number.isInteger(j.error.next) ? j.error.next : null;
        if (k === null || k <= n) throw new Error('porterd answered 409 without a fragment to jump to');
        if (++this.jumps > JUMPS_MAX) throw new Error('porterd kept answering "behind" without a fragment');
        if (this.jumps > 1) await this.sleep(POLL_MIN_MS);
        return { next: k };
      }
      throw new api.ApiError(r.status, r.json);
    }
  }

  // Stop fetching, tell porterd (the camera then stops), wipe the keys and
  // end the worker (its memory goes with it).
  end(beacon = false) {
    if (this.ended) return;
    this.ended = true;
    this.ctl.abort();
    if (this.base) {
      const headers = { Accept: 'application/json' };
      const token = api.csrfToken();
      if (token) headers['X-Porter-CSRF'] = token;
      fetch(this.base, { method: 'DELETE', credentials: 'same-origin', headers, keepalive: beacon, cache: 'no-store' })
        .catch(() => {});
    }
    const w = this.w;
    this.w = null;
    if (w) {
      const id = this.next++;
      w.postMessage({ op: 'live-end', session: this.id, id });
      // The wipe is queued first; terminate right after it had its turn.
      setTimeout(() => w.terminate(), 200);
    }
    this.failAll('the live session has ended');
  }
}

// ---- the player: one MediaSource per session ----

class Player {
  constructor(video) {
    this.video = video;
    this.ms = null;
    this.sb = null;
    this.url = null;
    this.queue = Promise.resolve();
    this.newest = null; // {capture, duration} of the newest appended fragment
  }

  async init(media) {
    this.reset();
    const type = mimeFor(media);
    if (!type) throw new Error(`this browser cannot play this camera's video (${codecOf(media) || 'not H.264'})`);
    this.ms = new MediaSource();
    this.url = URL.createObjectURL(this.ms);
    this.video.src = this.url;
    await new Promise((ok) => this.ms.addEventListener('sourceopen', ok, { once: true }));
    this.sb = this.ms.addSourceBuffer(type);
    await this.append(media);
  }

  append(bytes) {
    const sb = this.sb;
    return new Promise((ok, fail) => {
      if (!sb || this.ms.readyState !== 'open') {
        fail(new Error('the player is closed'));
        return;
      }
      const done = () => {
        sb.removeEventListener('updateend', done);
        sb.removeEventListener('error', bad);
        ok();
      };
      const bad = () => {
        sb.removeEventListener('updateend', done);
        sb.removeEventListener('error', bad);
        fail(new Error('the browser could not use a fragment'));
      };
      sb.addEventListener('updateend', done);
      sb.addEventListener('error', bad);
      sb.appendBuffer(bytes);
    });
  }

  async media(f) {
    await this.append(f.media);
    this.newest = f;
    const v = this.video;
    const b = this.sb.buffered;
    if (!b.length) return;
    const end = b.end(b.length - 1);
    const start = b.start(b.length - 1);
    // Before the first picture, after a jump (a gap) or too far behind:
    // to the live edge.
    const inRange = [...Array(b.length).keys()].some((i) => v.currentTime >= b.start(i) && v.currentTime <= b.end(i));
    if (!inRange || end - v.currentTime > LAG_MAX_S) v.currentTime = Math.max(start, end - 1);
    if (v.paused) v.play().catch(() => {});
    if (v.currentTime - b.start(0) > KEEP_S * 2 && !this.sb.updating) {
      const sb = this.sb;
      await new Promise((ok) => {
        sb.addEventListener('updateend', ok, { once: true });
        sb.remove(0, v.currentTime - KEEP_S);
      });
    }
  }

  // The capture time of the picture on screen, in ms (null before any):
  // the newest fragment ends at the buffer's end; the playhead is that
  // far behind it.
  lagMs() {
    const f = this.newest;
    if (!f || !this.sb || !this.sb.buffered.length) return null;
    const end = this.sb.buffered.end(this.sb.buffered.length - 1);
    const shown = f.capture + f.duration - (end - this.video.currentTime) * 1000;
    return Math.max(0, Date.now() - shown);
  }

  reset() {
    this.sb = null;
    if (this.ms && this.ms.readyState === 'open') {
      try {
        this.ms.endOfStream();
      } catch {
        /* closing anyway */
      }
    }
    this.ms = null;
    this.video.removeAttribute('src');
    this.video.load();
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = null;
    this.newest = null;
  }
}

// ---- the panel ----

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'testid') e.dataset.testid = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of kids.flat()) if (c !== null && c !== undefined) e.append(c);
  return e;
}

/** stopLive(): end the open live view, if any (app.js calls it on a new
 * view and on sign-out). */
export function stopLive(why) {
  if (current) current.stop(why || 'Live view stopped.');
}

/** openLive({account, home, camera?}) -> the panel element: live view of
 * the home's camera (the first one when none is named), started at once.
 * The caller puts the element where it wants it; a new call ends the
 * previous view. */
export function openLive({ account, home, camera }) {
  stopLive();
  const status = el('p', { class: 'small', testid: 'live-status', role: 'status', 'aria-live': 'polite', text: 'Starting…' });
  const lag = el('span', { class: 'small muted', testid: 'live-lag' });
  const video = el('video', { testid: 'live-video', muted: true, playsinline: true, autoplay: true,
    'aria-label': 'live video of the camera' });
  video.muted = true;
  const stopBtn = el('button', { type: 'button', class: 'secondary', testid: 'live-stop', text: 'Stop' });
  const againBtn = el('button', { type: 'button', testid: 'live-again', text: 'Watch again', hidden: true });
  const title = el('h2', { id: 'live-title', tabindex: '-1', text: 'Live view' });
  const camKey = el('p', { class: 'small muted mono', testid: 'live-camera-key' });
  const panel = el('section', { class: 'card live', testid: 'live', 'aria-labelledby': 'live-title', 'data-state': 'starting' },
    title, el('div', { class: 'live-frame' }, video), el('div', { class: 'row' }, stopBtn, againBtn, lag), status, camKey,
    el('p', { class: 'small muted', text: 'Decrypted in this page with a key made for this view only; porterd relays ciphertext.' }));
  const player = new Player(video);
  let session = null; // the session that plays
  let renewing = null; // the next one, until it takes over
  let stopped = false;
  let hiddenTimer = null;
  let lagTimer = null;
  let lastRenew = 0; // when the last renewal was planned (one a minute at most)
  const c = { stop: null };
  current = c;

  const setState = (state, text) => {
    panel.dataset.state = state;
    if (text !== undefined) status.textContent = text;
  };

  const cleanup = () => {
    window.removeEventListener('hashchange', onLeave);
    window.removeEventListener('pagehide', onHide);
    document.removeEventListener('visibilitychange', onVisibility);
    clearTimeout(hiddenTimer);
    clearInterval(lagTimer);
    if (current === c) current = null;
  };

  const stop = (text, state = 'stopped', beacon = false) => {
    if (stopped) return;
    stopped = true;
    if (session) session.end(beacon);
    if (renewing) renewing.end(beacon);
    session = null;
    renewing = null;
    player.reset();
    cleanup();
    setState(state, text);
    lag.textContent = '';
    stopBtn.hidden = true;
    againBtn.hidden = false;
  };
  c.stop = stop;

  const onLeave = () => stop('Live view stopped: you left the page.');
  const onHide = () => stop('Live view stopped.', 'stopped', true);
  const onVisibility = () => {
    clearTimeout(hiddenTimer);
    if (document.visibilityState === 'hidden') {
      hiddenTimer = setTimeout(() => stop('Live view stopped while the page was hidden.', 'stopped', true), HIDDEN_STOP_MS);
    }
  };
  window.addEventListener('hashchange', onLeave);
  window.addEventListener('pagehide', onHide);
  document.addEventListener('visibilitychange', onVisibility);

  stopBtn.addEventListener('click', () => {
    stop('Live view stopped.');
    againBtn.focus();
  });
  againBtn.addEventListener('click', () => {
    const parent = panel.parentNode;
    const fresh = openLive({ account, home, camera });
    if (parent) panel.replaceWith(fresh);
    fresh.querySelector('h2').focus();
  });

  // The camera: the named one, else the home's first, with its key.
  const pickCamera = async () => {
    const r = await api.get(`/v1/homes/${api.enc(home)}/cameras`);
    const list = (r && r.cameras) || [];
    const cam = camera ? list.find((x) => x && x.id === camera) : list[0];
    if (!cam) throw new Error(camera ? `no camera ${camera} in this home` : 'this home has no camera');
    let key;
    try {
      key = fromB64url(cam.public_key);
    } catch {
      key = null;
    }
    if (!key || key.length !== 32) throw new Error('porterd gave no usable key for the camera');
    // The key id shown is computed from the key the record is checked
    // with, never porterd's key_id (which must agree with it).
    const keyId = toHex(await kid(key));
    if (cam.key_id !== undefined && cam.key_id !== keyId)
      throw new Error(`porterd's key id for camera ${cam.id} (${cam.key_id}) is not the id of the key it gave (${keyId})`);
    // Believed only with an owner's statement this browser can follow
    // (camtrust.js): else no live view is asked for.
    const vouched = await cameraKeyFor(account, home, cam);
    key = vouched.key;
    camKey.textContent = `Camera ${cam.name || cam.id}, key id ${keyId}: compare with the one porter-cam key prints on the camera.${vouched.warning ? ` Warning: ${vouched.warning}.` : ''}`;
    camKey.dataset.keyId = keyId;
    return { id: cam.id, key, name: cam.name || cam.id, keyId };
  };

  // The camera picked, checked again (camtrust.js) with porterd's answer
  // now: the same key, still vouched for, not revoked. Throws.
  const stillBelieved = async (cam) => {
    const r = await api.get(`/v1/homes/${api.enc(home)}/cameras`);
    const c = ((r && r.cameras) || []).find((x) => x && x.id === cam.id);
    if (!c) throw new Error(`no camera ${cam.id} in this home any more`);
    const v = await cameraKeyFor(account, home, c);
    if (toHex(v.key) !== toHex(cam.key)) throw new TrustError('altered', 'porterd now gives another key for the camera');
  };

  // One session from the request to its end; renewing hands the player
  // over to the next session at its first fragment.
  const runSession = async (cam, renewal) => {
    if (stopped) return;
    const s = new Session(home, cam.id, cam.key);
    s.account = account;
    if (!renewal) session = s;
    else renewing = s;
    let renewTimer = null;
    try {
      await s.open();
      if (!renewal) panel.dataset.session = s.hex;
      if (!renewal) setState('starting', `Waiting for ${cam.name}…`);
      await s.key();
      let n = 0;
      let first = true;
      let count = 0;
      for (;;) {
        if (stopped || s.ended) return;
        const f = await s.fragment(n);
        if (stopped || s.ended) return;
        if (f === null) {
          if (session === s) stop(Date.now() / 1000 >= s.expiresAt - 2 ? 'Live view ended (the session expired).'
            : 'Live view ended: the camera or porterd ended the session.', 'ended');
          return;
        }
        if (f.next !== undefined) {
          n = f.next;
          continue;
        }
        if (n === 0) {
          if (renewal) {
            // Hand over: the old session ends, this one plays.
            const old = session;
            session = s;
            renewing = null;
            panel.dataset.session = s.hex;
            if (old) old.end();
          }
          await player.init(f.media);
          n = 1;
          continue;
        }
        await player.media(f);
        count++;
        panel.dataset.fragments = String(count);
        n = f.index + 1;
        if (first) {
          first = false;
          setState('playing', `Live from ${cam.name}.`);
          // A new session before this one expires.
          const ms = (s.expiresAt - RENEW_BEFORE_S) * 1000 - Date.now();
          renewTimer = setTimeout(() => {
            if (stopped || session !== s) return;
            if (!keystore.signer(account)) {
              status.textContent = 'Unlock your key to keep watching: this view ends at its expiry.';
              return;
            }
            // Believed again before each renewal (camtrust.js): a key
            // revoked meanwhile, the camera's or an owner's, ends the view.
            stillBelieved(cam).then(() => {
              if (!stopped && session === s) runSession(cam, true);
            }, (e) => {
              if (stopped || session !== s) return;
              if (e instanceof TrustError) stop(`Live view stopped: ${e.message}`, 'error');
              else status.textContent = `Could not renew live view: ${e.message}`;
            });
          }, Math.max(ms, 1000, RENEW_GAP_MS - (Date.now() - lastRenew)));
          lastRenew = Date.now();
        }
      }
    } catch (e) {
      if (stopped || s.ended) return;
      if (renewal && session !== s) {
        // The old session plays on until it expires.
        if (renewing === s) renewing = null;
        s.end();
        status.textContent = `Could not renew live view: ${e.message}`;
        return;
      }
      stop(`Live view failed: ${e instanceof api.ApiError ? `${e.message} (${e.code})` : e.message}`, 'error');
    } finally {
      clearTimeout(renewTimer);
      if (session !== s) s.end();
    }
  };

  lagTimer = setInterval(() => {
    const ms = player.lagMs();
    if (ms === null) return;
    panel.dataset.lagMs = String(Math.round(ms));
    lag.textContent = `${(ms / 1000).toFixed(1)} s behind`;
  }, 500);

  (async () => {
    try {
      if (typeof MediaSource === 'undefined') throw new Error('this browser has no Media Source Extensions');
      if (!keystore.signer(account)) throw new Error('Unlock your key first: live view is asked for with your owner key.');
      const cam = await pickCamera();
      await runSession(cam, false);
    } catch (e) {
      stop(`Live view failed: ${e.message}`, 'error');
    }
  })();
  return panel;
}

/** liveSection({account, home}) -> the home page's "Live view" section: a
 * button that opens the panel below it (owners only: app.js shows it to
 * owners). */
export function liveSection({ account, home }) {
  const slot = el('div', { testid: 'live-slot' });
  const btn = el('button', { type: 'button', testid: 'live-open', text: 'Live view' });
  btn.addEventListener('click', () => {
    const panel = openLive({ account, home: home.id });
    slot.replaceChildren(panel);
    panel.querySelector('h2').focus();
  });
  return el('section', { 'aria-labelledby': 'live-section-title' },
    el('h2', { id: 'live-section-title', text: 'Camera' }),
    el('div', { class: 'row' }, btn),
    el('p', { class: 'small muted', text: 'Live view is signed with your key and decrypted only in this page.' }),
    slot);
}

/** entryWatch({account, home, events}) -> {el, onEvent(ev)}: on the
 * timeline, a "Watch live" link shown while an entry is in progress (a
 * session.start without its session.end), kept current by the stream's
 * events (onEvent). Owners only (app.js). */
export function entryWatch({ account, home, events }) {
  let open = false;
  const sorted = [...(events || [])].filter((e) => e && typeof e.type === 'string');
  if (sorted.every((e) => Number.isSafeInteger(e.id))) sorted.sort((a, b) => a.id - b.id);
  const apply = (ev) => {
    if (ev.type === 'session.start') open = true;
    else if (ev.type === 'session.end') open = false;
  };
  for (const ev of sorted) apply(ev);
  const slot = el('div', { testid: 'watch-live-slot' });
  const link = el('button', { type: 'button', class: 'linklike', testid: 'watch-live', text: 'Watch live' });
  const box = el('div', { class: 'card entry-live', testid: 'entry-live', hidden: !open },
    el('p', {}, el('strong', { text: 'Someone is entering now. ' }), link), slot);
  link.addEventListener('click', () => {
    const panel = openLive({ account, home: home.id });
    slot.replaceChildren(panel);
    panel.querySelector('h2').focus();
  });
  return {
    el: box,
    onEvent(ev) {
      if (!ev || typeof ev.type !== 'string') return;
      apply(ev);
      box.hidden = !open && !slot.firstChild;
    },
  };
}
