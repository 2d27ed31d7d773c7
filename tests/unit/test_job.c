/* Tests for scheduled sends and bulk jobs against a real redis-server: the
 * scheduled set, cancel against the promoter, the daily limit taken whole,
 * chunked row writes that are idempotent, commit, progress, and a job
 * whose insert was interrupted never being sent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bode/job.h"
#include "bode/queue.h"
#include "bode/rand.h"
#include "bode/store.h"
#include "testservice.h"

#define SECOND 1000000LL

static int setup(void **state)
{
    struct test_service *ts = calloc(1, sizeof(*ts));

    if (!ts || test_service_start(ts, "Job test"))
        return -1;
    *state = ts;
    return 0;
}

static int teardown(void **state)
{
    test_service_stop(*state);
    free(*state);
    return 0;
}

/* Accepts an SMS scheduled for `at`. */
static void accept_scheduled(struct test_service *ts, char *id, int64_t now,
                             int64_t at, int daily_limit,
                             enum bode_accept_outcome want)
{
    struct bode_accept a;
    struct bode_accept_result res;

    memset(&a, 0, sizeof(a));
    assert_int_equal(bode_rand_uuid(id), BODE_OK);
    a.id = id;
    a.service_id = ts->svc.id;
    a.key_type = BODE_KEY_LIVE;
    a.key_id = "k";
    a.channel = BODE_CHANNEL_SMS;
    a.lane = BODE_LANE_NORMAL;
    a.template_id = "11111111-1111-1111-1111-111111111111";
    a.template_version = 1;
    a.to = "447700900123";
    a.personalisation = "{}";
    a.body = "Hello";
    a.created_at = now;
    a.retention_days = 7;
    a.daily_limit = daily_limit;
    a.scheduled_for = at;
    assert_int_equal(bode_store_accept(ts->r, &a, &res), BODE_OK);
    assert_int_equal(res.outcome, want);
    bode_accept_result_release(&res);
}

static enum bode_status status_of(struct test_service *ts, const char *id)
{
    struct bode_notification n;
    enum bode_status s;

    assert_int_equal(bode_store_notification_get(ts->r, ts->svc.id, id, &n),
                     BODE_OK);
    s = n.status;
    bode_notification_release(&n);
    return s;
}

static size_t promote(struct test_service *ts, int64_t now, long max)
{
    size_t moved = 99;

    assert_int_equal(
        bode_queue_promote_scheduled(ts->r, ts->svc.id, now, max, &moved),
        BODE_OK);
    return moved;
}

static void test_notification_cancel_before_due(void **state)
{
    struct test_service *ts = *state;
    int64_t now = bode_now_us();
    char id[BODE_UUID_SIZE];
    char status[BODE_STATUS_SIZE];
    struct bode_notification n;

    accept_scheduled(ts, id, now, now + 10 * SECOND, 0, BODE_ACCEPT_STORED);
    assert_int_equal(bode_store_notification_get(ts->r, ts->svc.id, id, &n),
                     BODE_OK);
    assert_int_equal(n.scheduled_for, now + 10 * SECOND);
    assert_int_equal(n.status, BODE_STATUS_CREATED);
    bode_notification_release(&n);
    assert_int_equal(promote(ts, now, 100), 0);
    assert_int_equal(bode_store_notification_cancel(ts->r, ts->svc.id, id, 7,
                                                    now + SECOND, status),
                     BODE_OK);
    assert_int_equal(status_of(ts, id), BODE_STATUS_CANCELLED);
    /* Once cancelled, the promoter has nothing to queue. */
    assert_int_equal(promote(ts, now + 20 * SECOND, 100), 0);
    assert_int_equal(bode_store_notification_cancel(ts->r, ts->svc.id, id, 7,
                                                    now + SECOND, status),
                     BODE_ERR_CONFLICT);
    assert_string_equal(status, "cancelled");
    assert_int_equal(
        bode_store_notification_cancel(ts->r, ts->svc.id,
                                       "00000000-0000-4000-8000-000000000000",
                                       7, now, status),
        BODE_ERR_NOT_FOUND);
}

static void test_notification_promoted_then_cancel_refused(void **state)
{
    struct test_service *ts = *state;
    int64_t now = bode_now_us();
    char id[BODE_UUID_SIZE];
    char plain[BODE_UUID_SIZE];
    char status[BODE_STATUS_SIZE];

    accept_scheduled(ts, id, now, now + 5 * SECOND, 0, BODE_ACCEPT_STORED);
    accept_scheduled(ts, plain, now, 0, 0, BODE_ACCEPT_STORED);
    assert_int_equal(promote(ts, now + 4 * SECOND, 100), 0);
    assert_int_equal(promote(ts, now + 5 * SECOND, 100), 1);
    assert_int_equal(bode_store_notification_cancel(ts->r, ts->svc.id, id, 7,
                                                    now + 6 * SECOND, status),
                     BODE_ERR_CONFLICT);
    assert_string_equal(status, "created");
    assert_int_equal(status_of(ts, id), BODE_STATUS_CREATED);
    /* A notification that was never scheduled cannot be cancelled. */
    assert_int_equal(bode_store_notification_cancel(ts->r, ts->svc.id, plain, 7,
                                                    now, status),
                     BODE_ERR_CONFLICT);
}

static void test_scheduled_counts_daily_limit_at_accept(void **state)
{
    struct test_service *ts = *state;
    int64_t now = bode_now_us();
    char id[BODE_UUID_SIZE];

    accept_scheduled(ts, id, now, now + 3600 * SECOND, 2, BODE_ACCEPT_STORED);
    accept_scheduled(ts, id, now, now + 3600 * SECOND, 2, BODE_ACCEPT_STORED);
    accept_scheduled(ts, id, now, now + 3600 * SECOND, 2,
                     BODE_ACCEPT_DAILY_LIMITED);
}

static void new_job(struct test_service *ts, struct bode_job_new *j, char *jid,
                    size_t rows, int daily_limit, int64_t now, int64_t at)
{
    memset(j, 0, sizeof(*j));
    assert_int_equal(bode_rand_uuid(jid), BODE_OK);
    j->id = jid;
    j->service_id = ts->svc.id;
    j->name = "contacts.csv";
    j->template_id = "11111111-1111-1111-1111-111111111111";
    j->template_version = 1;
    j->channel = BODE_CHANNEL_EMAIL;
    j->key_type = BODE_KEY_LIVE;
    j->key_id = "k";
    j->key_name = "main";
    j->rows = rows;
    j->created_at = now;
    j->scheduled_for = at;
    j->retention_days = 7;
    j->daily_limit = daily_limit;
}

/* Writes rows [first, first + n) of job jid; returns the store's answer. */
static enum bode_err add_rows(struct test_service *ts, const char *jid,
                              size_t first, size_t n, char ids[][40])
{
    char common[512];
    char rows[4096];
    size_t used = 0;
    size_t i;

    snprintf(common, sizeof(common),
             "{\"service_id\":\"%s\",\"key_type\":\"live\",\"type\":\"email\","
             "\"lane\":\"bulk\",\"status\":\"created\",\"template_id\":"
             "\"11111111-1111-1111-1111-111111111111\",\"template_version\":"
             "\"1\",\"job_id\":\"%s\",\"created_at\":\"1\"}",
             ts->svc.id, jid);
    used += (size_t)snprintf(rows + used, sizeof(rows) - used, "[");
    for (i = 0; i < n; i++) {
        assert_int_equal(bode_rand_uuid(ids[first + i]), BODE_OK);
        used += (size_t)snprintf(
            rows + used, sizeof(rows) - used,
            "%s{\"id\":\"%s\",\"to\":\"p%zu@example.com\",\"body\":\"Hi\","
            "\"job_row_number\":\"%zu\"}",
            i ? "," : "", ids[first + i], first + i, first + i);
    }
    snprintf(rows + used, sizeof(rows) - used, "]");
    return bode_store_job_add_rows(ts->r, ts->svc.id, jid, first, common, rows,
                                   3600);
}

static void test_job_written_in_chunks_then_promoted(void **state)
{
    struct test_service *ts = *state;
    int64_t now = bode_now_us();
    struct bode_job_new j;
    struct bode_job job;
    enum bode_job_outcome outcome;
    char jid[BODE_UUID_SIZE];
    char ids[8][40];
    long remaining;
    long counts[BODE_STATUS__COUNT];
    long expired;

    new_job(ts, &j, jid, 3, 10, now, 0);
    assert_int_equal(bode_store_job_create(ts->r, &j, &outcome, &remaining),
                     BODE_OK);
    assert_int_equal(outcome, BODE_JOB_CREATED);
    assert_int_equal(bode_store_job_create(ts->r, &j, &outcome, &remaining),
                     BODE_ERR_CONFLICT);
    assert_int_equal(add_rows(ts, jid, 0, 2, ids), BODE_OK);
    /* The same chunk again (a lost reply, resent) is not written twice. */
    assert_int_equal(add_rows(ts, jid, 0, 2, ids + 4), BODE_ERR_CONFLICT);
    assert_int_equal(
        bode_store_job_commit(ts->r, ts->svc.id, jid, now, false, now),
        BODE_ERR_CONFLICT);
    assert_int_equal(add_rows(ts, jid, 2, 1, ids), BODE_OK);
    assert_int_equal(
        bode_store_job_commit(ts->r, ts->svc.id, jid, now, false, now),
        BODE_OK);
    assert_int_equal(bode_store_job_get(ts->r, ts->svc.id, jid, &job), BODE_OK);
    assert_string_equal(job.status, "pending");
    assert_string_equal(job.name, "contacts.csv");
    assert_int_equal(job.rows_inserted, 3);
    bode_job_release(&job);
    /* The promoter spreads a job over calls of at most max rows. */
    assert_int_equal(promote(ts, now, 2), 2);
    assert_int_equal(bode_store_job_get(ts->r, ts->svc.id, jid, &job), BODE_OK);
    assert_string_equal(job.status, "in progress");
    assert_int_equal(job.rows_queued, 2);
    assert_true(job.processing_started > 0);
    bode_job_release(&job);
    assert_int_equal(promote(ts, now, 2), 1);
    assert_int_equal(promote(ts, now, 2), 0);
    assert_int_equal(bode_store_job_get(ts->r, ts->svc.id, jid, &job), BODE_OK);
    assert_string_equal(job.status, "finished");
    assert_true(job.processing_finished > 0);
    bode_job_release(&job);
    assert_int_equal(
        bode_store_job_counts(ts->r, ts->svc.id, jid, 3, counts, &expired),
        BODE_OK);
    assert_int_equal(counts[BODE_STATUS_CREATED], 3);
    assert_int_equal(expired, 0);
    assert_int_equal(status_of(ts, ids[2]), BODE_STATUS_CREATED);
}

static void test_job_over_daily_limit_writes_nothing(void **state)
{
    struct test_service *ts = *state;
    int64_t now = bode_now_us();
    struct bode_job_new j;
    struct bode_job job;
    enum bode_job_outcome outcome;
    char jid[BODE_UUID_SIZE];
    long remaining;
    long used;

    new_job(ts, &j, jid, 4, 5, now, 0);
    assert_int_equal(bode_store_job_create(ts->r, &j, &outcome, &remaining),
                     BODE_OK);
    assert_int_equal(outcome, BODE_JOB_CREATED);
    assert_int_equal(bode_store_daily_used(ts->r, ts->svc.id,
                                           BODE_CHANNEL_EMAIL, now, &used),
                     BODE_OK);
    assert_int_equal(used, 4);
    new_job(ts, &j, jid, 2, 5, now, 0);
    assert_int_equal(bode_store_job_create(ts->r, &j, &outcome, &remaining),
                     BODE_OK);
    assert_int_equal(outcome, BODE_JOB_DAILY_LIMITED);
    assert_int_equal(remaining, 1);
    assert_int_equal(bode_store_job_get(ts->r, ts->svc.id, jid, &job),
                     BODE_ERR_NOT_FOUND);
    assert_int_equal(bode_store_daily_used(ts->r, ts->svc.id,
                                           BODE_CHANNEL_EMAIL, now, &used),
                     BODE_OK);
    assert_int_equal(used, 4);
}

static void test_job_interrupted_insert_never_sent(void **state)
{
    struct test_service *ts = *state;
    int64_t now = bode_now_us();
    struct bode_job_new j;
    struct bode_job job;
    enum bode_job_outcome outcome;
    char jid[BODE_UUID_SIZE];
    char ids[8][40];
    long remaining;

    new_job(ts, &j, jid, 3, 0, now, 0);
    assert_int_equal(bode_store_job_create(ts->r, &j, &outcome, &remaining),
                     BODE_OK);
    assert_int_equal(add_rows(ts, jid, 0, 2, ids), BODE_OK);
    /* The API died here: no commit. */
    assert_int_equal(promote(ts, now + 3600 * SECOND, 100), 0);
    assert_int_equal(bode_store_job_get(ts->r, ts->svc.id, jid, &job), BODE_OK);
    assert_string_equal(job.status, "pending");
    assert_int_equal(job.rows_inserted, 2);
    assert_int_equal(job.notification_count, 3);
    assert_int_equal(job.rows_queued, 0);
    bode_job_release(&job);
}

static void test_job_cancel_scheduled(void **state)
{
    struct test_service *ts = *state;
    int64_t now = bode_now_us();
    struct bode_job_new j;
    enum bode_job_outcome outcome;
    char jid[BODE_UUID_SIZE];
    char jid2[BODE_UUID_SIZE];
    char ids[8][40];
    char status[BODE_STATUS_SIZE];
    long remaining;

    new_job(ts, &j, jid, 1, 0, now, now + 60 * SECOND);
    assert_int_equal(bode_store_job_create(ts->r, &j, &outcome, &remaining),
                     BODE_OK);
    assert_int_equal(add_rows(ts, jid, 0, 1, ids), BODE_OK);
    assert_int_equal(bode_store_job_commit(ts->r, ts->svc.id, jid,
                                           now + 60 * SECOND, true, now),
                     BODE_OK);
    assert_int_equal(promote(ts, now, 100), 0);
    assert_int_equal(
        bode_store_job_cancel(ts->r, ts->svc.id, jid, now + SECOND, status),
        BODE_OK);
    assert_int_equal(promote(ts, now + 120 * SECOND, 100), 0);
    assert_int_equal(
        bode_store_job_cancel(ts->r, ts->svc.id, jid, now + SECOND, status),
        BODE_ERR_CONFLICT);
    assert_string_equal(status, "cancelled");
    /* A job already being sent cannot be cancelled. */
    new_job(ts, &j, jid2, 1, 0, now, now + SECOND);
    assert_int_equal(bode_store_job_create(ts->r, &j, &outcome, &remaining),
                     BODE_OK);
    assert_int_equal(add_rows(ts, jid2, 0, 1, ids), BODE_OK);
    assert_int_equal(
        bode_store_job_commit(ts->r, ts->svc.id, jid2, now + SECOND, true, now),
        BODE_OK);
    assert_int_equal(promote(ts, now + 2 * SECOND, 100), 1);
    assert_int_equal(
        bode_store_job_cancel(ts->r, ts->svc.id, jid2, now, status),
        BODE_ERR_CONFLICT);
    assert_string_equal(status, "finished");
    assert_int_equal(bode_store_job_cancel(
                         ts->r, ts->svc.id,
                         "00000000-0000-4000-8000-000000000000", now, status),
                     BODE_ERR_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_notification_cancel_before_due,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_notification_promoted_then_cancel_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_scheduled_counts_daily_limit_at_accept, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_job_written_in_chunks_then_promoted, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_job_over_daily_limit_writes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_job_interrupted_insert_never_sent,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_job_cancel_scheduled, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
