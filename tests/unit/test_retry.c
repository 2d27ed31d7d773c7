/* Tests for retry delays and circuit breakers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "bode/retry.h"

static void test_bode_retry_delay_us_doubles_within_jitter(void **state)
{
    int attempt;
    int64_t d;
    int64_t ceiling;

    (void)state;
    for (attempt = 1; attempt <= 10; attempt++) {
        ceiling = 300LL * 1000000 << (attempt - 1);
        if (ceiling > 3600LL * 1000000)
            ceiling = 3600LL * 1000000;
        d = bode_retry_delay_us(attempt, 300, 3600, 0, 0);
        assert_int_equal(d, ceiling / 2);
        d = bode_retry_delay_us(attempt, 300, 3600, 0, UINT64_MAX);
        assert_true(d >= ceiling / 2 && d <= ceiling);
    }
}

static void test_bode_retry_delay_us_honours_retry_after(void **state)
{
    (void)state;
    assert_int_equal(bode_retry_delay_us(1, 25, 300, 600, 0), 600LL * 1000000);
    /* A short Retry-After does not bring a retry forward. */
    assert_int_equal(bode_retry_delay_us(3, 25, 300, 1, 0), 50LL * 1000000);
}

static void test_bode_breaker_opens_probes_and_closes(void **state)
{
    struct bode_breaker b;
    int i;

    (void)state;
    bode_breaker_init(&b, 3, 1000);
    for (i = 0; i < 2; i++) {
        assert_true(bode_breaker_allow(&b, 0));
        bode_breaker_record(&b, false, 0);
    }
    assert_int_equal(b.state, BODE_BREAKER_CLOSED);
    assert_true(bode_breaker_allow(&b, 0));
    bode_breaker_record(&b, false, 10);
    assert_int_equal(b.state, BODE_BREAKER_OPEN);
    assert_false(bode_breaker_allow(&b, 500));
    /* After the cool-down exactly one probe goes through. */
    assert_true(bode_breaker_allow(&b, 1010));
    assert_false(bode_breaker_allow(&b, 1011));
    bode_breaker_record(&b, false, 1020);
    assert_int_equal(b.state, BODE_BREAKER_OPEN);
    assert_false(bode_breaker_allow(&b, 1500));
    assert_true(bode_breaker_allow(&b, 2100));
    bode_breaker_record(&b, true, 2110);
    assert_int_equal(b.state, BODE_BREAKER_CLOSED);
    assert_true(bode_breaker_allow(&b, 2111));
    assert_true(bode_breaker_allow(&b, 2112));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bode_retry_delay_us_doubles_within_jitter),
        cmocka_unit_test(test_bode_retry_delay_us_honours_retry_after),
        cmocka_unit_test(test_bode_breaker_opens_probes_and_closes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
