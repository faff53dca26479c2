#!/bin/bash
# milter-burst.sh - `make soak`: tests/cli/milter-postfix.sh with a burst
# of 2,000 messages over 20 connections through a real Postfix and
# `inkan milter` (every message delivered and signed, the milter's open
# descriptors the same before and after). `make test` runs it with 300/6.
# Usage: INKAN=build/inkan INKAN_SRC=. bash tests/soak/milter-burst.sh
set -u
BURST=2000 BURST_SESSIONS=20 exec bash "$INKAN_SRC/tests/cli/milter-postfix.sh"
