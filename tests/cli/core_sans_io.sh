#!/bin/bash
# core_sans_io.sh - the core (src/core) is sans-I/O: it includes no header
# for files, sockets, processes or the clock, and calls no such function
# or getenv.  <stdio.h> is there for snprintf/vsnprintf into memory only
# (str.c, dkim_*.c, mailhdr.c), so it is allowed but every FILE-based name
# is refused; OpenSSL is allowed its memory BIOs, not its FILE
# functions (PEM_read_PrivateKey, BIO_new_file...).  Comments are ignored.
set -u
. "$INKAN_SRC/tests/cli/lib.sh"

BAD_HEADERS='unistd\.h|fcntl\.h|time\.h|sys/time\.h|sys/socket\.h|sys/un\.h|sys/stat\.h|sys/mman\.h|sys/select\.h|sys/epoll\.h|sys/ioctl\.h|sys/wait\.h|netdb\.h|dirent\.h|poll\.h|signal\.h|syslog\.h|dlfcn\.h|termios\.h'
BAD_CALLS='getenv|secure_getenv|setenv|putenv|unsetenv|fopen|fdopen|freopen|fclose|fread|fwrite|fgets|fputs|fputc|fprintf|vfprintf|printf|vprintf|puts|putchar|getchar|perror|fflush|fileno|tmpfile|popen|remove|rename|open|openat|creat|read|write|close|socket|connect|bind|listen|accept|send|recv|sendto|recvfrom|select|poll|time|clock|clock_gettime|gettimeofday|localtime|localtime_r|sleep|usleep|nanosleep|system|fork|exec[lv]p?e?|exit|_exit|BIO_new_file|BIO_new_fp|ERR_print_errors_fp|PEM_(read|write)_[A-Z][A-Za-z_]*'
BAD_NAMES='FILE|stdin|stdout|stderr'

# scan DIR - print FILE:LINE: what, for each I/O use under DIR
scan() {
    find "$1" -name '*.[ch]' | sort | while read -r f; do
        # Blank out comments, keeping the line count.
        perl -0777 -pe 's{/\*.*?\*/}{ (my $c = $&) =~ tr/\n//cd; " $c" }gse; s{//[^\n]*}{}g' "$f" |
        grep -nE "#[[:space:]]*include[[:space:]]*<($BAD_HEADERS)>|(^|[^A-Za-z0-9_.>])($BAD_CALLS)[[:space:]]*\(|(^|[^A-Za-z0-9_])($BAD_NAMES)([^A-Za-z0-9_]|$)" |
        sed "s|^|$f:|"
    done
}

# The scanner itself: each kind of use is caught, comments and names that
# merely contain a refused one (ink_str_printf, x.read(), ->close) are not.
mkdir -p "$TMPDIR_TEST/core"
cat >"$TMPDIR_TEST/core/bad.c" <<'C'
#include <time.h>
/* fopen(x) in a comment is fine; so is #include <unistd.h> */
static int f(void) { return getenv("HOME") != 0; }
static void g(FILE *fp) { (void)fp; }
static void h(void) { ink_str_printf(0, "x"); s.read(); p->close(); }
C
got=$(scan "$TMPDIR_TEST/core" | sed 's|.*/bad.c:||; s|:.*||' | tr '\n' ' ')
if [ "$got" = "1 3 4 " ]; then _ok "scanner catches lines 1 3 4 of the sample"
else _notok "scanner on the sample: lines '$got' (wanted '1 3 4 ')"; fi

scan "$INKAN_SRC/src/core" >"$TMPDIR_TEST/found"
if [ ! -s "$TMPDIR_TEST/found" ]; then _ok "src/core uses no I/O header or call"
else _notok "I/O in src/core:"; sed 's/^/#   /' "$TMPDIR_TEST/found"; fi
n=$(find "$INKAN_SRC/src/core" -name '*.c' | wc -l)
if [ "$n" -gt 20 ]; then _ok "$n core files scanned"; else _notok "only $n core files found"; fi
finish
