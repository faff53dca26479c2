/*
 * fuzz_report_gen.c - libFuzzer target for the aggregate report builder
 * (inkan/report_gen.h): the input's lines are a row's fields (source,
 * disposition, results, identifiers, a DKIM and an SPF result, a reason
 * and its comment: any bytes).  A row the builder takes must give a report
 * our own parser accepts with the same records and messages (escaping
 * never breaks the XML); one it refuses must say why.  The whole input is
 * also a report file name: what parses must name itself again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/report.h"
#include "inkan/report_gen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Fields one input supplies. */
#define FZ_FIELDS 14

struct tally {
    size_t records;
    uint64_t messages;
};

static int on_meta(void *ctx, const struct ink_report_meta *m)
{
    (void)ctx;
    (void)m;
    return 0;
}

static int on_record(void *ctx, const struct ink_report_record *r)
{
    struct tally *t = ctx;

    t->records++;
    t->messages += r->count;
    return 0;
}

/* names - the file name parser: what parses builds the same parts again */
static void names(const uint8_t *data, size_t size)
{
    char rcv[256], dom[256], rcv2[256], dom2[256];
    int64_t b, e, b2, e2;
    int gz, gz2;
    struct ink_str s = INK_STR_INIT;

    if (ink_agg_filename_parse((const char *)data, size, rcv, dom, sizeof(rcv), &b, &e, &gz) == 0) {
        if (ink_agg_filename(rcv, dom, b, e, NULL, gz, &s) == 0 &&
            (ink_agg_filename_parse(s.buf, s.len, rcv2, dom2, sizeof(rcv2), &b2, &e2, &gz2) != 0 ||
             strcmp(rcv, rcv2) != 0 || strcmp(dom, dom2) != 0 || b != b2 || e != e2 || gz != gz2))
            abort();
    }
    ink_str_free(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct ink_report_callbacks cb = {on_meta, on_record};
    static const struct ink_agg_meta meta = {
        .org_name = "fuzz", .email = "f@fuzz.example", .report_id = "1.fuzz@fuzz.example",
        .begin = 0, .end = 86399, .domain = "fuzz.example", .p = "none",
    };
    char *f[FZ_FIELDS] = {NULL};
    char *copy = malloc(size + 1);
    struct ink_agg *a = ink_agg_new();
    struct ink_str xml = INK_STR_INIT, err = INK_STR_INIT;
    struct ink_agg_dkim dk;
    struct ink_agg_reason rs;
    struct ink_agg_row r;
    struct tally t = {0, 0};
    size_t i, n = 0, start = 0;

    names(data, size);
    if (copy == NULL || a == NULL)
        abort();
    memcpy(copy, data, size);
    copy[size] = '\0';
    for (i = 0; i <= size && n < FZ_FIELDS; i++)
        if (i == size || copy[i] == '\n') {
            copy[i] = '\0';
            f[n++] = copy + start;
            start = i + 1;
        }
    memset(&r, 0, sizeof(r));
    r.source_ip = f[0] ? f[0] : "192.0.2.1";
    r.disposition = f[1] ? f[1] : "none";
    r.dkim = f[2] ? f[2] : "pass";
    r.spf = f[3] ? f[3] : "fail";
    r.header_from = f[4] ? f[4] : "fuzz.example";
    r.envelope_from = f[5];
    r.envelope_to = f[6];
    if (f[7] != NULL) {
        dk = (struct ink_agg_dkim){f[7], f[8] ? f[8] : "s", f[9] ? f[9] : "pass", f[10]};
        r.dkim_auth = &dk;
        r.ndkim = 1;
    }
    if (f[11] != NULL) {
        r.spf_domain = f[11];
        r.spf_result = "pass";
    }
    if (f[12] != NULL) {
        rs = (struct ink_agg_reason){f[12], f[13]};
        r.reasons = &rs;
        r.nreasons = 1;
    }
    /* twice: the second is grouped into the first's record */
    if (ink_agg_add(a, &r, &err) == 0) {
        if (ink_agg_add(a, &r, &err) != 0 || ink_agg_records(a) != 1 || ink_agg_messages(a) != 2)
            abort();
        if (ink_agg_xml(a, &meta, &xml, &err) != 0)
            abort();
        if (ink_report_parse((const uint8_t *)xml.buf, xml.len, NULL, &cb, &t, NULL, NULL, 0,
                             NULL) != 0 ||
            t.records != 1 || t.messages != 2)
            abort();
    } else if (err.len == 0 || ink_agg_records(a) != 0) {
        abort();
    }
    ink_str_free(&xml);
    ink_str_free(&err);
    ink_agg_free(a);
    free(copy);
    return 0;
}
