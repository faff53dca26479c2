// dashboard.js - drive Debian's chromium (playwright-core, no browser
// download) against a running `inkan serve`: log in with a token, add a
// domain with a shipped profile, see NOT_STARTED, publish its records
// (with a hostile DMARC TXT) into the zone file the service reads, Verify,
// see VERIFIED, see the <script> TXT shown as text and never run.
// Screenshots of each page go to SHOTS.
// usage: node dashboard.js URL TOKEN ZONEFILE SHOTS
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const [url, token, zonefile, shots] = process.argv.slice(2);
let fails = 0, n = 0;
function ok(cond, what) {
  n++;
  console.log((cond ? 'ok ' : 'not ok ') + n + ' - ' + what);
  if (!cond) fails++;
}

(async () => {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
                                          args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
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
    await page.click('text=All domains');
    await page.waitForSelector('#domains');
    ok((await page.textContent('#domains td[data-state]')) === 'VERIFIED',
       'the domains list shows the VERIFIED badge');
    await page.setViewportSize({ width: 380, height: 700 });
    await page.screenshot({ path: path.join(shots, '4-domains-narrow.png'), fullPage: true });
    ok(errors.length === 0, 'no script error on the page' + (errors.length ? ': ' + errors.join('; ') : ''));
  } catch (e) {
    ok(false, 'the browser run: ' + e.message);
    await page.screenshot({ path: path.join(shots, 'failure.png') }).catch(() => {});
  }
  await browser.close();
  console.log('1..' + n);
  process.exit(fails ? 1 : 0);
})();
