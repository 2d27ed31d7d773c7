/* Tests for bode_validate_email and its helpers: the data-driven cases in
 * tests/fixtures/email/cases.tsv, then the contract edges the fixtures
 * cannot express. */
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

#define FIXTURES "tests/fixtures/email/cases.tsv"
#define LINE_MAX_LEN 16384

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
    static char want[LINE_MAX_LEN];
    static struct bode_email r;
    char *field[4] = {NULL};
    char *p;
    char *cursor;
    char *kv;
    enum bode_err err;
    long len;
    int n = 0;

    line[strcspn(line, "\n")] = '\0';
    if (line[0] == '\0' || line[0] == '#') {
        *skipped = 1;
        return NULL;
    }
    for (p = line; n < 4; n++) {
        field[n] = p;
        p = strchr(p, '\t');
        if (!p)
            break;
        *p++ = '\0';
    }
    if (n < 2)
        return "too few fields";
    len = test_unescape(field[0], input);
    if (len < 0 || test_unescape(field[2], want) < 0)
        return "bad escape";
    err = bode_validate_email(input, (size_t)len, &r);
    if (strcmp(field[1], "ok") == 0) {
        if (err != BODE_OK)
            return "refused";
        if (strcmp(r.address, want) != 0)
            return "wrong address";
        if (r.address_len != strlen(r.address) ||
            r.ascii_len != strlen(r.ascii))
            return "wrong length";
        if (r.message)
            return "message set on success";
    } else if (strcmp(field[1], "error") == 0) {
        if (err != BODE_ERR_INVALID || !r.message)
            return "accepted";
        if (strcmp(r.message, want) != 0)
            return "wrong message";
        return r.address[0] || r.ascii[0] ? "output left on error" : NULL;
    } else {
        return "result must be ok or error";
    }
    /* Without an ascii= attribute the ASCII form equals the address. */
    if (strcmp(r.ascii, r.address) != 0 &&
        (n < 3 || !strstr(field[3], "ascii=")))
        return "unexpected ascii form";
    if (n < 3)
        return NULL;
    cursor = field[3];
    while ((kv = next_token(&cursor, ' ')) != NULL) {
        p = strchr(kv, '=');
        if (!p)
            return "bad attribute";
        *p++ = '\0';
        if (strcmp(kv, "idn") == 0) {
            if (r.idn != (p[0] == '1'))
                return "idn";
        } else if (strcmp(kv, "ascii") == 0) {
            if (test_unescape(p, want) < 0 || strcmp(r.ascii, want) != 0)
                return "ascii";
        } else {
            return "unknown attribute";
        }
    }
    return NULL;
}

static void test_bode_validate_email_fixtures(void **state)
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
    print_message("%d email fixture cases, %d failed\n", cases, failed);
    assert_true(cases >= 100);
    assert_int_equal(failed, 0);
}

static void test_bode_validate_email_null_input(void **state)
{
    struct bode_email r;

    (void)state;
    assert_int_equal(bode_validate_email(NULL, 0, &r), BODE_ERR_INVALID);
    assert_string_equal(r.message, "Not a valid email address");
    assert_int_equal(bode_validate_email(NULL, 12, &r), BODE_ERR_INVALID);
    assert_string_equal(r.message, BODE_EMAIL_ERROR);
}

static void test_bode_validate_email_not_nul_terminated(void **state)
{
    const char buf[] = {'a', '@', 'b', '.', 'c', 'o', 'm', 'X', 'Y'};
    struct bode_email r;

    (void)state;
    assert_int_equal(bode_validate_email(buf, 7, &r), BODE_OK);
    assert_string_equal(r.address, "a@b.com");
    assert_int_equal(r.address_len, 7);
    assert_false(r.idn);
    assert_null(r.message);
}

static void test_bode_validate_email_length_limit(void **state)
{
    char buf[BODE_EMAIL_SIZE + 16];
    struct bode_email r;
    size_t local;

    (void)state;
    /* 320 code points exactly is accepted, one more is not. */
    local = BODE_EMAIL_MAX_CHARS - strlen("@example.com");
    memset(buf, 'a', local);
    memcpy(buf + local, "@example.com", 12);
    assert_int_equal(bode_validate_email(buf, local + 12, &r), BODE_OK);
    assert_int_equal(r.address_len, BODE_EMAIL_MAX_CHARS);
    memset(buf, 'a', local + 1);
    memcpy(buf + local + 1, "@example.com", 12);
    assert_int_equal(bode_validate_email(buf, local + 13, &r),
                     BODE_ERR_INVALID);
    /* Surrounding whitespace does not count. */
    memset(buf, ' ', 8);
    memset(buf + 8, 'a', local);
    memcpy(buf + 8 + local, "@example.com", 12);
    memset(buf + 20 + local, '\t', 8);
    assert_int_equal(bode_validate_email(buf, local + 28, &r), BODE_OK);
}

static void test_bode_validate_email_idn_forms(void **state)
{
    const char in[] = "Info@B\xc3\x9c"
                      "CHER.de";
    struct bode_email r;

    (void)state;
    assert_int_equal(bode_validate_email(in, strlen(in), &r), BODE_OK);
    assert_string_equal(r.address, "info@b\xc3\xbc"
                                   "cher.de");
    assert_string_equal(r.ascii, "info@xn--bcher-kva.de");
    assert_true(r.idn);
}

static void test_bode_validate_is_smoke_test_email(void **state)
{
    const char in[] = " Simulate-Delivered-3@Notifications.Service.Gov.UK ";
    struct bode_email r;

    (void)state;
    assert_int_equal(bode_validate_email(in, strlen(in), &r), BODE_OK);
    assert_true(bode_validate_is_smoke_test_email(r.address));
    assert_true(bode_validate_is_smoke_test_email(
        "simulate-delivered@notifications.service.gov.uk"));
    assert_true(bode_validate_is_smoke_test_email(
        "simulate-delivered-2@notifications.service.gov.uk"));
    assert_false(bode_validate_is_smoke_test_email(
        "simulate-delivered-4@notifications.service.gov.uk"));
    assert_false(bode_validate_is_smoke_test_email(
        "Simulate-Delivered@notifications.service.gov.uk"));
    assert_false(bode_validate_is_smoke_test_email(NULL));
}

static void test_bode_validate_test_outcome_email(void **state)
{
    const char in[] = "Temp-Fail@Simulator.Notify";
    struct bode_email r;

    (void)state;
    assert_int_equal(bode_validate_email(in, strlen(in), &r), BODE_OK);
    assert_int_equal(bode_validate_test_outcome_email(r.address),
                     BODE_TEST_TEMPORARY_FAILURE);
    assert_int_equal(
        bode_validate_test_outcome_email("perm-fail@simulator.notify"),
        BODE_TEST_PERMANENT_FAILURE);
    assert_int_equal(
        bode_validate_test_outcome_email("delivered@simulator.notify"),
        BODE_TEST_DELIVERED);
    assert_int_equal(bode_validate_test_outcome_email("a@b.com"),
                     BODE_TEST_DELIVERED);
    assert_int_equal(bode_validate_test_outcome_email(NULL),
                     BODE_TEST_DELIVERED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bode_validate_email_fixtures),
        cmocka_unit_test(test_bode_validate_email_null_input),
        cmocka_unit_test(test_bode_validate_email_not_nul_terminated),
        cmocka_unit_test(test_bode_validate_email_length_limit),
        cmocka_unit_test(test_bode_validate_email_idn_forms),
        cmocka_unit_test(test_bode_validate_is_smoke_test_email),
        cmocka_unit_test(test_bode_validate_test_outcome_email),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
