/* JSON written directly (src/util/jsonw.c): every escape, null for a
 * missing string, and random UTF-8 text that jansson reads back as it was
 * written. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bode/jsonw.h"

static void test_escapes(void **state)
{
    static const char in[] =
        "q\" b\\ n\n r\r t\t c\x01 d\x1f ls\xe2\x80\xa8 ps\xe2\x80\xa9 "
        "ok\xc3\xa9 \xe2\x80\x99 /";
    struct bode_buf b;

    (void)state;
    bode_buf_init(&b, 1024);
    assert_int_equal(bode_json_escape(&b, in, strlen(in)), BODE_OK);
    assert_string_equal(bode_buf_str(&b),
                        "q\\\" b\\\\ n\\n r\\r t\\t c\\u0001 d\\u001f "
                        "ls\\u2028 ps\\u2029 ok\xc3\xa9 \xe2\x80\x99 /");
    bode_buf_release(&b);
}

static void test_str_and_null(void **state)
{
    struct bode_buf b;

    (void)state;
    bode_buf_init(&b, 1024);
    assert_int_equal(bode_json_str(&b, "a\"b"), BODE_OK);
    assert_int_equal(bode_buf_addc(&b, ','), BODE_OK);
    assert_int_equal(bode_json_str(&b, NULL), BODE_OK);
    assert_int_equal(bode_buf_addc(&b, ','), BODE_OK);
    assert_int_equal(bode_json_str(&b, ""), BODE_OK);
    assert_string_equal(bode_buf_str(&b), "\"a\\\"b\",null,\"\"");
    bode_buf_release(&b);
}

static void test_cap_is_reported(void **state)
{
    struct bode_buf b;

    (void)state;
    bode_buf_init(&b, 8);
    assert_int_equal(bode_json_str(&b, "\n\n\n\n\n"), BODE_ERR_TOO_BIG);
    bode_buf_release(&b);
}

/* Appends one random code point as UTF-8, weighted towards the ones that
 * need escaping. */
static size_t random_char(char *p, unsigned r)
{
    static const char *const picks[] = {"\"",
                                        "\\",
                                        "\n",
                                        "\x01",
                                        "\x7f",
                                        "\xe2\x80\xa8",
                                        "\xe2\x80\xa9",
                                        "\xc3\xa9",
                                        "\xf0\x9f\x98\x80",
                                        "/"};
    const char *s;

    if (r % 3 == 0) {
        p[0] = (char)(0x20 + (r >> 2) % 0x5f);
        return 1;
    }
    s = picks[(r >> 2) % (sizeof(picks) / sizeof(picks[0]))];
    memcpy(p, s, strlen(s));
    return strlen(s);
}

static void test_jansson_reads_back_random_text(void **state)
{
    char text[512];
    struct bode_buf b;
    json_t *v;
    size_t n;
    int round;
    unsigned seed = 12345;

    (void)state;
    for (round = 0; round < 2000; round++) {
        n = 0;
        while (n < sizeof(text) - 8) {
            seed = seed * 1103515245u + 12345u;
            if ((seed >> 16) % 64 == 0)
                break;
            n += random_char(text + n, seed >> 8);
        }
        text[n] = '\0';
        bode_buf_init(&b, 4096);
        assert_int_equal(bode_json_str(&b, text), BODE_OK);
        v = json_loadb(b.data, b.len, JSON_DECODE_ANY, NULL);
        assert_non_null(v);
        assert_string_equal(json_string_value(v), text);
        json_decref(v);
        bode_buf_release(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_str_and_null),
        cmocka_unit_test(test_cap_is_reported),
        cmocka_unit_test(test_jansson_reads_back_random_text),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
