/* `bode health`: exit 0 when the local API answers, for container probes. */
#include <string.h>

#include "bode/probe.h"
#include "cli.h"

static const char usage[] =
    "usage: bode health [--config FILE] [--path PATH]\n\n"
    "Asks the API at BODE_LISTEN_ADDR:BODE_PORT for PATH (default\n"
    "/_status?simple=1) and exits 0 on a 200, 1 otherwise.\n";

int bode_cmd_health(int argc, char **argv)
{
    struct bode_config cfg;
    const char *path = "/_status?simple=1";
    char *cfg_argv[4];
    int cfg_argc = 1;
    int status = 0;
    int rc;
    int i;

    cfg_argv[0] = argv[0];
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--path") == 0 && i + 1 < argc)
            path = argv[++i];
        else if (cfg_argc < 3)
            cfg_argv[cfg_argc++] = argv[i];
        else
            return BODE_EXIT_USAGE;
    }
    cfg_argv[cfg_argc] = NULL;
    rc = bode_cli_load_config(cfg_argc, cfg_argv, usage, &cfg);
    if (rc >= 0)
        return rc;
    if (path[0] != '/' || strpbrk(path, " \r\n")) {
        fprintf(stderr, "bode health: --path must start with / and have no "
                        "spaces\n");
        return BODE_EXIT_USAGE;
    }
    if (bode_probe_get(cfg.listen_addr, cfg.port, path, 3000, &status) ||
        status != 200) {
        fprintf(stderr, "bode health: %s:%d%s answered %d\n", cfg.listen_addr,
                cfg.port, path, status);
        return BODE_EXIT_FAIL;
    }
    return BODE_EXIT_OK;
}
