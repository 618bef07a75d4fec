// The page's reader of signed revocations (web/src/revocation.js
// openRevocation, as lib/core/envelope.c pt_envelope_verify reads a
// PT_ENV_REVOCATION): tests/vectors/porter-revocation-01.json verifies and
// is made byte for byte; every bit flip and truncation, another AAD (the
// other kinds' vectors), another home, over 512 bytes, trailing bytes, no
// tag and correctly signed claims that break a rule are refused. And the
// paging of GET .../revocations (fetchRevocations), which fails rather
// than answer short. The walk with revocations: camtrust.test.mjs.
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
const { toHex, fromHex, toB64url, concat } = await load('util.js');
const cbor = await load('cbor.js');
const porter = await load('porter.js');
const rev = await load('revocation.js');
const vec = (name) => JSON.parse(readFileSync(join(src, 'tests', 'vectors', name), 'utf8'));

const HOME = 'home-7f3a';
const v = vec('porter-revocation-01.json');
const NOW = v.verify[0].now;
const bytes = fromHex(v.cose_sign1);
const owner = fromHex(v.keys.owner.public_key);
const rejects = (p, code) => assert.rejects(p, (e) => e instanceof porter.TrustError && (code === undefined || e.code === code),
  `expected TrustError ${code}`);
const ownerKp = await porter.keypairFromSeed(fromHex(v.keys.owner.seed));
const sk = ownerKp.privateKey;
const pk = ownerKp.publicKey;
const nonce = fromHex('3132333435363738393a3b3c3d3e3f40');
// Claims as the C signer writes them, fields overridden (null: left out).
const claims = (f = {}, p = {}) => {
  const pc = new Map(Object.entries({ 1: 2, 2: new Uint8Array(32).fill(9), ...p }).filter(([, x]) => x !== null).map(([k, x]) => [Number(k), x]));
  const m = new Map(Object.entries({ 3: HOME, 6: NOW, 7: nonce, ...f }).filter(([, x]) => x !== null).map(([k, x]) => [Number(k), x]));
  m.set(-65537, pc);
  return cbor.encode(m);
};
const signed = (payload, aad = porter.AAD.revocation) => porter.sign1(sk, pk, aad, payload);

test('porter-revocation-01.json: verifies, reads, and is made byte for byte', async () => {
  assert.equal(bytes.length, v.cose_sign1_len);
  assert.equal(porter.AAD.revocation, v.external_aad);
  const r = await rev.openRevocation(bytes, [new Uint8Array(32).fill(1), owner], HOME, NOW);
  assert.equal(r.signer, 1);
  assert.equal(r.kid, v.keys.owner.kid);
  assert.equal(r.kind, rev.REVOKE_TOKEN);
  assert.equal(toHex(r.target), '1112131415161718191a1b1c1d1e1f20');
  assert.equal(r.iat, 1796117400);
  assert.equal(toHex(r.nonce), toHex(nonce));
  // Any age (the hub's UINT32_MAX skew): ten years on, still a revocation.
  assert.equal((await rev.openRevocation(bytes, [owner], HOME, NOW + 86400 * 3650)).kind, 1);
  // The same bytes from the page's signer.
  const made = await porter.revocationEnvelope({ sk, pk, home: HOME, tokenId: fromHex('1112131415161718191a1b1c1d1e1f20'),
    iat: 1796117400, nonce });
  assert.equal(toHex(made), v.cose_sign1);
  // A key revocation: kind 2, the key; as long as an owner statement (the
  // same layout, {1: uint, 2: bstr(32)}): 164 bytes for this home.
  const target = (await porter.keypairFromSeed(new Uint8Array(32).fill(5))).publicKey;
  const kr = await porter.revocationEnvelope({ sk, pk, home: HOME, key: target, iat: NOW, nonce });
  assert.equal(kr.length, vec('porter-owner-01.json').cose_sign1_len);
  assert.equal(kr.length, 164);
  const k = await rev.openRevocation(kr, [owner], HOME, NOW);
  assert.equal(k.kind, rev.REVOKE_KEY);
  assert.equal(toHex(k.target), toHex(target));
});

test('revocation: every bit flipped and every truncation refused; trailing bytes, no tag, over 512 bytes', async () => {
  for (let i = 0; i < bytes.length; i++) {
    for (const bit of [0x01, 0x80]) {
      const b = bytes.slice();
      b[i] ^= bit;
      await rejects(rev.openRevocation(b, [owner], HOME, NOW));
    }
  }
  for (let n = 0; n < bytes.length; n++) await rejects(rev.openRevocation(bytes.subarray(0, n), [owner], HOME, NOW));
  await rejects(rev.openRevocation(concat(bytes, Uint8Array.of(0)), [owner], HOME, NOW), 'malformed');
  await rejects(rev.openRevocation(concat(bytes, bytes), [owner], HOME, NOW), 'malformed');
  await rejects(rev.openRevocation(bytes.subarray(1), [owner], HOME, NOW), 'malformed'); // untagged
  await rejects(rev.openRevocation(new Uint8Array(513), [owner], HOME, NOW), 'too-large');
  // 513 bytes whose first 147 are the vector: the size is checked first.
  const big = new Uint8Array(513);
  big.set(bytes);
  await rejects(rev.openRevocation(big, [owner], HOME, NOW), 'too-large');
  await rejects(rev.openRevocation('d284', [owner], HOME, NOW), 'malformed');
});

test('revocation: the signer, the AAD, the home, the age', async () => {
  await rejects(rev.openRevocation(bytes, [], HOME, NOW), 'untrusted-signer');
  await rejects(rev.openRevocation(bytes, [new Uint8Array(32).fill(1)], HOME, NOW), 'untrusted-signer');
  await rejects(rev.openRevocation(bytes, [owner], 'home-other', NOW), 'wrong-home-or-lock');
  // The other kinds, signed by the same key, are no revocation (another AAD).
  for (const name of ['porter-command-01.json', 'porter-owner-01.json', 'porter-approval-01.json']) {
    const o = vec(name);
    const b = fromHex(o.cose_sign1);
    await rejects(rev.openRevocation(b, [owner, fromHex(o.keys?.owner?.public_key || v.keys.owner.public_key)], HOME, NOW), 'bad-signature');
  }
  // These very claims under another AAD.
  const payload = fromHex(v.claims);
  for (const aad of [porter.AAD.owner, porter.AAD.approval, porter.AAD.command, 'porter/revocation/v2'])
    await rejects(rev.openRevocation(await signed(payload, aad), [owner], HOME, NOW), 'bad-signature');
  assert.equal(toHex(await signed(payload)), v.cose_sign1);
  // The age: no limit but the hub's, |now - iat| <= 2^32 - 1.
  const MAX = 0xffffffff;
  assert.equal((await rev.openRevocation(await signed(claims({ 6: NOW + MAX })), [owner], HOME, NOW)).iat, NOW + MAX);
  await rejects(rev.openRevocation(await signed(claims({ 6: NOW + MAX + 1 })), [owner], HOME, NOW), 'stale');
  assert.equal((await rev.openRevocation(await signed(claims({ 6: 0 })), [owner], HOME, NOW)).iat, 0);
});

test('revocation: correctly signed claims that break a rule are refused', async () => {
  const ok = await rev.openRevocation(await signed(claims()), [owner], HOME, NOW);
  assert.equal(ok.kind, 2);
  assert.equal((await rev.openRevocation(await signed(claims({}, { 1: 1, 2: new Uint8Array(16) })), [owner], HOME, NOW)).kind, 1);
  const bad = [
    [{}, { 1: 1 }], // token with 32 bytes
    [{}, { 2: new Uint8Array(16) }], // key with 16
    [{}, { 2: new Uint8Array(31) }], [{}, { 2: new Uint8Array(33) }], [{}, { 2: new Uint8Array(0) }],
    [{}, { 1: 0 }], [{}, { 1: 3 }], [{}, { 1: 256 }], [{}, { 1: -2 }], [{}, { 1: 'key' }],
    [{}, { 2: 'a key' }], [{}, { 2: null }], [{}, { 1: null }], [{}, { 3: 1 }],
    [{ 3: 'not an id!' }], [{ 3: '.dot' }], [{ 3: '' }], [{ 3: 7 }], [{ 3: null }],
    [{ 6: 253402300800 }], [{ 6: -1 }], [{ 6: null }], [{ 6: 'now' }],
    [{ 7: new Uint8Array(15) }], [{ 7: new Uint8Array(17) }], [{ 7: null }],
    [{ 4: NOW + 60 }], [{ 1: 'x' }], [{ 8: 1 }],
  ];
  for (const [f, p] of bad) await rejects(rev.openRevocation(await signed(claims(f, p)), [owner], HOME, NOW), 'malformed');
  // Not a map, a tagged map, the claims not deterministic (keys out of order).
  await rejects(rev.openRevocation(await signed(cbor.encode([HOME])), [owner], HOME, NOW), 'malformed');
  await rejects(rev.openRevocation(await signed(cbor.encode(new cbor.Tagged(61, new Map([[3, HOME]])))), [owner], HOME, NOW), 'malformed');
  const good = claims();
  const swapped = concat(Uint8Array.of(0xa4), good.subarray(12, 14 + 4), good.subarray(1, 12), good.subarray(18));
  assert.equal(swapped.length, good.length);
  await rejects(rev.openRevocation(await signed(swapped), [owner], HOME, NOW), 'malformed');
  // The payload with a byte after it.
  await rejects(rev.openRevocation(await signed(concat(good, Uint8Array.of(0))), [owner], HOME, NOW), 'malformed');
});

test('fetchRevocations: every page, until an empty one; fails rather than answer short', async () => {
  const env = toB64url(bytes);
  const pages = [
    { version: 2, revocations: [{ version: 1, revocation: env }, { version: 2, revocation: env }] },
    { version: 3, revocations: [{ version: 3, revocation: env }] },
    { version: 3, revocations: [] },
  ];
  const asked = [];
  const get = async (p) => {
    asked.push(p);
    return pages[asked.length - 1];
  };
  const items = await rev.fetchRevocations(get, 'home 1');
  assert.deepEqual(items.map((x) => x.version), [1, 2, 3]);
  assert.deepEqual(asked, ['/v1/homes/home%201/revocations?since=0', '/v1/homes/home%201/revocations?since=2',
    '/v1/homes/home%201/revocations?since=3']);
  assert.deepEqual(await rev.fetchRevocations(async () => ({ version: 0, revocations: [] }), HOME), []);
  // A page that cannot be read (porterd down, 403, 500), or is not a list: no answer at all.
  const fails = [
    async () => { throw new Error('HTTP 500'); },
    async () => null, async () => ({ revocations: [] }), async () => ({ version: 1, revocations: {} }),
    async () => ({ version: -1, revocations: [] }), async () => 'text',
  ];
  for (const f of fails) await assert.rejects(rev.fetchRevocations(f, HOME));
  let n = 0;
  const laterFail = async () => {
    if (n++ === 0) return pages[0];
    throw new Error('HTTP 503');
  };
  await assert.rejects(rev.fetchRevocations(laterFail, HOME));
  // A version that does not grow, and porterd paging forever.
  await assert.rejects(rev.fetchRevocations(async () => pages[0], HOME), /does not grow/);
  let ver = 0;
  await assert.rejects(rev.fetchRevocations(async () => ({ version: ++ver, revocations: [{}] }), HOME), /more than 256 pages/);
  // A page longer than porterd ever sends (1024): refused, as the CLI does.
  await assert.rejects(rev.fetchRevocations(async () => ({ version: 1, revocations: new Array(1025).fill({}) }), HOME), /too long/);
  assert.equal((await rev.fetchRevocations(async (p) => (p.endsWith('since=0') ? { version: 1, revocations: new Array(1024).fill({}) } : { version: 1, revocations: [] }), HOME)).length, 1024);
});

test('keyRevocations: only verified key revocations by the signers given; the first of each key kept', async () => {
  const a = await porter.keypairFromSeed(new Uint8Array(32).fill(11));
  const b = await porter.keypairFromSeed(new Uint8Array(32).fill(12));
  const t1 = new Uint8Array(32).fill(1);
  const t2 = new Uint8Array(32).fill(2);
  const mk = (s, target, home = HOME, iat = NOW) => porter.revocationEnvelope({ sk: s.privateKey, pk: s.publicKey, home, key: target, iat, nonce });
  const items = [
    { version: 1, revocation: toB64url(bytes) }, // a token revocation
    { version: 2, revocation: toB64url(await mk(b, t1)) }, // by b, not a signer
    { version: 3, revocation: toB64url(await mk(a, t1, 'home-other')) },
    { version: 4, revocation: '!!' }, { version: 5, revocation: 7 }, { version: 6 }, null,
    { version: 7, revocation: 'A'.repeat(684) },
    { version: 8, revocation: toB64url(await mk(a, t2, HOME, NOW - 100)) },
    { version: 9, revocation: toB64url(await mk(a, t2, HOME, NOW)) },
  ];
  const got = await rev.keyRevocations({ home: HOME, items, signers: [owner, a.publicKey], now: NOW });
  assert.deepEqual([...got.keys()], [toHex(t2)]);
  const r = got.get(toHex(t2));
  assert.equal(r.version, 8);
  assert.equal(r.iat, NOW - 100);
  assert.equal(r.by, toHex(await porter.kid(a.publicKey)));
  assert.equal(rev.revokedText(r), `by owner key ${r.by} (revocation version 8, signed ${new Date((NOW - 100) * 1000).toISOString().replace('.000Z', 'Z')})`);
  assert.equal((await rev.keyRevocations({ home: HOME, items: 'junk', signers: [a.publicKey], now: NOW })).size, 0);
});
