/*
 * memzone.c - in-memory zone answering like an authoritative server
 * (see include/inkan/memzone.h).
 *
 * Names live in an open hash table keyed by their normalised form.  Every
 * ancestor of an owner is entered too (with no records) so that empty
 * non-terminals answer NODATA rather than NXDOMAIN, and so that the closest
 * encloser for wildcard matching is one table probe per label.
 */
#include "inkan/memzone.h"
#include "dns_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MZ_INITIAL_BUCKETS 64
/* Records room is made for at a name at first (then doubled). */
#define MZ_NODE_RR_INITIAL 4

struct mz_fault {
    uint16_t type; /* 0 = every type */
    enum ink_dns_status status;
};

/* Records of one type at a node (types at one name are few). */
struct mz_tcount {
    uint16_t type;
    size_t n;
};

struct mz_node {
    char *name;
    size_t nrr, rrcap;           /* rr grows geometrically: many records at
                                  * one owner load in linear time */
    struct ink_dns_rr *rr;
    size_t ntc;
    struct mz_tcount *tc;
    size_t nfault;
    struct mz_fault *fault;
    struct mz_node *next; /* hash chain */
};

struct ink_memzone {
    struct mz_node **bucket;
    size_t nbucket;
    size_t nnode;
    size_t nrr;
};

/* name_hash - FNV-1a over the normalised name */
static size_t name_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;

    while (*s != '\0') {
        h ^= (unsigned char)*s++;
        h *= 1099511628211ULL;
    }
    return (size_t)h;
}

/* ink_memzone_new - empty zone */
struct ink_memzone *ink_memzone_new(void)
{
    struct ink_memzone *z = calloc(1, sizeof(*z));

    if (z == NULL)
        return NULL;
    z->bucket = calloc(MZ_INITIAL_BUCKETS, sizeof(*z->bucket));
    if (z->bucket == NULL) {
        free(z);
        return NULL;
    }
    z->nbucket = MZ_INITIAL_BUCKETS;
    return z;
}

/* ink_memzone_free - release the zone */
void ink_memzone_free(struct ink_memzone *z)
{
    size_t b, i;

    if (z == NULL)
        return;
    for (b = 0; b < z->nbucket; b++) {
        struct mz_node *n = z->bucket[b], *next;
        for (; n != NULL; n = next) {
            next = n->next;
            for (i = 0; i < n->nrr; i++)
                ink_dns_rr_clear(&n->rr[i]);
            free(n->rr);
            free(n->tc);
            free(n->fault);
            free(n->name);
            free(n);
        }
    }
    free(z->bucket);
    free(z);
}

/* node_find - the node of a normalised name, or NULL */
static struct mz_node *node_find(const struct ink_memzone *z, const char *name)
{
    struct mz_node *n = z->bucket[name_hash(name) % z->nbucket];

    for (; n != NULL; n = n->next)
        if (strcmp(n->name, name) == 0)
            return n;
    return NULL;
}

/* table_grow - double the buckets when the load passes 1; keeps going on ENOMEM */
static void table_grow(struct ink_memzone *z)
{
    size_t nb = z->nbucket * 2, b;
    struct mz_node **nbk;

    if (z->nnode < z->nbucket || nb < z->nbucket)
        return;
    nbk = calloc(nb, sizeof(*nbk));
    if (nbk == NULL)
        return;
    for (b = 0; b < z->nbucket; b++) {
        struct mz_node *n = z->bucket[b], *next;
        for (; n != NULL; n = next) {
            size_t h = name_hash(n->name) % nb;
            next = n->next;
            n->next = nbk[h];
            nbk[h] = n;
        }
    }
    free(z->bucket);
    z->bucket = nbk;
    z->nbucket = nb;
}

/* node_get - find or create the node of a normalised name, and its ancestors */
static struct mz_node *node_get(struct ink_memzone *z, const char *name)
{
    struct mz_node *n = node_find(z, name);
    const char *dot;
    size_t h;

    if (n != NULL)
        return n;
    n = calloc(1, sizeof(*n));
    if (n == NULL)
        return NULL;
    n->name = strdup(name);
    if (n->name == NULL) {
        free(n);
        return NULL;
    }
    table_grow(z);
    h = name_hash(name) % z->nbucket;
    n->next = z->bucket[h];
    z->bucket[h] = n;
    z->nnode++;
    /* Empty non-terminals: make sure every ancestor exists. */
    dot = strchr(name, '.');
    if (dot != NULL && node_get(z, dot + 1) == NULL)
        return NULL;
    return n;
}

/* type_count - the count slot of type at n (created at 0), or NULL on ENOMEM */
static struct mz_tcount *type_count(struct mz_node *n, uint16_t type)
{
    struct mz_tcount *t;
    size_t i;

    for (i = 0; i < n->ntc; i++)
        if (n->tc[i].type == type)
            return &n->tc[i];
    t = realloc(n->tc, (n->ntc + 1) * sizeof(*t));
    if (t == NULL)
        return NULL;
    n->tc = t;
    n->tc[n->ntc].type = type;
    n->tc[n->ntc].n = 0;
    return &n->tc[n->ntc++];
}

/* rr_reserve - room for one more record at n (capacity doubles, with
 * overflow checks).  0 or -1. */
static int rr_reserve(struct mz_node *n)
{
    struct ink_dns_rr *nrr;
    size_t ncap;

    if (n->nrr < n->rrcap)
        return 0;
    ncap = n->rrcap ? n->rrcap * 2 : MZ_NODE_RR_INITIAL;
    if (ncap < n->rrcap || ncap > SIZE_MAX / sizeof(*nrr))
        return -1;
    nrr = realloc(n->rr, ncap * sizeof(*nrr));
    if (nrr == NULL)
        return -1;
    n->rr = nrr;
    n->rrcap = ncap;
    return 0;
}

/* ink_memzone_add - store a copy of rr under its owner */
int ink_memzone_add(struct ink_memzone *z, const struct ink_dns_rr *rr)
{
    char owner[INK_DNS_NAME_MAX + 1];
    struct ink_dns_answer *tmp;
    struct mz_tcount *tc;
    struct mz_node *n;

    if (z->nrr >= INK_MEMZONE_RR_MAX || rr->owner == NULL)
        return -1;
    if (ink_dns_name_normalize(rr->owner, strlen(rr->owner), owner, sizeof(owner)) < 0)
        return -1;
    n = node_get(z, owner);
    if (n == NULL)
        return -1;
    /* more of one type at one name could be loaded but never answered */
    tc = type_count(n, rr->type);
    if (tc == NULL)
        return -1;
    if (tc->n >= INK_MEMZONE_TYPE_RR_MAX)
        return INK_MEMZONE_TOO_MANY;
    if (rr_reserve(n) < 0)
        return -1;
    /* Reuse the answer's deep-copy code, then move the record over. */
    tmp = ink_dns_answer_new(owner, rr->type, INK_DNS_OK);
    if (tmp == NULL)
        return -1;
    if (ink_dns_answer_add_rr(tmp, rr) < 0) {
        ink_dns_answer_free(tmp);
        return -1;
    }
    n->rr[n->nrr] = tmp->rr[0];
    free(n->rr[n->nrr].owner);
    n->rr[n->nrr].owner = strdup(owner);
    tmp->nrr = 0; /* record moved out */
    ink_dns_answer_free(tmp);
    if (n->rr[n->nrr].owner == NULL) {
        ink_dns_rr_clear(&n->rr[n->nrr]);
        return -1;
    }
    n->nrr++;
    tc->n++;
    z->nrr++;
    return 0;
}

/* ink_memzone_add_addr_text - add an A or AAAA record from its text */
int ink_memzone_add_addr_text(struct ink_memzone *z, const char *owner, uint32_t ttl,
                              const char *ip)
{
    struct ink_dns_rr rr;
    int fam;

    memset(&rr, 0, sizeof(rr));
    if (ink_ip_parse(ip, strlen(ip), &fam, rr.addr) < 0)
        return -1;
    rr.type = fam == 4 ? INK_DNS_A : INK_DNS_AAAA;
    rr.ttl = ttl;
    rr.owner = (char *)owner;
    return ink_memzone_add(z, &rr);
}

/* ink_memzone_add_name - add a CNAME/PTR/NS record */
int ink_memzone_add_name(struct ink_memzone *z, const char *owner, uint16_t type,
                         uint32_t ttl, const char *target)
{
    struct ink_dns_rr rr;

    memset(&rr, 0, sizeof(rr));
    rr.type = type;
    rr.ttl = ttl;
    rr.owner = (char *)owner;
    rr.name = (char *)target;
    return ink_memzone_add(z, &rr);
}

/* ink_memzone_add_mx - add an MX record */
int ink_memzone_add_mx(struct ink_memzone *z, const char *owner, uint32_t ttl,
                       uint16_t pref, const char *exchange)
{
    struct ink_dns_rr rr;

    memset(&rr, 0, sizeof(rr));
    rr.type = INK_DNS_MX;
    rr.ttl = ttl;
    rr.pref = pref;
    rr.owner = (char *)owner;
    rr.name = (char *)exchange;
    return ink_memzone_add(z, &rr);
}

/* ink_memzone_add_txt - add a TXT/SPF record of n strings */
int ink_memzone_add_txt(struct ink_memzone *z, const char *owner, uint16_t type,
                        uint32_t ttl, size_t n, const uint8_t *const *strings,
                        const size_t *lens)
{
    struct ink_dns_rr rr;

    memset(&rr, 0, sizeof(rr));
    rr.type = type;
    rr.ttl = ttl;
    rr.owner = (char *)owner;
    rr.ntxt = n;
    rr.txt = (uint8_t **)strings;
    rr.txtlen = (size_t *)lens;
    return ink_memzone_add(z, &rr);
}

/* ink_memzone_add_txt1 - add a one-string TXT/SPF record */
int ink_memzone_add_txt1(struct ink_memzone *z, const char *owner, uint16_t type,
                         uint32_t ttl, const void *text, size_t len)
{
    const uint8_t *s = text;

    return ink_memzone_add_txt(z, owner, type, ttl, 1, &s, &len);
}

/* ink_memzone_touch - make owner exist (NODATA), adding no record */
int ink_memzone_touch(struct ink_memzone *z, const char *owner)
{
    char name[INK_DNS_NAME_MAX + 1];

    if (ink_dns_name_normalize(owner, strlen(owner), name, sizeof(name)) < 0)
        return -1;
    return node_get(z, name) != NULL ? 0 : -1;
}

/* ink_memzone_set_fault - make queries for owner fail */
int ink_memzone_set_fault(struct ink_memzone *z, const char *owner, uint16_t type,
                          enum ink_dns_status status)
{
    char name[INK_DNS_NAME_MAX + 1];
    struct mz_fault *nf;
    struct mz_node *n;

    if (ink_dns_name_normalize(owner, strlen(owner), name, sizeof(name)) < 0)
        return -1;
    n = node_get(z, name);
    if (n == NULL)
        return -1;
    nf = realloc(n->fault, (n->nfault + 1) * sizeof(*nf));
    if (nf == NULL)
        return -1;
    n->fault = nf;
    n->fault[n->nfault].type = type;
    n->fault[n->nfault].status = status;
    n->nfault++;
    return 0;
}

/* ink_memzone_remove - drop records of owner */
size_t ink_memzone_remove(struct ink_memzone *z, const char *owner, uint16_t type)
{
    char name[INK_DNS_NAME_MAX + 1];
    struct mz_node *n;
    size_t i, kept = 0, removed = 0;

    if (ink_dns_name_normalize(owner, strlen(owner), name, sizeof(name)) < 0)
        return 0;
    n = node_find(z, name);
    if (n == NULL)
        return 0;
    for (i = 0; i < n->nrr; i++) {
        if (type == 0 || n->rr[i].type == type) {
            ink_dns_rr_clear(&n->rr[i]);
            removed++;
        } else {
            n->rr[kept++] = n->rr[i];
        }
    }
    n->nrr = kept;
    for (i = 0; i < n->ntc; i++)
        if (type == 0 || n->tc[i].type == type)
            n->tc[i].n = 0;
    z->nrr -= removed;
    return removed;
}

/* node_fault - the fault status set for (node, type), or INK_DNS_OK */
static enum ink_dns_status node_fault(const struct mz_node *n, uint16_t type)
{
    size_t i;

    for (i = 0; i < n->nfault; i++)
        if (n->fault[i].type == 0 || n->fault[i].type == type)
            return n->fault[i].status;
    return INK_DNS_OK;
}

/* node_has_type - does the node hold a record of type */
static int node_has_type(const struct mz_node *n, uint16_t type)
{
    size_t i;

    for (i = 0; i < n->nrr; i++)
        if (n->rr[i].type == type)
            return 1;
    return 0;
}

/* wildcard_node - the "*.closest-encloser" node matching name, if any.
 * Only consulted when name itself has no node (RFC 4592). */
static const struct mz_node *wildcard_node(const struct ink_memzone *z, const char *name)
{
    char wc[INK_DNS_NAME_MAX + 3];
    const char *p = strchr(name, '.');

    while (p != NULL) {
        const char *parent = p + 1;
        if (node_find(z, parent) != NULL) {
            /* parent is the closest encloser */
            if (strlen(parent) + 3 > sizeof(wc))
                return NULL;
            wc[0] = '*';
            wc[1] = '.';
            strcpy(wc + 2, parent);
            return node_find(z, wc);
        }
        p = strchr(parent, '.');
    }
    /* closest encloser is the root */
    return node_find(z, "*");
}

/* copy_rrs - add node's records of type to the answer, under owner */
static int copy_rrs(struct ink_dns_answer *a, const struct mz_node *n, uint16_t type,
                    const char *owner)
{
    size_t i;

    for (i = 0; i < n->nrr; i++) {
        struct ink_dns_rr rr;
        if (n->rr[i].type != type)
            continue;
        rr = n->rr[i];
        rr.owner = (char *)owner;
        if (ink_dns_answer_add_rr(a, &rr) < 0)
            return -1;
    }
    return 0;
}

/* ink_memzone_lookup - answer (name, type) like an authoritative server */
struct ink_dns_answer *ink_memzone_lookup(const struct ink_memzone *z, const char *name,
                                          uint16_t type)
{
    char cur[INK_DNS_NAME_MAX + 1];
    struct ink_dns_answer *a;
    int hops;

    if (ink_dns_name_normalize(name, strlen(name), cur, sizeof(cur)) < 0) {
        a = ink_dns_answer_new(name, type, INK_DNS_NXDOMAIN);
        if (a != NULL && ink_dns_answer_set_why(a, "not a valid domain name") < 0) {
            ink_dns_answer_free(a);
            return NULL;
        }
        return a;
    }
    a = ink_dns_answer_new(cur, type, INK_DNS_NXDOMAIN);
    if (a == NULL)
        return NULL;
    for (hops = 0; hops <= INK_DNS_CNAME_CHAIN_MAX; hops++) {
        const struct mz_node *n = node_find(z, cur);
        const struct mz_node *data = n;
        enum ink_dns_status fault;
        size_t i;

        if (n == NULL)
            data = wildcard_node(z, cur);
        if (n != NULL && (fault = node_fault(n, type)) != INK_DNS_OK) {
            a->status = fault;
            if (ink_dns_answer_set_why(a, fault == INK_DNS_TIMEOUT ? "timed out (test zone)"
                                                                   : "server failure (test zone)") < 0)
                goto fail;
            return a;
        }
        if (data == NULL) {
            a->status = INK_DNS_NXDOMAIN;
            return a;
        }
        if (type != INK_DNS_CNAME && node_has_type(data, INK_DNS_CNAME)) {
            const char *target = NULL;
            for (i = 0; i < data->nrr; i++)
                if (data->rr[i].type == INK_DNS_CNAME)
                    target = data->rr[i].name;
            if (copy_rrs(a, data, INK_DNS_CNAME, cur) < 0)
                goto fail;
            if (ink_dns_name_normalize(target, strlen(target), cur, sizeof(cur)) < 0) {
                a->status = INK_DNS_SERVFAIL;
                if (ink_dns_answer_set_why(a, "CNAME target is not a valid name") < 0)
                    goto fail;
                return a;
            }
            continue;
        }
        if (node_has_type(data, type)) {
            if (copy_rrs(a, data, type, cur) < 0)
                goto fail;
            a->status = INK_DNS_OK;
        } else {
            a->status = INK_DNS_NODATA;
        }
        return a;
    }
    a->status = INK_DNS_SERVFAIL;
    if (ink_dns_answer_set_why(a, "CNAME chain too long or looping") < 0)
        goto fail;
    return a;
fail:
    ink_dns_answer_free(a);
    return NULL;
}

/* ink_memzone_count - records held */
size_t ink_memzone_count(const struct ink_memzone *z)
{
    return z->nrr;
}

/* ink_memzone_foreach - visit every record */
int ink_memzone_foreach(const struct ink_memzone *z,
                        int (*fn)(void *arg, const struct ink_dns_rr *rr), void *arg)
{
    size_t b, i;
    int rc;

    for (b = 0; b < z->nbucket; b++) {
        const struct mz_node *n;
        for (n = z->bucket[b]; n != NULL; n = n->next)
            for (i = 0; i < n->nrr; i++)
                if ((rc = fn(arg, &n->rr[i])) != 0)
                    return rc;
    }
    return 0;
}
