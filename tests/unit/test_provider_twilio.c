/* Tests for the Twilio provider: the Messages API against a fake Twilio
 * (tests/integration/fakes/twilio.py), error classification, and status
 * callbacks: X-Twilio-Signature (Twilio's published example included)
 * and the MessageStatus / ErrorCode mapping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "bode/alloc.h"
#include "bode/provider.h"
#include "bode/sig.h"
#include "fakeserver.h"
#include "providers/provider_int.h"

#define SID "AC0123456789abcdef0123456789abcdef"
#define AUTH "auth-token-0123456789"
#define CALLBACK "https://bode.example/notifications/receipts/twilio"

static struct fake_server tw;
static char base[96];

static int setup(void **state)
{
    static const char *const args[] = {"--account-sid",
                                       SID,
                                       "--auth-token",
                                       AUTH,
                                       "--api-key",
                                       "SK0123",
                                       "--api-secret",
                                       "api-secret",
                                       "--slow",
                                       "3",
                                       NULL};

    (void)state;
    bode_alloc_install_json();
    if (fake_server_start(&tw, "twilio.py", args) != 0)
        return -1;
    snprintf(base, sizeof(base), "BODE_TWILIO_URL=%s", tw.url);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fake_server_stop(&tw);
    return 0;
}

static struct bode_message sms(const char *to, const char *sender)
{
    struct bode_message m;

    memset(&m, 0, sizeof(m));
    m.id = "3f8b2a6c-1d4e-4f5a-9b7c-2e1d0c9b8a7f";
    m.channel = BODE_CHANNEL_SMS;
    m.to = to;
    m.sms_text = "Example: code 123456 & more = caf\xc3\xa9";
    m.sms_sender = sender;
    return m;
}

static struct bode_provider *make(const char **kv)
{
    const struct bode_provider_ops *ops = bode_provider_find("twilio");
    struct bode_provider *p = NULL;
    char why[256] = "";

    if (ops->create(fake_setting, kv, &p, why, sizeof(why)) != BODE_OK)
        fprintf(stderr, "create: %s\n", why);
    return p;
}

static json_t *last(void)
{
    json_t *all = fake_server_requests(&tw);
    json_t *rec = json_array_get(all, json_array_size(all) - 1);

    json_incref(rec);
    json_decref(all);
    return rec;
}

static const char *form(json_t *rec, const char *name)
{
    return json_string_value(
        json_object_get(json_object_get(rec, "form"), name));
}

static void test_twilio_sends_message(void **state)
{
    const char *kv[] = {"BODE_TWILIO_ACCOUNT_SID=" SID,
                        "BODE_TWILIO_AUTH_TOKEN=" AUTH,
                        "BODE_TWILIO_FROM=+15005550006",
                        "BODE_TWILIO_STATUS_CALLBACK=" CALLBACK,
                        base,
                        NULL};
    struct bode_message m = sms("447700900123", NULL);
    struct bode_provider_result r;
    struct bode_provider *p = make(kv);
    json_t *rec;

    (void)state;
    assert_non_null(p);
    assert_int_equal(fake_deliver(p, &m, 5000, &r), BODE_OK);
    assert_int_equal(r.outcome, BODE_OUTCOME_SENDING);
    assert_int_equal(strncmp(r.reference, "SM", 2), 0);
    assert_int_equal(strlen(r.reference), 34);
    rec = last();
    assert_true(json_is_true(json_object_get(rec, "auth_ok")));
    assert_string_equal(json_string_value(json_object_get(rec, "auth_user")),
                        SID);
    assert_string_equal(json_string_value(json_object_get(rec, "path")),
                        "/2010-04-01/Accounts/" SID "/Messages.json");
    assert_string_equal(form(rec, "To"), "+447700900123");
    assert_string_equal(form(rec, "From"), "+15005550006");
    assert_string_equal(form(rec, "Body"), m.sms_text);
    assert_string_equal(form(rec, "StatusCallback"), CALLBACK);
    assert_null(form(rec, "MessagingServiceSid"));
    assert_int_equal(json_array_size(json_object_get(rec, "form_duplicates")),
                     0);
    json_decref(rec);
    /* The message's own sender wins over the default. */
    m = sms("+447700900123", "Example");
    assert_int_equal(fake_deliver(p, &m, 5000, &r), BODE_OK);
    rec = last();
    assert_string_equal(form(rec, "From"), "Example");
    json_decref(rec);
    bode_provider_ops(p)->destroy(p);
}

static void test_twilio_messaging_service_and_api_key(void **state)
{
    const char *kv[] = {"BODE_TWILIO_ACCOUNT_SID=" SID,
                        "BODE_TWILIO_AUTH_TOKEN=" AUTH,
                        "BODE_TWILIO_API_KEY=SK0123",
                        "BODE_TWILIO_API_SECRET=api-secret",
                        "BODE_TWILIO_MESSAGING_SERVICE_SID=MG0123",
                        base,
                        NULL};
    struct bode_message m = sms("447700900123", NULL);
    struct bode_provider_result r;
    struct bode_provider *p = make(kv);
    json_t *rec;

    (void)state;
    assert_int_equal(fake_deliver(p, &m, 5000, &r), BODE_OK);
    /* No status callback configured, so no receipt will come. */
    assert_int_equal(r.outcome, BODE_OUTCOME_SENT);
    rec = last();
    assert_string_equal(json_string_value(json_object_get(rec, "auth_user")),
                        "SK0123");
    assert_true(json_is_true(json_object_get(rec, "auth_ok")));
    assert_string_equal(form(rec, "MessagingServiceSid"), "MG0123");
    assert_null(form(rec, "From"));
    json_decref(rec);
    bode_provider_ops(p)->destroy(p);
}

static void test_twilio_classifies_errors(void **state)
{
    static const struct {
        const char *to;
        const char *from;
        enum bode_outcome outcome;
        long retry_after;
        const char *code;
    } cases[] = {
        {"15005550001", NULL, BODE_OUTCOME_PERMANENT, 0, "21211"},
        {"15005550009", NULL, BODE_OUTCOME_PERMANENT, 0, "21614"},
        {"15005550004", NULL, BODE_OUTCOME_PERMANENT, 0, "21610"},
        {"447700900429", NULL, BODE_OUTCOME_TEMPORARY, 7, "20429"},
        {"447700900500", NULL, BODE_OUTCOME_TEMPORARY, 0, "HTTP 500"},
        {"447700900503", NULL, BODE_OUTCOME_TEMPORARY, 30, "HTTP 503"},
        {"447700900123", "BADSENDER", BODE_OUTCOME_TECHNICAL, 0, "21606"},
    };
    const char *kv[] = {"BODE_TWILIO_ACCOUNT_SID=" SID,
                        "BODE_TWILIO_AUTH_TOKEN=" AUTH,
                        "BODE_TWILIO_FROM=+15005550006", base, NULL};
    const char *wrong[] = {"BODE_TWILIO_ACCOUNT_SID=" SID,
                           "BODE_TWILIO_AUTH_TOKEN=wrong",
                           "BODE_TWILIO_FROM=+15005550006", base, NULL};
    struct bode_message m;
    struct bode_provider_result r;
    struct bode_provider *p = make(kv);
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        m = sms(cases[i].to, cases[i].from);
        assert_int_equal(fake_deliver(p, &m, 5000, &r), BODE_OK);
        assert_int_equal(r.outcome, cases[i].outcome);
        assert_int_equal(r.retry_after_s, cases[i].retry_after);
        assert_non_null(strstr(r.detail, cases[i].code));
    }
    m = sms("447700900999", NULL);
    assert_int_equal(fake_deliver(p, &m, 1000, &r), BODE_OK);
    assert_int_equal(r.outcome, BODE_OUTCOME_TEMPORARY);
    assert_true(r.ambiguous);
    bode_provider_ops(p)->destroy(p);
    p = make(wrong);
    m = sms("447700900123", NULL);
    assert_int_equal(fake_deliver(p, &m, 5000, &r), BODE_OK);
    assert_int_equal(r.outcome, BODE_OUTCOME_TECHNICAL);
    assert_non_null(strstr(r.detail, "HTTP 401 twilio 20003"));
    bode_provider_ops(p)->destroy(p);
}

static void test_twilio_refuses_bad_settings_and_messages(void **state)
{
    const struct bode_provider_ops *ops = bode_provider_find("twilio");
    const char *no_token[] = {"BODE_TWILIO_ACCOUNT_SID=" SID, NULL};
    const char *bad_sid[] = {"BODE_TWILIO_ACCOUNT_SID=AC/../x",
                             "BODE_TWILIO_AUTH_TOKEN=t", NULL};
    const char *bad_url[] = {"BODE_TWILIO_ACCOUNT_SID=" SID,
                             "BODE_TWILIO_AUTH_TOKEN=t",
                             "BODE_TWILIO_URL=ftp://x", NULL};
    const char *no_sender[] = {"BODE_TWILIO_ACCOUNT_SID=" SID,
                               "BODE_TWILIO_AUTH_TOKEN=t", NULL};
    struct bode_message m = sms("447700900123", NULL);
    struct bode_provider *p = NULL;
    struct bode_delivery d;
    struct bode_provider_result r;
    char why[200];

    (void)state;
    assert_int_equal(ops->create(fake_setting, no_token, &p, why, sizeof(why)),
                     BODE_ERR_INVALID);
    assert_int_equal(ops->create(fake_setting, bad_sid, &p, why, sizeof(why)),
                     BODE_ERR_INVALID);
    assert_int_equal(ops->create(fake_setting, bad_url, &p, why, sizeof(why)),
                     BODE_ERR_INVALID);
    p = make(no_sender);
    memset(&d, 0, sizeof(d));
    assert_int_equal(ops->start(p, &m, &d, &r), BODE_ERR_INVALID);
    assert_non_null(strstr(r.detail, "sender"));
    m = sms("447700900123", "Example");
    m.channel = BODE_CHANNEL_EMAIL;
    assert_int_equal(ops->start(p, &m, &d, &r), BODE_ERR_INVALID);
    m = sms("+44 7700", "Example");
    assert_int_equal(ops->start(p, &m, &d, &r), BODE_ERR_INVALID);
    assert_null(d.easy);
    ops->release(p, &d);
    ops->destroy(p);
}

/* ---- receipts ---- */

static const char *sig_header;

static const char *header(void *ctx, const char *name)
{
    (void)ctx;
    return strcmp(name, "X-Twilio-Signature") == 0 ? sig_header : NULL;
}

static enum bode_err receive(struct bode_provider *p, const char *url,
                             const char *body, const char *sig,
                             struct bode_receipt *out, size_t *n)
{
    struct bode_receipt_request rq = {.url = url,
                                      .body = body,
                                      .body_len = strlen(body),
                                      .header = header,
                                      .ctx = NULL};

    sig_header = sig;
    return bode_provider_ops(p)->receipt(p, &rq, out, 1, n);
}

/* Twilio's signature of url + sorted params, computed the long way. */
static void sign(const char *token, const char *url,
                 const char *const *sorted_pairs, char *out, size_t size)
{
    unsigned char mac[BODE_HMAC_MAX];
    struct bode_buf data;
    struct bode_buf b64;
    size_t n;

    bode_buf_init(&data, 1 << 16);
    bode_buf_init(&b64, 128);
    bode_buf_adds(&data, url);
    for (; *sorted_pairs; sorted_pairs++)
        bode_buf_adds(&data, *sorted_pairs);
    assert_int_equal(bode_hmac(BODE_DIGEST_SHA1, token, strlen(token),
                               data.data, data.len, mac, &n),
                     BODE_OK);
    prov_base64_add(&b64, mac, n, false);
    snprintf(out, size, "%s", bode_buf_str(&b64));
    bode_buf_release(&data);
    bode_buf_release(&b64);
}

static void test_twilio_receipt_published_vector(void **state)
{
    /* Twilio's worked example ("Webhooks security"): auth token 12345. */
    const char *kv[] = {"BODE_TWILIO_ACCOUNT_SID=" SID,
                        "BODE_TWILIO_AUTH_TOKEN=12345", NULL};
    static const char body[] = "To=%2B18005551212&CallSid=CA1234567890ABCDE"
                               "&Digits=1234&From=%2B12349013030"
                               "&Caller=%2B12349013030";
    static const char url[] = "https://mycompany.com/myapp.php?foo=1&bar=2";
    struct bode_provider *p = make(kv);
    struct bode_receipt out[1];
    size_t n;

    (void)state;
    /* The signature checks out; the voice call carries no MessageSid, so
     * the body is then refused as not a message receipt. */
    assert_int_equal(
        receive(p, url, body, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", out, &n),
        BODE_ERR_INVALID);
    assert_int_equal(
        receive(p, url, body, "0/KCTR6DLpKmkAf8muzZqo1nDgQ", out, &n),
        BODE_ERR_AUTH);
    assert_int_equal(receive(p, "https://mycompany.com/myapp.php?foo=1&bar=3",
                             body, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", out, &n),
                     BODE_ERR_AUTH);
    assert_int_equal(
        receive(p, url, "Digits=9", "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", out, &n),
        BODE_ERR_AUTH);
    assert_int_equal(receive(p, url, body, NULL, out, &n), BODE_ERR_AUTH);
    bode_provider_ops(p)->destroy(p);
}

static void test_twilio_receipt_statuses(void **state)
{
    static const struct {
        const char *status;
        const char *code;
        enum bode_status want;
    } cases[] = {
        {"accepted", NULL, BODE_STATUS_SENDING},
        {"queued", NULL, BODE_STATUS_SENDING},
        {"sending", NULL, BODE_STATUS_SENDING},
        {"sent", NULL, BODE_STATUS_PENDING},
        {"delivered", NULL, BODE_STATUS_DELIVERED},
        {"undelivered", "30003", BODE_STATUS_TEMPORARY_FAILURE},
        {"undelivered", "30005", BODE_STATUS_PERMANENT_FAILURE},
        {"undelivered", "30006", BODE_STATUS_PERMANENT_FAILURE},
        {"undelivered", "30007", BODE_STATUS_PERMANENT_FAILURE},
        {"undelivered", "12345", BODE_STATUS_TEMPORARY_FAILURE},
        {"undelivered", NULL, BODE_STATUS_TEMPORARY_FAILURE},
        {"failed", "30008", BODE_STATUS_TEMPORARY_FAILURE},
        {"failed", "30002", BODE_STATUS_TECHNICAL_FAILURE},
        {"failed", "21610", BODE_STATUS_PERMANENT_FAILURE},
        {"failed", NULL, BODE_STATUS_TECHNICAL_FAILURE},
        {"canceled", NULL, BODE_STATUS_TECHNICAL_FAILURE},
    };
    const char *kv[] = {"BODE_TWILIO_ACCOUNT_SID=" SID,
                        "BODE_TWILIO_AUTH_TOKEN=" AUTH,
                        "BODE_TWILIO_STATUS_CALLBACK=" CALLBACK "?x=1", NULL};
    struct bode_provider *p = make(kv);
    struct bode_receipt out[1];
    char body[512];
    char pair_code[32];
    char pair_status[32];
    char sig[64];
    const char *pairs[6];
    size_t n;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(body, sizeof(body),
                 "MessageSid=SM0123&MessageStatus=%s&AccountSid=" SID
                 "&To=%%2B447700900123%s%s",
                 cases[i].status, cases[i].code ? "&ErrorCode=" : "",
                 cases[i].code ? cases[i].code : "");
        snprintf(pair_code, sizeof(pair_code), "ErrorCode%s",
                 cases[i].code ? cases[i].code : "");
        snprintf(pair_status, sizeof(pair_status), "MessageStatus%s",
                 cases[i].status);
        n = 0;
        pairs[n++] = "AccountSid" SID;
        if (cases[i].code)
            pairs[n++] = pair_code;
        pairs[n++] = "MessageSidSM0123";
        pairs[n++] = pair_status;
        pairs[n++] = "To+447700900123";
        pairs[n] = NULL;
        /* Signed over the configured callback URL: the API's own view of
         * the URL (behind a proxy) may differ. */
        sign(AUTH, CALLBACK "?x=1", pairs, sig, sizeof(sig));
        assert_int_equal(
            receive(p, "http://10.0.0.5:8080/internal?x=1", body, sig, out, &n),
            BODE_OK);
        assert_int_equal(n, 1);
        assert_string_equal(out[0].reference, "SM0123");
        assert_int_equal(out[0].status, cases[i].want);
        assert_false(out[0].complaint);
    }
    bode_provider_ops(p)->destroy(p);
}

static void test_twilio_receipt_refuses_other_accounts(void **state)
{
    const char *kv[] = {"BODE_TWILIO_ACCOUNT_SID=" SID,
                        "BODE_TWILIO_AUTH_TOKEN=" AUTH, NULL};
    const char *other[] = {"AccountSidAC999", "MessageSidSM1",
                           "MessageStatusdelivered", NULL};
    const char *inbound[] = {"AccountSid" SID, "MessageSidSM1",
                             "MessageStatusreceived", NULL};
    struct bode_provider *p = make(kv);
    struct bode_receipt out[1];
    char sig[64];
    size_t n;

    (void)state;
    sign(AUTH, "https://b/r", other, sig, sizeof(sig));
    assert_int_equal(
        receive(p, "https://b/r",
                "MessageSid=SM1&MessageStatus=delivered&AccountSid=AC999", sig,
                out, &n),
        BODE_ERR_AUTH);
    /* Statuses of inbound messages give no receipt. */
    sign(AUTH, "https://b/r", inbound, sig, sizeof(sig));
    assert_int_equal(
        receive(p, "https://b/r",
                "MessageSid=SM1&MessageStatus=received&AccountSid=" SID, sig,
                out, &n),
        BODE_OK);
    assert_int_equal(n, 0);
    assert_int_equal(receive(p, "https://b/r", "a=%zz", sig, out, &n),
                     BODE_ERR_AUTH);
    bode_provider_ops(p)->destroy(p);
}

static void test_twilio_receipt_alloc_failures(void **state)
{
    const char *kv[] = {"BODE_TWILIO_ACCOUNT_SID=" SID,
                        "BODE_TWILIO_AUTH_TOKEN=" AUTH, NULL};
    const char *pairs[] = {"AccountSid" SID, "ErrorCode30005", "MessageSidSM9",
                           "MessageStatusundelivered", NULL};
    static const char body[] = "MessageSid=SM9&MessageStatus=undelivered"
                               "&ErrorCode=30005&AccountSid=" SID;
    struct bode_provider *p = make(kv);
    struct bode_receipt out[1];
    char sig[64];
    enum bode_err err;
    size_t n;
    long count;
    long i;

    (void)state;
    sign(AUTH, "https://b/r", pairs, sig, sizeof(sig));
    bode_alloc_fail_after(1000000);
    err = receive(p, "https://b/r", body, sig, out, &n);
    count = bode_alloc_count();
    bode_alloc_fail_after(-1);
    assert_int_equal(err, BODE_OK);
    assert_int_equal(out[0].status, BODE_STATUS_PERMANENT_FAILURE);
    for (i = 0; i < count; i++) {
        bode_alloc_fail_after(i);
        err = receive(p, "https://b/r", body, sig, out, &n);
        bode_alloc_fail_after(-1);
        assert_int_equal(err, BODE_ERR_NOMEM);
        assert_int_equal(n, 0);
    }
    bode_provider_ops(p)->destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_twilio_sends_message),
        cmocka_unit_test(test_twilio_messaging_service_and_api_key),
        cmocka_unit_test(test_twilio_classifies_errors),
        cmocka_unit_test(test_twilio_refuses_bad_settings_and_messages),
        cmocka_unit_test(test_twilio_receipt_published_vector),
        cmocka_unit_test(test_twilio_receipt_statuses),
        cmocka_unit_test(test_twilio_receipt_refuses_other_accounts),
        cmocka_unit_test(test_twilio_receipt_alloc_failures),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
