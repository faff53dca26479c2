/*
 * inkan/evwriter.h - getting evaluation rows (inkan/evlog.h) into the
 * store without making the mail path wait for it: the spool file (rows
 * appended and fsync'd when the store cannot take them, replayed later)
 * and the writer thread (rows batched into the store, one transaction
 * per batch).  Adapters (src/store/evspool_file.c, src/store/evwriter.c):
 * they open files and start a thread.
 *
 * The promise to a caller of ink_evwriter_submit: when it returns 0 the
 * row is durable, committed to the store or fsync'd to the spool, so a
 * milter that answers Postfix only after it loses no row to a crash.  A
 * row may be in both (the store was slow, the caller spooled it, then the
 * store took it); its unique key keeps it one row when the spool is
 * replayed.
 */
#ifndef INKAN_EVWRITER_H
#define INKAN_EVWRITER_H

#include <stddef.h>
#include <stdint.h>

#include "inkan/evlog.h"
#include "inkan/store.h"
#include "inkan/str.h"

#include "inkan/export.h"

#ifdef __cplusplus
extern "C" {
#endif

INK_API_BEGIN

/* ---- the spool file ---- */

/* What a replay did. */
struct ink_evspool_stats {
    size_t records;         /* whole records read */
    size_t added;           /* of them, rows new to the store */
    int torn;               /* the file ended in a torn record (ignored:
                             * a write a crash cut short, never acknowledged) */
    size_t end;             /* bytes of whole records: where the torn tail or
                             * the corrupt record starts, else the size */
};

/*
 * ink_evspool_replay_file - add every row of the spool at path to st, in
 * transactions of a batch each.  0 (stats filled; a torn tail is not an
 * error), or -1 with why in err: the file cannot be read, the store
 * refused a batch, or a record is corrupt ("...: corrupt record at byte
 * N: why"; the rows before it are added).  stats may be NULL.
 */
int ink_evspool_replay_file(const char *path, struct ink_store *st,
                            struct ink_evspool_stats *stats, struct ink_str *err);

struct ink_evspool;

/*
 * ink_evspool_open - open (creating it, mode 0600) the spool at path to
 * append to, locked against a second writer.  A torn tail left by a crash
 * is cut off; a spool with a corrupt record is moved aside to
 * PATH.corrupt-OFFSET (named in *note, caller frees; NULL otherwise) and
 * a new one started, so no acknowledged row after it is overwritten.
 * NULL with why in err.
 */
struct ink_evspool *ink_evspool_open(const char *path, char **note, struct ink_str *err);
/* ink_evspool_close - close; NULL is a no-op */
void ink_evspool_close(struct ink_evspool *sp);

/*
 * ink_evspool_append - append n rows as one write and fdatasync it
 * (thread-safe).  0 once they are on disk; -1 with why in err (nothing
 * of theirs is left in the file).
 */
int ink_evspool_append(struct ink_evspool *sp, const struct ink_evrow *rows, size_t n,
                       struct ink_str *err);

/* ink_evspool_size - bytes in the live spool file (thread-safe) */
uint64_t ink_evspool_size(struct ink_evspool *sp);

/*
 * ink_evspool_take - hand the live spool over for replay: when it holds
 * rows it is renamed to PATH.replay and a new empty spool is started
 * (thread-safe; appends go on meanwhile).  *taken gets PATH.replay
 * (caller frees), or NULL when there was nothing to take; a PATH.replay
 * that already exists (a replay a crash interrupted) is handed back
 * first, without a rename.  0, or -1 with why in err.
 */
int ink_evspool_take(struct ink_evspool *sp, char **taken, struct ink_str *err);

/* ---- the writer thread ---- */

/* Defaults and bounds of the writer's options (milter YAML: evaluations). */
#define INK_EVWRITER_BATCH_DEFAULT 100      /* rows per transaction */
#define INK_EVWRITER_BATCH_MAX 1000
#define INK_EVWRITER_INTERVAL_MS_DEFAULT 0  /* how long the writer waits for a batch
                                             * to fill (0: it commits at once what
                                             * is queued; more queue up meanwhile) */
#define INK_EVWRITER_INTERVAL_MS_MAX 10000
#define INK_EVWRITER_QUEUE_DEFAULT 1024     /* rows queued for the store at most */
#define INK_EVWRITER_QUEUE_MAX 65536
#define INK_EVWRITER_WAIT_MS_DEFAULT 500    /* longest a submitter waits for the
                                             * store before it spools the row */
#define INK_EVWRITER_WAIT_MS_MAX 10000
#define INK_EVWRITER_RETRY_MS_DEFAULT 2000  /* store down: how often it is tried */
#define INK_EVWRITER_RETRY_MS_MAX 600000

struct ink_evwriter_opts {
    const char *store_path; /* the SQLite store (opened by the writer thread) */
    const char *spool_path; /* the spool file */
    size_t batch_max;       /* 0: the defaults above */
    unsigned interval_ms;
    size_t queue_max;
    unsigned wait_ms;
    unsigned retry_ms;
    /* the store for the thread, or NULL: ink_store_sqlite_open(store_path)
     * (tests hand in a store that fails on demand); called by the writer
     * thread, which alone uses what it returns and frees it */
    struct ink_store *(*open_store)(void *arg, struct ink_str *err);
    void *open_arg;
    /* log - one line about the writer (store slow, down, back, spool
     * replayed), or NULL: nothing is said; called from the writer thread
     * and from submitters' threads */
    void (*log)(void *arg, const char *line);
    void *log_arg;
};

/* Counts since start (ink_evwriter_stats). */
struct ink_evwriter_stats {
    uint64_t submitted;     /* rows submitted */
    uint64_t stored;        /* rows committed by the writer's batches */
    uint64_t spooled;       /* rows written to the spool (by either side) */
    uint64_t replayed;      /* rows the store took from the spool */
    uint64_t failed;        /* rows neither stored nor spooled (submit -1) */
    int store_up;           /* the last store operation worked */
};

struct ink_evwriter;

/*
 * ink_evwriter_start - open the spool (ink_evspool_open) and start the
 * writer thread, which opens the store and replays what the spool holds.
 * A store that cannot be opened is not an error here (mail flows, rows
 * go to the spool until it can); a spool that cannot be opened is.
 * NULL with why in err.
 */
struct ink_evwriter *ink_evwriter_start(const struct ink_evwriter_opts *o, struct ink_str *err);

/*
 * ink_evwriter_submit - hand over one row (copied) and return once it is
 * durable: committed by the writer within wait_ms, else (the store is
 * slow or down, or the queue is full) appended to the spool and fsync'd
 * by the caller's thread.  0, or -1 when neither worked (the spool's disk
 * failed: the caller should not accept the message).
 */
int ink_evwriter_submit(struct ink_evwriter *w, const struct ink_evrow *row);

/* ink_evwriter_stats - the counts so far */
void ink_evwriter_stats(struct ink_evwriter *w, struct ink_evwriter_stats *out);

/*
 * ink_evwriter_stop - write what is queued (store, else spool), stop the
 * thread, close; NULL is a no-op.
 */
void ink_evwriter_stop(struct ink_evwriter *w);

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
