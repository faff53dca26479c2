#!/bin/bash
# run.sh BUILD [--messages N] [--repeat R] - the `inkan verify` benchmark
# (bench/verify/): the whole inbound evaluation (SPF of MAIL FROM and
# HELO, every DKIM signature, DMARC, iprev, HELO and RFC 5322 checks, ARC,
# the local policy) in messages per second per core, beside postalsys
# mailauth's authenticate() (npm `mailauth`: SPF, DKIM, DMARC, ARC; run by
# peer.js) on the same messages, envelopes and zone:
#   warm  inkan verify --zone (answers from memory) / mailauth answered by
#         a resolver function from the same records (gen.py's zone.json);
#   Knot  both through Knot on 127.0.0.1 at a free port (tests/lib/knot.sh):
#         inkan --dns (its driver keeps answers for their TTL), mailauth
#         through Node's resolver (it keeps no cache: every question goes
#         out), and mailauth with the answers kept for the run, as inkan.
# gen.py makes the corpus (N messages, default 500, DKIM-signed by
# `inkan dkim sign`); each tool evaluates it R times (default 20) in one
# process, so start-up weighs little.  Rates are per CPU second (user +
# system of the process doing the work), the way bench/dkim counts: the
# machine is shared, wall-clock would measure the other processes.  The
# DKIM line: bench/dkim's driver (dkim_bench verify, the bench/dkim verify
# rate) over the same messages, against the whole evaluation's rate.
# Both tools' DMARC results are compared message by message; every
# disagreement is printed.  Not a test: it does not pass or fail on the
# numbers; its exit status says whether the benchmark ran (0) or not.
# NODE names the node binary (default: node on PATH).
# The peer is installed from package-lock.json with npm (the only network
# use, and only here, only when node_modules/ is missing).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
shift || true
messages=500
repeat=20
while [ $# -gt 0 ]; do
    case $1 in
    --messages) messages=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
# the peer: without node (or when npm cannot install it) inkan's rows
# still run and the peer's say why they are missing
peer=yes
node=${NODE:-node}
if ! command -v "$node" >/dev/null; then
    peer="no node (Debian nodejs)"
elif [ ! -d "$here/node_modules/mailauth" ]; then
    (cd "$here" && npm ci --no-audit --no-fund >/dev/null) || peer="npm ci in $here failed"
fi
ninja -C "$build" inkan bench/dkim_bench >/dev/null
inkan=$build/inkan
data=$build/bench-verify
mkdir -p "$data/knot"
if [ ! -s "$data/batch.txt" ] || [ "$(cat "$data/messages" 2>/dev/null)" != "$messages" ]; then
    rm -rf "$data/msgs"
    /usr/bin/python3 "$here/gen.py" "$data" --inkan "$inkan" --messages "$messages"
    echo "$messages" >"$data/messages"
fi
: >"$data/batch-all.txt"
for _ in $(seq "$repeat"); do cat "$data/batch.txt" >>"$data/batch-all.txt"; done
cut -d' ' -f1 "$data/batch.txt" >"$data/list.txt"
total=$((messages * repeat))
. "$root/tests/lib/knot.sh"
knot_start "$data/knot" ".=$data/bench.zone" >/dev/null

# rate N SECONDS - messages per CPU second
rate() { echo "$1 / $2" | bc -l; }
# row LABEL N CPU-SECONDS WALL - one table row
row() {
    printf "| %-34s | %6d | %7.2f | %7.2f | %10.0f |\n" "$1" "$2" "$3" "$4" "$(rate "$2" "$3")"
}
# inkan_run LABEL OUT SOURCE-ARGS... - time inkan verify --batch; sets CPU
inkan_run() {
    local label=$1 out=$2; shift 2
    local wall user sys st=0
    /usr/bin/time -f "%e %U %S" -o "$data/time" "$inkan" verify "$@" \
        --batch "$data/batch-all.txt" >"$out" 2>"$data/err" || st=$?
    if [ "$st" != 0 ]; then
        echo "run.sh: inkan verify $* exited $st:" >&2
        tail -5 "$data/err" >&2
        return 1
    fi
    read -r wall user sys < <(tail -n 1 "$data/time")
    CPU=$(echo "$user + $sys" | bc -l)
    row "$label" "$total" "$CPU" "$wall"
}
# peer_run LABEL OUT PEER-ARGS... - mailauth through peer.js; sets CPU
peer_run() {
    local label=$1 out=$2 mode=$3 src=$4; shift 4
    local line n s w
    if [ "$peer" != yes ]; then
        printf "| %-34s | not run: %s\n" "$label" "$peer"
        CPU=
        return 0
    fi
    line=$(cd "$here" && "$node" peer.js "$mode" "$src" "$data/batch.txt" "$repeat" "$out" "$@") || {
        echo "run.sh: peer.js $mode failed" >&2
        return 1
    }
    read -r _ n _ s _ w <<<"$line"
    CPU=$s
    row "$label" "$n" "$s" "$w"
}
# agree A B LABEL - compare DMARC results by file (first pass only; both
# files give {file, dmarc} or inkan's {file, dmarc: {result}})
agree() {
    local a=$1 b=$2 label=$3
    jq -r '"\(.file) \(if (.dmarc|type) == "object" then .dmarc.result else .dmarc end)"' "$a" |
        sort -u >"$data/agree.a"
    jq -r '"\(.file) \(if (.dmarc|type) == "object" then .dmarc.result else .dmarc end)"' "$b" |
        sort -u >"$data/agree.b"
    local d
    d=$(join "$data/agree.a" "$data/agree.b" | awk '$2 != $3')
    if [ -z "$d" ]; then
        echo "$label: DMARC results agree on all $(wc -l <"$data/agree.a") messages"
    else
        echo "$label: DMARC results differ on $(echo "$d" | wc -l) messages (file, first, second):"
        echo "$d" | sed 's/^/  /' | head -5
        [ "$(echo "$d" | wc -l)" -le 5 ] || echo "  ..."
        # why the first side (inkan, when it is one) decided as it did
        local f
        f=$(echo "$d" | head -1 | cut -d' ' -f1)
        jq -r --arg f "$f" 'select(.file == $f) | .dmarc | objects |
            "  first side on \($f | sub(".*/"; "")): \(.reason)"' "$a" | head -1
    fi
}

if [ "$peer" = yes ]; then
    echo "inkan verify vs mailauth $(jq -r .version "$here/node_modules/mailauth/package.json")" \
        "(node $("$node" --version)): $messages messages x $repeat, $(nproc) cores"
else
    echo "inkan verify (mailauth not run: $peer): $messages messages x $repeat, $(nproc) cores"
fi
echo "uptime before: $(uptime)"
echo
echo "| tool, DNS                          | msgs   | CPU s   | wall s  | msgs/s/core |"
echo "|------------------------------------|-------:|--------:|--------:|-----------:|"
inkan_run "inkan verify, warm (--zone)" "$data/inkan-zone.jsonl" --zone "$data/bench.zone"
iz=$CPU
peer_run "mailauth, warm (zone.json)" "$data/peer-zone.jsonl" zone "$data/zone.json"
pz=$CPU
inkan_run "inkan verify, Knot (--dns)" "$data/inkan-knot.jsonl" --dns "127.0.0.1:$KNOT_PORT"
ik=$CPU
peer_run "mailauth, Knot (no cache)" "$data/peer-knot.jsonl" dns "127.0.0.1:$KNOT_PORT"
peer_run "mailauth, Knot (answers kept)" "$data/peer-knotc.jsonl" dns "127.0.0.1:$KNOT_PORT" cache
pkc=$CPU
# bench/dkim's verify driver over the same messages: the DKIM work alone
line=$("$build/bench/dkim_bench" verify --zone "$data/bench.zone" --list "$data/list.txt" \
    --repeat "$repeat")
read -r _ dn _ _ _ ds _ dpass <<<"$line"
printf "| %-34s | %6d | %7.2f | %7s | %10.0f |\n" "dkim_bench verify (DKIM alone)" "$dn" "$ds" "-" \
    "$(rate "$dn" "$ds")"
knot_stop || true
# the DKIM part inside the whole evaluation, in instructions (callgrind:
# the load of the shared machine does not change them): the inclusive
# count of the DKIM verifier's entry points per message, in inkan verify
# against dkim_bench (bench/dkim's driver) over the same messages, once
dkimpart=
if command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null; then
    # dkim_ir FILE - the summed inclusive Ir of ink_dkim_verify_{new,push,
    # feed,next,end,free}, the calls each message makes into the verifier
    dkim_ir() {
        callgrind_annotate --inclusive=yes --threshold=100 "$1" 2>/dev/null | awk '
            !/=>/ && /dkim_verify\.c:ink_dkim_verify_(new|push|feed|next|end|free) \[/ {
                gsub(",", "", $1); s += $1 } END { print s + 0 }'
    }
    (cd "$data" && valgrind --tool=callgrind --callgrind-out-file="$data/cg.verify" \
        "$inkan" verify --zone bench.zone --batch batch.txt >/dev/null 2>&1 &&
     valgrind --tool=callgrind --callgrind-out-file="$data/cg.dkim" \
        "$build/bench/dkim_bench" verify --zone bench.zone --list list.txt >/dev/null 2>&1) &&
        {
            # dkim_bench does its first message once more, untimed
            v=$(echo "$(dkim_ir "$data/cg.verify") / $messages" | bc -l)
            b=$(echo "$(dkim_ir "$data/cg.dkim") / ($messages + 1)" | bc -l)
            dkimpart=$(printf "DKIM part: %.0f instructions a message in inkan verify, %.0f in dkim_bench: the DKIM part runs at %.0f%% of bench/dkim's verify rate (target >= 80%%)" \
                "$v" "$b" "$(echo "100 * $b / $v" | bc -l)")
        }
fi
echo
if [ -n "$pz" ] && [ -n "$pkc" ]; then
    printf "ratio inkan / mailauth per core: warm %.1fx (target >= 20x), Knot %.1fx (both keeping answers)\n" \
        "$(echo "$pz / $iz" | bc -l)" "$(echo "$pkc / $ik" | bc -l)"
fi
printf "whole evaluation against DKIM alone (dkim_bench), CPU time: %.0f%% (%d of %d signatures pass; the whole, not the DKIM part)\n" \
    "$(echo "100 * ($total / $iz) / ($dn / $ds)" | bc -l)" "$((dpass / repeat))" "$messages"
echo "${dkimpart:-DKIM part: not measured (no valgrind)}"
if [ "$peer" = yes ]; then
    agree "$data/inkan-zone.jsonl" "$data/peer-zone.jsonl" "inkan vs mailauth, warm"
    agree "$data/inkan-knot.jsonl" "$data/peer-knot.jsonl" "inkan vs mailauth, Knot"
fi
agree "$data/inkan-zone.jsonl" "$data/inkan-knot.jsonl" "inkan --zone vs --dns"
echo "uptime after: $(uptime)"
exit 0
