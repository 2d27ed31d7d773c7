/* Tests for files sent as attachments through the providers: the MIME
 * structure (multipart/mixed around the alternative, base64 lines, file
 * name encodings RFC 2231 and 2047, content types), the http provider's
 * ${attachments} array, and the sandbox outbox record. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "bode/alloc.h"
#include "bode/provider.h"
#include "fakeserver.h"
#include "providers/provider_int.h"

#define ID "3f8b2a6c-1d4e-4f5a-9b7c-2e1d0c9b8a7f"

static const struct prov_mime_opts opts = {.now = 1700000000,
                                           .boundary = "=_bode_TEST"};
static unsigned char pdf[5000];
static struct bode_attachment files[2];

static struct bode_message email(void)
{
    struct bode_message m;
    size_t i;

    for (i = 0; i < sizeof(pdf); i++)
        pdf[i] = (unsigned char)(i * 31 + 7);
    memcpy(pdf, "%PDF-1.4", 8);
    files[0].filename = "report.pdf";
    files[0].mimetype = "application/pdf";
    files[0].data = pdf;
    files[0].len = sizeof(pdf);
    files[1].filename = "Pr\xc3\xbc"
                        "fbericht M\xc3\xa4rz 2026 with a rather long file "
                        "name.csv";
    files[1].mimetype = "text/csv";
    files[1].data = (const unsigned char *)"a,b\n1,2\n";
    files[1].len = 8;
    memset(&m, 0, sizeof(m));
    m.id = ID;
    m.channel = BODE_CHANNEL_EMAIL;
    m.to = "someone@example.com";
    m.from_address = "notify@service.example";
    m.from_name = "Example Service";
    m.subject = "Your files";
    m.text = "Attached: report.pdf\n";
    m.html = "<p>Attached: report.pdf</p>\n";
    m.attachments = files;
    m.n_attachments = 2;
    return m;
}

/* The lines of s, each checked: CRLF only, at most max octets. */
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
}

static int b64v(char c)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
                            "wxyz0123456789+/";
    const char *p = c ? strchr(a, c) : NULL;

    return p ? (int)(p - a) : -1;
}

/* Decodes the base64 lines from s up to the next "\r\n--", checking each
 * is at most 76 characters; returns the byte count written to out. */
static size_t decode_part(const char *s, unsigned char *out, size_t size)
{
    const char *end = strstr(s, "\r\n--");
    unsigned acc = 0;
    int bits = 0;
    size_t o = 0;
    size_t col = 0;

    assert_non_null(end);
    for (; s < end; s++) {
        int v;

        if (*s == '\r' || *s == '\n') {
            assert_true(col <= 76);
            col = 0;
            continue;
        }
        col++;
        if (*s == '=')
            continue;
        v = b64v(*s);
        assert_true(v >= 0);
        acc = acc << 6 | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            assert_true(o < size);
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    assert_true(col <= 76);
    return o;
}

static void test_prov_mime_build_mixed_structure(void **state)
{
    struct bode_message m = email();
    struct bode_buf b;
    char why[200] = "";
    unsigned char back[8000];
    const char *s;
    const char *p;
    size_t n;

    (void)state;
    bode_buf_init(&b, PROV_MIME_CAP);
    assert_int_equal(prov_mime_build(&m, &opts, &b, why, sizeof(why)), BODE_OK);
    s = bode_buf_str(&b);
    assert_lines(s, b.len, 78);
    assert_non_null(strstr(s, "Content-Type: multipart/mixed;\r\n"
                              " boundary=\"=_bode_TEST\"\r\n"));
    /* The alternative inside, with a boundary that is neither a prefix of
     * the outer one nor has it as a prefix. */
    p = strstr(s, "\r\n--=_bode_TEST\r\nContent-Type: multipart/alternative;"
                  "\r\n boundary=\"alt=_bode_TEST\"\r\n\r\n\r\n"
                  "--alt=_bode_TEST\r\nContent-Type: text/plain");
    assert_non_null(p);
    assert_non_null(strstr(p, "\r\n--alt=_bode_TEST--\r\n"));
    /* The PDF: plain ASCII name, base64, bytes as sent. */
    p = strstr(s, "\r\n--=_bode_TEST\r\nContent-Type: application/pdf;\r\n"
                  " name=\"report.pdf\"\r\nContent-Disposition: attachment;"
                  "\r\n filename=\"report.pdf\"\r\n"
                  "Content-Transfer-Encoding: base64\r\n\r\n");
    assert_non_null(p);
    p = strstr(p, "\r\n\r\n") + 4;
    n = decode_part(p, back, sizeof(back));
    assert_int_equal(n, sizeof(pdf));
    assert_memory_equal(back, pdf, n);
    /* The CSV: an RFC 2047 name and RFC 2231 continuations. */
    p = strstr(s, "Content-Type: text/csv;\r\n name=\"=?UTF-8?Q?Pr=C3=BC");
    assert_non_null(p);
    assert_non_null(strstr(p,
                           "Content-Disposition: attachment;\r\n"
                           " filename*0*=UTF-8''Pr%C3%BCfbericht%20M%C3%A4rz"));
    assert_non_null(strstr(p, ";\r\n filename*1*="));
    p = strstr(p, "\r\n\r\n") + 4;
    n = decode_part(p, back, sizeof(back));
    assert_int_equal(n, 8);
    assert_memory_equal(back, "a,b\n1,2\n", 8);
    assert_non_null(strstr(s, "\r\n--=_bode_TEST--\r\n"));
    bode_buf_release(&b);
}

static void test_prov_mime_build_mixed_single_part(void **state)
{
    struct bode_message m = email();
    struct bode_buf b;
    char why[200] = "";
    const char *s;

    (void)state;
    m.html = NULL;
    m.n_attachments = 1;
    bode_buf_init(&b, PROV_MIME_CAP);
    assert_int_equal(prov_mime_build(&m, &opts, &b, why, sizeof(why)), BODE_OK);
    s = bode_buf_str(&b);
    assert_non_null(strstr(s, "\r\n--=_bode_TEST\r\nContent-Type: text/plain;"
                              " charset=utf-8\r\n"));
    assert_null(strstr(s, "multipart/alternative"));
    bode_buf_release(&b);
}

static void test_prov_mime_short_utf8_name_and_bad_types(void **state)
{
    struct bode_message m = email();
    struct bode_buf b;
    char why[200] = "";

    (void)state;
    files[1].filename = "\xc3\xa9t\xc3\xa9.csv";
    bode_buf_init(&b, PROV_MIME_CAP);
    assert_int_equal(prov_mime_build(&m, &opts, &b, why, sizeof(why)), BODE_OK);
    assert_non_null(strstr(bode_buf_str(&b),
                           ";\r\n filename*=UTF-8''%C3%A9t%C3%A9.csv\r\n"));
    bode_buf_release(&b);
    /* A name with a control character is still encoded, never raw. */
    files[1].filename = "a\r\nBcc: x@example.com.csv";
    bode_buf_init(&b, PROV_MIME_CAP);
    assert_int_equal(prov_mime_build(&m, &opts, &b, why, sizeof(why)), BODE_OK);
    assert_null(strstr(bode_buf_str(&b), "\r\nBcc:"));
    assert_non_null(strstr(bode_buf_str(&b), "a%0D%0ABcc%3A%20x%40"));
    bode_buf_release(&b);
    files[1].mimetype = "text/csv\r\nX: y";
    bode_buf_init(&b, PROV_MIME_CAP);
    assert_int_equal(prov_mime_build(&m, &opts, &b, why, sizeof(why)),
                     BODE_ERR_INVALID);
    assert_string_equal(why, "attachment has no name or type");
    bode_buf_release(&b);
    m = email();
    files[0].filename = "";
    assert_int_equal(prov_mime_check(&m, NULL, why, sizeof(why)),
                     BODE_ERR_INVALID);
}

static void test_http_attachments_array(void **state)
{
    static const char *const args[] = {NULL};
    struct fake_server gw;
    char url[160];
    const char *kv[] = {url,
                        "BODE_HTTP_BODY_TEMPLATE={\"id\":\"${id}\","
                        "\"files\":${attachments}}",
                        NULL};
    const char *plain[] = {url, NULL};
    const struct bode_provider_ops *ops = bode_provider_find("http");
    struct bode_provider *p = NULL;
    struct bode_provider_result r;
    struct bode_delivery d;
    struct bode_message m = email();
    char why[200] = "";
    json_t *all;
    json_t *arr;
    json_t *rec;

    (void)state;
    bode_alloc_install_json();
    assert_int_equal(fake_server_start(&gw, "webhook.py", args), 0);
    snprintf(url, sizeof(url), "BODE_HTTP_URL=%s/ok", gw.url);
    assert_int_equal(ops->create(fake_setting, kv, &p, why, sizeof(why)),
                     BODE_OK);
    assert_int_equal(fake_deliver(p, &m, 5000, &r), BODE_OK);
    all = fake_server_requests(&gw);
    rec = json_array_get(all, json_array_size(all) - 1);
    arr = json_object_get(json_object_get(rec, "json"), "files");
    assert_int_equal(json_array_size(arr), 2);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(arr, 0), "content_type")),
                        "application/pdf");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(arr, 1), "filename")),
        files[1].filename);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(arr, 1), "content")),
        "YSxiCjEsMgo=");
    json_decref(all);
    ops->destroy(p);
    /* The default template has no place for files: refused, not dropped. */
    p = NULL;
    assert_int_equal(ops->create(fake_setting, plain, &p, why, sizeof(why)),
                     BODE_OK);
    memset(&d, 0, sizeof(d));
    assert_int_equal(ops->start(p, &m, &d, &r), BODE_ERR_INVALID);
    assert_null(d.easy);
    ops->destroy(p);
    fake_server_stop(&gw);
}

static void test_sandbox_records_attachments(void **state)
{
    char dir[256];
    char outbox[300];
    char setting[320];
    char line[8192];
    const char *kv[] = {setting, NULL};
    const struct bode_provider_ops *ops = bode_provider_find("sandbox");
    struct bode_provider *p = NULL;
    struct bode_provider_result r;
    struct bode_delivery d;
    struct bode_message m = email();
    char why[200] = "";
    json_error_t jerr;
    json_t *rec;
    json_t *a;
    FILE *f;

    (void)state;
    assert_int_equal(fake_tmpdir(dir, sizeof(dir)), 0);
    snprintf(outbox, sizeof(outbox), "%s/outbox.jsonl", dir);
    snprintf(setting, sizeof(setting), "BODE_SANDBOX_OUTBOX=%s", outbox);
    assert_int_equal(ops->create(fake_setting, kv, &p, why, sizeof(why)),
                     BODE_OK);
    memset(&d, 0, sizeof(d));
    assert_int_equal(ops->start(p, &m, &d, &r), BODE_OK);
    ops->release(p, &d);
    f = fopen(outbox, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof(line), f));
    fclose(f);
    rec = json_loads(line, 0, &jerr);
    assert_non_null(rec);
    a = json_array_get(json_object_get(rec, "attachments"), 1);
    assert_string_equal(json_string_value(json_object_get(a, "content_type")),
                        "text/csv");
    assert_int_equal(json_integer_value(json_object_get(a, "size")), 8);
    /* sha256("a,b\n1,2\n"); never the bytes themselves. */
    assert_int_equal(strlen(json_string_value(json_object_get(a, "sha256"))),
                     64);
    assert_null(strstr(line, "YSxiCjEsMgo="));
    json_decref(rec);
    ops->destroy(p);
    fake_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prov_mime_build_mixed_structure),
        cmocka_unit_test(test_prov_mime_build_mixed_single_part),
        cmocka_unit_test(test_prov_mime_short_utf8_name_and_bad_types),
        cmocka_unit_test(test_http_attachments_array),
        cmocka_unit_test(test_sandbox_records_attachments),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
