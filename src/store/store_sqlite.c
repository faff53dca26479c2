/*
 * store_sqlite.c - the SQLite backend of the store: verification state
 * and DMARC aggregate reports.
 *
 * Schema (PRAGMA user_version, migrations applied on open): version 1
 * domains, records (one row per expected record, keyed by domain and
 * position) and events (the history of state changes); version 2 the
 * DMARC reports (reports, report_rows, report_auth, report_reasons,
 * report_ptr); version 3 failure reports (failure_reports); version 4 the outcome of
 * each cached reverse lookup (report_ptr.result: a name, or none); version 5
 * the API tokens of `inkan serve` (api_tokens: name and SHA-256 only); version 6
 * DKIM key rotations (dkim_rotations, dkim_rotation_keys); version 7 the inbound
 * evaluations (evaluations, evaluation_dkim: inkan/evlog.h rows, one per unique
 * key); version 8 the owner's marks on report sources (report_marks).
 * A report is one IMMEDIATE transaction from its metadata
 * to its commit: a killed import leaves no half report.  Every statement binds its parameters; every save is
 * one IMMEDIATE transaction guarded by the domain's revision, so a killed
 * process leaves either the old state or the new one, never half of each,
 * and two processes checking the same domain cannot undo each other.
 */
#include "inkan/store.h"

#include <errno.h>
#include <stddef.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "inkan/dns.h"

/* The schema this file writes; databases with a higher version are refused. */
#define STORE_SCHEMA_VERSION 8
/* How long a statement waits for another process's transaction (ms). */
#define STORE_BUSY_TIMEOUT_MS 10000
/* Longest database path accepted. */
#define STORE_PATH_MAX 4096

struct sqlite_store {
    struct ink_store base;
    sqlite3 *db;
    /* the report being imported (report_begin .. commit/abort) */
    int in_report;
    sqlite3_int64 report;     /* its rowid */
    sqlite3_int64 nrows;      /* records added */
    sqlite3_int64 messages;   /* their messages */
    sqlite3_stmt *st_row, *st_auth, *st_reason;
};

static const char schema_v1[] =
    "CREATE TABLE domains ("
    "  name TEXT PRIMARY KEY,"
    "  profile TEXT,"
    "  state TEXT NOT NULL,"
    "  added_at INTEGER NOT NULL,"
    "  window_start INTEGER NOT NULL DEFAULT 0,"
    "  deadline INTEGER NOT NULL DEFAULT 0,"
    "  last_check INTEGER NOT NULL DEFAULT 0,"
    "  next_poll INTEGER NOT NULL DEFAULT 0,"
    "  state_since INTEGER NOT NULL DEFAULT 0,"
    "  verified_at INTEGER NOT NULL DEFAULT 0,"
    "  polls INTEGER NOT NULL DEFAULT 0,"
    "  rev INTEGER NOT NULL DEFAULT 1);"
    "CREATE INDEX domains_next_poll ON domains(next_poll);"
    "CREATE TABLE records ("
    "  domain TEXT NOT NULL REFERENCES domains(name) ON DELETE CASCADE,"
    "  idx INTEGER NOT NULL,"
    "  owner TEXT NOT NULL,"
    "  type TEXT NOT NULL,"
    "  match TEXT NOT NULL,"
    "  expect TEXT NOT NULL,"
    "  purpose TEXT,"
    "  state TEXT NOT NULL,"
    "  seen TEXT,"
    "  detail TEXT,"
    "  recursive TEXT,"
    "  last_check INTEGER NOT NULL DEFAULT 0,"
    "  verified_at INTEGER NOT NULL DEFAULT 0,"
    "  changed_at INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (domain, idx));"
    "CREATE TABLE events ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  domain TEXT NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  record INTEGER NOT NULL,"
    "  owner TEXT,"
    "  type TEXT,"
    "  from_state TEXT NOT NULL,"
    "  to_state TEXT NOT NULL,"
    "  detail TEXT);"
    "CREATE INDEX events_domain ON events(domain, id);";

/* Version 2: DMARC aggregate reports.  A report is unique by (org_name,
 * report_id) and by the SHA-256 of its bytes; rows are its records, auth
 * its SPF and DKIM results, reasons its policy_evaluated reasons; ptr
 * caches reverse names of source addresses. */
static const char schema_v2[] =
    "CREATE TABLE reports ("
    "  id INTEGER PRIMARY KEY,"
    "  org_name TEXT NOT NULL,"
    "  report_id TEXT NOT NULL,"
    "  email TEXT,"
    "  format TEXT NOT NULL,"
    "  domain TEXT NOT NULL,"
    "  begin_at INTEGER NOT NULL,"
    "  end_at INTEGER NOT NULL,"
    "  adkim TEXT, aspf TEXT, p TEXT, sp TEXT, np TEXT, pct INTEGER, testing TEXT,"
    "  sha256 TEXT UNIQUE,"
    "  bytes INTEGER,"
    "  source TEXT,"
    "  notes TEXT,"
    "  records INTEGER NOT NULL DEFAULT 0,"
    "  messages INTEGER NOT NULL DEFAULT 0,"
    "  duplicates INTEGER NOT NULL DEFAULT 0,"
    "  UNIQUE (org_name, report_id));"
    "CREATE INDEX reports_domain ON reports(domain, begin_at);"
    "CREATE TABLE report_rows ("
    "  report INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,"
    "  idx INTEGER NOT NULL,"
    "  source_ip TEXT NOT NULL,"
    "  count INTEGER NOT NULL,"
    "  disposition TEXT, dkim TEXT, spf TEXT,"
    "  header_from TEXT, envelope_from TEXT, envelope_to TEXT,"
    "  authenticated INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (report, idx));"
    "CREATE INDEX report_rows_ip ON report_rows(source_ip);"
    "CREATE TABLE report_auth ("
    "  report INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,"
    "  idx INTEGER NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  n INTEGER NOT NULL,"
    "  domain TEXT, selector TEXT, scope TEXT, result TEXT, human_result TEXT,"
    "  PRIMARY KEY (report, idx, kind, n));"
    "CREATE TABLE report_reasons ("
    "  report INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,"
    "  idx INTEGER NOT NULL,"
    "  n INTEGER NOT NULL,"
    "  type TEXT, comment TEXT,"
    "  PRIMARY KEY (report, idx, n));"
    "CREATE TABLE report_ptr ("
    "  ip TEXT PRIMARY KEY,"
    "  ptr TEXT,"
    "  looked_up_at INTEGER NOT NULL);";

/* The migrations: migrations[i] takes a database from version i to i + 1,
 * each in the one transaction that also sets user_version. */
/* Version 3: DMARC failure reports (RFC 6591), one row each, unique by
 * the SHA-256 of the message they came in; the domain is the first
 * Reported-Domain (else DKIM-Domain). */
static const char schema_v3[] =
    "CREATE TABLE failure_reports ("
    "  id INTEGER PRIMARY KEY,"
    "  domain TEXT,"
    "  feedback_type TEXT NOT NULL, user_agent TEXT, version TEXT,"
    "  auth_failure TEXT, source_ip TEXT, arrival_date TEXT, reporting_mta TEXT,"
    "  original_mail_from TEXT, original_rcpt_to TEXT, original_envelope_id TEXT,"
    "  authentication_results TEXT, delivery_result TEXT,"
    "  dkim_domain TEXT, dkim_identity TEXT, dkim_selector TEXT, spf_dns TEXT,"
    "  identity_alignment TEXT, reported_domains TEXT,"
    "  headers TEXT,"
    "  sha256 TEXT NOT NULL UNIQUE,"
    "  source TEXT,"
    "  duplicates INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX failure_reports_domain ON failure_reports(domain);";

/* Version 4: report_ptr says what its lookup found ('found': ptr holds
 * the name; 'none': NXDOMAIN or NODATA, no name), so a source without a
 * reverse name is not asked again either.  Temporary failures are never
 * stored. */
static const char schema_v4[] =
    "ALTER TABLE report_ptr ADD COLUMN result TEXT NOT NULL DEFAULT 'found'"
    "  CHECK (result IN ('found', 'none'));";

/* Version 5: API tokens of `inkan serve` (`inkan token`), by name, kept as
 * the SHA-256 (hex) of the token only: the token itself is shown once. */
static const char schema_v5[] =
    "CREATE TABLE api_tokens ("
    "  name TEXT PRIMARY KEY,"
    "  sha256 TEXT NOT NULL UNIQUE,"
    "  created INTEGER NOT NULL,"
    "  last_used INTEGER NOT NULL DEFAULT 0);";

/* Version 6: DKIM key rotations (`inkan dkim rotate`, inkan/rotate.h):
 * one row per rotation with its phase and times, its keys (the new and
 * the old side, in order) in dkim_rotation_keys.  Private keys are not
 * here: key_file names the file only the signer opens. */
static const char schema_v6[] =
    "CREATE TABLE dkim_rotations ("
    "  id INTEGER PRIMARY KEY,"
    "  domain TEXT NOT NULL,"
    "  phase TEXT NOT NULL CHECK (phase IN ('PUBLISH_NEW', 'ACTIVE', 'RETIRE', 'DONE')),"
    "  created_at INTEGER NOT NULL,"
    "  phase_since INTEGER NOT NULL,"
    "  active_at INTEGER NOT NULL DEFAULT 0,"
    "  overlap INTEGER NOT NULL,"
    "  last_check INTEGER NOT NULL DEFAULT 0,"
    "  next_check INTEGER NOT NULL DEFAULT 0,"
    "  ttl INTEGER NOT NULL,"
    "  detail TEXT);"
    "CREATE INDEX dkim_rotations_domain ON dkim_rotations(domain, id);"
    "CREATE TABLE dkim_rotation_keys ("
    "  rotation INTEGER NOT NULL REFERENCES dkim_rotations(id) ON DELETE CASCADE,"
    "  side TEXT NOT NULL CHECK (side IN ('new', 'old')),"
    "  idx INTEGER NOT NULL,"
    "  selector TEXT NOT NULL,"
    "  key_type TEXT,"
    "  record TEXT,"
    "  key_file TEXT,"
    "  PRIMARY KEY (rotation, side, idx));";

/* Version 7: inbound evaluations (inkan/evlog.h), one row per message a
 * receiver evaluated, unique by the key its maker chose (a replayed spool
 * adds nothing twice); evaluation_dkim holds each row's DKIM results.
 * Absent text is '' (the row struct's empty string). */
static const char schema_v7[] =
    "CREATE TABLE evaluations ("
    "  id INTEGER PRIMARY KEY,"
    "  key TEXT NOT NULL UNIQUE,"
    "  at INTEGER NOT NULL,"
    "  queue_id TEXT NOT NULL, message_id TEXT NOT NULL,"
    "  source_ip TEXT NOT NULL,"
    "  header_from TEXT NOT NULL, envelope_from TEXT NOT NULL, envelope_to TEXT NOT NULL,"
    "  spf_result TEXT NOT NULL, spf_domain TEXT NOT NULL, spf_scope TEXT NOT NULL,"
    "  dkim_unlisted INTEGER NOT NULL DEFAULT 0,"
    "  dmarc_result TEXT NOT NULL, dmarc_spf TEXT NOT NULL, dmarc_dkim TEXT NOT NULL,"
    "  disposition TEXT NOT NULL, override TEXT NOT NULL, override_comment TEXT NOT NULL,"
    "  policy_domain TEXT NOT NULL, p TEXT NOT NULL, sp TEXT NOT NULL, np TEXT NOT NULL,"
    "  t TEXT NOT NULL, adkim TEXT NOT NULL, aspf TEXT NOT NULL);"
    "CREATE INDEX evaluations_at ON evaluations(at);"
    "CREATE INDEX evaluations_header_from ON evaluations(header_from, at);"
    "CREATE TABLE evaluation_dkim ("
    "  evaluation INTEGER NOT NULL REFERENCES evaluations(id) ON DELETE CASCADE,"
    "  n INTEGER NOT NULL,"
    "  domain TEXT NOT NULL, selector TEXT NOT NULL, result TEXT NOT NULL,"
    "  PRIMARY KEY (evaluation, n));";

/* Version 8: the owner's marks on report sources (`inkan report mark`,
 * inkan/report_mark.h), one per (domain, network, prefix): the network's
 * address in canonical text, its prefix length, and what the owner says
 * the sources in it are. */
static const char schema_v8[] =
    "CREATE TABLE report_marks ("
    "  domain TEXT NOT NULL,"
    "  network TEXT NOT NULL,"
    "  prefix INTEGER NOT NULL CHECK (prefix BETWEEN 0 AND 128),"
    "  mark TEXT NOT NULL CHECK (mark IN ('ours', 'spoof')),"
    "  created_at INTEGER NOT NULL,"
    "  note TEXT,"
    "  PRIMARY KEY (domain, network, prefix));";

static const char *const migrations[STORE_SCHEMA_VERSION] = {schema_v1, schema_v2, schema_v3,
                                                              schema_v4, schema_v5, schema_v6,
                                                              schema_v7, schema_v8};

/* db_err - "what: sqlite's message" into err; returns -1 */
static int db_err(struct sqlite_store *s, struct ink_str *err, const char *what)
{
    ink_str_printf(err, "database: %s: %s", what, sqlite3_errmsg(s->db));
    return -1;
}

/* exec - run SQL without parameters (schema, pragmas, transaction control) */
static int exec(struct sqlite_store *s, const char *sql, struct ink_str *err)
{
    char *msg = NULL;

    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        ink_str_printf(err, "database: %s", msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* prepare - compile one statement or say why not */
static sqlite3_stmt *prepare(struct sqlite_store *s, const char *sql, struct ink_str *err)
{
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        db_err(s, err, "prepare");
        return NULL;
    }
    return st;
}

/* bind_text - bind a C string or NULL */
static int bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v == NULL)
        return sqlite3_bind_null(st, i);
    return sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

/* col_dup - a column's text as a fresh string, NULL for SQL NULL */
static char *col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);

    if (t == NULL)
        return NULL;
    return ink_memdup_cstr(t, (size_t)sqlite3_column_bytes(st, i));
}

/* col_state - a state column */
static enum ink_vstate col_state(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    int v = t ? ink_vstate_from_name((const char *)t) : -1;

    return v < 0 ? INK_VSTATE_NOT_STARTED : (enum ink_vstate)v;
}

/* type_name - the record type's name for the database */
static const char *type_name(uint16_t type)
{
    return ink_dns_type_name(type);
}

/* insert_records - (re)write every record row of d */
static int write_records(struct sqlite_store *s, const struct ink_vdomain *d, int insert,
                         struct ink_str *err)
{
    static const char ins[] =
        "INSERT INTO records (domain, idx, owner, type, match, expect, purpose, state,"
        " seen, detail, recursive, last_check, verified_at, changed_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
    static const char upd[] =
        "UPDATE records SET owner = ?3, type = ?4, match = ?5, expect = ?6, purpose = ?7,"
        " state = ?8, seen = ?9, detail = ?10, recursive = ?11, last_check = ?12,"
        " verified_at = ?13, changed_at = ?14 WHERE domain = ?1 AND idx = ?2";
    sqlite3_stmt *st = prepare(s, insert ? ins : upd, err);
    size_t i;

    if (st == NULL)
        return -1;
    for (i = 0; i < d->nrec; i++) {
        const struct ink_vrecord *r = &d->rec[i];
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        bind_text(st, 1, d->domain);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
        bind_text(st, 3, r->owner);
        bind_text(st, 4, type_name(r->type));
        bind_text(st, 5, ink_vmatch_name(r->match));
        bind_text(st, 6, r->expect);
        bind_text(st, 7, r->purpose);
        bind_text(st, 8, ink_vstate_name(r->state));
        bind_text(st, 9, r->seen);
        bind_text(st, 10, r->detail);
        bind_text(st, 11, r->recursive);
        sqlite3_bind_int64(st, 12, r->last_check);
        sqlite3_bind_int64(st, 13, r->verified_at);
        sqlite3_bind_int64(st, 14, r->changed_at);
        if (sqlite3_step(st) != SQLITE_DONE) {
            db_err(s, err, "write record");
            sqlite3_finalize(st);
            return -1;
        }
    }
    sqlite3_finalize(st);
    return 0;
}

/* delete_domain_rows - remove a domain, its records and its history */
static int delete_domain_rows(struct sqlite_store *s, const char *domain, int *found,
                              struct ink_str *err)
{
    static const char *const sql[] = {"DELETE FROM records WHERE domain = ?1",
                                      "DELETE FROM events WHERE domain = ?1",
                                      "DELETE FROM domains WHERE name = ?1"};
    size_t i;

    *found = 0;
    for (i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
        sqlite3_stmt *st = prepare(s, sql[i], err);
        if (st == NULL)
            return -1;
        bind_text(st, 1, domain);
        if (sqlite3_step(st) != SQLITE_DONE) {
            db_err(s, err, "delete");
            sqlite3_finalize(st);
            return -1;
        }
        if (i == 2)
            *found = sqlite3_changes(s->db) > 0;
        sqlite3_finalize(st);
    }
    return 0;
}

/* s_add - insert a new domain with its records in one transaction */
static int s_add(struct ink_store *base, struct ink_vdomain *d, int replace, struct ink_str *err)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    static const char ins[] =
        "INSERT INTO domains (name, profile, state, added_at, window_start, deadline,"
        " last_check, next_poll, state_since, verified_at, polls, rev)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 1)";
    sqlite3_stmt *st;
    int found, rc;

    if (exec(s, "BEGIN IMMEDIATE", err) < 0)
        return -1;
    if (replace && delete_domain_rows(s, d->domain, &found, err) < 0)
        goto fail;
    st = prepare(s, ins, err);
    if (st == NULL)
        goto fail;
    bind_text(st, 1, d->domain);
    bind_text(st, 2, d->profile);
    bind_text(st, 3, ink_vstate_name(d->state));
    sqlite3_bind_int64(st, 4, d->added_at);
    sqlite3_bind_int64(st, 5, d->window_start);
    sqlite3_bind_int64(st, 6, d->deadline);
    sqlite3_bind_int64(st, 7, d->last_check);
    sqlite3_bind_int64(st, 8, d->next_poll);
    sqlite3_bind_int64(st, 9, d->state_since);
    sqlite3_bind_int64(st, 10, d->verified_at);
    sqlite3_bind_int64(st, 11, d->polls);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_CONSTRAINT) {
        exec(s, "ROLLBACK", err);
        return INK_STORE_EXISTS;
    }
    if (rc != SQLITE_DONE) {
        db_err(s, err, "add domain");
        goto fail;
    }
    if (write_records(s, d, 1, err) < 0)
        goto fail;
    if (exec(s, "COMMIT", err) < 0)
        goto fail;
    d->rev = 1;
    return 0;
fail:
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

/* load_records - read a domain's record rows into d */
static int load_records(struct sqlite_store *s, struct ink_vdomain *d, struct ink_str *err)
{
    static const char sql[] =
        "SELECT owner, type, match, expect, purpose, state, seen, detail, recursive,"
        " last_check, verified_at, changed_at FROM records WHERE domain = ?1 ORDER BY idx";
    sqlite3_stmt *st = prepare(s, sql, err);
    int rc;

    if (st == NULL)
        return -1;
    bind_text(st, 1, d->domain);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *owner = (const char *)sqlite3_column_text(st, 0);
        const char *type = (const char *)sqlite3_column_text(st, 1);
        const char *match = (const char *)sqlite3_column_text(st, 2);
        const char *expect = (const char *)sqlite3_column_text(st, 3);
        const char *purpose = (const char *)sqlite3_column_text(st, 4);
        int m = match ? ink_vmatch_from_name(match) : -1;
        uint16_t t = type ? ink_dns_type_from_name(type, strlen(type)) : 0;
        struct ink_vrecord *r;

        if (owner == NULL || m < 0 || t == 0 ||
            ink_vdomain_add_record(d, owner, t, (enum ink_vmatch)m, expect, purpose) < 0) {
            ink_str_printf(err, "database: a record of %s is unreadable", d->domain);
            sqlite3_finalize(st);
            return -1;
        }
        r = &d->rec[d->nrec - 1];
        r->state = col_state(st, 5);
        r->seen = col_dup(st, 6);
        r->detail = col_dup(st, 7);
        r->recursive = col_dup(st, 8);
        r->last_check = sqlite3_column_int64(st, 9);
        r->verified_at = sqlite3_column_int64(st, 10);
        r->changed_at = sqlite3_column_int64(st, 11);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_err(s, err, "read records");
    return 0;
}

#define DOMAIN_COLUMNS                                                                   \
    "name, profile, state, added_at, window_start, deadline, last_check, next_poll,"    \
    " state_since, verified_at, polls, rev"

/* domain_from_row - build a domain from a DOMAIN_COLUMNS row and its records */
static struct ink_vdomain *domain_from_row(struct sqlite_store *s, sqlite3_stmt *st,
                                           struct ink_str *err)
{
    const char *name = (const char *)sqlite3_column_text(st, 0);
    const char *profile = (const char *)sqlite3_column_text(st, 1);
    struct ink_vdomain *d;

    if (name == NULL) {
        ink_str_puts(err, "database: a domain row has no name");
        return NULL;
    }
    d = ink_vdomain_new(name, profile, sqlite3_column_int64(st, 3));
    if (d == NULL) {
        ink_str_puts(err, "database: a domain row is unreadable");
        return NULL;
    }
    d->state = col_state(st, 2);
    d->window_start = sqlite3_column_int64(st, 4);
    d->deadline = sqlite3_column_int64(st, 5);
    d->last_check = sqlite3_column_int64(st, 6);
    d->next_poll = sqlite3_column_int64(st, 7);
    d->state_since = sqlite3_column_int64(st, 8);
    d->verified_at = sqlite3_column_int64(st, 9);
    d->polls = (unsigned)sqlite3_column_int64(st, 10);
    d->rev = sqlite3_column_int64(st, 11);
    if (load_records(s, d, err) < 0) {
        ink_vdomain_free(d);
        return NULL;
    }
    return d;
}

/* s_get - load one domain (a read transaction, so rows are consistent) */
static int s_get(struct ink_store *base, const char *domain, struct ink_vdomain **out,
                 struct ink_str *err)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    sqlite3_stmt *st;
    int rc, ret = INK_STORE_NOT_FOUND;

    *out = NULL;
    if (exec(s, "BEGIN", err) < 0)
        return -1;
    st = prepare(s, "SELECT " DOMAIN_COLUMNS " FROM domains WHERE name = ?1", err);
    if (st == NULL) {
        exec(s, "ROLLBACK", err);
        return -1;
    }
    bind_text(st, 1, domain);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = domain_from_row(s, st, err);
        ret = *out ? 0 : -1;
    } else if (rc != SQLITE_DONE)
        ret = db_err(s, err, "read domain");
    sqlite3_finalize(st);
    sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    return ret;
}

/* s_list - every domain by name */
static int s_list(struct ink_store *base, struct ink_vdomain ***out, size_t *n,
                  struct ink_str *err)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    sqlite3_stmt *st;
    int rc;
    size_t cap = 0;

    *out = NULL;
    *n = 0;
    if (exec(s, "BEGIN", err) < 0)
        return -1;
    st = prepare(s, "SELECT " DOMAIN_COLUMNS " FROM domains ORDER BY name", err);
    if (st == NULL) {
        exec(s, "ROLLBACK", err);
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct ink_vdomain *d;
        if (*n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            struct ink_vdomain **grown = realloc(*out, ncap * sizeof(**out));
            if (grown == NULL) {
                ink_str_puts(err, "out of memory");
                goto fail;
            }
            *out = grown;
            cap = ncap;
        }
        d = domain_from_row(s, st, err);
        if (d == NULL)
            goto fail;
        (*out)[(*n)++] = d;
    }
    if (rc != SQLITE_DONE) {
        db_err(s, err, "list domains");
        goto fail;
    }
    sqlite3_finalize(st);
    sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    return 0;
fail:
    sqlite3_finalize(st);
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    ink_store_domains_free(*out, *n);
    *out = NULL;
    *n = 0;
    return -1;
}

/* s_save - one check's result: domain row, record rows and history rows */
static int s_save(struct ink_store *base, struct ink_vdomain *d, const struct ink_vchange *ch,
                  size_t nch, struct ink_str *err)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    static const char upd[] =
        "UPDATE domains SET state = ?2, window_start = ?3, deadline = ?4, last_check = ?5,"
        " next_poll = ?6, state_since = ?7, verified_at = ?8, polls = ?9, rev = rev + 1"
        " WHERE name = ?1 AND rev = ?10";
    static const char ev[] =
        "INSERT INTO events (domain, at, record, owner, type, from_state, to_state, detail)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
    sqlite3_stmt *st;
    size_t i;
    int changed;

    if (exec(s, "BEGIN IMMEDIATE", err) < 0)
        return -1;
    st = prepare(s, upd, err);
    if (st == NULL)
        goto fail;
    bind_text(st, 1, d->domain);
    bind_text(st, 2, ink_vstate_name(d->state));
    sqlite3_bind_int64(st, 3, d->window_start);
    sqlite3_bind_int64(st, 4, d->deadline);
    sqlite3_bind_int64(st, 5, d->last_check);
    sqlite3_bind_int64(st, 6, d->next_poll);
    sqlite3_bind_int64(st, 7, d->state_since);
    sqlite3_bind_int64(st, 8, d->verified_at);
    sqlite3_bind_int64(st, 9, d->polls);
    sqlite3_bind_int64(st, 10, d->rev);
    if (sqlite3_step(st) != SQLITE_DONE) {
        db_err(s, err, "save domain");
        sqlite3_finalize(st);
        goto fail;
    }
    sqlite3_finalize(st);
    changed = sqlite3_changes(s->db);
    if (changed == 0) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        ink_str_printf(err, "%s was changed by another inkan process meanwhile", d->domain);
        return INK_STORE_CONFLICT;
    }
    if (write_records(s, d, 0, err) < 0)
        goto fail;
    st = prepare(s, ev, err);
    if (st == NULL)
        goto fail;
    for (i = 0; i < nch; i++) {
        const struct ink_vrecord *r = ch[i].record >= 0 && (size_t)ch[i].record < d->nrec
                                          ? &d->rec[ch[i].record] : NULL;
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        bind_text(st, 1, d->domain);
        sqlite3_bind_int64(st, 2, ch[i].at);
        sqlite3_bind_int64(st, 3, r ? ch[i].record : -1);
        bind_text(st, 4, r ? r->owner : NULL);
        bind_text(st, 5, r ? type_name(r->type) : NULL);
        bind_text(st, 6, ink_vstate_name(ch[i].from));
        bind_text(st, 7, ink_vstate_name(ch[i].to));
        bind_text(st, 8, r ? r->detail : NULL);
        if (sqlite3_step(st) != SQLITE_DONE) {
            db_err(s, err, "save history");
            sqlite3_finalize(st);
            goto fail;
        }
    }
    sqlite3_finalize(st);
    if (exec(s, "COMMIT", err) < 0)
        goto fail;
    d->rev++;
    return 0;
fail:
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

/* s_remove - forget a domain */
static int s_remove(struct ink_store *base, const char *domain, struct ink_str *err)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    int found;

    if (exec(s, "BEGIN IMMEDIATE", err) < 0)
        return -1;
    if (delete_domain_rows(s, domain, &found, err) < 0 || exec(s, "COMMIT", err) < 0) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return found ? 0 : INK_STORE_NOT_FOUND;
}

/* s_due - domains to poll now, and the next poll time after now */
static int s_due(struct ink_store *base, int64_t now, char ***names, size_t *n, int64_t *next,
                 struct ink_str *err)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    sqlite3_stmt *st;
    size_t cap = 0;
    int rc;

    *names = NULL;
    *n = 0;
    *next = 0;
    st = prepare(s, "SELECT name FROM domains WHERE next_poll > 0 AND next_poll <= ?1"
                    " AND state <> 'FAILURE' ORDER BY next_poll, name", err);
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, now);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char *name = col_dup(st, 0);
        if (*n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            char **grown = realloc(*names, ncap * sizeof(**names));
            if (grown == NULL) {
                free(name);
                name = NULL;
            } else {
                *names = grown;
                cap = ncap;
            }
        }
        if (name == NULL) {
            ink_str_puts(err, "out of memory");
            sqlite3_finalize(st);
            ink_store_names_free(*names, *n);
            *names = NULL;
            *n = 0;
            return -1;
        }
        (*names)[(*n)++] = name;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        ink_store_names_free(*names, *n);
        *names = NULL;
        *n = 0;
        return db_err(s, err, "due domains");
    }
    st = prepare(s, "SELECT MIN(next_poll) FROM domains WHERE next_poll > ?1"
                    " AND state <> 'FAILURE'", err);
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, now);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        *next = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return 0;
}

/* s_history - the latest changes of a domain, oldest first */
static int s_history(struct ink_store *base, const char *domain, size_t limit,
                     struct ink_store_event **out, size_t *n, struct ink_str *err)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    sqlite3_stmt *st;
    int rc;

    *out = NULL;
    *n = 0;
    if (limit > INK_STORE_HISTORY_MAX)
        limit = INK_STORE_HISTORY_MAX;
    if (limit == 0)
        return 0;
    st = prepare(s, "SELECT at, record, owner, type, from_state, to_state, detail FROM"
                    " (SELECT * FROM events WHERE domain = ?1 ORDER BY id DESC LIMIT ?2)"
                    " ORDER BY id", err);
    if (st == NULL)
        return -1;
    bind_text(st, 1, domain);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
    *out = calloc(limit, sizeof(**out));
    if (*out == NULL) {
        sqlite3_finalize(st);
        ink_str_puts(err, "out of memory");
        return -1;
    }
    while (*n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct ink_store_event *e = &(*out)[(*n)++];
        e->at = sqlite3_column_int64(st, 0);
        e->record = (long)sqlite3_column_int64(st, 1);
        e->owner = col_dup(st, 2);
        e->type = col_dup(st, 3);
        e->from = col_state(st, 4);
        e->to = col_state(st, 5);
        e->detail = col_dup(st, 6);
    }
    sqlite3_finalize(st);
    return 0;
}

/* s_free - close the database */
/* ---- DMARC reports ---- */

/* report_finalize - drop the statements of the report import */
static void report_finalize(struct sqlite_store *s)
{
    sqlite3_finalize(s->st_row);
    sqlite3_finalize(s->st_auth);
    sqlite3_finalize(s->st_reason);
    s->st_row = s->st_auth = s->st_reason = NULL;
}

/* s_report_abort - roll the open report back */
static void s_report_abort(struct ink_store *base)
{
    struct sqlite_store *s = (struct sqlite_store *)base;

    if (!s->in_report)
        return;
    report_finalize(s);
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    s->in_report = 0;
}

/* count_duplicate - one more duplicate of the report matched by the
 * statement (a transaction of its own, after the rollback) */
static int count_duplicate(struct sqlite_store *s, const char *sql, const char *a, const char *b,
                           struct ink_str *err)
{
    sqlite3_stmt *st = prepare(s, sql, err);
    int rc;

    if (st == NULL)
        return -1;
    bind_text(st, 1, a);
    if (b != NULL)
        bind_text(st, 2, b);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_err(s, err, "count a duplicate report");
}

/* s_report_begin - open the report's transaction and write its row */
static int s_report_begin(struct ink_store *base, const struct ink_report_meta *m,
                          const char *source, struct ink_str *err)
{
    static const char ins[] =
        "INSERT INTO reports (org_name, report_id, email, format, domain, begin_at, end_at,"
        " adkim, aspf, p, sp, np, pct, testing, source)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";
    struct sqlite_store *s = (struct sqlite_store *)base;
    sqlite3_stmt *st;
    char adkim[2] = {m->adkim, 0}, aspf[2] = {m->aspf, 0};
    int rc;

    if (s->in_report)
        s_report_abort(base);
    if (exec(s, "BEGIN IMMEDIATE", err) < 0)
        return -1;
    s->in_report = 1;
    s->nrows = s->messages = 0;
    st = prepare(s, ins, err);
    if (st == NULL)
        goto fail;
    bind_text(st, 1, m->org_name);
    bind_text(st, 2, m->report_id);
    bind_text(st, 3, m->email);
    bind_text(st, 4, ink_report_format_name(m->format));
    bind_text(st, 5, m->domain);
    sqlite3_bind_int64(st, 6, m->begin);
    sqlite3_bind_int64(st, 7, m->end);
    bind_text(st, 8, adkim);
    bind_text(st, 9, aspf);
    bind_text(st, 10, m->p);
    bind_text(st, 11, m->sp);
    bind_text(st, 12, m->np);
    if (m->pct >= 0)
        sqlite3_bind_int(st, 13, m->pct);
    else
        sqlite3_bind_null(st, 13);
    bind_text(st, 14, m->testing);
    bind_text(st, 15, source);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_CONSTRAINT) {
        s_report_abort(base);
        if (count_duplicate(s,
                            "UPDATE reports SET duplicates = duplicates + 1"
                            " WHERE org_name = ?1 AND report_id = ?2",
                            m->org_name, m->report_id, err) < 0)
            return -1;
        return INK_STORE_EXISTS;
    }
    if (rc != SQLITE_DONE) {
        db_err(s, err, "store the report");
        goto fail;
    }
    s->report = sqlite3_last_insert_rowid(s->db);
    s->st_row = prepare(s,
                        "INSERT INTO report_rows (report, idx, source_ip, count, disposition, dkim,"
                        " spf, header_from, envelope_from, envelope_to, authenticated)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                        err);
    s->st_auth = s->st_row ? prepare(s,
                                     "INSERT INTO report_auth (report, idx, kind, n, domain,"
                                     " selector, scope, result, human_result)"
                                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                                     err)
                           : NULL;
    s->st_reason = s->st_auth ? prepare(s,
                                        "INSERT INTO report_reasons (report, idx, n, type, comment)"
                                        " VALUES (?1, ?2, ?3, ?4, ?5)",
                                        err)
                              : NULL;
    if (s->st_reason == NULL)
        goto fail;
    return 0;
fail:
    s_report_abort(base);
    return -1;
}

/* step_reset - run a prepared insert once and make it ready again */
static int step_reset(struct sqlite_store *s, sqlite3_stmt *st, struct ink_str *err)
{
    int rc = sqlite3_step(st);

    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? 0 : db_err(s, err, "store a report record");
}

/* s_report_record - one record, its auth results and reasons */
static int s_report_record(struct ink_store *base, const struct ink_report_record *r,
                           struct ink_str *err)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    sqlite3_int64 idx;
    int authenticated = 0;
    size_t i;

    if (!s->in_report) {
        ink_str_puts(err, "database: no report open");
        return -1;
    }
    if (r->count > (uint64_t)INT64_MAX - (uint64_t)s->messages) {
        ink_str_puts(err, "report: message count overflows");
        return -1;
    }
    idx = s->nrows++;
    s->messages += (sqlite3_int64)r->count;
    for (i = 0; i < r->ndkim; i++)
        if (r->dkim_auth[i].result && strcmp(r->dkim_auth[i].result, "pass") == 0)
            authenticated = 1;
    for (i = 0; i < r->nspf; i++)
        if (r->spf_auth[i].result && strcmp(r->spf_auth[i].result, "pass") == 0)
            authenticated = 1;
    sqlite3_bind_int64(s->st_row, 1, s->report);
    sqlite3_bind_int64(s->st_row, 2, idx);
    bind_text(s->st_row, 3, r->source_ip);
    sqlite3_bind_int64(s->st_row, 4, (sqlite3_int64)r->count);
    bind_text(s->st_row, 5, r->disposition);
    bind_text(s->st_row, 6, r->dkim);
    bind_text(s->st_row, 7, r->spf);
    bind_text(s->st_row, 8, r->header_from);
    bind_text(s->st_row, 9, r->envelope_from);
    bind_text(s->st_row, 10, r->envelope_to);
    sqlite3_bind_int(s->st_row, 11, authenticated);
    if (step_reset(s, s->st_row, err) < 0)
        return -1;
    for (i = 0; i < r->ndkim + r->nspf; i++) {
        int dk = i < r->ndkim;
        const struct ink_report_dkim_auth *d = dk ? &r->dkim_auth[i] : NULL;
        const struct ink_report_spf_auth *f = dk ? NULL : &r->spf_auth[i - r->ndkim];
        sqlite3_bind_int64(s->st_auth, 1, s->report);
        sqlite3_bind_int64(s->st_auth, 2, idx);
        bind_text(s->st_auth, 3, dk ? "dkim" : "spf");
        sqlite3_bind_int64(s->st_auth, 4, (sqlite3_int64)(dk ? i : i - r->ndkim));
        bind_text(s->st_auth, 5, dk ? d->domain : f->domain);
        bind_text(s->st_auth, 6, dk ? d->selector : NULL);
        bind_text(s->st_auth, 7, dk ? NULL : f->scope);
        bind_text(s->st_auth, 8, dk ? d->result : f->result);
        bind_text(s->st_auth, 9, dk ? d->human_result : f->human_result);
        if (step_reset(s, s->st_auth, err) < 0)
            return -1;
    }
    for (i = 0; i < r->nreason; i++) {
        sqlite3_bind_int64(s->st_reason, 1, s->report);
        sqlite3_bind_int64(s->st_reason, 2, idx);
        sqlite3_bind_int64(s->st_reason, 3, (sqlite3_int64)i);
        bind_text(s->st_reason, 4, r->reason[i].type);
        bind_text(s->st_reason, 5, r->reason[i].comment);
        if (step_reset(s, s->st_reason, err) < 0)
            return -1;
    }
    return 0;
}

/* s_report_commit - same bytes stored already?  else commit */
static int s_report_commit(struct ink_store *base, const char *sha256_hex, uint64_t bytes,
                           const char *notes, struct ink_str *err)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    sqlite3_stmt *st;
    int rc;

    if (!s->in_report) {
        ink_str_puts(err, "database: no report open");
        return -1;
    }
    st = prepare(s,
                 "UPDATE reports SET sha256 = ?2, bytes = ?3, notes = ?4, records = ?5,"
                 " messages = ?6 WHERE id = ?1",
                 err);
    if (st == NULL) {
        s_report_abort(base);
        return -1;
    }
    sqlite3_bind_int64(st, 1, s->report);
    bind_text(st, 2, sha256_hex);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)bytes);
    bind_text(st, 4, notes);
    sqlite3_bind_int64(st, 5, s->nrows);
    sqlite3_bind_int64(st, 6, s->messages);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_CONSTRAINT) { /* the sha256 is there: the same bytes */
        s_report_abort(base);
        if (count_duplicate(s, "UPDATE reports SET duplicates = duplicates + 1 WHERE sha256 = ?1",
                            sha256_hex, NULL, err) < 0)
            return -1;
        return INK_STORE_EXISTS;
    }
    if (rc != SQLITE_DONE) {
        db_err(s, err, "store the report");
        s_report_abort(base);
        return -1;
    }
    report_finalize(s);
    if (exec(s, "COMMIT", err) < 0) {
        s_report_abort(base);
        return -1;
    }
    s->in_report = 0;
    return 0;
}

/* s_report_failure_add - one failure report, unless its bytes are stored */
static int s_report_failure_add(struct ink_store *base, const struct ink_arf *a,
                                const char *headers, const char *sha256_hex, const char *source,
                                struct ink_str *err)
{
    static const char ins[] =
        "INSERT INTO failure_reports (domain, feedback_type, user_agent, version, auth_failure,"
        " source_ip, arrival_date, reporting_mta, original_mail_from, original_rcpt_to,"
        " original_envelope_id, authentication_results, delivery_result, dkim_domain,"
        " dkim_identity, dkim_selector, spf_dns, identity_alignment, reported_domains, headers,"
        " sha256, source) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
        " ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)";
    struct sqlite_store *s = (struct sqlite_store *)base;
    struct ink_str doms = INK_STR_INIT;
    sqlite3_stmt *st;
    size_t i;
    int rc;

    if (s->in_report)
        s_report_abort(base);
    for (i = 0; i < a->nreported_domain; i++)
        ink_str_printf(&doms, "%s%s", i ? " " : "", a->reported_domain[i]);
    st = prepare(s, ins, err);
    if (st == NULL) {
        ink_str_free(&doms);
        return -1;
    }
    bind_text(st, 1, a->nreported_domain ? a->reported_domain[0] : a->dkim_domain);
    bind_text(st, 2, a->feedback_type);
    bind_text(st, 3, a->user_agent);
    bind_text(st, 4, a->version);
    bind_text(st, 5, a->auth_failure);
    bind_text(st, 6, a->source_ip);
    bind_text(st, 7, a->arrival_date);
    bind_text(st, 8, a->reporting_mta);
    bind_text(st, 9, a->original_mail_from);
    bind_text(st, 10, a->original_rcpt_to);
    bind_text(st, 11, a->original_envelope_id);
    bind_text(st, 12, a->authentication_results);
    bind_text(st, 13, a->delivery_result);
    bind_text(st, 14, a->dkim_domain);
    bind_text(st, 15, a->dkim_identity);
    bind_text(st, 16, a->dkim_selector);
    bind_text(st, 17, a->spf_dns);
    bind_text(st, 18, a->identity_alignment);
    bind_text(st, 19, doms.len ? doms.buf : NULL);
    bind_text(st, 20, headers);
    bind_text(st, 21, sha256_hex);
    bind_text(st, 22, source);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    ink_str_free(&doms);
    if (rc == SQLITE_CONSTRAINT) {
        if (count_duplicate(s,
                            "UPDATE failure_reports SET duplicates = duplicates + 1"
                            " WHERE sha256 = ?1",
                            sha256_hex, NULL, err) < 0)
            return -1;
        return INK_STORE_EXISTS;
    }
    return rc == SQLITE_DONE ? 0 : db_err(s, err, "store the failure report");
}

/* source_all_auth_domains - for every source, the domains its SPF and
 * DKIM results passed for in any row (platform recognition).  The span's
 * "+rep.begin_at" keeps SQLite from the (domain, begin_at) index here: by
 * source address it is thousands of times fewer rows. */
static int source_all_auth_domains(struct sqlite_store *s, struct ink_report_summary *sum,
                                   int64_t since, int64_t until, struct ink_str *err)
{
    static const char sql[] =
        "SELECT group_concat(d, ' ') FROM (SELECT DISTINCT a.domain AS d"
        " FROM report_auth a JOIN report_rows r ON r.report = a.report AND r.idx = a.idx"
        " JOIN reports rep ON rep.id = r.report"
        " WHERE rep.domain = ?1 AND r.source_ip = ?2 AND a.kind = ?3 AND a.result = 'pass'"
        "  AND a.domain IS NOT NULL AND +rep.begin_at BETWEEN ?4 AND ?5 ORDER BY d)";
    sqlite3_stmt *st = prepare(s, sql, err);
    size_t i;
    int k;

    if (st == NULL)
        return -1;
    for (i = 0; i < sum->nsources; i++) {
        struct ink_report_source *src = &sum->sources[i];
        for (k = 0; k < 2; k++) {
            sqlite3_reset(st);
            bind_text(st, 1, sum->domain);
            bind_text(st, 2, src->ip);
            bind_text(st, 3, k ? "dkim" : "spf");
            sqlite3_bind_int64(st, 4, since);
            sqlite3_bind_int64(st, 5, until);
            if (sqlite3_step(st) != SQLITE_ROW) {
                sqlite3_finalize(st);
                return db_err(s, err, "read source results");
            }
            if (k)
                src->dkim_auth_domains = col_dup(st, 0);
            else
                src->spf_auth_domains = col_dup(st, 0);
        }
    }
    sqlite3_finalize(st);
    return 0;
}

/* source_auth_domains - for each source not aligned, the domains its SPF
 * and DKIM results passed for in the rows that failed DMARC */
static int source_auth_domains(struct sqlite_store *s, struct ink_report_summary *sum,
                               int64_t since, int64_t until, struct ink_str *err)
{
    static const char sql[] =
        "SELECT group_concat(d, ' ') FROM (SELECT DISTINCT"
        "  CASE WHEN a.kind = 'dkim' AND a.selector IS NOT NULL"
        "   THEN a.domain || '/' || a.selector ELSE a.domain END AS d"
        " FROM report_auth a JOIN report_rows r ON r.report = a.report AND r.idx = a.idx"
        " JOIN reports rep ON rep.id = r.report"
        " WHERE rep.domain = ?1 AND r.source_ip = ?2 AND a.kind = ?3 AND a.result = 'pass'"
        "  AND a.domain IS NOT NULL AND +rep.begin_at BETWEEN ?4 AND ?5"
        "  AND NOT (IFNULL(r.dkim = 'pass', 0) OR IFNULL(r.spf = 'pass', 0)) ORDER BY d)";
    sqlite3_stmt *st = prepare(s, sql, err);
    size_t i;
    int k;

    if (st == NULL)
        return -1;
    for (i = 0; i < sum->nsources; i++) {
        struct ink_report_source *src = &sum->sources[i];
        if (src->dmarc_pass >= src->messages)
            continue;
        for (k = 0; k < 2; k++) {
            sqlite3_reset(st);
            bind_text(st, 1, sum->domain);
            bind_text(st, 2, src->ip);
            bind_text(st, 3, k ? "dkim" : "spf");
            sqlite3_bind_int64(st, 4, since);
            sqlite3_bind_int64(st, 5, until);
            if (sqlite3_step(st) != SQLITE_ROW) {
                sqlite3_finalize(st);
                return db_err(s, err, "read source results");
            }
            if (k)
                src->dkim_pass_domains = col_dup(st, 0);
            else
                src->spf_pass_domains = col_dup(st, 0);
        }
    }
    sqlite3_finalize(st);
    return source_all_auth_domains(s, sum, since, until, err);
}

/* summary_sources - the sources of one domain, most messages first */
static int summary_sources(struct sqlite_store *s, struct ink_report_summary *sum,
                           int64_t since, int64_t until, struct ink_str *err)
{
    static const char sql[] =
        "SELECT r.source_ip, SUM(r.count),"
        " SUM(CASE WHEN r.dkim = 'pass' OR r.spf = 'pass' THEN r.count ELSE 0 END),"
        " SUM(CASE WHEN r.spf = 'pass' THEN r.count ELSE 0 END),"
        " SUM(CASE WHEN r.dkim = 'pass' THEN r.count ELSE 0 END),"
        " SUM(CASE WHEN NOT (IFNULL(r.dkim = 'pass', 0) OR IFNULL(r.spf = 'pass', 0))"
        "  AND r.authenticated THEN r.count ELSE 0 END),"
        " (SELECT ptr FROM report_ptr WHERE ip = r.source_ip),"
        " (SELECT looked_up_at FROM report_ptr WHERE ip = r.source_ip)"
        " FROM report_rows r JOIN reports rep ON rep.id = r.report"
        " WHERE rep.domain = ?1 AND +rep.begin_at BETWEEN ?3 AND ?4"
        " GROUP BY r.source_ip ORDER BY 2 DESC, 1 LIMIT ?2";
    sqlite3_stmt *st = prepare(s, sql, err);
    size_t cap = 0;
    int rc;

    if (st == NULL)
        return -1;
    bind_text(st, 1, sum->domain);
    sqlite3_bind_int(st, 2, INK_STORE_SOURCES_MAX);
    sqlite3_bind_int64(st, 3, since);
    sqlite3_bind_int64(st, 4, until);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct ink_report_source *src;
        if (sum->nsources == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            void *p = reallocarray(sum->sources, ncap, sizeof(*sum->sources));
            if (p == NULL) {
                sqlite3_finalize(st);
                ink_str_puts(err, "out of memory");
                return -1;
            }
            sum->sources = p;
            cap = ncap;
        }
        src = &sum->sources[sum->nsources++];
        memset(src, 0, sizeof(*src));
        src->ip = col_dup(st, 0);
        src->messages = (uint64_t)sqlite3_column_int64(st, 1);
        src->dmarc_pass = (uint64_t)sqlite3_column_int64(st, 2);
        src->spf_aligned_pass = (uint64_t)sqlite3_column_int64(st, 3);
        src->dkim_aligned_pass = (uint64_t)sqlite3_column_int64(st, 4);
        src->fail_authenticated = (uint64_t)sqlite3_column_int64(st, 5);
        src->ptr = col_dup(st, 6);
        src->ptr_looked_up_at = sqlite3_column_int64(st, 7);
        src->class = ink_report_source_class(src->messages, src->dmarc_pass,
                                             src->spf_aligned_pass, src->dkim_aligned_pass,
                                             src->fail_authenticated);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_err(s, err, "read report sources");
    return source_auth_domains(s, sum, since, until, err);
}

/* s_report_summary_span - totals per policy domain over the reports that
 * begin in [since, until], then its sources */
static int s_report_summary_span(struct ink_store *base, const char *domain, int64_t since,
                                 int64_t until, struct ink_report_summary **out, size_t *n,
                                 struct ink_str *err)
{
    static const char sql[] =
        "SELECT rep.domain, COUNT(*), SUM(rep.duplicates), MIN(rep.begin_at), MAX(rep.end_at),"
        " (SELECT IFNULL(SUM(r.count), 0) FROM report_rows r JOIN reports x ON x.id = r.report"
        "   WHERE x.domain = rep.domain AND x.begin_at BETWEEN ?2 AND ?3),"
        " (SELECT IFNULL(SUM(r.count), 0) FROM report_rows r JOIN reports x ON x.id = r.report"
        "   WHERE x.domain = rep.domain AND x.begin_at BETWEEN ?2 AND ?3 AND (r.dkim = 'pass' OR r.spf = 'pass')),"
        " (SELECT IFNULL(SUM(r.count), 0) FROM report_rows r JOIN reports x ON x.id = r.report"
        "   WHERE x.domain = rep.domain AND x.begin_at BETWEEN ?2 AND ?3 AND r.spf = 'pass'),"
        " (SELECT IFNULL(SUM(r.count), 0) FROM report_rows r JOIN reports x ON x.id = r.report"
        "   WHERE x.domain = rep.domain AND x.begin_at BETWEEN ?2 AND ?3 AND r.dkim = 'pass'),"
        " (SELECT COUNT(*) FROM failure_reports f WHERE f.domain = rep.domain),"
        " (SELECT p FROM reports x WHERE x.domain = rep.domain AND x.begin_at BETWEEN ?2 AND ?3"
        "   ORDER BY end_at DESC, id DESC LIMIT 1),"
        " (SELECT testing FROM reports x WHERE x.domain = rep.domain"
        "   AND x.begin_at BETWEEN ?2 AND ?3 ORDER BY end_at DESC, id DESC LIMIT 1)"
        " FROM reports rep WHERE (?1 IS NULL OR rep.domain = ?1)"
        " AND rep.begin_at BETWEEN ?2 AND ?3"
        " GROUP BY rep.domain ORDER BY rep.domain";
    struct sqlite_store *s = (struct sqlite_store *)base;
    sqlite3_stmt *st = prepare(s, sql, err);
    struct ink_report_summary *sum = NULL;
    size_t cap = 0, cnt = 0, i;
    int rc;

    *out = NULL;
    *n = 0;
    if (st == NULL)
        return -1;
    bind_text(st, 1, domain);
    sqlite3_bind_int64(st, 2, since);
    sqlite3_bind_int64(st, 3, until);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct ink_report_summary *d;
        if (cnt == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            void *p = reallocarray(sum, ncap, sizeof(*sum));
            if (p == NULL) {
                rc = SQLITE_NOMEM;
                break;
            }
            sum = p;
            cap = ncap;
        }
        d = &sum[cnt++];
        memset(d, 0, sizeof(*d));
        d->domain = col_dup(st, 0);
        d->reports = (uint64_t)sqlite3_column_int64(st, 1);
        d->duplicates = (uint64_t)sqlite3_column_int64(st, 2);
        d->begin = sqlite3_column_int64(st, 3);
        d->end = sqlite3_column_int64(st, 4);
        d->messages = (uint64_t)sqlite3_column_int64(st, 5);
        d->dmarc_pass = (uint64_t)sqlite3_column_int64(st, 6);
        d->dmarc_fail = d->messages - d->dmarc_pass;
        d->spf_aligned_pass = (uint64_t)sqlite3_column_int64(st, 7);
        d->dkim_aligned_pass = (uint64_t)sqlite3_column_int64(st, 8);
        d->failure_reports = (uint64_t)sqlite3_column_int64(st, 9);
        d->p = col_dup(st, 10);
        d->testing = col_dup(st, 11);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        if (rc == SQLITE_NOMEM)
            ink_str_puts(err, "out of memory");
        else
            db_err(s, err, "read report summary");
        ink_report_summaries_free(sum, cnt);
        return -1;
    }
    for (i = 0; i < cnt; i++)
        if (summary_sources(s, &sum[i], since, until, err) < 0) {
            ink_report_summaries_free(sum, cnt);
            return -1;
        }
    *out = sum;
    *n = cnt;
    return 0;
}

/* s_report_summary - every stored report */
static int s_report_summary(struct ink_store *base, const char *domain,
                            struct ink_report_summary **out, size_t *n, struct ink_str *err)
{
    return s_report_summary_span(base, domain, INT64_MIN, INT64_MAX, out, n, err);
}

/* s_report_timeline - messages and DMARC results per UTC day of the
 * reports' begin, over the reports that begin in [since, until] */
static int s_report_timeline(struct ink_store *base, const char *domain, int64_t since,
                             int64_t until, struct ink_report_day **out, size_t *n,
                             struct ink_str *err)
{
    /* the day of a time before 1970 rounds down too */
    static const char sql[] =
        "SELECT d, COUNT(DISTINCT id), SUM(cnt), SUM(pass) FROM ("
        " SELECT (rep.begin_at - ((rep.begin_at % 86400) + 86400) % 86400) AS d, rep.id AS id,"
        "  IFNULL(r.count, 0) AS cnt,"
        "  CASE WHEN r.dkim = 'pass' OR r.spf = 'pass' THEN r.count ELSE 0 END AS pass"
        " FROM reports rep LEFT JOIN report_rows r ON r.report = rep.id"
        " WHERE (?1 IS NULL OR rep.domain = ?1) AND rep.begin_at BETWEEN ?2 AND ?3)"
        " GROUP BY d ORDER BY d";
    struct sqlite_store *s = (struct sqlite_store *)base;
    sqlite3_stmt *st = prepare(s, sql, err);
    struct ink_report_day *v = NULL;
    size_t cap = 0, cnt = 0;
    int rc;

    *out = NULL;
    *n = 0;
    if (st == NULL)
        return -1;
    bind_text(st, 1, domain);
    sqlite3_bind_int64(st, 2, since);
    sqlite3_bind_int64(st, 3, until);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct ink_report_day *d;
        if (cnt == cap) {
            size_t ncap = cap ? cap * 2 : 32;
            void *p = reallocarray(v, ncap, sizeof(*v));
            if (p == NULL) {
                rc = SQLITE_NOMEM;
                break;
            }
            v = p;
            cap = ncap;
        }
        d = &v[cnt++];
        d->day = sqlite3_column_int64(st, 0);
        d->reports = (uint64_t)sqlite3_column_int64(st, 1);
        d->messages = (uint64_t)sqlite3_column_int64(st, 2);
        d->dmarc_pass = (uint64_t)sqlite3_column_int64(st, 3);
        d->dmarc_fail = d->messages - d->dmarc_pass;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        free(v);
        if (rc == SQLITE_NOMEM)
            ink_str_puts(err, "out of memory");
        else
            db_err(s, err, "read the report timeline");
        return -1;
    }
    *out = v;
    *n = cnt;
    return 0;
}

/* s_report_ptr_put - cache n reverse-lookup outcomes, one transaction */
static int s_report_ptr_put(struct ink_store *base, const struct ink_store_ptr *v, size_t n,
                            struct ink_str *err)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    static const char sql[] =
        "INSERT INTO report_ptr (ip, ptr, looked_up_at, result) VALUES (?1, ?2, ?3, ?4)"
        " ON CONFLICT (ip) DO UPDATE SET ptr = excluded.ptr,"
        " looked_up_at = excluded.looked_up_at, result = excluded.result";
    sqlite3_stmt *st;
    size_t i;

    if (n == 0)
        return 0;
    if (exec(s, "BEGIN IMMEDIATE", err) < 0)
        return -1;
    st = prepare(s, sql, err);
    if (st == NULL) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    for (i = 0; i < n; i++) {
        sqlite3_reset(st);
        bind_text(st, 1, v[i].ip);
        bind_text(st, 2, v[i].ptr);
        sqlite3_bind_int64(st, 3, v[i].at);
        bind_text(st, 4, v[i].ptr != NULL ? "found" : "none");
        if (sqlite3_step(st) != SQLITE_DONE) {
            db_err(s, err, "cache a reverse name");
            sqlite3_finalize(st);
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return -1;
        }
    }
    sqlite3_finalize(st);
    if (exec(s, "COMMIT", err) < 0) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

/* col_char - the first byte of a text column ('r' when NULL or empty) */
static char col_char(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);

    return t != NULL && t[0] != '\0' ? (char)t[0] : 'r';
}

/* rows_auth - attach the auth results to rows[0..n), which are in
 * (report, idx) order, as keys[] says; one pass over a query in the same
 * order */
static int rows_auth(struct sqlite_store *s, const char *domain, int64_t since, int64_t until,
                     struct ink_report_row *rows, const sqlite3_int64 (*keys)[2], size_t n,
                     struct ink_str *err)
{
    static const char sql[] =
        "SELECT a.report, a.idx, a.kind, a.domain, a.selector, a.scope, a.result"
        " FROM report_auth a JOIN reports rep ON rep.id = a.report"
        " WHERE rep.domain = ?1 AND rep.end_at >= ?2 AND rep.begin_at < ?3"
        " ORDER BY rep.begin_at, rep.id, a.idx, a.kind DESC, a.n";
    sqlite3_stmt *st = prepare(s, sql, err);
    size_t i = 0;
    int rc;

    if (st == NULL)
        return -1;
    bind_text(st, 1, domain);
    sqlite3_bind_int64(st, 2, since);
    sqlite3_bind_int64(st, 3, until);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        sqlite3_int64 rep = sqlite3_column_int64(st, 0), idx = sqlite3_column_int64(st, 1);
        struct ink_report_row *r;
        struct ink_report_row_auth *a;
        const unsigned char *kind = sqlite3_column_text(st, 2);
        /* rows come in the same order: walk up to this one */
        while (i < n && (keys[i][0] != rep || keys[i][1] < idx))
            i++;
        if (i == n)
            break;
        if (keys[i][1] != idx)
            continue;
        r = &rows[i];
        if (r->nauth >= INK_SIM_AUTH_MAX)
            continue;
        if (r->auth == NULL && (r->auth = calloc(INK_SIM_AUTH_MAX, sizeof(*r->auth))) == NULL) {
            rc = SQLITE_NOMEM;
            break;
        }
        a = &r->auth[r->nauth++];
        a->kind = kind != NULL && strcmp((const char *)kind, "dkim") == 0 ? 'd' : 's';
        a->domain = col_dup(st, 3);
        a->selector = col_dup(st, 4);
        a->scope = col_dup(st, 5);
        a->result = col_dup(st, 6);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_NOMEM) {
        ink_str_puts(err, "out of memory");
        return -1;
    }
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return db_err(s, err, "read report auth results");
    return 0;
}

/* s_report_rows - the rows of a domain's reports overlapping the period */
static int s_report_rows(struct ink_store *base, const char *domain, int64_t since,
                         int64_t until, struct ink_report_row **out, size_t *n,
                         struct ink_str *err)
{
    static const char sql[] =
        "SELECT rep.id, r.idx, rep.begin_at, rep.end_at, rep.org_name, rep.adkim, rep.aspf,"
        " rep.p, rep.sp, rep.np, rep.pct, rep.testing, r.source_ip, r.count, r.disposition,"
        " r.dkim, r.spf, r.header_from, r.envelope_from"
        " FROM report_rows r JOIN reports rep ON rep.id = r.report"
        " WHERE rep.domain = ?1 AND rep.end_at >= ?2 AND rep.begin_at < ?3"
        " ORDER BY rep.begin_at, rep.id, r.idx LIMIT ?4";
    struct sqlite_store *s = (struct sqlite_store *)base;
    sqlite3_stmt *st = prepare(s, sql, err);
    struct ink_report_row *rows = NULL;
    sqlite3_int64 (*keys)[2] = NULL;
    size_t cnt = 0, cap = 0;
    int rc;

    *out = NULL;
    *n = 0;
    if (st == NULL)
        return -1;
    bind_text(st, 1, domain);
    sqlite3_bind_int64(st, 2, since);
    sqlite3_bind_int64(st, 3, until);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)INK_SIM_ROWS_MAX + 1);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct ink_report_row *r;
        if (cnt == INK_SIM_ROWS_MAX) {
            sqlite3_finalize(st);
            ink_report_rows_free(rows, cnt);
            free(keys);
            ink_str_printf(err, "more than %d report rows for %s in the period: narrow it "
                           "(--since, --until)", INK_SIM_ROWS_MAX, domain);
            return -1;
        }
        if (cnt == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            void *p = reallocarray(rows, ncap, sizeof(*rows)), *q;
            if (p == NULL) {
                rc = SQLITE_NOMEM;
                break;
            }
            rows = p;
            q = reallocarray(keys, ncap, sizeof(*keys));
            if (q == NULL) {
                rc = SQLITE_NOMEM;
                break;
            }
            keys = q;
            cap = ncap;
        }
        keys[cnt][0] = sqlite3_column_int64(st, 0);
        keys[cnt][1] = sqlite3_column_int64(st, 1);
        r = &rows[cnt++];
        memset(r, 0, sizeof(*r));
        r->begin = sqlite3_column_int64(st, 2);
        r->end = sqlite3_column_int64(st, 3);
        r->org_name = col_dup(st, 4);
        r->adkim = col_char(st, 5);
        r->aspf = col_char(st, 6);
        r->p = col_dup(st, 7);
        r->sp = col_dup(st, 8);
        r->np = col_dup(st, 9);
        r->pct = sqlite3_column_type(st, 10) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 10);
        r->testing = col_dup(st, 11);
        r->source_ip = col_dup(st, 12);
        r->count = (uint64_t)sqlite3_column_int64(st, 13);
        r->disposition = col_dup(st, 14);
        r->dkim = col_dup(st, 15);
        r->spf = col_dup(st, 16);
        r->header_from = col_dup(st, 17);
        r->envelope_from = col_dup(st, 18);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        if (rc == SQLITE_NOMEM)
            ink_str_puts(err, "out of memory");
        else
            db_err(s, err, "read report rows");
        ink_report_rows_free(rows, cnt);
        free(keys);
        return -1;
    }
    if (rows_auth(s, domain, since, until, rows, (const sqlite3_int64(*)[2])keys, cnt, err) < 0) {
        ink_report_rows_free(rows, cnt);
        free(keys);
        return -1;
    }
    free(keys);
    *out = rows;
    *n = cnt;
    return 0;
}

/* ---- the owner's marks on report sources (schema v8) ---- */

/* s_report_mark_put - store or replace a mark (one transaction: the
 * count of the domain's marks and the write agree) */
static int s_report_mark_put(struct ink_store *base, const struct ink_store_mark *m,
                             int *replaced, struct ink_str *err)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    static const char sql_has[] =
        "SELECT (SELECT COUNT(*) FROM report_marks WHERE domain = ?1 AND network = ?2"
        "  AND prefix = ?3), (SELECT COUNT(*) FROM report_marks WHERE domain = ?1)";
    static const char sql_put[] =
        "INSERT INTO report_marks (domain, network, prefix, mark, created_at, note)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (domain, network, prefix) DO UPDATE SET"
        " mark = excluded.mark, created_at = excluded.created_at, note = excluded.note";
    sqlite3_stmt *st;
    sqlite3_int64 same = 0, count = 0;
    int rc;

    if (exec(s, "BEGIN IMMEDIATE", err) < 0)
        return -1;
    if ((st = prepare(s, sql_has, err)) == NULL)
        goto fail;
    bind_text(st, 1, m->domain);
    bind_text(st, 2, m->network);
    sqlite3_bind_int(st, 3, (int)m->prefix);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        same = sqlite3_column_int64(st, 0);
        count = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW) {
        db_err(s, err, "read the marks");
        goto fail;
    }
    if (same == 0 && count >= INK_MARKS_MAX) {
        ink_str_printf(err, "%s has %d marks already (the most one domain keeps): remove some",
                       m->domain, INK_MARKS_MAX);
        goto fail;
    }
    if ((st = prepare(s, sql_put, err)) == NULL)
        goto fail;
    bind_text(st, 1, m->domain);
    bind_text(st, 2, m->network);
    sqlite3_bind_int(st, 3, (int)m->prefix);
    bind_text(st, 4, m->mark);
    sqlite3_bind_int64(st, 5, m->created);
    bind_text(st, 6, m->note);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        db_err(s, err, "store the mark");
        goto fail;
    }
    if (exec(s, "COMMIT", err) < 0)
        goto fail;
    if (replaced != NULL)
        *replaced = same > 0;
    return 0;
fail:
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

/* has_table - 1 when the database has the table, 0 when not, -1 error */
static int has_table(struct sqlite_store *s, const char *name, struct ink_str *err)
{
    sqlite3_stmt *st = prepare(s, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
                               err);
    int rc;

    if (st == NULL)
        return -1;
    bind_text(st, 1, name);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return 1;
    return rc == SQLITE_DONE ? 0 : db_err(s, err, "read the schema");
}

/* s_report_mark_list - the marks of domain (NULL: all), by domain,
 * network, prefix; caller frees with ink_store_marks_free */
static int s_report_mark_list(struct ink_store *base, const char *domain,
                              struct ink_store_mark **out, size_t *n, struct ink_str *err)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    static const char sql[] =
        "SELECT domain, network, prefix, mark, created_at, note FROM report_marks"
        " WHERE (?1 IS NULL OR domain = ?1) ORDER BY domain, network, prefix";
    sqlite3_stmt *st;
    size_t cap = 0;
    int rc;

    *out = NULL;
    *n = 0;
    /* a database opened read only at an older version has no marks yet */
    rc = has_table(s, "report_marks", err);
    if (rc <= 0)
        return rc;
    if ((st = prepare(s, sql, err)) == NULL)
        return -1;
    bind_text(st, 1, domain);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct ink_store_mark *m;
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            void *p = reallocarray(*out, nc, sizeof(**out));
            if (p == NULL)
                break;
            *out = p;
            cap = nc;
        }
        m = &(*out)[(*n)++];
        memset(m, 0, sizeof(*m));
        m->domain = col_dup(st, 0);
        m->network = col_dup(st, 1);
        m->prefix = (unsigned)sqlite3_column_int(st, 2);
        m->mark = col_dup(st, 3);
        m->created = sqlite3_column_int64(st, 4);
        m->note = col_dup(st, 5);
        if (m->domain == NULL || m->network == NULL || m->mark == NULL ||
            (m->note == NULL && sqlite3_column_type(st, 5) != SQLITE_NULL))
            break;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        ink_store_marks_free(*out, *n);
        *out = NULL;
        *n = 0;
        return rc == SQLITE_ROW ? (ink_str_puts(err, "out of memory"), -1)
                                : db_err(s, err, "list the marks");
    }
    return 0;
}

/* s_report_mark_remove - forget one mark; INK_STORE_NOT_FOUND when none */
static int s_report_mark_remove(struct ink_store *base, const char *domain, const char *network,
                                unsigned prefix, struct ink_str *err)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    sqlite3_stmt *st = prepare(s, "DELETE FROM report_marks WHERE domain = ?1 AND network = ?2"
                                  " AND prefix = ?3", err);
    int rc;

    if (st == NULL)
        return -1;
    bind_text(st, 1, domain);
    bind_text(st, 2, network);
    sqlite3_bind_int(st, 3, (int)prefix);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_err(s, err, "remove the mark");
    return sqlite3_changes(s->db) > 0 ? 0 : INK_STORE_NOT_FOUND;
}

static void s_free(struct ink_store *base)
{
    struct sqlite_store *s = (struct sqlite_store *)base;

    s_report_abort(base);
    sqlite3_close(s->db);
    free(s);
}

/* ---- API tokens (schema v5) ---- */

/* s_token_add - store a token's name and hash; INK_STORE_EXISTS when the
 * name (or hash) is taken */
static int s_token_add(struct ink_store *base, const char *name, const char *sha256_hex,
                       int64_t now, struct ink_str *err)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    sqlite3_stmt *st = prepare(s, "INSERT INTO api_tokens (name, sha256, created) VALUES (?1, ?2, ?3)",
                               err);
    int rc;

    if (st == NULL)
        return -1;
    bind_text(st, 1, name);
    bind_text(st, 2, sha256_hex);
    sqlite3_bind_int64(st, 3, now);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_CONSTRAINT)
        return INK_STORE_EXISTS;
    return rc == SQLITE_DONE ? 0 : db_err(s, err, "add a token");
}

/* s_token_find - the name of the token with this hash (caller frees);
 * INK_STORE_NOT_FOUND when none; marks it used at now */
static int s_token_find(struct ink_store *base, const char *sha256_hex, int64_t now, char **name,
                        struct ink_str *err)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    sqlite3_stmt *st = prepare(s, "SELECT name FROM api_tokens WHERE sha256 = ?1", err);
    int rc;

    *name = NULL;
    if (st == NULL)
        return -1;
    bind_text(st, 1, sha256_hex);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const unsigned char *v = sqlite3_column_text(st, 0);
        *name = strdup(v ? (const char *)v : "");
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        return INK_STORE_NOT_FOUND;
    if (rc != SQLITE_ROW)
        return db_err(s, err, "look a token up");
    if (*name == NULL) {
        ink_str_puts(err, "out of memory");
        return -1;
    }
    st = prepare(s, "UPDATE api_tokens SET last_used = ?1 WHERE sha256 = ?2", err);
    if (st != NULL) {
        sqlite3_bind_int64(st, 1, now);
        bind_text(st, 2, sha256_hex);
        sqlite3_step(st); /* best effort: a busy store must not refuse a login */
        sqlite3_finalize(st);
    }
    return 0;
}

/* s_token_list - every token (name, created, last used), by name; caller
 * frees with ink_store_tokens_free */
static int s_token_list(struct ink_store *base, struct ink_store_token **out, size_t *n,
                        struct ink_str *err)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    sqlite3_stmt *st = prepare(s, "SELECT name, created, last_used FROM api_tokens ORDER BY name",
                               err);
    size_t cap = 0;
    int rc;

    *out = NULL;
    *n = 0;
    if (st == NULL)
        return -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *v = sqlite3_column_text(st, 0);
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 8;
            struct ink_store_token *t;
            if (nc > SIZE_MAX / sizeof(*t) || (t = realloc(*out, nc * sizeof(*t))) == NULL)
                break;
            *out = t;
            cap = nc;
        }
        (*out)[*n].name = strdup(v ? (const char *)v : "");
        (*out)[*n].created = sqlite3_column_int64(st, 1);
        (*out)[*n].last_used = sqlite3_column_int64(st, 2);
        if ((*out)[*n].name == NULL)
            break;
        (*n)++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        ink_store_tokens_free(*out, *n);
        *out = NULL;
        *n = 0;
        return rc == SQLITE_ROW ? (ink_str_puts(err, "out of memory"), -1)
                                : db_err(s, err, "list tokens");
    }
    return 0;
}

/* s_token_revoke - forget a token by name; INK_STORE_NOT_FOUND when none */
static int s_token_revoke(struct ink_store *base, const char *name, struct ink_str *err)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    sqlite3_stmt *st = prepare(s, "DELETE FROM api_tokens WHERE name = ?1", err);
    int rc;

    if (st == NULL)
        return -1;
    bind_text(st, 1, name);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_err(s, err, "revoke a token");
    return sqlite3_changes(s->db) > 0 ? 0 : INK_STORE_NOT_FOUND;
}

/* ---- DKIM key rotations (schema v6) ---- */

/* rot_keys_insert - the keys of one side of r */
static int rot_keys_insert(struct sqlite_store *s, const struct ink_rotation *r, int is_new,
                           struct ink_str *err)
{
    const struct ink_rot_key *k = is_new ? r->newk : r->oldk;
    size_t i, n = is_new ? r->nnew : r->nold;
    sqlite3_stmt *st = prepare(s,
                               "INSERT INTO dkim_rotation_keys (rotation, side, idx, selector,"
                               " key_type, record, key_file) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                               err);

    if (st == NULL)
        return -1;
    for (i = 0; i < n; i++) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        sqlite3_bind_int64(st, 1, r->id);
        bind_text(st, 2, is_new ? "new" : "old");
        sqlite3_bind_int64(st, 3, (sqlite3_int64)i);
        bind_text(st, 4, k[i].selector);
        bind_text(st, 5, k[i].key_type);
        bind_text(st, 6, k[i].record);
        bind_text(st, 7, k[i].key_file);
        if (sqlite3_step(st) != SQLITE_DONE) {
            db_err(s, err, "add a rotation key");
            sqlite3_finalize(st);
            return -1;
        }
    }
    sqlite3_finalize(st);
    return 0;
}

/* s_rotation_add - a new rotation; INK_STORE_EXISTS while the domain has
 * one not DONE */
static int s_rotation_add(struct ink_store *base, struct ink_rotation *r, struct ink_str *err)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    sqlite3_stmt *st;
    int rc;

    if (exec(s, "BEGIN IMMEDIATE", err) < 0)
        return -1;
    st = prepare(s, "SELECT id, phase FROM dkim_rotations WHERE domain = ?1 AND phase <> 'DONE'",
                 err);
    if (st == NULL)
        goto fail;
    bind_text(st, 1, r->domain);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        ink_str_printf(err, "%s has a rotation that is not DONE yet", r->domain);
        return INK_STORE_EXISTS;
    }
    if (rc != SQLITE_DONE) {
        db_err(s, err, "look rotations up");
        goto fail;
    }
    st = prepare(s,
                 "INSERT INTO dkim_rotations (domain, phase, created_at, phase_since, active_at,"
                 " overlap, last_check, next_check, ttl, detail)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                 err);
    if (st == NULL)
        goto fail;
    bind_text(st, 1, r->domain);
    bind_text(st, 2, ink_rot_phase_name(r->phase));
    sqlite3_bind_int64(st, 3, r->created_at);
    sqlite3_bind_int64(st, 4, r->phase_since);
    sqlite3_bind_int64(st, 5, r->active_at);
    sqlite3_bind_int64(st, 6, r->overlap);
    sqlite3_bind_int64(st, 7, r->last_check);
    sqlite3_bind_int64(st, 8, r->next_check);
    sqlite3_bind_int64(st, 9, r->ttl);
    bind_text(st, 10, r->detail);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        db_err(s, err, "add a rotation");
        goto fail;
    }
    r->id = sqlite3_last_insert_rowid(s->db);
    if (rot_keys_insert(s, r, 1, err) < 0 || rot_keys_insert(s, r, 0, err) < 0 ||
        exec(s, "COMMIT", err) < 0) {
        r->id = 0;
        goto fail;
    }
    return 0;
fail:
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

/* rot_keys_load - the keys of r from the store */
static int rot_keys_load(struct sqlite_store *s, struct ink_rotation *r, struct ink_str *err)
{
    sqlite3_stmt *st = prepare(s,
                               "SELECT side, selector, key_type, record, key_file"
                               " FROM dkim_rotation_keys WHERE rotation = ?1 ORDER BY side, idx",
                               err);
    int rc;

    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, r->id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *side = sqlite3_column_text(st, 0);
        const unsigned char *sel = sqlite3_column_text(st, 1);
        if (ink_rotation_add_key(r, side != NULL && strcmp((const char *)side, "new") == 0,
                                 (const char *)sel, (const char *)sqlite3_column_text(st, 2),
                                 (const char *)sqlite3_column_text(st, 3),
                                 (const char *)sqlite3_column_text(st, 4)) < 0) {
            ink_str_printf(err, "database: rotation %lld of %s: a key that cannot be loaded",
                           (long long)r->id, r->domain);
            sqlite3_finalize(st);
            return -1;
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_err(s, err, "load rotation keys");
}

/* s_rotation_list - rotations of one domain or all, by domain and age */
static int s_rotation_list(struct ink_store *base, const char *domain, int latest_only,
                           struct ink_rotation ***out, size_t *n, struct ink_str *err)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    static const char sql[] =
        "SELECT id, domain, phase, created_at, phase_since, active_at, overlap, last_check,"
        " next_check, ttl, detail FROM dkim_rotations r"
        " WHERE (?1 IS NULL OR domain = ?1)"
        "   AND (?2 = 0 OR id = (SELECT MAX(id) FROM dkim_rotations q WHERE q.domain = r.domain))"
        " ORDER BY domain, id";
    struct ink_rotation **v = NULL;
    size_t cap = 0, i;
    sqlite3_stmt *st = prepare(s, sql, err);
    int rc;

    *out = NULL;
    *n = 0;
    if (st == NULL)
        return -1;
    bind_text(st, 1, domain);
    sqlite3_bind_int(st, 2, latest_only ? 1 : 0);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *dom = sqlite3_column_text(st, 1);
        const unsigned char *ph = sqlite3_column_text(st, 2);
        struct ink_rotation *r = ink_rotation_new(dom ? (const char *)dom : "", 0);
        int phase = ph ? ink_rot_phase_from_name((const char *)ph) : -1;
        if (r == NULL || phase < 0) {
            ink_rotation_free(r);
            ink_str_printf(err, "database: rotation %lld: not a rotation that can be loaded",
                           (long long)sqlite3_column_int64(st, 0));
            goto fail;
        }
        r->id = sqlite3_column_int64(st, 0);
        r->phase = (enum ink_rot_phase)phase;
        r->created_at = sqlite3_column_int64(st, 3);
        r->phase_since = sqlite3_column_int64(st, 4);
        r->active_at = sqlite3_column_int64(st, 5);
        r->overlap = sqlite3_column_int64(st, 6);
        r->last_check = sqlite3_column_int64(st, 7);
        r->next_check = sqlite3_column_int64(st, 8);
        r->ttl = (uint32_t)sqlite3_column_int64(st, 9);
        r->detail = col_dup(st, 10);
        if (*n == cap) {
            struct ink_rotation **grown;
            cap = cap ? cap * 2 : 8;
            grown = cap < SIZE_MAX / sizeof(*grown) ? realloc(v, cap * sizeof(*grown)) : NULL;
            if (grown == NULL) {
                ink_rotation_free(r);
                ink_str_puts(err, "out of memory");
                goto fail;
            }
            v = grown;
        }
        v[(*n)++] = r;
    }
    if (rc != SQLITE_DONE) {
        db_err(s, err, "list rotations");
        goto fail;
    }
    sqlite3_finalize(st);
    st = NULL;
    for (i = 0; i < *n; i++)
        if (rot_keys_load(s, v[i], err) < 0)
            goto fail;
    *out = v;
    return 0;
fail:
    sqlite3_finalize(st);
    ink_rotations_free(v, *n);
    *n = 0;
    return -1;
}

/* s_rotation_save - one advance of r, guarded by the phase it had */
static int s_rotation_save(struct ink_store *base, const struct ink_rotation *r,
                           enum ink_rot_phase was, struct ink_str *err)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    sqlite3_stmt *st;
    int rc, changed;

    if (exec(s, "BEGIN IMMEDIATE", err) < 0)
        return -1;
    st = prepare(s,
                 "UPDATE dkim_rotations SET phase = ?2, phase_since = ?3, active_at = ?4,"
                 " last_check = ?5, next_check = ?6, detail = ?7, overlap = ?8"
                 " WHERE id = ?1 AND phase = ?9",
                 err);
    if (st == NULL)
        goto fail;
    sqlite3_bind_int64(st, 1, r->id);
    bind_text(st, 2, ink_rot_phase_name(r->phase));
    sqlite3_bind_int64(st, 3, r->phase_since);
    sqlite3_bind_int64(st, 4, r->active_at);
    sqlite3_bind_int64(st, 5, r->last_check);
    sqlite3_bind_int64(st, 6, r->next_check);
    bind_text(st, 7, r->detail);
    sqlite3_bind_int64(st, 8, r->overlap);
    bind_text(st, 9, ink_rot_phase_name(was));
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        db_err(s, err, "save a rotation");
        goto fail;
    }
    changed = sqlite3_changes(s->db);
    if (changed == 0) {
        st = prepare(s, "SELECT 1 FROM dkim_rotations WHERE id = ?1", err);
        if (st == NULL)
            goto fail;
        sqlite3_bind_int64(st, 1, r->id);
        rc = sqlite3_step(st);
        sqlite3_finalize(st);
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        if (rc == SQLITE_ROW) {
            ink_str_printf(err, "the rotation of %s was advanced by another inkan process meanwhile",
                           r->domain);
            return INK_STORE_CONFLICT;
        }
        ink_str_printf(err, "rotation %lld of %s is not in the database", (long long)r->id,
                       r->domain);
        return INK_STORE_NOT_FOUND;
    }
    if (exec(s, "COMMIT", err) < 0)
        goto fail;
    return 0;
fail:
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

/* ---- inbound evaluations (schema v7) ---- */

/* The text columns of evaluations, in the order of the statements below
 * (bound from ?3 on; read from column 2 on). */
static const struct {
    size_t off, cap;
} ev_text[] = {
#define EVT(field) {offsetof(struct ink_evrow, field), sizeof(((struct ink_evrow *)0)->field)}
    EVT(queue_id), EVT(message_id), EVT(source_ip), EVT(header_from), EVT(envelope_from),
    EVT(envelope_to), EVT(spf_result), EVT(spf_domain), EVT(spf_scope), EVT(dmarc_result),
    EVT(dmarc_spf), EVT(dmarc_dkim), EVT(disposition), EVT(override), EVT(override_comment),
    EVT(policy_domain), EVT(p), EVT(sp), EVT(np), EVT(t), EVT(adkim), EVT(aspf),
#undef EVT
};
#define EV_NTEXT (sizeof(ev_text) / sizeof(ev_text[0]))

/* s_evaluations_add - n rows in one transaction, a stored key skipped */
static int s_evaluations_add(struct ink_store *base, const struct ink_evrow *rows, size_t n,
                             size_t *added, struct ink_str *err)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    static const char ins[] =
        "INSERT INTO evaluations (key, at, queue_id, message_id, source_ip, header_from,"
        " envelope_from, envelope_to, spf_result, spf_domain, spf_scope, dmarc_result,"
        " dmarc_spf, dmarc_dkim, disposition, override, override_comment, policy_domain,"
        " p, sp, np, t, adkim, aspf, dkim_unlisted)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,"
        " ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25) ON CONFLICT (key) DO NOTHING";
    static const char ins_dkim[] =
        "INSERT INTO evaluation_dkim (evaluation, n, domain, selector, result)"
        " VALUES (?1, ?2, ?3, ?4, ?5)";
    sqlite3_stmt *st = NULL, *sd = NULL;
    size_t i, j, k, count = 0;

    if (added != NULL)
        *added = 0;
    if (n == 0)
        return 0;
    if (n > INK_STORE_EVROWS_MAX) {
        ink_str_printf(err, "database: %zu evaluation rows at once (at most %d)", n,
                       INK_STORE_EVROWS_MAX);
        return -1;
    }
    if (exec(s, "BEGIN IMMEDIATE", err) < 0)
        return -1;
    st = prepare(s, ins, err);
    sd = st != NULL ? prepare(s, ins_dkim, err) : NULL;
    if (sd == NULL)
        goto fail;
    for (i = 0; i < n; i++) {
        const struct ink_evrow *r = &rows[i];
        sqlite3_int64 id;

        sqlite3_reset(st);
        bind_text(st, 1, r->key);
        sqlite3_bind_int64(st, 2, r->at);
        for (k = 0; k < EV_NTEXT; k++)
            bind_text(st, (int)k + 3, (const char *)r + ev_text[k].off);
        sqlite3_bind_int64(st, 25, (sqlite3_int64)r->dkim_unlisted);
        if (sqlite3_step(st) != SQLITE_DONE) {
            db_err(s, err, "add an evaluation");
            goto fail;
        }
        if (sqlite3_changes(s->db) == 0)
            continue; /* the key is stored: this row was written before */
        count++;
        id = sqlite3_last_insert_rowid(s->db);
        for (j = 0; j < r->ndkim && j < INK_EVROW_DKIM_MAX; j++) {
            sqlite3_reset(sd);
            sqlite3_bind_int64(sd, 1, id);
            sqlite3_bind_int64(sd, 2, (sqlite3_int64)j);
            bind_text(sd, 3, r->dkim[j].domain);
            bind_text(sd, 4, r->dkim[j].selector);
            bind_text(sd, 5, r->dkim[j].result);
            if (sqlite3_step(sd) != SQLITE_DONE) {
                db_err(s, err, "add a DKIM result");
                goto fail;
            }
        }
    }
    sqlite3_finalize(st);
    sqlite3_finalize(sd);
    st = sd = NULL;
    if (exec(s, "COMMIT", err) < 0)
        goto fail;
    if (added != NULL)
        *added = count;
    return 0;
fail:
    sqlite3_finalize(st);
    sqlite3_finalize(sd);
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

/* col_into - a text column into a row field of cap bytes */
static void col_into(sqlite3_stmt *st, int i, char *dst, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, i);

    ink_evrow_set(dst, cap, (const char *)t, t != NULL ? (size_t)sqlite3_column_bytes(st, i) : 0);
}

/* The columns every evaluation listing selects, in the order ev_each reads. */
#define EV_COLUMNS                                                                           \
    "id, key, queue_id, message_id, source_ip, header_from, envelope_from,"                 \
    " envelope_to, spf_result, spf_domain, spf_scope, dmarc_result, dmarc_spf, dmarc_dkim," \
    " disposition, override, override_comment, policy_domain, p, sp, np, t, adkim, aspf,"   \
    " at, dkim_unlisted"

/* ev_each - each row st (bound, selecting EV_COLUMNS; finalized here)
 * yields, with its DKIM results, to fn (or, with its id, to fn_id) */
static int ev_each(struct sqlite_store *s, sqlite3_stmt *st, ink_evrow_fn fn,
                   ink_evrow_id_fn fn_id, void *arg, struct ink_str *err)
{
    static const char sel_dkim[] =
        "SELECT domain, selector, result FROM evaluation_dkim WHERE evaluation = ?1 ORDER BY n";
    sqlite3_stmt *sd = prepare(s, sel_dkim, err);
    struct ink_evrow *row = malloc(sizeof(*row));
    int rc, ret = 0;
    size_t k;

    if (sd == NULL || row == NULL) {
        if (row == NULL && sd != NULL)
            ink_str_puts(err, "out of memory");
        sqlite3_finalize(st);
        sqlite3_finalize(sd);
        free(row);
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        int dr;

        ink_evrow_clear(row);
        col_into(st, 1, row->key, sizeof(row->key));
        for (k = 0; k < EV_NTEXT; k++)
            col_into(st, (int)k + 2, (char *)row + ev_text[k].off, ev_text[k].cap);
        row->at = sqlite3_column_int64(st, 24);
        row->dkim_unlisted = (size_t)sqlite3_column_int64(st, 25);
        sqlite3_reset(sd);
        sqlite3_bind_int64(sd, 1, id);
        while ((dr = sqlite3_step(sd)) == SQLITE_ROW && row->ndkim < INK_EVROW_DKIM_MAX) {
            struct ink_evrow_dkim *d = &row->dkim[row->ndkim++];

            col_into(sd, 0, d->domain, sizeof(d->domain));
            col_into(sd, 1, d->selector, sizeof(d->selector));
            col_into(sd, 2, d->result, sizeof(d->result));
        }
        if (dr != SQLITE_ROW && dr != SQLITE_DONE) {
            rc = dr;
            break;
        }
        ret = fn_id != NULL ? fn_id(arg, id, row) : fn(arg, row);
        if (ret != 0)
            break;
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = db_err(s, err, "list evaluations");
    sqlite3_finalize(st);
    sqlite3_finalize(sd);
    free(row);
    return ret;
}

/* s_evaluations_list - the rows of a period, each to fn */
static int s_evaluations_list(struct ink_store *base, int64_t begin, int64_t end,
                              const char *domain, ink_evrow_fn fn, void *arg,
                              struct ink_str *err)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    static const char sel[] =
        "SELECT " EV_COLUMNS " FROM evaluations"
        " WHERE at >= ?1 AND at < ?2 AND (?3 IS NULL OR header_from = ?3) ORDER BY at, id";
    sqlite3_stmt *st = prepare(s, sel, err);

    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, begin);
    sqlite3_bind_int64(st, 2, end);
    bind_text(st, 3, domain);
    return ev_each(s, st, fn, NULL, arg, err);
}

/* s_evaluations_page - a page of rows newest first after a cursor, each to fn */
static int s_evaluations_page(struct ink_store *base, const struct ink_store_evpage *q,
                              ink_evrow_id_fn fn, void *arg, struct ink_str *err)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    static const char sel[] =
        "SELECT " EV_COLUMNS " FROM evaluations"
        " WHERE at >= ?1 AND at < ?2 AND (?3 IS NULL OR header_from = ?3)"
        " AND (?4 = 0 OR at < ?5 OR (at = ?5 AND id < ?6))"
        " ORDER BY at DESC, id DESC LIMIT ?7";
    sqlite3_stmt *st = prepare(s, sel, err);

    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, q->begin);
    sqlite3_bind_int64(st, 2, q->end);
    bind_text(st, 3, q->domain);
    sqlite3_bind_int(st, 4, q->has_cursor != 0);
    sqlite3_bind_int64(st, 5, q->after_at);
    sqlite3_bind_int64(st, 6, q->after_id);
    sqlite3_bind_int64(st, 7, q->limit > INT64_MAX ? INT64_MAX : (sqlite3_int64)q->limit);
    return ev_each(s, st, NULL, fn, arg, err);
}

/* s_evaluations_summary - the rows of a period counted per domain, DMARC
 * result and disposition, each count to fn */
static int s_evaluations_summary(struct ink_store *base, int64_t begin, int64_t end,
                                 const char *domain, ink_evcount_fn fn, void *arg,
                                 struct ink_str *err)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    static const char sel[] =
        "SELECT header_from, dmarc_result, disposition, count(*) FROM evaluations"
        " WHERE at >= ?1 AND at < ?2 AND (?3 IS NULL OR header_from = ?3)"
        " GROUP BY header_from, dmarc_result, disposition"
        " ORDER BY header_from, dmarc_result, disposition";
    sqlite3_stmt *st = prepare(s, sel, err);
    int rc, ret = 0;

    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, begin);
    sqlite3_bind_int64(st, 2, end);
    bind_text(st, 3, domain);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *d = sqlite3_column_text(st, 0), *r = sqlite3_column_text(st, 1),
                            *p = sqlite3_column_text(st, 2);
        struct ink_store_evcount c;

        c.domain = d != NULL ? (const char *)d : "";
        c.dmarc = r != NULL ? (const char *)r : "";
        c.disposition = p != NULL ? (const char *)p : "";
        c.n = sqlite3_column_int64(st, 3);
        ret = fn(arg, &c);
        if (ret != 0)
            break;
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = db_err(s, err, "count evaluations");
    sqlite3_finalize(st);
    return ret;
}

static const struct ink_store_ops sqlite_ops = {
    "sqlite", s_add, s_get, s_list, s_save, s_remove, s_due, s_history,
    s_report_begin, s_report_record, s_report_commit, s_report_abort, s_report_failure_add,
    s_report_summary, s_report_ptr_put, s_token_add, s_token_find, s_token_list, s_token_revoke,
    s_free, s_rotation_add, s_rotation_list, s_rotation_save,
    s_evaluations_add, s_evaluations_list,
    NULL, NULL, NULL, /* no import queue: importers take inputs in order */
    s_report_summary_span, s_report_timeline, s_report_rows,
    s_evaluations_page, s_evaluations_summary,
    s_report_mark_put, s_report_mark_list, s_report_mark_remove,
};

/* make_parent_dirs - create the directories above path (mode 0700) */
static int make_parent_dirs(const char *path, struct ink_str *err)
{
    char buf[STORE_PATH_MAX];
    size_t len = strlen(path), i;

    if (len >= sizeof(buf)) {
        ink_str_puts(err, "database path too long");
        return -1;
    }
    memcpy(buf, path, len + 1);
    for (i = 1; i < len; i++) {
        if (buf[i] != '/')
            continue;
        buf[i] = '\0';
        if (mkdir(buf, 0700) < 0 && errno != EEXIST) {
            ink_str_printf(err, "%s: cannot create directory: %s", buf, strerror(errno));
            return -1;
        }
        buf[i] = '/';
    }
    return 0;
}

/* migrate - create or check the schema */
static int migrate(struct sqlite_store *s, const char *path, struct ink_str *err)
{
    sqlite3_stmt *st = prepare(s, "PRAGMA user_version", err);
    int version = 0;

    if (st == NULL)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (version == STORE_SCHEMA_VERSION)
        return 0;
    if (version > STORE_SCHEMA_VERSION) {
        ink_str_printf(err, "%s: database schema version %d is newer than this inkan reads (%d)",
                       path, version, STORE_SCHEMA_VERSION);
        return -1;
    }
    if (exec(s, "BEGIN IMMEDIATE", err) < 0)
        return -1;
    st = prepare(s, "PRAGMA user_version", err);
    if (st == NULL)
        goto fail;
    version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    /* from the version found (0: new; a schema of another program is
     * refused by a CREATE failing on an existing table) to ours, unless
     * another process did it while we waited for the lock */
    for (; version < STORE_SCHEMA_VERSION; version++) {
        char pragma[64];
        snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", version + 1);
        if (exec(s, migrations[version], err) < 0 || exec(s, pragma, err) < 0)
            goto fail;
    }
    return exec(s, "COMMIT", err) < 0 ? -1 : 0;
fail:
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

/* ink_store_path_ok - a path that names a database file (see store.h) */
int ink_store_path_ok(const char *path)
{
    /* "" and ":memory:" are SQLite's throw-away databases; "file:" would
     * be read as a URI where URIs are enabled */
    return path != NULL && path[0] != '\0' && strcmp(path, ":memory:") != 0 &&
           strncmp(path, "file:", 5) != 0 && !ink_store_is_uri(path); /* store_pg.c's */
}

/* path_refused - err for a path that is no database file; returns 1 */
static int path_refused(const char *path, struct ink_str *err)
{
    if (ink_store_path_ok(path))
        return 0;
    ink_str_printf(err, "'%s' is not a database file (an empty or in-memory database would be "
                        "thrown away at exit)", path ? path : "");
    return 1;
}

/* schema_check - the schema version of an opened database must be ours
 * (read-only opens cannot create it).  0; -1 with *definite set when the
 * version was read and is wrong, clear when it could not be read. */
static int schema_check(struct sqlite_store *s, int *definite, struct ink_str *err)
{
    sqlite3_stmt *st = prepare(s, "PRAGMA user_version", err);
    int version = -1;

    *definite = 0;
    if (st == NULL)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    else
        db_err(s, err, "read the schema version");
    sqlite3_finalize(st);
    if (version < 0)
        return -1;
    *definite = 1;
    if (version > STORE_SCHEMA_VERSION) {
        ink_str_printf(err, "database schema version %d is newer than this inkan reads (%d)",
                       version, STORE_SCHEMA_VERSION);
        return -1;
    }
    /* an older version is read as it is (its domains are there); only the
     * commands that write migrate it */
    if (version < 1) {
        ink_str_puts(err, "not an inkan database (no schema in it)");
        return -1;
    }
    return 0;
}

/* immutable_uri - "file:PATH?immutable=1" with PATH percent-encoded */
static int immutable_uri(const char *path, struct ink_str *out)
{
    const unsigned char *p;
    int rc = ink_str_puts(out, "file:");

    for (p = (const unsigned char *)path; *p; p++) {
        if (*p == '%' || *p == '?' || *p == '#' || *p < 0x21 || *p > 0x7e)
            rc |= ink_str_printf(out, "%%%02X", *p);
        else
            rc |= ink_str_putc(out, (char)*p);
    }
    rc |= ink_str_puts(out, "?immutable=1");
    return rc < 0 ? -1 : 0;
}

/* ink_store_sqlite_open_readonly - open an existing database to read */
struct ink_store *ink_store_sqlite_open_readonly(const char *path, struct ink_str *err)
{
    struct sqlite_store *s;
    struct ink_str why = INK_STR_INIT, uri = INK_STR_INIT;
    int attempt;

    if (path_refused(path, err))
        return NULL;
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        ink_str_puts(err, "out of memory");
        return NULL;
    }
    s->base.ops = &sqlite_ops;
    /* first as it is; a WAL database whose -shm file cannot be made (a
     * directory the user cannot write) cannot be read that way, so then
     * as an immutable file: nobody can be writing to it from there */
    for (attempt = 0; attempt < 2; attempt++) {
        int rc, definite = 0;
        ink_str_truncate(&why, 0);
        if (attempt == 0) {
            rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READONLY, NULL);
        } else {
            if (immutable_uri(path, &uri) < 0) {
                ink_str_puts(&why, "out of memory");
                break;
            }
            rc = sqlite3_open_v2(ink_str_cstr(&uri), &s->db,
                                 SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
        }
        if (rc == SQLITE_OK) {
            sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
            if (schema_check(s, &definite, &why) == 0) {
                ink_str_free(&why);
                ink_str_free(&uri);
                return &s->base;
            }
        } else {
            ink_str_printf(&why, "cannot open database: %s",
                           s->db ? sqlite3_errmsg(s->db) : "out of memory");
        }
        sqlite3_close(s->db);
        s->db = NULL;
        if (definite)
            break; /* read, and not ours: opening it otherwise will not help */
    }
    ink_str_printf(err, "%s: %s", path, ink_str_cstr(&why));
    ink_str_free(&why);
    ink_str_free(&uri);
    free(s);
    return NULL;
}

/* ink_store_sqlite_open - open or create the database at path */
struct ink_store *ink_store_sqlite_open(const char *path, struct ink_str *err)
{
    struct sqlite_store *s;

    if (path_refused(path, err))
        return NULL;
    if (make_parent_dirs(path, err) < 0)
        return NULL;
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        ink_str_puts(err, "out of memory");
        return NULL;
    }
    s->base.ops = &sqlite_ops;
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        ink_str_printf(err, "%s: cannot open database: %s", path,
                       s->db ? sqlite3_errmsg(s->db) : "out of memory");
        sqlite3_close(s->db);
        free(s);
        return NULL;
    }
    sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
    if (exec(s, "PRAGMA journal_mode = WAL", err) < 0 ||
        exec(s, "PRAGMA synchronous = NORMAL", err) < 0 ||
        exec(s, "PRAGMA foreign_keys = ON", err) < 0 || migrate(s, path, err) < 0) {
        struct ink_str msg = INK_STR_INIT;
        ink_str_printf(&msg, "%s: ", path);
        ink_str_append(&msg, err->buf ? err->buf : "", err->len);
        ink_str_truncate(err, 0);
        ink_str_append(err, msg.buf, msg.len);
        ink_str_free(&msg);
        s_free(&s->base);
        return NULL;
    }
    return &s->base;
}
