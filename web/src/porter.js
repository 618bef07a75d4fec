// porter's signed objects, made in the page (docs/credentials.md):
// key ids, COSE_Sign1 with the fixed protected bucket, the Sig_structure
// with its external AAD, the envelopes (commands, owner statements) and a
// root grant link. Everything is deterministic given the key, the times
// and the nonces, which is what the known-answer tests check.

import { encode, decode, Tagged, CborError } from './cbor.js';
import { getSodium } from './sodium.js';
import { utf8, equalBytes, toHex, fromB64url, toB64url } from './util.js';

export const AAD = Object.freeze({
  grant: 'porter/grant/v1',
  command: 'porter/command/v1',
  revocation: 'porter/revocation/v1',
  pairing: 'porter/pairing/v2',
  attestation: 'porter/attestation/v1',
  owner: 'porter/owner/v1',
  approval: 'porter/approval/v1',
  camera: 'porter/camera/v1',
});

export const OP = Object.freeze({ lock: 1, unlock: 2 });
export const ANSWER = Object.freeze({ approve: 1, deny: 2 });
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

/** An owner key the page will not endorse; code: 'malformed' (not a
 * public key as the Keys page shows it), 'not-a-key' (not a valid Ed25519
 * point), 'kid-mismatch' (the key id pasted with it is another key's),
 * 'own' (this browser's key), 'exists' (an owner key of the home already). */
export class EndorseError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

const KID_HEX_RE = /^[0-9a-f]{16}$/;

/** endorseTarget(text, ownPk, ownerKeys) -> {pk, keyId (hex), publicKey
 * (base64url)}: the key another device's Keys page shows, pasted here to
 * be endorsed (docs/web-app.md "Endorsing another device's key"). text:
 * the public key (43 base64url characters), or its key id (16 hex
 * digits) then the key, separated by white space; the key id, if given,
 * must be the key's. Refused (EndorseError): anything else, a key that
 * is not a valid Ed25519 point (porterd's and the hub's pt_pk_is_valid),
 * ownPk (this browser's key: a key cannot endorse itself), and one of
 * ownerKeys (porterd's list, [{public_key}]). Nothing is sent. */
export async function endorseTarget(text, ownPk, ownerKeys) {
  const parts = typeof text === 'string' ? text.trim().split(/\s+/).filter(Boolean) : [];
  let kidText = null;
  let keyText = null;
  if (parts.length === 1) [keyText] = parts;
  else if (parts.length === 2 && KID_HEX_RE.test(parts[0].toLowerCase())) [kidText, keyText] = [parts[0].toLowerCase(), parts[1]];
  if (keyText === null)
    throw new EndorseError('malformed', 'paste the public key the new device\'s Keys page shows (43 characters), or its key id then its public key');
  let pk = null;
  if (keyText.length === 43 && B64URL_RE.test(keyText)) {
    try {
      pk = fromB64url(keyText);
    } catch {
      pk = null;
    }
  }
  if (!isBytes(pk, 32))
    throw new EndorseError('malformed', 'that is not a public key: it is 43 characters of A-Z, a-z, 0-9, - and _ (32 bytes), as the new device\'s Keys page shows it');
  if (!(await hubKeyIsValid(pk))) throw new EndorseError('not-a-key', 'that is not a valid Ed25519 public key (check for a mistyped character)');
  const keyId = toHex(await kid(pk));
  if (kidText !== null && kidText !== keyId)
    throw new EndorseError('kid-mismatch', `the key id given with it (${kidText}) is not this key's (${keyId}): check what you pasted`);
  if (isBytes(ownPk, 32) && equalBytes(ownPk, pk))
    throw new EndorseError('own', `key ${keyId} is this browser's own key: paste the key the new device shows`);
  for (const k of Array.isArray(ownerKeys) ? ownerKeys : []) {
    let other = null;
    try {
      other = fromB64url(String((k && k.public_key) || ''));
    } catch {
      other = null;
    }
    if (isBytes(other, 32) && equalBytes(other, pk))
      throw new EndorseError('exists', `key ${keyId} is already an owner key of this home${k.endorsed_by ? ` (endorsed by ${k.endorsed_by})` : ''}: nothing to do`);
  }
  return { pk, keyId, publicKey: keyText };
}

/** endorseBody(pk, statement, label?) -> the JSON body of POST
 * /v1/homes/{id}/owner-keys, as porter key endorse sends it: the key and
 * the statement in base64url without padding, the label only if given. */
export function endorseBody(pk, statement, label) {
  if (!isBytes(pk, 32)) throw new TypeError('pk: 32 bytes');
  if (!(statement instanceof Uint8Array) || !statement.length) throw new TypeError('statement: bytes');
  const body = { public_key: toB64url(pk), statement: toB64url(statement) };
  if (typeof label === 'string' && label.trim()) body.label = label.trim();
  return body;
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

/** approvalEnvelope({sk, pk, home, request, session, answer, iat?}) ->
 * bytes: a PT_ENV_APPROVAL (AAD porter/approval/v1, docs/alarm.md "Ask
 * the owner"), claims {3: home, 6: iat, 7: request, -65537: {1: 1 approve
 * | 2 deny, 2: session}}: the owner's answer to the hub's request (its
 * 16-byte id is the nonce) for that one credential (the 16-byte session
 * id the request names). answer: 'approve' or 'deny'. iat defaults to now. */
export async function approvalEnvelope({ sk, pk, home, request, session, answer, iat }) {
  const op = typeof answer === 'string' && Object.hasOwn(ANSWER, answer) ? ANSWER[answer] : 0;
  if (!op) throw new TypeError('answer: approve or deny');
  if (!isBytes(request, 16)) throw new TypeError('request: 16 bytes');
  if (!isBytes(session, 16)) throw new TypeError('session: 16 bytes');
  const t = iat ?? Math.floor(Date.now() / 1000);
  return sizedEnvelope(sk, pk, AAD.approval, envelopeClaims(home, t, request, new Map([[1, op], [2, session]])));
}

// ---- pairing a hub (docs/hub.md "Pairing", docs/web.md "Pairing a hub") ----

export const PAIRING_CODE_DOMAIN = 'porter/pairing-code/v1';
export const PAIRING_CODE_LEN = 16;
const PAIR_URI_RE = /^porter-pair:v1\?([^\s]*)$/;
const B64URL_RE = /^[A-Za-z0-9_-]+$/;

/** pairingNonce({code, hubKey, ownerKey, home}) -> the 16-byte nonce of a
 * PT_ENV_PAIRING: BLAKE2b (crypto_generichash) with a 16-byte output, keyed
 * with the 16-byte code, over "porter/pairing-code/v1" || 0x00 || hubKey
 * (32) || ownerKey (32) || len(home) (1 byte) || home. The code itself
 * never leaves the page: porterd and the broker see this MAC, which binds
 * the code to this hub, this signer and this home. */
export async function pairingNonce({ code, hubKey, ownerKey, home }) {
  if (!isBytes(code, PAIRING_CODE_LEN)) throw new TypeError('code: 16 bytes');
  if (!isBytes(hubKey, 32)) throw new TypeError('hubKey: 32 bytes');
  if (!isBytes(ownerKey, 32)) throw new TypeError('ownerKey: 32 bytes');
  if (!isId(home)) throw new TypeError('home: not an id');
  const s = await getSodium();
  const h = utf8(home);
  const dom = utf8(PAIRING_CODE_DOMAIN);
  const msg = new Uint8Array(dom.length + 1 + 32 + 32 + 1 + h.length);
  msg.set(dom, 0);
  msg.set(hubKey, dom.length + 1);
  msg.set(ownerKey, dom.length + 33);
  msg[dom.length + 65] = h.length;
  msg.set(h, dom.length + 66);
  return s.crypto_generichash(PAIRING_CODE_LEN, msg, code);
}

/** pairingStatement({sk, pk, home, hubKey, code, iat?}) -> {bytes, nonce}:
 * a PT_ENV_PAIRING (AAD porter/pairing/v2), claims {3: home, 6: iat, 7:
 * pairingNonce(code, hubKey, pk, home), -65537: {1: 0, 2: hubKey}}: "the
 * hub with this key belongs to my home", proven by the code the hub shows.
 * sk as for sign1 (the key worker's function in the page). The caller
 * wipes code. iat defaults to now. */
export async function pairingStatement({ sk, pk, home, hubKey, code, iat }) {
  const nonce = await pairingNonce({ code, hubKey, ownerKey: pk, home });
  const t = iat ?? Math.floor(Date.now() / 1000);
  const bytes = await sizedEnvelope(sk, pk, AAD.pairing, envelopeClaims(home, t, nonce, new Map([[1, 0], [2, hubKey]])));
  return { bytes, nonce };
}

/** hubKeyIsValid(pk) -> a 32-byte Ed25519 point of the main subgroup, not
 * of small order (libsodium's crypto_core_ed25519_is_valid_point, as
 * porterd's and the hub's pt_pk_is_valid). */
export async function hubKeyIsValid(pk) {
  if (!isBytes(pk, 32)) return false;
  const s = await getSodium();
  return s.crypto_core_ed25519_is_valid_point(pk);
}

function pairingCode(text) {
  if (typeof text !== 'string' || text.length !== 22 || !B64URL_RE.test(text))
    throw new TypeError('the pairing code is 22 base64url characters (16 bytes), as porter-hub pair prints it');
  try {
    return fromB64url(text);
  } catch {
    throw new TypeError('the pairing code is not canonical base64url');
  }
}

function pairingKey(text) {
  if (typeof text !== 'string' || text.length !== 43 || !B64URL_RE.test(text))
    throw new TypeError('the hub key is 43 base64url characters (32 bytes), as porter-hub pair prints it');
  try {
    return fromB64url(text);
  } catch {
    throw new TypeError('the hub key is not canonical base64url');
  }
}

/** readPairing(text, codeText?) -> {hubId (string or null), hubKey (32
 * bytes), code (16 bytes)}: what the owner pasted, one of
 *   porter-pair:v1?hub=ID&key=KEY&code=CODE  (the QR code's text; hub
 *     optional, each parameter once, no other),
 *   KEY CODE  (the two printed by porter-hub pair, separated by spaces),
 *   KEY  with the code in codeText.
 * Surrounding white space is ignored. Throws TypeError with what is wrong
 * (never the code). The caller wipes code. */
export function readPairing(text, codeText = '') {
  const t = typeof text === 'string' ? text.trim() : '';
  const c = typeof codeText === 'string' ? codeText.trim() : '';
  if (!t) throw new TypeError('paste the pairing text (porter-pair:v1?...) or the hub key');
  if (t.length > 512) throw new TypeError('the pairing text is too long');
  const m = PAIR_URI_RE.exec(t);
  if (t.startsWith('porter-pair:') && !m) throw new TypeError('not a porter-pair:v1 text (another version?)');
  if (m) {
    if (c) throw new TypeError('the pairing text carries its code: leave the code field empty');
    const got = new Map();
    for (const part of m[1].split('&')) {
      const eq = part.indexOf('=');
      const k = eq < 0 ? part : part.slice(0, eq);
      if (!['hub', 'key', 'code'].includes(k)) throw new TypeError(`the pairing text has an unknown part '${k.slice(0, 16)}'`);
      if (got.has(k)) throw new TypeError(`the pairing text has '${k}' twice`);
      got.set(k, eq < 0 ? '' : part.slice(eq + 1));
    }
    if (!got.has('key') || !got.has('code')) throw new TypeError('the pairing text lacks the hub key or the code');
    const hubId = got.has('hub') ? got.get('hub') : null;
    if (hubId !== null && !isId(hubId)) throw new TypeError('the pairing text\'s hub id is not an id');
    const hubKey = pairingKey(got.get('key'));
    return { hubId, hubKey, code: pairingCode(got.get('code')) };
  }
  const words = t.split(/\s+/);
  if (words.length > 2) throw new TypeError('paste the pairing text, or the hub key and the code');
  if (words.length === 2 && c) throw new TypeError('the code is given twice');
  const codeText2 = words.length === 2 ? words[1] : c;
  if (!codeText2) throw new TypeError('the pairing code is missing');
  const hubKey = pairingKey(words[0]);
  return { hubId: null, hubKey, code: pairingCode(codeText2) };
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

/** keyRevocationTarget(k, ownPk?) -> {pk, keyId (hex), own}: the owner
 * key porterd lists ({public_key, key_id}) made fit to revoke: its key
 * must be 32 bytes of base64url and porterd's key_id its own kid (the id
 * shown is the one computed here). own: it is ownPk (this browser's key).
 * Throws otherwise. */
export async function keyRevocationTarget(k, ownPk) {
  let pk = null;
  try {
    pk = fromB64url(String((k && k.public_key) || ''));
  } catch {
    pk = null;
  }
  if (!isBytes(pk, 32)) throw new Error('porterd gave no 32-byte key to revoke');
  const keyId = toHex(await kid(pk));
  if (!k || k.key_id !== keyId) throw new Error(`porterd lists key ${k && k.key_id}, but the key it gives has the id ${keyId}`);
  return { pk, keyId, own: isBytes(ownPk, 32) && equalBytes(ownPk, pk) };
}

/** chainSummary(chainBytes, rootKeys = []) -> {links, tokenId (hex),
 * holder (32 bytes), purpose (name), exp (or null), rootKid (hex),
 * rootChecked}: what the chain's last link says (the credential the
 * holder uses). Every link after the first must verify with the key in
 * the link before it (the kid in its bucket that key's); the first link
 * is verified with the one of rootKeys (32-byte keys) whose kid it names,
 * rootChecked telling whether one did. Throws on a malformed chain or a
 * signature that does not verify. */
export async function chainSummary(chainBytes, rootKeys = []) {
  if (!(chainBytes instanceof Uint8Array) || chainBytes.length > 2048) throw new CborError('chain: too large');
  const links = decode(chainBytes);
  if (!Array.isArray(links) || links.length < 1 || links.length > 4) throw new CborError('chain: 1 to 4 links');
  let prev = null;
  let out = null;
  for (let i = 0; i < links.length; i++) {
    const bytes = encode(links[i]);
    const p = parseSign1(bytes);
    const c = p.claims;
    if (!(c instanceof Map)) throw new CborError(`link ${i}: claims`);
    const cti = c.get(7);
    const cnf = c.get(8);
    const key = cnf instanceof Map && cnf.get(1) instanceof Map ? cnf.get(1).get(-2) : null;
    const pc = c.get(PORTER_CLAIM);
    if (!isBytes(cti, 16) || !isBytes(key, 32) || !(pc instanceof Map)) throw new CborError(`link ${i}: cti, cnf or porter claim`);
    const exp = c.has(4) ? c.get(4) : null;
    if (exp !== null && !isUint(exp)) throw new CborError(`link ${i}: exp`);
    const purpose = Object.keys(PURPOSE).find((k) => PURPOSE[k] === pc.get(2));
    if (!purpose) throw new CborError(`link ${i}: purpose`);
    if (i === 0) {
      let checked = false;
      for (const pk of rootKeys) {
        if (isBytes(pk, 32) && equalBytes(await kid(pk), p.kid)) {
          if (!(await verifySign1(bytes, pk, AAD.grant))) throw new Error('link 0: the owner key\'s signature does not verify');
          checked = true;
        }
      }
      out = { rootKid: toHex(p.kid), rootChecked: checked };
    } else if (!(await verifySign1(bytes, prev, AAD.grant))) {
      throw new Error(`link ${i}: not signed by the holder of link ${i - 1}`);
    }
    prev = key;
    Object.assign(out, { links: links.length, tokenId: toHex(cti), holder: key, purpose, exp });
  }
  return out;
}

// ---- grants read in full (docs/credentials.md "The claims", "Delegation"):
// the carriers' delegations are shown from what the owner signed, checked
// here, never from porterd's description of them. ----

export class ChainError extends Error {
  /** code: a libporter reason code (docs/reasons.md); link: the index. */
  constructor(code, message, link) {
    super(message);
    this.code = code;
    this.link = link;
  }
}

const TZ_RE = /^[A-Za-z0-9_+-]+(\/[A-Za-z0-9_+-]+)*$/;
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f]/;
const isTime = (v) => isUint(v) && v <= TIME_MAX;

/** grantTerms(claims, i = 0) -> the terms of one link, every claim checked
 * as libporter's decoder checks it (pt_grant_check): {home, exp, nbf,
 * iat, tokenId (hex), holder (32 bytes), locks, purpose (name), entries,
 * depth, conditions, camera, alarm, doorOpenMax, tz, windows, weekly,
 * note}; an absent optional claim is null. Throws ChainError
 * ('malformed' or 'unsupported', as the hub would say). */
export function grantTerms(c, i = 0) {
  const bad = (what) => new ChainError('malformed', `link ${i}: ${what}`, i);
  const unsupported = (what) => new ChainError('unsupported', `link ${i}: ${what}`, i);
  if (!(c instanceof Map)) throw bad('claims are not a map');
  for (const k of c.keys()) if (![3, 4, 5, 6, 7, 8, PORTER_CLAIM].includes(k)) throw unsupported(`unknown claim ${k}`);
  const aud = c.get(3);
  if (!isId(aud)) throw bad('aud');
  const t = { home: aud, exp: null, nbf: null, iat: null };
  for (const [k, name] of [[4, 'exp'], [5, 'nbf'], [6, 'iat']]) {
    if (!c.has(k)) continue;
    if (!isTime(c.get(k))) throw bad(name);
    t[name] = c.get(k);
  }
  if (t.nbf !== null && t.exp !== null && !(t.nbf < t.exp)) throw bad('nbf not before exp');
  const cti = c.get(7);
  if (!isBytes(cti, 16) || cti.every((x) => x === 0)) throw bad('cti');
  t.tokenId = toHex(cti);
  const cnf = c.get(8);
  if (!(cnf instanceof Map) || cnf.size !== 1 || !(cnf.get(1) instanceof Map)) throw bad('cnf');
  const ck = cnf.get(1);
  if (ck.size !== 3 || !ck.has(1) || !ck.has(-1) || !ck.has(-2)) throw bad('cnf key');
  if (ck.get(1) !== 1 || ck.get(-1) !== 6) throw unsupported('cnf: not an Ed25519 OKP key');
  if (!isBytes(ck.get(-2), 32)) throw bad('cnf key x');
  t.holder = ck.get(-2);
  const p = c.get(PORTER_CLAIM);
  if (!(p instanceof Map)) throw bad('porter claim');
  for (const k of p.keys()) if (!(Number.isInteger(k) && k >= 1 && k <= 11)) throw unsupported(`unknown porter claim ${k}`);
  const locks = p.has(1) ? p.get(1) : null;
  if (locks !== null) {
    if (!Array.isArray(locks) || locks.length < 1 || locks.length > 8 || !locks.every(isId)) throw bad('locks');
    for (let j = 1; j < locks.length; j++) if (!(compareUtf8(locks[j - 1], locks[j]) < 0)) throw bad('locks: not in ascending order');
  }
  t.locks = locks;
  t.purpose = Object.keys(PURPOSE).find((k) => PURPOSE[k] === p.get(2)) || null;
  if (!t.purpose) throw bad('purpose');
  t.entries = p.has(3) ? p.get(3) : null;
  if (t.entries !== null && !(isUint(t.entries) && t.entries >= 1 && t.entries <= 1000000)) throw bad('entries');
  if (t.entries === null && t.purpose === 'delivery') throw bad('a delivery without entries');
  t.depth = p.get(4);
  if (!(isUint(t.depth) && t.depth <= 3)) throw bad('depth');
  const cond = p.has(5) ? p.get(5) : null;
  if (cond !== null) {
    if (!isUint(cond) || cond === 0) throw bad('conditions');
    if (cond & ~3) throw unsupported('an unknown condition bit');
  }
  t.conditions = cond || 0;
  t.camera = (t.conditions & 1) !== 0;
  t.alarm = (t.conditions & 2) !== 0;
  t.doorOpenMax = p.has(6) ? p.get(6) : null;
  if (t.doorOpenMax !== null && !(isUint(t.doorOpenMax) && t.doorOpenMax >= 1 && t.doorOpenMax <= 86400)) throw bad('door-open max');
  t.tz = p.has(7) ? p.get(7) : null;
  if (t.tz !== null && !(typeof t.tz === 'string' && t.tz.length <= 64 && TZ_RE.test(t.tz))) throw bad('tz');
  t.windows = p.has(8) ? p.get(8) : null;
  if (t.windows !== null) {
    if (!Array.isArray(t.windows) || t.windows.length < 1 || t.windows.length > 8) throw bad('windows');
    let prev = -1;
    for (const w of t.windows) {
      if (!Array.isArray(w) || w.length !== 2 || !isTime(w[0]) || !isTime(w[1]) || !(w[0] < w[1]) || w[0] < prev)
        throw bad('windows: [start, end), ascending, not overlapping');
      prev = w[1];
    }
  }
  t.weekly = p.has(9) ? p.get(9) : null;
  if (t.weekly !== null) {
    if (!Array.isArray(t.weekly) || t.weekly.length < 1 || t.weekly.length > 16) throw bad('weekly');
    for (const w of t.weekly) {
      if (!Array.isArray(w) || w.length !== 3 || !isUint(w[0]) || w[0] < 1 || w[0] > 127 || !isUint(w[1]) ||
        !isUint(w[2]) || !(w[1] < w[2]) || w[2] > 1440) throw bad('weekly interval');
    }
  }
  if ((t.tz !== null) !== (t.weekly !== null)) throw bad('tz exactly when weekly');
  t.note = p.has(10) ? p.get(10) : null;
  if (t.note !== null && !(typeof t.note === 'string' && utf8(t.note).length >= 1 && utf8(t.note).length <= 280 &&
    !CONTROL_RE.test(t.note))) throw bad('note');
  if (t.purpose !== 'resident' && t.exp === null) throw bad('exp is required but for residents');
  // Duress (11: true, its only encoding): a resident's own credential, depth 0.
  t.duress = p.has(11);
  if (t.duress && (p.get(11) !== true || t.purpose !== 'resident' || t.depth !== 0)) throw bad('duress');
  return t;
}

function compareUtf8(a, b) {
  const x = utf8(a);
  const y = utf8(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

/** narrowingFault(parent, child) -> null when child (grantTerms) only
 * narrows parent, else what it widens (pt_grant_narrows,
 * docs/credentials.md "Delegation"). */
export function narrowingFault(p, c) {
  if (!(p.depth >= 1 && c.depth < p.depth)) return 'depth';
  if (p.home !== c.home) return 'home';
  if (p.purpose !== c.purpose) return 'purpose';
  if (p.locks !== null && (c.locks === null || !c.locks.every((l) => p.locks.includes(l)))) return 'locks';
  if (p.entries !== null && (c.entries === null || c.entries > p.entries)) return 'entries';
  if (p.nbf !== null && (c.nbf === null || c.nbf < p.nbf)) return 'not-before';
  if (p.exp !== null && (c.exp === null || c.exp > p.exp)) return 'expiry';
  if ((c.conditions & p.conditions) !== p.conditions) return 'conditions';
  if (p.doorOpenMax !== null && (c.doorOpenMax === null || c.doorOpenMax > p.doorOpenMax)) return 'door-open max';
  if (p.windows !== null) {
    const inside = (s, e) => p.windows.some(([ps, pe]) => s >= ps && e <= pe);
    if (c.windows !== null) {
      if (!c.windows.every(([s, e]) => inside(s, e))) return 'windows';
    } else if (c.nbf === null || c.exp === null || !inside(c.nbf, c.exp)) return 'windows';
  }
  if (p.weekly !== null) {
    if (c.weekly === null || c.tz !== p.tz) return 'week-day intervals';
    const fits = ([d, s, e]) => p.weekly.some(([pd, ps, pe]) => (d & ~pd) === 0 && s >= ps && e <= pe);
    if (!c.weekly.every(fits)) return 'week-day intervals';
  }
  return null;
}

/** readChain(chainBytes, {rootKeys, home}) -> {links: [{kid (hex),
 * terms}], leaf (the last link's terms), tokenId, holder, rootKid,
 * rootKey}: the chain decoded strictly, link 0 verified with the one of
 * rootKeys (32-byte owner keys) its kid names, every next link signed by
 * the holder of the link before it and only narrowing it, every link for
 * home. Throws ChainError with the hub's reason code: too-large,
 * malformed, chain-too-long, unsupported, untrusted-root (no root key
 * has its kid), bad-signature, broken-chain, widened-link,
 * wrong-home-or-lock. Nothing is returned from a chain that fails. */
export async function readChain(chainBytes, { rootKeys = [], home } = {}) {
  if (!(chainBytes instanceof Uint8Array)) throw new ChainError('malformed', 'not bytes');
  if (chainBytes.length > 2048) throw new ChainError('too-large', 'chain over 2048 bytes');
  let arr;
  try {
    arr = decode(chainBytes);
  } catch (e) {
    throw new ChainError('malformed', `chain: ${e.message}`);
  }
  if (!Array.isArray(arr) || arr.length < 1) throw new ChainError('malformed', 'chain: not an array of links');
  if (arr.length > 4) throw new ChainError('chain-too-long', 'chain: more than 4 links');
  const links = [];
  let prev = null;
  for (let i = 0; i < arr.length; i++) {
    const bytes = encode(arr[i]);
    if (bytes.length > LINK_SIZE_MAX) throw new ChainError('too-large', `link ${i}: over 1024 bytes`, i);
    let p;
    try {
      p = parseSign1(bytes);
    } catch (e) {
      throw new ChainError('malformed', `link ${i}: ${e.message}`, i);
    }
    const terms = grantTerms(p.claims, i);
    let signer = null;
    if (i === 0) {
      for (const pk of rootKeys) if (isBytes(pk, 32) && equalBytes(await kid(pk), p.kid)) signer = pk;
      if (!signer) throw new ChainError('untrusted-root', `link 0: signed by key ${toHex(p.kid)}, not an owner key of the home`, 0);
    } else {
      signer = prev.terms.holder;
      if (!equalBytes(await kid(signer), p.kid)) throw new ChainError('broken-chain', `link ${i}: not signed by the holder of link ${i - 1}`, i);
    }
    if (!(await verifySign1(bytes, signer, AAD.grant))) throw new ChainError('bad-signature', `link ${i}: the signature does not verify`, i);
    if (i > 0 && terms.duress) throw new ChainError('widened-link', `link ${i}: a duress marker below the owner's link`, i);
    if (prev) {
      const f = narrowingFault(prev.terms, terms);
      if (f) throw new ChainError('widened-link', `link ${i} widens link ${i - 1}: ${f}`, i);
    }
    if (home !== undefined && terms.home !== home) throw new ChainError('wrong-home-or-lock', `link ${i}: for home ${terms.home}`, i);
    prev = { kid: toHex(p.kid), terms, signer };
    links.push(prev);
  }
  const leaf = links[links.length - 1].terms;
  return { links: links.map(({ kid: k, terms }) => ({ kid: k, terms })), leaf, tokenId: leaf.tokenId, holder: leaf.holder,
    rootKid: links[0].kid, rootKey: links[0].signer };
}

/** chainHolder(chainBytes) -> the last link's holder key, decoded without
 * any check (to group a chain that failed its checks under the carrier it
 * names), or null. Never a reason to trust anything. */
export function chainHolder(chainBytes) {
  try {
    const arr = decode(chainBytes);
    const c = parseSign1(encode(arr[arr.length - 1])).claims;
    const k = c.get(8).get(1).get(-2);
    return isBytes(k, 32) ? k : null;
  } catch {
    return null;
  }
}

// ---- clips (docs/clips.md): the camera-signed key record, manifest and
// segment signatures, checked in the page with the camera's key before
// anything else of the clip is read. Opening the clip key and the
// segments happens in a key worker (keyworker.js, ops clip-*). ----

export const CLIP_DOMAIN = Object.freeze({
  key: 'porter/clip-key/v1',
  manifest: 'porter/clip-manifest/v1',
  segment: 'porter/clip-segment/v1',
});
const CLIP_SEGMENTS_MAX = 1024;
const CLIP_RECIPIENTS_MAX = 8;
const CLIP_SEGMENT_SIZE_MAX = 16 * 1024 * 1024;
const CLIP_KEYREC_MAX = 1024;
const CLIP_MANIFEST_MAX = 51264;

function clipJoin(...parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

// [payload: bstr, signature: bstr .size 64], verified with the camera key
// over domain || 0x00 || payload BEFORE the payload is decoded.
async function clipSignedPayload(bytes, domain, cameraPk, max, what) {
  const s = await getSodium();
  if (!(bytes instanceof Uint8Array) || bytes.length > max) throw new CborError(`${what}: too large`);
  if (!(cameraPk instanceof Uint8Array) || cameraPk.length !== 32) throw new TypeError('camera key: 32 bytes');
  const v = decode(bytes);
  if (!Array.isArray(v) || v.length !== 2 || !(v[0] instanceof Uint8Array) || !(v[1] instanceof Uint8Array) ||
    v[1].length !== 64) throw new CborError(`${what}: not [payload, signature]`);
  if (!s.crypto_sign_verify_detached(v[1], clipJoin(utf8(domain), Uint8Array.of(0), v[0]), cameraPk))
    throw new Error(`${what}: the camera's signature does not verify`);
  const m = decode(v[0]);
  if (!(m instanceof Map)) throw new CborError(`${what}: payload is not a map`);
  return m;
}

function clipFields(m, n, what) {
  if (m.size !== n) throw new CborError(`${what}: ${n} fields expected`);
  for (let k = 1; k <= n; k++) if (!m.has(k)) throw new CborError(`${what}: field ${k} missing`);
}

const isUint = (x) => Number.isSafeInteger(x) && x >= 0;
const isBytes = (x, n) => x instanceof Uint8Array && x.length === n;

function clipKeys(keys, what) {
  if (!Array.isArray(keys) || keys.length < 1 || keys.length > CLIP_RECIPIENTS_MAX)
    throw new CborError(`${what}: 1 to 8 recipients`);
  const seen = new Set();
  for (const k of keys) {
    if (!Array.isArray(k) || k.length !== 2 || !isBytes(k[0], 8) || !isBytes(k[1], 80))
      throw new CborError(`${what}: a recipient is not [key id, sealed key]`);
    const h = toHex(k[0]);
    if (seen.has(h)) throw new CborError(`${what}: a key id twice`);
    seen.add(h);
  }
  return keys.map(([kid8, sealed]) => [kid8, sealed]);
}

function clipCommon(m, what) {
  if (m.get(1) !== 1) throw new CborError(`${what}: version`);
  if (!isId(m.get(2))) throw new CborError(`${what}: camera id`);
  if (!isBytes(m.get(3), 16)) throw new CborError(`${what}: clip id`);
  if (!isUint(m.get(4)) || m.get(4) < 1) throw new CborError(`${what}: START seq`);
}

/** openKeyRecord(bytes, cameraPk) -> {camera, clip (hex), startSeq, start,
 * container, keys: [[kid8, sealed80]]}: the signature first, then every
 * field (docs/clips.md "Key record"). Throws on anything else. */
export async function openKeyRecord(bytes, cameraPk) {
  const m = await clipSignedPayload(bytes, CLIP_DOMAIN.key, cameraPk, CLIP_KEYREC_MAX, 'key record');
  clipFields(m, 7, 'key record');
  clipCommon(m, 'key record');
  if (!isUint(m.get(5))) throw new CborError('key record: start');
  if (m.get(6) !== 'mp4' && m.get(6) !== 'ts') throw new CborError('key record: container');
  return { camera: m.get(2), clip: toHex(m.get(3)), startSeq: m.get(4), start: m.get(5), container: m.get(6),
    keys: clipKeys(m.get(7), 'key record') };
}

/** openManifest(bytes, cameraPk) -> {camera, clip, startSeq, endSeq, start,
 * end, container, preroll, postroll, segments: [{index, duration, size,
 * sha256}], keys}: verified, then checked field by field. */
export async function openManifest(bytes, cameraPk) {
  const m = await clipSignedPayload(bytes, CLIP_DOMAIN.manifest, cameraPk, CLIP_MANIFEST_MAX, 'manifest');
  clipFields(m, 12, 'manifest');
  clipCommon(m, 'manifest');
  const startSeq = m.get(4);
  const endSeq = m.get(5);
  if (!isUint(endSeq) || (endSeq !== 0 && endSeq < startSeq)) throw new CborError('manifest: END seq');
  if (!isUint(m.get(6)) || !isUint(m.get(7)) || m.get(7) < m.get(6)) throw new CborError('manifest: start, end');
  if (m.get(8) !== 'mp4' && m.get(8) !== 'ts') throw new CborError('manifest: container');
  for (const k of [9, 10]) if (!isUint(m.get(k)) || m.get(k) > 3600000) throw new CborError('manifest: pre- or post-roll');
  const segs = m.get(11);
  if (!Array.isArray(segs) || segs.length < 1 || segs.length > CLIP_SEGMENTS_MAX) throw new CborError('manifest: segments');
  const segments = segs.map((x, i) => {
    if (!Array.isArray(x) || x.length !== 4 || x[0] !== i || !isUint(x[1]) || !isUint(x[2]) || x[2] < 1 ||
      x[2] > CLIP_SEGMENT_SIZE_MAX || !isBytes(x[3], 32)) throw new CborError(`manifest: segment ${i}`);
    return { index: x[0], duration: x[1], size: x[2], sha256: x[3] };
  });
  return { camera: m.get(2), clip: toHex(m.get(3)), startSeq, endSeq, start: m.get(6), end: m.get(7),
    container: m.get(8), preroll: m.get(9), postroll: m.get(10), segments, keys: clipKeys(m.get(12), 'manifest') };
}

/** keyRecordMatches(kr, man): the manifest names the key record's camera,
 * clip, START seq and container and carries its sealed keys, byte for
 * byte, in the same order (pt_clip_keyrec_matches). */
export function keyRecordMatches(kr, man) {
  return kr.camera === man.camera && kr.clip === man.clip && kr.startSeq === man.startSeq &&
    kr.container === man.container && kr.keys.length === man.keys.length &&
    kr.keys.every(([k, sealed], i) => equalBytes(k, man.keys[i][0]) && equalBytes(sealed, man.keys[i][1]));
}

/** segmentSignatureOk(cameraPk, clipHex, index, sha256, signature) ->
 * whether the camera signed "porter/clip-segment/v1" 0x00 || clip id ||
 * index (u32 BE) || sha256 (the SHA-256 of the sealed bytes fetched). */
export async function segmentSignatureOk(cameraPk, clip, index, sha256, signature) {
  const s = await getSodium();
  if (!isBytes(signature, 64) || !isBytes(sha256, 32) || !isUint(index) || index >= CLIP_SEGMENTS_MAX) return false;
  const id = typeof clip === 'string' ? s.from_hex(clip) : clip;
  if (!isBytes(id, 16)) return false;
  const idx = Uint8Array.of(index >>> 24, (index >>> 16) & 255, (index >>> 8) & 255, index & 255);
  return s.crypto_sign_verify_detached(signature, clipJoin(utf8(CLIP_DOMAIN.segment), Uint8Array.of(0), id, idx, sha256),
    cameraPk);
}

/** clipGaps(stored) -> {indexes, missing}: for a clip without a manifest,
 * where porterd's stored_segments are all that lists the segments: every
 * index from 0 to the highest valid one stored, and, in order, each of
 * them porterd does not list (a missing 0 included). Not an index
 * (negative, not an integer, >= 1024): ignored. */
export function clipGaps(stored) {
  const have = new Set((stored || []).filter((i) => Number.isInteger(i) && i >= 0 && i < CLIP_SEGMENTS_MAX));
  if (!have.size) return { indexes: [], missing: [] };
  const max = Math.max(...have);
  const indexes = [...Array(max + 1).keys()];
  return { indexes, missing: indexes.filter((i) => !have.has(i)) };
}

/** clipTimesAgree(clip, man, tolMs = 1000): porterd's start_ms and end_ms
 * of the clip are the camera-signed manifest's start and end, within
 * tolMs. Without a manifest there is nothing signed to hold them to
 * (true): the page then shows the key record's start only. */
export function clipTimesAgree(clip, man, tolMs = 1000) {
  if (!man) return true;
  const near = (x, y) => Number.isSafeInteger(x) && Math.abs(x - y) <= tolMs;
  return !!clip && near(clip.start_ms, man.start) && near(clip.end_ms, man.end);
}

// ---- live view (include/porter/live.h, docs/live.md) ----

export const LIVE = Object.freeze({
  requestAad: 'porter/live/v1',
  keyDomain: 'porter/live-key/v1',
  secondsMax: 600,
  view: 1,
  idLen: 16,
  hdrLen: 42,
  prefixLen: 12,
  fragmentMax: 4 * 1024 * 1024,
  sealedKeyLen: 80,
});

// libsodium's small-order X25519 points (ed25519/ref10 blocklist), top bit ignored.
const SMALL_ORDER = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
];

/** liveKeyIsValid(xpk) -> a 32-byte X25519 key that is neither all zero
 * nor of small order (pt_live_xpk_is_valid). */
export function liveKeyIsValid(xpk) {
  if (!(xpk instanceof Uint8Array) || xpk.length !== 32) return false;
  const k = xpk.slice();
  k[31] &= 0x7f;
  const hex = toHex(k);
  return !SMALL_ORDER.some((s) => {
    const b = s.slice(0, 62) + (parseInt(s.slice(62), 16) & 0x7f).toString(16).padStart(2, '0');
    return b === hex;
  });
}

/** liveRequest({sk, pk, home, camera, viewerKey, iat?, exp?, session?})
 * -> {bytes, session}: the PT_ENV_LIVE envelope (AAD porter/live/v1):
 * {3: home, 4: exp, 6: iat, 7: session id, -65537: {1: 1, 2: viewerKey,
 * 3: camera}}; iat < exp <= iat + 600. iat defaults to now, exp to
 * iat + 600, session to 16 random bytes. */
export async function liveRequest({ sk, pk, home, camera, viewerKey, iat, exp, session }) {
  if (!isId(camera)) throw new TypeError('camera: not an id');
  if (!liveKeyIsValid(viewerKey)) throw new TypeError('viewerKey: not a usable X25519 key');
  const t = iat ?? Math.floor(Date.now() / 1000);
  const e = exp ?? t + LIVE.secondsMax;
  checkTime(t, 'iat');
  if (!Number.isSafeInteger(e) || !(e > t) || e > t + LIVE.secondsMax) throw new RangeError('exp: after iat, at most 600 s');
  const n = session ?? (await randomNonce());
  if (!(n instanceof Uint8Array) || n.length !== 16) throw new TypeError('session: 16 bytes');
  if (!isId(home)) throw new TypeError('aud: not an id');
  const claims = encode(new Map([[3, home], [4, e], [6, t], [7, n],
    [PORTER_CLAIM, new Map([[1, LIVE.view], [2, viewerKey], [3, camera]])]]));
  const bytes = await sizedEnvelope(sk, pk, LIVE.requestAad, claims);
  return { bytes, session: n };
}

function domainMessage(domain, payload) {
  const d = utf8(domain);
  const m = new Uint8Array(d.length + 1 + payload.length);
  m.set(d, 0);
  m.set(payload, d.length + 1);
  return m;
}

const uintIn = (v, lo, hi) => Number.isSafeInteger(v) && v >= lo && v <= hi;

/** openLiveKeyRecord(bytes, cameraPk) -> {camera, session, eventSeq,
 * start, expiry, viewerKey, sealed, container}: the camera-signed key
 * record (live.h 3), its signature checked (domain porter/live-key/v1)
 * before any field is read, then every field's rules. Throws. */
export async function openLiveKeyRecord(bytes, cameraPk) {
  const s = await getSodium();
  if (!(bytes instanceof Uint8Array) || bytes.length > 384) throw new CborError('key record too large');
  if (!(cameraPk instanceof Uint8Array) || cameraPk.length !== 32) throw new TypeError('camera key: 32 bytes');
  const top = decode(bytes);
  if (!Array.isArray(top) || top.length !== 2 || !(top[0] instanceof Uint8Array) ||
    !(top[1] instanceof Uint8Array) || top[1].length !== 64) throw new CborError('not a key record');
  const [payload, sig] = top;
  if (!s.crypto_sign_verify_detached(sig, domainMessage(LIVE.keyDomain, payload), cameraPk))
    throw new Error('the key record is not signed by the camera');
  const m = decode(payload);
  if (!(m instanceof Map) || m.size !== 9) throw new CborError('key record: fields');
  for (let k = 1; k <= 9; k++) if (!m.has(k)) throw new CborError(`key record: no field ${k}`);
  const r = {
    camera: m.get(2), session: m.get(3), eventSeq: m.get(4), start: m.get(5), expiry: m.get(6),
    viewerKey: m.get(7), sealed: m.get(8), container: m.get(9),
  };
  if (m.get(1) !== 1 || !isId(r.camera) || !(r.session instanceof Uint8Array) || r.session.length !== 16 ||
    !uintIn(r.eventSeq, 1, Number.MAX_SAFE_INTEGER) || !uintIn(r.start, 0, TIME_MAX * 1000) ||
    !uintIn(r.expiry, 0, TIME_MAX * 1000) || !(r.start < r.expiry) || !liveKeyIsValid(r.viewerKey) ||
    !(r.sealed instanceof Uint8Array) || r.sealed.length !== LIVE.sealedKeyLen || r.container !== 'mp4')
    throw new CborError('key record: a field is out of its rules');
  return r;
}

/** liveKeyRecordIsFor(r, {camera, session, viewerKey}): throws unless the
 * opened key record r (openLiveKeyRecord) names this camera, this
 * session id and this viewer's X25519 key (the live worker's op
 * live-key checks these before it opens the sealed key). */
export function liveKeyRecordIsFor(r, { camera, session, viewerKey }) {
  if (r.camera !== camera) throw new Error('the key record names another camera');
  if (!equalBytes(r.session, session)) throw new Error('the key record names another session');
  if (!equalBytes(r.viewerKey, viewerKey)) throw new Error('the key record is sealed to another viewer key');
}

const be32 = (b, o) => ((b[o] << 24) >>> 0) + (b[o + 1] << 16) + (b[o + 2] << 8) + b[o + 3];
const be64 = (b, o) => {
  const hi = be32(b, o);
  if (hi >= 0x200000) throw new RangeError('u64 over 2^53');
  return hi * 0x100000000 + be32(b, o + 4);
};

/** liveHeader(fragment) -> {session, index, capture, duration, sealedLen}:
 * the PTLIV1 header of a whole fragment (pt_live_hdr_decode): the magic,
 * capture and duration 0 exactly for fragment 0, the sealed length is
 * the rest. Throws. */
export function liveHeader(f) {
  if (!(f instanceof Uint8Array)) throw new TypeError('a fragment is bytes');
  if (f.length > LIVE.fragmentMax) throw new RangeError('fragment too large');
  if (f.length < LIVE.hdrLen || fromUtf8Ascii(f.subarray(0, 6)) !== 'PTLIV1') throw new Error('not a live fragment');
  const h = { session: f.slice(6, 22), index: be32(f, 22), capture: be64(f, 26), duration: be32(f, 34), sealedLen: be32(f, 38) };
  if ((h.index === 0) !== (h.capture === 0) || (h.index === 0) !== (h.duration === 0))
    throw new Error('fragment header: capture and duration are 0 for fragment 0 only');
  if (h.sealedLen !== f.length - LIVE.hdrLen) throw new Error('fragment header: sealed length');
  return h;
}

function fromUtf8Ascii(b) {
  return String.fromCharCode(...b.subarray(0, 16));
}

/** openSealedSegment(key, id16, index, sealed) -> plaintext: a PTSEG1 sealed
 * segment (include/porter/clipseal.h, pt_seg_open): secretstream chunks
 * with additional data id || index (u32 BE), the last one TAG_FINAL and
 * nothing after it. Throws on anything else. */
export async function openSealedSegment(key, id, index, sealed) {
  const s = await getSodium();
  const ABYTES = s.crypto_secretstream_xchacha20poly1305_ABYTES;
  const FINAL = s.crypto_secretstream_xchacha20poly1305_TAG_FINAL;
  if (sealed.length < 30 || fromUtf8Ascii(sealed.subarray(0, 6)) !== 'PTSEG1') throw new Error('not a sealed segment');
  const ad = new Uint8Array(20);
  ad.set(id, 0);
  ad[16] = index >>> 24;
  ad[17] = (index >>> 16) & 255;
  ad[18] = (index >>> 8) & 255;
  ad[19] = index & 255;
  const st = s.crypto_secretstream_xchacha20poly1305_init_pull(sealed.subarray(6, 30), key);
  const parts = [];
  let o = 30;
  let tag = 0;
  while (tag !== FINAL) {
    if (sealed.length - o < 4) throw new Error('sealed segment truncated');
    const c = be32(sealed, o);
    o += 4;
    if (c < ABYTES || c > 65536 + ABYTES || c > sealed.length - o) throw new Error('sealed segment: bad chunk length');
    const r = s.crypto_secretstream_xchacha20poly1305_pull(st, sealed.subarray(o, o + c), ad);
    if (!r) throw new Error('sealed segment does not open (wrong key, place or altered)');
    o += c;
    tag = r.tag;
    if (tag !== 0 && tag !== FINAL) throw new Error('sealed segment: unexpected tag');
    parts.push(r.message);
  }
  if (o !== sealed.length) throw new Error('bytes after the final chunk');
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let w = 0;
  for (const p of parts) {
    out.set(p, w);
    w += p.length;
  }
  return out;
}

/** openLiveFragment(key, session, fragment, index?) -> {index, capture,
 * duration, media}: header checked (this session, and this index when
 * given), the sealed segment opened (clip id = session id), and the
 * sealed capture and duration equal to the header's. Throws. */
export async function openLiveFragment(key, session, f, index) {
  const h = liveHeader(f);
  if (!equalBytes(h.session, session)) throw new Error('fragment of another session');
  if (index !== undefined && h.index !== index) throw new Error(`fragment ${h.index} where ${index} was asked for`);
  const plain = await openSealedSegment(key, session, h.index, f.subarray(LIVE.hdrLen));
  if (plain.length < LIVE.prefixLen) throw new Error('fragment plaintext too short');
  if (be64(plain, 0) !== h.capture || be32(plain, 8) !== h.duration)
    throw new Error('the fragment header\'s capture or duration differs from the sealed one');
  return { index: h.index, capture: h.capture, duration: h.duration, media: plain.slice(LIVE.prefixLen) };
}

// ---- who a viewer believes (docs/cam.md, "Who a viewer believes") ----
// A camera's key from porterd is used only when the camera's owner-signed
// enrolment statement (porter/camera_stmt.h, lib/core/camera_stmt.c, here
// byte for byte) verifies with a key of the trusted owner set and names
// this home, this camera and this key. The set: the viewer's anchors (this
// browser's key and the owner key that endorsed it, pinned on first sight:
// cameraAnchors), then, to a fixed point, each key a verified owner
// statement (PT_ENV_OWNER, this home, op add, any age) by a key in the set
// names (down only, as porter's CLI, tools/porter/camtrust.c). Never up:
// any key can sign a statement naming ours, so porterd could make itself
// an "endorser". porterd serves the statements (GET .../owner-keys); it can
// withhold one (the camera is then not believed), not forge one.

export const CAMERA_STMT_MAX = 512;
const CAMERA_PAYLOAD_MAX = 400;
const CAMERA_NAME_MAX = 100;
const OWNER_KEYS_MAX = 64; // porterd's limit of a home's owner keys
const SKEW_ANY = 0xffffffff; // owner statements: no age limit (as the hub)

export class TrustError extends Error {
  /** code: 'malformed', 'too-large', 'untrusted-signer', 'bad-signature',
   * 'wrong-home-or-lock', 'stale', 'unsigned', 'altered'. */
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

const mapKeysAre = (m, want) => m instanceof Map && m.size === want.length && want.every((k) => m.has(k));

// The COSE_Sign1 of a statement: at most max bytes, porter's profile.
function statementSign1(bytes, max, payloadMax, what) {
  if (!(bytes instanceof Uint8Array)) throw new TrustError('malformed', `${what}: not bytes`);
  if (bytes.length > max) throw new TrustError('too-large', `${what}: over ${max} bytes`);
  let p;
  try {
    p = parseSign1(bytes);
  } catch (e) {
    throw new TrustError('malformed', `${what}: ${e.message}`);
  }
  if (p.payload.length > payloadMax) throw new TrustError('malformed', `${what}: payload over ${payloadMax} bytes`);
  return p;
}

// The index of the signer (by key id, then signature) among signers.
async function signerOf(p, signers, aad, what) {
  const s = await getSodium();
  const tbs = sigStructure(p.protected, aad, p.payload);
  let matched = false;
  for (let i = 0; i < signers.length; i++) {
    const pk = signers[i];
    if (!isBytes(pk, 32) || !equalBytes(await kid(pk), p.kid)) continue;
    matched = true;
    let ok = false;
    try {
      ok = s.crypto_sign_verify_detached(p.signature, tbs, pk);
    } catch {
      ok = false;
    }
    if (ok) return i;
  }
  const e = matched ? new TrustError('bad-signature', `${what}: the signature does not verify`)
    : new TrustError('untrusted-signer', `${what}: signed by key ${toHex(p.kid)}, not one trusted`);
  e.kid = toHex(p.kid);
  throw e;
}

const isName = (v) => typeof v === 'string' && utf8(v).length <= CAMERA_NAME_MAX && !CONTROL_RE.test(v);

/** openCameraStatement(bytes, signers) -> {signer (index), kid (hex), home,
 * camera, cameraKey, name, iat}: the statement verified with one of
 * signers (32-byte keys), external AAD porter/camera/v1, then its payload
 * read strictly: {1: 1, 2: home, 3: camera id, 4: key (32), 5: name
 * (0..100 bytes, printable), 6: iat}. Throws TrustError. Whether it names
 * what it is for: cameraStatementMatches. */
export async function openCameraStatement(bytes, signers) {
  const p = statementSign1(bytes, CAMERA_STMT_MAX, CAMERA_PAYLOAD_MAX, 'camera statement');
  const signer = await signerOf(p, signers, AAD.camera, 'camera statement');
  const c = p.claims;
  if (!mapKeysAre(c, [1, 2, 3, 4, 5, 6]) || c.get(1) !== 1 || !isId(c.get(2)) || !isId(c.get(3)) ||
    !isBytes(c.get(4), 32) || !isName(c.get(5)) || !isTime(c.get(6)))
    throw new TrustError('malformed', 'camera statement: not {version 1, home, camera, key, name, issued at}');
  return { signer, kid: toHex(p.kid), home: c.get(2), camera: c.get(3), cameraKey: c.get(4), name: c.get(5), iat: c.get(6) };
}

/** cameraStatementMatches(st, {home, camera, cameraKey}) -> does a verified
 * statement name this home, this camera and exactly this key? */
export function cameraStatementMatches(st, { home, camera, cameraKey }) {
  return !!st && st.home === home && st.camera === camera && isBytes(cameraKey, 32) && equalBytes(st.cameraKey, cameraKey);
}

/** openOwnerStatement(bytes, signers, home, now) -> {signer (index), target}:
 * a PT_ENV_OWNER (AAD porter/owner/v1) verified with one of signers,
 * claims {3: home, 6: iat, 7: nonce (16), -65537: {1: 1, 2: key (32)}},
 * audience home, iat within 2^32 - 1 s of now (no age limit, as the hub).
 * Throws TrustError. */
export async function openOwnerStatement(bytes, signers, home, now) {
  const p = statementSign1(bytes, ENVELOPE_SIZE_MAX, ENVELOPE_SIZE_MAX, 'owner statement');
  const signer = await signerOf(p, signers, AAD.owner, 'owner statement');
  const c = p.claims;
  const pc = c instanceof Map ? c.get(PORTER_CLAIM) : null;
  if (!mapKeysAre(c, [3, 6, 7, PORTER_CLAIM]) || !isId(c.get(3)) || !isTime(c.get(6)) || !isBytes(c.get(7), 16) ||
    !mapKeysAre(pc, [1, 2]) || pc.get(1) !== 1 || !isBytes(pc.get(2), 32))
    throw new TrustError('malformed', 'owner statement: not {home, iat, nonce, {1: 1, 2: key}}');
  if (c.get(3) !== home) throw new TrustError('wrong-home-or-lock', `owner statement: for home ${c.get(3)}`);
  if (Math.abs(now - c.get(6)) > SKEW_ANY) throw new TrustError('stale', 'owner statement: issued too far from now');
  return { signer, target: pc.get(2) };
}

// porterd's owner keys (GET .../owner-keys "keys") as {pk, stmt}: a key
// that is not 32 bytes of base64url is skipped, a statement that is not
// base64url of at most 512 bytes dropped; at most 64.
function ownerRows(keys) {
  const rows = [];
  for (const k of Array.isArray(keys) ? keys : []) {
    if (rows.length >= OWNER_KEYS_MAX) break;
    let pk = null;
    let stmt = null;
    try {
      pk = typeof k?.public_key === 'string' ? fromB64url(k.public_key) : null;
      stmt = typeof k?.statement === 'string' && k.statement.length <= 684 ? fromB64url(k.statement) : null;
    } catch {
      stmt = null;
    }
    if (!isBytes(pk, 32)) continue;
    rows.push({ pk, stmt: stmt && stmt.length <= ENVELOPE_SIZE_MAX ? stmt : null });
  }
  return rows;
}

const keyIn = (set, pk) => set.some((k) => equalBytes(k, pk));

// Does row's statement verify (owner statement of home, by one of
// signers) and name row's own key? The signer's index, or -1.
async function endorsedBy(row, signers, home, now) {
  if (!row.stmt || !signers.length) return -1;
  try {
    const o = await openOwnerStatement(row.stmt, signers, home, now);
    return equalBytes(o.target, row.pk) ? o.signer : -1;
  } catch {
    return -1;
  }
}

/** trustedOwnerKeys({anchors, home, keys, now?}) -> the trusted owner set
 * (32-byte keys, the anchors first): anchors, then to a fixed point the
 * keys a verified owner statement in keys (porterd's GET .../owner-keys
 * "keys": {public_key, statement}) by a key of the set names: down only.
 * A statement that does not verify, is for another home or names another
 * key than its row's proves nothing and is ignored; a key that endorsed a
 * trusted key is not trusted for that (anyone can sign such a statement). */
export async function trustedOwnerKeys({ anchors, home, keys, now }) {
  const t = now ?? Math.floor(Date.now() / 1000);
  const set = [];
  for (const a of anchors || []) if (isBytes(a, 32) && !keyIn(set, a)) set.push(a);
  const rows = ownerRows(keys);
  let progress = true;
  while (progress) {
    progress = false;
    for (const row of rows) {
      if (!keyIn(set, row.pk) && (await endorsedBy(row, set, home, t)) >= 0) { // a trusted key endorsed it
        set.push(row.pk);
        progress = true;
      }
    }
  }
  return set;
}

/** browserEndorsers({home, browserKey, ownerKeys, now?}) -> the distinct
 * keys (32 bytes) porterd lists for home whose verified owner statement
 * (this home) in browserKey's own row names browserKey: who porterd says
 * endorsed this browser's key. The browser key itself is never one. */
export async function browserEndorsers({ home, browserKey, ownerKeys, now }) {
  const t = now ?? Math.floor(Date.now() / 1000);
  if (!isBytes(browserKey, 32)) return [];
  const rows = ownerRows(ownerKeys);
  const all = rows.map((r) => r.pk).filter((pk) => !equalBytes(pk, browserKey));
  const out = [];
  for (const row of rows) {
    if (!equalBytes(row.pk, browserKey)) continue;
    const i = await endorsedBy(row, all, home, t);
    if (i >= 0 && !keyIn(out, all[i])) out.push(all[i]);
  }
  return out;
}

/** cameraAnchors({home, browserKey, ownerKeys, pinned, now?}) -> {anchors,
 * endorser, pin, warning}: the anchors of the trust walk for this browser
 * in home. pinned: the endorser's key this browser stored for (home,
 * browserKey) on first sight, or null. With no pin, when porterd serves
 * exactly one verified endorsement of browserKey, its signer is the one to
 * pin (pin; the caller stores it). With a pin, only the pin is ever used:
 * an anchor while porterd still serves its endorsement of browserKey
 * (withheld: not an anchor, fail closed); another "endorser" porterd
 * serves is ignored, and warning says so. anchors: [browserKey] or
 * [browserKey, endorser]; endorser: the key used (or null). */
export async function cameraAnchors({ home, browserKey, ownerKeys, pinned, now }) {
  const seen = await browserEndorsers({ home, browserKey, ownerKeys, now });
  const pin = isBytes(pinned, 32) ? pinned : null;
  if (pin) {
    const others = seen.filter((k) => !equalBytes(k, pin));
    const warning = others.length
      ? `porterd now names another key as the one that endorsed this browser's key; the page keeps ${toHex(await kid(pin))} (the one it first saw; porterd names ${toHex(await kid(others[0]))})`
      : null;
    const used = keyIn(seen, pin) ? pin : null;
    return { anchors: used ? [browserKey, pin] : [browserKey], endorser: used, pin: null, warning };
  }
  if (seen.length === 1) return { anchors: [browserKey, seen[0]], endorser: seen[0], pin: seen[0], warning: null };
  const warning = seen.length > 1
    ? 'porterd names more than one key as the one that endorsed this browser\'s key; the page pins none of them and trusts this browser\'s key only'
    : null;
  return { anchors: [browserKey], endorser: null, pin: null, warning };
}

export const NOT_VOUCHED = 'this camera\'s key is not vouched for by an owner of this home';

/** vouchedCameraKey({home, camera, anchors, ownerKeys, now?}) -> {key,
 * signerKid, name, iat, endorsed}: the camera's key (camera: porterd's
 * object from GET .../cameras: id, public_key, statement) when its
 * statement verifies with the trusted owner set (anchors and porterd's
 * ownerKeys, trustedOwnerKeys) and names this home, camera and key;
 * anchor: the signer's index in anchors (-1: a key endorsed from them,
 * endorsed true). Else throws a TrustError
 * whose message begins with NOT_VOUCHED and says why. */
export async function vouchedCameraKey({ home, camera, anchors, ownerKeys, now }) {
  const id = camera && isId(camera.id) ? camera.id : null;
  const no = (code, why) => new TrustError(code, `${NOT_VOUCHED}${id ? ` (camera ${id})` : ''}: ${why}`);
  let key = null;
  try {
    key = typeof camera?.public_key === 'string' ? fromB64url(camera.public_key) : null;
  } catch {
    key = null;
  }
  if (!id || !isBytes(key, 32)) throw no('malformed', 'porterd gave no usable camera id or key');
  if (camera.statement === null || camera.statement === undefined)
    throw no('unsigned', 'it was enrolled without an owner\'s statement, so its key is porterd\'s word only. Enrol it again with porter camera add --key OWNER_KEY');
  let bytes = null;
  try {
    bytes = typeof camera.statement === 'string' && camera.statement.length <= 684 ? fromB64url(camera.statement) : null;
  } catch {
    bytes = null;
  }
  if (!bytes) throw no('malformed', 'porterd\'s statement is not base64url of a statement');
  const set = await trustedOwnerKeys({ anchors, home, keys: ownerKeys, now });
  let st;
  try {
    st = await openCameraStatement(bytes, set);
  } catch (e) {
    if (e.code === 'untrusted-signer')
      throw no(e.code, `it was enrolled by owner key ${e.kid}, which is neither this browser's key, nor the owner key that endorsed it (as this browser first saw it), nor a key endorsed from those in the owner endorsements porterd serves`);
    throw no(e.code || 'malformed', `the owner's statement does not verify (${e.message})`);
  }
  if (!cameraStatementMatches(st, { home, camera: id, cameraKey: key }))
    throw no('altered', 'porterd\'s key (or home, or camera id) is not the one the owner signed for it (altered at porterd?)');
  const anchor = (anchors || []).findIndex((a) => isBytes(a, 32) && equalBytes(a, set[st.signer]));
  return { key, signerKid: st.kid, name: st.name, iat: st.iat, anchor, endorsed: anchor < 0 };
}
