#!/bin/bash
# basics.sh - the inkan binary's top level: help, version, exit codes.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"

expect_exit 0 "$INKAN" --help
expect_out_contains "usage: inkan" "$INKAN" --help
expect_exit 0 "$INKAN" version
expect_exit 2 "$INKAN"
expect_exit 2 "$INKAN" no-such-command
expect_err_contains "no-such-command" "$INKAN" no-such-command
finish
