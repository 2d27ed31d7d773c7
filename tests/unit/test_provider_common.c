/* Tests for what every provider shares: the registry, the error
 * classification table (reliability-notes section 3), Retry-After, the
 * settings helpers and the small codecs. */
#include <curl/curl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "bode/alloc.h"
#include "bode/provider.h"
#include "fakeserver.h"
#include "providers/provider_int.h"

static void test_bode_provider_find_all(void **state)
{
    static const char *const names[] = {"sandbox", "smtp",   "ses",
                                        "sns",     "twilio", "http"};
    const struct bode_provider_ops *ops;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        ops = bode_provider_find(names[i]);
        assert_non_null(ops);
        assert_string_equal(ops->name, names[i]);
        assert_non_null(ops->create);
        assert_non_null(ops->destroy);
        assert_non_null(ops->start);
        assert_non_null(ops->finish);
        assert_non_null(ops->release);
        assert_non_null(ops->settings);
        assert_non_null(ops->settings[0]);
        assert_true(ops->channels != 0);
    }
    assert_non_null(bode_provider_find("ses")->receipt);
    assert_non_null(bode_provider_find("twilio")->receipt);
    assert_non_null(bode_provider_find("http")->receipt);
    assert_null(bode_provider_find("smtp")->receipt);
    assert_null(bode_provider_find("sandbox")->receipt);
    assert_null(bode_provider_find("sns")->receipt);
    assert_null(bode_provider_find("nope"));
    assert_null(bode_provider_find(NULL));
    assert_null(bode_provider_ops(NULL));
}

static void test_prov_classify_http_table(void **state)
{
    static const struct {
        int curl;
        long status;
        bool ok;
        enum bode_outcome outcome;
    } cases[] = {
        {CURLE_OK, 200, true, 0},
        {CURLE_OK, 201, true, 0},
        {CURLE_OK, 204, true, 0},
        {CURLE_OK, 400, false, BODE_OUTCOME_PERMANENT},
        {CURLE_OK, 409, false, BODE_OUTCOME_PERMANENT},
        {CURLE_OK, 410, false, BODE_OUTCOME_PERMANENT},
        {CURLE_OK, 422, false, BODE_OUTCOME_PERMANENT},
        {CURLE_OK, 401, false, BODE_OUTCOME_TECHNICAL},
        {CURLE_OK, 403, false, BODE_OUTCOME_TECHNICAL},
        {CURLE_OK, 404, false, BODE_OUTCOME_TECHNICAL},
        {CURLE_OK, 413, false, BODE_OUTCOME_TECHNICAL},
        {CURLE_OK, 408, false, BODE_OUTCOME_TEMPORARY},
        {CURLE_OK, 425, false, BODE_OUTCOME_TEMPORARY},
        {CURLE_OK, 429, false, BODE_OUTCOME_TEMPORARY},
        {CURLE_OK, 500, false, BODE_OUTCOME_TEMPORARY},
        {CURLE_OK, 502, false, BODE_OUTCOME_TEMPORARY},
        {CURLE_OK, 503, false, BODE_OUTCOME_TEMPORARY},
        {CURLE_OK, 504, false, BODE_OUTCOME_TEMPORARY},
        {CURLE_OK, 301, false, BODE_OUTCOME_TECHNICAL},
        {CURLE_COULDNT_CONNECT, 0, false, BODE_OUTCOME_TEMPORARY},
        {CURLE_COULDNT_RESOLVE_HOST, 0, false, BODE_OUTCOME_TEMPORARY},
        {CURLE_OPERATION_TIMEDOUT, 0, false, BODE_OUTCOME_TEMPORARY},
        {CURLE_SSL_CONNECT_ERROR, 0, false, BODE_OUTCOME_TEMPORARY},
        {CURLE_PEER_FAILED_VERIFICATION, 0, false, BODE_OUTCOME_TEMPORARY},
        {CURLE_SEND_ERROR, 0, false, BODE_OUTCOME_TEMPORARY},
        {CURLE_RECV_ERROR, 0, false, BODE_OUTCOME_TEMPORARY},
        {CURLE_GOT_NOTHING, 0, false, BODE_OUTCOME_TEMPORARY},
        {CURLE_URL_MALFORMAT, 0, false, BODE_OUTCOME_TECHNICAL},
        {CURLE_UNSUPPORTED_PROTOCOL, 0, false, BODE_OUTCOME_TECHNICAL},
        /* A response over the worker's cap still has its status. */
        {CURLE_WRITE_ERROR, 200, true, 0},
        {CURLE_WRITE_ERROR, 503, false, BODE_OUTCOME_TEMPORARY},
    };
    struct bode_delivery d;
    struct prov_attempt *a;
    struct bode_provider_result r;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(&d, 0, sizeof(d));
        assert_int_equal(prov_attempt_new(&d, 100, &a), BODE_OK);
        a->retry_after_s = 9;
        memset(&r, 0, sizeof(r));
        assert_int_equal(
            prov_classify_http(&d, cases[i].curl, cases[i].status, &r),
            cases[i].ok);
        if (!cases[i].ok) {
            assert_int_equal(r.outcome, cases[i].outcome);
            assert_false(r.ambiguous); /* no handle: nothing was sent */
            assert_true(r.detail[0] != '\0');
            /* Retry-After only matters for what is tried again. */
            assert_int_equal(r.retry_after_s,
                             cases[i].outcome == BODE_OUTCOME_TEMPORARY &&
                                     cases[i].status
                                 ? 9
                                 : 0);
        }
        prov_release(NULL, &d);
    }
}

static void test_prov_retry_after_parse(void **state)
{
    time_t now = 1700000000; /* Tue, 14 Nov 2023 22:13:20 GMT */

    (void)state;
    assert_int_equal(prov_retry_after_parse("120", 3, now), 120);
    assert_int_equal(prov_retry_after_parse(" 7 ", 3, now), 7);
    assert_int_equal(prov_retry_after_parse("0", 1, now), 0);
    assert_int_equal(prov_retry_after_parse("-5", 2, now), 0);
    assert_int_equal(prov_retry_after_parse("1e3", 3, now), 0);
    assert_int_equal(prov_retry_after_parse("", 0, now), 0);
    assert_int_equal(prov_retry_after_parse("99999999999999999999", 20, now),
                     86400);
    assert_int_equal(
        prov_retry_after_parse("Tue, 14 Nov 2023 22:14:20 GMT", 29, now), 60);
    assert_int_equal(
        prov_retry_after_parse("Tue, 14 Nov 2023 22:00:00 GMT", 29, now), 0);
    assert_int_equal(
        prov_retry_after_parse("Tue, 21 Nov 2023 22:13:20 GMT", 29, now),
        86400);
    assert_int_equal(
        prov_retry_after_parse("Tue, 14 Xyz 2023 22:14:20 GMT", 29, now), 0);
    assert_int_equal(
        prov_retry_after_parse("Tuesday, 14-Nov-23 22:14:20 GMT", 31, now), 0);
}

static void test_prov_base64_round_trip(void **state)
{
    unsigned char raw[200];
    unsigned char back[200];
    struct bode_buf b;
    size_t n;
    size_t i;
    size_t len;

    (void)state;
    for (i = 0; i < sizeof(raw); i++)
        raw[i] = (unsigned char)(i * 37 + 11);
    bode_buf_init(&b, 4096);
    for (len = 0; len < sizeof(raw); len += 13) {
        bode_buf_reset(&b);
        assert_int_equal(prov_base64_add(&b, raw, len, true), BODE_OK);
        assert_int_equal(prov_base64_decode(b.data ? b.data : "", b.len, back,
                                            sizeof(back), &n),
                         BODE_OK);
        assert_int_equal(n, len);
        assert_memory_equal(back, raw, len);
    }
    bode_buf_reset(&b);
    assert_int_equal(prov_base64_add(&b, "foobar", 6, false), BODE_OK);
    assert_string_equal(bode_buf_str(&b), "Zm9vYmFy");
    bode_buf_reset(&b);
    assert_int_equal(prov_base64_add(&b, "fo", 2, false), BODE_OK);
    assert_string_equal(bode_buf_str(&b), "Zm8=");
    /* Wrapped output: 76 characters a line. */
    bode_buf_reset(&b);
    assert_int_equal(prov_base64_add(&b, raw, 120, true), BODE_OK);
    assert_int_equal(strchr(b.data, '\r') - b.data, 76);
    bode_buf_release(&b);
}

static void test_prov_base64_decode_refuses(void **state)
{
    static const char *const bad[] = {
        "Zm9", "Zm9v=", "Z===", "Zg==Zg==", "Zm9v!", "=Zm9"};
    unsigned char out[16];
    size_t n;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(
            prov_base64_decode(bad[i], strlen(bad[i]), out, sizeof(out), &n),
            BODE_ERR_INVALID);
    assert_int_equal(prov_base64_decode("Zm9vYmFy", 8, out, 5, &n),
                     BODE_ERR_TOO_BIG);
    assert_int_equal(prov_base64_decode("Zm9v\r\nYg==", 10, out, 16, &n),
                     BODE_OK);
    assert_int_equal(n, 4);
    assert_memory_equal(out, "foob", 4);
}

static void test_prov_form_parse(void **state)
{
    static const char body[] = "a=1&b=%2B44+7700&&c&d=%C3%A9&a=2";
    struct prov_form f;
    char many[1024] = "";
    size_t i;

    (void)state;
    assert_int_equal(prov_form_parse(body, strlen(body), &f), BODE_OK);
    assert_int_equal(f.n, 5);
    assert_string_equal(prov_form_get(&f, "a"), "1");
    assert_string_equal(prov_form_get(&f, "b"), "+44 7700");
    assert_string_equal(prov_form_get(&f, "c"), "");
    assert_string_equal(prov_form_get(&f, "d"), "\xc3\xa9");
    assert_null(prov_form_get(&f, "e"));
    prov_form_release(&f);
    assert_int_equal(prov_form_parse("a=%zz", 5, &f), BODE_ERR_INVALID);
    assert_int_equal(prov_form_parse("a=%2", 4, &f), BODE_ERR_INVALID);
    assert_int_equal(prov_form_parse("a=%00", 5, &f), BODE_ERR_INVALID);
    for (i = 0; i < PROV_FORM_MAX + 1; i++)
        memcpy(many + 4 * i, "x=1&", 5);
    assert_int_equal(prov_form_parse(many, strlen(many), &f), BODE_ERR_INVALID);
}

static void test_prov_form_add_encodes(void **state)
{
    struct bode_buf b;

    (void)state;
    bode_buf_init(&b, 1024);
    assert_int_equal(prov_form_add(&b, "To", "+447700900123"), BODE_OK);
    assert_int_equal(prov_form_add(&b, "Body", "a b&c=d\xc3\xa9~"), BODE_OK);
    assert_string_equal(bode_buf_str(&b),
                        "To=%2B447700900123&Body=a%20b%26c%3Dd%C3%A9~");
    bode_buf_release(&b);
}

static void test_prov_query_get(void **state)
{
    char v[16];

    (void)state;
    assert_int_equal(prov_query_get("https://x/r/ses?a=1&token=ab%21c#token=no",
                                    "token", v, sizeof(v)),
                     BODE_OK);
    assert_string_equal(v, "ab!c");
    assert_int_equal(
        prov_query_get("https://x/r/ses?tokens=1", "token", v, sizeof(v)),
        BODE_ERR_NOT_FOUND);
    assert_int_equal(prov_query_get("https://x/r/ses", "token", v, sizeof(v)),
                     BODE_ERR_NOT_FOUND);
    assert_int_equal(prov_query_get("https://x/?token=0123456789abcdefXYZ",
                                    "token", v, sizeof(v)),
                     BODE_ERR_TOO_BIG);
}

static void test_prov_url_is_plain(void **state)
{
    (void)state;
    assert_true(prov_url_is_plain("https://example.com/a?b=c"));
    assert_true(prov_url_is_plain("http://127.0.0.1:8080"));
    assert_false(prov_url_is_plain("ftp://example.com"));
    assert_false(prov_url_is_plain("https://"));
    assert_false(prov_url_is_plain("https:///path"));
    assert_false(prov_url_is_plain("https://a b"));
    assert_false(prov_url_is_plain("https://a/\r\nX: y"));
    assert_false(prov_url_is_plain("https://a/<b>"));
    assert_false(prov_url_is_plain(NULL));
}

static void test_prov_setting_helpers(void **state)
{
    const char *kv[] = {"A=", "B=12", "C=x", "D=sent", NULL};
    const char *const names[] = {"A", "B"};
    enum bode_outcome o;
    char why[100];
    long ms;

    (void)state;
    /* An empty value counts as unset. */
    assert_string_equal(prov_setting(fake_setting, (void *)kv, names, 2), "12");
    assert_int_equal(prov_setting_ms(fake_setting, (void *)kv, "B", 5, 1, 100,
                                     &ms, why, sizeof(why)),
                     BODE_OK);
    assert_int_equal(ms, 12);
    assert_int_equal(prov_setting_ms(fake_setting, (void *)kv, "Z", 5, 1, 100,
                                     &ms, why, sizeof(why)),
                     BODE_OK);
    assert_int_equal(ms, 5);
    assert_int_equal(prov_setting_ms(fake_setting, (void *)kv, "C", 5, 1, 100,
                                     &ms, why, sizeof(why)),
                     BODE_ERR_INVALID);
    assert_non_null(strstr(why, "C:"));
    assert_int_equal(prov_setting_ms(fake_setting, (void *)kv, "B", 5, 50, 100,
                                     &ms, why, sizeof(why)),
                     BODE_ERR_INVALID);
    assert_int_equal(prov_setting_outcome(fake_setting, (void *)kv, "D",
                                          BODE_OUTCOME_SENDING, &o, why,
                                          sizeof(why)),
                     BODE_OK);
    assert_int_equal(o, BODE_OUTCOME_SENT);
    assert_int_equal(prov_setting_outcome(fake_setting, (void *)kv, "C",
                                          BODE_OUTCOME_SENDING, &o, why,
                                          sizeof(why)),
                     BODE_ERR_INVALID);
}

/* Every provider's create, with each allocation failing in turn, reports
 * BODE_ERR_NOMEM and leaks nothing (ASan and valgrind check the latter). */
static void test_create_alloc_failures(void **state)
{
    const char *sandbox[] = {"BODE_SANDBOX_OUTBOX=/tmp/bode-unused.jsonl",
                             NULL};
    const char *smtp[] = {"BODE_SMTP_URL=smtp://127.0.0.1:1",
                          "BODE_SMTP_USER=u",
                          "BODE_SMTP_PASSWORD=p",
                          "BODE_SMTP_CA_FILE=/x",
                          "BODE_SMTP_MAIL_FROM=b@c.d",
                          "BODE_SMTP_MESSAGE_ID_DOMAIN=c.d",
                          NULL};
    const char *ses[] = {"AWS_REGION=eu-west-2",
                         "AWS_ACCESS_KEY_ID=k",
                         "AWS_SECRET_ACCESS_KEY=s",
                         "AWS_SESSION_TOKEN=t",
                         "BODE_SES_CONFIGURATION_SET=cs",
                         "BODE_SES_RECEIPT_TOKEN=0123456789abcdef",
                         "BODE_SES_TOPIC_ARN=arn",
                         "BODE_SNS_CERT_FILE=tests/fixtures/providers/sns/"
                         "bundle-cert.pem",
                         NULL};
    const char *sns[] = {"AWS_REGION=eu-west-2", "AWS_ACCESS_KEY_ID=k",
                         "AWS_SECRET_ACCESS_KEY=s", "BODE_SNS_SENDER_ID=Bode",
                         NULL};
    const char *twilio[] = {"BODE_TWILIO_ACCOUNT_SID=AC1",
                            "BODE_TWILIO_AUTH_TOKEN=t",
                            "BODE_TWILIO_API_KEY=SK1",
                            "BODE_TWILIO_API_SECRET=s",
                            "BODE_TWILIO_FROM=+15005550006",
                            "BODE_TWILIO_STATUS_CALLBACK=https://b/r",
                            NULL};
    const char *http[] = {"BODE_HTTP_URL=http://127.0.0.1:1",
                          "BODE_HTTP_HEADER_1=A: b",
                          "BODE_HTTP_HEADER_2=C: d",
                          "BODE_HTTP_RECEIPT_SECRET=0123456789abcdef",
                          "BODE_HTTP_REFERENCE_FIELD=data.id",
                          NULL};
    const struct {
        const char *name;
        const char **kv;
    } cases[] = {{"sandbox", sandbox}, {"smtp", smtp},     {"ses", ses},
                 {"sns", sns},         {"twilio", twilio}, {"http", http}};
    const struct bode_provider_ops *ops;
    struct bode_provider *p;
    char why[256];
    enum bode_err err;
    long count;
    long i;
    size_t k;

    (void)state;
    for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        ops = bode_provider_find(cases[k].name);
        bode_alloc_fail_after(1000000);
        err = ops->create(fake_setting, cases[k].kv, &p, why, sizeof(why));
        count = bode_alloc_count();
        bode_alloc_fail_after(-1);
        assert_int_equal(err, BODE_OK);
        ops->destroy(p);
        for (i = 0; i < count; i++) {
            p = (struct bode_provider *)&p;
            bode_alloc_fail_after(i);
            err = ops->create(fake_setting, cases[k].kv, &p, why, sizeof(why));
            bode_alloc_fail_after(-1);
            assert_int_equal(err, BODE_ERR_NOMEM);
            assert_null(p);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bode_provider_find_all),
        cmocka_unit_test(test_prov_classify_http_table),
        cmocka_unit_test(test_prov_retry_after_parse),
        cmocka_unit_test(test_prov_base64_round_trip),
        cmocka_unit_test(test_prov_base64_decode_refuses),
        cmocka_unit_test(test_prov_form_parse),
        cmocka_unit_test(test_prov_form_add_encodes),
        cmocka_unit_test(test_prov_query_get),
        cmocka_unit_test(test_prov_url_is_plain),
        cmocka_unit_test(test_prov_setting_helpers),
        cmocka_unit_test(test_create_alloc_failures),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
