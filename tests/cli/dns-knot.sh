#!/bin/bash
# dns-knot.sh - --dns (the c-ares stub backend; libunbound before issue 7)
# against a real server: Knot on 127.0.0.1 at a free port
# (tests/lib/knot.sh) serving a test zone.
# Checks OK / NODATA / NXDOMAIN, CNAME chains, multi-string and 64 KiB TXT
# (TCP fallback), MX, AAAA, that --dns and --zone give the same answers
# for the same file, caching on and --no-cache across a zone reload, and
# TIMEOUT (within the timeout, no hang) against a silent and a closed port.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"
. "$INKAN_SRC/tests/lib/knot.sh"

dir=$TMPDIR_TEST
zone=$dir/example.test.zone

# big TXT: 250 strings of 254 bytes = 63750 bytes of RDATA, as big as a
# 65535-byte DNS message over TCP can carry with header and question
big=$(/usr/bin/python3 -c 'print(" ".join(chr(97 + i % 26) * 254 for i in range(250)))')
write_zone() {
    cat >"$zone" <<EOF
\$ORIGIN example.test.
\$TTL 300
@       SOA ns hostmaster ( 1 3600 600 86400 60 )
        NS  ns
ns      A   192.0.2.53
@       MX  10 mail
@       MX  20 mail2.example.net.
@       TXT "v=spf1 " "include:_spf.example.test " "-all"
mail    A    192.0.2.25
mail    AAAA 2001:db8::25
www     CNAME alias1
alias1  CNAME mail
dangling CNAME nothere
esc     TXT "quote\"d" "semi;colon" "\255\000x"
chg     TXT "$1"
big     TXT ( $big )
a.b.c   A   192.0.2.9
EOF
}
write_zone old
if ! knot_start "$dir" "$zone"; then
    _notok "Knot starts on a free port"
    finish
    exit 1
fi
_ok "Knot started on 127.0.0.1:$KNOT_PORT (pid $KNOT_PID)"
dns=(--dns "127.0.0.1:$KNOT_PORT" --timeout 5)

expect_first_line NOERROR "$INKAN" dns example.test TXT "${dns[@]}"
expect_out_contains 'example.test. 300 IN TXT "v=spf1 " "include:_spf.example.test " "-all"' \
    "$INKAN" dns example.test TXT "${dns[@]}"
expect_first_line NODATA "$INKAN" dns mail.example.test TXT "${dns[@]}"
expect_first_line NODATA "$INKAN" dns b.c.example.test A "${dns[@]}"   # empty non-terminal
expect_first_line NXDOMAIN "$INKAN" dns nope.example.test A "${dns[@]}"
expect_first_line NXDOMAIN "$INKAN" dns dangling.example.test A "${dns[@]}"
expect_out_contains 'mail.example.test. 300 IN AAAA 2001:db8::25' "$INKAN" dns mail.example.test AAAA "${dns[@]}"
expect_out_contains 'example.test. 300 IN MX 20 mail2.example.net.' "$INKAN" dns example.test MX "${dns[@]}"
expect_out_contains 'example.test. 300 IN MX 10 mail.example.test.' "$INKAN" dns example.test MX "${dns[@]}"

# CNAME chain: both links, then the data, in order
"$INKAN" dns WWW.Example.Test. A "${dns[@]}" >"$dir/chain" 2>&1
if diff -u - "$dir/chain" <<'EOF'; then _ok "CNAME chain answered in order"; else _notok "CNAME chain"; fi
NOERROR
www.example.test. 300 IN CNAME alias1.example.test.
alias1.example.test. 300 IN CNAME mail.example.test.
mail.example.test. 300 IN A 192.0.2.25
EOF

# escapes and bytes survive the wire
expect_out_contains 'esc.example.test. 300 IN TXT "quote\"d" "semi;colon" "\255\000x"' \
    "$INKAN" dns esc.example.test TXT "${dns[@]}"

# 64 KiB TXT: over UDP it is truncated, the resolver retries over TCP
"$INKAN" dns big.example.test TXT "${dns[@]}" --json >"$dir/big.json" 2>&1
check "64 KiB TXT record: 250 strings, 63500 bytes" /usr/bin/python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))
assert a["status"] == "NOERROR", a["status"] + " " + a.get("why", "")
s = a["records"][0]["strings"]
assert len(s) == 250 and sum(map(len, s)) == 250 * 254, (len(s), sum(map(len, s)))
' "$dir/big.json"

# the same file through --zone and through Knot answers the same
questions="example.test SOA
example.test NS
example.test MX
example.test TXT
mail.example.test A
mail.example.test AAAA
mail.example.test TXT
www.example.test A
www.example.test AAAA
www.example.test CNAME
alias1.example.test MX
dangling.example.test TXT
nope.example.test A
b.c.example.test A
a.b.c.example.test A
esc.example.test TXT
big.example.test TXT
ns.example.test A"
# sort_rrs - records of each answer in sorted order (an RRset has no order)
sort_rrs() {
    /usr/bin/python3 -c '
import sys
for block in sys.stdin.read().split("\n\n"):
    lines = block.split("\n")
    print("\n".join(lines[:1] + sorted(lines[1:])) + "\n")
'
}
echo "$questions" | "$INKAN" dns - "${dns[@]}" 2>&1 | sort_rrs >"$dir/via-knot"
echo "$questions" | "$INKAN" dns - --zone "$zone" 2>&1 | sort_rrs >"$dir/via-zone"
# Answers a resolver serves from its cache count their TTL down (a record
# cached by an earlier question comes back as 299 of 300): compare the
# records with the TTL left out, and check apart that each TTL via Knot is
# the zone's or at most TTL_SLACK seconds less.
TTL_SLACK=30
ttl_split() {  # ttl_split IN OUT_NOTTL OUT_TTLS
    /usr/bin/python3 -c '
import sys
src, nottl, ttls = sys.argv[1:4]
with open(src) as f, open(nottl, "w") as a, open(ttls, "w") as b:
    for line in f:
        w = line.split(" ")
        if len(w) > 3 and w[1].isdigit() and w[2] == "IN":
            b.write(w[1] + "\n")
            w[1] = "TTL"
        a.write(" ".join(w))
' "$1" "$2" "$3"
}
ttl_split "$dir/via-zone" "$dir/zone-nottl" "$dir/zone-ttls"
ttl_split "$dir/via-knot" "$dir/knot-nottl" "$dir/knot-ttls"
if paste -d' ' "$dir/zone-ttls" "$dir/knot-ttls" |
    awk -v s="$TTL_SLACK" '{ if ($2 > $1 || $2 < $1 - s) bad = 1 } END { exit bad }'; then
    _ok "TTLs via Knot are the zone's (or counted down by the cache, at most ${TTL_SLACK}s)"
else
    _notok "TTLs via Knot differ from the zone's"; paste "$dir/zone-ttls" "$dir/knot-ttls" | head -10
fi
if diff -u "$dir/zone-nottl" "$dir/knot-nottl" >"$dir/diff"; then
    _ok "--zone and --dns (Knot) give identical answers to $(echo "$questions" | wc -l) questions"
else
    _notok "--zone and --dns (Knot) differ"; cut -c1-160 "$dir/diff" | sed 's/^/#   /' | head -30
fi

# Caching: one long-lived resolver with the cache, one without.  Ask,
# change the zone under Knot, ask again.
mkfifo "$dir/cached.in" "$dir/cached.out" "$dir/fresh.in" "$dir/fresh.out"
"$INKAN" dns - "${dns[@]}" <"$dir/cached.in" >"$dir/cached.out" 2>&1 &
cached_pid=$!
exec {cached_in}>"$dir/cached.in" {cached_out}<"$dir/cached.out"
"$INKAN" dns - "${dns[@]}" --no-cache <"$dir/fresh.in" >"$dir/fresh.out" 2>&1 &
fresh_pid=$!
exec {fresh_in}>"$dir/fresh.in" {fresh_out}<"$dir/fresh.out"
# ask FD_IN FD_OUT QUESTION - one answer (up to the empty line) on stdout
ask() {
    local line out=
    echo "$3" >&"$1"
    while IFS= read -r -t 15 line <&"$2"; do
        [ -z "$line" ] && break
        out+="$line"$'\n'
    done
    printf '%s' "$out"
}
a1=$(ask "$cached_in" "$cached_out" "chg.example.test TXT")
f1=$(ask "$fresh_in" "$fresh_out" "chg.example.test TXT")
write_zone new
if knot_reload; then _ok "knot_reload"; else _notok "knot_reload"; fi
# knot.sh itself: the zone is served anew although the SOA serial is unchanged
expect_out_contains '"new"' kdig -p "$KNOT_PORT" @127.0.0.1 +short chg.example.test TXT
a2=$(ask "$cached_in" "$cached_out" "chg.example.test TXT")
f2=$(ask "$fresh_in" "$fresh_out" "chg.example.test TXT")
exec {cached_in}>&- {fresh_in}>&-
wait "$cached_pid" "$fresh_pid"
exec {cached_out}<&- {fresh_out}<&-
case "$a1$f1" in *'"old"'*'"old"'*) _ok "both resolvers see the first version";;
    *) _notok "first answers: $a1 / $f1";; esac
case "$a2" in *'"old"'*) _ok "cached resolver still answers from its cache";;
    *) _notok "cached resolver: $a2";; esac
case "$f2" in *'"new"'*) _ok "--no-cache resolver sees the change at once";;
    *) _notok "--no-cache resolver: $f2";; esac

# A server that never answers: TIMEOUT within the timeout, no hang.  The
# socket is bound (UDP and TCP), so nothing else answers on its port.
# (a resolver left alone may retry for some 20 s; the bound of 5 s for a 1 s
# timeout leaves room for process start-up on a loaded machine.)
/usr/bin/python3 -c '
import socket, sys, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
t = socket.socket(); t.bind(("127.0.0.1", u.getsockname()[1])); t.listen(1)
print(u.getsockname()[1], flush=True)
time.sleep(60)
' >"$dir/silent.port" &
silent_pid=$!
for _ in $(seq 50); do [ -s "$dir/silent.port" ] && break; sleep 0.1; done
silent=$(cat "$dir/silent.port")
start=$(date +%s%N)
expect_first_line TIMEOUT "$INKAN" dns example.test TXT --dns "127.0.0.1:$silent" --timeout 1
elapsed=$((($(date +%s%N) - start) / 1000000))
if [ "$elapsed" -lt 5000 ]; then _ok "silent server: gave up after ${elapsed} ms (timeout 1 s)"
else _notok "silent server: took ${elapsed} ms with a 1 s timeout"; fi
kill "$silent_pid" 2>/dev/null; wait "$silent_pid" 2>/dev/null

# A closed port: TIMEOUT (or SERVFAIL) quickly, never a hang
closed=$(knot_free_port)
start=$(date +%s%N)
"$INKAN" dns example.test TXT --dns "127.0.0.1:$closed" --timeout 1 >"$dir/closed" 2>&1
rc=$?
elapsed=$((($(date +%s%N) - start) / 1000000))
first=$(head -1 "$dir/closed")
if [ "$rc" = 0 ] && { [ "$first" = TIMEOUT ] || [ "$first" = SERVFAIL ]; } && [ "$elapsed" -lt 4000 ]; then
    _ok "closed port: $first after ${elapsed} ms"
else
    _notok "closed port: rc $rc, '$first' after ${elapsed} ms"
fi

# Bad --dns values are usage-level errors that name the value
expect_exit 1 "$INKAN" dns example.test --dns 127.0.0.1:99999
expect_err_contains "port '99999' is not a number from 1 to 65535" "$INKAN" dns example.test --dns 127.0.0.1:99999
expect_err_contains "write an IPv6 address as [ADDR]:PORT" "$INKAN" dns example.test --dns '[::1'

knot_stop
finish
