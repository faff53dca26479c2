/*
 * profile.c - the sender-profile parser: YAML bytes (libyaml) in, struct
 * ink_profile out, every error with its line and column.  The schema is
 * documented in docs/profiles.md; this file is its one implementation.
 *
 * libyaml builds the document graph (aliases are shared nodes, never
 * copied), then a schema walk of fixed depth reads the keys it knows and
 * refuses the rest, so a misspelt key cannot quietly drop a record.
 */
#include "inkan/profile.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "inkan/dns.h"
#include "inkan/yamlcheck.h"

/* A profile parse in progress: the document and the first error. */
struct pctx {
    yaml_document_t *doc;
    struct ink_str *err;
    int failed;
};

/* perr - record the first error at node's position ("LINE:COL: ...") */
static void perr(struct pctx *c, const yaml_node_t *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void perr(struct pctx *c, const yaml_node_t *node, const char *fmt, ...)
{
    va_list ap;

    if (c->failed)
        return;
    c->failed = 1;
    if (node != NULL)
        ink_str_printf(c->err, "%zu:%zu: ", node->start_mark.line + 1,
                       node->start_mark.column + 1);
    va_start(ap, fmt);
    ink_str_vprintf(c->err, fmt, ap);
    va_end(ap);
}

/* node_at - the node with index i, or NULL */
static yaml_node_t *node_at(struct pctx *c, int i)
{
    return yaml_document_get_node(c->doc, i);
}

/* scalar_text - a scalar node's text as a fresh C string (caller frees),
 * or NULL after an error naming what */
static char *scalar_text(struct pctx *c, yaml_node_t *n, const char *what)
{
    char *s;
    struct ink_str shown = INK_STR_INIT;

    if (n == NULL || n->type != YAML_SCALAR_NODE) {
        perr(c, n, "%s: expected a single value", what);
        return NULL;
    }
    if (n->data.scalar.length > INK_PROFILE_SCALAR_MAX) {
        perr(c, n, "%s: value longer than %u bytes", what, INK_PROFILE_SCALAR_MAX);
        return NULL;
    }
    if (memchr(n->data.scalar.value, '\0', n->data.scalar.length) != NULL) {
        ink_str_put_printable(&shown, n->data.scalar.value, n->data.scalar.length, 64);
        perr(c, n, "%s: value '%s' holds a NUL byte", what, ink_str_cstr(&shown));
        ink_str_free(&shown);
        return NULL;
    }
    {
        /* a control character would end a zone-file comment or a
         * checklist line, or drive the terminal: refused in every value
         * (C1 controls arrive as UTF-8, U+0080..U+009F = C2 80..C2 9F) */
        const unsigned char *v = n->data.scalar.value;
        size_t i, len = n->data.scalar.length;
        for (i = 0; i < len; i++) {
            if (v[i] < 0x20 || v[i] == 0x7f ||
                (v[i] == 0xc2 && i + 1 < len && v[i + 1] >= 0x80 && v[i + 1] <= 0x9f)) {
                ink_str_put_printable(&shown, v, len, 64);
                perr(c, n, "%s: value '%s' holds a control character (byte %zu)", what,
                     ink_str_cstr(&shown), i + 1);
                ink_str_free(&shown);
                return NULL;
            }
        }
    }
    s = ink_memdup_cstr(n->data.scalar.value, n->data.scalar.length);
    if (s == NULL)
        perr(c, n, "out of memory");
    return s;
}

/* scalar_text_max - scalar_text with a tighter length limit */
static char *scalar_text_max(struct pctx *c, yaml_node_t *n, const char *what, size_t max)
{
    if (n != NULL && n->type == YAML_SCALAR_NODE && n->data.scalar.length > max) {
        perr(c, n, "%s: value longer than %zu bytes", what, max);
        return NULL;
    }
    return scalar_text(c, n, what);
}

/* perr_value - an error quoting the (untrusted) value made printable */
static void perr_value(struct pctx *c, yaml_node_t *n, const char *what, const char *value,
                       const char *why)
{
    struct ink_str shown = INK_STR_INIT;

    ink_str_put_printable(&shown, value, strlen(value), 80);
    perr(c, n, "%s: '%s' %s", what, ink_str_cstr(&shown), why);
    ink_str_free(&shown);
}

/* take_normalized - finish reading a name: the normalised form buf (len
 * bytes) of the value s may hold only host-name characters (letters,
 * digits, '-', '.', '_').  Consumes s; returns a copy of buf the caller
 * frees, or NULL with the error said. */
static char *take_normalized(struct pctx *c, yaml_node_t *n, const char *what, char *s,
                             const char *buf, size_t len)
{
    char *out;
    size_t i;

    for (i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)buf[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
              ch == '_')) {
            perr_value(c, n, what, s, "holds a character not allowed in a host name");
            free(s);
            return NULL;
        }
    }
    free(s);
    out = ink_memdup_cstr(buf, len);
    if (out == NULL)
        perr(c, n, "out of memory");
    return out;
}

/* host_name - read a fully qualified host name (normalised: lower case,
 * no trailing dot, at least two labels).  Caller frees. */
static char *host_name(struct pctx *c, yaml_node_t *n, const char *what)
{
    char buf[INK_DNS_NAME_MAX + 2];
    char *s = scalar_text(c, n, what);
    int len;

    if (s == NULL)
        return NULL;
    len = ink_dns_name_normalize(s, strlen(s), buf, sizeof(buf));
    if (len <= 0 || strchr(buf, '.') == NULL) {
        perr_value(c, n, what, s, "is not a fully qualified host name");
        free(s);
        return NULL;
    }
    return take_normalized(c, n, what, s, buf, (size_t)len);
}

/* rel_name - read a name relative to the sending domain: "@" or one or
 * more labels (no trailing dot).  Caller frees. */
static char *rel_name(struct pctx *c, yaml_node_t *n, const char *what)
{
    char buf[INK_DNS_NAME_MAX + 2];
    char *s = scalar_text(c, n, what);
    int len;

    if (s == NULL)
        return NULL;
    if (strcmp(s, "@") == 0)
        return s;
    if (s[0] != '\0' && s[strlen(s) - 1] == '.') {
        perr_value(c, n, what, s, "must be relative to the sending domain (no final dot)");
        free(s);
        return NULL;
    }
    len = ink_dns_name_normalize(s, strlen(s), buf, sizeof(buf));
    if (len <= 0) {
        /* say which rule it breaks: "not a name" alone sends one looking */
        size_t at = 0, l;
        const char *why = "is not a relative name (labels, or @)";

        for (; s[at] != '\0'; at += l + (s[at + l] == '.')) {
            l = strcspn(s + at, ".");
            if (l == 0) {
                why = "has an empty label (two dots, or a leading dot)";
                break;
            }
            if (l > INK_DNS_LABEL_MAX) {
                why = "has a label longer than 63 bytes";
                break;
            }
        }
        if (s[at] == '\0' && strlen(s) > INK_DNS_NAME_MAX)
            why = "is longer than 253 bytes";
        perr_value(c, n, what, s, why);
        free(s);
        return NULL;
    }
    return take_normalized(c, n, what, s, buf, (size_t)len);
}

/* read_at - "sending" or "domain" */
static int read_at(struct pctx *c, yaml_node_t *n, const char *what, enum ink_profile_at *out)
{
    char *s = scalar_text(c, n, what);

    if (s == NULL)
        return -1;
    if (strcmp(s, "sending") == 0)
        *out = INK_PROFILE_AT_SENDING;
    else if (strcmp(s, "domain") == 0)
        *out = INK_PROFILE_AT_DOMAIN;
    else {
        perr_value(c, n, what, s, "must be 'sending' or 'domain'");
        free(s);
        return -1;
    }
    free(s);
    return 0;
}

/* key_is - does mapping key node k equal name */
static int key_is(const yaml_node_t *k, const char *name)
{
    size_t l = strlen(name);

    return k->type == YAML_SCALAR_NODE && k->data.scalar.length == l &&
           memcmp(k->data.scalar.value, name, l) == 0;
}

/* unknown_key - error for a key the schema does not have */
static void unknown_key(struct pctx *c, yaml_node_t *k, const char *section)
{
    struct ink_str shown = INK_STR_INIT;

    if (k->type == YAML_SCALAR_NODE)
        ink_str_put_printable(&shown, k->data.scalar.value, k->data.scalar.length, 64);
    else
        ink_str_puts(&shown, "(not a plain key)");
    perr(c, k, "%s: unknown key '%s' (see docs/profiles.md)", section, ink_str_cstr(&shown));
    ink_str_free(&shown);
}

/* expect_map - n must be a mapping whose keys are plain and distinct (a
 * key given twice would silently override the first) */
static int expect_map(struct pctx *c, yaml_node_t *n, const char *what)
{
    yaml_node_pair_t *a, *b;

    if (n == NULL || n->type != YAML_MAPPING_NODE) {
        perr(c, n, "%s: expected a mapping (key: value lines)", what);
        return -1;
    }
    if (n->data.mapping.pairs.top - n->data.mapping.pairs.start > INK_PROFILE_LIST_MAX) {
        perr(c, n, "%s: more than %u keys", what, INK_PROFILE_LIST_MAX);
        return -1;
    }
    for (a = n->data.mapping.pairs.start; a < n->data.mapping.pairs.top; a++) {
        yaml_node_t *ka = node_at(c, a->key);
        if (ka == NULL || ka->type != YAML_SCALAR_NODE) {
            perr(c, ka ? ka : n, "%s: keys must be plain words", what);
            return -1;
        }
        for (b = n->data.mapping.pairs.start; b < a; b++) {
            yaml_node_t *kb = node_at(c, b->key);
            if (kb->data.scalar.length == ka->data.scalar.length &&
                memcmp(kb->data.scalar.value, ka->data.scalar.value, ka->data.scalar.length) == 0) {
                {
                    struct ink_str shown = INK_STR_INIT;
                    ink_str_put_printable(&shown, ka->data.scalar.value, ka->data.scalar.length, 64);
                    perr(c, ka, "%s: key '%s' given twice (first at line %zu)", what,
                         ink_str_cstr(&shown), kb->start_mark.line + 1);
                    ink_str_free(&shown);
                }
                return -1;
            }
        }
    }
    return 0;
}

/* seq_items - the items of a sequence node, or n itself as a one-item
 * list when it is a scalar (so "include: x" and "include: [x]" both work);
 * *count gets the number.  Returns the item index array (owned by the
 * document) or NULL; for a scalar, *single is set to its index. */
static yaml_node_item_t *seq_items(struct pctx *c, yaml_node_t *n, int *single, size_t *count,
                                   const char *what)
{
    if (n != NULL && n->type == YAML_SCALAR_NODE) {
        *count = 1;
        return single;
    }
    if (n == NULL || n->type != YAML_SEQUENCE_NODE) {
        perr(c, n, "%s: expected a value or a list of values", what);
        return NULL;
    }
    *count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (*count > INK_PROFILE_LIST_MAX) {
        perr(c, n, "%s: more than %u entries", what, INK_PROFILE_LIST_MAX);
        return NULL;
    }
    return n->data.sequence.items.start;
}

/* read_list - read a value or list of values with conv into a fresh array */
static int read_list(struct pctx *c, yaml_node_t *n, int self, const char *what,
                     char *(*conv)(struct pctx *, yaml_node_t *, const char *), char ***out,
                     size_t *nout)
{
    yaml_node_item_t *items;
    size_t i, count = 0;
    int single = self;

    if (*out != NULL) {
        perr(c, n, "%s: given twice", what);
        return -1;
    }
    items = seq_items(c, n, &single, &count, what);
    if (items == NULL)
        return -1;
    *out = calloc(count ? count : 1, sizeof(char *));
    if (*out == NULL) {
        perr(c, n, "out of memory");
        return -1;
    }
    for (i = 0; i < count; i++) {
        char *v = conv(c, node_at(c, items[i]), what);
        if (v == NULL)
            return -1;
        (*out)[(*nout)++] = v;
    }
    return 0;
}

/* ip_range - read "ADDR" or "ADDR/PREFIX" of the family named by what
 * ("spf.ip4" or "spf.ip6"); caller frees */
static char *ip_range(struct pctx *c, yaml_node_t *n, const char *what)
{
    char *s = scalar_text(c, n, what);
    char *slash;
    int want = strstr(what, "ip6") != NULL ? 6 : 4, fam;
    uint8_t addr[16];
    unsigned long prefix;
    char *end;

    if (s == NULL)
        return NULL;
    slash = strchr(s, '/');
    if (ink_ip_parse(s, slash ? (size_t)(slash - s) : strlen(s), &fam, addr) < 0 || fam != want) {
        perr_value(c, n, what, s, want == 4 ? "is not an IPv4 address or range"
                                            : "is not an IPv6 address or range");
        free(s);
        return NULL;
    }
    if (slash != NULL) {
        prefix = strtoul(slash + 1, &end, 10);
        if (slash[1] < '0' || slash[1] > '9' || *end != '\0' || prefix > (want == 4 ? 32u : 128u) ||
            (slash[1] == '0' && slash[2] != '\0')) {
            perr_value(c, n, what, s, "has a bad prefix length");
            free(s);
            return NULL;
        }
        if (prefix == 0) {
            perr_value(c, n, what, s, "would authorize every address");
            free(s);
            return NULL;
        }
    }
    return s;
}

/* mailto_uri - a DMARC report address: "mailto:local@domain" (a bare
 * address gets "mailto:" added).  Caller frees. */
static char *mailto_uri(struct pctx *c, yaml_node_t *n, const char *what)
{
    char *s = scalar_text(c, n, what);
    const char *addr, *at;
    struct ink_str out = INK_STR_INIT;
    size_t i;

    if (s == NULL)
        return NULL;
    addr = strncasecmp(s, "mailto:", 7) == 0 ? s + 7 : s;
    at = strrchr(addr, '@');
    for (i = 0; addr[i] != '\0'; i++)
        if ((unsigned char)addr[i] <= ' ' || addr[i] == ',' || addr[i] == ';' ||
            (unsigned char)addr[i] >= 0x7f)
            break;
    if (at == NULL || at == addr || at[1] == '\0' || addr[i] != '\0' || strchr(at + 1, '.') == NULL) {
        perr_value(c, n, what, s, "is not a mailto: address (mailto:user@example.com)");
        free(s);
        return NULL;
    }
    if (ink_str_puts(&out, "mailto:") < 0 || ink_str_puts(&out, addr) < 0) {
        free(s);
        ink_str_free(&out);
        perr(c, n, "out of memory");
        return NULL;
    }
    free(s);
    return ink_str_steal(&out);
}

/* parse_spf - the "spf:" section */
static int parse_spf(struct pctx *c, struct ink_profile *p, yaml_node_t *n)
{
    yaml_node_pair_t *pr;

    if (expect_map(c, n, "spf") < 0)
        return -1;
    for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = node_at(c, pr->key), *v = node_at(c, pr->value);
        int rc;

        if (key_is(k, "include"))
            rc = read_list(c, v, pr->value, "spf.include", host_name, &p->include, &p->n_include);
        else if (key_is(k, "ip4"))
            rc = read_list(c, v, pr->value, "spf.ip4", ip_range, &p->ip4, &p->n_ip4);
        else if (key_is(k, "ip6"))
            rc = read_list(c, v, pr->value, "spf.ip6", ip_range, &p->ip6, &p->n_ip6);
        else if (key_is(k, "at"))
            rc = read_at(c, v, "spf.at", &p->spf_at);
        else if (key_is(k, "all")) {
            free(p->spf_all);
            p->spf_all = scalar_text(c, v, "spf.all");
            rc = p->spf_all == NULL ? -1 : 0;
            if (rc == 0 && strcmp(p->spf_all, "~all") != 0 && strcmp(p->spf_all, "-all") != 0 &&
                strcmp(p->spf_all, "?all") != 0) {
                perr_value(c, v, "spf.all", p->spf_all,
                           "must be ~all, -all or ?all (+all would let anyone send)");
                rc = -1;
            }
        } else {
            unknown_key(c, k, "spf");
            rc = -1;
        }
        if (rc < 0)
            return -1;
    }
    if (p->n_include + p->n_ip4 + p->n_ip6 == 0) {
        perr(c, n, "spf: give at least one of include, ip4, ip6");
        return -1;
    }
    return 0;
}

/* parse_keyalg - "generate" or an algorithm name */
static int parse_keyalg(struct pctx *c, yaml_node_t *v, enum ink_profile_keyalg *out)
{
    char *s = scalar_text(c, v, "dkim.key");
    int a;

    if (s == NULL)
        return -1;
    a = ink_profile_keyalg_from_name(s, strlen(s));
    if (a < 0) {
        perr_value(c, v, "dkim.key", s,
                   "must be generate, rsa1024, rsa2048, rsa3072, rsa4096 or ed25519");
        free(s);
        return -1;
    }
    free(s);
    *out = (enum ink_profile_keyalg)a;
    return 0;
}

/* parse_dkim_one - one item of the "dkim:" list */
static int parse_dkim_one(struct pctx *c, struct ink_profile_dkim *d, yaml_node_t *n)
{
    yaml_node_pair_t *pr;
    int have_key = 0;

    if (expect_map(c, n, "dkim[]") < 0)
        return -1;
    d->line = (unsigned)n->start_mark.line + 1;
    for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = node_at(c, pr->key), *v = node_at(c, pr->value);
        int rc = 0;

        if (key_is(k, "selector")) {
            free(d->selector);
            d->selector = rel_name(c, v, "dkim.selector");
            if (d->selector == NULL)
                rc = -1;
            else if (strcmp(d->selector, "@") == 0) {
                perr(c, v, "dkim.selector: '@' is not a selector");
                rc = -1;
            }
        } else if (key_is(k, "cname")) {
            free(d->cname);
            d->cname = host_name(c, v, "dkim.cname");
            rc = d->cname == NULL ? -1 : 0;
        } else if (key_is(k, "key")) {
            rc = parse_keyalg(c, v, &d->alg);
            have_key = 1;
        } else if (key_is(k, "at"))
            rc = read_at(c, v, "dkim.at", &d->at);
        else {
            unknown_key(c, k, "dkim[]");
            rc = -1;
        }
        if (rc < 0)
            return -1;
    }
    if (d->selector == NULL) {
        perr(c, n, "dkim[]: 'selector' is required");
        return -1;
    }
    if ((d->cname != NULL) == have_key) {
        perr(c, n, "dkim[]: selector '%s' needs exactly one of 'key' (generated by inkan) "
                   "or 'cname' (hosted by the platform)", d->selector);
        return -1;
    }
    return 0;
}

/* parse_dkim - the "dkim:" list */
static int parse_dkim(struct pctx *c, struct ink_profile *p, yaml_node_t *n)
{
    size_t i, count;
    yaml_node_item_t *items;

    if (n == NULL || n->type != YAML_SEQUENCE_NODE) {
        perr(c, n, "dkim: expected a list of selectors");
        return -1;
    }
    count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (count > INK_PROFILE_LIST_MAX) {
        perr(c, n, "dkim: more than %u selectors", INK_PROFILE_LIST_MAX);
        return -1;
    }
    items = n->data.sequence.items.start;
    p->dkim = calloc(count ? count : 1, sizeof(*p->dkim));
    if (p->dkim == NULL) {
        perr(c, n, "out of memory");
        return -1;
    }
    for (i = 0; i < count; i++) {
        size_t j;
        struct ink_profile_dkim *d = &p->dkim[p->n_dkim++];

        if (parse_dkim_one(c, d, node_at(c, items[i])) < 0)
            return -1;
        for (j = 0; j + 1 < p->n_dkim; j++)
            if (strcmp(p->dkim[j].selector, d->selector) == 0 && p->dkim[j].at == d->at) {
                perr(c, node_at(c, items[i]), "dkim: selector '%s' listed twice", d->selector);
                return -1;
            }
    }
    return 0;
}

/* add_cname - append a CNAME of role read from mapping n */
static int add_cname(struct pctx *c, struct ink_profile *p, yaml_node_t *n, const char *role)
{
    yaml_node_pair_t *pr;
    struct ink_profile_cname *cn;

    if (expect_map(c, n, role) < 0)
        return -1;
    if (p->n_cname >= INK_PROFILE_LIST_MAX) {
        perr(c, n, "%s: more than %u CNAMEs", role, INK_PROFILE_LIST_MAX);
        return -1;
    }
    cn = &p->cname[p->n_cname++];
    cn->line = (unsigned)n->start_mark.line + 1;
    cn->role = ink_memdup_cstr(role, strlen(role));
    if (cn->role == NULL) {
        perr(c, n, "out of memory");
        return -1;
    }
    for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = node_at(c, pr->key), *v = node_at(c, pr->value);
        int rc = 0;

        if (key_is(k, "name")) {
            free(cn->name);
            cn->name = rel_name(c, v, "name");
            rc = cn->name == NULL ? -1 : 0;
        } else if (key_is(k, "cname")) {
            free(cn->target);
            cn->target = host_name(c, v, "cname");
            rc = cn->target == NULL ? -1 : 0;
        } else if (key_is(k, "at"))
            rc = read_at(c, v, "at", &cn->at);
        else if (key_is(k, "role") && strcmp(role, "cnames[]") == 0) {
            free(cn->role);
            cn->role = scalar_text_max(c, v, "role", INK_PROFILE_ROLE_MAX);
            rc = cn->role == NULL ? -1 : 0;
        } else {
            unknown_key(c, k, role);
            rc = -1;
        }
        if (rc < 0)
            return -1;
    }
    if (cn->name == NULL || cn->target == NULL) {
        perr(c, n, "%s: both 'name' and 'cname' are required", role);
        return -1;
    }
    return 0;
}

/* parse_cnames - the generic "cnames:" list (role, name, cname) */
static int parse_cnames(struct pctx *c, struct ink_profile *p, yaml_node_t *n)
{
    yaml_node_item_t *it;

    if (n == NULL || n->type != YAML_SEQUENCE_NODE) {
        perr(c, n, "cnames: expected a list");
        return -1;
    }
    for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
        size_t before = p->n_cname;
        if (add_cname(c, p, node_at(c, *it), "cnames[]") < 0)
            return -1;
        if (strcmp(p->cname[before].role, "cnames[]") == 0) {
            perr(c, node_at(c, *it), "cnames[]: 'role' is required (what the name is for)");
            return -1;
        }
    }
    return 0;
}

/* parse_mx_host - one "{preference, exchange}" item */
static int parse_mx_host(struct pctx *c, struct ink_profile_mx *mx, yaml_node_t *n)
{
    yaml_node_pair_t *pr;
    int have_pref = 0;

    if (expect_map(c, n, "mx.hosts[]") < 0)
        return -1;
    for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = node_at(c, pr->key), *v = node_at(c, pr->value);

        if (key_is(k, "preference")) {
            char *s = scalar_text(c, v, "mx.preference"), *end;
            unsigned long pref;
            if (s == NULL)
                return -1;
            pref = strtoul(s, &end, 10);
            if (s[0] < '0' || s[0] > '9' || *end != '\0' || pref > 65535) {
                perr_value(c, v, "mx.preference", s, "is not a number from 0 to 65535");
                free(s);
                return -1;
            }
            free(s);
            mx->preference = (uint16_t)pref;
            have_pref = 1;
        } else if (key_is(k, "exchange")) {
            free(mx->exchange);
            mx->exchange = host_name(c, v, "mx.exchange");
            if (mx->exchange == NULL)
                return -1;
        } else {
            unknown_key(c, k, "mx.hosts[]");
            return -1;
        }
    }
    if (mx->exchange == NULL || !have_pref) {
        perr(c, n, "mx.hosts[]: both 'preference' and 'exchange' are required");
        return -1;
    }
    return 0;
}

/* parse_mx - the "mx:" section: {name, at, hosts: [...]} */
static int parse_mx(struct pctx *c, struct ink_profile *p, yaml_node_t *n)
{
    yaml_node_pair_t *pr;

    if (expect_map(c, n, "mx") < 0)
        return -1;
    for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = node_at(c, pr->key), *v = node_at(c, pr->value);

        if (key_is(k, "name")) {
            free(p->mx_name);
            p->mx_name = rel_name(c, v, "mx.name");
            if (p->mx_name == NULL)
                return -1;
        } else if (key_is(k, "at")) {
            if (read_at(c, v, "mx.at", &p->mx_at) < 0)
                return -1;
        } else if (key_is(k, "hosts")) {
            yaml_node_item_t *it;
            size_t count;
            if (v == NULL || v->type != YAML_SEQUENCE_NODE) {
                perr(c, v, "mx.hosts: expected a list");
                return -1;
            }
            if (p->mx != NULL) {
                perr(c, v, "mx.hosts: given twice");
                return -1;
            }
            count = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
            if (count == 0 || count > INK_PROFILE_LIST_MAX) {
                perr(c, v, "mx.hosts: give 1 to %u hosts", INK_PROFILE_LIST_MAX);
                return -1;
            }
            p->mx = calloc(count, sizeof(*p->mx));
            if (p->mx == NULL) {
                perr(c, v, "out of memory");
                return -1;
            }
            for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++)
                if (parse_mx_host(c, &p->mx[p->n_mx++], node_at(c, *it)) < 0)
                    return -1;
        } else {
            unknown_key(c, k, "mx");
            return -1;
        }
    }
    if (p->n_mx == 0) {
        perr(c, n, "mx: 'hosts' is required");
        return -1;
    }
    return 0;
}

/* parse_dmarc - the "dmarc:" section: policy, rua, ruf */
static int parse_dmarc(struct pctx *c, struct ink_profile *p, yaml_node_t *n)
{
    yaml_node_pair_t *pr;

    if (expect_map(c, n, "dmarc") < 0)
        return -1;
    p->has_dmarc = 1;
    for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = node_at(c, pr->key), *v = node_at(c, pr->value);
        int rc;

        if (key_is(k, "policy")) {
            free(p->dmarc_policy);
            p->dmarc_policy = scalar_text(c, v, "dmarc.policy");
            rc = p->dmarc_policy == NULL ? -1 : 0;
            if (rc == 0 && strcmp(p->dmarc_policy, "none") != 0 &&
                strcmp(p->dmarc_policy, "quarantine") != 0 &&
                strcmp(p->dmarc_policy, "reject") != 0) {
                perr_value(c, v, "dmarc.policy", p->dmarc_policy,
                           "must be none, quarantine or reject");
                rc = -1;
            }
        } else if (key_is(k, "rua"))
            rc = read_list(c, v, pr->value, "dmarc.rua", mailto_uri, &p->rua, &p->n_rua);
        else if (key_is(k, "ruf"))
            rc = read_list(c, v, pr->value, "dmarc.ruf", mailto_uri, &p->ruf, &p->n_ruf);
        else {
            unknown_key(c, k, "dmarc");
            rc = -1;
        }
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* parse_top - the document's top-level mapping */
static int parse_top(struct pctx *c, struct ink_profile *p, yaml_node_t *root)
{
    yaml_node_pair_t *pr;
    int have_version = 0;

    if (expect_map(c, root, "profile") < 0)
        return -1;
    for (pr = root->data.mapping.pairs.start; pr < root->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = node_at(c, pr->key), *v = node_at(c, pr->value);
        int rc = 0;

        if (key_is(k, "profile")) {
            char *s = scalar_text(c, v, "profile");
            if (s == NULL)
                return -1;
            if (strcmp(s, "1") != 0) {
                perr_value(c, v, "profile", s, "is not a schema version this inkan reads (1)");
                free(s);
                return -1;
            }
            free(s);
            have_version = 1;
        } else if (key_is(k, "name")) {
            free(p->name);
            p->name = scalar_text_max(c, v, "name", INK_PROFILE_NAME_MAX);
            rc = p->name == NULL ? -1 : 0;
        } else if (key_is(k, "description")) {
            free(p->description);
            p->description = scalar_text(c, v, "description");
            rc = p->description == NULL ? -1 : 0;
        } else if (key_is(k, "subdomain")) {
            free(p->subdomain);
            p->subdomain = rel_name(c, v, "subdomain");
            rc = p->subdomain == NULL ? -1 : 0;
            if (rc == 0 && strcmp(p->subdomain, "@") == 0) {
                free(p->subdomain);
                p->subdomain = NULL;
            }
        } else if (key_is(k, "spf"))
            rc = parse_spf(c, p, v);
        else if (key_is(k, "dkim"))
            rc = parse_dkim(c, p, v);
        else if (key_is(k, "return-path"))
            rc = add_cname(c, p, v, "return-path");
        else if (key_is(k, "tracking"))
            rc = add_cname(c, p, v, "tracking");
        else if (key_is(k, "landing"))
            rc = add_cname(c, p, v, "landing");
        else if (key_is(k, "images"))
            rc = add_cname(c, p, v, "images");
        else if (key_is(k, "cnames"))
            rc = parse_cnames(c, p, v);
        else if (key_is(k, "mx"))
            rc = parse_mx(c, p, v);
        else if (key_is(k, "dmarc"))
            rc = parse_dmarc(c, p, v);
        else {
            unknown_key(c, k, "profile");
            rc = -1;
        }
        if (rc < 0)
            return -1;
    }
    if (!have_version) {
        perr(c, root, "profile: 'profile: 1' (the schema version) is required");
        return -1;
    }
    if (p->name == NULL) {
        perr(c, root, "profile: 'name' is required");
        return -1;
    }
    return 0;
}

/* ink_profile_parse - YAML bytes to a profile; caller frees */
struct ink_profile *ink_profile_parse(const uint8_t *buf, size_t len, struct ink_str *err)
{
    /* one more document after the first is a mistake, not ignored */
    static const struct ink_yaml_limits lim = {"profile", INK_PROFILE_SIZE_MAX, INK_PROFILE_DEPTH_MAX,
                                               INK_YAML_ONE_DOCUMENT};
    yaml_document_t doc;
    struct ink_profile *p;
    struct pctx c = {&doc, err, 0};
    yaml_node_t *root;
    size_t i;

    if (ink_yaml_load(buf, len, &lim, &doc, err) < 0)
        return NULL;
    p = calloc(1, sizeof(*p));
    if (p != NULL)
        p->cname = calloc(INK_PROFILE_LIST_MAX, sizeof(*p->cname));
    if (p == NULL || p->cname == NULL) {
        ink_profile_free(p);
        yaml_document_delete(&doc);
        ink_str_puts(err, "out of memory");
        return NULL;
    }
    root = yaml_document_get_root_node(&doc);
    if (root == NULL) {
        ink_str_puts(err, "1:1: empty profile");
        c.failed = 1;
    } else {
        p->version = INK_PROFILE_VERSION;
        if (parse_top(&c, p, root) == 0 && p->spf_all == NULL) {
            p->spf_all = ink_memdup_cstr("~all", 4);
            if (p->spf_all == NULL)
                perr(&c, NULL, "out of memory");
        }
        if (!c.failed && p->has_dmarc && p->dmarc_policy == NULL) {
            p->dmarc_policy = ink_memdup_cstr("none", 4);
            if (p->dmarc_policy == NULL)
                perr(&c, NULL, "out of memory");
        }
    }
    yaml_document_delete(&doc);
    if (!c.failed && p->n_include + p->n_ip4 + p->n_ip6 + p->n_dkim + p->n_cname + p->n_mx == 0 &&
        !p->has_dmarc) {
        ink_str_puts(err, "1:1: profile asks for no record (give spf, dkim, CNAMEs, mx or dmarc)");
        c.failed = 1;
    }
    for (i = 0; !c.failed && i < p->n_cname; i++) {
        size_t j;
        for (j = 0; j < i; j++)
            if (strcmp(p->cname[i].name, p->cname[j].name) == 0 && p->cname[i].at == p->cname[j].at) {
                ink_str_printf(err, "%u:1: %s: name '%s' is already the %s CNAME (line %u)",
                               p->cname[i].line, p->cname[i].role, p->cname[i].name,
                               p->cname[j].role, p->cname[j].line);
                c.failed = 1;
                break;
            }
    }
    if (c.failed) {
        ink_profile_free(p);
        return NULL;
    }
    return p;
}

/* ink_profile_free - release everything the profile owns */
void ink_profile_free(struct ink_profile *p)
{
    size_t i;

    if (p == NULL)
        return;
    free(p->name);
    free(p->description);
    free(p->subdomain);
    ink_strv_free(p->include, p->n_include);
    ink_strv_free(p->ip4, p->n_ip4);
    ink_strv_free(p->ip6, p->n_ip6);
    free(p->spf_all);
    for (i = 0; p->dkim != NULL && i < p->n_dkim; i++) {
        free(p->dkim[i].selector);
        free(p->dkim[i].cname);
    }
    free(p->dkim);
    for (i = 0; p->cname != NULL && i < INK_PROFILE_LIST_MAX; i++) {
        free(p->cname[i].role);
        free(p->cname[i].name);
        free(p->cname[i].target);
    }
    free(p->cname);
    free(p->mx_name);
    for (i = 0; p->mx != NULL && i < p->n_mx; i++)
        free(p->mx[i].exchange);
    free(p->mx);
    free(p->dmarc_policy);
    ink_strv_free(p->rua, p->n_rua);
    ink_strv_free(p->ruf, p->n_ruf);
    free(p);
}

static const char *const keyalg_names[] = {"generate", "rsa1024", "rsa2048",
                                           "rsa3072",  "rsa4096", "ed25519"};

/* ink_profile_keyalg_name - the algorithm's profile name (static) */
const char *ink_profile_keyalg_name(enum ink_profile_keyalg a)
{
    if ((size_t)a >= sizeof(keyalg_names) / sizeof(keyalg_names[0]))
        return "generate";
    return keyalg_names[a];
}

/* ink_profile_keyalg_from_name - index of the name, or -1 */
int ink_profile_keyalg_from_name(const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < sizeof(keyalg_names) / sizeof(keyalg_names[0]); i++)
        if (strlen(keyalg_names[i]) == len && strncasecmp(keyalg_names[i], s, len) == 0)
            return (int)i;
    return -1;
}
