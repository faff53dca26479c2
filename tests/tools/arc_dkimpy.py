#!/usr/bin/python3
# arc_dkimpy.py - verify a message's ARC chain with dkimpy (Debian's
# python3-dkim, an implementation independent of inkan), its key records
# read from an RFC 1035 zone file instead of DNS.
# Usage: arc_dkimpy.py MESSAGE ZONEFILE
# Prints one line: "cv=<dkimpy's chain result> sets=<N> seal-cv=<cv= of
# each ARC-Seal, i=1 first> newest=d=<D>,s=<S> (the newest seal's)
# reason=<dkimpy's reason>"; exit 0 when the
# chain passes, 1 when it does not, 2 on usage errors.
import re
import sys

import dkim


def main():
    if len(sys.argv) != 3:
        print("usage: arc_dkimpy.py MESSAGE ZONEFILE", file=sys.stderr)
        return 2
    msg = open(sys.argv[1], "rb").read()
    recs = {}
    for line in open(sys.argv[2]):
        m = re.match(r'(\S+)\.\s+\d+\s+IN\s+TXT\s+(.*)$', line.strip())
        if m:
            recs[m.group(1).lower()] = "".join(re.findall(r'"([^"]*)"', m.group(2))).encode()

    def dnsfunc(name, timeout=5):
        return recs.get(name.decode().rstrip(".").lower(), b"")

    # dkimpy gives None instead of CV_Fail for some failed chains
    cv, results, reason = dkim.arc_verify(msg, dnsfunc=dnsfunc)
    # the cv= of each seal, by instance (unfolded header)
    hdr = re.split(rb"\r?\n\r?\n", msg, maxsplit=1)[0]
    hdr = re.sub(rb"\r?\n[ \t]+", b" ", hdr)
    seals = {}
    for line in hdr.split(b"\n"):
        if line.lower().startswith(b"arc-seal:"):
            tags = dict((k.strip().decode(), v.strip().decode())
                        for k, _, v in (t.partition(b"=") for t in line[9:].split(b";")))
            if "i" in tags and tags["i"].isdigit():
                seals[int(tags["i"])] = tags
    cvs = ",".join(seals[k].get("cv", "?") for k in sorted(seals))
    newest = seals[max(seals)] if seals else {}
    print("cv=%s sets=%d seal-cv=%s newest=d=%s,s=%s reason=%s" %
          (cv.decode() if cv is not None else "fail", len(seals), cvs, newest.get("d", ""), newest.get("s", ""), reason))
    return 0 if cv == dkim.CV_Pass else 1


if __name__ == "__main__":
    sys.exit(main())
