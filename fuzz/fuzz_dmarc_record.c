/*
 * fuzz_dmarc_record.c - libFuzzer target for the DMARC record parser,
 * lint and serializer: whatever parses must serialize, and the serialized
 * text must parse again without errors.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/dmarc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ink_dmarc_record *r, *r2;
    struct ink_str s = INK_STR_INIT;
    uint8_t *copy;

    /* an exact-size copy so that ASan catches any read past len */
    copy = malloc(size ? size : 1);
    if (copy == NULL)
        return 0;
    if (size)
        memcpy(copy, data, size);
    (void)ink_dmarc_is_record(copy, size);
    r = ink_dmarc_record_parse(copy, size);
    if (r != NULL) {
        ink_dmarc_record_lint(r, "example.com");
        (void)ink_dmarc_record_usable(r);
        if (r->is_dmarc && ink_dmarc_record_serialize(r, INK_DMARC_SER_OBSOLETE, &s) == 0) {
            r2 = ink_dmarc_record_parse((const uint8_t *)s.buf, s.len);
            if (r2 != NULL) {
                if (!r2->is_dmarc || r2->p != r->p || r2->sp != r->sp || r2->nrua != r->nrua ||
                    r2->fo != r->fo)
                    abort();
                ink_dmarc_record_free(r2);
            }
        }
        ink_dmarc_record_free(r);
    }
    ink_str_free(&s);
    free(copy);
    return 0;
}
