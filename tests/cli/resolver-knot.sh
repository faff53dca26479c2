#!/bin/bash
# resolver-knot.sh - the c-ares stub backend against a real server (Knot
# on 127.0.0.1 at a free port, tests/lib/knot.sh): the same answers as
# libunbound for the same zones (statuses, records in order, TTLs), every
# question in flight at once and both backends driven only from a poll()
# loop over fd()/timeout(); a closed and a silent server give TIMEOUT
# within the timeout; queries leave with random IDs, nearly all distinct,
# and a burst of questions leaves a window at a time
# (tests/tools/resolver_compare.c does the checks).
set -u
. "$INKAN_SRC/tests/cli/lib.sh"
. "$INKAN_SRC/tests/lib/knot.sh"

dir=$TMPDIR_TEST
big=$(/usr/bin/python3 -c 'print(" ".join(chr(97 + i % 26) * 254 for i in range(40)))')
cat >"$dir/example.test.zone" <<ZONE
\$ORIGIN example.test.
\$TTL 300
@       SOA ns hostmaster ( 1 3600 600 86400 60 )
        NS  ns
ns      A   192.0.2.53
@       MX  10 mail
@       MX  20 mail2.example.net.
@       TXT "v=spf1 " "include:_spf.example.test " "-all"
mail    A    192.0.2.25
mail    A    192.0.2.26
mail    AAAA 2001:db8::25
www     CNAME alias1
alias1  60 CNAME mail
out     CNAME x.other.test.
outnx   CNAME nope.other.test.
dangling CNAME nothere
loop1   CNAME loop2
loop2   CNAME loop1
*.wild  TXT "wildcard"
esc     TXT "quote\"d" "semi;colon" "\255\000x"
big     TXT ( $big )
a.b.c   A   192.0.2.9
ZONE
cat >"$dir/other.test.zone" <<ZONE
\$ORIGIN other.test.
\$TTL 200
@   SOA ns.other.test. hostmaster ( 1 3600 600 86400 45 )
    NS  ns
ns  A   192.0.2.54
x   A   192.0.2.99
ZONE
cat >"$dir/2.0.192.in-addr.arpa.zone" <<ZONE
\$ORIGIN 2.0.192.in-addr.arpa.
\$TTL 400
25  PTR mail.example.test.
ZONE
if ! knot_start "$dir" "$dir/example.test.zone" "$dir/other.test.zone" \
        "$dir/2.0.192.in-addr.arpa.zone"; then
    _notok "Knot starts on a free port"
    finish
    exit 1
fi
_ok "Knot started on 127.0.0.1:$KNOT_PORT (pid $KNOT_PID)"

{
    cat <<Q
example.test TXT
example.test MX
example.test SOA
example.test NS
mail.example.test A
mail.example.test AAAA
mail.example.test TXT
MAIL.Example.Test. A
www.example.test A
www.example.test AAAA
www.example.test TXT
www.example.test CNAME
out.example.test A
out.example.test MX
outnx.example.test A
dangling.example.test A
nope.example.test A
b.c.example.test A
a.b.c.example.test A
foo.wild.example.test TXT
esc.example.test TXT
big.example.test TXT
25.2.0.192.in-addr.arpa PTR
26.2.0.192.in-addr.arpa PTR
x.other.test A
nope.other.test TXT
Q
    # many in flight at once, alternating answers
    for i in $(seq 1 300); do
        echo "n$i.wild.example.test TXT"
        echo "n$i.nx.example.test A"
    done
} >"$dir/questions"

# relay_tap FILE - the tool's TAP lines as this script's own
relay_tap() {
    local line
    while IFS= read -r line; do
        case $line in
        "ok "*) _ok "${line#ok * - }" ;;
        "not ok "*) _notok "${line#not ok * - }" ;;
        1..*) ;;
        *) echo "$line" ;;
        esac
    done <"$1"
}

"$RESOLVER_COMPARE" compare "127.0.0.1:$KNOT_PORT" "$dir/questions" >"$dir/compare.out" 2>&1
rc=$?
relay_tap "$dir/compare.out"
if [ "$rc" = 0 ]; then _ok "resolver_compare compare exits 0"; else _notok "resolver_compare compare exited $rc"; fi

# the loop-CNAME questions are asked apart: libunbound and the stub both
# give up on a loop, but with differently worded reasons
for q in loop1.example.test; do
    out=$("$INKAN" dns "$q" A --dns "127.0.0.1:$KNOT_PORT" 2>&1 | head -1)
    case $out in SERVFAIL|NOERROR) _ok "CNAME loop: $out, no hang" ;; *) _notok "CNAME loop: $out" ;; esac
done

"$RESOLVER_COMPARE" ids >"$dir/ids.out" 2>&1
rc=$?
relay_tap "$dir/ids.out"
if [ "$rc" = 0 ]; then _ok "resolver_compare ids exits 0"; else _notok "resolver_compare ids exited $rc"; fi

"$RESOLVER_COMPARE" burst >"$dir/burst.out" 2>&1
rc=$?
relay_tap "$dir/burst.out"
if [ "$rc" = 0 ]; then _ok "resolver_compare burst exits 0"; else _notok "resolver_compare burst exited $rc"; fi

"$RESOLVER_COMPARE" dead 1000 >"$dir/dead.out" 2>&1
rc=$?
relay_tap "$dir/dead.out"
if [ "$rc" = 0 ]; then _ok "resolver_compare dead exits 0"; else _notok "resolver_compare dead exited $rc"; fi

knot_stop
finish
