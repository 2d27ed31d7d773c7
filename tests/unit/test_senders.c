/* Tests for a service's reply-to addresses and SMS senders in the store,
 * against a real redis-server: the default rules, the mirror into the
 * service and the isolation between services. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bode/rand.h"
#include "bode/senders.h"
#include "testservice.h"

static int setup(void **state)
{
    struct test_service *t = calloc(1, sizeof(*t));

    if (!t || test_service_start(t, "Senders"))
        return -1;
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    test_service_stop(*state);
    free(*state);
    return 0;
}

static void make(struct bode_sender *s, const char *value, int64_t at,
                 bool is_default)
{
    memset(s, 0, sizeof(*s));
    assert_int_equal(bode_rand_uuid(s->id), 0);
    snprintf(s->value, sizeof(s->value), "%s", value);
    s->created_at = at;
    s->is_default = is_default;
}

static void test_bode_store_sender_add_first_is_default(void **state)
{
    struct test_service *t = *state;
    struct bode_sender a, b, got[4];
    struct bode_service svc;
    size_t n = 0;

    make(&a, "a@example.org", 1, false);
    make(&b, "b@example.org", 2, false);
    assert_int_equal(
        bode_store_sender_add(t->r, BODE_SENDER_REPLY_TO, t->svc.id, &a),
        BODE_OK);
    assert_int_equal(
        bode_store_sender_add(t->r, BODE_SENDER_REPLY_TO, t->svc.id, &b),
        BODE_OK);
    assert_int_equal(bode_store_sender_list(t->r, BODE_SENDER_REPLY_TO,
                                            t->svc.id, got, 4, &n),
                     BODE_OK);
    assert_int_equal(n, 2);
    assert_string_equal(got[0].id, a.id);
    assert_true(got[0].is_default);
    assert_false(got[1].is_default);
    assert_int_equal(bode_store_service_get(t->r, t->box, t->svc.id, &svc),
                     BODE_OK);
    assert_string_equal(svc.reply_to_id, a.id);
    assert_string_equal(svc.reply_to, "a@example.org");
}

static void test_bode_store_sender_remove_default_rules(void **state)
{
    struct test_service *t = *state;
    struct bode_sender a, b, got;
    struct bode_service svc;

    make(&a, "FIRST", 1, false);
    make(&b, "SECOND", 2, true);
    assert_int_equal(
        bode_store_sender_add(t->r, BODE_SENDER_SMS, t->svc.id, &a), BODE_OK);
    assert_int_equal(
        bode_store_sender_add(t->r, BODE_SENDER_SMS, t->svc.id, &b), BODE_OK);
    assert_int_equal(bode_store_service_get(t->r, t->box, t->svc.id, &svc),
                     BODE_OK);
    assert_string_equal(svc.sms_sender, "SECOND");
    assert_string_equal(svc.sms_sender_id, b.id);
    assert_int_equal(
        bode_store_sender_remove(t->r, BODE_SENDER_SMS, t->svc.id, b.id),
        BODE_ERR_CONFLICT);
    assert_int_equal(
        bode_store_sender_set_default(t->r, BODE_SENDER_SMS, t->svc.id, a.id),
        BODE_OK);
    assert_int_equal(
        bode_store_sender_remove(t->r, BODE_SENDER_SMS, t->svc.id, b.id),
        BODE_OK);
    assert_int_equal(
        bode_store_sender_get(t->r, BODE_SENDER_SMS, t->svc.id, b.id, &got),
        BODE_ERR_NOT_FOUND);
    /* The last one may go; the service's own sender text stays. */
    assert_int_equal(
        bode_store_sender_remove(t->r, BODE_SENDER_SMS, t->svc.id, a.id),
        BODE_OK);
    assert_int_equal(bode_store_service_get(t->r, t->box, t->svc.id, &svc),
                     BODE_OK);
    assert_string_equal(svc.sms_sender_id, "");
    assert_string_equal(svc.sms_sender, "FIRST");
    assert_int_equal(
        bode_store_sender_remove(t->r, BODE_SENDER_SMS, t->svc.id, a.id),
        BODE_ERR_NOT_FOUND);
}

static void test_bode_store_sender_get_other_service(void **state)
{
    struct test_service *t = *state;
    struct bode_service other;
    struct bode_sender a, got;

    assert_int_equal(bode_service_defaults(&other, "Other"), BODE_OK);
    assert_int_equal(bode_store_service_put(t->r, t->box, &other), BODE_OK);
    make(&a, "x@example.org", 1, false);
    assert_int_equal(
        bode_store_sender_add(t->r, BODE_SENDER_REPLY_TO, other.id, &a),
        BODE_OK);
    assert_int_equal(bode_store_sender_get(t->r, BODE_SENDER_REPLY_TO,
                                           t->svc.id, a.id, &got),
                     BODE_ERR_NOT_FOUND);
    assert_int_equal(
        bode_store_sender_get(t->r, BODE_SENDER_REPLY_TO, other.id, a.id, &got),
        BODE_OK);
    assert_string_equal(got.value, "x@example.org");
    assert_true(got.is_default);
    /* Reply-to and SMS lists are separate. */
    assert_int_equal(
        bode_store_sender_get(t->r, BODE_SENDER_SMS, other.id, a.id, &got),
        BODE_ERR_NOT_FOUND);
    /* No service, nothing added. */
    make(&a, "y@example.org", 1, false);
    assert_int_equal(bode_store_sender_add(t->r, BODE_SENDER_REPLY_TO,
                                           "00000000-0000-4000-8000-"
                                           "000000000000",
                                           &a),
                     BODE_ERR_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_bode_store_sender_add_first_is_default, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_bode_store_sender_remove_default_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_bode_store_sender_get_other_service, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
