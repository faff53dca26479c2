/*
 * audit_mx.c - the audit's MX area: the domain's MX set (a null MX, one
 * mixed with others, none at all and what mail then falls back to), each
 * host's addresses (an alias, an address literal, no address), and each
 * address handed to the PTR area for its reverse DNS.
 */
#include <stdlib.h>
#include <string.h>

#include "audit_int.h"

/* One MX host. */
struct mx_host {
    char *name;
    uint16_t pref;
    int pending;  /* address queries not answered */
    int naddr;
    int cname;    /* the name is an alias */
    int temp;     /* a lookup failed temporarily */
};

struct audit_mx {
    struct mx_host host[INK_AUDIT_MX_MAX];
    size_t n;
    int addr_pending; /* no MX: the domain's own A/AAAA queries not answered */
    int naddr;        /* no MX: the domain's own addresses */
};

static void domain_addr_answer(struct ink_audit *a, size_t unused_i, size_t unused_k,
                               const struct ink_dns_answer *ans);
static void mx_addr_answer(struct ink_audit *a, size_t i, size_t unused_k,
                           const struct ink_dns_answer *ans);

/* mx_answer - the MX set of the domain */
static void mx_answer(struct ink_audit *a, size_t unused_i, size_t unused_k,
                      const struct ink_dns_answer *ans)
{
    struct audit_mx *x = a->mx;
    size_t i;
    int nullmx = 0;

    (void)unused_i;
    (void)unused_k;
    if (audit_is_temp(ans)) {
        audit_finding(a, INK_SEV_WARNING, "mx", "mx-temperror", a->domain, NULL,
                      "looking up the MX records of %s failed (%s)", a->domain,
                      ink_dns_status_name(ans->status));
        return;
    }
    if (ans->status == INK_DNS_NXDOMAIN) {
        audit_finding(a, INK_SEV_ERROR, "mx", "domain-not-found", a->domain, NULL,
                      "%s does not exist in the DNS (NXDOMAIN): mail from it is rejected "
                      "everywhere",
                      a->domain);
        return;
    }
    for (i = 0; ans->status == INK_DNS_OK && i < ans->nrr; i++) {
        const struct ink_dns_rr *rr = &ans->rr[i];
        struct ink_str s = INK_STR_INIT;

        if (rr->type != INK_DNS_MX)
            continue;
        ink_str_printf(&s, "%u %s.", rr->pref, rr->name[0] ? rr->name : "");
        audit_record(a, "mx", a->domain, "MX", ink_str_cstr(&s), s.len);
        ink_str_free(&s);
        if (rr->name[0] == '\0') {
            nullmx++;
            continue;
        }
        if (x->n >= INK_AUDIT_MX_MAX)
            continue;
        x->host[x->n].name = audit_strdup(a, rr->name);
        x->host[x->n].pref = rr->pref;
        if (x->host[x->n].name == NULL)
            continue;
        x->n++;
    }
    if (nullmx > 0 && x->n > 0) {
        audit_finding(a, INK_SEV_ERROR, "mx", "mx-null-mixed", a->domain, NULL,
                      "%s publishes a null MX (\"0 .\") beside other MX records: RFC 7505 "
                      "says a null MX must be the only one; remove one or the other",
                      a->domain);
    } else if (nullmx > 0) {
        audit_finding(a, INK_SEV_WARNING, "mx", "mx-null", a->domain, NULL,
                      "%s has a null MX: it receives no mail, so replies and bounces to it "
                      "are lost, and receivers may refuse mail sent from it (RFC 7505 4.2)",
                      a->domain);
        return;
    }
    if (x->n == 0) {
        /* RFC 5321 5.1: no MX means the domain's own address is used */
        x->addr_pending = 2;
        if (audit_ask(a, a->domain, INK_DNS_A, domain_addr_answer, 0, 0) < 0)
            x->addr_pending--;
        if (audit_ask(a, a->domain, INK_DNS_AAAA, domain_addr_answer, 0, 0) < 0)
            x->addr_pending--;
        return;
    }
    for (i = 0; i < x->n; i++) {
        if (audit_is_ip_literal(x->host[i].name)) {
            audit_finding(a, INK_SEV_ERROR, "mx", "mx-ip-literal", x->host[i].name, NULL,
                          "the MX of %s names an address (%s), not a host name: RFC 5321 "
                          "requires a name with A/AAAA records",
                          a->domain, x->host[i].name);
            continue;
        }
        x->host[i].pending = 2;
        if (audit_ask(a, x->host[i].name, INK_DNS_A, mx_addr_answer, i, 0) < 0)
            x->host[i].pending--;
        if (audit_ask(a, x->host[i].name, INK_DNS_AAAA, mx_addr_answer, i, 0) < 0)
            x->host[i].pending--;
    }
}

/* domain_addr_answer - an address of a domain without MX (RFC 5321 5.1) */
static void domain_addr_answer(struct ink_audit *a, size_t unused_i, size_t unused_k,
                               const struct ink_dns_answer *ans)
{
    struct audit_mx *x = a->mx;
    size_t i;
    char *fix;
    struct ink_str s = INK_STR_INIT;

    (void)unused_i;
    (void)unused_k;
    for (i = 0; ans->status == INK_DNS_OK && i < ans->nrr; i++)
        if (ans->rr[i].type == INK_DNS_A || ans->rr[i].type == INK_DNS_AAAA)
            x->naddr++;
    if (--x->addr_pending > 0)
        return;
    ink_str_printf(&s, "10 mail.%s.", a->domain);
    fix = audit_fix_line(a, a->domain, INK_DNS_MX, ink_str_cstr(&s));
    ink_str_free(&s);
    if (x->naddr > 0)
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

/* mx_addr_answer - an address of MX host i */
static void mx_addr_answer(struct ink_audit *a, size_t i, size_t unused_k,
                           const struct ink_dns_answer *ans)
{
    struct mx_host *m = &a->mx->host[i];
    size_t k;
    struct ink_str s = INK_STR_INIT;

    (void)unused_k;
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

            audit_addr_text(fam, rr->addr, buf, sizeof(buf));
            audit_record(a, "mx", m->name, ink_dns_type_name(rr->type), buf, strlen(buf));
            if ((size_t)m->naddr <= INK_AUDIT_ADDRS_MAX) {
                ink_str_printf(&s, "MX host %s", m->name);
                audit_ptr_add(a, fam, rr->addr, ink_str_cstr(&s), m->name, 0);
                ink_str_truncate(&s, 0);
            }
        }
    }
    ink_str_free(&s);
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

/* mx_start - ask for the MX set */
static int mx_start(struct ink_audit *a)
{
    a->mx = calloc(1, sizeof(*a->mx));
    if (a->mx == NULL) {
        a->nomem = 1;
        return -1;
    }
    return audit_ask(a, a->domain, INK_DNS_MX, mx_answer, 0, 0);
}

/* mx_release - free the MX state */
static void mx_release(struct ink_audit *a)
{
    size_t i;

    if (a->mx == NULL)
        return;
    for (i = 0; i < a->mx->n; i++)
        free(a->mx->host[i].name);
    free(a->mx);
    a->mx = NULL;
}

const struct audit_area audit_area_mx = {"mx", mx_start, NULL, mx_release};
