/*
 * open.c - ink_resolver_open(): choose the resolver backend that the
 * command-line options name (see inkan/dnsio.h for the table).
 *
 * Why the stub for a resolv.conf nameserver is sound: libunbound, given
 * resolv.conf (ub_ctx_resolvconf), does not recurse either; it forwards
 * every query to those same servers and returns what they say.  The stub
 * sends the same questions to the same servers, without a worker thread
 * or a socket per query; a small answer cache in front of it (unless
 * no_cache) keeps what libunbound's context kept, and the driver's cache
 * sits in front of that.  What libunbound alone can do, validating
 * DNSSEC and recursing from the root, is what --trust-anchor and an
 * empty resolv.conf ask for, so those keep libunbound.
 */
#include "inkan/dnscache.h"
#include "inkan/dnsio.h"

#include <stdio.h>
#include <string.h>

/* The system's resolver configuration. */
#define OPEN_RESOLV_CONF "/etc/resolv.conf"
/* Answers the stub's own cache keeps: about what libunbound's default
 * 4 MB message cache held, so that a long-lived resolver (inkan dns -, a
 * daemon) answers repeated questions from memory as it did with
 * libunbound; the driver's cache in front is the main one. */
#define OPEN_STUB_CACHE_ENTRIES 8192
/* Longest resolv.conf line looked at (longer lines are read in pieces). */
#define OPEN_LINE_MAX 1024

/* resolv_conf_has_nameserver - 1 if path has a "nameserver ADDR" line */
static int resolv_conf_has_nameserver(const char *path)
{
    char line[OPEN_LINE_MAX];
    FILE *f = fopen(path, "re");
    int found = 0;

    if (f == NULL)
        return 0;
    while (!found && fgets(line, sizeof(line), f) != NULL) {
        const char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (strncmp(p, "nameserver", 10) == 0 && (p[10] == ' ' || p[10] == '\t')) {
            p += 10;
            while (*p == ' ' || *p == '\t')
                p++;
            found = *p != '\0' && *p != '\n' && *p != '#' && *p != ';';
        }
    }
    fclose(f);
    return found;
}

/* ink_resolver_open - the backend the options ask for */
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
    if (opts->trust_anchor != NULL)
        return ink_resolver_unbound_new_ta(opts->server, timeout, opts->no_cache,
                                           opts->trust_anchor, err);
    if (opts->server != NULL || resolv_conf_has_nameserver(OPEN_RESOLV_CONF)) {
        struct ink_resolver *r = ink_resolver_cares_new(opts->server, timeout, err);
        if (r == NULL || opts->no_cache)
            return r;
        r = ink_resolver_cache_new(r, OPEN_STUB_CACHE_ENTRIES);
        if (r == NULL)
            ink_str_puts(err, "out of memory");
        return r;
    }
    return ink_resolver_unbound_new_ta(NULL, timeout, opts->no_cache, NULL, err);
}
