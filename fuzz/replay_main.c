/*
 * replay_main.c - main() for a fuzz target built without libFuzzer: runs
 * LLVMFuzzerTestOneInput once on each file named on the command line (a
 * directory stands for the regular files in it, in name order).  Each
 * build links every target with this to replay its corpus, seeds and
 * regression seeds, as a meson test (suite "fuzz"), so a fixed fuzz
 * finding stays fixed in the normal and the ASan build alike.
 *
 * Each input is copied into a buffer of exactly its size, as libFuzzer
 * does, so a read past the end is caught under ASan.  A target reports a
 * broken promise by aborting; this driver exits 1 on an unreadable or
 * oversized input and when it was given no input at all (a replay of
 * nothing proves nothing).
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Largest input replayed: far above any seed (fuzz.sh fuzzes with
 * -max_len=65536), small enough that a stray large file is an error. */
#define REPLAY_INPUT_MAX (4u * 1024u * 1024u)
/* Longest path built from a directory and an entry name. */
#define REPLAY_PATH_MAX 4096

/* replay_file - run the target on one file's bytes; 0, or -1 (said why) */
static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long len;
    size_t got;

    if (f == NULL) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "replay: %s: cannot find its size\n", path);
        fclose(f);
        return -1;
    }
    if ((unsigned long)len > REPLAY_INPUT_MAX) {
        fprintf(stderr, "replay: %s: %ld bytes, over the %u-byte input limit\n", path, len,
                REPLAY_INPUT_MAX);
        fclose(f);
        return -1;
    }
    /* malloc(0) may return NULL: keep one byte, pass the true size */
    buf = malloc(len > 0 ? (size_t)len : 1);
    if (buf == NULL) {
        fprintf(stderr, "replay: %s: out of memory\n", path);
        fclose(f);
        return -1;
    }
    got = fread(buf, 1, (size_t)len, f);
    fclose(f);
    if (got != (size_t)len) {
        fprintf(stderr, "replay: %s: short read\n", path);
        free(buf);
        return -1;
    }
    LLVMFuzzerTestOneInput(buf, got);
    free(buf);
    return 0;
}

/* replay_path - one file, or every regular file of a directory; adds the
 * inputs run to *count; 0, or -1 when any could not be read */
static int replay_path(const char *path, size_t *count)
{
    struct dirent **names;
    struct stat st;
    int n, i, rc = 0;

    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        if (replay_file(path) != 0)
            return -1;
        (*count)++;
        return 0;
    }
    n = scandir(path, &names, NULL, alphasort);
    if (n < 0) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    for (i = 0; i < n; i++) {
        char file[REPLAY_PATH_MAX];
        int w;

        if (names[i]->d_name[0] == '.') {
            free(names[i]);
            continue;
        }
        w = snprintf(file, sizeof(file), "%s/%s", path, names[i]->d_name);
        free(names[i]);
        if (w < 0 || (size_t)w >= sizeof(file)) {
            fprintf(stderr, "replay: a path under %s is too long\n", path);
            rc = -1;
            continue;
        }
        if (stat(file, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (replay_file(file) != 0)
            rc = -1;
        else
            (*count)++;
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    size_t count = 0;
    int i, rc = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 2;
    }
    for (i = 1; i < argc; i++)
        if (replay_path(argv[i], &count) != 0)
            rc = 1;
    printf("replayed %zu inputs\n", count);
    if (count == 0) {
        fprintf(stderr, "replay: no input found\n");
        rc = 1;
    }
    return rc;
}
