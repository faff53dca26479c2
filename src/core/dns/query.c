/*
 * query.c - the helpers of the one query protocol (inkan/query.h): calls
 * through a machine's table and the answer-fits check every machine uses.
 */
#include "inkan/query.h"

#include <stddef.h>

/* ink_machine_next - ask machine m for its next step */
enum ink_next ink_machine_next(struct ink_machine m, struct ink_query *q)
{
    return m.ops->next(m.self, q);
}

/* ink_machine_feed - hand machine m the answer for token (borrowed) */
int ink_machine_feed(struct ink_machine m, uint32_t token, const struct ink_dns_answer *answer)
{
    return m.ops->feed(m.self, token, answer);
}

/* ink_query_answer_fits - the answer answers (name, type) */
int ink_query_answer_fits(const struct ink_dns_answer *answer, const char *name, uint16_t type)
{
    if (answer == NULL || answer->qname == NULL || name == NULL)
        return 0;
    return answer->qtype == type && ink_dns_name_eq(answer->qname, name);
}

/* ink_next_name - the step's name, for logs and tests */
const char *ink_next_name(enum ink_next st)
{
    switch (st) {
    case INK_NEXT_READY:
        return "ready";
    case INK_NEXT_WAIT:
        return "wait";
    case INK_NEXT_DONE:
        return "done";
    case INK_NEXT_FAILED:
        return "failed";
    }
    return "unknown";
}
