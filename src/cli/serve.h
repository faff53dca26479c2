/* serve.h - what the parts of `inkan serve` share: the JSON answers
 * (serve.c), the evaluation endpoints (serve_eval.c), the check runner
 * of GET /api/check/{d} (serve_check.c), which runs the DNS work of
 * `inkan check` on a thread of its own, off libmicrohttpd's, the
 * configuration file (serve_config.c) and the scheduled report imports
 * (serve_import.c), on a thread of their own too. */
#ifndef INKAN_CLI_SERVE_H
#define INKAN_CLI_SERVE_H

#include <jansson.h>

#include "inkan/http.h"
#include "inkan/resolver.h"
#include "inkan/str.h"

/* serve_json - res's body: j dumped (j's reference taken), with <, > and
 * & written as \u escapes so no text of the document can open markup */
void serve_json(struct ink_http_response *res, unsigned status, json_t *j);
/* serve_error - the JSON error document {"error":{"code","message"}} */
void serve_error(struct ink_http_response *res, unsigned status, const char *code,
                 const char *message);

struct ink_store;

/* serve_evaluations - GET /api/evaluations (view NULL: a page of rows) or
 * /api/evaluations/VIEW ("summary": counts) over st (serve_eval.c) */
void serve_evaluations(struct ink_store *st, const struct ink_http_request *req,
                       const char *view, struct ink_http_response *res);

/* Seconds one GET /api/check/{d} may take by default (--check-timeout). */
#define SERVE_CHECK_TIMEOUT_DEFAULT 30
/* Largest --check-timeout. */
#define SERVE_CHECK_TIMEOUT_MAX 600
/* Checks queued or running at once; more are answered 503. */
#define SERVE_CHECK_QUEUE_MAX 32
/* DKIM selectors one check may name (selector=a,b). */
#define SERVE_CHECK_SELECTORS_MAX 16

struct serve_check;

/* serve_check_start - the check runner's thread over the DNS source dns
 * (borrowed: must outlive the runner), each check answered 504 after
 * timeout_s seconds.  NULL after printing why. */
struct serve_check *serve_check_start(const struct ink_resolver_opts *dns, int timeout_s);
/* serve_check_request - make res a deferred answer: the check of domain
 * (a normalized name) with the DKIM selectors of the comma list sel (NULL:
 * none), run on the runner's thread.  0; -1 after filling res with the
 * error (400 for a bad selector list, 500 out of memory). */
int serve_check_request(struct serve_check *c, const char *domain, const char *sel,
                        struct ink_http_response *res);
/* serve_check_stop - answer what is queued or running 503, stop the
 * thread and free; before ink_http_stop.  NULL is a no-op. */
void serve_check_stop(struct serve_check *c);

/* ---- the configuration file (serve_config.c, docs/serve.md) ---- */

/* Bytes of a configuration file read at most. */
#define SERVE_CONFIG_SIZE_MAX (256u * 1024u)
/* Nesting of mappings and lists a configuration may have (imports: [{...}]). */
#define SERVE_CONFIG_DEPTH_MAX 4
/* Bytes of one value. */
#define SERVE_CONFIG_SCALAR_MAX 1024
/* Entries of imports:. */
#define SERVE_IMPORTS_MAX 32
/* Seconds between two runs of an import unless every: says. */
#define SERVE_IMPORT_EVERY_DEFAULT 300
/* Largest every: (a day). */
#define SERVE_IMPORT_EVERY_MAX 86400
/* Largest headers-max: of an import (as report import --headers-max). */
#define SERVE_IMPORT_HEADERS_MAX_MAX ((size_t)1 << 20)

/* What an import reads. */
enum serve_import_kind { SERVE_IMPORT_DIR, SERVE_IMPORT_IMAP };

/* One entry of imports: (paths already taken from the file's directory). */
struct serve_import_src {
    enum serve_import_kind kind;
    char *dir;           /* dir: the spool directory */
    char *processed;     /* dir: where imported files go (NULL: DIR/processed) */
    char *refused;       /* dir: where refused files go (NULL: DIR/refused) */
    char *url;           /* imap: imaps://USER@HOST[:PORT]/MAILBOX */
    char *password_file; /* imap: NULL: INKAN_IMAP_PASSWORD */
    char *processed_folder, *refused_folder; /* imap: NULL: Processed / left */
    char *ca;            /* imap: CA file, NULL: the system's */
    int insecure;        /* imap: no certificate check */
    int redact;          /* failure reports: addresses' local parts dropped */
    int headers_max;     /* failure reports: header bytes kept; -1: the default */
    int every;           /* seconds between runs */
    unsigned long line, column; /* where the entry starts, for messages */
};

/* The file's settings; a key not given is NULL / -1 / 0 as said. */
struct serve_config {
    char *path;                     /* the file, for messages */
    char *listen, *db, *tls_cert, *tls_key, *profiles;
    unsigned long listen_line, listen_column; /* where listen: is (1:1 when not given) */
    int insecure_listen;            /* -1: not given */
    unsigned rate;                  /* 0: not given */
    int check_timeout;              /* 0: not given */
    int auth_port;                  /* 0: not given */
    char *zone, *origin, *dns, *trust_anchor;
    int timeout_ms;                 /* DNS query timeout; 0: not given */
    struct serve_import_src *imports;
    size_t nimports;
};

/* serve_config_parse - the YAML of [buf, buf + len), relative paths taken
 * from base_dir.  Unknown keys are refused.  NULL with "LINE:COLUMN: KEY:
 * why" in err; caller frees the result with serve_config_free. */
struct serve_config *serve_config_parse(const uint8_t *buf, size_t len, const char *base_dir,
                                        struct ink_str *err);
/* serve_config_load - read and parse path; NULL after printing
 * "serve: PATH:LINE:COLUMN: KEY: why" */
struct serve_config *serve_config_load(const char *path);
/* serve_config_merge - what the command line left unset (NULL, 0) taken
 * from cfg: ho's listen, tls-cert/tls-key (as a pair), rate; *db,
 * *profiles, *check_timeout, *auth_port; *insecure raised by insecure-listen: true;
 * the DNS source (zone, dns, origin) unless the command line named one,
 * timeout, trust-anchor (checked readable).  Borrows cfg's strings.
 * 0, or -1 after printing why. */
int serve_config_merge(const struct serve_config *cfg, struct ink_http_opts *ho, const char **db,
                       int *insecure, const char **profiles, int *check_timeout,
                       int *auth_port, struct ink_resolver_opts *dns);
/* serve_config_free - release; NULL is a no-op */
void serve_config_free(struct serve_config *c);

/* ---- the scheduled report imports (serve_import.c) ---- */

/* Files of one spool directory a run takes (the rest wait for the next). */
#define SERVE_SPOOL_FILES_MAX 1000
/* Seconds a spool file must be left unchanged before it is read (a file
 * still being copied in is not taken half written). */
#define SERVE_SPOOL_SETTLE 2
/* Tries at a free name in processed/ or refused/ (NAME, NAME.1, ...). */
#define SERVE_SPOOL_RENAME_TRIES 100

struct serve_imports;

/* serve_imports_check - what the imports need before the service starts:
 * each spool directory exists; its processed and refused directories exist
 * or (create) are made, on the spool's file system; each mailbox has its
 * password.  0, or -1 after printing "serve: FILE:LINE:COLUMN: imports: why". */
int serve_imports_check(const struct serve_config *cfg, int create);
/* serve_imports_start - the imports of cfg (borrowed: must outlive the
 * runner) into the store db (NULL: the default), each run at once and
 * then every its seconds, on a thread of its own.  A config without
 * imports gives a runner that runs nothing.  NULL after printing why. */
struct serve_imports *serve_imports_start(const struct serve_config *cfg, const char *db);
/* serve_imports_metrics - the imports' counters in the Prometheus text
 * format onto b (si NULL: zeros) */
void serve_imports_metrics(struct serve_imports *si, struct ink_str *b);
/* serve_imports_stop - end a run in progress (a mailbox transfer is
 * aborted, a spool run stops between files), stop the thread, free.
 * NULL is a no-op. */
void serve_imports_stop(struct serve_imports *si);

#endif
