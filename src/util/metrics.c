/* The metrics registry: atomic counters, gauges and histograms, and their
 * Prometheus text rendering. Must not know any metric by name. */
#include "bode/metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bode/alloc.h"

/* Series and families are only ever appended, under the lock, and freed
 * with the registry: readers walk the lists through atomic next pointers
 * and never need the lock. */
struct series {
    struct series *_Atomic next;
    char values[BODE_METRIC_MAX_LABELS][BODE_METRIC_LABEL_SIZE];
    atomic_uint_least64_t value; /* the bits of a double: counter, gauge,
                                    histogram sum */
    /* Histograms: observations per bucket, not cumulative; the last one
     * counts those above every bound. */
    atomic_uint_least64_t bucket[BODE_METRIC_MAX_BUCKETS + 1];
};

struct family {
    struct family *_Atomic next;
    const struct bode_metric_desc *d;
    struct series *_Atomic head;
    struct series *tail; /* under the registry's lock */
};

struct bode_metrics {
    pthread_mutex_t lock;
    struct family *_Atomic head;
    struct family *tail; /* under lock */
    size_t max_series;
    atomic_size_t n_series;
    atomic_size_t dropped;
};

static uint64_t to_bits(double v)
{
    uint64_t b;

    memcpy(&b, &v, sizeof(b));
    return b;
}

static double from_bits(uint64_t b)
{
    double v;

    memcpy(&v, &b, sizeof(v));
    return v;
}

struct bode_metrics *bode_metrics_new(size_t max_series)
{
    struct bode_metrics *m = bode_calloc(1, sizeof(*m));

    if (!m)
        return NULL;
    if (pthread_mutex_init(&m->lock, NULL) != 0) {
        bode_free(m);
        return NULL;
    }
    atomic_init(&m->head, NULL);
    atomic_init(&m->n_series, 0);
    atomic_init(&m->dropped, 0);
    m->max_series = max_series;
    return m;
}

void bode_metrics_free(struct bode_metrics *m)
{
    struct family *f;
    struct family *fnext;
    struct series *s;
    struct series *snext;

    if (!m)
        return;
    for (f = atomic_load(&m->head); f; f = fnext) {
        fnext = atomic_load(&f->next);
        for (s = atomic_load(&f->head); s; s = snext) {
            snext = atomic_load(&s->next);
            bode_free(s);
        }
        bode_free(f);
    }
    pthread_mutex_destroy(&m->lock);
    bode_free(m);
}

static bool desc_is_valid(const struct bode_metric_desc *d)
{
    size_t i;

    if (!d || !d->name || !d->name[0] || !d->help ||
        d->n_labels > BODE_METRIC_MAX_LABELS ||
        d->n_buckets > BODE_METRIC_MAX_BUCKETS)
        return false;
    for (i = 0; i < d->n_labels; i++)
        if (!d->labels[i] || !d->labels[i][0])
            return false;
    if (d->n_buckets && !d->buckets)
        return false;
    for (i = 1; i < d->n_buckets; i++)
        if (!(d->buckets[i - 1] < d->buckets[i]))
            return false;
    return true;
}

static struct family *find_family(const struct bode_metrics *m,
                                  const struct bode_metric_desc *d)
{
    struct family *f;

    for (f = atomic_load(&m->head); f; f = atomic_load(&f->next))
        if (f->d == d)
            return f;
    return NULL;
}

/* Caller holds the lock. */
static struct family *add_family(struct bode_metrics *m,
                                 const struct bode_metric_desc *d)
{
    struct family *f = bode_calloc(1, sizeof(*f));

    if (!f)
        return NULL;
    f->d = d;
    atomic_init(&f->next, NULL);
    atomic_init(&f->head, NULL);
    if (m->tail)
        atomic_store(&m->tail->next, f);
    else
        atomic_store(&m->head, f);
    m->tail = f;
    return f;
}

/* Label values as stored: cut to BODE_METRIC_LABEL_SIZE - 1 bytes. */
static void cut_values(const struct bode_metric_desc *d,
                       const char *const *values,
                       char (*out)[BODE_METRIC_LABEL_SIZE])
{
    size_t i;
    size_t len;

    for (i = 0; i < d->n_labels; i++) {
        const char *v = values && values[i] ? values[i] : "";

        len = strlen(v);
        if (len >= BODE_METRIC_LABEL_SIZE)
            len = BODE_METRIC_LABEL_SIZE - 1;
        memcpy(out[i], v, len);
        out[i][len] = '\0';
    }
}

static struct series *find_series(const struct family *f,
                                  char (*values)[BODE_METRIC_LABEL_SIZE])
{
    struct series *s;
    size_t i;

    for (s = atomic_load(&f->head); s; s = atomic_load(&s->next)) {
        for (i = 0; i < f->d->n_labels; i++)
            if (strcmp(s->values[i], values[i]) != 0)
                break;
        if (i == f->d->n_labels)
            return s;
    }
    return NULL;
}

/* Caller holds the lock. */
static enum bode_err add_series(struct bode_metrics *m, struct family *f,
                                char (*values)[BODE_METRIC_LABEL_SIZE],
                                struct series **out)
{
    struct series *s;
    size_t i;

    if (atomic_load(&m->n_series) >= m->max_series) {
        atomic_fetch_add(&m->dropped, 1);
        return BODE_ERR_TOO_BIG;
    }
    s = bode_calloc(1, sizeof(*s));
    if (!s)
        return BODE_ERR_NOMEM;
    memcpy(s->values, values, sizeof(s->values));
    atomic_init(&s->next, NULL);
    atomic_init(&s->value, to_bits(0.0));
    for (i = 0; i <= BODE_METRIC_MAX_BUCKETS; i++)
        atomic_init(&s->bucket[i], 0);
    if (f->tail)
        atomic_store(&f->tail->next, s);
    else
        atomic_store(&f->head, s);
    f->tail = s;
    atomic_fetch_add(&m->n_series, 1);
    *out = s;
    return BODE_OK;
}

/* Finds or makes the family and, when with_series, the series. */
static enum bode_err lookup(struct bode_metrics *m,
                            const struct bode_metric_desc *d,
                            const char *const *values, bool with_series,
                            struct series **out)
{
    char cut[BODE_METRIC_MAX_LABELS][BODE_METRIC_LABEL_SIZE];
    struct family *f;
    enum bode_err err = BODE_OK;

    memset(cut, 0, sizeof(cut));
    cut_values(d, values, cut);
    f = find_family(m, d);
    if (f && with_series) {
        *out = find_series(f, cut);
        if (*out)
            return BODE_OK;
    } else if (f) {
        return BODE_OK;
    }
    if (!desc_is_valid(d))
        return BODE_ERR_INVALID;
    pthread_mutex_lock(&m->lock);
    f = find_family(m, d);
    if (!f)
        f = add_family(m, d);
    if (!f) {
        err = BODE_ERR_NOMEM;
        goto out;
    }
    if (!with_series)
        goto out;
    *out = find_series(f, cut);
    if (!*out)
        err = add_series(m, f, cut, out);
out:
    pthread_mutex_unlock(&m->lock);
    return err;
}

enum bode_err bode_metrics_declare(struct bode_metrics *m,
                                   const struct bode_metric_desc *d)
{
    struct series *s;

    if (!m)
        return BODE_OK;
    if (!desc_is_valid(d))
        return BODE_ERR_INVALID;
    return lookup(m, d, NULL, d->n_labels == 0, &s);
}

static void add_double(atomic_uint_least64_t *a, double v)
{
    uint64_t old = atomic_load(a);

    while (!atomic_compare_exchange_weak(a, &old, to_bits(from_bits(old) + v)))
        ;
}

enum bode_err bode_metrics_add(struct bode_metrics *m,
                               const struct bode_metric_desc *d,
                               const char *const *values, double v)
{
    struct series *s = NULL;
    enum bode_err err;

    if (!m)
        return BODE_OK;
    if (d->type == BODE_METRIC_HISTOGRAM ||
        (d->type == BODE_METRIC_COUNTER && !(v >= 0)))
        return BODE_ERR_INVALID;
    err = lookup(m, d, values, true, &s);
    if (err)
        return err;
    add_double(&s->value, v);
    return BODE_OK;
}

enum bode_err bode_metrics_set(struct bode_metrics *m,
                               const struct bode_metric_desc *d,
                               const char *const *values, double v)
{
    struct series *s = NULL;
    enum bode_err err;

    if (!m)
        return BODE_OK;
    if (d->type != BODE_METRIC_GAUGE)
        return BODE_ERR_INVALID;
    err = lookup(m, d, values, true, &s);
    if (err)
        return err;
    atomic_store(&s->value, to_bits(v));
    return BODE_OK;
}

enum bode_err bode_metrics_observe(struct bode_metrics *m,
                                   const struct bode_metric_desc *d,
                                   const char *const *values, double v)
{
    struct series *s = NULL;
    enum bode_err err;
    size_t i;

    if (!m)
        return BODE_OK;
    if (d->type != BODE_METRIC_HISTOGRAM || isnan(v))
        return BODE_ERR_INVALID;
    err = lookup(m, d, values, true, &s);
    if (err)
        return err;
    for (i = 0; i < d->n_buckets && v > d->buckets[i]; i++)
        ;
    atomic_fetch_add(&s->bucket[i], 1);
    add_double(&s->value, v);
    return BODE_OK;
}

/* Shortest of %.15g and %.17g that reads back as v, so 0.1 stays "0.1". */
static void format_number(double v, char *out, size_t size)
{
    if (isnan(v)) {
        snprintf(out, size, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(out, size, "%s", v > 0 ? "+Inf" : "-Inf");
        return;
    }
    snprintf(out, size, "%.15g", v);
    if (strtod(out, NULL) != v)
        snprintf(out, size, "%.17g", v);
}

/* Escapes backslash and newline, and the double quote when quote is set
 * (label values; HELP text keeps its quotes). */
static enum bode_err add_escaped(struct bode_buf *out, const char *s,
                                 bool quote)
{
    enum bode_err err = BODE_OK;

    for (; *s && !err; s++) {
        if (*s == '\\')
            err = bode_buf_adds(out, "\\\\");
        else if (*s == '\n')
            err = bode_buf_adds(out, "\\n");
        else if (*s == '"' && quote)
            err = bode_buf_adds(out, "\\\"");
        else
            err = bode_buf_addc(out, *s);
    }
    return err;
}

/* Writes `{a="x",b="y"}`, with le last when le is not NULL; nothing when
 * there are no labels at all. */
static enum bode_err add_labels(struct bode_buf *out,
                                const struct bode_metric_desc *d,
                                const struct series *s, const char *le)
{
    enum bode_err err = BODE_OK;
    size_t i;

    if (d->n_labels == 0 && !le)
        return BODE_OK;
    err = bode_buf_addc(out, '{');
    for (i = 0; i < d->n_labels && !err; i++) {
        err = bode_buf_addf(out, "%s%s=\"", i ? "," : "", d->labels[i]);
        if (!err)
            err = add_escaped(out, s->values[i], true);
        if (!err)
            err = bode_buf_addc(out, '"');
    }
    if (le && !err)
        err = bode_buf_addf(out, "%sle=\"%s\"", d->n_labels ? "," : "", le);
    if (!err)
        err = bode_buf_addc(out, '}');
    return err;
}

static enum bode_err add_sample(struct bode_buf *out,
                                const struct bode_metric_desc *d,
                                const struct series *s, const char *suffix,
                                const char *le, double v)
{
    char num[40];
    enum bode_err err;

    format_number(v, num, sizeof(num));
    err = bode_buf_addf(out, "%s%s", d->name, suffix);
    if (!err)
        err = add_labels(out, d, s, le);
    if (!err)
        err = bode_buf_addf(out, " %s\n", num);
    return err;
}

static enum bode_err render_histogram(struct bode_buf *out,
                                      const struct bode_metric_desc *d,
                                      struct series *s)
{
    uint64_t counts[BODE_METRIC_MAX_BUCKETS + 1];
    uint64_t total = 0;
    char le[40];
    enum bode_err err = BODE_OK;
    size_t i;

    /* Counts are read once, so the +Inf bucket and _count always agree. */
    for (i = 0; i <= d->n_buckets; i++)
        counts[i] = atomic_load(&s->bucket[i]);
    for (i = 0; i < d->n_buckets && !err; i++) {
        total += counts[i];
        format_number(d->buckets[i], le, sizeof(le));
        err = add_sample(out, d, s, "_bucket", le, (double)total);
    }
    total += counts[d->n_buckets];
    if (!err)
        err = add_sample(out, d, s, "_bucket", "+Inf", (double)total);
    if (!err)
        err = add_sample(out, d, s, "_sum", NULL,
                         from_bits(atomic_load(&s->value)));
    if (!err)
        err = add_sample(out, d, s, "_count", NULL, (double)total);
    return err;
}

static const char *type_name(enum bode_metric_type t)
{
    switch (t) {
    case BODE_METRIC_COUNTER:
        return "counter";
    case BODE_METRIC_GAUGE:
        return "gauge";
    case BODE_METRIC_HISTOGRAM:
        return "histogram";
    }
    return "untyped";
}

enum bode_err bode_metrics_render(const struct bode_metrics *m,
                                  struct bode_buf *out)
{
    struct family *f;
    struct series *s;
    enum bode_err err = BODE_OK;

    if (!m)
        return BODE_OK;
    for (f = atomic_load(&m->head); f && !err; f = atomic_load(&f->next)) {
        err = bode_buf_addf(out, "# HELP %s ", f->d->name);
        if (!err)
            err = add_escaped(out, f->d->help, false);
        if (!err)
            err = bode_buf_addf(out, "\n# TYPE %s %s\n", f->d->name,
                                type_name(f->d->type));
        for (s = atomic_load(&f->head); s && !err; s = atomic_load(&s->next))
            err = f->d->type == BODE_METRIC_HISTOGRAM
                      ? render_histogram(out, f->d, s)
                      : add_sample(out, f->d, s, "", NULL,
                                   from_bits(atomic_load(&s->value)));
    }
    return err;
}

size_t bode_metrics_series(const struct bode_metrics *m)
{
    return m ? atomic_load(&m->n_series) : 0;
}

size_t bode_metrics_dropped(const struct bode_metrics *m)
{
    return m ? atomic_load(&m->dropped) : 0;
}
