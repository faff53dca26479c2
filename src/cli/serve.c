/*
 * serve.c - `inkan serve` (the JSON API over the store, src/http) and
 * `inkan token` (its API tokens).
 *
 * Threads: libmicrohttpd's polling thread answers requests one at a
 * time with its own store connection (struct dctx); the main thread runs
 * the verification watch loop (what `inkan domain watch` does) with a
 * second connection and waits for SIGTERM/SIGINT between rounds; the
 * scheduled report imports of --config's imports: run on a thread of
 * their own with a third (serve_import.c).  Options may come from a YAML
 * file (--config, serve_config.c); the command line overrides it.
 *
 * Authentication: `Authorization: Bearer TOKEN` (the token's SHA-256 is
 * looked up in the store), or the session cookie POST /api/login sets
 * (HttpOnly, SameSite=Strict); a cookie session must send the session's
 * CSRF token in X-CSRF-Token with every request that is not GET/HEAD.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "inkan/dns.h"
#include "inkan/http.h"
#include "inkan/store.h"
#include "inkan/verify.h"
#include "web_assets.h"
#include "report_json.h"
#include "serve.h"

/* Bytes of randomness in an API token and in a session id. */
#define TOKEN_BYTES 32
/* Sessions kept at once (the oldest is dropped). */
#define SESSIONS_MAX 64
/* Seconds a browser session lasts. */
#define SESSION_TTL (12 * 3600)
/* Longest token name. */
#define TOKEN_NAME_MAX 64
/* History rows GET /api/domains/{d} shows. */
#define API_HISTORY 50
/* Longest profile name in POST /api/domains. */
#define PROFILE_NAME_MAX 64
/* Distinct status codes /metrics counts. */
#define METRIC_STATUS_MAX 32
/* The latency histogram's upper bounds (ms). */
static const double latency_le[] = {5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};
#define NLATENCY (sizeof(latency_le) / sizeof(latency_le[0]))

struct session {
    char id[2 * TOKEN_BYTES + 1];
    char csrf[2 * TOKEN_BYTES + 1];
    char token_name[TOKEN_NAME_MAX + 1];
    time_t expires;
};

struct serve {
    struct dctx *dc;            /* the request thread's store and checker */
    struct serve_check *check;  /* GET /api/check/{d}: its own thread */
    struct serve_imports *imports; /* the scheduled report imports: their own thread */
    const char *profiles;       /* directory of profiles (NAME.yaml) */
    struct session sessions[SESSIONS_MAX];
    size_t next_session;
    /* metrics */
    struct { unsigned code; unsigned long long n; } status[METRIC_STATUS_MAX];
    size_t nstatus;
    unsigned long long lat_bucket[NLATENCY], lat_count;
    double lat_sum_ms;
};

/* ---- small helpers ---- */

/* token_hash - the SHA-256 hex of a token into out (INK_STORE_SHA256_HEX) */
static void token_hash(const char *token, size_t len, char *out)
{
    unsigned char md[SHA256_DIGEST_LENGTH];

    SHA256((const unsigned char *)token, len, md);
    ink_hex(md, sizeof(md), out);
}

/* random_hex - TOKEN_BYTES random bytes as hex into out; 0/-1 */
static int random_hex(char *out)
{
    unsigned char b[TOKEN_BYTES];

    if (RAND_bytes(b, sizeof(b)) != 1)
        return -1;
    ink_hex(b, sizeof(b), out);
    OPENSSL_cleanse(b, sizeof(b));
    return 0;
}

/* serve_json - res's body: j dumped (j freed), with <, > and & written as
 * \u escapes so no text of the document can open markup where it lands */
void serve_json(struct ink_http_response *res, unsigned status, json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT), *p;

    json_decref(j);
    res->status = status;
    res->type = "application/json";
    ink_str_truncate(&res->body, 0);
    if (s == NULL) {
        res->status = 500;
        ink_str_puts(&res->body, "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}");
        return;
    }
    for (p = s; *p; p++) {
        /* outside strings JSON has none of these: escaping them anywhere is safe */
        if (*p == '<')
            ink_str_puts(&res->body, "\\u003c");
        else if (*p == '>')
            ink_str_puts(&res->body, "\\u003e");
        else if (*p == '&')
            ink_str_puts(&res->body, "\\u0026");
        else
            ink_str_putc(&res->body, *p);
    }
    ink_str_putc(&res->body, '\n');
    free(s);
}

/* serve_error - the JSON error document with a stable code */
void serve_error(struct ink_http_response *res, unsigned status, const char *code,
                 const char *message)
{
    json_t *e = json_object(), *o = json_object();

    json_object_set_new(e, "code", json_string(code));
    json_object_set_new(e, "message", json_string(message));
    json_object_set_new(o, "error", e);
    serve_json(res, status, o);
}

/* ---- authentication ---- */

/* session_find - the live session with this id, or NULL */
static struct session *session_find(struct serve *sv, const char *id)
{
    time_t now = time(NULL);
    size_t i;

    if (id == NULL || strlen(id) != 2 * TOKEN_BYTES)
        return NULL;
    for (i = 0; i < SESSIONS_MAX; i++)
        if (sv->sessions[i].id[0] != '\0' && sv->sessions[i].expires > now &&
            CRYPTO_memcmp(sv->sessions[i].id, id, 2 * TOKEN_BYTES) == 0)
            return &sv->sessions[i];
    return NULL;
}

/* bearer_ok - 1 when the request carries a known token (name into
 * who), 0 when not, -1 on a store error */
static int bearer_ok(struct serve *sv, const char *token, size_t len, char *who, size_t whosz)
{
    char h[INK_STORE_SHA256_HEX];
    char *name = NULL;
    struct ink_str err = INK_STR_INIT;
    int rc;

    if (len == 0)
        return 0;
    token_hash(token, len, h);
    rc = ink_store_token_find(cli_domains_store(sv->dc), h, (int64_t)time(NULL), &name, &err);
    if (rc < 0)
        cli_error("serve: %s", ink_str_cstr(&err));
    ink_str_free(&err);
    if (rc == 0)
        snprintf(who, whosz, "%s", name);
    free(name);
    return rc == 0 ? 1 : rc < 0 ? -1 : 0;
}

/* authorize - 1 when the request may go on; otherwise res holds the 401/403 */
static int authorize(struct serve *sv, const struct ink_http_request *req,
                     struct ink_http_response *res)
{
    const char *auth = ink_http_header(req, "Authorization");
    char who[TOKEN_NAME_MAX + 1];
    struct session *s;

    if (auth != NULL) {
        int k;
        if (strncmp(auth, "Bearer ", 7) != 0) {
            serve_error(res, 401, "unauthorized", "use Authorization: Bearer TOKEN");
            return 0;
        }
        k = bearer_ok(sv, auth + 7, strlen(auth + 7), who, sizeof(who));
        if (k < 0) {
            serve_error(res, 500, "store", "the token store cannot be read");
            return 0;
        }
        if (k == 0) {
            serve_error(res, 401, "unauthorized", "unknown or revoked token");
            return 0;
        }
        return 1;
    }
    s = session_find(sv, ink_http_cookie(req, "inkan_session"));
    if (s == NULL) {
        serve_error(res, 401, "unauthorized",
                  "log in (POST /api/login) or send Authorization: Bearer TOKEN");
        return 0;
    }
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        const char *csrf = ink_http_header(req, "X-CSRF-Token");
        if (csrf == NULL || strlen(csrf) != 2 * TOKEN_BYTES ||
            CRYPTO_memcmp(csrf, s->csrf, 2 * TOKEN_BYTES) != 0) {
            serve_error(res, 403, "csrf", "a cookie session must send X-CSRF-Token on this request");
            return 0;
        }
    }
    return 1;
}

/* api_login - POST /api/login {"token": "..."}: a session cookie and its CSRF token */
static void api_login(struct serve *sv, const struct ink_http_request *req,
                      struct ink_http_response *res)
{
    json_error_t jerr;
    json_t *in = json_loadb((const char *)req->body, req->len, 0, &jerr), *out;
    const char *tok = in ? json_string_value(json_object_get(in, "token")) : NULL;
    char who[TOKEN_NAME_MAX + 1];
    struct session *s;
    struct ink_str cookie = INK_STR_INIT;
    int k;

    if (tok == NULL) {
        json_decref(in);
        serve_error(res, 400, "bad_request", "send {\"token\": \"...\"}");
        return;
    }
    k = bearer_ok(sv, tok, strlen(tok), who, sizeof(who));
    json_decref(in);
    if (k <= 0) {
        serve_error(res, k < 0 ? 500 : 401, k < 0 ? "store" : "unauthorized",
                  k < 0 ? "the token store cannot be read" : "unknown or revoked token");
        return;
    }
    s = &sv->sessions[sv->next_session++ % SESSIONS_MAX];
    if (random_hex(s->id) < 0 || random_hex(s->csrf) < 0) {
        memset(s, 0, sizeof(*s));
        serve_error(res, 500, "internal", "no randomness");
        return;
    }
    snprintf(s->token_name, sizeof(s->token_name), "%s", who);
    s->expires = time(NULL) + SESSION_TTL;
    ink_str_printf(&cookie, "inkan_session=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d",
                   s->id, SESSION_TTL);
    ink_http_set_header(res, "Set-Cookie", ink_str_cstr(&cookie));
    ink_str_free(&cookie);
    out = json_object();
    json_object_set_new(out, "csrf_token", json_string(s->csrf));
    json_object_set_new(out, "token_name", json_string(who));
    serve_json(res, 200, out);
}

/* ---- the domain endpoints ---- */

/* domain_arg - the {d} of a path in the store's form into buf; 0/-1 */
static int domain_arg(const char *seg, size_t len, char *buf, size_t bufsz)
{
    int n = ink_dns_name_normalize(seg, len, buf, bufsz);

    return n > 0 && memchr(buf, '.', (size_t)n) != NULL ? 0 : -1;
}

/* api_domains_list - GET /api/domains */
static void api_domains_list(struct serve *sv, struct ink_http_response *res)
{
    struct ink_vdomain **all = NULL;
    struct ink_str err = INK_STR_INIT;
    size_t n = 0, i;
    json_t *arr, *o;

    if (ink_store_list(cli_domains_store(sv->dc), &all, &n, &err) < 0) {
        cli_error("serve: %s", ink_str_cstr(&err));
        ink_str_free(&err);
        serve_error(res, 500, "store", "the store cannot be read");
        return;
    }
    arr = json_array();
    for (i = 0; i < n; i++)
        json_array_append_new(arr, cli_domain_json(all[i], NULL, 0));
    ink_store_domains_free(all, n);
    o = json_object();
    json_object_set_new(o, "domains", arr);
    serve_json(res, 200, o);
}

/* profile_path - DIR/NAME.yaml for a profile name of [A-Za-z0-9._-] (not
 * starting with '.'), or NULL */
static char *profile_path(const char *dir, const char *name)
{
    struct ink_str s = INK_STR_INIT;
    size_t i, n = strlen(name);

    if (n == 0 || n > PROFILE_NAME_MAX || name[0] == '.')
        return NULL;
    for (i = 0; i < n; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
              (name[i] >= '0' && name[i] <= '9') || name[i] == '-' || name[i] == '_' ||
              name[i] == '.'))
            return NULL;
    ink_str_printf(&s, "%s/%s.yaml", dir, name);
    return ink_str_steal(&s);
}

/* api_domain_get - GET /api/domains/{d}: state, records, history */
static void api_domain_get(struct serve *sv, const char *name, struct ink_http_response *res)
{
    struct ink_vdomain *d = NULL;
    struct ink_store_event *ev = NULL;
    struct ink_str err = INK_STR_INIT;
    size_t nev = 0;
    int rc = ink_store_get(cli_domains_store(sv->dc), name, &d, &err);

    if (rc == 0 &&
        ink_store_history(cli_domains_store(sv->dc), name, API_HISTORY, &ev, &nev, &err) < 0)
        rc = -1;
    if (rc == INK_STORE_NOT_FOUND)
        serve_error(res, 404, "domain_not_found", "this domain is not followed");
    else if (rc != 0) {
        cli_error("serve: %s", ink_str_cstr(&err));
        serve_error(res, 500, "store", "the store cannot be read");
    } else
        serve_json(res, 200, cli_domain_json(d, ev, nev));
    ink_store_events_free(ev, nev);
    ink_vdomain_free(d);
    ink_str_free(&err);
}

/* api_domain_add - POST /api/domains {"domain", "profile", "subdomain"?} */
static void api_domain_add(struct serve *sv, const struct ink_http_request *req,
                           struct ink_http_response *res)
{
    json_error_t jerr;
    json_t *in = json_loadb((const char *)req->body, req->len, 0, &jerr);
    const char *dom = in ? json_string_value(json_object_get(in, "domain")) : NULL;
    const char *prof = in ? json_string_value(json_object_get(in, "profile")) : NULL;
    const char *sub = in ? json_string_value(json_object_get(in, "subdomain")) : NULL;
    char name[INK_DNS_NAME_MAX + 2], *path = NULL;
    struct ink_str err = INK_STR_INIT;
    int rc;

    if (dom == NULL || prof == NULL) {
        serve_error(res, 400, "bad_request",
                  "send {\"domain\": \"example.com\", \"profile\": \"NAME\"}");
        goto done;
    }
    if (domain_arg(dom, strlen(dom), name, sizeof(name)) < 0) {
        serve_error(res, 400, "bad_domain", "not a domain name");
        goto done;
    }
    if (sv->profiles == NULL) {
        serve_error(res, 400, "no_profiles", "the service was started without --profiles DIR");
        goto done;
    }
    if ((path = profile_path(sv->profiles, prof)) == NULL) {
        serve_error(res, 400, "bad_profile", "a profile name is letters, digits, '-', '_', '.'");
        goto done;
    }
    if (sub != NULL && sub[0] == '\0')
        sub = NULL;
    rc = cli_domains_add(sv->dc, name, path, sub, &err);
    if (rc == INK_STORE_EXISTS)
        serve_error(res, 409, "domain_exists", "this domain is followed already");
    else if (rc != 0)
        serve_error(res, 400, "add_failed", (err).len ? ink_str_cstr(&err) : "cannot add");
    else
        api_domain_get(sv, name, res), res->status = res->status == 200 ? 201 : res->status;
done:
    free(path);
    json_decref(in);
    ink_str_free(&err);
}

/* api_domain_verify - POST /api/domains/{d}/verify: check now */
static void api_domain_verify(struct serve *sv, const char *name, struct ink_http_response *res)
{
    struct ink_vdomain *d = NULL;
    struct ink_str err = INK_STR_INIT;
    int rc = cli_domains_verify(sv->dc, name, &d, &err);

    if (rc == INK_STORE_NOT_FOUND)
        serve_error(res, 404, "domain_not_found", "this domain is not followed");
    else if (rc != 0)
        serve_error(res, 500, "verify_failed", ink_str_cstr(&err));
    else
        serve_json(res, 200, cli_domain_json(d, NULL, 0));
    ink_vdomain_free(d);
    ink_str_free(&err);
}

/* zone_quote - value as the character-strings of a TXT record */
static void zone_quote(struct ink_str *z, const char *v)
{
    size_t n = 0;

    ink_str_putc(z, '"');
    for (; *v; v++) {
        if (n == 255) { /* one character-string holds 255 bytes */
            ink_str_puts(z, "\" \"");
            n = 0;
        }
        if (*v == '"' || *v == '\\')
            ink_str_putc(z, '\\');
        if ((unsigned char)*v < 0x20 || (unsigned char)*v > 0x7e)
            ink_str_printf(z, "\\%03u", (unsigned char)*v);
        else
            ink_str_putc(z, *v);
        n++;
    }
    ink_str_putc(z, '"');
}

/* record_zone - one expected record as zone-file text (a comment when its
 * value is only known to the platform, like a DKIM key) */
static void record_zone(struct ink_str *z, const struct ink_vrecord *r)
{
    const char *e = r->expect ? r->expect : "";

    ink_str_printf(z, "; %s\n", r->purpose ? r->purpose : ink_vmatch_name(r->match));
    switch (r->match) {
    case INK_VMATCH_CNAME: ink_str_printf(z, "%s. 3600 IN CNAME %s.\n", r->owner, e); break;
    case INK_VMATCH_MX:
        ink_str_printf(z, "%s. 3600 IN MX %s%s.\n", r->owner, strchr(e, ' ') ? "" : "10 ", e);
        break;
    case INK_VMATCH_TXT:
        ink_str_printf(z, "%s. 3600 IN TXT ", r->owner);
        zone_quote(z, e);
        ink_str_putc(z, '\n');
        break;
    case INK_VMATCH_SPF: {
        struct ink_str v = INK_STR_INIT;
        ink_str_printf(&v, "v=spf1 %s ~all", e);
        ink_str_puts(z, "; (merge these terms into the one SPF record if there is one)\n");
        ink_str_printf(z, "%s. 3600 IN TXT ", r->owner);
        zone_quote(z, ink_str_cstr(&v));
        ink_str_putc(z, '\n');
        ink_str_free(&v);
        break;
    }
    case INK_VMATCH_DMARC:
        ink_str_printf(z, "%s. 3600 IN TXT ", r->owner);
        zone_quote(z, strncmp(e, "v=DMARC1", 8) == 0 ? e : "v=DMARC1; p=none");
        ink_str_putc(z, '\n');
        break;
    case INK_VMATCH_DKIM:
        if (strstr(e, "p=") != NULL) {
            ink_str_printf(z, "%s. 3600 IN TXT ", r->owner);
            zone_quote(z, e);
            ink_str_putc(z, '\n');
        } else
            ink_str_printf(z, "; %s. TXT: the DKIM key record (from `inkan provision --out`)\n",
                           r->owner);
        break;
    }
}

/* api_records - GET /api/domains/{d}/records (JSON, or a zone file with
 * Accept: text/dns) */
static void api_records(struct serve *sv, const struct ink_http_request *req, const char *name,
                        struct ink_http_response *res)
{
    struct ink_vdomain *d = NULL;
    struct ink_str err = INK_STR_INIT;
    const char *accept = ink_http_header(req, "Accept");
    int rc = ink_store_get(cli_domains_store(sv->dc), name, &d, &err);
    size_t i;

    if (rc == INK_STORE_NOT_FOUND)
        serve_error(res, 404, "domain_not_found", "this domain is not followed");
    else if (rc != 0)
        serve_error(res, 500, "store", "the store cannot be read");
    else if (accept != NULL && strstr(accept, "text/dns") != NULL) {
        res->status = 200;
        res->type = "text/dns; charset=utf-8";
        ink_str_printf(&res->body, "; records to publish for %s (inkan serve)\n", d->domain);
        for (i = 0; i < d->nrec; i++)
            record_zone(&res->body, &d->rec[i]);
    } else {
        json_t *o = json_object(), *arr = json_array();
        for (i = 0; i < d->nrec; i++) {
            struct ink_str z = INK_STR_INIT;
            json_t *x = json_object();
            record_zone(&z, &d->rec[i]);
            json_object_set_new(x, "name", json_string(d->rec[i].owner));
            json_object_set_new(x, "type", json_string(ink_dns_type_name(d->rec[i].type)));
            json_object_set_new(x, "purpose", json_string(d->rec[i].purpose ? d->rec[i].purpose : ""));
            json_object_set_new(x, "match", json_string(ink_vmatch_name(d->rec[i].match)));
            json_object_set_new(x, "expect", json_string(d->rec[i].expect ? d->rec[i].expect : ""));
            json_object_set_new(x, "state", json_string(ink_vstate_name(d->rec[i].state)));
            json_object_set_new(x, "zone", json_string(ink_str_cstr(&z)));
            json_array_append_new(arr, x);
            ink_str_free(&z);
        }
        json_object_set_new(o, "domain", json_string(d->domain));
        json_object_set_new(o, "records", arr);
        serve_json(res, 200, o);
    }
    ink_vdomain_free(d);
    ink_str_free(&err);
}

/* api_domain_remove - DELETE /api/domains/{d} */
static void api_domain_remove(struct serve *sv, const char *name, struct ink_http_response *res)
{
    struct ink_str err = INK_STR_INIT;
    int rc = ink_store_remove(cli_domains_store(sv->dc), name, &err);

    if (rc == INK_STORE_NOT_FOUND)
        serve_error(res, 404, "domain_not_found", "this domain is not followed");
    else if (rc != 0)
        serve_error(res, 500, "store", "the store cannot be written");
    else {
        json_t *o = json_object();
        json_object_set_new(o, "removed", json_string(name));
        serve_json(res, 200, o);
    }
    ink_str_free(&err);
}

/* ---- metrics ---- */

/* observe - count a response (libmicrohttpd's thread, like the handler) */
static void observe(void *ctx, const struct ink_http_request *req, unsigned status, double ms)
{
    struct serve *sv = ctx;
    size_t i;

    (void)req;
    for (i = 0; i < sv->nstatus; i++)
        if (sv->status[i].code == status)
            break;
    if (i == sv->nstatus && sv->nstatus < METRIC_STATUS_MAX) {
        sv->status[i].code = status;
        sv->status[i].n = 0;
        sv->nstatus++;
    }
    if (i < sv->nstatus)
        sv->status[i].n++;
    for (i = 0; i < NLATENCY; i++)
        if (ms <= latency_le[i])
            sv->lat_bucket[i]++;
    sv->lat_count++;
    sv->lat_sum_ms += ms;
}

/* api_metrics - GET /metrics in the Prometheus text format */
static void api_metrics(struct serve *sv, struct ink_http_response *res)
{
    static const enum ink_vstate states[] = {INK_VSTATE_NOT_STARTED, INK_VSTATE_PENDING,
                                             INK_VSTATE_VERIFIED, INK_VSTATE_TEMPORARY_FAILURE,
                                             INK_VSTATE_FAILURE};
    struct ink_vdomain **all = NULL;
    struct ink_str err = INK_STR_INIT, *b = &res->body;
    size_t n = 0, i, j;

    if (ink_store_list(cli_domains_store(sv->dc), &all, &n, &err) < 0) {
        ink_str_free(&err);
        serve_error(res, 500, "store", "the store cannot be read");
        return;
    }
    res->status = 200;
    res->type = "text/plain; version=0.0.4";
    ink_str_puts(b, "# HELP inkan_http_requests_total HTTP requests answered, by status.\n"
                    "# TYPE inkan_http_requests_total counter\n");
    for (i = 0; i < sv->nstatus; i++)
        ink_str_printf(b, "inkan_http_requests_total{code=\"%u\"} %llu\n", sv->status[i].code,
                       sv->status[i].n);
    ink_str_puts(b, "# HELP inkan_http_request_duration_seconds Time to answer a request.\n"
                    "# TYPE inkan_http_request_duration_seconds histogram\n");
    for (i = 0; i < NLATENCY; i++)
        ink_str_printf(b, "inkan_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
                       latency_le[i] / 1000.0, sv->lat_bucket[i]);
    ink_str_printf(b, "inkan_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
                   sv->lat_count);
    ink_str_printf(b, "inkan_http_request_duration_seconds_sum %.6f\n", sv->lat_sum_ms / 1000.0);
    ink_str_printf(b, "inkan_http_request_duration_seconds_count %llu\n", sv->lat_count);
    ink_str_puts(b, "# HELP inkan_domains Followed domains, by verification state.\n"
                    "# TYPE inkan_domains gauge\n");
    for (j = 0; j < sizeof(states) / sizeof(states[0]); j++) {
        size_t k = 0;
        for (i = 0; i < n; i++)
            k += all[i]->state == states[j];
        ink_str_printf(b, "inkan_domains{state=\"%s\"} %zu\n", ink_vstate_name(states[j]), k);
    }
    ink_store_domains_free(all, n);
    serve_imports_metrics(sv->imports, b);
}

/* ---- routing ---- */

/* handle - answer one request (libmicrohttpd's thread) */
static void api_report(struct serve *sv, const struct ink_http_request *req, const char *view,
                       struct ink_http_response *res);

static void handle(void *ctx, const struct ink_http_request *req, struct ink_http_response *res)
{
    struct serve *sv = ctx;
    const char *m = req->method, *p = req->path, *rest, *slash;
    char name[INK_DNS_NAME_MAX + 2];
    int get = strcmp(m, "GET") == 0, post = strcmp(m, "POST") == 0;

    if (strcmp(p, "/api/login") == 0) {
        if (!post)
            serve_error(res, 405, "method_not_allowed", "POST /api/login");
        else
            api_login(sv, req, res);
        return;
    }
    if (strcmp(p, "/metrics") != 0 && strncmp(p, "/api/", 5) != 0) {
        const struct web_asset *a;
        for (a = web_assets; a->path != NULL; a++)
            if (strcmp(p, a->path) == 0 || (strcmp(p, "/") == 0 && strcmp(a->path, "/index.html") == 0))
                break;
        if (a->path == NULL || !get) {
            serve_error(res, a->path == NULL ? 404 : 405, a->path == NULL ? "not_found" : "method_not_allowed",
                      "no such endpoint");
            return;
        }
        /* the dashboard: nothing but its own files may run or load */
        res->status = 200;
        res->type = a->type;
        ink_str_append(&res->body, a->data, a->len);
        ink_http_set_header(res, "Content-Security-Policy",
                            "default-src 'self'; script-src 'self'; style-src 'self'; "
                            "img-src 'self' blob: data:; frame-ancestors 'none'; base-uri 'none'");
        ink_http_set_header(res, "Referrer-Policy", "no-referrer");
        return;
    }
    if (!authorize(sv, req, res))
        return;
    if (strcmp(p, "/metrics") == 0) {
        if (get)
            api_metrics(sv, res);
        else
            serve_error(res, 405, "method_not_allowed", "GET /metrics");
        return;
    }
    if (strcmp(p, "/api/logout") == 0 && post) {
        struct session *s = session_find(sv, ink_http_cookie(req, "inkan_session"));
        if (s != NULL)
            memset(s, 0, sizeof(*s));
        ink_http_set_header(res, "Set-Cookie",
                            "inkan_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
        serve_json(res, 200, json_object());
        return;
    }
    if (strcmp(p, "/api/domains") == 0) {
        if (get)
            api_domains_list(sv, res);
        else if (post)
            api_domain_add(sv, req, res);
        else
            serve_error(res, 405, "method_not_allowed", "GET or POST /api/domains");
        return;
    }
    if (strcmp(p, "/api/evaluations") == 0 || strncmp(p, "/api/evaluations/", 17) == 0) {
        if (get)
            serve_evaluations(cli_domains_store(sv->dc), req, p[16] == '/' ? p + 17 : NULL, res);
        else
            serve_error(res, 405, "method_not_allowed", "GET /api/evaluations[/summary]");
        return;
    }
    if (strncmp(p, "/api/reports/", 13) == 0) {
        if (get)
            api_report(sv, req, p + 13, res);
        else
            serve_error(res, 405, "method_not_allowed", "GET /api/reports/{view}");
        return;
    }
    if (strncmp(p, "/api/check/", 11) == 0) {
        if (!get)
            serve_error(res, 405, "method_not_allowed", "GET /api/check/{d}");
        else if (domain_arg(p + 11, strlen(p + 11), name, sizeof(name)) < 0)
            serve_error(res, 400, "bad_domain", "not a domain name");
        else
            serve_check_request(sv->check, name, ink_http_arg(req, "selector"), res);
        return;
    }
    if (strncmp(p, "/api/domains/", 13) != 0) {
        serve_error(res, 404, "not_found", "no such endpoint");
        return;
    }
    rest = p + 13;
    slash = strchr(rest, '/');
    if (domain_arg(rest, slash ? (size_t)(slash - rest) : strlen(rest), name, sizeof(name)) < 0) {
        serve_error(res, 400, "bad_domain", "not a domain name");
        return;
    }
    if (slash == NULL) {
        if (get)
            api_domain_get(sv, name, res);
        else if (strcmp(m, "DELETE") == 0)
            api_domain_remove(sv, name, res);
        else
            serve_error(res, 405, "method_not_allowed", "GET or DELETE /api/domains/{d}");
    } else if (strcmp(slash, "/verify") == 0) {
        if (post)
            api_domain_verify(sv, name, res);
        else
            serve_error(res, 405, "method_not_allowed", "POST /api/domains/{d}/verify");
    } else if (strcmp(slash, "/records") == 0) {
        if (get)
            api_records(sv, req, name, res);
        else
            serve_error(res, 405, "method_not_allowed", "GET /api/domains/{d}/records");
    } else
        serve_error(res, 404, "not_found", "no such endpoint");
}

/* api_report - GET /api/reports/{summary,sources,advise,timeline}
 * [?domain=D][&since=WHEN][&until=WHEN]: the same documents as `inkan
 * report VIEW --json --no-dns [--since --until]` */
static void api_report(struct serve *sv, const struct ink_http_request *req, const char *view,
                       struct ink_http_response *res)
{
    const char *d = ink_http_arg(req, "domain");
    const char *since_arg = ink_http_arg(req, "since"), *until_arg = ink_http_arg(req, "until");
    int64_t since = INT64_MIN, until = INT64_MAX;
    char name[INK_DNS_NAME_MAX + 2];
    struct ink_str err = INK_STR_INIT;
    json_t *j = NULL;
    int rc;

    if (d != NULL && domain_arg(d, strlen(d), name, sizeof(name)) < 0) {
        serve_error(res, 400, "bad_domain", "domain= is not a domain name");
        return;
    }
    if ((since_arg != NULL && cli_report_when(since_arg, 0, &since) < 0) ||
        (until_arg != NULL && cli_report_when(until_arg, 1, &until) < 0)) {
        serve_error(res, 400, "bad_time",
                    "since= and until= are YYYY-MM-DD (UTC) or seconds since the epoch");
        return;
    }
    if (since > until) {
        serve_error(res, 400, "bad_time", "since= is after until=");
        return;
    }
    rc = cli_report_view(cli_domains_store(sv->dc), d ? name : NULL, view, since, until, &j, &err);
    if (rc == -2)
        serve_error(res, 404, "not_found",
                    "no such report view (summary, sources, advise, timeline)");
    else if (rc < 0) {
        cli_error("serve: %s", ink_str_cstr(&err));
        serve_error(res, 500, "store", "the report store cannot be read");
    } else
        serve_json(res, 200, j);
    ink_str_free(&err);
}

/* ---- inkan serve ---- */

enum {
    OPT_LISTEN = CLI_OPT_FIRST_FREE,
    OPT_DB,
    OPT_TLS_CERT,
    OPT_TLS_KEY,
    OPT_INSECURE,
    OPT_PROFILES,
    OPT_RATE,
    OPT_CHECK_TIMEOUT,
    OPT_AUTH_PORT,
    OPT_CONFIG,
    OPT_CHECK_CONFIG
};

/* serve_usage - inkan serve --help */
static void serve_usage(FILE *fp)
{
    fprintf(fp, "usage: inkan serve [--listen ADDR:PORT] [--db FILE] [--profiles DIR]\n"
                "                   [--tls-cert FILE --tls-key FILE | --insecure-listen]\n"
                "                   [--rate N] [--check-timeout S] [--auth-port PORT]\n"
                "                   [--zone FILE | --dns HOST[:PORT]] [--config FILE]\n"
                "       inkan serve --check-config FILE\n\n"
                "The JSON API (docs/api.md) over the domain and report store, and the\n"
                "verification watch loop.  Authenticate with a token from 'inkan token create'.\n\n"
                "  --listen ADDR:PORT   where to listen (default 127.0.0.1:8025; port 0: any free)\n"
                "  --db FILE|URI        the database (default as 'inkan domain'), or\n"
                "                       postgresql://...\n"
                "  --profiles DIR       sender profiles POST /api/domains names (DIR/NAME.yaml)\n"
                "  --tls-cert FILE      HTTPS certificate (PEM), with --tls-key\n"
                "  --tls-key FILE       HTTPS private key (PEM)\n"
                "  --insecure-listen    allow plain HTTP on a non-loopback address\n"
                "  --rate N             requests per minute per client (default %d)\n"
                "  --check-timeout S    seconds GET /api/check/{d} may take (default %d)\n"
                "  --auth-port PORT     port of the authoritative servers the domain checks\n"
                "                       ask (default 53), as 'inkan domain --auth-port'\n"
                "  --config FILE        these options and the scheduled report imports from\n"
                "                       a YAML file (docs/serve.md); options given here win\n"
                "  --check-config FILE  validate the file (and these options) and exit:\n"
                "                       0 valid, 2 not (the error names line, column, key)\n"
                CLI_DNS_HELP,
            INK_HTTP_RATE_DEFAULT, SERVE_CHECK_TIMEOUT_DEFAULT);
}

/* cmd_serve - inkan serve */
int cmd_serve(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"db", required_argument, NULL, OPT_DB},
        {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
        {"tls-key", required_argument, NULL, OPT_TLS_KEY},
        {"insecure-listen", no_argument, NULL, OPT_INSECURE},
        {"profiles", required_argument, NULL, OPT_PROFILES},
        {"rate", required_argument, NULL, OPT_RATE},
        {"check-timeout", required_argument, NULL, OPT_CHECK_TIMEOUT},
        {"auth-port", required_argument, NULL, OPT_AUTH_PORT},
        {"config", required_argument, NULL, OPT_CONFIG},
        {"check-config", required_argument, NULL, OPT_CHECK_CONFIG},
        {NULL, 0, NULL, 0}};
    struct ink_resolver_opts dns;
    struct cli_optset set = {.own = longopts, .dns = &dns, .usage = serve_usage};
    struct ink_http_opts ho;
    struct ink_str err = INK_STR_INIT;
    struct serve *sv = NULL;
    struct dctx *watch = NULL;
    struct ink_http *h = NULL;
    const char *db = NULL, *config = NULL, *check_config = NULL;
    struct serve_config *cfg = NULL;
    int opt, insecure = 0, rc = INK_EXIT_OPERR, loop, check_timeout = 0;
    int auth_port = 0; /* 0: the domain checks' default */
    sigset_t sigs;

    memset(&dns, 0, sizeof(dns));
    memset(&ho, 0, sizeof(ho));
    sv = calloc(1, sizeof(*sv));
    if (sv == NULL)
        return INK_EXIT_OPERR;
    optind = 1;
    while ((opt = cli_getopt(&set, argc, argv)) != -1) {
        switch (opt) {
        case OPT_LISTEN: ho.listen = optarg; break;
        case OPT_DB:
            if (!ink_store_db_ok(optarg)) {
                cli_error("--db '%s': give a database file or a postgresql:// URI", optarg);
                rc = INK_EXIT_USAGE;
                goto done;
            }
            db = optarg;
            break;
        case OPT_TLS_CERT: ho.tls_cert = optarg; break;
        case OPT_TLS_KEY: ho.tls_key = optarg; break;
        case OPT_INSECURE: insecure = 1; break;
        case OPT_PROFILES: sv->profiles = optarg; break;
        case OPT_RATE: {
            char *end;
            unsigned long v = strtoul(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || v < 1 || v > 1000000) {
                cli_error("--rate: '%s' is not a count from 1 to 1000000", optarg);
                rc = INK_EXIT_USAGE;
                goto done;
            }
            ho.rate_per_min = (unsigned)v;
            break;
        }
        case OPT_CHECK_TIMEOUT: {
            char *end;
            unsigned long v = strtoul(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || v < 1 || v > SERVE_CHECK_TIMEOUT_MAX) {
                cli_error("--check-timeout: '%s' is not seconds from 1 to %d", cli_shown(optarg),
                          SERVE_CHECK_TIMEOUT_MAX);
                rc = INK_EXIT_USAGE;
                goto done;
            }
            check_timeout = (int)v;
            break;
        }
        case OPT_AUTH_PORT: {
            char *end;
            unsigned long v = strtoul(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || v < 1 || v > 65535) {
                cli_error("--auth-port: '%s' is not a port number", cli_shown(optarg));
                rc = INK_EXIT_USAGE;
                goto done;
            }
            auth_port = (int)v;
            break;
        }
        case OPT_CONFIG: config = optarg; break;
        case OPT_CHECK_CONFIG: check_config = optarg; break;
        case CLI_GETOPT_HELP: rc = INK_EXIT_OK; goto done;
        default: rc = INK_EXIT_USAGE; goto done;
        }
    }
    if (optind != argc) {
        cli_error("serve: takes no operands");
        rc = INK_EXIT_USAGE;
        goto done;
    }
    if (config != NULL && check_config != NULL) {
        cli_error("serve: give --config FILE or --check-config FILE, not both");
        rc = INK_EXIT_USAGE;
        goto done;
    }
    if (config != NULL || check_config != NULL) {
        /* what the command line did not give, the file gives */
        if ((cfg = serve_config_load(config ? config : check_config)) == NULL) {
            rc = INK_EXIT_USAGE;
            goto done;
        }
        if (serve_config_merge(cfg, &ho, &db, &insecure, &sv->profiles, &check_timeout,
                               &auth_port, &dns) < 0) {
            rc = INK_EXIT_USAGE;
            goto done;
        }
    }
    if (ho.listen == NULL)
        ho.listen = "127.0.0.1:8025";
    if (check_timeout == 0)
        check_timeout = SERVE_CHECK_TIMEOUT_DEFAULT;
    if ((ho.tls_cert == NULL) != (ho.tls_key == NULL)) {
        cli_error("serve: --tls-cert and --tls-key go together");
        rc = INK_EXIT_USAGE;
        goto done;
    }
    loop = ink_http_listen_is_loopback(ho.listen);
    if (loop < 0) {
        cli_error("--listen '%s': give ADDR:PORT or [ADDR6]:PORT", cli_shown(ho.listen));
        rc = INK_EXIT_USAGE;
        goto done;
    }
    if (loop == 0 && ho.tls_cert == NULL && !insecure) {
        if (cfg != NULL && cfg->listen == ho.listen)
            cli_error("serve: %s:%lu:%lu: listen: %s is not a loopback address: give tls-cert "
                      "and tls-key for HTTPS, or insecure-listen: true to serve plain HTTP "
                      "there (tokens would cross the network in clear)", cli_shown(cfg->path),
                      cfg->listen_line, cfg->listen_column, cli_shown(ho.listen));
        else
            cli_error("serve: %s is not a loopback address: give --tls-cert/--tls-key for HTTPS, "
                      "or --insecure-listen to serve plain HTTP there (tokens would cross the "
                      "network in clear)", cli_shown(ho.listen));
        rc = INK_EXIT_USAGE;
        goto done;
    }
    if (dns.zone_file != NULL && dns.server != NULL) {
        cli_error("serve: --zone and --dns cannot be used together");
        rc = INK_EXIT_USAGE;
        goto done;
    }
    if (dns.zone_file != NULL && dns.trust_anchor != NULL) {
        cli_error("serve: a trust anchor does not apply to a zone file (its answers are not "
                  "DNSSEC-validated): give dns or neither");
        rc = INK_EXIT_USAGE;
        goto done;
    }
    if (serve_imports_check(cfg, check_config == NULL) < 0) {
        rc = INK_EXIT_USAGE;
        goto done;
    }
    if (check_config != NULL) {
        printf("ok: %s (listen %s%s, %zu scheduled import%s)\n", check_config,
               ho.tls_cert ? "https://" : "http://", ho.listen, cfg->nimports,
               cfg->nimports == 1 ? "" : "s");
        rc = INK_EXIT_OK;
        goto done;
    }
    if ((sv->dc = cli_domains_open(db, &dns)) == NULL ||
        (watch = cli_domains_open(db, &dns)) == NULL)
        goto done;
    if (auth_port != 0) {
        cli_domains_set_auth_port(sv->dc, auth_port);
        cli_domains_set_auth_port(watch, auth_port);
    }
    /* the signals are taken by sigtimedwait below: block them in every thread */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    if ((sv->check = serve_check_start(&dns, check_timeout)) == NULL)
        goto done;
    if ((sv->imports = serve_imports_start(cfg, db)) == NULL)
        goto done;
    ho.handler = handle;
    ho.observer = observe;
    ho.ctx = sv;
    h = ink_http_start(&ho, &err);
    if (h == NULL) {
        cli_error("serve: %s", ink_str_cstr(&err));
        goto done;
    }
    fprintf(stderr, "inkan serve: listening on %s://%s port %u\n", ho.tls_cert ? "https" : "http",
            cli_shown(ho.listen), ink_http_port(h));
    for (;;) {
        int pause = cli_domains_watch_once(watch);
        struct timespec ts;
        double real;
        if (pause < 0)
            pause = 60; /* said why; try again later rather than stop serving */
        /* on the commands' clock: a test's INKAN_CLOCK_SPEED shortens it */
        real = cli_clock_real_pause(pause);
        ts.tv_sec = (time_t)real;
        ts.tv_nsec = (long)((real - (double)ts.tv_sec) * 1e9);
        if (sigtimedwait(&sigs, NULL, &ts) >= 0)
            break;
        if (errno != EAGAIN && errno != EINTR)
            break;
    }
    fprintf(stderr, "inkan serve: stopping\n");
    rc = INK_EXIT_OK;
done:
    /* the check runner answers what it holds first: the server must have
     * no suspended connection left when it stops */
    if (sv != NULL)
        serve_check_stop(sv->check);
    ink_http_stop(h);
    if (sv != NULL) {
        /* after the server: a /metrics being answered reads its counters */
        serve_imports_stop(sv->imports);
        cli_domains_free(sv->dc);
    }
    cli_domains_free(watch);
    free(sv);
    serve_config_free(cfg);
    ink_str_free(&err);
    return rc;
}

/* ---- inkan token ---- */

/* token_usage - inkan token --help */
static void token_usage(FILE *fp)
{
    fprintf(fp, "usage: inkan token create NAME [--db FILE]\n"
                "       inkan token list [--db FILE] [--json]\n"
                "       inkan token revoke NAME [--db FILE]\n\n"
                "API tokens of 'inkan serve'.  'create' prints the token once; the store keeps\n"
                "only its SHA-256.\n");
}

/* token_name_ok - 1 for a name of 1..TOKEN_NAME_MAX printable ASCII bytes without spaces */
static int token_name_ok(const char *n)
{
    size_t i, len = strlen(n);

    if (len == 0 || len > TOKEN_NAME_MAX)
        return 0;
    for (i = 0; i < len; i++)
        if (n[i] <= 0x20 || n[i] > 0x7e)
            return 0;
    return 1;
}

/* cmd_token - inkan token create|list|revoke */
int cmd_token(int argc, char **argv)
{
    static const struct option longopts[] = {{"db", required_argument, NULL, OPT_DB},
                                             {NULL, 0, NULL, 0}};
    int json = 0;
    struct cli_optset set = {.own = longopts, .json = &json, .usage = token_usage};
    struct ink_resolver_opts dns;
    struct ink_str err = INK_STR_INIT;
    struct dctx *dc = NULL;
    const char *db = NULL, *sub;
    int opt, rc = INK_EXIT_OPERR;

    if (argc < 2) {
        token_usage(stderr);
        return INK_EXIT_USAGE;
    }
    sub = argv[1];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
        token_usage(stdout);
        return INK_EXIT_OK;
    }
    cli_set_argv0(argv + 1, strcmp(sub, "create") == 0   ? "token create"
                            : strcmp(sub, "list") == 0   ? "token list"
                            : strcmp(sub, "revoke") == 0 ? "token revoke"
                                                         : "token");
    argc--;
    argv++;
    optind = 1;
    while ((opt = cli_getopt(&set, argc, argv)) != -1) {
        switch (opt) {
        case OPT_DB:
            if (!ink_store_db_ok(optarg)) {
                cli_error("--db '%s': give a database file or a postgresql:// URI", optarg);
                return INK_EXIT_USAGE;
            }
            db = optarg;
            break;
        case CLI_GETOPT_HELP: return INK_EXIT_OK;
        default: return INK_EXIT_USAGE;
        }
    }
    if (strcmp(sub, "create") != 0 && strcmp(sub, "list") != 0 && strcmp(sub, "revoke") != 0) {
        cli_error("token: unknown subcommand '%s' (create, list, revoke)", cli_shown(sub));
        return INK_EXIT_USAGE;
    }
    if ((strcmp(sub, "list") == 0) != (optind == argc) ||
        (strcmp(sub, "list") != 0 && optind != argc - 1)) {
        cli_error("token %s: %s", sub, strcmp(sub, "list") == 0 ? "takes no operands" : "give NAME");
        return INK_EXIT_USAGE;
    }
    if (strcmp(sub, "list") != 0 && !token_name_ok(argv[optind])) {
        cli_error("token %s: '%s' is not a name (1 to %d printable characters, no spaces)", sub,
                  cli_shown(argv[optind]), TOKEN_NAME_MAX);
        return INK_EXIT_USAGE;
    }
    memset(&dns, 0, sizeof(dns));
    if ((dc = cli_domains_open(db, &dns)) == NULL)
        return INK_EXIT_OPERR;
    if (strcmp(sub, "create") == 0) {
        char tok[2 * TOKEN_BYTES + 1], h[INK_STORE_SHA256_HEX];
        int k;
        if (random_hex(tok) < 0) {
            cli_error("token create: no randomness");
            goto done;
        }
        token_hash(tok, strlen(tok), h);
        k = ink_store_token_add(cli_domains_store(dc), argv[optind], h, (int64_t)time(NULL), &err);
        if (k == INK_STORE_EXISTS)
            cli_error("token create: a token named '%s' exists (revoke it first)", argv[optind]);
        else if (k != 0)
            cli_error("%s", ink_str_cstr(&err));
        else {
            printf("%s\n", tok);
            fprintf(stderr, "inkan token: this is the only time the token is shown; keep it\n");
            rc = INK_EXIT_OK;
        }
        OPENSSL_cleanse(tok, sizeof(tok));
    } else if (strcmp(sub, "revoke") == 0) {
        int k = ink_store_token_revoke(cli_domains_store(dc), argv[optind], &err);
        if (k == INK_STORE_NOT_FOUND)
            cli_error("token revoke: no token named '%s'", argv[optind]);
        else if (k != 0)
            cli_error("%s", ink_str_cstr(&err));
        else {
            printf("revoked %s\n", argv[optind]);
            rc = INK_EXIT_OK;
        }
    } else {
        struct ink_store_token *t = NULL;
        size_t n = 0, i;
        if (ink_store_token_list(cli_domains_store(dc), &t, &n, &err) < 0)
            cli_error("%s", ink_str_cstr(&err));
        else {
            json_t *arr = json_array();
            for (i = 0; i < n; i++) {
                if (json) {
                    json_t *x = json_object();
                    json_object_set_new(x, "name", json_string(t[i].name));
                    json_object_set_new(x, "created", json_integer(t[i].created));
                    json_object_set_new(x, "last_used", json_integer(t[i].last_used));
                    json_array_append_new(arr, x);
                } else
                    printf("%s\tcreated %lld\tlast used %lld\n", t[i].name,
                           (long long)t[i].created, (long long)t[i].last_used);
            }
            if (json) {
                char *s = json_dumps(arr, JSON_INDENT(2));
                if (s != NULL)
                    printf("%s\n", s);
                free(s);
            }
            json_decref(arr);
            ink_store_tokens_free(t, n);
            rc = INK_EXIT_OK;
        }
    }
done:
    cli_domains_free(dc);
    ink_str_free(&err);
    return rc;
}
