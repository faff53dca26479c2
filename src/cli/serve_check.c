/*
 * serve_check.c - the check runner of `inkan serve`: GET /api/check/{d}
 * answers the document of `inkan check DOMAIN --json`, and the DNS work
 * of that audit must not hold libmicrohttpd's thread (every other request
 * would wait on a slow name server).  The handler defers the request (the
 * connection is suspended, inkan/http.h), the job is queued here, and one
 * thread of our own runs every queued audit through one driver (many in
 * flight at once), answering each with ink_http_resume() when it ends, or
 * 504 when it has taken longer than the timeout.
 *
 * The queue is the only thing the two threads share (under the mutex); a
 * pipe wakes the runner.  The resolver and the driver belong to the
 * runner's thread alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check_json.h"
#include "cli.h"
#include "inkan/audit.h"
#include "inkan/dkim_key.h"
#include "inkan/driver.h"
#include "serve.h"

/* Longest wait of the runner's loop with nothing due (ms): it looks at
 * the queue at least this often even if a wake-up were lost. */
#define CHECK_POLL_MAX_MS 1000

/* One check asked for. */
struct job {
    struct serve_check *c;
    char *domain;
    char *selbuf;                /* the selector list, split in place */
    const char *sel[SERVE_CHECK_SELECTORS_MAX];
    size_t nsel;
    struct ink_http_pending *p;  /* NULL once answered (a timeout) */
    struct ink_audit *a;
    double deadline;             /* monotonic ms */
    int ended;                   /* the audit is done (runner's thread) */
    struct job *next;
};

struct serve_check {
    pthread_t thread;
    int started;
    pthread_mutex_t mu;
    struct job *queue, **queue_tail; /* under mu */
    size_t queued;                   /* queued + running, under mu */
    int stopping;                    /* under mu */
    int wake[2];                     /* the pipe that wakes the runner */
    const struct ink_resolver_opts *dns;
    int timeout_s;
    /* the runner's thread only */
    struct ink_resolver *r;
    struct ink_driver *d;
    struct job *active;
};

/* mono_ms - monotonic milliseconds */
static double mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* job_free - release a job (its audit too) */
static void job_free(struct job *j)
{
    if (j == NULL)
        return;
    ink_audit_free(j->a);
    free(j->domain);
    free(j->selbuf);
    free(j);
}

/* reply_error - answer p with an error document */
static void reply_error(struct ink_http_pending *p, unsigned status, const char *code,
                        const char *message)
{
    struct ink_http_response res;

    memset(&res, 0, sizeof(res));
    serve_error(&res, status, code, message);
    ink_http_resume(p, &res);
}

/* done_count - one job fewer queued or running */
static void done_count(struct serve_check *c)
{
    pthread_mutex_lock(&c->mu);
    c->queued--;
    pthread_mutex_unlock(&c->mu);
}

/* audit_ended - the driver's done callback (runner's thread): answer */
static void audit_ended(void *arg, struct ink_machine m, enum ink_next how)
{
    struct job *j = arg;

    (void)m;
    (void)how; /* an audit always ends DONE: what failed is a finding */
    j->ended = 1;
    if (j->p != NULL) {
        struct ink_http_response res;
        json_t *doc = cli_check_json(j->a);

        memset(&res, 0, sizeof(res));
        if (doc == NULL)
            serve_error(&res, 500, "internal", "out of memory");
        else
            serve_json(&res, 200, doc);
        ink_http_resume(j->p, &res);
        j->p = NULL;
    }
}

/* fresh_driver - with nothing running, a new driver (no answers kept from
 * an earlier check: a record just published must be seen) and, over a
 * zone file, the file read again; 0/-1 */
static int fresh_driver(struct serve_check *c)
{
    struct ink_driver_opts o;

    ink_driver_free(c->d);
    c->d = NULL;
    if (c->dns->zone_file != NULL || c->r == NULL) {
        ink_resolver_free(c->r);
        c->r = cli_resolver_open(c->dns);
        if (c->r == NULL)
            return -1;
    }
    memset(&o, 0, sizeof(o));
    o.timeout_ms = c->dns->timeout_ms;
    o.no_cache = 1;
    c->d = ink_driver_new(c->r, &o);
    return c->d ? 0 : -1;
}

/* start_jobs - the audits of the jobs taken from the queue */
static void start_jobs(struct serve_check *c, struct job *list)
{
    struct job *j, *next;

    if (list != NULL && (c->d == NULL || ink_driver_running(c->d) == 0) && fresh_driver(c) < 0) {
        for (j = list; j != NULL; j = next) {
            next = j->next;
            reply_error(j->p, 500, "dns", "the DNS source cannot be opened (the log says why)");
            job_free(j);
            done_count(c);
        }
        return;
    }
    for (j = list; j != NULL; j = next) {
        struct ink_audit_opts ao;

        next = j->next;
        memset(&ao, 0, sizeof(ao));
        ao.domain = j->domain;
        ao.selectors = j->sel;
        ao.nselectors = j->nsel;
        ao.org_mode = INK_DMARC_ORG_TREEWALK;
        j->a = ink_audit_new(&ao);
        if (j->a == NULL || ink_driver_add(c->d, ink_audit_machine(j->a), audit_ended, j) < 0) {
            reply_error(j->p, 500, "internal", "out of memory");
            job_free(j);
            done_count(c);
            continue;
        }
        j->deadline = mono_ms() + 1000.0 * c->timeout_s;
        j->next = c->active;
        c->active = j;
    }
}

/* sweep - answer the jobs past their deadline 504; free the ended ones.
 * Returns ms until the next deadline (-1: none). */
static int sweep(struct serve_check *c)
{
    struct job **pp = &c->active;
    double now = mono_ms(), soon = -1;

    while (*pp != NULL) {
        struct job *j = *pp;

        if (j->p != NULL && now >= j->deadline) {
            /* the audit goes on to its end (each query has its own
             * timeout); only its answer is no longer wanted */
            reply_error(j->p, 504, "check_timeout", "the DNS checks took too long");
            j->p = NULL;
        }
        if (j->ended) {
            *pp = j->next;
            job_free(j);
            done_count(c);
            continue;
        }
        if (j->p != NULL && (soon < 0 || j->deadline - now < soon))
            soon = j->deadline - now;
        pp = &j->next;
    }
    return soon < 0 ? -1 : (int)soon + 1;
}

/* runner - the thread: take queued jobs, step the driver, answer */
static void *runner(void *arg)
{
    struct serve_check *c = arg;
    struct job *j, *next;
    char buf[64];

    for (;;) {
        struct job *list;
        struct pollfd pf[2];
        int stop, wait, dt, nfd = 1, fd;

        pthread_mutex_lock(&c->mu);
        stop = c->stopping;
        list = c->queue;
        c->queue = NULL;
        c->queue_tail = &c->queue;
        pthread_mutex_unlock(&c->mu);
        if (stop) {
            for (j = list; j != NULL; j = next) {
                next = j->next;
                reply_error(j->p, 503, "stopping", "the service is stopping");
                job_free(j);
            }
            break;
        }
        start_jobs(c, list);
        if (c->d != NULL && ink_driver_running(c->d) > 0 && ink_driver_step(c->d, 0) < 0)
            cli_error("serve: check: the DNS resolver failed");
        wait = sweep(c);
        dt = c->d != NULL && ink_driver_running(c->d) > 0 ? ink_driver_timeout(c->d) : -1;
        if (dt >= 0 && (wait < 0 || dt < wait))
            wait = dt;
        if (wait < 0 || wait > CHECK_POLL_MAX_MS)
            wait = CHECK_POLL_MAX_MS;
        pf[0].fd = c->wake[0];
        pf[0].events = POLLIN;
        fd = c->d != NULL && ink_driver_running(c->d) > 0 ? ink_driver_fd(c->d) : -1;
        if (fd >= 0) {
            pf[1].fd = fd;
            pf[1].events = POLLIN;
            nfd = 2;
        }
        if (poll(pf, (nfds_t)nfd, wait) > 0 && (pf[0].revents & POLLIN))
            while (read(c->wake[0], buf, sizeof(buf)) > 0)
                ;
    }
    for (j = c->active; j != NULL; j = j->next)
        if (j->p != NULL) {
            reply_error(j->p, 503, "stopping", "the service is stopping");
            j->p = NULL;
        }
    ink_driver_free(c->d); /* drops the audits still running */
    c->d = NULL;
    for (j = c->active; j != NULL; j = next) {
        next = j->next;
        job_free(j);
    }
    c->active = NULL;
    return NULL;
}

/* serve_check_start - the runner and its thread */
struct serve_check *serve_check_start(const struct ink_resolver_opts *dns, int timeout_s)
{
    struct serve_check *c = calloc(1, sizeof(*c));

    if (c == NULL) {
        cli_error("serve: out of memory");
        return NULL;
    }
    c->wake[0] = c->wake[1] = -1;
    c->dns = dns;
    c->timeout_s = timeout_s;
    c->queue_tail = &c->queue;
    pthread_mutex_init(&c->mu, NULL);
    /* the DNS source is opened once here so a bad one is said at start */
    if ((c->r = cli_resolver_open(dns)) == NULL) {
        serve_check_stop(c);
        return NULL;
    }
    if (pipe2(c->wake, O_NONBLOCK | O_CLOEXEC) < 0 ||
        pthread_create(&c->thread, NULL, runner, c) != 0) {
        cli_error("serve: cannot start the check thread: %s", strerror(errno));
        serve_check_stop(c);
        return NULL;
    }
    c->started = 1;
    return c;
}

/* serve_check_stop - answer the rest 503, join, free */
void serve_check_stop(struct serve_check *c)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&c->mu);
    c->stopping = 1;
    pthread_mutex_unlock(&c->mu);
    if (c->started) {
        if (write(c->wake[1], "x", 1) < 0) {
            /* the pipe is full: the runner is woken already */
        }
        pthread_join(c->thread, NULL);
    }
    if (c->wake[0] >= 0)
        close(c->wake[0]);
    if (c->wake[1] >= 0)
        close(c->wake[1]);
    ink_resolver_free(c->r);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

/* job_defer - the server suspended the connection: queue the job (the
 * server's thread) */
static void job_defer(void *arg, struct ink_http_pending *p)
{
    struct job *j = arg;
    struct serve_check *c = j->c;
    int refused = 0;

    j->p = p;
    pthread_mutex_lock(&c->mu);
    if (c->stopping)
        refused = 503;
    else if (c->queued >= SERVE_CHECK_QUEUE_MAX)
        refused = 429;
    else {
        j->next = NULL;
        *c->queue_tail = j;
        c->queue_tail = &j->next;
        c->queued++;
    }
    pthread_mutex_unlock(&c->mu);
    if (refused) {
        reply_error(p, (unsigned)refused, refused == 503 ? "stopping" : "busy",
                    refused == 503 ? "the service is stopping"
                                   : "too many checks at once; try again shortly");
        job_free(j);
        return;
    }
    if (write(c->wake[1], "x", 1) < 0) {
        /* the pipe is full: the runner is woken already */
    }
}

/* serve_check_request - a deferred check of domain */
int serve_check_request(struct serve_check *c, const char *domain, const char *sel,
                        struct ink_http_response *res)
{
    struct job *j = calloc(1, sizeof(*j));
    char *s, *save = NULL;

    if (j == NULL || (j->domain = strdup(domain)) == NULL ||
        (sel != NULL && (j->selbuf = strdup(sel)) == NULL)) {
        job_free(j);
        serve_error(res, 500, "internal", "out of memory");
        return -1;
    }
    j->c = c;
    for (s = j->selbuf ? strtok_r(j->selbuf, ",", &save) : NULL; s != NULL;
         s = strtok_r(NULL, ",", &save)) {
        size_t erroff;
        const char *why;

        if (j->nsel == SERVE_CHECK_SELECTORS_MAX ||
            ink_dkim_selector_check(s, strlen(s), &erroff, &why) < 0) {
            job_free(j);
            serve_error(res, 400, "bad_selector",
                        "selector= is a comma list of DKIM selectors (docs/api.md gives the limit)");
            return -1;
        }
        j->sel[j->nsel++] = s;
    }
    res->defer = job_defer;
    res->defer_arg = j;
    return 0;
}
