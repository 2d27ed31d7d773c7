/* Tests for a callback endpoint's health against a real redis-server:
 * failures in a row pause it, parked callbacks wait, one probe moves per
 * interval, and success or a resume makes every parked callback due. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bode/queue.h"
#include "testservice.h"

struct fixture {
    struct test_service ts;
    char streams[4][BODE_QUEUE_KEY_SIZE];
    size_t n_streams;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (!f || test_service_start(&f->ts, "Callbacks"))
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

static void park(struct fixture *f, const char *nid)
{
    struct bode_queue_entry e;

    memset(&e, 0, sizeof(e));
    snprintf(e.notification_id, sizeof(e.notification_id), "%s", nid);
    snprintf(e.status, sizeof(e.status), "delivered");
    assert_int_equal(bode_queue_callback_retry(f->ts.r, &e, f->ts.svc.id, 2,
                                               BODE_QUEUE_CALLBACK_PARKED),
                     BODE_OK);
}

static size_t read_all(struct fixture *f, struct bode_queue_entry *out)
{
    size_t got = 0;

    assert_int_equal(
        bode_queue_callback_streams(f->ts.r, f->streams, 4, &f->n_streams),
        BODE_OK);
    assert_int_equal(bode_queue_read(f->ts.r, f->streams, f->n_streams, "t", 8,
                                     0, false, out, 8, NULL, &got),
                     BODE_OK);
    return got;
}

static void test_bode_queue_callback_health_pauses_after_failures(void **state)
{
    struct fixture *f = *state;
    struct bode_service svc;
    long failures = 0;
    bool paused = true;
    int i;

    for (i = 1; i <= 3; i++) {
        assert_int_equal(bode_queue_callback_health(
                             f->ts.r, f->ts.svc.id, BODE_CALLBACK_FAILED,
                             1000 + i, 3, &failures, &paused),
                         BODE_OK);
        assert_int_equal(failures, i);
        assert_int_equal(paused, i == 3);
    }
    assert_int_equal(
        bode_store_service_get(f->ts.r, f->ts.box, f->ts.svc.id, &svc),
        BODE_OK);
    assert_int_equal(svc.callback_paused_at, 1003);
    assert_int_equal(svc.callback_failures, 3);
    /* A service update keeps the endpoint's state. */
    assert_int_equal(bode_store_service_put(f->ts.r, f->ts.box, &svc), BODE_OK);
    assert_int_equal(bode_queue_callback_health(f->ts.r, f->ts.svc.id,
                                                BODE_CALLBACK_OK, 2000, 3,
                                                &failures, &paused),
                     BODE_OK);
    assert_int_equal(failures, 0);
    assert_false(paused);
    assert_int_equal(
        bode_store_service_get(f->ts.r, f->ts.box, f->ts.svc.id, &svc),
        BODE_OK);
    assert_int_equal(svc.callback_paused_at, 0);
    /* 0 never pauses. */
    for (i = 0; i < 5; i++)
        assert_int_equal(bode_queue_callback_health(f->ts.r, f->ts.svc.id,
                                                    BODE_CALLBACK_FAILED, 3000,
                                                    0, &failures, &paused),
                         BODE_OK);
    assert_false(paused);
}

static void test_bode_queue_callback_promote_probes_when_paused(void **state)
{
    struct fixture *f = *state;
    struct bode_queue_entry got[8];
    long long parked = 0;
    long long waiting = 0;
    long failures;
    bool paused;
    size_t moved = 0;
    int64_t t0 = 1000000;

    assert_int_equal(bode_queue_callback_health(f->ts.r, f->ts.svc.id,
                                                BODE_CALLBACK_PAUSE, t0, 0,
                                                &failures, &paused),
                     BODE_OK);
    assert_true(paused);
    park(f, "11111111-1111-4111-8111-111111111111");
    park(f, "22222222-2222-4222-8222-222222222222");
    assert_int_equal(
        bode_queue_callback_backlog(f->ts.r, f->ts.svc.id, &parked, &waiting),
        BODE_OK);
    assert_int_equal(parked, 2);
    assert_int_equal(waiting, 0);
    /* Before the interval: nothing moves, parked or not. */
    assert_int_equal(bode_queue_callback_promote(f->ts.r, f->ts.svc.id,
                                                 t0 + 500, 100, 1000, &moved),
                     BODE_OK);
    assert_int_equal(moved, 0);
    /* After it: exactly one, marked as a probe, its attempt kept. */
    assert_int_equal(bode_queue_callback_promote(f->ts.r, f->ts.svc.id,
                                                 t0 + 1000, 100, 1000, &moved),
                     BODE_OK);
    assert_int_equal(moved, 1);
    assert_int_equal(read_all(f, got), 1);
    assert_true(got[0].probe);
    assert_int_equal(got[0].attempt, 2);
    assert_int_equal(bode_queue_callback_promote(f->ts.r, f->ts.svc.id,
                                                 t0 + 1500, 100, 1000, &moved),
                     BODE_OK);
    assert_int_equal(moved, 0);
    /* Resumed: the other is due at once and not a probe. */
    assert_int_equal(bode_queue_callback_health(f->ts.r, f->ts.svc.id,
                                                BODE_CALLBACK_RESUME, t0 + 1600,
                                                0, &failures, &paused),
                     BODE_OK);
    assert_false(paused);
    assert_int_equal(bode_queue_callback_promote(f->ts.r, f->ts.svc.id,
                                                 t0 + 1700, 100, 1000, &moved),
                     BODE_OK);
    assert_int_equal(moved, 1);
    assert_int_equal(read_all(f, got), 1);
    assert_false(got[0].probe);
    assert_string_equal(got[0].notification_id,
                        "22222222-2222-4222-8222-222222222222");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_bode_queue_callback_health_pauses_after_failures, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_bode_queue_callback_promote_probes_when_paused, setup,
            teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
