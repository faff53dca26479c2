// evaluations.js - drive Debian's chromium (playwright-core, no browser
// download) against a running `inkan serve` whose store holds recorded
// inbound evaluations: log in with a token, open the evaluations view from
// the domains page, read the newest rows off the page (in the order of
// `inkan evaluations list --json`, newest first: a file the caller made
// over the same store), follow "Older" to the last page, compare the
// counts per domain with GET /api/evaluations/summary, see a header From
// holding markup shown as text and never run, and narrow to one domain.
// A screenshot goes to SHOTS.
// usage: node evaluations.js URL TOKEN SHOTS EVALUATIONS.json
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const [url, token, shots, evfile] = process.argv.slice(2);
// newest first: the list is oldest first (time, then row order)
const cliRows = JSON.parse(fs.readFileSync(evfile, 'utf8')).reverse();
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
/* keys - the row keys of the evaluations table, top to bottom */
function keys(page) {
  return page.$$eval('#evaluations tbody tr', (trs) => trs.map((tr) => tr.dataset.key));
}

(async () => {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
                                          args: ['--no-sandbox'] });
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
  });
  await page.route('**/*', (r) => r.request().url().startsWith(url) ? r.continue() : r.abort());
  try {
    await page.goto(url + '/');
    await page.waitForSelector('#token');
    await page.fill('#token', token);
    await page.press('#token', 'Enter');
    await page.waitForSelector('#to-evaluations');
    await page.click('#to-evaluations');
    await page.waitForSelector('#evaluations tbody tr');
    const first = await keys(page);
    ok(first.length === 20, 'the first page shows 20 rows (' + first.length + ')');
    ok(JSON.stringify(first) === JSON.stringify(cliRows.slice(0, 20).map((r) => r.key)),
       'the newest 20, in the order of evaluations list --json reversed');
    ok((await page.textContent('#ev-messages')) === String(cliRows.length),
       'the total counts every stored row (' + cliRows.length + ')');
    ok(await page.isVisible('#ev-more'), 'an Older button while there is a next page');
    await page.click('#ev-more');
    // (a locator, not waitForFunction: the page's CSP forbids eval)
    await page.locator('#evaluations tbody tr').nth(cliRows.length - 1).waitFor();
    ok(JSON.stringify(await keys(page)) === JSON.stringify(cliRows.map((r) => r.key)),
       'Older appends the rest: every row once, newest first');
    ok(!(await page.isVisible('#ev-more')), 'no Older button on the last page');
    const top = cliRows[0];
    ok((await page.textContent('#evaluations tbody tr:first-child td.dmarc')) === top.dmarc.result &&
       (await page.textContent('#evaluations tbody tr:first-child td.disposition')) === top.disposition,
       'a row shows its DMARC result and disposition as text');
    const sum = await get('/api/evaluations/summary?limit=20');
    const shown = await page.$$eval('#ev-summary tbody tr', (trs) => trs.map((tr) =>
      [tr.dataset.domain, +tr.querySelector('.messages').textContent, +tr.querySelector('.pass').textContent,
       +tr.querySelector('.fail').textContent, +tr.querySelector('.reject').textContent]));
    ok(JSON.stringify(shown) === JSON.stringify(sum.domains.map((d) => [d.domain, d.messages,
       d.dmarc.pass || 0, d.dmarc.fail || 0, d.disposition.reject || 0])),
       'the counts per domain are the summary\'s, busiest first');
    const hostile = cliRows.find((r) => r.header_from.startsWith('<img'));
    ok((await page.locator('#evaluations td.from', { hasText: '<img src=x' }).count()) === 1,
       'the header From holding markup is shown as text');
    ok((await page.locator('#evaluations td', { hasText: '<script>window.pwned=1</script>' }).count()) > 0,
       'a Message-ID holding <script> is shown as text');
    ok(hostile !== undefined && await page.evaluate(() => window.pwned === undefined &&
       document.querySelectorAll('main img, main script').length === 0), 'the markup never ran');
    await page.screenshot({ path: path.join(shots, '7-evaluations.png'), fullPage: true });
    await page.fill('#ev-domain', 'B.Example');
    await page.click('#ev-filter button[type=submit]');
    await page.locator('h1', { hasText: 'B.Example' }).waitFor();
    await page.waitForSelector('#evaluations tbody tr');
    const froms = await page.$$eval('#evaluations tbody tr td.from', (tds) => tds.map((t) => t.textContent));
    const want = cliRows.filter((r) => r.header_from === 'b.example').length;
    ok(froms.length === want && froms.every((f) => f === 'b.example'),
       'narrowed to b.example: its ' + want + ' rows alone');
    ok((await page.textContent('#ev-messages')) === String(want), '  ... and its total');
    ok(errors.length === 0, 'no script error on the page' + (errors.length ? ': ' + errors.join('; ') : ''));
  } catch (e) {
    ok(false, 'the browser run: ' + e.message);
    await page.screenshot({ path: path.join(shots, 'failure-evaluations.png') }).catch(() => {});
  }
  await browser.close();
  console.log('1..' + n);
  process.exit(fails ? 1 : 0);
})();
