// Endorsing another device's key from the Keys page (docs/web-app.md
// "Endorsing another device's key"): what the page accepts as the pasted
// key (endorseTarget) and the request it sends (endorseBody), and the
// statement signed through a signing function, as the key worker signs,
// against porter-owner-01.json (the bytes porter key endorse makes) and
// node's own Ed25519.
// PORTER_WEB_DIR: the built app (scripts/web.sh OUTDIR); default build/web.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { webcrypto, createPublicKey, verify as edVerify } from 'node:crypto';

if (!globalThis.crypto) globalThis.crypto = webcrypto;
const here = dirname(fileURLToPath(import.meta.url));
const src = resolve(here, '..', '..');
const webDir = resolve(process.env.PORTER_WEB_DIR || join(src, 'build', 'web'));
const load = (m) => import(pathToFileURL(join(webDir, m)).href);
const { toHex, fromHex, toB64url } = await load('util.js');
const porter = await load('porter.js');
const v = JSON.parse(readFileSync(join(src, 'tests', 'vectors', 'porter-owner-01.json'), 'utf8'));

const OWNER = fromHex(v.keys.owner.public_key);
const NEW = v.keys.carrier.public_key_b64url; // the key the statement endorses
const NEW_KID = v.keys.carrier.kid;

function nodeVerify(pk, msg, sig) {
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: toB64url(pk) }, format: 'jwk' });
  return edVerify(null, msg, key, sig);
}

async function refused(text, own, keys, code, words) {
  await assert.rejects(porter.endorseTarget(text, own, keys), (e) => {
    assert.ok(e instanceof porter.EndorseError, `${JSON.stringify(text)}: ${e}`);
    assert.equal(e.code, code, `${JSON.stringify(text)}: ${e.message}`);
    if (words) assert.match(e.message, words);
    return true;
  });
}

test('endorseTarget takes the key as the Keys page shows it, with or without its key id', async () => {
  for (const text of [NEW, `  ${NEW}\n`, `${NEW_KID} ${NEW}`, `${NEW_KID}\n${NEW}`, `${NEW_KID.toUpperCase()}\t${NEW}`]) {
    const t = await porter.endorseTarget(text, OWNER, [{ public_key: v.keys.owner.public_key_b64url, endorsed_by: null }]);
    assert.equal(toHex(t.pk), v.keys.carrier.public_key, JSON.stringify(text));
    assert.equal(t.keyId, NEW_KID);
    assert.equal(t.publicKey, NEW);
  }
  // No owner keys listed, no own key given: the key alone decides.
  assert.equal((await porter.endorseTarget(NEW, null, [])).keyId, NEW_KID);
});

test('endorseTarget refuses what is not a public key, in words', async () => {
  const none = [];
  for (const text of ['', '   ', 'hello', `${NEW}x`, NEW.slice(1), `${NEW.slice(0, 42)}=`, `${NEW.slice(0, 42)}+`,
    toHex(fromHex(v.keys.carrier.public_key)), `${NEW} ${NEW}`, `porter ${NEW}`, null, undefined, 42])
    await refused(text, OWNER, none, 'malformed', /public key/);
  // Not canonical base64url: the last character's unused bits set.
  const last = NEW.at(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const odd = alphabet[alphabet.indexOf(last) + 1];
  await refused(NEW.slice(0, 42) + odd, OWNER, none, 'malformed');
});

test('endorseTarget refuses a key that is not a valid Ed25519 point', async () => {
  // The identity (small order), an all-zero key and a y that is no point.
  const identity = new Uint8Array(32);
  identity[0] = 1;
  await refused(toB64url(identity), OWNER, [], 'not-a-key', /not a valid Ed25519/);
  await refused(toB64url(new Uint8Array(32)), OWNER, [], 'not-a-key');
  let notPoint = null;
  for (let i = 2; i < 64 && !notPoint; i++) {
    const b = new Uint8Array(32);
    b[0] = i;
    if (!(await porter.hubKeyIsValid(b))) notPoint = b;
  }
  assert.ok(notPoint);
  await refused(toB64url(notPoint), OWNER, [], 'not-a-key');
});

test('endorseTarget refuses a key id that is not the key\'s, this browser\'s key, and an owner key', async () => {
  await refused(`${v.keys.owner.kid} ${NEW}`, OWNER, [], 'kid-mismatch', new RegExp(`${v.keys.owner.kid}.*${NEW_KID}`));
  await refused(v.keys.owner.public_key_b64url, OWNER, [], 'own', /this browser's own key/);
  await refused(`${v.keys.owner.kid} ${v.keys.owner.public_key_b64url}`, OWNER, [], 'own');
  const keys = [{ public_key: 'not a key' }, null, { public_key: v.keys.owner.public_key_b64url },
    { public_key: NEW, endorsed_by: v.keys.owner.kid }];
  await refused(NEW, null, keys, 'exists', new RegExp(`${NEW_KID} is already an owner key.*endorsed by ${v.keys.owner.kid}`));
  // Another key of the list is no reason to refuse this one.
  assert.equal((await porter.endorseTarget(NEW, null, keys.slice(0, 3))).keyId, NEW_KID);
});

test('endorseBody is porter key endorse\'s request', () => {
  const pk = fromHex(v.keys.carrier.public_key);
  const st = fromHex(v.cose_sign1);
  assert.deepEqual(porter.endorseBody(pk, st), { public_key: NEW, statement: toB64url(st) });
  assert.deepEqual(porter.endorseBody(pk, st, '  Ana\'s phone '), { public_key: NEW, statement: toB64url(st), label: 'Ana\'s phone' });
  assert.deepEqual(Object.keys(porter.endorseBody(pk, st, '   ')), ['public_key', 'statement']);
  assert.ok(!porter.endorseBody(pk, st).statement.includes('='));
  assert.throws(() => porter.endorseBody(pk.slice(1), st), TypeError);
  assert.throws(() => porter.endorseBody(pk, new Uint8Array(0)), TypeError);
});

test('the statement signed through a signing function (the key worker) is porter-owner-01.json', async () => {
  const kp = await porter.keypairFromSeed(fromHex(v.keys.owner.seed));
  const s = (await import(pathToFileURL(join(webDir, 'sodium.js')).href));
  const sodium = await s.getSodium();
  const seen = [];
  const signer = async (bytes) => {
    seen.push(toHex(bytes));
    return sodium.crypto_sign_detached(bytes, kp.privateKey);
  };
  const t = await porter.endorseTarget(NEW, kp.publicKey, []);
  const bytes = await porter.ownerStatement({ sk: signer, pk: kp.publicKey, home: 'home-7f3a', newKey: t.pk,
    iat: 1796119200, nonce: fromHex('4142434445464748494a4b4c4d4e4f50') });
  assert.deepEqual(seen, [v.sig_structure]); // the worker is given the Sig_structure, once
  assert.equal(toHex(bytes), v.cose_sign1);
  const p = porter.parseSign1(bytes);
  assert.ok(nodeVerify(kp.publicKey, fromHex(v.sig_structure), p.signature));
  // A fresh statement (now, a random nonce) has the vector's shape: the
  // same length, bucket and AAD, its own iat and nonce.
  const fresh = await porter.ownerStatement({ sk: signer, pk: kp.publicKey, home: 'home-7f3a', newKey: t.pk });
  assert.equal(fresh.length, v.cose_sign1_len);
  const q = porter.parseSign1(fresh);
  assert.equal(toHex(q.protected), v.protected);
  assert.equal(q.claims.get(3), 'home-7f3a');
  assert.ok(Math.abs(q.claims.get(6) - Date.now() / 1000) < 86400);
  assert.equal(q.claims.get(7).length, 16);
  assert.equal(toHex(q.claims.get(-65537).get(2)), v.keys.carrier.public_key);
  assert.ok(await porter.verifySign1(fresh, kp.publicKey, porter.AAD.owner));
});
