/* serve.h - what the parts of `inkan serve` share: the JSON answers
 * (serve.c), the evaluation endpoints (serve_eval.c) and the check runner
 * of GET /api/check/{d} (serve_check.c), which runs the DNS work of
 * `inkan check` on a thread of its own, off libmicrohttpd's. */
#ifndef INKAN_CLI_SERVE_H
#define INKAN_CLI_SERVE_H

#include <jansson.h>

#include "inkan/http.h"
#include "inkan/resolver.h"

/* serve_json - res's body: j dumped (j's reference taken), with <, > and
 * & written as \u escapes so no text of the document can open markup */
void serve_json(struct ink_http_response *res, unsigned status, json_t *j);
/* serve_error - the JSON error document {"error":{"code","message"}} */
void serve_error(struct ink_http_response *res, unsigned status, const char *code,
                 const char *message);

struct ink_store;

/* serve_evaluations - GET /api/evaluations (view NULL: a page of rows) or
 * /api/evaluations/VIEW ("summary": counts) over st (serve_eval.c) */
void serve_evaluations(struct ink_store *st, const struct ink_http_request *req,
                       const char *view, struct ink_http_response *res);

/* Seconds one GET /api/check/{d} may take by default (--check-timeout). */
#define SERVE_CHECK_TIMEOUT_DEFAULT 30
/* Largest --check-timeout. */
#define SERVE_CHECK_TIMEOUT_MAX 600
/* Checks queued or running at once; more are answered 503. */
#define SERVE_CHECK_QUEUE_MAX 32
/* DKIM selectors one check may name (selector=a,b). */
#define SERVE_CHECK_SELECTORS_MAX 16

struct serve_check;

/* serve_check_start - the check runner's thread over the DNS source dns
 * (borrowed: must outlive the runner), each check answered 504 after
 * timeout_s seconds.  NULL after printing why. */
struct serve_check *serve_check_start(const struct ink_resolver_opts *dns, int timeout_s);
/* serve_check_request - make res a deferred answer: the check of domain
 * (a normalized name) with the DKIM selectors of the comma list sel (NULL:
 * none), run on the runner's thread.  0; -1 after filling res with the
 * error (400 for a bad selector list, 500 out of memory). */
int serve_check_request(struct serve_check *c, const char *domain, const char *sel,
                        struct ink_http_response *res);
/* serve_check_stop - answer what is queued or running 503, stop the
 * thread and free; before ink_http_stop.  NULL is a no-op. */
void serve_check_stop(struct serve_check *c);

#endif
