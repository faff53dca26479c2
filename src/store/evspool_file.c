/*
 * evspool_file.c - the spool file of evaluation rows (inkan/evwriter.h):
 * appending records (inkan/evlog.h's codec) with one write and an
 * fdatasync each, repairing a torn tail at open, handing the file over
 * for replay (rename, then a fresh file), and replaying a spool into the
 * store in batches.  The records' format and their reader are the core's
 * (src/core/evlog/evspool.c); this file only moves bytes.
 */
#include "inkan/evwriter.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* Bytes read from a spool per read() (a record is at most
 * INK_EVSPOOL_HEADER + INK_EVSPOOL_PAYLOAD_MAX). */
#define EVSPOOL_READ_CHUNK (1u << 20)
/* Rows a replay adds per transaction. */
#define EVSPOOL_REPLAY_BATCH 500
/* Suffix of the spool handed over for replay. */
#define EVSPOOL_REPLAY_SUFFIX ".replay"

struct ink_evspool {
    pthread_mutex_t mu;     /* one append, or the take, at a time */
    char *path;
    int fd;
    uint64_t size;          /* bytes of whole records in the file */
};

/* sync_dir - fsync the directory holding path (a rename or a new file is
 * durable only once its directory is) */
static void sync_dir(const char *path)
{
    char *copy = strdup(path);
    int fd;

    if (copy == NULL)
        return;
    fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(copy);
}

/* Reading a spool file a chunk at a time. */
struct scan {
    int fd;
    uint8_t *buf;
    size_t len;             /* bytes in buf */
    uint64_t base;          /* file offset of buf[0] */
    int eof;
};

/* scan_fill - move the unread tail (from off) to the front and read more;
 * 0, or -1 with errno */
static int scan_fill(struct scan *sc, size_t off)
{
    ssize_t n;

    memmove(sc->buf, sc->buf + off, sc->len - off);
    sc->len -= off;
    sc->base += off;
    while (!sc->eof && sc->len < EVSPOOL_READ_CHUNK) {
        n = read(sc->fd, sc->buf + sc->len, EVSPOOL_READ_CHUNK - sc->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            sc->eof = 1;
        sc->len += (size_t)n;
    }
    return 0;
}

/* The outcome of walking a spool. */
struct walk {
    enum ink_evspool_status end;   /* END, TORN or CORRUPT */
    uint64_t good;                 /* bytes of whole records */
    uint64_t bad_off;              /* CORRUPT: offset of the field at fault */
    const char *why;
    size_t records;
};

/*
 * walk_fd - read every record of fd from its start, handing each to fn
 * (may be NULL) which returns 0 to go on.  0 with *w filled, or -1: a
 * read failed (errno) or fn said stop (its code in *fn_rc).
 */
static int walk_fd(int fd, struct walk *w, int (*fn)(void *, const struct ink_evrow *),
                   void *arg, int *fn_rc)
{
    struct scan sc;
    struct ink_evrow *row = malloc(sizeof(*row));
    int rc = 0;

    memset(w, 0, sizeof(*w));
    memset(&sc, 0, sizeof(sc));
    sc.fd = fd;
    sc.buf = malloc(EVSPOOL_READ_CHUNK);
    if (row == NULL || sc.buf == NULL || lseek(fd, 0, SEEK_SET) < 0 || scan_fill(&sc, 0) < 0) {
        if (row == NULL || sc.buf == NULL)
            errno = ENOMEM;
        free(row);
        free(sc.buf);
        return -1;
    }
    for (;;) {
        struct ink_evspool_reader rd;
        enum ink_evspool_status st;

        ink_evspool_reader_init(&rd, sc.buf, sc.len);
        while ((st = ink_evspool_next(&rd, row)) == INK_EVSPOOL_RECORD) {
            w->records++;
            if (fn != NULL && (*fn_rc = fn(arg, row)) != 0) {
                rc = -1;
                goto out;
            }
        }
        w->good = sc.base + rd.off;
        if (st == INK_EVSPOOL_TORN && !sc.eof) {
            /* the record goes on in the next chunk */
            if (scan_fill(&sc, rd.off) < 0) {
                rc = -1;
                goto out;
            }
            continue;
        }
        w->end = st;
        w->why = rd.why;
        w->bad_off = sc.base + rd.why_off;
        break;
    }
out:
    free(row);
    free(sc.buf);
    return rc;
}

/* ---- replay ---- */

struct replay {
    struct ink_store *st;
    struct ink_evrow *rows;
    size_t n;
    size_t added;
    struct ink_str *err;
};

/* replay_flush - add the batch in one transaction */
static int replay_flush(struct replay *r)
{
    size_t added = 0;

    if (r->n == 0)
        return 0;
    if (ink_store_evaluations_add(r->st, r->rows, r->n, &added, r->err) < 0)
        return -1;
    r->added += added;
    r->n = 0;
    return 0;
}

/* replay_row - one record into the batch */
static int replay_row(void *arg, const struct ink_evrow *row)
{
    struct replay *r = arg;

    r->rows[r->n++] = *row;
    return r->n == EVSPOOL_REPLAY_BATCH ? replay_flush(r) : 0;
}

/* ink_evspool_replay_file - every row of the spool into st */
int ink_evspool_replay_file(const char *path, struct ink_store *st,
                            struct ink_evspool_stats *stats, struct ink_str *err)
{
    struct replay r;
    struct walk w;
    int fd, fn_rc = 0, rc;
    struct ink_evspool_stats dummy;

    if (stats == NULL)
        stats = &dummy;
    memset(stats, 0, sizeof(*stats));
    memset(&r, 0, sizeof(r));
    r.st = st;
    r.err = err;
    r.rows = malloc(EVSPOOL_REPLAY_BATCH * sizeof(*r.rows));
    if (r.rows == NULL) {
        (void)ink_str_puts(err, "out of memory");
        return -1;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        (void)ink_str_printf(err, "%s: %s", path, strerror(errno));
        free(r.rows);
        return -1;
    }
    rc = walk_fd(fd, &w, replay_row, &r, &fn_rc);
    if (rc < 0 && fn_rc == 0)
        (void)ink_str_printf(err, "%s: %s", path, strerror(errno));
    if (rc == 0)
        rc = replay_flush(&r);
    close(fd);
    free(r.rows);
    stats->records = w.records;
    stats->added = r.added;
    stats->end = (size_t)w.good;
    stats->torn = w.end == INK_EVSPOOL_TORN;
    if (rc == 0 && w.end == INK_EVSPOOL_CORRUPT) {
        (void)ink_str_printf(err, "%s: corrupt record at byte %llu: %s (at byte %llu); the %zu "
                                  "records before it were replayed",
                             path, (unsigned long long)w.good, w.why,
                             (unsigned long long)w.bad_off, w.records);
        return -1;
    }
    return rc < 0 ? -1 : 0;
}

/* ---- the live spool ---- */

/* open_live - open path to append, locked; the caller repairs it */
static int open_live(const char *path, struct ink_str *err)
{
    int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);

    if (fd < 0) {
        (void)ink_str_printf(err, "spool %s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        (void)ink_str_printf(err, "spool %s: %s", path,
                             errno == EWOULDBLOCK ? "in use by another process"
                                                  : strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* ink_evspool_open - the spool to append to, repaired */
struct ink_evspool *ink_evspool_open(const char *path, char **note, struct ink_str *err)
{
    struct ink_evspool *sp = calloc(1, sizeof(*sp));
    struct walk w;
    int fn_rc = 0;

    *note = NULL;
    if (sp == NULL || (sp->path = strdup(path)) == NULL) {
        free(sp);
        (void)ink_str_puts(err, "out of memory");
        return NULL;
    }
    sp->fd = open_live(path, err);
    if (sp->fd < 0)
        goto fail;
    if (walk_fd(sp->fd, &w, NULL, NULL, &fn_rc) < 0) {
        (void)ink_str_printf(err, "spool %s: %s", path, strerror(errno));
        goto fail;
    }
    if (w.end == INK_EVSPOOL_CORRUPT) {
        /* rows after a corrupt record were acknowledged: keep them where
         * a person (inkan evaluations replay) can see them */
        struct ink_str aside = INK_STR_INIT;

        (void)ink_str_printf(&aside, "%s.corrupt-%llu", path, (unsigned long long)w.good);
        if (aside.len == 0 || rename(path, ink_str_cstr(&aside)) < 0) {
            (void)ink_str_printf(err, "spool %s: corrupt record at byte %llu (%s), and it "
                                      "cannot be moved aside: %s",
                                 path, (unsigned long long)w.good, w.why, strerror(errno));
            ink_str_free(&aside);
            goto fail;
        }
        close(sp->fd);
        sp->fd = open_live(path, err);
        if (sp->fd < 0) {
            ink_str_free(&aside);
            goto fail;
        }
        sync_dir(path);
        *note = ink_str_steal(&aside);
        w.good = 0;
    } else if (w.end == INK_EVSPOOL_TORN) {
        /* a write a crash cut short: never acknowledged, and in the way
         * of every record appended after it */
        if (ftruncate(sp->fd, (off_t)w.good) < 0 || fdatasync(sp->fd) < 0) {
            (void)ink_str_printf(err, "spool %s: cannot cut the torn tail: %s", path,
                                 strerror(errno));
            goto fail;
        }
    }
    sp->size = w.good;
    (void)pthread_mutex_init(&sp->mu, NULL);
    sync_dir(path);
    return sp;
fail:
    if (sp->fd >= 0)
        close(sp->fd);
    free(sp->path);
    free(sp);
    return NULL;
}

/* ink_evspool_close - close the spool */
void ink_evspool_close(struct ink_evspool *sp)
{
    if (sp == NULL)
        return;
    if (sp->fd >= 0)
        close(sp->fd);
    (void)pthread_mutex_destroy(&sp->mu);
    free(sp->path);
    free(sp);
}

/* write_all - len bytes at fd (O_APPEND); 0 or -1 with errno */
static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* ink_evspool_append - n rows, one write, fdatasync */
int ink_evspool_append(struct ink_evspool *sp, const struct ink_evrow *rows, size_t n,
                       struct ink_str *err)
{
    struct ink_str buf = INK_STR_INIT;
    size_t i;
    int rc = 0;

    for (i = 0; i < n && rc == 0; i++)
        rc = ink_evspool_encode(&rows[i], &buf);
    if (rc < 0) {
        (void)ink_str_puts(err, "out of memory");
        ink_str_free(&buf);
        return -1;
    }
    (void)pthread_mutex_lock(&sp->mu);
    if (sp->fd < 0) /* a take could not start the new file: try again */
        sp->fd = open_live(sp->path, err);
    if (sp->fd < 0) {
        (void)pthread_mutex_unlock(&sp->mu);
        ink_str_free(&buf);
        return -1;
    } else if (write_all(sp->fd, buf.buf, buf.len) < 0 || fdatasync(sp->fd) < 0) {
        rc = -1;
    }
    if (rc < 0) {
        int e = errno;

        /* what did get written must not stand between records */
        if (sp->fd >= 0)
            (void)ftruncate(sp->fd, (off_t)sp->size);
        (void)ink_str_printf(err, "spool %s: %s", sp->path, strerror(e));
    } else {
        sp->size += buf.len;
    }
    (void)pthread_mutex_unlock(&sp->mu);
    ink_str_free(&buf);
    return rc;
}

/* ink_evspool_size - bytes in the live spool */
uint64_t ink_evspool_size(struct ink_evspool *sp)
{
    uint64_t n;

    (void)pthread_mutex_lock(&sp->mu);
    n = sp->size;
    (void)pthread_mutex_unlock(&sp->mu);
    return n;
}

/* ink_evspool_take - the spool for replay (see evwriter.h) */
int ink_evspool_take(struct ink_evspool *sp, char **taken, struct ink_str *err)
{
    struct ink_str rp = INK_STR_INIT;
    struct stat st;
    int rc = 0, fd;

    *taken = NULL;
    if (ink_str_printf(&rp, "%s%s", sp->path, EVSPOOL_REPLAY_SUFFIX) < 0) {
        (void)ink_str_puts(err, "out of memory");
        return -1;
    }
    if (lstat(ink_str_cstr(&rp), &st) == 0) {
        *taken = ink_str_steal(&rp); /* a replay a crash interrupted: first */
        return 0;
    }
    (void)pthread_mutex_lock(&sp->mu);
    if (sp->size == 0) {
        (void)pthread_mutex_unlock(&sp->mu);
        ink_str_free(&rp);
        return 0;
    }
    if (rename(sp->path, ink_str_cstr(&rp)) < 0) {
        (void)ink_str_printf(err, "spool %s: cannot hand it over for replay: %s", sp->path,
                             strerror(errno));
        rc = -1;
    } else {
        /* appends go to a new file from here (one that cannot be made now
         * is tried again by the next append) */
        struct ink_str ignored = INK_STR_INIT;

        close(sp->fd);
        fd = open_live(sp->path, &ignored);
        ink_str_free(&ignored);
        sp->fd = fd;
        sp->size = 0;
        sync_dir(sp->path);
        *taken = ink_str_steal(&rp);
    }
    (void)pthread_mutex_unlock(&sp->mu);
    ink_str_free(&rp);
    return rc;
}
