/*
 * dnswire.h - decoding a DNS response packet (RFC 1035 section 4) into the
 * records of a struct ink_dns_answer.  Internal to src/dns/ (the libunbound
 * backend hands us result->answer_packet) and the fuzz target.
 */
#ifndef INKAN_DNSWIRE_H
#define INKAN_DNSWIRE_H

#include <stddef.h>
#include <stdint.h>

#include "inkan/dns.h"
#include "inkan/str.h"

/* Compression pointers followed while reading one name (a loop guard). */
#define DNSWIRE_POINTER_MAX 64
/* Wire size of the fixed DNS header. */
#define DNSWIRE_HEADER_LEN 12

/* Decoder cursor: the error sticks; check it once at the end. */
struct dnswire {
    const uint8_t *buf;
    size_t len;
    size_t off;
    const char *err; /* first problem met, or NULL */
};

/* What the packet said besides the records. */
struct dnswire_info {
    int rcode;          /* RCODE from the header */
    int have_neg_ttl;   /* an SOA was in the authority section */
    uint32_t neg_ttl;   /* min(SOA TTL, SOA MINIMUM) (RFC 2308) */
};

/*
 * dnswire_parse_answer - decode pkt/len.  Adds to a, in packet order, the
 * answer-section records that belong to the query: CNAMEs and records of
 * a->qtype (RRSIGs, DNAMEs and other types are passed over).  Fills info.
 * Returns 0, or -1 with a reason in *why (a constant string) when the
 * packet is malformed or a record cannot be represented; a may then hold
 * some records already.
 */
int dnswire_parse_answer(const uint8_t *pkt, size_t len, struct ink_dns_answer *a,
                         struct dnswire_info *info, const char **why);

/* dnswire_name - read a possibly compressed name at the cursor into out
 * (lower-case presentation form without the trailing dot, "" for the
 * root), advancing past it.  Sets c->err on a malformed name. */
void dnswire_name(struct dnswire *c, char out[INK_DNS_NAME_MAX + 1]);

#endif
