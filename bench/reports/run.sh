#!/bin/bash
# run.sh - bench/reports: MB/s and records/s of the streaming aggregate
# report parser beside Python's ElementTree.iterparse and xmltodict
# (parsedmarc's parser), in one run over synthetic reports from 2 KB to
# 200 MB, with peak RSS.  Usage: bench/reports/run.sh [BUILD_DIR] [MAX_MB]
# [RUNS] (MAX_MB: the largest report, default 200; RUNS: each parser runs
# each report this many times, the least CPU time is kept, default 3).
# Times are CPU seconds (user + system) of the parse, not wall time: the
# machine is shared and wall time under load measures the other jobs.
# The load average is printed before and after.  Not a timed test.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
max=${2:-200}
runs=${3:-3}
bench=$build/bench/report_bench
[ -x "$bench" ] || { echo "run.sh: build $bench first (ninja -C $build)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# gen FILE RECORDS - a synthetic RFC 7489 report of RECORDS records
gen() {
    /usr/bin/python3 - "$1" "$2" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    f.write('<?xml version="1.0" encoding="UTF-8"?>\n<feedback><report_metadata>'
            '<org_name>bench.example</org_name><email>d@bench.example</email>'
            '<report_id>bench-%d</report_id><date_range><begin>1764547200</begin>'
            '<end>1764633599</end></date_range></report_metadata><policy_published>'
            '<domain>example.org</domain><adkim>r</adkim><aspf>r</aspf><p>none</p>'
            '<sp>none</sp><pct>100</pct></policy_published>\n' % n)
    rec = ('<record><row><source_ip>10.%d.%d.%d</source_ip><count>3</count><policy_evaluated>'
           '<disposition>none</disposition><dkim>pass</dkim><spf>fail</spf></policy_evaluated>'
           '</row><identifiers><header_from>example.org</header_from></identifiers><auth_results>'
           '<dkim><domain>example.org</domain><selector>s1</selector><result>pass</result></dkim>'
           '<spf><domain>bounce.example.net</domain><result>pass</result></spf></auth_results>'
           '</record>\n')
    for i in range(n):
        f.write(rec % ((i >> 16) & 255, (i >> 8) & 255, i & 255))
    f.write('</feedback>\n')
PY
}

# best PARSER FILE - run the parser RUNS times; print the run with the
# least CPU time, with the largest peak RSS of all the runs
best() {
    local i out
    for i in $(seq "$runs"); do
        if [ "$1" = inkan ]; then out=$("$bench" "$2")
        else out=$(/usr/bin/python3 "$here/peers.py" "$1" "$2"); fi
        echo "$out"
    done | sort -k3,3g | awk 'NR == 1 { l = $0 } { if ($5 > rss) rss = $5 } END { split(l, f, " "); print f[1], f[2], f[3], f[4], rss, f[6] }'
}

echo "load average before: $(cat /proc/loadavg)"
# records per report: 2 KB, 1.7 MB, 17 MB, 51 MB and MAX_MB (424 bytes a record)
last=$((max * 1000000 / 424 + 1))
: >"$tmp/results"
for n in 4 4000 40000 120000 "$last"; do
    f=$tmp/r$n.xml
    [ "$n" -gt "$last" ] && continue
    [ -e "$f" ] && continue
    gen "$f" "$n"
    for p in inkan iterparse xmltodict; do
        if [ $p = xmltodict ] && [ "$n" -gt 240000 ]; then
            continue # a DOM of the whole report (gigabytes): skipped past 100 MB
        fi
        echo "$p $(best $p "$f")" >>"$tmp/results"
    done
    rm -f "$f"
done
echo "load average after:  $(cat /proc/loadavg)"
echo "(CPU seconds, least of $runs runs; RSS the largest of them; wall seconds of the kept run)"
/usr/bin/python3 - "$tmp/results" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
print("%-10s %-10s %8s %9s %9s %10s %10s %9s" % ("BYTES", "PARSER", "RECORDS", "CPU-S",
      "MB/s", "REC/s", "RSS-KiB", "WALL-S"))
by = {}
for p, b, n, c, mbs, rss, w in rows:
    c = float(c)
    by[(b, p)] = float(mbs)
    print("%-10s %-10s %8s %9.4f %9s %10s %10s %9s" % (b, p, n, c, mbs,
          int(int(n) / c) if c > 0 else "-", rss, w))
print()
print("%-10s %16s %16s" % ("BYTES", "inkan/iterparse", "inkan/xmltodict"))
for b in dict.fromkeys(r[1] for r in rows):
    ink = by.get((b, "inkan"))
    it, xd = by.get((b, "iterparse")), by.get((b, "xmltodict"))
    f = lambda o: "%.1fx" % (ink / o) if ink and o else "-"
    print("%-10s %16s %16s" % (b, f(it), f(xd)))
rss = {p: [int(r[5]) for r in rows if r[0] == p] for p in ("inkan",)}
ink = [r for r in rows if r[0] == "inkan"]
if len(ink) >= 2:
    print()
    print("inkan peak RSS: %s KiB (%s bytes) vs %s KiB (%s bytes): +%d KiB" % (
        ink[-1][5], ink[-1][1], ink[0][5], ink[0][1], int(ink[-1][5]) - int(ink[0][5])))
PY
