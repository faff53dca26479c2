/*
 * inkan/report.h - the DMARC aggregate report parser: RFC 7489 appendix C
 * XML (no namespace, or the 0.1 draft's http://dmarc.org/dmarc-xml/0.1)
 * and RFC 9990 (urn:ietf:params:xml:ns:dmarc-2.0).
 *
 * The parser streams: bytes are pushed in chunks of any size
 * (ink_report_feed), libxml2's SAX push parser turns them into events,
 * and every <record> is handed to the caller's callback as soon as it
 * ends, then forgotten.  Memory depends on the limits below, not on the
 * size of the report.  Before the first record (or at the end of a report
 * without records) the metadata callback receives report_metadata and
 * policy_published, checked: a report without org_name, report_id, a
 * date range or a policy domain is refused there.
 *
 * A document type declaration is refused outright (no DMARC report has
 * one): that shuts out entity expansion ("billion laughs") and external
 * entities (XXE) before any declaration is read.  Network access is off
 * (XML_PARSE_NONET); entities are never substituted.
 *
 * Sloppy reporters are accepted with a note (upper-case values, values
 * padded with whitespace, missing optional fields, a date range longer
 * than a day, an unknown namespace); see enum ink_report_note.
 */
#ifndef INKAN_REPORT_H
#define INKAN_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "inkan/query.h"
#include "inkan/export.h"

#ifdef __cplusplus
extern "C" {
#endif

INK_API_BEGIN

/* Records one report may hold (a large provider's daily report has a few
 * thousand); the next one refuses the report. */
#define INK_REPORT_RECORDS_MAX 200000
/* Element nesting the parser follows (a report is 6 deep). */
#define INK_REPORT_DEPTH_MAX 32
/* Bytes of one text field (a domain is at most 253; comments are longer). */
#define INK_REPORT_FIELD_MAX 2048
/* DKIM or SPF auth_results kept per record; more are counted, not kept. */
#define INK_REPORT_AUTH_MAX 16
/* policy_evaluated reasons kept per record; more are counted, not kept. */
#define INK_REPORT_REASONS_MAX 8
/* Seconds a date range may span before it earns a note (one day, plus an
 * hour of slack for reporters that overlap). */
#define INK_REPORT_RANGE_NOTE_SECONDS (25 * 3600)

/* Which schema the root element's namespace says. */
enum ink_report_format {
    INK_REPORT_FORMAT_RFC7489 = 0, /* no namespace */
    INK_REPORT_FORMAT_DRAFT01,     /* http://dmarc.org/dmarc-xml/0.1 */
    INK_REPORT_FORMAT_RFC9990,     /* urn:ietf:params:xml:ns:dmarc-2.0 */
    INK_REPORT_FORMAT_UNKNOWN      /* another namespace: read as RFC 9990, noted */
};

/* What a lenient read noted (each counted, the first offset kept). */
enum ink_report_note {
    INK_REPORT_NOTE_UPPER_CASE = 0,   /* "PASS", "None": lower-cased */
    INK_REPORT_NOTE_WHITESPACE,       /* a value padded with spaces or newlines: trimmed */
    INK_REPORT_NOTE_MISSING_OPTIONAL, /* email, adkim, aspf, p, auth_results... absent */
    INK_REPORT_NOTE_LONG_RANGE,       /* date range longer than INK_REPORT_RANGE_NOTE_SECONDS */
    INK_REPORT_NOTE_UNKNOWN_NAMESPACE,
    INK_REPORT_NOTE_UNKNOWN_ELEMENT,  /* an element no schema has: skipped */
    INK_REPORT_NOTE_UNKNOWN_VALUE,    /* a result or disposition no schema has: kept */
    INK_REPORT_NOTE_EXTRA_AUTH,       /* auth results or reasons past the _MAX: counted */
    INK_REPORT_NOTE_COUNT
};

/* report_metadata and policy_published; strings are NUL-terminated,
 * owned by the parser and valid during the callback only.  NULL = absent. */
struct ink_report_meta {
    enum ink_report_format format;
    const char *version;        /* <version> (RFC 9990), or NULL */
    const char *org_name;       /* required */
    const char *email;
    const char *extra_contact_info;
    const char *report_id;      /* required */
    const char *generator;
    const char *error;          /* the first <error> */
    int64_t begin, end;         /* date_range, seconds since the epoch (required) */
    const char *domain;         /* policy_published/domain, lower case (required) */
    char adkim, aspf;           /* 'r' or 's' ('r' when absent) */
    const char *p, *sp, *np;    /* "none", "quarantine", "reject" (lower case), or NULL */
    int pct;                    /* 0..100, -1 when absent */
    const char *fo;
    const char *testing;        /* RFC 9990 t=: "n" or "y", or NULL */
    const char *discovery_method; /* RFC 9990: "psl" or "treewalk", or NULL */
};

struct ink_report_dkim_auth {
    const char *domain, *selector, *result, *human_result;
};

struct ink_report_spf_auth {
    const char *domain, *scope, *result, *human_result;
};

struct ink_report_reason {
    const char *type, *comment;
};

/* One <record>; strings as in struct ink_report_meta. */
struct ink_report_record {
    size_t offset;              /* byte offset of <record> in the report */
    const char *source_ip;      /* canonical text form (required) */
    uint64_t count;             /* messages (required) */
    const char *disposition;    /* policy_evaluated, lower case; NULL = absent */
    const char *dkim, *spf;     /* policy_evaluated: "pass" / "fail"; NULL = absent */
    struct ink_report_reason reason[INK_REPORT_REASONS_MAX];
    size_t nreason;
    const char *header_from;    /* lower case */
    const char *envelope_from, *envelope_to;
    struct ink_report_dkim_auth dkim_auth[INK_REPORT_AUTH_MAX];
    size_t ndkim;
    struct ink_report_spf_auth spf_auth[INK_REPORT_AUTH_MAX];
    size_t nspf;
};

/* Overridable limits (tests set small ones); zero fields take the _MAX. */
struct ink_report_limits {
    size_t records_max;
    size_t depth_max;
    size_t field_max;
};

/*
 * The callbacks: return 0 to go on, anything else to stop the parse
 * (ink_report_feed/finish then return -1 with INK_REPORT_E_STOPPED; the
 * caller knows why: a duplicate, a database error).
 */
struct ink_report_callbacks {
    int (*meta)(void *ctx, const struct ink_report_meta *m);
    int (*record)(void *ctx, const struct ink_report_record *r);
};

/* Why a report was refused. */
enum ink_report_error {
    INK_REPORT_OK = 0,
    INK_REPORT_E_XML,          /* not well-formed, invalid UTF-8, truncated */
    INK_REPORT_E_DTD,          /* a document type declaration (entities, XXE) */
    INK_REPORT_E_NOT_REPORT,   /* the root is not <feedback> */
    INK_REPORT_E_MISSING,      /* a required field is absent */
    INK_REPORT_E_INVALID,      /* a field's value is not what it must be */
    INK_REPORT_E_LIMIT,        /* records, nesting or a field past its limit */
    INK_REPORT_E_STOPPED,      /* a callback said stop */
    INK_REPORT_E_NOMEM
};

struct ink_report_parser;

/* ink_report_new - a parser calling cb with ctx; lim may be NULL.  NULL
 * when out of memory.  Free with ink_report_free. */
struct ink_report_parser *ink_report_new(const struct ink_report_limits *lim,
                                         const struct ink_report_callbacks *cb, void *ctx);
/* ink_report_feed - push the next len bytes; 0, or -1 once refused (the
 * error stays; later feeds do nothing and return -1) */
int ink_report_feed(struct ink_report_parser *p, const uint8_t *buf, size_t len);
/* ink_report_finish - the input is complete; 0 when the report was whole
 * and accepted (the meta callback has run), -1 when refused */
int ink_report_finish(struct ink_report_parser *p);
/* ink_report_error - why it was refused (INK_REPORT_OK when not) */
enum ink_report_error ink_report_error(const struct ink_report_parser *p);
/* ink_report_error_message - the reason for a person, naming the field or
 * the XML problem (static to p, valid until it is freed); "" when none */
const char *ink_report_error_message(const struct ink_report_parser *p);
/* ink_report_error_offset - byte offset in the input where it was found */
size_t ink_report_error_offset(const struct ink_report_parser *p);
/* ink_report_records - records handed to the callback so far */
size_t ink_report_records(const struct ink_report_parser *p);
/* ink_report_note_count - how often a note was taken, and *offset the
 * byte offset of the first (offset may be NULL) */
size_t ink_report_note_count(const struct ink_report_parser *p, enum ink_report_note n,
                             size_t *offset);
/* ink_report_note_name - "upper-case", "whitespace", ... (static) */
const char *ink_report_note_name(enum ink_report_note n);
/* ink_report_format_name - "rfc7489", "draft-0.1", "rfc9990", "unknown-namespace" */
const char *ink_report_format_name(enum ink_report_format f);
/* ink_report_free - free the parser; NULL is a no-op */
void ink_report_free(struct ink_report_parser *p);

/*
 * ink_report_parse - the whole report in one buffer: new, feed, finish.
 * Returns 0 or -1; the error, message and offset are copied to *err,
 * msg (msglen bytes, NUL-terminated) and *offset when not NULL.
 */
int ink_report_parse(const uint8_t *buf, size_t len, const struct ink_report_limits *lim,
                     const struct ink_report_callbacks *cb, void *ctx,
                     enum ink_report_error *err, char *msg, size_t msglen, size_t *offset);

/*
 * ink_report_source_class - what a sending source looks like from its
 * totals over the stored reports (static string):
 *   "aligned"            every message passed DMARC;
 *   "legitimate-failing" some failed DMARC although SPF or DKIM passed for
 *                        some domain (it authenticates, but not aligned:
 *                        a platform to fix with an include or a selector);
 *   "forwarder"          some failed, none authenticated, yet DKIM passed
 *                        aligned for others and SPF never did (mail
 *                        relayed on: SPF breaks, DKIM mostly survives);
 *   "unknown"            failed with nothing authenticated (spoofing or an
 *                        unknown sender).
 * A heuristic over report data alone; platform recognition will refine it.
 */
const char *ink_report_source_class(uint64_t messages, uint64_t dmarc_pass,
                                    uint64_t spf_aligned_pass, uint64_t dkim_aligned_pass,
                                    uint64_t fail_authenticated);

/* What enforcing the policy would do to a domain's mail, from its sources:
 * the messages that fail DMARC, split by how their source looks. */
struct ink_report_readiness {
    uint64_t messages;
    uint64_t fail_legitimate; /* from "legitimate-failing" sources */
    uint64_t fail_forwarded;  /* from "forwarder" sources */
    uint64_t fail_unknown;    /* from "unknown" sources (spoofing) */
};

/* ink_report_readiness_add - count one source (class from
 * ink_report_source_class) into r */
void ink_report_readiness_add(struct ink_report_readiness *r, uint64_t messages,
                              uint64_t dmarc_pass, const char *cls);

/*
 * ink_report_next_step - the staged rollout's next step for a domain whose
 * reports saw policy p (NULL: unknown) and t= testing ("y" or NULL), given
 * r (static text): fix the legitimate failing sources while any remain;
 * else none -> quarantine with t=y -> quarantine -> reject -> keep watching.
 */
const char *ink_report_next_step(const struct ink_report_readiness *r, const char *p,
                                 const char *testing);

/*
 * The reverse name of a report source: one PTR query through the query
 * protocol (inkan/query.h), for the summary (cached in the store).
 */
enum ink_ptr_result {
    INK_PTR_PENDING = 0, /* not answered yet */
    INK_PTR_FOUND,       /* a PTR name */
    INK_PTR_NONE,        /* NXDOMAIN / NODATA: no reverse name */
    INK_PTR_TEMP         /* SERVFAIL, timeout, an unfitting answer: ask again later */
};
struct ink_ptr_lookup;
/* ink_ptr_lookup_new - the lookup of ip (text); NULL when ip is no
 * address or out of memory.  Free with ink_ptr_lookup_free. */
struct ink_ptr_lookup *ink_ptr_lookup_new(const char *ip);
enum ink_next ink_ptr_lookup_next(struct ink_ptr_lookup *m, struct ink_query *q);
int ink_ptr_lookup_feed(struct ink_ptr_lookup *m, uint32_t token,
                        const struct ink_dns_answer *answer);
struct ink_machine ink_ptr_lookup_machine(struct ink_ptr_lookup *m);
/* ink_ptr_lookup_result - the outcome; *name (may be NULL) the PTR target
 * when FOUND (owned by m), else NULL */
enum ink_ptr_result ink_ptr_lookup_result(const struct ink_ptr_lookup *m, const char **name);
void ink_ptr_lookup_free(struct ink_ptr_lookup *m);

/*
 * The sending-platform map (data/platforms.yaml, docs in inkan(1)):
 *     platforms:
 *       - name: sendgrid
 *         ptr: [sendgrid.net]      reverse-name suffixes
 *         spf: [sendgrid.net]      suffixes of domains SPF passed for
 *         dkim: [sendgrid.net]     suffixes of DKIM d= domains that passed
 */
/* Bytes of a map file. */
#define INK_PLATFORMS_SIZE_MAX (256 * 1024)
/* Nesting of a map (top mapping, list, entry, suffix list = 4). */
#define INK_PLATFORMS_DEPTH_MAX 8
/* Platforms in one map. */
#define INK_PLATFORMS_MAX 256
/* Suffixes of one kind per platform. */
#define INK_PLATFORM_SUFFIXES_MAX 64
/* Bytes of one value (a domain name is at most 253). */
#define INK_PLATFORMS_SCALAR_MAX 255

struct ink_platforms;
struct ink_str;
/* ink_platforms_parse - YAML bytes to a map; NULL with "line:col: why"
 * in err.  Free with ink_platforms_free. */
struct ink_platforms *ink_platforms_parse(const uint8_t *buf, size_t len, struct ink_str *err);
/* ink_platforms_match - the platform name (static to m) of a source from
 * its PTR name, else the DKIM d= domains, else the SPF domains it passed
 * for (space-separated, "d/s" allowed; each may be NULL); NULL: none */
const char *ink_platforms_match(const struct ink_platforms *m, const char *ptr,
                                const char *dkim_domains, const char *spf_domains);
size_t ink_platforms_count(const struct ink_platforms *m);
void ink_platforms_free(struct ink_platforms *m);

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
