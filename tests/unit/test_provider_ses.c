/* Tests for the SES provider: SendEmail v2 against a fake SES endpoint
 * that checks the SigV4 signature as AWS does (tests/integration/fakes/
 * aws.py), error classification, and receipts: SES events in SNS
 * notifications, checked by shared token or by SNS message signature. */
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
#include "testsign.h"

#define FIX "tests/fixtures/providers/sns/"
#define ID "3f8b2a6c-1d4e-4f5a-9b7c-2e1d0c9b8a7f"
#define KEY "AKIDBODETEST"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYBODETEST"
#define REGION "eu-west-2"
#define TOKEN "receipt-token-0123456789abcdef"
#define TOPIC "arn:aws:sns:eu-west-2:123456789012:ses-events"
#define CERT_URL                                                               \
    "https://sns.eu-west-2.amazonaws.com/"                                     \
    "SimpleNotificationService-0123456789abcdef.pem"
#define SUBJECT "Caf\xc3\xa9 news"

static struct fake_server aws;
static char endpoint[96];

static int setup(void **state)
{
    static const char *const args[] = {"--key-id", KEY,        "--secret",
                                       SECRET,     "--region", REGION,
                                       "--slow",   "3",        NULL};

    (void)state;
    bode_alloc_install_json();
    if (fake_server_start(&aws, "aws.py", args) != 0)
        return -1;
    snprintf(endpoint, sizeof(endpoint), "BODE_SES_ENDPOINT=%s", aws.url);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fake_server_stop(&aws);
    return 0;
}

static struct bode_message email(const char *to)
{
    struct bode_message m;

    memset(&m, 0, sizeof(m));
    m.id = ID;
    m.channel = BODE_CHANNEL_EMAIL;
    m.to = to;
    m.from_address = "notify@service.example";
    m.from_name = "Service \xe2\x9c\x93";
    m.reply_to = "replies@service.example";
    m.subject = SUBJECT;
    m.text = "Hello\nthere\n";
    m.html = "<p>Hello</p>\n";
    m.one_click_unsubscribe_url = "https://service.example/u/1";
    return m;
}

static struct bode_provider *make(const char **kv)
{
    const struct bode_provider_ops *ops = bode_provider_find("ses");
    struct bode_provider *p = NULL;
    char why[256] = "";

    if (ops->create(fake_setting, kv, &p, why, sizeof(why)) != BODE_OK)
        fprintf(stderr, "create: %s\n", why);
    return p;
}

static void destroy(struct bode_provider *p)
{
    bode_provider_ops(p)->destroy(p);
}

static json_t *last(void)
{
    json_t *all = fake_server_requests(&aws);
    json_t *rec = json_array_get(all, json_array_size(all) - 1);

    json_incref(rec);
    json_decref(all);
    return rec;
}

static const char *jget(json_t *o, const char *path)
{
    char part[64];
    const char *dot;
    size_t n;

    while (o && *path) {
        dot = strchr(path, '.');
        n = dot ? (size_t)(dot - path) : strlen(path);
        snprintf(part, sizeof(part), "%.*s", (int)n, path);
        o = json_is_array(o) ? json_array_get(o, (size_t)(part[0] - '0'))
                             : json_object_get(o, part);
        path += n + (dot != NULL);
    }
    return json_string_value(o);
}

static void test_ses_create_refuses_bad_settings(void **state)
{
    const struct bode_provider_ops *ops = bode_provider_find("ses");
    const char *no_region[] = {"BODE_AWS_ACCESS_KEY_ID=" KEY,
                               "BODE_AWS_SECRET_ACCESS_KEY=" SECRET, NULL};
    const char *no_creds[] = {"BODE_SES_REGION=" REGION, NULL};
    const char *bad_region[] = {"BODE_SES_REGION=eu west",
                                "AWS_ACCESS_KEY_ID=k",
                                "AWS_SECRET_ACCESS_KEY=s", NULL};
    const char *bad_cert[] = {"AWS_REGION=" REGION, "AWS_ACCESS_KEY_ID=k",
                              "AWS_SECRET_ACCESS_KEY=s",
                              "BODE_SNS_CERT_FILE=" FIX "not-a-cert.pem", NULL};
    const char *bad_content[] = {"AWS_REGION=" REGION, "AWS_ACCESS_KEY_ID=k",
                                 "AWS_SECRET_ACCESS_KEY=s",
                                 "BODE_SES_CONTENT=fancy", NULL};
    const char *short_token[] = {"AWS_REGION=" REGION, "AWS_ACCESS_KEY_ID=k",
                                 "AWS_SECRET_ACCESS_KEY=s",
                                 "BODE_SES_RECEIPT_TOKEN=short", NULL};
    const char **bad[] = {no_region, no_creds,    bad_region,
                          bad_cert,  bad_content, short_token};
    const char *env_names[] = {"AWS_DEFAULT_REGION=" REGION,
                               "AWS_ACCESS_KEY_ID=k", "AWS_SECRET_ACCESS_KEY=s",
                               NULL};
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
        assert_true(why[0] != '\0');
        /* No secret ever appears in the explanation. */
        assert_null(strstr(why, SECRET));
    }
    /* The plain AWS_* names work too. */
    assert_int_equal(ops->create(fake_setting, env_names, &p, why, sizeof(why)),
                     BODE_OK);
    ops->destroy(p);
}

static void test_ses_sends_signed_raw_email(void **state)
{
    const char *kv[] = {"BODE_SES_REGION=" REGION,
                        "BODE_AWS_ACCESS_KEY_ID=" KEY,
                        "BODE_AWS_SECRET_ACCESS_KEY=" SECRET,
                        "BODE_SES_CONFIGURATION_SET=bode-events",
                        endpoint,
                        NULL};
    struct bode_message m = email("someone@example.com");
    struct bode_provider_result r;
    struct bode_provider *p = make(kv);
    json_t *rec;
    const char *auth;

    (void)state;
    assert_non_null(p);
    assert_int_equal(fake_deliver(p, &m, 5000, &r), BODE_OK);
    assert_int_equal(r.outcome, BODE_OUTCOME_SENDING);
    rec = last();
    assert_string_equal(jget(rec, "service"), "ses");
    assert_string_equal(jget(rec, "path"), "/v2/email/outbound-emails");
    /* The fake recomputed the signature with the secret and agrees. */
    assert_true(json_is_true(json_object_get(rec, "sigv4_ok")));
    auth = jget(rec, "headers.authorization");
    assert_non_null(auth);
    assert_int_equal(strncmp(auth, "AWS4-HMAC-SHA256 Credential=" KEY "/", 37),
                     0);
    assert_non_null(strstr(auth, "/" REGION "/ses/aws4_request, "));
    assert_non_null(strstr(auth, "SignedHeaders="));
    assert_non_null(strstr(auth, "Signature="));
    assert_non_null(strstr(jget(rec, "signed_headers"), "host"));
    assert_non_null(strstr(jget(rec, "signed_headers"), "x-amz-date"));
    assert_non_null(jget(rec, "headers.x-amz-date"));
    assert_string_equal(jget(rec, "headers.content-type"), "application/json");
    assert_string_equal(r.reference, jget(rec, "message_id"));
    /* The JSON body. */
    assert_string_equal(jget(rec, "json.FromEmailAddress"),
                        "=?UTF-8?Q?Service_=E2=9C=93?= "
                        "<notify@service.example>");
    assert_string_equal(jget(rec, "json.Destination.ToAddresses.0"),
                        "someone@example.com");
    assert_string_equal(jget(rec, "json.ReplyToAddresses.0"),
                        "replies@service.example");
    assert_string_equal(jget(rec, "json.EmailTags.0.Name"), "bode_id");
    assert_string_equal(jget(rec, "json.EmailTags.0.Value"), ID);
    assert_string_equal(jget(rec, "json.ConfigurationSetName"), "bode-events");
    /* The raw message, as SES will read it. */
    assert_string_equal(jget(rec, "mime.headers.Subject"), SUBJECT);
    assert_string_equal(jget(rec, "mime.headers.List-Unsubscribe-Post"),
                        "List-Unsubscribe=One-Click");
    assert_string_equal(jget(rec, "mime.text"), "Hello\nthere\n");
    assert_string_equal(jget(rec, "mime.html"), "<p>Hello</p>\n");
    json_decref(rec);
    destroy(p);
}

static void test_ses_sends_simple_content(void **state)
{
    const char *kv[] = {"AWS_REGION=" REGION,
                        "AWS_ACCESS_KEY_ID=" KEY,
                        "AWS_SECRET_ACCESS_KEY=" SECRET,
                        "BODE_SES_CONTENT=simple",
                        endpoint,
                        NULL};
    struct bode_message m = email("someone@example.com");
    struct bode_provider_result r;
    struct bode_provider *p = make(kv);
    json_t *rec;

    (void)state;
    assert_int_equal(fake_deliver(p, &m, 5000, &r), BODE_OK);
    assert_int_equal(r.outcome, BODE_OUTCOME_SENDING);
    rec = last();
    assert_true(json_is_true(json_object_get(rec, "sigv4_ok")));
    assert_string_equal(jget(rec, "json.Content.Simple.Subject.Data"), SUBJECT);
    assert_string_equal(jget(rec, "json.Content.Simple.Body.Text.Data"),
                        "Hello\nthere\n");
    assert_string_equal(jget(rec, "json.Content.Simple.Body.Html.Data"),
                        "<p>Hello</p>\n");
    assert_string_equal(jget(rec, "json.Content.Simple.Headers.0.Value"),
                        "<https://service.example/u/1>");
    json_decref(rec);
    destroy(p);
}

static void test_ses_classifies_errors(void **state)
{
    static const struct {
        const char *to;
        enum bode_outcome outcome;
        long retry_after;
        const char *type;
    } cases[] = {
        {"throttle@example.com", BODE_OUTCOME_TEMPORARY, 5,
         "TooManyRequestsException"},
        {"badrequest@example.com", BODE_OUTCOME_TECHNICAL, 0,
         "BadRequestException"},
        {"rejected@example.com", BODE_OUTCOME_TECHNICAL, 0, "MessageRejected"},
        {"fail500@example.com", BODE_OUTCOME_TEMPORARY, 0, "InternalFailure"},
    };
    const char *kv[] = {"AWS_REGION=" REGION, "AWS_ACCESS_KEY_ID=" KEY,
                        "AWS_SECRET_ACCESS_KEY=" SECRET, endpoint, NULL};
    struct bode_message m;
    struct bode_provider_result r;
    struct bode_provider *p = make(kv);
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        m = email(cases[i].to);
        assert_int_equal(fake_deliver(p, &m, 5000, &r), BODE_OK);
        assert_int_equal(r.outcome, cases[i].outcome);
        assert_int_equal(r.retry_after_s, cases[i].retry_after);
        assert_non_null(strstr(r.detail, cases[i].type));
        assert_false(r.ambiguous);
    }
    /* Slow past the worker's timeout, after the request went out. */
    m = email("slow@example.com");
    assert_int_equal(fake_deliver(p, &m, 1000, &r), BODE_OK);
    assert_int_equal(r.outcome, BODE_OUTCOME_TEMPORARY);
    assert_true(r.ambiguous);
    destroy(p);
}

static void test_ses_wrong_secret_is_refused_by_signature(void **state)
{
    const char *kv[] = {"AWS_REGION=" REGION, "AWS_ACCESS_KEY_ID=" KEY,
                        "AWS_SECRET_ACCESS_KEY=not-the-secret", endpoint, NULL};
    struct bode_message m = email("someone@example.com");
    struct bode_provider_result r;
    struct bode_provider *p = make(kv);
    json_t *rec;

    (void)state;
    assert_int_equal(fake_deliver(p, &m, 5000, &r), BODE_OK);
    assert_int_equal(r.outcome, BODE_OUTCOME_TECHNICAL);
    assert_non_null(strstr(r.detail, "InvalidSignatureException"));
    rec = last();
    assert_true(json_is_false(json_object_get(rec, "sigv4_ok")));
    assert_string_equal(jget(rec, "sigv4_error"), "signature does not match");
    json_decref(rec);
    destroy(p);
}

static void test_ses_start_refuses_bad_messages(void **state)
{
    const char *kv[] = {"AWS_REGION=" REGION,
                        "AWS_ACCESS_KEY_ID=" KEY,
                        "AWS_SECRET_ACCESS_KEY=" SECRET,
                        endpoint,
                        "BODE_SES_CONTENT=simple",
                        NULL};
    const struct bode_provider_ops *ops = bode_provider_find("ses");
    struct bode_message m = email("someone@example.com");
    struct bode_delivery d;
    struct bode_provider_result r;
    struct bode_provider *p = make(kv);

    (void)state;
    memset(&d, 0, sizeof(d));
    m.subject = "x\r\nBcc: victim@example.com";
    assert_int_equal(ops->start(p, &m, &d, &r), BODE_ERR_INVALID);
    assert_null(d.easy);
    m = email("someone@example.com");
    m.channel = BODE_CHANNEL_SMS;
    assert_int_equal(ops->start(p, &m, &d, &r), BODE_ERR_INVALID);
    ops->release(p, &d);
    destroy(p);
}

/* ---- receipts ---- */

struct req {
    const char *url;
    const char *auth;
};

static const char *header(void *ctx, const char *name)
{
    struct req *r = ctx;

    return strcmp(name, "Authorization") == 0 ? r->auth : NULL;
}

static enum bode_err receive(struct bode_provider *p, const char *url,
                             const char *auth, const char *body,
                             struct bode_receipt *out, size_t max, size_t *n)
{
    struct req ctx = {url, auth};
    struct bode_receipt_request rq = {.url = url,
                                      .body = body,
                                      .body_len = strlen(body),
                                      .header = header,
                                      .ctx = &ctx};

    return bode_provider_ops(p)->receipt(p, &rq, out, max, n);
}

/* An SES event of kind for message ref, with Bode's tag. */
static char *ses_event(const char *kind, const char *bounce_type,
                       const char *ref)
{
    json_t *ev = json_pack(
        "{s:s, s:{s:s, s:s, s:s, s:{s:[s]}}}", "notificationType", kind, "mail",
        "timestamp", "2024-01-02T03:04:05.000Z", "messageId", ref, "source",
        "notify@service.example", "tags", "bode_id", ID);
    char *text;

    if (bounce_type)
        json_object_set_new(ev, "bounce",
                            json_pack("{s:s, s:s, s:[{s:s}]}", "bounceType",
                                      bounce_type, "bounceSubType", "General",
                                      "bouncedRecipients", "emailAddress",
                                      "someone@example.com"));
    if (strcmp(kind, "Complaint") == 0)
        json_object_set_new(
            ev, "complaint",
            json_pack("{s:s}", "complaintFeedbackType", "abuse"));
    text = json_dumps(ev, JSON_COMPACT);
    json_decref(ev);
    return text;
}

/* An SNS message around text, signed with the test key when sign is 1
 * (SignatureVersion 1) or 2, unsigned when 0. */
static char *sns_message(const char *type, const char *text, int sign,
                         const char *cert_url)
{
    json_t *msg = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Type", type, "MessageId",
        "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324", "TopicArn", TOPIC, "Message",
        text, "Timestamp", "2024-01-02T03:04:06.000Z", "SigningCertURL",
        cert_url, "UnsubscribeURL",
        "https://sns.eu-west-2.amazonaws.com/?Action=Unsubscribe");
    char to_sign[8192];
    char sig[1024];
    char *out;

    if (strcmp(type, "Notification") == 0) {
        json_object_set_new(msg, "Subject", json_string("Amazon SES Email"));
        snprintf(to_sign, sizeof(to_sign),
                 "Message\n%s\nMessageId\n%s\nSubject\n%s\nTimestamp\n%s\n"
                 "TopicArn\n%s\nType\n%s\n",
                 text, "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
                 "Amazon SES Email", "2024-01-02T03:04:06.000Z", TOPIC, type);
    } else {
        json_object_set_new(msg, "Token", json_string("tok123"));
        json_object_set_new(
            msg, "SubscribeURL",
            json_string("https://sns.eu-west-2.amazonaws.com/"
                        "?Action=ConfirmSubscription&Token=tok123"));
        snprintf(to_sign, sizeof(to_sign),
                 "Message\n%s\nMessageId\n%s\nSubscribeURL\n%s\n"
                 "Timestamp\n%s\nToken\n%s\nTopicArn\n%s\nType\n%s\n",
                 text, "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
                 "https://sns.eu-west-2.amazonaws.com/"
                 "?Action=ConfirmSubscription&Token=tok123",
                 "2024-01-02T03:04:06.000Z", "tok123", TOPIC, type);
    }
    if (sign) {
        assert_int_equal(test_sign_b64(FIX "test-key.pem", sign == 2, to_sign,
                                       strlen(to_sign), sig, sizeof(sig)),
                         0);
        json_object_set_new(msg, "Signature", json_string(sig));
        json_object_set_new(msg, "SignatureVersion",
                            json_string(sign == 2 ? "2" : "1"));
    }
    out = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    return out;
}

static const char *token_kv[] = {"AWS_REGION=" REGION, "AWS_ACCESS_KEY_ID=k",
                                 "AWS_SECRET_ACCESS_KEY=s",
                                 "BODE_SES_RECEIPT_TOKEN=" TOKEN, NULL};

static void test_ses_receipt_with_token(void **state)
{
    static const struct {
        const char *kind;
        const char *bounce;
        enum bode_status status;
        bool complaint;
    } cases[] = {
        {"Delivery", NULL, BODE_STATUS_DELIVERED, false},
        {"Bounce", "Permanent", BODE_STATUS_PERMANENT_FAILURE, false},
        {"Bounce", "Transient", BODE_STATUS_TEMPORARY_FAILURE, false},
        {"Bounce", "Undetermined", BODE_STATUS_TEMPORARY_FAILURE, false},
        {"Complaint", NULL, BODE_STATUS_DELIVERED, true},
        {"Reject", NULL, BODE_STATUS_TECHNICAL_FAILURE, false},
    };
    struct bode_provider *p = make(token_kv);
    struct bode_receipt out[2];
    char *ev;
    char *msg;
    size_t n;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ev = ses_event(cases[i].kind, cases[i].bounce, "ses-ref-1");
        msg = sns_message("Notification", ev, 0, CERT_URL);
        assert_int_equal(receive(p, "https://bode.example/r/ses?token=" TOKEN,
                                 NULL, msg, out, 2, &n),
                         BODE_OK);
        assert_int_equal(n, 1);
        assert_string_equal(out[0].reference, "ses-ref-1");
        assert_string_equal(out[0].notification_id, ID);
        assert_int_equal(out[0].status, cases[i].status);
        assert_int_equal(out[0].complaint, cases[i].complaint);
        bode_free(msg);
        bode_free(ev);
    }
    /* Events that say nothing about the status give no receipt. */
    ev = ses_event("Open", NULL, "ses-ref-1");
    msg = sns_message("Notification", ev, 0, CERT_URL);
    assert_int_equal(
        receive(p, "https://b/r?token=" TOKEN, NULL, msg, out, 2, &n), BODE_OK);
    assert_int_equal(n, 0);
    bode_free(msg);
    /* Raw message delivery: the event itself. */
    assert_int_equal(
        receive(p, "https://b/r?token=" TOKEN, NULL, ev, out, 2, &n), BODE_OK);
    assert_int_equal(n, 0);
    bode_free(ev);
    destroy(p);
}

static void test_ses_receipt_refuses_bad_token(void **state)
{
    struct bode_provider *p = make(token_kv);
    struct bode_receipt out[1];
    char *ev = ses_event("Delivery", NULL, "ref");
    char *msg = sns_message("Notification", ev, 0, CERT_URL);
    size_t n = 9;

    (void)state;
    assert_int_equal(receive(p, "https://b/r", NULL, msg, out, 1, &n),
                     BODE_ERR_AUTH);
    assert_int_equal(n, 0);
    assert_int_equal(receive(p,
                             "https://b/r?token=receipt-token-0123456789abcdeX",
                             NULL, msg, out, 1, &n),
                     BODE_ERR_AUTH);
    assert_int_equal(
        receive(p, "https://b/r?token=" TOKEN "x", NULL, msg, out, 1, &n),
        BODE_ERR_AUTH);
    /* HTTP basic auth with the token as password ("sns:" TOKEN). */
    assert_int_equal(
        receive(p, "https://b/r",
                "Basic c25zOnJlY2VpcHQtdG9rZW4tMDEyMzQ1Njc4OWFiY2RlZg==", msg,
                out, 1, &n),
        BODE_OK);
    assert_int_equal(n, 1);
    assert_int_equal(
        receive(p, "https://b/r", "Basic c25zOndyb25n", msg, out, 1, &n),
        BODE_ERR_AUTH);
    /* Malformed bodies, once authenticated; an empty messageId (found
     * by fuzz_receipt_ses) would match nothing. */
    assert_int_equal(receive(p, "https://b/r?token=" TOKEN, NULL,
                             "{\"eventType\":\"Complaint\",\"mail\":"
                             "{\"messageId\":\"\"}}",
                             out, 1, &n),
                     BODE_ERR_INVALID);
    assert_int_equal(
        receive(p, "https://b/r?token=" TOKEN, NULL, "{", out, 1, &n),
        BODE_ERR_INVALID);
    assert_int_equal(receive(p, "https://b/r?token=" TOKEN, NULL,
                             "{\"Type\":\"Notification\",\"Message\":\"no\"}",
                             out, 1, &n),
                     BODE_ERR_INVALID);
    assert_int_equal(receive(p, "https://b/r?token=" TOKEN, NULL,
                             "{\"Type\":\"Notification\",\"Type\":\"x\"}", out,
                             1, &n),
                     BODE_ERR_INVALID);
    bode_free(msg);
    bode_free(ev);
    destroy(p);
    /* No token and no certificate: receipts are refused outright. */
    {
        const char *bare[] = {"AWS_REGION=" REGION, "AWS_ACCESS_KEY_ID=k",
                              "AWS_SECRET_ACCESS_KEY=s", NULL};
        p = make(bare);
        assert_int_equal(
            receive(p, "https://b/r?token=" TOKEN, NULL, "{}", out, 1, &n),
            BODE_ERR_AUTH);
        destroy(p);
    }
}

static void test_ses_receipt_sns_signature(void **state)
{
    const char *kv[] = {"AWS_REGION=" REGION,
                        "AWS_ACCESS_KEY_ID=k",
                        "AWS_SECRET_ACCESS_KEY=s",
                        "BODE_SNS_CERT_FILE=" FIX "bundle-cert.pem",
                        "BODE_SES_TOPIC_ARN=" TOPIC,
                        NULL};
    const char *other[] = {"AWS_REGION=" REGION, "AWS_ACCESS_KEY_ID=k",
                           "AWS_SECRET_ACCESS_KEY=s",
                           "BODE_SNS_CERT_FILE=" FIX "other-cert.pem", NULL};
    const char *topic[] = {"AWS_REGION=" REGION,
                           "AWS_ACCESS_KEY_ID=k",
                           "AWS_SECRET_ACCESS_KEY=s",
                           "BODE_SNS_CERT_FILE=" FIX "test-cert.pem",
                           "BODE_SES_TOPIC_ARN=arn:aws:sns:x:1:other",
                           NULL};
    struct bode_provider *p = make(kv);
    struct bode_receipt out[1];
    char *ev = ses_event("Bounce", "Permanent", "ses-ref-2");
    char *msg;
    char *tampered;
    char *pos;
    size_t n;
    int version;

    (void)state;
    for (version = 1; version <= 2; version++) {
        msg = sns_message("Notification", ev, version, CERT_URL);
        assert_int_equal(receive(p, "https://b/r", NULL, msg, out, 1, &n),
                         BODE_OK);
        assert_int_equal(n, 1);
        assert_int_equal(out[0].status, BODE_STATUS_PERMANENT_FAILURE);
        /* One changed byte in the signed Message. */
        tampered = bode_strdup(msg);
        pos = strstr(tampered, "Permanent");
        pos[0] = 'p';
        assert_int_equal(receive(p, "https://b/r", NULL, tampered, out, 1, &n),
                         BODE_ERR_AUTH);
        bode_free(tampered);
        bode_free(msg);
    }
    /* Unsigned, or a certificate URL outside AWS. */
    msg = sns_message("Notification", ev, 0, CERT_URL);
    assert_int_equal(receive(p, "https://b/r", NULL, msg, out, 1, &n),
                     BODE_ERR_AUTH);
    bode_free(msg);
    msg = sns_message("Notification", ev, 2,
                      "https://sns.eu-west-2.attacker.example/cert.pem");
    assert_int_equal(receive(p, "https://b/r", NULL, msg, out, 1, &n),
                     BODE_ERR_AUTH);
    bode_free(msg);
    /* Raw delivery cannot be signed, so it is refused with a certificate. */
    assert_int_equal(receive(p, "https://b/r", NULL, ev, out, 1, &n),
                     BODE_ERR_AUTH);
    /* A signed subscription confirmation is accepted, with no receipt. */
    msg = sns_message("SubscriptionConfirmation", "You have chosen...", 2,
                      CERT_URL);
    assert_int_equal(receive(p, "https://b/r", NULL, msg, out, 1, &n), BODE_OK);
    assert_int_equal(n, 0);
    destroy(p);
    /* The wrong certificate, or another topic, refuses it. */
    p = make(other);
    assert_int_equal(receive(p, "https://b/r", NULL, msg, out, 1, &n),
                     BODE_ERR_AUTH);
    destroy(p);
    bode_free(msg);
    msg = sns_message("Notification", ev, 1, CERT_URL);
    p = make(topic);
    assert_int_equal(receive(p, "https://b/r", NULL, msg, out, 1, &n),
                     BODE_ERR_AUTH);
    destroy(p);
    bode_free(msg);
    bode_free(ev);
}

static void test_ses_receipt_alloc_failures(void **state)
{
    const char *kv[] = {"AWS_REGION=" REGION,
                        "AWS_ACCESS_KEY_ID=k",
                        "AWS_SECRET_ACCESS_KEY=s",
                        "BODE_SES_RECEIPT_TOKEN=" TOKEN,
                        "BODE_SNS_CERT_FILE=" FIX "test-cert.pem",
                        NULL};
    struct bode_provider *p = make(kv);
    struct bode_receipt out[1];
    char *ev = ses_event("Bounce", "Transient", "ses-ref-3");
    char *msg = sns_message("Notification", ev, 2, CERT_URL);
    enum bode_err err;
    size_t n;
    long count;
    long i;

    (void)state;
    bode_alloc_fail_after(1000000);
    err = receive(p, "https://b/r?token=" TOKEN, NULL, msg, out, 1, &n);
    count = bode_alloc_count();
    bode_alloc_fail_after(-1);
    assert_int_equal(err, BODE_OK);
    assert_int_equal(n, 1);
    for (i = 0; i < count; i++) {
        bode_alloc_fail_after(i);
        err = receive(p, "https://b/r?token=" TOKEN, NULL, msg, out, 1, &n);
        bode_alloc_fail_after(-1);
        /* jansson reports some failed allocations as syntax errors. */
        assert_true(err == BODE_ERR_NOMEM || err == BODE_ERR_INVALID);
        assert_int_equal(n, 0);
    }
    bode_free(msg);
    bode_free(ev);
    bode_provider_ops(p)->destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ses_create_refuses_bad_settings),
        cmocka_unit_test(test_ses_sends_signed_raw_email),
        cmocka_unit_test(test_ses_sends_simple_content),
        cmocka_unit_test(test_ses_classifies_errors),
        cmocka_unit_test(test_ses_wrong_secret_is_refused_by_signature),
        cmocka_unit_test(test_ses_start_refuses_bad_messages),
        cmocka_unit_test(test_ses_receipt_with_token),
        cmocka_unit_test(test_ses_receipt_refuses_bad_token),
        cmocka_unit_test(test_ses_receipt_sns_signature),
        cmocka_unit_test(test_ses_receipt_alloc_failures),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
