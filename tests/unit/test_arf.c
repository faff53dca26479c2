/*
 * test_arf.c - the feedback-report part of DMARC failure reports (RFC 5965,
 * RFC 6591): fields, folding, case, repeated Reported-Domain, the three
 * required fields, malformed lines with their offset, limits, redaction.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "inkan/arf.h"

/* an RFC 6591 appendix B style part (our own values) */
static const char sample[] =
    "Feedback-Type: AUTH-FAILURE\r\n"
    "User-Agent: ExampleReporter/1.0\r\n"
    "Version: 1\r\n"
    "Original-Mail-From: <alice@sender.example.org>\r\n"
    "Original-Rcpt-To: <bob@receiver.test>\r\n"
    "Arrival-Date: Tue, 2 Dec 2025 01:00:00 +0000\r\n"
    "Source-IP: 192.0.2.33\r\n"
    "Reported-Domain: Example.ORG\r\n"
    "Reported-Domain: sender.example.org\r\n"
    "Authentication-Results: mx.receiver.test;\r\n"
    "  dkim=fail header.d=example.org;\r\n"
    "\tspf=fail smtp.mailfrom=sender.example.org\r\n"
    "Auth-Failure: DMARC\r\n"
    "DKIM-Domain: example.org\r\n"
    "DKIM-Identity: @example.org\r\n"
    "DKIM-Selector: s1\r\n"
    "X-Unknown: skipped\r\n"
    "\r\n";

static void test_fields(void **state)
{
    struct ink_arf a;
    char why[128];
    size_t off;

    (void)state;
    assert_int_equal(ink_arf_parse((const uint8_t *)sample, sizeof(sample) - 1, &a, why,
                                   sizeof(why), &off),
                     0);
    assert_string_equal(a.feedback_type, "auth-failure");
    assert_string_equal(a.user_agent, "ExampleReporter/1.0");
    assert_string_equal(a.version, "1");
    assert_string_equal(a.source_ip, "192.0.2.33");
    assert_string_equal(a.auth_failure, "dmarc");
    assert_int_equal(a.nreported_domain, 2);
    assert_string_equal(a.reported_domain[0], "example.org");
    assert_string_equal(a.reported_domain[1], "sender.example.org");
    assert_string_equal(a.authentication_results,
                        "mx.receiver.test;  dkim=fail header.d=example.org;\tspf=fail "
                        "smtp.mailfrom=sender.example.org");
    assert_string_equal(a.dkim_selector, "s1");
    assert_non_null(strstr(a.arrival_date, "2025"));
    assert_int_equal(ink_arf_redact(&a), 0);
    assert_string_equal(a.original_mail_from, "<redacted@sender.example.org>");
    assert_string_equal(a.original_rcpt_to, "<redacted@receiver.test>");
    assert_string_equal(a.dkim_identity, "redacted@example.org");
    ink_arf_clear(&a);
}

static void expect_fail(const char *part, const char *want, size_t want_off)
{
    struct ink_arf a;
    char why[160];
    size_t off = 0;

    assert_int_equal(ink_arf_parse((const uint8_t *)part, strlen(part), &a, why, sizeof(why), &off),
                     -1);
    if (strstr(why, want) == NULL)
        fail_msg("'%s', wanted '%s'", why, want);
    if (want_off != (size_t)-1)
        assert_int_equal(off, want_off);
    ink_arf_clear(&a);
}

static void test_refusals(void **state)
{
    char *big;

    (void)state;
    expect_fail("User-Agent: x\nVersion: 1\n", "no Feedback-Type", (size_t)-1);
    expect_fail("Feedback-Type: auth-failure\nVersion: 1\n", "no User-Agent", (size_t)-1);
    expect_fail("Feedback-Type: auth-failure\nUser-Agent: x\n", "no Version", (size_t)-1);
    expect_fail("Feedback-Type: auth-failure\nthis is no field\n", "not a 'Name: value'", 28);
    expect_fail(" folded first: x\n", "continuation line", 0);
    big = malloc(INK_ARF_PART_MAX + 2);
    assert_non_null(big);
    memset(big, 'a', INK_ARF_PART_MAX + 1);
    big[INK_ARF_PART_MAX + 1] = '\0';
    expect_fail(big, "longer than", (size_t)-1);
    memcpy(big, "X-Long: ", 8);
    big[INK_ARF_VALUE_MAX + 20] = '\0';
    expect_fail(big, "value longer than", 0);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
