/*
 * inbound.c - the message machine: one receiver's evaluation of one
 * message as a machine of the query protocol (inkan/query.h), composed
 * of other machines run side by side (children): SPF for MAIL FROM and
 * for HELO, the DKIM verifier (which also splits the header), iprev, the
 * HELO address lookups, then, once the header is in, DMARC discovery for
 * the Author Domain and existence lookups of the header's domains, and
 * once SPF, DKIM and discovery are done, the Organizational Domains of
 * the identifiers that need one.  Each child's queries are handed out
 * under the message's own tokens, so all of them are in flight at once.
 * Then DMARC is decided (dmarc_eval.c), the HELO findings and the trust
 * level computed.  No I/O; memory does not grow with the body.
 */
#include "inbound_int.h"

#include "inkan/authres.h"

#include <libpsl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A child that asks one question (HELO addresses, domain existence). */
struct lookup {
    char name[INK_DNS_NAME_MAX + 1];
    uint16_t type;
    int state;                   /* 0 unasked, 1 out, 2 answered */
    enum ink_dns_status status;  /* TIMEOUT for an unusable answer */
    int family;                  /* of the client, to match addresses */
    uint8_t ip[16];
    int matched;                 /* a record is the client's address */
};

/* The children, by role; ORG and EXIST have several slots. */
enum {
    C_SPF = 0,
    C_SPF_HELO,
    C_DKIM,
    C_ARC,
    C_IPREV,
    C_HELO_A,
    C_HELO_AAAA,
    C_DISC,
    C_AUTHOR_EXIST,
    C_EXIST,
    C_ORG = C_EXIST + INK_INBOUND_EXIST_MAX,
    C_COUNT = C_ORG + INK_INBOUND_ORG_LOOKUPS_MAX
};

struct child {
    struct ink_machine m;
    int active;
    int done;
};

struct pending {
    uint32_t outer, inner;
    size_t child;
};

struct ink_inbound {
    /* envelope (copies) */
    char ip_text[48];
    int family;
    uint8_t ip[16];
    int has_ip;
    char *helo, *mail_from, *receiver;
    size_t nrcpt;
    char **rcpt;
    int64_t now;
    enum ink_dmarc_org_mode org_mode;
    const void *psl;
    unsigned flags;

    /* children and their queries */
    struct child c[C_COUNT];
    struct ink_spf *spf, *spf_helo;
    struct ink_dkim_verify *dkim;
    struct ink_arc_verify *arc;
    struct inb_iprev *iprev;
    struct ink_dmarc_disc *disc;
    struct ink_dmarc_disc *org[INK_INBOUND_ORG_LOOKUPS_MAX];
    const char *org_for[INK_INBOUND_ORG_LOOKUPS_MAX]; /* the identifier domain */
    size_t norg;
    struct lookup look[C_COUNT];
    size_t npending;
    struct pending pending[INK_INBOUND_PENDING_MAX];
    uint32_t next_token;
    size_t nqueries;

    /* progress */
    int ended, header_done, org_started, finished, failed;
    char error[160];

    /* results */
    char author[INK_DNS_NAME_MAX + 1];
    char spf_domain[INK_DNS_NAME_MAX + 1];
    struct inb_domains dom;
    struct ink_inbound_spf spf_res;
    struct ink_inbound_dmarc dmarc_res;
    struct ink_inbound_iprev iprev_res;
    struct ink_inbound_arc arc_res;
    struct ink_str arc_chain;
    struct inb_findings helo_f, rfc_f;
    enum ink_trust trust;
    struct ink_dmarc_ident dkim_ids[INK_DKIM_SIGNATURES_MAX];
};

/* ---- names ---- */

/* ink_trust_name - "high", "normal", "low" */
const char *ink_trust_name(enum ink_trust t)
{
    return t == INK_TRUST_HIGH ? "high" : t == INK_TRUST_LOW ? "low" : "normal";
}

/* ink_from_status_name - the Author Domain statuses */
const char *ink_from_status_name(enum ink_from_status s)
{
    switch (s) {
    case INK_FROM_OK:
        return "ok";
    case INK_FROM_NONE:
        return "no-from";
    case INK_FROM_MULTIPLE:
        return "multiple-from";
    case INK_FROM_DOMAINS:
        return "multiple-domains";
    case INK_FROM_BAD:
        return "unparseable";
    }
    return "unparseable";
}

/* ---- the one-question child ---- */

/* lookup_next - ask once */
static enum ink_next lookup_next(void *self, struct ink_query *q)
{
    struct lookup *l = self;

    if (l->state == 2)
        return INK_NEXT_DONE;
    if (l->state == 1)
        return INK_NEXT_WAIT;
    l->state = 1;
    q->name = l->name;
    q->type = l->type;
    q->token = 1;
    return INK_NEXT_READY;
}

/* lookup_feed - keep the status (and whether the client is among the
 * addresses) */
static int lookup_feed(void *self, uint32_t token, const struct ink_dns_answer *a)
{
    struct lookup *l = self;
    size_t i;

    if (token != 1 || l->state != 1)
        return -1;
    l->state = 2;
    if (!ink_query_answer_fits(a, l->name, l->type)) {
        l->status = INK_DNS_TIMEOUT;
        return 0;
    }
    l->status = a->status;
    for (i = 0; a->status == INK_DNS_OK && i < a->nrr; i++)
        if ((a->rr[i].type == INK_DNS_A && l->family == 4 && memcmp(a->rr[i].addr, l->ip, 4) == 0) ||
            (a->rr[i].type == INK_DNS_AAAA && l->family == 6 &&
             memcmp(a->rr[i].addr, l->ip, 16) == 0))
            l->matched = 1;
    return 0;
}

static const struct ink_machine_ops lookup_ops = {"lookup", lookup_next, lookup_feed};

/* start_lookup - child slot k asks (name, type) */
static void start_lookup(struct ink_inbound *m, size_t k, const char *name, uint16_t type)
{
    struct lookup *l = &m->look[k];

    memset(l, 0, sizeof(*l));
    (void)snprintf(l->name, sizeof(l->name), "%s", name);
    l->type = type;
    l->family = m->family;
    memcpy(l->ip, m->ip, 16);
    m->c[k].m.ops = &lookup_ops;
    m->c[k].m.self = l;
    m->c[k].active = 1;
}

/* ---- set-up ---- */

/* dupstr - strdup that says ENOMEM with NULL (NULL in, "" out) */
static char *dupstr(const char *s)
{
    if (s == NULL)
        s = "";
    return ink_memdup_cstr(s, strlen(s));
}

/* valid_domain - a host name we can ask about: normalises, has a dot */
static int valid_domain(const char *s, char *out, size_t outsz)
{
    int n = ink_dns_name_normalize(s, strlen(s), out, outsz);

    return n > 0 && strchr(out, '.') != NULL && s[0] != '[';
}

/* ink_inbound_new - one message */
struct ink_inbound *ink_inbound_new(const struct ink_inbound_params *p, const char **err)
{
    struct ink_inbound *m;
    struct ink_dkim_verify_opts dopts;
    char tmp[INK_DNS_NAME_MAX + 1];
    size_t i;

    if (err != NULL)
        *err = NULL;
    m = calloc(1, sizeof(*m));
    if (m == NULL)
        return NULL;
    m->next_token = 1;
    m->now = p->now;
    m->org_mode = p->org_mode;
    m->psl = p->psl;
    m->flags = p->flags;
    m->trust = INK_TRUST_NORMAL;
    if (p->ip != NULL && p->ip[0] != '\0') {
        if (strlen(p->ip) >= sizeof(m->ip_text) ||
            ink_ip_parse(p->ip, strlen(p->ip), &m->family, m->ip) < 0) {
            if (err != NULL)
                *err = "the client address is not an IPv4 or IPv6 address";
            free(m);
            return NULL;
        }
        m->has_ip = 1;
        (void)ink_ip_format(m->family, m->ip, m->ip_text, sizeof(m->ip_text));
    }
    m->helo = dupstr(p->helo);
    m->mail_from = dupstr(p->mail_from);
    m->receiver = p->receiver != NULL ? dupstr(p->receiver) : NULL;
    m->nrcpt = p->nrcpt > INK_INBOUND_RCPTS_MAX ? INK_INBOUND_RCPTS_MAX : p->nrcpt;
    m->rcpt = calloc(m->nrcpt + 1, sizeof(*m->rcpt));
    if (m->helo == NULL || m->mail_from == NULL || m->rcpt == NULL ||
        (p->receiver != NULL && m->receiver == NULL))
        goto nomem;
    for (i = 0; i < m->nrcpt; i++)
        if ((m->rcpt[i] = dupstr(p->rcpt[i])) == NULL)
            goto nomem;

    memset(&dopts, 0, sizeof(dopts));
    dopts.now = p->now > 0 ? (uint64_t)p->now : 0;
    dopts.flags = (p->flags & INK_INBOUND_LF_TO_CRLF) ? INK_DKIM_VERIFY_LF_TO_CRLF : 0;
    dopts.cache = p->keycache;
    m->dkim = ink_dkim_verify_new(&dopts);
    if (m->dkim == NULL)
        goto nomem;
    m->c[C_DKIM].m = ink_dkim_verify_machine(m->dkim);
    m->c[C_DKIM].active = 1;
    {
        struct ink_arc_verify_opts aopts;

        memset(&aopts, 0, sizeof(aopts));
        aopts.flags = (p->flags & INK_INBOUND_LF_TO_CRLF) ? INK_ARC_VERIFY_LF_TO_CRLF : 0;
        m->arc = ink_arc_verify_new(&aopts);
        if (m->arc == NULL)
            goto nomem;
        m->c[C_ARC].m = ink_arc_verify_machine(m->arc);
        m->c[C_ARC].active = 1;
    }

    if (m->has_ip) {
        struct ink_spf_params sp;
        int null_path = m->mail_from[0] == '\0' || strcmp(m->mail_from, "<>") == 0;

        memset(&sp, 0, sizeof(sp));
        sp.family = m->family;
        memcpy(sp.ip, m->ip, 16);
        sp.helo = m->helo;
        sp.receiver = m->receiver;
        sp.now = p->now;
        /* MAIL FROM identity (postmaster@HELO for the null path) */
        if (!null_path || valid_domain(m->helo, tmp, sizeof(tmp))) {
            sp.mail_from = null_path ? NULL : m->mail_from;
            m->spf = ink_spf_new(&sp);
            if (m->spf == NULL)
                goto nomem;
            m->c[C_SPF].m = ink_spf_machine(m->spf);
            m->c[C_SPF].active = 1;
        }
        /* the HELO identity too, when it is a domain (RFC 7208 2.3) */
        if (valid_domain(m->helo, tmp, sizeof(tmp)) && !null_path) {
            sp.mail_from = NULL;
            m->spf_helo = ink_spf_new(&sp);
            if (m->spf_helo == NULL)
                goto nomem;
            m->c[C_SPF_HELO].m = ink_spf_machine(m->spf_helo);
            m->c[C_SPF_HELO].active = 1;
        }
        m->iprev = inb_iprev_new(m->family, m->ip);
        if (m->iprev == NULL)
            goto nomem;
        m->c[C_IPREV].m = inb_iprev_machine(m->iprev);
        m->c[C_IPREV].active = 1;
    }
    if (valid_domain(m->helo, tmp, sizeof(tmp))) {
        start_lookup(m, C_HELO_A, tmp, INK_DNS_A);
        start_lookup(m, C_HELO_AAAA, tmp, INK_DNS_AAAA);
    }
    return m;
nomem:
    ink_inbound_free(m);
    return NULL;
}

/* ink_inbound_free - release */
void ink_inbound_free(struct ink_inbound *m)
{
    size_t i;

    if (m == NULL)
        return;
    ink_spf_free(m->spf);
    ink_spf_free(m->spf_helo);
    ink_dkim_verify_free(m->dkim);
    ink_arc_verify_free(m->arc);
    ink_str_free(&m->arc_chain);
    inb_iprev_free(m->iprev);
    ink_dmarc_disc_free(m->disc);
    for (i = 0; i < m->norg; i++)
        ink_dmarc_disc_free(m->org[i]);
    inb_findings_clear(&m->helo_f);
    inb_findings_clear(&m->rfc_f);
    for (i = 0; m->rcpt != NULL && i < m->nrcpt; i++)
        free(m->rcpt[i]);
    free(m->rcpt);
    free(m->helo);
    free(m->mail_from);
    free(m->receiver);
    free(m);
}

/* set_failed - the machine cannot go on: keep the first reason */
static void set_failed(struct ink_inbound *m, const char *why)
{
    if (!m->failed) {
        m->failed = 1;
        (void)snprintf(m->error, sizeof(m->error), "%s", why);
    }
}

/* ink_inbound_push - message bytes go to the DKIM verifier, which also
 * splits the header (so the header is held once) */
int ink_inbound_push(struct ink_inbound *m, const uint8_t *buf, size_t len)
{
    if (m->failed || m->ended)
        return -1;
    if (ink_dkim_verify_push(m->dkim, buf, len) < 0) {
        set_failed(m, ink_dkim_verify_error(m->dkim));
        return -1;
    }
    if (ink_arc_verify_push(m->arc, buf, len) < 0) {
        set_failed(m, ink_arc_verify_error(m->arc));
        return -1;
    }
    return 0;
}

/* ink_inbound_end - the message ended */
int ink_inbound_end(struct ink_inbound *m)
{
    if (m->failed)
        return -1;
    if (m->ended)
        return 0;
    m->ended = 1;
    if (ink_dkim_verify_end(m->dkim) < 0) {
        set_failed(m, ink_dkim_verify_error(m->dkim));
        return -1;
    }
    if (ink_arc_verify_end(m->arc) < 0) {
        set_failed(m, ink_arc_verify_error(m->arc));
        return -1;
    }
    return 0;
}

/* ink_inbound_error - why it failed */
const char *ink_inbound_error(const struct ink_inbound *m)
{
    return m->error;
}

/* ---- phases ---- */

/* on_header - the header is in: Author Domain, RFC 5322 checks, DMARC
 * discovery and the existence lookups */
static int on_header(struct ink_inbound *m)
{
    const struct ink_mailhdr *h = ink_dkim_verify_header(m->dkim);
    const char *reason;
    size_t i;

    m->header_done = 1;
    if (inb_author(h, m->author, &m->dmarc_res.from_status, &reason) < 0 ||
        inb_rfc5322(h, &m->rfc_f, &m->dom) < 0)
        return -1;
    m->dmarc_res.from_reason = reason;
    m->dmarc_res.author_nxdomain = 0;
    if (m->dmarc_res.from_status == INK_FROM_OK) {
        m->dmarc_res.author_domain = m->author;
        m->disc = ink_dmarc_disc_new(m->author, m->org_mode, m->psl, INK_DMARC_DISC_NO_DESTS);
        if (m->disc == NULL)
            return -1;
        m->c[C_DISC].m = ink_dmarc_disc_machine(m->disc);
        m->c[C_DISC].active = 1;
        start_lookup(m, C_AUTHOR_EXIST, m->author, INK_DNS_A);
    }
    for (i = 0; i < m->dom.n; i++)
        if (m->dmarc_res.from_status != INK_FROM_OK || strcmp(m->dom.name[i], m->author) != 0)
            start_lookup(m, C_EXIST + i, m->dom.name[i], INK_DNS_A);
    return 0;
}

/* add_org - look up the Organizational Domain of identifier domain d
 * (RFC 9989 4.10) unless it cannot matter: equal to the Author Domain
 * (aligned in both modes) or not below the Author Domain's
 * Organizational Domain (an org is always the name or an ancestor, so
 * it cannot equal the author's) */
static int add_org(struct ink_inbound *m, const char *d, const char *author_org)
{
    size_t i;

    if (d == NULL || d[0] == '\0' || ink_dns_name_eq(d, m->author) || author_org == NULL ||
        !ink_dns_name_is_subdomain(d, author_org))
        return 0;
    for (i = 0; i < m->norg; i++)
        if (ink_dns_name_eq(m->org_for[i], d))
            return 0;
    if (m->norg >= INK_INBOUND_ORG_LOOKUPS_MAX)
        return 0;
    m->org[m->norg] = ink_dmarc_disc_new(d, m->org_mode, m->psl, INK_DMARC_DISC_NO_DESTS);
    if (m->org[m->norg] == NULL)
        return -1;
    m->org_for[m->norg] = d;
    m->c[C_ORG + m->norg].m = ink_dmarc_disc_machine(m->org[m->norg]);
    m->c[C_ORG + m->norg].active = 1;
    m->norg++;
    return 0;
}

/* child_done - whether child k has finished (inactive counts as done) */
static int child_done(const struct ink_inbound *m, size_t k)
{
    return !m->c[k].active || m->c[k].done;
}

/* on_ids_known - SPF, DKIM and discovery are done: start the org lookups
 * the relaxed modes need */
static int on_ids_known(struct ink_inbound *m)
{
    const struct ink_dmarc_result *r = ink_dmarc_disc_result(m->disc);
    size_t i, n = ink_dkim_verify_count(m->dkim);

    m->org_started = 1;
    if (r->status != INK_DMARC_DISC_FOUND || r->record == NULL)
        return 0;
    if (m->spf != NULL && r->record->aspf != INK_DMARC_ALIGN_STRICT &&
        ink_spf_result(m->spf) != INK_SPF_NONE && add_org(m, ink_spf_domain(m->spf), r->org_domain) < 0)
        return -1;
    if (r->record->adkim == INK_DMARC_ALIGN_STRICT)
        return 0;
    for (i = 0; i < n; i++) {
        const struct ink_dkim_result *d = ink_dkim_verify_result(m->dkim, i);

        if ((d->code == INK_DKIM_PASS || d->code == INK_DKIM_TEMPERROR) &&
            add_org(m, d->d, r->org_domain) < 0)
            return -1;
    }
    return 0;
}

/* advance - start what the finished children make possible; 0 or -1 */
static int advance(struct ink_inbound *m)
{
    if (!m->header_done && ink_dkim_verify_header(m->dkim) != NULL && on_header(m) < 0)
        return -1;
    if (m->header_done && !m->org_started && m->disc != NULL && child_done(m, C_DISC) &&
        child_done(m, C_SPF) && child_done(m, C_DKIM) && on_ids_known(m) < 0)
        return -1;
    return 0;
}

/* org_of - the Organizational Domain found for identifier d, or NULL;
 * *temp when its lookup failed */
static const char *org_of(const struct ink_inbound *m, const char *d, int *temp)
{
    const struct ink_dmarc_result *ar = ink_dmarc_disc_result(m->disc);
    size_t i;

    *temp = 0;
    if (d == NULL)
        return NULL;
    for (i = 0; i < m->norg; i++)
        if (ink_dns_name_eq(m->org_for[i], d)) {
            const struct ink_dmarc_result *r = ink_dmarc_disc_result(m->org[i]);

            if (r->status == INK_DMARC_DISC_TEMPERROR) {
                *temp = 1;
                return NULL;
            }
            return r->org_domain;
        }
    /* not looked up: it cannot share the author's org (see add_org), so
     * it is its own as far as alignment goes; equal names align anyway */
    if (ink_dns_name_eq(d, m->author))
        return ar->org_domain;
    return d;
}

/* helo_findings - the HELO checks */
static int helo_findings(struct ink_inbound *m)
{
    const char *h = m->helo;
    char tmp[INK_DNS_NAME_MAX + 1];
    int fam;
    uint8_t ip[16];
    const psl_ctx_t *psl = m->psl != NULL ? m->psl : psl_builtin();
    struct inb_findings *f = &m->helo_f;

    if (h[0] == '\0')
        return inb_add(f, INK_SEV_WARNING, "helo", "helo-missing", NULL, "no HELO name given");
    if (h[0] == '[') {
        size_t n = strlen(h);
        const char *lit = h + 1;
        size_t litlen = n >= 2 && h[n - 1] == ']' ? n - 2 : n - 1;

        if (litlen > 5 && strncmp(lit, "IPv6:", 5) == 0) {
            lit += 5;
            litlen -= 5;
        }
        if (ink_ip_parse(lit, litlen, &fam, ip) < 0)
            return inb_add(f, INK_SEV_ERROR, "helo", "helo-invalid", h,
                           "HELO %s is neither a domain nor an address literal", h);
        if (m->has_ip && (fam != m->family || memcmp(ip, m->ip, fam == 4 ? 4 : 16) != 0))
            return inb_add(f, INK_SEV_ERROR, "helo", "helo-literal-mismatch", h,
                           "HELO address literal %s is not the client %s", h, m->ip_text);
        return 0;
    }
    if (ink_ip_parse(h, strlen(h), &fam, ip) == 0)
        return inb_add(f, INK_SEV_WARNING, "helo", "helo-bare-address", h,
                       "HELO %s is an address without the brackets of RFC 5321 4.1.3", h);
    if (ink_dns_name_normalize(h, strlen(h), tmp, sizeof(tmp)) <= 0)
        return inb_add(f, INK_SEV_ERROR, "helo", "helo-invalid", h, "HELO %s is not a domain name",
                       h);
    if (strcmp(tmp, "localhost") == 0 || strcmp(tmp, "localhost.localdomain") == 0 ||
        (strlen(tmp) > 10 && strcmp(tmp + strlen(tmp) - 10, ".localhost") == 0))
        return inb_add(f, INK_SEV_ERROR, "helo", "helo-localhost", h, "HELO %s names the local host",
                       h);
    if (strchr(tmp, '.') == NULL)
        return inb_add(f, INK_SEV_WARNING, "helo", "helo-single-label", h,
                       "HELO %s is a single label, not a fully qualified domain name", h);
    {
        const char *tld = strrchr(tmp, '.') + 1;

        if (psl != NULL && !psl_is_public_suffix2(psl, tld, PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE) &&
            inb_add(f, INK_SEV_WARNING, "helo", "helo-tld-unknown", h,
                    "HELO %s ends in .%s, which is not on the public suffix list", h, tld) < 0)
            return -1;
    }
    if (m->c[C_HELO_A].active) {
        const struct lookup *a = &m->look[C_HELO_A], *b = &m->look[C_HELO_AAAA];
        int temp = a->status == INK_DNS_TIMEOUT || a->status == INK_DNS_SERVFAIL ||
                   b->status == INK_DNS_TIMEOUT || b->status == INK_DNS_SERVFAIL;

        if (a->status == INK_DNS_NXDOMAIN && b->status == INK_DNS_NXDOMAIN) {
            if (inb_add(f, INK_SEV_WARNING, "helo", "helo-nxdomain", h, "HELO %s does not exist", h) <
                0)
                return -1;
        } else if (a->status != INK_DNS_OK && b->status != INK_DNS_OK && !temp) {
            if (inb_add(f, INK_SEV_WARNING, "helo", "helo-no-address", h,
                        "HELO %s has no address record", h) < 0)
                return -1;
        } else if (temp && !a->matched && !b->matched) {
            if (inb_add(f, INK_SEV_INFO, "helo", "helo-temperror", h,
                        "the address lookup of HELO %s failed temporarily", h) < 0)
                return -1;
        } else if (m->has_ip && !a->matched && !b->matched) {
            if (inb_add(f, INK_SEV_WARNING, "helo", "helo-not-client", h,
                        "HELO %s does not resolve to the client %s", h, m->ip_text) < 0)
                return -1;
        }
    }
    {
        const char *at = strrchr(m->mail_from, '@');
        char mf[INK_DNS_NAME_MAX + 1];
        const char *o1, *o2;

        if (at != NULL && psl != NULL &&
            ink_dns_name_normalize(at + 1, strcspn(at + 1, ">"), mf, sizeof(mf)) > 0) {
            o1 = psl_registrable_domain(psl, tmp);
            o2 = psl_registrable_domain(psl, mf);
            if (o1 != NULL && o2 != NULL && strcmp(o1, o2) != 0 &&
                inb_add(f, INK_SEV_INFO, "helo", "helo-other-org", h,
                        "HELO %s is outside the MAIL FROM domain's organization (%s)", h, o2) < 0)
                return -1;
        }
    }
    return 0;
}

/* aar_passed - the AAR payload ("authserv-id; results") says DMARC
 * passed, or SPF or DKIM did (RFC 9989's forwarding case) */
static int aar_passed(const uint8_t *p, size_t len)
{
    struct ink_authres *a = ink_authres_parse(p, len);
    size_t i;
    int pass = 0;

    if (a == NULL)
        return -1;
    for (i = 0; i < a->nresults; i++)
        if (strcmp(a->results[i].result, "pass") == 0 &&
            (strcmp(a->results[i].method, "dmarc") == 0 ||
             strcmp(a->results[i].method, "spf") == 0 || strcmp(a->results[i].method, "dkim") == 0))
            pass = 1;
    ink_authres_free(a);
    return pass;
}

/* arc_finish - the ARC outcome: cv, the sealers, what the oldest AAR says */
static int arc_finish(struct ink_inbound *m)
{
    const struct ink_arc_result *r = ink_arc_verify_result(m->arc);
    struct ink_inbound_arc *a = &m->arc_res;
    size_t i;

    a->reason = "";
    a->chain = "";
    if (r == NULL)
        return 0;
    a->cv = r->cv;
    a->temporary = r->temporary;
    a->reason = r->reason;
    a->count = r->count;
    if (r->cv != INK_ARC_CV_PASS)
        return 0;
    for (i = 0; i < r->nsets; i++) {
        const struct ink_arc_field *as = r->sets[i].as;

        if (as == NULL || as->d == NULL)
            continue;
        if ((m->arc_chain.len > 0 && ink_str_putc(&m->arc_chain, ':') < 0) ||
            ink_str_puts(&m->arc_chain, as->d) < 0)
            return -1;
        a->sealer = as->d;
    }
    a->chain = ink_str_cstr(&m->arc_chain);
    if (r->nsets > 0 && r->sets[0].aar_payload != NULL) {
        int pass = aar_passed(r->sets[0].aar_payload, r->sets[0].aar_payload_len);

        if (pass < 0)
            return -1;
        a->upstream_pass = pass;
    }
    return 0;
}

/* finish - every child is done: decide */
static int finish(struct ink_inbound *m)
{
    struct ink_inbound_dmarc *dr = &m->dmarc_res;
    size_t i, n;
    int bad = 0, warn = 0;

    m->finished = 1;
    /* SPF */
    if (m->spf != NULL) {
        m->spf_res.result = ink_spf_result(m->spf);
        (void)snprintf(m->spf_domain, sizeof(m->spf_domain), "%s", ink_spf_domain(m->spf));
        m->spf_res.domain = m->spf_domain;
        m->spf_res.reason = ink_spf_reason(m->spf);
        m->spf_res.from_helo = m->mail_from[0] == '\0' || strcmp(m->mail_from, "<>") == 0;
    }
    if (m->spf_helo != NULL) {
        m->spf_res.helo_result = ink_spf_result(m->spf_helo);
        m->spf_res.helo = ink_spf_domain(m->spf_helo);
        m->spf_res.helo_reason = ink_spf_reason(m->spf_helo);
    }
    if (arc_finish(m) < 0)
        return -1;
    /* iprev */
    if (m->iprev != NULL)
        inb_iprev_result(m->iprev, &m->iprev_res);
    else
        m->iprev_res.reason = "no client address";
    /* existence of the header's domains */
    for (i = 0; i < m->dom.n; i++) {
        const struct lookup *l = ink_dns_name_eq(m->dom.name[i], m->author) &&
                                         m->c[C_AUTHOR_EXIST].active
                                     ? &m->look[C_AUTHOR_EXIST]
                                     : &m->look[C_EXIST + i];

        if (l->state == 2 && l->status == INK_DNS_NXDOMAIN &&
            inb_add(&m->rfc_f, INK_SEV_ERROR, "rfc5322", "rfc5322-domain-nxdomain", m->dom.name[i],
                    "the %s domain %s does not exist (NXDOMAIN)", m->dom.field[i],
                    m->dom.name[i]) < 0)
            return -1;
    }
    /* DMARC */
    if (dr->from_status != INK_FROM_OK) {
        dr->result = INK_DMARC_RES_PERMERROR;
        (void)snprintf(dr->eval.reason, sizeof(dr->eval.reason), "%s", dr->from_reason);
    } else if (m->disc != NULL) {
        struct ink_dmarc_eval_in in;
        const struct lookup *ax = &m->look[C_AUTHOR_EXIST];
        int temp;

        memset(&in, 0, sizeof(in));
        dr->disc = ink_dmarc_disc_result(m->disc);
        dr->author_nxdomain = ax->status == INK_DNS_NXDOMAIN ? 1
                              : (ax->status == INK_DNS_TIMEOUT || ax->status == INK_DNS_SERVFAIL) ? -1
                                                                                                  : 0;
        in.author_domain = m->author;
        in.disc = dr->disc;
        in.author_nxdomain = dr->author_nxdomain;
        if (m->spf != NULL) {
            enum ink_spf_result sr = m->spf_res.result;

            in.spf.domain = m->spf_domain[0] != '\0' ? m->spf_domain : NULL;
            in.spf.auth = sr == INK_SPF_PASS ? 1 : sr == INK_SPF_TEMPERROR ? -1 : 0;
            in.spf.org = org_of(m, in.spf.domain, &temp);
            in.spf.org_temperror = temp;
        }
        n = ink_dkim_verify_count(m->dkim);
        for (i = 0; i < n && i < INK_DKIM_SIGNATURES_MAX; i++) {
            const struct ink_dkim_result *d = ink_dkim_verify_result(m->dkim, i);
            struct ink_dmarc_ident *id = &m->dkim_ids[i];

            id->domain = d->d[0] != '\0' ? d->d : NULL;
            id->auth = d->code == INK_DKIM_PASS ? 1 : d->code == INK_DKIM_TEMPERROR ? -1 : 0;
            id->org = org_of(m, id->domain, &temp);
            id->org_temperror = temp;
        }
        in.ndkim = i;
        in.dkim = m->dkim_ids;
        ink_dmarc_eval(&in, &dr->eval);
        dr->result = dr->eval.result;
    }
    if (helo_findings(m) < 0)
        return -1;
    /* trust: low on a clear bad sign; high only when everything agrees */
    for (i = 0; i < m->helo_f.n; i++) {
        bad |= m->helo_f.f[i].severity == INK_SEV_ERROR ||
               strcmp(m->helo_f.f[i].code, "helo-nxdomain") == 0;
        warn |= m->helo_f.f[i].severity >= INK_SEV_WARNING;
    }
    for (i = 0; i < m->rfc_f.n; i++) {
        bad |= m->rfc_f.f[i].severity == INK_SEV_ERROR;
        warn |= m->rfc_f.f[i].severity >= INK_SEV_WARNING;
    }
    if (m->has_ip && (m->iprev_res.result == INK_IPREV_FAIL ||
                      m->iprev_res.result == INK_IPREV_PERMERROR))
        bad = 1;
    if (dr->result == INK_DMARC_RES_FAIL || dr->result == INK_DMARC_RES_PERMERROR)
        bad = 1;
    if (bad)
        m->trust = INK_TRUST_LOW;
    else if (!warn && dr->result == INK_DMARC_RES_PASS && m->iprev_res.result == INK_IPREV_PASS &&
             !m->iprev_res.generic)
        m->trust = INK_TRUST_HIGH;
    else
        m->trust = INK_TRUST_NORMAL;
    return 0;
}

/* ---- the protocol ---- */

/* ink_inbound_next - hand out the children's queries under our tokens */
enum ink_next ink_inbound_next(struct ink_inbound *m, struct ink_query *q)
{
    size_t k;
    int progress;

    if (m->failed)
        return INK_NEXT_FAILED;
    if (m->finished)
        return INK_NEXT_DONE;
    do {
        progress = 0;
        if (advance(m) < 0) {
            set_failed(m, "out of memory");
            return INK_NEXT_FAILED;
        }
        for (k = 0; k < C_COUNT; k++) {
            struct ink_query cq;
            enum ink_next st;

            if (!m->c[k].active || m->c[k].done)
                continue;
            if (m->npending >= INK_INBOUND_PENDING_MAX)
                return INK_NEXT_WAIT;
            st = ink_machine_next(m->c[k].m, &cq);
            if (st == INK_NEXT_READY) {
                struct pending *p;

                if (m->nqueries >= INK_INBOUND_QUERIES_MAX) {
                    /* over the budget: a temporary failure, decided here */
                    (void)ink_machine_feed(m->c[k].m, cq.token, NULL);
                    progress = 1;
                    continue;
                }
                m->nqueries++;
                p = &m->pending[m->npending++];
                p->outer = m->next_token++;
                if (m->next_token == 0)
                    m->next_token = 1;
                p->inner = cq.token;
                p->child = k;
                *q = cq;
                q->token = p->outer;
                return INK_NEXT_READY;
            }
            if (st == INK_NEXT_FAILED && k == C_DKIM) {
                set_failed(m, ink_dkim_verify_error(m->dkim));
                return INK_NEXT_FAILED;
            }
            if (st == INK_NEXT_FAILED && k == C_ARC) {
                set_failed(m, ink_arc_verify_error(m->arc));
                return INK_NEXT_FAILED;
            }
            if (st == INK_NEXT_DONE || st == INK_NEXT_FAILED) {
                m->c[k].done = 1;
                progress = 1;
            }
        }
    } while (progress);
    if (m->ended && !m->header_done && child_done(m, C_DKIM)) {
        set_failed(m, "the message has no header");
        return INK_NEXT_FAILED;
    }
    if (!m->ended || !m->header_done)
        return INK_NEXT_WAIT;
    for (k = 0; k < C_COUNT; k++)
        if (!child_done(m, k))
            return INK_NEXT_WAIT;
    if (m->disc != NULL && !m->org_started)
        return INK_NEXT_WAIT;
    if (finish(m) < 0) {
        set_failed(m, "out of memory");
        return INK_NEXT_FAILED;
    }
    return INK_NEXT_DONE;
}

/* ink_inbound_feed - route the answer to the child that asked */
int ink_inbound_feed(struct ink_inbound *m, uint32_t token, const struct ink_dns_answer *answer)
{
    size_t i;

    for (i = 0; i < m->npending; i++)
        if (m->pending[i].outer == token) {
            struct pending p = m->pending[i];

            m->pending[i] = m->pending[--m->npending];
            if (m->finished || m->failed)
                return 0;
            (void)ink_machine_feed(m->c[p.child].m, p.inner, answer);
            return 0;
        }
    return -1;
}

static enum ink_next op_next(void *self, struct ink_query *q)
{
    return ink_inbound_next(self, q);
}

static int op_feed(void *self, uint32_t token, const struct ink_dns_answer *a)
{
    return ink_inbound_feed(self, token, a);
}

static const struct ink_machine_ops inbound_ops = {"inbound", op_next, op_feed};

/* ink_inbound_machine - m for a driver */
struct ink_machine ink_inbound_machine(struct ink_inbound *m)
{
    struct ink_machine mm = {&inbound_ops, m};

    return mm;
}

/* ---- accessors ---- */

const struct ink_inbound_spf *ink_inbound_spf(const struct ink_inbound *m)
{
    return &m->spf_res;
}

const struct ink_inbound_arc *ink_inbound_arc(const struct ink_inbound *m)
{
    return &m->arc_res;
}

const struct ink_inbound_dmarc *ink_inbound_dmarc(const struct ink_inbound *m)
{
    return &m->dmarc_res;
}

const struct ink_inbound_iprev *ink_inbound_iprev(const struct ink_inbound *m)
{
    return &m->iprev_res;
}

const struct ink_dkim_verify *ink_inbound_dkim(const struct ink_inbound *m)
{
    return m->dkim;
}

size_t ink_inbound_findings(const struct ink_inbound *m, const char *area,
                            const struct ink_finding **out)
{
    const struct inb_findings *l = strcmp(area, "helo") == 0 ? &m->helo_f : &m->rfc_f;

    *out = l->f;
    return l->n;
}

enum ink_trust ink_inbound_trust(const struct ink_inbound *m)
{
    return m->trust;
}

const struct ink_mailhdr *ink_inbound_header(const struct ink_inbound *m)
{
    return ink_dkim_verify_header(m->dkim);
}

const char *ink_inbound_ip(const struct ink_inbound *m)
{
    return m->ip_text;
}

const char *ink_inbound_helo(const struct ink_inbound *m)
{
    return m->helo;
}

const char *ink_inbound_mail_from(const struct ink_inbound *m)
{
    return m->mail_from;
}

size_t ink_inbound_nrcpt(const struct ink_inbound *m)
{
    return m->nrcpt;
}

const char *ink_inbound_rcpt(const struct ink_inbound *m, size_t i)
{
    return i < m->nrcpt ? m->rcpt[i] : NULL;
}

size_t ink_inbound_queries(const struct ink_inbound *m)
{
    return m->nqueries;
}

/* bare_path - MAIL FROM without the angle brackets */
static void bare_path(const char *mf, const char **p, size_t *len)
{
    size_t n = strlen(mf);

    if (n >= 2 && mf[0] == '<' && mf[n - 1] == '>') {
        mf++;
        n -= 2;
    }
    *p = mf;
    *len = n;
}

/* ink_inbound_authres - the Authentication-Results field */
int ink_inbound_authres(const struct ink_inbound *m, const char *authserv_id, const char *arc,
                        struct ink_str *out)
{
    const struct ink_inbound_dmarc *dr = &m->dmarc_res;
    size_t i, n = ink_dkim_verify_count(m->dkim);
    int any = 0;

    if (ink_authres_begin(out, authserv_id) < 0)
        return -1;
    if (m->spf != NULL) {
        const char *p;
        size_t len;

        any = 1;
        if (ink_authres_method(out, "spf", ink_spf_result_name(m->spf_res.result)) < 0)
            return -1;
        bare_path(m->mail_from, &p, &len);
        if (m->spf_res.from_helo ? ink_authres_prop(out, "smtp", "helo", m->helo, strlen(m->helo))
                                 : ink_authres_prop(out, "smtp", "mailfrom", p, len))
            return -1;
    }
    if (m->spf_helo != NULL) {
        any = 1;
        if (ink_authres_method(out, "spf", ink_spf_result_name(m->spf_res.helo_result)) < 0 ||
            ink_authres_prop(out, "smtp", "helo", m->helo, strlen(m->helo)) < 0)
            return -1;
    }
    for (i = 0; i < n; i++) {
        const struct ink_dkim_result *d = ink_dkim_verify_result(m->dkim, i);
        const char *b = d->sig != NULL && d->sig->b_text != NULL ? d->sig->b_text : "";
        size_t blen = strlen(b);

        any = 1;
        if (ink_authres_method(out, "dkim", ink_dkim_result_name(d->code)) < 0 ||
            (d->code != INK_DKIM_PASS && ink_authres_reason(out, d->reason) < 0) ||
            ink_authres_prop(out, "header", "d", d->d, strlen(d->d)) < 0 ||
            ink_authres_prop(out, "header", "s", d->s, strlen(d->s)) < 0 ||
            ink_authres_prop(out, "header", "a", d->alg, strlen(d->alg)) < 0 ||
            (blen > 0 && ink_authres_prop(out, "header", "b", b,
                                          blen < INK_AUTHRES_B_PREFIX ? blen
                                                                      : INK_AUTHRES_B_PREFIX) < 0))
            return -1;
    }
    if (dr->from_status == INK_FROM_OK || dr->result != INK_DMARC_RES_NONE) {
        any = 1;
        if (ink_authres_method(out, "dmarc", ink_dmarc_outcome_name(dr->result)) < 0)
            return -1;
        if (dr->result == INK_DMARC_RES_PERMERROR && dr->from_reason != NULL &&
            ink_authres_reason(out, dr->from_reason) < 0)
            return -1;
        if (dr->author_domain != NULL &&
            ink_authres_prop(out, "header", "from", dr->author_domain, strlen(dr->author_domain)) < 0)
            return -1;
        if ((dr->result == INK_DMARC_RES_PASS || dr->result == INK_DMARC_RES_FAIL)) {
            const char *p = ink_dmarc_policy_name(dr->eval.policy);
            const char *dis = ink_dmarc_policy_name(dr->eval.disposition);

            if (p != NULL && ink_authres_prop(out, "policy", "dmarc", p, strlen(p)) < 0)
                return -1;
            if (dis != NULL && ink_authres_prop(out, "policy", "disposition", dis, strlen(dis)) < 0)
                return -1;
        }
    }
    if (m->has_ip) {
        any = 1;
        if (ink_authres_method(out, "iprev", ink_iprev_result_name(m->iprev_res.result)) < 0 ||
            ink_authres_prop(out, "policy", "iprev", m->ip_text, strlen(m->ip_text)) < 0)
            return -1;
        if (m->iprev_res.name != NULL &&
            ink_str_printf(out, " (%s)", m->iprev_res.result == INK_IPREV_PASS ? "confirmed" : "unconfirmed") < 0)
            return -1;
    }
    if (arc != NULL || m->arc_res.count > 0) {
        any = 1;
        if (ink_authres_method(out, "arc", arc != NULL ? arc
                                           : m->arc_res.temporary ? "temperror"
                                                                  : ink_arc_cv_name(m->arc_res.cv)) < 0)
            return -1;
        if (arc == NULL && m->arc_res.cv == INK_ARC_CV_PASS && m->arc_res.chain[0] != '\0' &&
            ink_authres_prop(out, "arc", "chain", m->arc_res.chain, strlen(m->arc_res.chain)) < 0)
            return -1;
    }
    if (!any && ink_authres_none(out) < 0)
        return -1;
    return 0;
}
