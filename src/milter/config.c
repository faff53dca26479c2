/*
 * config.c - the configuration of `inkan milter` (docs/milter.md): YAML
 * read from memory with libyaml after the shared shape check (depth,
 * no aliases); every error names the key and its line.  The keys:
 * socket, authserv-id, policy, pid-file, dns {zone, server, timeout},
 * internal-networks [CIDR...], signing [{domain, selector, key}...],
 * arc-seal {domain, selector, key}, signer-user, quarantine,
 * mixed-recipients, rotations, rotation-recheck, evaluations {store, spool,
 * batch-size, batch-interval, queue, store-wait, retry}.  Unknown keys are
 * refused (a typo must not be ignored).
 */
#include "inkan/milter.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "inkan/dns.h"
#include "inkan/evwriter.h"
#include "inkan/store.h"
#include "inkan/yamlcheck.h"

struct cctx {
    yaml_document_t *doc;
    struct ink_str *err;
    const char *base;
};

/* cerr - "LINE:COL: KEY: why" into the error; returns -1 */
static int cerr(struct cctx *c, const yaml_node_t *n, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int cerr(struct cctx *c, const yaml_node_t *n, const char *key, const char *fmt, ...)
{
    va_list ap;
    char msg[512];

    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (c->err != NULL) {
        ink_str_truncate(c->err, 0);
        if (n != NULL)
            (void)ink_str_printf(c->err, "%zu:%zu: ", n->start_mark.line + 1,
                                 n->start_mark.column + 1);
        (void)ink_str_printf(c->err, "%s: %s", key, msg);
    }
    return -1;
}

/* scalar - the text of a scalar node (owned by the document), or NULL after cerr */
static const char *scalar(struct cctx *c, const yaml_node_t *n, const char *key)
{
    size_t i;

    if (n == NULL || n->type != YAML_SCALAR_NODE) {
        (void)cerr(c, n, key, "must be a single value");
        return NULL;
    }
    if (n->data.scalar.length == 0 || n->data.scalar.length > INK_MILTER_SCALAR_MAX) {
        (void)cerr(c, n, key, "must be 1 to %d bytes", INK_MILTER_SCALAR_MAX);
        return NULL;
    }
    for (i = 0; i < n->data.scalar.length; i++)
        if (n->data.scalar.value[i] < 0x20 || n->data.scalar.value[i] == 0x7f) {
            (void)cerr(c, n, key, "holds a control character");
            return NULL;
        }
    return (const char *)n->data.scalar.value;
}

/* dup_scalar - a copy of the scalar (caller frees), or NULL after cerr */
static char *dup_scalar(struct cctx *c, const yaml_node_t *n, const char *key)
{
    const char *s = scalar(c, n, key);
    char *d;

    if (s == NULL)
        return NULL;
    d = strdup(s);
    if (d == NULL)
        (void)cerr(c, n, key, "out of memory");
    return d;
}

/* dup_path - a path, taken from the base directory when relative */
static char *dup_path(struct cctx *c, const yaml_node_t *n, const char *key)
{
    const char *s = scalar(c, n, key);
    char *d;

    if (s == NULL)
        return NULL;
    /* absolute, or a store URI (rotations: postgresql://...), as given */
    if (s[0] == '/' || c->base == NULL || c->base[0] == '\0' || ink_store_is_uri(s)) {
        d = strdup(s);
    } else {
        size_t len = strlen(c->base) + 1 + strlen(s) + 1;

        d = malloc(len);
        if (d != NULL)
            (void)snprintf(d, len, "%s/%s", c->base, s);
    }
    if (d == NULL)
        (void)cerr(c, n, key, "out of memory");
    return d;
}

/* set_once - store v in *slot, refusing a key given twice */
static int set_once(struct cctx *c, const yaml_node_t *k, const char *key, char **slot, char *v)
{
    if (v == NULL)
        return -1;
    if (*slot != NULL) {
        free(v);
        return cerr(c, k, key, "given twice");
    }
    *slot = v;
    return 0;
}

static int is_key(const yaml_node_t *k, const char *name)
{
    return k != NULL && k->type == YAML_SCALAR_NODE && strcmp((const char *)k->data.scalar.value, name) == 0;
}

/* check_socket - "inet:PORT@HOST", "inet6:PORT@HOST" or "unix:/path" (local: too) */
static int check_socket(struct cctx *c, const yaml_node_t *n, const char *s)
{
    if (strncmp(s, "unix:", 5) == 0 || strncmp(s, "local:", 6) == 0) {
        const char *p = strchr(s, ':') + 1;

        if (p[0] != '/')
            return cerr(c, n, "socket", "'%s': a unix socket needs an absolute path", s);
        return 0;
    }
    if (strncmp(s, "inet:", 5) == 0 || strncmp(s, "inet6:", 6) == 0) {
        const char *p = strchr(s, ':') + 1;
        char *end;
        long port;

        errno = 0;
        port = strtol(p, &end, 10);
        if (errno != 0 || end == p || port < 1 || port > 65535 || (*end != '\0' && *end != '@') ||
            (*end == '@' && end[1] == '\0'))
            return cerr(c, n, "socket", "'%s' is not inet:PORT@HOST (port 1-65535)", s);
        return 0;
    }
    return cerr(c, n, "socket", "'%s' is not inet:PORT@HOST or unix:/PATH", s);
}

/* parse_cidr - "ADDR" or "ADDR/PREFIX" */
static int parse_cidr(const char *s, struct ink_milter_cidr *out)
{
    const char *slash = strchr(s, '/');
    size_t alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
    unsigned max;

    if (ink_ip_parse(s, alen, &out->family, out->addr) < 0)
        return -1;
    max = out->family == 4 ? 32 : 128;
    out->prefix = max;
    if (slash != NULL) {
        char *end;
        long v;

        errno = 0;
        v = strtol(slash + 1, &end, 10);
        if (errno != 0 || end == slash + 1 || *end != '\0' || v < 0 || (unsigned long)v > max)
            return -1;
        out->prefix = (unsigned)v;
    }
    return 0;
}

/* A list key of the configuration: what its node must be and what reads
 * one entry (into the array list_new made, which the caller stored in cfg). */
struct list_kind {
    const char *key;   /* "internal-networks" */
    const char *shape; /* "a list of address ranges": after "must be " */
    size_t max;        /* entries at most (the INK_MILTER_*_MAX constant) */
    const char *unit;  /* "entries", "keys": after "more than N " */
    size_t elem;       /* bytes of one array element */
    int (*entry)(struct cctx *c, struct ink_milter_config *cfg, const yaml_node_t *e);
};

/* list_new - n as a list of k's entries, the key not given before (given
 * 0): a zeroed array of one element per entry (at least one), which the
 * caller stores in cfg and frees with it; NULL after cerr */
static void *list_new(struct cctx *c, const yaml_node_t *n, const struct list_kind *k, int given)
{
    size_t cnt;
    void *a;

    if (n->type != YAML_SEQUENCE_NODE) {
        (void)cerr(c, n, k->key, "must be %s", k->shape);
        return NULL;
    }
    if (given) {
        (void)cerr(c, n, k->key, "given twice");
        return NULL;
    }
    cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (cnt > k->max) {
        (void)cerr(c, n, k->key, "more than %zu %s", k->max, k->unit);
        return NULL;
    }
    a = calloc(cnt > 0 ? cnt : 1, k->elem);
    if (a == NULL)
        (void)cerr(c, n, k->key, "out of memory");
    return a;
}

/* list_entries - k->entry on each entry of the list n, in order; -1 at the
 * first that fails (after cerr) */
static int list_entries(struct cctx *c, struct ink_milter_config *cfg, const yaml_node_t *n,
                        const struct list_kind *k)
{
    yaml_node_item_t *it;

    for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++)
        if (k->entry(c, cfg, yaml_document_get_node(c->doc, *it)) < 0)
            return -1;
    return 0;
}

/* network_entry - one internal-networks range, appended to cfg->networks */
static int network_entry(struct cctx *c, struct ink_milter_config *cfg, const yaml_node_t *e)
{
    const char *s = scalar(c, e, "internal-networks");

    if (s == NULL)
        return -1;
    if (parse_cidr(s, &cfg->networks[cfg->nnetworks]) < 0)
        return cerr(c, e, "internal-networks", "'%s' is not ADDRESS[/PREFIX]", s);
    cfg->nnetworks++;
    return 0;
}

/* networks - internal-networks: a list of ranges */
static int networks(struct cctx *c, struct ink_milter_config *cfg, const yaml_node_t *n)
{
    static const struct list_kind kind = {"internal-networks", "a list of address ranges",
                                          INK_MILTER_NETWORKS_MAX, "entries",
                                          sizeof(*cfg->networks), network_entry};
    struct ink_milter_cidr *a = list_new(c, n, &kind, cfg->networks != NULL);

    if (a == NULL)
        return -1;
    cfg->networks = a;
    return list_entries(c, cfg, n, &kind);
}

/* valid_domain - letters, digits, '-', '.'; no empty label */
static int valid_domain(const char *s)
{
    size_t i, lab = 0;

    for (i = 0; s[i] != '\0'; i++) {
        if (s[i] == '.') {
            if (lab == 0)
                return 0;
            lab = 0;
        } else if (isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '_') {
            if (++lab > 63)
                return 0;
        } else {
            return 0;
        }
    }
    return i > 0 && i <= 253 && lab > 0;
}

/* key_entry - one {domain, selector, key} mapping into k; what names
 * the key in errors ("signing", "arc-seal") */
static int key_entry(struct cctx *c, const yaml_node_t *e, const char *what,
                     struct ink_milter_key *k)
{
    yaml_node_pair_t *pr;
    char name[32], *p;

    if (e == NULL || e->type != YAML_MAPPING_NODE)
        return cerr(c, e, what, "%s a mapping {domain, selector, key}",
                    strcmp(what, "signing") == 0 ? "each entry is" : "must be");
    for (pr = e->data.mapping.pairs.start; pr < e->data.mapping.pairs.top; pr++) {
        const yaml_node_t *kn = yaml_document_get_node(c->doc, pr->key);
        const yaml_node_t *vn = yaml_document_get_node(c->doc, pr->value);

        if (is_key(kn, "domain")) {
            (void)snprintf(name, sizeof(name), "%s.domain", what);
            if (set_once(c, kn, name, &k->domain, dup_scalar(c, vn, name)) < 0)
                return -1;
            for (p = k->domain; *p != '\0'; p++)
                *p = (char)tolower((unsigned char)*p);
            if (!valid_domain(k->domain))
                return cerr(c, vn, name, "'%s' is not a domain name", k->domain);
        } else if (is_key(kn, "selector")) {
            (void)snprintf(name, sizeof(name), "%s.selector", what);
            if (set_once(c, kn, name, &k->selector, dup_scalar(c, vn, name)) < 0)
                return -1;
            if (!valid_domain(k->selector))
                return cerr(c, vn, name, "'%s' is not a selector (DNS labels)", k->selector);
        } else if (is_key(kn, "key")) {
            (void)snprintf(name, sizeof(name), "%s.key", what);
            if (set_once(c, kn, name, &k->key, dup_path(c, vn, name)) < 0)
                return -1;
        } else {
            return cerr(c, kn, what, "unknown key '%s' (domain, selector, key)",
                        kn != NULL && kn->type == YAML_SCALAR_NODE
                            ? (const char *)kn->data.scalar.value : "?");
        }
    }
    if (k->domain == NULL || k->selector == NULL || k->key == NULL)
        return cerr(c, e, what, "%s needs domain, selector and key",
                    strcmp(what, "signing") == 0 ? "an entry" : "it");
    return 0;
}

/* signing_entry - one signing key, appended to cfg->keys (counted before
 * it is read, so that the free releases what a failed entry holds) */
static int signing_entry(struct cctx *c, struct ink_milter_config *cfg, const yaml_node_t *e)
{
    return key_entry(c, e, "signing", &cfg->keys[cfg->nkeys++]);
}

/* signing - signing: a list of {domain, selector, key} */
static int signing(struct cctx *c, struct ink_milter_config *cfg, const yaml_node_t *n)
{
    static const struct list_kind kind = {"signing", "a list of {domain, selector, key}",
                                          INK_MILTER_KEYS_MAX, "keys", sizeof(*cfg->keys),
                                          signing_entry};
    struct ink_milter_key *a = list_new(c, n, &kind, cfg->keys != NULL);

    if (a == NULL)
        return -1;
    cfg->keys = a;
    return list_entries(c, cfg, n, &kind);
}

/* arc_seal - arc-seal: {domain, selector, key}, the ARC sealer's key */
static int arc_seal(struct cctx *c, struct ink_milter_config *cfg, const yaml_node_t *k,
                    const yaml_node_t *n)
{
    if (cfg->arc_seal != NULL)
        return cerr(c, k, "arc-seal", "given twice");
    cfg->arc_seal = calloc(1, sizeof(*cfg->arc_seal));
    if (cfg->arc_seal == NULL)
        return cerr(c, n, "arc-seal", "out of memory");
    return key_entry(c, n, "arc-seal", cfg->arc_seal);
}

/* number - a whole number lo..hi of the key, into *out; -1 after cerr */
static int number(struct cctx *c, const yaml_node_t *vn, const char *key, long lo, long hi,
                  const char *unit, long *out)
{
    const char *s = scalar(c, vn, key);
    char *end;
    long v;

    if (s == NULL)
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return cerr(c, vn, key, "'%s' is not a number of %s %ld-%ld", s, unit, lo, hi);
    *out = v;
    return 0;
}

/* dns - dns: {zone, server, timeout} */
static int dns(struct cctx *c, struct ink_milter_config *cfg, const yaml_node_t *n)
{
    yaml_node_pair_t *pr;

    if (n->type != YAML_MAPPING_NODE)
        return cerr(c, n, "dns", "must be a mapping {zone, server, timeout}");
    for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
        const yaml_node_t *kn = yaml_document_get_node(c->doc, pr->key);
        const yaml_node_t *vn = yaml_document_get_node(c->doc, pr->value);

        if (is_key(kn, "zone")) {
            if (set_once(c, kn, "dns.zone", &cfg->dns_zone, dup_path(c, vn, "dns.zone")) < 0)
                return -1;
        } else if (is_key(kn, "server")) {
            if (set_once(c, kn, "dns.server", &cfg->dns_server, dup_scalar(c, vn, "dns.server")) < 0)
                return -1;
        } else if (is_key(kn, "timeout")) {
            long v;

            if (number(c, vn, "dns.timeout", 1, INK_MILTER_DNS_TIMEOUT_MAX, "seconds", &v) < 0)
                return -1;
            cfg->dns_timeout_ms = (int)v * 1000;
        } else {
            return cerr(c, kn, "dns", "unknown key '%s' (zone, server, timeout)",
                        kn != NULL && kn->type == YAML_SCALAR_NODE
                            ? (const char *)kn->data.scalar.value : "?");
        }
    }
    if (cfg->dns_zone != NULL && cfg->dns_server != NULL)
        return cerr(c, n, "dns", "zone and server cannot be given together");
    return 0;
}

/* evaluations - evaluations: {store, spool, batch-size, batch-interval,
 * queue, store-wait, retry} */
static int evaluations(struct cctx *c, struct ink_milter_config *cfg, const yaml_node_t *n)
{
    yaml_node_pair_t *pr;

    if (n->type != YAML_MAPPING_NODE)
        return cerr(c, n, "evaluations", "must be a mapping {store, spool, ...}");
    for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
        const yaml_node_t *kn = yaml_document_get_node(c->doc, pr->key);
        const yaml_node_t *vn = yaml_document_get_node(c->doc, pr->value);
        long v;

        if (is_key(kn, "store")) {
            if (set_once(c, kn, "evaluations.store", &cfg->ev_store,
                         dup_path(c, vn, "evaluations.store")) < 0)
                return -1;
        } else if (is_key(kn, "spool")) {
            if (set_once(c, kn, "evaluations.spool", &cfg->ev_spool,
                         dup_path(c, vn, "evaluations.spool")) < 0)
                return -1;
        } else if (is_key(kn, "batch-size")) {
            if (number(c, vn, "evaluations.batch-size", 1, INK_EVWRITER_BATCH_MAX, "rows", &v) < 0)
                return -1;
            cfg->ev_batch = (size_t)v;
        } else if (is_key(kn, "batch-interval")) {
            if (number(c, vn, "evaluations.batch-interval", 0, INK_EVWRITER_INTERVAL_MS_MAX,
                       "milliseconds", &v) < 0)
                return -1;
            cfg->ev_interval_ms = (unsigned)v;
        } else if (is_key(kn, "queue")) {
            if (number(c, vn, "evaluations.queue", 1, INK_EVWRITER_QUEUE_MAX, "rows", &v) < 0)
                return -1;
            cfg->ev_queue = (size_t)v;
        } else if (is_key(kn, "store-wait")) {
            if (number(c, vn, "evaluations.store-wait", 1, INK_EVWRITER_WAIT_MS_MAX,
                       "milliseconds", &v) < 0)
                return -1;
            cfg->ev_wait_ms = (unsigned)v;
        } else if (is_key(kn, "retry")) {
            if (number(c, vn, "evaluations.retry", 1, INK_EVWRITER_RETRY_MS_MAX, "milliseconds",
                       &v) < 0)
                return -1;
            cfg->ev_retry_ms = (unsigned)v;
        } else {
            return cerr(c, kn, "evaluations",
                        "unknown key '%s' (store, spool, batch-size, batch-interval, queue, "
                        "store-wait, retry)",
                        kn != NULL && kn->type == YAML_SCALAR_NODE
                            ? (const char *)kn->data.scalar.value : "?");
        }
    }
    if (cfg->ev_store == NULL)
        return cerr(c, n, "evaluations", "store is missing (the SQLite file rows go to)");
    if (cfg->ev_spool == NULL) {
        size_t len = strlen(cfg->ev_store) + sizeof(".spool");

        cfg->ev_spool = malloc(len);
        if (cfg->ev_spool == NULL)
            return cerr(c, n, "evaluations", "out of memory");
        (void)snprintf(cfg->ev_spool, len, "%s.spool", cfg->ev_store);
    }
    if (strcmp(cfg->ev_spool, cfg->ev_store) == 0)
        return cerr(c, n, "evaluations.spool", "must not be the store's own file");
    return 0;
}

/* top - the top-level mapping */
static int top(struct cctx *c, struct ink_milter_config *cfg, const yaml_node_t *n)
{
    yaml_node_pair_t *pr;

    if (n == NULL || n->type != YAML_MAPPING_NODE)
        return cerr(c, n, "config", "the file must be a mapping (socket: ..., policy: ...)");
    for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
        const yaml_node_t *k = yaml_document_get_node(c->doc, pr->key);
        const yaml_node_t *v = yaml_document_get_node(c->doc, pr->value);
        int rc;

        if (k == NULL || v == NULL || k->type != YAML_SCALAR_NODE)
            return cerr(c, k, "config", "keys must be plain words");
        if (is_key(k, "socket")) {
            rc = set_once(c, k, "socket", &cfg->socket, dup_scalar(c, v, "socket"));
            if (rc == 0)
                rc = check_socket(c, v, cfg->socket);
        } else if (is_key(k, "authserv-id")) {
            rc = set_once(c, k, "authserv-id", &cfg->authserv_id, dup_scalar(c, v, "authserv-id"));
        } else if (is_key(k, "policy")) {
            rc = set_once(c, k, "policy", &cfg->policy, dup_path(c, v, "policy"));
        } else if (is_key(k, "pid-file")) {
            rc = set_once(c, k, "pid-file", &cfg->pid_file, dup_path(c, v, "pid-file"));
        } else if (is_key(k, "signer-user")) {
            rc = set_once(c, k, "signer-user", &cfg->signer_user, dup_scalar(c, v, "signer-user"));
        } else if (is_key(k, "quarantine")) {
            if (v->type == YAML_SCALAR_NODE && strcmp((const char *)v->data.scalar.value, "hold") == 0)
                rc = 0, cfg->quarantine_header = 0;
            else if (v->type == YAML_SCALAR_NODE && strcmp((const char *)v->data.scalar.value, "header") == 0)
                rc = 0, cfg->quarantine_header = 1;
            else
                return cerr(c, v, "quarantine", "must be hold (Postfix's hold queue) or header");
        } else if (is_key(k, "mixed-recipients")) {
            if (v->type == YAML_SCALAR_NODE && strcmp((const char *)v->data.scalar.value, "split") == 0)
                rc = 0, cfg->mixed_enforce = 0;
            else if (v->type == YAML_SCALAR_NODE &&
                     strcmp((const char *)v->data.scalar.value, "enforce") == 0)
                rc = 0, cfg->mixed_enforce = 1;
            else
                return cerr(c, v, "mixed-recipients",
                            "must be split (one kind of recipient per transaction) or enforce");
        } else if (is_key(k, "dns")) {
            rc = dns(c, cfg, v);
        } else if (is_key(k, "evaluations")) {
            if (cfg->ev_store != NULL)
                return cerr(c, k, "evaluations", "given twice");
            rc = evaluations(c, cfg, v);
        } else if (is_key(k, "internal-networks")) {
            rc = networks(c, cfg, v);
        } else if (is_key(k, "signing")) {
            rc = signing(c, cfg, v);
        } else if (is_key(k, "rotations")) {
            rc = set_once(c, k, "rotations", &cfg->rotations, dup_path(c, v, "rotations"));
        } else if (is_key(k, "rotation-recheck")) {
            long sec;

            rc = number(c, v, "rotation-recheck", 0, INK_MILTER_RECHECK_MAX, "seconds", &sec);
            if (rc == 0)
                cfg->rotation_recheck_s = (int)sec;
        } else if (is_key(k, "arc-seal")) {
            rc = arc_seal(c, cfg, k, v);
        } else {
            return cerr(c, k, (const char *)k->data.scalar.value,
                        "unknown key (socket, authserv-id, policy, pid-file, dns, "
                        "internal-networks, signing, arc-seal, signer-user, quarantine, "
                        "mixed-recipients, rotations, rotation-recheck, evaluations)");
        }
        if (rc < 0)
            return -1;
    }
    if (cfg->socket == NULL)
        return cerr(c, n, "socket", "missing (inet:PORT@127.0.0.1 or unix:/PATH)");
    if (cfg->arc_seal != NULL && cfg->nkeys + 1 > INK_SIGNER_KEYS_MAX)
        return cerr(c, n, "arc-seal", "the signer holds at most %d keys: %zu signing keys and "
                    "the ARC key are too many", INK_SIGNER_KEYS_MAX, cfg->nkeys);
    return 0;
}

/* ink_milter_config_parse - parse; caller owns the result */
struct ink_milter_config *ink_milter_config_parse(const uint8_t *buf, size_t len,
                                                  const char *base_dir, struct ink_str *err)
{
    static const struct ink_yaml_limits lim = {"milter config", INK_MILTER_CONFIG_SIZE_MAX,
                                               INK_MILTER_CONFIG_DEPTH_MAX, INK_YAML_NO_ALIASES};
    yaml_document_t doc;
    struct ink_milter_config *cfg;
    struct cctx c;
    int rc;

    if (err != NULL)
        ink_str_truncate(err, 0);
    if (ink_yaml_load(buf, len, &lim, &doc, err) < 0)
        return NULL;
    cfg = calloc(1, sizeof(*cfg));
    if (cfg == NULL) {
        yaml_document_delete(&doc);
        if (err != NULL)
            (void)ink_str_printf(err, "1:1: config: out of memory");
        return NULL;
    }
    cfg->dns_timeout_ms = INK_MILTER_DNS_TIMEOUT_DEFAULT * 1000;
    cfg->rotation_recheck_s = INK_MILTER_RECHECK_DEFAULT;
    c.doc = &doc;
    c.err = err;
    c.base = base_dir;
    rc = top(&c, cfg, yaml_document_get_root_node(&doc));
    yaml_document_delete(&doc);
    if (rc < 0) {
        ink_milter_config_free(cfg);
        return NULL;
    }
    return cfg;
}

/* ink_milter_config_free - release */
void ink_milter_config_free(struct ink_milter_config *c)
{
    size_t i;

    if (c == NULL)
        return;
    free(c->socket);
    free(c->authserv_id);
    free(c->policy);
    free(c->pid_file);
    free(c->dns_zone);
    free(c->dns_server);
    free(c->signer_user);
    free(c->rotations);
    free(c->ev_store);
    free(c->ev_spool);
    free(c->networks);
    for (i = 0; c->keys != NULL && i < c->nkeys; i++) {
        free(c->keys[i].domain);
        free(c->keys[i].selector);
        free(c->keys[i].key);
    }
    free(c->keys);
    if (c->arc_seal != NULL) {
        free(c->arc_seal->domain);
        free(c->arc_seal->selector);
        free(c->arc_seal->key);
        free(c->arc_seal);
    }
    free(c);
}

/* ink_milter_internal - ip (text) in an internal network */
int ink_milter_internal(const struct ink_milter_config *c, const char *ip)
{
    int fam;
    uint8_t a[16];
    size_t i;

    if (c == NULL || ip == NULL || ip[0] == '\0' || ink_ip_parse(ip, strlen(ip), &fam, a) < 0)
        return 0;
    for (i = 0; i < c->nnetworks; i++) {
        const struct ink_milter_cidr *n = &c->networks[i];
        unsigned full = n->prefix / 8, rest = n->prefix % 8;

        if (n->family != fam)
            continue;
        if (memcmp(n->addr, a, full) != 0)
            continue;
        if (rest != 0 && ((n->addr[full] ^ a[full]) & (uint8_t)(0xffu << (8 - rest))) != 0)
            continue;
        return 1;
    }
    return 0;
}

/* ink_milter_key_id - the signer's id of key i */
void ink_milter_key_id(size_t i, char *out, size_t cap)
{
    (void)snprintf(out, cap, "key%zu", i + 1);
}
