#!/bin/bash
# dkim_interop.sh - DKIM interoperability and tamper tests (issue 3,
# section 5): inkan against dkimpy and OpenDKIM in both directions, RSA and
# Ed25519, simple and relaxed, on the generated corpus; tampered messages
# fail with the right reason.  The work is done by tests/dkim/interop.py
# under Debian's python3 (python3-dkim); this wrapper only checks that the
# peers are installed and runs it.
set -u
py=/usr/bin/python3
if ! "$py" -c 'import dkim, nacl' 2>/dev/null; then
    echo "not ok - $py cannot import dkim/nacl (scripts/install-deps.sh installs python3-dkim)"
    exit 1
fi
if [ ! -x /usr/sbin/opendkim ]; then
    echo "not ok - /usr/sbin/opendkim missing (scripts/install-deps.sh installs opendkim)"
    exit 1
fi
exec "$py" "$INKAN_SRC/tests/dkim/interop.py" --inkan "$INKAN"
