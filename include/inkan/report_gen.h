/*
 * inkan/report_gen.h - sending our own DMARC aggregate reports (RFC 9990)
 * as a receiver: the report builder, its file name, the mail message that
 * carries it, and the gzip container.
 *
 * The builder is sans-I/O (src/core/reports/agg_build.c): evaluation rows
 * go in (one per message, or pre-counted), equal rows are grouped into one
 * <record> with their count, and out comes the XML of one report, valid
 * against the RFC 9990 schema (../shared/specs/dmarc-xml-0.2.xsd) and
 * escaped throughout (libxml2's text writer; invalid UTF-8 and characters
 * XML 1.0 cannot carry are replaced first).  A value the schema does not
 * allow (a disposition, a result) is refused when the row is added, with
 * the field named, so a report that is built is a report that validates.
 *
 * The message builder (agg_mail.c, GMime, sans-I/O: the time is a
 * parameter) wraps a compressed report in an RFC 5322 / RFC 2045 message
 * with the RFC 9990 section 3.5.2 subject.  The gzip step (src/reports/
 * agg_gzip.c, libarchive) lives with the adapters, beside the import.
 */
#ifndef INKAN_REPORT_GEN_H
#define INKAN_REPORT_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "inkan/str.h"

#include "inkan/export.h"

#ifdef __cplusplus
extern "C" {
#endif

INK_API_BEGIN

/* Distinct <record>s one report holds; the next row is refused (a large
 * receiver's daily report to one domain has a few thousand). */
#define INK_AGG_RECORDS_MAX 100000
/* DKIM results kept per record: RFC 9990 section 3.1.3 says no more than
 * 100 per row, in its order of preference; more are dropped. */
#define INK_AGG_DKIM_MAX 100
/* Override reasons kept per record. */
#define INK_AGG_REASONS_MAX 8
/* Bytes of one text field taken from a row or the metadata (a domain is
 * at most 253; comments are cut here). */
#define INK_AGG_FIELD_MAX 1024
/* Bytes of the XML of one report (its records bound it well below). */
#define INK_AGG_XML_MAX ((size_t)256 << 20)

/* report_metadata and policy_published of one report (all borrowed).
 * Required: org_name, email, report_id, begin <= end, domain, p. */
struct ink_agg_meta {
    const char *org_name, *email, *extra_contact_info, *report_id;
    const char *generator;     /* e.g. "inkan 0.1.0", or NULL */
    const char *error;         /* <error>, or NULL */
    int64_t begin, end;        /* seconds since the epoch, UTC */
    const char *domain;        /* the DMARC Policy Domain */
    const char *p, *sp, *np;   /* "none", "quarantine", "reject"; sp, np may be NULL */
    const char *adkim, *aspf;  /* "r" / "s", or NULL */
    const char *discovery_method; /* "psl" / "treewalk", or NULL */
    const char *fo;            /* or NULL */
    const char *testing;       /* "n" / "y", or NULL */
};

struct ink_agg_dkim {
    const char *domain, *selector, *result, *human_result; /* human_result may be NULL */
};

struct ink_agg_reason {
    const char *type, *comment; /* comment may be NULL */
};

/* One evaluation row (all borrowed for the call). */
struct ink_agg_row {
    const char *source_ip;      /* required */
    uint64_t count;             /* messages; 0 counts as 1 */
    const char *disposition;    /* "none", "pass", "quarantine", "reject" */
    const char *dkim, *spf;     /* the DMARC-aligned results: "pass" / "fail" */
    const struct ink_agg_reason *reasons;
    size_t nreasons;
    const char *header_from;    /* required */
    const char *envelope_from;  /* NULL: absent; "": a null reverse-path */
    const char *envelope_to;    /* or NULL */
    const struct ink_agg_dkim *dkim_auth;
    size_t ndkim;
    const char *spf_domain;     /* NULL: no SPF result */
    const char *spf_scope;      /* "mfrom" or NULL */
    const char *spf_result;     /* RFC 8601 2.7.2 word */
    const char *spf_human;      /* or NULL */
};

struct ink_agg;

/* ink_agg_new - an empty report under construction; NULL on ENOMEM.
 * Free with ink_agg_free. */
struct ink_agg *ink_agg_new(void);
/* ink_agg_free - release; NULL is a no-op */
void ink_agg_free(struct ink_agg *a);
/*
 * ink_agg_add - add one row: counted into the record of an equal row
 * (same source, results, identifiers, auth results), else a new record.
 * 0; -1 with the reason in err (the field and its value, printable and
 * cut short) for a missing or schema-invalid value, past
 * INK_AGG_RECORDS_MAX, a count overflow or ENOMEM; nothing is added then.
 */
int ink_agg_add(struct ink_agg *a, const struct ink_agg_row *r, struct ink_str *err);
/* ink_agg_records - distinct records so far */
size_t ink_agg_records(const struct ink_agg *a);
/* ink_agg_messages - messages so far (the sum of the counts) */
uint64_t ink_agg_messages(const struct ink_agg *a);
/*
 * ink_agg_xml - append the report's XML to out: records in a stable order
 * (by source address text, then the rest), DKIM results in RFC 9990 3.1.3's
 * order of preference.  0; -1 with the reason in err for missing or
 * invalid metadata, a report without records (the schema requires one:
 * an empty period has no report), or ENOMEM.
 */
int ink_agg_xml(const struct ink_agg *a, const struct ink_agg_meta *m, struct ink_str *out,
                struct ink_str *err);

/*
 * ink_agg_filename - append the RFC 9990 3.5.2 attachment file name
 * "receiver!policy-domain!begin!end[!unique-id].xml[.gz]" to out.
 * unique_id may be NULL (letters and digits only otherwise).  0, or -1
 * when a part is not a domain name / the id not alphanumeric / ENOMEM.
 */
int ink_agg_filename(const char *receiver, const char *domain, int64_t begin, int64_t end,
                     const char *unique_id, int gz, struct ink_str *out);
/*
 * ink_agg_filename_parse - the parts of such a name (len bytes of name;
 * the directory already cut off): receiver and domain copied into the
 * given buffers of cap bytes each, *gz set for ".xml.gz".  0, or -1 when
 * it is not such a name.
 */
int ink_agg_filename_parse(const char *name, size_t len, char *receiver, char *domain,
                           size_t cap, int64_t *begin, int64_t *end, int *gz);
/* ink_agg_report_id_ok - 1 when id is RFC 9990 section 3.5.1's ridfmt
 * (dot-atom-text ["@" dot-atom-text]) */
int ink_agg_report_id_ok(const char *id);

/* ink_agg_address_ok - 1 when a is a plain addr-spec local@domain the
 * message builder takes (printable ASCII, none of <>()[],;:\" or space) */
int ink_agg_address_ok(const char *a);

/* What the report message carries (all borrowed). */
struct ink_agg_mail {
    const char *from;        /* addr-spec of the sender */
    const char *to;          /* addr-spec of the rua destination */
    const char *domain;      /* the policy domain (subject) */
    const char *submitter;   /* our domain (subject) */
    const char *report_id;   /* ridfmt (subject, Message-ID) */
    const char *filename;    /* the attachment's name */
    const uint8_t *report;   /* the attachment's bytes */
    size_t report_len;
    int gz;                  /* application/gzip, else text/xml */
    int64_t date;            /* the Date field, seconds since the epoch */
};

/*
 * ink_agg_message - append to out the message (CRLF line ends): From, To,
 * Subject "Report Domain: D Submitter: S Report-ID: <ID>", Date,
 * Message-ID <ID> (with "@submitter" when ID has no "@"), MIME-Version,
 * a multipart/mixed of a short text/plain note and the report as a base64
 * attachment.  0; -1 with the reason in err for a missing or malformed
 * address or name, or ENOMEM.
 */
int ink_agg_message(const struct ink_agg_mail *m, struct ink_str *out, struct ink_str *err);

/* Bytes a report may decompress to when read back (ink_agg_gunzip). */
#define INK_AGG_GUNZIP_MAX ((size_t)256 << 20)

/* ink_agg_gzip - append the gzip (RFC 1952) of len bytes to out, with no
 * name and no time stamp (the same report gives the same bytes); 0, or -1
 * with the reason in err.  An adapter (src/reports/agg_gzip.c). */
int ink_agg_gzip(const uint8_t *buf, size_t len, struct ink_str *out, struct ink_str *err);
/* ink_agg_gunzip - append what len bytes of gzip decompress to (at most
 * INK_AGG_GUNZIP_MAX) to out; 0, or -1 with the reason in err */
int ink_agg_gunzip(const uint8_t *buf, size_t len, struct ink_str *out, struct ink_str *err);

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
