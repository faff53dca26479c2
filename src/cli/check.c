/*
 * check.c - the `inkan check` command: audit a sending domain's DNS (SPF,
 * DKIM, DMARC, MX, PTR, HELO, CNAMEs, MTA-STS/TLS-RPT/BIMI) and say what
 * to publish.  One domain (text grouped by area, or --json), or many with
 * --file (JSON Lines, many audits in flight through one driver, progress
 * on a terminal).
 *
 * The audit itself is the sans-I/O core (inkan/audit.h); this file reads
 * options and files, runs the audits through the driver (inkan/driver.h),
 * makes the DKIM keys the audit asks for (--dkim-keygen) and prints.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libpsl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "check_json.h"
#include "cli.h"
#include "inkan/audit.h"
#include "inkan/dkim_key.h"
#include "inkan/dns.h"
#include "inkan/driver.h"
#include "inkan/profile.h"
#include "inkan/zonefile.h"

/* Exit codes of `inkan check` beyond the common ones. */
#define CHECK_EXIT_WARNINGS 3
#define CHECK_EXIT_ERRORS 4
/* Audits in flight with --file unless --concurrency says otherwise. */
#define CHECK_CONCURRENCY_DEFAULT 200
#define CHECK_CONCURRENCY_MAX 20000
/* Longest line of a --file accepted. */
#define CHECK_LINE_MAX 1024
/* Progress bar: redraw at most this often (ms), this many cells wide. */
#define CHECK_PROGRESS_MS 100
#define CHECK_PROGRESS_WIDTH 30
/* Where Debian's publicsuffix package puts the list. */
#define CHECK_PSL_FILE "/usr/share/publicsuffix/public_suffix_list.dat"
/* Largest --psl file read (the list is about 300 KB). */
#define CHECK_PSL_SIZE_MAX (16u << 20)
/* Largest --file read (bytes, stdin included): the list is held in memory. */
#define CHECK_FILE_SIZE_MAX (256u << 20)
/* Size of the RSA keys --dkim-keygen makes (RFC 8301's norm). */
#define CHECK_KEYGEN_RSA_BITS 2048

enum {
    OPT_SELECTOR = CLI_OPT_FIRST_FREE,
    OPT_IP,
    OPT_INCLUDE,
    OPT_HELO,
    OPT_CNAME,
    OPT_RUA,
    OPT_ORG_DOMAIN,
    OPT_PSL,
    OPT_FILE,
    OPT_CONCURRENCY,
    OPT_DKIM_KEYGEN,
    OPT_FORCE,
    OPT_NO_INFO,
    OPT_NO_PROGRESS,
    OPT_SUBDOMAIN,
    OPT_PROFILE
};

static const char check_usage[] =
    "usage: inkan check DOMAIN [OPTIONS]\n"
    "       inkan check --file DOMAINS [--concurrency N] [OPTIONS]\n"
    "\n"
    "Audit a sending domain's DNS: SPF, DKIM, DMARC, MX, PTR, HELO, CNAMEs,\n"
    "and MTA-STS / TLS-RPT / BIMI.  Each finding says how bad it is and, where\n"
    "it can, the exact zone-file line to publish.\n"
    "\n"
    "  --selector SEL[,SEL]  DKIM selectors to check (repeatable)\n"
    "  --ip ADDR[/LEN]       a sending IP or range: must be authorized by SPF and\n"
    "                        (single addresses) have forward-confirmed PTR\n"
    "  --include DOMAIN      an SPF include the domain must have (repeatable)\n"
    "  --helo NAME           a HELO name the senders announce (repeatable)\n"
    "  --cname NAME=TARGET   a CNAME that must exist (NAME relative to DOMAIN)\n"
    "  --subdomain NAME      the sending subdomain (NAME.DOMAIN): it gets the\n"
    "                        checks the options above (or the profile) ask for,\n"
    "                        DOMAIN its own audit beside it\n"
    "  --profile FILE        a sender profile (see inkan provision): its SPF\n"
    "                        includes and ranges, DKIM selectors and CNAMEs are\n"
    "                        checked where the profile puts them\n"
    "  --rua URI             report address for proposed DMARC records\n"
    "                        (default mailto:dmarc-reports@DOMAIN)\n"
    "  --org-domain MODE     treewalk (RFC 9989, default) or psl (RFC 7489)\n"
    "  --psl FILE            public suffix list for psl mode\n"
    "                        (default " CHECK_PSL_FILE ")\n"
    "  --dkim-keygen DIR     for DKIM keys that must be replaced, generate a new\n"
    "                        RSA-2048 pair: the fix publishes it and the private\n"
    "                        key is written to DIR/SELECTOR.DOMAIN.pem (mode\n"
    "                        0600; an existing key is never replaced)\n"
    "  --force               with --dkim-keygen: replace existing key files\n"
    "  --json                print JSON (with --file: one JSON object per line)\n"
    "  --no-info             leave out informational findings\n"
    "  --file FILE           check every domain listed in FILE (one per line, '#'\n"
    "                        comments), '-' for stdin\n"
    "  --concurrency N       audits in flight with --file (default 200)\n"
    "  --no-progress         no progress bar with --file\n" CLI_DNS_HELP
    "\n"
    "Exit status: 0 no errors or warnings, 3 warnings only, 4 errors,\n"
    "1 operational error, 2 usage error.\n";

/* A growable list of C strings (pointers into argv or owned copies). */
struct strlist {
    const char **v;
    size_t n, cap;
};

static int strlist_add(struct strlist *l, const char *s)
{
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 8;
        const char **nv = realloc(l->v, ncap * sizeof(*nv));

        if (nv == NULL)
            return -1;
        l->v = nv;
        l->cap = ncap;
    }
    l->v[l->n++] = s;
    return 0;
}

struct check_opts {
    struct ink_audit_opts audit;
    struct strlist selectors, includes, helos;
    struct ink_audit_ip *ips;
    size_t nips;
    struct ink_audit_cname *cnames;
    size_t ncnames;
    char *arena;            /* copies of split option values (freed at end) */
    struct strlist owned;   /* strings to free */
    /* the parent domain's audit when a sending subdomain is given */
    struct ink_audit_opts base;
    struct strlist bselectors, bincludes;
    struct ink_audit_ip *bips;
    size_t nbips;
    struct ink_audit_cname *bcnames;
    size_t nbcnames;
    const char *subdomain;
    const char *profile;
    const char *file;
    const char *keygen_dir;
    int force;              /* --force: --dkim-keygen may replace a key */
    long concurrency;
    int json;
    int no_info;
    int no_progress;
    int colour;
};

/* check_help - the help, for the option layer */
static void check_help(FILE *fp)
{
    fputs(check_usage, fp);
}

/* name_ok - whether v (len bytes) is a DNS name; else print why for
 * option what and return 0 (a usage error: the audit would only report a
 * name that cannot exist) */
static int name_ok(const char *what, const char *v, size_t len)
{
    char tmp[INK_DNS_NAME_MAX + 1];
    char *c = ink_memdup_cstr(v, len);
    int ok = ink_dns_name_normalize(v, len, tmp, sizeof(tmp)) > 0;

    if (!ok)
        cli_error("check: %s '%s' is not a DNS name (labels of 1 to 63 bytes, 253 in all)", what,
                  cli_shown(c != NULL ? c : ""));
    free(c);
    return ok;
}

/* split_add - add each comma-separated part of arg to l (copies kept in
 * o->owned); -1 out of memory, -2 (after printing) an empty part: '' or
 * ',,,' given for option what is a mistake, not "none" */
static int split_add(struct check_opts *o, struct strlist *l, const char *arg, const char *what)
{
    const char *p = arg, *c;

    if (*arg == '\0' || strstr(arg, ",,") != NULL || *arg == ',' || arg[strlen(arg) - 1] == ',') {
        cli_error("check: %s '%s': an empty name (give NAME[,NAME...])", what, cli_shown(arg));
        return -2;
    }
    while (*p) {
        char *part;

        c = strchr(p, ',');
        if (c == NULL)
            c = p + strlen(p);
        if (!name_ok(what, p, (size_t)(c - p)))
            return -2;
        if (c > p) {
            part = ink_memdup_cstr(p, (size_t)(c - p));
            if (part == NULL || strlist_add(&o->owned, part) < 0 || strlist_add(l, part) < 0)
                return -1;
        }
        p = *c ? c + 1 : c;
    }
    return 0;
}

/* parse_ip - ADDR or ADDR/LEN into an audit range; 0 or -1 */
static int parse_ip(const char *arg, struct ink_audit_ip *out)
{
    const char *slash = strchr(arg, '/');
    size_t alen = slash ? (size_t)(slash - arg) : strlen(arg);
    unsigned max;
    char *end;
    long len;

    if (ink_ip_parse(arg, alen, &out->family, out->addr) < 0)
        return -1;
    max = out->family == 4 ? 32 : 128;
    out->prefix = max;
    if (slash != NULL) {
        errno = 0;
        len = strtol(slash + 1, &end, 10);
        if (errno || end == slash + 1 || *end || len < 0 || len > (long)max)
            return -1;
        out->prefix = (unsigned)len;
    }
    return 0;
}

/* add_range - append ADDR[/LEN] text to a range list; 0, -1 bad, -2 ENOMEM */
static int add_range(struct ink_audit_ip **v, size_t *n, const char *text)
{
    struct ink_audit_ip *nv = realloc(*v, (*n + 1) * sizeof(*nv));

    if (nv == NULL)
        return -2;
    *v = nv;
    if (parse_ip(text, &nv[*n]) < 0)
        return -1;
    (*n)++;
    return 0;
}

/* add_cname - append NAME=TARGET (copies kept in o->owned); 0 or -1 */
static int add_cname(struct check_opts *o, struct ink_audit_cname **v, size_t *n,
                     const char *name, size_t namelen, const char *target)
{
    struct ink_audit_cname *nv = realloc(*v, (*n + 1) * sizeof(*nv));
    char *nm, *tg;

    if (nv == NULL)
        return -1;
    *v = nv;
    nm = ink_memdup_cstr(name, namelen);
    tg = ink_memdup_cstr(target, strlen(target));
    if (nm == NULL || tg == NULL || strlist_add(&o->owned, nm) < 0) {
        free(nm);
        free(tg);
        return -1;
    }
    if (strlist_add(&o->owned, tg) < 0) {
        free(tg);
        return -1;
    }
    nv[*n].name = nm;
    nv[*n].target = tg;
    (*n)++;
    return 0;
}

/*
 * apply_profile - what a sender profile expects, split between the
 * sending domain (o->audit lists) and the domain itself (o->base lists)
 * by each item's "at".  0, or -1 after printing why.
 */
static int apply_profile(struct check_opts *o, const struct ink_profile *p)
{
    size_t i;
    int snd, rc;

    snd = p->spf_at == INK_PROFILE_AT_SENDING;
    for (i = 0; i < p->n_include; i++)
        if (strlist_add(snd ? &o->includes : &o->bincludes, p->include[i]) < 0)
            goto nomem;
    for (i = 0; i < p->n_ip4 + p->n_ip6; i++) {
        const char *t = i < p->n_ip4 ? p->ip4[i] : p->ip6[i - p->n_ip4];

        rc = snd ? add_range(&o->ips, &o->nips, t) : add_range(&o->bips, &o->nbips, t);
        if (rc == -2)
            goto nomem;
        if (rc < 0) {
            cli_error("check: --profile %s: '%s' is not an address range", o->profile, t);
            return -1;
        }
    }
    for (i = 0; i < p->n_dkim; i++) {
        const struct ink_profile_dkim *k = &p->dkim[i];

        snd = k->at == INK_PROFILE_AT_SENDING;
        if (strlist_add(snd ? &o->selectors : &o->bselectors, k->selector) < 0)
            goto nomem;
        if (k->cname != NULL) {
            struct ink_str nm = INK_STR_INIT;

            /* a key the platform hosts: the selector must point at it */
            ink_str_printf(&nm, "%s._domainkey", k->selector);
            rc = snd ? add_cname(o, &o->cnames, &o->ncnames, nm.buf, nm.len, k->cname)
                     : add_cname(o, &o->bcnames, &o->nbcnames, nm.buf, nm.len, k->cname);
            ink_str_free(&nm);
            if (rc < 0)
                goto nomem;
        }
    }
    for (i = 0; i < p->n_cname; i++) {
        const struct ink_profile_cname *c = &p->cname[i];

        if (strcmp(c->name, "@") == 0)
            continue; /* a CNAME cannot sit at a zone's apex; nothing to check */
        snd = c->at == INK_PROFILE_AT_SENDING;
        rc = snd ? add_cname(o, &o->cnames, &o->ncnames, c->name, strlen(c->name), c->target)
                 : add_cname(o, &o->bcnames, &o->nbcnames, c->name, strlen(c->name),
                             c->target);
        if (rc < 0)
            goto nomem;
    }
    if (o->audit.rua == NULL && p->n_rua > 0) {
        char *r = ink_memdup_cstr(p->rua[0], strlen(p->rua[0]));

        if (r == NULL || strlist_add(&o->owned, r) < 0) {
            free(r);
            goto nomem;
        }
        o->audit.rua = r;
    }
    if (o->subdomain == NULL && p->subdomain != NULL) {
        char *sd = ink_memdup_cstr(p->subdomain, strlen(p->subdomain));

        if (sd == NULL || strlist_add(&o->owned, sd) < 0) {
            free(sd);
            goto nomem;
        }
        o->subdomain = sd;
    }
    return 0;
nomem:
    cli_error("check: out of memory");
    return -1;
}

/* ---- output ---- */

/* A private key made for a finding of one audit (--dkim-keygen). */
struct check_key {
    size_t finding; /* index of the finding whose fix publishes it */
    char *pem;      /* the private key (owned) */
};

struct check_keys {
    struct check_key *v;
    size_t n;
};

/* keys_free - release the keys made for one audit */
static void keys_free(struct check_keys *ks)
{
    size_t i;

    for (i = 0; i < ks->n; i++)
        free(ks->v[i].pem);
    free(ks->v);
    ks->v = NULL;
    ks->n = 0;
}

/*
 * make_keys - with --dkim-keygen: a new RSA pair for each selector the
 * audit says needs one; the public half becomes the finding's fix (a
 * zone-file line), the private half is kept in ks for write_keys.  A key
 * that cannot be made leaves the finding without a fix.  0, or -1 on
 * ENOMEM.
 */
static int make_keys(struct ink_audit *a, const struct check_opts *o, struct check_keys *ks)
{
    size_t i, n = ink_audit_nkeys_wanted(a);

    if (o->keygen_dir == NULL || n == 0)
        return 0;
    ks->v = calloc(n, sizeof(*ks->v));
    if (ks->v == NULL)
        return -1;
    for (i = 0; i < n; i++) {
        const struct ink_audit_key_wanted *w = ink_audit_key_wanted(a, i);
        struct ink_str pem = INK_STR_INIT, rec = INK_STR_INIT, err = INK_STR_INIT;
        struct ink_str line = INK_STR_INIT;
        int rc = 0;

        if (ink_dkim_keygen(INK_DKIM_KEY_RSA, CHECK_KEYGEN_RSA_BITS, &pem, &rec, &err) == 0) {
            if (ink_zone_txt_line(&line, w->owner, INK_AUDIT_FIX_TTL, (const uint8_t *)rec.buf,
                                  rec.len) < 0 ||
                ink_audit_set_fix(a, w->finding, ink_str_cstr(&line)) < 0 ||
                (ks->v[ks->n].pem = ink_str_steal(&pem)) == NULL)
                rc = -1;
            else
                ks->v[ks->n++].finding = w->finding;
        }
        ink_str_free(&pem);
        ink_str_free(&rec);
        ink_str_free(&err);
        ink_str_free(&line);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* key_generated - JSON: "key_generated": true on findings given a key */
static void key_generated(void *arg, size_t i, json_t *obj)
{
    const struct check_keys *ks = arg;
    size_t k;

    for (k = 0; k < ks->n; k++)
        if (ks->v[k].finding == i)
            json_object_set_new(obj, "key_generated", json_true());
}

/* print_text - findings grouped by area */
static void print_text(const struct ink_audit *a, const struct check_opts *o)
{
    const char *bold = o->colour ? "\033[1m" : "", *reset = o->colour ? "\033[0m" : "";
    struct cli_findings_opts po;
    const struct ink_finding *f;
    size_t n;

    printf("%s%s%s: %zu error%s, %zu warning%s, %zu info\n", bold, ink_audit_domain(a), reset,
           ink_audit_count(a, INK_SEV_ERROR), ink_audit_count(a, INK_SEV_ERROR) == 1 ? "" : "s",
           ink_audit_count(a, INK_SEV_WARNING),
           ink_audit_count(a, INK_SEV_WARNING) == 1 ? "" : "s", ink_audit_count(a, INK_SEV_INFO));
    memset(&po, 0, sizeof(po));
    po.areas = ink_audit_areas;
    po.no_info = o->no_info;
    po.colour = o->colour;
    f = ink_audit_findings(a, &n);
    cli_print_findings(stdout, f, n, &po);
}

/* audit_json - the report as a JSON object (caller decrefs) */
static json_t *audit_json(const struct ink_audit *a, const struct check_opts *o,
                          const struct check_keys *ks)
{
    json_t *j = json_object(), *recs = json_object(), *sum;
    struct cli_findings_opts po;
    const struct ink_finding *f;
    size_t i, n;

    json_object_set_new(j, "domain", json_string(ink_audit_domain(a)));
    memset(&po, 0, sizeof(po));
    po.no_info = o->no_info;
    po.extra = key_generated;
    po.extra_arg = (void *)ks;
    f = ink_audit_findings(a, &n);
    json_object_set_new(j, "findings", cli_findings_json(f, n, &po));
    for (i = 0; i < ink_audit_nrecords(a); i++) {
        const struct ink_audit_record *r = ink_audit_record(a, i);
        json_t *arr = json_object_get(recs, r->area);

        if (arr == NULL) {
            arr = json_array();
            json_object_set_new(recs, r->area, arr);
        }
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "name", r->name, "type",
                                             r->type, "data", r->data));
    }
    json_object_set_new(j, "records", recs);
    sum = json_pack("{s:I, s:I, s:I, s:I}", "errors",
                    (json_int_t)ink_audit_count(a, INK_SEV_ERROR), "warnings",
                    (json_int_t)ink_audit_count(a, INK_SEV_WARNING), "info",
                    (json_int_t)ink_audit_count(a, INK_SEV_INFO), "queries",
                    (json_int_t)ink_audit_queries(a));
    json_object_set_new(j, "summary", sum);
    return j;
}

/* cli_check_json - the document `inkan check DOMAIN --json` prints for
 * a finished audit made without --dkim-keygen or --no-info (for `inkan
 * serve`'s GET /api/check/{d}); a new reference, caller decrefs */
json_t *cli_check_json(const struct ink_audit *a)
{
    static const struct check_opts plain; /* every option at its default */
    static const struct check_keys none = {NULL, 0};

    return audit_json(a, &plain, &none);
}

/* write_keys - with --dkim-keygen: store each generated private key
 * (cli_secret_write: never over an existing key without --force) */
static int write_keys(const struct ink_audit *a, const struct check_opts *o,
                      const struct check_keys *ks)
{
    size_t i;
    int rc = 0;

    if (o->keygen_dir == NULL)
        return 0;
    for (i = 0; i < ks->n; i++) {
        const struct ink_finding *f = ink_audit_finding(a, ks->v[i].finding);
        struct ink_str path = INK_STR_INIT;
        const char *dot, *why, *dom;
        size_t sl, erroff;

        if (f == NULL || f->subject == NULL)
            continue;
        /* SELECTOR._domainkey.DOMAIN -> SELECTOR.DOMAIN.pem */
        dot = strstr(f->subject, "._domainkey.");
        if (dot == NULL)
            continue;
        sl = (size_t)(dot - f->subject);
        dom = dot + strlen("._domainkey.");
        /* the parts become a file name: only RFC 6376 syntax (no '/') */
        if (ink_dkim_selector_check(f->subject, sl, &erroff, &why) < 0 ||
            ink_dkim_domain_check(dom, strlen(dom), &erroff, &why) < 0) {
            cli_error("check: not writing a key for %s: the name is not a selector and a "
                      "domain name (%s)", f->subject, why);
            rc = -1;
            continue;
        }
        ink_str_printf(&path, "%s/%.*s.%s.pem", o->keygen_dir, (int)sl, f->subject, dom);
        if (cli_secret_write(ink_str_cstr(&path), ks->v[i].pem, strlen(ks->v[i].pem), o->force) < 0)
            rc = -1;
        else if (!o->json)
            fprintf(stderr, "%s: private key for %s written to %s\n", cli_prog, f->subject,
                    ink_str_cstr(&path));
        ink_str_free(&path);
    }
    return rc;
}

/* now_ms - monotonic milliseconds */
static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* progress - redraw the bar on stderr */
static void progress(size_t done, size_t total, double start, int final)
{
    double el = (now_ms() - start) / 1000.0, rate = el > 0 ? (double)done / el : 0;
    size_t fill = total ? done * CHECK_PROGRESS_WIDTH / total : 0, i;
    char bar[CHECK_PROGRESS_WIDTH + 1];

    for (i = 0; i < CHECK_PROGRESS_WIDTH; i++)
        bar[i] = i < fill ? '#' : '-';
    bar[CHECK_PROGRESS_WIDTH] = '\0';
    if (total > 0 && rate > 0 && done < total)
        fprintf(stderr, "\r[%s] %zu/%zu  %.0f domains/s  ETA %.0fs   ", bar, done, total, rate,
                (double)(total - done) / rate);
    else
        fprintf(stderr, "\r[%s] %zu/%zu  %.0f domains/s  %.1fs       ", bar, done, total, rate,
                el);
    if (final)
        fputc('\n', stderr);
}

/* exit_for - the exit code an audit earns */
static int exit_for(const struct ink_audit *a)
{
    if (ink_audit_count(a, INK_SEV_ERROR) > 0)
        return CHECK_EXIT_ERRORS;
    if (ink_audit_count(a, INK_SEV_WARNING) > 0)
        return CHECK_EXIT_WARNINGS;
    return INK_EXIT_OK;
}

/* emit - make and store any keys, print one finished audit; returns its
 * exit code */
static int emit(struct ink_audit *a, const struct check_opts *o, int bulk)
{
    int rc = exit_for(a);
    struct check_keys ks = {NULL, 0};

    if (make_keys(a, o, &ks) < 0) {
        cli_error("check: out of memory");
        rc = INK_EXIT_OPERR;
    }
    if (write_keys(a, o, &ks) < 0)
        rc = INK_EXIT_OPERR;
    if (o->json) {
        json_t *j = audit_json(a, o, &ks);
        char *s = json_dumps(j, bulk ? JSON_COMPACT : JSON_INDENT(2));

        if (s != NULL) {
            fputs(s, stdout);
            fputc('\n', stdout);
            free(s);
        }
        json_decref(j);
    } else {
        if (bulk)
            fputc('\n', stdout);
        print_text(a, o);
    }
    keys_free(&ks);
    return rc;
}

/* worse - combine exit codes: operational errors first, then 4, 3, 0 */
static int worse(int a, int b)
{
    if (a == INK_EXIT_OPERR || b == INK_EXIT_OPERR)
        return INK_EXIT_OPERR;
    return a > b ? a : b;
}

/* read_domains - the lines of a --file; 0 or -1 after printing why */
static int read_domains(const char *path, struct strlist *out, struct strlist *owned)
{
    FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    char line[CHECK_LINE_MAX + 2];
    unsigned long lineno = 0;

    if (fp == NULL) {
        cli_error("%s: %s", path, strerror(errno));
        return -1;
    }
    size_t total = 0;

    while (fgets(line, sizeof(line), fp) != NULL) {
        char *p = line, *e, *c;

        lineno++;
        /* a line of NUL bytes still counts: an endless stream of them
         * must end too */
        total += strlen(line) > 0 ? strlen(line) : 1;
        if (total > CHECK_FILE_SIZE_MAX) {
            cli_error("%s: larger than the %u-byte limit of --file", path, CHECK_FILE_SIZE_MAX);
            if (fp != stdin)
                fclose(fp);
            return -1;
        }
        if (strchr(line, '\n') == NULL && !feof(fp)) {
            cli_error("%s:%lu: line longer than %d bytes", path, lineno, CHECK_LINE_MAX);
            if (fp != stdin)
                fclose(fp);
            return -1;
        }
        if ((c = strchr(p, '#')) != NULL)
            *c = '\0';
        while (*p == ' ' || *p == '\t')
            p++;
        e = p + strlen(p);
        while (e > p && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (e == p)
            continue;
        c = ink_memdup_cstr(p, (size_t)(e - p));
        if (c == NULL || strlist_add(owned, c) < 0 || strlist_add(out, c) < 0) {
            free(c);
            cli_error("%s: out of memory", path);
            if (fp != stdin)
                fclose(fp);
            return -1;
        }
    }
    if (ferror(fp)) {
        cli_error("%s: read error", path);
        if (fp != stdin)
            fclose(fp);
        return -1;
    }
    if (fp != stdin)
        fclose(fp);
    return 0;
}

/* ---- driving many audits through the driver ---- */

/*
 * One run of audits over the driver.  Reports come out in the order of
 * the domains, whatever order the audits end in: an audit that ends
 * before an earlier one waits (ended) until that one is printed.  At most
 * width audits are started and not yet printed, so memory stays flat in
 * the number of domains.
 */
struct check_run {
    struct ink_driver *d;
    const char *const *domains;
    struct ink_audit_opts *const *optv;
    struct ink_audit **live; /* started and not printed (freed at the end) */
    unsigned char *ended;    /* live[i] has ended */
    size_t n, next, printed, width;
    const struct check_opts *o;
    int bulk, rc, show;
    double start, last;
};

static void audit_ended(void *arg, struct ink_machine m, enum ink_next how);

/* start_next - add the next domain's audit to the driver; 0, or -1 (then
 * no more are started) */
static int start_next(struct check_run *run)
{
    size_t i = run->next;
    struct ink_audit *a;

    if (i >= run->n)
        return -1;
    run->optv[i]->domain = run->domains[i];
    a = ink_audit_new(run->optv[i]);
    run->next++;
    if (a == NULL || ink_driver_add(run->d, ink_audit_machine(a), audit_ended, run) < 0) {
        ink_audit_free(a);
        cli_error("out of memory");
        run->rc = INK_EXIT_OPERR;
        run->next = run->n;
        return -1;
    }
    run->live[i] = a;
    return 0;
}

/* audit_ended - the driver's done callback: print what is next in order,
 * start more */
static void audit_ended(void *arg, struct ink_machine m, enum ink_next how)
{
    struct check_run *run = arg;
    size_t i;

    (void)how; /* an audit always ends DONE: what failed is a finding */
    for (i = run->printed; i < run->next; i++)
        if (run->live[i] == m.self) {
            run->ended[i] = 1;
            break;
        }
    while (run->printed < run->next && run->ended[run->printed]) {
        struct ink_audit *a = run->live[run->printed];

        run->rc = worse(run->rc, emit(a, run->o, run->bulk));
        ink_audit_free(a);
        run->live[run->printed++] = NULL;
    }
    if (run->show && (now_ms() - run->last >= CHECK_PROGRESS_MS)) {
        progress(run->printed, run->n, run->start, 0);
        run->last = now_ms();
    }
    while (run->next < run->n && run->next - run->printed < run->width)
        if (start_next(run) < 0)
            break;
}

/* run_audits - check every domain with up to concurrency audits in flight */
static int run_audits(struct ink_resolver *r, const struct ink_resolver_opts *ropts,
                      const char *const *domains, struct ink_audit_opts *const *optv, size_t n,
                      struct check_opts *o, int bulk)
{
    struct ink_driver_opts dopts;
    struct check_run run;
    size_t i;

    memset(&run, 0, sizeof(run));
    memset(&dopts, 0, sizeof(dopts));
    dopts.timeout_ms = ropts->timeout_ms;
    run.d = ink_driver_new(r, &dopts);
    run.live = calloc(n ? n : 1, sizeof(*run.live));
    run.ended = calloc(n ? n : 1, sizeof(*run.ended));
    if (run.d == NULL || run.live == NULL || run.ended == NULL) {
        ink_driver_free(run.d);
        free(run.live);
        free(run.ended);
        cli_error("out of memory");
        return INK_EXIT_OPERR;
    }
    run.domains = domains;
    run.optv = optv;
    run.n = n;
    run.o = o;
    run.bulk = bulk;
    run.rc = INK_EXIT_OK;
    run.show = bulk && !o->no_progress && isatty(STDERR_FILENO);
    run.start = now_ms();
    run.width = bulk ? (size_t)o->concurrency : 1;
    while (run.next < n && run.next < run.width)
        if (start_next(&run) < 0)
            break;
    while (ink_driver_running(run.d) > 0) {
        if (ink_driver_step(run.d, CHECK_PROGRESS_MS) < 0) {
            cli_error("the DNS resolver failed");
            run.rc = INK_EXIT_OPERR;
            break;
        }
        if (run.show && (now_ms() - run.last >= CHECK_PROGRESS_MS)) {
            progress(run.printed, n, run.start, 0);
            run.last = now_ms();
        }
    }
    if (run.show)
        progress(run.printed, n, run.start, 1);
    ink_driver_free(run.d); /* audits still running are dropped, not printed */
    for (i = 0; i < n; i++)
        ink_audit_free(run.live[i]);
    free(run.live);
    free(run.ended);
    return run.rc;
}

/* cmd_check - inkan check */
int cmd_check(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"selector", required_argument, NULL, OPT_SELECTOR},
        {"ip", required_argument, NULL, OPT_IP},
        {"include", required_argument, NULL, OPT_INCLUDE},
        {"helo", required_argument, NULL, OPT_HELO},
        {"cname", required_argument, NULL, OPT_CNAME},
        {"rua", required_argument, NULL, OPT_RUA},
        {"org-domain", required_argument, NULL, OPT_ORG_DOMAIN},
        {"psl", required_argument, NULL, OPT_PSL},
        {"file", required_argument, NULL, OPT_FILE},
        {"concurrency", required_argument, NULL, OPT_CONCURRENCY},
        {"dkim-keygen", required_argument, NULL, OPT_DKIM_KEYGEN},
        {"force", no_argument, NULL, OPT_FORCE},
        {"no-info", no_argument, NULL, OPT_NO_INFO},
        {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
        {"subdomain", required_argument, NULL, OPT_SUBDOMAIN},
        {"profile", required_argument, NULL, OPT_PROFILE},
        {NULL, 0, NULL, 0},
    };
    struct ink_resolver_opts ropts;
    struct check_opts o;
    struct strlist domains = {NULL, 0, 0};
    struct ink_resolver *r = NULL;
    psl_ctx_t *psl = NULL;
    struct ink_profile *prof = NULL;
    const char **names = NULL;
    struct ink_audit_opts **optv = NULL;
    size_t nnames = 0;
    const char *psl_file = NULL;
    int opt, rc = INK_EXIT_USAGE, k;
    size_t i;
    const struct cli_optset set = {
        .own = longopts, .dns = &ropts, .json = &o.json, .usage = check_help};

    memset(&ropts, 0, sizeof(ropts));
    memset(&o, 0, sizeof(o));
    o.concurrency = CHECK_CONCURRENCY_DEFAULT;
    o.audit.org_mode = INK_DMARC_ORG_TREEWALK;
    optind = 1;
    while ((opt = cli_getopt(&set, argc, argv)) != -1) {
        switch (opt) {
        case OPT_SELECTOR:
            if ((k = split_add(&o, &o.selectors, optarg, "--selector")) < 0)
                goto bad_list;
            break;
        case OPT_INCLUDE:
            if ((k = split_add(&o, &o.includes, optarg, "--include")) < 0)
                goto bad_list;
            break;
        case OPT_HELO:
            if (!name_ok("--helo", optarg, strlen(optarg)))
                goto out;
            if (strlist_add(&o.helos, optarg) < 0)
                goto nomem;
            break;
        case OPT_IP: {
            struct ink_audit_ip *n = realloc(o.ips, (o.nips + 1) * sizeof(*n));

            if (n == NULL)
                goto nomem;
            o.ips = n;
            if (parse_ip(optarg, &o.ips[o.nips]) < 0) {
                cli_error("check: --ip '%s' is not an address or ADDR/LEN range", cli_shown(optarg));
                goto out;
            }
            o.nips++;
            break;
        }
        case OPT_CNAME: {
            const char *eq = strchr(optarg, '=');
            struct ink_audit_cname *n;
            char *name;

            if (eq == NULL || eq == optarg || eq[1] == '\0') {
                cli_error("check: --cname wants NAME=TARGET, not '%s'", cli_shown(optarg));
                goto out;
            }
            if (!name_ok("--cname", optarg, (size_t)(eq - optarg)) ||
                !name_ok("--cname target", eq + 1, strlen(eq + 1)))
                goto out;
            n = realloc(o.cnames, (o.ncnames + 1) * sizeof(*n));
            if (n == NULL)
                goto nomem;
            o.cnames = n;
            name = ink_memdup_cstr(optarg, (size_t)(eq - optarg));
            if (name == NULL || strlist_add(&o.owned, name) < 0) {
                free(name);
                goto nomem;
            }
            o.cnames[o.ncnames].name = name;
            o.cnames[o.ncnames].target = eq + 1;
            o.ncnames++;
            break;
        }
        case OPT_RUA:
            if (strchr(optarg, ':') == NULL) {
                cli_error("check: --rua wants a URI such as mailto:dmarc@example.com");
                goto out;
            }
            o.audit.rua = optarg;
            break;
        case OPT_ORG_DOMAIN:
            if (strcmp(optarg, "treewalk") == 0)
                o.audit.org_mode = INK_DMARC_ORG_TREEWALK;
            else if (strcmp(optarg, "psl") == 0)
                o.audit.org_mode = INK_DMARC_ORG_PSL;
            else {
                cli_error("check: --org-domain is treewalk or psl, not '%s'", cli_shown(optarg));
                goto out;
            }
            break;
        case OPT_PSL:
            psl_file = optarg;
            break;
        case OPT_FILE:
            o.file = optarg;
            break;
        case OPT_CONCURRENCY: {
            char *end;

            errno = 0;
            o.concurrency = strtol(optarg, &end, 10);
            if (errno || *end || end == optarg || o.concurrency < 1 ||
                o.concurrency > CHECK_CONCURRENCY_MAX) {
                cli_error("check: --concurrency must be 1 to %d", CHECK_CONCURRENCY_MAX);
                goto out;
            }
            break;
        }
        case OPT_DKIM_KEYGEN:
            o.keygen_dir = optarg;
            break;
        case OPT_FORCE:
            o.force = 1;
            break;
        case OPT_NO_INFO:
            o.no_info = 1;
            break;
        case OPT_NO_PROGRESS:
            o.no_progress = 1;
            break;
        case OPT_SUBDOMAIN:
            o.subdomain = optarg;
            break;
        case OPT_PROFILE:
            o.profile = optarg;
            break;
        case CLI_GETOPT_HELP:
            rc = INK_EXIT_OK;
            goto out;
        default: /* CLI_GETOPT_USAGE: said why */
            goto out;
        }
    }
    if (o.file != NULL) {
        if (optind != argc) {
            cli_error("check: give either DOMAIN or --file, not both");
            goto out;
        }
        if (read_domains(o.file, &domains, &o.owned) < 0) {
            rc = INK_EXIT_OPERR;
            goto out;
        }
    } else {
        char tmp[INK_DNS_NAME_MAX + 1];

        if (optind + 1 != argc) {
            cli_error("check: expected one DOMAIN (see 'inkan check --help')");
            goto out;
        }
        if (ink_dns_name_normalize(argv[optind], strlen(argv[optind]), tmp, sizeof(tmp)) <= 0) {
            cli_error("check: '%s' is not a domain name", cli_shown(argv[optind]));
            goto out;
        }
        if (strlist_add(&domains, argv[optind]) < 0)
            goto nomem;
    }
    if (o.keygen_dir != NULL) {
        struct stat st;

        if (stat(o.keygen_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
            cli_error("check: --dkim-keygen %s: not a directory", o.keygen_dir);
            rc = INK_EXIT_OPERR;
            goto out;
        }
    }
    if (o.audit.org_mode == INK_DMARC_ORG_PSL) {
        if (psl_file != NULL && cli_file_limit("check: --psl", psl_file, CHECK_PSL_SIZE_MAX) < 0) {
            rc = INK_EXIT_OPERR;
            goto out;
        }
        psl = psl_load_file(psl_file ? psl_file : CHECK_PSL_FILE);
        if (psl == NULL && psl_file != NULL) {
            cli_error("check: --psl %s: cannot load the public suffix list", psl_file);
            rc = INK_EXIT_OPERR;
            goto out;
        }
        o.audit.psl = psl; /* NULL: libpsl's built-in list */
    }
    if (o.profile != NULL) {
        prof = cli_profile_load(o.profile);
        if (prof == NULL) {
            rc = INK_EXIT_OPERR;
            goto out;
        }
        if (apply_profile(&o, prof) < 0) {
            rc = INK_EXIT_OPERR;
            goto out;
        }
    }
    if (o.subdomain != NULL) {
        char tmp[INK_DNS_NAME_MAX + 1];

        if (ink_dns_name_normalize(o.subdomain, strlen(o.subdomain), tmp, sizeof(tmp)) <= 0) {
            cli_error("check: --subdomain '%s' is not a name", cli_shown(o.subdomain));
            goto out;
        }
    }
    o.audit.selectors = o.selectors.v;
    o.audit.nselectors = o.selectors.n;
    o.audit.includes = o.includes.v;
    o.audit.nincludes = o.includes.n;
    o.audit.helos = o.helos.v;
    o.audit.nhelos = o.helos.n;
    o.audit.ips = o.ips;
    o.audit.nips = o.nips;
    o.audit.cnames = o.cnames;
    o.audit.ncnames = o.ncnames;
    /* the domain itself, beside its sending subdomain */
    o.base.org_mode = o.audit.org_mode;
    o.base.psl = o.audit.psl;
    o.base.rua = o.audit.rua;
    o.base.selectors = o.bselectors.v;
    o.base.nselectors = o.bselectors.n;
    o.base.includes = o.bincludes.v;
    o.base.nincludes = o.bincludes.n;
    o.base.ips = o.bips;
    o.base.nips = o.nbips;
    o.base.cnames = o.bcnames;
    o.base.ncnames = o.nbcnames;
    /* each domain: with a sending subdomain, two audits (domain, sending) */
    {
        size_t per = o.subdomain != NULL ? 2 : 1, nk = 0;

        names = calloc(domains.n * per + 1, sizeof(*names));
        optv = calloc(domains.n * per + 1, sizeof(*optv));
        if (names == NULL || optv == NULL)
            goto nomem;
        for (i = 0; i < domains.n; i++) {
            if (o.subdomain == NULL) {
                names[nk] = domains.v[i];
                optv[nk++] = &o.audit;
                continue;
            }
            {
                struct ink_str sd = INK_STR_INIT;
                char *c;

                ink_str_printf(&sd, "%s.%s", o.subdomain, domains.v[i]);
                c = ink_str_steal(&sd);
                if (c == NULL || strlist_add(&o.owned, c) < 0) {
                    free(c);
                    goto nomem;
                }
                names[nk] = domains.v[i];
                optv[nk++] = &o.base;
                names[nk] = c;
                optv[nk++] = &o.audit;
            }
        }
        nnames = nk;
    }
    o.colour = !o.json && cli_stdout_is_tty();
    r = cli_resolver_open(&ropts);
    if (r == NULL) {
        rc = INK_EXIT_OPERR;
        goto out;
    }
    rc = run_audits(r, &ropts, names, optv, nnames, &o, o.file != NULL || o.subdomain != NULL);
    goto out;
bad_list:
    if (k == -2)
        goto out; /* a usage error, said */
nomem:
    cli_error("check: out of memory");
    rc = INK_EXIT_OPERR;
out:
    fflush(stdout);
    ink_resolver_free(r);
    psl_free(psl);
    for (i = 0; i < o.owned.n; i++)
        free((char *)o.owned.v[i]);
    free(o.owned.v);
    free(o.selectors.v);
    free(o.includes.v);
    free(o.helos.v);
    free(o.ips);
    free(o.cnames);
    free(o.bselectors.v);
    free(o.bincludes.v);
    free(o.bips);
    free(o.bcnames);
    ink_profile_free(prof);
    free(names);
    free(optv);
    free(domains.v);
    return rc;
}
