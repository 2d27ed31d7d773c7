/* Tests for the SNS SMS provider: Publish over the Query API against a
 * fake SNS endpoint that checks SigV4 (with a session token) as AWS does,
 * and classification of SNS's XML errors. */
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

#define KEY "AKIDSNSTEST"
#define SECRET "sns/secret+key"
#define TOKEN "FwoGZXIvYXdzEBYaDSessionToken=="
#define REGION "us-east-1"

static struct fake_server aws;
static char endpoint[96];

static int setup(void **state)
{
    static const char *const args[] = {
        "--key-id",        KEY,   "--secret", SECRET, "--region", REGION,
        "--session-token", TOKEN, "--slow",   "3",    NULL};

    (void)state;
    bode_alloc_install_json();
    if (fake_server_start(&aws, "aws.py", args) != 0)
        return -1;
    snprintf(endpoint, sizeof(endpoint), "BODE_SNS_ENDPOINT=%s/", aws.url);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fake_server_stop(&aws);
    return 0;
}

static struct bode_message sms(const char *to, const char *sender)
{
    struct bode_message m;

    memset(&m, 0, sizeof(m));
    m.id = "3f8b2a6c-1d4e-4f5a-9b7c-2e1d0c9b8a7f";
    m.channel = BODE_CHANNEL_SMS;
    m.to = to;
    m.sms_text = "Example: your code is 123456 & it's caf\xc3\xa9";
    m.sms_sender = sender;
    return m;
}

static struct bode_provider *make(const char **kv)
{
    const struct bode_provider_ops *ops = bode_provider_find("sns");
    struct bode_provider *p = NULL;
    char why[256] = "";

    if (ops->create(fake_setting, kv, &p, why, sizeof(why)) != BODE_OK)
        fprintf(stderr, "create: %s\n", why);
    return p;
}

static json_t *last(void)
{
    json_t *all = fake_server_requests(&aws);
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

static void test_sns_publishes_signed_sms(void **state)
{
    const char *kv[] = {"BODE_SNS_REGION=" REGION,
                        "AWS_ACCESS_KEY_ID=" KEY,
                        "AWS_SECRET_ACCESS_KEY=" SECRET,
                        "AWS_SESSION_TOKEN=" TOKEN,
                        endpoint,
                        NULL};
    struct bode_message m = sms("447700900123", "Example");
    struct bode_provider_result r;
    struct bode_provider *p = make(kv);
    json_t *rec;
    const char *auth;

    (void)state;
    assert_non_null(p);
    assert_int_equal(fake_deliver(p, &m, 5000, &r), BODE_OK);
    /* SNS posts no receipts: "sent" is final. */
    assert_int_equal(r.outcome, BODE_OUTCOME_SENT);
    rec = last();
    if (!json_is_true(json_object_get(rec, "sigv4_ok")))
        fprintf(stderr, "sigv4: %s\n",
                json_string_value(json_object_get(rec, "sigv4_error")));
    assert_true(json_is_true(json_object_get(rec, "sigv4_ok")));
    assert_string_equal(r.reference,
                        json_string_value(json_object_get(rec, "message_id")));
    auth = json_string_value(
        json_object_get(json_object_get(rec, "headers"), "authorization"));
    assert_non_null(strstr(auth, "/" REGION "/sns/aws4_request, "));
    assert_non_null(
        strstr(json_string_value(json_object_get(rec, "signed_headers")),
               "x-amz-security-token"));
    assert_string_equal(form(rec, "Action"), "Publish");
    assert_string_equal(form(rec, "Version"), "2010-03-31");
    assert_string_equal(form(rec, "PhoneNumber"), "+447700900123");
    assert_string_equal(form(rec, "Message"), m.sms_text);
    assert_string_equal(form(rec, "MessageAttributes.entry.1.Name"),
                        "AWS.SNS.SMS.SMSType");
    assert_string_equal(
        form(rec, "MessageAttributes.entry.1.Value.StringValue"),
        "Transactional");
    assert_string_equal(form(rec, "MessageAttributes.entry.2.Name"),
                        "AWS.SNS.SMS.SenderID");
    assert_string_equal(
        form(rec, "MessageAttributes.entry.2.Value.StringValue"), "Example");
    json_decref(rec);
    /* A numeric sender becomes the origination number. */
    m = sms("+447700900123", "447700900999");
    assert_int_equal(fake_deliver(p, &m, 5000, &r), BODE_OK);
    rec = last();
    assert_string_equal(form(rec, "MessageAttributes.entry.2.Name"),
                        "AWS.MM.SMS.OriginationNumber");
    assert_string_equal(
        form(rec, "MessageAttributes.entry.2.Value.StringValue"),
        "+447700900999");
    json_decref(rec);
    bode_provider_ops(p)->destroy(p);
}

static void test_sns_classifies_errors(void **state)
{
    static const struct {
        const char *to;
        enum bode_outcome outcome;
        const char *code;
    } cases[] = {
        {"15005550001", BODE_OUTCOME_PERMANENT, "InvalidParameter"},
        {"15005550429", BODE_OUTCOME_TEMPORARY, "Throttling"},
        {"15005550403", BODE_OUTCOME_TECHNICAL, "AuthorizationError"},
        {"15005550500", BODE_OUTCOME_TEMPORARY, "InternalError"},
    };
    const char *kv[] = {"AWS_DEFAULT_REGION=" REGION,
                        "BODE_AWS_ACCESS_KEY_ID=" KEY,
                        "BODE_AWS_SECRET_ACCESS_KEY=" SECRET,
                        "BODE_AWS_SESSION_TOKEN=" TOKEN,
                        "BODE_SNS_ACCEPTED_STATUS=sending",
                        endpoint,
                        NULL};
    const char *no_token[] = {
        "AWS_DEFAULT_REGION=" REGION, "BODE_AWS_ACCESS_KEY_ID=" KEY,
        "BODE_AWS_SECRET_ACCESS_KEY=" SECRET, endpoint, NULL};
    struct bode_message m;
    struct bode_provider_result r;
    struct bode_provider *p = make(kv);
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        m = sms(cases[i].to, NULL);
        assert_int_equal(fake_deliver(p, &m, 5000, &r), BODE_OK);
        assert_int_equal(r.outcome, cases[i].outcome);
        assert_non_null(strstr(r.detail, cases[i].code));
    }
    m = sms("15005550999", NULL);
    assert_int_equal(fake_deliver(p, &m, 1000, &r), BODE_OK);
    assert_int_equal(r.outcome, BODE_OUTCOME_TEMPORARY);
    assert_true(r.ambiguous);
    m = sms("447700900123", NULL);
    assert_int_equal(fake_deliver(p, &m, 5000, &r), BODE_OK);
    assert_int_equal(r.outcome, BODE_OUTCOME_SENDING);
    bode_provider_ops(p)->destroy(p);
    /* Without the session token the fake, like AWS, refuses: 403. */
    p = make(no_token);
    assert_int_equal(fake_deliver(p, &m, 5000, &r), BODE_OK);
    assert_int_equal(r.outcome, BODE_OUTCOME_TECHNICAL);
    assert_non_null(strstr(r.detail, "SignatureDoesNotMatch"));
    bode_provider_ops(p)->destroy(p);
}

static void test_sns_refuses_bad_input(void **state)
{
    const struct bode_provider_ops *ops = bode_provider_find("sns");
    const char *kv[] = {"AWS_REGION=" REGION, "AWS_ACCESS_KEY_ID=k",
                        "AWS_SECRET_ACCESS_KEY=s", NULL};
    const char *bad_type[] = {"AWS_REGION=" REGION, "AWS_ACCESS_KEY_ID=k",
                              "AWS_SECRET_ACCESS_KEY=s",
                              "BODE_SNS_SMS_TYPE=Urgent", NULL};
    const char *bad_sender[] = {"AWS_REGION=" REGION, "AWS_ACCESS_KEY_ID=k",
                                "AWS_SECRET_ACCESS_KEY=s",
                                "BODE_SNS_SENDER_ID=Much too long", NULL};
    struct bode_message m = sms("4477", NULL);
    struct bode_delivery d;
    struct bode_provider_result r;
    struct bode_provider *p = NULL;
    char why[200];

    (void)state;
    assert_int_equal(ops->create(fake_setting, bad_type, &p, why, sizeof(why)),
                     BODE_ERR_INVALID);
    assert_int_equal(
        ops->create(fake_setting, bad_sender, &p, why, sizeof(why)),
        BODE_ERR_INVALID);
    p = make(kv);
    memset(&d, 0, sizeof(d));
    assert_int_equal(ops->start(p, &m, &d, &r), BODE_ERR_INVALID);
    m = sms("44770090012a", NULL);
    assert_int_equal(ops->start(p, &m, &d, &r), BODE_ERR_INVALID);
    m = sms("447700900123", NULL);
    m.channel = BODE_CHANNEL_EMAIL;
    assert_int_equal(ops->start(p, &m, &d, &r), BODE_ERR_INVALID);
    assert_null(d.easy);
    ops->release(p, &d);
    ops->destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sns_publishes_signed_sms),
        cmocka_unit_test(test_sns_classifies_errors),
        cmocka_unit_test(test_sns_refuses_bad_input),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
