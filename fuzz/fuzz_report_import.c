/*
 * fuzz_report_import.c - libFuzzer target for the report import path as a
 * whole: the content sniffing, the MIME walk of a message or mbox (GMime),
 * gzip and zip containers (libarchive) and the aggregate and failure
 * parsers behind them, through ink_report_import_fd over a memory file,
 * into a store that only checks the transaction discipline: no record
 * outside an open report, no report opened twice, every report committed
 * or aborted by the time the import returns, and every result's texts
 * terminated.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "inkan/report_import.h"
#include "inkan/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decompressed bytes one input may expand to here (the real limit is
 * far larger; a fuzz run needs each input to finish fast). */
#define FUZZ_IMPORT_DECOMPRESSED_MAX (1u << 20)

/* The checking store: counts, and the open-report flag. */
struct check_store {
    struct ink_store base;
    int open;
    size_t begun, ended, records, failures;
};

/* cs - the checking store behind base */
static struct check_store *cs(struct ink_store *s)
{
    return (struct check_store *)s;
}

static int c_begin(struct ink_store *s, const struct ink_report_meta *m, const char *source,
                   struct ink_str *err)
{
    (void)err;
    if (cs(s)->open || m == NULL || source == NULL)
        abort();
    cs(s)->open = 1;
    cs(s)->begun++;
    return 0;
}

static int c_record(struct ink_store *s, const struct ink_report_record *r, struct ink_str *err)
{
    (void)err;
    if (!cs(s)->open || r == NULL)
        abort();
    cs(s)->records++;
    return 0;
}

static int c_commit(struct ink_store *s, const char *sha256_hex, uint64_t bytes, const char *notes,
                    struct ink_str *err)
{
    (void)bytes, (void)notes, (void)err;
    if (!cs(s)->open || sha256_hex == NULL || strlen(sha256_hex) != INK_STORE_SHA256_HEX - 1)
        abort();
    cs(s)->open = 0;
    cs(s)->ended++;
    return 0;
}

static void c_abort(struct ink_store *s)
{
    /* an abort with nothing open is allowed (a refusal before begin) */
    if (cs(s)->open)
        cs(s)->ended++;
    cs(s)->open = 0;
}

static int c_failure(struct ink_store *s, const struct ink_arf *a, const char *headers,
                     const char *sha256_hex, const char *source, struct ink_str *err)
{
    (void)headers, (void)err;
    if (cs(s)->open || a == NULL || sha256_hex == NULL || source == NULL)
        abort();
    cs(s)->failures++;
    return 0;
}

static const struct ink_store_ops check_ops = {
    .report_begin = c_begin,
    .report_record = c_record,
    .report_commit = c_commit,
    .report_abort = c_abort,
    .report_failure_add = c_failure,
};

/* on_result - every result is a known status with terminated texts */
static void on_result(void *ctx, const struct ink_import_result *r)
{
    size_t *n = ctx;

    if (r->status > INK_IMPORT_FAILED || memchr(r->message, '\0', sizeof(r->message)) == NULL ||
        memchr(r->entry, '\0', sizeof(r->entry)) == NULL ||
        memchr(r->domain, '\0', sizeof(r->domain)) == NULL ||
        memchr(r->org_name, '\0', sizeof(r->org_name)) == NULL ||
        memchr(r->report_id, '\0', sizeof(r->report_id)) == NULL)
        abort();
    if (r->status != INK_IMPORT_IMPORTED && r->status != INK_IMPORT_DUPLICATE &&
        r->message[0] == '\0')
        abort(); /* a refusal or failure says why */
    (*n)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct check_store st;
    struct ink_import_limits lim;
    size_t results = 0;
    int fd = memfd_create("fuzz-report", 0);

    if (fd < 0)
        return 0;
    if (size > 0 && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    (void)lseek(fd, 0, SEEK_SET);
    memset(&st, 0, sizeof(st));
    st.base.ops = &check_ops;
    memset(&lim, 0, sizeof(lim));
    lim.decompressed_max = FUZZ_IMPORT_DECOMPRESSED_MAX;
    (void)ink_report_import_fd(&st.base, fd, "fuzz", &lim, on_result, &results);
    close(fd);
    if (st.open || st.begun != st.ended)
        abort(); /* a report left open: half a report would be stored */
    return 0;
}
