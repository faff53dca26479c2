# postfix.sh - a private Postfix instance on loopback in front of
# `inkan milter`, for the tests/cli/milter-*.sh scripts.  Source it after
# tests/cli/lib.sh:
#
#   . "$INKAN_SRC/tests/lib/postfix.sh"
#   pf_require                      # exits 77 (1 under CI=true) without postfix, swaks or root
#   pf_begin                        # (or:) pf_require, T, verify_lib.sh's messages and zone
#   MPORT=$(pf_free_port)
#   pf_setup "$T" "$MPORT"          # writes the configuration; exports PF, PF_SPORT, PF_OUT
#   trap 'pf_stop_all; ...' EXIT
#   pf_up "$T/milter.yaml" "$MPORT" # milter_start, then pf_start, as checks
#     (or each alone:)
#   milter_start "$T/milter.yaml" "$MPORT"   # MPID; stderr in $T/milter.err
#   pf_start                        # postfix -c "$PF" start, waits for smtpd
#   pf_send NAME FILE FROM [SRC] [TO]        # swaks; transcript in $T/NAME.swaks
#   pf_wait_delivered N             # until N messages are in $PF_OUT
#   F=$(pf_send_wait NAME FILE FROM [SRC] [TO])   # pf_send; the copy it delivered
#   F=$(pf_wait_message ID)         # the copy with Message-ID <ID>
#   pf_stop                         # postfix stop; 0 once the master process is gone
#   pf_down                         # pf_stop, then SIGTERM to the milter, as checks
#   pf_finish                       # the logs' ends after a failed check; finish
#
# pf_setup DIR MPORT  DIR must exist (it is made world-searchable: Postfix's
#     daemons and the sink, user nobody, reach into it).  Postfix gets its
#     own configuration directory DIR/postfix, queue DIR/queue, data
#     DIR/data and log DIR/maillog; smtpd listens on 127.0.0.1:PF_SPORT (a
#     free port, unless PF_SPORT is set) with smtpd_milters = inet:127.0.0.1:MPORT and
#     milter_default_action = tempfail; mail for example.net is delivered
#     by a pipe sink that writes each copy to PF_OUT/QUEUEID.RECIPIENT.eml
#     (one recipient per delivery); nothing is sent off this machine
#     (default_transport is error:).  PF_MAIN_EXTRA and PF_MASTER_EXTRA,
#     when set, are appended to main.cf and master.cf.
# pf_send NAME FILE FROM [SRC] [TO]  swaks from SRC (default 127.0.0.2, not
#     an internal network of the tests) to TO (default bob@example.net; a
#     comma-separated list gives several RCPT in one transaction) on
#     PF_SEND_PORT (default PF_SPORT), HELO mail.example.org.
# milter_start CONFIG PORT  starts `inkan milter --config CONFIG -f -v`
#     (stdout and stderr appended to $T/milter.out and $T/milter.err, T
#     being the directory given to pf_setup), sets MPID, and returns 0 once
#     127.0.0.1:PORT accepts connections.
# pf_stop_all  postfix stop and kill MPID (for an EXIT trap).
# pf_begin  what most milter tests start with: pf_require, T=$TMPDIR_TEST,
#     and tests/cli/verify_lib.sh's messages, keys and zone under T
#     (verify_setup: source verify_lib.sh before this file); when they
#     cannot be made: a failed check, finish, exit 1.
# pf_up CONFIG PORT  milter_start and pf_start, each a check of lib.sh; when
#     Postfix does not start: finish, exit 1 (so set the EXIT trap before).
# pf_send_wait NAME FILE FROM [SRC] [TO]  pf_send, then wait for one copy
#     more than the sink held before it; prints the newest copy's path
#     (nothing when none came within the wait).  One message, one
#     recipient, and nothing else in flight: it counts copies.
# pf_wait_message ID  waits until a delivered copy has "Message-ID: <ID>";
#     prints its path (the first), or nothing and 1 when none came.
# pf_down  pf_stop, then (MPID set) SIGTERM to the milter, each a check:
#     Postfix's master gone, the milter's exit status 0; MPID is cleared.
# pf_finish  after a failed check, the last lines of the milter's stderr
#     (without per-client lines) and of the maillog; then lib.sh's finish.
#
# Documentation names and addresses only (RFC 2606, RFC 5737).

# Tenths of a second to wait for a daemon to listen or for a delivery.
PF_WAIT_TENTHS=${PF_WAIT_TENTHS:-100}

# pf_require - skip (77) when this machine cannot run a private Postfix
pf_require() {
    local tool
    for tool in postfix swaks postconf postqueue; do
        if ! command -v "$tool" >/dev/null && [ ! -x "/usr/sbin/$tool" ]; then
            echo "# $tool is missing: ./scripts/install-deps.sh"
            [ "${CI:-}" = true ] && exit 1
            exit 77
        fi
    done
    if [ "$(id -u)" != 0 ]; then
        echo "# a private Postfix instance needs root (postfix start); skipped"
        [ "${CI:-}" = true ] && exit 1
        exit 77
    fi
    PATH=/usr/sbin:$PATH
}

# pf_free_port - a TCP port free on 127.0.0.1 now
pf_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# pf_wait_listen PORT - until something accepts on 127.0.0.1:PORT
pf_wait_listen() {
    local _
    for _ in $(seq "$PF_WAIT_TENTHS"); do
        python3 -c "import socket; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# pf_setup DIR MPORT - write the private Postfix configuration
pf_setup() {
    _pf_t=$1
    local mport=$2
    PF=$_pf_t/postfix
    PF_OUT=$_pf_t/delivered
    PF_SPORT=${PF_SPORT:-$(pf_free_port)}
    while [ "$PF_SPORT" = "$mport" ]; do PF_SPORT=$(pf_free_port); done
    export PF PF_OUT PF_SPORT
    chmod 755 "$_pf_t"
    mkdir -p "$PF" "$PF_OUT" "$_pf_t/queue" "$_pf_t/data"
    chown postfix "$_pf_t/data"
    chmod 1777 "$PF_OUT"
    cat >"$_pf_t/sink.sh" <<SINK
#!/bin/sh
# the delivery sink: one file per delivered copy (queue id, recipient),
# written under a hidden name and renamed, so that a copy is seen whole
cat >"$PF_OUT/.\$\$.tmp" && mv "$PF_OUT/.\$\$.tmp" "$PF_OUT/\$1\${2:+.\$2}.eml"
SINK
    chmod 755 "$_pf_t/sink.sh"
    cat >"$PF/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $_pf_t/queue
data_directory = $_pf_t/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.example.net
mydomain = example.net
myorigin = example.net
inet_interfaces = loopback-only
inet_protocols = ipv4
mydestination = example.net
mynetworks = 127.0.0.0/8
local_recipient_maps =
local_transport = sink
default_transport = error:no delivery off this machine
relayhost =
alias_maps =
alias_database =
smtpd_milters = inet:127.0.0.1:$mport
non_smtpd_milters =
milter_default_action = tempfail
milter_protocol = 6
milter_connect_timeout = 5s
milter_command_timeout = 20s
milter_content_timeout = 20s
maillog_file = $_pf_t/maillog
maillog_file_prefixes = $_pf_t
smtpd_banner = \$myhostname ESMTP
biff = no
smtputf8_enable = no
sink_destination_recipient_limit = 1
${PF_MAIN_EXTRA:-}
CF
    cat >"$PF/master.cf" <<MCF
127.0.0.1:$PF_SPORT inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
sink      unix  -       n       n       -       -       pipe
  flags=q user=nobody argv=$_pf_t/sink.sh \${queue_id} \${recipient}
${PF_MASTER_EXTRA:-}
MCF
}

# pf_start - start the instance; 0 once smtpd answers
pf_start() {
    postfix -c "$PF" check >"$_pf_t/pf-check" 2>&1 || sed "s/^/#   /" "$_pf_t/pf-check" "$_pf_t/maillog" 2>/dev/null
    if ! postfix -c "$PF" start >"$_pf_t/pf-start" 2>&1; then
        sed 's/^/#   /' "$_pf_t/pf-start" "$_pf_t/pf-check" | head -20
        return 1
    fi
    pf_wait_listen "$PF_SPORT"
}

# pf_stop - stop the instance; 0 once its master process is gone (PF_MASTER)
pf_stop() {
    local _
    PF_MASTER=$(head -1 "$_pf_t/queue/pid/master.pid" 2>/dev/null | tr -d ' ')
    postfix -c "$PF" stop >/dev/null 2>&1
    for _ in $(seq 50); do
        [ -n "$PF_MASTER" ] && kill -0 "$PF_MASTER" 2>/dev/null || break
        sleep 0.1
    done
    [ -n "$PF_MASTER" ] && ! kill -0 "$PF_MASTER" 2>/dev/null
}

# pf_send NAME FILE FROM [SRC] [TO] - one transaction with swaks
pf_send() {
    swaks --server 127.0.0.1 --port "${PF_SEND_PORT:-$PF_SPORT}" --local-interface "${4:-127.0.0.2}" \
        --helo mail.example.org --from "$3" --to "${5:-bob@example.net}" \
        --data "$2" --timeout 30 >"$_pf_t/$1.swaks" 2>&1
}

# pf_delivered - how many copies the sink has written
pf_delivered() {
    ls "$PF_OUT" | wc -l
}

# pf_wait_delivered N - until the sink has N copies (0), or the wait is over (1)
pf_wait_delivered() {
    local _
    for _ in $(seq "$PF_WAIT_TENTHS"); do
        [ "$(pf_delivered)" -ge "$1" ] && return 0
        sleep 0.1
    done
    return 1
}

# milter_start CONFIG PORT - the milter in the foreground of a background job
milter_start() {
    "$INKAN" milter --config "$1" -f -v >>"$_pf_t/milter.out" 2>>"$_pf_t/milter.err" &
    MPID=$!
    pf_wait_listen "$2"
}

# pf_stop_all - stop Postfix and the milter (EXIT trap)
pf_stop_all() {
    postfix -c "$PF" stop >/dev/null 2>&1
    [ -n "${MPID:-}" ] && kill "$MPID" 2>/dev/null
}

# pf_begin - skip without Postfix; T and the shared messages and zone, or exit 1
pf_begin() {
    pf_require
    T=$TMPDIR_TEST
    if ! verify_setup "$T"; then
        _notok "set up the messages and the zone"
        finish
        exit 1
    fi
}

# pf_up CONFIG PORT - the milter, then Postfix, each a check; exits when Postfix does not start
pf_up() {
    check "the milter listens" milter_start "$1" "$2"
    if ! pf_start; then
        _notok "postfix -c DIR start"
        finish
        exit 1
    fi
    _ok "postfix -c DIR start"
}

# pf_send_wait NAME FILE FROM [SRC] [TO] - send one message; the path of its delivered copy
pf_send_wait() {
    local have
    have=$(pf_delivered)
    pf_send "$@"
    pf_wait_delivered $((have + 1)) && ls -t "$PF_OUT"/*.eml | head -1
}

# pf_wait_message ID - the path of the delivered copy of Message-ID <ID>, once there
pf_wait_message() {
    local _ f
    for _ in $(seq "$PF_WAIT_TENTHS"); do
        f=$(grep -l "^Message-ID: <$1>" "$PF_OUT"/*.eml 2>/dev/null | head -1)
        [ -n "$f" ] && echo "$f" && return 0
        sleep 0.1
    done
    return 1
}

# pf_down - stop Postfix and the milter, checking that both end cleanly
pf_down() {
    local rc
    pf_stop
    rc=$?
    check "postfix master (${PF_MASTER:-no pid}) is gone" test "$rc" = 0
    if [ -n "${MPID:-}" ]; then
        kill -TERM "$MPID"
        wait "$MPID"
        rc=$?
        check "SIGTERM: the milter exits cleanly (status $rc)" test "$rc" = 0
        MPID=
    fi
}

# pf_finish - the logs' last lines when a check failed, then finish
pf_finish() {
    if [ "$_fails" != 0 ]; then
        echo "# milter stderr:"; grep -v 'client=' "$_pf_t/milter.err" 2>/dev/null | sed 's/^/#   /' | tail -20
        echo "# maillog:"; sed 's/^/#   /' "$_pf_t/maillog" 2>/dev/null | tail -40
    fi
    finish
}
