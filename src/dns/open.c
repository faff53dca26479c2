/*
 * open.c - ink_resolver_open(): choose the resolver backend that the
 * command-line options name: the zone file when --zone is given,
 * otherwise libunbound (forwarding to --dns HOST[:PORT] or following
 * /etc/resolv.conf).
 */
#include "inkan/dnsio.h"

/* ink_resolver_open - zone file if given, else libunbound */
struct ink_resolver *ink_resolver_open(const struct ink_resolver_opts *opts,
                                       struct ink_str *err)
{
    int timeout = opts->timeout_ms > 0 ? opts->timeout_ms : INK_RESOLVER_TIMEOUT_MS_DEFAULT;

    if (opts->zone_file != NULL && opts->server != NULL) {
        ink_str_puts(err, "a zone file and a DNS server cannot both be given");
        return NULL;
    }
    if (opts->zone_file != NULL)
        return ink_resolver_zonefile_new(opts->zone_file, opts->origin, err);
    return ink_resolver_unbound_new_ta(opts->server, timeout, opts->no_cache,
                                       opts->trust_anchor, err);
}
