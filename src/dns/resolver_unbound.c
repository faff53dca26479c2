/*
 * resolver_unbound.c - the libunbound resolver backend (being written).
 */
#include "inkan/dnsio.h"

/* ink_resolver_unbound_new - not available yet: says so */
struct ink_resolver *ink_resolver_unbound_new(const char *server, int timeout_ms,
                                              int no_cache, struct ink_str *err)
{
    (void)server;
    (void)timeout_ms;
    (void)no_cache;
    ink_str_puts(err, "the libunbound DNS backend is not built yet; use --zone FILE");
    return NULL;
}
