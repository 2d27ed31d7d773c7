/* Tests for the operator functions against a real redis-server: finding a
 * record and its history, queue figures, day counters, dead-letter retry
 * and drop, and the retention janitor. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "bode/alloc.h"
#include "bode/ops.h"
#include "bode/queue.h"
#include "bode/rand.h"
#include "bode/store.h"
#include "testservice.h"

#define DAY_US (86400LL * 1000000)

struct fixture {
    struct test_service ts;
    char streams[8][BODE_QUEUE_KEY_SIZE];
    size_t n_streams;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (!f || test_service_start(&f->ts, "Ops test"))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    test_service_stop(&f->ts);
    free(f);
    return 0;
}

static void accept_sms(struct fixture *f, char *id)
{
    assert_int_equal(test_service_accept_sms(&f->ts, id, "{\"name\":\"Ada\"}"),
                     0);
}

static size_t read_new(struct fixture *f, struct bode_queue_entry *out)
{
    size_t got = 0;

    assert_int_equal(bode_queue_streams(f->ts.r, BODE_LANE_NORMAL, f->streams,
                                        8, &f->n_streams),
                     BODE_OK);
    assert_int_equal(bode_queue_read(f->ts.r, f->streams, f->n_streams, "w1",
                                     10, 0, false, out, 10, NULL, &got),
                     BODE_OK);
    return got;
}

static void finish(struct fixture *f, const struct bode_queue_entry *e,
                   enum bode_status status, int64_t now)
{
    struct bode_transition t;
    bool applied = false;

    memset(&t, 0, sizeof(t));
    t.service_id = f->ts.svc.id;
    t.notification_id = e->notification_id;
    t.entry = e;
    t.worker = "w1";
    t.status = status;
    t.retention_days = 7;
    t.detail = "test";
    t.now = now;
    assert_int_equal(bode_queue_transition(f->ts.r, &t, &applied), BODE_OK);
    assert_true(applied);
}

static const char *field(const struct bode_ops_record *rec, const char *name)
{
    size_t i;

    for (i = 0; i < rec->n_fields; i++)
        if (strcmp(rec->fields[i].name, name) == 0)
            return rec->fields[i].value;
    return NULL;
}

static void today(char out[16])
{
    time_t now = time(NULL);
    struct tm tm;

    assert_non_null(gmtime_r(&now, &tm));
    assert_true(strftime(out, 16, "%Y-%m-%d", &tm) > 0);
}

static void test_bode_queue_ops_record_finds_service_and_history(void **state)
{
    struct fixture *f = *state;
    struct bode_queue_entry e[10];
    struct bode_ops_record rec;
    char id[BODE_UUID_SIZE];
    char other[BODE_UUID_SIZE];
    int64_t now = bode_now_us();

    accept_sms(f, id);
    assert_int_equal(read_new(f, e), 1);
    finish(f, &e[0], BODE_STATUS_SENDING, now);
    finish(f, &e[0], BODE_STATUS_DELIVERED, now + 1);

    assert_int_equal(bode_queue_ops_record(f->ts.r, NULL, id, &rec), BODE_OK);
    assert_string_equal(rec.service_id, f->ts.svc.id);
    assert_string_equal(field(&rec, "status"), "delivered");
    assert_string_equal(field(&rec, "personalisation"), "{\"name\":\"Ada\"}");
    assert_int_equal(rec.n_history, 2);
    assert_string_equal(rec.history[0].status, "sending");
    assert_string_equal(rec.history[1].status, "delivered");
    assert_string_equal(rec.history[1].detail, "test");
    assert_true(rec.history[1].at == now + 1);
    bode_ops_record_release(&rec);
    bode_ops_record_release(&rec); /* released twice is harmless */

    assert_int_equal(bode_rand_uuid(other), BODE_OK);
    assert_int_equal(bode_queue_ops_record(f->ts.r, NULL, other, &rec),
                     BODE_ERR_NOT_FOUND);
    bode_ops_record_release(&rec);
    assert_int_equal(bode_queue_ops_record(f->ts.r, f->ts.svc.id, other, &rec),
                     BODE_ERR_NOT_FOUND);
    bode_ops_record_release(&rec);
}

static void test_bode_store_stats_day_counts_final_statuses(void **state)
{
    struct fixture *f = *state;
    struct bode_queue_entry e[10];
    struct bode_ops_day_stats st;
    char ids[3][BODE_UUID_SIZE];
    char day[16];
    int64_t now = bode_now_us();

    accept_sms(f, ids[0]);
    accept_sms(f, ids[1]);
    accept_sms(f, ids[2]);
    assert_int_equal(read_new(f, e), 3);
    finish(f, &e[0], BODE_STATUS_SENDING, now);
    finish(f, &e[0], BODE_STATUS_DELIVERED, now);
    finish(f, &e[1], BODE_STATUS_PERMANENT_FAILURE, now);
    finish(f, &e[2], BODE_STATUS_SENDING, now); /* not final: not counted */

    today(day);
    assert_int_equal(bode_store_stats_day(f->ts.r, f->ts.svc.id, day, &st),
                     BODE_OK);
    assert_int_equal(st.counts[BODE_CHANNEL_SMS][BODE_STATUS_DELIVERED], 1);
    assert_int_equal(st.counts[BODE_CHANNEL_SMS][BODE_STATUS_PERMANENT_FAILURE],
                     1);
    assert_int_equal(st.counts[BODE_CHANNEL_SMS][BODE_STATUS_SENDING], 0);
    assert_int_equal(st.counts[BODE_CHANNEL_EMAIL][BODE_STATUS_DELIVERED], 0);

    assert_int_equal(
        bode_store_stats_day(f->ts.r, f->ts.svc.id, "2001-01-01", &st),
        BODE_OK);
    assert_int_equal(st.counts[BODE_CHANNEL_SMS][BODE_STATUS_DELIVERED], 0);
}

static void test_bode_queue_ops_stats_counts_lanes_and_dead(void **state)
{
    struct fixture *f = *state;
    struct bode_queue_entry e[10];
    struct bode_ops_queue_stats st;
    char id[BODE_UUID_SIZE];
    int64_t now = bode_now_us();

    accept_sms(f, id);
    accept_sms(f, id);
    assert_int_equal(bode_queue_ops_stats(f->ts.r, now, &st), BODE_OK);
    assert_int_equal(st.services, 1);
    assert_int_equal(st.lanes[BODE_LANE_NORMAL].depth, 2);
    assert_int_equal(st.lanes[BODE_LANE_NORMAL].pending, 0);

    assert_int_equal(read_new(f, e), 2);
    assert_int_equal(
        bode_queue_dead(f->ts.r, &e[0], "too many deliveries", 7, false, now),
        BODE_OK);
    assert_int_equal(bode_queue_ops_stats(f->ts.r, now + 5000000, &st),
                     BODE_OK);
    assert_int_equal(st.lanes[BODE_LANE_NORMAL].depth, 2);
    assert_int_equal(st.lanes[BODE_LANE_NORMAL].pending, 1);
    assert_true(st.lanes[BODE_LANE_NORMAL].oldest_pending >= 4000);
    assert_int_equal(st.lanes[BODE_LANE_PRIORITY].depth, 0);
    assert_int_equal(st.dead, 1);
    assert_int_equal(st.retries, 0);
}

static void
test_bode_queue_ops_dead_retry_requeues_only_its_failure(void **state)
{
    struct fixture *f = *state;
    struct bode_queue_entry e[10];
    struct bode_ops_record rec;
    struct bode_ops_dead *d = NULL;
    char ids[2][BODE_UUID_SIZE];
    char why[32];
    size_t n = 0;
    bool requeued = false;
    int64_t now = bode_now_us();

    accept_sms(f, ids[0]);
    accept_sms(f, ids[1]);
    assert_int_equal(read_new(f, e), 2);
    assert_int_equal(bode_queue_dead(f->ts.r, &e[0], "gave up", 7, false, now),
                     BODE_OK);
    /* The second was dead-lettered but then delivered after all. */
    assert_int_equal(bode_queue_dead(f->ts.r, &e[1], "gave up", 7, false, now),
                     BODE_OK);
    assert_int_equal(bode_queue_ops_dead_list(f->ts.r, NULL, 10, &d, &n),
                     BODE_OK);
    assert_int_equal(n, 2);
    assert_string_equal(d[0].notification_id, ids[0]);
    assert_string_equal(d[0].reason, "gave up");
    assert_string_equal(d[0].service_id, f->ts.svc.id);

    assert_int_equal(bode_queue_ops_dead_retry(f->ts.r, f->ts.svc.id,
                                               d[0].entry_id, now + 1,
                                               &requeued, why),
                     BODE_OK);
    assert_true(requeued);
    assert_int_equal(bode_queue_ops_record(f->ts.r, f->ts.svc.id, ids[0], &rec),
                     BODE_OK);
    assert_string_equal(field(&rec, "status"), "created");
    assert_string_equal(field(&rec, "attempts"), "0");
    assert_null(field(&rec, "lease_owner"));
    assert_string_equal(rec.history[rec.n_history - 1].status, "created");
    bode_ops_record_release(&rec);
    /* Back on its lane for any worker. */
    assert_int_equal(read_new(f, e), 1);
    assert_string_equal(e[0].notification_id, ids[0]);
    /* Retrying the same entry again: it is gone. */
    assert_int_equal(bode_queue_ops_dead_retry(f->ts.r, f->ts.svc.id,
                                               d[0].entry_id, now + 2,
                                               &requeued, why),
                     BODE_ERR_NOT_FOUND);

    /* Drop removes the other one, once. */
    assert_int_equal(
        bode_queue_ops_dead_drop(f->ts.r, f->ts.svc.id, d[1].entry_id),
        BODE_OK);
    assert_int_equal(
        bode_queue_ops_dead_drop(f->ts.r, f->ts.svc.id, d[1].entry_id),
        BODE_ERR_NOT_FOUND);
    bode_free(d);
    assert_int_equal(
        bode_queue_ops_dead_list(f->ts.r, f->ts.svc.id, 10, &d, &n), BODE_OK);
    assert_int_equal(n, 0);
    bode_free(d);
}

static void test_bode_queue_ops_dead_retry_skips_delivered(void **state)
{
    struct fixture *f = *state;
    struct bode_queue_entry e[10];
    struct bode_ops_dead *d = NULL;
    char id[BODE_UUID_SIZE];
    char why[32];
    size_t n = 0;
    bool requeued = true;
    int64_t now = bode_now_us();

    accept_sms(f, id);
    assert_int_equal(read_new(f, e), 1);
    /* Delivered first; the dead letter that follows cannot change it. */
    finish(f, &e[0], BODE_STATUS_DELIVERED, now);
    assert_int_equal(bode_queue_dead(f->ts.r, &e[0], "late", 7, false, now + 1),
                     BODE_OK);
    assert_int_equal(
        bode_queue_ops_dead_list(f->ts.r, f->ts.svc.id, 10, &d, &n), BODE_OK);
    assert_int_equal(n, 1);
    assert_int_equal(bode_queue_ops_dead_retry(f->ts.r, f->ts.svc.id,
                                               d[0].entry_id, now + 2,
                                               &requeued, why),
                     BODE_OK);
    assert_false(requeued);
    assert_string_equal(why, "delivered");
    bode_free(d);
    assert_int_equal(read_new(f, e), 0);
}

static void test_bode_queue_ops_janitor_trims_old_entries(void **state)
{
    struct fixture *f = *state;
    struct bode_queue_entry e[10];
    struct bode_ops_janitor_result res = {0, 0, 0};
    struct bode_ops_queue_stats st;
    struct bode_notification *list = NULL;
    struct bode_list_filter filter;
    char id[BODE_UUID_SIZE];
    size_t n = 0;
    size_t i;
    int64_t now = bode_now_us();

    for (i = 0; i < 3; i++)
        accept_sms(f, id);
    assert_int_equal(read_new(f, e), 3);
    for (i = 0; i < 3; i++)
        finish(f, &e[i], BODE_STATUS_DELIVERED, now);
    accept_sms(f, id); /* never read: must survive */

    /* Nothing is old yet. */
    assert_int_equal(bode_queue_ops_janitor(f->ts.r, now, 10, &res), BODE_OK);
    assert_int_equal(res.index_entries, 0);
    assert_int_equal(res.stream_entries, 0);

    /* Eight days on, past the 7-day retention. */
    assert_int_equal(
        bode_queue_ops_janitor(f->ts.r, now + 8 * DAY_US, 10, &res), BODE_OK);
    assert_int_equal(res.index_entries, 4);
    /* The last delivered entry and the unread one stay. */
    assert_int_equal(res.stream_entries, 2);
    assert_int_equal(bode_queue_ops_stats(f->ts.r, now, &st), BODE_OK);
    assert_int_equal(st.lanes[BODE_LANE_NORMAL].depth, 2);
    assert_int_equal(read_new(f, e), 1);
    assert_string_equal(e[0].notification_id, id);

    memset(&filter, 0, sizeof(filter));
    filter.key_type = BODE_KEY_LIVE;
    assert_int_equal(bode_store_notification_list(f->ts.r, f->ts.svc.id,
                                                  &filter, 10, &list, &n),
                     BODE_OK);
    assert_int_equal(n, 0);
    bode_free(list);

    /* The worker's tick runs once, then waits five minutes. */
    {
        int64_t last = 0;

        assert_int_equal(bode_queue_ops_janitor_tick(f->ts.r, now, &last),
                         BODE_OK);
        assert_true(last == now);
        assert_int_equal(
            bode_queue_ops_janitor_tick(f->ts.r, now + 1000, &last), BODE_OK);
        assert_true(last == now);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_bode_queue_ops_record_finds_service_and_history, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_bode_store_stats_day_counts_final_statuses, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_bode_queue_ops_stats_counts_lanes_and_dead, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_bode_queue_ops_dead_retry_requeues_only_its_failure, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_bode_queue_ops_dead_retry_skips_delivered, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_bode_queue_ops_janitor_trims_old_entries, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
