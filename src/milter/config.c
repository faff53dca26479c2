/*
 * config.c - the configuration of `inkan milter` (docs/milter.md): YAML
 * read from memory with libyaml after the shared shape check (depth,
 * no aliases); every error names the key and its line.  The keys:
 * socket, authserv-id, policy, pid-file, dns {zone, server, timeout},
 * internal-networks [CIDR...], signing [{domain, selector, key}...],
 * signer-user, quarantine, rotations, rotation-recheck.  Unknown keys are
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
    if (s[0] == '/' || c->base == NULL || c->base[0] == '\0') {
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

/* networks - internal_networks: a list of ranges */
static int networks(struct cctx *c, struct ink_milter_config *cfg, const yaml_node_t *n)
{
    yaml_node_item_t *it;
    size_t cnt;

    if (n->type != YAML_SEQUENCE_NODE)
        return cerr(c, n, "internal-networks", "must be a list of address ranges");
    if (cfg->networks != NULL)
        return cerr(c, n, "internal-networks", "given twice");
    cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (cnt > INK_MILTER_NETWORKS_MAX)
        return cerr(c, n, "internal-networks", "more than %d entries", INK_MILTER_NETWORKS_MAX);
    cfg->networks = calloc(cnt > 0 ? cnt : 1, sizeof(*cfg->networks));
    if (cfg->networks == NULL)
        return cerr(c, n, "internal-networks", "out of memory");
    for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
        const yaml_node_t *e = yaml_document_get_node(c->doc, *it);
        const char *s = scalar(c, e, "internal-networks");

        if (s == NULL)
            return -1;
        if (parse_cidr(s, &cfg->networks[cfg->nnetworks]) < 0)
            return cerr(c, e, "internal-networks", "'%s' is not ADDRESS[/PREFIX]", s);
        cfg->nnetworks++;
    }
    return 0;
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

/* signing - signing: a list of {domain, selector, key} */
static int signing(struct cctx *c, struct ink_milter_config *cfg, const yaml_node_t *n)
{
    yaml_node_item_t *it;
    size_t cnt;

    if (n->type != YAML_SEQUENCE_NODE)
        return cerr(c, n, "signing", "must be a list of {domain, selector, key}");
    if (cfg->keys != NULL)
        return cerr(c, n, "signing", "given twice");
    cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (cnt > INK_MILTER_KEYS_MAX)
        return cerr(c, n, "signing", "more than %d keys", INK_MILTER_KEYS_MAX);
    cfg->keys = calloc(cnt > 0 ? cnt : 1, sizeof(*cfg->keys));
    if (cfg->keys == NULL)
        return cerr(c, n, "signing", "out of memory");
    for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
        const yaml_node_t *e = yaml_document_get_node(c->doc, *it);
        struct ink_milter_key *k = &cfg->keys[cfg->nkeys];
        yaml_node_pair_t *pr;
        char *p;

        if (e == NULL || e->type != YAML_MAPPING_NODE)
            return cerr(c, e, "signing", "each entry is a mapping {domain, selector, key}");
        cfg->nkeys++;
        for (pr = e->data.mapping.pairs.start; pr < e->data.mapping.pairs.top; pr++) {
            const yaml_node_t *kn = yaml_document_get_node(c->doc, pr->key);
            const yaml_node_t *vn = yaml_document_get_node(c->doc, pr->value);

            if (is_key(kn, "domain")) {
                if (set_once(c, kn, "signing.domain", &k->domain,
                             dup_scalar(c, vn, "signing.domain")) < 0)
                    return -1;
                for (p = k->domain; *p != '\0'; p++)
                    *p = (char)tolower((unsigned char)*p);
                if (!valid_domain(k->domain))
                    return cerr(c, vn, "signing.domain", "'%s' is not a domain name", k->domain);
            } else if (is_key(kn, "selector")) {
                if (set_once(c, kn, "signing.selector", &k->selector,
                             dup_scalar(c, vn, "signing.selector")) < 0)
                    return -1;
                if (!valid_domain(k->selector))
                    return cerr(c, vn, "signing.selector", "'%s' is not a selector (DNS labels)",
                                k->selector);
            } else if (is_key(kn, "key")) {
                if (set_once(c, kn, "signing.key", &k->key, dup_path(c, vn, "signing.key")) < 0)
                    return -1;
            } else {
                return cerr(c, kn, "signing", "unknown key '%s' (domain, selector, key)",
                            kn != NULL && kn->type == YAML_SCALAR_NODE
                                ? (const char *)kn->data.scalar.value : "?");
            }
        }
        if (k->domain == NULL || k->selector == NULL || k->key == NULL)
            return cerr(c, e, "signing", "an entry needs domain, selector and key");
    }
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
            const char *s = scalar(c, vn, "dns.timeout");
            char *end;
            long v;

            if (s == NULL)
                return -1;
            errno = 0;
            v = strtol(s, &end, 10);
            if (errno != 0 || end == s || *end != '\0' || v < 1 || v > INK_MILTER_DNS_TIMEOUT_MAX)
                return cerr(c, vn, "dns.timeout", "'%s' is not a number of seconds 1-%d", s,
                            INK_MILTER_DNS_TIMEOUT_MAX);
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
        } else if (is_key(k, "dns")) {
            rc = dns(c, cfg, v);
        } else if (is_key(k, "internal-networks")) {
            rc = networks(c, cfg, v);
        } else if (is_key(k, "signing")) {
            rc = signing(c, cfg, v);
        } else if (is_key(k, "rotations")) {
            rc = set_once(c, k, "rotations", &cfg->rotations, dup_path(c, v, "rotations"));
        } else if (is_key(k, "rotation-recheck")) {
            const char *sv = scalar(c, v, "rotation-recheck");
            char *end;
            long sec;

            if (sv == NULL)
                return -1;
            errno = 0;
            sec = strtol(sv, &end, 10);
            if (errno != 0 || end == sv || *end != '\0' || sec < 0 ||
                sec > INK_MILTER_RECHECK_MAX)
                return cerr(c, v, "rotation-recheck", "'%s' is not a number of seconds 0-%d", sv,
                            INK_MILTER_RECHECK_MAX);
            cfg->rotation_recheck_s = (int)sec;
            rc = 0;
        } else {
            return cerr(c, k, (const char *)k->data.scalar.value,
                        "unknown key (socket, authserv-id, policy, pid-file, dns, "
                        "internal-networks, signing, signer-user, quarantine, rotations, "
                        "rotation-recheck)");
        }
        if (rc < 0)
            return -1;
    }
    if (cfg->socket == NULL)
        return cerr(c, n, "socket", "missing (inet:PORT@127.0.0.1 or unix:/PATH)");
    return 0;
}

/* ink_milter_config_parse - parse; caller owns the result */
struct ink_milter_config *ink_milter_config_parse(const uint8_t *buf, size_t len,
                                                  const char *base_dir, struct ink_str *err)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    struct ink_milter_config *cfg;
    struct cctx c;
    int rc;

    if (err != NULL)
        ink_str_truncate(err, 0);
    if (len > INK_MILTER_CONFIG_SIZE_MAX) {
        if (err != NULL)
            (void)ink_str_printf(err, "1:1: config: larger than %u bytes", INK_MILTER_CONFIG_SIZE_MAX);
        return NULL;
    }
    if (ink_yaml_shape_check(buf, len, INK_MILTER_CONFIG_DEPTH_MAX, INK_YAML_NO_ALIASES,
                             "milter config", err) < 0)
        return NULL;
    cfg = calloc(1, sizeof(*cfg));
    if (cfg == NULL || !yaml_parser_initialize(&parser)) {
        free(cfg);
        if (err != NULL)
            (void)ink_str_printf(err, "1:1: config: out of memory");
        return NULL;
    }
    cfg->dns_timeout_ms = INK_MILTER_DNS_TIMEOUT_DEFAULT * 1000;
    cfg->rotation_recheck_s = INK_MILTER_RECHECK_DEFAULT;
    yaml_parser_set_input_string(&parser, buf, len);
    if (!yaml_parser_load(&parser, &doc)) {
        if (err != NULL)
            (void)ink_str_printf(err, "%zu:%zu: YAML: %s", parser.problem_mark.line + 1,
                                 parser.problem_mark.column + 1,
                                 parser.problem != NULL ? parser.problem : "syntax error");
        yaml_parser_delete(&parser);
        ink_milter_config_free(cfg);
        return NULL;
    }
    c.doc = &doc;
    c.err = err;
    c.base = base_dir;
    rc = top(&c, cfg, yaml_document_get_root_node(&doc));
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
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
    free(c->networks);
    for (i = 0; c->keys != NULL && i < c->nkeys; i++) {
        free(c->keys[i].domain);
        free(c->keys[i].selector);
        free(c->keys[i].key);
    }
    free(c->keys);
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
