/*
 * fuzz_platforms.c - libFuzzer target for the sending-platform map parser
 * (YAML, inkan/report.h).  Checks its promise (a map or an error naming
 * line:column, never both, never neither) and, for a map that parses,
 * that matching names made from the input neither crashes nor reads past
 * what it was given.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/report.h"
#include "inkan/str.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ink_str err = INK_STR_INIT;
    struct ink_platforms *m = ink_platforms_parse(data, size, &err);
    char *name;
    const char *p;

    if (m == NULL) {
        if (err.len == 0) /* refused without a reason */
            abort();
        ink_str_free(&err);
        return 0;
    }
    if (err.len != 0) /* a map and an error */
        abort();
    /* the input itself as a name, a DKIM list and an SPF list */
    name = malloc(size + 1);
    if (name != NULL) {
        memcpy(name, data, size);
        name[size] = '\0';
        p = ink_platforms_match(m, name, name, name);
        if (p != NULL && p[0] == '\0')
            abort();
        free(name);
    }
    (void)ink_platforms_match(m, "mail.example.net", "example.com/s1 mail.example.net",
                              "bounce.example-esp.test");
    ink_platforms_free(m);
    ink_str_free(&err);
    return 0;
}
