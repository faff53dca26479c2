/*
 * report_ptr.c - the reverse name of one report source address: a small
 * machine of the query protocol (inkan/query.h) asking the PTR of the
 * address's in-addr.arpa / ip6.arpa name once, for the report summary.
 * No forward confirmation: the name only labels the source for a person
 * and for platform recognition (iprev's check belongs to inbound mail).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/report.h"
#include "inkan/str.h"

/* Room for a reverse name (ip6.arpa: 32 nibbles, 32 dots, "ip6.arpa"). */
#define PTR_REVNAME_MAX 80
/* Token of the one query this machine asks. */
#define PTR_TOKEN 1

struct ink_ptr_lookup {
    char rev[PTR_REVNAME_MAX];
    int asked;                   /* the query was handed out */
    enum ink_ptr_result result;
    char *name;                  /* the first PTR target (owned) */
};

/* ink_ptr_lookup_new - the lookup of ip (text form); NULL when ip is no
 * address or out of memory.  Caller frees with ink_ptr_lookup_free. */
struct ink_ptr_lookup *ink_ptr_lookup_new(const char *ip)
{
    static const char hex[] = "0123456789abcdef";
    uint8_t a[16];
    struct ink_ptr_lookup *m;
    size_t k = 0;
    int i;

    if (ip == NULL)
        return NULL;
    m = calloc(1, sizeof(*m));
    if (m == NULL)
        return NULL;
    if (inet_pton(AF_INET, ip, a) == 1) {
        (void)snprintf(m->rev, sizeof(m->rev), "%u.%u.%u.%u.in-addr.arpa", a[3], a[2], a[1],
                       a[0]);
    } else if (inet_pton(AF_INET6, ip, a) == 1) {
        for (i = 15; i >= 0; i--) {
            m->rev[k++] = hex[a[i] & 0xf];
            m->rev[k++] = '.';
            m->rev[k++] = hex[a[i] >> 4];
            m->rev[k++] = '.';
        }
        memcpy(m->rev + k, "ip6.arpa", sizeof("ip6.arpa"));
    } else {
        free(m);
        return NULL;
    }
    m->result = INK_PTR_PENDING;
    return m;
}

/* ink_ptr_lookup_next - the PTR query once, then WAIT until fed, then DONE */
enum ink_next ink_ptr_lookup_next(struct ink_ptr_lookup *m, struct ink_query *q)
{
    if (m->result != INK_PTR_PENDING)
        return INK_NEXT_DONE;
    if (m->asked)
        return INK_NEXT_WAIT;
    m->asked = 1;
    q->name = m->rev;
    q->type = INK_DNS_PTR;
    q->token = PTR_TOKEN;
    return INK_NEXT_READY;
}

/* ink_ptr_lookup_feed - the answer (borrowed): the first PTR record, none
 * on NXDOMAIN/NODATA, temporary on NULL, SERVFAIL, TIMEOUT or an answer
 * to another question; -1 for a token not outstanding */
int ink_ptr_lookup_feed(struct ink_ptr_lookup *m, uint32_t token,
                        const struct ink_dns_answer *answer)
{
    size_t i;

    if (token != PTR_TOKEN || !m->asked || m->result != INK_PTR_PENDING)
        return -1;
    if (!ink_query_answer_fits(answer, m->rev, INK_DNS_PTR)) {
        m->result = INK_PTR_TEMP;
        return 0;
    }
    switch (answer->status) {
    case INK_DNS_OK:
        for (i = 0; i < answer->nrr; i++) {
            const struct ink_dns_rr *rr = &answer->rr[i];
            if (rr->type == INK_DNS_PTR && rr->name != NULL && rr->name[0] != '\0') {
                m->name = ink_memdup_cstr(rr->name, strlen(rr->name));
                m->result = m->name != NULL ? INK_PTR_FOUND : INK_PTR_TEMP;
                return 0;
            }
        }
        m->result = INK_PTR_NONE;
        return 0;
    case INK_DNS_NODATA:
    case INK_DNS_NXDOMAIN:
        m->result = INK_PTR_NONE;
        return 0;
    default:
        m->result = INK_PTR_TEMP;
        return 0;
    }
}

/* ink_ptr_lookup_result - the outcome, and *name the PTR target (owned by
 * m) when FOUND, else NULL */
enum ink_ptr_result ink_ptr_lookup_result(const struct ink_ptr_lookup *m, const char **name)
{
    if (name != NULL)
        *name = m->name;
    return m->result;
}

static enum ink_next ptr_next(void *self, struct ink_query *q)
{
    return ink_ptr_lookup_next(self, q);
}

static int ptr_feed(void *self, uint32_t token, const struct ink_dns_answer *a)
{
    return ink_ptr_lookup_feed(self, token, a);
}

static const struct ink_machine_ops ptr_ops = {"ptr", ptr_next, ptr_feed};

/* ink_ptr_lookup_machine - m as the driver sees it (m stays the caller's) */
struct ink_machine ink_ptr_lookup_machine(struct ink_ptr_lookup *m)
{
    struct ink_machine mm = {&ptr_ops, m};
    return mm;
}

/* ink_ptr_lookup_free - free m; NULL is a no-op */
void ink_ptr_lookup_free(struct ink_ptr_lookup *m)
{
    if (m == NULL)
        return;
    free(m->name);
    free(m);
}
