/*
 * dkim.c - the `inkan dkim` command: verify, sign, keygen, testkey (and
 * rotate, in rotate.c).
 *
 * The DKIM work is done by the sans-I/O core (inkan/dkim.h,
 * inkan/dkim_key.h); this file reads files and stdin, runs the
 * verifier's key queries through the one driver (inkan/driver.h), and
 * prints results.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "inkan/dkim.h"
#include "inkan/dkim_key.h"
#include "inkan/mailhdr.h"
#include "inkan/dns.h"
#include "inkan/driver.h"
#include "inkan/query.h"
#include "inkan/signer.h"

/* Largest private-key file read. */
#define DKIM_CLI_KEYFILE_MAX (1u << 20)
/* Bytes read from a message per read(2). */
#define DKIM_CLI_READ_CHUNK (256u * 1024u)
/* Longest untrusted value (d=, s=, a=) printed on a result line. */
#define DKIM_CLI_SHOW_MAX 128

/* read_file_all - read a whole (small) file into out; 0, or -1 after
 * printing why (out is then freed: nothing read is kept) */
static int read_file_all(const char *path, size_t max, struct ink_str *out)
{
    FILE *fp = fopen(path, "rb");
    char buf[8192];
    size_t n;

    if (fp == NULL) {
        cli_error("%s: %s", path, strerror(errno));
        return -1;
    }
    while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
        if (out->len + n > max) {
            cli_error("%s: larger than %zu bytes", path, max);
            fclose(fp);
            ink_str_free(out);
            return -1;
        }
        if (ink_str_append(out, buf, n) < 0) {
            cli_error("%s: out of memory", path);
            fclose(fp);
            ink_str_free(out);
            return -1;
        }
    }
    if (ferror(fp)) {
        cli_error("%s: read error: %s", path, strerror(errno));
        fclose(fp);
        ink_str_free(out);
        return -1;
    }
    fclose(fp);
    return 0;
}

/* write_file - create path with mode and write buf; excl refuses to
 * replace an existing file.  0, or -1 after printing why. */
static int write_file(const char *path, const void *buf, size_t len, mode_t mode, int excl)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | (excl ? O_EXCL : 0) | O_CLOEXEC, mode);
    const char *p = buf;

    if (fd < 0) {
        if (errno == EEXIST)
            cli_error("%s: exists already (use --force to replace it)", path);
        else
            cli_error("%s: %s", path, strerror(errno));
        return -1;
    }
    /* the mode of a replaced file is not changed by open(): set it */
    if (fchmod(fd, mode) < 0) {
        cli_error("%s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            cli_error("%s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    if (close(fd) < 0) {
        cli_error("%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/*
 * check_dkim_names - refuse a --domain or --selector that is not RFC 6376
 * syntax (it would be written into d=/s=, file names and zone lines).
 * One trailing dot of the domain is dropped: dom (size INK_DNS_NAME_MAX
 * + 2) receives the domain to use.  0, or -1 after printing why.
 */
static int check_dkim_names(const char *cmd, const char *selector, const char *domain, char *dom)
{
    size_t dl = strlen(domain), erroff = 0;
    const char *why = NULL;
    struct ink_str m = INK_STR_INIT;

    if (dl > 1 && domain[dl - 1] == '.')
        dl--;
    if (ink_dkim_domain_check(domain, dl, &erroff, &why) < 0) {
        ink_str_put_printable(&m, domain, strlen(domain), DKIM_CLI_SHOW_MAX);
        cli_error("%s: --domain '%s' is not a domain name: %s at offset %zu", cmd,
                  ink_str_cstr(&m), why, erroff);
        ink_str_free(&m);
        return -1;
    }
    if (ink_dkim_selector_check(selector, strlen(selector), &erroff, &why) < 0) {
        ink_str_put_printable(&m, selector, strlen(selector), DKIM_CLI_SHOW_MAX);
        cli_error("%s: --selector '%s' is not a selector: %s at offset %zu", cmd,
                  ink_str_cstr(&m), why, erroff);
        ink_str_free(&m);
        return -1;
    }
    memcpy(dom, domain, dl);
    dom[dl] = '\0';
    return 0;
}

/* ---- keygen ---- */

enum {
    OPT_DOMAIN = CLI_OPT_FIRST_FREE,
    OPT_SELECTOR,
    OPT_TYPE,
    OPT_BITS,
    OPT_OUT,
    OPT_TTL,
    OPT_TESTING,
    OPT_FORCE,
    OPT_KEY,
    OPT_ALGORITHM,
    OPT_CANON,
    OPT_HEADERS,
    OPT_OVERSIGN,
    OPT_TIME,
    OPT_EXPIRE,
    OPT_IDENTITY,
    OPT_NO_LF,
    OPT_BODY_LENGTH,
    OPT_SIGNER,
    OPT_SIGNER_USER
};

static void keygen_usage(FILE *fp)
{
    fprintf(fp,
            "usage: inkan dkim keygen --domain D --selector S [--type rsa|ed25519] [--bits N]\n"
            "                         --out DIR [--ttl SECONDS] [--testing] [--force] [--json]\n\n"
            "Generate a DKIM key pair and the DNS record that publishes it.\n\n"
            "  --domain D        the signing domain (d=)\n"
            "  --selector S      the selector (s=); the record goes to S._domainkey.D\n"
            "  --type T          rsa (default) or ed25519 (RFC 8463)\n"
            "  --bits N          RSA modulus size, 1024..8192 (default 2048)\n"
            "  --out DIR         write DIR/S.D.private (PEM, mode 0600), DIR/S.D.zone\n"
            "                    (zone-file line, TXT split into 255-byte strings) and\n"
            "                    DIR/S.D.json\n"
            "  --ttl SECONDS     TTL of the zone-file line (default 3600)\n"
            "  --testing         publish with t=y (receivers treat failures as unsigned)\n"
            "  --force           replace existing files\n"
            "  --json            print the JSON description instead of the zone line\n\n"
            "Prints the zone-file line on stdout.  Exit 0 done, 1 error, 2 usage.\n");
}

/* txt_strings_json - the record split into <=255-byte strings, as a JSON array */
static json_t *txt_strings_json(const char *text, size_t len)
{
    json_t *a = json_array();
    size_t off;

    for (off = 0; a != NULL && off < len; off += INK_DNS_TXT_STRING_MAX) {
        size_t n = len - off < INK_DNS_TXT_STRING_MAX ? len - off : INK_DNS_TXT_STRING_MAX;
        json_array_append_new(a, json_stringn(text + off, n));
    }
    return a;
}

/* cmd_dkim_keygen - inkan dkim keygen */
static int cmd_dkim_keygen(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"domain", required_argument, NULL, OPT_DOMAIN},
        {"selector", required_argument, NULL, OPT_SELECTOR},
        {"type", required_argument, NULL, OPT_TYPE},
        {"bits", required_argument, NULL, OPT_BITS},
        {"out", required_argument, NULL, OPT_OUT},
        {"ttl", required_argument, NULL, OPT_TTL},
        {"testing", no_argument, NULL, OPT_TESTING},
        {"force", no_argument, NULL, OPT_FORCE},
        {NULL, 0, NULL, 0},
    };
    const char *domain = NULL, *selector = NULL, *outdir = NULL;
    enum ink_dkim_keytype type = INK_DKIM_KEY_RSA;
    unsigned long bits = 0, ttl = INK_DKIM_TXT_TTL_DEFAULT;
    int testing = 0, force = 0, json = 0, opt, rc = INK_EXIT_OPERR, bits_given = 0;
    char owner[INK_DNS_NAME_MAX + 1], dombuf[INK_DNS_NAME_MAX + 2], *end;
    struct ink_str pem = INK_STR_INIT, rec = INK_STR_INIT, err = INK_STR_INIT;
    struct ink_str zone = INK_STR_INIT, path = INK_STR_INIT, base = INK_STR_INIT;
    struct ink_dkim_privkey *pk = NULL;
    json_t *j = NULL;
    char *js = NULL;
    const struct cli_optset set = {.own = longopts, .json = &json, .usage = keygen_usage};

    optind = 1;
    while ((opt = cli_getopt(&set, argc, argv)) != -1) {
        switch (opt) {
        case OPT_DOMAIN:
            domain = optarg;
            break;
        case OPT_SELECTOR:
            selector = optarg;
            break;
        case OPT_TYPE:
            if (strcmp(optarg, "rsa") == 0)
                type = INK_DKIM_KEY_RSA;
            else if (strcmp(optarg, "ed25519") == 0)
                type = INK_DKIM_KEY_ED25519;
            else {
                cli_error("dkim keygen: --type must be rsa or ed25519, not '%s'", optarg);
                return INK_EXIT_USAGE;
            }
            break;
        case OPT_BITS:
            errno = 0;
            bits = strtoul(optarg, &end, 10);
            if (errno || end == optarg || *end || bits < INK_DKIM_RSA_BITS_MIN ||
                bits > INK_DKIM_RSA_BITS_MAX) {
                cli_error("dkim keygen: --bits must be %d..%d, not '%s'", INK_DKIM_RSA_BITS_MIN,
                          INK_DKIM_RSA_BITS_MAX, optarg);
                return INK_EXIT_USAGE;
            }
            bits_given = 1;
            break;
        case OPT_OUT:
            outdir = optarg;
            break;
        case OPT_TTL:
            errno = 0;
            ttl = strtoul(optarg, &end, 10);
            if (errno || end == optarg || *end || ttl > INT32_MAX) {
                cli_error("dkim keygen: --ttl '%s' is not a number of seconds", optarg);
                return INK_EXIT_USAGE;
            }
            break;
        case OPT_TESTING:
            testing = 1;
            break;
        case OPT_FORCE:
            force = 1;
            break;
        case CLI_GETOPT_HELP:
            return INK_EXIT_OK;
        default: /* CLI_GETOPT_USAGE: said why */
            return INK_EXIT_USAGE;
        }
    }
    if (optind < argc || domain == NULL || selector == NULL || outdir == NULL) {
        cli_error("dkim keygen: %s", optind < argc ? "unexpected argument"
                                                   : "--domain, --selector and --out are required");
        keygen_usage(stderr);
        return INK_EXIT_USAGE;
    }
    if (bits_given && type == INK_DKIM_KEY_ED25519) {
        cli_error("dkim keygen: --bits applies to RSA keys only");
        return INK_EXIT_USAGE;
    }
    if (check_dkim_names("dkim keygen", selector, domain, dombuf) < 0)
        return INK_EXIT_USAGE;
    domain = dombuf;
    if (ink_dkim_key_name(selector, domain, owner, sizeof(owner)) < 0) {
        cli_error("dkim keygen: '%s._domainkey.%s' is not a valid DNS name", selector, domain);
        return INK_EXIT_USAGE;
    }

    if (ink_dkim_keygen(type, (unsigned)bits, &pem, NULL, &err) < 0) {
        cli_error("dkim keygen: %s", ink_str_cstr(&err));
        goto done;
    }
    pk = ink_dkim_privkey_parse((const uint8_t *)pem.buf, pem.len, &err);
    if (pk == NULL || ink_dkim_privkey_record(pk, testing ? INK_DKIM_FLAG_TESTING : 0, &rec) < 0 ||
        ink_dkim_txt_zone_line(owner, (uint32_t)ttl, (const uint8_t *)rec.buf, rec.len, &zone) < 0) {
        cli_error("dkim keygen: cannot encode the key: %s", ink_str_cstr(&err));
        goto done;
    }
    j = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:I, s:s, s:o}", "domain", domain, "selector",
                  selector, "name", owner, "type", "TXT", "ttl", (json_int_t)ttl, "key_type",
                  ink_dkim_keytype_name(type), "bits", (json_int_t)ink_dkim_privkey_bits(pk),
                  "value", ink_str_cstr(&rec), "strings", txt_strings_json(rec.buf, rec.len));
    if (j == NULL) {
        cli_error("dkim keygen: out of memory");
        goto done;
    }
    /* the key directory is made private to the user when it is new */
    if (mkdir(outdir, 0700) < 0 && errno != EEXIST) {
        cli_error("dkim keygen: --out %s: %s", outdir, strerror(errno));
        goto done;
    }
    ink_str_printf(&base, "%s/%s.%s", outdir, selector, domain);
    ink_str_printf(&path, "%s.private", ink_str_cstr(&base));
    json_object_set_new(j, "private_key_file", json_string(ink_str_cstr(&path)));
    js = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (js == NULL) {
        cli_error("dkim keygen: out of memory");
        goto done;
    }
    if (!force) {
        /* refuse before writing anything, so no half-written set is left */
        static const char *const sfx[] = {".private", ".zone", ".json"};
        size_t si;
        for (si = 0; si < 3; si++) {
            struct ink_str p = INK_STR_INIT;
            struct stat st;
            ink_str_printf(&p, "%s%s", ink_str_cstr(&base), sfx[si]);
            if (stat(ink_str_cstr(&p), &st) == 0) {
                cli_error("%s: exists already (use --force to replace it)", ink_str_cstr(&p));
                ink_str_free(&p);
                goto done;
            }
            ink_str_free(&p);
        }
    }
    if (cli_secret_write(ink_str_cstr(&path), pem.buf, pem.len, force) < 0)
        goto done;
    ink_str_truncate(&path, 0);
    ink_str_printf(&path, "%s.zone", ink_str_cstr(&base));
    if (write_file(ink_str_cstr(&path), zone.buf, zone.len, 0644, !force) < 0)
        goto done;
    ink_str_truncate(&path, 0);
    ink_str_printf(&path, "%s.json", ink_str_cstr(&base));
    {
        struct ink_str jsn = INK_STR_INIT;
        ink_str_printf(&jsn, "%s\n", js);
        if (write_file(ink_str_cstr(&path), jsn.buf, jsn.len, 0644, !force) < 0) {
            ink_str_free(&jsn);
            goto done;
        }
        ink_str_free(&jsn);
    }
    if (json)
        printf("%s\n", js);
    else
        fputs(ink_str_cstr(&zone), stdout);
    rc = INK_EXIT_OK;
done:
    free(js);
    json_decref(j);
    ink_dkim_privkey_free(pk);
    ink_str_free(&pem);
    ink_str_free(&rec);
    ink_str_free(&err);
    ink_str_free(&zone);
    ink_str_free(&path);
    ink_str_free(&base);
    return rc;
}

/* ---- verify ---- */

static void verify_usage(FILE *fp)
{
    fprintf(fp,
            "usage: inkan dkim verify [--zone FILE | --dns HOST[:PORT]] [--json] [--now TIME]\n"
            "                         [FILE...]\n\n"
            "Verify every DKIM-Signature of a message (stdin, or each FILE in turn).\n\n"
            "  --json            print everything known as JSON: header and body hash\n"
            "                    results, key type and size, DNSSEC state of the key\n"
            "  --now TIME        Unix time to check t= and x= against (default: now;\n"
            "                    0 skips the check)\n" CLI_DNS_HELP
            "\nOne line per signature: the result (pass, fail, neutral, policy, temperror,\n"
            "permerror), d=, s=, a= and the reason in parentheses; 'none' for a message\n"
            "without signatures.  Only the first 16 signatures are verified; a last\n"
            "line 'not-checked: N more ...' counts the others.  With several FILEs each\n"
            "line starts with 'FILE: '.\n"
            "Exit 0 when verification ran (whatever the results), 1 operational error,\n"
            "2 usage.\n");
}

/* put_show - append an untrusted value for a result line */
static void put_show(struct ink_str *o, const char *v)
{
    ink_str_put_printable(o, v, strlen(v), DKIM_CLI_SHOW_MAX);
}

/* How the driver ended a verifier (set by verify_ended). */
struct verify_end {
    int ended;
    enum ink_next how;
};

/* verify_ended - the driver is done with the verifier */
static void verify_ended(void *arg, struct ink_machine m, enum ink_next how)
{
    struct verify_end *e = arg;

    (void)m;
    e->ended = 1;
    e->how = how;
}

/* result_json - one signature's result as JSON */
static json_t *result_json(const struct ink_dkim_result *r)
{
    const struct ink_dkim_sig *sg = r->sig;
    json_t *j = json_object(), *h = json_array();
    struct ink_str c = INK_STR_INIT;
    size_t i;

    json_object_set_new(j, "result", json_string(ink_dkim_result_name(r->code)));
    json_object_set_new(j, "reason", json_string(r->reason));
    json_object_set_new(j, "d", json_string(r->d));
    json_object_set_new(j, "s", json_string(r->s));
    json_object_set_new(j, "a", json_string(r->alg));
    json_object_set_new(j, "field_index", json_integer((json_int_t)r->field_index));
    json_object_set_new(j, "field_offset", json_integer((json_int_t)r->field_off));
    if (sg != NULL && sg->ok) {
        json_object_set_new(j, "i", json_string(sg->i ? sg->i : ""));
        ink_str_printf(&c, "%s/%s", ink_dkim_canon_name(sg->hcanon), ink_dkim_canon_name(sg->bcanon));
        json_object_set_new(j, "c", json_string(ink_str_cstr(&c)));
        for (i = 0; i < sg->nh; i++)
            json_array_append_new(h, json_string(sg->h[i]));
        if (sg->has_t)
            json_object_set_new(j, "t", json_integer((json_int_t)sg->t));
        if (sg->has_x)
            json_object_set_new(j, "x", json_integer((json_int_t)sg->x));
        if (sg->has_l)
            json_object_set_new(j, "l", json_integer(sg->l > INT64_MAX ? INT64_MAX : (json_int_t)sg->l));
    }
    json_object_set_new(j, "h", h);
    json_object_set_new(j, "header_signature",
                        json_string(r->header_sig_ok < 0 ? "not-checked"
                                                         : r->header_sig_ok ? "pass" : "fail"));
    {
        json_t *b = json_object();
        struct ink_str exp = INK_STR_INIT;
        json_object_set_new(b, "result", json_string(r->body_hash_ok < 0 ? "not-computed"
                                                     : r->body_hash_ok ? "pass" : "fail"));
        if (r->body_hash[0])
            json_object_set_new(b, "computed", json_string(r->body_hash));
        if (sg != NULL && sg->bh != NULL) {
            static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
            size_t k;
            for (k = 0; k < sg->bhlen; k += 3) {
                uint32_t v = (uint32_t)sg->bh[k] << 16;
                if (k + 1 < sg->bhlen)
                    v |= (uint32_t)sg->bh[k + 1] << 8;
                if (k + 2 < sg->bhlen)
                    v |= sg->bh[k + 2];
                ink_str_putc(&exp, tbl[(v >> 18) & 63]);
                ink_str_putc(&exp, tbl[(v >> 12) & 63]);
                ink_str_putc(&exp, k + 1 < sg->bhlen ? tbl[(v >> 6) & 63] : '=');
                ink_str_putc(&exp, k + 2 < sg->bhlen ? tbl[v & 63] : '=');
            }
            json_object_set_new(b, "expected", json_string(ink_str_cstr(&exp)));
        }
        if (r->body_hash_ok >= 0) {
            json_object_set_new(b, "hashed_bytes", json_integer((json_int_t)r->body_len));
            json_object_set_new(b, "body_bytes", json_integer((json_int_t)r->body_total));
        }
        json_object_set_new(j, "body_hash", b);
        ink_str_free(&exp);
    }
    json_object_set_new(j, "l_risk", json_boolean(r->l_risk));
    if (r->body_wsp_kept)
        json_object_set_new(j, "body_wsp_kept", json_true());
    if (r->key_name[0]) {
        json_t *k = json_object();
        json_object_set_new(k, "name", json_string(r->key_name));
        json_object_set_new(k, "dns_status", json_string(ink_dns_status_name(r->dns_status)));
        json_object_set_new(k, "dnssec", json_string(ink_dnssec_name(r->dnssec)));
        if (r->key_type != INK_DKIM_KEY_UNKNOWN || r->key_bits) {
            json_object_set_new(k, "type", json_string(ink_dkim_keytype_name(r->key_type)));
            json_object_set_new(k, "bits", json_integer(r->key_bits));
            json_object_set_new(k, "testing", json_boolean(r->key_flags & INK_DKIM_FLAG_TESTING));
            json_object_set_new(k, "strict", json_boolean(r->key_flags & INK_DKIM_FLAG_STRICT));
        }
        json_object_set_new(j, "key", k);
    }
    ink_str_free(&c);
    return j;
}

/*
 * verify_one - verify the message on fd; print its results (prefix
 * before each line when not NULL) or add them to jout.  0, or -1 after
 * printing why.
 */
static int verify_one(int fd, const char *label, const char *prefix, struct ink_driver *drv,
                      const struct ink_dkim_verify_opts *vo, json_t *jout, int json)
{
    struct ink_dkim_verify *v = ink_dkim_verify_new(vo);
    uint8_t *buf = malloc(DKIM_CLI_READ_CHUNK);
    struct ink_str line = INK_STR_INIT;
    struct verify_end e = {0, INK_NEXT_FAILED};
    struct ink_machine mach;
    int rc = -1, read_errno = 0, drv_rc;
    size_t i;

    if (v == NULL || buf == NULL) {
        cli_error("dkim verify: out of memory");
        goto done;
    }
    mach = ink_dkim_verify_machine(v);
    if (ink_driver_add(drv, mach, verify_ended, &e) < 0) {
        cli_error("dkim verify: out of memory");
        goto done;
    }
    /* From here every path ends the message and runs the driver until it
     * lets go of the verifier, so that v can be freed. */
    for (;;) {
        ssize_t n = read(fd, buf, DKIM_CLI_READ_CHUNK);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            read_errno = errno;
            break;
        }
        if (n == 0)
            break;
        if (ink_dkim_verify_push(v, buf, (size_t)n) < 0)
            break;
        /* key lookups start as soon as the header is in: poll answers */
        (void)ink_driver_poke(drv, mach);
        (void)ink_driver_step(drv, 0);
    }
    (void)ink_dkim_verify_end(v); /* after a failed push: -1 again, FAILED */
    (void)ink_driver_poke(drv, mach);
    drv_rc = ink_driver_run(drv);
    if (read_errno != 0) {
        cli_error("dkim verify: %s: %s", label, strerror(read_errno));
        goto done;
    }
    if (!e.ended) {
        /* cannot happen once end() was called (the verifier then waits
         * only on queries it asked); the driver still holds v, so v is
         * left to the process rather than freed under it */
        cli_error("dkim verify: %s: key answers are missing", label);
        v = NULL;
        goto done;
    }
    if (e.how == INK_NEXT_FAILED) {
        cli_error("dkim verify: %s: %s", label, ink_dkim_verify_error(v));
        goto done;
    }
    if (drv_rc < 0) {
        cli_error("dkim verify: %s: the resolver failed", label);
        goto done;
    }
    if (json) {
        json_t *m = json_object(), *sigs = json_array();
        for (i = 0; i < ink_dkim_verify_count(v); i++)
            json_array_append_new(sigs, result_json(ink_dkim_verify_result(v, i)));
        if (prefix != NULL)
            json_object_set_new(m, "file", json_string(label));
        json_object_set_new(m, "result", json_string(ink_dkim_verify_count(v) ? "signed" : "none"));
        json_object_set_new(m, "signatures", sigs);
        /* signatures past the limit: not verified, and said so */
        json_object_set_new(m, "not_checked", json_integer((json_int_t)ink_dkim_verify_skipped(v)));
        json_array_append_new(jout, m);
    } else if (ink_dkim_verify_count(v) == 0) {
        printf("%s%snone\n", prefix ? prefix : "", prefix ? ": " : "");
    } else {
        for (i = 0; i < ink_dkim_verify_count(v); i++) {
            const struct ink_dkim_result *res = ink_dkim_verify_result(v, i);
            ink_str_truncate(&line, 0);
            if (prefix != NULL)
                ink_str_printf(&line, "%s: ", prefix);
            ink_str_printf(&line, "%s d=", ink_dkim_result_name(res->code));
            put_show(&line, res->d);
            ink_str_puts(&line, " s=");
            put_show(&line, res->s);
            ink_str_puts(&line, " a=");
            put_show(&line, res->alg);
            if (res->reason[0]) {
                ink_str_puts(&line, " (");
                put_show(&line, res->reason);
                ink_str_putc(&line, ')');
            }
            printf("%s\n", ink_str_cstr(&line));
        }
        if (ink_dkim_verify_skipped(v) > 0)
            printf("%s%snot-checked: %zu more DKIM-Signature field%s (only the first %d are "
                   "verified)\n",
                   prefix ? prefix : "", prefix ? ": " : "", ink_dkim_verify_skipped(v),
                   ink_dkim_verify_skipped(v) == 1 ? "" : "s", INK_DKIM_SIGNATURES_MAX);
    }
    rc = 0;
done:
    ink_str_free(&line);
    free(buf);
    ink_dkim_verify_free(v);
    return rc;
}

/* cmd_dkim_verify - inkan dkim verify */
static int cmd_dkim_verify(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"now", required_argument, NULL, OPT_TIME},
        {NULL, 0, NULL, 0},
    };
    struct ink_resolver_opts ropts = {0};
    struct ink_dkim_verify_opts vo = {0};
    struct ink_driver_opts dopts = {0};
    struct ink_resolver *r = NULL;
    struct ink_driver *drv = NULL;
    json_t *jout = NULL;
    int json = 0, opt, rc = INK_EXIT_OK, nfiles, fi;
    char *end;
    const struct cli_optset set = {
        .own = longopts, .dns = &ropts, .json = &json, .usage = verify_usage};

    vo.now = (uint64_t)time(NULL);
    vo.flags = INK_DKIM_VERIFY_LF_TO_CRLF;
    optind = 1;
    while ((opt = cli_getopt(&set, argc, argv)) != -1) {
        switch (opt) {
        case OPT_TIME:
            errno = 0;
            vo.now = strtoull(optarg, &end, 10);
            if (errno || end == optarg || *end) {
                cli_error("dkim verify: --now '%s' is not a Unix time", optarg);
                return INK_EXIT_USAGE;
            }
            break;
        case CLI_GETOPT_HELP:
            return INK_EXIT_OK;
        default: /* CLI_GETOPT_USAGE: said why */
            return INK_EXIT_USAGE;
        }
    }
    r = cli_resolver_open(&ropts);
    if (r == NULL)
        return INK_EXIT_OPERR;
    /* one driver for every file: a key asked for one message is
     * answered from its cache for the next */
    dopts.timeout_ms = ropts.timeout_ms;
    dopts.no_cache = ropts.no_cache;
    drv = ink_driver_new(r, &dopts);
    if (drv == NULL) {
        cli_error("dkim verify: out of memory");
        ink_resolver_free(r);
        return INK_EXIT_OPERR;
    }
    vo.cache = ink_dkim_keycache_new();
    jout = json_array();
    nfiles = argc - optind;
    if (nfiles == 0) {
        if (verify_one(STDIN_FILENO, "stdin", NULL, drv, &vo, jout, json) < 0)
            rc = INK_EXIT_OPERR;
    }
    for (fi = optind; fi < argc; fi++) {
        int fd = open(argv[fi], O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            cli_error("dkim verify: %s: %s", argv[fi], strerror(errno));
            rc = INK_EXIT_OPERR;
            continue;
        }
        if (verify_one(fd, argv[fi], nfiles > 1 ? argv[fi] : NULL, drv, &vo, jout, json) < 0)
            rc = INK_EXIT_OPERR;
        close(fd);
    }
    if (json) {
        char *js = json_dumps(nfiles > 1 ? jout : json_array_get(jout, 0),
                              JSON_INDENT(2) | JSON_SORT_KEYS);
        if (js != NULL)
            printf("%s\n", js);
        free(js);
    }
    json_decref(jout);
    ink_driver_free(drv);
    ink_dkim_keycache_free(vo.cache);
    ink_resolver_free(r);
    return rc;
}

/* ---- sign ---- */

static void sign_usage(FILE *fp)
{
    fprintf(fp,
            "usage: inkan dkim sign --domain D --selector S --key FILE\n"
            "                       [--algorithm rsa-sha256|ed25519-sha256] [--canon H/B]\n"
            "                       [--identity I] [--headers LIST] [--oversign LIST]\n"
            "                       [--expire SECONDS] [--no-timestamp] [--body-length]\n"
            "                       [--signer [--signer-user USER]]\n"
            "                       [--domain D --selector S --key FILE ...] < message\n\n"
            "Sign the message on stdin and write it, signed, on stdout.  Give\n"
            "--domain/--selector/--key (and --algorithm, --canon, --identity) once per\n"
            "signature to sign with several keys in one pass (RSA and Ed25519 side by\n"
            "side); an option given once applies to every signature.\n\n"
            "  --algorithm A     rsa-sha256 or ed25519-sha256 (default: from the key)\n"
            "  --canon H/B       header/body canonicalization (default relaxed/relaxed)\n"
            "  --identity I      i= (an address in D or a subdomain)\n"
            "  --headers LIST    fields to sign, colon-separated (default: RFC 6376 5.4.1's\n"
            "                    list plus Message-ID, MIME fields, List-Unsubscribe-Post)\n"
            "  --oversign LIST   fields signed once more than present, so none can be\n"
            "                    added (default From; '' for none)\n"
            "  --expire SECONDS  add x= that many seconds after t=\n"
            "  --no-timestamp    leave out t=\n"
            "  --body-length     add l= (lets anyone append to the body: not advised)\n"
            "  --signer          keep the keys in a separate signer process: only it reads\n"
            "                    the key files (refused if group or others may read them)\n"
            "                    and signs the header hashes this process sends it\n"
            "  --signer-user U   the user the signer drops to after reading the keys\n"
            "                    (default when run as root: nobody)\n\n"
            "Exit 0 signed, 1 error (unreadable key, malformed message), 2 usage.\n");
}

/* sign_set_opt - record the Nth occurrence of a per-signature option */
static int sign_set_opt(const char **slot, size_t *count, const char *val, const char *name)
{
    if (*count >= INK_DKIM_SIGN_KEYS_MAX) {
        cli_error("dkim sign: at most %d signatures (too many %s)", INK_DKIM_SIGN_KEYS_MAX, name);
        return -1;
    }
    slot[(*count)++] = val;
    return 0;
}

/* parse_canon_opt - "relaxed/simple" style; -1 if bad */
static int parse_canon_opt(const char *v, enum ink_dkim_canon *h, enum ink_dkim_canon *b)
{
    const char *slash = strchr(v, '/');
    size_t hl = slash ? (size_t)(slash - v) : strlen(v);

    if (hl == 6 && strncmp(v, "simple", 6) == 0)
        *h = INK_DKIM_CANON_SIMPLE;
    else if (hl == 7 && strncmp(v, "relaxed", 7) == 0)
        *h = INK_DKIM_CANON_RELAXED;
    else
        return -1;
    if (slash == NULL) {
        *b = INK_DKIM_CANON_SIMPLE;
        return 0;
    }
    if (strcmp(slash + 1, "simple") == 0)
        *b = INK_DKIM_CANON_SIMPLE;
    else if (strcmp(slash + 1, "relaxed") == 0)
        *b = INK_DKIM_CANON_RELAXED;
    else
        return -1;
    return 0;
}

/* open_spool - an unlinked temporary file (in $TMPDIR or /tmp) to keep a
 * message read from a pipe; the fd, or -1 after printing why */
static int open_spool(void)
{
    const char *dir = getenv("TMPDIR");
    struct ink_str path = INK_STR_INIT;
    int fd;

    if (dir == NULL || dir[0] != '/')
        dir = "/tmp";
    ink_str_printf(&path, "%s/inkan-sign-XXXXXX", dir);
    fd = path.buf != NULL ? mkstemp(path.buf) : -1;
    if (fd < 0) {
        cli_error("dkim sign: cannot make a temporary file in %s: %s", dir, strerror(errno));
        ink_str_free(&path);
        return -1;
    }
    unlink(path.buf); /* gone at exit, whatever happens */
    ink_str_free(&path);
    return fd;
}

/* write_fd - write all of p/n to fd; 0 or -1 (errno set) */
static int write_fd(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/*
 * sign_stream - sign the message on stdin and write it out after its
 * signatures, in memory that does not grow with the message: one pass
 * through the signer, then a second pass copying the message to stdout,
 * re-read from stdin when it is a file, else from a temporary file it was
 * spooled to.  buf: DKIM_CLI_READ_CHUNK bytes; out receives the
 * signature fields.  0, or -1 after printing why.
 */
static int sign_stream(struct ink_dkim_sign *signer, uint8_t *buf, struct ink_str *out)
{
    struct stat st;
    off_t start = -1;
    int spool = -1, src, rc = -1, seen_lf = 0, lf_bare = 0;
    uint64_t total = 0, left;
    uint8_t last = 0;
    const char *eol;

    if (fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode))
        start = lseek(STDIN_FILENO, 0, SEEK_CUR);
    if (start < 0 && (spool = open_spool()) < 0)
        return -1;
    for (;;) {
        ssize_t n = read(STDIN_FILENO, buf, DKIM_CLI_READ_CHUNK);
        const uint8_t *lf;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            cli_error("dkim sign: stdin: %s", strerror(errno));
            goto done;
        }
        if (n == 0)
            break;
        if (spool >= 0 && write_fd(spool, buf, (size_t)n) < 0) {
            cli_error("dkim sign: writing the temporary copy of the message: %s", strerror(errno));
            goto done;
        }
        if (ink_dkim_sign_push(signer, buf, (size_t)n) < 0) {
            cli_error("dkim sign: %s", ink_dkim_sign_error(signer));
            goto done;
        }
        /* the signatures get the line ending of the message's first line */
        if (!seen_lf && (lf = memchr(buf, '\n', (size_t)n)) != NULL) {
            uint8_t before = lf > buf ? lf[-1] : last;
            seen_lf = 1;
            lf_bare = (total > 0 || lf > buf) && before != '\r';
        }
        last = buf[n - 1];
        total += (uint64_t)n;
    }
    eol = seen_lf && lf_bare ? "\n" : "\r\n";
    if (total > 0 && last != '\n') {
        /* a message ends with a line ending (SMTP adds one anyway): add
         * it before signing, so that no verifier has to guess how an
         * unterminated last line is canonicalized */
        if (ink_dkim_sign_push(signer, (const uint8_t *)eol, strlen(eol)) < 0) {
            cli_error("dkim sign: %s", ink_dkim_sign_error(signer));
            goto done;
        }
    }
    if (ink_dkim_sign_end(signer, eol, out) < 0) {
        cli_error("dkim sign: %s", ink_dkim_sign_error(signer));
        goto done;
    }
    /* second pass: the signatures, then the message as it was read */
    src = spool >= 0 ? spool : STDIN_FILENO;
    if (lseek(src, spool >= 0 ? 0 : start, SEEK_SET) < 0) {
        cli_error("dkim sign: cannot read the message again: %s", strerror(errno));
        goto done;
    }
    if (write_fd(STDOUT_FILENO, (const uint8_t *)out->buf, out->len) < 0)
        goto write_failed;
    for (left = total; left > 0;) {
        size_t want = left < DKIM_CLI_READ_CHUNK ? (size_t)left : DKIM_CLI_READ_CHUNK;
        ssize_t n = read(src, buf, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            /* the file shrank since it was signed: what is written would
             * not verify */
            cli_error("dkim sign: the message changed while it was signed");
            goto done;
        }
        if (write_fd(STDOUT_FILENO, buf, (size_t)n) < 0)
            goto write_failed;
        left -= (uint64_t)n;
    }
    if (total > 0 && last != '\n' && write_fd(STDOUT_FILENO, (const uint8_t *)eol, strlen(eol)) < 0)
        goto write_failed;
    rc = 0;
    goto done;
write_failed:
    cli_error("dkim sign: writing stdout: %s", strerror(errno));
done:
    if (spool >= 0)
        close(spool);
    return rc;
}

/* cmd_dkim_sign - inkan dkim sign */
static int cmd_dkim_sign(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"domain", required_argument, NULL, OPT_DOMAIN},
        {"selector", required_argument, NULL, OPT_SELECTOR},
        {"key", required_argument, NULL, OPT_KEY},
        {"algorithm", required_argument, NULL, OPT_ALGORITHM},
        {"canon", required_argument, NULL, OPT_CANON},
        {"identity", required_argument, NULL, OPT_IDENTITY},
        {"headers", required_argument, NULL, OPT_HEADERS},
        {"oversign", required_argument, NULL, OPT_OVERSIGN},
        {"expire", required_argument, NULL, OPT_EXPIRE},
        {"no-timestamp", no_argument, NULL, OPT_NO_LF},
        {"body-length", no_argument, NULL, OPT_BODY_LENGTH},
        {"signer", no_argument, NULL, OPT_SIGNER},
        {"signer-user", required_argument, NULL, OPT_SIGNER_USER},
        {NULL, 0, NULL, 0},
    };
    const char *domains[INK_DKIM_SIGN_KEYS_MAX], *sels[INK_DKIM_SIGN_KEYS_MAX];
    const char *keyfiles[INK_DKIM_SIGN_KEYS_MAX], *algs[INK_DKIM_SIGN_KEYS_MAX];
    const char *canons[INK_DKIM_SIGN_KEYS_MAX], *idents[INK_DKIM_SIGN_KEYS_MAX];
    size_t nd = 0, ns = 0, nk = 0, na = 0, nc = 0, ni = 0, nsig, i;
    const char *headers = NULL, *oversign = NULL;
    unsigned long long expire = 0;
    int timestamp = 1, body_length = 0, opt, rc = INK_EXIT_OPERR;
    struct ink_dkim_privkey *pkeys[INK_DKIM_SIGN_KEYS_MAX] = {0};
    struct ink_dkim_sign_key sk[INK_DKIM_SIGN_KEYS_MAX];
    struct ink_dkim_sign *signer = NULL;
    struct ink_str out = INK_STR_INIT, err = INK_STR_INIT;
    uint8_t *buf = NULL;
    int use_signer = 0;
    const char *signer_user = NULL;
    struct ink_signer *proc = NULL;
    struct ink_signer_keyfile kfs[INK_DKIM_SIGN_KEYS_MAX];
    char kids[INK_DKIM_SIGN_KEYS_MAX][32]; /* "key" and a size_t */
    char *end;
    uint64_t now = (uint64_t)time(NULL);
    const struct cli_optset set = {.own = longopts, .usage = sign_usage};

    optind = 1;
    while ((opt = cli_getopt(&set, argc, argv)) != -1) {
        int bad = 0;
        switch (opt) {
        case OPT_DOMAIN:
            bad = sign_set_opt(domains, &nd, optarg, "--domain");
            break;
        case OPT_SELECTOR:
            bad = sign_set_opt(sels, &ns, optarg, "--selector");
            break;
        case OPT_KEY:
            bad = sign_set_opt(keyfiles, &nk, optarg, "--key");
            break;
        case OPT_ALGORITHM:
            if (strcmp(optarg, "rsa-sha256") && strcmp(optarg, "ed25519-sha256")) {
                cli_error("dkim sign: --algorithm must be rsa-sha256 or ed25519-sha256%s",
                          strcmp(optarg, "rsa-sha1") == 0 ? " (rsa-sha1 is obsolete, RFC 8301)" : "");
                return INK_EXIT_USAGE;
            }
            bad = sign_set_opt(algs, &na, optarg, "--algorithm");
            break;
        case OPT_CANON: {
            enum ink_dkim_canon h, b;
            if (parse_canon_opt(optarg, &h, &b) < 0) {
                cli_error("dkim sign: --canon '%s' is not simple|relaxed[/simple|relaxed]", optarg);
                return INK_EXIT_USAGE;
            }
            bad = sign_set_opt(canons, &nc, optarg, "--canon");
            break;
        }
        case OPT_IDENTITY:
            bad = sign_set_opt(idents, &ni, optarg, "--identity");
            break;
        case OPT_HEADERS:
            headers = optarg;
            break;
        case OPT_OVERSIGN:
            oversign = optarg;
            break;
        case OPT_EXPIRE:
            errno = 0;
            expire = strtoull(optarg, &end, 10);
            if (errno || end == optarg || *end || expire == 0 || expire > 100ull * 365 * 86400) {
                cli_error("dkim sign: --expire '%s' is not a number of seconds", optarg);
                return INK_EXIT_USAGE;
            }
            break;
        case OPT_NO_LF:
            timestamp = 0;
            break;
        case OPT_BODY_LENGTH:
            body_length = 1;
            break;
        case OPT_SIGNER:
            use_signer = 1;
            break;
        case OPT_SIGNER_USER:
            signer_user = optarg;
            break;
        case CLI_GETOPT_HELP:
            return INK_EXIT_OK;
        default: /* CLI_GETOPT_USAGE: said why */
            return INK_EXIT_USAGE;
        }
        if (bad)
            return INK_EXIT_USAGE;
    }
    if (optind < argc) {
        cli_error("dkim sign: unexpected argument '%s' (the message is read from stdin)", argv[optind]);
        return INK_EXIT_USAGE;
    }
    nsig = nd > ns ? nd : ns;
    nsig = nk > nsig ? nk : nsig;
    if (nd == 0 || ns == 0 || nk == 0) {
        cli_error("dkim sign: --domain, --selector and --key are required");
        sign_usage(stderr);
        return INK_EXIT_USAGE;
    }
#define ONE_OR_ALL(n, name)                                                                   \
    if ((n) > 1 && (n) != nsig) {                                                             \
        cli_error("dkim sign: %s given %zu times for %zu signatures (give it once or once each)", \
                  name, (size_t)(n), nsig);                                                    \
        return INK_EXIT_USAGE;                                                                \
    }
    ONE_OR_ALL(nd, "--domain")
    ONE_OR_ALL(ns, "--selector")
    ONE_OR_ALL(nk, "--key")
    ONE_OR_ALL(na, "--algorithm")
    ONE_OR_ALL(nc, "--canon")
    ONE_OR_ALL(ni, "--identity")
#undef ONE_OR_ALL
    if (signer_user != NULL && !use_signer) {
        cli_error("dkim sign: --signer-user needs --signer");
        return INK_EXIT_USAGE;
    }
    if (use_signer) {
        /* the keys go to a forked signer: this process never reads them */
        struct ink_signer_config cfg = {.keys = kfs, .nkeys = nk, .user = signer_user};
        for (i = 0; i < nk; i++) {
            snprintf(kids[i], sizeof(kids[i]), "key%zu", i + 1);
            kfs[i].id = kids[i];
            kfs[i].path = keyfiles[i];
        }
        if (cfg.user == NULL && geteuid() == 0)
            cfg.user = "nobody";
        proc = ink_signer_start(&cfg, &err);
        if (proc == NULL) {
            cli_error("dkim sign: the signer process: %s", ink_str_cstr(&err));
            goto done;
        }
    }
    memset(sk, 0, sizeof(sk));
    for (i = 0; i < nsig; i++) {
        struct ink_str pem = INK_STR_INIT;
        const char *kf = keyfiles[nk > 1 ? i : 0];
        if (proc != NULL) {
            struct ink_signer_key *pk = ink_signer_key_at(proc, nk > 1 ? i : 0);
            enum ink_dkim_keytype want;
            sk[i].sign_fn = ink_signer_dkim_sign;
            sk[i].sign_arg = pk;
            sk[i].alg = pk->type == INK_DKIM_KEY_ED25519 ? INK_DKIM_ALG_ED25519_SHA256
                                                          : INK_DKIM_ALG_RSA_SHA256;
            want = na && strcmp(algs[na > 1 ? i : 0], "ed25519-sha256") == 0 ? INK_DKIM_KEY_ED25519
                                                                             : INK_DKIM_KEY_RSA;
            if (na && want != pk->type) {
                cli_error("dkim sign: %s: --algorithm %s needs an %s key, the key is %s", kf,
                          algs[na > 1 ? i : 0], ink_dkim_keytype_name(want),
                          ink_dkim_keytype_name(pk->type));
                rc = INK_EXIT_USAGE;
                goto done;
            }
        } else if (i > 0 && nk == 1) {
            pkeys[i] = NULL;
        } else {
            if (read_file_all(kf, DKIM_CLI_KEYFILE_MAX, &pem) < 0)
                goto done;
            pkeys[i] = ink_dkim_privkey_parse((const uint8_t *)pem.buf, pem.len, &err);
            ink_str_free(&pem);
            if (pkeys[i] == NULL) {
                cli_error("dkim sign: %s: %s", kf, ink_str_cstr(&err));
                goto done;
            }
        }
        sk[i].key = pkeys[nk > 1 ? i : 0];
        if (proc != NULL)
            sk[i].key = NULL;
        sk[i].domain = domains[nd > 1 ? i : 0];
        sk[i].selector = sels[ns > 1 ? i : 0];
        sk[i].identity = ni ? idents[ni > 1 ? i : 0] : NULL;
        if (proc == NULL)
            sk[i].alg = INK_DKIM_ALG_UNKNOWN;
        if (na && proc == NULL) {
            const char *a = algs[na > 1 ? i : 0];
            sk[i].alg = strcmp(a, "ed25519-sha256") == 0 ? INK_DKIM_ALG_ED25519_SHA256
                                                          : INK_DKIM_ALG_RSA_SHA256;
        }
        sk[i].hcanon = sk[i].bcanon = INK_DKIM_CANON_RELAXED;
        if (nc)
            parse_canon_opt(canons[nc > 1 ? i : 0], &sk[i].hcanon, &sk[i].bcanon);
        sk[i].headers = headers;
        sk[i].oversign = oversign;
        sk[i].timestamp = timestamp ? now : 0;
        sk[i].expire = expire ? now + expire : 0;
        sk[i].body_length = body_length;
    }
    signer = ink_dkim_sign_new(sk, nsig, INK_DKIM_SIGN_LF_TO_CRLF, &err);
    if (signer == NULL) {
        cli_error("dkim sign: %s", ink_str_cstr(&err));
        rc = INK_EXIT_USAGE;
        goto done;
    }
    buf = malloc(DKIM_CLI_READ_CHUNK);
    if (buf == NULL) {
        cli_error("dkim sign: out of memory");
        goto done;
    }
    if (sign_stream(signer, buf, &out) < 0)
        goto done;
    rc = INK_EXIT_OK;
done:
    for (i = 0; i < INK_DKIM_SIGN_KEYS_MAX; i++)
        ink_dkim_privkey_free(pkeys[i]);
    ink_dkim_sign_free(signer);
    ink_signer_stop(proc);
    ink_str_free(&out);
    ink_str_free(&err);
    free(buf);
    return rc;
}

/* ---- testkey ---- */

/* Exit code of testkey when the published key is missing or wrong. */
#define DKIM_EXIT_KEY_WRONG 3

static void testkey_usage(FILE *fp)
{
    fprintf(fp,
            "usage: inkan dkim testkey --domain D --selector S --key FILE\n"
            "                          [--zone FILE | --dns HOST[:PORT]] [--json]\n\n"
            "Look up the key record at S._domainkey.D and say whether it publishes the\n"
            "public half of the private key in FILE, and what is wrong if not.\n\n"
            "  --domain D        the signing domain (d=)\n"
            "  --selector S      the selector (s=)\n"
            "  --key FILE        the private key (PEM)\n"
            "  --json            print the result as JSON\n" CLI_DNS_HELP
            "\nThe first word of the output is match, mismatch, missing, revoked, invalid\n"
            "or temperror.  Exit 0 match, 3 the published key is missing or wrong,\n"
            "1 operational error (unreadable key, DNS failure), 2 usage.\n");
}

/*
 * The key lookup of testkey as a one-question machine for the driver:
 * asks (name, TXT) once and keeps a copy of the answer.  A NULL answer
 * (the driver's deadline) or one that does not fit the question is kept
 * as a TIMEOUT / SERVFAIL answer, so testkey reports a temperror.
 */
struct keylookup {
    const char *name;          /* borrowed */
    int asked;
    struct ink_dns_answer *ans; /* owned; NULL until fed (or on ENOMEM) */
    int fed;
};

/* Token of the one question (any value the machine never reuses). */
#define KEYLOOKUP_TOKEN 1u

/* keylookup_next - ask once, wait for the answer, then done */
static enum ink_next keylookup_next(void *self, struct ink_query *q)
{
    struct keylookup *k = self;

    if (k->fed)
        return INK_NEXT_DONE;
    if (k->asked)
        return INK_NEXT_WAIT;
    k->asked = 1;
    q->name = k->name;
    q->type = INK_DNS_TXT;
    q->token = KEYLOOKUP_TOKEN;
    return INK_NEXT_READY;
}

/* keylookup_feed - keep a copy of the answer (or a failure in its place) */
static int keylookup_feed(void *self, uint32_t token, const struct ink_dns_answer *a)
{
    struct keylookup *k = self;

    if (token != KEYLOOKUP_TOKEN || !k->asked || k->fed)
        return -1;
    k->fed = 1;
    if (ink_query_answer_fits(a, k->name, INK_DNS_TXT)) {
        k->ans = ink_dns_answer_dup(a);
        return 0;
    }
    k->ans = ink_dns_answer_new(k->name, INK_DNS_TXT, a == NULL ? INK_DNS_TIMEOUT
                                                                : INK_DNS_SERVFAIL);
    if (k->ans != NULL)
        (void)ink_dns_answer_set_why(k->ans, a == NULL ? "no answer in time"
                                                       : "the answer is for another question");
    return 0;
}

static const struct ink_machine_ops keylookup_ops = {"dkim-key", keylookup_next, keylookup_feed};

/* cmd_dkim_testkey - inkan dkim testkey */
static int cmd_dkim_testkey(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"domain", required_argument, NULL, OPT_DOMAIN},
        {"selector", required_argument, NULL, OPT_SELECTOR},
        {"key", required_argument, NULL, OPT_KEY},
        {NULL, 0, NULL, 0},
    };
    struct ink_resolver_opts ropts = {0};
    const char *domain = NULL, *selector = NULL, *keyfile = NULL, *verdict = NULL;
    int json = 0, opt, rc = INK_EXIT_OPERR, m;
    char owner[INK_DNS_NAME_MAX + 1], dombuf[INK_DNS_NAME_MAX + 2];
    struct ink_str pem = INK_STR_INIT, err = INK_STR_INIT, why = INK_STR_INIT;
    struct ink_str expect = INK_STR_INIT;
    struct ink_dkim_privkey *pk = NULL;
    struct ink_resolver *res = NULL;
    struct ink_dns_answer *ans = NULL;
    json_t *j = NULL, *recs = NULL;
    size_t i, nkeys = 0;
    const struct cli_optset set = {
        .own = longopts, .dns = &ropts, .json = &json, .usage = testkey_usage};

    optind = 1;
    while ((opt = cli_getopt(&set, argc, argv)) != -1) {
        switch (opt) {
        case OPT_DOMAIN:
            domain = optarg;
            break;
        case OPT_SELECTOR:
            selector = optarg;
            break;
        case OPT_KEY:
            keyfile = optarg;
            break;
        case CLI_GETOPT_HELP:
            return INK_EXIT_OK;
        default: /* CLI_GETOPT_USAGE: said why */
            return INK_EXIT_USAGE;
        }
    }
    if (optind < argc || domain == NULL || selector == NULL || keyfile == NULL) {
        cli_error("dkim testkey: %s", optind < argc ? "unexpected argument"
                                                    : "--domain, --selector and --key are required");
        testkey_usage(stderr);
        return INK_EXIT_USAGE;
    }
    if (check_dkim_names("dkim testkey", selector, domain, dombuf) < 0)
        return INK_EXIT_USAGE;
    domain = dombuf;
    if (ink_dkim_key_name(selector, domain, owner, sizeof(owner)) < 0) {
        cli_error("dkim testkey: '%s._domainkey.%s' is not a valid DNS name", selector, domain);
        return INK_EXIT_USAGE;
    }
    if (read_file_all(keyfile, DKIM_CLI_KEYFILE_MAX, &pem) < 0)
        goto done;
    pk = ink_dkim_privkey_parse((const uint8_t *)pem.buf, pem.len, &err);
    if (pk == NULL) {
        cli_error("%s: %s", keyfile, ink_str_cstr(&err));
        goto done;
    }
    ink_dkim_privkey_record(pk, 0, &expect);
    res = cli_resolver_open(&ropts);
    if (res == NULL)
        goto done;
    {
        struct keylookup kl = {owner, 0, NULL, 0};
        struct ink_machine lookup = {&keylookup_ops, &kl};
        struct ink_driver_opts dopts = {0};

        dopts.timeout_ms = ropts.timeout_ms;
        dopts.no_cache = 1; /* one question: nothing to keep */
        (void)ink_drive_sync(res, lookup, &dopts);
        ans = kl.ans;
    }
    if (ans == NULL) {
        cli_error("dkim testkey: out of memory");
        goto done;
    }
    j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s}", "domain", domain, "selector", selector,
                  "name", owner, "dns_status", ink_dns_status_name(ans->status), "dnssec",
                  ink_dnssec_name(ans->dnssec), "private_key_bits",
                  (json_int_t)ink_dkim_privkey_bits(pk), "private_key_type",
                  ink_dkim_keytype_name(ink_dkim_privkey_type(pk)));
    recs = json_array();
    if (ans->status == INK_DNS_SERVFAIL || ans->status == INK_DNS_TIMEOUT) {
        verdict = "temperror";
        ink_str_printf(&why, "the lookup of %s TXT failed: %s%s%s", owner,
                       ink_dns_status_name(ans->status), ans->why ? ": " : "",
                       ans->why ? ans->why : "");
        rc = INK_EXIT_OPERR;
    } else if (ans->status != INK_DNS_OK) {
        verdict = "missing";
        ink_str_printf(&why, "%s has no TXT record (%s): publish the record below", owner,
                       ink_dns_status_name(ans->status));
        rc = DKIM_EXIT_KEY_WRONG;
    } else {
        /* look at every TXT record there: one should be the key */
        struct ink_str first_bad = INK_STR_INIT;
        int any_revoked = 0;
        for (i = 0; i < ans->nrr && verdict == NULL; i++) {
            size_t tlen;
            uint8_t *txt;
            struct ink_dkim_key *k;
            struct ink_str w = INK_STR_INIT;
            json_t *jr, *jw;
            size_t wi;

            if (ans->rr[i].type != INK_DNS_TXT)
                continue;
            txt = ink_dns_rr_txt_join(&ans->rr[i], &tlen);
            if (txt == NULL)
                continue;
            k = ink_dkim_key_parse(txt, tlen);
            if (k == NULL) {
                free(txt);
                continue;
            }
            nkeys++;
            jr = json_pack("{s:s%, s:s, s:s, s:I}", "record", (const char *)txt, tlen, "status",
                           ink_dkim_key_status_name(k->status), "key_type",
                           ink_dkim_keytype_name(k->type), "bits", (json_int_t)k->bits);
            if (k->status != INK_DKIM_KEY_OK)
                json_object_set_new(jr, "reason", json_string(k->reason));
            jw = json_array();
            for (wi = 0; wi < k->nwarn; wi++)
                json_array_append_new(jw, json_string(k->warn[wi].msg));
            json_object_set_new(jr, "warnings", jw);
            json_array_append_new(recs, jr);
            m = k->status == INK_DKIM_KEY_OK ? ink_dkim_privkey_matches(pk, k, &w) : -1;
            if (m == 1) {
                verdict = "match";
                ink_str_printf(&why, "%s publishes the public half of %s (%s, %u bits)%s", owner,
                               keyfile, ink_dkim_keytype_name(k->type), k->bits,
                               (k->flags & INK_DKIM_FLAG_TESTING) ? "; note: t=y (testing)" : "");
                for (wi = 0; wi < k->nwarn; wi++)
                    ink_str_printf(&why, "; warning: %s", k->warn[wi].msg);
                rc = INK_EXIT_OK;
            } else if (first_bad.len == 0) {
                if (k->status == INK_DKIM_KEY_REVOKED)
                    any_revoked = 1;
                if (m == 0)
                    ink_str_printf(&first_bad, "%s", ink_str_cstr(&w));
                else
                    ink_str_printf(&first_bad, "the record is %s: %s (at offset %zu)",
                                   ink_dkim_key_status_name(k->status), k->reason, k->reason_off);
            }
            ink_str_free(&w);
            ink_dkim_key_free(k);
            free(txt);
        }
        if (verdict == NULL) {
            rc = DKIM_EXIT_KEY_WRONG;
            if (nkeys == 0) {
                verdict = "missing";
                ink_str_printf(&why, "%s has no TXT record", owner);
            } else if (any_revoked && nkeys == 1) {
                verdict = "revoked";
                ink_str_printf(&why, "%s: %s", owner, ink_str_cstr(&first_bad));
            } else if (strstr(ink_str_cstr(&first_bad), "the record is ") == first_bad.buf) {
                verdict = "invalid";
                ink_str_printf(&why, "%s: %s", owner, ink_str_cstr(&first_bad));
            } else {
                verdict = "mismatch";
                ink_str_printf(&why, "%s: %s", owner, ink_str_cstr(&first_bad));
            }
            if (nkeys > 1)
                ink_str_printf(&why, " (%zu TXT records there, none matches)", nkeys);
        }
        ink_str_free(&first_bad);
    }
    json_object_set_new(j, "result", json_string(verdict));
    json_object_set_new(j, "reason", json_string(ink_str_cstr(&why)));
    json_object_set_new(j, "records", recs);
    recs = NULL;
    if (rc != INK_EXIT_OK)
        json_object_set_new(j, "expected_record", json_string(ink_str_cstr(&expect)));
    if (json) {
        char *js = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
        if (js != NULL)
            printf("%s\n", js);
        free(js);
    } else {
        printf("%s: %s\n", verdict, ink_str_cstr(&why));
        if (rc != INK_EXIT_OK) {
            struct ink_str line = INK_STR_INIT;
            ink_dkim_txt_zone_line(owner, 0, (const uint8_t *)expect.buf, expect.len, &line);
            printf("expected: %s", ink_str_cstr(&line));
            ink_str_free(&line);
        }
    }
done:
    json_decref(recs);
    json_decref(j);
    ink_dns_answer_free(ans);
    ink_resolver_free(res);
    ink_dkim_privkey_free(pk);
    ink_str_free(&pem);
    ink_str_free(&err);
    ink_str_free(&why);
    ink_str_free(&expect);
    return rc;
}

/* ---- dispatch ---- */

static void dkim_usage(FILE *fp)
{
    fprintf(fp, "usage: inkan dkim SUBCOMMAND [OPTIONS]\n\n"
                "  verify    verify the DKIM signatures of a message on stdin\n"
                "  sign      sign a message on stdin with one or more keys\n"
                "  keygen    generate a key pair and the DNS record to publish\n"
                "  testkey   check that the published key matches a private key\n"
                "  rotate    rotate a domain's keys, waiting for DNS at each step\n\n"
                "Run 'inkan dkim SUBCOMMAND --help' for its options.\n");
}

/* cmd_dkim - inkan dkim SUBCOMMAND */
int cmd_dkim(int argc, char **argv)
{
    if (argc < 2) {
        dkim_usage(stderr);
        return INK_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        dkim_usage(stdout);
        return INK_EXIT_OK;
    }
    if (strcmp(argv[1], "keygen") == 0) {
        cli_set_argv0(argv + 1, "dkim keygen");
        return cmd_dkim_keygen(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "verify") == 0) {
        cli_set_argv0(argv + 1, "dkim verify");
        return cmd_dkim_verify(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "sign") == 0) {
        cli_set_argv0(argv + 1, "dkim sign");
        return cmd_dkim_sign(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "rotate") == 0) {
        cli_set_argv0(argv + 1, "dkim rotate");
        return cmd_dkim_rotate(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "testkey") == 0) {
        cli_set_argv0(argv + 1, "dkim testkey");
        return cmd_dkim_testkey(argc - 1, argv + 1);
    }
    cli_error("dkim: unknown subcommand '%s' (see 'inkan dkim --help')", argv[1]);
    return INK_EXIT_USAGE;
}
