/*
 * report_imap.c - 'inkan report import imaps://USER@HOST/MAILBOX': the
 * password (a file or INKAN_IMAP_PASSWORD, never an argument: argv shows
 * in process lists), the folder options, and the lines printed per
 * message, around ink_report_import_imap (src/reports/imap.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "report_imap.h"
#include "inkan/report_imap.h"
#include "inkan/str.h"

/* Seconds the test hook INKAN_TEST_IMAP_STALL may ask for. */
#define REPORT_IMAP_STALL_MAX 600

/* cli_is_imap_url - imaps:// or imap:// */
int cli_is_imap_url(const char *arg)
{
    return strncasecmp(arg, "imaps://", 8) == 0 || strncasecmp(arg, "imap://", 7) == 0;
}

/* shown_url - url for messages, with a password in it replaced by "***"
 * (caller frees; it is refused, but its error must not print it) */
static char *shown_url(const char *url)
{
    struct ink_str s = INK_STR_INIT;
    const char *auth = strstr(url, "://"), *at, *colon, *slash;

    if (auth == NULL)
        return ink_memdup_cstr(url, strlen(url));
    auth += 3;
    slash = strchr(auth, '/');
    at = memchr(auth, '@', slash ? (size_t)(slash - auth) : strlen(auth));
    colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (colon == NULL)
        return ink_memdup_cstr(url, strlen(url));
    ink_str_append(&s, url, (size_t)(colon - url));
    ink_str_puts(&s, ":***");
    ink_str_puts(&s, at);
    return ink_str_steal(&s);
}

/* cli_imap_password - see report_imap.h */
int cli_imap_password(const char *path, char *buf, size_t len, struct ink_str *why)
{
    FILE *fp = fopen(path, "re");
    size_t n;

    if (fp == NULL) {
        ink_str_printf(why, "%s", strerror(errno));
        return -1;
    }
    n = fread(buf, 1, len - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    if (buf[0] == '\0') {
        ink_str_puts(why, "empty first line");
        return -1;
    }
    return 0;
}

/* read_password - the first line of path into buf; 0 or -1 after saying why */
static int read_password(const char *path, char *buf, size_t len)
{
    struct ink_str why = INK_STR_INIT;
    int rc = cli_imap_password(path, buf, len, &why);

    if (rc < 0)
        cli_error("--password-file '%s': %s", cli_shown(path), ink_str_cstr(&why));
    ink_str_free(&why);
    return rc;
}

/* The printing context of one mailbox. */
struct printer {
    const char *url;
};

/* What the adapter's callbacks get: the printer and report.c's tally. */
struct relay {
    const struct printer *p;
    ink_import_cb cb;
    void *ctx;
};

/* on_message - "URL: UID N: moved to FOLDER" (or why it stayed) */
static void on_message(void *ctx, uint64_t uid, enum ink_imap_action act, const char *folder,
                       const char *why)
{
    const struct printer *p = ((const struct relay *)ctx)->p;

    printf("%s: UID %llu: %s%s%s%s%s\n", p->url, (unsigned long long)uid,
           ink_imap_action_name(act), folder ? " to " : "", folder ? folder : "",
           why ? ": " : "", why ? why : "");
    fflush(stdout);
}

/* on_report - pass a report's result to report.c's printer */
static void on_report(void *ctx, const struct ink_import_result *r)
{
    struct relay *rl = ctx;
    rl->cb(rl->ctx, r);
}

/* cli_report_imap - see report_imap.h */
int cli_report_imap(struct ink_store *st, const char *url, const struct cli_imap_opts *o,
                    const struct ink_import_limits *lim, ink_import_cb cb, void *ctx)
{
    struct ink_imap_options io;
    struct ink_str err = INK_STR_INIT;
    char *shown = shown_url(url);
    struct printer pr = {shown ? shown : "imap"};
    struct relay rl = {&pr, cb, ctx};
    char pw[CLI_IMAP_PASSWORD_MAX];
    const char *env = getenv("INKAN_IMAP_PASSWORD"), *stall = getenv("INKAN_TEST_IMAP_STALL");
    int rc;

    memset(&io, 0, sizeof(io));
    if (o->password_file) {
        if (read_password(o->password_file, pw, sizeof(pw)) < 0) {
            free(shown);
            return -1;
        }
        io.password = pw;
    } else if (env && env[0]) {
        io.password = env;
    } else {
        cli_error("%s: give the password in a file (--password-file FILE) or in "
                  "INKAN_IMAP_PASSWORD", cli_shown(pr.url));
        free(shown);
        return -1;
    }
    if (stall && stall[0]) {
        /* test hook: wait between a message's commit and its move, so a
         * test can SIGKILL inside that window; it changes no result */
        char *end;
        unsigned long v = strtoul(stall, &end, 10);
        if (*end == '\0' && v <= REPORT_IMAP_STALL_MAX)
            io.stall_after_commit = (unsigned)v;
    }
    io.url = url;
    io.processed = o->processed;
    io.refused = o->refused;
    io.ca_file = o->ca_file;
    io.insecure = o->insecure;
    io.on_message = on_message;
    rc = ink_report_import_imap(st, &io, lim, on_report, &rl, &err);
    explicit_bzero(pw, sizeof(pw));
    if (rc < 0)
        cli_error("%s: %s", cli_shown(pr.url), ink_str_cstr(&err));
    ink_str_free(&err);
    free(shown);
    return rc < 0 ? -1 : rc > 0;
}
