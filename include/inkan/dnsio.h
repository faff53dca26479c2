/*
 * inkan/dnsio.h - resolver backends that do I/O (src/dns/): the zone-file
 * backend (reads a file, answers from memory), the libunbound backend
 * (recursion, DNSSEC validation), the c-ares stub backend (forwarding to
 * a named or configured resolver at the speed of the wire), and
 * ink_resolver_open(), which picks one from command-line options.
 */
#ifndef INKAN_DNSIO_H
#define INKAN_DNSIO_H

#include "inkan/resolver.h"
#include "inkan/str.h"

#include "inkan/export.h"

#ifdef __cplusplus
extern "C" {
#endif

INK_API_BEGIN

/* ink_resolver_zonefile_new - read and parse path; caller owns the
 * resolver.  NULL with "FILE:LINE: reason" (or the OS error) in err. */
struct ink_resolver *ink_resolver_zonefile_new(const char *path, const char *origin,
                                               struct ink_str *err);

/* ink_resolver_unbound_new - libunbound backend.  server is "HOST[:PORT]"
 * to forward to (IPv6 as [ADDR]:PORT), or NULL for /etc/resolv.conf.
 * NULL with a reason in err. */
struct ink_resolver *ink_resolver_unbound_new(const char *server, int timeout_ms,
                                              int no_cache, struct ink_str *err);

/* ink_resolver_unbound_new_ta - as ink_resolver_unbound_new, and when
 * trust_anchor (a file of DS/DNSKEY records, e.g. /usr/share/dns/root.key)
 * is given, validate DNSSEC: answers then carry secure, insecure or bogus
 * (bogus answers are SERVFAIL with the reason in why).  Without it the
 * state is unknown. */
struct ink_resolver *ink_resolver_unbound_new_ta(const char *server, int timeout_ms,
                                                 int no_cache, const char *trust_anchor,
                                                 struct ink_str *err);

/* ink_resolver_cares_new - the stub backend (c-ares): every query goes to
 * server ("HOST[:PORT]" as for libunbound) or, when server is NULL, to the
 * nameservers of /etc/resolv.conf, over sockets kept open.  No cache, no
 * DNSSEC validation.  fd() is one epoll descriptor.  NULL with a reason
 * in err. */
struct ink_resolver *ink_resolver_cares_new(const char *server, int timeout_ms,
                                            struct ink_str *err);

/* ink_resolver_open - the backend the options ask for:
 *   --zone FILE                      the zone file, in memory
 *   --trust-anchor FILE              libunbound, validating
 *   --dns HOST[:PORT]                the c-ares stub to that server
 *   neither, resolv.conf names a nameserver   the c-ares stub to those
 *   neither, resolv.conf names none  libunbound, recursing from the root
 * Answers are cached (libunbound's cache, or a small ink_resolver_cache
 * in front of the stub) unless no_cache. */
struct ink_resolver *ink_resolver_open(const struct ink_resolver_opts *opts,
                                       struct ink_str *err);

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
