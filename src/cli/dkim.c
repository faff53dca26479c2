/*
 * dkim.c - the `inkan dkim` command: verify, sign, keygen, testkey.
 *
 * The DKIM work is done by the sans-I/O core (inkan/dkim.h,
 * inkan/dkim_key.h); this file reads files and stdin, drives the
 * verifier's DNS queries through the resolver, and prints results.
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

#include "cli/cli.h"
#include "inkan/dkim_key.h"
#include "inkan/dns.h"

/* Largest private-key file read. */
#define DKIM_CLI_KEYFILE_MAX (1u << 20)

/* read_file_all - read a whole (small) file into out; 0, or -1 after
 * printing why */
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
            return -1;
        }
        if (ink_str_append(out, buf, n) < 0) {
            cli_error("%s: out of memory", path);
            fclose(fp);
            return -1;
        }
    }
    if (ferror(fp)) {
        cli_error("%s: read error: %s", path, strerror(errno));
        fclose(fp);
        return -1;
    }
    fclose(fp);
    return 0;
}

/* write_file - create path with mode and write buf; excl refuses to
 * replace an existing file.  0, or -1 after printing why. */
static int write_file(const char *path, const void *buf, size_t len, mode_t mode, int excl)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | (excl ? O_EXCL : 0) | O_CLOEXEC, mode);
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
    OPT_HELP
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
        {"json", no_argument, NULL, CLI_OPT_JSON},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *domain = NULL, *selector = NULL, *outdir = NULL;
    enum ink_dkim_keytype type = INK_DKIM_KEY_RSA;
    unsigned long bits = 0, ttl = INK_DKIM_TXT_TTL_DEFAULT;
    int testing = 0, force = 0, json = 0, opt, rc = INK_EXIT_OPERR, bits_given = 0;
    char owner[INK_DNS_NAME_MAX + 1], *end;
    struct ink_str pem = INK_STR_INIT, rec = INK_STR_INIT, err = INK_STR_INIT;
    struct ink_str zone = INK_STR_INIT, path = INK_STR_INIT, base = INK_STR_INIT;
    struct ink_dkim_privkey *pk = NULL;
    json_t *j = NULL;
    char *js = NULL;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
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
        case CLI_OPT_JSON:
            json = 1;
            break;
        case 'h':
            keygen_usage(stdout);
            return INK_EXIT_OK;
        default:
            keygen_usage(stderr);
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
    if (strchr(selector, '/') || strchr(domain, '/') ||
        ink_dkim_key_name(selector, domain, owner, sizeof(owner)) < 0) {
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
    if (write_file(ink_str_cstr(&path), pem.buf, pem.len, 0600, !force) < 0)
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

/* cmd_dkim_testkey - inkan dkim testkey */
static int cmd_dkim_testkey(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"domain", required_argument, NULL, OPT_DOMAIN},
        {"selector", required_argument, NULL, OPT_SELECTOR},
        {"key", required_argument, NULL, OPT_KEY},
        {"json", no_argument, NULL, CLI_OPT_JSON},
        {"help", no_argument, NULL, 'h'},
        CLI_DNS_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    struct ink_resolver_opts ropts = {0};
    const char *domain = NULL, *selector = NULL, *keyfile = NULL, *verdict = NULL;
    int json = 0, opt, rc = INK_EXIT_OPERR, m;
    char owner[INK_DNS_NAME_MAX + 1];
    struct ink_str pem = INK_STR_INIT, err = INK_STR_INIT, why = INK_STR_INIT;
    struct ink_str expect = INK_STR_INIT;
    struct ink_dkim_privkey *pk = NULL;
    struct ink_resolver *res = NULL;
    struct ink_dns_answer *ans = NULL;
    json_t *j = NULL, *recs = NULL;
    size_t i, nkeys = 0;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
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
        case CLI_OPT_JSON:
            json = 1;
            break;
        case 'h':
            testkey_usage(stdout);
            return INK_EXIT_OK;
        default:
            m = cli_dns_option(&ropts, opt, optarg);
            if (m == 1)
                break;
            if (m == 0)
                testkey_usage(stderr);
            return INK_EXIT_USAGE;
        }
    }
    if (optind < argc || domain == NULL || selector == NULL || keyfile == NULL) {
        cli_error("dkim testkey: %s", optind < argc ? "unexpected argument"
                                                    : "--domain, --selector and --key are required");
        testkey_usage(stderr);
        return INK_EXIT_USAGE;
    }
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
    ans = ink_resolve_sync(res, owner, INK_DNS_TXT);
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
                "  testkey   check that the published key matches a private key\n\n"
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
    if (strcmp(argv[1], "keygen") == 0)
        return cmd_dkim_keygen(argc - 1, argv + 1);
    if (strcmp(argv[1], "testkey") == 0)
        return cmd_dkim_testkey(argc - 1, argv + 1);
    cli_error("dkim: unknown subcommand '%s' (see 'inkan dkim --help')", argv[1]);
    return INK_EXIT_USAGE;
}
