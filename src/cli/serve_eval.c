/*
 * serve_eval.c - `inkan serve`'s inbound evaluation endpoints (for a
 * receiver: the rows `inkan milter` and `inkan verify --record` store):
 *
 *   GET /api/evaluations?since=&until=&domain=&limit=&after=
 *       a page of rows, newest first, each the document of `inkan
 *       evaluations list --json` with its row id, and the cursor of the
 *       next page;
 *   GET /api/evaluations/summary?since=&until=&domain=&limit=
 *       the rows counted per header From domain, DMARC result and
 *       disposition.
 *
 * since and until read as `inkan evaluations list --since/--until` (since
 * <= time < until).  See docs/api.md.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evrow_json.h"
#include "inkan/dns.h"
#include "inkan/store.h"
#include "serve.h"

/* Rows a page has when limit= is not given, and at most. */
#define EV_PAGE_DEFAULT 50
#define EV_PAGE_MAX 500
/* Domains the summary shows when limit= is not given, and at most. */
#define EV_SUMMARY_SHOWN_DEFAULT 100
#define EV_SUMMARY_SHOWN_MAX 1000
/* Distinct header From domains the summary holds while counting; those
 * past it are counted in the totals only ("complete": false). */
#define EV_SUMMARY_DOMAINS_MAX 20000
/* Longest cursor text: two decimal 64-bit numbers and the dot. */
#define EV_CURSOR_MAX 48

/* What the query string of both endpoints says. */
struct evq {
    int64_t since, until;
    char domain[INK_DNS_NAME_MAX + 2];
    int has_domain;
    size_t limit;
};

/* read_count - text as a count from 1 to max into *out; 0/-1 */
static int read_count(const char *text, size_t max, size_t *out)
{
    char *end;
    unsigned long long v;

    if (text[0] < '0' || text[0] > '9')
        return -1;
    errno = 0;
    v = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0' || v < 1 || v > max)
        return -1;
    *out = (size_t)v;
    return 0;
}

/* read_i64 - text (digits only) as a non-negative 64-bit number; 0/-1 */
static int read_i64(const char *text, size_t len, int64_t *out)
{
    char buf[EV_CURSOR_MAX];
    char *end;
    long long v;

    if (len == 0 || len >= sizeof(buf) || text[0] < '0' || text[0] > '9')
        return -1;
    memcpy(buf, text, len);
    buf[len] = '\0';
    errno = 0;
    v = strtoll(buf, &end, 10);
    if (errno != 0 || *end != '\0' || v < 0)
        return -1;
    *out = (int64_t)v;
    return 0;
}

/* read_query - since, until, domain and limit of req into q; 0, or -1
 * with the 400 in res */
static int read_query(const struct ink_http_request *req, size_t limit_default,
                      size_t limit_max, struct evq *q, struct ink_http_response *res)
{
    const char *since = ink_http_arg(req, "since"), *until = ink_http_arg(req, "until");
    const char *d = ink_http_arg(req, "domain"), *limit = ink_http_arg(req, "limit");
    char msg[128];
    int n;

    memset(q, 0, sizeof(*q));
    q->since = 0;
    q->until = INT64_MAX;
    q->limit = limit_default;
    if ((since != NULL && cli_ev_time_parse(since, &q->since) < 0) ||
        (until != NULL && cli_ev_time_parse(until, &q->until) < 0)) {
        serve_error(res, 400, "bad_time",
                    "since= and until= are seconds since the epoch, YYYY-MM-DD or "
                    "YYYY-MM-DDTHH:MM:SSZ (UTC)");
        return -1;
    }
    if (q->since > q->until) {
        serve_error(res, 400, "bad_time", "since= is after until=");
        return -1;
    }
    if (d != NULL) {
        n = ink_dns_name_normalize(d, strlen(d), q->domain, sizeof(q->domain));
        if (n <= 0 || memchr(q->domain, '.', (size_t)n) == NULL) {
            serve_error(res, 400, "bad_domain", "domain= is not a domain name");
            return -1;
        }
        q->has_domain = 1;
    }
    if (limit != NULL && read_count(limit, limit_max, &q->limit) < 0) {
        snprintf(msg, sizeof(msg), "limit= is a count from 1 to %zu", limit_max);
        serve_error(res, 400, "bad_limit", msg);
        return -1;
    }
    return 0;
}

/* ---- GET /api/evaluations ---- */

/* A page being gathered. */
struct page {
    json_t *rows;
    size_t want, got;           /* rows shown; rows the store handed */
    int64_t last_at, last_id;   /* the last row shown: the next cursor */
    int oom;
};

/* page_row - one row from the store into the page (the one past the page
 * only says there is a next) */
static int page_row(void *arg, int64_t id, const struct ink_evrow *r)
{
    struct page *pg = arg;
    json_t *o;

    pg->got++;
    if (pg->got > pg->want)
        return 0;
    o = cli_evrow_json(r);
    if (o == NULL || json_object_set_new(o, "id", json_integer((json_int_t)id)) < 0 ||
        json_array_append_new(pg->rows, o) < 0) {
        pg->oom = 1;
        return 1;
    }
    pg->last_at = r->at;
    pg->last_id = id;
    return 0;
}

/* api_evaluations - the page after= names (or the first) */
static void api_evaluations(struct ink_store *st, const struct ink_http_request *req,
                            struct ink_http_response *res)
{
    const char *after = ink_http_arg(req, "after");
    struct ink_store_evpage sq;
    struct ink_str err = INK_STR_INIT;
    struct page pg;
    struct evq q;
    json_t *o;
    int rc;

    if (read_query(req, EV_PAGE_DEFAULT, EV_PAGE_MAX, &q, res) < 0)
        return;
    memset(&sq, 0, sizeof(sq));
    if (after != NULL) {
        const char *dot = strchr(after, '.');
        if (dot == NULL || read_i64(after, (size_t)(dot - after), &sq.after_at) < 0 ||
            read_i64(dot + 1, strlen(dot + 1), &sq.after_id) < 0) {
            serve_error(res, 400, "bad_cursor",
                        "after= is the \"next\" of the page before (TIME.ID)");
            return;
        }
        sq.has_cursor = 1;
    }
    sq.begin = q.since;
    sq.end = q.until;
    sq.domain = q.has_domain ? q.domain : NULL;
    sq.limit = q.limit + 1; /* one more: is there a next page? */
    memset(&pg, 0, sizeof(pg));
    pg.want = q.limit;
    pg.rows = json_array();
    if (pg.rows == NULL) {
        serve_error(res, 500, "internal", "out of memory");
        return;
    }
    rc = ink_store_evaluations_page(st, &sq, page_row, &pg, &err);
    if (rc != 0 || pg.oom) {
        json_decref(pg.rows);
        if (pg.oom) {
            serve_error(res, 500, "internal", "out of memory");
        } else {
            fprintf(stderr, "inkan serve: %s\n", ink_str_cstr(&err));
            serve_error(res, 500, "store", "the evaluations cannot be read");
        }
        ink_str_free(&err);
        return;
    }
    ink_str_free(&err);
    o = json_object();
    json_object_set_new(o, "evaluations", pg.rows);
    if (pg.got > pg.want) {
        char cur[EV_CURSOR_MAX];
        snprintf(cur, sizeof(cur), "%" PRId64 ".%" PRId64, pg.last_at, pg.last_id);
        json_object_set_new(o, "next", json_string(cur));
    } else {
        json_object_set_new(o, "next", json_null());
    }
    serve_json(res, 200, o);
}

/* ---- GET /api/evaluations/summary ---- */

/* The counts being gathered. */
struct tally {
    json_t *domains;            /* one object per domain, in the store's order */
    json_t *cur;                /* the domain now counted (NULL: past the cap) */
    json_t *totals;
    char last[INK_EVROW_DOMAIN_MAX]; /* the domain of the last count */
    size_t distinct;            /* domains seen, held or not */
    int complete, oom;
};

/* bump - obj[key] += n in a counts object ("" counts as "none") */
static int bump(json_t *obj, const char *key, int64_t n)
{
    const char *k = key[0] != '\0' ? key : "none";
    json_t *v = json_object_get(obj, k);

    if (v != NULL)
        return json_integer_set(v, json_integer_value(v) + (json_int_t)n);
    return json_object_set_new(obj, k, json_integer((json_int_t)n));
}

/* counts_new - {"messages": 0, "dmarc": {}, "disposition": {}} */
static json_t *counts_new(void)
{
    return json_pack("{s:I,s:{},s:{}}", "messages", (json_int_t)0, "dmarc", "disposition");
}

/* counts_add - n messages of one DMARC result and disposition into c */
static int counts_add(json_t *c, const char *dmarc, const char *disposition, int64_t n)
{
    json_t *m = json_object_get(c, "messages");

    return json_integer_set(m, json_integer_value(m) + (json_int_t)n) < 0 ||
                   bump(json_object_get(c, "dmarc"), dmarc, n) < 0 ||
                   bump(json_object_get(c, "disposition"), disposition, n) < 0
               ? -1
               : 0;
}

/* tally_count - one count from the store (they come ordered by domain) */
static int tally_count(void *arg, const struct ink_store_evcount *c)
{
    struct tally *t = arg;

    if (counts_add(t->totals, c->dmarc, c->disposition, c->n) < 0)
        goto oom;
    if (t->distinct == 0 || strcmp(t->last, c->domain) != 0) {
        t->distinct++;
        snprintf(t->last, sizeof(t->last), "%s", c->domain);
        t->cur = NULL;
        if (json_array_size(t->domains) >= EV_SUMMARY_DOMAINS_MAX) {
            t->complete = 0;
            return 0;
        }
        t->cur = counts_new();
        if (t->cur == NULL ||
            json_object_set_new(t->cur, "domain",
                                c->domain[0] != '\0' ? json_string(c->domain) : json_null()) < 0 ||
            json_array_append_new(t->domains, t->cur) < 0)
            goto oom;
    }
    if (t->cur != NULL && counts_add(t->cur, c->dmarc, c->disposition, c->n) < 0)
        goto oom;
    return 0;
oom:
    t->oom = 1;
    return 1;
}

/* by_messages - qsort order: most messages first, then by domain */
static int by_messages(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    json_int_t mx = json_integer_value(json_object_get(x, "messages"));
    json_int_t my = json_integer_value(json_object_get(y, "messages"));
    const char *dx = json_string_value(json_object_get(x, "domain"));
    const char *dy = json_string_value(json_object_get(y, "domain"));

    if (mx != my)
        return mx > my ? -1 : 1;
    return strcmp(dx != NULL ? dx : "", dy != NULL ? dy : "");
}

/* api_evaluations_summary - the counts of the period (and domain) */
static void api_evaluations_summary(struct ink_store *st, const struct ink_http_request *req,
                                    struct ink_http_response *res)
{
    struct ink_str err = INK_STR_INIT;
    struct tally t;
    struct evq q;
    json_t **v = NULL, *shown = NULL, *o;
    size_t i, n;
    int rc;

    if (read_query(req, EV_SUMMARY_SHOWN_DEFAULT, EV_SUMMARY_SHOWN_MAX, &q, res) < 0)
        return;
    memset(&t, 0, sizeof(t));
    t.complete = 1;
    t.domains = json_array();
    t.totals = counts_new();
    rc = t.domains != NULL && t.totals != NULL
             ? ink_store_evaluations_summary(st, q.since, q.until, q.has_domain ? q.domain : NULL,
                                             tally_count, &t, &err)
             : 0;
    if (t.domains == NULL || t.totals == NULL)
        t.oom = 1;
    n = json_array_size(t.domains);
    if (rc == 0 && !t.oom) {
        v = malloc((n > 0 ? n : 1) * sizeof(*v));
        shown = json_array();
        if (v == NULL || shown == NULL)
            t.oom = 1;
    }
    if (rc != 0 || t.oom) {
        if (t.oom) {
            serve_error(res, 500, "internal", "out of memory");
        } else {
            fprintf(stderr, "inkan serve: %s\n", ink_str_cstr(&err));
            serve_error(res, 500, "store", "the evaluations cannot be read");
        }
        goto done;
    }
    for (i = 0; i < n; i++)
        v[i] = json_array_get(t.domains, i);
    qsort(v, n, sizeof(*v), by_messages);
    for (i = 0; i < n && i < q.limit; i++)
        json_array_append(shown, v[i]);
    o = json_object();
    json_object_set_new(o, "domains", shown);
    shown = NULL;
    json_object_set_new(o, "domains_total", json_integer((json_int_t)t.distinct));
    json_object_set_new(o, "complete", json_boolean(t.complete));
    json_object_set(o, "totals", t.totals);
    serve_json(res, 200, o);
done:
    free(v);
    json_decref(shown);
    json_decref(t.domains);
    json_decref(t.totals);
    ink_str_free(&err);
}

/* serve_evaluations - GET /api/evaluations (view NULL) or
 * /api/evaluations/VIEW (summary) */
void serve_evaluations(struct ink_store *st, const struct ink_http_request *req,
                       const char *view, struct ink_http_response *res)
{
    if (view == NULL)
        api_evaluations(st, req, res);
    else if (strcmp(view, "summary") == 0)
        api_evaluations_summary(st, req, res);
    else
        serve_error(res, 404, "not_found", "no such endpoint (/api/evaluations[/summary])");
}
