/*
 * audit_spf.c - the audit's SPF checks.  Waiting for the SPF lint module
 * (include/inkan/spf_lint.h) and the evaluator to land: until then the
 * audit asks no SPF question and reports none.
 */
#include "core/audit_int.h"

int audit_spf_start(struct ink_audit *a)
{
    (void)a;
    return 0;
}

int audit_spf_next(struct ink_audit *a, size_t job, const char **name, uint16_t *type)
{
    (void)a;
    (void)name;
    (void)type;
    a->jobs[job].done = 1;
    return 0;
}

void audit_spf_feed(struct ink_audit *a, size_t job, struct ink_dns_answer *ans)
{
    (void)a;
    (void)job;
    ink_dns_answer_free(ans);
}

void audit_spf_finish(struct ink_audit *a)
{
    (void)a;
}

void audit_spf_release(struct audit_job *j)
{
    (void)j;
}

void audit_spf_free(struct ink_audit *a)
{
    (void)a;
}
