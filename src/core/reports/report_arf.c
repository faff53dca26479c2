/*
 * report_arf.c - the feedback-report part of a failure report (RFC 5965
 * section 3, RFC 6591 section 3): a block of header fields, unfolded,
 * names matched case-insensitively against the table below.
 */
#include "inkan/arf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "inkan/str.h"

/* Where each known field goes (offset of the char * in struct ink_arf). */
static const struct {
    const char *name;
    size_t off;
    int lower; /* a keyword: lower-cased */
} arf_fields[] = {
    {"Feedback-Type", offsetof(struct ink_arf, feedback_type), 1},
    {"User-Agent", offsetof(struct ink_arf, user_agent), 0},
    {"Version", offsetof(struct ink_arf, version), 0},
    {"Original-Envelope-Id", offsetof(struct ink_arf, original_envelope_id), 0},
    {"Original-Mail-From", offsetof(struct ink_arf, original_mail_from), 0},
    {"Original-Rcpt-To", offsetof(struct ink_arf, original_rcpt_to), 0},
    {"Arrival-Date", offsetof(struct ink_arf, arrival_date), 0},
    {"Received-Date", offsetof(struct ink_arf, arrival_date), 0},
    {"Reporting-MTA", offsetof(struct ink_arf, reporting_mta), 0},
    {"Source-IP", offsetof(struct ink_arf, source_ip), 0},
    {"Incidents", offsetof(struct ink_arf, incidents), 0},
    {"Authentication-Results", offsetof(struct ink_arf, authentication_results), 0},
    {"Auth-Failure", offsetof(struct ink_arf, auth_failure), 1},
    {"Delivery-Result", offsetof(struct ink_arf, delivery_result), 1},
    {"DKIM-Domain", offsetof(struct ink_arf, dkim_domain), 1},
    {"DKIM-Identity", offsetof(struct ink_arf, dkim_identity), 0},
    {"DKIM-Selector", offsetof(struct ink_arf, dkim_selector), 0},
    {"SPF-DNS", offsetof(struct ink_arf, spf_dns), 0},
    {"Identity-Alignment", offsetof(struct ink_arf, identity_alignment), 1},
};

#define ARF_NFIELDS (sizeof(arf_fields) / sizeof(arf_fields[0]))

/* fail - say why at offset; returns -1 */
static int fail(char *why, size_t whylen, size_t *offset, size_t at, const char *msg)
{
    if (why && whylen)
        snprintf(why, whylen, "%s", msg);
    if (offset)
        *offset = at;
    return -1;
}

/* ink_arf_parse - the fields of a feedback-report part */
int ink_arf_parse(const uint8_t *buf, size_t len, struct ink_arf *out, char *why, size_t whylen,
                  size_t *offset)
{
    size_t i = 0, nfields = 0;
    char msg[160];

    memset(out, 0, sizeof(*out));
    if (len > INK_ARF_PART_MAX) {
        snprintf(msg, sizeof(msg), "feedback-report part longer than %d bytes", INK_ARF_PART_MAX);
        return fail(why, whylen, offset, INK_ARF_PART_MAX, msg);
    }
    while (i < len) {
        size_t start = i, name_end, k;
        struct ink_str v = INK_STR_INIT;
        char **slot = NULL;
        int lower = 0;

        if (buf[i] == '\r' || buf[i] == '\n') { /* blank line: the block ends */
            if (buf[i] == '\r' && i + 1 < len && buf[i + 1] == '\n')
                i++;
            i++;
            continue;
        }
        if (buf[i] == ' ' || buf[i] == '\t')
            return fail(why, whylen, offset, i, "a continuation line with no field before it");
        while (i < len && buf[i] != ':' && buf[i] > 32 && buf[i] < 127)
            i++;
        if (i == start || i >= len || buf[i] != ':')
            return fail(why, whylen, offset, start, "a line that is not a 'Name: value' field");
        name_end = i++;
        if (++nfields > INK_ARF_FIELDS_MAX) {
            snprintf(msg, sizeof(msg), "more than %d fields", INK_ARF_FIELDS_MAX);
            return fail(why, whylen, offset, start, msg);
        }
        /* the value, folded lines joined by one space */
        for (;;) {
            size_t b = i;
            while (i < len && buf[i] != '\r' && buf[i] != '\n')
                i++;
            if (ink_str_append(&v, buf + b, i - b) < 0) {
                ink_str_free(&v);
                return fail(why, whylen, offset, b, "out of memory");
            }
            if (v.len > INK_ARF_VALUE_MAX) {
                ink_str_free(&v);
                snprintf(msg, sizeof(msg), "a field value longer than %d bytes",
                         INK_ARF_VALUE_MAX);
                return fail(why, whylen, offset, start, msg);
            }
            if (i < len && buf[i] == '\r')
                i++;
            if (i < len && buf[i] == '\n')
                i++;
            if (i < len && (buf[i] == ' ' || buf[i] == '\t'))
                continue;
            break;
        }
        for (k = 0; k < ARF_NFIELDS; k++)
            if (strlen(arf_fields[k].name) == name_end - start &&
                strncasecmp(arf_fields[k].name, (const char *)buf + start, name_end - start) == 0)
                break;
        if (k < ARF_NFIELDS) {
            slot = (char **)((char *)out + arf_fields[k].off);
            lower = arf_fields[k].lower;
        } else if (name_end - start == 15 &&
                   strncasecmp("Reported-Domain", (const char *)buf + start, 15) == 0) {
            if (out->nreported_domain < INK_ARF_DOMAINS_MAX)
                slot = &out->reported_domain[out->nreported_domain++];
            lower = 1;
        }
        if (slot != NULL) {
            const char *s = v.buf ? v.buf : "";
            size_t b = 0, e = v.len, j;
            char *val;
            while (b < e && (s[b] == ' ' || s[b] == '\t'))
                b++;
            while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t'))
                e--;
            val = ink_memdup_cstr(s + b, e - b);
            if (val == NULL) {
                ink_str_free(&v);
                return fail(why, whylen, offset, start, "out of memory");
            }
            for (j = 0; lower && val[j]; j++)
                if (val[j] >= 'A' && val[j] <= 'Z')
                    val[j] = (char)(val[j] - 'A' + 'a');
            free(*slot); /* a repeated field: the last one wins */
            *slot = val;
        }
        ink_str_free(&v);
    }
    if (out->feedback_type == NULL)
        return fail(why, whylen, offset, len, "no Feedback-Type field (RFC 5965 requires it)");
    if (out->user_agent == NULL)
        return fail(why, whylen, offset, len, "no User-Agent field (RFC 5965 requires it)");
    if (out->version == NULL)
        return fail(why, whylen, offset, len, "no Version field (RFC 5965 requires it)");
    return 0;
}

/* redact_one - "local@domain" (maybe in <>) becomes "redacted@domain" */
static int redact_one(char **p)
{
    char *at, *n;
    struct ink_str s = INK_STR_INIT;

    if (*p == NULL)
        return 0;
    at = strrchr(*p, '@');
    if (at == NULL) {
        free(*p);
        *p = ink_memdup_cstr("redacted", 8);
        return *p ? 0 : -1;
    }
    if (ink_str_printf(&s, "%sredacted%s", (*p)[0] == '<' ? "<" : "", at) < 0) {
        ink_str_free(&s);
        return -1;
    }
    n = ink_str_steal(&s);
    if (n == NULL)
        return -1;
    free(*p);
    *p = n;
    return 0;
}

/* ink_arf_redact - keep only the domains of addresses */
int ink_arf_redact(struct ink_arf *a)
{
    if (redact_one(&a->original_mail_from) < 0 || redact_one(&a->original_rcpt_to) < 0 ||
        redact_one(&a->dkim_identity) < 0)
        return -1;
    return 0;
}

/* ink_arf_clear - free the fields */
void ink_arf_clear(struct ink_arf *a)
{
    size_t k;

    for (k = 0; k < ARF_NFIELDS; k++) {
        char **slot = (char **)((char *)a + arf_fields[k].off);
        free(*slot);
        *slot = NULL; /* Arrival-Date and Received-Date share one slot */
    }
    for (k = 0; k < a->nreported_domain; k++)
        free(a->reported_domain[k]);
    memset(a, 0, sizeof(*a));
}
