/*
 * inkan/resolver.h - the one resolver interface every DNS backend offers.
 *
 * A backend is a struct of function pointers (Postfix dict.h style), one
 * file each under src/dns/ (and the in-memory one here in the core):
 *   - memzone:  answers from a struct ink_memzone (tests, --zone FILE)
 *   - c-ares:   the stub to a named or configured resolver (--dns HOST[:PORT],
 *               resolv.conf nameservers): one socket kept open, epoll fd()
 *   - unbound:  libunbound, async, cached, DNSSEC-aware (--trust-anchor,
 *               or recursion when resolv.conf names no nameserver)
 *
 * Use: submit any number of queries, each with a callback; call process()
 * until pending() is 0.  Callbacks run only inside process(), never inside
 * submit(), so a caller may submit from within a callback.  The callback
 * receives ownership of the answer (never NULL: failures come back as an
 * answer with status SERVFAIL or TIMEOUT and why set).
 */
#ifndef INKAN_RESOLVER_H
#define INKAN_RESOLVER_H

#include "inkan/dns.h"
#include "inkan/memzone.h"
#include "inkan/str.h"

#include "inkan/export.h"

#ifdef __cplusplus
extern "C" {
#endif

INK_API_BEGIN

/* Default time one query may take before it is reported as TIMEOUT. */
#define INK_RESOLVER_TIMEOUT_MS_DEFAULT 5000

struct ink_resolver;

/* ink_resolver_cb - an answer arrived; the callee owns answer */
typedef void (*ink_resolver_cb)(void *arg, struct ink_dns_answer *answer);

struct ink_resolver_ops {
    const char *name;
    /* submit - queue (name, type); 0, or -1 when it cannot even be queued */
    int (*submit)(struct ink_resolver *r, const char *name, uint16_t type, ink_resolver_cb cb,
                  void *arg);
    /* process - wait up to timeout_ms for answers (0: poll, -1: until one
     * arrives) and run their callbacks; returns how many ran, or -1 */
    int (*process)(struct ink_resolver *r, int timeout_ms);
    /* pending - queries submitted whose callback has not run yet */
    size_t (*pending)(const struct ink_resolver *r);
    /* free - release the backend; pending callbacks are dropped unrun */
    void (*free)(struct ink_resolver *r);
    /* fd - a descriptor that becomes readable when process() has work, for
     * programs with their own event loop (libunbound's ub_fd, libasr's
     * ar_fd); -1 when there is none.  May be NULL in the table: -1. */
    int (*fd)(const struct ink_resolver *r);
    /* timeout - milliseconds until process() must be called even if fd()
     * stays quiet (retransmissions, deadlines); 0 when answers are ready
     * now; -1 when nothing is pending.  May be NULL in the table: 0 when
     * queries are pending, else -1. */
    int (*timeout)(const struct ink_resolver *r);
};

/* Every backend's own struct starts with this. */
struct ink_resolver {
    const struct ink_resolver_ops *ops;
};

/* Where answers come from, as a command line states it. */
struct ink_resolver_opts {
    const char *zone_file; /* --zone FILE: RFC 1035 master file, or NULL */
    const char *origin;    /* $ORIGIN to start the zone file with, or NULL */
    const char *server;    /* --dns HOST[:PORT], or NULL for resolv.conf */
    int timeout_ms;        /* per query; 0 means the default */
    int no_cache;          /* ask the server every time (verification polls) */
    const char *trust_anchor; /* DNSSEC trust-anchor file to validate with, or NULL */
};

/* ink_resolver_submit/process/pending/free - call through the ops table.
 * ink_resolver_free(NULL) is a no-op. */
int ink_resolver_submit(struct ink_resolver *r, const char *name, uint16_t type,
                        ink_resolver_cb cb, void *arg);
int ink_resolver_process(struct ink_resolver *r, int timeout_ms);
size_t ink_resolver_pending(const struct ink_resolver *r);
void ink_resolver_free(struct ink_resolver *r);
/* ink_resolver_fd / ink_resolver_timeout - as the ops above, with their
 * defaults when the backend has none */
int ink_resolver_fd(const struct ink_resolver *r);
int ink_resolver_timeout(const struct ink_resolver *r);

/* ink_resolve_sync - submit one query and process until it is answered.
 * Caller owns the answer; NULL only on ENOMEM or a broken backend. */
struct ink_dns_answer *ink_resolve_sync(struct ink_resolver *r, const char *name,
                                        uint16_t type);

/* ink_resolver_memzone_new - backend answering from z.  When own is set
 * the resolver frees z.  Caller owns the resolver. */
struct ink_resolver *ink_resolver_memzone_new(struct ink_memzone *z, int own);

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
