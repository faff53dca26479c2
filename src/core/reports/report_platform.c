/*
 * report_platform.c - the sending-platform map (data/platforms.yaml): a
 * list of platforms, each a name and the reverse-name suffixes, SPF
 * domain suffixes and DKIM d= suffixes that identify it.  Parsed with
 * libyaml under named limits (size, nesting, counts); matched against a
 * report source's PTR name, then the DKIM and SPF domains it passed for.
 */
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "inkan/yamlcheck.h"

#include "inkan/report.h"
#include "inkan/str.h"

enum { PF_PTR = 0, PF_SPF, PF_DKIM, PF_KINDS };

struct platform {
    char *name;
    char **suffix[PF_KINDS];
    size_t nsuffix[PF_KINDS];
};

struct ink_platforms {
    struct platform *p;
    size_t n;
};

/* ink_platforms_free - free the map; NULL is a no-op */
void ink_platforms_free(struct ink_platforms *m)
{
    size_t i, j;
    int k;

    if (m == NULL)
        return;
    for (i = 0; i < m->n; i++) {
        free(m->p[i].name);
        for (k = 0; k < PF_KINDS; k++) {
            for (j = 0; j < m->p[i].nsuffix[k]; j++)
                free(m->p[i].suffix[k][j]);
            free(m->p[i].suffix[k]);
        }
    }
    free(m->p);
    free(m);
}

/* at - "line:column" of n into err's start */
static void at(struct ink_str *err, const yaml_node_t *n)
{
    ink_str_printf(err, "%zu:%zu: ", n->start_mark.line + 1, n->start_mark.column + 1);
}

/* scalar - n's text as a fresh lower-case string (caller frees); NULL
 * with err set when n is no scalar, empty or too long */
static char *scalar(const yaml_node_t *n, const char *what, struct ink_str *err)
{
    char *s;
    size_t i;

    if (n == NULL || n->type != YAML_SCALAR_NODE || n->data.scalar.length == 0) {
        if (n != NULL)
            at(err, n);
        ink_str_printf(err, "%s: give a non-empty text value", what);
        return NULL;
    }
    if (n->data.scalar.length > INK_PLATFORMS_SCALAR_MAX) {
        at(err, n);
        ink_str_printf(err, "%s: value longer than %d bytes", what, INK_PLATFORMS_SCALAR_MAX);
        return NULL;
    }
    s = ink_memdup_cstr(n->data.scalar.value, n->data.scalar.length);
    if (s == NULL) {
        ink_str_puts(err, "out of memory");
        return NULL;
    }
    for (i = 0; s[i]; i++)
        if (s[i] >= 'A' && s[i] <= 'Z')
            s[i] = (char)(s[i] - 'A' + 'a');
    while (i > 0 && s[i - 1] == '.') /* a trailing dot is the same name */
        s[--i] = '\0';
    if (i == 0) {
        free(s);
        at(err, n);
        ink_str_printf(err, "%s: empty name", what);
        return NULL;
    }
    return s;
}

/* suffixes - a list of names (or one) into p's kind; 0 or -1 */
static int suffixes(yaml_document_t *doc, yaml_node_t *v, struct platform *p, int kind,
                    const char *what, struct ink_str *err)
{
    yaml_node_item_t *it;
    size_t n, i;

    if (v->type == YAML_SCALAR_NODE) {
        n = 1;
        it = NULL;
    } else if (v->type == YAML_SEQUENCE_NODE) {
        it = v->data.sequence.items.start;
        n = (size_t)(v->data.sequence.items.top - it);
    } else {
        at(err, v);
        ink_str_printf(err, "%s: give a list of domain names", what);
        return -1;
    }
    if (n > INK_PLATFORM_SUFFIXES_MAX) {
        at(err, v);
        ink_str_printf(err, "%s: more than %d names", what, INK_PLATFORM_SUFFIXES_MAX);
        return -1;
    }
    p->suffix[kind] = calloc(n ? n : 1, sizeof(char *));
    if (p->suffix[kind] == NULL) {
        ink_str_puts(err, "out of memory");
        return -1;
    }
    for (i = 0; i < n; i++) {
        yaml_node_t *e = it ? yaml_document_get_node(doc, it[i]) : v;
        char *s = scalar(e, what, err);
        if (s == NULL)
            return -1;
        p->suffix[kind][p->nsuffix[kind]++] = s;
    }
    return 0;
}

/* key_is - the scalar key k is name */
static int key_is(const yaml_node_t *k, const char *name)
{
    return k->type == YAML_SCALAR_NODE && k->data.scalar.length == strlen(name) &&
           memcmp(k->data.scalar.value, name, strlen(name)) == 0;
}

/* one_platform - a mapping {name, ptr, spf, dkim} into p; 0 or -1 */
static int one_platform(yaml_document_t *doc, yaml_node_t *n, struct platform *p,
                        struct ink_str *err)
{
    yaml_node_pair_t *pr;

    if (n == NULL || n->type != YAML_MAPPING_NODE) {
        if (n != NULL)
            at(err, n);
        ink_str_puts(err, "platforms: each entry is a mapping (name, ptr, spf, dkim)");
        return -1;
    }
    for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = yaml_document_get_node(doc, pr->key);
        yaml_node_t *v = yaml_document_get_node(doc, pr->value);
        int rc;
        if (key_is(k, "name")) {
            free(p->name);
            if ((p->name = scalar(v, "name", err)) == NULL)
                return -1;
            continue;
        }
        if (key_is(k, "ptr") && p->suffix[PF_PTR] == NULL)
            rc = suffixes(doc, v, p, PF_PTR, "ptr", err);
        else if (key_is(k, "spf") && p->suffix[PF_SPF] == NULL)
            rc = suffixes(doc, v, p, PF_SPF, "spf", err);
        else if (key_is(k, "dkim") && p->suffix[PF_DKIM] == NULL)
            rc = suffixes(doc, v, p, PF_DKIM, "dkim", err);
        else {
            at(err, k);
            ink_str_printf(err, "platform: unknown or repeated key '%.*s' (name, ptr, spf, dkim)",
                           k->type == YAML_SCALAR_NODE ? (int)k->data.scalar.length : 1,
                           k->type == YAML_SCALAR_NODE ? (const char *)k->data.scalar.value
                                                       : "?");
            return -1;
        }
        if (rc < 0)
            return -1;
    }
    if (p->name == NULL) {
        at(err, n);
        ink_str_puts(err, "platform: 'name' is required");
        return -1;
    }
    return 0;
}

/* ink_platforms_parse - YAML bytes {platforms: [...]} to a map; NULL with
 * "line:column: why" in err.  Caller frees with ink_platforms_free. */
struct ink_platforms *ink_platforms_parse(const uint8_t *buf, size_t len, struct ink_str *err)
{
    static const struct ink_yaml_limits lim = {"platform map", INK_PLATFORMS_SIZE_MAX,
                                               INK_PLATFORMS_DEPTH_MAX, 0};
    yaml_document_t doc;
    yaml_node_t *root, *list = NULL;
    yaml_node_pair_t *pr;
    yaml_node_item_t *it;
    struct ink_platforms *m;
    size_t n, i;
    int failed = 0;

    if (ink_yaml_load(buf, len, &lim, &doc, err) < 0)
        return NULL;
    m = calloc(1, sizeof(*m));
    if (m == NULL) {
        yaml_document_delete(&doc);
        ink_str_puts(err, "out of memory");
        return NULL;
    }
    root = yaml_document_get_root_node(&doc);
    if (root == NULL || root->type != YAML_MAPPING_NODE) {
        ink_str_puts(err, "1:1: a platform map is a mapping with a 'platforms' list");
        failed = 1;
    } else {
        for (pr = root->data.mapping.pairs.start; pr < root->data.mapping.pairs.top; pr++) {
            yaml_node_t *k = yaml_document_get_node(&doc, pr->key);
            if (key_is(k, "platforms"))
                list = yaml_document_get_node(&doc, pr->value);
            else if (!key_is(k, "version")) {
                at(err, k);
                ink_str_puts(err, "unknown key (version, platforms)");
                failed = 1;
                break;
            }
        }
        if (!failed && (list == NULL || list->type != YAML_SEQUENCE_NODE)) {
            at(err, list ? list : root);
            ink_str_puts(err, "'platforms' must be a list");
            failed = 1;
        }
    }
    if (!failed) {
        it = list->data.sequence.items.start;
        n = (size_t)(list->data.sequence.items.top - it);
        if (n > INK_PLATFORMS_MAX) {
            at(err, list);
            ink_str_printf(err, "platforms: more than %d entries", INK_PLATFORMS_MAX);
            failed = 1;
        } else if ((m->p = calloc(n ? n : 1, sizeof(*m->p))) == NULL) {
            ink_str_puts(err, "out of memory");
            failed = 1;
        }
        for (i = 0; !failed && i < n; i++) {
            m->n++;
            if (one_platform(&doc, yaml_document_get_node(&doc, it[i]), &m->p[i], err) < 0)
                failed = 1;
        }
    }
    yaml_document_delete(&doc);
    if (failed) {
        ink_platforms_free(m);
        return NULL;
    }
    return m;
}

/* suffix_match - name equals suffix or ends in "." suffix (case-insensitive) */
static int suffix_match(const char *name, size_t len, const char *suffix)
{
    size_t sl = strlen(suffix);

    if (len < sl || strncasecmp(name + len - sl, suffix, sl) != 0)
        return 0;
    return len == sl || name[len - sl - 1] == '.';
}

/* match_words - the platform whose kind suffixes match one of the
 * space-separated words of list (each cut at '/', "d/s"), or NULL */
static const char *match_words(const struct ink_platforms *m, int kind, const char *list)
{
    const char *w = list, *e;
    size_t i, j, len;

    while (w != NULL && *w) {
        while (*w == ' ')
            w++;
        e = w;
        while (*e && *e != ' ')
            e++;
        len = (size_t)(e - w);
        {
            const char *slash = memchr(w, '/', len);
            if (slash != NULL)
                len = (size_t)(slash - w);
        }
        while (len > 0 && w[len - 1] == '.')
            len--;
        for (i = 0; len > 0 && i < m->n; i++)
            for (j = 0; j < m->p[i].nsuffix[kind]; j++)
                if (suffix_match(w, len, m->p[i].suffix[kind][j]))
                    return m->p[i].name;
        w = e;
    }
    return NULL;
}

/* ink_platforms_match - the platform of a source (static to m): by its
 * PTR name first, then the DKIM d= domains, then the SPF domains it
 * passed for (space-separated lists, "d/s" allowed); NULL when none */
const char *ink_platforms_match(const struct ink_platforms *m, const char *ptr,
                                const char *dkim_domains, const char *spf_domains)
{
    const char *r;

    if (m == NULL)
        return NULL;
    if ((r = match_words(m, PF_PTR, ptr)) != NULL)
        return r;
    if ((r = match_words(m, PF_DKIM, dkim_domains)) != NULL)
        return r;
    return match_words(m, PF_SPF, spf_domains);
}

/* ink_platforms_count - platforms in the map */
size_t ink_platforms_count(const struct ink_platforms *m)
{
    return m ? m->n : 0;
}
