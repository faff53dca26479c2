/*
 * report_mark.c - `inkan report mark`: a domain owner marks a network of
 * sending sources as theirs (--as ours) or as spoofing (--as spoof), lists
 * the marks (--list [--json]) and removes one (--remove); and the step
 * every report view (summary, sources, advise; the service's
 * /api/reports/ views) takes after reading the summaries: each source inside a
 * marked network gets the most specific mark and the class it gives
 * (inkan/report_mark.h).  The store keeps the marks; the core parses and
 * matches them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"
#include "report_json.h"
#include "inkan/dkim_key.h"
#include "inkan/dns.h"
#include "inkan/report_mark.h"
#include "inkan/store.h"
#include "inkan/str.h"

enum { OPT_DB = CLI_OPT_FIRST_FREE, OPT_AS, OPT_NOTE, OPT_LIST, OPT_REMOVE };

/* Bytes of a time shown in a listing ("2026-12-03 18:20 UTC"). */
#define MARK_TIME_TEXT 32

static const char mark_help[] =
    "usage: inkan report mark DOMAIN IP|CIDR --as ours|spoof [--note TEXT] [--db FILE]\n"
    "       inkan report mark DOMAIN --remove IP|CIDR [--db FILE]\n"
    "       inkan report mark [DOMAIN] --list [--json] [--db FILE]\n\n"
    "Say what the sending sources in a network are, for the report views\n"
    "(summary, sources, advise):\n"
    "  --as ours   the domain's own: its sources are legitimate (aligned when\n"
    "              every message passed DMARC, else legitimate-failing: to fix),\n"
    "              whatever else they look like\n"
    "  --as spoof  not the domain's: its sources are unknown (spoofing), even\n"
    "              when their mail passed\n"
    "IP|CIDR is one address (192.0.2.7, 2001:db8::25) or a network\n"
    "(198.51.100.0/24, 2001:db8::/32) whose bits past the prefix are zero (a\n"
    "network with host bits set is refused, naming the one meant).  Marking a\n"
    "network again replaces its mark.  When marked networks nest, the most\n"
    "specific one holding a source wins.\n\n"
    "Options:\n"
    "  --as ours|spoof  the mark to set\n"
    "  --note TEXT      a note kept with the mark (at most 256 bytes)\n"
    "  --remove IP|CIDR forget the mark of that network (exactly as marked)\n"
    "  --list           the marks of DOMAIN (of every domain without one)\n"
    "  --json           --list as JSON (fields in inkan(1))\n"
    "  --db FILE|URI    the store (default as 'inkan report import')\n\n"
    "Exit status: 0 done, 1 the store failed or --remove found no such mark,\n"
    "2 usage (a bad domain, network, prefix or --as value).\n";

/* mark_usage - the help */
static void mark_usage(FILE *fp)
{
    fputs(mark_help, fp);
}

/* mark_domain - DOMAIN checked, lower case, without its trailing dot
 * (caller frees), or NULL after printing why */
static char *mark_domain(const char *arg)
{
    char buf[INK_DNS_NAME_MAX + 2];
    size_t len = strlen(arg), erroff = 0;
    const char *why = "empty";
    int n;

    if (len > 0 && arg[len - 1] == '.')
        len--;
    if (len == 0 || ink_dkim_domain_check(arg, len, &erroff, &why) < 0) {
        cli_error("'%s' is not a domain name: %s (at byte %zu)", cli_shown(arg), why, erroff);
        return NULL;
    }
    n = ink_dns_name_normalize(arg, len, buf, sizeof(buf));
    if (n <= 0) {
        cli_error("'%s' is not a domain name", cli_shown(arg));
        return NULL;
    }
    return ink_memdup_cstr(buf, (size_t)n);
}

/* mark_network - IP|CIDR (what: the option or operand named in the
 * message) into *net; 0, or -1 after printing why */
static int mark_network(const char *what, const char *arg, struct ink_net *net)
{
    char shown[INK_NET_TEXT_MAX];
    enum ink_net_error e = ink_net_parse((const uint8_t *)arg, strlen(arg), net);

    if (e == INK_NET_OK)
        return 0;
    if (e == INK_NET_E_HOST_BITS)
        cli_error("%s '%s': %s (refused, not changed: did you mean %s?)", what, cli_shown(arg),
                  ink_net_error_text(e), ink_net_format(net, shown, sizeof(shown)));
    else if (e == INK_NET_E_PREFIX)
        cli_error("%s '%s': the prefix length of an IPv%d network is a number of 0..%d", what,
                  cli_shown(arg), net->family, net->family == 4 ? 32 : 128);
    else
        cli_error("%s '%s': %s", what, cli_shown(arg), ink_net_error_text(e));
    return -1;
}

/* note_ok - a note may be kept and shown: at most INK_MARK_NOTE_MAX
 * bytes, no control characters, valid UTF-8 */
static int note_ok(const char *note)
{
    size_t len = strlen(note), i;
    json_t *probe;

    if (len > INK_MARK_NOTE_MAX) {
        cli_error("--note: %zu bytes, more than the %d a note may have", len, INK_MARK_NOTE_MAX);
        return 0;
    }
    for (i = 0; i < len; i++)
        if ((unsigned char)note[i] < 0x20 || note[i] == 0x7f) {
            cli_error("--note: a control character at byte %zu", i);
            return 0;
        }
    /* jansson checks UTF-8: the note goes into JSON as it is */
    probe = json_stringn(note, len);
    if (probe == NULL) {
        cli_error("--note: not valid UTF-8");
        return 0;
    }
    json_decref(probe);
    return 1;
}

/* time_text - epoch seconds as "YYYY-MM-DD HH:MM UTC" into buf */
static const char *time_text(int64_t t, char *buf, size_t len)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (gmtime_r(&tt, &tm) == NULL || strftime(buf, len, "%Y-%m-%d %H:%M UTC", &tm) == 0)
        snprintf(buf, len, "%lld", (long long)t);
    return buf;
}

/* print_shown - text from the store with control bytes as \xHH */
static void print_shown(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f)
            printf("\\x%02X", c);
        else
            putchar(c);
    }
}

/* marks_json - the listing as {"marks": [...]} (new reference, NULL out of memory) */
static json_t *marks_json(const struct ink_store_mark *m, size_t n)
{
    json_t *root = json_object(), *arr = json_array();
    char net[INK_NET_TEXT_MAX];
    size_t i;

    if (root == NULL || arr == NULL) {
        json_decref(root);
        json_decref(arr);
        return NULL;
    }
    json_object_set_new(root, "marks", arr);
    for (i = 0; i < n; i++) {
        json_t *o = json_object();
        snprintf(net, sizeof(net), "%s/%u", m[i].network, m[i].prefix);
        json_object_set_new(o, "domain", json_string(m[i].domain));
        json_object_set_new(o, "network", json_string(net));
        json_object_set_new(o, "address", json_string(m[i].network));
        json_object_set_new(o, "prefix", json_integer((json_int_t)m[i].prefix));
        json_object_set_new(o, "mark", json_string(m[i].mark));
        json_object_set_new(o, "created", json_integer((json_int_t)m[i].created));
        json_object_set_new(o, "note", m[i].note ? json_string(m[i].note) : json_null());
        if (json_array_append_new(arr, o) < 0) {
            json_decref(root);
            return NULL;
        }
    }
    return root;
}

/* marks_text - the listing as an aligned table per domain */
static void marks_text(const struct ink_store_mark *m, size_t n)
{
    char net[INK_NET_TEXT_MAX], when[MARK_TIME_TEXT];
    size_t i;

    for (i = 0; i < n; i++) {
        if (i == 0 || strcmp(m[i].domain, m[i - 1].domain) != 0) {
            size_t k = i, cnt = 0;
            while (k < n && strcmp(m[k].domain, m[i].domain) == 0)
                k++, cnt++;
            if (i > 0)
                putchar('\n');
            print_shown(m[i].domain);
            printf("  %zu mark%s\n", cnt, cnt == 1 ? "" : "s");
            printf("  %-43s %-5s  %-20s  %s\n", "NETWORK", "MARK", "SET", "NOTE");
        }
        snprintf(net, sizeof(net), "%s/%u", m[i].network, m[i].prefix);
        printf("  %-43s %-5s  %-20s  ", net, m[i].mark,
               time_text(m[i].created, when, sizeof(when)));
        print_shown(m[i].note ? m[i].note : "-");
        putchar('\n');
    }
}

/* mark_list - --list: 0, or -1 after printing why */
static int mark_list(struct ink_store *st, const char *domain, int json)
{
    struct ink_store_mark *m = NULL;
    struct ink_str err = INK_STR_INIT;
    size_t n = 0;
    int rc = 0;

    if (ink_store_report_mark_list(st, domain, &m, &n, &err) < 0) {
        cli_error("%s", ink_str_cstr(&err));
        rc = -1;
    } else if (json) {
        json_t *root = marks_json(m, n);
        char *text = root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
        json_decref(root);
        if (text == NULL) {
            cli_error("out of memory");
            rc = -1;
        } else {
            puts(text);
            free(text);
        }
    } else if (n == 0) {
        printf("no marks%s%s\n", domain ? " for " : "", domain ? domain : "");
    } else {
        marks_text(m, n);
    }
    ink_store_marks_free(m, n);
    ink_str_free(&err);
    return rc;
}

/* cli_report_mark - inkan report mark (argv[0] the subcommand) */
int cli_report_mark(int argc, char **argv)
{
    static const struct option own[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"as", required_argument, NULL, OPT_AS},
        {"note", required_argument, NULL, OPT_NOTE},
        {"list", no_argument, NULL, OPT_LIST},
        {"remove", required_argument, NULL, OPT_REMOVE},
        {NULL, 0, NULL, 0},
    };
    int json = 0, list = 0, c, rc = INK_EXIT_OK, replaced = 0, k;
    const struct cli_optset set = {.own = own, .json = &json, .usage = mark_usage};
    const char *db = NULL, *as = NULL, *note = NULL, *remove = NULL, *target = NULL;
    enum ink_mark mark = INK_MARK_NONE;
    struct ink_net net;
    char *domain = NULL, addr[INK_NET_TEXT_MAX], shown[INK_NET_TEXT_MAX];
    struct ink_store *st;
    struct ink_str err = INK_STR_INIT;

    optind = 1;
    while ((c = cli_getopt(&set, argc, argv)) != -1) {
        switch (c) {
        case OPT_DB:
            if (!ink_store_db_ok(optarg)) {
                cli_error("--db '%s': give a database file or a postgresql:// URI",
                          cli_shown(optarg));
                return INK_EXIT_USAGE;
            }
            db = optarg;
            break;
        case OPT_AS:
            if (ink_mark_from_name(optarg, strlen(optarg), &mark) < 0) {
                cli_error("--as '%s': give ours (the domain's own sources) or spoof (not the "
                          "domain's)", cli_shown(optarg));
                return INK_EXIT_USAGE;
            }
            as = optarg;
            break;
        case OPT_NOTE: note = optarg; break;
        case OPT_LIST: list = 1; break;
        case OPT_REMOVE: remove = optarg; break;
        case CLI_GETOPT_HELP: return INK_EXIT_OK;
        default: return INK_EXIT_USAGE;
        }
    }
    k = (as != NULL) + list + (remove != NULL);
    if (k != 1) {
        cli_error(k == 0 ? "give --as ours|spoof, --remove IP|CIDR or --list"
                         : "give one of --as, --remove and --list");
        return INK_EXIT_USAGE;
    }
    if (json && !list) {
        cli_error("--json goes with --list");
        return INK_EXIT_USAGE;
    }
    if (note != NULL && as == NULL) {
        cli_error("--note goes with --as");
        return INK_EXIT_USAGE;
    }
    if (note != NULL && !note_ok(note))
        return INK_EXIT_USAGE;
    if (argc - optind > (as != NULL ? 2 : 1)) {
        cli_error(as != NULL ? "give DOMAIN and one IP|CIDR" : "give at most one DOMAIN");
        return INK_EXIT_USAGE;
    }
    if (optind >= argc && !list) {
        cli_error("give the DOMAIN whose sources to mark");
        return INK_EXIT_USAGE;
    }
    if (as != NULL) {
        if (argc - optind < 2) {
            cli_error("give the IP|CIDR to mark after DOMAIN");
            return INK_EXIT_USAGE;
        }
        target = argv[optind + 1];
        if (mark_network("IP|CIDR", target, &net) < 0)
            return INK_EXIT_USAGE;
    } else if (remove != NULL && mark_network("--remove", remove, &net) < 0) {
        return INK_EXIT_USAGE;
    }
    if (optind < argc && (domain = mark_domain(argv[optind])) == NULL)
        return INK_EXIT_USAGE;
    st = cli_report_open_db(db);
    if (st == NULL) {
        free(domain);
        return INK_EXIT_OPERR;
    }
    if (!list)
        ink_net_addr_format(&net, addr, sizeof(addr));
    if (list) {
        if (mark_list(st, domain, json) < 0)
            rc = INK_EXIT_OPERR;
    } else if (as != NULL) {
        struct ink_store_mark m = {domain, addr, net.prefix, (char *)ink_mark_name(mark),
                                   (int64_t)time(NULL), (char *)note};
        if (ink_store_report_mark_put(st, &m, &replaced, &err) < 0) {
            cli_error("%s", ink_str_cstr(&err));
            rc = INK_EXIT_OPERR;
        } else {
            printf("%s: %s marked %s%s\n", domain, ink_net_format(&net, shown, sizeof(shown)),
                   ink_mark_name(mark), replaced ? " (its earlier mark replaced)" : "");
        }
    } else {
        int r = ink_store_report_mark_remove(st, domain, addr, net.prefix, &err);
        ink_net_format(&net, shown, sizeof(shown));
        if (r == INK_STORE_NOT_FOUND) {
            cli_error("%s: no mark on %s (give the network exactly as 'report mark %s --list' "
                      "shows it)", domain, shown, domain);
            rc = INK_EXIT_OPERR;
        } else if (r < 0) {
            cli_error("%s", ink_str_cstr(&err));
            rc = INK_EXIT_OPERR;
        } else {
            printf("%s: mark on %s removed\n", domain, shown);
        }
    }
    ink_store_free(st);
    ink_str_free(&err);
    free(domain);
    return rc;
}

/* The marks of one summary's domain, as the matcher reads them. */
struct mark_set {
    const char *domain;
    struct ink_mark_rule *rules;
    size_t n;
};

/*
 * cli_report_apply_marks - see report_json.h.  The marks come sorted by
 * domain; each summary matches its sources against its domain's run of
 * them.
 */
int cli_report_apply_marks(struct ink_store *st, const char *domain,
                           struct ink_report_summary *sum, size_t n, struct ink_str *err)
{
    struct ink_store_mark *m = NULL;
    struct ink_mark_rule *rules = NULL;
    size_t nm = 0, i, j, first;
    char text[INK_NET_TEXT_MAX];
    int rc = -1;

    if (n == 0)
        return 0;
    if (ink_store_report_mark_list(st, domain, &m, &nm, err) < 0)
        return -1;
    if (nm == 0)
        return 0;
    rules = calloc(nm, sizeof(*rules));
    if (rules == NULL) {
        ink_str_puts(err, "out of memory");
        goto out;
    }
    for (i = 0; i < nm; i++) {
        int len = snprintf(text, sizeof(text), "%s/%u", m[i].network, m[i].prefix);
        if (len < 0 || (size_t)len >= sizeof(text) ||
            ink_net_parse((const uint8_t *)text, (size_t)len, &rules[i].net) != INK_NET_OK ||
            ink_mark_from_name(m[i].mark, strlen(m[i].mark), &rules[i].mark) < 0) {
            ink_str_printf(err, "database: the mark of %s on '%s/%u' is not one inkan wrote",
                           m[i].domain, m[i].network, m[i].prefix);
            goto out;
        }
    }
    for (i = 0; i < n; i++) {
        struct mark_set set = {sum[i].domain, NULL, 0};
        for (first = 0; first < nm && strcmp(m[first].domain, set.domain) != 0; first++)
            ;
        set.rules = rules + first;
        while (first + set.n < nm && strcmp(m[first + set.n].domain, set.domain) == 0)
            set.n++;
        for (j = 0; j < sum[i].nsources && set.n > 0; j++) {
            struct ink_report_source *src = &sum[i].sources[j];
            long hit = ink_mark_find(set.rules, set.n, src->ip, strlen(src->ip));
            if (hit < 0)
                continue;
            src->mark = ink_mark_name(set.rules[hit].mark);
            src->class = ink_report_class_marked(src->class, set.rules[hit].mark);
            free(src->mark_network);
            src->mark_network = strdup(ink_net_format(&set.rules[hit].net, text, sizeof(text)));
            if (src->mark_network == NULL) {
                ink_str_puts(err, "out of memory");
                goto out;
            }
        }
    }
    rc = 0;
out:
    free(rules);
    ink_store_marks_free(m, nm);
    return rc;
}
