# knot.sh - run a real authoritative DNS server (Knot, Debian package
# `knot`) on 127.0.0.1 at a free port for the duration of a test.
# Source it from a bash test script:
#
#   . "$INKAN_SRC/tests/lib/knot.sh"
#   knot_start "$dir" example.com.zone other.org=/path/to/other.zone || exit 1
#   kdig -p "$KNOT_PORT" @127.0.0.1 example.com TXT
#   ... edit a zone file ...
#   knot_reload            # the server now answers from the edited files
#   knot_stop              # also run automatically when the script exits
#
# knot_start DIR ZONE...  each ZONE is FILE (origin = file name without
#     ".zone", e.g. example.com.zone) or ORIGIN=FILE.  Writes the config,
#     run and storage directories under DIR (which must exist), starts
#     knotd in the foreground of a background job, waits until every zone
#     answers its SOA, and exports KNOT_PORT, KNOT_PID, KNOT_DIR, KNOT_CONF.
#     A zone file without an SOA record gets one (and an NS) added in the
#     served copy, so test zones can stay minimal; serving a copy also lets
#     knot_reload force a fresh load whatever the SOA serial says.
#     Returns non-zero (after printing knotd's log) if it cannot start.
#     Zones whose origin is listed in KNOT_SIGNED_ZONES (space-separated)
#     are DNSSEC-signed by Knot (default policy, keys made on the fly);
#     knot_dnskey ORIGIN prints a zone's DNSKEY records for a trust anchor.
# knot_reload  re-copy every zone file and make Knot load them again.
# knot_stop    kill the server by its PID and wait for it.
#
# KNOT_ADDR (default 127.0.0.1) is the loopback address to listen on and
# ask; KNOT_PORT_WANT, when set, is the port to use instead of a free one
# (one attempt).  Together they let a test run a second server for the
# same zone at 127.0.0.2 on the same port (a domain with two name
# servers, one lagging behind: tests/cli/dkim-rotate-knot.sh); this file
# manages one server at a time, so such a test saves the first one's
# KNOT_PID/KNOT_DIR/KNOT_CONF and clears KNOT_PID before starting the
# second.
#
# Needs: /usr/sbin/knotd, knotc, kdig (knot, knot-dnsutils), python3.
# Nothing here needs root or systemd, and nothing listens off loopback.

# Seconds to wait for knotd to answer after starting or reloading.
KNOT_WAIT_SECONDS=${KNOT_WAIT_SECONDS:-15}
# Attempts at starting on a fresh free port (another process may grab the
# port between our probe and knotd's bind).  Two servers never share a
# port: knotd binds TCP without SO_REUSEPORT (tcp-reuseport is off), so the
# second one exits "address already in use" and is started again; that is
# what lets the Knot-backed tests run in parallel.
KNOT_START_ATTEMPTS=3

KNOTD=${KNOTD:-/usr/sbin/knotd}
KNOTC=${KNOTC:-/usr/sbin/knotc}
KDIG=${KDIG:-kdig}

KNOT_PID=
KNOT_ADDR=${KNOT_ADDR:-127.0.0.1}
KNOT_PORT=
KNOT_DIR=
KNOT_CONF=
_knot_zones=()      # "origin<TAB>source file" per zone
_knot_trap_set=

# knot_free_port - print a port that is free for both UDP and TCP on 127.0.0.1
knot_free_port() {
    /usr/bin/python3 - <<'EOF'
import socket
for _ in range(50):
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.bind(("127.0.0.1", 0))
    port = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", port))
    except OSError:
        t.close()
        continue
    u.close()
    t.close()
    print(port)
    break
else:
    raise SystemExit("no free port found")
EOF
}

# _knot_prepare_zone ORIGIN SRC DEST - copy SRC to DEST, with an SOA and NS
# prepended when SRC has no SOA record
_knot_prepare_zone() {
    local origin=$1 src=$2 dest=$3
    if [ ! -r "$src" ]; then
        echo "knot.sh: cannot read zone file $src" >&2
        return 1
    fi
    {
        if ! grep -qiE '^[^;"]*[[:space:]]SOA[[:space:]]' "$src"; then
            # The serial is the time, so each reload carries a new one too.
            printf '$ORIGIN %s.\n$TTL 300\n' "${origin%.}"
            printf '@ 300 IN SOA ns.invalid. hostmaster.invalid. %s 3600 600 86400 60\n' \
                "$(date +%s)"
            printf '@ 300 IN NS ns.invalid.\n'
        fi
        cat "$src"
        echo
    } >"$dest"
}

# _knot_write_conf - the knotd configuration for the current zones
_knot_write_conf() {
    local z origin
    {
        echo "server:"
        echo "    rundir: \"$KNOT_DIR/run\""
        echo "    listen: ${KNOT_ADDR:-127.0.0.1}@$KNOT_PORT"
        echo "    background-workers: 1"
        echo "    udp-workers: 1"
        echo "    tcp-workers: 1"
        echo "database:"
        echo "    storage: \"$KNOT_DIR/db\""
        echo "control:"
        echo "    listen: \"$KNOT_DIR/run/knot.sock\""
        echo "log:"
        echo "  - target: stderr"
        echo "    any: info"
        echo "template:"
        echo "  - id: default"
        echo "    storage: \"$KNOT_DIR/zones\""
        # Load the whole file every time; keep no journal, write nothing back.
        echo "    zonefile-load: whole"
        echo "    journal-content: none"
        echo "    zonefile-sync: -1"
        echo "    semantic-checks: off"
        echo "zone:"
        for z in "${_knot_zones[@]}"; do
            origin=${z%%$'\t'*}
            echo "  - domain: \"$origin.\""
            echo "    file: \"$KNOT_DIR/zones/$origin.zone\""
            case " ${KNOT_SIGNED_ZONES:-} " in
            *" $origin "*) echo "    dnssec-signing: on" ;;
            esac
        done
    } >"$KNOT_CONF"
}

# _knot_wait_soa ORIGIN [SERIAL] - wait until Knot answers ORIGIN's SOA
# (with a serial other than SERIAL when given); 0 or 1 on timeout
_knot_wait_soa() {
    local origin=$1 old=${2:-} deadline out serial
    deadline=$(($(date +%s) + KNOT_WAIT_SECONDS))
    while [ "$(date +%s)" -le "$deadline" ]; do
        if [ -n "$KNOT_PID" ] && ! kill -0 "$KNOT_PID" 2>/dev/null; then
            return 1
        fi
        out=$("$KDIG" -p "$KNOT_PORT" @"${KNOT_ADDR:-127.0.0.1}" +time=1 +retry=0 +short "$origin." SOA 2>/dev/null) ||
            out=
        # an SOA's third field is the serial: digits only
        serial=$(echo "$out" | awk 'NF == 7 && $3 ~ /^[0-9]+$/ {print $3; exit}')
        if [ -n "$serial" ] && { [ -z "$old" ] || [ "$serial" != "$old" ]; }; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# knot_start DIR ZONE... - start knotd serving the zones (see above)
knot_start() {
    local dir=$1 arg origin file attempt z ok
    shift
    if [ ! -x "$KNOTD" ]; then
        echo "knot.sh: $KNOTD not found (apt-get install knot)" >&2
        return 1
    fi
    if [ -n "$KNOT_PID" ]; then
        echo "knot.sh: a server is already running (pid $KNOT_PID)" >&2
        return 1
    fi
    KNOT_DIR=$(cd "$dir" && pwd) || return 1
    KNOT_CONF=$KNOT_DIR/knot.conf
    mkdir -p "$KNOT_DIR/run" "$KNOT_DIR/db" "$KNOT_DIR/zones"
    _knot_zones=()
    for arg in "$@"; do
        if [[ $arg == *=* ]]; then
            origin=${arg%%=*}
            file=${arg#*=}
        else
            file=$arg
            origin=$(basename "$file")
            origin=${origin%.zone}
        fi
        origin=${origin%.}
        file=$(cd "$(dirname "$file")" && pwd)/$(basename "$file")
        _knot_zones+=("$origin"$'\t'"$file")
        _knot_prepare_zone "$origin" "$file" "$KNOT_DIR/zones/$origin.zone" || return 1
    done
    if [ -z "$_knot_trap_set" ]; then
        # Run knot_stop at exit, before whatever EXIT trap the script had.
        local prev
        eval "set -- $(trap -p EXIT)"
        prev=${3:-}
        # shellcheck disable=SC2064
        trap "knot_stop; $prev" EXIT
        _knot_trap_set=1
    fi
    local attempts=$KNOT_START_ATTEMPTS
    [ -n "${KNOT_PORT_WANT:-}" ] && attempts=1
    for attempt in $(seq 1 "$attempts"); do
        if [ -n "${KNOT_PORT_WANT:-}" ]; then
            KNOT_PORT=$KNOT_PORT_WANT
        else
            KNOT_PORT=$(knot_free_port) || return 1
        fi
        _knot_write_conf
        "$KNOTD" -c "$KNOT_CONF" >"$KNOT_DIR/knotd.log" 2>&1 </dev/null &
        KNOT_PID=$!
        ok=1
        for z in "${_knot_zones[@]}"; do
            if ! _knot_wait_soa "${z%%$'\t'*}"; then
                ok=0
                break
            fi
        done
        if [ "$ok" = 1 ]; then
            export KNOT_PORT KNOT_PID KNOT_DIR KNOT_CONF KNOT_ADDR
            return 0
        fi
        knot_stop
        echo "knot.sh: knotd did not come up on port $KNOT_PORT (attempt $attempt):" >&2
        tail -20 "$KNOT_DIR/knotd.log" >&2
    done
    return 1
}

# knot_reload - serve the current contents of the zone files
knot_reload() {
    local z origin file
    if [ -z "$KNOT_PID" ]; then
        echo "knot.sh: knot_reload: no server running" >&2
        return 1
    fi
    for z in "${_knot_zones[@]}"; do
        origin=${z%%$'\t'*}
        file=${z#*$'\t'}
        _knot_prepare_zone "$origin" "$file" "$KNOT_DIR/zones/$origin.zone" || return 1
    done
    # zone-reload reads the files again without looking at mtime or serial
    # (zonefile-load: whole, no journal), so an unchanged serial is fine.
    if ! "$KNOTC" -c "$KNOT_CONF" -b zone-reload >/dev/null 2>"$KNOT_DIR/knotc.err"; then
        echo "knot.sh: knotc zone-reload failed:" >&2
        cat "$KNOT_DIR/knotc.err" >&2
        tail -20 "$KNOT_DIR/knotd.log" >&2
        return 1
    fi
    # -b blocks until the reload is done; check each zone still answers.
    for z in "${_knot_zones[@]}"; do
        if ! _knot_wait_soa "${z%%$'\t'*}"; then
            echo "knot.sh: zone ${z%%$'\t'*} does not answer after reload:" >&2
            tail -20 "$KNOT_DIR/knotd.log" >&2
            return 1
        fi
    done
    return 0
}

# knot_dnskey ORIGIN - the zone's DNSKEY records in zone-file form (for a
# trust-anchor file); waits until the signed zone serves them
knot_dnskey() {
    local origin=${1%.} deadline out
    deadline=$(($(date +%s) + KNOT_WAIT_SECONDS))
    while [ "$(date +%s)" -le "$deadline" ]; do
        out=$("$KDIG" -p "$KNOT_PORT" @"${KNOT_ADDR:-127.0.0.1}" +time=1 +retry=0 +noall +answer \
            "$origin." DNSKEY 2>/dev/null | awk '$4 == "DNSKEY"')
        if [ -n "$out" ]; then
            echo "$out"
            return 0
        fi
        sleep 0.1
    done
    echo "knot.sh: $origin serves no DNSKEY" >&2
    return 1
}

# knot_stop - stop the server started by knot_start (no-op if none)
knot_stop() {
    local i
    [ -n "$KNOT_PID" ] || return 0
    if kill "$KNOT_PID" 2>/dev/null; then
        for i in $(seq 1 50); do
            kill -0 "$KNOT_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$KNOT_PID" 2>/dev/null
    fi
    wait "$KNOT_PID" 2>/dev/null
    KNOT_PID=
    return 0
}
