/*
 * audit_ptr.c - the audit's PTR area: for each address checked (the MX
 * hosts' addresses, and the single sending addresses given with --ip),
 * its reverse name (PTR), and each PTR name looked up forward to see that
 * it leads back to the address (forward-confirmed reverse DNS).  For a
 * sending address a missing or unconfirmed PTR is an error, for an MX
 * host a warning; the fix proposes the host name known for it.
 */
#include <stdlib.h>
#include <string.h>

#include "audit_int.h"

/* One address whose reverse DNS is checked. */
struct ptr_item {
    int family;
    uint8_t addr[16];
    char *source;      /* what it is ("MX host mail.example.com", "sending IP") */
    char *hint;        /* a name that should be its PTR (for the fix), or NULL */
    int sender;        /* a sending IP: missing/mismatching PTR is an error */
    int pending;
    int temp;
    int none;          /* no PTR */
    size_t nnames;
    char *names[INK_AUDIT_PTR_NAMES_MAX];
    int confirmed;     /* some PTR name resolves back to the address */
};

struct audit_ptr {
    struct ptr_item *v;
    size_t n, cap;
};

static void ptr_answer(struct ink_audit *a, size_t i, size_t unused_k,
                       const struct ink_dns_answer *ans);
static void fwd_answer(struct ink_audit *a, size_t i, size_t unused_k,
                       const struct ink_dns_answer *ans);

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

/* audit_ptr_add - check the reverse DNS of an address */
void audit_ptr_add(struct ink_audit *a, int family, const uint8_t *addr, const char *source,
                   const char *hint, int sender)
{
    struct ptr_item *p;
    char rev[AUDIT_REVERSE_NAME_MAX];
    size_t i, alen = family == 4 ? 4 : 16;

    if (a->ptr == NULL && (a->ptr = calloc(1, sizeof(*a->ptr))) == NULL) {
        a->nomem = 1;
        return;
    }
    for (i = 0; i < a->ptr->n; i++)
        if (a->ptr->v[i].family == family && memcmp(a->ptr->v[i].addr, addr, alen) == 0)
            return; /* the same address reached twice (two MX names) */
    if (a->ptr->n == a->ptr->cap) {
        size_t ncap = a->ptr->cap ? a->ptr->cap * 2 : 8;
        struct ptr_item *n;

        if (ncap > SIZE_MAX / sizeof(*n) || (n = realloc(a->ptr->v, ncap * sizeof(*n))) == NULL) {
            a->nomem = 1;
            return;
        }
        a->ptr->v = n;
        a->ptr->cap = ncap;
    }
    p = &a->ptr->v[a->ptr->n];
    memset(p, 0, sizeof(*p));
    p->family = family;
    memcpy(p->addr, addr, alen);
    p->source = audit_strdup(a, source);
    p->hint = audit_strdup(a, hint);
    p->sender = sender;
    p->pending = 1;
    a->ptr->n++;
    reverse_name(family, addr, rev, sizeof(rev));
    if (audit_ask(a, rev, INK_DNS_PTR, ptr_answer, a->ptr->n - 1, 0) < 0)
        p->pending = 0;
}

/* ptr_conclude - every lookup of an address is answered: the finding */
static void ptr_conclude(struct ink_audit *a, struct ptr_item *p)
{
    char ip[AUDIT_ADDR_TEXT_MAX], rev[AUDIT_REVERSE_NAME_MAX];
    char *fix = NULL;
    enum ink_severity sev = p->sender ? INK_SEV_ERROR : INK_SEV_WARNING;
    struct ink_str names = INK_STR_INIT;
    size_t k;

    audit_addr_text(p->family, p->addr, ip, sizeof(ip));
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

/* ptr_answer - the PTR names of address i, each looked up forward */
static void ptr_answer(struct ink_audit *a, size_t i, size_t unused_k,
                       const struct ink_dns_answer *ans)
{
    struct ptr_item *p = &a->ptr->v[i];
    size_t k;
    char rev[AUDIT_REVERSE_NAME_MAX];

    (void)unused_k;
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
            if (audit_ask(a, rr->name, p->family == 4 ? INK_DNS_A : INK_DNS_AAAA, fwd_answer, i,
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

/* fwd_answer - the addresses of one PTR name of address i */
static void fwd_answer(struct ink_audit *a, size_t i, size_t unused_k,
                       const struct ink_dns_answer *ans)
{
    struct ptr_item *p = &a->ptr->v[i];
    size_t k, alen = p->family == 4 ? 4 : 16;

    (void)unused_k;
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

/* ptr_start - the reverse DNS of each single sending address */
static int ptr_start(struct ink_audit *a)
{
    size_t i;

    for (i = 0; i < a->nips; i++) {
        const struct ink_audit_ip *ip = &a->ips[i];

        /* reverse DNS is checked for single addresses, not ranges */
        if (ip->prefix == (ip->family == 4 ? 32u : 128u))
            /* the HELO name is the PTR to propose only when there is one
             * client it can belong to */
            audit_ptr_add(a, ip->family, ip->addr, "sending IP",
                          a->nhelos == 1 && a->nips == 1 ? a->helos[0] : NULL, 1);
    }
    return a->nomem ? -1 : 0;
}

/* ptr_release - free the PTR state */
static void ptr_release(struct ink_audit *a)
{
    size_t i, k;

    if (a->ptr == NULL)
        return;
    for (i = 0; i < a->ptr->n; i++) {
        free(a->ptr->v[i].source);
        free(a->ptr->v[i].hint);
        for (k = 0; k < a->ptr->v[i].nnames; k++)
            free(a->ptr->v[i].names[k]);
    }
    free(a->ptr->v);
    free(a->ptr);
    a->ptr = NULL;
}

const struct audit_area audit_area_ptr = {"ptr", ptr_start, NULL, ptr_release};
