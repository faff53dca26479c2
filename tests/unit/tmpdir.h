/*
 * tmpdir.h - shared by the unit tests that write files (stores, spools):
 * one temporary directory per test program, /tmp/inkan-PROGRAM-XXXXXX,
 * made on first use; fresh paths under it; a cmocka group teardown that
 * removes it.
 *
 * Header-only on purpose (as spf_suite.h): each test executable includes
 * it once, after <cmocka.h>.
 */
#ifndef INKAN_TEST_TMPDIR_H
#define INKAN_TEST_TMPDIR_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* Every helper is static; a test that uses only some of them must not warn. */
#define TMPDIR_FN static __attribute__((unused))

/* Room for the directory's name, a path under it and the rm command. */
#define TMPDIR_NAME_MAX 128
#define TMPDIR_PATH_MAX 300

static char tmpdir_name[TMPDIR_NAME_MAX];
/* A flag, not the template's look, says the directory is made: mkdtemp may
 * itself end the name with an 'X' (one run in 62). */
static int tmpdir_made;

/* test_tmpdir - the directory of this run, made the first time (static) */
TMPDIR_FN const char *test_tmpdir(void)
{
    if (!tmpdir_made) {
        int n = snprintf(tmpdir_name, sizeof(tmpdir_name), "/tmp/inkan-%s-XXXXXX",
                         program_invocation_short_name);

        assert_true(n > 0 && (size_t)n < sizeof(tmpdir_name));
        assert_non_null(mkdtemp(tmpdir_name));
        tmpdir_made = 1;
    }
    return tmpdir_name;
}

/* test_tmp_path - "DIR/N-name", a path no other call of this run returns
 * (nothing is made there); caller frees */
TMPDIR_FN char *test_tmp_path(const char *name)
{
    static unsigned next;
    char *p = malloc(TMPDIR_PATH_MAX);
    int n;

    assert_non_null(p);
    n = snprintf(p, TMPDIR_PATH_MAX, "%s/%u-%s", test_tmpdir(), next++, name);
    assert_true(n > 0 && n < TMPDIR_PATH_MAX);
    return p;
}

/* test_tmpdir_cleanup - group teardown: remove the directory if made */
TMPDIR_FN int test_tmpdir_cleanup(void **state)
{
    char cmd[TMPDIR_PATH_MAX];

    (void)state;
    if (!tmpdir_made)
        return 0;
    (void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir_name);
    return system(cmd) == 0 ? 0 : -1;
}

#endif
