/* Decimal formatting without snprintf (src/util/num.c) and the timestamps
 * built on it (bode_time_format): checked against snprintf itself. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "bode/model.h"
#include "bode/num.h"

static void check_ll(long long v)
{
    char got[24];
    char want[32];
    size_t n = bode_format_ll(v, got);

    snprintf(want, sizeof(want), "%lld", v);
    assert_string_equal(got, want);
    assert_int_equal(n, strlen(want));
}

static void test_format_ll(void **state)
{
    static const long long fixed[] = {
        0, 1, -1, 9, 10, 99, 100, -100, 1234567890123LL, LLONG_MAX, LLONG_MIN};
    unsigned long long x = 88172645463325252ULL;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        check_ll(fixed[i]);
    for (i = 0; i < 100000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        check_ll((long long)(x >> (i % 64)));
    }
}

static void test_format_padded(void **state)
{
    char out[32];

    (void)state;
    out[bode_format_padded(7, 2, out)] = '\0';
    assert_string_equal(out, "07");
    out[bode_format_padded(2026, 4, out)] = '\0';
    assert_string_equal(out, "2026");
    out[bode_format_padded(42, 6, out)] = '\0';
    assert_string_equal(out, "000042");
    out[bode_format_padded(123456, 2, out)] = '\0';
    assert_string_equal(out, "123456");
    out[bode_format_padded(0, 1, out)] = '\0';
    assert_string_equal(out, "0");
}

static void check_time(int64_t t)
{
    char got[BODE_TIME_SIZE];
    char want[96];
    time_t secs = (time_t)(t / 1000000);
    long micros = (long)(t % 1000000);
    struct tm tm;

    if (micros < 0) {
        micros += 1000000;
        secs -= 1;
    }
    assert_non_null(gmtime_r(&secs, &tm));
    snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, micros);
    want[BODE_TIME_SIZE - 1] = '\0';
    bode_time_format(t, got);
    assert_string_equal(got, want);
}

static void test_time_format_matches_snprintf(void **state)
{
    uint64_t t = 0;
    int i;

    (void)state;
    check_time(0);
    check_time(-1);
    check_time(1795910400000001LL);   /* 2026-11-29 */
    check_time(253402300799999999LL); /* 9999-12-31T23:59:59.999999Z */
    check_time(253402300800000000LL); /* year 10000: cut to 27 chars */
    for (i = 0; i < 20000; i++) {
        t = t * 6364136223846793005ULL + 1442695040888963407ULL;
        check_time((int64_t)((t >> 8) % 4102444800000000ULL));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_ll),
        cmocka_unit_test(test_format_padded),
        cmocka_unit_test(test_time_format_matches_snprintf),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
