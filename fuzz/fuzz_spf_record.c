/*
 * fuzz_spf_record.c - libFuzzer target for the SPF record parser: any
 * bytes must parse without a crash or an over-read (the input is copied to
 * an exact-size heap buffer so ASan sees any read past its end), the
 * canonical text of a record without errors must parse again without
 * errors into the same terms, and the record selector must agree with
 * the parser's version check.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/spf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size ? size : 1);
    struct ink_spf_record *r, *r2;
    struct ink_str out = INK_STR_INIT;
    size_t i, n, len;

    if (buf == NULL)
        return 0;
    memcpy(buf, data, size);
    r = ink_spf_record_parse(buf, size);
    if (r == NULL) {
        free(buf);
        return 0;
    }
    n = ink_spf_record_nterms(r);
    (void)ink_spf_record_text(r, &len);
    for (i = 0; i < n; i++) {
        const struct ink_spf_term *t = ink_spf_record_term(r, i);
        /* spans lie inside the record text */
        if (t->text.off + t->text.len > len || t->arg.off + t->arg.len > len ||
            t->name.off + t->name.len > len)
            abort();
        (void)ink_spf_kind_name(t->kind);
    }
    for (i = 0; i < ink_spf_record_nerrors(r); i++) {
        const struct ink_spf_diag *d = ink_spf_record_error(r, i);
        if (d->off + d->len > len || d->reason == NULL)
            abort();
    }
    if (ink_spf_record_format(r, &out) < 0)
        abort();
    if (ink_spf_record_nerrors(r) == 0) {
        r2 = ink_spf_record_parse((const uint8_t *)out.buf, out.len);
        if (r2 == NULL || ink_spf_record_nerrors(r2) != 0 || ink_spf_record_nterms(r2) != n)
            abort();
        for (i = 0; i < n; i++) {
            const struct ink_spf_term *a = ink_spf_record_term(r, i), *b = ink_spf_record_term(r2, i);
            if (a->kind != b->kind || a->qual != b->qual || a->cidr4 != b->cidr4 ||
                a->cidr6 != b->cidr6 || memcmp(a->addr, b->addr, 16) != 0)
                abort();
        }
        ink_spf_record_free(r2);
        /* a record that parses cleanly starts with the version */
        if (!ink_spf_record_is_spf(buf, size))
            abort();
    }
    ink_str_free(&out);
    ink_spf_record_free(r);
    free(buf);
    return 0;
}
