/*
 * inkan/verify.h - verification that follows publication: the records a
 * domain is expected to publish, what was last seen of each, and the pure
 * state machine that moves a domain through
 *
 *     NOT_STARTED -> PENDING -> VERIFIED <-> TEMPORARY_FAILURE
 *                       |                          |
 *                       +------> FAILURE <---------+   (72-hour window)
 *
 * Nothing here reads a clock or sends a query.  Two machines of the one
 * query protocol (inkan/query.h) do the asking:
 *   - ink_vauth finds a name's authoritative servers (NS at the name or
 *     the nearest parent that has them, then their addresses), asked of a
 *     recursive resolver;
 *   - ink_vcheck is one check of one domain: it asks every expected
 *     record at once, turns each answer into an observation
 *     (ink_verify_match()), and ink_vcheck_apply() hands the observations
 *     and the current time to ink_verify_apply(), which computes the new
 *     states and when to poll next.
 * Which view a check sees is the resolver its driver (inkan/driver.h)
 * runs over: the caller points one at the servers ink_vauth found, so a
 * negative answer cached by a recursive resolver cannot hide a record
 * just published (and may run a second ink_vcheck over the recursive
 * resolver to report what that one sees).  The store (inkan/store.h)
 * keeps the result.
 */
#ifndef INKAN_VERIFY_H
#define INKAN_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "inkan/dns.h"
#include "inkan/query.h"
#include "inkan/str.h"

#include "inkan/export.h"

#ifdef __cplusplus
extern "C" {
#endif

INK_API_BEGIN

/* How long a domain has to publish every record before it is FAILURE,
 * and how long a verified domain may stay TEMPORARY_FAILURE before the
 * same happens (seconds). */
#define INK_VERIFY_WINDOW (72 * 3600)
/* Polling while records are awaited: first interval, growth (x3/2 each
 * poll) and the longest interval. */
#define INK_VERIFY_POLL_FIRST 300
#define INK_VERIFY_POLL_MAX 3600
/* Interval after an inconclusive check (DNS timeout or server failure). */
#define INK_VERIFY_POLL_RETRY 120
/* How often a verified domain is checked again (to notice removals). */
#define INK_VERIFY_RECHECK 21600
/* Records one domain may expect. */
#define INK_VERIFY_RECORDS_MAX 64
/* Longest value kept as "last seen" (longer values are cut, marked "..."). */
#define INK_VERIFY_SEEN_MAX 1024
/* Authoritative server addresses one ink_vauth keeps at most. */
#define INK_VAUTH_SERVERS_MAX 8
/* Name servers of one NS set whose addresses ink_vauth asks for. */
#define INK_VAUTH_NS_MAX 16

enum ink_vstate {
    INK_VSTATE_NOT_STARTED = 0,
    INK_VSTATE_PENDING,
    INK_VSTATE_VERIFIED,
    INK_VSTATE_TEMPORARY_FAILURE,
    INK_VSTATE_FAILURE
};

/* How an expected record is recognised when it is seen. */
enum ink_vmatch {
    INK_VMATCH_CNAME = 0, /* a CNAME at owner pointing at expect */
    INK_VMATCH_MX,        /* an MX at owner whose exchange is expect's host
                           * ("10 mx.example.net" or just the host) */
    INK_VMATCH_TXT,       /* a TXT at owner whose text is exactly expect */
    INK_VMATCH_SPF,       /* one SPF record at owner holding every term of
                           * expect (space-separated, e.g. "include:x ip4:y") */
    INK_VMATCH_DKIM,      /* a DKIM key record at owner; when expect holds a
                           * key ("p=..." or a whole record) the keys match */
    INK_VMATCH_DMARC      /* one DMARC record at owner (any policy) */
};

/* One expected record and what verification knows about it. */
struct ink_vrecord {
    char *owner;         /* fully qualified, normalised */
    uint16_t type;       /* the query type asked (CNAME, MX, TXT) */
    enum ink_vmatch match;
    char *expect;        /* see enum ink_vmatch */
    char *purpose;       /* "spf", "dkim", "dmarc", "return-path", ... */
    enum ink_vstate state;
    char *seen;          /* last value seen at the authoritative servers, or NULL */
    char *detail;        /* why it is not verified (or NULL) */
    char *recursive;     /* what a recursive resolver saw last (information) */
    int64_t last_check;  /* 0: never */
    int64_t verified_at; /* last time it went VERIFIED, 0: never */
    int64_t changed_at;  /* last state change */
};

struct ink_vdomain {
    char *domain;         /* the customer's domain, normalised */
    char *profile;        /* profile name (information) */
    enum ink_vstate state;
    int64_t added_at;
    int64_t window_start; /* first check; 0 while NOT_STARTED */
    int64_t deadline;     /* when FAILURE is decided (window_start + window) */
    int64_t last_check;
    int64_t next_poll;    /* 0: not polled any more (FAILURE) */
    int64_t state_since;
    int64_t verified_at;  /* last time the whole domain went VERIFIED */
    unsigned polls;       /* checks since the last domain state change */
    int64_t rev;          /* store revision (optimistic locking), store-owned */
    size_t nrec;
    struct ink_vrecord *rec;
};

/* What one check saw of one expected record. */
enum ink_vobs_kind {
    INK_VOBS_MATCH = 0, /* the record is there as expected */
    INK_VOBS_ABSENT,    /* no such record (NXDOMAIN, NODATA, no matching TXT) */
    INK_VOBS_DIFFERENT, /* a record is there but says something else */
    INK_VOBS_ERROR      /* inconclusive: timeout, server failure */
};

struct ink_vobs {
    enum ink_vobs_kind kind;
    char *seen;   /* printable value seen (owned), or NULL */
    char *detail; /* printable explanation (owned), or NULL */
};

/* A state change, for the store's history and for output. */
struct ink_vchange {
    long record;           /* index into rec, or -1 for the domain */
    enum ink_vstate from, to;
    int64_t at;
};

/* ink_vdomain_new - empty domain in NOT_STARTED; caller frees */
struct ink_vdomain *ink_vdomain_new(const char *domain, const char *profile, int64_t now);
/* ink_vdomain_free - release; NULL is a no-op */
void ink_vdomain_free(struct ink_vdomain *d);
/* ink_vdomain_add_record - append an expected record (strings copied,
 * owner normalised).  0, or -1 on a bad owner, ENOMEM or the limit. */
int ink_vdomain_add_record(struct ink_vdomain *d, const char *owner, uint16_t type,
                           enum ink_vmatch match, const char *expect, const char *purpose);
/* ink_vdomain_set_str - replace *slot with a copy of value (NULL clears); 0/-1 */
int ink_vdomain_set_str(char **slot, const char *value);

/*
 * ink_verify_match - compare what answer (to owner/type of r; may be NULL
 * for "could not resolve") shows with what r expects.  Fills *out (caller
 * frees with ink_vobs_clear).  0, or -1 on ENOMEM.
 */
int ink_verify_match(const struct ink_vrecord *r, const struct ink_dns_answer *answer,
                     struct ink_vobs *out);
/* ink_vobs_clear - free what an observation owns */
void ink_vobs_clear(struct ink_vobs *o);

/*
 * ink_verify_apply - one check of d at time now: obs[i] is what was seen of
 * d->rec[i] (d->nrec of them).  Updates every record's state, last seen
 * value and check time, the domain's state and next poll time.  State
 * changes are appended to changes (capacity d->nrec + 1) and counted in
 * *nchanges.  Returns the domain's new state, or -1 on ENOMEM (d is then
 * unchanged except for partly copied strings).
 */
int ink_verify_apply(struct ink_vdomain *d, const struct ink_vobs *obs, int64_t now,
                     struct ink_vchange *changes, size_t *nchanges);

/* ink_verify_due - is d to be polled at now (not FAILURE, next_poll reached) */
int ink_verify_due(const struct ink_vdomain *d, int64_t now);

/*
 * ink_vauth - find the authoritative servers of a name, as a machine of
 * the query protocol (inkan/query.h), asked of a recursive resolver.
 * It asks NS for the name, then for each parent in turn (one at a time)
 * until an answer holds NS records owned by the name asked; a SERVFAIL,
 * TIMEOUT, NULL or unfitting answer on the way is remembered as the
 * reason should no NS set turn up, and the search goes on higher (a name
 * that is a CNAME into a failing zone answers NS with the target's
 * failure).  Then A and AAAA of each name server (all at once).  DONE
 * with up to INK_VAUTH_SERVERS_MAX addresses in NS order (duplicates
 * dropped), or with none and a reason; FAILED only when out of memory.
 */
struct ink_vauth;

struct ink_vauth_server {
    int family;       /* 4 or 6 */
    uint8_t addr[16]; /* 4 bytes for IPv4 */
};

/* ink_vauth_search_name - the name whose servers answer for (owner,
 * type): a name meant to hold a CNAME cannot be a zone apex (a CNAME
 * cannot sit beside SOA and NS), so its parent; otherwise owner.  Points
 * into owner. */
const char *ink_vauth_search_name(const char *owner, uint16_t type);
/* ink_vauth_new - search from name (copied, normalised); NULL on a bad
 * name or ENOMEM.  Caller frees. */
struct ink_vauth *ink_vauth_new(const char *name);
void ink_vauth_free(struct ink_vauth *a);
enum ink_next ink_vauth_next(struct ink_vauth *a, struct ink_query *q);
int ink_vauth_feed(struct ink_vauth *a, uint32_t token, const struct ink_dns_answer *answer);
struct ink_machine ink_vauth_machine(struct ink_vauth *a);
/* Results once DONE (owned by a): the name searched from; the zone apex
 * whose NS set was found (NULL when none); why there are no servers
 * (NULL when there are); the servers. */
const char *ink_vauth_name(const struct ink_vauth *a);
const char *ink_vauth_apex(const struct ink_vauth *a);
const char *ink_vauth_why(const struct ink_vauth *a);
size_t ink_vauth_nservers(const struct ink_vauth *a);
const struct ink_vauth_server *ink_vauth_server(const struct ink_vauth *a, size_t i);

/*
 * ink_vcheck - one check of one domain, as a machine of the query
 * protocol: it asks (owner, type) of every expected record of d at once
 * and turns each answer into an observation (ink_verify_match(); NULL or
 * an answer that does not fit the question: "no answer from DNS", an
 * inconclusive observation).  d is borrowed: it must outlive c and keep
 * its records until c is freed.  FAILED only when out of memory.
 */
struct ink_vcheck;

struct ink_vcheck *ink_vcheck_new(const struct ink_vdomain *d);
void ink_vcheck_free(struct ink_vcheck *c);
enum ink_next ink_vcheck_next(struct ink_vcheck *c, struct ink_query *q);
int ink_vcheck_feed(struct ink_vcheck *c, uint32_t token, const struct ink_dns_answer *answer);
struct ink_machine ink_vcheck_machine(struct ink_vcheck *c);
/* ink_vcheck_obs - what was seen of d->rec[i] (owned by c; after DONE) */
const struct ink_vobs *ink_vcheck_obs(const struct ink_vcheck *c, size_t i);
/* ink_vcheck_ttl - the TTL of the answer for d->rec[i] (for a negative
 * answer its negative TTL), 0 when there was none */
uint32_t ink_vcheck_ttl(const struct ink_vcheck *c, size_t i);
/* ink_vcheck_apply - ink_verify_apply() with c's observations to d (the
 * domain c was made for) at now.  Returns as ink_verify_apply; -1 also
 * when c is not DONE. */
int ink_vcheck_apply(const struct ink_vcheck *c, struct ink_vdomain *d, int64_t now,
                     struct ink_vchange *changes, size_t *nchanges);

/* ink_vstate_name - "NOT_STARTED", "PENDING", "VERIFIED",
 * "TEMPORARY_FAILURE", "FAILURE" */
const char *ink_vstate_name(enum ink_vstate s);
/* ink_vstate_from_name - inverse (case-insensitive); -1 if unknown */
int ink_vstate_from_name(const char *s);
/* ink_vmatch_name / ink_vmatch_from_name - "cname", "mx", "txt", "spf", "dkim", "dmarc" */
const char *ink_vmatch_name(enum ink_vmatch m);
int ink_vmatch_from_name(const char *s);

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
