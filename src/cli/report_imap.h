/*
 * report_imap.h - the IMAP part of 'inkan report import' (report_imap.c):
 * its options, and the call report.c makes for an imaps:// argument.
 */
#ifndef INKAN_CLI_REPORT_IMAP_H
#define INKAN_CLI_REPORT_IMAP_H

#include <stddef.h>

#include "inkan/report_import.h"
#include "inkan/str.h"

/* Bytes of a password file read (a password is a line). */
#define CLI_IMAP_PASSWORD_MAX 1024

/* The IMAP options of one import run (NULL / 0: not given). */
struct cli_imap_opts {
    const char *processed;     /* --processed-folder */
    const char *refused;       /* --refused-folder */
    const char *password_file; /* --password-file */
    const char *ca_file;       /* --ca */
    int insecure;              /* --insecure */
};

/* cli_is_imap_url - the argument names a mailbox, not a file */
int cli_is_imap_url(const char *arg);

/* cli_imap_password - the first line of the file at path into buf (len
 * bytes); 0, or -1 with why (no file, an empty first line) in why.  The
 * service (serve_import.c) reads it this way before each run. */
int cli_imap_password(const char *path, char *buf, size_t len, struct ink_str *why);

/*
 * cli_report_imap - import the mailbox at url, printing a line per report
 * (through cb) and per message; 0 all moved, 1 some refused, -1 failed
 * (said why on stderr).
 */
int cli_report_imap(struct ink_store *st, const char *url, const struct cli_imap_opts *o,
                    const struct ink_import_limits *lim, ink_import_cb cb, void *ctx);

#endif
