/* Tests for sealing sent files (crypto/docbox.c): round trips, and every
 * change of key, bound data or sealed bytes refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bode/docbox.h"

/* Whether needle occurs in hay. */
static bool contains(const unsigned char *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    size_t i;

    for (i = 0; i + k <= n; i++)
        if (memcmp(hay + i, needle, k) == 0)
            return true;
    return false;
}

static void test_bode_docbox_round_trip(void **state)
{
    unsigned char key[BODE_DOCBOX_KEY_LEN];
    unsigned char other[BODE_DOCBOX_KEY_LEN];
    static const char plain[] = "%PDF-1.4 a file";
    unsigned char sealed[sizeof(plain) + BODE_DOCBOX_OVERHEAD];
    unsigned char again[sizeof(plain) + BODE_DOCBOX_OVERHEAD];
    unsigned char out[sizeof(plain)];
    size_t n = 99;

    (void)state;
    assert_int_equal(bode_docbox_key_new(key), BODE_OK);
    assert_int_equal(bode_docbox_key_new(other), BODE_OK);
    assert_memory_not_equal(key, other, sizeof(key));
    assert_int_equal(
        bode_docbox_seal(key, "s/d", 3, plain, sizeof(plain), sealed), BODE_OK);
    assert_false(contains(sealed, sizeof(sealed), "PDF"));
    assert_int_equal(
        bode_docbox_open(key, "s/d", 3, sealed, sizeof(sealed), out, &n),
        BODE_OK);
    assert_int_equal(n, sizeof(plain));
    assert_memory_equal(out, plain, n);
    /* A fresh nonce each time. */
    assert_int_equal(
        bode_docbox_seal(key, "s/d", 3, plain, sizeof(plain), again), BODE_OK);
    assert_memory_not_equal(sealed, again, sizeof(sealed));
}

static void test_bode_docbox_open_refuses_changes(void **state)
{
    unsigned char key[BODE_DOCBOX_KEY_LEN];
    unsigned char other[BODE_DOCBOX_KEY_LEN];
    static const char plain[] = "secret contents";
    unsigned char sealed[sizeof(plain) + BODE_DOCBOX_OVERHEAD];
    unsigned char out[sizeof(plain)];
    size_t n = 0;
    size_t i;

    (void)state;
    assert_int_equal(bode_docbox_key_new(key), BODE_OK);
    memcpy(other, key, sizeof(key));
    other[31] ^= 1;
    assert_int_equal(
        bode_docbox_seal(key, "s/d", 3, plain, sizeof(plain), sealed), BODE_OK);
    assert_int_equal(
        bode_docbox_open(other, "s/d", 3, sealed, sizeof(sealed), out, &n),
        BODE_ERR_AUTH);
    assert_int_equal(n, 0);
    assert_int_equal(
        bode_docbox_open(key, "s/e", 3, sealed, sizeof(sealed), out, &n),
        BODE_ERR_AUTH);
    for (i = 0; i < sizeof(sealed); i++) {
        sealed[i] ^= 0x40;
        assert_int_equal(
            bode_docbox_open(key, "s/d", 3, sealed, sizeof(sealed), out, &n),
            BODE_ERR_AUTH);
        /* Nothing unauthenticated is left behind. */
        assert_false(contains(out, sizeof(out), "contents"));
        sealed[i] ^= 0x40;
    }
    assert_int_equal(bode_docbox_open(key, "s/d", 3, sealed,
                                      BODE_DOCBOX_OVERHEAD - 1, out, &n),
                     BODE_ERR_INVALID);
    assert_int_equal(
        bode_docbox_open(key, "s/d", 3, sealed, sizeof(sealed) - 1, out, &n),
        BODE_ERR_AUTH);
}

static void test_bode_docbox_empty_and_large(void **state)
{
    unsigned char key[BODE_DOCBOX_KEY_LEN];
    unsigned char sealed[BODE_DOCBOX_OVERHEAD];
    unsigned char out[1];
    size_t big = 3u * 1024 * 1024;
    unsigned char *plain = malloc(big);
    unsigned char *box = malloc(big + BODE_DOCBOX_OVERHEAD);
    unsigned char *back = malloc(big);
    size_t n = 1;
    size_t i;

    (void)state;
    assert_non_null(plain);
    assert_non_null(box);
    assert_non_null(back);
    assert_int_equal(bode_docbox_key_new(key), BODE_OK);
    assert_int_equal(bode_docbox_seal(key, NULL, 0, NULL, 0, sealed), BODE_OK);
    assert_int_equal(
        bode_docbox_open(key, NULL, 0, sealed, sizeof(sealed), out, &n),
        BODE_OK);
    assert_int_equal(n, 0);
    for (i = 0; i < big; i++)
        plain[i] = (unsigned char)(i * 7);
    assert_int_equal(bode_docbox_seal(key, "x", 1, plain, big, box), BODE_OK);
    assert_int_equal(bode_docbox_open(key, "x", 1, box,
                                      big + BODE_DOCBOX_OVERHEAD, back, &n),
                     BODE_OK);
    assert_int_equal(n, big);
    assert_memory_equal(back, plain, big);
    assert_int_equal(bode_docbox_seal(key, "x", 1, plain,
                                      (size_t)BODE_DOCBOX_MAX_PLAIN + 1, box),
                     BODE_ERR_TOO_BIG);
    free(plain);
    free(box);
    free(back);
}

static void test_bode_docbox_equal(void **state)
{
    (void)state;
    assert_true(bode_docbox_equal("abc", "abc", 3));
    assert_false(bode_docbox_equal("abc", "abd", 3));
    assert_true(bode_docbox_equal("abc", "abd", 2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bode_docbox_round_trip),
        cmocka_unit_test(test_bode_docbox_open_refuses_changes),
        cmocka_unit_test(test_bode_docbox_empty_and_large),
        cmocka_unit_test(test_bode_docbox_equal),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
