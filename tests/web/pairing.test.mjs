// Pairing a hub from the page (docs/web.md "Pairing a hub"): the pairing
// nonce (a BLAKE2b MAC of the hub's code, docs/credentials.md) against the
// C side's known answer, the PT_ENV_PAIRING statement checked with code
// that is not the page's (CBOR written out by hand from
// docs/credentials.md, node's own Ed25519), and the reader of what the
// owner pastes (porter-pair:v1?..., or the key and the code).
// PORTER_WEB_DIR: the built app (scripts/web.sh OUTDIR); default build/web.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { webcrypto, createHash, createPublicKey, verify as edVerify } from 'node:crypto';

if (!globalThis.crypto) globalThis.crypto = webcrypto;
const here = dirname(fileURLToPath(import.meta.url));
const src = resolve(here, '..', '..');
const webDir = resolve(process.env.PORTER_WEB_DIR || join(src, 'build', 'web'));
const load = (m) => import(pathToFileURL(join(webDir, m)).href);
const { toHex, fromHex, toB64url } = await load('util.js');
const porter = await load('porter.js');

const seq = (n, first) => Uint8Array.from({ length: n }, (_, i) => (first + i) & 255);
// RFC 8032 test 1 (the owner of every porter vector) and test 2's public
// key (porter-owner-01.json's second owner), a valid point, as the hub.
const OWNER_SEED = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
const HUB_KEY = '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c';
const IAT = 1781085600; // docs/credentials.md's pairing example

// node's Ed25519, not libsodium: a public key from its 32 raw bytes.
function nodeVerify(pk, msg, sig) {
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: toB64url(pk) }, format: 'jwk' });
  return edVerify(null, msg, key, sig);
}

test('the pairing nonce is the C side\'s known answer', async () => {
  const n = await porter.pairingNonce({ code: seq(16, 0x00), hubKey: seq(32, 0x20), ownerKey: seq(32, 0x40),
    home: 'home-7f3a' });
  assert.equal(toHex(n), 'b579169b0b08fd905a273500a50f323d');
  // Each input is bound: another code, hub key, owner key or home.
  const other = [
    { code: seq(16, 0x01), hubKey: seq(32, 0x20), ownerKey: seq(32, 0x40), home: 'home-7f3a' },
    { code: seq(16, 0x00), hubKey: seq(32, 0x21), ownerKey: seq(32, 0x40), home: 'home-7f3a' },
    { code: seq(16, 0x00), hubKey: seq(32, 0x20), ownerKey: seq(32, 0x41), home: 'home-7f3a' },
    { code: seq(16, 0x00), hubKey: seq(32, 0x20), ownerKey: seq(32, 0x40), home: 'home-7f3b' },
  ];
  for (const o of other) assert.notEqual(toHex(await porter.pairingNonce(o)), 'b579169b0b08fd905a273500a50f323d');
  // The nonce is no copy of the code.
  assert.ok(!toHex(n).includes(toHex(seq(16, 0)).slice(0, 8)));
});

test('pairingNonce refuses inputs of the wrong shape', async () => {
  const good = { code: seq(16, 0), hubKey: seq(32, 0x20), ownerKey: seq(32, 0x40), home: 'home-7f3a' };
  for (const bad of [{ code: seq(15, 0) }, { code: seq(17, 0) }, { code: 'AAECAwQFBgcICQoLDA0ODw' },
    { hubKey: seq(31, 0) }, { ownerKey: seq(33, 0) }, { home: '' }, { home: '.x' }, { home: 'h'.repeat(65) }])
    await assert.rejects(porter.pairingNonce({ ...good, ...bad }), TypeError);
});

test('PT_ENV_PAIRING signed in the page: the layout libporter verifies, node\'s Ed25519 agrees', async () => {
  const kp = await porter.keypairFromSeed(fromHex(OWNER_SEED));
  const code = seq(16, 0x00);
  const hubKey = fromHex(HUB_KEY);
  const { bytes, nonce } = await porter.pairingStatement({ sk: kp.privateKey, pk: kp.publicKey, home: 'home-7f3a',
    hubKey, code, iat: IAT });
  const want = await porter.pairingNonce({ code, hubKey, ownerKey: kp.publicKey, home: 'home-7f3a' });
  assert.equal(toHex(nonce), toHex(want));
  // docs/credentials.md: 164 bytes for home-7f3a.
  assert.equal(bytes.length, 164);
  // The claims written out by hand (docs/credentials.md, "Signed
  // statements": map(4), 3: home, 6: iat, 7: nonce, -65537: {1: 0, 2: key}).
  const claims = 'a4' + '03' + '69' + toHex(new TextEncoder().encode('home-7f3a')) + '06' + '1a' +
    IAT.toString(16).padStart(8, '0') + '07' + '50' + toHex(want) + '3a00010000' + 'a2' + '0100' + '02' + '5820' + HUB_KEY;
  // The key id: the first 8 bytes of SHA-256 of the key (node's SHA-256).
  const kidHex = createHash('sha256').update(kp.publicKey).digest('hex').slice(0, 16);
  assert.equal(kidHex, JSON.parse(readFileSync(join(src, 'tests', 'vectors', 'porter-command-01.json'), 'utf8')).keys.owner.kid);
  const prot = 'a201270448' + kidHex;
  const aad = toHex(new TextEncoder().encode('porter/pairing/v2'));
  // Sig_structure: ["Signature1", protected, 'porter/pairing/v2', claims]
  // (v2: the nonce is the MAC of the code; a v1 statement, whose nonce was
  // the raw code, is refused everywhere)
  assert.equal(claims.length / 2, 79);
  const tbs = '84' + '6a' + toHex(new TextEncoder().encode('Signature1')) + '4d' + prot + '51' + aad + '584f' + claims;
  const sig = bytes.slice(bytes.length - 64);
  assert.equal(toHex(bytes), 'd284' + '4d' + prot + 'a0' + '584f' + claims + '5840' + toHex(sig));
  assert.equal(nodeVerify(kp.publicKey, fromHex(tbs), sig), true);
  // Under another AAD it is no owner statement, revocation or command.
  assert.equal(await porter.verifySign1(bytes, kp.publicKey, porter.AAD.pairing), true);
  for (const aad2 of [porter.AAD.owner, porter.AAD.revocation, porter.AAD.command, 'porter/pairing/v1'])
    assert.equal(await porter.verifySign1(bytes, kp.publicKey, aad2), false);
  assert.equal(porter.AAD.pairing, 'porter/pairing/v2');
  // A statement of another code differs in the nonce only.
  const other = await porter.pairingStatement({ sk: kp.privateKey, pk: kp.publicKey, home: 'home-7f3a', hubKey,
    code: seq(16, 0x01), iat: IAT });
  assert.notEqual(toHex(other.nonce), toHex(nonce));
  // If the C side has written a vector of it, byte for byte.
  const vf = join(src, 'tests', 'vectors', 'porter-pairing-01.json');
  if (existsSync(vf)) {
    const v = JSON.parse(readFileSync(vf, 'utf8'));
    if (v.keys?.owner?.seed === OWNER_SEED && v.claims) {
      const p = porter.parseSign1(fromHex(v.cose_sign1));
      const c = p.claims;
      const again = await porter.pairingStatement({ sk: kp.privateKey, pk: kp.publicKey, home: c.get(3),
        hubKey: c.get(-65537).get(2), code: fromHex(v.code ?? v.inputs?.code), iat: c.get(6) });
      assert.equal(toHex(again.bytes), v.cose_sign1);
    }
  }
});

test('pairingStatement with a signing function (the key worker) gives the same bytes', async () => {
  const s = (await import(pathToFileURL(join(webDir, 'sodium.js')).href));
  const sodium = await s.getSodium();
  const kp = await porter.keypairFromSeed(fromHex(OWNER_SEED));
  const args = { pk: kp.publicKey, home: 'home-7f3a', hubKey: fromHex(HUB_KEY), code: seq(16, 7), iat: IAT };
  const a = await porter.pairingStatement({ ...args, sk: kp.privateKey });
  const b = await porter.pairingStatement({ ...args, sk: async (tbs) => sodium.crypto_sign_detached(tbs, kp.privateKey) });
  assert.equal(toHex(a.bytes), toHex(b.bytes));
  await assert.rejects(porter.pairingStatement({ ...args, sk: kp.privateKey, home: 'not a home' }));
  await assert.rejects(porter.pairingStatement({ ...args, sk: kp.privateKey, iat: -1 }));
});

test('hubKeyIsValid: a real key yes; small order, not a point, wrong length no', async () => {
  assert.equal(await porter.hubKeyIsValid(fromHex(HUB_KEY)), true);
  assert.equal(await porter.hubKeyIsValid(new Uint8Array(32)), false);
  const one = new Uint8Array(32);
  one[0] = 1; // the neutral element: small order
  assert.equal(await porter.hubKeyIsValid(one), false);
  assert.equal(await porter.hubKeyIsValid(seq(32, 0x20)), false);
  assert.equal(await porter.hubKeyIsValid(fromHex(HUB_KEY).slice(1)), false);
});

test('readPairing: the QR code\'s text, the key and code together or apart', () => {
  const key = toB64url(fromHex(HUB_KEY));
  const code = toB64url(seq(16, 0));
  assert.equal(code.length, 22);
  const a = porter.readPairing(`  porter-pair:v1?hub=hub-0123456789abcdef&key=${key}&code=${code}\n`);
  assert.equal(a.hubId, 'hub-0123456789abcdef');
  assert.equal(toHex(a.hubKey), HUB_KEY);
  assert.equal(toHex(a.code), toHex(seq(16, 0)));
  const b = porter.readPairing(`porter-pair:v1?code=${code}&key=${key}`);
  assert.equal(b.hubId, null);
  assert.equal(toHex(b.hubKey), HUB_KEY);
  const c = porter.readPairing(`${key}   ${code}`);
  assert.equal(toHex(c.code), toHex(seq(16, 0)));
  const d = porter.readPairing(key, ` ${code} `);
  assert.equal(toHex(d.hubKey), HUB_KEY);
  assert.equal(toHex(d.code), toHex(seq(16, 0)));
});

test('readPairing refuses what is not a pairing, and never repeats the code', () => {
  const key = toB64url(fromHex(HUB_KEY));
  const code = toB64url(seq(16, 0xa0));
  const bad = [
    [''], ['   '], [key], [key, ''], [`${key} ${code} x`], [`${key} ${code}`, code],
    [`porter-pair:v1?hub=h&key=${key}&code=${code}`, code],
    [`porter-pair:v2?key=${key}&code=${code}`], [`porter-pair:v1?key=${key}`], [`porter-pair:v1?code=${code}`],
    [`porter-pair:v1?key=${key}&code=${code}&code=${code}`], [`porter-pair:v1?key=${key}&code=${code}&x=1`],
    [`porter-pair:v1?hub=.x&key=${key}&code=${code}`], [`porter-pair:v1?key=${key}&code=${code}=`],
    [`porter-pair:v1?key=${key}&code=${code.slice(1)}`], [`porter-pair:v1?key=${key}&code=${code}A`],
    [`porter-pair:v1?key=${key.slice(1)}&code=${code}`], [`porter-pair:v1?key=${key}&code=${code.slice(0, 21)}B`],
    [`porter-pair:v1?key=${key}&code=${code.replace(/.$/, '+')}`], [`${key.slice(0, 42)}B ${code}`],
    [`porter-pair:v1?key=${key}&code=${code}`.padEnd(600, ' ') + 'x'],
  ];
  for (const [t, c] of bad) {
    assert.throws(() => porter.readPairing(t, c), (e) => {
      assert.ok(e instanceof TypeError, `${t}: ${e}`);
      assert.ok(!e.message.includes(code), 'the error does not repeat the code');
      return true;
    }, `refused: ${t} / ${c}`);
  }
});
