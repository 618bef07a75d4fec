// Who the web app believes about a camera's key (docs/cam.md, "Who a
// viewer believes"): the camera statement (lib/core/camera_stmt.c) read
// in porter.js byte for byte against tests/vectors/porter-camera-01.json
// (made outside porter), the owner statement against porter-owner-01.json,
// and the trust walk: down only, from the browser's key and the owner key
// that endorsed it, pinned on first sight (cameraAnchors); a forged
// statement, one for another home and one naming another key ignored; a
// key that merely signed a statement naming ours (porterd's "endorser")
// never trusted for it.
// PORTER_WEB_DIR: the built app (scripts/web.sh OUTDIR); default build/web.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { webcrypto } from 'node:crypto';

if (!globalThis.crypto) globalThis.crypto = webcrypto;
const here = dirname(fileURLToPath(import.meta.url));
const src = resolve(here, '..', '..');
const webDir = resolve(process.env.PORTER_WEB_DIR || join(src, 'build', 'web'));
const load = (m) => import(pathToFileURL(join(webDir, m)).href);
const { toHex, fromHex, toB64url } = await load('util.js');
const cbor = await load('cbor.js');
const porter = await load('porter.js');
const vec = (name) => JSON.parse(readFileSync(join(src, 'tests', 'vectors', name), 'utf8'));

const HOME = 'home-7f3a';
const NOW = 1796119260;
const seed = (n) => Uint8Array.from({ length: 32 }, (_, i) => (n * 31 + i * 7) & 255);
const key = async (n) => {
  const kp = await porter.keypairFromSeed(seed(n));
  return { sk: kp.privateKey, pk: kp.publicKey };
};
// A camera statement as lib/core/camera_stmt.c signs one (payload map in
// order, AAD porter/camera/v1); fields override what is signed.
const camPayload = (f) => cbor.encode(new Map(Object.entries({ 1: 1, 2: HOME, 3: 'cam-front', 4: f.key, 5: 'Front door', 6: 1796119200, ...f.fields })
  .map(([k, v]) => [Number(k), v])));
const camStmt = (signer, f) => porter.sign1(signer.sk, signer.pk, porter.AAD.camera, camPayload(f));
const endorse = (signer, target, home = HOME) => porter.ownerStatement({ sk: signer.sk, pk: signer.pk, home, newKey: target.pk,
  iat: NOW - 86400 * 30, nonce: new Uint8Array(16).fill(7) });
const rejects = (p, code) => assert.rejects(p, (e) => e instanceof porter.TrustError && (code === undefined || e.code === code));

test('porter-camera-01.json: the statement verifies, reads, and is made byte for byte', async () => {
  const v = vec('porter-camera-01.json');
  const o = vec('porter-owner-01.json').keys.owner;
  assert.equal(o.public_key, v.owner_public_key);
  const kp = await porter.keypairFromSeed(fromHex(o.seed));
  const bytes = fromHex(v.cose_sign1);
  assert.equal(bytes.length, v.cose_sign1_len);
  assert.equal(porter.AAD.camera, v.external_aad);
  const st = await porter.openCameraStatement(bytes, [fromHex(v.camera_public_key), kp.publicKey]);
  assert.equal(st.signer, 1);
  assert.equal(st.kid, v.owner_kid);
  assert.equal(st.home, HOME);
  assert.equal(st.camera, 'cam-front');
  assert.equal(toHex(st.cameraKey), v.camera_public_key);
  assert.equal(st.name, 'Front door');
  assert.equal(st.iat, 1796119200);
  assert.ok(porter.cameraStatementMatches(st, { home: HOME, camera: 'cam-front', cameraKey: fromHex(v.camera_public_key) }));
  assert.ok(!porter.cameraStatementMatches(st, { home: 'home-other', camera: 'cam-front', cameraKey: fromHex(v.camera_public_key) }));
  assert.ok(!porter.cameraStatementMatches(st, { home: HOME, camera: 'cam-back', cameraKey: fromHex(v.camera_public_key) }));
  assert.ok(!porter.cameraStatementMatches(st, { home: HOME, camera: 'cam-front', cameraKey: kp.publicKey }));
  // The same bytes from the page's encoder and signer.
  const payload = camPayload({ key: fromHex(v.camera_public_key) });
  assert.equal(toHex(payload), v.payload);
  assert.equal(toHex(porter.sigStructure(fromHex(v.protected), porter.AAD.camera, payload)), v.sig_structure);
  assert.equal(toHex(await porter.sign1(kp.privateKey, kp.publicKey, porter.AAD.camera, payload)), v.cose_sign1);
});

test('camera statement: every bit flipped and every truncation refused; signers that do not sign it', async () => {
  const v = vec('porter-camera-01.json');
  const owner = fromHex(v.owner_public_key);
  const bytes = fromHex(v.cose_sign1);
  for (let i = 0; i < bytes.length; i++) {
    for (const bit of [0x01, 0x80]) {
      const b = bytes.slice();
      b[i] ^= bit;
      await rejects(porter.openCameraStatement(b, [owner]));
    }
  }
  for (let n = 0; n < bytes.length; n++) await rejects(porter.openCameraStatement(bytes.subarray(0, n), [owner]));
  await rejects(porter.openCameraStatement(bytes, []), 'untrusted-signer');
  await rejects(porter.openCameraStatement(bytes, [fromHex(v.camera_public_key)]), 'untrusted-signer');
  await rejects(porter.openCameraStatement(new Uint8Array(513), [owner]), 'too-large');
  // An owner statement by the same key is no camera statement, nor the reverse.
  const ov = vec('porter-owner-01.json');
  await rejects(porter.openCameraStatement(fromHex(ov.cose_sign1), [owner]), 'bad-signature');
  await rejects(porter.openOwnerStatement(bytes, [owner], HOME, NOW), 'bad-signature');
});

test('camera statement: correctly signed payloads that break a rule are refused', async () => {
  const a = await key(1);
  const k = (await key(2)).pk;
  const ok = await porter.openCameraStatement(await camStmt(a, { key: k }), [a.pk]);
  assert.equal(ok.name, 'Front door');
  assert.equal((await porter.openCameraStatement(await camStmt(a, { key: k, fields: { 5: '' } }), [a.pk])).name, '');
  assert.equal((await porter.openCameraStatement(await camStmt(a, { key: k, fields: { 5: 'n'.repeat(100) } }), [a.pk])).name.length, 100);
  const bad = [
    { 1: 2 }, { 2: 'not an id!' }, { 2: '.dot' }, { 3: '' }, { 4: k.subarray(0, 31) }, { 5: 'n'.repeat(101) },
    { 5: 'Front\ndoor' }, { 5: 'Front\u0085door' }, { 6: 253402300800 }, { 7: 1 }, { 2: 7 },
  ];
  for (const fields of bad) await rejects(porter.openCameraStatement(await camStmt(a, { key: k, fields }), [a.pk]), 'malformed');
  // A key missing.
  const five = cbor.encode(new Map([[1, 1], [2, HOME], [3, 'cam-front'], [4, k], [5, 'x']]));
  await rejects(porter.openCameraStatement(await porter.sign1(a.sk, a.pk, porter.AAD.camera, five), [a.pk]), 'malformed');
});

test('porter-owner-01.json: the owner statement reads; another home or AAD is refused', async () => {
  const v = vec('porter-owner-01.json');
  const owner = fromHex(v.keys.owner.public_key);
  const o = await porter.openOwnerStatement(fromHex(v.cose_sign1), [fromHex(v.keys.carrier.public_key), owner], HOME, NOW);
  assert.equal(o.signer, 1);
  assert.equal(toHex(o.target), v.keys.carrier.public_key);
  // No age limit (an endorsement is old), but the home must be this one.
  await porter.openOwnerStatement(fromHex(v.cose_sign1), [owner], HOME, NOW + 86400 * 3650);
  await rejects(porter.openOwnerStatement(fromHex(v.cose_sign1), [owner], 'home-other', NOW), 'wrong-home-or-lock');
  await rejects(porter.openOwnerStatement(fromHex(v.cose_sign1), [fromHex(v.keys.carrier.public_key)], HOME, NOW), 'untrusted-signer');
  // A command by the same key is no owner statement.
  const kp = await porter.keypairFromSeed(fromHex(v.keys.owner.seed));
  const cmd = await porter.commandEnvelope({ sk: kp.privateKey, pk: kp.publicKey, home: HOME, op: 'unlock', iat: NOW, nonce: new Uint8Array(16) });
  await rejects(porter.openOwnerStatement(cmd.bytes, [owner], HOME, NOW), 'bad-signature');
});

// The home: A (the first key, no statement) endorsed B and D, B endorsed
// C. E's statement is A's, its signature broken; G's is A's for another
// home; H's is the statement that names B. X stands alone.
async function home() {
  const [A, B, C, D, E, G, H, X, F] = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8, 9].map(key));
  const broken = (await endorse(A, E)).slice();
  broken[broken.length - 3] ^= 0x10;
  const row = (k, stmt) => ({ public_key: toB64url(k.pk), key_id: 'x', statement: stmt ? toB64url(stmt) : null });
  const bStmt = await endorse(A, B);
  const keys = [row(A, null), row(B, bStmt), row(C, await endorse(B, C)), row(D, await endorse(A, D)),
    row(E, broken), row(G, await endorse(A, G, 'home-other')), row(H, bStmt), row(X, null)];
  return { A, B, C, D, E, G, H, X, F, keys };
}
const ids = (set, ks) => Object.entries(ks).filter(([, k]) => set.some((s) => toHex(s) === toHex(k.pk))).map(([n]) => n).sort().join('');

test('the trust walk: down only from the anchors, to a fixed point; what proves nothing is ignored', async () => {
  const h = await home();
  const named = { A: h.A, B: h.B, C: h.C, D: h.D, E: h.E, G: h.G, H: h.H, X: h.X, F: h.F };
  const walk = async (anchors, keys = h.keys) => ids(await porter.trustedOwnerKeys({ anchors: anchors.map((k) => k.pk), home: HOME, keys, now: NOW }), named);
  // From B: B endorsed C (down); A, which endorsed B, is not reached (no walk up).
  assert.equal(await walk([h.B]), 'BC');
  assert.equal(await walk([h.C]), 'C');
  // From A: down to B and D, then from B to C.
  assert.equal(await walk([h.A]), 'ABCD');
  // From B and its (pinned) endorser A: the whole home.
  assert.equal(await walk([h.B, h.A]), 'ABCD');
  // The anchors come first, as given.
  const set = await porter.trustedOwnerKeys({ anchors: [h.D.pk], home: HOME, keys: h.keys, now: NOW });
  assert.equal(toHex(set[0]), toHex(h.D.pk));
  // A key no statement links: itself only. No anchor: nothing.
  assert.equal(await walk([h.X]), 'X');
  assert.equal(await walk([]), '');
  // B's endorsement withheld: from A, only D (B, and C through it, are gone).
  const withheld = h.keys.map((k) => (k.public_key === toB64url(h.B.pk) ? { ...k, statement: null } : k));
  assert.equal(await walk([h.B], withheld), 'BC');
  assert.equal(await walk([h.A], withheld), 'AD');
  // porterd lists a key F of its own and serves "F endorses B": F is not
  // trusted from B for it (walking up, it would be).
  const forged = [...h.keys, { public_key: toB64url(h.B.pk), statement: toB64url(await endorse(h.F, h.B)) },
    { public_key: toB64url(h.F.pk), statement: null }];
  assert.equal(await walk([h.B], forged), 'BC');
  assert.equal(await walk([h.B, h.A], forged), 'ABCD');
  // Another home's walk: none of these statements is for it.
  assert.equal(ids(await porter.trustedOwnerKeys({ anchors: [h.B.pk], home: 'home-other', keys: h.keys, now: NOW }), named), 'B');
  // porterd's junk: not arrays, keys that are not keys, statements that are not base64url.
  assert.equal(await walk([h.B], null), 'B');
  assert.equal(await walk([h.B], [{ public_key: 'not a key', statement: 5 }, { statement: toB64url(new Uint8Array(600)) }]), 'B');
});

const kidOf = async (k) => toHex(await porter.kid(k.pk));

test('cameraAnchors: the endorser pinned on first sight, only the pin used after', async () => {
  const h = await home();
  const anchorsOf = (browser, keys, pinned) => porter.cameraAnchors({ home: HOME, browserKey: browser.pk, ownerKeys: keys, pinned: pinned ? pinned.pk : null, now: NOW });
  const hexes = (ks) => ks.map(toHex).join(' ');
  // First sight: exactly one verified endorsement of B (by A): A is the pin.
  let a = await anchorsOf(h.B, h.keys, null);
  assert.equal(hexes(a.anchors), hexes([h.B.pk, h.A.pk]));
  assert.equal(toHex(a.pin), toHex(h.A.pk));
  assert.equal(toHex(a.endorser), toHex(h.A.pk));
  assert.equal(a.warning, null);
  // A key no one endorsed (A, X), or not listed: nothing to pin; itself only.
  for (const k of [h.A, h.X, h.F]) {
    a = await anchorsOf(k, h.keys, null);
    assert.equal(hexes(a.anchors), hexes([k.pk]));
    assert.equal(a.pin, null);
  }
  // Broken (E), another home's (G): nothing to pin.
  for (const k of [h.E, h.G]) assert.equal((await anchorsOf(k, h.keys, null)).pin, null);
  // A statement in B's row that names B, signed by B itself: proves nothing.
  const self = [{ public_key: toB64url(h.B.pk), statement: toB64url(await endorse(h.B, h.B)) }];
  assert.equal((await anchorsOf(h.B, self, null)).pin, null);
  // Pinned: the pin is used, nothing is stored again.
  a = await anchorsOf(h.B, h.keys, h.A);
  assert.equal(hexes(a.anchors), hexes([h.B.pk, h.A.pk]));
  assert.equal(a.pin, null);
  assert.equal(a.warning, null);
  // Later, porterd adds a key F of its own and "F endorses B": F is ignored, with a warning naming the pin.
  const Fkeys = [...h.keys, { public_key: toB64url(h.B.pk), statement: toB64url(await endorse(h.F, h.B)) },
    { public_key: toB64url(h.F.pk), statement: null }];
  a = await anchorsOf(h.B, Fkeys, h.A);
  assert.equal(hexes(a.anchors), hexes([h.B.pk, h.A.pk]));
  assert.equal(a.pin, null);
  assert.ok(a.warning.startsWith(`porterd now names another key as the one that endorsed this browser's key; the page keeps ${await kidOf(h.A)}`), a.warning);
  assert.ok(a.warning.includes(await kidOf(h.F)));
  // Or serves F's statement only, A's withheld: F ignored, A not an anchor (fail closed), the warning.
  const onlyF = Fkeys.map((k) => (k.public_key === toB64url(h.B.pk) && k.statement === h.keys[1].statement ? { ...k, statement: null } : k));
  assert.equal(onlyF.filter((k) => k.public_key === toB64url(h.B.pk) && k.statement).length, 1);
  a = await anchorsOf(h.B, onlyF, h.A);
  assert.equal(hexes(a.anchors), hexes([h.B.pk]));
  assert.ok(a.warning && a.warning.includes(await kidOf(h.A)));
  // Pinned, every statement withheld: the browser's key only, no warning.
  const none = h.keys.map((k) => ({ ...k, statement: null }));
  a = await anchorsOf(h.B, none, h.A);
  assert.equal(hexes(a.anchors), hexes([h.B.pk]));
  assert.equal(a.warning, null);
  // First sight with two endorsers: none pinned, the browser's key only, a warning.
  a = await anchorsOf(h.B, Fkeys, null);
  assert.equal(hexes(a.anchors), hexes([h.B.pk]));
  assert.equal(a.pin, null);
  assert.match(a.warning, /more than one key/);
  // The limit: at the very first sight porterd's word is taken (F alone
  // would be pinned); the user compares the key id shown with porter key list.
  assert.equal(toHex((await anchorsOf(h.B, onlyF, null)).pin), toHex(h.F.pk));
  // A pin that is not a key: as if none.
  assert.equal(toHex((await porter.cameraAnchors({ home: HOME, browserKey: h.B.pk, ownerKeys: h.keys, pinned: new Uint8Array(5), now: NOW })).pin), toHex(h.A.pk));
});

test('vouchedCameraKey: believed down from the browser key and its pinned endorser, refused with words otherwise', async () => {
  const h = await home();
  const camKey = (await key(20)).pk;
  const cam = async (signer, k = camKey, fields) => ({ id: 'cam-front', public_key: toB64url(k), key_id: 'x',
    statement: toB64url(await camStmt(signer, { key: k, fields })) });
  const vouch = (anchors, camera, keys = h.keys) => porter.vouchedCameraKey({ home: HOME, camera, anchors: anchors.map((k) => k.pk), ownerKeys: keys, now: NOW });
  const notVouched = (p, code) => assert.rejects(p, (e) => e instanceof porter.TrustError && e.code === code &&
    e.message.startsWith(porter.NOT_VOUCHED));
  // A's camera, seen from A (an anchor).
  let r = await vouch([h.A], await cam(h.A));
  assert.equal(toHex(r.key), toHex(camKey));
  assert.equal(r.endorsed, false);
  assert.equal(r.anchor, 0);
  assert.equal(r.signerKid, toHex(await porter.kid(h.A.pk)));
  // From B alone, A's camera is not believed (A endorsed B: no walk up).
  await notVouched(vouch([h.B], await cam(h.A)), 'untrusted-signer');
  // From B and its pinned endorser A: A's camera (anchor 1), B's (anchor 0),
  // D's (A endorsed D: down), C's (B endorsed C: down).
  r = await vouch([h.B, h.A], await cam(h.A));
  assert.equal(r.anchor, 1);
  assert.equal(r.endorsed, false);
  assert.equal((await vouch([h.B, h.A], await cam(h.B))).anchor, 0);
  for (const k of [h.C, h.D]) {
    r = await vouch([h.B, h.A], await cam(k));
    assert.equal(r.anchor, -1);
    assert.equal(r.endorsed, true);
  }
  // C's camera from A: down twice.
  assert.equal((await vouch([h.A], await cam(h.C))).endorsed, true);
  // The forged endorser: porterd lists F, serves "F endorses B" and a camera F enrolled.
  const Fkeys = [...h.keys, { public_key: toB64url(h.B.pk), statement: toB64url(await endorse(h.F, h.B)) },
    { public_key: toB64url(h.F.pk), statement: null }];
  const pinnedA = await porter.cameraAnchors({ home: HOME, browserKey: h.B.pk, ownerKeys: Fkeys, pinned: h.A.pk, now: NOW });
  await notVouched(porter.vouchedCameraKey({ home: HOME, camera: await cam(h.F), anchors: pinnedA.anchors, ownerKeys: Fkeys, now: NOW }), 'untrusted-signer');
  await notVouched(vouch([h.B], await cam(h.F), Fkeys), 'untrusted-signer');
  // Withheld: D's endorsement gone, D's camera is not believed; B's gone, C's camera not from A.
  const withheldD = h.keys.map((k) => (k.public_key === toB64url(h.D.pk) ? { ...k, statement: null } : k));
  await notVouched(vouch([h.B, h.A], await cam(h.D), withheldD), 'untrusted-signer');
  const withheldB = h.keys.map((k) => (k.public_key === toB64url(h.B.pk) ? { ...k, statement: null } : k));
  await notVouched(vouch([h.A], await cam(h.C), withheldB), 'untrusted-signer');
  // B's own endorsement withheld, pinned A: A is no anchor then, A's camera not believed.
  const anchorsB = await porter.cameraAnchors({ home: HOME, browserKey: h.B.pk, ownerKeys: withheldB, pinned: h.A.pk, now: NOW });
  await notVouched(porter.vouchedCameraKey({ home: HOME, camera: await cam(h.A), anchors: anchorsB.anchors, ownerKeys: withheldB, now: NOW }), 'untrusted-signer');
  // E's (broken endorsement), G's (another home's), H's (names B), X's, F's (not of the home): not believed from A.
  for (const k of [h.E, h.G, h.H, h.X, h.F]) await notVouched(vouch([h.A], await cam(k)), 'untrusted-signer');
  // porterd's key swapped, or its statement for another camera or home.
  const swapped = { ...(await cam(h.A)), public_key: toB64url((await key(21)).pk) };
  await notVouched(vouch([h.A], swapped), 'altered');
  await notVouched(vouch([h.A], { ...(await cam(h.A)), id: 'cam-back' }), 'altered');
  await notVouched(vouch([h.A], await cam(h.A, camKey, { 2: 'home-other' })), 'altered');
  // Unsigned (enrolled before), a statement that is not one, a broken signature.
  await notVouched(vouch([h.A], { ...(await cam(h.A)), statement: null }), 'unsigned');
  await notVouched(vouch([h.A], { ...(await cam(h.A)), statement: '!!' }), 'malformed');
  const c = await cam(h.A);
  const b = (await camStmt(h.A, { key: camKey }));
  b[b.length - 1] ^= 1;
  await notVouched(vouch([h.A], { ...c, statement: toB64url(b) }), 'bad-signature');
  await notVouched(vouch([h.A], { ...c, public_key: 'short' }), 'malformed');
});

// ---- with the home's key revocations (web/src/revocation.js, R1..R4;
// camtrust.js believedCamera, what cameraKeyFor answers from what
// endorserFor found) ----
const rev = await load('revocation.js');
const camtrust = await load('camtrust.js');

test('revocations: who a revoked key takes with it, who may revoke, what is ignored, what refuses everything', async () => {
  const h = await home();
  // Below D (endorsed by A): K, endorsed by D only; L, endorsed by D and by A.
  const [K, L, Y] = await Promise.all([10, 11, 12].map(key));
  const row = (k, stmt) => ({ public_key: toB64url(k.pk), key_id: 'x', statement: stmt ? toB64url(stmt) : null });
  const keys = [...h.keys, row(K, await endorse(h.D, K)), row(L, await endorse(h.D, L)), row(L, await endorse(h.A, L))];
  const camKey = (await key(20)).pk;
  const cam = async (signer, k = camKey) => ({ id: 'cam-front', public_key: toB64url(k), key_id: 'x',
    statement: toB64url(await camStmt(signer, { key: k })) });
  let version = 0;
  const revoke = async (signer, target, home = HOME) => ({ version: ++version, kind: 'key',
    revocation: toB64url(await porter.revocationEnvelope({ sk: signer.sk, pk: signer.pk, home, key: target.pk || target,
      iat: NOW - 3600, nonce: new Uint8Array(16).fill(version) })) });
  // What endorserFor finds for browser key B, pinned A, and porterd's items.
  const found = async (items, { browser = h.B, pinned = h.A, owners = keys } = {}) => {
    const a = await porter.cameraAnchors({ home: HOME, browserKey: browser.pk, ownerKeys: owners, pinned: pinned ? pinned.pk : null, now: NOW });
    const t = await rev.revocationTrust({ home: HOME, browserKey: browser.pk, pinned: pinned ? pinned.pk : null, anchors: a.anchors,
      ownerKeys: owners, items, now: NOW });
    return { browserKey: browser.pk, anchors: t.anchors, ownerKeys: t.ownerKeys, pinnedKid: null, warning: a.warning,
      revoked: t.revoked, refusal: t.refusal };
  };
  const believed = async (e, signer, k) => camtrust.believedCamera(e, HOME, await cam(signer, k), NOW);
  const refused = (p, code, re) => assert.rejects(p, (err) => err instanceof porter.TrustError && err.code === code &&
    (re === undefined || re.test(err.message)), `expected ${code} ${re || ''}`);
  const named = { A: h.A, B: h.B, C: h.C, D: h.D, K, L, Y };
  const walkOf = async (e) => ids(await porter.trustedOwnerKeys({ anchors: e.anchors, home: HOME, keys: e.ownerKeys, now: NOW }), named);

  // No revocation: the cameras of A, B, C, D, K, L are believed.
  let e = await found([]);
  assert.equal(e.refusal, null);
  assert.equal(await walkOf(e), 'ABCDKL');
  for (const s of [h.A, h.B, h.C, h.D, K, L]) assert.equal(toHex((await believed(e, s)).key), toHex(camKey));

  // A revokes D: D's cameras are not believed, nor K's (only D endorsed
  // K); L stays (A endorsed it too); A, B, C too.
  const aRevokesD = await revoke(h.A, h.D);
  e = await found([aRevokesD]);
  assert.equal(e.refusal, null);
  assert.deepEqual([...e.revoked.keys()], [toHex(h.D.pk)]);
  assert.equal(await walkOf(e), 'ABCL');
  const dKid = await kidOf(h.D);
  await refused(believed(e, h.D), 'untrusted-signer', new RegExp(`^${porter.NOT_VOUCHED}.*Owner key ${dKid} was revoked by owner key ${await kidOf(h.A)} \\(revocation version ${aRevokesD.version}, signed `));
  await refused(believed(e, K), 'untrusted-signer');
  for (const s of [h.A, h.B, h.C, L]) assert.equal(toHex((await believed(e, s)).key), toHex(camKey));
  // The same revocation by C (trusted through B, endorsed by A): the same.
  e = await found([await revoke(h.C, h.D)]);
  assert.equal(await walkOf(e), 'ABCL');

  // Revocations that do not count: by keys not trusted (X, alone; F, of
  // porterd's making, serving "F endorses B"; Y, a stranger not listed;
  // E, whose endorsement is broken), for another home, token revocations,
  // junk.
  const Fkeys = [...keys, { public_key: toB64url(h.B.pk), statement: toB64url(await endorse(h.F, h.B)) },
    { public_key: toB64url(h.F.pk), statement: null }];
  const ignored = [await revoke(h.X, h.A), await revoke(h.X, camKey), await revoke(h.F, h.D), await revoke(h.F, camKey),
    await revoke(Y, h.B), await revoke(h.E, h.C), await revoke(h.A, h.D, 'home-other'),
    { version: ++version, revocation: toB64url(await porter.revocationEnvelope({ sk: h.A.sk, pk: h.A.pk, home: HOME,
      tokenId: new Uint8Array(16).fill(3), iat: NOW, nonce: new Uint8Array(16) })) },
    { version: ++version, revocation: 'not base64url!' }, { version: ++version }];
  e = await found(ignored, { owners: Fkeys });
  assert.equal(e.refusal, null);
  assert.equal(e.revoked.size, 0);
  assert.equal(await walkOf(e), 'ABCDKL');
  for (const s of [h.A, h.D, K]) assert.equal(toHex((await believed(e, s)).key), toHex(camKey));

  // The camera's key revoked (by A): refused, saying so, who and when;
  // from B alone (no pin), a camera key revoked by B the same.
  const aRevokesCam = await revoke(h.A, camKey);
  e = await found([aRevokesCam]);
  const when = new Date((NOW - 3600) * 1000).toISOString().replace('.000Z', 'Z');
  for (const s of [h.A, h.B, K]) {
    await refused(believed(e, s), 'camera-revoked', new RegExp(`^camera key revoked: the key ${toHex(await porter.kid(camKey))} of camera cam-front ` +
      `was revoked by owner key ${await kidOf(h.A)} \\(revocation version ${aRevokesCam.version}, signed ${when}\\)`));
  }
  // Another camera key of the same home is still believed.
  assert.ok(await believed(e, h.A, (await key(21)).pk));
  e = await found([await revoke(h.B, camKey)], { pinned: null, owners: h.keys.map((k) => ({ ...k, statement: null })) });
  await refused(believed(e, h.B), 'camera-revoked', /^camera key revoked/);

  // An anchor revoked: the pinned endorser A (by B), the browser key B (by
  // A; by itself): no camera at all, B's own included, saying who and which version.
  const bRevokesA = await revoke(h.B, h.A);
  e = await found([bRevokesA]);
  assert.equal(e.refusal.code, 'revoked');
  assert.deepEqual(e.anchors, []);
  assert.match(e.refusal.message, new RegExp(`^the owner key that endorsed this browser's key, ${await kidOf(h.A)}, was revoked by owner key ${await kidOf(h.B)} \\(revocation version ${bRevokesA.version}, `));
  for (const s of [h.A, h.B, h.C]) await refused(believed(e, s), 'revoked', new RegExp(`^${porter.NOT_VOUCHED} \\(camera cam-front\\): the owner key that endorsed`));
  for (const r of [await revoke(h.A, h.B), await revoke(h.B, h.B), await revoke(h.C, h.B)]) {
    e = await found([r]);
    assert.equal(e.refusal.code, 'revoked');
    assert.match(e.refusal.message, new RegExp(`^this browser's owner key ${await kidOf(h.B)} was revoked by owner key .* \\(revocation version ${r.version}, .*: the page believes no camera of this home$`));
    await refused(believed(e, h.B), 'revoked');
  }
  // The pin revoked while porterd withholds its endorsement of B (A no
  // anchor then): still refused.
  const withheldB = keys.map((k) => (k.public_key === toB64url(h.B.pk) ? { ...k, statement: null } : k));
  e = await found([await revoke(h.B, h.A)], { owners: withheldB });
  assert.equal(e.refusal.code, 'revoked');
  // Two keys revoking each other (both trusted before): both count.
  e = await found([await revoke(h.D, h.C), await revoke(h.C, h.D)]);
  assert.equal(e.refusal, null);
  assert.equal(await walkOf(e), 'ABL');
  // A key revoked from the first walk only is the one counted: D revoked
  // by A, then D's revocation of A counts too (D was trusted at first).
  e = await found([aRevokesD, await revoke(h.D, h.A)]);
  assert.equal(e.refusal.code, 'revoked');
});

test('revocations that cannot be read: no camera believed, with a clear message', async () => {
  const h = await home();
  const camKey = (await key(20)).pk;
  const camera = { id: 'cam-front', public_key: toB64url(camKey), key_id: 'x', statement: toB64url(await camStmt(h.B, { key: camKey })) };
  // As endorserFor does: a page that fails is no list (null).
  for (const get of [async () => { throw new Error('HTTP 503'); }, async () => ({ error: 'x' })]) {
    const items = await rev.fetchRevocations(get, HOME).catch(() => null);
    assert.equal(items, null);
    const t = await rev.revocationTrust({ home: HOME, browserKey: h.B.pk, pinned: null, anchors: [h.B.pk], ownerKeys: h.keys, items, now: NOW });
    assert.equal(t.refusal.code, 'revocations-unavailable');
    assert.deepEqual(t.anchors, []);
    const e = { browserKey: h.B.pk, anchors: t.anchors, ownerKeys: t.ownerKeys, revoked: t.revoked, refusal: t.refusal, warning: null };
    await assert.rejects(camtrust.believedCamera(e, HOME, camera, NOW), (err) => err.code === 'revocations-unavailable' &&
      err.message === `${porter.NOT_VOUCHED} (camera cam-front): the page could not read this home's revocations, so it believes no camera of this home until it can (try again)`);
  }
  // Read (an empty list): the same camera is believed.
  const t = await rev.revocationTrust({ home: HOME, browserKey: h.B.pk, pinned: null, anchors: [h.B.pk], ownerKeys: h.keys, items: [], now: NOW });
  const e = { browserKey: h.B.pk, anchors: t.anchors, ownerKeys: t.ownerKeys, revoked: t.revoked, refusal: t.refusal, warning: null };
  assert.equal(toHex((await camtrust.believedCamera(e, HOME, camera, NOW)).key), toHex(camKey));
});
