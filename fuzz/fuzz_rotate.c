/*
 * fuzz_rotate.c - libFuzzer target for the DKIM key rotation's selector
 * format (ink_rotate_selector) and what is built from its result: the
 * first 8 bytes are the time (cut to year 9999), the rest up to a NUL the
 * format.  A selector it accepts must pass the selector check again, be
 * a rotation key, and give zone lines at every phase.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/dkim_key.h"
#include "inkan/rotate.h"

/* Longest format tried (a command-line argument in real use). */
#define FUZZ_FMT_MAX 4096
/* Largest time tried: 9999-12-31. */
#define FUZZ_TIME_MAX 253402300799LL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char fmt[FUZZ_FMT_MAX + 1], out[INK_ROTATE_SELECTOR_MAX + 1];
    uint64_t t = 0;
    size_t i, n, erroff;
    const char *why;
    int len, phase;

    if (size < 8)
        return 0;
    for (i = 0; i < 8; i++)
        t = t << 8 | data[i];
    data += 8;
    size -= 8;
    n = size < FUZZ_FMT_MAX ? size : FUZZ_FMT_MAX;
    memcpy(fmt, data, n);
    fmt[n] = '\0';
    len = ink_rotate_selector(fmt, (int64_t)(t % (FUZZ_TIME_MAX + 1)), "ed25519", (t & 1) != 0,
                              out, sizeof(out), &why, &erroff);
    if (len < 0) {
        if (why == NULL || erroff > strlen(fmt))
            abort();
        return 0;
    }
    if ((size_t)len != strlen(out) || ink_dkim_selector_check(out, (size_t)len, &erroff, &why) < 0)
        abort();
    for (phase = INK_ROT_PUBLISH_NEW; phase <= INK_ROT_DONE; phase++) {
        struct ink_rotation *r = ink_rotation_new("example.com", 0);
        struct ink_str z = INK_STR_INIT;

        if (r == NULL)
            return 0;
        if (ink_rotation_add_key(r, 1, out, "ed25519", "v=DKIM1; k=ed25519; p=", NULL) < 0 ||
            ink_rotation_add_key(r, 0, out, NULL, NULL, NULL) < 0)
            abort();
        r->phase = (enum ink_rot_phase)phase;
        (void)ink_rotation_zone_lines(r, &z);
        ink_str_free(&z);
        ink_rotation_free(r);
    }
    return 0;
}
