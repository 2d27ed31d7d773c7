/* Tests for Notify-format API keys: parsing from the end as the clients
 * do, generation, formatting and the name rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "bode/apikey.h"
#include "bode/jwt.h"

#define SID "8b3aa916-ec82-434e-b0c5-d5d9b371d6a3"
#define SECRET "3d4f1a5c-8f7e-4b2a-9c1d-0e6f5a4b3c2d"

static void test_bode_apikey_parse_reads_from_the_end(void **state)
{
    static const char *const names[] = {"my_key", "my-test-key-with-hyphens",
                                        "", "x", "dev key 2"};
    char key[BODE_APIKEY_MAX_LEN + 1];
    struct bode_apikey k;
    size_t name_len;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(key, sizeof(key), "%s-%s-%s", names[i], SID, SECRET);
        assert_int_equal(bode_apikey_parse(key, strlen(key), &k, &name_len),
                         BODE_OK);
        assert_string_equal(k.service_id, SID);
        assert_string_equal(k.secret, SECRET);
        assert_int_equal(name_len, strlen(names[i]));
        assert_memory_equal(key, names[i], name_len);
        assert_true(bode_apikey_is_valid(key, strlen(key)));
        /* Same answer as the clients' slices [-73:-37] and [-36:]. */
        assert_memory_equal(key + strlen(key) - 73, SID, 36);
        assert_memory_equal(key + strlen(key) - 36, SECRET, 36);
    }
    assert_int_equal(bode_apikey_parse(key, strlen(key), &k, NULL), BODE_OK);
    bode_apikey_release(&k);
}

static void test_bode_apikey_parse_refuses_malformed(void **state)
{
    static const char *const bad[] = {
        SID "-" SECRET,      /* 73: no hyphen before the id */
        "k_" SID SECRET,     /* hyphen missing in between */
        "k-" SID "_" SECRET, /* wrong separator */
        "k-8B3AA916-EC82-434E-B0C5-D5D9B371D6A3-" SECRET, /* upper case */
        "k-" SID "-3D4F1A5C-8F7E-4B2A-9C1D-0E6F5A4B3C2D",
        "k-" SID "-3d4f1a5c-8f7e-4b2a-9c1d-0e6f5a4b3c2g", /* not hex */
        "k-" SID "-3d4f1a5c8f7e-4b2a-9c1d-0e6f5a4b3c2d-", /* hyphens moved */
        "k-" SID "-" SECRET " ",                          /* trailing space */
        "",
    };
    struct bode_apikey k;
    char key[BODE_APIKEY_MAX_LEN + 8];
    size_t name_len = 99;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(
            bode_apikey_parse(bad[i], strlen(bad[i]), &k, &name_len),
            BODE_ERR_INVALID);
        assert_int_equal(name_len, 0);
        assert_string_equal(k.secret, "");
        assert_false(bode_apikey_is_valid(bad[i], strlen(bad[i])));
    }
    assert_int_equal(bode_apikey_parse(NULL, 0, &k, NULL), BODE_ERR_INVALID);
    /* A NUL inside the name. */
    snprintf(key, sizeof(key), "ab-%s-%s", SID, SECRET);
    key[1] = '\0';
    assert_int_equal(bode_apikey_parse(key, 2 + 74, &k, NULL),
                     BODE_ERR_INVALID);
    /* The longest name is fine; one byte more is too big. */
    memset(key, 'n', BODE_APIKEY_NAME_MAX);
    snprintf(key + BODE_APIKEY_NAME_MAX, 80, "-%s-%s", SID, SECRET);
    assert_int_equal(bode_apikey_parse(key, strlen(key), &k, &name_len),
                     BODE_OK);
    assert_int_equal(name_len, BODE_APIKEY_NAME_MAX);
    memset(key, 'n', BODE_APIKEY_NAME_MAX + 1);
    snprintf(key + BODE_APIKEY_NAME_MAX + 1, 80, "-%s-%s", SID, SECRET);
    assert_int_equal(bode_apikey_parse(key, strlen(key), &k, NULL),
                     BODE_ERR_TOO_BIG);
    assert_false(bode_apikey_is_valid(key, strlen(key)));
}

static void test_bode_apikey_generate_makes_uuid4_secrets(void **state)
{
    struct bode_apikey a;
    struct bode_apikey b;

    (void)state;
    assert_int_equal(
        bode_apikey_generate("8B3AA916-EC82-434E-B0C5-D5D9B371D6A3", &a),
        BODE_OK);
    assert_string_equal(a.service_id, SID);
    assert_true(bode_uuid_is_canonical(a.secret, strlen(a.secret)));
    assert_int_equal(a.secret[14], '4');
    assert_non_null(strchr("89ab", a.secret[19]));
    assert_int_equal(bode_apikey_generate(SID, &b), BODE_OK);
    assert_string_not_equal(a.secret, b.secret);
    bode_apikey_release(&a);
    bode_apikey_release(&b);
    assert_int_equal(bode_apikey_generate("not-a-uuid", &a), BODE_ERR_INVALID);
    assert_string_equal(a.secret, "");
    assert_int_equal(bode_apikey_generate(NULL, &a), BODE_ERR_INVALID);
}

static void test_bode_apikey_format_round_trips(void **state)
{
    struct bode_apikey k;
    struct bode_apikey back;
    char key[BODE_APIKEY_MAX_LEN + 1];
    size_t name_len;

    (void)state;
    assert_int_equal(bode_apikey_generate(SID, &k), BODE_OK);
    assert_int_equal(bode_apikey_format(&k, "My Test Key", key, sizeof(key)),
                     BODE_OK);
    assert_memory_equal(key, "my_test_key-", 12);
    assert_int_equal(strlen(key), 11 + BODE_APIKEY_SUFFIX_LEN);
    assert_int_equal(bode_apikey_parse(key, strlen(key), &back, &name_len),
                     BODE_OK);
    assert_int_equal(name_len, 11);
    assert_string_equal(back.service_id, k.service_id);
    assert_string_equal(back.secret, k.secret);
    bode_apikey_release(&back);
    bode_apikey_release(&k);
    /* release wipes. */
    assert_string_equal(k.secret, "");
    assert_string_equal(k.service_id, "");
}

static void test_bode_apikey_format_errors(void **state)
{
    struct bode_apikey k;
    char name[BODE_APIKEY_NAME_MAX + 2];
    char key[BODE_APIKEY_MAX_LEN + 1];

    (void)state;
    memcpy(k.service_id, SID, sizeof(SID));
    memcpy(k.secret, SECRET, sizeof(SECRET));
    assert_int_equal(bode_apikey_format(&k, NULL, key, sizeof(key)),
                     BODE_ERR_INVALID);
    assert_int_equal(bode_apikey_format(NULL, "x", key, sizeof(key)),
                     BODE_ERR_INVALID);
    /* Exactly enough room, then one byte short. */
    assert_int_equal(bode_apikey_format(&k, "ab", key, 2 + 74 + 1), BODE_OK);
    assert_string_equal(key, "ab-" SID "-" SECRET);
    assert_int_equal(bode_apikey_format(&k, "ab", key, 2 + 74),
                     BODE_ERR_TOO_BIG);
    assert_string_equal(key, "");
    memset(name, 'n', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    assert_int_equal(bode_apikey_format(&k, name, key, sizeof(key)),
                     BODE_ERR_TOO_BIG);
    name[BODE_APIKEY_NAME_MAX] = '\0';
    assert_int_equal(bode_apikey_format(&k, name, key, sizeof(key)), BODE_OK);
    /* An empty name still makes a key the clients can read. */
    assert_int_equal(bode_apikey_format(&k, "", key, sizeof(key)), BODE_OK);
    assert_string_equal(key, "-" SID "-" SECRET);
    assert_true(bode_apikey_is_valid(key, strlen(key)));
    /* Damaged parts are refused rather than written out. */
    k.secret[0] = 'X';
    assert_int_equal(bode_apikey_format(&k, "a", key, sizeof(key)),
                     BODE_ERR_INVALID);
    memset(k.secret, 'a', sizeof(k.secret));
    assert_int_equal(bode_apikey_format(&k, "a", key, sizeof(key)),
                     BODE_ERR_INVALID);
}

static void test_bode_apikey_name_safe_matches_email_safe(void **state)
{
    static const struct {
        const char *in;
        const char *out;
    } cases[] = {
        {"My Test Key", "my_test_key"},
        {"  padded   name  ", "padded_name"},
        {"tabs\tand\nnewlines", "tabs_and_newlines"},
        {"Dev-Key!", "devkey"},
        {"under_score__kept", "under_score__kept"},
        {"a.b.c", "abc"},
        {"\xc3\x9c"
         "n\xc3\xaf"
         "code",
         "ncode"},
        {"", ""},
        {"   ", ""},
        {"!!!", ""},
        {"UPPER lower 123", "upper_lower_123"},
    };
    char out[64];
    char tiny[4];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(bode_apikey_name_safe(cases[i].in, out, sizeof(out)),
                         BODE_OK);
        assert_string_equal(out, cases[i].out);
    }
    assert_int_equal(bode_apikey_name_safe("abcd", tiny, sizeof(tiny)),
                     BODE_ERR_TOO_BIG);
    assert_string_equal(tiny, "");
    assert_int_equal(bode_apikey_name_safe("abc", tiny, sizeof(tiny)), BODE_OK);
    assert_int_equal(bode_apikey_name_safe(NULL, out, sizeof(out)),
                     BODE_ERR_INVALID);
    assert_int_equal(bode_apikey_name_safe("a", out, 0), BODE_ERR_TOO_BIG);
}

/* The whole client path: a key made here, cut up as the clients cut it,
 * signs a token that the server side accepts. */
static void test_bode_apikey_key_signs_a_token(void **state)
{
    struct bode_apikey k;
    struct bode_apikey parsed;
    struct bode_jwt jwt;
    char key[BODE_APIKEY_MAX_LEN + 1];
    char token[512];

    (void)state;
    assert_int_equal(bode_apikey_generate(SID, &k), BODE_OK);
    assert_int_equal(bode_apikey_format(&k, "live", key, sizeof(key)), BODE_OK);
    assert_int_equal(bode_apikey_parse(key, strlen(key), &parsed, NULL),
                     BODE_OK);
    assert_int_equal(bode_jwt_sign(parsed.service_id, 1700000000, parsed.secret,
                                   strlen(parsed.secret), token, sizeof(token)),
                     BODE_OK);
    assert_int_equal(bode_jwt_parse(token, strlen(token), &jwt, NULL), BODE_OK);
    assert_string_equal(jwt.iss, SID);
    assert_true(bode_jwt_verify(&jwt, k.secret, strlen(k.secret)));
    assert_int_equal(bode_jwt_check_iat(&jwt, 1700000010, NULL), BODE_OK);
    bode_apikey_release(&k);
    bode_apikey_release(&parsed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bode_apikey_parse_reads_from_the_end),
        cmocka_unit_test(test_bode_apikey_parse_refuses_malformed),
        cmocka_unit_test(test_bode_apikey_generate_makes_uuid4_secrets),
        cmocka_unit_test(test_bode_apikey_format_round_trips),
        cmocka_unit_test(test_bode_apikey_format_errors),
        cmocka_unit_test(test_bode_apikey_name_safe_matches_email_safe),
        cmocka_unit_test(test_bode_apikey_key_signs_a_token),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
