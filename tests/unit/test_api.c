/* Tests for routing, response values and the status endpoints, without
 * HTTP: requests are built by hand as the http module would. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "bode/api.h"
#include "bode/rand.h"
#include "testredis.h"

/* Query parameters for a fake request: "k=v" strings, NULL-terminated. */
struct fake {
    const char *const *query;
};

static const char *fake_header(void *ctx, const char *name)
{
    (void)ctx;
    (void)name;
    return NULL;
}

static const char *fake_query(void *ctx, const char *name)
{
    const struct fake *f = ctx;
    size_t len = strlen(name);
    const char *const *p;

    for (p = f->query; p && *p; p++)
        if (strncmp(*p, name, len) == 0 && (*p)[len] == '=')
            return *p + len + 1;
    return NULL;
}

static json_t *call(const struct bode_config *cfg, enum bode_method m,
                    const char *path, const char *const *query,
                    struct bode_response *resp)
{
    struct bode_api_ctx ctx;
    struct fake f = {query};
    struct bode_request req;
    json_error_t err;
    json_t *j;

    memset(&ctx, 0, sizeof(ctx));
    ctx.cfg = cfg;
    memset(&req, 0, sizeof(req));
    req.method = m;
    req.path = path;
    req.request_id = "test";
    req.ctx = &f;
    req.header = fake_header;
    req.query = fake_query;
    bode_response_init(resp);
    bode_api_handle(&ctx, &req, resp);
    assert_non_null(resp->body);
    assert_string_equal(resp->content_type, "application/json");
    j = json_loadb(resp->body, resp->body_len, 0, &err);
    if (!j)
        fail_msg("not JSON: %s", resp->body);
    return j;
}

static const char *str(json_t *j, const char *key)
{
    return json_string_value(json_object_get(j, key));
}

static void test_bode_api_handle_unknown_route_is_notify_404(void **state)
{
    struct bode_config cfg;
    struct bode_response resp;
    json_t *j;

    (void)state;
    bode_config_defaults(&cfg);
    j = call(&cfg, BODE_METHOD_GET, "/v2/nothing-here", NULL, &resp);
    assert_int_equal(resp.status, 404);
    assert_string_equal(str(j, "result"), "error");
    assert_non_null(strstr(str(j, "message"), "not found"));
    json_decref(j);
    bode_response_release(&resp);
    /* Flask routes are strict about trailing slashes. */
    j = call(&cfg, BODE_METHOD_GET, "/_status/", NULL, &resp);
    assert_int_equal(resp.status, 404);
    json_decref(j);
    bode_response_release(&resp);
}

static void test_bode_api_handle_wrong_method_is_405_with_allow(void **state)
{
    struct bode_config cfg;
    struct bode_response resp;
    json_t *j;

    (void)state;
    bode_config_defaults(&cfg);
    j = call(&cfg, BODE_METHOD_DELETE, "/_status", NULL, &resp);
    assert_int_equal(resp.status, 405);
    assert_string_equal(str(j, "result"), "error");
    assert_int_equal(resp.n_headers, 1);
    assert_string_equal(resp.headers[0].name, "Allow");
    assert_string_equal(resp.headers[0].value, "GET, POST, HEAD");
    json_decref(j);
    bode_response_release(&resp);
}

static void test_bode_api_status_simple_skips_redis(void **state)
{
    static const char *const q[] = {"simple=1", NULL};
    struct bode_config cfg;
    struct bode_response resp;
    json_t *j;

    (void)state;
    bode_config_defaults(&cfg);
    /* Nothing listens here: simple must not touch Redis. */
    snprintf(cfg.redis_url, sizeof(cfg.redis_url), "redis://127.0.0.1:1");
    j = call(&cfg, BODE_METHOD_GET, "/_status", q, &resp);
    assert_int_equal(resp.status, 200);
    assert_string_equal(str(j, "status"), "ok");
    assert_int_equal(json_object_size(j), 1);
    json_decref(j);
    bode_response_release(&resp);

    j = call(&cfg, BODE_METHOD_GET, "/_status/live", NULL, &resp);
    assert_int_equal(resp.status, 200);
    json_decref(j);
    bode_response_release(&resp);

    /* The full check and readiness do need Redis, and say so. */
    j = call(&cfg, BODE_METHOD_POST, "/_status", NULL, &resp);
    assert_int_equal(resp.status, 503);
    assert_string_equal(str(j, "status"), "error");
    json_decref(j);
    bode_response_release(&resp);
    j = call(&cfg, BODE_METHOD_GET, "/_status/ready", NULL, &resp);
    assert_int_equal(resp.status, 503);
    json_decref(j);
    bode_response_release(&resp);
}

static void test_bode_api_status_reports_redis_version(void **state)
{
    struct test_redis srv;
    struct bode_config cfg;
    struct bode_response resp;
    json_t *j;

    (void)state;
    assert_int_equal(test_redis_start(&srv), 0);
    bode_config_defaults(&cfg);
    snprintf(cfg.redis_url, sizeof(cfg.redis_url), "%s", srv.url);
    j = call(&cfg, BODE_METHOD_GET, "/", NULL, &resp);
    assert_int_equal(resp.status, 200);
    assert_string_equal(str(j, "status"), "ok");
    assert_non_null(strstr(str(j, "db_version"), "redis "));
    assert_non_null(str(j, "git_commit"));
    assert_non_null(str(j, "build_time"));
    json_decref(j);
    bode_response_release(&resp);
    j = call(&cfg, BODE_METHOD_GET, "/_status/ready", NULL, &resp);
    assert_int_equal(resp.status, 200);
    json_decref(j);
    bode_response_release(&resp);
    test_redis_stop(&srv, 0);
}

static void test_bode_api_fail_shapes(void **state)
{
    struct bode_response resp;
    json_t *j;
    json_t *e;

    (void)state;
    bode_response_init(&resp);
    bode_api_fail(&resp, BODE_API_E_BODY_TOO_LARGE, NULL);
    assert_int_equal(resp.status, 413);
    j = json_loadb(resp.body, resp.body_len, 0, NULL);
    assert_int_equal(json_integer_value(json_object_get(j, "status_code")),
                     413);
    e = json_array_get(json_object_get(j, "errors"), 0);
    assert_string_equal(str(e, "error"), "RequestEntityTooLarge");
    assert_non_null(str(e, "message"));
    json_decref(j);

    bode_api_fail(&resp, BODE_API_E_INTERNAL, "custom text");
    j = json_loadb(resp.body, resp.body_len, 0, NULL);
    e = json_array_get(json_object_get(j, "errors"), 0);
    assert_string_equal(str(e, "message"), "custom text");
    assert_int_equal(resp.status, 500);
    json_decref(j);

    bode_api_fail(&resp, BODE_API_E__COUNT, NULL);
    assert_int_equal(resp.status, 500);
    bode_response_release(&resp);
}

static void test_bode_response_add_header_guards(void **state)
{
    struct bode_response resp;
    char big[300];
    int i;

    (void)state;
    bode_response_init(&resp);
    assert_int_equal(bode_response_add_header(&resp, "X-A", "a\r\nB: c"),
                     BODE_ERR_INVALID);
    assert_int_equal(bode_response_add_header(&resp, "X:A", "a"),
                     BODE_ERR_INVALID);
    memset(big, 'v', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(bode_response_add_header(&resp, "X-Big", big),
                     BODE_ERR_TOO_BIG);
    for (i = 0; i < BODE_RESPONSE_MAX_HEADERS; i++)
        assert_int_equal(bode_response_add_header(&resp, "X-N", "1"), BODE_OK);
    assert_int_equal(bode_response_add_header(&resp, "X-N", "1"),
                     BODE_ERR_TOO_BIG);
    bode_response_release(&resp);
}

static void test_bode_api_route_name_hides_ids(void **state)
{
    (void)state;
    assert_string_equal(bode_api_route_name(BODE_METHOD_GET, "/_status"),
                        "/_status");
    assert_string_equal(bode_api_route_name(BODE_METHOD_GET, "/secret/x"),
                        "unmatched");
}

static void test_bode_api_common_headers_match_notify(void **state)
{
    size_t i;
    int found = 0;

    (void)state;
    for (i = 0; bode_api_common_headers[i]; i += 2) {
        if (strcmp(bode_api_common_headers[i], "X-Content-Type-Options") == 0)
            found += strcmp(bode_api_common_headers[i + 1], "nosniff") == 0;
        if (strcmp(bode_api_common_headers[i], "Cache-Control") == 0)
            found += strstr(bode_api_common_headers[i + 1], "no-store") != NULL;
    }
    assert_int_equal(found, 2);
}

static void test_bode_rand_ids_are_well_formed(void **state)
{
    char uuid[37];
    char other[37];
    char hex[65];
    size_t i;

    (void)state;
    assert_int_equal(bode_rand_uuid(uuid), BODE_OK);
    assert_int_equal(bode_rand_uuid(other), BODE_OK);
    assert_int_equal(strlen(uuid), 36);
    assert_string_not_equal(uuid, other);
    assert_int_equal(uuid[14], '4');
    assert_true(strchr("89ab", uuid[19]) != NULL);
    for (i = 0; i < 36; i++)
        assert_true(i == 8 || i == 13 || i == 18 || i == 23
                        ? uuid[i] == '-'
                        : strchr("0123456789abcdef", uuid[i]) != NULL);
    assert_int_equal(bode_rand_hex(hex, 64), BODE_OK);
    assert_int_equal(strlen(hex), 64);
    assert_int_equal(strspn(hex, "0123456789abcdef"), 64);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bode_api_handle_unknown_route_is_notify_404),
        cmocka_unit_test(test_bode_api_handle_wrong_method_is_405_with_allow),
        cmocka_unit_test(test_bode_api_status_simple_skips_redis),
        cmocka_unit_test(test_bode_api_status_reports_redis_version),
        cmocka_unit_test(test_bode_api_fail_shapes),
        cmocka_unit_test(test_bode_response_add_header_guards),
        cmocka_unit_test(test_bode_api_route_name_hides_ids),
        cmocka_unit_test(test_bode_api_common_headers_match_notify),
        cmocka_unit_test(test_bode_rand_ids_are_well_formed),
    };

    /* As in bode's main: a dead Redis socket must give EPIPE, not kill. */
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
