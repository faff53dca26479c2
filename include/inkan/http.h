/*
 * inkan/http.h - the HTTP server under `inkan serve` (src/http, on
 * libmicrohttpd).  The adapter owns the sockets, TLS, the request body
 * limit (413), a per-client rate limit (429) and the request log (one
 * line per request: client, method, path, status, milliseconds, the
 * untrusted parts made printable and cut); the handler the caller gives
 * sees one whole request at a time and fills in a response.
 *
 * Requests are handled one at a time on the server's own thread
 * (libmicrohttpd's internal polling thread), so a handler needs no locks
 * against itself.  A handler with slow work (DNS) must not do it there:
 * it sets res->defer, the server suspends that connection (and goes on
 * serving the others) and hands the request to defer(); whoever holds it
 * then answers with ink_http_resume() from any thread.
 */
#ifndef INKAN_HTTP_H
#define INKAN_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "inkan/str.h"

#include "inkan/export.h"

#ifdef __cplusplus
extern "C" {
#endif

INK_API_BEGIN

/* Largest request body accepted (larger: 413). */
#define INK_HTTP_BODY_MAX (1024u * 1024u)
/* Requests one client may make per minute by default (more: 429). */
#define INK_HTTP_RATE_DEFAULT 600
/* Extra response headers a handler may set. */
#define INK_HTTP_HEADERS_MAX 4

/* One request as the handler sees it (all owned by the server). */
struct ink_http_request {
    const char *method;   /* "GET", "POST", ... */
    const char *path;     /* the URL path, not decoded */
    const char *client;   /* the peer's address as text */
    const uint8_t *body;  /* NUL-terminated after len */
    size_t len;
    void *conn;           /* for ink_http_header */
};

/* A request the handler answers later (owned by the server). */
struct ink_http_pending;
/* Called on the server's thread once the connection is suspended: the
 * callee now holds p and must ink_http_resume() it exactly once. */
typedef void (*ink_http_defer_fn)(void *arg, struct ink_http_pending *p);

/* The handler's answer. */
struct ink_http_response {
    unsigned status;
    const char *type;      /* Content-Type (static) */
    struct ink_str body;   /* owned by the server after the call */
    const char *hname[INK_HTTP_HEADERS_MAX];
    char *hvalue[INK_HTTP_HEADERS_MAX]; /* malloc'd; freed by the server */
    size_t nheaders;
    ink_http_defer_fn defer; /* non-NULL: answer later (status, body unused) */
    void *defer_arg;
};

/* The handler: fill res (status 0 is answered 500). */
typedef void (*ink_http_handler)(void *ctx, const struct ink_http_request *req,
                                 struct ink_http_response *res);
/* The observer: called after each response (for metrics). */
typedef void (*ink_http_observer)(void *ctx, const struct ink_http_request *req, unsigned status,
                                  double ms);

struct ink_http_opts {
    const char *listen;       /* "ADDR:PORT" or "[ADDR6]:PORT" */
    const char *tls_cert;     /* PEM file, with tls_key: HTTPS */
    const char *tls_key;
    unsigned rate_per_min;    /* 0: INK_HTTP_RATE_DEFAULT */
    size_t body_max;          /* 0: INK_HTTP_BODY_MAX */
    ink_http_handler handler;
    ink_http_observer observer; /* may be NULL */
    void *ctx;
};

struct ink_http;

/* ink_http_listen_is_loopback - 1 when listen's address is 127.0.0.0/8 or
 * ::1, 0 otherwise, -1 when it is not ADDR:PORT */
int ink_http_listen_is_loopback(const char *listen);
/* ink_http_start - listen and serve on the server's thread; NULL with why
 * in err.  Caller stops it with ink_http_stop. */
struct ink_http *ink_http_start(const struct ink_http_opts *o, struct ink_str *err);
/* ink_http_port - the port listened on (useful with port 0) */
unsigned ink_http_port(const struct ink_http *h);
/* ink_http_stop - stop serving and free; NULL is a no-op */
void ink_http_stop(struct ink_http *h);
/* ink_http_header - a request header's value (owned by the server), or NULL */
const char *ink_http_header(const struct ink_http_request *req, const char *name);
/* ink_http_arg - a query-string argument's value (owned by the server), or NULL */
const char *ink_http_arg(const struct ink_http_request *req, const char *name);
/* ink_http_cookie - a request cookie's value (owned by the server), or NULL */
const char *ink_http_cookie(const struct ink_http_request *req, const char *name);
/* ink_http_resume - answer the deferred request p with res (any thread,
 * once per p).  Its body and headers are taken over; res is left empty.
 * Every pending request must be resumed before ink_http_stop. */
void ink_http_resume(struct ink_http_pending *p, struct ink_http_response *res);
/* ink_http_set_header - add a response header (value copied); 0/-1 */
int ink_http_set_header(struct ink_http_response *res, const char *name, const char *value);

INK_API_END

#ifdef __cplusplus
}
#endif
#endif
