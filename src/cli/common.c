/* Option handling shared by the subcommands. Must not start anything. */
#include <string.h>

#include "bode/log.h"
#include "cli.h"

bool bode_cli_wants_help(int argc, char **argv)
{
    int i;

    for (i = 1; i < argc; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return true;
    return false;
}

int bode_cli_load_config(int argc, char **argv, const char *usage,
                         struct bode_config *cfg)
{
    struct bode_config_error e;
    const char *file = NULL;
    int i;

    if (bode_cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        fputc('\n', stdout);
        bode_config_print_help(stdout);
        return BODE_EXIT_OK;
    }
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            file = argv[++i];
        } else if (strncmp(argv[i], "--config=", 9) == 0) {
            file = argv[i] + 9;
        } else {
            fprintf(stderr, "bode %s: unknown option %s (see --help)\n",
                    argv[0], argv[i]);
            return BODE_EXIT_USAGE;
        }
    }
    if (bode_config_load(cfg, file, NULL, &e)) {
        fprintf(stderr, "bode: %s\n", e.text);
        return BODE_EXIT_USAGE;
    }
    bode_log_set_level(cfg->log_level);
    return -1;
}
