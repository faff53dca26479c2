/* app.js - the inkan dashboard: log in with a token, the domains list with
 * state badges, one domain (records, state, copy buttons, zone download,
 * Verify), adding a domain with a profile, the check findings of a domain
 * (GET /api/check/{d}) and its report analytics (timeline and pass-rate
 * charts drawn as SVG by this file, the sources with their class, the
 * enforcement advice), and for a receiver the recorded inbound evaluations
 * (counts per header From domain, the newest rows a page at a time).  Every text that came from the API (DNS values,
 * domain names, reporter data) is inserted with textContent, never parsed
 * as HTML: a TXT record holding markup stays text. */
'use strict';

let csrf = sessionStorage.getItem('inkan-csrf') || '';
const main = document.getElementById('main');
const statusEl = document.getElementById('status');

/* el - an element with attributes and children (strings become text nodes) */
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'onclick' || k === 'onsubmit') e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const k of kids) e.append(typeof k === 'string' ? document.createTextNode(k) : k);
  return e;
}

/* say - a message in the status line */
function say(text) { statusEl.textContent = text || ''; }

/* api - call the API with the session cookie (and the CSRF token when needed) */
async function api(method, path, body, accept) {
  const h = {};
  if (method !== 'GET') h['X-CSRF-Token'] = csrf;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  if (accept) h['Accept'] = accept;
  const r = await fetch(path, { method, headers: h, credentials: 'same-origin',
                                body: body === undefined ? undefined : JSON.stringify(body) });
  if (r.status === 401) { show_login(); throw new Error('log in first'); }
  if (accept === 'text/dns' && r.ok) return r.text();
  const j = await r.json();
  if (!r.ok) throw new Error(j.error ? j.error.code + ': ' + j.error.message : 'HTTP ' + r.status);
  return j;
}

/* badge - a state as text and colour */
function badge(state) { return el('span', { class: 'badge ' + state }, state); }

/* when - an epoch as the viewer's local time */
function when(t) { return t > 0 ? new Date(t * 1000).toLocaleString() : '-'; }

/* pct - a share as a percentage with one decimal ("-" when there is no whole) */
function pct(part, whole) { return whole > 0 ? (100 * part / whole).toFixed(1) + '%' : '-'; }

const SVG = 'http://www.w3.org/2000/svg';
/* svg - an SVG element with attributes and children (strings become text) */
function svg(tag, attrs, ...kids) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  for (const k of kids) e.append(typeof k === 'string' ? document.createTextNode(k) : k);
  return e;
}

/* Chart geometry (SVG user units): the plot area inside the margins. */
const CHART = { w: 640, h: 220, left: 44, right: 10, top: 12, bottom: 28 };

/* chart_frame - an SVG chart with its y axis (0..ymax, labelled by fmt) */
function chart_frame(id, label, ymax, fmt) {
  const c = CHART, ph = c.h - c.top - c.bottom;
  const g = svg('svg', { id, viewBox: `0 0 ${c.w} ${c.h}`, role: 'img', 'aria-label': label,
                         class: 'chart' }, svg('title', {}, label));
  for (let i = 0; i <= 4; i++) {
    const y = c.top + ph - ph * i / 4;
    g.append(svg('line', { x1: c.left, x2: c.w - c.right, y1: y, y2: y, class: 'grid' }),
             svg('text', { x: c.left - 6, y: y + 4, 'text-anchor': 'end', class: 'axis' },
                 fmt(ymax * i / 4)));
  }
  return g;
}

/* timeline_chart - messages per day as bars, DMARC passes below the fails */
function timeline_chart(days) {
  const c = CHART, ph = c.h - c.top - c.bottom, pw = c.w - c.left - c.right;
  /* a multiple of 4, so the four grid lines fall on whole numbers */
  const max = Math.ceil(Math.max(1, ...days.map((d) => d.messages)) / 4) * 4;
  const g = chart_frame('chart-timeline', 'Messages per day: DMARC pass and fail', max,
                        (v) => String(Math.round(v)));
  const bw = pw / Math.max(1, days.length);
  days.forEach((d, i) => {
    const x = c.left + i * bw + bw * 0.1, w = bw * 0.8;
    const hp = ph * d.dmarc_pass / max, hf = ph * d.dmarc_fail / max;
    const tip = `${d.day}: ${d.messages} messages, ${d.dmarc_pass} pass, ${d.dmarc_fail} fail`;
    g.append(svg('g', { class: 'day', 'data-day': d.day, 'data-messages': d.messages,
                        'data-pass': d.dmarc_pass, 'data-fail': d.dmarc_fail },
      svg('title', {}, tip),
      svg('rect', { x, width: w, y: c.top + ph - hp, height: hp, class: 'pass' }),
      svg('rect', { x, width: w, y: c.top + ph - hp - hf, height: hf, class: 'fail' })));
  });
  if (days.length) {
    g.append(svg('text', { x: c.left, y: c.h - 8, class: 'axis' }, days[0].day),
             svg('text', { x: c.w - c.right, y: c.h - 8, 'text-anchor': 'end', class: 'axis' },
                 days[days.length - 1].day));
  }
  return g;
}

/* rate_chart - the DMARC pass rate of each day with messages, as a line */
function rate_chart(days) {
  const c = CHART, ph = c.h - c.top - c.bottom, pw = c.w - c.left - c.right;
  const g = chart_frame('chart-rate', 'DMARC pass rate per day', 100, (v) => v + '%');
  const step = pw / Math.max(1, days.length);
  const pts = [];
  days.forEach((d, i) => {
    if (d.messages === 0) return;
    const x = c.left + step * (i + 0.5), r = 100 * d.dmarc_pass / d.messages;
    const y = c.top + ph - ph * r / 100;
    pts.push(`${x.toFixed(1)},${y.toFixed(1)}`);
    g.append(svg('circle', { cx: x, cy: y, r: 4, class: 'point', 'data-day': d.day,
                             'data-rate': r.toFixed(1) },
                 svg('title', {}, `${d.day}: ${r.toFixed(1)}% pass`)));
  });
  if (pts.length > 1) g.insertBefore(svg('polyline', { points: pts.join(' '), class: 'line' }),
                                     g.querySelector('circle'));
  return g;
}

/* span_query - "?domain=D&since=..&until=.." from the reports form's values */
function span_query(name, since, until) {
  const q = new URLSearchParams();
  if (name) q.set('domain', name);
  if (since) q.set('since', since);
  if (until) q.set('until', until);
  return '?' + q.toString();
}

async function show_reports(name, since, until) {
  const q = span_query(name, since, until);
  const [tl, sum, src, adv] = await Promise.all([
    api('GET', '/api/reports/timeline' + q), api('GET', '/api/reports/summary' + q),
    api('GET', '/api/reports/sources' + q), api('GET', '/api/reports/advise' + q)]);
  const t = tl.totals;
  const form = el('form', { id: 'span', onsubmit: (ev) => {
    ev.preventDefault();
    const s = document.getElementById('since').value, u = document.getElementById('until').value;
    location.hash = '#/reports/' + encodeURIComponent(name) + span_query('', s, u);
  } },
    el('label', {}, 'From (UTC day)', el('input', { id: 'since', type: 'date', value: since || '' })),
    el('label', {}, 'To (UTC day)', el('input', { id: 'until', type: 'date', value: until || '' })),
    el('button', { type: 'submit' }, 'Show'));
  const d0 = sum.domains[0], a = adv.domains.length ? adv.domains[0] : null;
  const srcs = src.domains.length ? src.domains[0].sources : [];
  const srows = srcs.map((x) => el('tr', { 'data-ip': x.ip },
    el('td', { class: 'val' }, x.ip), el('td', { class: 'opt' }, x.ptr === null ? '-' : x.ptr),
    el('td', { class: 'opt' }, x.platform === null ? '-' : x.platform),
    el('td', { class: 'num messages' }, String(x.messages)),
    el('td', { class: 'num' }, pct(x.dmarc_pass, x.messages)),
    el('td', { class: 'cls' }, el('span', { class: 'badge cls-' + x.class }, x.class))));
  const fixes = a ? a.fix.map((f) => el('li', { 'data-ip': f.ip },
    f.ip + (f.ptr ? ' (' + f.ptr + ')' : '') + (f.platform ? ' [' + f.platform + ']' : '') +
    ': ' + f.failing + ' failing messages; ' +
    (f.spf_pass_domains ? 'SPF passed for ' + f.spf_pass_domains +
      ': add it to the SPF record of ' + name + ' (include:) or send with an aligned envelope. ' : '') +
    (f.dkim_pass_domains ? 'DKIM passed for ' + f.dkim_pass_domains +
      ': sign with d=' + name + ' (publish that selector under ' + name + ').' : ''))) : [];
  const dayrows = tl.days.map((d) => el('tr', { 'data-day': d.day },
    el('td', {}, d.day), el('td', { class: 'num' }, String(d.reports)),
    el('td', { class: 'num messages' }, String(d.messages)),
    el('td', { class: 'num pass' }, String(d.dmarc_pass)),
    el('td', { class: 'num fail' }, String(d.dmarc_fail)),
    el('td', { class: 'num' }, pct(d.dmarc_pass, d.messages))));
  main.replaceChildren(el('h1', {}, 'Reports: ' + name),
    el('p', {}, el('a', { href: '#/domain/' + encodeURIComponent(name) }, 'The domain'), ' ',
      el('a', { href: '#/check/' + encodeURIComponent(name) }, 'Check findings'), ' ',
      el('a', { href: '#/' }, 'All domains')),
    form,
    d0 ? el('p', { id: 'totals' },
      el('strong', { id: 'messages' }, String(d0.messages)), ' messages in ',
      el('strong', { id: 'reports' }, String(d0.reports)), ' reports, DMARC pass ',
      el('strong', { id: 'pass-rate' }, pct(d0.dmarc_pass, d0.messages)), ' (',
      el('span', { id: 'dmarc-pass' }, String(d0.dmarc_pass)), ' pass, ',
      el('span', { id: 'dmarc-fail' }, String(d0.dmarc_fail)), ' fail)' +
      (a && a.p ? '; published policy p=' + a.p + (a.testing ? ' t=' + a.testing : '') : ''))
       : el('p', { id: 'totals' }, 'No report stored for this domain in this span.'),
    el('h2', {}, 'Volume over time'), timeline_chart(tl.days),
    el('p', { class: 'legend' }, el('span', { class: 'key pass' }, 'pass'), ' ',
      el('span', { class: 'key fail' }, 'fail')),
    el('h2', {}, 'DMARC pass rate'), rate_chart(tl.days),
    el('details', {}, el('summary', {}, 'The numbers per day'),
      el('table', { id: 'days' }, el('thead', {}, el('tr', {}, el('th', {}, 'Day (UTC)'),
        el('th', {}, 'Reports'), el('th', {}, 'Messages'), el('th', {}, 'Pass'),
        el('th', {}, 'Fail'), el('th', {}, 'Pass rate'))), el('tbody', {}, ...dayrows))),
    el('h2', {}, 'Sources'),
    srows.length ? el('table', { id: 'sources' }, el('thead', {}, el('tr', {},
      el('th', {}, 'Address'), el('th', { class: 'opt' }, 'Reverse name'),
      el('th', { class: 'opt' }, 'Platform'), el('th', {}, 'Messages'), el('th', {}, 'DMARC pass'),
      el('th', {}, 'Class'))), el('tbody', {}, ...srows)) : el('p', {}, 'No source.'),
    el('h2', {}, 'Enforcement readiness'),
    a ? el('div', { id: 'advise' },
      el('p', {}, 'Failing: ' + a.fail_legitimate + ' from legitimate sources, ' + a.fail_forwarded +
        ' forwarded, ' + a.fail_unknown + ' unknown.'),
      fixes.length ? el('ul', { id: 'fixes' }, ...fixes) : el('p', {}, 'No legitimate source fails.'),
      el('p', { id: 'next-step' }, 'Next step: ' + a.next_step)) : el('p', {}, '-'));
}

async function show_check(name) {
  main.replaceChildren(el('h1', {}, 'Check: ' + name), el('p', { id: 'checking' }, 'Checking DNS...'));
  const c = await api('GET', '/api/check/' + encodeURIComponent(name));
  const sev = { error: 0, warning: 1, info: 2 };
  const fs = c.findings.slice().sort((x, y) => sev[x.severity] - sev[y.severity]);
  const items = fs.map((f) => el('li', { class: 'finding', 'data-code': f.code },
    el('span', { class: 'badge sev-' + f.severity }, f.severity), ' ',
    el('strong', {}, f.area + ': ' + f.code), ' ', el('span', { class: 'val' }, f.subject || ''),
    el('p', {}, f.message),
    f.fix ? el('div', { class: 'fix' }, el('pre', { class: 'val' }, f.fix),
      el('button', { type: 'button', onclick: () => {
        navigator.clipboard.writeText(f.fix).then(() => say('copied'), () => say('copy refused'));
      } }, 'Copy fix')) : ''));
  const recs = [];
  for (const [area, list] of Object.entries(c.records))
    for (const r of list) recs.push(el('tr', {}, el('td', {}, area), el('td', { class: 'val' }, r.name),
                                        el('td', {}, r.type), el('td', { class: 'val' }, r.data)));
  main.replaceChildren(el('h1', {}, 'Check: ' + c.domain),
    el('p', {}, el('a', { href: '#/domain/' + encodeURIComponent(name) }, 'The domain'), ' ',
      el('a', { href: '#/reports/' + encodeURIComponent(name) }, 'Reports'), ' ',
      el('a', { href: '#/' }, 'All domains')),
    el('p', { id: 'check-summary' }, c.summary.errors + ' errors, ' + c.summary.warnings +
      ' warnings, ' + c.summary.info + ' info (' + c.summary.queries + ' DNS queries)'),
    el('ul', { id: 'findings' }, ...items),
    el('h2', {}, 'Records found'),
    recs.length ? el('table', { id: 'found' }, el('thead', {}, el('tr', {}, el('th', {}, 'Area'),
      el('th', {}, 'Name'), el('th', {}, 'Type'), el('th', {}, 'Data'))), el('tbody', {}, ...recs))
      : el('p', {}, 'None.'));
}

/* Rows a page of the evaluations view asks for, and domains its summary shows. */
const EV_PAGE = 20;
const EV_SUMMARY = 20;

/* ev_row - one evaluation as a table row */
function ev_row(e) {
  const dkim = e.dkim.length ? e.dkim.map((k) => k.result + ' (' + k.domain + ', ' + k.selector + ')')
    .join(', ') : 'none';
  const dis = e.disposition === null ? '-' : e.disposition;
  return el('tr', { 'data-key': e.key, 'data-id': String(e.id) },
    el('td', {}, when(e.at)), el('td', { class: 'val opt' }, e.source_ip === null ? '-' : e.source_ip),
    el('td', { class: 'val from' }, e.header_from === null ? '-' : e.header_from),
    el('td', { class: 'opt' }, (e.spf.result || '-') + (e.spf.domain ? ' (' + e.spf.domain + ')' : '')),
    el('td', { class: 'opt' }, dkim),
    el('td', { class: 'dmarc' }, e.dmarc.result === null ? '-' : e.dmarc.result),
    el('td', { class: 'disposition' }, el('span', { class: 'badge dis-' + dis }, dis)),
    el('td', { class: 'val opt' }, e.message_id === null ? '-' : e.message_id));
}

/* show_evaluations - the counts per domain and the newest evaluations
 * (of one header From domain when name is given), an "Older" button
 * following the API's cursor */
async function show_evaluations(name) {
  const q = new URLSearchParams();
  if (name) q.set('domain', name);
  const sq = new URLSearchParams(q);
  sq.set('limit', String(EV_SUMMARY));
  q.set('limit', String(EV_PAGE));
  const [sum, page] = await Promise.all([api('GET', '/api/evaluations/summary?' + sq.toString()),
                                         api('GET', '/api/evaluations?' + q.toString())]);
  const n = (o, k) => String(o[k] || 0);
  const srows = sum.domains.map((d) => el('tr', { 'data-domain': d.domain === null ? '' : d.domain },
    el('td', { class: 'val' }, d.domain === null ? '(none)' : d.domain),
    el('td', { class: 'num messages' }, String(d.messages)),
    el('td', { class: 'num pass' }, n(d.dmarc, 'pass')), el('td', { class: 'num fail' }, n(d.dmarc, 'fail')),
    el('td', { class: 'num' }, pct(d.dmarc.pass || 0, d.messages)),
    el('td', { class: 'num quarantine' }, n(d.disposition, 'quarantine')),
    el('td', { class: 'num reject' }, n(d.disposition, 'reject'))));
  const body = el('tbody', {}, ...page.evaluations.map(ev_row));
  let next = page.next;
  const more = el('button', { type: 'button', id: 'ev-more', onclick: async () => {
    const mq = new URLSearchParams(q);
    mq.set('after', next);
    try {
      const p = await api('GET', '/api/evaluations?' + mq.toString());
      body.append(...p.evaluations.map(ev_row));
      next = p.next;
      more.hidden = next === null;
      say(body.children.length + ' evaluations shown');
    } catch (e) { say(String(e.message)); }
  } }, 'Older');
  more.hidden = next === null;
  const t = sum.totals;
  main.replaceChildren(el('h1', {}, 'Inbound evaluations' + (name ? ': ' + name : '')),
    el('p', {}, el('a', { href: '#/' }, 'All domains'),
      name ? ' ' : '', name ? el('a', { href: '#/evaluations' }, 'Every domain') : ''),
    el('form', { id: 'ev-filter', onsubmit: (ev) => {
      ev.preventDefault();
      const d = document.getElementById('ev-domain').value.trim();
      location.hash = '#/evaluations' + (d ? '?domain=' + encodeURIComponent(d) : '');
    } },
      el('label', {}, 'Header From domain', el('input', { id: 'ev-domain', value: name || '' })),
      el('button', { type: 'submit' }, 'Show')),
    el('p', { id: 'ev-totals' }, el('strong', { id: 'ev-messages' }, String(t.messages)),
      ' messages evaluated, DMARC pass ', el('strong', {}, pct(t.dmarc.pass || 0, t.messages)),
      ' (' + n(t.dmarc, 'pass') + ' pass, ' + n(t.dmarc, 'fail') + ' fail); ' +
      n(t.disposition, 'quarantine') + ' quarantined, ' + n(t.disposition, 'reject') + ' rejected; ' +
      sum.domains_total + ' header From domains'),
    el('h2', {}, 'Per header From domain'),
    srows.length ? el('table', { id: 'ev-summary' }, el('thead', {}, el('tr', {},
      el('th', {}, 'Domain'), el('th', {}, 'Messages'), el('th', {}, 'DMARC pass'),
      el('th', {}, 'DMARC fail'), el('th', {}, 'Pass rate'), el('th', {}, 'Quarantined'),
      el('th', {}, 'Rejected'))), el('tbody', {}, ...srows)) : el('p', {}, 'No evaluation recorded.'),
    el('h2', {}, 'Newest first'),
    el('table', { id: 'evaluations' }, el('thead', {}, el('tr', {}, el('th', {}, 'Time'),
      el('th', { class: 'opt' }, 'Client'), el('th', {}, 'Header From'), el('th', { class: 'opt' }, 'SPF'),
      el('th', { class: 'opt' }, 'DKIM'), el('th', {}, 'DMARC'), el('th', {}, 'Disposition'),
      el('th', { class: 'opt' }, 'Message-ID'))), body),
    el('p', {}, more));
}

function show_login() {
  document.getElementById('logout').hidden = true;
  main.replaceChildren(el('h1', {}, 'Log in'),
    el('form', { id: 'login', onsubmit: async (ev) => {
      ev.preventDefault();
      const token = document.getElementById('token').value.trim();
      try {
        const r = await fetch('/api/login', { method: 'POST', credentials: 'same-origin',
          headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token }) });
        const j = await r.json();
        if (!r.ok) { say(j.error ? j.error.message : 'login failed'); return; }
        csrf = j.csrf_token;
        sessionStorage.setItem('inkan-csrf', csrf);
        say('');
        location.hash = '#/';
        route();
      } catch (e) { say(String(e.message)); }
    } },
      el('label', {}, 'API token (inkan token create NAME)',
         el('input', { id: 'token', type: 'password', autocomplete: 'off', required: '' })),
      el('button', { type: 'submit' }, 'Log in')));
  document.getElementById('token').focus();
}

async function show_list() {
  const j = await api('GET', '/api/domains');
  const rows = j.domains.map((d) => el('tr', {},
    el('td', {}, el('a', { href: '#/domain/' + encodeURIComponent(d.domain) }, d.domain)),
    el('td', { 'data-state': d.state }, badge(d.state)),
    el('td', { class: 'opt' }, String(d.records_verified) + ' / ' + String(d.records.length)),
    el('td', { class: 'opt' }, when(d.last_check)),
    el('td', {}, el('a', { href: '#/reports/' + encodeURIComponent(d.domain) }, 'Reports'))));
  main.replaceChildren(el('h1', {}, 'Domains'),
    el('form', { id: 'add', onsubmit: async (ev) => {
      ev.preventDefault();
      try {
        const d = await api('POST', '/api/domains', {
          domain: document.getElementById('add-domain').value.trim(),
          profile: document.getElementById('add-profile').value.trim(),
          subdomain: document.getElementById('add-sub').value.trim() });
        location.hash = '#/domain/' + encodeURIComponent(d.domain);
      } catch (e) { say(String(e.message)); }
    } },
      el('label', {}, 'Domain', el('input', { id: 'add-domain', required: '' })),
      el('label', {}, 'Profile', el('input', { id: 'add-profile', required: '', value: 'include-bounce' })),
      el('label', {}, 'Sending subdomain', el('input', { id: 'add-sub' })),
      el('button', { type: 'submit' }, 'Add domain')),
    el('form', { id: 'check', onsubmit: (ev) => {
      ev.preventDefault();
      location.hash = '#/check/' + encodeURIComponent(document.getElementById('check-domain').value.trim());
    } },
      el('label', {}, 'Check any domain', el('input', { id: 'check-domain', required: '' })),
      el('button', { type: 'submit' }, 'Check')),
    el('p', {}, el('a', { href: '#/evaluations', id: 'to-evaluations' }, 'Inbound evaluations'),
      ' (what the milter and verify --record recorded)'),
    rows.length ? el('table', { id: 'domains' },
      el('thead', {}, el('tr', {}, el('th', {}, 'Domain'), el('th', {}, 'State'),
        el('th', { class: 'opt' }, 'Records verified'), el('th', { class: 'opt' }, 'Last check'),
        el('th', {}, ''))),
      el('tbody', {}, ...rows)) : el('p', {}, 'No domain is followed yet.'));
}

async function show_domain(name) {
  const d = await api('GET', '/api/domains/' + encodeURIComponent(name));
  const recs = await api('GET', '/api/domains/' + encodeURIComponent(name) + '/records');
  const zone = {};
  for (const r of recs.records) zone[r.name + ' ' + r.type + ' ' + r.purpose] = r.zone;
  const rows = d.records.map((r) => {
    const z = zone[r.name + ' ' + r.type + ' ' + r.purpose] || '';
    return el('tr', { 'data-name': r.name, 'data-type': r.type, 'data-state': r.state },
      el('td', { class: 'val' }, r.name), el('td', {}, r.type), el('td', { class: 'opt' }, r.purpose),
      el('td', {}, badge(r.state)),
      el('td', { class: 'val seen' }, r.seen === null ? '-' : r.seen),
      el('td', { class: 'opt' }, r.detail === null ? '' : r.detail),
      el('td', { class: 'opt' }, when(r.last_check)),
      el('td', {}, el('button', { type: 'button', onclick: () => {
        navigator.clipboard.writeText(z).then(() => say('copied'), () => say('copy refused'));
      } }, 'Copy')));
  });
  /* what went wrong, above the table: each record that failed, by name and type */
  const bad = d.records.filter((r) => r.state === 'TEMPORARY_FAILURE' || r.state === 'FAILURE');
  const problems = bad.length ? el('div', { id: 'problems', role: 'alert' },
    el('p', {}, d.state === 'TEMPORARY_FAILURE'
      ? 'A verified record went missing or changed (since ' + when(d.state_since) + '); publish it again:'
      : 'These records were not seen before the deadline:'),
    el('ul', {}, ...bad.map((r) => el('li', { 'data-name': r.name, 'data-type': r.type },
      badge(r.state), ' ', el('span', { class: 'val' }, r.type + ' ' + r.name), ' (' + r.purpose + ')' +
      (r.detail ? ': ' + r.detail : '') + (r.expect ? '; expected ' : ''),
      r.expect ? el('span', { class: 'val' }, r.expect) : '')))) : '';
  const hist = (d.history || []).map((h) => el('li', {},
    when(h.at) + ' ' + (h.name || d.domain) + ' ' + (h.type || '') + ': ' + h.from + ' -> ' + h.to +
    (h.detail ? ' (' + h.detail + ')' : '')));
  main.replaceChildren(el('h1', {}, d.domain + ' '), el('p', {}, 'Profile: ' + (d.profile || '-') +
      '; last check ' + when(d.last_check) + '; next ' + when(d.next_poll)),
    problems,
    el('p', {},
      el('button', { type: 'button', id: 'verify', onclick: async () => {
        say('checking...');
        try { await api('POST', '/api/domains/' + encodeURIComponent(name) + '/verify'); say('');
              await show_domain(name); } catch (e) { say(String(e.message)); }
      } }, 'Verify now'), ' ',
      el('button', { type: 'button', id: 'zone', onclick: async () => {
        const text = await api('GET', '/api/domains/' + encodeURIComponent(name) + '/records',
                               undefined, 'text/dns');
        const a = el('a', { href: URL.createObjectURL(new Blob([text], { type: 'text/dns' })),
                            download: name + '.zone' });
        document.body.append(a); a.click(); a.remove();
      } }, 'Download zone file'), ' ',
      el('a', { href: '#/check/' + encodeURIComponent(name) }, 'Check findings'), ' ',
      el('a', { href: '#/reports/' + encodeURIComponent(name) }, 'Reports'), ' ',
      el('a', { href: '#/' }, 'All domains')),
    el('table', { id: 'records' }, el('thead', {}, el('tr', {}, el('th', {}, 'Name'), el('th', {}, 'Type'),
      el('th', { class: 'opt' }, 'Purpose'), el('th', {}, 'State'), el('th', {}, 'Seen'),
      el('th', { class: 'opt' }, 'Detail'), el('th', { class: 'opt' }, 'Checked'), el('th', {}, ''))),
      el('tbody', {}, ...rows)),
    el('h2', {}, 'History'), hist.length ? el('ul', {}, ...hist) : el('p', {}, 'No change yet.'));
  main.querySelector('h1').append(el('span', { id: 'state' }, badge(d.state)));
}

async function route() {
  const h = location.hash;
  document.getElementById('logout').hidden = false;
  say('');
  try {
    if (h.startsWith('#/domain/')) await show_domain(decodeURIComponent(h.slice(9)));
    else if (h.startsWith('#/check/')) await show_check(decodeURIComponent(h.slice(8)));
    else if (h === '#/evaluations' || h.startsWith('#/evaluations?')) {
      const p = new URLSearchParams(h.slice(14));
      await show_evaluations(p.get('domain'));
    }
    else if (h.startsWith('#/reports/')) {
      const [n, q] = h.slice(10).split('?');
      const p = new URLSearchParams(q || '');
      await show_reports(decodeURIComponent(n), p.get('since'), p.get('until'));
    } else await show_list();
  } catch (e) { say(String(e.message)); }
}

document.getElementById('logout').addEventListener('click', async () => {
  try { await api('POST', '/api/logout'); } catch (e) { /* logged out either way */ }
  sessionStorage.removeItem('inkan-csrf');
  show_login();
});
window.addEventListener('hashchange', route);
route();
