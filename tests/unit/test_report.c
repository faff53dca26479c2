/*
 * test_report.c - the streaming DMARC aggregate report parser: RFC 7489,
 * the 0.1 draft and RFC 9990 reports, every leniency (noted) and refusal
 * (reason and offset), hostile XML (entities, XXE, invalid UTF-8), the
 * limits, and chunked input giving the same result as one buffer.
 * Fixtures are the XML files in tests/data/reports (INKAN_SRC).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>

#include "inkan/dns.h"
#include "inkan/report.h"

/* What the callbacks saw. */
struct seen {
    int metas;
    char org[128], id[128], domain[128], p[32];
    long long begin, end;
    char adkim, aspf;
    int pct;
    enum ink_report_format format;
    size_t records;
    unsigned long long messages;
    char first_ip[64], last_ip[64], first_disp[32], first_dkim[32], first_spf[32];
    char first_hfrom[128], first_selector[64];
    size_t first_ndkim, first_nspf, first_nreason;
    int stop_at_meta;
    size_t stop_at_record; /* 0 = never */
};

static int on_meta(void *ctx, const struct ink_report_meta *m)
{
    struct seen *s = ctx;

    s->metas++;
    snprintf(s->org, sizeof(s->org), "%s", m->org_name);
    snprintf(s->id, sizeof(s->id), "%s", m->report_id);
    snprintf(s->domain, sizeof(s->domain), "%s", m->domain);
    snprintf(s->p, sizeof(s->p), "%s", m->p ? m->p : "(null)");
    s->begin = m->begin;
    s->end = m->end;
    s->adkim = m->adkim;
    s->aspf = m->aspf;
    s->pct = m->pct;
    s->format = m->format;
    return s->stop_at_meta;
}

static int on_record(void *ctx, const struct ink_report_record *r)
{
    struct seen *s = ctx;

    if (s->records == 0) {
        snprintf(s->first_ip, sizeof(s->first_ip), "%s", r->source_ip);
        snprintf(s->first_disp, sizeof(s->first_disp), "%s", r->disposition ? r->disposition : "");
        snprintf(s->first_dkim, sizeof(s->first_dkim), "%s", r->dkim ? r->dkim : "");
        snprintf(s->first_spf, sizeof(s->first_spf), "%s", r->spf ? r->spf : "");
        snprintf(s->first_hfrom, sizeof(s->first_hfrom), "%s", r->header_from ? r->header_from : "");
        snprintf(s->first_selector, sizeof(s->first_selector), "%s",
                 r->ndkim && r->dkim_auth[0].selector ? r->dkim_auth[0].selector : "");
        s->first_ndkim = r->ndkim;
        s->first_nspf = r->nspf;
        s->first_nreason = r->nreason;
    }
    snprintf(s->last_ip, sizeof(s->last_ip), "%s", r->source_ip);
    s->records++;
    s->messages += r->count;
    return s->stop_at_record && s->records == s->stop_at_record;
}

static const struct ink_report_callbacks cbs = {on_meta, on_record};

/* slurp - a fixture's bytes (caller frees) */
static uint8_t *slurp(const char *name, size_t *len)
{
    const char *src = getenv("INKAN_SRC");
    char path[4096];
    FILE *fp;
    uint8_t *buf;
    long n;

    snprintf(path, sizeof(path), "%s/tests/data/reports/%s", src ? src : ".", name);
    fp = fopen(path, "rb");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    n = ftell(fp);
    assert_true(n >= 0);
    rewind(fp);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    *len = (size_t)n;
    return buf;
}

/* run - parse buf fed in chunks of step bytes (0: one piece); returns
 * the parser (caller frees) and the finish result in *rc */
static struct ink_report_parser *run(const uint8_t *buf, size_t len, size_t step,
                                     const struct ink_report_limits *lim, struct seen *s, int *rc)
{
    struct ink_report_parser *p = ink_report_new(lim, &cbs, s);
    size_t off = 0;

    assert_non_null(p);
    *rc = 0;
    if (step == 0)
        step = len ? len : 1;
    while (off < len && *rc == 0) {
        size_t n = len - off < step ? len - off : step;
        *rc = ink_report_feed(p, buf + off, n);
        off += n;
    }
    if (*rc == 0)
        *rc = ink_report_finish(p);
    return p;
}

static struct ink_report_parser *run_file(const char *name, size_t step, struct seen *s, int *rc)
{
    size_t len;
    uint8_t *buf = slurp(name, &len);
    struct ink_report_parser *p = run(buf, len, step, NULL, s, rc);

    free(buf);
    return p;
}

static struct ink_report_parser *run_str(const char *xml, const struct ink_report_limits *lim,
                                         struct seen *s, int *rc)
{
    return run((const uint8_t *)xml, strlen(xml), 0, lim, s, rc);
}

static void test_rfc7489(void **state)
{
    struct seen s = {0};
    int rc;
    struct ink_report_parser *p = run_file("rfc7489-google.xml", 0, &s, &rc);

    (void)state;
    assert_int_equal(rc, 0);
    assert_int_equal(ink_report_error(p), INK_REPORT_OK);
    assert_int_equal(s.metas, 1);
    assert_int_equal(s.format, INK_REPORT_FORMAT_RFC7489);
    assert_string_equal(s.org, "mail.example-provider.test");
    assert_string_equal(s.id, "4812930581239012345");
    assert_string_equal(s.domain, "example.org");
    assert_int_equal(s.begin, 1764547200);
    assert_int_equal(s.end, 1764633599);
    assert_int_equal(s.pct, 100);
    assert_int_equal(s.records, 2);
    assert_int_equal(s.messages, 47);
    assert_string_equal(s.first_ip, "192.0.2.10");
    assert_string_equal(s.last_ip, "2001:db8::25"); /* canonical form */
    assert_string_equal(s.first_dkim, "pass");
    assert_string_equal(s.first_selector, "s1");
    assert_int_equal(s.first_ndkim, 1);
    assert_int_equal(s.first_nspf, 1);
    assert_int_equal(ink_report_note_count(p, INK_REPORT_NOTE_UPPER_CASE, NULL), 0);
    assert_int_equal(ink_report_note_count(p, INK_REPORT_NOTE_LONG_RANGE, NULL), 0);
    ink_report_free(p);
}

static void test_rfc9990(void **state)
{
    struct seen s = {0};
    int rc;
    struct ink_report_parser *p = run_file("rfc9990-sample.xml", 0, &s, &rc);

    (void)state;
    assert_int_equal(rc, 0);
    assert_int_equal(s.format, INK_REPORT_FORMAT_RFC9990);
    assert_string_equal(s.id, "r2-20261201-example.org");
    assert_int_equal(s.records, 2);
    assert_int_equal(s.messages, 15);
    assert_int_equal(s.adkim, 'r'); /* absent: relaxed */
    assert_int_equal(s.pct, -1);
    assert_int_equal(ink_report_note_count(p, INK_REPORT_NOTE_UNKNOWN_NAMESPACE, NULL), 0);
    assert_int_equal(ink_report_note_count(p, INK_REPORT_NOTE_UNKNOWN_ELEMENT, NULL), 0);
    ink_report_free(p);
}

/* the draft's own sample in ../shared/specs (not copied here) */
static void test_rfc9990_spec_sample(void **state)
{
    const char *shared = getenv("INKAN_SHARED");
    char path[4096];
    FILE *fp;
    uint8_t buf[65536];
    size_t n;
    struct seen s = {0};
    int rc;
    struct ink_report_parser *p;

    (void)state;
    snprintf(path, sizeof(path), "%s/specs/dmarc-xml-0.2.xml", shared ? shared : "../shared");
    fp = fopen(path, "rb");
    if (fp == NULL) {
        print_message("skipped: %s not found\n", path);
        skip();
    }
    n = fread(buf, 1, sizeof(buf), fp);
    fclose(fp);
    p = run(buf, n, 7, NULL, &s, &rc);
    assert_int_equal(rc, 0);
    assert_int_equal(s.format, INK_REPORT_FORMAT_RFC9990);
    assert_string_equal(s.org, "Sample Reporter");
    assert_string_equal(s.first_disp, "pass");
    assert_int_equal(s.records, 1);
    assert_int_equal(s.messages, 123);
    ink_report_free(p);
}

static void test_sloppy_noted(void **state)
{
    struct seen s = {0};
    int rc;
    size_t off = 0;
    struct ink_report_parser *p = run_file("sloppy.xml", 0, &s, &rc);

    (void)state;
    assert_int_equal(rc, 0);
    assert_int_equal(s.format, INK_REPORT_FORMAT_DRAFT01);
    assert_string_equal(s.org, "Sloppy Reporter");
    assert_string_equal(s.id, "sloppy-1");
    assert_string_equal(s.domain, "example.org");
    assert_string_equal(s.p, "none");
    assert_string_equal(s.first_ip, "203.0.113.5");
    assert_string_equal(s.first_disp, "none");
    assert_string_equal(s.first_dkim, "fail");
    assert_string_equal(s.first_spf, "pass");
    assert_string_equal(s.first_hfrom, "example.org");
    assert_true(ink_report_note_count(p, INK_REPORT_NOTE_UPPER_CASE, &off) >= 4);
    assert_true(off > 0);
    assert_true(ink_report_note_count(p, INK_REPORT_NOTE_WHITESPACE, NULL) >= 3);
    assert_int_equal(ink_report_note_count(p, INK_REPORT_NOTE_LONG_RANGE, NULL), 1);
    assert_true(ink_report_note_count(p, INK_REPORT_NOTE_MISSING_OPTIONAL, NULL) >= 1);
    assert_int_equal(ink_report_note_count(p, INK_REPORT_NOTE_UNKNOWN_ELEMENT, NULL), 1);
    ink_report_free(p);
}

#define META(id, org, range)                                                                   \
    "<report_metadata>" org id range "</report_metadata>"
#define ORG "<org_name>R</org_name>"
#define RID "<report_id>x1</report_id>"
#define RANGE "<date_range><begin>100</begin><end>200</end></date_range>"
#define POLICY "<policy_published><domain>example.org</domain><p>none</p></policy_published>"
#define REC(ip) "<record><row><source_ip>" ip "</source_ip><count>1</count></row></record>"

static void test_unknown_namespace(void **state)
{
    struct seen s = {0};
    int rc;
    struct ink_report_parser *p =
        run_str("<feedback xmlns='urn:example:other'>" META(RID, ORG, RANGE) POLICY
                REC("192.0.2.1") "</feedback>",
                NULL, &s, &rc);

    (void)state;
    assert_int_equal(rc, 0);
    assert_int_equal(s.format, INK_REPORT_FORMAT_UNKNOWN);
    assert_int_equal(ink_report_note_count(p, INK_REPORT_NOTE_UNKNOWN_NAMESPACE, NULL), 1);
    assert_int_equal(s.records, 1);
    ink_report_free(p);
}

/* expect_refusal - parse xml; it must be refused with e and a message
 * containing want */
static void expect_refusal(const char *xml, const struct ink_report_limits *lim,
                           enum ink_report_error e, const char *want, size_t *offset)
{
    struct seen s = {0};
    int rc;
    struct ink_report_parser *p = run_str(xml, lim, &s, &rc);

    assert_int_equal(rc, -1);
    if (ink_report_error(p) != e || strstr(ink_report_error_message(p), want) == NULL)
        fail_msg("error %d '%s', wanted %d '%s'", (int)ink_report_error(p),
                 ink_report_error_message(p), (int)e, want);
    if (offset)
        *offset = ink_report_error_offset(p);
    ink_report_free(p);
}

static void test_refusals(void **state)
{
    size_t off;

    (void)state;
    expect_refusal("<feedback>" META("", ORG, RANGE) POLICY REC("192.0.2.1") "</feedback>", NULL,
                   INK_REPORT_E_MISSING, "no report_id", NULL);
    expect_refusal("<feedback>" META(RID, "", RANGE) POLICY "</feedback>", NULL,
                   INK_REPORT_E_MISSING, "no org_name", NULL);
    expect_refusal("<feedback>" META(RID, ORG, "") POLICY "</feedback>", NULL,
                   INK_REPORT_E_MISSING, "no date_range", NULL);
    expect_refusal("<feedback>" META(RID, ORG, RANGE) "</feedback>", NULL, INK_REPORT_E_MISSING,
                   "no domain", NULL);
    expect_refusal("<feedback>" POLICY REC("192.0.2.1") "</feedback>", NULL, INK_REPORT_E_MISSING,
                   "no <report_metadata>", NULL);
    expect_refusal("<feedback>" META(RID, ORG,
                                     "<date_range><begin>300</begin><end>200</end></date_range>")
                       POLICY "</feedback>",
                   NULL, INK_REPORT_E_INVALID, "before it begins", NULL);
    expect_refusal("<feedback>" META(RID, ORG,
                                     "<date_range><begin>yesterday</begin><end>200</end></date_range>")
                       POLICY "</feedback>",
                   NULL, INK_REPORT_E_INVALID, "begin 'yesterday'", NULL);
    expect_refusal("<feedback>" META(RID, ORG, RANGE) POLICY REC("999.1.1.1") "</feedback>", NULL,
                   INK_REPORT_E_INVALID, "not an IP address", NULL);
    expect_refusal("<feedback>" META(RID, ORG, RANGE) POLICY
                   "<record><row><source_ip>192.0.2.1</source_ip><count>-3</count></row></record>"
                   "</feedback>",
                   NULL, INK_REPORT_E_INVALID, "count '-3'", NULL);
    expect_refusal("<feedback>" META(RID, ORG, RANGE) POLICY
                   "<record><row><count>3</count></row></record></feedback>",
                   NULL, INK_REPORT_E_MISSING, "no row/source_ip", NULL);
    expect_refusal("<html><body/></html>", NULL, INK_REPORT_E_NOT_REPORT, "not <feedback>", NULL);
    expect_refusal("", NULL, INK_REPORT_E_XML, "empty input", NULL);
    /* truncated: the offset is where the input stopped */
    expect_refusal("<feedback>" META(RID, ORG, RANGE), NULL, INK_REPORT_E_XML, "", &off);
    /* a mismatched tag: refused at its byte offset, with line and column */
    expect_refusal("<feedback>\n<report_metadata></feedback>", NULL, INK_REPORT_E_XML, "line 2",
                   &off);
    assert_true(off >= 11 && off <= 40);
}

static void test_fixture_refusals(void **state)
{
    static const struct {
        const char *file;
        enum ink_report_error e;
        const char *want;
    } cases[] = {
        {"no-report-id.xml", INK_REPORT_E_MISSING, "no report_id"},
        {"billion-laughs.xml", INK_REPORT_E_DTD, "document type declaration"},
        {"xxe.xml", INK_REPORT_E_DTD, "document type declaration"},
        {"invalid-utf8.xml", INK_REPORT_E_XML, "UTF-8"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct seen s = {0};
        int rc;
        struct ink_report_parser *p = run_file(cases[i].file, 0, &s, &rc);
        assert_int_equal(rc, -1);
        if (ink_report_error(p) != cases[i].e ||
            strstr(ink_report_error_message(p), cases[i].want) == NULL)
            fail_msg("%s: error %d '%s'", cases[i].file, (int)ink_report_error(p),
                     ink_report_error_message(p));
        /* nothing of /etc/passwd or of the expansion reached the caller */
        assert_int_equal(s.metas, 0);
        assert_null(strstr(ink_report_error_message(p), "root:"));
        ink_report_free(p);
    }
}

/* an undeclared entity without a DTD is not expanded to anything */
static void test_undeclared_entity(void **state)
{
    (void)state;
    expect_refusal("<feedback><report_metadata><org_name>&xxe;</org_name></report_metadata>"
                   "</feedback>",
                   NULL, INK_REPORT_E_XML, "xxe", NULL);
}

static void test_limits(void **state)
{
    struct ink_report_limits lim = {0};
    struct seen s = {0};
    int rc;
    struct ink_report_parser *p;
    const char *two = "<feedback>" META(RID, ORG, RANGE) POLICY REC("192.0.2.1")
        REC("192.0.2.2") REC("192.0.2.3") "</feedback>";

    (void)state;
    lim.records_max = 2;
    expect_refusal(two, &lim, INK_REPORT_E_LIMIT, "more than 2 records", NULL);
    lim.records_max = 3;
    p = run_str(two, &lim, &s, &rc);
    assert_int_equal(rc, 0);
    assert_int_equal(s.records, 3);
    ink_report_free(p);

    memset(&lim, 0, sizeof(lim));
    lim.depth_max = 4;
    expect_refusal("<feedback><a><b><c><d/></c></b></a></feedback>", &lim, INK_REPORT_E_LIMIT,
                   "deeper than 4", NULL);
    lim.depth_max = 0;
    lim.field_max = 4;
    expect_refusal("<feedback><report_metadata><org_name>ABCDE</org_name></report_metadata>"
                   "</feedback>",
                   &lim, INK_REPORT_E_LIMIT, "<org_name> longer than 4", NULL);
}

/* one byte at a time, 13 at a time and all at once agree */
static void test_chunked(void **state)
{
    static const size_t steps[] = {1, 13, 0};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        struct seen s = {0};
        int rc;
        struct ink_report_parser *p = run_file("rfc7489-google.xml", steps[i], &s, &rc);
        assert_int_equal(rc, 0);
        assert_int_equal(s.records, 2);
        assert_int_equal(s.messages, 47);
        assert_string_equal(s.last_ip, "2001:db8::25");
        assert_string_equal(s.first_selector, "s1");
        ink_report_free(p);
    }
}

static void test_stop(void **state)
{
    struct seen s = {0};
    int rc;
    struct ink_report_parser *p;

    (void)state;
    s.stop_at_meta = 1;
    p = run_file("rfc7489-google.xml", 0, &s, &rc);
    assert_int_equal(rc, -1);
    assert_int_equal(ink_report_error(p), INK_REPORT_E_STOPPED);
    assert_int_equal(s.records, 0);
    ink_report_free(p);
    memset(&s, 0, sizeof(s));
    s.stop_at_record = 1;
    p = run_file("rfc7489-google.xml", 0, &s, &rc);
    assert_int_equal(rc, -1);
    assert_int_equal(ink_report_error(p), INK_REPORT_E_STOPPED);
    assert_int_equal(s.records, 1);
    ink_report_free(p);
}

/* many records stream through: the callback sees each, the parser keeps
 * none (ASan would report the leak of a kept one at exit) */
static void test_many_records(void **state)
{
    static const char head[] = "<feedback>" META(RID, ORG, RANGE) POLICY;
    static const char rec[] = REC("192.0.2.77");
    struct ink_report_parser *p;
    struct seen s = {0};
    size_t i;

    (void)state;
    p = ink_report_new(NULL, &cbs, &s);
    assert_non_null(p);
    assert_int_equal(ink_report_feed(p, (const uint8_t *)head, sizeof(head) - 1), 0);
    for (i = 0; i < 20000; i++)
        assert_int_equal(ink_report_feed(p, (const uint8_t *)rec, sizeof(rec) - 1), 0);
    assert_int_equal(ink_report_feed(p, (const uint8_t *)"</feedback>", 11), 0);
    assert_int_equal(ink_report_finish(p), 0);
    assert_int_equal(s.records, 20000);
    assert_int_equal(ink_report_records(p), 20000);
    ink_report_free(p);
}

/* What test_reuse's callback checks of each record, as the parser hands it. */
struct reuse_seen {
    size_t records;
    int ok; /* every check held */
};

/* same - a and b both NULL or equal strings */
static int same(const char *a, const char *b)
{
    return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/* on_reuse_record - the three records of test_reuse, each exactly its own
 * fields: nothing left over from the record before, whose fields were
 * longer, more numerous, and in the same (reused) buffers */
static int on_reuse_record(void *ctx, const struct ink_report_record *r)
{
    struct reuse_seen *s = ctx;
    size_t i;
    int ok = 1;

    s->records++;
    if (s->records == 1) {
        ok = same(r->source_ip, "192.0.2.1") && r->count == 12 && same(r->disposition, "quarantine") &&
             same(r->header_from, "long-subdomain.example.org") &&
             same(r->envelope_from, "bounce.example.net") && r->nreason == 2 &&
             same(r->reason[1].type, "mailing_list") && same(r->reason[1].comment, "list") &&
             r->ndkim == 3 && same(r->dkim_auth[2].domain, "third.example") &&
             same(r->dkim_auth[2].selector, "sel3") && r->nspf == 2 &&
             same(r->spf_auth[1].scope, "helo");
    } else if (s->records == 2) {
        /* shorter values in the same buffers; one DKIM result, no reason,
         * no envelope_from, no disposition */
        ok = same(r->source_ip, "2001:db8::1") && r->count == 3 && r->disposition == NULL &&
             same(r->header_from, "b.example") && r->envelope_from == NULL && r->nreason == 0 &&
             r->ndkim == 1 && same(r->dkim_auth[0].domain, "b.example") &&
             r->dkim_auth[0].selector == NULL && same(r->dkim_auth[0].result, "fail") &&
             r->nspf == 0;
        /* the entries past the counts hold nothing of record 1 */
        for (i = 0; i < INK_REPORT_REASONS_MAX; i++)
            ok = ok && r->reason[i].type == NULL && r->reason[i].comment == NULL;
        for (i = 1; i < INK_REPORT_AUTH_MAX; i++)
            ok = ok && r->dkim_auth[i].domain == NULL && r->dkim_auth[i].selector == NULL;
        for (i = 0; i < INK_REPORT_AUTH_MAX; i++)
            ok = ok && r->spf_auth[i].domain == NULL && r->spf_auth[i].scope == NULL;
    } else {
        /* longer again than record 2 (the buffers grow back) */
        ok = same(r->source_ip, "198.51.100.200") && r->count == 100000 &&
             same(r->header_from, "a-much-longer-header-from-than-before.example.org") &&
             r->ndkim == 0 && r->nspf == 1 && same(r->spf_auth[0].domain, "c.example") &&
             same(r->spf_auth[0].result, "softfail") && r->dkim_auth[0].domain == NULL;
    }
    if (!ok)
        s->ok = 0;
    return 0;
}

/* record buffers are reused from record to record: a record never sees a
 * field, a repeated entry or a pointer of the one before, fed whole or
 * byte by byte */
static void test_reuse(void **state)
{
    static const char xml[] =
        "<feedback>" META(RID, ORG, RANGE) POLICY
        "<record><row><source_ip>192.0.2.1</source_ip><count>12</count><policy_evaluated>"
        "<disposition>quarantine</disposition><dkim>fail</dkim><spf>fail</spf>"
        "<reason><type>forwarded</type></reason>"
        "<reason><type>mailing_list</type><comment>list</comment></reason></policy_evaluated></row>"
        "<identifiers><header_from>long-subdomain.example.org</header_from>"
        "<envelope_from>bounce.example.net</envelope_from></identifiers><auth_results>"
        "<dkim><domain>first.example</domain><selector>sel1</selector><result>pass</result></dkim>"
        "<dkim><domain>second.example</domain><selector>sel2</selector><result>fail</result></dkim>"
        "<dkim><domain>third.example</domain><selector>sel3</selector><result>pass</result></dkim>"
        "<spf><domain>bounce.example.net</domain><scope>mfrom</scope><result>pass</result></spf>"
        "<spf><domain>helo.example.net</domain><scope>helo</scope><result>pass</result></spf>"
        "</auth_results></record>"
        "<record><row><source_ip>2001:db8::1</source_ip><count>3</count></row>"
        "<identifiers><header_from>b.example</header_from></identifiers><auth_results>"
        "<dkim><domain>b.example</domain><result>fail</result></dkim></auth_results></record>"
        "<record><row><source_ip>198.51.100.200</source_ip><count>100000</count></row>"
        "<identifiers><header_from> a-much-longer-header-from-than-before.example.org "
        "</header_from></identifiers><auth_results><spf><domain>c.example</domain>"
        "<result>softfail</result></spf></auth_results></record></feedback>";
    static const struct ink_report_callbacks cb = {NULL, on_reuse_record};
    static const size_t steps[] = {0, 1, 7};
    size_t k;

    (void)state;
    for (k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
        struct reuse_seen s = {0, 1};
        struct ink_report_parser *p = ink_report_new(NULL, &cb, &s);
        size_t off = 0, len = sizeof(xml) - 1, step = steps[k] ? steps[k] : len;

        assert_non_null(p);
        while (off < len) {
            size_t n = len - off < step ? len - off : step;
            assert_int_equal(ink_report_feed(p, (const uint8_t *)xml + off, n), 0);
            off += n;
        }
        assert_int_equal(ink_report_finish(p), 0);
        assert_int_equal(s.records, 3);
        assert_true(s.ok);
        ink_report_free(p);
    }
}

/* ink_ip_format writes IPv4 itself (the record's source_ip is formatted
 * once per record): the same text as inet_ntop for every byte value in
 * every position, and a buffer too small still gets inet_ntop's answer */
static void test_ip_format_v4(void **state)
{
    uint8_t a[4];
    char ours[INET6_ADDRSTRLEN], theirs[INET_ADDRSTRLEN], small[8];
    unsigned pos, v;

    (void)state;
    for (pos = 0; pos < 4; pos++)
        for (v = 0; v < 256; v++) {
            a[0] = 192, a[1] = 0, a[2] = 2, a[3] = 1;
            a[pos] = (uint8_t)v;
            a[(pos + 1) % 4] = (uint8_t)(255 - v);
            assert_non_null(inet_ntop(AF_INET, a, theirs, sizeof(theirs)));
            assert_string_equal(ink_ip_format(4, a, ours, sizeof(ours)), theirs);
            assert_string_equal(ink_ip_format(4, a, ours, INET_ADDRSTRLEN), theirs);
        }
    a[0] = a[1] = a[2] = a[3] = 255;
    assert_string_equal(ink_ip_format(4, a, ours, sizeof(ours)), "255.255.255.255");
    a[0] = a[1] = a[2] = a[3] = 0;
    assert_string_equal(ink_ip_format(4, a, ours, sizeof(ours)), "0.0.0.0");
    a[0] = 100, a[1] = 10, a[2] = 1, a[3] = 200;
    assert_string_equal(ink_ip_format(4, a, small, sizeof(small)), "");
}

static void test_parse_one_buffer(void **state)
{
    enum ink_report_error e;
    char msg[128];
    size_t off;
    static const char bad[] = "<feedback>" META("", ORG, RANGE) POLICY "</feedback>";

    (void)state;
    assert_int_equal(ink_report_parse((const uint8_t *)bad, sizeof(bad) - 1, NULL, NULL, NULL, &e,
                                      msg, sizeof(msg), &off),
                     -1);
    assert_int_equal(e, INK_REPORT_E_MISSING);
    assert_non_null(strstr(msg, "report_id"));
    assert_true(off > 0 && off <= sizeof(bad));
    assert_string_equal(ink_report_note_name(INK_REPORT_NOTE_UPPER_CASE), "upper-case");
    assert_string_equal(ink_report_format_name(INK_REPORT_FORMAT_RFC9990), "rfc9990");
}

/* classes, readiness and the staged rollout's steps */
static void test_advise(void **state)
{
    struct ink_report_readiness r;

    (void)state;
    assert_string_equal(ink_report_source_class(10, 10, 10, 0, 0), "aligned");
    assert_string_equal(ink_report_source_class(10, 4, 4, 0, 6), "legitimate-failing");
    assert_string_equal(ink_report_source_class(10, 7, 0, 7, 0), "forwarder");
    assert_string_equal(ink_report_source_class(10, 0, 0, 0, 0), "unknown");
    memset(&r, 0, sizeof(r));
    assert_non_null(strstr(ink_report_next_step(&r, "none", NULL), "no messages"));
    ink_report_readiness_add(&r, 100, 100, "aligned");
    ink_report_readiness_add(&r, 10, 4, "legitimate-failing");
    ink_report_readiness_add(&r, 10, 7, "forwarder");
    ink_report_readiness_add(&r, 5, 0, "unknown");
    assert_int_equal(r.messages, 125);
    assert_int_equal(r.fail_legitimate, 6);
    assert_int_equal(r.fail_forwarded, 3);
    assert_int_equal(r.fail_unknown, 5);
    assert_non_null(strstr(ink_report_next_step(&r, "none", NULL), "fix the legitimate"));
    r.fail_legitimate = 0;
    assert_non_null(strstr(ink_report_next_step(&r, "none", NULL), "p=quarantine with t=y"));
    assert_non_null(strstr(ink_report_next_step(&r, NULL, NULL), "p=quarantine with t=y"));
    assert_non_null(strstr(ink_report_next_step(&r, "quarantine", "y"), "remove t=y"));
    assert_non_null(strstr(ink_report_next_step(&r, "quarantine", "n"), "p=reject with t=y"));
    assert_non_null(strstr(ink_report_next_step(&r, "reject", "y"), "enforce p=reject"));
    assert_non_null(strstr(ink_report_next_step(&r, "reject", NULL), "enforced"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc7489),
        cmocka_unit_test(test_rfc9990),
        cmocka_unit_test(test_rfc9990_spec_sample),
        cmocka_unit_test(test_sloppy_noted),
        cmocka_unit_test(test_unknown_namespace),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_fixture_refusals),
        cmocka_unit_test(test_undeclared_entity),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_chunked),
        cmocka_unit_test(test_stop),
        cmocka_unit_test(test_many_records),
        cmocka_unit_test(test_reuse),
        cmocka_unit_test(test_ip_format_v4),
        cmocka_unit_test(test_parse_one_buffer),
        cmocka_unit_test(test_advise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
