#!/usr/bin/python3
"""gen_cold.py - the COLD SPF workload: every sender domain distinct and
every DNS name asked exactly once, so no answer can come from a cache.

Usage: gen_cold.py OUTDIR [--domains N]

Writes:
  OUTDIR/cold.zone        zone "cold.example." for Knot
  OUTDIR/cold-queries.txt "IP MAILFROM HELO" per line (inkan spf --batch,
                          spfquery -f)
  OUTDIR/cold-dnsperf.txt "NAME TYPE" per line: exactly the questions the
                          evaluations ask, in order (dnsperf -d)

Each sender dNNNNNN.cold.example publishes
    v=spf1 ip4:<its own /24> a mx include:_spf.dNNNNNN.cold.example -all
with its own A, MX and MX host, and its own include record
    v=spf1 ip4:<another /24> -all.
The client (192.0.2.1) matches nothing, so every evaluation asks all five
questions (TXT sender, A sender, MX sender, A of the MX host, TXT of the
include) and ends in fail.
"""
import argparse
import os

QUESTIONS_PER_EVAL = 5


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--domains", type=int, default=20000)
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    with open(os.path.join(a.outdir, "cold.zone"), "w") as z, \
            open(os.path.join(a.outdir, "cold-queries.txt"), "w") as q, \
            open(os.path.join(a.outdir, "cold-dnsperf.txt"), "w") as d:
        z.write("$ORIGIN cold.example.\n$TTL 3600\n")
        z.write("@ SOA ns hostmaster 1 3600 600 86400 300\n@ NS ns\nns A 127.0.0.1\n")
        for i in range(a.domains):
            n = "d%06d" % i
            hi, lo = (i >> 8) & 0xff, i & 0xff
            z.write('%s TXT "v=spf1 ip4:10.%d.%d.0/24 a mx include:_spf.%s.cold.example -all"\n'
                    % (n, hi, lo, n))
            z.write("%s A 10.%d.%d.1\n" % (n, hi, lo))
            z.write("%s MX 10 mx.%s\n" % (n, n))
            z.write("mx.%s A 10.%d.%d.2\n" % (n, hi, lo))
            z.write('_spf.%s TXT "v=spf1 ip4:172.16.%d.0/24 -all"\n' % (n, lo))
            fq = "%s.cold.example" % n
            q.write("192.0.2.1 user@%s mail.%s\n" % (fq, fq))
            d.write("%s TXT\n%s A\n%s MX\nmx.%s A\n_spf.%s TXT\n" % (fq, fq, fq, fq, fq))
    print("cold workload: %d domains, %d questions" % (a.domains, a.domains * QUESTIONS_PER_EVAL))


if __name__ == "__main__":
    main()
