/* Tests for the queue against a real redis-server: streams and the group,
 * the claim guard, forward-only transitions, retries, take-over of dead
 * workers' entries and dead letters. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bode/queue.h"
#include "bode/rand.h"
#include "bode/store.h"
#include "testservice.h"

struct fixture {
    struct test_service ts;
    char streams[8][BODE_QUEUE_KEY_SIZE];
    size_t n_streams;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (!f || test_service_start(&f->ts, "Queue test"))
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
    assert_int_equal(test_service_accept_sms(&f->ts, id, "{}"), 0);
}

static void read_new(struct fixture *f, const char *consumer,
                     struct bode_queue_entry *out, size_t *got)
{
    assert_int_equal(bode_queue_streams(f->ts.r, BODE_LANE_NORMAL, f->streams,
                                        8, &f->n_streams),
                     BODE_OK);
    assert_int_equal(f->n_streams, 2); /* email and sms */
    assert_int_equal(bode_queue_read(f->ts.r, f->streams, f->n_streams,
                                     consumer, 10, 0, false, out, 10, NULL,
                                     got),
                     BODE_OK);
}

static enum bode_status status_of(struct fixture *f, const char *id)
{
    struct bode_notification n;
    enum bode_status s;

    assert_int_equal(bode_store_notification_get(f->ts.r, f->ts.svc.id, id, &n),
                     0);
    s = n.status;
    bode_notification_release(&n);
    return s;
}

/* Asserts that the TTL of the notification's history list is within 5 s
 * of want (want < 0: of the record's own TTL). */
static void assert_history_ttl(struct fixture *f, const char *id, long want)
{
    char cmd[1200];

    snprintf(cmd, sizeof(cmd),
             "h=$(redis-cli -s %s TTL 'bode:{s:%s}:n:%s:h'); "
             "r=$(redis-cli -s %s TTL 'bode:{s:%s}:n:%s'); w=%ld; "
             "[ $w -lt 0 ] && w=$r; "
             "[ $h -gt 0 ] && [ $((h - w)) -le 5 ] && [ $((w - h)) -le 5 ]",
             f->ts.srv.sock, f->ts.svc.id, id, f->ts.srv.sock, f->ts.svc.id, id,
             want);
    assert_int_equal(system(cmd), 0);
}

static void test_bode_queue_claim_guards_against_double_sending(void **state)
{
    struct fixture *f = *state;
    struct bode_queue_entry e[10];
    struct bode_notification rec;
    struct bode_transition t;
    char id[BODE_UUID_SIZE];
    char why[32];
    size_t got = 0;
    bool claimed = false;
    bool applied = false;
    int64_t now = bode_now_us();

    accept_sms(f, id);
    read_new(f, "w1", e, &got);
    assert_int_equal(got, 1);
    assert_string_equal(e[0].notification_id, id);
    assert_string_equal(e[0].service_id, f->ts.svc.id);

    assert_int_equal(bode_queue_claim(f->ts.r, &e[0], "w1", now, 30000000,
                                      &claimed, why, &rec),
                     BODE_OK);
    assert_true(claimed);
    assert_string_equal(rec.id, id);
    assert_int_equal(rec.attempts, 1);
    bode_notification_release(&rec);
    /* Another worker cannot take it while the lease runs. */
    assert_int_equal(bode_queue_claim(f->ts.r, &e[0], "w2", now + 1, 30000000,
                                      &claimed, why, &rec),
                     BODE_OK);
    assert_false(claimed);
    assert_string_equal(why, "leased");

    memset(&t, 0, sizeof(t));
    t.service_id = f->ts.svc.id;
    t.notification_id = id;
    t.entry = &e[0];
    t.worker = "w1";
    t.status = BODE_STATUS_SENDING;
    t.provider = "sandbox";
    t.provider_ref = "ref-1";
    t.retention_days = 7;
    t.now = now + 2;
    assert_int_equal(bode_queue_transition(f->ts.r, &t, &applied), BODE_OK);
    assert_true(applied);
    assert_int_equal(status_of(f, id), BODE_STATUS_SENDING);
    /* Not final: the history lives as long as the record. */
    assert_history_ttl(f, id, -1);
    /* Past "created": never claimed again, even after the lease. */
    assert_int_equal(bode_queue_claim(f->ts.r, &e[0], "w2", now + 60000000,
                                      30000000, &claimed, why, &rec),
                     BODE_OK);
    assert_false(claimed);
    assert_string_equal(why, "sending");

    /* Receipts: delivered sticks; a late "sending" does not undo it. */
    t.entry = NULL;
    t.status = BODE_STATUS_DELIVERED;
    t.provider_ref = NULL;
    assert_int_equal(bode_queue_transition(f->ts.r, &t, &applied), BODE_OK);
    assert_true(applied);
    /* Final: record and history both kept for the retention. */
    assert_history_ttl(f, id, 7L * 86400);
    assert_history_ttl(f, id, -1);
    t.status = BODE_STATUS_SENDING;
    t.provider_ref = "ref-1";
    assert_int_equal(bode_queue_transition(f->ts.r, &t, &applied), BODE_OK);
    assert_false(applied);
    t.status = BODE_STATUS_PERMANENT_FAILURE;
    assert_int_equal(bode_queue_transition(f->ts.r, &t, &applied), BODE_OK);
    assert_false(applied);
    assert_int_equal(status_of(f, id), BODE_STATUS_DELIVERED);

    {
        char sid[BODE_UUID_SIZE];
        char nid[BODE_UUID_SIZE];

        assert_int_equal(
            bode_queue_find_ref(f->ts.r, "sandbox", "ref-1", sid, nid),
            BODE_OK);
        assert_string_equal(nid, id);
        assert_string_equal(sid, f->ts.svc.id);
        assert_int_equal(
            bode_queue_find_ref(f->ts.r, "sandbox", "nope", sid, nid),
            BODE_ERR_NOT_FOUND);
    }
}

static void test_bode_queue_retry_promotes_back_onto_lane(void **state)
{
    struct fixture *f = *state;
    struct bode_queue_entry e[10];
    struct bode_notification rec;
    struct bode_transition t;
    char id[BODE_UUID_SIZE];
    size_t got = 0;
    size_t moved = 0;
    bool claimed = false;
    int64_t now = bode_now_us();

    accept_sms(f, id);
    read_new(f, "w1", e, &got);
    assert_int_equal(got, 1);
    assert_int_equal(bode_queue_claim(f->ts.r, &e[0], "w1", now, 30000000,
                                      &claimed, NULL, &rec),
                     BODE_OK);
    bode_notification_release(&rec);
    memset(&t, 0, sizeof(t));
    t.service_id = f->ts.svc.id;
    t.notification_id = id;
    t.entry = &e[0];
    t.worker = "w1";
    t.retry = true;
    t.retry_at = now + 1000000;
    t.now = now;
    assert_int_equal(bode_queue_transition(f->ts.r, &t, NULL), BODE_OK);
    assert_int_equal(status_of(f, id), BODE_STATUS_CREATED);
    /* Not due yet. */
    assert_int_equal(
        bode_queue_promote(f->ts.r, f->ts.svc.id, now, 100, &moved), 0);
    assert_int_equal(moved, 0);
    assert_int_equal(
        bode_queue_promote(f->ts.r, f->ts.svc.id, now + 2000000, 100, &moved),
        0);
    assert_int_equal(moved, 1);
    read_new(f, "w2", e, &got);
    assert_int_equal(got, 1);
    assert_string_equal(e[0].notification_id, id);
    /* The lease was released by the retry: another worker may claim. */
    assert_int_equal(bode_queue_claim(f->ts.r, &e[0], "w2", now + 3000000,
                                      30000000, &claimed, NULL, &rec),
                     BODE_OK);
    assert_true(claimed);
    assert_int_equal(rec.attempts, 2);
    bode_notification_release(&rec);
}

static void test_bode_queue_autoclaim_and_dead_letters(void **state)
{
    struct fixture *f = *state;
    struct bode_queue_entry e[10];
    long deliveries[10];
    char id[BODE_UUID_SIZE];
    size_t got = 0;
    size_t i;
    size_t k;
    struct bode_queue_entry *mine = NULL;
    char cmd[1200];

    accept_sms(f, id);
    read_new(f, "dead-worker", e, &got);
    assert_int_equal(got, 1);
    usleep(30000);
    /* Earlier tests left idle entries of their own; find ours. */
    for (i = 0; i < f->n_streams && !mine; i++) {
        assert_int_equal(bode_queue_autoclaim(f->ts.r, f->streams[i], "w3", 10,
                                              10, e, deliveries, 10, &got),
                         BODE_OK);
        for (k = 0; k < got && !mine; k++)
            if (strcmp(e[k].notification_id, id) == 0)
                mine = &e[k];
    }
    assert_non_null(mine);
    assert_int_equal(deliveries[mine - e], 2);
    assert_int_equal(
        bode_queue_dead(f->ts.r, mine, "too many", 7, false, bode_now_us()),
        BODE_OK);
    assert_int_equal(status_of(f, id), BODE_STATUS_TECHNICAL_FAILURE);
    snprintf(cmd, sizeof(cmd),
             "test \"$(redis-cli -s %s XLEN 'bode:{s:%s}:dead')\" = 1 && "
             "! redis-cli -s %s XPENDING '%s' workers - + 100 | grep -q '%s'",
             f->ts.srv.sock, f->ts.svc.id, f->ts.srv.sock, mine->stream,
             mine->entry_id);
    assert_int_equal(system(cmd), 0);
}

static void test_bode_queue_pending_read_returns_own_entries(void **state)
{
    struct fixture *f = *state;
    struct bode_queue_entry e[10];
    char id[BODE_UUID_SIZE];
    size_t got = 0;

    accept_sms(f, id);
    read_new(f, "restarting", e, &got);
    assert_int_equal(got, 1);
    /* After a restart, "0" gives back what this name had not acked. */
    assert_int_equal(bode_queue_read(f->ts.r, f->streams, f->n_streams,
                                     "restarting", 10, 0, true, e, 10, NULL,
                                     &got),
                     BODE_OK);
    assert_int_equal(got, 1);
    assert_string_equal(e[0].notification_id, id);
    assert_int_equal(bode_queue_ack(f->ts.r, &e[0]), BODE_OK);
    assert_int_equal(bode_queue_read(f->ts.r, f->streams, f->n_streams,
                                     "restarting", 10, 0, true, e, 10, NULL,
                                     &got),
                     BODE_OK);
    assert_int_equal(got, 0);
}

static void test_bode_queue_timeout_after_72_hours(void **state)
{
    struct fixture *f = *state;
    struct bode_transition t;
    char id[BODE_UUID_SIZE];
    int64_t now = bode_now_us();
    int64_t hour = 3600LL * 1000000;
    size_t n = 99;

    accept_sms(f, id);
    memset(&t, 0, sizeof(t));
    t.service_id = f->ts.svc.id;
    t.notification_id = id;
    t.worker = "w";
    t.status = BODE_STATUS_SENDING;
    t.provider = "sandbox";
    t.provider_ref = "slow-ref";
    t.retention_days = 7;
    t.now = now;
    assert_int_equal(bode_queue_transition(f->ts.r, &t, NULL), BODE_OK);
    /* Within 72 hours of creation nothing happens. */
    assert_int_equal(bode_queue_timeout(f->ts.r, f->ts.svc.id, now - 72 * hour,
                                        7, false, now, &n),
                     BODE_OK);
    assert_int_equal(n, 0);
    assert_int_equal(status_of(f, id), BODE_STATUS_SENDING);
    /* As if 73 hours had passed. */
    assert_int_equal(bode_queue_timeout(f->ts.r, f->ts.svc.id, now + hour, 7,
                                        false, now + 73 * hour, &n),
                     BODE_OK);
    assert_true(n >= 1);
    assert_int_equal(status_of(f, id), BODE_STATUS_TEMPORARY_FAILURE);
    /* Final now: never timed out twice. */
    assert_int_equal(bode_queue_timeout(f->ts.r, f->ts.svc.id, now + 2 * hour,
                                        7, false, now + 74 * hour, &n),
                     BODE_OK);
    assert_int_equal(n, 0);
}

static void test_bode_queue_transition_many_in_one_round_trip(void **state)
{
    struct fixture *f = *state;
    struct bode_transition t[3];
    char a[BODE_UUID_SIZE];
    char b[BODE_UUID_SIZE];
    bool applied[3] = {false, false, true};
    int64_t now = bode_now_us();

    accept_sms(f, a);
    accept_sms(f, b);
    memset(t, 0, sizeof(t));
    t[0].service_id = t[1].service_id = t[2].service_id = f->ts.svc.id;
    t[0].notification_id = a;
    t[0].status = BODE_STATUS_DELIVERED;
    t[1].notification_id = b;
    t[1].status = BODE_STATUS_SENDING;
    t[1].provider = "sandbox";
    t[1].provider_ref = "batch-ref";
    /* After a's delivery in the same batch, a "sending" is stale. */
    t[2].notification_id = a;
    t[2].status = BODE_STATUS_SENDING;
    t[2].provider = "sandbox";
    t[2].provider_ref = "late";
    t[0].now = t[1].now = t[2].now = now;
    t[0].retention_days = t[1].retention_days = t[2].retention_days = 7;
    assert_int_equal(bode_queue_transition_many(f->ts.r, t, 3, applied),
                     BODE_OK);
    assert_true(applied[0]);
    assert_true(applied[1]);
    assert_false(applied[2]);
    assert_int_equal(status_of(f, a), BODE_STATUS_DELIVERED);
    assert_int_equal(status_of(f, b), BODE_STATUS_SENDING);
    assert_int_equal(bode_queue_transition_many(f->ts.r, t, 0, NULL), BODE_OK);
}

static void test_bode_queue_claim_many_in_one_round_trip(void **state)
{
    struct fixture *f = *state;
    struct bode_queue_entry e[10];
    struct bode_claim out[10];
    char a[BODE_UUID_SIZE];
    char b[BODE_UUID_SIZE];
    size_t got = 0;
    size_t i;
    int64_t now = bode_now_us();

    read_new(f, "drain", e, &got); /* earlier tests' unread entries */
    accept_sms(f, a);
    accept_sms(f, b);
    read_new(f, "batch", e, &got);
    assert_int_equal(got, 2);
    /* The same entry twice in a batch: only the first claim wins. */
    e[2] = e[0];
    assert_int_equal(
        bode_queue_claim_many(f->ts.r, e, 3, "batch", now, 30000000, out),
        BODE_OK);
    assert_true(out[0].claimed);
    assert_true(out[1].claimed);
    assert_true(out[2].claimed); /* same owner may renew its own lease */
    assert_int_equal(out[0].rec.attempts, 1);
    assert_int_equal(out[2].rec.attempts, 2);
    assert_int_equal(bode_queue_claim_many(f->ts.r, e, 2, "other", now + 1,
                                           30000000, out + 3),
                     BODE_OK);
    assert_false(out[3].claimed);
    assert_string_equal(out[3].skip, "leased");
    for (i = 0; i < 5; i++)
        bode_notification_release(&out[i].rec);
    assert_int_equal(bode_queue_claim_many(f->ts.r, e, 0, "x", now, 1, out),
                     BODE_OK);
}

/* A read never leaves entries delivered to the consumer that it did not
 * return: those would wait out the visibility timeout. */
static void test_bode_queue_read_never_takes_more_than_max(void **state)
{
    struct fixture *f = *state;
    struct bode_queue_entry e[10];
    char id[BODE_UUID_SIZE];
    size_t got = 0;
    size_t total = 0;
    size_t cursor = 0;
    int i;

    for (i = 0; i < 6; i++)
        accept_sms(f, id);
    assert_int_equal(bode_queue_streams(f->ts.r, BODE_LANE_NORMAL, f->streams,
                                        8, &f->n_streams),
                     BODE_OK);
    assert_int_equal(bode_queue_read(f->ts.r, f->streams, f->n_streams, "m1",
                                     10, 0, false, e, 3, NULL, &got),
                     BODE_OK);
    /* count lowered to 3 / 2 streams = 1 each; the email stream is empty */
    assert_int_equal(got, 1);
    /* Everything delivered to m1 is exactly what it was given. */
    assert_int_equal(bode_queue_read(f->ts.r, f->streams, f->n_streams, "m1",
                                     10, 0, true, e, 10, NULL, &got),
                     BODE_OK);
    assert_int_equal(got, 1);
    /* More streams than room: one stream per call, each in turn, until the
     * rest (5, counting the sms read above) is read. */
    for (i = 0; i < 20 && total < 5; i++) {
        assert_int_equal(bode_queue_read(f->ts.r, f->streams, f->n_streams,
                                         "m2", 10, 0, false, e, 1, &cursor,
                                         &got),
                         BODE_OK);
        assert_true(got <= 1);
        total += got;
    }
    assert_int_equal(total, 5);
    assert_int_equal(bode_queue_read(f->ts.r, f->streams, f->n_streams, "m2",
                                     10, 0, true, e, 10, NULL, &got),
                     BODE_OK);
    assert_int_equal(got, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bode_queue_claim_guards_against_double_sending),
        cmocka_unit_test(test_bode_queue_retry_promotes_back_onto_lane),
        cmocka_unit_test(test_bode_queue_autoclaim_and_dead_letters),
        cmocka_unit_test(test_bode_queue_pending_read_returns_own_entries),
        cmocka_unit_test(test_bode_queue_timeout_after_72_hours),
        cmocka_unit_test(test_bode_queue_transition_many_in_one_round_trip),
        cmocka_unit_test(test_bode_queue_claim_many_in_one_round_trip),
        cmocka_unit_test(test_bode_queue_read_never_takes_more_than_max),
    };

    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, setup, teardown);
}
