/*
 * agg_gzip.c - the gzip container of the aggregate reports we send
 * (include/inkan/report_gen.h): libarchive's gzip filter over its raw
 * format, in memory.  No file name and no time stamp go in the gzip
 * header, and the output is not padded to a block, so the same report
 * gives the same bytes (a re-sent report keeps its name and content,
 * RFC 9990 3.5.2).  The reverse, bounded by INK_AGG_GUNZIP_MAX, is how
 * 'inkan report send' reads a generated report back.
 */
#include "inkan/report_gen.h"

#include <archive.h>
#include <archive_entry.h>

/* Bytes handed to libarchive per write, and read per read. */
#define AGG_GZIP_CHUNK ((size_t)64 * 1024)

/* on_write - libarchive's output: append to the string */
static la_ssize_t on_write(struct archive *a, void *ctx, const void *buf, size_t len)
{
    struct ink_str *out = ctx;

    (void)a;
    if (ink_str_append(out, buf, len) < 0)
        return -1;
    return (la_ssize_t)len;
}

/* ink_agg_gzip - gzip len bytes into out (see report_gen.h) */
int ink_agg_gzip(const uint8_t *buf, size_t len, struct ink_str *out, struct ink_str *err)
{
    struct archive *a = archive_write_new();
    struct archive_entry *e = archive_entry_new();
    size_t off = 0, start = out->len;
    int rc = -1;

    if (a == NULL || e == NULL) {
        ink_str_puts(err, "out of memory");
        goto out;
    }
    if (archive_write_add_filter_gzip(a) != ARCHIVE_OK || archive_write_set_format_raw(a) != ARCHIVE_OK ||
        archive_write_set_filter_option(a, "gzip", "timestamp", NULL) != ARCHIVE_OK ||
        archive_write_set_bytes_per_block(a, 0) != ARCHIVE_OK ||
        archive_write_open2(a, out, NULL, on_write, NULL, NULL) != ARCHIVE_OK)
        goto fail;
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_pathname(e, "report.xml");
    archive_entry_set_size(e, (la_int64_t)len);
    if (archive_write_header(a, e) != ARCHIVE_OK)
        goto fail;
    while (off < len) {
        size_t n = len - off < AGG_GZIP_CHUNK ? len - off : AGG_GZIP_CHUNK;
        la_ssize_t w = archive_write_data(a, buf + off, n);
        if (w <= 0)
            goto fail;
        off += (size_t)w;
    }
    if (archive_write_close(a) != ARCHIVE_OK)
        goto fail;
    rc = 0;
    goto out;
fail:
    ink_str_printf(err, "gzip: %s", archive_error_string(a) ? archive_error_string(a)
                                                            : "libarchive failed");
    ink_str_truncate(out, start);
out:
    archive_entry_free(e);
    if (a != NULL)
        archive_write_free(a);
    return rc;
}

/* ink_agg_gunzip - decompress len bytes of gzip into out (see report_gen.h) */
int ink_agg_gunzip(const uint8_t *buf, size_t len, struct ink_str *out, struct ink_str *err)
{
    struct archive *a = archive_read_new();
    struct archive_entry *e;
    char chunk[AGG_GZIP_CHUNK];
    size_t start = out->len;
    la_ssize_t n;

    if (a == NULL) {
        ink_str_puts(err, "out of memory");
        return -1;
    }
    archive_read_support_filter_gzip(a);
    archive_read_support_format_raw(a);
    if (archive_read_open_memory(a, buf, len) != ARCHIVE_OK ||
        archive_read_next_header(a, &e) != ARCHIVE_OK)
        goto fail;
    if (archive_filter_code(a, 0) != ARCHIVE_FILTER_GZIP) {
        ink_str_puts(err, "not gzip data");
        goto refused;
    }
    while ((n = archive_read_data(a, chunk, sizeof(chunk))) > 0) {
        if (out->len - start + (size_t)n > INK_AGG_GUNZIP_MAX) {
            ink_str_printf(err, "decompresses to more than %zu bytes", INK_AGG_GUNZIP_MAX);
            goto refused;
        }
        if (ink_str_append(out, chunk, (size_t)n) < 0) {
            ink_str_puts(err, "out of memory");
            goto refused;
        }
    }
    if (n < 0)
        goto fail;
    archive_read_free(a);
    return 0;
fail:
    ink_str_printf(err, "gzip: %s", archive_error_string(a) ? archive_error_string(a)
                                                            : "not gzip data");
refused:
    ink_str_truncate(out, start);
    archive_read_free(a);
    return -1;
}
