/*
 * inkan/driver.h - the one driver: runs any number of machines of any
 * kind (inkan/query.h) over one resolver (inkan/resolver.h).
 *
 * The driver is the only loop that moves answers between a resolver and
 * the sans-I/O machines.  It keeps at most inflight_max queries at the
 * resolver, asks an identical (name, type) question once however many
 * machines want it, answers repeated questions from a cache that keeps
 * answers for their TTL (NXDOMAIN and NODATA for their negative TTL; a
 * SERVFAIL or TIMEOUT is never kept), and gives up on a query after
 * timeout_ms by feeding NULL (a temporary failure).
 *
 * Three ways to use it:
 *   - one machine, synchronously:  ink_drive_sync(resolver, machine, NULL)
 *   - a batch: ink_driver_add() each machine (a done callback may add
 *     the next one, to keep N in flight), then ink_driver_run()
 *   - inside a program's own event loop (milter, HTTP service): poll
 *     ink_driver_fd() for reading with ink_driver_timeout(), and call
 *     ink_driver_step(d, 0) when it is readable or the timeout expires.
 *
 * Not thread-safe: one driver belongs to one thread.  The driver never
 * owns a machine; it owns neither the resolver.
 */
#ifndef INKAN_DRIVER_H
#define INKAN_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#include "inkan/query.h"
#include "inkan/resolver.h"

#include "inkan/export.h"

#ifdef __cplusplus
extern "C" {
#endif

INK_API_BEGIN

/* Queries outstanding at the resolver at once, by default. */
#define INK_DRIVER_INFLIGHT_DEFAULT 512
/* Answers the cache keeps by default (oldest go first when full). */
#define INK_DRIVER_CACHE_ENTRIES_DEFAULT 65536
/* Longest time the cache keeps an answer, whatever its TTL (seconds). */
#define INK_DRIVER_CACHE_TTL_MAX 86400

struct ink_driver_opts {
    size_t inflight_max;  /* 0: INK_DRIVER_INFLIGHT_DEFAULT */
    int timeout_ms;       /* per query, counted from when it is sent;
                           * 0: INK_RESOLVER_TIMEOUT_MS_DEFAULT */
    int no_cache;         /* 1: no answer cache (de-duplication of
                           * questions in flight stays) */
    size_t cache_entries; /* 0: INK_DRIVER_CACHE_ENTRIES_DEFAULT */
};

struct ink_driver;

/* ink_driver_done_cb - machine m returned how (INK_NEXT_DONE or
 * INK_NEXT_FAILED) and is no longer the driver's.  The callback may free
 * m and may call ink_driver_add(). */
typedef void (*ink_driver_done_cb)(void *arg, struct ink_machine m, enum ink_next how);

/* ink_driver_new - a driver over r (borrowed: r must outlive it); opts
 * may be NULL for the defaults.  NULL on ENOMEM. */
struct ink_driver *ink_driver_new(struct ink_resolver *r, const struct ink_driver_opts *opts);
/* ink_driver_free - release; machines still running are dropped (their
 * done callbacks do not run).  NULL is a no-op. */
void ink_driver_free(struct ink_driver *d);

/* ink_driver_add - start running m; done(arg, m, how) runs once it ends
 * (done may be NULL).  It is stepped first inside ink_driver_step(), never
 * inside this call.  0, or -1 on ENOMEM. */
int ink_driver_add(struct ink_driver *d, struct ink_machine m, ink_driver_done_cb done,
                   void *arg);

/* ink_driver_poke - m (running in d) was given more input (a DKIM
 * verifier or message machine pushed more bytes) and may have more to
 * ask: step it in the next round.  0, or -1 when m is not running in d.
 * Linear in the machines added. */
int ink_driver_poke(struct ink_driver *d, struct ink_machine m);

/* ink_driver_step - one round: step every machine that can go on, send
 * their queries (up to the in-flight limit), wait up to timeout_ms (0:
 * poll; -1: until something happens) for answers, feed them, expire
 * queries past their deadline, run done callbacks.  Returns the machines
 * still running, or -1 when the resolver failed (machines then get NULL
 * answers, as for a timeout, so they still end). */
int ink_driver_step(struct ink_driver *d, int timeout_ms);
/* ink_driver_run - step until no machine is running.  0; -1 as step,
 * or when the machines left wait with nothing asked (they need input:
 * ink_driver_poke them after pushing it). */
int ink_driver_run(struct ink_driver *d);
/* ink_driver_running - machines added and not yet ended */
size_t ink_driver_running(const struct ink_driver *d);

/* ink_driver_fd - the descriptor to poll for reading, or -1 when the
 * resolver has none (the in-memory zone: call step with 0) */
int ink_driver_fd(const struct ink_driver *d);
/* ink_driver_timeout - milliseconds until step() must be called even if
 * the descriptor stays quiet (0: now, there is work; -1: nothing to do) */
int ink_driver_timeout(const struct ink_driver *d);

struct ink_driver_stats {
    size_t machines;      /* added in all */
    size_t queries;       /* asked by machines */
    size_t sent;          /* sent to the resolver */
    size_t cache_hits;    /* answered from the cache */
    size_t joined;        /* answered by an identical query in flight */
    size_t timeouts;      /* given up on at the deadline (fed NULL) */
    size_t cache_entries; /* answers held now */
};
void ink_driver_stats(const struct ink_driver *d, struct ink_driver_stats *st);

/*
 * ink_drive_sync - run m alone to its end over r (opts may be NULL) and
 * return INK_NEXT_DONE or INK_NEXT_FAILED.  For tests and one-shot
 * commands; FAILED also when the driver cannot be made (ENOMEM).
 */
enum ink_next ink_drive_sync(struct ink_resolver *r, struct ink_machine m,
                             const struct ink_driver_opts *opts);

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
