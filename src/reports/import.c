/*
 * import.c - the report import adapter (include/inkan/report_import.h):
 * libarchive opens the input (zip, gzip or plain, by content), each entry
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
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* hex - a digest as lower-case hex */
static void hex(const unsigned char *d, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[2 * n] = '\0';
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
        hex(digest, dlen, sha);
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

/* ink_report_import_fd - every report of one input */
int ink_report_import_fd(struct ink_store *store, int fd, const char *name,
                         const struct ink_import_limits *lim, ink_import_cb cb, void *ctx)
{
    struct input in;
    struct archive_entry *e;
    struct ink_import_result res;
    int bad = 0, entries = 0, rc;

    memset(&in, 0, sizeof(in));
    in.dmax = lim && lim->decompressed_max ? lim->decompressed_max : INK_IMPORT_DECOMPRESSED_MAX;
    in.rmax = lim && lim->ratio_max ? lim->ratio_max : INK_IMPORT_RATIO_MAX;
    in.a = archive_read_new();
    memset(&res, 0, sizeof(res));
    if (in.a == NULL) {
        res.status = INK_IMPORT_FAILED;
        snprintf(res.message, sizeof(res.message), "out of memory");
        cb(ctx, &res);
        return -1;
    }
    /* gzip (.xml.gz), zip, or the bytes as they are (.xml) */
    archive_read_support_filter_gzip(in.a);
    archive_read_support_format_zip(in.a);
    archive_read_support_format_raw(in.a);
    if (archive_read_open_fd(in.a, fd, INK_IMPORT_CHUNK) != ARCHIVE_OK) {
        /* libarchive's raw format wants a first byte: an empty input, or
         * one no format recognises, is no report; anything else is I/O */
        int en = archive_errno(in.a);
        int fmt = en != EIO && en != EBADF && en != EISDIR && en != EACCES && en != ENOMEM;
        res.status = fmt ? INK_IMPORT_REFUSED : INK_IMPORT_FAILED;
        snprintf(res.message, sizeof(res.message), "%s: %s",
                 fmt ? "empty, or not a report file" : "cannot read",
                 archive_error_string(in.a) ? archive_error_string(in.a) : "?");
        cb(ctx, &res);
        archive_read_free(in.a);
        return fmt ? 1 : -1;
    }
    while ((rc = archive_read_next_header(in.a, &e)) == ARCHIVE_OK ||
           rc == ARCHIVE_WARN) {
        const char *en = archive_entry_pathname(e);
        if (archive_entry_filetype(e) == AE_IFDIR)
            continue;
        memset(&res, 0, sizeof(res));
        if (archive_format(in.a) == ARCHIVE_FORMAT_ZIP)
            snprintf(res.entry, sizeof(res.entry), "%s", en ? en : "?");
        if (++entries > INK_IMPORT_ZIP_ENTRIES_MAX) {
            res.status = INK_IMPORT_REFUSED;
            snprintf(res.message, sizeof(res.message),
                     "more than %d entries in one archive: the rest is not read",
                     INK_IMPORT_ZIP_ENTRIES_MAX);
            cb(ctx, &res);
            bad++;
            break;
        }
        import_entry(store, &in, name, lim, &res);
        if (res.status == INK_IMPORT_REFUSED || res.status == INK_IMPORT_FAILED)
            bad++;
        cb(ctx, &res);
        if (res.status == INK_IMPORT_FAILED)
            break;
    }
    if (rc != ARCHIVE_EOF && rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
        memset(&res, 0, sizeof(res));
        res.status = INK_IMPORT_REFUSED;
        snprintf(res.message, sizeof(res.message), "not a readable report file: %s",
                 archive_error_string(in.a) ? archive_error_string(in.a) : "unknown format");
        cb(ctx, &res);
        bad++;
    } else if (entries == 0 && rc == ARCHIVE_EOF) {
        memset(&res, 0, sizeof(res));
        res.status = INK_IMPORT_REFUSED;
        snprintf(res.message, sizeof(res.message), "no report in it (empty input)");
        cb(ctx, &res);
        bad++;
    }
    archive_read_free(in.a);
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
