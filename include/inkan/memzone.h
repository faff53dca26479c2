/*
 * inkan/memzone.h - an in-memory DNS zone that answers queries as an
 * authoritative server would: CNAME chains followed, NXDOMAIN kept apart
 * from NODATA (empty non-terminals exist), wildcards expanded.  It can also
 * be told to make a name time out or SERVFAIL, which is how tests (and the
 * SPF conformance suite's TIMEOUT entries) exercise temporary errors.
 *
 * Used by the zone-file backend (--zone FILE) and by tests.  Pure data.
 */
#ifndef INKAN_MEMZONE_H
#define INKAN_MEMZONE_H

#include "inkan/dns.h"

#include "inkan/export.h"

#ifdef __cplusplus
extern "C" {
#endif

INK_API_BEGIN

/* Records one zone may hold (a guard against runaway zone files). */
#define INK_MEMZONE_RR_MAX 1000000
/* Records of one type one name may hold: an answer holds at most
 * INK_DNS_ANSWER_RR_MAX records, a CNAME chain to the name included, so
 * more could be loaded but never answered.  They are refused when loaded. */
#define INK_MEMZONE_TYPE_RR_MAX (INK_DNS_ANSWER_RR_MAX - INK_DNS_CNAME_CHAIN_MAX - 1)
/* What an adder returns for a record over INK_MEMZONE_TYPE_RR_MAX. */
#define INK_MEMZONE_TOO_MANY (-2)

struct ink_memzone;

/* ink_memzone_new - empty zone; caller owns.  NULL on ENOMEM. */
struct ink_memzone *ink_memzone_new(void);
/* ink_memzone_free - release; NULL is a no-op */
void ink_memzone_free(struct ink_memzone *z);

/* Adders: 0, or -1 on a bad owner name, ENOMEM or the limit, or
 * INK_MEMZONE_TOO_MANY. */
int ink_memzone_add_addr_text(struct ink_memzone *z, const char *owner, uint32_t ttl,
                              const char *ip);
int ink_memzone_add_name(struct ink_memzone *z, const char *owner, uint16_t type,
                         uint32_t ttl, const char *target);
int ink_memzone_add_mx(struct ink_memzone *z, const char *owner, uint32_t ttl,
                       uint16_t pref, const char *exchange);
/* ink_memzone_add_txt1 - a TXT (or SPF) record holding one string of len bytes */
int ink_memzone_add_txt1(struct ink_memzone *z, const char *owner, uint16_t type,
                         uint32_t ttl, const void *text, size_t len);
int ink_memzone_add_txt(struct ink_memzone *z, const char *owner, uint16_t type,
                        uint32_t ttl, size_t n, const uint8_t *const *strings,
                        const size_t *lens);

/* ink_memzone_set_fault - every query for owner (any type when type is 0)
 * answers with status (INK_DNS_TIMEOUT or INK_DNS_SERVFAIL).  0 or -1. */
int ink_memzone_set_fault(struct ink_memzone *z, const char *owner, uint16_t type,
                          enum ink_dns_status status);

/* ink_memzone_remove - drop every record of owner (of type, or all when 0).
 * Returns the number removed. */
size_t ink_memzone_remove(struct ink_memzone *z, const char *owner, uint16_t type);

/* ink_memzone_lookup - answer (name, type); caller owns the answer.  A name
 * that is not a valid domain name answers NXDOMAIN with why set.  NULL only
 * on ENOMEM. */
struct ink_dns_answer *ink_memzone_lookup(const struct ink_memzone *z, const char *name,
                                          uint16_t type);

/* ink_memzone_count - number of records held */
size_t ink_memzone_count(const struct ink_memzone *z);

/* ink_memzone_foreach - call fn for every record (owner order unspecified);
 * stops early and returns fn's value when fn returns non-zero. */
int ink_memzone_foreach(const struct ink_memzone *z,
                        int (*fn)(void *arg, const struct ink_dns_rr *rr), void *arg);

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
