/*
 * spf_suite.h - shared by the SPF tests: load the openspf.org / pyspf YAML
 * conformance suites (see ../shared/testsuites/spf/README.md) into
 * in-memory zones, and drive an SPF evaluation against a memzone.
 *
 * Header-only on purpose: each test executable includes it once.
 */
#ifndef INKAN_TEST_SPF_SUITE_H
#define INKAN_TEST_SPF_SUITE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "inkan/driver.h"
#include "inkan/memzone.h"
#include "inkan/resolver.h"
#include "inkan/spf.h"

/* Every helper is static; a test that uses only some of them must not warn. */
#define SUITE_FN static __attribute__((unused))

/* Queries one evaluation may make before the test calls it a hang. */
#define SUITE_QUERY_MAX 1000
/* The fixed clock given to evaluations (%{t}). */
#define SUITE_NOW 1700000000

/* One test of a scenario. */
struct suite_test {
    const char *id;
    const char *helo, *host, *mailfrom;
    const char *results[8]; /* expected results: any one is acceptable */
    size_t nresults;
    const char *explanation; /* or NULL */
};

/* One scenario: its tests and its zone. */
struct suite_scenario {
    const char *description;
    struct suite_test *tests;
    size_t ntests;
    struct ink_memzone *zone;
};

struct suite {
    yaml_document_t *docs;
    size_t ndocs;
    struct suite_scenario *sc;
    size_t nsc;
};

/* ynode - node by index */
SUITE_FN yaml_node_t *ynode(yaml_document_t *d, int i)
{
    return yaml_document_get_node(d, i);
}

/* yscalar - the text of a scalar node, or NULL */
SUITE_FN const char *yscalar(yaml_node_t *n)
{
    return n != NULL && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* ymap_get - value node of key in a mapping, or NULL */
SUITE_FN yaml_node_t *ymap_get(yaml_document_t *d, yaml_node_t *map, const char *key)
{
    yaml_node_pair_t *p;

    if (map == NULL || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        const char *k = yscalar(ynode(d, p->key));
        if (k != NULL && strcmp(k, key) == 0)
            return ynode(d, p->value);
    }
    return NULL;
}

/* Record types a TIMEOUT entry can leave answering (those listed before it). */
static const uint16_t suite_types[] = {INK_DNS_A,   INK_DNS_AAAA, INK_DNS_MX, INK_DNS_TXT,
                                       INK_DNS_SPF, INK_DNS_PTR,  INK_DNS_CNAME};

/* add_txt - one TXT/SPF RR from a scalar (one string) or a list of strings */
SUITE_FN int add_txt(struct ink_memzone *z, const char *owner, uint16_t type, yaml_document_t *d,
                   yaml_node_t *v)
{
    const uint8_t *strs[64];
    size_t lens[64], n = 0;
    yaml_node_item_t *it;

    if (v->type == YAML_SCALAR_NODE) {
        return ink_memzone_add_txt1(z, owner, type, 300, v->data.scalar.value,
                                    v->data.scalar.length);
    }
    if (v->type != YAML_SEQUENCE_NODE)
        return -1;
    for (it = v->data.sequence.items.start; it < v->data.sequence.items.top && n < 64; it++) {
        yaml_node_t *s = ynode(d, *it);
        if (s->type != YAML_SCALAR_NODE)
            return -1;
        strs[n] = s->data.scalar.value;
        lens[n++] = s->data.scalar.length;
    }
    return ink_memzone_add_txt(z, owner, type, 300, n, strs, lens);
}

/* load_name - the records of one zonedata name; returns 0 or -1 */
SUITE_FN int load_name(struct ink_memzone *z, yaml_document_t *d, const char *owner,
                     yaml_node_t *list)
{
    yaml_node_item_t *it;
    int has_txt = 0, before[8] = {0}, pass;
    size_t i;

    if (list->type != YAML_SEQUENCE_NODE)
        return -1;
    /* pass 0: is there any TXT entry (then SPF entries are not copied to TXT) */
    for (pass = 0; pass < 2; pass++) {
        for (it = list->data.sequence.items.start; it < list->data.sequence.items.top; it++) {
            yaml_node_t *e = ynode(d, *it);
            const char *tname;
            yaml_node_t *v;
            uint16_t type;

            if (e->type == YAML_SCALAR_NODE) {
                if (strcmp(yscalar(e), "TIMEOUT") != 0)
                    return -1;
                if (pass == 0)
                    continue;
                /* a query times out unless its type was listed before */
                for (i = 0; i < sizeof(suite_types) / sizeof(suite_types[0]); i++) {
                    int any = 0;
                    size_t j;
                    for (j = 0; j < 8; j++)
                        any |= before[j];
                    if (!any) {
                        if (ink_memzone_set_fault(z, owner, 0, INK_DNS_TIMEOUT) < 0)
                            return -1;
                        break;
                    }
                    if (!before[i] &&
                        ink_memzone_set_fault(z, owner, suite_types[i], INK_DNS_TIMEOUT) < 0)
                        return -1;
                }
                continue;
            }
            if (e->type != YAML_MAPPING_NODE || e->data.mapping.pairs.top - e->data.mapping.pairs.start != 1)
                return -1;
            tname = yscalar(ynode(d, e->data.mapping.pairs.start->key));
            v = ynode(d, e->data.mapping.pairs.start->value);
            type = ink_dns_type_from_name(tname, strlen(tname));
            if (type == 0)
                return -1;
            for (i = 0; i < sizeof(suite_types) / sizeof(suite_types[0]); i++)
                if (suite_types[i] == type && pass == 1 &&
                    !(yscalar(v) != NULL && strcmp(yscalar(v), "NONE") == 0))
                    before[i] = 1; /* "TXT: NONE" answers nothing, so it times out */
                else if (suite_types[i] == INK_DNS_TXT && type == INK_DNS_SPF && !has_txt &&
                         pass == 1)
                    before[i] = 1;
            if (pass == 0) {
                if (type == INK_DNS_TXT)
                    has_txt = 1;
                continue;
            }
            switch (type) {
            case INK_DNS_A:
            case INK_DNS_AAAA:
                if (ink_memzone_add_addr_text(z, owner, 300, yscalar(v)) < 0)
                    return -1;
                break;
            case INK_DNS_PTR:
            case INK_DNS_CNAME:
                if (ink_memzone_add_name(z, owner, type, 300, yscalar(v)) < 0)
                    return -1;
                break;
            case INK_DNS_MX:
                if (v->type != YAML_SEQUENCE_NODE ||
                    v->data.sequence.items.top - v->data.sequence.items.start != 2)
                    return -1;
                if (ink_memzone_add_mx(z, owner, 300,
                                       (uint16_t)atoi(yscalar(ynode(d, v->data.sequence.items.start[0]))),
                                       yscalar(ynode(d, v->data.sequence.items.start[1]))) < 0)
                    return -1;
                break;
            case INK_DNS_TXT:
                if (yscalar(v) != NULL && strcmp(yscalar(v), "NONE") == 0)
                    break; /* "TXT: NONE": no record, but no SPF copy either */
                if (add_txt(z, owner, INK_DNS_TXT, d, v) < 0)
                    return -1;
                break;
            case INK_DNS_SPF:
                if (add_txt(z, owner, INK_DNS_SPF, d, v) < 0)
                    return -1;
                if (!has_txt && add_txt(z, owner, INK_DNS_TXT, d, v) < 0)
                    return -1;
                break;
            default:
                return -1;
            }
        }
    }
    return 0;
}

/* load_scenario - tests and zone of one YAML document */
SUITE_FN int load_scenario(yaml_document_t *d, struct suite_scenario *sc)
{
    yaml_node_t *root = yaml_document_get_root_node(d), *tests, *zd;
    yaml_node_pair_t *p;

    memset(sc, 0, sizeof(*sc));
    sc->description = yscalar(ymap_get(d, root, "description"));
    tests = ymap_get(d, root, "tests");
    zd = ymap_get(d, root, "zonedata");
    if (tests == NULL || tests->type != YAML_MAPPING_NODE)
        return -1;
    sc->zone = ink_memzone_new();
    if (sc->zone == NULL)
        return -1;
    if (zd != NULL && zd->type == YAML_MAPPING_NODE) {
        for (p = zd->data.mapping.pairs.start; p < zd->data.mapping.pairs.top; p++) {
            const char *name = yscalar(ynode(d, p->key));
            if (name == NULL || load_name(sc->zone, d, name, ynode(d, p->value)) < 0) {
                fprintf(stderr, "suite: cannot load zonedata for '%s'\n", name ? name : "?");
                return -1;
            }
        }
    }
    sc->ntests = (size_t)(tests->data.mapping.pairs.top - tests->data.mapping.pairs.start);
    sc->tests = calloc(sc->ntests, sizeof(*sc->tests));
    if (sc->tests == NULL)
        return -1;
    for (p = tests->data.mapping.pairs.start; p < tests->data.mapping.pairs.top; p++) {
        struct suite_test *t = &sc->tests[p - tests->data.mapping.pairs.start];
        yaml_node_t *tn = ynode(d, p->value), *res;
        t->id = yscalar(ynode(d, p->key));
        t->helo = yscalar(ymap_get(d, tn, "helo"));
        t->host = yscalar(ymap_get(d, tn, "host"));
        t->mailfrom = yscalar(ymap_get(d, tn, "mailfrom"));
        t->explanation = yscalar(ymap_get(d, tn, "explanation"));
        res = ymap_get(d, tn, "result");
        if (res == NULL || t->id == NULL || t->host == NULL)
            return -1;
        if (res->type == YAML_SCALAR_NODE) {
            t->results[t->nresults++] = yscalar(res);
        } else if (res->type == YAML_SEQUENCE_NODE) {
            yaml_node_item_t *it;
            for (it = res->data.sequence.items.start; it < res->data.sequence.items.top && t->nresults < 8; it++)
                t->results[t->nresults++] = yscalar(ynode(d, *it));
        }
        if (t->nresults == 0)
            return -1;
    }
    return 0;
}

/* suite_load - read a suite file; NULL (with a message) when it cannot */
SUITE_FN struct suite *suite_load(const char *path)
{
    FILE *f = fopen(path, "rb");
    yaml_parser_t parser;
    struct suite *s;

    if (f == NULL) {
        fprintf(stderr, "suite: cannot open %s\n", path);
        return NULL;
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL || !yaml_parser_initialize(&parser)) {
        fclose(f);
        free(s);
        return NULL;
    }
    yaml_parser_set_input_file(&parser, f);
    for (;;) {
        yaml_document_t doc;
        yaml_document_t *nd;
        if (!yaml_parser_load(&parser, &doc)) {
            fprintf(stderr, "suite: %s: YAML error: %s at line %zu\n", path,
                    parser.problem ? parser.problem : "?", parser.problem_mark.line + 1);
            yaml_parser_delete(&parser);
            fclose(f);
            return NULL;
        }
        if (yaml_document_get_root_node(&doc) == NULL) {
            yaml_document_delete(&doc);
            break;
        }
        nd = realloc(s->docs, (s->ndocs + 1) * sizeof(*nd));
        if (nd == NULL)
            abort();
        s->docs = nd;
        s->docs[s->ndocs++] = doc;
    }
    yaml_parser_delete(&parser);
    fclose(f);
    s->sc = calloc(s->ndocs, sizeof(*s->sc));
    if (s->sc == NULL)
        abort();
    for (s->nsc = 0; s->nsc < s->ndocs; s->nsc++)
        if (load_scenario(&s->docs[s->nsc], &s->sc[s->nsc]) < 0) {
            fprintf(stderr, "suite: %s: scenario %zu does not load\n", path, s->nsc + 1);
            return NULL;
        }
    return s;
}

/* suite_free - release a loaded suite */
SUITE_FN void suite_free(struct suite *s)
{
    size_t i;

    if (s == NULL)
        return;
    for (i = 0; i < s->nsc; i++) {
        free(s->sc[i].tests);
        ink_memzone_free(s->sc[i].zone);
    }
    for (i = 0; i < s->ndocs; i++)
        yaml_document_delete(&s->docs[i]);
    free(s->sc);
    free(s->docs);
    free(s);
}

/* suite_path - $INKAN_SHARED/testsuites/spf/NAME into buf */
SUITE_FN const char *suite_path(char *buf, size_t size, const char *name)
{
    const char *shared = getenv("INKAN_SHARED");

    snprintf(buf, size, "%s/testsuites/spf/%s", shared != NULL ? shared : "../shared", name);
    return buf;
}

/*
 * spf_drive_zone - run ev to its end with the driver over the in-memory
 * resolver of z; 0, or -1 when it did not end or asked more than max
 * queries (a runaway).
 */
SUITE_FN int spf_drive_zone(const struct ink_memzone *z, struct ink_spf *ev, int max)
{
    /* the memzone resolver only reads the zone */
    struct ink_resolver *r = ink_resolver_memzone_new((struct ink_memzone *)z, 0);
    enum ink_next how;

    if (r == NULL)
        return -1;
    how = ink_drive_sync(r, ink_spf_machine(ev), NULL);
    ink_resolver_free(r);
    if (how != INK_NEXT_DONE || ink_spf_queries(ev) > (unsigned)max)
        return -1;
    return 0;
}

/*
 * spf_run_zone - evaluate against zone until done; returns the evaluation
 * (caller frees) or NULL when it asked more than SUITE_QUERY_MAX queries
 * (a hang) or the parameters are unusable.
 */
SUITE_FN struct ink_spf *spf_run_zone_limits(const struct ink_memzone *z, const char *host,
                                           const char *mailfrom, const char *helo,
                                           unsigned flags, const struct ink_spf_limits *lim)
{
    struct ink_spf_params p;
    struct ink_spf *ev;

    memset(&p, 0, sizeof(p));
    if (lim != NULL)
        p.limits = *lim;
    if (ink_ip_parse(host, strlen(host), &p.family, p.ip) < 0)
        return NULL;
    p.mail_from = mailfrom;
    p.helo = helo;
    p.now = SUITE_NOW;
    p.default_explanation = "DEFAULT";
    p.flags = flags;
    ev = ink_spf_new(&p);
    if (ev == NULL)
        return NULL;
    /* a raised lookup limit allows more queries: 12 per lookup term
     * (the term, 10 names, a %{p}) is the most a term can ask */
    if (spf_drive_zone(z, ev, SUITE_QUERY_MAX + 12 * (int)p.limits.dns_lookups) < 0) {
        ink_spf_free(ev);
        return NULL;
    }
    return ev;
}

/* spf_run_zone - spf_run_zone_limits with the RFC limits */
SUITE_FN struct ink_spf *spf_run_zone(const struct ink_memzone *z, const char *host,
                                    const char *mailfrom, const char *helo, unsigned flags)
{
    return spf_run_zone_limits(z, host, mailfrom, helo, flags, NULL);
}

#endif
