#!/usr/bin/python3
"""gen.py - data for the `inkan check` benchmark (bench/check/).

Usage: gen.py OUTDIR [--domains N] [--seed S]

Writes OUTDIR/bench.zone (a root zone "." that Knot serves and that
`inkan check --zone` reads) and OUTDIR/domains-N.txt (the domains, one per
line; also the first 1,000 as domains-1000.txt for the memory comparison).

Each domain dNNNNN.example looks like a real sender's, with a spread of
problems so every check does its work:
  - SPF "v=spf1 mx include:_spf.espK.example ~all" (20 platforms, shared
    include trees answered from the resolver's cache after first use);
    every 10th domain publishes two SPF records, every 15th has +all;
  - DMARC at _dmarc (p=none / quarantine / reject in turn, rua inside the
    domain; every 7th to an outside report host that authorizes it with a
    wildcard, every 13th to one that does not); every 9th has none;
  - MX mx.dNNNNN.example with an A (192.0.2.0/24) and a per-domain AAAA
    (2001:db8:1::/64), both with PTR records (every 11th AAAA PTR stale);
  - DKIM selector s1 (an RSA-2048 key; every 8th with t=y);
  - MTA-STS and TLS-RPT records on every 4th domain.
Documentation names and addresses only.
"""
import argparse
import base64
import os
import random
import subprocess

TTL = 3600


def txt(s):
    parts = [s[i:i + 255] for i in range(0, len(s), 255)]
    return " ".join('"%s"' % p.replace('"', '\\"') for p in parts)


def rsa_pub():
    key = subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                          "rsa_keygen_bits:2048"], check=True, capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubout", "-outform", "DER"], input=key,
                         check=True, capture_output=True).stdout
    return base64.b64encode(der).decode()


def rev6(n):
    """ip6.arpa name of 2001:db8:1::n"""
    full = "20010db8000100000000000000000000"
    h = "%032x" % (int(full, 16) + n)
    return ".".join(reversed(h)) + ".ip6.arpa"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--domains", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=4)
    args = ap.parse_args()
    random.seed(args.seed)
    key = rsa_pub()
    z = ["$TTL %d" % TTL,
         ". IN SOA ns.bench.example. hostmaster.bench.example. 1 3600 600 86400 300",
         ". IN NS ns.bench.example.",
         "ns.bench.example. IN A 192.0.2.53"]
    for k in range(20):
        z.append("_spf.esp%d.example. IN TXT %s" % (k, txt(
            "v=spf1 ip4:198.51.100.%d/32 include:_nb.esp%d.example ~all" % (k, k))))
        z.append("_nb.esp%d.example. IN TXT %s" % (k, txt(
            "v=spf1 ip4:203.0.113.%d/32 ip6:2001:db8:%x::/48 ~all" % (k, k + 0x100))))
    z.append("*._report._dmarc.agg.example. IN TXT %s" % txt("v=DMARC1"))
    z.append("agg.example. IN MX 10 mx.agg.example.")
    z.append("nobody.example. IN MX 10 mx.agg.example.")
    names = []
    for n in range(args.domains):
        d = "d%05d.example" % n
        names.append(d)
        esp = n % 20
        z.append("%s. IN TXT %s" % (d, txt("v=spf1 mx include:_spf.esp%d.example %sall" % (
            esp, "+" if n % 15 == 14 else "~"))))
        if n % 10 == 9:
            z.append("%s. IN TXT %s" % (d, txt("v=spf1 ip4:192.0.2.0/24 -all")))
        z.append("%s. IN TXT %s" % (d, txt("site-verification=%08x" % random.getrandbits(32))))
        if n % 9 != 8:
            rua = "mailto:dmarc@%s" % d
            if n % 7 == 6:
                rua = "mailto:%s@agg.example" % d
            elif n % 13 == 12:
                rua = "mailto:%s@nobody.example" % d
            z.append("_dmarc.%s. IN TXT %s" % (d, txt("v=DMARC1; p=%s; rua=%s" % (
                ("none", "quarantine", "reject")[n % 3], rua))))
        z.append("%s. IN MX 10 mx.%s." % (d, d))
        a = "192.0.2.%d" % (n % 250 + 1)
        z.append("mx.%s. IN A %s" % (d, a))
        z.append("mx.%s. IN AAAA 2001:db8:1::%x" % (d, n + 1))
        z.append("%s. IN PTR %s." % (rev6(n + 1), ("stale." + d) if n % 11 == 10 else ("mx." + d)))
        z.append("s1._domainkey.%s. IN TXT %s" % (d, txt(
            "v=DKIM1; %sk=rsa; p=%s" % ("t=y; " if n % 8 == 7 else "", key))))
        if n % 4 == 0:
            z.append("_mta-sts.%s. IN TXT %s" % (d, txt("v=STSv1; id=2026112201")))
            z.append("_smtp._tls.%s. IN TXT %s" % (d, txt("v=TLSRPTv1; rua=mailto:tls@%s" % d)))
    # PTRs of the shared IPv4 addresses (each names one of the domains using it)
    for i in range(1, 251):
        z.append("%d.2.0.192.in-addr.arpa. IN PTR mx.d%05d.example." % (i, i - 1))
    os.makedirs(args.outdir, exist_ok=True)
    with open(os.path.join(args.outdir, "bench.zone"), "w") as f:
        f.write("\n".join(z) + "\n")
    with open(os.path.join(args.outdir, "domains-%d.txt" % args.domains), "w") as f:
        f.write("\n".join(names) + "\n")
    with open(os.path.join(args.outdir, "domains-1000.txt"), "w") as f:
        f.write("\n".join(names[:1000]) + "\n")
    print("%d domains, %d records" % (args.domains, len(z)))


if __name__ == "__main__":
    main()
