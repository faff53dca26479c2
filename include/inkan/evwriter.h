/*
 * inkan/evwriter.h - getting evaluation rows (inkan/evlog.h) into the
 * store without making the mail path wait for it: the spool file (rows
 * appended and fsync'd when the store cannot take them, replayed later).
 * An adapter (src/store/evspool_file.c): it opens files.
 *
 * A row may be both in the spool and in the store (the store was slow,
 * the row was spooled, then the store took it too); its unique key keeps
 * it one row when the spool is replayed.
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

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
