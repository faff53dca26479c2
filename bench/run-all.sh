#!/bin/bash
# run-all.sh BUILD - every benchmark under bench/ (make bench).  Each area
# adds its line; each prints its own table.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}

# spf
"$here/spf/run.sh" "$build"
