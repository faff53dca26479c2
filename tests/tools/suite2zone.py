#!/usr/bin/python3
"""suite2zone.py - turn the scenarios of an openspf/pyspf SPF test suite
(e.g. ../shared/testsuites/spf/rfc7208-tests.yml) into RFC 1035 zone files
that a real DNS server (Knot) and `inkan spf --zone` can both serve.

Usage: suite2zone.py SUITE.yml OUTDIR

Writes, for scenario N (0-based, in file order):
  OUTDIR/sN.zone        a root zone (".") holding every name of the scenario,
                        so one authoritative server answers all its queries
  OUTDIR/sN.unservable  "NAME TYPE REASON" lines (TYPE "*" = every type)
                        for what a zone file on a real server cannot
                        reproduce: the scenario's TIMEOUT entries, a TXT
                        record of zero strings, an RRset holding the same
                        record twice (a server merges them into one), and a
                        PTR RRset longer than SPF's 10-name limit (which 10
                        are used depends on the order a server returns them
                        in); a test that queries one of them is skipped by
                        the caller
and OUTDIR/tests.tsv with one line per test:
  scenario<TAB>id<TAB>host<TAB>mailfrom<TAB>helo<TAB>results
where results is the expected result words joined by ",".

Zone data rules follow the suite's README: an SPF entry doubles as TXT when
the name lists no TXT entry (even "TXT: NONE"); a YAML list of strings is one
RR of several character-strings; a bare TIMEOUT times out every type not
listed before it.  Needs PyYAML (Debian python3-yaml; run with /usr/bin/python3).
"""
import os
import sys

import yaml

ROOT_NS = "ns.inkan-suite-root."
# RFC 7208 4.6.4: PTR names looked at; past this, the answer's order matters.
PTR_NAMES_MAX = 10
TXT_CHUNK = 255  # RFC 1035 character-string limit


def esc_label(label):
    """A label in master-file syntax: unusual bytes as \\DDD."""
    out = []
    for b in label.encode("utf-8"):
        c = chr(b)
        if c.isascii() and (c.isalnum() or c in "-_"):
            out.append(c)
        else:
            out.append("\\%03d" % b)
    return "".join(out)


def labels_of(name):
    """The non-empty labels of name (the suite's resolver drops empty ones)."""
    return [l for l in str(name).split(".") if l != ""]


def absname(name):
    labels = labels_of(name)
    if not labels:
        return "."
    return ".".join(esc_label(l) for l in labels) + "."


def plain(name):
    """Canonical lower-case name without trailing dot (for .unservable)."""
    return ".".join(labels_of(name)).lower()


def esc_string(data):
    """One <character-string> in quotes, bytes outside printable ASCII as \\DDD."""
    out = ['"']
    for b in data:
        if 0x20 <= b < 0x7F and b not in (0x22, 0x5C):
            out.append(chr(b))
        else:
            out.append("\\%03d" % b)
    out.append('"')
    return "".join(out)


def txt_rdata(value):
    """TXT rdata for a YAML value: a string (split at 255 bytes), or a list
    of strings (one RR, several character-strings).  None if the RR has no
    string at all, which master-file syntax cannot express."""
    if isinstance(value, list):
        parts = [str(v).encode("utf-8") for v in value]
    else:
        parts = [str(value).encode("utf-8")]
    if not parts:
        return None
    chunks = []
    for p in parts:
        if len(p) <= TXT_CHUNK:
            chunks.append(p)
        else:
            chunks.extend(p[i:i + TXT_CHUNK] for i in range(0, len(p), TXT_CHUNK))
    return " ".join(esc_string(c) for c in chunks)


def scenario_zone(zonedata):
    """(zone text lines, unservable (name, type) list) for one scenario."""
    lines = [
        "$TTL 300",
        ". IN SOA %s hostmaster.inkan-suite-root. 1 3600 600 86400 300" % ROOT_NS,
        ". IN NS %s" % ROOT_NS,
        "%s IN A 127.0.0.1" % ROOT_NS,
    ]
    unservable = []
    for name, entries in (zonedata or {}).items():
        owner = absname(name)
        entries = entries or []
        before_timeout = []
        timeout = False
        for e in entries:
            if e == "TIMEOUT":
                timeout = True
                break
            before_timeout.append(e)
        if timeout:
            # "TXT: NONE" lists no record: that type still times out
            answered = {t for e in before_timeout if isinstance(e, dict)
                        for t, v in e.items() if not (t == "TXT" and v == "NONE")}
            lists_txt = any(isinstance(e, dict) and "TXT" in e for e in entries)
            if "SPF" in answered and not lists_txt:
                answered.add("TXT")  # synthesised below
            if answered:
                for t in ("A", "AAAA", "MX", "TXT", "SPF", "PTR", "CNAME"):
                    if t not in answered:
                        unservable.append((plain(name), t, "TIMEOUT"))
            else:
                unservable.append((plain(name), "*", "TIMEOUT"))
        recs = [e for e in before_timeout if isinstance(e, dict)]
        has_txt = any("TXT" in e for e in recs)
        for e in recs:
            for rtype, value in e.items():
                if rtype in ("TXT", "SPF"):
                    if rtype == "TXT" and value == "NONE":
                        continue
                    rd = txt_rdata(value)
                    types = [rtype] + (["TXT"] if rtype == "SPF" and not has_txt else [])
                    for t in types:
                        if rd is None:
                            unservable.append((plain(name), t, "a TXT record of zero strings"))
                        else:
                            rr = "%s IN %s %s" % (owner, t, rd)
                            if rr in lines:
                                unservable.append((plain(name), t,
                                                   "the same record twice (a server keeps one)"))
                            lines.append(rr)
                elif rtype == "MX":
                    pref, exch = value
                    lines.append("%s IN MX %d %s" % (owner, int(pref), absname(exch)))
                elif rtype in ("PTR", "CNAME"):
                    lines.append("%s IN %s %s" % (owner, rtype, absname(value)))
                    nptr = sum(1 for r in recs if "PTR" in r)
                    if rtype == "PTR" and nptr > PTR_NAMES_MAX:
                        unservable.append((plain(name), "PTR",
                                           "%d PTR records: which %d are used depends on the "
                                           "order a server returns them in" % (nptr, PTR_NAMES_MAX)))
                elif rtype in ("A", "AAAA"):
                    lines.append("%s IN %s %s" % (owner, rtype, value))
                else:
                    raise SystemExit("suite2zone: %s: unknown record type %s" % (name, rtype))
    return lines, unservable


def field(v):
    s = "" if v is None else str(v)
    if any(c in s for c in "\t\n"):
        raise SystemExit("suite2zone: tab or newline in a test field: %r" % s)
    return s


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: suite2zone.py SUITE.yml OUTDIR\n")
        return 2
    suite, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    with open(suite, "rb") as f:
        docs = list(yaml.safe_load_all(f))
    with open(os.path.join(outdir, "tests.tsv"), "w") as tsv:
        for n, doc in enumerate(docs):
            lines, unservable = scenario_zone(doc.get("zonedata"))
            with open(os.path.join(outdir, "s%d.zone" % n), "w") as z:
                z.write("; scenario %d: %s\n" % (n, doc.get("description", "")))
                z.write("\n".join(lines) + "\n")
            with open(os.path.join(outdir, "s%d.unservable" % n), "w") as u:
                seen = set()
                for name, t, why in unservable:
                    if (name, t) not in seen:
                        seen.add((name, t))
                        u.write("%s %s %s\n" % (name, t, why))
            for tid, t in doc["tests"].items():
                res = t["result"]
                res = res if isinstance(res, list) else [res]
                tsv.write("\t".join([str(n), field(tid), field(t["host"]),
                                     field(t["mailfrom"]), field(t["helo"]),
                                     ",".join(field(r) for r in res)]) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
