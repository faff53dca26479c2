#!/bin/bash
# arc_interop.sh - ARC interoperability with dkimpy (issue 9, section 4):
# chains sealed by dkimpy verify with inkan and chains sealed by inkan
# verify with dkimpy's arc_verify, mixed hops included.  The work is done
# by tests/arc/interop.py under Debian's python3 (python3-dkim); this
# wrapper only checks that the peer is installed and runs it.
set -u
py=/usr/bin/python3
if ! "$py" -c 'import dkim' 2>/dev/null; then
    echo "not ok - $py cannot import dkim (scripts/install-deps.sh installs python3-dkim)"
    exit 1
fi
exec "$py" "$INKAN_SRC/tests/arc/interop.py" --inkan "$INKAN"
