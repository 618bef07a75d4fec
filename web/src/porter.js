// porter's signed objects, made in the page (docs/credentials.md):
// key ids, COSE_Sign1 with the fixed protected bucket, the Sig_structure
// with its external AAD, the envelopes (commands, owner statements) and a
// root grant link. Everything is deterministic given the key, the times
// and the nonces, which is what the known-answer tests check.

import { encode, decode, Tagged, CborError } from './cbor.js';
import { getSodium } from './sodium.js';
import { utf8, equalBytes, toHex } from './util.js';

export const AAD = Object.freeze({
  grant: 'porter/grant/v1',
  command: 'porter/command/v1',
  revocation: 'porter/revocation/v1',
  pairing: 'porter/pairing/v1',
  attestation: 'porter/attestation/v1',
  owner: 'porter/owner/v1',
});

export const OP = Object.freeze({ lock: 1, unlock: 2 });
export const PURPOSE = Object.freeze({ resident: 1, guest: 2, service: 3, delivery: 4 });
const PORTER_CLAIM = -65537;
const ID_RE = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;
const TIME_MAX = 253402300799;
export const ENVELOPE_SIZE_MAX = 512;
export const LINK_SIZE_MAX = 1024;

/** kid(pk) -> the first 8 bytes of SHA-256 of the 32-byte public key. */
export async function kid(pk) {
  const s = await getSodium();
  if (!(pk instanceof Uint8Array) || pk.length !== 32) throw new TypeError('a public key is 32 bytes');
  return s.crypto_hash_sha256(pk).slice(0, 8);
}

/** keypairFromSeed(seed32) -> {publicKey, privateKey} (libsodium's 64-byte
 * secret key, seed || pk). */
export async function keypairFromSeed(seed) {
  const s = await getSodium();
  return s.crypto_sign_seed_keypair(seed);
}

export function isId(s) {
  return typeof s === 'string' && ID_RE.test(s) && !s.startsWith('.');
}

function checkTime(t, what) {
  if (!Number.isSafeInteger(t) || t < 0 || t > TIME_MAX) throw new RangeError(`${what}: not a time`);
}

/** protectedBucket(kid8) -> the 13 bytes a2 01 27 04 48 <kid>. */
export function protectedBucket(k) {
  return encode(new Map([[1, -8], [4, k]]));
}

/** sigStructure(protected, aad, payload) -> the bytes Ed25519 signs. */
export function sigStructure(prot, aad, payload) {
  return encode(['Signature1', prot, utf8(aad), payload]);
}

/** sign1(secretKey64 | async (bytes) -> signature, publicKey, aad, payloadBytes) -> the tagged
 * COSE_Sign1 bytes: d2 84 4d <protected> a0 <payload> 58 40 <signature>. */
export async function sign1(sk, pk, aad, payload) {
  const s = await getSodium();
  const prot = protectedBucket(await kid(pk));
  const tbs = sigStructure(prot, aad, payload);
  // sk: the 64-byte secret key, or a function that signs (the page's key
  // lives in a worker, keystore.js).
  const sig = typeof sk === 'function' ? await sk(tbs) : s.crypto_sign_detached(tbs, sk);
  if (!(sig instanceof Uint8Array) || sig.length !== 64) throw new Error('the signer gave no signature');
  return encode(new Tagged(18, [prot, new Map(), payload, sig]));
}

/** parseSign1(bytes) -> {protected, kid, payload, signature, claims}: the
 * shape porter accepts (tag 18, the 13-byte bucket, empty unprotected,
 * 64-byte signature, deterministic claims). Does not verify. */
export function parseSign1(bytes) {
  const v = decode(bytes);
  if (!(v instanceof Tagged) || v.tag !== 18 || !Array.isArray(v.value) || v.value.length !== 4)
    throw new CborError('not a tagged COSE_Sign1');
  const [prot, unprot, payload, sig] = v.value;
  if (!(prot instanceof Uint8Array) || prot.length !== 13 || !(unprot instanceof Map) || unprot.size !== 0 ||
    !(payload instanceof Uint8Array) || !(sig instanceof Uint8Array) || sig.length !== 64)
    throw new CborError('not porter\'s COSE_Sign1 profile');
  if (!equalBytes(prot.subarray(0, 5), Uint8Array.of(0xa2, 0x01, 0x27, 0x04, 0x48)))
    throw new CborError('protected bucket is not {1: -8, 4: kid}');
  return { protected: prot, kid: prot.slice(5), payload, signature: sig, claims: decode(payload) };
}

/** verifySign1(bytes, pk, aad) -> true when the signature by pk over the
 * Sig_structure with that AAD verifies (and the kid is pk's). */
export async function verifySign1(bytes, pk, aad) {
  const s = await getSodium();
  const p = parseSign1(bytes);
  if (!equalBytes(p.kid, await kid(pk))) return false;
  return s.crypto_sign_verify_detached(p.signature, sigStructure(p.protected, aad, p.payload), pk);
}

function envelopeClaims(aud, iat, nonce, porter) {
  if (!isId(aud)) throw new TypeError('aud: not an id');
  checkTime(iat, 'iat');
  if (!(nonce instanceof Uint8Array) || nonce.length !== 16) throw new TypeError('nonce: 16 bytes');
  return encode(new Map([[3, aud], [6, iat], [7, nonce], [PORTER_CLAIM, porter]]));
}

async function sizedEnvelope(sk, pk, aad, claims) {
  const out = await sign1(sk, pk, aad, claims);
  if (out.length > ENVELOPE_SIZE_MAX) throw new RangeError('envelope over 512 bytes');
  return out;
}

export async function randomNonce() {
  const s = await getSodium();
  return s.randombytes_buf(16);
}

/** commandEnvelope({sk, pk, home, op: 'lock'|'unlock', lock?, iat?, nonce?})
 * -> {bytes, nonce}: a PT_ENV_COMMAND, AAD porter/command/v1, claims
 * {3: home, 6: iat, 7: nonce, -65537: {1: op, ? 2: lock}}. Without lock:
 * every lock of the home. iat defaults to now, nonce to 16 random bytes. */
export async function commandEnvelope({ sk, pk, home, op, lock, iat, nonce }) {
  const opn = OP[op];
  if (!opn) throw new TypeError('op: lock or unlock');
  const porter = new Map([[1, opn]]);
  if (lock !== undefined && lock !== null) {
    if (!isId(lock)) throw new TypeError('lock: not an id');
    porter.set(2, lock);
  }
  const n = nonce ?? (await randomNonce());
  const t = iat ?? Math.floor(Date.now() / 1000);
  const bytes = await sizedEnvelope(sk, pk, AAD.command, envelopeClaims(home, t, n, porter));
  return { bytes, nonce: toHex(n) };
}

/** ownerStatement({sk, pk, home, newKey, iat?, nonce?}) -> bytes: a
 * PT_ENV_OWNER (AAD porter/owner/v1), {-65537: {1: 1, 2: newKey}}: the
 * signer endorses newKey as an owner key of the home (docs/web.md). */
export async function ownerStatement({ sk, pk, home, newKey, iat, nonce }) {
  if (!(newKey instanceof Uint8Array) || newKey.length !== 32) throw new TypeError('newKey: 32 bytes');
  const porter = new Map([[1, 1], [2, newKey]]);
  const n = nonce ?? (await randomNonce());
  const t = iat ?? Math.floor(Date.now() / 1000);
  return sizedEnvelope(sk, pk, AAD.owner, envelopeClaims(home, t, n, porter));
}

/** revocationEnvelope({sk, pk, home, tokenId? | key?, iat?, nonce?}) ->
 * bytes: PT_ENV_REVOCATION of a token id (16 bytes) or a key (32). */
export async function revocationEnvelope({ sk, pk, home, tokenId, key, iat, nonce }) {
  const porter = tokenId ? new Map([[1, 1], [2, tokenId]]) : new Map([[1, 2], [2, key]]);
  const target = porter.get(2);
  if (!(target instanceof Uint8Array) || target.length !== (tokenId ? 16 : 32)) throw new TypeError('target length');
  const n = nonce ?? (await randomNonce());
  const t = iat ?? Math.floor(Date.now() / 1000);
  return sizedEnvelope(sk, pk, AAD.revocation, envelopeClaims(home, t, n, porter));
}

/** grantClaims(g) -> the claims bytes of one link (docs/credentials.md "The
 * claims"). g: {home, exp?, nbf?, iat?, cti (16 bytes), holder (32 bytes),
 * locks?: [ids], purpose: 'guest'|..., entries?, depth, conditions?,
 * doorOpenMax?, tz?, windows?: [[s, e]], weekly?: [[days, start, end]],
 * note?}. Absent means absent: zeros and empty lists are refused. */
export function grantClaims(g) {
  const purpose = PURPOSE[g.purpose];
  if (!purpose) throw new TypeError('purpose');
  if (!isId(g.home)) throw new TypeError('home: not an id');
  if (!(g.cti instanceof Uint8Array) || g.cti.length !== 16 || g.cti.every((x) => x === 0))
    throw new TypeError('cti: 16 bytes, not all zero');
  if (!(g.holder instanceof Uint8Array) || g.holder.length !== 32) throw new TypeError('holder: 32 bytes');
  if (purpose !== PURPOSE.resident && g.exp === undefined) throw new TypeError('exp: required');
  const m = new Map([[3, g.home]]);
  for (const [k, name] of [[4, 'exp'], [5, 'nbf'], [6, 'iat']]) {
    if (g[name] !== undefined) {
      checkTime(g[name], name);
      m.set(k, g[name]);
    }
  }
  if (g.nbf !== undefined && g.exp !== undefined && !(g.nbf < g.exp)) throw new RangeError('nbf < exp');
  m.set(7, g.cti);
  m.set(8, new Map([[1, new Map([[1, 1], [-1, 6], [-2, g.holder]])]]));
  const p = new Map();
  if (g.locks !== undefined) {
    const locks = [...g.locks].sort();
    if (locks.length < 1 || locks.length > 8 || !locks.every(isId) || new Set(locks).size !== locks.length)
      throw new TypeError('locks');
    p.set(1, locks);
  }
  p.set(2, purpose);
  if (g.entries !== undefined) {
    if (!Number.isInteger(g.entries) || g.entries < 1 || g.entries > 1000000) throw new RangeError('entries');
    p.set(3, g.entries);
  } else if (purpose === PURPOSE.delivery) throw new TypeError('entries: required for delivery');
  if (!Number.isInteger(g.depth) || g.depth < 0 || g.depth > 3) throw new RangeError('depth');
  p.set(4, g.depth);
  if (g.conditions !== undefined) {
    if (g.conditions !== 1 && g.conditions !== 2 && g.conditions !== 3) throw new RangeError('conditions');
    p.set(5, g.conditions);
  }
  if (g.doorOpenMax !== undefined) {
    if (!Number.isInteger(g.doorOpenMax) || g.doorOpenMax < 1 || g.doorOpenMax > 86400) throw new RangeError('doorOpenMax');
    p.set(6, g.doorOpenMax);
  }
  if ((g.tz !== undefined) !== (g.weekly !== undefined)) throw new TypeError('tz exactly when weekly');
  if (g.tz !== undefined) {
    if (!/^[A-Za-z0-9_+-]+(\/[A-Za-z0-9_+-]+)*$/.test(g.tz) || g.tz.length > 64) throw new TypeError('tz');
    p.set(7, g.tz);
  }
  if (g.windows !== undefined) {
    if (g.windows.length < 1 || g.windows.length > 8) throw new RangeError('windows');
    let prevEnd = -1;
    for (const [s, e] of g.windows) {
      checkTime(s, 'window');
      checkTime(e, 'window');
      if (!(s < e) || s < prevEnd) throw new RangeError('windows: ascending, not overlapping');
      prevEnd = e;
    }
    p.set(8, g.windows.map(([s, e]) => [s, e]));
  }
  if (g.weekly !== undefined) {
    if (g.weekly.length < 1 || g.weekly.length > 16) throw new RangeError('weekly');
    for (const [d, s, e] of g.weekly) {
      if (!Number.isInteger(d) || d < 1 || d > 127 || !Number.isInteger(s) || !Number.isInteger(e) ||
        s < 0 || !(s < e) || e > 1440) throw new RangeError('weekly interval');
    }
    p.set(9, g.weekly.map(([d, s, e]) => [d, s, e]));
  }
  if (g.note !== undefined) {
    const b = utf8(g.note);
    // eslint-disable-next-line no-control-regex
    if (b.length < 1 || b.length > 280 || /[\u0000-\u001f\u007f-\u009f]/.test(g.note)) throw new TypeError('note');
    p.set(10, g.note);
  }
  m.set(PORTER_CLAIM, p);
  return encode(m);
}

/** grantLink({sk, pk, ...grant}) -> the tagged COSE_Sign1 of one link
 * (AAD porter/grant/v1). */
export async function grantLink(g) {
  const link = await sign1(g.sk, g.pk, AAD.grant, grantClaims(g));
  if (link.length > LINK_SIZE_MAX) throw new RangeError('link over 1024 bytes');
  return link;
}

/** rootChain(link) -> the 1-link chain: 81 || link. */
export function rootChain(link) {
  const out = new Uint8Array(link.length + 1);
  out[0] = 0x81;
  out.set(link, 1);
  return out;
}
