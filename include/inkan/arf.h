/*
 * inkan/arf.h - the machine-readable part of a DMARC failure report: the
 * message/feedback-report fields of the Abuse Reporting Format (RFC 5965)
 * with the authentication failure extensions (RFC 6591).
 *
 * The part is a block of header fields ("Name: value", folded lines
 * joined); the three fields RFC 5965 requires (Feedback-Type, User-Agent,
 * Version) must be there, the rest is kept when present.  Field names are
 * case-insensitive; unknown fields are skipped.  ink_arf_redact keeps only
 * the domain of every address (GDPR: failure reports carry personal data).
 */
#ifndef INKAN_ARF_H
#define INKAN_ARF_H

#include <stddef.h>
#include <stdint.h>

#include "inkan/export.h"

#ifdef __cplusplus
extern "C" {
#endif

INK_API_BEGIN

/* Bytes of a feedback-report part accepted (real ones are under 2 KB). */
#define INK_ARF_PART_MAX 65536
/* Fields one part may have. */
#define INK_ARF_FIELDS_MAX 128
/* Reported-Domain fields kept. */
#define INK_ARF_DOMAINS_MAX 8
/* Bytes of one field's value. */
#define INK_ARF_VALUE_MAX 4096

/* The fields; each an owned NUL-terminated string or NULL when absent. */
struct ink_arf {
    char *feedback_type;      /* "auth-failure" for DMARC (lower-cased) */
    char *user_agent;
    char *version;
    char *original_envelope_id;
    char *original_mail_from;
    char *original_rcpt_to;
    char *arrival_date;
    char *reporting_mta;
    char *source_ip;
    char *incidents;
    char *authentication_results;
    char *auth_failure;       /* "dmarc", "spf", "signature", ... (lower-cased) */
    char *delivery_result;
    char *dkim_domain, *dkim_identity, *dkim_selector;
    char *spf_dns;
    char *identity_alignment;
    char *reported_domain[INK_ARF_DOMAINS_MAX];
    size_t nreported_domain;
};

/*
 * ink_arf_parse - parse a feedback-report part of len bytes into *out
 * (zeroed first; free with ink_arf_clear even on failure).  0, or -1 with
 * the reason in why (whylen bytes) and its byte offset in *offset.
 */
int ink_arf_parse(const uint8_t *buf, size_t len, struct ink_arf *out, char *why, size_t whylen,
                  size_t *offset);
/* ink_arf_redact - replace the local part of every address with
 * "redacted" (Original-Mail-From, Original-Rcpt-To, DKIM-Identity);
 * 0, or -1 out of memory */
int ink_arf_redact(struct ink_arf *a);
/* ink_arf_clear - free what a holds and zero it */
void ink_arf_clear(struct ink_arf *a);

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
