/*
 * agg_mail.c - the mail message that carries one aggregate report to one
 * rua mailto: destination (RFC 9990 section 3.5.2), built with GMime in
 * memory: the subject "Report Domain: D Submitter: S Report-ID: <ID>",
 * a Message-ID made of the same Report-ID (3.5.2 suggests it: a resent
 * report is then recognisable), and a multipart/mixed of a short note and
 * the report as application/gzip (or text/xml) named by 3.5.2's file name
 * rule.  Sans-I/O: the Date is a parameter, the MIME boundary is derived
 * from the report and the destination, so the same input gives the same
 * bytes.  Line ends are CRLF, as SMTP carries them.
 */
#include "inkan/report_gen.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <gmime/gmime.h>

/* Longest address accepted (RFC 5321 4.5.3.1.3: a path is at most 256). */
#define AGG_ADDR_MAX 254
/* Longest domain name. */
#define AGG_MAIL_DOMAIN_MAX 253
/* Longest Report-ID accepted in a header. */
#define AGG_RID_MAX 512

/* gm_init - GMime's global set-up, once per process (each module that
 * uses GMime calls it: g_mime_init is itself idempotent) */
static void gm_init(void)
{
    static int done;

    if (!done) {
        g_mime_init();
        done = 1;
    }
}

/* ink_agg_address_ok - a plain addr-spec local@domain: printable ASCII,
 * no space or the specials that would change a header's meaning, one '@' */
int ink_agg_address_ok(const char *a)
{
    const char *at = strrchr(a, '@');
    size_t n = strlen(a), i;

    if (n == 0 || n > AGG_ADDR_MAX || at == NULL || at == a || at[1] == '\0')
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)a[i];
        if (c <= 0x20 || c >= 0x7f || strchr("<>()[],;:\\\"", c) != NULL)
            return 0;
    }
    return strchr(a, '@') == at;
}

/* name_ok - a domain name as the subject carries it */
static int name_ok(const char *d)
{
    size_t n = strlen(d), i;

    if (n == 0 || n > AGG_MAIL_DOMAIN_MAX)
        return 0;
    for (i = 0; i < n; i++)
        if (!(isalnum((unsigned char)d[i]) || d[i] == '-' || d[i] == '.' || d[i] == '_'))
            return 0;
    return 1;
}

/* boundary_hash - FNV-1a over the strings that make this message unique */
static uint64_t boundary_hash(const struct ink_agg_mail *m)
{
    const char *parts[3] = {m->report_id, m->to, m->filename};
    uint64_t h = 1469598103934665603ull;
    size_t i;
    const char *p;

    for (i = 0; i < 3; i++)
        for (p = parts[i]; *p; p++) {
            h ^= (unsigned char)*p;
            h *= 1099511628211ull;
        }
    return h;
}

/* ink_agg_message - the report's message (see report_gen.h) */
int ink_agg_message(const struct ink_agg_mail *m, struct ink_str *out, struct ink_str *err)
{
    GMimeMessage *msg = NULL;
    GMimeMultipart *mp = NULL;
    GMimeTextPart *note = NULL;
    GMimePart *att = NULL;
    GMimeStream *content = NULL, *sink = NULL;
    GMimeDataWrapper *dw = NULL;
    GMimeFormatOptions *fo = NULL;
    GDateTime *date = NULL;
    GByteArray *bytes;
    struct ink_str s = INK_STR_INIT, mid = INK_STR_INIT;
    char boundary[48];
    int rc = -1;

    if (m->from == NULL || !ink_agg_address_ok(m->from)) {
        ink_str_puts(err, "the From address is missing or not a plain local@domain");
        return -1;
    }
    if (m->to == NULL || !ink_agg_address_ok(m->to)) {
        ink_str_puts(err, "the destination is missing or not a plain local@domain");
        return -1;
    }
    if (m->domain == NULL || !name_ok(m->domain) || m->submitter == NULL ||
        !name_ok(m->submitter)) {
        ink_str_puts(err, "the policy domain or the submitter is not a domain name");
        return -1;
    }
    if (m->report_id == NULL || strlen(m->report_id) > AGG_RID_MAX ||
        !ink_agg_report_id_ok(m->report_id)) {
        ink_str_puts(err, "the Report-ID is not dot-atom-text [@ dot-atom-text] (RFC 9990 "
                          "3.5.1)");
        return -1;
    }
    if (m->filename == NULL || m->filename[0] == '\0' || m->report == NULL) {
        ink_str_puts(err, "the report or its file name is missing");
        return -1;
    }
    gm_init();

    msg = g_mime_message_new(TRUE);
    g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, NULL, m->from);
    g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, NULL, m->to);
    if (ink_str_printf(&s, "Report Domain: %s Submitter: %s Report-ID: <%s>", m->domain,
                       m->submitter, m->report_id) < 0)
        goto nomem;
    g_mime_message_set_subject(msg, ink_str_cstr(&s), NULL);
    date = g_date_time_new_from_unix_utc(m->date);
    if (date == NULL) {
        ink_str_puts(err, "the date is out of range");
        goto out;
    }
    g_mime_message_set_date(msg, date);
    if (strchr(m->report_id, '@') != NULL)
        rc = ink_str_puts(&mid, m->report_id);
    else
        rc = ink_str_printf(&mid, "%s@%s", m->report_id, m->submitter);
    if (rc < 0)
        goto nomem;
    rc = -1;
    g_mime_message_set_message_id(msg, ink_str_cstr(&mid));
    /* RFC 3834: a machine sent it; nobody should auto-reply */
    g_mime_object_set_header(GMIME_OBJECT(msg), "Auto-Submitted", "auto-generated", NULL);

    mp = g_mime_multipart_new_with_subtype("mixed");
    snprintf(boundary, sizeof(boundary), "=_inkan-report-%016" PRIx64, boundary_hash(m));
    g_mime_multipart_set_boundary(mp, boundary);

    note = g_mime_text_part_new_with_subtype("plain");
    ink_str_truncate(&s, 0);
    if (ink_str_printf(&s,
                       "This is a DMARC aggregate report (RFC 9990) for %s from %s.\n"
                       "Report-ID: <%s>\nThe report is the attached %s.\n",
                       m->domain, m->submitter, m->report_id, m->filename) < 0)
        goto nomem;
    g_mime_text_part_set_text(note, ink_str_cstr(&s));
    g_mime_multipart_add(mp, GMIME_OBJECT(note));

    att = m->gz ? g_mime_part_new_with_type("application", "gzip")
                : g_mime_part_new_with_type("text", "xml");
    g_mime_part_set_filename(att, m->filename);
    content = g_mime_stream_mem_new_with_buffer((const char *)m->report, m->report_len);
    dw = g_mime_data_wrapper_new_with_stream(content, GMIME_CONTENT_ENCODING_DEFAULT);
    g_mime_part_set_content(att, dw);
    g_mime_part_set_content_encoding(att, GMIME_CONTENT_ENCODING_BASE64);
    g_mime_multipart_add(mp, GMIME_OBJECT(att));
    g_mime_message_set_mime_part(msg, GMIME_OBJECT(mp));

    fo = g_mime_format_options_new();
    g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
    sink = g_mime_stream_mem_new();
    if (g_mime_object_write_to_stream(GMIME_OBJECT(msg), fo, sink) < 0) {
        ink_str_puts(err, "GMime could not write the message");
        goto out;
    }
    bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(sink));
    if (ink_str_append(out, bytes->data, bytes->len) < 0)
        goto nomem;
    rc = 0;
    goto out;
nomem:
    ink_str_puts(err, "out of memory");
out:
    if (fo != NULL)
        g_mime_format_options_free(fo);
    if (sink != NULL)
        g_object_unref(sink);
    if (dw != NULL)
        g_object_unref(dw);
    if (content != NULL)
        g_object_unref(content);
    if (att != NULL)
        g_object_unref(att);
    if (note != NULL)
        g_object_unref(note);
    if (mp != NULL)
        g_object_unref(mp);
    if (date != NULL)
        g_date_time_unref(date);
    if (msg != NULL)
        g_object_unref(msg);
    ink_str_free(&s);
    ink_str_free(&mid);
    return rc;
}
