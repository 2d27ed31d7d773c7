/* `bode version`. */
#include <string.h>

#include "cli.h"

#ifndef BODE_GIT_COMMIT
#define BODE_GIT_COMMIT "unknown"
#endif

int bode_cmd_version(int argc, char **argv)
{
    if (bode_cli_wants_help(argc, argv)) {
        puts("usage: bode version\n\nPrints the version and the commit it "
             "was built from.");
        return BODE_EXIT_OK;
    }
    if (argc > 1) {
        fprintf(stderr, "bode version: unexpected argument %s\n", argv[1]);
        return BODE_EXIT_USAGE;
    }
    printf("bode %s (commit %s)\n", BODE_VERSION, BODE_GIT_COMMIT);
    return BODE_EXIT_OK;
}
