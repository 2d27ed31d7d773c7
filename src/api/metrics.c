/* GET /metrics and the API's own metric families: requests, latency,
 * accepts, limit rejections, and queue levels read from Redis at scrape
 * time. Must not keep per-request state or touch Redis but through queue/. */
#include "bode/metrics.h"

#include "api_int.h"
#include "bode/log.h"
#include "bode/queue.h"
#include "bode/redis.h"

/* A scrape page for thousands of series stays well under this. */
#define PAGE_CAP (4u * 1024 * 1024)

static const double latency_buckets[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
                                         0.25,  0.5,   1,    2.5,   5,    10};

static const struct bode_metric_desc requests = {
    "bode_http_requests_total",
    "HTTP requests answered, by method, route pattern and status.",
    BODE_METRIC_COUNTER,
    3,
    {"method", "route", "status"},
    0,
    NULL};

static const struct bode_metric_desc duration = {
    "bode_http_request_duration_seconds",
    "Time from the first byte of a request to its response being queued.",
    BODE_METRIC_HISTOGRAM,
    1,
    {"route"},
    sizeof(latency_buckets) / sizeof(latency_buckets[0]),
    latency_buckets};

static const struct bode_metric_desc timeouts = {
    "bode_http_request_timeouts_total",
    "Connections closed because a request did not arrive whole within "
    "BODE_REQUEST_TIMEOUT, by what was still missing: request_line, "
    "headers or body.",
    BODE_METRIC_COUNTER,
    1,
    {"phase"},
    0,
    NULL};

static const struct bode_metric_desc accepted = {
    "bode_notifications_accepted_total",
    "Notifications stored and queued, by channel and API key type.",
    BODE_METRIC_COUNTER,
    2,
    {"channel", "key_type"},
    0,
    NULL};

static const struct bode_metric_desc rejected = {
    "bode_rate_limit_rejections_total",
    "Send requests refused by a limit: rate (per minute), daily or "
    "international.",
    BODE_METRIC_COUNTER,
    1,
    {"limit"},
    0,
    NULL};

static const struct bode_metric_desc depth = {
    "bode_queue_depth",
    "Entries in the lane streams (XLEN), summed over services; delivered "
    "entries count until the retention janitor trims them.",
    BODE_METRIC_GAUGE,
    1,
    {"lane"},
    0,
    NULL};

static const struct bode_metric_desc unread = {
    "bode_queue_unread",
    "Entries no worker has read yet (the backlog), summed over services.",
    BODE_METRIC_GAUGE,
    1,
    {"lane"},
    0,
    NULL};

static const struct bode_metric_desc oldest_unread = {
    "bode_queue_oldest_unread_age_seconds",
    "Age of the oldest entry no worker has read yet, over services.",
    BODE_METRIC_GAUGE,
    1,
    {"lane"},
    0,
    NULL};

static const struct bode_metric_desc pending = {
    "bode_queue_pending",
    "Entries handed to a worker and not yet acknowledged, summed over "
    "services.",
    BODE_METRIC_GAUGE,
    1,
    {"lane"},
    0,
    NULL};

static const struct bode_metric_desc oldest = {
    "bode_queue_oldest_pending_age_seconds",
    "Age of the oldest pending entry (since it was queued), over services.",
    BODE_METRIC_GAUGE,
    1,
    {"lane"},
    0,
    NULL};

static const struct bode_metric_desc retries = {
    "bode_queue_retry_scheduled",
    "Notifications waiting in retry sets, summed over services.",
    BODE_METRIC_GAUGE,
    0,
    {NULL},
    0,
    NULL};

static const struct bode_metric_desc scheduled = {
    "bode_queue_scheduled",
    "Notifications waiting for their scheduled_for time, summed over "
    "services.",
    BODE_METRIC_GAUGE,
    0,
    {NULL},
    0,
    NULL};

static const struct bode_metric_desc dead = {
    "bode_queue_dead_letters",
    "Entries in the dead-letter streams, summed over services.",
    BODE_METRIC_GAUGE,
    0,
    {NULL},
    0,
    NULL};

static const struct bode_metric_desc services = {
    "bode_queue_services",
    "Services whose queues were measured.",
    BODE_METRIC_GAUGE,
    0,
    {NULL},
    0,
    NULL};

static const struct bode_metric_desc levels_up = {
    "bode_queue_levels_up",
    "1 when the queue levels above were read from Redis at this scrape, "
    "0 when Redis failed and they are stale.",
    BODE_METRIC_GAUGE,
    0,
    {NULL},
    0,
    NULL};

static const struct bode_metric_desc *const api_families[] = {
    &requests, &duration, &timeouts, &accepted, &rejected,
};

static const struct bode_metric_desc *const queue_families[] = {
    &depth,   &unread,    &oldest_unread, &pending,  &oldest,
    &retries, &scheduled, &dead,          &services, &levels_up,
};

enum bode_err bode_api_metrics_declare(struct bode_metrics *m)
{
    enum bode_err err = BODE_OK;
    size_t i;

    for (i = 0; i < sizeof(api_families) / sizeof(api_families[0]) && !err; i++)
        err = bode_metrics_declare(m, api_families[i]);
    for (i = 0; i < sizeof(queue_families) / sizeof(queue_families[0]) && !err;
         i++)
        err = bode_metrics_declare(m, queue_families[i]);
    return err;
}

void bode_api_metrics_request(const struct bode_api_ctx *ctx,
                              enum bode_method method, const char *path,
                              int status, long duration_us)
{
    static const char *const names[] = {
        "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "OTHER",
    };
    const char *route;
    const char *v[3];
    char code[16];

    if (!ctx || !ctx->metrics)
        return;
    route = bode_api_route_name(method, path);
    snprintf(code, sizeof(code), "%d", status);
    v[0] = (size_t)method < sizeof(names) / sizeof(names[0]) ? names[method]
                                                             : "OTHER";
    v[1] = route;
    v[2] = code;
    bode_metrics_add(ctx->metrics, &requests, v, 1);
    bode_metrics_observe(ctx->metrics, &duration, &route,
                         (double)duration_us / 1e6);
}

void bode_api_metrics_request_timeout(const struct bode_api_ctx *ctx,
                                      const char *phase)
{
    if (ctx && ctx->metrics)
        bode_metrics_add(ctx->metrics, &timeouts, &phase, 1);
}

void bode_api_metrics_accepted(const struct bode_api_ctx *ctx,
                               enum bode_channel channel,
                               enum bode_key_type key_type)
{
    const char *v[2];

    if (!ctx->metrics)
        return;
    v[0] = bode_channel_name(channel);
    v[1] = bode_key_type_name(key_type);
    bode_metrics_add(ctx->metrics, &accepted, v, 1);
}

void bode_api_metrics_rejected(const struct bode_api_ctx *ctx,
                               const char *limit)
{
    bode_metrics_add(ctx->metrics, &rejected, &limit, 1);
}

/* Reads the queue levels into the gauges; on failure they keep their last
 * values and levels_up says so. */
static void refresh_queue_levels(const struct bode_api_ctx *ctx)
{
    struct bode_queue_levels q;
    struct bode_redis *r = bode_api_redis(ctx);
    enum bode_err err =
        r ? bode_queue_measure(r, bode_now_us(), &q) : BODE_ERR_NOMEM;
    const char *lane;
    int l;

    if (err) {
        bode_metrics_set(ctx->metrics, &levels_up, NULL, 0);
        bode_log(BODE_LOG_WARN, "queue levels not read",
                 BODE_LOG_S("error", bode_err_str(err)));
        return;
    }
    for (l = 0; l < BODE_LANE__COUNT; l++) {
        lane = bode_lane_name((enum bode_lane)l);
        bode_metrics_set(ctx->metrics, &depth, &lane, (double)q.depth[l]);
        bode_metrics_set(ctx->metrics, &unread, &lane, (double)q.unread[l]);
        bode_metrics_set(ctx->metrics, &oldest_unread, &lane,
                         q.oldest_unread_s[l]);
        bode_metrics_set(ctx->metrics, &pending, &lane, (double)q.pending[l]);
        bode_metrics_set(ctx->metrics, &oldest, &lane, q.oldest_pending_s[l]);
    }
    bode_metrics_set(ctx->metrics, &retries, NULL, (double)q.retry);
    bode_metrics_set(ctx->metrics, &scheduled, NULL, (double)q.scheduled);
    bode_metrics_set(ctx->metrics, &dead, NULL, (double)q.dead);
    bode_metrics_set(ctx->metrics, &services, NULL, (double)q.services);
    bode_metrics_set(ctx->metrics, &levels_up, NULL, 1);
}

void bode_api_metrics(const struct bode_api_ctx *ctx,
                      const struct bode_request *req,
                      const struct bode_api_params *params,
                      struct bode_response *resp)
{
    struct bode_buf page;

    (void)req;
    (void)params;
    if (ctx->metrics && !ctx->metrics_only)
        refresh_queue_levels(ctx);
    bode_buf_init(&page, PAGE_CAP);
    if (bode_metrics_render(ctx->metrics, &page) != BODE_OK) {
        bode_buf_release(&page);
        bode_api_fail(resp, BODE_API_E_INTERNAL, NULL);
        return;
    }
    resp->body = bode_buf_take(&page, &resp->body_len);
    if (!resp->body) {
        bode_api_fail(resp, BODE_API_E_INTERNAL, NULL);
        return;
    }
    resp->status = 200;
    resp->content_type = "text/plain; version=0.0.4";
}
