#!/bin/bash
# run.sh - bench/reports: MB/s and records/s of the streaming aggregate
# report parser beside Python's ElementTree.iterparse and xmltodict
# (parsedmarc's parser), in one run over synthetic reports from 2 KB to
# 200 MB, with peak RSS.  Usage: bench/reports/run.sh [BUILD_DIR] [MAX_MB]
# (MAX_MB caps the largest report, default 200).  Not a timed test.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
max=${2:-200}
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

printf '%-10s %-10s %9s %10s %9s %10s %12s\n' SIZE PARSER RECORDS SECONDS MB/s REC/s RSS-KiB
for n in 4 4000 40000 400000 $((max * 2000)); do
    f=$tmp/r$n.xml
    gen "$f" "$n"
    mb=$(( $(stat -c %s "$f") / 1000000 ))
    [ "$mb" -gt "$max" ] && continue
    for p in inkan iterparse xmltodict; do
        if [ $p = inkan ]; then out=$("$bench" "$f")
        elif [ $p = xmltodict ] && [ "$n" -gt 400000 ]; then
            out="- - - - -"   # a DOM of the whole report: skipped past 100 MB
        else out=$(/usr/bin/python3 "$here/peers.py" $p "$f"); fi
        set -- $out
        rps=-
        [ "$3" != - ] && rps=$(/usr/bin/python3 -c "print(int($2/$3) if $3 > 0 else 0)")
        printf '%-10s %-10s %9s %10s %9s %10s %12s\n' "$(stat -c %s "$f")" $p "$2" "$3" "$4" "$rps" "$5"
    done
    rm -f "$f"
done
