/*
 * audit_dkim.c - the audit's DKIM checks: for each selector given, the key
 * record at SELECTOR._domainkey.DOMAIN (CNAME delegation followed by the
 * resolver and reported), parsed with the DKIM key-record parser: present,
 * one record, key type and size (RFC 8301), revoked, testing flag.
 *
 * A selector whose key must be replaced (missing, revoked, too small,
 * malformed) is listed in ink_audit_key_wanted(): the caller may make a
 * new pair and publish it as the finding's fix (the audit makes no keys).
 */
#include <stdlib.h>
#include <string.h>

#include "audit_int.h"
#include "inkan/dkim_key.h"

/* RSA key size below which the audit suggests an upgrade (RFC 8301 asks
 * signers for at least 2048). */
#define AUDIT_DKIM_RSA_GOOD_BITS 2048

static void dkim_answer(struct ink_audit *a, size_t i, size_t unused_k,
                        const struct ink_dns_answer *ans);

/* dkim_start - one TXT query per selector */
static int dkim_start(struct ink_audit *a)
{
    char name[INK_DNS_NAME_MAX + 1];
    size_t i;
    struct ink_str shown = INK_STR_INIT;

    for (i = 0; i < a->nselectors; i++) {
        if (ink_dkim_key_name(a->selectors[i], a->domain, name, sizeof(name)) < 0) {
            ink_str_truncate(&shown, 0);
            ink_str_put_printable(&shown, a->selectors[i], strlen(a->selectors[i]), 64);
            audit_finding(a, INK_SEV_ERROR, "dkim", "dkim-bad-selector", ink_str_cstr(&shown),
                          NULL, "selector '%s' does not make a valid DNS name under %s",
                          ink_str_cstr(&shown), a->domain);
            continue;
        }
        if (audit_ask(a, name, INK_DNS_TXT, dkim_answer, i, 0) < 0 && a->nomem)
            break;
    }
    ink_str_free(&shown);
    return a->nomem ? -1 : 0;
}

/* without_testing - the key record text with the y flag taken out of t=
 * (the tag dropped when nothing else is left).  Caller frees. */
static char *without_testing(const uint8_t *text, size_t len)
{
    struct ink_str out = INK_STR_INIT;
    size_t i = 0, j, s, e, n = 0;

    while (i <= len) {
        j = i;
        while (j < len && text[j] != ';')
            j++;
        s = i;
        e = j;
        while (s < e && (text[s] == ' ' || text[s] == '\t'))
            s++;
        while (e > s && (text[e - 1] == ' ' || text[e - 1] == '\t'))
            e--;
        if (e > s) {
            size_t eq = s;

            while (eq < e && text[eq] != '=')
                eq++;
            {
                size_t ne = eq;

                while (ne > s && (text[ne - 1] == ' ' || text[ne - 1] == '\t'))
                    ne--;
                if (ne - s == 1 && text[s] == 't' && eq < e) {
                    /* keep every flag but y */
                    struct ink_str flags = INK_STR_INIT;
                    size_t f = eq + 1, g;

                    while (f <= e) {
                        g = f;
                        while (g < e && text[g] != ':')
                            g++;
                        {
                            size_t fs = f, fe = g;

                            while (fs < fe && (text[fs] == ' ' || text[fs] == '\t'))
                                fs++;
                            while (fe > fs && (text[fe - 1] == ' ' || text[fe - 1] == '\t'))
                                fe--;
                            if (fe > fs && !(fe - fs == 1 && text[fs] == 'y')) {
                                if (flags.len)
                                    ink_str_putc(&flags, ':');
                                ink_str_append(&flags, text + fs, fe - fs);
                            }
                        }
                        f = g + 1;
                    }
                    if (flags.len) {
                        ink_str_printf(&out, "%st=%s", n++ ? "; " : "", ink_str_cstr(&flags));
                    }
                    ink_str_free(&flags);
                    i = j + 1;
                    continue;
                }
            }
            if (n++)
                ink_str_puts(&out, "; ");
            ink_str_append(&out, text + s, e - s);
        }
        i = j + 1;
    }
    return ink_str_steal(&out);
}

/* dkim_answer - the key record of selector i */
static void dkim_answer(struct ink_audit *a, size_t i, size_t unused_k,
                        const struct ink_dns_answer *ans)
{
    const char *sel = a->selectors[i];
    char owner[INK_DNS_NAME_MAX + 1];
    const char *cname = NULL;
    size_t k, ntxt = 0, len = 0;
    uint8_t *text = NULL;
    struct ink_dkim_key *key;
    struct ink_finding *f;
    size_t w;

    (void)unused_k;
    if (ink_dkim_key_name(sel, a->domain, owner, sizeof(owner)) < 0)
        return;
    for (k = 0; k < ans->nrr; k++)
        if (ans->rr[k].type == INK_DNS_CNAME && cname == NULL)
            cname = ans->rr[k].name;
    if (cname != NULL) {
        audit_record(a, "dkim", owner, "CNAME", cname, strlen(cname));
        if (ans->status == INK_DNS_OK)
            audit_finding(a, INK_SEV_INFO, "dkim", "dkim-cname", owner, NULL,
                          "selector %s is delegated by CNAME to %s (the key is managed "
                          "there)",
                          sel, cname);
    }
    if (audit_is_temp(ans)) {
        audit_finding(a, INK_SEV_WARNING, "dkim", "dkim-temperror", owner, NULL,
                      "looking up the DKIM key %s failed (temporary DNS error)", owner);
        return;
    }
    for (k = 0; ans->status == INK_DNS_OK && k < ans->nrr; k++) {
        if (ans->rr[k].type != INK_DNS_TXT)
            continue;
        if (ntxt++ == 0)
            text = ink_dns_rr_txt_join(&ans->rr[k], &len);
    }
    if (ntxt == 0) {
        if (cname != NULL)
            f = audit_finding(a, INK_SEV_ERROR, "dkim", "dkim-cname-dangling", owner, NULL,
                              "selector %s is a CNAME to %s, which has no key record: "
                              "signatures with s=%s fail until the target publishes it",
                              sel, cname, sel);
        else
            f = audit_finding(a, INK_SEV_ERROR, "dkim", "dkim-missing", owner, NULL,
                              "no DKIM key record at %s: signatures with s=%s fail.  Publish "
                              "the public key of the signer's key pair (inkan dkim keygen "
                              "makes one)",
                              owner, sel);
        if (cname == NULL)
            audit_key_wanted(a, sel, owner, f);
        return;
    }
    if (text == NULL) {
        a->nomem = 1;
        return;
    }
    audit_record(a, "dkim", owner, "TXT", text, len);
    if (ntxt > 1)
        audit_finding(a, INK_SEV_ERROR, "dkim", "dkim-multiple", owner, NULL,
                      "%s has %zu TXT records: verifiers may pick any of them; keep only the "
                      "key record",
                      owner, ntxt);
    key = ink_dkim_key_parse(text, len);
    if (key == NULL) {
        a->nomem = 1;
        free(text);
        return;
    }
    switch (key->status) {
    case INK_DKIM_KEY_REVOKED:
        f = audit_finding(a, INK_SEV_ERROR, "dkim", "dkim-revoked", owner, NULL,
                          "the key of selector %s is revoked (empty p=): mail signed with "
                          "s=%s fails DKIM; sign with another selector or publish a new key",
                          sel, sel);
        audit_key_wanted(a, sel, owner, f);
        break;
    case INK_DKIM_KEY_MALFORMED:
        f = audit_finding(a, INK_SEV_ERROR, "dkim", "dkim-malformed", owner, NULL,
                          "the key record of selector %s is malformed: %s (byte %zu)", sel,
                          key->reason, key->reason_off);
        audit_key_wanted(a, sel, owner, f);
        break;
    case INK_DKIM_KEY_UNUSABLE:
        f = audit_finding(a, INK_SEV_ERROR, "dkim", "dkim-unusable", owner, NULL,
                          "the key of selector %s cannot verify mail: %s", sel, key->reason);
        audit_key_wanted(a, sel, owner, f);
        break;
    case INK_DKIM_KEY_OK:
    default:
        if (key->type == INK_DKIM_KEY_RSA && key->bits < INK_DKIM_RSA_BITS_MIN) {
            f = audit_finding(a, INK_SEV_ERROR, "dkim", "dkim-weak-key", owner, NULL,
                              "selector %s has a %u-bit RSA key: verifiers refuse keys below "
                              "%d bits (RFC 8301), so its signatures fail.  Replace it with a "
                              "%d-bit key",
                              sel, key->bits, INK_DKIM_RSA_BITS_MIN, AUDIT_DKIM_RSA_GOOD_BITS);
            audit_key_wanted(a, sel, owner, f);
        } else if (key->type == INK_DKIM_KEY_RSA && key->bits < AUDIT_DKIM_RSA_GOOD_BITS) {
            f = audit_finding(a, INK_SEV_WARNING, "dkim", "dkim-short-key", owner, NULL,
                              "selector %s has a %u-bit RSA key; %d bits is the norm now "
                              "(RFC 8301): rotate to a longer key",
                              sel, key->bits, AUDIT_DKIM_RSA_GOOD_BITS);
            audit_key_wanted(a, sel, owner, f);
        } else {
            audit_finding(a, INK_SEV_INFO, "dkim", "dkim-ok", owner, NULL,
                          "selector %s: %s key%s%.0u%s", sel,
                          ink_dkim_keytype_name(key->type),
                          key->type == INK_DKIM_KEY_RSA ? " of " : "",
                          key->type == INK_DKIM_KEY_RSA ? key->bits : 0,
                          key->type == INK_DKIM_KEY_RSA ? " bits" : "");
            if (key->type == INK_DKIM_KEY_ED25519 && a->nselectors == 1)
                audit_finding(a, INK_SEV_INFO, "dkim", "dkim-ed25519-only", owner, NULL,
                              "selector %s is Ed25519; not every verifier supports it (RFC "
                              "8463), so sign with an RSA key as well",
                              sel);
        }
        if (key->flags & INK_DKIM_FLAG_TESTING) {
            char *fixed = without_testing(text, len);
            char *line = fixed ? audit_fix_line(a, owner, INK_DNS_TXT, fixed) : NULL;

            audit_finding(a, INK_SEV_WARNING, "dkim", "dkim-testing", owner, line,
                          "selector %s has the testing flag (t=y): verifiers may treat its "
                          "signatures as unsigned mail.  Remove it once signing works",
                          sel);
            free(fixed);
            free(line);
        }
        for (w = 0; w < key->nwarn; w++)
            audit_finding(a, INK_SEV_INFO, "dkim", "dkim-key-note", owner, NULL,
                          "selector %s: %s (byte %zu)", sel, key->warn[w].msg,
                          key->warn[w].off);
        break;
    }
    ink_dkim_key_free(key);
    free(text);
}

const struct audit_area audit_area_dkim = {"dkim", dkim_start, NULL, NULL};
