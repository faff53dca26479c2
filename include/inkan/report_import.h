/*
 * inkan/report_import.h - importing DMARC aggregate reports into a store:
 * the containers (mail messages and mbox through GMime; plain XML, gzip,
 * zip through libarchive) around the
 * streaming parser (inkan/report.h), each report one store transaction.
 *
 * Decompression is bounded: a report may decompress to at most
 * INK_IMPORT_DECOMPRESSED_MAX bytes, and past INK_IMPORT_RATIO_FREE bytes
 * its output may be at most INK_IMPORT_RATIO_MAX times the compressed
 * bytes read (a zip bomb or a gzip of zeros is refused early, saying so).
 * Duplicates (same org_name + report_id, or the same decompressed bytes
 * by SHA-256) are counted in the store and reported, not stored again.
 */
#ifndef INKAN_REPORT_IMPORT_H
#define INKAN_REPORT_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "inkan/report.h"
#include "inkan/store.h"

#include "inkan/export.h"

#ifdef __cplusplus
extern "C" {
#endif

INK_API_BEGIN

/* Decompressed bytes one report may have (the largest real ones are tens
 * of MB). */
#define INK_IMPORT_DECOMPRESSED_MAX ((uint64_t)1 << 30)
/* Output/input ratio allowed once past INK_IMPORT_RATIO_FREE bytes: XML
 * reports compress 10-30 times; zeros compress a thousand times. */
#define INK_IMPORT_RATIO_MAX 100
#define INK_IMPORT_RATIO_FREE ((uint64_t)1 << 20)
/* Reports one zip archive may hold. */
#define INK_IMPORT_ZIP_ENTRIES_MAX 64
/* Bytes read from the input at a time. */
#define INK_IMPORT_CHUNK 65536

enum ink_import_status {
    INK_IMPORT_IMPORTED = 0,
    INK_IMPORT_DUPLICATE,
    INK_IMPORT_REFUSED,     /* the input is no acceptable report: message says why */
    INK_IMPORT_FAILED       /* reading the input or the database failed */
};

struct ink_import_result {
    enum ink_import_status status;
    char message[512];      /* why refused / failed; notes when imported */
    char entry[256];        /* the zip entry, "" for a plain or gzip file */
    char domain[256];       /* policy domain, "" when unknown */
    char org_name[128], report_id[128];
    int failure;            /* a failure (ARF) report, not an aggregate one */
    size_t records;
    uint64_t messages;
};

/* Bytes of a failure report's original headers stored (cut at a line). */
#define INK_IMPORT_HEADERS_MAX 16384

/* Overridable limits and choices (tests use small limits); zero fields
 * take the _MAX. */
struct ink_import_limits {
    uint64_t decompressed_max;
    uint64_t ratio_max;
    struct ink_report_limits parser;
    size_t headers_max;     /* failure reports: original header bytes kept */
    int headers_none;       /* failure reports: keep no original headers */
    int redact;             /* failure reports: local parts of addresses dropped
                             * (fields and headers), only their domains kept */
};

/* Called once per report of the input (a zip may hold several). */
typedef void (*ink_import_cb)(void *ctx, const struct ink_import_result *r);

/*
 * ink_report_import_fd - read the file open at fd (plain XML, .xml.gz or
 * .zip, or a mail message or mbox whose xml, gzip or zip attachments are
 * reports, or whose message/feedback-report part makes it a failure
 * report (RFC 6591: stored with its original headers, text/rfc822-headers
 * or the message/rfc822 part's, cut to headers_max), told by its content,
 * not its name) into the store; name says
 * where it came from.  A message's attachments are decoded into memory
 * (at most 64 MiB each), then decompressed streaming.  Calls cb for each report.  Returns the number of
 * reports not imported because refused or failed (0: all imported or
 * duplicates), or -1 when the input could not be read at all (cb called
 * with INK_IMPORT_FAILED).
 */
int ink_report_import_fd(struct ink_store *store, int fd, const char *name,
                         const struct ink_import_limits *lim, ink_import_cb cb, void *ctx);

/* ink_import_status_name - "imported", "duplicate", "refused", "failed" */
const char *ink_import_status_name(enum ink_import_status s);

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
