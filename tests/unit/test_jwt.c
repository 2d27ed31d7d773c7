/* Tests for Notify token parsing, verification, the clock rule, signing
 * and the error table. Tokens are built as the official clients build
 * them; one was made by PyJWT 2.6 itself and must match byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "bode/alloc.h"
#include "bode/base64.h"
#include "bode/jwt.h"

#define SID "8b3aa916-ec82-434e-b0c5-d5d9b371d6a3"
#define SECRET "3d4f1a5c-8f7e-4b2a-9c1d-0e6f5a4b3c2d"
#define NOW ((int64_t)1700000000)
#define HS256 "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

/* jwt.encode({"iss": SID, "iat": 1700000000}, SECRET,
 *            headers={"typ": "JWT", "alg": "HS256"}) with PyJWT 2.6. */
static const char pyjwt_token[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJpc3MiOiI4YjNhYTkxNi1lYzgyLTQzNGUtYjBjNS1kNWQ5YjM3MWQ2YTMiLCJpYXQiOjE3"
    "MDAwMDAwMDB9.22GqkyLvsvoBcEhXBBfIfkN2C_-unApAzm1arzELP5U";

static char tok[BODE_JWT_MAX_LEN + 64];

/* Builds a token signed with SECRET from raw header and claims JSON. */
static const char *make(const char *header, const char *claims)
{
    assert_int_equal(bode_jwt_encode(header, claims, SECRET, strlen(SECRET),
                                     tok, sizeof(tok)),
                     BODE_OK);
    return tok;
}

/* Claims with iss = SID and the given iat text (a JSON value or NULL for
 * none) plus extra members. */
static const char *claims_with(const char *iat, const char *extra)
{
    static char c[512];
    int n;

    if (iat)
        n = snprintf(c, sizeof(c), "{\"iss\":\"%s\",\"iat\":%s%s%s}", SID, iat,
                     extra ? "," : "", extra ? extra : "");
    else
        n = snprintf(c, sizeof(c), "{\"iss\":\"%s\"%s%s}", SID,
                     extra ? "," : "", extra ? extra : "");
    assert_true(n > 0 && (size_t)n < sizeof(c));
    return c;
}

static enum bode_jwt_reason parse_reason(const char *t)
{
    struct bode_jwt jwt;
    struct bode_jwt_error err;
    enum bode_err rc = bode_jwt_parse(t, strlen(t), &jwt, &err);

    if (rc == BODE_OK)
        return BODE_JWT_OK;
    assert_int_equal(rc, BODE_ERR_AUTH);
    assert_non_null(err.detail);
    return err.reason;
}

/* Parses, verifies with SECRET and applies the clock rule at NOW. */
static enum bode_jwt_reason full_check(const char *t, int64_t now)
{
    struct bode_jwt jwt;
    struct bode_jwt_error err;
    enum bode_err rc = bode_jwt_parse(t, strlen(t), &jwt, &err);

    if (rc)
        return err.reason;
    if (!bode_jwt_verify(&jwt, SECRET, strlen(SECRET)))
        return BODE_JWT_KEY_NOT_FOUND;
    if (bode_jwt_check_iat(&jwt, now, &err))
        return err.reason;
    return BODE_JWT_OK;
}

static void test_bode_jwt_parse_bearer_missing_header(void **state)
{
    const char *t = "x";
    size_t n = 9;
    struct bode_jwt_error err;

    (void)state;
    assert_int_equal(bode_jwt_parse_bearer(NULL, &t, &n, &err), BODE_ERR_AUTH);
    assert_int_equal(err.reason, BODE_JWT_NO_HEADER);
    assert_null(t);
    assert_int_equal(n, 0);
    assert_int_equal(bode_jwt_parse_bearer("", &t, &n, &err), BODE_ERR_AUTH);
    assert_int_equal(err.reason, BODE_JWT_NO_HEADER);
    assert_int_equal(bode_jwt_reason_status(err.reason), 401);
    assert_string_equal(bode_jwt_reason_message(err.reason),
                        "Unauthorized: authentication token must be provided");
}

static void test_bode_jwt_parse_bearer_title_case_rule(void **state)
{
    static const char *const good[] = {"Bearer abc", "bearer abc", "BEARER abc",
                                       "bEaReR abc"};
    static const char *const bad[] = {"Basic abc", "Bearer",      "Bearer\tabc",
                                      "Bearerabc", " Bearer abc", "Bear",
                                      "Token abc", "Bearer\0abc"};
    const char *t;
    size_t n;
    size_t i;
    struct bode_jwt_error err;

    (void)state;
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        assert_int_equal(bode_jwt_parse_bearer(good[i], &t, &n, &err), BODE_OK);
        assert_int_equal(err.reason, BODE_JWT_OK);
        assert_int_equal(n, 3);
        assert_ptr_equal(t, good[i] + 7);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(bode_jwt_parse_bearer(bad[i], &t, &n, &err),
                         BODE_ERR_AUTH);
        assert_int_equal(err.reason, BODE_JWT_NOT_BEARER);
    }
    assert_string_equal(
        bode_jwt_reason_message(BODE_JWT_NOT_BEARER),
        "Unauthorized: authentication bearer scheme must be used");
    assert_int_equal(bode_jwt_reason_status(BODE_JWT_NOT_BEARER), 401);
    /* The rest of the value is the token, whatever it holds. */
    assert_int_equal(bode_jwt_parse_bearer("Bearer ", &t, &n, NULL), BODE_OK);
    assert_int_equal(n, 0);
    assert_int_equal(bode_jwt_parse_bearer("Bearer  x", &t, &n, NULL), BODE_OK);
    assert_string_equal(t, " x");
    assert_int_equal(parse_reason(t), BODE_JWT_UNDECODABLE);
}

static void test_bode_jwt_sign_matches_pyjwt(void **state)
{
    char out[512];

    (void)state;
    assert_int_equal(
        bode_jwt_sign(SID, NOW, SECRET, strlen(SECRET), out, sizeof(out)),
        BODE_OK);
    assert_string_equal(out, pyjwt_token);
    assert_int_equal(full_check(pyjwt_token, NOW), BODE_JWT_OK);
}

static void test_bode_jwt_parse_official_client_token(void **state)
{
    struct bode_jwt jwt;
    struct bode_jwt_error err;
    const char *dot;

    (void)state;
    assert_int_equal(
        bode_jwt_parse(pyjwt_token, strlen(pyjwt_token), &jwt, &err), BODE_OK);
    assert_int_equal(err.reason, BODE_JWT_OK);
    assert_string_equal(jwt.iss, SID);
    assert_int_equal(jwt.iat_kind, BODE_JWT_CLAIM_NUMBER);
    assert_int_equal(jwt.iat, NOW);
    assert_int_equal(jwt.nbf_kind, BODE_JWT_CLAIM_ABSENT);
    assert_int_equal(jwt.exp_kind, BODE_JWT_CLAIM_ABSENT);
    assert_false(jwt.aud_set);
    assert_true(jwt.alg_ok);
    assert_int_equal(jwt.sig_len, BODE_JWT_SIG_LEN);
    dot = strrchr(pyjwt_token, '.');
    assert_ptr_equal(jwt.signing_input, pyjwt_token);
    assert_int_equal(jwt.signing_len, (size_t)(dot - pyjwt_token));
    assert_true(bode_jwt_verify(&jwt, SECRET, strlen(SECRET)));
    assert_int_equal(bode_jwt_check_iat(&jwt, NOW, &err), BODE_OK);
    /* Older Python clients put typ first; the header order is free. */
    assert_int_equal(full_check(make("{\"typ\":\"JWT\",\"alg\":\"HS256\"}",
                                     claims_with("1700000000", NULL)),
                                NOW),
                     BODE_JWT_OK);
    /* No typ at all is fine too. */
    assert_int_equal(
        full_check(make("{\"alg\":\"HS256\"}", claims_with("1700000000", NULL)),
                   NOW),
        BODE_JWT_OK);
}

static void test_bode_jwt_parse_dotnet_client_real_iat(void **state)
{
    struct bode_jwt jwt;

    (void)state;
    /* The .NET client's iat is a double, which Json.NET writes as
     * "1700000000.0"; PyJWT accepts it, so Bode must. */
    make("{\"typ\":\"JWT\",\"alg\":\"HS256\"}",
         claims_with("1700000000.0", NULL));
    assert_int_equal(bode_jwt_parse(tok, strlen(tok), &jwt, NULL), BODE_OK);
    assert_int_equal(jwt.iat_kind, BODE_JWT_CLAIM_NUMBER);
    assert_int_equal(jwt.iat, NOW);
    assert_int_equal(full_check(tok, NOW), BODE_JWT_OK);
    /* Fractions are cut off as Python's int() does. */
    make(HS256, claims_with("1700000000.7", NULL));
    assert_int_equal(bode_jwt_parse(tok, strlen(tok), &jwt, NULL), BODE_OK);
    assert_int_equal(jwt.iat, NOW);
    make(HS256, claims_with("17e8", NULL));
    assert_int_equal(bode_jwt_parse(tok, strlen(tok), &jwt, NULL), BODE_OK);
    assert_int_equal(jwt.iat, NOW);
}

static void test_bode_jwt_hmac_sha256_rfc4231(void **state)
{
    static const char tc7[] =
        "This is a test using a larger than block-size key and a larger "
        "than block-size data. The key needs to be hashed before being "
        "used by the HMAC algorithm.";
    static const char tc6[] =
        "Test Using Larger Than Block-Size Key - Hash Key First";
    static const unsigned char want1[] = {
        0xb0, 0x34, 0x4c, 0x61, 0xd8, 0xdb, 0x38, 0x53, 0x5c, 0xa8, 0xaf,
        0xce, 0xaf, 0x0b, 0xf1, 0x2b, 0x88, 0x1d, 0xc2, 0x00, 0xc9, 0x83,
        0x3d, 0xa7, 0x26, 0xe9, 0x37, 0x6c, 0x2e, 0x32, 0xcf, 0xf7};
    static const unsigned char want2[] = {
        0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24,
        0x26, 0x08, 0x95, 0x75, 0xc7, 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27,
        0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec, 0x38, 0x43};
    static const unsigned char want3[] = {
        0x77, 0x3e, 0xa9, 0x1e, 0x36, 0x80, 0x0e, 0x46, 0x85, 0x4d, 0xb8,
        0xeb, 0xd0, 0x91, 0x81, 0xa7, 0x29, 0x59, 0x09, 0x8b, 0x3e, 0xf8,
        0xc1, 0x22, 0xd9, 0x63, 0x55, 0x14, 0xce, 0xd5, 0x65, 0xfe};
    static const unsigned char want4[] = {
        0x82, 0x55, 0x8a, 0x38, 0x9a, 0x44, 0x3c, 0x0e, 0xa4, 0xcc, 0x81,
        0x98, 0x99, 0xf2, 0x08, 0x3a, 0x85, 0xf0, 0xfa, 0xa3, 0xe5, 0x78,
        0xf8, 0x07, 0x7a, 0x2e, 0x3f, 0xf4, 0x67, 0x29, 0x66, 0x5b};
    static const unsigned char want5[] = {0xa3, 0xb6, 0x16, 0x74, 0x73, 0x10,
                                          0x0e, 0xe0, 0x6e, 0x0c, 0x79, 0x6c,
                                          0x29, 0x55, 0x55, 0x2b};
    static const unsigned char want6[] = {
        0x60, 0xe4, 0x31, 0x59, 0x1e, 0xe0, 0xb6, 0x7f, 0x0d, 0x8a, 0x26,
        0xaa, 0xcb, 0xf5, 0xb7, 0x7f, 0x8e, 0x0b, 0xc6, 0x21, 0x37, 0x28,
        0xc5, 0x14, 0x05, 0x46, 0x04, 0x0f, 0x0e, 0xe3, 0x7f, 0x54};
    static const unsigned char want7[] = {
        0x9b, 0x09, 0xff, 0xa7, 0x1b, 0x94, 0x2f, 0xcb, 0x27, 0x63, 0x5f,
        0xbc, 0xd5, 0xb0, 0xe9, 0x44, 0xbf, 0xdc, 0x63, 0x64, 0x4f, 0x07,
        0x13, 0x93, 0x8a, 0x7f, 0x51, 0x53, 0x5c, 0x3a, 0x35, 0xe2};
    unsigned char key[131];
    unsigned char data[50];
    unsigned char mac[BODE_JWT_SIG_LEN];
    size_t i;

    (void)state;
    memset(key, 0x0b, 20);
    assert_int_equal(bode_jwt_hmac_sha256(key, 20, "Hi There", 8, mac),
                     BODE_OK);
    assert_memory_equal(mac, want1, 32);
    assert_int_equal(bode_jwt_hmac_sha256(
                         "Jefe", 4, "what do ya want for nothing?", 28, mac),
                     BODE_OK);
    assert_memory_equal(mac, want2, 32);
    memset(key, 0xaa, 20);
    memset(data, 0xdd, 50);
    assert_int_equal(bode_jwt_hmac_sha256(key, 20, data, 50, mac), BODE_OK);
    assert_memory_equal(mac, want3, 32);
    for (i = 0; i < 25; i++)
        key[i] = (unsigned char)(i + 1);
    memset(data, 0xcd, 50);
    assert_int_equal(bode_jwt_hmac_sha256(key, 25, data, 50, mac), BODE_OK);
    assert_memory_equal(mac, want4, 32);
    memset(key, 0x0c, 20);
    assert_int_equal(
        bode_jwt_hmac_sha256(key, 20, "Test With Truncation", 20, mac),
        BODE_OK);
    assert_memory_equal(mac, want5, 16);
    memset(key, 0xaa, 131);
    assert_int_equal(bode_jwt_hmac_sha256(key, 131, tc6, sizeof(tc6) - 1, mac),
                     BODE_OK);
    assert_memory_equal(mac, want6, 32);
    assert_int_equal(bode_jwt_hmac_sha256(key, 131, tc7, sizeof(tc7) - 1, mac),
                     BODE_OK);
    assert_memory_equal(mac, want7, 32);
}

static void test_bode_jwt_verify_rejects_tampering(void **state)
{
    struct bode_jwt jwt;
    char t[512];
    char other[512];
    char spliced[1024];
    char sig31[64];
    unsigned char junk[31];
    size_t sig_at;
    const char *dot;

    (void)state;
    memcpy(t, pyjwt_token, sizeof(pyjwt_token));
    dot = strrchr(t, '.');
    sig_at = (size_t)(dot - t) + 1;
    /* One changed signature character (a middle one, so the encoding stays
     * canonical). */
    t[sig_at + 5] = t[sig_at + 5] == 'A' ? 'B' : 'A';
    assert_int_equal(bode_jwt_parse(t, strlen(t), &jwt, NULL), BODE_OK);
    assert_false(bode_jwt_verify(&jwt, SECRET, strlen(SECRET)));
    /* Another token's payload with this token's signature. */
    assert_int_equal(bode_jwt_sign(SID, NOW + 1, SECRET, strlen(SECRET), other,
                                   sizeof(other)),
                     BODE_OK);
    snprintf(spliced, sizeof(spliced), "%.*s%s",
             (int)(strrchr(other, '.') - other), other,
             strrchr(pyjwt_token, '.'));
    assert_int_equal(bode_jwt_parse(spliced, strlen(spliced), &jwt, NULL),
                     BODE_OK);
    assert_false(bode_jwt_verify(&jwt, SECRET, strlen(SECRET)));
    /* Wrong, shorter, longer and empty secrets. */
    assert_int_equal(
        bode_jwt_parse(pyjwt_token, strlen(pyjwt_token), &jwt, NULL), BODE_OK);
    assert_false(bode_jwt_verify(&jwt, "3d4f1a5c-8f7e-4b2a-9c1d-0e6f5a4b3c2e",
                                 strlen(SECRET)));
    assert_false(bode_jwt_verify(&jwt, SECRET, strlen(SECRET) - 1));
    assert_false(bode_jwt_verify(&jwt, SECRET "x", strlen(SECRET) + 1));
    assert_false(bode_jwt_verify(&jwt, SECRET, 0));
    assert_false(bode_jwt_verify(&jwt, NULL, 36));
    assert_false(bode_jwt_verify(NULL, SECRET, strlen(SECRET)));
    assert_true(bode_jwt_verify(&jwt, SECRET, strlen(SECRET)));
    /* A well-formed 31-byte signature parses but never verifies. */
    memset(junk, 0x5a, sizeof(junk));
    assert_int_equal(
        bode_base64url_encode(junk, sizeof(junk), sig31, sizeof(sig31)),
        BODE_OK);
    snprintf(spliced, sizeof(spliced), "%.*s.%s",
             (int)(strrchr(pyjwt_token, '.') - pyjwt_token), pyjwt_token,
             sig31);
    assert_int_equal(bode_jwt_parse(spliced, strlen(spliced), &jwt, NULL),
                     BODE_OK);
    assert_int_equal(jwt.sig_len, 31);
    assert_false(bode_jwt_verify(&jwt, SECRET, strlen(SECRET)));
    assert_int_equal(full_check(spliced, NOW), BODE_JWT_KEY_NOT_FOUND);
}

static void test_bode_jwt_parse_refuses_other_algorithms(void **state)
{
    static const char *const headers[] = {
        "{\"alg\":\"none\",\"typ\":\"JWT\"}",
        "{\"alg\":\"HS512\",\"typ\":\"JWT\"}",
        "{\"alg\":\"RS256\",\"typ\":\"JWT\"}",
        "{\"alg\":\"HS384\"}",
        "{\"alg\":\"hs256\"}",
        "{\"alg\":\"HS256 \"}",
        "{\"alg\":\"\"}",
        "{\"alg\":null}",
        "{\"alg\":[\"HS256\"]}",
        "{\"typ\":\"JWT\"}",
        "{}",
    };
    struct bode_jwt jwt;
    struct bode_jwt_error err;
    char t[1024];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
        make(headers[i], claims_with("1700000000", NULL));
        assert_int_equal(bode_jwt_parse(tok, strlen(tok), &jwt, &err),
                         BODE_ERR_AUTH);
        assert_int_equal(err.reason, BODE_JWT_ALG);
        /* The rest is filled, so the caller can report service errors
         * first, as Notify does; but it never verifies. */
        assert_string_equal(jwt.iss, SID);
        assert_false(jwt.alg_ok);
        assert_false(bode_jwt_verify(&jwt, SECRET, strlen(SECRET)));
    }
    /* The classic unsigned token: alg none with an empty signature. */
    make("{\"alg\":\"none\"}", claims_with("1700000000", NULL));
    snprintf(t, sizeof(t), "%.*s.", (int)(strrchr(tok, '.') - tok), tok);
    assert_int_equal(bode_jwt_parse(t, strlen(t), &jwt, &err), BODE_ERR_AUTH);
    assert_int_equal(err.reason, BODE_JWT_ALG);
    assert_int_equal(jwt.sig_len, 0);
    assert_false(bode_jwt_verify(&jwt, SECRET, strlen(SECRET)));
    assert_string_equal(bode_jwt_reason_message(BODE_JWT_ALG),
                        "Invalid token: algorithm used is not HS256");
    /* iss problems are reported before the algorithm (Notify reads iss
     * first, and only checks alg while trying keys). */
    make("{\"alg\":\"none\"}", "{\"iat\":1700000000}");
    assert_int_equal(parse_reason(tok), BODE_JWT_NO_ISS);
    make("{\"alg\":\"none\"}", "{\"iss\":\"x\"}");
    assert_int_equal(parse_reason(tok), BODE_JWT_ISS_NOT_UUID);
}

static void test_bode_jwt_parse_refuses_garbage(void **state)
{
    static const char *const bad[] = {
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        "...",
        "..",
        "eyJhbGciOiJIUzI1NiJ9..sig",
        /* padding, standard alphabet, white space */
        "eyJhbGciOiJIUzI1NiJ9=.eyJpc3MiOiJ4In0.AAAA",
        "eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJ4In0=.AAAA",
        "eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJ4In0.AA+/",
        " eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJ4In0.AAAA",
        "eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJ4In0.AAAA\n",
        /* length 1 mod 4, non-canonical trailing bits */
        "eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJ4In0.A",
        "eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJ4In0.AB",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(parse_reason(bad[i]), BODE_JWT_UNDECODABLE);
    assert_int_equal(bode_jwt_reason_status(BODE_JWT_UNDECODABLE), 403);
    assert_string_equal(bode_jwt_reason_message(BODE_JWT_UNDECODABLE),
                        "Invalid token: make sure your API token matches the "
                        "example at https://docs.notifications.service.gov.uk"
                        "/rest-api.html#authorisation-header");
}

static void test_bode_jwt_parse_refuses_bad_json(void **state)
{
    static const char *const headers[] = {
        "not json",
        "[\"HS256\"]",
        "\"HS256\"",
        "{\"alg\":\"HS256\"",
        "{\"alg\":\"HS256\",\"alg\":\"HS256\"}",
        "{\"alg\":\"HS256\",\"b64\":false}",
        "{\"alg\":\"HS256\",\"crit\":[\"exp\"]}",
        "",
        "{\"alg\":\"HS256\"} x",
        "{\"alg\":\"HS\\u0000256\"}",
    };
    static const char *const claims[] = {
        "[]",
        "1700000000",
        "{\"iss\":\"" SID "\",\"iss\":\"" SID "\"}",
        "{\"iss\":\"\xff\xfe\"}",
        "{\"iss\":\"" SID "\",\"iat\":1e999}",
        "{\"iss\":\"" SID "\",\"iat\":123456789012345678901234567890}",
        "{\"iss\":\"" SID "\",",
        "",
    };
    struct bode_jwt jwt;
    struct bode_jwt_error err;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
        make(headers[i], claims_with("1700000000", NULL));
        assert_int_equal(bode_jwt_parse(tok, strlen(tok), &jwt, &err),
                         BODE_ERR_AUTH);
        assert_int_equal(err.reason, BODE_JWT_UNDECODABLE);
        /* Nothing half-filled is left behind. */
        assert_null(jwt.signing_input);
        assert_string_equal(jwt.iss, "");
    }
    for (i = 0; i < sizeof(claims) / sizeof(claims[0]); i++) {
        make(HS256, claims[i]);
        assert_int_equal(parse_reason(tok), BODE_JWT_UNDECODABLE);
    }
    /* b64 true is the default and is fine. */
    make("{\"alg\":\"HS256\",\"b64\":true}", claims_with("1700000000", NULL));
    assert_int_equal(full_check(tok, NOW), BODE_JWT_OK);
}

static void test_bode_jwt_parse_size_cap(void **state)
{
    char claims[BODE_JWT_MAX_LEN];
    char big[BODE_JWT_MAX_LEN + 2];
    size_t pad;
    size_t len = 0;

    (void)state;
    /* Find the padding that makes the token exactly the cap. */
    for (pad = 2900; pad < 3100; pad++) {
        snprintf(claims, sizeof(claims),
                 "{\"iss\":\"%s\",\"iat\":%lld,"
                 "\"p\":\"%0*d\"}",
                 SID, (long long)NOW, (int)pad, 0);
        make(HS256, claims);
        len = strlen(tok);
        if (len >= BODE_JWT_MAX_LEN)
            break;
    }
    assert_int_equal(len, BODE_JWT_MAX_LEN);
    assert_int_equal(full_check(tok, NOW), BODE_JWT_OK);
    /* One byte more is refused before any decoding. */
    memcpy(big, tok, len);
    big[len] = 'A';
    big[len + 1] = '\0';
    assert_int_equal(parse_reason(big), BODE_JWT_UNDECODABLE);
    /* A huge input is refused the same way, without being read. */
    assert_int_equal(bode_jwt_parse(big, SIZE_MAX, &(struct bode_jwt){0}, NULL),
                     BODE_ERR_AUTH);
}

static void test_bode_jwt_parse_iss_rules(void **state)
{
    static const char *const not_uuid[] = {
        "{\"iss\":\"not-a-uuid\",\"iat\":1700000000}",
        "{\"iss\":1234,\"iat\":1700000000}",
        "{\"iss\":null,\"iat\":1700000000}",
        "{\"iss\":[\"" SID "\"],\"iat\":1700000000}",
        "{\"iss\":\"\",\"iat\":1700000000}",
        "{\"iss\":\"{" SID "}\",\"iat\":1700000000}",
        "{\"iss\":\"urn:uuid:" SID "\",\"iat\":1700000000}",
        "{\"iss\":\"8b3aa916ec82434eb0c5d5d9b371d6a3\",\"iat\":1700000000}",
        "{\"iss\":\" " SID "\",\"iat\":1700000000}",
    };
    struct bode_jwt jwt;
    size_t i;

    (void)state;
    make(HS256, "{\"iat\":1700000000}");
    assert_int_equal(parse_reason(tok), BODE_JWT_NO_ISS);
    assert_string_equal(bode_jwt_reason_message(BODE_JWT_NO_ISS),
                        "Invalid token: iss field not provided");
    for (i = 0; i < sizeof(not_uuid) / sizeof(not_uuid[0]); i++) {
        make(HS256, not_uuid[i]);
        assert_int_equal(parse_reason(tok), BODE_JWT_ISS_NOT_UUID);
    }
    assert_string_equal(bode_jwt_reason_message(BODE_JWT_ISS_NOT_UUID),
                        "Invalid token: service id is not the right data type");
    /* Upper case is a UUID to Python too; Bode hands back lower case. */
    make(HS256, "{\"iss\":\"8B3AA916-EC82-434E-B0C5-D5D9B371D6A3\","
                "\"iat\":1700000000}");
    assert_int_equal(bode_jwt_parse(tok, strlen(tok), &jwt, NULL), BODE_OK);
    assert_string_equal(jwt.iss, SID);
}

static void test_bode_jwt_check_iat_bounds(void **state)
{
    static const struct {
        const char *iat;
        enum bode_jwt_reason want;
    } cases[] = {
        {"1700000000", BODE_JWT_OK},
        {"1699999970", BODE_JWT_OK},    /* now - 30 */
        {"1700000030", BODE_JWT_OK},    /* now + 30 */
        {"1699999969", BODE_JWT_CLOCK}, /* now - 31 */
        {"1700000031", BODE_JWT_CLOCK}, /* now + 31 */
        {"1699999969.9", BODE_JWT_CLOCK},
        {"1699999970.9", BODE_JWT_OK},
        {"1700000030.9", BODE_JWT_OK},
        {"1700000031.0", BODE_JWT_CLOCK},
        {"0", BODE_JWT_CLOCK},
        {"-1700000000", BODE_JWT_CLOCK},
        {"9223372036854775807", BODE_JWT_CLOCK},
        {"-9223372036854775808", BODE_JWT_CLOCK},
        {"1e300", BODE_JWT_CLOCK},
        {"-1e300", BODE_JWT_CLOCK},
        {"\"1700000000\"", BODE_JWT_CLOCK},
        {"\"abc\"", BODE_JWT_CLOCK},
        {"null", BODE_JWT_CLOCK},
        {"true", BODE_JWT_CLOCK},
        {"[1700000000]", BODE_JWT_CLOCK},
        {"{}", BODE_JWT_CLOCK},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        make(HS256, claims_with(cases[i].iat, NULL));
        if (full_check(tok, NOW) != cases[i].want)
            fail_msg("iat %s: got %s, want %s", cases[i].iat,
                     bode_jwt_reason_name(full_check(tok, NOW)),
                     bode_jwt_reason_name(cases[i].want));
    }
    /* No iat: Notify moves on to the next key and ends with not found. */
    make(HS256, claims_with(NULL, NULL));
    assert_int_equal(full_check(tok, NOW), BODE_JWT_KEY_NOT_FOUND);
    assert_string_equal(
        bode_jwt_reason_message(BODE_JWT_CLOCK),
        "Error: Your system clock must be accurate to within 30 seconds");
    /* The server clock itself at the extremes does not overflow. */
    make(HS256, claims_with("1700000000", NULL));
    assert_int_equal(full_check(tok, INT64_MAX), BODE_JWT_CLOCK);
    assert_int_equal(full_check(tok, INT64_MIN), BODE_JWT_CLOCK);
}

static void test_bode_jwt_check_iat_other_claims(void **state)
{
    static const struct {
        const char *iat;
        const char *extra;
        enum bode_jwt_reason want;
    } cases[] = {
        {"1700000000", "\"exp\":1700000060", BODE_JWT_OK},
        {"1700000000", "\"exp\":1699999971", BODE_JWT_OK},
        {"1700000000", "\"exp\":1699999970", BODE_JWT_OTHER},
        {"1700000000", "\"exp\":\"soon\"", BODE_JWT_KEY_NOT_FOUND},
        {"1700000000", "\"nbf\":1700000030", BODE_JWT_OK},
        {"1700000000", "\"nbf\":1700000031", BODE_JWT_CLOCK},
        {"1700000000", "\"nbf\":null", BODE_JWT_KEY_NOT_FOUND},
        {"1700000000", "\"aud\":\"notify\"", BODE_JWT_OTHER},
        {"1700000000", "\"aud\":[\"a\"]", BODE_JWT_OTHER},
        {"1700000000", "\"aud\":\"\"", BODE_JWT_OK},
        {"1700000000", "\"aud\":[]", BODE_JWT_OK},
        {"1700000000", "\"aud\":null", BODE_JWT_OK},
        {"1700000000", "\"aud\":0", BODE_JWT_OK},
        {"1700000000", "\"jti\":\"x\",\"sub\":\"y\"", BODE_JWT_OK},
        /* PyJWT's order: iat, then nbf, then exp, then aud. */
        {"\"x\"", "\"exp\":1", BODE_JWT_CLOCK},
        {"1700000000", "\"nbf\":1800000000,\"exp\":1", BODE_JWT_CLOCK},
        {"1700000000", "\"exp\":1,\"aud\":\"a\"", BODE_JWT_OTHER},
        /* ... and only then the client's: iat required, not too old. */
        {NULL, "\"exp\":1", BODE_JWT_OTHER},
        {"1", "\"exp\":1700000060", BODE_JWT_CLOCK},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        make(HS256, claims_with(cases[i].iat, cases[i].extra));
        if (full_check(tok, NOW) != cases[i].want)
            fail_msg("case %zu: got %s, want %s", i,
                     bode_jwt_reason_name(full_check(tok, NOW)),
                     bode_jwt_reason_name(cases[i].want));
    }
}

static void test_bode_jwt_reason_table(void **state)
{
    static const char *const api_side[] = {
        "Invalid token: service not found",
        "Invalid token: service has no API keys",
        "Invalid token: service is archived",
        "Invalid token: API key not found",
        "Invalid token: API key revoked",
    };
    static const enum bode_jwt_reason api_reasons[] = {
        BODE_JWT_SERVICE_NOT_FOUND, BODE_JWT_NO_KEYS, BODE_JWT_SERVICE_ARCHIVED,
        BODE_JWT_KEY_NOT_FOUND, BODE_JWT_KEY_REVOKED};
    int r;
    int s;
    size_t i;

    (void)state;
    for (r = 1; r < BODE_JWT__COUNT; r++) {
        int status = bode_jwt_reason_status((enum bode_jwt_reason)r);

        assert_true(status == 401 || status == 403);
        assert_true(strlen(bode_jwt_reason_message((enum bode_jwt_reason)r)) >
                    10);
        for (s = 1; s < r; s++)
            assert_string_not_equal(
                bode_jwt_reason_name((enum bode_jwt_reason)r),
                bode_jwt_reason_name((enum bode_jwt_reason)s));
    }
    for (i = 0; i < sizeof(api_side) / sizeof(api_side[0]); i++) {
        assert_string_equal(bode_jwt_reason_message(api_reasons[i]),
                            api_side[i]);
        assert_int_equal(bode_jwt_reason_status(api_reasons[i]), 403);
    }
    assert_string_equal(bode_jwt_reason_message(BODE_JWT_OTHER),
                        bode_jwt_reason_message(BODE_JWT_UNDECODABLE));
    assert_int_equal(bode_jwt_reason_status(BODE_JWT_OK), 0);
    assert_string_equal(bode_jwt_reason_message(BODE_JWT_OK), "");
    /* Unknown values fail closed. */
    assert_int_equal(bode_jwt_reason_status(BODE_JWT__COUNT), 403);
    assert_int_equal(bode_jwt_reason_status((enum bode_jwt_reason) - 1), 403);
    assert_string_equal(bode_jwt_reason_message(BODE_JWT__COUNT),
                        bode_jwt_reason_message(BODE_JWT_UNDECODABLE));
    assert_string_equal(bode_jwt_reason_name(BODE_JWT__COUNT), "unknown");
}

static void test_bode_jwt_sign_errors_and_escaping(void **state)
{
    char out[512];
    char small[100];
    char iss[300];
    struct bode_jwt jwt;

    (void)state;
    assert_int_equal(bode_jwt_sign(NULL, NOW, SECRET, 36, out, sizeof(out)),
                     BODE_ERR_INVALID);
    assert_int_equal(bode_jwt_sign(SID, NOW, SECRET, 0, out, sizeof(out)),
                     BODE_ERR_INVALID);
    assert_int_equal(bode_jwt_sign(SID, NOW, NULL, 36, out, sizeof(out)),
                     BODE_ERR_INVALID);
    assert_string_equal(out, "");
    memset(small, 'x', sizeof(small));
    assert_int_equal(bode_jwt_sign(SID, NOW, SECRET, 36, small, sizeof(small)),
                     BODE_ERR_TOO_BIG);
    assert_string_equal(small, "");
    /* Exactly big enough works. */
    assert_int_equal(bode_jwt_sign(SID, NOW, SECRET, 36, out, sizeof(out)),
                     BODE_OK);
    assert_int_equal(bode_jwt_sign(SID, NOW, SECRET, 36, iss, strlen(out)),
                     BODE_ERR_TOO_BIG);
    assert_int_equal(bode_jwt_sign(SID, NOW, SECRET, 36, iss, strlen(out) + 1),
                     BODE_OK);
    assert_string_equal(iss, out);
    /* Awkward iss values stay valid JSON: the parser sees a string that is
     * not a UUID, not broken JSON. */
    assert_int_equal(
        bode_jwt_sign("a\"b\\c\n\x01", NOW, SECRET, 36, out, sizeof(out)),
        BODE_OK);
    assert_int_equal(parse_reason(out), BODE_JWT_ISS_NOT_UUID);
    memset(iss, 'a', sizeof(iss) - 1);
    iss[sizeof(iss) - 1] = '\0';
    assert_int_equal(bode_jwt_sign(iss, NOW, SECRET, 36, out, sizeof(out)),
                     BODE_ERR_TOO_BIG);
    /* Negative and large iat values are written as integers. */
    assert_int_equal(bode_jwt_sign(SID, -5, SECRET, 36, out, sizeof(out)),
                     BODE_OK);
    assert_int_equal(bode_jwt_parse(out, strlen(out), &jwt, NULL), BODE_OK);
    assert_int_equal(jwt.iat, -5);
    assert_int_equal(bode_jwt_encode(NULL, "{}", SECRET, 36, out, sizeof(out)),
                     BODE_ERR_INVALID);
}

/* jansson allocates through bode_malloc (main installs the hooks). Every
 * allocation failing in turn must give BODE_ERR_NOMEM or the verdict of
 * the run without failures, never a crash, a leak, or a success with
 * different contents. One exception is allowed: jansson's lexer turns a
 * failed string allocation into a syntax error, so BODE_JWT_UNDECODABLE
 * may stand in for BODE_ERR_NOMEM (docs/internals/auth.md). */
static void test_bode_jwt_parse_survives_every_allocation_failure(void **state)
{
    const char *tokens[3];
    struct bode_jwt jwt;
    struct bode_jwt good;
    struct bode_jwt_error err;
    char ext[1024];
    long count;
    long n;
    size_t i;
    int nomem;

    (void)state;
    tokens[0] = pyjwt_token;
    make(HS256, claims_with("1700000000.5",
                            "\"aud\":[1,2,{\"a\":\"b\"}],\"x\":{\"y\":[]}"));
    memcpy(ext, tok, strlen(tok) + 1);
    tokens[1] = ext;
    tokens[2] = "eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0.";
    for (i = 0; i < 3; i++) {
        enum bode_err want;

        bode_alloc_fail_after(-1);
        want = bode_jwt_parse(tokens[i], strlen(tokens[i]), &good, &err);
        count = bode_alloc_count();
        assert_true(count > 0);
        nomem = 0;
        for (n = 0; n < count; n++) {
            enum bode_err rc;

            bode_alloc_fail_after(n);
            rc = bode_jwt_parse(tokens[i], strlen(tokens[i]), &jwt, &err);
            bode_alloc_fail_after(-1);
            if (rc == BODE_ERR_NOMEM) {
                nomem++;
                assert_null(jwt.signing_input);
            } else if (rc == BODE_ERR_AUTH &&
                       err.reason == BODE_JWT_UNDECODABLE) {
                assert_null(jwt.signing_input);
            } else {
                assert_int_equal(rc, want);
                assert_memory_equal(&jwt, &good, sizeof(jwt));
            }
        }
        assert_true(nomem > 0);
    }
}

/* Every length around the 8-byte steps, and a difference in every
 * position (head, the whole words, the tail), is told apart. */
static void test_bode_jwt_same_token(void **state)
{
    char a[40];
    char b[40];
    size_t len;
    size_t i;

    (void)state;
    for (len = 0; len <= sizeof(a); len++) {
        memset(a, 'e', sizeof(a));
        memcpy(b, a, sizeof(b));
        assert_true(bode_jwt_same_token(a, len, b, len));
        if (len > 0)
            assert_false(bode_jwt_same_token(a, len, b, len - 1));
        for (i = 0; i < len; i++) {
            b[i] ^= 0x01;
            assert_false(bode_jwt_same_token(a, len, b, len));
            b[i] ^= 0x01 ^ 0x80;
            assert_false(bode_jwt_same_token(a, len, b, len));
            b[i] = a[i];
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bode_jwt_parse_bearer_missing_header),
        cmocka_unit_test(test_bode_jwt_parse_bearer_title_case_rule),
        cmocka_unit_test(test_bode_jwt_sign_matches_pyjwt),
        cmocka_unit_test(test_bode_jwt_parse_official_client_token),
        cmocka_unit_test(test_bode_jwt_parse_dotnet_client_real_iat),
        cmocka_unit_test(test_bode_jwt_hmac_sha256_rfc4231),
        cmocka_unit_test(test_bode_jwt_verify_rejects_tampering),
        cmocka_unit_test(test_bode_jwt_parse_refuses_other_algorithms),
        cmocka_unit_test(test_bode_jwt_parse_refuses_garbage),
        cmocka_unit_test(test_bode_jwt_parse_refuses_bad_json),
        cmocka_unit_test(test_bode_jwt_parse_size_cap),
        cmocka_unit_test(test_bode_jwt_parse_iss_rules),
        cmocka_unit_test(test_bode_jwt_check_iat_bounds),
        cmocka_unit_test(test_bode_jwt_check_iat_other_claims),
        cmocka_unit_test(test_bode_jwt_reason_table),
        cmocka_unit_test(test_bode_jwt_same_token),
        cmocka_unit_test(test_bode_jwt_sign_errors_and_escaping),
        cmocka_unit_test(test_bode_jwt_parse_survives_every_allocation_failure),
    };

    bode_alloc_install_json();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
