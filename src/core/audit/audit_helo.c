/*
 * audit_helo.c - the audit's HELO area: each name a sending host
 * announces (--helo) must be a fully qualified host name, not an address
 * literal or localhost, that resolves - to the sending address when one
 * is given (--ip).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit_int.h"

/* One HELO name checked. */
struct helo_item {
    const char *name;  /* a->helos[i] */
    int pending;
    int naddr;
    int temp;
    int matches_ip;    /* resolves to one of the --ip addresses */
    int checked;       /* passed the syntax checks and was looked up */
};

struct audit_helo {
    struct helo_item *v;
};

static void helo_answer(struct ink_audit *a, size_t i, size_t unused_k,
                        const struct ink_dns_answer *ans);

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

/* helo_one - check the syntax of HELO name i, then look it up */
static void helo_one(struct ink_audit *a, size_t i)
{
    struct helo_item *h = &a->helo->v[i];
    char norm[INK_DNS_NAME_MAX + 1];
    const char *n = h->name;
    struct ink_str shown = INK_STR_INIT;

    ink_str_put_printable(&shown, n, strlen(n), 80);
    if (audit_is_ip_literal(n)) {
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
        if (audit_ask(a, norm, INK_DNS_A, helo_answer, i, 0) < 0)
            h->pending--;
        if (audit_ask(a, norm, INK_DNS_AAAA, helo_answer, i, 0) < 0)
            h->pending--;
    }
    ink_str_free(&shown);
}

/* helo_answer - an address of HELO name i */
static void helo_answer(struct ink_audit *a, size_t i, size_t unused_k,
                        const struct ink_dns_answer *ans)
{
    struct helo_item *h = &a->helo->v[i];
    const struct ink_audit_ip *ip;
    size_t k, r;
    char *fix = NULL;

    (void)unused_k;
    if (audit_is_temp(ans))
        h->temp = 1;
    for (k = 0; ans->status == INK_DNS_OK && k < ans->nrr; k++) {
        const struct ink_dns_rr *rr = &ans->rr[k];
        int fam = rr->type == INK_DNS_A ? 4 : rr->type == INK_DNS_AAAA ? 6 : 0;
        char buf[AUDIT_ADDR_TEXT_MAX];

        if (fam == 0)
            continue;
        h->naddr++;
        audit_addr_text(fam, rr->addr, buf, sizeof(buf));
        audit_record(a, "helo", h->name, ink_dns_type_name(rr->type), buf, strlen(buf));
        for (r = 0; r < a->nips; r++)
            if (ip_in_range(&a->ips[r], fam, rr->addr))
                h->matches_ip = 1;
    }
    if (--h->pending > 0)
        return;
    ip = single_ip(a, 0);
    if (ip != NULL) {
        char buf[AUDIT_ADDR_TEXT_MAX];

        audit_addr_text(ip->family, ip->addr, buf, sizeof(buf));
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

/* helo_start - every HELO name given */
static int helo_start(struct ink_audit *a)
{
    size_t i;

    if (a->nhelos == 0)
        return 0;
    a->helo = calloc(1, sizeof(*a->helo));
    if (a->helo == NULL || (a->helo->v = calloc(a->nhelos, sizeof(*a->helo->v))) == NULL) {
        a->nomem = 1;
        return -1;
    }
    for (i = 0; i < a->nhelos; i++) {
        a->helo->v[i].name = a->helos[i];
        helo_one(a, i);
    }
    return a->nomem ? -1 : 0;
}

/* helo_release - free the HELO state */
static void helo_release(struct ink_audit *a)
{
    if (a->helo == NULL)
        return;
    free(a->helo->v);
    free(a->helo);
    a->helo = NULL;
}

const struct audit_area audit_area_helo = {"helo", helo_start, NULL, helo_release};
