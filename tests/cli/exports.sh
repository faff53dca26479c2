#!/bin/bash
# exports.sh - libinkan.so exports only ink_* symbols (issue 7: internal
# helpers such as dkim_* collided with libopendkim's), and the inkan
# command links against libinkan.so alone (everything it calls is
# exported).  Needs LIBINKAN_SO and INKAN_SO (tests/meson.build).
set -u
. "$INKAN_SRC/tests/cli/lib.sh"

# Symbols the static linker defines in every shared object; not ours.
LINKER_SYMS="_init _fini _edata _end __bss_start"

# leaks - read `nm -D --defined-only` lines, print each defined symbol
# that neither starts with ink_ nor is a linker symbol.  Under ASan each
# exported global ink_X comes with __odr_asan.ink_X, ASan's one-definition
# marker for it: that one is ours too.
leaks() {
    awk -v skip="$LINKER_SYMS" '
        BEGIN { n = split(skip, s, " "); for (i = 1; i <= n; i++) ok[s[i]] = 1 }
        NF >= 2 { sym = $NF; sub(/@.*/, "", sym); sub(/^__odr_asan\./, "", sym)
                  if (sym !~ /^ink_/ && !(sym in ok)) print sym }'
}

# The filter itself: a leaked name is caught, linker symbols are not.
printf '%s\n' '0000000000001000 T ink_spf_eval_new' '0000000000001010 T dkim_sha256' \
    '0000000000004000 B __bss_start' '0000000000001020 T _init' \
    '0000000000005000 B __odr_asan.ink_audit_codes' '0000000000005008 B __odr_asan.dkim_x' \
    >"$TMPDIR_TEST/fake"
if [ "$(leaks <"$TMPDIR_TEST/fake" | tr '\n' ' ')" = "dkim_sha256 dkim_x " ]; then
    _ok "filter catches dkim_sha256 and ASan's marker of dkim_x only"
else _notok "filter: got '$(leaks <"$TMPDIR_TEST/fake" | tr '\n' ' ')'"; fi

if nm -D --defined-only "$LIBINKAN_SO" >"$TMPDIR_TEST/syms" 2>"$TMPDIR_TEST/err"; then
    _ok "nm -D --defined-only $LIBINKAN_SO"
else
    _notok "nm failed on $LIBINKAN_SO"; sed 's/^/#   /' "$TMPDIR_TEST/err"
fi
n=$(grep -c ' ink_' "$TMPDIR_TEST/syms")
if [ "$n" -gt 100 ]; then _ok "$n ink_ symbols exported"
else _notok "only $n ink_ symbols exported (the public API is missing)"; fi
leaks <"$TMPDIR_TEST/syms" >"$TMPDIR_TEST/leaks"
if [ ! -s "$TMPDIR_TEST/leaks" ]; then _ok "no symbol outside ink_ exported"
else _notok "exported, not ink_: $(tr '\n' ' ' <"$TMPDIR_TEST/leaks")"; fi

# The command built from the same objects but linked with libinkan.so.
expect_exit 0 "$INKAN_SO" version
if ldd "$INKAN_SO" | grep -q 'libinkan\.so'; then _ok "inkan-so uses libinkan.so"
else _notok "inkan-so does not load libinkan.so"; fi
finish
