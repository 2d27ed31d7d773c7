/* Tests for the sandbox provider: one whole JSON line per message in the
 * outbox, headers as SMTP would send them, whole lines when several
 * processes append at once, and refusals. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "bode/alloc.h"
#include "bode/provider.h"
#include "fakeserver.h"

#define ID "3f8b2a6c-1d4e-4f5a-9b7c-2e1d0c9b8a7f"

struct fixture {
    char dir[64];
    char outbox[128];
    char setting[160];
};

static int setup(void **state)
{
    struct fixture *fx = bode_calloc(1, sizeof(*fx));

    if (!fx || fake_tmpdir(fx->dir, sizeof(fx->dir)) != 0)
        return -1;
    bode_alloc_install_json();
    snprintf(fx->outbox, sizeof(fx->outbox), "%s/outbox.jsonl", fx->dir);
    snprintf(fx->setting, sizeof(fx->setting), "BODE_SANDBOX_OUTBOX=%s",
             fx->outbox);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;

    fake_rmdir(fx->dir);
    bode_free(fx);
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
    m.subject = "Caf\xc3\xa9 news";
    m.text = "Hello\nthere";
    m.html = "<p>Hello</p>";
    m.one_click_unsubscribe_url = "https://service.example/u/1";
    return m;
}

static struct bode_provider *make(const char **kv)
{
    const struct bode_provider_ops *ops = bode_provider_find("sandbox");
    struct bode_provider *p = NULL;
    char why[256] = "";

    if (ops->create(fake_setting, kv, &p, why, sizeof(why)) != BODE_OK)
        fprintf(stderr, "create: %s\n", why);
    return p;
}

/* Every line of the outbox, parsed; fails on a line that is not JSON. */
static json_t *read_outbox(const char *path)
{
    json_t *arr = json_array();
    json_error_t e;
    FILE *f = fopen(path, "r");
    json_t *line;

    assert_non_null(f);
    for (;;) {
        line = json_loadf(f, JSON_DISABLE_EOF_CHECK, &e);
        if (!line)
            break;
        json_array_append_new(arr, line);
    }
    /* The loop stops only at the end of the file. */
    assert_true(feof(f) || strstr(e.text, "end of file"));
    fclose(f);
    return arr;
}

static const char *header_value(json_t *headers, const char *name)
{
    size_t i;
    json_t *pair;

    json_array_foreach(headers, i, pair)
    {
        if (strcmp(json_string_value(json_array_get(pair, 0)), name) == 0)
            return json_string_value(json_array_get(pair, 1));
    }
    return NULL;
}

static void test_sandbox_writes_email_line(void **state)
{
    struct fixture *fx = *state;
    const char *kv[] = {fx->setting, NULL};
    struct bode_message m = email();
    struct bode_provider_result r;
    struct bode_provider *p = make(kv);
    json_t *all;
    json_t *rec;
    json_t *headers;

    assert_non_null(p);
    assert_int_equal(fake_deliver(p, &m, 1000, &r), BODE_OK);
    assert_int_equal(r.outcome, BODE_OUTCOME_DELIVERED);
    assert_string_equal(r.reference, ID);
    all = read_outbox(fx->outbox);
    assert_int_equal(json_array_size(all), 1);
    rec = json_array_get(all, 0);
    assert_string_equal(json_string_value(json_object_get(rec, "id")), ID);
    assert_string_equal(json_string_value(json_object_get(rec, "channel")),
                        "email");
    assert_string_equal(json_string_value(json_object_get(rec, "text")),
                        "Hello\nthere");
    assert_string_equal(json_string_value(json_object_get(rec, "html")),
                        "<p>Hello</p>");
    assert_non_null(json_string_value(json_object_get(rec, "sent_at")));
    headers = json_object_get(rec, "headers");
    assert_string_equal(header_value(headers, "Subject"),
                        "=?UTF-8?Q?Caf=C3=A9_news?=");
    assert_string_equal(header_value(headers, "From"),
                        "\"Service\" <notify@service.example>");
    assert_string_equal(header_value(headers, "Message-ID"),
                        "<" ID "@service.example>");
    assert_string_equal(header_value(headers, "List-Unsubscribe-Post"),
                        "List-Unsubscribe=One-Click");
    /* Folded headers are unfolded. */
    assert_int_equal(strncmp(header_value(headers, "Content-Type"),
                             "multipart/alternative; boundary=\"=_bode_", 40),
                     0);
    json_decref(all);
    bode_provider_ops(p)->destroy(p);
}

static void test_sandbox_writes_sms_line(void **state)
{
    struct fixture *fx = *state;
    const char *kv[] = {fx->setting, NULL};
    struct bode_message m;
    struct bode_provider_result r;
    struct bode_provider *p = make(kv);
    json_t *all;
    json_t *rec;

    memset(&m, 0, sizeof(m));
    m.id = ID;
    m.channel = BODE_CHANNEL_SMS;
    m.to = "447700900123";
    m.sms_text = "Service: your code is 1234";
    m.sms_sender = "Service";
    m.reference = "ref-1";
    assert_int_equal(fake_deliver(p, &m, 1000, &r), BODE_OK);
    assert_int_equal(r.outcome, BODE_OUTCOME_DELIVERED);
    all = read_outbox(fx->outbox);
    rec = json_array_get(all, json_array_size(all) - 1);
    assert_string_equal(json_string_value(json_object_get(rec, "channel")),
                        "sms");
    assert_string_equal(json_string_value(json_object_get(rec, "sms_text")),
                        m.sms_text);
    assert_string_equal(json_string_value(json_object_get(rec, "reference")),
                        "ref-1");
    json_decref(all);
    bode_provider_ops(p)->destroy(p);
}

static void test_sandbox_refuses_injection(void **state)
{
    struct fixture *fx = *state;
    const char *kv[] = {fx->setting, NULL};
    const struct bode_provider_ops *ops = bode_provider_find("sandbox");
    struct bode_message m = email();
    struct bode_delivery d;
    struct bode_provider_result r;
    struct bode_provider *p = make(kv);
    json_t *before = read_outbox(fx->outbox);
    json_t *after;

    memset(&d, 0, sizeof(d));
    m.subject = "a\r\nBcc: victim@example.com";
    assert_int_equal(ops->start(p, &m, &d, &r), BODE_ERR_INVALID);
    assert_non_null(strstr(r.detail, "subject"));
    m = email();
    m.text = "not utf-8 \xff";
    assert_int_equal(ops->start(p, &m, &d, &r), BODE_ERR_INVALID);
    after = read_outbox(fx->outbox);
    assert_int_equal(json_array_size(after), json_array_size(before));
    json_decref(before);
    json_decref(after);
    ops->destroy(p);
}

static void test_sandbox_default_path_and_errors(void **state)
{
    struct fixture *fx = *state;
    const struct bode_provider_ops *ops = bode_provider_find("sandbox");
    char data[160];
    char path[200];
    const char *kv[] = {data, NULL};
    const char *bad[] = {"BODE_SANDBOX_OUTBOX=/nonexistent/dir/outbox.jsonl",
                         NULL};
    struct bode_message m = email();
    struct bode_provider_result r;
    struct bode_provider *p = NULL;
    char why[256];

    /* Nothing touches the disk until the first message. */
    snprintf(data, sizeof(data), "BODE_DATA_DIR=%s/data", fx->dir);
    snprintf(path, sizeof(path), "%s/data/outbox.jsonl", fx->dir);
    assert_int_equal(ops->create(fake_setting, kv, &p, why, sizeof(why)),
                     BODE_OK);
    assert_int_not_equal(access(path, F_OK), 0);
    assert_int_equal(fake_deliver(p, &m, 1000, &r), BODE_OK);
    assert_int_equal(r.outcome, BODE_OUTCOME_DELIVERED);
    assert_int_equal(access(path, W_OK), 0);
    ops->destroy(p);
    /* An outbox that cannot be opened: create succeeds (an API process
     * never writes), each delivery fails temporarily and says why. */
    assert_int_equal(ops->create(fake_setting, bad, &p, why, sizeof(why)),
                     BODE_OK);
    assert_int_equal(fake_deliver(p, &m, 1000, &r), BODE_OK);
    assert_int_equal(r.outcome, BODE_OUTCOME_TEMPORARY);
    assert_non_null(strstr(r.detail, "cannot open /nonexistent/dir"));
    ops->destroy(p);
}

/* Four processes append 150 large messages each at once: every line must
 * come out whole. */
static void test_sandbox_concurrent_appends(void **state)
{
    struct fixture *fx = *state;
    char outbox[160];
    char setting[200];
    const char *kv[] = {setting, NULL};
    static char text[30000];
    pid_t kids[4];
    json_t *all;
    json_t *rec;
    size_t counts[4] = {0, 0, 0, 0};
    size_t i;
    int k;
    int status;

    snprintf(outbox, sizeof(outbox), "%s/busy.jsonl", fx->dir);
    snprintf(setting, sizeof(setting), "BODE_SANDBOX_OUTBOX=%s", outbox);
    for (k = 0; k < 4; k++) {
        kids[k] = fork();
        assert_true(kids[k] >= 0);
        if (kids[k] == 0) {
            struct bode_provider *p = make(kv);
            struct bode_message m = email();
            struct bode_provider_result r;
            char ref[8];
            size_t j;

            for (j = 0; j < sizeof(text) - 1; j++)
                text[j] = (char)('a' + (j + (size_t)k) % 26);
            text[sizeof(text) - 1] = '\0';
            m.text = text;
            snprintf(ref, sizeof(ref), "%d", k);
            m.reference = ref;
            for (j = 0; j < 150; j++)
                if (fake_deliver(p, &m, 1000, &r) != BODE_OK ||
                    r.outcome != BODE_OUTCOME_DELIVERED)
                    _exit(1);
            bode_provider_ops(p)->destroy(p);
            _exit(0);
        }
    }
    for (k = 0; k < 4; k++) {
        assert_int_equal(waitpid(kids[k], &status, 0), kids[k]);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    all = read_outbox(outbox);
    assert_int_equal(json_array_size(all), 600);
    json_array_foreach(all, i, rec)
    {
        const char *ref = json_string_value(json_object_get(rec, "reference"));
        assert_non_null(ref);
        k = ref[0] - '0';
        assert_in_range(k, 0, 3);
        assert_int_equal(
            strlen(json_string_value(json_object_get(rec, "text"))),
            sizeof(text) - 1);
        counts[k]++;
    }
    for (k = 0; k < 4; k++)
        assert_int_equal(counts[k], 150);
    json_decref(all);
}

static void test_sandbox_alloc_failures(void **state)
{
    struct fixture *fx = *state;
    const char *kv[] = {fx->setting, NULL};
    const struct bode_provider_ops *ops = bode_provider_find("sandbox");
    struct bode_message m = email();
    struct bode_delivery d;
    struct bode_provider_result r;
    struct bode_provider *p = make(kv);
    enum bode_err err;
    long count;
    long i;

    bode_alloc_fail_after(1000000);
    memset(&d, 0, sizeof(d));
    assert_int_equal(ops->start(p, &m, &d, &r), BODE_OK);
    count = bode_alloc_count();
    for (i = 0; i < count; i++) {
        bode_alloc_fail_after(i);
        err = ops->start(p, &m, &d, &r);
        bode_alloc_fail_after(-1);
        assert_true(err == BODE_ERR_NOMEM || err == BODE_OK);
        assert_null(d.easy);
    }
    ops->destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sandbox_writes_email_line),
        cmocka_unit_test(test_sandbox_writes_sms_line),
        cmocka_unit_test(test_sandbox_refuses_injection),
        cmocka_unit_test(test_sandbox_default_path_and_errors),
        cmocka_unit_test(test_sandbox_concurrent_appends),
        cmocka_unit_test(test_sandbox_alloc_failures),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
