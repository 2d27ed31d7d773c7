/* Private to worker/: the worker's metric families (metrics.c), shared by
 * the delivery loop and the callback sender. */
#ifndef BODE_WORKER_METRICS_H
#define BODE_WORKER_METRICS_H

#include "bode/metrics.h"

extern const struct bode_metric_desc bode_wm_outcomes;
extern const struct bode_metric_desc bode_wm_provider_duration;
extern const struct bode_metric_desc bode_wm_handover;
extern const struct bode_metric_desc bode_wm_breaker;
extern const struct bode_metric_desc bode_wm_callbacks;

#endif
