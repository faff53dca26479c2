/*
 * fuzz_dmarc_record.c - libFuzzer target for the DMARC record parser,
 * lint and serializer (whatever parses must serialize, and the serialized
 * text must parse to the same policy), and for policy discovery fed the
 * input as the TXT answer to every query it asks (tree walk, report
 * destination checks): it must finish within its query budget.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/dmarc.h"
#include "inkan/query.h"

/* Queries one discovery may ask: the walk's 8 plus one per destination. */
#define FUZZ_DISC_QUERIES_MAX (INK_DMARC_WALK_QUERIES_MAX + INK_DMARC_REPORT_HOSTS_MAX)

/* discover - run a discovery whose every answer is one TXT record holding text */
static void discover(const uint8_t *text, size_t len)
{
    struct ink_dmarc_disc *d = ink_dmarc_disc_new("a.b.example.com", INK_DMARC_ORG_TREEWALK,
                                                  NULL, 0);
    struct ink_query q;
    int n = 0;

    if (d == NULL)
        return;
    while (ink_dmarc_disc_next(d, &q) == INK_NEXT_READY) {
        struct ink_dns_answer *a = ink_dns_answer_new(q.name, q.type, INK_DNS_OK);
        const uint8_t *strings[1] = {text};
        size_t lens[1] = {len < INK_DNS_TXT_STRING_MAX ? len : INK_DNS_TXT_STRING_MAX};

        if (a == NULL || ink_dns_answer_add_txt(a, q.name, INK_DNS_TXT, 60, 1, strings, lens) < 0) {
            ink_dns_answer_free(a);
            break;
        }
        if (ink_dmarc_disc_feed(d, q.token, a) < 0)
            abort();
        ink_dns_answer_free(a);
        if (++n > FUZZ_DISC_QUERIES_MAX)
            abort();
    }
    (void)ink_dmarc_disc_result(d);
    ink_dmarc_disc_free(d);
}

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
    discover(copy, size);
    ink_str_free(&s);
    free(copy);
    return 0;
}
