/*
 * open.c - ink_resolver_open(): choose the resolver backend that the
 * command-line options name.  (Scaffold: the zone-file and libunbound
 * backends are being written; until then this reports that.)
 */
#include "inkan/dnsio.h"

/* ink_resolver_open - zone file if given, else libunbound */
struct ink_resolver *ink_resolver_open(const struct ink_resolver_opts *opts,
                                       struct ink_str *err)
{
    (void)opts;
    ink_str_puts(err, "no DNS backend built yet");
    return NULL;
}
