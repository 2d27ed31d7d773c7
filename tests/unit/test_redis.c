/* Tests for the Redis connection wrapper, against a real redis-server. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "bode/redis.h"
#include "testredis.h"

static void test_bode_redis_addr_parse_forms(void **state)
{
    struct bode_redis_addr a;

    (void)state;
    assert_int_equal(bode_redis_addr_parse("redis://127.0.0.1:6380/2", &a), 0);
    assert_string_equal(a.host, "127.0.0.1");
    assert_int_equal(a.port, 6380);
    assert_int_equal(a.db, 2);
    assert_int_equal(bode_redis_addr_parse("redis://redis", &a), 0);
    assert_string_equal(a.host, "redis");
    assert_int_equal(a.port, 6379);
    assert_int_equal(a.db, 0);
    assert_int_equal(bode_redis_addr_parse("redis://:s3cret@h:1/", &a), 0);
    assert_string_equal(a.password, "s3cret");
    assert_string_equal(a.user, "");
    assert_int_equal(bode_redis_addr_parse("redis://bode:pw@h", &a), 0);
    assert_string_equal(a.user, "bode");
    assert_string_equal(a.password, "pw");
    assert_int_equal(bode_redis_addr_parse("redis://[::1]:7000/3", &a), 0);
    assert_string_equal(a.host, "::1");
    assert_int_equal(a.port, 7000);
    assert_int_equal(a.db, 3);
    assert_int_equal(
        bode_redis_addr_parse("unix:///run/r.sock?db=4&password=x", &a), 0);
    assert_string_equal(a.path, "/run/r.sock");
    assert_int_equal(a.db, 4);
    assert_string_equal(a.password, "x");
}

static void test_bode_redis_addr_parse_rejects(void **state)
{
    static const char *const bad[] = {
        "",
        "http://x",
        "redis://",
        "redis://h:0",
        "redis://h:70000",
        "redis://h:12ab",
        "redis://h/x",
        "redis://[::1",
        "redis://[]:1",
        "redis://[::1]x",
        "unix://",
        "unix://relative",
        "unix:///s?db=x",
        "unix:///s?color=red",
        "redis://:6379",
    };
    struct bode_redis_addr a;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (bode_redis_addr_parse(bad[i], &a) != BODE_ERR_INVALID)
            fail_msg("accepted %s", bad[i]);
    assert_null(bode_redis_new("http://x", 100));
}

static void test_bode_redis_ping_real_server_and_reconnect(void **state)
{
    struct test_redis srv;
    struct bode_redis *r;
    char version[32];

    (void)state;
    assert_int_equal(test_redis_start(&srv), 0);
    r = bode_redis_new(srv.url, 1000);
    assert_non_null(r);
    assert_false(bode_redis_is_connected(r));
    assert_int_equal(bode_redis_ping(r), BODE_OK);
    assert_true(bode_redis_is_connected(r));
    assert_int_equal(bode_redis_server_version(r, version, sizeof(version)),
                     BODE_OK);
    assert_true(version[0] >= '6' && version[0] <= '9');

    /* Server gone: a clear error, no crash, no hang. */
    test_redis_stop(&srv, 1);
    assert_int_equal(bode_redis_ping(r), BODE_ERR_REDIS);
    assert_false(bode_redis_is_connected(r));
    assert_non_null(strstr(bode_redis_last_error(r), "redis"));

    bode_redis_free(r);
    bode_redis_free(NULL);
}

static void test_bode_redis_ping_recovers_after_restart(void **state)
{
    struct test_redis srv;
    struct bode_redis *r;
    char url[sizeof(srv.url)];

    (void)state;
    assert_int_equal(test_redis_start(&srv), 0);
    memcpy(url, srv.url, sizeof(url));
    r = bode_redis_new(url, 1000);
    assert_int_equal(bode_redis_ping(r), BODE_OK);
    test_redis_stop(&srv, 1);
    assert_int_equal(bode_redis_ping(r), BODE_ERR_REDIS);
    /* A new server on another socket: point a fresh handle at it to show
     * connect works again, then the old handle keeps failing cleanly. */
    assert_int_equal(test_redis_start(&srv), 0);
    bode_redis_free(r);
    r = bode_redis_new(srv.url, 1000);
    assert_int_equal(bode_redis_ping(r), BODE_OK);
    bode_redis_free(r);
    test_redis_stop(&srv, 0);
}

static void test_bode_redis_connect_bad_password_fails(void **state)
{
    struct test_redis srv;
    struct bode_redis *r;
    char url[400];

    (void)state;
    assert_int_equal(test_redis_start(&srv), 0);
    snprintf(url, sizeof(url), "%s?password=wrong", srv.url);
    r = bode_redis_new(url, 1000);
    assert_non_null(r);
    assert_int_equal(bode_redis_connect(r), BODE_ERR_REDIS);
    assert_null(strstr(bode_redis_last_error(r), "wrong"));
    bode_redis_free(r);
    snprintf(url, sizeof(url), "%s?db=99999", srv.url);
    r = bode_redis_new(url, 1000);
    assert_int_equal(bode_redis_connect(r), BODE_ERR_REDIS);
    bode_redis_free(r);
    test_redis_stop(&srv, 0);
}

static void test_bode_redis_for_thread_reuses_handle(void **state)
{
    struct bode_redis *a = bode_redis_for_thread("redis://127.0.0.1:1", 100);
    struct bode_redis *b = bode_redis_for_thread("redis://127.0.0.1:1", 100);

    (void)state;
    assert_non_null(a);
    assert_ptr_equal(a, b);
    /* Nothing listens on port 1: refused at once, not hung. */
    assert_int_equal(bode_redis_ping(a), BODE_ERR_REDIS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bode_redis_addr_parse_forms),
        cmocka_unit_test(test_bode_redis_addr_parse_rejects),
        cmocka_unit_test(test_bode_redis_ping_real_server_and_reconnect),
        cmocka_unit_test(test_bode_redis_ping_recovers_after_restart),
        cmocka_unit_test(test_bode_redis_connect_bad_password_fails),
        cmocka_unit_test(test_bode_redis_for_thread_reuses_handle),
    };

    /* As in bode's main: a dead Redis socket must give EPIPE, not kill. */
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
