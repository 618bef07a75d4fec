// Whether the page believes porterd's key for a camera (docs/cam.md, "Who a
// viewer believes"; docs/web.md, "The camera's key"; porter.js
// vouchedCameraKey): before a clip is checked or live view asked for, the
// camera's owner-signed statement must verify with this browser's key, the
// owner key that endorsed it (pinned the first time the page saw that
// endorsement, for this home: trust on first use), or a key endorsed from
// those by the owner endorsements porterd serves (GET .../owner-keys), down
// only; and name this home, this camera and this key. Otherwise nothing is
// opened or played, and the page says why; there is no override in the page.
// The home's key revocations are read with the owner keys (revocation.js,
// R1..R4): a key revoked by a key this walk trusts is left out of it, a
// camera whose key is revoked is refused, a revoked anchor (this browser's
// key, the pinned endorser) believes no camera, and revocations that
// cannot be read believe none either.

import * as api from './api.js';
import * as keystore from './keystore.js';
import { vouchedCameraKey, cameraAnchors, kid, parseSign1, TrustError, NOT_VOUCHED } from './porter.js';
import { fetchRevocations, revocationTrust, cameraRevocation, revokedText } from './revocation.js';
import { fromB64url, toHex } from './util.js';

async function browserKeyOf(account) {
  const rec = await keystore.load(account).catch(() => null);
  try {
    const pk = rec && typeof rec.public_key === 'string' ? fromB64url(rec.public_key) : null;
    return pk && pk.length === 32 ? pk : null;
  } catch {
    return null;
  }
}

/** endorserFor(account, homeId) -> {browserKey, anchors, ownerKeys,
 * pinnedKid (hex, or null), warning (or null), revoked, refusal}: the
 * anchors of this browser's trust walk in homeId (porter.js
 * cameraAnchors), the endorser pinned here on first sight, with the
 * home's key revocations applied (revocation.js revocationTrust): anchors
 * and ownerKeys are what to walk, revoked keys left out; revoked: the
 * counted key revocations (hex key -> {by, version, iat}); refusal: a
 * TrustError when no camera is to be believed (an anchor revoked, the
 * revocations unreadable), else null. browserKey null: no key in this
 * browser. */
export async function endorserFor(account, homeId) {
  const browserKey = await browserKeyOf(account);
  if (!browserKey) return { browserKey: null, anchors: [], ownerKeys: [], pinnedKid: null, warning: null, revoked: new Map(), refusal: null };
  // porterd may withhold statements (the camera is then not believed), not
  // forge them; revocations it cannot give: no camera is believed (null).
  const [ownerKeys, items] = await Promise.all([
    api.get(`/v1/homes/${api.enc(homeId)}/owner-keys`).then((r) => (r && r.keys) || []).catch(() => []),
    fetchRevocations(api.get, homeId).catch(() => null),
  ]);
  let pinned = await keystore.endorserPin(account, homeId).catch(() => null);
  let a = await cameraAnchors({ home: homeId, browserKey, ownerKeys, pinned });
  if (a.pin) {
    // First sight: stored, unless another tab pinned meanwhile (that one wins).
    pinned = await keystore.pinEndorser(account, homeId, browserKey, a.pin).catch(() => null);
    if (!pinned) a = { anchors: [browserKey], warning: null };
    else if (toHex(pinned) !== toHex(a.pin)) return endorserFor(account, homeId);
  }
  const t = await revocationTrust({ home: homeId, browserKey, pinned, anchors: a.anchors, ownerKeys, items });
  return { browserKey, anchors: t.anchors, ownerKeys: t.ownerKeys, pinnedKid: pinned ? toHex(await kid(pinned)) : null,
    warning: a.warning, revoked: t.revoked, refusal: t.refusal };
}

// The key id of the signer of porterd's camera statement, or null.
function statementKid(cam) {
  try {
    return toHex(parseSign1(fromB64url(cam.statement)).kid);
  } catch {
    return null;
  }
}

/** cameraKeyFor(account, homeId, cam) -> {key, signerKid, name, iat,
 * anchor, endorsed} (porter.js vouchedCameraKey) and {pinnedKid, warning}
 * (endorserFor) for porterd's camera object cam (GET .../cameras); throws
 * a TrustError whose message says why not (and the warning, if any):
 * code 'revoked' (an anchor revoked) or 'revocations-unavailable' (no
 * camera believed), 'camera-revoked' (this camera's key revoked, its
 * message beginning "camera key revoked"), or vouchedCameraKey's. */
export async function cameraKeyFor(account, homeId, cam) {
  return believedCamera(await endorserFor(account, homeId), homeId, cam);
}

/** believedCamera(e, homeId, cam, now?) -> cameraKeyFor's answer, from e, what
 * endorserFor found (the browser's key, the anchors and owner keys to walk,
 * the revoked keys, the refusal); the same throws. */
export async function believedCamera(e, homeId, cam, now) {
  if (!e.browserKey)
    throw new TrustError('no-key', `${NOT_VOUCHED} as far as this browser can tell: it has no owner key to check it with yet (make one on the Keys page)`);
  const camId = cam && typeof cam.id === 'string' ? cam.id : '';
  if (e.refusal) throw new TrustError(e.refusal.code, `${NOT_VOUCHED}${camId ? ` (camera ${camId})` : ''}: ${e.refusal.message}`);
  let camPk = null;
  try {
    camPk = typeof cam?.public_key === 'string' ? fromB64url(cam.public_key) : null;
  } catch {
    camPk = null;
  }
  const r = cameraRevocation(e.revoked, camPk);
  if (r) {
    throw new TrustError('camera-revoked', `camera key revoked: the key ${toHex(await kid(camPk))} of camera ${camId} was revoked ${revokedText(r)}; ` +
      'the page opens none of its clips, old ones included, and starts no live view with it');
  }
  try {
    const v = await vouchedCameraKey({ home: homeId, camera: cam, anchors: e.anchors, ownerKeys: e.ownerKeys, now });
    return { ...v, pinnedKid: e.pinnedKid, warning: e.warning };
  } catch (err) {
    if (err instanceof TrustError && err.code === 'untrusted-signer') {
      // Signed by a key revoked since: say so.
      const signer = statementKid(cam);
      for (const x of (e.revoked instanceof Map ? e.revoked : new Map()).values()) {
        if (signer && toHex(await kid(x.key)) === signer) {
          err.message = `${err.message}. Owner key ${signer} was revoked ${revokedText(x)}`;
          break;
        }
      }
    }
    if (e.warning && err instanceof TrustError) err.message = `${err.message}. Also: ${e.warning}`;
    throw err;
  }
}
