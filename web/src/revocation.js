// Key revocations as a viewer reads them (docs/cam.md, "Who a viewer
// believes"; docs/web.md, "A camera's key"): the page's side of the rule
// porter's CLI follows too (tools/porter/camtrust.c).
//
//   R1. The home's revocations (GET .../revocations, every page) are read
//       with its owner keys. Only a key revocation (kind 2) counts, and
//       only one whose envelope verifies (PT_ENV_REVOCATION, AAD
//       porter/revocation/v1, this home, any age) by a key of the trusted
//       owner set computed first WITHOUT revocations (porter.js
//       trustedOwnerKeys from the anchors). Token revocations (kind 1) and
//       revocations by any other key are ignored.
//   R2. The walk is then redone without the revoked keys: a revoked key is
//       not trusted, its statements (endorsements, camera statements) are
//       not believed, and keys trusted only through it fall out. A revoked
//       anchor (this browser's key, the pinned endorser) believes nothing.
//   R3. A key revocation naming a camera's key refuses that camera.
//   R4. Revocations that cannot be read: no camera is believed.
//
// openRevocation reads the envelope exactly as lib/core/envelope.c
// pt_envelope_verify does for PT_ENV_REVOCATION (tested byte for byte
// against tests/vectors/porter-revocation-01.json).

import { getSodium } from './sodium.js';
import {
  AAD, ENVELOPE_SIZE_MAX, TrustError, isId, kid, parseSign1, sigStructure, trustedOwnerKeys,
} from './porter.js';
import { equalBytes, fromB64url, toHex } from './util.js';

export const REVOKE_TOKEN = 1;
export const REVOKE_KEY = 2;
const PORTER_CLAIM = -65537;
const TIME_MAX = 253402300799;
const SKEW_ANY = 0xffffffff; // no age limit, as the hub (UINT32_MAX)
const B64_MAX = Math.ceil((ENVELOPE_SIZE_MAX * 4) / 3); // 683 characters
const PAGES_MAX = 256; // porterd answers at most 1024 a page (the CLI reads as many)
const PAGE_ITEMS_MAX = 1024; // porterd's LIST_REVOCATIONS_MAX: a longer page is refused, as the CLI does
const ITEMS_MAX = PAGES_MAX * PAGE_ITEMS_MAX;

const isBytes = (v, n) => v instanceof Uint8Array && v.length === n;
const isUint = (v) => Number.isSafeInteger(v) && v >= 0;
const keysAre = (m, want) => m instanceof Map && m.size === want.length && want.every((k) => m.has(k));

/** openRevocation(bytes, signers, home, now?) -> {signer (index), kid (hex),
 * kind (1 token, 2 key), target (16 or 32 bytes), iat, nonce}: a
 * PT_ENV_REVOCATION verified as lib/core's pt_envelope_verify does, in its
 * order: at most 512 bytes ('too-large'); a tagged COSE_Sign1 of porter's
 * profile with nothing after it ('malformed'); the signer, one of signers
 * (32-byte keys) by key id then signature over AAD porter/revocation/v1
 * ('untrusted-signer', 'bad-signature'); claims exactly {3: home, 6: iat,
 * 7: nonce (16), -65537: {1: 1, 2: bstr(16)} or {1: 2, 2: bstr(32)}}
 * ('malformed'); audience home ('wrong-home-or-lock'); |now - iat| <=
 * 2^32 - 1 ('stale'; no age limit otherwise). Throws TrustError. */
export async function openRevocation(bytes, signers, home, now) {
  const t = now ?? Math.floor(Date.now() / 1000);
  if (!(bytes instanceof Uint8Array)) throw new TrustError('malformed', 'revocation: not bytes');
  if (bytes.length > ENVELOPE_SIZE_MAX) throw new TrustError('too-large', `revocation: over ${ENVELOPE_SIZE_MAX} bytes`);
  // The envelope's structure (parseSign1 decodes the claims too; C reads
  // them after the signature, but refuses the same bytes).
  let p;
  try {
    p = parseSign1(bytes);
  } catch (e) {
    throw new TrustError('malformed', `revocation: ${e.message}`);
  }
  const s = await getSodium();
  const tbs = sigStructure(p.protected, AAD.revocation, p.payload);
  let signer = -1;
  let matched = false;
  for (let i = 0; i < (signers || []).length && signer < 0; i++) {
    const pk = signers[i];
    if (!isBytes(pk, 32) || !equalBytes(await kid(pk), p.kid)) continue;
    matched = true;
    let ok = false;
    try {
      ok = s.crypto_sign_verify_detached(p.signature, tbs, pk);
    } catch {
      ok = false;
    }
    if (ok) signer = i;
  }
  if (signer < 0) {
    const e = matched ? new TrustError('bad-signature', 'revocation: the signature does not verify')
      : new TrustError('untrusted-signer', `revocation: signed by key ${toHex(p.kid)}, not one trusted`);
    e.kid = toHex(p.kid);
    throw e;
  }
  const c = p.claims;
  const pc = c instanceof Map ? c.get(PORTER_CLAIM) : null;
  if (!keysAre(c, [3, 6, 7, PORTER_CLAIM]) || !isId(c.get(3)) || !isUint(c.get(6)) || c.get(6) > TIME_MAX ||
    !isBytes(c.get(7), 16) || !keysAre(pc, [1, 2]))
    throw new TrustError('malformed', 'revocation: not {home, iat, nonce, {1: kind, 2: target}}');
  const kind = pc.get(1);
  const target = pc.get(2);
  if (!((kind === REVOKE_TOKEN && isBytes(target, 16)) || (kind === REVOKE_KEY && isBytes(target, 32))))
    throw new TrustError('malformed', 'revocation: neither a 16-byte token id (kind 1) nor a 32-byte key (kind 2)');
  if (c.get(3) !== home) throw new TrustError('wrong-home-or-lock', `revocation: for home ${c.get(3)}`);
  if (Math.abs(t - c.get(6)) > SKEW_ANY) throw new TrustError('stale', 'revocation: issued too far from now');
  return { signer, kid: toHex(p.kid), kind, target, iat: c.get(6), nonce: c.get(7) };
}

/** fetchRevocations(get, home) -> porterd's revocation items of home
 * (docs/api.md: GET .../revocations?since=N, oldest first, asked again
 * with since = the version answered until the list comes back empty).
 * get(path) -> the JSON answer (api.get). Throws when a page cannot be
 * read, is not {version, revocations: [...]}, its version does not grow,
 * or there are more than 256 pages (of at most 1024 items, as the CLI's
 * CAM_TRUST_REV_PAGES_MAX): the caller fails closed. */
export async function fetchRevocations(get, home) {
  const out = [];
  let since = 0;
  for (let page = 0; ; page++) {
    if (page >= PAGES_MAX) throw new Error(`porterd lists more than ${PAGES_MAX} pages of revocations`);
    const r = await get(`/v1/homes/${encodeURIComponent(home)}/revocations?since=${since}`);
    if (!r || typeof r !== 'object' || !Array.isArray(r.revocations) || !isUint(r.version))
      throw new Error('porterd\'s answer is not a list of revocations');
    if (r.revocations.length === 0) return out;
    if (r.revocations.length > PAGE_ITEMS_MAX) throw new Error(`porterd's page of revocations is too long (${r.revocations.length}, at most ${PAGE_ITEMS_MAX})`);
    if (r.version <= since) throw new Error('porterd\'s revocation version does not grow');
    if (out.length + r.revocations.length > ITEMS_MAX) throw new Error(`porterd lists more than ${ITEMS_MAX} revocations`);
    out.push(...r.revocations);
    since = r.version;
  }
}

/** keyRevocations({home, items, signers, now?}) -> Map hex(key) ->
 * {key, by (hex kid of the signer), version, iat}: the key revocations
 * among porterd's items ({version, revocation: base64url}) whose envelope
 * verifies (openRevocation) by one of signers; the first (oldest) kept
 * for each key. Everything else (token revocations, another signer,
 * another home, broken, over 512 bytes, not base64url) is ignored. */
export async function keyRevocations({ home, items, signers, now }) {
  const out = new Map();
  for (const x of Array.isArray(items) ? items : []) {
    let bytes = null;
    try {
      bytes = typeof x?.revocation === 'string' && x.revocation.length <= B64_MAX ? fromB64url(x.revocation) : null;
    } catch {
      bytes = null;
    }
    if (!bytes) continue;
    let r;
    try {
      r = await openRevocation(bytes, signers, home, now);
    } catch {
      continue;
    }
    if (r.kind !== REVOKE_KEY) continue;
    const hex = toHex(r.target);
    if (!out.has(hex)) out.set(hex, { key: r.target, by: r.kid, version: isUint(x.version) ? x.version : null, iat: r.iat });
  }
  return out;
}

/** revokedText(r) -> "by owner key <kid> (revocation version N, signed
 * <UTC time>)": who revoked and when, for the page's messages. */
export function revokedText(r) {
  const when = isUint(r.iat) ? new Date(r.iat * 1000).toISOString().replace('.000Z', 'Z') : '?';
  return `by owner key ${r.by} (revocation${r.version !== null ? ` version ${r.version}` : ''}, signed ${when})`;
}

/** withoutRevoked(ownerKeys, revoked) -> porterd's owner keys with the
 * statement of every revoked key's row dropped: that key can then join the
 * trusted set only as an anchor, so neither it nor what only it endorsed
 * is trusted (trustedOwnerKeys). Rows stay, so porterd's limit of 64 reads
 * the same rows. */
export function withoutRevoked(ownerKeys, revoked) {
  if (!Array.isArray(ownerKeys)) return [];
  return ownerKeys.map((k) => {
    let pk = null;
    try {
      pk = typeof k?.public_key === 'string' ? fromB64url(k.public_key) : null;
    } catch {
      pk = null;
    }
    return pk && pk.length === 32 && revoked.has(toHex(pk)) ? { ...k, statement: null } : k;
  });
}

/** revocationTrust({home, browserKey, pinned, anchors, ownerKeys, items,
 * now?}) -> {anchors, ownerKeys, revoked, refusal}: the camera trust with
 * revocations (R1..R4 above). anchors: porter.js cameraAnchors' (this
 * browser's key and, while porterd serves its endorsement, the pinned
 * endorser); pinned: the pin stored (or null); items: porterd's
 * revocations (fetchRevocations), or null when they could not be read.
 * Returns the anchors and owner keys to walk (vouchedCameraKey) with the
 * revoked keys left out, the revoked keys (keyRevocations), and refusal: a
 * TrustError when no camera is to be believed (revocations unreadable, an
 * anchor revoked), else null. */
export async function revocationTrust({ home, browserKey, pinned, anchors, ownerKeys, items, now }) {
  const none = (code, message) => ({ anchors: [], ownerKeys: [], revoked: new Map(), refusal: new TrustError(code, message) });
  if (!Array.isArray(items))
    return none('revocations-unavailable', 'the page could not read this home\'s revocations, so it believes no camera of this home until it can (try again)');
  const trusted = await trustedOwnerKeys({ anchors, home, keys: ownerKeys, now });
  const revoked = await keyRevocations({ home, items, signers: trusted, now });
  const out = { anchors: [], ownerKeys: withoutRevoked(ownerKeys, revoked), revoked, refusal: null };
  const pin = isBytes(pinned, 32) ? pinned : null;
  const say = [];
  if (isBytes(browserKey, 32) && revoked.has(toHex(browserKey)))
    say.push(`this browser's owner key ${toHex(await kid(browserKey))} was revoked ${revokedText(revoked.get(toHex(browserKey)))}`);
  for (const a of [pin, ...(anchors || [])]) {
    if (!isBytes(a, 32) || (isBytes(browserKey, 32) && equalBytes(a, browserKey)) || !revoked.has(toHex(a))) continue;
    say.push(`the owner key that endorsed this browser's key, ${toHex(await kid(a))}, was revoked ${revokedText(revoked.get(toHex(a)))}`);
    break;
  }
  if (say.length) {
    out.refusal = new TrustError('revoked', `${say.join('; ')}: the page believes no camera of this home`);
    return out;
  }
  out.anchors = (anchors || []).filter((a) => isBytes(a, 32));
  return out;
}

/** cameraRevocation(revoked, cameraKey) -> the revocation of this camera
 * key ({key, by, version, iat}), or null. */
export function cameraRevocation(revoked, cameraKey) {
  return revoked instanceof Map && isBytes(cameraKey, 32) ? revoked.get(toHex(cameraKey)) || null : null;
}
