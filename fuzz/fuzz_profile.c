/*
 * fuzz_profile.c - libFuzzer target for the sender-profile parser (YAML)
 * and what is computed from a profile.  Checks the parser's promises (a
 * profile or an error naming line:column, never both, never neither) and,
 * for every profile that parses, that provisioning computes a record set
 * whose zone-file fragment the zone-file parser reads back and whose
 * every expected record verification then finds published.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/memzone.h"
#include "inkan/profile.h"
#include "inkan/provision.h"
#include "inkan/verify.h"
#include "inkan/zonefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* has_clash - did provisioning note records that cannot be published as is */
static int has_clash(const struct ink_provision *p)
{
    size_t i;

    for (i = 0; i < ink_provision_nfindings(p); i++)
        if (ink_provision_finding(p, i)->severity == INK_SEV_ERROR)
            return 1;
    return 0;
}

/* check_round_trip - the fragment parses and every record is then seen */
static void check_round_trip(const struct ink_profile *prof)
{
    struct ink_str err = INK_STR_INIT, zone = INK_STR_INIT;
    struct ink_provision *p = ink_provision_new(prof, "example.com", NULL, NULL, 0, &err);
    struct ink_memzone *z;
    struct ink_vdomain *d;
    size_t i;

    if (p == NULL) {
        /* only names too long for the domain may be refused, with a reason */
        if (err.len == 0)
            abort();
        ink_str_free(&err);
        return;
    }
    for (i = 0; i < ink_provision_nkeys(p); i++)
        if (ink_provision_set_key(p, i, "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=") < 0)
            abort();
    if (ink_provision_compute(p) < 0 || ink_provision_zone(p, &zone) < 0)
        abort();
    z = ink_memzone_new();
    d = ink_vdomain_new("example.com", prof->name, 1);
    if (z == NULL || d == NULL || ink_provision_expect(p, d) < 0)
        abort();
    if (ink_zonefile_parse((const uint8_t *)zone.buf, zone.len, "fragment", "example.com", z,
                           &err) < 0) {
        if (!has_clash(p))
            abort();
    } else if (!has_clash(p)) {
        for (i = 0; i < d->nrec; i++) {
            struct ink_dns_answer *a = ink_memzone_lookup(z, d->rec[i].owner, d->rec[i].type);
            struct ink_vobs o;
            if (ink_verify_match(&d->rec[i], a, &o) < 0 || o.kind != INK_VOBS_MATCH)
                abort();
            ink_vobs_clear(&o);
            ink_dns_answer_free(a);
        }
    }
    ink_vdomain_free(d);
    ink_memzone_free(z);
    ink_provision_free(p);
    ink_str_free(&zone);
    ink_str_free(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ink_str err = INK_STR_INIT;
    struct ink_profile *p = ink_profile_parse(data, size, &err);

    if ((p == NULL) == (err.len == 0))
        abort();
    if (p == NULL) {
        /* "LINE:COLUMN: ..." */
        const char *e = ink_str_cstr(&err);
        if (e[0] < '1' || e[0] > '9' || strchr(e, ':') == NULL)
            abort();
    } else {
        if (p->name == NULL || p->spf_all == NULL || p->n_dkim > INK_PROFILE_LIST_MAX ||
            p->n_cname > INK_PROFILE_LIST_MAX || p->n_mx > INK_PROFILE_LIST_MAX)
            abort();
        check_round_trip(p);
    }
    ink_profile_free(p);
    ink_str_free(&err);
    return 0;
}
