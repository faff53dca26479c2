/*
 * signer.c - the signer process (inkan/signer.h): a forked child that
 * alone opens the DKIM private keys, drops privileges and signs header
 * digests asked for over a socketpair, and the parent's side of that
 * socket.  An adapter, not core: it forks, reads files, uses sockets and
 * the clock.  The parent never reads a key file, so no private key byte
 * is ever in its memory (tests/unit/test_signer.c scans it to show so).
 */
#include "inkan/signer.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "inkan/dkim_prim.h"

/* Message types on the wire. */
enum {
    MSG_KEY = 1,   /* signer -> parent at start: one key's public facts */
    MSG_READY = 2, /* signer -> parent: every key loaded, privileges dropped */
    MSG_ERROR = 3, /* either way: u8 status, text */
    MSG_SIGN = 4,  /* parent -> signer: u8 idlen, id, u8 digest length, digest */
    MSG_SIG = 5,   /* signer -> parent: the raw signature */
};

/* Milliseconds ink_signer_stop waits for the signer to exit after its
 * socket closes before killing it (a stopped signer never exits). */
#define SIGNER_STOP_GRACE_MS 1000
/* Milliseconds the parent waits for a signer whose socket closed to be
 * reaped, to say how it ended. */
#define SIGNER_DEATH_WAIT_MS 200
/* Milliseconds between two looks at an exiting signer. */
#define SIGNER_STOP_POLL_MS 10
/* The fd the signer keeps its socket on (every other one above is closed). */
#define SIGNER_CHILD_FD 3

struct ink_signer {
    int fd;
    pid_t pid;
    int broken;            /* DEAD or TIMEOUT seen: the stream is out of step */
    enum ink_signer_status broken_status;
    int reply_timeout_ms;
    struct ink_signer_key keys[INK_SIGNER_KEYS_MAX];
    size_t nkeys;
};

/* ---- framing (both sides) ---- */

/* put_hdr - write a message header for type and len into h */
static void put_hdr(uint8_t h[INK_SIGNER_HDR_LEN], uint8_t type, size_t len)
{
    h[0] = INK_SIGNER_WIRE_VERSION;
    h[1] = type;
    h[2] = h[3] = 0;
    h[4] = (uint8_t)(len >> 24);
    h[5] = (uint8_t)(len >> 16);
    h[6] = (uint8_t)(len >> 8);
    h[7] = (uint8_t)len;
}

/* send_all - write all of buf; 0, or -1 (errno: EPIPE when the peer is gone) */
static int send_all(int fd, const uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* send_msg - one message: header then payload; 0/-1 */
static int send_msg(int fd, uint8_t type, const uint8_t *payload, size_t len)
{
    uint8_t buf[INK_SIGNER_HDR_LEN + INK_SIGNER_PAYLOAD_MAX];

    if (len > INK_SIGNER_PAYLOAD_MAX) {
        errno = EMSGSIZE;
        return -1;
    }
    put_hdr(buf, type, len);
    if (len)
        memcpy(buf + INK_SIGNER_HDR_LEN, payload, len);
    return send_all(fd, buf, INK_SIGNER_HDR_LEN + len);
}

/* now_ms - the monotonic clock in milliseconds */
static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Results of recv_full. */
enum { RECV_OK = 0, RECV_EOF = -1, RECV_TIMEOUT = -2, RECV_ERROR = -3 };

/* recv_full - read exactly len bytes by deadline (ms on the monotonic
 * clock; -1 waits for ever, the signer's side) */
static int recv_full(int fd, uint8_t *buf, size_t len, int64_t deadline)
{
    while (len > 0) {
        ssize_t n;
        if (deadline >= 0) {
            struct pollfd p = {.fd = fd, .events = POLLIN};
            int64_t left = deadline - now_ms();
            int r;
            if (left <= 0)
                return RECV_TIMEOUT;
            r = poll(&p, 1, left > 1000000 ? 1000000 : (int)left);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0)
                return RECV_ERROR;
            if (r == 0)
                return RECV_TIMEOUT;
        }
        n = read(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == ECONNRESET ? RECV_EOF : RECV_ERROR;
        if (n == 0)
            return RECV_EOF;
        buf += n;
        len -= (size_t)n;
    }
    return RECV_OK;
}

/* recv_msg - one message into payload (INK_SIGNER_PAYLOAD_MAX bytes);
 * RECV_* or 1 when the header is not ours (version, reserved bytes, length) */
static int recv_msg(int fd, int64_t deadline, uint8_t *type, uint8_t *payload, size_t *len)
{
    uint8_t h[INK_SIGNER_HDR_LEN];
    uint32_t n;
    int r = recv_full(fd, h, sizeof(h), deadline);

    if (r != RECV_OK)
        return r;
    n = (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 | (uint32_t)h[6] << 8 | h[7];
    if (h[0] != INK_SIGNER_WIRE_VERSION || h[2] || h[3] || n > INK_SIGNER_PAYLOAD_MAX)
        return 1;
    *type = h[1];
    *len = n;
    return n ? recv_full(fd, payload, n, deadline) : RECV_OK;
}

/* send_error - an ERROR message: status byte and text */
static int send_error(int fd, enum ink_signer_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int send_error(int fd, enum ink_signer_status st, const char *fmt, ...)
{
    uint8_t buf[512];
    va_list ap;
    int n;

    buf[0] = (uint8_t)st;
    va_start(ap, fmt);
    n = vsnprintf((char *)buf + 1, sizeof(buf) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n > sizeof(buf) - 2)
        n = (int)sizeof(buf) - 2;
    return send_msg(fd, MSG_ERROR, buf, 1 + (size_t)n);
}

/* ---- the signer process ---- */

struct child_key {
    char id[INK_SIGNER_ID_MAX + 1];
    struct ink_dkim_privkey *key;
};

/* child_load - open, check and parse one key file; the key, or NULL after
 * telling the parent why (the message names the file) */
static struct ink_dkim_privkey *child_load(int fd, const char *path)
{
    struct ink_str pem = INK_STR_INIT, err = INK_STR_INIT;
    struct ink_dkim_privkey *k = NULL;
    struct stat st;
    int kf;

    /* O_NONBLOCK: a FIFO put in the key's place must not hang the open */
    kf = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (kf < 0) {
        send_error(fd, INK_SIGNER_START_FAILED, "cannot open the key file %s: %s", path,
                   strerror(errno));
        return NULL;
    }
    if (fstat(kf, &st) < 0 || !S_ISREG(st.st_mode)) {
        send_error(fd, INK_SIGNER_START_FAILED, "the key file %s is not a regular file", path);
        goto out;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        /* as OpenSSH refuses an identity file others can read */
        send_error(fd, INK_SIGNER_START_FAILED,
                   "permissions %04o for the key file %s are too open: a private key must "
                   "not be accessible by group or others (chmod 600 %s)",
                   (unsigned)(st.st_mode & 07777), path, path);
        goto out;
    }
    if (st.st_uid != geteuid() && st.st_uid != 0) {
        send_error(fd, INK_SIGNER_START_FAILED,
                   "the key file %s is owned by uid %u, neither this user nor root", path,
                   (unsigned)st.st_uid);
        goto out;
    }
    if (st.st_size > INK_SIGNER_KEYFILE_MAX || ink_str_reserve(&pem, (size_t)st.st_size + 1) < 0) {
        send_error(fd, INK_SIGNER_START_FAILED, "the key file %s is larger than %d bytes", path,
                   INK_SIGNER_KEYFILE_MAX);
        goto out;
    }
    for (;;) {
        ssize_t n;
        if (pem.len >= INK_SIGNER_KEYFILE_MAX) {
            send_error(fd, INK_SIGNER_START_FAILED, "the key file %s is larger than %d bytes", path,
                       INK_SIGNER_KEYFILE_MAX);
            goto out;
        }
        if (ink_str_reserve(&pem, 4096) < 0)
            goto out;
        n = read(kf, pem.buf + pem.len, 4096);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            send_error(fd, INK_SIGNER_START_FAILED, "reading the key file %s: %s", path,
                       strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        pem.len += (size_t)n;
    }
    k = ink_dkim_privkey_parse((const uint8_t *)pem.buf, pem.len, &err);
    if (k == NULL)
        send_error(fd, INK_SIGNER_START_FAILED, "the key file %s: %s", path, ink_str_cstr(&err));
out:
    if (pem.buf != NULL)
        OPENSSL_cleanse(pem.buf, pem.cap);
    ink_str_free(&pem);
    ink_str_free(&err);
    close(kf);
    return k;
}

/* child_drop - become user (or refuse to stay root); 0, or -1 after telling the parent */
static int child_drop(int fd, const char *user)
{
    struct passwd *pw;
    uid_t uid;
    gid_t gid;

    if (user == NULL) {
        if (geteuid() == 0) {
            send_error(fd, INK_SIGNER_START_FAILED,
                       "refusing to keep the keys in a process running as root: give an "
                       "unprivileged user to drop to");
            return -1;
        }
        return 0;
    }
    errno = 0;
    pw = getpwnam(user);
    if (pw == NULL) {
        send_error(fd, INK_SIGNER_START_FAILED, "no such user '%s' to drop to%s%s", user,
                   errno ? ": " : "", errno ? strerror(errno) : "");
        return -1;
    }
    uid = pw->pw_uid;
    gid = pw->pw_gid;
    if (geteuid() != 0) {
        if (geteuid() == uid && getuid() == uid)
            return 0;
        send_error(fd, INK_SIGNER_START_FAILED,
                   "cannot drop to user '%s': only root can change user", user);
        return -1;
    }
    if (setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0) {
        send_error(fd, INK_SIGNER_START_FAILED, "dropping to user '%s' failed: %s", user,
                   strerror(errno));
        return -1;
    }
    /* checked, as OpenSSH's permanently_set_uid does: no way back */
    if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid ||
        (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))) {
        send_error(fd, INK_SIGNER_START_FAILED, "dropping to user '%s' did not hold", user);
        return -1;
    }
    if (uid == 0) {
        send_error(fd, INK_SIGNER_START_FAILED, "the user '%s' to drop to is root", user);
        return -1;
    }
    return 0;
}

/* child_serve - answer one SIGN request (payload/len) */
static int child_serve(int fd, const struct child_key *keys, size_t nkeys, const uint8_t *p,
                       size_t len)
{
    struct ink_str sig = INK_STR_INIT;
    size_t idlen, dlen, i;
    char id[INK_SIGNER_ID_MAX + 1];
    int rc;

    if (len < 1)
        return send_error(fd, INK_SIGNER_BAD_REQUEST, "empty request");
    idlen = p[0];
    if (idlen == 0 || idlen > INK_SIGNER_ID_MAX || len < 2 + idlen)
        return send_error(fd, INK_SIGNER_BAD_REQUEST, "bad key id length");
    dlen = p[1 + idlen];
    if (dlen != INK_DKIM_DIGEST_LEN || len != 2 + idlen + dlen)
        return send_error(fd, INK_SIGNER_BAD_REQUEST, "the digest must be %d bytes",
                          INK_DKIM_DIGEST_LEN);
    memcpy(id, p + 1, idlen);
    id[idlen] = '\0';
    for (i = 0; i < nkeys; i++)
        if (strlen(keys[i].id) == idlen && memcmp(keys[i].id, p + 1, idlen) == 0)
            break;
    if (i == nkeys || memchr(id, '\0', idlen) != NULL)
        return send_error(fd, INK_SIGNER_NO_KEY, "no key '%.*s'", (int)strnlen(id, idlen), id);
    if (ink_dkim_privkey_sign(keys[i].key, p + 2 + idlen, &sig) < 0) {
        ink_str_free(&sig);
        return send_error(fd, INK_SIGNER_SIGN_FAILED, "signing with key '%s' failed", id);
    }
    rc = send_msg(fd, MSG_SIG, (const uint8_t *)sig.buf, sig.len);
    ink_str_free(&sig);
    return rc;
}

/* child_main - the signer process: load, drop, announce, serve; never returns */
static void child_main(int fd, const struct ink_signer_config *cfg)
{
    static struct child_key keys[INK_SIGNER_KEYS_MAX];
    static uint8_t buf[INK_SIGNER_PAYLOAD_MAX];
    size_t i;
    int devnull;

    /* only the socket and stderr (for a crash message) stay open: the
     * parent's other descriptors (listening sockets, the message) are
     * none of the signer's business */
    if (fd != SIGNER_CHILD_FD) {
        if (dup2(fd, SIGNER_CHILD_FD) < 0)
            _exit(1);
        fd = SIGNER_CHILD_FD;
    }
    if (close_range(SIGNER_CHILD_FD + 1, ~0u, 0) < 0) {
        long max = sysconf(_SC_OPEN_MAX);
        for (long f = SIGNER_CHILD_FD + 1; f < (max > 0 ? max : 1024); f++)
            close((int)f);
    }
    devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
        dup2(devnull, 0);
        dup2(devnull, 1);
        if (devnull > 2 && devnull != fd)
            close(devnull);
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, SIG_IGN); /* a ^C to the parent ends us through EOF */
    /* no core dumps of, and no ptrace into, the process holding keys */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

    for (i = 0; i < cfg->nkeys; i++) {
        keys[i].key = child_load(fd, cfg->keys[i].path);
        if (keys[i].key == NULL)
            _exit(1);
        snprintf(keys[i].id, sizeof(keys[i].id), "%s", cfg->keys[i].id);
    }
    if (child_drop(fd, cfg->user) < 0)
        _exit(1);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); /* a uid change may have reset it */
    for (i = 0; i < cfg->nkeys; i++) {
        struct ink_str rec = INK_STR_INIT;
        size_t idlen = strlen(keys[i].id);
        unsigned bits = ink_dkim_privkey_bits(keys[i].key);
        if (ink_dkim_privkey_record(keys[i].key, 0, &rec) < 0 ||
            4 + idlen + rec.len > INK_SIGNER_PAYLOAD_MAX) {
            send_error(fd, INK_SIGNER_START_FAILED, "cannot describe the key %s",
                       cfg->keys[i].path);
            _exit(1);
        }
        buf[0] = (uint8_t)ink_dkim_privkey_type(keys[i].key);
        buf[1] = (uint8_t)(bits >> 8);
        buf[2] = (uint8_t)bits;
        buf[3] = (uint8_t)idlen;
        memcpy(buf + 4, keys[i].id, idlen);
        memcpy(buf + 4 + idlen, rec.buf, rec.len);
        if (send_msg(fd, MSG_KEY, buf, 4 + idlen + rec.len) < 0)
            _exit(1);
        ink_str_free(&rec);
    }
    if (send_msg(fd, MSG_READY, NULL, 0) < 0)
        _exit(1);
    for (;;) {
        uint8_t type = 0;
        size_t len = 0;
        int r = recv_msg(fd, -1, &type, buf, &len);
        if (r == RECV_EOF || r == RECV_ERROR)
            _exit(0); /* the parent is gone */
        if (r == 1) {
            /* a header not of this version: the stream cannot be trusted
             * to be in step any more */
            send_error(fd, INK_SIGNER_BAD_REQUEST, "bad message header (wire version %d)",
                       INK_SIGNER_WIRE_VERSION);
            _exit(2);
        }
        if (type != MSG_SIGN) {
            if (send_error(fd, INK_SIGNER_BAD_REQUEST, "unknown request type %u", type) < 0)
                _exit(0);
            continue;
        }
        if (child_serve(fd, keys, cfg->nkeys, buf, len) < 0)
            _exit(0);
    }
}

/* ---- the parent's side ---- */

/* describe_death - why the signer is gone, into why.  A dying process
 * closes its descriptors before it can be waited for, so the EOF may come
 * first: wait up to SIGNER_DEATH_WAIT_MS for its exit status. */
static void describe_death(struct ink_signer *s, struct ink_str *why)
{
    int status = 0, waited = 0;
    pid_t r;

    while ((r = waitpid(s->pid, &status, WNOHANG)) == 0 && waited < SIGNER_DEATH_WAIT_MS) {
        struct timespec ts = {0, SIGNER_STOP_POLL_MS * 1000000L};
        nanosleep(&ts, NULL);
        waited += SIGNER_STOP_POLL_MS;
    }

    if (r == s->pid) {
        s->pid = -1;
        if (WIFSIGNALED(status))
            ink_str_printf(why, "the signer process was killed by signal %d", WTERMSIG(status));
        else
            ink_str_printf(why, "the signer process exited with status %d", WEXITSTATUS(status));
    } else {
        ink_str_printf(why, "the signer process (pid %ld) closed its socket", (long)s->pid);
    }
}

/* reap - wait for the signer after its socket closed, killing it after
 * SIGNER_STOP_GRACE_MS (a stopped or wedged signer) */
static void reap(pid_t pid)
{
    int waited = 0, status;

    if (pid <= 0)
        return;
    while (waitpid(pid, &status, WNOHANG) == 0) {
        struct timespec ts = {0, SIGNER_STOP_POLL_MS * 1000000L};
        if (waited >= SIGNER_STOP_GRACE_MS) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return;
        }
        nanosleep(&ts, NULL);
        waited += SIGNER_STOP_POLL_MS;
    }
}

/* ink_signer_start - fork the signer and wait for its keys */
struct ink_signer *ink_signer_start(const struct ink_signer_config *cfg, struct ink_str *err)
{
    static uint8_t buf[INK_SIGNER_PAYLOAD_MAX];
    struct ink_signer *s;
    int sv[2];
    size_t i, j;
    int64_t deadline;

    if (cfg->nkeys == 0 || cfg->nkeys > INK_SIGNER_KEYS_MAX) {
        ink_str_printf(err, "between 1 and %d keys are needed", INK_SIGNER_KEYS_MAX);
        return NULL;
    }
    for (i = 0; i < cfg->nkeys; i++) {
        size_t l = cfg->keys[i].id ? strlen(cfg->keys[i].id) : 0;
        if (l == 0 || l > INK_SIGNER_ID_MAX || cfg->keys[i].path == NULL) {
            ink_str_printf(err, "key %zu: an id of 1 to %d bytes and a file are needed", i + 1,
                           INK_SIGNER_ID_MAX);
            return NULL;
        }
        for (j = 0; j < i; j++)
            if (strcmp(cfg->keys[i].id, cfg->keys[j].id) == 0) {
                ink_str_printf(err, "key id '%s' given twice", cfg->keys[i].id);
                return NULL;
            }
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        ink_str_puts(err, "out of memory");
        return NULL;
    }
    s->reply_timeout_ms = cfg->reply_timeout_ms > 0 ? cfg->reply_timeout_ms : INK_SIGNER_REPLY_TIMEOUT_MS;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        ink_str_printf(err, "socketpair: %s", strerror(errno));
        free(s);
        return NULL;
    }
    fflush(NULL); /* nothing buffered is written twice */
    s->pid = fork();
    if (s->pid < 0) {
        ink_str_printf(err, "fork: %s", strerror(errno));
        close(sv[0]);
        close(sv[1]);
        free(s);
        return NULL;
    }
    if (s->pid == 0) {
        close(sv[0]);
        child_main(sv[1], cfg);
    }
    close(sv[1]);
    s->fd = sv[0];
    deadline = now_ms() + INK_SIGNER_START_TIMEOUT_MS;
    for (;;) {
        uint8_t type = 0;
        size_t len = 0;
        int r = recv_msg(s->fd, deadline, &type, buf, &len);
        if (r == RECV_TIMEOUT) {
            ink_str_printf(err, "the signer process did not load its keys in %d ms",
                           INK_SIGNER_START_TIMEOUT_MS);
            goto fail;
        }
        if (r != RECV_OK) {
            if (r == 1)
                ink_str_puts(err, "the signer process sent a malformed message");
            else
                describe_death(s, err);
            goto fail;
        }
        if (type == MSG_READY && s->nkeys == cfg->nkeys)
            break;
        if (type == MSG_ERROR && len >= 1) {
            ink_str_append(err, (const char *)buf + 1, len - 1);
            goto fail;
        }
        if (type == MSG_KEY && len > 4 && s->nkeys < cfg->nkeys && buf[3] > 0 &&
            buf[3] <= INK_SIGNER_ID_MAX && 4u + buf[3] < len) {
            struct ink_signer_key *k = &s->keys[s->nkeys];
            size_t idlen = buf[3], rl = len - 4 - idlen;
            k->type = (enum ink_dkim_keytype)buf[0];
            k->bits = (unsigned)buf[1] << 8 | buf[2];
            memcpy(k->id, buf + 4, idlen);
            k->id[idlen] = '\0';
            k->record = malloc(rl + 1);
            if (k->record == NULL) {
                ink_str_puts(err, "out of memory");
                goto fail;
            }
            memcpy(k->record, buf + 4 + idlen, rl);
            k->record[rl] = '\0';
            k->signer = s;
            s->nkeys++;
            continue;
        }
        ink_str_printf(err, "the signer process sent an unexpected message (type %u)", type);
        goto fail;
    }
    return s;
fail:
    ink_signer_stop(s);
    return NULL;
}

/* ink_signer_stop - end the signer */
void ink_signer_stop(struct ink_signer *s)
{
    size_t i;

    if (s == NULL)
        return;
    close(s->fd); /* the signer exits on EOF */
    reap(s->pid);
    for (i = 0; i < s->nkeys; i++)
        free(s->keys[i].record);
    free(s);
}

pid_t ink_signer_pid(const struct ink_signer *s)
{
    return s->pid;
}

int ink_signer_fd(const struct ink_signer *s)
{
    return s->fd;
}

size_t ink_signer_key_count(const struct ink_signer *s)
{
    return s->nkeys;
}

struct ink_signer_key *ink_signer_key_at(struct ink_signer *s, size_t i)
{
    return i < s->nkeys ? &s->keys[i] : NULL;
}

struct ink_signer_key *ink_signer_key(struct ink_signer *s, const char *id)
{
    size_t i;

    for (i = 0; i < s->nkeys; i++)
        if (strcmp(s->keys[i].id, id) == 0)
            return &s->keys[i];
    return NULL;
}

/* broken - mark the stream out of step */
static enum ink_signer_status broken(struct ink_signer *s, enum ink_signer_status st)
{
    s->broken = 1;
    s->broken_status = st;
    return st;
}

/* ink_signer_sign - one request, one reply (one caller at a time: the
 * requests of several threads would interleave on the stream) */
enum ink_signer_status ink_signer_sign(struct ink_signer *s, const char *id, const uint8_t *digest,
                                       size_t digest_len, struct ink_str *sig, struct ink_str *why)
{
    uint8_t req[2 + INK_SIGNER_ID_MAX + 255], rep[INK_SIGNER_PAYLOAD_MAX];
    size_t idlen = strlen(id), len = 0;
    uint8_t type = 0;
    int r;

    if (s->broken) {
        ink_str_printf(why, "the signer process is unusable since an earlier %s",
                       ink_signer_status_name(s->broken_status));
        return s->broken_status;
    }
    if (idlen == 0 || idlen > INK_SIGNER_ID_MAX || digest_len > 255) {
        ink_str_puts(why, "bad key id or digest length");
        return INK_SIGNER_BAD_REQUEST;
    }
    req[0] = (uint8_t)idlen;
    memcpy(req + 1, id, idlen);
    req[1 + idlen] = (uint8_t)digest_len;
    memcpy(req + 2 + idlen, digest, digest_len);
    if (send_msg(s->fd, MSG_SIGN, req, 2 + idlen + digest_len) < 0) {
        if (errno == EPIPE || errno == ECONNRESET)
            describe_death(s, why);
        else
            ink_str_printf(why, "writing to the signer process: %s", strerror(errno));
        return broken(s, INK_SIGNER_DEAD);
    }
    r = recv_msg(s->fd, now_ms() + s->reply_timeout_ms, &type, rep, &len);
    if (r == RECV_TIMEOUT) {
        ink_str_printf(why, "the signer process (pid %ld) did not answer in %d ms", (long)s->pid,
                       s->reply_timeout_ms);
        return broken(s, INK_SIGNER_TIMEOUT);
    }
    if (r == 1) {
        ink_str_puts(why, "the signer process sent a malformed reply");
        return broken(s, INK_SIGNER_DEAD);
    }
    if (r != RECV_OK) {
        describe_death(s, why);
        return broken(s, INK_SIGNER_DEAD);
    }
    if (type == MSG_SIG && len > 0)
        return ink_str_append(sig, (const char *)rep, len) < 0 ? INK_SIGNER_SIGN_FAILED : INK_SIGNER_OK;
    if (type == MSG_ERROR && len >= 1 && rep[0] >= INK_SIGNER_NO_KEY && rep[0] <= INK_SIGNER_SIGN_FAILED) {
        ink_str_append(why, (const char *)rep + 1, len - 1);
        return (enum ink_signer_status)rep[0];
    }
    ink_str_printf(why, "the signer process sent an unexpected reply (type %u)", type);
    return broken(s, INK_SIGNER_DEAD);
}

/* ink_signer_dkim_sign - the DKIM signer's external-signing callback */
int ink_signer_dkim_sign(void *arg, enum ink_dkim_alg alg, const uint8_t *digest, struct ink_str *sig,
                         struct ink_str *why)
{
    struct ink_signer_key *k = arg;

    if ((alg == INK_DKIM_ALG_ED25519_SHA256) != (k->type == INK_DKIM_KEY_ED25519)) {
        ink_str_printf(why, "a=%s does not fit the %s key '%s'", ink_dkim_alg_name(alg),
                       ink_dkim_keytype_name(k->type), k->id);
        return -1;
    }
    return ink_signer_sign(k->signer, k->id, digest, INK_DKIM_DIGEST_LEN, sig, why) == INK_SIGNER_OK
               ? 0
               : -1;
}

const char *ink_signer_status_name(enum ink_signer_status st)
{
    switch (st) {
    case INK_SIGNER_OK:
        return "ok";
    case INK_SIGNER_NO_KEY:
        return "no such key";
    case INK_SIGNER_BAD_REQUEST:
        return "bad request";
    case INK_SIGNER_SIGN_FAILED:
        return "signing failed";
    case INK_SIGNER_START_FAILED:
        return "start failed";
    case INK_SIGNER_DEAD:
        return "signer died";
    case INK_SIGNER_TIMEOUT:
        return "timeout";
    }
    return "unknown";
}
