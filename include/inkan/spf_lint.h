/*
 * inkan/spf_lint.h - SPF lint: walk a domain's whole SPF tree (the record,
 * its includes and redirects, the names its a/mx/exists terms point at) and
 * say what is wrong with it, how badly, where in the record, and what to
 * publish instead.
 *
 * Sans-I/O, like the evaluator (inkan/spf.h), and a machine of the one
 * query protocol (inkan/query.h): ink_spf_lint_next() hands out queries
 * (several may be out at once), ink_spf_lint_feed() takes their answers
 * (borrowed: the lint copies what it keeps).  Usually a driver runs it:
 *
 *     struct ink_spf_lint *l = ink_spf_lint_new_domain("example.com");
 *     if (ink_drive_sync(resolver, ink_spf_lint_machine(l), NULL) == INK_NEXT_DONE)
 *         ... ink_spf_lint_nfindings / ink_spf_lint_finding / ink_spf_lint_tree
 *     ink_spf_lint_free(l);
 *
 * Every query is asked at most once; the walk is repeated over the
 * answers gathered so far until it needs nothing new, so its result does
 * not depend on the order answers arrive in.
 *
 * Findings are the one finding type (inkan/finding.h), area "spf": a
 * stable code (the INK_SPF_LINT_* strings below: scripts may match on
 * them), a severity, a message, the subject (the domain whose record they
 * are about), the byte offset and length of the term in that record (or
 * -1), and, where one can be computed, the fix: the corrected record as a
 * zone-file TXT line.  The corrected record text itself is
 * ink_spf_lint_finding_record().
 */
#ifndef INKAN_SPF_LINT_H
#define INKAN_SPF_LINT_H

#include <stddef.h>
#include <stdint.h>

#include "inkan/dns.h"
#include "inkan/finding.h"
#include "inkan/query.h"

#include "inkan/export.h"

#ifdef __cplusplus
extern "C" {
#endif

INK_API_BEGIN

/* RFC 7208 4.6.4: DNS-querying terms one evaluation may use. */
#define INK_SPF_LINT_LOOKUP_LIMIT 10
/* RFC 7208 4.6.4: MX records an "mx" term may return. */
#define INK_SPF_LINT_MX_LIMIT 10
/* RFC 7208 4.6.4: lookups answering NODATA/NXDOMAIN tolerated. */
#define INK_SPF_LINT_VOID_LIMIT 2
/* Include/redirect nesting the lint follows (the evaluator's limit of 10
 * lookups makes anything deeper a permerror anyway). */
#define INK_SPF_LINT_DEPTH_MAX 12
/* Distinct DNS queries one lint may ask; past this names are not checked. */
#define INK_SPF_LINT_QUERIES_MAX 400
/* Records (include/redirect targets) one lint parses and walks. */
#define INK_SPF_LINT_RECORDS_MAX 200
/* Findings kept; later ones are counted but dropped. */
#define INK_SPF_LINT_FINDINGS_MAX 200
/* A TXT character-string holds at most this many bytes (RFC 1035 3.3). */
#define INK_SPF_LINT_STRING_MAX 255
/* Record size past which the answer risks exceeding a 512-byte UDP
 * response (RFC 7208 3.4 says keep it below 450 bytes). */
#define INK_SPF_LINT_RECORD_SAFE 450
/* Plain UDP DNS answer size without EDNS0 (RFC 1035 4.2.1). */
#define INK_SPF_LINT_UDP_MAX 512
/* ip4/ip6 terms a flattened include may expand to before the lint gives
 * up proposing it. */
#define INK_SPF_LINT_FLATTEN_TERMS_MAX 64

/* Finding codes (stable; documented in man/inkan.1). */
#define INK_SPF_LINT_NO_RECORD "no-spf-record"           /* error: result none */
#define INK_SPF_LINT_NO_DOMAIN "domain-not-found"        /* error: NXDOMAIN */
#define INK_SPF_LINT_DNS_TEMP "dns-temporary-error"      /* warning: temperror */
#define INK_SPF_LINT_DUPLICATE "duplicate-records"       /* error: permerror */
#define INK_SPF_LINT_SYNTAX "syntax-error"               /* error: permerror */
#define INK_SPF_LINT_UNKNOWN_MECH "unknown-mechanism"    /* error: permerror */
#define INK_SPF_LINT_UNKNOWN_MOD "unknown-modifier"      /* info: ignored (warning when
                                                          * it looks like a mistyped
                                                          * mechanism: include=x) */
#define INK_SPF_LINT_PASS_ALL "pass-all"                 /* error: +all */
#define INK_SPF_LINT_NEUTRAL_ALL "neutral-all"           /* warning: ?all */
#define INK_SPF_LINT_NO_ALL "no-all"                     /* warning: no all/redirect */
#define INK_SPF_LINT_AFTER_ALL "terms-after-all"         /* warning: never used */
#define INK_SPF_LINT_REDIRECT_IGNORED "redirect-ignored" /* warning: beside all */
#define INK_SPF_LINT_PTR "ptr-deprecated"                /* warning: RFC 7208 5.5 */
#define INK_SPF_LINT_TOO_MANY_LOOKUPS "too-many-lookups" /* error: permerror */
#define INK_SPF_LINT_LOOKUPS "lookup-count"              /* info: the count */
#define INK_SPF_LINT_MX_TOO_MANY "mx-too-many"           /* error: permerror */
#define INK_SPF_LINT_MX_NO_ADDRESS "mx-host-no-address"  /* warning */
#define INK_SPF_LINT_VOID "void-lookup"                  /* warning: no records */
#define INK_SPF_LINT_TOO_MANY_VOIDS "too-many-void-lookups" /* error */
#define INK_SPF_LINT_INCLUDE_MISSING "include-not-found" /* error: permerror */
#define INK_SPF_LINT_INCLUDE_NO_SPF "include-without-spf" /* error: permerror */
#define INK_SPF_LINT_INCLUDE_TEMP "include-temporary-error" /* warning */
#define INK_SPF_LINT_REDIRECT_MISSING "redirect-not-found" /* error: permerror */
#define INK_SPF_LINT_LOOP "include-loop"                 /* error: permerror */
#define INK_SPF_LINT_DEPTH "too-deep"                    /* error: not followed */
#define INK_SPF_LINT_STRING_LONG "string-too-long"       /* error: > 255 bytes */
#define INK_SPF_LINT_STRING_SPLIT "string-split-in-term" /* warning: joined badly */
#define INK_SPF_LINT_RECORD_LONG "record-too-long"       /* warning: > 450 bytes */
#define INK_SPF_LINT_ANSWER_LONG "answer-over-512"       /* warning: UDP answer */
#define INK_SPF_LINT_SPF_RR "spf-rr-type"                /* warning: RR type 99 */
#define INK_SPF_LINT_EXP "exp-problem"                   /* warning */
#define INK_SPF_LINT_MACRO "invalid-macro"               /* error: permerror */
#define INK_SPF_LINT_MACRO_NOT_FOLLOWED "macro-not-followed" /* info */
#define INK_SPF_LINT_IP "bad-ip-literal"                 /* error: permerror */
#define INK_SPF_LINT_CIDR "bad-cidr"                     /* error: permerror */
#define INK_SPF_LINT_HOST_BITS "network-host-bits"       /* info */
#define INK_SPF_LINT_LIMIT "lint-limit"                  /* info: not checked */
#define INK_SPF_LINT_FLATTEN "flatten-proposal"          /* info: the fix */

/* A record visited, and how it was reached.  The root is the linted
 * domain's record; children are its include/redirect targets, in order. */
struct ink_spf_lint_node {
    char *domain;
    const char *via;        /* "root", "include", "redirect" */
    long offset;            /* of the include/redirect term in the parent */
    char *record;           /* the SPF record text (printable), or NULL */
    const char *status;     /* "ok", "none", "nxdomain", "temperror",
                             * "permerror", "loop", "not-followed" */
    unsigned lookups_self;  /* lookup-counting terms in this record */
    unsigned lookups_total; /* the same, through the whole subtree */
    unsigned voids_total;   /* void lookups in the subtree */
    int repeated;           /* reached before: children not listed again */
    size_t nchild;
    struct ink_spf_lint_node *child;
};

struct ink_spf_lint;

/* ink_spf_lint_new_domain - lint domain's published SPF (looked up).
 * NULL on ENOMEM or when domain is not a valid name.  Caller frees. */
struct ink_spf_lint *ink_spf_lint_new_domain(const char *domain);

/* ink_spf_lint_new_record - lint the record text rec/len as if published
 * at domain (NULL: a placeholder; terms that need the domain itself, like
 * a bare "a" or "mx", are then not looked up).  Includes and redirects are
 * still followed over DNS.  NULL on ENOMEM or a bad domain.  Caller frees. */
struct ink_spf_lint *ink_spf_lint_new_record(const char *domain, const uint8_t *rec,
                                             size_t len);

/* ink_spf_lint_next - advance.  INK_NEXT_READY: *q is one more query to
 * send (q->name owned by l, valid until the next next()/feed()); WAIT:
 * every query is out, feed answers; DONE: results are ready; FAILED: out
 * of memory, the results are not usable. */
enum ink_next ink_spf_lint_next(struct ink_spf_lint *l, struct ink_query *q);

/* ink_spf_lint_feed - the answer to the query handed out with token
 * (borrowed; the lint keeps a copy).  A NULL answer, or one that does not
 * fit the question (ink_query_answer_fits), is a temporary failure, taken
 * as a TIMEOUT answer would be.  0, or -1 when token is not outstanding
 * (nothing changes). */
int ink_spf_lint_feed(struct ink_spf_lint *l, uint32_t token, const struct ink_dns_answer *a);

/* ink_spf_lint_machine - l as a machine for a driver (kind "spf-lint");
 * l stays the caller's */
struct ink_machine ink_spf_lint_machine(struct ink_spf_lint *l);

/* Results, valid after DONE and until ink_spf_lint_free(). */
size_t ink_spf_lint_nfindings(const struct ink_spf_lint *l);
/* Finding i (NULL past the end): area "spf", code one of INK_SPF_LINT_*,
 * subject the domain whose record it is about ("(record)" for a record
 * given without a domain), fix the corrected record as a zone-file TXT
 * line (ink_spf_lint_zone_line; owner the subject, "@" for "(record)")
 * or NULL. */
const struct ink_finding *ink_spf_lint_finding(const struct ink_spf_lint *l, size_t i);
/* The corrected record (text) of finding i, NULL when it has no fix. */
const char *ink_spf_lint_finding_record(const struct ink_spf_lint *l, size_t i);
/* The root's record as linted (NULL when none was found), its domain, and
 * the corrected record combining every computable fix (NULL if nothing
 * to change or no fix could be computed). */
const char *ink_spf_lint_record(const struct ink_spf_lint *l);
const char *ink_spf_lint_domain(const struct ink_spf_lint *l);
const char *ink_spf_lint_fixed_record(const struct ink_spf_lint *l);
/* Worst-case DNS-lookup-counting terms through the whole tree, and void
 * lookups found. */
unsigned ink_spf_lint_lookups(const struct ink_spf_lint *l);
unsigned ink_spf_lint_voids(const struct ink_spf_lint *l);
/* The tree of records visited (NULL before DONE). */
const struct ink_spf_lint_node *ink_spf_lint_tree(const struct ink_spf_lint *l);
/* Highest severity found (enum ink_severity), or -1 when there are no
 * findings. */
int ink_spf_lint_worst(const struct ink_spf_lint *l);

/*
 * ink_spf_lint_zone_line - the TXT record rec/len as one zone-file line
 * for owner ("owner. IN TXT "..." "...""; owner NULL gives "@ IN TXT ...",
 * the zone's origin) with the text split into
 * quoted character-strings of at most INK_SPF_LINT_STRING_MAX bytes,
 * split at spaces where possible and '"' and '\' escaped.  Caller frees;
 * NULL on ENOMEM.
 */
char *ink_spf_lint_zone_line(const char *owner, const char *rec, size_t len);

/* ink_spf_lint_free - release l; NULL is a no-op */
void ink_spf_lint_free(struct ink_spf_lint *l);

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
