/*
 * secret.c - the one way inkan writes a secret file (a DKIM private key):
 * never through a symlink, never into an existing file, never readable by
 * others, never half-written under the final name.  Used by `check
 * --dkim-keygen`, `dkim keygen` and `provision`.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "inkan/str.h"

/* Temporary names tried before giving up (each taken by another process). */
#define SECRET_TMP_TRIES 64
/* Mode of every secret file. */
#define SECRET_MODE 0600

/* write_all - write len bytes to fd; 0 or -1 (errno set) */
static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* open_tmp - create a new file next to path (O_EXCL|O_NOFOLLOW, mode
 * 0600); its name goes to tmp.  The fd, or -1 after printing why. */
static int open_tmp(const char *path, struct ink_str *tmp)
{
    static unsigned counter;
    int i;

    for (i = 0; i < SECRET_TMP_TRIES; i++) {
        int fd;
        ink_str_truncate(tmp, 0);
        if (ink_str_printf(tmp, "%s.tmp-%ld-%u", path, (long)getpid(), counter++) < 0) {
            cli_error("%s: out of memory", path);
            return -1;
        }
        fd = open(ink_str_cstr(tmp), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                  SECRET_MODE);
        if (fd >= 0)
            return fd;
        if (errno != EEXIST) {
            cli_error("%s: %s", ink_str_cstr(tmp), strerror(errno));
            return -1;
        }
    }
    cli_error("%s: no free temporary name next to it", path);
    return -1;
}

/* cli_secret_write - write a secret file (see cli.h) */
int cli_secret_write(const char *path, const void *buf, size_t len, int force)
{
    struct ink_str tmp = INK_STR_INIT;
    int fd = open_tmp(path, &tmp), rc = -1;

    if (fd < 0)
        goto done;
    /* umask can only take bits away; set the mode outright anyway */
    if (fchmod(fd, SECRET_MODE) < 0 || write_all(fd, buf, len) < 0 || fsync(fd) < 0) {
        cli_error("%s: %s", ink_str_cstr(&tmp), strerror(errno));
        close(fd);
        unlink(ink_str_cstr(&tmp));
        goto done;
    }
    if (close(fd) < 0) {
        cli_error("%s: %s", ink_str_cstr(&tmp), strerror(errno));
        unlink(ink_str_cstr(&tmp));
        goto done;
    }
    if (force) {
        /* rename replaces a symlink itself, never what it points to */
        if (rename(ink_str_cstr(&tmp), path) < 0) {
            cli_error("%s: %s", path, strerror(errno));
            unlink(ink_str_cstr(&tmp));
            goto done;
        }
    } else if (link(ink_str_cstr(&tmp), path) < 0) {
        /* link() refuses an existing name (file, directory or symlink,
         * dangling or not) atomically: nothing there is touched */
        int e = errno;
        struct stat st;
        if (e == EEXIST) {
            cli_error("%s: exists already: not replacing a key (use --force to replace it)",
                      path);
        } else if ((e == EPERM || e == ENOTSUP || e == EOPNOTSUPP) && lstat(path, &st) < 0 &&
                   errno == ENOENT) {
            /* a file system without hard links: checked, then renamed */
            if (rename(ink_str_cstr(&tmp), path) == 0) {
                rc = 0;
                goto done;
            }
            cli_error("%s: %s", path, strerror(errno));
        } else {
            cli_error("%s: %s", path, strerror(e));
        }
        unlink(ink_str_cstr(&tmp));
        goto done;
    } else {
        unlink(ink_str_cstr(&tmp));
    }
    rc = 0;
done:
    ink_str_free(&tmp);
    return rc;
}
