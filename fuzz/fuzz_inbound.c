/*
 * fuzz_inbound.c - libFuzzer target for the whole message machine
 * (inkan/inbound.h): a random message evaluated over a fixed in-memory
 * zone (a DMARC record, SPF, DKIM keys, PTR).  The first byte picks the
 * line-end handling, the organizational-domain mode, the envelope and how
 * the message is cut into pushes.  Promises: no crash or hang; the
 * machine ends DONE or FAILED (FAILED only with a reason); a DMARC pass
 * has an aligned identifier; the Authentication-Results field it writes
 * parses back with our authserv-id and folds only with CRLF + tab; the
 * local policy's verdict is one of the four.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/authres.h"
#include "inkan/driver.h"
#include "inkan/inbound.h"
#include "inkan/memzone.h"
#include "inkan/policy.h"
#include "inkan/resolver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ink_memzone *zone;

/* txt - one TXT record */
static void txt(const char *owner, const char *text)
{
    (void)ink_memzone_add_txt1(zone, owner, INK_DNS_TXT, 300, text, strlen(text));
}

/* make_zone - the fixed zone, once */
static void make_zone(void)
{
    if (zone != NULL)
        return;
    zone = ink_memzone_new();
    if (zone == NULL)
        abort();
    txt("_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine; np=reject");
    txt("_dmarc.psd.example", "v=DMARC1; p=quarantine; psd=y");
    txt("example.com", "v=spf1 ip4:192.0.2.0/24 include:_spf.example.net ~all");
    txt("_spf.example.net", "v=spf1 ip6:2001:db8::/32 -all");
    txt("brisbane._domainkey.example.com",
        "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
    (void)ink_memzone_add_addr_text(zone, "example.com", 300, "192.0.2.1");
    (void)ink_memzone_add_addr_text(zone, "mail.example.com", 300, "192.0.2.1");
    (void)ink_memzone_add_name(zone, "1.2.0.192.in-addr.arpa", INK_DNS_PTR, 300,
                               "mail.example.com");
    (void)ink_memzone_set_fault(zone, "_dmarc.slow.example", 0, INK_DNS_TIMEOUT);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const ips[] = {"192.0.2.1", "2001:db8::5", "198.51.100.9", NULL};
    static const char *const froms[] = {"a@example.com", "", "<>", "x@sub.example.com"};
    static const char *const rcpt[] = {"bob@example.net"};
    struct ink_inbound_params p;
    struct ink_inbound *m;
    struct ink_resolver *r;
    struct ink_policy *pol;
    struct ink_verdict v;
    struct ink_str s = INK_STR_INIT;
    struct ink_authres *a;
    enum ink_next st;
    size_t off = 0, step;
    uint8_t sel;

    if (size < 1)
        return 0;
    make_zone();
    sel = data[0];
    data++;
    size--;
    memset(&p, 0, sizeof(p));
    p.ip = ips[sel & 3];
    p.helo = (sel & 4) ? "mail.example.com" : "[192.0.2.1]";
    p.mail_from = froms[(sel >> 3) & 3];
    p.nrcpt = 1;
    p.rcpt = rcpt;
    p.flags = (sel & 0x20) ? INK_INBOUND_LF_TO_CRLF : 0;
    p.org_mode = (sel & 0x40) ? INK_DMARC_ORG_PSL : INK_DMARC_ORG_TREEWALK;
    m = ink_inbound_new(&p, NULL);
    r = ink_resolver_memzone_new(zone, 0);
    if (m == NULL || r == NULL)
        goto out;
    step = (sel & 0x80) ? 1 + size / 7 : size;
    while (off < size) {
        size_t n = size - off < step ? size - off : step;

        if (ink_inbound_push(m, data + off, n) < 0)
            break;
        off += n;
    }
    (void)ink_inbound_end(m);
    st = ink_drive_sync(r, ink_inbound_machine(m), NULL);
    if (st == INK_NEXT_FAILED) {
        if (ink_inbound_error(m)[0] == '\0')
            abort();
        goto out;
    }
    if (st != INK_NEXT_DONE)
        abort();
    {
        const struct ink_inbound_dmarc *d = ink_inbound_dmarc(m);

        if (d->result == INK_DMARC_RES_PASS && !d->eval.spf_aligned && !d->eval.dkim_aligned)
            abort();
        if (d->from_status != INK_FROM_OK && d->result != INK_DMARC_RES_PERMERROR)
            abort();
    }
    if (ink_inbound_authres(m, "mx.example.net", NULL, &s) < 0)
        goto out;
    {
        size_t i, hdr = strlen("Authentication-Results:");

        for (i = 0; i < s.len; i++)
            if ((s.buf[i] == '\n' && (i == 0 || s.buf[i - 1] != '\r' || i + 1 >= s.len ||
                                      s.buf[i + 1] != '\t')) ||
                (s.buf[i] == '\r' && (i + 1 >= s.len || s.buf[i + 1] != '\n')))
                abort(); /* a line break from the message, not a fold */
        a = ink_authres_parse((const uint8_t *)s.buf + hdr, s.len - hdr);
        if (a != NULL && (!a->ok || !ink_authres_is_ours((const uint8_t *)s.buf + hdr,
                                                         s.len - hdr, "mx.example.net")))
            abort();
        ink_authres_free(a);
    }
    pol = ink_policy_default();
    if (pol != NULL) {
        ink_policy_decide(pol, m, NULL, &v);
        if (v.action > INK_VERDICT_TEMPFAIL || v.smtp_reply[0] == '\0')
            abort();
        ink_policy_free(pol);
    }
out:
    ink_str_free(&s);
    ink_resolver_free(r);
    ink_inbound_free(m);
    return 0;
}
