#!/usr/bin/python3
"""pyspf_bench.py - evaluate the benchmark's queries with pyspf (Debian
python3-spf), the reference SPF implementation the test suite comes from.

Usage: pyspf_bench.py zone RECORDS.tsv QUERIES OUT
       pyspf_bench.py dns HOST PORT QUERIES OUT

zone: pyspf's DNS lookup function is replaced by one answering from the
      records in memory (as pyspf's own test harness does), so only the
      evaluation is measured.
dns:  pyspf asks the server HOST:PORT through dnspython (no cache).

Writes one result word per query to OUT, and prints
"evaluations N wall SECONDS cpu SECONDS" on stdout.
"""
import ipaddress
import sys
import time

import spf


def load_records(path):
    db = {}
    with open(path) as f:
        for line in f:
            name, rtype, data = line.rstrip("\n").split("\t", 2)
            db.setdefault((name.lower(), rtype), []).append(data)
    return db


def zone_lookup_factory(db):
    """A DNSLookup answering from db, in the shape pyspf expects."""
    def lookup(name, qtype, strict=True, timeout=None, *args):
        key = name.lower().rstrip(".")
        out = []
        for v in db.get((key, "CNAME"), []):
            out.append(((name, "CNAME"), v))
        for v in db.get((key, qtype), []):
            if qtype in ("A", "AAAA"):
                out.append(((name, qtype), ipaddress.ip_address(v)))
            elif qtype == "MX":
                pref, host = v.split()
                out.append(((name, qtype), (int(pref), host)))
            elif qtype in ("TXT", "SPF"):
                out.append(((name, qtype), [v.encode()]))
            else:
                out.append(((name, qtype), v))
        return out
    return lookup


def main():
    mode = sys.argv[1]
    if mode == "zone":
        spf.DNSLookup = zone_lookup_factory(load_records(sys.argv[2]))
        qpath, opath = sys.argv[3], sys.argv[4]
    elif mode == "dns":
        import dns.resolver
        r = dns.resolver.Resolver(configure=False)
        r.nameservers = [sys.argv[2]]
        r.port = int(sys.argv[3])
        r.lifetime = 5.0
        dns.resolver.default_resolver = r
        qpath, opath = sys.argv[4], sys.argv[5]
    else:
        sys.exit("usage: pyspf_bench.py zone RECORDS QUERIES OUT | dns HOST PORT QUERIES OUT")
    queries = [l.split() for l in open(qpath) if l.strip() and not l.startswith("#")]
    results = []
    w0, c0 = time.perf_counter(), time.process_time()
    for ip, mf, helo in queries:
        if mf == "<>":
            mf = ""
        res = spf.check2(i=ip, s=mf, h=helo)[0]
        results.append(res)
    w1, c1 = time.perf_counter(), time.process_time()
    with open(opath, "w") as o:
        o.write("\n".join(results) + "\n")
    print("evaluations %d wall %.6f cpu %.6f" % (len(queries), w1 - w0, c1 - c0))


if __name__ == "__main__":
    main()
