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
  assert.equal(h(true), 'f5'); // a grant's duress marker, its only encoding
  assert.throws(() => cbor.encode(false));
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

test('words: the refused clip and the evicted revocation have words', async () => {
  const w = await load('words.js');
  assert.match(w.eventText('camera.clip-refused'), /refused a clip/);
  assert.match(w.eventText('clip-refused'), /porter-cam refused/);
  assert.match(w.eventText('revocation.pending-evicted'), /dropped/);
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

// ---- live view (include/porter/live.h): tests/vectors/porter-live-01.json ----

test('PT_ENV_LIVE is porter-live-01.json byte for byte', async () => {
  const v = vec('porter-live-01.json');
  const kp = await porter.keypairFromSeed(fromHex(v.keys.owner.seed));
  assert.equal(toHex(kp.publicKey), v.keys.owner.public_key);
  const viewerKey = fromHex(v.keys.viewer.x25519_public_key);
  const args = { sk: kp.privateKey, pk: kp.publicKey, home: v.home_id, camera: v.camera_id, viewerKey,
    iat: v.request.iat, exp: v.request.exp, session: fromHex(v.session) };
  const { bytes, session } = await porter.liveRequest(args);
  assert.equal(toHex(session), v.session);
  assert.equal(bytes.length, v.request.cose_sign1_len);
  assert.equal(toHex(bytes), v.request.cose_sign1);
  const p = porter.parseSign1(bytes);
  assert.equal(toHex(p.protected), v.request.protected);
  assert.equal(toHex(p.payload), v.request.claims);
  assert.equal(toHex(p.signature), v.request.signature);
  assert.equal(toHex(porter.sigStructure(p.protected, v.request.external_aad, p.payload)), v.request.sig_structure);
  assert.equal(await porter.verifySign1(bytes, kp.publicKey, porter.LIVE.requestAad), true);
  assert.equal(await porter.verifySign1(bytes, kp.publicKey, porter.AAD.command), false);
  // The same through a signing function, as the owner's key worker signs.
  const { getSodium } = await load('sodium.js');
  const s = await getSodium();
  const viaWorker = await porter.liveRequest({ ...args, sk: async (tbs) => s.crypto_sign_detached(tbs, kp.privateKey) });
  assert.equal(toHex(viaWorker.bytes), v.request.cose_sign1);
  // What the C library refuses to sign, the page refuses too.
  await assert.rejects(porter.liveRequest({ ...args, exp: args.iat }));
  await assert.rejects(porter.liveRequest({ ...args, exp: args.iat + 601 }));
  await assert.rejects(porter.liveRequest({ ...args, camera: '.cam' }));
  await assert.rejects(porter.liveRequest({ ...args, viewerKey: new Uint8Array(32) }));
  await assert.rejects(porter.liveRequest({ ...args, viewerKey: fromHex('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880') }));
  await assert.rejects(porter.liveRequest({ ...args, session: new Uint8Array(15) }));
});

test('porter-live-01.json: the viewer key pair, the order\'s hub signature', async () => {
  const v = vec('porter-live-01.json');
  const { getSodium } = await load('sodium.js');
  const s = await getSodium();
  const kp = s.crypto_box_seed_keypair(fromHex(v.keys.viewer.seed));
  assert.equal(toHex(kp.publicKey), v.keys.viewer.x25519_public_key);
  assert.equal(toHex(kp.privateKey), v.keys.viewer.x25519_secret_key);
  const hub = await porter.keypairFromSeed(fromHex(v.keys.hub.seed));
  assert.equal(toHex(hub.publicKey), v.keys.hub.public_key);
  const [payload, sig] = cbor.decode(fromHex(v.order.message));
  assert.equal(toHex(payload), v.order.payload);
  assert.equal(toHex(sig), v.order.signature);
  const signed = new Uint8Array([...new TextEncoder().encode(v.order.domain), 0, ...payload]);
  assert.equal(toHex(signed), v.order.signed_bytes);
  assert.equal(s.crypto_sign_verify_detached(sig, signed, hub.publicKey), true);
  const m = cbor.decode(payload);
  assert.equal(m.get(2), v.order.camera);
  assert.equal(toHex(m.get(3)), v.session);
  assert.equal(m.get(4), v.order.event_seq);
  assert.equal(toHex(m.get(7)), v.order.viewer_xpk);
  assert.equal(toHex(m.get(8)), v.order.owner_kid);
});

test('porter-live-01.json: the key record verifies and its key opens with the viewer secret', async () => {
  const v = vec('porter-live-01.json');
  const { getSodium } = await load('sodium.js');
  const s = await getSodium();
  const cam = fromHex(v.keys.camera.public_key);
  const msg = fromHex(v.key_record.message);
  assert.equal(msg.length, v.key_record.message_len);
  const r = await porter.openLiveKeyRecord(msg, cam);
  assert.equal(r.camera, v.key_record.camera);
  assert.equal(toHex(r.session), v.session);
  assert.equal(r.eventSeq, v.key_record.event_seq);
  assert.equal(r.start, v.key_record.start_ms);
  assert.equal(r.expiry, v.key_record.expiry_ms);
  assert.equal(r.container, v.key_record.container);
  assert.equal(toHex(r.viewerKey), v.key_record.viewer_xpk);
  assert.equal(toHex(r.sealed), v.key_record.sealed_key);
  const key = s.crypto_box_seal_open(r.sealed, fromHex(v.keys.viewer.x25519_public_key),
    fromHex(v.keys.viewer.x25519_secret_key));
  assert.equal(toHex(key), v.key_record.live_key);
  // Another key, or one changed byte anywhere: refused before any field is used.
  await assert.rejects(porter.openLiveKeyRecord(msg, fromHex(v.keys.hub.public_key)));
  for (const i of [5, 40, msg.length - 70, msg.length - 1]) {
    const bad = msg.slice();
    bad[i] ^= 1;
    await assert.rejects(porter.openLiveKeyRecord(bad, cam), `byte ${i}`);
  }
  // The order's bytes are no key record (another domain, other fields).
  await assert.rejects(porter.openLiveKeyRecord(fromHex(v.order.message), fromHex(v.keys.hub.public_key)));
});

test('porter-live-01.json: fragments open to the recorded plaintext, and only in their place', async () => {
  const v = vec('porter-live-01.json');
  const { getSodium } = await load('sodium.js');
  const s = await getSodium();
  const key = fromHex(v.key_record.live_key);
  const session = fromHex(v.session);
  const cam = fromHex(v.keys.camera.public_key);
  for (const f of v.fragments) {
    const bytes = fromHex(f.fragment);
    assert.equal(bytes.length, f.fragment_len);
    const h = porter.liveHeader(bytes);
    assert.equal(toHex(bytes.subarray(0, porter.LIVE.hdrLen)), f.header);
    assert.equal(toHex(h.session), v.session);
    assert.equal(h.index, f.index);
    assert.equal(h.capture, f.capture_ms);
    assert.equal(h.duration, f.duration_ms);
    assert.equal(toHex(bytes.subarray(porter.LIVE.hdrLen)), f.sealed);
    const plain = await porter.openSealedSegment(key, session, f.index, fromHex(f.sealed));
    assert.equal(toHex(plain), f.plaintext);
    const o = await porter.openLiveFragment(key, session, bytes, f.index);
    assert.equal(o.index, f.index);
    assert.equal(o.capture, f.capture_ms);
    assert.equal(o.duration, f.duration_ms);
    assert.equal(toHex(o.media), f.body);
    // The camera's signature that porterd checks (not the viewer's trust).
    const sha = s.crypto_hash_sha256(bytes);
    assert.equal(toHex(sha), f.sha256);
    const idx = Uint8Array.of(f.index >>> 24, (f.index >>> 16) & 255, (f.index >>> 8) & 255, f.index & 255);
    const signed = new Uint8Array([...new TextEncoder().encode('porter/live-fragment/v1'), 0, ...session, ...idx, ...sha]);
    assert.equal(toHex(signed), f.signed_bytes);
    assert.equal(s.crypto_sign_verify_detached(fromHex(f.signature), signed, cam), true);
    // Asked for another index, another session, another key: refused.
    await assert.rejects(porter.openLiveFragment(key, session, bytes, f.index + 1));
    const other = session.slice();
    other[0] ^= 1;
    await assert.rejects(porter.openLiveFragment(key, other, bytes, f.index));
    const k2 = key.slice();
    k2[0] ^= 1;
    await assert.rejects(porter.openLiveFragment(k2, session, bytes, f.index));
    // A changed byte of the sealed part, one byte cut, one byte added.
    const bad = bytes.slice();
    bad[bytes.length - 3] ^= 1;
    await assert.rejects(porter.openLiveFragment(key, session, bad, f.index));
    await assert.rejects(porter.openLiveFragment(key, session, bytes.slice(0, -1), f.index));
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    assert.throws(() => porter.liveHeader(longer));
  }
  // A header whose capture or duration differs from the sealed copy.
  const f1 = v.fragments.find((f) => f.index === 1);
  const lied = fromHex(f1.fragment);
  lied[33] ^= 1; // the last byte of capture
  assert.throws(() => assert.equal(porter.liveHeader(lied).capture, f1.capture_ms));
  await assert.rejects(porter.openLiveFragment(key, session, lied, 1), /capture or duration/);
  const lied2 = fromHex(f1.fragment);
  lied2[37] ^= 1; // the last byte of duration
  await assert.rejects(porter.openLiveFragment(key, session, lied2, 1), /capture or duration/);
  // Fragment 0 with a capture time, a media fragment without: malformed.
  const f0 = fromHex(v.fragments.find((f) => f.index === 0).fragment);
  f0[33] = 1;
  assert.throws(() => porter.liveHeader(f0));
});

// ---- refusals: what porterd (or a forger) could hand over ----

// A camera key of our own, and key records, manifests and segment
// signatures signed as docs/clips.md says (domain || 0x00 || payload).
async function clipFixture() {
  const { getSodium } = await load('sodium.js');
  const s = await getSodium();
  const cam = await porter.keypairFromSeed(new Uint8Array(32).fill(7));
  const other = await porter.keypairFromSeed(new Uint8Array(32).fill(8));
  const clip = new Uint8Array(16).fill(0x5a);
  const keys = [[new Uint8Array(8).fill(1), new Uint8Array(80).fill(2)]];
  const te = new TextEncoder();
  const signed = (domain, m, sk = cam.privateKey) => {
    const payload = cbor.encode(m);
    const msg = new Uint8Array([...te.encode(domain), 0, ...payload]);
    return cbor.encode([payload, s.crypto_sign_detached(msg, sk)]);
  };
  const krMap = () => new Map([[1, 1], [2, 'cam-front'], [3, clip], [4, 5], [5, 1796115600000], [6, 'mp4'], [7, keys]]);
  const manMap = () => new Map([[1, 1], [2, 'cam-front'], [3, clip], [4, 5], [5, 9], [6, 1796115598000],
    [7, 1796115630000], [8, 'mp4'], [9, 2000], [10, 5000], [11, [[0, 2000, 100, new Uint8Array(32).fill(3)]]], [12, keys]]);
  return { s, cam, other, clip, keys, signed, krMap, manMap };
}

test('openKeyRecord and openManifest: another key, a changed byte, another domain are refused', async () => {
  const f = await clipFixture();
  const kr = f.signed('porter/clip-key/v1', f.krMap());
  const man = f.signed('porter/clip-manifest/v1', f.manMap());
  const k = await porter.openKeyRecord(kr, f.cam.publicKey);
  const m = await porter.openManifest(man, f.cam.publicKey);
  assert.equal(k.start, 1796115600000);
  assert.equal(m.start, 1796115598000);
  assert.equal(m.end, 1796115630000);
  assert.ok(porter.keyRecordMatches(k, m));
  await assert.rejects(porter.openKeyRecord(kr, f.other.publicKey), /signature/);
  await assert.rejects(porter.openManifest(man, f.other.publicKey), /signature/);
  for (const i of [4, 20, kr.length - 1]) {
    const bad = kr.slice();
    bad[i] ^= 1;
    await assert.rejects(porter.openKeyRecord(bad, f.cam.publicKey), `key record byte ${i}`);
  }
  const badMan = man.slice();
  badMan[30] ^= 1;
  await assert.rejects(porter.openManifest(badMan, f.cam.publicKey));
  // Signed under the other domain: a key record is no manifest, and back.
  await assert.rejects(porter.openManifest(f.signed('porter/clip-key/v1', f.manMap()), f.cam.publicKey), /signature/);
  await assert.rejects(porter.openKeyRecord(f.signed('porter/clip-manifest/v1', f.krMap()), f.cam.publicKey), /signature/);
  // Signed by the camera but a field out of its rules.
  const bad7 = f.manMap();
  bad7.set(7, 1796115597000); // end before start
  await assert.rejects(porter.openManifest(f.signed('porter/clip-manifest/v1', bad7), f.cam.publicKey));
});

test('keyRecordMatches: another camera, clip, START, container or sealed key does not match', async () => {
  const f = await clipFixture();
  const k = await porter.openKeyRecord(f.signed('porter/clip-key/v1', f.krMap()), f.cam.publicKey);
  const m = await porter.openManifest(f.signed('porter/clip-manifest/v1', f.manMap()), f.cam.publicKey);
  assert.ok(porter.keyRecordMatches(k, m));
  assert.ok(!porter.keyRecordMatches({ ...k, camera: 'cam-back' }, m));
  assert.ok(!porter.keyRecordMatches({ ...k, clip: '00'.repeat(16) }, m));
  assert.ok(!porter.keyRecordMatches({ ...k, startSeq: 6 }, m));
  assert.ok(!porter.keyRecordMatches({ ...k, container: 'ts' }, m));
  const sealed = k.keys[0][1].slice();
  sealed[0] ^= 1;
  assert.ok(!porter.keyRecordMatches({ ...k, keys: [[k.keys[0][0], sealed]] }, m));
  assert.ok(!porter.keyRecordMatches({ ...k, keys: [] }, m));
});

test('segmentSignatureOk: only the camera\'s signature of this clip, index and SHA-256', async () => {
  const f = await clipFixture();
  const sha = new Uint8Array(32).fill(9);
  const te = new TextEncoder();
  const msg = (clip, i, h) => new Uint8Array([...te.encode('porter/clip-segment/v1'), 0, ...clip, 0, 0, 0, i, ...h]);
  const sig = f.s.crypto_sign_detached(msg(f.clip, 3, sha), f.cam.privateKey);
  assert.ok(await porter.segmentSignatureOk(f.cam.publicKey, toHex(f.clip), 3, sha, sig));
  assert.ok(!(await porter.segmentSignatureOk(f.other.publicKey, toHex(f.clip), 3, sha, sig)), 'another key');
  assert.ok(!(await porter.segmentSignatureOk(f.cam.publicKey, toHex(f.clip), 4, sha, sig)), 'another index');
  assert.ok(!(await porter.segmentSignatureOk(f.cam.publicKey, '00'.repeat(16), 3, sha, sig)), 'another clip');
  const sha2 = sha.slice();
  sha2[0] ^= 1;
  assert.ok(!(await porter.segmentSignatureOk(f.cam.publicKey, toHex(f.clip), 3, sha2, sig)), 'another SHA-256');
  const sig2 = sig.slice();
  sig2[10] ^= 1;
  assert.ok(!(await porter.segmentSignatureOk(f.cam.publicKey, toHex(f.clip), 3, sha, sig2)), 'a changed signature');
  assert.ok(!(await porter.segmentSignatureOk(f.cam.publicKey, toHex(f.clip), 3, sha, sig.subarray(0, 63))), 'short');
});

test('clipTimesAgree: porterd\'s start_ms and end_ms within a second of the signed manifest\'s', () => {
  const man = { start: 1796115598000, end: 1796115630000 };
  assert.ok(porter.clipTimesAgree({ start_ms: 1796115598000, end_ms: 1796115630000 }, man));
  assert.ok(porter.clipTimesAgree({ start_ms: 1796115598900, end_ms: 1796115629100 }, man));
  assert.ok(!porter.clipTimesAgree({ start_ms: 1796115500000, end_ms: 1796115630000 }, man), 'start moved');
  assert.ok(!porter.clipTimesAgree({ start_ms: 1796115598000, end_ms: 1796115700000 }, man), 'end moved');
  assert.ok(!porter.clipTimesAgree({ start_ms: 1796115598000, end_ms: null }, man), 'no end');
  assert.ok(!porter.clipTimesAgree({}, man));
  assert.ok(porter.clipTimesAgree({ start_ms: 0, end_ms: 0 }, null), 'no manifest: nothing to hold them to');
});

test('clipGaps: every gap from 0 to the highest stored index, a missing 0 included', () => {
  assert.deepEqual(porter.clipGaps([0, 1, 2]), { indexes: [0, 1, 2], missing: [] });
  assert.deepEqual(porter.clipGaps([2, 5, 3]), { indexes: [0, 1, 2, 3, 4, 5], missing: [0, 1, 4] });
  assert.deepEqual(porter.clipGaps([1]), { indexes: [0, 1], missing: [0] });
  assert.deepEqual(porter.clipGaps([]), { indexes: [], missing: [] });
  assert.deepEqual(porter.clipGaps([-1, 1.5, 'x', null, 5000, 1]), { indexes: [0, 1], missing: [0] });
});

test('liveKeyRecordIsFor: another camera, session or viewer key is refused', async () => {
  const v = vec('porter-live-01.json');
  const r = await porter.openLiveKeyRecord(fromHex(v.key_record.message), fromHex(v.keys.camera.public_key));
  const want = { camera: v.key_record.camera, session: fromHex(v.session), viewerKey: fromHex(v.keys.viewer.x25519_public_key) };
  porter.liveKeyRecordIsFor(r, want);
  assert.throws(() => porter.liveKeyRecordIsFor(r, { ...want, camera: 'cam-other' }), /another camera/);
  const sess = want.session.slice();
  sess[0] ^= 1;
  assert.throws(() => porter.liveKeyRecordIsFor(r, { ...want, session: sess }), /another session/);
  const xpk = want.viewerKey.slice();
  xpk[0] ^= 1;
  assert.throws(() => porter.liveKeyRecordIsFor(r, { ...want, viewerKey: xpk }), /another viewer key/);
});

test('chainSummary: the last link\'s token id, holder, purpose and expiry; broken links refused', async () => {
  const v = vec('porter-chain-02.json');
  const chain = fromHex(v.chain);
  const owner = fromHex(v.keys.owner.public_key);
  const c = await porter.chainSummary(chain, [owner]);
  assert.equal(c.links, 2);
  assert.equal(c.rootChecked, true);
  assert.equal(c.rootKid, v.keys.owner.kid);
  assert.equal(c.purpose, 'delivery');
  const last = v.links[v.links.length - 1];
  assert.equal(c.tokenId, '1112131415161718191a1b1c1d1e1f20', 'the last link\'s cti, not the root\'s');
  assert.equal(c.exp, 1796151600);
  assert.equal(toHex(c.holder), v.keys[last.holder].public_key);
  // Without the owner key the root is not checked, but still read.
  assert.equal((await porter.chainSummary(chain, [])).rootChecked, false);
  // Any changed byte of a signature or claims: refused.
  for (const i of [30, 200, chain.length - 70, chain.length - 1]) {
    const bad = chain.slice();
    bad[i] ^= 1;
    await assert.rejects(porter.chainSummary(bad, [owner]), `byte ${i}`);
  }
  // The root alone is the root grant (porter-grant-01.json).
  const g = vec('porter-grant-01.json');
  const r = await porter.chainSummary(fromHex(g.chain), [owner]);
  assert.equal(r.links, 1);
  assert.equal(r.tokenId, '0102030405060708090a0b0c0d0e0f10');
});

test('readLimited: a body over the limit is refused while streaming, whatever Content-Length says', async () => {
  const api = await load('api.js');
  const body = (n, chunk = 1000) => new ReadableStream({
    start(c) {
      for (let o = 0; o < n; o += chunk) c.enqueue(new Uint8Array(Math.min(chunk, n - o)).fill(1));
      c.close();
    },
  });
  assert.equal((await api.readLimited(new Response(body(5000)), 5000, 'over')).length, 5000);
  await assert.rejects(api.readLimited(new Response(body(5001)), 5000, 'over'), (e) => e.status === 413 && /over/.test(e.message));
  // A false, small Content-Length is not believed.
  await assert.rejects(api.readLimited(new Response(body(9000), { headers: { 'Content-Length': '10' } }), 5000, 'over'),
    (e) => e.status === 413);
  await assert.rejects(api.readLimited(new Response(body(10), { headers: { 'Content-Length': '9000' } }), 5000, 'over'),
    (e) => e.status === 413);
});

test('keyRevocationTarget: the key id computed from the key; another id, a short key, this browser\'s key told', async () => {
  const v = vec('porter-command-01.json');
  const kp = await porter.keypairFromSeed(fromHex(v.keys.owner.seed));
  const other = await porter.keypairFromSeed(new Uint8Array(32).fill(9));
  const k = { public_key: toB64url(kp.publicKey), key_id: v.keys.owner.kid };
  const t = await porter.keyRevocationTarget(k, other.publicKey);
  assert.equal(t.keyId, v.keys.owner.kid);
  assert.equal(toHex(t.pk), toHex(kp.publicKey));
  assert.equal(t.own, false);
  assert.equal((await porter.keyRevocationTarget(k, kp.publicKey)).own, true);
  await assert.rejects(porter.keyRevocationTarget({ ...k, key_id: toHex(await porter.kid(other.publicKey)) }), /id/);
  await assert.rejects(porter.keyRevocationTarget({ ...k, public_key: toB64url(kp.publicKey.subarray(0, 31)) }), /32-byte/);
  await assert.rejects(porter.keyRevocationTarget({ key_id: v.keys.owner.kid }), /32-byte/);
  await assert.rejects(porter.keyRevocationTarget({ ...k, public_key: 'not base64url!' }), /32-byte/);
});

// ---- delegations read in full (People page, carriers) ----

test('readChain: porter-chain-02.json read and checked: every term of both links, the leaf the courier\'s', async () => {
  const v = vec('porter-chain-02.json');
  const chain = fromHex(v.chain);
  const owner = fromHex(v.keys.owner.public_key);
  const r = await porter.readChain(chain, { rootKeys: [owner], home: 'home-7f3a' });
  assert.equal(r.links.length, 2);
  assert.equal(r.rootKid, v.keys.owner.kid);
  assert.equal(toHex(r.rootKey), v.keys.owner.public_key);
  const root = r.links[0].terms;
  assert.deepEqual({ ...root, holder: toHex(root.holder) }, {
    home: 'home-7f3a', exp: 1798761600, nbf: 1796083200, iat: 1796025600, tokenId: '0102030405060708090a0b0c0d0e0f10',
    holder: v.keys.carrier.public_key, locks: ['front'], purpose: 'delivery', entries: 50, depth: 1, conditions: 3,
    camera: true, alarm: true, doorOpenMax: 90, tz: 'Europe/Berlin', windows: null, weekly: [[62, 480, 1200]], note: null,
    duress: false,
  });
  assert.equal(r.tokenId, '1112131415161718191a1b1c1d1e1f20');
  assert.equal(toHex(r.holder), v.keys.courier.public_key);
  assert.deepEqual(r.leaf.windows, [[1796112000, 1796119200]]);
  assert.equal(r.leaf.note, 'dog inside: leave the parcel in the hall');
  assert.equal(r.leaf.entries, 1);
  assert.equal(r.leaf.depth, 0);
  assert.equal(toHex(porter.chainHolder(chain)), v.keys.courier.public_key);
});

test('readChain: the hub\'s reasons for a chain that is not what the owner signed', async () => {
  const v = vec('porter-chain-02.json');
  const chain = fromHex(v.chain);
  const owner = fromHex(v.keys.owner.public_key);
  const code = async (bytes, opts) => porter.readChain(bytes, opts).then(() => 'ok', (e) => e.code);
  assert.equal(await code(chain, { rootKeys: [], home: 'home-7f3a' }), 'untrusted-root');
  assert.equal(await code(chain, { rootKeys: [owner], home: 'home-0000' }), 'wrong-home-or-lock');
  // Every byte of the chain matters: a flipped one is refused, never read.
  for (let i = 1; i < chain.length; i += 7) {
    const bad = chain.slice();
    bad[i] ^= 1;
    assert.notEqual(await code(bad, { rootKeys: [owner], home: 'home-7f3a' }), 'ok', `byte ${i}`);
  }
  // The entries of the root raised from 50 to 51, signature left: bad-signature.
  const g = vec('porter-grant-01.json');
  const i50 = g.chain.indexOf('031832');
  assert.ok(i50 > 0);
  const raised = fromHex(g.chain.slice(0, i50) + '031833' + g.chain.slice(i50 + 6));
  assert.equal(await code(raised, { rootKeys: [owner], home: 'home-7f3a' }), 'bad-signature');
  // A carrier link that widens (60 entries under 50), or that another key signs.
  const carrier = await porter.keypairFromSeed(fromHex(v.keys.carrier.seed));
  const other = await porter.keypairFromSeed(new Uint8Array(32).fill(7));
  const link1 = (kp, extra) => porter.grantLink({ sk: kp.privateKey, pk: kp.publicKey, home: 'home-7f3a',
    exp: 1796151600, nbf: 1796108400, cti: new Uint8Array(16).fill(9), holder: fromHex(v.keys.courier.public_key),
    locks: ['front'], purpose: 'delivery', entries: 1, depth: 0, conditions: 3, doorOpenMax: 90,
    tz: 'Europe/Berlin', weekly: [[62, 480, 1200]], ...extra });
  const two = (l) => cbor.encode([cbor.decode(fromHex(g.chain))[0], cbor.decode(l)]);
  assert.equal(await code(two(await link1(carrier, {})), { rootKeys: [owner], home: 'home-7f3a' }), 'ok');
  assert.equal(await code(two(await link1(carrier, { entries: 60 })), { rootKeys: [owner] }), 'widened-link');
  assert.equal(await code(two(await link1(carrier, { conditions: 1 })), { rootKeys: [owner] }), 'widened-link');
  assert.equal(await code(two(await link1(carrier, { weekly: [[63, 480, 1200]] })), { rootKeys: [owner] }), 'widened-link');
  assert.equal(await code(two(await link1(other, {})), { rootKeys: [owner] }), 'broken-chain');
  // An unknown porter claim (key 12), signed: unsupported, as the hub says.
  const kp = await porter.keypairFromSeed(fromHex(v.keys.owner.seed));
  const claims = cbor.decode(porter.grantClaims({ home: 'home-7f3a', exp: 1798761600, cti: new Uint8Array(16).fill(3),
    holder: fromHex(v.keys.carrier.public_key), purpose: 'delivery', entries: 5, depth: 1 }));
  claims.get(-65537).set(12, 1);
  const odd = porter.rootChain(await porter.sign1(kp.privateKey, kp.publicKey, porter.AAD.grant, cbor.encode(claims)));
  assert.equal(await code(odd, { rootKeys: [owner] }), 'unsupported');
  // A grant signed as a command (another AAD) is no grant.
  const asCmd = porter.rootChain(await porter.sign1(kp.privateKey, kp.publicKey, porter.AAD.command,
    porter.grantClaims({ home: 'home-7f3a', exp: 1798761600, cti: new Uint8Array(16).fill(3),
      holder: fromHex(v.keys.carrier.public_key), purpose: 'delivery', entries: 5, depth: 1 })));
  assert.equal(await code(asCmd, { rootKeys: [owner] }), 'bad-signature');
});

test('terms: a delegation in plain words, in the home\'s zone; what keeps porterd from using it', async () => {
  const terms = await load('terms.js');
  const g = vec('porter-grant-01.json');
  const owner = fromHex(g.keys.owner.public_key);
  const r = await porter.readChain(fromHex(g.chain), { rootKeys: [owner], home: 'home-7f3a' });
  const now = 1796115600;
  const rows = Object.fromEntries(terms.termsRows(r.leaf, { tz: 'Europe/Berlin', rootKid: r.rootKid, now })
    .map(([k, , t]) => [k, t]));
  assert.equal(rows.purpose, 'deliveries');
  assert.equal(rows.days, 'Mon–Fri 08:00–20:00 (Europe/Berlin)');
  assert.equal(rows.valid, 'from 1 Dec 2026, 01:00 Europe/Berlin until 1 Jan 2027, 01:00 Europe/Berlin');
  assert.match(rows.entries, /^50 in all/);
  assert.equal(rows.door, '90 s');
  assert.match(rows.camera, /^must be working/);
  assert.match(rows.alarm, /^stays armed/);
  assert.equal(rows.locks, 'front');
  assert.match(rows.depth, /^1 more time /);
  assert.equal(rows.token, '0102030405060708090a0b0c0d0e0f10');
  assert.match(rows.signed, new RegExp(`by owner key ${g.keys.owner.kid}$`));
  const lisbon = Object.fromEntries(terms.termsRows(r.leaf, { tz: 'Europe/Lisbon', rootKid: r.rootKid, now }).map(([k, , t]) => [k, t]));
  assert.match(lisbon.days, /not the home's zone \(Europe\/Lisbon\), so the hub refuses it/);
  assert.equal(lisbon.valid, 'from 1 Dec 2026, 00:00 Europe/Lisbon until 1 Jan 2027, 00:00 Europe/Lisbon');
  assert.match(Object.fromEntries(terms.termsRows(r.leaf, { tz: 'UTC', rootKid: 'x', now: 1798761600 }).map(([k, , t]) => [k, t])).valid,
    /\(EXPIRED\)$/);
  assert.equal(terms.daysText(127), 'every day');
  assert.equal(terms.daysText(65), 'Sat, Sun');
  assert.equal(terms.daysText(0b1010111), 'Mon, Tue, Thu, Sat, Sun');
  assert.equal(terms.daysText(0b0111110 | 1), 'Mon–Fri, Sun');
  assert.equal(terms.hhmm(1440), '24:00');
  assert.deepEqual(terms.unusable(r.leaf, { camera_required: true, alarm_bypass_required: true }, now), []);
  assert.deepEqual(terms.unusable(r.leaf, {}, 1798761600), ['it has expired']);
  assert.deepEqual(terms.unusable({ ...r.leaf, depth: 0, conditions: 2, camera: false }, { camera_required: true, alarm_bypass_required: false }, now),
    ['it may not be handed on to a courier (depth 0)', 'the home requires the camera and it does not']);
  assert.deepEqual(terms.unusable({ ...r.leaf, purpose: 'guest', alarm: false }, { camera_required: false }, now),
    ['its purpose is not delivery', 'the home requires the alarm bypass and it does not']);
});

test('a duress credential (11: true) is read; the marker anywhere else, or false, is refused', async () => {
  const v = vec('porter-chain-02.json');
  const kp = await porter.keypairFromSeed(fromHex(v.keys.owner.seed));
  assert.equal(cbor.decode(fromHex('f5')), true);
  assert.equal(toHex(cbor.encode(new Map([[11, true]]))), 'a10bf5');
  assert.throws(() => cbor.decode(fromHex('f4')), (e) => e.code === 'malformed');
  const grant = async (purpose, depth, mark, signer = kp) => {
    const c = cbor.decode(porter.grantClaims({ home: 'home-7f3a', exp: 1798761600, cti: new Uint8Array(16).fill(5),
      holder: fromHex(v.keys.carrier.public_key), purpose, depth, entries: purpose === 'delivery' ? 5 : undefined }));
    c.get(-65537).set(11, mark);
    return porter.sign1(signer.privateKey, signer.publicKey, porter.AAD.grant, cbor.encode(c));
  };
  const owner = kp.publicKey;
  const r = await porter.readChain(porter.rootChain(await grant('resident', 0, true)), { rootKeys: [owner] });
  assert.equal(r.leaf.duress, true);
  assert.equal(r.leaf.purpose, 'resident');
  assert.equal((await porter.chainSummary(porter.rootChain(await grant('resident', 0, true)), [owner])).purpose, 'resident');
  const code = async (bytes) => porter.readChain(bytes, { rootKeys: [owner] }).then(() => 'ok', (e) => e.code);
  assert.equal(await code(porter.rootChain(await grant('delivery', 1, true))), 'malformed');
  assert.equal(await code(porter.rootChain(await grant('resident', 1, true))), 'malformed');
  assert.equal(await code(porter.rootChain(await grant('resident', 0, 1))), 'malformed');
  // Below the owner's link: widened-link, even in an otherwise good chain.
  const carrier = await porter.keypairFromSeed(fromHex(v.keys.carrier.seed));
  const root = cbor.decode(porter.rootChain(await porter.grantLink({ sk: kp.privateKey, pk: kp.publicKey, home: 'home-7f3a',
    cti: new Uint8Array(16).fill(6), holder: carrier.publicKey, purpose: 'resident', depth: 1 })))[0];
  const child = cbor.decode(porter.grantClaims({ home: 'home-7f3a', cti: new Uint8Array(16).fill(7),
    holder: fromHex(v.keys.courier.public_key), purpose: 'resident', depth: 0 }));
  child.get(-65537).set(11, true);
  const link1 = await porter.sign1(carrier.privateKey, carrier.publicKey, porter.AAD.grant, cbor.encode(child));
  assert.equal(await code(cbor.encode([root, cbor.decode(link1)])), 'widened-link');
});

test('narrowingFault: each field of the delegation table, both ways', () => {
  const p = { home: 'h', purpose: 'delivery', depth: 1, locks: ['back', 'front'], entries: 50, nbf: 100, exp: 1000,
    conditions: 1, doorOpenMax: 90, windows: [[100, 500], [600, 900]], weekly: [[62, 480, 1200]], tz: 'Europe/Berlin' };
  const c = { ...p, depth: 0, locks: ['front'], entries: 1, nbf: 200, exp: 400, conditions: 3, doorOpenMax: 60,
    windows: [[600, 700]], weekly: [[2, 540, 720]] };
  assert.equal(porter.narrowingFault(p, c), null);
  const faults = {
    depth: { depth: 1 }, home: { home: 'x' }, purpose: { purpose: 'guest' }, locks: { locks: ['side'] },
    entries: { entries: 51 }, 'not-before': { nbf: 99 }, expiry: { exp: 1001 }, conditions: { conditions: 2 },
    'door-open max': { doorOpenMax: 91 }, windows: { windows: [[450, 550]] }, 'week-day intervals': { weekly: [[2, 400, 720]] },
  };
  for (const [want, change] of Object.entries(faults)) assert.equal(porter.narrowingFault(p, { ...c, ...change }), want, want);
  // Absent in the child where the parent restricts: wider.
  for (const [want, k] of [['locks', 'locks'], ['entries', 'entries'], ['not-before', 'nbf'], ['expiry', 'exp'],
    ['door-open max', 'doorOpenMax'], ['week-day intervals', 'weekly']])
    assert.equal(porter.narrowingFault(p, { ...c, [k]: null }), want, `${k} absent`);
  assert.equal(porter.narrowingFault(p, { ...c, tz: 'Europe/Lisbon' }), 'week-day intervals');
  // No windows in the child: [nbf, exp) must lie inside one parent window.
  assert.equal(porter.narrowingFault(p, { ...c, windows: null }), null);
  assert.equal(porter.narrowingFault(p, { ...c, windows: null, exp: 650 }), 'windows');
  // A parent without a restriction allows any.
  assert.equal(porter.narrowingFault({ ...p, locks: null, entries: null, windows: null, weekly: null, tz: null, doorOpenMax: null },
    { ...c, locks: null, entries: null, windows: null, weekly: null, tz: null, doorOpenMax: null }), null);
});
