#!/usr/bin/python3
"""interop.py - ARC interoperability of inkan with dkimpy (Debian
python3-dkim): messages dkimpy seals (dkim.arc_sign) verify with `inkan arc
verify`, messages inkan seals (`inkan arc seal`) verify with dkimpy's
dkim.arc_verify, over chains of one to three hops mixing the two sealers,
and a tampered body fails in both.  Keys come from `inkan dkim keygen`;
both sides read the same zone file (dkimpy through a dnsfunc).  Prints TAP
lines; exits 1 if any check failed."""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import dkim

FAILS = 0
COUNT = 0


def check(ok, what, detail=""):
    global FAILS, COUNT
    COUNT += 1
    if ok:
        print("ok %d - %s" % (COUNT, what))
    else:
        FAILS += 1
        print("not ok %d - %s" % (COUNT, what))
        for line in str(detail).splitlines()[:15]:
            print("#   " + line)


def zone_txt(path):
    """owner -> TXT text (strings joined) from inkan's zone-file lines"""
    recs = {}
    for line in open(path):
        m = re.match(r'^(\S+)\s+\d+\s+IN\s+TXT\s+(.*)$', line.strip())
        if not m:
            continue
        parts = re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(2))
        recs[m.group(1).rstrip('.').lower()] = ''.join(parts).encode()
    return recs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--inkan", required=True)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp()
    inkan = args.inkan

    def run(*a, data=None):
        return subprocess.run([inkan] + list(a), input=data, capture_output=True)

    subprocess.run([inkan, "dkim", "keygen", "--domain", "example.org", "--selector", "s1",
                    "--out", tmp], check=True, capture_output=True)
    subprocess.run([inkan, "dkim", "keygen", "--domain", "relay.example", "--selector", "r2",
                    "--bits", "1024", "--out", tmp], check=True, capture_output=True)
    zone = os.path.join(tmp, "zone")
    with open(zone, "w") as z:
        for n in ("s1.example.org.zone", "r2.relay.example.zone"):
            z.write(open(os.path.join(tmp, n)).read())
    recs = zone_txt(zone)

    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode()
        return recs.get(name.rstrip('.').lower())

    keys = {"example.org": (b"s1", open(os.path.join(tmp, "s1.example.org.private"), "rb").read()),
            "relay.example": (b"r2", open(os.path.join(tmp, "r2.relay.example.private"), "rb").read())}

    def py_seal(msg, domain, srv):
        sel, key = keys[domain]
        hdrs = dkim.arc_sign(msg, sel, domain.encode(), key, srv.encode(),
                             include_headers=[b"from", b"to", b"subject", b"date"])
        return b"".join(hdrs) + msg

    def ink_seal(msg, domain, srv):
        sel = keys[domain][0].decode()
        r = run("arc", "seal", "--zone", zone, "--key",
                os.path.join(tmp, "%s.%s.private" % (sel, domain)), "--domain", domain,
                "--selector", sel, "--authserv-id", srv, data=msg)
        if r.returncode != 0:
            raise RuntimeError(r.stderr.decode())
        return r.stdout

    def ink_cv(msg):
        r = run("arc", "verify", "--zone", zone, data=msg)
        return r.stdout.decode().split("\n", 1)[0], r.stdout.decode() + r.stderr.decode()

    def py_cv(msg):
        cv, results, comment = dkim.arc_verify(msg, dnsfunc=dnsfunc)
        return cv.decode() if isinstance(cv, bytes) else str(cv), comment

    base = (b"Authentication-Results: %s; spf=pass smtp.mailfrom=a@d1.example;\r\n"
            b"  dkim=pass header.d=d1.example; dmarc=pass header.from=d1.example\r\n"
            b"From: A <a@d1.example>\r\nTo: list@example.org\r\nSubject: interop\r\n"
            b"Date: Thu, 14 Jan 2015 15:00:01 -0800\r\nMessage-ID: <i@d1.example>\r\n\r\n"
            b"Hello,\r\n  a line with  spaces \r\n\r\n\r\n")

    def hop(msg, srv):
        # the next hop's own Authentication-Results (an ARC verifier would write it)
        return (b"Authentication-Results: %s; arc=pass\r\n" % srv.encode()) + msg

    # chains: who seals each hop
    plans = [("py",), ("ink",), ("py", "ink"), ("ink", "py"), ("ink", "ink", "py"),
             ("py", "py", "ink")]
    for plan in plans:
        msg = base % b"lists.example.org"
        doms = ["example.org", "relay.example", "example.org"]
        ok = True
        for k, who in enumerate(plan):
            srv = "hop%d.example" % (k + 1) if k else "lists.example.org"
            if k:
                msg = hop(msg, srv)
            try:
                msg = (py_seal if who == "py" else ink_seal)(msg, doms[k], srv)
            except Exception as e:  # a sealer refused: report, go on
                check(False, "%s seals hop %d of %s" % (who, k + 1, "+".join(plan)), e)
                ok = False
                break
        if not ok:
            continue
        name = "+".join(plan)
        cv, detail = ink_cv(msg)
        check(cv == "pass", "inkan verifies the chain sealed by %s" % name, detail)
        pcv, comment = py_cv(msg)
        check(pcv == "pass", "dkimpy verifies the chain sealed by %s" % name, comment)
        bad = msg.replace(b"Hello,", b"Hullo,")
        cv, detail = ink_cv(bad)
        check(cv == "fail", "inkan: tampered body of %s fails" % name, detail)
        pcv, comment = py_cv(bad)
        check(pcv == "fail", "dkimpy: tampered body of %s fails" % name, comment)

    print("1..%d" % COUNT)
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
