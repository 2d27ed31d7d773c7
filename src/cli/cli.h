/* The `bode` subcommands. Each takes argc/argv starting at its own name and
 * returns a process exit code: 0 success, 1 failure at run time, 2 bad usage
 * or configuration. */
#ifndef BODE_CLI_H
#define BODE_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "bode/config.h"

#define BODE_EXIT_OK 0
#define BODE_EXIT_FAIL 1
#define BODE_EXIT_USAGE 2

int bode_cmd_version(int argc, char **argv);
int bode_cmd_api(int argc, char **argv);
int bode_cmd_worker(int argc, char **argv);
int bode_cmd_dev(int argc, char **argv);
int bode_cmd_health(int argc, char **argv);
int bode_cmd_service(int argc, char **argv);
int bode_cmd_key(int argc, char **argv);
int bode_cmd_team(int argc, char **argv);
int bode_cmd_template(int argc, char **argv);  /* preview, check */
int bode_cmd_templates(int argc, char **argv); /* all template commands */
int bode_cmd_token(int argc, char **argv);
/* Operator commands (src/cli/ops.c). */
int bode_cmd_notification(int argc, char **argv);
int bode_cmd_queue(int argc, char **argv);
int bode_cmd_stats(int argc, char **argv);
int bode_cmd_janitor(int argc, char **argv);

/* Parses the options every server command shares (--config FILE, --help)
 * and loads the configuration. Prints help or a one-line error itself.
 * Returns -1 to go on, or the exit code to stop with. */
int bode_cli_load_config(int argc, char **argv, const char *usage,
                         struct bode_config *cfg);

/* True when argv has -h or --help. */
bool bode_cli_wants_help(int argc, char **argv);

#endif
