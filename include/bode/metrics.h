/* A small thread-safe metrics registry: counters, gauges and histograms
 * with fixed label sets, rendered in the Prometheus text exposition format
 * (version 0.0.4).
 *
 * A metric family is described by a static struct bode_metric_desc; the
 * first use of a descriptor registers its family, and each distinct tuple
 * of label values is one series. Updating an existing series is lock free
 * (atomics); only creating a family or a series takes the registry's lock.
 * The registry holds at most max_series series: past the cap new series
 * are refused (BODE_ERR_TOO_BIG) and counted in bode_metrics_dropped, so a
 * label with unexpected values cannot grow memory without bound. Every
 * function accepts a NULL registry and then does nothing, so code can be
 * instrumented unconditionally. */
#ifndef BODE_METRICS_H
#define BODE_METRICS_H

#include <stddef.h>

#include "bode/buf.h"
#include "bode/err.h"

#define BODE_METRIC_MAX_LABELS 4
#define BODE_METRIC_MAX_BUCKETS 24
/* Longest label value kept; longer values are cut. */
#define BODE_METRIC_LABEL_SIZE 64

enum bode_metric_type {
    BODE_METRIC_COUNTER,
    BODE_METRIC_GAUGE,
    BODE_METRIC_HISTOGRAM,
};

/* What a family is. Must stay valid and unchanged for the registry's life
 * (normally a static const): the registry keys families by its address.
 * name and label names must be valid Prometheus names; buckets are upper
 * bounds in ascending order, +Inf is implied. */
struct bode_metric_desc {
    const char *name;
    const char *help;
    enum bode_metric_type type;
    size_t n_labels;
    const char *labels[BODE_METRIC_MAX_LABELS];
    size_t n_buckets;
    const double *buckets;
};

struct bode_metrics;

/* A new, empty registry holding at most max_series series over all
 * families. NULL without memory. Free with bode_metrics_free (takes
 * NULL); no other thread may be using it then. */
struct bode_metrics *bode_metrics_new(size_t max_series);
void bode_metrics_free(struct bode_metrics *m);

/* Registers d's family so that it is rendered (HELP and TYPE) even before
 * any sample; a family without labels also gets its zero sample.
 * BODE_ERR_INVALID for a malformed descriptor, BODE_ERR_TOO_BIG past the
 * cap, BODE_ERR_NOMEM. Thread safe. */
enum bode_err bode_metrics_declare(struct bode_metrics *m,
                                   const struct bode_metric_desc *d);

/* Adds v to the series of d with label values values (d->n_labels
 * strings, borrowed; NULL when d has no labels). Counters take v >= 0
 * only (BODE_ERR_INVALID otherwise); gauges any v. Thread safe. */
enum bode_err bode_metrics_add(struct bode_metrics *m,
                               const struct bode_metric_desc *d,
                               const char *const *values, double v);

/* Sets a gauge's series to v. Thread safe. */
enum bode_err bode_metrics_set(struct bode_metrics *m,
                               const struct bode_metric_desc *d,
                               const char *const *values, double v);

/* Records observation v in a histogram's series. Thread safe. */
enum bode_err bode_metrics_observe(struct bode_metrics *m,
                                   const struct bode_metric_desc *d,
                                   const char *const *values, double v);

/* Appends the whole registry to out in the text exposition format:
 * families in the order they were first used, series in the order they
 * were created. BODE_ERR_TOO_BIG when out's cap is reached. Safe while
 * other threads update (each value is read atomically; a histogram's
 * buckets, sum and count may be a moment apart). */
enum bode_err bode_metrics_render(const struct bode_metrics *m,
                                  struct bode_buf *out);

/* How many series exist, and how many were refused at the cap. */
size_t bode_metrics_series(const struct bode_metrics *m);
size_t bode_metrics_dropped(const struct bode_metrics *m);

#endif
