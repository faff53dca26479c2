/*
 * imap.c - the IMAP source of the report import (include/inkan/report_imap.h):
 * libcurl speaks IMAP over TLS on one connection; UID SEARCH lists the
 * mailbox, each message is fetched by UID into an anonymous memory file
 * and handed to ink_report_import_fd (the same MIME walk, libarchive and
 * store transactions as a file), and only once that returned with every
 * report committed or a duplicate is the message moved (UID MOVE, or UID
 * COPY + UID STORE \Deleted + UID EXPUNGE where the server lacks MOVE).
 * The order commit-then-move is what makes a crash harmless: a message is
 * never moved before its reports are in the store, and one left behind is
 * found again by the next run, whose import sees duplicates.
 */
/* memfd_create needs _GNU_SOURCE, which meson defines for every file */
#include "inkan/report_imap.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Bytes of the untagged responses one command may return (a SEARCH of
 * INK_IMAP_MESSAGES_MAX UIDs fits). */
#define IMAP_RESPONSE_MAX ((size_t)4 << 20)

/* One connection and what its last command returned. */
struct imap {
    CURL *c;
    CURLU *u;            /* the mailbox URL, re-pathed per fetch */
    char *mailbox_url;   /* scheme://user@host:port/MAILBOX */
    struct ink_str resp; /* untagged responses of a custom command */
    int fd;              /* fetch: the message's memory file, -1 else */
    uint64_t got;        /* fetch: bytes written */
    int too_big;         /* fetch: over INK_IMAP_MESSAGE_MAX */
    int write_failed;    /* fetch: the memory file refused bytes */
    char errbuf[CURL_ERROR_SIZE];
};

/* on_data - libcurl's write callback: into the memory file while
 * fetching, into resp for a custom command */
static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
    struct imap *m = ctx;
    size_t len = size * n, off = 0;

    if (m->fd >= 0) {
        if (m->got + len > INK_IMAP_MESSAGE_MAX) {
            m->too_big = 1;
            return 0; /* libcurl aborts the transfer */
        }
        while (off < len) {
            ssize_t w = write(m->fd, p + off, len - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                m->write_failed = 1;
                return 0;
            }
            off += (size_t)w;
        }
        m->got += len;
        return len;
    }
    if (m->resp.len + len > IMAP_RESPONSE_MAX || ink_str_append(&m->resp, p, len) < 0)
        return 0;
    return len;
}

/* on_progress - libcurl's transfer callback: non-zero aborts the transfer
 * when the caller's cancelled() says so */
static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    const struct ink_imap_options *o = ctx;

    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return o->cancelled(o->cancel_ctx) ? 1 : 0;
}

/* curl_failed - err gets "WHAT: libcurl's reason" */
static void curl_failed(struct imap *m, CURLcode rc, const char *what, struct ink_str *err)
{
    ink_str_printf(err, "%s: %s", what, m->errbuf[0] ? m->errbuf : curl_easy_strerror(rc));
}

/* command - run one IMAP command in the selected mailbox; resp holds
 * its untagged responses.  0, or -1 with err set. */
static int command(struct imap *m, const char *cmd, struct ink_str *err)
{
    CURLcode rc;

    ink_str_truncate(&m->resp, 0);
    m->errbuf[0] = '\0';
    m->fd = -1;
    curl_easy_setopt(m->c, CURLOPT_URL, m->mailbox_url);
    curl_easy_setopt(m->c, CURLOPT_CUSTOMREQUEST, cmd);
    rc = curl_easy_perform(m->c);
    curl_easy_setopt(m->c, CURLOPT_CUSTOMREQUEST, NULL);
    if (rc != CURLE_OK) {
        struct ink_str what = INK_STR_INIT;
        ink_str_printf(&what, "IMAP %s", cmd);
        curl_failed(m, rc, ink_str_cstr(&what), err);
        ink_str_free(&what);
        return -1;
    }
    return 0;
}

/* quote_folder - name as an IMAP quoted string into out ("" and \ escaped);
 * -1 for a name IMAP cannot carry that way (controls, 8-bit: modified
 * UTF-7 is not spoken) or a too long one */
static int quote_folder(const char *name, struct ink_str *out)
{
    const unsigned char *p;

    if (name[0] == '\0' || strlen(name) > INK_IMAP_FOLDER_MAX)
        return -1;
    for (p = (const unsigned char *)name; *p; p++)
        if (*p < 0x20 || *p > 0x7e)
            return -1;
    ink_str_putc(out, '"');
    for (p = (const unsigned char *)name; *p; p++) {
        if (*p == '"' || *p == '\\')
            ink_str_putc(out, '\\');
        ink_str_putc(out, *p);
    }
    return ink_str_putc(out, '"');
}

/* The largest UID: RFC 3501's nz-number is 32 bits. */
#define IMAP_UID_MAX 4294967295ULL
/* UIDs the SEARCH array holds before its first growth. */
#define IMAP_UIDS_INITIAL 64

/* next_line - the line of [b, b + len) starting at *off (without its
 * CR LF) as [*line, *line + *llen); advances *off past it.  0 at the end.
 * A server's NUL byte is data, not the end. */
static int next_line(const char *b, size_t len, size_t *off, const char **line, size_t *llen)
{
    const char *nl;
    size_t rest;

    if (b == NULL || *off >= len)
        return 0;
    rest = len - *off;
    *line = b + *off;
    nl = memchr(*line, '\n', rest);
    *llen = nl ? (size_t)(nl - *line) : rest;
    *off += nl ? *llen + 1 : rest;
    if (*llen > 0 && (*line)[*llen - 1] == '\r')
        (*llen)--;
    return 1;
}

/* starts_ci - [p, p + len) begins with the ASCII word w, case-insensitive */
static int starts_ci(const char *p, size_t len, const char *w)
{
    size_t wl = strlen(w);
    return len >= wl && strncasecmp(p, w, wl) == 0;
}

/* ink_imap_capability_has - see report_imap.h */
int ink_imap_capability_has(const uint8_t *buf, size_t len, const char *key, const char *word)
{
    size_t off = 0, llen, kl = strlen(key), wl = strlen(word);
    const char *line, *b = (const char *)buf;

    while (next_line(b, len, &off, &line, &llen)) {
        size_t i;
        if (!starts_ci(line, llen, "* ") || !starts_ci(line + 2, llen - 2, key))
            continue;
        for (i = 2 + kl; i + wl <= llen; i++)
            if (line[i - 1] == ' ' && strncasecmp(line + i, word, wl) == 0 &&
                (i + wl == llen || line[i + wl] == ' '))
                return 1;
    }
    return 0;
}

/* ink_imap_search_parse - see report_imap.h */
int ink_imap_search_parse(const uint8_t *buf, size_t len, uint64_t **out, size_t *n,
                          struct ink_str *err)
{
    size_t off = 0, llen, cap = 0;
    const char *line, *b = (const char *)buf;
    uint64_t *uids = NULL;

    *out = NULL;
    *n = 0;
    while (next_line(b, len, &off, &line, &llen)) {
        size_t i = 8;
        if (!starts_ci(line, llen, "* SEARCH") || (llen > 8 && line[8] != ' '))
            continue;
        while (i < llen) {
            uint64_t v = 0;
            size_t digits = 0, start = i;
            if (line[i] == ' ') {
                i++;
                continue;
            }
            for (; i < llen && line[i] >= '0' && line[i] <= '9'; i++, digits++)
                if ((v = v * 10 + (uint64_t)(line[i] - '0')) > IMAP_UID_MAX)
                    break;
            if (digits == 0 || v == 0 || v > IMAP_UID_MAX || (i < llen && line[i] != ' ')) {
                ink_str_printf(err, "the server's SEARCH answer has a bad UID at byte %zu",
                               (size_t)(line - b) + start);
                goto fail;
            }
            if (*n >= INK_IMAP_MESSAGES_MAX)
                goto done; /* the rest wait for the next run */
            if (*n == cap) {
                size_t ncap = cap ? cap * 2 : IMAP_UIDS_INITIAL;
                uint64_t *nu = ncap > cap ? reallocarray(uids, ncap, sizeof(*uids)) : NULL;
                if (nu == NULL) {
                    ink_str_printf(err, "out of memory listing %zu messages", *n);
                    goto fail;
                }
                uids = nu;
                cap = ncap;
            }
            uids[(*n)++] = v;
        }
    }
done:
    *out = uids;
    return 0;
fail:
    free(uids);
    *n = 0;
    return -1;
}

/* uid_cmp - ascending UIDs: oldest message first */
static int uid_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* fetch - message uid into a fresh memory file (caller closes); -1 with
 * err set.  *gone is set when the message is no longer there. */
static int fetch(struct imap *m, uint64_t uid, int *gone, struct ink_str *err)
{
    char path[INK_IMAP_FOLDER_MAX * 3 + 64], *url = NULL, *mpath = NULL;
    CURLcode rc;
    int fd = memfd_create("inkan-imap-message", MFD_CLOEXEC);

    *gone = 0;
    if (fd < 0) {
        ink_str_printf(err, "UID %llu: cannot make a memory file: %s", (unsigned long long)uid,
                       strerror(errno));
        return -1;
    }
    if (curl_url_get(m->u, CURLUPART_PATH, &mpath, 0) != CURLUE_OK ||
        snprintf(path, sizeof(path), "%s;UID=%llu", mpath, (unsigned long long)uid) >=
            (int)sizeof(path)) {
        ink_str_printf(err, "UID %llu: the mailbox path is too long", (unsigned long long)uid);
        goto fail;
    }
    {
        CURLU *u = curl_url_dup(m->u);
        if (u == NULL || curl_url_set(u, CURLUPART_PATH, path, 0) != CURLUE_OK ||
            curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK) {
            curl_url_cleanup(u);
            ink_str_printf(err, "UID %llu: cannot build the fetch URL", (unsigned long long)uid);
            goto fail;
        }
        curl_url_cleanup(u);
    }
    m->fd = fd;
    m->got = 0;
    m->too_big = m->write_failed = 0;
    m->errbuf[0] = '\0';
    curl_easy_setopt(m->c, CURLOPT_URL, url);
    rc = curl_easy_perform(m->c);
    m->fd = -1;
    if (m->too_big) {
        ink_str_printf(err, "UID %llu: larger than %llu bytes", (unsigned long long)uid,
                       (unsigned long long)INK_IMAP_MESSAGE_MAX);
        *gone = 2;
        goto fail;
    }
    if (m->write_failed) {
        ink_str_printf(err, "UID %llu: cannot hold the message in memory: %s",
                       (unsigned long long)uid, strerror(errno));
        goto fail;
    }
    if (rc == CURLE_REMOTE_FILE_NOT_FOUND || (rc == CURLE_OK && m->got == 0)) {
        *gone = 1; /* expunged meanwhile, by us in an earlier run or someone else */
        goto fail;
    }
    if (rc != CURLE_OK) {
        struct ink_str what = INK_STR_INIT;
        ink_str_printf(&what, "fetching UID %llu", (unsigned long long)uid);
        curl_failed(m, rc, ink_str_cstr(&what), err);
        ink_str_free(&what);
        goto fail;
    }
    if (lseek(fd, 0, SEEK_SET) < 0) {
        ink_str_printf(err, "UID %llu: %s", (unsigned long long)uid, strerror(errno));
        goto fail;
    }
    curl_free(url);
    curl_free(mpath);
    return fd;
fail:
    curl_free(url);
    curl_free(mpath);
    close(fd);
    return -1;
}

/* move - message uid to folder (quoted): UID MOVE where the server has it,
 * else UID COPY, UID STORE +FLAGS (\Deleted) and, with UIDPLUS, UID
 * EXPUNGE of that one message (without UIDPLUS the message stays flagged
 * \Deleted, which the next run's UNDELETED search skips: a bare EXPUNGE
 * would also remove what a person had deleted).  0 or -1 with err set. */
static int move(struct imap *m, int can_move, int uidplus, uint64_t uid, const char *qfolder,
                struct ink_str *err)
{
    struct ink_str cmd = INK_STR_INIT;
    int rc;
    unsigned long long u = (unsigned long long)uid;

    if (can_move) {
        ink_str_printf(&cmd, "UID MOVE %llu %s", u, qfolder);
        rc = command(m, ink_str_cstr(&cmd), err);
    } else {
        ink_str_printf(&cmd, "UID COPY %llu %s", u, qfolder);
        rc = command(m, ink_str_cstr(&cmd), err);
        ink_str_truncate(&cmd, 0);
        ink_str_printf(&cmd, "UID STORE %llu +FLAGS.SILENT (\\Deleted)", u);
        if (rc == 0)
            rc = command(m, ink_str_cstr(&cmd), err);
        ink_str_truncate(&cmd, 0);
        ink_str_printf(&cmd, "UID EXPUNGE %llu", u);
        if (rc == 0 && uidplus)
            rc = command(m, ink_str_cstr(&cmd), err);
    }
    ink_str_free(&cmd);
    return rc;
}

/* The reports of the message being imported. */
struct msg {
    uint64_t uid;
    unsigned long ok, refused, failed;
    ink_import_cb cb;
    void *ctx;
};

/* on_report - count the report's fate and pass it on as "UID N[:ENTRY]" */
static void on_report(void *ctx, const struct ink_import_result *r)
{
    struct msg *g = ctx;
    struct ink_import_result out = *r;

    if (r->status == INK_IMPORT_IMPORTED || r->status == INK_IMPORT_DUPLICATE)
        g->ok++;
    else if (r->status == INK_IMPORT_REFUSED)
        g->refused++;
    else
        g->failed++;
    snprintf(out.entry, sizeof(out.entry), "UID %llu%s%.200s", (unsigned long long)g->uid,
             r->entry[0] ? ":" : "", r->entry);
    g->cb(g->ctx, &out);
}

/* report_line - a result of no report (too big, cannot fetch) to cb */
static void report_line(struct msg *g, enum ink_import_status st, const char *why)
{
    struct ink_import_result r;

    memset(&r, 0, sizeof(r));
    r.status = st;
    snprintf(r.message, sizeof(r.message), "%s", why);
    on_report(g, &r);
}

/* open_conn - libcurl set up for the URL; 0 or -1 with err set */
static int open_conn(struct imap *m, const struct ink_imap_options *o, struct ink_str *err)
{
    char *scheme = NULL, *pw = NULL, *path = NULL, *user = NULL;
    int rc = -1;

    m->fd = -1;
    m->u = curl_url();
    if (m->u == NULL || curl_url_set(m->u, CURLUPART_URL, o->url, 0) != CURLUE_OK ||
        curl_url_get(m->u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
        ink_str_printf(err, "'%s' is not an IMAP URL (imaps://USER@HOST[:PORT]/MAILBOX)", o->url);
        goto out;
    }
    if (strcmp(scheme, "imaps") != 0 && strcmp(scheme, "imap") != 0) {
        ink_str_printf(err, "'%s': the scheme must be imaps:// (or imap:// with STARTTLS)",
                       scheme);
        goto out;
    }
    if (curl_url_get(m->u, CURLUPART_PASSWORD, &pw, 0) == CURLUE_OK) {
        ink_str_printf(err, "the URL carries a password: it would show in process lists and "
                            "logs; give it in a file (--password-file) or INKAN_IMAP_PASSWORD");
        goto out;
    }
    if (curl_url_get(m->u, CURLUPART_USER, &user, 0) != CURLUE_OK || user[0] == '\0') {
        ink_str_printf(err, "the URL names no user (imaps://USER@HOST/MAILBOX)");
        goto out;
    }
    /* a query or a ;UID= would make libcurl SEARCH or FETCH where we run
     * our own commands */
    curl_url_set(m->u, CURLUPART_QUERY, NULL, 0);
    curl_url_set(m->u, CURLUPART_FRAGMENT, NULL, 0);
    if (curl_url_get(m->u, CURLUPART_PATH, &path, 0) != CURLUE_OK || strchr(path, ';') ||
        strcmp(path, "/") == 0)
        curl_url_set(m->u, CURLUPART_PATH, "/INBOX", 0);
    if (curl_url_get(m->u, CURLUPART_URL, &m->mailbox_url, 0) != CURLUE_OK) {
        ink_str_printf(err, "cannot build the mailbox URL");
        goto out;
    }
    m->c = curl_easy_init();
    if (m->c == NULL) {
        ink_str_printf(err, "cannot start libcurl");
        goto out;
    }
    curl_easy_setopt(m->c, CURLOPT_ERRORBUFFER, m->errbuf);
    curl_easy_setopt(m->c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(m->c, CURLOPT_WRITEDATA, m);
    curl_easy_setopt(m->c, CURLOPT_PASSWORD, o->password ? o->password : "");
    curl_easy_setopt(m->c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL); /* imap:// only with STARTTLS */
    curl_easy_setopt(m->c, CURLOPT_PROTOCOLS_STR, "imap,imaps");
    curl_easy_setopt(m->c, CURLOPT_CONNECTTIMEOUT, (long)INK_IMAP_CONNECT_TIMEOUT);
    curl_easy_setopt(m->c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(m->c, CURLOPT_LOW_SPEED_TIME, (long)INK_IMAP_STALL_TIMEOUT);
    curl_easy_setopt(m->c, CURLOPT_NOSIGNAL, 1L);
    if (o->ca_file)
        curl_easy_setopt(m->c, CURLOPT_CAINFO, o->ca_file);
    if (o->cancelled) {
        curl_easy_setopt(m->c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(m->c, CURLOPT_XFERINFODATA, (void *)o);
        curl_easy_setopt(m->c, CURLOPT_NOPROGRESS, 0L);
    }
    if (o->insecure) {
        curl_easy_setopt(m->c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(m->c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    rc = 0;
out:
    curl_free(scheme);
    curl_free(pw);
    curl_free(path);
    curl_free(user);
    return rc;
}

/* ink_report_import_imap - see report_imap.h */
int ink_report_import_imap(struct ink_store *store, const struct ink_imap_options *o,
                           const struct ink_import_limits *lim, ink_import_cb cb, void *ctx,
                           struct ink_str *err)
{
    struct imap m;
    struct ink_str qproc = INK_STR_INIT, qref = INK_STR_INIT, cmd = INK_STR_INIT;
    struct ink_str why = INK_STR_INIT;
    const char *processed = o->processed ? o->processed : INK_IMAP_PROCESSED_DEFAULT;
    uint64_t *uids = NULL;
    size_t n = 0, i;
    int can_move, uidplus, bad = 0, rc = -1;

    memset(&m, 0, sizeof(m));
    m.fd = -1;
    if (quote_folder(processed, &qproc) < 0 || (o->refused && quote_folder(o->refused, &qref) < 0)) {
        ink_str_printf(err, "a folder name must be 1 to %d printable ASCII characters",
                       INK_IMAP_FOLDER_MAX);
        goto out;
    }
    if (o->refused && strcmp(o->refused, processed) == 0) {
        ink_str_printf(err, "the refused folder cannot be the processed folder");
        goto out;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (open_conn(&m, o, err) < 0)
        goto out;
    /* the first command logs in and selects the mailbox: a wrong password,
     * an unknown mailbox or a dead server shows here */
    if (command(&m, "CAPABILITY", &why) < 0) {
        ink_str_printf(err, "connecting, logging in or selecting the mailbox: %s",
                       m.errbuf[0] ? m.errbuf : ink_str_cstr(&why));
        goto out;
    }
    can_move = ink_imap_capability_has((const uint8_t *)m.resp.buf, m.resp.len, "CAPABILITY",
                                       "MOVE");
    uidplus = ink_imap_capability_has((const uint8_t *)m.resp.buf, m.resp.len, "CAPABILITY",
                                      "UIDPLUS");
    /* the folders may exist already: CREATE's NO is not an error, a move
     * into a folder that still does not exist is */
    ink_str_printf(&cmd, "CREATE %s", ink_str_cstr(&qproc));
    command(&m, ink_str_cstr(&cmd), &why);
    if (o->refused) {
        ink_str_truncate(&cmd, 0);
        ink_str_printf(&cmd, "CREATE %s", ink_str_cstr(&qref));
        command(&m, ink_str_cstr(&cmd), &why);
    }
    if (command(&m, "UID SEARCH UNDELETED", err) < 0)
        goto out;
    if (ink_imap_search_parse((const uint8_t *)m.resp.buf, m.resp.len, &uids, &n, err) < 0)
        goto out;
    if (n > 0)
        qsort(uids, n, sizeof(*uids), uid_cmp);
    for (i = 0; i < n; i++) {
        struct msg g = {uids[i], 0, 0, 0, cb, ctx};
        const char *dest = NULL;
        enum ink_imap_action act;
        int gone = 0, fd;

        if (o->cancelled && o->cancelled(o->cancel_ctx)) {
            ink_str_printf(err, "stopped before UID %llu (the rest waits for the next run)",
                           (unsigned long long)uids[i]);
            goto out;
        }
        ink_str_truncate(&why, 0);
        fd = fetch(&m, uids[i], &gone, &why);
        if (fd < 0 && gone == 1)
            continue;
        if (fd < 0 && gone == 2) { /* too big: refused, not a failure */
            report_line(&g, INK_IMPORT_REFUSED, ink_str_cstr(&why));
        } else if (fd < 0) {
            ink_str_puts(err, ink_str_cstr(&why));
            goto out;
        } else {
            struct ink_str name = INK_STR_INIT;
            ink_str_printf(&name, "%s;UID=%llu", m.mailbox_url, (unsigned long long)uids[i]);
            ink_report_import_fd(store, fd, ink_str_cstr(&name), lim, on_report, &g);
            ink_str_free(&name);
            close(fd);
        }
        if (g.failed) {
            /* the store (or reading) failed: the message stays, the run stops */
            if (o->on_message)
                o->on_message(ctx, uids[i], INK_IMAP_NOT_MOVED, NULL, "a report was not stored");
            ink_str_printf(err, "UID %llu: a report could not be stored; the message stays "
                                "in the mailbox", (unsigned long long)uids[i]);
            goto out;
        }
        if (g.refused) {
            bad++;
            dest = o->refused ? ink_str_cstr(&qref) : NULL;
            act = o->refused ? INK_IMAP_REFUSED_MOVED : INK_IMAP_LEFT;
        } else {
            /* every report is committed or was already: now, and only
             * now, the message may leave the mailbox */
            if (o->stall_after_commit)
                sleep(o->stall_after_commit);
            dest = ink_str_cstr(&qproc);
            act = INK_IMAP_MOVED;
        }
        if (dest != NULL) {
            ink_str_truncate(&why, 0);
            if (move(&m, can_move, uidplus, uids[i], dest, &why) < 0) {
                if (o->on_message)
                    o->on_message(ctx, uids[i], INK_IMAP_NOT_MOVED, NULL, ink_str_cstr(&why));
                ink_str_printf(err, "UID %llu: its reports are stored but it could not be "
                                    "moved (%s); the next run moves it",
                               (unsigned long long)uids[i], ink_str_cstr(&why));
                goto out;
            }
        }
        if (o->on_message)
            o->on_message(ctx, uids[i], act,
                          act == INK_IMAP_MOVED ? processed
                          : act == INK_IMAP_REFUSED_MOVED ? o->refused : NULL,
                          NULL);
    }
    rc = bad;
out:
    free(uids);
    if (m.c)
        curl_easy_cleanup(m.c);
    curl_url_cleanup(m.u);
    curl_free(m.mailbox_url);
    ink_str_free(&m.resp);
    ink_str_free(&qproc);
    ink_str_free(&qref);
    ink_str_free(&cmd);
    ink_str_free(&why);
    return rc;
}

/* ink_imap_action_name - a message's fate in words */
const char *ink_imap_action_name(enum ink_imap_action a)
{
    switch (a) {
    case INK_IMAP_MOVED: return "moved";
    case INK_IMAP_REFUSED_MOVED: return "moved (refused)";
    case INK_IMAP_LEFT: return "left in the mailbox";
    case INK_IMAP_NOT_MOVED: return "not moved";
    }
    return "?";
}
