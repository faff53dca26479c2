/*
 * inkan/dnscache.h - a caching layer over any resolver backend.
 *
 * Wraps a struct ink_resolver and offers the same interface: answers are
 * kept in memory for their TTL (NOERROR data, and NODATA/NXDOMAIN for the
 * negative TTL; SERVFAIL and TIMEOUT are never kept), and identical
 * queries in flight at the same time go out once, every asker getting its
 * own copy of the answer.  Meant for drivers that run many evaluations at
 * once (`inkan spf --batch`, a milter): they ask the same include and MX
 * names over and over, and a hit answered in-process costs far less than
 * a round trip through the backend (libunbound's worker thread and pipe).
 */
#ifndef INKAN_DNSCACHE_H
#define INKAN_DNSCACHE_H

#include "inkan/resolver.h"

#include "inkan/export.h"

#ifdef __cplusplus
extern "C" {
#endif

INK_API_BEGIN

/* Answers kept by default (each a deep copy of one answer). */
#define INK_DNSCACHE_ENTRIES_DEFAULT 65536
/* Longest time an answer is kept, whatever its TTL says (seconds). */
#define INK_DNSCACHE_TTL_MAX 86400

/*
 * ink_resolver_cache_new - a resolver answering from a cache in front of
 * below, which it owns from now on (freed with it, also on failure).
 * max_entries bounds the answers kept (0: the default); when full, the
 * oldest go first.  NULL on ENOMEM.
 */
struct ink_resolver *ink_resolver_cache_new(struct ink_resolver *below, size_t max_entries);

/* Counters of a cache resolver (r must come from ink_resolver_cache_new). */
struct ink_dnscache_stats {
    size_t hits;      /* answered from memory */
    size_t joined;    /* answered by a query already in flight */
    size_t misses;    /* sent to the backend */
    size_t entries;   /* answers held now */
};
void ink_resolver_cache_stats(const struct ink_resolver *r, struct ink_dnscache_stats *st);

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
