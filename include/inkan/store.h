/*
 * inkan/store.h - where verification state lives between runs: domains,
 * their expected records with per-record state, and the history of state
 * changes.  A backend is a struct of function pointers, one file each
 * under src/store/: SQLite (store_sqlite.c, a file path) and PostgreSQL
 * (store_pg.c, a postgresql:// URI); ink_store_open picks by the name.
 *
 * Every save is one transaction, and saves carry the revision the domain
 * was loaded at: a save over a newer revision (another process checked the
 * domain meanwhile) is refused with INK_STORE_CONFLICT instead of undoing
 * that process's work.
 */
#ifndef INKAN_STORE_H
#define INKAN_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "inkan/arf.h"
#include "inkan/evlog.h"
#include "inkan/report.h"
#include "inkan/report_mark.h"
#include "inkan/report_sim.h"
#include "inkan/rotate.h"
#include "inkan/str.h"
#include "inkan/verify.h"

#include "inkan/export.h"

#ifdef __cplusplus
extern "C" {
#endif

INK_API_BEGIN

/* Return codes besides 0 (done) and -1 (error, reason in err). */
#define INK_STORE_NOT_FOUND 1
#define INK_STORE_EXISTS 2
#define INK_STORE_CONFLICT 3

/* History rows one status query returns at most. */
#define INK_STORE_HISTORY_MAX 1000

/* One row of a domain's history. */
struct ink_store_event {
    int64_t at;
    long record;            /* index of the record, -1 for the domain */
    char *owner;            /* the record's owner, NULL for the domain */
    char *type;             /* "CNAME", ... NULL for the domain */
    enum ink_vstate from, to;
    char *detail;           /* why (the record's detail at the time), or NULL */
};

/* Sources one report summary lists per domain at most (the largest first). */
#define INK_STORE_SOURCES_MAX 10000
/* Bytes of a SHA-256 digest in hex, with the terminator. */
#define INK_STORE_SHA256_HEX 65

/* One sending source (IP address) of a domain, over its stored reports. */
struct ink_report_source {
    char *ip;
    uint64_t messages;
    uint64_t dmarc_pass;        /* policy_evaluated dkim or spf pass */
    uint64_t spf_aligned_pass;  /* policy_evaluated spf pass */
    uint64_t dkim_aligned_pass; /* policy_evaluated dkim pass */
    uint64_t fail_authenticated; /* failed DMARC yet an SPF or DKIM result passed */
    char *ptr;                  /* reverse name cached in the store, or NULL */
    int64_t ptr_looked_up_at;   /* when it was looked up (0: never; with
                                 * ptr NULL: the address has no reverse name) */
    char *platform;             /* sending platform (set by the caller from a
                                 * platform map, owned), or NULL */
    const char *class;          /* ink_report_source_class() (static) */
    char *spf_pass_domains;     /* sources not aligned: the domains SPF passed
                                 * for, space-separated (owned), or NULL */
    char *dkim_pass_domains;    /* and the DKIM d=/s= that passed ("d/s") */
    char *spf_auth_domains;     /* every source: the domains SPF passed for
                                 * in any row, space-separated (owned), or NULL */
    char *dkim_auth_domains;    /* and the DKIM d= domains that passed */
    /* the owner's mark (report_mark_list, set by the caller with
     * inkan/report_mark.h; class is then ink_report_class_marked's) */
    const char *mark;           /* "ours", "spoof" (static), or NULL: none */
    char *mark_network;         /* the marked network holding the source,
                                 * "ADDR/PREFIX" (owned), or NULL */
};

/* What the stored reports say about one policy domain. */
struct ink_report_summary {
    char *domain;
    uint64_t reports, duplicates, messages;
    uint64_t dmarc_pass, dmarc_fail, spf_aligned_pass, dkim_aligned_pass;
    uint64_t failure_reports;   /* failure (ARF) reports stored for the domain */
    int64_t begin, end;         /* earliest begin, latest end of the reports */
    char *p;                    /* the policy the latest report saw published, or NULL */
    char *testing;              /* and its t= (RFC 9990), or NULL */
    struct ink_report_source *sources;
    size_t nsources;
};

/* One UTC day of stored aggregate reports (report_timeline): the reports
 * whose period begins that day. */
struct ink_report_day {
    int64_t day;                /* 00:00 UTC of the day, epoch seconds */
    uint64_t reports, messages, dmarc_pass, dmarc_fail;
};

/* One cached reverse lookup (report_ptr_put). */
struct ink_store_ptr {
    const char *ip;
    const char *ptr;            /* the name, or NULL: the address has none */
    int64_t at;                 /* when it was looked up (seconds since the epoch) */
};

/* An API token of `inkan serve` as listed (the token itself is never kept). */
struct ink_store_token {
    char *name;
    int64_t created, last_used; /* epoch seconds; last_used 0: never */
};

/* One mark an owner put on a network of sending sources (inkan report
 * mark; inkan/report_mark.h says what marks do). */
struct ink_store_mark {
    char *domain;               /* the policy domain, lower case */
    char *network;              /* the network's address, canonical text
                                 * ("198.51.100.0", "2001:db8::") */
    unsigned prefix;            /* its prefix length (32 / 128: one address) */
    char *mark;                 /* "ours" or "spoof" */
    int64_t created;            /* when it was (last) set, epoch seconds */
    char *note;                 /* the owner's note, or NULL */
};

/* Rows one evaluations_add takes at most (one transaction). */
#define INK_STORE_EVROWS_MAX 10000

/* ink_evrow_fn - one listed evaluation row (borrowed for the call); return
 * 0 to go on, anything else to stop the listing, which returns it */
typedef int (*ink_evrow_fn)(void *arg, const struct ink_evrow *row);

/* ink_evrow_id_fn - one listed evaluation row with its row id (the
 * store's, increasing in the order rows were stored), borrowed for the
 * call; 0 to go on, anything else to stop the listing, which returns it */
typedef int (*ink_evrow_id_fn)(void *arg, int64_t id, const struct ink_evrow *row);

/* One page of evaluations (evaluations_page): newest first, that is by
 * time then row id, both descending; a page starts after a cursor (the
 * time and id of the last row of the page before), so rows stored
 * meanwhile neither repeat nor hide rows of the pages to come. */
struct ink_store_evpage {
    int64_t begin, end;         /* begin <= at < end */
    const char *domain;         /* the header From domain, or NULL: all */
    int has_cursor;             /* 0: from the newest row */
    int64_t after_at, after_id; /* the cursor: rows (at, id) before it */
    size_t limit;               /* rows at most (1 or more) */
};

/* Count of evaluations of one header From domain with one DMARC result
 * and disposition (evaluations_summary). */
struct ink_store_evcount {
    const char *domain;         /* header From ("" when the message had none) */
    const char *dmarc;          /* dmarc_result ("" when none was found) */
    const char *disposition;    /* "none", "quarantine", "reject" (or "") */
    int64_t n;
};

/* ink_evcount_fn - one count (borrowed for the call); 0 to go on */
typedef int (*ink_evcount_fn)(void *arg, const struct ink_store_evcount *c);

struct ink_store;

struct ink_store_ops {
    const char *name;
    /* add - store a new domain (with its records); INK_STORE_EXISTS when
     * it is there already and replace is 0 (replace: drop the old one and
     * its history first).  Sets d->rev. */
    int (*add)(struct ink_store *s, struct ink_vdomain *d, int replace, struct ink_str *err);
    /* get - load one domain; INK_STORE_NOT_FOUND if absent.  Caller frees *out. */
    int (*get)(struct ink_store *s, const char *domain, struct ink_vdomain **out,
               struct ink_str *err);
    /* list - every domain, by name; caller frees each and the array */
    int (*list)(struct ink_store *s, struct ink_vdomain ***out, size_t *n, struct ink_str *err);
    /* save - write d's new state and records and append the changes, in
     * one transaction; INK_STORE_CONFLICT if d->rev is stale.  Bumps d->rev. */
    int (*save)(struct ink_store *s, struct ink_vdomain *d, const struct ink_vchange *changes,
                size_t nchanges, struct ink_str *err);
    /* remove - forget a domain and its history; INK_STORE_NOT_FOUND if absent */
    int (*remove)(struct ink_store *s, const char *domain, struct ink_str *err);
    /* due - names of domains whose next poll is at or before now, soonest
     * first (caller frees each and the array), and in *next the earliest
     * poll time after now (0 when none) */
    int (*due)(struct ink_store *s, int64_t now, char ***names, size_t *n, int64_t *next,
               struct ink_str *err);
    /* history - the latest (at most limit) changes of a domain, oldest
     * first; caller frees with ink_store_events_free */
    int (*history)(struct ink_store *s, const char *domain, size_t limit,
                   struct ink_store_event **out, size_t *n, struct ink_str *err);
    /*
     * Reports: one report is one transaction.  report_begin opens it for
     * the report m describes (source: where it came from, for people);
     * INK_STORE_EXISTS when the same org_name + report_id is stored (the
     * duplicate is counted, nothing is open).  report_record adds one
     * record; report_commit checks the bytes' SHA-256 (hex) against the
     * stored reports (INK_STORE_EXISTS: same bytes, counted, rolled back)
     * and commits; report_abort rolls back (a refused report).
     */
    int (*report_begin)(struct ink_store *s, const struct ink_report_meta *m, const char *source,
                        struct ink_str *err);
    int (*report_record)(struct ink_store *s, const struct ink_report_record *r,
                         struct ink_str *err);
    int (*report_commit)(struct ink_store *s, const char *sha256_hex, uint64_t bytes,
                         const char *notes, struct ink_str *err);
    void (*report_abort)(struct ink_store *s);
    /* report_failure_add - store one failure report (its fields, the
     * original headers or NULL, the SHA-256 hex of the message bytes it
     * came in); INK_STORE_EXISTS when those bytes are stored (counted) */
    int (*report_failure_add)(struct ink_store *s, const struct ink_arf *a, const char *headers,
                              const char *sha256_hex, const char *source, struct ink_str *err);
    /* report_summary - one summary per policy domain (domain NULL: every
     * one, by name); caller frees with ink_report_summaries_free */
    int (*report_summary)(struct ink_store *s, const char *domain,
                          struct ink_report_summary **out, size_t *n, struct ink_str *err);
    /* report_ptr_put - cache n reverse-lookup outcomes (replacing older
     * ones) in one transaction */
    int (*report_ptr_put)(struct ink_store *s, const struct ink_store_ptr *v, size_t n,
                          struct ink_str *err);
    /* token_add - keep an API token's name and SHA-256 (hex); INK_STORE_EXISTS
     * when taken */
    int (*token_add)(struct ink_store *s, const char *name, const char *sha256_hex, int64_t now,
                     struct ink_str *err);
    /* token_find - the name of the token with this hash (caller frees),
     * INK_STORE_NOT_FOUND when none; records the use at now */
    int (*token_find)(struct ink_store *s, const char *sha256_hex, int64_t now, char **name,
                      struct ink_str *err);
    /* token_list - every token by name; caller frees with ink_store_tokens_free */
    int (*token_list)(struct ink_store *s, struct ink_store_token **out, size_t *n,
                      struct ink_str *err);
    /* token_revoke - forget a token; INK_STORE_NOT_FOUND when none */
    int (*token_revoke)(struct ink_store *s, const char *name, struct ink_str *err);
    /* free - close; NULL-safe through ink_store_free */
    void (*free)(struct ink_store *s);
    /*
     * DKIM key rotations (inkan/rotate.h; after free so that a backend
     * without them leaves them NULL: the helpers then say so).
     * rotation_add - store a new rotation with its keys and set r->id;
     * INK_STORE_EXISTS when the domain has one that is not DONE.
     * rotation_list - the rotations of domain (NULL: every domain), by
     * domain then age; latest_only: each domain's newest only.  Caller
     * frees with ink_rotations_free.
     * rotation_save - write r's phase, times and detail (its keys do not
     * change) in one transaction; INK_STORE_CONFLICT when the stored
     * phase is no longer was (another process advanced it),
     * INK_STORE_NOT_FOUND when r->id is not stored.
     */
    int (*rotation_add)(struct ink_store *s, struct ink_rotation *r, struct ink_str *err);
    int (*rotation_list)(struct ink_store *s, const char *domain, int latest_only,
                         struct ink_rotation ***out, size_t *n, struct ink_str *err);
    int (*rotation_save)(struct ink_store *s, const struct ink_rotation *r,
                         enum ink_rot_phase was, struct ink_str *err);
    /*
     * Inbound evaluations (inkan/evlog.h; NULL in a backend without them:
     * the helpers then say so).
     * evaluations_add - append n (at most INK_STORE_EVROWS_MAX) rows in
     * one transaction; a row whose key is stored already is skipped (a
     * replayed spool never doubles a row).  *added (may be NULL) gets the
     * rows new to the store.
     * evaluations_list - the rows with begin <= at < end, oldest first
     * (then in the order stored), of one header From domain or (domain
     * NULL) all, each handed to fn; 0, -1 (error), or fn's non-zero return.
     */
    int (*evaluations_add)(struct ink_store *s, const struct ink_evrow *rows, size_t n,
                           size_t *added, struct ink_str *err);
    int (*evaluations_list)(struct ink_store *s, int64_t begin, int64_t end, const char *domain,
                            ink_evrow_fn fn, void *arg, struct ink_str *err);
    /*
     * The import work queue (PostgreSQL; NULL in a backend without one,
     * whose importers take their inputs in order).  queue_fill registers
     * this importer (first call) and enqueues n inputs by the SHA-256 hex
     * of their bytes; queue_claim takes the next of them (in fill order)
     * that no other importer holds now or finished while still running,
     * into sha256_hex (INK_STORE_SHA256_HEX bytes), held until queue_done
     * (or the process's end: it is pending again); INK_STORE_NOT_FOUND
     * when none is left.  See docs/store.md.
     */
    int (*queue_fill)(struct ink_store *s, const char *const *sha256_hex, size_t n,
                      struct ink_str *err);
    int (*queue_claim)(struct ink_store *s, char *sha256_hex, struct ink_str *err);
    int (*queue_done)(struct ink_store *s, const char *sha256_hex, struct ink_str *err);
    /* (also after free: a backend without them leaves them NULL and the
     * dispatch helpers say so) */
    /* report_summary_span - report_summary over the reports whose period
     * begins in [since, until] (epoch seconds) */
    int (*report_summary_span)(struct ink_store *s, const char *domain, int64_t since,
                               int64_t until, struct ink_report_summary **out, size_t *n,
                               struct ink_str *err);
    /* report_timeline - per UTC day of the reports' begin in [since,
     * until], oldest first, days without reports left out (domain NULL:
     * every domain together); caller frees *out with free() */
    int (*report_timeline)(struct ink_store *s, const char *domain, int64_t since, int64_t until,
                           struct ink_report_day **out, size_t *n, struct ink_str *err);
    /* Operations added later go below too, so that a backend's table
     * written before them leaves them NULL (the dispatch helper then says
     * the store cannot do it). */
    /* report_rows - the stored aggregate-report rows of one policy domain
     * whose report's date range overlaps [since, until) (epoch seconds;
     * 0 and INT64_MAX for all), each with its auth results and what its
     * report saw published, in report order; more than INK_SIM_ROWS_MAX
     * is an error (narrow the period).  Caller frees with
     * ink_report_rows_free. */
    int (*report_rows)(struct ink_store *s, const char *domain, int64_t since, int64_t until,
                       struct ink_report_row **out, size_t *n, struct ink_str *err);
    /* evaluations_page - at most q->limit rows of the period (and domain)
     * newest first after q's cursor, each handed to fn with its row id;
     * 0, -1 (error), or fn's non-zero return.
     * evaluations_summary - the rows of the period (and domain) counted
     * per header From domain, DMARC result and disposition, ordered by
     * those; 0, -1, or fn's non-zero return. */
    int (*evaluations_page)(struct ink_store *s, const struct ink_store_evpage *q,
                            ink_evrow_id_fn fn, void *arg, struct ink_str *err);
    int (*evaluations_summary)(struct ink_store *s, int64_t begin, int64_t end,
                               const char *domain, ink_evcount_fn fn, void *arg,
                               struct ink_str *err);
    /*
     * The owner's marks on sources (inkan/report_mark.h), by (domain,
     * network, prefix).  report_mark_put stores m (m->created the time),
     * replacing the mark of the same network: *replaced (may be NULL) 1
     * then, 0 for a new one; a domain's INK_MARKS_MAX + 1st new mark is
     * refused.  report_mark_list lists the marks of domain (NULL: every
     * domain) by domain, network, prefix (a store whose schema predates
     * marks, opened read only, has none); caller frees with
     * ink_store_marks_free.  report_mark_remove forgets one;
     * INK_STORE_NOT_FOUND when there is none.
     */
    int (*report_mark_put)(struct ink_store *s, const struct ink_store_mark *m, int *replaced,
                           struct ink_str *err);
    int (*report_mark_list)(struct ink_store *s, const char *domain, struct ink_store_mark **out,
                            size_t *n, struct ink_str *err);
    int (*report_mark_remove)(struct ink_store *s, const char *domain, const char *network,
                              unsigned prefix, struct ink_str *err);
};

/* Every backend's own struct starts with this. */
struct ink_store {
    const struct ink_store_ops *ops;
};

/* Dispatch helpers (call through the ops table). */
int ink_store_add(struct ink_store *s, struct ink_vdomain *d, int replace, struct ink_str *err);
int ink_store_get(struct ink_store *s, const char *domain, struct ink_vdomain **out,
                  struct ink_str *err);
int ink_store_list(struct ink_store *s, struct ink_vdomain ***out, size_t *n,
                   struct ink_str *err);
int ink_store_save(struct ink_store *s, struct ink_vdomain *d, const struct ink_vchange *changes,
                   size_t nchanges, struct ink_str *err);
int ink_store_remove(struct ink_store *s, const char *domain, struct ink_str *err);
int ink_store_due(struct ink_store *s, int64_t now, char ***names, size_t *n, int64_t *next,
                  struct ink_str *err);
int ink_store_history(struct ink_store *s, const char *domain, size_t limit,
                      struct ink_store_event **out, size_t *n, struct ink_str *err);
int ink_store_report_begin(struct ink_store *s, const struct ink_report_meta *m,
                           const char *source, struct ink_str *err);
int ink_store_report_record(struct ink_store *s, const struct ink_report_record *r,
                            struct ink_str *err);
int ink_store_report_commit(struct ink_store *s, const char *sha256_hex, uint64_t bytes,
                            const char *notes, struct ink_str *err);
void ink_store_report_abort(struct ink_store *s);
int ink_store_report_failure_add(struct ink_store *s, const struct ink_arf *a,
                                 const char *headers, const char *sha256_hex, const char *source,
                                 struct ink_str *err);
int ink_store_report_summary(struct ink_store *s, const char *domain,
                             struct ink_report_summary **out, size_t *n, struct ink_str *err);
int ink_store_report_ptr_put(struct ink_store *s, const struct ink_store_ptr *v, size_t n,
                             struct ink_str *err);
/* ink_store_report_summary_span - report_summary over [since, until]
 * (INT64_MIN, INT64_MAX: every report) */
int ink_store_report_summary_span(struct ink_store *s, const char *domain, int64_t since,
                                  int64_t until, struct ink_report_summary **out, size_t *n,
                                  struct ink_str *err);
int ink_store_report_timeline(struct ink_store *s, const char *domain, int64_t since,
                              int64_t until, struct ink_report_day **out, size_t *n,
                              struct ink_str *err);
int ink_store_report_rows(struct ink_store *s, const char *domain, int64_t since, int64_t until,
                          struct ink_report_row **out, size_t *n, struct ink_str *err);
int ink_store_report_mark_put(struct ink_store *s, const struct ink_store_mark *m, int *replaced,
                              struct ink_str *err);
int ink_store_report_mark_list(struct ink_store *s, const char *domain,
                               struct ink_store_mark **out, size_t *n, struct ink_str *err);
int ink_store_report_mark_remove(struct ink_store *s, const char *domain, const char *network,
                                 unsigned prefix, struct ink_str *err);
/* ink_store_marks_free - free n marks and the array */
void ink_store_marks_free(struct ink_store_mark *m, size_t n);
int ink_store_token_add(struct ink_store *s, const char *name, const char *sha256_hex,
                        int64_t now, struct ink_str *err);
int ink_store_token_find(struct ink_store *s, const char *sha256_hex, int64_t now, char **name,
                         struct ink_str *err);
int ink_store_token_list(struct ink_store *s, struct ink_store_token **out, size_t *n,
                         struct ink_str *err);
int ink_store_token_revoke(struct ink_store *s, const char *name, struct ink_str *err);
int ink_store_rotation_add(struct ink_store *s, struct ink_rotation *r, struct ink_str *err);
int ink_store_rotation_list(struct ink_store *s, const char *domain, int latest_only,
                            struct ink_rotation ***out, size_t *n, struct ink_str *err);
int ink_store_rotation_save(struct ink_store *s, const struct ink_rotation *r,
                            enum ink_rot_phase was, struct ink_str *err);
int ink_store_evaluations_add(struct ink_store *s, const struct ink_evrow *rows, size_t n,
                              size_t *added, struct ink_str *err);
int ink_store_evaluations_list(struct ink_store *s, int64_t begin, int64_t end,
                               const char *domain, ink_evrow_fn fn, void *arg,
                               struct ink_str *err);
/* ink_store_evaluations_page - one page of evaluation rows, newest first */
int ink_store_evaluations_page(struct ink_store *s, const struct ink_store_evpage *q,
                               ink_evrow_id_fn fn, void *arg, struct ink_str *err);
/* ink_store_evaluations_summary - evaluation counts per domain, result, disposition */
int ink_store_evaluations_summary(struct ink_store *s, int64_t begin, int64_t end,
                                  const char *domain, ink_evcount_fn fn, void *arg,
                                  struct ink_str *err);
/* ink_rotations_free - free n rotations and the array */
void ink_rotations_free(struct ink_rotation **r, size_t n);
/* ink_store_has_queue - 1 when the backend has the import work queue */
int ink_store_has_queue(const struct ink_store *s);
int ink_store_queue_fill(struct ink_store *s, const char *const *sha256_hex, size_t n,
                         struct ink_str *err);
int ink_store_queue_claim(struct ink_store *s, char *sha256_hex, struct ink_str *err);
int ink_store_queue_done(struct ink_store *s, const char *sha256_hex, struct ink_str *err);
/* ink_store_tokens_free - free n tokens and the array */
void ink_store_tokens_free(struct ink_store_token *t, size_t n);
/* ink_report_summaries_free - free n summaries and the array */
void ink_report_summaries_free(struct ink_report_summary *sum, size_t n);
/* ink_store_free - close the store; NULL is a no-op */
void ink_store_free(struct ink_store *s);

/* ink_store_events_free - free n events and the array */
void ink_store_events_free(struct ink_store_event *ev, size_t n);
/* ink_store_names_free - free n strings and the array */
void ink_store_names_free(char **names, size_t n);
/* ink_store_domains_free - free n domains and the array */
void ink_store_domains_free(struct ink_vdomain **d, size_t n);

/*
 * ink_store_sqlite_open - open (creating it and its parent directory if
 * missing) the SQLite database at path.  The schema is versioned
 * (PRAGMA user_version); a database written by a newer inkan is refused.
 * NULL with the reason in err.
 */
struct ink_store *ink_store_sqlite_open(const char *path, struct ink_str *err);

/*
 * ink_store_sqlite_open_readonly - open the existing database at path to
 * read only (status, list, history): works on a file and directory the
 * user cannot write.  Nothing is created; a file that holds no inkan
 * schema, or a newer one, is refused.  NULL with the reason in err.
 */
struct ink_store *ink_store_sqlite_open_readonly(const char *path, struct ink_str *err);

/* ink_store_path_ok - 1 when path names a database file: not "" (an
 * unset shell variable), not ":memory:", not a "file:" URI, each of which
 * SQLite would turn into a database thrown away at exit.  Both opens
 * refuse the others. */
int ink_store_path_ok(const char *path);

/*
 * ink_store_pg_open - connect to the PostgreSQL database a postgresql://
 * or postgres:// URI names (libpq's URI: user, password, host or
 * ?host=/socket/dir, port, dbname, parameters) and apply the schema
 * migrations it lacks (a schema_version table; a newer one is refused).
 * NULL with the reason in err, which shows the URI without its password.
 */
struct ink_store *ink_store_pg_open(const char *uri, struct ink_str *err);
/* ink_store_pg_open_readonly - the same, every transaction read only; an
 * older schema is read as it is, an empty database gets the schema */
struct ink_store *ink_store_pg_open_readonly(const char *uri, struct ink_str *err);

/* ink_store_is_uri - 1 when db is a postgresql:// or postgres:// URI */
int ink_store_is_uri(const char *db);
/* ink_store_db_ok - 1 when db names a store: a URI, or a path
 * ink_store_path_ok accepts */
int ink_store_db_ok(const char *db);
/* ink_store_db_shown - db as it may be shown to people: a URI's password
 * (user:PASSWORD@, or password=) replaced by "***"; a path as it is.
 * Appended to out. */
void ink_store_db_shown(const char *db, struct ink_str *out);
/*
 * ink_store_open - open the store db names: PostgreSQL for a URI, else
 * the SQLite file (readonly: ink_store_sqlite_open_readonly, which needs
 * the file to exist).  NULL with the reason in err (no password in it).
 */
struct ink_store *ink_store_open(const char *db, int readonly, struct ink_str *err);

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
