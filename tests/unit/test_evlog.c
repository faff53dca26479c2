/*
 * test_evlog.c - evaluation rows (inkan/evlog.h): the spool codec (CRC-32
 * check value, encode/decode round trip, a torn tail at every cut point
 * stops cleanly at the last whole record, a flipped byte is reported as
 * corrupt at its record's offset, bad lengths, unknown fields skipped),
 * the store's evaluation operations (a batch in one transaction, the same
 * key never twice, a period and a header From domain, DKIM results kept,
 * a listing stopped by its callback; pages newest first after a cursor
 * and the counts per domain, on PostgreSQL too when INKAN_TEST_STORE_URI
 * names an empty database) and the spool file (append, torn
 * tail cut at open, a corrupt spool moved aside, take and replay).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inkan/evlog.h"
#include "inkan/evwriter.h"
#include "inkan/store.h"

#include "tmpdir.h"

/* row - a filled row number i */
static void row(struct ink_evrow *r, unsigned i, int64_t at, const char *from)
{
    char key[32];

    ink_evrow_clear(r);
    snprintf(key, sizeof(key), "k%u", i);
    snprintf(r->key, sizeof(r->key), "%s", key);
    r->at = at;
    snprintf(r->queue_id, sizeof(r->queue_id), "Q%u", i);
    snprintf(r->message_id, sizeof(r->message_id), "<%u@x.example>", i);
    snprintf(r->source_ip, sizeof(r->source_ip), "192.0.2.%u", i % 250);
    snprintf(r->header_from, sizeof(r->header_from), "%s", from);
    snprintf(r->envelope_from, sizeof(r->envelope_from), "bounce.%s", from);
    snprintf(r->envelope_to, sizeof(r->envelope_to), "one.example two.example");
    snprintf(r->spf_result, sizeof(r->spf_result), "pass");
    snprintf(r->spf_domain, sizeof(r->spf_domain), "bounce.%s", from);
    snprintf(r->spf_scope, sizeof(r->spf_scope), "mfrom");
    r->ndkim = 2;
    snprintf(r->dkim[0].domain, sizeof(r->dkim[0].domain), "%s", from);
    snprintf(r->dkim[0].selector, sizeof(r->dkim[0].selector), "s1");
    snprintf(r->dkim[0].result, sizeof(r->dkim[0].result), "pass");
    snprintf(r->dkim[1].domain, sizeof(r->dkim[1].domain), "esp.example");
    snprintf(r->dkim[1].selector, sizeof(r->dkim[1].selector), "k2");
    snprintf(r->dkim[1].result, sizeof(r->dkim[1].result), "fail");
    r->dkim_unlisted = i % 3;
    snprintf(r->dmarc_result, sizeof(r->dmarc_result), "pass");
    snprintf(r->dmarc_spf, sizeof(r->dmarc_spf), "pass");
    snprintf(r->dmarc_dkim, sizeof(r->dmarc_dkim), "pass");
    snprintf(r->disposition, sizeof(r->disposition), "none");
    if (i % 2) {
        snprintf(r->override, sizeof(r->override), "local_policy");
        snprintf(r->override_comment, sizeof(r->override_comment), "monitor mode");
    }
    snprintf(r->policy_domain, sizeof(r->policy_domain), "%s", from);
    snprintf(r->p, sizeof(r->p), "reject");
    snprintf(r->sp, sizeof(r->sp), "quarantine");
    snprintf(r->t, sizeof(r->t), "n");
    snprintf(r->adkim, sizeof(r->adkim), "r");
    snprintf(r->aspf, sizeof(r->aspf), "s");
}

/* ---- codec ---- */

static void test_crc32(void **state)
{
    (void)state;
    /* the CRC-32/ISO-HDLC check value */
    assert_int_equal(ink_crc32(0, (const uint8_t *)"123456789", 9), 0xcbf43926u);
    assert_int_equal(ink_crc32(0, NULL, 0), 0);
    /* continuing is the same as one pass */
    assert_int_equal(ink_crc32(ink_crc32(0, (const uint8_t *)"1234", 4), (const uint8_t *)"56789", 5),
                     0xcbf43926u);
}

/* encode_n - n rows into one buffer */
static void encode_n(struct ink_str *out, unsigned n, size_t *ends)
{
    unsigned i;
    struct ink_evrow r;

    for (i = 0; i < n; i++) {
        row(&r, i, 1000 + i, "example.org");
        assert_int_equal(ink_evspool_encode(&r, out), 0);
        ends[i] = out->len;
    }
}

static void test_roundtrip(void **state)
{
    struct ink_str buf = INK_STR_INIT;
    struct ink_evspool_reader rd;
    struct ink_evrow want, got;
    size_t ends[3];
    unsigned i;

    (void)state;
    encode_n(&buf, 3, ends);
    ink_evspool_reader_init(&rd, (const uint8_t *)buf.buf, buf.len);
    for (i = 0; i < 3; i++) {
        assert_int_equal(ink_evspool_next(&rd, &got), INK_EVSPOOL_RECORD);
        row(&want, i, 1000 + i, "example.org");
        assert_memory_equal(&want, &got, sizeof(want));
        assert_int_equal(rd.off, ends[i]);
    }
    assert_int_equal(ink_evspool_next(&rd, &got), INK_EVSPOOL_END);
    assert_int_equal(ink_evspool_next(&rd, &got), INK_EVSPOOL_END);
    assert_string_equal(ink_evspool_status_name(INK_EVSPOOL_TORN), "torn");
    ink_str_free(&buf);
}

/* A row with no text at all but its key and time survives too. */
static void test_minimal_row(void **state)
{
    struct ink_str buf = INK_STR_INIT;
    struct ink_evspool_reader rd;
    struct ink_evrow r, got;

    (void)state;
    ink_evrow_clear(&r);
    snprintf(r.key, sizeof(r.key), "only");
    r.at = -5;
    assert_int_equal(ink_evspool_encode(&r, &buf), 0);
    ink_evspool_reader_init(&rd, (const uint8_t *)buf.buf, buf.len);
    assert_int_equal(ink_evspool_next(&rd, &got), INK_EVSPOOL_RECORD);
    assert_memory_equal(&r, &got, sizeof(r));
    ink_str_free(&buf);
}

/* Cut the spool at every byte: whole records before the cut are read, the
 * rest is a torn tail at the offset where the cut record starts. */
static void test_torn_everywhere(void **state)
{
    struct ink_str buf = INK_STR_INIT;
    struct ink_evspool_reader rd;
    struct ink_evrow got;
    size_t ends[3], cut;

    (void)state;
    encode_n(&buf, 3, ends);
    for (cut = 0; cut < buf.len; cut++) {
        size_t whole = 0, start = 0;
        enum ink_evspool_status st;

        while (whole < 3 && ends[whole] <= cut)
            start = ends[whole++];
        ink_evspool_reader_init(&rd, (const uint8_t *)buf.buf, cut);
        while ((st = ink_evspool_next(&rd, &got)) == INK_EVSPOOL_RECORD)
            whole--;
        assert_int_equal(whole, 0);
        assert_int_equal(rd.off, start);
        assert_int_equal(st, cut == start ? INK_EVSPOOL_END : INK_EVSPOOL_TORN);
    }
    ink_str_free(&buf);
}

/* A flipped byte anywhere in the second record: the first is read, the
 * second is corrupt at its own offset, and the reader stays there. */
static void test_corrupt(void **state)
{
    struct ink_str buf = INK_STR_INIT;
    struct ink_evspool_reader rd;
    struct ink_evrow got;
    size_t ends[3], at;

    (void)state;
    encode_n(&buf, 3, ends);
    for (at = ends[0] + 4; at < ends[1]; at++) {
        buf.buf[at] ^= 0x40;
        ink_evspool_reader_init(&rd, (const uint8_t *)buf.buf, buf.len);
        assert_int_equal(ink_evspool_next(&rd, &got), INK_EVSPOOL_RECORD);
        assert_int_equal(ink_evspool_next(&rd, &got), INK_EVSPOOL_CORRUPT);
        assert_int_equal(rd.off, ends[0]);
        assert_non_null(rd.why);
        assert_int_equal(ink_evspool_next(&rd, &got), INK_EVSPOOL_CORRUPT);
        buf.buf[at] ^= 0x40;
    }
    /* a length past the limit, and zero (a zero-filled tail) */
    buf.buf[ends[0]] = 0x7f;
    ink_evspool_reader_init(&rd, (const uint8_t *)buf.buf, buf.len);
    assert_int_equal(ink_evspool_next(&rd, &got), INK_EVSPOOL_RECORD);
    assert_int_equal(ink_evspool_next(&rd, &got), INK_EVSPOOL_CORRUPT);
    assert_string_equal(rd.why, "record length out of range");
    memset(buf.buf + ends[0], 0, 8);
    ink_evspool_reader_init(&rd, (const uint8_t *)buf.buf, buf.len);
    assert_int_equal(ink_evspool_next(&rd, &got), INK_EVSPOOL_RECORD);
    assert_int_equal(ink_evspool_next(&rd, &got), INK_EVSPOOL_CORRUPT);
    assert_int_equal(rd.off, ends[0]);
    ink_str_free(&buf);
}

/* put_record - a record around a hand-made payload */
static void put_record(struct ink_str *out, const uint8_t *p, size_t n)
{
    uint32_t crc = ink_crc32(0, p, n);
    uint8_t h[8] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n,
                    (uint8_t)(crc >> 24), (uint8_t)(crc >> 16), (uint8_t)(crc >> 8), (uint8_t)crc};

    assert_int_equal(ink_str_append(out, h, 8), 0);
    assert_int_equal(ink_str_append(out, p, n), 0);
}

/* Payloads with a good checksum but bad content are corrupt (with the
 * field's offset); a field of an unknown tag is skipped. */
static void test_payloads(void **state)
{
    /* version, key "k", at 8 bytes, unknown tag 200 "zz" */
    static const uint8_t ok[] = {1, 1, 0, 1, 'k', 2, 0, 8, 0, 0, 0, 0, 0, 0, 0, 9,
                                 200, 0, 2, 'z', 'z'};
    static const uint8_t nokey[] = {1, 2, 0, 8, 0, 0, 0, 0, 0, 0, 0, 9};
    static const uint8_t noat[] = {1, 1, 0, 1, 'k'};
    static const uint8_t badver[] = {9, 1, 0, 1, 'k'};
    static const uint8_t past[] = {1, 1, 0, 9, 'k'};
    static const uint8_t shortat[] = {1, 1, 0, 1, 'k', 2, 0, 4, 0, 0, 0, 9};
    static const uint8_t nul[] = {1, 1, 0, 2, 'k', 0, 2, 0, 8, 0, 0, 0, 0, 0, 0, 0, 9};
    static const uint8_t baddkim[] = {1, 1, 0, 1, 'k', 2, 0, 8, 0, 0, 0, 0, 0, 0, 0, 9,
                                      12, 0, 3, 5, 'a', 'b'};
    static const struct {
        const uint8_t *p;
        size_t n;
        size_t field;   /* offset of the field at fault in the payload */
    } bad[] = {
        {nokey, sizeof(nokey), 0}, {noat, sizeof(noat), 0},     {badver, sizeof(badver), 0},
        {past, sizeof(past), 1},   {shortat, sizeof(shortat), 5}, {nul, sizeof(nul), 1},
        {baddkim, sizeof(baddkim), 16},
    };
    struct ink_str buf = INK_STR_INIT;
    struct ink_evspool_reader rd;
    struct ink_evrow got;
    size_t i;

    (void)state;
    put_record(&buf, ok, sizeof(ok));
    ink_evspool_reader_init(&rd, (const uint8_t *)buf.buf, buf.len);
    assert_int_equal(ink_evspool_next(&rd, &got), INK_EVSPOOL_RECORD);
    assert_string_equal(got.key, "k");
    assert_int_equal(got.at, 9);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ink_str_truncate(&buf, 0);
        put_record(&buf, bad[i].p, bad[i].n);
        ink_evspool_reader_init(&rd, (const uint8_t *)buf.buf, buf.len);
        assert_int_equal(ink_evspool_next(&rd, &got), INK_EVSPOOL_CORRUPT);
        assert_int_equal(rd.off, 0);
        assert_int_equal(rd.why_off, INK_EVSPOOL_HEADER + bad[i].field);
    }
    ink_str_free(&buf);
}

static void test_set(void **state)
{
    char f[6];

    (void)state;
    ink_evrow_set(f, sizeof(f), "ab\x01" "cdef", 7);
    assert_string_equal(f, "ab?cd");
    ink_evrow_set(f, sizeof(f), "x\0yz", 4);
    assert_string_equal(f, "x");
    ink_evrow_set(f, sizeof(f), NULL, 3);
    assert_string_equal(f, "");
}

/* ---- store ---- */

struct collected {
    struct ink_evrow rows[64];
    size_t n;
    size_t stop_after; /* 0: never */
};

static int collect(void *arg, const struct ink_evrow *r)
{
    struct collected *c = arg;

    assert_true(c->n < 64);
    c->rows[c->n++] = *r;
    return c->stop_after != 0 && c->n == c->stop_after ? 7 : 0;
}

static void test_store_ops(void **state)
{
    char *path = test_tmp_path("ev.db");
    struct ink_str err = INK_STR_INIT;
    struct ink_store *s = ink_store_sqlite_open(path, &err);
    struct ink_evrow rows[10], want;
    struct collected *c = calloc(1, sizeof(*c));
    size_t added = 99, i;

    (void)state;
    assert_non_null(s);
    assert_non_null(c);
    for (i = 0; i < 10; i++)
        row(&rows[i], (unsigned)i, 100 + (int64_t)i * 10, i % 2 ? "b.example" : "a.example");
    assert_int_equal(ink_store_evaluations_add(s, rows, 0, &added, &err), 0);
    assert_int_equal(added, 0);
    assert_int_equal(ink_store_evaluations_add(s, rows, 6, &added, &err), 0);
    assert_int_equal(added, 6);
    /* again with more: only the new ones; a key twice in one batch once */
    rows[9] = rows[8];
    assert_int_equal(ink_store_evaluations_add(s, rows, 10, &added, &err), 0);
    assert_int_equal(added, 3);
    assert_int_equal(ink_store_evaluations_list(s, 0, INT64_MAX, NULL, collect, c, &err), 0);
    assert_int_equal(c->n, 9);
    for (i = 0; i < 9; i++) {
        row(&want, (unsigned)i, 100 + (int64_t)i * 10, i % 2 ? "b.example" : "a.example");
        assert_memory_equal(&want, &c->rows[i], sizeof(want));
    }
    /* the period [begin, end), and one header From domain */
    c->n = 0;
    assert_int_equal(ink_store_evaluations_list(s, 120, 150, NULL, collect, c, &err), 0);
    assert_int_equal(c->n, 3);
    assert_int_equal(c->rows[0].at, 120);
    assert_int_equal(c->rows[2].at, 140);
    c->n = 0;
    assert_int_equal(ink_store_evaluations_list(s, 0, INT64_MAX, "b.example", collect, c, &err), 0);
    assert_int_equal(c->n, 4);
    for (i = 0; i < c->n; i++)
        assert_string_equal(c->rows[i].header_from, "b.example");
    c->n = 0;
    assert_int_equal(ink_store_evaluations_list(s, 0, INT64_MAX, "nobody.example", collect, c, &err), 0);
    assert_int_equal(c->n, 0);
    /* the callback stops the listing; its value comes back */
    c->stop_after = 2;
    assert_int_equal(ink_store_evaluations_list(s, 0, INT64_MAX, NULL, collect, c, &err), 7);
    assert_int_equal(c->n, 2);
    /* too many at once is refused, and nothing is added */
    {
        struct ink_evrow *many = calloc(INK_STORE_EVROWS_MAX + 1, sizeof(*many));

        assert_non_null(many);
        assert_int_equal(ink_store_evaluations_add(s, many, INK_STORE_EVROWS_MAX + 1, &added, &err), -1);
        free(many);
    }
    ink_store_free(s);
    /* reopened (read-only too): the rows are there */
    s = ink_store_sqlite_open_readonly(path, &err);
    assert_non_null(s);
    c->n = 0;
    c->stop_after = 0;
    assert_int_equal(ink_store_evaluations_list(s, 0, INT64_MAX, NULL, collect, c, &err), 0);
    assert_int_equal(c->n, 9);
    ink_store_free(s);
    ink_str_free(&err);
    free(c);
    free(path);
}

/* ---- pages (newest first, after a cursor) and the summary ---- */

struct paged {
    char keys[64][INK_EVROW_KEY_MAX];
    int64_t ids[64], at[64];
    size_t n, stop_after; /* 0: never */
};

static int collect_id(void *arg, int64_t id, const struct ink_evrow *r)
{
    struct paged *p = arg;

    assert_true(p->n < 64);
    snprintf(p->keys[p->n], sizeof(p->keys[0]), "%s", r->key);
    p->ids[p->n] = id;
    p->at[p->n] = r->at;
    p->n++;
    assert_int_equal(r->ndkim, 2); /* each row whole, with its DKIM results */
    return p->stop_after != 0 && p->n == p->stop_after ? 5 : 0;
}

/* page_keys - the keys of one page, space-separated, into out */
static void page_keys(struct ink_store *s, struct ink_store_evpage *q, struct paged *p,
                      char *out, size_t outsz)
{
    struct ink_str err = INK_STR_INIT;
    size_t i, len = 0;

    p->n = 0;
    if (ink_store_evaluations_page(s, q, collect_id, p, &err) != 0)
        fail_msg("%s", ink_str_cstr(&err));
    out[0] = '\0';
    for (i = 0; i < p->n; i++)
        len += (size_t)snprintf(out + len, outsz - len, "%s%s", i ? " " : "", p->keys[i]);
    ink_str_free(&err);
}

struct counted {
    char text[512];
    size_t len;
};

static int count_fn(void *arg, const struct ink_store_evcount *c)
{
    struct counted *k = arg;

    k->len += (size_t)snprintf(k->text + k->len, sizeof(k->text) - k->len, "%s%s/%s/%s=%lld",
                               k->len ? " " : "", c->domain, c->dmarc, c->disposition,
                               (long long)c->n);
    return 0;
}

/* page_ops - pages and counts over one backend's empty store s */
static void page_ops(struct ink_store *s)
{
    static const int64_t at[8] = {100, 110, 120, 120, 130, 140, 140, 150};
    struct ink_str err = INK_STR_INIT;
    struct ink_evrow rows[8];
    struct ink_store_evpage q;
    struct paged *p = calloc(1, sizeof(*p));
    struct counted k;
    char got[256];
    size_t i, added;

    assert_non_null(p);
    for (i = 0; i < 8; i++) {
        row(&rows[i], (unsigned)i, at[i], i % 3 == 2 ? "b.example" : "a.example");
        if (i == 5)
            snprintf(rows[i].dmarc_result, sizeof(rows[i].dmarc_result), "fail");
        if (i == 5)
            snprintf(rows[i].disposition, sizeof(rows[i].disposition), "reject");
        if (i == 7) /* no DMARC result, no disposition, no Author Domain */
            rows[i].dmarc_result[0] = rows[i].disposition[0] = rows[i].header_from[0] = '\0';
    }
    assert_int_equal(ink_store_evaluations_add(s, rows, 8, &added, &err), 0);
    assert_int_equal(added, 8);
    memset(&q, 0, sizeof(q));
    q.end = INT64_MAX;
    q.limit = 100;
    page_keys(s, &q, p, got, sizeof(got));
    /* newest first; of one second, the row stored later first */
    assert_string_equal(got, "k7 k6 k5 k4 k3 k2 k1 k0");
    for (i = 1; i < p->n; i++)
        assert_true(p->at[i] < p->at[i - 1] || (p->at[i] == p->at[i - 1] && p->ids[i] < p->ids[i - 1]));
    /* pages of 3 after the last row's (time, id) */
    q.limit = 3;
    page_keys(s, &q, p, got, sizeof(got));
    assert_string_equal(got, "k7 k6 k5");
    q.has_cursor = 1;
    q.after_at = p->at[2];
    q.after_id = p->ids[2];
    page_keys(s, &q, p, got, sizeof(got));
    assert_string_equal(got, "k4 k3 k2"); /* k3 and k2 share 120: the cursor splits nothing */
    q.after_at = p->at[1]; /* between the two rows of 120 */
    q.after_id = p->ids[1];
    page_keys(s, &q, p, got, sizeof(got));
    assert_string_equal(got, "k2 k1 k0");
    q.after_at = p->at[2];
    q.after_id = p->ids[2];
    page_keys(s, &q, p, got, sizeof(got));
    assert_string_equal(got, "");
    /* the period and the domain */
    memset(&q, 0, sizeof(q));
    q.begin = 110;
    q.end = 140;
    q.limit = 100;
    page_keys(s, &q, p, got, sizeof(got));
    assert_string_equal(got, "k4 k3 k2 k1");
    q.begin = 0;
    q.end = INT64_MAX;
    q.domain = "b.example";
    page_keys(s, &q, p, got, sizeof(got));
    assert_string_equal(got, "k5 k2");
    /* the callback stops the page; its value comes back */
    q.domain = NULL;
    p->n = 0;
    p->stop_after = 2;
    assert_int_equal(ink_store_evaluations_page(s, &q, collect_id, p, &err), 5);
    assert_int_equal(p->n, 2);
    p->stop_after = 0;
    /* a page of no rows is a caller's error */
    q.limit = 0;
    assert_int_equal(ink_store_evaluations_page(s, &q, collect_id, p, &err), -1);
    /* counts per domain, DMARC result and disposition */
    memset(&k, 0, sizeof(k));
    assert_int_equal(ink_store_evaluations_summary(s, 0, INT64_MAX, NULL, count_fn, &k, &err), 0);
    assert_string_equal(k.text, "//=1 a.example/pass/none=5 b.example/fail/reject=1 b.example/pass/none=1");
    memset(&k, 0, sizeof(k));
    assert_int_equal(ink_store_evaluations_summary(s, 120, 150, "b.example", count_fn, &k, &err), 0);
    assert_string_equal(k.text, "b.example/fail/reject=1 b.example/pass/none=1");
    memset(&k, 0, sizeof(k));
    assert_int_equal(ink_store_evaluations_summary(s, 0, 100, NULL, count_fn, &k, &err), 0);
    assert_string_equal(k.text, "");
    ink_str_free(&err);
    free(p);
}

static void test_store_page(void **state)
{
    char *path = test_tmp_path("page.db");
    struct ink_str err = INK_STR_INIT;
    struct ink_store *s = ink_store_sqlite_open(path, &err);

    (void)state;
    assert_non_null(s);
    page_ops(s);
    ink_store_free(s);
    ink_str_free(&err);
    free(path);
}

/* the same on PostgreSQL, when INKAN_TEST_STORE_URI names an empty
 * database (tests/cli/store-pg.sh runs this program so) */
static void test_store_page_pg(void **state)
{
    const char *uri = getenv("INKAN_TEST_STORE_URI");
    struct ink_str err = INK_STR_INIT;
    struct ink_store *s;

    (void)state;
    if (uri == NULL || uri[0] == '\0')
        skip();
    s = ink_store_open(uri, 0, &err);
    if (s == NULL)
        fail_msg("%s", ink_str_cstr(&err));
    page_ops(s);
    ink_store_free(s);
    ink_str_free(&err);
}

/* ---- the spool file ---- */

/* file_size - bytes of path */
static off_t file_size(const char *path)
{
    struct stat st;

    assert_int_equal(stat(path, &st), 0);
    return st.st_size;
}

static void test_spool_file(void **state)
{
    char *sp_path = test_tmp_path("spool"), *db = test_tmp_path("spool.db"), *note = NULL, *taken = NULL;
    struct ink_str err = INK_STR_INIT, enc = INK_STR_INIT;
    struct ink_evspool *sp;
    struct ink_evrow rows[4];
    struct ink_store *s;
    struct ink_evspool_stats stats;
    size_t i;
    int fd;

    (void)state;
    for (i = 0; i < 4; i++)
        row(&rows[i], (unsigned)(50 + i), 500 + (int64_t)i, "a.example");
    sp = ink_evspool_open(sp_path, &note, &err);
    assert_non_null(sp);
    assert_null(note);
    /* a second writer is refused */
    assert_null(ink_evspool_open(sp_path, &note, &err));
    assert_non_null(strstr(ink_str_cstr(&err), "in use"));
    assert_int_equal(ink_evspool_append(sp, rows, 3, &err), 0);
    assert_int_equal(ink_evspool_size(sp), (uint64_t)file_size(sp_path));
    ink_evspool_close(sp);
    /* a torn tail (half of the fourth record) is cut at open */
    assert_int_equal(ink_evspool_encode(&rows[3], &enc), 0);
    fd = open(sp_path, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, enc.buf, enc.len / 2), (ssize_t)(enc.len / 2));
    close(fd);
    s = ink_store_sqlite_open(db, &err);
    assert_non_null(s);
    assert_int_equal(ink_evspool_replay_file(sp_path, s, &stats, &err), 0);
    assert_int_equal(stats.records, 3);
    assert_int_equal(stats.added, 3);
    assert_true(stats.torn);
    sp = ink_evspool_open(sp_path, &note, &err);
    assert_non_null(sp);
    assert_int_equal(file_size(sp_path), (off_t)stats.end);
    assert_int_equal(ink_evspool_append(sp, &rows[3], 1, &err), 0);
    /* replayed again: only the new row is added */
    assert_int_equal(ink_evspool_replay_file(sp_path, s, &stats, &err), 0);
    assert_int_equal(stats.records, 4);
    assert_int_equal(stats.added, 1);
    assert_false(stats.torn);
    /* take: the file goes to PATH.replay, a new one starts empty */
    assert_int_equal(ink_evspool_take(sp, &taken, &err), 0);
    assert_non_null(taken);
    assert_non_null(strstr(taken, ".replay"));
    assert_int_equal(ink_evspool_size(sp), 0);
    assert_int_equal(file_size(sp_path), 0);
    assert_int_equal(file_size(taken), (off_t)stats.end);
    /* a PATH.replay left over is handed back first */
    {
        char *again = NULL;

        assert_int_equal(ink_evspool_take(sp, &again, &err), 0);
        assert_string_equal(again, taken);
        free(again);
    }
    assert_int_equal(unlink(taken), 0);
    free(taken);
    taken = NULL;
    assert_int_equal(ink_evspool_take(sp, &taken, &err), 0);
    assert_null(taken); /* nothing to take */
    ink_evspool_close(sp);

    /* a corrupt record: replay names its offset; open moves the file aside */
    fd = open(sp_path, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    ink_str_truncate(&enc, 0);
    assert_int_equal(ink_evspool_encode(&rows[0], &enc), 0);
    i = enc.len;
    assert_int_equal(ink_evspool_encode(&rows[1], &enc), 0);
    enc.buf[i + 12] ^= 1;
    assert_int_equal(write(fd, enc.buf, enc.len), (ssize_t)enc.len);
    close(fd);
    ink_str_truncate(&err, 0);
    assert_int_equal(ink_evspool_replay_file(sp_path, s, &stats, &err), -1);
    assert_non_null(strstr(ink_str_cstr(&err), "corrupt record at byte"));
    assert_int_equal(stats.end, i);
    sp = ink_evspool_open(sp_path, &note, &err);
    assert_non_null(sp);
    assert_non_null(note);
    assert_non_null(strstr(note, ".corrupt-"));
    assert_int_equal(file_size(note), (off_t)enc.len);
    assert_int_equal(file_size(sp_path), 0);
    free(note);
    ink_evspool_close(sp);
    /* a missing file */
    assert_int_equal(ink_evspool_replay_file("/nonexistent/spool", s, &stats, &err), -1);
    ink_store_free(s);
    ink_str_free(&enc);
    ink_str_free(&err);
    free(sp_path);
    free(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_minimal_row),
        cmocka_unit_test(test_torn_everywhere),
        cmocka_unit_test(test_corrupt),
        cmocka_unit_test(test_payloads),
        cmocka_unit_test(test_set),
        cmocka_unit_test(test_store_ops),
        cmocka_unit_test(test_store_page),
        cmocka_unit_test(test_store_page_pg),
        cmocka_unit_test(test_spool_file),
    };

    return cmocka_run_group_tests(tests, NULL, test_tmpdir_cleanup);
}
