/*
 * fuzz_dkim_key.c - libFuzzer target for the DKIM key-record parser
 * (RFC 6376 section 3.6.1, RFC 8463) and the zone-file line that
 * publishes a record.  Checks the parser's promises (a result is always
 * returned; OK means a usable key; offsets stay inside the input) and a
 * round trip: the record written as a zone-file line, read back by the
 * zone-file parser and joined, is the same bytes and parses the same way.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/dkim_key.h"
#include "inkan/dns.h"
#include "inkan/memzone.h"
#include "inkan/zonefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OWNER "sel._domainkey.example.com"

/* check_key - invariants of one parse result of an input of size bytes */
static void check_key(const struct ink_dkim_key *k, size_t size)
{
    size_t i;

    if (ink_dkim_key_status_name(k->status) == NULL || ink_dkim_keytype_name(k->type) == NULL)
        abort();
    if (k->status == INK_DKIM_KEY_OK) {
        if (k->pkey == NULL || k->type == INK_DKIM_KEY_UNKNOWN || k->bits == 0 ||
            k->data == NULL || k->data_len == 0)
            abort();
        if (k->type == INK_DKIM_KEY_ED25519 && k->data_len != INK_DKIM_ED25519_KEY_LEN)
            abort();
    } else {
        if (k->pkey != NULL || k->reason[0] == '\0' || k->reason_off > size)
            abort();
    }
    if (k->status == INK_DKIM_KEY_REVOKED && k->data_len != 0)
        abort();
    if (memchr(k->reason, '\0', sizeof k->reason) == NULL || k->nwarn > INK_DKIM_KEY_WARN_MAX)
        abort();
    for (i = 0; i < k->nwarn; i++)
        if (k->warn[i].off > size || memchr(k->warn[i].msg, '\0', sizeof k->warn[i].msg) == NULL)
            abort();
}

/* round_trip - publish data as a zone-file line, read it back, compare */
static void round_trip(const uint8_t *data, size_t size, const struct ink_dkim_key *k)
{
    struct ink_str line = INK_STR_INIT, err = INK_STR_INIT;
    struct ink_memzone *z;
    struct ink_dns_answer *a;
    struct ink_dkim_key *k2;
    uint8_t *joined;
    size_t jlen = 0;

    if (ink_dkim_txt_zone_line(OWNER, 300, data, size, &line) != 0)
        goto out_str; /* ENOMEM only */
    z = ink_memzone_new();
    if (z == NULL)
        goto out_str;
    if (ink_zonefile_parse((const uint8_t *)line.buf, line.len, "fuzz", NULL, z, &err) != 1)
        abort(); /* the line we wrote must be one valid record */
    a = ink_memzone_lookup(z, OWNER, INK_DNS_TXT);
    if (a == NULL)
        goto out_zone;
    if (a->status != INK_DNS_OK || a->nrr != 1)
        abort();
    joined = ink_dns_rr_txt_join(&a->rr[0], &jlen);
    if (joined != NULL) {
        if (jlen != size || (size && memcmp(joined, data, size) != 0))
            abort();
        k2 = ink_dkim_key_parse(joined, jlen);
        if (k2 != NULL) {
            if (k2->status != k->status || k2->type != k->type || k2->bits != k->bits ||
                k2->flags != k->flags || k2->hashes != k->hashes ||
                strcmp(k2->reason, k->reason) != 0)
                abort();
            ink_dkim_key_free(k2);
        }
        free(joined);
    }
    ink_dns_answer_free(a);
out_zone:
    ink_memzone_free(z);
out_str:
    ink_str_free(&line);
    ink_str_free(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ink_dkim_key *k;
    uint8_t *copy;

    /* an exact-size copy so that ASan catches any read past len */
    copy = malloc(size ? size : 1);
    if (copy == NULL)
        return 0;
    if (size)
        memcpy(copy, data, size);
    k = ink_dkim_key_parse(copy, size);
    if (k != NULL) {
        check_key(k, size);
        /* TXT RDATA holds at most 65535 bytes; records are far smaller */
        if (size <= INK_DKIM_KEY_RECORD_MAX)
            round_trip(copy, size, k);
        ink_dkim_key_free(k);
    }
    ink_dkim_key_free(NULL);
    free(copy);
    return 0;
}
