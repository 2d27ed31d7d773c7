/* `bode worker`: runs the delivery loop until SIGINT or SIGTERM, then
 * finishes or hands back what is in flight. */
#include <curl/curl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "admin_int.h"
#include "bode/http.h"
#include "bode/log.h"
#include "bode/metrics.h"
#include "bode/model.h"
#include "bode/signals.h"
#include "bode/worker.h"
#include "cli.h"

#define METRICS_MAX_SERIES 1024
#define TRIM_EVERY_US (60LL * 1000000)

/* The worker's own /metrics listener on BODE_WORKER_METRICS_PORT, with one
 * HTTP thread; mcfg and api are the caller's and must outlive the server.
 * Returns BODE_EXIT_* on failure, -1 on success (or when it is off). */
static int start_metrics(const struct bode_config *cfg,
                         struct bode_config *mcfg, struct bode_api_ctx *api,
                         struct bode_worker *w, struct bode_http_server **out)
{
    enum bode_err err = BODE_ERR_NOMEM;
    char why[160];

    *out = NULL;
    if (cfg->worker_metrics_port == 0)
        return -1;
    *mcfg = *cfg;
    mcfg->port = cfg->worker_metrics_port;
    mcfg->threads = 1;
    memset(api, 0, sizeof(*api));
    api->cfg = mcfg;
    api->metrics_only = true;
    api->metrics = bode_metrics_new(METRICS_MAX_SERIES);
    if (api->metrics)
        err = bode_worker_metrics_declare(api->metrics);
    if (err) {
        bode_log(BODE_LOG_ERROR, "cannot declare the worker's metrics",
                 BODE_LOG_S("error", bode_err_str(err)));
        return BODE_EXIT_FAIL;
    }
    *out = bode_http_start(mcfg, api, &err, why, sizeof(why));
    if (!*out) {
        bode_log(BODE_LOG_ERROR, "cannot start metrics listener",
                 BODE_LOG_S("reason", why));
        return err == BODE_ERR_INVALID ? BODE_EXIT_USAGE : BODE_EXIT_FAIL;
    }
    bode_worker_set_metrics(w, api->metrics);
    bode_log(BODE_LOG_INFO, "metrics listening",
             BODE_LOG_S("address", mcfg->listen_addr),
             BODE_LOG_I("port", bode_http_port(*out)));
    return -1;
}

/* A burst of requests in flight grows the heap, and glibc keeps the
 * freed memory; giving it back once a minute keeps a long-running
 * worker's RSS at what it uses, not at its busiest moment. */
static void trim_heap(int64_t *at)
{
#ifdef __GLIBC__
    int64_t now = bode_now_us();

    if (now - *at < TRIM_EVERY_US)
        return;
    *at = now;
    malloc_trim(0);
#else
    (void)at;
#endif
}

static const char usage[] =
    "usage: bode worker [--config FILE]\n\n"
    "Delivers queued notifications through the configured providers. Run as\n"
    "many as you need side by side. On SIGINT or SIGTERM it stops reading,\n"
    "finishes requests in flight for up to BODE_SHUTDOWN_TIMEOUT seconds and\n"
    "hands the rest back to the queue.\n";

int bode_cmd_worker(int argc, char **argv)
{
    struct bode_config cfg;
    struct bode_secretbox *box = NULL;
    struct bode_worker *w = NULL;
    struct bode_config mcfg;
    struct bode_api_ctx mapi;
    struct bode_http_server *metrics = NULL;
    char name[192];
    char host[128] = "worker";
    char why[256];
    int rc = bode_cli_load_config(argc, argv, usage, &cfg);
    int sig = 0;
    int64_t trimmed_at = 0;
    bool curl_ready = false;
    size_t handed;

    memset(&mapi, 0, sizeof(mapi));
    if (rc >= 0)
        return rc;
    bode_log_set_component("worker");
    bode_signals_block();
    rc = bode_admin_load_box(&cfg, &box);
    if (rc >= 0)
        return rc;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        bode_log_msg(BODE_LOG_ERROR, "cannot initialise libcurl");
        rc = BODE_EXIT_FAIL;
        goto out;
    }
    curl_ready = true;
    gethostname(host, sizeof(host) - 1);
    host[sizeof(host) - 1] = '\0';
    /* The name survives a restart of the same process slot only when set
     * explicitly; host:pid is unique among live workers. */
    snprintf(name, sizeof(name), "%s:%ld", host, (long)getpid());
    w = bode_worker_new(&cfg, box, name, why, sizeof(why));
    if (!w) {
        fprintf(stderr, "bode worker: %s\n", why);
        rc = BODE_EXIT_USAGE;
        goto out;
    }
    rc = start_metrics(&cfg, &mcfg, &mapi, w, &metrics);
    if (rc >= 0)
        goto out;
    bode_log(BODE_LOG_INFO, "worker started", BODE_LOG_S("worker", name),
             BODE_LOG_S("email_providers", cfg.email_providers),
             BODE_LOG_S("sms_providers", cfg.sms_providers),
             BODE_LOG_I("concurrency", cfg.worker_concurrency));
    while (sig != SIGINT && sig != SIGTERM) {
        if (bode_worker_step(w, 100) == BODE_ERR_REDIS)
            sig = bode_signals_wait(500);
        else
            sig = bode_signals_wait(0);
        trim_heap(&trimmed_at);
    }
    bode_log(BODE_LOG_INFO, "worker stopping",
             BODE_LOG_S("signal", sig == SIGINT ? "SIGINT" : "SIGTERM"),
             BODE_LOG_I("in_flight", (long long)bode_worker_in_flight(w)));
    handed = bode_worker_drain(w, cfg.shutdown_timeout * 1000);
    bode_log(BODE_LOG_INFO, "worker stopped",
             BODE_LOG_I("handed_back", (long long)handed));
    rc = BODE_EXIT_OK;
out:
    bode_http_stop(metrics, 1);
    bode_worker_free(w);
    bode_metrics_free(mapi.metrics);
    if (curl_ready)
        curl_global_cleanup();
    bode_secretbox_free(box);
    return rc;
}
