/*
 * fuzz_provision_zone.c - libFuzzer target: whatever the sender profile,
 * the zone file provisioning writes holds exactly the records it returns
 * (what records.json lists) to add or change, and nothing else.  A
 * profile's text (name:, role:, ...) must never become a record line: the
 * fragment is parsed back with inkan's zone-file parser and compared
 * record by record, both ways.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "inkan/memzone.h"
#include "inkan/profile.h"
#include "inkan/provision.h"
#include "inkan/zonefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The public key record handed in for every generated key. */
#define FUZZ_KEY_RECORD "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="

/* rr_is - does the parsed record rr say what provisioning record r says */
static int rr_is(const struct ink_dns_rr *rr, const struct ink_prov_record *r)
{
    size_t i, off = 0, vl;

    if (rr->type != r->type || rr->owner == NULL || strcasecmp(rr->owner, r->owner) != 0)
        return 0;
    switch (r->type) {
    case INK_DNS_CNAME:
        return rr->name != NULL && strcasecmp(rr->name, r->value) == 0;
    case INK_DNS_MX:
        return rr->pref == r->pref && rr->name != NULL && strcasecmp(rr->name, r->value) == 0;
    case INK_DNS_TXT:
        vl = strlen(r->value);
        for (i = 0; i < rr->ntxt; i++) {
            if (off + rr->txtlen[i] > vl || memcmp(r->value + off, rr->txt[i], rr->txtlen[i]) != 0)
                return 0;
            off += rr->txtlen[i];
        }
        return off == vl;
    default:
        return 0;
    }
}

struct match_ctx {
    const struct ink_provision *p;
    unsigned char *used; /* per provisioning record: matched already */
};

/* match_one - every parsed record is one provisioning record to publish */
static int match_one(void *arg, const struct ink_dns_rr *rr)
{
    struct match_ctx *m = arg;
    size_t i;

    for (i = 0; i < ink_provision_nrecords(m->p); i++) {
        const struct ink_prov_record *r = ink_provision_record(m->p, i);
        if (m->used[i] || (r->action != INK_PROV_ADD && r->action != INK_PROV_CHANGE))
            continue;
        if (rr_is(rr, r)) {
            m->used[i] = 1;
            return 0;
        }
    }
    abort(); /* a record in the zone file that provisioning did not return */
}

/* has_clash - did provisioning note records that cannot be published as is */
static int has_clash(const struct ink_provision *p)
{
    size_t i;

    for (i = 0; i < ink_provision_nfindings(p); i++)
        if (ink_provision_finding(p, i)->severity == INK_SEV_ERROR)
            return 1;
    return 0;
}

/* check_zone - the fragment holds exactly the records to publish */
static void check_zone(const struct ink_profile *prof)
{
    struct ink_str err = INK_STR_INIT, zone = INK_STR_INIT, text = INK_STR_INIT;
    struct ink_provision *p = ink_provision_new(prof, "example.com", NULL, NULL, 0, &err);
    struct ink_memzone *z;
    struct match_ctx m;
    size_t i;

    if (p == NULL) {
        if (err.len == 0)
            abort();
        ink_str_free(&err);
        return;
    }
    for (i = 0; i < ink_provision_nkeys(p); i++)
        if (ink_provision_set_key(p, i, FUZZ_KEY_RECORD) < 0)
            abort();
    if (ink_provision_compute(p) < 0 || ink_provision_zone(p, &zone) < 0 ||
        ink_provision_checklist(p, &text) < 0)
        abort();
    /* the checklist quotes profile text: never a control byte in it */
    for (i = 0; i < text.len; i++)
        if (((unsigned char)text.buf[i] < 0x20 && text.buf[i] != '\n') || text.buf[i] == 0x7f)
            abort();
    z = ink_memzone_new();
    if (z == NULL)
        abort();
    if (ink_zonefile_parse((const uint8_t *)zone.buf, zone.len, "fragment", "example.com", z,
                           &err) < 0) {
        /* only a record set provisioning itself calls unpublishable
         * (e.g. a CNAME beside other data) may fail to load */
        if (!has_clash(p))
            abort();
    } else {
        m.p = p;
        m.used = calloc(ink_provision_nrecords(p) + 1, 1);
        if (m.used == NULL)
            abort();
        ink_memzone_foreach(z, match_one, &m);
        for (i = 0; i < ink_provision_nrecords(p); i++) {
            const struct ink_prov_record *r = ink_provision_record(p, i);
            if ((r->action == INK_PROV_ADD || r->action == INK_PROV_CHANGE) && !m.used[i])
                abort(); /* a record to publish that the zone file lacks */
        }
        free(m.used);
    }
    ink_memzone_free(z);
    ink_provision_free(p);
    ink_str_free(&zone);
    ink_str_free(&text);
    ink_str_free(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ink_str err = INK_STR_INIT;
    struct ink_profile *p = ink_profile_parse(data, size, &err);

    if (p != NULL)
        check_zone(p);
    ink_profile_free(p);
    ink_str_free(&err);
    return 0;
}
