/*
 * store.c - the store interface's dispatch helpers and the free functions
 * for what backends hand out.
 */
#include "inkan/store.h"

#include <stdlib.h>
#include <string.h>

/* ink_store_add - store a new domain */
int ink_store_add(struct ink_store *s, struct ink_vdomain *d, int replace, struct ink_str *err)
{
    return s->ops->add(s, d, replace, err);
}

/* ink_store_get - load one domain */
int ink_store_get(struct ink_store *s, const char *domain, struct ink_vdomain **out,
                  struct ink_str *err)
{
    return s->ops->get(s, domain, out, err);
}

/* ink_store_list - load every domain */
int ink_store_list(struct ink_store *s, struct ink_vdomain ***out, size_t *n,
                   struct ink_str *err)
{
    return s->ops->list(s, out, n, err);
}

/* ink_store_save - write one check's result in one transaction */
int ink_store_save(struct ink_store *s, struct ink_vdomain *d, const struct ink_vchange *changes,
                   size_t nchanges, struct ink_str *err)
{
    return s->ops->save(s, d, changes, nchanges, err);
}

/* ink_store_remove - forget a domain */
int ink_store_remove(struct ink_store *s, const char *domain, struct ink_str *err)
{
    return s->ops->remove(s, domain, err);
}

/* ink_store_due - domains to poll now */
int ink_store_due(struct ink_store *s, int64_t now, char ***names, size_t *n, int64_t *next,
                  struct ink_str *err)
{
    return s->ops->due(s, now, names, n, next, err);
}

/* ink_store_history - a domain's latest state changes */
int ink_store_history(struct ink_store *s, const char *domain, size_t limit,
                      struct ink_store_event **out, size_t *n, struct ink_str *err)
{
    return s->ops->history(s, domain, limit, out, n, err);
}

/* no_rotations - what the rotation helpers say for a backend without them */
static int no_rotations(struct ink_store *s, struct ink_str *err)
{
    ink_str_printf(err, "database: the %s store does not keep DKIM key rotations", s->ops->name);
    return -1;
}

/* ink_store_rotation_add - store a new rotation */
int ink_store_rotation_add(struct ink_store *s, struct ink_rotation *r, struct ink_str *err)
{
    return s->ops->rotation_add ? s->ops->rotation_add(s, r, err) : no_rotations(s, err);
}

/* ink_store_rotation_list - load rotations */
int ink_store_rotation_list(struct ink_store *s, const char *domain, int latest_only,
                            struct ink_rotation ***out, size_t *n, struct ink_str *err)
{
    *out = NULL;
    *n = 0;
    return s->ops->rotation_list ? s->ops->rotation_list(s, domain, latest_only, out, n, err)
                                 : no_rotations(s, err);
}

/* ink_store_rotation_save - write one advance */
int ink_store_rotation_save(struct ink_store *s, const struct ink_rotation *r,
                            enum ink_rot_phase was, struct ink_str *err)
{
    return s->ops->rotation_save ? s->ops->rotation_save(s, r, was, err) : no_rotations(s, err);
}

/* ink_rotations_free - free a rotation list */
void ink_rotations_free(struct ink_rotation **r, size_t n)
{
    size_t i;

    for (i = 0; r != NULL && i < n; i++)
        ink_rotation_free(r[i]);
    free(r);
}

/* ink_store_free - close */
void ink_store_free(struct ink_store *s)
{
    if (s != NULL)
        s->ops->free(s);
}

/* ink_store_events_free - free history rows */
void ink_store_events_free(struct ink_store_event *ev, size_t n)
{
    size_t i;

    for (i = 0; ev != NULL && i < n; i++) {
        free(ev[i].owner);
        free(ev[i].type);
        free(ev[i].detail);
    }
    free(ev);
}

/* ink_store_names_free - free a name list */
void ink_store_names_free(char **names, size_t n)
{
    size_t i;

    for (i = 0; names != NULL && i < n; i++)
        free(names[i]);
    free(names);
}

/* ink_store_domains_free - free a domain list */
void ink_store_domains_free(struct ink_vdomain **d, size_t n)
{
    size_t i;

    for (i = 0; d != NULL && i < n; i++)
        ink_vdomain_free(d[i]);
    free(d);
}

/* ink_store_report_begin - open the transaction of one report */
int ink_store_report_begin(struct ink_store *s, const struct ink_report_meta *m,
                           const char *source, struct ink_str *err)
{
    return s->ops->report_begin(s, m, source, err);
}

/* ink_store_report_record - add one record to the open report */
int ink_store_report_record(struct ink_store *s, const struct ink_report_record *r,
                            struct ink_str *err)
{
    return s->ops->report_record(s, r, err);
}

/* ink_store_report_commit - check the bytes and commit the open report */
int ink_store_report_commit(struct ink_store *s, const char *sha256_hex, uint64_t bytes,
                            const char *notes, struct ink_str *err)
{
    return s->ops->report_commit(s, sha256_hex, bytes, notes, err);
}

/* ink_store_report_abort - roll the open report back */
void ink_store_report_abort(struct ink_store *s)
{
    s->ops->report_abort(s);
}

/* ink_store_report_failure_add - store one failure report */
int ink_store_report_failure_add(struct ink_store *s, const struct ink_arf *a,
                                 const char *headers, const char *sha256_hex, const char *source,
                                 struct ink_str *err)
{
    return s->ops->report_failure_add(s, a, headers, sha256_hex, source, err);
}

/* ink_store_report_summary - per-domain summaries of the stored reports */
int ink_store_report_summary(struct ink_store *s, const char *domain,
                             struct ink_report_summary **out, size_t *n, struct ink_str *err)
{
    return s->ops->report_summary(s, domain, out, n, err);
}

/* ink_store_report_summary_span - summaries over [since, until]; a
 * backend without the op answers the whole store only */
int ink_store_report_summary_span(struct ink_store *s, const char *domain, int64_t since,
                                  int64_t until, struct ink_report_summary **out, size_t *n,
                                  struct ink_str *err)
{
    if (s->ops->report_summary_span != NULL)
        return s->ops->report_summary_span(s, domain, since, until, out, n, err);
    if (since == INT64_MIN && until == INT64_MAX)
        return s->ops->report_summary(s, domain, out, n, err);
    *out = NULL;
    *n = 0;
    ink_str_printf(err, "the %s store cannot limit reports to a time span", s->ops->name);
    return -1;
}

/* ink_store_report_timeline - per-day report totals */
int ink_store_report_timeline(struct ink_store *s, const char *domain, int64_t since,
                              int64_t until, struct ink_report_day **out, size_t *n,
                              struct ink_str *err)
{
    *out = NULL;
    *n = 0;
    if (s->ops->report_timeline == NULL) {
        ink_str_printf(err, "the %s store has no report timeline", s->ops->name);
        return -1;
    }
    return s->ops->report_timeline(s, domain, since, until, out, n, err);
}

/* ink_store_report_ptr_put - cache reverse-lookup outcomes */
int ink_store_report_ptr_put(struct ink_store *s, const struct ink_store_ptr *v, size_t n,
                             struct ink_str *err)
{
    return s->ops->report_ptr_put(s, v, n, err);
}

/* ink_store_report_rows - the stored rows of a domain and period */
int ink_store_report_rows(struct ink_store *s, const char *domain, int64_t since, int64_t until,
                          struct ink_report_row **out, size_t *n, struct ink_str *err)
{
    *out = NULL;
    *n = 0;
    if (s->ops->report_rows == NULL) {
        ink_str_printf(err, "the %s store cannot list report rows", s->ops->name);
        return -1;
    }
    return s->ops->report_rows(s, domain, since, until, out, n, err);
}

/* no_marks - what the mark helpers say for a backend without marks */
static int no_marks(struct ink_store *s, struct ink_str *err)
{
    ink_str_printf(err, "database: the %s store does not keep marks on report sources",
                   s->ops->name);
    return -1;
}

/* ink_store_report_mark_put - store or replace an owner's mark */
int ink_store_report_mark_put(struct ink_store *s, const struct ink_store_mark *m, int *replaced,
                              struct ink_str *err)
{
    if (replaced != NULL)
        *replaced = 0;
    return s->ops->report_mark_put ? s->ops->report_mark_put(s, m, replaced, err)
                                   : no_marks(s, err);
}

/* ink_store_report_mark_list - the marks of a domain (NULL: all) */
int ink_store_report_mark_list(struct ink_store *s, const char *domain,
                               struct ink_store_mark **out, size_t *n, struct ink_str *err)
{
    *out = NULL;
    *n = 0;
    return s->ops->report_mark_list ? s->ops->report_mark_list(s, domain, out, n, err)
                                    : no_marks(s, err);
}

/* ink_store_report_mark_remove - forget one mark */
int ink_store_report_mark_remove(struct ink_store *s, const char *domain, const char *network,
                                 unsigned prefix, struct ink_str *err)
{
    return s->ops->report_mark_remove ? s->ops->report_mark_remove(s, domain, network, prefix, err)
                                      : no_marks(s, err);
}

/* ink_store_marks_free - free n marks and the array */
void ink_store_marks_free(struct ink_store_mark *m, size_t n)
{
    size_t i;

    for (i = 0; m != NULL && i < n; i++) {
        free(m[i].domain);
        free(m[i].network);
        free(m[i].mark);
        free(m[i].note);
    }
    free(m);
}

/* ink_report_summaries_free - free summaries and their sources */
void ink_report_summaries_free(struct ink_report_summary *sum, size_t n)
{
    size_t i, j;

    for (i = 0; sum != NULL && i < n; i++) {
        for (j = 0; j < sum[i].nsources; j++) {
            free(sum[i].sources[j].ip);
            free(sum[i].sources[j].ptr);
            free(sum[i].sources[j].platform);
            free(sum[i].sources[j].spf_pass_domains);
            free(sum[i].sources[j].dkim_pass_domains);
            free(sum[i].sources[j].spf_auth_domains);
            free(sum[i].sources[j].dkim_auth_domains);
            free(sum[i].sources[j].mark_network);
        }
        free(sum[i].sources);
        free(sum[i].domain);
        free(sum[i].p);
        free(sum[i].testing);
    }
    free(sum);
}

/* ink_store_token_add - keep an API token's hash under a name */
int ink_store_token_add(struct ink_store *s, const char *name, const char *sha256_hex,
                        int64_t now, struct ink_str *err)
{
    return s->ops->token_add(s, name, sha256_hex, now, err);
}

/* ink_store_token_find - the token name for a hash (caller frees) */
int ink_store_token_find(struct ink_store *s, const char *sha256_hex, int64_t now, char **name,
                         struct ink_str *err)
{
    return s->ops->token_find(s, sha256_hex, now, name, err);
}

/* ink_store_token_list - every token (caller frees with ink_store_tokens_free) */
int ink_store_token_list(struct ink_store *s, struct ink_store_token **out, size_t *n,
                         struct ink_str *err)
{
    return s->ops->token_list(s, out, n, err);
}

/* ink_store_token_revoke - forget a token by name */
int ink_store_token_revoke(struct ink_store *s, const char *name, struct ink_str *err)
{
    return s->ops->token_revoke(s, name, err);
}

/* ink_store_tokens_free - free n tokens and the array */
void ink_store_tokens_free(struct ink_store_token *t, size_t n)
{
    size_t i;

    for (i = 0; t != NULL && i < n; i++)
        free(t[i].name);
    free(t);
}

/* no_evaluations - what the evaluation helpers say for a backend without them */
static int no_evaluations(struct ink_store *s, struct ink_str *err)
{
    ink_str_printf(err, "database: the %s store does not keep inbound evaluations", s->ops->name);
    return -1;
}

/* ink_store_evaluations_add - append evaluation rows, one transaction */
int ink_store_evaluations_add(struct ink_store *s, const struct ink_evrow *rows, size_t n,
                              size_t *added, struct ink_str *err)
{
    if (added != NULL)
        *added = 0;
    return s->ops->evaluations_add ? s->ops->evaluations_add(s, rows, n, added, err)
                                   : no_evaluations(s, err);
}

/* ink_store_evaluations_list - the evaluation rows of a period */
int ink_store_evaluations_list(struct ink_store *s, int64_t begin, int64_t end,
                               const char *domain, ink_evrow_fn fn, void *arg,
                               struct ink_str *err)
{
    return s->ops->evaluations_list ? s->ops->evaluations_list(s, begin, end, domain, fn, arg, err)
                                    : no_evaluations(s, err);
}

/* ink_store_evaluations_page - one page of evaluation rows, newest first */
int ink_store_evaluations_page(struct ink_store *s, const struct ink_store_evpage *q,
                               ink_evrow_id_fn fn, void *arg, struct ink_str *err)
{
    if (q->limit == 0) {
        ink_str_puts(err, "database: a page of 0 evaluation rows");
        return -1;
    }
    return s->ops->evaluations_page ? s->ops->evaluations_page(s, q, fn, arg, err)
                                    : no_evaluations(s, err);
}

/* ink_store_evaluations_summary - evaluation counts per domain, result, disposition */
int ink_store_evaluations_summary(struct ink_store *s, int64_t begin, int64_t end,
                                  const char *domain, ink_evcount_fn fn, void *arg,
                                  struct ink_str *err)
{
    return s->ops->evaluations_summary
               ? s->ops->evaluations_summary(s, begin, end, domain, fn, arg, err)
               : no_evaluations(s, err);
}

/* ink_store_has_queue - the backend has the import work queue */
int ink_store_has_queue(const struct ink_store *s)
{
    return s->ops->queue_fill != NULL && s->ops->queue_claim != NULL &&
           s->ops->queue_done != NULL;
}

/* no_queue - the error of a queue call on a backend without one */
static int no_queue(const struct ink_store *s, struct ink_str *err)
{
    ink_str_printf(err, "the %s store has no import queue", s->ops->name);
    return -1;
}

/* ink_store_queue_fill - enqueue inputs by content hash */
int ink_store_queue_fill(struct ink_store *s, const char *const *sha256_hex, size_t n,
                         struct ink_str *err)
{
    return s->ops->queue_fill ? s->ops->queue_fill(s, sha256_hex, n, err) : no_queue(s, err);
}

/* ink_store_queue_claim - take the next input */
int ink_store_queue_claim(struct ink_store *s, char *sha256_hex, struct ink_str *err)
{
    return s->ops->queue_claim ? s->ops->queue_claim(s, sha256_hex, err) : no_queue(s, err);
}

/* ink_store_queue_done - the claimed input is imported */
int ink_store_queue_done(struct ink_store *s, const char *sha256_hex, struct ink_str *err)
{
    return s->ops->queue_done ? s->ops->queue_done(s, sha256_hex, err) : no_queue(s, err);
}

/* ink_store_is_uri - a PostgreSQL URI (the schemes libpq reads) */
int ink_store_is_uri(const char *db)
{
    return db != NULL &&
           (strncmp(db, "postgresql://", 13) == 0 || strncmp(db, "postgres://", 11) == 0);
}

/* ink_store_db_ok - a URI or a database file path */
int ink_store_db_ok(const char *db)
{
    return ink_store_is_uri(db) || ink_store_path_ok(db);
}

/* ink_store_db_shown - db without its password (see store.h) */
void ink_store_db_shown(const char *db, struct ink_str *out)
{
    const char *auth, *end, *at = NULL, *p, *qm;

    if (db == NULL)
        return;
    if (!ink_store_is_uri(db)) {
        ink_str_puts(out, db);
        return;
    }
    /* user:password@ ends at the last '@' before the parameters (an
     * unescaped '/' or '@' in a password is still cut out) */
    auth = strstr(db, "://") + 3;
    end = auth + strcspn(auth, "?#");
    for (p = auth; p < end; p++)
        if (*p == '@')
            at = p;
    p = db;
    if (at != NULL) {
        const char *colon = memchr(auth, ':', (size_t)(at - auth));
        if (colon != NULL) {
            ink_str_append(out, db, (size_t)(colon - db));
            ink_str_puts(out, ":***");
            p = at;
        }
    }
    qm = strchr(p, '?');
    if (qm == NULL) {
        ink_str_puts(out, p);
        return;
    }
    ink_str_append(out, p, (size_t)(qm + 1 - p));
    for (p = qm + 1; *p != '\0' && *p != '#';) {
        size_t len = strcspn(p, "&#");
        if (strncmp(p, "password=", 9) == 0)
            ink_str_puts(out, "password=***");
        else
            ink_str_append(out, p, len);
        p += len;
        if (*p == '&') {
            ink_str_putc(out, '&');
            p++;
        }
    }
    ink_str_puts(out, p);
}

/* ink_store_open - the backend db names */
struct ink_store *ink_store_open(const char *db, int readonly, struct ink_str *err)
{
    if (ink_store_is_uri(db))
        return readonly ? ink_store_pg_open_readonly(db, err) : ink_store_pg_open(db, err);
    return readonly ? ink_store_sqlite_open_readonly(db, err) : ink_store_sqlite_open(db, err);
}
