/* report_cmd.h - the `inkan report` subcommands that live outside
 * report.c (simulate: report_sim.c; mark: report_mark.c) and what they
 * share with it (opening the store). */
#ifndef INKAN_CLI_REPORT_CMD_H
#define INKAN_CLI_REPORT_CMD_H

#include "inkan/store.h"

/* cli_report_open_db - open (creating or migrating) the store at path
 * (NULL: the default one of 'inkan domain'); NULL after saying why */
struct ink_store *cli_report_open_db(const char *path);

/* cli_report_simulate - inkan report simulate (argv[0] the subcommand) */
int cli_report_simulate(int argc, char **argv);

#endif
