// Whether the page believes porterd's key for a camera (docs/cam.md, "Who a
// viewer believes"; docs/web.md, "The camera's key"; porter.js
// vouchedCameraKey): before a clip is checked or live view asked for, the
// camera's owner-signed statement must verify with this browser's key, the
// owner key that endorsed it (pinned the first time the page saw that
// endorsement, for this home: trust on first use), or a key endorsed from
// those by the owner endorsements porterd serves (GET .../owner-keys), down
// only; and name this home, this camera and this key. Otherwise nothing is
// opened or played, and the page says why; there is no override in the page.

import * as api from './api.js';
import * as keystore from './keystore.js';
import { vouchedCameraKey, cameraAnchors, kid, TrustError, NOT_VOUCHED } from './porter.js';
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
 * pinnedKid (hex, or null), warning (or null)}: the anchors of this
 * browser's trust walk in homeId (porter.js cameraAnchors), the endorser
 * pinned here on first sight. browserKey null: no key in this browser. */
export async function endorserFor(account, homeId) {
  const browserKey = await browserKeyOf(account);
  if (!browserKey) return { browserKey: null, anchors: [], ownerKeys: [], pinnedKid: null, warning: null };
  // porterd may withhold statements (the camera is then not believed), not forge them.
  const ownerKeys = await api.get(`/v1/homes/${api.enc(homeId)}/owner-keys`).then((r) => (r && r.keys) || []).catch(() => []);
  let pinned = await keystore.endorserPin(account, homeId).catch(() => null);
  const a = await cameraAnchors({ home: homeId, browserKey, ownerKeys, pinned });
  if (a.pin) {
    // First sight: stored, unless another tab pinned meanwhile (that one wins).
    pinned = await keystore.pinEndorser(account, homeId, browserKey, a.pin).catch(() => null);
    if (!pinned) return { browserKey, anchors: [browserKey], ownerKeys, pinnedKid: null, warning: null };
    if (toHex(pinned) !== toHex(a.pin)) return endorserFor(account, homeId);
  }
  return { browserKey, anchors: a.anchors, ownerKeys, pinnedKid: pinned ? toHex(await kid(pinned)) : null, warning: a.warning };
}

/** cameraKeyFor(account, homeId, cam) -> {key, signerKid, name, iat,
 * anchor, endorsed} (porter.js vouchedCameraKey) and {pinnedKid, warning}
 * (endorserFor) for porterd's camera object cam (GET .../cameras); throws
 * a TrustError whose message says why not (and the warning, if any). */
export async function cameraKeyFor(account, homeId, cam) {
  const e = await endorserFor(account, homeId);
  if (!e.browserKey)
    throw new TrustError('no-key', `${NOT_VOUCHED} as far as this browser can tell: it has no owner key to check it with yet (make one on the Keys page)`);
  try {
    const v = await vouchedCameraKey({ home: homeId, camera: cam, anchors: e.anchors, ownerKeys: e.ownerKeys });
    return { ...v, pinnedKid: e.pinnedKid, warning: e.warning };
  } catch (err) {
    if (e.warning && err instanceof TrustError) err.message = `${err.message}. Also: ${e.warning}`;
    throw err;
  }
}
