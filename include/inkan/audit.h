/*
 * inkan/audit.h - the sending-domain audit behind `inkan check`: SPF
 * (lint, plus whether given IPs and includes are authorized), DKIM
 * selectors, DMARC (policy, alignment, reporting and its authorization,
 * rollout hints), MX, PTR and forward-confirmed reverse DNS, HELO names,
 * expected CNAMEs, and MTA-STS / TLS-RPT / BIMI presence.
 *
 * Sans-I/O: an audit is one machine of the query protocol (inkan/query.h)
 * made of small checks; a driver (inkan/driver.h) runs it, and thousands
 * of audits at once over one resolver.
 *
 * Each finding has a severity, an area, a stable code, a message for a
 * person, and, where it can be computed, the zone-file line to publish.
 */
#ifndef INKAN_AUDIT_H
#define INKAN_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "inkan/dmarc.h"
#include "inkan/dns.h"
#include "inkan/finding.h"
#include "inkan/query.h"
#include "inkan/str.h"

#include "inkan/export.h"

#ifdef __cplusplus
extern "C" {
#endif

INK_API_BEGIN

/* Limits on what one audit looks at. */
#define INK_AUDIT_SELECTORS_MAX 32
#define INK_AUDIT_IPS_MAX 64
#define INK_AUDIT_INCLUDES_MAX 32
#define INK_AUDIT_HELOS_MAX 16
#define INK_AUDIT_CNAMES_MAX 64
#define INK_AUDIT_MX_MAX 16        /* MX hosts followed */
#define INK_AUDIT_ADDRS_MAX 16     /* addresses per host checked for PTR */
#define INK_AUDIT_PTR_NAMES_MAX 8  /* PTR names per address confirmed */
#define INK_AUDIT_QUERIES_MAX 2000 /* DNS queries one audit may ask */
/* TTL written on the zone-file lines of fixes. */
#define INK_AUDIT_FIX_TTL 3600

/*
 * Findings are the one finding type of inkan/finding.h.  The audit's own
 * codes are listed in ink_audit_codes; findings of area "spf" may also
 * carry the SPF lint's codes and those of area "dmarc" the DMARC record's
 * (ink_dmarc_codes), passed through as the lint reported them.
 */

/* One code the audit itself reports. */
struct ink_audit_code {
    const char *code;
    const char *area; /* the area it is reported under; NULL: several */
};
/* Every code of the audit's own findings ({NULL, NULL}-terminated). */
extern const struct ink_audit_code ink_audit_codes[];

/* A record the audit read, for the "records" part of the report. */
struct ink_audit_record {
    const char *area;
    char *name;        /* owner (owned) */
    const char *type;  /* "TXT", "MX", "A", ... */
    char *data;        /* presentation of the data, printable (owned) */
};

/* An address range given with --ip. */
struct ink_audit_ip {
    int family;        /* 4 or 6 */
    uint8_t addr[16];
    unsigned prefix;   /* 32/128 for a single address */
};

/* An expected CNAME (NAME=TARGET). */
struct ink_audit_cname {
    const char *name;   /* relative names are taken below the domain */
    const char *target;
};

struct ink_audit_opts {
    const char *domain;
    const char *const *selectors;   size_t nselectors;
    const struct ink_audit_ip *ips; size_t nips;
    const char *const *includes;    size_t nincludes;
    const char *const *helos;       size_t nhelos;
    const struct ink_audit_cname *cnames; size_t ncnames;
    const char *rua;            /* report address for proposed DMARC records
                                 * (a URI); NULL: mailto:dmarc-reports@DOMAIN */
    enum ink_dmarc_org_mode org_mode;
    const void *psl;            /* libpsl context for INK_DMARC_ORG_PSL, or NULL */
};

struct ink_audit;

/* ink_audit_new - an audit for opts->domain (opts and the strings it
 * points at are copied).  NULL on ENOMEM; an invalid domain gives an audit
 * that is done at once with one error finding.  Caller owns. */
struct ink_audit *ink_audit_new(const struct ink_audit_opts *opts);
/* ink_audit_free - release; NULL is a no-op */
void ink_audit_free(struct ink_audit *a);

/*
 * The audit speaks the one query protocol (inkan/query.h): any number of
 * queries may be out at once, answered in any order.  ink_audit_next()
 * hands them out (READY), says WAIT while answers are awaited and DONE
 * once every check has finished (never FAILED: what could not be
 * finished is reported as a finding).  ink_audit_feed() borrows the
 * answer for the call; a NULL answer, or one that does not fit the
 * question, is a temporary failure of that query.  feed() returns 0, or
 * -1 for a token not outstanding.
 */
enum ink_next ink_audit_next(struct ink_audit *a, struct ink_query *q);
int ink_audit_feed(struct ink_audit *a, uint32_t token, const struct ink_dns_answer *answer);
/* ink_audit_machine - a as a machine of kind "audit" for a driver (a
 * stays the caller's) */
struct ink_machine ink_audit_machine(struct ink_audit *a);
/* ink_audit_done - 1 when every check has finished */
int ink_audit_done(const struct ink_audit *a);

/* Results (valid once done, until ink_audit_free). */
const char *ink_audit_domain(const struct ink_audit *a);
size_t ink_audit_nfindings(const struct ink_audit *a);
const struct ink_finding *ink_audit_finding(const struct ink_audit *a, size_t i);
/* ink_audit_findings - all of them as one array of *n (owned by a) */
const struct ink_finding *ink_audit_findings(const struct ink_audit *a, size_t *n);
size_t ink_audit_nrecords(const struct ink_audit *a);
const struct ink_audit_record *ink_audit_record(const struct ink_audit *a, size_t i);
/* counts by severity */
size_t ink_audit_count(const struct ink_audit *a, enum ink_severity s);
/* distinct (name, type) questions asked */
size_t ink_audit_queries(const struct ink_audit *a);

/*
 * A DKIM selector whose key must be replaced (missing, revoked,
 * malformed, unusable, too short).  The audit makes no keys (that needs
 * randomness, and the private half must be stored somewhere): its caller
 * may generate a pair, publish the public half as the finding's fix with
 * ink_audit_set_fix(), and keep the private half.
 */
struct ink_audit_key_wanted {
    const char *selector; /* as given (owned by the audit) */
    const char *owner;    /* SELECTOR._domainkey.DOMAIN (owned by the audit) */
    size_t finding;       /* index of the finding the new key fixes */
};
size_t ink_audit_nkeys_wanted(const struct ink_audit *a);
const struct ink_audit_key_wanted *ink_audit_key_wanted(const struct ink_audit *a, size_t i);
/* ink_audit_set_fix - replace finding i's fix with a copy of fix (NULL
 * removes it).  0, or -1 on ENOMEM or a bad index. */
int ink_audit_set_fix(struct ink_audit *a, size_t i, const char *fix);

/* The areas in report order (NULL-terminated). */
extern const char *const ink_audit_areas[];

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
