#!/bin/bash
# run-example.sh INKAN - the main job on the bundled example (make run).
set -eu
cd "$(dirname "$0")/.."
inkan=${1:-build/inkan}
"$inkan" version
