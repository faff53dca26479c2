/*
 * audit.c - the engine of the sending-domain audit behind `inkan check`.
 *
 * The audit is a machine of the one query protocol (inkan/query.h) made
 * of areas of checks, each in its own file and listed in the table below:
 * SPF, DKIM, DMARC, MX, PTR, HELO, CNAME and the informational records
 * (MTA-STS, TLS-RPT, BIMI).  The engine knows none of them.  It keeps a
 * list of jobs - questions with the handler their answer goes to, and
 * machines of other modules (DMARC discovery, SPF lint, SPF evaluation)
 * run inside the audit - hands out their queries with tokens of its own,
 * routes each answer back to its job, and once nothing is left runs
 * every area's conclusions.
 *
 * The same question asked by two checks goes out twice: answering it
 * once, and from a cache, is the driver's work (inkan/driver.h).  The
 * audit only counts distinct questions, for its report and its budget.
 */
#include "inkan/audit.h"

#include <assert.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "audit_int.h"
#include "inkan/zonefile.h"

/* The areas, in the order they start (which is the order of their
 * queries and findings) and draw their conclusions. */
static const struct audit_area *const areas[] = {
    &audit_area_spf, &audit_area_dkim,  &audit_area_dmarc, &audit_area_mx,
    &audit_area_ptr, &audit_area_helo,  &audit_area_cname, &audit_area_info,
};
#define NAREAS (sizeof(areas) / sizeof(areas[0]))

/* First size of the table of distinct questions (a power of two). */
#define AUDIT_SEEN_INITIAL 64

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

/* One piece of work: a question (m.ops NULL) or a machine. */
struct audit_job {
    int done;
    const char *area;          /* for check-incomplete */
    /* a question */
    int sent;
    char *name;                /* owned */
    uint16_t type;
    audit_handler h;
    size_t i, k;
    /* a machine */
    struct ink_machine m;
    void (*release)(void *);
    audit_done_fn fin;
    size_t out;                /* its queries outstanding */
};

/* A query queued to be handed out. */
struct audit_ready {
    char *name;                /* owned */
    uint16_t type;
    size_t tok;                /* its slot in a->tok */
};

/* A query queued or handed out: its token (counting from 1, never
 * reused within an audit, so a late or repeated answer is refused), its
 * job, and the machine's own token. */
struct audit_tok {
    int used;
    int handed;                /* handed out by next(): feed() accepts it */
    uint32_t token;
    size_t job;
    uint32_t sub;
};

/* The distinct questions asked (open addressing on "type name"). */
struct audit_seen {
    size_t size, count;
    char **key;                /* lower-case name, no trailing dot (owned) */
    uint16_t *type;
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

/* audit_is_temp - the answer says nothing either way */
int audit_is_temp(const struct ink_dns_answer *ans)
{
    return ans->status == INK_DNS_SERVFAIL || ans->status == INK_DNS_TIMEOUT;
}

/* audit_is_ip_literal - an address, bare or as a [bracketed] literal */
int audit_is_ip_literal(const char *s)
{
    int fam;
    uint8_t tmp[16];
    size_t n = strlen(s);

    if (n >= 2 && s[0] == '[' && s[n - 1] == ']')
        return 1;
    return ink_ip_parse(s, n, &fam, tmp) == 0;
}

/* audit_addr_text - an address as text into buf */
const char *audit_addr_text(int family, const uint8_t *addr, char *buf, size_t n)
{
    return ink_ip_format(family, addr, buf, n);
}

/* ---- distinct questions ---- */

/* seen_hash - FNV-1a of the key and the type */
static size_t seen_hash(const char *key, uint16_t type)
{
    uint32_t h = 2166136261u ^ type;

    for (; *key != '\0'; key++)
        h = (h ^ (uint8_t)*key) * 16777619u;
    return h;
}

/* seen_slot - where (key, type) is, or the empty slot it would go to */
static size_t seen_slot(const struct audit_seen *t, const char *key, uint16_t type)
{
    size_t at = seen_hash(key, type) & (t->size - 1);

    while (t->key[at] != NULL && (t->type[at] != type || strcmp(t->key[at], key) != 0))
        at = (at + 1) & (t->size - 1);
    return at;
}

/* seen_grow - double the table (or make it); 0 or -1 */
static int seen_grow(struct audit_seen *t)
{
    struct audit_seen n;
    size_t i;

    n.size = t->size ? t->size * 2 : AUDIT_SEEN_INITIAL;
    if (n.size > SIZE_MAX / sizeof(char *))
        return -1;
    n.count = t->count;
    n.key = calloc(n.size, sizeof(*n.key));
    n.type = calloc(n.size, sizeof(*n.type));
    if (n.key == NULL || n.type == NULL) {
        free(n.key);
        free(n.type);
        return -1;
    }
    for (i = 0; i < t->size; i++)
        if (t->key[i] != NULL) {
            size_t at = seen_slot(&n, t->key[i], t->type[i]);

            n.key[at] = t->key[i];
            n.type[at] = t->type[i];
        }
    free(t->key);
    free(t->type);
    *t = n;
    return 0;
}

/* seen_add - count (name, type) once however often it is asked (on
 * ENOMEM it is simply not counted) */
static void seen_add(struct ink_audit *a, const char *name, uint16_t type)
{
    struct audit_seen *t = a->seen;
    size_t n = strlen(name), i, at;
    char *key;

    if (t == NULL && (t = a->seen = calloc(1, sizeof(*t))) == NULL)
        return;
    if ((t->count + 1) * 2 > t->size && seen_grow(t) < 0)
        return;
    if (n > 0 && name[n - 1] == '.')
        n--;
    key = malloc(n + 1);
    if (key == NULL)
        return;
    for (i = 0; i < n; i++)
        key[i] = (char)tolower((unsigned char)name[i]);
    key[n] = '\0';
    at = seen_slot(t, key, type);
    if (t->key[at] != NULL) {
        free(key);
        return;
    }
    t->key[at] = key;
    t->type[at] = type;
    t->count++;
    a->ndistinct++;
}

/* seen_free - release the table */
static void seen_free(struct audit_seen *t)
{
    size_t i;

    if (t == NULL)
        return;
    for (i = 0; i < t->size; i++)
        free(t->key[i]);
    free(t->key);
    free(t->type);
    free(t);
}

/* ---- jobs and tokens ---- */

/* job_new - append an empty job; its index, or -1 on ENOMEM */
static long job_new(struct ink_audit *a)
{
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
    memset(&a->jobs[a->njobs], 0, sizeof(a->jobs[0]));
    return (long)a->njobs++;
}

/* audit_ask - a question with its handler */
int audit_ask(struct ink_audit *a, const char *name, uint16_t type, audit_handler h, size_t i,
              size_t k)
{
    long idx;
    struct audit_job *j;

    if (a->ndistinct + a->njobs >= INK_AUDIT_QUERIES_MAX) {
        a->over_budget = 1;
        return -1;
    }
    idx = job_new(a);
    if (idx < 0)
        return -1;
    j = &a->jobs[idx];
    j->area = "mx";
    j->name = audit_strdup(a, name);
    if (j->name == NULL) {
        j->done = 1;
        return -1;
    }
    j->type = type;
    j->h = h;
    j->i = i;
    j->k = k;
    return 0;
}

/* audit_run - a machine of another module, run inside the audit */
int audit_run(struct ink_audit *a, const char *area, struct ink_machine m,
              void (*release)(void *), audit_done_fn done, size_t i)
{
    long idx = job_new(a);
    struct audit_job *j;

    if (idx < 0) {
        release(m.self);
        return -1;
    }
    j = &a->jobs[idx];
    j->area = area;
    j->m = m;
    j->release = release;
    j->fin = done;
    j->i = i;
    return 0;
}

/* tok_new - a token slot for a query of job (sub: the machine's token),
 * or -1 */
static long tok_new(struct ink_audit *a, size_t job, uint32_t sub)
{
    size_t t;

    if (a->last_token == UINT32_MAX) {
        a->nomem = 1; /* never with INK_AUDIT_QUERIES_MAX; refuse rather than reuse */
        return -1;
    }
    for (t = a->tok_free; t < a->ntok && a->tok[t].used; t++)
        ;
    if (t == a->ntok) {
        if (a->ntok == a->captok) {
            size_t ncap = a->captok ? a->captok * 2 : 16;
            struct audit_tok *n;

            if (ncap > SIZE_MAX / sizeof(*n) || (n = realloc(a->tok, ncap * sizeof(*n))) == NULL) {
                a->nomem = 1;
                return -1;
            }
            a->tok = n;
            a->captok = ncap;
        }
        a->ntok++;
    }
    a->tok[t].used = 1;
    a->tok[t].handed = 0;
    a->tok[t].token = ++a->last_token;
    a->tok[t].job = job;
    a->tok[t].sub = sub;
    a->tok_free = t + 1;
    return (long)t;
}

/* job_release - free what job j owns; its machine is gone after this */
static void job_release(struct audit_job *j)
{
    free(j->name);
    j->name = NULL;
    if (j->m.ops != NULL && j->release != NULL)
        j->release(j->m.self);
    j->m.ops = NULL;
    j->m.self = NULL;
}

/* job_fail - end job idx that cannot go on (ENOMEM, a machine that failed
 * or is stuck): its check is reported incomplete */
static void job_fail(struct ink_audit *a, size_t idx)
{
    struct audit_job *j = &a->jobs[idx];
    const char *area = j->area;
    char *name = j->name;

    if (j->done)
        return;
    j->done = 1;
    j->name = NULL;
    job_release(j);
    audit_finding(a, INK_SEV_WARNING, area, "check-incomplete", name, NULL,
                  "a check could not finish (out of memory or an internal error)%s%s",
                  name ? ": " : "", name ? name : "");
    free(name);
}

/* machine_end - job idx's machine ended with how */
static void machine_end(struct ink_audit *a, size_t idx, enum ink_next how)
{
    struct audit_job *j = &a->jobs[idx];
    audit_done_fn fin = j->fin;
    void *self = j->m.self;
    void (*release)(void *) = j->release;
    size_t i = j->i;

    if (how != INK_NEXT_DONE) {
        job_fail(a, idx);
        return;
    }
    j->done = 1;
    j->m.ops = NULL;
    fin(a, i, self); /* may add jobs: j is not used after this */
    release(self);
}

/* finish - every area's conclusions once all the work is done */
static void finish(struct ink_audit *a)
{
    size_t i;

    for (i = 0; i < NAREAS; i++)
        if (areas[i]->finish != NULL)
            areas[i]->finish(a);
    if (a->over_budget)
        audit_finding(a, INK_SEV_WARNING, "dmarc", "query-budget", a->domain, NULL,
                      "the audit stopped asking after %d DNS queries; some checks are "
                      "incomplete",
                      INK_AUDIT_QUERIES_MAX);
    a->finished = 1;
}

/* ready_push - queue a query to hand out (name copied); 0 or -1 */
static int ready_push(struct ink_audit *a, const char *name, uint16_t type, size_t tok)
{
    struct audit_ready *r;

    if (a->ready_head > 0 && a->ready_head == a->nready) {
        a->ready_head = 0; /* drained: reuse the array from its start */
        a->nready = 0;
    }
    if (a->nready == a->capready) {
        size_t ncap = a->capready ? a->capready * 2 : 16;
        struct audit_ready *n;

        if (ncap > SIZE_MAX / sizeof(*n) || (n = realloc(a->ready, ncap * sizeof(*n))) == NULL) {
            a->nomem = 1;
            return -1;
        }
        a->ready = n;
        a->capready = ncap;
    }
    r = &a->ready[a->nready];
    r->name = ink_memdup_cstr(name, strlen(name));
    if (r->name == NULL) {
        a->nomem = 1;
        return -1;
    }
    r->type = type;
    r->tok = tok;
    a->nready++;
    return 0;
}

/* tok_drop - give back a token that was never handed out */
static void tok_drop(struct ink_audit *a, long t)
{
    a->tok[t].used = 0;
    if ((size_t)t < a->tok_free)
        a->tok_free = (size_t)t;
}

/*
 * pull - move every job forward as far as it goes without an answer:
 * questions not yet asked and the queries machines have ready are queued
 * (in job order) to be handed out, machines that ended get their
 * conclusions, and once nothing is left at all the areas conclude.  Run
 * after every answer, so that what an answer leads to is asked, and
 * concluded, in the order the answers came.
 */
static void pull(struct ink_audit *a)
{
    size_t i;

    if (a->finished)
        return;
    for (;;) {
        for (i = a->scan; i < a->njobs; i++) {
            struct audit_job *j = &a->jobs[i];
            struct ink_query sq;
            enum ink_next st;
            long t;

            if (j->done)
                continue;
            if (j->m.ops == NULL) {
                if (j->sent)
                    continue;
                t = tok_new(a, i, 0);
                if (t >= 0 && ready_push(a, j->name, j->type, (size_t)t) < 0) {
                    tok_drop(a, t);
                    t = -1;
                }
                if (t < 0) {
                    job_fail(a, i);
                    continue;
                }
                j->sent = 1;
                a->outstanding++;
                seen_add(a, j->name, j->type);
                continue;
            }
            st = ink_machine_next(j->m, &sq);
            if (st == INK_NEXT_READY) {
                t = tok_new(a, i, sq.token);
                if (t >= 0 && ready_push(a, sq.name, sq.type, (size_t)t) < 0) {
                    tok_drop(a, t);
                    t = -1;
                }
                if (t < 0) {
                    /* no room to ask it: a temporary failure of that query */
                    (void)ink_machine_feed(j->m, sq.token, NULL);
                } else {
                    j->out++;
                    a->outstanding++;
                    seen_add(a, sq.name, sq.type);
                }
                i--; /* the same machine may have more to ask */
                continue;
            }
            if (st == INK_NEXT_WAIT) {
                if (j->out == 0)
                    job_fail(a, i); /* waits for nothing: it would never end */
                continue;
            }
            machine_end(a, i, st);
        }
        while (a->scan < a->njobs && a->jobs[a->scan].done)
            a->scan++;
        if (a->outstanding > 0)
            return;
        if (a->scan == a->njobs)
            break;
        /* a machine ended above and its conclusion added work: go on */
    }
    finish(a);
}

/* ink_audit_next - hand out the next query queued */
enum ink_next ink_audit_next(struct ink_audit *a, struct ink_query *q)
{
    struct audit_ready *r;

    free(a->shown_name); /* the name handed out last time */
    a->shown_name = NULL;
    if (a->ready_head == a->nready)
        pull(a);
    if (a->ready_head < a->nready) {
        r = &a->ready[a->ready_head++];
        a->shown_name = r->name;
        r->name = NULL;
        q->name = a->shown_name;
        q->type = r->type;
        q->token = a->tok[r->tok].token;
        a->tok[r->tok].handed = 1;
        return INK_NEXT_READY;
    }
    if (a->outstanding > 0)
        return INK_NEXT_WAIT;
    return INK_NEXT_DONE;
}

/* ink_audit_feed - route the answer for token to its job */
int ink_audit_feed(struct ink_audit *a, uint32_t token, const struct ink_dns_answer *answer)
{
    struct audit_tok tk;
    struct audit_job *j;
    size_t t;

    for (t = 0; t < a->ntok; t++)
        if (a->tok[t].used && a->tok[t].handed && a->tok[t].token == token)
            break;
    if (t == a->ntok)
        return -1; /* not outstanding: never handed out, or answered already */
    tk = a->tok[t];
    a->tok[t].used = 0;
    if (t < a->tok_free)
        a->tok_free = t;
    a->outstanding--;
    j = &a->jobs[tk.job];
    if (j->done) {
        pull(a); /* its check was given up on */
        return 0;
    }
    if (j->m.ops != NULL) {
        j->out--;
        (void)ink_machine_feed(j->m, tk.sub, answer);
        pull(a);
        return 0;
    }
    j->done = 1;
    {
        audit_handler h = j->h;
        size_t i = j->i, k = j->k;
        struct ink_dns_answer *made = NULL;

        if (!ink_query_answer_fits(answer, j->name, j->type)) {
            /* no answer, or one to another question: a temporary failure */
            made = ink_dns_answer_new(j->name, j->type,
                                      answer == NULL ? INK_DNS_TIMEOUT : INK_DNS_SERVFAIL);
            if (made == NULL) {
                a->nomem = 1;
                j->done = 0;
                job_fail(a, tk.job);
                pull(a);
                return 0;
            }
            ink_dns_answer_set_why(made, answer == NULL ? "no answer came"
                                                        : "the answer was to another question");
            answer = made;
        }
        h(a, i, k, answer); /* may add jobs: j is not used after this */
        ink_dns_answer_free(made);
    }
    pull(a);
    return 0;
}

/* the audit as a machine for the driver */
static enum ink_next machine_next(void *self, struct ink_query *q)
{
    return ink_audit_next(self, q);
}

static int machine_feed(void *self, uint32_t token, const struct ink_dns_answer *answer)
{
    return ink_audit_feed(self, token, answer);
}

static const struct ink_machine_ops audit_ops = {"audit", machine_next, machine_feed};

/* ink_audit_machine - a as a machine of kind "audit" */
struct ink_machine ink_audit_machine(struct ink_audit *a)
{
    struct ink_machine m;

    m.ops = &audit_ops;
    m.self = a;
    return m;
}

/* ---- construction ---- */

/* copy_strv - copies of n strings into a fresh array (*dst); 0 or -1 */
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

/* ink_audit_new - copy the inputs, start every area */
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
    if (copy_strv(a, &a->helos, opts->helos, n) < 0)
        goto nomem;
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
    for (i = 0; i < NAREAS; i++)
        if (areas[i]->start(a) < 0 && a->nomem)
            goto nomem;
    return a;
nomem:
    ink_audit_free(a);
    return NULL;
}

/* ink_audit_free - release everything */
void ink_audit_free(struct ink_audit *a)
{
    size_t i;

    if (a == NULL)
        return;
    for (i = 0; i < NAREAS; i++)
        if (areas[i]->release != NULL)
            areas[i]->release(a);
    for (i = 0; i < a->njobs; i++)
        job_release(&a->jobs[i]);
    free(a->jobs);
    free(a->tok);
    for (i = a->ready_head; i < a->nready; i++)
        free(a->ready[i].name);
    free(a->ready);
    free(a->shown_name);
    seen_free(a->seen);
    for (i = 0; i < a->nfind; i++)
        ink_finding_clear(&a->find[i]);
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
    ink_strv_free(a->selectors, a->nselectors);
    ink_strv_free(a->includes, a->nincludes);
    ink_strv_free(a->helos, a->nhelos);
    free(a->ips);
    for (i = 0; i < a->ncnames; i++) {
        free(a->cnames[i].name);
        free(a->cnames[i].target);
    }
    free(a->cnames);
    free(a->rua);
    free(a->shown_domain);
    free(a);
}

/* ---- results ---- */

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
    return a->ndistinct;
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
