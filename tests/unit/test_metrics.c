/* Tests for the metrics registry and its Prometheus text rendering. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bode/alloc.h"
#include "bode/buf.h"
#include "bode/metrics.h"

static const struct bode_metric_desc requests = {
    "t_requests_total",
    "Requests by route and status.",
    BODE_METRIC_COUNTER,
    2,
    {"route", "status"},
    0,
    NULL};

static const struct bode_metric_desc depth = {
    "t_depth", "Queue depth.", BODE_METRIC_GAUGE, 1, {"lane"}, 0, NULL};

static const double lat_buckets[] = {0.1, 0.5, 1};
static const struct bode_metric_desc latency = {
    "t_latency_seconds", "Latency.", BODE_METRIC_HISTOGRAM, 1, {"route"}, 3,
    lat_buckets};

static const struct bode_metric_desc plain = {
    "t_rejections_total",
    "Help with \\ and\nnewline \"kept\".",
    BODE_METRIC_COUNTER,
    0,
    {NULL},
    0,
    NULL};

static char *render(const struct bode_metrics *m)
{
    struct bode_buf b;

    bode_buf_init(&b, 1 << 20);
    assert_int_equal(bode_metrics_render(m, &b), BODE_OK);
    return bode_buf_take(&b, NULL);
}

static void test_bode_metrics_render_exact_text(void **state)
{
    struct bode_metrics *m = bode_metrics_new(100);
    const char *a[] = {"/v2/notifications/{id}", "200"};
    const char *b[] = {"/_status", "503"};
    const char *lane[] = {"normal"};
    const char *route[] = {"/x"};
    char *text;

    (void)state;
    assert_non_null(m);
    assert_int_equal(bode_metrics_declare(m, &plain), BODE_OK);
    assert_int_equal(bode_metrics_add(m, &requests, a, 1), BODE_OK);
    assert_int_equal(bode_metrics_add(m, &requests, a, 2), BODE_OK);
    assert_int_equal(bode_metrics_add(m, &requests, b, 1), BODE_OK);
    assert_int_equal(bode_metrics_set(m, &depth, lane, 7), BODE_OK);
    assert_int_equal(bode_metrics_add(m, &depth, lane, -2.5), BODE_OK);
    assert_int_equal(bode_metrics_observe(m, &latency, route, 0.05), BODE_OK);
    assert_int_equal(bode_metrics_observe(m, &latency, route, 0.5), BODE_OK);
    assert_int_equal(bode_metrics_observe(m, &latency, route, 3), BODE_OK);
    text = render(m);
    assert_string_equal(
        text,
        "# HELP t_rejections_total Help with \\\\ and\\nnewline \"kept\".\n"
        "# TYPE t_rejections_total counter\n"
        "t_rejections_total 0\n"
        "# HELP t_requests_total Requests by route and status.\n"
        "# TYPE t_requests_total counter\n"
        "t_requests_total{route=\"/v2/notifications/{id}\",status=\"200\"} 3\n"
        "t_requests_total{route=\"/_status\",status=\"503\"} 1\n"
        "# HELP t_depth Queue depth.\n"
        "# TYPE t_depth gauge\n"
        "t_depth{lane=\"normal\"} 4.5\n"
        "# HELP t_latency_seconds Latency.\n"
        "# TYPE t_latency_seconds histogram\n"
        "t_latency_seconds_bucket{route=\"/x\",le=\"0.1\"} 1\n"
        "t_latency_seconds_bucket{route=\"/x\",le=\"0.5\"} 2\n"
        "t_latency_seconds_bucket{route=\"/x\",le=\"1\"} 2\n"
        "t_latency_seconds_bucket{route=\"/x\",le=\"+Inf\"} 3\n"
        "t_latency_seconds_sum{route=\"/x\"} 3.55\n"
        "t_latency_seconds_count{route=\"/x\"} 3\n");
    bode_free(text);
    bode_metrics_free(m);
}

static void test_bode_metrics_render_escapes_label_values(void **state)
{
    struct bode_metrics *m = bode_metrics_new(10);
    const char *v[] = {"a\"b\\c\nd", "x"};
    char *text;

    (void)state;
    assert_int_equal(bode_metrics_add(m, &requests, v, 1), BODE_OK);
    text = render(m);
    assert_non_null(
        strstr(text, "t_requests_total{route=\"a\\\"b\\\\c\\nd\",status=\"x\"} "
                     "1\n"));
    bode_free(text);
    bode_metrics_free(m);
}

static void test_bode_metrics_histogram_without_labels(void **state)
{
    static const double bk[] = {1};
    static const struct bode_metric_desc h = {
        "t_h", "H.", BODE_METRIC_HISTOGRAM, 0, {NULL}, 1, bk};
    struct bode_metrics *m = bode_metrics_new(10);
    char *text;

    (void)state;
    assert_int_equal(bode_metrics_observe(m, &h, NULL, 0.1), BODE_OK);
    text = render(m);
    assert_string_equal(text, "# HELP t_h H.\n# TYPE t_h histogram\n"
                              "t_h_bucket{le=\"1\"} 1\n"
                              "t_h_bucket{le=\"+Inf\"} 1\n"
                              "t_h_sum 0.1\n"
                              "t_h_count 1\n");
    bode_free(text);
    bode_metrics_free(m);
}

static void test_bode_metrics_add_refuses_past_cap(void **state)
{
    struct bode_metrics *m = bode_metrics_new(2);
    const char *a[] = {"a"};
    const char *b[] = {"b"};
    const char *c[] = {"c"};

    (void)state;
    assert_int_equal(bode_metrics_set(m, &depth, a, 1), BODE_OK);
    assert_int_equal(bode_metrics_set(m, &depth, b, 1), BODE_OK);
    assert_int_equal(bode_metrics_set(m, &depth, c, 1), BODE_ERR_TOO_BIG);
    /* Existing series still work at the cap. */
    assert_int_equal(bode_metrics_set(m, &depth, a, 2), BODE_OK);
    assert_int_equal(bode_metrics_series(m), 2);
    assert_int_equal(bode_metrics_dropped(m), 1);
    bode_metrics_free(m);
}

static void test_bode_metrics_add_rejects_wrong_use(void **state)
{
    static const double bad[] = {2, 1};
    static const struct bode_metric_desc unordered = {
        "t_bad", "B.", BODE_METRIC_HISTOGRAM, 0, {NULL}, 2, bad};
    struct bode_metrics *m = bode_metrics_new(10);
    const char *v[] = {"a", "b"};

    (void)state;
    assert_int_equal(bode_metrics_add(m, &requests, v, -1), BODE_ERR_INVALID);
    assert_int_equal(bode_metrics_set(m, &requests, v, 1), BODE_ERR_INVALID);
    assert_int_equal(bode_metrics_observe(m, &requests, v, 1),
                     BODE_ERR_INVALID);
    assert_int_equal(bode_metrics_observe(m, &unordered, NULL, 1),
                     BODE_ERR_INVALID);
    assert_int_equal(bode_metrics_series(m), 0);
    /* A NULL registry is a no-op. */
    assert_int_equal(bode_metrics_add(NULL, &requests, v, 1), BODE_OK);
    bode_metrics_free(m);
    bode_metrics_free(NULL);
}

static void test_bode_metrics_label_values_are_cut(void **state)
{
    struct bode_metrics *m = bode_metrics_new(10);
    char longv[200];
    const char *v[] = {longv};

    (void)state;
    memset(longv, 'x', sizeof(longv) - 1);
    longv[sizeof(longv) - 1] = '\0';
    assert_int_equal(bode_metrics_set(m, &depth, v, 1), BODE_OK);
    longv[150] = 'y'; /* beyond the cut: the same series */
    assert_int_equal(bode_metrics_set(m, &depth, v, 2), BODE_OK);
    assert_int_equal(bode_metrics_series(m), 1);
    bode_metrics_free(m);
}

static void test_bode_metrics_render_stops_at_cap(void **state)
{
    struct bode_metrics *m = bode_metrics_new(10);
    struct bode_buf b;

    (void)state;
    assert_int_equal(bode_metrics_declare(m, &plain), BODE_OK);
    bode_buf_init(&b, 16);
    assert_int_equal(bode_metrics_render(m, &b), BODE_ERR_TOO_BIG);
    bode_buf_release(&b);
    bode_metrics_free(m);
}

#define THREADS 4
#define ROUNDS 20000

static void *hammer(void *arg)
{
    struct bode_metrics *m = arg;
    const char *v[] = {"r", "200"};
    const char *r[] = {"/x"};
    int i;

    for (i = 0; i < ROUNDS; i++) {
        bode_metrics_add(m, &requests, v, 1);
        bode_metrics_observe(m, &latency, r, 0.25);
    }
    return NULL;
}

static void test_bode_metrics_add_is_thread_safe(void **state)
{
    struct bode_metrics *m = bode_metrics_new(10);
    pthread_t t[THREADS];
    char *text;
    int i;

    (void)state;
    for (i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, hammer, m), 0);
    for (i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    text = render(m);
    assert_non_null(
        strstr(text, "t_requests_total{route=\"r\",status=\"200\"} 80000\n"));
    assert_non_null(
        strstr(text, "t_latency_seconds_sum{route=\"/x\"} 20000\n"));
    assert_non_null(
        strstr(text, "t_latency_seconds_count{route=\"/x\"} 80000\n"));
    bode_free(text);
    bode_metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bode_metrics_render_exact_text),
        cmocka_unit_test(test_bode_metrics_render_escapes_label_values),
        cmocka_unit_test(test_bode_metrics_histogram_without_labels),
        cmocka_unit_test(test_bode_metrics_add_refuses_past_cap),
        cmocka_unit_test(test_bode_metrics_add_rejects_wrong_use),
        cmocka_unit_test(test_bode_metrics_label_values_are_cut),
        cmocka_unit_test(test_bode_metrics_render_stops_at_cap),
        cmocka_unit_test(test_bode_metrics_add_is_thread_safe),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
