/* Tests for the CSV table: Python csv-module reading (quotes, doubled
 * quotes, CRLF/LF/CR, newlines inside quotes), blank rows left out, an
 * unclosed quote refused, and building rows by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bode/csv.h"

static void test_csv_parse_quotes_and_line_ends(void **state)
{
    static const char text[] = "email address,name\r\n"
                               "a@example.com,\"Smith, Ada\"\n"
                               "\"b@example.com\",\"say \"\"hi\"\"\"\r"
                               "c@example.com,\"two\nlines\"";
    struct bode_csv t;

    (void)state;
    bode_csv_init(&t);
    assert_int_equal(bode_csv_parse(&t, text, sizeof(text) - 1), BODE_OK);
    assert_int_equal(t.n_rows, 4);
    assert_int_equal(bode_csv_row_len(&t, 0), 2);
    assert_string_equal(bode_csv_cell(&t, 0, 0, NULL), "email address");
    assert_string_equal(bode_csv_cell(&t, 1, 1, NULL), "Smith, Ada");
    assert_string_equal(bode_csv_cell(&t, 2, 0, NULL), "b@example.com");
    assert_string_equal(bode_csv_cell(&t, 2, 1, NULL), "say \"hi\"");
    assert_string_equal(bode_csv_cell(&t, 3, 1, NULL), "two\nlines");
    assert_string_equal(bode_csv_cell(&t, 3, 5, NULL), "");
    bode_csv_release(&t);
}

static void test_csv_parse_skips_blank_rows(void **state)
{
    static const char text[] = "a,b\n\n , \nx,\n,\n";
    struct bode_csv t;
    size_t len;

    (void)state;
    bode_csv_init(&t);
    assert_int_equal(bode_csv_parse(&t, text, sizeof(text) - 1), BODE_OK);
    assert_int_equal(t.n_rows, 2);
    assert_string_equal(bode_csv_cell(&t, 1, 0, &len), "x");
    assert_int_equal(len, 1);
    assert_string_equal(bode_csv_cell(&t, 1, 1, NULL), "");
    assert_int_equal(bode_csv_row_len(&t, 1), 2);
    bode_csv_release(&t);
}

static void test_csv_parse_unclosed_quote(void **state)
{
    static const char text[] = "a,b\n1,2\n\"3,4\n";
    struct bode_csv t;

    (void)state;
    bode_csv_init(&t);
    assert_int_equal(bode_csv_parse(&t, text, sizeof(text) - 1),
                     BODE_ERR_INVALID);
    assert_int_equal(t.n_rows, 2);
    bode_csv_release(&t);
}

static void test_csv_build_rows(void **state)
{
    struct bode_csv t;

    (void)state;
    bode_csv_init(&t);
    assert_int_equal(bode_csv_add_cell(&t, "phone number", 12), BODE_OK);
    assert_int_equal(bode_csv_end_row(&t), BODE_OK);
    assert_int_equal(bode_csv_end_row(&t), BODE_OK);
    assert_int_equal(bode_csv_add_cell(&t, "07700 900123", 12), BODE_OK);
    assert_int_equal(bode_csv_add_cell(&t, "a\0b", 3), BODE_OK);
    assert_int_equal(bode_csv_end_row(&t), BODE_OK);
    assert_int_equal(t.n_rows, 3);
    assert_int_equal(bode_csv_row_len(&t, 1), 0);
    assert_int_equal(bode_csv_row_len(&t, 2), 2);
    assert_string_equal(bode_csv_cell(&t, 2, 0, NULL), "07700 900123");
    bode_csv_release(&t);
    bode_csv_release(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_parse_quotes_and_line_ends),
        cmocka_unit_test(test_csv_parse_skips_blank_rows),
        cmocka_unit_test(test_csv_parse_unclosed_quote),
        cmocka_unit_test(test_csv_build_rows),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
