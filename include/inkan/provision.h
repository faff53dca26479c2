/*
 * inkan/provision.h - compute the record set a sending platform needs
 * (from a sender profile, inkan/profile.h) against what a domain publishes
 * now: the SPF terms merged into the one existing SPF record, a DMARC
 * record when there is none, DKIM keys or CNAMEs, bounce, tracking,
 * landing and image CNAMEs, MX for the sending subdomain.  Writes the
 * result as a zone-file fragment and a checklist, and turns it into the
 * expectations that verification (inkan/verify.h) follows.
 *
 * Sans-I/O: a machine of the one query protocol (inkan/query.h).  It
 * asks everything it needs at once (all its queries may be out together);
 * a driver (inkan/driver.h) resolves them and feeds the answers; then the
 * caller computes.
 *
 *     p = ink_provision_new(profile, "example.com", NULL, algs, nalgs, err);
 *     for (i = 0; i < ink_provision_nkeys(p); i++)       generate each key,
 *         ink_provision_set_key(p, i, record_text);     hand its record in
 *     ink_drive_sync(resolver, ink_provision_machine(p), NULL);
 *     ink_provision_compute(p);
 *     ... optionally ink_provision_spf_lookups(p, ...) with the lint's count
 *     ink_provision_zone(p, &zone); ink_provision_checklist(p, &text);
 *
 * Findings (struct ink_finding, inkan/finding.h) have area "spf", "dkim",
 * "dmarc", "cname", "mx" or "provision" and one of the codes that
 * ink_provision_code() lists.
 */
#ifndef INKAN_PROVISION_H
#define INKAN_PROVISION_H

#include <stddef.h>
#include <stdint.h>

#include "inkan/dns.h"
#include "inkan/finding.h"
#include "inkan/profile.h"
#include "inkan/query.h"
#include "inkan/str.h"
#include "inkan/verify.h"

#include "inkan/export.h"

#ifdef __cplusplus
extern "C" {
#endif

INK_API_BEGIN

/* TTL written on proposed records. */
#define INK_PROV_TTL 3600
/* Queries one provisioning may need (names x types). */
#define INK_PROV_QUERIES_MAX 256
/* Records one result may hold. */
#define INK_PROV_RECORDS_MAX 128
/* Findings one result may hold. */
#define INK_PROV_FINDINGS_MAX 64
/* Key algorithms one --dkim list may name. */
#define INK_PROV_ALGS_MAX 4

enum ink_prov_action {
    INK_PROV_ADD = 0,  /* publish this record */
    INK_PROV_CHANGE,   /* replace what is published at this name with this */
    INK_PROV_KEEP,     /* already published as needed: nothing to do */
    INK_PROV_REMOVE    /* delete this record (e.g. a second SPF record) */
};

struct ink_prov_record {
    char *owner;            /* fully qualified, no trailing dot */
    uint16_t type;          /* CNAME, MX, TXT */
    uint16_t pref;          /* MX preference */
    char *value;            /* CNAME/MX target, or the TXT text (unquoted) */
    char *purpose;          /* "spf", "dkim", "dmarc", "return-path", "mx", ... */
    char *current;          /* what is published now at owner (printable), or NULL */
    enum ink_prov_action action;
    enum ink_vmatch match;  /* how verification recognises it */
    char *expect;           /* what verification expects (see inkan/verify.h) */
    long key;               /* index of the generated DKIM key, or -1 */
};

/* A DKIM key the caller is to generate. */
struct ink_prov_key {
    char *selector;         /* the selector label(s) */
    char *owner;            /* SELECTOR._domainkey.DOMAIN */
    enum ink_profile_keyalg alg;
    char *record;           /* the public key record, once set */
};

/* One lookup-counting term of the merged SPF record and what it costs
 * (1 for the term, plus the lookups of an include's or redirect's tree). */
struct ink_prov_spf_cost {
    const char *term;       /* as written, e.g. "include:_spf.example.org" */
    unsigned lookups;
};

struct ink_provision;

/*
 * ink_provision_new - start provisioning domain for profile (not copied:
 * it must outlive p).  subdomain: the sending subdomain label(s) under
 * domain, NULL for the profile's default, "" or "@" for the domain itself.
 * algs/nalgs: the --dkim list for "key: generate" selectors (nalgs 0:
 * rsa2048).  With several algorithms each such selector becomes one per
 * algorithm, named SELECTOR-ALG.  NULL with a reason in err.
 */
struct ink_provision *ink_provision_new(const struct ink_profile *profile, const char *domain,
                                        const char *subdomain,
                                        const enum ink_profile_keyalg *algs, size_t nalgs,
                                        struct ink_str *err);
/* ink_provision_free - release; NULL is a no-op */
void ink_provision_free(struct ink_provision *p);

/* The customer's domain and the sending domain (SUB.DOMAIN or DOMAIN). */
const char *ink_provision_domain(const struct ink_provision *p);
const char *ink_provision_sending_domain(const struct ink_provision *p);

/* Keys to generate: ink_provision_nkeys, ink_provision_key (owned by p),
 * and ink_provision_set_key to hand in the public key record text. 0/-1. */
size_t ink_provision_nkeys(const struct ink_provision *p);
const struct ink_prov_key *ink_provision_key(const struct ink_provision *p, size_t i);
int ink_provision_set_key(struct ink_provision *p, size_t i, const char *record);

/*
 * The query protocol (inkan/query.h).  next() hands out every query at
 * once (names owned by p), then WAIT until each is fed, then DONE; FAILED
 * only when out of memory.  feed() borrows the answer (p keeps a copy).
 * A NULL answer, or one that does not fit the question, counts as "could
 * not be read", as a query never answered does.  feed() of a token not
 * outstanding returns -1.
 */
enum ink_next ink_provision_next(struct ink_provision *p, struct ink_query *q);
int ink_provision_feed(struct ink_provision *p, uint32_t token, const struct ink_dns_answer *answer);
struct ink_machine ink_provision_machine(struct ink_provision *p);

/* ink_provision_compute - compute records and findings from what was fed
 * (queries not answered count as "could not be read", a finding of code
 * "dns-unreadable").  May be called without driving the machine at all
 * (nothing read).  0, or -1 on ENOMEM. */
int ink_provision_compute(struct ink_provision *p);

/* Results after compute (owned by p). */
size_t ink_provision_nrecords(const struct ink_provision *p);
const struct ink_prov_record *ink_provision_record(const struct ink_provision *p, size_t i);
/* The findings, in the order found: an array, so ink_provision_finding(p,
 * 0) points at all ink_provision_nfindings(p) of them. */
size_t ink_provision_nfindings(const struct ink_provision *p);
const struct ink_finding *ink_provision_finding(const struct ink_provision *p, size_t i);
/* The SPF record to publish at the sending domain (merged), or NULL when
 * the profile has no SPF terms. */
const char *ink_provision_spf_record(const struct ink_provision *p);
/* Highest finding severity (enum ink_severity), or -1 when there are none. */
int ink_provision_worst(const struct ink_provision *p);

/*
 * ink_provision_spf_lookups - tell p how many DNS lookups the merged SPF
 * record costs in all (counted by the SPF lint over its include tree) and
 * what each lookup-counting term costs.  Over INK_SPF_DNS_LOOKUP_MAX adds
 * an error finding with the smallest fix found: moving the platform to a
 * sending subdomain, or flattening/dropping the one existing term whose
 * cost covers the excess.  0 or -1 (ENOMEM).
 */
int ink_provision_spf_lookups(struct ink_provision *p, unsigned total,
                              const struct ink_prov_spf_cost *costs, size_t ncosts);

/*
 * ink_provision_spf_flattened - after ink_provision_spf_lookups reported
 * the record over the limit: a flattened record the SPF lint computed
 * (includes replaced by today's networks).  Offered as an alternative fix
 * when it keeps every term the profile adds (the platform's own ranges
 * must stay an include, as the platform changes them).  0 or -1 (ENOMEM).
 */
int ink_provision_spf_flattened(struct ink_provision *p, const char *record);

/* ink_provision_zone - append the zone-file fragment (absolute names,
 * comments saying what each record is for; records to keep commented
 * out; records to remove listed as comments).  0/-1. */
int ink_provision_zone(const struct ink_provision *p, struct ink_str *out);
/* ink_provision_checklist - append the checklist in plain words.  0/-1. */
int ink_provision_checklist(const struct ink_provision *p, struct ink_str *out);
/* ink_provision_expect - add one expected record per record to publish
 * or keep to d (verification).  0/-1. */
int ink_provision_expect(const struct ink_provision *p, struct ink_vdomain *d);

/* ink_prov_action_name - "add", "change", "keep", "remove" */
const char *ink_prov_action_name(enum ink_prov_action a);
/* ink_provision_code - the i-th of the finding codes provisioning can
 * report (static), or NULL past the last: for documentation and for tests
 * that show each code is reached */
const char *ink_provision_code(size_t i);

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
