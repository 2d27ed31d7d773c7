/* Tests for inbound numbers and received texts in the store, against a
 * real redis-server: number normalising and ownership, sealing, duplicate
 * provider references, paging newest first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bode/alloc.h"
#include "bode/inbound.h"
#include "bode/rand.h"
#include "testservice.h"

static int setup(void **state)
{
    struct test_service *t = calloc(1, sizeof(*t));

    if (!t || test_service_start(t, "Inbound"))
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

static void test_bode_inbound_number_normalise_forms(void **state)
{
    static const struct {
        const char *in;
        const char *out;
    } ok[] = {
        {"+447700900111", "447700900111"},
        {"07700 900111", "447700900111"},
        {"0044 7700 900111", "447700900111"},
        {"(0)7700-900111", "447700900111"},
        {"15551234567", "15551234567"},
        {"60123", "60123"},
    };
    static const char *const bad[] = {"",
                                      "12",
                                      "+44a7700",
                                      "1234567890123456",
                                      "44+7700900111",
                                      "07700\n900111"};
    char out[BODE_INBOUND_NUMBER_SIZE];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        assert_true(bode_inbound_number_normalise(ok[i].in, out));
        assert_string_equal(out, ok[i].out);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(bode_inbound_number_normalise(bad[i], out));
}

static void test_bode_store_inbound_number_add_one_owner(void **state)
{
    struct test_service *t = *state;
    char list[4][BODE_INBOUND_NUMBER_SIZE];
    char owner[BODE_UUID_SIZE];
    const char *other = "00000000-0000-4000-8000-000000000001";
    size_t n = 0;

    assert_int_equal(
        bode_store_inbound_number_add(t->r, t->svc.id, "447700900111"),
        BODE_OK);
    assert_int_equal(
        bode_store_inbound_number_add(t->r, t->svc.id, "447700900111"),
        BODE_OK);
    assert_int_equal(bode_store_inbound_number_add(t->r, other, "447700900111"),
                     BODE_ERR_CONFLICT);
    assert_int_equal(
        bode_store_inbound_number_owner(t->r, "447700900111", owner), BODE_OK);
    assert_string_equal(owner, t->svc.id);
    assert_int_equal(
        bode_store_inbound_number_list(t->r, t->svc.id, list, 4, &n), BODE_OK);
    assert_int_equal(n, 1);
    assert_int_equal(
        bode_store_inbound_number_remove(t->r, other, "447700900111"),
        BODE_ERR_NOT_FOUND);
    assert_int_equal(
        bode_store_inbound_number_remove(t->r, t->svc.id, "447700900111"),
        BODE_OK);
    assert_int_equal(
        bode_store_inbound_number_owner(t->r, "447700900111", owner),
        BODE_ERR_NOT_FOUND);
    assert_int_equal(
        bode_store_inbound_number_list(t->r, t->svc.id, list, 4, &n), BODE_OK);
    assert_int_equal(n, 0);
}

static void put(struct test_service *t, const char *content, const char *ref,
                int64_t at, char *id_out, bool *dup)
{
    struct bode_received_text rt;

    memset(&rt, 0, sizeof(rt));
    assert_int_equal(bode_rand_uuid(rt.id), 0);
    snprintf(rt.service_id, sizeof(rt.service_id), "%s", t->svc.id);
    snprintf(rt.user_number, sizeof(rt.user_number), "447700900222");
    snprintf(rt.notify_number, sizeof(rt.notify_number), "447700900111");
    snprintf(rt.provider, sizeof(rt.provider), "http");
    snprintf(rt.reference, sizeof(rt.reference), "%s", ref);
    rt.created_at = at;
    rt.content = (char *)(uintptr_t)content;
    assert_int_equal(bode_store_received_put(t->r, t->box, &rt, 7, false, dup),
                     BODE_OK);
    memcpy(id_out, rt.id, BODE_UUID_SIZE);
}

static void test_bode_store_received_put_pages_newest_first(void **state)
{
    struct test_service *t = *state;
    struct bode_received_text *list = NULL;
    struct bode_received_text got;
    char ids[260][BODE_UUID_SIZE];
    char again[BODE_UUID_SIZE];
    char text[32];
    int64_t now = bode_now_us();
    bool dup = true;
    size_t n = 0;
    size_t i;

    for (i = 0; i < 260; i++) {
        snprintf(text, sizeof(text), "text %zu", i);
        put(t, text, "", now + (int64_t)i, ids[i], &dup);
        assert_false(dup);
    }
    assert_int_equal(
        bode_store_received_list(t->r, t->box, t->svc.id, NULL, 250, &list, &n),
        BODE_OK);
    assert_int_equal(n, 250);
    assert_string_equal(list[0].content, "text 259");
    assert_string_equal(list[249].content, "text 10");
    assert_string_equal(list[0].user_number, "447700900222");
    for (i = 0; i < n; i++)
        bode_received_text_release(&list[i]);
    bode_free(list);
    assert_int_equal(bode_store_received_list(t->r, t->box, t->svc.id, ids[10],
                                              250, &list, &n),
                     BODE_OK);
    assert_int_equal(n, 10);
    assert_string_equal(list[0].content, "text 9");
    for (i = 0; i < n; i++)
        bode_received_text_release(&list[i]);
    bode_free(list);
    /* The same provider reference twice: one text. */
    put(t, "dup", "ref-1", now + 1000, again, &dup);
    assert_false(dup);
    memcpy(ids[0], again, sizeof(again));
    put(t, "dup", "ref-1", now + 2000, again, &dup);
    assert_true(dup);
    assert_string_equal(again, ids[0]);
    assert_int_equal(
        bode_store_received_get(t->r, t->box, t->svc.id, again, &got), BODE_OK);
    assert_string_equal(got.content, "dup");
    bode_received_text_release(&got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bode_inbound_number_normalise_forms),
        cmocka_unit_test_setup_teardown(
            test_bode_store_inbound_number_add_one_owner, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_bode_store_received_put_pages_newest_first, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
