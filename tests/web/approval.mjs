// The browser half of web-approval (tests/web/approval.sh sets up
// mosquitto, porterd serving the app, the owner Ana with her CLI key and
// porterd_mqtt_peer paired as the hub). Here: Debian's chromium driven by
// playwright-core signs in as Ana, makes a browser key, has it endorsed
// with Ana's key (porter key endorse), then the hub reports requests for
// an owner's approval (alert.approval-request, docs/alarm.md "Ask the
// owner"): each is shown in words with its expiry; an expired one and one
// porterd's data cannot describe have no Approve or Deny; Approve and Deny
// unlock the key, ask again, sign a PT_ENV_APPROVAL for exactly that request
// and session, and porterd relays it on porter/v1/hub/<id>/approval,
// where mosquitto_sub (as the hub) reads the very bytes the page posted.
// TAP on stdout. Usage: node approval.mjs ARTIFACTS (environment from
// approval.sh: PORTER_BIN, PORTER_PEER, PORTER_URL, PORTER_HOME,
// PORTER_HUB, PORTER_T, PORTER_MPORT, PORTER_EMAIL, PORTER_MEMBER,
// PORTER_PASS: the owner's and the member's e-mail, their password).

import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { webcrypto } from 'node:crypto';

if (!globalThis.crypto) globalThis.crypto = webcrypto;
const here = dirname(fileURLToPath(import.meta.url));
const SRC = resolve(here, '..', '..');
const ART = resolve(process.argv[2] || 'web-approval-artifacts');
const E = process.env;
const CHROMIUM = E.PORTER_CHROMIUM || '/usr/bin/chromium';
const [PORTER, PEER, BASE, HOME, HUB, T, MPORT, EMAIL, PASSWORD] = ['PORTER_BIN', 'PORTER_PEER', 'PORTER_URL',
  'PORTER_HOME', 'PORTER_HUB', 'PORTER_T', 'PORTER_MPORT', 'PORTER_EMAIL', 'PORTER_PASS'].map((k) => E[k]);
const MEMBER = E.PORTER_MEMBER;
const PASSPHRASE = 'approval passphrase 1';

let n = 0;
let failed = 0;
const log = (s) => process.stdout.write(String(s).split('\n').map((l) => `# ${l}`).join('\n') + '\n');
function ok(cond, what, detail) {
  n++;
  if (cond) process.stdout.write(`ok ${n} - ${what}\n`);
  else {
    failed++;
    process.stdout.write(`not ok ${n} - ${what}\n`);
    if (detail !== undefined) log(typeof detail === 'string' ? detail : JSON.stringify(detail));
  }
  return !!cond;
}
function bail(why) {
  process.stdout.write(`Bail out! ${why}\n`);
  throw new Error(why);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(secs, fn) {
  const end = Date.now() + secs * 1000;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch {
      /* not yet */
    }
    if (Date.now() > end) return null;
    await sleep(200);
  }
}

let chromium;
try {
  ({ chromium } = await import(pathToFileURL(join(SRC, 'web', 'node_modules', 'playwright-core', 'index.mjs')).href));
} catch {
  bail('web/node_modules/playwright-core is missing (scripts/web.sh runs npm ci)');
}
const webDir = join(T, 'web');
const load = (m) => import(pathToFileURL(join(webDir, m)).href);
const { toHex, fromHex, fromB64url } = await load('util.js');
const porter = await load('porter.js');

const cli = (args) => execFileSync(PORTER, args, { env: { ...E, PORTER_CONFIG: join(T, 'ana.conf') },
  encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20000 });
const COMMON = ['--broker', `127.0.0.1:${MPORT}`, '--user', HUB, '--pass-file', join(T, `${HUB}.pw`), '--id', HUB];
// The hub reports events: the peer's deterministic chain, continued (each
// batch names every event replaced so far, so the chain stays the same).
const reported = [];
function hubReports(...events) {
  const from = reported.length + 1;
  reported.push(...events);
  const args = ['batch', ...COMMON, '--key', join(T, 'hub.key'), '--from', String(from), '--to', String(reported.length)];
  reported.forEach(([type, data], i) => args.push('--event', `${i + 1}:${type}:${JSON.stringify(data)}`));
  execFileSync(PEER, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20000 });
}

// What porterd sends down the hub's approval topic, read as the hub.
let sub = null;
const relayed = [];
let subscribed = false;
function listen() {
  // stdbuf: mosquitto_sub's debug lines (SUBACK) are not flushed to a pipe.
  sub = spawn('stdbuf', ['-oL', 'mosquitto_sub', '-h', '127.0.0.1', '-p', MPORT, '-u', HUB, '-P', readFileSync(join(T, `${HUB}.pw`), 'utf8').trim(),
    '-i', `approval-test-${process.pid}`, '-q', '1', '-d', '-F', 'payload %x', '-t', `porter/v1/hub/${HUB}/approval`],
  { stdio: ['ignore', 'pipe', 'pipe'] });
  let buf = '';
  sub.stdout.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (/received SUBACK/.test(line)) subscribed = true;
      const m = /^payload ([0-9a-f]*)$/.exec(line);
      if (m) relayed.push(m[1]);
    }
  });
}

let browser = null;
async function main() {
  listen();
  ok(await until(10, () => subscribed), 'mosquitto_sub, as the hub, is subscribed to its approval topic');
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
  const page = await ctx.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 401/.test(m.text())) pageErrors.push(m.text());
  });
  const posted = []; // [{path, body}] of the page's POSTs to .../approvals
  page.on('request', (r) => {
    if (r.method() === 'POST' && /\/v1\/homes\/[^/]+\/approvals$/.test(new URL(r.url()).pathname))
      posted.push({ path: new URL(r.url()).pathname, body: r.postData() });
  });
  const tid = (id) => page.locator(`[data-testid="${id}"]`);
  mkdirSync(ART, { recursive: true });
  const shot = async (name) => {
    await page.screenshot({ path: join(ART, `${name}.png`), fullPage: true });
    const sw = await page.evaluate(() => document.documentElement.scrollWidth);
    ok(sw <= 390, `${name}: nothing wider than the 390 px screen (scrollWidth ${sw})`);
  };

  // Sign in; a browser key, endorsed by Ana's key.
  await page.goto(`${BASE}/app/`);
  await tid('signin-email').fill(EMAIL);
  await tid('signin-password').fill(PASSWORD);
  await tid('signin-submit').click();
  ok(await page.locator(`[data-testid="home"][data-home="${HOME}"]`).waitFor({ timeout: 15000 }).then(() => true, () => false),
    'signed in: the homes page lists the home');
  await tid('nav-keys').click();
  await tid('key-new-passphrase').fill(PASSPHRASE);
  await tid('key-new-passphrase2').fill(PASSPHRASE);
  await tid('key-create').click();
  await tid('key-public').waitFor({ timeout: 30000 });
  const PK = (await tid('key-public').textContent()).trim();
  const pk = fromB64url(PK);
  try {
    cli(['key', 'endorse', '--key', join(T, 'owner.key'), '--home', HOME, '--public-key', PK, '--label', 'approval browser']);
    ok(true, 'a browser key, endorsed with porter key endorse');
  } catch (e) {
    ok(false, 'a browser key, endorsed with porter key endorse', e.stderr || e.message);
  }

  // The hub asks: one request open for 5 minutes, one already expired,
  // one whose ids porterd's data does not give in full.
  const now = Math.floor(Date.now() / 1000);
  const R1 = 'a1a2a3a4a5a6a7a8a9aaabacadaeaf10';
  const S1 = 'b1b2b3b4b5b6b7b8b9babbbcbdbebf10';
  const R2 = 'a1a2a3a4a5a6a7a8a9aaabacadaeaf20';
  const S2 = 'b1b2b3b4b5b6b7b8b9babbbcbdbebf20';
  const ask = (request, session, expires, more = {}) => ['alert.approval-request', { request, session, token: session,
    lock: 'front', purpose: 'delivery', alarm: 'armed_away', expires, ...more }];
  hubReports(ask(R1, S1, now + 300), ask(R2, S2, now - 60), ask('a1a2', 'zz', now + 300));
  const openAlerts = async () => page.evaluate(async (home) =>
    (await (await fetch(`/v1/homes/${home}/alerts?open=true&limit=200`)).json()).alerts, HOME);
  ok(await until(15, async () => (await openAlerts()).filter((a) => a.type === 'approval-request').length === 3),
    'porterd raised three approval-request alerts', await openAlerts().catch((e) => e.message));

  // The home page, the key locked (a reload ends its worker).
  await page.goto(`${BASE}/app/#/homes/${HOME}`);
  await page.reload();
  const box1 = page.locator(`[data-testid="approval"][data-request="${R1}"]`);
  const box2 = page.locator(`[data-testid="approval"][data-request="${R2}"]`);
  ok(await box1.waitFor({ timeout: 15000 }).then(() => true, () => false), 'the home page shows the open request');
  const q1 = await box1.locator('[data-testid="approval-question"]').textContent();
  ok(q1 === 'A delivery credential at lock front cannot get the alarm\'s entry zone bypassed (panel: armed_away). ' +
    'Let it in anyway? The alarm will not be disarmed or bypassed: an armed panel will see the door open.',
  'what is asked, in plain words: who, where, the panel\'s state, and that the alarm stays as it is', q1);
  ok((await box1.locator('[data-testid="approval-ids"]').textContent()).includes(S1), 'the credential (session id) is shown');
  const exp1 = await box1.locator('[data-testid="approval-expiry"]').textContent();
  ok(/^Answer before ./.test(exp1) && await box1.getAttribute('data-state') === 'open', 'with its expiry time', exp1);
  ok(await box1.locator('[data-testid="approval-approve"]').count() === 1 &&
    await box1.locator('[data-testid="approval-deny"]').count() === 1, 'Approve and Deny');
  ok(await box2.getAttribute('data-state') === 'expired' &&
    /expired/.test(await box2.locator('[data-testid="approval-expiry"]').textContent()) &&
    await box2.locator('[data-testid="approval-approve"], [data-testid="approval-deny"]').count() === 0,
  'the expired request shows as expired, without Approve or Deny', await box2.textContent().catch(() => ''));
  const bad = page.locator('[data-testid="approval"][data-request=""]');
  ok(await bad.count() === 1 && await bad.locator('[data-testid="approval-unreadable"]').count() === 1 &&
    await bad.locator('[data-testid="approval-approve"]').count() === 0,
  'a request porterd does not give in full cannot be answered', await bad.textContent().catch(() => ''));
  await shot('01-asked');

  // A member sees what is asked, and cannot answer.
  const mctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const mpage = await mctx.newPage();
  await mpage.goto(`${BASE}/app/`);
  await mpage.locator('[data-testid="signin-email"]').fill(MEMBER);
  await mpage.locator('[data-testid="signin-password"]').fill(PASSWORD);
  await mpage.locator('[data-testid="signin-submit"]').click();
  await mpage.locator(`[data-testid="home"][data-home="${HOME}"]`).waitFor({ timeout: 15000 }).catch(() => {});
  await mpage.goto(`${BASE}/app/#/homes/${HOME}`);
  const mbox = mpage.locator(`[data-testid="approval"][data-request="${R1}"]`);
  ok(await mbox.waitFor({ timeout: 15000 }).then(() => true, () => false) &&
    (await mbox.locator('[data-testid="approval-question"]').textContent()) === q1 &&
    await mbox.locator('[data-testid="approval-approve"], [data-testid="approval-deny"]').count() === 0 &&
    (await mbox.textContent()).includes('Only the home\'s owners can answer.') &&
    await mbox.locator('[data-testid="alert-ack"]').count() === 1,
  'a member sees the request in the same words, with no Approve or Deny', await mbox.textContent().catch(() => ''));
  await mctx.close();

  // Approve: the passphrase, a second confirmation, then the signature.
  ok(posted.length === 0, 'nothing posted yet');
  await box1.locator('[data-testid="approval-approve"]').click();
  await box1.locator('[data-testid="approval-passphrase"]').waitFor({ timeout: 5000 });
  ok(posted.length === 0, 'Approve with the key locked asks for its passphrase first, nothing sent');
  await box1.locator('[data-testid="approval-passphrase"]').fill(PASSPHRASE);
  await box1.locator('[data-testid="approval-key-unlock"]').click();
  const confirm = box1.locator('[data-testid="approval-confirm"]');
  ok(await confirm.waitFor({ timeout: 30000 }).then(() => true, () => false) &&
    await confirm.getAttribute('data-answer') === 'approve' && posted.length === 0,
  'then a second, explicit confirmation; nothing sent before it',
  await box1.locator('[data-testid="approval-key-error"]').textContent().catch(() => ''));
  ok(await page.locator('[data-testid="key-box"] [data-testid="key-state"][data-value="unlocked"]').count() === 1 &&
    await tid('key-passphrase').count() === 0, 'the home page\'s key box now says the key is unlocked');
  await shot('02-confirm');
  await confirm.click();
  const res1 = box1.locator('[data-testid="approval-result"]');
  const outcome1 = await until(20, async () => {
    const v = await res1.getAttribute('data-value');
    return v === 'sent' || v === 'error' ? v : null;
  });
  const text1 = await res1.textContent();
  ok(outcome1 === 'sent' && text1 === 'approval sent to 1 hub', 'porterd relays it: "approval sent to 1 hub"', text1);
  ok(await until(10, async () => !(await openAlerts()).some((a) => a.data && a.data.request === R1)),
    'and the alert is acknowledged');
  await shot('03-sent');

  // The bytes: what the page posted is a PT_ENV_APPROVAL by the browser
  // key for exactly that request and session; porterd relayed those bytes.
  const checkEnvelope = async (b64, request, session, answer) => {
    const bytes = fromB64url(b64);
    const p = porter.parseSign1(bytes);
    const pc = p.claims.get(-65537);
    return await porter.verifySign1(bytes, pk, porter.AAD.approval) && p.claims.get(3) === HOME &&
      toHex(p.claims.get(7)) === request && pc instanceof Map && pc.size === 2 && pc.get(1) === answer &&
      toHex(pc.get(2)) === session && Math.abs(p.claims.get(6) - Math.floor(Date.now() / 1000)) < 600;
  };
  let body1 = null;
  try {
    body1 = JSON.parse(posted[0].body);
  } catch { /* checked below */ }
  ok(posted.length === 1 && posted[0].path === `/v1/homes/${HOME}/approvals` && body1 && Object.keys(body1).join() === 'approval' &&
    await checkEnvelope(body1.approval, R1, S1, 1),
  'the page posted {"approval": ...}: signed by the browser key (AAD porter/approval/v1), home, nonce = the request, {1: 1, 2: the session}',
  posted);
  ok(await until(10, () => relayed.length >= 1) && body1 && relayed[0] === toHex(fromB64url(body1.approval)),
    'the hub receives those very bytes on porter/v1/hub/<id>/approval', relayed);
  const events = async () => page.evaluate(async (home) =>
    (await (await fetch(`/v1/homes/${home}/events?limit=200`)).json()).events, HOME);
  ok(await until(10, async () => (await events()).some((e) => e.type === 'approval.relayed')),
    'porterd records approval.relayed', (await events().catch(() => [])).map((e) => e.type));

  // A request that comes while the page is open (the stream), without an
  // expiry (the hub's clock not trusted): Deny, the key still unlocked.
  const R3 = 'a1a2a3a4a5a6a7a8a9aaabacadaeaf30';
  const S3 = 'b1b2b3b4b5b6b7b8b9babbbcbdbebf30';
  const R4 = 'a1a2a3a4a5a6a7a8a9aaabacadaeaf40';
  hubReports(ask(R3, S3, null, { purpose: 'guest', lock: 'back' }),
    ask(R4, 'b1b2b3b4b5b6b7b8b9babbbcbdbebf40', Math.floor(Date.now() / 1000) + 20));
  const box4 = page.locator(`[data-testid="approval"][data-request="${R4}"]`);
  const box3 = page.locator(`[data-testid="approval"][data-request="${R3}"]`);
  if (ok(await box3.waitFor({ timeout: 15000 }).then(() => true, () => false), 'a new request appears on the open page (the stream)',
    { open: await openAlerts().catch((e) => e.message), events: (await events().catch(() => [])).map((e) => `${e.id} ${e.type}`),
      section: await tid('approvals').textContent().catch(() => '') })) {
    ok((await box3.locator('[data-testid="approval-question"]').textContent()).startsWith('A guest credential at lock back ') &&
      /no expiry time/.test(await box3.locator('[data-testid="approval-expiry"]').textContent()),
    'without an expiry time, said so', await box3.textContent());
    await box3.locator('[data-testid="approval-deny"]').click();
    const confirm3 = box3.locator('[data-testid="approval-confirm"]');
    ok(await confirm3.waitFor({ timeout: 5000 }).then(() => true, () => false) && await confirm3.getAttribute('data-answer') === 'deny' &&
      await box3.locator('[data-testid="approval-passphrase"]').count() === 0,
    'Deny, the key unlocked: straight to the confirmation');
    await confirm3.click();
    const res3 = box3.locator('[data-testid="approval-result"]');
    await until(20, async () => ['sent', 'error'].includes(await res3.getAttribute('data-value')));
    ok(await res3.textContent() === 'denial sent to 1 hub', 'the denial is relayed', await res3.textContent());
    let body3 = null;
    try {
      body3 = JSON.parse(posted[1].body);
    } catch { /* checked below */ }
    ok(posted.length === 2 && body3 && await checkEnvelope(body3.approval, R3, S3, 2),
      'the denial: {1: 2, 2: the session}, nonce = that request', posted);
    ok(await until(10, () => relayed.length >= 2) && body3 && relayed[1] === toHex(fromB64url(body3.approval)),
      'and the hub receives it', relayed);
  }

  // R4 came with 20 s to answer: shown open, then expired on the open page.
  const open4 = await box4.getAttribute('data-state').catch(() => null);
  ok(open4 === 'open' || open4 === 'expired', `the request with 20 s to answer is shown (${open4})`);
  ok(await until(60, async () => await box4.getAttribute('data-state') === 'expired' &&
    await box4.locator('[data-testid="approval-approve"], [data-testid="approval-deny"]').count() === 0),
  'once its time is past, it shows as expired on the open page, without Approve or Deny', await box4.textContent().catch(() => ''));
  ok(!(await events()).some((e) => e.type === 'hub.event-fork' || e.type === 'hub.event-gap'),
    'the hub\'s events are one chain (no fork, no gap)');

  // The timeline tells it in words.
  await page.goto(`${BASE}/app/#/homes/${HOME}/timeline`);
  await tid('timeline').waitFor({ timeout: 10000 });
  const tl = await tid('timeline').textContent();
  ok(tl.includes('the hub asks an owner to let someone in') && tl.includes('an owner\'s answer sent to the hub — approved') &&
    tl.includes('an owner\'s answer sent to the hub — denied'),
    'the timeline: the request and the answer relayed, in words', tl.slice(0, 500));
  ok(await page.locator(`[data-testid="approval"][data-request="${R2}"][data-where="timeline"]`).count() === 1,
    'the expired request, still open, is in the timeline with its box');
  await shot('04-timeline');
  ok(pageErrors.length === 0, 'no script errors in the page', pageErrors);
}

try {
  await main();
} catch (e) {
  ok(false, 'the test ran to its end', e && e.stack ? e.stack : String(e));
} finally {
  try {
    if (browser) await browser.close();
  } catch { /* gone */ }
  if (sub) sub.kill();
}
process.stdout.write(`1..${n}\n`);
process.exit(failed ? 1 : 0);
