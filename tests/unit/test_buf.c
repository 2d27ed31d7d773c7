/* Tests for bounded buffers, error names and allocation hooks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bode/alloc.h"
#include "bode/buf.h"
#include "bode/err.h"

static void test_bode_buf_add_grows_and_terminates(void **state)
{
    struct bode_buf b;
    int i;

    (void)state;
    bode_buf_init(&b, 10000);
    assert_string_equal(bode_buf_str(&b), "");
    for (i = 0; i < 1000; i++)
        assert_int_equal(bode_buf_adds(&b, "abc"), BODE_OK);
    assert_int_equal(b.len, 3000);
    assert_int_equal(strlen(bode_buf_str(&b)), 3000);
    assert_memory_equal(b.data + 2997, "abc", 4);
    bode_buf_release(&b);
    assert_null(b.data);
}

static void test_bode_buf_addv(void **state)
{
    struct bode_buf b;

    (void)state;
    bode_buf_init(&b, 10);
    assert_int_equal(bode_buf_addv(&b, "ab", "", "cd", NULL), BODE_OK);
    assert_string_equal(bode_buf_str(&b), "abcd");
    /* Stops at the first part past the cap; what came before stays. */
    assert_int_equal(bode_buf_addv(&b, "ef", "ghijk", "l", NULL),
                     BODE_ERR_TOO_BIG);
    assert_string_equal(bode_buf_str(&b), "abcdef");
    bode_buf_release(&b);
}

static void test_bode_buf_add_refuses_past_cap(void **state)
{
    struct bode_buf b;

    (void)state;
    bode_buf_init(&b, 5);
    assert_int_equal(bode_buf_adds(&b, "abcd"), BODE_OK);
    assert_int_equal(bode_buf_adds(&b, "ef"), BODE_ERR_TOO_BIG);
    assert_string_equal(bode_buf_str(&b), "abcd");
    assert_int_equal(bode_buf_addc(&b, 'e'), BODE_OK);
    assert_int_equal(bode_buf_addc(&b, 'f'), BODE_ERR_TOO_BIG);
    assert_string_equal(bode_buf_str(&b), "abcde");
    assert_int_equal(bode_buf_add(&b, "", 0), BODE_OK);
    assert_int_equal(bode_buf_add(&b, "x", SIZE_MAX), BODE_ERR_TOO_BIG);
    bode_buf_release(&b);
}

static void test_bode_buf_add_unbounded_cap(void **state)
{
    struct bode_buf b;
    int i;

    (void)state;
    bode_buf_init(&b, SIZE_MAX);
    for (i = 0; i < 100; i++)
        assert_int_equal(bode_buf_adds(&b, "0123456789"), BODE_OK);
    assert_int_equal(b.len, 1000);
    assert_true(b.alloc > b.len);
    bode_buf_release(&b);
}

static void test_bode_buf_addf_formats_and_caps(void **state)
{
    struct bode_buf b;

    (void)state;
    bode_buf_init(&b, 12);
    assert_int_equal(bode_buf_addf(&b, "%d-%s", 42, "x"), BODE_OK);
    assert_string_equal(bode_buf_str(&b), "42-x");
    assert_int_equal(bode_buf_addf(&b, "%s", "123456789"), BODE_ERR_TOO_BIG);
    assert_string_equal(bode_buf_str(&b), "42-x");
    assert_int_equal(bode_buf_addf(&b, "%s", "12345678"), BODE_OK);
    assert_int_equal(b.len, 12);
    bode_buf_release(&b);
}

static void test_bode_buf_take_hands_over(void **state)
{
    struct bode_buf b;
    size_t len = 99;
    char *s;

    (void)state;
    bode_buf_init(&b, 100);
    s = bode_buf_take(&b, &len);
    assert_non_null(s);
    assert_string_equal(s, "");
    assert_int_equal(len, 0);
    bode_free(s);
    assert_int_equal(bode_buf_add(&b, "a\0b", 3), BODE_OK);
    s = bode_buf_take(&b, &len);
    assert_int_equal(len, 3);
    assert_memory_equal(s, "a\0b", 4);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    bode_free(s);
    bode_buf_reset(&b);
    bode_buf_release(&b);
}

static void test_bode_buf_add_survives_every_allocation_failure(void **state)
{
    struct bode_buf b;
    long n;
    int i;
    enum bode_err err;

    (void)state;
    for (n = 0;; n++) {
        bode_buf_init(&b, 1 << 20);
        bode_alloc_fail_after(n);
        err = BODE_OK;
        for (i = 0; i < 200 && !err; i++)
            err = bode_buf_adds(&b, "0123456789");
        bode_alloc_fail_after(-1);
        if (!err) {
            assert_int_equal(b.len, 2000);
            bode_buf_release(&b);
            break;
        }
        assert_int_equal(err, BODE_ERR_NOMEM);
        /* The contents before the failure are intact. */
        assert_int_equal(b.len % 10, 0);
        bode_buf_release(&b);
    }
    assert_true(n > 2);
}

static void test_bode_alloc_fail_after_counts(void **state)
{
    void *a;
    void *b;

    (void)state;
    bode_alloc_fail_after(1);
    a = bode_malloc(8);
    b = bode_malloc(8);
    assert_non_null(a);
    assert_null(b);
    assert_null(bode_strdup("x"));
    assert_null(bode_calloc(1, 1));
    assert_null(bode_realloc(a, 16));
    assert_int_equal(bode_alloc_count(), 1);
    bode_alloc_fail_after(-1);
    b = bode_strndup("hello", 3);
    assert_string_equal(b, "hel");
    bode_free(a);
    bode_free(b);
    bode_free(NULL);
}

static void test_bode_err_str_names_every_code(void **state)
{
    int e;

    (void)state;
    for (e = 0; e < BODE_ERR__COUNT; e++)
        assert_string_not_equal(bode_err_str((enum bode_err)e),
                                "unknown error");
    assert_string_equal(bode_err_str(BODE_OK), "success");
    assert_string_equal(bode_err_str(BODE_ERR__COUNT), "unknown error");
    assert_string_equal(bode_err_str((enum bode_err) - 1), "unknown error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bode_buf_add_grows_and_terminates),
        cmocka_unit_test(test_bode_buf_add_refuses_past_cap),
        cmocka_unit_test(test_bode_buf_addv),
        cmocka_unit_test(test_bode_buf_add_unbounded_cap),
        cmocka_unit_test(test_bode_buf_addf_formats_and_caps),
        cmocka_unit_test(test_bode_buf_take_hands_over),
        cmocka_unit_test(test_bode_buf_add_survives_every_allocation_failure),
        cmocka_unit_test(test_bode_alloc_fail_after_counts),
        cmocka_unit_test(test_bode_err_str_names_every_code),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
