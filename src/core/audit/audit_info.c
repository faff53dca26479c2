/*
 * audit_info.c - the audit's informational records: MTA-STS (RFC 8461),
 * TLS-RPT (RFC 8460) and BIMI, each present or not (information only),
 * and the one conclusion that needs DMARC: a BIMI record under a policy
 * that is not enforced shows no logo.
 */
#include <stdlib.h>
#include <string.h>

#include "audit_int.h"

/* The informational records looked up, by index (info_answer's i). */
static const struct {
    const char *area;
    const char *prefix;   /* prepended to the domain */
    const char *version;  /* what the TXT must start with */
    const char *present_code, *absent_code;
    const char *absent_msg; /* followed by the domain */
    int is_bimi;            /* its presence asks for an enforced DMARC policy */
} info_records[] = {
    {"mta-sts", "_mta-sts.", "v=STSv1", "mta-sts-present", "mta-sts-absent",
     "no MTA-STS policy: senders cannot be told to require TLS for mail to ", 0},
    {"tls-rpt", "_smtp._tls.", "v=TLSRPTv1", "tls-rpt-present", "tls-rpt-absent",
     "no TLS-RPT record: nobody receives reports of TLS failures for mail to ", 0},
    {"bimi", "default._bimi.", "v=BIMI1", "bimi-present", "bimi-absent",
     "no BIMI record: mailbox providers show no brand logo for ", 1},
};
#define NINFO (sizeof(info_records) / sizeof(info_records[0]))

/* info_answer - the TXT at informational record i */
static void info_answer(struct ink_audit *a, size_t i, size_t unused_k,
                        const struct ink_dns_answer *ans)
{
    struct ink_str owner = INK_STR_INIT;
    size_t k, vlen = strlen(info_records[i].version);
    int found = 0;

    (void)unused_k;
    ink_str_printf(&owner, "%s%s", info_records[i].prefix, a->domain);
    for (k = 0; ans->status == INK_DNS_OK && k < ans->nrr; k++) {
        size_t len;
        uint8_t *t;

        if (ans->rr[k].type != INK_DNS_TXT)
            continue;
        t = ink_dns_rr_txt_join(&ans->rr[k], &len);
        if (t == NULL)
            continue;
        if (len >= vlen && memcmp(t, info_records[i].version, vlen) == 0) {
            found = 1;
            audit_record(a, info_records[i].area, ink_str_cstr(&owner), "TXT", t, len);
        }
        free(t);
    }
    if (found) {
        audit_finding(a, INK_SEV_INFO, info_records[i].area, info_records[i].present_code,
                      ink_str_cstr(&owner), NULL, "%s record published at %s",
                      info_records[i].version, ink_str_cstr(&owner));
        if (info_records[i].is_bimi)
            a->bimi_present = 1;
    } else if (audit_is_temp(ans)) {
        audit_finding(a, INK_SEV_INFO, info_records[i].area, "temperror",
                      ink_str_cstr(&owner), NULL, "could not look up %s (temporary DNS error)",
                      ink_str_cstr(&owner));
    } else {
        audit_finding(a, INK_SEV_INFO, info_records[i].area, info_records[i].absent_code,
                      ink_str_cstr(&owner), NULL, "%s%s", info_records[i].absent_msg, a->domain);
    }
    ink_str_free(&owner);
}

/* info_start - one TXT query per informational record */
static int info_start(struct ink_audit *a)
{
    struct ink_str s = INK_STR_INIT;
    size_t i;

    for (i = 0; i < NINFO; i++) {
        ink_str_truncate(&s, 0);
        if (ink_str_printf(&s, "%s%s", info_records[i].prefix, a->domain) == 0 &&
            s.len <= INK_DNS_NAME_MAX)
            audit_ask(a, s.buf, INK_DNS_TXT, info_answer, i, 0);
    }
    ink_str_free(&s);
    return a->nomem ? -1 : 0;
}

/* info_finish - BIMI needs an enforced DMARC policy */
static void info_finish(struct ink_audit *a)
{
    if (a->bimi_present && a->dmarc_done &&
        (a->dmarc_policy == INK_DMARC_P_UNSET || a->dmarc_policy == INK_DMARC_P_NONE ||
         a->dmarc_testing))
        audit_finding(a, INK_SEV_WARNING, "bimi", "bimi-needs-enforcement", a->domain, NULL,
                      "a BIMI record is published but the DMARC policy of %s is not enforced "
                      "(quarantine or reject, without t=y): mailbox providers will not show "
                      "the logo",
                      a->domain);
}

const struct audit_area audit_area_info = {"info", info_start, info_finish, NULL};
