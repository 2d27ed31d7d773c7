/* Entry point: picks the subcommand. Wiring only: no behaviour lives here. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "bode/alloc.h"
#include "cli.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"api", bode_cmd_api, "serve the Notify-compatible HTTP API"},
    {"worker", bode_cmd_worker, "deliver queued notifications"},
    {"dev", bode_cmd_dev,
     "run a private Redis, the API and a worker on this machine"},
    {"health", bode_cmd_health, "check that a local API answers (for probes)"},
    {"service", bode_cmd_service, "create, list, show and update services"},
    {"key", bode_cmd_key, "create, list and revoke API keys"},
    {"team", bode_cmd_team, "add team members and guest-list recipients"},
    {"template", bode_cmd_templates,
     "create, import, list, show, preview and check templates"},
    {"notification", bode_cmd_notification,
     "show a notification and its history; list a service's notifications"},
    {"queue", bode_cmd_queue,
     "queue figures; list, retry or drop dead letters"},
    {"stats", bode_cmd_stats, "a service's outcomes per channel for a day"},
    {"janitor", bode_cmd_janitor, "run one retention pass"},
    {"token", bode_cmd_token, "print a fresh JWT for an API key (for curl)"},
    {"version", bode_cmd_version, "print the version"},
};

static void usage(FILE *out)
{
    size_t i;

    fputs("usage: bode COMMAND [options]\n\ncommands:\n", out);
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fputs("\nRun `bode COMMAND --help` for a command's options.\n", out);
}

int main(int argc, char **argv)
{
    size_t i;

    bode_alloc_install_json();
    /* hiredis writes with write(2): a peer that went away must give EPIPE,
     * which every command handles, not kill the process. */
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0)
        return bode_cmd_version(1, argv + 1);
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "bode: unknown command %s\n\n", argv[1]);
    usage(stderr);
    return 2;
}
