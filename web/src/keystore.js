// The owner's browser key (docs/web-app.md, "Keys"): an Ed25519 key kept in
// IndexedDB, its 32-byte seed sealed with crypto_secretbox under an
// Argon2id (crypto_pwhash, kdf.js) key from the passphrase.
//
// The seed and the secret key never enter this page's memory: making,
// unlocking and signing happen in a module Worker (keyworker.js) that owns
// its own libsodium. Wiping JS copies would not be enough, since
// libsodium's WebAssembly heap keeps copies of what it handled; so lock()
// terminates the worker, and its whole memory is discarded. The page only
// holds the public key and sends the bytes to sign (the Sig_structure).
// The key locks itself after IDLE_MS without input (touch()) and on
// pagehide (app.js). Nothing secret ever leaves the browser.

import { toB64url, fromB64url, toHex } from './util.js';
import { kid } from './porter.js';
import { limitsOk, PASSPHRASE_MIN } from './kdf.js';

const DB = 'porter';
const STORE = 'keys';
const VERSION = 1;
export const IDLE_MS = 10 * 60 * 1000;

let worker = null;
let pending = new Map(); // request id -> {resolve, reject}
let nextId = 1;
let unlocked = null; // {id, publicKey} while the worker holds the key
let idleTimer = null;
let onAutoLock = () => {};

function openDb() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, VERSION);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'id' });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function tx(mode, fn) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      const r = fn(t.objectStore(STORE));
      t.oncomplete = () => resolve(r && 'result' in r ? r.result : undefined);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error);
    });
  } finally {
    db.close();
  }
}

// ---- the worker ----

function failAll(why) {
  const p = pending;
  pending = new Map();
  for (const { reject } of p.values()) reject(new Error(why));
}

function startWorker() {
  lock();
  const w = new Worker(new URL('keyworker.js', import.meta.url), { type: 'module', name: 'porter-key' });
  w.addEventListener('message', (ev) => {
    const { id, ok, result, error } = ev.data || {};
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    if (ok) p.resolve(result);
    else p.reject(new Error(error));
  });
  w.addEventListener('error', (ev) => {
    ev.preventDefault();
    if (worker === w) lock();
    failAll('the key worker failed to start');
  });
  worker = w;
  return w;
}

function call(w, msg) {
  return new Promise((resolve, reject) => {
    if (!w || w !== worker) {
      reject(new Error('the key is locked'));
      return;
    }
    const id = nextId++;
    pending.set(id, { resolve, reject });
    w.postMessage({ ...msg, id });
  });
}

function armIdle() {
  clearTimeout(idleTimer);
  idleTimer = unlocked ? setTimeout(() => {
    if (!unlocked) return;
    lock();
    onAutoLock();
  }, IDLE_MS) : null;
}

/** touch(): input happened; the idle lock starts again. */
export function touch() {
  if (unlocked) armIdle();
}

/** setAutoLockHandler(fn): called when the key locked itself (idle). */
export function setAutoLockHandler(fn) {
  onAutoLock = fn;
}

// ---- records ----

/** The record's id: one key per account on this browser. */
export function recordId(account) {
  return `account-${account.id}`;
}

/** load(account) -> the stored record (public parts and the sealed seed),
 * or null. */
export async function load(account) {
  return (await tx('readonly', (s) => s.get(recordId(account)))) ?? null;
}

/** create(account, passphrase, label) -> the record: a fresh key, sealed
 * and stored; the key is left unlocked. Refuses to replace a stored key. */
export async function create(account, passphrase, label) {
  if (typeof passphrase !== 'string' || passphrase.length < PASSPHRASE_MIN)
    throw new Error(`the passphrase needs at least ${PASSPHRASE_MIN} characters`);
  if (await load(account)) throw new Error('this browser already has a key for this account');
  const w = startWorker();
  try {
    const r = await call(w, { op: 'create', passphrase });
    const rec = {
      id: recordId(account),
      v: 1,
      label: label || 'browser key',
      public_key: toB64url(r.publicKey),
      key_id: toHex(await kid(r.publicKey)),
      kdf: r.kdf,
      nonce: r.nonce,
      box: r.box,
      created_at: Math.floor(Date.now() / 1000),
    };
    await tx('readwrite', (st) => st.add(rec));
    if (worker !== w) throw new Error('the key was locked meanwhile');
    unlocked = { id: rec.id, publicKey: r.publicKey };
    armIdle();
    return rec;
  } catch (e) {
    if (worker === w) lock();
    throw e;
  }
}

/** unlock(account, passphrase) -> the record; throws 'wrong passphrase'.
 * A record whose kdf limits are outside [interactive, moderate] is
 * refused before anything is derived. */
export async function unlock(account, passphrase) {
  const rec = await load(account);
  if (!rec) throw new Error('no key in this browser yet');
  if (!limitsOk(rec.kdf)) throw new Error('the stored key has key-derivation limits this app does not accept');
  const w = startWorker();
  try {
    const publicKey = fromB64url(rec.public_key);
    await call(w, { op: 'unlock', passphrase,
      record: { kdf: rec.kdf, nonce: rec.nonce, box: rec.box, publicKey } });
    if (worker !== w) throw new Error('the key was locked meanwhile');
    unlocked = { id: rec.id, publicKey };
    armIdle();
    return rec;
  } catch (e) {
    if (worker === w) lock();
    throw e;
  }
}

/** signer(account) -> {sk, pk} while unlocked for that account, else null:
 * sk is a function (Sig_structure bytes) -> Promise<64-byte signature>,
 * answered by the worker (porter.js sign1 accepts it). */
export function signer(account) {
  if (!unlocked || unlocked.id !== recordId(account)) return null;
  const w = worker;
  return { sk: (bytes) => call(w, { op: 'sign', bytes }), pk: unlocked.publicKey };
}

/** lock(): end the worker, and with it every copy of the secret key. */
export function lock() {
  clearTimeout(idleTimer);
  idleTimer = null;
  unlocked = null;
  if (worker) {
    worker.terminate();
    worker = null;
  }
  failAll('the key is locked');
}

// The record's pins: endorsers, [{home, key (base64url)}].
function pinOf(rec, home) {
  const e = rec && Array.isArray(rec.endorsers) ? rec.endorsers.find((x) => x && x.home === home) : null;
  return e && typeof e.key === 'string' ? e.key : null;
}

/** endorserPin(account, home) -> the 32-byte public key pinned as the
 * owner key that endorsed this account's browser key for home (camtrust.js,
 * trust on first sight), or null. Public, so kept in the key's record in
 * the clear; it goes with the key (remove). */
export async function endorserPin(account, home) {
  const rec = await load(account);
  const v = pinOf(rec, home);
  try {
    const pk = typeof v === 'string' ? fromB64url(v) : null;
    return pk && pk.length === 32 ? pk : null;
  } catch {
    return null;
  }
}

/** pinEndorser(account, home, browserKey, pk) -> the pin in force: pk
 * stored for home in the record of browserKey, unless one is there
 * already (first sight wins; never replaced here). null if the stored key
 * is not browserKey any more. */
export async function pinEndorser(account, home, browserKey, pk) {
  let kept = null;
  await tx('readwrite', (st) => {
    const q = st.get(recordId(account));
    q.onsuccess = () => {
      const rec = q.result;
      if (!rec || rec.public_key !== toB64url(browserKey)) return;
      kept = pinOf(rec, home);
      if (kept) return;
      kept = toB64url(pk);
      st.put({ ...rec, endorsers: [...(Array.isArray(rec.endorsers) ? rec.endorsers : []), { home, key: kept }] });
    };
  });
  try {
    return kept ? fromB64url(kept) : null;
  } catch {
    return null;
  }
}

/** remove(account): delete the stored key of this account. */
export async function remove(account) {
  lock();
  await tx('readwrite', (st) => st.delete(recordId(account)));
}
