/* Tests for strict unpadded base64url: RFC 4648 vectors, the one-spelling
 * rule, caps and round trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bode/base64.h"

static void test_bode_base64url_encode_rfc4648(void **state)
{
    static const char *const plain[] = {"",     "f",     "fo",    "foo",
                                        "foob", "fooba", "foobar"};
    static const char *const coded[] = {"",       "Zg",      "Zm8",     "Zm9v",
                                        "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    char out[16];
    unsigned char back[16];
    size_t n;
    size_t i;

    (void)state;
    for (i = 0; i < 7; i++) {
        assert_int_equal(
            bode_base64url_encode(plain[i], strlen(plain[i]), out, sizeof(out)),
            BODE_OK);
        assert_string_equal(out, coded[i]);
        assert_int_equal(bode_base64url_encoded_len(strlen(plain[i])),
                         strlen(coded[i]));
        assert_true(bode_base64url_is_valid(coded[i], strlen(coded[i])));
        assert_int_equal(bode_base64url_decode(coded[i], strlen(coded[i]), back,
                                               sizeof(back), &n),
                         BODE_OK);
        assert_int_equal(n, strlen(plain[i]));
        assert_int_equal(bode_base64url_decoded_max(strlen(coded[i])), n);
        assert_memory_equal(back, plain[i], n);
    }
    /* The URL alphabet's two extra characters. */
    assert_int_equal(bode_base64url_encode("\xfb\xff", 2, out, sizeof(out)),
                     BODE_OK);
    assert_string_equal(out, "-_8");
}

static void test_bode_base64url_decode_is_strict(void **state)
{
    static const char *const bad[] = {
        "Zg==", "Zg=",   "Zm9v+A", "Zm9v/A", "Zm 9v",   "Zm9v\n",
        "Z",    "Zm9vY", "Zh",     "Zm9",    "Zm9vYmF", "\xc3\xa9\xc3\xa9",
    };
    unsigned char out[16];
    size_t n = 99;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_false(bode_base64url_is_valid(bad[i], strlen(bad[i])));
        assert_int_equal(
            bode_base64url_decode(bad[i], strlen(bad[i]), out, sizeof(out), &n),
            BODE_ERR_INVALID);
        assert_int_equal(n, 0);
    }
    /* A NUL byte is not in the alphabet either. */
    assert_int_equal(bode_base64url_decode("Zm\0v", 4, out, sizeof(out), &n),
                     BODE_ERR_INVALID);
    assert_false(bode_base64url_is_valid(NULL, 1));
    assert_true(bode_base64url_is_valid(NULL, 0));
}

static void test_bode_base64url_caps(void **state)
{
    char small[4];
    unsigned char two[2];
    size_t n;

    (void)state;
    assert_int_equal(bode_base64url_encode("foo", 3, small, sizeof(small)),
                     BODE_ERR_TOO_BIG);
    assert_string_equal(small, "");
    assert_int_equal(bode_base64url_encode("fo", 2, small, sizeof(small)),
                     BODE_OK);
    assert_int_equal(bode_base64url_encode("", 0, small, 0), BODE_ERR_TOO_BIG);
    assert_int_equal(bode_base64url_decode("Zm9v", 4, two, sizeof(two), &n),
                     BODE_ERR_TOO_BIG);
    assert_int_equal(n, 0);
    assert_int_equal(bode_base64url_decode("Zm8", 3, two, sizeof(two), &n),
                     BODE_OK);
    assert_int_equal(n, 2);
}

static void test_bode_base64url_round_trips_every_length(void **state)
{
    unsigned char in[200];
    unsigned char back[200];
    char coded[300];
    size_t len;
    size_t n;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(in); i++)
        in[i] = (unsigned char)(i * 37 + 11);
    for (len = 0; len <= sizeof(in); len++) {
        assert_int_equal(bode_base64url_encode(in, len, coded, sizeof(coded)),
                         BODE_OK);
        assert_int_equal(strlen(coded), bode_base64url_encoded_len(len));
        assert_int_equal(
            bode_base64url_decode(coded, strlen(coded), back, sizeof(back), &n),
            BODE_OK);
        assert_int_equal(n, len);
        assert_memory_equal(back, in, len);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bode_base64url_encode_rfc4648),
        cmocka_unit_test(test_bode_base64url_decode_is_strict),
        cmocka_unit_test(test_bode_base64url_caps),
        cmocka_unit_test(test_bode_base64url_round_trips_every_length),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
