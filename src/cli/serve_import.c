/*
 * serve_import.c - the scheduled report imports of `inkan serve` (the
 * imports: of its configuration, docs/serve.md), on a thread of their own
 * with their own store connection, off the HTTP thread and the watch loop.
 *
 * A spool directory: each regular file directly in it (not hidden, left
 * unchanged for SERVE_SPOOL_SETTLE seconds) is read by
 * ink_report_import_fd, the same code as `inkan report import FILE`; once
 * every report of the file is committed (or was already stored) the file
 * is moved to the processed directory, a file with a refused report to
 * the refused directory, never over a file there (NAME.1, NAME.2...).  A
 * file whose report the store could not take stays, and the run stops.
 * The order commit-then-move makes a kill harmless: a file left behind is
 * read again by the next run, whose reports are duplicates then.
 *
 * A mailbox: ink_report_import_imap (src/reports/imap.c), as `inkan report
 * import imaps://...`, the password read from its file before each run.
 *
 * Stopping: the thread waits for its next run on a condition variable the
 * stop signals; a spool run stops between files, a mailbox transfer is
 * aborted through the options' cancelled() hook.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "report_imap.h"
#include "serve.h"
#include "inkan/report_imap.h"
#include "inkan/report_import.h"
#include "inkan/store.h"
#include "inkan/str.h"

/* Bytes of an untrusted text (a file name, a report's complaint) in a log line. */
#define IMPORT_LOG_TEXT_MAX 200
/* Mode of a processed or refused directory the service makes. */
#define IMPORT_DIR_MODE 0750
/* Seconds the thread sleeps at most when nothing is due (re-reads the clock). */
#define IMPORT_IDLE_MAX 3600

/* Where a file or message went: the counters' index. */
enum { FATE_PROCESSED, FATE_REFUSED, FATE_LEFT, NFATE };
/* A run's outcome: the counters' index. */
enum { RUN_OK, RUN_FAILED, NRUN };
/* Reports by ink_import_status (imported, duplicate, refused, failed). */
#define NSTATUS 4

/* One import of the configuration and its schedule. */
struct src_state {
    const struct serve_import_src *src;
    char *processed, *refused; /* dir: the directories files go to */
    double next;               /* CLOCK_MONOTONIC seconds of the next run */
};

struct serve_imports {
    struct ink_store *st; /* the thread's own connection */
    struct src_state *s;
    size_t n;
    pthread_t thread;
    int started;
    pthread_mutex_t mu; /* guards stop and the counters */
    pthread_cond_t cv;
    int stop;
    unsigned long long reports[NSTATUS], fates[NFATE], runs[NRUN];
};

/* The counts of one run, or of one file of a spool run. */
struct tally {
    struct serve_imports *si;
    const char *url; /* a mailbox run: its URL, for the log lines */
    unsigned long n[NSTATUS], fates[NFATE];
    struct ink_str why; /* the first refusal or failure's reason */
};

/* mono - CLOCK_MONOTONIC in seconds */
static double mono(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* stopping - 1 once serve_imports_stop was called (any thread) */
static int stopping(void *ctx)
{
    struct serve_imports *si = ctx;
    int s;

    pthread_mutex_lock(&si->mu);
    s = si->stop;
    pthread_mutex_unlock(&si->mu);
    return s;
}

/* printable - untrusted text onto s for a log line (cut, \xHH) */
static void printable(struct ink_str *s, const char *text)
{
    ink_str_put_printable(s, text, strlen(text), IMPORT_LOG_TEXT_MAX);
}

/* log_line - "inkan serve: import " and the line to stderr, s emptied */
static void log_line(struct ink_str *s)
{
    fprintf(stderr, "inkan serve: import %s\n", ink_str_cstr(s));
    ink_str_truncate(s, 0);
}

/* on_result - one report's result: counted in the run and the service */
static void on_result(void *ctx, const struct ink_import_result *r)
{
    struct tally *t = ctx;

    if ((unsigned)r->status >= NSTATUS)
        return;
    t->n[r->status]++;
    pthread_mutex_lock(&t->si->mu);
    t->si->reports[r->status]++;
    pthread_mutex_unlock(&t->si->mu);
    if ((r->status == INK_IMPORT_REFUSED || r->status == INK_IMPORT_FAILED) && t->why.len == 0) {
        if (r->entry[0]) {
            printable(&t->why, r->entry);
            ink_str_puts(&t->why, ": ");
        }
        printable(&t->why, r->message);
    }
}

/* fate - count a file or message that went to processed/refused or stayed */
static void fate(struct tally *t, int f)
{
    t->fates[f]++;
    pthread_mutex_lock(&t->si->mu);
    t->si->fates[f]++;
    pthread_mutex_unlock(&t->si->mu);
}

/* spool_dirs - the processed and refused directories of a spool entry
 * (caller frees both); 0/-1 (out of memory) */
static int spool_dirs(const struct serve_import_src *e, char **proc, char **ref)
{
    struct ink_str p = INK_STR_INIT, r = INK_STR_INIT;

    if (e->processed)
        ink_str_puts(&p, e->processed);
    else
        ink_str_printf(&p, "%s/processed", e->dir);
    if (e->refused)
        ink_str_puts(&r, e->refused);
    else
        ink_str_printf(&r, "%s/refused", e->dir);
    *proc = ink_str_steal(&p);
    *ref = ink_str_steal(&r);
    if (*proc == NULL || *ref == NULL) {
        free(*proc);
        free(*ref);
        return -1;
    }
    return 0;
}

/* where_err - "serve: FILE:LINE:COLUMN: imports: why" for entry e */
static void where_err(const struct serve_config *cfg, const struct serve_import_src *e,
                      const char *why)
{
    cli_error("serve: %s:%lu:%lu: imports: %s", cli_shown(cfg->path ? cfg->path : "--config"),
              e->line, e->column, why);
}

/* check_subdir - a processed/refused directory of spool (stat spool_st):
 * a directory on the spool's file system, made when create and missing;
 * NULL, or why not (static) */
static const char *check_subdir(const char *path, const struct stat *spool_st, int create)
{
    struct stat st;

    if (stat(path, &st) < 0) {
        if (errno != ENOENT)
            return strerror(errno);
        if (!create)
            return NULL; /* made when the service starts */
        if (mkdir(path, IMPORT_DIR_MODE) < 0 || stat(path, &st) < 0)
            return strerror(errno);
    }
    if (!S_ISDIR(st.st_mode))
        return "not a directory";
    if (st.st_dev != spool_st->st_dev)
        return "on another file system than the spool (files are moved, not copied)";
    return NULL;
}

/* serve_imports_check - see serve.h */
int serve_imports_check(const struct serve_config *cfg, int create)
{
    struct ink_str why = INK_STR_INIT;
    size_t i;
    int rc = 0;

    for (i = 0; cfg != NULL && i < cfg->nimports && rc == 0; i++) {
        const struct serve_import_src *e = &cfg->imports[i];
        ink_str_truncate(&why, 0);
        if (e->kind == SERVE_IMPORT_DIR) {
            struct stat st;
            char *proc = NULL, *ref = NULL;
            const char *bad = NULL, *sub[2];
            int k;
            int sr = stat(e->dir, &st);
            if (sr < 0 || !S_ISDIR(st.st_mode)) {
                bad = sr < 0 ? strerror(errno) : "not a directory";
                ink_str_puts(&why, "spool directory ");
                printable(&why, e->dir);
                ink_str_printf(&why, ": %s", bad);
                rc = -1;
            } else if (spool_dirs(e, &proc, &ref) < 0) {
                ink_str_puts(&why, "out of memory");
                rc = -1;
            } else if (strcmp(proc, ref) == 0 || strcmp(proc, e->dir) == 0 ||
                       strcmp(ref, e->dir) == 0) {
                ink_str_puts(&why, "the spool, its processed and its refused directories must "
                                   "be three directories");
                rc = -1;
            } else {
                sub[0] = proc;
                sub[1] = ref;
                for (k = 0; k < 2 && rc == 0; k++)
                    if ((bad = check_subdir(sub[k], &st, create)) != NULL) {
                        ink_str_puts(&why, k == 0 ? "processed directory " : "refused directory ");
                        printable(&why, sub[k]);
                        ink_str_printf(&why, ": %s", bad);
                        rc = -1;
                    }
            }
            free(proc);
            free(ref);
        } else {
            char pw[CLI_IMAP_PASSWORD_MAX];
            const char *env = getenv("INKAN_IMAP_PASSWORD");
            if (e->password_file != NULL) {
                struct ink_str pwhy = INK_STR_INIT;
                if (cli_imap_password(e->password_file, pw, sizeof(pw), &pwhy) < 0) {
                    ink_str_puts(&why, "password-file ");
                    printable(&why, e->password_file);
                    ink_str_printf(&why, ": %s", ink_str_cstr(&pwhy));
                    rc = -1;
                }
                explicit_bzero(pw, sizeof(pw));
                ink_str_free(&pwhy);
            } else if (env == NULL || env[0] == '\0') {
                ink_str_puts(&why, "the mailbox needs password-file (or INKAN_IMAP_PASSWORD)");
                rc = -1;
            }
            if (rc == 0 && e->ca != NULL && access(e->ca, R_OK) < 0) {
                ink_str_puts(&why, "ca ");
                printable(&why, e->ca);
                ink_str_printf(&why, ": %s", strerror(errno));
                rc = -1;
            }
        }
        if (rc < 0)
            where_err(cfg, e, ink_str_cstr(&why));
    }
    ink_str_free(&why);
    return rc;
}

/* name_cmp - file names in byte order (a stable import order) */
static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* move_noreplace - dirfd/name into destdir under name, or NAME.1, NAME.2...
 * when taken (never over a file); the name it got onto got.  0/-1 (errno) */
static int move_noreplace(int dirfd, const char *name, const char *destdir, struct ink_str *got)
{
    int dfd = open(destdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), i, rc = -1, e = 0;

    if (dfd < 0)
        return -1;
    for (i = 0; i < SERVE_SPOOL_RENAME_TRIES; i++) {
        ink_str_truncate(got, 0);
        if (i == 0)
            ink_str_puts(got, name);
        else
            ink_str_printf(got, "%s.%d", name, i);
        rc = renameat2(dirfd, name, dfd, ink_str_cstr(got), RENAME_NOREPLACE);
        if (rc < 0 && (errno == EINVAL || errno == ENOSYS)) {
            /* a file system without RENAME_NOREPLACE: a link cannot replace either */
            rc = linkat(dirfd, name, dfd, ink_str_cstr(got), 0);
            if (rc == 0 && unlinkat(dirfd, name, 0) < 0) {
                e = errno;
                unlinkat(dfd, ink_str_cstr(got), 0);
                rc = -1;
                errno = e;
                break;
            }
        }
        if (rc == 0 || errno != EEXIST)
            break;
    }
    e = errno;
    close(dfd);
    errno = e;
    return rc;
}

/* import_limits - the import choices of an entry */
static void import_limits(const struct serve_import_src *e, struct ink_import_limits *lim)
{
    memset(lim, 0, sizeof(*lim));
    lim->redact = e->redact;
    if (e->headers_max >= 0) {
        lim->headers_none = e->headers_max == 0;
        lim->headers_max = (size_t)e->headers_max;
    }
}

/* spool_file - import one file of the spool and move it; 0, or -1 when
 * the run must stop (the store failed, or the file could not be moved) */
static int spool_file(struct serve_imports *si, struct src_state *ss, int dirfd,
                      const char *name, struct tally *run)
{
    const struct serve_import_src *e = ss->src;
    struct ink_import_limits lim;
    struct tally ft;
    struct ink_str path = INK_STR_INIT, line = INK_STR_INIT, got = INK_STR_INIT;
    struct stat st;
    int fd, i, f, rc = 0;

    memset(&ft, 0, sizeof(ft));
    ft.si = si;
    import_limits(e, &lim);
    ink_str_printf(&path, "%s/%s", e->dir, name);
    printable(&line, ink_str_cstr(&path));
    fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        ink_str_printf(&line, ": cannot be read (%s); left", fd < 0 ? strerror(errno)
                                                                     : "not a regular file");
        fate(run, FATE_LEFT);
        if (fd >= 0)
            close(fd);
        log_line(&line);
        goto out;
    }
    ink_report_import_fd(si->st, fd, ink_str_cstr(&path), &lim, on_result, &ft);
    close(fd);
    for (i = 0; i < NSTATUS; i++)
        run->n[i] += ft.n[i];
    ink_str_printf(&line, ": imported %lu, duplicates %lu, refused %lu, failed %lu",
                   ft.n[INK_IMPORT_IMPORTED], ft.n[INK_IMPORT_DUPLICATE],
                   ft.n[INK_IMPORT_REFUSED], ft.n[INK_IMPORT_FAILED]);
    if (ft.n[INK_IMPORT_FAILED] > 0) {
        /* the store did not take a report: the file stays for the next run */
        ink_str_printf(&line, "; left in the spool: %s", ink_str_cstr(&ft.why));
        fate(run, FATE_LEFT);
        rc = -1;
    } else {
        f = ft.n[INK_IMPORT_REFUSED] > 0 ? FATE_REFUSED : FATE_PROCESSED;
        if (move_noreplace(dirfd, name, f == FATE_REFUSED ? ss->refused : ss->processed,
                           &got) < 0) {
            ink_str_printf(&line, "; not moved (%s): the next run reads it again",
                           strerror(errno));
            fate(run, FATE_LEFT);
            rc = -1;
        } else {
            ink_str_puts(&line, "; moved to ");
            printable(&line, f == FATE_REFUSED ? ss->refused : ss->processed);
            ink_str_putc(&line, '/');
            printable(&line, ink_str_cstr(&got));
            if (f == FATE_REFUSED)
                ink_str_printf(&line, " (%s)", ink_str_cstr(&ft.why));
            fate(run, f);
        }
    }
    log_line(&line);
out:
    ink_str_free(&path);
    ink_str_free(&line);
    ink_str_free(&got);
    ink_str_free(&ft.why);
    return rc;
}

/* run_spool - one run over a spool directory; 0, or -1 (failed) */
static int run_spool(struct serve_imports *si, struct src_state *ss, struct tally *run)
{
    const struct serve_import_src *e = ss->src;
    DIR *d = opendir(e->dir);
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, i;
    time_t now = time(NULL);
    int rc = 0;

    if (d == NULL) {
        ink_str_printf(&run->why, "cannot read the spool: %s", strerror(errno));
        return -1;
    }
    names = calloc(SERVE_SPOOL_FILES_MAX, sizeof(*names));
    if (names == NULL) {
        closedir(d);
        ink_str_puts(&run->why, "out of memory");
        return -1;
    }
    while (n < SERVE_SPOOL_FILES_MAX && (de = readdir(d)) != NULL) {
        struct stat st;
        /* ., .., and hidden files: a writer's temporary name before its rename */
        if (de->d_name[0] == '.')
            continue;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || S_ISDIR(st.st_mode))
            continue; /* gone meanwhile, or a directory (processed/, refused/) */
        if (S_ISREG(st.st_mode) && st.st_mtime > now - SERVE_SPOOL_SETTLE && st.st_mtime <= now)
            continue; /* still being written, maybe: the next run takes it */
        if ((names[n] = strdup(de->d_name)) == NULL)
            break;
        n++;
    }
    if (n > 0)
        qsort(names, n, sizeof(*names), name_cmp);
    for (i = 0; i < n && rc == 0; i++) {
        struct stat st;
        if (stopping(si))
            break; /* the rest waits for the next start */
        if (fstatat(dirfd(d), names[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (!S_ISREG(st.st_mode)) {
            /* a symlink, a pipe: never followed, never opened; out of the way */
            struct ink_str line = INK_STR_INIT, got = INK_STR_INIT;
            ink_str_printf(&line, "%s/", e->dir);
            printable(&line, names[i]);
            if (move_noreplace(dirfd(d), names[i], ss->refused, &got) == 0) {
                ink_str_puts(&line, ": not a regular file; moved to ");
                printable(&line, ss->refused);
                fate(run, FATE_REFUSED);
            } else {
                ink_str_printf(&line, ": not a regular file; not moved (%s)", strerror(errno));
                fate(run, FATE_LEFT);
            }
            log_line(&line);
            ink_str_free(&got);
            continue;
        }
        if (spool_file(si, ss, dirfd(d), names[i], run) < 0) {
            ink_str_puts(&run->why, "a file could not be stored or moved: the run stops there");
            rc = -1;
        }
    }
    for (i = 0; i < n; i++)
        free(names[i]);
    free(names);
    closedir(d);
    return rc;
}

/* on_message - a message's fate: counted and logged */
static void on_message(void *ctx, uint64_t uid, enum ink_imap_action act, const char *folder,
                       const char *why)
{
    struct tally *t = ctx;
    struct ink_str line = INK_STR_INIT;

    fate(t, act == INK_IMAP_MOVED ? FATE_PROCESSED
            : act == INK_IMAP_REFUSED_MOVED ? FATE_REFUSED : FATE_LEFT);
    /* the URL was checked at start: no password in it */
    ink_str_puts(&line, "imap ");
    printable(&line, t->url ? t->url : "");
    ink_str_printf(&line, ": UID %llu: %s", (unsigned long long)uid, ink_imap_action_name(act));
    if (folder) {
        ink_str_puts(&line, " to ");
        printable(&line, folder);
    }
    if (why) {
        ink_str_puts(&line, ": ");
        printable(&line, why);
    }
    log_line(&line);
    ink_str_free(&line);
}

/* run_imap - one run over a mailbox; 0, or -1 (failed) */
static int run_imap(struct serve_imports *si, struct src_state *ss, struct tally *run)
{
    const struct serve_import_src *e = ss->src;
    struct ink_imap_options io;
    struct ink_import_limits lim;
    struct ink_str err = INK_STR_INIT;
    char pw[CLI_IMAP_PASSWORD_MAX];
    int rc;

    memset(&io, 0, sizeof(io));
    if (e->password_file != NULL) {
        /* read each run: a changed password is taken without a restart */
        if (cli_imap_password(e->password_file, pw, sizeof(pw), &err) < 0) {
            ink_str_puts(&run->why, "password-file: ");
            ink_str_puts(&run->why, ink_str_cstr(&err));
            ink_str_free(&err);
            return -1;
        }
        io.password = pw;
    } else {
        io.password = getenv("INKAN_IMAP_PASSWORD");
    }
    import_limits(e, &lim);
    run->url = e->url;
    io.url = e->url;
    io.processed = e->processed_folder;
    io.refused = e->refused_folder;
    io.ca_file = e->ca;
    io.insecure = e->insecure;
    io.on_message = on_message;
    io.cancelled = stopping;
    io.cancel_ctx = si;
    rc = ink_report_import_imap(si->st, &io, &lim, on_result, run, &err);
    explicit_bzero(pw, sizeof(pw));
    if (rc < 0) {
        ink_str_truncate(&run->why, 0);
        printable(&run->why, ink_str_cstr(&err));
    }
    ink_str_free(&err);
    return rc < 0 ? -1 : 0;
}

/* run_one - one run of an import, logged and counted */
static void run_one(struct serve_imports *si, struct src_state *ss)
{
    struct tally run;
    struct ink_str line = INK_STR_INIT;
    double t0 = mono();
    int rc;

    memset(&run, 0, sizeof(run));
    run.si = si;
    rc = ss->src->kind == SERVE_IMPORT_DIR ? run_spool(si, ss, &run) : run_imap(si, ss, &run);
    pthread_mutex_lock(&si->mu);
    si->runs[rc < 0 ? RUN_FAILED : RUN_OK]++;
    pthread_mutex_unlock(&si->mu);
    ink_str_puts(&line, ss->src->kind == SERVE_IMPORT_DIR ? "dir " : "imap ");
    printable(&line, ss->src->kind == SERVE_IMPORT_DIR ? ss->src->dir : ss->src->url);
    ink_str_printf(&line, ": %s: imported %lu, duplicates %lu, refused %lu, failed %lu; "
                          "processed %lu, refused %lu, left %lu; %.0f ms",
                   rc < 0 ? "failed" : "done", run.n[INK_IMPORT_IMPORTED],
                   run.n[INK_IMPORT_DUPLICATE], run.n[INK_IMPORT_REFUSED],
                   run.n[INK_IMPORT_FAILED], run.fates[FATE_PROCESSED], run.fates[FATE_REFUSED],
                   run.fates[FATE_LEFT], (mono() - t0) * 1000.0);
    if (rc < 0 && run.why.len > 0)
        ink_str_printf(&line, " (%s)", ink_str_cstr(&run.why));
    log_line(&line);
    ink_str_free(&line);
    ink_str_free(&run.why);
}

/* runner - the thread: each import when due, waiting between */
static void *runner(void *arg)
{
    struct serve_imports *si = arg;
    size_t i;

    pthread_mutex_lock(&si->mu);
    while (!si->stop) {
        double now = mono(), wake = now + IMPORT_IDLE_MAX;
        struct timespec ts;
        for (i = 0; i < si->n && !si->stop; i++) {
            if (si->s[i].next > now)
                continue;
            pthread_mutex_unlock(&si->mu);
            run_one(si, &si->s[i]);
            pthread_mutex_lock(&si->mu);
            si->s[i].next = mono() + si->s[i].src->every;
        }
        for (i = 0; i < si->n; i++)
            if (si->s[i].next < wake)
                wake = si->s[i].next;
        if (si->stop)
            break;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        now = mono();
        if (wake > now) {
            double d = wake - now;
            ts.tv_sec += (time_t)d;
            ts.tv_nsec += (long)((d - (double)(time_t)d) * 1e9);
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&si->cv, &si->mu, &ts);
        }
    }
    pthread_mutex_unlock(&si->mu);
    return NULL;
}

/* serve_imports_start - see serve.h */
struct serve_imports *serve_imports_start(const struct serve_config *cfg, const char *db)
{
    struct serve_imports *si = calloc(1, sizeof(*si));
    pthread_condattr_t ca;
    size_t i, n = cfg != NULL ? cfg->nimports : 0;
    double now = mono();

    if (si == NULL) {
        cli_error("serve: out of memory");
        return NULL;
    }
    pthread_mutex_init(&si->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&si->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (n == 0)
        return si; /* nothing scheduled: the counters stay zero */
    si->s = calloc(n, sizeof(*si->s));
    if (si->s == NULL) {
        cli_error("serve: out of memory");
        serve_imports_stop(si);
        return NULL;
    }
    for (i = 0; i < n; i++) {
        si->s[i].src = &cfg->imports[i];
        si->s[i].next = now;
        si->n++;
        if (cfg->imports[i].kind == SERVE_IMPORT_DIR &&
            spool_dirs(&cfg->imports[i], &si->s[i].processed, &si->s[i].refused) < 0) {
            cli_error("serve: out of memory");
            serve_imports_stop(si);
            return NULL;
        }
    }
    if ((si->st = cli_report_open_db(db)) == NULL) {
        serve_imports_stop(si);
        return NULL;
    }
    if (pthread_create(&si->thread, NULL, runner, si) != 0) {
        cli_error("serve: cannot start the import thread");
        serve_imports_stop(si);
        return NULL;
    }
    si->started = 1;
    return si;
}

/* serve_imports_metrics - see serve.h */
void serve_imports_metrics(struct serve_imports *si, struct ink_str *b)
{
    static const char *const status[NSTATUS] = {"imported", "duplicate", "refused", "failed"};
    static const char *const fates[NFATE] = {"processed", "refused", "left"};
    static const char *const runs[NRUN] = {"ok", "failed"};
    unsigned long long r[NSTATUS] = {0}, f[NFATE] = {0}, n[NRUN] = {0};
    size_t i;

    if (si != NULL) {
        pthread_mutex_lock(&si->mu);
        memcpy(r, si->reports, sizeof(r));
        memcpy(f, si->fates, sizeof(f));
        memcpy(n, si->runs, sizeof(n));
        pthread_mutex_unlock(&si->mu);
    }
    ink_str_puts(b, "# HELP inkan_report_imports_total Reports the scheduled imports read, by "
                    "result.\n# TYPE inkan_report_imports_total counter\n");
    for (i = 0; i < NSTATUS; i++)
        ink_str_printf(b, "inkan_report_imports_total{result=\"%s\"} %llu\n", status[i], r[i]);
    ink_str_puts(b, "# HELP inkan_report_import_inputs_total Spool files and mailbox messages "
                    "the scheduled imports finished, by where they went.\n"
                    "# TYPE inkan_report_import_inputs_total counter\n");
    for (i = 0; i < NFATE; i++)
        ink_str_printf(b, "inkan_report_import_inputs_total{fate=\"%s\"} %llu\n", fates[i], f[i]);
    ink_str_puts(b, "# HELP inkan_report_import_runs_total Scheduled import runs, by outcome.\n"
                    "# TYPE inkan_report_import_runs_total counter\n");
    for (i = 0; i < NRUN; i++)
        ink_str_printf(b, "inkan_report_import_runs_total{result=\"%s\"} %llu\n", runs[i], n[i]);
}

/* serve_imports_stop - see serve.h */
void serve_imports_stop(struct serve_imports *si)
{
    size_t i;

    if (si == NULL)
        return;
    if (si->started) {
        pthread_mutex_lock(&si->mu);
        si->stop = 1;
        pthread_cond_broadcast(&si->cv);
        pthread_mutex_unlock(&si->mu);
        pthread_join(si->thread, NULL);
    }
    for (i = 0; i < si->n; i++) {
        free(si->s[i].processed);
        free(si->s[i].refused);
    }
    free(si->s);
    ink_store_free(si->st);
    pthread_cond_destroy(&si->cv);
    pthread_mutex_destroy(&si->mu);
    free(si);
}
