#!/bin/bash
# run.sh BUILD_DIR [bench.py options] - the DKIM benchmark (bench/dkim/bench.py):
# inkan, dkimpy and OpenDKIM verify/sign rates beside `openssl speed`.
# Needs Debian's python3-dkim (hence /usr/bin/python3) and opendkim.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
shift || true
exec /usr/bin/python3 "$here/bench.py" --build "$build" "$@"
