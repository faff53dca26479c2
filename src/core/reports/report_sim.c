/*
 * report_sim.c - `inkan report simulate`: replay stored aggregate report
 * rows under a proposed SPF and/or DMARC record (inkan/report_sim.h).
 *
 * One SPF evaluation per distinct (source IP, SPF domain) pair of the
 * policy domain's tree, all in flight at once through this machine: the
 * question for the policy domain's TXT record is answered here with the
 * proposed record (so the proposal is what check_host() reads), every
 * other question goes out to the driver.  Once every evaluation is done,
 * each row's DMARC outcome is decided again by ink_dmarc_eval, and rows
 * whose outcome changes are grouped by source, SPF domain and outcomes.
 */
#include "inkan/report_sim.h"

#include <libpsl.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/dmarc.h"
#include "inkan/dns.h"
#include "inkan/spf.h"

/* Bytes of one TXT character-string (RFC 1035 3.3.14). */
#define SIM_TXT_STRING_MAX 255
/* TTL of the synthetic answer carrying the proposed record. */
#define SIM_PROPOSED_TTL 300

/* One (source IP, SPF domain) evaluation. */
struct pair {
    const char *ip, *domain;   /* borrowed from a row */
    struct ink_spf *ev;
    uint32_t inner;            /* the evaluation's token of its query out */
    int out;                   /* a query is out */
    int done;
    enum ink_spf_result res;
};

struct ink_sim {
    char *domain;
    char *spf;                           /* proposed SPF text, or NULL */
    struct ink_dmarc_record *dmarc;      /* proposed DMARC record, or NULL */
    int64_t now;
    const psl_ctx_t *psl;
    const struct ink_report_row *rows;
    size_t nrows;
    long *row_pair;                      /* per row: its pair, or -1 */
    struct pair *pairs;
    size_t npairs;
    size_t *stack;                       /* pairs to step */
    size_t nstack;
    size_t outstanding;
    int computed, failed;
    struct ink_sim_change *changes;
    size_t nchanges;
    struct ink_sim_totals tot;
};

/* ink_report_rows_free - free the rows and their strings */
void ink_report_rows_free(struct ink_report_row *rows, size_t n)
{
    size_t i, j;

    if (rows == NULL)
        return;
    for (i = 0; i < n; i++) {
        struct ink_report_row *r = &rows[i];
        free(r->org_name);
        free(r->p);
        free(r->sp);
        free(r->np);
        free(r->testing);
        free(r->source_ip);
        free(r->disposition);
        free(r->dkim);
        free(r->spf);
        free(r->header_from);
        free(r->envelope_from);
        for (j = 0; j < r->nauth; j++) {
            free(r->auth[j].domain);
            free(r->auth[j].selector);
            free(r->auth[j].scope);
            free(r->auth[j].result);
        }
        free(r->auth);
    }
    free(rows);
}

/* spf_auth - the SPF auth result DMARC uses: the first of scope mfrom (or
 * no scope), or NULL */
static const struct ink_report_row_auth *spf_auth(const struct ink_report_row *r)
{
    size_t i;

    for (i = 0; i < r->nauth; i++)
        if (r->auth[i].kind == 's' && r->auth[i].domain != NULL &&
            (r->auth[i].scope == NULL || strcmp(r->auth[i].scope, "mfrom") == 0))
            return &r->auth[i];
    return NULL;
}

/* ink_report_row_spf_domain - the domain SPF was checked for */
const char *ink_report_row_spf_domain(const struct ink_report_row *r)
{
    const struct ink_report_row_auth *a = spf_auth(r);

    if (a != NULL)
        return a->domain;
    if (r->envelope_from != NULL && r->envelope_from[0] != '\0')
        return r->envelope_from;
    return NULL;
}

/* pair_cmp - pairs by IP, then domain */
static int pair_cmp(const void *a, const void *b)
{
    const struct pair *x = a, *y = b;
    int c = strcmp(x->ip, y->ip);

    return c != 0 ? c : strcmp(x->domain, y->domain);
}

/* find_pair - the pair (ip, domain) in the sorted pairs, or -1 */
static long find_pair(const struct ink_sim *s, const char *ip, const char *domain)
{
    struct pair key;
    struct pair *hit;

    memset(&key, 0, sizeof(key));
    key.ip = ip;
    key.domain = domain;
    hit = bsearch(&key, s->pairs, s->npairs, sizeof(*s->pairs), pair_cmp);
    return hit != NULL ? (long)(hit - s->pairs) : -1;
}

/* sim_fail - set why in err and free s; returns NULL */
static struct ink_sim *sim_fail(struct ink_sim *s, struct ink_str *err, const char *why)
{
    if (err != NULL)
        ink_str_puts(err, why);
    ink_sim_free(s);
    return NULL;
}

/* make_pairs - one evaluation per distinct (IP, SPF domain) in domain's
 * tree; 0 or -1 (no memory) */
static int make_pairs(struct ink_sim *s)
{
    size_t i, k;

    s->row_pair = malloc((s->nrows ? s->nrows : 1) * sizeof(*s->row_pair));
    s->pairs = calloc(s->nrows ? s->nrows : 1, sizeof(*s->pairs));
    if (s->row_pair == NULL || s->pairs == NULL)
        return -1;
    for (i = 0; i < s->nrows; i++) {
        const char *d = ink_report_row_spf_domain(&s->rows[i]);
        s->row_pair[i] = -1;
        if (s->spf == NULL || d == NULL || s->rows[i].source_ip == NULL ||
            !ink_dns_name_is_subdomain(d, s->domain))
            continue;
        s->pairs[s->npairs].ip = s->rows[i].source_ip;
        s->pairs[s->npairs].domain = d;
        s->npairs++;
    }
    if (s->npairs > 0)
        qsort(s->pairs, s->npairs, sizeof(*s->pairs), pair_cmp);
    for (i = 1, k = s->npairs ? 1 : 0; i < s->npairs; i++)
        if (pair_cmp(&s->pairs[i], &s->pairs[k - 1]) != 0)
            s->pairs[k++] = s->pairs[i];
    s->npairs = k;
    s->stack = malloc((s->npairs ? s->npairs : 1) * sizeof(*s->stack));
    if (s->stack == NULL)
        return -1;
    for (i = 0; i < s->npairs; i++) {
        struct pair *p = &s->pairs[i];
        struct ink_spf_params sp;
        char sender[INK_SPF_SENDER_MAX + 1];

        memset(&sp, 0, sizeof(sp));
        /* an address the store kept but that does not parse is evaluated
         * nowhere: its rows keep their reported result */
        if (ink_ip_parse(p->ip, strlen(p->ip), &sp.family, sp.ip) < 0) {
            p->done = 1;
            p->res = INK_SPF_NONE;
            continue;
        }
        /* reports give the envelope domain, not the local part:
         * postmaster stands in (RFC 7208 2.4), the domain is the HELO */
        (void)snprintf(sender, sizeof(sender), "postmaster@%s", p->domain);
        sp.mail_from = sender;
        sp.helo = p->domain;
        sp.now = s->now;
        p->ev = ink_spf_new(&sp);
        if (p->ev == NULL)
            return -1;
        s->stack[s->nstack++] = i;
    }
    for (i = 0; i < s->nrows; i++) {
        const char *d = ink_report_row_spf_domain(&s->rows[i]);
        if (s->spf != NULL && d != NULL && s->rows[i].source_ip != NULL &&
            ink_dns_name_is_subdomain(d, s->domain))
            s->row_pair[i] = find_pair(s, s->rows[i].source_ip, d);
    }
    return 0;
}

/* ink_sim_new - check the proposal and set up the evaluations */
struct ink_sim *ink_sim_new(const struct ink_sim_opts *o, const struct ink_report_row *rows,
                            size_t n, struct ink_str *err)
{
    struct ink_sim *s;
    char name[INK_DNS_NAME_MAX + 1];

    if (o == NULL || o->domain == NULL ||
        ink_dns_name_normalize(o->domain, strlen(o->domain), name, sizeof(name)) <= 0)
        return sim_fail(NULL, err, "the policy domain is not a domain name");
    if (n > INK_SIM_ROWS_MAX)
        return sim_fail(NULL, err, "too many report rows to replay at once: narrow the period");
    s = calloc(1, sizeof(*s));
    if (s == NULL)
        return sim_fail(NULL, err, "out of memory");
    s->rows = rows;
    s->nrows = n;
    s->now = o->now;
    s->psl = o->psl != NULL ? (const psl_ctx_t *)o->psl : psl_builtin();
    if ((s->domain = strdup(name)) == NULL)
        return sim_fail(s, err, "out of memory");
    if (o->spf != NULL) {
        size_t len = strlen(o->spf);
        if (len > INK_SIM_RECORD_MAX)
            return sim_fail(s, err, "the proposed SPF record is longer than 4096 bytes");
        if (!ink_spf_record_is_spf((const uint8_t *)o->spf, len))
            return sim_fail(s, err, "the proposed SPF record does not start with v=spf1");
        if ((s->spf = strdup(o->spf)) == NULL)
            return sim_fail(s, err, "out of memory");
    }
    if (o->dmarc != NULL) {
        size_t len = strlen(o->dmarc);
        if (len > INK_SIM_RECORD_MAX)
            return sim_fail(s, err, "the proposed DMARC record is longer than 4096 bytes");
        s->dmarc = ink_dmarc_record_parse((const uint8_t *)o->dmarc, len);
        if (s->dmarc == NULL)
            return sim_fail(s, err, "out of memory");
        if (!s->dmarc->is_dmarc)
            return sim_fail(s, err, "the proposed DMARC record does not start with v=DMARC1");
    }
    if (make_pairs(s) < 0)
        return sim_fail(s, err, "out of memory");
    return s;
}

/* ink_sim_free - release everything */
void ink_sim_free(struct ink_sim *s)
{
    size_t i;

    if (s == NULL)
        return;
    for (i = 0; s->pairs != NULL && i < s->npairs; i++)
        ink_spf_free(s->pairs[i].ev);
    free(s->pairs);
    free(s->row_pair);
    free(s->stack);
    free(s->changes);
    ink_dmarc_record_free(s->dmarc);
    free(s->spf);
    free(s->domain);
    free(s);
}

/* proposed_answer - the proposed record as the TXT answer for q (caller
 * frees), split into strings of at most 255 bytes; NULL on ENOMEM */
static struct ink_dns_answer *proposed_answer(const struct ink_sim *s, const char *qname)
{
    struct ink_dns_answer *a = ink_dns_answer_new(qname, INK_DNS_TXT, INK_DNS_OK);
    const uint8_t *str[INK_SIM_RECORD_MAX / SIM_TXT_STRING_MAX + 1];
    size_t lens[INK_SIM_RECORD_MAX / SIM_TXT_STRING_MAX + 1];
    size_t len = strlen(s->spf), off = 0, k = 0;

    if (a == NULL)
        return NULL;
    while (off < len) {
        size_t piece = len - off > SIM_TXT_STRING_MAX ? SIM_TXT_STRING_MAX : len - off;
        str[k] = (const uint8_t *)s->spf + off;
        lens[k++] = piece;
        off += piece;
    }
    if (ink_dns_answer_add_txt(a, qname, INK_DNS_TXT, SIM_PROPOSED_TTL, k, str, lens) < 0) {
        ink_dns_answer_free(a);
        return NULL;
    }
    return a;
}

static void compute(struct ink_sim *s);

/* ink_sim_next - step the evaluations that can go on */
enum ink_next ink_sim_next(struct ink_sim *s, struct ink_query *q)
{
    while (!s->failed && s->nstack > 0) {
        size_t i = s->stack[s->nstack - 1];
        struct pair *p = &s->pairs[i];
        enum ink_next st = ink_spf_next(p->ev, q);

        if (st == INK_NEXT_READY) {
            if (q->type == INK_DNS_TXT && ink_dns_name_eq(q->name, s->domain)) {
                /* the proposal: answered here, never asked */
                struct ink_dns_answer *a = proposed_answer(s, q->name);
                if (a == NULL) {
                    s->failed = 1;
                    break;
                }
                (void)ink_spf_feed(p->ev, q->token, a);
                ink_dns_answer_free(a);
                continue;
            }
            s->nstack--;
            p->inner = q->token;
            p->out = 1;
            s->outstanding++;
            q->token = (uint32_t)i + 1;
            return INK_NEXT_READY;
        }
        s->nstack--;
        if (st == INK_NEXT_WAIT)
            continue; /* cannot happen without a query out: kept for safety */
        p->done = 1;
        p->res = ink_spf_result(p->ev);
    }
    if (s->failed)
        return INK_NEXT_FAILED;
    if (s->outstanding > 0)
        return INK_NEXT_WAIT;
    if (!s->computed)
        compute(s);
    return s->failed ? INK_NEXT_FAILED : INK_NEXT_DONE;
}

/* ink_sim_feed - hand the answer to the evaluation that asked */
int ink_sim_feed(struct ink_sim *s, uint32_t token, const struct ink_dns_answer *answer)
{
    struct pair *p;

    if (token == 0 || token > s->npairs)
        return -1;
    p = &s->pairs[token - 1];
    if (!p->out)
        return -1;
    p->out = 0;
    s->outstanding--;
    (void)ink_spf_feed(p->ev, p->inner, answer);
    s->stack[s->nstack++] = token - 1;
    return 0;
}

static enum ink_next m_next(void *self, struct ink_query *q)
{
    return ink_sim_next(self, q);
}

static int m_feed(void *self, uint32_t token, const struct ink_dns_answer *answer)
{
    return ink_sim_feed(self, token, answer);
}

static const struct ink_machine_ops sim_ops = {"report-simulate", m_next, m_feed};

/* ink_sim_machine - s as a driver's machine */
struct ink_machine ink_sim_machine(struct ink_sim *s)
{
    struct ink_machine m;

    m.ops = &sim_ops;
    m.self = s;
    return m;
}

/* ---- deciding each row again ---- */

/* org - the Organizational Domain of name (PSL), name itself when the
 * list gives none */
static const char *org(const struct ink_sim *s, const char *name)
{
    const char *r = name != NULL && s->psl != NULL ? psl_registrable_domain(s->psl, name) : NULL;

    return r != NULL ? r : name;
}

/* disp_index - 0 none, 1 quarantine, 2 reject, -1 another word */
static int disp_index(const char *d)
{
    if (d == NULL || strcmp(d, "none") == 0)
        return 0;
    if (strcmp(d, "quarantine") == 0)
        return 1;
    if (strcmp(d, "reject") == 0)
        return 2;
    return -1;
}

/* ink_sim_disposition_name - the word for 0..2 */
const char *ink_sim_disposition_name(size_t i)
{
    static const char *const names[INK_SIM_DISPOSITIONS] = {"none", "quarantine", "reject"};

    return i < INK_SIM_DISPOSITIONS ? names[i] : "none";
}

/* published_record - the DMARC record row r's report saw (its tags);
 * caller frees; NULL on ENOMEM */
static struct ink_dmarc_record *published_record(const struct ink_report_row *r)
{
    struct ink_str t = INK_STR_INIT;
    struct ink_dmarc_record *rec;

    ink_str_printf(&t, "v=DMARC1; p=%s", r->p != NULL ? r->p : "none");
    if (r->sp != NULL)
        ink_str_printf(&t, "; sp=%s", r->sp);
    if (r->np != NULL)
        ink_str_printf(&t, "; np=%s", r->np);
    ink_str_printf(&t, "; adkim=%c; aspf=%c", r->adkim == 's' ? 's' : 'r',
                   r->aspf == 's' ? 's' : 'r');
    if (r->testing != NULL && strcmp(r->testing, "y") == 0)
        ink_str_puts(&t, "; t=y");
    rec = ink_dmarc_record_parse((const uint8_t *)ink_str_cstr(&t), strlen(ink_str_cstr(&t)));
    ink_str_free(&t);
    return rec;
}

/* lower_disp - RFC 7489 6.6.4: messages outside pct get the next
 * policy down */
static int lower_disp(int d)
{
    return d > 0 ? d - 1 : 0;
}

/* auth_of - 1 pass, -1 temperror, 0 anything else */
static int auth_of(const char *result)
{
    if (result == NULL)
        return 0;
    if (strcmp(result, "pass") == 0)
        return 1;
    return strcmp(result, "temperror") == 0 ? -1 : 0;
}

/* add_part - note one group of messages of a row (the caller sized
 * parts for two per row) */
static int add_part(struct ink_sim_change *parts, size_t *np, const struct ink_sim_change *c)
{
    parts[(*np)++] = *c;
    return 0;
}

/* str_cmp0 - strcmp with NULL first */
static int str_cmp0(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

/* change_key_cmp - group order: ip, SPF domain, outcomes */
static int change_key_cmp(const void *a, const void *b)
{
    const struct ink_sim_change *x = a, *y = b;
    int c;

    if ((c = strcmp(x->ip, y->ip)) != 0 || (c = str_cmp0(x->spf_domain, y->spf_domain)) != 0 ||
        (c = strcmp(x->spf_old, y->spf_old)) != 0 || (c = strcmp(x->spf_new, y->spf_new)) != 0 ||
        (c = strcmp(x->dmarc_old, y->dmarc_old)) != 0 ||
        (c = strcmp(x->dmarc_new, y->dmarc_new)) != 0 ||
        (c = strcmp(x->disp_old, y->disp_old)) != 0)
        return c;
    return strcmp(x->disp_new, y->disp_new);
}

/* change_size_cmp - most messages first, then by key */
static int change_size_cmp(const void *a, const void *b)
{
    const struct ink_sim_change *x = a, *y = b;

    if (x->messages != y->messages)
        return x->messages > y->messages ? -1 : 1;
    return change_key_cmp(a, b);
}

/* ip_str_cmp - for counting distinct sources */
static int ip_str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* distinct - distinct IPs among the changes of direction dir */
static size_t distinct(const struct ink_sim *s, const char *dir, const char **scratch)
{
    size_t i, k = 0, d = 0;

    for (i = 0; i < s->nchanges; i++)
        if (strcmp(s->changes[i].direction, dir) == 0)
            scratch[k++] = s->changes[i].ip;
    if (k == 0)
        return 0;
    qsort(scratch, k, sizeof(*scratch), ip_str_cmp);
    for (i = 0; i < k; i++)
        if (i == 0 || strcmp(scratch[i], scratch[i - 1]) != 0)
            d++;
    return d;
}

/* decide - one row's outcome parts under the proposal (1 or 2 parts) */
static int decide(struct ink_sim *s, size_t ri, struct ink_dmarc_record **cache,
                  const struct ink_report_row **cache_of, struct ink_sim_change *parts,
                  size_t *np)
{
    const struct ink_report_row *r = &s->rows[ri];
    const char *author = r->header_from != NULL && r->header_from[0] ? r->header_from : s->domain;
    const struct ink_report_row_auth *sa = spf_auth(r);
    const char *spf_domain = ink_report_row_spf_domain(r);
    struct ink_dmarc_ident dk[INK_SIM_AUTH_MAX];
    struct ink_dmarc_eval_in in;
    struct ink_dmarc_eval out;
    struct ink_dmarc_result disc;
    struct ink_sim_change c;
    const struct ink_dmarc_record *rec;
    long pi = s->row_pair[ri];
    int old_pass = (r->dkim != NULL && strcmp(r->dkim, "pass") == 0) ||
                   (r->spf != NULL && strcmp(r->spf, "pass") == 0);
    int pct, d, dold;
    size_t i;

    memset(&c, 0, sizeof(c));
    c.ip = r->source_ip != NULL ? r->source_ip : "";
    c.spf_domain = spf_domain;
    c.messages = r->count;
    c.spf_old = sa != NULL && sa->result != NULL ? sa->result
                : r->spf != NULL                 ? r->spf
                                                 : "none";
    c.spf_new = c.spf_old;
    c.dmarc_old = old_pass ? "pass" : "fail";
    dold = disp_index(r->disposition);
    c.disp_old = dold >= 0 ? ink_sim_disposition_name((size_t)dold) : r->disposition;

    if (s->dmarc != NULL) {
        rec = s->dmarc;
    } else {
        /* consecutive rows of one report share its policy */
        if (*cache_of == NULL || (*cache_of)->begin != r->begin ||
            str_cmp0((*cache_of)->org_name, r->org_name) != 0 ||
            str_cmp0((*cache_of)->p, r->p) != 0 || str_cmp0((*cache_of)->sp, r->sp) != 0 ||
            str_cmp0((*cache_of)->np, r->np) != 0 ||
            str_cmp0((*cache_of)->testing, r->testing) != 0 || (*cache_of)->adkim != r->adkim ||
            (*cache_of)->aspf != r->aspf) {
            ink_dmarc_record_free(*cache);
            *cache = published_record(r);
            *cache_of = r;
            if (*cache == NULL)
                return -1;
        }
        rec = *cache;
    }

    memset(&in, 0, sizeof(in));
    in.author_domain = author;
    /* the SPF identifier: re-evaluated, else as reported */
    if (pi >= 0 && s->pairs[pi].done && s->pairs[pi].ev != NULL) {
        enum ink_spf_result res = s->pairs[pi].res;
        c.spf_new = ink_spf_result_name(res);
        in.spf.domain = spf_domain;
        in.spf.org = org(s, spf_domain);
        in.spf.auth = res == INK_SPF_PASS ? 1 : res == INK_SPF_TEMPERROR ? -1 : 0;
        s->tot.spf_evaluated += r->count;
        if (res == INK_SPF_TEMPERROR)
            s->tot.spf_temperror += r->count;
    } else {
        s->tot.spf_kept += r->count;
        if (s->dmarc != NULL && sa != NULL) {
            in.spf.domain = sa->domain;
            in.spf.org = org(s, sa->domain);
            in.spf.auth = auth_of(sa->result);
        } else if (r->spf != NULL && strcmp(r->spf, "pass") == 0) {
            in.spf.domain = author; /* reported aligned: kept so */
            in.spf.org = org(s, author);
            in.spf.auth = 1;
        }
    }
    /* the DKIM identifiers: under a new DMARC record from auth_results,
     * else the reported alignment */
    for (i = 0; s->dmarc != NULL && i < r->nauth && in.ndkim < INK_SIM_AUTH_MAX; i++) {
        if (r->auth[i].kind != 'd' || r->auth[i].domain == NULL)
            continue;
        dk[in.ndkim].domain = r->auth[i].domain;
        dk[in.ndkim].org = org(s, r->auth[i].domain);
        dk[in.ndkim].org_temperror = 0;
        dk[in.ndkim].auth = auth_of(r->auth[i].result);
        in.ndkim++;
    }
    if (in.ndkim == 0 && r->dkim != NULL && strcmp(r->dkim, "pass") == 0) {
        dk[0].domain = author;
        dk[0].org = org(s, author);
        dk[0].org_temperror = 0;
        dk[0].auth = 1;
        in.ndkim = 1;
    }
    in.dkim = dk;

    memset(&disc, 0, sizeof(disc));
    disc.status = INK_DMARC_DISC_FOUND;
    disc.domain = author;
    disc.policy_domain = s->domain;
    disc.org_domain = org(s, s->domain);
    disc.record = rec;
    disc.inherited = !ink_dns_name_eq(author, s->domain);
    disc.policy = ink_dmarc_record_usable(rec);
    if (disc.inherited && rec->sp != INK_DMARC_P_UNSET)
        disc.policy = rec->sp;
    disc.np_policy = disc.policy; /* np: existence unknown from reports */
    in.disc = &disc;
    ink_dmarc_eval(&in, &out);
    c.dmarc_new = ink_dmarc_outcome_name(out.result);

    s->tot.messages += r->count;
    s->tot.rows++;
    if (old_pass)
        s->tot.dmarc_pass_old += r->count;
    if (out.result == INK_DMARC_RES_PASS)
        s->tot.dmarc_pass_new += r->count;

    if (s->dmarc == NULL && strcmp(c.dmarc_new, c.dmarc_old) == 0) {
        /* nothing DMARC sees changed: the receiver's disposition stands
         * (local policy, its own pct sampling) */
        c.disp_new = c.disp_old;
        return add_part(parts, np, &c);
    }
    d = out.result == INK_DMARC_RES_FAIL ? disp_index(ink_dmarc_policy_name(out.disposition)) : 0;
    if (d < 0)
        d = 0;
    pct = s->dmarc != NULL ? s->dmarc->pct : r->pct;
    if (d > 0 && pct >= 0 && pct < 100) {
        uint64_t applied = (r->count * (uint64_t)pct + 50) / 100;
        struct ink_sim_change rest = c;
        rest.messages = r->count - applied;
        rest.disp_new = ink_sim_disposition_name((size_t)lower_disp(d));
        c.messages = applied;
        c.disp_new = ink_sim_disposition_name((size_t)d);
        if (c.messages > 0)
            add_part(parts, np, &c);
        if (rest.messages > 0)
            add_part(parts, np, &rest);
        return 0;
    }
    c.disp_new = ink_sim_disposition_name((size_t)d);
    return add_part(parts, np, &c);
}

/* compute - every row decided again, the changes grouped */
static void compute(struct ink_sim *s)
{
    struct ink_dmarc_record *cache = NULL;
    const struct ink_report_row *cache_of = NULL;
    struct ink_sim_change *parts;
    const char **scratch;
    size_t np = 0, i, k;

    s->computed = 1;
    s->tot.pairs = s->npairs;
    parts = calloc(s->nrows * 2 + 1, sizeof(*parts));
    if (parts == NULL) {
        s->failed = 1;
        return;
    }
    for (i = 0; i < s->nrows; i++)
        if (decide(s, i, &cache, &cache_of, parts, &np) < 0) {
            s->failed = 1;
            break;
        }
    ink_dmarc_record_free(cache);
    if (s->failed) {
        free(parts);
        return;
    }
    for (i = 0; i < np; i++) {
        int o = disp_index(parts[i].disp_old), n = disp_index(parts[i].disp_new);
        if (o >= 0)
            s->tot.disp_old[o] += parts[i].messages;
        if (n >= 0)
            s->tot.disp_new[n] += parts[i].messages;
    }
    /* keep the parts where something changed, grouped */
    for (i = 0, k = 0; i < np; i++)
        if (strcmp(parts[i].spf_old, parts[i].spf_new) != 0 ||
            strcmp(parts[i].dmarc_old, parts[i].dmarc_new) != 0 ||
            strcmp(parts[i].disp_old, parts[i].disp_new) != 0)
            parts[k++] = parts[i];
    np = k;
    if (np > 0)
        qsort(parts, np, sizeof(*parts), change_key_cmp);
    for (i = 0, k = 0; i < np; i++) {
        if (k > 0 && change_key_cmp(&parts[k - 1], &parts[i]) == 0) {
            parts[k - 1].messages += parts[i].messages;
            continue;
        }
        parts[k++] = parts[i];
    }
    np = k;
    for (i = 0; i < np; i++) {
        struct ink_sim_change *c = &parts[i];
        int was = strcmp(c->dmarc_old, "pass") == 0, is = strcmp(c->dmarc_new, "pass") == 0;
        if (!was && is) {
            c->direction = "newly-passing";
            s->tot.newly_passing += c->messages;
        } else if (was && !is) {
            c->direction = "newly-failing";
            s->tot.newly_failing += c->messages;
        } else if (strcmp(c->disp_old, c->disp_new) != 0) {
            c->direction = "disposition";
        } else {
            c->direction = "spf";
        }
        if (strcmp(c->disp_old, c->disp_new) != 0)
            s->tot.disposition_changed += c->messages;
    }
    if (np > 0)
        qsort(parts, np, sizeof(*parts), change_size_cmp);
    s->changes = parts;
    s->nchanges = np;
    scratch = malloc((np ? np : 1) * sizeof(*scratch));
    if (scratch == NULL) {
        s->failed = 1;
        return;
    }
    s->tot.sources_newly_passing = distinct(s, "newly-passing", scratch);
    s->tot.sources_newly_failing = distinct(s, "newly-failing", scratch);
    free(scratch);
}

/* ink_sim_nchanges - how many groups change */
size_t ink_sim_nchanges(const struct ink_sim *s)
{
    return s->computed ? s->nchanges : 0;
}

/* ink_sim_change - the i-th group */
const struct ink_sim_change *ink_sim_change(const struct ink_sim *s, size_t i)
{
    return s->computed && i < s->nchanges ? &s->changes[i] : NULL;
}

/* ink_sim_totals - the totals (zero until DONE) */
const struct ink_sim_totals *ink_sim_totals(const struct ink_sim *s)
{
    return &s->tot;
}
