/*
 * provision.c - compute the record set a sender profile needs against what
 * a domain publishes now (sans-I/O: fed DNS answers), and write it as a
 * zone-file fragment, a checklist and verification expectations.
 *
 * SPF terms are merged into the one existing record by the one SPF record
 * editor (ink_spf_edit_insert), so every existing term stays exactly as
 * the customer wrote it; a second SPF record is never proposed.
 */
#include "inkan/provision.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "inkan/dmarc.h"
#include "inkan/spf.h"
#include "inkan/zonefile.h"

/* SPF records longer than this risk a truncated UDP answer (RFC 7208 3.4). */
#define PROV_SPF_SAFE_LEN 450
/* Longest "currently published" text kept for display. */
#define PROV_CURRENT_MAX 600

/* Where one query stands in the protocol (inkan/query.h). */
enum prov_qstate { PROV_Q_NEW = 0, PROV_Q_OUT, PROV_Q_FED };

struct prov_query {
    char *name;
    uint16_t type;
    enum prov_qstate state;
    struct ink_dns_answer *answer; /* fed answer (owned); NULL when none or
                                    * unusable (state tells which) */
};

/* The finding codes, each once: note() takes an index into this table, so
 * ink_provision_code() lists every code provisioning can report. */
enum prov_code {
    PC_DNS_UNREADABLE = 0,
    PC_SPF_EXISTING_INVALID,
    PC_SPF_PASS_ALL,
    PC_SPF_REDIRECT_IGNORED,
    PC_SPF_BEFORE_REDIRECT,
    PC_SPF_NO_ALL,
    PC_SPF_MULTIPLE_RECORDS,
    PC_SPF_RECORD_LONG,
    PC_SPF_TOO_MANY_LOOKUPS,
    PC_CNAME_AT_APEX,
    PC_CNAME_POINTS_ELSEWHERE,
    PC_CNAME_CONFLICT,
    PC_DKIM_SELECTOR_IN_USE,
    PC_MX_WOULD_TAKE_DOMAIN_MAIL,
    PC_MX_OTHERS_PRESENT,
    PC_MX_ON_DOMAIN,
    PC_DMARC_RUA_MISSING,
    PC_DMARC_NO_REPORTS,
    PC_DMARC_DEFAULT_RUA,
    PC_DMARC_EXTERNAL_RUA_AUTHORIZED,
    PC_DMARC_EXTERNAL_RUA_UNAUTHORIZED,
    PC_DMARC_EXTERNAL_RUA,
    PC_DMARC_STAGED_ROLLOUT,
    PC_PROFILE_NAME_CLASH,
    PC_COUNT
};

static const struct {
    const char *code;
    const char *area;
} prov_codes[PC_COUNT] = {
    [PC_DNS_UNREADABLE] = {"dns-unreadable", "provision"},
    [PC_SPF_EXISTING_INVALID] = {"spf-existing-invalid", "spf"},
    [PC_SPF_PASS_ALL] = {"spf-pass-all", "spf"},
    [PC_SPF_REDIRECT_IGNORED] = {"spf-redirect-ignored", "spf"},
    [PC_SPF_BEFORE_REDIRECT] = {"spf-before-redirect", "spf"},
    [PC_SPF_NO_ALL] = {"spf-no-all", "spf"},
    [PC_SPF_MULTIPLE_RECORDS] = {"spf-multiple-records", "spf"},
    [PC_SPF_RECORD_LONG] = {"spf-record-long", "spf"},
    [PC_SPF_TOO_MANY_LOOKUPS] = {"spf-too-many-lookups", "spf"},
    [PC_CNAME_AT_APEX] = {"cname-at-apex", "cname"},
    [PC_CNAME_POINTS_ELSEWHERE] = {"cname-points-elsewhere", "cname"},
    [PC_CNAME_CONFLICT] = {"cname-conflict", "cname"},
    [PC_DKIM_SELECTOR_IN_USE] = {"dkim-selector-in-use", "dkim"},
    [PC_MX_WOULD_TAKE_DOMAIN_MAIL] = {"mx-would-take-domain-mail", "mx"},
    [PC_MX_OTHERS_PRESENT] = {"mx-others-present", "mx"},
    [PC_MX_ON_DOMAIN] = {"mx-on-domain", "mx"},
    [PC_DMARC_RUA_MISSING] = {"dmarc-rua-missing", "dmarc"},
    [PC_DMARC_NO_REPORTS] = {"dmarc-no-reports", "dmarc"},
    [PC_DMARC_DEFAULT_RUA] = {"dmarc-default-rua", "dmarc"},
    [PC_DMARC_EXTERNAL_RUA_AUTHORIZED] = {"dmarc-external-rua-authorized", "dmarc"},
    [PC_DMARC_EXTERNAL_RUA_UNAUTHORIZED] = {"dmarc-external-rua-unauthorized", "dmarc"},
    [PC_DMARC_EXTERNAL_RUA] = {"dmarc-external-rua", "dmarc"},
    [PC_DMARC_STAGED_ROLLOUT] = {"dmarc-staged-rollout", "dmarc"},
    [PC_PROFILE_NAME_CLASH] = {"profile-name-clash", "provision"},
};

struct ink_provision {
    const struct ink_profile *prof;
    char *domain;   /* the customer's domain */
    char *sending;  /* SUB.domain or domain */
    enum ink_profile_keyalg algs[INK_PROV_ALGS_MAX];
    size_t nalgs;

    struct ink_prov_key *keys;
    size_t nkeys;

    struct prov_query q[INK_PROV_QUERIES_MAX];
    size_t nq;

    struct ink_prov_record rec[INK_PROV_RECORDS_MAX];
    size_t nrec;
    struct ink_finding findings[INK_PROV_FINDINGS_MAX];
    size_t nfindings;

    char *spf;        /* the SPF record to publish */
    char *spf_owner;  /* where */
    char *spf_terms;  /* the profile's terms, space-separated (verification) */
    int spf_at_domain_apex; /* the SPF goes at the customer's own domain */
    int computed;
    int oom;
};

/* ---- small helpers ---- */

/* xdup - copy a C string (NULL stays NULL); sets p->oom on failure */
static char *xdup(struct ink_provision *p, const char *s)
{
    char *c;

    if (s == NULL)
        return NULL;
    c = ink_memdup_cstr(s, strlen(s));
    if (c == NULL)
        p->oom = 1;
    return c;
}

/* join_name - "name.base", or base for "@"; caller frees */
static char *join_name(struct ink_provision *p, const char *name, const char *base)
{
    struct ink_str s = INK_STR_INIT;

    if (name == NULL || strcmp(name, "@") == 0)
        return xdup(p, base);
    if (ink_str_printf(&s, "%s.%s", name, base) < 0 || s.len > INK_DNS_NAME_MAX) {
        ink_str_free(&s);
        p->oom = 1;
        return NULL;
    }
    return ink_str_steal(&s);
}

/* base_of - the owner base for a profile placement */
static const char *base_of(const struct ink_provision *p, enum ink_profile_at at)
{
    return at == INK_PROFILE_AT_DOMAIN ? p->domain : p->sending;
}

/* add_query - ask (name, type) unless already asked */
static void add_query(struct ink_provision *p, const char *name, uint16_t type)
{
    size_t i;

    for (i = 0; i < p->nq; i++)
        if (p->q[i].type == type && ink_dns_name_eq(p->q[i].name, name))
            return;
    if (p->nq >= INK_PROV_QUERIES_MAX) {
        p->oom = 1;
        return;
    }
    p->q[p->nq].name = xdup(p, name);
    p->q[p->nq].type = type;
    p->q[p->nq].state = PROV_Q_NEW;
    p->q[p->nq].answer = NULL;
    p->nq++;
}

/* query_for - the query for (name, type), or NULL when never asked */
static const struct prov_query *query_for(const struct ink_provision *p, const char *name,
                                          uint16_t type)
{
    size_t i;

    for (i = 0; i < p->nq; i++)
        if (p->q[i].type == type && ink_dns_name_eq(p->q[i].name, name))
            return &p->q[i];
    return NULL;
}

/* answer_for - the usable answer fed for (name, type), or NULL */
static const struct ink_dns_answer *answer_for(const struct ink_provision *p, const char *name,
                                               uint16_t type)
{
    const struct prov_query *q = query_for(p, name, type);

    return q != NULL ? q->answer : NULL;
}

/* note - add a finding of code about subject (printf-style message;
 * subject and fix copied) */
static void note(struct ink_provision *p, enum ink_severity sev, enum prov_code code,
                 const char *subject, const char *fix, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static void note(struct ink_provision *p, enum ink_severity sev, enum prov_code code,
                 const char *subject, const char *fix, const char *fmt, ...)
{
    struct ink_str m = INK_STR_INIT;
    va_list ap;
    struct ink_finding *n;

    if (p->nfindings >= INK_PROV_FINDINGS_MAX)
        return;
    va_start(ap, fmt);
    if (ink_str_vprintf(&m, fmt, ap) < 0)
        p->oom = 1;
    va_end(ap);
    n = &p->findings[p->nfindings++];
    memset(n, 0, sizeof(*n));
    n->severity = sev;
    n->area = prov_codes[code].area;
    n->code = prov_codes[code].code;
    n->subject = xdup(p, subject);
    n->message = ink_str_steal(&m);
    n->offset = -1;
    n->fix = xdup(p, fix);
    if (n->message == NULL)
        p->oom = 1;
}

/* add_record - append a proposed record; returns it (or NULL when full) */
static struct ink_prov_record *add_record(struct ink_provision *p, const char *owner,
                                          uint16_t type, const char *value, const char *purpose,
                                          enum ink_prov_action action, enum ink_vmatch match,
                                          const char *expect)
{
    struct ink_prov_record *r;

    if (p->nrec >= INK_PROV_RECORDS_MAX) {
        p->oom = 1;
        return NULL;
    }
    r = &p->rec[p->nrec++];
    memset(r, 0, sizeof(*r));
    r->owner = xdup(p, owner);
    r->type = type;
    r->value = xdup(p, value);
    r->purpose = xdup(p, purpose);
    r->action = action;
    r->match = match;
    r->expect = xdup(p, expect ? expect : "");
    r->key = -1;
    return r;
}

/* set_current - remember what is published now (made printable, cut) */
static void set_current(struct ink_provision *p, struct ink_prov_record *r, const void *text,
                        size_t len)
{
    struct ink_str s = INK_STR_INIT;

    if (r == NULL)
        return;
    if (ink_str_put_printable(&s, text, len, PROV_CURRENT_MAX) < 0)
        p->oom = 1;
    free(r->current);
    r->current = ink_str_steal(&s);
}

/* dns_unreadable - note that a query could not be answered.  For SPF and
 * DMARC that is an error: the record proposed as new might then be a
 * second one, which breaks the first. */
static int dns_unreadable(struct ink_provision *p, const char *name, uint16_t type,
                          const char *what, enum ink_severity sev)
{
    const struct prov_query *q = query_for(p, name, type);
    const struct ink_dns_answer *a = q != NULL ? q->answer : NULL;

    if (a != NULL && (a->status == INK_DNS_OK || a->status == INK_DNS_NODATA ||
                      a->status == INK_DNS_NXDOMAIN))
        return 0;
    note(p, sev, PC_DNS_UNREADABLE, name, NULL,
         "could not read the %s at %s (%s): the records below assume there is none; check "
         "before publishing%s",
         what, name,
         a != NULL                              ? ink_dns_status_name(a->status)
         : q != NULL && q->state == PROV_Q_FED ? "no answer"
                                                : "not looked up",
         sev == INK_SEV_ERROR ? " (a second record of this kind would break the first)" : "");
    return 1;
}

/* ---- construction ---- */

/* ink_provision_new - set up the names, keys and queries for a profile */
struct ink_provision *ink_provision_new(const struct ink_profile *profile, const char *domain,
                                        const char *subdomain,
                                        const enum ink_profile_keyalg *algs, size_t nalgs,
                                        struct ink_str *err)
{
    struct ink_provision *p;
    char buf[INK_DNS_NAME_MAX + 2], sbuf[INK_DNS_NAME_MAX + 2];
    int len;
    size_t i, j;
    const char *sub = subdomain != NULL ? subdomain : profile->subdomain;

    len = ink_dns_name_normalize(domain, strlen(domain), buf, sizeof(buf));
    if (len <= 0 || strchr(buf, '.') == NULL) {
        struct ink_str shown = INK_STR_INIT;
        ink_str_put_printable(&shown, domain, strlen(domain), 80);
        ink_str_printf(err, "'%s' is not a domain name", ink_str_cstr(&shown));
        ink_str_free(&shown);
        return NULL;
    }
    /* a top-level label of digits only is no domain (RFC 3696 section 2):
     * "192.0.2.1" is an address typed where the domain goes */
    {
        const char *top = strrchr(buf, '.') + 1; /* normalized: no trailing dot */

        if (top[strspn(top, "0123456789")] == '\0') {
            struct ink_str shown = INK_STR_INIT;
            ink_str_put_printable(&shown, domain, strlen(domain), 80);
            ink_str_printf(err, "'%s' is an IP address or ends in a numeric label, not a "
                           "domain name", ink_str_cstr(&shown));
            ink_str_free(&shown);
            return NULL;
        }
    }
    if (sub != NULL && (sub[0] == '\0' || strcmp(sub, "@") == 0))
        sub = NULL;
    if (sub != NULL && (ink_dns_name_normalize(sub, strlen(sub), sbuf, sizeof(sbuf)) <= 0 ||
                        sub[strlen(sub) - 1] == '.')) {
        struct ink_str shown = INK_STR_INIT;
        ink_str_put_printable(&shown, sub, strlen(sub), 80);
        ink_str_printf(err, "'%s' is not a subdomain label", ink_str_cstr(&shown));
        ink_str_free(&shown);
        return NULL;
    }
    if (nalgs > INK_PROV_ALGS_MAX) {
        ink_str_printf(err, "at most %d DKIM key algorithms", INK_PROV_ALGS_MAX);
        return NULL;
    }
    p = calloc(1, sizeof(*p));
    if (p == NULL) {
        ink_str_puts(err, "out of memory");
        return NULL;
    }
    p->prof = profile;
    p->domain = xdup(p, buf);
    if (sub != NULL) {
        p->sending = join_name(p, sbuf, buf);
        if (p->sending == NULL || strlen(p->sending) > INK_DNS_NAME_MAX) {
            ink_str_puts(err, "the sending domain name is too long");
            ink_provision_free(p);
            return NULL;
        }
    } else
        p->sending = xdup(p, buf);
    /* every owner name the profile places under the domain must fit in a
     * domain name (RFC 1035 2.3.4): say which does not, before computing */
    if (p->sending != NULL) {
        const char *toolong = NULL;
        size_t k;

        for (k = 0; toolong == NULL && k < profile->n_dkim; k++)
            if (strlen(profile->dkim[k].selector) + strlen("._domainkey.") +
                    strlen(base_of(p, profile->dkim[k].at)) > INK_DNS_NAME_MAX)
                toolong = profile->dkim[k].selector;
        for (k = 0; toolong == NULL && k < profile->n_cname; k++)
            if (strcmp(profile->cname[k].name, "@") != 0 &&
                strlen(profile->cname[k].name) + 1 + strlen(base_of(p, profile->cname[k].at)) >
                    INK_DNS_NAME_MAX)
                toolong = profile->cname[k].name;
        if (toolong == NULL && profile->mx_name != NULL && strcmp(profile->mx_name, "@") != 0 &&
            strlen(profile->mx_name) + 1 + strlen(base_of(p, profile->mx_at)) > INK_DNS_NAME_MAX)
            toolong = profile->mx_name;
        if (toolong != NULL) {
            struct ink_str shown = INK_STR_INIT;

            ink_str_put_printable(&shown, toolong, strlen(toolong), 64);
            ink_str_printf(err, "'%s' under %s makes a name longer than %d bytes",
                           ink_str_cstr(&shown), p->domain ? p->domain : "the domain",
                           INK_DNS_NAME_MAX);
            ink_str_free(&shown);
            ink_provision_free(p);
            return NULL;
        }
    }
    for (i = 0; i < nalgs; i++)
        p->algs[i] = algs[i];
    p->nalgs = nalgs;
    if (p->nalgs == 0) {
        p->algs[0] = INK_PROFILE_KEY_RSA2048;
        p->nalgs = 1;
    }

    /* keys to generate */
    p->keys = calloc(profile->n_dkim * INK_PROV_ALGS_MAX + 1, sizeof(*p->keys));
    if (p->keys == NULL)
        p->oom = 1;
    for (i = 0; !p->oom && i < profile->n_dkim; i++) {
        const struct ink_profile_dkim *d = &profile->dkim[i];
        const char *base = base_of(p, d->at);
        if (d->cname != NULL)
            continue;
        for (j = 0; j < (d->alg == INK_PROFILE_KEY_DEFAULT ? p->nalgs : 1); j++) {
            struct ink_prov_key *k = &p->keys[p->nkeys++];
            struct ink_str sel = INK_STR_INIT, owner = INK_STR_INIT;
            k->alg = d->alg == INK_PROFILE_KEY_DEFAULT ? p->algs[j] : d->alg;
            if (d->alg == INK_PROFILE_KEY_DEFAULT && p->nalgs > 1)
                ink_str_printf(&sel, "%s-%s", d->selector, ink_profile_keyalg_name(k->alg));
            else
                ink_str_puts(&sel, d->selector);
            ink_str_printf(&owner, "%s._domainkey.%s", ink_str_cstr(&sel), base);
            k->selector = ink_str_steal(&sel);
            k->owner = ink_str_steal(&owner);
            if (k->selector == NULL || k->owner == NULL)
                p->oom = 1;
        }
    }

    /* queries: SPF, DMARC, DKIM, CNAME owners, MX */
    if (profile->n_include + profile->n_ip4 + profile->n_ip6 > 0) {
        p->spf_owner = xdup(p, base_of(p, profile->spf_at));
        if (p->spf_owner != NULL)
            add_query(p, p->spf_owner, INK_DNS_TXT);
        p->spf_at_domain_apex = p->spf_owner && strcmp(p->spf_owner, p->domain) == 0;
    }
    {
        struct ink_str d1 = INK_STR_INIT, d2 = INK_STR_INIT;
        ink_str_printf(&d1, "_dmarc.%s", p->sending);
        ink_str_printf(&d2, "_dmarc.%s", p->domain);
        add_query(p, ink_str_cstr(&d1), INK_DNS_TXT);
        add_query(p, ink_str_cstr(&d2), INK_DNS_TXT);
        ink_str_free(&d1);
        ink_str_free(&d2);
    }
    for (i = 0; i < profile->n_rua; i++) {
        /* an outside report address needs the receiver's authorization */
        const char *host = strrchr(profile->rua[i], '@');
        if (host != NULL && !ink_dns_name_is_subdomain(host + 1, p->domain)) {
            struct ink_str q = INK_STR_INIT;
            ink_str_printf(&q, "%s._report._dmarc.%s", p->domain, host + 1);
            if (q.len <= INK_DNS_NAME_MAX)
                add_query(p, ink_str_cstr(&q), INK_DNS_TXT);
            ink_str_free(&q);
        }
    }
    for (i = 0; i < p->nkeys; i++)
        add_query(p, p->keys[i].owner, INK_DNS_TXT);
    for (i = 0; i < profile->n_dkim; i++) {
        const struct ink_profile_dkim *d = &profile->dkim[i];
        struct ink_str owner = INK_STR_INIT;
        if (d->cname == NULL)
            continue;
        ink_str_printf(&owner, "%s._domainkey.%s", d->selector, base_of(p, d->at));
        add_query(p, ink_str_cstr(&owner), INK_DNS_CNAME);
        add_query(p, ink_str_cstr(&owner), INK_DNS_TXT);
        ink_str_free(&owner);
    }
    for (i = 0; i < profile->n_cname; i++) {
        char *owner = join_name(p, profile->cname[i].name, base_of(p, profile->cname[i].at));
        if (owner == NULL)
            continue;
        add_query(p, owner, INK_DNS_CNAME);
        add_query(p, owner, INK_DNS_A);
        add_query(p, owner, INK_DNS_TXT);
        add_query(p, owner, INK_DNS_MX);
        free(owner);
    }
    if (profile->n_mx > 0) {
        char *owner = join_name(p, profile->mx_name, base_of(p, profile->mx_at));
        if (owner != NULL) {
            add_query(p, owner, INK_DNS_MX);
            add_query(p, owner, INK_DNS_CNAME);
        }
        free(owner);
    }
    if (p->oom) {
        ink_str_puts(err, "out of memory");
        ink_provision_free(p);
        return NULL;
    }
    return p;
}

/* ink_provision_free - release everything */
void ink_provision_free(struct ink_provision *p)
{
    size_t i;

    if (p == NULL)
        return;
    for (i = 0; i < p->nq; i++) {
        free(p->q[i].name);
        ink_dns_answer_free(p->q[i].answer);
    }
    for (i = 0; p->keys != NULL && i < p->nkeys; i++) {
        free(p->keys[i].selector);
        free(p->keys[i].owner);
        free(p->keys[i].record);
    }
    free(p->keys);
    for (i = 0; i < p->nrec; i++) {
        free(p->rec[i].owner);
        free(p->rec[i].value);
        free(p->rec[i].purpose);
        free(p->rec[i].current);
        free(p->rec[i].expect);
    }
    for (i = 0; i < p->nfindings; i++)
        ink_finding_clear(&p->findings[i]);
    free(p->spf);
    free(p->spf_owner);
    free(p->spf_terms);
    free(p->domain);
    free(p->sending);
    free(p);
}

const char *ink_provision_domain(const struct ink_provision *p) { return p->domain; }
const char *ink_provision_sending_domain(const struct ink_provision *p) { return p->sending; }
size_t ink_provision_nkeys(const struct ink_provision *p) { return p->nkeys; }

/* ink_provision_key - the i-th key to generate */
const struct ink_prov_key *ink_provision_key(const struct ink_provision *p, size_t i)
{
    return i < p->nkeys ? &p->keys[i] : NULL;
}

/* ink_provision_set_key - the generated key's public record text */
int ink_provision_set_key(struct ink_provision *p, size_t i, const char *record)
{
    char *c;

    if (i >= p->nkeys || record == NULL)
        return -1;
    c = ink_memdup_cstr(record, strlen(record));
    if (c == NULL)
        return -1;
    free(p->keys[i].record);
    p->keys[i].record = c;
    return 0;
}

/* ink_provision_next - hand out every query at once, then wait for them */
enum ink_next ink_provision_next(struct ink_provision *p, struct ink_query *q)
{
    size_t i;
    int out = 0;

    if (p->oom)
        return INK_NEXT_FAILED;
    for (i = 0; i < p->nq; i++) {
        if (p->q[i].state == PROV_Q_NEW) {
            p->q[i].state = PROV_Q_OUT;
            q->name = p->q[i].name;
            q->type = p->q[i].type;
            q->token = (uint32_t)(i + 1); /* 0 is never a token */
            return INK_NEXT_READY;
        }
        if (p->q[i].state == PROV_Q_OUT)
            out = 1;
    }
    return out ? INK_NEXT_WAIT : INK_NEXT_DONE;
}

/* ink_provision_feed - keep a copy of the answer to an outstanding query;
 * NULL or an answer to another question leaves it unread */
int ink_provision_feed(struct ink_provision *p, uint32_t token, const struct ink_dns_answer *a)
{
    struct prov_query *q;

    if (token == 0 || token > p->nq || p->q[token - 1].state != PROV_Q_OUT)
        return -1;
    q = &p->q[token - 1];
    q->state = PROV_Q_FED;
    if (a == NULL || !ink_query_answer_fits(a, q->name, q->type))
        return 0;
    q->answer = ink_dns_answer_dup(a);
    if (q->answer == NULL)
        p->oom = 1; /* next() says FAILED */
    return 0;
}

/* machine_next / machine_feed - the table's entries */
static enum ink_next machine_next(void *self, struct ink_query *q)
{
    return ink_provision_next(self, q);
}

static int machine_feed(void *self, uint32_t token, const struct ink_dns_answer *a)
{
    return ink_provision_feed(self, token, a);
}

static const struct ink_machine_ops provision_ops = {"provision", machine_next, machine_feed};

/* ink_provision_machine - p as the driver sees it (p stays the caller's) */
struct ink_machine ink_provision_machine(struct ink_provision *p)
{
    struct ink_machine m = {&provision_ops, p};

    return m;
}

/* ---- SPF ---- */

/* spf_range_covered - does an existing ip4/ip6 term cover "ADDR[/LEN]" */
static int spf_range_covered(const struct ink_spf_term *t, const char *range)
{
    int fam;
    uint8_t addr[16];
    const char *slash = strchr(range, '/');
    unsigned len, have, i;

    if (ink_ip_parse(range, slash ? (size_t)(slash - range) : strlen(range), &fam, addr) < 0)
        return 0;
    if ((fam == 4) != (t->kind == INK_SPF_T_IP4))
        return 0;
    len = slash ? (unsigned)strtoul(slash + 1, NULL, 10) : (fam == 4 ? 32u : 128u);
    have = fam == 4 ? t->cidr4 : t->cidr6;
    if (have > len)
        return 0;
    for (i = 0; i < have; i++) {
        unsigned byte = i / 8, bit = 7 - i % 8;
        if (((addr[byte] >> bit) & 1) != ((t->addr[byte] >> bit) & 1))
            return 0;
    }
    return 1;
}

/* spf_term_present - is the profile term ("include:x", "ip4:r") in rec */
static int spf_term_present(const struct ink_spf_record *rec, const char *term)
{
    size_t i, n = ink_spf_record_nterms(rec);
    int is_inc = strncmp(term, "include:", 8) == 0;
    const char *arg = strchr(term, ':') + 1;

    for (i = 0; i < n; i++) {
        const struct ink_spf_term *t = ink_spf_record_term(rec, i);
        if (t->qual != INK_SPF_QUAL_PASS)
            continue;
        if (is_inc && t->kind == INK_SPF_T_INCLUDE && t->arg.len == strlen(arg) &&
            strncasecmp(t->arg.p, arg, t->arg.len) == 0)
            return 1;
        if (!is_inc && (t->kind == INK_SPF_T_IP4 || t->kind == INK_SPF_T_IP6) &&
            spf_range_covered(t, arg))
            return 1;
    }
    return 0;
}

/* compute_spf - merge the profile's terms into the sending domain's record */
static void compute_spf(struct ink_provision *p)
{
    const struct ink_profile *pr = p->prof;
    const struct ink_dns_answer *a;
    struct ink_str terms = INK_STR_INIT, add = INK_STR_INIT, out = INK_STR_INIT;
    struct ink_spf_record *recs[INK_PROV_RECORDS_MAX];
    size_t nspf = 0, i;
    struct ink_prov_record *r;

    if (p->spf_owner == NULL)
        return;
    for (i = 0; i < pr->n_include; i++)
        ink_str_printf(&terms, "%sinclude:%s", terms.len ? " " : "", pr->include[i]);
    for (i = 0; i < pr->n_ip4; i++)
        ink_str_printf(&terms, "%sip4:%s", terms.len ? " " : "", pr->ip4[i]);
    for (i = 0; i < pr->n_ip6; i++)
        ink_str_printf(&terms, "%sip6:%s", terms.len ? " " : "", pr->ip6[i]);
    p->spf_terms = xdup(p, ink_str_cstr(&terms));

    a = answer_for(p, p->spf_owner, INK_DNS_TXT);
    dns_unreadable(p, p->spf_owner, INK_DNS_TXT, "SPF record", INK_SEV_ERROR);
    for (i = 0; a != NULL && i < a->nrr && nspf < INK_PROV_RECORDS_MAX; i++) {
        size_t len;
        uint8_t *text;
        if (a->rr[i].type != INK_DNS_TXT)
            continue;
        text = ink_dns_rr_txt_join(&a->rr[i], &len);
        if (text == NULL) {
            p->oom = 1;
            continue;
        }
        if (ink_spf_record_is_spf(text, len)) {
            recs[nspf] = ink_spf_record_parse(text, len);
            if (recs[nspf] == NULL)
                p->oom = 1;
            else
                nspf++;
        }
        free(text);
    }

    if (nspf == 0) {
        ink_str_printf(&out, "v=spf1 %s %s", ink_str_cstr(&terms), pr->spf_all);
        p->spf = xdup(p, ink_str_cstr(&out));
        add_record(p, p->spf_owner, INK_DNS_TXT, p->spf, "spf", INK_PROV_ADD, INK_VMATCH_SPF,
                   p->spf_terms);
        goto done;
    }

    /* merge into the first record; the others must go */
    {
        const struct ink_spf_record *rec = recs[0];
        size_t tlen, nterms = ink_spf_record_nterms(rec);
        const char *text = ink_spf_record_text(rec, &tlen);
        const char *tp = ink_str_cstr(&terms);
        int before_all = 0, has_redirect = ink_spf_record_redirect(rec) != NULL, allq = -1;

        while (*tp != '\0') {
            size_t l = strcspn(tp, " ");
            char *one = ink_memdup_cstr(tp, l);
            if (one == NULL)
                p->oom = 1;
            else if (!spf_term_present(rec, one))
                ink_str_printf(&add, "%s%s", add.len ? " " : "", one);
            free(one);
            tp += l;
            while (*tp == ' ')
                tp++;
        }
        for (i = 0; i < nterms; i++) {
            const struct ink_spf_term *t = ink_spf_record_term(rec, i);
            if (t->kind == INK_SPF_T_ALL) {
                before_all = 1;
                allq = (int)t->qual;
                break;
            }
        }
        if (ink_spf_record_nerrors(rec) > 0) {
            const struct ink_spf_diag *dg = ink_spf_record_error(rec, 0);
            note(p, INK_SEV_ERROR, PC_SPF_EXISTING_INVALID, p->spf_owner, NULL,
                 "the SPF record at %s is broken already (%s at column %zu): receivers "
                 "ignore it (permerror) until it is fixed",
                 p->spf_owner, dg->reason, dg->off + 1);
        }
        if (allq == INK_SPF_QUAL_PASS)
            note(p, INK_SEV_ERROR, PC_SPF_PASS_ALL, p->spf_owner, NULL,
                 "the SPF record at %s ends in +all, which lets anyone send as the domain: "
                 "change it to ~all or -all",
                 p->spf_owner);
        if (before_all && has_redirect)
            note(p, INK_SEV_WARNING, PC_SPF_REDIRECT_IGNORED, p->spf_owner, NULL,
                 "the SPF record at %s has both 'all' and 'redirect=': the redirect is never used",
                 p->spf_owner);
        if (add.len == 0) {
            p->spf = xdup(p, text);
            r = add_record(p, p->spf_owner, INK_DNS_TXT, text, "spf", INK_PROV_KEEP,
                           INK_VMATCH_SPF, p->spf_terms);
            set_current(p, r, text, tlen);
        } else {
            /* the one SPF editor: the terms go before 'all' or 'redirect='
             * (so they are evaluated), every existing term kept as written */
            char *merged = NULL;
            int erc = ink_spf_edit_insert(text, tlen, ink_str_cstr(&add), &merged);
            if (erc == INK_SPF_EDIT_NOMEM)
                p->oom = 1;
            else if (erc != INK_SPF_EDIT_OK) {
                /* the editor refuses a record it cannot edit safely: then
                 * the record is replaced by one of the profile's terms */
                note(p, INK_SEV_ERROR, PC_SPF_EXISTING_INVALID, p->spf_owner, NULL,
                     "the SPF record at %s cannot be edited as it stands: the record below "
                     "replaces it; carry over any of its terms still needed",
                     p->spf_owner);
                ink_str_printf(&out, "v=spf1 %s %s", ink_str_cstr(&terms), pr->spf_all);
                merged = xdup(p, ink_str_cstr(&out));
            }
            p->spf = merged;
            r = add_record(p, p->spf_owner, INK_DNS_TXT, p->spf, "spf", INK_PROV_CHANGE,
                           INK_VMATCH_SPF, p->spf_terms);
            set_current(p, r, text, tlen);
            if (!before_all && has_redirect)
                note(p, INK_SEV_INFO, PC_SPF_BEFORE_REDIRECT, p->spf_owner, NULL,
                     "the SPF record at %s ends in redirect=: the new terms are placed before it, "
                     "so they are checked first",
                     p->spf_owner);
            else if (!before_all)
                note(p, INK_SEV_WARNING, PC_SPF_NO_ALL, p->spf_owner, NULL,
                     "the SPF record at %s has no 'all' term: mail from other servers gets a "
                     "neutral result; consider ending it with ~all",
                     p->spf_owner);
        }
        for (i = 1; i < nspf; i++) {
            size_t l;
            const char *t2 = ink_spf_record_text(recs[i], &l);
            r = add_record(p, p->spf_owner, INK_DNS_TXT, t2, "spf-duplicate", INK_PROV_REMOVE,
                           INK_VMATCH_TXT, t2);
            set_current(p, r, t2, l);
        }
        if (nspf > 1)
            note(p, INK_SEV_ERROR, PC_SPF_MULTIPLE_RECORDS, p->spf_owner, NULL,
                 "%zu SPF records are published at %s: receivers treat that as an error "
                 "(permerror), so SPF fails for every sender.  Keep the merged record and "
                 "remove the others (move any of their terms you still need into it)",
                 nspf, p->spf_owner);
    }
done:
    if (p->spf != NULL && strlen(p->spf) > PROV_SPF_SAFE_LEN)
        note(p, INK_SEV_WARNING, PC_SPF_RECORD_LONG, p->spf_owner, NULL,
             "the SPF record at %s is %zu bytes: above %d bytes a DNS answer may not fit one "
             "UDP packet (RFC 7208 3.4)",
             p->spf_owner, strlen(p->spf), PROV_SPF_SAFE_LEN);
    if (p->spf != NULL) {
        struct ink_spf_record *m = ink_spf_record_parse((const uint8_t *)p->spf, strlen(p->spf));
        unsigned n = 0;
        for (i = 0; m != NULL && i < ink_spf_record_nterms(m); i++)
            if (ink_spf_kind_counts_lookup(ink_spf_record_term(m, i)->kind))
                n++;
        if (n > INK_SPF_DNS_LOOKUP_MAX)
            note(p, INK_SEV_ERROR, PC_SPF_TOO_MANY_LOOKUPS, p->spf_owner, NULL,
                 "the merged SPF record at %s has %u lookup terms on its own, over the limit "
                 "of %d: receivers will fail it (permerror)",
                 p->spf_owner, n, INK_SPF_DNS_LOOKUP_MAX);
        ink_spf_record_free(m);
    }
    for (i = 0; i < nspf; i++)
        ink_spf_record_free(recs[i]);
    ink_str_free(&terms);
    ink_str_free(&add);
    ink_str_free(&out);
}

/* ---- CNAMEs, DKIM, MX, DMARC ---- */

/* other_data - does owner hold records other than a CNAME (A, TXT, MX) */
static int other_data(const struct ink_provision *p, const char *owner)
{
    static const uint16_t types[] = {INK_DNS_A, INK_DNS_TXT, INK_DNS_MX};
    size_t i, j;

    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        const struct ink_dns_answer *a = answer_for(p, owner, types[i]);
        for (j = 0; a != NULL && a->status == INK_DNS_OK && j < a->nrr; j++)
            if (a->rr[j].type == types[i] && a->rr[j].owner &&
                ink_dns_name_eq(a->rr[j].owner, owner))
                return 1;
    }
    return 0;
}

/* beside_unreadable - say so when a lookup that would show records
 * standing in the way of a CNAME at owner (A, TXT, MX; only those that
 * were asked) could not be read: the CNAME is then proposed blind.
 * Returns how many could not be read. */
static int beside_unreadable(struct ink_provision *p, const char *owner)
{
    static const uint16_t types[] = {INK_DNS_A, INK_DNS_TXT, INK_DNS_MX};
    static const char *const what[] = {"address records (beside the CNAME)",
                                       "TXT records (beside the CNAME)",
                                       "MX records (beside the CNAME)"};
    size_t i;
    int n = 0;

    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (query_for(p, owner, types[i]) != NULL)
            n += dns_unreadable(p, owner, types[i], what[i], INK_SEV_WARNING);
    return n;
}

/* compute_cname - one CNAME the profile needs */
static void compute_cname(struct ink_provision *p, const char *owner, const char *target,
                          const char *purpose)
{
    const struct ink_dns_answer *a = answer_for(p, owner, INK_DNS_CNAME);
    const char *cur = NULL;
    size_t i;
    struct ink_prov_record *r;

    if (strcmp(owner, p->domain) == 0) {
        note(p, INK_SEV_ERROR, PC_CNAME_AT_APEX, owner, NULL,
             "the profile puts the %s CNAME at %s itself, which cannot hold a CNAME (it has "
             "SOA and NS records): use a sending subdomain (--subdomain)",
             purpose, owner);
        return;
    }
    dns_unreadable(p, owner, INK_DNS_CNAME, "CNAME", INK_SEV_WARNING);
    for (i = 0; a != NULL && i < a->nrr; i++)
        if (a->rr[i].type == INK_DNS_CNAME && a->rr[i].owner &&
            ink_dns_name_eq(a->rr[i].owner, owner))
            cur = a->rr[i].name;
    if (cur != NULL && ink_dns_name_eq(cur, target)) {
        r = add_record(p, owner, INK_DNS_CNAME, target, purpose, INK_PROV_KEEP, INK_VMATCH_CNAME,
                       target);
        set_current(p, r, cur, strlen(cur));
        return;
    }
    r = add_record(p, owner, INK_DNS_CNAME, target, purpose,
                   cur != NULL ? INK_PROV_CHANGE : INK_PROV_ADD, INK_VMATCH_CNAME, target);
    if (cur != NULL) {
        set_current(p, r, cur, strlen(cur));
        note(p, INK_SEV_WARNING, PC_CNAME_POINTS_ELSEWHERE, owner, NULL,
             "%s is a CNAME to %s now; for %s it must point to %s (whatever uses the old "
             "target stops working there)",
             owner, r ? r->current : cur, purpose, target);
    } else if (!beside_unreadable(p, owner) && other_data(p, owner))
        note(p, INK_SEV_ERROR, PC_CNAME_CONFLICT, owner, NULL,
             "%s already holds other records (A, TXT or MX): a CNAME cannot sit beside them. "
             "Remove them or choose another name for %s",
             owner, purpose);
}

/* compute_dkim - keys (TXT) and platform-hosted selectors (CNAME) */
static void compute_dkim(struct ink_provision *p)
{
    size_t i, j;

    for (i = 0; i < p->nkeys; i++) {
        const struct ink_prov_key *k = &p->keys[i];
        const struct ink_dns_answer *a = answer_for(p, k->owner, INK_DNS_TXT);
        struct ink_prov_record *r;
        const char *value = k->record ? k->record : "v=DKIM1; p=(generated by inkan provision)";
        uint8_t *cur = NULL;
        size_t curlen = 0;

        dns_unreadable(p, k->owner, INK_DNS_TXT, "DKIM key", INK_SEV_WARNING);
        for (j = 0; a != NULL && j < a->nrr && cur == NULL; j++)
            if (a->rr[j].type == INK_DNS_TXT)
                cur = ink_dns_rr_txt_join(&a->rr[j], &curlen);
        r = add_record(p, k->owner, INK_DNS_TXT, value, "dkim",
                       cur != NULL ? INK_PROV_CHANGE : INK_PROV_ADD, INK_VMATCH_DKIM,
                       k->record ? k->record : "");
        if (r != NULL)
            r->key = (long)i;
        if (cur != NULL) {
            set_current(p, r, cur, curlen);
            note(p, INK_SEV_WARNING, PC_DKIM_SELECTOR_IN_USE, k->owner, NULL,
                 "a record is already published at %s: replacing it breaks DKIM for mail "
                 "still signed with the old key; a fresh selector name is safer",
                 k->owner);
        }
        free(cur);
    }
    for (i = 0; i < p->prof->n_dkim; i++) {
        const struct ink_profile_dkim *d = &p->prof->dkim[i];
        struct ink_str owner = INK_STR_INIT;
        if (d->cname == NULL)
            continue;
        ink_str_printf(&owner, "%s._domainkey.%s", d->selector, base_of(p, d->at));
        compute_cname(p, ink_str_cstr(&owner), d->cname, "dkim");
        ink_str_free(&owner);
    }
}

/* compute_mx - MX for the sending (sub)domain */
static void compute_mx(struct ink_provision *p)
{
    const struct ink_profile *pr = p->prof;
    char *owner;
    const struct ink_dns_answer *a;
    size_t i, j, nother = 0;

    if (pr->n_mx == 0)
        return;
    owner = join_name(p, pr->mx_name, base_of(p, pr->mx_at));
    if (owner == NULL)
        return;
    a = answer_for(p, owner, INK_DNS_MX);
    dns_unreadable(p, owner, INK_DNS_MX, "MX records", INK_SEV_WARNING);
    for (j = 0; a != NULL && j < a->nrr; j++) {
        int ours = 0;
        if (a->rr[j].type != INK_DNS_MX || a->rr[j].name == NULL)
            continue;
        for (i = 0; i < pr->n_mx; i++)
            if (ink_dns_name_eq(a->rr[j].name, pr->mx[i].exchange))
                ours = 1;
        if (!ours)
            nother++;
    }
    for (i = 0; i < pr->n_mx; i++) {
        struct ink_str v = INK_STR_INIT;
        int present = 0;
        struct ink_prov_record *r;
        for (j = 0; a != NULL && j < a->nrr; j++)
            if (a->rr[j].type == INK_DNS_MX && a->rr[j].name &&
                ink_dns_name_eq(a->rr[j].name, pr->mx[i].exchange))
                present = 1;
        ink_str_printf(&v, "%u %s", (unsigned)pr->mx[i].preference, pr->mx[i].exchange);
        r = add_record(p, owner, INK_DNS_MX, pr->mx[i].exchange, "mx",
                       present ? INK_PROV_KEEP : INK_PROV_ADD, INK_VMATCH_MX, ink_str_cstr(&v));
        if (r != NULL)
            r->pref = pr->mx[i].preference;
        ink_str_free(&v);
    }
    if (nother > 0 && strcmp(owner, p->domain) == 0)
        note(p, INK_SEV_ERROR, PC_MX_WOULD_TAKE_DOMAIN_MAIL, owner, NULL,
             "%s already receives mail through %zu other MX host(s): adding the platform's MX "
             "there would send part of the company's mail to the platform.  Use a sending "
             "subdomain (--subdomain) for the platform's MX",
             owner, nother);
    else if (nother > 0)
        note(p, INK_SEV_WARNING, PC_MX_OTHERS_PRESENT, owner, NULL,
             "%s has %zu other MX host(s): mail to it would be shared between them and the "
             "platform's; remove them if the platform is to receive all of it",
             owner, nother);
    else if (strcmp(owner, p->domain) == 0)
        note(p, INK_SEV_WARNING, PC_MX_ON_DOMAIN, owner, NULL,
             "the platform's MX goes on %s itself: all mail to the domain will go to the "
             "platform.  A sending subdomain (--subdomain) is usually what is wanted",
             owner);
    free(owner);
}

/* dmarc_text - the first DMARC record text of an answer (caller frees) */
static uint8_t *dmarc_text(const struct ink_dns_answer *a, size_t *len)
{
    size_t i;

    for (i = 0; a != NULL && i < a->nrr; i++) {
        uint8_t *t;
        if (a->rr[i].type != INK_DNS_TXT)
            continue;
        t = ink_dns_rr_txt_join(&a->rr[i], len);
        if (t != NULL && ink_dmarc_is_record(t, *len))
            return t;
        free(t);
    }
    return NULL;
}

/* compute_dmarc - keep an existing DMARC record, or propose p=none with reports */
static void compute_dmarc(struct ink_provision *p)
{
    const struct ink_profile *pr = p->prof;
    struct ink_str owner_s = INK_STR_INIT, owner_d = INK_STR_INIT, v = INK_STR_INIT,
                   def = INK_STR_INIT;
    const struct ink_dns_answer *as, *ad;
    uint8_t *text = NULL;
    size_t len = 0, i;
    const char *where = NULL;
    struct ink_prov_record *r;
    struct ink_dmarc_record *rec;

    ink_str_printf(&owner_s, "_dmarc.%s", p->sending);
    ink_str_printf(&owner_d, "_dmarc.%s", p->domain);
    as = answer_for(p, ink_str_cstr(&owner_s), INK_DNS_TXT);
    ad = answer_for(p, ink_str_cstr(&owner_d), INK_DNS_TXT);
    dns_unreadable(p, ink_str_cstr(&owner_d), INK_DNS_TXT, "DMARC record", INK_SEV_ERROR);
    if ((text = dmarc_text(as, &len)) != NULL)
        where = ink_str_cstr(&owner_s);
    else if ((text = dmarc_text(ad, &len)) != NULL)
        where = ink_str_cstr(&owner_d);

    if (where != NULL) {
        struct ink_dmarc_record *cur = ink_dmarc_record_parse(text, len);
        r = add_record(p, where, INK_DNS_TXT, (const char *)text, "dmarc", INK_PROV_KEEP,
                       INK_VMATCH_DMARC, "");
        set_current(p, r, text, len);
        if (cur != NULL) {
            for (i = 0; i < pr->n_rua; i++) {
                size_t j;
                int found = 0;
                for (j = 0; j < cur->nrua; j++)
                    if (strcasecmp(cur->rua[j].uri, pr->rua[i]) == 0)
                        found = 1;
                if (!found)
                    note(p, INK_SEV_INFO, PC_DMARC_RUA_MISSING, where, NULL,
                         "the DMARC record at %s is kept as it is; the platform asks for "
                         "aggregate reports at %s: add it to rua= if it should get them",
                         where, pr->rua[i]);
            }
            if (cur->nrua == 0)
                note(p, INK_SEV_INFO, PC_DMARC_NO_REPORTS, where, NULL,
                     "the DMARC record at %s asks for no aggregate reports (no rua=): without "
                     "them you cannot see who sends as the domain",
                     where);
        }
        ink_dmarc_record_free(cur);
        goto done;
    }

    rec = ink_dmarc_record_new();
    if (rec == NULL) {
        p->oom = 1;
        goto done;
    }
    rec->p = !strcmp(pr->dmarc_policy ? pr->dmarc_policy : "none", "reject") ? INK_DMARC_P_REJECT
             : !strcmp(pr->dmarc_policy ? pr->dmarc_policy : "none", "quarantine")
                 ? INK_DMARC_P_QUARANTINE
                 : INK_DMARC_P_NONE;
    for (i = 0; i < pr->n_rua; i++)
        ink_dmarc_record_add_uri(rec, 0, pr->rua[i]);
    for (i = 0; i < pr->n_ruf; i++)
        ink_dmarc_record_add_uri(rec, 1, pr->ruf[i]);
    if (pr->n_rua == 0) {
        ink_str_printf(&def, "mailto:dmarc-reports@%s", p->domain);
        ink_dmarc_record_add_uri(rec, 0, ink_str_cstr(&def));
        note(p, INK_SEV_INFO, PC_DMARC_DEFAULT_RUA, ink_str_cstr(&owner_d), NULL,
             "aggregate DMARC reports will go to dmarc-reports@%s: make sure that mailbox "
             "exists (or change rua= before publishing)",
             p->domain);
    }
    if (ink_dmarc_record_serialize(rec, 0, &v) < 0)
        p->oom = 1;
    for (i = 0; i < rec->nrua; i++)
        if (rec->rua[i].host != NULL && !ink_dns_name_is_subdomain(rec->rua[i].host, p->domain)) {
            struct ink_str fix = INK_STR_INIT, q = INK_STR_INIT;
            const struct ink_dns_answer *auth;
            uint8_t *t;
            size_t tl;
            ink_str_printf(&q, "%s._report._dmarc.%s", p->domain, rec->rua[i].host);
            auth = answer_for(p, ink_str_cstr(&q), INK_DNS_TXT);
            ink_str_printf(&fix, "%s. IN TXT \"v=DMARC1\"", ink_str_cstr(&q));
            t = auth != NULL ? dmarc_text(auth, &tl) : NULL;
            free(t);
            if (t != NULL)
                note(p, INK_SEV_INFO, PC_DMARC_EXTERNAL_RUA_AUTHORIZED, ink_str_cstr(&q), NULL,
                     "reports go to %s, outside %s; %s already authorizes them (%s)",
                     rec->rua[i].host, p->domain, rec->rua[i].host, ink_str_cstr(&q));
            else if (auth != NULL && (auth->status == INK_DNS_NXDOMAIN ||
                                      auth->status == INK_DNS_NODATA || auth->status == INK_DNS_OK))
                note(p, INK_SEV_WARNING, PC_DMARC_EXTERNAL_RUA_UNAUTHORIZED, ink_str_cstr(&q), ink_str_cstr(&fix),
                     "reports go to %s, outside %s, but %s does not publish the authorization "
                     "record %s yet: receivers send no reports there until it does (ask the "
                     "platform)",
                     rec->rua[i].host, p->domain, rec->rua[i].host, ink_str_cstr(&q));
            else
                note(p, INK_SEV_INFO, PC_DMARC_EXTERNAL_RUA, ink_str_cstr(&q), ink_str_cstr(&fix),
                     "reports go to %s, outside %s: receivers send them only if %s publishes "
                     "the authorization record %s (the platform's side)",
                     rec->rua[i].host, p->domain, rec->rua[i].host, ink_str_cstr(&q));
            ink_str_free(&fix);
            ink_str_free(&q);
        }
    ink_dmarc_record_free(rec);
    add_record(p, ink_str_cstr(&owner_d), INK_DNS_TXT, ink_str_cstr(&v), "dmarc", INK_PROV_ADD,
               INK_VMATCH_DMARC, "");
    note(p, INK_SEV_INFO, PC_DMARC_STAGED_ROLLOUT, ink_str_cstr(&owner_d), NULL,
         "the new DMARC record starts at p=none (monitor only).  When the reports show all "
         "legitimate mail passing, move to p=quarantine, then p=reject");
done:
    free(text);
    ink_str_free(&owner_s);
    ink_str_free(&owner_d);
    ink_str_free(&v);
    ink_str_free(&def);
}

/* check_overlaps - a name holding a CNAME must hold nothing else */
static void check_overlaps(struct ink_provision *p)
{
    size_t i, j;

    for (i = 0; i < p->nrec; i++) {
        if (p->rec[i].type != INK_DNS_CNAME || p->rec[i].action == INK_PROV_REMOVE)
            continue;
        for (j = 0; j < p->nrec; j++)
            if (j != i && p->rec[j].action != INK_PROV_REMOVE &&
                ink_dns_name_eq(p->rec[i].owner, p->rec[j].owner)) {
                note(p, INK_SEV_ERROR, PC_PROFILE_NAME_CLASH, p->rec[i].owner, NULL,
                     "the profile puts a CNAME (%s) and a %s record (%s) both at %s: a CNAME "
                     "cannot share its name",
                     p->rec[i].purpose, ink_dns_type_name(p->rec[j].type), p->rec[j].purpose,
                     p->rec[i].owner);
                return;
            }
    }
}

/* ink_provision_compute - every record and note from the answers fed */
int ink_provision_compute(struct ink_provision *p)
{
    size_t i;

    if (p->computed)
        return 0;
    p->computed = 1;
    compute_spf(p);
    compute_dkim(p);
    for (i = 0; i < p->prof->n_cname; i++) {
        const struct ink_profile_cname *c = &p->prof->cname[i];
        char *owner = join_name(p, c->name, base_of(p, c->at));
        if (owner != NULL)
            compute_cname(p, owner, c->target, c->role);
        free(owner);
    }
    compute_mx(p);
    compute_dmarc(p);
    check_overlaps(p);
    return p->oom ? -1 : 0;
}

size_t ink_provision_nrecords(const struct ink_provision *p) { return p->nrec; }

/* ink_provision_record - the i-th record */
const struct ink_prov_record *ink_provision_record(const struct ink_provision *p, size_t i)
{
    return i < p->nrec ? &p->rec[i] : NULL;
}

size_t ink_provision_nfindings(const struct ink_provision *p) { return p->nfindings; }

/* ink_provision_finding - the i-th finding */
const struct ink_finding *ink_provision_finding(const struct ink_provision *p, size_t i)
{
    return i < p->nfindings ? &p->findings[i] : NULL;
}

const char *ink_provision_spf_record(const struct ink_provision *p) { return p->spf; }

/* ink_provision_worst - the highest note severity, -1 when none */
int ink_provision_worst(const struct ink_provision *p)
{
    int w = -1;
    size_t i;

    for (i = 0; i < p->nfindings; i++)
        if ((int)p->findings[i].severity > w)
            w = (int)p->findings[i].severity;
    return w;
}

/* is_profile_term - is term one the profile adds (include:/ip4:/ip6:) */
static int is_profile_term(const struct ink_provision *p, const char *term)
{
    const char *t = p->spf_terms;
    size_t l = strlen(term);

    if (term[0] == '+') {
        term++;
        l--;
    }
    while (t != NULL && *t != '\0') {
        size_t tl = strcspn(t, " ");
        if (tl == l && strncasecmp(t, term, l) == 0)
            return 1;
        t += tl;
        while (*t == ' ')
            t++;
    }
    return 0;
}

/* ink_provision_spf_lookups - the lookup budget of the merged record */
int ink_provision_spf_lookups(struct ink_provision *p, unsigned total,
                              const struct ink_prov_spf_cost *costs, size_t ncosts)
{
    unsigned excess, ours = 0, best_cost = 0;
    const char *best = NULL;
    size_t i;
    struct ink_str fix = INK_STR_INIT;

    if (p->spf == NULL || total <= INK_SPF_DNS_LOOKUP_MAX)
        return 0;
    excess = total - INK_SPF_DNS_LOOKUP_MAX;
    for (i = 0; i < ncosts; i++) {
        if (is_profile_term(p, costs[i].term)) {
            ours += costs[i].lookups;
            continue;
        }
        if (costs[i].lookups >= excess && (best == NULL || costs[i].lookups < best_cost)) {
            best = costs[i].term;
            best_cost = costs[i].lookups;
        }
    }
    if (p->spf_at_domain_apex && strcmp(p->sending, p->domain) == 0) {
        ink_str_printf(&fix, "send from a subdomain: 'inkan provision %s --subdomain NAME' puts "
                             "the platform's terms in NAME.%s's own SPF record (its Return-Path "
                             "domain), leaving %s at %u lookups",
                       p->domain, p->domain, p->domain, total - ours);
        if (best != NULL)
            ink_str_printf(&fix, "; or replace %s (%u lookups) by the ip4:/ip6: ranges it "
                                 "stands for (flatten it), or drop it if no longer used",
                           best, best_cost);
    } else if (best != NULL)
        ink_str_printf(&fix, "replace %s (%u lookups) by the ip4:/ip6: ranges it stands for "
                             "(flatten it), or drop it if it is no longer used: that brings the "
                             "record to %u lookups",
                       best, best_cost, total - best_cost);
    else
        ink_str_printf(&fix, "no single term covers the excess of %u: flatten the largest "
                             "includes into ip4:/ip6: ranges or move senders to subdomains",
                       excess);
    note(p, INK_SEV_ERROR, PC_SPF_TOO_MANY_LOOKUPS, p->spf_owner, ink_str_cstr(&fix),
         "with the platform's terms the SPF record at %s needs %u DNS lookups, over the limit "
         "of %d: receivers would fail SPF (permerror) for all of the domain's mail",
         p->spf_owner, total, INK_SPF_DNS_LOOKUP_MAX);
    ink_str_free(&fix);
    return p->oom ? -1 : 0;
}

/* ink_provision_spf_flattened - offer the lint's flattened record as a fix */
int ink_provision_spf_flattened(struct ink_provision *p, const char *record)
{
    struct ink_spf_record *r;
    const char *t;
    size_t i;
    struct ink_str fix = INK_STR_INIT;
    int keeps_all = 1;

    for (i = 0; i < p->nfindings; i++)
        if (p->findings[i].code == prov_codes[PC_SPF_TOO_MANY_LOOKUPS].code && p->findings[i].fix != NULL)
            break;
    if (i == p->nfindings || record == NULL || p->spf_terms == NULL)
        return 0;
    r = ink_spf_record_parse((const uint8_t *)record, strlen(record));
    if (r == NULL)
        return -1;
    for (t = p->spf_terms; *t != '\0';) {
        size_t l = strcspn(t, " ");
        char *one = ink_memdup_cstr(t, l);
        if (one == NULL || !spf_term_present(r, one))
            keeps_all = 0;
        free(one);
        t += l;
        while (*t == ' ')
            t++;
    }
    ink_spf_record_free(r);
    if (!keeps_all)
        return 0;
    if (ink_str_printf(&fix, "%s; or publish this flattened record (today's networks of the "
                             "flattened includes: re-check when those providers change them): %s",
                       p->findings[i].fix, record) < 0) {
        ink_str_free(&fix);
        return -1;
    }
    free(p->findings[i].fix);
    p->findings[i].fix = ink_str_steal(&fix);
    return p->findings[i].fix ? 0 : -1;
}

/* ---- output ---- */

/* Scratch strings one line of output may quote at once. */
#define PROV_SHOW_SLOTS 4

/*
 * put_text - append untrusted text (a profile's name or role, a record
 * now published, a note quoting one) for a zone-file comment or a
 * checklist line: printable ASCII as it is, every other byte as \DDD, so
 * that no text can end a comment or a line and start a record.
 */
static int put_text(struct ink_str *out, const char *t)
{
    int rc = 0;

    for (; *t != '\0'; t++) {
        unsigned char ch = (unsigned char)*t;
        if (ch < 0x20 || ch > 0x7e)
            rc |= ink_str_printf(out, "\\%03u", ch);
        else
            rc |= ink_str_putc(out, (char)ch);
    }
    return rc < 0 ? -1 : 0;
}

/* show - t made safe by put_text in scratch slot i (valid until the
 * slot is used again); "" on ENOMEM, which *rc then records */
static const char *show(struct ink_str *slots, size_t i, const char *t, int *rc)
{
    ink_str_truncate(&slots[i], 0);
    if (t != NULL && put_text(&slots[i], t) < 0)
        *rc = -1;
    return ink_str_cstr(&slots[i]);
}

/* zone_line - one record as a zone-file line, through the one zone-line
 * writer (inkan/zonefile.h) */
static int zone_line(const struct ink_prov_record *r, const char *value, struct ink_str *out)
{
    struct ink_str data = INK_STR_INIT;
    int rc;

    if (r->type == INK_DNS_TXT)
        rc = ink_zone_txt_line(out, r->owner, INK_PROV_TTL, (const uint8_t *)value, strlen(value));
    else {
        if (r->type == INK_DNS_MX)
            rc = ink_str_printf(&data, "%u %s.", (unsigned)r->pref, value);
        else
            rc = ink_str_printf(&data, "%s.", value);
        if (rc >= 0)
            rc = ink_zone_rr_line(out, r->owner, INK_PROV_TTL, r->type, data.buf, data.len);
        ink_str_free(&data);
    }
    if (rc >= 0)
        rc = ink_str_putc(out, '\n');
    return rc < 0 ? -1 : 0;
}

/* ink_provision_zone - the zone-file fragment for IT */
int ink_provision_zone(const struct ink_provision *p, struct ink_str *out)
{
    struct ink_str sl[PROV_SHOW_SLOTS] = {INK_STR_INIT, INK_STR_INIT, INK_STR_INIT, INK_STR_INIT};
    size_t i;
    int rc = 0, bad = 0; /* bad: show() ran out of memory */

    rc |= ink_str_printf(out, "; inkan provision: %s for %s", show(sl, 0, p->prof->name, &bad),
                         show(sl, 1, p->domain, &bad));
    if (strcmp(p->sending, p->domain) != 0)
        rc |= ink_str_printf(out, " (sending domain %s)", show(sl, 0, p->sending, &bad));
    rc |= ink_str_puts(out, "\n; Add the records below; lines starting with ';' need no action "
                            "or say what to remove.\n");
    for (i = 0; i < p->nrec; i++) {
        const struct ink_prov_record *r = &p->rec[i];
        struct ink_str line = INK_STR_INIT;
        rc |= ink_str_printf(out, "\n; %s", show(sl, 0, r->purpose, &bad));
        switch (r->action) {
        case INK_PROV_ADD:
            rc |= ink_str_puts(out, ": add\n");
            rc |= zone_line(r, r->value, out);
            break;
        case INK_PROV_CHANGE:
            rc |= ink_str_printf(out, ": replace the %s record now published:\n;   %s\n",
                                 ink_dns_type_name(r->type), show(sl, 0, r->current, &bad));
            rc |= zone_line(r, r->value, out);
            break;
        case INK_PROV_KEEP:
            rc |= ink_str_puts(out, ": already published, nothing to do\n; ");
            rc |= zone_line(r, r->value, out);
            break;
        case INK_PROV_REMOVE:
            rc |= ink_str_puts(out, ": REMOVE this record\n; ");
            rc |= zone_line(r, r->value, out);
            break;
        }
        ink_str_free(&line);
    }
    for (i = 0; i < PROV_SHOW_SLOTS; i++)
        ink_str_free(&sl[i]);
    return rc < 0 || bad ? -1 : 0;
}

/* ink_provision_checklist - what IT has to do, in plain words */
int ink_provision_checklist(const struct ink_provision *p, struct ink_str *out)
{
#define S0(t) show(sl, 0, (t), &bad)
#define S1(t) show(sl, 1, (t), &bad)
#define S2(t) show(sl, 2, (t), &bad)
#define S3(t) show(sl, 3, (t), &bad)
    struct ink_str sl[PROV_SHOW_SLOTS] = {INK_STR_INIT, INK_STR_INIT, INK_STR_INIT, INK_STR_INIT};
    size_t i, step = 0;
    int rc = 0, todo = 0, bad = 0; /* bad: show() ran out of memory */

    rc |= ink_str_printf(out, "Checklist for %s: sending through %s\n", S0(p->domain), S1(p->prof->name));
    if (strcmp(p->sending, p->domain) != 0)
        rc |= ink_str_printf(out, "Sending domain (Return-Path, SPF, MX): %s\n", S0(p->sending));
    rc |= ink_str_puts(out, "\nPublish these DNS records (the zone-file lines are in the .zone "
                            "file next to this one):\n\n");
    for (i = 0; i < p->nrec; i++) {
        const struct ink_prov_record *r = &p->rec[i];
        const char *type = ink_dns_type_name(r->type);
        if (r->action == INK_PROV_KEEP)
            continue;
        todo = 1;
        step++;
        switch (r->action) {
        case INK_PROV_ADD:
            if (r->type == INK_DNS_CNAME)
                rc |= ink_str_printf(out, "%2zu. Add a CNAME record: %s -> %s (%s).\n", step,
                                     S0(r->owner), S1(r->value), S2(r->purpose));
            else if (r->type == INK_DNS_MX)
                rc |= ink_str_printf(out, "%2zu. Add an MX record at %s: %u %s (mail and bounces "
                                          "for the sending domain).\n",
                                     step, S0(r->owner), (unsigned)r->pref, S1(r->value));
            else if (r->key >= 0)
                rc |= ink_str_printf(out, "%2zu. Add the DKIM key TXT record at %s.  Its private "
                                          "key is in %s.private: upload it to %s and keep it "
                                          "secret.\n",
                                     step, S0(r->owner), S1(p->keys[r->key].selector), S2(p->prof->name));
            else
                rc |= ink_str_printf(out, "%2zu. Add a %s record at %s (%s):\n      %s\n", step,
                                     type, S0(r->owner), S1(r->purpose), S2(r->value));
            break;
        case INK_PROV_CHANGE:
            rc |= ink_str_printf(out, "%2zu. Change the %s record at %s (%s).\n      now: %s\n"
                                      "      new: %s\n",
                                 step, type, S0(r->owner), S1(r->purpose), S2(r->current),
                                 S3(r->value));
            if (strcmp(r->purpose, "spf") == 0)
                rc |= ink_str_puts(out, "      Edit the existing record; do not add a second "
                                        "SPF record (two SPF records make SPF fail).\n");
            break;
        case INK_PROV_REMOVE:
            rc |= ink_str_printf(out, "%2zu. Remove the %s record at %s:\n      %s\n", step, type,
                                 S0(r->owner), S1(r->value));
            break;
        default:
            break;
        }
    }
    if (!todo)
        rc |= ink_str_puts(out, "Nothing: every record is published already.\n");
    for (i = 0, step = 0; i < p->nrec; i++)
        if (p->rec[i].action == INK_PROV_KEEP) {
            if (step++ == 0)
                rc |= ink_str_puts(out, "\nAlready in place (leave as they are):\n");
            rc |= ink_str_printf(out, "  - %s %s at %s\n", S0(p->rec[i].purpose),
                                 ink_dns_type_name(p->rec[i].type), S1(p->rec[i].owner));
        }
    if (p->nfindings > 0) {
        rc |= ink_str_puts(out, "\nRead before publishing:\n");
        for (i = 0; i < p->nfindings; i++) {
            rc |= ink_str_printf(out, "  [%s] %s.\n", ink_severity_name(p->findings[i].severity),
                                 S0(p->findings[i].message));
            if (p->findings[i].fix != NULL)
                rc |= ink_str_printf(out, "      Fix: %s\n", S0(p->findings[i].fix));
        }
    }
    rc |= ink_str_printf(out, "\nAfter publishing, follow it with (DIR: the directory holding "
                              "this checklist):\n"
                              "  inkan domain add %s --out DIR\n"
                              "  inkan domain watch\n"
                              "DNS caches may keep the old answers for up to their TTL; inkan "
                              "asks the domain's own name servers, so it sees new records at "
                              "once.\n",
                         S0(p->domain));
    for (i = 0; i < PROV_SHOW_SLOTS; i++)
        ink_str_free(&sl[i]);
#undef S0
#undef S1
#undef S2
#undef S3
    return rc < 0 || bad ? -1 : 0;
}

/* ink_provision_expect - expectations for verification */
int ink_provision_expect(const struct ink_provision *p, struct ink_vdomain *d)
{
    size_t i;

    for (i = 0; i < p->nrec; i++) {
        const struct ink_prov_record *r = &p->rec[i];
        if (r->action == INK_PROV_REMOVE)
            continue;
        if (ink_vdomain_add_record(d, r->owner, r->type, r->match, r->expect, r->purpose) < 0)
            return -1;
    }
    return 0;
}

static const char *const action_names[] = {"add", "change", "keep", "remove"};

/* ink_prov_action_name - the action's name (static) */
const char *ink_prov_action_name(enum ink_prov_action a)
{
    return (size_t)a < 4 ? action_names[a] : "add";
}

/* ink_provision_code - the i-th finding code (static), NULL past the last */
const char *ink_provision_code(size_t i)
{
    return i < PC_COUNT ? prov_codes[i].code : NULL;
}
