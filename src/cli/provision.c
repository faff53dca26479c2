/*
 * provision.c - `inkan provision DOMAIN --profile FILE --out DIR`: read a
 * sender profile, generate the DKIM keys it asks for, read what the domain
 * publishes now, compute the record set (src/core/provision/provision.c) and write
 * DIR/DOMAIN.zone, DIR/records.json, DIR/CHECKLIST.txt and the private
 * keys (mode 0600).  Also the file helpers `inkan domain` shares.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "inkan/dkim_key.h"
#include "inkan/dnsio.h"
#include "inkan/driver.h"
#include "inkan/profile.h"
#include "inkan/provision.h"
#include "inkan/spf_lint.h"

/* Largest records.json read back by `inkan domain add`. */
#define PROV_JSON_MAX (4u * 1024u * 1024u)
/* Longest path built under --out. */
#define PROV_PATH_MAX 4096
/* Largest private key file read back when provision reuses a key. */
#define PROV_KEYFILE_MAX (1u << 20)

/* cli_read_file - read a whole file of at most max bytes (caller frees
 * *buf); 0, or -1 after printing why */
int cli_read_file(const char *path, size_t max, uint8_t **buf, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    struct ink_str s = INK_STR_INIT;
    char chunk[8192];
    size_t n;

    *buf = NULL;
    *len = 0;
    if (fp == NULL) {
        cli_error("%s: %s", cli_shown(path), strerror(errno));
        return -1;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
        if (s.len + n > max) {
            cli_error("%s: larger than %zu bytes", cli_shown(path), max);
            fclose(fp);
            ink_str_free(&s);
            return -1;
        }
        if (ink_str_append(&s, chunk, n) < 0) {
            cli_error("%s: out of memory", path);
            fclose(fp);
            ink_str_free(&s);
            return -1;
        }
    }
    if (ferror(fp)) {
        cli_error("%s: %s", cli_shown(path), strerror(errno));
        fclose(fp);
        ink_str_free(&s);
        return -1;
    }
    fclose(fp);
    *len = s.len;
    *buf = (uint8_t *)ink_str_steal(&s);
    return *buf ? 0 : -1;
}

/* cli_profile_load - read and parse a sender profile; NULL after printing
 * "FILE:LINE:COL: why" */
struct ink_profile *cli_profile_load(const char *path)
{
    uint8_t *buf;
    size_t len;
    struct ink_str err = INK_STR_INIT;
    struct ink_profile *p;

    if (cli_read_file(path, INK_PROFILE_SIZE_MAX, &buf, &len) < 0)
        return NULL;
    p = ink_profile_parse(buf, len, &err);
    if (p == NULL)
        cli_error("%s:%s", path, err.len ? ink_str_cstr(&err) : " cannot parse profile");
    free(buf);
    ink_str_free(&err);
    return p;
}

/* cli_parse_dkim_algs - "ed25519,rsa2048" into algs; count or -1 after printing */
int cli_parse_dkim_algs(const char *arg, enum ink_profile_keyalg *algs, size_t max)
{
    size_t n = 0;
    const char *p = arg;

    while (*p != '\0') {
        size_t l = strcspn(p, ",");
        int a = ink_profile_keyalg_from_name(p, l);
        size_t i;
        if (a <= 0) {
            cli_error("--dkim: '%.*s' is not one of ed25519, rsa1024, rsa2048, rsa3072, rsa4096",
                      (int)(l > 32 ? 32 : l), p);
            return -1;
        }
        for (i = 0; i < n; i++)
            if (algs[i] == (enum ink_profile_keyalg)a) {
                cli_error("--dkim: '%.*s' given twice", (int)l, p);
                return -1;
            }
        if (n >= max) {
            cli_error("--dkim: at most %zu algorithms", max);
            return -1;
        }
        algs[n++] = (enum ink_profile_keyalg)a;
        p += l;
        if (*p == ',')
            p++;
    }
    if (n == 0) {
        cli_error("--dkim: empty list");
        return -1;
    }
    return (int)n;
}

/* cli_write_file - write len bytes to path with mode (0600 for keys);
 * excl: refuse to replace an existing file.  0, or -1 after printing. */
int cli_write_file(const char *path, const void *buf, size_t len, unsigned mode, int excl)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | (excl ? O_EXCL : 0), (mode_t)mode);
    const char *p = buf;

    if (fd < 0) {
        if (errno == EEXIST)
            cli_error("%s exists already: not overwriting it (choose another --out)", path);
        else
            cli_error("%s: %s", path, strerror(errno));
        return -1;
    }
    if (fchmod(fd, (mode_t)mode) < 0) {
        cli_error("%s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            cli_error("%s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    if (close(fd) < 0) {
        cli_error("%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* spf_budget - lint the merged SPF record over DNS and tell the
 * provisioning what its lookups cost */
static void spf_budget(struct ink_provision *p, struct ink_resolver *r)
{
    const char *rec = ink_provision_spf_record(p);
    struct ink_spf_lint *l;
    const struct ink_spf_lint_node *root;
    struct ink_prov_spf_cost costs[INK_PROV_RECORDS_MAX];
    size_t n = 0, i;
    struct ink_str terms[INK_PROV_RECORDS_MAX];

    if (rec == NULL)
        return;
    l = ink_spf_lint_new_record(ink_provision_sending_domain(p), (const uint8_t *)rec, strlen(rec));
    if (l == NULL)
        return;
    /* its include tree through the driver; a lint that cannot finish
     * (out of memory) leaves the budget unknown, as no tree does */
    if (ink_drive_sync(r, ink_spf_lint_machine(l), NULL) != INK_NEXT_DONE) {
        ink_spf_lint_free(l);
        return;
    }
    root = ink_spf_lint_tree(l);
    if (root == NULL) {
        ink_spf_lint_free(l);
        return;
    }
    /* one cost per include/redirect child (1 + its subtree); the root's
     * own a/mx/ptr/exists terms cost one each and are not worth proposing */
    for (i = 0; i < root->nchild && n < INK_PROV_RECORDS_MAX; i++) {
        const struct ink_spf_lint_node *c = &root->child[i];
        ink_str_init(&terms[n]);
        ink_str_printf(&terms[n], "%s:%s", strcmp(c->via, "redirect") == 0 ? "redirect" : "include",
                       c->domain);
        costs[n].term = ink_str_cstr(&terms[n]);
        costs[n].lookups = 1 + c->lookups_total;
        n++;
    }
    ink_provision_spf_lookups(p, ink_spf_lint_lookups(l), costs, n);
    for (i = 0; i < ink_spf_lint_nfindings(l); i++) {
        const struct ink_finding *f = ink_spf_lint_finding(l, i);
        const char *fix = ink_spf_lint_finding_record(l, i);
        if (strcmp(f->code, INK_SPF_LINT_FLATTEN) == 0 && fix != NULL &&
            strcmp(f->subject, ink_provision_sending_domain(p)) == 0)
            ink_provision_spf_flattened(p, fix);
    }
    for (i = 0; i < n; i++)
        ink_str_free(&terms[i]);
    ink_spf_lint_free(l);
}

/* records_json - the record set as JSON (caller json_decref's) */
static json_t *records_json(const struct ink_provision *p, const struct ink_profile *prof,
                            const char *zone_file)
{
    json_t *root = json_object(), *recs = json_array(), *notes, *keys = json_array();
    size_t i;

    json_object_set_new(root, "domain", json_string(ink_provision_domain(p)));
    json_object_set_new(root, "sending_domain", json_string(ink_provision_sending_domain(p)));
    json_object_set_new(root, "profile", json_string(prof->name));
    json_object_set_new(root, "zone_file", json_string(zone_file));
    for (i = 0; i < ink_provision_nrecords(p); i++) {
        const struct ink_prov_record *r = ink_provision_record(p, i);
        json_t *o = json_object(), *v = json_object();
        json_object_set_new(o, "name", json_string(r->owner));
        json_object_set_new(o, "type", json_string(ink_dns_type_name(r->type)));
        json_object_set_new(o, "ttl", json_integer(INK_PROV_TTL));
        if (r->type == INK_DNS_MX)
            json_object_set_new(o, "preference", json_integer(r->pref));
        json_object_set_new(o, "value", json_string(r->value ? r->value : ""));
        json_object_set_new(o, "purpose", json_string(r->purpose));
        json_object_set_new(o, "action", json_string(ink_prov_action_name(r->action)));
        json_object_set_new(o, "current", r->current ? json_string(r->current) : json_null());
        if (r->key >= 0) {
            struct ink_str f = INK_STR_INIT;
            ink_str_printf(&f, "%s.private", ink_provision_key(p, (size_t)r->key)->selector);
            json_object_set_new(o, "key_file", json_string(ink_str_cstr(&f)));
            ink_str_free(&f);
        }
        json_object_set_new(v, "match", json_string(ink_vmatch_name(r->match)));
        json_object_set_new(v, "expect", json_string(r->expect ? r->expect : ""));
        json_object_set_new(o, "verify", v);
        json_array_append_new(recs, o);
    }
    for (i = 0; i < ink_provision_nkeys(p); i++) {
        const struct ink_prov_key *k = ink_provision_key(p, i);
        json_t *o = json_object();
        struct ink_str f = INK_STR_INIT;
        ink_str_printf(&f, "%s.private", k->selector);
        json_object_set_new(o, "selector", json_string(k->selector));
        json_object_set_new(o, "name", json_string(k->owner));
        json_object_set_new(o, "algorithm", json_string(ink_profile_keyalg_name(k->alg)));
        json_object_set_new(o, "private_key_file", json_string(ink_str_cstr(&f)));
        json_array_append_new(keys, o);
        ink_str_free(&f);
    }
    /* the one finding printer: severity, code, message and fix as before,
     * with area and subject */
    notes = ink_provision_nfindings(p) > 0
                ? cli_findings_json(ink_provision_finding(p, 0), ink_provision_nfindings(p), NULL)
                : json_array();
    json_object_set_new(root, "records", recs);
    json_object_set_new(root, "keys", keys);
    json_object_set_new(root, "notes", notes);
    return root;
}

/* keyalg_bits - the RSA size a profile key algorithm asks for (0: Ed25519) */
static unsigned keyalg_bits(enum ink_profile_keyalg alg)
{
    return alg == INK_PROFILE_KEY_ED25519   ? 0
           : alg == INK_PROFILE_KEY_RSA1024 ? 1024
           : alg == INK_PROFILE_KEY_RSA3072 ? 3072
           : alg == INK_PROFILE_KEY_RSA4096 ? 4096
                                            : 2048;
}

/*
 * reuse_key - key i's private half is in path already (an earlier run
 * into the same --out): take its public half, so a re-run keeps the keys
 * already handed to the platform.  0 (with a note on stderr), or -1 after
 * printing why (not a key, or not the type the profile asks for).
 */
static int reuse_key(struct ink_provision *p, size_t i, const char *path)
{
    const struct ink_prov_key *k = ink_provision_key(p, i);
    struct ink_str err = INK_STR_INIT, rec = INK_STR_INIT;
    struct ink_dkim_privkey *pk = NULL;
    unsigned want = keyalg_bits(k->alg);
    uint8_t *pem = NULL;
    size_t len = 0;
    int rc = -1;

    if (cli_read_file(path, PROV_KEYFILE_MAX, &pem, &len) < 0)
        goto done;
    pk = ink_dkim_privkey_parse(pem, len, &err);
    if (pk == NULL) {
        cli_error("provision: %s exists already and is no usable key (%s): remove it, "
                  "or use --force to replace it", path, ink_str_cstr(&err));
        goto done;
    }
    if ((want == 0) != (ink_dkim_privkey_type(pk) == INK_DKIM_KEY_ED25519) ||
        (want != 0 && ink_dkim_privkey_bits(pk) != want)) {
        cli_error("provision: %s exists already with key type %s (%u bits) where selector %s "
                  "asks for %s: use --force to replace it, or another --out", path,
                  ink_dkim_keytype_name(ink_dkim_privkey_type(pk)), ink_dkim_privkey_bits(pk),
                  k->selector, ink_profile_keyalg_name(k->alg));
        goto done;
    }
    if (ink_dkim_privkey_record(pk, 0, &rec) < 0 ||
        ink_provision_set_key(p, i, ink_str_cstr(&rec)) < 0) {
        cli_error("out of memory");
        goto done;
    }
    fprintf(stderr, "%s provision: note: reusing the existing key %s (--force makes a new one)\n",
            cli_prog, path);
    rc = 0;
done:
    if (pem != NULL)
        memset(pem, 0, len); /* do not leave the private key in freed memory */
    free(pem);
    ink_dkim_privkey_free(pk);
    ink_str_free(&err);
    ink_str_free(&rec);
    return rc;
}

/* keygen_one - generate key i and write its private half to dir (force:
 * replace a file there) */
static int keygen_one(struct ink_provision *p, size_t i, const char *dir, int force)
{
    const struct ink_prov_key *k = ink_provision_key(p, i);
    struct ink_str pem = INK_STR_INIT, rec = INK_STR_INIT, err = INK_STR_INIT,
                   path = INK_STR_INIT;
    enum ink_dkim_keytype type = k->alg == INK_PROFILE_KEY_ED25519 ? INK_DKIM_KEY_ED25519
                                                                  : INK_DKIM_KEY_RSA;
    unsigned bits = keyalg_bits(k->alg);
    int rc = -1;

    if (ink_dkim_keygen(type, bits, &pem, &rec, &err) < 0) {
        cli_error("DKIM key generation for selector %s failed: %s", k->selector,
                  ink_str_cstr(&err));
        goto done;
    }
    ink_str_printf(&path, "%s/%s.private", dir, k->selector);
    if (cli_secret_write(ink_str_cstr(&path), pem.buf, pem.len, force) < 0)
        goto done;
    if (ink_provision_set_key(p, i, ink_str_cstr(&rec)) < 0) {
        cli_error("out of memory");
        goto done;
    }
    rc = 0;
done:
    if (pem.buf != NULL)
        memset(pem.buf, 0, pem.len); /* do not leave the private key in freed memory */
    ink_str_free(&pem);
    ink_str_free(&rec);
    ink_str_free(&err);
    ink_str_free(&path);
    return rc;
}

/* provision_usage - the command's help */
static void provision_usage(FILE *fp)
{
    fprintf(fp,
            "usage: inkan provision DOMAIN --profile FILE --out DIR [OPTIONS]\n\n"
            "Compute the DNS records a sending platform needs (from its sender profile)\n"
            "against what DOMAIN publishes now, generate the DKIM keys, and write\n"
            "DIR/DOMAIN.zone, DIR/records.json, DIR/CHECKLIST.txt and DIR/SELECTOR.private.\n\n"
            "  --profile FILE       sender profile (YAML, see docs/profiles.md)\n"
            "  --out DIR            where to write (created if missing)\n"
            "  --subdomain NAME     sending subdomain under DOMAIN (default: the profile's)\n"
            "  --dkim ALG[,ALG]     key types for 'key: generate' selectors\n"
            "                       (ed25519, rsa1024, rsa2048, rsa3072, rsa4096; default rsa2048)\n"
            "  --force              replace key files an earlier run wrote into DIR (without\n"
            "                       it they are reused, so a re-run keeps the same keys)\n"
            "  --json               also print records.json to standard output\n" CLI_DNS_HELP
            "\nExit status: 0 written, 4 written but a finding is an error (read CHECKLIST.txt),\n"
            "1 operational error, 2 usage error.\n");
}

enum { OPT_PROFILE = CLI_OPT_FIRST_FREE, OPT_OUT, OPT_SUBDOMAIN, OPT_DKIM, OPT_FORCE };

/* cmd_provision - inkan provision */
int cmd_provision(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"profile", required_argument, NULL, OPT_PROFILE},
        {"out", required_argument, NULL, OPT_OUT},
        {"subdomain", required_argument, NULL, OPT_SUBDOMAIN},
        {"dkim", required_argument, NULL, OPT_DKIM},
        {"force", no_argument, NULL, OPT_FORCE},
        {NULL, 0, NULL, 0}};
    struct ink_resolver_opts dns = {0};
    const char *profile_path = NULL, *out = NULL, *sub = NULL;
    enum ink_profile_keyalg algs[INK_PROV_ALGS_MAX];
    int nalgs = 0, json = 0, force = 0, opt, rc = INK_EXIT_OPERR, worst;
    struct ink_profile *prof = NULL;
    struct ink_provision *p = NULL;
    struct ink_resolver *r = NULL;
    char *outdir = NULL, *reused = NULL; /* reused[i]: key i was there already */
    struct ink_str err = INK_STR_INIT, zone = INK_STR_INIT, check = INK_STR_INIT,
                   path = INK_STR_INIT, zname = INK_STR_INIT;
    json_t *js = NULL;
    char *jtext = NULL;
    size_t i;
    const struct cli_optset set = {
        .own = longopts, .dns = &dns, .json = &json, .usage = provision_usage};

    optind = 1;
    while ((opt = cli_getopt(&set, argc, argv)) != -1) {
        switch (opt) {
        case OPT_PROFILE: profile_path = optarg; break;
        case OPT_OUT: out = optarg; break;
        case OPT_SUBDOMAIN:
            if (optarg[0] == '\0') {
                cli_error("provision: --subdomain '': an empty name (leave the option out for "
                          "the profile's)");
                return INK_EXIT_USAGE;
            }
            sub = optarg;
            break;
        case OPT_DKIM:
            nalgs = cli_parse_dkim_algs(optarg, algs, INK_PROV_ALGS_MAX);
            if (nalgs < 0)
                return INK_EXIT_USAGE;
            break;
        case OPT_FORCE: force = 1; break;
        case CLI_GETOPT_HELP: return INK_EXIT_OK;
        default: return INK_EXIT_USAGE; /* CLI_GETOPT_USAGE: said why */
        }
    }
    if (optind != argc - 1 || profile_path == NULL || out == NULL) {
        cli_error("provision: give DOMAIN, --profile FILE and --out DIR (see --help)");
        return INK_EXIT_USAGE;
    }
    if (dns.zone_file != NULL && dns.server != NULL) {
        cli_error("--zone and --dns cannot be used together");
        return INK_EXIT_USAGE;
    }
    /* "out/" and "out" name the same directory: print paths as out/FILE */
    outdir = strdup(out);
    if (outdir == NULL) {
        cli_error("out of memory");
        goto done;
    }
    for (i = strlen(outdir); i > 1 && outdir[i - 1] == '/'; i--)
        outdir[i - 1] = '\0';
    out = outdir;
    prof = cli_profile_load(profile_path);
    if (prof == NULL)
        goto done;
    p = ink_provision_new(prof, argv[optind], sub, algs, (size_t)(nalgs > 0 ? nalgs : 0), &err);
    if (p == NULL) {
        cli_error("provision: %s", ink_str_cstr(&err));
        rc = INK_EXIT_USAGE;
        goto done;
    }
    if (nalgs > 0 && ink_provision_nkeys(p) == 0)
        fprintf(stderr, "%s provision: note: --dkim has no effect: no DKIM selector of the "
                "profile has 'key: generate' (the platform publishes its own keys, through the "
                "CNAMEs), so no key is generated\n", cli_prog);
    if (mkdir(out, 0700) < 0 && errno != EEXIST) {
        cli_error("%s: %s", out, strerror(errno));
        goto done;
    }
    r = cli_resolver_open(&dns);
    if (r == NULL)
        goto done;
    /* A key file there already (an earlier run into the same --out) is
     * reused unless --force: checked for every key before anything is
     * written, so a refused run leaves DIR as it was. */
    reused = calloc(ink_provision_nkeys(p) + 1, 1);
    if (reused == NULL) {
        cli_error("out of memory");
        goto done;
    }
    for (i = 0; i < ink_provision_nkeys(p); i++) {
        ink_str_truncate(&path, 0);
        ink_str_printf(&path, "%s/%s.private", out, ink_provision_key(p, i)->selector);
        if (!force && access(ink_str_cstr(&path), F_OK) == 0) {
            if (reuse_key(p, i, ink_str_cstr(&path)) < 0)
                goto done;
            reused[i] = 1;
        }
    }
    for (i = 0; i < ink_provision_nkeys(p); i++)
        if (ink_provision_key(p, i)->record == NULL && keygen_one(p, i, out, force) < 0)
            goto done;
    /* every query at once through the driver; what could not be read is a
     * finding of the record set, not an error of the command */
    if (ink_drive_sync(r, ink_provision_machine(p), NULL) != INK_NEXT_DONE ||
        ink_provision_compute(p) < 0) {
        cli_error("provision: cannot compute the record set");
        goto done;
    }
    spf_budget(p, r);

    ink_str_printf(&zname, "%s.zone", ink_provision_domain(p));
    if (ink_provision_zone(p, &zone) < 0 || ink_provision_checklist(p, &check) < 0) {
        cli_error("out of memory");
        goto done;
    }
    ink_str_truncate(&path, 0);
    ink_str_printf(&path, "%s/%s", out, ink_str_cstr(&zname));
    if (cli_write_file(ink_str_cstr(&path), zone.buf, zone.len, 0644, 0) < 0)
        goto done;
    js = records_json(p, prof, ink_str_cstr(&zname));
    jtext = json_dumps(js, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (jtext == NULL) {
        cli_error("out of memory");
        goto done;
    }
    ink_str_truncate(&path, 0);
    ink_str_printf(&path, "%s/records.json", out);
    {
        struct ink_str j = INK_STR_INIT;
        ink_str_printf(&j, "%s\n", jtext);
        if (cli_write_file(ink_str_cstr(&path), j.buf, j.len, 0644, 0) < 0) {
            ink_str_free(&j);
            goto done;
        }
        ink_str_free(&j);
    }
    ink_str_truncate(&path, 0);
    ink_str_printf(&path, "%s/CHECKLIST.txt", out);
    if (cli_write_file(ink_str_cstr(&path), check.buf, check.len, 0644, 0) < 0)
        goto done;

    if (json)
        printf("%s\n", jtext);
    else {
        fputs(ink_str_cstr(&check), stdout);
        printf("\nWrote %s/%s, %s/records.json, %s/CHECKLIST.txt", out, ink_str_cstr(&zname), out,
               out);
        for (i = 0; i < ink_provision_nkeys(p); i++)
            if (!reused[i])
                printf(", %s/%s.private", out, ink_provision_key(p, i)->selector);
        printf("\n");
    }
    worst = ink_provision_worst(p);
    rc = worst == INK_SEV_ERROR ? 4 : INK_EXIT_OK;
done:
    free(reused);
    free(outdir);
    free(jtext);
    json_decref(js);
    ink_resolver_free(r);
    ink_provision_free(p);
    ink_profile_free(prof);
    ink_str_free(&err);
    ink_str_free(&zone);
    ink_str_free(&check);
    ink_str_free(&path);
    ink_str_free(&zname);
    return rc;
}
