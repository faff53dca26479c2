/*
 * import.c - the report import adapter (include/inkan/report_import.h):
 * the first bytes tell a mail message or mbox (GMime walks its parts and
 * each xml, gzip or zip attachment is imported) from a report file;
 * libarchive opens the file (zip, gzip or plain, by content), each entry
 * is read in INK_IMPORT_CHUNK pieces into the SHA-256 of its bytes and the
 * streaming parser, whose callbacks write the report into the store as
 * one transaction: begun at the metadata (a known org_name + report_id is
 * a duplicate there), a row per record, committed after the last byte
 * (known bytes are a duplicate there).  A refused report is rolled back.
 */
#include "inkan/report_import.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <gmime/gmime.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "inkan/str.h"

/* One report being imported. */
struct job {
    struct ink_store *store;
    const char *source;
    struct ink_import_result *res;
    int began;        /* the store holds an open report */
    int duplicate;    /* the store said so at the metadata */
    int failed;       /* the store failed */
    struct ink_str err;
};

/* on_meta - open the report's transaction */
static int on_meta(void *ctx, const struct ink_report_meta *m)
{
    struct job *j = ctx;
    int rc;

    snprintf(j->res->domain, sizeof(j->res->domain), "%s", m->domain);
    snprintf(j->res->org_name, sizeof(j->res->org_name), "%s", m->org_name);
    snprintf(j->res->report_id, sizeof(j->res->report_id), "%s", m->report_id);
    rc = ink_store_report_begin(j->store, m, j->source, &j->err);
    if (rc == INK_STORE_EXISTS) {
        j->duplicate = 1;
        return 1;
    }
    if (rc != 0) {
        j->failed = 1;
        return 1;
    }
    j->began = 1;
    return 0;
}

/* on_record - one row into the open report */
static int on_record(void *ctx, const struct ink_report_record *r)
{
    struct job *j = ctx;

    if (ink_store_report_record(j->store, r, &j->err) < 0) {
        j->failed = 1;
        return 1;
    }
    j->res->records++;
    j->res->messages += r->count;
    return 0;
}

/* notes_text - "upper-case x3 at byte 120, ..." of what the parser noted */
static void notes_text(const struct ink_report_parser *p, struct ink_str *out)
{
    int n;

    for (n = 0; n < INK_REPORT_NOTE_COUNT; n++) {
        size_t off = 0, c = ink_report_note_count(p, (enum ink_report_note)n, &off);
        if (c == 0)
            continue;
        ink_str_printf(out, "%s%s x%zu (first at byte %zu)", out->len ? ", " : "",
                       ink_report_note_name((enum ink_report_note)n), c, off);
    }
}

/* Shared state of one input's entries. */
struct input {
    struct archive *a;
    uint64_t out_total;  /* decompressed bytes of every entry so far */
    uint64_t dmax, rmax;
};

/* import_entry - the current archive entry as one report; fills res */
static void import_entry(struct ink_store *store, struct input *in, const char *source,
                         const struct ink_import_limits *lim, struct ink_import_result *res)
{
    static const struct ink_report_callbacks cbs = {on_meta, on_record};
    struct job j;
    struct ink_report_parser *p;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char *buf = malloc(INK_IMPORT_CHUNK);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    char sha[INK_STORE_SHA256_HEX];
    uint64_t bytes = 0;
    int refused = 0;

    memset(&j, 0, sizeof(j));
    j.store = store;
    j.source = source;
    j.res = res;
    ink_str_init(&j.err);
    p = ink_report_new(lim ? &lim->parser : NULL, &cbs, &j);
    if (p == NULL || md == NULL || buf == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        res->status = INK_IMPORT_FAILED;
        snprintf(res->message, sizeof(res->message), "out of memory");
        goto out;
    }
    for (;;) {
        la_ssize_t n = archive_read_data(in->a, buf, INK_IMPORT_CHUNK);
        la_int64_t raw;
        if (n == 0)
            break;
        if (n < 0) {
            res->status = INK_IMPORT_REFUSED;
            snprintf(res->message, sizeof(res->message), "cannot decompress after %llu bytes: %s",
                     (unsigned long long)bytes, archive_error_string(in->a));
            refused = 1;
            break;
        }
        bytes += (uint64_t)n;
        in->out_total += (uint64_t)n;
        raw = archive_filter_bytes(in->a, -1);
        if (bytes > in->dmax) {
            res->status = INK_IMPORT_REFUSED;
            snprintf(res->message, sizeof(res->message),
                     "decompresses to more than %llu bytes (the limit on one report)",
                     (unsigned long long)in->dmax);
            refused = 1;
            break;
        }
        if (archive_filter_count(in->a) > 1 || archive_format(in->a) != ARCHIVE_FORMAT_RAW) {
            if (in->out_total > INK_IMPORT_RATIO_FREE && raw > 0 &&
                in->out_total / (uint64_t)raw > in->rmax) {
                res->status = INK_IMPORT_REFUSED;
                snprintf(res->message, sizeof(res->message),
                         "compression ratio over %llu:1 (%llu bytes out of %lld read): a "
                         "decompression bomb, not a report",
                         (unsigned long long)in->rmax, (unsigned long long)in->out_total,
                         (long long)raw);
                refused = 1;
                break;
            }
        }
        EVP_DigestUpdate(md, buf, (size_t)n);
        if (ink_report_feed(p, buf, (size_t)n) < 0)
            break;
    }
    if (!refused && ink_report_error(p) == INK_REPORT_OK)
        ink_report_finish(p);
    if (refused) {
        /* said why above */
    } else if (j.duplicate) {
        res->status = INK_IMPORT_DUPLICATE;
        snprintf(res->message, sizeof(res->message), "report %s from %s is stored already",
                 res->report_id, res->org_name);
    } else if (j.failed) {
        res->status = INK_IMPORT_FAILED;
        snprintf(res->message, sizeof(res->message), "%s", ink_str_cstr(&j.err));
    } else if (ink_report_error(p) != INK_REPORT_OK) {
        res->status = INK_IMPORT_REFUSED;
        snprintf(res->message, sizeof(res->message), "%s (byte %zu)", ink_report_error_message(p),
                 ink_report_error_offset(p));
    } else {
        struct ink_str notes = INK_STR_INIT;
        int rc;
        EVP_DigestFinal_ex(md, digest, &dlen);
        ink_hex(digest, dlen, sha);
        notes_text(p, &notes);
        rc = ink_store_report_commit(store, sha, bytes, notes.len ? notes.buf : NULL, &j.err);
        j.began = 0;
        if (rc == INK_STORE_EXISTS) {
            res->status = INK_IMPORT_DUPLICATE;
            snprintf(res->message, sizeof(res->message), "the same bytes are stored already");
        } else if (rc != 0) {
            res->status = INK_IMPORT_FAILED;
            snprintf(res->message, sizeof(res->message), "%s", ink_str_cstr(&j.err));
        } else {
            res->status = INK_IMPORT_IMPORTED;
            snprintf(res->message, sizeof(res->message), "%s",
                     notes.len ? notes.buf : "");
        }
        ink_str_free(&notes);
    }
    if (j.began)
        ink_store_report_abort(store);
out:
    ink_report_free(p);
    EVP_MD_CTX_free(md);
    free(buf);
    ink_str_free(&j.err);
}

/* import_archive - every report of an opened archive (zip entries, or the
 * one gzip or plain stream); returns how many were refused or failed */
static int import_archive(struct ink_store *store, struct input *in, const char *name,
                          const char *prefix, const struct ink_import_limits *lim,
                          ink_import_cb cb, void *ctx)
{
    struct archive_entry *e;
    struct ink_import_result res;
    int bad = 0, entries = 0, rc;

    while ((rc = archive_read_next_header(in->a, &e)) == ARCHIVE_OK || rc == ARCHIVE_WARN) {
        const char *en = archive_entry_pathname(e);
        if (archive_entry_filetype(e) == AE_IFDIR)
            continue;
        memset(&res, 0, sizeof(res));
        if (archive_format(in->a) == ARCHIVE_FORMAT_ZIP)
            snprintf(res.entry, sizeof(res.entry), "%s%s%s", prefix, prefix[0] ? ":" : "",
                     en ? en : "?");
        else
            snprintf(res.entry, sizeof(res.entry), "%s", prefix);
        if (++entries > INK_IMPORT_ZIP_ENTRIES_MAX) {
            res.status = INK_IMPORT_REFUSED;
            snprintf(res.message, sizeof(res.message),
                     "more than %d entries in one archive: the rest is not read",
                     INK_IMPORT_ZIP_ENTRIES_MAX);
            cb(ctx, &res);
            bad++;
            break;
        }
        import_entry(store, in, name, lim, &res);
        if (res.status == INK_IMPORT_REFUSED || res.status == INK_IMPORT_FAILED)
            bad++;
        cb(ctx, &res);
        if (res.status == INK_IMPORT_FAILED)
            break;
    }
    if (rc != ARCHIVE_EOF && rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
        memset(&res, 0, sizeof(res));
        snprintf(res.entry, sizeof(res.entry), "%s", prefix);
        res.status = INK_IMPORT_REFUSED;
        snprintf(res.message, sizeof(res.message), "not a readable report file: %s",
                 archive_error_string(in->a) ? archive_error_string(in->a) : "unknown format");
        cb(ctx, &res);
        bad++;
    } else if (entries == 0 && rc == ARCHIVE_EOF) {
        memset(&res, 0, sizeof(res));
        snprintf(res.entry, sizeof(res.entry), "%s", prefix);
        res.status = INK_IMPORT_REFUSED;
        snprintf(res.message, sizeof(res.message), "no report in it (empty input)");
        cb(ctx, &res);
        bad++;
    }
    return bad;
}

/* archive_new - a reader for zip, gzip or the bytes as they are */
static struct archive *archive_new(void)
{
    struct archive *a = archive_read_new();

    if (a != NULL) {
        archive_read_support_filter_gzip(a);
        archive_read_support_format_zip(a);
        archive_read_support_format_raw(a);
    }
    return a;
}

/* open_failed - the result of an archive that would not open */
static int open_failed(struct archive *a, const char *prefix, ink_import_cb cb, void *ctx)
{
    struct ink_import_result res;
    /* libarchive's raw format wants a first byte: an empty input, or one
     * no format recognises, is no report; anything else is I/O */
    int en = archive_errno(a);
    int fmt = en != EIO && en != EBADF && en != EISDIR && en != EACCES && en != ENOMEM;

    memset(&res, 0, sizeof(res));
    snprintf(res.entry, sizeof(res.entry), "%s", prefix);
    res.status = fmt ? INK_IMPORT_REFUSED : INK_IMPORT_FAILED;
    snprintf(res.message, sizeof(res.message), "%s: %s",
             fmt ? "empty, or not a report file" : "cannot read",
             archive_error_string(a) ? archive_error_string(a) : "?");
    cb(ctx, &res);
    return fmt ? 1 : -1;
}

/* The input as libarchive reads it: the sniffed prefix, then the fd. */
struct fdsrc {
    int fd;
    const unsigned char *head;
    size_t headlen;
    unsigned char buf[INK_IMPORT_CHUNK];
};

/* fdsrc_read - libarchive's read callback */
static la_ssize_t fdsrc_read(struct archive *a, void *ctx, const void **out)
{
    struct fdsrc *f = ctx;
    ssize_t n;

    if (f->headlen) {
        *out = f->head;
        n = (ssize_t)f->headlen;
        f->headlen = 0;
        return n;
    }
    do
        n = read(f->fd, f->buf, sizeof(f->buf));
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        archive_set_error(a, errno, "%s", strerror(errno));
        return -1;
    }
    *out = f->buf;
    return n;
}

/* looks_like_message - the input starts as an RFC 5322 header field or an
 * mbox "From " line (1: message, 2: mbox, 0: neither) */
static int looks_like_message(const unsigned char *p, size_t n)
{
    size_t i;

    if (n >= 5 && memcmp(p, "From ", 5) == 0)
        return 2;
    for (i = 0; i < n && p[i] > 32 && p[i] < 127 && p[i] != ':'; i++)
        ;
    return i > 0 && i < n && p[i] == ':' ? 1 : 0;
}

/* Attachment bytes one message part may decode to before import. */
#define IMPORT_ATTACHMENT_MAX ((size_t)64 << 20)
/* Messages one mbox may hold. */
#define IMPORT_MBOX_MESSAGES_MAX 100000

/* is_report_part - a part that may carry a report, by type or file name */
static int is_report_part(GMimeObject *o)
{
    GMimeContentType *ct = g_mime_object_get_content_type(o);
    const char *fn = GMIME_IS_PART(o) ? g_mime_part_get_filename(GMIME_PART(o)) : NULL;
    static const char *const types[] = {"gzip", "x-gzip", "zip", "x-zip-compressed",
                                        "x-zip", "xml"};
    size_t i;

    if (!GMIME_IS_PART(o))
        return 0;
    for (i = 0; ct && i < sizeof(types) / sizeof(types[0]); i++)
        if (g_mime_content_type_is_type(ct, "application", types[i]) ||
            g_mime_content_type_is_type(ct, "text", types[i]))
            return 1;
    if (fn != NULL) {
        size_t l = strlen(fn);
        if ((l > 4 && strcasecmp(fn + l - 4, ".xml") == 0) ||
            (l > 3 && strcasecmp(fn + l - 3, ".gz") == 0) ||
            (l > 4 && strcasecmp(fn + l - 4, ".zip") == 0))
            return 1;
    }
    return 0;
}

/* The reports found in one message walk. */
struct walk {
    struct ink_store *store;
    const char *name;
    const struct ink_import_limits *lim;
    ink_import_cb cb;
    void *ctx;
    char where[128]; /* "message N" in an mbox, "" for one message */
    int found, bad, failed;
    GByteArray *arf;     /* this message's message/feedback-report part */
    GByteArray *headers; /* and its original headers */
};

/* part_bytes - a part's decoded content (caller unrefs), NULL if none */
static GByteArray *part_bytes(GMimeObject *part)
{
    GMimeStream *mem;
    GByteArray *b = NULL;

    if (GMIME_IS_MESSAGE_PART(part)) {
        GMimeMessage *m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(part));
        char *h = m ? g_mime_object_get_headers(GMIME_OBJECT(m), NULL) : NULL;
        if (h == NULL)
            return NULL;
        b = g_byte_array_new();
        g_byte_array_append(b, (const guint8 *)h, (guint)strlen(h));
        g_free(h);
        return b;
    }
    if (!GMIME_IS_PART(part) || g_mime_part_get_content(GMIME_PART(part)) == NULL)
        return NULL;
    mem = g_mime_stream_mem_new();
    g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
    if (g_mime_data_wrapper_write_to_stream(g_mime_part_get_content(GMIME_PART(part)), mem) >= 0)
        b = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
    else
        g_byte_array_unref(g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem)));
    g_object_unref(mem);
    return b;
}

/* redact_headers - every "local@" in text becomes "redacted@" (in place
 * would change lengths: a new array; caller unrefs) */
static GByteArray *redact_headers(const GByteArray *in)
{
    GByteArray *out = g_byte_array_new();
    guint i, start = 0;

    for (i = 0; i < in->len; i++) {
        if (in->data[i] != '@')
            continue;
        {
            guint b = i;
            while (b > start && (g_ascii_isalnum(in->data[b - 1]) ||
                                 strchr("!#$%&'*+-/=?^_`{|}~.", in->data[b - 1]) != NULL))
                b--;
            g_byte_array_append(out, in->data + start, b - start);
            if (b < i)
                g_byte_array_append(out, (const guint8 *)"redacted", 8);
            start = i;
        }
    }
    g_byte_array_append(out, in->data + start, in->len - start);
    return out;
}

/* import_failure - the message's failure report into the store */
static void import_failure(struct walk *w)
{
    struct ink_import_result res;
    struct ink_arf a;
    struct ink_str err = INK_STR_INIT;
    char why[160], sha[INK_STORE_SHA256_HEX];
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    size_t off = 0, hmax = w->lim && w->lim->headers_max ? w->lim->headers_max
                                                          : INK_IMPORT_HEADERS_MAX;
    GByteArray *hdr = NULL;
    char *htext = NULL;
    EVP_MD_CTX *md;
    int rc;

    memset(&res, 0, sizeof(res));
    res.failure = 1;
    snprintf(res.entry, sizeof(res.entry), "%s", w->where);
    if (ink_arf_parse(w->arf->data, w->arf->len, &a, why, sizeof(why), &off) < 0) {
        res.status = INK_IMPORT_REFUSED;
        snprintf(res.message, sizeof(res.message), "failure report: %s (byte %zu of the "
                 "feedback-report part)", why, off);
        ink_arf_clear(&a);
        w->cb(w->ctx, &res);
        w->bad++;
        return;
    }
    md = EVP_MD_CTX_new();
    if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
        EVP_DigestUpdate(md, w->arf->data, w->arf->len) != 1 ||
        (w->headers && EVP_DigestUpdate(md, w->headers->data, w->headers->len) != 1) ||
        EVP_DigestFinal_ex(md, digest, &dlen) != 1 ||
        (w->lim && w->lim->redact && ink_arf_redact(&a) < 0)) {
        res.status = INK_IMPORT_FAILED;
        snprintf(res.message, sizeof(res.message), "out of memory");
        goto out;
    }
    ink_hex(digest, dlen, sha);
    if (w->headers && !(w->lim && w->lim->headers_none)) {
        size_t n;
        hdr = w->lim && w->lim->redact ? redact_headers(w->headers) : g_byte_array_ref(w->headers);
        n = hdr->len;
        if (n > hmax) { /* cut at the last line end within the limit */
            n = hmax;
            while (n > 0 && hdr->data[n - 1] != '\n')
                n--;
        }
        htext = ink_memdup_cstr(hdr->data, n);
    }
    snprintf(res.domain, sizeof(res.domain), "%s",
             a.nreported_domain ? a.reported_domain[0] : a.dkim_domain ? a.dkim_domain : "");
    rc = ink_store_report_failure_add(w->store, &a, htext, sha, w->name, &err);
    if (rc == INK_STORE_EXISTS) {
        res.status = INK_IMPORT_DUPLICATE;
        snprintf(res.message, sizeof(res.message), "this failure report is stored already");
    } else if (rc != 0) {
        res.status = INK_IMPORT_FAILED;
        snprintf(res.message, sizeof(res.message), "%s", ink_str_cstr(&err));
        w->failed = 1;
    } else {
        res.status = INK_IMPORT_IMPORTED;
        snprintf(res.message, sizeof(res.message), "%s %s from %s%s", a.feedback_type,
                 a.auth_failure ? a.auth_failure : "", a.source_ip ? a.source_ip : "?",
                 htext ? ", with the original headers" : "");
    }
out:
    if (res.status == INK_IMPORT_REFUSED || res.status == INK_IMPORT_FAILED)
        w->bad++;
    w->cb(w->ctx, &res);
    EVP_MD_CTX_free(md);
    if (hdr)
        g_byte_array_unref(hdr);
    free(htext);
    ink_arf_clear(&a);
    ink_str_free(&err);
}

/* import_part - decode one attachment and import what it holds */
static void import_part(GMimeObject *parent, GMimeObject *part, gpointer data)
{
    struct walk *w = data;
    GMimeDataWrapper *dw;
    GMimeStream *mem;
    GByteArray *bytes;
    struct input in;
    char prefix[256];
    const char *fn;
    int rc;

    (void)parent;
    if (w->failed)
        return;
    {
        GMimeContentType *ct = g_mime_object_get_content_type(part);
        if (ct && g_mime_content_type_is_type(ct, "message", "feedback-report")) {
            if (w->arf == NULL)
                w->arf = part_bytes(part);
            return;
        }
        if (ct && (g_mime_content_type_is_type(ct, "text", "rfc822-headers") ||
                   g_mime_content_type_is_type(ct, "message", "rfc822"))) {
            if (w->headers == NULL)
                w->headers = part_bytes(part);
            return;
        }
    }
    if (!is_report_part(part))
        return;
    dw = g_mime_part_get_content(GMIME_PART(part));
    if (dw == NULL)
        return;
    fn = g_mime_part_get_filename(GMIME_PART(part));
    snprintf(prefix, sizeof(prefix), "%s%s%s", w->where, w->where[0] ? ":" : "",
             fn ? fn : "attachment");
    w->found++;
    mem = g_mime_stream_mem_new();
    if (g_mime_data_wrapper_write_to_stream(dw, mem) < 0) {
        struct ink_import_result res;
        memset(&res, 0, sizeof(res));
        snprintf(res.entry, sizeof(res.entry), "%s", prefix);
        res.status = INK_IMPORT_REFUSED;
        snprintf(res.message, sizeof(res.message), "cannot decode the attachment");
        w->cb(w->ctx, &res);
        w->bad++;
        g_object_unref(mem);
        return;
    }
    bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
    memset(&in, 0, sizeof(in));
    in.dmax = w->lim && w->lim->decompressed_max ? w->lim->decompressed_max
                                                  : INK_IMPORT_DECOMPRESSED_MAX;
    in.rmax = w->lim && w->lim->ratio_max ? w->lim->ratio_max : INK_IMPORT_RATIO_MAX;
    in.a = archive_new();
    if (bytes->len > IMPORT_ATTACHMENT_MAX) {
        struct ink_import_result res;
        memset(&res, 0, sizeof(res));
        snprintf(res.entry, sizeof(res.entry), "%s", prefix);
        res.status = INK_IMPORT_REFUSED;
        snprintf(res.message, sizeof(res.message), "attachment larger than %zu bytes",
                 IMPORT_ATTACHMENT_MAX);
        w->cb(w->ctx, &res);
        w->bad++;
    } else if (in.a == NULL ||
               archive_read_open_memory(in.a, bytes->data, bytes->len) != ARCHIVE_OK) {
        rc = in.a ? open_failed(in.a, prefix, w->cb, w->ctx) : -1;
        if (rc < 0)
            w->failed = 1;
        w->bad++;
    } else {
        w->bad += import_archive(w->store, &in, w->name, prefix, w->lim, w->cb, w->ctx);
    }
    if (in.a)
        archive_read_free(in.a);
    g_object_unref(mem);
}

/* import_message_stream - every message of a MIME stream (one, or an mbox) */
static int import_message_stream(struct ink_store *store, GMimeStream *stream, int mbox,
                                 const char *name, const struct ink_import_limits *lim,
                                 ink_import_cb cb, void *ctx)
{
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    struct walk w;
    int n = 0;

    memset(&w, 0, sizeof(w));
    w.store = store;
    w.name = name;
    w.lim = lim;
    w.cb = cb;
    w.ctx = ctx;
    g_mime_parser_set_format(parser, mbox ? GMIME_FORMAT_MBOX : GMIME_FORMAT_MESSAGE);
    /* parts are copied into memory as they are parsed: the input is a
     * pipe or a concatenation, which GMime cannot cut substreams from */
    g_mime_parser_set_persist_stream(parser, FALSE);
    while (!g_mime_parser_eos(parser) && n < IMPORT_MBOX_MESSAGES_MAX && !w.failed) {
        GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);
        int before = w.found;
        if (msg == NULL)
            break;
        n++;
        if (mbox)
            snprintf(w.where, sizeof(w.where), "message %d", n);
        g_mime_message_foreach(msg, import_part, &w);
        if (w.arf != NULL) {
            import_failure(&w);
            w.found++;
        }
        if (w.arf)
            g_byte_array_unref(w.arf);
        if (w.headers)
            g_byte_array_unref(w.headers);
        w.arf = w.headers = NULL;
        if (w.found == before) {
            struct ink_import_result res;
            memset(&res, 0, sizeof(res));
            snprintf(res.entry, sizeof(res.entry), "%s", w.where);
            res.status = INK_IMPORT_REFUSED;
            snprintf(res.message, sizeof(res.message),
                     "a message without a report attachment (xml, gzip or zip) or a "
                     "feedback-report part");
            cb(ctx, &res);
            w.bad++;
        }
        g_object_unref(msg);
        if (!mbox)
            break;
    }
    if (n == 0) {
        struct ink_import_result res;
        memset(&res, 0, sizeof(res));
        res.status = INK_IMPORT_REFUSED;
        snprintf(res.message, sizeof(res.message), "not a readable message");
        cb(ctx, &res);
        w.bad++;
    }
    g_object_unref(parser);
    return w.failed ? -1 : w.bad;
}

/* Bytes read first to tell a message from a report file. */
#define IMPORT_SNIFF 512

/* ink_report_import_fd - every report of one input */
int ink_report_import_fd(struct ink_store *store, int fd, const char *name,
                         const struct ink_import_limits *lim, ink_import_cb cb, void *ctx)
{
    struct input in;
    struct fdsrc *src = calloc(1, sizeof(*src));
    unsigned char head[IMPORT_SNIFF];
    size_t hl = 0;
    int bad, kind;

    memset(&in, 0, sizeof(in));
    if (src == NULL) {
        struct ink_import_result res;
        memset(&res, 0, sizeof(res));
        res.status = INK_IMPORT_FAILED;
        snprintf(res.message, sizeof(res.message), "out of memory");
        cb(ctx, &res);
        return -1;
    }
    while (hl < sizeof(head)) {
        ssize_t n = read(fd, head + hl, sizeof(head) - hl);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            struct ink_import_result res;
            memset(&res, 0, sizeof(res));
            res.status = INK_IMPORT_FAILED;
            snprintf(res.message, sizeof(res.message), "cannot read: %s", strerror(errno));
            cb(ctx, &res);
            free(src);
            return -1;
        }
        if (n == 0)
            break;
        hl += (size_t)n;
    }
    kind = looks_like_message(head, hl);
    if (kind) {
        /* GMime reads the sniffed bytes again, then the rest of the fd */
        GMimeStream *cat = g_mime_stream_cat_new();
        GMimeStream *h, *rest;
        g_mime_init();
        h = g_mime_stream_mem_new_with_buffer((const char *)head, hl);
        rest = g_mime_stream_pipe_new(fd);
        g_mime_stream_pipe_set_owner(GMIME_STREAM_PIPE(rest), FALSE);
        g_mime_stream_cat_add_source(GMIME_STREAM_CAT(cat), h);
        g_mime_stream_cat_add_source(GMIME_STREAM_CAT(cat), rest);
        g_object_unref(h);
        g_object_unref(rest);
        bad = import_message_stream(store, cat, kind == 2, name, lim, cb, ctx);
        g_object_unref(cat);
        free(src);
        return bad;
    }
    in.dmax = lim && lim->decompressed_max ? lim->decompressed_max : INK_IMPORT_DECOMPRESSED_MAX;
    in.rmax = lim && lim->ratio_max ? lim->ratio_max : INK_IMPORT_RATIO_MAX;
    in.a = archive_new();
    src->fd = fd;
    src->head = head;
    src->headlen = hl;
    if (in.a == NULL) {
        struct ink_import_result res;
        memset(&res, 0, sizeof(res));
        res.status = INK_IMPORT_FAILED;
        snprintf(res.message, sizeof(res.message), "out of memory");
        cb(ctx, &res);
        free(src);
        return -1;
    }
    if (archive_read_open(in.a, src, NULL, fdsrc_read, NULL) != ARCHIVE_OK)
        bad = open_failed(in.a, "", cb, ctx);
    else
        bad = import_archive(store, &in, name, "", lim, cb, ctx);
    archive_read_free(in.a);
    free(src);
    return bad;
}

/* ink_import_status_name - a status's word */
const char *ink_import_status_name(enum ink_import_status s)
{
    switch (s) {
    case INK_IMPORT_IMPORTED: return "imported";
    case INK_IMPORT_DUPLICATE: return "duplicate";
    case INK_IMPORT_REFUSED: return "refused";
    case INK_IMPORT_FAILED: return "failed";
    }
    return "?";
}
