/*
 * spf_suite_run.c - evaluate every test of a suite-format YAML file (see
 * ../shared/testsuites/spf/README.md) with inkan and compare the result
 * (any member of a list) and the explanation where one is given.  Used by
 * tests/cli/spf_pyspf.sh on scenarios generated and evaluated by pyspf.
 *
 *   spf_suite_run [--no-void-limit] [--lookups N] FILE
 *
 * Prints each disagreement and a summary; exits 0 when all agree, 1 when
 * any disagrees, 2 when the file cannot be read or holds no test.
 */
#include "spf_suite.h"

int main(int argc, char **argv)
{
    struct ink_spf_limits lim;
    struct suite *s;
    size_t i, j, k, total = 0, bad = 0;
    int argi = 1;

    memset(&lim, 0, sizeof(lim));
    for (; argi < argc && argv[argi][0] == '-'; argi++) {
        if (strcmp(argv[argi], "--no-void-limit") == 0) {
            lim.void_lookups = 1000000;
        } else if (strcmp(argv[argi], "--lookups") == 0 && argi + 1 < argc) {
            lim.dns_lookups = (unsigned)strtoul(argv[++argi], NULL, 10);
        } else {
            argi = argc; /* unknown option: usage */
            break;
        }
    }
    if (argi + 1 != argc) {
        fprintf(stderr, "usage: spf_suite_run [--no-void-limit] [--lookups N] FILE\n");
        return 2;
    }
    s = suite_load(argv[argi]);
    if (s == NULL)
        return 2;
    for (i = 0; i < s->nsc; i++)
        for (j = 0; j < s->sc[i].ntests; j++) {
            const struct suite_test *t = &s->sc[i].tests[j];
            struct ink_spf *ev = spf_run_zone_limits(s->sc[i].zone, t->host,
                                                     t->mailfrom ? t->mailfrom : "",
                                                     t->helo ? t->helo : "", 0, &lim);
            const char *got, *exp;
            int ok = 0;

            total++;
            if (ev == NULL) {
                printf("DIFFER %s: evaluation hung or could not start\n", t->id);
                bad++;
                continue;
            }
            got = ink_spf_result_name(ink_spf_result(ev));
            for (k = 0; k < t->nresults; k++)
                ok |= strcmp(got, t->results[k]) == 0;
            exp = ink_spf_explanation(ev);
            if (ok && t->explanation != NULL && (exp == NULL || strcmp(exp, t->explanation) != 0))
                ok = 0;
            if (!ok) {
                bad++;
                printf("DIFFER %s: inkan %s (%s) explanation '%s'; expected %s explanation '%s'\n",
                       t->id, got, ink_spf_reason(ev), exp ? exp : "", t->results[0],
                       t->explanation ? t->explanation : "");
            }
            ink_spf_free(ev);
        }
    printf("%s: %zu/%zu tests agree\n", argv[argi], total - bad, total);
    suite_free(s);
    if (total == 0)
        return 2;
    return bad == 0 ? 0 : 1;
}
