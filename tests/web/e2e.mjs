// The owner web app end to end (docs/web.md), against a real stack: make
// run's scripts/run.sh (mosquitto, porterd, porter-hub with sim drivers,
// porter-cam when built) with this build's binaries (PORTER_BUILD), a temporary
// PORTER_VAR and free loopback ports; Debian's chromium driven by
// playwright-core. TAP output; screenshots in ARTIFACTS.
//
// Usage: node e2e.mjs BUILD_DIR ARTIFACTS_DIR
//   (BUILD_DIR holds porter, porterd, porter-hub and web/, the app built by
//   scripts/web.sh.) KEEP=1 keeps the temporary directory.

import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { createServer as netServer } from 'node:net';
import { mkdtempSync, mkdirSync, readFileSync, existsSync, chmodSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

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
if (!existsSync(CHROMIUM)) skipAll(`${CHROMIUM} is missing (scripts/deps.sh installs chromium)`);
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
async function cleanup() {
  try {
    if (browser) await browser.close();
  } catch { /* gone */ }
  if (evil) evil.close();
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
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of (401|403)/.test(m.text())) pageErrors.push(m.text());
  });
  const shot = async (name) => {
    await page.locator('#toast.show').waitFor({ state: 'hidden', timeout: 5000 }).catch(() => {});
    await page.screenshot({ path: join(ART, `${name}.png`), fullPage: true });
    const sw = await page.evaluate(() => document.documentElement.scrollWidth);
    ok(sw <= 390, `${name}: nothing wider than the 390 px screen (scrollWidth ${sw})`);
  };
  const workers = () => page.workers().length;
  const tid = (id) => page.locator(`[data-testid="${id}"]`);

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
  ok(workers() === 0, 'after a reload no key worker runs (the key is locked)', workers());
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
  const simUnlocked = await until(10, () => simStatus()?.lock === 'unlocked' || simStatus()?.lock === 'unlocking');
  const hubsNow = await page.evaluate(async (home) => (await (await fetch(`/v1/homes/${home}/hubs`)).json()).hubs, HOME);
  ok(simUnlocked, 'the sim lock moved (porter sim status)', JSON.stringify(simStatus()));
  ok(hubsNow[0]?.state && ['locked', 'unlocked'].includes(hubsNow[0].state.bolt), 'GET .../hubs has the hub state',
    JSON.stringify(hubsNow));
  await shot('04-home');
  // Lock from the page; then the door opened with the bolt thrown: an alert.
  await tid('lock').click();
  const locked = await until(25, async () => (await tid('command-result').getAttribute('data-value')) === 'ok' &&
    (await tid('command-result').textContent()).includes('"lock"') && simStatus()?.lock === 'locked');
  ok(locked, 'Lock in the page: command.ok and the sim bolt locked',
    `${await tid('command-result').textContent()} ${JSON.stringify(simStatus())}`);
  const sim = (...a) => cli(['sim', '--hub-control', join(V, 'hub', 'sim.sock'), ...a]);
  try {
    sim('door', 'open');
    await sleep(500);
    sim('door', 'close');
  } catch (e) {
    log(`porter sim door: ${e.stderr || e.message}`);
  }

  // A guest's credential signed in the page with the browser key.
  const gkey = join(T, 'guest2.key');
  cli(['keygen', '-o', gkey]);
  const gpub = cli(['pubkey', gkey]).trim();
  await tid('tab-guests').click();
  await tid('grant-holder').fill(gpub);
  await tid('grant-label').fill('e2e guest');
  await tid('grant-lock').fill('front');
  await tid('grant-day-sat').check();
  await tid('grant-day-sun').check();
  await tid('grant-from').fill('00:00');
  await tid('grant-to').fill('00:00');
  await tid('grant-create').click();
  const chainB64 = await tid('grant-chain').textContent({ timeout: 15000 }).catch(async () => {
    log(`grant: ${await tid('grant-error').textContent()}`);
    return null;
  });
  ok(chainB64, 'a guest credential signed in the page is accepted by porterd');
  const token = chainB64 ? await tid('grant-chain').getAttribute('data-token') : null;
  ok(token && await page.locator(`[data-testid="grant"][data-token="${token}"]`).count() === 1,
    'the new credential is listed with the home\'s credentials');
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
  const call = async (method, path, body, token) => {
    const r = await fetch(`${BASE}${path}`, { method, headers: { ...(body ? { 'Content-Type': 'application/json' } : {}),
      ...(token ? { Authorization: `Bearer ${token}` } : {}) }, body: body ? JSON.stringify(body) : undefined });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  const signin = async (email, password) => (await call('POST', '/v1/sessions', { email, password })).token;
  let D1 = null;
  let D2 = null;
  try {
    const pw = 'carrier password 123';
    await call('POST', '/v1/accounts', { email: 'dispatch@parcelo.test', password: pw, name: 'Parcelo dispatch', role: 'carrier-admin' });
    await call('POST', '/v1/accounts', { email: 'ben@parcelo.test', password: pw, name: 'Ben K.', role: 'courier' });
    const ctok = await signin('dispatch@parcelo.test', pw);
    const carrier = await call('POST', '/v1/carriers', { name: 'Parcelo', hosted: true }, ctok);
    const courier = await call('POST', `/v1/carriers/${carrier.id}/couriers`,
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
    await d1.locator('[data-testid="delivery-approve"]').click();
    const approved = await until(10, async () => (await page.locator(`[data-testid="delivery"][data-delivery="${D1}"] [data-testid="delivery-approval"]`).textContent()) === 'approved');
    ok(approved, 'Approve: the delivery is approved');
    await page.locator(`[data-testid="delivery"][data-delivery="${D2}"] [data-testid="delivery-refuse"]`).click();
    const refused = await until(10, async () => (await page.locator(`[data-testid="delivery"][data-delivery="${D2}"] [data-testid="delivery-state"]`).textContent()) === 'refused');
    ok(refused, 'Refuse: the delivery is refused');
  }

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
  ok(pageErrors.length === 0, 'no script errors in the page', pageErrors.join('\n'));
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
