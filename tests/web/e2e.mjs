// The owner web app end to end (docs/web.md), against a real stack: make
// run's scripts/run.sh (mosquitto, porterd, porter-hub with sim drivers,
// porter-cam when built) with this build's binaries (PORTER_BUILD), a temporary
// PORTER_VAR and free loopback ports; Debian's chromium driven by
// playwright-core. TAP output; screenshots in ARTIFACTS. Among the rest:
// the home page's hub card follows the bolt and the alarm live; the guest
// grant and a delivery's approval and refusal done by keyboard; the clips
// list; no plaintext video and no owner key in any request or response
// of the browser that plays a clip (with controls that the scans work);
// hubs paired from the page (step 11), one of them by a fresh browser key
// as the first key of a new home, with a wrong code first (refused by the
// hub, nothing changed) and then the right one.
//
// Usage: node e2e.mjs BUILD_DIR ARTIFACTS_DIR
//   (BUILD_DIR holds porter, porterd, porter-hub and web/, the app built by
//   scripts/web.sh.) KEEP=1 keeps the temporary directory.

import { spawn, execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createServer } from 'node:http';
import { createServer as netServer } from 'node:net';
import { mkdtempSync, mkdirSync, readFileSync, existsSync, chmodSync, rmSync, writeFileSync, appendFileSync, statSync, chownSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash, randomBytes, generateKeyPairSync } from 'node:crypto';

const here = dirname(fileURLToPath(import.meta.url));
const SRC = resolve(here, '..', '..');
const BUILD = resolve(process.argv[2] || join(SRC, 'build'));
const ART = resolve(process.argv[3] || join(BUILD, 'web-artifacts'));
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
// What scripts/deps.sh installs for the browser (tests/web/need.sh): its
// absence fails the test, unless PORTER_WEB_OPTIONAL=1 says to skip.
function missing(why) {
  if (process.env.PORTER_WEB_OPTIONAL === '1') skipAll(`${why} (PORTER_WEB_OPTIONAL=1)`);
  process.stdout.write(`Bail out! ${why}: scripts/deps.sh installs it (PORTER_WEB_OPTIONAL=1 skips the browser tests instead)\n`);
  process.exit(1);
}
function bail(why) {
  process.stdout.write(`Bail out! ${why}\n`);
  throw new Error(why);
}

// ---- what this test needs ----
for (const b of ['porter', 'porterd', 'porter-hub']) {
  if (!existsSync(join(BUILD, b))) skipAll(`${b} is not built`);
}
// (without porter-cam, run.sh starts the home without a camera)
if (!['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto'].some((f) => existsSync(f)))
  skipAll('mosquitto is not installed (scripts/deps.sh)');
if (!existsSync(join(BUILD, 'web', 'index.html'))) bail(`${BUILD}/web has no app (scripts/web.sh)`);
if (!existsSync(CHROMIUM)) missing(`${CHROMIUM} is missing`);
let chromium;
try {
  ({ chromium } = await import(join(SRC, 'web', 'node_modules', 'playwright-core', 'index.mjs')));
} catch {
  bail('web/node_modules/playwright-core is missing (scripts/web.sh runs npm ci)');
}

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
// An ISO BMFF box header: a 32-bit size (8 .. what is left from the box's
// start; or 1, a 64-bit size) and one of the four box types that carry
// video or its description (as tests/web/live.mjs scans live view).
const BOXES = ['ftyp', 'moov', 'moof', 'mdat'].map((x) => Buffer.from(x, 'latin1'));
function boxHeaders(buf) {
  const found = [];
  for (const box of BOXES) {
    let i = buf.indexOf(box, 4);
    while (i !== -1) {
      const size = buf.readUInt32BE(i - 4);
      if (size === 1 || (size >= 8 && size <= buf.length - (i - 4))) found.push(`${box.toString()}@${i - 4}`);
      i = buf.indexOf(box, i + 1);
    }
  }
  return found;
}
function keyForms(key) {
  const b = Buffer.from(key);
  return [b, Buffer.from(b.toString('hex')), Buffer.from(b.toString('hex').toUpperCase()),
    Buffer.from(b.toString('base64')), Buffer.from(b.toString('base64url'))];
}
// Whether a recorded request or response carries one of the forms: in its
// body, its URL or its headers.
function carries(t, forms) {
  const meta = Buffer.from(`${t.url}\n${t.headers || ''}`);
  return forms.some((f) => t.body.includes(f) || meta.includes(f));
}
const lap = (what) => log(`${what} at ${((Date.now() - t0) / 1000).toFixed(1)} s`);
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
while (ports.size < 4) ports.add(await freePort());
const [HTTP, MQTT, LINK, EVIL] = [...ports];
const T = mkdtempSync(join(tmpdir(), 'porter-web-e2e-'));
chmodSync(T, 0o711); // the camera's user (nobody, as root) passes through
const V = join(T, 'var');
mkdirSync(ART, { recursive: true });
const BASE = `http://127.0.0.1:${HTTP}`;

// ---- the stack ----
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
let evil = null;
const extraHubs = []; // 11.: more porter-hubs, unpaired, each paired from the page
async function cleanup() {
  try {
    if (browser) await browser.close();
  } catch { /* gone */ }
  if (evil) evil.close();
  for (const hp of extraHubs) {
    if (hp.exitCode !== null || hp.signalCode !== null) continue;
    try { hp.kill('SIGTERM'); } catch { /* gone */ }
    await until(10, () => hp.exitCode !== null || hp.signalCode !== null);
    if (hp.exitCode === null && hp.signalCode === null) try { hp.kill('SIGKILL'); } catch { /* gone */ }
  }
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
  if (process.env.KEEP) log(`kept ${T}`);
  else rmSync(T, { recursive: true, force: true });
}

function cli(args, opts = {}) {
  return execFileSync(PORTER, args, { env: { ...process.env, PORTER_CONFIG: join(V, 'demo', 'client.conf') },
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20000, ...opts });
}
function simStatus() {
  try {
    return JSON.parse(cli(['sim', '--hub-control', join(V, 'hub', 'sim.sock'), 'status']).trim().split('\n').pop());
  } catch {
    return null;
  }
}

async function main() {
  const ready = await until(100, () => /^run *\| ready$/m.test(runOut) || runExited);
  if (!ok(ready && !runExited, `scripts/run.sh is ready (${Math.round((Date.now() - t0) / 1000)} s)`,
    runOut.split('\n').slice(-40).join('\n'))) bail('the stack did not start');
  const conf = readFileSync(join(V, 'etc', 'porterd.conf'), 'utf8');
  ok(conf.includes(`[web]\ndir = ${join(BUILD, 'web')}`), 'run-config.sh gives porterd [web] dir = BUILD/web', conf);
  const HOME = readFileSync(join(V, 'demo', 'home.id'), 'utf8').trim();
  const EMAIL = readFileSync(join(V, 'demo', 'account'), 'utf8').trim();
  const PASSWORD = readFileSync(join(V, 'demo', 'owner.password'), 'utf8').trim();
  const hubs = JSON.parse(cli(['hub', 'list', '--home', HOME, '--json'])).hubs;
  const HUB = hubs[0].id;
  log(`home ${HOME}, hub ${HUB}, porterd ${BASE}`);
  const call = async (method, path, body, token) => {
    const r = await fetch(`${BASE}${path}`, { method, headers: { ...(body ? { 'Content-Type': 'application/json' } : {}),
      ...(token ? { Authorization: `Bearer ${token}` } : {}) }, body: body ? JSON.stringify(body) : undefined });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  const signin = async (email, password) => (await call('POST', '/v1/sessions', { email, password })).token;

  // A clip recorded BEFORE this browser's key exists, let alone is
  // endorsed: make run's guest (guest.cred, signed by the demo owner key)
  // walks in now, while the page signs in and makes its key. porter-cam
  // seals that clip to the owner keys the hub trusts at its START, which
  // the browser key is not one of; in 5c the page must refuse to open it,
  // saying whose keys it is sealed to. Awaited before the endorsement.
  const early = (async () => {
    const run = promisify(execFile);
    const cliA = (args) => run(PORTER, args, { env: { ...process.env, PORTER_CONFIG: join(V, 'demo', 'client.conf') },
      encoding: 'utf8', timeout: 20000 }).then((r) => ({ rc: 0, out: r.stdout }),
      (e) => ({ rc: e.code, out: `${e.stdout || ''}${e.stderr || ''}` }));
    const simA = (...a) => cliA(['sim', '--hub-control', join(V, 'hub', 'sim.sock'), ...a]);
    const simNow = async () => {
      const r = await simA('status');
      try {
        return JSON.parse(r.out.trim().split('\n').pop());
      } catch {
        return null;
      }
    };
    const otok = await signin(EMAIL, PASSWORD);
    const before = Date.now();
    let r = null;
    for (let i = 0; i < 20; i++) { // the camera may not be healthy at the hub yet
      r = await cliA(['courier', 'unlock', '--hub', `unix:${join(V, 'hub', 'link.sock')}`, '--cred',
        join(V, 'demo', 'guest.cred'), '--key', join(V, 'demo', 'guest.key')]);
      if (r.rc === 0 && /^decision: granted/m.test(r.out)) break;
      await sleep(1000);
    }
    if (!(r.rc === 0 && /^decision: granted/m.test(r.out))) throw new Error(`the guest was not let in: ${r.rc} ${r.out}`);
    await until(5, async () => ['unlocked', 'unlocking'].includes((await simNow())?.lock));
    await simA('door', 'open');
    await sleep(400);
    await simA('door', 'close');
    const locked = await until(15, async () => {
      const st = await simNow();
      return st?.lock === 'locked' && st?.door === 'closed';
    });
    const start = await until(15, async () => {
      const evs = (await call('GET', `/v1/homes/${HOME}/events?limit=200`, null, otok)).events || [];
      return evs.filter((e) => e.type === 'session.start' && e.data?.clip && e.at * 1000 >= before - 2000).pop();
    });
    if (!start) throw new Error('no session.start with a clip for the guest\'s entry');
    return { clip: start.data.clip, locked };
  })();
  early.catch(() => {}); // awaited below

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
  // Count the page's EventSources (the app opens at most one at a time).
  await ctx.addInitScript(() => {
    const ES = window.EventSource;
    const live = new Set();
    window.__esOpen = () => [...live].filter((e) => e.readyState !== ES.CLOSED && !e.__test).length;
    window.EventSource = class extends ES {
      constructor(...a) {
        super(...a);
        live.add(this);
      }

      close() {
        live.delete(this);
        super.close();
      }
    };
  });
  const page = await ctx.newPage();
  const pageErrors = [];
  let expectRefusals = false; // 5d provokes 400, 404 and 409 answers on purpose
  let expectRevocations503 = false; // 10. answers GET .../revocations 503 on purpose
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of (401|403)/.test(m.text()) &&
      !(expectRefusals && /status of (400|404|409)/.test(m.text())) &&
      !(expectRevocations503 && /status of 503/.test(m.text()) &&
        /\/v1\/homes\/[^/]+\/revocations(\?|$)/.test(m.location()?.url || ''))) pageErrors.push(m.text());
  });
  const shot = async (name, pg = page) => {
    await pg.locator('#toast.show').waitFor({ state: 'hidden', timeout: 5000 }).catch(() => {});
    await pg.screenshot({ path: join(ART, `${name}.png`), fullPage: true });
    const sw = await pg.evaluate(() => document.documentElement.scrollWidth);
    ok(sw <= 390, `${name}: nothing wider than the 390 px screen (scrollWidth ${sw})`);
  };
  const workers = () => page.workers().length;
  const tid = (id) => page.locator(`[data-testid="${id}"]`);
  // By keyboard: Tab until the element with that data-testid (inside the
  // delivery D, if given) has the focus; false if it never gets it.
  const tabTo = async (id, D = null, max = 80) => {
    for (let i = 0; i < max; i++) {
      await page.keyboard.press('Tab');
      const at = await page.evaluate(() => {
        const a = document.activeElement;
        return [a?.dataset?.testid, a?.closest('[data-testid="delivery"]')?.dataset.delivery || null];
      });
      if (at[0] === id && (D === null || at[1] === D)) return true;
    }
    return false;
  };

  // 1. No session: the sign-in form and nothing else.
  const res = await page.goto(`${BASE}/`);
  ok(res && res.status() === 200 && page.url() === `${BASE}/app/`, 'GET / leads to /app/', page.url());
  const csp = res ? (await res.allHeaders())['content-security-policy'] || '' : '';
  ok(csp.includes("script-src 'self' 'wasm-unsafe-eval'") && csp.includes("connect-src 'self'"),
    'the app is served with the CSP of docs/web.md', csp);
  await tid('signin-form').waitFor({ timeout: 10000 });
  const html0 = await page.content();
  ok(!html0.includes(HOME) && !html0.includes(HUB) && !html0.includes('Demo home') &&
    (await tid('hub').count()) === 0 && (await tid('home').count()) === 0 && await page.locator('#nav').isHidden(),
  'without a session the page shows the sign-in form and no home data');
  await shot('01-signin');

  // 2. Sign in with the demo account: the home, its hub online, the bolt.
  await tid('signin-email').fill(EMAIL);
  await tid('signin-password').fill('wrong password, surely');
  await tid('signin-submit').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="signin-error"]')?.textContent.length > 0);
  ok((await tid('signin-error').textContent()).includes('wrong e-mail or password'), 'a wrong password is refused in plain words',
    await tid('signin-error').textContent());
  await tid('signin-password').fill(PASSWORD);
  await tid('signin-password').press('Enter'); // by keyboard
  const homeCard = page.locator(`[data-testid="home"][data-home="${HOME}"]`);
  ok(await homeCard.waitFor({ timeout: 15000 }).then(() => true, () => false), 'signed in: the homes page lists the demo home');
  const cookies = await ctx.cookies(BASE);
  const sc = cookies.find((c) => c.name === 'porter_session');
  ok(sc && sc.httpOnly && sc.sameSite === 'Strict', 'the session is an HttpOnly SameSite=Strict cookie', JSON.stringify(cookies));
  const hubCard = homeCard.locator(`[data-testid="hub"][data-hub="${HUB}"]`);
  const online = await until(20, async () => (await hubCard.locator('[data-testid="hub-online"]').getAttribute('data-value')) === 'online');
  ok(online, 'the hub shows online (the homes page reads the hubs every few seconds)');
  ok(await page.evaluate(() => window.__esOpen()) === 0, 'the homes page holds no EventSource open',
    await page.evaluate(() => window.__esOpen()));
  ok(await page.evaluate(() => document.activeElement && document.activeElement.id) === 'main',
    'focus is on main once the view is drawn', await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 80)));
  const bolt0 = await hubCard.locator('[data-testid="hub-bolt"]').getAttribute('data-value').catch(() => null);
  ok(['locked', 'unlocked'].includes(bolt0), `the hub shows the bolt state (${bolt0})`);
  ok(!(await page.evaluate(() => document.cookie)).includes('porter_session'), 'the page cannot read its session cookie');
  await shot('02-homes');

  // 3. A key made in the browser, endorsed by the demo owner key.
  await tid('nav-keys').click();
  await tid('key-new-passphrase').waitFor({ timeout: 10000 });
  const passAttrs = await page.evaluate(() => ['key-new-passphrase', 'key-new-passphrase2'].map((id) => {
    const e = document.querySelector(`[data-testid="${id}"]`);
    return [e.getAttribute('autocomplete'), e.name, e.form.getAttribute('autocomplete')];
  }));
  ok(passAttrs.every(([ac, , fac]) => ac === 'off' && fac === 'off') && passAttrs[0][1] !== passAttrs[1][1] &&
    passAttrs.every(([, name]) => name && !/password/.test(name)) &&
    (await tid('key-passphrase-note').textContent()).includes('do not let the browser save it'),
  'the key passphrase fields: autocomplete off, names of their own, a note not to save it', JSON.stringify(passAttrs));
  await tid('key-new-passphrase').fill('short pass');
  await tid('key-new-passphrase2').fill('short pass');
  await tid('key-create').click();
  ok(await page.evaluate(() => document.querySelector('[data-testid="key-new-passphrase"]').validity.tooShort) ||
    await until(5, async () => (await tid('key-error').textContent()).includes('12 characters')),
  'a passphrase under 12 characters is refused');
  await tid('key-new-passphrase').fill('e2e passphrase 1');
  await tid('key-new-passphrase2').fill('e2e passphrase 1');
  await tid('key-create').click();
  await tid('key-public').waitFor({ timeout: 30000 });
  const PK = (await tid('key-public').textContent()).trim();
  ok(/^[A-Za-z0-9_-]{43}$/.test(PK), `the page shows the new public key (${PK})`);
  const cmd = (await page.locator(`[data-testid="endorse-command"][data-home="${HOME}"]`).textContent()).trim();
  ok(cmd.startsWith(`porter key endorse --key 'OWNER_KEY' --home '${HOME}' --public-key '${PK}' --label '`),
    'the page shows the porter key endorse command, every argument single-quoted', cmd);
  ok(workers() === 1, 'the new key is held by a key worker (it runs under porterd\'s CSP)', workers());
  const stored = await page.evaluate(async () => {
    const db = await new Promise((r, j) => { const q = indexedDB.open('porter'); q.onsuccess = () => r(q.result); q.onerror = j; });
    const all = await new Promise((r) => { const q = db.transaction('keys').objectStore('keys').getAll(); q.onsuccess = () => r(q.result); });
    return all.map((x) => ({ pk: x.public_key, box: x.box.length, nonce: x.nonce.length, keys: Object.keys(x).sort(),
      kdf: { ...x.kdf, salt: x.kdf.salt.length }, kdfKeys: Object.keys(x.kdf).sort() }));
  });
  const rec0 = stored[0] || {};
  ok(stored.length === 1 && rec0.pk === PK && rec0.box === 48 && rec0.nonce === 24 &&
    JSON.stringify(rec0.keys) === JSON.stringify(['box', 'created_at', 'id', 'kdf', 'key_id', 'label', 'nonce', 'public_key', 'v']) &&
    JSON.stringify(rec0.kdfKeys) === JSON.stringify(['alg', 'memlimit', 'opslimit', 'salt']) &&
    rec0.kdf.alg === 'argon2id13' && rec0.kdf.opslimit === 2 && rec0.kdf.memlimit === 67108864 && rec0.kdf.salt === 16,
  'IndexedDB holds exactly the sealed record (secretbox of the seed, Argon2id interactive), no secret field', JSON.stringify(stored));
  await shot('03-keys');
  const earlyEntry = await early.catch((e) => ({ error: e.message }));
  lap('3 early entry awaited');
  ok(earlyEntry.clip && earlyEntry.locked, `before the endorsement, make run's guest walked in (clip ${earlyEntry.clip})`,
    JSON.stringify(earlyEntry));
  let endorsed = false;
  try {
    const out = cli(['key', 'endorse', '--key', join(V, 'demo', 'owner.key'), '--home', HOME, '--public-key', PK,
      '--label', 'web e2e browser']);
    endorsed = true;
    log(out.trim());
  } catch (e) {
    log(`porter key endorse: ${e.stderr || e.message}`);
  }
  ok(endorsed, 'porter key endorse --key owner.key --home H --public-key NEW succeeds');

  // 4. Remote unlock signed in the page; the sim bolt moves.
  await page.reload(); // the session survives a reload; the key is locked again
  await page.goto(`${BASE}/app/#/homes/${HOME}`);
  await tid('key-passphrase').waitFor({ timeout: 10000 });
  await tid('key-passphrase').fill('not the passphrase');
  await tid('key-unlock').click();
  ok(await until(20, async () => (await tid('key-error').textContent()).includes('wrong passphrase')),
    'a wrong passphrase does not unlock the key');
  // The old page's worker is gone with it; Playwright may hear of its end
  // a moment after the reload (it did late on a loaded machine).
  ok(await until(10, async () => workers() === 0), 'after a reload no key worker runs (the key is locked)', workers());
  await tid('key-passphrase').fill('e2e passphrase 1');
  const tUnlock = Date.now();
  await tid('key-unlock').click();
  await page.locator('[data-testid="key-state"][data-value="unlocked"]').waitFor({ timeout: 20000 });
  log(`unlock (Argon2id in the key worker) took ${Date.now() - tUnlock} ms`);
  ok(workers() === 1, 'unlocked: one key worker', workers());
  const live = await page.evaluate(() => ({ hubs: document.querySelector('[data-testid="hubs"]').getAttribute('aria-live'),
    status: document.querySelector('[data-testid="stream-status"]').getAttribute('aria-live') }));
  ok(live.hubs === null && live.status === 'polite', 'only the status line is a live region, not the hub cards', JSON.stringify(live));
  ok(await page.evaluate(() => window.__esOpen()) === 1, 'the home page holds one EventSource open',
    await page.evaluate(() => window.__esOpen()));
  // Watch the real stream from the page (every hub message), as the app does.
  await page.evaluate((home) => {
    window.__bolts = [];
    window.__es = new EventSource(`/v1/homes/${home}/stream`);
    window.__es.__test = true;
    window.__es.addEventListener('hub', (m) => window.__bolts.push(JSON.parse(m.data).state?.bolt));
    window.__events = [];
    window.__es.addEventListener('event', (m) => {
      const e = JSON.parse(m.data);
      window.__events.push(`${new Date().toISOString()} ${e.id} ${e.type} ${e.data?.nonce || ''} ${e.data?.reason || ''}`);
    });
  }, HOME);
  // What the home page's own hub card shows (the app's stream, not the
  // test's): every bolt value it takes, and a mark a reload would lose.
  const homeHub = page.locator(`[data-testid="hub"][data-hub="${HUB}"]`);
  await page.evaluate((hub) => {
    window.__noReload = true;
    window.__cardBolts = [];
    const read = () => {
      const v = document.querySelector(`[data-testid="hub"][data-hub="${hub}"] [data-testid="hub-bolt"]`)?.dataset.value;
      if (v && window.__cardBolts[window.__cardBolts.length - 1] !== v) window.__cardBolts.push(v);
    };
    read();
    new MutationObserver(read).observe(document.querySelector('[data-testid="hubs"]'),
      { childList: true, subtree: true, attributes: true });
  }, HUB);
  const cardBolts = () => page.evaluate(() => window.__cardBolts);
  const before = simStatus();
  log(`sim before: ${JSON.stringify(before)}`);
  let outcome = null;
  // By keyboard: Tab to the Unlock button (a real button, focus visible).
  let focused = null;
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    focused = await page.evaluate(() => {
      const a = document.activeElement;
      const st = getComputedStyle(a);
      return { id: a.dataset.testid, tag: a.tagName, outline: st.outlineStyle, width: st.outlineWidth };
    });
    if (focused.id === 'unlock') break;
  }
  ok(focused.id === 'unlock' && focused.tag === 'BUTTON' && focused.outline !== 'none' && focused.width !== '0px',
    'Tab reaches the Unlock button, with a visible focus outline', JSON.stringify(focused));
  for (let i = 0; i < 5 && outcome !== 'ok'; i++) {
    // The hub learns the endorsement over MQTT (retained): retry a refusal.
    if (i === 0 && focused.id === 'unlock') await page.keyboard.press('Enter');
    else await tid('unlock').click();
    // A second, explicit confirmation, which names the home.
    await tid('unlock-confirm').waitFor({ timeout: 5000 });
    if (i === 0) {
      const ctext = await tid('unlock-confirm').textContent();
      ok(ctext === 'Unlock every lock of Demo home' || /^Unlock every lock of ./.test(ctext),
        'Unlock asks for a confirmation naming the home', ctext);
      ok(await tid('command-result').getAttribute('data-value') === null, 'nothing is sent before the confirmation');
      ok(await page.evaluate(() => document.activeElement?.dataset.testid) === 'unlock-confirm', 'the confirmation has the focus');
      await shot('04a-unlock-confirm');
      await page.keyboard.press('Enter');
    } else await tid('unlock-confirm').click();
    outcome = await until(15, async () => {
      const v = await tid('command-result').getAttribute('data-value');
      return v === 'ok' || v === 'refused' || v === 'error' ? v : null;
    });
    log(`unlock attempt ${i + 1}: ${outcome} ${await tid('command-result').textContent()}`);
    if (outcome !== 'ok') {
      log(`${new Date().toISOString()} stream events so far:\n${(await page.evaluate(() => window.__events)).join('\n')}`);
      await sleep(2000);
    }
  }
  ok(outcome === 'ok', 'Unlock in the page: the hub reports command.ok', await tid('command-result').textContent());
  const sawUnlocked = await until(15, () => page.evaluate(() => window.__bolts.includes('unlocked')));
  ok(sawUnlocked, 'the stream shows the bolt unlocked', JSON.stringify(await page.evaluate(() => window.__bolts)));
  const cardUnlocked = await until(15, async () => (await cardBolts()).includes('unlocked'));
  ok(cardUnlocked && await page.evaluate(() => window.__noReload === true),
    'the home page\'s hub card reads the bolt unlocked, pushed by the stream, without a reload', JSON.stringify(await cardBolts()));
  const simUnlocked = await until(10, () => simStatus()?.lock === 'unlocked' || simStatus()?.lock === 'unlocking');
  const hubsNow = await page.evaluate(async (home) => (await (await fetch(`/v1/homes/${home}/hubs`)).json()).hubs, HOME);
  ok(simUnlocked, 'the sim lock moved (porter sim status)', JSON.stringify(simStatus()));
  ok(hubsNow[0]?.state && ['locked', 'unlocked'].includes(hubsNow[0].state.bolt), 'GET .../hubs has the hub state',
    JSON.stringify(hubsNow));
  await shot('04-home');
  // Lock from the page; then the door opened with the bolt thrown: an alert.
  const boltAtLock = await homeHub.locator('[data-testid="hub-bolt"]').getAttribute('data-value');
  const seenAtLock = (await cardBolts()).length;
  await tid('lock').click();
  const locked = await until(25, async () => (await tid('command-result').getAttribute('data-value')) === 'ok' &&
    (await tid('command-result').textContent()).includes('"lock"') && simStatus()?.lock === 'locked');
  ok(locked, 'Lock in the page: command.ok and the sim bolt locked',
    `${await tid('command-result').textContent()} ${JSON.stringify(simStatus())}`);
  // The bolt may have relocked by itself before Lock (the hub's unlock
  // time): then the card already said so; either way it ends locked.
  const cardLocked = await until(15, async () => {
    const b = await cardBolts();
    return (await homeHub.locator('[data-testid="hub-bolt"]').getAttribute('data-value')) === 'locked' &&
      (await homeHub.locator('[data-testid="hub-bolt"]').textContent()) === 'locked' &&
      b.lastIndexOf('locked') > b.indexOf('unlocked') && b.indexOf('unlocked') >= 0;
  });
  log(`the card's bolt at Lock: ${boltAtLock}; values since: ${JSON.stringify((await cardBolts()).slice(seenAtLock))}`);
  ok(cardLocked && await page.evaluate(() => window.__noReload === true),
    'then it reads locked, without a reload', JSON.stringify(await cardBolts()));
  const sim = (...a) => cli(['sim', '--hub-control', join(V, 'hub', 'sim.sock'), ...a]);
  try {
    sim('door', 'open');
    await sleep(500);
    sim('door', 'close');
  } catch (e) {
    log(`porter sim door: ${e.stderr || e.message}`);
  }
  // The card's alarm and camera: porterd's state, and the alarm pushed as
  // it changes (the sim panel disarmed and armed again at its keypad).
  {
    const field = (k) => homeHub.locator(`[data-testid="hub-${k}"]`);
    const st0 = (await page.evaluate(async (home) => (await (await fetch(`/v1/homes/${home}/hubs`)).json()).hubs, HOME))
      .find((x) => x.id === HUB)?.state || {};
    const camWant = existsSync(join(BUILD, 'porter-cam')) ? 'healthy' : 'none';
    // (the door forced open above may have set off the armed sim panel)
    const ALARM_WORDS = { disarmed: 'disarmed', armed_away: 'armed (away)', armed_home: 'armed (home)', triggered: 'TRIGGERED' };
    const alarm0 = await field('alarm').getAttribute('data-value');
    ok(alarm0 === st0.alarm && Object.hasOwn(ALARM_WORDS, alarm0) && (await field('alarm').textContent()) === ALARM_WORDS[alarm0],
      `the hub card shows the alarm as porterd has it (${alarm0}: "${await field('alarm').textContent()}")`, JSON.stringify(st0));
    ok(await field('camera').getAttribute('data-value') === camWant && (await field('camera').textContent()) === camWant &&
      st0.camera === camWant, `the hub card shows the camera ${camWant}`, `${await field('camera').textContent()} ${JSON.stringify(st0)}`);
    const keypad = alarm0 === 'disarmed' ? [['arm', 'away'], ['disarm']] : [['disarm'], ['arm', alarm0 === 'armed_home' ? 'home' : 'away']];
    const seen = [];
    for (const cmd of keypad) {
      try {
        sim('alarm', ...cmd);
      } catch (e) {
        log(`porter sim alarm ${cmd.join(' ')}: ${e.stderr || e.message}`);
      }
      const want = cmd[0] === 'disarm' ? 'disarmed' : `armed_${cmd[1]}`;
      const v = await until(20, async () => (await field('alarm').getAttribute('data-value')) === want &&
        (await field('alarm').textContent()) === ALARM_WORDS[want]);
      seen.push(`${want}: ${v ? 'shown' : `not shown (${await field('alarm').getAttribute('data-value')})`}`);
    }
    ok(seen.every((x) => x.endsWith('shown')) && await page.evaluate(() => window.__noReload === true),
      `the alarm at the panel's keypad reaches the card live, without a reload (${seen.join(', ')})`);
  }

  // A guest's credential signed in the page with the browser key.
  const gkey = join(T, 'guest2.key');
  cli(['keygen', '-o', gkey]);
  const gpub = cli(['pubkey', gkey]).trim();
  // By keyboard: Tab from field to field, typed, Space on the days, Enter.
  await tid('tab-people').click();
  await tid('grant-holder').waitFor({ timeout: 10000 });
  const kb = [];
  const kbStep = async (id, ...keys) => {
    const at = await tabTo(id);
    kb.push(`${id}${at ? '' : ' (not reached)'}`);
    for (const k of keys) {
      if (k.startsWith('key:')) await page.keyboard.press(k.slice(4));
      else await page.keyboard.type(k);
    }
  };
  await kbStep('grant-holder', gpub);
  await kbStep('grant-label', 'key:Control+A', 'e2e guest');
  await kbStep('grant-lock', 'front');
  await kbStep('grant-day-sat', 'key:Space');
  await kbStep('grant-day-sun', 'key:Space');
  // A time field by keys: hours, minutes, and A for AM where the locale
  // has a 12-hour clock (ignored where it has none).
  await kbStep('grant-from', '0000A');
  await kbStep('grant-to', '0000A');
  await kbStep('grant-create', 'key:Enter');
  const kbForm = await page.evaluate(() => ['grant-holder', 'grant-label', 'grant-lock', 'grant-from', 'grant-to']
    .map((id) => document.querySelector(`[data-testid="${id}"]`)?.value)
    .concat(['sat', 'sun'].map((d) => document.querySelector(`[data-testid="grant-day-${d}"]`)?.checked)));
  ok(kb.every((x) => !x.includes('not reached')) &&
    JSON.stringify(kbForm) === JSON.stringify([gpub, 'e2e guest', 'front', '00:00', '00:00', true, true]),
  'the guest form filled and sent by keyboard alone (Tab, typing, Space, Enter)', `${kb.join(', ')} ${JSON.stringify(kbForm)}`);
  const chainB64 = await tid('grant-chain').textContent({ timeout: 15000 }).catch(async () => {
    log(`grant: ${await tid('grant-error').textContent()}`);
    return null;
  });
  ok(chainB64, 'a guest credential signed in the page is accepted by porterd');
  const token = chainB64 ? await tid('grant-chain').getAttribute('data-token') : null;
  ok(token && await page.locator(`[data-testid="grant"][data-token="${token}"]`).count() === 1,
    'the new credential is listed with the home\'s credentials');
  const gTerms = page.locator(`[data-testid="grant"][data-token="${token}"] [data-testid="grant-terms"]`);
  ok(token && await until(10, async () => (await gTerms.getAttribute('data-checked')) === 'yes') &&
    /^every day 00:00–24:00 \(/.test(await gTerms.getAttribute('data-days')) && (await gTerms.textContent()).includes('front'),
  'the guest\'s days, hours and lock are shown, read from the signed chain', await gTerms.textContent({ timeout: 1000 }).catch(() => ''));
  await shot('08-guests');
  if (chainB64) {
    const cfile = join(T, 'guest2.cred');
    writeFileSync(cfile, Buffer.from(chainB64, 'base64url'));
    let verdict;
    try {
      cli(['cred', 'verify', cfile, '--trust', PK, '--hub', HUB, '--lock', 'front', '--holder-key', gkey]);
      verdict = 'ok';
    } catch (e) {
      verdict = `exit ${e.status}: ${e.stderr || e.stdout}`;
    }
    ok(verdict === 'ok', 'porter cred verify grants it (root: the browser key, any day, all day)', verdict);
    const insp = JSON.parse(cli(['cred', 'inspect', cfile]));
    ok(JSON.stringify(insp).includes('"guest"') && JSON.stringify(insp).includes('front'),
      'porter cred inspect: purpose guest, lock front', JSON.stringify(insp).slice(0, 400));
  }

  // 5. Timeline and deliveries.
  await tid('tab-timeline').click();
  await tid('timeline').waitFor({ timeout: 10000 });
  const tl = await tid('timeline').textContent();
  ok(/remote command (sent to the hub|carried out)/.test(tl), 'the timeline tells the remote command in plain words', tl.slice(0, 400));
  const alertShown = await until(20, async () => {
    if (await tid('event-alert').count()) return true;
    await page.reload();
    await tid('timeline').waitFor({ timeout: 5000 });
    return false;
  });
  const alertText = alertShown ? await tid('event-alert').first().textContent() : await tid('timeline').textContent();
  ok(alertShown && alertText.includes('ALERT') && alertText.includes('door forced open'),
    'the forced door is in the timeline as an ALERT (a label, not colour alone)', alertText.slice(0, 300));
  await shot('05-timeline');
  // Deliveries: a hosted carrier with a courier, two in-home deliveries
  // for the demo home (set up through the API as the carrier would).
  let D1 = null;
  let D2 = null;
  const pw = 'carrier password 123';
  let carrier = null;
  let courier = null;
  let ctok = null;
  try {
    await call('POST', '/v1/accounts', { email: 'dispatch@parcelo.test', password: pw, name: 'Parcelo dispatch', role: 'carrier-admin' });
    await call('POST', '/v1/accounts', { email: 'ben@parcelo.test', password: pw, name: 'Ben K.', role: 'courier' });
    ctok = await signin('dispatch@parcelo.test', pw);
    carrier = await call('POST', '/v1/carriers', { name: 'Parcelo', hosted: true }, ctok);
    courier = await call('POST', `/v1/carriers/${carrier.id}/couriers`,
      { email: 'ben@parcelo.test', name: 'Ben K.', level: 'id-checked' }, ctok);
    const otok = await signin(EMAIL, PASSWORD);
    await call('PATCH', `/v1/homes/${HOME}`, { policy: { in_home_delivery: true, carriers: [carrier.id] } }, otok);
    const now = Math.floor(Date.now() / 1000);
    const mk = (pkg) => call('POST', '/v1/deliveries', { carrier_id: carrier.id, home_id: HOME, package_id: pkg,
      window_start: now - 60, window_end: now + 3600, in_home: true }, ctok);
    D1 = (await mk('PKG-E2E-1')).id;
    D2 = (await mk('PKG-E2E-2')).id;
    await call('POST', `/v1/deliveries/${D1}/dispatch`, { courier: courier.account_id }, ctok);
  } catch (e) {
    log(`delivery setup: ${e.message}`);
  }
  ok(D1 && D2, 'two deliveries for the home (carrier, courier, policy set up through the API)');
  await tid('tab-deliveries').click();
  const d1 = page.locator(`[data-testid="delivery"][data-delivery="${D1}"]`);
  const d2 = page.locator(`[data-testid="delivery"][data-delivery="${D2}"]`);
  ok(await d1.waitFor({ timeout: 10000 }).then(() => true, () => false), 'the deliveries page lists them');
  const d1text = D1 ? await d1.textContent() : '';
  ok(d1text.includes('Ben K.') && d1text.includes('Parcelo') && d1text.includes('ID checked') && d1text.includes('pending'),
    'a delivery shows the courier\'s name, the carrier, the level and the approval', d1text);
  await shot('06-deliveries');
  if (D1 && D2) {
    // By keyboard: Tab to Approve on the first, Enter; to Refuse on the
    // second, Space.
    await page.locator('main').focus();
    const atApprove = await tabTo('delivery-approve', D1);
    ok(atApprove, 'Tab reaches Approve on the first delivery');
    if (atApprove) await page.keyboard.press('Enter');
    const approved = await until(10, async () => (await page.locator(`[data-testid="delivery"][data-delivery="${D1}"] [data-testid="delivery-approval"]`).textContent()) === 'approved');
    ok(approved, 'Approve, by keyboard: the delivery is approved');
    await until(5, async () => (await d2.locator('[data-testid="delivery-refuse"]').count()) === 1);
    await page.locator('main').focus();
    const atRefuse = await tabTo('delivery-refuse', D2);
    ok(atRefuse, 'Tab reaches Refuse on the second delivery');
    if (atRefuse) await page.keyboard.press('Space');
    const refused = await until(10, async () => (await page.locator(`[data-testid="delivery"][data-delivery="${D2}"] [data-testid="delivery-state"]`).textContent()) === 'refused');
    ok(refused, 'Refuse, by keyboard: the delivery is refused');
  }

  lap('5b');
  // 5b. The guest's credential (signed in the page above) opens the sim
  // lock: the hub trusts the browser key. Revoked from the page, the next
  // attempt is refused by the hub (decision.refuse, revoked).
  const door = (cred, key) => {
    try {
      const out = cli(['courier', 'unlock', '--hub', `unix:${join(V, 'hub', 'link.sock')}`, '--cred', cred, '--key', key]);
      return { rc: 0, out };
    } catch (e) {
      return { rc: e.status, out: `${e.stdout || ''}${e.stderr || ''}` };
    }
  };
  const simDo = (...a) => {
    try {
      cli(['sim', '--hub-control', join(V, 'hub', 'sim.sock'), ...a]);
    } catch (e) {
      log(`porter sim ${a.join(' ')}: ${e.stderr || e.message}`);
    }
  };
  // In and out again: the door opens and shuts, the bolt is thrown again.
  const walkThrough = async () => {
    await until(5, () => ['unlocked', 'unlocking'].includes(simStatus()?.lock));
    simDo('door', 'open');
    await sleep(400);
    simDo('door', 'close');
    return until(15, () => simStatus()?.lock === 'locked' && simStatus()?.door === 'closed');
  };
  const cfile = join(T, 'guest2.cred');
  let cutClipFrom = null;
  let cutClipId = null;
  // The clip this page (the browser key) plays in 5c, and how to undo the
  // tampering with its segment 0 there: 10. opens it again.
  let playedClip = null;
  if (chainB64) {
    let first = door(cfile, gkey);
    for (let i = 0; i < 5 && first.rc !== 0; i++) {
      log(`guest attempt ${i + 1}: ${first.rc} ${first.out.trim().split('\n').pop()}`);
      await sleep(1000);
      first = door(cfile, gkey);
    }
    lap('guest in');
    ok(first.rc === 0 && /^decision: granted/m.test(first.out), 'the guest\'s credential (signed in the page) opens the sim lock',
      `${first.rc} ${first.out} ${JSON.stringify(simStatus())}`);
    // porter-cam restarted (SIGHUP) while it records this entry: the clip
    // is cut short (its manifest says END seq 0), played further below.
    // The clip of this entry is the one the hub named in its newest
    // session.start; porter-cam is restarted only once porterd holds a
    // segment of it (the camera may still be closing the clip before).
    const tGuest = Date.now();
    let camHup = false;
    const newestEvent = async (type) => {
      let after = null, found = null;
      for (let i = 0; i < 100; i++) {
        const r = await page.evaluate(async ([home, a]) => (await (await fetch(
          `/v1/homes/${home}/events?limit=200${a ? `&after=${a}` : ''}`)).json()), [HOME, after]);
        for (const e of r.events || []) if (e.type === type) found = e;
        if (!r.next || !(r.events || []).length) break;
        after = r.next;
      }
      return found;
    };
    const guestStart = await until(15, async () => {
      const e = await newestEvent('session.start');
      return e && e.data?.clip && e.data.clip !== earlyEntry.clip && e.at * 1000 >= tGuest - 30000 ? e : null;
    });
    cutClipId = guestStart ? guestStart.data.clip : null;
    const recording = cutClipId && await until(20, async () => {
      const r = await page.evaluate(async (home) => (await (await fetch(`/v1/homes/${home}/clips?limit=200`)).json()).clips, HOME);
      return (r || []).some((x) => x.id === cutClipId && x.segments >= 1);
    });
    log(`guest clip ${cutClipId}: recording ${!!recording} after ${Date.now() - tGuest} ms`);
    try {
      process.kill(parseInt(readFileSync(join(V, 'run', 'cam.pid'), 'utf8'), 10), 'SIGHUP');
      camHup = true;
    } catch (e) {
      log(`SIGHUP porter-cam: ${e.message}`);
    }
    ok(await walkThrough(), 'the guest walks in: the door opens, shuts and the bolt is thrown again', JSON.stringify(simStatus()));
    lap('guest out');
    await tid('tab-people').click();
    const gli = page.locator(`[data-testid="grant"][data-token="${token}"]`);
    await gli.waitFor({ timeout: 10000 });
    await gli.locator('[data-testid="grant-revoke"]').click();
    await gli.locator('[data-testid="grant-revoke-confirm"]').waitFor({ timeout: 10000 }).catch(() => {});
    ok(await gli.locator('[data-testid="grant-revoke-confirm"]').isVisible() &&
      (await gli.getAttribute('data-revoked')) === 'no', 'Revoke asks once more before it signs anything',
    await gli.locator('[data-testid="grant-revoke-error"]').textContent().catch(() => ''));
    const revDetails = await gli.locator('[data-testid="grant-revoke-details"]').textContent().catch(() => '');
    ok(await gli.locator('[data-testid="grant-revoke-details"]').getAttribute('data-token').catch(() => null) === token &&
      revDetails.includes(gpub) && /guest/.test(revDetails),
    'the confirmation shows the token id, holder key and purpose read from the signed chain', revDetails);
    await gli.locator('[data-testid="grant-revoke-confirm"]').click();
    const revokedInPage = await until(10, async () => (await gli.getAttribute('data-revoked')) === 'yes');
    ok(revokedInPage, 'Revoke in the page: porterd stores the revocation signed in the page',
      revokedInPage ? '' : await gli.locator('[data-testid="grant-revoke-error"]').textContent({ timeout: 1000 }).catch(() => ''));
    // Listed as revoked (porterd's word, not checked): "Revoke again" stays.
    await tid('tab-home').click();
    await tid('tab-people').click();
    await gli.waitFor({ timeout: 10000 });
    const againBtn = gli.locator('[data-testid="grant-revoke-again"]');
    ok((await gli.getAttribute('data-revoked')) === 'yes' && await againBtn.isVisible().catch(() => false),
      'a credential porterd lists as revoked keeps a "Revoke again" button');
    if (await againBtn.count()) {
      await againBtn.click();
      await gli.locator('[data-testid="grant-revoke-confirm"]').waitFor({ timeout: 10000 }).catch(() => {});
      await gli.locator('[data-testid="grant-revoke-confirm"]').click().catch(() => {});
      const again = await until(10, async () => (await gli.locator('[data-testid="grant-revoke-again"]').count()) === 0 &&
        (await gli.locator('[data-testid="grant-revoked"]').count()) >= 2);
      ok(again, 'Revoke again signs and stores a revocation (or finds it stored already) and says REVOKED',
        await gli.locator('[data-testid="grant-revoke-error"]').textContent({ timeout: 1000 }).catch(() => ''));
    }
    await shot('10-guest-revoked');
    lap('revoked');
    let next = null;
    await until(30, async () => {
      next = door(cfile, gkey);
      log(`after revoking: ${next.rc} ${next.out.trim().split('\n').pop()}`);
      if (next.rc === 0) await walkThrough(); // not at the hub yet: it opened
      return next.rc !== 0 && /revoked/.test(next.out);
    });
    ok(next && next.rc !== 0 && /^decision: refused: .*\(revoked\)/m.test(next.out),
      'the next attempt with the revoked credential is refused at the door (revoked)', next && `${next.rc} ${next.out}`);
    const refusal = await until(15, () => page.evaluate(async (home) => {
      const r = await (await fetch(`/v1/homes/${home}/events?limit=200`)).json();
      return (r.events || []).find((e) => e.type === 'decision.refuse' && e.data?.reason === 'revoked');
    }, HOME));
    ok(refusal, 'the hub reports decision.refuse with reason revoked', JSON.stringify(refusal));
    ok(simStatus()?.lock === 'locked', 'the bolt stays thrown', JSON.stringify(simStatus()));
    // The camera is back (the delivery below requires it).
    ok(camHup && await until(20, () => simStatus()?.camera === 'healthy'), 'porter-cam, restarted, is healthy again at the hub',
      JSON.stringify(simStatus()));
    cutClipFrom = tGuest;
  } else ok(false, 'a guest credential to revoke');

  lap('5c');
  // 5c. A delivery followed live in the page, from "out for delivery" to
  // "completed", through the stream and without a reload; then the entry's
  // clip, checked, decrypted in a key worker and played.
  const phone = join(T, 'phone.key');
  cli(['keygen', '-o', phone]);
  const phonePub = cli(['pubkey', phone]).trim();
  let D3 = null;
  let cour = null;
  try {
    const otok = await signin(EMAIL, PASSWORD);
    await call('PATCH', `/v1/homes/${HOME}`, { location: { lat: 52.52, lon: 13.405 }, policy: { in_home_delivery: true,
      carriers: [carrier.id], hours: ['daily 00:00-24:00'], camera_required: true, alarm_bypass_required: false,
      approval: 'per-delivery' } }, otok);
    const dele = join(T, 'delegation.cred');
    cli(['grant', '--key', join(V, 'demo', 'owner.key'), '--holder', carrier.public_key, '--home', HOME, '--purpose',
      'delivery', '--expires', '+1d', '--entries', '20', '--depth', '1', '--camera', '-o', dele]);
    cli(['grant', 'upload', dele, '--label', 'Parcelo delegation']);
    cour = await signin('ben@parcelo.test', pw);
    await call('POST', '/v1/me/devices', { public_key: phonePub, label: 'phone' }, cour);
    const now = Math.floor(Date.now() / 1000);
    D3 = (await call('POST', '/v1/deliveries', { carrier_id: carrier.id, home_id: HOME, package_id: 'PKG-E2E-LIVE',
      window_start: now - 60, window_end: now + 3600, in_home: true }, ctok)).id;
  } catch (e) {
    log(`live delivery setup: ${e.stderr || e.message}`);
  }
  ok(D3, 'a third delivery, with the owner\'s delegation to the carrier (camera required) and the courier\'s phone');
  if (D3) {
    await page.goto(`${BASE}/app/#/homes/${HOME}/deliveries/${D3}`);
    const card = page.locator(`[data-testid="delivery"][data-delivery="${D3}"]`);
    await card.waitFor({ timeout: 10000 });
    await page.waitForFunction(() => /^live/.test(document.querySelector('[data-testid="stream-status"]')?.textContent),
      null, { timeout: 10000 }).catch(() => {});
    // Every state the page shows, as it shows it; and a mark a reload would lose.
    await page.evaluate(() => {
      window.__stayed = true;
      window.__states = [];
      const look = () => {
        const v = document.querySelector('[data-testid="delivery-state"]')?.dataset.value;
        if (v && window.__states[window.__states.length - 1] !== v) window.__states.push(v);
      };
      look();
      new MutationObserver(look).observe(document.getElementById('main'), { subtree: true, childList: true, attributes: true });
    });
    // The key is needed for nothing here; the page re-reads on the stream's word.
    await call('POST', `/v1/deliveries/${D3}/dispatch`, { courier: courier.account_id }, ctok);
    ok(await until(10, async () => (await card.locator('[data-testid="delivery-state"]').getAttribute('data-value')) === 'out-for-delivery'),
      'the delivery\'s page shows "out for delivery" when the carrier dispatches it (the stream)');
    await shot('11-delivery-out');
    await page.locator(`[data-testid="delivery"][data-delivery="${D3}"] [data-testid="delivery-approve"]`).click();
    ok(await until(10, async () => (await page.locator(`[data-testid="delivery"][data-delivery="${D3}"] [data-testid="delivery-approval"]`).textContent()) === 'approved'),
      'approved on the delivery\'s page');
    let arrived = null;
    try {
      arrived = await call('POST', `/v1/deliveries/${D3}/arrive`, { device_key: phonePub, lat: 52.5201, lon: 13.4049,
        package_id: 'PKG-E2E-LIVE' }, cour);
    } catch (e) {
      log(`arrive: ${e.message}`);
    }
    ok(arrived && arrived.credential, 'at the door: porterd issues the courier\'s credential', JSON.stringify(arrived?.issue || arrived));
    const tEntry = Date.now();
    lap('arrived');
    if (arrived && arrived.credential) {
      const dcred = join(T, 'door.cred');
      writeFileSync(dcred, Buffer.from(arrived.credential, 'base64url'));
      const inn = door(dcred, phone);
      ok(inn.rc === 0, 'the courier\'s phone opens the sim lock', `${inn.rc} ${inn.out}`);
      ok(await walkThrough(), 'the courier goes in and out: the bolt is thrown again', JSON.stringify(simStatus()));
    }
    await until(10, async () => (await card.locator('[data-testid="delivery-state"]').getAttribute('data-value').catch(() => '')) === 'entered');
    try {
      await call('POST', `/v1/deliveries/${D3}/complete`, {}, cour);
    } catch (e) {
      log(`complete: ${e.message}`);
    }
    lap('walked through');
    const done = await until(10, async () => (await card.locator('[data-testid="delivery-state"]').getAttribute('data-value')) === 'completed');
    const seen = await page.evaluate(() => ({ stayed: window.__stayed === true, states: window.__states }));
    ok(done && seen.stayed && seen.states[0] === 'scheduled' && seen.states.includes('out-for-delivery') &&
      seen.states[seen.states.length - 1] === 'completed',
    'followed live: "out for delivery" to "completed" on the delivery\'s page, without a reload', JSON.stringify(seen));
    ok(seen.states.includes('entered'), 'the hub\'s report of the entry shows too (entered)', JSON.stringify(seen.states));
    await shot('12-delivery-completed');

    lap('clip wait');
    // The entry's clip: wait for the camera's manifest (post-roll), then
    // open it from the delivery's page.
    const clipNow = async () => {
      const r = await page.evaluate(async (home) => (await (await fetch(`/v1/homes/${home}/clips?limit=200`)).json()).clips, HOME);
      return (r || []).filter((c) => c.manifest && c.key && c.end_ms >= tEntry).sort((a, b) => b.start_ms - a.start_ms)[0];
    };
    // Meanwhile (the camera's post-roll), another browser of the same owner.
    let ctx2 = null;
    let p2 = null;
    let t2 = null;
    let p2Workers = 0; // workers started in p2, ever
    const second = (async () => {
      // Another browser of the same owner, holding the demo owner key (the
      // clip's recipient): its record sealed the way the app seals one
      // (Argon2id interactive + secretbox of the seed), in IndexedDB.
      const sodium = (await import(join(BUILD, 'web', 'vendor', 'libsodium-wrappers.mjs'))).default;
      await sodium.ready;
      const seed = Buffer.from(readFileSync(join(V, 'demo', 'owner.key'), 'utf8').trim().split(/\s+/).pop(), 'base64url');
      const kp = sodium.crypto_sign_seed_keypair(seed);
      const salt = sodium.randombytes_buf(16);
      const nonce = sodium.randombytes_buf(24);
      const kdfKey = sodium.crypto_pwhash(32, 'owner passphrase 2', salt, 2, 67108864, sodium.crypto_pwhash_ALG_ARGON2ID13);
      const rec2 = { v: 1, label: 'demo owner key', public_key: Buffer.from(kp.publicKey).toString('base64url'),
        key_id: Buffer.from(sodium.crypto_hash_sha256(kp.publicKey).slice(0, 8)).toString('hex'),
        kdf: { alg: 'argon2id13', opslimit: 2, memlimit: 67108864, salt: [...salt] }, nonce: [...nonce],
        box: [...sodium.crypto_secretbox_easy(seed, nonce, kdfKey)], created_at: Math.floor(Date.now() / 1000) };
      ctx2 = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
      // The Blobs the page plays (its plaintext): the control of the scan
      // for MP4 box headers below. The app itself is unchanged.
      await ctx2.addInitScript(() => {
        const orig = URL.createObjectURL;
        window.__blobs = [];
        URL.createObjectURL = function (b) {
          if (b instanceof Blob) window.__blobs.push(b);
          return orig.call(URL, b);
        };
      });
      p2 = await ctx2.newPage();
      p2.on('pageerror', (e) => pageErrors.push(`second browser: ${e.message}`));
      p2.on('worker', () => p2Workers++);
      t2 = (id) => p2.locator(`[data-testid="${id}"]`);
      await p2.goto(`${BASE}/app/`);
      await t2('signin-email').fill(EMAIL);
      await t2('signin-password').fill(PASSWORD);
      await t2('signin-submit').click();
      await t2('nav-homes').waitFor({ timeout: 15000 });
      await p2.evaluate(async (r) => {
        const me = await (await fetch('/v1/sessions/current')).json();
        const rec = { ...r, id: `account-${me.account.id}`, nonce: new Uint8Array(r.nonce), box: new Uint8Array(r.box),
          kdf: { ...r.kdf, salt: new Uint8Array(r.kdf.salt) } };
        const db = await new Promise((res, rej) => {
          const q = indexedDB.open('porter', 1);
          q.onupgradeneeded = () => q.result.createObjectStore('keys', { keyPath: 'id' });
          q.onsuccess = () => res(q.result);
          q.onerror = rej;
        });
        await new Promise((res, rej) => {
          const t = db.transaction('keys', 'readwrite');
          t.objectStore('keys').put(rec);
          t.oncomplete = res;
          t.onerror = rej;
        });
        db.close();
      }, rec2);
    })();
    second.catch(() => {}); // awaited below; not left unhandled if there is no clip
    const clip = await until(40, clipNow);
    ok(clip, 'the camera uploaded the entry\'s clip with its manifest', JSON.stringify(await clipNow().catch((e) => e.message)));
    if (clip) {
      await card.locator('[data-testid="delivery-clip"]').click();
      const player = page.locator('[data-testid="clip-player"]');
      await player.waitFor({ timeout: 10000 });
      ok(await player.getAttribute('data-clip') === clip.id, 'Video of the entry opens the clip recorded during the delivery',
        `${await player.getAttribute('data-clip')} ${clip.id}`);
      // This browser's key was endorsed (step 3) before this entry: porter-cam
      // seals each clip to every owner key the hub trusts (docs/cam.md,
      // "Owner keys from the hub"), so this key opens it and the page plays it.
      const ownerPub1 = readFileSync(join(V, 'demo', 'owner.key.pub'), 'utf8').trim().split(/\s+/).pop();
      const ownerKid1 = createHash('sha256').update(Buffer.from(ownerPub1, 'base64url')).digest('hex').slice(0, 16);
      await tid('clip-passphrase').fill('e2e passphrase 1');
      await tid('clip-play').click();
      const dur1 = await until(40, () => page.evaluate(() => {
        const v = document.querySelector('[data-testid="clip-video"]');
        return v && !v.hidden && Number.isFinite(v.duration) && v.duration > 0 ? v.duration : null;
      }));
      ok(dur1, `the clip recorded after this browser's key was endorsed opens with that key and plays: the video reports ${dur1} s`,
        `${await tid('clip-status').textContent().catch(() => '')} ${await tid('clip-error').textContent().catch(() => '')}`);
      if (dur1) playedClip = { id: clip.id, camera: clip.camera, untamper: null };
      // Believed through the demo owner key (which enrolled the camera), the
      // key that endorsed this browser's key, pinned on first sight.
      const signer1 = await tid('clip-camera-vouched').getAttribute('data-signer').catch(() => null);
      const anchor1 = await tid('clip-camera-vouched').getAttribute('data-anchor').catch(() => null);
      ok(signer1 === ownerKid1 && anchor1 === '1',
        `the camera key is vouched for by the demo owner key (${ownerKid1}), the endorser of this browser's key, as first seen`,
        `${signer1} ${anchor1}: ${await tid('clip-camera-vouched').textContent().catch(() => '')}`);
      await shot('13-clip-browser-key');
      // The home's clips list: the clip just played is there, and its
      // link opens it.
      await tid('tab-clips').click();
      const listed = page.locator(`[data-testid="clips"] [data-testid="clip"][data-clip="${clip.id}"] [data-testid="clip-open"]`);
      const inList = await listed.waitFor({ timeout: 10000 }).then(() => true, () => false);
      ok(inList && (await listed.getAttribute('href')) === `#/homes/${HOME}/clips/${clip.id}` && page.url().endsWith(`#/homes/${HOME}/clips`),
        'the home\'s clips list (#/homes/ID/clips) has the clip just played, with its link',
        `${page.url()} ${await tid('clips').textContent().catch(() => '')}`.slice(0, 600));
      await shot('13c-clips');
      if (inList) {
        await listed.click();
        ok(await until(10, async () => (await page.locator('[data-testid="clip-player"]').getAttribute('data-clip')) === clip.id),
          'its link opens that clip\'s page');
      }
      await tid('nav-keys').click();
      const pinLine = page.locator(`[data-testid="endorser-pin"][data-home="${HOME}"]`);
      const pinned = await until(15, async () => (await pinLine.getAttribute('data-kid').catch(() => null)) || null);
      ok(pinned === ownerKid1 && (await pinLine.textContent()).includes(`owner key ${ownerKid1} (the key that endorsed it, as first seen)`),
        'the Keys page shows the endorser this browser pinned (the demo owner key\'s id), to compare with porter key list',
        `${pinned}: ${await pinLine.textContent().catch(() => '')}`);

      // The clip recorded before this browser's key was endorsed (make run's
      // guest, at the start): not sealed to it. The page says so, with the
      // keys it is sealed to (the demo owner key's among them, not this
      // browser's), and plays nothing.
      if (earlyEntry.clip) {
        lap('early clip');
        const earlyUp = await until(20, async () => {
          const r = await page.evaluate(async (home) => (await (await fetch(`/v1/homes/${home}/clips?limit=200`)).json()).clips, HOME);
          return (r || []).some((c) => c.id === earlyEntry.clip && c.key && c.manifest);
        });
        await page.goto(`${BASE}/app/#/homes/${HOME}/clips/${earlyEntry.clip}`);
        await tid('clip-passphrase').waitFor({ timeout: 10000 });
        await tid('clip-passphrase').fill('e2e passphrase 1');
        const w0 = workers();
        await tid('clip-play').click();
        const said = await until(30, async () => {
          const t = await tid('clip-error').textContent();
          return /sealed to key/.test(t) ? t : null;
        });
        await until(5, () => workers() === w0); // the clip's key worker ends with the refusal
        const browserKid = createHash('sha256').update(Buffer.from(PK, 'base64url')).digest('hex').slice(0, 16);
        const m = /this clip is sealed to key ([0-9a-f, ]+), not to this browser's key ([0-9a-f]{16})/.exec(said || '');
        const to = m ? m[1].split(', ') : [];
        ok(earlyUp && m && m[2] === browserKid && to.includes(ownerKid1) && !to.includes(browserKid) &&
          await tid('clip-video').isHidden() && (await tid('clip-status').getAttribute('data-value')) === 'refused' &&
          workers() === w0,
        `the clip recorded before this browser's key was endorsed does not open: the page says it is sealed to ${to.join(', ') || '?'}, not to ${browserKid}`,
        `${earlyUp} ${said} (workers ${w0} -> ${workers()}) ${await tid('clip-error').textContent().catch(() => '')}`);
        await shot('13a-clip-before-endorsement');
        lap('early clip refused');
      } else ok(false, 'a clip recorded before the endorsement, to refuse', JSON.stringify(earlyEntry));

      // ---- who the page believes (docs/cam.md, "Who a viewer believes") ----
      // Above, this browser's key got past the camera's statement through
      // the owner key that endorsed it (the demo owner key, which enrolled
      // the camera), pinned on first sight and used while porterd serves
      // that endorsement. Now porterd withholds the endorsement statements:
      // the pinned key is no anchor then (fail closed), the camera's key is
      // not vouched for, the page says so, and nothing is fetched or opened.
      {
        const ownerKeys = (url) => url.pathname === `/v1/homes/${HOME}/owner-keys`;
        await page.route(ownerKeys, async (route) => {
          const res = await route.fetch();
          const j = await res.json();
          for (const k of j.keys || []) k.statement = null;
          await route.fulfill({ response: res, json: j });
        });
        let keyReads = 0;
        const onReq = (rq) => {
          if (new URL(rq.url()).pathname === `/v1/homes/${HOME}/clips/${clip.id}/key`) keyReads++;
        };
        page.on('request', onReq);
        let pageWorkers = 0;
        const onWorker = () => pageWorkers++;
        page.on('worker', onWorker);
        await page.goto(`${BASE}/app/#/homes/${HOME}/clips`);
        await page.goto(`${BASE}/app/#/homes/${HOME}/clips/${clip.id}`);
        await tid('clip-passphrase').waitFor({ timeout: 10000 });
        await tid('clip-passphrase').fill('e2e passphrase 1');
        await tid('clip-play').click();
        const said = await until(30, async () => {
          const t = await tid('clip-error').textContent();
          return /this camera's key is not vouched for by an owner of this home/.test(t) ? t : null;
        });
        page.off('request', onReq);
        page.off('worker', onWorker);
        await page.unroute(ownerKeys);
        ok(said && /enrolled by owner key [0-9a-f]{16}/.test(said) && keyReads === 0 && pageWorkers === 0 &&
          await tid('clip-video').isHidden(),
        'porterd withholds the owner endorsements: "this camera\'s key is not vouched for by an owner of this home", no key record fetched, no key worker',
        `${said} (key reads ${keyReads}, workers ${pageWorkers})`);
        await shot('13b-camera-not-vouched');
      }

      let secondOk = true;
      await second.catch((e) => {
        secondOk = false;
        log(`second browser: ${e.stack || e.message}`);
      });
      ok(secondOk && p2, 'a second browser of the same owner signs in, its key stored as the app stores one');
      lap('second browser ready');
      // Every request and response of the second browser (its page and
      // workers) while the clip is checked, decrypted and played: the key
      // record, manifest and segments through a route (route.fetch, the
      // same bytes to the page: Chrome keeps no copy of a body the page
      // reads as a stream), the rest as the browser got them.
      const traffic2 = [];
      const bodies2 = [];
      const lost2 = [];
      const routed2 = /\/v1\/homes\/[^/]+\/clips\/[^/]+\/(key|manifest|segments\/\d+)$/;
      const onReq2 = (rq) => traffic2.push({ dir: 'request', method: rq.method(), url: rq.url(),
        body: rq.postDataBuffer() || Buffer.alloc(0), headers: JSON.stringify(rq.headers()) });
      const onRes2 = (rs) => {
        if (routed2.test(new URL(rs.url()).pathname)) return;
        bodies2.push(rs.body().then((b) => traffic2.push({ dir: 'response', status: rs.status(), url: rs.url(), body: b,
          headers: JSON.stringify(rs.headers()) }), (e) => lost2.push(`${rs.status()} ${rs.url()}: ${String(e.message).split('\n')[0]}`)));
      };
      const route2 = async (route) => {
        let res;
        try {
          res = await route.fetch({ timeout: 60000 });
        } catch {
          await route.abort().catch(() => {});
          return;
        }
        const b = await res.body().catch(() => Buffer.alloc(0));
        traffic2.push({ dir: 'response', via: 'route', status: res.status(), url: route.request().url(), body: b,
          headers: JSON.stringify(res.headers()) });
        await route.fulfill({ response: res, body: b }).catch(() => {});
      };
      ctx2.on('request', onReq2);
      ctx2.on('response', onRes2);
      await ctx2.route((url) => routed2.test(url.pathname), route2);
      await p2.goto(`${BASE}/app/#/homes/${HOME}/clips/${clip.id}`);
      await t2('clip-passphrase').waitFor({ timeout: 10000 });
      await t2('clip-passphrase').fill('owner passphrase 2');
      const tPlay = Date.now();
      await t2('clip-play').click();
      const dur = await until(40, () => p2.evaluate(() => {
        const v = document.querySelector('[data-testid="clip-video"]');
        return v && !v.hidden && Number.isFinite(v.duration) && v.duration > 0 ? v.duration : null;
      }));
      log(`clip checked, decrypted and loaded in ${Date.now() - tPlay} ms`);
      ok(dur, `the clip plays in the page: the video element reports ${dur} s`,
        `${await t2('clip-status').textContent()} ${await t2('clip-error').textContent()}`);
      const verified = await t2('clip-verified').getAttribute('data-segments').catch(() => null);
      ok(Number(verified) >= 1 && Number(verified) === clip.segments, `every segment checked against the camera's signatures (${verified} of ${clip.segments})`,
        await t2('clip-verified').textContent({ timeout: 1000 }).catch(() => ''));
      ok(await t2('clip-cut-short').getAttribute('data-value').catch(() => null) === 'no',
        'a clip with its manifest and every segment is not said to be cut short', await t2('clip-cut-short').textContent({ timeout: 1000 }).catch(() => ''));
      ok(p2.workers().length === 0, 'the clip\'s key worker has ended once the clip is decrypted', p2.workers().length);
      // ---- what went over the network meanwhile: no plaintext video, no private key ----
      ctx2.off('request', onReq2);
      ctx2.off('response', onRes2);
      await ctx2.unroute((url) => routed2.test(url.pathname), route2).catch(() => {});
      await ctx2.unrouteAll({ behavior: 'ignoreErrors' }).catch(() => {});
      await Promise.race([Promise.all(bodies2), sleep(10000)]);
      {
        const ownerSeed = Buffer.from(readFileSync(join(V, 'demo', 'owner.key'), 'utf8').trim().split(/\s+/).pop(), 'base64url');
        const forms = keyForms(ownerSeed);
        const segs2 = traffic2.filter((t) => t.via === 'route' && /\/segments\/\d+$/.test(t.url) && t.status === 200);
        log(`second browser, clip play: ${traffic2.length} requests and responses recorded, ${segs2.length} segments; ` +
          `bodies not readable: ${lost2.length}`);
        ok(segs2.length === clip.segments && segs2.every((t) => t.body.subarray(0, 6).toString('latin1') === 'PTSEG1') &&
          traffic2.some((t) => t.via === 'route' && t.url.endsWith('/key')),
        `the recording holds the key record and every segment as fetched, each starting PTSEG1 (${segs2.length} of ${clip.segments})`);
        ok(lost2.filter((l) => !/^(204|30\d) /.test(l)).length === 0, 'every other response body was read', lost2.join('\n'));
        const clear = traffic2.map((t) => ({ t, boxes: boxHeaders(t.body) })).filter((x) => x.boxes.length);
        ok(ownerSeed.length === 32 && clear.length === 0,
          `no request or response of ${traffic2.length} carries an MP4 box header (ftyp, moov, moof, mdat) in the clear`,
          clear.map((x) => `${x.t.dir} ${x.t.url}: ${x.boxes.slice(0, 5).join(' ')}`).join('\n'));
        const leaks = traffic2.filter((t) => carries(t, forms));
        ok(leaks.length === 0, 'no request or response carries the owner key\'s seed (raw, hex, base64, base64url; body, URL or headers)',
          leaks.map((t) => `${t.dir} ${t.url}`).join('\n'));
        // Controls: the same scans find the box headers in what the page
        // played, and the seed in a request the test has the page send.
        const played = Buffer.from(await p2.evaluate(async () => {
          const b = window.__blobs[window.__blobs.length - 1];
          return b ? Array.from(new Uint8Array(await b.slice(0, 262144).arrayBuffer())) : [];
        }));
        const pb = boxHeaders(played);
        ok(pb.some((b) => b.startsWith('ftyp')) && pb.some((b) => b.startsWith('moof')),
          `control: the scan finds the box headers in the plaintext the page played (${pb.slice(0, 4).join(' ')})`);
        const ctl = [];
        const onCtl = (rq) => ctl.push({ dir: 'request', url: rq.url(), body: rq.postDataBuffer() || Buffer.alloc(0), headers: '' });
        ctx2.on('request', onCtl);
        await p2.evaluate((b) => fetch('/v1/test-only-scan-control', { method: 'POST', body: b }).catch(() => {}),
          ownerSeed.toString('base64url'));
        await until(5, () => ctl.length > 0);
        ctx2.off('request', onCtl);
        ok(ctl.some((t) => carries(t, forms)), 'control: the seed scan finds the seed in a request the test had the page send');
      }
      // The camera key id shown is computed from the key checked with; the
      // times shown are the camera-signed ones.
      const cam2 = await p2.evaluate(async ([home, id]) => {
        const cams = (await (await fetch(`/v1/homes/${home}/cameras`)).json()).cameras || [];
        const d = await (await fetch(`/v1/homes/${home}/clips/${id}`)).json();
        return { cams, d };
      }, [HOME, clip.id]);
      const camOf = cam2.cams.find((c) => c.id === clip.camera) || {};
      const camKid = camOf.public_key ? createHash('sha256').update(Buffer.from(camOf.public_key, 'base64url')).digest('hex').slice(0, 16) : '?';
      ok((await t2('clip-verified').textContent()).includes(`key id ${camKid}`),
        `the clip names the camera key id computed from the camera key (${camKid})`, await t2('clip-verified').textContent());
      ok(await t2('clip-signed-times').getAttribute('data-start').catch(() => null) === String(cam2.d.manifest?.start_ms) &&
        await t2('clip-heading').getAttribute('data-signed').catch(() => null) === 'yes',
      'the clip\'s start shown is the camera-signed manifest\'s', await t2('clip-signed-times').textContent().catch(() => ''));
      // ---- who the page believes: the clip says whose statement vouched ----
      {
        const ownerPub = readFileSync(join(V, 'demo', 'owner.key.pub'), 'utf8').trim().split(/\s+/).pop();
        const ownerKid = createHash('sha256').update(Buffer.from(ownerPub, 'base64url')).digest('hex').slice(0, 16);
        const signer = await t2('clip-camera-vouched').getAttribute('data-signer').catch(() => null);
        const said = await t2('clip-camera-vouched').textContent().catch(() => '');
        ok(signer === ownerKid && /this browser's own key/.test(said),
          `the clip says the camera key was enrolled by the demo owner key (${ownerKid}), this browser's own`, `${signer}: ${said}`);
      }
      // A porterd that lies: each refused before any key worker starts.
      const lie = async (what, pattern, rewrite, want) => {
        await p2.route(pattern, async (route) => {
          const res = await route.fetch();
          const j = await res.json();
          rewrite(j);
          await route.fulfill({ response: res, json: j });
        });
        await p2.goto(`${BASE}/app/#/homes/${HOME}/clips`);
        await p2.goto(`${BASE}/app/#/homes/${HOME}/clips/${clip.id}`);
        await t2('clip-passphrase').waitFor({ timeout: 10000 });
        await t2('clip-passphrase').fill('owner passphrase 2');
        const w0 = p2Workers;
        await t2('clip-play').click();
        const said = await until(30, async () => {
          const t = `${await t2('clip-error').textContent()} ${await t2('clip-cut-short').textContent({ timeout: 500 }).catch(() => '')}`;
          return want.test(t) ? t : null;
        });
        await p2.unroute(pattern);
        return { said, workers: p2Workers - w0 };
      };
      const at = (path) => (url) => url.pathname === path; // porterd's paths, queries aside
      const l1 = await lie('key id', at(`/v1/homes/${HOME}/cameras`), (j) => {
        for (const c of j.cameras || []) c.key_id = '00'.repeat(8);
      }, /key id for camera/);
      ok(l1.said && l1.workers === 0, 'porterd\'s camera key_id not the id of its key: the clip is refused', l1.said);
      const l2 = await lie('times', at(`/v1/homes/${HOME}/clips`), (j) => {
        for (const c of j.clips || []) c.start_ms -= 3600000;
      }, /not the one the camera signed/);
      ok(l2.said && l2.workers === 0, 'porterd\'s start_ms an hour off the signed manifest\'s: the clip is refused', l2.said);
      // ---- who the page believes: porterd's camera key without the owner's word ----
      const vouch = /this camera's key is not vouched for by an owner of this home/;
      const l5 = await lie('no statement', at(`/v1/homes/${HOME}/cameras`), (j) => {
        for (const c of j.cameras || []) c.statement = null;
      }, vouch);
      ok(l5.said && /without an owner's statement/.test(l5.said) && l5.workers === 0,
        'porterd drops the camera\'s statement: not vouched for, the clip is refused', l5.said);
      const fakeCam = Buffer.alloc(32, 0x5a).toString('base64url');
      const fakeKid = createHash('sha256').update(Buffer.from(fakeCam, 'base64url')).digest('hex').slice(0, 16);
      const l6 = await lie('swapped', at(`/v1/homes/${HOME}/cameras`), (j) => {
        for (const c of j.cameras || []) {
          c.public_key = fakeCam;
          c.key_id = fakeKid;
        }
      }, vouch);
      ok(l6.said && /not the one the owner signed/.test(l6.said) && l6.workers === 0,
        'porterd swaps the camera key (and its key id): not vouched for, the clip is refused', l6.said);
      const segs = (cam2.d.stored_segments || []).length;
      if (segs >= 2) {
        const l3 = await lie('gaps', at(`/v1/homes/${HOME}/clips/${clip.id}`), (j) => {
          j.manifest = null;
          j.stored_segments = (j.stored_segments || []).filter((x) => x.index !== 0);
        }, /segments missing: 0\b/);
        ok(l3.said, 'without a manifest, a segment 0 porterd does not list is reported missing', l3.said);
      } else ok(false, `the clip has 2 segments or more to drop one (${segs})`);
      await p2.screenshot({ path: join(ART, '14-clip-playing.png'), fullPage: true });
      const sw2 = await p2.evaluate(() => document.documentElement.scrollWidth);
      ok(sw2 <= 390, `14-clip-playing: nothing wider than the 390 px screen (scrollWidth ${sw2})`);
  lap('tamper');
      // A segment altered in porterd's clip store: refused, nothing played.
      const seg0 = join(V, 'porterd', 'clips', HOME, clip.id, '0000.seg');
      let altered = false;
      try {
        const b = readFileSync(seg0);
        b[b.length - 5] ^= 1;
        writeFileSync(seg0, b);
        altered = true;
        if (playedClip) {
          playedClip.untamper = () => {
            b[b.length - 5] ^= 1;
            writeFileSync(seg0, b);
          };
        }
      } catch (e) {
        log(`alter ${seg0}: ${e.message}`);
      }
      if (altered) {
        await p2.goto(`${BASE}/app/#/homes/${HOME}/clips`);
        await p2.goto(`${BASE}/app/#/homes/${HOME}/clips/${clip.id}`);
        await t2('clip-passphrase').waitFor({ timeout: 10000 });
        await t2('clip-passphrase').fill('owner passphrase 2');
        const wTamper = p2Workers;
        await t2('clip-play').click();
        ok(await until(30, async () => /segment 0: its size or SHA-256 is not the manifest's/.test(await t2('clip-error').textContent())),
          'a segment altered at porterd is refused before anything is decrypted', await t2('clip-error').textContent());
        ok(await t2('clip-video').isHidden() && p2Workers === wTamper, `nothing played, no key worker started (${p2Workers - wTamper})`);
      } else ok(false, 'the clip store has the segment to alter', seg0);
      // The guest's entry, cut short by the camera's restart: it plays, and
      // the page says it was cut short.
      lap('cut short');
      const cut = cutClipFrom && cutClipId ? await until(20, async () => {
        const r = await p2.evaluate(async (home) => (await (await fetch(`/v1/homes/${home}/clips?limit=200`)).json()).clips, HOME);
        const c = (r || []).find((x) => x.manifest && x.id === cutClipId);
        if (!c) return null;
        const d = await p2.evaluate(async ([home, id]) => (await (await fetch(`/v1/homes/${home}/clips/${id}`)).json()), [HOME, c.id]);
        return d.manifest && d.manifest.end_seq === 0 ? c : null;
      }) : null;
      let cutWhy = '';
      if (!cut) {
        const r = await p2.evaluate(async (home) => (await (await fetch(`/v1/homes/${home}/clips?limit=200`)).json()), HOME);
        cutWhy = `guest at ${cutClipFrom}, its clip ${cutClipId}; clips: ${JSON.stringify((r.clips || []).map((x) => [x.id.slice(0, 8), x.created_at, !!x.manifest, x.start_ms, x.end_ms]))}`;
      }
      ok(cut, 'the guest\'s clip was cut short by the camera\'s restart (its signed manifest says END seq 0)', cutWhy);
      if (cut) {
        await p2.goto(`${BASE}/app/#/homes/${HOME}/clips/${cut.id}`);
        await t2('clip-passphrase').waitFor({ timeout: 10000 });
        await t2('clip-passphrase').fill('owner passphrase 2');
        await t2('clip-play').click();
        const cutDur = await until(40, () => p2.evaluate(() => {
          const v = document.querySelector('[data-testid="clip-video"]');
          return v && !v.hidden && Number.isFinite(v.duration) && v.duration > 0 ? v.duration : null;
        }));
        const said = await t2('clip-cut-short').textContent({ timeout: 1000 }).catch(() => '');
        ok(cutDur && await t2('clip-cut-short').getAttribute('data-value').catch(() => null) === 'yes' &&
          /^Cut short: the camera stopped before the entry ended/.test(said),
        `a clip cut short plays (${cutDur} s) and the page says it was cut short`,
        `${said} ${await t2('clip-error').textContent({ timeout: 1000 }).catch(() => '')}`);
        await p2.screenshot({ path: join(ART, '15-clip-cut-short.png'), fullPage: true });
      }
      await ctx2?.close();
    }
  }

  // 5d. Home settings (notes, policy, time zone) and a household member
  // added by e-mail, from the page; read back through the API.
  lap('5d');
  expectRefusals = true;
  await page.goto(`${BASE}/app/#/homes/${HOME}/settings`);
  await tid('settings-form').waitFor({ timeout: 10000 });
  const homeBefore = await page.evaluate(async (home) => (await (await fetch(`/v1/homes/${home}`)).json()), HOME);
  await tid('settings-notes').fill('cat inside: keep the door shut (e2e)');
  await tid('settings-tz').fill('Europe/Lisbon');
  await tid('settings-approval').selectOption('standing');
  await tid('settings-hours').fill('mon-fri 08:00-20:00\nsat 09:00-12:00');
  await tid('settings-save').click();
  const savedSettings = await until(10, async () => (await tid('settings-result').getAttribute('data-value')) === 'saved');
  const homeAfter = await page.evaluate(async (home) => (await (await fetch(`/v1/homes/${home}`)).json()), HOME);
  ok(savedSettings && homeAfter.notes === 'cat inside: keep the door shut (e2e)' && homeAfter.tz === 'Europe/Lisbon' &&
    homeAfter.policy.approval === 'standing' && JSON.stringify(homeAfter.policy.hours) === JSON.stringify(['mon-fri 08:00-20:00', 'sat 09:00-12:00']) &&
    JSON.stringify(homeAfter.policy.carriers) === JSON.stringify(homeBefore.policy.carriers) &&
    homeAfter.policy.in_home_delivery === homeBefore.policy.in_home_delivery,
  'Settings: notes, time zone, approval and hours saved; the carriers and the rest of the policy kept',
  `${await tid('settings-error').textContent()} ${JSON.stringify(homeAfter)}`);
  await tid('settings-tz').fill('Not/AZone');
  await tid('settings-save').click();
  ok(await until(10, async () => (await tid('settings-error').textContent()).length > 0) &&
    (await page.evaluate(async (home) => (await (await fetch(`/v1/homes/${home}`)).json()).tz, HOME)) === 'Europe/Lisbon',
  'a time zone the server does not know is refused, nothing changed', await tid('settings-error').textContent());
  let memberOk = false;
  try {
    await call('POST', '/v1/accounts', { email: 'flatmate@e2e.test', password: 'flatmate password 1', name: 'Flatmate', role: 'owner' });
    memberOk = true;
  } catch (e) {
    log(`member account: ${e.message}`);
  }
  await tid('member-email').fill('nobody-here@e2e.test');
  await tid('member-add').click();
  ok(await until(10, async () => /No porter account has that e-mail/.test(await tid('member-error').textContent())),
    'adding an e-mail without an account says so', await tid('member-error').textContent());
  await tid('member-email').fill('flatmate@e2e.test');
  await tid('member-add').click();
  ok(memberOk && await until(10, async () => (await tid('member-result').getAttribute('data-value')) === 'added'),
    'a household member added by e-mail', `${await tid('member-error').textContent()}`);
  const flatHomes = memberOk ? await call('GET', '/v1/homes', null, await signin('flatmate@e2e.test', 'flatmate password 1')).catch(() => null) : null;
  ok(flatHomes && flatHomes.homes.some((x) => x.id === HOME && x.role === 'member'), 'the member now sees the home, as a member',
    JSON.stringify(flatHomes));
  await tid('member-add').click();
  ok(await until(10, async () => /already in this household/.test(await tid('member-error').textContent())),
    'adding the same member again says so', await tid('member-error').textContent());
  // The members list shows them; Remove (confirmed) takes the home from
  // them at once: their next request about it is 404.
  const flatRow = page.locator('[data-testid="member"][data-email="flatmate@e2e.test"]');
  ok(await until(10, async () => (await flatRow.count()) === 1 && (await flatRow.getAttribute('data-role')) === 'member'),
    'the members list shows the new member', await tid('member-list').textContent().catch(() => ''));
  await shot('16-settings');
  const flatTok = memberOk ? await signin('flatmate@e2e.test', 'flatmate password 1').catch(() => null) : null;
  const flatGet = async () => call('GET', `/v1/homes/${HOME}`, null, flatTok).then(() => 200, (e) => e.message);
  ok(flatTok && (await flatGet()) === 200, 'before the removal the member reads the home', String(flatTok));
  await flatRow.locator('[data-testid="member-remove"]').click();
  await flatRow.locator('[data-testid="member-remove-confirm"]').click();
  ok(await until(10, async () => (await flatRow.count()) === 0), 'Remove, confirmed: the member is gone from the list',
    `${await tid('member-list').textContent().catch(() => '')} ${await tid('member-remove-error').first().textContent().catch(() => '')}`);
  const flatAfter = await flatGet();
  ok(/: 404 /.test(String(flatAfter)), 'the removed member\'s next request about the home is 404', String(flatAfter));
  // Removed as an owner: the page says which owner keys to revoke (this
  // account enrolled none).
  await tid('member-email').fill('flatmate@e2e.test');
  await tid('member-role').selectOption('owner');
  await tid('member-add').click();
  ok(await until(10, async () => (await flatRow.count()) === 1 && (await flatRow.getAttribute('data-role')) === 'owner'),
    'the member added back as an owner is listed as owner', await tid('member-list').textContent().catch(() => ''));
  await flatRow.locator('[data-testid="member-remove"]').click();
  await flatRow.locator('[data-testid="member-remove-confirm"]').click();
  ok(await until(10, async () => (await flatRow.count()) === 0 &&
    (await tid('member-removed-note').getAttribute('data-keys').catch(() => null)) === '0'),
  'an owner removed: the page says their owner keys must be revoked (none enrolled by them)',
  await tid('member-removed').textContent().catch(() => ''));
  await shot('16b-settings-owner-removed');
  // An owner whose account enrolled a key: after the removal the page
  // lists that key and revokes it, signed in the page with the owner key.
  const { generateKeyPairSync } = await import('node:crypto');
  const flatPk = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x;
  let flatKey = null;
  await tid('member-add').click();
  if (await until(10, async () => (await flatRow.count()) === 1)) {
    flatKey = await call('POST', `/v1/homes/${HOME}/owner-keys`, { public_key: flatPk, label: 'Flatmate phone' },
      await signin('flatmate@e2e.test', 'flatmate password 1')).catch((e) => { log(`flatmate key: ${e.message}`); return null; });
    await flatRow.locator('[data-testid="member-remove"]').click();
    await flatRow.locator('[data-testid="member-remove-confirm"]').click();
  }
  const rk = page.locator(`[data-testid="removed-key"][data-key="${flatKey?.key_id}"]`);
  ok(flatKey && await until(10, async () => (await rk.count()) === 1),
    'an owner who enrolled a key removed: the page lists that key to revoke', await tid('member-removed').textContent().catch(() => ''));
  if (flatKey && (await rk.count()) === 1) {
    await rk.locator('[data-testid="key-revoke"]').click();
    const flatKid = createHash('sha256').update(Buffer.from(flatPk, 'base64url')).digest('hex').slice(0, 16);
    await rk.locator('[data-testid="key-revoke-details"]').waitFor({ timeout: 10000 }).catch(() => {});
    ok(await rk.locator('[data-testid="key-revoke-details"]').getAttribute('data-key-id').catch(() => null) === flatKid,
      `the key revocation's confirmation shows the key id computed from the key (${flatKid})`,
      await rk.textContent().catch(() => ''));
    await rk.locator('[data-testid="key-revoke-confirm"]').click();
    // A locked key is unlocked in place (the list stays), then confirmed again.
    if (await until(3, async () => (await rk.locator('[data-testid="key-passphrase"]').count()) > 0)) {
      log('the key was locked: unlocked in place');
      await rk.locator('[data-testid="key-passphrase"]').fill('e2e passphrase 1');
      await rk.locator('[data-testid="key-unlock"]').click();
      await until(20, async () => (await rk.locator('[data-testid="key-passphrase"]').count()) === 0);
      await rk.locator('[data-testid="key-revoke-confirm"]').click();
    }
    const revs = await until(15, async () => {
      if (!(await rk.locator('[data-testid="key-revoked"]').count())) return null;
      const r = await page.evaluate(async (home) => (await (await fetch(`/v1/homes/${home}/revocations`)).json()), HOME);
      return (r.revocations || []).some((x) => x.kind === 'key' && x.target === flatPk) ? r : null;
    });
    ok(revs, 'the removed owner\'s key revoked from the page: a signed key revocation stored',
      `${await rk.textContent().catch(() => '')}`);
  }
  // 5e. Carriers on the People page: who is accepted and on what terms,
  // read from the signed delegation; a delegation signed in the page; the
  // policy and the delegations disagreeing both ways; what porterd alters
  // shown failing; a delegation revoked from the page, after which the
  // hub refuses the courier's credential made from it and porterd issues
  // no more.
  lap('5e');
  let QS = null;
  let otok5 = null;
  const qsKey = join(T, 'quickship.key');
  const setPolicy = (carriers) => call('PATCH', `/v1/homes/${HOME}`, { policy: { in_home_delivery: true, carriers,
    hours: ['daily 00:00-24:00'], camera_required: true, alarm_bypass_required: false, approval: 'standing' } }, otok5);
  try {
    cli(['keygen', '-o', qsKey]);
    QS = await call('POST', '/v1/carriers', { name: 'Quickship', public_key: cli(['pubkey', qsKey]).trim() }, ctok);
    otok5 = await signin(EMAIL, PASSWORD);
    await setPolicy([carrier.id, QS.id]);
  } catch (e) {
    log(`carriers setup: ${e.message}`);
  }
  ok(QS && carrier, 'a second carrier (its own key), both accepted by the policy');
  const pageGrants = async () => {
    let all = [];
    let after = null;
    for (let i = 0; i < 10; i++) {
      const r = await call('GET', `/v1/homes/${HOME}/grants?limit=200${after ? `&after=${after}` : ''}`, null, otok5);
      all = all.concat(r.grants || []);
      if (!r.next || !(r.grants || []).length) break;
      after = r.next;
    }
    return all;
  };
  // The key, unlocked (it signs the delegation and the revocation below).
  await page.goto(`${BASE}/app/#/homes/${HOME}`);
  await tid('key-box').waitFor({ timeout: 10000 });
  if (await tid('key-passphrase').count()) {
    await tid('key-passphrase').fill('e2e passphrase 1');
    await tid('key-unlock').click();
  }
  await page.locator('[data-testid="key-state"][data-value="unlocked"]').waitFor({ timeout: 20000 }).catch(() => {});
  lap('5e key unlocked');
  await tid('tab-people').click();
  const pc = page.locator(`[data-testid="carrier"][data-carrier="${carrier?.id}"]`);
  const qc = page.locator(`[data-testid="carrier"][data-carrier="${QS?.id}"]`);
  await pc.waitFor({ timeout: 15000 }).catch(() => {});
  const pd = pc.locator('[data-testid="delegation"]');
  const insp = JSON.parse(cli(['cred', 'inspect', join(T, 'delegation.cred')])).links[0];
  const tzNow = (await call('GET', `/v1/homes/${HOME}`, null, otok5).catch(() => ({}))).tz || 'UTC';
  const fmt = (iso) => `${new Intl.DateTimeFormat('en-GB', { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit',
    minute: '2-digit', hourCycle: 'h23', timeZone: tzNow }).format(new Date(iso))} ${tzNow}`;
  const term = (li, k) => li.locator(`[data-term="${k}"]`).textContent({ timeout: 2000 }).catch(() => null);
  ok(await pd.count() === 1 && await pd.getAttribute('data-state') === 'verified' && await pd.getAttribute('data-token') === insp.token_id &&
    await pc.getAttribute('data-accepted') === 'yes' && await pc.getAttribute('data-usable') === '1',
  'People: Parcelo is accepted, with its one delegation (the CLI\'s), verified in the page, its token id the chain\'s',
  `${await pc.textContent({ timeout: 1000 }).catch(() => '')} ${JSON.stringify(insp)}`);
  const pTerms = { entries: await term(pd, 'entries'), depth: await term(pd, 'depth'), camera: await term(pd, 'camera'),
    alarm: await term(pd, 'alarm'), door: await term(pd, 'door'), valid: await term(pd, 'valid'), days: await term(pd, 'days'),
    purpose: await term(pd, 'purpose'), locks: await term(pd, 'locks') };
  ok(insp.entries === 20 && /^20 in all/.test(pTerms.entries) && insp.delegation_depth === 1 && /^1 more time/.test(pTerms.depth) &&
    JSON.stringify(insp.conditions) === '["camera"]' && /^must be working/.test(pTerms.camera) && pTerms.alarm === 'no condition' &&
    insp.door_open_max_s === null && pTerms.door === 'no limit set' && pTerms.valid === `until ${fmt(insp.expires)}` &&
    !insp.weekly && pTerms.days === 'any day, at any hour' && insp.purpose === 'delivery' && pTerms.purpose === 'deliveries' &&
    insp.locks === 'all' && pTerms.locks === 'every lock of the home',
  'the delegation\'s terms shown are what porter cred inspect reads from the signed file', `${JSON.stringify(pTerms)} ${JSON.stringify(insp)}`);
  ok(await qc.getAttribute('data-accepted').catch(() => null) === 'yes' && await qc.getAttribute('data-mismatch') === 'no-delegation' &&
    /NO DELEGATION/.test(await qc.locator('[data-testid="carrier-mismatch"]').textContent({ timeout: 1000 }).catch(() => '')),
  'a carrier the policy accepts without a delegation is shown as such (NO DELEGATION)', await qc.textContent({ timeout: 1000 }).catch(() => ''));
  lap('5e people shown');
  await shot('17-people-carriers');
  // Delegate to Quickship from the page: every day, all day, 5 entries,
  // 120 s, camera and alarm, a note.
  await tid('delegate-carrier').selectOption(QS?.id || '');
  const qsKid = createHash('sha256').update(Buffer.from(QS?.public_key || '', 'base64url')).digest('hex').slice(0, 16);
  ok((await tid('delegate-key').textContent()).includes(`key id ${qsKid}`), 'the form shows the carrier\'s key id computed from its key',
    await tid('delegate-key').textContent());
  for (const d of ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']) await tid(`delegate-day-${d}`).check();
  await tid('delegate-from').fill('00:00');
  await tid('delegate-to').fill('00:00');
  await tid('delegate-entries').fill('5');
  await tid('delegate-door').fill('120');
  await tid('delegate-alarm').check();
  await tid('delegate-note').fill('ring first (e2e)');
  await tid('delegate-create').click();
  const qd = qc.locator('[data-testid="delegation"]');
  ok(await until(15, async () => (await qc.getAttribute('data-usable')) === '1' && (await qd.getAttribute('data-state')) === 'verified'),
    'a delegation signed in the page: Quickship now has one, verified', `${await tid('delegate-error').textContent({ timeout: 1000 }).catch(() => '')} ${await qc.textContent({ timeout: 1000 }).catch(() => '')}`);
  const qsGrant = (await pageGrants()).find((g) => g.holder === QS?.public_key);
  let qi = null;
  if (qsGrant) {
    writeFileSync(join(T, 'qs.cred'), Buffer.from(qsGrant.chain, 'base64url'));
    qi = JSON.parse(cli(['cred', 'inspect', join(T, 'qs.cred')])).links[0];
  }
  const qTerms = { days: await term(qd, 'days'), entries: await term(qd, 'entries'), door: await term(qd, 'door'),
    camera: await term(qd, 'camera'), alarm: await term(qd, 'alarm'), note: await term(qd, 'note'), token: await term(qd, 'token') };
  const browserKid = createHash('sha256').update(Buffer.from(PK, 'base64url')).digest('hex').slice(0, 16);
  ok(qi && qi.purpose === 'delivery' && qi.entries === 5 && qi.door_open_max_s === 120 && qi.delegation_depth === 1 &&
    JSON.stringify(qi.conditions) === '["camera","alarm-bypass"]' && qi.note === 'ring first (e2e)' && qi.time_zone === tzNow &&
    JSON.stringify(qi.weekly) === '["daily 00:00-24:00"]' && qi.issuer_kid === browserKid && qi.token_id === qTerms.token &&
    qTerms.days === `every day 00:00–24:00 (${tzNow})` && /^5 in all/.test(qTerms.entries) && qTerms.door === '120 s' &&
    /^must be working/.test(qTerms.camera) && /^stays armed/.test(qTerms.alarm) && qTerms.note === 'ring first (e2e)',
  'porterd stores what the page signed (porter cred inspect), and the page shows those terms', `${JSON.stringify(qTerms)} ${JSON.stringify(qi)}`);
  lap('5e delegated');
  // The other way round: delegated to, not in the policy.
  try {
    await setPolicy([carrier.id]);
  } catch (e) {
    log(`policy: ${e.message}`);
  }
  await tid('tab-home').click();
  await tid('tab-people').click();
  await qc.waitFor({ timeout: 10000 }).catch(() => {});
  ok(await qc.getAttribute('data-accepted').catch(() => null) === 'no' && await qc.getAttribute('data-mismatch') === 'not-accepted' &&
    /NOT ACCEPTED/.test(await qc.locator('[data-testid="carrier-mismatch"]').textContent({ timeout: 1000 }).catch(() => '')),
  'a carrier delegated to but not in the policy is shown as such (NOT ACCEPTED)', await qc.textContent({ timeout: 1000 }).catch(() => ''));
  // porterd alters what it hands over: Parcelo's delegation with 21
  // entries instead of the signed 20; Quickship's described with another
  // expiry. Each is shown failing, with no terms.
  const gPath = (url) => url.pathname === `/v1/homes/${HOME}/grants`;
  await page.route(gPath, async (route) => {
    const res = await route.fetch();
    const j = await res.json();
    for (const g of j.grants || []) {
      if (g.token_id === insp.token_id) {
        const b = Buffer.from(g.chain, 'base64url');
        const at = b.indexOf(Buffer.from([0x03, 0x14]), b.indexOf(Buffer.from([0x3a, 0x00, 0x01, 0x00, 0x00])));
        if (at > 0) b[at + 1] = 0x15;
        g.chain = b.toString('base64url');
      }
      if (g.holder === QS?.public_key) g.expires_at += 86400;
    }
    await route.fulfill({ response: res, json: j });
  });
  await tid('tab-home').click();
  await tid('tab-people').click();
  await pd.waitFor({ timeout: 10000 }).catch(() => {});
  ok(await pd.getAttribute('data-state') === 'failing' &&
    await pd.locator('[data-testid="delegation-state"]').getAttribute('data-reason') === 'bad-signature' &&
    await pd.locator('[data-testid="delegation-terms"]').count() === 0 && await pc.getAttribute('data-mismatch') === 'no-delegation',
  'a delegation porterd altered (21 entries for the signed 20): FAILING (bad-signature), no terms shown, the carrier left without one',
  await pc.textContent({ timeout: 1000 }).catch(() => ''));
  ok(await qd.getAttribute('data-state') === 'failing' &&
    await qd.locator('[data-testid="delegation-state"]').getAttribute('data-reason') === 'porterd-differs' &&
    /expiry/.test(await qd.locator('[data-testid="delegation-failure"]').textContent({ timeout: 1000 }).catch(() => '')),
  'a delegation porterd describes otherwise than the chain (its expiry): FAILING', await qd.textContent({ timeout: 1000 }).catch(() => ''));
  await shot('18-people-altered');
  await page.unroute(gPath);
  lap('5e altered shown');
  // Revoke Parcelo's delegation from the page, by keyboard. Before that,
  // a delivery's courier got a credential made from it.
  let D4cred = null;
  let D5 = null;
  try {
    const now = Math.floor(Date.now() / 1000);
    const mkD = async (pkg) => {
      const d = (await call('POST', '/v1/deliveries', { carrier_id: carrier.id, home_id: HOME, package_id: pkg,
        window_start: now - 60, window_end: now + 3600, in_home: true }, ctok)).id;
      await call('POST', `/v1/deliveries/${d}/dispatch`, { courier: courier.account_id }, ctok);
      return d;
    };
    const D4 = await mkD('PKG-E2E-REV');
    const a4 = await call('POST', `/v1/deliveries/${D4}/arrive`, { device_key: phonePub, lat: 52.52, lon: 13.405,
      package_id: 'PKG-E2E-REV' }, cour);
    if (a4.credential) {
      D4cred = join(T, 'd4.cred');
      writeFileSync(D4cred, Buffer.from(a4.credential, 'base64url'));
    } else log(`D4: ${JSON.stringify(a4.issue)}`);
    D5 = await mkD('PKG-E2E-AFTER');
  } catch (e) {
    log(`revoke setup: ${e.message}`);
  }
  ok(D4cred, 'before the revocation, porterd issues a courier\'s credential under Parcelo\'s delegation');
  await tid('tab-home').click();
  await tid('tab-people').click();
  await pd.waitFor({ timeout: 10000 }).catch(() => {});
  await pd.locator('[data-testid="delegation-revoke"]').focus();
  await page.keyboard.press('Enter');
  ok(await page.evaluate(() => document.activeElement?.dataset.testid) === 'delegation-revoke-confirm' &&
    await pd.locator('[data-testid="delegation-revoke-details"]').getAttribute('data-token') === insp.token_id &&
    await pd.getAttribute('data-state') === 'verified',
  'Revoke asks once more, by keyboard, naming the token id read from the signed chain; nothing signed yet',
  await pd.locator('[data-testid="delegation-revoke-details"]').textContent({ timeout: 1000 }).catch(() => ''));
  await page.keyboard.press('Enter');
  ok(await until(15, async () => (await pd.getAttribute('data-state')) === 'revoked' &&
    (await pd.locator('[data-testid="delegation-revoked"]').count()) === 1),
  'the delegation is revoked from the page (signed with the browser key, stored by porterd)',
  await pd.locator('[data-testid="delegation-revoke-error"]').textContent({ timeout: 1000 }).catch(() => ''));
  lap('5e revoked in page');
  const revList = await call('GET', `/v1/homes/${HOME}/revocations`, null, otok5).catch(() => ({}));
  ok((revList.revocations || []).some((x) => x.kind === 'token' && x.target === insp.token_id),
    'porterd lists the delegation\'s token id as revoked');
  if (D4cred) {
    let after = null;
    await until(30, async () => {
      after = door(D4cred, phone);
      log(`courier after the delegation's revocation: ${after.rc} ${after.out.trim().split('\n').pop()}`);
      if (after.rc === 0) await walkThrough(); // not at the hub yet
      return after.rc !== 0 && /revoked/.test(after.out);
    });
    ok(after && after.rc !== 0 && /^decision: refused: .*\(revoked\)/m.test(after.out),
      'the hub refuses the courier\'s credential made from the revoked delegation (revoked)', after && `${after.rc} ${after.out}`);
  }
  let a5 = null;
  try {
    a5 = await call('POST', `/v1/deliveries/${D5}/arrive`, { device_key: phonePub, lat: 52.52, lon: 13.405,
      package_id: 'PKG-E2E-AFTER' }, cour);
  } catch (e) {
    log(`D5: ${e.message}`);
  }
  ok(a5 && a5.credential === null && a5.issue?.code === 'no-delegation',
    'porterd issues no further credential under it (no-delegation)', JSON.stringify(a5?.issue ?? a5));
  await tid('tab-home').click();
  await tid('tab-people').click();
  await pc.waitFor({ timeout: 10000 }).catch(() => {});
  ok(await pd.getAttribute('data-state') === 'revoked' && await pc.getAttribute('data-mismatch') === 'no-delegation',
    'afterwards Parcelo shows its delegation REVOKED and itself without one', await pc.textContent({ timeout: 1000 }).catch(() => ''));
  await shot('19-people-revoked');
  expectRefusals = false;
  lap('6');
  // 6. A forged cross-site request changes nothing.
  const homesBefore = (await page.evaluate(async () => (await (await fetch('/v1/homes')).json()).homes.length));
  const evilHtml = `<!doctype html><title>evil</title><body>
<form id=f method=POST action="${BASE}/v1/homes" enctype="text/plain"><input name='{"name":"csrf-form","tz":"UTC","x":"' value='"}'></form>
<script>
window.results = {};
(async () => {
  try { await fetch("${BASE}/v1/homes", {method: "POST", mode: "no-cors", credentials: "include",
    headers: {"Content-Type": "text/plain"}, body: JSON.stringify({name: "csrf-nocors", tz: "UTC"})}); results.nocors = "sent"; }
  catch (e) { results.nocors = "blocked"; }
  try { await fetch("${BASE}/v1/homes", {method: "POST", credentials: "include",
    headers: {"Content-Type": "application/json", "X-Porter-CSRF": "guess"}, body: JSON.stringify({name: "csrf-cors", tz: "UTC"})}); results.cors = "sent"; }
  catch (e) { results.cors = "blocked"; }
  try { const r = await fetch("${BASE}/v1/sessions/current", {credentials: "include"}); results.read = await r.text(); }
  catch (e) { results.read = "blocked"; }
  results.done = true;
})();
</script></body>`;
  evil = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end(evilHtml);
  });
  await new Promise((r) => evil.listen(EVIL, '127.0.0.1', r));
  const code = (text) => {
    try {
      return JSON.parse(text).error.code;
    } catch {
      return null;
    }
  };
  // 127.0.0.1:EVIL is another origin but the same site: the cookie goes
  // along (SameSite counts sites), so the CSRF header is what stops it.
  const evilPage = await ctx.newPage();
  await evilPage.goto(`http://127.0.0.1:${EVIL}/`);
  const evilResults = await until(10, () => evilPage.evaluate(() => window.results?.done && window.results).catch(() => null));
  ok(evilResults && evilResults.read === 'blocked', 'another origin cannot read GET /v1/sessions/current (no CORS)',
    JSON.stringify(evilResults));
  ok(evilResults && evilResults.nocors === 'sent' && evilResults.cors === 'blocked',
    'from another origin: a no-cors POST goes out (opaque, refused below), a POST with X-Porter-CSRF fails its preflight',
    JSON.stringify(evilResults));
  // A plain same-site form (no header can be set): porterd refuses it.
  const [formRes] = await Promise.all([evilPage.waitForNavigation({ timeout: 10000 }).catch(() => null),
    evilPage.evaluate(() => document.getElementById('f').submit())]);
  const formStatus = await evilPage.evaluate(() => document.body.innerText).catch(() => '');
  ok(formRes && formRes.status() === 403 && code(formStatus) === 'csrf', 'a same-site form POST from another origin is 403 csrf',
    `${formRes && formRes.status()} ${formStatus.slice(0, 200)}`);
  await evilPage.close();
  // localhost:EVIL is another site: SameSite=Strict keeps the cookie home,
  // so the form POST arrives with no session at all.
  const evilSite = await ctx.newPage();
  await evilSite.goto(`http://localhost:${EVIL}/`);
  const siteResults = await until(10, () => evilSite.evaluate(() => window.results?.done && window.results).catch(() => null));
  ok(siteResults && siteResults.read === 'blocked' && siteResults.cors === 'blocked',
    'another site cannot read the session nor pass a preflight', JSON.stringify(siteResults));
  const [siteRes] = await Promise.all([evilSite.waitForNavigation({ timeout: 10000 }).catch(() => null),
    evilSite.evaluate(() => document.getElementById('f').submit())]);
  const siteBody = await evilSite.evaluate(() => document.body.innerText).catch(() => '');
  ok(siteRes && siteRes.status() === 401 && code(siteBody) === 'unauthenticated',
    'a cross-site form POST (http://localhost) carries no cookie: 401', `${siteRes && siteRes.status()} ${siteBody.slice(0, 200)}`);
  await evilSite.close();
  // The same request from the page itself without the header is refused too.
  const noHeader = await page.evaluate(async () => {
    const r = await fetch('/v1/homes', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'csrf-same-origin', tz: 'UTC' }) });
    return { status: r.status, body: await r.text() };
  });
  ok(noHeader.status === 403 && code(noHeader.body) === 'csrf', 'a cookie POST without X-Porter-CSRF is 403 csrf',
    JSON.stringify(noHeader));
  // With the right token but another Origin (as a browser sends it): 403.
  const csrf = await page.evaluate(async () => (await (await fetch('/v1/sessions/current')).json()).csrf);
  const forged = await fetch(`${BASE}/v1/homes`, { method: 'POST', headers: { 'Content-Type': 'application/json',
    Cookie: `porter_session=${sc.value}`, 'X-Porter-CSRF': csrf, Origin: `http://127.0.0.1:${EVIL}` },
  body: JSON.stringify({ name: 'csrf-origin', tz: 'UTC' }) });
  ok(forged.status === 403, 'a cookie POST with the token but another Origin is 403', forged.status);
  const homesAfter = await page.evaluate(async () => (await (await fetch('/v1/homes')).json()).homes);
  ok(homesAfter.length === homesBefore && !homesAfter.some((x) => x.name.startsWith('csrf-')),
    'no forged request changed anything (no new home)', JSON.stringify(homesAfter.map((x) => x.name)));
  // ... and the control: the app's own request with the token works.
  const good = await fetch(`${BASE}/v1/sessions/current`, { headers: { Cookie: `porter_session=${sc.value}` } });
  ok(good.status === 200, 'the session still works after the forgeries');

  // 7. Sign out: the page and the stream show nothing; the key is locked.
  await page.goto(`${BASE}/app/#/keys`);
  await tid('key').waitFor({ timeout: 10000 });
  if (await tid('key-passphrase').count()) {
    await tid('key-passphrase').fill('e2e passphrase 1');
    await tid('key-unlock').click();
  }
  await page.locator('[data-testid="key-state"][data-value="unlocked"]').waitFor({ timeout: 20000 }).catch(() => {});
  ok(workers() === 1, 'before sign-out the key is unlocked (one key worker)', workers());
  await tid('key-lock').click();
  await page.locator('[data-testid="key-state"][data-value="locked"]').waitFor({ timeout: 10000 }).catch(() => {});
  ok(workers() === 0, 'Lock the key ends the key worker', workers());
  await tid('key-passphrase').fill('e2e passphrase 1');
  await tid('key-unlock').click();
  await page.locator('[data-testid="key-state"][data-value="unlocked"]').waitFor({ timeout: 20000 }).catch(() => {});
  await page.goto(`${BASE}/app/#/homes/${HOME}`);
  await tid('hub').first().waitFor({ timeout: 10000 });
  await tid('signout').click();
  await tid('signin-form').waitFor({ timeout: 10000 });
  ok(workers() === 0 && await page.evaluate(() => window.__esOpen()) === 0,
    'sign-out ends the key worker and the stream at once', `${workers()} workers`);
  await page.waitForFunction(() => /^Signed out\./.test(document.querySelector('[data-testid="signin-error"]')?.textContent),
    null, { timeout: 10000 }).catch(() => {});
  ok((await tid('signin-error').textContent()) === 'Signed out.', 'the sign-in screen says signed out',
    await tid('signin-error').textContent());
  const html1 = await page.content();
  ok(!html1.includes(HOME) && !html1.includes(HUB) && (await tid('hub').count()) === 0,
    'signed out: the sign-in form, no home data in the DOM');
  await shot('07-signedout');
  const after = await page.evaluate(async (home) => {
    const s = await fetch(`/v1/homes/${home}/stream`);
    const h = await fetch('/v1/homes');
    return { stream: s.status, homes: h.status, es: window.__es ? window.__es.readyState : -1 };
  }, HOME);
  ok(after.stream === 401 && after.homes === 401, 'after sign-out the stream and the API answer 401', JSON.stringify(after));
  const oldCookie = await fetch(`${BASE}/v1/homes`, { headers: { Cookie: `porter_session=${sc.value}` } });
  ok(oldCookie.status === 401, 'the old cookie is no session any more', oldCookie.status);

  // An owner names a home with markup: it is shown as text, never run.
  const XSS = '<img src=x onerror="window.__xss=1">';
  let xssHome = null;
  try {
    const otok = await signin(EMAIL, PASSWORD);
    xssHome = (await call('POST', '/v1/homes', { name: XSS, tz: 'UTC' }, otok)).id;
  } catch (e) {
    log(`xss home: ${e.message}`);
  }
  ok(xssHome, 'a home named with markup is stored');

  // 8. Sign in again: the key is locked. Sign out everywhere ends the
  // CLI's session too.
  await tid('signin-email').fill(EMAIL);
  await tid('signin-password').fill(PASSWORD);
  await tid('signin-submit').click();
  await tid('nav-homes').waitFor({ timeout: 15000 });
  await tid('nav-homes').click(); // signed out on a home's page: back to the list
  await homeCard.waitFor({ timeout: 15000 });
  const xssCard = page.locator(`[data-testid="home"][data-home="${xssHome}"]`);
  await xssCard.waitFor({ timeout: 10000 }).catch(() => {});
  await sleep(500);
  ok(await page.evaluate(() => window.__xss) === undefined && (await xssCard.locator('h2').textContent()) === XSS &&
    await xssCard.locator('img').count() === 0, 'the home name with markup shows literally and runs nothing',
  await xssCard.innerHTML().catch(() => ''));
  ok(await page.evaluate(() => window.__esOpen()) === 0, 'the homes page with two homes holds no EventSource', await page.evaluate(() => window.__esOpen()));
  await shot('09-homes-xss');
  await tid('nav-keys').click();
  await tid('key').waitFor({ timeout: 10000 });
  ok(await tid('key-state').getAttribute('data-value') === 'locked' && workers() === 0,
    'signed in again: the key shows locked', await tid('key-state').textContent());
  const xssCmd = await page.locator(`[data-testid="endorse-command"][data-home="${xssHome}"]`).textContent().catch(() => '');
  ok(await page.evaluate(() => window.__xss) === undefined && (await page.content()).includes('&lt;img src=x'),
    'the keys page names that home literally too', xssCmd);
  await tid('nav-homes').click();
  await homeCard.waitFor({ timeout: 10000 });
  let cliBefore = true;
  try { cli(['home', 'list']); } catch { cliBefore = false; }
  await tid('signout-all').click();
  await tid('signin-form').waitFor({ timeout: 10000 });
  await page.waitForFunction(() => /^Signed out on every device\./.test(document.querySelector('[data-testid="signin-error"]')?.textContent),
    null, { timeout: 10000 }).catch(() => {});
  let cliAfter = true;
  try { cli(['home', 'list']); } catch { cliAfter = false; }
  ok(cliBefore && !cliAfter, 'sign out everywhere also ends the CLI\'s session');

  // 9. A stale CSRF token (another tab signed in again): the app reads the
  // token again and retries once; when the cookie now belongs to another
  // account, it shows the sign-in form and sends nothing more.
  await tid('signin-email').fill(EMAIL);
  await tid('signin-password').fill(PASSWORD);
  await tid('signin-submit').click();
  await tid('nav-homes').waitFor({ timeout: 15000 });
  await page.goto(`${BASE}/app/#/homes/${HOME}/timeline`);
  await tid('timeline').waitFor({ timeout: 10000 });
  const otherTab = (email, password) => page.evaluate(async ([e, p]) => (await fetch('/v1/sessions', { method: 'POST',
    headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: e, password: p, cookie: true }) })).status,
  [email, password]);
  ok(await otherTab(EMAIL, PASSWORD) === 201, 'another tab signs in to the same account (new cookie, new token)');
  const ack = tid('alert-ack').first();
  if (await ack.count()) {
    await ack.click();
    ok(await until(10, async () => (await tid('timeline').textContent()).includes('acknowledged')),
      'a POST with the stale token is retried with the new one (the alert is acknowledged)',
      await page.locator('[role="alert"]').allTextContents());
  } else ok(false, 'the timeline has an open alert to acknowledge');
  await page.goto(`${BASE}/app/#/homes/${HOME}/deliveries`);
  const refuse1 = page.locator(`[data-testid="delivery"][data-delivery="${D1}"] [data-testid="delivery-refuse"]`);
  if (await refuse1.waitFor({ timeout: 10000 }).then(() => true, () => false)) {
    ok(await otherTab('dispatch@parcelo.test', 'carrier password 123') === 201, 'another tab signs in to another account');
    await refuse1.click();
    await tid('signin-form').waitFor({ timeout: 10000 }).catch(() => {});
    ok((await tid('signin-error').textContent().catch(() => '')).includes('another account'),
      'the cookie now belongs to another account: the sign-in form, nothing sent as the other account',
      await tid('signin-error').textContent().catch(() => ''));
    const d1now = await call('GET', `/v1/deliveries/${D1}`, null, await signin(EMAIL, PASSWORD)).catch((e) => ({ state: e.message }));
    ok(d1now.state !== 'refused', 'the delivery was not refused', d1now.state);
  } else ok(false, 'the deliveries page shows a Refuse button', D1);

  // 10. The page's camera trust reads the home's key revocations (camtrust.js,
  // revocation.js R1..R4; docs/web.md, "The camera's key"), on the clip this
  // browser's key played in 5c. Last of all: at its end the camera's key is
  // revoked for real, after which porterd refuses the camera's uploads
  // (403 revoked) and the hub takes it for unhealthy; nothing below uses
  // the camera, and this file reads none of the daemons' logs.
  lap('10');
  if (playedClip) {
    playedClip.untamper?.(); // 5c altered its segment 0 at porterd: put back
    // 9 left the sign-in form (the cookie another account's): the owner again.
    ok(await otherTab(EMAIL, PASSWORD) === 201, '10: the owner signs in again (cookie)');
    await page.goto(`${BASE}/app/#/homes/${HOME}/clips/${playedClip.id}`);
    await page.reload();
    const clipPath = `/v1/homes/${HOME}/clips/${playedClip.id}`;
    const revPath = `/v1/homes/${HOME}/revocations`;
    // Opens the clip with this browser's key: what the page said (the first
    // error), whether the video played, and what it did meanwhile (the
    // clip's key record asked for, key workers started, revocation pages
    // asked for).
    const openClip = async () => {
      const seen = { keyReads: 0, workers: 0, revReads: 0 };
      const onReq = (rq) => {
        const p = new URL(rq.url()).pathname;
        if (p === `${clipPath}/key`) seen.keyReads++;
        if (p === revPath) seen.revReads++;
      };
      const onWorker = () => seen.workers++;
      await page.goto(`${BASE}/app/#/homes/${HOME}/clips`);
      await page.goto(`${BASE}/app/#/homes/${HOME}/clips/${playedClip.id}`);
      await tid('clip-passphrase').waitFor({ timeout: 10000 });
      await tid('clip-passphrase').fill('e2e passphrase 1');
      page.on('request', onReq);
      page.on('worker', onWorker);
      await tid('clip-play').click();
      const end = await until(40, async () => {
        const t = await tid('clip-error').textContent();
        if (t) return { said: t };
        const d = await page.evaluate(() => {
          const v = document.querySelector('[data-testid="clip-video"]');
          return v && !v.hidden && Number.isFinite(v.duration) && v.duration > 0 ? v.duration : null;
        });
        return d ? { dur: d } : null;
      });
      page.off('request', onReq);
      page.off('worker', onWorker);
      return { said: end?.said || null, dur: end?.dur || null, ...seen, hidden: await tid('clip-video').isHidden(),
        status: await tid('clip-status').getAttribute('data-value').catch(() => null),
        error: await tid('clip-error').textContent().catch(() => '') };
    };
    const show = (r) => JSON.stringify(r);

    // R4: GET .../revocations answers 503 as the page is about to open the
    // clip: no camera is believed, nothing of the clip is fetched or opened.
    const revs = (url) => url.pathname === revPath;
    let routed = 0;
    await page.route(revs, async (route) => {
      routed++;
      await route.fulfill({ status: 503, contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'unavailable', message: 'e2e: revocations withheld' } }) });
    });
    let logged503 = 0; // Chromium logs the 503 as an error: let through above
    const on503 = (m) => {
      if (m.type() === 'error' && /status of 503/.test(m.text())) logged503++;
    };
    page.on('console', on503);
    expectRevocations503 = true;
    const r1 = await openClip();
    await page.unroute(revs);
    expectRevocations503 = false;
    page.off('console', on503);
    log(`the 503s logged in the console: ${logged503}`);
    ok(r1.said && /this camera's key is not vouched for by an owner of this home \(camera [^)]+\): the page could not read this home's revocations, so it believes no camera of this home/.test(r1.said) &&
      routed >= 1 && r1.revReads >= 1 && r1.keyReads === 0 && r1.workers === 0 && r1.hidden && r1.status === 'refused' && !r1.dur,
    '10: GET .../revocations answers 503: "could not read this home\'s revocations", no key record fetched, no key worker, nothing played',
    `${show(r1)} (routed ${routed})`);
    await shot('20-clip-revocations-unreadable');
    // The control: the route gone, the same clip plays again in this page.
    const r2 = await openClip();
    ok(r2.dur && r2.revReads >= 1 && r2.keyReads >= 1 && r2.workers >= 1 && !r2.hidden && r2.status === 'ready',
      `10: with porterd answering again, the same clip plays (${r2.dur} s): the refusal above was the 503's`, show(r2));

    // R3: the camera's key revoked for real with the demo owner key (porter
    // revoke): the clip that played is refused, naming the revoked key.
    const otok = await signin(EMAIL, PASSWORD);
    const camsBefore = (await call('GET', `/v1/homes/${HOME}/cameras`, null, otok)).cameras || [];
    const cam = camsBefore.find((c) => c.id === playedClip.camera) || {};
    let camKeyOut = null; // the key porter-cam printed when make run made it
    try {
      camKeyOut = /^public key: *(\S+)$/m.exec(readFileSync(join(V, 'run', 'cam.key.out'), 'utf8'))?.[1] || null;
    } catch { /* checked below */ }
    ok(cam.public_key && cam.public_key === camKeyOut,
      `10: porterd lists camera ${playedClip.camera} with the key porter-cam made (${cam.key_id})`, `${show(cam)} ${camKeyOut}`);
    const camKid = cam.public_key ? createHash('sha256').update(Buffer.from(cam.public_key, 'base64url')).digest('hex').slice(0, 16) : '?';
    const ownerPub = readFileSync(join(V, 'demo', 'owner.key.pub'), 'utf8').trim().split(/\s+/).pop();
    const ownerKid = createHash('sha256').update(Buffer.from(ownerPub, 'base64url')).digest('hex').slice(0, 16);
    let rev = null;
    try {
      // Its own session file: 8. ended the demo one (sign out everywhere).
      const conf = { ...process.env, PORTER_CONFIG: join(T, 'revoke-client.conf') };
      cli(['login', '--server', BASE, '--email', EMAIL, '--password-stdin'], { env: conf, input: `${PASSWORD}\n`,
        stdio: ['pipe', 'pipe', 'pipe'] });
      rev = JSON.parse(cli(['revoke', '--home', HOME, '--signer', join(V, 'demo', 'owner.key'), '--key', cam.public_key,
        '--json'], { env: conf }));
    } catch (e) {
      log(`porter revoke --key CAMERA: ${e.stderr || e.message}`);
    }
    ok(rev && rev.kind === 'key' && rev.target === cam.public_key && Number.isSafeInteger(rev.version),
      '10: porter revoke --home H --signer owner.key --key CAMERA_KEY stores a key revocation of the camera\'s key', show(rev));
    const r3 = await openClip();
    const m3 = /camera key revoked: the key ([0-9a-f]{16}) of camera (\S+) was revoked by owner key ([0-9a-f]{16}) \(revocation version (\d+),/.exec(r3.said || '');
    ok(m3 && m3[1] === camKid && m3[2] === playedClip.camera && m3[3] === ownerKid && Number(m3[4]) === rev?.version &&
      r3.keyReads === 0 && r3.workers === 0 && r3.hidden && r3.status === 'refused' && !r3.dur,
    `10: the camera's key revoked: the clip that played is refused ("camera key revoked: the key ${camKid} ... by owner key ${ownerKid}"), no key record fetched, no key worker, nothing played`,
    show(r3));
    await shot('21-clip-camera-revoked');
    // porterd's own word (docs/api.md, "revoked"): false before, true now.
    const camAfter = ((await call('GET', `/v1/homes/${HOME}/cameras`, null, otok)).cameras || []).find((c) => c.id === playedClip.camera) || {};
    ok(cam.revoked === false && camAfter.revoked === true, '10: GET .../cameras says "revoked": false before, true after',
      `${cam.revoked} -> ${camAfter.revoked}`);
  } else ok(false, '10: a clip this page played in 5c, to open again');
  lap('10 done');

  // 11. Pairing a second hub from the page (docs/web.md, "Pairing a hub"):
  // one more porter-hub, unpaired, on the same broker (its own account,
  // named after its key as make run's); porter-hub pair prints its code;
  // the owner pastes the text in the home's "Pair a hub" form, checks the
  // key id and confirms; the page signs a PT_ENV_PAIRING over the MAC of
  // the code with this browser's (endorsed) key; porterd stores the hub and
  // relays the statement; the hub pairs itself with this browser's key.
  // Then the trust: the page's remote unlock moves this hub's bolt. The
  // same text pasted again is refused and the hub stays as it was.
  lap('11');
  await pairSecondHub({ page, tid, shot, PK, HOME, BASE, call, signin, EMAIL, PASSWORD, pageErrors,
    setExpectRefusals: (x) => { expectRefusals = x; } });
  lap('11 done');

  ok(pageErrors.length === 0, 'no script errors in the page', pageErrors.join('\n'));
}

// 11. (above): one more porter-hub, unpaired, with sim drivers, on make
// run's broker (its own account, named after its key as make run's): the
// password file (hashes) gets one more line, which mosquitto reads again on
// SIGHUP. What it logs is in log(); pair() runs porter-hub pair -q.
const kidOf = (b64) => createHash('sha256').update(Buffer.from(b64, 'base64url')).digest('hex').slice(0, 16);
async function startHub(name, label) {
  const HUB_BIN = join(BUILD, 'porter-hub');
  const dir = join(T, name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  cli(['keygen', '-o', join(dir, 'hub.key')]);
  const pub = cli(['pubkey', join(dir, 'hub.key')]).trim();
  const id = `hub-${kidOf(pub)}`;
  const pw = randomBytes(24).toString('base64url');
  writeFileSync(join(dir, 'mqtt.pw'), `${pw}\n`, { mode: 0o600 });
  const passwd = join(V, 'mosquitto', 'passwd');
  const owner = statSync(passwd);
  const plain = join(T, `${name}.passwd`);
  writeFileSync(plain, `${id}:${pw}\n`, { mode: 0o600 });
  execFileSync('mosquitto_passwd', ['-U', plain], { stdio: 'ignore', env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/usr/local/sbin` } });
  appendFileSync(passwd, readFileSync(plain, 'utf8'));
  rmSync(plain);
  chownSync(passwd, owner.uid, owner.gid);
  const mosqPid = parseInt(readFileSync(join(V, 'run', 'mosquitto.pid'), 'utf8'), 10);
  if (mosqPid > 1) process.kill(mosqPid, 'SIGHUP');
  await sleep(500); // (the hub retries a refused connection anyway, later)
  const hubConf = readFileSync(join(V, 'etc', 'porter-hub.conf'), 'utf8');
  const tz = /^tz = (.+)$/m.exec(hubConf)?.[1] || 'UTC';
  const MQTT_ADDR = /^broker = (.+)$/m.exec(hubConf)?.[1];
  const conf = join(dir, 'porter-hub.conf');
  writeFileSync(conf, `[hub]\nstate_dir = ${dir}\ntz = ${tz}\n[link]\nunix = ${dir}/link.sock\ntcp = 127.0.0.1:0\n` +
    `[drivers]\nlock = sim\ndoor = sim\nmotion = sim\n[mqtt]\nbroker = ${MQTT_ADDR}\npassword_file = ${dir}/mqtt.pw\n` +
    `label = ${label}\n[log]\nlevel = info\n`);
  let hubLog = '';
  const proc = spawn(HUB_BIN, ['-d', '-f', conf], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  extraHubs.push(proc);
  proc.stdout.on('data', (d) => { hubLog += d; });
  proc.stderr.on('data', (d) => { hubLog += d; });
  const up = await until(30, () => /event=uplink state=connected/.test(hubLog) || proc.exitCode !== null);
  const pair = async () => {
    for (let i = 0; i < 20; i++) { // its admin socket may not be there yet
      try {
        return execFileSync(HUB_BIN, ['pair', '-f', conf, '-q'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10000 });
      } catch { await sleep(250); }
    }
    return '';
  };
  const sim = () => {
    try {
      return JSON.parse(cli(['sim', '--hub-control', join(dir, 'sim.sock'), 'status']).trim().split('\n').pop());
    } catch {
      return null;
    }
  };
  return { id, pub, dir, conf, proc, up: !!up && proc.exitCode === null, log: () => hubLog, pair, sim };
}
// What porter-hub pair -q printed: the code, the hub key, the text.
function pairingOf(pairOut) {
  const field = (name) => new RegExp(`^${name}: *(\\S+)$`, 'm').exec(pairOut)?.[1] || '';
  const CODE = field('pairing code');
  let TEXT = /^\s*(porter-pair:v1\?\S+)\s*$/m.exec(pairOut)?.[1] || '';
  if (!TEXT && CODE) TEXT = `porter-pair:v1?hub=${field('hub id')}&key=${field('hub key')}&code=${CODE}`;
  return { CODE, TEXT, key: field('hub key') };
}

// 11. (above): the second hub and its pairing from the page; 11b: a third
// hub, paired by a fresh browser key as the first key of a new home.
async function pairSecondHub({ page, tid, shot, PK, HOME, BASE, call, signin, EMAIL, PASSWORD, pageErrors, setExpectRefusals }) {
  const hubB = await startHub('hub2', 'e2e second hub');
  const { id: HUB2, pub: hubPub } = hubB;
  if (!ok(hubB.up, `11: a second porter-hub ${HUB2}, unpaired, is connected to the broker`,
    hubB.log().split('\n').slice(-20).join('\n'))) return;
  const otok = await signin(EMAIL, PASSWORD);
  const pairOut = await hubB.pair();
  const { CODE, TEXT, key: printedKey } = pairingOf(pairOut);
  if (!ok(CODE.length === 22 && printedKey === hubPub && TEXT.includes(`code=${CODE}`),
    '11: porter-hub pair -q prints the code, the hub key and the porter-pair:v1 text', pairOut.replace(CODE || '\0', '<code>'))) return;
  log(`pairing text: ${TEXT.replace(CODE, '<code>')}`);

  // The owner again, on the home's page (8. and 9. changed the session).
  ok(await page.evaluate(async ([e, p]) => (await fetch('/v1/sessions', { method: 'POST',
    headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: e, password: p, cookie: true }) })).status,
  [EMAIL, PASSWORD]) === 201, '11: the owner signs in (cookie)');
  await page.goto(`${BASE}/app/#/homes/${HOME}`);
  await page.reload();
  await tid('pair-text').waitFor({ timeout: 15000 });
  // What the page sends: the code must be in no request.
  const sent = [];
  const onReq = (rq) => sent.push({ url: rq.url(), method: rq.method(), body: rq.postData() || '' });
  page.on('request', onReq);
  await tid('pair-text').fill(TEXT);
  await tid('pair-label').fill('e2e second hub');
  await tid('pair-text').press('Tab');
  await tid('pair-code').press('Tab');
  await tid('pair-label').press('Tab');
  ok(await page.evaluate(() => document.activeElement?.dataset.testid) === 'pair-check', '11: Tab reaches "Check the hub"');
  await page.keyboard.press('Enter');
  await tid('pair-confirm-text').waitFor({ timeout: 10000 });
  const ctext = await tid('pair-confirm-text').textContent();
  const hubKid = kidOf(hubPub);
  ok(ctext.includes(`key id ${hubKid}`) && ctext.includes(HOME) && await tid('pair-mismatch').count() === 0,
    `11: before signing the page shows the hub's key id (${hubKid}, computed from the key) and the home`, ctext);
  ok(!sent.some((r) => r.method !== 'GET'), '11: nothing is sent before the confirmation', JSON.stringify(sent.map((r) => r.url)));
  ok(await page.evaluate(() => document.activeElement?.dataset.testid) === 'pair-confirm', '11: the confirmation has the focus');
  ok(await tid('pair-text').count() === 0 && !(await page.content()).includes(CODE),
    '11: once read, the form is gone and the code is nowhere in the document');
  await shot('22-pair-confirm');
  await page.keyboard.press('Enter');
  // The key was locked (10. and the sign-in): its passphrase in the box.
  const step = await until(20, async () => (await tid('pair-passphrase').count()) ? 'pass'
    : ['stored', 'error'].includes(await tid('pair-result').getAttribute('data-value')) ? 'done' : null);
  if (step === 'pass') {
    await tid('pair-passphrase').fill('e2e passphrase 1');
    await tid('pair-passphrase').press('Enter');
    // (the key's Argon2id in the page's WebAssembly: on two loaded cores,
    // with CI's ASan build beside it, it took over 30 s once)
    await tid('pair-confirm').waitFor({ timeout: 90000 });
    await tid('pair-confirm').click();
  }
  const res = await until(30, async () => {
    const v = await tid('pair-result').getAttribute('data-value');
    return v === 'stored' || v === 'error' ? v : null;
  });
  ok(res === 'stored', '11: porterd stores the hub (POST .../hubs with the statement signed in the page)',
    await tid('pair-result').textContent());
  ok(await tid('pair-result').getAttribute('data-relayed') === 'true' &&
    /which passed the signed pairing on to it/.test(await tid('pair-result').textContent()),
  '11: porterd says it relayed the statement ("relayed": true) and the page says so',
  `${await tid('pair-result').getAttribute('data-relayed')} ${await tid('pair-result').textContent()}`);
  const post = sent.find((r) => r.method === 'POST' && new URL(r.url).pathname === `/v1/homes/${HOME}/hubs`);
  let stmt = null;
  try {
    stmt = Buffer.from(JSON.parse(post.body).pairing, 'base64url');
  } catch { /* checked below */ }
  const codeBytes = Buffer.from(CODE, 'base64url');
  ok(stmt && stmt.length > 0 && !sent.some((r) => r.body.includes(CODE) || r.url.includes(CODE)) && !stmt.includes(codeBytes),
    '11: porterd gets the statement with the MAC of the code, never the code (in no request, as text or bytes)',
    post ? post.body : JSON.stringify(sent.map((r) => r.url)));
  page.off('request', onReq);
  const hubCard2 = page.locator(`[data-testid="hub"][data-hub="${HUB2}"]`);
  ok(await hubCard2.waitFor({ timeout: 15000 }).then(() => true, () => false), `11: the home's Hubs list shows ${HUB2}`);
  const browserKid = kidOf(PK);
  const paired = await until(40, async () => (await tid('pair-hub-status').getAttribute('data-value')) !== 'waiting');
  ok(paired && await tid('pair-hub-status').getAttribute('data-value') === 'paired' &&
    await tid('pair-hub-status').getAttribute('data-kid') === browserKid,
  `11: the hub's pairing.ok, through the stream, names this browser's key ${browserKid}`,
  `${await tid('pair-hub-status').textContent()}\n${hubB.log().split('\n').slice(-15).join('\n')}`);
  ok(new RegExp(`event=paired via=uplink home=${HOME} owner=${PK}`).test(hubB.log()) && !hubB.log().includes(CODE),
    '11: the hub\'s log: paired through porterd with the browser\'s key, and no code in it', hubB.log().split('\n').slice(-15).join('\n'));
  // The home's events, every page (oldest first), for the first that fits.
  const findEvent = async (pred) => {
    let after = null;
    for (let i = 0; i < 100; i++) {
      const r = await call('GET', `/v1/homes/${HOME}/events?limit=200${after ? `&after=${after}` : ''}`, null, otok);
      const hit = (r.events || []).find(pred);
      if (hit || !r.next) return hit || null;
      after = r.next;
    }
    return null;
  };
  const ev = await until(20, () => findEvent((e) => e.source === `hub:${HUB2}` && e.type === 'pairing.ok'));
  ok(ev && ev.data.owner_key_id === browserKid, `11: porterd has the hub's event pairing.ok by key ${browserKid}`, JSON.stringify(ev));
  let porterdLog = '';
  try { porterdLog = readFileSync(join(V, 'log', 'porterd.log'), 'utf8'); } catch { /* none */ }
  ok(!porterdLog.includes(CODE), '11: porterd\'s log has no code');
  await shot('23-pair-done');

  // The trust: Unlock in the page; the new hub's sim bolt moves.
  const sim2 = hubB.sim;
  let moved = false;
  for (let i = 0; i < 4 && !moved; i++) { // the owners and revocations topics come just after the pairing
    await tid('unlock').click();
    await tid('unlock-confirm').click();
    moved = await until(15, () => ['unlocked', 'unlocking'].includes(sim2()?.lock));
  }
  ok(moved, `11: Unlock signed in the page opens the new hub's sim lock: it trusts this browser's key`, JSON.stringify(sim2()));
  const okEv = await until(20, () => findEvent((e) => e.source === `hub:${HUB2}` && e.type === 'command.ok'));
  ok(okEv, '11: porterd has the new hub\'s command.ok', JSON.stringify(okEv));
  await tid('lock').click();

  // The same text again: refused by porterd (the hub is known), and the
  // hub still has one owner, paired once.
  setExpectRefusals(true);
  await tid('pair-again').click();
  await tid('pair-text').fill(TEXT);
  await tid('pair-check').click();
  await tid('pair-confirm').click();
  const again = await until(20, async () => (await tid('pair-result').getAttribute('data-value')) === 'error');
  const againText = await tid('pair-result').textContent();
  ok(again && /already has this hub/.test(againText) && /\(exists\)/.test(againText),
    '11: the same text pasted again is refused: "porterd already has this hub ... (exists)"', againText);
  setExpectRefusals(false);
  await sleep(1000);
  const pairedLines = hubB.log().split('\n').filter((l) => /event=paired/.test(l)).length;
  const hubs = (await call('GET', `/v1/homes/${HOME}/hubs`, null, otok)).hubs || [];
  ok(pairedLines === 1 && hubs.filter((h) => h.id === HUB2).length === 1 && !/event=pair via=uplink result=refuse/.test(hubB.log()),
    '11: the hub paired once; nothing reached it the second time', `${pairedLines} ${JSON.stringify(hubs.map((h) => h.id))}`);
  ok(await tid('pair-text').inputValue() === '' && await tid('pair-code').inputValue() === '',
    '11: the form\'s fields are empty after a refusal (the code is not kept)');
  await shot('24-pair-again-refused');

  // 11b. Which key signs. A home whose owner keys do not include this
  // browser's: refused in the page, nothing enrolled, nothing sent to a
  // hub. Then a fresh browser key (made in a second browser of the owner,
  // enrolled nowhere) pairs the third hub, real and unpaired, showing its
  // code, into a new home with no owner key: the page enrols that key as
  // the home's first, signs, porterd relays, and the hub decides. First
  // with a wrong code: the hub refuses (untrusted-signer) and nothing
  // changes there (no owner and no home in its hub.db, a remote unlock by
  // that key refused, the bolt locked, its code still good). Then, the hub
  // removed at porterd, with the right code: the hub pairs with the fresh
  // key, and a remote unlock signed in that page moves its sim bolt.
  const newHome = async (name) => (await call('POST', '/v1/homes', { name, tz: 'UTC' }, otok)).id;
  const someKey = () => Buffer.from(generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x, 'base64url').toString('base64url');
  const openHome = async (pg, id) => {
    await pg.goto(`${BASE}/app/#/homes`); // the list read afresh: the new home in it
    await pg.locator(`[data-testid="home"][data-home="${id}"]`).waitFor({ timeout: 10000 });
    await pg.goto(`${BASE}/app/#/homes/${id}`);
    await pg.locator('[data-testid="pair-text"]').waitFor({ timeout: 10000 });
  };
  const pasteAndConfirm = async (pg, text) => {
    const t = (id) => pg.locator(`[data-testid="${id}"]`);
    await t('pair-text').fill(text);
    await t('pair-check').click();
    await t('pair-confirm').click();
    if (await until(5, async () => (await t('pair-passphrase').count()) > 0 ||
      ['stored', 'error'].includes(await t('pair-result').getAttribute('data-value'))) && await t('pair-passphrase').count()) {
      await t('pair-passphrase').fill('e2e passphrase 1');
      await t('pair-passphrase').press('Enter');
      await t('pair-confirm').click({ timeout: 30000 });
    }
    await until(20, async () => ['stored', 'error'].includes(await t('pair-result').getAttribute('data-value')));
    return { value: await t('pair-result').getAttribute('data-value'), text: await t('pair-result').textContent(),
      relayed: await t('pair-result').getAttribute('data-relayed') };
  };
  const ownerKeys = async (id) => (await call('GET', `/v1/homes/${id}/owner-keys`, null, otok)).keys || [];
  const hubsOf = async (id) => (await call('GET', `/v1/homes/${id}/hubs`, null, otok)).hubs || [];
  const other = someKey();
  const hA = await newHome('e2e pairing, keys of others');
  await call('POST', `/v1/homes/${hA}/owner-keys`, { public_key: other, label: 'someone else' }, otok);
  await openHome(page, hA);
  setExpectRefusals(true);
  const rA = await pasteAndConfirm(page, `porter-pair:v1?key=${someKey()}&code=${randomBytes(16).toString('base64url')}`);
  setExpectRefusals(false);
  const keysA = await ownerKeys(hA);
  const hubsA = await hubsOf(hA);
  ok(rA.value === 'error' && rA.text.includes(`this browser's key ${browserKid} is not an owner key of`) && /endorse it first/.test(rA.text) &&
    keysA.length === 1 && keysA[0].public_key === other && hubsA.length === 0,
  '11b: a home with owner keys but not this browser\'s: refused ("endorse it first"), nothing enrolled, no hub', `${rA.text} ${JSON.stringify(keysA)}`);

  lap('11b');
  // The fresh key: a second browser of the owner, its own IndexedDB.
  const ctx3 = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
  await ctx3.addInitScript(() => { // what the app's stream brings, for the failure details
    const ES = window.EventSource;
    window.__heard = [];
    window.EventSource = class extends ES {
      constructor(...a) {
        super(...a);
        this.addEventListener('event', (m) => {
          try {
            const e = JSON.parse(m.data);
            window.__heard.push(`${new Date().toISOString()} ${e.source} ${e.type}`);
          } catch { /* not ours to judge */ }
        });
      }
    };
  });
  const p3 = await ctx3.newPage();
  p3.on('pageerror', (e) => pageErrors.push(`third browser: ${e.message}`));
  p3.on('console', (m) => {
    // (and the 409 of the unlock that porterd does not relay to a hub that
    // has not confirmed the home, 11b below)
    if (m.type() === 'error' && !/status of (401|403)/.test(m.text()) &&
      !(/status of 409/.test(m.text()) && /\/commands$/.test(m.location()?.url || ''))) pageErrors.push(`third browser: ${m.text()}`);
  });
  const t3 = (id) => p3.locator(`[data-testid="${id}"]`);
  await p3.goto(`${BASE}/app/`);
  await t3('signin-email').fill(EMAIL);
  await t3('signin-password').fill(PASSWORD);
  await t3('signin-submit').click();
  await t3('nav-keys').click({ timeout: 15000 });
  await t3('key-new-passphrase').fill('e2e passphrase 1');
  await t3('key-new-passphrase2').fill('e2e passphrase 1');
  await t3('key-create').click();
  await t3('key-public').waitFor({ timeout: 30000 });
  const PK3 = (await t3('key-public').textContent()).trim();
  const kid3 = kidOf(PK3);
  ok(/^[A-Za-z0-9_-]{43}$/.test(PK3) && PK3 !== PK && !(await ownerKeys(HOME)).some((k) => k.public_key === PK3),
    `11b: a fresh key ${kid3} made in a second browser of the owner (not the tab's, no owner key of the demo home)`, PK3);
  lap('11b fresh key made');
  // The third hub, started only now: until porterd knows it, the hub's
  // events wait for its next try (10 s after connecting, then 20, 40 s).
  const hubC = await startHub('hub3', 'e2e third hub');
  const HUB3 = hubC.id;
  if (!ok(hubC.up, `11b: a third porter-hub ${HUB3}, unpaired, is connected to the broker`,
    hubC.log().split('\n').slice(-20).join('\n'))) return;
  const pc = pairingOf(await hubC.pair());
  if (!ok(pc.CODE.length === 22 && pc.key === hubC.pub, '11b: porter-hub pair -q shows the third hub\'s code')) return;
  // The hub's own state: owners and home in its hub.db (read-only).
  const hubDb = () => {
    try {
      return execFileSync('sqlite3', ['-readonly', join(hubC.dir, 'hub.db'),
        "SELECT (SELECT count(*) FROM owners) || ' ' || home_id || ' ' || " +
        "coalesce((SELECT group_concat(hex(pk)) FROM owners), '-') FROM hub"], { encoding: 'utf8', timeout: 10000 }).trim();
    } catch (e) {
      return `sqlite3: ${e.message}`;
    }
  };
  const db0 = hubDb();
  const pk3hex = Buffer.from(PK3, 'base64url').toString('hex').toUpperCase();
  let wrong = randomBytes(16).toString('base64url');
  while (wrong === pc.CODE) wrong = randomBytes(16).toString('base64url');
  const hB = await newHome('e2e pairing, no key yet');
  await openHome(p3, hB);
  const rW = await pasteAndConfirm(p3, pc.TEXT.replace(`code=${pc.CODE}`, `code=${wrong}`));
  const keysB = await ownerKeys(hB);
  const hubsB = await hubsOf(hB);
  ok(rW.value === 'stored' && rW.text.includes(`Key ${kid3} enrolled as this home's first owner key`) && rW.relayed === 'true' &&
    keysB.length === 1 && keysB[0].public_key === PK3 && keysB[0].statement === null &&
    hubsB.length === 1 && hubsB[0].id === HUB3 && hubsB[0].public_key === hubC.pub,
  '11b: a home with no owner key: the fresh key enrolled as its first; porterd takes and relays the pairing it signed over a wrong code (it cannot tell)',
  `${rW.text} ${rW.relayed} ${JSON.stringify(keysB)} ${JSON.stringify(hubsB)}`);
  const findEventIn = async (home, pred) => {
    let after = null;
    for (let i = 0; i < 100; i++) {
      const r = await call('GET', `/v1/homes/${home}/events?limit=200${after ? `&after=${after}` : ''}`, null, otok);
      const hit = (r.events || []).find(pred);
      if (hit || !r.next) return hit || null;
      after = r.next;
    }
    return null;
  };
  const statusOf = async () => ({ value: await t3('pair-hub-status').getAttribute('data-value'),
    reason: await t3('pair-hub-status').getAttribute('data-reason'), kid: await t3('pair-hub-status').getAttribute('data-kid'),
    hint: await t3('pair-hub-status').getAttribute('data-hint'),
    text: await t3('pair-hub-status').textContent() });
  // The hub refuses; porterd stores none of its events under this home
  // (the hub, unpaired, has not confirmed it: docs/mqtt.md "home"), so the
  // refusal reaches porterd (and the page) only once the hub has paired
  // with this home and sends its unacknowledged events again (below).
  const refLine = new RegExp(`event=pair via=uplink result=refuse reason=untrusted-signer detail=- owner_key_id=${kid3}`);
  await until(30, () => refLine.test(hubC.log()));
  const sW = await statusOf();
  const evW = await findEventIn(hB, (e) => e.source === `hub:${HUB3}`);
  const hubW = (await hubsOf(hB)).find((x) => x.id === HUB3);
  ok(refLine.test(hubC.log()) && !/event=paired/.test(hubC.log()) && !hubC.log().includes(wrong) &&
    !hubC.log().includes(pc.CODE) && sW.value === 'waiting' && evW === null && hubW?.confirmed === false,
  `11b: the wrong code: the hub refused it (its log: untrusted-signer, key ${kid3}; no code in its log); porterd stores none of the unpaired hub's events (confirmed false), the page still waits`,
  `${JSON.stringify(sW)} ${JSON.stringify(evW)} ${JSON.stringify(hubW)}\n${hubC.log().split('\n').slice(-10).join('\n')}`);
  // After 15 s without word the page says why a refusal cannot show there.
  await until(40, async () => (await statusOf()).hint === 'slow');
  const sH = await statusOf();
  ok(sH.value === 'waiting' && sH.hint === 'slow' && sH.text.includes(`Still waiting for the hub ${HUB3}`) &&
    sH.text.includes('porter-hub pair for a new one'),
  '11b: ... and after 15 s the page says, still waiting, that a refusal cannot show there and what to do', JSON.stringify(sH));
  const dbW = hubDb();
  ok(db0 === '0  -' && dbW === db0, '11b: ... and nothing changed at the hub: no owner, no home in its hub.db', `${db0} -> ${dbW}`);
  // A remote unlock signed in that page: porterd relays nothing to a hub
  // that has not confirmed the home (docs/mqtt.md, "home"): 409 no-hub,
  // said in words; the hub never sees it, the bolt stays locked.
  await t3('unlock').click();
  await t3('unlock-confirm').click();
  await until(20, async () => (await t3('command-result').getAttribute('data-value')) === 'error');
  const cr = await t3('command-result').textContent();
  await new Promise((r) => setTimeout(r, 500));
  ok(/Not sent: .*confirmed/.test(cr) && !/event=command/.test(hubC.log()) && hubC.sim()?.lock === 'locked',
  `11b: ... an Unlock signed in that page is not relayed to the unconfirmed hub (the page: "${cr}"; nothing in the hub's log), its sim bolt locked`,
  `${cr} ${JSON.stringify(hubC.sim())}\n${hubC.log().split('\n').slice(-10).join('\n')}`);
  await shot('25-pair-wrong-code', p3);
  lap('11b wrong code refused');

  // The right code: the hub removed at porterd (else "exists"), pasted again.
  await call('DELETE', `/v1/homes/${hB}/hubs/${HUB3}`, null, otok);
  await t3('pair-again').click();
  // porterd's 201 held back 3 s on its way to the page (porterd stores and
  // relays at once): the hub's word may come through the stream first, and
  // the page must not miss it.
  const hold = async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    const r = await route.fetch();
    await sleep(3000);
    return route.fulfill({ response: r });
  };
  await p3.route(`**/v1/homes/${hB}/hubs`, hold);
  const rR = await pasteAndConfirm(p3, pc.TEXT);
  await p3.unroute(`**/v1/homes/${hB}/hubs`, hold);
  ok(rR.value === 'stored' && rR.relayed === 'true' && !rR.text.includes('enrolled') &&
    (await ownerKeys(hB)).length === 1 && (await hubsOf(hB)).some((x) => x.id === HUB3),
  '11b: removed at porterd and pasted again with the right code: stored and relayed, signed by the fresh key (already the home\'s only owner key)', rR.text);
  await until(30, async () => (await statusOf()).value !== 'waiting');
  const sR = await statusOf();
  ok(sR.value === 'paired' && sR.kid === kid3,
    `11b: the hub's pairing.ok, through the stream, names the fresh key ${kid3}: the code the wrong one did not use up`,
    `${JSON.stringify(sR)}\n${(await p3.evaluate(() => window.__heard)).join('\n')}`);
  const evR = await until(20, () => findEventIn(hB, (e) => e.source === `hub:${HUB3}` && e.type === 'pairing.ok'));
  ok(new RegExp(`event=paired via=uplink home=${hB} owner=${PK3}`).test(hubC.log()) && evR?.data?.owner_key_id === kid3 &&
    hubDb() === `1 ${hB} ${pk3hex}` && !hubC.log().includes(pc.CODE),
  '11b: the hub paired with the fresh key and the new home (its log, porterd\'s pairing.ok, its hub.db), no code in its log',
  `${hubDb()} ${JSON.stringify(evR)}\n${hubC.log().split('\n').slice(-10).join('\n')}`);
  // Confirmed now, the hub sent what porterd had dropped before: the
  // wrong code's pairing.refuse.
  const evW2 = await until(20, () => findEventIn(hB, (e) => e.source === `hub:${HUB3}` && e.type === 'pairing.refuse'));
  ok(evW2?.data?.reason === 'untrusted-signer' && evW2?.data?.owner_key_id === kid3 &&
    (await hubsOf(hB)).find((x) => x.id === HUB3)?.confirmed === true,
  `11b: once it confirmed the home, the hub's earlier pairing.refuse (key ${kid3}) reaches porterd too`,
  `${JSON.stringify(evW2)}`);
  lap('11b paired');
  let moved3 = false;
  for (let i = 0; i < 4 && !moved3; i++) { // the owners and revocations topics come just after the pairing
    await t3('unlock').click();
    await t3('unlock-confirm').click();
    moved3 = await until(15, () => ['unlocked', 'unlocking'].includes(hubC.sim()?.lock));
  }
  const okEv3 = await until(20, () => findEventIn(hB, (e) => e.source === `hub:${HUB3}` && e.type === 'command.ok'));
  ok(moved3 && okEv3?.data?.owner_key_id === kid3 && okEv3?.data?.op === 'unlock',
    `11b: Unlock signed in that page moves the third hub's sim bolt (command.ok by key ${kid3}): the hub trusts the fresh key`,
    `${JSON.stringify(hubC.sim())} ${JSON.stringify(okEv3)}`);
  await shot('25b-pair-first-key', p3);
  lap('11b unlocked');

  // 11c. The page's words on what porterd's 201 says of the relay. The
  // broker cannot be stopped here (make run stops everything when one part
  // dies), so these two take porterd's real answer to the real POST and
  // change only "relayed" on the way to the page: false (porterd could
  // not publish: the hub is not paired, nothing to wait for), and absent
  // (an older porterd: the page waits). porterd's own "relayed": false,
  // broker down, is tested by the C side. (In the second browser, whose
  // key is the home's owner key; hub keys of no hub.)
  const relayAs = async (value) => {
    const url = `**/v1/homes/${hB}/hubs`;
    const handler = async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      const r = await route.fetch();
      const body = await r.json();
      if (value === undefined) delete body.relayed;
      else body.relayed = value;
      await route.fulfill({ response: r, body: JSON.stringify(body) });
    };
    await p3.route(url, handler);
    await t3('pair-again').click();
    const key = someKey();
    const r = await pasteAndConfirm(p3, `${key} ${randomBytes(16).toString('base64url')}`);
    await p3.unroute(url, handler);
    return { ...r, key, status: await t3('pair-hub-status').getAttribute('data-value'),
      statusText: await t3('pair-hub-status').textContent() };
  };
  const rF = await relayAs(false);
  const hubsF = await hubsOf(hB);
  ok(rF.value === 'stored' && rF.relayed === 'false' && /could not reach it/.test(rF.text) && !/passed the signed pairing on/.test(rF.text) &&
    rF.status === 'not-relayed' && /porter hub pair-local/.test(rF.statusText) &&
    rF.statusText.includes(`porter hub remove --home ${hB} hub-${kidOf(rF.key)}`) && /\(exists\)/.test(rF.statusText) &&
    hubsF.some((x) => x.public_key === rF.key),
  '11c: "relayed": false: the page says porterd stored the hub but could not reach it, points to pair-local or remove and retry, and does not wait',
  `${rF.text}\n${rF.statusText}`);
  await shot('26-pair-not-relayed', p3);
  const rU = await relayAs(undefined);
  ok(rU.value === 'stored' && rU.relayed === 'unknown' && /does not say whether it could/.test(rU.text) && rU.status === 'waiting',
    '11c: no "relayed" (an older porterd): the page says it does not know and waits for the hub\'s word', `${rU.text}\n${rU.statusText}`);
  await ctx3.close();
  for (const id of [hA, hB]) await call('DELETE', `/v1/homes/${id}`, null, otok).catch(() => {});
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
