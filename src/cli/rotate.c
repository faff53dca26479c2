/*
 * rotate.c - `inkan dkim rotate`: DKIM key rotation that waits for DNS
 * (docs/dkim-rotation.md).
 *
 *   inkan dkim rotate DOMAIN --selector-format FMT --out DIR   start one
 *   inkan dkim rotate --advance DOMAIN                         one step
 *   inkan dkim rotate --status [DOMAIN] [--check]              show (and step)
 *
 * The phases are the core's (inkan/rotate.h); the rotation lives in the
 * store (inkan/store.h, SQLite).  An advance finds the authoritative
 * servers of the key's name as `inkan domain verify` does (ink_vauth over
 * the recursive resolver), then asks each of them directly with an
 * uncached resolver (one ink_rotate_check per server), so one server
 * that lags behind keeps the rotation waiting.  With --zone FILE the
 * zone file is the one server.
 *
 * Time is the real clock, or --now EPOCH / INKAN_NOW (tests).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "inkan/dkim_key.h"
#include "inkan/dnsio.h"
#include "inkan/driver.h"
#include "inkan/profile.h"
#include "inkan/provision.h"
#include "inkan/rotate.h"
#include "inkan/store.h"
#include "inkan/verify.h"

/* Exit code of --advance / --status --check while DNS is still awaited. */
#define ROTATE_EXIT_WAITING 3
/* Largest --ttl. */
#define ROTATE_TTL_MAX 604800

enum {
    OPT_SELFMT = CLI_OPT_FIRST_FREE,
    OPT_DKIM,
    OPT_OLD,
    OPT_OVERLAP,
    OPT_OUT,
    OPT_TTL,
    OPT_DB,
    OPT_NOW,
    OPT_AUTH_PORT,
    OPT_ADVANCE,
    OPT_STATUS,
    OPT_CHECK,
    OPT_FORCE
};

struct rctx {
    struct ink_resolver_opts dns;
    const char *db;
    int auth_port;
    int json;
    int64_t now_fixed; /* --now, or -1 */
    struct dctx *dc;   /* the store, opened as `inkan domain` opens it */
    struct ink_store *store;
    struct ink_store *ro; /* or opened read-only (--status): owned here */
};

static void rotate_usage(FILE *fp)
{
    fprintf(fp,
            "usage: inkan dkim rotate DOMAIN --selector-format FMT --out DIR [--dkim ALG,...]\n"
            "                         [--old-selector S]... [--overlap DURATION] [--ttl SECONDS]\n"
            "       inkan dkim rotate --advance DOMAIN [DNS options]\n"
            "       inkan dkim rotate --status [DOMAIN] [--check] [DNS options]\n\n"
            "Rotate a domain's DKIM keys without breaking signatures: the new key signs\n"
            "only once every authoritative name server of the domain serves it; the old\n"
            "key stays published for the overlap, then its revocation is proposed.\n"
            "Phases: PUBLISH_NEW -> ACTIVE -> RETIRE -> DONE (docs/dkim-rotation.md).\n\n"
            "  --selector-format FMT  the new selector: %%Y %%m %%d %%H %%M %%S (UTC), %%s (epoch),\n"
            "                         %%a (algorithm), %%%% (e.g. inkan-%%Y%%m); with several\n"
            "                         algorithms and no %%a, -ALG is appended\n"
            "  --dkim ALG,...         ed25519, rsa1024, rsa2048, rsa3072, rsa4096 (default rsa2048)\n"
            "  --old-selector S       the selector being replaced (repeatable; default: the\n"
            "                         new keys of the domain's last rotation)\n"
            "  --overlap DURATION     how long the old key stays after ACTIVE: N[smhd]\n"
            "                         (default 7d)\n"
            "  --out DIR              write DIR/SELECTOR.DOMAIN.private (mode 0600)\n"
            "  --ttl SECONDS          TTL of the zone lines (default 3600)\n"
            "  --force                replace existing key files\n"
            "  --advance DOMAIN       look at DNS (or the clock) and move the phase on\n"
            "  --status [DOMAIN]      show every rotation (no DNS unless --check)\n"
            "  --check                with --status: advance every rotation not DONE first\n"
            "  --db FILE|URI          the database (default as `inkan domain`), or\n"
            "                         postgresql://...\n"
            "  --auth-port PORT       port the authoritative servers are asked on (53)\n"
            "  --now EPOCH            the time to act at (tests; also INKAN_NOW)\n"
            "  --json                 print JSON\n"
            CLI_DNS_HELP
            "\nExit status: 0 done, 1 error, 2 usage, 3 a rotation still waits for DNS\n"
            "(--advance, --status --check).\n");
}

/* now_of - the time to act at: --now, else INKAN_NOW, else the clock */
static int64_t now_of(const struct rctx *c)
{
    int64_t env = cli_parse_epoch(getenv("INKAN_NOW"));

    if (c->now_fixed >= 0)
        return c->now_fixed;
    return env >= 0 ? env : (int64_t)time(NULL);
}

/* parse_duration - "N", "Ns", "Nm", "Nh", "Nd" into seconds, or -1 */
static int64_t parse_duration(const char *s)
{
    char *end;
    long long v;
    int64_t mul = 1;

    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0)
        return -1;
    if (*end != '\0') {
        switch (*end) {
        case 's': mul = 1; break;
        case 'm': mul = 60; break;
        case 'h': mul = 3600; break;
        case 'd': mul = 86400; break;
        default: return -1;
        }
        if (end[1] != '\0')
            return -1;
    }
    if (v > INK_ROTATE_OVERLAP_MAX / mul)
        return -1;
    return (int64_t)v * mul;
}

/* normalized - DOMAIN as given, checked and without its trailing dot
 * (caller frees), or NULL after printing why */
static char *normalized(const char *arg)
{
    char buf[INK_DNS_NAME_MAX + 2];
    size_t len = strlen(arg), erroff = 0;
    const char *why = "empty";
    int n;

    if (len > 0 && arg[len - 1] == '.')
        len--;
    if (len == 0 || ink_dkim_domain_check(arg, len, &erroff, &why) < 0) {
        cli_error("'%s' is not a domain name: %s (at byte %zu)", cli_shown(arg), why, erroff);
        return NULL;
    }
    n = ink_dns_name_normalize(arg, len, buf, sizeof(buf));
    if (n <= 0) {
        cli_error("'%s' is not a domain name", cli_shown(arg));
        return NULL;
    }
    return ink_memdup_cstr(buf, (size_t)n);
}

/* open_db - the store (once) */
static int open_db(struct rctx *c)
{
    if (c->store != NULL)
        return 0;
    c->dc = cli_domains_open(c->db, &c->dns);
    if (c->dc == NULL)
        return -1;
    c->store = cli_domains_store(c->dc);
    return 0;
}

/* open_db_readonly - the existing store, read only (--status without
 * --check writes nothing, and so makes no database where there is none) */
static int open_db_readonly(struct rctx *c)
{
    struct ink_str err = INK_STR_INIT;
    char *def = NULL;
    const char *path = c->db;
    struct stat st;

    if (path == NULL && (path = def = cli_default_db_path()) == NULL) {
        cli_error("no --db FILE given and neither XDG_DATA_HOME nor HOME is set");
        return -1;
    }
    if (!ink_store_is_uri(path) && stat(path, &st) < 0 && errno == ENOENT)
        cli_error("no store at %s", cli_shown(path));
    else if ((c->ro = ink_store_open(path, 1, &err)) == NULL) /* a file or a URI */
        cli_error("%s", ink_str_cstr(&err));
    c->store = c->ro;
    ink_str_free(&err);
    free(def);
    return c->store != NULL ? 0 : -1;
}

/* ---- output ---- */

/* keys_json - one side's keys */
static json_t *keys_json(const struct ink_rot_key *k, size_t n)
{
    json_t *a = json_array();
    size_t i;

    for (i = 0; i < n; i++)
        json_array_append_new(a, json_pack("{s:s, s:s?, s:s?, s:s?}", "selector", k[i].selector,
                                           "key_type", k[i].key_type, "record", k[i].record,
                                           "key_file", k[i].key_file));
    return a;
}

/* signing_json - the selectors that sign now */
static json_t *signing_json(const struct ink_rotation *r)
{
    const struct ink_rot_key *k = ink_rotation_signing_new(r) ? r->newk : r->oldk;
    size_t i, n = ink_rotation_signing_new(r) ? r->nnew : r->nold;
    json_t *a = json_array();

    for (i = 0; i < n; i++)
        json_array_append_new(a, json_string(k[i].selector));
    return a;
}

/* rotation_json - one rotation as JSON (zone: the lines to publish now) */
static json_t *rotation_json(const struct ink_rotation *r)
{
    struct ink_str zone = INK_STR_INIT;
    json_t *o;

    (void)ink_rotation_zone_lines(r, &zone);
    o = json_pack("{s:I, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:s?, "
                  "s:s}",
                  "id", (json_int_t)r->id, "domain", r->domain, "phase",
                  ink_rot_phase_name(r->phase), "created_at", (json_int_t)r->created_at,
                  "phase_since", (json_int_t)r->phase_since, "active_at",
                  (json_int_t)r->active_at, "retire_at",
                  (json_int_t)(r->active_at > 0 ? r->active_at + r->overlap : 0), "overlap",
                  (json_int_t)r->overlap, "last_check", (json_int_t)r->last_check,
                  "next_check", (json_int_t)r->next_check, "ttl", (json_int_t)r->ttl, "signing",
                  signing_json(r), "new", keys_json(r->newk, r->nnew), "old",
                  keys_json(r->oldk, r->nold), "detail", r->detail, "zone",
                  ink_str_cstr(&zone));
    ink_str_free(&zone);
    return o;
}

/* print_json - a value on stdout (consumed) */
static void print_json(json_t *j)
{
    char *s = j != NULL ? json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;

    if (s == NULL)
        cli_error("out of memory");
    else
        printf("%s\n", s);
    free(s);
    json_decref(j);
}

/* print_keys - "  LABEL: sel (type), sel" */
static void print_keys(const char *label, const struct ink_rot_key *k, size_t n)
{
    size_t i;

    printf("  %s:", label);
    if (n == 0)
        printf(" (none)");
    for (i = 0; i < n; i++)
        printf("%s %s%s%s%s", i ? "," : "", k[i].selector, k[i].key_type ? " (" : "",
               k[i].key_type ? k[i].key_type : "", k[i].key_type ? ")" : "");
    putchar('\n');
}

/* print_rotation - one rotation as text */
static void print_rotation(const struct ink_rotation *r)
{
    json_t *sig = signing_json(r);
    size_t i;

    printf("%s rotation %lld: %s since %s\n", r->domain, (long long)r->id,
           ink_rot_phase_name(r->phase), cli_fmt_time(r->phase_since));
    print_keys("new", r->newk, r->nnew);
    print_keys("old", r->oldk, r->nold);
    printf("  signing with:");
    for (i = 0; i < json_array_size(sig); i++)
        printf("%s %s", i ? "," : "", json_string_value(json_array_get(sig, i)));
    printf(" (%s keys)\n", ink_rotation_signing_new(r) ? "new" : "old");
    json_decref(sig);
    if (r->active_at > 0)
        printf("  active since %s; overlap %llds (old keys until %s)\n", cli_fmt_time(r->active_at),
               (long long)r->overlap, cli_fmt_time(r->active_at + r->overlap));
    else
        printf("  overlap %llds once active\n", (long long)r->overlap);
    if (r->last_check > 0)
        printf("  last look: %s\n", cli_fmt_time(r->last_check));
    if (r->phase != INK_ROT_DONE && r->next_check > 0)
        printf("  next look: %s\n", cli_fmt_time(r->next_check));
    if (r->detail != NULL)
        printf("  %s\n", r->detail);
}

/* ---- looking at the authoritative servers ---- */

/* check_over - run one check of r over resolver res into *o (named server) */
static int check_over(const struct ink_rotation *r, struct ink_resolver *res, const char *server,
                      int timeout_ms, struct ink_rot_obs *o)
{
    struct ink_driver_opts opts = {0};
    struct ink_rotate_check *c = ink_rotate_check_new(r);
    enum ink_next how;

    if (c == NULL)
        return -1;
    opts.no_cache = 1; /* a look must see what is published now */
    opts.timeout_ms = timeout_ms;
    how = ink_drive_sync(res, ink_rotate_check_machine(c), &opts);
    if (how != INK_NEXT_DONE || ink_rotate_check_obs(c, server, o) < 0) {
        ink_rotate_check_free(c);
        return -1;
    }
    ink_rotate_check_free(c);
    return 0;
}

/* look - what every authoritative server shows of the side r checks:
 * obs[0..*nobs) with their names in names[] (caller frees), or none and
 * *why (caller frees).  0, or -1 after printing (no resolver, ENOMEM). */
static int look(struct rctx *c, const struct ink_rotation *r, struct ink_rot_obs *obs,
                size_t *nobs, char **names, char **why)
{
    const struct ink_rot_key *k = ink_rotation_checked(r) ? r->newk : r->oldk;
    char owner[INK_DNS_NAME_MAX + 1];
    int timeout = cli_query_timeout(&c->dns);
    struct ink_resolver *rec = NULL;
    struct ink_vauth *va = NULL;
    size_t i;
    int rc = -1;

    *nobs = 0;
    *why = NULL;
    if (ink_dkim_key_name(k[0].selector, r->domain, owner, sizeof(owner)) < 0) {
        cli_error("%s: '%s' makes no valid key name", r->domain, k[0].selector);
        return -1;
    }
    rec = cli_resolver_open(&c->dns);
    if (rec == NULL)
        return -1;
    if (c->dns.zone_file != NULL) {
        /* the zone file is the one authoritative view */
        names[0] = ink_memdup_cstr(c->dns.zone_file, strlen(c->dns.zone_file));
        if (names[0] == NULL || check_over(r, rec, names[0], timeout, &obs[0]) < 0)
            goto oom;
        *nobs = 1;
        rc = 0;
        goto done;
    }
    /* the servers, found as `inkan domain verify` finds them */
    va = ink_vauth_new(ink_vauth_search_name(owner, INK_DNS_TXT));
    if (va == NULL || ink_drive_sync(rec, ink_vauth_machine(va), NULL) != INK_NEXT_DONE)
        goto oom;
    if (ink_vauth_why(va) != NULL) {
        *why = ink_memdup_cstr(ink_vauth_why(va), strlen(ink_vauth_why(va)));
        rc = *why != NULL ? 0 : -1;
        goto done;
    }
    for (i = 0; i < ink_vauth_nservers(va) && i < INK_ROTATE_SERVERS_MAX; i++) {
        const struct ink_vauth_server *sv = ink_vauth_server(va, i);
        struct ink_resolver *one;
        char ip[CLI_IP_TEXT_MAX], *server = cli_server_string(sv->family, sv->addr, c->auth_port);

        ink_ip_format(sv->family, sv->addr, ip, sizeof(ip));
        names[*nobs] = server != NULL ? ink_memdup_cstr(ip, strlen(ip)) : NULL;
        if (names[*nobs] == NULL) {
            free(server);
            goto oom;
        }
        one = cli_server_resolver(server, timeout);
        free(server);
        if (one == NULL) {
            /* a server that cannot be asked is inconclusive, never "ready" */
            size_t j;
            memset(&obs[*nobs], 0, sizeof(obs[*nobs]));
            obs[*nobs].server = names[*nobs];
            for (j = 0; j < INK_ROTATE_KEYS_MAX; j++)
                obs[*nobs].seen[j] = INK_ROT_SEEN_ERROR;
        } else if (check_over(r, one, names[*nobs], timeout, &obs[*nobs]) < 0) {
            ink_resolver_free(one);
            (*nobs)++;
            goto oom;
        }
        ink_resolver_free(one);
        (*nobs)++;
    }
    rc = 0;
    goto done;
oom:
    cli_error("%s: out of memory or DNS resolver failure", r->domain);
done:
    ink_vauth_free(va);
    ink_resolver_free(rec);
    return rc;
}

/* advance_one - one step of r at now, saved.  *waiting is set when r
 * still waits for DNS afterwards.  0, or -1 after printing. */
static int advance_one(struct rctx *c, struct ink_rotation *r, int64_t now, int *waiting,
                       int quiet)
{
    struct ink_rot_obs obs[INK_ROTATE_SERVERS_MAX];
    char *names[INK_ROTATE_SERVERS_MAX] = {NULL};
    struct ink_str err = INK_STR_INIT;
    enum ink_rot_phase was = r->phase, from;
    size_t nobs = 0, i;
    char *why = NULL;
    int rc = -1, moved;

    if (ink_rotation_checked(r) >= 0 && look(c, r, obs, &nobs, names, &why) < 0)
        goto done;
    moved = ink_rotation_advance(r, obs, nobs, why, now, &from);
    if (moved < 0) {
        cli_error("%s: out of memory", r->domain);
        goto done;
    }
    rc = ink_store_rotation_save(c->store, r, was, &err);
    if (rc != 0) {
        cli_error("%s", ink_str_cstr(&err));
        rc = -1;
        goto done;
    }
    if (moved && !quiet && !c->json)
        printf("%s %s: %s -> %s\n", cli_fmt_time(now), r->domain, ink_rot_phase_name(from),
               ink_rot_phase_name(r->phase));
    if (r->phase == INK_ROT_PUBLISH_NEW || (r->phase == INK_ROT_RETIRE && r->nold > 0))
        *waiting = 1;
done:
    for (i = 0; i < INK_ROTATE_SERVERS_MAX; i++)
        free(names[i]);
    free(why);
    ink_str_free(&err);
    return rc;
}

/* ---- starting a rotation ---- */

/* keyalg_type - the DKIM key type and RSA size of a --dkim algorithm */
static enum ink_dkim_keytype keyalg_type(enum ink_profile_keyalg a, unsigned *bits)
{
    *bits = a == INK_PROFILE_KEY_RSA1024   ? 1024
            : a == INK_PROFILE_KEY_RSA3072 ? 3072
            : a == INK_PROFILE_KEY_RSA4096 ? 4096
            : a == INK_PROFILE_KEY_ED25519 ? 0
                                           : 2048;
    return a == INK_PROFILE_KEY_ED25519 ? INK_DKIM_KEY_ED25519 : INK_DKIM_KEY_RSA;
}

/* latest - the newest rotation of domain (caller frees), NULL when none
 * (rc 0) or on error (-1 after printing) */
static int latest(struct rctx *c, const char *domain, struct ink_rotation **out)
{
    struct ink_str err = INK_STR_INIT;
    struct ink_rotation **v = NULL;
    size_t n = 0;

    *out = NULL;
    if (ink_store_rotation_list(c->store, domain, 1, &v, &n, &err) < 0) {
        cli_error("%s", ink_str_cstr(&err));
        ink_str_free(&err);
        return -1;
    }
    if (n > 0) {
        *out = v[0];
        v[0] = NULL;
    }
    ink_rotations_free(v, n);
    return 0;
}

/* start - inkan dkim rotate DOMAIN ... */
static int start(struct rctx *c, const char *domain_arg, const char *fmt,
                 const enum ink_profile_keyalg *algs, size_t nalgs, const char *const *old,
                 size_t nold, int64_t overlap, uint32_t ttl, const char *outdir, int force)
{
    struct ink_rotation *r = NULL, *prev = NULL;
    struct ink_str err = INK_STR_INIT, path = INK_STR_INIT, zone = INK_STR_INIT;
    char *domain = normalized(domain_arg), *dir = NULL;
    char *written[INK_ROTATE_KEYS_MAX] = {NULL};
    int64_t now = now_of(c);
    size_t i, j, nwritten = 0;
    int rc = INK_EXIT_OPERR, st;

    if (domain == NULL)
        return INK_EXIT_USAGE;
    if (open_db(c) < 0 || latest(c, domain, &prev) < 0)
        goto done;
    if (prev != NULL && prev->phase != INK_ROT_DONE) {
        cli_error("%s: rotation %lld is in phase %s; advance it to DONE first "
                  "(inkan dkim rotate --advance %s)",
                  domain, (long long)prev->id, ink_rot_phase_name(prev->phase), domain);
        goto done;
    }
    r = ink_rotation_new(domain, now);
    if (r == NULL)
        goto oom;
    r->overlap = overlap;
    r->ttl = ttl;
    /* the old side: as given, else what the last rotation brought in */
    for (i = 0; i < nold; i++)
        if (ink_rotation_add_key(r, 0, old[i], NULL, NULL, NULL) < 0) {
            cli_error("--old-selector '%s' is not a DKIM selector", cli_shown(old[i]));
            rc = INK_EXIT_USAGE;
            goto done;
        }
    if (nold == 0 && prev != NULL)
        for (i = 0; i < prev->nnew; i++)
            if (ink_rotation_add_key(r, 0, prev->newk[i].selector, prev->newk[i].key_type,
                                     prev->newk[i].record, prev->newk[i].key_file) < 0)
                goto oom;
    if (mkdir(outdir, 0700) < 0 && errno != EEXIST) {
        cli_error("--out %s: %s", outdir, strerror(errno));
        goto done;
    }
    dir = realpath(outdir, NULL);
    if (dir == NULL) {
        cli_error("--out %s: %s", outdir, strerror(errno));
        goto done;
    }
    for (i = 0; i < nalgs; i++) {
        char sel[INK_ROTATE_SELECTOR_MAX + 1];
        const char *why;
        size_t off;
        unsigned bits;
        enum ink_dkim_keytype type = keyalg_type(algs[i], &bits);
        struct ink_str pem = INK_STR_INIT, rec = INK_STR_INIT;

        if (ink_rotate_selector(fmt, now, ink_profile_keyalg_name(algs[i]), nalgs > 1, sel,
                                sizeof(sel), &why, &off) < 0) {
            cli_error("--selector-format '%s': %s (at byte %zu)", cli_shown(fmt), why, off);
            rc = INK_EXIT_USAGE;
            goto done;
        }
        for (j = 0; j < r->nold; j++)
            if (strcmp(r->oldk[j].selector, sel) == 0) {
                cli_error("--selector-format '%s' gives '%s', the selector of a key being "
                          "replaced: use a finer format (%%d, %%H, %%s)",
                          cli_shown(fmt), sel);
                rc = INK_EXIT_USAGE;
                goto done;
            }
        for (j = 0; j < r->nnew; j++)
            if (strcmp(r->newk[j].selector, sel) == 0) {
                cli_error("--selector-format '%s' gives '%s' twice: add %%a", cli_shown(fmt), sel);
                rc = INK_EXIT_USAGE;
                goto done;
            }
        {
            char owner[INK_DNS_NAME_MAX + 1];
            if (ink_dkim_key_name(sel, domain, owner, sizeof(owner)) < 0) {
                cli_error("'%s._domainkey.%s' is not a valid DNS name", sel, domain);
                rc = INK_EXIT_USAGE;
                goto done;
            }
        }
        if (ink_dkim_keygen(type, bits, &pem, &rec, &err) < 0) {
            cli_error("cannot generate a key: %s", ink_str_cstr(&err));
            ink_str_free(&pem);
            ink_str_free(&rec);
            goto done;
        }
        ink_str_truncate(&path, 0);
        ink_str_printf(&path, "%s/%s.%s.private", dir, sel, domain);
        st = cli_secret_write(ink_str_cstr(&path), pem.buf, pem.len, force);
        ink_str_free(&pem);
        if (st < 0) {
            ink_str_free(&rec);
            goto done;
        }
        written[nwritten] = ink_memdup_cstr(path.buf, path.len);
        if (written[nwritten] == NULL) {
            ink_str_free(&rec);
            goto oom;
        }
        nwritten++;
        st = ink_rotation_add_key(r, 1, sel, ink_dkim_keytype_name(type), ink_str_cstr(&rec),
                                  ink_str_cstr(&path));
        ink_str_free(&rec);
        if (st < 0)
            goto oom;
    }
    if (ink_rotation_set_detail(r, "publish the new records; advance when every "
                                   "authoritative server serves them") < 0)
        goto oom;
    st = ink_store_rotation_add(c->store, r, &err);
    if (st != 0) {
        cli_error("%s", ink_str_cstr(&err));
        goto done;
    }
    nwritten = 0; /* the keys are the rotation's now */
    if (c->json)
        print_json(rotation_json(r));
    else {
        if (ink_rotation_zone_lines(r, &zone) < 0)
            goto oom;
        fputs(ink_str_cstr(&zone), stdout);
        if (r->nold == 0)
            printf("; no old key: the domain's first rotated key\n");
    }
    rc = INK_EXIT_OK;
    goto done;
oom:
    cli_error("out of memory");
done:
    /* a rotation not stored leaves no key files behind */
    for (i = 0; i < INK_ROTATE_KEYS_MAX; i++) {
        if (i < nwritten && written[i] != NULL)
            (void)unlink(written[i]);
        free(written[i]);
    }
    ink_rotation_free(r);
    ink_rotation_free(prev);
    ink_str_free(&err);
    ink_str_free(&path);
    ink_str_free(&zone);
    free(dir);
    free(domain);
    return rc;
}

/* ---- advance and status ---- */

/* advance - inkan dkim rotate --advance DOMAIN */
static int advance(struct rctx *c, const char *domain_arg)
{
    struct ink_rotation *r = NULL;
    struct ink_str zone = INK_STR_INIT;
    char *domain = normalized(domain_arg);
    int waiting = 0, rc = INK_EXIT_OPERR;

    if (domain == NULL)
        return INK_EXIT_USAGE;
    if (open_db(c) < 0 || latest(c, domain, &r) < 0)
        goto done;
    if (r == NULL) {
        cli_error("%s: no rotation (start one with inkan dkim rotate %s --selector-format FMT)",
                  domain, domain);
        goto done;
    }
    if (advance_one(c, r, now_of(c), &waiting, 0) < 0)
        goto done;
    if (c->json)
        print_json(rotation_json(r));
    else {
        print_rotation(r);
        if (ink_rotation_zone_lines(r, &zone) == 0)
            fputs(ink_str_cstr(&zone), stdout);
    }
    rc = waiting ? ROTATE_EXIT_WAITING : INK_EXIT_OK;
done:
    ink_rotation_free(r);
    ink_str_free(&zone);
    free(domain);
    return rc;
}

/* status - inkan dkim rotate --status [DOMAIN] [--check] */
static int status(struct rctx *c, const char *domain_arg, int check)
{
    struct ink_str err = INK_STR_INIT;
    struct ink_rotation **v = NULL;
    char *domain = NULL;
    size_t n = 0, i;
    int waiting = 0, failed = 0, rc = INK_EXIT_OPERR;
    json_t *arr = NULL;

    if (domain_arg != NULL && (domain = normalized(domain_arg)) == NULL)
        return INK_EXIT_USAGE;
    if ((check ? open_db(c) : open_db_readonly(c)) < 0)
        goto done;
    if (ink_store_rotation_list(c->store, domain, 0, &v, &n, &err) < 0) {
        cli_error("%s", ink_str_cstr(&err));
        goto done;
    }
    if (check) {
        int64_t now = now_of(c);
        for (i = 0; i < n; i++)
            if (v[i]->phase != INK_ROT_DONE && advance_one(c, v[i], now, &waiting, 0) < 0)
                failed = 1;
    }
    if (c->json) {
        arr = json_array();
        for (i = 0; i < n; i++)
            json_array_append_new(arr, rotation_json(v[i]));
        print_json(arr);
    } else {
        if (n == 0)
            printf("no rotation%s%s\n", domain ? " of " : "", domain ? domain : "");
        for (i = 0; i < n; i++)
            print_rotation(v[i]);
    }
    rc = failed ? INK_EXIT_OPERR : waiting ? ROTATE_EXIT_WAITING : INK_EXIT_OK;
done:
    ink_rotations_free(v, n);
    ink_str_free(&err);
    free(domain);
    return rc;
}

/* cmd_dkim_rotate - inkan dkim rotate */
int cmd_dkim_rotate(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"selector-format", required_argument, NULL, OPT_SELFMT},
        {"dkim", required_argument, NULL, OPT_DKIM},
        {"old-selector", required_argument, NULL, OPT_OLD},
        {"overlap", required_argument, NULL, OPT_OVERLAP},
        {"out", required_argument, NULL, OPT_OUT},
        {"ttl", required_argument, NULL, OPT_TTL},
        {"db", required_argument, NULL, OPT_DB},
        {"now", required_argument, NULL, OPT_NOW},
        {"auth-port", required_argument, NULL, OPT_AUTH_PORT},
        {"advance", no_argument, NULL, OPT_ADVANCE},
        {"status", no_argument, NULL, OPT_STATUS},
        {"check", no_argument, NULL, OPT_CHECK},
        {"force", no_argument, NULL, OPT_FORCE},
        {NULL, 0, NULL, 0},
    };
    struct rctx c;
    const struct cli_optset set = {.own = longopts, .dns = &c.dns, .json = &c.json,
                                   .usage = rotate_usage};
    enum ink_profile_keyalg algs[INK_ROTATE_KEYS_MAX] = {INK_PROFILE_KEY_RSA2048};
    const char *fmt = NULL, *outdir = NULL, *old[INK_ROTATE_KEYS_MAX];
    int64_t overlap = INK_ROTATE_OVERLAP_DEFAULT;
    unsigned long ttl = 3600;
    size_t nold = 0;
    int nalgs = 1, opt, do_advance = 0, do_status = 0, do_check = 0, force = 0, rc;
    char *end;

    memset(&c, 0, sizeof(c));
    c.auth_port = 53;
    c.now_fixed = -1;
    optind = 1;
    while ((opt = cli_getopt(&set, argc, argv)) != -1) {
        switch (opt) {
        case OPT_SELFMT: fmt = optarg; break;
        case OPT_DKIM:
            nalgs = cli_parse_dkim_algs(optarg, algs, INK_ROTATE_KEYS_MAX);
            if (nalgs < 0)
                return INK_EXIT_USAGE;
            break;
        case OPT_OLD:
            if (nold >= INK_ROTATE_KEYS_MAX) {
                cli_error("--old-selector: at most %d", INK_ROTATE_KEYS_MAX);
                return INK_EXIT_USAGE;
            }
            old[nold++] = optarg;
            break;
        case OPT_OVERLAP:
            overlap = parse_duration(optarg);
            if (overlap < 0) {
                cli_error("--overlap: '%s' is not a duration N[smhd] of at most 366d",
                          cli_shown(optarg));
                return INK_EXIT_USAGE;
            }
            break;
        case OPT_OUT: outdir = optarg; break;
        case OPT_TTL:
            errno = 0;
            ttl = strtoul(optarg, &end, 10);
            if (errno || end == optarg || *end || *optarg == '-' || ttl > ROTATE_TTL_MAX) {
                cli_error("--ttl: '%s' is not a number of seconds up to %d", cli_shown(optarg),
                          ROTATE_TTL_MAX);
                return INK_EXIT_USAGE;
            }
            break;
        case OPT_DB:
            if (!ink_store_db_ok(optarg)) {
                cli_error("--db '%s': give a database file or a postgresql:// URI",
                          cli_shown(optarg));
                return INK_EXIT_USAGE;
            }
            c.db = optarg;
            break;
        case OPT_NOW:
            c.now_fixed = cli_parse_epoch(optarg);
            if (c.now_fixed < 0) {
                cli_error("--now: '%s' is not a time in seconds since 1970", cli_shown(optarg));
                return INK_EXIT_USAGE;
            }
            break;
        case OPT_AUTH_PORT:
            c.auth_port = cli_parse_auth_port(optarg);
            if (c.auth_port < 0)
                return INK_EXIT_USAGE;
            break;
        case OPT_ADVANCE: do_advance = 1; break;
        case OPT_STATUS: do_status = 1; break;
        case OPT_CHECK: do_check = 1; break;
        case OPT_FORCE: force = 1; break;
        case CLI_GETOPT_HELP: return INK_EXIT_OK;
        default: return INK_EXIT_USAGE;
        }
    }
    if (c.dns.zone_file != NULL && c.dns.server != NULL) {
        cli_error("--zone and --dns cannot be used together");
        return INK_EXIT_USAGE;
    }
    if (do_advance + do_status > 1) {
        cli_error("give one of --advance and --status");
        return INK_EXIT_USAGE;
    }
    if (do_check && !do_status) {
        cli_error("--check goes with --status");
        return INK_EXIT_USAGE;
    }
    if (do_status) {
        if (argc - optind > 1) {
            cli_error("--status takes at most one DOMAIN");
            return INK_EXIT_USAGE;
        }
        rc = status(&c, optind < argc ? argv[optind] : NULL, do_check);
    } else if (do_advance) {
        if (argc - optind != 1) {
            cli_error("--advance takes one DOMAIN");
            return INK_EXIT_USAGE;
        }
        rc = advance(&c, argv[optind]);
    } else {
        if (argc - optind != 1 || fmt == NULL || outdir == NULL) {
            cli_error("give DOMAIN, --selector-format FMT and --out DIR (or --status, "
                      "--advance; see --help)");
            return INK_EXIT_USAGE;
        }
        rc = start(&c, argv[optind], fmt, algs, (size_t)nalgs, old, nold, overlap,
                   (uint32_t)ttl, outdir, force);
    }
    cli_domains_free(c.dc);
    ink_store_free(c.ro);
    return rc;
}
