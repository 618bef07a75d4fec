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
