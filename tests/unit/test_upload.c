/* Tests for upload personalisation values (api/upload.c): Notify's schema
 * and document-store checks and texts, Python-compatible base64, file
 * types by name and by content, and the packed document form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "api/upload.h"
#include "bode/buf.h"

static const char supported[] = "Supported types are: '.csv, .doc, .docx, "
                                ".jpeg, .jpg, .odt, .pdf, .png, .rtf, .txt, "
                                ".xlsx'";

/* Parses the JSON text j; returns the error (and fills u and e). */
static enum bode_err parse(const char *j, struct bode_upload *u,
                           struct bode_upload_error *e)
{
    json_error_t jerr;
    json_t *v = json_loads(j, 0, &jerr);
    enum bode_err err;

    assert_non_null(v);
    err = bode_upload_parse(v, u, e);
    json_decref(v);
    return err;
}

static void expect_error(const char *j, int status, const char *type,
                         const char *message)
{
    struct bode_upload u;
    struct bode_upload_error e;

    assert_int_equal(parse(j, &u, &e), BODE_ERR_INVALID);
    assert_int_equal(e.status, status);
    assert_string_equal(e.type, type);
    assert_string_equal(e.message, message);
    bode_upload_release(&u);
}

/* The decoded bytes of a base64 text sent as the file, or NULL when it is
 * refused; *n set. */
static unsigned char *decode(const char *b64, size_t *n)
{
    char j[512];
    struct bode_upload u;
    struct bode_upload_error e;
    unsigned char *out;

    snprintf(j, sizeof(j), "{\"file\": \"%s\", \"filename\": \"a.txt\"}", b64);
    if (parse(j, &u, &e)) {
        bode_upload_release(&u);
        return NULL;
    }
    *n = u.len;
    out = malloc(u.len + 1);
    assert_non_null(out);
    if (u.len)
        memcpy(out, u.data, u.len);
    bode_upload_release(&u);
    return out;
}

static void test_bode_upload_is_file_needs_a_file_member(void **state)
{
    json_t *yes = json_pack("{s:s}", "file", "");
    json_t *no = json_pack("{s:s}", "potato", "YQ==");
    json_t *str = json_string("file");

    (void)state;
    assert_true(bode_upload_is_file(yes));
    assert_false(bode_upload_is_file(no));
    assert_false(bode_upload_is_file(str));
    assert_false(bode_upload_is_file(NULL));
    json_decref(yes);
    json_decref(no);
    json_decref(str);
}

static void test_bode_upload_parse_defaults(void **state)
{
    struct bode_upload u;
    struct bode_upload_error e;

    (void)state;
    /* "a,b,c\n1,2,3\n" with every option null, as prepareUpload sends. */
    assert_int_equal(parse("{\"file\": \"YSxiLGMKMSwyLDMK\", \"filename\": "
                           "null, \"confirm_email_before_download\": null, "
                           "\"retention_period\": null}",
                           &u, &e),
                     BODE_OK);
    assert_true(u.confirm);
    assert_int_equal(u.weeks, 26);
    assert_string_equal(u.mimetype, "text/plain");
    assert_string_equal(u.extension, ".txt");
    assert_string_equal(u.filename, "");
    assert_int_equal(u.len, 12);
    assert_memory_equal(u.data, "a,b,c\n1,2,3\n", 12);
    bode_upload_release(&u);
    assert_int_equal(parse("{\"file\": \"YSxiLGMKMSwyLDMK\", \"is_csv\": "
                           "true, \"confirm_email_before_download\": false}",
                           &u, &e),
                     BODE_OK);
    assert_string_equal(u.mimetype, "text/csv");
    assert_false(u.confirm);
    bode_upload_release(&u);
}

static void test_bode_upload_parse_retention_period(void **state)
{
    static const struct {
        const char *v;
        int weeks;
    } ok[] = {{"1 week", 1},      {"1 weeks", 1},    {"78 weeks", 78},
              {" 26 WEEKS ", 26}, {"0078 week", 78}, {"2 Weeks\n", 2}};
    static const char *const bad[] = {
        "0 weeks", "79 weeks", "1 month",   "weeks", "1  weeks",
        "1weeks",  "-1 weeks", "1 weeks x", "",
    };
    struct bode_upload u;
    struct bode_upload_error e;
    char j[200];
    char want[300];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        json_t *v = json_pack("{s:s, s:s, s:s}", "file", "YQ==", "filename",
                              "a.txt", "retention_period", ok[i].v);

        assert_int_equal(bode_upload_parse(v, &u, &e), BODE_OK);
        assert_int_equal(u.weeks, ok[i].weeks);
        bode_upload_release(&u);
        json_decref(v);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *v =
            json_pack("{s:s, s:s}", "file", "YQ==", "retention_period", bad[i]);

        assert_int_equal(bode_upload_parse(v, &u, &e), BODE_ERR_INVALID);
        snprintf(want, sizeof(want),
                 "personalisation Unsupported value for retention_period: "
                 "%s. Supported periods are from 1 to 78 weeks.",
                 bad[i]);
        assert_string_equal(e.message, want);
        assert_string_equal(e.type, "ValidationError");
        bode_upload_release(&u);
        json_decref(v);
    }
    snprintf(j, sizeof(j), "{\"file\": \"YQ==\", \"retention_period\": 4}");
    expect_error(j, 400, "ValidationError",
                 "personalisation Unsupported value for retention_period: "
                 "4. Supported periods are from 1 to 78 weeks.");
}

static void test_bode_upload_parse_schema_texts(void **state)
{
    (void)state;
    expect_error("{\"file\": false}", 400, "ValidationError",
                 "personalisation False is not of type string");
    expect_error("{\"file\": \"YQ==\", \"other\": 1}", 400, "ValidationError",
                 "personalisation Additional properties are not allowed "
                 "(other was unexpected)");
    expect_error("{\"file\": \"YQ==\", \"filename\": \"nodot\"}", 400,
                 "ValidationError",
                 "personalisation `filename` must end with a file extension. "
                 "For example, filename.csv");
    expect_error("{\"file\": \"YQ==\", \"confirm_email_before_download\": "
                 "\"potato\"}",
                 400, "ValidationError",
                 "personalisation Unsupported value for "
                 "confirm_email_before_download: potato. Use a boolean true "
                 "or false value.");
    expect_error("{\"file\": \"YQ==\", \"is_csv\": \"bad\"}", 400,
                 "ValidationError",
                 "personalisation Unsupported value for is_csv: bad. Use a "
                 "boolean true or false value.");
    expect_error("{\"file\": \"YQ==\", \"is_csv\": true, \"filename\": "
                 "\"a.csv\"}",
                 400, "BadRequestError",
                 "Do not set a value for `is_csv` if `filename` is set.");
}

static void
test_bode_upload_parse_filename_length_counts_characters(void **state)
{
    char name[1024];
    char j[1200];
    size_t o = 0;
    int i;
    struct bode_upload u;
    struct bode_upload_error e;

    (void)state;
    /* 96 two-byte characters and ".pdf": 100 characters, 196 bytes. */
    for (i = 0; i < 96; i++) {
        name[o++] = (char)0xc3;
        name[o++] = (char)0xa9;
    }
    memcpy(name + o, ".pdf", 5);
    snprintf(j, sizeof(j), "{\"file\": \"JVBERg==\", \"filename\": \"%s\"}",
             name);
    assert_int_equal(parse(j, &u, &e), BODE_OK);
    assert_string_equal(u.filename, name);
    assert_string_equal(u.mimetype, "application/pdf");
    bode_upload_release(&u);
    snprintf(j, sizeof(j), "{\"file\": \"JVBERg==\", \"filename\": \"x%s\"}",
             name);
    expect_error(j, 400, "BadRequestError",
                 "`filename` cannot be longer than 100 characters");
}

static void test_bode_upload_parse_base64_as_python(void **state)
{
    static const struct {
        const char *in;
        const char *out;
    } ok[] = {{"YWJj", "abc"},   {"YW Jj\\n", "abc"},
              {"YWI=", "ab"},    {"YQ==", "a"},
              {"YQ", NULL},      {"QUJD=", "ABC"},
              {"YQ==YWI=", "a"}, {"Y*W!J#j", "abc"},
              {"YWJjZ", NULL},   {"YWJjZA===", "abcd"},
              {"", ""},          {"YQ=", NULL},
              {"YQ=x", NULL},    {"YQ==x", "a"},
              {"YWI=YQ", "ab"},  {"YQ=Y=", "a\x06"},
              {"Y=Q==", "a"},    {"=YQ==", "a"}};
    unsigned char *got;
    size_t i;
    size_t n = 0;

    (void)state;
    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        got = decode(ok[i].in, &n);
        if (!ok[i].out) {
            assert_null(got);
            continue;
        }
        assert_non_null(got);
        assert_int_equal(n, strlen(ok[i].out));
        assert_memory_equal(got, ok[i].out, n);
        free(got);
    }
    expect_error("{\"file\": \"YWJjZ\"}", 400, "BadRequestError",
                 "Document is not base64 encoded");
}

/* A file of n bytes starting with head, base64, as a JSON upload. */
static char *upload_of(const char *head, size_t head_len, size_t n,
                       const char *filename)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
                            "wxyz0123456789+/";
    unsigned char *raw = calloc(1, n + 3);
    char *j = malloc(n / 3 * 4 + 200);
    size_t o = 0;
    size_t i;

    assert_non_null(raw);
    assert_non_null(j);
    memcpy(raw, head, head_len < n ? head_len : n);
    memcpy(j, "{\"file\": \"", 10);
    o = 10;
    for (i = 0; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)raw[i] << 16 | raw[i + 1] << 8 | raw[i + 2];
        j[o++] = a[v >> 18 & 63];
        j[o++] = a[v >> 12 & 63];
        j[o++] = a[v >> 6 & 63];
        j[o++] = a[v & 63];
    }
    if (n - i) {
        uint32_t v = (uint32_t)raw[i] << 16 | (n - i == 2 ? raw[i + 1] : 0)
                                                  << 8;
        j[o++] = a[v >> 18 & 63];
        j[o++] = a[v >> 12 & 63];
        j[o++] = n - i == 2 ? a[v >> 6 & 63] : '=';
        j[o++] = '=';
    }
    o += (size_t)snprintf(j + o, 200, "\"%s%s%s}", filename ? ", " : "",
                          filename ? "\"filename\": " : "",
                          filename ? filename : "");
    free(raw);
    return j;
}

static void test_bode_upload_parse_size_limit(void **state)
{
    char *j;
    struct bode_upload u;
    struct bode_upload_error e;

    (void)state;
    j = upload_of("%PDF-", 5, BODE_UPLOAD_MAX_BYTES, NULL);
    assert_int_equal(parse(j, &u, &e), BODE_OK);
    assert_int_equal(u.len, BODE_UPLOAD_MAX_BYTES);
    bode_upload_release(&u);
    free(j);
    j = upload_of("%PDF-", 5, BODE_UPLOAD_MAX_BYTES + 1, NULL);
    expect_error(j, 413, "BadRequestError",
                 "Uploaded file exceeds file size limit");
    free(j);
}

static void expect_type(const char *head, size_t n, const char *filename,
                        const char *mimetype)
{
    char *j = upload_of(head, n, n + 64, filename);
    struct bode_upload u;
    struct bode_upload_error e;
    char want[400];

    if (mimetype[0] != '!') {
        assert_int_equal(parse(j, &u, &e), BODE_OK);
        assert_string_equal(u.mimetype, mimetype);
        bode_upload_release(&u);
    } else {
        snprintf(want, sizeof(want), "Unsupported file type '%s'. %s",
                 mimetype + 1, supported);
        expect_error(j, 400, "BadRequestError", want);
    }
    free(j);
}

static void test_bode_upload_parse_types(void **state)
{
    (void)state;
    expect_type("%PDF-1.7", 8, "\"A.PDF\"", "application/pdf");
    expect_type("anything", 8, "\"photo.JpG\"", "image/jpeg");
    expect_type("anything", 8, "\"sheet.xlsx\"",
                "application/vnd.openxmlformats-officedocument."
                "spreadsheetml.sheet");
    expect_type("anything", 8, "\"run.exe\"", "!.exe");
    expect_type("anything", 8, "\"archive.tar.gz\"", "!.gz");
    expect_type("%PDF-1.7", 8, NULL, "application/pdf");
    expect_type("\x89PNG\r\n\x1a\n", 8, NULL, "image/png");
    expect_type("\xff\xd8\xff\xe0", 4, NULL, "image/jpeg");
    expect_type("{\\rtf1", 6, NULL, "text/rtf");
    expect_type("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8, NULL,
                "application/msword");
    expect_type("PK\x03\x04\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
                "\0\0mimetypeapplication/vnd.oasis.opendocument.text",
                77, NULL, "application/vnd.oasis.opendocument.text");
    expect_type("PK\x03\x04....word/document.xml", 25, NULL,
                "application/vnd.openxmlformats-officedocument."
                "wordprocessingml.document");
    expect_type("PK\x03\x04....xl/workbook.xml", 23, NULL,
                "application/vnd.openxmlformats-officedocument."
                "spreadsheetml.sheet");
    expect_type("PK\x03\x04", 4, NULL, "!application/zip");
    expect_type("\x7f"
                "ELF",
                4, NULL, "!application/octet-stream");
}

static void test_bode_upload_pack_round_trip(void **state)
{
    struct bode_upload u;
    struct bode_upload_error e;
    struct bode_buf b;
    struct bode_doc d;
    char hash[BODE_UPLOAD_HASH_SIZE];
    size_t cut;

    (void)state;
    assert_int_equal(parse("{\"file\": \"JVBERi0xLjQK\", \"filename\": "
                           "\"r\\u00e9port.pdf\"}",
                           &u, &e),
                     BODE_OK);
    assert_true(bode_upload_email_hash("did", "a@example.com", hash));
    bode_buf_init(&b, 1 << 20);
    assert_int_equal(bode_upload_pack(&u, hash, &b), BODE_OK);
    assert_int_equal(
        bode_docpack_read((const unsigned char *)b.data, b.len, &d), BODE_OK);
    assert_string_equal(d.mimetype, "application/pdf");
    assert_string_equal(d.extension, ".pdf");
    assert_string_equal(d.filename, "r\xc3\xa9port.pdf");
    assert_string_equal(d.email_hash, hash);
    assert_int_equal(d.len, 9);
    assert_memory_equal(d.data, "%PDF-1.4\n", 9);
    /* Every truncation, and any byte more, is refused. */
    for (cut = 0; cut < b.len; cut++)
        assert_int_equal(
            bode_docpack_read((const unsigned char *)b.data, cut, &d),
            BODE_ERR_INVALID);
    assert_int_equal(bode_buf_addc(&b, 'x'), BODE_OK);
    assert_int_equal(
        bode_docpack_read((const unsigned char *)b.data, b.len, &d),
        BODE_ERR_INVALID);
    /* A type outside the supported set never comes back out. */
    b.data[9 + 4] = 'x';
    assert_int_equal(
        bode_docpack_read((const unsigned char *)b.data, b.len - 1, &d),
        BODE_ERR_INVALID);
    bode_buf_release(&b);
    bode_upload_release(&u);
}

static void test_bode_upload_email_hash(void **state)
{
    char a[BODE_UPLOAD_HASH_SIZE];
    char b[BODE_UPLOAD_HASH_SIZE];
    char c[BODE_UPLOAD_HASH_SIZE];

    (void)state;
    assert_true(bode_upload_email_hash("d1", "Ada@Example.com", a));
    assert_true(bode_upload_email_hash("d1", "  ada@example.COM ", b));
    assert_true(bode_upload_email_hash("d2", "ada@example.com", c));
    assert_int_equal(strlen(a), 64);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_false(bode_upload_email_hash("d1", "not an address", a));
    assert_string_equal(a, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bode_upload_is_file_needs_a_file_member),
        cmocka_unit_test(test_bode_upload_parse_defaults),
        cmocka_unit_test(test_bode_upload_parse_retention_period),
        cmocka_unit_test(test_bode_upload_parse_schema_texts),
        cmocka_unit_test(
            test_bode_upload_parse_filename_length_counts_characters),
        cmocka_unit_test(test_bode_upload_parse_base64_as_python),
        cmocka_unit_test(test_bode_upload_parse_size_limit),
        cmocka_unit_test(test_bode_upload_parse_types),
        cmocka_unit_test(test_bode_upload_pack_round_trip),
        cmocka_unit_test(test_bode_upload_email_hash),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
