/*
 * test_report_gen.c - the aggregate report builder (inkan/report_gen.h):
 * grouping of equal rows into records with counts, escaping of hostile
 * text, an empty period, schema-invalid values refused with the field
 * named, the DKIM order and cap, the file name and Report-ID rules, the
 * message, and gzip round trips.  Reports are read back with our own
 * parser (inkan/report.h); tests/cli/report-send.sh runs xmllint --schema.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "inkan/report.h"
#include "inkan/report_gen.h"

/* What the parser saw of a generated report. */
struct seen {
    char org[256], rid[128], domain[128], p[16], extra[256];
    long long begin, end;
    size_t records;
    unsigned long long messages;
    char ip[8][64];
    unsigned long long count[8];
    char hfrom[8][128], efrom[8][128], dkim0[8][128], human0[8][256], comment0[8][256];
    size_t ndkim[8];
    int efrom_present[8];
};

static int on_meta(void *ctx, const struct ink_report_meta *m)
{
    struct seen *s = ctx;

    snprintf(s->org, sizeof(s->org), "%s", m->org_name);
    snprintf(s->rid, sizeof(s->rid), "%s", m->report_id);
    snprintf(s->domain, sizeof(s->domain), "%s", m->domain);
    snprintf(s->p, sizeof(s->p), "%s", m->p ? m->p : "");
    snprintf(s->extra, sizeof(s->extra), "%s", m->extra_contact_info ? m->extra_contact_info : "");
    assert_int_equal(m->format, INK_REPORT_FORMAT_RFC9990);
    s->begin = m->begin;
    s->end = m->end;
    return 0;
}

static int on_record(void *ctx, const struct ink_report_record *r)
{
    struct seen *s = ctx;
    size_t i = s->records++;

    s->messages += r->count;
    if (i >= 8)
        return 0;
    snprintf(s->ip[i], sizeof(s->ip[i]), "%s", r->source_ip);
    s->count[i] = r->count;
    snprintf(s->hfrom[i], sizeof(s->hfrom[i]), "%s", r->header_from ? r->header_from : "");
    s->efrom_present[i] = r->envelope_from != NULL;
    snprintf(s->efrom[i], sizeof(s->efrom[i]), "%s", r->envelope_from ? r->envelope_from : "");
    s->ndkim[i] = r->ndkim;
    if (r->ndkim > 0) {
        snprintf(s->dkim0[i], sizeof(s->dkim0[i]), "%s/%s/%s", r->dkim_auth[0].domain,
                 r->dkim_auth[0].selector, r->dkim_auth[0].result);
        snprintf(s->human0[i], sizeof(s->human0[i]), "%s",
                 r->dkim_auth[0].human_result ? r->dkim_auth[0].human_result : "");
    }
    if (r->nreason > 0)
        snprintf(s->comment0[i], sizeof(s->comment0[i]), "%s",
                 r->reason[0].comment ? r->reason[0].comment : "");
    return 0;
}

/* parse_back - the XML through the parser; 0 or the parser's -1 */
static int parse_back(const struct ink_str *xml, struct seen *s)
{
    static const struct ink_report_callbacks cb = {on_meta, on_record};
    char msg[256];
    enum ink_report_error e;
    size_t off;
    int rc;

    memset(s, 0, sizeof(*s));
    rc = ink_report_parse((const uint8_t *)xml->buf, xml->len, NULL, &cb, s, &e, msg, sizeof(msg),
                          &off);
    if (rc != 0)
        print_message("parse: %s at %zu\n", msg, off);
    return rc;
}

static const struct ink_agg_meta meta = {
    .org_name = "inkan test receiver",
    .email = "dmarc-reports@receiver.example",
    .report_id = "1796256000.example.com@receiver.example",
    .generator = "inkan test",
    .begin = 1796256000,
    .end = 1796342399,
    .domain = "example.com",
    .p = "reject",
    .sp = "quarantine",
    .adkim = "r",
    .aspf = "s",
    .discovery_method = "treewalk",
    .testing = "n",
};

/* a_row - a passing row from ip */
static struct ink_agg_row a_row(const char *ip, const struct ink_agg_dkim *dk, size_t ndk)
{
    struct ink_agg_row r = {
        .source_ip = ip,
        .count = 1,
        .disposition = "none",
        .dkim = "pass",
        .spf = "fail",
        .header_from = "example.com",
        .envelope_from = "bounce.example.net",
        .envelope_to = "receiver.example",
        .dkim_auth = dk,
        .ndkim = ndk,
        .spf_domain = "bounce.example.net",
        .spf_scope = "mfrom",
        .spf_result = "pass",
    };
    return r;
}

/* Equal rows group (DKIM order and address spelling do not matter);
 * different ones do not; counts add up. */
static void test_grouping(void **state)
{
    const struct ink_agg_dkim d1[2] = {{"example.com", "s1", "pass", NULL},
                                       {"esp.example.net", "k1", "fail", NULL}};
    const struct ink_agg_dkim d2[2] = {{"esp.example.net", "k1", "FAIL", NULL},
                                       {"Example.COM", "s1", "pass", NULL}};
    struct ink_agg *a = ink_agg_new();
    struct ink_str xml = INK_STR_INIT, err = INK_STR_INIT;
    struct ink_agg_row r;
    struct seen s;

    (void)state;
    assert_non_null(a);
    r = a_row("192.0.2.1", d1, 2);
    assert_int_equal(ink_agg_add(a, &r, &err), 0);
    r = a_row("192.0.2.1", d2, 2);
    r.count = 4;
    assert_int_equal(ink_agg_add(a, &r, &err), 0);
    r = a_row("2001:DB8:0::1", d1, 1);
    assert_int_equal(ink_agg_add(a, &r, &err), 0);
    r = a_row("2001:db8::1", d1, 1);
    assert_int_equal(ink_agg_add(a, &r, &err), 0);
    r = a_row("192.0.2.1", d1, 2);
    r.disposition = "quarantine"; /* another disposition: another record */
    assert_int_equal(ink_agg_add(a, &r, &err), 0);
    assert_int_equal(ink_agg_records(a), 3);
    assert_int_equal(ink_agg_messages(a), 8);
    assert_int_equal(ink_agg_xml(a, &meta, &xml, &err), 0);
    assert_int_equal(parse_back(&xml, &s), 0);
    assert_string_equal(s.org, "inkan test receiver");
    assert_string_equal(s.domain, "example.com");
    assert_string_equal(s.p, "reject");
    assert_int_equal(s.begin, 1796256000);
    assert_int_equal(s.records, 3);
    assert_int_equal(s.messages, 8);
    /* sorted: the same rows always give the same bytes */
    assert_string_equal(s.ip[0], "192.0.2.1");
    assert_int_equal(s.count[0], 5);
    assert_string_equal(s.dkim0[0], "example.com/s1/pass"); /* aligned pass first */
    assert_string_equal(s.ip[2], "2001:db8::1");
    assert_int_equal(s.count[2], 2);
    assert_non_null(strstr(xml.buf, "<feedback xmlns=\"urn:ietf:params:xml:ns:dmarc-2.0\">"));
    {
        struct ink_str again = INK_STR_INIT;
        assert_int_equal(ink_agg_xml(a, &meta, &again, &err), 0);
        assert_int_equal(again.len, xml.len);
        assert_memory_equal(again.buf, xml.buf, xml.len);
        ink_str_free(&again);
    }
    ink_str_free(&xml);
    ink_str_free(&err);
    ink_agg_free(a);
}

/* Markup, quotes, controls and invalid UTF-8 in every text field come
 * out as text: the report stays well-formed and the values round-trip. */
static void test_escaping(void **state)
{
    const struct ink_agg_dkim dk[1] = {
        {"example.com", "s1\"><x", "fail", "body hash <mismatch> & \"more\"\x01"}};
    const struct ink_agg_reason rs[1] = {{"local_policy", "</comment><evil/>&amp;"}};
    struct ink_agg_meta m = meta;
    struct ink_agg *a = ink_agg_new();
    struct ink_str xml = INK_STR_INIT, err = INK_STR_INIT;
    struct ink_agg_row r = a_row("192.0.2.7", dk, 1);
    struct seen s;

    (void)state;
    m.org_name = "A & B <Mail> \"Receivers\"";
    m.extra_contact_info = "bad \xff byte ]]> end";
    r.reasons = rs;
    r.nreasons = 1;
    r.envelope_from = ""; /* a null reverse-path: present and empty */
    assert_int_equal(ink_agg_add(a, &r, &err), 0);
    assert_int_equal(ink_agg_xml(a, &m, &xml, &err), 0);
    assert_non_null(strstr(xml.buf, "A &amp; B &lt;Mail&gt;"));
    assert_null(strstr(xml.buf, "<evil/>"));
    assert_null(strstr(xml.buf, "\xff"));
    assert_int_equal(parse_back(&xml, &s), 0);
    assert_string_equal(s.org, "A & B <Mail> \"Receivers\"");
    assert_string_equal(s.extra, "bad \xef\xbf\xbd byte ]]> end");
    assert_string_equal(s.dkim0[0], "example.com/s1\"><x/fail");
    assert_string_equal(s.human0[0], "body hash <mismatch> & \"more\"\xef\xbf\xbd");
    assert_string_equal(s.comment0[0], "</comment><evil/>&amp;");
    assert_int_equal(s.efrom_present[0], 1);
    assert_string_equal(s.efrom[0], "");
    ink_str_free(&xml);
    ink_str_free(&err);
    ink_agg_free(a);
}

/* An empty period has no report: the schema requires a record. */
static void test_empty_period(void **state)
{
    struct ink_agg *a = ink_agg_new();
    struct ink_str xml = INK_STR_INIT, err = INK_STR_INIT;

    (void)state;
    assert_int_equal(ink_agg_records(a), 0);
    assert_int_equal(ink_agg_xml(a, &meta, &xml, &err), -1);
    assert_non_null(strstr(ink_str_cstr(&err), "no evaluations"));
    assert_int_equal(xml.len, 0);
    ink_str_free(&err);
    ink_agg_free(a);
}

/* expect_refused - adding r fails with a message containing want */
static void expect_refused(struct ink_agg *a, const struct ink_agg_row *r, const char *want)
{
    struct ink_str err = INK_STR_INIT;

    assert_int_equal(ink_agg_add(a, r, &err), -1);
    if (strstr(ink_str_cstr(&err), want) == NULL)
        fail_msg("error '%s' lacks '%s'", ink_str_cstr(&err), want);
    ink_str_free(&err);
}

/* Values the schema does not allow are refused, naming the field. */
static void test_refusals(void **state)
{
    const struct ink_agg_dkim bad_dk[1] = {{"example.com", "s1", "maybe", NULL}};
    const struct ink_agg_reason bad_rs[1] = {{"because", NULL}};
    struct ink_agg *a = ink_agg_new();
    struct ink_agg_row r;
    struct ink_str xml = INK_STR_INIT, err = INK_STR_INIT;
    struct ink_agg_meta m = meta;

    (void)state;
    r = a_row("192.0.2.300", NULL, 0);
    expect_refused(a, &r, "source_ip '192.0.2.300'");
    r = a_row("192.0.2.1", NULL, 0);
    r.disposition = "discard";
    expect_refused(a, &r, "disposition 'discard' is not one of none, pass, quarantine, reject");
    r = a_row("192.0.2.1", NULL, 0);
    r.spf = NULL;
    expect_refused(a, &r, "policy_evaluated spf is missing");
    r = a_row("192.0.2.1", NULL, 0);
    r.header_from = "";
    expect_refused(a, &r, "header_from");
    r = a_row("192.0.2.1", bad_dk, 1);
    expect_refused(a, &r, "DKIM result 'maybe'");
    r = a_row("192.0.2.1", NULL, 0);
    r.reasons = bad_rs;
    r.nreasons = 1;
    expect_refused(a, &r, "reason type 'because'");
    r = a_row("192.0.2.1", NULL, 0);
    r.spf_result = "ok";
    expect_refused(a, &r, "SPF result 'ok'");
    assert_int_equal(ink_agg_records(a), 0);

    r = a_row("192.0.2.1", NULL, 0);
    assert_int_equal(ink_agg_add(a, &r, &err), 0);
    m.p = "monitor";
    assert_int_equal(ink_agg_xml(a, &m, &xml, &err), -1);
    assert_non_null(strstr(ink_str_cstr(&err), "p 'monitor'"));
    ink_str_truncate(&err, 0);
    m = meta;
    m.report_id = NULL;
    assert_int_equal(ink_agg_xml(a, &m, &xml, &err), -1);
    m = meta;
    m.begin = m.end + 1;
    assert_int_equal(ink_agg_xml(a, &m, &xml, &err), -1);
    assert_int_equal(xml.len, 0);
    ink_str_free(&err);
    ink_agg_free(a);
}

/* At most INK_AGG_DKIM_MAX DKIM results per record, passes first. */
static void test_dkim_cap(void **state)
{
    struct ink_agg_dkim dk[INK_AGG_DKIM_MAX + 20];
    char names[INK_AGG_DKIM_MAX + 20][32];
    struct ink_agg *a = ink_agg_new();
    struct ink_str xml = INK_STR_INIT, err = INK_STR_INIT;
    struct ink_agg_row r;
    struct seen s;
    size_t i;

    (void)state;
    for (i = 0; i < INK_AGG_DKIM_MAX + 20; i++) {
        snprintf(names[i], sizeof(names[i]), "d%03zu.example.org", i);
        dk[i] = (struct ink_agg_dkim){names[i], "s", i == 110 ? "pass" : "fail", NULL};
    }
    r = a_row("192.0.2.9", dk, INK_AGG_DKIM_MAX + 20);
    assert_int_equal(ink_agg_add(a, &r, &err), 0);
    assert_int_equal(ink_agg_xml(a, &meta, &xml, &err), 0);
    assert_int_equal(parse_back(&xml, &s), 0);
    assert_int_equal(s.ndkim[0], INK_REPORT_AUTH_MAX); /* the parser keeps 16 */
    assert_string_equal(s.dkim0[0], "d110.example.org/s/pass");
    {
        size_t n = 0;
        const char *p = xml.buf;
        while ((p = strstr(p, "<selector>")) != NULL) {
            n++;
            p++;
        }
        assert_int_equal(n, INK_AGG_DKIM_MAX);
    }
    ink_str_free(&xml);
    ink_str_free(&err);
    ink_agg_free(a);
}

/* RFC 9990 3.5.2 file names, both ways; 3.5.1 Report-IDs. */
static void test_names(void **state)
{
    struct ink_str s = INK_STR_INIT;
    char rcv[256], dom[256];
    int64_t b, e;
    int gz;

    (void)state;
    assert_int_equal(ink_agg_filename("mx.receiver.example", "example.com", 1013662812,
                                      1013749130, NULL, 1, &s),
                     0);
    assert_string_equal(ink_str_cstr(&s), "mx.receiver.example!example.com!1013662812!1013749130.xml.gz");
    assert_int_equal(ink_agg_filename_parse(s.buf, s.len, rcv, dom, sizeof(rcv), &b, &e, &gz), 0);
    assert_string_equal(rcv, "mx.receiver.example");
    assert_string_equal(dom, "example.com");
    assert_int_equal(b, 1013662812);
    assert_int_equal(e, 1013749130);
    assert_int_equal(gz, 1);
    ink_str_truncate(&s, 0);
    assert_int_equal(ink_agg_filename("r.example", "example.com", 1, 2, "abc123", 0, &s), 0);
    assert_string_equal(ink_str_cstr(&s), "r.example!example.com!1!2!abc123.xml");
    assert_int_equal(ink_agg_filename_parse(s.buf, s.len, rcv, dom, sizeof(rcv), &b, &e, &gz), 0);
    assert_int_equal(gz, 0);
    assert_int_equal(ink_agg_filename("r!x", "example.com", 1, 2, NULL, 1, &s), -1);
    assert_int_equal(ink_agg_filename("r.example", "../etc", 1, 2, NULL, 1, &s), -1);
    assert_int_equal(ink_agg_filename("r.example", "example.com", 3, 2, NULL, 1, &s), -1);
    assert_int_equal(ink_agg_filename("r.example", "example.com", 1, 2, "a-b", 1, &s), -1);
    assert_int_equal(ink_agg_filename_parse("x!y!1.xml.gz", 12, rcv, dom, sizeof(rcv), &b, &e, &gz),
                     -1);
    assert_int_equal(ink_agg_filename_parse("x!y!1!a.xml.gz", 14, rcv, dom, sizeof(rcv), &b, &e,
                                            &gz),
                     -1);
    assert_int_equal(ink_agg_filename_parse("x!y!1!2.txt", 11, rcv, dom, sizeof(rcv), &b, &e, &gz),
                     -1);
    assert_int_equal(ink_agg_report_id_ok("1796256000.example.com@receiver.example"), 1);
    assert_int_equal(ink_agg_report_id_ok("abc"), 1);
    assert_int_equal(ink_agg_report_id_ok("a..b"), 0);
    assert_int_equal(ink_agg_report_id_ok("a b@c"), 0);
    assert_int_equal(ink_agg_report_id_ok("a@b@c"), 0);
    assert_int_equal(ink_agg_report_id_ok("a>@c"), 0);
    assert_int_equal(ink_agg_report_id_ok(""), 0);
    ink_str_free(&s);
}

/* gzip: deterministic, round-trips; other bytes are refused. */
static void test_gzip(void **state)
{
    static const char text[] = "<feedback>report</feedback>\n";
    struct ink_str z1 = INK_STR_INIT, z2 = INK_STR_INIT, back = INK_STR_INIT, err = INK_STR_INIT;

    (void)state;
    assert_int_equal(ink_agg_gzip((const uint8_t *)text, strlen(text), &z1, &err), 0);
    assert_int_equal(ink_agg_gzip((const uint8_t *)text, strlen(text), &z2, &err), 0);
    assert_true(z1.len > 18);
    assert_int_equal((uint8_t)z1.buf[0], 0x1f);
    assert_int_equal((uint8_t)z1.buf[1], 0x8b);
    assert_int_equal(z1.len, z2.len);
    assert_memory_equal(z1.buf, z2.buf, z1.len);
    assert_int_equal(ink_agg_gunzip((const uint8_t *)z1.buf, z1.len, &back, &err), 0);
    assert_int_equal(back.len, strlen(text));
    assert_memory_equal(back.buf, text, back.len);
    ink_str_truncate(&back, 0);
    assert_int_equal(ink_agg_gunzip((const uint8_t *)text, strlen(text), &back, &err), -1);
    assert_int_equal(back.len, 0);
    ink_str_free(&z1);
    ink_str_free(&z2);
    ink_str_free(&back);
    ink_str_free(&err);
}

/* The message: RFC 9990 subject, Message-ID, the attachment and CRLF. */
static void test_message(void **state)
{
    static const uint8_t gz[] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    struct ink_agg_mail m = {
        .from = "dmarc-reports@receiver.example",
        .to = "rua@example.com",
        .domain = "example.com",
        .submitter = "receiver.example",
        .report_id = "1796256000.example.com@receiver.example",
        .filename = "receiver.example!example.com!1796256000!1796342399.xml.gz",
        .report = gz,
        .report_len = sizeof(gz),
        .gz = 1,
        .date = 1796342400,
    };
    struct ink_str out = INK_STR_INIT, err = INK_STR_INIT;
    const char *p;

    (void)state;
    assert_int_equal(ink_agg_message(&m, &out, &err), 0);
    p = ink_str_cstr(&out);
    assert_non_null(strstr(p, "From: dmarc-reports@receiver.example\r\n"));
    assert_non_null(strstr(p, "To: rua@example.com\r\n"));
    assert_non_null(strstr(p, "Subject: Report Domain: example.com Submitter: receiver.example"));
    assert_non_null(strstr(p, "Report-ID: <1796256000.example.com@receiver.example>"));
    assert_non_null(strstr(p, "Message-Id: <1796256000.example.com@receiver.example>\r\n"));
    assert_non_null(strstr(p, "MIME-Version: 1.0\r\n"));
    assert_non_null(strstr(p, "Content-Type: application/gzip"));
    assert_non_null(strstr(p, "receiver.example!example.com!1796256000!1796342399.xml.gz"));
    assert_non_null(strstr(p, "Content-Transfer-Encoding: base64\r\n"));
    assert_non_null(strstr(p, "H4sI")); /* the gzip magic in base64 */
    assert_null(strstr(p, "\r\r"));
    {
        /* every LF ends a CRLF */
        size_t i;
        for (i = 0; i < out.len; i++)
            if (out.buf[i] == '\n')
                assert_true(i > 0 && out.buf[i - 1] == '\r');
    }
    m.to = "rua@example.com>\r\nBcc: x@y";
    ink_str_truncate(&out, 0);
    assert_int_equal(ink_agg_message(&m, &out, &err), -1);
    m.to = "rua@example.com";
    m.report_id = "id with space";
    assert_int_equal(ink_agg_message(&m, &out, &err), -1);
    ink_str_free(&out);
    ink_str_free(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grouping),  cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_empty_period), cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_dkim_cap),  cmocka_unit_test(test_names),
        cmocka_unit_test(test_gzip),      cmocka_unit_test(test_message),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
