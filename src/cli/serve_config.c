/*
 * serve_config.c - the configuration file of `inkan serve --config FILE`
 * (docs/serve.md): YAML read with libyaml after the shared shape check
 * (depth, no aliases).  Every key is the long option of the same name
 * (listen, db, tls-cert, tls-key, insecure-listen, profiles, rate,
 * check-timeout, auth-port, zone, origin, dns, timeout, trust-anchor),
 * plus imports:
 * the scheduled report imports, a list of {dir: ...} or {imap: ...}
 * entries.  Unknown keys are refused, and every error names the line, the
 * column and the key.  Relative paths are taken from the file's directory.
 */
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <yaml.h>

#include "cli.h"
#include "report_imap.h"
#include "serve.h"
#include "inkan/http.h"
#include "inkan/report_imap.h"
#include "inkan/store.h"
#include "inkan/yamlcheck.h"

/* Largest timeout: (seconds), as --timeout. */
#define SERVE_DNS_TIMEOUT_MAX 600
/* Largest rate: (requests a minute), as --rate. */
#define SERVE_RATE_MAX 1000000
/* Largest auth-port:. */
#define SERVE_PORT_MAX 65535
/* Bytes of a message built before it goes into err. */
#define SERVE_CONFIG_MSG_MAX 512

/* The parse: the document, where errors go, the file's directory. */
struct pctx {
    yaml_document_t *doc;
    struct ink_str *err;
    const char *base;
};

/* perr - "LINE:COL: KEY: why" into the error (node n's position); -1 */
static int perr(struct pctx *c, const yaml_node_t *n, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int perr(struct pctx *c, const yaml_node_t *n, const char *key, const char *fmt, ...)
{
    va_list ap;
    char msg[SERVE_CONFIG_MSG_MAX];

    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    ink_str_truncate(c->err, 0);
    if (n != NULL)
        (void)ink_str_printf(c->err, "%zu:%zu: ", n->start_mark.line + 1,
                             n->start_mark.column + 1);
    else
        (void)ink_str_puts(c->err, "1:1: ");
    (void)ink_str_printf(c->err, "%s: %s", key, msg);
    return -1;
}

/* scalar - the text of a scalar node (owned by the document), or NULL after perr */
static const char *scalar(struct pctx *c, const yaml_node_t *n, const char *key)
{
    size_t i;

    if (n == NULL || n->type != YAML_SCALAR_NODE) {
        (void)perr(c, n, key, "must be a single value, not a %s",
                   n != NULL && n->type == YAML_MAPPING_NODE ? "mapping" : "list");
        return NULL;
    }
    if (n->data.scalar.length == 0 || n->data.scalar.length > SERVE_CONFIG_SCALAR_MAX) {
        (void)perr(c, n, key, "must be 1 to %d bytes", SERVE_CONFIG_SCALAR_MAX);
        return NULL;
    }
    for (i = 0; i < n->data.scalar.length; i++)
        if (n->data.scalar.value[i] < 0x20 || n->data.scalar.value[i] == 0x7f) {
            (void)perr(c, n, key, "holds a control character");
            return NULL;
        }
    return (const char *)n->data.scalar.value;
}

/* set_str - a copy of the scalar into *slot (path: taken from the file's
 * directory when relative); a key given twice is refused.  0/-1 */
static int set_str(struct pctx *c, const yaml_node_t *k, const yaml_node_t *v, const char *key,
                   int path, char **slot)
{
    const char *s = scalar(c, v, key);
    struct ink_str p = INK_STR_INIT;

    if (s == NULL)
        return -1;
    if (*slot != NULL)
        return perr(c, k, key, "given twice");
    if (path && s[0] != '/' && c->base != NULL && c->base[0] != '\0' && !ink_store_is_uri(s))
        (void)ink_str_printf(&p, "%s/%s", c->base, s);
    else
        (void)ink_str_puts(&p, s);
    *slot = ink_str_steal(&p);
    if (*slot == NULL)
        return perr(c, v, key, "out of memory");
    return 0;
}

/* number - a whole number lo..hi into *out (unit: "a number of seconds"...,
 * for the message); -1 after perr */
static int number(struct pctx *c, const yaml_node_t *v, const char *key, long lo, long hi,
                  const char *unit, long *out)
{
    const char *s = scalar(c, v, key);
    char *end;
    long x;

    if (s == NULL)
        return -1;
    errno = 0;
    x = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '+' || s[0] == ' ' || x < lo || x > hi)
        return perr(c, v, key, "'%s' is not %s from %ld to %ld", cli_shown(s), unit,
                    lo, hi);
    *out = x;
    return 0;
}

/* boolean - true/false (yes/no, on/off) into *out; -1 after perr */
static int boolean(struct pctx *c, const yaml_node_t *v, const char *key, int *out)
{
    const char *s = scalar(c, v, key);

    if (s == NULL)
        return -1;
    if (strcasecmp(s, "true") == 0 || strcasecmp(s, "yes") == 0 || strcasecmp(s, "on") == 0)
        *out = 1;
    else if (strcasecmp(s, "false") == 0 || strcasecmp(s, "no") == 0 || strcasecmp(s, "off") == 0)
        *out = 0;
    else
        return perr(c, v, key, "'%s' is not true or false", cli_shown(s));
    return 0;
}

/* key_name - a mapping key's text (the caller has checked it is a scalar) */
static const char *key_name(const yaml_node_t *k)
{
    return (const char *)k->data.scalar.value;
}

/* url_has_password - scheme://USER:PASSWORD@HOST...: a password in the URL */
static int url_has_password(const char *url)
{
    const char *auth = strstr(url, "://"), *end, *at;

    if (auth == NULL)
        return 0;
    auth += 3;
    end = auth + strcspn(auth, "/?#");
    at = memchr(auth, '@', (size_t)(end - auth));
    return at != NULL && memchr(auth, ':', (size_t)(at - auth)) != NULL;
}

/* import_entry - one {dir: ...} or {imap: ...} of imports: into e */
static int import_entry(struct pctx *c, const yaml_node_t *n, struct serve_import_src *e)
{
    static const char dir_keys[] = "dir, every, processed, refused, redact, headers-max";
    static const char imap_keys[] = "imap, every, password-file, processed-folder, "
                                    "refused-folder, ca, insecure, redact, headers-max";
    yaml_node_pair_t *pr;
    int have_dir = 0, have_imap = 0;
    long v;

    if (n == NULL || n->type != YAML_MAPPING_NODE)
        return perr(c, n, "imports", "each entry is a mapping {dir: PATH, ...} or "
                                     "{imap: imaps://USER@HOST/MAILBOX, ...}");
    e->line = n->start_mark.line + 1;
    e->column = n->start_mark.column + 1;
    e->every = SERVE_IMPORT_EVERY_DEFAULT;
    e->headers_max = -1;
    /* the kind first: it says which other keys the entry may have */
    for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
        const yaml_node_t *k = yaml_document_get_node(c->doc, pr->key);
        if (k == NULL || k->type != YAML_SCALAR_NODE)
            return perr(c, k, "imports", "keys must be plain words");
        have_dir += strcmp(key_name(k), "dir") == 0;
        have_imap += strcmp(key_name(k), "imap") == 0;
    }
    if (have_dir + have_imap != 1)
        return perr(c, n, "imports", "an entry has either dir: (a spool directory) or imap: "
                                     "(a mailbox URL)%s",
                    have_dir + have_imap > 1 ? ", once" : "");
    e->kind = have_dir ? SERVE_IMPORT_DIR : SERVE_IMPORT_IMAP;
    for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
        const yaml_node_t *k = yaml_document_get_node(c->doc, pr->key);
        const yaml_node_t *val = yaml_document_get_node(c->doc, pr->value);
        const char *kn = key_name(k);
        int rc, b;

        if (strcmp(kn, "every") == 0) {
            rc = number(c, val, "imports.every", 1, SERVE_IMPORT_EVERY_MAX, "a number of seconds",
                        &v);
            e->every = (int)v;
        } else if (strcmp(kn, "redact") == 0) {
            rc = boolean(c, val, "imports.redact", &b);
            e->redact = b;
        } else if (strcmp(kn, "headers-max") == 0) {
            rc = number(c, val, "imports.headers-max", 0, (long)SERVE_IMPORT_HEADERS_MAX_MAX,
                        "a number of bytes", &v);
            e->headers_max = (int)v;
        } else if (e->kind == SERVE_IMPORT_DIR && strcmp(kn, "dir") == 0) {
            rc = set_str(c, k, val, "imports.dir", 1, &e->dir);
        } else if (e->kind == SERVE_IMPORT_DIR && strcmp(kn, "processed") == 0) {
            rc = set_str(c, k, val, "imports.processed", 1, &e->processed);
        } else if (e->kind == SERVE_IMPORT_DIR && strcmp(kn, "refused") == 0) {
            rc = set_str(c, k, val, "imports.refused", 1, &e->refused);
        } else if (e->kind == SERVE_IMPORT_IMAP && strcmp(kn, "imap") == 0) {
            rc = set_str(c, k, val, "imports.imap", 0, &e->url);
            if (rc == 0 && !cli_is_imap_url(e->url))
                return perr(c, val, "imports.imap", "'%s' is not imaps://USER@HOST[:PORT]/MAILBOX",
                            cli_shown(e->url));
            if (rc == 0 && url_has_password(e->url))
                return perr(c, val, "imports.imap", "the URL carries a password: give it in "
                                                    "password-file");
        } else if (e->kind == SERVE_IMPORT_IMAP && strcmp(kn, "password-file") == 0) {
            rc = set_str(c, k, val, "imports.password-file", 1, &e->password_file);
        } else if (e->kind == SERVE_IMPORT_IMAP && strcmp(kn, "processed-folder") == 0) {
            rc = set_str(c, k, val, "imports.processed-folder", 0, &e->processed_folder);
        } else if (e->kind == SERVE_IMPORT_IMAP && strcmp(kn, "refused-folder") == 0) {
            rc = set_str(c, k, val, "imports.refused-folder", 0, &e->refused_folder);
        } else if (e->kind == SERVE_IMPORT_IMAP && strcmp(kn, "ca") == 0) {
            rc = set_str(c, k, val, "imports.ca", 1, &e->ca);
        } else if (e->kind == SERVE_IMPORT_IMAP && strcmp(kn, "insecure") == 0) {
            rc = boolean(c, val, "imports.insecure", &b);
            e->insecure = b;
        } else {
            return perr(c, k, "imports", "unknown key '%s' for %s entry (%s)", cli_shown(kn),
                        e->kind == SERVE_IMPORT_DIR ? "a dir" : "an imap",
                        e->kind == SERVE_IMPORT_DIR ? dir_keys : imap_keys);
        }
        if (rc < 0)
            return -1;
    }
    if (e->kind == SERVE_IMPORT_IMAP && e->refused_folder != NULL &&
        strcmp(e->refused_folder,
               e->processed_folder ? e->processed_folder : INK_IMAP_PROCESSED_DEFAULT) == 0)
        return perr(c, n, "imports.refused-folder", "cannot be the processed folder");
    return 0;
}

/* imports - imports: a list of entries */
static int imports(struct pctx *c, struct serve_config *cfg, const yaml_node_t *k,
                   const yaml_node_t *n)
{
    yaml_node_item_t *it;
    size_t cnt;

    if (cfg->imports != NULL)
        return perr(c, k, "imports", "given twice");
    if (n->type != YAML_SEQUENCE_NODE)
        return perr(c, n, "imports", "must be a list of {dir: PATH, ...} or {imap: URL, ...}");
    cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (cnt > SERVE_IMPORTS_MAX)
        return perr(c, n, "imports", "more than %d entries", SERVE_IMPORTS_MAX);
    cfg->imports = calloc(cnt > 0 ? cnt : 1, sizeof(*cfg->imports));
    if (cfg->imports == NULL)
        return perr(c, n, "imports", "out of memory");
    for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
        /* counted before it is filled: a half-read entry is freed too */
        struct serve_import_src *e = &cfg->imports[cfg->nimports++];
        if (import_entry(c, yaml_document_get_node(c->doc, *it), e) < 0)
            return -1;
    }
    return 0;
}

/* top - the top-level mapping */
static int top(struct pctx *c, struct serve_config *cfg, const yaml_node_t *n)
{
    yaml_node_pair_t *pr;

    if (n == NULL)
        return 0; /* an empty file: every default */
    if (n->type != YAML_MAPPING_NODE)
        return perr(c, n, "config", "the file must be a mapping (listen: ..., db: ...)");
    for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
        const yaml_node_t *k = yaml_document_get_node(c->doc, pr->key);
        const yaml_node_t *v = yaml_document_get_node(c->doc, pr->value);
        const char *kn;
        long x;
        int rc;

        if (k == NULL || v == NULL || k->type != YAML_SCALAR_NODE)
            return perr(c, k, "config", "keys must be plain words");
        kn = key_name(k);
        if (strcmp(kn, "listen") == 0) {
            rc = set_str(c, k, v, "listen", 0, &cfg->listen);
            cfg->listen_line = v->start_mark.line + 1;
            cfg->listen_column = v->start_mark.column + 1;
            if (rc == 0 && ink_http_listen_is_loopback(cfg->listen) < 0)
                return perr(c, v, "listen", "'%s' is not ADDR:PORT or [ADDR6]:PORT",
                            cli_shown(cfg->listen));
        } else if (strcmp(kn, "db") == 0) {
            rc = set_str(c, k, v, "db", 1, &cfg->db);
            if (rc == 0 && !ink_store_db_ok(cfg->db))
                return perr(c, v, "db", "'%s' is not a database file or a postgresql:// URI",
                            cli_shown(cfg->db));
        } else if (strcmp(kn, "tls-cert") == 0) {
            rc = set_str(c, k, v, "tls-cert", 1, &cfg->tls_cert);
        } else if (strcmp(kn, "tls-key") == 0) {
            rc = set_str(c, k, v, "tls-key", 1, &cfg->tls_key);
        } else if (strcmp(kn, "insecure-listen") == 0) {
            if (cfg->insecure_listen >= 0)
                return perr(c, k, "insecure-listen", "given twice");
            rc = boolean(c, v, "insecure-listen", &cfg->insecure_listen);
        } else if (strcmp(kn, "profiles") == 0) {
            rc = set_str(c, k, v, "profiles", 1, &cfg->profiles);
        } else if (strcmp(kn, "rate") == 0) {
            rc = number(c, v, "rate", 1, SERVE_RATE_MAX, "a number of requests a minute", &x);
            cfg->rate = (unsigned)x;
        } else if (strcmp(kn, "check-timeout") == 0) {
            rc = number(c, v, "check-timeout", 1, SERVE_CHECK_TIMEOUT_MAX, "a number of seconds",
                        &x);
            cfg->check_timeout = (int)x;
        } else if (strcmp(kn, "auth-port") == 0) {
            rc = number(c, v, "auth-port", 1, SERVE_PORT_MAX, "a port number", &x);
            cfg->auth_port = (int)x;
        } else if (strcmp(kn, "zone") == 0) {
            rc = set_str(c, k, v, "zone", 1, &cfg->zone);
        } else if (strcmp(kn, "origin") == 0) {
            rc = set_str(c, k, v, "origin", 0, &cfg->origin);
        } else if (strcmp(kn, "dns") == 0) {
            rc = set_str(c, k, v, "dns", 0, &cfg->dns);
        } else if (strcmp(kn, "timeout") == 0) {
            rc = number(c, v, "timeout", 1, SERVE_DNS_TIMEOUT_MAX, "a number of seconds", &x);
            cfg->timeout_ms = (int)x * 1000;
        } else if (strcmp(kn, "trust-anchor") == 0) {
            rc = set_str(c, k, v, "trust-anchor", 1, &cfg->trust_anchor);
        } else if (strcmp(kn, "imports") == 0) {
            rc = imports(c, cfg, k, v);
        } else {
            return perr(c, k, cli_shown(kn),
                        "unknown key (listen, db, tls-cert, tls-key, insecure-listen, profiles, "
                        "rate, check-timeout, auth-port, zone, origin, dns, timeout, trust-anchor, "
                        "imports)");
        }
        if (rc < 0)
            return -1;
    }
    if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL))
        return perr(c, n, cfg->tls_cert ? "tls-key" : "tls-cert",
                    "missing: tls-cert and tls-key go together");
    if (cfg->zone != NULL && cfg->dns != NULL)
        return perr(c, n, "dns", "zone and dns cannot be given together");
    return 0;
}

/* serve_config_parse - see serve.h */
struct serve_config *serve_config_parse(const uint8_t *buf, size_t len, const char *base_dir,
                                        struct ink_str *err)
{
    static const struct ink_yaml_limits lim = {"serve config", SERVE_CONFIG_SIZE_MAX,
                                               SERVE_CONFIG_DEPTH_MAX,
                                               INK_YAML_NO_ALIASES | INK_YAML_ONE_DOCUMENT};
    yaml_document_t doc;
    struct serve_config *cfg;
    struct pctx c;
    int rc;

    ink_str_truncate(err, 0);
    if (ink_yaml_load(buf, len, &lim, &doc, err) < 0)
        return NULL;
    cfg = calloc(1, sizeof(*cfg));
    if (cfg == NULL) {
        yaml_document_delete(&doc);
        (void)ink_str_puts(err, "1:1: config: out of memory");
        return NULL;
    }
    cfg->insecure_listen = -1;
    cfg->listen_line = cfg->listen_column = 1;
    c.doc = &doc;
    c.err = err;
    c.base = base_dir;
    rc = top(&c, cfg, yaml_document_get_root_node(&doc));
    yaml_document_delete(&doc);
    if (rc < 0) {
        serve_config_free(cfg);
        return NULL;
    }
    return cfg;
}

/* serve_config_load - see serve.h */
struct serve_config *serve_config_load(const char *path)
{
    struct ink_str err = INK_STR_INIT;
    struct serve_config *cfg;
    uint8_t *buf = NULL;
    size_t len = 0;
    char *copy = strdup(path), *base, *dir;

    if (copy == NULL) {
        cli_error("serve: out of memory");
        return NULL;
    }
    if (cli_file_limit("--config", path, SERVE_CONFIG_SIZE_MAX) < 0 ||
        cli_read_file(path, SERVE_CONFIG_SIZE_MAX, &buf, &len) < 0) {
        free(copy);
        return NULL;
    }
    /* relative paths from the file's directory, made absolute (the
     * messages then say where a file is) */
    dir = dirname(copy);
    base = realpath(dir, NULL);
    cfg = serve_config_parse(buf, len, base ? base : dir, &err);
    free(base);
    free(buf);
    free(copy);
    if (cfg == NULL) {
        cli_error("serve: %s:%s", cli_shown(path), ink_str_cstr(&err));
        ink_str_free(&err);
        return NULL;
    }
    ink_str_free(&err);
    cfg->path = strdup(path);
    if (cfg->path == NULL) {
        cli_error("serve: out of memory");
        serve_config_free(cfg);
        return NULL;
    }
    return cfg;
}

/* serve_config_merge - see serve.h */
int serve_config_merge(const struct serve_config *cfg, struct ink_http_opts *ho, const char **db,
                       int *insecure, const char **profiles, int *check_timeout,
                       int *auth_port, struct ink_resolver_opts *dns)
{
    if (ho->listen == NULL)
        ho->listen = cfg->listen;
    if (ho->tls_cert == NULL && ho->tls_key == NULL) {
        ho->tls_cert = cfg->tls_cert;
        ho->tls_key = cfg->tls_key;
    }
    if (ho->rate_per_min == 0)
        ho->rate_per_min = cfg->rate;
    if (*db == NULL)
        *db = cfg->db;
    if (*profiles == NULL)
        *profiles = cfg->profiles;
    if (*check_timeout == 0)
        *check_timeout = cfg->check_timeout;
    if (*auth_port == 0)
        *auth_port = cfg->auth_port;
    if (cfg->insecure_listen == 1)
        *insecure = 1;
    /* the DNS source is one choice: --zone or --dns replaces the file's */
    if (dns->zone_file == NULL && dns->server == NULL) {
        dns->zone_file = cfg->zone;
        dns->server = cfg->dns;
        if (dns->origin == NULL)
            dns->origin = cfg->origin;
    }
    if (dns->timeout_ms == 0)
        dns->timeout_ms = cfg->timeout_ms;
    if (dns->trust_anchor == NULL && cfg->trust_anchor != NULL) {
        if (access(cfg->trust_anchor, R_OK) != 0) {
            cli_error("serve: %s: trust-anchor %s: %s", cli_shown(cfg->path),
                      cli_shown(cfg->trust_anchor), strerror(errno));
            return -1;
        }
        if (cli_file_limit("trust-anchor", cfg->trust_anchor, CLI_TRUST_ANCHOR_MAX) < 0)
            return -1;
        dns->trust_anchor = cfg->trust_anchor;
    }
    return 0;
}

/* serve_config_free - see serve.h */
void serve_config_free(struct serve_config *c)
{
    size_t i;

    if (c == NULL)
        return;
    for (i = 0; i < c->nimports; i++) {
        struct serve_import_src *e = &c->imports[i];
        free(e->dir);
        free(e->processed);
        free(e->refused);
        free(e->url);
        free(e->password_file);
        free(e->processed_folder);
        free(e->refused_folder);
        free(e->ca);
    }
    free(c->imports);
    free(c->path);
    free(c->listen);
    free(c->db);
    free(c->tls_cert);
    free(c->tls_key);
    free(c->profiles);
    free(c->zone);
    free(c->origin);
    free(c->dns);
    free(c->trust_anchor);
    free(c);
}
