#!/bin/bash
# usage.sh - what a newcomer trips over (issue 8, section 3): each
# subcommand's own --help, degenerate option values refused as usage
# errors, messages that say what is wrong in words, provision re-runs and
# notes, domain watch saying when nothing is due.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"
T=$TMPDIR_TEST
EX=$INKAN_SRC/examples
export XDG_DATA_HOME=$T/xdg

# --- every subcommand prints its own usage ---
for sub in add verify status list watch remove; do
    expect_first_line "usage: inkan domain $sub" sh -c "'$INKAN' domain $sub --help | cut -d' ' -f1-4"
done
expect_out_contains "(--profile FILE | --out DIR|records.json)" "$INKAN" domain add --help
expect_out_contains "(--profile FILE | --out DIR|records.json)" "$INKAN" domain --help
check "man page: the same domain add usage" grep -qF \
    'domain add \fIDOMAIN\fR (\fB\-\-profile \fIFILE\fR | \fB\-\-out \fIDIR\fR|\fIrecords.json\fR)' \
    "$INKAN_SRC/man/inkan.1"

# --- provision: notes, paths, re-runs ---
P=$EX/profiles
expect_err_contains "--dkim has no effect: no DKIM selector of the profile has 'key: generate'" \
    "$INKAN" provision example.com --profile "$P/engagement-subdomain.yaml" --dkim ed25519 \
    --zone "$EX/example.zone" --out "$T/cn"
expect_out_contains "Wrote $T/p1/example.com.zone, $T/p1/records.json" \
    "$INKAN" provision example.com --profile "$P/keys-tracking-ips.yaml" --dkim ed25519 \
    --zone "$EX/example.zone" --out "$T/p1/"
check "the keys are written" test -s "$T/p1/helpdesk1.private"
key1=$(grep helpdesk1 "$T/p1/example.com.zone")
# a re-run into the same --out reuses the keys, and says so
expect_exit 0 "$INKAN" provision example.com --profile "$P/keys-tracking-ips.yaml" --dkim ed25519 \
    --zone "$EX/example.zone" --out "$T/p1"
expect_err_contains "reusing the existing key $T/p1/helpdesk1.private" \
    "$INKAN" provision example.com --profile "$P/keys-tracking-ips.yaml" --dkim ed25519 \
    --zone "$EX/example.zone" --out "$T/p1"
check "re-run: the same key record" test "$(grep helpdesk1 "$T/p1/example.com.zone")" = "$key1"
# another key type: refused, nothing changed
expect_exit 1 "$INKAN" provision example.com --profile "$P/keys-tracking-ips.yaml" --dkim rsa2048 \
    --zone "$EX/example.zone" --out "$T/p1"
expect_err_contains "exists already with key type ed25519 (256 bits) where selector helpdesk1 asks for rsa2048: use --force" \
    "$INKAN" provision example.com --profile "$P/keys-tracking-ips.yaml" --dkim rsa2048 \
    --zone "$EX/example.zone" --out "$T/p1"
check "refused: the zone file is as it was" test "$(grep helpdesk1 "$T/p1/example.com.zone")" = "$key1"
# --force makes new keys
expect_exit 0 "$INKAN" provision example.com --profile "$P/keys-tracking-ips.yaml" --dkim ed25519 \
    --zone "$EX/example.zone" --out "$T/p1" --force
check "--force: a new key record" test "$(grep helpdesk1 "$T/p1/example.com.zone")" != "$key1"
check "--force: the key file stays private" test "$(stat -c %a "$T/p1/helpdesk1.private")" = 600

# --- --auth-port and --now: one reader for domain and dkim rotate (the
# argument shown printable), usage errors (2) ---
for cmd in "domain verify example.com" "dkim rotate --status"; do
    expect_exit 2 "$INKAN" $cmd --auth-port 0 --db "$T/ap.db"
    expect_err_contains "--auth-port: '65536' is not a port number" "$INKAN" $cmd --auth-port 65536 --db "$T/ap.db"
    expect_err_contains "--auth-port: '5\\x1b' is not a port number" "$INKAN" $cmd --auth-port "$(printf '5\033')" --db "$T/ap.db"
    expect_err_contains "--now: '253402300800' is not a time in seconds since 1970" "$INKAN" $cmd --now 253402300800 --db "$T/ap.db"
done
check "no store made by refused options" test ! -e "$T/ap.db"

# --- domain watch --once says when nothing is due ---
expect_out_contains "nothing due; no domain is followed" "$INKAN" domain watch --once --db "$T/w.db"
expect_exit 0 "$INKAN" domain add example.com --out "$T/p1" --db "$T/w.db" --now 1800000000
expect_exit 0 "$INKAN" domain watch --once --zone "$EX/example.zone" --db "$T/w.db" --now 1800000000
expect_out_contains "nothing due; next check at 2027-01-15 08:05:00 UTC" \
    "$INKAN" domain watch --once --zone "$EX/example.zone" --db "$T/w.db" --now 1800000001

# --- empty or degenerate values are usage errors ---
Z=(--zone "$EX/example.zone")
expect_exit 2 "$INKAN" check '' "${Z[@]}"
expect_err_contains "'' is not a domain name" "$INKAN" check '' "${Z[@]}"
expect_exit 2 "$INKAN" spf lint '' "${Z[@]}"
expect_exit 2 "$INKAN" provision '' --profile "$P/keys-tracking-ips.yaml" --out "$T/e"
for opt in --selector --include; do
    for v in '' ',,,' 'a,,b' ','; do
        expect_exit 2 "$INKAN" check example.com "${Z[@]}" "$opt" "$v"
    done
    expect_err_contains "check: $opt '': an empty name" "$INKAN" check example.com "${Z[@]}" "$opt" ''
done
expect_exit 2 "$INKAN" check example.com "${Z[@]}" --subdomain ''
expect_exit 2 "$INKAN" provision example.com --profile "$P/keys-tracking-ips.yaml" --out "$T/e" \
    "${Z[@]}" --subdomain ''
expect_exit 2 "$INKAN" domain add example.com --profile "$P/keys-tracking-ips.yaml" --subdomain '' \
    --db "$T/e.db"
expect_exit 2 "$INKAN" provision 192.0.2.1 --profile "$P/keys-tracking-ips.yaml" --out "$T/e" "${Z[@]}"
expect_err_contains "'192.0.2.1' is an IP address" \
    "$INKAN" provision 192.0.2.1 --profile "$P/keys-tracking-ips.yaml" --out "$T/e" "${Z[@]}"
check "a refused provision writes nothing" test ! -e "$T/e"
expect_exit 2 "$INKAN" check example.com "${Z[@]}" --trust-anchor /nonexistent
expect_err_contains "--trust-anchor: /nonexistent: No such file or directory" \
    "$INKAN" dns example.com "${Z[@]}" --trust-anchor /nonexistent
expect_err_contains "--trust-anchor does not apply to --zone" \
    "$INKAN" dns example.com "${Z[@]}" --trust-anchor "$EX/example.zone"
expect_exit 2 "$INKAN" dns example.com --zone ''

# --- messages ---
# the option layer (cli_getopt): one message format, a missing value named
expect_err_contains "inkan dns: unknown option '--bogus' (see 'inkan dns --help')" "$INKAN" dns --bogus
expect_err_contains "inkan dns: --zone needs a value" "$INKAN" dns --zone
expect_exit 2 "$INKAN" dns --zone
expect_err_contains "inkan dns: '--json=3': the option takes no value" "$INKAN" dns --json=3 x
expect_err_contains "inkan dns: give a NAME" "$INKAN" dns
for cmd in check "spf lint" spf provision "dkim verify" "dkim testkey" "domain verify" \
    "domain add" "domain watch"; do
    # shellcheck disable=SC2086
    expect_err_contains "inkan $cmd: --zone needs a value (see 'inkan $cmd --help')" "$INKAN" $cmd --zone
done
for cmd in check "spf lint" spf provision "dkim verify" "dkim testkey" "dkim sign" "dkim keygen" \
    "domain add" "domain verify" "domain status" "domain list" "domain watch" "domain remove"; do
    # shellcheck disable=SC2086
    expect_err_contains "inkan $cmd: unknown option '--bogus' (see 'inkan $cmd --help')" \
        "$INKAN" $cmd --bogus
    # shellcheck disable=SC2086
    expect_exit 2 "$INKAN" $cmd --bogus
done
expect_err_contains "inkan dkim sign: --key needs a value" "$INKAN" dkim sign --key
expect_err_contains "inkan domain list: --once goes with 'inkan domain watch'" "$INKAN" domain list --once
expect_err_contains "'0' is not a number of seconds above 0 and at most 600" "$INKAN" dns --timeout 0 x
: >"$T/empty.key"
expect_err_contains "empty.key: empty: no private key in it" \
    sh -c "'$INKAN' dkim sign --domain example.com --selector s --key '$T/empty.key' <'$EX/msg.eml'"
{ printf 'X-Big: '; head -c 1100000 /dev/zero | tr '\0' a; printf '\n\nbody\n'; } >"$T/big.eml"
expect_err_contains "header section larger than 1048576 bytes" \
    sh -c "'$INKAN' dkim verify --zone '$EX/example.zone' <'$T/big.eml'"
check "no C macro names in messages" sh -c "! grep -q _MAX '$T/err'"
# l= beyond 64 bits is shown as written
"$INKAN" dkim keygen --domain example.com --selector ed1 --type ed25519 --out "$T/k" >"$T/k.zone"
"$INKAN" dkim sign --domain example.com --selector ed1 --key "$T/k/ed1.example.com.private" \
    --body-length <"$EX/msg.eml" | sed 's/ l=[0-9]*;/ l=99999999999999999999;/' >"$T/l.eml"
expect_out_contains "l=99999999999999999999 is longer than the canonicalized body" \
    sh -c "'$INKAN' dkim verify --zone '$T/k.zone' <'$T/l.eml'"
# a backslash in a zone file name is shown as written
printf 'c\\.d.example.com. 300 IN TXT "y"\n' >"$T/bs.zone"
expect_err_contains "owner name 'c\.d.example.com.'" "$INKAN" dns x.example.com --zone "$T/bs.zone"
# a 64-byte profile label says so
L64=$(printf 'a%.0s' $(seq 64))
sed "s/name: links/name: $L64/" "$P/keys-tracking-ips.yaml" >"$T/p64.yaml"
expect_err_contains "has a label longer than 63 bytes" \
    "$INKAN" provision example.com --profile "$T/p64.yaml" --out "$T/e" "${Z[@]}"
# long arguments are cut short when echoed
LONG=$(head -c 100000 /dev/zero | tr '\0' a)
for opt in --subdomain --helo --include --selector --ip --profile; do
    "$INKAN" check example.com "${Z[@]}" "$opt" "$LONG" >"$T/out" 2>"$T/err"
    rc=$?
    check "check $opt LONG: usage or operational error, message under 1 KB" \
        test "$rc" -ge 1 -a "$rc" -le 2 -a "$(wc -c <"$T/err")" -lt 1024
done
for opt in --domain --selector; do
    "$INKAN" dkim keygen --domain example.com --selector s --out "$T/k2" "$opt" "$LONG.com" \
        >"$T/out" 2>"$T/err"
    check "dkim keygen $opt LONG: message under 1 KB" test "$(wc -c <"$T/err")" -lt 1024
done
for opt in --domain --selector --identity; do
    "$INKAN" dkim sign --domain example.com --selector ed1 --key "$T/k/ed1.example.com.private" \
        "$opt" "$LONG.example.com" <"$EX/msg.eml" >"$T/out" 2>"$T/err"
    check "dkim sign $opt LONG: usage error, message under 1 KB" \
        test "$?" = 2 -a "$(wc -c <"$T/err")" -lt 1024
done
# a malformed batch line exits the same (1) in dns - and spf --batch
expect_exit 1 sh -c "echo 'a b c' | '$INKAN' dns - ${Z[*]}"
expect_exit 1 sh -c "echo '192.0.2.1' | '$INKAN' spf --batch - ${Z[*]}"

# --- a too-long DMARC record: the proposed fix keeps p=reject ---
/usr/bin/python3 -c "
rec = 'v=DMARC1; p=reject; rua=' + ','.join('mailto:r%d@example.com' % i for i in range(400))
print('\$ORIGIN example.com.')
print('@ 300 IN TXT \"v=spf1 -all\"')
print('_dmarc 300 IN TXT ' + ' '.join('\"%s\"' % rec[i:i + 250] for i in range(0, len(rec), 250)))
" >"$T/dm.zone"
"$INKAN" check --zone "$T/dm.zone" example.com --json >"$T/dm.json"
check "too-long DMARC: the fix keeps p=reject" \
    jq -e '[.findings[] | select(.code == "too-long") | .fix | test("p=reject;")] == [true]' "$T/dm.json"
finish
