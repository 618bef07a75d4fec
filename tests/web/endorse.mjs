// web-endorse: an owner's second device enrolled from the page
// (docs/web-app.md "Endorsing another device's key"), against make run's
// whole stack (scripts/run.sh with this build's binaries: mosquitto,
// porterd, porter-hub with sim drivers, porter-cam when built) and two
// browser contexts of the owner in Debian's chromium: A, whose browser key
// the demo owner key endorsed (porter key endorse, as web-e2e does), and
// B, a fresh key. A refuses garbage, an invalid point, a key id that is not
// the key's, its own key and an existing owner key, posting nothing; a
// statement altered on its way (page.route) is refused by porterd and
// nothing changes; then A endorses B's key by keyboard: porterd stores it
// endorsed by A's key id, the hub says owner.add, and a remote unlock
// signed in B's page moves the sim bolt (refused before the endorsement).
// TAP output; screenshots in ARTIFACTS.
//
// Usage: node endorse.mjs BUILD_DIR ARTIFACTS_DIR   KEEP=1 keeps the temporary directory.

import { spawn, execFileSync } from 'node:child_process';
import { createServer as netServer } from 'node:net';
import { mkdtempSync, mkdirSync, readFileSync, existsSync, chmodSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { generateKeyPairSync, webcrypto } from 'node:crypto';

if (!globalThis.crypto) globalThis.crypto = webcrypto;
const here = dirname(fileURLToPath(import.meta.url));
const SRC = resolve(here, '..', '..');
const BUILD = resolve(process.argv[2] || join(SRC, 'build'));
const ART = resolve(process.argv[3] || join(BUILD, 'web-endorse-artifacts'));
const CHROMIUM = process.env.PORTER_CHROMIUM || '/usr/bin/chromium';
const PORTER = join(BUILD, 'porter');
const t0 = Date.now();

let n = 0;
let failed = 0;
const log = (s) => process.stdout.write(s.split('\n').map((l) => `# ${l}`).join('\n') + '\n');
function ok(cond, what, detail) {
  n++;
  if (cond) process.stdout.write(`ok ${n} - ${what}\n`);
  else {
    failed++;
    process.stdout.write(`not ok ${n} - ${what}\n`);
    if (detail !== undefined) log(String(detail));
  }
  return !!cond;
}
function skipAll(why) {
  process.stdout.write(`1..0 # SKIP ${why}\n`);
  process.exit(0);
}
function bail(why) {
  process.stdout.write(`Bail out! ${why}\n`);
  throw new Error(why);
}

for (const b of ['porter', 'porterd', 'porter-hub']) {
  if (!existsSync(join(BUILD, b))) skipAll(`${b} is not built`);
}
if (!['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto'].some((f) => existsSync(f)))
  skipAll('mosquitto is not installed (scripts/deps.sh)');
if (!existsSync(join(BUILD, 'web', 'index.html'))) bail(`${BUILD}/web has no app (scripts/web.sh)`);
if (!existsSync(CHROMIUM)) skipAll(`${CHROMIUM} is missing (scripts/deps.sh installs chromium)`);
let chromium;
try {
  ({ chromium } = await import(join(SRC, 'web', 'node_modules', 'playwright-core', 'index.mjs')));
} catch {
  bail('web/node_modules/playwright-core is missing (scripts/web.sh runs npm ci)');
}
// The app's own code, from the build, read here in node: the statements
// the page posted are parsed and verified with it.
const load = (m) => import(pathToFileURL(join(BUILD, 'web', m)).href);
const porter = await load('porter.js');
const { toHex } = await load('util.js');

function freePort() {
  return new Promise((res, rej) => {
    const s = netServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
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

const ports = new Set();
while (ports.size < 3) ports.add(await freePort());
const [HTTP, MQTT, LINK] = [...ports];
const T = mkdtempSync(join(tmpdir(), 'porter-web-endorse-'));
chmodSync(T, 0o711); // the camera's user (nobody, as root) passes through
const V = join(T, 'var');
mkdirSync(ART, { recursive: true });
const BASE = `http://127.0.0.1:${HTTP}`;

const outFile = join(T, 'run.out');
let runOut = '';
const env = { ...process.env, PORTER_VAR: V, PORTER_BUILD: BUILD, PORTER_HTTP_PORT: String(HTTP),
  PORTER_MQTT_PORT: String(MQTT), PORTER_LINK_PORT: String(LINK), PORTER_STOP_WAIT: '5' };
delete env.NOTIFY_SOCKET;
delete env.PORTER_CONFIG;
const run = spawn('sh', [join(SRC, 'scripts', 'run.sh')], { cwd: T, env, detached: true,
  stdio: ['ignore', 'pipe', 'pipe'] });
run.stdout.on('data', (d) => { runOut += d; });
run.stderr.on('data', (d) => { runOut += d; });
let runExited = false;
run.on('exit', () => { runExited = true; });

let browser = null;
async function cleanup() {
  try {
    if (browser) await browser.close();
  } catch { /* gone */ }
  if (!runExited) {
    try { process.kill(-run.pid, 'SIGTERM'); } catch { /* gone */ }
    await until(15, () => runExited);
    if (!runExited) try { process.kill(-run.pid, 'SIGKILL'); } catch { /* gone */ }
  }
  for (const f of ['porterd', 'hub', 'cam', 'mosquitto']) {
    try {
      const pid = parseInt(readFileSync(join(V, 'run', `${f}.pid`), 'utf8'), 10);
      if (pid > 1) process.kill(pid, 'SIGKILL');
    } catch { /* none */ }
  }
  writeFileSync(join(ART, 'run.out'), runOut);
  for (const f of ['porterd', 'hub']) {
    try {
      writeFileSync(join(ART, `${f}.log`), readFileSync(join(V, 'log', `${f}.log`)));
    } catch { /* none */ }
  }
  if (process.env.KEEP) log(`kept ${T} (${outFile})`);
  else rmSync(T, { recursive: true, force: true });
}

function cli(args) {
  return execFileSync(PORTER, args, { env: { ...process.env, PORTER_CONFIG: join(V, 'demo', 'client.conf') },
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20000 });
}
function simStatus() {
  try {
    return JSON.parse(cli(['sim', '--hub-control', join(V, 'hub', 'sim.sock'), 'status']).trim().split('\n').pop());
  } catch {
    return null;
  }
}
// A valid Ed25519 public key nobody in this test holds.
const someKey = () => Buffer.from(generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x, 'base64url');

async function main() {
  const ready = await until(100, () => /^run *\| ready$/m.test(runOut) || runExited);
  if (!ok(ready && !runExited, `scripts/run.sh is ready (${Math.round((Date.now() - t0) / 1000)} s)`,
    runOut.split('\n').slice(-40).join('\n'))) bail('the stack did not start');
  const HOME = readFileSync(join(V, 'demo', 'home.id'), 'utf8').trim();
  const EMAIL = readFileSync(join(V, 'demo', 'account'), 'utf8').trim();
  const PASSWORD = readFileSync(join(V, 'demo', 'owner.password'), 'utf8').trim();
  const HUB = JSON.parse(cli(['hub', 'list', '--home', HOME, '--json'])).hubs[0].id;
  log(`home ${HOME}, hub ${HUB}, porterd ${BASE}`);
  const call = async (method, path, body, token) => {
    const r = await fetch(`${BASE}${path}`, { method, headers: { ...(body ? { 'Content-Type': 'application/json' } : {}),
      ...(token ? { Authorization: `Bearer ${token}` } : {}) }, body: body ? JSON.stringify(body) : undefined });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  const tok = (await call('POST', '/v1/sessions', { email: EMAIL, password: PASSWORD })).token;
  const ownerKeys = async () => (await call('GET', `/v1/homes/${HOME}/owner-keys`, null, tok)).keys || [];
  const events = async () => (await call('GET', `/v1/homes/${HOME}/events?limit=200`, null, tok)).events || [];

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  const errors = [];
  let expectRefusals = false; // porterd's 400 to the altered statements
  const open = async (name) => {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
    const page = await ctx.newPage();
    page.on('pageerror', (e) => errors.push(`${name}: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of (401|403)/.test(m.text()) && !(expectRefusals && /status of 400/.test(m.text())))
        errors.push(`${name}: ${m.text()}`);
    });
    const tid = (id) => page.locator(`[data-testid="${id}"]`);
    const shot = async (file) => {
      await page.locator('#toast.show').waitFor({ state: 'hidden', timeout: 5000 }).catch(() => {});
      await page.screenshot({ path: join(ART, `${file}.png`), fullPage: true });
      const sw = await page.evaluate(() => document.documentElement.scrollWidth);
      ok(sw <= 390, `${file}: nothing wider than the 390 px screen (scrollWidth ${sw})`);
    };
    await page.goto(`${BASE}/`);
    await tid('signin-email').fill(EMAIL);
    await tid('signin-password').fill(PASSWORD);
    await tid('signin-password').press('Enter');
    await page.locator(`[data-testid="home"][data-home="${HOME}"]`).waitFor({ timeout: 15000 });
    return { ctx, page, tid, shot };
  };
  const makeKey = async ({ tid }, pass, label) => {
    await tid('nav-keys').click();
    await tid('key-new-passphrase').waitFor({ timeout: 10000 });
    await tid('key-label').fill(label);
    await tid('key-new-passphrase').fill(pass);
    await tid('key-new-passphrase2').fill(pass);
    await tid('key-create').click();
    await tid('key-public').waitFor({ timeout: 30000 });
    return { pk: (await tid('key-public').textContent()).trim(), kid: (await tid('key-id').textContent()).trim() };
  };

  // A: the owner's browser key, endorsed by the demo owner key (the CLI).
  const A = await open('A');
  const keyA = await makeKey(A, 'endorse passphrase A', 'A laptop');
  cli(['key', 'endorse', '--key', join(V, 'demo', 'owner.key'), '--home', HOME, '--public-key', keyA.pk, '--label', 'A laptop']);
  // B: the same owner on a new device (another browser context, so its
  // own IndexedDB), with a fresh key.
  const B = await open('B');
  const keyB = await makeKey(B, 'endorse passphrase B', 'B phone');
  ok(/^[A-Za-z0-9_-]{43}$/.test(keyB.pk) && keyB.kid === toHex(await porter.kid(Buffer.from(keyB.pk, 'base64url'))),
    `B's Keys page shows its public key and key id (${keyB.kid})`);
  const note = await B.tid('endorse-here-note').textContent();
  ok(note.includes('Endorse another device\'s key') && note.includes(keyB.kid),
    'B\'s Keys page says how to endorse it from another device, with its key id', note);
  ok(await B.page.locator(`[data-testid="endorse-status"][data-home="${HOME}"][data-value="unknown"]`)
    .waitFor({ timeout: 10000 }).then(() => true, () => false) && await B.tid('endorse-box').count() === 0,
  'B\'s key is not an owner key: no endorse form on B\'s page');

  // B before the endorsement: its Unlock is refused, the bolt stays.
  const sim0 = simStatus();
  await B.page.goto(`${BASE}/app/#/homes/${HOME}`);
  await B.page.locator('[data-testid="key-state"][data-value="unlocked"]').waitFor({ timeout: 10000 });
  const unlockB = async () => {
    await B.tid('unlock').click();
    await B.tid('unlock-confirm').click();
    return until(15, async () => {
      const v = await B.tid('command-result').getAttribute('data-value');
      return ['ok', 'refused', 'error'].includes(v) ? v : null;
    });
  };
  const before = await unlockB();
  ok(before !== 'ok' && sim0 && simStatus()?.lock === sim0.lock,
    `before the endorsement B's Unlock is refused (${before}: ${await B.tid('command-result').textContent()}) and the bolt stays ${sim0?.lock}`);

  // A's Keys page: the form to endorse another device's key.
  const posts = [];
  A.page.on('request', (r) => {
    if (r.method() === 'POST' && /\/v1\/homes\/[^/]+\/owner-keys$/.test(new URL(r.url()).pathname)) posts.push(r.postData());
  });
  await A.page.reload(); // the key locked: the page asks for it only to sign
  await A.page.goto(`${BASE}/app/#/keys`);
  const box = A.page.locator(`[data-testid="endorse-box"][data-home="${HOME}"]`);
  ok(await box.waitFor({ timeout: 10000 }).then(() => true, () => false),
    'A\'s key is an owner key: the Keys page offers "Endorse another device\'s key"');
  const keys0 = await ownerKeys();
  const demoKey = keys0.find((k) => k.public_key !== keyA.pk);
  const result = A.tid('endorse-result');
  const paste = async (text) => {
    await A.tid('endorse-key').fill(text);
    await A.tid('endorse-key').press('Enter');
    // (the submit sets data-value "checking" at once, so an earlier
    // refusal is not read as this one's)
    await until(10, async () => (await result.getAttribute('data-value')) === 'refused' ||
      (await A.tid('endorse-confirm').count()) > 0);
    return { value: await result.getAttribute('data-value'), reason: await result.getAttribute('data-reason'),
      text: await result.textContent(), confirm: await A.tid('endorse-confirm').count() };
  };
  const notPoint = Buffer.alloc(32);
  notPoint[0] = 1; // the identity: of small order
  const bad = [
    ['garbage', 'this is not a key', 'malformed', /not a public key|paste the public key/],
    ['a key cut short', keyB.pk.slice(0, 40), 'malformed', /43 characters/],
    ['a key of small order', notPoint.toString('base64url'), 'not-a-key', /not a valid Ed25519 public key/],
    ['B\'s key with A\'s key id', `${keyA.kid} ${keyB.pk}`, 'kid-mismatch', new RegExp(`${keyA.kid}.*not this key's \\(${keyB.kid}\\)`)],
    ['the browser\'s own key', keyA.pk, 'own', /this browser's own key/],
    ['an owner key of the home (the demo owner key)', demoKey.public_key, 'exists', /already an owner key of this home/],
  ];
  for (const [what, text, code, words] of bad) {
    const r = await paste(text);
    ok(r.value === 'refused' && r.reason === code && words.test(r.text) && r.text.startsWith('Not endorsed:') && !r.confirm,
      `${what} is refused in words (${code}) before any confirmation`, JSON.stringify(r));
    if (code === 'own') {
      ok(await A.page.evaluate(() => document.activeElement?.dataset.testid) === 'endorse-key' &&
        await result.getAttribute('role') === 'alert', 'the refusal is an alert and the focus is back in the field');
      await A.shot('01-endorse-refused');
    }
  }
  ok(posts.length === 0 && JSON.stringify(await ownerKeys()) === JSON.stringify(keys0),
    'nothing was posted for the refused keys; porterd\'s owner keys are unchanged', JSON.stringify(posts));

  // B's key id then its key: the confirmation, by keyboard.
  await A.tid('endorse-label').fill('B phone');
  const c = await paste(`${keyB.kid}\n${keyB.pk}`);
  const ctext = await A.tid('endorse-confirm-text').textContent().catch(() => '');
  ok(c.confirm === 1 && await A.tid('endorse-confirm-text').getAttribute('data-kid') === keyB.kid &&
    ctext.includes(`key id ${keyB.kid}`) && ctext.includes(HOME) && posts.length === 0,
  'B\'s key: the page asks, showing the key id to compare, and has sent nothing', ctext);
  ok(await A.page.evaluate(() => document.activeElement?.dataset.testid) === 'endorse-confirm',
    'the confirmation button has the focus');
  await A.shot('02-endorse-confirm');
  await A.page.keyboard.press('Enter');
  // A's key is locked (the reload): the page asks for it here.
  ok(await A.tid('endorse-passphrase').waitFor({ timeout: 5000 }).then(() => true, () => false) && posts.length === 0,
    'with the key locked the page asks for the passphrase, and has sent nothing');
  await A.tid('endorse-passphrase').fill('endorse passphrase A');
  await A.tid('endorse-passphrase').press('Enter');
  await A.tid('endorse-confirm').waitFor({ timeout: 20000 });

  // Altered on its way (page.route): porterd refuses, nothing changes.
  const ownerKeysUrl = `${BASE}/v1/homes/${HOME}/owner-keys`;
  expectRefusals = true;
  const altered = async (change) => {
    const handler = async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      const body = JSON.parse(route.request().postData());
      change(body);
      return route.continue({ postData: JSON.stringify(body) });
    };
    await A.page.route(ownerKeysUrl, handler);
    await A.tid('endorse-confirm').focus();
    await A.page.keyboard.press('Enter');
    await until(15, async () => (await result.getAttribute('data-value')) === 'refused');
    await A.page.unroute(ownerKeysUrl, handler);
    return { value: await result.getAttribute('data-value'), reason: await result.getAttribute('data-reason'),
      text: await result.textContent(), field: await A.tid('endorse-key').inputValue().catch(() => null) };
  };
  const flip = (b64, at) => {
    const b = Buffer.from(b64, 'base64url');
    b[at < 0 ? b.length + at : at] ^= 0x01;
    return b.toString('base64url');
  };
  const r1 = await altered((body) => { body.statement = flip(body.statement, -1); }); // the signature
  ok(r1.value === 'refused' && r1.reason === 'bad-signature' && /changed on its way/.test(r1.text) && r1.field === keyB.pk,
    'a statement whose signature was altered on its way: porterd refuses it (bad-signature), told in words, the key kept in the field',
    JSON.stringify(r1));
  await A.tid('endorse-key').press('Enter');
  await A.tid('endorse-confirm').waitFor({ timeout: 10000 });
  const other = someKey().toString('base64url');
  const r2 = await altered((body) => { body.public_key = other; }); // another key than the one signed
  ok(r2.value === 'refused' && /names another key/.test(r2.text),
    'the statement sent with another public key: porterd refuses it (invalid-field statement), in words', JSON.stringify(r2));
  expectRefusals = false;
  const keys1 = await ownerKeys();
  ok(posts.length === 2 && JSON.stringify(keys1) === JSON.stringify(keys0) && !keys1.some((k) => k.public_key === other),
    'after the two altered posts porterd\'s owner keys are unchanged', JSON.stringify(keys1.map((k) => k.key_id)));

  // For real, by keyboard.
  await A.tid('endorse-key').press('Enter');
  await A.tid('endorse-confirm').waitFor({ timeout: 10000 });
  await A.tid('endorse-confirm').focus();
  await A.page.keyboard.press('Enter');
  const done = await until(15, async () => (await A.tid('endorse-result').getAttribute('data-value')) === 'endorsed');
  const dtext = await A.tid('endorse-result').textContent();
  ok(done && dtext.includes(keyB.kid) && dtext.includes(`this browser's key ${keyA.kid}`),
    'the page says B\'s key is endorsed by this browser\'s key', dtext);
  ok(await A.page.evaluate(() => document.activeElement?.dataset.testid) === 'endorse-result', 'the result has the focus');
  await A.shot('03-endorse-done');
  const keys2 = await ownerKeys();
  const kB = keys2.find((k) => k.public_key === keyB.pk);
  ok(kB && kB.key_id === keyB.kid && kB.endorsed_by === keyA.kid && kB.label === 'B phone' && keys2.length === keys0.length + 1,
    `porterd has B's key as an owner key, endorsed_by A's key id ${keyA.kid}`, JSON.stringify(kB));
  // What was posted: porter key endorse's request, and its statement.
  const sent = JSON.parse(posts[posts.length - 1]);
  ok(JSON.stringify(Object.keys(sent).sort()) === JSON.stringify(['label', 'public_key', 'statement']) &&
    sent.public_key === keyB.pk && kB && kB.statement === sent.statement,
  'the page posted {public_key, statement, label}, and porterd stores the statement as posted', JSON.stringify(sent));
  const st = Buffer.from(sent.statement, 'base64url');
  const cliSt = Buffer.from(cli(['key', 'endorse', '--print', '--key', join(V, 'demo', 'owner.key'), '--home', HOME,
    '--public-key', keyB.pk]).trim(), 'base64url');
  const p = porter.parseSign1(new Uint8Array(st));
  const q = porter.parseSign1(new Uint8Array(cliSt));
  const shape = (x) => JSON.stringify([[...x.claims.keys()], x.claims.get(3), [...x.claims.get(-65537).entries()]
    .map(([k, v]) => [k, v instanceof Uint8Array ? toHex(v) : v])]);
  ok(st.length === cliSt.length && shape(p) === shape(q) && toHex(p.kid) === keyA.kid &&
    p.claims.get(7).length === 16 && await porter.verifySign1(new Uint8Array(st), Buffer.from(keyA.pk, 'base64url'), porter.AAD.owner),
  `the page's statement is porter key endorse's but for signer, time and nonce (${st.length} bytes), signed by A's key`,
  `${shape(p)}\n${shape(q)}`);

  // The hub: it takes the endorsement (owner.add), and obeys B's key.
  const added = await until(30, async () => (await events()).find((e) => e.type === 'owner.add' && e.data?.key_id === keyB.kid));
  ok(added && added.data.by === keyA.kid && added.source === `hub:${HUB}`,
    `the hub says owner.add of B's key ${keyB.kid} by A's ${keyA.kid}`, JSON.stringify(added));
  await B.page.goto(`${BASE}/app/#/keys`);
  ok(await B.page.locator(`[data-testid="endorse-status"][data-home="${HOME}"][data-value="endorsed"]`)
    .waitFor({ timeout: 10000 }).then(() => true, () => false) &&
    (await B.tid('endorse-status').textContent()).includes(`Endorsed by key ${keyA.kid}`),
  'B\'s Keys page says its key is endorsed by A\'s key');
  await B.shot('04-b-endorsed');
  await B.page.goto(`${BASE}/app/#/homes/${HOME}`);
  await B.page.locator('[data-testid="key-state"][data-value="unlocked"]').waitFor({ timeout: 10000 });
  // The bolt locked first (the sim relocks by itself), so that it can move.
  const simBefore = await until(30, () => simStatus()?.lock === 'locked' && simStatus());
  let outcome = null;
  for (let i = 0; i < 5 && outcome !== 'ok'; i++) {
    outcome = await unlockB();
    if (outcome !== 'ok') {
      log(`B unlock ${i + 1}: ${outcome} ${await B.tid('command-result').textContent()}`);
      await sleep(2000);
    }
  }
  ok(outcome === 'ok', 'a remote unlock signed in B\'s page: the hub reports command.ok', await B.tid('command-result').textContent());
  const moved = await until(10, () => ['unlocked', 'unlocking'].includes(simStatus()?.lock));
  ok(moved && simBefore?.lock === 'locked', `the sim bolt moved (${simBefore?.lock} -> ${simStatus()?.lock})`);
  const cmd = (await events()).filter((e) => e.type === 'command.ok' && e.data?.op === 'unlock').pop();
  ok(cmd && cmd.data.owner_key_id === keyB.kid, `the hub's command.ok names B's key ${keyB.kid}`, JSON.stringify(cmd));
  await B.shot('05-b-unlocked');
  ok(errors.length === 0, 'no page error, no unexpected console error', errors.join('\n'));
}

try {
  await main();
} catch (e) {
  ok(false, `the test ran to its end (${String(e.message).split('\n')[0]})`, e.stack);
} finally {
  await cleanup();
  process.stdout.write(`1..${n}\n`);
  log(`${Math.round((Date.now() - t0) / 1000)} s; screenshots in ${ART}`);
  process.exit(failed ? 1 : 0);
}
