/*
 * audit_checks.c - the audit's DMARC, MX, PTR, HELO, CNAME and
 * MTA-STS/TLS-RPT/BIMI checks, and the dispatch of answers to them.
 * SPF and DKIM live in audit_spf.c and audit_dkim.c.
 */
#include <stdlib.h>
#include <string.h>

#include "audit_int.h"

/* The informational records looked up, by index (H_INFO's i). */
static const struct {
    const char *area;
    const char *prefix;   /* prepended to the domain */
    const char *version;  /* what the TXT must start with */
    const char *present_code, *absent_code;
    const char *absent_msg; /* followed by the domain */
} info_records[] = {
    {"mta-sts", "_mta-sts.", "v=STSv1", "mta-sts-present", "mta-sts-absent",
     "no MTA-STS policy: senders cannot be told to require TLS for mail to "},
    {"tls-rpt", "_smtp._tls.", "v=TLSRPTv1", "tls-rpt-present", "tls-rpt-absent",
     "no TLS-RPT record: nobody receives reports of TLS failures for mail to "},
    {"bimi", "default._bimi.", "v=BIMI1", "bimi-present", "bimi-absent",
     "no BIMI record: mailbox providers show no brand logo for "},
};
#define NINFO (sizeof(info_records) / sizeof(info_records[0]))

/* audit_is_temp - the answer says nothing either way */
int audit_is_temp(const struct ink_dns_answer *ans)
{
    return ans->status == INK_DNS_SERVFAIL || ans->status == INK_DNS_TIMEOUT;
}

/* ---- DMARC ---- */

/* dmarc_default_record - the record proposed when there is none */
static char *dmarc_default_record(struct ink_audit *a, const char *domain)
{
    struct ink_str s = INK_STR_INIT;

    if (a->rua != NULL)
        ink_str_printf(&s, "v=DMARC1; p=none; rua=%s", a->rua);
    else
        ink_str_printf(&s, "v=DMARC1; p=none; rua=mailto:dmarc-reports@%s", domain);
    if (s.buf == NULL)
        a->nomem = 1;
    return ink_str_steal(&s);
}

/* dmarc_owner - "_dmarc.DOMAIN" (fresh) */
static char *dmarc_owner(struct ink_audit *a, const char *domain)
{
    struct ink_str s = INK_STR_INIT;

    if (ink_str_printf(&s, "_dmarc.%s", domain) < 0) {
        ink_str_free(&s);
        a->nomem = 1;
        return NULL;
    }
    return ink_str_steal(&s);
}

/*
 * dmarc_repair - the record text with every error and warning the audit
 * reports about it repaired: a policy where none is valid, invalid sp/np
 * dropped, test mode ended, a weaker sp dropped, obsolete tags dropped, a
 * report address added when there is none.  A record over
 * INK_DMARC_RECORD_MAX is repaired from its tags up to the last ';' or ','
 * before the limit (so the repair keeps its policy and what fits of its
 * report addresses: a fix never weakens the published policy).  Caller
 * frees; NULL on ENOMEM.
 */
static char *dmarc_repair(struct ink_audit *a, const char *text, size_t len,
                          enum ink_dmarc_policy next, const char *domain)
{
    struct ink_dmarc_record *r;
    struct ink_str s = INK_STR_INIT;
    char *out;

    if (len > INK_DMARC_RECORD_MAX) {
        size_t cut = INK_DMARC_RECORD_MAX;

        while (cut > 0 && text[cut] != ';' && text[cut] != ',')
            cut--;
        len = cut;
    }
    r = ink_dmarc_record_parse((const uint8_t *)text, len);

    if (r == NULL) {
        a->nomem = 1;
        return NULL;
    }
    if (r->p == INK_DMARC_P_UNSET)
        r->p = INK_DMARC_P_NONE;
    if (next != INK_DMARC_P_UNSET)
        r->p = next;
    if (r->sp != INK_DMARC_P_UNSET && r->sp < r->p)
        r->sp = INK_DMARC_P_UNSET;
    if (r->np != INK_DMARC_P_UNSET && r->np < r->p)
        r->np = INK_DMARC_P_UNSET;
    if (r->t == INK_DMARC_FLAG_YES)
        r->t = INK_DMARC_FLAG_UNSET;
    if (r->nrua == 0) {
        char *def = dmarc_default_record(a, domain);
        const char *rua = def != NULL ? strstr(def, "rua=") : NULL;

        if (rua != NULL)
            ink_dmarc_record_add_uri(r, 0, rua + 4);
        free(def);
    }
    if (ink_dmarc_record_serialize(r, 0, &s) < 0)
        a->nomem = 1;
    ink_dmarc_record_free(r);
    out = ink_str_steal(&s);
    if (out == NULL)
        a->nomem = 1;
    return out;
}

/* looks_like_dmarc - a TXT at _dmarc that was meant as a record (v=dmarc1,
 * a stray prefix) rather than something unrelated */
static int looks_like_dmarc(const char *t)
{
    size_t i;

    for (i = 0; t[i] != '\0'; i++)
        if ((t[i] == 'd' || t[i] == 'D') && strncasecmp(t + i, "dmarc", 5) == 0)
            return 1;
    return strstr(t, "p=") != NULL;
}

/* dmarc_own_problems - multiple records, or a mistyped one, at _dmarc.DOMAIN;
 * returns 1 when one was reported */
static int dmarc_own_problems(struct ink_audit *a, const struct ink_dmarc_lookup *l)
{
    char *owner = dmarc_owner(a, a->domain), *fix = NULL, *rec = NULL;
    int reported = 0;

    if (owner == NULL)
        return 0;
    if (l->nrecords > 1) {
        rec = dmarc_default_record(a, a->domain);
        fix = rec ? audit_fix_line(a, owner, INK_DNS_TXT, rec) : NULL;
        audit_finding(a, INK_SEV_ERROR, "dmarc", "dmarc-multiple", owner, fix,
                      "%s has %zu DMARC records; receivers discard them all, so %s has no "
                      "DMARC policy: keep exactly one",
                      owner, l->nrecords, a->domain);
        reported = 1;
    } else if (l->nrecords == 0 && l->other_text != NULL && looks_like_dmarc(l->other_text)) {
        struct ink_dmarc_record *r =
            ink_dmarc_record_parse((const uint8_t *)l->other_text, strlen(l->other_text));
        const char *why = r != NULL && r->ndiag > 0 ? r->diag[0].message : "not a DMARC record";
        const char *t = l->other_text;
        struct ink_str s = INK_STR_INIT;
        struct ink_str shown = INK_STR_INIT;

        /* the usual typo: a wrong-case or spaced version tag */
        while (*t == ' ')
            t++;
        if (strncasecmp(t, "v=dmarc1", 8) == 0) {
            ink_str_printf(&s, "v=DMARC1%s", t + 8);
            rec = dmarc_repair(a, s.buf ? s.buf : "", s.len, INK_DMARC_P_UNSET, a->domain);
        } else {
            rec = dmarc_default_record(a, a->domain);
        }
        ink_str_free(&s);
        ink_str_put_printable(&shown, l->other_text, strlen(l->other_text), 120);
        fix = rec ? audit_fix_line(a, owner, INK_DNS_TXT, rec) : NULL;
        audit_finding(a, INK_SEV_ERROR, "dmarc", "dmarc-not-dmarc", owner, fix,
                      "the TXT record at %s (\"%s\") is not a DMARC record: %s",
                      owner, ink_str_cstr(&shown), why);
        ink_str_free(&shown);
        ink_dmarc_record_free(r);
        reported = 1;
    }
    free(fix);
    free(rec);
    free(owner);
    return reported;
}

/* dmarc_dests - the report destinations and their authorization */
static void dmarc_dests(struct ink_audit *a, const struct ink_dmarc_result *res)
{
    size_t i;

    for (i = 0; i < res->ndests; i++) {
        const struct ink_dmarc_dest *t = &res->dests[i];
        const char *which = t->in_rua && t->in_ruf ? "rua and ruf"
                            : t->in_rua             ? "rua"
                                                    : "ruf";
        char *fix = NULL;

        switch (t->status) {
        case INK_DMARC_DEST_INTERNAL:
            break;
        case INK_DMARC_DEST_AUTHORIZED:
            audit_record(a, "dmarc", t->qname, "TXT", "v=DMARC1", 8);
            audit_finding(a, INK_SEV_INFO, "dmarc", "report-dest-authorized", t->host, NULL,
                          "%s accepts DMARC reports for %s (%s)%s%s", t->host,
                          res->policy_domain, t->qname,
                          t->override_rua ? "; it redirects aggregate reports to " : "",
                          t->override_rua ? t->override_rua : "");
            break;
        case INK_DMARC_DEST_UNAUTHORIZED:
            fix = audit_fix_line(a, t->qname, INK_DNS_TXT, "v=DMARC1");
            audit_finding(a, INK_SEV_WARNING, "dmarc", "report-dest-unauthorized", t->host,
                          fix,
                          "%s sends reports to %s, outside %s, but %s has not published %s: "
                          "receivers drop these reports.  The operator of %s must publish "
                          "the record below, or remove the address",
                          which, t->host, res->org_domain, t->host, t->qname, t->host);
            break;
        case INK_DMARC_DEST_TEMPERROR:
            audit_finding(a, INK_SEV_WARNING, "dmarc", "report-dest-temperror", t->host, NULL,
                          "could not look up %s (temporary DNS failure): whether %s accepts "
                          "reports for %s is unknown",
                          t->qname, t->host, res->policy_domain);
            break;
        case INK_DMARC_DEST_TOO_LONG:
            audit_finding(a, INK_SEV_WARNING, "dmarc", "report-dest-name-too-long", t->host,
                          NULL,
                          "%s._report._dmarc.%s is longer than DNS allows: reports to %s "
                          "cannot be authorized; use a shorter destination",
                          res->policy_domain, t->host, t->host);
            break;
        case INK_DMARC_DEST_NOHOST:
        default:
            break;
        }
        free(fix);
    }
}

/* dmarc_done - turn the discovery's outcome into findings */
static void dmarc_done(struct ink_audit *a, const struct ink_dmarc_disc *d)
{
    const struct ink_dmarc_result *res = ink_dmarc_disc_result(d);
    const struct ink_dmarc_record *r = res->record;
    char *owner = NULL, *fixed = NULL, *fixline = NULL, *rec = NULL;
    int own_reported = 0;
    size_t i;

    a->dmarc_done = 1;
    for (i = 0; i < res->nlookups; i++) {
        const struct ink_dmarc_lookup *l = &res->lookups[i];
        char *o = dmarc_owner(a, l->domain);

        if (o != NULL && l->text != NULL)
            audit_record(a, "dmarc", o, "TXT", l->text, strlen(l->text));
        free(o);
    }
    if (res->nlookups > 0)
        own_reported = dmarc_own_problems(a, &res->lookups[0]);
    switch (res->status) {
    case INK_DMARC_DISC_TEMPERROR:
        audit_finding(a, INK_SEV_WARNING, "dmarc", "dmarc-temperror", res->temperror_name,
                      NULL,
                      "looking up %s failed (temporary DNS error): the DMARC policy of %s is "
                      "unknown",
                      res->temperror_name ? res->temperror_name : "the DMARC record",
                      a->domain);
        return;
    case INK_DMARC_DISC_BADNAME:
        return;
    case INK_DMARC_DISC_NONE:
        if (own_reported)
            return;
        owner = dmarc_owner(a, a->domain);
        rec = dmarc_default_record(a, a->domain);
        fixline = owner && rec ? audit_fix_line(a, owner, INK_DNS_TXT, rec) : NULL;
        audit_finding(a, INK_SEV_ERROR, "dmarc", "dmarc-missing", owner, fixline,
                      "%s has no DMARC record (nor does its organizational domain %s): "
                      "receivers apply no policy, send no reports, and large mailbox "
                      "providers reject or junk bulk mail from it.  Start with p=none and "
                      "reports",
                      a->domain, res->org_domain);
        goto out;
    case INK_DMARC_DISC_FOUND:
    default:
        break;
    }
    a->dmarc_policy = res->policy;
    a->dmarc_testing = r->t == INK_DMARC_FLAG_YES;
    if (res->temperror_name != NULL)
        audit_finding(a, INK_SEV_WARNING, "dmarc", "dmarc-temperror", res->temperror_name,
                      NULL,
                      "looking up %s failed (temporary DNS error): the policy of %s is known, "
                      "but its organizational domain (and so which report addresses are "
                      "outside it) may be wrong",
                      res->temperror_name, a->domain);
    owner = dmarc_owner(a, res->policy_domain);
    if (owner == NULL)
        goto out;
    if (res->from_psd) {
        char *org_owner = dmarc_owner(a, res->org_domain);

        rec = dmarc_default_record(a, res->org_domain);
        fixline = org_owner && rec ? audit_fix_line(a, org_owner, INK_DNS_TXT, rec) : NULL;
        audit_finding(a, INK_SEV_WARNING, "dmarc", "dmarc-psd-only", org_owner, fixline,
                      "only the public suffix %s publishes a DMARC policy (%s); %s has none "
                      "of its own and gets no reports",
                      res->policy_domain, res->record_text, res->org_domain);
        free(org_owner);
        free(fixline);
        free(rec);
        fixline = NULL;
        rec = NULL;
    } else if (res->inherited) {
        audit_finding(a, INK_SEV_INFO, "dmarc", "dmarc-inherited", owner, NULL,
                      "%s has no DMARC record of its own; the record of its organizational "
                      "domain %s applies (policy for %s: %s)",
                      a->domain, res->policy_domain, a->domain,
                      res->policy != INK_DMARC_P_UNSET ? ink_dmarc_policy_name(res->policy)
                                                       : "none applied");
    }
    /* one repaired record serves as the fix of every problem in it */
    fixed = dmarc_repair(a, res->record_text, strlen(res->record_text), INK_DMARC_P_UNSET,
                         res->policy_domain);
    if (fixed != NULL && strcmp(fixed, res->record_text) != 0)
        fixline = audit_fix_line(a, owner, INK_DNS_TXT, fixed);
    for (i = 0; i < r->ndiag; i++) {
        const struct ink_finding *dg = &r->diag[i];
        enum ink_severity sev = dg->severity;
        char *hint = NULL;

        if (res->from_psd && sev != INK_SEV_ERROR)
            continue; /* advice on someone else's record is noise */
        if (strcmp(dg->code, "policy-none") == 0 || strcmp(dg->code, "policy-quarantine") == 0) {
            /* the staged rollout: the next step as a record */
            char *next = dmarc_repair(a, res->record_text, strlen(res->record_text),
                                      r->p == INK_DMARC_P_NONE ? INK_DMARC_P_QUARANTINE
                                                               : INK_DMARC_P_REJECT,
                                      res->policy_domain);

            hint = next ? audit_fix_line(a, owner, INK_DNS_TXT, next) : NULL;
            free(next);
            audit_finding_pass(a, sev, "dmarc", dg->code, owner, hint, "%s", dg->message);
            free(hint);
            continue;
        }
        if (dg->offset > 0)
            audit_finding_pass(a, sev, "dmarc", dg->code, owner,
                          sev == INK_SEV_INFO ? NULL : fixline, "%s (byte %ld of the record)",
                          dg->message, dg->offset);
        else
            audit_finding_pass(a, sev, "dmarc", dg->code, owner,
                          sev == INK_SEV_INFO ? NULL : fixline, "%s", dg->message);
    }
    if (res->policy == INK_DMARC_P_REJECT && !a->dmarc_testing && r->nerrors == 0)
        audit_finding(a, INK_SEV_INFO, "dmarc", "policy-reject", owner, NULL,
                      "p=reject: %s is fully protected by DMARC", res->policy_domain);
    dmarc_dests(a, res);
out:
    free(owner);
    free(fixed);
    free(fixline);
    free(rec);
}

/* ---- MX ---- */

static int is_ip_literal(const char *s)
{
    int fam;
    uint8_t tmp[16];
    size_t n = strlen(s);

    if (n >= 2 && s[0] == '[' && s[n - 1] == ']')
        return 1;
    return ink_ip_parse(s, n, &fam, tmp) == 0;
}

/* reverse_name - the PTR query name of an address */
static void reverse_name(int family, const uint8_t *addr, char *out, size_t outsz)
{
    struct ink_str s = INK_STR_INIT;
    int i;

    if (family == 4) {
        ink_str_printf(&s, "%u.%u.%u.%u.in-addr.arpa", addr[3], addr[2], addr[1], addr[0]);
    } else {
        for (i = 15; i >= 0; i--)
            ink_str_printf(&s, "%x.%x.", addr[i] & 0xf, addr[i] >> 4);
        ink_str_puts(&s, "ip6.arpa");
    }
    if (s.buf != NULL && s.len < outsz)
        memcpy(out, s.buf, s.len + 1);
    else
        out[0] = '\0';
    ink_str_free(&s);
}

/* add_ptr_item - check the reverse DNS of an address */
static void add_ptr_item(struct ink_audit *a, int family, const uint8_t *addr,
                         const char *source, const char *hint, int sender)
{
    struct audit_ptr *p;
    char rev[80];
    size_t i, alen = family == 4 ? 4 : 16;

    for (i = 0; i < a->nptr; i++)
        if (a->ptr[i].family == family && memcmp(a->ptr[i].addr, addr, alen) == 0)
            return; /* the same address reached twice (two MX names) */
    if (a->nptr == a->capptr) {
        size_t ncap = a->capptr ? a->capptr * 2 : 8;
        struct audit_ptr *n = realloc(a->ptr, ncap * sizeof(*n));

        if (n == NULL) {
            a->nomem = 1;
            return;
        }
        a->ptr = n;
        a->capptr = ncap;
    }
    p = &a->ptr[a->nptr];
    memset(p, 0, sizeof(*p));
    p->family = family;
    memcpy(p->addr, addr, alen);
    p->source = audit_strdup(a, source);
    p->hint = audit_strdup(a, hint);
    p->sender = sender;
    p->pending = 1;
    a->nptr++;
    reverse_name(family, addr, rev, sizeof(rev));
    if (audit_query(a, rev, INK_DNS_PTR, H_PTR, a->nptr - 1, 0) < 0)
        p->pending = 0;
}

/* addr_text - an address as text into buf (INK 46 bytes) */
static const char *addr_text(int family, const uint8_t *addr, char *buf, size_t n)
{
    return ink_ip_format(family, addr, buf, n);
}

static void mx_answer(struct ink_audit *a, const struct ink_dns_answer *ans)
{
    size_t i;
    int nullmx = 0;

    if (audit_is_temp(ans)) {
        a->mx_state = 4;
        audit_finding(a, INK_SEV_WARNING, "mx", "mx-temperror", a->domain, NULL,
                      "looking up the MX records of %s failed (%s)", a->domain,
                      ink_dns_status_name(ans->status));
        return;
    }
    if (ans->status == INK_DNS_NXDOMAIN) {
        a->mx_state = 5;
        audit_finding(a, INK_SEV_ERROR, "mx", "domain-not-found", a->domain, NULL,
                      "%s does not exist in the DNS (NXDOMAIN): mail from it is rejected "
                      "everywhere",
                      a->domain);
        return;
    }
    for (i = 0; ans->status == INK_DNS_OK && i < ans->nrr; i++) {
        const struct ink_dns_rr *rr = &ans->rr[i];
        char line[INK_DNS_NAME_MAX + 16];
        struct ink_str s = INK_STR_INIT;

        if (rr->type != INK_DNS_MX)
            continue;
        ink_str_printf(&s, "%u %s.", rr->pref, rr->name[0] ? rr->name : "");
        audit_record(a, "mx", a->domain, "MX", ink_str_cstr(&s), s.len);
        ink_str_free(&s);
        (void)line;
        if (rr->name[0] == '\0') {
            nullmx++;
            continue;
        }
        if (a->nmx >= INK_AUDIT_MX_MAX)
            continue;
        a->mx[a->nmx].name = audit_strdup(a, rr->name);
        a->mx[a->nmx].pref = rr->pref;
        if (a->mx[a->nmx].name == NULL)
            continue;
        a->nmx++;
    }
    if (nullmx > 0 && a->nmx > 0) {
        audit_finding(a, INK_SEV_ERROR, "mx", "mx-null-mixed", a->domain, NULL,
                      "%s publishes a null MX (\"0 .\") beside other MX records: RFC 7505 "
                      "says a null MX must be the only one; remove one or the other",
                      a->domain);
    } else if (nullmx > 0) {
        a->mx_state = 3;
        audit_finding(a, INK_SEV_WARNING, "mx", "mx-null", a->domain, NULL,
                      "%s has a null MX: it receives no mail, so replies and bounces to it "
                      "are lost, and receivers may refuse mail sent from it (RFC 7505 4.2)",
                      a->domain);
        return;
    }
    if (a->nmx == 0) {
        a->mx_state = 2;
        /* RFC 5321 5.1: no MX means the domain's own address is used */
        a->domain_addr_pending = 2;
        if (audit_query(a, a->domain, INK_DNS_A, H_DOMAIN_ADDR, 0, 0) < 0)
            a->domain_addr_pending--;
        if (audit_query(a, a->domain, INK_DNS_AAAA, H_DOMAIN_ADDR, 0, 0) < 0)
            a->domain_addr_pending--;
        return;
    }
    a->mx_state = 1;
    for (i = 0; i < a->nmx; i++) {
        if (is_ip_literal(a->mx[i].name)) {
            audit_finding(a, INK_SEV_ERROR, "mx", "mx-ip-literal", a->mx[i].name, NULL,
                          "the MX of %s names an address (%s), not a host name: RFC 5321 "
                          "requires a name with A/AAAA records",
                          a->domain, a->mx[i].name);
            continue;
        }
        a->mx[i].pending = 2;
        if (audit_query(a, a->mx[i].name, INK_DNS_A, H_MX_ADDR, i, 0) < 0)
            a->mx[i].pending--;
        if (audit_query(a, a->mx[i].name, INK_DNS_AAAA, H_MX_ADDR, i, 0) < 0)
            a->mx[i].pending--;
    }
}

static void domain_addr_answer(struct ink_audit *a, const struct ink_dns_answer *ans)
{
    size_t i;
    char *fix;
    struct ink_str s = INK_STR_INIT;

    for (i = 0; ans->status == INK_DNS_OK && i < ans->nrr; i++)
        if (ans->rr[i].type == INK_DNS_A || ans->rr[i].type == INK_DNS_AAAA)
            a->domain_naddr++;
    if (--a->domain_addr_pending > 0)
        return;
    ink_str_printf(&s, "10 mail.%s.", a->domain);
    fix = audit_fix_line(a, a->domain, INK_DNS_MX, ink_str_cstr(&s));
    ink_str_free(&s);
    if (a->domain_naddr > 0)
        audit_finding(a, INK_SEV_WARNING, "mx", "mx-missing", a->domain, fix,
                      "%s has no MX record: mail to it goes to its A/AAAA address, which is "
                      "rarely a mail server, so replies and bounces may be lost.  Publish an "
                      "MX naming the host that receives mail (mail.%s below stands for it)",
                      a->domain, a->domain);
    else
        audit_finding(a, INK_SEV_ERROR, "mx", "mx-missing", a->domain, fix,
                      "%s has no MX record and no address: it cannot receive replies or "
                      "bounces, and many receivers refuse mail from a domain they cannot "
                      "answer.  Publish an MX naming the host that receives mail (mail.%s "
                      "below stands for it)",
                      a->domain, a->domain);
    free(fix);
}

static void mx_addr_answer(struct ink_audit *a, size_t i, const struct ink_dns_answer *ans)
{
    struct audit_mx *m = &a->mx[i];
    size_t k;
    char src[INK_DNS_NAME_MAX + 16];
    struct ink_str s = INK_STR_INIT;

    if (audit_is_temp(ans))
        m->temp = 1;
    for (k = 0; ans->status == INK_DNS_OK && k < ans->nrr; k++) {
        const struct ink_dns_rr *rr = &ans->rr[k];

        if (rr->type == INK_DNS_CNAME) {
            m->cname = 1;
            continue;
        }
        if (rr->type != INK_DNS_A && rr->type != INK_DNS_AAAA)
            continue;
        m->naddr++;
        {
            char buf[64];
            int fam = rr->type == INK_DNS_A ? 4 : 6;

            addr_text(fam, rr->addr, buf, sizeof(buf));
            audit_record(a, "mx", m->name, ink_dns_type_name(rr->type), buf, strlen(buf));
            if ((size_t)m->naddr <= INK_AUDIT_ADDRS_MAX) {
                ink_str_printf(&s, "MX host %s", m->name);
                add_ptr_item(a, fam, rr->addr, ink_str_cstr(&s), m->name, 0);
                ink_str_truncate(&s, 0);
            }
        }
    }
    ink_str_free(&s);
    (void)src;
    if (--m->pending > 0)
        return;
    if (m->cname)
        audit_finding(a, INK_SEV_WARNING, "mx", "mx-cname", m->name, NULL,
                      "MX host %s is an alias (CNAME); RFC 2181 10.3 requires MX targets to "
                      "be names with their own A/AAAA records",
                      m->name);
    if (m->naddr > 0)
        audit_finding(a, INK_SEV_INFO, "mx", "mx-ok", m->name, NULL,
                      "MX %u %s has %d address%s", m->pref, m->name, m->naddr,
                      m->naddr == 1 ? "" : "es");
    else if (m->naddr == 0 && m->temp)
        audit_finding(a, INK_SEV_WARNING, "mx", "mx-temperror", m->name, NULL,
                      "could not resolve MX host %s (temporary DNS error)", m->name);
    else if (m->naddr == 0)
        audit_finding(a, INK_SEV_ERROR, "mx", "mx-unresolvable", m->name, NULL,
                      "MX host %s of %s has no A or AAAA record: mail to %s cannot be "
                      "delivered there",
                      m->name, a->domain, a->domain);
}

/* ---- PTR / FCrDNS ---- */

static void ptr_conclude(struct ink_audit *a, struct audit_ptr *p)
{
    char ip[64], rev[80];
    char *fix = NULL;
    enum ink_severity sev = p->sender ? INK_SEV_ERROR : INK_SEV_WARNING;
    struct ink_str names = INK_STR_INIT;
    size_t k;

    addr_text(p->family, p->addr, ip, sizeof(ip));
    reverse_name(p->family, p->addr, rev, sizeof(rev));
    if (p->hint != NULL) {
        struct ink_str s = INK_STR_INIT;

        ink_str_printf(&s, "%s.", p->hint);
        fix = audit_fix_line(a, rev, INK_DNS_PTR, ink_str_cstr(&s));
        ink_str_free(&s);
    }
    for (k = 0; k < p->nnames; k++)
        ink_str_printf(&names, "%s%s", k ? ", " : "", p->names[k]);
    if (p->temp && !p->confirmed) {
        audit_finding(a, INK_SEV_WARNING, "ptr", "ptr-temperror", ip, NULL,
                      "could not check the reverse DNS of %s (%s): temporary DNS error", ip,
                      p->source);
    } else if (p->none) {
        audit_finding(a, sev, "ptr", "ptr-missing", ip, fix,
                      "%s (%s) has no PTR record: receivers such as Gmail and Outlook reject "
                      "or junk mail from addresses without reverse DNS.  The owner of the "
                      "address block (your hosting or IP provider) publishes it",
                      ip, p->source);
    } else if (!p->confirmed) {
        audit_finding(a, sev, "ptr", "ptr-mismatch", ip, fix,
                      "the PTR of %s (%s) is %s, which does not resolve back to %s: "
                      "forward-confirmed reverse DNS fails",
                      ip, p->source, ink_str_cstr(&names), ip);
    } else if (p->hint != NULL) {
        int same = 0;

        for (k = 0; k < p->nnames; k++)
            if (ink_dns_name_eq(p->names[k], p->hint))
                same = 1;
        if (!same)
            audit_finding(a, INK_SEV_INFO, "ptr", "ptr-other-name", ip, NULL,
                          "the PTR of %s (%s) is %s, confirmed forward, though not %s", ip,
                          p->source, ink_str_cstr(&names), p->hint);
        else
            audit_finding(a, INK_SEV_INFO, "ptr", "ptr-confirmed", ip, NULL,
                          "%s (%s) has PTR %s, which resolves back to it", ip, p->source,
                          ink_str_cstr(&names));
    } else {
        audit_finding(a, INK_SEV_INFO, "ptr", "ptr-confirmed", ip, NULL,
                      "%s (%s) has PTR %s, which resolves back to it", ip, p->source,
                      ink_str_cstr(&names));
    }
    ink_str_free(&names);
    free(fix);
}

static void ptr_answer(struct ink_audit *a, size_t i, const struct ink_dns_answer *ans)
{
    struct audit_ptr *p = &a->ptr[i];
    size_t k;
    char rev[80];

    p->pending--;
    reverse_name(p->family, p->addr, rev, sizeof(rev));
    if (audit_is_temp(ans)) {
        p->temp = 1;
    } else {
        for (k = 0; ans->status == INK_DNS_OK && k < ans->nrr; k++) {
            const struct ink_dns_rr *rr = &ans->rr[k];

            if (rr->type != INK_DNS_PTR || p->nnames >= INK_AUDIT_PTR_NAMES_MAX)
                continue;
            audit_record(a, "ptr", rev, "PTR", rr->name, strlen(rr->name));
            p->names[p->nnames] = audit_strdup(a, rr->name);
            if (p->names[p->nnames] == NULL)
                continue;
            p->pending++;
            if (audit_query(a, rr->name, p->family == 4 ? INK_DNS_A : INK_DNS_AAAA, H_FWD, i,
                            p->nnames) < 0)
                p->pending--;
            p->nnames++;
        }
        if (p->nnames == 0)
            p->none = 1;
    }
    if (p->pending == 0)
        ptr_conclude(a, p);
}

static void fwd_answer(struct ink_audit *a, size_t i, const struct ink_dns_answer *ans)
{
    struct audit_ptr *p = &a->ptr[i];
    size_t k, alen = p->family == 4 ? 4 : 16;

    if (audit_is_temp(ans))
        p->temp = 1;
    for (k = 0; ans->status == INK_DNS_OK && k < ans->nrr; k++) {
        const struct ink_dns_rr *rr = &ans->rr[k];

        if ((rr->type == INK_DNS_A && p->family == 4) ||
            (rr->type == INK_DNS_AAAA && p->family == 6))
            if (memcmp(rr->addr, p->addr, alen) == 0)
                p->confirmed = 1;
    }
    if (--p->pending == 0)
        ptr_conclude(a, p);
}

/* ---- HELO ---- */

/* ip_in_range - whether addr (family) lies in r */
static int ip_in_range(const struct ink_audit_ip *r, int family, const uint8_t *addr)
{
    unsigned bits = r->prefix, k;

    if (r->family != family)
        return 0;
    for (k = 0; k < bits / 8; k++)
        if (r->addr[k] != addr[k])
            return 0;
    if (bits % 8) {
        uint8_t mask = (uint8_t)(0xff << (8 - bits % 8));

        if ((r->addr[k] & mask) != (addr[k] & mask))
            return 0;
    }
    return 1;
}

/* single_ip - the first --ip that is one address of family (or any when
 * family is 0), or NULL */
static const struct ink_audit_ip *single_ip(const struct ink_audit *a, int family)
{
    size_t i;

    for (i = 0; i < a->nips; i++)
        if ((family == 0 || a->ips[i].family == family) &&
            a->ips[i].prefix == (a->ips[i].family == 4 ? 32u : 128u))
            return &a->ips[i];
    return NULL;
}

static void helo_start(struct ink_audit *a, size_t i)
{
    struct audit_helo *h = &a->helos[i];
    char norm[INK_DNS_NAME_MAX + 1];
    const char *n = h->name;
    struct ink_str shown = INK_STR_INIT;

    ink_str_put_printable(&shown, n, strlen(n), 80);
    if (is_ip_literal(n)) {
        audit_finding(a, INK_SEV_ERROR, "helo", "helo-ip-literal", ink_str_cstr(&shown), NULL,
                      "HELO %s is an address literal: receivers treat it as a sign of a "
                      "misconfigured or compromised host.  Announce the host's name (the "
                      "name its PTR record gives)",
                      ink_str_cstr(&shown));
    } else if (strcasecmp(n, "localhost") == 0 || strncasecmp(n, "localhost.", 10) == 0) {
        audit_finding(a, INK_SEV_ERROR, "helo", "helo-localhost", ink_str_cstr(&shown), NULL,
                      "HELO %s names no host on the Internet; announce the host's fully "
                      "qualified name",
                      ink_str_cstr(&shown));
    } else if (ink_dns_name_normalize(n, strlen(n), norm, sizeof(norm)) <= 0) {
        audit_finding(a, INK_SEV_ERROR, "helo", "helo-invalid", ink_str_cstr(&shown), NULL,
                      "HELO %s is not a valid host name", ink_str_cstr(&shown));
    } else if (strchr(norm, '.') == NULL) {
        audit_finding(a, INK_SEV_ERROR, "helo", "helo-not-fqdn", ink_str_cstr(&shown), NULL,
                      "HELO %s is not a fully qualified domain name (RFC 5321 4.1.1.1)",
                      ink_str_cstr(&shown));
    } else {
        h->checked = 1;
        h->pending = 2;
        if (audit_query(a, norm, INK_DNS_A, H_HELO_ADDR, i, 0) < 0)
            h->pending--;
        if (audit_query(a, norm, INK_DNS_AAAA, H_HELO_ADDR, i, 0) < 0)
            h->pending--;
    }
    ink_str_free(&shown);
}

static void helo_answer(struct ink_audit *a, size_t i, const struct ink_dns_answer *ans)
{
    struct audit_helo *h = &a->helos[i];
    const struct ink_audit_ip *ip;
    size_t k, r;
    char *fix = NULL;

    if (audit_is_temp(ans))
        h->temp = 1;
    for (k = 0; ans->status == INK_DNS_OK && k < ans->nrr; k++) {
        const struct ink_dns_rr *rr = &ans->rr[k];
        int fam = rr->type == INK_DNS_A ? 4 : rr->type == INK_DNS_AAAA ? 6 : 0;
        char buf[64];

        if (fam == 0)
            continue;
        h->naddr++;
        addr_text(fam, rr->addr, buf, sizeof(buf));
        audit_record(a, "helo", h->name, ink_dns_type_name(rr->type), buf, strlen(buf));
        for (r = 0; r < a->nips; r++)
            if (ip_in_range(&a->ips[r], fam, rr->addr))
                h->matches_ip = 1;
    }
    if (--h->pending > 0)
        return;
    ip = single_ip(a, 0);
    if (ip != NULL) {
        char buf[64];

        addr_text(ip->family, ip->addr, buf, sizeof(buf));
        fix = audit_fix_line(a, h->name, ip->family == 4 ? INK_DNS_A : INK_DNS_AAAA, buf);
    }
    if (h->naddr == 0 && h->temp)
        audit_finding(a, INK_SEV_WARNING, "helo", "helo-temperror", h->name, NULL,
                      "could not resolve HELO name %s (temporary DNS error)", h->name);
    else if (h->naddr == 0)
        audit_finding(a, INK_SEV_ERROR, "helo", "helo-unresolvable", h->name, fix,
                      "HELO name %s has no A or AAAA record: receivers check that the name "
                      "exists and points at the sending host",
                      h->name);
    else if (a->nips > 0 && !h->matches_ip)
        audit_finding(a, INK_SEV_WARNING, "helo", "helo-mismatch", h->name, fix,
                      "HELO name %s does not resolve to the sending address%s given with "
                      "--ip",
                      h->name, a->nips > 1 ? "es" : "");
    else
        audit_finding(a, INK_SEV_INFO, "helo", "helo-ok", h->name, NULL,
                      "HELO name %s resolves%s", h->name,
                      a->nips > 0 ? " to the sending address" : "");
    free(fix);
}

/* ---- CNAME ---- */

static void cname_answer(struct ink_audit *a, size_t i, const struct ink_dns_answer *ans)
{
    struct audit_cname *c = &a->cnames[i];
    struct ink_str s = INK_STR_INIT;
    char *fix;
    size_t k;

    ink_str_printf(&s, "%s.", c->target);
    fix = audit_fix_line(a, c->name, INK_DNS_CNAME, ink_str_cstr(&s));
    ink_str_free(&s);
    if (audit_is_temp(ans)) {
        audit_finding(a, INK_SEV_WARNING, "cname", "cname-temperror", c->name, NULL,
                      "could not look up %s (temporary DNS error)", c->name);
    } else if (ans->status == INK_DNS_NXDOMAIN) {
        audit_finding(a, INK_SEV_ERROR, "cname", "cname-missing", c->name, fix,
                      "%s does not exist: publish it as a CNAME to %s", c->name, c->target);
    } else if (ans->status == INK_DNS_NODATA) {
        audit_finding(a, INK_SEV_ERROR, "cname", "cname-conflict", c->name, fix,
                      "%s exists but is not a CNAME; a CNAME cannot sit beside other records: "
                      "remove the records at %s and publish the CNAME to %s",
                      c->name, c->name, c->target);
    } else {
        const char *got = NULL;

        for (k = 0; k < ans->nrr; k++)
            if (ans->rr[k].type == INK_DNS_CNAME && ink_dns_name_eq(ans->rr[k].owner, c->name))
                got = ans->rr[k].name;
        if (got != NULL)
            audit_record(a, "cname", c->name, "CNAME", got, strlen(got));
        if (got == NULL)
            audit_finding(a, INK_SEV_ERROR, "cname", "cname-conflict", c->name, fix,
                          "%s is not a CNAME; publish it as a CNAME to %s", c->name, c->target);
        else if (!ink_dns_name_eq(got, c->target))
            audit_finding(a, INK_SEV_ERROR, "cname", "cname-mismatch", c->name, fix,
                          "%s points to %s, not to %s as expected", c->name, got, c->target);
        else
            audit_finding(a, INK_SEV_INFO, "cname", "cname-ok", c->name, NULL,
                          "%s points to %s as expected", c->name, got);
    }
    free(fix);
}

/* ---- MTA-STS, TLS-RPT, BIMI ---- */

static void info_answer(struct ink_audit *a, size_t i, const struct ink_dns_answer *ans)
{
    struct ink_str owner = INK_STR_INIT;
    size_t k, vlen = strlen(info_records[i].version);
    int found = 0;

    ink_str_printf(&owner, "%s%s", info_records[i].prefix, a->domain);
    for (k = 0; ans->status == INK_DNS_OK && k < ans->nrr; k++) {
        size_t len;
        uint8_t *t;

        if (ans->rr[k].type != INK_DNS_TXT)
            continue;
        t = ink_dns_rr_txt_join(&ans->rr[k], &len);
        if (t == NULL)
            continue;
        if (len >= vlen && memcmp(t, info_records[i].version, vlen) == 0) {
            found = 1;
            audit_record(a, info_records[i].area, ink_str_cstr(&owner), "TXT", t, len);
        }
        free(t);
    }
    if (found) {
        audit_finding(a, INK_SEV_INFO, info_records[i].area, info_records[i].present_code,
                      ink_str_cstr(&owner), NULL, "%s record published at %s",
                      info_records[i].version, ink_str_cstr(&owner));
        if (i == 2)
            a->bimi_present = 1;
    } else if (audit_is_temp(ans)) {
        audit_finding(a, INK_SEV_INFO, info_records[i].area, "temperror",
                      ink_str_cstr(&owner), NULL, "could not look up %s (temporary DNS error)",
                      ink_str_cstr(&owner));
    } else {
        audit_finding(a, INK_SEV_INFO, info_records[i].area, info_records[i].absent_code,
                      ink_str_cstr(&owner), NULL, "%s%s", info_records[i].absent_msg, a->domain);
    }
    ink_str_free(&owner);
}

/* ---- setup and dispatch ---- */

/* audit_start_checks - queue the first query of every check */
int audit_start_checks(struct ink_audit *a)
{
    long idx;
    size_t i;
    struct ink_str s = INK_STR_INIT;

    if (audit_spf_start(a) < 0 && a->nomem)
        return -1;
    if (audit_dkim_start(a) < 0 && a->nomem)
        return -1;
    idx = audit_job_new(a, JOB_DMARC);
    if (idx < 0)
        return -1;
    a->jobs[idx].machine = ink_dmarc_disc_new(a->domain, a->org_mode, a->psl, 0);
    if (a->jobs[idx].machine == NULL) {
        a->jobs[idx].done = 1;
        a->nomem = 1;
        return -1;
    }
    audit_query(a, a->domain, INK_DNS_MX, H_MX, 0, 0);
    for (i = 0; i < a->nips; i++) {
        const struct ink_audit_ip *ip = &a->ips[i];

        /* reverse DNS is checked for single addresses, not ranges */
        if (ip->prefix == (ip->family == 4 ? 32u : 128u))
            /* the HELO name is the PTR to propose only when there is one
             * client it can belong to */
            add_ptr_item(a, ip->family, ip->addr, "sending IP",
                         a->nhelos == 1 && a->nips == 1 ? a->helos[0].name : NULL, 1);
    }
    for (i = 0; i < a->nhelos; i++)
        helo_start(a, i);
    for (i = 0; i < a->ncnames; i++)
        audit_query(a, a->cnames[i].name, INK_DNS_CNAME, H_CNAME, i, 0);
    for (i = 0; i < NINFO; i++) {
        ink_str_truncate(&s, 0);
        if (ink_str_printf(&s, "%s%s", info_records[i].prefix, a->domain) == 0 &&
            s.len <= INK_DNS_NAME_MAX)
            audit_query(a, s.buf, INK_DNS_TXT, H_INFO, i, 0);
    }
    ink_str_free(&s);
    return a->nomem ? -1 : 0;
}

/* audit_finish_checks - conclusions that need several areas */
void audit_finish_checks(struct ink_audit *a)
{
    audit_spf_finish(a);
    if (a->bimi_present && a->dmarc_done &&
        (a->dmarc_policy == INK_DMARC_P_UNSET || a->dmarc_policy == INK_DMARC_P_NONE ||
         a->dmarc_testing))
        audit_finding(a, INK_SEV_WARNING, "bimi", "bimi-needs-enforcement", a->domain, NULL,
                      "a BIMI record is published but the DMARC policy of %s is not enforced "
                      "(quarantine or reject, without t=y): mailbox providers will not show "
                      "the logo",
                      a->domain);
}

/* audit_handle - route a plain query's answer */
void audit_handle(struct ink_audit *a, size_t job, const struct ink_dns_answer *ans)
{
    const struct audit_job *j = &a->jobs[job];
    size_t i = j->i;

    switch (j->handler) {
    case H_MX:
        mx_answer(a, ans);
        break;
    case H_DOMAIN_ADDR:
        domain_addr_answer(a, ans);
        break;
    case H_MX_ADDR:
        mx_addr_answer(a, i, ans);
        break;
    case H_PTR:
        ptr_answer(a, i, ans);
        break;
    case H_FWD:
        fwd_answer(a, i, ans);
        break;
    case H_HELO_ADDR:
        helo_answer(a, i, ans);
        break;
    case H_CNAME:
        cname_answer(a, i, ans);
        break;
    case H_INFO:
        info_answer(a, i, ans);
        break;
    case H_DKIM:
        audit_dkim_answer(a, i, ans);
        break;
    default:
        break;
    }
}

/* audit_machine_next - the next query of a machine job; 1 with a query,
 * 0 when it has none now (it may be finished: done is then set) */
int audit_machine_next(struct ink_audit *a, size_t job, const char **name, uint16_t *type)
{
    struct audit_job *j = &a->jobs[job];

    switch (j->kind) {
    case JOB_DMARC: {
        struct ink_query q;
        if (j->inflight > 0)
            return 0;
        if (ink_dmarc_disc_next(j->machine, &q) == INK_NEXT_READY) {
            *name = q.name;
            *type = q.type;
            j->token = q.token;
            return 1;
        }
        dmarc_done(a, j->machine);
        j->done = 1;
        return 0;
    }
    case JOB_SPF_LINT:
    case JOB_SPF_EVAL:
        return audit_spf_next(a, job, name, type);
    case JOB_QUERY:
    default:
        return 0;
    }
}

/* audit_machine_feed - give a machine job its answer (takes ans) */
void audit_machine_feed(struct ink_audit *a, size_t job, struct ink_dns_answer *ans)
{
    struct audit_job *j = &a->jobs[job];

    switch (j->kind) {
    case JOB_DMARC:
        if (ans == NULL || ink_dmarc_disc_feed(j->machine, j->token, ans) < 0)
            audit_job_fail(a, job);
        ink_dns_answer_free(ans);
        break;
    case JOB_SPF_LINT:
    case JOB_SPF_EVAL:
        audit_spf_feed(a, job, ans);
        break;
    case JOB_QUERY:
    default:
        ink_dns_answer_free(ans);
        break;
    }
}

/* audit_job_fail - end a job that cannot go on (ENOMEM, a stuck machine) */
void audit_job_fail(struct ink_audit *a, size_t job)
{
    struct audit_job *j = &a->jobs[job];

    if (j->done)
        return;
    j->done = 1;
    audit_finding(a, INK_SEV_WARNING,
                  j->kind == JOB_DMARC                                   ? "dmarc"
                  : j->kind == JOB_SPF_LINT || j->kind == JOB_SPF_EVAL   ? "spf"
                                                                         : "mx",
                  "check-incomplete", j->name, NULL,
                  "a check could not finish (out of memory or an internal error)%s%s",
                  j->name ? ": " : "", j->name ? j->name : "");
}

/* audit_job_release - free what a job owns besides its name */
void audit_job_release(struct audit_job *j)
{
    switch (j->kind) {
    case JOB_DMARC:
        ink_dmarc_disc_free(j->machine);
        break;
    case JOB_SPF_LINT:
    case JOB_SPF_EVAL:
        audit_spf_release(j);
        break;
    case JOB_QUERY:
    default:
        break;
    }
    j->machine = NULL;
}
