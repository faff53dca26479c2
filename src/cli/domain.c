/*
 * domain.c - `inkan domain add|verify|status|list|watch|remove`: follow a
 * sending domain's records from provisioning until they are live, and keep
 * checking them afterwards.
 *
 * The state machine and the machines that ask are the core's
 * (inkan/verify.h); the state lives in the store (inkan/store.h, SQLite).
 * This file does the I/O, through the driver (inkan/driver.h), for up to
 * CHECK_BATCH_MAX domains at once: it finds each record's authoritative
 * name servers (ink_vauth over the recursive resolver), asks them directly
 * with uncached resolvers (ink_vcheck over the authoritative-view resolver
 * below), so a negative answer cached by a recursive resolver cannot hide
 * a record that was just published; it also asks the recursive resolver
 * and reports what that one sees.  Each domain is then saved in its own
 * transaction, revision-checked.
 *
 * Time comes from cli_clock_now(): the real clock, or for tests INKAN_NOW
 * (a fixed epoch), or INKAN_CLOCK_SPEED with INKAN_CLOCK_REF (simulated
 * time running SPEED times faster than real time since REF).
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "inkan/dnsio.h"
#include "inkan/driver.h"
#include "inkan/provision.h"
#include "inkan/store.h"
#include "inkan/verify.h"

/* Exit codes of domain verify/status (beside 0, 1, 2). */
#define DOMAIN_EXIT_PENDING 3 /* records still awaited */
#define DOMAIN_EXIT_FAILED 4  /* FAILURE or TEMPORARY_FAILURE */

/* Port the authoritative servers are asked on unless --auth-port says. */
#define AUTH_PORT_DEFAULT 53
/* Authoritative servers one run keeps a resolver for. */
#define AUTH_RESOLVERS_MAX 64
/* Domains checked at once (one batch through the drivers). */
#define CHECK_BATCH_MAX 64
/* How often a resolver without a descriptor is polled for answers (ms). */
#define ROUTER_POLL_MS 10
/* Longest simulated pause of `watch` between looks at the store (s). */
#define WATCH_SLEEP_MAX 60
/* Shortest real pause of `watch` between looks at the store (s). */
#define WATCH_SLEEP_MIN_REAL 0.01
/* Times `verify` checks again when another process saved meanwhile. */
#define VERIFY_ATTEMPTS 3
/* History rows `status DOMAIN` shows. */
#define STATUS_HISTORY 20
/* Largest records.json accepted. */
#define RECORDS_JSON_MAX (4u * 1024u * 1024u)

/* ---- clock ---- */

static int64_t clock_fixed = -1; /* --now */

/* clock_speed - INKAN_CLOCK_SPEED (1 when unset or bad) */
static double clock_speed(void)
{
    const char *s = getenv("INKAN_CLOCK_SPEED");
    double v;
    char *end;

    if (s == NULL || *s == '\0')
        return 1.0;
    v = strtod(s, &end);
    return (*end == '\0' && v > 0 && v <= 1e7) ? v : 1.0;
}

/* cli_clock_now - the current time as commands see it (see file comment) */
static int64_t cli_clock_now(void)
{
    const char *now_env = getenv("INKAN_NOW"), *ref_env = getenv("INKAN_CLOCK_REF");
    int64_t base, ref, real = (int64_t)time(NULL);
    double speed = clock_speed();

    if (clock_fixed >= 0)
        return clock_fixed;
    base = cli_parse_epoch(now_env);
    ref = cli_parse_epoch(ref_env);
    if (speed != 1.0 || ref >= 0) {
        if (ref < 0)
            ref = real;
        if (base < 0)
            base = ref;
        return base + (int64_t)((double)(real - ref) * speed);
    }
    return base >= 0 ? base : real;
}

/* ---- options shared by the subcommands ---- */

struct dctx {
    struct ink_resolver_opts dns;
    const char *db_path;
    char *db_default;
    int auth_port;          /* port the authoritative servers are asked on */
    int json;
    struct ink_store *store;
    /* checking */
    struct ink_resolver *rec; /* recursive resolver, or the zone file */
    /* the authoritative servers of each name the current batch needs */
    struct auth_zone {
        char *name;           /* the name looked up */
        char *why;            /* why no servers, or NULL */
        size_t nserv;
        char *serv[INK_VAUTH_SERVERS_MAX]; /* "ADDR:PORT" */
    } *zones;
    size_t nzones, zcap;
    struct auth_res {
        char *server;
        struct ink_resolver *r;
        int dead; /* timed out during the current batch: skip it */
    } res[AUTH_RESOLVERS_MAX];
    size_t nres;
    /* the real second the last batch's authoritative queries ended in:
     * libunbound keeps even an uncached (TTL 0) answer until that second
     * is over, so a batch starting within it makes the resolvers anew */
    time_t res_second;
};

/* open_store - open the database the options name; readonly for the
 * commands that only read it (a database the user may not write can
 * still be shown) */
static int open_store(struct dctx *c, int readonly)
{
    struct ink_str err = INK_STR_INIT;
    struct stat st;

    if (c->db_path == NULL) {
        c->db_default = cli_default_db_path();
        if (c->db_default == NULL) {
            cli_error("no --db FILE given and neither XDG_DATA_HOME nor HOME is set");
            return -1;
        }
        c->db_path = c->db_default;
    }
    /* a database not made yet is made (and then empty) as before */
    c->store = ink_store_open(c->db_path,
                              readonly && (ink_store_is_uri(c->db_path) ||
                                           !(stat(c->db_path, &st) < 0 && errno == ENOENT)),
                              &err);
    if (c->store == NULL)
        cli_error("%s", ink_str_cstr(&err));
    ink_str_free(&err);
    return c->store ? 0 : -1;
}

/* auth_cache_clear - forget the name servers found (they may change) */
static void auth_cache_clear(struct dctx *c)
{
    size_t i, j;

    for (i = 0; i < c->nzones; i++) {
        free(c->zones[i].name);
        free(c->zones[i].why);
        for (j = 0; j < c->zones[i].nserv; j++)
            free(c->zones[i].serv[j]);
    }
    c->nzones = 0;
}

/* dctx_free - release what the context holds */
static void dctx_free(struct dctx *c)
{
    size_t i;

    ink_store_free(c->store);
    ink_resolver_free(c->rec);
    auth_cache_clear(c);
    free(c->zones);
    for (i = 0; i < c->nres; i++) {
        free(c->res[i].server);
        ink_resolver_free(c->res[i].r);
    }
    free(c->db_default);
}

enum {
    OPT_DB = CLI_OPT_FIRST_FREE,
    OPT_NOW,
    OPT_AUTH_PORT,
    OPT_PROFILE,
    OPT_OUT,
    OPT_SUBDOMAIN,
    OPT_DKIM,
    OPT_REPLACE,
    OPT_ONCE,
    OPT_HISTORY
};

/* The options every domain subcommand takes beside the option layer's
 * shared ones (DNS source, --json, --help). */
#define DOMAIN_LONGOPTS                                            \
    {"db", required_argument, NULL, OPT_DB},                      \
    {"now", required_argument, NULL, OPT_NOW},                    \
    {"auth-port", required_argument, NULL, OPT_AUTH_PORT}

/* common_option - take a DOMAIN_LONGOPTS option; 1 taken, 0 not, -1 bad value */
static int common_option(struct dctx *c, int opt, const char *arg)
{
    switch (opt) {
    case OPT_DB:
        if (!ink_store_db_ok(arg)) {
            cli_error("--db '%s': give a database file (an empty or in-memory database would "
                      "be thrown away at exit) or a postgresql:// URI", arg);
            return -1;
        }
        c->db_path = arg;
        return 1;
    case OPT_NOW:
        clock_fixed = cli_parse_epoch(arg);
        if (clock_fixed < 0) {
            cli_error("--now: '%s' is not a time in seconds since 1970", arg);
            return -1;
        }
        return 1;
    case OPT_AUTH_PORT:
        c->auth_port = cli_parse_auth_port(arg);
        return c->auth_port < 0 ? -1 : 1;
    default:
        return 0;
    }
}

static const char domain_help[] =
    "usage: inkan domain SUBCOMMAND [OPTIONS]\n\n"
    "Follow a sending domain's DNS records until they are published, and after.\n\n"
    "  add DOMAIN (--profile FILE | --out DIR|records.json) [--subdomain NAME]\n"
    "             [--dkim ALG,...] [--replace]     start following DOMAIN\n"
    "  verify DOMAIN...                            check now and record the result\n"
    "  status [DOMAIN] [--json] [--history N]      show states (no DNS queries)\n"
    "  list                                        one line per domain\n"
    "  watch [--once]                              poll every domain when due\n"
    "  remove DOMAIN                               forget a domain\n\n"
    "States: NOT_STARTED, PENDING (records awaited; polled every 5 minutes, backing\n"
    "off to hourly), VERIFIED (every record seen), TEMPORARY_FAILURE (a verified\n"
    "record went missing or changed), FAILURE (not verified within 72 hours).\n\n"
    "Options:\n"
    "  --db FILE|URI        state database (default $XDG_DATA_HOME/inkan/inkan.db\n"
    "                       or ~/.local/share/inkan/inkan.db), or postgresql://...\n"
    "  --json               machine-readable output (status, verify, list)\n"
    "  --auth-port PORT     port of the authoritative servers (default 53)\n"
    "  --now EPOCH          for testing: the current time (also INKAN_NOW; with\n"
    "                       INKAN_CLOCK_SPEED=N and INKAN_CLOCK_REF=EPOCH time runs\n"
    "                       N times faster than real time since REF)\n" CLI_DNS_HELP
    "\nWith --zone FILE answers come from the zone file (before publication).\n"
    "Exit status of verify and status: 0 all VERIFIED, 3 records still awaited,\n"
    "4 FAILURE or TEMPORARY_FAILURE; 1 operational error, 2 usage error.\n";

/* Each subcommand's usage line and what it does (`inkan domain SUB --help`
 * prints it with the shared options; the man page says the same). */
static const struct {
    const char *name, *usage, *what;
} domain_subs[] = {
    {"add", "add DOMAIN (--profile FILE | --out DIR|records.json) [--subdomain NAME]\n"
            "                    [--dkim ALG,...] [--replace]",
     "Start following DOMAIN: the records its records.json (from inkan provision)\n"
     "lists, or those its sender profile implies."},
    {"verify", "verify DOMAIN...", "Check the domains now and record the result."},
    {"status", "status [DOMAIN] [--json] [--history N]",
     "Show the state of one or every domain (no DNS queries)."},
    {"list", "list [--json]", "One line per domain: state, records verified, next check."},
    {"watch", "watch [--once]",
     "Poll every domain when its next check is due, for ever (--once: one round)."},
    {"remove", "remove DOMAIN", "Forget a domain and its history."},
};

/* domain_sub_help - print SUB's usage and the shared options to fp (the
 * generic help when sub is unknown) */
static void domain_sub_help(FILE *fp, const char *sub)
{
    size_t i;

    for (i = 0; i < sizeof(domain_subs) / sizeof(domain_subs[0]); i++)
        if (strcmp(domain_subs[i].name, sub) == 0)
            break;
    if (i == sizeof(domain_subs) / sizeof(domain_subs[0])) {
        fputs(domain_help, fp);
        return;
    }
    fprintf(fp, "usage: inkan domain %s [OPTIONS]\n\n%s\n\n", domain_subs[i].usage,
            domain_subs[i].what);
    /* the shared part of the generic help: from "Options:" on */
    fputs(strstr(domain_help, "Options:\n"), fp);
}

/* The subcommand being parsed, for domain_usage (the option layer's help
 * callback takes no argument). */
static const char *domain_sub_now = "";

/* domain_usage - the help of the subcommand being parsed */
static void domain_usage(FILE *fp)
{
    domain_sub_help(fp, domain_sub_now);
}

/* domain_optset - the option layer's view of a domain subcommand */
static struct cli_optset domain_optset(struct dctx *c, const struct option *own, char **argv)
{
    struct cli_optset set = {.own = own, .dns = &c->dns, .json = &c->json, .usage = domain_usage};

    domain_sub_now = strrchr(argv[0], ' ') != NULL ? strrchr(argv[0], ' ') + 1 : argv[0];
    return set;
}

/* ---- authoritative servers ---- */

/* zone_find - the servers found for name in this batch, or -1 */
static long zone_find(const struct dctx *c, const char *name)
{
    size_t i;

    for (i = 0; i < c->nzones; i++)
        if (ink_dns_name_eq(c->zones[i].name, name))
            return (long)i;
    return -1;
}

/* zone_add - remember what the search a (NULL: could not be made) found
 * for name; 0, or -1 on ENOMEM */
static int zone_add(struct dctx *c, const char *name, const struct ink_vauth *a)
{
    struct auth_zone *z;
    size_t i;

    if (c->nzones == c->zcap) {
        size_t cap = c->zcap ? c->zcap * 2 : 16;
        struct auth_zone *grown;
        if (cap > SIZE_MAX / sizeof(*grown))
            return -1;
        grown = realloc(c->zones, cap * sizeof(*grown));
        if (grown == NULL)
            return -1;
        c->zones = grown;
        c->zcap = cap;
    }
    z = &c->zones[c->nzones];
    memset(z, 0, sizeof(*z));
    z->name = ink_memdup_cstr(name, strlen(name));
    if (z->name == NULL)
        return -1;
    c->nzones++;
    if (a == NULL || ink_vauth_why(a) != NULL) {
        const char *why = a != NULL ? ink_vauth_why(a) : "out of memory";
        z->why = ink_memdup_cstr(why, strlen(why));
        return z->why ? 0 : -1;
    }
    for (i = 0; i < ink_vauth_nservers(a) && z->nserv < INK_VAUTH_SERVERS_MAX; i++) {
        const struct ink_vauth_server *s = ink_vauth_server(a, i);
        char *str = cli_server_string(s->family, s->addr, c->auth_port);
        if (str == NULL)
            return -1;
        z->serv[z->nserv++] = str;
    }
    return 0;
}

/* auth_resolver - an uncached resolver forwarding to one server (NULL
 * when it cannot be made or timed out earlier in this batch) */
static struct ink_resolver *auth_resolver(struct dctx *c, const char *server, size_t *slot)
{
    struct ink_resolver *r;
    size_t i;

    for (i = 0; i < c->nres; i++)
        if (strcmp(c->res[i].server, server) == 0)
            break;
    if (i < c->nres && (c->res[i].dead || c->res[i].r != NULL)) {
        *slot = i;
        return c->res[i].dead ? NULL : c->res[i].r;
    }
    if (i == c->nres && c->nres >= AUTH_RESOLVERS_MAX)
        return NULL;
    r = cli_server_resolver(server, cli_query_timeout(&c->dns));
    if (r == NULL)
        return NULL;
    if (i < c->nres) {
        /* made again after its resolver failed in an earlier batch */
        c->res[i].r = r;
        *slot = i;
        return r;
    }
    c->res[c->nres].server = ink_memdup_cstr(server, strlen(server));
    if (c->res[c->nres].server == NULL) {
        ink_resolver_free(r);
        return NULL;
    }
    c->res[c->nres].r = r;
    c->res[c->nres].dead = 0;
    *slot = c->nres++;
    return r;
}

/*
 * The authoritative view as a resolver: each query goes to the servers
 * found for its name (ink_vauth_search_name), one after the other, until
 * one answers with something other than SERVFAIL or TIMEOUT.  A server
 * that timed out is not asked again in the same batch.  The driver runs
 * the checks over it as over any resolver.
 */
struct route_job {
    struct auth_router *rt;
    char *name;
    uint16_t type;
    ink_resolver_cb cb;
    void *arg;
    long zone;                   /* index into the batch's zones, or -1 */
    size_t next;                 /* the next server to try */
    size_t slot;                 /* the resolver asked now */
    struct ink_dns_answer *last; /* the last failure, or the answer to give */
    struct route_job *qnext;     /* in the ready list */
    int at_server;               /* submitted to res[slot], not answered yet */
    struct route_job *iprev, *inext; /* in the router's in-flight list */
};

struct auth_router {
    struct ink_resolver base;
    struct dctx *c;
    size_t pending;
    size_t delivered;
    struct route_job *ready, *ready_tail; /* answered; callback not run yet */
    struct route_job *inflight;           /* at a server's resolver */
};

/* route_unlink - j is no longer at a server */
static void route_unlink(struct route_job *j)
{
    if (!j->at_server)
        return;
    if (j->iprev != NULL)
        j->iprev->inext = j->inext;
    else
        j->rt->inflight = j->inext;
    if (j->inext != NULL)
        j->inext->iprev = j->iprev;
    j->iprev = j->inext = NULL;
    j->at_server = 0;
}

/* route_give - run the job's callback with its answer and free it */
static void route_give(struct route_job *j)
{
    struct auth_router *rt = j->rt;
    struct ink_dns_answer *a = j->last;

    j->last = NULL;
    rt->pending--;
    rt->delivered++;
    j->cb(j->arg, a);
    free(j->name);
    free(j);
}

/* route_ready - queue j to be answered inside the next process() */
static void route_ready(struct route_job *j, const char *why)
{
    struct auth_router *rt = j->rt;

    if (j->last == NULL) {
        j->last = ink_dns_answer_new(j->name, j->type, INK_DNS_SERVFAIL);
        if (j->last != NULL)
            ink_dns_answer_set_why(j->last, why);
    }
    j->qnext = NULL;
    if (rt->ready_tail != NULL)
        rt->ready_tail->qnext = j;
    else
        rt->ready = j;
    rt->ready_tail = j;
}

static void route_cb(void *arg, struct ink_dns_answer *a);

/* route_try - ask the next server that can be asked, or give up */
static void route_try(struct route_job *j)
{
    struct dctx *c = j->rt->c;
    const struct auth_zone *z = &c->zones[j->zone];

    while (j->next < z->nserv) {
        struct ink_resolver *r = auth_resolver(c, z->serv[j->next++], &j->slot);
        if (r != NULL && ink_resolver_submit(r, j->name, j->type, route_cb, j) == 0) {
            j->at_server = 1;
            j->iprev = NULL;
            j->inext = j->rt->inflight;
            if (j->inext != NULL)
                j->inext->iprev = j;
            j->rt->inflight = j;
            return;
        }
    }
    route_ready(j, "no authoritative server could be asked");
}

/* route_cb - a server answered: take it, or try the next one */
static void route_cb(void *arg, struct ink_dns_answer *a)
{
    struct route_job *j = arg;

    route_unlink(j);
    ink_dns_answer_free(j->last);
    j->last = a;
    if (a != NULL && a->status != INK_DNS_SERVFAIL && a->status != INK_DNS_TIMEOUT) {
        route_give(j);
        return;
    }
    if (a == NULL || a->status == INK_DNS_TIMEOUT)
        j->rt->c->res[j->slot].dead = 1; /* do not wait for it again in this batch */
    route_try(j);
}

/* router_submit - route (name, type) to its servers */
static int router_submit(struct ink_resolver *r, const char *name, uint16_t type,
                         ink_resolver_cb cb, void *arg)
{
    struct auth_router *rt = (struct auth_router *)r;
    struct route_job *j = calloc(1, sizeof(*j));

    if (j == NULL)
        return -1;
    j->name = ink_memdup_cstr(name, strlen(name));
    if (j->name == NULL) {
        free(j);
        return -1;
    }
    j->rt = rt;
    j->type = type;
    j->cb = cb;
    j->arg = arg;
    j->zone = zone_find(rt->c, ink_vauth_search_name(j->name, type));
    rt->pending++;
    if (j->zone < 0)
        route_ready(j, "no name server was looked up");
    else if (rt->c->zones[j->zone].nserv == 0)
        route_ready(j, rt->c->zones[j->zone].why ? rt->c->zones[j->zone].why : "no name server");
    else
        route_try(j);
    return 0;
}

/* router_deliver - run the callbacks of the ready list */
static void router_deliver(struct auth_router *rt)
{
    while (rt->ready != NULL) {
        struct route_job *j = rt->ready;
        rt->ready = j->qnext;
        if (rt->ready == NULL)
            rt->ready_tail = NULL;
        route_give(j);
    }
}

/* router_drop_server - the resolver of server i failed: free it (its
 * callbacks are dropped) and send what it held on to the next servers */
static void router_drop_server(struct auth_router *rt, size_t i)
{
    struct dctx *c = rt->c;
    struct route_job *j, *next;

    ink_resolver_free(c->res[i].r);
    c->res[i].r = NULL;
    c->res[i].dead = 1;
    for (j = rt->inflight; j != NULL; j = next) {
        next = j->inext;
        if (j->slot != i)
            continue;
        route_unlink(j);
        ink_dns_answer_free(j->last);
        j->last = NULL;
        route_try(j); /* gives "no authoritative server could be asked" at the end */
    }
}

/* router_process - wait on every server's resolver at once */
static int router_process(struct ink_resolver *r, int timeout_ms)
{
    struct auth_router *rt = (struct auth_router *)r;
    struct dctx *c = rt->c;
    struct pollfd fds[AUTH_RESOLVERS_MAX];
    nfds_t nfds = 0;
    size_t i;
    int nofd = 0, wait = timeout_ms;

    rt->delivered = 0;
    router_deliver(rt);
    if (rt->delivered > 0 || rt->pending == 0)
        return (int)rt->delivered;
    for (i = 0; i < c->nres; i++) {
        int fd, t;
        if (c->res[i].r == NULL || ink_resolver_pending(c->res[i].r) == 0)
            continue;
        /* a backend's own deadlines (retransmission, timeout) bound the wait */
        t = ink_resolver_timeout(c->res[i].r);
        if (t >= 0 && (wait < 0 || t < wait))
            wait = t;
        fd = ink_resolver_fd(c->res[i].r);
        if (fd < 0)
            nofd = 1;
        else {
            fds[nfds].fd = fd;
            fds[nfds].events = POLLIN;
            fds[nfds].revents = 0;
            nfds++;
        }
    }
    /* a backend without a descriptor is polled at short intervals */
    if (nofd && (wait < 0 || wait > ROUTER_POLL_MS))
        wait = ROUTER_POLL_MS;
    if (nfds > 0 && poll(fds, nfds, wait) < 0 && errno != EINTR)
        return -1;
    for (i = 0; i < c->nres; i++)
        if (c->res[i].r != NULL && ink_resolver_pending(c->res[i].r) > 0 &&
            ink_resolver_process(c->res[i].r, 0) < 0)
            router_drop_server(rt, i);
    router_deliver(rt);
    return (int)rt->delivered;
}

/* router_pending - queries not answered yet */
static size_t router_pending(const struct ink_resolver *r)
{
    return ((const struct auth_router *)r)->pending;
}

/* router_timeout - ms until process() must run: 0 with answers ready,
 * else the soonest deadline of the servers' resolvers, -1 when idle */
static int router_timeout(const struct ink_resolver *r)
{
    const struct auth_router *rt = (const struct auth_router *)r;
    const struct dctx *c = rt->c;
    size_t i;
    int wait = -1;

    if (rt->ready != NULL)
        return 0;
    for (i = 0; i < c->nres; i++) {
        int t;
        if (c->res[i].r == NULL || ink_resolver_pending(c->res[i].r) == 0)
            continue;
        t = ink_resolver_timeout(c->res[i].r);
        if (t < 0)
            t = ROUTER_POLL_MS;
        if (wait < 0 || t < wait)
            wait = t;
    }
    return wait;
}

/* router_free - release; what the servers still hold is waited for, since
 * their callbacks point at the jobs */
static void router_free(struct ink_resolver *r)
{
    struct auth_router *rt = (struct auth_router *)r;

    while (rt->pending > 0 && router_process(r, ROUTER_POLL_MS) >= 0)
        ;
    free(rt);
}

static const struct ink_resolver_ops router_ops = {
    "authoritative", router_submit, router_process, router_pending, router_free, NULL,
    router_timeout};

/* router_new - the authoritative view over the batch's zones */
static struct ink_resolver *router_new(struct dctx *c)
{
    struct auth_router *rt = calloc(1, sizeof(*rt));

    if (rt == NULL)
        return NULL;
    rt->base.ops = &router_ops;
    rt->c = c;
    return &rt->base;
}

/* open_checker - the recursive resolver (or zone file) for checks */
static int open_checker(struct dctx *c)
{
    if (c->rec != NULL)
        return 0;
    c->rec = cli_resolver_open(&c->dns);
    return c->rec ? 0 : -1;
}

/* recursive_text - describe what the recursive resolver saw of a record */
static char *recursive_text(const struct ink_vobs *o, uint32_t ttl)
{
    struct ink_str s = INK_STR_INIT;

    if (o == NULL)
        return NULL;
    switch (o->kind) {
    case INK_VOBS_MATCH: ink_str_puts(&s, "seen"); break;
    case INK_VOBS_ABSENT:
        ink_str_printf(&s, "not visible yet (%s", o->detail ? o->detail : "no record");
        if (ttl > 0)
            ink_str_printf(&s, "; cached up to %us", (unsigned)ttl);
        ink_str_putc(&s, ')');
        break;
    case INK_VOBS_DIFFERENT: ink_str_printf(&s, "differs (%s)", o->detail ? o->detail : ""); break;
    case INK_VOBS_ERROR: ink_str_printf(&s, "no answer (%s)", o->detail ? o->detail : ""); break;
    }
    return ink_str_steal(&s);
}

/* Flags of save_check. */
#define CHECK_LOG_CHANGES 0x1 /* print each state change on stdout */
#define CHECK_QUIET_CONFLICT 0x2 /* say nothing when another process won */

/* One domain being checked in a batch. */
struct check_job {
    char *name;            /* the domain (owned) */
    struct ink_vdomain *d; /* the caller's */
    struct ink_vcheck *auth, *rview;
    struct ink_vchange ch[INK_VERIFY_RECORDS_MAX + 1];
    size_t nch;
    int rc; /* 0: checked, ch to save; -1: failed (said) */
};

/* run_driver - run machines already added; frees the driver */
static void run_driver(struct ink_driver *drv)
{
    if (ink_driver_run(drv) < 0)
        cli_error("DNS resolver failed: the checks it could not answer are inconclusive");
    ink_driver_free(drv);
}

/* find_servers - the authoritative servers of every name the batch's
 * records need, all searched at once over the recursive resolver */
static int find_servers(struct dctx *c, struct check_job **jobs, size_t n,
                        const struct ink_driver_opts *ropts)
{
    struct ink_driver *drv = ink_driver_new(c->rec, ropts);
    struct ink_vauth **va = NULL;
    size_t nva = 0, cap = 0, i, j, k;
    int rc = 0;

    if (drv == NULL)
        return -1;
    for (i = 0; i < n && rc == 0; i++)
        for (j = 0; j < jobs[i]->d->nrec && rc == 0; j++) {
            const char *name = ink_vauth_search_name(jobs[i]->d->rec[j].owner, jobs[i]->d->rec[j].type);
            struct ink_vauth *a;
            for (k = 0; k < nva; k++)
                if (ink_dns_name_eq(ink_vauth_name(va[k]), name))
                    break;
            if (k < nva)
                continue;
            if (nva == cap) {
                struct ink_vauth **grown;
                cap = cap ? cap * 2 : 16;
                grown = cap < SIZE_MAX / sizeof(*grown) ? realloc(va, cap * sizeof(*grown)) : NULL;
                if (grown == NULL) {
                    rc = -1;
                    break;
                }
                va = grown;
            }
            a = ink_vauth_new(name);
            if (a == NULL || ink_driver_add(drv, ink_vauth_machine(a), NULL, NULL) < 0) {
                ink_vauth_free(a);
                rc = -1;
                break;
            }
            va[nva++] = a;
        }
    run_driver(drv);
    for (k = 0; k < nva; k++) {
        if (rc == 0 && zone_add(c, ink_vauth_name(va[k]), va[k]) < 0)
            rc = -1;
        ink_vauth_free(va[k]);
    }
    free(va);
    return rc;
}

/* auth_resolvers_drop - free the authoritative servers' resolvers (made
 * again when next asked) so no answer they hold is seen again */
static void auth_resolvers_drop(struct dctx *c)
{
    size_t i;

    for (i = 0; i < c->nres; i++) {
        ink_resolver_free(c->res[i].r);
        c->res[i].r = NULL;
    }
}

/* check_batch - check n domains at once at time now: find their servers,
 * ask them every record, ask the recursive resolver the same, apply the
 * state machine.  Each job's rc says how it went; saving is the caller's. */
static void check_batch(struct dctx *c, struct check_job **jobs, size_t n, int64_t now)
{
    struct ink_driver_opts ropts = {0}, aopts = {0};
    struct ink_resolver *auth = NULL;
    struct ink_driver *drv = NULL;
    size_t i, j;
    int zone = c->dns.zone_file != NULL;

    for (i = 0; i < n; i++) {
        jobs[i]->auth = jobs[i]->rview = NULL;
        jobs[i]->nch = 0;
        jobs[i]->rc = -1;
    }
    if (open_checker(c) < 0)
        return;
    auth_cache_clear(c);
    for (i = 0; i < c->nres; i++)
        c->res[i].dead = 0;
    /* a record changed since the last batch must show even in the same second */
    if (time(NULL) <= c->res_second)
        auth_resolvers_drop(c);
    ropts.timeout_ms = cli_query_timeout(&c->dns);
    /* the authoritative side is never cached (a poll must see what is
     * published now), and a query may go through every server in turn */
    aopts.no_cache = 1;
    aopts.timeout_ms = cli_query_timeout(&c->dns) * (INK_VAUTH_SERVERS_MAX + 1);
    if (!zone && find_servers(c, jobs, n, &ropts) < 0)
        goto oom;
    auth = zone ? c->rec : router_new(c);
    drv = auth != NULL ? ink_driver_new(auth, &aopts) : NULL;
    if (drv == NULL)
        goto oom;
    for (i = 0; i < n; i++) {
        jobs[i]->auth = ink_vcheck_new(jobs[i]->d);
        if (jobs[i]->auth == NULL ||
            ink_driver_add(drv, ink_vcheck_machine(jobs[i]->auth), NULL, NULL) < 0)
            goto oom;
    }
    run_driver(drv);
    drv = NULL;
    c->res_second = time(NULL);
    if (!zone) {
        ink_resolver_free(auth);
        auth = NULL;
        /* what a recursive resolver sees, for information */
        drv = ink_driver_new(c->rec, &ropts);
        if (drv == NULL)
            goto oom;
        for (i = 0; i < n; i++) {
            jobs[i]->rview = ink_vcheck_new(jobs[i]->d);
            if (jobs[i]->rview == NULL ||
                ink_driver_add(drv, ink_vcheck_machine(jobs[i]->rview), NULL, NULL) < 0)
                goto oom;
        }
        run_driver(drv);
        drv = NULL;
    }
    for (i = 0; i < n; i++) {
        struct check_job *jb = jobs[i];
        char *view[INK_VERIFY_RECORDS_MAX];
        for (j = 0; j < jb->d->nrec; j++)
            view[j] = jb->rview != NULL ? recursive_text(ink_vcheck_obs(jb->rview, j),
                                                         ink_vcheck_ttl(jb->rview, j))
                                        : NULL;
        if (ink_vcheck_apply(jb->auth, jb->d, now, jb->ch, &jb->nch) < 0) {
            cli_error("%s: out of memory", jb->d->domain);
            for (j = 0; j < jb->d->nrec; j++)
                free(view[j]);
        } else {
            for (j = 0; j < jb->d->nrec; j++) {
                free(jb->d->rec[j].recursive);
                jb->d->rec[j].recursive = view[j];
            }
            jb->rc = 0;
        }
    }
    goto done;
oom:
    cli_error("out of memory");
done:
    ink_driver_free(drv);
    if (!zone)
        ink_resolver_free(auth);
    for (i = 0; i < n; i++) {
        ink_vcheck_free(jobs[i]->auth);
        ink_vcheck_free(jobs[i]->rview);
        jobs[i]->auth = jobs[i]->rview = NULL;
    }
    auth_cache_clear(c);
}

/* save_check - save one checked domain (one transaction, revision-checked)
 * and log its changes.  Returns 0, INK_STORE_CONFLICT, or -1 after printing. */
static int save_check(struct dctx *c, struct check_job *jb, unsigned flags)
{
    struct ink_str err = INK_STR_INIT;
    struct ink_vdomain *d = jb->d;
    size_t i;
    int rc;

    if (jb->rc < 0)
        return -1;
    rc = ink_store_save(c->store, d, jb->ch, jb->nch, &err);
    if (rc == INK_STORE_CONFLICT) {
        if (!(flags & CHECK_QUIET_CONFLICT))
            cli_error("%s", ink_str_cstr(&err));
    } else if (rc < 0)
        cli_error("%s", ink_str_cstr(&err));
    else if (flags & CHECK_LOG_CHANGES) {
        for (i = 0; i < jb->nch; i++) {
            const struct ink_vchange *ch = &jb->ch[i];
            if (ch->record < 0)
                printf("%s %s: %s -> %s\n", cli_fmt_time(ch->at), d->domain,
                       ink_vstate_name(ch->from), ink_vstate_name(ch->to));
            else
                printf("%s %s: %s %s (%s): %s -> %s\n", cli_fmt_time(ch->at), d->domain,
                       ink_dns_type_name(d->rec[ch->record].type), d->rec[ch->record].owner,
                       d->rec[ch->record].purpose, ink_vstate_name(ch->from),
                       ink_vstate_name(ch->to));
        }
        fflush(stdout);
    }
    ink_str_free(&err);
    return rc;
}

/* ---- output ---- */

/* domain_json - one domain as JSON */
static json_t *domain_json(const struct ink_vdomain *d, const struct ink_store_event *ev,
                           size_t nev)
{
    json_t *o = json_object(), *recs = json_array();
    size_t i, nver = 0;

    json_object_set_new(o, "domain", json_string(d->domain));
    json_object_set_new(o, "profile", d->profile ? json_string(d->profile) : json_null());
    json_object_set_new(o, "state", json_string(ink_vstate_name(d->state)));
    json_object_set_new(o, "added_at", json_integer(d->added_at));
    json_object_set_new(o, "window_start", json_integer(d->window_start));
    json_object_set_new(o, "deadline", json_integer(d->deadline));
    json_object_set_new(o, "last_check", json_integer(d->last_check));
    json_object_set_new(o, "next_poll", json_integer(d->next_poll));
    json_object_set_new(o, "state_since", json_integer(d->state_since));
    json_object_set_new(o, "verified_at", json_integer(d->verified_at));
    json_object_set_new(o, "polls", json_integer(d->polls));
    for (i = 0; i < d->nrec; i++) {
        const struct ink_vrecord *r = &d->rec[i];
        json_t *x = json_object();
        if (r->state == INK_VSTATE_VERIFIED)
            nver++;
        json_object_set_new(x, "name", json_string(r->owner));
        json_object_set_new(x, "type", json_string(ink_dns_type_name(r->type)));
        json_object_set_new(x, "purpose", json_string(r->purpose ? r->purpose : ""));
        json_object_set_new(x, "match", json_string(ink_vmatch_name(r->match)));
        json_object_set_new(x, "expect", json_string(r->expect ? r->expect : ""));
        json_object_set_new(x, "state", json_string(ink_vstate_name(r->state)));
        json_object_set_new(x, "seen", r->seen ? json_string(r->seen) : json_null());
        json_object_set_new(x, "detail", r->detail ? json_string(r->detail) : json_null());
        json_object_set_new(x, "recursive", r->recursive ? json_string(r->recursive) : json_null());
        json_object_set_new(x, "last_check", json_integer(r->last_check));
        json_object_set_new(x, "verified_at", json_integer(r->verified_at));
        json_array_append_new(recs, x);
    }
    json_object_set_new(o, "records_verified", json_integer((json_int_t)nver));
    json_object_set_new(o, "records", recs);
    if (ev != NULL) {
        json_t *h = json_array();
        for (i = 0; i < nev; i++) {
            json_t *x = json_object();
            json_object_set_new(x, "at", json_integer(ev[i].at));
            json_object_set_new(x, "name", ev[i].owner ? json_string(ev[i].owner) : json_null());
            json_object_set_new(x, "type", ev[i].type ? json_string(ev[i].type) : json_null());
            json_object_set_new(x, "from", json_string(ink_vstate_name(ev[i].from)));
            json_object_set_new(x, "to", json_string(ink_vstate_name(ev[i].to)));
            json_object_set_new(x, "detail", ev[i].detail ? json_string(ev[i].detail) : json_null());
            json_array_append_new(h, x);
        }
        json_object_set_new(o, "history", h);
    }
    return o;
}

/* print_json - dump and free a JSON value on stdout */
static void print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

    if (s != NULL)
        printf("%s\n", s);
    free(s);
    json_decref(j);
}

/* print_domain - the text form of one domain */
static void print_domain(const struct ink_vdomain *d, const struct ink_store_event *ev,
                         size_t nev)
{
    size_t i, nver = 0;

    for (i = 0; i < d->nrec; i++)
        nver += d->rec[i].state == INK_VSTATE_VERIFIED;
    printf("%s: %s (%zu of %zu records verified)", d->domain, ink_vstate_name(d->state), nver,
           d->nrec);
    if (d->profile != NULL)
        printf(", profile %s", d->profile);
    printf("\n  last check %s", cli_fmt_time(d->last_check));
    if (d->next_poll > 0 && d->state != INK_VSTATE_FAILURE)
        printf(", next check %s", cli_fmt_time(d->next_poll));
    if (d->state == INK_VSTATE_PENDING || d->state == INK_VSTATE_NOT_STARTED)
        printf(", window ends %s", d->deadline ? cli_fmt_time(d->deadline) : "72 hours after the first check");
    else if (d->state == INK_VSTATE_TEMPORARY_FAILURE)
        printf(", FAILURE unless repaired by %s", cli_fmt_time(d->state_since + INK_VERIFY_WINDOW));
    printf("\n");
    for (i = 0; i < d->nrec; i++) {
        const struct ink_vrecord *r = &d->rec[i];
        printf("  %-17s %-5s %s (%s)\n", ink_vstate_name(r->state), ink_dns_type_name(r->type),
               r->owner, r->purpose ? r->purpose : "");
        if (r->state != INK_VSTATE_VERIFIED) {
            if (r->match == INK_VMATCH_CNAME || r->match == INK_VMATCH_MX || r->match == INK_VMATCH_SPF)
                printf("      expected: %s\n", r->expect);
            if (r->detail != NULL)
                printf("      %s\n", r->detail);
        }
        if (r->seen != NULL)
            printf("      seen: %s\n", r->seen);
        if (r->recursive != NULL)
            printf("      recursive resolver: %s\n", r->recursive);
    }
    if (nev > 0) {
        printf("  history:\n");
        for (i = 0; i < nev; i++)
            printf("    %s %s%s%s: %s -> %s\n", cli_fmt_time(ev[i].at), ev[i].type ? ev[i].type : "domain",
                   ev[i].owner ? " " : "", ev[i].owner ? ev[i].owner : "",
                   ink_vstate_name(ev[i].from), ink_vstate_name(ev[i].to));
    }
}

/* state_exit - exit status for a set of states */
static int state_exit(int any_pending, int any_failed)
{
    if (any_failed)
        return DOMAIN_EXIT_FAILED;
    return any_pending ? DOMAIN_EXIT_PENDING : INK_EXIT_OK;
}

/* normalize_arg - a domain argument in the store's form, or NULL after printing */
static char *normalize_arg(const char *arg)
{
    char buf[INK_DNS_NAME_MAX + 2];
    int len = ink_dns_name_normalize(arg, strlen(arg), buf, sizeof(buf));

    if (len <= 0 || strchr(buf, '.') == NULL) {
        struct ink_str s = INK_STR_INIT;
        ink_str_put_printable(&s, arg, strlen(arg), 80);
        cli_error("'%s' is not a domain name", ink_str_cstr(&s));
        ink_str_free(&s);
        return NULL;
    }
    return ink_memdup_cstr(buf, (size_t)len);
}

/* ---- add ---- */

/* printable_text - no control bytes (what is stored is printed later) */
static int printable_text(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
            return 0;
    return 1;
}

/* expect_from_json - expectations from a provision records.json */
static int expect_from_json(const char *path, const char *domain, struct ink_vdomain *d,
                            char **profile_name)
{
    uint8_t *buf;
    size_t len, i;
    json_error_t jerr;
    json_t *root, *recs, *dom;
    int rc = -1;

    if (cli_read_file(path, RECORDS_JSON_MAX, &buf, &len) < 0)
        return -1;
    root = json_loadb((const char *)buf, len, 0, &jerr);
    free(buf);
    if (root == NULL) {
        cli_error("%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
        return -1;
    }
    dom = json_object_get(root, "domain");
    recs = json_object_get(root, "records");
    if (!json_is_string(dom) || !json_is_array(recs)) {
        cli_error("%s: not a records.json written by inkan provision", path);
        goto done;
    }
    if (!ink_dns_name_eq(json_string_value(dom), domain)) {
        struct ink_str shown = INK_STR_INIT;
        ink_str_put_printable(&shown, json_string_value(dom), strlen(json_string_value(dom)), 80);
        cli_error("%s: is for %s, not %s", path, ink_str_cstr(&shown), domain);
        ink_str_free(&shown);
        goto done;
    }
    /* the profile's name is shown by status: no control characters */
    if (json_is_string(json_object_get(root, "profile")) &&
        !printable_text(json_string_value(json_object_get(root, "profile")))) {
        cli_error("%s: the profile name holds a control character", path);
        goto done;
    }
    if (json_is_string(json_object_get(root, "profile")))
        *profile_name = ink_memdup_cstr(json_string_value(json_object_get(root, "profile")),
                                        strlen(json_string_value(json_object_get(root, "profile"))));
    for (i = 0; i < json_array_size(recs); i++) {
        json_t *r = json_array_get(recs, i), *v = json_object_get(r, "verify");
        const char *name = json_string_value(json_object_get(r, "name"));
        const char *type = json_string_value(json_object_get(r, "type"));
        const char *action = json_string_value(json_object_get(r, "action"));
        const char *purpose = json_string_value(json_object_get(r, "purpose"));
        const char *match = json_string_value(json_object_get(v, "match"));
        const char *expect = json_string_value(json_object_get(v, "expect"));
        uint16_t t = type ? ink_dns_type_from_name(type, strlen(type)) : 0;
        int m = match ? ink_vmatch_from_name(match) : -1;

        if (action != NULL && strcmp(action, "remove") == 0)
            continue;
        if (name == NULL || t == 0 || m < 0 || expect == NULL) {
            cli_error("%s: record %zu lacks name, type or verify.match/expect", path, i + 1);
            goto done;
        }
        if (!printable_text(expect) || (purpose != NULL && !printable_text(purpose))) {
            cli_error("%s: record %zu holds control characters", path, i + 1);
            goto done;
        }
        if (!ink_dns_name_is_subdomain(name, domain)) {
            cli_error("%s: record %zu (%s) is not under %s", path, i + 1, name, domain);
            goto done;
        }
        if (ink_vdomain_add_record(d, name, t, (enum ink_vmatch)m, expect, purpose) < 0) {
            cli_error("%s: record %zu (%s) cannot be followed (bad name or more than %d records)",
                      path, i + 1, name, INK_VERIFY_RECORDS_MAX);
            goto done;
        }
    }
    rc = 0;
done:
    json_decref(root);
    return rc;
}

/* domain_add - inkan domain add */
static int domain_add(struct dctx *c, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"profile", required_argument, NULL, OPT_PROFILE},
        {"out", required_argument, NULL, OPT_OUT},
        {"subdomain", required_argument, NULL, OPT_SUBDOMAIN},
        {"dkim", required_argument, NULL, OPT_DKIM},
        {"replace", no_argument, NULL, OPT_REPLACE},
        DOMAIN_LONGOPTS,
        {NULL, 0, NULL, 0}};
    const char *profile_path = NULL, *out = NULL, *sub = NULL;
    enum ink_profile_keyalg algs[INK_PROV_ALGS_MAX];
    int nalgs = 0, replace = 0, opt, rc = INK_EXIT_OPERR;
    struct ink_profile *prof = NULL;
    struct ink_provision *p = NULL;
    struct ink_vdomain *d = NULL;
    struct ink_str err = INK_STR_INIT, jpath = INK_STR_INIT;
    char *domain = NULL, *pname = NULL;
    int64_t now;
    struct cli_optset set;

    set = domain_optset(c, longopts, argv);
    optind = 1;
    while ((opt = cli_getopt(&set, argc, argv)) != -1) {
        int k = common_option(c, opt, optarg);
        if (k < 0)
            return INK_EXIT_USAGE;
        if (k > 0)
            continue;
        switch (opt) {
        case OPT_PROFILE: profile_path = optarg; break;
        case OPT_OUT: out = optarg; break;
        case OPT_SUBDOMAIN:
            if (optarg[0] == '\0') {
                cli_error("domain add: --subdomain '': an empty name (leave the option out for "
                          "the profile's)");
                return INK_EXIT_USAGE;
            }
            sub = optarg;
            break;
        case OPT_REPLACE: replace = 1; break;
        case OPT_DKIM:
            nalgs = cli_parse_dkim_algs(optarg, algs, INK_PROV_ALGS_MAX);
            if (nalgs < 0)
                return INK_EXIT_USAGE;
            break;
        case CLI_GETOPT_HELP: return INK_EXIT_OK;
        default: return INK_EXIT_USAGE; /* CLI_GETOPT_USAGE: said why */
        }
    }
    if (optind != argc - 1 || (profile_path == NULL && out == NULL)) {
        cli_error("domain add: give DOMAIN and --profile FILE (or --out DIR from inkan provision)");
        return INK_EXIT_USAGE;
    }
    domain = normalize_arg(argv[optind]);
    if (domain == NULL)
        return INK_EXIT_USAGE;
    now = cli_clock_now();
    if (profile_path != NULL && (prof = cli_profile_load(profile_path)) == NULL)
        goto done;
    d = ink_vdomain_new(domain, prof ? prof->name : NULL, now);
    if (d == NULL)
        goto done;
    if (out != NULL) {
        size_t l = strlen(out);
        if (l > 5 && strcmp(out + l - 5, ".json") == 0)
            ink_str_puts(&jpath, out);
        else
            ink_str_printf(&jpath, "%s/records.json", out);
        if (expect_from_json(ink_str_cstr(&jpath), domain, d, &pname) < 0)
            goto done;
        if (prof == NULL && pname != NULL)
            ink_vdomain_set_str(&d->profile, pname);
    } else {
        /* from the profile alone: keys are expected by selector, any key */
        p = ink_provision_new(prof, domain, sub, algs, (size_t)(nalgs > 0 ? nalgs : 0), &err);
        if (p == NULL) {
            cli_error("domain add: %s", ink_str_cstr(&err));
            rc = INK_EXIT_USAGE;
            goto done;
        }
        if (ink_provision_compute(p) < 0 || ink_provision_expect(p, d) < 0) {
            cli_error("domain add: cannot compute the expected records");
            goto done;
        }
    }
    if (d->nrec == 0) {
        cli_error("domain add: nothing to verify for %s", domain);
        goto done;
    }
    if (open_store(c, 0) < 0)
        goto done;
    ink_str_truncate(&err, 0);
    switch (ink_store_add(c->store, d, replace, &err)) {
    case 0:
        printf("%s: following %zu records (%s); check with 'inkan domain verify %s' or "
               "'inkan domain watch'\n",
               domain, d->nrec, ink_vstate_name(d->state), domain);
        rc = INK_EXIT_OK;
        break;
    case INK_STORE_EXISTS:
        cli_error("%s is followed already (use --replace to start over)", domain);
        break;
    default:
        cli_error("%s", ink_str_cstr(&err));
        break;
    }
done:
    ink_provision_free(p);
    ink_profile_free(prof);
    ink_vdomain_free(d);
    ink_str_free(&err);
    ink_str_free(&jpath);
    free(domain);
    free(pname);
    return rc;
}

/* ---- verify, status, list, remove, watch ---- */

/* simple_opts - parse options for subcommands without their own */
static int simple_opts(struct dctx *c, int argc, char **argv, int *once, size_t *history)
{
    static const struct option longopts[] = {
        {"once", no_argument, NULL, OPT_ONCE},
        {"history", required_argument, NULL, OPT_HISTORY},
        DOMAIN_LONGOPTS,
        {NULL, 0, NULL, 0}};
    struct cli_optset set = domain_optset(c, longopts, argv);
    int opt;

    optind = 1;
    while ((opt = cli_getopt(&set, argc, argv)) != -1) {
        int k = common_option(c, opt, optarg);
        if (k < 0)
            return -1;
        if (k > 0)
            continue;
        switch (opt) {
        case OPT_ONCE:
            if (once == NULL) {
                cli_error("--once goes with 'inkan domain watch'");
                return -1;
            }
            *once = 1;
            break;
        case OPT_HISTORY: {
            char *end;
            unsigned long v = strtoul(optarg, &end, 10);
            if (history == NULL) {
                cli_error("--history goes with 'inkan domain status'");
                return -1;
            }
            if (*optarg == '\0' || *end != '\0' || v > INK_STORE_HISTORY_MAX) {
                cli_error("--history: '%s' is not a count from 0 to %d", optarg,
                          INK_STORE_HISTORY_MAX);
                return -1;
            }
            *history = v;
            break;
        }
        case CLI_GETOPT_HELP: return 1;
        default: return -1; /* CLI_GETOPT_USAGE: said why */
        }
    }
    return 0;
}

/* verify_one - save a checked domain, checking it again (alone) while
 * another process saved it meanwhile; 0, or -1 after printing */
static int verify_one(struct dctx *c, struct check_job *jb)
{
    int attempt, rc = -1;

    for (attempt = 0;; attempt++) {
        struct ink_str err = INK_STR_INIT;
        /* in JSON mode the changes are in the document, not logged; when
         * a watch saved a check meanwhile, check again over its result
         * rather than undo it */
        rc = save_check(c, jb, (c->json ? 0 : CHECK_LOG_CHANGES) |
                                   (attempt + 1 < VERIFY_ATTEMPTS ? CHECK_QUIET_CONFLICT : 0));
        if (rc != INK_STORE_CONFLICT || attempt + 1 >= VERIFY_ATTEMPTS)
            break;
        ink_vdomain_free(jb->d);
        jb->d = NULL;
        rc = ink_store_get(c->store, jb->name, &jb->d, &err);
        if (rc != 0) {
            cli_error("%s", rc == INK_STORE_NOT_FOUND ? "removed meanwhile" : ink_str_cstr(&err));
            ink_str_free(&err);
            return -1;
        }
        ink_str_free(&err);
        check_batch(c, &jb, 1, cli_clock_now());
    }
    return rc == 0 ? 0 : -1;
}

/* domain_verify - inkan domain verify DOMAIN...: the domains are checked
 * at once, CHECK_BATCH_MAX at a time, and saved and shown in the order
 * given */
static int domain_verify(struct dctx *c, int argc, char **argv)
{
    int k = simple_opts(c, argc, argv, NULL, NULL), any_pending = 0, any_failed = 0;
    int rc = INK_EXIT_OPERR, stop = 0;
    json_t *arr = NULL;
    struct check_job *jobs = NULL, *batch[CHECK_BATCH_MAX];
    size_t n, i, b, m;

    if (k != 0)
        return k > 0 ? INK_EXIT_OK : INK_EXIT_USAGE;
    if (optind >= argc) {
        cli_error("domain verify: give one or more domains");
        return INK_EXIT_USAGE;
    }
    n = (size_t)(argc - optind);
    jobs = calloc(n, sizeof(*jobs));
    if (jobs == NULL) {
        cli_error("out of memory");
        return INK_EXIT_OPERR;
    }
    for (i = 0; i < n; i++)
        if ((jobs[i].name = normalize_arg(argv[optind + (int)i])) == NULL) {
            rc = INK_EXIT_USAGE;
            goto done;
        }
    if (open_store(c, 0) < 0)
        goto done;
    if (c->json)
        arr = json_array();
    for (b = 0; b < n && !stop; b += m) {
        /* load the batch; a domain not followed ends the run after the
         * ones before it */
        for (m = 0; m < CHECK_BATCH_MAX && b + m < n; m++) {
            struct ink_str err = INK_STR_INIT;
            struct check_job *jb = &jobs[b + m];
            int g = ink_store_get(c->store, jb->name, &jb->d, &err);
            if (g == INK_STORE_NOT_FOUND)
                cli_error("%s is not followed (add it with 'inkan domain add')", jb->name);
            else if (g < 0)
                cli_error("%s", ink_str_cstr(&err));
            ink_str_free(&err);
            if (g != 0) {
                stop = 1;
                break;
            }
            batch[m] = jb;
        }
        check_batch(c, batch, m, cli_clock_now());
        for (i = 0; i < m; i++) {
            const struct ink_vdomain *d;
            if (verify_one(c, batch[i]) < 0) {
                stop = 1;
                break;
            }
            d = batch[i]->d;
            if (c->json)
                json_array_append_new(arr, domain_json(d, NULL, 0));
            else
                print_domain(d, NULL, 0);
            any_pending |= d->state == INK_VSTATE_PENDING || d->state == INK_VSTATE_NOT_STARTED;
            any_failed |= d->state == INK_VSTATE_FAILURE || d->state == INK_VSTATE_TEMPORARY_FAILURE;
        }
    }
    if (stop)
        goto done;
    if (arr != NULL) {
        print_json(arr);
        arr = NULL;
    }
    rc = state_exit(any_pending, any_failed);
done:
    json_decref(arr);
    for (i = 0; i < n; i++) {
        ink_vdomain_free(jobs[i].d);
        free(jobs[i].name);
    }
    free(jobs);
    return rc;
}

/* domain_status - inkan domain status [DOMAIN] */
static int domain_status(struct dctx *c, int argc, char **argv, int list_only)
{
    size_t history = list_only ? 0 : STATUS_HISTORY, n = 0, i;
    int k = simple_opts(c, argc, argv, NULL, list_only ? NULL : &history);
    int any_pending = 0, any_failed = 0, rc;
    struct ink_vdomain **all = NULL;
    struct ink_str err = INK_STR_INIT;
    json_t *arr = NULL;

    if (k != 0)
        return k > 0 ? INK_EXIT_OK : INK_EXIT_USAGE;
    if (optind < argc - (list_only ? 0 : 1)) {
        cli_error("domain %s: too many arguments", list_only ? "list" : "status");
        return INK_EXIT_USAGE;
    }
    if (open_store(c, 1) < 0)
        return INK_EXIT_OPERR;
    if (optind == argc - 1) {
        char *name = normalize_arg(argv[optind]);
        struct ink_vdomain *d = NULL;
        if (name == NULL)
            return INK_EXIT_USAGE;
        rc = ink_store_get(c->store, name, &d, &err);
        if (rc == 0) {
            all = calloc(1, sizeof(*all));
            if (all != NULL) {
                all[0] = d;
                n = 1;
            } else
                ink_vdomain_free(d);
        } else if (rc == INK_STORE_NOT_FOUND)
            cli_error("%s is not followed", name);
        else
            cli_error("%s", ink_str_cstr(&err));
        free(name);
        if (rc != 0) {
            ink_str_free(&err);
            return INK_EXIT_OPERR;
        }
    } else if (ink_store_list(c->store, &all, &n, &err) < 0) {
        cli_error("%s", ink_str_cstr(&err));
        ink_str_free(&err);
        return INK_EXIT_OPERR;
    }
    if (c->json)
        arr = json_array();
    for (i = 0; i < n; i++) {
        struct ink_vdomain *d = all[i];
        struct ink_store_event *ev = NULL;
        size_t nev = 0, j, nver = 0;

        if (history > 0)
            ink_store_history(c->store, d->domain, history, &ev, &nev, &err);
        if (c->json)
            json_array_append_new(arr, domain_json(d, history > 0 ? ev : NULL, nev));
        else if (list_only) {
            for (j = 0; j < d->nrec; j++)
                nver += d->rec[j].state == INK_VSTATE_VERIFIED;
            printf("%-40s %-17s %2zu/%-2zu next %s\n", d->domain, ink_vstate_name(d->state), nver,
                   d->nrec, d->state == INK_VSTATE_FAILURE ? "-" : cli_fmt_time(d->next_poll));
        } else {
            if (i > 0)
                printf("\n");
            print_domain(d, ev, nev);
        }
        any_pending |= d->state == INK_VSTATE_PENDING || d->state == INK_VSTATE_NOT_STARTED;
        any_failed |= d->state == INK_VSTATE_FAILURE || d->state == INK_VSTATE_TEMPORARY_FAILURE;
        ink_store_events_free(ev, nev);
    }
    if (arr != NULL)
        print_json(arr);
    else if (n == 0 && !c->json)
        printf("no domains followed (add one with 'inkan domain add')\n");
    ink_store_domains_free(all, n);
    ink_str_free(&err);
    return list_only ? INK_EXIT_OK : state_exit(any_pending, any_failed);
}

/* domain_remove - inkan domain remove DOMAIN */
static int domain_remove(struct dctx *c, int argc, char **argv)
{
    int k = simple_opts(c, argc, argv, NULL, NULL), rc;
    struct ink_str err = INK_STR_INIT;
    char *name;

    if (k != 0)
        return k > 0 ? INK_EXIT_OK : INK_EXIT_USAGE;
    if (optind != argc - 1) {
        cli_error("domain remove: give one domain");
        return INK_EXIT_USAGE;
    }
    name = normalize_arg(argv[optind]);
    if (name == NULL)
        return INK_EXIT_USAGE;
    if (open_store(c, 0) < 0) {
        free(name);
        return INK_EXIT_OPERR;
    }
    rc = ink_store_remove(c->store, name, &err);
    if (rc == INK_STORE_NOT_FOUND)
        cli_error("%s is not followed", name);
    else if (rc < 0)
        cli_error("%s", ink_str_cstr(&err));
    else
        printf("%s: no longer followed\n", name);
    free(name);
    ink_str_free(&err);
    return rc == 0 ? INK_EXIT_OK : INK_EXIT_OPERR;
}

static volatile sig_atomic_t watch_stop;

/* on_signal - ask the watch loop to stop after the current domain */
static void on_signal(int sig)
{
    (void)sig;
    watch_stop = 1;
}

/* sleep_real - sleep up to secs real seconds, waking early on a signal */
static void sleep_real(double secs)
{
    struct timespec ts;

    if (secs <= 0)
        return;
    ts.tv_sec = (time_t)secs;
    ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
    while (!watch_stop && nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* domain_watch - inkan domain watch: poll every due domain, forever */
static int domain_watch(struct dctx *c, int argc, char **argv)
{
    int once = 0, k = simple_opts(c, argc, argv, &once, NULL);
    struct sigaction sa;

    if (k != 0)
        return k > 0 ? INK_EXIT_OK : INK_EXIT_USAGE;
    if (optind != argc) {
        cli_error("domain watch: takes no domain (it follows them all)");
        return INK_EXIT_USAGE;
    }
    if (open_store(c, 0) < 0 || open_checker(c) < 0)
        return INK_EXIT_OPERR;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    while (!watch_stop) {
        struct ink_str err = INK_STR_INIT;
        char **names = NULL;
        size_t n = 0, i;
        int64_t now = cli_clock_now(), next = 0, pause;

        if (ink_store_due(c->store, now, &names, &n, &next, &err) < 0) {
            cli_error("%s", ink_str_cstr(&err));
            ink_str_free(&err);
            return INK_EXIT_OPERR;
        }
        /* the due domains, CHECK_BATCH_MAX at once */
        for (i = 0; i < n && !watch_stop;) {
            struct check_job jobs[CHECK_BATCH_MAX], *batch[CHECK_BATCH_MAX];
            size_t m = 0, j;
            int64_t t = cli_clock_now();
            int failed = 0;

            for (; i < n && m < CHECK_BATCH_MAX && !failed; i++) {
                int rc;
                memset(&jobs[m], 0, sizeof(jobs[m]));
                ink_str_truncate(&err, 0);
                rc = ink_store_get(c->store, names[i], &jobs[m].d, &err);
                if (rc == INK_STORE_NOT_FOUND)
                    continue; /* removed meanwhile */
                if (rc != 0) {
                    /* a store that cannot be read: say so and stop,
                     * rather than skip the domain and poll on silently */
                    cli_error("%s", ink_str_cstr(&err));
                    failed = 1;
                    break;
                }
                /* another process may have checked it since the due query */
                if (!ink_verify_due(jobs[m].d, t)) {
                    ink_vdomain_free(jobs[m].d);
                    continue;
                }
                batch[m] = &jobs[m];
                m++;
            }
            if (!failed)
                check_batch(c, batch, m, t);
            for (j = 0; j < m; j++) {
                int rc = failed ? 0 : save_check(c, &jobs[j], CHECK_LOG_CHANGES | CHECK_QUIET_CONFLICT);
                if (rc < 0 || (rc != 0 && rc != INK_STORE_CONFLICT))
                    failed = 1; /* save_check said why */
                ink_vdomain_free(jobs[j].d);
            }
            if (failed) {
                ink_store_names_free(names, n);
                ink_str_free(&err);
                return INK_EXIT_OPERR;
            }
        }
        ink_store_names_free(names, n);
        ink_str_free(&err);
        if (once && n == 0) {
            /* say so: silence would look like a hang or a broken store */
            if (next > 0)
                printf("nothing due; next check at %s\n", cli_fmt_time(next));
            else
                printf("nothing due; no domain is followed (see 'inkan domain add')\n");
        }
        if (c->dns.zone_file != NULL) {
            /* a zone file is read again for the next round: edits show */
            ink_resolver_free(c->rec);
            c->rec = NULL;
        }
        if (once)
            break;
        /* the checks above scheduled new polls: sleep until the soonest */
        now = cli_clock_now();
        names = NULL;
        n = 0;
        if (ink_store_due(c->store, now, &names, &n, &next, &err) < 0) {
            cli_error("%s", ink_str_cstr(&err));
            ink_str_free(&err);
            return INK_EXIT_OPERR;
        }
        ink_store_names_free(names, n);
        ink_str_free(&err);
        pause = n > 0 ? 1 : next > now ? next - now : WATCH_SLEEP_MAX;
        if (pause > WATCH_SLEEP_MAX)
            pause = WATCH_SLEEP_MAX;
        sleep_real(cli_clock_real_pause((int)pause));
    }
    return INK_EXIT_OK;
}

/* cmd_domain - inkan domain SUBCOMMAND */
int cmd_domain(int argc, char **argv)
{
    struct dctx c;
    const char *sub;
    int rc;

    memset(&c, 0, sizeof(c));
    c.auth_port = AUTH_PORT_DEFAULT;
    if (argc < 2) {
        fputs(domain_help, stderr);
        return INK_EXIT_USAGE;
    }
    sub = argv[1];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
        fputs(domain_help, stdout);
        return INK_EXIT_OK;
    }
    if (strcmp(sub, "add") == 0) {
        cli_set_argv0(argv + 1, "domain add");
        rc = domain_add(&c, argc - 1, argv + 1);
    } else if (strcmp(sub, "verify") == 0) {
        cli_set_argv0(argv + 1, "domain verify");
        rc = domain_verify(&c, argc - 1, argv + 1);
    } else if (strcmp(sub, "status") == 0) {
        cli_set_argv0(argv + 1, "domain status");
        rc = domain_status(&c, argc - 1, argv + 1, 0);
    } else if (strcmp(sub, "list") == 0) {
        cli_set_argv0(argv + 1, "domain list");
        rc = domain_status(&c, argc - 1, argv + 1, 1);
    } else if (strcmp(sub, "watch") == 0) {
        cli_set_argv0(argv + 1, "domain watch");
        rc = domain_watch(&c, argc - 1, argv + 1);
    } else if (strcmp(sub, "remove") == 0) {
        cli_set_argv0(argv + 1, "domain remove");
        rc = domain_remove(&c, argc - 1, argv + 1);
    } else {
        cli_error("domain: unknown subcommand '%s' (add, verify, status, list, watch, remove)",
                  sub);
        rc = INK_EXIT_USAGE;
    }
    dctx_free(&c);
    return rc;
}

/* ---- the service's face (inkan serve, src/cli/serve.c) ---- */

/* cli_domains_open - a context over the database at db (NULL: the default)
 * checking with the DNS source dns; NULL after printing why */
struct dctx *cli_domains_open(const char *db, const struct ink_resolver_opts *dns)
{
    struct dctx *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return NULL;
    c->dns = *dns;
    c->db_path = db;
    c->auth_port = AUTH_PORT_DEFAULT;
    if (open_store(c, 0) < 0) {
        dctx_free(c);
        free(c);
        return NULL;
    }
    return c;
}

/* cli_domains_set_auth_port - ask the authoritative servers on port
 * (1..65535, as `inkan domain --auth-port`; the default is 53) */
void cli_domains_set_auth_port(struct dctx *c, int port)
{
    c->auth_port = port;
}

/* cli_clock_real_pause - the real seconds a pause of secs seconds on the
 * commands' clock takes (shorter when INKAN_CLOCK_SPEED speeds it up; at
 * least WATCH_SLEEP_MIN_REAL) */
double cli_clock_real_pause(int secs)
{
    double real = (double)secs / clock_speed();

    return real > WATCH_SLEEP_MIN_REAL ? real : WATCH_SLEEP_MIN_REAL;
}

/* cli_domains_free - release the context; NULL is a no-op */
void cli_domains_free(struct dctx *c)
{
    if (c == NULL)
        return;
    dctx_free(c);
    free(c);
}

/* cli_domains_store - the context's store (owned by it) */
struct ink_store *cli_domains_store(struct dctx *c)
{
    return c->store;
}

/* cli_domains_add - follow domain with the records a profile computes (as
 * `inkan domain add DOMAIN --profile FILE [--subdomain S]`).  0,
 * INK_STORE_EXISTS, or -1 with why in err */
int cli_domains_add(struct dctx *c, const char *domain, const char *profile_path,
                    const char *sub, struct ink_str *err)
{
    struct ink_profile *prof = NULL;
    struct ink_provision *p = NULL;
    struct ink_vdomain *d = NULL;
    char *name = normalize_arg(domain);
    int rc = -1;

    if (name == NULL) {
        ink_str_puts(err, "not a domain name");
        return -1;
    }
    if ((prof = cli_profile_load(profile_path)) == NULL) {
        ink_str_puts(err, "the profile cannot be read (see the service log)");
        goto done;
    }
    d = ink_vdomain_new(name, prof->name, cli_clock_now());
    if (d == NULL) {
        ink_str_puts(err, "out of memory");
        goto done;
    }
    p = ink_provision_new(prof, name, sub, NULL, 0, err);
    if (p == NULL)
        goto done;
    if (ink_provision_compute(p) < 0 || ink_provision_expect(p, d) < 0) {
        ink_str_puts(err, "cannot compute the expected records");
        goto done;
    }
    if (d->nrec == 0) {
        ink_str_printf(err, "nothing to verify for %s", name);
        goto done;
    }
    rc = ink_store_add(c->store, d, 0, err);
    if (rc != 0 && rc != INK_STORE_EXISTS)
        rc = -1;
done:
    ink_provision_free(p);
    ink_profile_free(prof);
    ink_vdomain_free(d);
    free(name);
    return rc;
}

/* cli_domains_verify - check domain now (as `inkan domain verify`) and
 * save; *out gets the domain after the check (caller frees).  0,
 * INK_STORE_NOT_FOUND, or -1 with why in err */
int cli_domains_verify(struct dctx *c, const char *domain, struct ink_vdomain **out,
                       struct ink_str *err)
{
    struct check_job jb, *batch[1];
    int rc;

    *out = NULL;
    memset(&jb, 0, sizeof(jb));
    jb.name = normalize_arg(domain);
    if (jb.name == NULL) {
        ink_str_puts(err, "not a domain name");
        return -1;
    }
    if (c->dns.zone_file != NULL) {
        /* a zone file is read again for each check: edits show */
        ink_resolver_free(c->rec);
        c->rec = NULL;
    }
    rc = ink_store_get(c->store, jb.name, &jb.d, err);
    if (rc == 0) {
        batch[0] = &jb;
        check_batch(c, batch, 1, cli_clock_now());
        if (verify_one(c, &jb) < 0) {
            ink_str_puts(err, "the check could not be saved (see the service log)");
            rc = -1;
        } else {
            *out = jb.d;
            jb.d = NULL;
        }
    }
    ink_vdomain_free(jb.d);
    free(jb.name);
    return rc;
}

/* cli_domains_watch_once - one round of `inkan domain watch`: check the
 * domains due now and save; returns the seconds until the next is due
 * (at most WATCH_SLEEP_MAX), or -1 after printing */
int cli_domains_watch_once(struct dctx *c)
{
    struct ink_str err = INK_STR_INIT;
    char **names = NULL;
    size_t n = 0, i;
    int64_t now = cli_clock_now(), next = 0, pause;

    if (ink_store_due(c->store, now, &names, &n, &next, &err) < 0) {
        cli_error("%s", ink_str_cstr(&err));
        ink_str_free(&err);
        return -1;
    }
    for (i = 0; i < n; i++) {
        struct ink_vdomain *d = NULL;
        ink_str_truncate(&err, 0);
        if (cli_domains_verify(c, names[i], &d, &err) < 0)
            cli_error("watch: %s: %s", names[i], ink_str_cstr(&err));
        ink_vdomain_free(d);
    }
    ink_store_names_free(names, n);
    names = NULL;
    n = 0;
    now = cli_clock_now();
    ink_str_truncate(&err, 0);
    if (ink_store_due(c->store, now, &names, &n, &next, &err) < 0) {
        cli_error("%s", ink_str_cstr(&err));
        ink_str_free(&err);
        return -1;
    }
    ink_store_names_free(names, n);
    ink_str_free(&err);
    pause = n > 0 ? 1 : next > now ? next - now : WATCH_SLEEP_MAX;
    return (int)(pause > WATCH_SLEEP_MAX ? WATCH_SLEEP_MAX : pause);
}

/* cli_domain_json - one domain as `inkan domain status --json` shows it
 * (ev: its history, or NULL); caller owns the value */
json_t *cli_domain_json(const struct ink_vdomain *d, const struct ink_store_event *ev, size_t nev)
{
    return domain_json(d, ev, nev);
}
