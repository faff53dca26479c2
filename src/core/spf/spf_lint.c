/*
 * spf_lint.c - SPF lint (see include/inkan/spf_lint.h): walk a domain's
 * SPF tree and report what receivers will trip on, with the corrected
 * record to publish where one can be computed.
 *
 * How the walk is made sans-I/O: the lint keeps a cache of DNS answers
 * keyed by (name, type).  A "pass" walks the whole tree over that cache;
 * every answer it needs and does not have yet is registered as a query and
 * treated as unknown for the rest of the pass.  step() hands those queries
 * out, waits for their answers, and runs another pass; the pass that needs
 * nothing new is the final one and its findings are the result.  Each pass
 * reaches at least one level deeper into the tree, so the number of passes
 * is bounded by the depth, and the total number of queries by
 * INK_SPF_LINT_QUERIES_MAX.  A pass is cheap (records are short), and this
 * keeps the checks written as plain recursive code.
 *
 * Records are parsed by the SPF module's parser (inkan/spf.h); this file
 * only interprets its terms and diagnostics.
 */
#include "inkan/spf_lint.h"
#include "inkan/zonefile.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "inkan/spf.h"
#include "inkan/str.h"

/* Longest piece of untrusted text quoted in a message. */
#define LINT_QUOTE_MAX 80
/* Terms named in the "where the lookups come from" breakdown. */
#define LINT_BREAKDOWN_MAX 12
/* SPF records at one name merged into a proposal; past this none is made
 * (the merge compares terms pairwise). */
#define LINT_MERGE_MAX 8
/* Slots of the (name, type) -> query index: a power of two, at least twice
 * INK_SPF_LINT_QUERIES_MAX so that linear probing stays short. */
#define LINT_INDEX_SLOTS 1024
_Static_assert(LINT_INDEX_SLOTS >= 2 * INK_SPF_LINT_QUERIES_MAX, "index too small");
/* Fix edits kept for the root record. */
#define LINT_EDITS_MAX 64

/* One DNS query and, once fed, its answer (the lint's own copy).  Its
 * token is its index + 1. */
struct lint_query {
    char *name;
    uint16_t type;
    int asked;
    struct ink_dns_answer *answer;
};

/* One finding: the shared type, and the corrected record its fix line
 * was made from (what ink_spf_lint_finding_record() returns). */
struct lint_finding {
    struct ink_finding f;
    char *record; /* owned, or NULL */
};

/* One change to the root record: replace [off, off+len) with text (NULL:
 * remove the term and the space before it). */
struct lint_edit {
    size_t off;
    size_t len;
    char *text;
};

/* What a walked record contributes when flattened into ip4/ip6 terms. */
struct lint_flat {
    int ok;           /* the record's pass set is a fixed list of networks */
    size_t n;
    char **terms;     /* "ip4:192.0.2.0/24", ... (owned) */
};

/* Per-domain memo within one pass, so a domain reached twice is walked once. */
struct lint_memo {
    char *domain;
    unsigned lookups_total;
    unsigned voids_total;
    struct lint_flat flat;
};

/* Everything one pass produces; thrown away unless the pass is final. */
struct lint_pass {
    struct ink_spf_lint *l;
    int incomplete;                 /* an answer was missing */
    int limit_noted;                /* the query limit finding was added */
    int depth_noted;
    size_t records_walked;
    struct lint_finding *f; /* findings */
    size_t nf, capf;
    size_t dropped;
    const char *path[INK_SPF_LINT_DEPTH_MAX + 2]; /* domains on the current path */
    size_t npath;
    struct lint_memo *memo;
    size_t nmemo, capmemo;
    struct lint_edit edit[LINT_EDITS_MAX]; /* edits to the root record */
    size_t nedit;
    int nomem;
};

struct ink_spf_lint {
    char *domain;        /* normalised root domain, or NULL (record mode without --domain) */
    char *given;         /* record mode: the record text */
    size_t given_len;
    int record_mode;
    struct lint_query *q;
    size_t nq, capq;
    int32_t index[LINT_INDEX_SLOTS]; /* query number + 1, 0 = empty */
    size_t next_ask;     /* queries before this index have been handed out */
    int done, failed;
    /* results of the final pass */
    struct lint_finding *f;
    size_t nf;
    struct ink_spf_lint_node *tree;
    char *record;        /* root record text */
    char *fixed;
    unsigned lookups, voids;
};

/* ---- small helpers ------------------------------------------------------ */

static char *dup_cstr(const char *s)
{
    return ink_memdup_cstr(s, strlen(s));
}

/* flat_free - release a flattening list */
static void flat_free(struct lint_flat *fl)
{
    size_t i;

    for (i = 0; i < fl->n; i++)
        free(fl->terms[i]);
    free(fl->terms);
    fl->terms = NULL;
    fl->n = 0;
}

/* flat_add - add term to fl unless present; marks fl not ok past the cap */
static int flat_add(struct lint_flat *fl, const char *term)
{
    size_t i;
    char **nt;

    if (!fl->ok)
        return 0;
    for (i = 0; i < fl->n; i++)
        if (strcmp(fl->terms[i], term) == 0)
            return 0;
    if (fl->n >= INK_SPF_LINT_FLATTEN_TERMS_MAX) {
        fl->ok = 0;
        flat_free(fl);
        return 0;
    }
    nt = realloc(fl->terms, (fl->n + 1) * sizeof(*nt));
    if (nt == NULL)
        return -1;
    fl->terms = nt;
    if ((fl->terms[fl->n] = dup_cstr(term)) == NULL)
        return -1;
    fl->n++;
    return 0;
}

/* flat_merge - add every term of src to dst (dst stays ok only if src is) */
static int flat_merge(struct lint_flat *dst, const struct lint_flat *src)
{
    size_t i;

    if (!src->ok) {
        dst->ok = 0;
        flat_free(dst);
        return 0;
    }
    for (i = 0; i < src->n; i++)
        if (flat_add(dst, src->terms[i]) < 0)
            return -1;
    return 0;
}

static void flat_copy(struct lint_flat *dst, const struct lint_flat *src, int *nomem)
{
    dst->ok = 1;
    dst->n = 0;
    dst->terms = NULL;
    if (flat_merge(dst, src) < 0)
        *nomem = 1;
}

/* node_free - release a tree node's contents and its children */
static void node_free(struct ink_spf_lint_node *n)
{
    size_t i;

    if (n == NULL)
        return;
    for (i = 0; i < n->nchild; i++)
        node_free(&n->child[i]);
    free(n->child);
    free(n->domain);
    free(n->record);
}

/* finding_clear - free what one finding owns */
static void finding_clear(struct lint_finding *f)
{
    ink_finding_clear(&f->f);
    free(f->record);
    f->record = NULL;
}

/* findings_free - release an array of n findings */
static void findings_free(struct lint_finding *f, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        finding_clear(&f[i]);
    free(f);
}

/* pass_release - free what a pass owns */
static void pass_release(struct lint_pass *p)
{
    size_t i;

    findings_free(p->f, p->nf);
    p->f = NULL;
    p->nf = 0;
    for (i = 0; i < p->nmemo; i++) {
        free(p->memo[i].domain);
        flat_free(&p->memo[i].flat);
    }
    free(p->memo);
    p->memo = NULL;
    for (i = 0; i < p->nedit; i++)
        free(p->edit[i].text);
    p->nedit = 0;
}

/* Capacity of a growing array at its first growth (then doubled). */
#define LINT_GROW_FIRST 16

/* grow_room - room for element n of arr (capacity *cap, elements of size
 * bytes): arr itself while n < *cap, else arr reallocated to twice the
 * capacity (LINT_GROW_FIRST at first), *cap updated.  NULL, with arr and
 * *cap untouched, when out of memory or the size would overflow.  The
 * caller owns what it returns in place of arr. */
static void *grow_room(void *arr, size_t *cap, size_t n, size_t size)
{
    size_t want;
    void *na;

    if (n < *cap)
        return arr;
    want = *cap ? *cap * 2 : LINT_GROW_FIRST;
    if (want < *cap || want > SIZE_MAX / size)
        return NULL;
    na = realloc(arr, want * size);
    if (na != NULL)
        *cap = want;
    return na;
}

/* add_finding - record a finding; message is printf-formatted (callers pass
 * untrusted text only through put_quoted).  fix may be NULL; it is copied. */
static void add_finding(struct lint_pass *p, enum ink_severity sev, const char *code,
                        const char *domain, long off, size_t len, const char *fix,
                        const char *msg)
{
    struct lint_finding *f;

    if (p->nf >= INK_SPF_LINT_FINDINGS_MAX) {
        p->dropped++;
        return;
    }
    {
        struct lint_finding *nf = grow_room(p->f, &p->capf, p->nf, sizeof(*nf));

        if (nf == NULL) {
            p->nomem = 1;
            return;
        }
        p->f = nf;
    }
    f = &p->f[p->nf];
    memset(f, 0, sizeof(*f));
    f->f.severity = sev;
    f->f.area = "spf";
    f->f.code = code;
    f->f.offset = off;
    f->f.length = off < 0 ? 0 : len;
    f->f.message = dup_cstr(msg);
    f->f.subject = dup_cstr(domain != NULL ? domain : "");
    if (fix != NULL) {
        f->record = dup_cstr(fix);
        /* "(record)": a record linted without a domain goes at the origin */
        f->f.fix = ink_spf_lint_zone_line(domain != NULL && domain[0] != '(' ? domain : NULL,
                                          fix, strlen(fix));
    }
    if (f->f.message == NULL || f->f.subject == NULL ||
        (fix != NULL && (f->record == NULL || f->f.fix == NULL))) {
        finding_clear(f);
        p->nomem = 1;
        return;
    }
    p->nf++;
}

/* put_quoted - append untrusted bytes, printable and cut short, in quotes */
static void put_quoted(struct ink_str *s, const char *p, size_t len)
{
    ink_str_putc(s, '\'');
    ink_str_put_printable(s, p, len, LINT_QUOTE_MAX);
    ink_str_putc(s, '\'');
}

/* ---- the answer cache ---------------------------------------------------- */

/* query_hash - FNV-1a over the name, mixed with the type */
static size_t query_hash(const char *name, uint16_t type)
{
    uint64_t h = 1469598103934665603ULL ^ type;

    while (*name != '\0') {
        h ^= (unsigned char)*name++;
        h *= 1099511628211ULL;
    }
    return (size_t)(h ^ (h >> 29));
}

/* cache_slot - the index slot holding (name, type), or the empty slot
 * where it would go */
static size_t cache_slot(const struct ink_spf_lint *l, const char *name, uint16_t type)
{
    size_t i = query_hash(name, type) & (LINT_INDEX_SLOTS - 1);

    while (l->index[i] != 0) {
        const struct lint_query *q = &l->q[l->index[i] - 1];

        if (q->type == type && strcmp(q->name, name) == 0)
            break;
        i = (i + 1) & (LINT_INDEX_SLOTS - 1);
    }
    return i;
}

/* cache_find - the query entry for (name, type), or NULL */
static struct lint_query *cache_find(struct ink_spf_lint *l, const char *name, uint16_t type)
{
    size_t i = cache_slot(l, name, type);

    return l->index[i] != 0 ? &l->q[l->index[i] - 1] : NULL;
}

/*
 * pass_lookup - the answer to (name, type) if it is known.  Otherwise the
 * query is registered for step() to hand out (unless the query budget is
 * spent, which is reported once) and NULL is returned: the pass treats the
 * answer as unknown.  name must be normalised.
 */
static const struct ink_dns_answer *pass_lookup(struct lint_pass *p, const char *name,
                                                uint16_t type)
{
    struct ink_spf_lint *l = p->l;
    struct lint_query *q = cache_find(l, name, type);

    if (q != NULL) {
        if (q->answer == NULL)
            p->incomplete = 1;
        return q->answer;
    }
    if (l->nq >= INK_SPF_LINT_QUERIES_MAX) {
        if (!p->limit_noted) {
            struct ink_str m = INK_STR_INIT;

            ink_str_printf(&m, "more than %d DNS queries needed: names past the limit "
                               "(first: ", INK_SPF_LINT_QUERIES_MAX);
            put_quoted(&m, name, strlen(name));
            ink_str_puts(&m, ") were not checked");
            add_finding(p, INK_SEV_INFO, INK_SPF_LINT_LIMIT, l->domain, -1, 0, NULL,
                        ink_str_cstr(&m));
            ink_str_free(&m);
            p->limit_noted = 1;
        }
        return NULL;
    }
    {
        struct lint_query *nq = grow_room(l->q, &l->capq, l->nq, sizeof(*nq));

        if (nq == NULL) {
            p->nomem = 1;
            return NULL;
        }
        l->q = nq;
    }
    q = &l->q[l->nq];
    memset(q, 0, sizeof(*q));
    if ((q->name = dup_cstr(name)) == NULL) {
        p->nomem = 1;
        return NULL;
    }
    q->type = type;
    l->index[cache_slot(l, q->name, type)] = (int32_t)(l->nq + 1);
    l->nq++;
    p->incomplete = 1;
    return NULL;
}

/* is_void - RFC 7208 4.6.4: "a positive answer (RCODE 0) with an answer
 * count of 0, or a 'Name Error' (RCODE 3)": NODATA, NXDOMAIN, or a
 * NOERROR answer without a record of the type asked (as the evaluator
 * counts it) */
static int is_void(const struct ink_dns_answer *a)
{
    size_t i;

    if (a->status == INK_DNS_NODATA || a->status == INK_DNS_NXDOMAIN)
        return 1;
    if (a->status != INK_DNS_OK)
        return 0;
    for (i = 0; i < a->nrr; i++)
        if (a->rr[i].type == a->qtype)
            return 0;
    return 1;
}

static int is_temp(const struct ink_dns_answer *a)
{
    return a->status == INK_DNS_SERVFAIL || a->status == INK_DNS_TIMEOUT;
}

/* count_data - records of the asked type in a (skipping CNAMEs of a chain) */
static size_t count_data(const struct ink_dns_answer *a)
{
    size_t i, n = 0;

    if (a->status != INK_DNS_OK)
        return 0;
    for (i = 0; i < a->nrr; i++)
        if (a->rr[i].type == a->qtype)
            n++;
    return n;
}

/* One SPF record of an answer, for ordering. */
struct spf_rec {
    size_t rr;     /* index in the answer */
    uint8_t *text; /* joined strings (owned) */
    size_t len;
};

/* spf_rec_cmp - byte order of the record texts */
static int spf_rec_cmp(const void *x, const void *y)
{
    const struct spf_rec *a = x, *b = y;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->text, b->text, n);

    if (c != 0)
        return c;
    return a->len < b->len ? -1 : a->len > b->len;
}

/* spf_records - the TXT records of a that select as SPF (RFC 7208 4.5),
 * sorted by their text: DNS servers return an RRset in any order, and the
 * lint's output must not depend on it.  *n gets the count; caller frees
 * with spf_records_free.  NULL with *n 0 when there are none or on ENOMEM
 * (*nomem set). */
static struct spf_rec *spf_records(const struct ink_dns_answer *a, size_t *n, int *nomem)
{
    struct spf_rec *v;
    size_t i;

    *n = 0;
    if (a == NULL || a->status != INK_DNS_OK || a->nrr == 0)
        return NULL;
    v = calloc(a->nrr, sizeof(*v));
    if (v == NULL) {
        *nomem = 1;
        return NULL;
    }
    for (i = 0; i < a->nrr; i++) {
        uint8_t *t;
        size_t tl;

        if (a->rr[i].type != INK_DNS_TXT)
            continue;
        if ((t = ink_dns_rr_txt_join(&a->rr[i], &tl)) == NULL) {
            *nomem = 1;
            continue;
        }
        if (!ink_spf_record_is_spf(t, tl)) {
            free(t);
            continue;
        }
        v[*n].rr = i;
        v[*n].text = t;
        v[*n].len = tl;
        (*n)++;
    }
    qsort(v, *n, sizeof(*v), spf_rec_cmp);
    return v;
}

static void spf_records_free(struct spf_rec *v, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        free(v[i].text);
    free(v);
}

/* ---- the root record's fixes --------------------------------------------- */

/* edit_apply - the record text with the edits applied, by the SPF
 * module's editor (offsets in the original text, none overlapping).
 * Caller frees; NULL when the editor refuses (an edit that would cut an
 * all's qualifier or touch the version) or on ENOMEM. */
static char *edit_apply(const char *rec, size_t len, const struct lint_edit *e, size_t ne)
{
    struct ink_spf_edit ed[LINT_EDITS_MAX];
    char *out = NULL;
    size_t i;

    assert(ne <= LINT_EDITS_MAX);
    for (i = 0; i < ne; i++) {
        ed[i].off = e[i].off;
        ed[i].len = e[i].len;
        ed[i].text = e[i].text;
    }
    if (ink_spf_edit_apply(rec, len, ed, ne, &out) != INK_SPF_EDIT_OK)
        return NULL;
    return out;
}

/* add_edit - queue an edit to the root record (unless another fix already
 * touches that span, or the editor refuses it); returns the single-edit
 * fix (caller frees) or NULL.  text NULL removes the term. */
static char *add_edit(struct lint_pass *p, const char *rec, size_t reclen, size_t off,
                      size_t len, const char *text)
{
    struct lint_edit one;
    char *fix;
    size_t i;

    one.off = off;
    one.len = len;
    one.text = (char *)text;
    fix = edit_apply(rec, reclen, &one, 1);
    if (fix == NULL)
        return NULL;
    for (i = 0; i < p->nedit; i++)
        if (p->edit[i].off < off + len && off < p->edit[i].off + p->edit[i].len)
            break; /* another fix already touches this term */
    if (i == p->nedit && p->nedit < LINT_EDITS_MAX) {
        p->edit[p->nedit].off = off;
        p->edit[p->nedit].len = len;
        p->edit[p->nedit].text = text != NULL ? dup_cstr(text) : NULL;
        if (text != NULL && p->edit[p->nedit].text == NULL)
            p->nomem = 1;
        else
            p->nedit++;
    }
    return fix;
}

/* ---- walking records ----------------------------------------------------- */

/* What one record walk needs to know about where it is. */
struct lint_ctx {
    const char *domain;   /* whose record (normalised) or NULL */
    const char *label;    /* how to name it in findings */
    const char *text;     /* the record */
    size_t len;
    int is_root;          /* fixes are computed only for the root */
    int via_include;      /* exp= is ignored inside includes */
    size_t depth;
    const size_t *bounds; /* string boundaries in text (multi-string TXT) */
    size_t nbounds;
};

static void walk_record(struct lint_pass *p, const struct lint_ctx *c,
                        struct ink_spf_lint_node *node, struct lint_flat *flat);

/* The SPF records found at a name. */
struct spf_at {
    const struct ink_dns_answer *a; /* NULL: not known yet */
    size_t nspf;                    /* TXT records selecting as SPF */
    size_t first;                   /* index of the first one in a->rr */
};

/* spf_lookup - fetch and select the SPF records of name (RFC 7208 4.5) */
static struct spf_at spf_lookup(struct lint_pass *p, const char *name)
{
    struct spf_at s = {NULL, 0, 0};
    struct spf_rec *v;

    s.a = pass_lookup(p, name, INK_DNS_TXT);
    if (s.a == NULL || s.a->status != INK_DNS_OK)
        return s;
    v = spf_records(s.a, &s.nspf, &p->nomem);
    if (s.nspf > 0)
        s.first = v[0].rr;
    spf_records_free(v, s.nspf);
    return s;
}

/* memo_find - the memo of a domain already walked in this pass */
static struct lint_memo *memo_find(struct lint_pass *p, const char *domain)
{
    size_t i;

    for (i = 0; i < p->nmemo; i++)
        if (strcmp(p->memo[i].domain, domain) == 0)
            return &p->memo[i];
    return NULL;
}

static void memo_add(struct lint_pass *p, const char *domain,
                     const struct ink_spf_lint_node *n, const struct lint_flat *fl)
{
    struct lint_memo *m;

    {
        struct lint_memo *nm = grow_room(p->memo, &p->capmemo, p->nmemo, sizeof(*nm));

        if (nm == NULL) {
            p->nomem = 1;
            return;
        }
        p->memo = nm;
    }
    m = &p->memo[p->nmemo];
    if ((m->domain = dup_cstr(domain)) == NULL) {
        p->nomem = 1;
        return;
    }
    m->lookups_total = n->lookups_total;
    m->voids_total = n->voids_total;
    flat_copy(&m->flat, fl, &p->nomem);
    p->nmemo++;
}

/* on_path - is domain already being walked above us (a loop)? */
static int on_path(const struct lint_pass *p, const char *domain)
{
    size_t i;

    for (i = 0; i < p->npath; i++)
        if (strcmp(p->path[i], domain) == 0)
            return 1;
    return 0;
}

/* string_bounds - offsets in the joined text where one character-string
 * ends and the next begins.  Caller frees *out. */
static size_t string_bounds(const struct ink_dns_rr *rr, size_t **out)
{
    size_t i, off = 0, n = 0;

    *out = NULL;
    if (rr->ntxt < 2)
        return 0;
    *out = calloc(rr->ntxt, sizeof(**out));
    if (*out == NULL)
        return 0;
    for (i = 0; i + 1 < rr->ntxt; i++) {
        off += rr->txtlen[i];
        (*out)[n++] = off;
    }
    return n;
}

/* answer_size - bytes of the DNS response carrying every TXT record of a
 * (header, question, answers with compressed owner names; no EDNS0) */
static size_t answer_size(const char *qname, const struct ink_dns_answer *a, size_t extra_rdata)
{
    size_t size = 12 + strlen(qname) + 2 + 4, i, j;

    if (a != NULL)
        for (i = 0; i < a->nrr; i++) {
            if (a->rr[i].type != INK_DNS_TXT)
                continue;
            size += 2 + 10;
            for (j = 0; j < a->rr[i].ntxt; j++)
                size += 1 + a->rr[i].txtlen[j];
        }
    if (extra_rdata)
        size += 2 + 10 + extra_rdata;
    return size;
}

/* rdata_size - TXT rdata bytes for a text split in INK_SPF_LINT_STRING_MAX pieces */
static size_t rdata_size(size_t len)
{
    size_t n = (len + INK_SPF_LINT_STRING_MAX - 1) / INK_SPF_LINT_STRING_MAX;

    return len + (n ? n : 1);
}

/*
 * follow_target - handle an include: or redirect= target: fetch its SPF
 * record, report what receivers would make of it, and walk it as a child
 * node.  t is the term in the parent record.  Returns the child's lookup
 * total (0 if not walked) via the node; fl gets the child's flattening.
 */
static void follow_target(struct lint_pass *p, const struct lint_ctx *c,
                          const struct ink_spf_term *t, struct ink_spf_lint_node *parent,
                          struct lint_flat *fl)
{
    int is_redirect = t->kind == INK_SPF_T_REDIRECT;
    const char *what = is_redirect ? "redirect" : "include";
    char target[INK_DNS_NAME_MAX + 2];
    struct ink_spf_lint_node *n, *nc;
    struct ink_str m = INK_STR_INIT;
    struct spf_at s;
    struct lint_memo *memo;
    char *fix = NULL;
    int tl;

    fl->ok = 0;
    if (t->flags & INK_SPF_TF_MACRO) {
        ink_str_printf(&m, "%s target ", what);
        put_quoted(&m, t->arg.p, t->arg.len);
        ink_str_puts(&m, " uses macros: it depends on the message and was not followed "
                         "(its lookups are not counted)");
        add_finding(p, INK_SEV_INFO, INK_SPF_LINT_MACRO_NOT_FOLLOWED, c->label,
                    (long)t->text.off, t->text.len, NULL, ink_str_cstr(&m));
        ink_str_free(&m);
        return;
    }
    tl = ink_dns_name_normalize(t->arg.p, t->arg.len, target, sizeof(target));
    if (tl <= 0)
        return; /* the parser reported the bad domain-spec */

    nc = realloc(parent->child, (parent->nchild + 1) * sizeof(*nc));
    if (nc == NULL) {
        p->nomem = 1;
        return;
    }
    parent->child = nc;
    n = &parent->child[parent->nchild++];
    memset(n, 0, sizeof(*n));
    n->via = what;
    n->offset = (long)t->text.off;
    n->status = "ok";
    if ((n->domain = dup_cstr(target)) == NULL) {
        p->nomem = 1;
        return;
    }

    if (on_path(p, target)) {
        n->status = "loop";
        ink_str_printf(&m, "%s:%s loops back to a record already being evaluated: "
                           "receivers give permerror", what, target);
        if (c->is_root && !is_redirect)
            fix = add_edit(p, c->text, c->len, t->text.off, t->text.len, NULL);
        add_finding(p, INK_SEV_ERROR, INK_SPF_LINT_LOOP, c->label, (long)t->text.off,
                    t->text.len, fix, ink_str_cstr(&m));
        goto out;
    }
    if ((memo = memo_find(p, target)) != NULL) {
        n->repeated = 1;
        n->lookups_total = memo->lookups_total;
        n->voids_total = memo->voids_total;
        flat_copy(fl, &memo->flat, &p->nomem);
        goto out;
    }
    if (c->depth + 1 > INK_SPF_LINT_DEPTH_MAX) {
        n->status = "not-followed";
        if (!p->depth_noted) {
            ink_str_printf(&m, "include/redirect nesting deeper than %d: %s not followed",
                           INK_SPF_LINT_DEPTH_MAX, target);
            add_finding(p, INK_SEV_ERROR, INK_SPF_LINT_DEPTH, c->label,
                        (long)t->text.off, t->text.len, NULL, ink_str_cstr(&m));
            p->depth_noted = 1;
        }
        goto out;
    }
    if (p->records_walked >= INK_SPF_LINT_RECORDS_MAX) {
        n->status = "not-followed";
        if (!p->limit_noted) {
            ink_str_printf(&m, "more than %d records in the tree: %s and later ones not "
                               "checked", INK_SPF_LINT_RECORDS_MAX, target);
            add_finding(p, INK_SEV_INFO, INK_SPF_LINT_LIMIT, c->label, (long)t->text.off,
                        t->text.len, NULL, ink_str_cstr(&m));
            p->limit_noted = 1;
        }
        goto out;
    }

    s = spf_lookup(p, target);
    if (s.a == NULL) {
        n->status = "not-followed";
        goto out;
    }
    if (!is_temp(s.a) &&
        (s.a->status == INK_DNS_NXDOMAIN || s.a->status == INK_DNS_NODATA || s.nspf == 0)) {
        int nx = s.a->status == INK_DNS_NXDOMAIN;

        n->status = nx ? "nxdomain" : "none";
        if (is_void(s.a))
            n->voids_total = 1;
        if (is_redirect) {
            ink_str_printf(&m, "redirect=%s: %s: receivers give permerror", target,
                           nx ? "the domain does not exist" : "it publishes no SPF record");
            add_finding(p, INK_SEV_ERROR, INK_SPF_LINT_REDIRECT_MISSING, c->label,
                        (long)t->text.off, t->text.len, NULL, ink_str_cstr(&m));
        } else {
            ink_str_printf(&m, "include:%s: %s: receivers give permerror for every message; "
                               "remove it or fix the name",
                           target, nx ? "the domain does not exist" : "it publishes no SPF record");
            if (c->is_root)
                fix = add_edit(p, c->text, c->len, t->text.off, t->text.len, NULL);
            add_finding(p, INK_SEV_ERROR,
                        nx ? INK_SPF_LINT_INCLUDE_MISSING : INK_SPF_LINT_INCLUDE_NO_SPF, c->label,
                        (long)t->text.off, t->text.len, fix, ink_str_cstr(&m));
        }
        goto out;
    }
    if (is_temp(s.a)) {
        n->status = "temperror";
        ink_str_printf(&m, "%s:%s: DNS %s%s%s: receivers give temperror (mail is deferred)",
                       what, target, ink_dns_status_name(s.a->status),
                       s.a->why ? ": " : "", s.a->why ? s.a->why : "");
        add_finding(p, INK_SEV_WARNING,
                    is_redirect ? INK_SPF_LINT_DNS_TEMP : INK_SPF_LINT_INCLUDE_TEMP, c->label,
                    (long)t->text.off, t->text.len, NULL, ink_str_cstr(&m));
        goto out;
    }
    if (s.nspf > 1) {
        n->status = "permerror";
        ink_str_printf(&m, "%s publishes %zu SPF records: receivers give permerror", target,
                       s.nspf);
        add_finding(p, INK_SEV_ERROR, INK_SPF_LINT_DUPLICATE, target, -1, 0, NULL,
                    ink_str_cstr(&m));
        goto out;
    }
    {
        const struct ink_dns_rr *rr = &s.a->rr[s.first];
        struct lint_ctx cc;
        size_t tlen;
        uint8_t *text = ink_dns_rr_txt_join(rr, &tlen);
        size_t *bounds = NULL;

        if (text == NULL) {
            p->nomem = 1;
            goto out;
        }
        memset(&cc, 0, sizeof(cc));
        cc.domain = n->domain;
        cc.label = n->domain;
        cc.text = (const char *)text;
        cc.len = tlen;
        cc.via_include = !is_redirect || c->via_include;
        cc.depth = c->depth + 1;
        cc.nbounds = string_bounds(rr, &bounds);
        cc.bounds = bounds;
        {
            struct ink_str pr = INK_STR_INIT;

            ink_str_put_printable(&pr, text, tlen, INK_SPF_RECORD_MAX);
            n->record = ink_str_steal(&pr);
        }
        if (answer_size(target, s.a, 0) > INK_SPF_LINT_UDP_MAX) {
            ink_str_printf(&m, "the TXT answer for %s is %zu bytes, over %d: receivers need "
                               "TCP or EDNS0 to read it, and some fail",
                           target, answer_size(target, s.a, 0), INK_SPF_LINT_UDP_MAX);
            add_finding(p, INK_SEV_WARNING, INK_SPF_LINT_ANSWER_LONG, target, -1, 0, NULL,
                        ink_str_cstr(&m));
        }
        p->records_walked++;
        p->path[p->npath++] = n->domain;
        fl->ok = 1;
        walk_record(p, &cc, n, fl);
        p->npath--;
        memo_add(p, target, n, fl);
        free(bounds);
        free(text);
    }
out:
    free(fix);
    ink_str_free(&m);
}

/* addr_masked - copy addr with the bits past prefix cleared; 1 if any
 * bit had to be cleared */
static int addr_masked(const uint8_t *addr, size_t alen, unsigned prefix, uint8_t *out)
{
    size_t i;
    int changed = 0;

    for (i = 0; i < alen; i++) {
        unsigned bits = prefix >= (i + 1) * 8 ? 8 : prefix > i * 8 ? prefix - (unsigned)i * 8 : 0;
        uint8_t mask = (uint8_t)(bits == 0 ? 0 : (0xffu << (8 - bits)) & 0xffu);

        out[i] = addr[i] & mask;
        if (out[i] != addr[i])
            changed = 1;
    }
    return changed;
}

/* net_term - "ip4:a.b.c.d/n" or "ip6:x::/n" text (prefix omitted at full
 * length), with the qualifier when given */
static void net_term(struct ink_str *s, char qual, int family, const uint8_t *addr,
                     unsigned prefix)
{
    char buf[64];

    if (qual)
        ink_str_putc(s, qual);
    ink_str_printf(s, "ip%d:%s", family, ink_ip_format(family, addr, buf, sizeof(buf)));
    if (prefix != (family == 4 ? 32u : 128u))
        ink_str_printf(s, "/%u", prefix);
}

/* flat_add_answer - add the addresses of an A/AAAA answer at the prefix */
static void flat_add_answer(struct lint_pass *p, struct lint_flat *fl,
                            const struct ink_dns_answer *a, unsigned prefix)
{
    size_t i;

    if (a == NULL || a->status != INK_DNS_OK)
        return;
    for (i = 0; i < a->nrr; i++) {
        const struct ink_dns_rr *rr = &a->rr[i];
        int fam = rr->type == INK_DNS_A ? 4 : rr->type == INK_DNS_AAAA ? 6 : 0;
        uint8_t net[16];
        struct ink_str s = INK_STR_INIT;

        if (fam == 0)
            continue;
        addr_masked(rr->addr, fam == 4 ? 4 : 16, prefix, net);
        net_term(&s, 0, fam, net, prefix);
        if (s.buf == NULL || flat_add(fl, ink_str_cstr(&s)) < 0)
            p->nomem = 1;
        ink_str_free(&s);
    }
}

/* target_name - the normalised name an a/mx/exists term queries: its
 * domain-spec, or the record's own domain.  0 if there is none to query
 * (macros, record mode without a domain, a bad name). */
static int target_name(const struct lint_ctx *c, const struct ink_spf_term *t, char *out,
                       size_t outsz)
{
    if (t->flags & INK_SPF_TF_MACRO)
        return 0;
    if (t->arg.len > 0)
        return ink_dns_name_normalize(t->arg.p, t->arg.len, out, outsz) > 0;
    if (c->domain == NULL)
        return 0;
    return ink_dns_name_normalize(c->domain, strlen(c->domain), out, outsz) > 0;
}

/* note_unchecked - say why an a/mx term's name was not looked up */
static void note_unchecked(struct lint_pass *p, const struct lint_ctx *c,
                           const struct ink_spf_term *t)
{
    struct ink_str m = INK_STR_INIT;

    put_quoted(&m, t->text.p, t->text.len);
    if (t->flags & INK_SPF_TF_MACRO) {
        ink_str_puts(&m, " uses macros: its name depends on the message and was not checked");
        add_finding(p, INK_SEV_INFO, INK_SPF_LINT_MACRO_NOT_FOLLOWED, c->label,
                    (long)t->text.off, t->text.len, NULL, ink_str_cstr(&m));
    } else if (t->arg.len == 0 && c->domain == NULL) {
        ink_str_puts(&m, " queries the record's own domain, which was not given (--domain): "
                         "not checked");
        add_finding(p, INK_SEV_INFO, INK_SPF_LINT_LIMIT, c->label, (long)t->text.off,
                    t->text.len, NULL, ink_str_cstr(&m));
    }
    ink_str_free(&m);
}

/* note_void - count and report a void lookup caused by term t */
static void note_void(struct lint_pass *p, const struct lint_ctx *c,
                      const struct ink_spf_term *t, struct ink_spf_lint_node *node,
                      const char *name, const char *what, int removable)
{
    struct ink_str m = INK_STR_INIT;
    char *fix = NULL;

    node->voids_total++;
    ink_str_printf(&m, "%s has no %s records: a void lookup (receivers allow %d per "
                       "evaluation)", name, what, INK_SPF_LINT_VOID_LIMIT);
    if (removable && c->is_root) {
        ink_str_puts(&m, "; the term never matches and can be removed");
        fix = add_edit(p, c->text, c->len, t->text.off, t->text.len, NULL);
    }
    add_finding(p, INK_SEV_WARNING, INK_SPF_LINT_VOID, c->label, (long)t->text.off,
                t->text.len, fix, ink_str_cstr(&m));
    free(fix);
    ink_str_free(&m);
}

/* check_a - an "a" term: does its name have addresses? */
static void check_a(struct lint_pass *p, const struct lint_ctx *c, const struct ink_spf_term *t,
                    struct ink_spf_lint_node *node, struct lint_flat *fl)
{
    char name[INK_DNS_NAME_MAX + 2];
    const struct ink_dns_answer *a4, *a6;

    if (!target_name(c, t, name, sizeof(name))) {
        note_unchecked(p, c, t);
        fl->ok = 0;
        return;
    }
    a4 = pass_lookup(p, name, INK_DNS_A);
    a6 = pass_lookup(p, name, INK_DNS_AAAA);
    if (a4 == NULL || a6 == NULL) {
        fl->ok = 0;
        return;
    }
    if (is_temp(a4) || is_temp(a6)) {
        struct ink_str m = INK_STR_INIT;

        ink_str_printf(&m, "a:%s: DNS %s: receivers give temperror", name,
                       ink_dns_status_name(is_temp(a4) ? a4->status : a6->status));
        add_finding(p, INK_SEV_WARNING, INK_SPF_LINT_DNS_TEMP, c->label,
                    (long)t->text.off, t->text.len, NULL, ink_str_cstr(&m));
        ink_str_free(&m);
        fl->ok = 0;
        return;
    }
    if (is_void(a4) && is_void(a6)) {
        note_void(p, c, t, node, name, "A or AAAA", t->qual == INK_SPF_QUAL_PASS);
        return;
    }
    if (t->qual != INK_SPF_QUAL_PASS) {
        fl->ok = 0;
        return;
    }
    flat_add_answer(p, fl, a4, t->cidr4);
    flat_add_answer(p, fl, a6, t->cidr6);
}

/* mx_name_cmp - order MX records by exchange name */
static int mx_name_cmp(const void *x, const void *y)
{
    const struct ink_dns_rr *const *a = x, *const *b = y;

    return strcmp((*a)->name, (*b)->name);
}

/* str_cmp - qsort comparator over C strings */
static int str_cmp(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* check_mx - an "mx" term: at most 10 MX hosts, each with addresses */
static void check_mx(struct lint_pass *p, const struct lint_ctx *c,
                     const struct ink_spf_term *t, struct ink_spf_lint_node *node,
                     struct lint_flat *fl)
{
    char name[INK_DNS_NAME_MAX + 2];
    const struct ink_dns_answer *mx;
    const struct ink_dns_rr *order[INK_SPF_LINT_MX_LIMIT];
    struct ink_str m = INK_STR_INIT;
    size_t i, nmx;

    if (!target_name(c, t, name, sizeof(name))) {
        note_unchecked(p, c, t);
        fl->ok = 0;
        return;
    }
    mx = pass_lookup(p, name, INK_DNS_MX);
    if (mx == NULL) {
        fl->ok = 0;
        return;
    }
    if (is_temp(mx)) {
        ink_str_printf(&m, "mx:%s: DNS %s: receivers give temperror", name,
                       ink_dns_status_name(mx->status));
        add_finding(p, INK_SEV_WARNING, INK_SPF_LINT_DNS_TEMP, c->label,
                    (long)t->text.off, t->text.len, NULL, ink_str_cstr(&m));
        fl->ok = 0;
        goto out;
    }
    if (is_void(mx)) {
        note_void(p, c, t, node, name, "MX", t->qual == INK_SPF_QUAL_PASS);
        goto out;
    }
    nmx = count_data(mx);
    if (nmx > INK_SPF_LINT_MX_LIMIT) {
        ink_str_printf(&m, "mx:%s has %zu MX records, over the limit of %d: receivers give "
                           "permerror; list the sending hosts with ip4/ip6 instead",
                       name, nmx, INK_SPF_LINT_MX_LIMIT);
        add_finding(p, INK_SEV_ERROR, INK_SPF_LINT_MX_TOO_MANY, c->label,
                    (long)t->text.off, t->text.len, NULL, ink_str_cstr(&m));
        fl->ok = 0;
        goto out;
    }
    if (t->qual != INK_SPF_QUAL_PASS)
        fl->ok = 0;
    /* hosts in name order: the RRset's order is the server's whim */
    nmx = 0;
    for (i = 0; i < mx->nrr && nmx < INK_SPF_LINT_MX_LIMIT; i++)
        if (mx->rr[i].type == INK_DNS_MX && mx->rr[i].name != NULL)
            order[nmx++] = &mx->rr[i];
    qsort(order, nmx, sizeof(order[0]), mx_name_cmp);
    for (i = 0; i < nmx; i++) {
        const struct ink_dns_rr *rr = order[i];
        const struct ink_dns_answer *a4, *a6;
        char host[INK_DNS_NAME_MAX + 2];

        if (rr->type != INK_DNS_MX || rr->name == NULL || rr->name[0] == '\0')
            continue; /* RFC 7505 null MX: no host */
        if (ink_dns_name_normalize(rr->name, strlen(rr->name), host, sizeof(host)) <= 0)
            continue;
        a4 = pass_lookup(p, host, INK_DNS_A);
        a6 = pass_lookup(p, host, INK_DNS_AAAA);
        if (a4 == NULL || a6 == NULL) {
            fl->ok = 0;
            continue;
        }
        if (is_void(a4) && is_void(a6)) {
            struct ink_str hm = INK_STR_INIT;

            node->voids_total++;
            ink_str_printf(&hm, "MX host %s of %s has no A or AAAA records (a void lookup)",
                           host, name);
            add_finding(p, INK_SEV_WARNING, INK_SPF_LINT_MX_NO_ADDRESS, c->label,
                        (long)t->text.off, t->text.len, NULL, ink_str_cstr(&hm));
            ink_str_free(&hm);
            continue;
        }
        if (is_temp(a4) || is_temp(a6)) {
            fl->ok = 0;
            continue;
        }
        flat_add_answer(p, fl, a4, t->cidr4);
        flat_add_answer(p, fl, a6, t->cidr6);
    }
out:
    ink_str_free(&m);
}

/* check_exists - a plain "exists" name (without macros) should resolve */
static void check_exists(struct lint_pass *p, const struct lint_ctx *c,
                         const struct ink_spf_term *t, struct ink_spf_lint_node *node)
{
    char name[INK_DNS_NAME_MAX + 2];
    const struct ink_dns_answer *a;

    if (!target_name(c, t, name, sizeof(name)))
        return;
    a = pass_lookup(p, name, INK_DNS_A);
    if (a != NULL && is_void(a))
        note_void(p, c, t, node, name, "A", t->qual == INK_SPF_QUAL_PASS);
}

/* check_ip - host bits set in an ip4/ip6 network; whole-Internet ranges */
static void check_ip(struct lint_pass *p, const struct lint_ctx *c,
                     const struct ink_spf_term *t, struct lint_flat *fl)
{
    int fam = t->kind == INK_SPF_T_IP4 ? 4 : 6;
    unsigned prefix = fam == 4 ? t->cidr4 : t->cidr6;
    uint8_t net[16];
    struct ink_str m = INK_STR_INIT, term = INK_STR_INIT;
    char *fix = NULL;
    char qual = (t->flags & INK_SPF_TF_QUALIFIED) ? ink_spf_qualifier_char(t->qual) : 0;

    if (addr_masked(t->addr, fam == 4 ? 4 : 16, prefix, net)) {
        net_term(&term, qual, fam, net, prefix);
        ink_str_puts(&m, "network ");
        put_quoted(&m, t->text.p, t->text.len);
        ink_str_printf(&m, " has host bits set past /%u: receivers mask them, so it means %s",
                       prefix, ink_str_cstr(&term));
        if (c->is_root)
            fix = add_edit(p, c->text, c->len, t->text.off, t->text.len, ink_str_cstr(&term));
        add_finding(p, INK_SEV_INFO, INK_SPF_LINT_HOST_BITS, c->label, (long)t->text.off,
                    t->text.len, fix, ink_str_cstr(&m));
        ink_str_truncate(&m, 0);
    }
    if (t->qual == INK_SPF_QUAL_PASS && prefix <= (fam == 4 ? 8u : 16u)) {
        ink_str_puts(&m, "");
        put_quoted(&m, t->text.p, t->text.len);
        ink_str_printf(&m, " authorizes a /%u: %s of the Internet may send as this domain",
                       prefix, prefix == 0 ? "all" : "a large part");
        add_finding(p, INK_SEV_ERROR, INK_SPF_LINT_PASS_ALL, c->label, (long)t->text.off,
                    t->text.len, NULL, ink_str_cstr(&m));
        fl->ok = 0;
    }
    if (t->qual != INK_SPF_QUAL_PASS) {
        fl->ok = 0;
    } else {
        ink_str_truncate(&term, 0);
        net_term(&term, 0, fam, net, prefix);
        if (term.buf == NULL || flat_add(fl, ink_str_cstr(&term)) < 0)
            p->nomem = 1;
    }
    free(fix);
    ink_str_free(&m);
    ink_str_free(&term);
}

/* check_exp - exp=: is there exactly one TXT record with a valid
 * explanation? (RFC 7208 6.2) */
static void check_exp(struct lint_pass *p, const struct lint_ctx *c, const struct ink_spf_term *t)
{
    char name[INK_DNS_NAME_MAX + 2];
    const struct ink_dns_answer *a;
    struct ink_str m = INK_STR_INIT;
    char *fix = NULL;
    size_t n;

    if (c->via_include) {
        add_finding(p, INK_SEV_INFO, INK_SPF_LINT_EXP, c->label, (long)t->text.off,
                    t->text.len, NULL,
                    "exp= in an included record is never used (RFC 7208 6.2)");
        return;
    }
    if (t->flags & INK_SPF_TF_MACRO)
        return; /* depends on the message; the parser checked the syntax */
    if (ink_dns_name_normalize(t->arg.p, t->arg.len, name, sizeof(name)) <= 0)
        return;
    a = pass_lookup(p, name, INK_DNS_TXT);
    if (a == NULL)
        return;
    n = count_data(a);
    if (is_temp(a))
        return;
    if (n == 1) {
        size_t tl;
        uint8_t *text = NULL;
        struct ink_spf_diag d;
        size_t i;

        for (i = 0; i < a->nrr; i++)
            if (a->rr[i].type == INK_DNS_TXT)
                text = ink_dns_rr_txt_join(&a->rr[i], &tl);
        if (text == NULL) {
            p->nomem = 1;
            return;
        }
        if (ink_spf_macro_check((const char *)text, tl, NULL, &d) == 0) {
            free(text);
            return;
        }
        ink_str_printf(&m, "the explanation at %s has an invalid macro at column %zu (%s): "
                           "receivers use their default explanation",
                       name, d.off + 1, d.reason != NULL ? d.reason : "bad macro");
        free(text);
    } else {
        ink_str_printf(&m, "exp=%s: %s: receivers use their default explanation", name,
                       n == 0 ? "no TXT record there" : "more than one TXT record there");
    }
    if (c->is_root)
        fix = add_edit(p, c->text, c->len, t->text.off, t->text.len, NULL);
    add_finding(p, INK_SEV_WARNING, INK_SPF_LINT_EXP, c->label, (long)t->text.off,
                t->text.len, fix, ink_str_cstr(&m));
    free(fix);
    ink_str_free(&m);
}

/* diag_code - the finding code and severity for a parser diagnostic */
static const char *diag_code(enum ink_spf_error e)
{
    switch (e) {
    case INK_SPF_E_UNKNOWN:
        return INK_SPF_LINT_UNKNOWN_MECH;
    case INK_SPF_E_MACRO:
        return INK_SPF_LINT_MACRO;
    case INK_SPF_E_CIDR:
        return INK_SPF_LINT_CIDR;
    case INK_SPF_E_ADDR:
        return INK_SPF_LINT_IP;
    default:
        return INK_SPF_LINT_SYNTAX;
    }
}

/* spans_bound - does [off, off+len) straddle a string boundary? */
static int spans_bound(const struct lint_ctx *c, size_t off, size_t len)
{
    size_t i;

    for (i = 0; i < c->nbounds; i++)
        if (c->bounds[i] > off && c->bounds[i] < off + len)
            return 1;
    return 0;
}

/* typo_fix - a corrected spelling of an unreadable term, or NULL:
 * "include=x" -> "include:x", "ipv4:" -> "ip4:", "ip:1.2.3.4" -> "ip4:...".
 * Only offered when the result parses.  Caller frees. */
static char *typo_fix(const char *term, size_t len)
{
    static const char *const mech[] = {"include", "a", "mx", "ptr", "ip4", "ip6", "exists"};
    struct ink_str s = INK_STR_INIT;
    size_t q = 0, i;
    struct ink_spf_record *r;
    char *out = NULL;

    if (len > 0 && strchr("+-~?", term[0]) != NULL)
        q = 1;
    for (i = 0; i < sizeof(mech) / sizeof(mech[0]); i++) {
        size_t ml = strlen(mech[i]);

        if (len > q + ml + 1 && strncasecmp(term + q, mech[i], ml) == 0 && term[q + ml] == '=') {
            ink_str_append(&s, term, q + ml);
            ink_str_putc(&s, ':');
            ink_str_append(&s, term + q + ml + 1, len - q - ml - 1);
            break;
        }
    }
    if (s.len == 0 && len > q + 5 && strncasecmp(term + q, "ipv", 3) == 0 &&
        (term[q + 3] == '4' || term[q + 3] == '6') && term[q + 4] == ':') {
        ink_str_append(&s, term, q);
        ink_str_printf(&s, "ip%c:", term[q + 3]);
        ink_str_append(&s, term + q + 5, len - q - 5);
    }
    if (s.len == 0 && len > q + 3 && strncasecmp(term + q, "ip:", 3) == 0) {
        const char *v = term + q + 3;
        size_t vl = len - q - 3, al = 0;
        int fam;
        uint8_t addr[16];

        while (al < vl && v[al] != '/')
            al++;
        if (ink_ip_parse(v, al, &fam, addr) == 0) {
            ink_str_append(&s, term, q);
            ink_str_printf(&s, "ip%d:", fam);
            ink_str_append(&s, v, vl);
        }
    }
    if (s.len == 0)
        return NULL;
    {
        struct ink_str rec = INK_STR_INIT;

        ink_str_puts(&rec, "v=spf1 ");
        ink_str_append(&rec, s.buf, s.len);
        r = ink_spf_record_parse((const uint8_t *)rec.buf, rec.len);
        if (r != NULL && ink_spf_record_nerrors(r) == 0)
            out = ink_str_steal(&s);
        ink_spf_record_free(r);
        ink_str_free(&rec);
    }
    ink_str_free(&s);
    return out;
}

/* report_diags - the parser's diagnostics as findings */
static void report_diags(struct lint_pass *p, const struct lint_ctx *c,
                         const struct ink_spf_record *r)
{
    size_t i, j, nt = ink_spf_record_nterms(r);

    for (i = 0; i < ink_spf_record_nerrors(r); i++) {
        const struct ink_spf_diag *d = ink_spf_record_error(r, i);
        const struct ink_spf_term *t = NULL;
        struct ink_str m = INK_STR_INIT;
        char *fix = NULL, *typo = NULL;
        size_t off = d->off, len = d->len;

        for (j = 0; j < nt; j++) {
            const struct ink_spf_term *tj = ink_spf_record_term(r, j);

            if (tj->text.off <= d->off && d->off < tj->text.off + tj->text.len + (tj->text.len == 0)) {
                t = tj;
                break;
            }
        }
        ink_str_printf(&m, "%s", d->reason != NULL ? d->reason : "syntax error");
        if (t != NULL) {
            ink_str_puts(&m, " in ");
            put_quoted(&m, t->text.p, t->text.len);
            if (len == 0 && off < t->text.off + t->text.len)
                len = t->text.off + t->text.len - off;
        }
        ink_str_puts(&m, ": receivers give permerror");
        if (t != NULL && spans_bound(c, t->text.off, t->text.len))
            ink_str_puts(&m, "; the term spans two TXT strings, which are joined without a "
                             "space: end the first string with a space");
        if (t != NULL && (d->code == INK_SPF_E_UNKNOWN || d->code == INK_SPF_E_SYNTAX) &&
            (typo = typo_fix(t->text.p, t->text.len)) != NULL) {
            ink_str_puts(&m, "; did you mean ");
            put_quoted(&m, typo, strlen(typo));
            ink_str_putc(&m, '?');
            if (c->is_root)
                fix = add_edit(p, c->text, c->len, t->text.off, t->text.len, typo);
        }
        add_finding(p, INK_SEV_ERROR, diag_code(d->code), c->label, (long)off, len, fix,
                    ink_str_cstr(&m));
        free(typo);
        free(fix);
        ink_str_free(&m);
    }
}

/* starts_term - does text (len bytes) begin with a mechanism or modifier
 * name, as a term glued to the one before it would? */
static int starts_term(const char *text, size_t len)
{
    static const char *const names[] = {"include", "all", "a", "mx", "ptr", "ip4", "ip6",
                                        "exists", "redirect", "exp"};
    size_t q = 0, i;

    if (len > 0 && strchr("+-~?", text[0]) != NULL)
        q = 1;
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        size_t nl = strlen(names[i]);

        if (len >= q + nl && strncasecmp(text + q, names[i], nl) == 0 &&
            (len == q + nl || strchr(":=/", text[q + nl]) != NULL))
            return 1;
    }
    return 0;
}

/* check_split - a term straddling a string boundary where the next string
 * starts a new term: the publisher meant a space there (TXT strings are
 * joined without one, RFC 7208 3.3) */
static void check_split(struct lint_pass *p, const struct lint_ctx *c,
                        const struct ink_spf_term *t)
{
    size_t i;

    for (i = 0; i < c->nbounds; i++) {
        size_t b = c->bounds[i];
        struct ink_str m = INK_STR_INIT;
        char *fix = NULL;

        if (!(b > t->text.off && b < t->text.off + t->text.len))
            continue;
        if (!starts_term(c->text + b, t->text.off + t->text.len - b))
            continue;
        ink_str_puts(&m, "the term ");
        put_quoted(&m, t->text.p, t->text.len);
        ink_str_printf(&m, " spans two TXT strings, which are joined without a space "
                           "(RFC 7208 3.3): end the first string with a space");
        if (c->is_root)
            fix = add_edit(p, c->text, c->len, b, 0, " ");
        add_finding(p, INK_SEV_WARNING, INK_SPF_LINT_STRING_SPLIT, c->label, (long)b, 0,
                    fix, ink_str_cstr(&m));
        free(fix);
        ink_str_free(&m);
    }
}

/* append_all_fix - the record with " ~all" appended (caller frees) */
static char *append_all_fix(struct lint_pass *p, const struct lint_ctx *c)
{
    size_t end = c->len;

    while (end > 0 && c->text[end - 1] == ' ')
        end--;
    return add_edit(p, c->text, c->len, end, c->len - end, " ~all");
}

/*
 * walk_record - lint one record (c->text) and recurse into its includes and
 * redirect.  node gets the counts and children; fl the record's pass set as
 * ip4/ip6 terms when it is a fixed list (fl->ok cleared otherwise).
 */
static void walk_record(struct lint_pass *p, const struct lint_ctx *c,
                        struct ink_spf_lint_node *node, struct lint_flat *fl)
{
    struct ink_spf_record *r = ink_spf_record_parse((const uint8_t *)c->text, c->len);
    const struct ink_spf_term *all = NULL, *redirect = NULL, *first_after_all = NULL;
    struct ink_str m = INK_STR_INIT;
    size_t i, nt, after_all = 0;
    unsigned child_lookups = 0, child_voids = 0;
    char *fix = NULL;

    if (r == NULL) {
        p->nomem = 1;
        return;
    }
    if (ink_spf_record_nerrors(r) > 0) {
        report_diags(p, c, r);
        fl->ok = 0;
    }
    nt = ink_spf_record_nterms(r);
    for (i = 0; i < nt; i++) {
        const struct ink_spf_term *t = ink_spf_record_term(r, i);
        size_t before = node->nchild;

        if (all != NULL && ink_spf_kind_is_mechanism(t->kind)) {
            if (after_all++ == 0)
                first_after_all = t;
            if (c->is_root) {
                free(add_edit(p, c->text, c->len, t->text.off, t->text.len, NULL));
            }
            continue; /* never evaluated: not counted, not followed */
        }
        if (c->nbounds > 0)
            check_split(p, c, t);
        if (ink_spf_kind_counts_lookup(t->kind) && t->kind != INK_SPF_T_REDIRECT)
            node->lookups_self++;
        switch (t->kind) {
        case INK_SPF_T_ALL:
            all = t;
            if (t->qual == INK_SPF_QUAL_PASS || t->qual == INK_SPF_QUAL_NEUTRAL) {
                int pass = t->qual == INK_SPF_QUAL_PASS;

                ink_str_truncate(&m, 0);
                if (pass)
                    ink_str_puts(&m, "'+all' lets any host on the Internet send as this domain: "
                                     "use '~all' (or '-all' once every sender is listed)");
                else
                    ink_str_puts(&m, "'?all' says nothing about unlisted hosts, so receivers "
                                     "treat forged mail as unauthenticated but not failed: use "
                                     "'~all' or '-all'");
                if (c->is_root)
                    fix = add_edit(p, c->text, c->len, t->text.off, t->text.len, "~all");
                add_finding(p, pass ? INK_SEV_ERROR : INK_SEV_WARNING,
                            pass ? INK_SPF_LINT_PASS_ALL : INK_SPF_LINT_NEUTRAL_ALL, c->label,
                            (long)t->text.off, t->text.len, fix, ink_str_cstr(&m));
                free(fix);
                fix = NULL;
                fl->ok = 0;
            }
            break;
        case INK_SPF_T_INCLUDE: {
            struct lint_flat cf = {0, 0, NULL};

            follow_target(p, c, t, node, &cf);
            if (t->qual != INK_SPF_QUAL_PASS || !cf.ok)
                fl->ok = 0;
            else if (flat_merge(fl, &cf) < 0)
                p->nomem = 1;
            flat_free(&cf);
            break;
        }
        case INK_SPF_T_A:
            check_a(p, c, t, node, fl);
            break;
        case INK_SPF_T_MX:
            check_mx(p, c, t, node, fl);
            break;
        case INK_SPF_T_PTR:
            fl->ok = 0;
            ink_str_truncate(&m, 0);
            ink_str_puts(&m, "'ptr' is deprecated (RFC 7208 5.5): it is slow, unreliable and "
                             "some receivers ignore it; list the sending hosts with ip4/ip6 or 'a' terms");
            if (c->is_root)
                fix = add_edit(p, c->text, c->len, t->text.off, t->text.len, NULL);
            add_finding(p, INK_SEV_WARNING, INK_SPF_LINT_PTR, c->label, (long)t->text.off,
                        t->text.len, fix, ink_str_cstr(&m));
            free(fix);
            fix = NULL;
            break;
        case INK_SPF_T_IP4:
        case INK_SPF_T_IP6:
            check_ip(p, c, t, fl);
            break;
        case INK_SPF_T_EXISTS:
            fl->ok = 0;
            check_exists(p, c, t, node);
            break;
        case INK_SPF_T_REDIRECT:
            redirect = t;
            break;
        case INK_SPF_T_EXP:
            check_exp(p, c, t);
            break;
        case INK_SPF_T_UNKNOWN_MOD: {
            /* "include=x" reads as a modifier nobody knows: the include
             * is silently lost, so say so loudly */
            char *typo = typo_fix(t->text.p, t->text.len);

            ink_str_truncate(&m, 0);
            ink_str_puts(&m, "unknown modifier ");
            put_quoted(&m, t->text.p, t->text.len);
            ink_str_puts(&m, " is ignored by receivers");
            if (typo != NULL) {
                ink_str_puts(&m, "; did you mean ");
                put_quoted(&m, typo, strlen(typo));
                ink_str_putc(&m, '?');
                if (c->is_root)
                    fix = add_edit(p, c->text, c->len, t->text.off, t->text.len, typo);
            }
            add_finding(p, typo != NULL ? INK_SEV_WARNING : INK_SEV_INFO,
                        INK_SPF_LINT_UNKNOWN_MOD, c->label, (long)t->text.off, t->text.len, fix,
                        ink_str_cstr(&m));
            free(fix);
            fix = NULL;
            free(typo);
            break;
        }
        default:
            fl->ok = 0; /* T_INVALID: reported from the diagnostics */
            break;
        }
        for (; before < node->nchild; before++) {
            child_lookups += node->child[before].lookups_total;
            child_voids += node->child[before].voids_total;
        }
    }

    if (first_after_all != NULL) {
        ink_str_truncate(&m, 0);
        ink_str_printf(&m, "%zu mechanism%s after '", after_all, after_all == 1 ? "" : "s");
        ink_str_put_printable(&m, all->text.p, all->text.len, LINT_QUOTE_MAX);
        ink_str_puts(&m, "' (first: ");
        put_quoted(&m, first_after_all->text.p, first_after_all->text.len);
        ink_str_puts(&m, ") are never evaluated");
        if (c->is_root) {
            /* the single fix: every mechanism after all removed */
            struct lint_edit e[LINT_EDITS_MAX];
            size_t ne = 0, k;
            int seen = 0;

            for (k = 0; k < nt && ne < LINT_EDITS_MAX; k++) {
                const struct ink_spf_term *tk = ink_spf_record_term(r, k);

                if (seen && ink_spf_kind_is_mechanism(tk->kind)) {
                    e[ne].off = tk->text.off;
                    e[ne].len = tk->text.len;
                    e[ne].text = NULL;
                    ne++;
                }
                if (tk == all)
                    seen = 1;
            }
            fix = edit_apply(c->text, c->len, e, ne);
        }
        add_finding(p, INK_SEV_WARNING, INK_SPF_LINT_AFTER_ALL, c->label,
                    (long)first_after_all->text.off, first_after_all->text.len, fix,
                    ink_str_cstr(&m));
        free(fix);
        fix = NULL;
    }

    if (redirect != NULL && all != NULL) {
        ink_str_truncate(&m, 0);
        ink_str_puts(&m, "redirect= is ignored because the record has an 'all' mechanism "
                         "(RFC 7208 6.1)");
        if (c->is_root)
            fix = add_edit(p, c->text, c->len, redirect->text.off, redirect->text.len, NULL);
        add_finding(p, INK_SEV_WARNING, INK_SPF_LINT_REDIRECT_IGNORED, c->label,
                    (long)redirect->text.off, redirect->text.len, fix, ink_str_cstr(&m));
        free(fix);
        fix = NULL;
    } else if (redirect != NULL) {
        size_t before = node->nchild;
        struct lint_flat cf = {0, 0, NULL};

        node->lookups_self++;
        follow_target(p, c, redirect, node, &cf);
        if (!cf.ok)
            fl->ok = 0;
        else if (flat_merge(fl, &cf) < 0)
            p->nomem = 1;
        flat_free(&cf);
        for (; before < node->nchild; before++) {
            child_lookups += node->child[before].lookups_total;
            child_voids += node->child[before].voids_total;
        }
    } else if (all == NULL && !c->via_include && ink_spf_record_nerrors(r) == 0) {
        ink_str_truncate(&m, 0);
        ink_str_puts(&m, "no 'all' mechanism and no redirect=: mail from unlisted hosts gets "
                         "neutral; end the record with '~all' (or '-all')");
        if (c->is_root)
            fix = append_all_fix(p, c);
        add_finding(p, INK_SEV_WARNING, INK_SPF_LINT_NO_ALL, c->label, -1, 0, fix,
                    ink_str_cstr(&m));
        free(fix);
        fix = NULL;
    }
    node->lookups_total = node->lookups_self + child_lookups;
    node->voids_total += child_voids;

    if (c->len > INK_SPF_LINT_RECORD_SAFE) {
        ink_str_truncate(&m, 0);
        ink_str_printf(&m, "the record is %zu bytes, over %d: with the DNS overhead the answer "
                           "risks exceeding 512 bytes (RFC 7208 3.4)",
                       c->len, INK_SPF_LINT_RECORD_SAFE);
        add_finding(p, INK_SEV_WARNING, INK_SPF_LINT_RECORD_LONG, c->label, -1, 0, NULL,
                    ink_str_cstr(&m));
    }
    ink_str_free(&m);
    ink_spf_record_free(r);
}

/* ---- the root ------------------------------------------------------------ */

/* describe_breakdown - where the root's lookups come from */
static void describe_breakdown(struct ink_str *m, const struct ink_spf_lint_node *root,
                               const char *rec, size_t reclen)
{
    struct ink_spf_record *r = ink_spf_record_parse((const uint8_t *)rec, reclen);
    size_t i, k, shown = 0;
    int seen_all = 0, has_all = 0;

    if (r == NULL)
        return;
    for (i = 0; i < ink_spf_record_nterms(r); i++)
        if (ink_spf_record_term(r, i)->kind == INK_SPF_T_ALL)
            has_all = 1;
    for (i = 0; i < ink_spf_record_nterms(r) && shown < LINT_BREAKDOWN_MAX; i++) {
        const struct ink_spf_term *t = ink_spf_record_term(r, i);
        unsigned cost;

        if (t->kind == INK_SPF_T_ALL)
            seen_all = 1;
        if (!ink_spf_kind_counts_lookup(t->kind) || (seen_all && t->kind != INK_SPF_T_REDIRECT) ||
            (t->kind == INK_SPF_T_REDIRECT && has_all))
            continue;
        cost = 1;
        for (k = 0; k < root->nchild; k++)
            if (root->child[k].offset == (long)t->text.off)
                cost += root->child[k].lookups_total;
        ink_str_puts(m, shown++ ? ", " : "");
        ink_str_put_printable(m, t->text.p, t->text.len, LINT_QUOTE_MAX);
        ink_str_printf(m, " %u", cost);
    }
    ink_spf_record_free(r);
}

/*
 * propose_flattening - over the lookup limit: replace the costliest
 * root-level includes whose records are fixed lists of networks by those
 * networks, until the count fits.  Sound for today's records only (the
 * ranges go stale when the provider changes them), which the message says.
 */
static void propose_flattening(struct lint_pass *p, const struct lint_ctx *c,
                               const struct ink_spf_lint_node *root)
{
    struct ink_spf_record *r = ink_spf_record_parse((const uint8_t *)c->text, c->len);
    struct lint_edit e[LINT_EDITS_MAX];
    size_t ne = 0, i, k;
    unsigned total = root->lookups_total;
    int used[LINT_EDITS_MAX] = {0};
    struct ink_str m = INK_STR_INIT;
    char *fix;

    if (r == NULL)
        return;
    /* greedy: repeatedly take the include with the largest cost */
    while (total > INK_SPF_LINT_LOOKUP_LIMIT && ne < LINT_EDITS_MAX) {
        size_t best = (size_t)-1;
        unsigned best_cost = 0;
        const struct lint_memo *best_memo = NULL;

        for (i = 0; i < ink_spf_record_nterms(r) && i < LINT_EDITS_MAX; i++) {
            const struct ink_spf_term *t = ink_spf_record_term(r, i);
            char target[INK_DNS_NAME_MAX + 2];
            const struct lint_memo *mm;

            if (used[i] || t->kind != INK_SPF_T_INCLUDE || t->qual != INK_SPF_QUAL_PASS ||
                (t->flags & INK_SPF_TF_MACRO))
                continue;
            if (ink_dns_name_normalize(t->arg.p, t->arg.len, target, sizeof(target)) <= 0)
                continue;
            mm = memo_find(p, target);
            if (mm == NULL || !mm->flat.ok || mm->flat.n == 0)
                continue;
            if (mm->lookups_total + 1 > best_cost) {
                best_cost = mm->lookups_total + 1;
                best = i;
                best_memo = mm;
            }
        }
        if (best == (size_t)-1)
            break;
        {
            const struct ink_spf_term *t = ink_spf_record_term(r, best);
            struct ink_str rep = INK_STR_INIT;

            /* networks in a stable order, whatever order DNS gave them in */
            qsort(best_memo->flat.terms, best_memo->flat.n, sizeof(char *), str_cmp);
            for (k = 0; k < best_memo->flat.n; k++) {
                if (k)
                    ink_str_putc(&rep, ' ');
                ink_str_puts(&rep, best_memo->flat.terms[k]);
            }
            e[ne].off = t->text.off;
            e[ne].len = t->text.len;
            e[ne].text = ink_str_steal(&rep);
            if (e[ne].text == NULL) {
                p->nomem = 1;
                break;
            }
            ink_str_puts(&m, ne ? ", " : "");
            put_quoted(&m, t->text.p, t->text.len);
            ink_str_printf(&m, " (%u lookups) by its %zu ip4/ip6 networks", best_cost,
                           best_memo->flat.n);
            ne++;
            used[best] = 1;
            total -= best_cost;
        }
    }
    if (total <= INK_SPF_LINT_LOOKUP_LIMIT && ne > 0) {
        struct ink_str msg = INK_STR_INIT;

        fix = edit_apply(c->text, c->len, e, ne);
        ink_str_puts(&msg, "flattening: replace ");
        ink_str_append(&msg, m.buf, m.len);
        ink_str_printf(&msg, " to bring the count to %u; these are the networks published "
                             "today: re-run the lint when the provider changes them",
                       total);
        add_finding(p, INK_SEV_INFO, INK_SPF_LINT_FLATTEN, c->label, -1, 0, fix,
                    ink_str_cstr(&msg));
        /* and into the combined fix */
        for (i = 0; i < ne; i++) {
            free(add_edit(p, c->text, c->len, e[i].off, e[i].len, e[i].text));
        }
        free(fix);
        ink_str_free(&msg);
    } else {
        add_finding(p, INK_SEV_INFO, INK_SPF_LINT_FLATTEN, c->label, -1, 0, NULL,
                    "no sound flattening found: the costly includes use a, mx, exists, ptr, "
                    "macros or non-pass qualifiers; drop includes of services you no longer "
                    "use, or move some senders to a subdomain with its own SPF record");
    }
    for (i = 0; i < ne; i++)
        free(e[i].text);
    ink_str_free(&m);
    ink_spf_record_free(r);
}

/* merge_records - one record from several SPF records at a name: their
 * mechanisms in order (duplicates dropped, every 'all' but the first
 * dropped and put last, +all and ?all made ~all), the first redirect= and exp= kept.  Caller frees. */
static char *merge_records(const struct ink_dns_answer *a)
{
    struct ink_str out = INK_STR_INIT, allt = INK_STR_INIT, mods = INK_STR_INIT;
    struct ink_str seen = INK_STR_INIT; /* "\n"-joined term texts already taken */
    size_t i, k, nv;
    int have_redirect = 0, have_exp = 0, nomem = 0;
    struct spf_rec *v = spf_records(a, &nv, &nomem);

    ink_str_puts(&out, "v=spf1");
    for (i = 0; i < nv; i++) {
        struct ink_spf_record *r = ink_spf_record_parse(v[i].text, v[i].len);

        if (r == NULL)
            goto fail;
        for (k = 0; k < ink_spf_record_nterms(r); k++) {
            const struct ink_spf_term *t = ink_spf_record_term(r, k);
            struct ink_str key = INK_STR_INIT;

            ink_str_putc(&key, '\n');
            ink_str_append(&key, t->text.p, t->text.len);
            ink_str_putc(&key, '\n');
            if (t->kind == INK_SPF_T_ALL) {
                /* the first 'all' decides, but a merge never proposes one
                 * that lets every host pass or stay neutral (pass-all,
                 * neutral-all): those become ~all */
                if (allt.len == 0 && (t->qual == INK_SPF_QUAL_PASS || t->qual == INK_SPF_QUAL_NEUTRAL))
                    ink_str_puts(&allt, "~all");
                else if (allt.len == 0)
                    ink_str_append(&allt, t->text.p, t->text.len);
            } else if (t->kind == INK_SPF_T_REDIRECT || t->kind == INK_SPF_T_EXP) {
                int *have = t->kind == INK_SPF_T_REDIRECT ? &have_redirect : &have_exp;

                if (!*have) {
                    ink_str_putc(&mods, ' ');
                    ink_str_append(&mods, t->text.p, t->text.len);
                    *have = 1;
                }
            } else if (seen.buf == NULL || strstr(seen.buf, ink_str_cstr(&key)) == NULL) {
                ink_str_putc(&out, ' ');
                ink_str_append(&out, t->text.p, t->text.len);
                ink_str_append(&seen, key.buf, key.len);
            }
            ink_str_free(&key);
        }
        ink_spf_record_free(r);
    }
    if (allt.len) {
        ink_str_putc(&out, ' ');
        ink_str_append(&out, allt.buf, allt.len);
    }
    ink_str_append(&out, mods.buf, mods.len);
    ink_str_free(&allt);
    ink_str_free(&mods);
    ink_str_free(&seen);
    spf_records_free(v, nv);
    if (nomem) {
        ink_str_free(&out);
        return NULL;
    }
    return ink_str_steal(&out);
fail:
    spf_records_free(v, nv);
    ink_str_free(&out);
    ink_str_free(&allt);
    ink_str_free(&mods);
    ink_str_free(&seen);
    return NULL;
}

/* check_sizes - strings over 255 bytes, records over 450, answers over 512 */
static void check_sizes(struct lint_pass *p, const struct lint_ctx *c,
                        const struct ink_dns_answer *txt, const struct ink_dns_rr *rr)
{
    struct ink_str m = INK_STR_INIT;
    const char *owner = c->domain; /* NULL: "@" in zone lines */
    size_t size;

    if (rr == NULL && c->len > INK_SPF_LINT_STRING_MAX) {
        char *zl = ink_spf_lint_zone_line(owner, c->text, c->len);

        ink_str_printf(&m, "the record is %zu bytes: one TXT character-string holds at most "
                           "%d, so publish it as %zu strings (they are joined without spaces): "
                           "%s",
                       c->len, INK_SPF_LINT_STRING_MAX,
                       (c->len + INK_SPF_LINT_STRING_MAX - 1) / INK_SPF_LINT_STRING_MAX,
                       zl != NULL ? zl : "");
        add_finding(p, INK_SEV_WARNING, INK_SPF_LINT_STRING_LONG, c->label, -1, 0, NULL,
                    ink_str_cstr(&m));
        free(zl);
        ink_str_truncate(&m, 0);
    }
    if (rr != NULL) {
        size_t i;

        for (i = 0; i < rr->ntxt; i++)
            if (rr->txtlen[i] > INK_SPF_LINT_STRING_MAX) {
                ink_str_printf(&m, "TXT string %zu is %zu bytes, over %d", i + 1,
                               rr->txtlen[i], INK_SPF_LINT_STRING_MAX);
                add_finding(p, INK_SEV_ERROR, INK_SPF_LINT_STRING_LONG, c->label, -1, 0,
                            NULL, ink_str_cstr(&m));
                ink_str_truncate(&m, 0);
            }
    }
    /* without a domain, size the answer for a typical 16-byte name */
    size = rr != NULL ? answer_size(owner, txt, 0)
                      : answer_size(owner != NULL ? owner : "mail.example.com", txt,
                                    rdata_size(c->len));
    if (size > INK_SPF_LINT_UDP_MAX) {
        ink_str_printf(&m, "the TXT answer for %s %s %zu bytes (%zu-byte SPF record%s), "
                           "over %d: receivers need TCP or EDNS0 to read it, and some fail",
                       owner != NULL ? owner : "the domain", rr != NULL ? "is" : "would be",
                       size, c->len,
                       txt != NULL && count_data(txt) > 1 ? " plus the other TXT records" : "",
                       INK_SPF_LINT_UDP_MAX);
        add_finding(p, INK_SEV_WARNING, INK_SPF_LINT_ANSWER_LONG, c->label, -1, 0, NULL,
                    ink_str_cstr(&m));
    }
    ink_str_free(&m);
}

/*
 * run_pass - one walk of the whole tree over the answers known so far.
 * On the final pass (nothing incomplete) its results move into l.
 */
static int run_pass(struct ink_spf_lint *l)
{
    struct lint_pass p;
    struct ink_spf_lint_node *root;
    struct lint_ctx c;
    struct lint_flat fl = {1, 0, NULL};
    const struct ink_dns_answer *txt = NULL, *spf99 = NULL;
    const struct ink_dns_rr *rr = NULL;
    uint8_t *owned = NULL;
    size_t *bounds = NULL;
    char *merged = NULL;
    struct ink_str m = INK_STR_INIT;
    const char *label = l->domain != NULL ? l->domain : "(record)";

    memset(&p, 0, sizeof(p));
    p.l = l;
    root = calloc(1, sizeof(*root));
    if (root == NULL)
        return -1;
    root->via = "root";
    root->offset = -1;
    root->status = "ok";
    root->domain = dup_cstr(l->domain != NULL ? l->domain : "");
    if (root->domain == NULL)
        p.nomem = 1;

    memset(&c, 0, sizeof(c));
    c.domain = l->domain;
    c.label = label;
    c.is_root = 1;

    if (l->domain != NULL && !l->record_mode) {
        txt = pass_lookup(&p, l->domain, INK_DNS_TXT);
        spf99 = pass_lookup(&p, l->domain, INK_DNS_SPF);
    }
    if (l->domain != NULL && spf99 != NULL && spf99->status == INK_DNS_OK &&
        count_data(spf99) > 0) {
        add_finding(&p, INK_SEV_WARNING, INK_SPF_LINT_SPF_RR, label, -1, 0, NULL,
                    "a record of the deprecated SPF RR type (99) is published: receivers "
                    "ignore it (RFC 7208 3.1); remove it and keep the TXT record");
    }
    if (l->record_mode) {
        c.text = l->given;
        c.len = l->given_len;
    } else if (txt != NULL) {
        size_t nspf = 0, first = 0;

        if (txt->status == INK_DNS_NXDOMAIN) {
            root->status = "nxdomain";
            ink_str_printf(&m, "%s does not exist (NXDOMAIN): receivers find no SPF record",
                           label);
            add_finding(&p, INK_SEV_ERROR, INK_SPF_LINT_NO_DOMAIN, label, -1, 0, NULL,
                        ink_str_cstr(&m));
        } else if (is_temp(txt)) {
            root->status = "temperror";
            ink_str_printf(&m, "the TXT lookup for %s failed (%s%s%s): receivers give temperror",
                           label, ink_dns_status_name(txt->status), txt->why ? ": " : "",
                           txt->why ? txt->why : "");
            add_finding(&p, INK_SEV_WARNING, INK_SPF_LINT_DNS_TEMP, label, -1, 0, NULL,
                        ink_str_cstr(&m));
        } else {
            struct spf_rec *v = spf_records(txt, &nspf, &p.nomem);

            if (nspf > 0)
                first = v[0].rr;
            spf_records_free(v, nspf);
            if (nspf == 0) {
                root->status = "none";
                ink_str_printf(&m, "%s publishes no SPF record (no TXT record starting with "
                                   "\"v=spf1\"): receivers give none; publish e.g. \"v=spf1 "
                                   "mx ~all\" listing your senders",
                               label);
                add_finding(&p, INK_SEV_ERROR, INK_SPF_LINT_NO_RECORD, label, -1, 0,
                            "v=spf1 mx ~all", ink_str_cstr(&m));
            } else {
                rr = &txt->rr[first];
                owned = ink_dns_rr_txt_join(rr, &c.len);
                if (owned == NULL)
                    p.nomem = 1;
                c.text = (const char *)owned;
                c.nbounds = string_bounds(rr, &bounds);
                c.bounds = bounds;
                if (nspf > 1) {
                    root->status = "permerror";
                    merged = nspf <= LINT_MERGE_MAX ? merge_records(txt) : NULL;
                    ink_str_printf(&m, "%s publishes %zu SPF records: receivers give permerror "
                                       "for every message; publish one%s; the first in byte "
                                       "order is linted below",
                                   label, nspf,
                                   merged != NULL ? " (a merge is proposed: check its 'all')" : "");
                    add_finding(&p, INK_SEV_ERROR, INK_SPF_LINT_DUPLICATE, label, -1, 0,
                                merged, ink_str_cstr(&m));
                }
            }
        }
    }

    if (c.text != NULL && !p.nomem) {
        struct ink_str pr = INK_STR_INIT;

        if (l->domain != NULL)
            p.path[p.npath++] = l->domain;
        ink_str_put_printable(&pr, c.text, c.len, INK_SPF_RECORD_MAX);
        root->record = ink_str_steal(&pr);
        check_sizes(&p, &c, txt, rr);
        walk_record(&p, &c, root, &fl);
        if (root->lookups_total > INK_SPF_LINT_LOOKUP_LIMIT) {
            ink_str_truncate(&m, 0);
            ink_str_printf(&m, "%u DNS-querying terms through the include/redirect tree, over "
                               "the limit of %d: receivers give permerror when evaluation "
                               "reaches the one past the limit (cost per term: ",
                           root->lookups_total, INK_SPF_LINT_LOOKUP_LIMIT);
            describe_breakdown(&m, root, c.text, c.len);
            ink_str_putc(&m, ')');
            add_finding(&p, INK_SEV_ERROR, INK_SPF_LINT_TOO_MANY_LOOKUPS, label, -1, 0,
                        NULL, ink_str_cstr(&m));
            propose_flattening(&p, &c, root);
        } else {
            ink_str_truncate(&m, 0);
            ink_str_printf(&m, "%u of %d DNS-querying terms used through the include/redirect "
                               "tree (worst case)",
                           root->lookups_total, INK_SPF_LINT_LOOKUP_LIMIT);
            add_finding(&p, INK_SEV_INFO, INK_SPF_LINT_LOOKUPS, label, -1, 0, NULL,
                        ink_str_cstr(&m));
        }
        if (root->voids_total > INK_SPF_LINT_VOID_LIMIT) {
            ink_str_truncate(&m, 0);
            ink_str_printf(&m, "%u void lookups (names with no records) in the tree, over the "
                               "limit of %d: receivers give permerror at the first one past the limit",
                           root->voids_total, INK_SPF_LINT_VOID_LIMIT);
            add_finding(&p, INK_SEV_ERROR, INK_SPF_LINT_TOO_MANY_VOIDS, label, -1, 0, NULL,
                        ink_str_cstr(&m));
        }
    }
    if (p.dropped > 0) {
        ink_str_truncate(&m, 0);
        ink_str_printf(&m, "%zu more findings not shown", p.dropped);
        /* the last finding kept makes room for this one */
        while (p.nf >= INK_SPF_LINT_FINDINGS_MAX)
            finding_clear(&p.f[--p.nf]);
        add_finding(&p, INK_SEV_INFO, INK_SPF_LINT_LIMIT, label, -1, 0, NULL,
                    ink_str_cstr(&m));
    }

    if (p.nomem) {
        node_free(root);
        free(root);
        free(owned);
        free(bounds);
        free(merged);
        flat_free(&fl);
        ink_str_free(&m);
        pass_release(&p);
        return -1;
    }
    if (!p.incomplete) {
        /* final: keep the results */
        l->f = p.f;
        l->nf = p.nf;
        p.f = NULL;
        p.nf = 0;
        l->tree = root;
        root = NULL;
        l->lookups = l->tree->lookups_total;
        l->voids = l->tree->voids_total;
        if (c.text != NULL) {
            l->record = ink_memdup_cstr(c.text, c.len);
            if (merged != NULL) {
                l->fixed = merged;
                merged = NULL;
            } else if (p.nedit > 0) {
                char *fx = edit_apply(c.text, c.len, p.edit, p.nedit);
                struct ink_spf_record *r;

                /* offer the combined record only if it reads cleanly */
                if (fx != NULL && (r = ink_spf_record_parse((const uint8_t *)fx, strlen(fx))) != NULL) {
                    if (ink_spf_record_nerrors(r) == 0)
                        l->fixed = fx;
                    else
                        free(fx);
                    ink_spf_record_free(r);
                } else {
                    free(fx);
                }
            }
        }
        l->done = 1;
    }
    if (root != NULL) {
        node_free(root);
        free(root);
    }
    free(owned);
    free(bounds);
    free(merged);
    flat_free(&fl);
    ink_str_free(&m);
    pass_release(&p);
    return 0;
}

/* ---- public API ---------------------------------------------------------- */

static struct ink_spf_lint *lint_alloc(const char *domain)
{
    struct ink_spf_lint *l = calloc(1, sizeof(*l));
    char norm[INK_DNS_NAME_MAX + 2];

    if (l == NULL)
        return NULL;
    if (domain != NULL) {
        if (ink_dns_name_normalize(domain, strlen(domain), norm, sizeof(norm)) <= 0 ||
            (l->domain = dup_cstr(norm)) == NULL) {
            free(l);
            return NULL;
        }
    }
    return l;
}

/* ink_spf_lint_new_domain - lint a domain's published record */
struct ink_spf_lint *ink_spf_lint_new_domain(const char *domain)
{
    if (domain == NULL)
        return NULL;
    return lint_alloc(domain);
}

/* ink_spf_lint_new_record - lint a given record text */
struct ink_spf_lint *ink_spf_lint_new_record(const char *domain, const uint8_t *rec, size_t len)
{
    struct ink_spf_lint *l = lint_alloc(domain);

    if (l == NULL)
        return NULL;
    l->record_mode = 1;
    l->given = ink_memdup_cstr(rec, len);
    l->given_len = len;
    if (l->given == NULL) {
        ink_spf_lint_free(l);
        return NULL;
    }
    return l;
}

/* ink_spf_lint_next - hand out queries, or run a pass when all are answered */
enum ink_next ink_spf_lint_next(struct ink_spf_lint *l, struct ink_query *q)
{
    size_t i;

    for (;;) {
        if (l->failed)
            return INK_NEXT_FAILED;
        if (l->done)
            return INK_NEXT_DONE;
        if (l->next_ask < l->nq) {
            struct lint_query *lq = &l->q[l->next_ask++];

            lq->asked = 1;
            q->name = lq->name;
            q->type = lq->type;
            q->token = (uint32_t)l->next_ask; /* index + 1 */
            return INK_NEXT_READY;
        }
        for (i = 0; i < l->nq; i++)
            if (l->q[i].answer == NULL)
                return INK_NEXT_WAIT;
        if (run_pass(l) < 0) {
            l->failed = 1;
            return INK_NEXT_FAILED;
        }
        /* a non-final pass registered new queries: loop to hand them out */
    }
}

/* ink_spf_lint_feed - keep a copy of the answer to a query handed out */
int ink_spf_lint_feed(struct ink_spf_lint *l, uint32_t token, const struct ink_dns_answer *a)
{
    struct lint_query *q;
    struct ink_dns_answer *copy;

    if (l->done || l->failed || token == 0 || token > l->nq)
        return -1;
    q = &l->q[token - 1];
    if (!q->asked || q->answer != NULL)
        return -1;
    if (ink_query_answer_fits(a, q->name, q->type)) {
        copy = ink_dns_answer_dup(a);
    } else {
        /* no answer, or one to another question: unknown, as a timeout */
        copy = ink_dns_answer_new(q->name, q->type, INK_DNS_TIMEOUT);
        if (copy != NULL && ink_dns_answer_set_why(copy, a == NULL ? "no answer"
                                                                   : "answer to another question") < 0) {
            ink_dns_answer_free(copy);
            copy = NULL;
        }
    }
    if (copy == NULL) {
        l->failed = 1; /* ENOMEM: the walk cannot be completed */
        return 0;
    }
    q->answer = copy;
    return 0;
}

/* machine_next / machine_feed - the driver's view of a lint */
static enum ink_next machine_next(void *self, struct ink_query *q)
{
    return ink_spf_lint_next(self, q);
}

static int machine_feed(void *self, uint32_t token, const struct ink_dns_answer *a)
{
    return ink_spf_lint_feed(self, token, a);
}

static const struct ink_machine_ops lint_machine_ops = {"spf-lint", machine_next, machine_feed};

/* ink_spf_lint_machine - the lint as a driver's machine (l stays the caller's) */
struct ink_machine ink_spf_lint_machine(struct ink_spf_lint *l)
{
    struct ink_machine m;

    m.ops = &lint_machine_ops;
    m.self = l;
    return m;
}

size_t ink_spf_lint_nfindings(const struct ink_spf_lint *l)
{
    return l->done ? l->nf : 0;
}

const struct ink_finding *ink_spf_lint_finding(const struct ink_spf_lint *l, size_t i)
{
    return l->done && i < l->nf ? &l->f[i].f : NULL;
}

const char *ink_spf_lint_finding_record(const struct ink_spf_lint *l, size_t i)
{
    return l->done && i < l->nf ? l->f[i].record : NULL;
}

const char *ink_spf_lint_record(const struct ink_spf_lint *l)
{
    return l->record;
}

const char *ink_spf_lint_domain(const struct ink_spf_lint *l)
{
    return l->domain;
}

const char *ink_spf_lint_fixed_record(const struct ink_spf_lint *l)
{
    return l->fixed;
}

unsigned ink_spf_lint_lookups(const struct ink_spf_lint *l)
{
    return l->lookups;
}

unsigned ink_spf_lint_voids(const struct ink_spf_lint *l)
{
    return l->voids;
}

const struct ink_spf_lint_node *ink_spf_lint_tree(const struct ink_spf_lint *l)
{
    return l->tree;
}

int ink_spf_lint_worst(const struct ink_spf_lint *l)
{
    int worst = -1;
    size_t i;

    for (i = 0; l->done && i < l->nf; i++)
        if ((int)l->f[i].f.severity > worst)
            worst = (int)l->f[i].f.severity;
    return worst;
}

/* ink_spf_lint_zone_line - the record as a zone-file TXT line (no TTL),
 * split into character-strings at spaces where possible: the one TXT
 * line writer (ink_zone_txt_line_flags) does the work */
char *ink_spf_lint_zone_line(const char *owner, const char *rec, size_t len)
{
    struct ink_str s = INK_STR_INIT;

    if (ink_zone_txt_line_flags(&s, owner, 0, (const uint8_t *)rec, len,
                                INK_ZONE_SPLIT_AT_SPACE | INK_ZONE_NO_TTL) < 0 ||
        s.buf == NULL) {
        ink_str_free(&s);
        return NULL;
    }
    return ink_str_steal(&s);
}

/* ink_spf_lint_free - release everything */
void ink_spf_lint_free(struct ink_spf_lint *l)
{
    size_t i;

    if (l == NULL)
        return;
    for (i = 0; i < l->nq; i++) {
        free(l->q[i].name);
        ink_dns_answer_free(l->q[i].answer);
    }
    free(l->q);
    findings_free(l->f, l->nf);
    node_free(l->tree);
    free(l->tree);
    free(l->domain);
    free(l->given);
    free(l->record);
    free(l->fixed);
    free(l);
}
