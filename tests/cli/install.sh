#!/bin/bash
# install.sh - `make install PREFIX=DIR [DESTDIR=STAGE]` installs into DIR
# even when the build directory was set up earlier with another prefix
# (as `make run` does), and the real build installs the command, the
# libraries, the headers, the man page and inkan.pc.
#
# The Makefile is exercised on a tiny Meson project of its own (building
# inkan again would take minutes); the real build is installed with meson
# into a staging directory, which leaves its configuration alone.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"
T=$TMPDIR_TEST

# a one-program project standing in for inkan
mkdir -p "$T/proj"
cat >"$T/proj/meson.build" <<'MESON'
project('installtest', 'c')
executable('installtest-hello', 'hello.c', install : true)
install_data('hello.txt', install_dir : get_option('datadir') / 'installtest')
MESON
printf 'int main(void) { return 0; }\n' >"$T/proj/hello.c"
echo hello >"$T/proj/hello.txt"
if ! meson setup "$T/build" "$T/proj" --prefix="$T/stale" >"$T/setup.log" 2>&1; then
    _notok "meson setup of the test project"; cat "$T/setup.log"; finish; exit 1
fi

# PREFIX differs from the build's: it takes effect
expect_exit 0 make -s -C "$INKAN_SRC" install BUILD="$T/build" PREFIX="$T/inst"
check "PREFIX: the program is under PREFIX/bin" test -x "$T/inst/bin/installtest-hello"
check "PREFIX: data under PREFIX/share" test -f "$T/inst/share/installtest/hello.txt"
check "PREFIX: nothing under the build's old prefix" test ! -e "$T/stale"
expect_out_contains "prefix $T/inst2 (the build was set up with $T/inst)" \
    make -s -C "$INKAN_SRC" install BUILD="$T/build" PREFIX="$T/inst2"
check "a second PREFIX takes effect too" test -x "$T/inst2/bin/installtest-hello"

# DESTDIR stages the PREFIX tree under it
expect_exit 0 make -s -C "$INKAN_SRC" install BUILD="$T/build" PREFIX="$T/inst3" DESTDIR="$T/stage"
check "DESTDIR: the program is under DESTDIR/PREFIX/bin" test -x "$T/stage$T/inst3/bin/installtest-hello"
check "DESTDIR: nothing under PREFIX itself" test ! -e "$T/inst3"

# what the real build installs (staged; its prefix stays as it is)
B=${INKAN_BUILD:?INKAN_BUILD is not set (tests/meson.build sets it)}
prefix=$(meson introspect --buildoptions "$B" | python3 -c \
    'import json, sys; print([o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"][0])')
expect_exit 0 meson install -C "$B" --no-rebuild --destdir "$T/real" --quiet
R=$T/real$prefix
check "inkan installed" test -x "$R/bin/inkan"
check "libinkan.so installed" sh -c "ls '$R'/lib*/libinkan.so* '$R'/lib*/*/libinkan.so* 2>/dev/null | grep -q ."
check "libinkan.a installed" sh -c "ls '$R'/lib*/libinkan.a '$R'/lib*/*/libinkan.a 2>/dev/null | grep -q ."
check "inkan.pc installed" sh -c "ls '$R'/lib*/pkgconfig/inkan.pc '$R'/lib*/*/pkgconfig/inkan.pc 2>/dev/null | grep -q ."
check "public headers installed" test -f "$R/include/inkan/spf.h"
check "man page installed" test -f "$R/share/man/man1/inkan.1"
check "platform map installed where inkan looks for it by default" test -f "$R/share/inkan/platforms.yaml"
check "  ... and the help names that path" sh -c "'$INKAN' report --help | grep -qF '$prefix/share/inkan/platforms.yaml'"
finish
