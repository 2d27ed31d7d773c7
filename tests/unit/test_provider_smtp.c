/* Tests for the SMTP provider against a real SMTP server (aiosmtpd, in
 * tests/integration/fakes/smtp.py): the message as a mail system parses
 * it, SMTP reply classification, timeouts, STARTTLS and AUTH. */
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

#define FIX "tests/fixtures/providers/smtp/"
#define ID "3f8b2a6c-1d4e-4f5a-9b7c-2e1d0c9b8a7f"
#define SUBJECT "Caf\xc3\xa9 r\xc3\xa9sum\xc3\xa9 \xe2\x80\x94 your appointment"
#define TEXT                                                                   \
    "Hello,\n\n.this line starts with a dot\nFrom here on, mbox\n"             \
    "Line with = sign and trailing space \nCaf\xc3\xa9\n"
#define HTML "<!DOCTYPE html><html><body><p>Caf\xc3\xa9</p></body></html>\n"

struct fixture {
    struct fake_server plain;
    struct fake_server secure;
};

static struct bode_message email(const char *to)
{
    struct bode_message m;

    memset(&m, 0, sizeof(m));
    m.id = ID;
    m.channel = BODE_CHANNEL_EMAIL;
    m.to = to;
    m.from_address = "notify@service.example";
    m.from_name = "D\xc3\xa9partement Example";
    m.reply_to = "replies@service.example";
    m.subject = SUBJECT;
    m.text = TEXT;
    m.html = HTML;
    m.one_click_unsubscribe_url = "https://service.example/unsubscribe/abc";
    return m;
}

static int setup(void **state)
{
    static const char *const secure_args[] = {
        "--user",        "mailer",       "--password", "s3cret-pass",
        "--cert",        FIX "cert.pem", "--key",      FIX "key.pem",
        "--require-tls", "--slow",       "3",          NULL};
    static const char *const plain_args[] = {"--slow", "3", NULL};
    struct fixture *fx = bode_calloc(1, sizeof(*fx));

    if (!fx)
        return -1;
    bode_alloc_install_json();
    if (fake_server_start(&fx->plain, "smtp.py", plain_args) != 0 ||
        fake_server_start(&fx->secure, "smtp.py", secure_args) != 0) {
        fake_server_stop(&fx->plain);
        bode_free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;

    fake_server_stop(&fx->plain);
    fake_server_stop(&fx->secure);
    bode_free(fx);
    return 0;
}

static struct bode_provider *make(const char **kv)
{
    const struct bode_provider_ops *ops = bode_provider_find("smtp");
    struct bode_provider *p = NULL;
    char why[256] = "";

    if (ops->create(fake_setting, kv, &p, why, sizeof(why)) != BODE_OK)
        fprintf(stderr, "create: %s\n", why);
    return p;
}

static void set_url(char *out, size_t size, const struct fake_server *f)
{
    snprintf(out, size, "BODE_SMTP_URL=smtp://127.0.0.1:%d", f->port);
}

/* The last record the fake wrote (a new reference). */
static json_t *last(const struct fake_server *f)
{
    json_t *all = fake_server_requests(f);
    json_t *rec = json_array_get(all, json_array_size(all) - 1);

    json_incref(rec);
    json_decref(all);
    return rec;
}

static const char *jpath(json_t *o, const char *a, const char *b)
{
    json_t *v = json_object_get(o, a);

    if (b)
        v = json_object_get(v, b);
    return json_string_value(v);
}

static void test_smtp_create_refuses_bad_settings(void **state)
{
    const struct bode_provider_ops *ops = bode_provider_find("smtp");
    const char *none[] = {NULL};
    const char *creds_in_url[] = {"BODE_SMTP_URL=smtp://u:p@127.0.0.1:25",
                                  NULL};
    const char *http[] = {"BODE_SMTP_URL=http://127.0.0.1", NULL};
    const char *tls[] = {"BODE_SMTP_URL=smtp://127.0.0.1",
                         "BODE_SMTP_STARTTLS=maybe", NULL};
    const char *half[] = {"BODE_SMTP_URL=smtp://127.0.0.1", "BODE_SMTP_USER=u",
                          NULL};
    const char *timeout[] = {"BODE_SMTP_URL=smtp://127.0.0.1",
                             "BODE_SMTP_TIMEOUT_MS=fast", NULL};
    const char **bad[] = {none, creds_in_url, http, tls, half, timeout};
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
        assert_non_null(strstr(why, "BODE_SMTP_"));
    }
}

static void test_smtp_delivers_multipart_message(void **state)
{
    struct fixture *fx = *state;
    char url[80];
    const char *kv[] = {url, NULL};
    struct bode_message m = email("someone@example.com");
    struct bode_provider_result r;
    struct bode_provider *p;
    json_t *rec;
    json_t *mime;
    json_t *parts;

    set_url(url, sizeof(url), &fx->plain);
    p = make(kv);
    assert_non_null(p);
    assert_int_equal(fake_deliver(p, &m, 5000, &r), BODE_OK);
    assert_int_equal(r.outcome, BODE_OUTCOME_DELIVERED);
    assert_string_equal(r.reference, "<" ID "@service.example>");
    assert_false(r.ambiguous);
    rec = last(&fx->plain);
    assert_non_null(rec);
    assert_string_equal(jpath(rec, "mail_from", NULL),
                        "notify@service.example");
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(rec, "rcpt_tos"), 0)),
        "someone@example.com");
    mime = json_object_get(rec, "mime");
    /* What a mail system reads back. */
    assert_string_equal(jpath(mime, "content_type", NULL),
                        "multipart/alternative");
    assert_string_equal(jpath(mime, "headers", "Subject"), SUBJECT);
    assert_string_equal(jpath(mime, "headers", "From"),
                        "D\xc3\xa9partement Example <notify@service.example>");
    assert_string_equal(jpath(mime, "headers", "Reply-To"),
                        "replies@service.example");
    assert_string_equal(jpath(mime, "headers", "To"), "someone@example.com");
    assert_string_equal(jpath(mime, "headers", "Message-ID"),
                        "<" ID "@service.example>");
    assert_string_equal(jpath(mime, "headers", "List-Unsubscribe"),
                        "<https://service.example/unsubscribe/abc>");
    assert_string_equal(jpath(mime, "headers", "List-Unsubscribe-Post"),
                        "List-Unsubscribe=One-Click");
    assert_string_equal(jpath(mime, "headers", "MIME-Version"), "1.0");
    assert_non_null(jpath(mime, "headers", "Date"));
    assert_string_equal(jpath(mime, "text", NULL), TEXT);
    assert_string_equal(jpath(mime, "html", NULL), HTML);
    parts = json_object_get(mime, "parts");
    assert_int_equal(json_array_size(parts), 2);
    assert_string_equal(jpath(json_array_get(parts, 0), "type", NULL),
                        "text/plain");
    assert_string_equal(jpath(json_array_get(parts, 1), "type", NULL),
                        "text/html");
    assert_string_equal(jpath(json_array_get(parts, 0), "charset", NULL),
                        "utf-8");
    assert_int_equal(json_array_size(json_object_get(mime, "defects")), 0);
    assert_true(json_is_false(json_object_get(mime, "bare_lf")));
    assert_true(json_is_false(json_object_get(mime, "bare_cr")));
    assert_true(json_is_false(json_object_get(mime, "eight_bit")));
    assert_true(json_integer_value(json_object_get(mime, "max_line")) <= 78);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(mime, "header_counts"), "subject")),
                     1);
    json_decref(rec);
    bode_provider_ops(p)->destroy(p);
}

static void test_smtp_delivers_non_latin_as_base64(void **state)
{
    static const char greek[] =
        "\xce\x93\xce\xb5\xce\xb9\xce\xac \xcf\x83\xce\xb1\xcf\x82\n"
        "\xce\x93\xce\xb5\xce\xb9\xce\xac \xcf\x83\xce\xb1\xcf\x82\n";
    struct fixture *fx = *state;
    char url[80];
    const char *kv[] = {url, "BODE_SMTP_ACCEPTED_STATUS=sending", NULL};
    struct bode_message m = email("greek@example.com");
    struct bode_provider_result r;
    struct bode_provider *p;
    json_t *rec;
    json_t *mime;

    set_url(url, sizeof(url), &fx->plain);
    m.text = greek;
    m.html = NULL;
    p = make(kv);
    assert_int_equal(fake_deliver(p, &m, 5000, &r), BODE_OK);
    assert_int_equal(r.outcome, BODE_OUTCOME_SENDING);
    rec = last(&fx->plain);
    mime = json_object_get(rec, "mime");
    assert_string_equal(jpath(mime, "content_type", NULL), "text/plain");
    assert_string_equal(jpath(json_array_get(json_object_get(mime, "parts"), 0),
                              "encoding", NULL),
                        "base64");
    assert_string_equal(jpath(mime, "text", NULL), greek);
    json_decref(rec);
    bode_provider_ops(p)->destroy(p);
}

static void test_smtp_classifies_replies(void **state)
{
    static const struct {
        const char *to;
        enum bode_outcome outcome;
    } cases[] = {
        {"perm-user@example.com", BODE_OUTCOME_PERMANENT},   /* 550 */
        {"temp-user@example.com", BODE_OUTCOME_TEMPORARY},   /* 451 */
        {"reject-user@example.com", BODE_OUTCOME_PERMANENT}, /* 554 */
    };
    struct fixture *fx = *state;
    char url[80];
    const char *kv[] = {url, NULL};
    struct bode_message m;
    struct bode_provider_result r;
    struct bode_provider *p;
    size_t i;

    set_url(url, sizeof(url), &fx->plain);
    p = make(kv);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        m = email(cases[i].to);
        assert_int_equal(fake_deliver(p, &m, 5000, &r), BODE_OK);
        assert_int_equal(r.outcome, cases[i].outcome);
        assert_false(r.ambiguous);
        assert_non_null(
            strstr(r.detail, "SMTP 5") ? r.detail : strstr(r.detail, "SMTP 4"));
    }
    bode_provider_ops(p)->destroy(p);
}

static void test_smtp_timeout_after_data_is_ambiguous(void **state)
{
    struct fixture *fx = *state;
    char url[80];
    const char *kv[] = {url, NULL};
    struct bode_message m = email("slow-user@example.com");
    struct bode_provider_result r;
    struct bode_provider *p;

    set_url(url, sizeof(url), &fx->plain);
    p = make(kv);
    assert_int_equal(fake_deliver(p, &m, 1000, &r), BODE_OK);
    assert_int_equal(r.outcome, BODE_OUTCOME_TEMPORARY);
    assert_true(r.ambiguous);
    assert_non_null(strstr(r.detail, "curl 28"));
    bode_provider_ops(p)->destroy(p);
}

static void test_smtp_connection_refused_is_temporary(void **state)
{
    /* A port the fake used and gave up: nothing listens there. */
    const char *kv[] = {"BODE_SMTP_URL=smtp://127.0.0.1:1", NULL};
    struct bode_message m = email("someone@example.com");
    struct bode_provider_result r;
    struct bode_provider *p;

    (void)state;
    p = make(kv);
    assert_int_equal(fake_deliver(p, &m, 2000, &r), BODE_OK);
    assert_int_equal(r.outcome, BODE_OUTCOME_TEMPORARY);
    assert_false(r.ambiguous);
    bode_provider_ops(p)->destroy(p);
}

static void test_smtp_start_refuses_header_injection(void **state)
{
    const char *kv[] = {"BODE_SMTP_URL=smtp://127.0.0.1:1", NULL};
    const struct bode_provider_ops *ops = bode_provider_find("smtp");
    struct bode_message m = email("someone@example.com");
    struct bode_delivery d;
    struct bode_provider_result r;
    struct bode_provider *p;

    (void)state;
    p = make(kv);
    memset(&d, 0, sizeof(d));
    m.subject = "Hello\r\nBcc: everyone@example.com";
    assert_int_equal(ops->start(p, &m, &d, &r), BODE_ERR_INVALID);
    assert_null(d.easy);
    assert_null(d.data);
    assert_non_null(strstr(r.detail, "subject"));
    m = email("someone@example.com\r\nRCPT TO:<x@example.com>");
    assert_int_equal(ops->start(p, &m, &d, &r), BODE_ERR_INVALID);
    m = email("someone@example.com");
    m.channel = BODE_CHANNEL_SMS;
    assert_int_equal(ops->start(p, &m, &d, &r), BODE_ERR_INVALID);
    ops->release(p, &d);
    ops->destroy(p);
}

static void test_smtp_starttls_and_auth(void **state)
{
    struct fixture *fx = *state;
    char url[80];
    const char *kv[] = {url, "BODE_SMTP_USER=mailer",
                        "BODE_SMTP_PASSWORD=s3cret-pass",
                        "BODE_SMTP_CA_FILE=" FIX "cert.pem", NULL};
    const char *wrong[] = {url, "BODE_SMTP_USER=mailer",
                           "BODE_SMTP_PASSWORD=wrong-pass",
                           "BODE_SMTP_CA_FILE=" FIX "cert.pem", NULL};
    const char *no_tls[] = {url, "BODE_SMTP_STARTTLS=no", NULL};
    const char *no_ca[] = {url, "BODE_SMTP_USER=mailer",
                           "BODE_SMTP_PASSWORD=s3cret-pass", NULL};
    struct bode_message m = email("secure@example.com");
    struct bode_provider_result r;
    struct bode_provider *p;
    json_t *rec;

    set_url(url, sizeof(url), &fx->secure);
    p = make(kv);
    assert_int_equal(fake_deliver(p, &m, 5000, &r), BODE_OK);
    assert_int_equal(r.outcome, BODE_OUTCOME_DELIVERED);
    rec = last(&fx->secure);
    assert_true(json_is_true(json_object_get(rec, "tls")));
    assert_true(json_is_true(json_object_get(rec, "authenticated")));
    json_decref(rec);
    bode_provider_ops(p)->destroy(p);
    /* A wrong password is our account's problem: 535, technical. */
    p = make(wrong);
    assert_int_equal(fake_deliver(p, &m, 5000, &r), BODE_OK);
    assert_int_equal(r.outcome, BODE_OUTCOME_TECHNICAL);
    assert_non_null(strstr(r.detail, "SMTP 535"));
    bode_provider_ops(p)->destroy(p);
    /* The server insists on STARTTLS: 530, technical. */
    p = make(no_tls);
    assert_int_equal(fake_deliver(p, &m, 5000, &r), BODE_OK);
    assert_int_equal(r.outcome, BODE_OUTCOME_TECHNICAL);
    bode_provider_ops(p)->destroy(p);
    /* An unknown certificate is refused before any password is sent. */
    p = make(no_ca);
    assert_int_equal(fake_deliver(p, &m, 5000, &r), BODE_OK);
    assert_int_equal(r.outcome, BODE_OUTCOME_TEMPORARY);
    assert_non_null(strstr(r.detail, "curl"));
    bode_provider_ops(p)->destroy(p);
}

static void test_smtp_large_message(void **state)
{
    struct fixture *fx = *state;
    char url[80];
    const char *kv[] = {url, NULL};
    struct bode_message m = email("someone@example.com");
    struct bode_provider_result r;
    struct bode_provider *p;
    char *html = bode_malloc(400001);
    json_t *rec;
    size_t i;

    set_url(url, sizeof(url), &fx->plain);
    assert_non_null(html);
    for (i = 0; i < 400000; i++)
        html[i] = i % 100 == 99 ? '\n' : "<p>x</p>."[i % 9];
    html[400000] = '\0';
    m.html = html;
    p = make(kv);
    assert_int_equal(fake_deliver(p, &m, 10000, &r), BODE_OK);
    assert_int_equal(r.outcome, BODE_OUTCOME_DELIVERED);
    rec = last(&fx->plain);
    assert_string_equal(jpath(json_object_get(rec, "mime"), "html", NULL),
                        html);
    json_decref(rec);
    bode_free(html);
    bode_provider_ops(p)->destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_smtp_create_refuses_bad_settings),
        cmocka_unit_test(test_smtp_delivers_multipart_message),
        cmocka_unit_test(test_smtp_delivers_non_latin_as_base64),
        cmocka_unit_test(test_smtp_classifies_replies),
        cmocka_unit_test(test_smtp_timeout_after_data_is_ambiguous),
        cmocka_unit_test(test_smtp_connection_refused_is_temporary),
        cmocka_unit_test(test_smtp_start_refuses_header_injection),
        cmocka_unit_test(test_smtp_starttls_and_auth),
        cmocka_unit_test(test_smtp_large_message),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
