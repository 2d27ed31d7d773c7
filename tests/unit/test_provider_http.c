/* Tests for the generic HTTP provider against a fake JSON gateway
 * (tests/integration/fakes/webhook.py): the body template and its
 * escaping, extra headers, the reference, the classification table with
 * Retry-After, and shared-secret receipts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "bode/alloc.h"
#include "bode/provider.h"
#include "fakeserver.h"

#define ID "3f8b2a6c-1d4e-4f5a-9b7c-2e1d0c9b8a7f"
#define SECRET "receipt-secret-0123456789"
#define TRICKY                                                                 \
    "quote \" back \\ nl\n tab\t ctl\x01 ls\xe2\x80\xa8 \xc3\xa9 ${to}"

static struct fake_server gw;

static int setup(void **state)
{
    static const char *const args[] = {"--slow", "3", NULL};

    (void)state;
    bode_alloc_install_json();
    return fake_server_start(&gw, "webhook.py", args);
}

static int teardown(void **state)
{
    (void)state;
    fake_server_stop(&gw);
    return 0;
}

static struct bode_message email(void)
{
    struct bode_message m;

    memset(&m, 0, sizeof(m));
    m.id = ID;
    m.channel = BODE_CHANNEL_EMAIL;
    m.to = "someone@example.com";
    m.from_address = "notify@service.example";
    m.from_name = "Service";
    m.subject = "Subject";
    m.text = TRICKY;
    m.html = "<p>hi</p>";
    m.reference = "client-ref-1";
    return m;
}

static struct bode_provider *make(const char **kv)
{
    const struct bode_provider_ops *ops = bode_provider_find("http");
    struct bode_provider *p = NULL;
    char why[256] = "";

    if (ops->create(fake_setting, kv, &p, why, sizeof(why)) != BODE_OK)
        fprintf(stderr, "create: %s\n", why);
    return p;
}

static json_t *last(void)
{
    json_t *all = fake_server_requests(&gw);
    json_t *rec = json_array_get(all, json_array_size(all) - 1);

    json_incref(rec);
    json_decref(all);
    return rec;
}

static const char *jstr(json_t *o, const char *a, const char *b)
{
    return json_string_value(json_object_get(json_object_get(o, a), b));
}

static void url_setting(char *out, size_t size, const char *path)
{
    snprintf(out, size, "BODE_HTTP_URL=%s%s", gw.url, path);
}

static void test_http_default_template(void **state)
{
    char url[128];
    const char *kv[] = {url, NULL};
    struct bode_message m = email();
    struct bode_provider_result r;
    struct bode_provider *p;
    json_t *rec;

    (void)state;
    url_setting(url, sizeof(url), "/ok");
    p = make(kv);
    assert_non_null(p);
    assert_int_equal(fake_deliver(p, &m, 5000, &r), BODE_OK);
    assert_int_equal(r.outcome, BODE_OUTCOME_SENDING);
    assert_int_equal(strncmp(r.reference, "gw-", 3), 0);
    rec = last();
    assert_true(json_is_true(json_object_get(rec, "json_ok")));
    assert_string_equal(jstr(rec, "headers", "content-type"),
                        "application/json");
    assert_string_equal(jstr(rec, "json", "id"), ID);
    assert_string_equal(jstr(rec, "json", "channel"), "email");
    assert_string_equal(jstr(rec, "json", "to"), "someone@example.com");
    assert_string_equal(jstr(rec, "json", "from"), "notify@service.example");
    assert_string_equal(jstr(rec, "json", "subject"), "Subject");
    /* Escaped on the way in, so it reads back exactly, and a placeholder
     * inside a value is not expanded. */
    assert_string_equal(jstr(rec, "json", "text"), TRICKY);
    assert_string_equal(jstr(rec, "json", "html"), "<p>hi</p>");
    assert_string_equal(jstr(rec, "json", "reference"), "client-ref-1");
    assert_string_equal(jstr(rec, "json", "reply_to"), "");
    json_decref(rec);
    bode_provider_ops(p)->destroy(p);
}

static void test_http_custom_template_and_headers(void **state)
{
    char url[128];
    const char *kv[] = {
        url,
        "BODE_HTTP_BODY_TEMPLATE={\"msisdn\":\"${to}\",\"message\":"
        "\"${sms_text}\",\"ref\":\"${id}\",\"cost\":\"$5\"}",
        "BODE_HTTP_HEADER_1=Authorization: Bearer gateway-key",
        "BODE_HTTP_HEADER_3=X-Tenant: bode",
        "BODE_HTTP_REFERENCE_FIELD=data.ref",
        "BODE_HTTP_CHANNELS=sms",
        "BODE_HTTP_ACCEPTED_STATUS=sent",
        NULL};
    struct bode_message m;
    struct bode_provider_result r;
    struct bode_delivery d;
    struct bode_provider *p;
    json_t *rec;

    (void)state;
    url_setting(url, sizeof(url), "/ok");
    p = make(kv);
    assert_non_null(p);
    memset(&m, 0, sizeof(m));
    m.id = ID;
    m.channel = BODE_CHANNEL_SMS;
    m.to = "447700900123";
    m.sms_text = TRICKY;
    assert_int_equal(fake_deliver(p, &m, 5000, &r), BODE_OK);
    assert_int_equal(r.outcome, BODE_OUTCOME_SENT);
    assert_int_equal(strncmp(r.reference, "nested-", 7), 0);
    rec = last();
    assert_true(json_is_true(json_object_get(rec, "json_ok")));
    assert_string_equal(jstr(rec, "json", "msisdn"), "447700900123");
    assert_string_equal(jstr(rec, "json", "message"), TRICKY);
    assert_string_equal(jstr(rec, "json", "cost"), "$5");
    assert_string_equal(jstr(rec, "headers", "authorization"),
                        "Bearer gateway-key");
    assert_string_equal(jstr(rec, "headers", "x-tenant"), "bode");
    json_decref(rec);
    /* Email is not this instance's channel. */
    m = email();
    memset(&d, 0, sizeof(d));
    assert_int_equal(bode_provider_ops(p)->start(p, &m, &d, &r),
                     BODE_ERR_INVALID);
    assert_null(d.easy);
    bode_provider_ops(p)->destroy(p);
}

static void test_http_classifies_statuses(void **state)
{
    static const struct {
        const char *path;
        enum bode_outcome outcome;
        long retry_after;
    } cases[] = {
        {"/status/400", BODE_OUTCOME_PERMANENT, 0},
        {"/status/422", BODE_OUTCOME_PERMANENT, 0},
        {"/status/401", BODE_OUTCOME_TECHNICAL, 0},
        {"/status/403", BODE_OUTCOME_TECHNICAL, 0},
        {"/status/404", BODE_OUTCOME_TECHNICAL, 0},
        {"/status/408", BODE_OUTCOME_TEMPORARY, 0},
        {"/status/429", BODE_OUTCOME_TEMPORARY, 11},
        {"/status/500", BODE_OUTCOME_TEMPORARY, 0},
        {"/status/502", BODE_OUTCOME_TEMPORARY, 0},
        {"/status/503", BODE_OUTCOME_TEMPORARY, 11},
    };
    char url[128];
    const char *kv[] = {url, NULL};
    struct bode_message m = email();
    struct bode_provider_result r;
    struct bode_provider *p;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        url_setting(url, sizeof(url), cases[i].path);
        p = make(kv);
        assert_int_equal(fake_deliver(p, &m, 5000, &r), BODE_OK);
        assert_int_equal(r.outcome, cases[i].outcome);
        assert_int_equal(r.retry_after_s, cases[i].retry_after);
        assert_false(r.ambiguous);
        bode_provider_ops(p)->destroy(p);
    }
    /* Retry-After as an HTTP date, two minutes ahead. */
    url_setting(url, sizeof(url), "/date");
    p = make(kv);
    assert_int_equal(fake_deliver(p, &m, 5000, &r), BODE_OK);
    assert_int_equal(r.outcome, BODE_OUTCOME_TEMPORARY);
    assert_in_range(r.retry_after_s, 115, 121);
    bode_provider_ops(p)->destroy(p);
    /* Slow past the timeout once the body went out: ambiguous. */
    url_setting(url, sizeof(url), "/slow");
    p = make(kv);
    assert_int_equal(fake_deliver(p, &m, 800, &r), BODE_OK);
    assert_int_equal(r.outcome, BODE_OUTCOME_TEMPORARY);
    assert_true(r.ambiguous);
    bode_provider_ops(p)->destroy(p);
    /* 204 and no body: accepted, no reference. */
    url_setting(url, sizeof(url), "/empty");
    p = make(kv);
    assert_int_equal(fake_deliver(p, &m, 5000, &r), BODE_OK);
    assert_int_equal(r.outcome, BODE_OUTCOME_SENDING);
    assert_string_equal(r.reference, "");
    bode_provider_ops(p)->destroy(p);
}

static void test_http_create_refuses_bad_settings(void **state)
{
    const struct bode_provider_ops *ops = bode_provider_find("http");
    const char *no_url[] = {NULL};
    const char *unknown[] = {"BODE_HTTP_URL=http://x",
                             "BODE_HTTP_BODY_TEMPLATE={\"a\":\"${nope}\"}",
                             NULL};
    const char *unclosed[] = {"BODE_HTTP_URL=http://x",
                              "BODE_HTTP_BODY_TEMPLATE={\"a\":\"${to\"}", NULL};
    const char *header[] = {"BODE_HTTP_URL=http://x",
                            "BODE_HTTP_HEADER_2=No colon here", NULL};
    const char *header_crlf[] = {"BODE_HTTP_URL=http://x",
                                 "BODE_HTTP_HEADER_1=X-A: b\r\nX-C: d", NULL};
    const char *channels[] = {"BODE_HTTP_URL=http://x",
                              "BODE_HTTP_CHANNELS=fax", NULL};
    const char *secret[] = {"BODE_HTTP_URL=http://x",
                            "BODE_HTTP_RECEIPT_SECRET=short", NULL};
    const char *both[] = {"BODE_HTTP_URL=http://x",
                          "BODE_HTTP_BODY_TEMPLATE={}",
                          "BODE_HTTP_BODY_TEMPLATE_FILE=/etc/hostname", NULL};
    const char *missing_file[] = {"BODE_HTTP_URL=http://x",
                                  "BODE_HTTP_BODY_TEMPLATE_FILE=/nonexistent",
                                  NULL};
    const char **bad[] = {no_url,   unknown, unclosed, header,      header_crlf,
                          channels, secret,  both,     missing_file};
    struct bode_provider *p = NULL;
    char why[256];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why[0] = '\0';
        assert_int_equal(
            ops->create(fake_setting, bad[i], &p, why, sizeof(why)),
            BODE_ERR_INVALID);
        assert_null(p);
        assert_non_null(strstr(why, "BODE_HTTP_"));
    }
}

static void test_http_template_file(void **state)
{
    char dir[64];
    char path[128];
    char file_kv[160];
    char url[128];
    const char *kv[] = {url, file_kv, NULL};
    struct bode_message m = email();
    struct bode_provider_result r;
    struct bode_provider *p;
    FILE *f;
    json_t *rec;

    (void)state;
    assert_int_equal(fake_tmpdir(dir, sizeof(dir)), 0);
    snprintf(path, sizeof(path), "%s/body.json", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"email\": \"${to}\",\n \"subject\": \"${subject}\"}\n", f);
    fclose(f);
    snprintf(file_kv, sizeof(file_kv), "BODE_HTTP_BODY_TEMPLATE_FILE=%s", path);
    url_setting(url, sizeof(url), "/ok");
    p = make(kv);
    assert_non_null(p);
    assert_int_equal(fake_deliver(p, &m, 5000, &r), BODE_OK);
    rec = last();
    assert_string_equal(jstr(rec, "json", "email"), "someone@example.com");
    assert_string_equal(jstr(rec, "json", "subject"), "Subject");
    json_decref(rec);
    bode_provider_ops(p)->destroy(p);
    fake_rmdir(dir);
}

/* ---- receipts ---- */

static const char *given_secret;

static const char *header(void *ctx, const char *name)
{
    (void)ctx;
    return strcmp(name, "X-Bode-Receipt-Secret") == 0 ? given_secret : NULL;
}

static enum bode_err receive(struct bode_provider *p, const char *secret,
                             const char *body, struct bode_receipt *out,
                             size_t max, size_t *n)
{
    struct bode_receipt_request rq = {.url = "https://b/r/http",
                                      .body = body,
                                      .body_len = strlen(body),
                                      .header = header,
                                      .ctx = NULL};

    given_secret = secret;
    return bode_provider_ops(p)->receipt(p, &rq, out, max, n);
}

static void test_http_receipts(void **state)
{
    const char *kv[] = {"BODE_HTTP_URL=http://x",
                        "BODE_HTTP_RECEIPT_SECRET=" SECRET, NULL};
    const char *none[] = {"BODE_HTTP_URL=http://x", NULL};
    struct bode_provider *p = make(kv);
    struct bode_receipt out[2];
    size_t n;

    (void)state;
    assert_int_equal(
        receive(p, SECRET, "{\"reference\":\"gw-1\",\"status\":\"delivered\"}",
                out, 2, &n),
        BODE_OK);
    assert_int_equal(n, 1);
    assert_string_equal(out[0].reference, "gw-1");
    assert_int_equal(out[0].status, BODE_STATUS_DELIVERED);
    assert_int_equal(
        receive(p, SECRET,
                "[{\"id\":\"3F8B2A6C-1D4E-4F5A-9B7C-2E1D0C9B8A7F\","
                "\"status\":\"permanent-failure\",\"detail\":\"no such "
                "number\"},{\"reference\":\"gw-2\",\"status\":\"pending\"}]",
                out, 2, &n),
        BODE_OK);
    assert_int_equal(n, 2);
    assert_string_equal(out[0].notification_id, ID);
    assert_int_equal(out[0].status, BODE_STATUS_PERMANENT_FAILURE);
    assert_non_null(strstr(out[0].detail, "no such number"));
    assert_int_equal(out[1].status, BODE_STATUS_PENDING);
    /* Refusals. */
    assert_int_equal(receive(p, "wrong-secret-0123456789", "{}", out, 2, &n),
                     BODE_ERR_AUTH);
    assert_int_equal(receive(p, NULL, "{}", out, 2, &n), BODE_ERR_AUTH);
    assert_int_equal(receive(p, SECRET "x", "{}", out, 2, &n), BODE_ERR_AUTH);
    assert_int_equal(receive(p, SECRET,
                             "{\"reference\":\"r\",\"status\":\"created\"}",
                             out, 2, &n),
                     BODE_ERR_INVALID);
    assert_int_equal(receive(p, SECRET,
                             "{\"reference\":\"r\",\"status\":\"lost\"}", out,
                             2, &n),
                     BODE_ERR_INVALID);
    assert_int_equal(
        receive(p, SECRET, "{\"status\":\"delivered\"}", out, 2, &n),
        BODE_ERR_INVALID);
    assert_int_equal(receive(p, SECRET,
                             "{\"id\":\"not-a-uuid\",\"status\":\"sent\"}", out,
                             2, &n),
                     BODE_ERR_INVALID);
    assert_int_equal(receive(p, SECRET, "[1,2,3]", out, 2, &n),
                     BODE_ERR_TOO_BIG);
    assert_int_equal(receive(p, SECRET, "[1]", out, 2, &n), BODE_ERR_INVALID);
    assert_int_equal(receive(p, SECRET, "nope", out, 2, &n), BODE_ERR_INVALID);
    assert_int_equal(n, 0);
    bode_provider_ops(p)->destroy(p);
    p = make(none);
    assert_int_equal(receive(p, SECRET, "{}", out, 2, &n), BODE_ERR_AUTH);
    bode_provider_ops(p)->destroy(p);
}

static void test_http_receipt_alloc_failures(void **state)
{
    const char *kv[] = {"BODE_HTTP_URL=http://x",
                        "BODE_HTTP_RECEIPT_SECRET=" SECRET, NULL};
    static const char body[] =
        "[{\"reference\":\"gw-1\",\"status\":\"delivered\"},"
        "{\"id\":\"" ID "\",\"status\":\"sent\"}]";
    struct bode_provider *p = make(kv);
    struct bode_receipt out[2];
    enum bode_err err;
    size_t n;
    long count;
    long i;

    (void)state;
    bode_alloc_fail_after(1000000);
    err = receive(p, SECRET, body, out, 2, &n);
    count = bode_alloc_count();
    bode_alloc_fail_after(-1);
    assert_int_equal(err, BODE_OK);
    for (i = 0; i < count; i++) {
        bode_alloc_fail_after(i);
        err = receive(p, SECRET, body, out, 2, &n);
        bode_alloc_fail_after(-1);
        /* jansson reports some failed allocations as syntax errors. */
        assert_true(err == BODE_ERR_NOMEM || err == BODE_ERR_INVALID);
        assert_int_equal(n, 0);
    }
    bode_provider_ops(p)->destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_default_template),
        cmocka_unit_test(test_http_custom_template_and_headers),
        cmocka_unit_test(test_http_classifies_statuses),
        cmocka_unit_test(test_http_create_refuses_bad_settings),
        cmocka_unit_test(test_http_template_file),
        cmocka_unit_test(test_http_receipts),
        cmocka_unit_test(test_http_receipt_alloc_failures),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
