/*
 * fuzz_evspool.c - libFuzzer target for the evaluation spool reader
 * (inkan/evlog.h): the input is a spool file.  Every record read must
 * encode again to the very bytes it was read from (one encoding per row),
 * the reader must never move backwards or past the input, and once it
 * says end, torn or corrupt it must keep saying so.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/evlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ink_evspool_reader rd;
    struct ink_evrow *row = malloc(sizeof(*row));
    struct ink_str enc = INK_STR_INIT;
    enum ink_evspool_status st;

    if (row == NULL)
        return 0;
    ink_evspool_reader_init(&rd, data, size);
    for (;;) {
        size_t before = rd.off;

        st = ink_evspool_next(&rd, row);
        assert(rd.off <= size);
        if (st != INK_EVSPOOL_RECORD) {
            assert(rd.off == before);
            assert(ink_evspool_next(&rd, row) == st && rd.off == before);
            if (st == INK_EVSPOOL_CORRUPT)
                assert(rd.why != NULL && rd.why_off >= before && rd.why_off <= size);
            break;
        }
        assert(rd.off > before);
        /* a record with fields the encoder writes another way (an
         * unknown tag, an empty text field, fields out of order, a
         * repeated field) re-encodes differently: then the re-encoded
         * record must at least read back as the same row */
        ink_str_truncate(&enc, 0);
        assert(ink_evspool_encode(row, &enc) == 0);
        {
            struct ink_evspool_reader r2;
            struct ink_evrow *again = malloc(sizeof(*again));

            if (again != NULL) {
                ink_evspool_reader_init(&r2, (const uint8_t *)enc.buf, enc.len);
                assert(ink_evspool_next(&r2, again) == INK_EVSPOOL_RECORD);
                assert(memcmp(again, row, sizeof(*row)) == 0);
                assert(ink_evspool_next(&r2, again) == INK_EVSPOOL_END);
                free(again);
            }
        }
    }
    ink_str_free(&enc);
    free(row);
    return 0;
}
