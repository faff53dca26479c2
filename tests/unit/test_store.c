/*
 * test_store.c - the verification store: add/get round trip of a
 * domain and its records, saves with history, a stale save refused
 * (another process won), due domains in order, remove, and reopening.
 * The round trip runs on SQLite, and on PostgreSQL as well when
 * INKAN_TEST_STORE_URI names an empty database (tests/cli/store-pg.sh
 * runs this program so against a private server); the URI helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <unistd.h>

#include "inkan/store.h"
#include "inkan/verify.h"

#include "tmpdir.h"

/* db_path - a fresh database path under the temporary directory (its
 * parent directories do not exist yet: the store creates them) */
static char *db_path(void)
{
    static unsigned n;
    char *path = malloc(256);

    assert_non_null(path);
    snprintf(path, 256, "%s/sub%u/dir/test.db", test_tmpdir(), n++);
    return path;
}

/* domain - a domain with two records */
static struct ink_vdomain *domain(const char *name, int64_t now)
{
    struct ink_vdomain *d = ink_vdomain_new(name, "profile", now);

    assert_non_null(d);
    assert_int_equal(ink_vdomain_add_record(d, name, 16, INK_VMATCH_SPF, "include:x.example.net", "spf"), 0);
    assert_int_equal(ink_vdomain_add_record(d, "_dmarc.example.com", 16, INK_VMATCH_DMARC, "", "dmarc"), 0);
    return d;
}

/* round_trip - the round trip on the store at db (a path or a URI of an
 * empty database) */
static void round_trip(const char *db)
{
    char *path = strdup(db);
    struct ink_str err = INK_STR_INIT;
    struct ink_store *s = ink_store_open(path, 0, &err);
    struct ink_vdomain *d = domain("example.com", 100), *e = NULL, *stale = NULL;
    struct ink_vchange ch[3];
    struct ink_store_event *ev = NULL;
    size_t nev = 0, n;
    char **names = NULL;
    int64_t next;

    if (s == NULL)
        fail_msg("%s", ink_str_cstr(&err));
    assert_int_equal(ink_store_add(s, d, 0, &err), 0);
    assert_int_equal(ink_store_add(s, d, 0, &err), INK_STORE_EXISTS);
    assert_int_equal(ink_store_get(s, "example.org", &e, &err), INK_STORE_NOT_FOUND);
    assert_int_equal(ink_store_get(s, "example.com", &e, &err), 0);
    assert_int_equal(e->nrec, 2);
    assert_string_equal(e->rec[0].expect, "include:x.example.net");
    assert_int_equal(e->rec[1].match, INK_VMATCH_DMARC);
    assert_int_equal(e->state, INK_VSTATE_NOT_STARTED);
    /* a second copy, loaded now, will be stale after e is saved */
    assert_int_equal(ink_store_get(s, "example.com", &stale, &err), 0);

    /* one check: states, seen values and the history rows */
    e->state = INK_VSTATE_PENDING;
    e->window_start = 200;
    e->deadline = 200 + INK_VERIFY_WINDOW;
    e->next_poll = 500;
    e->rec[0].state = INK_VSTATE_VERIFIED;
    assert_int_equal(ink_vdomain_set_str(&e->rec[0].seen, "v=spf1 include:x.example.net -all"), 0);
    assert_int_equal(ink_vdomain_set_str(&e->rec[1].detail, "no DMARC record"), 0);
    e->rec[0].last_check = e->rec[1].last_check = 200;
    ch[0] = (struct ink_vchange){0, INK_VSTATE_NOT_STARTED, INK_VSTATE_VERIFIED, 200};
    ch[1] = (struct ink_vchange){1, INK_VSTATE_NOT_STARTED, INK_VSTATE_PENDING, 200};
    ch[2] = (struct ink_vchange){-1, INK_VSTATE_NOT_STARTED, INK_VSTATE_PENDING, 200};
    assert_int_equal(ink_store_save(s, e, ch, 3, &err), 0);
    /* the stale copy may not overwrite that */
    stale->state = INK_VSTATE_FAILURE;
    assert_int_equal(ink_store_save(s, stale, NULL, 0, &err), INK_STORE_CONFLICT);
    ink_vdomain_free(e);
    assert_int_equal(ink_store_get(s, "example.com", &e, &err), 0);
    assert_int_equal(e->state, INK_VSTATE_PENDING);
    assert_int_equal(e->deadline, 200 + INK_VERIFY_WINDOW);
    assert_string_equal(e->rec[0].seen, "v=spf1 include:x.example.net -all");
    assert_string_equal(e->rec[1].detail, "no DMARC record");
    assert_int_equal(e->rec[0].state, INK_VSTATE_VERIFIED);
    assert_int_equal(ink_store_history(s, "example.com", 10, &ev, &nev, &err), 0);
    assert_int_equal(nev, 3);
    assert_string_equal(ev[0].owner, "example.com");
    assert_string_equal(ev[0].type, "TXT");
    assert_int_equal(ev[2].record, -1);
    assert_null(ev[2].owner);
    assert_string_equal(ev[1].detail, "no DMARC record");
    ink_store_events_free(ev, nev);
    /* history limit keeps the latest */
    assert_int_equal(ink_store_history(s, "example.com", 1, &ev, &nev, &err), 0);
    assert_int_equal(nev, 1);
    assert_int_equal(ev[0].record, -1);
    ink_store_events_free(ev, nev);

    /* due: a second domain polled sooner comes first; FAILURE never */
    ink_vdomain_free(d);
    d = domain("example.net", 100);
    d->next_poll = 300;
    assert_int_equal(ink_store_add(s, d, 0, &err), 0);
    assert_int_equal(ink_store_due(s, 250, &names, &n, &next, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(next, 300);
    ink_store_names_free(names, n);
    assert_int_equal(ink_store_due(s, 1000, &names, &n, &next, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(names[0], "example.net");
    assert_string_equal(names[1], "example.com");
    ink_store_names_free(names, n);
    d->state = INK_VSTATE_FAILURE;
    assert_int_equal(ink_store_save(s, d, NULL, 0, &err), 0);
    assert_int_equal(ink_store_due(s, 1000, &names, &n, &next, &err), 0);
    assert_int_equal(n, 1);
    ink_store_names_free(names, n);

    /* reopen: everything is still there; remove */
    ink_store_free(s);
    s = ink_store_open(path, 0, &err);
    assert_non_null(s);
    {
        struct ink_vdomain **all = NULL;
        assert_int_equal(ink_store_list(s, &all, &n, &err), 0);
        assert_int_equal(n, 2);
        assert_string_equal(all[0]->domain, "example.com");
        assert_int_equal(all[1]->state, INK_VSTATE_FAILURE);
        ink_store_domains_free(all, n);
    }
    assert_int_equal(ink_store_remove(s, "example.com", &err), 0);
    assert_int_equal(ink_store_remove(s, "example.com", &err), INK_STORE_NOT_FOUND);
    assert_int_equal(ink_store_history(s, "example.com", 10, &ev, &nev, &err), 0);
    assert_int_equal(nev, 0);
    ink_store_events_free(ev, nev);
    /* replace starts over */
    assert_int_equal(ink_store_add(s, d, 1, &err), 0);

    ink_vdomain_free(d);
    ink_vdomain_free(e);
    ink_vdomain_free(stale);
    ink_store_free(s);
    ink_store_free(NULL);
    free(path);
    ink_str_free(&err);
}

static void test_round_trip(void **state)
{
    char *path = db_path();

    (void)state;
    round_trip(path);
    free(path);
}

/* the same on PostgreSQL, when a database is given */
static void test_round_trip_pg(void **state)
{
    const char *uri = getenv("INKAN_TEST_STORE_URI");
    struct ink_store *ro;
    struct ink_vdomain *got = NULL;
    struct ink_str err = INK_STR_INIT;

    (void)state;
    if (uri == NULL || uri[0] == '\0')
        skip();
    assert_true(ink_store_is_uri(uri));
    round_trip(uri);
    /* a read-only session reads, and cannot write */
    ro = ink_store_open(uri, 1, &err);
    if (ro == NULL)
        fail_msg("%s", ink_str_cstr(&err));
    assert_int_equal(ink_store_get(ro, "example.net", &got, &err), 0);
    assert_int_equal(ink_store_remove(ro, "example.net", &err), -1);
    assert_non_null(strstr(ink_str_cstr(&err), "read-only"));
    ink_vdomain_free(got);
    ink_store_free(ro);
    ink_str_free(&err);
}

/* URIs go to PostgreSQL, never to a SQLite file; their passwords are not shown */
static void test_uri_helpers(void **state)
{
    static const char *const cases[][2] = {
        {"postgresql://inkan:s3cret@db.example/inkan", "postgresql://inkan:***@db.example/inkan"},
        {"postgres://u:p@ss/w@h:5432/d?sslmode=require", "postgres://u:***@h:5432/d?sslmode=require"},
        {"postgresql:///inkan?host=/run/pg&password=s3cret&user=u",
         "postgresql:///inkan?host=/run/pg&password=***&user=u"},
        {"postgresql://u@h/d", "postgresql://u@h/d"},
        {"/var/lib/inkan/inkan.db", "/var/lib/inkan/inkan.db"},
    };
    struct ink_str err = INK_STR_INIT;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct ink_str out = INK_STR_INIT;
        ink_store_db_shown(cases[i][0], &out);
        assert_string_equal(ink_str_cstr(&out), cases[i][1]);
        assert_true(ink_store_db_ok(cases[i][0]));
        ink_str_free(&out);
    }
    assert_true(ink_store_is_uri("postgres://h/d"));
    assert_false(ink_store_is_uri("postgresql:/x"));
    assert_false(ink_store_path_ok("postgresql://h/d")); /* not a file name */
    /* a server that is not there: the reason, without the password */
    assert_null(ink_store_open("postgresql://u:s3cret@/d?host=/nonexistent-inkan-dir", 0, &err));
    assert_non_null(strstr(ink_str_cstr(&err), "postgresql://u:***@/d"));
    assert_null(strstr(ink_str_cstr(&err), "s3cret"));
    ink_str_free(&err);
}

static void test_unopenable(void **state)
{
    struct ink_str err = INK_STR_INIT;

    (void)state;
    assert_null(ink_store_sqlite_open("/proc/nonexistent/dir/x.db", &err));
    assert_true(err.len > 0);
    ink_str_free(&err);
}

/* "" and ":memory:" would be databases thrown away at exit: refused by
 * both opens; a read-only open reads what a read-write one wrote and
 * refuses what is not an inkan database */
static void test_throwaway_paths_and_readonly(void **state)
{
    static const char *const bad[] = {"", ":memory:", "file::memory:", "file:x.db?mode=memory"};
    struct ink_str err = INK_STR_INIT;
    struct ink_store *s, *ro;
    struct ink_vdomain *d = domain("example.org", 100), *got = NULL;
    char other[300];
    FILE *fp;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_false(ink_store_path_ok(bad[i]));
        ink_str_truncate(&err, 0);
        assert_null(ink_store_sqlite_open(bad[i], &err));
        assert_non_null(strstr(ink_str_cstr(&err), "not a database file"));
        ink_str_truncate(&err, 0);
        assert_null(ink_store_sqlite_open_readonly(bad[i], &err));
        assert_non_null(strstr(ink_str_cstr(&err), "not a database file"));
    }
    assert_true(ink_store_path_ok("./inkan.db"));
    snprintf(other, sizeof(other), "%s/ro.db", test_tmpdir());
    /* nothing there: a read-only open creates nothing */
    ink_str_truncate(&err, 0);
    assert_null(ink_store_sqlite_open_readonly(other, &err));
    assert_int_equal(access(other, F_OK), -1);
    s = ink_store_sqlite_open(other, &err);
    assert_non_null(s);
    assert_int_equal(ink_store_add(s, d, 0, &err), 0);
    ink_store_free(s);
    ro = ink_store_sqlite_open_readonly(other, &err);
    assert_non_null(ro);
    assert_int_equal(ink_store_get(ro, "example.org", &got, &err), 0);
    assert_string_equal(got->domain, "example.org");
    ink_vdomain_free(got);
    ink_store_free(ro);
    /* a file that is not an inkan database */
    snprintf(other, sizeof(other), "%s/not.db", test_tmpdir());
    fp = fopen(other, "w");
    assert_non_null(fp);
    fclose(fp);
    ink_str_truncate(&err, 0);
    assert_null(ink_store_sqlite_open_readonly(other, &err));
    assert_non_null(strstr(ink_str_cstr(&err), "not an inkan database"));
    ink_vdomain_free(d);
    ink_str_free(&err);
}

/* test_rotations - DKIM key rotations: add, one open rotation per domain,
 * list (all, one domain, newest only), save guarded by the phase */
/* rotations - the rotation round trip on the store at db */
static void rotations(const char *db)
{
    char *path = strdup(db);
    struct ink_str err = INK_STR_INIT;
    struct ink_store *s = ink_store_open(path, 0, &err);
    struct ink_rotation *r = ink_rotation_new("example.com", 1000), *r2, **v = NULL;
    size_t n = 0;

    if (s == NULL)
        fail_msg("%s", ink_str_cstr(&err));
    assert_int_equal(ink_rotation_add_key(r, 1, "new-rsa2048", "rsa", "v=DKIM1; k=rsa; p=AAAA", "/keys/new"), 0);
    assert_int_equal(ink_rotation_add_key(r, 1, "new-ed25519", "ed25519", "v=DKIM1; k=ed25519; p=BBBB", NULL), 0);
    assert_int_equal(ink_rotation_add_key(r, 0, "old", NULL, NULL, NULL), 0);
    r->overlap = 60;
    r->ttl = 300;
    assert_int_equal(ink_store_rotation_add(s, r, &err), 0);
    assert_true(r->id > 0);
    /* a second one while the first is not DONE is refused */
    r2 = ink_rotation_new("example.com", 2000);
    assert_int_equal(ink_rotation_add_key(r2, 1, "x", NULL, NULL, NULL), 0);
    assert_int_equal(ink_store_rotation_add(s, r2, &err), INK_STORE_EXISTS);
    assert_int_equal(ink_store_rotation_list(s, "example.com", 0, &v, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(v[0]->id, r->id);
    assert_string_equal(v[0]->domain, "example.com");
    assert_int_equal(v[0]->phase, INK_ROT_PUBLISH_NEW);
    assert_int_equal(v[0]->overlap, 60);
    assert_int_equal(v[0]->ttl, 300);
    assert_int_equal(v[0]->nnew, 2);
    assert_int_equal(v[0]->nold, 1);
    assert_string_equal(v[0]->newk[0].selector, "new-rsa2048");
    assert_string_equal(v[0]->newk[0].key_file, "/keys/new");
    assert_string_equal(v[0]->newk[1].record, "v=DKIM1; k=ed25519; p=BBBB");
    assert_null(v[0]->newk[1].key_file);
    assert_null(v[0]->oldk[0].key_type);
    ink_rotations_free(v, n);
    /* save: phase guard */
    r->phase = INK_ROT_ACTIVE;
    r->active_at = r->phase_since = 1500;
    assert_int_equal(ink_rotation_set_detail(r, "every server serves the key"), 0);
    assert_int_equal(ink_store_rotation_save(s, r, INK_ROT_PUBLISH_NEW, &err), 0);
    assert_int_equal(ink_store_rotation_save(s, r, INK_ROT_PUBLISH_NEW, &err), INK_STORE_CONFLICT);
    r->phase = INK_ROT_DONE;
    assert_int_equal(ink_store_rotation_save(s, r, INK_ROT_ACTIVE, &err), 0);
    /* DONE: a new rotation of the domain may start */
    assert_int_equal(ink_store_rotation_add(s, r2, &err), 0);
    r2->id = 999;
    assert_int_equal(ink_store_rotation_save(s, r2, INK_ROT_PUBLISH_NEW, &err), INK_STORE_NOT_FOUND);
    ink_rotation_free(r2);
    r2 = ink_rotation_new("a.example.org", 3000);
    assert_int_equal(ink_rotation_add_key(r2, 1, "y", NULL, NULL, NULL), 0);
    assert_int_equal(ink_store_rotation_add(s, r2, &err), 0);
    assert_int_equal(ink_store_rotation_list(s, NULL, 0, &v, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_string_equal(v[0]->domain, "a.example.org");
    assert_string_equal(v[1]->domain, "example.com");
    assert_int_equal(v[1]->phase, INK_ROT_DONE);
    assert_int_equal(v[1]->active_at, 1500);
    assert_string_equal(v[1]->detail, "every server serves the key");
    ink_rotations_free(v, n);
    assert_int_equal(ink_store_rotation_list(s, NULL, 1, &v, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(v[1]->domain, "example.com");
    assert_int_equal(v[1]->phase, INK_ROT_PUBLISH_NEW);
    assert_string_equal(v[1]->newk[0].selector, "x");
    ink_rotations_free(v, n);
    assert_int_equal(ink_store_rotation_list(s, "nothing.example", 0, &v, &n, &err), 0);
    assert_int_equal(n, 0);
    ink_rotations_free(v, n);
    ink_rotation_free(r);
    ink_rotation_free(r2);
    ink_store_free(s);
    ink_str_free(&err);
    free(path);
}

static void test_rotations(void **state)
{
    char *path = db_path();

    (void)state;
    rotations(path);
    free(path);
}

/* the same on PostgreSQL, when a database is given */
static void test_rotations_pg(void **state)
{
    const char *uri = getenv("INKAN_TEST_STORE_URI");

    (void)state;
    if (uri == NULL || uri[0] == '\0')
        skip();
    rotations(uri);
}

/* marks - the owner's marks on the store at db: put (new, then replacing),
 * list (one domain, all, in order), remove (and again: not found), the
 * per-domain limit; a read-only open of a database older than the marks
 * lists none */
static void marks(const char *db)
{
    char *path = strdup(db);
    struct ink_str err = INK_STR_INIT;
    struct ink_store *s = ink_store_open(path, 0, &err);
    struct ink_store_mark m1 = {"example.org", "198.51.100.0", 24, "ours", 1000, "old relay"};
    struct ink_store_mark m2 = {"example.org", "2001:db8::", 32, "spoof", 1001, NULL};
    struct ink_store_mark m3 = {"example.net", "192.0.2.7", 32, "spoof", 1002, NULL};
    struct ink_store_mark *v = NULL;
    size_t n = 0;
    int replaced = -1;

    if (s == NULL)
        fail_msg("%s", ink_str_cstr(&err));
    assert_int_equal(ink_store_report_mark_list(s, NULL, &v, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(ink_store_report_mark_put(s, &m1, &replaced, &err), 0);
    assert_int_equal(replaced, 0);
    assert_int_equal(ink_store_report_mark_put(s, &m2, &replaced, &err), 0);
    assert_int_equal(ink_store_report_mark_put(s, &m3, NULL, &err), 0);
    /* the same network again: replaced, with its new mark, time and note */
    m1.mark = "spoof";
    m1.created = 2000;
    m1.note = NULL;
    assert_int_equal(ink_store_report_mark_put(s, &m1, &replaced, &err), 0);
    assert_int_equal(replaced, 1);
    /* the same address with another prefix is another mark */
    m1.prefix = 25;
    assert_int_equal(ink_store_report_mark_put(s, &m1, &replaced, &err), 0);
    assert_int_equal(replaced, 0);
    assert_int_equal(ink_store_report_mark_list(s, "example.org", &v, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_string_equal(v[0].network, "198.51.100.0");
    assert_int_equal(v[0].prefix, 24);
    assert_string_equal(v[0].mark, "spoof");
    assert_int_equal(v[0].created, 2000);
    assert_null(v[0].note);
    assert_int_equal(v[1].prefix, 25);
    assert_string_equal(v[2].network, "2001:db8::");
    assert_string_equal(v[2].domain, "example.org");
    ink_store_marks_free(v, n);
    assert_int_equal(ink_store_report_mark_list(s, NULL, &v, &n, &err), 0);
    assert_int_equal(n, 4);
    assert_string_equal(v[0].domain, "example.net"); /* by domain first */
    assert_string_equal(v[0].network, "192.0.2.7");
    ink_store_marks_free(v, n);
    assert_int_equal(ink_store_report_mark_remove(s, "example.org", "198.51.100.0", 25, &err), 0);
    assert_int_equal(ink_store_report_mark_remove(s, "example.org", "198.51.100.0", 25, &err),
                     INK_STORE_NOT_FOUND);
    assert_int_equal(ink_store_report_mark_remove(s, "example.com", "192.0.2.7", 32, &err),
                     INK_STORE_NOT_FOUND);
    assert_int_equal(ink_store_report_mark_list(s, "example.org", &v, &n, &err), 0);
    assert_int_equal(n, 2);
    ink_store_marks_free(v, n);
    assert_int_equal(ink_store_report_mark_list(s, "nothing.example", &v, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_null(v);
    ink_store_free(s);
    free(path);
    ink_str_free(&err);
}

/* the per-domain limit: the INK_MARKS_MAX + 1st new mark is refused, a
 * replacement still taken (SQLite: the limit is the backends' same check) */
static void test_marks_limit(void **state)
{
    char *path = db_path(), net[32], cmd[800];
    struct ink_str err = INK_STR_INIT;
    struct ink_store *s = ink_store_open(path, 0, &err);
    struct ink_store_mark m = {"example.org", net, 32, "ours", 1, NULL};

    (void)state;
    if (s == NULL)
        fail_msg("%s", ink_str_cstr(&err));
    ink_store_free(s);
    /* INK_MARKS_MAX marks in one transaction (10.0.0.0, 10.0.0.1, ...) */
    snprintf(cmd, sizeof(cmd),
             "sqlite3 '%s' \"WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c"
             " WHERE i + 1 < %d) INSERT INTO report_marks SELECT 'example.org', '10.0.' ||"
             " (i / 256) || '.' || (i %% 256), 32, 'ours', 1, NULL FROM c\" 2>/dev/null",
             path, INK_MARKS_MAX);
    if (system(cmd) != 0) {
        free(path);
        skip(); /* no sqlite3 program */
    }
    s = ink_store_open(path, 0, &err);
    if (s == NULL)
        fail_msg("%s", ink_str_cstr(&err));
    snprintf(net, sizeof(net), "192.0.2.1");
    assert_int_equal(ink_store_report_mark_put(s, &m, NULL, &err), -1);
    assert_non_null(strstr(ink_str_cstr(&err), "marks already"));
    snprintf(net, sizeof(net), "10.0.1.5");
    m.mark = "spoof";
    assert_int_equal(ink_store_report_mark_put(s, &m, NULL, &err), 0);
    m.domain = "example.net"; /* another domain has its own limit */
    assert_int_equal(ink_store_report_mark_put(s, &m, NULL, &err), 0);
    ink_store_free(s);
    free(path);
    ink_str_free(&err);
}

static void test_marks(void **state)
{
    char *path = db_path();
    struct ink_str err = INK_STR_INIT;
    struct ink_store *s, *ro;
    struct ink_store_mark *v = NULL;
    size_t n = 5;
    char cmd[600];

    (void)state;
    marks(path);
    /* a read-only open of a version 7 database (no report_marks) lists none */
    s = ink_store_open(path, 0, &err);
    assert_non_null(s);
    ink_store_free(s);
    snprintf(cmd, sizeof(cmd),
             "sqlite3 '%s' 'DROP TABLE report_marks; PRAGMA user_version = 7' 2>/dev/null", path);
    if (system(cmd) == 0) {
        ro = ink_store_open(path, 1, &err);
        if (ro == NULL)
            fail_msg("%s", ink_str_cstr(&err));
        assert_int_equal(ink_store_report_mark_list(ro, NULL, &v, &n, &err), 0);
        assert_int_equal(n, 0);
        ink_store_free(ro);
        /* a writing open migrates it: the table is back, empty */
        s = ink_store_open(path, 0, &err);
        assert_non_null(s);
        assert_int_equal(ink_store_report_mark_list(s, NULL, &v, &n, &err), 0);
        assert_int_equal(n, 0);
        ink_store_free(s);
    }
    free(path);
    ink_str_free(&err);
}

/* the same on PostgreSQL, when a database is given */
static void test_marks_pg(void **state)
{
    const char *uri = getenv("INKAN_TEST_STORE_URI");

    (void)state;
    if (uri == NULL || uri[0] == '\0')
        skip();
    marks(uri);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_round_trip_pg),
        cmocka_unit_test(test_uri_helpers),
        cmocka_unit_test(test_unopenable),
        cmocka_unit_test(test_throwaway_paths_and_readonly),
        cmocka_unit_test(test_rotations),
        cmocka_unit_test(test_rotations_pg),
        cmocka_unit_test(test_marks),
        cmocka_unit_test(test_marks_limit),
        cmocka_unit_test(test_marks_pg),
    };

    return cmocka_run_group_tests(tests, NULL, test_tmpdir_cleanup);
}
