/*
 * dmarc_discover.c - DMARC policy discovery as a sans-I/O state machine:
 * the domain's own _dmarc record, else the organizational domain's (or
 * the public suffix domain's) found by the RFC 9989 section 4.10 DNS tree
 * walk, or by the Public Suffix List (RFC 7489 mode, libpsl's data); then
 * the external report destinations of the applied record
 * (draft-ietf-dmarc-aggregate-reporting "Verifying External
 * Destinations": <policy-domain>._report._dmarc.<host>).
 *
 * The machine speaks inkan/query.h: it asks one TXT query at a time
 * (next) and is fed the answer (feed); it never blocks and holds no
 * resolver.  Each query gets a fresh token, so an answer to an earlier
 * query (a stale token) is refused.
 */
#include "inkan/dmarc.h"
#include "inkan/query.h"

#include <libpsl.h>
#include <stdlib.h>
#include <string.h>

/* Room for a _dmarc / _report._dmarc query name. */
#define QNAME_MAX (INK_DNS_NAME_MAX * 2 + 32)
/* Labels a valid domain name can have (each at least one byte and a dot). */
#define LABELS_MAX (INK_DNS_NAME_MAX / 2 + 1)

enum phase { PH_WALK, PH_DESTS, PH_DONE };

struct ink_dmarc_disc {
    char domain[INK_DNS_NAME_MAX + 1];
    enum ink_dmarc_org_mode mode;
    const psl_ctx_t *psl;
    unsigned flags;
    enum phase phase;
    int asked;                   /* a query is outstanding */
    uint32_t token;              /* of the query outstanding, or the last */
    char qname[QNAME_MAX];
    /* the names to ask (suffixes of domain), in order */
    size_t ntargets, cur;
    const char *targets[INK_DMARC_WALK_QUERIES_MAX];
    char psl_org[INK_DNS_NAME_MAX + 1];
    size_t nlookups;
    struct ink_dmarc_lookup lookups[INK_DMARC_WALK_QUERIES_MAX];
    size_t ndests, dest_cur;
    struct ink_dmarc_dest dests[INK_DMARC_REPORT_HOSTS_MAX];
    char *org;                   /* organizational domain (owned) */
    char *temperror_name;        /* owned */
    struct ink_dmarc_result res;
};

/* copy_name - out = prefix + name, cut to fit outsz (callers size out for
 * the longest valid name, so nothing is cut in practice) */
static void copy_name(char *out, size_t outsz, const char *prefix, const char *name)
{
    size_t a = strlen(prefix), b = strlen(name);

    if (a >= outsz)
        a = outsz - 1;
    memcpy(out, prefix, a);
    if (b >= outsz - a)
        b = outsz - a - 1;
    memcpy(out + a, name, b);
    out[a + b] = '\0';
}

/* label_starts - offsets of each label of name; returns the count */
static size_t label_starts(const char *name, size_t *off, size_t max)
{
    size_t n = 0, i;

    if (name[0] == '\0')
        return 0;
    off[n++] = 0;
    for (i = 0; name[i] != '\0'; i++)
        if (name[i] == '.' && name[i + 1] != '\0' && n < max)
            off[n++] = i + 1;
    return n;
}

/* ink_dmarc_walk_targets - the names an RFC 9989 4.10 tree walk asks */
size_t ink_dmarc_walk_targets(const char *domain, const char **out, size_t max)
{
    size_t off[LABELS_MAX];
    size_t x = label_starts(domain, off, LABELS_MAX), i, n = 0;

    if (x == 0 || max == 0)
        return 0;
    out[n++] = domain;
    /* step 4: x < 8 drops one label; x >= 8 cuts down to 7 labels */
    i = x >= INK_DMARC_WALK_SHORTEN_AT ? x - INK_DMARC_WALK_SHORTEN_TO : 1;
    for (; i < x && n < max; i++)
        out[n++] = domain + off[i];
    return n;
}

/* ink_dmarc_disc_new - discovery for domain; caller owns */
struct ink_dmarc_disc *ink_dmarc_disc_new(const char *domain, enum ink_dmarc_org_mode mode,
                                          const void *psl, unsigned flags)
{
    struct ink_dmarc_disc *d = calloc(1, sizeof(*d));
    int len;

    if (d == NULL)
        return NULL;
    d->mode = mode;
    d->flags = flags;
    d->res.domain = d->domain;
    len = ink_dns_name_normalize(domain, strlen(domain), d->domain, sizeof(d->domain));
    if (len <= 0) {
        d->domain[0] = '\0';
        d->res.status = INK_DMARC_DISC_BADNAME;
        d->phase = PH_DONE;
        return d;
    }
    if (mode == INK_DMARC_ORG_PSL) {
        const char *reg;

        d->psl = psl != NULL ? (const psl_ctx_t *)psl : psl_builtin();
        reg = d->psl != NULL ? psl_registrable_domain(d->psl, d->domain) : NULL;
        /* a public suffix itself, or no list: the domain is its own org */
        if (reg == NULL)
            reg = d->domain;
        copy_name(d->psl_org, sizeof(d->psl_org), "", reg);
        d->targets[d->ntargets++] = d->domain;
        if (strcmp(reg, d->domain) != 0)
            d->targets[d->ntargets++] = d->psl_org;
    } else {
        d->ntargets = ink_dmarc_walk_targets(d->domain, d->targets, INK_DMARC_WALK_QUERIES_MAX);
    }
    d->phase = PH_WALK;
    return d;
}

/* ink_dmarc_disc_free - release everything */
void ink_dmarc_disc_free(struct ink_dmarc_disc *d)
{
    size_t i;

    if (d == NULL)
        return;
    for (i = 0; i < d->nlookups; i++) {
        free(d->lookups[i].domain);
        ink_dmarc_record_free(d->lookups[i].record);
        free(d->lookups[i].text);
        free(d->lookups[i].other_text);
    }
    for (i = 0; i < d->ndests; i++) {
        free(d->dests[i].host);
        free(d->dests[i].qname);
        free(d->dests[i].override_rua);
    }
    free(d->org);
    free(d->temperror_name);
    free(d);
}

/* labels - number of labels of a name */
static size_t labels(const char *name)
{
    size_t n = name[0] != '\0', i;

    for (i = 0; name[i] != '\0'; i++)
        if (name[i] == '.')
            n++;
    return n;
}

/* is_temp - a status that says nothing about whether the record exists */
static int is_temp(enum ink_dns_status st)
{
    return st == INK_DNS_SERVFAIL || st == INK_DNS_TIMEOUT;
}

/* take_walk_answer - record what one _dmarc name held (status st; a is
 * the answer, NULL when none fits the question); returns 1 to stop the
 * walk (psd=y/n, temporary error), 0 to go on, -1 on ENOMEM */
static int take_walk_answer(struct ink_dmarc_disc *d, enum ink_dns_status st,
                            const struct ink_dns_answer *a)
{
    struct ink_dmarc_lookup *l = &d->lookups[d->nlookups];
    size_t i, len, first_len = 0;
    uint8_t *text;

    memset(l, 0, sizeof(*l));
    l->domain = ink_memdup_cstr(d->targets[d->cur], strlen(d->targets[d->cur]));
    if (l->domain == NULL)
        return -1;
    l->status = st;
    d->nlookups++;
    if (is_temp(st) || a == NULL) {
        d->temperror_name = ink_memdup_cstr(d->qname, strlen(d->qname));
        return 1;
    }
    for (i = 0; a->status == INK_DNS_OK && i < a->nrr; i++) {
        if (a->rr[i].type != INK_DNS_TXT)
            continue;
        text = ink_dns_rr_txt_join(&a->rr[i], &len);
        if (text == NULL)
            return -1;
        if (!ink_dmarc_is_record(text, len)) {
            l->nother++;
            if (l->other_text == NULL)
                l->other_text = (char *)text;
            else
                free(text);
            continue;
        }
        if (++l->nrecords == 1) {
            l->text = (char *)text;
            first_len = len;
        } else {
            free(text);
        }
    }
    if (l->nrecords != 1) {
        /* none, or several: RFC 9989 4.10 step 2 discards them all */
        free(l->text);
        l->text = NULL;
        return 0;
    }
    l->record = ink_dmarc_record_parse((const uint8_t *)l->text, first_len);
    if (l->record == NULL)
        return -1;
    ink_dmarc_record_lint(l->record, l->domain);
    if (d->mode == INK_DMARC_ORG_TREEWALK &&
        (l->record->psd == INK_DMARC_PSD_YES || l->record->psd == INK_DMARC_PSD_NO))
        return 1;
    return 0;
}

/* suffix_with_labels - the suffix of domain that has n labels */
static const char *suffix_with_labels(const char *domain, size_t n)
{
    size_t off[LABELS_MAX];
    size_t x = label_starts(domain, off, LABELS_MAX);

    if (n == 0 || n > x)
        return domain;
    return domain + off[x - n];
}

/* select_org - RFC 9989 4.10.2 organizational domain selection over the
 * records the walk found (longest name first) */
static const char *select_org(struct ink_dmarc_disc *d)
{
    const char *fewest = NULL;
    size_t i;

    if (d->mode == INK_DMARC_ORG_PSL)
        return d->psl_org;
    for (i = 0; i < d->nlookups; i++) {
        const struct ink_dmarc_record *r = d->lookups[i].record;

        if (r == NULL)
            continue;
        if (r->psd == INK_DMARC_PSD_NO)
            return d->lookups[i].domain;
        if (r->psd == INK_DMARC_PSD_YES && i != 0)
            return suffix_with_labels(d->domain, labels(d->lookups[i].domain) + 1);
        fewest = d->lookups[i].domain;
    }
    return fewest != NULL ? fewest : d->domain;
}

/* is_internal - whether a report host belongs to the organizational domain */
static int is_internal(const struct ink_dmarc_disc *d, const char *host)
{
    if (d->mode == INK_DMARC_ORG_PSL && d->psl != NULL) {
        const char *reg = psl_registrable_domain(d->psl, host);

        return reg != NULL && strcmp(reg, d->org) == 0;
    }
    /* tree-walk mode: below the organizational domain counts as the same
     * organization (a destination publishing its own psd=n record is not
     * detected; see the report) */
    return ink_dns_name_is_subdomain(host, d->org);
}

/* add_dest - note a report host (deduplicated) */
static int add_dest(struct ink_dmarc_disc *d, const struct ink_dmarc_uri *u, int ruf)
{
    struct ink_dmarc_dest *t;
    size_t i;

    if (u->host == NULL)
        return 0;
    for (i = 0; i < d->ndests; i++)
        if (strcmp(d->dests[i].host, u->host) == 0) {
            if (ruf)
                d->dests[i].in_ruf = 1;
            else
                d->dests[i].in_rua = 1;
            return 0;
        }
    if (d->ndests >= INK_DMARC_REPORT_HOSTS_MAX)
        return 0;
    t = &d->dests[d->ndests];
    memset(t, 0, sizeof(*t));
    t->host = ink_memdup_cstr(u->host, strlen(u->host));
    if (t->host == NULL)
        return -1;
    d->ndests++;
    if (ruf)
        t->in_ruf = 1;
    else
        t->in_rua = 1;
    if (is_internal(d, u->host)) {
        t->status = INK_DMARC_DEST_INTERNAL;
    } else {
        struct ink_str q = INK_STR_INIT;
        char tmp[QNAME_MAX];

        if (ink_str_printf(&q, "%s._report._dmarc.%s", d->res.policy_domain, u->host) < 0) {
            ink_str_free(&q);
            return -1;
        }
        if (ink_dns_name_normalize(q.buf, q.len, tmp, sizeof(tmp)) < 0 ||
            q.len > INK_DNS_NAME_MAX) {
            t->status = INK_DMARC_DEST_TOO_LONG;
            ink_str_free(&q);
        } else {
            t->status = INK_DMARC_DEST_UNAUTHORIZED; /* until the answer says otherwise */
            t->qname = ink_str_steal(&q);
            if (t->qname == NULL)
                return -1;
        }
    }
    return 0;
}

/* finish_walk - choose org and policy; set up the destination checks */
static int finish_walk(struct ink_dmarc_disc *d)
{
    const struct ink_dmarc_lookup *pol = NULL;
    const char *org;
    size_t i;

    if (d->temperror_name != NULL) {
        d->res.temperror_name = d->temperror_name;
        if (d->nlookups == 0 || d->lookups[0].record == NULL) {
            d->res.status = INK_DMARC_DISC_TEMPERROR;
            d->phase = PH_DONE;
            return 0;
        }
        /* the domain's own record is known and applies; the failure only
         * leaves the organizational domain to what the walk saw before it */
    }
    org = select_org(d);
    d->org = ink_memdup_cstr(org, strlen(org));
    if (d->org == NULL)
        return -1;
    d->res.org_domain = d->org;
    if (d->nlookups > 0 && d->lookups[0].record != NULL) {
        pol = &d->lookups[0];
    } else {
        for (i = 0; i < d->nlookups && pol == NULL; i++)
            if (d->lookups[i].record != NULL && strcmp(d->lookups[i].domain, d->org) == 0)
                pol = &d->lookups[i];
        for (i = 0; i < d->nlookups && pol == NULL; i++)
            if (d->lookups[i].record != NULL &&
                d->lookups[i].record->psd == INK_DMARC_PSD_YES)
                pol = &d->lookups[i];
    }
    if (pol == NULL) {
        d->res.status = INK_DMARC_DISC_NONE;
        d->phase = PH_DONE;
        return 0;
    }
    d->res.status = INK_DMARC_DISC_FOUND;
    d->res.policy_domain = pol->domain;
    d->res.record = pol->record;
    d->res.record_text = pol->text;
    d->res.inherited = pol != &d->lookups[0];
    d->res.from_psd = pol->record->psd == INK_DMARC_PSD_YES && strcmp(pol->domain, d->org) != 0;
    {
        const struct ink_dmarc_record *r = pol->record;
        enum ink_dmarc_policy p = ink_dmarc_record_usable(r);

        if (!d->res.inherited || p == INK_DMARC_P_UNSET) {
            d->res.policy = p;
            d->res.np_policy = p;
        } else {
            d->res.policy = r->sp != INK_DMARC_P_UNSET ? r->sp : p;
            d->res.np_policy = r->np != INK_DMARC_P_UNSET ? r->np : d->res.policy;
        }
    }
    if (!(d->flags & INK_DMARC_DISC_NO_DESTS)) {
        for (i = 0; i < pol->record->nrua; i++)
            if (add_dest(d, &pol->record->rua[i], 0) < 0)
                return -1;
        for (i = 0; i < pol->record->nruf; i++)
            if (add_dest(d, &pol->record->ruf[i], 1) < 0)
                return -1;
    }
    d->phase = PH_DESTS;
    d->dest_cur = 0;
    return 0;
}

/* take_dest_answer - the authorization record for the current destination
 * (status st; a NULL when no answer fits the question) */
static int take_dest_answer(struct ink_dmarc_disc *d, enum ink_dns_status st,
                            const struct ink_dns_answer *a)
{
    struct ink_dmarc_dest *t = &d->dests[d->dest_cur];
    size_t i, len;
    uint8_t *text;

    if (is_temp(st) || a == NULL) {
        t->status = INK_DMARC_DEST_TEMPERROR;
        return 0;
    }
    t->status = INK_DMARC_DEST_UNAUTHORIZED;
    for (i = 0; a->status == INK_DNS_OK && i < a->nrr; i++) {
        if (a->rr[i].type != INK_DNS_TXT)
            continue;
        text = ink_dns_rr_txt_join(&a->rr[i], &len);
        if (text == NULL)
            return -1;
        if (ink_dmarc_is_record(text, len)) {
            struct ink_dmarc_record *r;

            t->status = INK_DMARC_DEST_AUTHORIZED;
            r = ink_dmarc_record_parse(text, len);
            if (r != NULL && r->nrua > 0 && t->override_rua == NULL) {
                struct ink_str s = INK_STR_INIT;
                size_t k;

                for (k = 0; k < r->nrua; k++)
                    if (ink_str_printf(&s, "%s%s", k ? "," : "", r->rua[k].uri) < 0)
                        break;
                t->override_rua = ink_str_steal(&s);
            }
            ink_dmarc_record_free(r);
        }
        free(text);
    }
    return 0;
}

/* next_dest - index of the next destination that needs a query, or ndests */
static size_t next_dest(const struct ink_dmarc_disc *d, size_t from)
{
    while (from < d->ndests && d->dests[from].qname == NULL)
        from++;
    return from;
}

/* publish - point the result at the lookups and destinations */
static void publish(struct ink_dmarc_disc *d)
{
    d->res.nlookups = d->nlookups;
    d->res.lookups = d->lookups;
    d->res.ndests = d->ndests;
    d->res.dests = d->dests;
}

/* fail_temp - out of memory: end with a temporary failure, never a wrong answer */
static void fail_temp(struct ink_dmarc_disc *d)
{
    d->res.status = INK_DMARC_DISC_TEMPERROR;
    d->res.policy_domain = NULL;
    d->res.record = NULL;
    d->res.record_text = NULL;
    d->phase = PH_DONE;
    d->asked = 0;
}

/* ask - hand out the query for name (already normalised or to be) */
static enum ink_next ask(struct ink_dmarc_disc *d, const char *prefix, const char *name,
                         struct ink_query *q)
{
    char raw[QNAME_MAX];

    copy_name(raw, sizeof(raw), prefix, name);
    /* the protocol hands out normalised names; a report host is as written */
    if (ink_dns_name_normalize(raw, strlen(raw), d->qname, sizeof(d->qname)) < 0)
        copy_name(d->qname, sizeof(d->qname), "", raw);
    d->asked = 1;
    d->token++;
    if (d->token == 0)
        d->token = 1; /* 0 is never a token */
    q->name = d->qname;
    q->type = INK_DNS_TXT;
    q->token = d->token;
    return INK_NEXT_READY;
}

/* ink_dmarc_disc_next - the next TXT query, WAIT while one is out, or DONE */
enum ink_next ink_dmarc_disc_next(struct ink_dmarc_disc *d, struct ink_query *q)
{
    if (d->asked)
        return INK_NEXT_WAIT;
    if (d->phase == PH_WALK) {
        if (d->cur >= d->ntargets) {
            if (finish_walk(d) < 0)
                fail_temp(d);
        } else {
            return ask(d, "_dmarc.", d->targets[d->cur], q);
        }
    }
    if (d->phase == PH_DESTS) {
        d->dest_cur = next_dest(d, d->dest_cur);
        if (d->dest_cur >= d->ndests)
            d->phase = PH_DONE;
        else
            return ask(d, "", d->dests[d->dest_cur].qname, q);
    }
    publish(d);
    return INK_NEXT_DONE;
}

/* ink_dmarc_disc_feed - the answer to the outstanding query */
int ink_dmarc_disc_feed(struct ink_dmarc_disc *d, uint32_t token, const struct ink_dns_answer *a)
{
    enum ink_dns_status st;
    int rc;

    if (!d->asked || token != d->token)
        return -1;
    d->asked = 0;
    if (a == NULL) {
        st = INK_DNS_TIMEOUT;
    } else if (!ink_query_answer_fits(a, d->qname, INK_DNS_TXT)) {
        st = INK_DNS_SERVFAIL; /* an answer to another question: a broken answer */
        a = NULL;
    } else {
        st = a->status;
    }
    if (d->phase == PH_WALK) {
        rc = take_walk_answer(d, st, a);
        if (rc < 0) {
            fail_temp(d);
            return 0;
        }
        d->cur++;
        /* PSL mode stops at the first record found (the domain's own) */
        if (d->mode == INK_DMARC_ORG_PSL && d->lookups[d->nlookups - 1].record != NULL)
            rc = 1;
        if (rc == 1)
            d->cur = d->ntargets;
        /* tree walk: once the domain's own record is known, the rest of the
         * walk only serves to find the organizational domain */
        return 0;
    }
    if (d->phase == PH_DESTS) {
        /* out of memory reading the authorization: say it is unknown */
        if (take_dest_answer(d, st, a) < 0)
            d->dests[d->dest_cur].status = INK_DMARC_DEST_TEMPERROR;
        d->dest_cur++;
        return 0;
    }
    return 0;
}

/* machine_next / machine_feed - discovery behind struct ink_machine */
static enum ink_next machine_next(void *self, struct ink_query *q)
{
    return ink_dmarc_disc_next(self, q);
}

static int machine_feed(void *self, uint32_t token, const struct ink_dns_answer *answer)
{
    return ink_dmarc_disc_feed(self, token, answer);
}

static const struct ink_machine_ops disc_machine_ops = {"dmarc", machine_next, machine_feed};

/* ink_dmarc_disc_machine - d for a driver; d stays the caller's */
struct ink_machine ink_dmarc_disc_machine(struct ink_dmarc_disc *d)
{
    struct ink_machine m = {&disc_machine_ops, d};

    return m;
}

/* ink_dmarc_disc_result - the outcome */
const struct ink_dmarc_result *ink_dmarc_disc_result(const struct ink_dmarc_disc *d)
{
    return &d->res;
}

const char *ink_dmarc_disc_status_name(enum ink_dmarc_disc_status s)
{
    switch (s) {
    case INK_DMARC_DISC_FOUND: return "found";
    case INK_DMARC_DISC_NONE: return "none";
    case INK_DMARC_DISC_TEMPERROR: return "temperror";
    case INK_DMARC_DISC_BADNAME:
    default: return "badname";
    }
}

const char *ink_dmarc_dest_status_name(enum ink_dmarc_dest_status s)
{
    switch (s) {
    case INK_DMARC_DEST_INTERNAL: return "internal";
    case INK_DMARC_DEST_AUTHORIZED: return "authorized";
    case INK_DMARC_DEST_UNAUTHORIZED: return "unauthorized";
    case INK_DMARC_DEST_TEMPERROR: return "temperror";
    case INK_DMARC_DEST_TOO_LONG: return "too-long";
    case INK_DMARC_DEST_NOHOST:
    default: return "nohost";
    }
}
