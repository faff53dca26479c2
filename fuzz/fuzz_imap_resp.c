/*
 * fuzz_imap_resp.c - libFuzzer target for the parsers of an IMAP server's
 * untagged answers (inkan/report_imap.h): UID SEARCH and CAPABILITY.  The
 * bytes are the answer.  Promises: no crash, no read past the input; a
 * refused answer returns nothing and says where; an accepted one lists
 * only 32-bit nz-numbers, at most INK_IMAP_MESSAGES_MAX of them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/report_imap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ink_str err = INK_STR_INIT;
    uint64_t *uids = NULL;
    size_t n = 0, i;

    if (ink_imap_search_parse(data, size, &uids, &n, &err) == 0) {
        if (n > INK_IMAP_MESSAGES_MAX || (n == 0) != (uids == NULL))
            abort();
        for (i = 0; i < n; i++)
            if (uids[i] == 0 || uids[i] > UINT32_MAX)
                abort();
    } else if (uids != NULL || n != 0 || err.len == 0) {
        abort();
    }
    free(uids);
    ink_str_free(&err);
    (void)ink_imap_capability_has(data, size, "CAPABILITY", "MOVE");
    return 0;
}
