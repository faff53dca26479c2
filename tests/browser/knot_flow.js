// knot_flow.js - the publication flow of the dashboard against a real
// authoritative server: drive Debian's chromium (playwright-core, no
// browser download) against `inkan serve --dns` pointed at Knot, while
// tests/cli/browser-knot.sh changes the Knot zone when asked.
//   1. log in with a token; add a domain with a shipped profile; see every
//      record to publish and the state NOT_STARTED or PENDING;
//   2. download the zone file with the page's button and have it published
//      in Knot; Verify: VERIFIED, every record VERIFIED;
//   3. have one record removed from the zone; Verify: TEMPORARY_FAILURE, the
//      page naming that record (owner and type) and no other;
//   4. have the record restored and the service restarted with its clock
//      sped up (INKAN_CLOCK_SPEED); log in again and, without clicking
//      Verify, see the service's own watch bring the domain back to
//      VERIFIED and, once another record is removed, its periodic re-check
//      (drift monitoring) turn it TEMPORARY_FAILURE naming that record.
// Screenshots of each step go to SHOTS.
//
// The zone is changed by the shell script, through two FIFOs: this file
// writes one command line to ASK ("publish FILE", "remove NAME TYPE",
// "restore", "fast") and reads the answer line from SAID ("ok [URL]" or
// "fail WHY").
// usage: node knot_flow.js URL TOKEN SHOTS ASK SAID
'use strict';
const fs = require('fs');
const net = require('net');
const path = require('path');
const readline = require('readline');
const { chromium } = require('playwright-core');

const [url0, token, shots, askPath, saidPath] = process.argv.slice(2);
const DOMAIN = 'example.com';
const PROFILE = 'engagement-subdomain';
// the record removed with Verify clicked, and the one the watch must notice
const GONE = { name: 'click.em.example.com', type: 'CNAME' };
const DRIFT = { name: '_dmarc.example.com', type: 'TXT' };
// Longest wait for one state to show (ms): generous, the machine may be loaded.
const WAIT_MS = 60000;
// Pause between two reloads while waiting for the watch (ms).
const RELOAD_PAUSE_MS = 500;

let base = url0;
let fails = 0, n = 0;
/* ok - one TAP line */
function ok(cond, what) {
  n++;
  console.log((cond ? 'ok ' : 'not ok ') + n + ' - ' + what);
  if (!cond) fails++;
}

const ask = fs.openSync(askPath, 'w');
// the answers are read as a pipe (a blocking file read would hold a
// worker thread that node's exit waits for)
const saidSock = new net.Socket({ fd: fs.openSync(saidPath, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK),
                                  readable: true, writable: false });
const said = readline.createInterface({ input: saidSock })[Symbol.asyncIterator]();
/* zone - have the shell script do cmd to the Knot zone; its answer after "ok" */
async function zone(cmd) {
  fs.writeSync(ask, cmd + '\n');
  const r = await said.next();
  const line = r.done ? 'fail the test script stopped answering' : r.value;
  if (!line.startsWith('ok')) throw new Error('zone ' + cmd + ': ' + line);
  return line.slice(3);
}

/* api - GET a path of the API with the token (as a script would) */
async function api(p) {
  const r = await fetch(base + p, { headers: { Authorization: 'Bearer ' + token } });
  return r.json();
}

(async () => {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
                                          args: ['--no-sandbox'] });
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 },
                                             acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // the 401 before a login is an answer, not an error
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
  });
  // nothing but the service may be reached (its URL changes on the restart)
  await page.route('**/*', (r) => r.request().url().startsWith(base) ? r.continue() : r.abort());
  /* shot - a screenshot of the whole page to SHOTS/name */
  const shot = (name) => page.screenshot({ path: path.join(shots, name), fullPage: true });
  /* stateIs - wait until the domain's state badge reads exactly s */
  const stateIs = (s) => page.locator('#state', { hasText: new RegExp('^' + s + '$') }).waitFor();
  /* row - the records table's row of record r ({name, type}) */
  const row = (r) => page.locator(`#records tr[data-name="${r.name}"][data-type="${r.type}"]`);
  /* login - log in on the page with the token */
  async function login() {
    await page.waitForSelector('#token');
    await page.fill('#token', token);
    await page.press('#token', 'Enter');
    await page.waitForSelector('#add');
  }
  /* reload_until - reload the page until #state reads s (the watch, not a click, changes it) */
  async function reload_until(s) {
    const end = Date.now() + WAIT_MS;
    for (;;) {
      await page.reload();
      await page.waitForSelector('#state .badge');
      if ((await page.textContent('#state')) === s) return true;
      if (Date.now() > end) return false;
      await page.waitForTimeout(RELOAD_PAUSE_MS);
    }
  }
  /* failing_named - the #problems list names exactly record r, and its row says so */
  async function failing_named(r) {
    const items = await page.$$eval('#problems li', (ls) => ls.map((l) => [l.dataset.name, l.dataset.type,
                                                                          l.textContent]));
    const rs = await page.$$eval('#records tbody tr', (ts) => ts.map((t) => [t.dataset.name, t.dataset.type,
                                                                            t.dataset.state]));
    return items.length === 1 && items[0][0] === r.name && items[0][1] === r.type &&
      items[0][2].includes(r.type + ' ' + r.name) &&
      rs.every(([nm, ty, st]) => (nm === r.name && ty === r.type) ? st === 'TEMPORARY_FAILURE'
                                                                    : st === 'VERIFIED');
  }
  try {
    // 1. log in, add the domain with a shipped profile
    await page.goto(base + '/');
    await page.waitForSelector('#token');
    await page.screenshot({ path: path.join(shots, '1-login.png') });
    await login();
    ok(true, 'logged in with a token: the domains page');
    await page.fill('#add-domain', DOMAIN);
    await page.fill('#add-profile', PROFILE);
    await page.click('#add button[type=submit]');
    await page.waitForSelector('#state .badge');
    const st0 = await page.textContent('#state');
    ok(st0 === 'NOT_STARTED' || st0 === 'PENDING', 'the added domain shows NOT_STARTED or PENDING (' + st0 + ')');
    const recs = (await api('/api/domains/' + DOMAIN + '/records')).records;
    const rows = await page.$$eval('#records tbody tr', (ts) => ts.map((t) => [t.dataset.name, t.dataset.type,
                                                                              t.dataset.state]));
    ok(recs.length === 9 && rows.length === recs.length &&
       recs.every((r, i) => rows[i][0] === r.name && rows[i][1] === r.type),
       'the page lists every record of the profile (' + rows.length + ')');
    ok(rows.every((r) => r[2] === st0), 'each record is ' + st0);
    ok((await page.locator('#problems').count()) === 0, 'no problem is reported yet');
    await shot('2-added.png');

    // 2. publish the page's zone file download in Knot, Verify
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#zone')]);
    const zfile = path.join(path.dirname(askPath), 'download.zone');
    await dl.saveAs(zfile);
    ok(dl.suggestedFilename() === DOMAIN + '.zone' &&
       fs.readFileSync(zfile, 'utf8').includes(GONE.name + '. 3600 IN CNAME click.engage.example.net.'),
       'the page downloads the zone file to publish');
    await zone('publish ' + zfile);
    await page.click('#verify');
    await stateIs('VERIFIED');
    ok(true, 'published in Knot, Verify: the page shows VERIFIED');
    ok((await page.$$eval('#records tbody tr', (ts) => ts.every((t) => t.dataset.state === 'VERIFIED'))),
       'every record is VERIFIED');
    ok((await row(GONE).locator('td.seen').textContent()) === 'click.engage.example.net',
       'the value seen in Knot is shown');
    ok((await page.locator('#problems').count()) === 0, 'no problem is reported');
    await shot('3-verified.png');

    // 3. one record removed: Verify says which
    await zone(`remove ${GONE.name} ${GONE.type}`);
    await page.click('#verify');
    await stateIs('TEMPORARY_FAILURE');
    ok(true, 'a record removed from Knot, Verify: the page shows TEMPORARY_FAILURE');
    ok(await failing_named(GONE), `the page names the removed record (${GONE.type} ${GONE.name}), the others VERIFIED`);
    ok((await page.textContent('#problems')).includes('the name does not exist'), 'and says what was found');
    ok((await page.textContent('main')).includes(`${GONE.name} ${GONE.type}: VERIFIED -> TEMPORARY_FAILURE`),
       'the history shows the record\'s change');
    await shot('4-temporary-failure.png');

    // 4. the service's own watch, its clock sped up: no Verify click from here on
    await zone('restore');
    base = await zone('fast');
    await page.goto(base + '/#/domain/' + DOMAIN);
    await login();
    ok(true, 'the restarted service (clock sped up): logged in again');
    await page.click(`#domains a[href="#/domain/${DOMAIN}"]`);
    ok(await reload_until('VERIFIED'), 'record restored: the watch makes the domain VERIFIED, no click');
    await shot('5-watch-verified.png');
    await zone(`remove ${DRIFT.name} ${DRIFT.type}`);
    ok(await reload_until('TEMPORARY_FAILURE'), 'another record removed: the watch\'s re-check shows ' +
       'TEMPORARY_FAILURE, no click');
    ok(await failing_named(DRIFT), `the page names that record (${DRIFT.type} ${DRIFT.name}), the others VERIFIED`);
    await shot('6-drift.png');
    ok(errors.length === 0, 'no script error on the page' + (errors.length ? ': ' + errors.join('; ') : ''));
  } catch (e) {
    ok(false, 'the browser run: ' + e.message);
    await page.screenshot({ path: path.join(shots, 'failure.png') }).catch(() => {});
  }
  await browser.close();
  console.log('1..' + n);
  process.exit(fails ? 1 : 0);
})();
