/*
 * fuzz_report_arf.c - libFuzzer target for the failure report fields
 * (RFC 5965 / RFC 6591): whatever parses has the three required fields,
 * every value within INK_ARF_VALUE_MAX, and redacts without losing them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/arf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ink_arf a;
    char why[128];
    size_t off = 0;

    if (ink_arf_parse(data, size, &a, why, sizeof(why), &off) == 0) {
        if (a.feedback_type == NULL || a.user_agent == NULL || a.version == NULL ||
            strlen(a.user_agent) > INK_ARF_VALUE_MAX || a.nreported_domain > INK_ARF_DOMAINS_MAX)
            abort();
        if (ink_arf_redact(&a) == 0 && a.feedback_type == NULL)
            abort();
    } else if (why[0] == '\0' || off > size + INK_ARF_PART_MAX) {
        abort();
    }
    ink_arf_clear(&a);
    return 0;
}
