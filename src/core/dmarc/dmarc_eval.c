/*
 * dmarc_eval.c - DMARC evaluation of one message (RFC 9989 section 5.3):
 * identifier alignment of the SPF domain and the DKIM d= domains with the
 * Author Domain, pass or fail, and the policy and disposition that follow
 * (p / sp / np, t=y).  Pure code: the caller ran discovery for the Author
 * Domain and for each identifier's Organizational Domain (the discovery
 * machine of dmarc_discover.c) and checked whether the Author Domain
 * exists; this file only decides.
 */
#include "inkan/dmarc.h"

#include <stdio.h>
#include <string.h>

/* ink_dmarc_outcome_name - RFC 8601 words */
const char *ink_dmarc_outcome_name(enum ink_dmarc_outcome r)
{
    switch (r) {
    case INK_DMARC_RES_NONE:
        return "none";
    case INK_DMARC_RES_PASS:
        return "pass";
    case INK_DMARC_RES_FAIL:
        return "fail";
    case INK_DMARC_RES_TEMPERROR:
        return "temperror";
    case INK_DMARC_RES_PERMERROR:
        return "permerror";
    }
    return "none";
}

/* ink_dmarc_policy_tag_name - the tag's name, or NULL */
const char *ink_dmarc_policy_tag_name(enum ink_dmarc_policy_tag t)
{
    switch (t) {
    case INK_DMARC_TAG_P:
        return "p";
    case INK_DMARC_TAG_SP:
        return "sp";
    case INK_DMARC_TAG_NP:
        return "np";
    case INK_DMARC_TAG_NONE:
        break;
    }
    return NULL;
}

/* Whether an identifier aligns: yes, no, or unknown (its Organizational
 * Domain could not be found). */
enum align { AL_NO = 0, AL_YES, AL_UNKNOWN };

/* aligned - section 4.4: strict wants the same name; relaxed the same
 * Organizational Domain */
static enum align aligned(const struct ink_dmarc_ident *id, const char *author,
                          const char *author_org, enum ink_dmarc_align mode)
{
    if (id->domain == NULL || id->domain[0] == '\0')
        return AL_NO;
    if (ink_dns_name_eq(id->domain, author))
        return AL_YES;
    if (mode == INK_DMARC_ALIGN_STRICT)
        return AL_NO;
    if (id->org == NULL || author_org == NULL)
        return id->org_temperror ? AL_UNKNOWN : AL_NO;
    return ink_dns_name_eq(id->org, author_org) ? AL_YES : AL_NO;
}

/* lower - t=y: the policy one level lower */
static enum ink_dmarc_policy lower(enum ink_dmarc_policy p)
{
    if (p == INK_DMARC_P_REJECT)
        return INK_DMARC_P_QUARANTINE;
    return INK_DMARC_P_NONE;
}

/* select_policy - p for the domain's own record; sp (else p) inherited;
 * np (else sp, else p) for a non-existent Author Domain.  0, or -1 when
 * the existence check failed and would change the choice. */
static int select_policy(const struct ink_dmarc_eval_in *in, struct ink_dmarc_eval *out)
{
    const struct ink_dmarc_result *d = in->disc;
    const struct ink_dmarc_record *r = d->record;

    if (!d->inherited) {
        out->policy = d->policy;
        out->tag = INK_DMARC_TAG_P;
        return 0;
    }
    out->policy = d->policy;
    out->tag = r->sp != INK_DMARC_P_UNSET && d->policy == r->sp ? INK_DMARC_TAG_SP : INK_DMARC_TAG_P;
    if (in->author_nxdomain == 1) {
        out->policy = d->np_policy;
        if (r->np != INK_DMARC_P_UNSET && d->np_policy == r->np)
            out->tag = INK_DMARC_TAG_NP;
    } else if (in->author_nxdomain < 0 && d->np_policy != d->policy) {
        return -1;
    }
    return 0;
}

/* ink_dmarc_eval - decide one message */
void ink_dmarc_eval(const struct ink_dmarc_eval_in *in, struct ink_dmarc_eval *out)
{
    const struct ink_dmarc_result *d = in->disc;
    const char *org;
    int unknown = 0;
    size_t i;

    memset(out, 0, sizeof(*out));
    out->adkim = INK_DMARC_ALIGN_RELAXED;
    out->aspf = INK_DMARC_ALIGN_RELAXED;
    if (d == NULL || d->status == INK_DMARC_DISC_BADNAME) {
        out->result = INK_DMARC_RES_PERMERROR;
        (void)snprintf(out->reason, sizeof(out->reason),
                       "the Author Domain is not a domain name (RFC 9989 5.3.1)");
        return;
    }
    if (d->status == INK_DMARC_DISC_TEMPERROR) {
        out->result = INK_DMARC_RES_TEMPERROR;
        (void)snprintf(out->reason, sizeof(out->reason), "policy discovery failed at _dmarc.%s",
                       d->temperror_name != NULL ? d->temperror_name : in->author_domain);
        return;
    }
    if (d->status == INK_DMARC_DISC_NONE || d->record == NULL ||
        ink_dmarc_record_usable(d->record) == INK_DMARC_P_UNSET) {
        out->result = INK_DMARC_RES_NONE;
        (void)snprintf(out->reason, sizeof(out->reason), "no DMARC policy record for %s",
                       in->author_domain);
        return;
    }
    if (d->record->adkim == INK_DMARC_ALIGN_STRICT)
        out->adkim = INK_DMARC_ALIGN_STRICT;
    if (d->record->aspf == INK_DMARC_ALIGN_STRICT)
        out->aspf = INK_DMARC_ALIGN_STRICT;
    org = d->org_domain;

    if (in->spf.auth == 1) {
        enum align a = aligned(&in->spf, in->author_domain, org, out->aspf);

        out->spf_aligned = a == AL_YES;
        unknown |= a == AL_UNKNOWN;
    } else if (in->spf.auth < 0 && aligned(&in->spf, in->author_domain, org, out->aspf) != AL_NO) {
        unknown = 1; /* an SPF temperror that could have aligned */
    }
    for (i = 0; i < in->ndkim; i++) {
        enum align a = aligned(&in->dkim[i], in->author_domain, org, out->adkim);

        if (in->dkim[i].auth == 1 && a == AL_YES && !out->dkim_aligned) {
            out->dkim_aligned = 1;
            out->dkim_index = i;
        }
        if ((in->dkim[i].auth == 1 && a == AL_UNKNOWN) || (in->dkim[i].auth < 0 && a != AL_NO))
            unknown = 1;
    }
    if (select_policy(in, out) < 0) {
        out->result = INK_DMARC_RES_TEMPERROR;
        (void)snprintf(out->reason, sizeof(out->reason),
                       "whether %s exists (np) could not be checked", in->author_domain);
        return;
    }
    if (out->spf_aligned || out->dkim_aligned) {
        out->result = INK_DMARC_RES_PASS;
        out->disposition = INK_DMARC_P_NONE;
        if (out->dkim_aligned)
            (void)snprintf(out->reason, sizeof(out->reason), "DKIM d=%s aligned with %s (%s)",
                           in->dkim[out->dkim_index].domain, in->author_domain,
                           out->adkim == INK_DMARC_ALIGN_STRICT ? "strict" : "relaxed");
        else
            (void)snprintf(out->reason, sizeof(out->reason), "SPF domain %s aligned with %s (%s)",
                           in->spf.domain, in->author_domain,
                           out->aspf == INK_DMARC_ALIGN_STRICT ? "strict" : "relaxed");
        return;
    }
    if (unknown) {
        out->result = INK_DMARC_RES_TEMPERROR;
        (void)snprintf(out->reason, sizeof(out->reason),
                       "no identifier aligned, and a check that could have failed temporarily "
                       "(RFC 9989 5.3.6)");
        return;
    }
    out->result = INK_DMARC_RES_FAIL;
    out->disposition = out->policy;
    if (d->record->t == INK_DMARC_FLAG_YES && out->disposition != INK_DMARC_P_NONE) {
        out->disposition = lower(out->disposition);
        out->testing = 1;
    }
    (void)snprintf(out->reason, sizeof(out->reason),
                   "no authenticated identifier aligned with %s (SPF %s, %zu DKIM signature%s)",
                   in->author_domain,
                   in->spf.domain == NULL ? "none" : in->spf.auth == 1 ? "pass unaligned"
                                                                       : "not pass",
                   in->ndkim, in->ndkim == 1 ? "" : "s");
}
