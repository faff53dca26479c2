/*
 * report.c - 'inkan report': import DMARC aggregate reports into the
 * store (files, directory trees, standard input; XML, .xml.gz, .zip) and
 * summarise them per policy domain.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "report_json.h"
#include "report_imap.h"
#include "inkan/driver.h"
#include "inkan/report_import.h"
#include "inkan/store.h"
#include "inkan/str.h"

/* Exit status when some inputs were refused (the rest was imported). */
#define REPORT_EXIT_REFUSED 3
/* Directory levels an import walks down at most. */
#define REPORT_DIR_DEPTH_MAX 16
/* Entries of one directory an import reads at most. */
#define REPORT_DIR_ENTRIES_MAX 1000000

enum { OPT_DB = CLI_OPT_FIRST_FREE, OPT_REDACT, OPT_HEADERS_MAX, OPT_NO_DNS, OPT_PLATFORMS,
       OPT_PROCESSED, OPT_REFUSED_FOLDER, OPT_PASSWORD_FILE, OPT_CA, OPT_INSECURE };

/* Seconds a cached reverse name is trusted before it is looked up again. */
#define REPORT_PTR_MAX_AGE (30 * 86400)

/* The platform map installed with inkan (meson sets the path). */
#ifndef INK_PLATFORMS_DEFAULT
#define INK_PLATFORMS_DEFAULT "/usr/local/share/inkan/platforms.yaml"
#endif

/* Largest --headers-max accepted (1 MiB). */
#define REPORT_HEADERS_MAX_MAX ((size_t)1 << 20)

static const char report_help[] =
    "usage: inkan report SUBCOMMAND [OPTIONS]\n\n"
    "DMARC aggregate reports: import them into the store, summarise them.\n\n"
    "  import [--db FILE] [--redact] [--headers-max N] PATH...|-\n"
    "                                      import reports: files (.xml, .xml.gz, .zip,\n"
    "                                      mail messages, mbox; told by content),\n"
    "                                      directory trees (Maildir), stdin, or an\n"
    "                                      IMAP mailbox imaps://USER@HOST[:PORT]/MAILBOX\n"
    "  summary [--db FILE] [--json] [DNS OPTIONS] [DOMAIN]  per policy domain:\n"
    "                                      messages, DMARC, SPF and DKIM aligned\n"
    "                                      passes, sources (reverse name, platform)\n"
    "  advise [--db FILE] [--json] [DNS OPTIONS] [DOMAIN]   what enforcing would\n"
    "                                      affect, the sources to fix first and the\n"
    "                                      DNS changes that fix them (zone-file lines,\n"
    "                                      merged into the current records), the next step\n"
    "  sources [--db FILE] [--json] [DNS OPTIONS] [DOMAIN]  every sending source:\n"
    "                                      volume, DMARC, SPF and DKIM results, the\n"
    "                                      domains it authenticated for, reverse\n"
    "                                      name, platform, class\n"
    "  timeline [--db FILE] [--json] [DOMAIN]  messages and DMARC pass/fail per day\n"
    "  mark DOMAIN IP|CIDR --as ours|spoof [--note TEXT] [--db FILE]  say a network's\n"
    "                                      sources are the domain's own (legitimate)\n"
    "                                      or spoofing, whatever they look like;\n"
    "                                      mark [DOMAIN] --list [--json], mark DOMAIN\n"
    "                                      --remove IP|CIDR ('report mark --help')\n"
    "  (summary, advise, sources and timeline take --since WHEN and --until WHEN:\n"
    "  the reports whose period begins then; YYYY-MM-DD (UTC) or epoch seconds)\n"
    "  simulate DOMAIN [--db FILE] [--since DATE] [--until DATE] [--spf RECORD]\n"
    "           [--dmarc RECORD] [--json] [DNS OPTIONS]\n"
    "                                      replay the stored rows under a proposed\n"
    "                                      SPF and/or DMARC record: the sources and\n"
    "                                      messages whose result would change\n"
    "  generate --period DAY [--db FILE] ... our own aggregate reports (as a\n"
    "                                      receiver), one per policy domain, into\n"
    "                                      an outbox ('report generate --help')\n"
    "  send (--relay smtp://HOST[:PORT] | --dry-run DIR) ...  mail them to each\n"
    "                                      domain's authorized rua addresses\n"
    "                                      ('report send --help')\n\n"
    "Options:\n"
    "  --db FILE|URI  the store (default $XDG_DATA_HOME/inkan/inkan.db or\n"
    "              ~/.local/share/inkan/inkan.db, as 'inkan domain'), or a\n"
    "              postgresql:// URI (importers at once split their inputs)\n"
    "  --json      machine-readable output (summary, advise, sources)\n"
    "  --no-dns    summary, advise, sources: look up no reverse name (cached ones\n"
    "              are shown)\n"
    "  --platforms FILE  summary, advise, sources: the platform map (default\n"
    "              " INK_PLATFORMS_DEFAULT ")\n"
    CLI_DNS_HELP
    "  --redact    failure reports: keep only the domains of addresses\n"
    "  --headers-max N  failure reports: original header bytes kept (default\n"
    "              16384; 0 keeps none)\n"
    "  imaps:// import: --password-file FILE (or INKAN_IMAP_PASSWORD),\n"
    "              --processed-folder NAME (default Processed: a message moves\n"
    "              there only after its reports are stored), --refused-folder NAME\n"
    "              (default: a message with a refused report stays put),\n"
    "              --ca FILE, --insecure (no certificate check: tests only)\n\n"
    "Exit status of import: 0 every report imported or a duplicate, 3 some\n"
    "refused (the others imported), 1 an input or the database failed; 2 usage.\n";

/* report_usage - the help */
static void report_usage(FILE *fp)
{
    fputs(report_help, fp);
}

/* open_db - open (creating or migrating) the store; NULL after saying why */
static struct ink_store *open_db(const char *path)
{
    struct ink_str err = INK_STR_INIT;
    struct ink_store *st;
    char *def = NULL;

    if (path == NULL) {
        def = cli_default_db_path();
        if (def == NULL) {
            cli_error("no --db FILE given and neither XDG_DATA_HOME nor HOME is set");
            return NULL;
        }
        path = def;
    }
    st = ink_store_open(path, 0, &err);
    if (st == NULL)
        cli_error("%s", ink_str_cstr(&err));
    ink_str_free(&err);
    free(def);
    return st;
}

/* cli_report_open_db - the store the report commands use (report_send.c,
 * report_span.c, report_sim.c) */
struct ink_store *cli_report_open_db(const char *path)
{
    return open_db(path);
}

/* The counts of one import run. */
struct tally {
    const char *input; /* the input being read, for the per-report lines */
    unsigned long imported, duplicate, refused, failed;
    unsigned long skipped; /* inputs another importer took (the queue) */
};

/* The files a walk collects instead of importing them (the queue's
 * inputs), or NULL: import each as it is found. */
struct pathlist {
    char **v;
    size_t n, cap;
};
static struct pathlist *collect;

/* on_result - one line per report: INPUT[:ENTRY]: STATUS ... */
static void on_result(void *ctx, const struct ink_import_result *r)
{
    struct tally *t = ctx;
    const char *sep = r->entry[0] ? ":" : "";

    switch (r->status) {
    case INK_IMPORT_IMPORTED:
        t->imported++;
        if (r->failure) {
            printf("%s%s%s: imported: failure report for %s: %s\n", t->input, sep, r->entry,
                   r->domain[0] ? r->domain : "?", r->message);
            break;
        }
        printf("%s%s%s: imported: %s report %s from %s (%zu records, %llu messages)%s%s\n",
               t->input, sep, r->entry, r->domain, r->report_id, r->org_name, r->records,
               (unsigned long long)r->messages, r->message[0] ? "; noted: " : "", r->message);
        break;
    case INK_IMPORT_DUPLICATE:
        t->duplicate++;
        printf("%s%s%s: duplicate: %s\n", t->input, sep, r->entry, r->message);
        break;
    case INK_IMPORT_REFUSED:
        t->refused++;
        printf("%s%s%s: refused: %s\n", t->input, sep, r->entry, r->message);
        break;
    case INK_IMPORT_FAILED:
        t->failed++;
        printf("%s%s%s: failed: %s\n", t->input, sep, r->entry, r->message);
        break;
    }
    fflush(stdout);
}

static int import_path(struct ink_store *st, const char *path, int depth, struct tally *t);
static int import_file(struct ink_store *st, const char *path, struct tally *t);

/* The import choices of this run (--redact, --headers-max). */
static struct ink_import_limits import_lim;
/* The IMAP choices of this run (report_imap.c). */
static struct cli_imap_opts imap_opts;

/* name_cmp - directory entries in byte order (a stable import order) */
static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* import_dir - every regular file under dir, in name order */
static int import_dir(struct ink_store *st, const char *dir, int depth, struct tally *t)
{
    DIR *d;
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0, i;
    int rc = 0;

    if (depth >= REPORT_DIR_DEPTH_MAX) {
        printf("%s: refused: directories nested deeper than %d\n", dir, REPORT_DIR_DEPTH_MAX);
        t->refused++;
        return 0;
    }
    d = opendir(dir);
    if (d == NULL) {
        printf("%s: failed: cannot read the directory: %s\n", dir, strerror(errno));
        t->failed++;
        return 0;
    }
    while ((de = readdir(d)) != NULL && n < REPORT_DIR_ENTRIES_MAX) {
        struct ink_str p = INK_STR_INIT;
        if (de->d_name[0] == '.') /* ., .., and hidden files (editors' backups) */
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            char **nn = reallocarray(names, ncap, sizeof(*names));
            if (nn == NULL) {
                rc = -1;
                break;
            }
            names = nn;
            cap = ncap;
        }
        if (ink_str_printf(&p, "%s/%s", dir, de->d_name) < 0) {
            rc = -1;
            break;
        }
        names[n++] = ink_str_steal(&p);
    }
    closedir(d);
    if (rc == 0) {
        if (n > 0) /* qsort wants an array, even of none */
            qsort(names, n, sizeof(*names), name_cmp);
        for (i = 0; i < n && rc == 0; i++)
            rc = import_path(st, names[i], depth + 1, t);
    } else {
        cli_error("out of memory");
    }
    for (i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

/* import_path - a file, a directory tree, or "-" (standard input);
 * -1 only when the database failed (the batch stops) */
static int import_path(struct ink_store *st, const char *path, int depth, struct tally *t)
{
    struct stat sb;

    if (strcmp(path, "-") == 0 && depth == 0) {
        t->input = "-";
        ink_report_import_fd(st, 0, "-", &import_lim, on_result, t);
        return 0;
    }
    if (depth == 0 && cli_is_imap_url(path)) {
        /* a mailbox: fetched, imported and moved by report_imap.c */
        t->input = path;
        if (cli_report_imap(st, path, &imap_opts, &import_lim, on_result, t) < 0)
            t->failed++;
        return 0;
    }
    if (stat(path, &sb) < 0) {
        printf("%s: failed: %s\n", path, strerror(errno));
        t->failed++;
        return 0;
    }
    if (S_ISDIR(sb.st_mode))
        return import_dir(st, path, depth, t);
    if (!S_ISREG(sb.st_mode)) {
        printf("%s: refused: not a regular file\n", path);
        t->refused++;
        return 0;
    }
    if (collect != NULL) {
        char *copy;
        if (collect->n == collect->cap) {
            size_t ncap = collect->cap ? collect->cap * 2 : 64;
            char **nv = reallocarray(collect->v, ncap, sizeof(*nv));
            if (nv == NULL) {
                cli_error("out of memory");
                return -1;
            }
            collect->v = nv;
            collect->cap = ncap;
        }
        if ((copy = strdup(path)) == NULL) {
            cli_error("out of memory");
            return -1;
        }
        collect->v[collect->n++] = copy;
        return 0;
    }
    return import_file(st, path, t);
}

/* import_file - the reports of one regular file */
static int import_file(struct ink_store *st, const char *path, struct tally *t)
{
    int fd;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        printf("%s: failed: %s\n", path, strerror(errno));
        t->failed++;
        return 0;
    }
    t->input = path;
    ink_report_import_fd(st, fd, path, &import_lim, on_result, t);
    close(fd);
    return 0;
}

/* file_sha256 - the SHA-256 (hex) of a file's bytes into hex; -1 after
 * saying why it cannot be read */
static int file_sha256(const char *path, char hex[INK_STORE_SHA256_HEX], struct tally *t)
{
    unsigned char buf[INK_IMPORT_CHUNK], md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int fd = open(path, O_RDONLY | O_CLOEXEC), ok = 0;
    ssize_t got = 0;

    if (fd >= 0 && ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1) {
        while ((got = read(fd, buf, sizeof(buf))) > 0 || (got < 0 && errno == EINTR))
            if (got > 0)
                EVP_DigestUpdate(ctx, buf, (size_t)got);
        ok = got == 0 && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen * 2 < INK_STORE_SHA256_HEX;
    }
    if (!ok) {
        printf("%s: failed: %s\n", path, fd < 0 || got < 0 ? strerror(errno) : "out of memory");
        t->failed++;
    } else {
        ink_hex(md, mdlen, hex);
    }
    if (fd >= 0)
        close(fd);
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : -1;
}

/*
 * import_queued - the files of path (a file or a directory tree) through
 * the store's import work queue: enqueued by content hash, then claimed
 * one at a time (another importer given the same files takes the others),
 * each claimed hash's files imported, and marked done.  Files another
 * importer took are listed as skipped.  -1 when the database failed.
 */
static int import_queued(struct ink_store *st, const char *path, struct tally *t)
{
    struct pathlist files = {NULL, 0, 0};
    char (*hash)[INK_STORE_SHA256_HEX] = NULL;
    const char **hp = NULL;
    char *done = NULL, claimed[INK_STORE_SHA256_HEX];
    struct ink_str err = INK_STR_INIT;
    size_t i, nh = 0;
    int rc;

    collect = &files;
    rc = import_path(st, path, 0, t);
    collect = NULL;
    if (rc == 0 && files.n > 0) {
        hash = calloc(files.n, sizeof(*hash));
        hp = calloc(files.n, sizeof(*hp));
        done = calloc(files.n, 1);
        if (hash == NULL || hp == NULL || done == NULL) {
            cli_error("out of memory");
            rc = -1;
        }
    }
    for (i = 0; rc == 0 && i < files.n; i++) {
        if (file_sha256(files.v[i], hash[i], t) < 0)
            done[i] = 1; /* said why; not enqueued */
        else
            hp[nh++] = hash[i];
    }
    if (rc == 0 && nh > 0 && ink_store_queue_fill(st, hp, nh, &err) < 0)
        rc = -1;
    while (rc == 0 && nh > 0) {
        int c = ink_store_queue_claim(st, claimed, &err);
        if (c == INK_STORE_NOT_FOUND)
            break;
        if (c != 0) {
            rc = -1;
            break;
        }
        /* every file of ours with those bytes, as an import without the
         * queue would (the copies are duplicates) */
        for (i = 0; rc == 0 && i < files.n; i++)
            if (!done[i] && strcmp(hash[i], claimed) == 0) {
                done[i] = 1;
                rc = import_file(st, files.v[i], t);
            }
        if (rc == 0 && ink_store_queue_done(st, claimed, &err) < 0)
            rc = -1;
    }
    for (i = 0; rc == 0 && i < files.n; i++)
        if (!done[i]) {
            printf("%s: skipped: another importer took these bytes\n", files.v[i]);
            t->skipped++;
        }
    if (err.len > 0) {
        cli_error("%s", ink_str_cstr(&err));
        t->failed++;
    }
    for (i = 0; i < files.n; i++)
        free(files.v[i]);
    free(files.v);
    free(hash);
    free(hp);
    free(done);
    ink_str_free(&err);
    return rc;
}

/* report_import - inkan report import */
static int report_import(int argc, char **argv)
{
    static const struct option own[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"redact", no_argument, NULL, OPT_REDACT},
        {"headers-max", required_argument, NULL, OPT_HEADERS_MAX},
        {"processed-folder", required_argument, NULL, OPT_PROCESSED},
        {"refused-folder", required_argument, NULL, OPT_REFUSED_FOLDER},
        {"password-file", required_argument, NULL, OPT_PASSWORD_FILE},
        {"ca", required_argument, NULL, OPT_CA},
        {"insecure", no_argument, NULL, OPT_INSECURE},
        {NULL, 0, NULL, 0},
    };
    const struct cli_optset set = {.own = own, .usage = report_usage};
    const char *db = NULL;
    struct ink_store *st;
    struct tally t;
    int c, i;
    char *end;
    unsigned long long v;

    memset(&import_lim, 0, sizeof(import_lim));
    memset(&imap_opts, 0, sizeof(imap_opts));
    optind = 1;
    while ((c = cli_getopt(&set, argc, argv)) != -1) {
        switch (c) {
        case OPT_REDACT:
            import_lim.redact = 1;
            break;
        case OPT_PROCESSED: imap_opts.processed = optarg; break;
        case OPT_REFUSED_FOLDER: imap_opts.refused = optarg; break;
        case OPT_PASSWORD_FILE: imap_opts.password_file = optarg; break;
        case OPT_CA: imap_opts.ca_file = optarg; break;
        case OPT_INSECURE: imap_opts.insecure = 1; break;
        case OPT_HEADERS_MAX:
            errno = 0;
            v = strtoull(optarg, &end, 10);
            if (optarg[0] < '0' || optarg[0] > '9' || *end != '\0' || errno != 0 ||
                v > REPORT_HEADERS_MAX_MAX) {
                cli_error("--headers-max: '%s' is not a byte count up to %zu", cli_shown(optarg),
                          REPORT_HEADERS_MAX_MAX);
                return INK_EXIT_USAGE;
            }
            import_lim.headers_none = v == 0;
            import_lim.headers_max = (size_t)v;
            break;
        case OPT_DB:
            if (!ink_store_db_ok(optarg)) {
                cli_error("--db '%s': give a database file or a postgresql:// URI",
                          cli_shown(optarg));
                return INK_EXIT_USAGE;
            }
            db = optarg;
            break;
        case CLI_GETOPT_HELP: return INK_EXIT_OK;
        default: return INK_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        cli_error("give the report files or directories to import, or '-' for standard input");
        return INK_EXIT_USAGE;
    }
    st = open_db(db);
    if (st == NULL)
        return INK_EXIT_OPERR;
    memset(&t, 0, sizeof(t));
    for (i = optind; i < argc; i++) {
        /* files and directories through the work queue where the store
         * has one (PostgreSQL: importers running at once split them) */
        int queued = ink_store_has_queue(st) && strcmp(argv[i], "-") != 0 &&
                     !cli_is_imap_url(argv[i]);
        if ((queued ? import_queued(st, argv[i], &t) : import_path(st, argv[i], 0, &t)) < 0)
            break;
    }
    ink_store_free(st);
    printf("imported %lu, duplicates %lu, refused %lu, failed %lu", t.imported, t.duplicate,
           t.refused, t.failed);
    if (t.skipped > 0)
        printf(", skipped %lu (taken by another importer)", t.skipped);
    printf("\n");
    if (t.failed)
        return INK_EXIT_OPERR;
    return t.refused ? REPORT_EXIT_REFUSED : INK_EXIT_OK;
}

/* day - an epoch time as YYYY-MM-DD (UTC) into buf */
static const char *day(int64_t t, char *buf, size_t len)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (gmtime_r(&tt, &tm) == NULL || strftime(buf, len, "%Y-%m-%d", &tm) == 0)
        snprintf(buf, len, "%lld", (long long)t);
    return buf;
}

/* pct - part of whole in percent (0 for an empty whole) */
static double pct(uint64_t part, uint64_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* print_json - print root indented, in the order it was built, and
 * release it; -1 when it cannot be written (out of memory) */
static int print_json(json_t *root)
{
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

    json_decref(root);
    if (text == NULL)
        return -1;
    puts(text);
    free(text);
    return 0;
}

/* words_json - a space-separated list (NULL: none) as a JSON array */
static json_t *words_json(const char *list)
{
    json_t *a = json_array();
    const char *p = list, *e;

    while (a != NULL && p != NULL && *p != '\0') {
        while (*p == ' ')
            p++;
        e = strchr(p, ' ');
        if (e == NULL)
            e = p + strlen(p);
        if (e > p)
            json_array_append_new(a, json_stringn(p, (size_t)(e - p)));
        p = e;
    }
    return a;
}

/* source_json - one source as an object (new reference): what summary
 * shows, and with detail what sources adds (dmarc_fail,
 * fail_authenticated, the domains it authenticated for) */
static json_t *source_json(const struct ink_report_source *r, int detail)
{
    json_t *o = json_object();

    json_object_set_new(o, "ip", json_string(r->ip));
    json_object_set_new(o, "messages", json_integer((json_int_t)r->messages));
    json_object_set_new(o, "dmarc_pass", json_integer((json_int_t)r->dmarc_pass));
    if (detail)
        json_object_set_new(o, "dmarc_fail",
                            json_integer((json_int_t)(r->messages - r->dmarc_pass)));
    json_object_set_new(o, "spf_aligned_pass", json_integer((json_int_t)r->spf_aligned_pass));
    json_object_set_new(o, "dkim_aligned_pass", json_integer((json_int_t)r->dkim_aligned_pass));
    if (detail) {
        json_object_set_new(o, "fail_authenticated",
                            json_integer((json_int_t)r->fail_authenticated));
        json_object_set_new(o, "spf_domains", words_json(r->spf_auth_domains));
        json_object_set_new(o, "dkim_domains", words_json(r->dkim_auth_domains));
    }
    json_object_set_new(o, "ptr", r->ptr ? json_string(r->ptr) : json_null());
    json_object_set_new(o, "platform", r->platform ? json_string(r->platform) : json_null());
    json_object_set_new(o, "class", json_string(r->class));
    json_object_set_new(o, "mark", r->mark ? json_string(r->mark) : json_null());
    json_object_set_new(o, "mark_network",
                        r->mark_network ? json_string(r->mark_network) : json_null());
    return o;
}

/* cli_report_summary_json - the summaries as {"domains": [...]}: a new
 * reference the caller releases, NULL when out of memory; `inkan report
 * summary --json` and serve's GET /api/v1/reports/summary both use it */
json_t *cli_report_summary_json(const struct ink_report_summary *sum, size_t n)
{
    json_t *root = json_object(), *arr = json_array();
    size_t i, j;

    if (root == NULL || arr == NULL) {
        json_decref(root);
        json_decref(arr);
        return NULL;
    }
    json_object_set_new(root, "domains", arr);
    for (i = 0; i < n; i++) {
        const struct ink_report_summary *s = &sum[i];
        json_t *d = json_object(), *srcs = json_array();
        json_object_set_new(d, "domain", json_string(s->domain));
        json_object_set_new(d, "begin", json_integer(s->begin));
        json_object_set_new(d, "end", json_integer(s->end));
        json_object_set_new(d, "reports", json_integer((json_int_t)s->reports));
        json_object_set_new(d, "duplicates", json_integer((json_int_t)s->duplicates));
        json_object_set_new(d, "messages", json_integer((json_int_t)s->messages));
        json_object_set_new(d, "dmarc_pass", json_integer((json_int_t)s->dmarc_pass));
        json_object_set_new(d, "dmarc_fail", json_integer((json_int_t)s->dmarc_fail));
        json_object_set_new(d, "spf_aligned_pass", json_integer((json_int_t)s->spf_aligned_pass));
        json_object_set_new(d, "dkim_aligned_pass",
                            json_integer((json_int_t)s->dkim_aligned_pass));
        json_object_set_new(d, "failure_reports", json_integer((json_int_t)s->failure_reports));
        for (j = 0; j < s->nsources; j++)
            json_array_append_new(srcs, source_json(&s->sources[j], 0));
        json_object_set_new(d, "sources", srcs);
        json_array_append_new(arr, d);
    }
    return root;
}

/* summary_text - one block per domain, sources as an aligned table */
static void summary_text(const struct ink_report_summary *sum, size_t n)
{
    size_t i, j;
    char b[32], e[32];

    for (i = 0; i < n; i++) {
        const struct ink_report_summary *s = &sum[i];
        printf("%s  %s .. %s  reports %llu (duplicates %llu)  failure reports %llu\n",
               s->domain, day(s->begin, b, sizeof(b)), day(s->end, e, sizeof(e)),
               (unsigned long long)s->reports, (unsigned long long)s->duplicates,
               (unsigned long long)s->failure_reports);
        printf("  messages %llu  dmarc pass %llu (%.1f%%)  fail %llu  spf aligned pass %llu "
               "(%.1f%%)  dkim aligned pass %llu (%.1f%%)\n",
               (unsigned long long)s->messages, (unsigned long long)s->dmarc_pass,
               pct(s->dmarc_pass, s->messages), (unsigned long long)s->dmarc_fail,
               (unsigned long long)s->spf_aligned_pass, pct(s->spf_aligned_pass, s->messages),
               (unsigned long long)s->dkim_aligned_pass, pct(s->dkim_aligned_pass, s->messages));
        printf("  %-39s %10s %10s %11s %12s  %-18s %s  %s\n", "SOURCE", "MESSAGES", "DMARC-PASS",
               "SPF-ALIGNED", "DKIM-ALIGNED", "CLASS", "PTR", "PLATFORM");
        for (j = 0; j < s->nsources; j++) {
            const struct ink_report_source *r = &s->sources[j];
            printf("  %-39s %10llu %10llu %11llu %12llu  %-18s %s  %s\n", r->ip,
                   (unsigned long long)r->messages, (unsigned long long)r->dmarc_pass,
                   (unsigned long long)r->spf_aligned_pass,
                   (unsigned long long)r->dkim_aligned_pass, r->class, r->ptr ? r->ptr : "-",
                   r->platform ? r->platform : "-");
        }
        if (i + 1 < n)
            putchar('\n');
    }
}

/* share - "N (X.X%)" of whole into buf */
static const char *share(uint64_t n, uint64_t whole, char *buf, size_t len)
{
    snprintf(buf, len, "%llu (%.1f%%)", (unsigned long long)n, pct(n, whole));
    return buf;
}

/* spoof_passing - 1 when the owner marked src spoof and some of its mail
 * passed DMARC all the same (it holds the domain's SPF or DKIM) */
static int spoof_passing(const struct ink_report_source *src)
{
    return src->mark != NULL && strcmp(src->mark, "spoof") == 0 && src->dmarc_pass > 0 &&
           src->mark_network != NULL;
}

/* advise_text - readiness, the sources to fix and their DNS changes (adv
 * from cli_report_fixes), the next step */
static void advise_text(const struct ink_report_summary *sum, size_t n,
                        struct ink_fix_advice *const *adv)
{
    size_t i, j;
    char b[32], e[32], s1[48], s2[48], s3[48];

    for (i = 0; i < n; i++) {
        const struct ink_report_summary *s = &sum[i];
        struct ink_report_readiness r;
        int listed = 0;
        memset(&r, 0, sizeof(r));
        for (j = 0; j < s->nsources; j++)
            ink_report_readiness_add(&r, s->sources[j].messages, s->sources[j].dmarc_pass,
                                     s->sources[j].class);
        printf("%s: %s .. %s, %llu messages in %llu reports, published p=%s%s\n", s->domain,
               day(s->begin, b, sizeof(b)), day(s->end, e, sizeof(e)),
               (unsigned long long)s->messages, (unsigned long long)s->reports,
               s->p ? s->p : "?", s->testing && strcmp(s->testing, "y") == 0 ? " t=y" : "");
        printf("  enforcing now would affect %s messages from sources that look legitimate, "
               "%s forwarded, and %s from sources that look like spoofing\n",
               share(r.fail_legitimate, r.messages, s1, sizeof(s1)),
               share(r.fail_forwarded, r.messages, s2, sizeof(s2)),
               share(r.fail_unknown, r.messages, s3, sizeof(s3)));
        for (j = 0; j < s->nsources; j++) {
            const struct ink_report_source *src = &s->sources[j];
            if (strcmp(src->class, "legitimate-failing") != 0)
                continue;
            if (!listed++)
                printf("  fix first (authenticated, but not aligned with %s):\n", s->domain);
            printf("    %-39s %llu failing: SPF passed for %s; DKIM passed for %s; "
                   "reverse name %s; platform %s%s%s\n", src->ip,
                   (unsigned long long)(src->messages - src->dmarc_pass),
                   src->spf_pass_domains ? src->spf_pass_domains : "-",
                   src->dkim_pass_domains ? src->dkim_pass_domains : "-",
                   src->ptr ? src->ptr : "-", src->platform ? src->platform : "-",
                   src->mark_network ? "; marked ours in " : "",
                   src->mark_network ? src->mark_network : "");
            cli_report_fix_source_text(adv[i], (size_t)(listed - 1), s->domain);
        }
        cli_report_fix_domain_text(adv[i]);
        listed = 0;
        for (j = 0; j < s->nsources; j++) {
            const struct ink_report_source *src = &s->sources[j];
            if (!spoof_passing(src))
                continue;
            if (!listed++)
                printf("  marked spoof, yet passing DMARC (enforcing will not stop these: remove "
                       "what authorises them, the SPF include or the DKIM key):\n");
            printf("    %-39s %llu passing (marked in %s): SPF aligned %llu; DKIM aligned %llu\n",
                   src->ip, (unsigned long long)src->dmarc_pass, src->mark_network,
                   (unsigned long long)src->spf_aligned_pass,
                   (unsigned long long)src->dkim_aligned_pass);
        }
        printf("  next step: %s\n", ink_report_next_step(&r, s->p, s->testing));
        if (i + 1 < n)
            putchar('\n');
    }
}

/* cli_report_advise_json - the readiness and fixes as {"domains": [...]},
 * their DNS changes built without looking up the current records: a new
 * reference the caller releases, NULL when out of memory */
json_t *cli_report_advise_json(const struct ink_report_summary *sum, size_t n)
{
    struct ink_fix_advice **adv = NULL;
    json_t *root;

    if (cli_report_fixes(sum, n, NULL, &adv) < 0)
        return NULL;
    root = cli_report_advise_fixes_json(sum, n, adv);
    cli_report_fixes_free(adv, n);
    return root;
}

/* cli_report_advise_fixes_json - see report_json.h */
json_t *cli_report_advise_fixes_json(const struct ink_report_summary *sum, size_t n,
                                     struct ink_fix_advice *const *adv)
{
    json_t *root = json_object(), *arr = json_array();
    size_t i, j, k;

    if (root == NULL || arr == NULL) {
        json_decref(root);
        json_decref(arr);
        return NULL;
    }
    json_object_set_new(root, "domains", arr);
    for (i = 0; i < n; i++) {
        const struct ink_report_summary *s = &sum[i];
        struct ink_report_readiness r;
        json_t *d = json_object(), *fix = json_array(), *spoof = json_array();
        memset(&r, 0, sizeof(r));
        for (j = 0, k = 0; j < s->nsources; j++) {
            const struct ink_report_source *src = &s->sources[j];
            ink_report_readiness_add(&r, src->messages, src->dmarc_pass, src->class);
            if (strcmp(src->class, "legitimate-failing") == 0) {
                json_t *o = json_object();
                json_object_set_new(o, "ip", json_string(src->ip));
                json_object_set_new(o, "failing",
                                    json_integer((json_int_t)(src->messages - src->dmarc_pass)));
                json_object_set_new(o, "spf_pass_domains", src->spf_pass_domains
                                    ? json_string(src->spf_pass_domains) : json_null());
                json_object_set_new(o, "dkim_pass_domains", src->dkim_pass_domains
                                    ? json_string(src->dkim_pass_domains) : json_null());
                json_object_set_new(o, "ptr", src->ptr ? json_string(src->ptr) : json_null());
                json_object_set_new(o, "platform",
                                    src->platform ? json_string(src->platform) : json_null());
                json_object_set_new(o, "mark", src->mark ? json_string(src->mark) : json_null());
                if (adv != NULL && adv[i] != NULL)
                    cli_report_fix_source_json(adv[i], k, o);
                k++;
                json_array_append_new(fix, o);
            }
            if (spoof_passing(src)) {
                json_t *o = json_object();
                json_object_set_new(o, "ip", json_string(src->ip));
                json_object_set_new(o, "passing", json_integer((json_int_t)src->dmarc_pass));
                json_object_set_new(o, "spf_aligned_pass",
                                    json_integer((json_int_t)src->spf_aligned_pass));
                json_object_set_new(o, "dkim_aligned_pass",
                                    json_integer((json_int_t)src->dkim_aligned_pass));
                json_object_set_new(o, "mark_network", json_string(src->mark_network));
                json_array_append_new(spoof, o);
            }
        }
        json_object_set_new(d, "domain", json_string(s->domain));
        json_object_set_new(d, "begin", json_integer(s->begin));
        json_object_set_new(d, "end", json_integer(s->end));
        json_object_set_new(d, "p", s->p ? json_string(s->p) : json_null());
        json_object_set_new(d, "testing", s->testing ? json_string(s->testing) : json_null());
        json_object_set_new(d, "messages", json_integer((json_int_t)r.messages));
        json_object_set_new(d, "fail_legitimate", json_integer((json_int_t)r.fail_legitimate));
        json_object_set_new(d, "fail_forwarded", json_integer((json_int_t)r.fail_forwarded));
        json_object_set_new(d, "fail_unknown", json_integer((json_int_t)r.fail_unknown));
        json_object_set_new(d, "fix", fix);
        json_object_set_new(d, "changes", adv != NULL && adv[i] != NULL
                                              ? cli_report_fix_domain_json(adv[i])
                                              : json_array());
        json_object_set_new(d, "spoof_passing", spoof);
        json_object_set_new(d, "next_step", json_string(ink_report_next_step(&r, s->p, s->testing)));
        json_array_append_new(arr, d);
    }
    return root;
}

/* ip_cmp - addresses in byte order (for the lookup table's bsearch) */
static int ip_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The reverse lookups of one summary run: the distinct addresses that
 * need one (sorted) and a machine for each. */
struct ptr_run {
    char **ips;                      /* borrowed from the summaries */
    struct ink_ptr_lookup **m;
    size_t n;
};

/*
 * lookup_ptrs - look up, through the driver, the reverse name of every
 * source not cached (or cached longer than REPORT_PTR_MAX_AGE ago), all in
 * flight at once; cache names and "none" in the store (a temporary
 * failure is shown as null and asked again next time) and fill src->ptr.
 * 0, or -1 after saying why.
 */
static int lookup_ptrs(struct ink_store *st, const struct ink_resolver_opts *ropts,
                       struct ink_report_summary *sum, size_t n)
{
    struct ptr_run run = {NULL, NULL, 0};
    struct ink_resolver *r = NULL;
    struct ink_driver *d = NULL;
    struct ink_driver_opts dopts;
    struct ink_store_ptr *put = NULL;
    struct ink_str err = INK_STR_INIT;
    size_t i, j, k, total = 0, nput = 0, temp = 0;
    int64_t now = (int64_t)time(NULL);
    int rc = -1;

    for (i = 0; i < n; i++)
        total += sum[i].nsources;
    run.ips = calloc(total ? total : 1, sizeof(*run.ips));
    if (run.ips == NULL)
        goto oom;
    for (i = 0; i < n; i++)
        for (j = 0; j < sum[i].nsources; j++) {
            const struct ink_report_source *src = &sum[i].sources[j];
            if (src->ptr_looked_up_at == 0 || now - src->ptr_looked_up_at > REPORT_PTR_MAX_AGE)
                run.ips[run.n++] = src->ip;
        }
    if (run.n == 0) {
        free(run.ips);
        return 0;
    }
    qsort(run.ips, run.n, sizeof(*run.ips), ip_cmp);
    for (i = 1, k = 1; i < run.n; i++) /* one lookup per address */
        if (strcmp(run.ips[i], run.ips[k - 1]) != 0)
            run.ips[k++] = run.ips[i];
    run.n = k;
    run.m = calloc(run.n, sizeof(*run.m));
    put = calloc(run.n, sizeof(*put));
    if (run.m == NULL || put == NULL)
        goto oom;
    r = cli_resolver_open(ropts);
    if (r == NULL)
        goto out;
    memset(&dopts, 0, sizeof(dopts));
    dopts.timeout_ms = ropts->timeout_ms;
    d = ink_driver_new(r, &dopts);
    if (d == NULL)
        goto oom;
    for (i = 0; i < run.n; i++) {
        /* an address the parser stored but inet_pton refuses gets no lookup */
        run.m[i] = ink_ptr_lookup_new(run.ips[i]);
        if (run.m[i] != NULL && ink_driver_add(d, ink_ptr_lookup_machine(run.m[i]), NULL, NULL) < 0)
            goto oom;
    }
    /* a resolver that fails feeds every query NULL: those lookups end as
     * temporary failures, counted below, and the summary still prints */
    if (ink_driver_run(d) < 0)
        cli_error("note: the DNS resolver failed; reverse names not looked up are shown as null");
    for (i = 0; i < run.n; i++) {
        const char *name = NULL;
        enum ink_ptr_result res = run.m[i] ? ink_ptr_lookup_result(run.m[i], &name) : INK_PTR_TEMP;
        if (res == INK_PTR_FOUND || res == INK_PTR_NONE) {
            put[nput].ip = run.ips[i];
            put[nput].ptr = name;
            put[nput].at = now;
            nput++;
        } else {
            temp++;
        }
    }
    if (ink_store_report_ptr_put(st, put, nput, &err) < 0) {
        cli_error("%s", ink_str_cstr(&err));
        goto out;
    }
    if (temp > 0)
        cli_error("note: %zu reverse name%s could not be looked up now (shown as null; "
                  "asked again next time)", temp, temp == 1 ? "" : "s");
    for (i = 0; i < n; i++)
        for (j = 0; j < sum[i].nsources; j++) {
            struct ink_report_source *src = &sum[i].sources[j];
            char **hit = bsearch(&src->ip, run.ips, run.n, sizeof(*run.ips), ip_cmp);
            const char *name = NULL;
            if (hit == NULL || run.m[hit - run.ips] == NULL)
                continue;
            if (ink_ptr_lookup_result(run.m[hit - run.ips], &name) == INK_PTR_TEMP)
                continue; /* keep what the cache had */
            free(src->ptr);
            src->ptr = NULL;
            if (name != NULL && (src->ptr = strdup(name)) == NULL)
                goto oom;
        }
    rc = 0;
    goto out;
oom:
    cli_error("out of memory");
out:
    ink_driver_free(d);
    ink_resolver_free(r);
    for (i = 0; run.m != NULL && i < run.n; i++)
        ink_ptr_lookup_free(run.m[i]);
    free(run.m);
    free(run.ips);
    free(put);
    ink_str_free(&err);
    return rc;
}

/* load_platforms - the platform map at path (NULL: the installed one,
 * whose absence only means no platform is recognised); *out NULL then.
 * 0, or -1 after saying why (a map given that cannot be used) */
static int load_platforms(const char *path, struct ink_platforms **out)
{
    struct ink_str err = INK_STR_INIT;
    uint8_t *buf = NULL;
    size_t len = 0;

    *out = NULL;
    if (path == NULL) {
        if (access(INK_PLATFORMS_DEFAULT, R_OK) != 0)
            return 0;
        path = INK_PLATFORMS_DEFAULT;
    }
    if (cli_read_file(path, INK_PLATFORMS_SIZE_MAX, &buf, &len) < 0)
        return -1;
    *out = ink_platforms_parse(buf, len, &err);
    free(buf);
    if (*out == NULL) {
        cli_error("%s:%s", cli_shown(path), ink_str_cstr(&err));
        ink_str_free(&err);
        return -1;
    }
    ink_str_free(&err);
    return 0;
}

/* set_platforms - each source's platform from the map: its PTR name, else
 * the DKIM d= and SPF domains it passed for.  0, or -1 out of memory. */
static int set_platforms(const struct ink_platforms *map, struct ink_report_summary *sum,
                         size_t n)
{
    size_t i, j;

    for (i = 0; map != NULL && i < n; i++)
        for (j = 0; j < sum[i].nsources; j++) {
            struct ink_report_source *src = &sum[i].sources[j];
            const char *p = ink_platforms_match(map, src->ptr, src->dkim_auth_domains,
                                                src->spf_auth_domains);
            if (p != NULL && (src->platform = strdup(p)) == NULL)
                return -1;
        }
    return 0;
}

/* report_summary - inkan report summary (advise: inkan report advise) */
/* What report_summary prints. */
enum summary_view { VIEW_SUMMARY, VIEW_ADVISE, VIEW_SOURCES };

/* cli_report_sources_json - (new reference, NULL when out of memory)
 * every domain's sources as {"domains": [{"domain", "begin",
 * "end", "messages", "sources": [...]}]} */
json_t *cli_report_sources_json(const struct ink_report_summary *sum, size_t n)
{
    json_t *root = json_object(), *arr = json_array();
    size_t i, j;

    if (root == NULL || arr == NULL) {
        json_decref(root);
        json_decref(arr);
        return NULL;
    }
    json_object_set_new(root, "domains", arr);
    for (i = 0; i < n; i++) {
        const struct ink_report_summary *s = &sum[i];
        json_t *d = json_object(), *srcs = json_array();
        json_object_set_new(d, "domain", json_string(s->domain));
        json_object_set_new(d, "begin", json_integer(s->begin));
        json_object_set_new(d, "end", json_integer(s->end));
        json_object_set_new(d, "messages", json_integer((json_int_t)s->messages));
        for (j = 0; j < s->nsources; j++)
            json_array_append_new(srcs, source_json(&s->sources[j], 1));
        json_object_set_new(d, "sources", srcs);
        json_array_append_new(arr, d);
    }
    return root;
}

/* sources_text - per domain, every source as a row of an aligned table
 * (largest first), with the domains it authenticated for */
static void sources_text(const struct ink_report_summary *sum, size_t n)
{
    size_t i, j;
    char b[32], e[32], pass[32];

    for (i = 0; i < n; i++) {
        const struct ink_report_summary *s = &sum[i];
        printf("%s  %s .. %s  %zu source%s, %llu messages\n", s->domain,
               day(s->begin, b, sizeof(b)), day(s->end, e, sizeof(e)), s->nsources,
               s->nsources == 1 ? "" : "s", (unsigned long long)s->messages);
        printf("  %-39s %9s %-16s %9s %9s  %-18s %-5s %-14s %-30s %s\n", "SOURCE", "MESSAGES",
               "DMARC-PASS", "SPF-ALIGN", "DKIM-ALIGN", "CLASS", "MARK", "PLATFORM", "PTR",
               "AUTHENTICATED (SPF; DKIM)");
        for (j = 0; j < s->nsources; j++) {
            const struct ink_report_source *r = &s->sources[j];
            printf("  %-39s %9llu %-16s %9llu %9llu  %-18s %-5s %-14s %-30s %s; %s\n", r->ip,
                   (unsigned long long)r->messages,
                   share(r->dmarc_pass, r->messages, pass, sizeof(pass)),
                   (unsigned long long)r->spf_aligned_pass,
                   (unsigned long long)r->dkim_aligned_pass, r->class, r->mark ? r->mark : "-",
                   r->platform ? r->platform : "-", r->ptr ? r->ptr : "-",
                   r->spf_auth_domains ? r->spf_auth_domains : "-",
                   r->dkim_auth_domains ? r->dkim_auth_domains : "-");
        }
        if (i + 1 < n)
            putchar('\n');
    }
}

static int report_summary(int argc, char **argv, enum summary_view view)
{
    static const struct option own[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"no-dns", no_argument, NULL, OPT_NO_DNS},
        {"platforms", required_argument, NULL, OPT_PLATFORMS},
        {"since", required_argument, NULL, CLI_REPORT_OPT_SINCE},
        {"until", required_argument, NULL, CLI_REPORT_OPT_UNTIL},
        {NULL, 0, NULL, 0},
    };
    struct ink_resolver_opts ropts;
    int json = 0, c, rc = INK_EXIT_OK, no_dns = 0, k;
    int64_t since = INT64_MIN, until = INT64_MAX;
    const struct cli_optset set = {.own = own, .dns = &ropts, .json = &json,
                                   .usage = report_usage};
    const char *db = NULL, *domain = NULL, *platforms = NULL;
    struct ink_store *st;
    struct ink_report_summary *sum = NULL;
    struct ink_platforms *map = NULL;
    struct ink_fix_advice **adv = NULL;
    struct ink_str err = INK_STR_INIT;
    size_t n = 0;

    memset(&ropts, 0, sizeof(ropts));
    optind = 1;
    while ((c = cli_getopt(&set, argc, argv)) != -1) {
        if ((k = cli_report_span_opt(c, optarg, &since, &until)) != 0) {
            if (k < 0)
                return INK_EXIT_USAGE;
            continue;
        }
        switch (c) {
        case OPT_DB:
            if (!ink_store_db_ok(optarg)) {
                cli_error("--db '%s': give a database file or a postgresql:// URI",
                          cli_shown(optarg));
                return INK_EXIT_USAGE;
            }
            db = optarg;
            break;
        case OPT_NO_DNS:
            no_dns = 1;
            break;
        case OPT_PLATFORMS:
            platforms = optarg;
            break;
        case CLI_GETOPT_HELP: return INK_EXIT_OK;
        default: return INK_EXIT_USAGE;
        }
    }
    if (argc - optind > 1) {
        cli_error("give at most one DOMAIN");
        return INK_EXIT_USAGE;
    }
    if (no_dns && (ropts.zone_file != NULL || ropts.server != NULL)) {
        cli_error("--no-dns and a DNS source (--zone, --dns) do not go together");
        return INK_EXIT_USAGE;
    }
    if (optind < argc)
        domain = argv[optind];
    if (load_platforms(platforms, &map) < 0)
        return INK_EXIT_OPERR;
    st = open_db(db);
    if (st == NULL) {
        ink_platforms_free(map);
        return INK_EXIT_OPERR;
    }
    if (ink_store_report_summary_span(st, domain, since, until, &sum, &n, &err) < 0) {
        cli_error("%s", ink_str_cstr(&err));
        rc = INK_EXIT_OPERR;
    } else if ((!no_dns && lookup_ptrs(st, &ropts, sum, n) < 0)) {
        rc = INK_EXIT_OPERR;
    } else if (set_platforms(map, sum, n) < 0) {
        cli_error("out of memory");
        rc = INK_EXIT_OPERR;
    } else if (cli_report_apply_marks(st, domain, sum, n, &err) < 0) {
        cli_error("%s", ink_str_cstr(&err));
        rc = INK_EXIT_OPERR;
    } else if (view == VIEW_ADVISE && cli_report_fixes(sum, n, no_dns ? NULL : &ropts, &adv) < 0) {
        rc = INK_EXIT_OPERR;
    } else if (json) {
        json_t *root = view == VIEW_ADVISE    ? cli_report_advise_fixes_json(sum, n, adv)
                       : view == VIEW_SOURCES ? cli_report_sources_json(sum, n)
                                              : cli_report_summary_json(sum, n);
        if (root == NULL || print_json(root) < 0) {
            cli_error("out of memory");
            rc = INK_EXIT_OPERR;
        }
    } else if (n == 0) {
        printf("no reports stored%s%s\n", domain ? " for " : "", domain ? cli_shown(domain) : "");
    } else if (view == VIEW_ADVISE) {
        advise_text(sum, n, adv);
    } else if (view == VIEW_SOURCES) {
        sources_text(sum, n);
    } else {
        summary_text(sum, n);
    }
    cli_report_fixes_free(adv, n);
    ink_report_summaries_free(sum, n);
    ink_platforms_free(map);
    ink_str_free(&err);
    ink_store_free(st);
    return rc;
}

/* cli_report_view - see report_json.h; the same builders as --json */
int cli_report_view(struct ink_store *st, const char *domain, const char *view, int64_t since,
                    int64_t until, json_t **out, struct ink_str *err)
{
    struct ink_report_summary *sum = NULL;
    struct ink_platforms *map = NULL;
    size_t n = 0;
    int rc = 0;

    *out = NULL;
    if (strcmp(view, "timeline") == 0) {
        struct ink_report_day *v = NULL;
        if (ink_store_report_timeline(st, domain, since, until, &v, &n, err) < 0)
            return -1;
        *out = cli_report_timeline_json(domain, since, until, v, n);
        free(v);
        if (*out == NULL) {
            ink_str_puts(err, "out of memory");
            return -1;
        }
        return 0;
    }
    if (strcmp(view, "summary") != 0 && strcmp(view, "sources") != 0 &&
        strcmp(view, "advise") != 0)
        return -2;
    if (load_platforms(NULL, &map) < 0) {
        ink_str_puts(err, "the platform map cannot be read");
        return -1;
    }
    if (ink_store_report_summary_span(st, domain, since, until, &sum, &n, err) < 0) {
        rc = -1;
    } else if (set_platforms(map, sum, n) < 0) {
        ink_str_puts(err, "out of memory");
        rc = -1;
    } else if (cli_report_apply_marks(st, domain, sum, n, err) < 0) {
        rc = -1;
    } else {
        *out = view[1] == 'd' ? cli_report_advise_json(sum, n)
             : view[1] == 'o' ? cli_report_sources_json(sum, n)
                              : cli_report_summary_json(sum, n);
        if (*out == NULL) {
            ink_str_puts(err, "out of memory");
            rc = -1;
        }
    }
    ink_report_summaries_free(sum, n);
    ink_platforms_free(map);
    return rc;
}

/* cmd_report - dispatch inkan report SUBCOMMAND */
int cmd_report(int argc, char **argv)
{
    if (argc < 2) {
        report_usage(stderr);
        return INK_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        report_usage(stdout);
        return INK_EXIT_OK;
    }
    if (strcmp(argv[1], "import") == 0) {
        cli_set_argv0(argv + 1, "report import");
        return report_import(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "timeline") == 0) {
        cli_set_argv0(argv + 1, "report timeline");
        return cli_report_timeline_cmd(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "summary") == 0) {
        cli_set_argv0(argv + 1, "report summary");
        return report_summary(argc - 1, argv + 1, VIEW_SUMMARY);
    }
    if (strcmp(argv[1], "advise") == 0) {
        cli_set_argv0(argv + 1, "report advise");
        return report_summary(argc - 1, argv + 1, VIEW_ADVISE);
    }
    if (strcmp(argv[1], "sources") == 0) {
        cli_set_argv0(argv + 1, "report sources");
        return report_summary(argc - 1, argv + 1, VIEW_SOURCES);
    }
    if (strcmp(argv[1], "mark") == 0) {
        cli_set_argv0(argv + 1, "report mark");
        return cli_report_mark(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "simulate") == 0) {
        cli_set_argv0(argv + 1, "report simulate");
        return cli_report_simulate(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "generate") == 0) {
        cli_set_argv0(argv + 1, "report generate");
        return cli_report_generate(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "send") == 0) {
        cli_set_argv0(argv + 1, "report send");
        return cli_report_send(argc - 1, argv + 1);
    }
    cli_error("unknown subcommand '%s' (import, summary, advise, sources, timeline, mark, "
              "simulate, generate, send)", cli_shown(argv[1]));
    return INK_EXIT_USAGE;
}
