/* Tests for the JSON-lines logger: shape, escaping, redaction, caps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "bode/log.h"

/* Captures what the logger writes through a pipe. */
static int fds[2];
static char captured[16384];

static int setup(void **state)
{
    (void)state;
    if (pipe(fds) != 0)
        return -1;
    bode_log_set_fd(fds[1]);
    bode_log_set_level(BODE_LOG_DEBUG);
    bode_log_set_component("test");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    close(fds[0]);
    close(fds[1]);
    bode_log_set_fd(STDOUT_FILENO);
    return 0;
}

static json_t *read_line(void)
{
    ssize_t n = read(fds[0], captured, sizeof(captured) - 1);
    json_error_t err;
    json_t *j;

    assert_true(n > 0);
    captured[n] = '\0';
    assert_int_equal(captured[n - 1], '\n');
    assert_null(memchr(captured, '\n', (size_t)n - 1));
    j = json_loads(captured, 0, &err);
    if (!j)
        fail_msg("not JSON: %s (%s)", captured, err.text);
    return j;
}

static void test_bode_log_write_emits_one_json_object(void **state)
{
    json_t *j;

    (void)state;
    bode_log(BODE_LOG_INFO, "hello \"world\"\n", BODE_LOG_S("route", "/v2/x"),
             BODE_LOG_I("status", 201), BODE_LOG_S("nothing", NULL));
    j = read_line();
    assert_string_equal(json_string_value(json_object_get(j, "level")), "info");
    assert_string_equal(json_string_value(json_object_get(j, "component")),
                        "test");
    assert_string_equal(json_string_value(json_object_get(j, "msg")),
                        "hello \"world\"\n");
    assert_string_equal(json_string_value(json_object_get(j, "route")),
                        "/v2/x");
    assert_int_equal(json_integer_value(json_object_get(j, "status")), 201);
    assert_true(json_is_null(json_object_get(j, "nothing")));
    assert_int_equal(strlen(json_string_value(json_object_get(j, "ts"))),
                     strlen("2026-01-01T00:00:00.000Z"));
    json_decref(j);
}

static void test_bode_log_write_redacts_sensitive_keys(void **state)
{
    json_t *j;

    (void)state;
    bode_log(BODE_LOG_WARN, "auth", BODE_LOG_S("Authorization", "Bearer abc"),
             BODE_LOG_S("email_address", "someone@example.com"),
             BODE_LOG_S("personalisation", "{\"name\":\"Jo\"}"),
             BODE_LOG_I("secret", 1234), BODE_LOG_S("id", "n-1"));
    j = read_line();
    assert_null(strstr(captured, "abc"));
    assert_null(strstr(captured, "someone"));
    assert_null(strstr(captured, "Jo"));
    assert_null(strstr(captured, "1234"));
    assert_string_equal(json_string_value(json_object_get(j, "Authorization")),
                        "[redacted]");
    assert_string_equal(json_string_value(json_object_get(j, "id")), "n-1");
    json_decref(j);
    assert_true(bode_log_key_is_sensitive("PHONE_NUMBER"));
    assert_false(bode_log_key_is_sensitive("notification_id"));
}

static void test_bode_log_write_drops_fields_that_do_not_fit(void **state)
{
    char big[3000];
    json_t *j;

    (void)state;
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    /* Control characters escape to six bytes each: the second field cannot
     * fit and must be dropped whole, leaving valid JSON. */
    big[10] = '\x01';
    bode_log(BODE_LOG_ERROR, "big", BODE_LOG_S("a", big), BODE_LOG_S("b", big),
             BODE_LOG_S("c", "small"));
    j = read_line();
    assert_true(json_is_true(json_object_get(j, "truncated")));
    assert_non_null(json_object_get(j, "a"));
    assert_null(json_object_get(j, "b"));
    assert_true(strlen(captured) <= 4096);
    json_decref(j);
}

static void test_bode_log_write_cuts_utf8_on_a_boundary(void **state)
{
    char msg[700];
    size_t i;
    json_t *j;

    (void)state;
    /* 350 two-byte characters: the 512-byte cut must not split one. */
    for (i = 0; i + 2 < sizeof(msg); i += 2) {
        msg[i] = (char)0xc3;
        msg[i + 1] = (char)0xa9;
    }
    msg[i] = '\0';
    bode_log_msg(BODE_LOG_INFO, msg);
    j = read_line();
    assert_int_equal(strlen(json_string_value(json_object_get(j, "msg"))), 512);
    json_decref(j);
}

static void test_bode_log_write_respects_threshold(void **state)
{
    json_t *j;

    (void)state;
    bode_log_set_level(BODE_LOG_WARN);
    bode_log_msg(BODE_LOG_INFO, "hidden");
    bode_log_msg(BODE_LOG_ERROR, "shown");
    j = read_line();
    assert_string_equal(json_string_value(json_object_get(j, "msg")), "shown");
    json_decref(j);
    bode_log_set_level(BODE_LOG_DEBUG);
}

static void test_bode_log_level_parse_accepts_names(void **state)
{
    enum bode_log_level l;

    (void)state;
    assert_int_equal(bode_log_level_parse("DEBUG", &l), BODE_OK);
    assert_int_equal(l, BODE_LOG_DEBUG);
    assert_int_equal(bode_log_level_parse("warning", &l), BODE_OK);
    assert_int_equal(l, BODE_LOG_WARN);
    assert_int_equal(bode_log_level_parse("Error", &l), BODE_OK);
    assert_int_equal(l, BODE_LOG_ERROR);
    assert_int_equal(bode_log_level_parse("info", &l), BODE_OK);
    assert_int_equal(l, BODE_LOG_INFO);
    assert_int_equal(bode_log_level_parse("loud", &l), BODE_ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bode_log_write_emits_one_json_object),
        cmocka_unit_test(test_bode_log_write_redacts_sensitive_keys),
        cmocka_unit_test(test_bode_log_write_drops_fields_that_do_not_fit),
        cmocka_unit_test(test_bode_log_write_cuts_utf8_on_a_boundary),
        cmocka_unit_test(test_bode_log_write_respects_threshold),
        cmocka_unit_test(test_bode_log_level_parse_accepts_names),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
