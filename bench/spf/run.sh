#!/bin/bash
# run.sh BUILD [--repeat R] [--skip-dns] - the SPF benchmark (bench/spf/):
# generate the data (gen.py: 1,000 sender domains, 10,000 queries), start
# Knot on 127.0.0.1 at a free port with it, and run run.py, which times
# inkan, pyspf and libspf2 in memory and through Knot and prints the table.
# Not a test: it prints numbers, it does not pass or fail on them.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
shift || true
data=$build/bench-spf
mkdir -p "$data" "$data/knot"
/usr/bin/python3 "$here/gen.py" "$data" >/dev/null
ninja -C "$build" bench/inkan_spf_bench >/dev/null
ninja -C "$build" bench/libspf2_bench bench/libresolv_shim.so >/dev/null 2>&1 || true
. "$root/tests/lib/knot.sh"
if [[ " $* " != *" --skip-dns "* ]]; then
    knot_start "$data/knot" ".=$data/bench.zone"
fi
/usr/bin/python3 "$here/run.py" "$build" "$data" "$@"
knot_stop
