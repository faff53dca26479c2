#!/bin/bash
# readme.sh - every command block of README.md runs as shown: each "$ "
# command is run (in order, in a scratch directory holding examples/) and
# what it prints is compared with the output the README shows, volatile
# values (keys, signatures, rates, dates, timings) masked.  The convention
# is described in tests/tools/readme_run.py.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"
W=$TMPDIR_TEST/work
mkdir -p "$W/bin"
ln -s "$INKAN_SRC/examples" "$W/examples"
ln -s "$INKAN" "$W/bin/inkan"
# the commands find this build's inkan first; state stays in the scratch dir
PATH=$W/bin:$PATH HOME=$TMPDIR_TEST XDG_DATA_HOME=$TMPDIR_TEST/xdg NO_COLOR=1 \
    /usr/bin/python3 "$INKAN_SRC/tests/tools/readme_run.py" "$INKAN_SRC/README.md" "$W"
