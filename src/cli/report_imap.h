/*
 * report_imap.h - the IMAP part of 'inkan report import' (report_imap.c):
 * its options, and the call report.c makes for an imaps:// argument.
 */
#ifndef INKAN_CLI_REPORT_IMAP_H
#define INKAN_CLI_REPORT_IMAP_H

#include "inkan/report_import.h"

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

/*
 * cli_report_imap - import the mailbox at url, printing a line per report
 * (through cb) and per message; 0 all moved, 1 some refused, -1 failed
 * (said why on stderr).
 */
int cli_report_imap(struct ink_store *st, const char *url, const struct cli_imap_opts *o,
                    const struct ink_import_limits *lim, ink_import_cb cb, void *ctx);

#endif
