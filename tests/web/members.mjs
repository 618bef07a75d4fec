// The browser half of web-members (tests/web/members.sh sets up mosquitto,
// porterd serving the app, the owner Ana with her CLI key, the hub played
// by porterd_mqtt_peer, a guest's credential signed by Ana's key, and Mia,
// an account not yet of the home). Here, Debian's chromium driven by
// playwright-core, two browser contexts (Ana's, Mia's):
//   - Ana adds Mia on Settings (by e-mail, as a member) and sees her on the
//     People page, with Remove; her own row says "(you)";
//   - Mia signs in: the homes list has the home as a member's; the home
//     page its hub but no Unlock, Lock or Live view; People the credential
//     (its terms read from the signed chain) but no Revoke and no form to
//     let a guest in, the household with Leave on her own row only;
//     Settings read-only, no way to add anyone; porterd refuses her what
//     the page does not offer (removing Ana: 403);
//   - the hub reports an event: both timelines show it, live;
//   - the hub reports the alerts of issue 7 (door held open, intrusion,
//     camera unhealthy, duress) and goes offline: each is an ALERT, with
//     its words, on both timelines, live (the duress alert naming Ana's
//     key on Mia's only), porterd lists each alert, and a reloaded
//     timeline marks them too;
//   - Ana removes Mia from People (confirmed): Mia's row is gone; porterd
//     ends Mia's stream of the home (it answers her reconnection 404); a
//     second event reaches Ana's timeline and not Mia's page; Mia's next
//     request about the home is 404, the People page says so, and her
//     homes list no longer has it;
//   - added back, Mia leaves from her own People page: the page takes her
//     to her homes list without the home, and Ana's list no longer has her.
// TAP on stdout. Usage: node members.mjs ARTIFACTS (environment from
// members.sh: PORTER_PEER, PORTER_URL, PORTER_HOME, PORTER_HUB, PORTER_T,
// PORTER_MPORT, PORTER_OWNER, PORTER_MEMBER, PORTER_PASS).

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const SRC = resolve(here, '..', '..');
const ART = resolve(process.argv[2] || 'web-members-artifacts');
const E = process.env;
const CHROMIUM = E.PORTER_CHROMIUM || '/usr/bin/chromium';
const [PEER, BASE, HOME, HUB, T, MPORT, OWNER, MEMBER, PASSWORD] = ['PORTER_PEER', 'PORTER_URL', 'PORTER_HOME',
  'PORTER_HUB', 'PORTER_T', 'PORTER_MPORT', 'PORTER_OWNER', 'PORTER_MEMBER', 'PORTER_PASS'].map((k) => E[k]);
const t0 = Date.now();

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
const lap = (what) => log(`${what} at ${((Date.now() - t0) / 1000).toFixed(1)} s`);
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

// The hub reports events: the peer's deterministic chain, continued (each
// batch names every event replaced so far, so the chain stays the same).
const COMMON = ['--broker', `127.0.0.1:${MPORT}`, '--user', HUB, '--pass-file', join(T, `${HUB}.pw`), '--id', HUB];
const reported = [];
function hubReports(...events) {
  const from = reported.length + 1;
  reported.push(...events);
  const args = ['batch', ...COMMON, '--key', join(T, 'hub.key'), '--from', String(from), '--to', String(reported.length)];
  reported.forEach(([type, data], i) => args.push('--event', `${i + 1}:${type}:${JSON.stringify(data)}`));
  execFileSync(PEER, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20000 });
}

let browser = null;

// A browser context of its own (cookies, storage), signed in as EMAIL.
async function signedIn(email, name) {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
  ctx.setDefaultTimeout(5000); // a detail read of an element that is not there costs no more
  // The app's EventSources: how many have opened (the streams are live).
  await ctx.addInitScript(() => {
    const ES = window.EventSource;
    window.__esOpened = 0;
    window.EventSource = class extends ES {
      constructor(...args) {
        super(...args);
        this.addEventListener('open', () => window.__esOpened++);
      }
    };
  });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const tid = (id) => page.locator(`[data-testid="${id}"]`);
  const shot = async (file) => {
    await page.locator('#toast.show').waitFor({ state: 'hidden', timeout: 5000 }).catch(() => {});
    await page.screenshot({ path: join(ART, `${file}.png`), fullPage: true });
    const sw = await page.evaluate(() => document.documentElement.scrollWidth);
    ok(sw <= 390, `${file}: nothing wider than the 390 px screen (scrollWidth ${sw})`);
  };
  await page.goto(`${BASE}/app/`);
  await tid('signin-email').fill(email);
  await tid('signin-password').fill(PASSWORD);
  await tid('signin-submit').click();
  const inside = await tid('nav-homes').waitFor({ timeout: 15000 }).then(() => true, () => false);
  if (!ok(inside, `${name} signs in`)) {
    log(await tid('signin-error').textContent().catch(() => ''));
    bail(`${name} could not sign in`);
  }
  // What the page itself may ask of porterd, with its own session and
  // CSRF token, as api.js does.
  const ask = (method, path) => page.evaluate(async ([m, p]) => {
    const cur = await (await fetch('/v1/sessions/current')).json();
    const r = await fetch(p, { method: m, headers: { 'X-Porter-CSRF': cur.csrf || '' } });
    const j = await r.json().catch(() => null);
    return `${r.status}${j && j.error && j.error.code ? ` ${j.error.code}` : ''}`;
  }, [method, path]);
  return { ctx, page, tid, shot, errors, ask };
}

async function main() {
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  const ana = await signedIn(OWNER, 'Ana (the owner)');
  const a = ana.tid;
  const anaRow = (email) => ana.page.locator(`[data-testid="member"][data-email="${email}"]`);

  lap('step 1');
  // 1. Ana adds Mia on Settings, by e-mail, as a member.
  await ana.page.goto(`${BASE}/app/#/homes/${HOME}/settings`);
  await a('member-email').waitFor({ timeout: 10000 });
  await a('member-email').fill(MEMBER);
  ok(await a('member-role').inputValue() === 'member', 'the role offered first is member');
  await a('member-add').click();
  ok(await until(10, async () => (await a('member-result').getAttribute('data-value')) === 'added'),
    'Settings: Mia added to the household by e-mail', await a('member-error').textContent());
  ok(await until(10, async () => (await anaRow(MEMBER).getAttribute('data-role')) === 'member'),
    'Settings lists her as a member', await a('member-list').textContent().catch(() => ''));

  lap('step 2');
  // 2. Ana's People page: the household, Mia removable, Ana herself "(you)";
  // the credential with Revoke, the form to let a guest in.
  await a('tab-people').click();
  await a('member-list').waitFor({ timeout: 10000 });
  ok(await until(10, async () => (await a('member-list').getAttribute('data-count')) === '2'),
    'People: the household has two accounts', await a('member-list').textContent().catch(() => ''));
  const anaSelf = anaRow(OWNER);
  ok(await anaSelf.getAttribute('data-role') === 'owner' && (await anaSelf.textContent()).includes('(you)'),
    'People: Ana is listed as owner, "(you)"', await anaSelf.textContent().catch(() => ''));
  ok((await anaRow(MEMBER).textContent()).includes(`${MEMBER} · member`) &&
    await anaRow(MEMBER).locator('[data-testid="member-remove"]').textContent() === 'Remove',
  'People: Mia is listed as member, with Remove', await anaRow(MEMBER).textContent().catch(() => ''));
  const grant = ana.page.locator('[data-testid="grant"]');
  ok(await until(10, async () => (await grant.count()) === 1 &&
    (await grant.locator('[data-testid="grant-terms"]').getAttribute('data-checked')) === 'yes'),
  'People: the guest\'s credential, its terms read from the signed chain', await a('grants').textContent().catch(() => ''));
  const token = await grant.getAttribute('data-token');
  ok(await grant.locator('[data-testid="grant-revoke"]').count() === 1 && await a('grant-holder').count() === 1,
    'People (owner): Revoke on the credential, and the form to let a guest in');
  await ana.shot('m-01-owner-people');

  lap('step 3');
  // 3. Mia, in a browser of her own: the home, as a member.
  const mia = await signedIn(MEMBER, 'Mia (the member)');
  const m = mia.tid;
  // Every answer to her about the home's stream, as the browser got it.
  const streamAnswers = [];
  mia.ctx.on('response', (r) => {
    if (new URL(r.url()).pathname === `/v1/homes/${HOME}/stream`) streamAnswers.push(r.status());
  });
  const card = mia.page.locator(`[data-testid="home"][data-home="${HOME}"]`);
  ok(await card.waitFor({ timeout: 10000 }).then(() => true, () => false) && (await card.textContent()).includes('member ·'),
    'Mia\'s homes list has the home, as a member', await mia.page.locator('main').textContent());
  await mia.shot('m-02-member-homes');
  await mia.page.goto(`${BASE}/app/#/homes/${HOME}`);
  const hubCard = mia.page.locator(`[data-testid="hub"][data-hub="${HUB}"]`);
  ok(await hubCard.waitFor({ timeout: 10000 }).then(() => true, () => false), 'the home page shows Mia the hub');
  const home = await mia.page.locator('main').textContent();
  ok(await m('unlock').count() === 0 && await m('lock').count() === 0 && await m('live-open').count() === 0 &&
    await m('key-box').count() === 0 && home.includes('Only the home\'s owners can lock and unlock from here.'),
  'the home page offers Mia no Unlock, Lock, key or Live view, and says why', home.slice(0, 400));
  await mia.shot('m-03-member-home');
  await m('tab-people').click();
  await m('member-list').waitFor({ timeout: 10000 });
  const mGrant = mia.page.locator(`[data-testid="grant"][data-token="${token}"]`);
  ok(await until(10, async () => (await mGrant.locator('[data-testid="grant-terms"]').getAttribute('data-checked')) === 'yes'),
    'People (member): the credential is listed, its terms read from the signed chain',
    await mGrant.textContent().catch(() => ''));
  ok(await mia.page.locator('[data-testid="grant-revoke"], [data-testid="grant-revoke-again"]').count() === 0 &&
    await m('grant-holder').count() === 0 && await m('grant-create').count() === 0,
  'People (member): no Revoke and no form to let a guest in');
  const miaSelf = mia.page.locator(`[data-testid="member"][data-email="${MEMBER}"]`);
  const miaOwner = mia.page.locator(`[data-testid="member"][data-email="${OWNER}"]`);
  ok(await until(10, async () => (await m('member-list').getAttribute('data-count')) === '2') &&
    await miaOwner.locator('[data-testid="member-remove"]').count() === 0 &&
    await miaSelf.locator('[data-testid="member-remove"]').textContent() === 'Leave' &&
    (await miaSelf.textContent()).includes('(you)'),
  'People (member): the household, Leave on her own row, nothing to remove Ana', await m('member-list').textContent().catch(() => ''));
  await mia.shot('m-04-member-people');
  await m('tab-settings').click();
  await m('settings-form').waitFor({ timeout: 10000 });
  const ro = await mia.page.evaluate(() => [...document.querySelectorAll('[data-testid="settings-form"] input, [data-testid="settings-form"] textarea, [data-testid="settings-form"] select')]
    .filter((e) => !e.disabled).map((e) => e.dataset.testid));
  ok(ro.length === 0 && await m('settings-save').count() === 0 && await m('member-add').count() === 0 &&
    await m('member-email').count() === 0 && (await m('settings-form').textContent()).includes('Only the home\'s owners can change these.'),
  'Settings (member): every field read-only, no Save, no way to add anyone', JSON.stringify(ro));
  await mia.shot('m-05-member-settings');
  const anaId = await miaOwner.getAttribute('data-account').catch(() => null);
  const refused = anaId ? await mia.ask('DELETE', `/v1/homes/${HOME}/members/${anaId}`) : null;
  ok(refused === '403 forbidden', `what the page does not offer, porterd refuses: Mia removing Ana is ${refused}`);

  lap('step 4');
  // 4. The hub reports an event: both timelines show it as it happens.
  await mia.page.goto(`${BASE}/app/#/homes/${HOME}/timeline`);
  await ana.page.goto(`${BASE}/app/#/homes/${HOME}/timeline`);
  await m('timeline').waitFor({ timeout: 10000 });
  await a('timeline').waitFor({ timeout: 10000 });
  const doors = (p) => p.locator('[data-testid="timeline"] [data-type="door.open"]').count();
  const streaming = (p) => p.evaluate(() => window.__esOpened > 0);
  ok(await until(10, async () => (await streaming(mia.page)) && (await streaming(ana.page))),
    'both timelines hold the home\'s stream open');
  await sleep(500); // the streams have looked up the newest event
  hubReports(['door.open', { n: 1 }]);
  ok(await until(15, async () => (await doors(mia.page)) === 1 && (await doors(ana.page)) === 1),
    'the hub\'s event appears on both timelines, live', `${await doors(mia.page)} ${await doors(ana.page)}`);
  await mia.shot('m-06-member-timeline');

  lap('step 4b');
  // 4b. The alerts of issue 7 (door held open, intrusion, camera unhealthy,
  // hub offline, duress), each as porter-hub reports it (the door's event
  // and the hub's alert.<type> beside it, docs/mqtt.md), then the hub's
  // offline state: each stands out on both open timelines, live, with the
  // word ALERT and its words (not colour alone). The duress alert names
  // Ana's owner key: porterd hides it from Ana, who enrolled that key
  // (docs/alarm.md, "Duress"), and shows it to Mia.
  const anaKid = createHash('sha256').update(Buffer.from(readFileSync(join(T, 'owner.key.pub'), 'utf8').trim()
    .split(/\s+/).pop(), 'base64url')).digest('hex').slice(0, 16);
  const sess = 'ab'.repeat(16);
  hubReports(['door.held-open', { lock: 'front' }], ['alert.door-held-open', { lock: 'front' }],
    ['intrusion', { zone: 'interior' }],
    ['alert.intrusion', { session: sess, why: 'motion-interior-during-entry', source: 'motion' }],
    ['camera.unhealthy', { status: 'silent' }], ['alert.camera-unhealthy', { status: 'silent', session: sess }],
    ['alert.duress', { owner: anaKid, session: sess, conn: 1 }]);
  execFileSync(PEER, ['state', ...COMMON, '--offline'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20000 });
  // type: the words eventText gives it
  const ALERTS = [['door.held-open', 'door held open too long'], ['alert.door-held-open', 'door held open too long'],
    ['intrusion', 'motion inside during a delivery'], ['alert.intrusion', 'motion inside during a delivery'],
    ['camera.unhealthy', 'camera unhealthy'], ['alert.camera-unhealthy', 'the camera failed during an entry'],
    ['alert.duress', 'an owner opened the door under duress'], ['hub.offline', 'hub offline']];
  // What a timeline shows of each type: [testid, has the ALERT label, words].
  const shown = (p) => p.evaluate((types) => types.map((t) => {
    const li = document.querySelector(`[data-testid="timeline"] [data-type="${t}"]`);
    if (!li) return [t, null];
    return [t, li.dataset.testid, li.querySelector('[data-testid="alert-label"]')?.textContent || '', li.textContent];
  }), ALERTS.map(([t]) => t));
  const allShown = (p, skip) => until(15, async () => {
    const got = await shown(p);
    return got.every(([t, id]) => id !== null || t === skip) ? got : null;
  });
  const asAlerts = (got, skip) => got.filter(([t]) => t !== skip).map(([t, id, label, text]) => {
    const words = ALERTS.find(([x]) => x === t)[1];
    return id === 'event-alert' && label.includes('ALERT') && text.includes(words) ? null : `${t}: ${id} "${text}"`;
  }).filter((x) => x);
  const miaGot = await allShown(mia.page);
  const miaBad = miaGot ? asAlerts(miaGot) : ['not every event arrived'];
  ok(miaBad.length === 0, 'held open, intrusion, camera unhealthy, duress and hub offline each reach Mia\'s open timeline as ' +
    'an ALERT with its words', miaBad.concat(JSON.stringify(await shown(mia.page))).join('\n'));
  const anaGot = await allShown(ana.page, 'alert.duress');
  const anaBad = anaGot ? asAlerts(anaGot, 'alert.duress') : ['not every event arrived'];
  ok(anaBad.length === 0, 'and Ana\'s, live', anaBad.concat(JSON.stringify(await shown(ana.page))).join('\n'));
  await sleep(1000); // the duress event, had porterd sent it to Ana, would be here by now
  ok(await ana.page.locator('[data-testid="timeline"] [data-type="alert.duress"]').count() === 0,
    'the duress alert naming Ana\'s key is not shown to Ana (she enrolled that key)');
  await mia.shot('m-06b-member-alerts');
  // porterd raised an alert for each (GET .../alerts), and a timeline
  // drawn afresh marks them from that list too.
  const raised = await mia.page.evaluate(async (home) => (await (await fetch(`/v1/homes/${home}/alerts?open=true`)).json()).alerts
    .map((x) => x.type), HOME);
  const want = ['door-held-open', 'intrusion', 'camera-unhealthy', 'duress', 'hub-offline'];
  ok(want.every((t) => raised.includes(t)), `porterd raised the alerts ${want.join(', ')} (camera.unhealthy outside an entry ` +
    'raises none: the page marks it itself)', raised.join(' '));
  await ana.page.reload();
  await a('timeline').waitFor({ timeout: 10000 });
  const anaAgain = await allShown(ana.page, 'alert.duress');
  const anaBad2 = anaAgain ? asAlerts(anaAgain, 'alert.duress') : ['not every event listed'];
  const acks = await ana.page.locator('[data-testid="event-alert"] [data-testid="alert-ack"]').count();
  ok(anaBad2.length === 0 && acks >= 4, `Ana's timeline reloaded: each an ALERT, the open ones with Acknowledge (${acks})`,
    anaBad2.join('\n'));
  await ana.shot('m-06c-owner-alerts');
  execFileSync(PEER, ['state', ...COMMON, '--online', '--rev', '2'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 20000 });

  lap('step 5');
  // 5. Ana removes Mia from People, confirmed. Mia's page stays open on the
  // timeline meanwhile.
  const streamsBefore = streamAnswers.length;
  await ana.page.goto(`${BASE}/app/#/homes/${HOME}/people`);
  const row = anaRow(MEMBER);
  await row.waitFor({ timeout: 10000 });
  await row.locator('[data-testid="member-remove"]').click();
  const warn = await row.locator('[data-testid="member-remove-warning"]').textContent();
  ok(await row.locator('[data-testid="member-remove-confirm"]').isVisible() && warn === 'Mia loses this home at once.' &&
    await ana.page.evaluate(() => document.activeElement?.dataset.testid) === 'member-remove-confirm',
  'Remove asks once more, says what it does, and the confirmation has the focus', warn);
  await ana.shot('m-07-owner-remove-confirm');
  await row.locator('[data-testid="member-remove-confirm"]').click();
  ok(await until(10, async () => (await row.count()) === 0 && (await a('member-list').getAttribute('data-count')) === '1'),
    'Remove, confirmed: Mia is gone from the household list', await a('member-list').textContent().catch(() => ''));
  ok(await a('member-removed').textContent() === '', 'a member removed: no owner keys to revoke are offered',
    await a('member-removed').textContent());
  await ana.shot('m-08-owner-removed');

  lap('step 6');
  // 6. Mia's open page gets nothing more of the home.
  ok(await until(15, () => streamAnswers.slice(streamsBefore).includes(404)),
    'porterd ends Mia\'s stream of the home: her browser\'s reconnection is answered 404',
    streamAnswers.join(' '));
  await ana.page.goto(`${BASE}/app/#/homes/${HOME}/timeline`);
  await a('timeline').waitFor({ timeout: 10000 });
  hubReports(['door.open', { n: 2 }]);
  ok(await until(15, async () => (await doors(ana.page)) === 2), 'a second event of the hub reaches Ana\'s timeline',
    await doors(ana.page));
  await sleep(2000); // what would have come to Mia came to Ana by now
  ok(await doors(mia.page) === 1, 'and not Mia\'s page, left open on the timeline', await doors(mia.page));
  const after = [await mia.ask('GET', `/v1/homes/${HOME}`), await mia.ask('GET', `/v1/homes/${HOME}/events`)];
  ok(after.every((x) => /^404\b/.test(x)), `Mia's next requests about the home are 404 (${after.join(', ')})`);
  // "All homes", reached from the timeline, reads the list afresh.
  await m('tab-homes').click();
  await m('nav-homes').waitFor({ timeout: 10000 });
  ok(await until(10, async () => (await card.count()) === 0),
    '"All homes" right after the removal, without a reload, no longer lists the home', await card.count());
  await mia.page.goto(`${BASE}/app/#/homes/${HOME}/people`);
  ok(await until(10, async () => /no such home/.test(await mia.page.locator('main').textContent())) &&
    await m('member-list').count() === 0 && await m('grants').count() === 0,
  'People: Mia\'s page says there is no such home and shows nothing of it', await mia.page.locator('main').textContent());
  await mia.shot('m-09-member-removed');
  await mia.page.reload();
  await m('nav-homes').waitFor({ timeout: 10000 });
  await mia.page.goto(`${BASE}/app/#/homes`);
  ok(await until(10, async () => (await mia.page.locator('main').textContent()).includes('You belong to no home yet.')) &&
    await mia.page.locator('[data-testid="home"]').count() === 0, 'Mia\'s homes list no longer has the home',
  await mia.page.locator('main').textContent());
  await mia.shot('m-10-member-homes-after');

  lap('step 7');
  // 7. Added back, Mia leaves from her own People page.
  await ana.page.goto(`${BASE}/app/#/homes/${HOME}/settings`);
  await a('member-email').waitFor({ timeout: 10000 });
  await a('member-email').fill(MEMBER);
  await a('member-add').click();
  ok(await until(10, async () => (await a('member-result').getAttribute('data-value')) === 'added'),
    'Mia added back', await a('member-error').textContent());
  await mia.page.goto(`${BASE}/app/#/homes/${HOME}/people`);
  const leave = mia.page.locator(`[data-testid="member"][data-email="${MEMBER}"] [data-testid="member-remove"]`);
  ok(await leave.waitFor({ timeout: 10000 }).then(() => true, () => false) && await leave.textContent() === 'Leave',
    'back in the household: Leave on her own row');
  await leave.click();
  const sure = mia.page.locator(`[data-testid="member"][data-email="${MEMBER}"] [data-testid="member-remove-confirm"]`);
  ok(await sure.textContent() === 'Leave Flat', 'Leave asks once more, naming the home', await sure.textContent());
  await sure.click();
  ok(await until(10, async () => mia.page.url().endsWith('#/homes') &&
    (await mia.page.locator('main').textContent()).includes('You belong to no home yet.')),
  'Leave, confirmed: the page takes Mia to her homes list, without the home', await mia.page.locator('main').textContent());
  await ana.page.goto(`${BASE}/app/#/homes/${HOME}/people`);
  ok(await until(10, async () => (await a('member-list').getAttribute('data-count')) === '1' && (await anaRow(MEMBER).count()) === 0),
    'and Ana\'s People page no longer lists her', await a('member-list').textContent().catch(() => ''));
  ok(ana.errors.length === 0 && mia.errors.length === 0, 'no script errors in either page', [...ana.errors, ...mia.errors]);
}

try {
  await main();
} catch (e) {
  ok(false, 'the test ran to its end', e && e.stack ? e.stack : String(e));
} finally {
  try {
    if (browser) await browser.close();
  } catch { /* gone */ }
}
log(`${Math.round((Date.now() - t0) / 1000)} s; screenshots in ${ART}`);
process.stdout.write(`1..${n}\n`);
process.exit(failed ? 1 : 0);
