/*
 * inkan/query.h - the one protocol every machine that needs DNS speaks.
 *
 * SPF evaluation, SPF lint, DKIM verification, DMARC discovery, the
 * domain audit, provisioning and publication verification are resumable
 * state machines.  None of them sends a packet: each says which (name,
 * type) it needs, and a driver (inkan/driver.h) asks a resolver and feeds
 * the answer back.  They all do it the same way:
 *
 *     struct ink_query q;
 *     for (;;) {
 *         enum ink_next st = ink_X_next(m, &q);
 *         if (st == INK_NEXT_READY) { send (q.name, q.type), remember q.token; continue; }
 *         if (st == INK_NEXT_WAIT)  { wait for an answer; ink_X_feed(m, token, answer); continue; }
 *         break;                   DONE: results are ready; FAILED: see the machine's error
 *     }
 *
 * Rules every machine keeps:
 *   - next() hands out each query once.  Several may be out at once (the
 *     audit, SPF lint, DKIM with several signatures); a machine that asks
 *     one at a time (SPF check_host(), DMARC discovery) returns WAIT until
 *     its query is fed.
 *   - feed() borrows the answer for the duration of the call only: the
 *     machine copies what it keeps.
 *   - A NULL answer is a temporary failure of that query (as a TIMEOUT
 *     would be), never a crash.  So is an answer whose qname or qtype is
 *     not the question asked (ink_query_answer_fits()).
 *   - feed() of a token that is not outstanding returns -1 and changes
 *     nothing; an answer arriving after the machine is DONE is ignored.
 *   - Once DONE or FAILED, next() keeps returning it.
 *   - The machine never frees itself; whoever made it does (X_free).
 */
#ifndef INKAN_QUERY_H
#define INKAN_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "inkan/dns.h"

#include "inkan/export.h"

#ifdef __cplusplus
extern "C" {
#endif

INK_API_BEGIN

enum ink_next {
    INK_NEXT_READY = 0, /* *q is a query to send now; call next() again */
    INK_NEXT_WAIT,      /* queries are out and nothing more can be asked
                         * until one of them is fed */
    INK_NEXT_DONE,      /* finished: the results are ready */
    INK_NEXT_FAILED     /* cannot go on (out of memory, a broken
                         * invariant of the input): the machine's error
                         * function says why */
};

/* One question handed out by a machine's next(). */
struct ink_query {
    const char *name; /* normalised (lower case, no trailing dot); owned by
                       * the machine, valid until its next next()/feed() */
    uint16_t type;    /* enum ink_dns_type */
    uint32_t token;   /* give it back to feed(); unique among the queries
                       * this machine has outstanding */
};

/*
 * A machine of any kind, as the driver sees it: a table of two functions
 * (Postfix dict.h style) and the machine itself.  Each module offers
 * ink_X_machine(x) returning one of these; the driver never owns self.
 */
struct ink_machine_ops {
    const char *kind; /* "spf", "spf-lint", "dkim", "dmarc", "audit",
                       * "provision", "verify", ... (static) */
    enum ink_next (*next)(void *self, struct ink_query *q);
    int (*feed)(void *self, uint32_t token, const struct ink_dns_answer *answer);
};

struct ink_machine {
    const struct ink_machine_ops *ops;
    void *self;
};

/* ink_machine_next / ink_machine_feed - call through the table */
enum ink_next ink_machine_next(struct ink_machine m, struct ink_query *q);
int ink_machine_feed(struct ink_machine m, uint32_t token, const struct ink_dns_answer *answer);

/*
 * ink_query_answer_fits - 1 when answer is usable as the answer to
 * (name, type): not NULL, its qname equal to name (case-insensitive,
 * trailing dot ignored) and its qtype equal to type.  A machine treats an
 * answer that does not fit as a temporary failure of the query.
 */
int ink_query_answer_fits(const struct ink_dns_answer *answer, const char *name, uint16_t type);

/* ink_next_name - "ready", "wait", "done", "failed" */
const char *ink_next_name(enum ink_next st);

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
