/* `bode api`: runs the HTTP server until SIGINT or SIGTERM. */
#include <signal.h>
#include <string.h>

#include "admin_int.h"
#include "bode/http.h"
#include "bode/log.h"
#include "bode/signals.h"
#include "cli.h"

static const char usage[] =
    "usage: bode api [--config FILE]\n\n"
    "Serves the Notify-compatible HTTP API. Stops gracefully on SIGINT or\n"
    "SIGTERM: no new connections, requests in progress finish (up to\n"
    "BODE_SHUTDOWN_TIMEOUT seconds).\n";

int bode_cmd_api(int argc, char **argv)
{
    struct bode_config cfg;
    struct bode_api_ctx api;
    struct bode_http_server *server;
    struct bode_secretbox *box = NULL;
    char why[160];
    enum bode_err err;
    int rc = bode_cli_load_config(argc, argv, usage, &cfg);
    int sig = 0;
    int left;

    if (rc >= 0)
        return rc;
    bode_log_set_component("api");
    bode_signals_block();
    memset(&api, 0, sizeof(api));
    api.cfg = &cfg;
    rc = bode_admin_load_box(&cfg, &box);
    if (rc >= 0)
        return rc;
    api.box = box;
    api.auth = bode_auth_cache_new(cfg.auth_cache_ms);
    api.tmpls = bode_tmpl_cache_new(cfg.auth_cache_ms);
    if (!api.auth || !api.tmpls) {
        bode_auth_cache_free(api.auth);
        bode_tmpl_cache_free(api.tmpls);
        bode_secretbox_free(box);
        return BODE_EXIT_FAIL;
    }
    server = bode_http_start(&cfg, &api, &err, why, sizeof(why));
    if (!server) {
        bode_log(BODE_LOG_ERROR, "cannot start", BODE_LOG_S("reason", why));
        bode_auth_cache_free(api.auth);
        bode_tmpl_cache_free(api.tmpls);
        bode_secretbox_free(box);
        return err == BODE_ERR_INVALID ? BODE_EXIT_USAGE : BODE_EXIT_FAIL;
    }
    bode_log(BODE_LOG_INFO, "listening", BODE_LOG_S("address", cfg.listen_addr),
             BODE_LOG_I("port", bode_http_port(server)),
             BODE_LOG_I("threads", cfg.threads));
    while (sig != SIGINT && sig != SIGTERM)
        sig = bode_signals_wait(60000);
    bode_log(BODE_LOG_INFO, "stopping",
             BODE_LOG_S("signal", sig == SIGINT ? "SIGINT" : "SIGTERM"));
    left = bode_http_stop(server, cfg.shutdown_timeout);
    bode_log(left ? BODE_LOG_WARN : BODE_LOG_INFO, "stopped",
             BODE_LOG_I("abandoned_requests", left));
    bode_auth_cache_free(api.auth);
    bode_tmpl_cache_free(api.tmpls);
    bode_secretbox_free(box);
    return BODE_EXIT_OK;
}
