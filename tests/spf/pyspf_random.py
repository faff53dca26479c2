#!/usr/bin/python3
"""pyspf_random.py SEED COUNT - random SPF scenarios evaluated by pyspf.

Writes COUNT scenarios in the conformance-suite format (one YAML document
per scenario, each written as JSON, which YAML reads) with the result and
explanation pyspf (Debian python3-spf) gives for each test.  The C runner
(tests/unit/spf_suite_run.c) then checks that inkan agrees.

Where pyspf departs from a literal reading of RFC 7208, the difference is
kept out of the comparison on purpose (the limits themselves are covered by
the conformance suites and tests/unit/test_spf_eval.c):
  - pyspf refuses "include:<own domain>" when parsing a record, even when
    the term is never reached (also when the record was reached through the
    alias c.example); the generator never writes such a term;
  - pyspf counts void lookups on every query (also the address lookups of
    MX and PTR names), inkan on the query a term makes itself: both void
    limits are lifted;
  - pyspf counts a redirect= against the 10-lookup limit when it parses the
    record, even when a mechanism matches first, and does not count the PTR
    query of %{p}; inkan counts what is evaluated (RFC 7208 4.6.4): both
    lookup limits are raised to LOOKUPS, far above what a scenario needs
    unless it loops (and a loop is a permerror for both).
"""
import json
import random
import sys

import spf

seed = int(sys.argv[1]) if len(sys.argv) > 1 else 1
count = int(sys.argv[2]) if len(sys.argv) > 2 else 200
rng = random.Random(seed)
LOOKUPS = 200  # the runner is given the same: spf_suite_run --lookups 200
spf.MAX_VOID_LOOKUPS = 1000000
spf.MAX_LOOKUP = LOOKUPS

DOMS = [f"d{i}.example" for i in range(8)]
IPS4 = ["192.0.2.1", "192.0.2.77", "198.51.100.5", "203.0.113.9"]
IPS6 = ["2001:db8::1", "2001:db8:1::5"]


def qual():
    return rng.choice(["", "", "", "-", "~", "?", "+"])


def term(owner, alias_of):
    k = rng.choice(["ip4", "ip4", "ip6", "a", "a", "mx", "ptr", "exists",
                    "include", "include", "all"])
    d = rng.choice([x for x in DOMS if x != owner] + ["c.example", "t.example"])
    if k == "ip4":
        return qual() + "ip4:" + rng.choice(IPS4) + rng.choice(["", "/24", "/32", "/16", "/0"])
    if k == "ip6":
        return qual() + "ip6:" + rng.choice(IPS6) + rng.choice(["", "/64", "/32", "/128"])
    if k in ("a", "mx"):
        return (qual() + k + rng.choice(["", ":" + d, ":%{d}", ":mx.%{d2}"])
                + rng.choice(["", "", "/24", "//64", "/16//48"]))
    if k == "ptr":
        return qual() + "ptr" + rng.choice(["", ":" + d])
    if k == "exists":
        return qual() + "exists:" + rng.choice(["%{i}.x.example", "%{l}.u.example", d,
                                                 "%{ir}.%{v}.x.example", "%{p}.p.example"])
    if k == "include":
        if d == "c.example" and owner == alias_of:
            d = "t.example"  # pyspf would see include:<own domain> (see above)
        return qual() + "include:" + d
    return qual() + "all"


def record(owner, alias_of):
    ts = [term(owner, alias_of) for _ in range(rng.randint(0, 6))]
    if rng.random() < 0.2:
        ts.append("redirect=" + rng.choice(DOMS))
    if rng.random() < 0.3:
        ts.append("exp=e." + rng.choice(DOMS))
    return "v=spf1 " + " ".join(ts)


def scenario(n):
    zone = {}

    def add(name, typ, val):
        zone.setdefault(name, []).append({typ: val})

    alias_of = rng.choice(DOMS)
    for d in DOMS:
        if rng.random() < 0.85:
            add(d, "TXT", record(d, alias_of))
        if rng.random() < 0.5:
            add(d, "A", rng.choice(IPS4))
        if rng.random() < 0.3:
            add(d, "AAAA", rng.choice(IPS6))
        if rng.random() < 0.4:
            add(d, "MX", [10, rng.choice(DOMS + ["mx.example"])])
        add("e." + d, "TXT", rng.choice(["denied %{i} for %{d} (%{l})", "see %{S}",
                                         "%{c} bad", "from %{p}"]))
    # an alias (CNAME) to one of the domains, and a name whose queries time out
    add("c.example", "CNAME", alias_of)
    zone["t.example"] = ["TIMEOUT"]
    add("mx.example", "A", rng.choice(IPS4))
    add("mx.d0.example", "A", "192.0.2.1")
    for ip in IPS4:
        if rng.random() < 0.5:
            add(".".join(reversed(ip.split("."))) + ".in-addr.arpa", "PTR", rng.choice(DOMS))
    add("1.2.0.192.x.example", "A", "127.0.0.2")
    add("bob.u.example", "A", "127.0.0.2")
    tests = {}
    for t in range(4):
        mf = rng.choice(["bob@", "alice@", ""])
        dom = rng.choice(DOMS)
        tests[f"s{n}t{t}"] = {"host": rng.choice(IPS4 + IPS6 + ["::ffff:192.0.2.1"]),
                              "mailfrom": (mf + dom) if mf else "", "helo": dom}
    return {"description": f"random scenario {n} (seed {seed})", "tests": tests,
            "zonedata": zone}


def evaluate(sc):
    zone = sc["zonedata"]

    def lookup(name, qtype, strict=True, timeout=None):
        name = name.lower().rstrip(".")
        out = []
        if "TIMEOUT" in zone.get(name, []):
            raise spf.TempError("DNS timeout (test zone)")
        for e in zone.get(name, []):
            if "CNAME" in e and qtype != "CNAME":
                # as a server answers: the alias, then the target's records
                return [((name, "CNAME"), e["CNAME"])] + lookup(e["CNAME"], qtype)
            for typ, v in e.items():
                if typ != qtype:
                    continue
                if typ == "TXT":
                    out.append(((name, typ), (v.encode(),)))
                elif typ == "MX":
                    out.append(((name, typ), (v[0], v[1])))
                else:
                    out.append(((name, typ), v))
        return out

    spf.DNSLookup = lookup
    for t in sc["tests"].values():
        q = spf.query(i=t["host"], s=t["mailfrom"], h=t["helo"])
        q.set_default_explanation("DEFAULT")
        try:
            res, _code, exp = q.check()
        except AssertionError as e:
            # with the lookup limit raised, an include loop reaches pyspf's
            # recursion guard (an assertion) instead of the limit: a
            # permerror, as inkan's INK_SPF_DEPTH_MAX gives
            if "recursion" not in str(e):
                raise
            res, exp = "permerror", None
        t["result"] = res
        if res == "fail":
            t["explanation"] = exp


for i in range(count):
    s = scenario(i)
    evaluate(s)
    sys.stdout.write("--- " + json.dumps(s) + "\n")
