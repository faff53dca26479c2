# postgres.sh - run a private PostgreSQL server (Debian's `postgresql`:
# initdb, pg_ctl) for the duration of a test, reachable only through a
# Unix socket in its own temporary directory (listen_addresses = '').
# Source it from a bash test script:
#
#   . "$INKAN_SRC/tests/lib/postgres.sh"
#   pg_start || exit $?        # 77 (skip) when it cannot run here
#   uri=$(pg_createdb reports) # postgresql:///reports?host=...&user=inkan
#   "$PG_BIN/psql" "$uri" -Atc 'select count(*) from reports'
#   pg_stop                    # also run automatically when the script exits
#
# pg_start   initdb into a fresh directory (trust authentication for the
#     superuser "inkan", over the socket only), start the server with
#     pg_ctl and wait until it accepts connections.  Exports PG_DIR,
#     PG_SOCK (the socket directory), PG_PID (the postmaster's) and PG_URI
#     (the "postgres" database).  initdb refuses to run as root: as root
#     the server runs as the unprivileged user PG_USER (default nobody,
#     through runuser or setpriv).  Returns 77 with the reason printed
#     when that is impossible or the binaries are missing, 1 (after
#     printing the server's log) when it does not start.
# pg_createdb NAME  create database NAME and print its URI.
# pg_restart  stop and start the server (clients' connections drop: what a
#     long-running client sees when the database is restarted); PG_PID is
#     the new postmaster's.
# pg_stop    stop the postmaster by its PID (fast shutdown, then SIGKILL
#     after PG_STOP_SECONDS), wait for it, remove PG_DIR.
#
# Nothing listens on a network address; nothing is left behind.

# Seconds to wait for the server to start and to stop.
PG_START_SECONDS=${PG_START_SECONDS:-30}
PG_STOP_SECONDS=${PG_STOP_SECONDS:-15}
# The newest installed server's binaries, unless given.
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
PG_USER=${PG_USER:-nobody}

PG_DIR=
PG_SOCK=
PG_PID=
PG_URI=
_pg_trap_set=
_pg_as=()   # the command prefix that runs a server program as its user

# _pg_run CMD... - run a server program as the server's user
_pg_run() {
    "${_pg_as[@]}" "$@"
}

# pg_start - initdb, start, wait (see the top of the file)
pg_start() {
    local i
    if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ] || [ ! -x "$PG_BIN/pg_ctl" ]; then
        echo "# postgres.sh: initdb/pg_ctl not found (the postgresql package): skipped"
        return 77
    fi
    _pg_as=()
    if [ "$(id -u)" = 0 ]; then
        if ! id -u "$PG_USER" >/dev/null 2>&1; then
            echo "# postgres.sh: running as root and there is no user $PG_USER to run the server as: skipped"
            return 77
        fi
        if command -v runuser >/dev/null; then
            _pg_as=(runuser -u "$PG_USER" --)
        elif command -v setpriv >/dev/null; then
            _pg_as=(setpriv --reuid="$PG_USER" --regid="$(id -g "$PG_USER")" --clear-groups --)
        else
            echo "# postgres.sh: running as root without runuser or setpriv: skipped"
            return 77
        fi
    fi
    PG_DIR=$(mktemp -d /tmp/inkan-pg.XXXXXX) || return 1
    if [ -z "$_pg_trap_set" ]; then
        # Run pg_stop at exit, before whatever EXIT trap the script had.
        local prev
        eval "set -- $(trap -p EXIT)"
        prev=${3:-}
        # shellcheck disable=SC2064
        trap "pg_stop; $prev" EXIT
        _pg_trap_set=1
    fi
    PG_SOCK=$PG_DIR/sock
    mkdir -p "$PG_SOCK" "$PG_DIR/data"
    chmod 755 "$PG_DIR"
    [ "${#_pg_as[@]}" -gt 0 ] && chown "$PG_USER" "$PG_SOCK" "$PG_DIR/data"
    if ! _pg_run "$PG_BIN/initdb" -D "$PG_DIR/data" -U inkan --auth=trust -E UTF8 \
        --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 </dev/null; then
        if grep -q "cannot be run as root\|Permission denied" "$PG_DIR/initdb.log"; then
            echo "# postgres.sh: initdb cannot run here: skipped"
            sed 's/^/#   /' "$PG_DIR/initdb.log" | tail -3
            return 77
        fi
        echo "# postgres.sh: initdb failed:"
        sed 's/^/#   /' "$PG_DIR/initdb.log" | tail -10
        return 1
    fi
    # the log in the data directory: the server's user can write there
    if ! _pg_run "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/data/server.log" -w \
        -t "$PG_START_SECONDS" -o "-c listen_addresses='' -k $PG_SOCK -c fsync=off \
        -c synchronous_commit=off -c full_page_writes=off -c max_connections=40 \
        -c shared_buffers=16MB" start >"$PG_DIR/pg_ctl.log" 2>&1 </dev/null; then
        echo "# postgres.sh: the server did not start:"
        sed 's/^/#   /' "$PG_DIR/pg_ctl.log" "$PG_DIR/data/server.log" 2>/dev/null | tail -15
        return 1
    fi
    for i in $(seq 1 50); do
        PG_PID=$(head -n 1 "$PG_DIR/data/postmaster.pid" 2>/dev/null)
        [ -n "$PG_PID" ] && break
        sleep 0.1
    done
    PG_URI="postgresql:///postgres?host=$PG_SOCK&user=inkan"
    if ! "$PG_BIN/psql" "$PG_URI" -Atqc 'select 1' >/dev/null 2>&1; then
        echo "# postgres.sh: the server does not answer on $PG_SOCK"
        return 1
    fi
    return 0
}

# pg_createdb NAME - a new database; prints its URI
pg_createdb() {
    "$PG_BIN/psql" "$PG_URI" -Atqc "CREATE DATABASE \"$1\"" >/dev/null || return 1
    echo "postgresql:///$1?host=$PG_SOCK&user=inkan"
}

# pg_restart - restart the server in place (fast shutdown)
pg_restart() {
    local i
    _pg_run "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/data/server.log" -w \
        -t "$PG_START_SECONDS" -m fast restart >"$PG_DIR/pg_ctl.log" 2>&1 </dev/null || return 1
    for i in $(seq 1 50); do
        PG_PID=$(head -n 1 "$PG_DIR/data/postmaster.pid" 2>/dev/null)
        [ -n "$PG_PID" ] && break
        sleep 0.1
    done
    "$PG_BIN/psql" "$PG_URI" -Atqc 'select 1' >/dev/null 2>&1
}

# pg_stop - stop the server by its PID and remove its directory
pg_stop() {
    local i
    if [ -n "$PG_PID" ] && kill -INT "$PG_PID" 2>/dev/null; then
        for i in $(seq 1 $((PG_STOP_SECONDS * 10))); do
            kill -0 "$PG_PID" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$PG_PID" 2>/dev/null; then
            echo "# postgres.sh: the server ($PG_PID) did not stop: killed"
            kill -KILL "$PG_PID" 2>/dev/null
        fi
    fi
    PG_PID=
    if [ -n "$PG_DIR" ]; then
        rm -rf "$PG_DIR"
        PG_DIR=
    fi
}
