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

# --- domain watch --once says when nothing is due ---
expect_out_contains "nothing due; no domain is followed" "$INKAN" domain watch --once --db "$T/w.db"
expect_exit 0 "$INKAN" domain add example.com --out "$T/p1" --db "$T/w.db" --now 1800000000
expect_exit 0 "$INKAN" domain watch --once --zone "$EX/example.zone" --db "$T/w.db" --now 1800000000
expect_out_contains "nothing due; next check at 2027-01-15 08:05:00 UTC" \
    "$INKAN" domain watch --once --zone "$EX/example.zone" --db "$T/w.db" --now 1800000001
finish
