/*
 * fuzz_policy.c - libFuzzer target for the local policy file
 * (inkan/policy.h).  The bytes are the YAML file.  Promises: no crash or
 * hang; a refused file says why with a position; an accepted one keeps
 * every named limit (list lengths), has an authserv-id, a known mode with
 * its list when staged or people-centric, and every pattern matches
 * what it names (a domain itself, "*.d" the names below d).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check_patterns - each entry of a domain-pattern list matches itself */
static void check_patterns(char *const *l, size_t n)
{
    size_t i;
    char name[INK_POLICY_SCALAR_MAX + 16];

    if (n > INK_POLICY_LIST_MAX)
        abort();
    for (i = 0; i < n; i++) {
        if (strncmp(l[i], "*.", 2) == 0) {
            (void)snprintf(name, sizeof(name), "x.%s", l[i] + 2);
            if (strlen(name) <= INK_DNS_NAME_MAX && !ink_policy_pattern_match(l[i], name))
                abort();
            if (ink_policy_pattern_match(l[i], l[i] + 2))
                abort();
        } else if (strchr(l[i], '@') == NULL && !ink_policy_pattern_match(l[i], l[i])) {
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ink_str err = INK_STR_INIT;
    struct ink_policy *p = ink_policy_parse(data, size, &err);
    size_t i;

    if (p == NULL) {
        if (err.len == 0)
            abort(); /* refused without a reason */
        ink_str_free(&err);
        return 0;
    }
    if (p->authserv_id == NULL || p->authserv_id[0] == '\0')
        abort();
    if ((p->mode == INK_POLICY_STAGED && p->nstaged == 0) ||
        (p->mode == INK_POLICY_PEOPLE && p->npeople == 0))
        abort();
    if (p->on_temperror != INK_VERDICT_ACCEPT && p->on_temperror != INK_VERDICT_TEMPFAIL)
        abort();
    if (p->nip > INK_POLICY_LIST_MAX)
        abort();
    for (i = 0; i < p->nip; i++)
        if ((p->ip[i].family != 4 && p->ip[i].family != 6) ||
            p->ip[i].prefix > (p->ip[i].family == 4 ? 32u : 128u))
            abort();
    check_patterns(p->staged, p->nstaged);
    check_patterns(p->people, p->npeople);
    check_patterns(p->mailfrom, p->nmailfrom);
    check_patterns(p->author, p->nauthor);
    check_patterns(p->sealers, p->nsealers);
    ink_policy_free(p);
    ink_str_free(&err);
    return 0;
}
