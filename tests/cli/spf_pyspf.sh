#!/bin/bash
# spf_pyspf.sh - differential test: random SPF scenarios (records with
# every mechanism, macros, includes, redirects, exp=, %{p}; IPv4, IPv6 and
# IPv4-mapped clients; MAIL FROM and HELO identities) are evaluated by
# pyspf (Debian python3-spf) and by inkan's check_host(); every result and
# every fail explanation must agree.  See tests/spf/pyspf_random.py for the
# pyspf departures from RFC 7208 kept out of the comparison.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
RUN=${SPF_SUITE_RUN:?SPF_SUITE_RUN is not set (tests/meson.build sets it)}
if ! $PY -c 'import spf' 2>/dev/null; then
    _notok "pyspf (python3-spf) is not installed: run scripts/install-deps.sh"
    finish
fi
for seed in 1 2 3; do
    yml=$TMPDIR_TEST/s$seed.yml
    if ! $PY "$INKAN_SRC/tests/spf/pyspf_random.py" "$seed" 250 > "$yml"; then
        _notok "pyspf_random.py seed $seed failed"
        continue
    fi
    if "$RUN" --no-void-limit --lookups 200 "$yml" > "$TMPDIR_TEST/out$seed" 2>&1; then
        _ok "seed $seed: $(tail -1 "$TMPDIR_TEST/out$seed")"
    else
        _notok "seed $seed: inkan and pyspf disagree"
        head -40 "$TMPDIR_TEST/out$seed" | sed 's/^/#   /'
    fi
done
finish
