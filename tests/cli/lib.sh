# lib.sh - small assertion helpers for the integration test scripts.
# Each check prints "ok - ..." or "not ok - ..."; finish() exits non-zero
# if any failed.
_fails=0
_count=0
TMPDIR_TEST=$(mktemp -d)
trap 'rm -rf "$TMPDIR_TEST"' EXIT

_ok() { _count=$((_count + 1)); echo "ok $_count - $*"; }
_notok() { _count=$((_count + 1)); _fails=$((_fails + 1)); echo "not ok $_count - $*"; }

# expect_exit CODE CMD... - the command exits with CODE
expect_exit() {
    local want=$1; shift
    "$@" >"$TMPDIR_TEST/out" 2>"$TMPDIR_TEST/err" </dev/null
    local got=$?
    if [ "$got" = "$want" ]; then _ok "exit $want: $*"
    else _notok "exit $got (wanted $want): $*"; sed 's/^/#   /' "$TMPDIR_TEST/err" | head -5; fi
}

# expect_out_contains TEXT CMD... - stdout contains TEXT
expect_out_contains() {
    local want=$1; shift
    "$@" >"$TMPDIR_TEST/out" 2>"$TMPDIR_TEST/err" </dev/null
    if grep -qF -- "$want" "$TMPDIR_TEST/out"; then _ok "stdout has '$want': $*"
    else _notok "stdout lacks '$want': $*"; sed 's/^/#   /' "$TMPDIR_TEST/out" | head -10; fi
}

# expect_err_contains TEXT CMD... - stderr contains TEXT
expect_err_contains() {
    local want=$1; shift
    "$@" >"$TMPDIR_TEST/out" 2>"$TMPDIR_TEST/err" </dev/null
    if grep -qF -- "$want" "$TMPDIR_TEST/err"; then _ok "stderr has '$want': $*"
    else _notok "stderr lacks '$want': $*"; sed 's/^/#   /' "$TMPDIR_TEST/err" | head -10; fi
}

# expect_first_line TEXT CMD... - stdout's first line is exactly TEXT
expect_first_line() {
    local want=$1; shift
    local got
    got=$("$@" 2>"$TMPDIR_TEST/err" </dev/null | head -n 1)
    if [ "$got" = "$want" ]; then _ok "first line '$want': $*"
    else _notok "first line '$got' (wanted '$want'): $*"; fi
}

# check COND-DESCRIPTION CMD... - the command succeeds
check() {
    local what=$1; shift
    if "$@"; then _ok "$what"; else _notok "$what"; fi
}

# require_suite FILE... - the conformance suite files the test reads.  When
# one is missing (a plain clone has no ../shared beside it) print why and
# where to get it, and exit 77 (meson's SKIP); under CI (CI=true) a missing
# suite is a failure instead, so CI never skips it silently.
require_suite() {
    local f
    for f in "$@"; do
        [ -r "$f" ] && continue
        if [ "${CI:-}" = true ]; then echo "FAIL: $f is missing or unreadable."
        else echo "SKIP: $f is missing or unreadable."; fi
        echo "The SPF conformance suites come from the pyspf project (github.com/sdgathman/pyspf,"
        echo "test/) and Debian's python3-spf package; to run this test, in the source directory:"
        echo "  mkdir -p ../shared/testsuites/spf && for f in rfc7208 rfc4408; do zcat" \
            "/usr/share/doc/python3-spf/\$f-tests.yml.gz > ../shared/testsuites/spf/\$f-tests.yml; done"
        echo "(or meson configure BUILD -Dshared_dir=DIR)."
        if [ "${CI:-}" = true ]; then
            echo "CI=true: a missing conformance suite is a failure."
            exit 1
        fi
        exit 77
    done
}

finish() {
    echo "1..$_count"
    [ "$_fails" = 0 ]
}
