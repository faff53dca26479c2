/*
 * report_advise.c - enforcement readiness from a domain's sources: how
 * many failing messages enforcing the policy would hit, by kind of
 * source, and the staged rollout's next step (p=none, then quarantine
 * with t=y, then quarantine, then reject).
 */
#include "inkan/report.h"

#include <string.h>

/* ink_report_readiness_add - count one source's failing messages */
void ink_report_readiness_add(struct ink_report_readiness *r, uint64_t messages,
                              uint64_t dmarc_pass, const char *cls)
{
    uint64_t fail = messages > dmarc_pass ? messages - dmarc_pass : 0;

    r->messages += messages;
    if (cls == NULL || strcmp(cls, "aligned") == 0)
        return; /* aligned: every message passed (ink_report_source_class) */
    if (strcmp(cls, "legitimate-failing") == 0)
        r->fail_legitimate += fail;
    else if (strcmp(cls, "forwarder") == 0)
        r->fail_forwarded += fail;
    else
        r->fail_unknown += fail;
}

/* ink_report_next_step - the next step of the rollout */
const char *ink_report_next_step(const struct ink_report_readiness *r, const char *p,
                                 const char *testing)
{
    int test = testing != NULL && strcmp(testing, "y") == 0;

    if (r->messages == 0)
        return "no messages reported yet: keep p=none and collect reports";
    if (r->fail_legitimate > 0)
        return "fix the legitimate failing sources listed (align their SPF or DKIM with the "
               "domain) before tightening the policy";
    if (p == NULL || strcmp(p, "none") == 0)
        return "publish p=quarantine with t=y (test mode), then watch the reports";
    if (strcmp(p, "quarantine") == 0 && test)
        return "remove t=y: enforce p=quarantine";
    if (strcmp(p, "quarantine") == 0)
        return "publish p=reject with t=y, then without it";
    if (strcmp(p, "reject") == 0 && test)
        return "remove t=y: enforce p=reject";
    return "enforced (p=reject): keep watching the reports for new senders";
}
