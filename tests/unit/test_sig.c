/* Tests for webhook signature primitives: HMAC vectors from RFC 2202 and
 * RFC 4231, constant-time comparison, and RSA signatures checked against
 * certificate files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "bode/sig.h"
#include "providers/provider_int.h"
#include "testsign.h"

#define FIX "tests/fixtures/providers/sns/"

static void hex(const unsigned char *p, size_t n, char *out)
{
    size_t i;

    for (i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", p[i]);
}

static void test_bode_hmac_vectors(void **state)
{
    unsigned char mac[BODE_HMAC_MAX];
    char text[2 * BODE_HMAC_MAX + 1];
    const char *data = "what do ya want for nothing?";
    size_t n;

    (void)state;
    /* RFC 2202 test case 2 and RFC 4231 test case 2. */
    assert_int_equal(
        bode_hmac(BODE_DIGEST_SHA1, "Jefe", 4, data, strlen(data), mac, &n),
        BODE_OK);
    assert_int_equal(n, 20);
    hex(mac, n, text);
    assert_string_equal(text, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    assert_int_equal(
        bode_hmac(BODE_DIGEST_SHA256, "Jefe", 4, data, strlen(data), mac, &n),
        BODE_OK);
    assert_int_equal(n, 32);
    hex(mac, n, text);
    assert_string_equal(
        text,
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    /* Empty key and data are allowed. */
    assert_int_equal(bode_hmac(BODE_DIGEST_SHA256, NULL, 0, NULL, 0, mac, &n),
                     BODE_OK);
    assert_int_equal(bode_hmac((enum bode_digest)9, "k", 1, "d", 1, mac, &n),
                     BODE_ERR_INVALID);
}

static void test_bode_sig_equal(void **state)
{
    (void)state;
    assert_true(bode_sig_equal("abcdef", "abcdef", 6));
    assert_false(bode_sig_equal("abcdef", "abcdeg", 6));
    assert_true(bode_sig_equal("", "", 0));
}

static void test_bode_certs_verify_signed_message(void **state)
{
    static const char msg[] = "Message\nhello\nType\nNotification\n";
    unsigned char sig[512];
    char b64[1024];
    struct bode_certs *c = NULL;
    size_t n;
    size_t i;

    (void)state;
    assert_int_equal(test_sign_b64(FIX "test-key.pem", 1, msg, strlen(msg), b64,
                                   sizeof(b64)),
                     0);
    assert_int_equal(prov_base64_decode(b64, strlen(b64), sig, sizeof(sig), &n),
                     BODE_OK);
    assert_int_equal(bode_certs_load(FIX "test-cert.pem", &c), BODE_OK);
    assert_int_equal(
        bode_certs_verify(c, BODE_DIGEST_SHA256, msg, strlen(msg), sig, n),
        BODE_OK);
    /* The wrong digest, a changed message or a changed signature fail. */
    assert_int_equal(
        bode_certs_verify(c, BODE_DIGEST_SHA1, msg, strlen(msg), sig, n),
        BODE_ERR_AUTH);
    assert_int_equal(
        bode_certs_verify(c, BODE_DIGEST_SHA256, msg, strlen(msg) - 1, sig, n),
        BODE_ERR_AUTH);
    for (i = 0; i < n; i += 37) {
        sig[i] ^= 1;
        assert_int_equal(
            bode_certs_verify(c, BODE_DIGEST_SHA256, msg, strlen(msg), sig, n),
            BODE_ERR_AUTH);
        sig[i] ^= 1;
    }
    assert_int_equal(
        bode_certs_verify(c, BODE_DIGEST_SHA256, msg, strlen(msg), sig, 0),
        BODE_ERR_AUTH);
    bode_certs_free(c);
    /* Another certificate does not verify it; a bundle with the right one
     * anywhere in it does. */
    assert_int_equal(bode_certs_load(FIX "other-cert.pem", &c), BODE_OK);
    assert_int_equal(
        bode_certs_verify(c, BODE_DIGEST_SHA256, msg, strlen(msg), sig, n),
        BODE_ERR_AUTH);
    bode_certs_free(c);
    assert_int_equal(bode_certs_load(FIX "bundle-cert.pem", &c), BODE_OK);
    assert_int_equal(
        bode_certs_verify(c, BODE_DIGEST_SHA256, msg, strlen(msg), sig, n),
        BODE_OK);
    bode_certs_free(c);
}

static void test_bode_certs_load_errors(void **state)
{
    struct bode_certs *c = (struct bode_certs *)&c;

    (void)state;
    assert_int_equal(bode_certs_load(FIX "missing.pem", &c), BODE_ERR_IO);
    assert_null(c);
    assert_int_equal(bode_certs_load(FIX "not-a-cert.pem", &c),
                     BODE_ERR_INVALID);
    assert_null(c);
    bode_certs_free(NULL);
    assert_int_equal(bode_certs_verify(NULL, BODE_DIGEST_SHA1, "x", 1,
                                       (const unsigned char *)"y", 1),
                     BODE_ERR_AUTH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bode_hmac_vectors),
        cmocka_unit_test(test_bode_sig_equal),
        cmocka_unit_test(test_bode_certs_verify_signed_message),
        cmocka_unit_test(test_bode_certs_load_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
