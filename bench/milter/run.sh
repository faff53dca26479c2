#!/bin/bash
# run.sh - bench/milter: messages per second through a private Postfix on
# loopback with (a) no milter, (b) `inkan milter` doing the inbound
# evaluation, (c) Debian's OpenDKIM + OpenDMARC milters doing the same
# inbound work (DKIM verification, SPF, DMARC), in one run.
#
#   bench/milter/run.sh [BUILD_DIR] [--messages N] [--sessions S] [--runs R] [--size BYTES]
#
# One Postfix (tests/lib/postfix.sh) listens on three ports, one per
# configuration (master.cf -o smtpd_milters=...); smtp-source sends the
# same DKIM-signed message (RSA-2048, relaxed/relaxed, From bench.example:
# SPF ip4: of the sending host, DMARC p=reject) N times (default 2000) over S
# connections (default 10) to each port, R rounds (default 3) taken in
# turn, and the best round (least wall time) of each is kept.  Delivery is
# Postfix's discard transport, so what is measured is the SMTP path (smtpd,
# cleanup, the milters) and the queue manager behind it.
#
# DNS: every milter asks Knot (tests/lib/knot.sh) on 127.0.0.1:53 for
# the key, SPF, DMARC and PTR records.  OpenDMARC's SPF (libspf2) and the
# resolver library take no port, so the whole benchmark runs in a network
# and mount namespace of its own (unshare): a loopback interface nothing
# else uses, and /etc/resolv.conf bind-mounted to "nameserver 127.0.0.1"
# for the processes inside only.  Needs root (Postfix, unshare).
#
# Added cost per message of a milter = 1/rate_with - 1/rate_without (wall
# time); beside it the CPU time the milter processes (and Knot) used per
# message, read from /proc before and after, which the machine's other
# load moves less.  Before the timed rounds each configuration is shown to
# do the work: one message is delivered to a file and its
# Authentication-Results printed, and an unsigned spoof of the p=reject
# domain must get 550.  The load average is printed before and after.
# INKAN_MILTER_WRAP=CMD runs the inkan milter under CMD (a profiler:
# "valgrind --tool=callgrind --callgrind-out-file=DIR/cg.%p"), and
# PEER_MILTER_WRAP=CMD each of OpenDKIM and OpenDMARC.
# Not a timed test.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=build
MESSAGES=2000
SESSIONS=10
RUNS=3
SIZE=3000
while [ $# -gt 0 ]; do
    case $1 in
    --messages) MESSAGES=$2; shift 2 ;;
    --sessions) SESSIONS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --size) SIZE=$2; shift 2 ;;
    -*) echo "usage: run.sh [BUILD_DIR] [--messages N] [--sessions S] [--runs R] [--size BYTES]" >&2; exit 2 ;;
    *) build=$1; shift ;;
    esac
done
case $build in /*) ;; *) build=$src/$build ;; esac
INKAN=$build/inkan
export INKAN INKAN_SRC=$src

skip() {
    echo "bench/milter: skipped: $*"
    exit 0
}
[ -x "$INKAN" ] || { echo "run.sh: build $INKAN first (ninja -C $build)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || skip "needs root (a private Postfix, a network namespace)"
PATH=/usr/sbin:$PATH
for tool in postfix smtp-source opendkim opendmarc knotd unshare ip swaks; do
    command -v "$tool" >/dev/null || skip "$tool is missing (scripts/install-deps.sh)"
done

# Re-run inside a network and mount namespace of our own (see above).
if [ -z "${INKAN_BENCH_NETNS:-}" ]; then
    INKAN_BENCH_NETNS=1 exec unshare --net --mount --propagation private -- "$0" "$build" \
        --messages "$MESSAGES" --sessions "$SESSIONS" --runs "$RUNS" --size "$SIZE"
fi
# The sending host is 192.0.2.1 and the spoofer 192.0.2.25 (RFC 5737), on
# the namespace's loopback: not 127.0.0.1, which libspf2 (OpenDMARC's SPF)
# passes without asking ("localhost is always allowed").
BENCH_IP=192.0.2.1
SPOOF_IP=192.0.2.25
ip link set lo up && ip addr add $BENCH_IP/32 dev lo && ip addr add $SPOOF_IP/32 dev lo ||
    skip "cannot set up loopback in the namespace"

T=$(mktemp -d /tmp/inkan-bench-milter.XXXXXX)
chmod 755 "$T"
printf 'nameserver 127.0.0.1\noptions attempts:2 timeout:2\n' >"$T/resolv.conf"
mount --bind "$T/resolv.conf" /etc/resolv.conf || skip "cannot bind-mount resolv.conf"

. "$src/tests/lib/knot.sh"
. "$src/tests/lib/postfix.sh"

PIDS=()
cleanup() {
    local p
    postfix -c "$PF" stop >/dev/null 2>&1
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    knot_stop
    [ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT

# --- the sender domain, its records, the message ---
"$INKAN" dkim keygen --domain bench.example --selector s1 --type rsa --out "$T/k" >/dev/null ||
    { echo "run.sh: inkan dkim keygen failed" >&2; exit 1; }
{
    echo "@ 300 IN TXT \"v=spf1 ip4:$BENCH_IP -all\""
    echo '_dmarc 300 IN TXT "v=DMARC1; p=reject"'
    echo "mail 300 IN A $BENCH_IP"
    sed 's/^s1\._domainkey\.bench\.example\./s1._domainkey/' "$T/k/s1.bench.example.zone"
} >"$T/bench.example.zone"
echo "1 300 IN PTR mail.bench.example." >"$T/2.0.192.in-addr.arpa.zone"
KNOT_PORT_WANT=53 knot_start "$T" "$T/bench.example.zone" "$T/2.0.192.in-addr.arpa.zone" ||
    { echo "run.sh: Knot did not start on 127.0.0.1:53" >&2; exit 1; }
PIDS+=("$KNOT_PID")

# mkmsg - the message: headers a mail client writes, a text body to SIZE bytes
/usr/bin/python3 - "$SIZE" >"$T/plain.eml" <<'PY'
import sys
size = int(sys.argv[1])
head = ("From: Alice <alice@bench.example>\nTo: Bob <bob@example.net>\n"
        "Subject: the quarterly figures\nDate: Thu, 03 Dec 2026 10:00:00 +0000\n"
        "Message-ID: <bench-1@bench.example>\nMIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\n\n")
line = "The figures for the quarter are attached below, with the notes from the meeting.\n"
body = ""
while len(head) + len(body) < size:
    body += line
sys.stdout.write(head + body)
PY
"$INKAN" dkim sign --domain bench.example --selector s1 --key "$T/k/s1.bench.example.private" \
    <"$T/plain.eml" >"$T/signed.eml" || { echo "run.sh: inkan dkim sign failed" >&2; exit 1; }
# the spoof: same From, no signature, sent from SPOOF_IP (SPF fails)
cp "$T/plain.eml" "$T/spoof.eml"

# --- the milters ---
M_INKAN=8893
M_DKIM=8891
M_DMARC=8892
echo 198.51.100.1 >"$T/nobody-internal" # no client of the bench is internal or ignored
cat >"$T/opendkim.conf" <<C
Mode v
Socket inet:$M_DKIM@127.0.0.1
AuthservID mx.example.net
InternalHosts $T/nobody-internal
Nameservers 127.0.0.1
Syslog no
Background no
PidFile $T/opendkim.pid
UMask 022
C
cat >"$T/opendmarc.conf" <<C
Socket inet:$M_DMARC@127.0.0.1
AuthservID mx.example.net
TrustedAuthservIDs mx.example.net
IgnoreHosts $T/nobody-internal
RejectFailures true
SPFSelfValidate true
SPFIgnoreResults true
PublicSuffixList /usr/share/publicsuffix/public_suffix_list.dat
Syslog false
Background false
PidFile $T/opendmarc.pid
C
printf 'authserv-id: mx.example.net\nmode: enforce\n' >"$T/policy.yaml"
cat >"$T/milter.yaml" <<M
socket: inet:$M_INKAN@127.0.0.1
authserv-id: mx.example.net
policy: policy.yaml
dns:
  server: 127.0.0.1:53
  timeout: 5
internal-networks:
  - 198.51.100.1/32
M
${PEER_MILTER_WRAP:-} opendkim -f -x "$T/opendkim.conf" >"$T/opendkim.log" 2>&1 &
PIDS+=($!); PID_DKIM=$!
${PEER_MILTER_WRAP:-} opendmarc -f -c "$T/opendmarc.conf" >"$T/opendmarc.log" 2>&1 &
PIDS+=($!); PID_DMARC=$!
# INKAN_MILTER_WRAP: a command to run the milter under, for a profile, e.g.
# "valgrind --tool=callgrind --callgrind-out-file=/tmp/milter.cg"
${INKAN_MILTER_WRAP:-} "$INKAN" milter --config "$T/milter.yaml" -f >"$T/inkan-milter.log" 2>&1 &
PIDS+=($!); PID_INKAN=$!
for port in $M_DKIM $M_DMARC $M_INKAN; do
    pf_wait_listen "$port" || {
        echo "run.sh: no milter listens on 127.0.0.1:$port" >&2
        tail -n 5 "$T"/*.log >&2
        exit 1
    }
done

# --- Postfix: one smtpd port per configuration ---
P_NONE=2525
P_INKAN=2526
P_PEER=2527
PF_SPORT=2524
PF_MAIN_EXTRA="inet_interfaces = 127.0.0.1, $BENCH_IP
local_transport = discard:
transport_maps = inline:{ {check@example.net = sink:} }
in_flow_delay = 0
smtpd_milters ="
PF_MASTER_EXTRA="$BENCH_IP:$P_NONE inet n - n - - smtpd -o smtpd_milters=
$BENCH_IP:$P_INKAN inet n - n - - smtpd -o smtpd_milters=inet:127.0.0.1:$M_INKAN
$BENCH_IP:$P_PEER inet n - n - - smtpd -o { smtpd_milters = inet:127.0.0.1:$M_DKIM, inet:127.0.0.1:$M_DMARC }"
pf_setup "$T" 0
pf_start || { echo "run.sh: postfix did not start" >&2; tail -20 "$T/maillog" >&2; exit 1; }
for port in $P_NONE $P_INKAN $P_PEER; do
    /usr/bin/python3 -c "
import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection(('$BENCH_IP', $port), 0.2); sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)" || { echo "run.sh: smtpd does not listen on $port" >&2; exit 1; }
done

NAMES=(none inkan peer)
declare -A PORT=([none]=$P_NONE [inkan]=$P_INKAN [peer]=$P_PEER)
declare -A LABEL=([none]="no milter" [inkan]="inkan milter" [peer]="opendkim + opendmarc")

# cpu_ticks PID... - user + system clock ticks of the processes (all threads)
cpu_ticks() {
    local p t=0 f
    for p in "$@"; do
        f=$(cut -d' ' -f14,15 "/proc/$p/stat" 2>/dev/null) || continue
        t=$((t + ${f% *} + ${f#* }))
    done
    echo "$t"
}
# pids_of NAME - the milter processes of a configuration
pids_of() {
    case $1 in
    none) ;;
    inkan) echo "$PID_INKAN" $(pgrep -P "$PID_INKAN") ;;
    peer) echo "$PID_DKIM $PID_DMARC" ;;
    esac
}
# queue_drain - wait until Postfix's incoming and active queues are empty
queue_drain() {
    local _
    for _ in $(seq 600); do
        [ -z "$(find "$T/queue/incoming" "$T/queue/active" -type f 2>/dev/null | head -1)" ] && return 0
        sleep 0.1
    done
    return 1
}

# --- 1. each configuration does the work ---
echo "load average before: $(cat /proc/loadavg)"
fail=0
for n in "${NAMES[@]}"; do
    before=$(pf_delivered)
    smtp-source -s 1 -m 1 -F "$T/signed.eml" -f alice@bench.example -t check@example.net \
        -M mail.bench.example "$BENCH_IP:${PORT[$n]}" >"$T/check-$n.out" 2>&1
    if ! pf_wait_delivered $((before + 1)); then
        echo "check $n: the signed message was not delivered"; fail=1; continue
    fi
    f=$(ls -t "$PF_OUT"/* | head -1)
    ar=$(awk '/^$/ { exit } /^[ \t]/ { printf "%s", $0; next } { if (NR > 1) print ""; printf "%s", $0 } END { print "" }' "$f" |
        tr -d '\r' | grep -i '^Authentication-Results:')
    echo "check ${LABEL[$n]}: delivered with:"
    echo "${ar:-  (no Authentication-Results)}" | sed 's/^/    /'
    case $n in
    none) [ -z "$ar" ] || fail=1 ;;
    inkan) echo "$ar" | grep -q 'dkim=pass' && echo "$ar" | grep -q 'dmarc=pass' || fail=1 ;;
    peer) echo "$ar" | grep -q 'dkim=pass' && echo "$ar" | grep -q 'dmarc=pass' || fail=1 ;;
    esac
    if [ "$n" != none ]; then
        before=$(pf_delivered)
        swaks --server $BENCH_IP --port "${PORT[$n]}" --local-interface $SPOOF_IP \
            --helo mail.bench.example --from alice@bench.example --to check@example.net \
            --data "$T/spoof.eml" --timeout 30 >"$T/spoof-$n.swaks" 2>&1
        if grep -q '^<\*\* *550' "$T/spoof-$n.swaks"; then
            echo "check ${LABEL[$n]}: unsigned spoof from $SPOOF_IP: $(grep -m1 '^<\*\* *550' "$T/spoof-$n.swaks" | sed 's/^<\*\* *//')"
        else
            echo "check ${LABEL[$n]}: the unsigned spoof was NOT refused"; fail=1
            pf_wait_delivered $((before + 1)) && grep -i '^Authentication-Results:' "$(ls -t "$PF_OUT"/* | head -1)" | sed 's/^/    /'
        fi
    fi
done
if [ "$fail" != 0 ]; then
    echo "bench/milter: a configuration does not do the work it is measured for; not timed"
    tail -n 5 "$T/opendkim.log" "$T/opendmarc.log" "$T/inkan-milter.log"
    exit 1
fi
queue_drain

# --- 2. the timed rounds ---
declare -A BEST_WALL BEST_CPU BEST_KNOT
BEST_DKIM=0
for r in $(seq "$RUNS"); do
    for n in "${NAMES[@]}"; do
        pids=$(pids_of "$n")
        c0=$(cpu_ticks $pids)
        d0=$(cpu_ticks "$PID_DKIM")
        k0=$(cpu_ticks "$KNOT_PID")
        t0=$(date +%s.%N)
        smtp-source -s "$SESSIONS" -m "$MESSAGES" -F "$T/signed.eml" -f alice@bench.example \
            -t bob@example.net -M mail.bench.example "$BENCH_IP:${PORT[$n]}" >"$T/burst-$n.out" 2>&1
        rc=$?
        t1=$(date +%s.%N)
        c1=$(cpu_ticks $pids)
        d1=$(cpu_ticks "$PID_DKIM")
        k1=$(cpu_ticks "$KNOT_PID")
        if [ "$rc" != 0 ] || [ -s "$T/burst-$n.out" ]; then
            echo "round $r ${LABEL[$n]}: smtp-source status $rc:"; head -5 "$T/burst-$n.out"
            exit 1
        fi
        wall=$(echo "$t1 - $t0" | bc -l)
        echo "round $r $(printf '%-22s' "${LABEL[$n]}") $MESSAGES messages in $(printf '%.3f' "$wall") s, milter CPU $((c1 - c0)) ticks, Knot $((k1 - k0)) ticks"
        if [ -z "${BEST_WALL[$n]:-}" ] || [ "$(echo "$wall < ${BEST_WALL[$n]}" | bc -l)" = 1 ]; then
            BEST_WALL[$n]=$wall
        fi
        if [ -z "${BEST_CPU[$n]:-}" ] || [ $((c1 - c0)) -lt "${BEST_CPU[$n]}" ]; then
            BEST_CPU[$n]=$((c1 - c0))
            BEST_KNOT[$n]=$((k1 - k0))
            [ "$n" = peer ] && BEST_DKIM=$((d1 - d0))
        fi
        queue_drain
    done
done
echo "load average after:  $(cat /proc/loadavg)"
grep -c ' status=sent (' "$T/maillog" | sed 's/^/messages delivered (discarded) in all: /'

hz=$(getconf CLK_TCK)
/usr/bin/python3 - "$MESSAGES" "$SESSIONS" "$RUNS" "$hz" \
    "${BEST_WALL[none]}" "${BEST_WALL[inkan]}" "${BEST_WALL[peer]}" \
    "${BEST_CPU[inkan]}" "${BEST_CPU[peer]}" "${BEST_KNOT[inkan]}" "${BEST_KNOT[peer]}" "$BEST_DKIM" <<'PY'
import sys
n, s, r, hz = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
w_none, w_ink, w_peer = map(float, sys.argv[5:8])
c_ink, c_peer, k_ink, k_peer, c_dkim = map(int, sys.argv[8:13])
rate = lambda w: n / w
print()
print("%d messages over %s connections, best of %s rounds (wall); CPU from /proc (%d ticks/s)" % (n, s, r, hz))
print("| configuration | msgs/s | added wall ms/msg | milter CPU ms/msg | Knot CPU ms/msg |")
print("|---|---:|---:|---:|---:|")
print("| no milter | %.0f | - | - | - |" % rate(w_none))
add_ink = (w_ink - w_none) / n * 1000
add_peer = (w_peer - w_none) / n * 1000
print("| inkan milter | %.0f | %.3f | %.3f | %.3f |" % (rate(w_ink), add_ink, c_ink / hz / n * 1000, k_ink / hz / n * 1000))
print("| opendkim + opendmarc | %.0f | %.3f | %.3f | %.3f |" % (rate(w_peer), add_peer, c_peer / hz / n * 1000, k_peer / hz / n * 1000))
print()
ratio = add_ink / add_peer if add_peer > 0 else float("nan")
print("added cost inkan / (opendkim + opendmarc), wall: %.3f (target <= 0.200: %s)" % (ratio, "met" if ratio <= 0.2 else "missed"))
if c_peer:
    print("milter CPU inkan / (opendkim + opendmarc): %.3f (of theirs: opendkim %.3f, opendmarc %.3f ms/msg)" % (
        c_ink / c_peer, c_dkim / hz / n * 1000, (c_peer - c_dkim) / hz / n * 1000))
PY
