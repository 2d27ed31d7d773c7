/* `bode api`: runs the HTTP server until SIGINT or SIGTERM. */
#include <signal.h>
#include <stdint.h>
#include <string.h>

#define MAX_PROVIDERS 12
/* Routes x statuses x methods plus queue gauges stay far below this. */
#define METRICS_MAX_SERIES 4096

#include "admin_int.h"
#include "bode/http.h"
#include "bode/log.h"
#include "bode/metrics.h"
#include "bode/provider.h"
#include "bode/signals.h"
#include "bode/ttlcache.h"
#include "cli.h"

static const char usage[] =
    "usage: bode api [--config FILE]\n\n"
    "Serves the Notify-compatible HTTP API. Stops gracefully on SIGINT or\n"
    "SIGTERM: no new connections, requests in progress finish (up to\n"
    "BODE_SHUTDOWN_TIMEOUT seconds).\n";

static const char *setting(void *ctx, const char *name)
{
    return bode_config_get(ctx, name);
}

/* One instance of each configured provider, for verifying receipts. */
static int make_providers(const struct bode_config *cfg,
                          struct bode_provider **out, size_t *n)
{
    char names[300];
    char why[256];
    char *save = NULL;
    char *name;
    const struct bode_provider_ops *ops;
    size_t i;
    bool seen;

    *n = 0;
    snprintf(names, sizeof(names), "%s,%s", cfg->email_providers,
             cfg->sms_providers);
    for (name = strtok_r(names, ", ", &save); name;
         name = strtok_r(NULL, ", ", &save)) {
        seen = false;
        for (i = 0; i < *n; i++)
            seen = seen || strcmp(bode_provider_ops(out[i])->name, name) == 0;
        if (seen || *n == MAX_PROVIDERS)
            continue;
        ops = bode_provider_find(name);
        if (!ops) {
            fprintf(stderr, "bode api: unknown provider %s\n", name);
            return BODE_EXIT_USAGE;
        }
        if (ops->create(setting, (void *)(uintptr_t)cfg, &out[*n], why,
                        sizeof(why))) {
            fprintf(stderr, "bode api: %s\n", why);
            return BODE_EXIT_USAGE;
        }
        (*n)++;
    }
    return -1;
}

static void free_providers(struct bode_provider **p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        bode_provider_ops(p[i])->destroy(p[i]);
}

int bode_cmd_api(int argc, char **argv)
{
    struct bode_config cfg;
    struct bode_api_ctx api;
    struct bode_http_server *server;
    struct bode_secretbox *box = NULL;
    struct bode_provider *providers[MAX_PROVIDERS];
    size_t n_providers = 0;
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
    rc = make_providers(&cfg, providers, &n_providers);
    if (rc >= 0) {
        free_providers(providers, n_providers);
        bode_secretbox_free(box);
        return rc;
    }
    api.providers = providers;
    api.n_providers = n_providers;
    api.auth = bode_ttlcache_new(64, cfg.auth_cache_ms);
    api.tmpls = bode_ttlcache_new(256, cfg.auth_cache_ms);
    api.metrics = bode_metrics_new(METRICS_MAX_SERIES);
    if (!api.auth || !api.tmpls || !api.metrics ||
        bode_api_metrics_declare(api.metrics) != BODE_OK) {
        bode_metrics_free(api.metrics);
        bode_ttlcache_free(api.auth);
        bode_ttlcache_free(api.tmpls);
        free_providers(providers, n_providers);
        bode_secretbox_free(box);
        return BODE_EXIT_FAIL;
    }
    server = bode_http_start(&cfg, &api, &err, why, sizeof(why));
    if (!server) {
        bode_log(BODE_LOG_ERROR, "cannot start", BODE_LOG_S("reason", why));
        bode_metrics_free(api.metrics);
        bode_ttlcache_free(api.auth);
        bode_ttlcache_free(api.tmpls);
        free_providers(providers, n_providers);
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
    bode_metrics_free(api.metrics);
    bode_ttlcache_free(api.auth);
    bode_ttlcache_free(api.tmpls);
    free_providers(providers, n_providers);
    bode_secretbox_free(box);
    return BODE_EXIT_OK;
}
