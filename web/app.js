/* app.js - the inkan dashboard: log in with a token, the domains list with
 * state badges, one domain (records, state, copy buttons, zone download,
 * Verify), adding a domain with a profile.  Every text that came from the
 * API (DNS values, domain names) is inserted with textContent, never
 * parsed as HTML: a TXT record holding markup stays text. */
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
    el('td', { class: 'opt' }, when(d.last_check))));
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
    rows.length ? el('table', { id: 'domains' },
      el('thead', {}, el('tr', {}, el('th', {}, 'Domain'), el('th', {}, 'State'),
        el('th', { class: 'opt' }, 'Records verified'), el('th', { class: 'opt' }, 'Last check'))),
      el('tbody', {}, ...rows)) : el('p', {}, 'No domain is followed yet.'));
}

async function show_domain(name) {
  const d = await api('GET', '/api/domains/' + encodeURIComponent(name));
  const recs = await api('GET', '/api/domains/' + encodeURIComponent(name) + '/records');
  const zone = {};
  for (const r of recs.records) zone[r.name + ' ' + r.type + ' ' + r.purpose] = r.zone;
  const rows = d.records.map((r) => {
    const z = zone[r.name + ' ' + r.type + ' ' + r.purpose] || '';
    return el('tr', { 'data-name': r.name },
      el('td', { class: 'val' }, r.name), el('td', {}, r.type), el('td', { class: 'opt' }, r.purpose),
      el('td', {}, badge(r.state)),
      el('td', { class: 'val seen' }, r.seen === null ? '-' : r.seen),
      el('td', { class: 'opt' }, r.detail === null ? '' : r.detail),
      el('td', { class: 'opt' }, when(r.last_check)),
      el('td', {}, el('button', { type: 'button', onclick: () => {
        navigator.clipboard.writeText(z).then(() => say('copied'), () => say('copy refused'));
      } }, 'Copy')));
  });
  const hist = (d.history || []).map((h) => el('li', {},
    when(h.at) + ' ' + (h.name || d.domain) + ' ' + (h.type || '') + ': ' + h.from + ' -> ' + h.to +
    (h.detail ? ' (' + h.detail + ')' : '')));
  main.replaceChildren(el('h1', {}, d.domain + ' '), el('p', {}, 'Profile: ' + (d.profile || '-') +
      '; last check ' + when(d.last_check) + '; next ' + when(d.next_poll)),
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
  try {
    if (h.startsWith('#/domain/')) await show_domain(decodeURIComponent(h.slice(9)));
    else await show_list();
  } catch (e) { say(String(e.message)); }
}

document.getElementById('logout').addEventListener('click', async () => {
  try { await api('POST', '/api/logout'); } catch (e) { /* logged out either way */ }
  sessionStorage.removeItem('inkan-csrf');
  show_login();
});
window.addEventListener('hashchange', route);
route();
