/* `bode worker`: runs the delivery loop until SIGINT or SIGTERM. */
#include <signal.h>

#include "bode/log.h"
#include "bode/signals.h"
#include "bode/worker.h"
#include "cli.h"

static const char usage[] =
    "usage: bode worker [--config FILE]\n\n"
    "Delivers queued notifications through the configured providers. Run as\n"
    "many as you need side by side. Stops gracefully on SIGINT or SIGTERM.\n";

int bode_cmd_worker(int argc, char **argv)
{
    struct bode_config cfg;
    struct bode_worker *w;
    int rc = bode_cli_load_config(argc, argv, usage, &cfg);
    int sig = 0;

    if (rc >= 0)
        return rc;
    bode_log_set_component("worker");
    bode_signals_block();
    w = bode_worker_new(&cfg);
    if (!w) {
        bode_log_msg(BODE_LOG_ERROR, "out of memory");
        return BODE_EXIT_FAIL;
    }
    bode_log_msg(BODE_LOG_INFO, "worker started");
    while (sig != SIGINT && sig != SIGTERM) {
        bode_worker_step(w);
        sig = bode_signals_wait(1000);
    }
    bode_log(BODE_LOG_INFO, "worker stopped",
             BODE_LOG_S("signal", sig == SIGINT ? "SIGINT" : "SIGTERM"));
    bode_worker_free(w);
    return BODE_EXIT_OK;
}
