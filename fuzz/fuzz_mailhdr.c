/*
 * fuzz_mailhdr.c - libFuzzer target for the RFC 5322 header splitter
 * (inkan/mailhdr.h).  The first input byte picks the flags and how the
 * rest is cut into pushes; the same bytes are also pushed in one piece.
 * Both runs must agree field for field (chunking must never change the
 * result), every field must lie inside the splitter's data, and with no
 * LF normalisation the fields must be the input bytes themselves.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/mailhdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* run - split buf/len, pushing chunks of a size driven by seed (0: one
 * push).  Returns the splitter (caller frees) and the final state. */
static struct ink_mailhdr *run(const uint8_t *buf, size_t len, unsigned flags, unsigned seed,
                               enum ink_mailhdr_state *st, size_t *body_off)
{
    struct ink_mailhdr *h = ink_mailhdr_new(flags);
    size_t off = 0, used, chunk;
    unsigned x = seed;

    if (h == NULL)
        return NULL;
    *st = INK_MAILHDR_MORE;
    *body_off = len;
    while (off < len) {
        if (seed == 0) {
            chunk = len - off;
        } else {
            x = x * 1103515245u + 12345u;
            chunk = 1 + (x >> 16) % 97;
            if (chunk > len - off)
                chunk = len - off;
        }
        used = (size_t)-1;
        *st = ink_mailhdr_push(h, buf + off, chunk, &used);
        if (used > chunk)
            abort();
        if (*st == INK_MAILHDR_MORE && used != chunk)
            abort();
        off += used;
        if (*st != INK_MAILHDR_MORE) {
            *body_off = off;
            break;
        }
    }
    if (*st == INK_MAILHDR_MORE)
        *st = ink_mailhdr_end(h);
    /* once finished, it stays finished and takes nothing */
    if (len > 0) {
        enum ink_mailhdr_state again;
        used = 1;
        again = ink_mailhdr_push(h, buf, 1, &used);
        if (again != *st || used != 0)
            abort();
    }
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ink_mailhdr *a, *b;
    enum ink_mailhdr_state sa, sb;
    size_t ba, bb, i, n, total = 0;
    unsigned flags, seed;
    uint8_t *copy;

    if (size < 1)
        return 0;
    flags = (data[0] & 1) ? INK_MAILHDR_LF_TO_CRLF : 0;
    seed = (unsigned)data[0] >> 1;
    data++;
    size--;
    copy = malloc(size ? size : 1);
    if (copy == NULL)
        return 0;
    if (size)
        memcpy(copy, data, size);

    a = run(copy, size, flags, 0, &sa, &ba);
    b = run(copy, size, flags, seed | 1u, &sb, &bb);
    if (a == NULL || b == NULL)
        goto out;
    if (sa != sb || ba != bb || ink_mailhdr_count(a) != ink_mailhdr_count(b) ||
        ink_mailhdr_consumed(a) != ink_mailhdr_consumed(b) ||
        strcmp(ink_mailhdr_why(a), ink_mailhdr_why(b)) != 0 ||
        ink_mailhdr_saw_crlf(a) != ink_mailhdr_saw_crlf(b))
        abort();
    if (sa == INK_MAILHDR_ERROR && ink_mailhdr_why(a)[0] == '\0')
        abort();
    if (ink_mailhdr_consumed(a) > size)
        abort();
    n = ink_mailhdr_count(a);
    if (n > INK_MAILHDR_FIELDS_MAX)
        abort();
    for (i = 0; i < n; i++) {
        const struct ink_mailhdr_field *fa = ink_mailhdr_field(a, i);
        const struct ink_mailhdr_field *fb = ink_mailhdr_field(b, i);
        if (fa == NULL || fb == NULL)
            abort();
        if (fa->len != fb->len || memcmp(fa->raw, fb->raw, fa->len) != 0 ||
            fa->name_len != fb->name_len || fa->value_off != fb->value_off ||
            fa->msg_off != fb->msg_off || fa->malformed != fb->malformed)
            abort();
        if (fa->name_len > fa->len || fa->value_off > fa->len || fa->msg_off > size)
            abort();
        if (!fa->malformed && (fa->name_len == 0 || fa->value_off <= fa->name_len ||
                               fa->raw[fa->value_off - 1] != ':'))
            abort();
        /* without normalisation a field is the input bytes at msg_off
         * (the last one may have had its missing line ending added) */
        if (flags == 0 && fa->len > 0) {
            size_t have = size - fa->msg_off < fa->len ? size - fa->msg_off : fa->len;
            if (fa->len - have > 2 || memcmp(fa->raw, copy + fa->msg_off, have) != 0)
                abort();
        }
        if (ink_mailhdr_name_is(fa, (const char *)fa->raw, fa->name_len) != 1 && !fa->malformed)
            abort();
        total += fa->len;
    }
    if (total > INK_MAILHDR_SIZE_MAX + 2 * (size_t)INK_MAILHDR_FIELDS_MAX)
        abort();
    if (ink_mailhdr_field(a, n) != NULL)
        abort();
out:
    ink_mailhdr_free(a);
    ink_mailhdr_free(b);
    ink_mailhdr_free(NULL);
    free(copy);
    return 0;
}
