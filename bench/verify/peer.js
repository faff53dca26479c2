// peer.js - the mailauth side of the `inkan verify` benchmark (bench/verify/):
// postalsys mailauth's authenticate() (SPF, DKIM, DMARC, ARC; BIMI off, as
// inkan does no BIMI) over the same messages and envelopes as
// `inkan verify --batch`.
//
//   node peer.js zone ZONE.json BATCH REPEAT OUT.jsonl
//   node peer.js dns HOST:PORT BATCH REPEAT OUT.jsonl [cache]
//
// zone: every DNS question answered from ZONE.json (gen.py's dump of the
//       zone file inkan reads), so both tools see the same records without
//       a network: the warm case.
// dns:  questions sent to the server (Knot on loopback) by Node's own
//       resolver (c-ares); mailauth keeps no cache, so every question goes
//       out; with "cache", answers are kept for the run, as inkan's driver
//       keeps them for their TTL.
// All messages are read into memory first; the first one goes through once
// untimed (module and key set-up).  Then the messages are evaluated REPEAT
// times, up to CONCURRENCY in flight (one Node thread).  The time is this
// process's CPU time (user + system, all its threads), as inkan's is.
// Writes one {"file", "dmarc"} line per message of the first pass to
// OUT.jsonl and prints "messages N seconds S wall W".
'use strict';
const fs = require('fs');
const dns = require('dns');
const { authenticate } = require('mailauth');

const CONCURRENCY = 50;

function zoneResolver(file) {
    const recs = JSON.parse(fs.readFileSync(file, 'utf8'));
    const names = new Set(Object.keys(recs).map(k => k.split(' ')[0]));
    return async (name, type) => {
        const n = String(name).toLowerCase().replace(/\.$/, '');
        const v = recs[n + ' ' + type];
        if (!v) {
            const e = new Error((names.has(n) ? 'ENODATA ' : 'ENOTFOUND ') + n);
            e.code = names.has(n) ? 'ENODATA' : 'ENOTFOUND';
            throw e;
        }
        switch (type) {
        case 'TXT': // Node's resolveTxt: each record as its strings
            return v.map(s => s.match(/[\s\S]{1,255}/g) || ['']);
        case 'MX':
            return v.map(s => {
                const [p, x] = s.split(' ');
                return { priority: Number(p), exchange: x };
            });
        default:
            return v.slice();
        }
    };
}

function dnsResolver(server, cache) {
    const r = new dns.promises.Resolver({ timeout: 2000, tries: 2 });
    r.setServers([server]);
    if (!cache)
        return (name, type) => r.resolve(name, type);
    const kept = new Map();
    return (name, type) => {
        const k = String(name).toLowerCase() + ' ' + type;
        let p = kept.get(k);
        if (!p) {
            p = r.resolve(name, type);
            kept.set(k, p);
        }
        return p;
    };
}

async function one(m, resolver) {
    const res = await authenticate(m.buf, {
        ip: m.ip, helo: m.helo, sender: m.from, mta: 'localhost',
        resolver, disableBimi: true
    });
    return res.dmarc && res.dmarc.status ? res.dmarc.status.result : 'none';
}

async function main() {
    const [mode, src, batch, repeatArg, out, cacheArg] = process.argv.slice(2);
    const resolver = mode === 'zone' ? zoneResolver(src) : dnsResolver(src, cacheArg === 'cache');
    const msgs = fs.readFileSync(batch, 'utf8').split('\n').filter(l => l && l[0] !== '#')
        .map(l => {
            const [file, ip, helo, from] = l.split(/\s+/);
            return { file, ip, helo, from, buf: fs.readFileSync(file) };
        });
    const repeat = Number(repeatArg) || 1;
    await one(msgs[0], resolver);
    const results = new Array(msgs.length);
    const total = msgs.length * repeat;
    let next = 0;
    const t0 = process.cpuUsage();
    const w0 = process.hrtime.bigint();
    async function worker() {
        while (next < total) {
            const i = next++;
            const r = await one(msgs[i % msgs.length], resolver);
            if (i < msgs.length)
                results[i] = r;
        }
    }
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const t = process.cpuUsage(t0);
    const wall = Number(process.hrtime.bigint() - w0) / 1e9;
    fs.writeFileSync(out, msgs.map((m, i) => JSON.stringify({ file: m.file, dmarc: results[i] }))
        .join('\n') + '\n');
    console.log('messages %d seconds %s wall %s', total, ((t.user + t.system) / 1e6).toFixed(3),
        wall.toFixed(3));
}

main().catch(e => {
    console.error('peer.js:', e);
    process.exit(1);
});
