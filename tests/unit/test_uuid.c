/* Tests for the UUID text checks: the one spelling Bode accepts, case,
 * and normalisation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bode/uuid.h"

#define LOWER "8b3aa916-ec82-434e-b0c5-d5d9b371d6a3"
#define UPPER "8B3AA916-EC82-434E-B0C5-D5D9B371D6A3"

static void test_bode_uuid_is_valid_accepts_either_case(void **state)
{
    (void)state;
    assert_true(bode_uuid_is_valid(LOWER, 36));
    assert_true(bode_uuid_is_valid(UPPER, 36));
    assert_true(bode_uuid_is_valid("8b3AA916-ec82-434E-b0c5-d5d9B371d6a3", 36));
    assert_true(bode_uuid_is_valid("00000000-0000-0000-0000-000000000000", 36));
    assert_true(bode_uuid_is_canonical(LOWER, 36));
    assert_false(bode_uuid_is_canonical(UPPER, 36));
    /* Only the first 36 bytes are looked at when len says so. */
    assert_true(bode_uuid_is_valid(LOWER "trailing", 36));
}

static void test_bode_uuid_is_valid_refuses_other_spellings(void **state)
{
    static const char *const bad[] = {
        "8b3aa916ec82434eb0c5d5d9b371d6a3",
        "{8b3aa916-ec82-434e-b0c5-d5d9b371d6a3}",
        "urn:uuid:8b3aa916-ec82-434e-b0c5-d5d9b371d6a3",
        "8b3aa916-ec82-434e-b0c5-d5d9b371d6a",
        "8b3aa916-ec82-434e-b0c5-d5d9b371d6a3a",
        "8b3aa916-ec82-434eb-0c5-d5d9b371d6a3",
        "8b3aa916-ec82-434e-b0c5-d5d9b371d6g3",
        "8b3aa916_ec82_434e_b0c5_d5d9b371d6a3",
        " 8b3aa916-ec82-434e-b0c5-d5d9b371d6a",
        "8b3aa916-ec82-434e-b0c5+d5d9b371d6a3",
        "",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_false(bode_uuid_is_valid(bad[i], strlen(bad[i])));
        assert_false(bode_uuid_is_canonical(bad[i], strlen(bad[i])));
    }
    assert_false(bode_uuid_is_valid(NULL, 0));
    assert_false(bode_uuid_is_valid(NULL, 36));
    assert_false(bode_uuid_is_valid("8b3aa916-ec82-434e-b0c5-d5d9b371\0"
                                    "6a3",
                                    36));
}

static void test_bode_uuid_normalize(void **state)
{
    char out[BODE_UUID_SIZE];

    (void)state;
    assert_int_equal(bode_uuid_normalize(UPPER, 36, out), BODE_OK);
    assert_string_equal(out, LOWER);
    assert_int_equal(bode_uuid_normalize(LOWER, 36, out), BODE_OK);
    assert_string_equal(out, LOWER);
    memset(out, 'x', sizeof(out));
    assert_int_equal(bode_uuid_normalize("nope", 4, out), BODE_ERR_INVALID);
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bode_uuid_is_valid_accepts_either_case),
        cmocka_unit_test(test_bode_uuid_is_valid_refuses_other_spellings),
        cmocka_unit_test(test_bode_uuid_normalize),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
