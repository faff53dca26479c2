/*
 * common.c - shared pieces of the inkan subcommands: messages, the DNS
 * source options and opening the resolver they name.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inkan/dnsio.h"

/* Longest --timeout accepted, in seconds. */
#define CLI_TIMEOUT_MAX_S 600

const char *cli_prog = "inkan";

/* cli_error - print a message to stderr, prefixed with the program name */
void cli_error(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", cli_prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* cli_dns_option - take one DNS source option into opts */
int cli_dns_option(struct ink_resolver_opts *opts, int opt, const char *arg)
{
    char *end;
    double secs;

    switch (opt) {
    case CLI_OPT_ZONE:
        opts->zone_file = arg;
        return 1;
    case CLI_OPT_DNS:
        if (arg[0] == '\0') {
            cli_error("--dns: empty server address");
            return -1;
        }
        opts->server = arg;
        return 1;
    case CLI_OPT_ORIGIN:
        opts->origin = arg;
        return 1;
    case CLI_OPT_TRUST_ANCHOR:
        opts->trust_anchor = arg;
        return 1;
    case CLI_OPT_TIMEOUT:
        errno = 0;
        secs = strtod(arg, &end);
        if (errno != 0 || end == arg || *end != '\0' || !(secs > 0) || secs > CLI_TIMEOUT_MAX_S) {
            cli_error("--timeout: '%s' is not a number of seconds between 0 and %d", arg,
                      CLI_TIMEOUT_MAX_S);
            return -1;
        }
        opts->timeout_ms = (int)(secs * 1000.0);
        if (opts->timeout_ms < 1)
            opts->timeout_ms = 1;
        return 1;
    default:
        return 0;
    }
}

/* cli_resolver_open - open the named resolver or say why not */
struct ink_resolver *cli_resolver_open(const struct ink_resolver_opts *opts)
{
    struct ink_str err = INK_STR_INIT;
    struct ink_resolver *r;

    if (opts->zone_file != NULL && opts->server != NULL) {
        cli_error("--zone and --dns cannot be used together");
        return NULL;
    }
    r = ink_resolver_open(opts, &err);
    if (r == NULL)
        cli_error("%s", err.len ? ink_str_cstr(&err) : "cannot open a DNS resolver");
    ink_str_free(&err);
    return r;
}

/* cli_stdout_is_tty - colour and progress only on a terminal */
int cli_stdout_is_tty(void)
{
    const char *nc = getenv("NO_COLOR");

    return isatty(STDOUT_FILENO) && (nc == NULL || nc[0] == '\0');
}
