/*
 * iprev.c - the iprev check of RFC 8601 section 3: the client address's
 * PTR names, each looked up forward (A or AAAA, all at once, at most
 * INK_INBOUND_IPREV_NAMES_MAX), pass when one maps back to the address.
 * A machine of the query protocol used inside the message machine; also
 * the generic-name heuristic (a reverse name built from the address's
 * digits or naming a dynamic pool is a weaker sign than a chosen name).
 */
#include "inbound_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for a reverse name (ip6.arpa: 32 nibbles, dots, suffix). */
#define REVNAME_MAX 80

enum fwd { F_UNASKED = 0, F_OUT, F_MATCH, F_NOMATCH, F_TEMP };

struct inb_iprev {
    int family;
    uint8_t ip[16];
    char rev[REVNAME_MAX];
    int ptr_state;               /* 0 unasked, 1 out, 2 answered */
    size_t nnames;
    char *names[INK_INBOUND_IPREV_NAMES_MAX];
    enum fwd fwd[INK_INBOUND_IPREV_NAMES_MAX];
    int done;
    enum ink_iprev_result result;
    char reason[160];
    const char *name;
};

/* ink_iprev_result_name - RFC 8601 words */
const char *ink_iprev_result_name(enum ink_iprev_result r)
{
    switch (r) {
    case INK_IPREV_NONE:
        return "none";
    case INK_IPREV_PASS:
        return "pass";
    case INK_IPREV_FAIL:
        return "fail";
    case INK_IPREV_TEMPERROR:
        return "temperror";
    case INK_IPREV_PERMERROR:
        return "permerror";
    }
    return "none";
}

/* inb_iprev_new - iprev of one address */
struct inb_iprev *inb_iprev_new(int family, const uint8_t ip[16])
{
    struct inb_iprev *v = calloc(1, sizeof(*v));
    static const char hex[] = "0123456789abcdef";
    size_t k = 0;
    int i;

    if (v == NULL)
        return NULL;
    v->family = family;
    memcpy(v->ip, ip, 16);
    if (family == 4) {
        (void)snprintf(v->rev, sizeof(v->rev), "%u.%u.%u.%u.in-addr.arpa", ip[3], ip[2], ip[1],
                       ip[0]);
    } else {
        for (i = 15; i >= 0; i--) {
            v->rev[k++] = hex[ip[i] & 0xf];
            v->rev[k++] = '.';
            v->rev[k++] = hex[ip[i] >> 4];
            v->rev[k++] = '.';
        }
        memcpy(v->rev + k, "ip6.arpa", sizeof("ip6.arpa"));
    }
    return v;
}

/* inb_iprev_free - release */
void inb_iprev_free(struct inb_iprev *v)
{
    size_t i;

    if (v == NULL)
        return;
    for (i = 0; i < v->nnames; i++)
        free(v->names[i]);
    free(v);
}

/* finish - decide once every forward answer is in */
static void finish(struct inb_iprev *v)
{
    size_t i;
    int temp = 0;

    for (i = 0; i < v->nnames; i++) {
        if (v->fwd[i] == F_OUT || v->fwd[i] == F_UNASKED)
            return;
        temp |= v->fwd[i] == F_TEMP;
    }
    v->done = 1;
    for (i = 0; i < v->nnames; i++)
        if (v->fwd[i] == F_MATCH) {
            v->result = INK_IPREV_PASS;
            v->name = v->names[i];
            (void)snprintf(v->reason, sizeof(v->reason), "%s maps back to the client", v->name);
            return;
        }
    v->name = v->names[0];
    v->result = temp ? INK_IPREV_TEMPERROR : INK_IPREV_FAIL;
    (void)snprintf(v->reason, sizeof(v->reason),
                   temp ? "a forward lookup of the PTR names failed temporarily"
                        : "no PTR name (of %zu) maps back to the client",
                   v->nnames);
}

/* iprev_next - the PTR query, then every forward query */
static enum ink_next iprev_next(void *self, struct ink_query *q)
{
    struct inb_iprev *v = self;
    size_t i;

    if (v->done)
        return INK_NEXT_DONE;
    if (v->ptr_state == 0) {
        v->ptr_state = 1;
        q->name = v->rev;
        q->type = INK_DNS_PTR;
        q->token = 1;
        return INK_NEXT_READY;
    }
    if (v->ptr_state == 1)
        return INK_NEXT_WAIT;
    for (i = 0; i < v->nnames; i++)
        if (v->fwd[i] == F_UNASKED) {
            v->fwd[i] = F_OUT;
            q->name = v->names[i];
            q->type = v->family == 4 ? INK_DNS_A : INK_DNS_AAAA;
            q->token = (uint32_t)i + 2;
            return INK_NEXT_READY;
        }
    return INK_NEXT_WAIT;
}

/* is_temp - an answer that says nothing */
static int is_temp(const struct ink_dns_answer *a, const char *name, uint16_t type)
{
    return !ink_query_answer_fits(a, name, type) || a->status == INK_DNS_SERVFAIL ||
           a->status == INK_DNS_TIMEOUT;
}

/* iprev_feed - an answer */
static int iprev_feed(void *self, uint32_t token, const struct ink_dns_answer *a)
{
    struct inb_iprev *v = self;
    size_t i;

    if (v->done)
        return -1;
    if (token == 1) {
        if (v->ptr_state != 1)
            return -1;
        v->ptr_state = 2;
        if (is_temp(a, v->rev, INK_DNS_PTR)) {
            v->done = 1;
            v->result = INK_IPREV_TEMPERROR;
            (void)snprintf(v->reason, sizeof(v->reason), "the PTR lookup of %s failed", v->rev);
            return 0;
        }
        for (i = 0; a->status == INK_DNS_OK && i < a->nrr; i++) {
            char tmp[INK_DNS_NAME_MAX + 1];

            if (a->rr[i].type != INK_DNS_PTR || a->rr[i].name == NULL ||
                v->nnames >= INK_INBOUND_IPREV_NAMES_MAX)
                continue;
            if (ink_dns_name_normalize(a->rr[i].name, strlen(a->rr[i].name), tmp, sizeof(tmp)) <=
                0)
                continue;
            v->names[v->nnames] = ink_memdup_cstr(tmp, strlen(tmp));
            if (v->names[v->nnames] == NULL) {
                v->done = 1;
                v->result = INK_IPREV_TEMPERROR;
                (void)snprintf(v->reason, sizeof(v->reason), "out of memory");
                return 0;
            }
            v->nnames++;
        }
        if (v->nnames == 0) {
            v->done = 1;
            v->result = INK_IPREV_PERMERROR;
            (void)snprintf(v->reason, sizeof(v->reason), "no PTR record for the client (%s)",
                           ink_dns_status_name(a->status));
        }
        return 0;
    }
    if (token < 2 || token - 2 >= v->nnames || v->fwd[token - 2] != F_OUT)
        return -1;
    i = token - 2;
    if (is_temp(a, v->names[i], v->family == 4 ? INK_DNS_A : INK_DNS_AAAA)) {
        v->fwd[i] = F_TEMP;
    } else {
        size_t k, alen = v->family == 4 ? 4 : 16;

        v->fwd[i] = F_NOMATCH;
        for (k = 0; a->status == INK_DNS_OK && k < a->nrr; k++)
            if (a->rr[k].type == (v->family == 4 ? INK_DNS_A : INK_DNS_AAAA) &&
                memcmp(a->rr[k].addr, v->ip, alen) == 0)
                v->fwd[i] = F_MATCH;
    }
    finish(v);
    return 0;
}

static const struct ink_machine_ops iprev_ops = {"iprev", iprev_next, iprev_feed};

/* inb_iprev_machine - v as a machine */
struct ink_machine inb_iprev_machine(struct inb_iprev *v)
{
    struct ink_machine m = {&iprev_ops, v};

    return m;
}

/* inb_iprev_result - the outcome */
void inb_iprev_result(const struct inb_iprev *v, struct ink_inbound_iprev *r)
{
    memset(r, 0, sizeof(*r));
    r->result = v->result;
    r->reason = v->reason;
    r->name = v->name;
    if (r->name != NULL)
        r->generic = inb_name_generic(r->name, v->family, v->ip);
}

/* inb_name_generic - a generic or dynamic-looking reverse name */
int inb_name_generic(const char *name, int family, const uint8_t ip[16])
{
    static const char *const words[] = {"dynamic", "dyn", "dhcp", "dsl", "adsl", "cable",
                                        "pool", "dial", "dialup", "residential", "ppp",
                                        "pppoe", "client", "broadband", "static", "host",
                                        NULL};
    char lab[INK_DNS_NAME_MAX + 1], oct[4][4];
    const char *p = name;
    size_t i, hits = 0;

    /* the words, as whole labels or label prefixes before digits/dashes */
    while (*p != '\0') {
        size_t n = strcspn(p, ".");

        if (n < sizeof(lab)) {
            memcpy(lab, p, n);
            lab[n] = '\0';
            for (i = 0; words[i] != NULL; i++) {
                size_t w = strlen(words[i]);

                if (strncmp(lab, words[i], w) == 0 &&
                    (lab[w] == '\0' || lab[w] == '-' || (lab[w] >= '0' && lab[w] <= '9')))
                    return 1;
                if (n > w && strcmp(lab + n - w, words[i]) == 0 && lab[n - w - 1] == '-')
                    return 1;
            }
        }
        p += n;
        if (*p == '.')
            p++;
    }
    if (family != 4)
        return 0;
    /* three or four of the address's octets appear in the first label */
    for (i = 0; i < 4; i++)
        (void)snprintf(oct[i], sizeof(oct[i]), "%u", ip[i]);
    {
        size_t n = strcspn(name, ".");

        if (n >= sizeof(lab))
            return 0;
        memcpy(lab, name, n);
        lab[n] = '\0';
        for (i = 0; i < 4; i++)
            if (strstr(lab, oct[i]) != NULL)
                hits++;
    }
    return hits >= 3;
}
