# dovecot.sh - a private Dovecot (Debian `dovecot-imapd`) for a test:
# IMAPS on a free 127.0.0.1 port with a certificate made here by openssl,
# one passwd-file user `reports` (password s3cret-pw), Maildir in the
# test's directory.  Source it from a bash test script:
#
#   . "$INKAN_SRC/tests/lib/dovecot.sh"
#   dovecot_setup "$T" || exit $?      # 77 (skip) when dovecot/openssl are missing
#   ... put messages in "$DOVECOT_MAILDIR/new", then dovecot_chown ...
#   dovecot_start "$DOVECOT_CONF"      # DPID: its master's PID ("" if it did not start)
#   ... imaps://reports@127.0.0.1:$DOVECOT_PORT/INBOX, --ca "$T/cert.pem",
#       the password in "$T/pw" ...
#   dovecot_stop                       # TERM its master by PID, KILL if it lingers
#
# dovecot_setup DIR writes DIR/cert.pem, DIR/key.pem, DIR/passwd, DIR/pw
# (the right password), DIR/badpw (a wrong one), DIR/home/reports/Maildir
# and DIR/dc/dovecot.conf, and sets DOVECOT, DOVECOT_PORT, DOVECOT_CONF,
# DOVECOT_MAILDIR, MUSER and MGROUP (the user the mail processes run as:
# the test's own, or nobody when the test runs as root, as Dovecot
# refuses mail access as root).

# dovecot_setup DIR - see above; 0, or 77 when dovecot or openssl is missing
dovecot_setup() {
    local t=$1
    DOVECOT=$(command -v dovecot || echo /usr/sbin/dovecot)
    if [ ! -x "$DOVECOT" ] || ! command -v openssl >/dev/null; then
        echo "# dovecot (dovecot-imapd) or openssl is missing: ./scripts/install-deps.sh"
        [ "${CI:-}" = true ] && return 1
        return 77
    fi
    chmod 755 "$t" # the mail processes (nobody, when the test runs as root) reach into it
    if [ "$(id -u)" = 0 ]; then
        MUSER=nobody
        MGROUP=$(id -gn nobody)
    else
        MUSER=$(id -un)
        MGROUP=$(id -gn)
    fi
    DOVECOT_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
        -keyout "$t/key.pem" -out "$t/cert.pem" >/dev/null 2>&1
    printf 'reports:{PLAIN}s3cret-pw\n' >"$t/passwd"
    printf 's3cret-pw\n' >"$t/pw"
    printf 'wrong\n' >"$t/badpw"
    DOVECOT_MAILDIR=$t/home/reports/Maildir
    mkdir -p "$DOVECOT_MAILDIR/cur" "$DOVECOT_MAILDIR/new" "$DOVECOT_MAILDIR/tmp" "$t/dc"
    DOVECOT_CONF=$t/dc/dovecot.conf
    DOVECOT_DIR=$t
    cat >"$DOVECOT_CONF" <<EOF
protocols = imap
listen = 127.0.0.1
base_dir = $t/dc/run
state_dir = $t/dc/state
instance_name = inkan-test-$$
log_path = $t/dc/log
ssl = required
ssl_cert = <$t/cert.pem
ssl_key = <$t/key.pem
disable_plaintext_auth = yes
auth_mechanisms = plain
default_internal_user = $MUSER
default_internal_group = $MGROUP
default_login_user = $MUSER
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $t/passwd
}
userdb {
  driver = static
  args = uid=$MUSER gid=$MGROUP home=$t/home/%u
}
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  separator = /
}
service imap-login {
  chroot =
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    port = $DOVECOT_PORT
    ssl = yes
  }
}
service anvil {
  chroot =
}
service stats {
  unix_listener stats-reader {
    mode = 0666
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
EOF
    chmod 644 "$t/passwd" "$t/key.pem"
    return 0
}

# dovecot_chown - the mail files to the mail user (after adding messages)
dovecot_chown() {
    chown -R "$MUSER:$MGROUP" "$DOVECOT_DIR/home"
}

# dovecot_start CONF - start it, wait for its port; DPID is its master's PID
dovecot_start() {
    rm -f "$DOVECOT_DIR/dc/run/master.pid"
    "$DOVECOT" -c "$1" 2>"$DOVECOT_DIR/dc/start.err"
    for _ in $(seq 1 50); do
        [ -s "$DOVECOT_DIR/dc/run/master.pid" ] &&
            (exec 3<>/dev/tcp/127.0.0.1/$DOVECOT_PORT) 2>/dev/null && break
        sleep 0.1
    done
    DPID=$(cat "$DOVECOT_DIR/dc/run/master.pid" 2>/dev/null)
}

# dovecot_stop - TERM its master by PID, KILL if it lingers
dovecot_stop() {
    if [ -n "${DPID:-}" ]; then
        kill "$DPID" 2>/dev/null
        for _ in $(seq 1 50); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$DPID" 2>/dev/null
    fi
}
