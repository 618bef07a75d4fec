// The web app's CBOR and COSE code against porter's known-answer vectors
// (tests/vectors/*.json, docs/credentials.md): the same seeds, times and
// nonces must give the same bytes, byte for byte, as libporter.
// PORTER_WEB_DIR: the built app (scripts/web.sh OUTDIR); default build/web.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { webcrypto } from 'node:crypto';

// Node 18 (Debian 12's) has no global crypto; libsodium's ESM build wants it.
if (!globalThis.crypto) globalThis.crypto = webcrypto;
const here = dirname(fileURLToPath(import.meta.url));
const src = resolve(here, '..', '..');
const webDir = resolve(process.env.PORTER_WEB_DIR || join(src, 'build', 'web'));
const load = (m) => import(pathToFileURL(join(webDir, m)).href);
const { toHex, fromHex, toB64url, fromB64url } = await load('util.js');
const cbor = await load('cbor.js');
const porter = await load('porter.js');
const vec = (name) => JSON.parse(readFileSync(join(src, 'tests', 'vectors', name), 'utf8'));

test('kid and public key from the RFC 8032 seed', async () => {
  const v = vec('porter-command-01.json');
  const kp = await porter.keypairFromSeed(fromHex(v.keys.owner.seed));
  assert.equal(toHex(kp.publicKey), v.keys.owner.public_key);
  assert.equal(toB64url(kp.publicKey), v.keys.owner.public_key_b64url);
  assert.equal(toHex(await porter.kid(kp.publicKey)), v.keys.owner.kid);
  assert.equal(toHex(porter.protectedBucket(await porter.kid(kp.publicKey))), v.protected);
});

test('PT_ENV_COMMAND "unlock front" is porter-command-01.json byte for byte', async () => {
  const v = vec('porter-command-01.json');
  const kp = await porter.keypairFromSeed(fromHex(v.keys.owner.seed));
  const nonce = fromHex('2122232425262728292a2b2c2d2e2f30');
  const { bytes, nonce: nhex } = await porter.commandEnvelope({
    sk: kp.privateKey, pk: kp.publicKey, home: 'home-7f3a', op: 'unlock', lock: 'front',
    iat: 1796115900, nonce,
  });
  assert.equal(nhex, '2122232425262728292a2b2c2d2e2f30');
  assert.equal(bytes.length, v.cose_sign1_len);
  assert.equal(toHex(bytes), v.cose_sign1);
  const p = porter.parseSign1(bytes);
  assert.equal(toHex(p.payload), v.claims);
  assert.equal(toHex(p.signature), v.signature);
  assert.equal(toHex(porter.sigStructure(p.protected, v.external_aad, p.payload)), v.sig_structure);
  assert.equal(await porter.verifySign1(bytes, kp.publicKey, porter.AAD.command), true);
  // The external AAD at work: the same bytes are no revocation.
  assert.equal(await porter.verifySign1(bytes, kp.publicKey, porter.AAD.revocation), false);
});

test('a lock command differs only in the op, and "every lock" has no lock claim', async () => {
  const v = vec('porter-command-01.json');
  const kp = await porter.keypairFromSeed(fromHex(v.keys.owner.seed));
  const base = { sk: kp.privateKey, pk: kp.publicKey, home: 'home-7f3a', iat: 1796115900,
    nonce: fromHex('2122232425262728292a2b2c2d2e2f30') };
  const lock = await porter.commandEnvelope({ ...base, op: 'lock', lock: 'front' });
  const claims = porter.parseSign1(lock.bytes).payload;
  assert.equal(toHex(claims), v.claims.replace('a20102026566726f6e74', 'a20101026566726f6e74'));
  const all = await porter.commandEnvelope({ ...base, op: 'unlock' });
  assert.ok(toHex(porter.parseSign1(all.bytes).payload).endsWith('3a00010000a10102'));
  await assert.rejects(porter.commandEnvelope({ ...base, op: 'open' }));
  await assert.rejects(porter.commandEnvelope({ ...base, op: 'unlock', lock: '' }));
  await assert.rejects(porter.commandEnvelope({ ...base, op: 'unlock', home: '.x' }));
});

test('PT_ENV_REVOCATION is porter-revocation-01.json byte for byte', async () => {
  const v = vec('porter-revocation-01.json');
  const kp = await porter.keypairFromSeed(fromHex(v.keys.owner.seed));
  const bytes = await porter.revocationEnvelope({
    sk: kp.privateKey, pk: kp.publicKey, home: 'home-7f3a', iat: 1796117400,
    nonce: fromHex('3132333435363738393a3b3c3d3e3f40'), tokenId: fromHex('1112131415161718191a1b1c1d1e1f20'),
  });
  const want = v.cose_sign1 ?? v.revocation?.cose_sign1;
  assert.ok(want, 'the vector has the revocation bytes');
  assert.equal(toHex(bytes), want);
});

test('root grant link and 1-link chain are porter-grant-01.json byte for byte', async () => {
  const v = vec('porter-grant-01.json');
  const owner = await porter.keypairFromSeed(fromHex(v.keys.owner.seed));
  const link = await porter.grantLink({
    sk: owner.privateKey, pk: owner.publicKey, home: 'home-7f3a',
    exp: 1798761600, nbf: 1796083200, iat: 1796025600,
    cti: fromHex('0102030405060708090a0b0c0d0e0f10'), holder: fromHex(v.keys.carrier.public_key),
    locks: ['front'], purpose: 'delivery', entries: 50, depth: 1, conditions: 3, doorOpenMax: 90,
    tz: 'Europe/Berlin', weekly: [[62, 480, 1200]],
  });
  assert.equal(toHex(porter.parseSign1(link).payload), v.links[0].claims);
  assert.equal(toHex(link), v.links[0].cose_sign1);
  assert.equal(toHex(porter.rootChain(link)), v.chain);
});

test('second link of porter-chain-02.json (signed by the carrier) byte for byte', async () => {
  const v = vec('porter-chain-02.json');
  const carrier = await porter.keypairFromSeed(fromHex(v.keys.carrier.seed));
  const link = await porter.grantLink({
    sk: carrier.privateKey, pk: carrier.publicKey, home: 'home-7f3a',
    exp: 1796151600, nbf: 1796108400, iat: 1796104800,
    cti: fromHex('1112131415161718191a1b1c1d1e1f20'), holder: fromHex(v.keys.courier.public_key),
    locks: ['front'], purpose: 'delivery', entries: 1, depth: 0, conditions: 3, doorOpenMax: 90,
    tz: 'Europe/Berlin', windows: [[1796112000, 1796119200]], weekly: [[62, 480, 1200]],
    note: 'dog inside: leave the parcel in the hall',
  });
  assert.equal(toHex(link), v.links[1].cose_sign1);
});

test('owner statement (PT_ENV_OWNER) is porter-owner-01.json byte for byte', async () => {
  const v = vec('porter-owner-01.json');
  const kp = await porter.keypairFromSeed(fromHex(v.keys.owner.seed));
  const newKey = fromHex('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c');
  const bytes = await porter.ownerStatement({ sk: kp.privateKey, pk: kp.publicKey, home: 'home-7f3a',
    newKey, iat: 1796119200, nonce: fromHex('4142434445464748494a4b4c4d4e4f50') });
  const p = porter.parseSign1(bytes);
  assert.equal(toHex(p.payload), v.claims);
  assert.equal(toHex(porter.sigStructure(p.protected, v.external_aad, p.payload)), v.sig_structure);
  assert.equal(toHex(bytes), v.cose_sign1);
  assert.equal(bytes.length, v.cose_sign1_len);
  assert.equal(await porter.verifySign1(bytes, kp.publicKey, porter.AAD.owner), true);
  assert.equal(await porter.verifySign1(bytes, kp.publicKey, porter.AAD.command), false);
});

test('CBOR encoder: shortest heads, sorted integer keys', () => {
  const h = (x) => toHex(cbor.encode(x));
  assert.equal(h(0), '00');
  assert.equal(h(23), '17');
  assert.equal(h(24), '1818');
  assert.equal(h(50), '1832');
  assert.equal(h(480), '1901e0');
  assert.equal(h(1796112000), '1a6b0e7e80');
  assert.equal(h(2 ** 32), '1b0000000100000000');
  assert.equal(h(-1), '20');
  assert.equal(h(-8), '27');
  assert.equal(h(-65537), '3a00010000');
  assert.equal(h(new Map([[-65537, 1], [8, 1], [3, 1], [-1, 1], [10, 1]])), 'a5030108010a0120013a0001000001');
  assert.equal(h('Signature1'), '6a5369676e617475726531');
  assert.throws(() => cbor.encode(1.5));
  assert.throws(() => cbor.encode(null));
  assert.throws(() => cbor.encode(true));
  assert.throws(() => cbor.encode({ a: 1 }));
});

test('CBOR decoder: the vectors round-trip', () => {
  for (const name of ['porter-command-01.json', 'porter-grant-01.json', 'porter-chain-02.json',
    'porter-revocation-01.json']) {
    const v = vec(name);
    const bytes = fromHex(v.chain ?? v.cose_sign1 ?? v.revocation.cose_sign1);
    assert.equal(toHex(cbor.encode(cbor.decode(bytes))), toHex(bytes), name);
  }
});

test('CBOR decoder refuses what is not deterministic', () => {
  const bad = {
    'non-shortest uint (1 byte for 23)': '1817',
    'non-shortest uint (2 bytes for 255)': '1900ff',
    'non-shortest uint (4 bytes)': '1a0000ffff',
    'non-shortest uint (8 bytes)': '1b00000000ffffffff',
    'non-shortest nint': '3817',
    'non-shortest length': '5801ff',
    'indefinite bstr': '5f41004100ff',
    'indefinite array': '9f01ff',
    'indefinite map': 'bf0101ff',
    'unsorted map keys': 'a203010101',
    'nint key before uint key': 'a220010101',
    'duplicate map keys': 'a201010102',
    'float': 'f93c00',
    'false': 'f4',
    'null': 'f6',
    'undefined': 'f7',
    'trailing bytes': '0000',
    'truncated bstr': '43aabb',
    'truncated array': '8201',
    'invalid UTF-8': '62c328',
    'overlong UTF-8': '62c0af',
    'reserved additional info': '1c',
    'text map key': 'a1616101',
    'empty input': '',
  };
  for (const [what, hex] of Object.entries(bad)) {
    assert.throws(() => cbor.decode(fromHex(hex)), (e) => e.code === 'malformed', what);
  }
  // ...and the same values, well encoded, are accepted.
  assert.equal(cbor.decode(fromHex('17')), 23);
  assert.equal(cbor.decode(fromHex('18ff')), 255);
  assert.equal(cbor.decode(fromHex('3818')), -25);
  assert.equal(cbor.decode(fromHex('a201010201')).get(2), 1);
});

test('parseSign1 refuses a protected bucket other than {1: -8, 4: kid}', async () => {
  const v = vec('porter-command-01.json');
  const ok = fromHex(v.cose_sign1);
  assert.ok(porter.parseSign1(ok));
  const untagged = ok.slice(1);
  assert.throws(() => porter.parseSign1(untagged));
  const other = ok.slice();
  other[5] = 0x26; // alg -7 (ES256)
  assert.throws(() => porter.parseSign1(other));
});

test('base64url: no padding, canonical', () => {
  const b = fromHex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
  assert.equal(toB64url(b), '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo');
  assert.equal(toHex(fromB64url('11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo')), toHex(b));
  assert.throws(() => fromB64url('11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo='));
  assert.throws(() => fromB64url('11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURp'));
  for (let n = 0; n < 8; n++) {
    const x = Uint8Array.from({ length: n }, (_, i) => i * 37 + 1);
    assert.equal(toHex(fromB64url(toB64url(x))), toHex(x));
  }
});

test('sign1 with a signing function (the key worker) gives the same bytes as with the key', async () => {
  const v = vec('porter-command-01.json');
  const kp = await porter.keypairFromSeed(fromHex(v.keys.owner.seed));
  const { getSodium } = await load('sodium.js');
  const s = await getSodium();
  const seen = [];
  const signFn = async (tbs) => {
    seen.push(tbs);
    return s.crypto_sign_detached(tbs, kp.privateKey);
  };
  const base = { pk: kp.publicKey, home: 'home-7f3a', op: 'unlock', lock: 'front', iat: 1796115900,
    nonce: fromHex('2122232425262728292a2b2c2d2e2f30') };
  const a = await porter.commandEnvelope({ ...base, sk: signFn });
  assert.equal(toHex(a.bytes), v.cose_sign1);
  assert.equal(toHex(seen[0]), v.sig_structure);
  await assert.rejects(porter.commandEnvelope({ ...base, sk: async () => new Uint8Array(10) }), /no signature/);
});

test('words: lookups are own properties only', async () => {
  const w = await load('words.js');
  assert.equal(w.reasonText('stale'), 'the signed message is too old or from the future');
  assert.equal(w.reasonText('constructor'), 'constructor');
  assert.equal(w.reasonText('__proto__'), '__proto__');
  assert.equal(w.stateText('toString'), 'toString');
  assert.equal(w.levelText('hasOwnProperty'), 'hasOwnProperty');
  assert.equal(w.eventText('constructor'), 'constructor');
  assert.equal(w.eventText('alert.valueOf'), 'valueOf');
  assert.equal(w.eventText(42), 'unknown event');
  assert.equal(w.isAlert({ id: 'x', type: 7 }, new Set()), false);
});

test('kdf: stored limits are accepted between interactive and moderate only', async () => {
  const k = await load('kdf.js');
  const { getSodium } = await load('sodium.js');
  const s = await getSodium();
  assert.equal(k.OPS_MIN, s.crypto_pwhash_OPSLIMIT_INTERACTIVE);
  assert.equal(k.OPS_MAX, s.crypto_pwhash_OPSLIMIT_MODERATE);
  assert.equal(k.MEM_MIN, s.crypto_pwhash_MEMLIMIT_INTERACTIVE);
  assert.equal(k.MEM_MAX, s.crypto_pwhash_MEMLIMIT_MODERATE);
  const salt = new Uint8Array(16);
  const kdf = (opslimit, memlimit, more) => ({ alg: 'argon2id13', opslimit, memlimit, salt, ...more });
  assert.equal(k.limitsOk(kdf(k.OPS_NEW, k.MEM_NEW)), true);
  assert.equal(k.limitsOk(kdf(3, 268435456)), true);
  assert.equal(k.limitsOk(kdf(1, 67108864)), false);
  assert.equal(k.limitsOk(kdf(2, 8192)), false);
  assert.equal(k.limitsOk(kdf(4, 67108864)), false);
  assert.equal(k.limitsOk(kdf(2, 268435456 * 4)), false);
  assert.equal(k.limitsOk(kdf(2, 67108864, { alg: 'argon2i13' })), false);
  assert.equal(k.limitsOk(kdf(2, 67108864, { salt: new Uint8Array(8) })), false);
  assert.equal(k.limitsOk(kdf('2', 67108864)), false);
  assert.equal(k.limitsOk(null), false);
  assert.ok(k.PASSPHRASE_MIN >= 12);
});
