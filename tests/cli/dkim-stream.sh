#!/bin/bash
# dkim-stream.sh - `dkim sign` in constant memory (the message streams
# through the signer and is copied out on a second pass: re-read from a
# file, spooled to a temporary file from a pipe), and `dkim verify`
# saying how many signatures past INK_DKIM_SIGNATURES_MAX it did not check.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"
T=$TMPDIR_TEST
K=$T/keys
"$INKAN" dkim keygen --domain example.com --selector st --type ed25519 --out "$K" >"$T/keys.zone" 2>/dev/null
check "keygen for the stream tests" test -s "$K/st.example.com.private"
KEY=$K/st.example.com.private
SIGN=("$INKAN" dkim sign --domain example.com --selector st --key "$KEY" --no-timestamp)

# --- the same output whether the message comes from a file or a pipe ---
printf 'From: a@example.com\r\nTo: b@example.org\r\nSubject: s\r\n\r\nline 1\r\nline 2\r\n' >"$T/m.eml"
"${SIGN[@]}" <"$T/m.eml" >"$T/file.out"
cat "$T/m.eml" | "${SIGN[@]}" >"$T/pipe.out"
check "sign: file and pipe give the same output" cmp -s "$T/file.out" "$T/pipe.out"
check "sign: the message follows the signature unchanged" \
    sh -c "tail -c $(wc -c <"$T/m.eml") '$T/pipe.out' | cmp -s - '$T/m.eml'"
expect_first_line "pass d=example.com s=st a=ed25519-sha256" "$INKAN" dkim verify --zone "$T/keys.zone" "$T/pipe.out"
# stdin a file opened at an offset: only what follows is the message
{ printf 'SKIPPED LINE\n'; cat "$T/m.eml"; } >"$T/offset.eml"
{ read -r _; "${SIGN[@]}"; } <"$T/offset.eml" >"$T/offset.out"
check "sign: a file read from an offset signs the rest" cmp -s "$T/offset.out" "$T/file.out"
# an unterminated last line gets the message's line ending, from a pipe too
printf 'From: a@example.com\nSubject: s\n\nno final newline' | "${SIGN[@]}" >"$T/lf.out"
check "sign (pipe): LF message gets a final LF" test "$(tail -c 1 "$T/lf.out" | od -An -c | tr -d ' ')" = '\n'
check "sign (pipe): LF message, signature lines end in LF" sh -c "! grep -q \$'\\r' '$T/lf.out'"
expect_first_line "pass d=example.com s=st a=ed25519-sha256" "$INKAN" dkim verify --zone "$T/keys.zone" "$T/lf.out"
printf 'From: a@example.com\r\n\r\nno final newline' | "${SIGN[@]}" >"$T/crlf.out"
check "sign (pipe): CRLF message gets a final CRLF" test "$(tail -c 2 "$T/crlf.out" | od -An -c | tr -d ' ')" = '\r\n'
# an empty message is refused as before, from a pipe and a file
: >"$T/empty.eml"
expect_exit 1 "${SIGN[@]}"
check "sign: empty file refused" sh -c "! '${SIGN[0]}' dkim sign --domain example.com --selector st --key '$KEY' <'$T/empty.eml' >/dev/null 2>&1"

# --- constant memory: a 100 MB message signs in the memory a small one takes ---
# Peak RSS of the child (getrusage), not an address-space limit: shared
# libraries (libicudata alone maps 30 MB) reserve address space they never
# touch.  maxrss: run "$@" with stdin from $IN (a file, or - for a pipe fed
# by big), print "BYTES_OUT PEAK_KB".
cat >"$T/maxrss.py" <<'PY'
import resource, subprocess, sys
src = sys.argv[1]
cmd = sys.argv[2:]
if src == "-":
    p = subprocess.Popen(cmd, stdin=sys.stdin.buffer, stdout=subprocess.PIPE)
else:
    p = subprocess.Popen(cmd, stdin=open(src, "rb"), stdout=subprocess.PIPE)
n = 0
while True:
    b = p.stdout.read(1 << 20)
    if not b:
        break
    n += len(b)
p.wait()
print(n if p.returncode == 0 else 0, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
maxrss() { python3 "$T/maxrss.py" "$@"; }
if ldd "$INKAN" 2>/dev/null | grep -q libasan; then
    echo "ok - # SKIP memory measure: sanitizer builds keep freed memory in quarantine"
else
    big() { printf 'From: a@example.com\r\nSubject: big\r\n\r\n'; head -c 100000000 /dev/zero | tr '\0' 'x' | fold -w 998 | sed 's/$/\r/'; }
    read -r _ small_kb < <(maxrss "$T/m.eml" "${SIGN[@]}")
    read -r out kb < <(big | maxrss - "${SIGN[@]}")
    check "sign (pipe): 100 MB out (${out:-nothing} bytes) at ${kb} KB peak, small message ${small_kb} KB" \
        test "${out:-0}" -gt 100000000 -a "${kb:-999999}" -lt $((small_kb + 16384))
    big >"$T/big.eml"
    read -r out kb < <(maxrss "$T/big.eml" "${SIGN[@]}")
    check "sign (file): 100 MB out (${out:-nothing} bytes) at ${kb} KB peak, small message ${small_kb} KB" \
        test "${out:-0}" -gt 100000000 -a "${kb:-999999}" -lt $((small_kb + 16384))
    rm -f "$T/big.eml"
fi

# --- verify says how many signatures past the limit it did not check ---
cp "$T/m.eml" "$T/many.eml"
for i in $(seq 1 20); do
    "${SIGN[@]}" <"$T/many.eml" >"$T/many.tmp" && mv "$T/many.tmp" "$T/many.eml"
done
"$INKAN" dkim verify --zone "$T/keys.zone" "$T/many.eml" >"$T/v.out" 2>&1
check "verify: 16 signatures checked" test "$(grep -c '^pass ' "$T/v.out")" = 16
check "verify: the 4 others are counted" grep -qx 'not-checked: 4 more DKIM-Signature fields (only the first 16 are verified)' "$T/v.out"
expect_out_contains '"not_checked": 4' "$INKAN" dkim verify --json --zone "$T/keys.zone" "$T/many.eml"
expect_out_contains '"not_checked": 0' "$INKAN" dkim verify --json --zone "$T/keys.zone" "$T/pipe.out"

finish
