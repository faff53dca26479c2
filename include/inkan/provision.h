/*
 * inkan/provision.h - compute the record set a sending platform needs
 * (from a sender profile, inkan/profile.h) against what a domain publishes
 * now: the SPF terms merged into the one existing SPF record, a DMARC
 * record when there is none, DKIM keys or CNAMEs, bounce, tracking,
 * landing and image CNAMEs, MX for the sending subdomain.  Writes the
 * result as a zone-file fragment and a checklist, and turns it into the
 * expectations that verification (inkan/verify.h) follows.
 *
 * Sans-I/O: the object lists the queries it needs; the caller resolves
 * them (zone file, a server) and feeds the answers; then computes.
 *
 *     p = ink_provision_new(profile, "example.com", NULL, algs, nalgs, err);
 *     for (i = 0; i < ink_provision_nkeys(p); i++)       generate each key,
 *         ink_provision_set_key(p, i, record_text);     hand its record in
 *     for (i = 0; i < ink_provision_nqueries(p); i++)    resolve and
 *         ink_provision_feed(p, answer);                 feed each query
 *     ink_provision_compute(p);
 *     ... optionally ink_provision_spf_lookups(p, ...) with the lint's count
 *     ink_provision_zone(p, &zone); ink_provision_checklist(p, &text);
 */
#ifndef INKAN_PROVISION_H
#define INKAN_PROVISION_H

#include <stddef.h>
#include <stdint.h>

#include "inkan/dns.h"
#include "inkan/profile.h"
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
/* Notes one result may hold. */
#define INK_PROV_NOTES_MAX 64
/* Key algorithms one --dkim list may name. */
#define INK_PROV_ALGS_MAX 4

enum ink_prov_action {
    INK_PROV_ADD = 0,  /* publish this record */
    INK_PROV_CHANGE,   /* replace what is published at this name with this */
    INK_PROV_KEEP,     /* already published as needed: nothing to do */
    INK_PROV_REMOVE    /* delete this record (e.g. a second SPF record) */
};

enum ink_prov_severity { INK_PROV_INFO = 0, INK_PROV_WARNING, INK_PROV_ERROR };

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

struct ink_prov_note {
    enum ink_prov_severity severity;
    const char *code;       /* stable, e.g. "spf-too-many-lookups" (static) */
    char *message;          /* for people */
    char *fix;              /* what to do or publish instead, or NULL */
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

/* Queries to resolve (names owned by p). */
size_t ink_provision_nqueries(const struct ink_provision *p);
void ink_provision_query(const struct ink_provision *p, size_t i, const char **name,
                         uint16_t *type);
/* ink_provision_feed - an answer to one of the queries (matched by qname
 * and qtype; copied).  0, or -1 if it was not asked or ENOMEM. */
int ink_provision_feed(struct ink_provision *p, const struct ink_dns_answer *a);

/* ink_provision_compute - compute records and notes from what was fed
 * (queries not answered count as "could not be read", noted as a
 * warning).  0, or -1 on ENOMEM. */
int ink_provision_compute(struct ink_provision *p);

/* Results after compute (owned by p). */
size_t ink_provision_nrecords(const struct ink_provision *p);
const struct ink_prov_record *ink_provision_record(const struct ink_provision *p, size_t i);
size_t ink_provision_nnotes(const struct ink_provision *p);
const struct ink_prov_note *ink_provision_note(const struct ink_provision *p, size_t i);
/* The SPF record to publish at the sending domain (merged), or NULL when
 * the profile has no SPF terms. */
const char *ink_provision_spf_record(const struct ink_provision *p);
/* Highest note severity, or -1 when there are none. */
int ink_provision_worst(const struct ink_provision *p);

/*
 * ink_provision_spf_lookups - tell p how many DNS lookups the merged SPF
 * record costs in all (counted by the SPF lint over its include tree) and
 * what each lookup-counting term costs.  Over INK_SPF_DNS_LOOKUP_MAX adds
 * an error note with the smallest fix found: moving the platform to a
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
/* ink_prov_severity_name - "info", "warning", "error" */
const char *ink_prov_severity_name(enum ink_prov_severity s);

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
