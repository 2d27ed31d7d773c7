/* Tests for bode_validate_phone and its helpers: the data-driven cases in
 * tests/fixtures/phone/cases.tsv, then the contract edges the fixtures
 * cannot express (options, unknown regions, helper functions, the pattern
 * matcher). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture_escape.h"

#include "bode/validate.h"
#include "validate/validate_int.h"

#define FIXTURES "tests/fixtures/phone/cases.tsv"
#define LINE_MAX_LEN 16384

static const char *const type_names[] = {
    "unknown",
    "fixed_line",
    "mobile",
    "fixed_line_or_mobile",
    "toll_free",
    "premium_rate",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "tv",
};

static const char *const class_names[] = {
    "none",
    "validation",
    "invalid_phone",
    "bad_request",
};

/* Checks one "key=value" attribute against the result; returns a
 * description of the mismatch or NULL. */
static const char *check_attr(const struct bode_phone *r, const char *key,
                              const char *val)
{
    char num[32];

    if (strcmp(key, "class") == 0)
        return strcmp(class_names[r->error_class], val) ? "class" : NULL;
    if (strcmp(key, "region") == 0)
        return strcmp(r->region, val) ? "region" : NULL;
    if (strcmp(key, "type") == 0)
        return strcmp(type_names[r->type], val) ? "type" : NULL;
    if (strcmp(key, "prefix") == 0)
        return strcmp(r->prefix, val) ? "prefix" : NULL;
    if (strcmp(key, "international") == 0)
        return r->international != (val[0] == '1') ? "international" : NULL;
    if (strcmp(key, "crown") == 0)
        return r->crown_dependency != (val[0] == '1') ? "crown" : NULL;
    if (strcmp(key, "landline") == 0)
        return r->landline != (val[0] == '1') ? "landline" : NULL;
    if (strcmp(key, "numeric") == 0)
        return r->numeric_sender != (val[0] == '1') ? "numeric" : NULL;
    if (strcmp(key, "rate") == 0) {
        snprintf(num, sizeof(num), "%u", r->rate_multiplier);
        return strcmp(num, val) ? "rate" : NULL;
    }
    return "unknown attribute";
}

/* Splits *cursor at the next sep: returns the token and advances *cursor
 * past it, or returns NULL when nothing is left. */
static char *next_token(char **cursor, char sep)
{
    char *tok = *cursor;
    char *end;

    if (!tok || !*tok)
        return NULL;
    end = strchr(tok, sep);
    if (end) {
        *end = '\0';
        *cursor = end + 1;
    } else {
        *cursor = NULL;
    }
    return tok;
}

/* Runs one fixture line; returns NULL when it passes, else why not. */
static const char *run_case(char *line, int *skipped)
{
    static char input[LINE_MAX_LEN];
    struct bode_phone_opts opts;
    struct bode_phone r;
    char region[8] = "GB";
    char *field[5] = {NULL};
    char *p;
    char *cursor;
    char *kv;
    const char *why;
    enum bode_err err;
    long len;
    int n = 0;

    line[strcspn(line, "\n")] = '\0';
    if (line[0] == '\0' || line[0] == '#') {
        *skipped = 1;
        return NULL;
    }
    for (p = line; n < 5; n++) {
        field[n] = p;
        p = strchr(p, '\t');
        if (!p)
            break;
        *p++ = '\0';
    }
    if (n < 3)
        return "too few fields";
    memset(&opts, 0, sizeof(opts));
    if (strcmp(field[0], "-") != 0) {
        cursor = field[0];
        while ((kv = next_token(&cursor, ',')) != NULL) {
            if (strncmp(kv, "region=", 7) == 0)
                snprintf(region, sizeof(region), "%s", kv + 7);
            else if (strcmp(kv, "international") == 0)
                opts.allow_international = true;
            else if (strcmp(kv, "landline") == 0)
                opts.allow_landline = true;
            else
                return "unknown option";
        }
    }
    opts.region = region;
    len = test_unescape(field[1], input);
    if (len < 0)
        return "bad escape";
    err = bode_validate_phone(input, (size_t)len, &opts, &r);
    if (strcmp(field[2], "ok") == 0) {
        if (err != BODE_OK)
            return r.message ? r.message : "refused";
        if (strcmp(r.e164, field[3]) != 0)
            return "wrong e164";
    } else if (strcmp(field[2], "error") == 0) {
        if (err != BODE_ERR_INVALID || !r.message)
            return "accepted";
        if (strcmp(r.message, field[3]) != 0)
            return r.message;
    } else {
        return "result must be ok or error";
    }
    if (n < 4)
        return NULL;
    cursor = field[4];
    while ((kv = next_token(&cursor, ' ')) != NULL) {
        p = strchr(kv, '=');
        if (!p)
            return "bad attribute";
        *p = '\0';
        why = check_attr(&r, kv, p + 1);
        if (why)
            return why;
    }
    return NULL;
}

static void test_bode_validate_phone_fixtures(void **state)
{
    static char line[LINE_MAX_LEN];
    FILE *f = fopen(FIXTURES, "r");
    const char *why;
    int lineno = 0;
    int cases = 0;
    int failed = 0;
    int skipped;

    (void)state;
    assert_non_null(f);
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        skipped = 0;
        why = run_case(line, &skipped);
        if (skipped)
            continue;
        cases++;
        if (why) {
            failed++;
            print_error("%s:%d: %s\n", FIXTURES, lineno, why);
        }
    }
    fclose(f);
    print_message("%d phone fixture cases, %d failed\n", cases, failed);
    assert_true(cases >= 100);
    assert_int_equal(failed, 0);
}

static void test_bode_validate_phone_defaults_are_uk_mobiles(void **state)
{
    struct bode_phone r;

    (void)state;
    assert_int_equal(bode_validate_phone("07700 900123", 12, NULL, &r),
                     BODE_OK);
    assert_string_equal(r.e164, "447700900123");
    assert_int_equal(bode_validate_phone("+33612345678", 12, NULL, &r),
                     BODE_ERR_INVALID);
    assert_int_equal(r.error, BODE_PHONE_INTERNATIONAL_NOT_ALLOWED);
    assert_int_equal(r.error_class, BODE_PHONE_CLASS_BAD_REQUEST);
    assert_int_equal(bode_validate_phone("020 7946 0991", 13, NULL, &r),
                     BODE_ERR_INVALID);
    assert_int_equal(r.error, BODE_PHONE_NOT_A_UK_MOBILE);
    assert_int_equal(r.error_class, BODE_PHONE_CLASS_INVALID_PHONE);
    assert_string_equal(r.message, "Not a UK mobile number");
}

static void test_bode_validate_phone_region_case_insensitive(void **state)
{
    struct bode_phone_opts opts = {"ie", false, false};
    struct bode_phone r;

    (void)state;
    assert_int_equal(bode_validate_phone("085 012 3456", 12, &opts, &r),
                     BODE_OK);
    assert_string_equal(r.e164, "353850123456");
    assert_string_equal(r.region, "IE");
    assert_false(r.international);
}

static void test_bode_validate_phone_unknown_region(void **state)
{
    const char *bad[] = {"ZZ", "001", "G", "GBR", "", "U1"};
    struct bode_phone_opts opts = {NULL, true, true};
    struct bode_phone r;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        opts.region = bad[i];
        assert_int_equal(bode_validate_phone("07700900123", 11, &opts, &r),
                         BODE_ERR_NOT_FOUND);
        assert_null(r.message);
    }
}

static void test_bode_validate_phone_null_input(void **state)
{
    struct bode_phone r;

    (void)state;
    assert_int_equal(bode_validate_phone(NULL, 0, NULL, &r), BODE_ERR_INVALID);
    assert_int_equal(r.error, BODE_PHONE_TOO_SHORT);
    assert_string_equal(r.message, "Not enough digits");
    /* A length with a NULL pointer is treated as empty, never read. */
    assert_int_equal(bode_validate_phone(NULL, 5, NULL, &r), BODE_ERR_INVALID);
    assert_int_equal(r.error, BODE_PHONE_TOO_SHORT);
}

static void test_bode_validate_phone_not_nul_terminated(void **state)
{
    const char buf[] = {'0', '7', '7', '0', '0', '9', '0',
                        '0', '1', '2', '3', '4', '5'};
    struct bode_phone r;

    (void)state;
    assert_int_equal(bode_validate_phone(buf, 11, NULL, &r), BODE_OK);
    assert_string_equal(r.e164, "447700900123");
}

static void test_bode_validate_phone_message_texts(void **state)
{
    (void)state;
    assert_string_equal(bode_validate_phone_message(BODE_PHONE_OK), "");
    assert_string_equal(bode_validate_phone_message(BODE_PHONE_TOO_LONG),
                        "Too many digits");
    assert_string_equal(
        bode_validate_phone_message(BODE_PHONE_INVALID_NUMBER),
        "Number is not valid \xe2\x80\x93 double check the phone number "
        "you entered");
    assert_string_equal(
        bode_validate_phone_message(BODE_PHONE_UNSUPPORTED_COUNTRY_CODE),
        "Not a valid country prefix");
    assert_string_equal(
        bode_validate_phone_message(BODE_PHONE_INTERNATIONAL_NOT_ALLOWED),
        "Cannot send to international mobile numbers");
    assert_string_equal(bode_validate_phone_message((enum bode_phone_error)99),
                        "");
    assert_string_equal(bode_validate_phone_message_long(BODE_PHONE_TOO_SHORT),
                        "Mobile number is too short");
    assert_string_equal(
        bode_validate_phone_message_long(BODE_PHONE_NOT_A_UK_MOBILE),
        "This does not look like a UK mobile number \xe2\x80\x93 double "
        "check the mobile number you entered");
    assert_string_equal(
        bode_validate_phone_message_long((enum bode_phone_error) - 1), "");
}

static void test_bode_validate_region_is_supported(void **state)
{
    (void)state;
    assert_true(bode_validate_region_is_supported("GB"));
    assert_true(bode_validate_region_is_supported("us"));
    assert_true(bode_validate_region_is_supported("Nz"));
    assert_false(bode_validate_region_is_supported("ZZ"));
    assert_false(bode_validate_region_is_supported("001"));
    assert_false(bode_validate_region_is_supported(NULL));
    assert_false(bode_validate_region_is_supported(""));
    assert_false(bode_validate_region_is_supported("GBR"));
    assert_string_equal(bode_validate_phone_metadata_version(), "8.12.57");
}

static void test_bode_validate_is_smoke_test_phone(void **state)
{
    const char *inputs[] = {"07700900000", "+44 7700 900111", "00447700900222"};
    struct bode_phone r;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        assert_int_equal(
            bode_validate_phone(inputs[i], strlen(inputs[i]), NULL, &r),
            BODE_OK);
        assert_true(bode_validate_is_smoke_test_phone(r.e164));
    }
    assert_false(bode_validate_is_smoke_test_phone("447700900001"));
    assert_false(bode_validate_is_smoke_test_phone("07700900000"));
    assert_false(bode_validate_is_smoke_test_phone(NULL));
}

static void test_bode_validate_test_outcome_phone(void **state)
{
    struct bode_phone r;

    (void)state;
    assert_int_equal(bode_validate_phone("07700900003", 11, NULL, &r), BODE_OK);
    assert_int_equal(bode_validate_test_outcome_phone(r.e164),
                     BODE_TEST_TEMPORARY_FAILURE);
    assert_int_equal(bode_validate_phone("07700900002", 11, NULL, &r), BODE_OK);
    assert_int_equal(bode_validate_test_outcome_phone(r.e164),
                     BODE_TEST_PERMANENT_FAILURE);
    assert_int_equal(bode_validate_test_outcome_phone("447700900001"),
                     BODE_TEST_DELIVERED);
    assert_int_equal(bode_validate_test_outcome_phone(NULL),
                     BODE_TEST_DELIVERED);
}

static void test_phone_re_match_prefix_and_captures(void **state)
{
    struct phone_re_caps caps;

    (void)state;
    /* Jersey's national prefix rule: a bare local number is captured. */
    assert_int_equal(
        phone_re_match("0|([0-24-8]\\d{5})$", "123456", 6, false, &caps), 6);
    assert_int_equal(caps.ngroups, 1);
    assert_int_equal(caps.start[0], 0);
    assert_int_equal(caps.end[0], 6);
    assert_int_equal(
        phone_re_match("0|([0-24-8]\\d{5})$", "0123", 4, false, &caps), 1);
    assert_int_equal(caps.start[0], -1);
    assert_int_equal(
        phone_re_match("0|([0-24-8]\\d{5})$", "1234567", 7, false, &caps), -1);
    /* Greedy, then backtracking into the optional group. */
    assert_int_equal(phone_re_match("(?:12)?1\\d", "123", 3, false, NULL), 2);
    assert_int_equal(phone_re_match("(?:12)?1\\d", "123", 3, true, NULL), -1);
    assert_int_equal(phone_re_match("(?:12)?1\\d", "1213", 4, true, NULL), 4);
    assert_int_equal(phone_re_match("[13-5]{2,3}", "1345", 4, false, NULL), 3);
    assert_int_equal(phone_re_match("[13-5]{2,3}", "12", 2, false, NULL), -1);
    assert_int_equal(
        phone_re_match("7(?:[1-3]|4(?:0|5))\\d{2}", "74512", 5, true, NULL), 5);
    assert_int_equal(phone_re_groups("(1)(?:2)(3)"), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bode_validate_phone_fixtures),
        cmocka_unit_test(test_bode_validate_phone_defaults_are_uk_mobiles),
        cmocka_unit_test(test_bode_validate_phone_region_case_insensitive),
        cmocka_unit_test(test_bode_validate_phone_unknown_region),
        cmocka_unit_test(test_bode_validate_phone_null_input),
        cmocka_unit_test(test_bode_validate_phone_not_nul_terminated),
        cmocka_unit_test(test_bode_validate_phone_message_texts),
        cmocka_unit_test(test_bode_validate_region_is_supported),
        cmocka_unit_test(test_bode_validate_is_smoke_test_phone),
        cmocka_unit_test(test_bode_validate_test_outcome_phone),
        cmocka_unit_test(test_phone_re_match_prefix_and_captures),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
