/*
 * fuzz_milter_config.c - libFuzzer target for the configuration of
 * `inkan milter` (inkan/milter.h).  The bytes are the YAML file.
 * Promises: no crash or hang; a refused file says why with a position
 * and a key; an accepted one has a socket, keeps the named limits, each
 * network a valid prefix, each key its three fields, a timeout in range.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/milter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ink_str err = INK_STR_INIT;
    struct ink_milter_config *c = ink_milter_config_parse(data, size, "/etc/inkan", &err);
    size_t i;

    if (c == NULL) {
        if (err.len == 0 || strchr(ink_str_cstr(&err), ':') == NULL)
            abort(); /* refused without a position */
        ink_str_free(&err);
        return 0;
    }
    if (c->socket == NULL || c->nnetworks > INK_MILTER_NETWORKS_MAX || c->nkeys > INK_MILTER_KEYS_MAX)
        abort();
    if (c->dns_timeout_ms < 1000 || c->dns_timeout_ms > INK_MILTER_DNS_TIMEOUT_MAX * 1000)
        abort();
    if (c->dns_zone != NULL && c->dns_server != NULL)
        abort();
    for (i = 0; i < c->nnetworks; i++)
        if ((c->networks[i].family != 4 && c->networks[i].family != 6) ||
            c->networks[i].prefix > (c->networks[i].family == 4 ? 32u : 128u))
            abort();
    for (i = 0; i < c->nkeys; i++)
        if (c->keys[i].domain == NULL || c->keys[i].selector == NULL || c->keys[i].key == NULL)
            abort();
    (void)ink_milter_internal(c, "192.0.2.1");
    (void)ink_milter_internal(c, "2001:db8::1");
    ink_milter_config_free(c);
    ink_str_free(&err);
    return 0;
}
