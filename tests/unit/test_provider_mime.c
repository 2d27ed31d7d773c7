/* Tests for the email builder shared by the SMTP, SES and sandbox
 * providers: quoted-printable, RFC 2047 encoded-words, header folding and
 * line limits, the MIME structure, and refusal of header injection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "bode/alloc.h"
#include "providers/provider_int.h"

#define NOW ((time_t)1700000000) /* Tue, 14 Nov 2023 22:13:20 +0000 */

static struct bode_message email(void)
{
    struct bode_message m;

    memset(&m, 0, sizeof(m));
    m.id = "3f8b2a6c-1d4e-4f5a-9b7c-2e1d0c9b8a7f";
    m.channel = BODE_CHANNEL_EMAIL;
    m.to = "someone@example.com";
    m.from_address = "notify@service.example";
    m.from_name = "Example Service";
    m.subject = "Your application";
    m.text = "Hello\nWorld\n";
    m.html = "<p>Hello</p>\n";
    return m;
}

static const struct prov_mime_opts opts = {.now = NOW,
                                           .boundary = "=_bode_TEST"};

/* Every line of s[0..n) ends CRLF, is at most max octets, and there is no
 * bare CR or LF. */
static void assert_lines(const char *s, size_t n, size_t max)
{
    size_t start = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        if (s[i] == '\r') {
            assert_true(i + 1 < n && s[i + 1] == '\n');
            assert_true(i - start <= max);
            start = i + 2;
            i++;
        } else {
            assert_true(s[i] != '\n');
        }
    }
    assert_true(n - start <= max);
}

static void qp(const char *in, const char *want)
{
    struct bode_buf b;

    bode_buf_init(&b, 1 << 20);
    assert_int_equal(prov_qp_add(&b, in, strlen(in)), BODE_OK);
    assert_string_equal(bode_buf_str(&b), want);
    bode_buf_release(&b);
}

static void test_prov_qp_add_escapes(void **state)
{
    (void)state;
    qp("plain text", "plain text");
    qp("a=b", "a=3Db");
    qp("caf\xc3\xa9", "caf=C3=A9");
    qp("trailing \nspace\t\n", "trailing=20\r\nspace=09\r\n");
    qp("crlf\r\nkept", "crlf\r\nkept");
    qp("lone\rcr", "lone=0Dcr");
    qp(".dot\n.again", "=2Edot\r\n=2Eagain");
    qp("From here\nFrom", "=46rom here\r\nFrom");
    qp("end space ", "end space=20");
}

static void test_prov_qp_add_wraps_at_76(void **state)
{
    char in[400];
    struct bode_buf b;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(in) - 1; i++)
        in[i] = i % 7 == 0 ? '=' : 'x';
    in[sizeof(in) - 1] = '\0';
    bode_buf_init(&b, 1 << 20);
    assert_int_equal(prov_qp_add(&b, in, strlen(in)), BODE_OK);
    assert_lines(b.data, b.len, 76);
    /* Soft breaks never split an =XX escape. */
    assert_null(strstr(b.data, "=\r\n3D"));
    assert_null(strstr(b.data, "=3=\r\n"));
    bode_buf_release(&b);
}

static void test_prov_ew_add_encodes_and_splits(void **state)
{
    struct bode_buf b;
    char subject[600];
    const char *p;
    size_t i;

    (void)state;
    bode_buf_init(&b, 1 << 20);
    assert_int_equal(prov_ew_add(&b, "H\xc3\xa9llo w=rld?", 9, true), BODE_OK);
    assert_string_equal(bode_buf_str(&b), "=?UTF-8?Q?H=C3=A9llo_w=3Drld=3F?=");
    bode_buf_reset(&b);
    /* 150 two-byte characters: several words, each at most 75 long, and
     * no character split across two. */
    for (i = 0; i < 300; i += 2) {
        subject[i] = '\xc3';
        subject[i + 1] = '\xa9';
    }
    subject[300] = '\0';
    assert_int_equal(prov_ew_add(&b, subject, 9, true), BODE_OK);
    assert_lines(b.data, b.len, 76);
    for (p = b.data; (p = strstr(p, "=?UTF-8?Q?")) != NULL; p++) {
        const char *end = strstr(p, "?=");
        assert_non_null(end);
        assert_true(end + 2 - p <= 75);
        /* A word starts with the first byte of a character. */
        assert_memory_equal(p + 10, "=C3", 3);
    }
    bode_buf_release(&b);
}

static void test_prov_header_text_is_safe_refuses_breaks(void **state)
{
    (void)state;
    assert_true(prov_header_text_is_safe("Plain \xe2\x9c\x93 text\tok"));
    assert_false(prov_header_text_is_safe("a\r\nBcc: x@y.z"));
    assert_false(prov_header_text_is_safe("a\nb"));
    assert_false(prov_header_text_is_safe("a\rb"));
    assert_false(prov_header_text_is_safe("line\xe2\x80\xa8sep"));
    assert_false(prov_header_text_is_safe("para\xe2\x80\xa9sep"));
    assert_false(prov_header_text_is_safe("bad \xc3"));
    assert_false(prov_header_text_is_safe("overlong \xc0\xaf"));
    assert_false(prov_header_text_is_safe("del \x7f"));
    assert_false(prov_header_text_is_safe("c1 \xc2\x85"));
    assert_false(prov_header_text_is_safe(NULL));
}

static void test_prov_address_is_safe(void **state)
{
    (void)state;
    assert_true(prov_address_is_safe("a@b.c"));
    assert_true(prov_address_is_safe("first.last+tag@xn--bcher-kva.example"));
    assert_false(prov_address_is_safe("a@b.c\r\nRCPT TO:<x@y>"));
    assert_false(prov_address_is_safe("a b@c.d"));
    assert_false(prov_address_is_safe("<a@b.c>"));
    assert_false(prov_address_is_safe("a@b@c"));
    assert_false(prov_address_is_safe("@b.c"));
    assert_false(prov_address_is_safe("a@"));
    assert_false(prov_address_is_safe("\"q\"@b.c"));
    assert_false(prov_address_is_safe("caf\xc3\xa9@b.c"));
}

static void test_prov_mime_build_structure(void **state)
{
    struct bode_message m = email();
    struct bode_buf b;
    char why[200];
    const char *body;

    (void)state;
    m.reply_to = "replies@service.example";
    m.one_click_unsubscribe_url = "https://service.example/unsub?t=abc";
    bode_buf_init(&b, PROV_MIME_CAP);
    assert_int_equal(prov_mime_build(&m, &opts, &b, why, sizeof(why)), BODE_OK);
    assert_lines(b.data, b.len, 78);
    assert_non_null(
        strstr(b.data, "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"));
    assert_non_null(strstr(b.data,
                           "Message-ID: <3f8b2a6c-1d4e-4f5a-9b7c-2e1d0c9b8a7f@"
                           "service.example>\r\n"));
    assert_non_null(strstr(
        b.data, "From: \"Example Service\" <notify@service.example>\r\n"));
    assert_non_null(strstr(b.data, "Reply-To: replies@service.example\r\n"));
    assert_non_null(strstr(b.data, "To: someone@example.com\r\n"));
    assert_non_null(strstr(b.data, "Subject: Your application\r\n"));
    assert_non_null(strstr(b.data, "MIME-Version: 1.0\r\n"));
    assert_non_null(strstr(
        b.data, "List-Unsubscribe: <https://service.example/unsub?t=abc>\r\n"
                "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"));
    assert_non_null(strstr(b.data, "Content-Type: multipart/alternative;\r\n"
                                   " boundary=\"=_bode_TEST\"\r\n\r\n"));
    body = strstr(b.data, "\r\n\r\n");
    assert_non_null(body);
    assert_non_null(strstr(body, "\r\n--=_bode_TEST\r\n"
                                 "Content-Type: text/plain; charset=utf-8\r\n"
                                 "Content-Transfer-Encoding: quoted-printable"
                                 "\r\n\r\nHello\r\nWorld\r\n\r\n--=_bode_TEST"
                                 "\r\nContent-Type: text/html; charset=utf-8"));
    assert_non_null(strstr(body, "<p>Hello</p>\r\n\r\n--=_bode_TEST--\r\n"));
    bode_buf_release(&b);
}

static void test_prov_mime_build_single_part(void **state)
{
    struct bode_message m = email();
    struct bode_buf b;
    char why[200];

    (void)state;
    m.html = NULL;
    m.text = "No newline at the end";
    bode_buf_init(&b, PROV_MIME_CAP);
    assert_int_equal(prov_mime_build(&m, &opts, &b, why, sizeof(why)), BODE_OK);
    assert_null(strstr(b.data, "multipart"));
    assert_non_null(strstr(b.data,
                           "Content-Type: text/plain; charset=utf-8\r\n"
                           "Content-Transfer-Encoding: quoted-printable\r\n"
                           "\r\nNo newline at the end\r\n"));
    /* The message ends with a line break, as SMTP DATA wants. */
    assert_memory_equal(b.data + b.len - 2, "\r\n", 2);
    bode_buf_release(&b);
}

static void test_prov_mime_build_non_latin_uses_base64(void **state)
{
    /* Greek: two bytes a character, so quoted-printable would triple it. */
    static const char greek[] = "\xce\x93\xce\xb5\xce\xb9\xce\xac "
                                "\xcf\x83\xce\xb1\xcf\x82\n";
    struct bode_message m = email();
    struct bode_buf b;
    char why[200];

    (void)state;
    m.text = greek;
    m.html = NULL;
    m.subject = "\xce\x93\xce\xb5\xce\xb9\xce\xac";
    m.from_name = "\xce\x94\xce\xae\xce\xbc\xce\xbf\xcf\x82";
    bode_buf_init(&b, PROV_MIME_CAP);
    assert_int_equal(prov_mime_build(&m, &opts, &b, why, sizeof(why)), BODE_OK);
    assert_non_null(strstr(b.data, "Content-Transfer-Encoding: base64\r\n"));
    assert_non_null(strstr(b.data, "\r\n\r\nzpPOtc65zqwgz4POsc+CDQo=\r\n"));
    assert_non_null(strstr(b.data, "Subject: =?UTF-8?Q?=CE=93=CE=B5"));
    assert_non_null(strstr(b.data,
                           "From: =?UTF-8?Q?=CE=94=CE=AE=CE=BC=CE=BF=CF=82?= "
                           "<notify@service.example>\r\n"));
    bode_buf_release(&b);
}

static void test_prov_mime_build_line_limits(void **state)
{
    static char text[20000];
    static char subject[3000];
    struct bode_message m = email();
    struct bode_buf b;
    char why[200];
    const char *body;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(text) - 1; i++)
        text[i] = "ab c\xc3\xa9"[i % 6];
    text[sizeof(text) - 1] = '\0';
    for (i = 0; i < sizeof(subject) - 1; i++)
        subject[i] = i % 5 ? 'x' : ' ';
    subject[0] = 'S';
    subject[sizeof(subject) - 1] = '\0';
    m.text = text;
    m.html = text;
    m.subject = subject;
    bode_buf_init(&b, PROV_MIME_CAP);
    assert_int_equal(prov_mime_build(&m, &opts, &b, why, sizeof(why)), BODE_OK);
    body = strstr(b.data, "\r\n\r\n");
    /* Headers fold under 78; bodies stay within quoted-printable's 76. */
    assert_lines(b.data, (size_t)(body - b.data), 78);
    assert_lines(b.data, b.len, 998);
    assert_lines(body, b.len - (size_t)(body - b.data), 76);
    bode_buf_release(&b);
}

static void test_prov_mime_build_refuses_injection(void **state)
{
    static const char *const bad[] = {"Hi\r\nBcc: victim@example.com",
                                      "Hi\nBcc: victim@example.com", "Hi\rX",
                                      "Hi\xe2\x80\xa8X", "bad\xff"};
    struct bode_message m;
    struct bode_buf b;
    char why[200];
    size_t i;

    (void)state;
    bode_buf_init(&b, PROV_MIME_CAP);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        m = email();
        m.subject = bad[i];
        why[0] = '\0';
        assert_int_equal(prov_mime_build(&m, &opts, &b, why, sizeof(why)),
                         BODE_ERR_INVALID);
        assert_non_null(strstr(why, "subject"));
        m = email();
        m.from_name = bad[i];
        assert_int_equal(prov_mime_build(&m, &opts, &b, why, sizeof(why)),
                         BODE_ERR_INVALID);
    }
    m = email();
    m.to = "a@b.c\r\nBcc: victim@example.com";
    assert_int_equal(prov_mime_build(&m, &opts, &b, why, sizeof(why)),
                     BODE_ERR_INVALID);
    m = email();
    m.reply_to = "r@b.c\nBcc: x@y.z";
    assert_int_equal(prov_mime_build(&m, &opts, &b, why, sizeof(why)),
                     BODE_ERR_INVALID);
    m = email();
    m.one_click_unsubscribe_url = "https://x.example/u>\r\nBcc: x@y.z";
    assert_int_equal(prov_mime_build(&m, &opts, &b, why, sizeof(why)),
                     BODE_ERR_INVALID);
    m = email();
    m.id = "id\r\nX: y";
    assert_int_equal(prov_mime_build(&m, &opts, &b, why, sizeof(why)),
                     BODE_ERR_INVALID);
    m = email();
    m.text = NULL;
    m.html = "";
    assert_int_equal(prov_mime_build(&m, &opts, &b, why, sizeof(why)),
                     BODE_ERR_INVALID);
    bode_buf_release(&b);
}

static void test_prov_mime_build_quotes_display_names(void **state)
{
    struct bode_message m = email();
    struct bode_buf b;
    char why[200];

    (void)state;
    m.from_name = "Dept. of \"Things\", \\ Stuff";
    m.subject = "=?UTF-8?Q?looks_encoded?=";
    bode_buf_init(&b, PROV_MIME_CAP);
    assert_int_equal(prov_mime_build(&m, &opts, &b, why, sizeof(why)), BODE_OK);
    assert_non_null(strstr(b.data, "From: \"Dept. of \\\"Things\\\", \\\\ "
                                   "Stuff\" <notify@service.example>\r\n"));
    /* Text that looks like an encoded-word is encoded so it reads back
     * literally. */
    assert_non_null(strstr(b.data, "Subject: =?UTF-8?Q?=3D=3FUTF-8=3FQ=3F"));
    bode_buf_reset(&b);
    assert_int_equal(prov_mime_mailbox(&b, "Caf\xc3\xa9", "a@b.c"), BODE_OK);
    assert_string_equal(bode_buf_str(&b), "=?UTF-8?Q?Caf=C3=A9?= <a@b.c>");
    bode_buf_reset(&b);
    assert_int_equal(prov_mime_mailbox(&b, NULL, "a@b.c"), BODE_OK);
    assert_string_equal(bode_buf_str(&b), "a@b.c");
    bode_buf_release(&b);
}

static void test_prov_mime_build_random_boundary(void **state)
{
    struct bode_message m = email();
    struct prov_mime_opts o = {.now = NOW};
    struct bode_buf a;
    struct bode_buf b;
    char why[200];

    (void)state;
    bode_buf_init(&a, PROV_MIME_CAP);
    bode_buf_init(&b, PROV_MIME_CAP);
    assert_int_equal(prov_mime_build(&m, &o, &a, why, sizeof(why)), BODE_OK);
    assert_int_equal(prov_mime_build(&m, &o, &b, why, sizeof(why)), BODE_OK);
    assert_non_null(strstr(a.data, "boundary=\"=_bode_"));
    assert_string_not_equal(a.data, b.data);
    bode_buf_release(&a);
    bode_buf_release(&b);
}

static void test_prov_mime_build_alloc_failures(void **state)
{
    struct bode_message m = email();
    struct bode_buf b;
    char why[200];
    long count;
    long i;
    enum bode_err err;

    (void)state;
    m.subject = "Caf\xc3\xa9 news";
    bode_alloc_fail_after(-1);
    bode_alloc_fail_after(1000000);
    bode_buf_init(&b, PROV_MIME_CAP);
    assert_int_equal(prov_mime_build(&m, &opts, &b, why, sizeof(why)), BODE_OK);
    count = bode_alloc_count();
    bode_buf_release(&b);
    for (i = 0; i < count; i++) {
        bode_alloc_fail_after(i);
        bode_buf_init(&b, PROV_MIME_CAP);
        err = prov_mime_build(&m, &opts, &b, why, sizeof(why));
        bode_alloc_fail_after(-1);
        assert_int_equal(err, BODE_ERR_NOMEM);
        bode_buf_release(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prov_qp_add_escapes),
        cmocka_unit_test(test_prov_qp_add_wraps_at_76),
        cmocka_unit_test(test_prov_ew_add_encodes_and_splits),
        cmocka_unit_test(test_prov_header_text_is_safe_refuses_breaks),
        cmocka_unit_test(test_prov_address_is_safe),
        cmocka_unit_test(test_prov_mime_build_structure),
        cmocka_unit_test(test_prov_mime_build_single_part),
        cmocka_unit_test(test_prov_mime_build_non_latin_uses_base64),
        cmocka_unit_test(test_prov_mime_build_line_limits),
        cmocka_unit_test(test_prov_mime_build_refuses_injection),
        cmocka_unit_test(test_prov_mime_build_quotes_display_names),
        cmocka_unit_test(test_prov_mime_build_random_boundary),
        cmocka_unit_test(test_prov_mime_build_alloc_failures),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
