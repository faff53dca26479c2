// dashboard.js - drive Debian's chromium (playwright-core, no browser
// download) against a running `inkan serve`: log in with a token, add a
// domain with a shipped profile, see NOT_STARTED, publish its records
// (with a hostile DMARC TXT) into the zone file the service reads, Verify,
// see VERIFIED, see the <script> TXT shown as text and never run; copy a
// record with its Copy button (read back from the clipboard); open the
// check findings (as many as GET /api/check says); open the report
// analytics and read the charts' numbers off the page, compared with
// `inkan report summary --json` and `report timeline --json` (files the
// caller made over the same store), and narrow them with since/until.
// Screenshots of each page go to SHOTS.
// usage: node dashboard.js URL TOKEN ZONEFILE SHOTS SUMMARY.json TIMELINE.json
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const [url, token, zonefile, shots, sumfile, tlfile] = process.argv.slice(2);
const cliSummary = JSON.parse(fs.readFileSync(sumfile, 'utf8'));
const cliTimeline = JSON.parse(fs.readFileSync(tlfile, 'utf8'));
/* get - the API's answer to a GET, with the token */
async function get(p) {
  const r = await fetch(url + p, { headers: { Authorization: 'Bearer ' + token } });
  return r.json();
}
let fails = 0, n = 0;
function ok(cond, what) {
  n++;
  console.log((cond ? 'ok ' : 'not ok ') + n + ' - ' + what);
  if (!cond) fails++;
}

(async () => {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
                                          args: ['--no-sandbox'] });
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: url });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // the 401s of the login and the missing favicon are answers, not errors
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
  });
  // nothing but the service may be reached
  await page.route('**/*', (r) => r.request().url().startsWith(url) ? r.continue() : r.abort());
  try {
    await page.goto(url + '/');
    await page.waitForSelector('#token');
    await page.screenshot({ path: path.join(shots, '1-login.png') });
    await page.fill('#token', 'wrong');
    await page.press('#token', 'Enter');
    await page.locator('#status', { hasText: /./ }).waitFor();
    ok(await page.isVisible('#token'), 'a wrong token stays on the login page');
    await page.fill('#token', token);
    await page.press('#token', 'Enter');
    await page.waitForSelector('#add');
    ok(true, 'logged in with a token: the domains page');
    await page.fill('#add-domain', 'example.com');
    await page.fill('#add-profile', 'include-bounce');
    await page.click('#add button[type=submit]');
    await page.waitForSelector('#state .badge');
    ok((await page.textContent('#state')) === 'NOT_STARTED', 'the added domain shows NOT_STARTED');
    ok((await page.locator('#records tbody tr').count()) === 3, 'three records to publish');
    await page.screenshot({ path: path.join(shots, '2-domain-not-started.png'), fullPage: true });

    // publish: the zone download of the API, and a DMARC TXT holding markup
    const r = await fetch(url + '/api/domains/example.com/records',
                          { headers: { Authorization: 'Bearer ' + token, Accept: 'text/dns' } });
    const zone = (await r.text()).split('\n').filter((l) => !l.startsWith('_dmarc')).join('\n');
    fs.appendFileSync(zonefile, zone + '\n_dmarc.example.com. 300 IN TXT ' +
      '"v=DMARC1; p=none; x=<script>window.pwned=1</script><img src=x onerror=window.pwned=2>"\n');
    await page.click('#verify');
    await page.locator('#state', { hasText: 'VERIFIED' }).waitFor();
    ok(true, 'Verify: the page shows VERIFIED');
    const seen = await page.textContent('#records tr[data-name="_dmarc.example.com"] td.seen');
    ok(seen.includes('<script>window.pwned=1</script>'), 'the <script> TXT is shown as text');
    ok(await page.evaluate(() => window.pwned === undefined), 'the TXT markup never ran');
    ok(await page.evaluate(() => document.querySelectorAll('main script, main img').length === 0),
       'no element was made from the TXT');
    await page.screenshot({ path: path.join(shots, '3-domain-verified.png'), fullPage: true });
    const nrec = await page.locator('#records tbody tr').count();
    ok(nrec === 3 && (await page.locator('#records tbody tr button', { hasText: 'Copy' }).count()) === nrec,
       'a Copy button on every record');
    await page.click('#records tr[data-name="bounce.example.com"] button');
    await page.locator('#status', { hasText: 'copied' }).waitFor();
    const clip = await page.evaluate(() => navigator.clipboard.readText());
    ok(clip.includes('bounce.example.com. 3600 IN CNAME bounces.mail.example.net.'),
       'Copy puts the record\'s zone-file line on the clipboard');

    // the check findings page: what GET /api/check/{d} says
    await page.click('text=Check findings');
    await page.waitForSelector('#check-summary');
    const chk = await get('/api/check/example.com');
    ok((await page.locator('#findings li.finding').count()) === chk.findings.length,
       'the check page lists every finding (' + chk.findings.length + ')');
    ok((await page.textContent('#check-summary')).startsWith(chk.summary.errors + ' errors, ' +
       chk.summary.warnings + ' warnings'), 'the check page counts errors and warnings as the API');
    ok((await page.locator('#found td', { hasText: 'window.pwned' }).count()) === 1 &&
       await page.evaluate(() => window.pwned === undefined), 'the <script> TXT is text there too');
    await page.screenshot({ path: path.join(shots, '4-check.png'), fullPage: true });

    // the report analytics, read off the page
    await page.click('text=Reports');
    await page.waitForSelector('#chart-timeline g.day');
    const cs = cliSummary.domains.find((d) => d.domain === 'example.com');
    ok((await page.textContent('#messages')) === String(cs.messages),
       'reports: the messages shown are report summary\'s (' + cs.messages + ')');
    ok((await page.textContent('#dmarc-pass')) === String(cs.dmarc_pass) &&
       (await page.textContent('#dmarc-fail')) === String(cs.dmarc_fail),
       'reports: DMARC pass and fail as report summary counts them');
    ok((await page.textContent('#pass-rate')) === (100 * cs.dmarc_pass / cs.messages).toFixed(1) + '%',
       'reports: the pass rate shown is summary\'s pass / messages');
    const bars = await page.$$eval('#chart-timeline g.day', (gs) => gs.map((g) =>
      [g.dataset.day, +g.dataset.messages, +g.dataset.pass, +g.dataset.fail,
       g.querySelectorAll('rect').length, g.getBoundingClientRect().height > 0 || +g.dataset.messages === 0]));
    ok(JSON.stringify(bars.map((b) => b.slice(0, 4))) ===
       JSON.stringify(cliTimeline.days.map((d) => [d.day, d.messages, d.dmarc_pass, d.dmarc_fail])),
       'the timeline chart has a bar per day with report timeline\'s numbers');
    ok(bars.every((b) => b[4] === 2 && b[5]), 'each bar is drawn (pass and fail parts)');
    const tall = await page.$$eval('#chart-timeline g.day rect.pass', (rs) => rs.map((r) => +r.getAttribute('height')));
    const most = Math.max(...cliTimeline.days.map((d) => d.dmarc_pass));
    ok(tall.indexOf(Math.max(...tall)) === cliTimeline.days.findIndex((d) => d.dmarc_pass === most),
       'the tallest pass bar is the day with the most passes');
    const pts = await page.$$eval('#chart-rate circle.point', (cs2) => cs2.map((c) => [c.dataset.day, c.dataset.rate]));
    ok(JSON.stringify(pts) === JSON.stringify(cliTimeline.days.filter((d) => d.messages > 0)
      .map((d) => [d.day, (100 * d.dmarc_pass / d.messages).toFixed(1)])),
       'the pass-rate chart has a point per day with messages, at its rate');
    const src = await get('/api/reports/sources?domain=example.com');
    ok((await page.locator('#sources tbody tr').count()) === src.domains[0].sources.length,
       'the sources table lists every source');
    ok((await page.textContent('#sources tr[data-ip="198.51.100.7"] td.cls')) === 'legitimate-failing' &&
       (await page.textContent('#sources tr[data-ip="203.0.113.66"] td.cls')) === 'unknown',
       'each source shows its class as text');
    ok((await page.textContent('#fixes li[data-ip="198.51.100.7"]')).includes('mailer.example.net'),
       'the failing legitimate source is listed with the domain to authorize');
    ok((await page.textContent('#next-step')).length > 'Next step: '.length, 'the next policy step is shown');
    await page.screenshot({ path: path.join(shots, '5-reports.png'), fullPage: true });
    await page.fill('#since', '2025-11-03');
    await page.click('#span button[type=submit]');
    await page.locator('#messages', { hasText: /^59$/ }).waitFor();
    ok((await page.locator('#chart-timeline g.day').count()) === 2, 'since=2025-11-03: the last two days alone');
    await page.click('text=All domains');
    await page.waitForSelector('#domains');
    ok((await page.textContent('#domains td[data-state]')) === 'VERIFIED',
       'the domains list shows the VERIFIED badge');
    await page.setViewportSize({ width: 380, height: 700 });
    await page.screenshot({ path: path.join(shots, '6-domains-narrow.png'), fullPage: true });
    ok(errors.length === 0, 'no script error on the page' + (errors.length ? ': ' + errors.join('; ') : ''));
  } catch (e) {
    ok(false, 'the browser run: ' + e.message);
    await page.screenshot({ path: path.join(shots, 'failure.png') }).catch(() => {});
  }
  await browser.close();
  console.log('1..' + n);
  process.exit(fails ? 1 : 0);
})();
