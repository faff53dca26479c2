/*
 * msgcheck.c - what the receiver reads from the message's own header:
 * the Author Domain (RFC 9989 5.3.1) and the RFC 5322 section 3.6 sanity
 * checks (From, Date, Message-ID once; To, Reply-To, Sender parseable;
 * dates parseable).  Addresses and dates are parsed by GMime 3 from
 * memory (no I/O), never by hand.
 */
#include "inbound_int.h"

#include <gmime/gmime.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* inb_add - add a finding */
int inb_add(struct inb_findings *l, enum ink_severity sev, const char *area, const char *code,
            const char *subject, const char *fmt, ...)
{
    struct ink_finding *f;
    struct ink_str s = INK_STR_INIT;
    va_list ap;
    int rc;

    if (l->n >= INK_INBOUND_FINDINGS_MAX)
        return 0;
    va_start(ap, fmt);
    rc = ink_str_vprintf(&s, fmt, ap);
    va_end(ap);
    if (rc < 0)
        return -1;
    f = &l->f[l->n];
    memset(f, 0, sizeof(*f));
    f->severity = sev;
    f->area = area;
    f->code = code;
    f->offset = -1;
    f->message = ink_str_steal(&s);
    if (f->message == NULL)
        return -1;
    if (subject != NULL) {
        f->subject = ink_memdup_cstr(subject, strlen(subject));
        if (f->subject == NULL) {
            free(f->message);
            return -1;
        }
    }
    l->n++;
    return 0;
}

/* inb_findings_clear - free the list's findings */
void inb_findings_clear(struct inb_findings *l)
{
    size_t i;

    for (i = 0; i < l->n; i++)
        ink_finding_clear(&l->f[i]);
    l->n = 0;
}

/* gm_init - GMime's global set-up, once (the module runs on one thread at
 * a time per process; GMime itself needs this before any parse) */
static void gm_init(void)
{
    static int done;

    if (!done) {
        g_mime_init();
        done = 1;
    }
}

/* field_value - the value of field f unfolded (CR and LF dropped) as a
 * fresh C string; NULL on ENOMEM.  *has_nul is set when it holds a NUL. */
static char *field_value(const struct ink_mailhdr_field *f, int *has_nul)
{
    size_t n = f->len - f->value_off, i, k = 0;
    char *s = malloc(n + 1);

    *has_nul = 0;
    if (s == NULL)
        return NULL;
    for (i = 0; i < n; i++) {
        uint8_t c = f->raw[f->value_off + i];

        if (c == '\r' || c == '\n')
            continue;
        if (c == '\0') {
            *has_nul = 1;
            c = ' ';
        }
        s[k++] = (char)c;
    }
    s[k] = '\0';
    return s;
}

/* Address domains of one field value. */
struct addrs {
    size_t n;          /* mailboxes seen */
    size_t ndomains;   /* distinct domains */
    int bad;           /* a mailbox without a usable domain, or no parse */
    char domain[INK_INBOUND_ADDRS_MAX][INK_DNS_NAME_MAX + 1];
};

/* ascii_only - s holds no byte above 0x7f */
static int ascii_only(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s > 0x7f)
            return 0;
    return 1;
}

/* add_mailbox - take one mailbox's address */
static void add_mailbox(struct addrs *a, InternetAddressMailbox *mb)
{
    const char *addr = internet_address_mailbox_get_addr(mb);
    const char *at;
    char tmp[INK_DNS_NAME_MAX + 1];
    size_t i;
    int len;

    a->n++;
    /* the IDNA form only when there is something to convert: GMime's
     * conversion (libidn2) of an ASCII address changes nothing that the
     * normalization below does not, and cost a tenth of an evaluation */
    if (addr != NULL && !ascii_only(addr))
        addr = internet_address_mailbox_get_idn_addr(mb);
    if (addr == NULL || (at = strrchr(addr, '@')) == NULL || at == addr) {
        a->bad = 1;
        return;
    }
    len = ink_dns_name_normalize(at + 1, strlen(at + 1), tmp, sizeof(tmp));
    if (len <= 0 || strchr(tmp, '.') == NULL) {
        a->bad = 1;
        return;
    }
    for (i = 0; i < a->ndomains; i++)
        if (strcmp(a->domain[i], tmp) == 0)
            return;
    if (a->ndomains < INK_INBOUND_ADDRS_MAX)
        memcpy(a->domain[a->ndomains++], tmp, (size_t)len + 1);
}

/* add_list - walk a parsed list (groups one level deep: RFC 5322 groups
 * do not nest) */
static void add_list(struct addrs *a, InternetAddressList *l, int depth)
{
    int i, n = internet_address_list_length(l);

    for (i = 0; i < n && a->n < INK_INBOUND_ADDRS_MAX; i++) {
        InternetAddress *ia = internet_address_list_get_address(l, i);

        if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
            add_mailbox(a, INTERNET_ADDRESS_MAILBOX(ia));
        } else if (INTERNET_ADDRESS_IS_GROUP(ia) && depth == 0) {
            add_list(a, internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)), 1);
        }
    }
}

/* parse_addrs - parse field f's value as an address list into a; -1 ENOMEM */
static int parse_addrs(const struct ink_mailhdr_field *f, struct addrs *a)
{
    GMimeParserOptions *opts;
    InternetAddressList *l;
    int has_nul;
    char *v = field_value(f, &has_nul);

    /* the counters only: domain[] is written before it is read, and
     * zeroing all of it (16 KB) was a tenth of a warm evaluation */
    a->n = 0;
    a->ndomains = 0;
    a->bad = 0;
    if (v == NULL)
        return -1;
    gm_init();
    opts = g_mime_parser_options_new();
    /* GMime's loose mode: its strict mode leaks on some malformed lists
     * (3.2.13, found by fuzz_inbound); strictness is ours instead, every
     * mailbox must have a local part and a valid domain (add_mailbox) */
    g_mime_parser_options_set_address_compliance_mode(opts, GMIME_RFC_COMPLIANCE_LOOSE);
    l = internet_address_list_parse(opts, v);
    if (l == NULL || has_nul) {
        a->bad = 1;
    } else {
        add_list(a, l, 0);
        if (a->n == 0)
            a->bad = 1;
    }
    if (l != NULL)
        g_object_unref(l);
    g_mime_parser_options_free(opts);
    free(v);
    return 0;
}

/* find - the fields called name: count, and the first */
static size_t find(const struct ink_mailhdr *h, const char *name,
                   const struct ink_mailhdr_field **first)
{
    size_t i, n = 0, len = strlen(name);

    *first = NULL;
    for (i = 0; i < ink_mailhdr_count(h); i++) {
        const struct ink_mailhdr_field *f = ink_mailhdr_field(h, i);

        if (!f->malformed && ink_mailhdr_name_is(f, name, len)) {
            if (n++ == 0)
                *first = f;
        }
    }
    return n;
}

/* inb_author - the Author Domain */
int inb_author(const struct ink_mailhdr *h, char domain[INK_DNS_NAME_MAX + 1],
               enum ink_from_status *st, const char **reason)
{
    const struct ink_mailhdr_field *f;
    struct addrs *a;
    size_t n = find(h, "From", &f);

    domain[0] = '\0';
    *reason = NULL;
    if (n == 0) {
        *st = INK_FROM_NONE;
        *reason = "no From field: no Author Domain (RFC 9989 5.3.1; RFC 5322 3.6 requires one)";
        return 0;
    }
    if (n > 1) {
        *st = INK_FROM_MULTIPLE;
        *reason = "several From fields: outside DMARC (RFC 9989 4.2, 11.5; RFC 5322 3.6 allows one)";
        return 0;
    }
    a = malloc(sizeof(*a));
    if (a == NULL || parse_addrs(f, a) < 0) {
        free(a);
        return -1;
    }
    if (a->bad) {
        *st = INK_FROM_BAD;
        *reason = "the From field cannot be parsed as addresses with domains (RFC 9989 5.3.1)";
    } else if (a->ndomains > 1) {
        *st = INK_FROM_DOMAINS;
        *reason = "From holds addresses in different domains: more than one Author Domain "
                  "(RFC 9989 5.3.1, 11.5)";
    } else {
        *st = INK_FROM_OK;
        memcpy(domain, a->domain[0], strlen(a->domain[0]) + 1);
    }
    free(a);
    return 0;
}

/* check_once - a field RFC 5322 3.6 wants exactly once (required) or at
 * most once */
static int check_once(const struct ink_mailhdr *h, struct inb_findings *out, const char *name,
                      const char *code_missing, const char *code_multiple,
                      const struct ink_mailhdr_field **first)
{
    size_t n = find(h, name, first);

    if (n == 0 && code_missing != NULL)
        return inb_add(out, INK_SEV_ERROR, "rfc5322", code_missing, NULL,
                       "no %s field (RFC 5322 3.6 requires one)", name);
    if (n > 1)
        return inb_add(out, INK_SEV_ERROR, "rfc5322", code_multiple, NULL,
                       "%zu %s fields (RFC 5322 3.6 allows one)", n, name);
    return 0;
}

/* check_addrs - a field that must be an address list; its domains go to dom */
static int check_addrs(const struct ink_mailhdr *h, struct inb_findings *out,
                       struct inb_domains *dom, const char *name, const char *code_bad,
                       int collect)
{
    const struct ink_mailhdr_field *f;
    struct addrs *a;
    size_t i, k;

    if (find(h, name, &f) == 0)
        return 0;
    a = malloc(sizeof(*a));
    if (a == NULL || parse_addrs(f, a) < 0) {
        free(a);
        return -1;
    }
    if (a->bad && inb_add(out, INK_SEV_WARNING, "rfc5322", code_bad, NULL,
                          "the %s field does not parse as a list of addresses with domains",
                          name) < 0) {
        free(a);
        return -1;
    }
    for (i = 0; collect && i < a->ndomains; i++) {
        int seen = 0;

        for (k = 0; k < dom->n; k++)
            seen |= strcmp(dom->name[k], a->domain[i]) == 0;
        if (!seen && dom->n < INK_INBOUND_EXIST_MAX) {
            memcpy(dom->name[dom->n], a->domain[i], strlen(a->domain[i]) + 1);
            dom->field[dom->n++] = name;
        }
    }
    free(a);
    return 0;
}

/* msgid_ok - RFC 5322 3.6.4 msg-id: "<" id-left "@" id-right ">" (CFWS around) */
static int msgid_ok(const char *v)
{
    const char *lt, *gt, *at;

    while (*v == ' ' || *v == '\t')
        v++;
    lt = v;
    if (*lt != '<')
        return 0;
    gt = strchr(lt, '>');
    at = strchr(lt, '@');
    if (gt == NULL || at == NULL || at > gt || at == lt + 1 || at + 1 == gt)
        return 0;
    for (v = gt + 1; *v != '\0'; v++)
        if (*v != ' ' && *v != '\t')
            return 0;
    return 1;
}

/* inb_rfc5322 - the header checks */
int inb_rfc5322(const struct ink_mailhdr *h, struct inb_findings *out, struct inb_domains *dom)
{
    const struct ink_mailhdr_field *f;
    size_t i, nbad = 0;
    int has_nul;

    memset(dom, 0, sizeof(*dom));
    if (check_once(h, out, "From", "rfc5322-from-missing", "rfc5322-from-multiple", &f) < 0 ||
        check_once(h, out, "Date", "rfc5322-date-missing", "rfc5322-date-multiple", &f) < 0)
        return -1;
    if (f != NULL) {
        char *v = field_value(f, &has_nul);
        GDateTime *dt;

        if (v == NULL)
            return -1;
        gm_init();
        dt = has_nul ? NULL : g_mime_utils_header_decode_date(v);
        if (dt == NULL) {
            if (inb_add(out, INK_SEV_WARNING, "rfc5322", "rfc5322-date-bad", NULL,
                        "the Date field is not a valid date (RFC 5322 3.3)") < 0) {
                free(v);
                return -1;
            }
        } else {
            g_date_time_unref(dt);
        }
        free(v);
    }
    if (check_once(h, out, "Message-ID", "rfc5322-message-id-missing",
                   "rfc5322-message-id-multiple", &f) < 0)
        return -1;
    if (f != NULL) {
        char *v = field_value(f, &has_nul);
        int ok;

        if (v == NULL)
            return -1;
        ok = !has_nul && msgid_ok(v);
        free(v);
        if (!ok && inb_add(out, INK_SEV_WARNING, "rfc5322", "rfc5322-message-id-bad", NULL,
                           "the Message-ID is not <left@right> (RFC 5322 3.6.4)") < 0)
            return -1;
    }
    if (check_once(h, out, "Subject", NULL, "rfc5322-subject-multiple", &f) < 0 ||
        check_once(h, out, "To", NULL, "rfc5322-to-multiple", &f) < 0 ||
        check_once(h, out, "Reply-To", NULL, "rfc5322-reply-to-multiple", &f) < 0 ||
        check_once(h, out, "Sender", NULL, "rfc5322-sender-multiple", &f) < 0)
        return -1;
    if (check_addrs(h, out, dom, "From", "rfc5322-from-bad", 1) < 0 ||
        check_addrs(h, out, dom, "Sender", "rfc5322-sender-bad", 1) < 0 ||
        check_addrs(h, out, dom, "Reply-To", "rfc5322-reply-to-bad", 1) < 0 ||
        check_addrs(h, out, dom, "To", "rfc5322-to-bad", 0) < 0)
        return -1;
    for (i = 0; i < ink_mailhdr_count(h); i++)
        nbad += ink_mailhdr_field(h, i)->malformed != 0;
    if (nbad > 0 && inb_add(out, INK_SEV_WARNING, "rfc5322", "rfc5322-line-malformed", NULL,
                            "%zu header line%s neither a field nor a continuation", nbad,
                            nbad == 1 ? " is" : "s are") < 0)
        return -1;
    return 0;
}
