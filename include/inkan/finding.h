/*
 * inkan/finding.h - the one finding type and severity scale shared by
 * SPF lint, DMARC lint, the domain audit and provisioning.
 *
 * A finding says what is wrong (or worth knowing) about one record or
 * name, in words for a person, with a stable code for programs, and, when
 * one can be computed, the exact fix to publish.
 */
#ifndef INKAN_FINDING_H
#define INKAN_FINDING_H

#include <stddef.h>

#include "inkan/export.h"

#ifdef __cplusplus
extern "C" {
#endif

INK_API_BEGIN

/* The one severity scale, lowest first. */
enum ink_severity { INK_SEV_INFO = 0, INK_SEV_WARNING, INK_SEV_ERROR };

struct ink_finding {
    enum ink_severity severity;
    const char *area;  /* "spf", "dkim", "dmarc", "mx", "ptr", "helo", "cname",
                        * "mta-sts", "tls-rpt", "bimi", "provision" (static) */
    const char *code;  /* stable identifier, e.g. "spf-lookup-limit" (static) */
    char *subject;     /* the DNS name or address it is about (owned), or NULL */
    char *message;     /* for a person, printable (owned) */
    long offset;       /* byte offset in the subject's record, or -1 */
    size_t length;     /* length of the span at offset (0 when offset is -1) */
    char *fix;         /* zone-file line(s) to publish, "\n"-separated
                        * (owned), or NULL */
};

/* ink_severity_name - "info", "warning", "error" */
const char *ink_severity_name(enum ink_severity s);
/* ink_finding_clear - free what f owns and zero it; NULL is a no-op */
void ink_finding_clear(struct ink_finding *f);

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
