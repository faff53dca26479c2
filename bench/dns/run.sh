#!/bin/bash
# run.sh BUILD [--domains N] - the DNS transport benchmark (bench/dns/):
# the resolver backends alone, no SPF or audit, against Knot on 127.0.0.1
# at a free port serving the cold workload's zone (bench/spf/gen_cold.py:
# N senders, 5 distinct questions each).  Side by side in one run:
#   dnsperf -q 64 over the same questions (the server's ceiling);
#   build/bench/resolver_bench for the c-ares stub, libunbound's async
#   mode (worker thread + pipe), and libunbound's event API (libevent,
#   same thread), each at 64 and 256 queries in flight.
# Prints a table with the load average; not a test.  Its exit status says
# whether the benchmark ran (0) or could not.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
shift || true
domains=20000
while [ $# -gt 0 ]; do
    case $1 in
    --domains) domains=$2; shift 2 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
data=$build/bench-dns
mkdir -p "$data/knot"
/usr/bin/python3 "$root/bench/spf/gen_cold.py" "$data" --domains "$domains" >/dev/null
ninja -C "$build" bench/resolver_bench >/dev/null
. "$root/tests/lib/knot.sh"
knot_start "$data/knot" "cold.example=$data/cold.zone" >/dev/null
server=127.0.0.1:$KNOT_PORT
questions=$data/cold-dnsperf.txt
n=$(wc -l <"$questions")

echo "DNS transports: $n distinct questions to Knot (1 UDP worker) on $server, $(nproc) cores,"
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"
echo
echo "| transport | in flight | queries | failed | wall s | CPU s | queries/s (wall) | % of ceiling | us CPU per query |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
out=$(dnsperf -s 127.0.0.1 -p "$KNOT_PORT" -d "$questions" -q 64 -n 1 2>&1)
ceiling=$(echo "$out" | awk '/Queries per second/ {print $4}')
lost=$(echo "$out" | awk '/Queries lost/ {print $3}')
if [ -z "$ceiling" ]; then
    echo "run.sh: dnsperf failed: $out" >&2
    exit 1
fi
printf "| dnsperf (ceiling) | 64 | %d | %s | | | %.0f | 100%% | |\n" "$n" "$lost" "$ceiling"
for b in cares unbound unbound-event; do
    for inflight in 64 256; do
        line=$("$build/bench/resolver_bench" "$b" "$server" "$questions" "$inflight")
        # "BACKEND queries N answered N failed N wall S cpu S"
        set -- $line
        printf "| %s | %d | %d | %d | %.3f | %.3f | %.0f | %.0f%% | %.1f |\n" "$b" "$inflight" \
            "$3" "$7" "$9" "${11}" "$(echo "$3 / $9" | bc -l)" \
            "$(echo "100 * $3 / $9 / $ceiling" | bc -l)" "$(echo "1000000 * ${11} / $3" | bc -l)"
    done
done
echo
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
# knot_stop's own status (the server's exit on SIGTERM) is not ours
knot_stop || true
exit 0
