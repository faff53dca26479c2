/*
 * dns.c - `inkan dns NAME [TYPE]`: ask the configured DNS source (--zone
 * FILE, --dns HOST[:PORT] or the system resolver) one question and print
 * the answer as inkan sees it: the status word on the first line (NOERROR,
 * NODATA, NXDOMAIN, SERVFAIL, TIMEOUT), then the records in zone-file
 * form.  It shows exactly what SPF, DKIM and DMARC evaluation are fed.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "inkan/dnsio.h"

/* Bytes of an untrusted reason printed. */
#define DNS_CLI_WHY_MAX 300
/* Longest question line read in batch mode ("NAME TYPE"). */
#define DNS_CLI_LINE_MAX 1024

enum { DNS_OPT_NO_CACHE = CLI_OPT_FIRST_FREE };

/* dns_usage - the command's help */
static void dns_usage(FILE *fp)
{
    fprintf(fp,
            "usage: inkan dns NAME [TYPE] [--zone FILE | --dns HOST[:PORT]] [--json]\n"
            "       inkan dns - [--zone FILE | --dns HOST[:PORT]] [--json]\n\n"
            "Look up NAME (TYPE: A, AAAA, MX, TXT, SPF, CNAME, PTR, NS, SOA; default A)\n"
            "and print the status (NOERROR, NODATA, NXDOMAIN, SERVFAIL, TIMEOUT) on the\n"
            "first line, then the records, CNAMEs of a chain first.\n"
            "With '-', read one question \"NAME [TYPE]\" per line from standard input\n"
            "and answer each in turn through the same resolver (and cache), each\n"
            "answer followed by an empty line (with --json: one JSON object a line).\n\n"
            "Options:\n" CLI_DNS_HELP
            "  --no-cache           do not answer from the resolver's cache\n"
            "  --json               print the answer as JSON\n"
            "  -h, --help           this help\n\n"
            "Exit status: 0 when an answer (of any status) was printed, 1 when no\n"
            "resolver could be opened or a line of '-' was malformed (reported as\n"
            "stdin:LINE, the other lines answered), 2 for a usage error.\n");
}

/* put_txt_string - one character-string in zone-file quoting */
static void put_txt_string(FILE *fp, const uint8_t *s, size_t len)
{
    size_t i;

    fputc('"', fp);
    for (i = 0; i < len; i++) {
        if (s[i] == '"' || s[i] == '\\')
            fprintf(fp, "\\%c", s[i]);
        else if (s[i] < 0x20 || s[i] >= 0x7f)
            fprintf(fp, "\\%03u", s[i]);
        else
            fputc(s[i], fp);
    }
    fputc('"', fp);
}

/* put_name - a model name as printable text (non-printable bytes as \DDD) */
static void put_name(FILE *fp, const char *name)
{
    const unsigned char *p = (const unsigned char *)name;

    for (; *p != '\0'; p++) {
        if (*p <= 0x20 || *p >= 0x7f || *p == '"' || *p == '\\' || *p == ';' || *p == '(' ||
            *p == ')')
            fprintf(fp, "\\%03u", *p);
        else
            fputc(*p, fp);
    }
    fputc('.', fp);
}

/* print_text - the answer in zone-file form */
static void print_text(const struct ink_dns_answer *a)
{
    size_t i, k;

    printf("%s\n", ink_dns_status_name(a->status));
    if (a->why != NULL) {
        struct ink_str w = INK_STR_INIT;
        ink_str_put_printable(&w, a->why, strlen(a->why), DNS_CLI_WHY_MAX);
        printf("; %s\n", ink_str_cstr(&w));
        ink_str_free(&w);
    }
    if (a->dnssec != INK_DNSSEC_UNKNOWN)
        printf("; dnssec: %s\n", ink_dnssec_name(a->dnssec));
    for (i = 0; i < a->nrr; i++) {
        const struct ink_dns_rr *rr = &a->rr[i];
        char ip[64];
        put_name(stdout, rr->owner);
        printf(" %u IN %s ", rr->ttl, ink_dns_type_name(rr->type));
        switch (rr->type) {
        case INK_DNS_A:
            printf("%s", ink_ip_format(4, rr->addr, ip, sizeof(ip)));
            break;
        case INK_DNS_AAAA:
            printf("%s", ink_ip_format(6, rr->addr, ip, sizeof(ip)));
            break;
        case INK_DNS_MX:
            printf("%u ", rr->pref);
            put_name(stdout, rr->name);
            break;
        case INK_DNS_TXT:
        case INK_DNS_SPF:
            for (k = 0; k < rr->ntxt; k++) {
                if (k > 0)
                    fputc(' ', stdout);
                put_txt_string(stdout, rr->txt[k], rr->txtlen[k]);
            }
            break;
        default:
            put_name(stdout, rr->name != NULL ? rr->name : "");
            break;
        }
        fputc('\n', stdout);
    }
}

/* print_json - the answer as a JSON object */
static int print_json(const struct ink_dns_answer *a, int compact)
{
    json_t *o = json_object(), *rrs = json_array();
    size_t i, k;
    char *text;

    if (o == NULL || rrs == NULL)
        return -1;
    json_object_set_new(o, "qname", json_string(a->qname));
    json_object_set_new(o, "qtype", json_string(ink_dns_type_name(a->qtype)));
    json_object_set_new(o, "status", json_string(ink_dns_status_name(a->status)));
    json_object_set_new(o, "dnssec", json_string(ink_dnssec_name(a->dnssec)));
    json_object_set_new(o, "ttl", json_integer(a->ttl));
    if (a->why != NULL)
        json_object_set_new(o, "why", json_stringn(a->why, strlen(a->why)));
    for (i = 0; i < a->nrr; i++) {
        const struct ink_dns_rr *rr = &a->rr[i];
        json_t *r = json_object();
        char ip[64];
        json_object_set_new(r, "owner", json_stringn(rr->owner, strlen(rr->owner)));
        json_object_set_new(r, "type", json_string(ink_dns_type_name(rr->type)));
        json_object_set_new(r, "ttl", json_integer(rr->ttl));
        switch (rr->type) {
        case INK_DNS_A:
        case INK_DNS_AAAA:
            json_object_set_new(r, "address",
                                json_string(ink_ip_format(rr->type == INK_DNS_A ? 4 : 6,
                                                          rr->addr, ip, sizeof(ip))));
            break;
        case INK_DNS_TXT:
        case INK_DNS_SPF: {
            json_t *strs = json_array();
            for (k = 0; k < rr->ntxt; k++)
                json_array_append_new(strs, json_stringn((const char *)rr->txt[k],
                                                         rr->txtlen[k]));
            json_object_set_new(r, "strings", strs);
            break;
        }
        case INK_DNS_MX:
            json_object_set_new(r, "preference", json_integer(rr->pref));
            /* fall through */
        default:
            json_object_set_new(r, "target", json_stringn(rr->name != NULL ? rr->name : "",
                                                          rr->name != NULL ? strlen(rr->name) : 0));
            break;
        }
        json_array_append_new(rrs, r);
    }
    json_object_set_new(o, "records", rrs);
    text = json_dumps(o, (compact ? JSON_COMPACT : JSON_INDENT(2)) | JSON_ENSURE_ASCII);
    json_decref(o);
    if (text == NULL)
        return -1;
    printf("%s\n", text);
    free(text);
    return 0;
}

/* parse_type - a TYPE argument; 0 (after saying why) if unknown */
static uint16_t parse_type(const char *t, size_t len)
{
    uint16_t type = ink_dns_type_from_name(t, len);

    if (type == 0)
        cli_error("dns: unknown record type '%.*s' (A, AAAA, MX, TXT, SPF, CNAME, PTR, NS, SOA)",
                  (int)(len > 64 ? 64 : len), t);
    return type;
}

/* ask - resolve one question and print the answer; 0, or -1 if nothing
 * could be printed */
static int ask(struct ink_resolver *r, const char *name, uint16_t type, int json, int batch)
{
    struct ink_dns_answer *a = ink_resolve_sync(r, name, type);
    int rc = 0;

    if (a == NULL) {
        cli_error("dns: %s: out of memory", name);
        return -1;
    }
    if (json)
        rc = print_json(a, batch);
    else
        print_text(a);
    if (batch && !json)
        putchar('\n');
    ink_dns_answer_free(a);
    if (rc < 0 || fflush(stdout) != 0) {
        cli_error("dns: cannot write the answer");
        return -1;
    }
    return 0;
}

/* batch - answer "NAME [TYPE]" lines from stdin; an exit code.  A
 * malformed line is reported (stdin:LINE) and skipped, and the exit is 1,
 * as for a malformed line of `inkan spf --batch`: bad input data is an
 * operational error, not a bad command line. */
static int batch(struct ink_resolver *r, int json)
{
    char line[DNS_CLI_LINE_MAX + 2];
    unsigned long lineno = 0;
    int status = INK_EXIT_OK;

    while (fgets(line, sizeof(line), stdin) != NULL) {
        char *name, *type_s, *extra, *save = NULL;
        uint16_t type = INK_DNS_A;
        lineno++;
        if (strchr(line, '\n') == NULL && !feof(stdin)) {
            int ch;
            cli_error("dns: stdin:%lu: line longer than %d bytes", lineno, DNS_CLI_LINE_MAX);
            while ((ch = getchar()) != EOF && ch != '\n')
                ;
            status = INK_EXIT_OPERR;
            continue;
        }
        name = strtok_r(line, " \t\r\n", &save);
        if (name == NULL || name[0] == '#')
            continue;
        type_s = strtok_r(NULL, " \t\r\n", &save);
        extra = strtok_r(NULL, " \t\r\n", &save);
        if (extra != NULL) {
            cli_error("dns: stdin:%lu: expected NAME [TYPE]", lineno);
            status = INK_EXIT_OPERR;
            continue;
        }
        if (type_s != NULL && (type = parse_type(type_s, strlen(type_s))) == 0) {
            status = INK_EXIT_OPERR;
            continue;
        }
        if (ask(r, name, type, json, 1) < 0)
            return INK_EXIT_OPERR;
    }
    return status;
}

/* cmd_dns - inkan dns NAME [TYPE] */
int cmd_dns(int argc, char **argv)
{
    static const struct option own[] = {
        {"no-cache", no_argument, NULL, DNS_OPT_NO_CACHE},
        {NULL, 0, NULL, 0},
    };
    struct ink_resolver_opts opts;
    struct ink_resolver *r;
    const char *name;
    uint16_t type = INK_DNS_A;
    int json = 0, c, rc;
    const struct cli_optset set = {.own = own, .dns = &opts, .json = &json, .usage = dns_usage};

    memset(&opts, 0, sizeof(opts));
    optind = 1;
    while ((c = cli_getopt(&set, argc, argv)) != -1) {
        switch (c) {
        case DNS_OPT_NO_CACHE:
            opts.no_cache = 1;
            break;
        case CLI_GETOPT_HELP:
            return INK_EXIT_OK;
        default:
            return INK_EXIT_USAGE;
        }
    }
    if (optind >= argc || argc - optind > 2) {
        cli_error("dns: give a NAME and optionally a TYPE (see 'inkan dns --help')");
        return INK_EXIT_USAGE;
    }
    if (opts.zone_file != NULL && opts.server != NULL) {
        cli_error("dns: --zone and --dns cannot be used together");
        return INK_EXIT_USAGE;
    }
    name = argv[optind];
    if (argc - optind == 2) {
        const char *t = argv[optind + 1];
        if (strcmp(name, "-") == 0) {
            cli_error("dns: with '-' the types come from standard input");
            return INK_EXIT_USAGE;
        }
        type = parse_type(t, strlen(t));
        if (type == 0)
            return INK_EXIT_USAGE;
    }
    r = cli_resolver_open(&opts);
    if (r == NULL)
        return INK_EXIT_OPERR;
    if (strcmp(name, "-") == 0)
        rc = batch(r, json);
    else
        rc = ask(r, name, type, json, 0) < 0 ? INK_EXIT_OPERR : INK_EXIT_OK;
    ink_resolver_free(r);
    return rc;
}
