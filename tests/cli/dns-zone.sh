#!/bin/bash
# dns-zone.sh - `inkan dns` over --zone FILE: answers as a server gives
# them, and every zone-file problem reported as FILE:LINE with exit 1.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"

z=$TMPDIR_TEST/example.zone
cat >"$z" <<'EOF2'
$ORIGIN example.org.
$TTL 600
@     SOA ns hostmaster ( 7 3600 600 86400 60 ) ; comment
      MX 5 mx
mx    A 192.0.2.5
www   CNAME mx
@     CAA 0 issue "ca.example"
@     TXT "v=spf1 mx " "-all"
EOF2
expect_first_line NOERROR "$INKAN" dns www.example.org --zone "$z"
expect_out_contains 'mx.example.org. 600 IN A 192.0.2.5' "$INKAN" dns www.example.org --zone "$z"
expect_out_contains 'example.org. 600 IN TXT "v=spf1 mx " "-all"' "$INKAN" dns example.org TXT --zone "$z"
expect_first_line NODATA "$INKAN" dns mx.example.org AAAA --zone "$z"
expect_first_line NXDOMAIN "$INKAN" dns nope.example.org TXT --zone "$z"
expect_out_contains '"status": "NOERROR"' "$INKAN" dns example.org MX --zone "$z" --json

# relative names with --origin
printf 'www A 192.0.2.1\n' >"$TMPDIR_TEST/rel.zone"
expect_first_line NOERROR "$INKAN" dns www.example.net --zone "$TMPDIR_TEST/rel.zone" --origin example.net
expect_exit 1 "$INKAN" dns www.example.net --zone "$TMPDIR_TEST/rel.zone"
expect_err_contains "rel.zone:1: owner name 'www' is relative but no \$ORIGIN is set" \
    "$INKAN" dns www.example.net --zone "$TMPDIR_TEST/rel.zone"

# broken files: FILE:LINE and exit 1, never a crash
printf '$ORIGIN example.org.\nok A 192.0.2.1\nbad TXT "never closed\n' >"$TMPDIR_TEST/bad1.zone"
expect_exit 1 "$INKAN" dns ok.example.org --zone "$TMPDIR_TEST/bad1.zone"
expect_err_contains "bad1.zone:3: quoted string not closed at end of line" "$INKAN" dns ok.example.org --zone "$TMPDIR_TEST/bad1.zone"
printf '$ORIGIN example.org.\n@ SOA ns host (\n 1 2 3 4 5\n' >"$TMPDIR_TEST/bad2.zone"
expect_err_contains "bad2.zone:4: '(' opened at line 2 is not closed at end of file" "$INKAN" dns example.org --zone "$TMPDIR_TEST/bad2.zone"
printf '$INCLUDE /etc/passwd\n' >"$TMPDIR_TEST/bad3.zone"
expect_err_contains "bad3.zone:1: \$INCLUDE is not supported" "$INKAN" dns example.org --zone "$TMPDIR_TEST/bad3.zone"
printf 'x.example. A 192.0.2.1\x01\n' >"$TMPDIR_TEST/bad4.zone"
expect_err_contains "bad4.zone:1: '192.0.2.1\\001' is not an IPv4 address" "$INKAN" dns x.example --zone "$TMPDIR_TEST/bad4.zone"
expect_exit 1 "$INKAN" dns example.org --zone "$TMPDIR_TEST/missing.zone"
expect_err_contains "missing.zone: No such file or directory" "$INKAN" dns example.org --zone "$TMPDIR_TEST/missing.zone"

# usage errors
expect_exit 2 "$INKAN" dns
expect_exit 2 "$INKAN" dns example.org BOGUS --zone "$z"
expect_err_contains "unknown record type 'BOGUS'" "$INKAN" dns example.org BOGUS --zone "$z"
expect_exit 2 "$INKAN" dns example.org --zone "$z" --dns 127.0.0.1
expect_exit 0 "$INKAN" dns --help
finish
