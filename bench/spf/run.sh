#!/bin/bash
# run.sh BUILD [--repeat R] [--skip-dns] - the SPF benchmark (bench/spf/):
# generate the data (gen.py: 1,000 sender domains, 10,000 queries; and
# gen_cold.py: the cold workload, 10,000 distinct senders whose 50,000
# questions are each asked once), start Knot on 127.0.0.1 at a free port
# with both, and run run.py, which times inkan, pyspf and libspf2 in
# memory and through Knot, and dnsperf against the same Knot as the
# ceiling, and prints the tables.
# Not a test: it prints numbers, it does not pass or fail on them.  Its
# exit status says whether the benchmark ran (0) or could not (non-zero).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
shift || true
data=$build/bench-spf
mkdir -p "$data" "$data/knot"
/usr/bin/python3 "$here/gen.py" "$data" >/dev/null
/usr/bin/python3 "$here/gen_cold.py" "$data" --domains 10000 >/dev/null
ninja -C "$build" bench/inkan_spf_bench >/dev/null
ninja -C "$build" bench/libspf2_bench bench/libresolv_shim.so >/dev/null 2>&1 || true
. "$root/tests/lib/knot.sh"
if [[ " $* " != *" --skip-dns "* ]]; then
    knot_start "$data/knot" ".=$data/bench.zone" "cold.example=$data/cold.zone" >/dev/null
fi
status=0
/usr/bin/python3 "$here/run.py" "$build" "$data" "$@" || status=$?
# knot_stop's own status (the server's exit on SIGTERM) is not ours
knot_stop || true
exit $status
