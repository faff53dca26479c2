/*
 * dns_int.h - what the DNS core's files (dns_answer.c, memzone.c,
 * zonefile.c) share beyond include/inkan/: adding a whole record and
 * clearing one, which the public typed adders are built on.  Not
 * installed, not exported from libinkan.so.
 */
#ifndef INKAN_DNS_INT_H
#define INKAN_DNS_INT_H

#include "inkan/dns.h"
#include "inkan/memzone.h"

/* ink_dns_answer_add_rr - add a deep copy of rr; 0/-1 */
int ink_dns_answer_add_rr(struct ink_dns_answer *a, const struct ink_dns_rr *rr);
/* ink_dns_rr_clear - release what one record owns and zero it (the
 * record itself belongs to whoever holds the array) */
void ink_dns_rr_clear(struct ink_dns_rr *rr);

/* ink_memzone_add - add a deep copy of rr at owner name rr->owner
 * (normalised here).  0, or -1 on a bad owner name, ENOMEM or the limit. */
int ink_memzone_add(struct ink_memzone *z, const struct ink_dns_rr *rr);
/* ink_memzone_touch - make owner exist without adding a record, so that
 * queries for it answer NODATA rather than NXDOMAIN: what a zone-file
 * record of a type inkan does not model (CAA, SRV, ...) leaves behind.
 * 0, or -1 on a bad name or ENOMEM. */
int ink_memzone_touch(struct ink_memzone *z, const char *owner);

#endif
