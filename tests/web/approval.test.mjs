// An owner's answer to a hub's request (docs/alarm.md "Ask the owner"):
// the page's PT_ENV_APPROVAL against libporter's known-answer vector
// (tests/vectors/porter-approval-01.json, every input read from it), the
// inputs it refuses, and the words for every reason code of
// lib/core/err.c.
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
const { toHex, fromHex } = await load('util.js');
const cbor = await load('cbor.js');
const porter = await load('porter.js');
const words = await load('words.js');
const vec = (name) => JSON.parse(readFileSync(join(src, 'tests', 'vectors', name), 'utf8'));

const PORTER_CLAIM = -65537;

// The vector's inputs: its named fields where it has them, each checked
// against the claims it was signed over (so a renamed field cannot pass
// unnoticed, and nothing is taken from this file).
function inputs(v) {
  const c = cbor.decode(fromHex(v.claims));
  assert.ok(c instanceof Map && c.get(PORTER_CLAIM) instanceof Map, 'the vector\'s claims are a CWT map with the porter claim');
  const p = c.get(PORTER_CLAIM);
  const answers = { 1: 'approve', 2: 'deny' };
  const fromClaims = { home: c.get(3), iat: c.get(6), request: toHex(c.get(7)), answer: answers[p.get(1)],
    session: toHex(p.get(2)) };
  const named = { ...(v.inputs || {}), ...v };
  const pick = (k, alt) => {
    const x = named[k] ?? (alt && named[alt]);
    if (x === undefined || x === null || typeof x === 'object') return fromClaims[k];
    if (k === 'answer' && typeof x === 'number') return answers[x];
    assert.equal(String(x), String(fromClaims[k]), `the vector's ${k} is the one in its claims`);
    return k === 'iat' ? Number(x) : x;
  };
  if (named.op !== undefined) assert.equal(named.op, p.get(1), 'the vector\'s op is the one in its claims');
  return {
    seed: v.keys.owner.seed,
    home: pick('home', 'home_id'),
    iat: pick('iat'),
    request: pick('request', 'request_id'),
    session: pick('session', 'session_id'),
    answer: pick('answer'),
  };
}

test('PT_ENV_APPROVAL is porter-approval-01.json byte for byte', async () => {
  const v = vec('porter-approval-01.json');
  const i = inputs(v);
  assert.equal(i.seed, '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
  const kp = await porter.keypairFromSeed(fromHex(i.seed));
  assert.equal(toHex(kp.publicKey), v.keys.owner.public_key);
  assert.equal(v.external_aad, 'porter/approval/v1');
  assert.equal(porter.AAD.approval, v.external_aad);
  const bytes = await porter.approvalEnvelope({ sk: kp.privateKey, pk: kp.publicKey, home: i.home,
    request: fromHex(i.request), session: fromHex(i.session), answer: i.answer, iat: i.iat });
  const p = porter.parseSign1(bytes);
  assert.equal(toHex(p.payload), v.claims);
  assert.equal(toHex(porter.sigStructure(p.protected, v.external_aad, p.payload)), v.sig_structure);
  assert.equal(toHex(p.signature), v.signature);
  assert.equal(toHex(bytes), v.cose_sign1);
  if (v.cose_sign1_len !== undefined) assert.equal(bytes.length, v.cose_sign1_len);
  assert.equal(await porter.verifySign1(bytes, kp.publicKey, porter.AAD.approval), true);
  // Its own AAD: the same bytes are no command and no revocation.
  assert.equal(await porter.verifySign1(bytes, kp.publicKey, porter.AAD.command), false);
  assert.equal(await porter.verifySign1(bytes, kp.publicKey, porter.AAD.revocation), false);
});

test('approval: signed through a signer function (the key worker) gives the same bytes', async () => {
  const v = vec('porter-approval-01.json');
  const i = inputs(v);
  const kp = await porter.keypairFromSeed(fromHex(i.seed));
  const { getSodium } = await load('sodium.js');
  const s = await getSodium();
  const seen = [];
  const sk = async (tbs) => {
    seen.push(tbs);
    return s.crypto_sign_detached(tbs, kp.privateKey);
  };
  const bytes = await porter.approvalEnvelope({ sk, pk: kp.publicKey, home: i.home, request: fromHex(i.request),
    session: fromHex(i.session), answer: i.answer, iat: i.iat });
  assert.equal(toHex(bytes), v.cose_sign1);
  assert.equal(seen.length, 1);
  assert.equal(toHex(seen[0]), v.sig_structure);
});

test('approval: approve and deny differ in the answer only; request and session go where the spec puts them', async () => {
  const kp = await porter.keypairFromSeed(fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'));
  const request = fromHex('a0a1a2a3a4a5a6a7a8a9aaabacadaeaf');
  const session = fromHex('b0b1b2b3b4b5b6b7b8b9babbbcbdbebf');
  const base = { sk: kp.privateKey, pk: kp.publicKey, home: 'home-7f3a', request, session, iat: 1796119200 };
  const claims = async (answer) => porter.parseSign1(await porter.approvalEnvelope({ ...base, answer })).claims;
  const a = await claims('approve');
  const d = await claims('deny');
  assert.deepEqual([...a.keys()], [3, 6, 7, PORTER_CLAIM]);
  assert.equal(a.get(3), 'home-7f3a');
  assert.equal(a.get(6), 1796119200);
  assert.equal(toHex(a.get(7)), toHex(request));
  assert.deepEqual([...a.get(PORTER_CLAIM).entries()].map(([k, x]) => [k, x instanceof Uint8Array ? toHex(x) : x]),
    [[1, 1], [2, toHex(session)]]);
  assert.equal(d.get(PORTER_CLAIM).get(1), 2);
  assert.equal(toHex(d.get(PORTER_CLAIM).get(2)), toHex(session));
  // iat defaults to now.
  const t0 = Math.floor(Date.now() / 1000);
  const now = porter.parseSign1(await porter.approvalEnvelope({ ...base, iat: undefined, answer: 'deny' })).claims.get(6);
  assert.ok(now >= t0 && now <= Math.floor(Date.now() / 1000), `iat ${now} is now`);
});

test('approval: inputs refused', async () => {
  const kp = await porter.keypairFromSeed(fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'));
  const base = { sk: kp.privateKey, pk: kp.publicKey, home: 'home-7f3a', iat: 1796119200, answer: 'approve',
    request: new Uint8Array(16).fill(1), session: new Uint8Array(16).fill(2) };
  await assert.doesNotReject(porter.approvalEnvelope(base));
  for (const answer of [undefined, '', 'yes', 'Approve', 1, 2, 'constructor', '__proto__', 'toString', null])
    await assert.rejects(porter.approvalEnvelope({ ...base, answer }), /answer/, `answer ${String(answer)}`);
  for (const bad of [undefined, null, new Uint8Array(15), new Uint8Array(17), new Uint8Array(32),
    'a0a1a2a3a4a5a6a7a8a9aaabacadaeaf', Array(16).fill(0)]) {
    await assert.rejects(porter.approvalEnvelope({ ...base, request: bad }), /request/);
    await assert.rejects(porter.approvalEnvelope({ ...base, session: bad }), /session/);
  }
  for (const home of ['', '.x', 'a b', 'x'.repeat(65), undefined])
    await assert.rejects(porter.approvalEnvelope({ ...base, home }), /aud/);
  for (const iat of [-1, 1.5, 253402300800, '1796119200'])
    await assert.rejects(porter.approvalEnvelope({ ...base, iat }), /iat/);
  await assert.rejects(porter.approvalEnvelope({ ...base, sk: async () => new Uint8Array(10) }), /no signature/);
});

test('words: every reason code of lib/core/err.c, with its text', () => {
  const c = readFileSync(join(src, 'lib', 'core', 'err.c'), 'utf8');
  const table = c.slice(c.indexOf('table[PT_ERR_COUNT_]'));
  const rows = [...table.matchAll(/\[(\d+)\]\s*=\s*\{\s*"([^"]+)",\s*"((?:[^"\\]|\\.)*)"/g)];
  const count = Number(/PT_ERR_COUNT_\s*=\s*(\d+)/.exec(readFileSync(join(src, 'include', 'porter', 'err.h'), 'utf8'))[1]);
  assert.equal(rows.length, count, 'err.c has a row for every value of enum pt_err');
  for (const [, , code, text] of rows) assert.equal(words.reasonText(code), text, `the words for ${code}`);
  assert.equal(words.reasonText('owner-asked'), 'the owner has been asked to let you in: try again once they answer');
  assert.equal(words.reasonText('owner-denied'), 'the owner refused this entry');
});

test('words: the ask-the-owner, duress and panic events and alerts', () => {
  for (const t of ['alert.duress', 'alert.panic', 'panic.refuse', 'alert.approval-request', 'approval.answer',
    'approval.refuse', 'approval.relayed', 'duress', 'panic', 'approval-request']) {
    const w = words.eventText(t);
    assert.ok(w && w !== t && w !== t.replace('alert.', '').replaceAll(/[.-]/g, ' '), `${t} has words of its own (${w})`);
  }
  assert.equal(words.eventText('alert.approval-request'), words.eventText('approval-request'));
  assert.equal(words.isAlert({ id: 1, type: 'alert.approval-request' }, new Set()), true);
});
