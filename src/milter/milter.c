/*
 * milter.c - the libmilter daemon of `inkan milter`: one connection
 * context per SMTP session (client address, HELO), one inbound message
 * machine per message, fed the envelope, each header field and each body
 * chunk as Postfix sends them (the machine does not keep the body:
 * constant memory).  At end of message the machine is handed to the
 * driver thread of its generation (one inkan/driver.h driver over the
 * resolver, with its answer cache, running every message's questions at
 * once; the milter thread waits only for its own message), forged Authentication-Results with our authserv-id are removed,
 * ours is inserted at the top, and the policy's verdict is acted on:
 * reject (550 5.7.1), quarantine (smfi_quarantine), tempfail (451 4.7.x).
 * Mail from an internal network or an authenticated client is outbound:
 * its header is held until the end of the header (the From domain picks
 * the keys), then header and body stream into one DKIM signer whose
 * signatures (one per key of that domain: RSA and Ed25519 together) are
 * made by the signer process (inkan/signer.h: the keys are never in this
 * process) and inserted at the top.
 *
 * Each inbound evaluation that ends in accept, quarantine or reject is
 * recorded (evaluations in the configuration): its row (inkan/evlog.h)
 * goes to the evaluation writer (inkan/evwriter.h) before Postfix gets
 * the answer, and the writer says so only once the row is durable, in
 * the store or in the fsync'd spool; a row that cannot be kept turns an
 * accept into a tempfail, so no message Postfix accepts lacks its row.
 *
 * Threads: libmilter runs in a thread of its own; the caller's thread
 * waits for SIGHUP (a new generation of the environment for new
 * connections: open ones keep theirs) and SIGTERM/SIGINT (smfi_stop).
 */
#include "inkan/milter.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <ctype.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "inkan/arc.h"
#include "inkan/authres.h"
#include "inkan/dkim.h"
#include "inkan/mailhdr.h"
#include "inkan/driver.h"
#include "inkan/evlog.h"
#include "inkan/evwriter.h"
#include "inkan/inbound.h"

/* Authentication-Results fields of one message whose removal we track
 * (a message with more of ours than this is refused with a tempfail). */
#define MILTER_FORGED_MAX 64
/* Longest SMTP reply text handed to smfi_setreply (after '%' doubling). */
#define MILTER_REPLY_MAX 512
/* Longest header name taken. */
#define MILTER_HDRNAME_MAX 998
/* A header field up to this many bytes goes to the message machine in
 * one push (cb_header); a longer one in four. */
#define MILTER_FIELD_BUF 2048

/* One generation of the environment: the one at start, then one per
 * SIGHUP reload.  A connection keeps the generation it started with, so
 * a reload never changes the rules under a message; an old generation is
 * freed when its last connection closes. */
/* A message handed to the driver thread, and how it ended. */
struct job {
    struct ink_machine mach;
    enum ink_next how;
    int done;
    struct job *next;
    struct dthread *dt;
};

/* The driver thread of one generation: the only user of its resolver. */
struct dthread {
    pthread_t th;
    struct ink_driver *drv;
    int wake[2];            /* a byte on wake[1]: jobs queued, or stop */
    pthread_mutex_t mu;     /* guards queue, stop, each job's done/how */
    pthread_cond_t cv;      /* a job is done */
    struct job *queue;
    int stop;
};

struct gen {
    struct ink_milter_env *env;
    struct dthread dt;
    const char *authserv;   /* the config's, else the policy's */
    size_t refs;            /* connections, plus one while current */
    /* parsed DKIM keys (and spare SHA-256 contexts) of every message of
     * the generation: a key is parsed once, not once per message (its
     * parse costs more than the rest of the evaluation).  Keys are used
     * by the driver thread only; the lock is for the milter threads that
     * make and free the verifiers. */
    struct ink_dkim_keycache *keys;
    pthread_mutex_t keys_mu;
};
static struct gen *g_cur;
static pthread_mutex_t g_gen_lock = PTHREAD_MUTEX_INITIALIZER;
static ink_milter_free_fn g_free_env;
static void *g_arg;
/* The signer process answers one request at a time (inkan/signer.h). */
static pthread_mutex_t g_sign_lock = PTHREAD_MUTEX_INITIALIZER;
/* Longest From domain taken for outbound signing. */
#define MILTER_DOMAIN_MAX 253
/* The evaluation writer of the process (started with the first
 * configuration's evaluations; a reload does not change it), or NULL. */
static struct ink_evwriter *g_evw;
/* Random bytes in an evaluation row's key (after the queue id). */
#define MILTER_KEY_RANDOM 12

/* One message. */
struct msg {
    char *mail_from;
    char **rcpt;
    size_t nrcpt, rcpt_cap;
    struct ink_inbound *m;  /* made at the first header */
    int failed;             /* the machine could not be made or took no more */
    int outbound;           /* internal / authenticated: not evaluated */
    int rcpt_kind;          /* people-centric split: RCPT_KIND_* of the recipients taken */
    size_t nar;             /* Authentication-Results fields seen */
    size_t forged[MILTER_FORGED_MAX]; /* 1-based indices of ours among them */
    size_t nforged;
    int too_many_forged;
    /* outbound */
    struct ink_str hdr;     /* the header, held until its end */
    char from_domain[MILTER_DOMAIN_MAX + 1];
    int nfrom;              /* From fields seen */
    struct ink_dkim_sign_key *sk; /* INK_MILTER_KEYS_MAX of them, made for an
                                   * outbound message only (start_signing) */
    size_t nsk;
    struct ink_dkim_sign *sign;
    int sign_failed;        /* the header is over its limit or the signer refused */
    /* forwarded (outbound from an internal network, with an
     * Authentication-Results of ours): ARC-sealed (arc-seal) */
    int our_ar;             /* an Authentication-Results field with our authserv-id */
    struct ink_arc_verify *arcv; /* the incoming chain, for the new seal's cv */
    struct ink_arc_seal *seal;
    int seal_failed;        /* the verifier or sealer could not be made or took no more */
};

/* What the recipients of one transaction are under a people-centric
 * policy (ink_policy_rcpt_protected): none taken yet, protected, monitored. */
#define RCPT_KIND_NONE 0
#define RCPT_KIND_PROTECTED 1
#define RCPT_KIND_MONITORED 2

/* Whether the MTA waits for the answer to each RCPT on a connection
 * (SMFIP_NR_RCPT, cb_negotiate). */
#define RCPT_REPLY_YES 0     /* negotiated with a reply: 452 can be said */
#define RCPT_REPLY_NO 1      /* negotiated without: never anything but "go on" */
#define RCPT_REPLY_UNKNOWN 2 /* not negotiated on this context since its last close
                              * (SMFIC_QUIT_NC reuse): answers are given, and one
                              * the MTA does not wait for is dropped by libmilter,
                              * so nothing depends on one (no split) */

/* One connection. */
struct conn {
    struct gen *gen;
    char ip[INET6_ADDRSTRLEN];
    char *helo;
    int internal;
    unsigned long nr;       /* the SMFIP_NR_* steps negotiated without a reply
                             * (0 when unknown: every step is answered, and
                             * libmilter drops an answer the MTA does not want) */
    int rcpt_reply;         /* RCPT_REPLY_* */
    int helo_failed;        /* the HELO name could not be kept: every message of
                             * the connection is tempfailed at its end */
    struct msg msg;
};

/* Protocol steps negotiated without a reply on a unix socket (g_noreply;
 * the MTA sends the next one at once; libmilter answers "continue" itself
 * to an MTA without the feature): their callbacks return SMFIS_NOREPLY
 * (go_on), and a failure in one is kept and answered at the end of the
 * message.  DATA and unknown commands are not sent at all
 * (MILTER_SKIPPED: no callback), and an MTA that cannot leave them out
 * gets libmilter's own answer; RCPT is without a reply only where the
 * generation never answers 452 there (rcpt_can_split). */
#define MILTER_NOREPLY_STEPS                                                                      \
    (SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY)
#define MILTER_SKIPPED (SMFIP_NODATA | SMFIP_NOUNKNOWN)
/* Whether the steps are asked without a reply: on a unix socket only.  On
 * TCP the MTA's Nagle algorithm holds a command written right after one
 * that got no answer until the milter's side acknowledges it, and Linux
 * delays that ACK (up to 40 ms on loopback) when no answer carries it:
 * bench/milter measured 181 ms a message on one connection with every
 * step unanswered against 60 ms with each answered. */
static int g_noreply;
/* Descriptors looked at for libmilter's listening socket (nodelay_listener). */
#define MILTER_FD_SCAN_MAX 1024

static void fold_lf(char *s);

/* job_done - the driver ended a job's machine (driver thread) */
static void job_done(void *arg, struct ink_machine m, enum ink_next how)
{
    struct job *j = arg;
    struct dthread *dt = j->dt;

    (void)m;
    /* once done is seen the waiter returns and j (on its stack) is gone */
    (void)pthread_mutex_lock(&dt->mu);
    j->how = how;
    j->done = 1;
    (void)pthread_cond_broadcast(&dt->cv);
    (void)pthread_mutex_unlock(&dt->mu);
}

/* driver_main - the driver thread: add queued machines, poll the
 * resolver and the wake pipe, step; done jobs are signalled */
static void *driver_main(void *arg)
{
    struct dthread *dt = arg;

    for (;;) {
        struct job *q, *j;
        struct pollfd pfd[2];
        int stop, fd, to, n = 1;
        char drain[64];

        (void)pthread_mutex_lock(&dt->mu);
        q = dt->queue;
        dt->queue = NULL;
        stop = dt->stop;
        (void)pthread_mutex_unlock(&dt->mu);
        for (j = q; j != NULL;) {
            struct job *next = j->next;

            if (ink_driver_add(dt->drv, j->mach, job_done, j) < 0) {
                (void)pthread_mutex_lock(&dt->mu);
                j->how = INK_NEXT_FAILED;
                j->done = 1;
                (void)pthread_cond_broadcast(&dt->cv);
                (void)pthread_mutex_unlock(&dt->mu);
            }
            j = next;
        }
        if (stop)
            break;
        pfd[0].fd = dt->wake[0];
        pfd[0].events = POLLIN;
        fd = ink_driver_fd(dt->drv);
        to = ink_driver_running(dt->drv) > 0 ? ink_driver_timeout(dt->drv) : -1;
        if (fd >= 0) {
            pfd[1].fd = fd;
            pfd[1].events = POLLIN;
            n = 2;
        } else if (ink_driver_running(dt->drv) > 0) {
            to = 0; /* an in-memory zone answers at once */
        }
        (void)poll(pfd, (nfds_t)n, to);
        if (pfd[0].revents & POLLIN)
            while (read(dt->wake[0], drain, sizeof(drain)) == (ssize_t)sizeof(drain))
                ;
        if (ink_driver_running(dt->drv) > 0)
            (void)ink_driver_step(dt->drv, 0); /* done callbacks wake their waiters */
    }
    return NULL;
}

/* drive - hand m to the generation's driver thread and wait for its end */
static enum ink_next drive(struct gen *g, struct ink_machine m)
{
    struct dthread *dt = &g->dt;
    struct job j;
    enum ink_next how;

    memset(&j, 0, sizeof(j));
    j.mach = m;
    j.dt = dt;
    (void)pthread_mutex_lock(&dt->mu);
    j.next = dt->queue;
    dt->queue = &j;
    (void)pthread_mutex_unlock(&dt->mu);
    if (write(dt->wake[1], "j", 1) < 0) {
        /* the pipe is full: the thread is awake and will see the queue */
    }
    (void)pthread_mutex_lock(&dt->mu);
    while (!j.done)
        (void)pthread_cond_wait(&dt->cv, &dt->mu);
    how = j.how;
    (void)pthread_mutex_unlock(&dt->mu);
    return how;
}

/* keys_lock / keys_unlock - the key cache's lock (ink_dkim_keycache_set_lock) */
static void keys_lock(void *arg)
{
    (void)pthread_mutex_lock(arg);
}

static void keys_unlock(void *arg)
{
    (void)pthread_mutex_unlock(arg);
}

/* gen_new - a generation for env (refs 1: current), its driver thread
 * started; NULL on ENOMEM or when the thread cannot start */
static struct gen *gen_new(struct ink_milter_env *env)
{
    struct gen *g = calloc(1, sizeof(*g));
    struct ink_driver_opts dopts;

    if (g == NULL)
        return NULL;
    memset(&dopts, 0, sizeof(dopts));
    dopts.timeout_ms = env->cfg->dns_timeout_ms;
    g->dt.drv = ink_driver_new(env->resolver, &dopts);
    g->keys = ink_dkim_keycache_new();
    if (g->dt.drv == NULL || g->keys == NULL || pipe2(g->dt.wake, O_CLOEXEC | O_NONBLOCK) < 0) {
        ink_driver_free(g->dt.drv);
        ink_dkim_keycache_free(g->keys);
        free(g);
        return NULL;
    }
    (void)pthread_mutex_init(&g->keys_mu, NULL);
    ink_dkim_keycache_set_lock(g->keys, keys_lock, keys_unlock, &g->keys_mu);
    (void)pthread_mutex_init(&g->dt.mu, NULL);
    (void)pthread_cond_init(&g->dt.cv, NULL);
    if (pthread_create(&g->dt.th, NULL, driver_main, &g->dt) != 0) {
        close(g->dt.wake[0]);
        close(g->dt.wake[1]);
        ink_driver_free(g->dt.drv);
        ink_dkim_keycache_free(g->keys);
        (void)pthread_mutex_destroy(&g->keys_mu);
        free(g);
        return NULL;
    }
    g->env = env;
    g->authserv = env->cfg->authserv_id != NULL ? env->cfg->authserv_id : env->policy->authserv_id;
    g->refs = 1;
    return g;
}

/* gen_take - the current generation, one more reference */
static struct gen *gen_take(void)
{
    struct gen *g;

    (void)pthread_mutex_lock(&g_gen_lock);
    g = g_cur;
    g->refs++;
    (void)pthread_mutex_unlock(&g_gen_lock);
    return g;
}

/* gen_drop - one reference less; the last frees it (through the caller's
 * free function) */
static void gen_drop(struct gen *g)
{
    int last;

    (void)pthread_mutex_lock(&g_gen_lock);
    last = --g->refs == 0;
    (void)pthread_mutex_unlock(&g_gen_lock);
    if (last) {
        /* no connection is left: stop its driver thread, then free */
        (void)pthread_mutex_lock(&g->dt.mu);
        g->dt.stop = 1;
        (void)pthread_mutex_unlock(&g->dt.mu);
        if (write(g->dt.wake[1], "s", 1) < 0) {
            /* the pipe is full: the thread is awake already */
        }
        (void)pthread_join(g->dt.th, NULL);
        ink_driver_free(g->dt.drv);
        close(g->dt.wake[0]);
        close(g->dt.wake[1]);
        (void)pthread_mutex_destroy(&g->dt.mu);
        (void)pthread_cond_destroy(&g->dt.cv);
        /* every connection of the generation is closed: no verifier is left */
        ink_dkim_keycache_free(g->keys);
        (void)pthread_mutex_destroy(&g->keys_mu);
        if (g_free_env != NULL)
            g_free_env(g_arg, g->env);
        free(g);
    }
}

static void msg_clear(struct msg *g)
{
    size_t i;

    free(g->mail_from);
    for (i = 0; i < g->nrcpt; i++)
        free(g->rcpt[i]);
    free(g->rcpt);
    ink_inbound_free(g->m);
    ink_str_free(&g->hdr);
    ink_dkim_sign_free(g->sign);
    free(g->sk); /* after the signer, which points into it */
    ink_arc_verify_free(g->arcv);
    ink_arc_seal_free(g->seal);
    memset(g, 0, sizeof(*g));
}

static struct conn *conn_of(SMFICTX *ctx)
{
    return (struct conn *)smfi_getpriv(ctx);
}

/* go_on - what a callback of the step whose no-reply bit is nr_bit
 * answers to go on: nothing where that step was negotiated without a
 * reply, "continue" elsewhere (c NULL: unknown, answered) */
static sfsistat go_on(const struct conn *c, unsigned long nr_bit)
{
    return c != NULL && (c->nr & nr_bit) != 0 ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

/* log_line - one line to stderr when verbose; untrusted parts are made
 * printable by the caller */
static void log_verdict(const struct conn *c, const char *what, const char *detail)
{
    struct ink_str s = INK_STR_INIT;

    if (c->gen == NULL || !c->gen->env->verbose)
        return;
    (void)ink_str_put_printable(&s, detail, strlen(detail), 300);
    fprintf(stderr, "inkan milter: client=%s %s: %s\n", c->ip[0] ? c->ip : "-", what,
            ink_str_cstr(&s));
    ink_str_free(&s);
}

/* ---- callbacks ---- */

/* rcpt_can_split - whether the generation's RCPT callback can answer 452
 * 4.5.3 (a people-centric policy with mixed-recipients: split) */
static int rcpt_can_split(const struct gen *g)
{
    return !g->env->cfg->mixed_enforce && g->env->policy->mode == INK_POLICY_PEOPLE;
}

/* conn_new - a connection of the current generation (caller owns: cb_close
 * frees it), or NULL on ENOMEM */
static struct conn *conn_new(int rcpt_reply)
{
    struct conn *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return NULL;
    c->gen = gen_take();
    c->rcpt_reply = rcpt_reply;
    return c;
}

/* cb_negotiate - the protocol of one milter connection: the actions used,
 * which steps are answered and which are not sent (MILTER_NOREPLY_STEPS,
 * MILTER_SKIPPED).  The connection (and its generation, which decides
 * whether RCPT is answered) is made here, so the steps are answered as
 * negotiated from the first one on. */
static sfsistat cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
                             unsigned long f3, unsigned long *pf0, unsigned long *pf1,
                             unsigned long *pf2, unsigned long *pf3)
{
    struct conn *c = conn_of(ctx);
    unsigned long want = SMFIP_HDR_LEADSPC | MILTER_NOREPLY_STEPS | MILTER_SKIPPED;

    (void)f2;
    (void)f3;
    if (c == NULL) {
        c = conn_new(RCPT_REPLY_YES);
        if (c != NULL)
            smfi_setpriv(ctx, c);
    }
    /* without a connection (ENOMEM), or on TCP, every step keeps its answer */
    if (c == NULL || !g_noreply)
        want &= ~(unsigned long)MILTER_NOREPLY_STEPS;
    else if (!rcpt_can_split(c->gen) && (f1 & SMFIP_NR_RCPT) != 0 && g_noreply) {
        want |= SMFIP_NR_RCPT;
        c->rcpt_reply = RCPT_REPLY_NO;
    }
    if (c != NULL)
        c->nr = f1 & want & (MILTER_NOREPLY_STEPS | SMFIP_NR_RCPT);
    /* actions: add and change headers, quarantine */
    *pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE);
    /* header values exactly as sent (the space after the colon counts for
     * DKIM); the steps without a reply (libmilter offers them to every
     * MTA: f1 has them) and those not sent (where the MTA can leave them out) */
    *pf1 = f1 & want;
    *pf2 = 0;
    *pf3 = 0;
    return SMFIS_CONTINUE;
}

/* cb_connect - the client's address; the connection was made by
 * cb_negotiate, except on a context reused after SMFIC_QUIT_NC (its steps
 * answered as first negotiated: RCPT_REPLY_UNKNOWN).  No reply
 * (SMFIP_NR_CONN): a connection that cannot be made tempfails each
 * message at its end (cb_eom). */
static sfsistat cb_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
    struct conn *c = conn_of(ctx);

    (void)host;
    if (c == NULL) {
        c = conn_new(RCPT_REPLY_UNKNOWN);
        if (c == NULL)
            return go_on(c, SMFIP_NR_CONN);
        smfi_setpriv(ctx, c);
    }
    if (sa != NULL && sa->sa_family == AF_INET)
        (void)inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)sa)->sin_addr, c->ip, sizeof(c->ip));
    else if (sa != NULL && sa->sa_family == AF_INET6)
        (void)inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)sa)->sin6_addr, c->ip,
                        sizeof(c->ip));
    /* an IPv4-mapped IPv6 address is the IPv4 client */
    if (strncmp(c->ip, "::ffff:", 7) == 0 && strchr(c->ip + 7, ':') == NULL)
        memmove(c->ip, c->ip + 7, strlen(c->ip + 7) + 1);
    c->internal = ink_milter_internal(c->gen->env->cfg, c->ip);
    return go_on(c, SMFIP_NR_CONN);
}

/* cb_helo - the HELO name (no reply: SMFIP_NR_HELO) */
static sfsistat cb_helo(SMFICTX *ctx, char *name)
{
    struct conn *c = conn_of(ctx);

    if (c == NULL)
        return go_on(c, SMFIP_NR_HELO);
    free(c->helo);
    c->helo = strdup(name != NULL ? name : "");
    c->helo_failed = c->helo == NULL;
    return go_on(c, SMFIP_NR_HELO);
}

/* strip_path - "<a@b>" as "a@b" (caller frees) */
static char *strip_path(const char *s)
{
    size_t n;

    if (s == NULL)
        return strdup("");
    if (s[0] == '<') {
        const char *e = strchr(s, '>');

        s++;
        n = e != NULL ? (size_t)(e - s) : strlen(s);
    } else {
        n = strlen(s);
    }
    if (n > INK_INBOUND_ADDR_MAX)
        n = INK_INBOUND_ADDR_MAX;
    return strndup(s, n);
}

/* cb_envfrom - a new message (no reply: SMFIP_NR_MAIL; a failure here
 * fails the message, answered at its end) */
static sfsistat cb_envfrom(SMFICTX *ctx, char **argv)
{
    struct conn *c = conn_of(ctx);
    const char *auth;

    if (c == NULL)
        return go_on(c, SMFIP_NR_MAIL);
    msg_clear(&c->msg);
    c->msg.mail_from = strip_path(argv != NULL ? argv[0] : NULL);
    if (c->msg.mail_from == NULL) {
        c->msg.failed = 1; /* evaluated as inbound: tempfailed at the end */
        return go_on(c, SMFIP_NR_MAIL);
    }
    auth = smfi_getsymval(ctx, "{auth_authen}");
    c->msg.outbound = c->internal || (auth != NULL && auth[0] != '\0');
    return go_on(c, SMFIP_NR_MAIL);
}

/* rcpt_go_on - what cb_envrcpt answers to take the recipient */
static sfsistat rcpt_go_on(const struct conn *c)
{
    return c->rcpt_reply == RCPT_REPLY_NO ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

/* rcpt_failed - the recipient could not be kept: answered 451 where RCPT
 * is answered; where the answer may not reach the MTA the message is
 * tempfailed at its end (it must not go out to a recipient its
 * evaluation did not see) */
static sfsistat rcpt_failed(SMFICTX *ctx, struct conn *c)
{
    if (c->rcpt_reply != RCPT_REPLY_YES)
        c->msg.failed = 1;
    if (c->rcpt_reply == RCPT_REPLY_NO)
        return SMFIS_NOREPLY;
    (void)smfi_setreply(ctx, "451", "4.3.0", "recipient could not be kept, try again later");
    return SMFIS_TEMPFAIL;
}

/* cb_envrcpt - keep the recipient for the message machine.  Under a
 * people-centric policy (mixed-recipients: split), a recipient whose kind
 * (protected or monitored) differs from the first one taken is answered
 * 452 4.5.3: RFC 5321 (4.5.3.1.10) has the client send it again in a
 * transaction of its own, so one verdict is right for every recipient of
 * a transaction and none of them gets another's.  RCPT is answered only
 * on connections whose generation can split (cb_negotiate); on a
 * connection whose answers are unknown (RCPT_REPLY_UNKNOWN) the 452 could
 * be dropped, so its transactions take both kinds, as under
 * mixed-recipients: enforce. */
static sfsistat cb_envrcpt(SMFICTX *ctx, char **argv)
{
    struct conn *c = conn_of(ctx);
    struct msg *g;
    char *r;

    if (c == NULL)
        return SMFIS_TEMPFAIL; /* unknown whether answered: it is tempfailed at the end */
    g = &c->msg;
    r = strip_path(argv != NULL ? argv[0] : NULL);
    if (r == NULL)
        return rcpt_failed(ctx, c);
    if (!g->outbound && c->rcpt_reply == RCPT_REPLY_YES && rcpt_can_split(c->gen)) {
        int kind = ink_policy_rcpt_protected(c->gen->env->policy, r, NULL) ? RCPT_KIND_PROTECTED
                                                                           : RCPT_KIND_MONITORED;

        if (g->rcpt_kind == RCPT_KIND_NONE) {
            g->rcpt_kind = kind;
        } else if (g->rcpt_kind != kind) {
            log_verdict(c, "recipient deferred to a transaction of its own (452 4.5.3)", r);
            free(r);
            /* the same words for either kind: the reply does not say who is protected */
            (void)smfi_setreply(ctx, "452", "4.5.3",
                                "Too many recipients, send to this one in another transaction");
            return SMFIS_TEMPFAIL;
        }
    }
    if (g->nrcpt >= INK_INBOUND_RCPTS_MAX) {
        free(r);
        return rcpt_go_on(c); /* kept up to the machine's limit */
    }
    if (g->nrcpt == g->rcpt_cap) {
        size_t cap = g->rcpt_cap ? g->rcpt_cap * 2 : 8;
        char **n = cap <= SIZE_MAX / sizeof(*n) ? realloc(g->rcpt, cap * sizeof(*n)) : NULL;

        if (n == NULL) {
            free(r);
            return rcpt_failed(ctx, c);
        }
        g->rcpt = n;
        g->rcpt_cap = cap;
    }
    g->rcpt[g->nrcpt++] = r;
    return rcpt_go_on(c);
}

/* ensure_machine - the message machine, made from the envelope */
static int ensure_machine(struct conn *c)
{
    struct msg *g = &c->msg;
    struct ink_inbound_params p;
    const char *why = NULL;

    if (g->m != NULL || g->failed)
        return g->m != NULL ? 0 : -1;
    memset(&p, 0, sizeof(p));
    p.ip = c->ip[0] != '\0' ? c->ip : NULL;
    p.helo = c->helo;
    p.mail_from = g->mail_from != NULL ? g->mail_from : "";
    p.nrcpt = g->nrcpt;
    p.rcpt = (const char *const *)g->rcpt;
    p.now = (int64_t)time(NULL);
    p.flags = INK_INBOUND_LF_TO_CRLF;
    p.keycache = c->gen->keys;
    g->m = ink_inbound_new(&p, &why);
    if (g->m == NULL) {
        g->failed = 1;
        log_verdict(c, "cannot evaluate", why != NULL ? why : "out of memory");
        return -1;
    }
    return 0;
}

/* push - bytes to the machine; a machine that takes no more is failed */
static void push(struct conn *c, const void *buf, size_t len)
{
    if (c->msg.m != NULL && !c->msg.failed &&
        ink_inbound_push(c->msg.m, (const uint8_t *)buf, len) < 0)
        c->msg.failed = 1;
}

/* from_domain - the domain of the (one) address of a From value into
 * out: the part after the last '@' of the <addr-spec>, or of the whole
 * value without a '<'; "" when there is none or it has odd bytes */
static void from_domain(const char *v, char *out, size_t cap)
{
    const char *lt = strchr(v, '<'), *end, *at = NULL, *p;
    size_t n = 0;

    out[0] = '\0';
    if (lt != NULL) {
        v = lt + 1;
        end = strchr(v, '>');
        if (end == NULL)
            return;
    } else {
        end = v + strlen(v);
    }
    for (p = v; p < end; p++)
        if (*p == '@')
            at = p;
    if (at == NULL)
        return;
    for (p = at + 1; p < end && (*p == ' ' || *p == '\t'); p++)
        ;
    for (; p < end && n + 1 < cap; p++) {
        unsigned char ch = (unsigned char)*p;

        if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n')
            break;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '.' || ch == '_')) {
            out[0] = '\0';
            return;
        }
        out[n++] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
    }
    out[n] = '\0';
}

/* hold_header - keep an outbound header field for the signer (until the
 * end of the header, when the From domain is known) */
static void hold_header(struct msg *g, const char *name, size_t nlen, const char *value)
{
    size_t vlen = strlen(value);

    if (g->sign_failed)
        return;
    if (g->hdr.len + nlen + vlen + 2 > INK_MAILHDR_SIZE_MAX) {
        g->sign_failed = 1;
        return;
    }
    if (ink_str_append(&g->hdr, name, nlen) < 0 || ink_str_append(&g->hdr, ":", 1) < 0 ||
        ink_str_append(&g->hdr, value, vlen) < 0 || ink_str_append(&g->hdr, "\n", 1) < 0) {
        g->sign_failed = 1;
        return;
    }
    if (strcasecmp(name, "From") == 0) {
        g->nfrom++;
        from_domain(value, g->from_domain, sizeof(g->from_domain));
    }
}

/* start_signing - at the end of an outbound header: a DKIM signer with
 * every key of the From domain, fed the held header.  No key: unsigned. */
static void start_signing(struct conn *c)
{
    struct msg *g = &c->msg;
    const struct ink_milter_env *env = c->gen->env;
    const struct ink_milter_config *cfg = env->cfg;
    struct ink_str err = INK_STR_INIT;
    size_t i;

    if (g->sign_failed || env->signer == NULL || g->nfrom != 1 || g->from_domain[0] == '\0')
        return;
    g->sk = calloc(INK_MILTER_KEYS_MAX, sizeof(*g->sk));
    if (g->sk == NULL) {
        log_verdict(c, "cannot sign", "out of memory");
        g->sign_failed = 1;
        return;
    }
    for (i = 0; i < cfg->nkeys && g->nsk < INK_MILTER_KEYS_MAX; i++) {
        char id[INK_SIGNER_ID_MAX + 1];
        struct ink_signer_key *pk;
        struct ink_dkim_sign_key *k;

        if (strcmp(cfg->keys[i].domain, g->from_domain) != 0 || cfg->keys[i].inactive)
            continue;
        ink_milter_key_id(i, id, sizeof(id));
        pk = ink_signer_key(env->signer, id);
        if (pk == NULL)
            continue;
        k = &g->sk[g->nsk++];
        memset(k, 0, sizeof(*k));
        k->domain = cfg->keys[i].domain;
        k->selector = cfg->keys[i].selector;
        k->alg = pk->type == INK_DKIM_KEY_ED25519 ? INK_DKIM_ALG_ED25519_SHA256
                                                  : INK_DKIM_ALG_RSA_SHA256;
        k->hcanon = k->bcanon = INK_DKIM_CANON_RELAXED;
        k->timestamp = (uint64_t)time(NULL);
        k->sign_fn = ink_signer_dkim_sign;
        k->sign_arg = pk;
    }
    if (g->nsk == 0)
        return;
    g->sign = ink_dkim_sign_new(g->sk, g->nsk, INK_DKIM_SIGN_LF_TO_CRLF, &err);
    if (g->sign == NULL ||
        ink_dkim_sign_push(g->sign, (const uint8_t *)g->hdr.buf, g->hdr.len) < 0 ||
        ink_dkim_sign_push(g->sign, (const uint8_t *)"\n", 1) < 0) {
        log_verdict(c, "cannot sign", g->sign == NULL ? ink_str_cstr(&err)
                                                      : ink_dkim_sign_error(g->sign));
        g->sign_failed = 1;
    }
    ink_str_free(&err);
}

/* start_sealing - at the end of a forwarded message's header (outbound
 * from an internal network, carrying an Authentication-Results of ours:
 * mail we received going out again, a list or a forward): an ARC
 * verifier for the incoming chain (the new seal's cv) and a sealer whose
 * signatures the signer process makes, both fed the held header.  Mail
 * from an authenticated client is not sealed: its sender could have
 * written our Authentication-Results, and the AAR repeats it. */
static void start_sealing(struct conn *c)
{
    struct msg *g = &c->msg;
    const struct ink_milter_env *env = c->gen->env;
    const struct ink_milter_config *cfg = env->cfg;
    struct ink_signer_key *pk;
    struct ink_arc_seal_opts o;
    struct ink_arc_verify_opts vo;
    struct ink_str err = INK_STR_INIT;

    if (cfg->arc_seal == NULL || !c->internal || !g->our_ar)
        return;
    pk = env->signer != NULL ? ink_signer_key(env->signer, INK_MILTER_ARC_KEY_ID) : NULL;
    if (g->sign_failed || pk == NULL) {
        g->seal_failed = 1;
        log_verdict(c, "cannot seal", pk == NULL ? "the signer has no ARC key"
                                                 : "the header is over its limit");
        return;
    }
    memset(&o, 0, sizeof(o));
    o.domain = cfg->arc_seal->domain;
    o.selector = cfg->arc_seal->selector;
    o.authserv_id = c->gen->authserv;
    o.timestamp = (uint64_t)time(NULL);
    o.cv = INK_ARC_CV_NONE; /* set at the end, from the verifier */
    o.flags = INK_ARC_SEAL_LF_TO_CRLF;
    o.sign_fn = ink_signer_dkim_sign;
    o.sign_arg = pk;
    o.alg = pk->type == INK_DKIM_KEY_ED25519 ? INK_DKIM_ALG_ED25519_SHA256 : INK_DKIM_ALG_RSA_SHA256;
    memset(&vo, 0, sizeof(vo));
    vo.flags = INK_ARC_VERIFY_LF_TO_CRLF;
    g->seal = ink_arc_seal_new(&o, &err);
    g->arcv = ink_arc_verify_new(&vo);
    if (g->seal == NULL || g->arcv == NULL ||
        ink_arc_seal_push(g->seal, (const uint8_t *)g->hdr.buf, g->hdr.len) < 0 ||
        ink_arc_seal_push(g->seal, (const uint8_t *)"\n", 1) < 0 ||
        ink_arc_verify_push(g->arcv, (const uint8_t *)g->hdr.buf, g->hdr.len) < 0 ||
        ink_arc_verify_push(g->arcv, (const uint8_t *)"\n", 1) < 0) {
        log_verdict(c, "cannot seal",
                    g->seal == NULL   ? ink_str_cstr(&err)
                    : g->arcv == NULL ? "out of memory"
                    : ink_arc_seal_error(g->seal)[0] != '\0' ? ink_arc_seal_error(g->seal)
                                                              : ink_arc_verify_error(g->arcv));
        g->seal_failed = 1;
    }
    ink_str_free(&err);
}

/* Header fields one insert_fields call puts on top: the DKIM-Signature
 * fields (one per key) or the three fields of an ARC set. */
#define MILTER_INSERT_MAX INK_MILTER_KEYS_MAX

/* insert_fields - the fields of out ("Name: value\n" each, folded with
 * "\n\t"/"\n ", as the DKIM signer and the ARC sealer write them) at the
 * top of the message, in their order; 0, or -1 (none found, or refused) */
static int insert_fields(SMFICTX *ctx, const char *out)
{
    const char *starts[MILTER_INSERT_MAX], *p;
    size_t n = 0, i;

    for (p = out; *p != '\0' && n < MILTER_INSERT_MAX;) {
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n' && strchr(p, ':') != NULL)
            starts[n++] = p;
        p = strchr(p, '\n');
        if (p == NULL)
            break;
        p++;
    }
    for (i = n; i > 0; i--) {
        const char *f = starts[i - 1], *colon = strchr(f, ':');
        const char *e = i < n ? starts[i] : f + strlen(f);
        char *name, *val;
        int rc;

        if (colon == NULL || colon > e)
            return -1;
        name = strndup(f, (size_t)(colon - f));
        val = strndup(colon + 1, (size_t)(e - colon - 1));
        if (name == NULL || val == NULL) {
            free(name);
            free(val);
            return -1;
        }
        while (val[0] != '\0' && (val[strlen(val) - 1] == '\n' || val[strlen(val) - 1] == '\r'))
            val[strlen(val) - 1] = '\0';
        fold_lf(val);
        rc = smfi_insheader(ctx, 0, name, val);
        free(name);
        free(val);
        if (rc != MI_SUCCESS)
            return -1;
    }
    return n > 0 ? 0 : -1;
}

/* cb_header - one header field (no reply: SMFIP_NR_HDR) */
static sfsistat cb_header(SMFICTX *ctx, char *name, char *value)
{
    struct conn *c = conn_of(ctx);
    struct msg *g;
    size_t nlen, vlen;
    char field[MILTER_FIELD_BUF];

    if (c == NULL)
        return go_on(c, SMFIP_NR_HDR);
    g = &c->msg;
    if (name == NULL || value == NULL)
        return go_on(c, SMFIP_NR_HDR);
    nlen = strnlen(name, MILTER_HDRNAME_MAX + 1);
    if (g->outbound) {
        if (strcasecmp(name, "Authentication-Results") == 0 &&
            ink_authres_is_ours((const uint8_t *)value, strlen(value), c->gen->authserv))
            g->our_ar = 1;
        hold_header(g, name, nlen, value);
        return go_on(c, SMFIP_NR_HDR);
    }
    if (strcasecmp(name, "Authentication-Results") == 0) {
        g->nar++;
        if (ink_authres_is_ours((const uint8_t *)value, strlen(value), c->gen->authserv)) {
            if (g->nforged < MILTER_FORGED_MAX)
                g->forged[g->nforged++] = g->nar;
            else
                g->too_many_forged = 1;
        }
    }
    if (ensure_machine(c) < 0)
        return go_on(c, SMFIP_NR_HDR);
    /* the field as it travels: NAME ":" VALUE, LF line ends (the machine
     * takes them as CRLF); one push when it fits the buffer */
    vlen = strlen(value);
    if (nlen + vlen + 2 <= sizeof(field)) {
        memcpy(field, name, nlen);
        field[nlen] = ':';
        memcpy(field + nlen + 1, value, vlen);
        field[nlen + 1 + vlen] = '\n';
        push(c, field, nlen + vlen + 2);
    } else {
        push(c, name, nlen);
        push(c, ":", 1);
        push(c, value, vlen);
        push(c, "\n", 1);
    }
    return go_on(c, SMFIP_NR_HDR);
}

/* cb_eoh - the end of the header (no reply: SMFIP_NR_EOH) */
static sfsistat cb_eoh(SMFICTX *ctx)
{
    struct conn *c = conn_of(ctx);

    if (c == NULL)
        return go_on(c, SMFIP_NR_EOH);
    if (c->msg.outbound) {
        start_signing(c);
        start_sealing(c);
        ink_str_free(&c->msg.hdr);
        return go_on(c, SMFIP_NR_EOH);
    }
    if (ensure_machine(c) == 0)
        push(c, "\n", 1);
    return go_on(c, SMFIP_NR_EOH);
}

/* cb_body - a body chunk (no reply: SMFIP_NR_BODY).  Postfix and Sendmail
 * send the end of the body without data, so this is never called for
 * the end-of-body command, whose answer is cb_eom's. */
static sfsistat cb_body(SMFICTX *ctx, unsigned char *buf, size_t len)
{
    struct conn *c = conn_of(ctx);

    if (c == NULL)
        return go_on(c, SMFIP_NR_BODY);
    if (!c->msg.outbound) {
        push(c, buf, len);
        return go_on(c, SMFIP_NR_BODY);
    }
    if (c->msg.sign != NULL && !c->msg.sign_failed &&
        ink_dkim_sign_push(c->msg.sign, buf, len) < 0)
        c->msg.sign_failed = 1;
    if (c->msg.seal != NULL && !c->msg.seal_failed &&
        (ink_arc_seal_push(c->msg.seal, buf, len) < 0 ||
         ink_arc_verify_push(c->msg.arcv, buf, len) < 0))
        c->msg.seal_failed = 1;
    return go_on(c, SMFIP_NR_BODY);
}

/* reply_text - the reply text made safe for smfi_setreply: printable
 * ASCII, '%' doubled */
/* quarantine_field - the value of X-Inkan-Quarantine from a policy reply
 * ("250 2.0.0 accepted (quarantined ...)"): the text after the reply code
 * and enhanced status code, printable, with the leading space the milter
 * protocol expects (SMFIP_HDR_LEADSPC), in out (cap bytes) */
static void quarantine_field(const char *in, char *out, size_t cap)
{
    size_t o = 0;

    if (strlen(in) > 4 && isdigit((unsigned char)in[0]) && in[3] == ' ') {
        in += 4;
        if (isdigit((unsigned char)in[0]) && in[1] == '.') {
            while (*in != '\0' && *in != ' ')
                in++;
            while (*in == ' ')
                in++;
        }
    }
    if (cap < 2)
        return;
    out[o++] = ' ';
    for (; *in != '\0' && o + 1 < cap; in++) {
        unsigned char ch = (unsigned char)*in;

        out[o++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
    }
    out[o] = '\0';
}

static void reply_text(const char *in, char *out, size_t cap)
{
    size_t o = 0;

    for (; *in != '\0' && o + 3 < cap; in++) {
        unsigned char ch = (unsigned char)*in;

        if (ch == '%') {
            out[o++] = '%';
            out[o++] = '%';
        } else {
            out[o++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
        }
    }
    out[o] = '\0';
}

/* set_reply - "CODE X.Y.Z text" of the verdict to libmilter */
static void set_reply(SMFICTX *ctx, const char *reply, const char *def_code, const char *def_x)
{
    char code[4], xcode[16], text[MILTER_REPLY_MAX];
    const char *sp1 = strchr(reply, ' '), *sp2 = sp1 != NULL ? strchr(sp1 + 1, ' ') : NULL;

    if (sp1 != NULL && sp1 - reply == 3 && sp2 != NULL && (size_t)(sp2 - sp1 - 1) < sizeof(xcode)) {
        memcpy(code, reply, 3);
        code[3] = '\0';
        memcpy(xcode, sp1 + 1, (size_t)(sp2 - sp1 - 1));
        xcode[sp2 - sp1 - 1] = '\0';
        reply_text(sp2 + 1, text, sizeof(text));
    } else {
        (void)snprintf(code, sizeof(code), "%s", def_code);
        (void)snprintf(xcode, sizeof(xcode), "%s", def_x);
        reply_text(reply, text, sizeof(text));
    }
    if (code[0] != def_code[0]) { /* the verdict and its reply disagree: ours wins */
        (void)snprintf(code, sizeof(code), "%s", def_code);
        (void)snprintf(xcode, sizeof(xcode), "%s", def_x);
    }
    (void)smfi_setreply(ctx, code, xcode, text);
}

/* fold_lf - the field's CRLF folds as LF (how libmilter passes lines) */
static void fold_lf(char *s)
{
    char *w = s;

    for (; *s != '\0'; s++)
        if (!(s[0] == '\r' && s[1] == '\n'))
            *w++ = *s;
    *w = '\0';
}

/* seal_forwarded - the new ARC set of a forwarded message into out
 * (empty when the incoming chain's newest seal says cv=fail: not
 * continued); 0, or -1 with why (a temporary failure of the chain's key
 * lookups is one: the message is tempfailed, not sealed wrong) */
static int seal_forwarded(struct conn *c, struct ink_str *out, const char **why)
{
    struct msg *g = &c->msg;
    const struct ink_arc_result *res;
    int rc;

    if (ink_arc_verify_end(g->arcv) < 0) {
        *why = ink_arc_verify_error(g->arcv);
        return -1;
    }
    if (drive(c->gen, ink_arc_verify_machine(g->arcv)) != INK_NEXT_DONE ||
        (res = ink_arc_verify_result(g->arcv)) == NULL) {
        *why = "the incoming ARC chain could not be verified";
        return -1;
    }
    if (res->temporary) {
        *why = "a key of the incoming ARC chain could not be looked up";
        return -1;
    }
    ink_arc_seal_set_cv(g->seal, res->cv);
    (void)pthread_mutex_lock(&g_sign_lock);
    rc = ink_arc_seal_end(g->seal, "\n", out);
    (void)pthread_mutex_unlock(&g_sign_lock);
    if (rc < 0) {
        *why = ink_arc_seal_error(g->seal);
        return -1;
    }
    return 0;
}

/* eom_outbound - seal (forwarded mail, arc-seal), sign (when the From
 * domain has keys) and let it go; either failing tempfails the message */
static sfsistat eom_outbound(SMFICTX *ctx, struct conn *c)
{
    struct msg *g = &c->msg;
    struct ink_str out = INK_STR_INIT, arc = INK_STR_INIT;
    const char *why = NULL;
    char note[MILTER_REPLY_MAX];
    int rc = 0;

    if (g->failed) {
        log_verdict(c, "tempfail", "a recipient could not be kept");
        (void)smfi_setreply(ctx, "451", "4.3.0", "message could not be taken, try again later");
        msg_clear(g);
        return SMFIS_TEMPFAIL;
    }
    if (g->seal_failed || (g->seal != NULL && seal_forwarded(c, &arc, &why) < 0)) {
        log_verdict(c, "tempfail", why != NULL ? why : "forwarded message could not be sealed");
        (void)smfi_setreply(ctx, "451", "4.7.0", "message could not be sealed, try again later");
        msg_clear(g);
        return SMFIS_TEMPFAIL;
    }
    if (g->sign_failed) {
        log_verdict(c, "tempfail", "outbound message could not be signed");
        (void)smfi_setreply(ctx, "451", "4.7.0", "message could not be signed, try again later");
        ink_str_free(&arc);
        msg_clear(g);
        return SMFIS_TEMPFAIL;
    }
    if (g->sign != NULL) {
        (void)pthread_mutex_lock(&g_sign_lock);
        rc = ink_dkim_sign_end(g->sign, "\n", &out);
        (void)pthread_mutex_unlock(&g_sign_lock);
        if (rc < 0 || insert_fields(ctx, ink_str_cstr(&out)) < 0) {
            log_verdict(c, "tempfail", rc < 0 ? ink_dkim_sign_error(g->sign) : "cannot add the signature");
            (void)smfi_setreply(ctx, "451", "4.7.0", "message could not be signed, try again later");
            ink_str_free(&out);
            ink_str_free(&arc);
            msg_clear(g);
            return SMFIS_TEMPFAIL;
        }
        log_verdict(c, "signed", g->from_domain);
    } else if (g->seal == NULL) {
        log_verdict(c, "outbound", g->nfrom != 1 || g->from_domain[0] == '\0'
                                       ? "no single From domain: not signed"
                                       : "no signing key for the From domain: not signed");
    }
    /* the ARC set on top of everything (the DKIM signatures included) */
    if (g->seal != NULL) {
        if (arc.len > 0 && insert_fields(ctx, ink_str_cstr(&arc)) < 0) {
            log_verdict(c, "tempfail", "cannot add the ARC set");
            (void)smfi_setreply(ctx, "451", "4.7.0", "message could not be sealed, try again later");
            ink_str_free(&out);
            ink_str_free(&arc);
            msg_clear(g);
            return SMFIS_TEMPFAIL;
        }
        (void)snprintf(note, sizeof(note), "%s", ink_arc_seal_instance(g->seal) == 0
                                                     ? "forwarded: the incoming chain failed "
                                                       "(cv=fail): not sealed again"
                                                     : "forwarded: ARC-sealed");
        if (ink_arc_seal_instance(g->seal) > 0) {
            size_t l = strlen(note);

            (void)snprintf(note + l, sizeof(note) - l, " i=%u cv=%s", ink_arc_seal_instance(g->seal),
                           ink_arc_cv_name(ink_arc_verify_result(g->arcv)->cv));
        }
        log_verdict(c, "sealed", note);
    }
    ink_str_free(&out);
    ink_str_free(&arc);
    msg_clear(g);
    return SMFIS_CONTINUE;
}

/* record_evaluation - the row of one inbound evaluation (inkan/evlog.h),
 * durable (store or spool) when this returns 0; called once per message
 * at its end, after the verdict is acted on and before Postfix gets the
 * answer.  The key is "milter:", the queue id and random bytes: unique
 * even where queue ids are reused.  -1 when the row could not be kept
 * (the caller does not accept the message). */
static int record_evaluation(SMFICTX *ctx, const struct conn *c, const struct ink_inbound *m,
                             const struct ink_verdict *v)
{
    struct ink_evrow *row;
    unsigned char rnd[MILTER_KEY_RANDOM];
    char hex[2 * MILTER_KEY_RANDOM + 1], key[INK_EVROW_KEY_MAX];
    const char *qid;
    int rc;

    if (g_evw == NULL)
        return 0;
    qid = smfi_getsymval(ctx, "i");
    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
        log_verdict(c, "not recorded", "no random bytes for the row key");
        return -1;
    }
    ink_hex(rnd, sizeof(rnd), hex);
    (void)snprintf(key, sizeof(key), "milter:%.*s.%s", INK_EVROW_QUEUE_ID_MAX - 1,
                   qid != NULL && qid[0] != '\0' ? qid : "-", hex);
    row = malloc(sizeof(*row));
    if (row == NULL)
        return -1;
    ink_evrow_from_inbound(row, m, v, (int64_t)time(NULL), key, qid);
    rc = ink_evwriter_submit(g_evw, row);
    free(row);
    if (rc < 0)
        log_verdict(c, "not recorded", "the store and the spool both failed");
    return rc;
}

static sfsistat cb_eom(SMFICTX *ctx)
{
    struct conn *c = conn_of(ctx);
    struct msg *g;
    struct ink_verdict v;
    struct ink_str ar = INK_STR_INIT;
    enum ink_next how;
    char *val;
    size_t i;
    sfsistat rc = SMFIS_CONTINUE;

    if (c == NULL)
        return SMFIS_TEMPFAIL;
    g = &c->msg;
    if (c->helo_failed) {
        /* the steps before had no reply: their failures are answered here */
        log_verdict(c, "tempfail", "the HELO name could not be kept");
        (void)smfi_setreply(ctx, "451", "4.3.0", "message could not be evaluated, try again later");
        msg_clear(g);
        return SMFIS_TEMPFAIL;
    }
    if (g->outbound)
        return eom_outbound(ctx, c);
    if (ensure_machine(c) < 0 || g->failed || g->too_many_forged ||
        ink_inbound_end(g->m) < 0) {
        log_verdict(c, "tempfail", g->m != NULL ? ink_inbound_error(g->m) : "no machine");
        (void)smfi_setreply(ctx, "451", "4.7.0", "message could not be evaluated, try again later");
        msg_clear(g);
        return SMFIS_TEMPFAIL;
    }
    how = drive(c->gen, ink_inbound_machine(g->m));
    if (how != INK_NEXT_DONE) {
        log_verdict(c, "tempfail", ink_inbound_error(g->m));
        (void)smfi_setreply(ctx, "451", "4.7.0", "message could not be evaluated, try again later");
        msg_clear(g);
        return SMFIS_TEMPFAIL;
    }
    ink_policy_decide(c->gen->env->policy, g->m, NULL, &v);
    log_verdict(c, ink_verdict_name(v.action), v.smtp_reply);
    if (v.action == INK_VERDICT_REJECT) {
        /* a refused message is recorded too (the report's reject); if
         * its row cannot be kept it is still refused */
        (void)record_evaluation(ctx, c, g->m, &v);
        set_reply(ctx, v.smtp_reply, "550", "5.7.1");
        msg_clear(g);
        return SMFIS_REJECT;
    }
    if (v.action == INK_VERDICT_TEMPFAIL) {
        set_reply(ctx, v.smtp_reply, "451", "4.7.5");
        msg_clear(g);
        return SMFIS_TEMPFAIL;
    }
    /* forged fields first, the last first so the indices stay right */
    for (i = g->nforged; i > 0; i--)
        (void)smfi_chgheader(ctx, "Authentication-Results", (int)g->forged[i - 1], NULL);
    /* the value is folded in place, in ar's own buffer */
    if (ink_inbound_authres(g->m, c->gen->authserv, NULL, &ar) == 0 && ar.buf != NULL &&
        (val = strchr(ar.buf, ':')) != NULL) {
        fold_lf(val + 1);
        if (smfi_insheader(ctx, 0, "Authentication-Results", val + 1) != MI_SUCCESS)
            rc = SMFIS_TEMPFAIL;
    } else {
        rc = SMFIS_TEMPFAIL;
    }
    ink_str_free(&ar);
    if (rc == SMFIS_CONTINUE && v.action == INK_VERDICT_QUARANTINE) {
        char why[MILTER_REPLY_MAX];

        reply_text(v.smtp_reply, why, sizeof(why));
        if (c->gen->env->cfg->quarantine_header) {
            quarantine_field(v.smtp_reply, why, sizeof(why));
            if (smfi_insheader(ctx, 0, "X-Inkan-Quarantine", why) != MI_SUCCESS)
                rc = SMFIS_TEMPFAIL;
        } else if (smfi_quarantine(ctx, why) != MI_SUCCESS) {
            rc = SMFIS_TEMPFAIL;
        }
    }
    if (rc == SMFIS_TEMPFAIL) {
        (void)smfi_setreply(ctx, "451", "4.7.0", "message could not be evaluated, try again later");
    } else if (record_evaluation(ctx, c, g->m, &v) < 0) {
        /* its row must be durable before Postfix takes the message */
        (void)smfi_setreply(ctx, "451", "4.3.0", "evaluation could not be recorded, try again later");
        rc = SMFIS_TEMPFAIL;
    }
    msg_clear(g);
    return rc;
}

static sfsistat cb_abort(SMFICTX *ctx)
{
    struct conn *c = conn_of(ctx);

    if (c != NULL)
        msg_clear(&c->msg);
    return SMFIS_CONTINUE;
}

static sfsistat cb_close(SMFICTX *ctx)
{
    struct conn *c = conn_of(ctx);

    if (c != NULL) {
        msg_clear(&c->msg);
        free(c->helo);
        if (c->gen != NULL)
            gen_drop(c->gen);
        free(c);
        smfi_setpriv(ctx, NULL);
    }
    return SMFIS_CONTINUE;
}

/* The thread running smfi_main, and how it ended. */
static pthread_t g_main_tid;
static int g_main_rc;

static void *milter_thread(void *arg)
{
    (void)arg;
    g_main_rc = smfi_main();
    /* wake the signal loop when libmilter stopped on its own */
    (void)pthread_kill(g_main_tid, SIGUSR2);
    return NULL;
}

/* reload - a new generation from the caller's reload function; the old
 * one stays with its connections */
static void reload(ink_milter_reload_fn fn, void *arg, int verbose)
{
    struct ink_str err = INK_STR_INIT;
    struct ink_milter_env *env = fn(arg, &err);
    struct gen *g, *old;

    if (env == NULL) {
        fprintf(stderr, "inkan milter: SIGHUP: reload refused, the running configuration stays: %s\n",
                ink_str_cstr(&err));
        ink_str_free(&err);
        return;
    }
    ink_str_free(&err);
    g = gen_new(env);
    if (g == NULL) {
        fprintf(stderr, "inkan milter: SIGHUP: out of memory, the running configuration stays\n");
        if (g_free_env != NULL)
            g_free_env(g_arg, env);
        return;
    }
    (void)pthread_mutex_lock(&g_gen_lock);
    old = g_cur;
    g_cur = g;
    (void)pthread_mutex_unlock(&g_gen_lock);
    gen_drop(old);
    if (verbose || env->verbose)
        fprintf(stderr, "inkan milter: SIGHUP: configuration reloaded\n");
}

/* evwriter_log - the writer's lines (store down, back, replayed) go to
 * stderr: they matter whether or not -v asked for verdicts */
static void evwriter_log(void *arg, const char *line)
{
    (void)arg;
    fprintf(stderr, "inkan milter: evaluations: %s\n", line);
}

/* evwriter_start - the process's evaluation writer from env's
 * configuration; -1 with why in err (the spool cannot be opened) */
static int evwriter_start(const struct ink_milter_env *env, struct ink_str *err)
{
    struct ink_evwriter_opts o;
    struct ink_str why = INK_STR_INIT;

    memset(&o, 0, sizeof(o));
    o.store_path = env->cfg->ev_store;
    o.spool_path = env->cfg->ev_spool;
    o.batch_max = env->cfg->ev_batch;
    o.interval_ms = env->cfg->ev_interval_ms;
    o.queue_max = env->cfg->ev_queue;
    o.wait_ms = env->cfg->ev_wait_ms;
    o.retry_ms = env->cfg->ev_retry_ms;
    o.log = evwriter_log;
    g_evw = ink_evwriter_start(&o, &why);
    if (g_evw == NULL) {
        (void)ink_str_printf(err, "evaluations: %s", ink_str_cstr(&why));
        ink_str_free(&why);
        return -1;
    }
    ink_str_free(&why);
    return 0;
}

/* evwriter_stop - write what is queued, stop the writer (NULL-safe) */
static void evwriter_stop(void)
{
    ink_evwriter_stop(g_evw);
    g_evw = NULL;
}

/* nodelay_listener - TCP_NODELAY on the TCP socket libmilter listens on
 * (libmilter has no call that gives it: it is the one listening stream
 * socket of the process), inherited by every connection accepted from
 * it: the end of a message is several writes (the header changes, then
 * the verdict), and without it each one after the first waits for the
 * MTA's delayed ACK (bench/milter: 60 ms a message on one connection
 * before, see bench/README.md).  Nothing is done when none is found. */
static void nodelay_listener(void)
{
    int fd;

    for (fd = 0; fd < MILTER_FD_SCAN_MAX; fd++) {
        int v = 0, one = 1;
        socklen_t len = sizeof(v);
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);

        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) < 0 || v != 1)
            continue;
        if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0 ||
            (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
            continue;
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
}

/* ink_milter_run - serve until SIGTERM/SIGINT; SIGHUP reloads */
int ink_milter_run(struct ink_milter_env *env, ink_milter_reload_fn reload_fn,
                   ink_milter_free_fn free_env, void *arg, struct ink_str *err)
{
    static struct smfiDesc desc;
    char *conn;
    sigset_t set;
    pthread_t th;
    int sig, verbose = env->verbose;

    g_free_env = free_env;
    g_arg = arg;
    g_cur = gen_new(env);
    if (g_cur == NULL) {
        (void)ink_str_printf(err, "out of memory");
        return -1;
    }
    /* every thread (libmilter's too) inherits the mask: the signals go to
     * the sigwait loop of this thread (Linux gives a process-directed
     * signal to the main thread first when it waits for it) */
    (void)sigemptyset(&set);
    (void)sigaddset(&set, SIGHUP);
    (void)sigaddset(&set, SIGTERM);
    (void)sigaddset(&set, SIGINT);
    (void)sigaddset(&set, SIGUSR2);
    (void)pthread_sigmask(SIG_BLOCK, &set, NULL);
    /* the evaluation writer's thread is made with the mask: a SIGTERM
     * must not end the process from there */
    if (env->cfg->ev_store != NULL && evwriter_start(env, err) < 0)
        return -1;
    memset(&desc, 0, sizeof(desc));
    desc.xxfi_name = (char *)"inkan";
    desc.xxfi_version = SMFI_VERSION;
    desc.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE;
    desc.xxfi_connect = cb_connect;
    desc.xxfi_helo = cb_helo;
    desc.xxfi_envfrom = cb_envfrom;
    desc.xxfi_envrcpt = cb_envrcpt;
    desc.xxfi_header = cb_header;
    desc.xxfi_eoh = cb_eoh;
    desc.xxfi_body = cb_body;
    desc.xxfi_eom = cb_eom;
    desc.xxfi_abort = cb_abort;
    desc.xxfi_close = cb_close;
    desc.xxfi_negotiate = cb_negotiate;
    conn = strdup(env->cfg->socket);
    if (conn == NULL) {
        (void)ink_str_printf(err, "out of memory");
        evwriter_stop();
        return -1;
    }
    if (smfi_setconn(conn) != MI_SUCCESS) {
        (void)ink_str_printf(err, "socket %s: libmilter refused it", env->cfg->socket);
        free(conn);
        evwriter_stop();
        return -1;
    }
    if (smfi_register(desc) != MI_SUCCESS) {
        (void)ink_str_printf(err, "libmilter refused the registration");
        free(conn);
        evwriter_stop();
        return -1;
    }
    if (smfi_opensocket(1) != MI_SUCCESS) {
        (void)ink_str_printf(err, "socket %s: cannot listen (in use, or no permission)",
                             env->cfg->socket);
        free(conn);
        evwriter_stop();
        return -1;
    }
    g_noreply = strncmp(env->cfg->socket, "unix:", 5) == 0 || strncmp(env->cfg->socket, "local:", 6) == 0;
    if (!g_noreply)
        nodelay_listener();
    g_main_tid = pthread_self();
    if (pthread_create(&th, NULL, milter_thread, NULL) != 0) {
        (void)ink_str_printf(err, "cannot start the milter thread");
        free(conn);
        evwriter_stop();
        return -1;
    }
    for (;;) {
        struct ink_milter_env *cur;
        struct timespec ts;
        int every;

        (void)pthread_mutex_lock(&g_gen_lock);
        cur = g_cur->env;
        (void)pthread_mutex_unlock(&g_gen_lock);
        every = cur->recheck != NULL && reload_fn != NULL ? cur->cfg->rotation_recheck_s : 0;
        if (every > 0) {
            /* the rotation store is looked at between signals */
            ts.tv_sec = every;
            ts.tv_nsec = 0;
            sig = sigtimedwait(&set, NULL, &ts);
            if (sig < 0) {
                if (errno == EAGAIN && cur->recheck(arg, cur) > 0) {
                    if (verbose || cur->verbose)
                        fprintf(stderr, "inkan milter: the rotation store changed what signs: "
                                        "reloading\n");
                    reload(reload_fn, arg, verbose);
                }
                continue;
            }
        } else if (sigwait(&set, &sig) != 0)
            continue;
        if (sig == SIGHUP && reload_fn != NULL) {
            reload(reload_fn, arg, verbose);
            continue;
        }
        if (sig == SIGHUP)
            continue;
        if (sig != SIGUSR2)
            (void)smfi_stop();
        break;
    }
    (void)pthread_join(th, NULL);
    free(conn);
    /* what is queued for the store is written (store, else spool) */
    evwriter_stop();
    /* the current generation's own reference (connections still open keep theirs) */
    gen_drop(g_cur);
    g_cur = NULL;
    if (g_main_rc != MI_SUCCESS) {
        (void)ink_str_printf(err, "the milter loop failed");
        return -1;
    }
    return 0;
}
