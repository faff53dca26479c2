/*
 * audit_dmarc.c - the audit's DMARC area: the policy discovery machine
 * (inkan/dmarc.h, the RFC 9989 tree walk or the PSL) run inside the
 * audit, then what it found as findings: a missing, mistyped or
 * duplicated record (with the record to publish), the record's own
 * diagnostics (one repaired record as the fix of them all), the next step
 * of the staged rollout, a policy inherited or only from a public suffix,
 * and whether each external report address has authorized the reports.
 * The applied policy is kept in the audit for BIMI's conclusion.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit_int.h"

/* dmarc_default_record - the record proposed when there is none */
static char *dmarc_default_record(struct ink_audit *a, const char *domain)
{
    struct ink_str s = INK_STR_INIT;

    if (a->rua != NULL)
        ink_str_printf(&s, "v=DMARC1; p=none; rua=%s", a->rua);
    else
        ink_str_printf(&s, "v=DMARC1; p=none; rua=mailto:dmarc-reports@%s", domain);
    if (s.buf == NULL)
        a->nomem = 1;
    return ink_str_steal(&s);
}

/* dmarc_owner - "_dmarc.DOMAIN" (fresh) */
static char *dmarc_owner(struct ink_audit *a, const char *domain)
{
    struct ink_str s = INK_STR_INIT;

    if (ink_str_printf(&s, "_dmarc.%s", domain) < 0) {
        ink_str_free(&s);
        a->nomem = 1;
        return NULL;
    }
    return ink_str_steal(&s);
}

/*
 * dmarc_repair - the record text with every error and warning the audit
 * reports about it repaired: a policy where none is valid, invalid sp/np
 * dropped, test mode ended, a weaker sp dropped, obsolete tags dropped, a
 * report address added when there is none.  A record over
 * INK_DMARC_RECORD_MAX is repaired from its tags up to the last ';' or ','
 * before the limit (so the repair keeps its policy and what fits of its
 * report addresses: a fix never weakens the published policy).  Caller
 * frees; NULL on ENOMEM.
 */
static char *dmarc_repair(struct ink_audit *a, const char *text, size_t len,
                          enum ink_dmarc_policy next, const char *domain)
{
    struct ink_dmarc_record *r;
    struct ink_str s = INK_STR_INIT;
    char *out;

    if (len > INK_DMARC_RECORD_MAX) {
        size_t cut = INK_DMARC_RECORD_MAX;

        while (cut > 0 && text[cut] != ';' && text[cut] != ',')
            cut--;
        len = cut;
    }
    r = ink_dmarc_record_parse((const uint8_t *)text, len);

    if (r == NULL) {
        a->nomem = 1;
        return NULL;
    }
    if (r->p == INK_DMARC_P_UNSET)
        r->p = INK_DMARC_P_NONE;
    if (next != INK_DMARC_P_UNSET)
        r->p = next;
    if (r->sp != INK_DMARC_P_UNSET && r->sp < r->p)
        r->sp = INK_DMARC_P_UNSET;
    if (r->np != INK_DMARC_P_UNSET && r->np < r->p)
        r->np = INK_DMARC_P_UNSET;
    if (r->t == INK_DMARC_FLAG_YES)
        r->t = INK_DMARC_FLAG_UNSET;
    if (r->nrua == 0) {
        char *def = dmarc_default_record(a, domain);
        const char *rua = def != NULL ? strstr(def, "rua=") : NULL;

        if (rua != NULL)
            ink_dmarc_record_add_uri(r, 0, rua + 4);
        free(def);
    }
    if (ink_dmarc_record_serialize(r, 0, &s) < 0)
        a->nomem = 1;
    ink_dmarc_record_free(r);
    out = ink_str_steal(&s);
    if (out == NULL)
        a->nomem = 1;
    return out;
}

/* looks_like_dmarc - a TXT at _dmarc that was meant as a record (v=dmarc1,
 * a stray prefix) rather than something unrelated */
static int looks_like_dmarc(const char *t)
{
    size_t i;

    for (i = 0; t[i] != '\0'; i++)
        if ((t[i] == 'd' || t[i] == 'D') && strncasecmp(t + i, "dmarc", 5) == 0)
            return 1;
    return strstr(t, "p=") != NULL;
}

/* dmarc_own_problems - multiple records, or a mistyped one, at _dmarc.DOMAIN;
 * returns 1 when one was reported */
static int dmarc_own_problems(struct ink_audit *a, const struct ink_dmarc_lookup *l)
{
    char *owner = dmarc_owner(a, a->domain), *fix = NULL, *rec = NULL;
    int reported = 0;

    if (owner == NULL)
        return 0;
    if (l->nrecords > 1) {
        rec = dmarc_default_record(a, a->domain);
        fix = rec ? audit_fix_line(a, owner, INK_DNS_TXT, rec) : NULL;
        audit_finding(a, INK_SEV_ERROR, "dmarc", "dmarc-multiple", owner, fix,
                      "%s has %zu DMARC records; receivers discard them all, so %s has no "
                      "DMARC policy: keep exactly one",
                      owner, l->nrecords, a->domain);
        reported = 1;
    } else if (l->nrecords == 0 && l->other_text != NULL && looks_like_dmarc(l->other_text)) {
        struct ink_dmarc_record *r =
            ink_dmarc_record_parse((const uint8_t *)l->other_text, strlen(l->other_text));
        const char *why = r != NULL && r->ndiag > 0 ? r->diag[0].message : "not a DMARC record";
        const char *t = l->other_text;
        struct ink_str s = INK_STR_INIT;
        struct ink_str shown = INK_STR_INIT;

        /* the usual typo: a wrong-case or spaced version tag */
        while (*t == ' ')
            t++;
        if (strncasecmp(t, "v=dmarc1", 8) == 0) {
            ink_str_printf(&s, "v=DMARC1%s", t + 8);
            rec = dmarc_repair(a, s.buf ? s.buf : "", s.len, INK_DMARC_P_UNSET, a->domain);
        } else {
            rec = dmarc_default_record(a, a->domain);
        }
        ink_str_free(&s);
        ink_str_put_printable(&shown, l->other_text, strlen(l->other_text), 120);
        fix = rec ? audit_fix_line(a, owner, INK_DNS_TXT, rec) : NULL;
        audit_finding(a, INK_SEV_ERROR, "dmarc", "dmarc-not-dmarc", owner, fix,
                      "the TXT record at %s (\"%s\") is not a DMARC record: %s",
                      owner, ink_str_cstr(&shown), why);
        ink_str_free(&shown);
        ink_dmarc_record_free(r);
        reported = 1;
    }
    free(fix);
    free(rec);
    free(owner);
    return reported;
}

/* dmarc_dests - the report destinations and their authorization */
static void dmarc_dests(struct ink_audit *a, const struct ink_dmarc_result *res)
{
    size_t i;

    for (i = 0; i < res->ndests; i++) {
        const struct ink_dmarc_dest *t = &res->dests[i];
        const char *which = t->in_rua && t->in_ruf ? "rua and ruf"
                            : t->in_rua             ? "rua"
                                                    : "ruf";
        char *fix = NULL;

        switch (t->status) {
        case INK_DMARC_DEST_INTERNAL:
            break;
        case INK_DMARC_DEST_AUTHORIZED:
            audit_record(a, "dmarc", t->qname, "TXT", "v=DMARC1", 8);
            audit_finding(a, INK_SEV_INFO, "dmarc", "report-dest-authorized", t->host, NULL,
                          "%s accepts DMARC reports for %s (%s)%s%s", t->host,
                          res->policy_domain, t->qname,
                          t->override_rua ? "; it redirects aggregate reports to " : "",
                          t->override_rua ? t->override_rua : "");
            break;
        case INK_DMARC_DEST_UNAUTHORIZED:
            fix = audit_fix_line(a, t->qname, INK_DNS_TXT, "v=DMARC1");
            audit_finding(a, INK_SEV_WARNING, "dmarc", "report-dest-unauthorized", t->host,
                          fix,
                          "%s sends reports to %s, outside %s, but %s has not published %s: "
                          "receivers drop these reports.  The operator of %s must publish "
                          "the record below, or remove the address",
                          which, t->host, res->org_domain, t->host, t->qname, t->host);
            break;
        case INK_DMARC_DEST_TEMPERROR:
            audit_finding(a, INK_SEV_WARNING, "dmarc", "report-dest-temperror", t->host, NULL,
                          "could not look up %s (temporary DNS failure): whether %s accepts "
                          "reports for %s is unknown",
                          t->qname, t->host, res->policy_domain);
            break;
        case INK_DMARC_DEST_TOO_LONG:
            audit_finding(a, INK_SEV_WARNING, "dmarc", "report-dest-name-too-long", t->host,
                          NULL,
                          "%s._report._dmarc.%s is longer than DNS allows: reports to %s "
                          "cannot be authorized; use a shorter destination",
                          res->policy_domain, t->host, t->host);
            break;
        case INK_DMARC_DEST_NOHOST:
        default:
            break;
        }
        free(fix);
    }
}

/* dmarc_done - the discovery has ended: its outcome becomes findings */
static void dmarc_done(struct ink_audit *a, size_t unused, void *machine)
{
    const struct ink_dmarc_result *res = ink_dmarc_disc_result(machine);
    const struct ink_dmarc_record *r = res->record;
    char *owner = NULL, *fixed = NULL, *fixline = NULL, *rec = NULL;
    int own_reported = 0;
    size_t i;

    (void)unused;
    a->dmarc_done = 1;
    for (i = 0; i < res->nlookups; i++) {
        const struct ink_dmarc_lookup *l = &res->lookups[i];
        char *o = dmarc_owner(a, l->domain);

        if (o != NULL && l->text != NULL)
            audit_record(a, "dmarc", o, "TXT", l->text, strlen(l->text));
        free(o);
    }
    if (res->nlookups > 0)
        own_reported = dmarc_own_problems(a, &res->lookups[0]);
    switch (res->status) {
    case INK_DMARC_DISC_TEMPERROR:
        audit_finding(a, INK_SEV_WARNING, "dmarc", "dmarc-temperror", res->temperror_name,
                      NULL,
                      "looking up %s failed (temporary DNS error): the DMARC policy of %s is "
                      "unknown",
                      res->temperror_name ? res->temperror_name : "the DMARC record",
                      a->domain);
        return;
    case INK_DMARC_DISC_BADNAME:
        return;
    case INK_DMARC_DISC_NONE:
        if (own_reported)
            return;
        owner = dmarc_owner(a, a->domain);
        rec = dmarc_default_record(a, a->domain);
        fixline = owner && rec ? audit_fix_line(a, owner, INK_DNS_TXT, rec) : NULL;
        audit_finding(a, INK_SEV_ERROR, "dmarc", "dmarc-missing", owner, fixline,
                      "%s has no DMARC record (nor does its organizational domain %s): "
                      "receivers apply no policy, send no reports, and large mailbox "
                      "providers reject or junk bulk mail from it.  Start with p=none and "
                      "reports",
                      a->domain, res->org_domain);
        goto out;
    case INK_DMARC_DISC_FOUND:
    default:
        break;
    }
    a->dmarc_policy = res->policy;
    a->dmarc_testing = r->t == INK_DMARC_FLAG_YES;
    if (res->temperror_name != NULL)
        audit_finding(a, INK_SEV_WARNING, "dmarc", "dmarc-temperror", res->temperror_name,
                      NULL,
                      "looking up %s failed (temporary DNS error): the policy of %s is known, "
                      "but its organizational domain (and so which report addresses are "
                      "outside it) may be wrong",
                      res->temperror_name, a->domain);
    owner = dmarc_owner(a, res->policy_domain);
    if (owner == NULL)
        goto out;
    if (res->from_psd) {
        char *org_owner = dmarc_owner(a, res->org_domain);

        rec = dmarc_default_record(a, res->org_domain);
        fixline = org_owner && rec ? audit_fix_line(a, org_owner, INK_DNS_TXT, rec) : NULL;
        audit_finding(a, INK_SEV_WARNING, "dmarc", "dmarc-psd-only", org_owner, fixline,
                      "only the public suffix %s publishes a DMARC policy (%s); %s has none "
                      "of its own and gets no reports",
                      res->policy_domain, res->record_text, res->org_domain);
        free(org_owner);
        free(fixline);
        free(rec);
        fixline = NULL;
        rec = NULL;
    } else if (res->inherited) {
        audit_finding(a, INK_SEV_INFO, "dmarc", "dmarc-inherited", owner, NULL,
                      "%s has no DMARC record of its own; the record of its organizational "
                      "domain %s applies (policy for %s: %s)",
                      a->domain, res->policy_domain, a->domain,
                      res->policy != INK_DMARC_P_UNSET ? ink_dmarc_policy_name(res->policy)
                                                       : "none applied");
    }
    /* one repaired record serves as the fix of every problem in it */
    fixed = dmarc_repair(a, res->record_text, strlen(res->record_text), INK_DMARC_P_UNSET,
                         res->policy_domain);
    if (fixed != NULL && strcmp(fixed, res->record_text) != 0)
        fixline = audit_fix_line(a, owner, INK_DNS_TXT, fixed);
    for (i = 0; i < r->ndiag; i++) {
        const struct ink_finding *dg = &r->diag[i];
        enum ink_severity sev = dg->severity;
        char *hint = NULL;

        if (res->from_psd && sev != INK_SEV_ERROR)
            continue; /* advice on someone else's record is noise */
        if (strcmp(dg->code, "policy-none") == 0 || strcmp(dg->code, "policy-quarantine") == 0) {
            /* the staged rollout: the next step as a record */
            char *next = dmarc_repair(a, res->record_text, strlen(res->record_text),
                                      r->p == INK_DMARC_P_NONE ? INK_DMARC_P_QUARANTINE
                                                               : INK_DMARC_P_REJECT,
                                      res->policy_domain);

            hint = next ? audit_fix_line(a, owner, INK_DNS_TXT, next) : NULL;
            free(next);
            audit_finding_pass(a, sev, "dmarc", dg->code, owner, hint, "%s", dg->message);
            free(hint);
            continue;
        }
        if (dg->offset > 0)
            audit_finding_pass(a, sev, "dmarc", dg->code, owner,
                          sev == INK_SEV_INFO ? NULL : fixline, "%s (byte %ld of the record)",
                          dg->message, dg->offset);
        else
            audit_finding_pass(a, sev, "dmarc", dg->code, owner,
                          sev == INK_SEV_INFO ? NULL : fixline, "%s", dg->message);
    }
    if (res->policy == INK_DMARC_P_REJECT && !a->dmarc_testing && r->nerrors == 0)
        audit_finding(a, INK_SEV_INFO, "dmarc", "policy-reject", owner, NULL,
                      "p=reject: %s is fully protected by DMARC", res->policy_domain);
    dmarc_dests(a, res);
out:
    free(owner);
    free(fixed);
    free(fixline);
    free(rec);
}

/* release_disc - free a discovery machine (audit_run's release) */
static void release_disc(void *self)
{
    ink_dmarc_disc_free(self);
}

/* dmarc_start - run the discovery for the domain */
static int dmarc_start(struct ink_audit *a)
{
    struct ink_dmarc_disc *d = ink_dmarc_disc_new(a->domain, a->org_mode, a->psl, 0);

    if (d == NULL) {
        a->nomem = 1;
        return -1;
    }
    return audit_run(a, "dmarc", ink_dmarc_disc_machine(d), release_disc, dmarc_done, 0);
}

const struct audit_area audit_area_dmarc = {"dmarc", dmarc_start, NULL, NULL};
