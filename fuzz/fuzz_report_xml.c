/*
 * fuzz_report_xml.c - libFuzzer target for the streaming DMARC aggregate
 * report parser: the input is parsed once whole and once pushed in chunks
 * whose sizes come from its first byte; both must agree on accept/refuse,
 * the record count and the messages, and every string the callbacks see
 * must be NUL-terminated within the field limit.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/report.h"

struct tally {
    size_t metas, records;
    uint64_t messages;
};

/* check_str - a string handed out fits the field limit */
static void check_str(const char *s)
{
    if (s != NULL && strlen(s) > INK_REPORT_FIELD_MAX)
        abort();
}

static int on_meta(void *ctx, const struct ink_report_meta *m)
{
    struct tally *t = ctx;

    if (m->org_name == NULL || m->report_id == NULL || m->domain == NULL || m->end < m->begin)
        abort();
    check_str(m->org_name);
    check_str(m->report_id);
    check_str(m->domain);
    t->metas++;
    return 0;
}

static int on_record(void *ctx, const struct ink_report_record *r)
{
    struct tally *t = ctx;
    size_t i;

    if (t->metas != 1 || r->source_ip == NULL || r->ndkim > INK_REPORT_AUTH_MAX ||
        r->nspf > INK_REPORT_AUTH_MAX || r->nreason > INK_REPORT_REASONS_MAX)
        abort();
    check_str(r->header_from);
    for (i = 0; i < r->ndkim; i++)
        check_str(r->dkim_auth[i].domain);
    t->records++;
    t->messages += r->count;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct ink_report_callbacks cb = {on_meta, on_record};
    struct ink_report_limits lim = {0};
    struct tally a = {0}, b = {0};
    struct ink_report_parser *p;
    size_t step, off = 0;
    int ra, rb = 0;

    lim.records_max = 64; /* reach the limit's path too */
    ra = ink_report_parse(data, size, &lim, &cb, &a, NULL, NULL, 0, NULL);
    step = size ? (size_t)(data[0] % 31) + 1 : 1;
    p = ink_report_new(&lim, &cb, &b);
    if (p == NULL)
        return 0;
    while (off < size && rb == 0) {
        size_t n = size - off < step ? size - off : step;
        rb = ink_report_feed(p, data + off, n);
        off += n;
    }
    if (rb == 0)
        rb = ink_report_finish(p);
    if (ra != rb || (ra == 0 && (a.records != b.records || a.messages != b.messages ||
                                 a.metas != 1 || b.metas != 1)))
        abort();
    if (rb != 0 && ink_report_error_message(p)[0] == '\0')
        abort();
    ink_report_free(p);
    return 0;
}
