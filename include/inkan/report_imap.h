/*
 * inkan/report_imap.h - importing DMARC reports from an IMAP mailbox
 * (libcurl, TLS): each message is fetched by UID, imported through
 * ink_report_import_fd, and moved to a processed folder only after every
 * report it carries is committed in the store (or known there already).
 * A crash between the commit and the move leaves the message where it
 * was: the next run finds its reports duplicates and moves it then, so no
 * report is lost and none is stored twice.
 */
#ifndef INKAN_REPORT_IMAP_H
#define INKAN_REPORT_IMAP_H

#include <stdint.h>

#include "inkan/report_import.h"
#include "inkan/str.h"

#include "inkan/export.h"

#ifdef __cplusplus
extern "C" {
#endif

INK_API_BEGIN

/* Bytes one fetched message may have (a report mail is rarely over a few MB). */
#define INK_IMAP_MESSAGE_MAX ((uint64_t)256 << 20)
/* Messages one run takes from the mailbox (the rest wait for the next run). */
#define INK_IMAP_MESSAGES_MAX 100000
/* Bytes of one folder name. */
#define INK_IMAP_FOLDER_MAX 200
/* Seconds to connect (TCP and TLS), and seconds a transfer may stall. */
#define INK_IMAP_CONNECT_TIMEOUT 30
#define INK_IMAP_STALL_TIMEOUT 60
/* The folder processed messages go to unless told otherwise. */
#define INK_IMAP_PROCESSED_DEFAULT "Processed"

/* What happened to one message. */
enum ink_imap_action {
    INK_IMAP_MOVED = 0,    /* every report stored (or a duplicate): moved to processed */
    INK_IMAP_REFUSED_MOVED,/* a report refused: moved to the refused folder */
    INK_IMAP_LEFT,         /* a report refused, no refused folder: left in place */
    INK_IMAP_NOT_MOVED     /* the store or the server failed: left in place */
};

/* Called once per message after its fate is known; folder is where it went
 * (NULL when it stayed), why the server's complaint when a move failed. */
typedef void (*ink_imap_message_cb)(void *ctx, uint64_t uid, enum ink_imap_action act,
                                    const char *folder, const char *why);

struct ink_imap_options {
    const char *url;        /* imaps://user@host[:port]/MAILBOX (imap:// needs STARTTLS) */
    const char *password;   /* never in the URL */
    const char *processed;  /* NULL: INK_IMAP_PROCESSED_DEFAULT */
    const char *refused;    /* NULL: a message with a refused report stays put */
    const char *ca_file;    /* NULL: the system's CAs */
    int insecure;           /* do not verify the server's certificate (tests) */
    unsigned stall_after_commit; /* seconds to wait between a message's commit
                                  * and its move: a test hook for crash tests */
    ink_imap_message_cb on_message;
    /* NULL, or asked between messages and while a transfer runs: when it
     * returns non-zero the run ends at once (a transfer in flight is
     * aborted) with an error, the message being handled left where it
     * was.  A service stopping uses it; ctx is cancel_ctx. */
    int (*cancelled)(void *cancel_ctx);
    void *cancel_ctx;
};

/*
 * ink_report_import_imap - import every undeleted message of the URL's
 * mailbox, oldest UID first.  cb gets each report's result (entry is
 * "UID N" or "UID N:ATTACHMENT"), o->on_message each message's move.
 * Returns the number of messages with a refused report (0: all moved),
 * or -1 with err set when the server or the store failed (the run stops:
 * the message being handled stays where it was).
 */
int ink_report_import_imap(struct ink_store *store, const struct ink_imap_options *o,
                           const struct ink_import_limits *lim, ink_import_cb cb, void *ctx,
                           struct ink_str *err);

/*
 * ink_imap_search_parse - the UIDs of the untagged "* SEARCH" lines in
 * [buf, buf + len) (a server's answer to UID SEARCH) into *out, a fresh
 * array the caller frees (NULL when none), *n their count, in the order
 * the server gave them.  At most INK_IMAP_MESSAGES_MAX are listed; the
 * rest wait for the next run.  0, or -1 with err set (and nothing
 * returned: a partial list would skip messages without saying so): a UID
 * that is not a 32-bit nz-number (RFC 3501), with its byte offset, or no
 * memory.
 */
int ink_imap_search_parse(const uint8_t *buf, size_t len, uint64_t **out, size_t *n,
                          struct ink_str *err);

/* ink_imap_capability_has - an untagged "* KEY ..." line of [buf, buf +
 * len) carries word as one space-separated atom (case-insensitive): the
 * CAPABILITY answer names MOVE, UIDPLUS... */
int ink_imap_capability_has(const uint8_t *buf, size_t len, const char *key, const char *word);

/* ink_imap_action_name - "moved", "moved (refused)", "left", "not moved" */
const char *ink_imap_action_name(enum ink_imap_action a);

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
