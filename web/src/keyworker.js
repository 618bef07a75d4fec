// The owner key's own thread (docs/web-app.md, "The key worker"): a module
// Worker that owns a libsodium instance and the key. The page sends the
// passphrase (to make or open the sealed seed) and the bytes to sign (a
// COSE Sig_structure); it gets back public parts and signatures, never the
// seed or the secret key. libsodium's WebAssembly heap keeps copies that
// memzero cannot reach (stack, freed blocks): the page ends this worker
// (terminate) to lock the key, and its whole memory goes with it.

import { getSodium } from './sodium.js';
import { limitsOk, OPS_NEW, MEM_NEW, PASSPHRASE_MIN } from './kdf.js';

let sk = null; // the 64-byte secret key while this worker lives
let pk = null;

function derive(s, passphrase, salt, ops, mem) {
  return s.crypto_pwhash(s.crypto_secretbox_KEYBYTES, passphrase, salt, ops, mem, s.crypto_pwhash_ALG_ARGON2ID13);
}

function keep(s, kp) {
  if (sk) s.memzero(sk);
  sk = kp.privateKey;
  pk = kp.publicKey;
}

async function handle(m) {
  const s = await getSodium();
  if (m.op === 'create') {
    const seed = s.randombytes_buf(s.crypto_sign_SEEDBYTES);
    const kp = s.crypto_sign_seed_keypair(seed);
    const salt = s.randombytes_buf(s.crypto_pwhash_SALTBYTES);
    if (typeof m.passphrase !== 'string' || m.passphrase.length < PASSPHRASE_MIN)
      throw new Error(`the passphrase needs at least ${PASSPHRASE_MIN} characters`);
    const ops = OPS_NEW;
    const mem = MEM_NEW;
    const key = derive(s, m.passphrase, salt, ops, mem);
    const nonce = s.randombytes_buf(s.crypto_secretbox_NONCEBYTES);
    const box = s.crypto_secretbox_easy(seed, nonce, key);
    s.memzero(key);
    s.memzero(seed);
    keep(s, kp);
    return { publicKey: kp.publicKey, kdf: { alg: 'argon2id13', opslimit: ops, memlimit: mem, salt }, nonce, box };
  }
  if (m.op === 'unlock') {
    const { kdf, nonce, box } = m.record;
    if (!limitsOk(kdf)) throw new Error('the stored key has key-derivation limits this app does not accept');
    const key = derive(s, m.passphrase, kdf.salt, kdf.opslimit, kdf.memlimit);
    let seed;
    try {
      seed = s.crypto_secretbox_open_easy(box, nonce, key);
    } catch {
      throw new Error('wrong passphrase');
    } finally {
      s.memzero(key);
    }
    const kp = s.crypto_sign_seed_keypair(seed);
    s.memzero(seed);
    if (!s.memcmp(kp.publicKey, m.record.publicKey)) {
      s.memzero(kp.privateKey);
      throw new Error('the stored key is damaged');
    }
    keep(s, kp);
    return { publicKey: kp.publicKey };
  }
  if (m.op === 'sign') {
    if (!sk) throw new Error('the key is locked');
    if (!(m.bytes instanceof Uint8Array) || m.bytes.length > 4096) throw new Error('nothing to sign');
    return s.crypto_sign_detached(m.bytes, sk);
  }
  if (typeof m.op === 'string' && m.op.startsWith('clip-')) return clipOp(s, m);
  if (typeof m.op === 'string' && m.op.startsWith('live-')) return liveOp(s, m);
  throw new Error('unknown request');
}

self.addEventListener('message', async (ev) => {
  const { id } = ev.data || {};
  try {
    self.postMessage({ id, ok: true, result: await handle(ev.data) });
  } catch (e) {
    self.postMessage({ id, ok: false, error: e && e.message ? e.message : String(e) });
  }
});

// ---- clips (docs/clips.md, docs/web-app.md "Clips"): the clip key is
// opened here with the owner's Ed25519 secret converted to X25519
// (crypto_sign_ed25519_sk_to_curve25519, as lib/crypto/clipseal.c does),
// kept here, and used here to open each sealed segment; the page gets the
// segments' plaintext, never the clip key. The page checks the camera's
// signatures before it sends anything here. ----

const clipKeys = new Map(); // handle -> {key, clip (16 bytes)}
let nextClip = 1;
const SEG_MAGIC = [0x50, 0x54, 0x53, 0x45, 0x47, 0x31]; // "PTSEG1"
const SEG_HEADER = 6 + 24;
const SEG_CHUNK = 65536;
const SEG_MAX = 16 * 1024 * 1024;

function clipOp(s, m) {
  if (m.op === 'clip-key') {
    // m.clip: the 16-byte clip id; m.keys: [[kid8, sealed80]] from the
    // verified key record (or manifest).
    if (!sk) throw new Error('the key is locked');
    if (!(m.clip instanceof Uint8Array) || m.clip.length !== 16) throw new Error('not a clip id');
    const mine = s.crypto_hash_sha256(pk).slice(0, 8);
    const entry = Array.isArray(m.keys) && m.keys.find((k) => Array.isArray(k) && k[0] instanceof Uint8Array &&
      k[0].length === 8 && k[1] instanceof Uint8Array && k[1].length === s.crypto_box_SEALBYTES + 32 && s.memcmp(k[0], mine));
    if (!entry) throw new Error('not-a-recipient');
    const xsk = s.crypto_sign_ed25519_sk_to_curve25519(sk);
    const xpk = s.crypto_sign_ed25519_pk_to_curve25519(pk);
    // The owner's Ed25519 secret is needed for this one step only: wiped
    // here, so that it is gone while the segments are decrypted.
    s.memzero(sk);
    sk = null;
    let key;
    try {
      key = s.crypto_box_seal_open(entry[1], xpk, xsk);
    } catch {
      throw new Error('the sealed clip key does not open with this key');
    } finally {
      s.memzero(xsk);
    }
    if (key.length !== s.crypto_secretstream_xchacha20poly1305_KEYBYTES) {
      s.memzero(key);
      throw new Error('the sealed clip key does not open with this key');
    }
    const h = nextClip++;
    clipKeys.set(h, { key, clip: m.clip.slice() });
    return h;
  }
  if (m.op === 'clip-segment') {
    // m.handle, m.index, m.bytes (the sealed segment, already checked
    // against the camera's signature) -> the plaintext (pt_seg_open).
    const c = clipKeys.get(m.handle);
    if (!c) throw new Error('no such clip key');
    const b = m.bytes;
    const index = m.index;
    if (!Number.isInteger(index) || index < 0 || index > 1023) throw new Error('not a segment index');
    if (!(b instanceof Uint8Array) || b.length < SEG_HEADER || b.length > SEG_MAX ||
      SEG_MAGIC.some((x, i) => b[i] !== x)) throw new Error(`segment ${index}: not a sealed segment`);
    const ad = new Uint8Array(20);
    ad.set(c.clip, 0);
    ad.set([index >>> 24, (index >>> 16) & 255, (index >>> 8) & 255, index & 255], 16);
    const st = s.crypto_secretstream_xchacha20poly1305_init_pull(b.subarray(6, SEG_HEADER), c.key);
    const FINAL = s.crypto_secretstream_xchacha20poly1305_TAG_FINAL;
    const ABYTES = s.crypto_secretstream_xchacha20poly1305_ABYTES;
    const parts = [];
    let o = SEG_HEADER;
    let tag = 0;
    let n = 0;
    while (tag !== FINAL) {
      if (b.length - o < 4) throw new Error(`segment ${index}: cut short`);
      const len = ((b[o] << 24) >>> 0) + (b[o + 1] << 16) + (b[o + 2] << 8) + b[o + 3];
      o += 4;
      if (len < ABYTES || len > SEG_CHUNK + ABYTES || len > b.length - o) throw new Error(`segment ${index}: malformed`);
      const r = s.crypto_secretstream_xchacha20poly1305_pull(st, b.subarray(o, o + len), ad);
      if (!r) throw new Error(`segment ${index}: does not open (altered, or from another clip or place)`);
      o += len;
      tag = r.tag;
      if (tag !== 0 && tag !== FINAL) throw new Error(`segment ${index}: malformed`);
      parts.push(r.message);
      n += r.message.length;
    }
    if (o !== b.length) throw new Error(`segment ${index}: bytes after its end`);
    const out = new Uint8Array(n);
    let w = 0;
    for (const p of parts) {
      out.set(p, w);
      w += p.length;
    }
    return out;
  }
  if (m.op === 'clip-close') {
    const c = clipKeys.get(m.handle);
    if (c) s.memzero(c.key);
    clipKeys.delete(m.handle);
    return true;
  }
  throw new Error('unknown request');
}

// ---- live view (docs/live.md "The viewer", docs/web-app.md "Live view"):
// live.js starts a worker of its own from this file for each live session
// (it never holds the owner key: the owner's key worker only signs the
// request). Here: the session's X25519 key pair (crypto_box_keypair), made
// here and never sent out but its public half; the camera-signed key
// record checked with the camera's key; the live key opened
// (crypto_box_seal_open) and kept here; each fragment opened here. The
// page gets the fragments' plaintext (the video it plays), never a key.
// live-end wipes the keys, and live.js then terminates the worker, which
// discards libsodium's heap with every copy. ----

const liveSessions = new Map(); // session hex -> {session, xpk, xsk, key, camera}
const LIVE_SESSIONS_MAX = 2;

function liveHex(b) {
  let h = '';
  for (const x of b) h += x.toString(16).padStart(2, '0');
  return h;
}

function liveWipe(s, l) {
  if (l.xsk) s.memzero(l.xsk);
  if (l.key) s.memzero(l.key);
  l.xsk = null;
  l.key = null;
}

async function liveOp(s, m) {
  const P = await import('./porter.js');
  if (!(m.session instanceof Uint8Array) || m.session.length !== 16) throw new Error('not a live session id');
  const id = liveHex(m.session);
  if (m.op === 'live-new') {
    if (liveSessions.has(id)) throw new Error('this live session exists already');
    if (liveSessions.size >= LIVE_SESSIONS_MAX) throw new Error('too many live sessions in this worker');
    if (!P.isId(m.camera)) throw new Error('not a camera id');
    let kp;
    do kp = s.crypto_box_keypair(); while (!P.liveKeyIsValid(kp.publicKey));
    liveSessions.set(id, { session: m.session.slice(), xpk: kp.publicKey, xsk: kp.privateKey, key: null, camera: m.camera });
    return kp.publicKey;
  }
  const live = liveSessions.get(id);
  if (!live) throw new Error('no such live session');
  if (m.op === 'live-key') {
    // m.record: the key record as porterd gave it; m.cameraKey: the
    // camera's Ed25519 key (GET /v1/homes/{id}/cameras).
    if (live.key) throw new Error('the live key is open already');
    if (!live.xsk) throw new Error('this live session has ended');
    const r = await P.openLiveKeyRecord(m.record, m.cameraKey);
    P.liveKeyRecordIsFor(r, { camera: live.camera, session: live.session, viewerKey: live.xpk });
    let key;
    try {
      key = s.crypto_box_seal_open(r.sealed, live.xpk, live.xsk);
    } catch {
      throw new Error('the live key does not open with this session\'s key');
    }
    if (key.length !== 32) {
      s.memzero(key);
      throw new Error('the live key does not open with this session\'s key');
    }
    s.memzero(live.xsk);
    live.xsk = null;
    live.key = key;
    return { start: r.start, expiry: r.expiry, eventSeq: r.eventSeq, container: r.container };
  }
  if (m.op === 'live-fragment') {
    if (!live.key) throw new Error('the live key is not open');
    if (!(m.bytes instanceof Uint8Array)) throw new Error('not a fragment');
    if (!Number.isInteger(m.index) || m.index < 0 || m.index > 0xffffffff) throw new Error('not a fragment index');
    return P.openLiveFragment(live.key, live.session, m.bytes, m.index);
  }
  if (m.op === 'live-end') {
    liveWipe(s, live);
    liveSessions.delete(id);
    return true;
  }
  throw new Error('unknown request');
}
