/*
 * audit_cname.c - the audit's CNAME area: each name a sending platform
 * expects to point at it (--cname NAME=TARGET, or a profile's CNAMEs)
 * must be a CNAME to that target: missing, pointing elsewhere, or not a
 * CNAME at all (other records there) each get the record to publish.
 */
#include <stdlib.h>
#include <string.h>

#include "audit_int.h"

/* cname_answer - what is at expected name i */
static void cname_answer(struct ink_audit *a, size_t i, size_t unused_k,
                         const struct ink_dns_answer *ans)
{
    struct audit_cname *c = &a->cnames[i];
    struct ink_str s = INK_STR_INIT;
    char *fix;
    size_t k;

    (void)unused_k;
    ink_str_printf(&s, "%s.", c->target);
    fix = audit_fix_line(a, c->name, INK_DNS_CNAME, ink_str_cstr(&s));
    ink_str_free(&s);
    if (audit_is_temp(ans)) {
        audit_finding(a, INK_SEV_WARNING, "cname", "cname-temperror", c->name, NULL,
                      "could not look up %s (temporary DNS error)", c->name);
    } else if (ans->status == INK_DNS_NXDOMAIN) {
        audit_finding(a, INK_SEV_ERROR, "cname", "cname-missing", c->name, fix,
                      "%s does not exist: publish it as a CNAME to %s", c->name, c->target);
    } else if (ans->status == INK_DNS_NODATA) {
        audit_finding(a, INK_SEV_ERROR, "cname", "cname-conflict", c->name, fix,
                      "%s exists but is not a CNAME; a CNAME cannot sit beside other records: "
                      "remove the records at %s and publish the CNAME to %s",
                      c->name, c->name, c->target);
    } else {
        const char *got = NULL;

        for (k = 0; k < ans->nrr; k++)
            if (ans->rr[k].type == INK_DNS_CNAME && ink_dns_name_eq(ans->rr[k].owner, c->name))
                got = ans->rr[k].name;
        if (got != NULL)
            audit_record(a, "cname", c->name, "CNAME", got, strlen(got));
        if (got == NULL)
            audit_finding(a, INK_SEV_ERROR, "cname", "cname-conflict", c->name, fix,
                          "%s is not a CNAME; publish it as a CNAME to %s", c->name, c->target);
        else if (!ink_dns_name_eq(got, c->target))
            audit_finding(a, INK_SEV_ERROR, "cname", "cname-mismatch", c->name, fix,
                          "%s points to %s, not to %s as expected", c->name, got, c->target);
        else
            audit_finding(a, INK_SEV_INFO, "cname", "cname-ok", c->name, NULL,
                          "%s points to %s as expected", c->name, got);
    }
    free(fix);
}

/* cname_start - one CNAME query per expected name */
static int cname_start(struct ink_audit *a)
{
    size_t i;

    for (i = 0; i < a->ncnames; i++)
        audit_ask(a, a->cnames[i].name, INK_DNS_CNAME, cname_answer, i, 0);
    return a->nomem ? -1 : 0;
}

const struct audit_area audit_area_cname = {"cname", cname_start, NULL, NULL};
