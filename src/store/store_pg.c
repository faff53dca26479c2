/*
 * store_pg.c - the PostgreSQL backend of the store (libpq): the same
 * tables, semantics, return codes and summary numbers as store_sqlite.c,
 * for `--db postgresql://...`, so several inkan processes on several
 * machines can share one database.
 *
 * Schema: a schema_version table (one row) and migrations[] applied on
 * open, each in the transaction that records it, under an advisory lock
 * so two processes opening a fresh database do not both migrate it.  The
 * versions are this backend's own (SQLite counts in PRAGMA user_version).
 *
 * Every statement binds its parameters (PQexecParams, prepared
 * statements); text is compared and ordered COLLATE "C" where SQLite
 * compares bytes, so both backends list domains and sources in the same
 * order.  One report is one transaction: its row is inserted at
 * report_begin (a unique (org_name, report_id) makes a second one wait
 * for the first's commit, then fail as a duplicate), its records are sent
 * through libpq's pipeline mode (no round trip per row), and the SHA-256
 * of its bytes is set at commit (the same bytes: a duplicate).  A killed
 * importer's transaction is rolled back by the server.
 *
 * DKIM key rotations are schema v3 (SQLite's v6), inbound evaluations
 * v4 (SQLite's v7), the owner's marks on report sources v5 (SQLite's v8).
 *
 * The import work queue (schema v2, docs/store.md): importers register in
 * import_workers and hold a session advisory lock on their id for as long
 * as they run; they enqueue their inputs by content hash (import_queue,
 * import_members) and claim one at a time with SELECT ... FOR UPDATE SKIP
 * LOCKED on a second connection whose transaction (the claim) lasts until
 * the input is done.  Two importers given the same directory split it; an
 * input done by an importer still running is not taken again, one done by
 * an importer that has finished (or died) is: that is a new import of it,
 * its reports duplicates as with SQLite.
 */
#include "inkan/store.h"

#include <inttypes.h>
#include <stddef.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inkan/dns.h"
#include "inkan/evlog.h"
#include "inkan/rotate.h"

/* The schema this file writes; databases with a higher version are refused. */
#define PG_SCHEMA_VERSION 5
/* Parameters one statement binds at most. */
#define PG_PARAMS_MAX 32
/* Bytes of one integer parameter in text. */
#define PG_INT_TEXT 24
/* Statements of one report sent before their results are read. */
#define PG_PIPELINE_BATCH 512
/* Seconds a connection attempt may take (a URI's connect_timeout wins). */
#define PG_CONNECT_TIMEOUT "10"
/* Advisory lock keys: the first half of every inkan lock, then which. */
#define PG_LOCK_NS "1768644974" /* 0x696b616e, "ikan" */
/* ... and of the per-domain rotation locks (key two: hashtext(domain)). */
#define PG_LOCK_ROTATE_NS "1768644975"
/* ... and of the per-domain mark locks (key two: hashtext(domain)). */
#define PG_LOCK_MARK_NS "1768644976"
#define PG_LOCK_MIGRATE 0
/* Bytes of a statement's start named in an error. */
#define PG_WHAT_MAX 48
/* Longest host name recorded for an importer. */
#define PG_HOST_MAX 256

struct pg_store {
    struct ink_store base;
    PGconn *conn;
    char *uri;                /* for the queue's second connection */
    int readonly;
    int prepared;             /* the report statements are prepared */
    int tx;                   /* a transaction of ours is open (BEGIN .. end) */
    /* the report being imported (report_begin .. commit/abort) */
    int in_report;
    int pipeline;             /* conn is in pipeline mode */
    int64_t report, nrows, messages;
    size_t pending;           /* statements sent, results not read */
    /* the import queue */
    PGconn *qconn;            /* holds the claim's transaction */
    int64_t worker;           /* this importer's id, 0 before queue_fill */
    int64_t members;          /* inputs enqueued so far (their order) */
    int claimed;              /* qconn's transaction holds a claim */
};

/* schema_v1 - everything store_sqlite.c's versions 1 to 5 hold, in one:
 * domains, records and events (verification); reports, report_rows,
 * report_auth, report_reasons, report_ptr (aggregate reports);
 * failure_reports; api_tokens. */
static const char schema_v1[] =
    "CREATE TABLE domains ("
    "  name TEXT PRIMARY KEY,"
    "  profile TEXT,"
    "  state TEXT NOT NULL,"
    "  added_at BIGINT NOT NULL,"
    "  window_start BIGINT NOT NULL DEFAULT 0,"
    "  deadline BIGINT NOT NULL DEFAULT 0,"
    "  last_check BIGINT NOT NULL DEFAULT 0,"
    "  next_poll BIGINT NOT NULL DEFAULT 0,"
    "  state_since BIGINT NOT NULL DEFAULT 0,"
    "  verified_at BIGINT NOT NULL DEFAULT 0,"
    "  polls BIGINT NOT NULL DEFAULT 0,"
    "  rev BIGINT NOT NULL DEFAULT 1);"
    "CREATE INDEX domains_next_poll ON domains(next_poll);"
    "CREATE TABLE records ("
    "  domain TEXT NOT NULL REFERENCES domains(name) ON DELETE CASCADE,"
    "  idx BIGINT NOT NULL,"
    "  owner TEXT NOT NULL,"
    "  type TEXT NOT NULL,"
    "  match TEXT NOT NULL,"
    "  expect TEXT NOT NULL,"
    "  purpose TEXT,"
    "  state TEXT NOT NULL,"
    "  seen TEXT,"
    "  detail TEXT,"
    "  recursive TEXT,"
    "  last_check BIGINT NOT NULL DEFAULT 0,"
    "  verified_at BIGINT NOT NULL DEFAULT 0,"
    "  changed_at BIGINT NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (domain, idx));"
    "CREATE TABLE events ("
    "  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    "  domain TEXT NOT NULL,"
    "  at BIGINT NOT NULL,"
    "  record BIGINT NOT NULL,"
    "  owner TEXT,"
    "  type TEXT,"
    "  from_state TEXT NOT NULL,"
    "  to_state TEXT NOT NULL,"
    "  detail TEXT);"
    "CREATE INDEX events_domain ON events(domain, id);"
    "CREATE TABLE reports ("
    "  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    "  org_name TEXT NOT NULL,"
    "  report_id TEXT NOT NULL,"
    "  email TEXT,"
    "  format TEXT NOT NULL,"
    "  domain TEXT NOT NULL,"
    "  begin_at BIGINT NOT NULL,"
    "  end_at BIGINT NOT NULL,"
    "  adkim TEXT, aspf TEXT, p TEXT, sp TEXT, np TEXT, pct INTEGER, testing TEXT,"
    "  sha256 TEXT UNIQUE,"
    "  bytes BIGINT,"
    "  source TEXT,"
    "  notes TEXT,"
    "  records BIGINT NOT NULL DEFAULT 0,"
    "  messages BIGINT NOT NULL DEFAULT 0,"
    "  duplicates BIGINT NOT NULL DEFAULT 0,"
    "  UNIQUE (org_name, report_id));"
    "CREATE INDEX reports_domain ON reports(domain, begin_at);"
    "CREATE TABLE report_rows ("
    "  report BIGINT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,"
    "  idx BIGINT NOT NULL,"
    "  source_ip TEXT NOT NULL,"
    "  count BIGINT NOT NULL,"
    "  disposition TEXT, dkim TEXT, spf TEXT,"
    "  header_from TEXT, envelope_from TEXT, envelope_to TEXT,"
    "  authenticated INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (report, idx));"
    "CREATE INDEX report_rows_ip ON report_rows(source_ip);"
    "CREATE TABLE report_auth ("
    "  report BIGINT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,"
    "  idx BIGINT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  n BIGINT NOT NULL,"
    "  domain TEXT, selector TEXT, scope TEXT, result TEXT, human_result TEXT,"
    "  PRIMARY KEY (report, idx, kind, n));"
    "CREATE TABLE report_reasons ("
    "  report BIGINT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,"
    "  idx BIGINT NOT NULL,"
    "  n BIGINT NOT NULL,"
    "  type TEXT, comment TEXT,"
    "  PRIMARY KEY (report, idx, n));"
    "CREATE TABLE report_ptr ("
    "  ip TEXT PRIMARY KEY,"
    "  ptr TEXT,"
    "  looked_up_at BIGINT NOT NULL,"
    "  result TEXT NOT NULL DEFAULT 'found' CHECK (result IN ('found', 'none')));"
    "CREATE TABLE failure_reports ("
    "  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
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
    "  duplicates BIGINT NOT NULL DEFAULT 0);"
    "CREATE INDEX failure_reports_domain ON failure_reports(domain);"
    "CREATE TABLE api_tokens ("
    "  name TEXT PRIMARY KEY,"
    "  sha256 TEXT NOT NULL UNIQUE,"
    "  created BIGINT NOT NULL,"
    "  last_used BIGINT NOT NULL DEFAULT 0);";

/* schema_v2 - the import work queue: one row per input (by the SHA-256
 * of its bytes), pending or done (and by which importer); the importers
 * (each holds the advisory lock (PG_LOCK_NS, id) while it runs) and which
 * inputs each was given, in its order. */
static const char schema_v2[] =
    "CREATE TABLE import_workers ("
    "  id INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    "  host TEXT, pid BIGINT, started_at BIGINT NOT NULL);"
    "CREATE TABLE import_queue ("
    "  sha256 TEXT PRIMARY KEY,"
    "  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done')),"
    "  done_by INTEGER,"
    "  done_at BIGINT);"
    "CREATE TABLE import_members ("
    "  worker INTEGER NOT NULL REFERENCES import_workers(id) ON DELETE CASCADE,"
    "  sha256 TEXT NOT NULL,"
    "  pos BIGINT NOT NULL,"
    "  PRIMARY KEY (worker, sha256));";

/* schema_v3 - DKIM key rotations (store_sqlite.c's version 6): one row
 * per rotation with its phase and times, its keys (the new and the old
 * side, in order) in dkim_rotation_keys.  Private keys are not here:
 * key_file names the file only the signer opens. */
static const char schema_v3[] =
    "CREATE TABLE dkim_rotations ("
    "  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    "  domain TEXT NOT NULL,"
    "  phase TEXT NOT NULL CHECK (phase IN ('PUBLISH_NEW', 'ACTIVE', 'RETIRE', 'DONE')),"
    "  created_at BIGINT NOT NULL,"
    "  phase_since BIGINT NOT NULL,"
    "  active_at BIGINT NOT NULL DEFAULT 0,"
    "  overlap BIGINT NOT NULL,"
    "  last_check BIGINT NOT NULL DEFAULT 0,"
    "  next_check BIGINT NOT NULL DEFAULT 0,"
    "  ttl BIGINT NOT NULL,"
    "  detail TEXT);"
    "CREATE INDEX dkim_rotations_domain ON dkim_rotations(domain, id);"
    "CREATE TABLE dkim_rotation_keys ("
    "  rotation BIGINT NOT NULL REFERENCES dkim_rotations(id) ON DELETE CASCADE,"
    "  side TEXT NOT NULL CHECK (side IN ('new', 'old')),"
    "  idx BIGINT NOT NULL,"
    "  selector TEXT NOT NULL,"
    "  key_type TEXT,"
    "  record TEXT,"
    "  key_file TEXT,"
    "  PRIMARY KEY (rotation, side, idx));";

/* schema_v4 - inbound evaluations (store_sqlite.c's version 7): one row
 * per message a receiver evaluated, unique by the key its maker chose (a
 * replayed spool adds nothing twice); evaluation_dkim holds each row's
 * DKIM results.  Absent text is '' (the row struct's empty string). */
static const char schema_v4[] =
    "CREATE TABLE evaluations ("
    "  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    "  key TEXT NOT NULL UNIQUE,"
    "  at BIGINT NOT NULL,"
    "  queue_id TEXT NOT NULL, message_id TEXT NOT NULL,"
    "  source_ip TEXT NOT NULL,"
    "  header_from TEXT NOT NULL, envelope_from TEXT NOT NULL, envelope_to TEXT NOT NULL,"
    "  spf_result TEXT NOT NULL, spf_domain TEXT NOT NULL, spf_scope TEXT NOT NULL,"
    "  dkim_unlisted BIGINT NOT NULL DEFAULT 0,"
    "  dmarc_result TEXT NOT NULL, dmarc_spf TEXT NOT NULL, dmarc_dkim TEXT NOT NULL,"
    "  disposition TEXT NOT NULL, override TEXT NOT NULL, override_comment TEXT NOT NULL,"
    "  policy_domain TEXT NOT NULL, p TEXT NOT NULL, sp TEXT NOT NULL, np TEXT NOT NULL,"
    "  t TEXT NOT NULL, adkim TEXT NOT NULL, aspf TEXT NOT NULL);"
    "CREATE INDEX evaluations_at ON evaluations(at);"
    "CREATE INDEX evaluations_header_from ON evaluations(header_from, at);"
    "CREATE TABLE evaluation_dkim ("
    "  evaluation BIGINT NOT NULL REFERENCES evaluations(id) ON DELETE CASCADE,"
    "  n BIGINT NOT NULL,"
    "  domain TEXT NOT NULL, selector TEXT NOT NULL, result TEXT NOT NULL,"
    "  PRIMARY KEY (evaluation, n));";

/* schema_v5 - the owner's marks on report sources (store_sqlite.c's
 * version 8; `inkan report mark`), one per (domain, network, prefix). */
static const char schema_v5[] =
    "CREATE TABLE report_marks ("
    "  domain TEXT NOT NULL,"
    "  network TEXT NOT NULL,"
    "  prefix INTEGER NOT NULL CHECK (prefix BETWEEN 0 AND 128),"
    "  mark TEXT NOT NULL CHECK (mark IN ('ours', 'spoof')),"
    "  created_at BIGINT NOT NULL,"
    "  note TEXT,"
    "  PRIMARY KEY (domain, network, prefix));";

/* migrations[i] takes a database from version i to i + 1. */
static const char *const migrations[PG_SCHEMA_VERSION] = {schema_v1, schema_v2, schema_v3,
                                                          schema_v4, schema_v5};

/* Parameters of one statement, as text (libpq's text format). */
struct params {
    int n;
    const char *v[PG_PARAMS_MAX];
    char num[PG_PARAMS_MAX][PG_INT_TEXT];
};

/* p_text - add a text parameter (NULL: SQL NULL) */
static void p_text(struct params *p, const char *v)
{
    if (p->n < PG_PARAMS_MAX)
        p->v[p->n++] = v;
}

/* p_int - add an integer parameter */
static void p_int(struct params *p, int64_t v)
{
    if (p->n >= PG_PARAMS_MAX)
        return;
    snprintf(p->num[p->n], PG_INT_TEXT, "%" PRId64, v);
    p->v[p->n] = p->num[p->n];
    p->n++;
}

/* msg_put - "database: what: MESSAGE" from a server or libpq message,
 * its trailing newline dropped */
static int msg_put(struct ink_str *err, const char *what, const char *msg)
{
    size_t len = msg ? strlen(msg) : 0;

    while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
        len--;
    ink_str_printf(err, "database: %s: %.*s", what, (int)len, msg ? msg : "");
    return -1;
}

/* res_err - the error of result r (or of the connection); returns -1 */
static int res_err(struct pg_store *s, const PGresult *r, struct ink_str *err, const char *what)
{
    const char *m = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;

    return msg_put(err, what, m ? m : PQerrorMessage(s->conn));
}

/* unique_violation - the statement broke a unique constraint (SQLSTATE 23505) */
static int unique_violation(const PGresult *r)
{
    const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;

    return st != NULL && strcmp(st, "23505") == 0;
}

/*
 * q - run sql with p's parameters on conn.  0 with *out the result
 * (caller PQclears; out NULL: cleared here), 1 on a unique violation
 * (nothing in *out), -1 with err set.
 */
static int q_on(PGconn *conn, const char *sql, const struct params *p,
                PGresult **out, struct ink_str *err, const char *what)
{
    PGresult *r = PQexecParams(conn, sql, p ? p->n : 0, NULL, p ? p->v : NULL, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);

    if (out != NULL)
        *out = NULL;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        if (out != NULL)
            *out = r;
        else
            PQclear(r);
        return 0;
    }
    if (unique_violation(r)) {
        PQclear(r);
        return 1;
    }
    if (r != NULL) {
        const char *m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
        msg_put(err, what, m ? m : PQerrorMessage(conn));
    } else {
        msg_put(err, what, PQerrorMessage(conn));
    }
    PQclear(r);
    return -1;
}

/* revive - reconnect when the server dropped the connection (it was
 * restarted; a long `inkan serve` or `domain watch` outlives that), only
 * between transactions: inside one the failure stands, so nothing half
 * done goes on in another session */
static void revive(struct pg_store *s)
{
    if (s->tx || s->in_report || PQstatus(s->conn) != CONNECTION_BAD)
        return;
    PQreset(s->conn);
    s->prepared = 0; /* prepared statements lived in the old session */
    if (PQstatus(s->conn) == CONNECTION_OK && s->readonly)
        PQclear(PQexec(s->conn, "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"));
}

/* q - q_on the store's main connection; outside a transaction, a
 * statement that found the connection dropped is sent once more over a
 * new one (libpq notices the drop only when a statement fails) */
static int q(struct pg_store *s, const char *sql, const struct params *p, PGresult **out,
             struct ink_str *err, const char *what)
{
    size_t before = err->len;
    int rc;

    revive(s);
    rc = q_on(s->conn, sql, p, out, err, what);
    if (rc < 0 && !s->tx && !s->in_report && PQstatus(s->conn) == CONNECTION_BAD) {
        revive(s);
        if (PQstatus(s->conn) == CONNECTION_OK) {
            ink_str_truncate(err, before);
            rc = q_on(s->conn, sql, p, out, err, what);
        }
    }
    return rc;
}

/* q_each - run sql with p's parameters on the main connection and give
 * each row of the result to fn (r holds that one row, row 0), a row at a
 * time (libpq's single-row mode: the client's memory does not grow with
 * the result).  fn returns 0 to go on, -1 (err set) to stop; the rest of
 * the result is still read and dropped, so the connection is ready for
 * the next statement.  0, or -1 with err set. */
static int q_each(struct pg_store *s, const char *sql, const struct params *p,
                  int (*fn)(void *arg, const PGresult *r, struct ink_str *err), void *arg,
                  struct ink_str *err, const char *what)
{
    PGresult *r;
    int failed = 0;

    revive(s);
    if (!PQsendQueryParams(s->conn, sql, p ? p->n : 0, NULL, p ? p->v : NULL, NULL, NULL, 0))
        return msg_put(err, what, PQerrorMessage(s->conn));
    if (!PQsetSingleRowMode(s->conn)) {
        msg_put(err, what, PQerrorMessage(s->conn));
        failed = 1;
    }
    while ((r = PQgetResult(s->conn)) != NULL) {
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_SINGLE_TUPLE) {
            if (!failed && fn(arg, r, err) < 0)
                failed = 1;
        } else if (st != PGRES_TUPLES_OK && !failed) {
            res_err(s, r, err, what);
            failed = 1;
        }
        PQclear(r);
    }
    return failed ? -1 : 0;
}

/* cmd - statements without parameters (transaction control, schema: the
 * simple query protocol, which runs several at once) */
static int cmd(struct pg_store *s, const char *sql, struct ink_str *err)
{
    PGresult *r;
    ExecStatusType st;
    char what[PG_WHAT_MAX];

    revive(s);
    r = PQexec(s->conn, sql);
    st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && !s->tx && strncmp(sql, "BEGIN", 5) == 0 &&
        PQstatus(s->conn) == CONNECTION_BAD) {
        /* the drop noticed here: a transaction not begun yet begins on a
         * new connection */
        PQclear(r);
        revive(s);
        r = PQexec(s->conn, sql);
        st = PQresultStatus(r);
    }
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        PQclear(r);
        if (strncmp(sql, "BEGIN", 5) == 0)
            s->tx = 1;
        else if (strcmp(sql, "COMMIT") == 0)
            s->tx = 0;
        return 0;
    }
    /* the statement's start says which (a migration is long) */
    snprintf(what, sizeof(what), "%.*s", (int)strcspn(sql, "("), sql);
    res_err(s, r, err, what);
    PQclear(r);
    return -1;
}

/* rollback - end a failed transaction (nothing to report) */
static void rollback(struct pg_store *s)
{
    PQclear(PQexec(s->conn, "ROLLBACK"));
    s->tx = 0;
}

/* val_dup - a field as a fresh string, NULL for SQL NULL (or no memory) */
static char *val_dup(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return NULL;
    return ink_memdup_cstr(PQgetvalue(r, row, col), (size_t)PQgetlength(r, row, col));
}

/* val_i64 - a field as an integer, 0 for SQL NULL */
static int64_t val_i64(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return 0;
    return (int64_t)strtoll(PQgetvalue(r, row, col), NULL, 10);
}

/* val_state - a state field */
static enum ink_vstate val_state(const PGresult *r, int row, int col)
{
    int v = PQgetisnull(r, row, col) ? -1 : ink_vstate_from_name(PQgetvalue(r, row, col));

    return v < 0 ? INK_VSTATE_NOT_STARTED : (enum ink_vstate)v;
}

/* affected - rows a command changed */
static long affected(PGresult *r)
{
    return strtol(PQcmdTuples(r), NULL, 10);
}

/* ---- domains ---- */

/* write_records - (re)write every record row of d */
static int write_records(struct pg_store *s, const struct ink_vdomain *d, int insert,
                         struct ink_str *err)
{
    static const char ins[] =
        "INSERT INTO records (domain, idx, owner, type, match, expect, purpose, state,"
        " seen, detail, recursive, last_check, verified_at, changed_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";
    static const char upd[] =
        "UPDATE records SET owner = $3, type = $4, match = $5, expect = $6, purpose = $7,"
        " state = $8, seen = $9, detail = $10, recursive = $11, last_check = $12,"
        " verified_at = $13, changed_at = $14 WHERE domain = $1 AND idx = $2";
    size_t i;

    for (i = 0; i < d->nrec; i++) {
        const struct ink_vrecord *r = &d->rec[i];
        struct params p = {0};
        p_text(&p, d->domain);
        p_int(&p, (int64_t)i);
        p_text(&p, r->owner);
        p_text(&p, ink_dns_type_name(r->type));
        p_text(&p, ink_vmatch_name(r->match));
        p_text(&p, r->expect);
        p_text(&p, r->purpose);
        p_text(&p, ink_vstate_name(r->state));
        p_text(&p, r->seen);
        p_text(&p, r->detail);
        p_text(&p, r->recursive);
        p_int(&p, r->last_check);
        p_int(&p, r->verified_at);
        p_int(&p, r->changed_at);
        if (q(s, insert ? ins : upd, &p, NULL, err, "write record") != 0) {
            if (err->len == 0)
                ink_str_puts(err, "database: write record: a duplicate record");
            return -1;
        }
    }
    return 0;
}

/* delete_domain_rows - remove a domain, its records and its history */
static int delete_domain_rows(struct pg_store *s, const char *domain, int *found,
                              struct ink_str *err)
{
    static const char *const sql[] = {"DELETE FROM records WHERE domain = $1",
                                      "DELETE FROM events WHERE domain = $1",
                                      "DELETE FROM domains WHERE name = $1"};
    size_t i;

    *found = 0;
    for (i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
        struct params p = {0};
        PGresult *r;
        p_text(&p, domain);
        if (q(s, sql[i], &p, &r, err, "delete") != 0)
            return -1;
        if (i == 2)
            *found = affected(r) > 0;
        PQclear(r);
    }
    return 0;
}

/* pg_add - insert a new domain with its records in one transaction */
static int pg_add(struct ink_store *base, struct ink_vdomain *d, int replace, struct ink_str *err)
{
    struct pg_store *s = (struct pg_store *)base;
    static const char ins[] =
        "INSERT INTO domains (name, profile, state, added_at, window_start, deadline,"
        " last_check, next_poll, state_since, verified_at, polls, rev)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1)";
    struct params p = {0};
    int found, rc;

    if (cmd(s, "BEGIN", err) < 0)
        return -1;
    if (replace && delete_domain_rows(s, d->domain, &found, err) < 0)
        goto fail;
    p_text(&p, d->domain);
    p_text(&p, d->profile);
    p_text(&p, ink_vstate_name(d->state));
    p_int(&p, d->added_at);
    p_int(&p, d->window_start);
    p_int(&p, d->deadline);
    p_int(&p, d->last_check);
    p_int(&p, d->next_poll);
    p_int(&p, d->state_since);
    p_int(&p, d->verified_at);
    p_int(&p, (int64_t)d->polls);
    rc = q(s, ins, &p, NULL, err, "add domain");
    if (rc == 1) {
        rollback(s);
        return INK_STORE_EXISTS;
    }
    if (rc < 0 || write_records(s, d, 1, err) < 0 || cmd(s, "COMMIT", err) < 0)
        goto fail;
    d->rev = 1;
    return 0;
fail:
    rollback(s);
    return -1;
}

/* load_records - read a domain's record rows into d */
static int load_records(struct pg_store *s, struct ink_vdomain *d, struct ink_str *err)
{
    static const char sql[] =
        "SELECT owner, type, match, expect, purpose, state, seen, detail, recursive,"
        " last_check, verified_at, changed_at FROM records WHERE domain = $1 ORDER BY idx";
    struct params p = {0};
    PGresult *r;
    int i, n;

    p_text(&p, d->domain);
    if (q(s, sql, &p, &r, err, "read records") != 0)
        return -1;
    n = PQntuples(r);
    for (i = 0; i < n; i++) {
        const char *type = PQgetvalue(r, i, 1);
        int m = ink_vmatch_from_name(PQgetvalue(r, i, 2));
        uint16_t t = ink_dns_type_from_name(type, strlen(type));
        struct ink_vrecord *rec;

        if (PQgetisnull(r, i, 0) || m < 0 || t == 0 ||
            ink_vdomain_add_record(d, PQgetvalue(r, i, 0), t, (enum ink_vmatch)m,
                                   PQgetvalue(r, i, 3),
                                   PQgetisnull(r, i, 4) ? NULL : PQgetvalue(r, i, 4)) < 0) {
            ink_str_printf(err, "database: a record of %s is unreadable", d->domain);
            PQclear(r);
            return -1;
        }
        rec = &d->rec[d->nrec - 1];
        rec->state = val_state(r, i, 5);
        rec->seen = val_dup(r, i, 6);
        rec->detail = val_dup(r, i, 7);
        rec->recursive = val_dup(r, i, 8);
        rec->last_check = val_i64(r, i, 9);
        rec->verified_at = val_i64(r, i, 10);
        rec->changed_at = val_i64(r, i, 11);
    }
    PQclear(r);
    return 0;
}

#define DOMAIN_COLUMNS                                                                   \
    "name, profile, state, added_at, window_start, deadline, last_check, next_poll,"    \
    " state_since, verified_at, polls, rev"

/* domain_from_row - build a domain from a DOMAIN_COLUMNS row and its records */
static struct ink_vdomain *domain_from_row(struct pg_store *s, const PGresult *r, int row,
                                           struct ink_str *err)
{
    struct ink_vdomain *d;

    if (PQgetisnull(r, row, 0)) {
        ink_str_puts(err, "database: a domain row has no name");
        return NULL;
    }
    d = ink_vdomain_new(PQgetvalue(r, row, 0),
                        PQgetisnull(r, row, 1) ? NULL : PQgetvalue(r, row, 1),
                        val_i64(r, row, 3));
    if (d == NULL) {
        ink_str_puts(err, "database: a domain row is unreadable");
        return NULL;
    }
    d->state = val_state(r, row, 2);
    d->window_start = val_i64(r, row, 4);
    d->deadline = val_i64(r, row, 5);
    d->last_check = val_i64(r, row, 6);
    d->next_poll = val_i64(r, row, 7);
    d->state_since = val_i64(r, row, 8);
    d->verified_at = val_i64(r, row, 9);
    d->polls = (unsigned)val_i64(r, row, 10);
    d->rev = val_i64(r, row, 11);
    if (load_records(s, d, err) < 0) {
        ink_vdomain_free(d);
        return NULL;
    }
    return d;
}

/* read_begin - a read-only snapshot, so a domain's rows are consistent */
static int read_begin(struct pg_store *s, struct ink_str *err)
{
    return cmd(s, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err);
}

/* pg_get - load one domain */
static int pg_get(struct ink_store *base, const char *domain, struct ink_vdomain **out,
                  struct ink_str *err)
{
    struct pg_store *s = (struct pg_store *)base;
    struct params p = {0};
    PGresult *r;
    int ret = INK_STORE_NOT_FOUND;

    *out = NULL;
    if (read_begin(s, err) < 0)
        return -1;
    p_text(&p, domain);
    if (q(s, "SELECT " DOMAIN_COLUMNS " FROM domains WHERE name = $1", &p, &r, err,
          "read domain") != 0) {
        rollback(s);
        return -1;
    }
    if (PQntuples(r) > 0) {
        *out = domain_from_row(s, r, 0, err);
        ret = *out ? 0 : -1;
    }
    PQclear(r);
    rollback(s); /* read only: nothing to keep */
    return ret;
}

/* pg_list - every domain by name */
static int pg_list(struct ink_store *base, struct ink_vdomain ***out, size_t *n,
                   struct ink_str *err)
{
    struct pg_store *s = (struct pg_store *)base;
    PGresult *r;
    int i, rows;

    *out = NULL;
    *n = 0;
    if (read_begin(s, err) < 0)
        return -1;
    if (q(s, "SELECT " DOMAIN_COLUMNS " FROM domains ORDER BY name COLLATE \"C\"", NULL, &r,
          err, "list domains") != 0) {
        rollback(s);
        return -1;
    }
    rows = PQntuples(r);
    if (rows > 0) {
        *out = calloc((size_t)rows, sizeof(**out));
        if (*out == NULL) {
            ink_str_puts(err, "out of memory");
            goto fail;
        }
    }
    for (i = 0; i < rows; i++) {
        struct ink_vdomain *d = domain_from_row(s, r, i, err);
        if (d == NULL)
            goto fail;
        (*out)[(*n)++] = d;
    }
    PQclear(r);
    rollback(s);
    return 0;
fail:
    PQclear(r);
    rollback(s);
    ink_store_domains_free(*out, *n);
    *out = NULL;
    *n = 0;
    return -1;
}

/* pg_save - one check's result: domain row, record rows and history rows;
 * the revision guard makes a concurrent saver's UPDATE wait for ours,
 * then match no row (INK_STORE_CONFLICT) */
static int pg_save(struct ink_store *base, struct ink_vdomain *d, const struct ink_vchange *ch,
                   size_t nch, struct ink_str *err)
{
    struct pg_store *s = (struct pg_store *)base;
    static const char upd[] =
        "UPDATE domains SET state = $2, window_start = $3, deadline = $4, last_check = $5,"
        " next_poll = $6, state_since = $7, verified_at = $8, polls = $9, rev = rev + 1"
        " WHERE name = $1 AND rev = $10";
    static const char ev[] =
        "INSERT INTO events (domain, at, record, owner, type, from_state, to_state, detail)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    struct params p = {0};
    PGresult *r;
    size_t i;
    long changed;

    if (cmd(s, "BEGIN", err) < 0)
        return -1;
    p_text(&p, d->domain);
    p_text(&p, ink_vstate_name(d->state));
    p_int(&p, d->window_start);
    p_int(&p, d->deadline);
    p_int(&p, d->last_check);
    p_int(&p, d->next_poll);
    p_int(&p, d->state_since);
    p_int(&p, d->verified_at);
    p_int(&p, (int64_t)d->polls);
    p_int(&p, d->rev);
    if (q(s, upd, &p, &r, err, "save domain") != 0)
        goto fail;
    changed = affected(r);
    PQclear(r);
    if (changed == 0) {
        rollback(s);
        ink_str_printf(err, "%s was changed by another inkan process meanwhile", d->domain);
        return INK_STORE_CONFLICT;
    }
    if (write_records(s, d, 0, err) < 0)
        goto fail;
    for (i = 0; i < nch; i++) {
        const struct ink_vrecord *rec = ch[i].record >= 0 && (size_t)ch[i].record < d->nrec
                                            ? &d->rec[ch[i].record] : NULL;
        struct params e = {0};
        p_text(&e, d->domain);
        p_int(&e, ch[i].at);
        p_int(&e, rec ? ch[i].record : -1);
        p_text(&e, rec ? rec->owner : NULL);
        p_text(&e, rec ? ink_dns_type_name(rec->type) : NULL);
        p_text(&e, ink_vstate_name(ch[i].from));
        p_text(&e, ink_vstate_name(ch[i].to));
        p_text(&e, rec ? rec->detail : NULL);
        if (q(s, ev, &e, NULL, err, "save history") != 0)
            goto fail;
    }
    if (cmd(s, "COMMIT", err) < 0)
        goto fail;
    d->rev++;
    return 0;
fail:
    rollback(s);
    return -1;
}

/* pg_remove - forget a domain */
static int pg_remove(struct ink_store *base, const char *domain, struct ink_str *err)
{
    struct pg_store *s = (struct pg_store *)base;
    int found;

    if (cmd(s, "BEGIN", err) < 0)
        return -1;
    if (delete_domain_rows(s, domain, &found, err) < 0 || cmd(s, "COMMIT", err) < 0) {
        rollback(s);
        return -1;
    }
    return found ? 0 : INK_STORE_NOT_FOUND;
}

/* pg_due - domains to poll now, and the next poll time after now */
static int pg_due(struct ink_store *base, int64_t now, char ***names, size_t *n, int64_t *next,
                  struct ink_str *err)
{
    struct pg_store *s = (struct pg_store *)base;
    struct params p = {0};
    PGresult *r;
    int i, rows;

    *names = NULL;
    *n = 0;
    *next = 0;
    p_int(&p, now);
    if (q(s, "SELECT name FROM domains WHERE next_poll > 0 AND next_poll <= $1"
             " AND state <> 'FAILURE' ORDER BY next_poll, name COLLATE \"C\"",
          &p, &r, err, "due domains") != 0)
        return -1;
    rows = PQntuples(r);
    if (rows > 0 && (*names = calloc((size_t)rows, sizeof(**names))) == NULL) {
        PQclear(r);
        ink_str_puts(err, "out of memory");
        return -1;
    }
    for (i = 0; i < rows; i++) {
        char *name = val_dup(r, i, 0);
        if (name == NULL) {
            PQclear(r);
            ink_store_names_free(*names, *n);
            *names = NULL;
            *n = 0;
            ink_str_puts(err, "out of memory");
            return -1;
        }
        (*names)[(*n)++] = name;
    }
    PQclear(r);
    if (q(s, "SELECT MIN(next_poll) FROM domains WHERE next_poll > $1 AND state <> 'FAILURE'",
          &p, &r, err, "due domains") != 0)
        return -1;
    if (PQntuples(r) > 0)
        *next = val_i64(r, 0, 0);
    PQclear(r);
    return 0;
}

/* pg_history - the latest changes of a domain, oldest first */
static int pg_history(struct ink_store *base, const char *domain, size_t limit,
                      struct ink_store_event **out, size_t *n, struct ink_str *err)
{
    struct pg_store *s = (struct pg_store *)base;
    struct params p = {0};
    PGresult *r;
    int i, rows;

    *out = NULL;
    *n = 0;
    if (limit > INK_STORE_HISTORY_MAX)
        limit = INK_STORE_HISTORY_MAX;
    if (limit == 0)
        return 0;
    p_text(&p, domain);
    p_int(&p, (int64_t)limit);
    if (q(s, "SELECT at, record, owner, type, from_state, to_state, detail FROM"
             " (SELECT * FROM events WHERE domain = $1 ORDER BY id DESC LIMIT $2) e"
             " ORDER BY id",
          &p, &r, err, "read history") != 0)
        return -1;
    *out = calloc(limit, sizeof(**out));
    if (*out == NULL) {
        PQclear(r);
        ink_str_puts(err, "out of memory");
        return -1;
    }
    rows = PQntuples(r);
    for (i = 0; i < rows && *n < limit; i++) {
        struct ink_store_event *e = &(*out)[(*n)++];
        e->at = val_i64(r, i, 0);
        e->record = (long)val_i64(r, i, 1);
        e->owner = val_dup(r, i, 2);
        e->type = val_dup(r, i, 3);
        e->from = val_state(r, i, 4);
        e->to = val_state(r, i, 5);
        e->detail = val_dup(r, i, 6);
    }
    PQclear(r);
    return 0;
}

/* ---- DMARC reports ---- */

/* The statements of one report's records (prepared once per connection). */
static const char st_row_sql[] =
    "INSERT INTO report_rows (report, idx, source_ip, count, disposition, dkim, spf,"
    " header_from, envelope_from, envelope_to, authenticated)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
static const char st_auth_sql[] =
    "INSERT INTO report_auth (report, idx, kind, n, domain, selector, scope, result,"
    " human_result) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
static const char st_reason_sql[] =
    "INSERT INTO report_reasons (report, idx, n, type, comment) VALUES ($1, $2, $3, $4, $5)";

/* prepare_report - prepare the record statements, once */
static int prepare_report(struct pg_store *s, struct ink_str *err)
{
    static const char *const name[] = {"ink_row", "ink_auth", "ink_reason"};
    const char *sql[] = {st_row_sql, st_auth_sql, st_reason_sql};
    size_t i;

    if (s->prepared)
        return 0;
    for (i = 0; i < 3; i++) {
        PGresult *r = PQprepare(s->conn, name[i], sql[i], 0, NULL);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            res_err(s, r, err, "prepare");
            PQclear(r);
            return -1;
        }
        PQclear(r);
    }
    s->prepared = 1;
    return 0;
}

/* pipe_drain - sync the pipeline and read every result sent; -1 with
 * the first error (the rest of the batch was then skipped by the server) */
static int pipe_drain(struct pg_store *s, struct ink_str *err)
{
    PGresult *r;
    size_t i;
    int rc = 0;

    if (!s->pipeline)
        return 0;
    if (!PQpipelineSync(s->conn))
        return msg_put(err, "store a report record", PQerrorMessage(s->conn));
    for (i = 0; i < s->pending; i++) {
        while ((r = PQgetResult(s->conn)) != NULL) {
            ExecStatusType st = PQresultStatus(r);
            if (st == PGRES_FATAL_ERROR && rc == 0)
                rc = res_err(s, r, err, "store a report record");
            PQclear(r);
        }
        if (PQstatus(s->conn) == CONNECTION_BAD) {
            s->pending = 0;
            return rc < 0 ? rc : msg_put(err, "store a report record", PQerrorMessage(s->conn));
        }
    }
    s->pending = 0;
    r = PQgetResult(s->conn); /* the sync */
    if (PQresultStatus(r) != PGRES_PIPELINE_SYNC && rc == 0)
        rc = res_err(s, r, err, "store a report record");
    PQclear(r);
    return rc;
}

/* pipe_end - drain and leave pipeline mode (before a plain statement) */
static int pipe_end(struct pg_store *s, struct ink_str *err)
{
    int rc = pipe_drain(s, err);

    if (s->pipeline) {
        if (!PQexitPipelineMode(s->conn) && rc == 0)
            rc = msg_put(err, "store a report", PQerrorMessage(s->conn));
        s->pipeline = 0;
    }
    return rc;
}

/* pg_report_abort - roll the open report back */
static void pg_report_abort(struct ink_store *base)
{
    struct pg_store *s = (struct pg_store *)base;
    struct ink_str ignored = INK_STR_INIT;

    if (!s->in_report)
        return;
    pipe_end(s, &ignored);
    ink_str_free(&ignored);
    rollback(s);
    s->in_report = 0;
}

/* count_duplicate - one more duplicate of the report the statement
 * matches (a transaction of its own, after the rollback) */
static int count_duplicate(struct pg_store *s, const char *sql, const char *a, const char *b,
                           struct ink_str *err)
{
    struct params p = {0};

    p_text(&p, a);
    if (b != NULL)
        p_text(&p, b);
    return q(s, sql, &p, NULL, err, "count a duplicate report") == 0 ? 0 : -1;
}

/* pg_report_begin - open the report's transaction and write its row */
static int pg_report_begin(struct ink_store *base, const struct ink_report_meta *m,
                           const char *source, struct ink_str *err)
{
    static const char ins[] =
        "INSERT INTO reports (org_name, report_id, email, format, domain, begin_at, end_at,"
        " adkim, aspf, p, sp, np, pct, testing, source)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
        " RETURNING id";
    struct pg_store *s = (struct pg_store *)base;
    char adkim[2] = {m->adkim, 0}, aspf[2] = {m->aspf, 0};
    struct params p = {0};
    PGresult *r;
    int rc;

    if (s->in_report)
        pg_report_abort(base);
    if (prepare_report(s, err) < 0 || cmd(s, "BEGIN", err) < 0)
        return -1;
    s->in_report = 1;
    s->nrows = s->messages = 0;
    p_text(&p, m->org_name);
    p_text(&p, m->report_id);
    p_text(&p, m->email);
    p_text(&p, ink_report_format_name(m->format));
    p_text(&p, m->domain);
    p_int(&p, m->begin);
    p_int(&p, m->end);
    p_text(&p, adkim);
    p_text(&p, aspf);
    p_text(&p, m->p);
    p_text(&p, m->sp);
    p_text(&p, m->np);
    if (m->pct >= 0)
        p_int(&p, m->pct);
    else
        p_text(&p, NULL);
    p_text(&p, m->testing);
    p_text(&p, source);
    rc = q(s, ins, &p, &r, err, "store the report");
    if (rc == 1) {
        pg_report_abort(base);
        if (count_duplicate(s,
                            "UPDATE reports SET duplicates = duplicates + 1"
                            " WHERE org_name = $1 AND report_id = $2",
                            m->org_name, m->report_id, err) < 0)
            return -1;
        return INK_STORE_EXISTS;
    }
    if (rc < 0) {
        pg_report_abort(base);
        return -1;
    }
    s->report = val_i64(r, 0, 0);
    PQclear(r);
    if (!PQenterPipelineMode(s->conn)) {
        msg_put(err, "store the report", PQerrorMessage(s->conn));
        pg_report_abort(base);
        return -1;
    }
    s->pipeline = 1;
    s->pending = 0;
    return 0;
}

/* pipe_send - queue one prepared insert of the open report, reading the
 * results back every PG_PIPELINE_BATCH statements */
static int pipe_send(struct pg_store *s, const char *stmt, const struct params *p,
                     struct ink_str *err)
{
    if (!PQsendQueryPrepared(s->conn, stmt, p->n, p->v, NULL, NULL, 0))
        return msg_put(err, "store a report record", PQerrorMessage(s->conn));
    s->pending++;
    return s->pending >= PG_PIPELINE_BATCH ? pipe_drain(s, err) : 0;
}

/* pg_report_record - one record, its auth results and reasons */
static int pg_report_record(struct ink_store *base, const struct ink_report_record *r,
                            struct ink_str *err)
{
    struct pg_store *s = (struct pg_store *)base;
    struct params p = {0};
    int64_t idx;
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
    s->messages += (int64_t)r->count;
    for (i = 0; i < r->ndkim; i++)
        if (r->dkim_auth[i].result && strcmp(r->dkim_auth[i].result, "pass") == 0)
            authenticated = 1;
    for (i = 0; i < r->nspf; i++)
        if (r->spf_auth[i].result && strcmp(r->spf_auth[i].result, "pass") == 0)
            authenticated = 1;
    p_int(&p, s->report);
    p_int(&p, idx);
    p_text(&p, r->source_ip);
    p_int(&p, (int64_t)r->count);
    p_text(&p, r->disposition);
    p_text(&p, r->dkim);
    p_text(&p, r->spf);
    p_text(&p, r->header_from);
    p_text(&p, r->envelope_from);
    p_text(&p, r->envelope_to);
    p_int(&p, authenticated);
    if (pipe_send(s, "ink_row", &p, err) < 0)
        return -1;
    for (i = 0; i < r->ndkim + r->nspf; i++) {
        int dk = i < r->ndkim;
        const struct ink_report_dkim_auth *d = dk ? &r->dkim_auth[i] : NULL;
        const struct ink_report_spf_auth *f = dk ? NULL : &r->spf_auth[i - r->ndkim];
        struct params a = {0};
        p_int(&a, s->report);
        p_int(&a, idx);
        p_text(&a, dk ? "dkim" : "spf");
        p_int(&a, (int64_t)(dk ? i : i - r->ndkim));
        p_text(&a, dk ? d->domain : f->domain);
        p_text(&a, dk ? d->selector : NULL);
        p_text(&a, dk ? NULL : f->scope);
        p_text(&a, dk ? d->result : f->result);
        p_text(&a, dk ? d->human_result : f->human_result);
        if (pipe_send(s, "ink_auth", &a, err) < 0)
            return -1;
    }
    for (i = 0; i < r->nreason; i++) {
        struct params e = {0};
        p_int(&e, s->report);
        p_int(&e, idx);
        p_int(&e, (int64_t)i);
        p_text(&e, r->reason[i].type);
        p_text(&e, r->reason[i].comment);
        if (pipe_send(s, "ink_reason", &e, err) < 0)
            return -1;
    }
    return 0;
}

/* pg_report_commit - same bytes stored already?  else commit */
static int pg_report_commit(struct ink_store *base, const char *sha256_hex, uint64_t bytes,
                            const char *notes, struct ink_str *err)
{
    struct pg_store *s = (struct pg_store *)base;
    struct params p = {0};
    int rc;

    if (!s->in_report) {
        ink_str_puts(err, "database: no report open");
        return -1;
    }
    if (pipe_end(s, err) < 0) {
        pg_report_abort(base);
        return -1;
    }
    p_int(&p, s->report);
    p_text(&p, sha256_hex);
    p_int(&p, (int64_t)bytes);
    p_text(&p, notes);
    p_int(&p, s->nrows);
    p_int(&p, s->messages);
    rc = q(s,
           "UPDATE reports SET sha256 = $2, bytes = $3, notes = $4, records = $5,"
           " messages = $6 WHERE id = $1",
           &p, NULL, err, "store the report");
    if (rc == 1) { /* the sha256 is there: the same bytes */
        pg_report_abort(base);
        if (count_duplicate(s, "UPDATE reports SET duplicates = duplicates + 1 WHERE sha256 = $1",
                            sha256_hex, NULL, err) < 0)
            return -1;
        return INK_STORE_EXISTS;
    }
    if (rc < 0 || cmd(s, "COMMIT", err) < 0) {
        pg_report_abort(base);
        return -1;
    }
    s->in_report = 0;
    return 0;
}

/* pg_report_failure_add - one failure report, unless its bytes are stored */
static int pg_report_failure_add(struct ink_store *base, const struct ink_arf *a,
                                 const char *headers, const char *sha256_hex, const char *source,
                                 struct ink_str *err)
{
    static const char ins[] =
        "INSERT INTO failure_reports (domain, feedback_type, user_agent, version, auth_failure,"
        " source_ip, arrival_date, reporting_mta, original_mail_from, original_rcpt_to,"
        " original_envelope_id, authentication_results, delivery_result, dkim_domain,"
        " dkim_identity, dkim_selector, spf_dns, identity_alignment, reported_domains, headers,"
        " sha256, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,"
        " $15, $16, $17, $18, $19, $20, $21, $22)";
    struct pg_store *s = (struct pg_store *)base;
    struct ink_str doms = INK_STR_INIT;
    struct params p = {0};
    size_t i;
    int rc;

    if (s->in_report)
        pg_report_abort(base);
    for (i = 0; i < a->nreported_domain; i++)
        ink_str_printf(&doms, "%s%s", i ? " " : "", a->reported_domain[i]);
    p_text(&p, a->nreported_domain ? a->reported_domain[0] : a->dkim_domain);
    p_text(&p, a->feedback_type);
    p_text(&p, a->user_agent);
    p_text(&p, a->version);
    p_text(&p, a->auth_failure);
    p_text(&p, a->source_ip);
    p_text(&p, a->arrival_date);
    p_text(&p, a->reporting_mta);
    p_text(&p, a->original_mail_from);
    p_text(&p, a->original_rcpt_to);
    p_text(&p, a->original_envelope_id);
    p_text(&p, a->authentication_results);
    p_text(&p, a->delivery_result);
    p_text(&p, a->dkim_domain);
    p_text(&p, a->dkim_identity);
    p_text(&p, a->dkim_selector);
    p_text(&p, a->spf_dns);
    p_text(&p, a->identity_alignment);
    p_text(&p, doms.len ? doms.buf : NULL);
    p_text(&p, headers);
    p_text(&p, sha256_hex);
    p_text(&p, source);
    rc = q(s, ins, &p, NULL, err, "store the failure report");
    ink_str_free(&doms);
    if (rc == 1) {
        if (count_duplicate(s,
                            "UPDATE failure_reports SET duplicates = duplicates + 1"
                            " WHERE sha256 = $1",
                            sha256_hex, NULL, err) < 0)
            return -1;
        return INK_STORE_EXISTS;
    }
    return rc;
}

/* The slots the source-domain queries fill. */
static char **slot_pass_spf(struct ink_report_source *x) { return &x->spf_pass_domains; }
static char **slot_pass_dkim(struct ink_report_source *x) { return &x->dkim_pass_domains; }
static char **slot_auth_spf(struct ink_report_source *x) { return &x->spf_auth_domains; }
static char **slot_auth_dkim(struct ink_report_source *x) { return &x->dkim_auth_domains; }

/* src_cmp - sources by address (bsearch over an index of them) */
static int src_cmp(const void *a, const void *b)
{
    const struct ink_report_source *x = *(const struct ink_report_source *const *)a;
    const struct ink_report_source *y = *(const struct ink_report_source *const *)b;

    return strcmp(x->ip, y->ip);
}

/* fill_domains - run sql (domain, kind, since, until; rows: ip, domains)
 * once for the domain and put each listed source's domains (only_failing:
 * of sources not all aligned) into slot(src): one query per kind, not one
 * per source (a round trip each) */
static int fill_domains(struct pg_store *s, struct ink_report_summary *sum,
                        struct ink_report_source **index, const char *sql, int only_failing,
                        const char *kind, char **(*slot)(struct ink_report_source *),
                        int64_t since, int64_t until, struct ink_str *err)
{
    struct params p = {0};
    PGresult *r;
    int i, rows;

    p_text(&p, sum->domain);
    p_text(&p, kind);
    p_int(&p, since);
    p_int(&p, until);
    if (q(s, sql, &p, &r, err, "read source results") != 0)
        return -1;
    rows = PQntuples(r);
    for (i = 0; i < rows; i++) {
        struct ink_report_source key, *kp = &key, **hit;
        key.ip = PQgetvalue(r, i, 0);
        hit = bsearch(&kp, index, sum->nsources, sizeof(*index), src_cmp);
        if (hit != NULL && *slot(*hit) == NULL &&
            (!only_failing || (*hit)->dmarc_pass < (*hit)->messages))
            *slot(*hit) = val_dup(r, i, 1);
    }
    PQclear(r);
    return 0;
}

/* source_auth_domains - for each source not aligned, the domains its SPF
 * and DKIM results passed for in the rows that failed DMARC; for every
 * source, those of any row (platform recognition); the reports that begin
 * in [since, until] */
static int source_auth_domains(struct pg_store *s, struct ink_report_summary *sum,
                               int64_t since, int64_t until, struct ink_str *err)
{
    static const char failing[] =
        "SELECT ip, string_agg(d, ' ' ORDER BY d COLLATE \"C\") FROM (SELECT DISTINCT"
        "  r.source_ip AS ip, CASE WHEN a.kind = 'dkim' AND a.selector IS NOT NULL"
        "   THEN a.domain || '/' || a.selector ELSE a.domain END AS d"
        " FROM report_auth a JOIN report_rows r ON r.report = a.report AND r.idx = a.idx"
        " JOIN reports rep ON rep.id = r.report"
        " WHERE rep.domain = $1 AND a.kind = $2 AND a.result = 'pass'"
        "  AND a.domain IS NOT NULL AND rep.begin_at BETWEEN $3 AND $4"
        "  AND NOT (COALESCE(r.dkim = 'pass', false) OR COALESCE(r.spf = 'pass', false))) x"
        " GROUP BY ip";
    static const char all[] =
        "SELECT ip, string_agg(d, ' ' ORDER BY d COLLATE \"C\") FROM (SELECT DISTINCT"
        "  r.source_ip AS ip, a.domain AS d"
        " FROM report_auth a JOIN report_rows r ON r.report = a.report AND r.idx = a.idx"
        " JOIN reports rep ON rep.id = r.report"
        " WHERE rep.domain = $1 AND a.kind = $2 AND a.result = 'pass'"
        "  AND a.domain IS NOT NULL AND rep.begin_at BETWEEN $3 AND $4) x GROUP BY ip";
    struct ink_report_source **index;
    size_t i;
    int rc;

    if (sum->nsources == 0)
        return 0;
    index = calloc(sum->nsources, sizeof(*index));
    if (index == NULL) {
        ink_str_puts(err, "out of memory");
        return -1;
    }
    for (i = 0; i < sum->nsources; i++) {
        index[i] = &sum->sources[i];
        if (index[i]->ip == NULL) {
            free(index);
            ink_str_puts(err, "out of memory");
            return -1;
        }
    }
    qsort(index, sum->nsources, sizeof(*index), src_cmp);
    /* the pass domains only of sources not all aligned, as store_sqlite.c
     * asks (a failing row of count 0 does not make a source failing) */
    rc = fill_domains(s, sum, index, failing, 1, "spf", slot_pass_spf, since, until, err) < 0 ||
                 fill_domains(s, sum, index, failing, 1, "dkim", slot_pass_dkim, since, until,
                              err) < 0 ||
                 fill_domains(s, sum, index, all, 0, "spf", slot_auth_spf, since, until, err) < 0 ||
                 fill_domains(s, sum, index, all, 0, "dkim", slot_auth_dkim, since, until, err) < 0
             ? -1
             : 0;
    free(index);
    return rc;
}

/* summary_sources - the sources of one domain over the reports that
 * begin in [since, until], most messages first */
static int summary_sources(struct pg_store *s, struct ink_report_summary *sum, int64_t since,
                           int64_t until, struct ink_str *err)
{
    static const char sql[] =
        "SELECT r.source_ip, SUM(r.count),"
        " SUM(CASE WHEN r.dkim = 'pass' OR r.spf = 'pass' THEN r.count ELSE 0 END),"
        " SUM(CASE WHEN r.spf = 'pass' THEN r.count ELSE 0 END),"
        " SUM(CASE WHEN r.dkim = 'pass' THEN r.count ELSE 0 END),"
        " SUM(CASE WHEN NOT (COALESCE(r.dkim = 'pass', false) OR COALESCE(r.spf = 'pass', false))"
        "  AND r.authenticated <> 0 THEN r.count ELSE 0 END),"
        " (SELECT ptr FROM report_ptr WHERE ip = r.source_ip),"
        " (SELECT looked_up_at FROM report_ptr WHERE ip = r.source_ip)"
        " FROM report_rows r JOIN reports rep ON rep.id = r.report"
        " WHERE rep.domain = $1 AND rep.begin_at BETWEEN $3 AND $4 GROUP BY r.source_ip"
        " ORDER BY 2 DESC, r.source_ip COLLATE \"C\" LIMIT $2";
    struct params p = {0};
    PGresult *r;
    int i, rows;

    p_text(&p, sum->domain);
    p_int(&p, INK_STORE_SOURCES_MAX);
    p_int(&p, since);
    p_int(&p, until);
    if (q(s, sql, &p, &r, err, "read report sources") != 0)
        return -1;
    rows = PQntuples(r);
    if (rows > 0 && (sum->sources = calloc((size_t)rows, sizeof(*sum->sources))) == NULL) {
        PQclear(r);
        ink_str_puts(err, "out of memory");
        return -1;
    }
    for (i = 0; i < rows; i++) {
        struct ink_report_source *src = &sum->sources[sum->nsources++];
        src->ip = val_dup(r, i, 0);
        src->messages = (uint64_t)val_i64(r, i, 1);
        src->dmarc_pass = (uint64_t)val_i64(r, i, 2);
        src->spf_aligned_pass = (uint64_t)val_i64(r, i, 3);
        src->dkim_aligned_pass = (uint64_t)val_i64(r, i, 4);
        src->fail_authenticated = (uint64_t)val_i64(r, i, 5);
        src->ptr = val_dup(r, i, 6);
        src->ptr_looked_up_at = val_i64(r, i, 7);
        src->class = ink_report_source_class(src->messages, src->dmarc_pass,
                                             src->spf_aligned_pass, src->dkim_aligned_pass,
                                             src->fail_authenticated);
    }
    PQclear(r);
    return source_auth_domains(s, sum, since, until, err);
}

/* pg_report_summary_span - totals per policy domain over the reports
 * that begin in [since, until], then its sources (one snapshot, so the
 * totals and the sources agree under a running import); the failure
 * reports are counted over the whole store, as store_sqlite.c does */
static int pg_report_summary_span(struct ink_store *base, const char *domain, int64_t since,
                                  int64_t until, struct ink_report_summary **out, size_t *n,
                                  struct ink_str *err)
{
    static const char sql[] =
        "SELECT rep.domain, COUNT(*), SUM(rep.duplicates), MIN(rep.begin_at), MAX(rep.end_at),"
        " (SELECT COALESCE(SUM(r.count), 0) FROM report_rows r JOIN reports x ON x.id = r.report"
        "   WHERE x.domain = rep.domain AND x.begin_at BETWEEN $2 AND $3),"
        " (SELECT COALESCE(SUM(r.count), 0) FROM report_rows r JOIN reports x ON x.id = r.report"
        "   WHERE x.domain = rep.domain AND x.begin_at BETWEEN $2 AND $3"
        "   AND (r.dkim = 'pass' OR r.spf = 'pass')),"
        " (SELECT COALESCE(SUM(r.count), 0) FROM report_rows r JOIN reports x ON x.id = r.report"
        "   WHERE x.domain = rep.domain AND x.begin_at BETWEEN $2 AND $3 AND r.spf = 'pass'),"
        " (SELECT COALESCE(SUM(r.count), 0) FROM report_rows r JOIN reports x ON x.id = r.report"
        "   WHERE x.domain = rep.domain AND x.begin_at BETWEEN $2 AND $3 AND r.dkim = 'pass'),"
        " (SELECT COUNT(*) FROM failure_reports f WHERE f.domain = rep.domain),"
        " (SELECT p FROM reports x WHERE x.domain = rep.domain AND x.begin_at BETWEEN $2 AND $3"
        "   ORDER BY end_at DESC, id DESC LIMIT 1),"
        " (SELECT testing FROM reports x WHERE x.domain = rep.domain"
        "   AND x.begin_at BETWEEN $2 AND $3 ORDER BY end_at DESC, id DESC LIMIT 1)"
        " FROM reports rep WHERE ($1::text IS NULL OR rep.domain = $1)"
        " AND rep.begin_at BETWEEN $2 AND $3"
        " GROUP BY rep.domain ORDER BY rep.domain COLLATE \"C\"";
    struct pg_store *s = (struct pg_store *)base;
    struct ink_report_summary *sum = NULL;
    struct params p = {0};
    PGresult *r;
    size_t cnt = 0, i;
    int rows, k;

    *out = NULL;
    *n = 0;
    if (read_begin(s, err) < 0)
        return -1;
    p_text(&p, domain);
    p_int(&p, since);
    p_int(&p, until);
    if (q(s, sql, &p, &r, err, "read report summary") != 0) {
        rollback(s);
        return -1;
    }
    rows = PQntuples(r);
    if (rows > 0 && (sum = calloc((size_t)rows, sizeof(*sum))) == NULL) {
        PQclear(r);
        rollback(s);
        ink_str_puts(err, "out of memory");
        return -1;
    }
    for (k = 0; k < rows; k++) {
        struct ink_report_summary *d = &sum[cnt++];
        d->domain = val_dup(r, k, 0);
        d->reports = (uint64_t)val_i64(r, k, 1);
        d->duplicates = (uint64_t)val_i64(r, k, 2);
        d->begin = val_i64(r, k, 3);
        d->end = val_i64(r, k, 4);
        d->messages = (uint64_t)val_i64(r, k, 5);
        d->dmarc_pass = (uint64_t)val_i64(r, k, 6);
        d->dmarc_fail = d->messages - d->dmarc_pass;
        d->spf_aligned_pass = (uint64_t)val_i64(r, k, 7);
        d->dkim_aligned_pass = (uint64_t)val_i64(r, k, 8);
        d->failure_reports = (uint64_t)val_i64(r, k, 9);
        d->p = val_dup(r, k, 10);
        d->testing = val_dup(r, k, 11);
    }
    PQclear(r);
    for (i = 0; i < cnt; i++)
        if (summary_sources(s, &sum[i], since, until, err) < 0) {
            rollback(s);
            ink_report_summaries_free(sum, cnt);
            return -1;
        }
    rollback(s);
    *out = sum;
    *n = cnt;
    return 0;
}

/* pg_report_summary - every stored report */
static int pg_report_summary(struct ink_store *base, const char *domain,
                             struct ink_report_summary **out, size_t *n, struct ink_str *err)
{
    return pg_report_summary_span(base, domain, INT64_MIN, INT64_MAX, out, n, err);
}

/* pg_report_timeline - messages and DMARC results per UTC day of the
 * reports' begin, over the reports that begin in [since, until]; the day
 * is computed from the epoch seconds (no time zone of the server or the
 * session takes part), rounded down before 1970 too, as store_sqlite.c
 * does.  Caller frees *out. */
static int pg_report_timeline(struct ink_store *base, const char *domain, int64_t since,
                              int64_t until, struct ink_report_day **out, size_t *n,
                              struct ink_str *err)
{
    static const char sql[] =
        "SELECT d, COUNT(DISTINCT id), SUM(cnt), SUM(pass) FROM ("
        " SELECT (rep.begin_at - ((rep.begin_at % 86400) + 86400) % 86400) AS d, rep.id AS id,"
        "  COALESCE(r.count, 0) AS cnt,"
        "  CASE WHEN r.dkim = 'pass' OR r.spf = 'pass' THEN r.count ELSE 0 END AS pass"
        " FROM reports rep LEFT JOIN report_rows r ON r.report = rep.id"
        " WHERE ($1::text IS NULL OR rep.domain = $1) AND rep.begin_at BETWEEN $2 AND $3) x"
        " GROUP BY d ORDER BY d";
    struct pg_store *s = (struct pg_store *)base;
    struct ink_report_day *v = NULL;
    struct params p = {0};
    PGresult *r;
    int i, rows;

    *out = NULL;
    *n = 0;
    p_text(&p, domain);
    p_int(&p, since);
    p_int(&p, until);
    if (q(s, sql, &p, &r, err, "read the report timeline") != 0)
        return -1;
    rows = PQntuples(r);
    if (rows > 0 && (v = calloc((size_t)rows, sizeof(*v))) == NULL) {
        PQclear(r);
        ink_str_puts(err, "out of memory");
        return -1;
    }
    for (i = 0; i < rows; i++) {
        struct ink_report_day *d = &v[i];
        d->day = val_i64(r, i, 0);
        d->reports = (uint64_t)val_i64(r, i, 1);
        d->messages = (uint64_t)val_i64(r, i, 2);
        d->dmarc_pass = (uint64_t)val_i64(r, i, 3);
        d->dmarc_fail = d->messages - d->dmarc_pass;
    }
    PQclear(r);
    *out = v;
    *n = (size_t)rows;
    return 0;
}

/* The report rows being read (pg_report_rows): rows[0..n) and their
 * (report, idx) keys, in the order both queries return them. */
struct rows_read {
    const char *domain;
    struct ink_report_row *rows;
    int64_t (*keys)[2];
    size_t n, cap;
    size_t at; /* the auth results' walk over keys */
};

/* val_char - the first byte of a text field ('r' when NULL or empty) */
static char val_char(const PGresult *r, int row, int col)
{
    const char *t = PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);

    return t != NULL && t[0] != '\0' ? t[0] : 'r';
}

/* rows_take - one row of the rows query (q_each's fn) into rr */
static int rows_take(void *arg, const PGresult *r, struct ink_str *err)
{
    struct rows_read *rr = arg;
    struct ink_report_row *row;

    if (rr->n == INK_SIM_ROWS_MAX) {
        ink_str_printf(err, "more than %d report rows for %s in the period: narrow it "
                       "(--since, --until)", INK_SIM_ROWS_MAX, rr->domain);
        return -1;
    }
    if (rr->n == rr->cap) {
        size_t ncap = rr->cap ? rr->cap * 2 : 64;
        void *p = reallocarray(rr->rows, ncap, sizeof(*rr->rows)), *k;
        if (p == NULL) {
            ink_str_puts(err, "out of memory");
            return -1;
        }
        rr->rows = p;
        k = reallocarray(rr->keys, ncap, sizeof(*rr->keys));
        if (k == NULL) {
            ink_str_puts(err, "out of memory");
            return -1;
        }
        rr->keys = k;
        rr->cap = ncap;
    }
    rr->keys[rr->n][0] = val_i64(r, 0, 0);
    rr->keys[rr->n][1] = val_i64(r, 0, 1);
    row = &rr->rows[rr->n++];
    memset(row, 0, sizeof(*row));
    row->begin = val_i64(r, 0, 2);
    row->end = val_i64(r, 0, 3);
    row->org_name = val_dup(r, 0, 4);
    row->adkim = val_char(r, 0, 5);
    row->aspf = val_char(r, 0, 6);
    row->p = val_dup(r, 0, 7);
    row->sp = val_dup(r, 0, 8);
    row->np = val_dup(r, 0, 9);
    row->pct = PQgetisnull(r, 0, 10) ? -1 : (int)val_i64(r, 0, 10);
    row->testing = val_dup(r, 0, 11);
    row->source_ip = val_dup(r, 0, 12);
    row->count = (uint64_t)val_i64(r, 0, 13);
    row->disposition = val_dup(r, 0, 14);
    row->dkim = val_dup(r, 0, 15);
    row->spf = val_dup(r, 0, 16);
    row->header_from = val_dup(r, 0, 17);
    row->envelope_from = val_dup(r, 0, 18);
    return 0;
}

/* auth_take - one auth result (q_each's fn) onto its row: the results
 * come in the rows' order, so the walk over the keys only goes forward */
static int auth_take(void *arg, const PGresult *r, struct ink_str *err)
{
    struct rows_read *rr = arg;
    int64_t rep = val_i64(r, 0, 0), idx = val_i64(r, 0, 1);
    struct ink_report_row *row;
    struct ink_report_row_auth *a;

    while (rr->at < rr->n && (rr->keys[rr->at][0] != rep || rr->keys[rr->at][1] < idx))
        rr->at++;
    if (rr->at == rr->n || rr->keys[rr->at][1] != idx)
        return 0;
    row = &rr->rows[rr->at];
    if (row->nauth >= INK_SIM_AUTH_MAX)
        return 0;
    if (row->auth == NULL && (row->auth = calloc(INK_SIM_AUTH_MAX, sizeof(*row->auth))) == NULL) {
        ink_str_puts(err, "out of memory");
        return -1;
    }
    a = &row->auth[row->nauth++];
    a->kind = !PQgetisnull(r, 0, 2) && strcmp(PQgetvalue(r, 0, 2), "dkim") == 0 ? 'd' : 's';
    a->domain = val_dup(r, 0, 3);
    a->selector = val_dup(r, 0, 4);
    a->scope = val_dup(r, 0, 5);
    a->result = val_dup(r, 0, 6);
    return 0;
}

/* pg_report_rows - the rows of a domain's reports overlapping [since,
 * until), with their auth results: two queries in one snapshot, each read
 * a row at a time.  Caller frees with ink_report_rows_free. */
static int pg_report_rows(struct ink_store *base, const char *domain, int64_t since,
                          int64_t until, struct ink_report_row **out, size_t *n,
                          struct ink_str *err)
{
    static const char rows_sql[] =
        "SELECT rep.id, r.idx, rep.begin_at, rep.end_at, rep.org_name, rep.adkim, rep.aspf,"
        " rep.p, rep.sp, rep.np, rep.pct, rep.testing, r.source_ip, r.count, r.disposition,"
        " r.dkim, r.spf, r.header_from, r.envelope_from"
        " FROM report_rows r JOIN reports rep ON rep.id = r.report"
        " WHERE rep.domain = $1 AND rep.end_at >= $2 AND rep.begin_at < $3"
        " ORDER BY rep.begin_at, rep.id, r.idx LIMIT $4";
    static const char auth_sql[] =
        "SELECT a.report, a.idx, a.kind, a.domain, a.selector, a.scope, a.result"
        " FROM report_auth a JOIN reports rep ON rep.id = a.report"
        " WHERE rep.domain = $1 AND rep.end_at >= $2 AND rep.begin_at < $3"
        " ORDER BY rep.begin_at, rep.id, a.idx, a.kind COLLATE \"C\" DESC, a.n";
    struct pg_store *s = (struct pg_store *)base;
    struct rows_read rr = {0};
    struct params pr = {0}, pa = {0};
    int rc;

    *out = NULL;
    *n = 0;
    rr.domain = domain;
    p_text(&pr, domain);
    p_int(&pr, since);
    p_int(&pr, until);
    p_int(&pr, (int64_t)INK_SIM_ROWS_MAX + 1);
    p_text(&pa, domain);
    p_int(&pa, since);
    p_int(&pa, until);
    if (read_begin(s, err) < 0)
        return -1;
    rc = q_each(s, rows_sql, &pr, rows_take, &rr, err, "read report rows");
    if (rc == 0)
        rc = q_each(s, auth_sql, &pa, auth_take, &rr, err, "read report auth results");
    rollback(s);
    free(rr.keys);
    if (rc < 0) {
        ink_report_rows_free(rr.rows, rr.n);
        return -1;
    }
    *out = rr.rows;
    *n = rr.n;
    return 0;
}

/* pg_report_ptr_put - cache n reverse-lookup outcomes, one transaction */
static int pg_report_ptr_put(struct ink_store *base, const struct ink_store_ptr *v, size_t n,
                             struct ink_str *err)
{
    struct pg_store *s = (struct pg_store *)base;
    static const char sql[] =
        "INSERT INTO report_ptr (ip, ptr, looked_up_at, result) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (ip) DO UPDATE SET ptr = excluded.ptr,"
        " looked_up_at = excluded.looked_up_at, result = excluded.result";
    size_t i;

    if (n == 0)
        return 0;
    if (cmd(s, "BEGIN", err) < 0)
        return -1;
    for (i = 0; i < n; i++) {
        struct params p = {0};
        p_text(&p, v[i].ip);
        p_text(&p, v[i].ptr);
        p_int(&p, v[i].at);
        p_text(&p, v[i].ptr != NULL ? "found" : "none");
        if (q(s, sql, &p, NULL, err, "cache a reverse name") != 0) {
            rollback(s);
            return -1;
        }
    }
    if (cmd(s, "COMMIT", err) < 0) {
        rollback(s);
        return -1;
    }
    return 0;
}

/* ---- API tokens ---- */

/* pg_token_add - store a token's name and hash; INK_STORE_EXISTS when the
 * name (or hash) is taken */
static int pg_token_add(struct ink_store *base, const char *name, const char *sha256_hex,
                        int64_t now, struct ink_str *err)
{
    struct pg_store *s = (struct pg_store *)base;
    struct params p = {0};
    int rc;

    p_text(&p, name);
    p_text(&p, sha256_hex);
    p_int(&p, now);
    rc = q(s, "INSERT INTO api_tokens (name, sha256, created) VALUES ($1, $2, $3)", &p, NULL,
           err, "add a token");
    return rc == 1 ? INK_STORE_EXISTS : rc;
}

/* pg_token_find - the name of the token with this hash (caller frees);
 * INK_STORE_NOT_FOUND when none; marks it used at now */
static int pg_token_find(struct ink_store *base, const char *sha256_hex, int64_t now,
                         char **name, struct ink_str *err)
{
    struct pg_store *s = (struct pg_store *)base;
    struct params p = {0}, u = {0};
    PGresult *r;
    struct ink_str ignored = INK_STR_INIT;

    *name = NULL;
    p_text(&p, sha256_hex);
    if (q(s, "SELECT name FROM api_tokens WHERE sha256 = $1", &p, &r, err,
          "look a token up") != 0)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return INK_STORE_NOT_FOUND;
    }
    *name = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    if (*name == NULL) {
        ink_str_puts(err, "out of memory");
        return -1;
    }
    p_int(&u, now);
    p_text(&u, sha256_hex);
    /* best effort: a busy or read-only store must not refuse a login */
    q(s, "UPDATE api_tokens SET last_used = $1 WHERE sha256 = $2", &u, NULL, &ignored, "");
    ink_str_free(&ignored);
    return 0;
}

/* pg_token_list - every token by name; caller frees with ink_store_tokens_free */
static int pg_token_list(struct ink_store *base, struct ink_store_token **out, size_t *n,
                         struct ink_str *err)
{
    struct pg_store *s = (struct pg_store *)base;
    PGresult *r;
    int i, rows;

    *out = NULL;
    *n = 0;
    if (q(s, "SELECT name, created, last_used FROM api_tokens ORDER BY name COLLATE \"C\"", NULL,
          &r, err, "list tokens") != 0)
        return -1;
    rows = PQntuples(r);
    if (rows > 0 && (*out = calloc((size_t)rows, sizeof(**out))) == NULL) {
        PQclear(r);
        ink_str_puts(err, "out of memory");
        return -1;
    }
    for (i = 0; i < rows; i++) {
        struct ink_store_token *t = &(*out)[*n];
        t->name = strdup(PQgetvalue(r, i, 0));
        t->created = val_i64(r, i, 1);
        t->last_used = val_i64(r, i, 2);
        if (t->name == NULL) {
            PQclear(r);
            ink_store_tokens_free(*out, *n);
            *out = NULL;
            *n = 0;
            ink_str_puts(err, "out of memory");
            return -1;
        }
        (*n)++;
    }
    PQclear(r);
    return 0;
}

/* pg_token_revoke - forget a token by name; INK_STORE_NOT_FOUND when none */
static int pg_token_revoke(struct ink_store *base, const char *name, struct ink_str *err)
{
    struct pg_store *s = (struct pg_store *)base;
    struct params p = {0};
    PGresult *r;
    long n;

    p_text(&p, name);
    if (q(s, "DELETE FROM api_tokens WHERE name = $1", &p, &r, err, "revoke a token") != 0)
        return -1;
    n = affected(r);
    PQclear(r);
    return n > 0 ? 0 : INK_STORE_NOT_FOUND;
}

/* ---- DKIM key rotations (schema v3) ---- */

/* rot_keys_insert - the keys of one side of r */
static int rot_keys_insert(struct pg_store *s, const struct ink_rotation *r, int is_new,
                           struct ink_str *err)
{
    const struct ink_rot_key *k = is_new ? r->newk : r->oldk;
    size_t i, n = is_new ? r->nnew : r->nold;

    for (i = 0; i < n; i++) {
        struct params p = {0};
        p_int(&p, r->id);
        p_text(&p, is_new ? "new" : "old");
        p_int(&p, (int64_t)i);
        p_text(&p, k[i].selector);
        p_text(&p, k[i].key_type);
        p_text(&p, k[i].record);
        p_text(&p, k[i].key_file);
        if (q(s, "INSERT INTO dkim_rotation_keys (rotation, side, idx, selector, key_type,"
                 " record, key_file) VALUES ($1, $2, $3, $4, $5, $6, $7)",
              &p, NULL, err, "add a rotation key") != 0) {
            if (err->len == 0)
                ink_str_puts(err, "database: add a rotation key: a duplicate key");
            return -1;
        }
    }
    return 0;
}

/* pg_rotation_add - a new rotation; INK_STORE_EXISTS while the domain has
 * one not DONE (checked under a lock on the domain, so two processes
 * cannot both add one) */
static int pg_rotation_add(struct ink_store *base, struct ink_rotation *r, struct ink_str *err)
{
    struct pg_store *s = (struct pg_store *)base;
    struct params p = {0};
    PGresult *res;
    int busy;

    if (cmd(s, "BEGIN", err) < 0)
        return -1;
    p_text(&p, r->domain);
    if (q(s, "SELECT pg_advisory_xact_lock(" PG_LOCK_ROTATE_NS ", hashtext($1))", &p, NULL, err,
          "lock the domain's rotations") != 0 ||
        q(s, "SELECT id FROM dkim_rotations WHERE domain = $1 AND phase <> 'DONE'", &p, &res, err,
          "look rotations up") != 0)
        goto fail;
    busy = PQntuples(res) > 0;
    PQclear(res);
    if (busy) {
        rollback(s);
        ink_str_printf(err, "%s has a rotation that is not DONE yet", r->domain);
        return INK_STORE_EXISTS;
    }
    p.n = 0;
    p_text(&p, r->domain);
    p_text(&p, ink_rot_phase_name(r->phase));
    p_int(&p, r->created_at);
    p_int(&p, r->phase_since);
    p_int(&p, r->active_at);
    p_int(&p, r->overlap);
    p_int(&p, r->last_check);
    p_int(&p, r->next_check);
    p_int(&p, (int64_t)r->ttl);
    p_text(&p, r->detail);
    if (q(s, "INSERT INTO dkim_rotations (domain, phase, created_at, phase_since, active_at,"
             " overlap, last_check, next_check, ttl, detail)"
             " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
          &p, &res, err, "add a rotation") != 0)
        goto fail;
    r->id = val_i64(res, 0, 0);
    PQclear(res);
    if (rot_keys_insert(s, r, 1, err) < 0 || rot_keys_insert(s, r, 0, err) < 0 ||
        cmd(s, "COMMIT", err) < 0) {
        r->id = 0;
        goto fail;
    }
    return 0;
fail:
    rollback(s);
    return -1;
}

/* rot_keys_load - the keys of r from the store */
static int rot_keys_load(struct pg_store *s, struct ink_rotation *r, struct ink_str *err)
{
    struct params p = {0};
    PGresult *res;
    int i, rows;

    p_int(&p, r->id);
    if (q(s, "SELECT side, selector, key_type, record, key_file FROM dkim_rotation_keys"
             " WHERE rotation = $1 ORDER BY side COLLATE \"C\", idx",
          &p, &res, err, "load rotation keys") != 0)
        return -1;
    rows = PQntuples(res);
    for (i = 0; i < rows; i++) {
#define COL(c) (PQgetisnull(res, i, c) ? NULL : PQgetvalue(res, i, c))
        if (ink_rotation_add_key(r, strcmp(PQgetvalue(res, i, 0), "new") == 0, COL(1), COL(2),
                                 COL(3), COL(4)) < 0) {
            ink_str_printf(err, "database: rotation %lld of %s: a key that cannot be loaded",
                           (long long)r->id, r->domain);
            PQclear(res);
            return -1;
        }
#undef COL
    }
    PQclear(res);
    return 0;
}

/* pg_rotation_list - rotations of one domain or all, by domain and age */
static int pg_rotation_list(struct ink_store *base, const char *domain, int latest_only,
                            struct ink_rotation ***out, size_t *n, struct ink_str *err)
{
    struct pg_store *s = (struct pg_store *)base;
    static const char sql[] =
        "SELECT id, domain, phase, created_at, phase_since, active_at, overlap, last_check,"
        " next_check, ttl, detail FROM dkim_rotations r"
        " WHERE ($1::text IS NULL OR domain = $1)"
        "   AND ($2::int = 0 OR id = (SELECT MAX(id) FROM dkim_rotations x"
        "                             WHERE x.domain = r.domain))"
        " ORDER BY domain COLLATE \"C\", id";
    struct ink_rotation **v = NULL;
    struct params p = {0};
    PGresult *res;
    int i, rows;
    size_t k;

    *out = NULL;
    *n = 0;
    if (read_begin(s, err) < 0)
        return -1;
    p_text(&p, domain);
    p_int(&p, latest_only ? 1 : 0);
    if (q(s, sql, &p, &res, err, "list rotations") != 0) {
        rollback(s);
        return -1;
    }
    rows = PQntuples(res);
    if (rows > 0 && (v = calloc((size_t)rows, sizeof(*v))) == NULL) {
        PQclear(res);
        rollback(s);
        ink_str_puts(err, "out of memory");
        return -1;
    }
    for (i = 0; i < rows; i++) {
        struct ink_rotation *r = ink_rotation_new(PQgetvalue(res, i, 1), 0);
        int phase = ink_rot_phase_from_name(PQgetvalue(res, i, 2));
        if (r == NULL || phase < 0) {
            ink_rotation_free(r);
            ink_str_printf(err, "database: rotation %lld: not a rotation that can be loaded",
                           (long long)val_i64(res, i, 0));
            PQclear(res);
            goto fail;
        }
        r->id = val_i64(res, i, 0);
        r->phase = (enum ink_rot_phase)phase;
        r->created_at = val_i64(res, i, 3);
        r->phase_since = val_i64(res, i, 4);
        r->active_at = val_i64(res, i, 5);
        r->overlap = val_i64(res, i, 6);
        r->last_check = val_i64(res, i, 7);
        r->next_check = val_i64(res, i, 8);
        r->ttl = (uint32_t)val_i64(res, i, 9);
        r->detail = val_dup(res, i, 10);
        v[(*n)++] = r;
    }
    PQclear(res);
    for (k = 0; k < *n; k++)
        if (rot_keys_load(s, v[k], err) < 0)
            goto fail;
    rollback(s);
    *out = v;
    return 0;
fail:
    rollback(s);
    ink_rotations_free(v, *n);
    *n = 0;
    return -1;
}

/* pg_rotation_save - one advance of r, guarded by the phase it had (a
 * concurrent saver's UPDATE waits for ours, then matches no row) */
static int pg_rotation_save(struct ink_store *base, const struct ink_rotation *r,
                            enum ink_rot_phase was, struct ink_str *err)
{
    struct pg_store *s = (struct pg_store *)base;
    struct params p = {0};
    PGresult *res;
    long changed;
    int there;

    if (cmd(s, "BEGIN", err) < 0)
        return -1;
    p_int(&p, r->id);
    p_text(&p, ink_rot_phase_name(r->phase));
    p_int(&p, r->phase_since);
    p_int(&p, r->active_at);
    p_int(&p, r->last_check);
    p_int(&p, r->next_check);
    p_text(&p, r->detail);
    p_int(&p, r->overlap);
    p_text(&p, ink_rot_phase_name(was));
    if (q(s, "UPDATE dkim_rotations SET phase = $2, phase_since = $3, active_at = $4,"
             " last_check = $5, next_check = $6, detail = $7, overlap = $8"
             " WHERE id = $1 AND phase = $9",
          &p, &res, err, "save a rotation") != 0)
        goto fail;
    changed = affected(res);
    PQclear(res);
    if (changed == 0) {
        p.n = 1;
        if (q(s, "SELECT 1 FROM dkim_rotations WHERE id = $1", &p, &res, err,
              "save a rotation") != 0)
            goto fail;
        there = PQntuples(res) > 0;
        PQclear(res);
        rollback(s);
        if (there) {
            ink_str_printf(err, "the rotation of %s was advanced by another inkan process meanwhile",
                           r->domain);
            return INK_STORE_CONFLICT;
        }
        ink_str_printf(err, "rotation %lld of %s is not in the database", (long long)r->id,
                       r->domain);
        return INK_STORE_NOT_FOUND;
    }
    if (cmd(s, "COMMIT", err) < 0)
        goto fail;
    return 0;
fail:
    rollback(s);
    return -1;
}

/* ---- inbound evaluations (schema v4) ---- */

/* The text fields of a row after its key, in the column order below. */
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

/* pg_evaluations_add - n rows in one transaction, a stored key skipped */
static int pg_evaluations_add(struct ink_store *base, const struct ink_evrow *rows, size_t n,
                              size_t *added, struct ink_str *err)
{
    struct pg_store *s = (struct pg_store *)base;
    static const char ins[] =
        "INSERT INTO evaluations (key, at, queue_id, message_id, source_ip, header_from,"
        " envelope_from, envelope_to, spf_result, spf_domain, spf_scope, dmarc_result,"
        " dmarc_spf, dmarc_dkim, disposition, override, override_comment, policy_domain,"
        " p, sp, np, t, adkim, aspf, dkim_unlisted)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,"
        " $18, $19, $20, $21, $22, $23, $24, $25) ON CONFLICT (key) DO NOTHING RETURNING id";
    static const char ins_dkim[] =
        "INSERT INTO evaluation_dkim (evaluation, n, domain, selector, result)"
        " VALUES ($1, $2, $3, $4, $5)";
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
    if (cmd(s, "BEGIN", err) < 0)
        return -1;
    for (i = 0; i < n; i++) {
        const struct ink_evrow *r = &rows[i];
        struct params p = {0};
        PGresult *res;
        int64_t id;

        p_text(&p, r->key);
        p_int(&p, r->at);
        for (k = 0; k < EV_NTEXT; k++)
            p_text(&p, (const char *)r + ev_text[k].off);
        p_int(&p, (int64_t)r->dkim_unlisted);
        if (q(s, ins, &p, &res, err, "add an evaluation") != 0)
            goto fail;
        if (PQntuples(res) == 0) { /* the key is stored: this row was written before */
            PQclear(res);
            continue;
        }
        id = val_i64(res, 0, 0);
        PQclear(res);
        count++;
        for (j = 0; j < r->ndkim && j < INK_EVROW_DKIM_MAX; j++) {
            struct params d = {0};
            p_int(&d, id);
            p_int(&d, (int64_t)j);
            p_text(&d, r->dkim[j].domain);
            p_text(&d, r->dkim[j].selector);
            p_text(&d, r->dkim[j].result);
            if (q(s, ins_dkim, &d, NULL, err, "add a DKIM result") != 0)
                goto fail;
        }
    }
    if (cmd(s, "COMMIT", err) < 0)
        goto fail;
    if (added != NULL)
        *added = count;
    return 0;
fail:
    if (err->len == 0)
        ink_str_puts(err, "database: add an evaluation: a duplicate DKIM result");
    rollback(s);
    return -1;
}

/* field_into - a field into a row field of cap bytes */
static void field_into(const PGresult *r, int col, char *dst, size_t cap)
{
    ink_evrow_set(dst, cap, PQgetvalue(r, 0, col), (size_t)PQgetlength(r, 0, col));
}

/* The columns every evaluation listing selects (e: the evaluations, d:
 * their DKIM results joined), in the order pg_ev_each reads. */
#define PG_EV_COLUMNS                                                                      \
    "e.id, e.key, e.queue_id, e.message_id, e.source_ip, e.header_from,"                  \
    " e.envelope_from, e.envelope_to, e.spf_result, e.spf_domain, e.spf_scope,"           \
    " e.dmarc_result, e.dmarc_spf, e.dmarc_dkim, e.disposition, e.override,"              \
    " e.override_comment, e.policy_domain, e.p, e.sp, e.np, e.t, e.adkim, e.aspf,"        \
    " e.at, e.dkim_unlisted, d.n, d.domain, d.selector, d.result"

/* pg_ev_each - each row of sql (selecting PG_EV_COLUMNS, a row's DKIM
 * results on consecutive lines) to fn (or, with its id, to fn_id).  One
 * query read a line at a time (libpq's single-row mode: memory does not
 * grow with the period); fn must not use the store meanwhile. */
static int pg_ev_each(struct pg_store *s, const char *sql, const struct params *p,
                      ink_evrow_fn fn, ink_evrow_id_fn fn_id, void *arg, struct ink_str *err)
{
    struct ink_evrow *row = malloc(sizeof(*row));
    PGresult *r;
    int64_t cur = 0;
    int have = 0, ret = 0, failed = 0;
    size_t k;

    if (row == NULL) {
        ink_str_puts(err, "out of memory");
        return -1;
    }
    revive(s);
    if (!PQsendQueryParams(s->conn, sql, p->n, NULL, p->v, NULL, NULL, 0) ||
        !PQsetSingleRowMode(s->conn)) {
        free(row);
        return msg_put(err, "list evaluations", PQerrorMessage(s->conn));
    }
    /* every result is read, even after fn stopped or a failure, so the
     * connection is ready for the next statement */
    while ((r = PQgetResult(s->conn)) != NULL) {
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_SINGLE_TUPLE && ret == 0 && !failed) {
            int64_t id = val_i64(r, 0, 0);
            if (have && id != cur) {
                ret = fn_id != NULL ? fn_id(arg, cur, row) : fn(arg, row);
                have = 0;
            }
            if (ret == 0 && !have) {
                ink_evrow_clear(row);
                field_into(r, 1, row->key, sizeof(row->key));
                for (k = 0; k < EV_NTEXT; k++)
                    field_into(r, (int)k + 2, (char *)row + ev_text[k].off, ev_text[k].cap);
                row->at = val_i64(r, 0, 24);
                row->dkim_unlisted = (size_t)val_i64(r, 0, 25);
                cur = id;
                have = 1;
            }
            if (ret == 0 && !PQgetisnull(r, 0, 26) && row->ndkim < INK_EVROW_DKIM_MAX) {
                struct ink_evrow_dkim *d = &row->dkim[row->ndkim++];
                field_into(r, 27, d->domain, sizeof(d->domain));
                field_into(r, 28, d->selector, sizeof(d->selector));
                field_into(r, 29, d->result, sizeof(d->result));
            }
        } else if (st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK && !failed) {
            res_err(s, r, err, "list evaluations");
            failed = 1;
        }
        PQclear(r);
    }
    if (ret == 0 && !failed && have)
        ret = fn_id != NULL ? fn_id(arg, cur, row) : fn(arg, row);
    free(row);
    return failed ? -1 : ret;
}

/* pg_evaluations_list - the rows of a period, each to fn */
static int pg_evaluations_list(struct ink_store *base, int64_t begin, int64_t end,
                               const char *domain, ink_evrow_fn fn, void *arg,
                               struct ink_str *err)
{
    static const char sel[] =
        "SELECT " PG_EV_COLUMNS
        " FROM evaluations e LEFT JOIN evaluation_dkim d ON d.evaluation = e.id"
        " WHERE e.at >= $1 AND e.at < $2 AND ($3::text IS NULL OR e.header_from = $3)"
        " ORDER BY e.at, e.id, d.n";
    struct params p = {0};

    p_int(&p, begin);
    p_int(&p, end);
    p_text(&p, domain);
    return pg_ev_each((struct pg_store *)base, sel, &p, fn, NULL, arg, err);
}

/* pg_evaluations_page - a page of rows newest first after a cursor, each
 * to fn (the page chosen first, then joined with its DKIM results) */
static int pg_evaluations_page(struct ink_store *base, const struct ink_store_evpage *q,
                               ink_evrow_id_fn fn, void *arg, struct ink_str *err)
{
    static const char sel[] =
        "SELECT " PG_EV_COLUMNS
        " FROM (SELECT * FROM evaluations"
        "  WHERE at >= $1 AND at < $2 AND ($3::text IS NULL OR header_from = $3)"
        "  AND ($4::int = 0 OR at < $5 OR (at = $5 AND id < $6))"
        "  ORDER BY at DESC, id DESC LIMIT $7) e"
        " LEFT JOIN evaluation_dkim d ON d.evaluation = e.id"
        " ORDER BY e.at DESC, e.id DESC, d.n";
    struct params p = {0};

    p_int(&p, q->begin);
    p_int(&p, q->end);
    p_text(&p, q->domain);
    p_int(&p, q->has_cursor != 0);
    p_int(&p, q->after_at);
    p_int(&p, q->after_id);
    p_int(&p, q->limit > INT64_MAX ? INT64_MAX : (int64_t)q->limit);
    return pg_ev_each((struct pg_store *)base, sel, &p, NULL, fn, arg, err);
}

/* pg_evaluations_summary - the rows of a period counted per domain, DMARC
 * result and disposition, each count to fn */
static int pg_evaluations_summary(struct ink_store *base, int64_t begin, int64_t end,
                                  const char *domain, ink_evcount_fn fn, void *arg,
                                  struct ink_str *err)
{
    struct pg_store *s = (struct pg_store *)base;
    static const char sel[] =
        "SELECT header_from, dmarc_result, disposition, count(*) FROM evaluations"
        " WHERE at >= $1 AND at < $2 AND ($3::text IS NULL OR header_from = $3)"
        " GROUP BY header_from, dmarc_result, disposition"
        " ORDER BY header_from, dmarc_result, disposition";
    struct params p = {0};
    PGresult *r;
    int i, ret = 0;

    p_int(&p, begin);
    p_int(&p, end);
    p_text(&p, domain);
    if (q(s, sel, &p, &r, err, "count evaluations") != 0)
        return -1;
    for (i = 0; i < PQntuples(r) && ret == 0; i++) {
        struct ink_store_evcount c;

        c.domain = PQgetvalue(r, i, 0);
        c.dmarc = PQgetvalue(r, i, 1);
        c.disposition = PQgetvalue(r, i, 2);
        c.n = val_i64(r, i, 3);
        ret = fn(arg, &c);
    }
    PQclear(r);
    return ret;
}

/* ---- the import work queue (schema v2) ---- */

/* LIVE_WORKER - SQL true when the importer whose id is the expression
 * still runs: it holds its advisory lock (PG_LOCK_NS, id) in this database */
#define LIVE_WORKER(id)                                                                    \
    "EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted"       \
    " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())" \
    " AND l.classid = " PG_LOCK_NS "::oid AND l.objid = (" id ")::oid AND l.objsubid = 2)"

/* quiet - a notice processor that drops notices (CREATE ... IF NOT EXISTS) */
static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* connect_uri - a connection to uri, or NULL with the reason in err */
static PGconn *connect_uri(const char *uri, struct ink_str *err)
{
    /* connect_timeout first, so the URI's own wins; the encoding after it:
     * inkan's strings are UTF-8 whatever the server's default */
    const char *const keys[] = {"connect_timeout", "fallback_application_name", "dbname",
                                "client_encoding", NULL};
    const char *const vals[] = {PG_CONNECT_TIMEOUT, "inkan", uri, "UTF8", NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);

    if (c == NULL) {
        ink_str_puts(err, "out of memory");
        return NULL;
    }
    if (PQstatus(c) != CONNECTION_OK) {
        msg_put(err, "cannot connect", PQerrorMessage(c));
        PQfinish(c);
        return NULL;
    }
    PQsetNoticeProcessor(c, quiet, NULL);
    return c;
}

/* queue_release - end the claim's transaction (its input stays pending) */
static void queue_release(struct pg_store *s)
{
    if (s->claimed)
        PQclear(PQexec(s->qconn, "ROLLBACK"));
    s->claimed = 0;
}

/* pg_queue_fill - register this importer (once) and enqueue n inputs */
static int pg_queue_fill(struct ink_store *base, const char *const *sha256_hex, size_t n,
                         struct ink_str *err)
{
    struct pg_store *s = (struct pg_store *)base;
    struct params p = {0};
    PGresult *r;
    size_t i;

    if (s->qconn == NULL) {
        char host[PG_HOST_MAX] = "";
        if ((s->qconn = connect_uri(s->uri, err)) == NULL)
            return -1;
        gethostname(host, sizeof(host) - 1);
        p_text(&p, host);
        p_int(&p, (int64_t)getpid());
        /* the lock is taken before the row is visible (one transaction),
         * so no peer sees a registered importer without it */
        if (q_on(s->qconn, "BEGIN", NULL, NULL, err, "register the importer") != 0 ||
            q_on(s->qconn, "INSERT INTO import_workers (host, pid, started_at)"
                 " VALUES ($1, $2, extract(epoch FROM now())::bigint) RETURNING id",
                 &p, &r, err, "register the importer") != 0) {
            PQclear(PQexec(s->qconn, "ROLLBACK"));
            return -1;
        }
        s->worker = val_i64(r, 0, 0);
        PQclear(r);
        p.n = 0;
        p_int(&p, s->worker);
        /* held by the session, past the commit: gone with the process,
         * however it ends */
        if (q_on(s->qconn, "SELECT pg_advisory_lock(" PG_LOCK_NS ", $1::int)", &p, NULL, err,
                 "lock the importer") != 0 ||
            q_on(s->qconn, "COMMIT", NULL, NULL, err, "register the importer") != 0) {
            PQclear(PQexec(s->qconn, "ROLLBACK"));
            s->worker = 0;
            return -1;
        }
        /* importers that died are forgotten (their members with them) */
        if (q_on(s->qconn, "DELETE FROM import_workers w WHERE w.id <> $1 AND NOT "
                 LIVE_WORKER("w.id"), &p, NULL, err, "forget dead importers") != 0)
            return -1;
    }
    if (PQresultStatus(r = PQexec(s->qconn, "BEGIN")) != PGRES_COMMAND_OK) {
        PQclear(r);
        return msg_put(err, "enqueue", PQerrorMessage(s->qconn));
    }
    PQclear(r);
    for (i = 0; i < n; i++) {
        struct params a = {0};
        p_text(&a, sha256_hex[i]);
        p_int(&a, s->worker);
        p_int(&a, s->members++);
        /* a new input is pending; a known one is left alone here */
        a.n = 1;
        if (q_on(s->qconn, "INSERT INTO import_queue (sha256) VALUES ($1)"
                 " ON CONFLICT DO NOTHING", &a, NULL, err, "enqueue") < 0)
            goto fail;
        a.n = 3;
        if (
            q_on(s->qconn, "INSERT INTO import_members (sha256, worker, pos)"
                 " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", &a, NULL, err, "enqueue") < 0)
            goto fail;
        /* done by an importer that is gone (or by us, for an earlier
         * operand): a new import of it.  Done by one still running: its
         * work, not ours.  Claimed (locked) now: being done; skipped
         * rather than waited for. */
        a.n = 2;
        if (q_on(s->qconn, "UPDATE import_queue q SET state = 'pending', done_by = NULL,"
                 " done_at = NULL FROM (SELECT sha256 FROM import_queue WHERE sha256 = $1"
                 "  AND state = 'done' FOR UPDATE SKIP LOCKED) x"
                 " WHERE q.sha256 = x.sha256 AND (q.done_by IS NULL OR q.done_by = $2 OR NOT "
                 LIVE_WORKER("q.done_by") ")", &a, NULL, err, "enqueue") < 0)
            goto fail;
    }
    if (PQresultStatus(r = PQexec(s->qconn, "COMMIT")) != PGRES_COMMAND_OK) {
        PQclear(r);
        return msg_put(err, "enqueue", PQerrorMessage(s->qconn));
    }
    PQclear(r);
    return 0;
fail:
    PQclear(PQexec(s->qconn, "ROLLBACK"));
    return -1;
}

/* pg_queue_claim - the next input of ours nobody holds, locked by the
 * open transaction of the queue connection until pg_queue_done */
static int pg_queue_claim(struct ink_store *base, char *sha256_hex, struct ink_str *err)
{
    struct pg_store *s = (struct pg_store *)base;
    struct params p = {0};
    PGresult *r;

    sha256_hex[0] = '\0';
    if (s->qconn == NULL) {
        ink_str_puts(err, "database: claim: no inputs enqueued");
        return -1;
    }
    queue_release(s);
    if (PQresultStatus(r = PQexec(s->qconn, "BEGIN")) != PGRES_COMMAND_OK) {
        PQclear(r);
        return msg_put(err, "claim an input", PQerrorMessage(s->qconn));
    }
    PQclear(r);
    s->claimed = 1;
    p_int(&p, s->worker);
    if (q_on(s->qconn, "SELECT q.sha256 FROM import_queue q JOIN import_members m"
             " ON m.sha256 = q.sha256 AND m.worker = $1 WHERE q.state = 'pending'"
             " ORDER BY m.pos LIMIT 1 FOR UPDATE OF q SKIP LOCKED",
             &p, &r, err, "claim an input") != 0) {
        queue_release(s);
        return -1;
    }
    if (PQntuples(r) == 0 || (size_t)PQgetlength(r, 0, 0) >= INK_STORE_SHA256_HEX) {
        PQclear(r);
        queue_release(s);
        return INK_STORE_NOT_FOUND;
    }
    memcpy(sha256_hex, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0) + 1);
    PQclear(r);
    return 0;
}

/* pg_queue_done - the claimed input is imported: mark it and let it go */
static int pg_queue_done(struct ink_store *base, const char *sha256_hex, struct ink_str *err)
{
    struct pg_store *s = (struct pg_store *)base;
    struct params p = {0};
    PGresult *r;

    if (!s->claimed) {
        ink_str_puts(err, "database: done: nothing claimed");
        return -1;
    }
    p_text(&p, sha256_hex);
    p_int(&p, s->worker);
    if (q_on(s->qconn, "UPDATE import_queue SET state = 'done', done_by = $2,"
             " done_at = extract(epoch FROM now())::bigint WHERE sha256 = $1",
             &p, NULL, err, "mark an input done") != 0) {
        queue_release(s);
        return -1;
    }
    r = PQexec(s->qconn, "COMMIT");
    s->claimed = 0;
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        PQclear(r);
        return msg_put(err, "mark an input done", PQerrorMessage(s->qconn));
    }
    PQclear(r);
    return 0;
}

/* ---- the owner's marks on report sources (schema v5) ---- */

/* pg_report_mark_put - store or replace a mark, under the domain's lock
 * (the count of its marks and the write agree) */
static int pg_report_mark_put(struct ink_store *base, const struct ink_store_mark *m,
                              int *replaced, struct ink_str *err)
{
    struct pg_store *s = (struct pg_store *)base;
    struct params p = {0}, lock = {0};
    PGresult *res;
    int64_t same, count;

    if (cmd(s, "BEGIN", err) < 0)
        return -1;
    p_text(&lock, m->domain);
    p_text(&p, m->domain);
    p_text(&p, m->network);
    p_int(&p, (int64_t)m->prefix);
    if (q(s, "SELECT pg_advisory_xact_lock(" PG_LOCK_MARK_NS ", hashtext($1))", &lock, NULL, err,
          "lock the domain's marks") != 0 ||
        q(s, "SELECT (SELECT COUNT(*) FROM report_marks WHERE domain = $1 AND network = $2"
             "  AND prefix = $3), (SELECT COUNT(*) FROM report_marks WHERE domain = $1)",
          &p, &res, err, "read the marks") != 0)
        goto fail;
    same = val_i64(res, 0, 0);
    count = val_i64(res, 0, 1);
    PQclear(res);
    if (same == 0 && count >= INK_MARKS_MAX) {
        ink_str_printf(err, "%s has %d marks already (the most one domain keeps): remove some",
                       m->domain, INK_MARKS_MAX);
        goto fail;
    }
    p_text(&p, m->mark);
    p_int(&p, m->created);
    p_text(&p, m->note);
    if (q(s, "INSERT INTO report_marks (domain, network, prefix, mark, created_at, note)"
             " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (domain, network, prefix) DO UPDATE"
             " SET mark = excluded.mark, created_at = excluded.created_at, note = excluded.note",
          &p, NULL, err, "store the mark") != 0 ||
        cmd(s, "COMMIT", err) < 0)
        goto fail;
    if (replaced != NULL)
        *replaced = same > 0;
    return 0;
fail:
    rollback(s);
    return -1;
}

/* pg_report_mark_list - the marks of domain (NULL: all), by domain,
 * network, prefix (bytes, as SQLite orders); caller frees with
 * ink_store_marks_free */
static int pg_report_mark_list(struct ink_store *base, const char *domain,
                               struct ink_store_mark **out, size_t *n, struct ink_str *err)
{
    struct pg_store *s = (struct pg_store *)base;
    struct params p = {0};
    PGresult *res;
    int i, rows, has;

    *out = NULL;
    *n = 0;
    /* a database opened read only at an older version has no marks yet */
    if (q(s, "SELECT to_regclass('report_marks') IS NOT NULL", NULL, &res, err,
          "read the schema") != 0)
        return -1;
    has = PQntuples(res) > 0 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    if (!has)
        return 0;
    p_text(&p, domain);
    if (q(s, "SELECT domain, network, prefix, mark, created_at, note FROM report_marks"
             " WHERE ($1::text IS NULL OR domain = $1)"
             " ORDER BY domain COLLATE \"C\", network COLLATE \"C\", prefix",
          &p, &res, err, "list the marks") != 0)
        return -1;
    rows = PQntuples(res);
    if (rows > 0 && (*out = calloc((size_t)rows, sizeof(**out))) == NULL) {
        PQclear(res);
        ink_str_puts(err, "out of memory");
        return -1;
    }
    for (i = 0; i < rows; i++) {
        struct ink_store_mark *m = &(*out)[i];
        m->domain = val_dup(res, i, 0);
        m->network = val_dup(res, i, 1);
        m->prefix = (unsigned)val_i64(res, i, 2);
        m->mark = val_dup(res, i, 3);
        m->created = val_i64(res, i, 4);
        m->note = val_dup(res, i, 5);
        *n = (size_t)i + 1;
        if (m->domain == NULL || m->network == NULL || m->mark == NULL ||
            (m->note == NULL && !PQgetisnull(res, i, 5))) {
            PQclear(res);
            ink_store_marks_free(*out, *n);
            *out = NULL;
            *n = 0;
            ink_str_puts(err, "out of memory");
            return -1;
        }
    }
    PQclear(res);
    return 0;
}

/* pg_report_mark_remove - forget one mark; INK_STORE_NOT_FOUND when none */
static int pg_report_mark_remove(struct ink_store *base, const char *domain, const char *network,
                                 unsigned prefix, struct ink_str *err)
{
    struct pg_store *s = (struct pg_store *)base;
    struct params p = {0};
    PGresult *r;
    long n;

    p_text(&p, domain);
    p_text(&p, network);
    p_int(&p, (int64_t)prefix);
    if (q(s, "DELETE FROM report_marks WHERE domain = $1 AND network = $2 AND prefix = $3", &p,
          &r, err, "remove the mark") != 0)
        return -1;
    n = affected(r);
    PQclear(r);
    return n > 0 ? 0 : INK_STORE_NOT_FOUND;
}

/* pg_free - close (an open report or claim is rolled back) */
static void pg_free(struct ink_store *base)
{
    struct pg_store *s = (struct pg_store *)base;

    if (s->conn != NULL)
        pg_report_abort(base);
    if (s->qconn != NULL) {
        struct params p = {0};
        struct ink_str ignored = INK_STR_INIT;
        queue_release(s);
        /* our members go with us; the done rows stay (done_by: us, gone) */
        p_int(&p, s->worker);
        q_on(s->qconn, "DELETE FROM import_workers WHERE id = $1", &p, NULL, &ignored, "");
        ink_str_free(&ignored);
        PQfinish(s->qconn);
    }
    PQfinish(s->conn);
    free(s->uri);
    free(s);
}

static const struct ink_store_ops pg_ops = {
    "postgresql", pg_add, pg_get, pg_list, pg_save, pg_remove, pg_due, pg_history,
    pg_report_begin, pg_report_record, pg_report_commit, pg_report_abort, pg_report_failure_add,
    pg_report_summary, pg_report_ptr_put, pg_token_add, pg_token_find, pg_token_list,
    pg_token_revoke, pg_free, pg_rotation_add, pg_rotation_list, pg_rotation_save,
    pg_evaluations_add, pg_evaluations_list,
    pg_queue_fill, pg_queue_claim, pg_queue_done,
    pg_report_summary_span, pg_report_timeline, pg_report_rows,
    pg_evaluations_page, pg_evaluations_summary,
    pg_report_mark_put, pg_report_mark_list, pg_report_mark_remove,
};

/* schema_version - the version recorded (0: no schema_version table, or
 * no row), or -1 with err set */
static int schema_version(struct pg_store *s, struct ink_str *err)
{
    PGresult *r = PQexec(s->conn, "SELECT version FROM schema_version");
    ExecStatusType st = PQresultStatus(r);
    int v = 0;

    if (st == PGRES_TUPLES_OK) {
        if (PQntuples(r) > 0)
            v = (int)val_i64(r, 0, 0);
    } else {
        const char *code = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        if (code == NULL || strcmp(code, "42P01") != 0) /* 42P01: no such table */
            v = res_err(s, r, err, "read the schema version");
    }
    PQclear(r);
    return v;
}

/* migrate - bring the schema to PG_SCHEMA_VERSION, one locked transaction */
static int migrate(struct pg_store *s, struct ink_str *err)
{
    struct params p = {0};
    PGresult *r;
    int version = schema_version(s, err);

    if (version < 0)
        return -1;
    if (version == PG_SCHEMA_VERSION)
        return 0;
    if (version > PG_SCHEMA_VERSION) {
        ink_str_printf(err, "database schema version %d is newer than this inkan reads (%d)",
                       version, PG_SCHEMA_VERSION);
        return -1;
    }
    if (cmd(s, "BEGIN", err) < 0)
        return -1;
    p_int(&p, PG_LOCK_MIGRATE);
    /* another process may be migrating: wait for it, then read again */
    if (q(s, "SELECT pg_advisory_xact_lock(" PG_LOCK_NS ", $1::int)", &p, NULL, err,
          "lock the schema") != 0 ||
        cmd(s, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)", err) < 0 ||
        q(s, "SELECT version FROM schema_version", NULL, &r, err, "read the schema version") != 0)
        goto fail;
    if (PQntuples(r) == 0) {
        PQclear(r);
        if (cmd(s, "INSERT INTO schema_version (version) VALUES (0)", err) < 0)
            goto fail;
        version = 0;
    } else {
        version = (int)val_i64(r, 0, 0);
        PQclear(r);
    }
    /* a schema of another program is refused by a CREATE failing on an
     * existing table */
    for (; version < PG_SCHEMA_VERSION; version++) {
        struct params v = {0};
        p_int(&v, version + 1);
        if (cmd(s, migrations[version], err) < 0 ||
            q(s, "UPDATE schema_version SET version = $1", &v, NULL, err, "migrate") != 0)
            goto fail;
    }
    return cmd(s, "COMMIT", err) < 0 ? (rollback(s), -1) : 0;
fail:
    rollback(s);
    return -1;
}

/* ink_store_pg_open_mode - connect and migrate (readonly: a session whose
 * transactions are read only; the schema is only made when there is none) */
static struct ink_store *pg_open_mode(const char *uri, int readonly, struct ink_str *err)
{
    struct ink_str shown = INK_STR_INIT, why = INK_STR_INIT;
    struct pg_store *s;
    int ok = 0;

    ink_store_db_shown(uri, &shown);
    if (!ink_store_is_uri(uri)) {
        ink_str_printf(err, "'%s' is not a postgresql:// URI", ink_str_cstr(&shown));
        ink_str_free(&shown);
        return NULL;
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL || (s->uri = strdup(uri)) == NULL) {
        free(s);
        ink_str_free(&shown);
        ink_str_puts(err, "out of memory");
        return NULL;
    }
    s->base.ops = &pg_ops;
    s->readonly = readonly;
    s->conn = connect_uri(uri, &why);
    if (s->conn != NULL) {
        int v = readonly ? schema_version(s, &why) : 0;
        if (v > PG_SCHEMA_VERSION)
            ink_str_printf(&why, "database schema version %d is newer than this inkan reads (%d)",
                           v, PG_SCHEMA_VERSION);
        else if (v >= 0)
            /* read only: an older version is read as it is (its domains
             * are there); an empty database gets the schema, as a
             * missing SQLite file is made */
            ok = (readonly && v > 0) || migrate(s, &why) == 0;
        if (ok && readonly)
            ok = cmd(s, "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY", &why) == 0;
    }
    if (!ok) {
        ink_str_printf(err, "%s: %s", ink_str_cstr(&shown), ink_str_cstr(&why));
        ink_str_free(&shown);
        ink_str_free(&why);
        pg_free(&s->base);
        return NULL;
    }
    ink_str_free(&shown);
    ink_str_free(&why);
    return &s->base;
}

/* ink_store_pg_open - connect to the database uri names, migrating it */
struct ink_store *ink_store_pg_open(const char *uri, struct ink_str *err)
{
    return pg_open_mode(uri, 0, err);
}

/* ink_store_pg_open_readonly - connect to read (see store.h) */
struct ink_store *ink_store_pg_open_readonly(const char *uri, struct ink_str *err)
{
    return pg_open_mode(uri, 1, err);
}
