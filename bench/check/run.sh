#!/bin/bash
# run.sh BUILD [--domains N] [--concurrency "C1 C2 ..."] - the `inkan check`
# benchmark (bench/check/): generate N sender domains (gen.py, default
# 10,000) into a root zone, serve it with Knot on 127.0.0.1 at a free port
# (tests/lib/knot.sh), and time `inkan check --file DOMAINS --json` through
# Knot (--dns, libunbound, many audits in flight) at each concurrency, and
# in memory (--zone) for reference.  Peak memory is measured for 1,000 and
# for N domains to show it does not grow with the number of domains.
# Prints a table; not a test: it does not pass or fail on the numbers.
# Its exit status says whether the benchmark ran (0) or could not.
# No peer is run: no Debian package audits a whole sending domain.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
shift || true
domains=10000
conc="50 200 1000"
while [ $# -gt 0 ]; do
    case $1 in
    --domains) domains=$2; shift 2 ;;
    --concurrency) conc=$2; shift 2 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
data=$build/bench-check
mkdir -p "$data/knot"
# bench.zone holds the domains of the last generation only: regenerate
# when it was made for another N
if [ ! -s "$data/domains-$domains.txt" ] || [ "$(cat "$data/zone-domains" 2>/dev/null)" != "$domains" ]; then
    /usr/bin/python3 "$here/gen.py" "$data" --domains "$domains" >/dev/null
    echo "$domains" >"$data/zone-domains"
fi
ninja -C "$build" inkan >/dev/null
inkan=$build/inkan
. "$root/tests/lib/knot.sh"
knot_start "$data/knot" ".=$data/bench.zone" >/dev/null
common=(--json --selector s1 --no-progress)

# measure LABEL DOMAINS-FILE CONCURRENCY SOURCE-ARGS... - one row
measure() {
    local label=$1 file=$2 c=$3; shift 3
    local n t
    n=$(wc -l <"$file")
    local st=0
    /usr/bin/time -f "%e %U %S %M" -o "$data/time" "$inkan" check "$@" --file "$file" \
        --concurrency "$c" "${common[@]}" >"$data/out.jsonl" 2>"$data/err" || st=$?
    # 0, 3 and 4 say what was found; 1 and 2 (or a signal) mean it did not run
    if [ "$st" != 0 ] && [ "$st" != 3 ] && [ "$st" != 4 ]; then
        echo "run.sh: inkan check $* exited $st:" >&2
        tail -5 "$data/err" >&2
        return 1
    fi
    read -r wall user sys rss < <(tail -n 1 "$data/time")
    t=$(grep -c temperror "$data/out.jsonl" || true)
    printf "| %-14s | %7d | %5d | %7.2f | %9.0f | %8.1f | %7.2f | %9d |\n" "$label" "$n" "$c" \
        "$wall" "$(echo "$n / $wall" | bc -l)" "$(echo "$rss / 1024" | bc -l)" \
        "$(echo "$user + $sys" | bc -l)" "$t"
}

echo "inkan check: $domains domains, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| source         | domains | conc. | wall s  | domains/s | peak MB  | CPU s   | temperror |"
echo "|----------------|--------:|------:|--------:|----------:|---------:|--------:|----------:|"
for c in $conc; do
    measure "Knot (--dns)" "$data/domains-$domains.txt" "$c" --dns "127.0.0.1:$KNOT_PORT"
done
measure "Knot (--dns)" "$data/domains-1000.txt" 200 --dns "127.0.0.1:$KNOT_PORT"
measure "zone (--zone)" "$data/domains-$domains.txt" 200 --zone "$data/bench.zone"
measure "zone (--zone)" "$data/domains-1000.txt" 200 --zone "$data/bench.zone"
# knot_stop's own status (the server's exit on SIGTERM) is not ours
knot_stop || true
exit 0
