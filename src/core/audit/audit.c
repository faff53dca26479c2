/*
 * audit.c - the sending-domain audit behind `inkan check`, as a set of
 * small sans-I/O machines multiplexed behind ink_audit_next/feed:
 *
 *   - DMARC: the policy discovery machine (dmarc_discover.c), then the
 *     record's diagnostics, rollout hints and report authorization;
 *   - MX: the MX set, each host's addresses, null MX;
 *   - PTR: reverse names of MX host addresses and of --ip senders, each
 *     confirmed forward (FCrDNS);
 *   - HELO: names that a sending host announces;
 *   - CNAME: names a sending platform expects to point at it;
 *   - MTA-STS, TLS-RPT, BIMI: presence, as information;
 *   - SPF and DKIM: see audit_spf.c and audit_dkim.c.
 *
 * Work is a list of jobs.  A plain job is one DNS query with a handler
 * that may add more jobs (MX -> addresses -> PTR -> forward lookups).
 * A machine job wraps another module's state machine.  Each query sent
 * carries a token naming its job; answers may come back in any order.
 */
#include "inkan/audit.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "audit_int.h"
#include "inkan/zonefile.h"

const char *const ink_audit_areas[] = {
    "spf", "dkim", "dmarc", "mx", "ptr", "helo", "cname", "mta-sts", "tls-rpt", "bimi", NULL,
};

/* Every code the audit's own findings carry: the list is the contract
 * (audit_finding() refuses others; a unit test makes each appear). */
const struct ink_audit_code ink_audit_codes[] = {
    {"spf-include-missing", "spf"},
    {"spf-include-present", "spf"},
    {"spf-ip-authorized", "spf"},
    {"spf-ip-not-authorized", "spf"},
    {"spf-ip-temperror", "spf"},
    {"dkim-bad-selector", "dkim"},
    {"dkim-cname", "dkim"},
    {"dkim-cname-dangling", "dkim"},
    {"dkim-ed25519-only", "dkim"},
    {"dkim-key-note", "dkim"},
    {"dkim-malformed", "dkim"},
    {"dkim-missing", "dkim"},
    {"dkim-multiple", "dkim"},
    {"dkim-ok", "dkim"},
    {"dkim-revoked", "dkim"},
    {"dkim-short-key", "dkim"},
    {"dkim-temperror", "dkim"},
    {"dkim-testing", "dkim"},
    {"dkim-unusable", "dkim"},
    {"dkim-weak-key", "dkim"},
    {"bad-domain", "dmarc"},
    {"check-incomplete", NULL}, /* any area whose check could not finish */
    {"dmarc-inherited", "dmarc"},
    {"dmarc-missing", "dmarc"},
    {"dmarc-multiple", "dmarc"},
    {"dmarc-not-dmarc", "dmarc"},
    {"dmarc-psd-only", "dmarc"},
    {"dmarc-temperror", "dmarc"},
    {"policy-reject", "dmarc"},
    {"query-budget", "dmarc"},
    {"report-dest-authorized", "dmarc"},
    {"report-dest-name-too-long", "dmarc"},
    {"report-dest-temperror", "dmarc"},
    {"report-dest-unauthorized", "dmarc"},
    {"domain-not-found", "mx"},
    {"mx-cname", "mx"},
    {"mx-ip-literal", "mx"},
    {"mx-missing", "mx"},
    {"mx-null", "mx"},
    {"mx-null-mixed", "mx"},
    {"mx-ok", "mx"},
    {"mx-temperror", "mx"},
    {"mx-unresolvable", "mx"},
    {"ptr-confirmed", "ptr"},
    {"ptr-mismatch", "ptr"},
    {"ptr-missing", "ptr"},
    {"ptr-other-name", "ptr"},
    {"ptr-temperror", "ptr"},
    {"helo-invalid", "helo"},
    {"helo-ip-literal", "helo"},
    {"helo-localhost", "helo"},
    {"helo-mismatch", "helo"},
    {"helo-not-fqdn", "helo"},
    {"helo-ok", "helo"},
    {"helo-temperror", "helo"},
    {"helo-unresolvable", "helo"},
    {"cname-conflict", "cname"},
    {"cname-mismatch", "cname"},
    {"cname-missing", "cname"},
    {"cname-ok", "cname"},
    {"cname-temperror", "cname"},
    {"mta-sts-absent", "mta-sts"},
    {"mta-sts-present", "mta-sts"},
    {"tls-rpt-absent", "tls-rpt"},
    {"tls-rpt-present", "tls-rpt"},
    {"bimi-absent", "bimi"},
    {"bimi-needs-enforcement", "bimi"},
    {"bimi-present", "bimi"},
    {"temperror", NULL},        /* mta-sts, tls-rpt, bimi */
    {NULL, NULL},
};

/* ---- small helpers ---- */

/* audit_strdup - copy a C string (NULL stays NULL); NULL on ENOMEM sets a->nomem */
char *audit_strdup(struct ink_audit *a, const char *s)
{
    char *c;

    if (s == NULL)
        return NULL;
    c = ink_memdup_cstr(s, strlen(s));
    if (c == NULL)
        a->nomem = 1;
    return c;
}

/* audit_known_code - whether code is in ink_audit_codes */
static int audit_known_code(const char *code)
{
    size_t i;

    for (i = 0; ink_audit_codes[i].code != NULL; i++)
        if (strcmp(ink_audit_codes[i].code, code) == 0)
            return 1;
    return 0;
}

/* audit_vfinding - add a finding (see audit_finding).  Declared with the
 * format attribute so that clang's -Wformat-nonliteral accepts fmt. */
static struct ink_finding *audit_vfinding(struct ink_audit *a, enum ink_severity sev,
                                          const char *area, const char *code,
                                          const char *subject, const char *fix,
                                          const char *fmt, va_list ap)
    __attribute__((format(printf, 7, 0)));
static struct ink_finding *audit_vfinding(struct ink_audit *a, enum ink_severity sev,
                                          const char *area, const char *code,
                                          const char *subject, const char *fix,
                                          const char *fmt, va_list ap)
{
    struct ink_finding *f;
    struct ink_str s = INK_STR_INIT;

    if (a->nfind == a->capfind) {
        size_t ncap = a->capfind ? a->capfind * 2 : 16;
        struct ink_finding *n;

        if (ncap > SIZE_MAX / sizeof(*n) || (n = realloc(a->find, ncap * sizeof(*n))) == NULL) {
            a->nomem = 1;
            return NULL;
        }
        a->find = n;
        a->capfind = ncap;
    }
    if (ink_str_vprintf(&s, fmt, ap) < 0) {
        ink_str_free(&s);
        a->nomem = 1;
        return NULL;
    }
    f = &a->find[a->nfind];
    memset(f, 0, sizeof(*f));
    f->offset = -1;
    f->severity = sev;
    f->area = area;
    f->code = code;
    f->message = ink_str_steal(&s);
    f->subject = audit_strdup(a, subject);
    f->fix = audit_strdup(a, fix);
    if (f->message == NULL) {
        a->nomem = 1;
        free(f->subject);
        free(f->fix);
        return NULL;
    }
    a->nfind++;
    return f;
}

/* audit_finding - add a finding of one of the audit's own codes; fix may
 * be NULL.  The message is formatted; subject and fix are copied.  The
 * finding (owned by a), or NULL on ENOMEM. */
struct ink_finding *audit_finding(struct ink_audit *a, enum ink_severity sev, const char *area,
                                  const char *code, const char *subject, const char *fix,
                                  const char *fmt, ...)
{
    struct ink_finding *f;
    va_list ap;

    assert(audit_known_code(code));
    va_start(ap, fmt);
    f = audit_vfinding(a, sev, area, code, subject, fix, fmt, ap);
    va_end(ap);
    return f;
}

/* audit_finding_pass - as audit_finding, for a finding another module
 * made (the SPF lint's, the DMARC record's): its code passes unchecked */
struct ink_finding *audit_finding_pass(struct ink_audit *a, enum ink_severity sev,
                                       const char *area, const char *code, const char *subject,
                                       const char *fix, const char *fmt, ...)
{
    struct ink_finding *f;
    va_list ap;

    va_start(ap, fmt);
    f = audit_vfinding(a, sev, area, code, subject, fix, fmt, ap);
    va_end(ap);
    return f;
}

/* audit_set_fix - replace a finding's fix with a copy of fix */
void audit_set_fix(struct ink_audit *a, struct ink_finding *f, const char *fix)
{
    free(f->fix);
    f->fix = audit_strdup(a, fix);
}

/* audit_record - note a record read (data made printable here) */
void audit_record(struct ink_audit *a, const char *area, const char *name, const char *type,
                  const void *data, size_t len)
{
    struct ink_audit_record *r;
    struct ink_str s = INK_STR_INIT;

    if (a->nrec == a->caprec) {
        size_t ncap = a->caprec ? a->caprec * 2 : 16;
        struct ink_audit_record *n;

        if (ncap > SIZE_MAX / sizeof(*n) || (n = realloc(a->rec, ncap * sizeof(*n))) == NULL) {
            a->nomem = 1;
            return;
        }
        a->rec = n;
        a->caprec = ncap;
    }
    if (ink_str_put_printable(&s, data, len, AUDIT_RECORD_SHOW_MAX) < 0) {
        ink_str_free(&s);
        a->nomem = 1;
        return;
    }
    r = &a->rec[a->nrec];
    r->area = area;
    r->type = type;
    r->name = audit_strdup(a, name);
    r->data = ink_str_steal(&s);
    if (r->data == NULL || r->name == NULL) {
        free(r->name);
        free(r->data);
        a->nomem = 1;
        return;
    }
    a->nrec++;
}

/* audit_fix_line - a zone-file line as a fresh string (NULL on ENOMEM) */
char *audit_fix_line(struct ink_audit *a, const char *owner, uint16_t type, const char *data)
{
    struct ink_str s = INK_STR_INIT;
    int rc = type == INK_DNS_TXT
                 ? ink_zone_txt_line(&s, owner, INK_AUDIT_FIX_TTL, (const uint8_t *)data,
                                     strlen(data))
                 : ink_zone_rr_line(&s, owner, INK_AUDIT_FIX_TTL, type, data, strlen(data));

    if (rc < 0) {
        ink_str_free(&s);
        a->nomem = 1;
        return NULL;
    }
    return ink_str_steal(&s);
}

/* audit_key_wanted - note that the key of selector sel (at owner) must
 * be replaced; finding f is what the new key fixes */
void audit_key_wanted(struct ink_audit *a, const char *sel, const char *owner,
                      const struct ink_finding *f)
{
    struct ink_audit_key_wanted *k;

    if (f == NULL)
        return;
    if (a->nkeys == a->capkeys) {
        size_t ncap = a->capkeys ? a->capkeys * 2 : 4;
        struct ink_audit_key_wanted *n;

        if (ncap > SIZE_MAX / sizeof(*n) || (n = realloc(a->keys, ncap * sizeof(*n))) == NULL) {
            a->nomem = 1;
            return;
        }
        a->keys = n;
        a->capkeys = ncap;
    }
    k = &a->keys[a->nkeys];
    k->selector = audit_strdup(a, sel);
    k->owner = audit_strdup(a, owner);
    k->finding = (size_t)(f - a->find);
    if (k->selector == NULL || k->owner == NULL) {
        free((char *)k->selector);
        free((char *)k->owner);
        return;
    }
    a->nkeys++;
}

/* ---- jobs and tokens ---- */

/* audit_job_new - append a job; returns its index or -1 */
long audit_job_new(struct ink_audit *a, enum audit_job_kind kind)
{
    struct audit_job *j;

    if (a->njobs == a->capjobs) {
        size_t ncap = a->capjobs ? a->capjobs * 2 : 32;
        struct audit_job *n;

        if (ncap > SIZE_MAX / sizeof(*n) || (n = realloc(a->jobs, ncap * sizeof(*n))) == NULL) {
            a->nomem = 1;
            return -1;
        }
        a->jobs = n;
        a->capjobs = ncap;
    }
    j = &a->jobs[a->njobs];
    memset(j, 0, sizeof(*j));
    j->kind = kind;
    return (long)a->njobs++;
}

/* audit_query - add a plain job: ask (name, type) and run handler h with
 * i and k when the answer comes.  Returns 0 or -1. */
int audit_query(struct ink_audit *a, const char *name, uint16_t type, enum audit_handler h,
                size_t i, size_t k)
{
    long idx;
    struct audit_job *j;

    if (a->nqueries + a->njobs >= INK_AUDIT_QUERIES_MAX) {
        a->over_budget = 1;
        return -1;
    }
    idx = audit_job_new(a, JOB_QUERY);
    if (idx < 0)
        return -1;
    j = &a->jobs[idx];
    j->name = audit_strdup(a, name);
    if (j->name == NULL) {
        j->done = 1;
        return -1;
    }
    j->type = type;
    j->handler = h;
    j->i = i;
    j->k = k;
    return 0;
}

/* token_new - a token for a query (name, type) of job idx */
static long token_new(struct ink_audit *a, size_t idx, const char *name, uint16_t type)
{
    size_t t;
    char *copy = audit_strdup(a, name);

    if (copy == NULL)
        return -1;
    for (t = a->tok_hint; t < a->ntok; t++)
        if (a->tok[t].job == TOKEN_FREE)
            goto found;
    for (t = 0; t < a->tok_hint && t < a->ntok; t++)
        if (a->tok[t].job == TOKEN_FREE)
            goto found;
    if (a->ntok == a->captok) {
        size_t ncap = a->captok ? a->captok * 2 : 16;
        struct audit_tok *n;

        if (ncap > SIZE_MAX / sizeof(*n) || (n = realloc(a->tok, ncap * sizeof(*n))) == NULL) {
            free(copy);
            a->nomem = 1;
            return -1;
        }
        a->tok = n;
        a->captok = ncap;
    }
    t = a->ntok++;
found:
    a->tok[t].job = idx;
    a->tok[t].name = copy;
    a->tok[t].type = type;
    a->tok[t].waiters = NULL;
    a->tok[t].nwait = 0;
    a->tok_hint = t + 1;
    return (long)t;
}

/* ---- construction ---- */

static int copy_strv(struct ink_audit *a, char ***dst, const char *const *src, size_t n)
{
    size_t i;

    if (n == 0)
        return 0;
    *dst = calloc(n, sizeof(char *));
    if (*dst == NULL)
        return -1;
    for (i = 0; i < n; i++) {
        (*dst)[i] = audit_strdup(a, src[i]);
        if ((*dst)[i] == NULL)
            return -1;
    }
    return 0;
}

static void free_strv(char **v, size_t n)
{
    size_t i;

    if (v == NULL)
        return;
    for (i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* ink_audit_new - set up every check for opts->domain */
struct ink_audit *ink_audit_new(const struct ink_audit_opts *opts)
{
    struct ink_audit *a = calloc(1, sizeof(*a));
    size_t i, n;
    int len;

    if (a == NULL)
        return NULL;
    a->org_mode = opts->org_mode;
    a->psl = opts->psl;
    len = ink_dns_name_normalize(opts->domain, strlen(opts->domain), a->domain,
                                 sizeof(a->domain));
    if (len <= 0 || strchr(a->domain, '.') == NULL) {
        struct ink_str s = INK_STR_INIT;

        ink_str_put_printable(&s, opts->domain, strlen(opts->domain), 80);
        a->domain[0] = '\0';
        a->shown_domain = ink_str_steal(&s);
        audit_finding(a, INK_SEV_ERROR, "dmarc", "bad-domain", a->shown_domain, NULL,
                      "'%s' is not a domain name that can send mail",
                      a->shown_domain ? a->shown_domain : "");
        a->finished = 1;
        return a;
    }
    a->shown_domain = audit_strdup(a, a->domain);
    a->rua = audit_strdup(a, opts->rua);
    n = opts->nselectors < INK_AUDIT_SELECTORS_MAX ? opts->nselectors : INK_AUDIT_SELECTORS_MAX;
    if (copy_strv(a, &a->selectors, opts->selectors, n) < 0)
        goto nomem;
    a->nselectors = n;
    n = opts->nincludes < INK_AUDIT_INCLUDES_MAX ? opts->nincludes : INK_AUDIT_INCLUDES_MAX;
    if (copy_strv(a, &a->includes, opts->includes, n) < 0)
        goto nomem;
    a->nincludes = n;
    n = opts->nhelos < INK_AUDIT_HELOS_MAX ? opts->nhelos : INK_AUDIT_HELOS_MAX;
    if (n > 0 && (a->helos = calloc(n, sizeof(*a->helos))) == NULL)
        goto nomem;
    for (i = 0; i < n; i++) {
        a->helos[i].name = audit_strdup(a, opts->helos[i]);
        if (a->helos[i].name == NULL)
            goto nomem;
    }
    a->nhelos = n;
    n = opts->nips < INK_AUDIT_IPS_MAX ? opts->nips : INK_AUDIT_IPS_MAX;
    if (n > 0 && (a->ips = calloc(n, sizeof(*a->ips))) == NULL)
        goto nomem;
    if (n > 0)
        memcpy(a->ips, opts->ips, n * sizeof(*a->ips));
    a->nips = n;
    n = opts->ncnames < INK_AUDIT_CNAMES_MAX ? opts->ncnames : INK_AUDIT_CNAMES_MAX;
    if (n > 0 && (a->cnames = calloc(n, sizeof(*a->cnames))) == NULL)
        goto nomem;
    for (i = 0; i < n; i++) {
        char tmp[INK_DNS_NAME_MAX + 1];
        struct ink_str s = INK_STR_INIT;
        const char *nm = opts->cnames[i].name;

        /* relative names are below the domain */
        if (ink_dns_name_normalize(nm, strlen(nm), tmp, sizeof(tmp)) >= 0 &&
            ink_dns_name_is_subdomain(tmp, a->domain))
            ink_str_puts(&s, tmp);
        else
            ink_str_printf(&s, "%s.%s", nm, a->domain);
        a->cnames[i].name = ink_str_steal(&s);
        a->cnames[i].target = audit_strdup(a, opts->cnames[i].target);
        if (a->cnames[i].name == NULL || a->cnames[i].target == NULL)
            goto nomem;
    }
    a->ncnames = n;
    if (audit_start_checks(a) < 0 && a->nomem)
        goto nomem;
    return a;
nomem:
    ink_audit_free(a);
    return NULL;
}

/* ink_audit_free - release everything */
void ink_audit_free(struct ink_audit *a)
{
    size_t i, k;

    if (a == NULL)
        return;
    for (i = 0; i < a->njobs; i++) {
        free(a->jobs[i].name);
        audit_job_release(&a->jobs[i]);
    }
    free(a->jobs);
    for (i = 0; i < a->ntok; i++) {
        free(a->tok[i].name);
        free(a->tok[i].waiters);
    }
    free(a->tok);
    for (i = 0; i < a->ncache; i++) {
        free(a->cache[i].name);
        ink_dns_answer_free(a->cache[i].ans);
    }
    free(a->cache);
    for (i = 0; i < a->nfind; i++) {
        free(a->find[i].subject);
        free(a->find[i].message);
        free(a->find[i].fix);
    }
    free(a->find);
    for (i = 0; i < a->nkeys; i++) {
        free((char *)a->keys[i].selector);
        free((char *)a->keys[i].owner);
    }
    free(a->keys);
    for (i = 0; i < a->nrec; i++) {
        free(a->rec[i].name);
        free(a->rec[i].data);
    }
    free(a->rec);
    free_strv(a->selectors, a->nselectors);
    free_strv(a->includes, a->nincludes);
    for (i = 0; i < a->nhelos; i++)
        free(a->helos[i].name);
    free(a->helos);
    free(a->ips);
    for (i = 0; i < a->ncnames; i++) {
        free(a->cnames[i].name);
        free(a->cnames[i].target);
    }
    free(a->cnames);
    for (i = 0; i < a->nmx; i++)
        free(a->mx[i].name);
    for (i = 0; i < a->nptr; i++) {
        free(a->ptr[i].source);
        free(a->ptr[i].hint);
        for (k = 0; k < a->ptr[i].nnames; k++)
            free(a->ptr[i].names[k]);
    }
    free(a->ptr);
    audit_spf_free(a);
    audit_dkim_free(a);
    free(a->rua);
    free(a->shown_domain);
    free(a);
}

/* ---- driving ---- */

/* all_jobs_done - whether nothing is left to ask or await */
static int all_jobs_done(const struct ink_audit *a)
{
    size_t i;

    for (i = 0; i < a->njobs; i++)
        if (!a->jobs[i].done)
            return 0;
    return 1;
}

/* finish - cross-area conclusions once every job is done */
static void finish(struct ink_audit *a)
{
    audit_finish_checks(a);
    if (a->over_budget)
        audit_finding(a, INK_SEV_WARNING, "dmarc", "query-budget", a->domain, NULL,
                      "the audit stopped asking after %d DNS queries; some checks are "
                      "incomplete",
                      INK_AUDIT_QUERIES_MAX);
    a->finished = 1;
}

/* cache_find - an answer already received for (name, type), or NULL */
static const struct ink_dns_answer *cache_find(const struct ink_audit *a, const char *name,
                                               uint16_t type)
{
    size_t i;

    for (i = 0; i < a->ncache; i++)
        if (a->cache[i].type == type && ink_dns_name_eq(a->cache[i].name, name))
            return a->cache[i].ans;
    return NULL;
}

/* cache_add - keep a copy of an answer (nothing happens on ENOMEM: the
 * question is then simply asked again) */
static void cache_add(struct ink_audit *a, const char *name, uint16_t type,
                      const struct ink_dns_answer *ans)
{
    struct audit_cached *c;

    if (a->ncache == a->capcache) {
        size_t ncap = a->capcache ? a->capcache * 2 : 16;
        struct audit_cached *n;

        if (ncap > SIZE_MAX / sizeof(*n) || (n = realloc(a->cache, ncap * sizeof(*n))) == NULL)
            return;
        a->cache = n;
        a->capcache = ncap;
    }
    c = &a->cache[a->ncache];
    c->name = ink_memdup_cstr(name, strlen(name));
    c->ans = ink_dns_answer_dup(ans);
    c->type = type;
    if (c->name == NULL || c->ans == NULL) {
        free(c->name);
        ink_dns_answer_free(c->ans);
        return;
    }
    a->ncache++;
}

/* tok_find - the token of a question in flight, or -1 */
static long tok_find(const struct ink_audit *a, const char *name, uint16_t type)
{
    size_t t;

    for (t = 0; t < a->ntok; t++)
        if (a->tok[t].job != TOKEN_FREE && a->tok[t].type == type &&
            ink_dns_name_eq(a->tok[t].name, name))
            return (long)t;
    return -1;
}

/* deliver - hand job idx its answer (taken) */
static void deliver(struct ink_audit *a, size_t idx, struct ink_dns_answer *ans)
{
    struct audit_job *j = &a->jobs[idx];

    j->inflight--;
    a->inflight--;
    if (j->kind == JOB_QUERY) {
        j->done = 1;
        if (ans != NULL)
            audit_handle(a, idx, ans);
        ink_dns_answer_free(ans);
    } else {
        audit_machine_feed(a, idx, ans); /* takes ans */
    }
}

/* ink_audit_next - hand out the next query that is ready */
int ink_audit_next(struct ink_audit *a, struct ink_audit_query *q)
{
    size_t i = a->scan;

    if (a->finished)
        return 0;
    while (i < a->njobs) {
        struct audit_job *j = &a->jobs[i];
        const struct ink_dns_answer *cached;
        const char *name = NULL;
        uint16_t type = 0;
        long t;

        if (j->done) {
            i++;
            continue;
        }
        if (j->kind == JOB_QUERY) {
            if (j->sent) {
                i++;
                continue;
            }
            name = j->name;
            type = j->type;
            j->sent = 1;
        } else if (audit_machine_next(a, i, &name, &type) <= 0) {
            i++;
            continue;
        }
        /* asked before by another check: its answer serves this one too */
        cached = cache_find(a, name, type);
        if (cached != NULL) {
            struct ink_dns_answer *dup = ink_dns_answer_dup(cached);

            j->inflight++;
            a->inflight++;
            a->nshared++;
            deliver(a, i, dup);
            i = a->scan; /* the handler may have made new work anywhere */
            continue;
        }
        t = tok_find(a, name, type);
        if (t >= 0) {
            size_t *w = realloc(a->tok[t].waiters, (a->tok[t].nwait + 1) * sizeof(*w));

            if (w != NULL) {
                a->tok[t].waiters = w;
                w[a->tok[t].nwait++] = i;
                j->inflight++;
                a->inflight++;
                a->nshared++;
                i++;
                continue;
            }
        }
        t = token_new(a, i, name, type);
        if (t < 0) {
            /* out of memory: give up on this job, as a temporary failure */
            audit_job_fail(a, i);
            i++;
            continue;
        }
        j->inflight++;
        a->inflight++;
        a->nqueries++;
        q->name = name;
        q->type = type;
        q->token = (uint32_t)t;
        return 1;
    }
    /* the scan can restart from the first job not done */
    while (a->scan < a->njobs && a->jobs[a->scan].done)
        a->scan++;
    if (!all_jobs_done(a) && a->inflight == 0) {
        /* nothing in flight and nothing to ask: a machine is stuck (or
         * memory ran out); end its job rather than wait forever */
        for (i = 0; i < a->njobs; i++)
            if (!a->jobs[i].done)
                audit_job_fail(a, i);
    }
    if (all_jobs_done(a))
        finish(a);
    return 0;
}

/* ink_audit_feed - an answer came back */
int ink_audit_feed(struct ink_audit *a, uint32_t token, struct ink_dns_answer *ans)
{
    struct audit_tok tk;
    size_t k;

    if (token >= a->ntok || a->tok[token].job == TOKEN_FREE) {
        ink_dns_answer_free(ans);
        return -1;
    }
    tk = a->tok[token];
    if (ans == NULL) {
        /* the driver could not resolve: a temporary failure for what was asked */
        ans = ink_dns_answer_new(tk.name, tk.type, INK_DNS_SERVFAIL);
        if (ans != NULL)
            ink_dns_answer_set_why(ans, "the query could not be sent");
    }
    a->tok[token].job = TOKEN_FREE;
    a->tok[token].name = NULL;
    a->tok[token].waiters = NULL;
    a->tok[token].nwait = 0;
    if (token < a->tok_hint)
        a->tok_hint = token;
    if (ans != NULL)
        cache_add(a, tk.name, tk.type, ans);
    for (k = 0; k < tk.nwait; k++)
        deliver(a, tk.waiters[k], ans != NULL ? ink_dns_answer_dup(ans) : NULL);
    deliver(a, tk.job, ans);
    free(tk.waiters);
    free(tk.name);
    /* new jobs may now be ready; restart the scan at the earliest */
    a->scan = 0;
    return 0;
}

int ink_audit_done(const struct ink_audit *a)
{
    return a->finished;
}

const char *ink_audit_domain(const struct ink_audit *a)
{
    return a->shown_domain != NULL ? a->shown_domain : "";
}

size_t ink_audit_nfindings(const struct ink_audit *a)
{
    return a->nfind;
}

const struct ink_finding *ink_audit_finding(const struct ink_audit *a, size_t i)
{
    return i < a->nfind ? &a->find[i] : NULL;
}

const struct ink_finding *ink_audit_findings(const struct ink_audit *a, size_t *n)
{
    *n = a->nfind;
    return a->find;
}

size_t ink_audit_nrecords(const struct ink_audit *a)
{
    return a->nrec;
}

const struct ink_audit_record *ink_audit_record(const struct ink_audit *a, size_t i)
{
    return i < a->nrec ? &a->rec[i] : NULL;
}

size_t ink_audit_count(const struct ink_audit *a, enum ink_severity s)
{
    size_t i, n = 0;

    for (i = 0; i < a->nfind; i++)
        if (a->find[i].severity == s)
            n++;
    return n;
}

size_t ink_audit_queries(const struct ink_audit *a)
{
    return a->nqueries;
}

size_t ink_audit_nkeys_wanted(const struct ink_audit *a)
{
    return a->nkeys;
}

const struct ink_audit_key_wanted *ink_audit_key_wanted(const struct ink_audit *a, size_t i)
{
    return i < a->nkeys ? &a->keys[i] : NULL;
}

/* ink_audit_set_fix - the caller's fix for finding i (a generated key) */
int ink_audit_set_fix(struct ink_audit *a, size_t i, const char *fix)
{
    char *c = NULL;

    if (i >= a->nfind)
        return -1;
    if (fix != NULL && (c = ink_memdup_cstr(fix, strlen(fix))) == NULL)
        return -1;
    free(a->find[i].fix);
    a->find[i].fix = c;
    return 0;
}
