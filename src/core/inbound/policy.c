/*
 * policy.c - the receiver's local policy: parsed from YAML (libyaml, from
 * memory; size, nesting and list lengths bounded by named constants, the
 * depth checked on the event stream before the document is built, as
 * profile.c does), and the verdict it gives an evaluated message.
 */
#include "inkan/policy.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "inkan/yamlcheck.h"

/* ---- names ---- */

const char *ink_verdict_name(enum ink_verdict_action a)
{
    switch (a) {
    case INK_VERDICT_ACCEPT:
        return "accept";
    case INK_VERDICT_QUARANTINE:
        return "quarantine";
    case INK_VERDICT_REJECT:
        return "reject";
    case INK_VERDICT_TEMPFAIL:
        return "tempfail";
    }
    return "accept";
}

const char *ink_policy_mode_name(enum ink_policy_mode m)
{
    switch (m) {
    case INK_POLICY_ENFORCE:
        return "enforce";
    case INK_POLICY_MONITOR:
        return "monitor";
    case INK_POLICY_STAGED:
        return "staged";
    case INK_POLICY_PEOPLE:
        return "people-centric";
    }
    return "enforce";
}

/* ---- the object ---- */

/* ink_policy_free - release */
void ink_policy_free(struct ink_policy *p)
{
    size_t i;

    if (p == NULL)
        return;
    free(p->authserv_id);
    ink_strv_free(p->staged, p->nstaged);
    ink_strv_free(p->people, p->npeople);
    ink_strv_free(p->mailfrom, p->nmailfrom);
    ink_strv_free(p->author, p->nauthor);
    ink_strv_free(p->sealers, p->nsealers);
    for (i = 0; p->ip != NULL && i < p->nip; i++)
        free(p->ip[i].text);
    free(p->ip);
    free(p);
}

/* ink_policy_default - the policy without a file */
struct ink_policy *ink_policy_default(void)
{
    struct ink_policy *p = calloc(1, sizeof(*p));

    if (p == NULL)
        return NULL;
    p->authserv_id = ink_memdup_cstr(INK_POLICY_AUTHSERV_DEFAULT, strlen(INK_POLICY_AUTHSERV_DEFAULT));
    if (p->authserv_id == NULL) {
        free(p);
        return NULL;
    }
    p->mode = INK_POLICY_ENFORCE;
    p->on_temperror = INK_VERDICT_TEMPFAIL;
    p->on_permerror = INK_VERDICT_ACCEPT;
    return p;
}

/* ---- parsing ---- */

struct pctx {
    yaml_document_t *doc;
    struct ink_str *err;
    int failed;
};

/* perr - the first error, with the node's position */
static int perr(struct pctx *c, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int perr(struct pctx *c, const yaml_node_t *n, const char *fmt, ...)
{
    va_list ap;

    if (!c->failed) {
        c->failed = 1;
        if (n != NULL)
            (void)ink_str_printf(c->err, "%zu:%zu: ", n->start_mark.line + 1,
                                 n->start_mark.column + 1);
        va_start(ap, fmt);
        (void)ink_str_vprintf(c->err, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* scalar - the text of a scalar node (NUL-terminated by libyaml), or NULL */
static const char *scalar(struct pctx *c, const yaml_node_t *n, const char *what)
{
    size_t i;

    if (n == NULL || n->type != YAML_SCALAR_NODE) {
        perr(c, n, "%s: a single value is expected", what);
        return NULL;
    }
    if (n->data.scalar.length > INK_POLICY_SCALAR_MAX) {
        perr(c, n, "%s: value too long", what);
        return NULL;
    }
    for (i = 0; i < n->data.scalar.length; i++)
        if (n->data.scalar.value[i] < 0x20 || n->data.scalar.value[i] >= 0x7f) {
            perr(c, n, "%s: only printable ASCII is allowed", what);
            return NULL;
        }
    return (const char *)n->data.scalar.value;
}

/* pattern_ok - a domain, or "*." and a domain */
static int pattern_ok(const char *s)
{
    char tmp[INK_DNS_NAME_MAX + 1];

    if (strncmp(s, "*.", 2) == 0)
        s += 2;
    return ink_dns_name_normalize(s, strlen(s), tmp, sizeof(tmp)) > 0;
}

/* string_list - a sequence of scalars; check(s) may refuse one */
static int string_list(struct pctx *c, const yaml_node_t *n, const char *what, char ***out,
                       size_t *count, int (*check)(const char *))
{
    yaml_node_item_t *it;
    size_t k = 0, nitems;

    if (n->type != YAML_SEQUENCE_NODE)
        return perr(c, n, "%s: a list is expected", what);
    nitems = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (nitems > INK_POLICY_LIST_MAX)
        return perr(c, n, "%s: too many entries", what);
    *out = calloc(nitems + 1, sizeof(**out));
    if (*out == NULL)
        return perr(c, NULL, "%s: out of memory", what);
    for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
        const yaml_node_t *e = yaml_document_get_node(c->doc, *it);
        const char *s = scalar(c, e, what);
        size_t j;

        if (s == NULL)
            return -1;
        if (check != NULL && !check(s))
            return perr(c, e, "%s: not a valid entry", what);
        (*out)[k] = ink_memdup_cstr(s, strlen(s));
        if ((*out)[k] == NULL)
            return perr(c, NULL, "%s: out of memory", what);
        for (j = 0; (*out)[k][j] != '\0'; j++)
            if ((*out)[k][j] >= 'A' && (*out)[k][j] <= 'Z')
                (*out)[k][j] = (char)((*out)[k][j] - 'A' + 'a');
        k++;
        *count = k;
    }
    return 0;
}

/* person_ok - an address (local@domain) or a domain pattern */
static int person_ok(const char *s)
{
    const char *at = strrchr(s, '@');

    return at != NULL ? at > s && pattern_ok(at + 1) : pattern_ok(s);
}

/* cidr_parse - "ADDR" or "ADDR/PREFIX"; 0 or -1 */
static int cidr_parse(const char *s, struct ink_policy_cidr *out)
{
    const char *slash = strchr(s, '/');
    size_t alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
    unsigned max, v = 0;

    if (ink_ip_parse(s, alen, &out->family, out->addr) < 0)
        return -1;
    max = out->family == 4 ? 32 : 128;
    if (slash == NULL) {
        out->prefix = max;
        return 0;
    }
    if (slash[1] == '\0' || strlen(slash + 1) > 3)
        return -1;
    for (s = slash + 1; *s != '\0'; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (unsigned)(*s - '0');
    }
    if (v > max)
        return -1;
    out->prefix = v;
    return 0;
}

/* ip_list - the CIDR exceptions */
static int ip_list(struct pctx *c, struct ink_policy *p, const yaml_node_t *n)
{
    yaml_node_item_t *it;
    size_t nitems;

    if (n->type != YAML_SEQUENCE_NODE)
        return perr(c, n, "%s: a list is expected", "exceptions.ip");
    nitems = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (nitems > INK_POLICY_LIST_MAX)
        return perr(c, n, "%s: too many entries", "exceptions.ip");
    p->ip = calloc(nitems + 1, sizeof(*p->ip));
    if (p->ip == NULL)
        return perr(c, NULL, "%s: out of memory", "exceptions.ip");
    for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
        const yaml_node_t *e = yaml_document_get_node(c->doc, *it);
        const char *s = scalar(c, e, "exceptions.ip");

        if (s == NULL)
            return -1;
        if (cidr_parse(s, &p->ip[p->nip]) < 0)
            return perr(c, e, "exceptions.ip: '%s' is not an address or ADDRESS/PREFIX", s);
        p->ip[p->nip].text = ink_memdup_cstr(s, strlen(s));
        if (p->ip[p->nip].text == NULL)
            return perr(c, NULL, "%s: out of memory", "exceptions.ip");
        p->nip++;
    }
    return 0;
}

/* is_key - the mapping key's text is k */
static int is_key(const yaml_node_t *kn, const char *k)
{
    return kn->type == YAML_SCALAR_NODE && kn->data.scalar.length == strlen(k) &&
           memcmp(kn->data.scalar.value, k, strlen(k)) == 0;
}

/* exceptions - the exceptions mapping */
static int exceptions(struct pctx *c, struct ink_policy *p, const yaml_node_t *n)
{
    yaml_node_pair_t *pr;

    if (n->type != YAML_MAPPING_NODE)
        return perr(c, n, "%s: a mapping is expected", "exceptions");
    for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
        const yaml_node_t *k = yaml_document_get_node(c->doc, pr->key);
        const yaml_node_t *v = yaml_document_get_node(c->doc, pr->value);
        int rc;

        if (is_key(k, "ip"))
            rc = p->ip != NULL ? perr(c, k, "%s: given twice", "exceptions.ip") : ip_list(c, p, v);
        else if (is_key(k, "mail-from"))
            rc = p->mailfrom != NULL ? perr(c, k, "%s: given twice", "mail-from")
                                     : string_list(c, v, "exceptions.mail-from", &p->mailfrom,
                                                   &p->nmailfrom, pattern_ok);
        else if (is_key(k, "author-domain"))
            rc = p->author != NULL ? perr(c, k, "%s: given twice", "author-domain")
                                   : string_list(c, v, "exceptions.author-domain", &p->author,
                                                 &p->nauthor, pattern_ok);
        else if (is_key(k, "arc-sealers"))
            rc = p->sealers != NULL ? perr(c, k, "%s: given twice", "arc-sealers")
                                    : string_list(c, v, "exceptions.arc-sealers", &p->sealers,
                                                  &p->nsealers, pattern_ok);
        else
            rc = perr(c, k, "exceptions: unknown key '%s' (ip, mail-from, author-domain, arc-sealers)",
                      k->type == YAML_SCALAR_NODE ? (const char *)k->data.scalar.value : "?");
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* top - the top mapping */
static int top(struct pctx *c, struct ink_policy *p, const yaml_node_t *n)
{
    yaml_node_pair_t *pr;
    int seen_id = 0, seen_mode = 0;

    if (n->type != YAML_MAPPING_NODE)
        return perr(c, n, "%s: the policy is a mapping of keys", "policy");
    for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
        const yaml_node_t *k = yaml_document_get_node(c->doc, pr->key);
        const yaml_node_t *v = yaml_document_get_node(c->doc, pr->value);
        const char *s;

        if (k == NULL || v == NULL || k->type != YAML_SCALAR_NODE)
            return perr(c, k, "%s: keys are plain words", "policy");
        if (is_key(k, "authserv-id")) {
            char tmp[INK_DNS_NAME_MAX + 1];

            if (seen_id++ || (s = scalar(c, v, "authserv-id")) == NULL)
                return seen_id > 1 ? perr(c, k, "%s: given twice", "authserv-id") : -1;
            if (ink_dns_name_normalize(s, strlen(s), tmp, sizeof(tmp)) <= 0)
                return perr(c, v, "authserv-id: '%s' is not a host name", s);
            free(p->authserv_id);
            p->authserv_id = ink_memdup_cstr(s, strlen(s));
            if (p->authserv_id == NULL)
                return perr(c, NULL, "%s: out of memory", "authserv-id");
        } else if (is_key(k, "mode")) {
            if (seen_mode++ || (s = scalar(c, v, "mode")) == NULL)
                return seen_mode > 1 ? perr(c, k, "%s: given twice", "mode") : -1;
            if (strcmp(s, "enforce") == 0)
                p->mode = INK_POLICY_ENFORCE;
            else if (strcmp(s, "monitor") == 0)
                p->mode = INK_POLICY_MONITOR;
            else if (strcmp(s, "staged") == 0)
                p->mode = INK_POLICY_STAGED;
            else if (strcmp(s, "people-centric") == 0)
                p->mode = INK_POLICY_PEOPLE;
            else
                return perr(c, v, "mode: '%s' is not monitor, enforce, staged or people-centric", s);
        } else if (is_key(k, "staged")) {
            if (p->staged != NULL ||
                string_list(c, v, "staged", &p->staged, &p->nstaged, pattern_ok) < 0)
                return p->staged != NULL && !c->failed ? perr(c, k, "%s: given twice", "staged") : -1;
        } else if (is_key(k, "people-centric")) {
            if (p->people != NULL ||
                string_list(c, v, "people-centric", &p->people, &p->npeople, person_ok) < 0)
                return p->people != NULL && !c->failed ? perr(c, k, "%s: given twice", "people-centric")
                                                       : -1;
        } else if (is_key(k, "exceptions")) {
            if (exceptions(c, p, v) < 0)
                return -1;
        } else if (is_key(k, "temperror")) {
            if ((s = scalar(c, v, "temperror")) == NULL)
                return -1;
            if (strcmp(s, "accept") == 0)
                p->on_temperror = INK_VERDICT_ACCEPT;
            else if (strcmp(s, "tempfail") == 0)
                p->on_temperror = INK_VERDICT_TEMPFAIL;
            else
                return perr(c, v, "temperror: '%s' is not accept or tempfail", s);
        } else if (is_key(k, "permerror")) {
            if ((s = scalar(c, v, "permerror")) == NULL)
                return -1;
            if (strcmp(s, "accept") == 0)
                p->on_permerror = INK_VERDICT_ACCEPT;
            else if (strcmp(s, "quarantine") == 0)
                p->on_permerror = INK_VERDICT_QUARANTINE;
            else if (strcmp(s, "reject") == 0)
                p->on_permerror = INK_VERDICT_REJECT;
            else
                return perr(c, v, "permerror: '%s' is not accept, quarantine or reject", s);
        } else {
            return perr(c, k,
                        "unknown key '%s' (authserv-id, mode, staged, people-centric, "
                        "exceptions, temperror, permerror)",
                        (const char *)k->data.scalar.value);
        }
    }
    if (p->mode == INK_POLICY_STAGED && p->nstaged == 0)
        return perr(c, n, "%s: mode staged needs a 'staged' list of Author Domains", "policy");
    if (p->mode == INK_POLICY_PEOPLE && p->npeople == 0)
        return perr(c, n, "%s: mode people-centric needs a 'people-centric' list of recipients",
                    "policy");
    return 0;
}

/* ink_policy_parse - the YAML policy */
struct ink_policy *ink_policy_parse(const uint8_t *buf, size_t len, struct ink_str *err)
{
    static const struct ink_yaml_limits lim = {"policy", INK_POLICY_SIZE_MAX, INK_POLICY_DEPTH_MAX,
                                               INK_YAML_NO_ALIASES};
    yaml_document_t doc;
    struct ink_policy *p;
    struct pctx c;
    yaml_node_t *root;

    if (ink_yaml_load(buf, len, &lim, &doc, err) < 0)
        return NULL;
    p = ink_policy_default();
    if (p == NULL) {
        yaml_document_delete(&doc);
        ink_str_puts(err, "out of memory");
        return NULL;
    }
    c.doc = &doc;
    c.err = err;
    c.failed = 0;
    root = yaml_document_get_root_node(&doc);
    if (root != NULL) /* an empty file is the default policy */
        (void)top(&c, p, root);
    yaml_document_delete(&doc);
    if (c.failed) {
        ink_policy_free(p);
        return NULL;
    }
    return p;
}

/* ---- matching ---- */

/* ink_policy_pattern_match - exact domain, or "*.d" for names below d */
int ink_policy_pattern_match(const char *pattern, const char *domain)
{
    if (pattern == NULL || domain == NULL || domain[0] == '\0')
        return 0;
    if (strncmp(pattern, "*.", 2) == 0)
        return ink_dns_name_is_subdomain(domain, pattern + 2) &&
               !ink_dns_name_eq(domain, pattern + 2);
    return ink_dns_name_eq(pattern, domain);
}

/* any_match - a list entry matches domain; the entry, or NULL */
static const char *any_match(char *const *l, size_t n, const char *domain)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (ink_policy_pattern_match(l[i], domain))
            return l[i];
    return NULL;
}

/* cidr_match - addr in range r */
static int cidr_match(const struct ink_policy_cidr *r, int family, const uint8_t *addr)
{
    unsigned full = r->prefix / 8, rest = r->prefix % 8;

    if (family != r->family)
        return 0;
    if (memcmp(r->addr, addr, full) != 0)
        return 0;
    if (rest == 0)
        return 1;
    return ((r->addr[full] ^ addr[full]) & (0xffu << (8 - rest)) & 0xffu) == 0;
}

/* mailfrom_domain - the domain of the MAIL FROM path into out ("" if none) */
static void mailfrom_domain(const char *mf, char *out, size_t outsz)
{
    const char *at = strrchr(mf, '@');
    size_t n;

    out[0] = '\0';
    if (at == NULL)
        return;
    n = strcspn(at + 1, ">");
    if (ink_dns_name_normalize(at + 1, n, out, outsz) < 0)
        out[0] = '\0';
}

/* rcpt_entry - the people-centric entry recipient r ("a@b" or "<a@b>")
 * matches (owned by p), or NULL */
static const char *rcpt_entry(const struct ink_policy *p, const char *r)
{
    char addr[INK_POLICY_SCALAR_MAX + 1], dom[INK_DNS_NAME_MAX + 1];
    size_t n = strlen(r), k;
    const char *at;

    if (n >= 2 && r[0] == '<' && r[n - 1] == '>') {
        r++;
        n -= 2;
    }
    if (n > INK_POLICY_SCALAR_MAX)
        return NULL;
    memcpy(addr, r, n);
    addr[n] = '\0';
    for (k = 0; k < n; k++)
        if (addr[k] >= 'A' && addr[k] <= 'Z')
            addr[k] = (char)(addr[k] - 'A' + 'a');
    at = strrchr(addr, '@');
    if (at == NULL || ink_dns_name_normalize(at + 1, strlen(at + 1), dom, sizeof(dom)) <= 0)
        dom[0] = '\0';
    for (k = 0; k < p->npeople; k++)
        if (strchr(p->people[k], '@') != NULL ? strcmp(p->people[k], addr) == 0
                                              : ink_policy_pattern_match(p->people[k], dom))
            return p->people[k];
    return NULL;
}

/* person_match - a recipient of m matches an address or a domain pattern */
static const char *person_match(const struct ink_policy *p, const struct ink_inbound *m)
{
    size_t i;
    const char *hit;

    for (i = 0; i < ink_inbound_nrcpt(m); i++)
        if ((hit = rcpt_entry(p, ink_inbound_rcpt(m, i))) != NULL)
            return hit;
    return NULL;
}

/* ink_policy_rcpt_protected - whether the recipient decides for enforcement */
int ink_policy_rcpt_protected(const struct ink_policy *p, const char *rcpt, const char **entry)
{
    const char *hit = NULL;
    int rc;

    if (p->mode == INK_POLICY_PEOPLE) {
        hit = rcpt != NULL ? rcpt_entry(p, rcpt) : NULL;
        rc = hit != NULL;
    } else {
        rc = p->mode != INK_POLICY_MONITOR;
    }
    if (entry != NULL)
        *entry = hit;
    return rc;
}

/* ink_policy_decide - the verdict */
void ink_policy_decide(const struct ink_policy *p, const struct ink_inbound *m,
                       const struct ink_policy_arc *arc, struct ink_verdict *v)
{
    const struct ink_inbound_dmarc *d = ink_inbound_dmarc(m);
    const char *author = d->author_domain != NULL ? d->author_domain : "";
    const char *hit;
    char mf[INK_DNS_NAME_MAX + 1];
    size_t i;

    struct ink_policy_arc own;

    memset(v, 0, sizeof(*v));
    if (arc == NULL) { /* the message machine's own ARC result */
        const struct ink_inbound_arc *ia = ink_inbound_arc(m);

        own.cv = ink_arc_cv_name(ia->cv);
        own.sealer = ia->sealer;
        own.upstream_pass = ia->upstream_pass;
        arc = &own;
    }
    v->action = INK_VERDICT_ACCEPT;
    (void)snprintf(v->smtp_reply, sizeof(v->smtp_reply), "250 2.0.0 accepted");
    if (d->result == INK_DMARC_RES_TEMPERROR) {
        if (p->mode == INK_POLICY_MONITOR || p->on_temperror == INK_VERDICT_ACCEPT) {
            v->override = "local_policy";
            (void)snprintf(v->comment, sizeof(v->comment), "temperror accepted (%s)",
                           p->mode == INK_POLICY_MONITOR ? "monitor mode" : "temperror: accept");
            return;
        }
        v->action = INK_VERDICT_TEMPFAIL;
        (void)snprintf(v->smtp_reply, sizeof(v->smtp_reply),
                       "451 4.7.5 temporary failure evaluating the DMARC policy of %s, try again later",
                       author[0] != '\0' ? author : "the sender");
        return;
    }
    if (d->result == INK_DMARC_RES_PERMERROR) {
        if (p->on_permerror == INK_VERDICT_ACCEPT || p->mode == INK_POLICY_MONITOR)
            return;
        v->action = p->on_permerror;
        if (v->action == INK_VERDICT_REJECT)
            (void)snprintf(v->smtp_reply, sizeof(v->smtp_reply),
                           "550 5.7.1 the message has no single Author Domain (%s)",
                           ink_from_status_name(d->from_status));
        else
            (void)snprintf(v->smtp_reply, sizeof(v->smtp_reply),
                           "250 2.0.0 accepted (quarantined: no single Author Domain)");
        return;
    }
    if (d->result != INK_DMARC_RES_FAIL || d->eval.disposition == INK_DMARC_P_NONE ||
        d->eval.disposition == INK_DMARC_P_UNSET)
        return;

    /* a failing message the domain asks to quarantine or reject: the
     * exceptions first, each named in the result */
    {
        int fam;
        uint8_t ip[16];
        const char *ipt = ink_inbound_ip(m);

        if (ipt[0] != '\0' && ink_ip_parse(ipt, strlen(ipt), &fam, ip) == 0)
            for (i = 0; i < p->nip; i++)
                if (cidr_match(&p->ip[i], fam, ip)) {
                    v->override = "local_policy";
                    (void)snprintf(v->comment, sizeof(v->comment),
                                   "client %s is in the exception range %s", ipt, p->ip[i].text);
                    return;
                }
    }
    mailfrom_domain(ink_inbound_mail_from(m), mf, sizeof(mf));
    if ((hit = any_match(p->mailfrom, p->nmailfrom, mf)) != NULL) {
        v->override = "local_policy";
        (void)snprintf(v->comment, sizeof(v->comment),
                       "MAIL FROM domain %s matches the exception %s", mf, hit);
        return;
    }
    if ((hit = any_match(p->author, p->nauthor, author)) != NULL) {
        v->override = "local_policy";
        (void)snprintf(v->comment, sizeof(v->comment), "Author Domain %s matches the exception %s",
                       author, hit);
        return;
    }
    if (arc != NULL && arc->cv != NULL && strcmp(arc->cv, "pass") == 0 && arc->sealer != NULL &&
        arc->upstream_pass && (hit = any_match(p->sealers, p->nsealers, arc->sealer)) != NULL) {
        v->override = "trusted_forwarder";
        (void)snprintf(v->comment, sizeof(v->comment),
                       "ARC chain passes, sealed by the trusted %s, which saw it pass", arc->sealer);
        return;
    }
    /* then the mode */
    if (p->mode == INK_POLICY_MONITOR) {
        v->override = "local_policy";
        (void)snprintf(v->comment, sizeof(v->comment), "monitor mode: %s not applied",
                       ink_dmarc_policy_name(d->eval.disposition));
        return;
    }
    if (p->mode == INK_POLICY_STAGED && any_match(p->staged, p->nstaged, author) == NULL) {
        v->override = "local_policy";
        (void)snprintf(v->comment, sizeof(v->comment),
                       "staged rollout: %s is not yet enforced", author);
        return;
    }
    if (p->mode == INK_POLICY_PEOPLE && person_match(p, m) == NULL) {
        v->override = "local_policy";
        (void)snprintf(v->comment, sizeof(v->comment),
                       "people-centric rollout: no protected recipient");
        return;
    }
    v->enforced = 1;
    if (d->eval.disposition == INK_DMARC_P_REJECT) {
        v->action = INK_VERDICT_REJECT;
        (void)snprintf(v->smtp_reply, sizeof(v->smtp_reply),
                       "550 5.7.1 rejected by the DMARC policy of %s (%s=reject)", author,
                       d->eval.tag == INK_DMARC_TAG_NONE ? "p" : ink_dmarc_policy_tag_name(d->eval.tag));
    } else {
        v->action = INK_VERDICT_QUARANTINE;
        (void)snprintf(v->smtp_reply, sizeof(v->smtp_reply),
                       "250 2.0.0 accepted (quarantined by the DMARC policy of %s)", author);
    }
}
