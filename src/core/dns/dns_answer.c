/*
 * dns_answer.c - the DNS answer object and name helpers of inkan/dns.h.
 * Pure data handling: no sockets, no resolver.
 */
#include "inkan/dns.h"
#include "dns_int.h"
#include "inkan/str.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Longest text an address literal may have (IPv6 with embedded IPv4). */
#define IP_LITERAL_MAX 45

/* ink_dns_answer_new - empty answer; caller owns */
struct ink_dns_answer *ink_dns_answer_new(const char *qname, uint16_t qtype,
                                          enum ink_dns_status status)
{
    struct ink_dns_answer *a = calloc(1, sizeof(*a));

    if (a == NULL)
        return NULL;
    a->qname = strdup(qname != NULL ? qname : "");
    if (a->qname == NULL) {
        free(a);
        return NULL;
    }
    a->qtype = qtype;
    a->status = status;
    a->dnssec = INK_DNSSEC_UNKNOWN;
    return a;
}

/* ink_dns_rr_clear - release what one record owns */
void ink_dns_rr_clear(struct ink_dns_rr *rr)
{
    size_t i;

    free(rr->name);
    free(rr->owner);
    for (i = 0; i < rr->ntxt; i++)
        free(rr->txt[i]);
    free(rr->txt);
    free(rr->txtlen);
    memset(rr, 0, sizeof(*rr));
}

/* ink_dns_answer_free - release an answer */
void ink_dns_answer_free(struct ink_dns_answer *a)
{
    size_t i;

    if (a == NULL)
        return;
    for (i = 0; i < a->nrr; i++)
        ink_dns_rr_clear(&a->rr[i]);
    free(a->rr);
    free(a->qname);
    free(a->why);
    free(a);
}

/* ink_dns_answer_set_why - copy a failure reason into the answer */
int ink_dns_answer_set_why(struct ink_dns_answer *a, const char *why)
{
    char *w = strdup(why);

    if (w == NULL)
        return -1;
    free(a->why);
    a->why = w;
    return 0;
}

/* answer_push - append a zeroed record slot; NULL on overflow/ENOMEM */
static struct ink_dns_rr *answer_push(struct ink_dns_answer *a, const char *owner,
                                      uint16_t type, uint32_t ttl)
{
    struct ink_dns_rr *nrr, *rr;

    if (a->nrr >= INK_DNS_ANSWER_RR_MAX)
        return NULL;
    nrr = realloc(a->rr, (a->nrr + 1) * sizeof(*nrr));
    if (nrr == NULL)
        return NULL;
    a->rr = nrr;
    rr = &a->rr[a->nrr];
    memset(rr, 0, sizeof(*rr));
    rr->owner = strdup(owner != NULL ? owner : a->qname);
    if (rr->owner == NULL)
        return NULL;
    rr->type = type;
    rr->ttl = ttl;
    if (a->nrr == 0 || ttl < a->ttl)
        a->ttl = ttl;
    a->nrr++;
    return rr;
}

/* ink_dns_answer_add_addr - add an A or AAAA record */
int ink_dns_answer_add_addr(struct ink_dns_answer *a, const char *owner, uint32_t ttl,
                            const uint8_t *addr, size_t len)
{
    struct ink_dns_rr *rr;

    if (len != 4 && len != 16)
        return -1;
    rr = answer_push(a, owner, len == 4 ? INK_DNS_A : INK_DNS_AAAA, ttl);
    if (rr == NULL)
        return -1;
    memcpy(rr->addr, addr, len);
    return 0;
}

/* ink_dns_answer_add_name - add a record whose data is one name */
int ink_dns_answer_add_name(struct ink_dns_answer *a, const char *owner, uint16_t type,
                            uint32_t ttl, const char *target)
{
    struct ink_dns_rr *rr = answer_push(a, owner, type, ttl);

    if (rr == NULL)
        return -1;
    rr->name = strdup(target);
    return rr->name != NULL ? 0 : -1;
}

/* ink_dns_answer_add_mx - add an MX record */
int ink_dns_answer_add_mx(struct ink_dns_answer *a, const char *owner, uint32_t ttl,
                          uint16_t pref, const char *exchange)
{
    if (ink_dns_answer_add_name(a, owner, INK_DNS_MX, ttl, exchange) < 0)
        return -1;
    a->rr[a->nrr - 1].pref = pref;
    return 0;
}

/* ink_dns_answer_add_txt - add a TXT/SPF record of n character-strings */
int ink_dns_answer_add_txt(struct ink_dns_answer *a, const char *owner, uint16_t type,
                           uint32_t ttl, size_t n, const uint8_t *const *strings,
                           const size_t *lens)
{
    struct ink_dns_rr *rr;
    size_t i;

    if (n > INK_DNS_ANSWER_RR_MAX)
        return -1;
    rr = answer_push(a, owner, type, ttl);
    if (rr == NULL)
        return -1;
    rr->txt = calloc(n ? n : 1, sizeof(*rr->txt));
    rr->txtlen = calloc(n ? n : 1, sizeof(*rr->txtlen));
    if (rr->txt == NULL || rr->txtlen == NULL)
        return -1;
    for (i = 0; i < n; i++) {
        rr->txt[i] = (uint8_t *)ink_memdup_cstr(strings[i], lens[i]);
        if (rr->txt[i] == NULL)
            return -1;
        rr->txtlen[i] = lens[i];
        rr->ntxt = i + 1;
    }
    return 0;
}

/* ink_dns_answer_add_rr - add a deep copy of rr */
int ink_dns_answer_add_rr(struct ink_dns_answer *a, const struct ink_dns_rr *rr)
{
    switch (rr->type) {
    case INK_DNS_A:
        return ink_dns_answer_add_addr(a, rr->owner, rr->ttl, rr->addr, 4);
    case INK_DNS_AAAA:
        return ink_dns_answer_add_addr(a, rr->owner, rr->ttl, rr->addr, 16);
    case INK_DNS_MX:
        return ink_dns_answer_add_mx(a, rr->owner, rr->ttl, rr->pref, rr->name);
    case INK_DNS_TXT:
    case INK_DNS_SPF:
        return ink_dns_answer_add_txt(a, rr->owner, rr->type, rr->ttl, rr->ntxt,
                                      (const uint8_t *const *)rr->txt, rr->txtlen);
    default:
        return ink_dns_answer_add_name(a, rr->owner, rr->type, rr->ttl,
                                       rr->name != NULL ? rr->name : "");
    }
}

/* ink_dns_answer_dup - deep copy of an answer; caller owns */
struct ink_dns_answer *ink_dns_answer_dup(const struct ink_dns_answer *a)
{
    struct ink_dns_answer *d = ink_dns_answer_new(a->qname, a->qtype, a->status);
    size_t i;

    if (d == NULL)
        return NULL;
    d->dnssec = a->dnssec;
    for (i = 0; i < a->nrr; i++) {
        if (ink_dns_answer_add_rr(d, &a->rr[i]) < 0) {
            ink_dns_answer_free(d);
            return NULL;
        }
    }
    d->ttl = a->ttl;
    if (a->why != NULL && ink_dns_answer_set_why(d, a->why) < 0) {
        ink_dns_answer_free(d);
        return NULL;
    }
    return d;
}

/* ink_dns_rr_txt_join - concatenate the strings of a TXT record; caller frees */
uint8_t *ink_dns_rr_txt_join(const struct ink_dns_rr *rr, size_t *len)
{
    struct ink_str s = INK_STR_INIT;
    size_t i;

    if (ink_str_reserve(&s, 0) < 0)
        return NULL;
    for (i = 0; i < rr->ntxt; i++) {
        if (ink_str_append(&s, rr->txt[i], rr->txtlen[i]) < 0) {
            ink_str_free(&s);
            return NULL;
        }
    }
    *len = s.len;
    return (uint8_t *)ink_str_steal(&s);
}

static const struct {
    uint16_t type;
    const char *name;
} type_names[] = {
    {INK_DNS_A, "A"},         {INK_DNS_NS, "NS"},   {INK_DNS_CNAME, "CNAME"},
    {INK_DNS_SOA, "SOA"},     {INK_DNS_PTR, "PTR"}, {INK_DNS_MX, "MX"},
    {INK_DNS_TXT, "TXT"},     {INK_DNS_AAAA, "AAAA"}, {INK_DNS_SPF, "SPF"},
};

/* ink_dns_type_name - mnemonic of a type */
const char *ink_dns_type_name(uint16_t type)
{
    size_t i;

    for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
        if (type_names[i].type == type)
            return type_names[i].name;
    return "UNKNOWN";
}

/* ink_dns_type_from_name - type number of a mnemonic, 0 if unknown */
uint16_t ink_dns_type_from_name(const char *name, size_t len)
{
    size_t i;

    for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
        if (strlen(type_names[i].name) == len && strncasecmp(type_names[i].name, name, len) == 0)
            return type_names[i].type;
    return 0;
}

/* ink_dns_status_name - text of a status */
const char *ink_dns_status_name(enum ink_dns_status st)
{
    switch (st) {
    case INK_DNS_OK:
        return "NOERROR";
    case INK_DNS_NODATA:
        return "NODATA";
    case INK_DNS_NXDOMAIN:
        return "NXDOMAIN";
    case INK_DNS_SERVFAIL:
        return "SERVFAIL";
    case INK_DNS_TIMEOUT:
        return "TIMEOUT";
    }
    return "UNKNOWN";
}

/* ink_dnssec_name - text of a DNSSEC state */
const char *ink_dnssec_name(enum ink_dnssec d)
{
    switch (d) {
    case INK_DNSSEC_SECURE:
        return "secure";
    case INK_DNSSEC_INSECURE:
        return "insecure";
    case INK_DNSSEC_BOGUS:
        return "bogus";
    case INK_DNSSEC_UNKNOWN:
        break;
    }
    return "unknown";
}

/* ink_dns_name_normalize - canonical lower-case form, validated */
int ink_dns_name_normalize(const char *name, size_t len, char *out, size_t outsz)
{
    size_t i, label = 0;

    if (len > 0 && name[len - 1] == '.')
        len--;
    if (len == 0) {
        /* "" is no name; "." is the root */
        if (outsz < 1 || name == NULL)
            return -1;
        out[0] = '\0';
        return 0;
    }
    if (len > INK_DNS_NAME_MAX || len + 1 > outsz)
        return -1;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c == '.') {
            if (label == 0)
                return -1;
            label = 0;
        } else if (++label > INK_DNS_LABEL_MAX) {
            return -1;
        }
        out[i] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
    }
    if (label == 0)
        return -1; /* "name.." : an empty last label (only one root dot is allowed) */
    out[len] = '\0';
    return (int)len;
}

/* name_len - length without one trailing dot */
static size_t name_len(const char *n)
{
    size_t l = strlen(n);

    return l > 0 && n[l - 1] == '.' ? l - 1 : l;
}

/* ink_dns_name_eq - case-insensitive name comparison */
int ink_dns_name_eq(const char *a, const char *b)
{
    size_t la = name_len(a), lb = name_len(b);

    return la == lb && strncasecmp(a, b, la) == 0;
}

/* ink_dns_name_is_subdomain - name == parent or name ends in ".parent" */
int ink_dns_name_is_subdomain(const char *name, const char *parent)
{
    size_t ln = name_len(name), lp = name_len(parent);

    if (lp == 0)
        return 1;
    if (ln < lp)
        return 0;
    if (strncasecmp(name + ln - lp, parent, lp) != 0)
        return 0;
    return ln == lp || name[ln - lp - 1] == '.';
}

/* ink_ip_parse - parse an address literal of len bytes */
int ink_ip_parse(const char *s, size_t len, int *family, uint8_t out[16])
{
    char tmp[IP_LITERAL_MAX + 1];

    if (len == 0 || len > IP_LITERAL_MAX)
        return -1;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    if (memchr(tmp, '\0', len) != NULL)
        return -1;
    if (inet_pton(AF_INET, tmp, out) == 1) {
        *family = 4;
        return 0;
    }
    if (inet_pton(AF_INET6, tmp, out) == 1) {
        *family = 6;
        return 0;
    }
    return -1;
}

/* ink_ip_format - canonical text of an address.  IPv4 is written here
 * (dotted decimal, as inet_ntop writes it): inet_ntop formats each byte
 * with sprintf, a tenth of the report parser's time per record. */
char *ink_ip_format(int family, const uint8_t *addr, char *out, size_t outsz)
{
    if (family == 4 && outsz >= INET_ADDRSTRLEN) {
        char *o = out;
        int i;

        for (i = 0; i < 4; i++) {
            unsigned v = addr[i];
            if (i > 0)
                *o++ = '.';
            if (v >= 100)
                *o++ = (char)('0' + v / 100);
            if (v >= 10)
                *o++ = (char)('0' + v / 10 % 10);
            *o++ = (char)('0' + v % 10);
        }
        *o = '\0';
        return out;
    }
    if (inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, out, (socklen_t)outsz) == NULL && outsz > 0)
        out[0] = '\0';
    return out;
}
