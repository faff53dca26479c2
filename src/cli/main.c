/*
 * main.c - the inkan command: dispatch to subcommands.  The only place
 * that exits the process.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#ifndef INKAN_VERSION
#define INKAN_VERSION "0.1.0"
#endif

/* The subcommands.  Keep one entry per line, grouped by area. */
static const struct cli_command commands[] = {
    {"version", cmd_version, "print the version"},
    /* dns */
    {"dns", cmd_dns, "look a name up as inkan sees it (--zone, --dns)"},
    /* spf */
    {"spf", cmd_spf, "evaluate SPF for a client; 'spf lint' checks a domain's SPF"},
    /* dkim */
    {"dkim", cmd_dkim, "DKIM: verify, sign, generate and test keys"},
    /* arc */
    {"arc", cmd_arc, "ARC (RFC 8617): verify a message's chain, seal a forwarding hop"},
    /* check / provision / domain */
    {"check", cmd_check, "audit a sending domain's SPF, DKIM, DMARC, MX, PTR, HELO, CNAMEs"},
    {"provision", cmd_provision, "compute and write the DNS records a sending platform needs"},
    {"domain", cmd_domain, "follow publication: add, verify, status, list, watch, remove"},
    /* reports */
    {"report", cmd_report, "DMARC reports: import, summary, advise"},
    /* inbound mail */
    {"verify", cmd_verify, "evaluate a received message: SPF, DKIM, DMARC, iprev, HELO -> verdict"},
    {"evaluations", cmd_evaluations, "the recorded inbound evaluations: list, replay a spool"},
    {"milter", cmd_milter, "the milter daemon beside Postfix: inbound verdicts, Authentication-Results"},
    /* service */
    {"serve", cmd_serve, "the JSON API service: domains, records, verification (docs/api.md)"},
    {"token", cmd_token, "API tokens of 'inkan serve': create, list, revoke"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

/* usage - the top-level help */
static void usage(FILE *fp)
{
    size_t i;

    fprintf(fp, "usage: inkan COMMAND [OPTIONS]\n\n"
                "Email authentication: SPF, DKIM and DMARC checks, provisioning, signing.\n\n"
                "Commands:\n");
    for (i = 0; i < NCOMMANDS; i++)
        fprintf(fp, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(fp, "\nRun 'inkan COMMAND --help' for a command's options; 'man inkan' for all.\n"
                "Exit status: 0 done, 1 operational error, 2 usage error "
                "(some commands add their own: see --help).\n");
}

/* cmd_version - print the version */
int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("inkan %s\n", INKAN_VERSION);
    return INK_EXIT_OK;
}

int main(int argc, char **argv)
{
    size_t i;

    if (argc < 2) {
        usage(stderr);
        return INK_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return INK_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0)
        return cmd_version(argc - 1, argv + 1);
    for (i = 0; i < NCOMMANDS; i++)
        if (strcmp(argv[1], commands[i].name) == 0) {
            cli_set_argv0(argv + 1, commands[i].name);
            return commands[i].run(argc - 1, argv + 1);
        }
    cli_error("unknown command '%s' (see 'inkan --help')", argv[1]);
    return INK_EXIT_USAGE;
}
