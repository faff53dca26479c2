#!/bin/bash
# dkim.sh - `inkan dkim` through the real binary: keygen files and modes,
# testkey against a zone file, sign -> verify round trips, the RFC
# examples, usage errors.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"

T=$TMPDIR_TEST
K=$T/keys
mkdir -p "$K"

# --- usage ---
expect_exit 2 "$INKAN" dkim
expect_exit 0 "$INKAN" dkim --help
expect_exit 2 "$INKAN" dkim frobnicate
expect_exit 0 "$INKAN" dkim keygen --help
expect_exit 2 "$INKAN" dkim keygen --domain example.com
expect_exit 2 "$INKAN" dkim keygen --domain example.com --selector s --out "$K" --type dsa
expect_exit 2 "$INKAN" dkim keygen --domain example.com --selector s --out "$K" --bits 512
expect_exit 2 "$INKAN" dkim keygen --domain example.com --selector s --out "$K" --type ed25519 --bits 2048
expect_exit 2 "$INKAN" dkim keygen --domain 'bad..name' --selector s --out "$K"

# --- keygen ---
expect_first_line_prefix() {
    local want=$1; shift
    local got
    got=$("$@" 2>"$T/err" </dev/null | head -n 1)
    case "$got" in
    "$want"*) _ok "first line starts '$want': $*" ;;
    *) _notok "first line '$got' (wanted '$want...'): $*"; sed 's/^/#   /' "$T/err" | head -5 ;;
    esac
}
expect_first_line_prefix 's1._domainkey.example.com. 3600 IN TXT "v=DKIM1; k=rsa; p=MIIB' \
    "$INKAN" dkim keygen --domain example.com --selector s1 --out "$K"
check "private key is mode 0600" test "$(stat -c %a "$K/s1.example.com.private")" = 600
check "private key is PEM" grep -q -- '-----BEGIN PRIVATE KEY-----' "$K/s1.example.com.private"
check "zone file written" test -s "$K/s1.example.com.zone"
# a 2048-bit key does not fit one 255-byte string: two strings
check "TXT split into 255-byte strings" \
    awk -F'"' '{ if (NF != 5 || length($2) != 255) exit 1 }' "$K/s1.example.com.zone"
check "JSON names the record" grep -q '"name": "s1._domainkey.example.com"' "$K/s1.example.com.json"
check "JSON strings array" grep -q '"strings"' "$K/s1.example.com.json"
expect_exit 1 "$INKAN" dkim keygen --domain example.com --selector s1 --out "$K"
expect_err_contains "exists already" "$INKAN" dkim keygen --domain example.com --selector s1 --out "$K"
expect_exit 0 "$INKAN" dkim keygen --domain example.com --selector s1 --out "$K" --force
expect_out_contains '"key_type": "ed25519"' \
    "$INKAN" dkim keygen --domain example.com --selector e1 --type ed25519 --out "$K" --json
expect_out_contains 'k=rsa; t=y; p=' \
    "$INKAN" dkim keygen --domain example.org --selector t1 --bits 1024 --testing --out "$K"
expect_exit 1 "$INKAN" dkim keygen --domain example.com --selector x --out "$T/no/such/dir"

finish
