/* The worker's metric families: provider outcomes and latency, time to
 * hand-over, circuit breakers and callbacks. Must not record anything
 * itself: worker.c and callbacks.c do, where the events happen. */
#include "bode/worker.h"
#include "worker_metrics.h"

static const double provider_buckets[] = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                          1,    2.5,   5,    10,  30};

/* From accept to a provider taking the message: milliseconds on a healthy
 * queue (the low buckets check the 50 ms end-to-end target), hours when
 * retries are involved. */
static const double handover_buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1,  0.25,
                                          0.5,   1,    2.5,   5,    10,   30,
                                          60,    300,  900,   3600, 14400};

const struct bode_metric_desc bode_wm_outcomes = {
    "bode_worker_outcomes_total",
    "Provider outcomes by channel, provider and outcome (sending, delivered, "
    "sent, permanent-failure, technical-failure, temporary).",
    BODE_METRIC_COUNTER,
    3,
    {"channel", "provider", "outcome"},
    0,
    NULL};

const struct bode_metric_desc bode_wm_provider_duration = {
    "bode_worker_provider_request_duration_seconds",
    "Time from handing a message to a provider to its answer.",
    BODE_METRIC_HISTOGRAM,
    1,
    {"provider"},
    sizeof(provider_buckets) / sizeof(provider_buckets[0]),
    provider_buckets};

const struct bode_metric_desc bode_wm_handover = {
    "bode_worker_handover_seconds",
    "Time from accept (created_at) to a provider taking the message, by "
    "lane.",
    BODE_METRIC_HISTOGRAM,
    1,
    {"lane"},
    sizeof(handover_buckets) / sizeof(handover_buckets[0]),
    handover_buckets};

const struct bode_metric_desc bode_wm_breaker = {
    "bode_worker_circuit_breaker_state",
    "Circuit breaker per provider: 0 closed, 1 open, 2 half-open.",
    BODE_METRIC_GAUGE,
    2,
    {"channel", "provider"},
    0,
    NULL};

const struct bode_metric_desc bode_wm_callbacks = {
    "bode_worker_callbacks_total",
    "Delivery-status callbacks by result: sent, retry (failed, will be "
    "tried again), failed (given up) or parked (kept while the service's "
    "endpoint is paused).",
    BODE_METRIC_COUNTER,
    1,
    {"result"},
    0,
    NULL};

enum bode_err bode_worker_metrics_declare(struct bode_metrics *m)
{
    static const struct bode_metric_desc *const all[] = {
        &bode_wm_outcomes, &bode_wm_provider_duration, &bode_wm_handover,
        &bode_wm_breaker,  &bode_wm_callbacks,
    };
    enum bode_err err = BODE_OK;
    size_t i;

    for (i = 0; i < sizeof(all) / sizeof(all[0]) && !err; i++)
        err = bode_metrics_declare(m, all[i]);
    return err;
}
