#!/bin/bash
# reports-huge.sh - `make soak`: report inputs too big for `make test`,
# each bounded in memory and time with a clear message:
#   a gzip of 10 GB of zeros (refused at its first bytes: not XML);
#   a gzip of a well-formed opening and 10 GB of blanks (the compression
#     ratio stops it long before the end);
#   a report of 1,000,000 records, 420 MB (refused past
#     INK_REPORT_RECORDS_MAX, 200,000, with nothing stored; plain XML: its
#     gzip, being synthetic, is refused by the compression ratio first);
#   a 205 MB report within the limit (imported; peak RSS within 4 MiB of a
#     one-record report's).
# Usage: INKAN=build/inkan INKAN_SRC=. bash tests/soak/reports-huge.sh
set -u
. "$INKAN_SRC/tests/cli/lib.sh"
T=$TMPDIR_TEST

# rss CMD... - peak resident KiB of CMD (stdout and stderr to $T/rss.out)
rss() { /usr/bin/python3 -c 'import resource,subprocess,sys
with open(sys.argv[1], "w") as out:
    subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.STDOUT)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$T/rss.out" "$@"; }
# gen RECORDS [PAD] - a report of RECORDS records on stdout, each with a
# reason comment of PAD bytes (default none)
gen() { /usr/bin/python3 - "$1" "${2:-0}" <<'PY'
import sys
n, pad = int(sys.argv[1]), int(sys.argv[2])
reason = ('<reason><type>other</type><comment>%s</comment></reason>' % ('x' * pad)) if pad else ''
w = sys.stdout.write
w('<?xml version="1.0"?><feedback><report_metadata><org_name>Huge</org_name>'
  '<report_id>huge-%d</report_id><date_range><begin>1764547200</begin>'
  '<end>1764633599</end></date_range></report_metadata><policy_published>'
  '<domain>huge.example</domain><p>none</p></policy_published>\n' % n)
rec = ('<record><row><source_ip>10.%d.%d.%d</source_ip><count>1</count><policy_evaluated>'
       '<disposition>none</disposition><dkim>pass</dkim><spf>fail</spf>' + reason +
       '</policy_evaluated></row><identifiers><header_from>huge.example</header_from></identifiers>'
       '<auth_results><dkim><domain>huge.example</domain><selector>s1</selector>'
       '<result>pass</result></dkim><spf><domain>bounce.example.net</domain>'
       '<result>pass</result></spf></auth_results></record>\n')
for i in range(n):
    w(rec % ((i >> 16) & 255, (i >> 8) & 255, i & 255))
w('</feedback>\n')
PY
}
elapsed() { echo $(( $(date +%s) - $1 )); }

# --- 10 GB of zeros, gzipped (about 10 MB) ---
head -c 10000000000 /dev/zero | gzip -1 >"$T/zeros.xml.gz"
start=$(date +%s)
kib=$(rss "$INKAN" report import --db "$T/z.db" "$T/zeros.xml.gz")
check "10 GB of zeros: refused as not XML ($(elapsed $start) s, ${kib} KiB)" grep -q 'zeros.xml.gz: refused: invalid XML at line 1' "$T/rss.out"
check "10 GB of zeros: under 10 s and 64 MiB" test "$(elapsed $start)" -lt 10 -a "$kib" -lt 65536
rm -f "$T/zeros.xml.gz"

# --- a report opening and 10 GB of blanks, gzipped ---
{ printf '<?xml version="1.0"?><feedback>'; head -c 10000000000 /dev/zero | tr '\0' ' '; } | gzip -1 >"$T/blanks.xml.gz"
start=$(date +%s)
kib=$(rss "$INKAN" report import --db "$T/b.db" "$T/blanks.xml.gz")
check "10 GB of blanks: the compression ratio refuses it ($(elapsed $start) s, ${kib} KiB)" grep -q 'blanks.xml.gz: refused: compression ratio over' "$T/rss.out"
check "10 GB of blanks: under 30 s and 64 MiB" test "$(elapsed $start)" -lt 30 -a "$kib" -lt 65536
rm -f "$T/blanks.xml.gz"

# --- 1,000,000 records: over the records limit, nothing stored ---
gen 1000000 >"$T/million.xml"
start=$(date +%s)
kib=$(rss "$INKAN" report import --db "$T/m.db" "$T/million.xml")
check "1,000,000 records: refused past the limit ($(elapsed $start) s, ${kib} KiB)" grep -q 'million.xml: refused: more than 200000 records in one report' "$T/rss.out"
check "1,000,000 records: nothing stored" test "$("$INKAN" report summary --no-dns --db "$T/m.db")" = "no reports stored"
check "1,000,000 records: under 64 MiB" test "$kib" -lt 65536
rm -f "$T/million.xml"

# --- a 200 MB report within the limit: streamed, constant memory ---
gen 190000 600 >"$T/big.xml"
gen 1 >"$T/one.xml"
mb=$(( $(stat -c %s "$T/big.xml") / 1000000 ))
one=$(rss "$INKAN" report import --db "$T/one.db" "$T/one.xml")
start=$(date +%s)
big=$(rss "$INKAN" report import --db "$T/big.db" "$T/big.xml")
check "${mb} MB report: imported ($(elapsed $start) s)" grep -q 'big.xml: imported: huge.example report huge-190000' "$T/rss.out"
check "${mb} MB report: peak RSS ${big} KiB within 4 MiB of a one-record report's ${one} KiB" test $((big - one)) -lt 4096
finish
