/*
 * http.c - the HTTP server of `inkan serve` (inkan/http.h) on
 * libmicrohttpd: listening (loopback, or TLS), whole-body collection with
 * a limit (413), a per-client rate limit (429), one log line per request
 * on stderr, and the handler's response sent back, at once or, for a
 * deferred request, when another thread resumes it (libmicrohttpd's
 * suspend/resume).
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "inkan/http.h"

/* Clients the rate limiter remembers (oldest forgotten first). */
#define HTTP_CLIENTS_MAX 256
/* Connections served at once. */
#define HTTP_CONNECTIONS_MAX 64
/* Seconds an idle connection is kept. */
#define HTTP_IDLE_TIMEOUT 30
/* Longest path shown in the log. */
#define HTTP_LOG_PATH_MAX 200
/* Largest TLS certificate or key file read. */
#define HTTP_PEM_MAX (256u * 1024u)

struct client_rate {
    char addr[INET6_ADDRSTRLEN];
    double tokens;   /* requests left; refilled at rate per minute */
    double at;       /* when tokens was computed (monotonic s) */
};

struct ink_http {
    struct MHD_Daemon *d;
    struct ink_http_opts o;
    char *cert, *key; /* PEM text (MHD keeps pointers) */
    struct client_rate clients[HTTP_CLIENTS_MAX];
    size_t nclients, next_evict;
};

/* Where a request is: being received and answered at once, or handed
 * to a handler's defer() (the connection suspended), or given its answer
 * by ink_http_resume() (libmicrohttpd then calls on_request again). */
enum conn_state { CONN_ACTIVE, CONN_SUSPENDED, CONN_RESUMED };

/* One request being received (a struct ink_http_pending while deferred). */
struct ink_http_pending {
    struct ink_str body;
    int too_big;
    double start;
    enum conn_state state;
    struct MHD_Connection *mc;
    struct ink_http_response later; /* the answer ink_http_resume gave */
};

/* now_s - monotonic seconds */
static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* client_text - the peer address of a connection as text into buf */
static void client_text(struct MHD_Connection *c, char *buf, size_t len)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

    snprintf(buf, len, "?");
    if (ci == NULL || ci->client_addr == NULL)
        return;
    if (ci->client_addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)ci->client_addr)->sin_addr,
                  buf, (socklen_t)len);
    else if (ci->client_addr->sa_family == AF_INET6)
        inet_ntop(AF_INET6,
                  &((const struct sockaddr_in6 *)(const void *)ci->client_addr)->sin6_addr, buf,
                  (socklen_t)len);
}

/* rate_ok - take one request from the client's allowance; 1 allowed */
static int rate_ok(struct ink_http *h, const char *addr)
{
    double rate = h->o.rate_per_min ? h->o.rate_per_min : INK_HTTP_RATE_DEFAULT, t = now_s();
    struct client_rate *c = NULL;
    size_t i;

    for (i = 0; i < h->nclients; i++)
        if (strcmp(h->clients[i].addr, addr) == 0) {
            c = &h->clients[i];
            break;
        }
    if (c == NULL) {
        if (h->nclients < HTTP_CLIENTS_MAX)
            c = &h->clients[h->nclients++];
        else
            c = &h->clients[h->next_evict++ % HTTP_CLIENTS_MAX];
        snprintf(c->addr, sizeof(c->addr), "%s", addr);
        c->tokens = rate;
        c->at = t;
    }
    c->tokens += (t - c->at) * rate / 60.0;
    if (c->tokens > rate)
        c->tokens = rate;
    c->at = t;
    if (c->tokens < 1.0)
        return 0;
    c->tokens -= 1.0;
    return 1;
}

/* log_request - one line on stderr: client method path status ms */
static void log_request(const char *client, const char *method, const char *path,
                        unsigned status, double ms)
{
    struct ink_str m = INK_STR_INIT, p = INK_STR_INIT;

    ink_str_put_printable(&m, method, strlen(method), 16);
    ink_str_put_printable(&p, path, strlen(path), HTTP_LOG_PATH_MAX);
    fprintf(stderr, "inkan serve: %s %s %s %u %.1fms\n", client, ink_str_cstr(&m),
            ink_str_cstr(&p), status, ms);
    ink_str_free(&m);
    ink_str_free(&p);
}

/* error_body - the JSON error document into s */
static void error_body(struct ink_str *s, const char *code, const char *message)
{
    ink_str_printf(s, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}\n", code, message);
}

/* send_response - queue res on c and free what it holds */
static enum MHD_Result send_response(struct MHD_Connection *c, struct ink_http_response *res)
{
    struct MHD_Response *r;
    enum MHD_Result ok;
    size_t i, len = (res->body).len;
    char *body = ink_str_steal(&res->body);

    r = MHD_create_response_from_buffer(len, body ? body : (char *)"", body ? MHD_RESPMEM_MUST_FREE
                                                                          : MHD_RESPMEM_PERSISTENT);
    if (r == NULL) {
        free(body);
        ok = MHD_NO;
    } else {
        MHD_add_response_header(r, "Content-Type", res->type ? res->type : "application/json");
        MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
        MHD_add_response_header(r, "Cache-Control", "no-store");
        for (i = 0; i < res->nheaders; i++)
            MHD_add_response_header(r, res->hname[i], res->hvalue[i]);
        ok = MHD_queue_response(c, res->status, r);
        MHD_destroy_response(r);
    }
    for (i = 0; i < res->nheaders; i++)
        free(res->hvalue[i]);
    res->nheaders = 0;
    return ok;
}

/* drop_response - free what a response holds that will not be sent */
static void drop_response(struct ink_http_response *res)
{
    size_t i;

    ink_str_free(&res->body);
    for (i = 0; i < res->nheaders; i++)
        free(res->hvalue[i]);
    res->nheaders = 0;
}

/* answer - send res on mc, log it and tell the observer */
static enum MHD_Result answer(struct ink_http *h, struct MHD_Connection *mc, struct ink_http_pending *cn,
                              const char *method, const char *url, struct ink_http_response *res)
{
    char client[INET6_ADDRSTRLEN];
    struct ink_http_request req;
    unsigned status = res->status;
    enum MHD_Result ok;
    double ms;

    client_text(mc, client, sizeof(client));
    req.method = method;
    req.path = url;
    req.client = client;
    req.body = (const uint8_t *)ink_str_cstr(&cn->body);
    req.len = (cn->body).len;
    req.conn = mc;
    ok = send_response(mc, res);
    ms = (now_s() - cn->start) * 1000.0;
    log_request(client, method, url, status, ms);
    if (h->o.observer != NULL)
        h->o.observer(h->o.ctx, &req, status, ms);
    return ok;
}

/* finish - answer (the handler's response, or one of ours), or suspend
 * the connection when the handler defers */
static enum MHD_Result finish(struct ink_http *h, struct MHD_Connection *mc, struct ink_http_pending *cn,
                              const char *method, const char *url, struct ink_http_response *res)
{
    char client[INET6_ADDRSTRLEN];
    struct ink_http_request req;

    client_text(mc, client, sizeof(client));
    req.method = method;
    req.path = url;
    req.client = client;
    req.body = (const uint8_t *)ink_str_cstr(&cn->body);
    req.len = (cn->body).len;
    req.conn = mc;
    if (res->status == 0 && !rate_ok(h, client)) {
        res->status = 429;
        error_body(&res->body, "rate_limited", "too many requests; slow down");
        ink_http_set_header(res, "Retry-After", "10");
    }
    if (res->status == 0) {
        h->o.handler(h->o.ctx, &req, res);
        if (res->defer != NULL) {
            ink_http_defer_fn fn = res->defer;
            void *arg = res->defer_arg;

            drop_response(res);
            /* suspended before defer() runs, so a resume from another
             * thread can never come first */
            cn->state = CONN_SUSPENDED;
            cn->mc = mc;
            MHD_suspend_connection(mc);
            fn(arg, cn);
            return MHD_YES;
        }
        if (res->status == 0) {
            ink_str_truncate(&res->body, 0);
            res->status = 500;
            error_body(&res->body, "internal", "the request could not be answered");
        }
    }
    return answer(h, mc, cn, method, url, res);
}

/* ink_http_resume - answer a deferred request (any thread) */
void ink_http_resume(struct ink_http_pending *p, struct ink_http_response *res)
{
    p->later = *res;
    p->later.defer = NULL;
    if (p->later.status == 0) {
        ink_str_truncate(&p->later.body, 0);
        p->later.status = 500;
        error_body(&p->later.body, "internal", "the request could not be answered");
    }
    memset(res, 0, sizeof(*res));
    p->state = CONN_RESUMED;
    /* libmicrohttpd's lock inside orders the writes above before its
     * thread calls on_request again */
    MHD_resume_connection(p->mc);
}

/* on_request - libmicrohttpd's access handler: collect the body, then answer */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *mc, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct ink_http *h = cls;
    struct ink_http_pending *cn = *con_cls;
    size_t max = h->o.body_max ? h->o.body_max : INK_HTTP_BODY_MAX;
    struct ink_http_response res;
    enum MHD_Result ok;

    (void)version;
    if (cn != NULL && cn->state == CONN_RESUMED) {
        cn->state = CONN_ACTIVE;
        return answer(h, mc, cn, method, url, &cn->later);
    }
    if (cn != NULL && cn->state == CONN_SUSPENDED)
        return MHD_YES; /* not ours to answer yet */
    if (cn == NULL) {
        const char *cl = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Content-Length");
        cn = calloc(1, sizeof(*cn));
        if (cn == NULL)
            return MHD_NO;
        cn->start = now_s();
        *con_cls = cn;
        if (cl != NULL && strtoull(cl, NULL, 10) > max) {
            /* answered before the body is read: the connection closes */
            memset(&res, 0, sizeof(res));
            res.status = 413;
            error_body(&res.body, "body_too_large", "the request body is too large");
            cn->too_big = 1;
            return finish(h, mc, cn, method, url, &res);
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (!cn->too_big && (cn->body).len + *upload_data_size <= max)
            ink_str_append(&cn->body, upload_data, *upload_data_size);
        else if (!cn->too_big) {
            cn->too_big = 1;
            ink_str_free(&cn->body);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    memset(&res, 0, sizeof(res));
    if (cn->too_big) {
        res.status = 413;
        error_body(&res.body, "body_too_large", "the request body is too large");
    }
    ok = finish(h, mc, cn, method, url, &res);
    return ok;
}

/* on_done - a request ended: free what was collected */
static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
    struct ink_http_pending *cn = *con_cls;

    (void)cls;
    (void)c;
    (void)toe;
    if (cn != NULL) {
        if (cn->state == CONN_RESUMED)
            drop_response(&cn->later); /* resumed as the server stopped */
        ink_str_free(&cn->body);
        free(cn);
        *con_cls = NULL;
    }
}

/* parse_listen - "ADDR:PORT" / "[ADDR6]:PORT" into a socket address; 0/-1 */
static int parse_listen(const char *listen, struct sockaddr_storage *ss)
{
    char host[INET6_ADDRSTRLEN + 2];
    const char *colon;
    char *end;
    unsigned long port;
    size_t hl;

    memset(ss, 0, sizeof(*ss));
    if (listen[0] == '[') {
        const char *rb = strchr(listen, ']');
        if (rb == NULL || rb[1] != ':')
            return -1;
        hl = (size_t)(rb - listen - 1);
        if (hl >= sizeof(host))
            return -1;
        memcpy(host, listen + 1, hl);
        colon = rb + 1;
    } else {
        colon = strrchr(listen, ':');
        if (colon == NULL)
            return -1;
        hl = (size_t)(colon - listen);
        if (hl >= sizeof(host))
            return -1;
        memcpy(host, listen, hl);
    }
    host[hl] = '\0';
    port = strtoul(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end != '\0' || port > 65535)
        return -1;
    if (strchr(host, ':') != NULL) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        return inet_pton(AF_INET6, host, &a->sin6_addr) == 1 ? 0 : -1;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
    }
}

/* ink_http_listen_is_loopback - 1 loopback, 0 other, -1 malformed */
int ink_http_listen_is_loopback(const char *listen)
{
    struct sockaddr_storage ss;

    if (parse_listen(listen, &ss) < 0)
        return -1;
    if (ss.ss_family == AF_INET)
        return (ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr) >> 24) == 127;
    return IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&ss)->sin6_addr);
}

/* read_pem - a whole PEM file as a C string (caller frees), or NULL */
static char *read_pem(const char *path, struct ink_str *err)
{
    FILE *fp = fopen(path, "rb");
    struct ink_str s = INK_STR_INIT;
    char buf[4096];
    size_t n;

    if (fp == NULL) {
        ink_str_printf(err, "%s: cannot open", path);
        return NULL;
    }
    while ((n = fread(buf, 1, sizeof(buf), fp)) > 0 && (s).len <= HTTP_PEM_MAX)
        ink_str_append(&s, buf, n);
    fclose(fp);
    if ((s).len > HTTP_PEM_MAX || (s).len == 0) {
        ink_str_printf(err, "%s: not a PEM file of at most %u bytes", path, HTTP_PEM_MAX);
        ink_str_free(&s);
        return NULL;
    }
    return ink_str_steal(&s);
}

/* ink_http_start - listen and serve */
struct ink_http *ink_http_start(const struct ink_http_opts *o, struct ink_str *err)
{
    struct ink_http *h;
    struct sockaddr_storage ss;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;

    if (parse_listen(o->listen, &ss) < 0) {
        ink_str_printf(err, "--listen '%s': give ADDR:PORT or [ADDR6]:PORT", o->listen);
        return NULL;
    }
    h = calloc(1, sizeof(*h));
    if (h == NULL) {
        ink_str_puts(err, "out of memory");
        return NULL;
    }
    h->o = *o;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (o->tls_cert != NULL) {
        if ((h->cert = read_pem(o->tls_cert, err)) == NULL ||
            (h->key = read_pem(o->tls_key, err)) == NULL) {
            ink_http_stop(h);
            return NULL;
        }
        flags |= MHD_USE_TLS;
    }
    if (h->cert != NULL)
        h->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR, &ss,
                                MHD_OPTION_NOTIFY_COMPLETED, on_done, h,
                                MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_CONNECTIONS_MAX,
                                MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_IDLE_TIMEOUT,
                                MHD_OPTION_HTTPS_MEM_CERT, h->cert, MHD_OPTION_HTTPS_MEM_KEY,
                                h->key, MHD_OPTION_END);
    else
        h->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR, &ss,
                                MHD_OPTION_NOTIFY_COMPLETED, on_done, h,
                                MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_CONNECTIONS_MAX,
                                MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_IDLE_TIMEOUT,
                                MHD_OPTION_END);
    if (h->d == NULL) {
        ink_str_printf(err, "cannot listen on %s (in use, or TLS refused)", o->listen);
        ink_http_stop(h);
        return NULL;
    }
    return h;
}

/* ink_http_port - the port listened on */
unsigned ink_http_port(const struct ink_http *h)
{
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);

    return i ? i->port : 0;
}

/* ink_http_stop - stop and free */
void ink_http_stop(struct ink_http *h)
{
    if (h == NULL)
        return;
    if (h->d != NULL)
        MHD_stop_daemon(h->d);
    free(h->cert);
    free(h->key);
    free(h);
}

/* ink_http_header - a request header, or NULL */
const char *ink_http_header(const struct ink_http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

/* ink_http_arg - a query-string argument (decoded, owned by the server), or NULL */
const char *ink_http_arg(const struct ink_http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

/* ink_http_cookie - a request cookie, or NULL */
const char *ink_http_cookie(const struct ink_http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}

/* ink_http_set_header - add a response header (value copied) */
int ink_http_set_header(struct ink_http_response *res, const char *name, const char *value)
{
    char *v;

    if (res->nheaders >= INK_HTTP_HEADERS_MAX || (v = strdup(value)) == NULL)
        return -1;
    res->hname[res->nheaders] = name;
    res->hvalue[res->nheaders++] = v;
    return 0;
}
