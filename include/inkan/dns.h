/*
 * inkan/dns.h - the DNS data model shared by the sans-I/O core and the
 * resolver adapters: query types, answer status, resource records and the
 * answer object a resolver hands back.
 *
 * The core never sends a packet.  An evaluator (SPF, DMARC, DKIM key
 * lookup) says "I need NAME/TYPE"; a driver asks a resolver (see
 * inkan/resolver.h) and feeds the resulting struct ink_dns_answer back.
 */
#ifndef INKAN_DNS_H
#define INKAN_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "inkan/export.h"

#ifdef __cplusplus
extern "C" {
#endif

INK_API_BEGIN

/* RFC 1035 section 2.3.4 size limits, in presentation form without the root dot. */
#define INK_DNS_NAME_MAX 253
#define INK_DNS_LABEL_MAX 63
/* Longest CNAME chain followed before the answer is declared SERVFAIL. */
#define INK_DNS_CNAME_CHAIN_MAX 16
/* One character-string in a TXT record (RFC 1035 section 3.3). */
#define INK_DNS_TXT_STRING_MAX 255
/* Records accepted in one answer; more is treated as a broken answer. */
#define INK_DNS_ANSWER_RR_MAX 4096

enum ink_dns_type {
    INK_DNS_A = 1,
    INK_DNS_NS = 2,
    INK_DNS_CNAME = 5,
    INK_DNS_SOA = 6,
    INK_DNS_PTR = 12,
    INK_DNS_MX = 15,
    INK_DNS_TXT = 16,
    INK_DNS_AAAA = 28,
    INK_DNS_SPF = 99
};

/*
 * Outcome of one query.  NOERROR with data, NODATA (name exists, no record
 * of the type), NXDOMAIN, and the two temporary failures are kept apart
 * because SPF and DMARC give each a different meaning.
 */
enum ink_dns_status {
    INK_DNS_OK = 0,    /* NOERROR, at least one record of the type */
    INK_DNS_NODATA,    /* NOERROR, no record of the type */
    INK_DNS_NXDOMAIN,  /* the name does not exist */
    INK_DNS_SERVFAIL,  /* server failure, refused, or a broken answer */
    INK_DNS_TIMEOUT    /* no answer in time */
};

enum ink_dnssec {
    INK_DNSSEC_UNKNOWN = 0, /* the backend does not validate */
    INK_DNSSEC_SECURE,
    INK_DNSSEC_INSECURE,
    INK_DNSSEC_BOGUS
};

/* One resource record of an answer.  Which fields are set depends on type. */
struct ink_dns_rr {
    uint16_t type;
    uint32_t ttl;
    uint8_t addr[16];     /* A: first 4 bytes; AAAA: all 16 */
    uint16_t pref;        /* MX preference */
    char *name;           /* CNAME, PTR, NS, MX target, SOA mname: lower-case
                           * presentation form, no trailing dot; owned */
    size_t ntxt;          /* TXT/SPF: number of character-strings */
    uint8_t **txt;        /* TXT/SPF: the strings (owned, each NUL-padded) */
    size_t *txtlen;       /* TXT/SPF: their lengths */
    char *owner;          /* owner name of this record (owned) */
};

/* The answer to one (name, type) query.  Owned by whoever holds it. */
struct ink_dns_answer {
    char *qname;              /* the name asked, normalised */
    uint16_t qtype;
    enum ink_dns_status status;
    enum ink_dnssec dnssec;
    uint32_t ttl;             /* smallest TTL of the records, or negative TTL */
    size_t nrr;
    struct ink_dns_rr *rr;    /* records: CNAMEs of a chain first, then data */
    char *why;                /* for SERVFAIL/TIMEOUT: what went wrong, or NULL */
};

/* ink_dns_answer_new - empty answer for (qname, qtype) with the given
 * status; caller owns it (ink_dns_answer_free).  NULL on ENOMEM. */
struct ink_dns_answer *ink_dns_answer_new(const char *qname, uint16_t qtype,
                                          enum ink_dns_status status);
/* ink_dns_answer_free - release an answer; NULL is a no-op */
void ink_dns_answer_free(struct ink_dns_answer *a);
/* ink_dns_answer_set_why - record the reason for a failure (copied); 0/-1 */
int ink_dns_answer_set_why(struct ink_dns_answer *a, const char *why);
/* ink_dns_answer_add_addr - add an A (len 4) or AAAA (len 16) record; 0/-1 */
int ink_dns_answer_add_addr(struct ink_dns_answer *a, const char *owner, uint32_t ttl,
                            const uint8_t *addr, size_t len);
/* ink_dns_answer_add_name - add a CNAME/PTR/NS/SOA record; 0/-1 */
int ink_dns_answer_add_name(struct ink_dns_answer *a, const char *owner, uint16_t type,
                            uint32_t ttl, const char *target);
/* ink_dns_answer_add_mx - add an MX record; 0/-1 */
int ink_dns_answer_add_mx(struct ink_dns_answer *a, const char *owner, uint32_t ttl,
                          uint16_t pref, const char *exchange);
/* ink_dns_answer_add_txt - add a TXT (or SPF) record of n strings; 0/-1 */
int ink_dns_answer_add_txt(struct ink_dns_answer *a, const char *owner, uint16_t type,
                           uint32_t ttl, size_t n, const uint8_t *const *strings,
                           const size_t *lens);
/* ink_dns_answer_dup - deep copy; caller owns; NULL on ENOMEM */
struct ink_dns_answer *ink_dns_answer_dup(const struct ink_dns_answer *a);

/* ink_dns_rr_txt_join - the TXT strings of rr concatenated (RFC 7208 3.3),
 * as a fresh NUL-terminated buffer; *len gets the length.  Caller frees. */
uint8_t *ink_dns_rr_txt_join(const struct ink_dns_rr *rr, size_t *len);

/* ink_dns_type_name - "A", "TXT", ...; "TYPE<n>" style names are not
 * produced: unknown types give "UNKNOWN" */
const char *ink_dns_type_name(uint16_t type);
/* ink_dns_type_from_name - parse "A", "txt", ... (case-insensitive); 0 if unknown */
uint16_t ink_dns_type_from_name(const char *name, size_t len);
/* ink_dns_status_name - "NOERROR", "NODATA", "NXDOMAIN", "SERVFAIL", "TIMEOUT" */
const char *ink_dns_status_name(enum ink_dns_status st);
/* ink_dnssec_name - "unknown", "secure", "insecure", "bogus" */
const char *ink_dnssec_name(enum ink_dnssec d);

/*
 * ink_dns_name_normalize - copy name (len bytes) into out (size outsz) in
 * the canonical form the model uses: ASCII lower-case, one trailing dot
 * removed.  Returns the length, or -1 if the name is empty (other than the
 * root "."), has an empty label, a label over INK_DNS_LABEL_MAX, a total
 * over INK_DNS_NAME_MAX, or does not fit outsz.  Non-ASCII bytes are kept
 * as they are (they are not valid host names, but TXT owner names may
 * carry them).  The root "." normalises to "" (length 0).
 */
int ink_dns_name_normalize(const char *name, size_t len, char *out, size_t outsz);
/* ink_dns_name_eq - case-insensitive comparison, ignoring one trailing dot */
int ink_dns_name_eq(const char *a, const char *b);
/* ink_dns_name_is_subdomain - 1 if name equals parent or is below it */
int ink_dns_name_is_subdomain(const char *name, const char *parent);

/* ink_ip_parse - parse an IPv4 or IPv6 literal (len bytes, no NUL needed).
 * IPv4 gives family 4 and 4 bytes in out; IPv6 gives 6 and 16 bytes.
 * 0 on success, -1 if it is not an address literal. */
int ink_ip_parse(const char *s, size_t len, int *family, uint8_t out[16]);
/* ink_ip_format - write the address in canonical text (RFC 5952 for IPv6)
 * into out (at least 46 bytes).  Returns out. */
char *ink_ip_format(int family, const uint8_t *addr, char *out, size_t outsz);

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
