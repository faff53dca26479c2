#!/usr/bin/python3
"""gen.py - data for the `inkan verify` benchmark (bench/verify/).

Usage: gen.py OUTDIR --inkan INKAN [--messages N] [--seed S]

Writes into OUTDIR:
  bench.zone     a root zone "." (Knot serves it, `inkan verify --zone`
                 reads it);
  zone.json      the same records as {"name TYPE": [rdata...]} for the
                 mailauth peer's resolver (peer.js), so both tools are
                 answered the same records without a network;
  msgs/NNNN.eml  N messages, DKIM-signed with `inkan dkim sign` (RSA-2048
                 test key, selector s1, published in the zone);
  batch.txt      the `inkan verify --batch` list (PATH IP HELO MAIL-FROM
                 RCPT), which peer.js reads too (the same envelopes).
Twenty sender domains dNN.example (SPF ip4:192.0.2.NN+1, DMARC p=reject,
every 4th with adkim=s; iprev PTR/A for the client), one ESP esp.example.
Message k's scenario is k mod 5:
  0 aligned:     signed d=dNN, MAIL FROM dNN from its address (pass)
  1 third party: signed d=esp.example, MAIL FROM bounce.esp.example (fail)
  2 subdomain:   From news.dNN, signed d=dNN, SPF fails: relaxed DKIM
                 alignment passes, strict (adkim=s) fails
  3 tampered:    signed d=dNN, body changed after signing; SPF aligned (pass)
  4 spoofed:     unsigned, MAIL FROM dNN from an outside address (fail)
Documentation names and addresses only (RFC 2606, RFC 5737).
"""
import argparse
import json
import os
import random
import subprocess

TTL = 3600
DOMAINS = 20
WORDS = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima "
         "mike november oscar papa quebec romeo sierra tango uniform victor").split()


def txt_strings(s):
    return [s[i:i + 255] for i in range(0, len(s), 255)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--inkan", required=True)
    ap.add_argument("--messages", type=int, default=500)
    ap.add_argument("--seed", type=int, default=9)
    a = ap.parse_args()
    random.seed(a.seed)
    out = a.outdir
    os.makedirs(os.path.join(out, "msgs"), exist_ok=True)
    keys = os.path.join(out, "keys")
    subprocess.run([a.inkan, "dkim", "keygen", "--domain", "bench.example", "--selector", "s1",
                    "--out", keys, "--force"], check=True, stdout=subprocess.DEVNULL)
    key = os.path.join(keys, "s1.bench.example.private")
    with open(os.path.join(keys, "s1.bench.example.json")) as f:
        kj = json.load(f)
    keyrec = "".join(kj["strings"])

    recs = {}  # (name, type) -> [rdata]; TXT rdata is one string (joined)

    def add(name, rtype, val):
        recs.setdefault((name.lower(), rtype), []).append(val)

    add("esp.example", "A", "198.51.100.5")
    add("bounce.esp.example", "TXT", "v=spf1 ip4:198.51.100.0/24 -all")
    add("s1._domainkey.esp.example", "TXT", keyrec)
    add("_dmarc.esp.example", "TXT", "v=DMARC1; p=none")
    add("mta.esp.example", "A", "198.51.100.5")
    add("5.100.51.198.in-addr.arpa", "PTR", "mta.esp.example")
    add("mx.outside.example", "A", "203.0.113.9")
    add("9.113.0.203.in-addr.arpa", "PTR", "mx.outside.example")
    for n in range(DOMAINS):
        d = "d%02d.example" % n
        ip = "192.0.2.%d" % (n + 1)
        add(d, "A", ip)
        add(d, "MX", "10 mail.%s" % d)
        add(d, "TXT", "v=spf1 ip4:%s -all" % ip)
        add("bounce." + d, "TXT", "v=spf1 ip4:%s -all" % ip)
        add("news." + d, "A", ip)
        add("mail." + d, "A", ip)
        add("%d.2.0.192.in-addr.arpa" % (n + 1), "PTR", "mail." + d)
        add("s1._domainkey." + d, "TXT", keyrec)
        add("_dmarc." + d, "TXT", "v=DMARC1; p=reject; sp=quarantine%s" %
            ("; adkim=s" if n % 4 == 3 else ""))

    with open(os.path.join(out, "bench.zone"), "w") as z:
        z.write("$TTL %d\n" % TTL)
        for (name, rtype), vals in sorted(recs.items()):
            for v in vals:
                if rtype == "TXT":
                    v = " ".join('"%s"' % p.replace('"', '\\"') for p in txt_strings(v))
                elif rtype in ("PTR", "MX"):
                    v = v + "."
                z.write("%s. %d IN %s %s\n" % (name, TTL, rtype, v))
    with open(os.path.join(out, "zone.json"), "w") as f:
        json.dump({"%s %s" % k: v for k, v in recs.items()}, f)

    lines = []
    for k in range(a.messages):
        n = k % DOMAINS
        d = "d%02d.example" % n
        ip = "192.0.2.%d" % (n + 1)
        sc = k % 5
        frm = "news." + d if sc == 2 else d
        body = []
        for _ in range(random.randint(20, 60)):
            body.append(" ".join(random.choice(WORDS) for _ in range(random.randint(6, 14))))
        msg = ("From: User %d <user%d@%s>\r\nTo: rcpt@example.net\r\nSubject: bench message %d\r\n"
               "Date: Wed, 02 Dec 2026 10:%02d:00 +0000\r\nMessage-ID: <%d.bench@%s>\r\n"
               "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n%s\r\n"
               % (k, k, frm, k, k % 60, k, frm, "\r\n".join(body))).encode()
        if sc != 4:
            sd = "esp.example" if sc == 1 else d
            msg = subprocess.run([a.inkan, "dkim", "sign", "--domain", sd, "--selector", "s1",
                                  "--key", key], input=msg, check=True,
                                 capture_output=True).stdout
        if sc == 3:
            msg = msg.replace(b"bench message", b"bench massage", 1) + b"appended\r\n"
        path = os.path.abspath(os.path.join(out, "msgs", "%04d.eml" % k))
        with open(path, "wb") as f:
            f.write(msg)
        env = {0: (ip, "mail." + d, "user%d@%s" % (k, d)),
               1: ("198.51.100.5", "mta.esp.example", "b%d@bounce.esp.example" % k),
               2: ("203.0.113.9", "mx.outside.example", "n%d@bounce.%s" % (k, d)),
               3: (ip, "mail." + d, "user%d@%s" % (k, d)),
               4: ("203.0.113.9", "mx.outside.example", "spoof%d@%s" % (k, d))}[sc]
        lines.append("%s %s %s %s rcpt@example.net" % ((path,) + env))
    with open(os.path.join(out, "batch.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
