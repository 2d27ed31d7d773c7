/* The template engine's quick tests (src/template/rx_quick.c) may only say
 * "cannot match" when the pattern really cannot: checked against the
 * pattern matcher on fixed cases and on 40,000 texts built at random
 * (fixed seed) from the fragments these patterns care about. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "template/rx.h"

static const enum rx_id anchored[] = {
    RX_B_NEWLINE,    RX_B_HRULE,      RX_B_BLOCK_CODE, RX_B_FENCES,
    RX_B_HEADING,    RX_B_NPTABLE,    RX_B_LHEADING,   RX_B_BLOCK_QUOTE,
    RX_B_LIST_BLOCK, RX_B_BLOCK_HTML, RX_B_DEF_LINKS,  RX_B_DEF_FOOTNOTES,
    RX_B_TABLE,
};

static const enum rx_id anywhere[] = {RX_F_HYPHENS, RX_F_SPACE_PUNCT,
                                      RX_F_GOVUK};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Checks s against every quick test; returns how many patterns matched. */
static int check(struct rx_ctx *rx, const char *s, size_t n)
{
    struct rx_m m;
    int matched = 0;
    size_t i;

    for (i = 0; i < COUNT(anchored); i++) {
        if (rx_match(rx, anchored[i], s, n, 0, &m) > 0) {
            matched++;
            if (!rx_can_match_at(anchored[i], s, n))
                fail_msg("pattern %d matches at the start of \"%.*s\"",
                         (int)anchored[i], (int)n, s);
        }
    }
    for (i = 0; i < COUNT(anywhere); i++) {
        if (rx_search(rx, anywhere[i], s, n, 0, &m) > 0) {
            matched++;
            if (!rx_can_match_in(anywhere[i], s, n))
                fail_msg("pattern %d matches in \"%.*s\"", (int)anywhere[i],
                         (int)n, s);
        }
    }
    assert_int_equal(rx->err, BODE_OK);
    return matched;
}

static void test_fixed_cases(void **state)
{
    static const struct {
        const char *text;
        enum rx_id id;
        bool at; /* what the quick test must say */
    } cases[] = {
        {"Title\n=====\n", RX_B_LHEADING, true},
        {"Title\n  -\n", RX_B_LHEADING, true},
        {"Title\nText\n", RX_B_LHEADING, false},
        {"\n===", RX_B_LHEADING, false},
        {"a | b\n--|--\n", RX_B_NPTABLE, true},
        {"a b\n--|--\n", RX_B_NPTABLE, false},
        {"   ***", RX_B_HRULE, true},
        {"    ***", RX_B_HRULE, false},
        {"    code", RX_B_BLOCK_CODE, true},
        {"   code", RX_B_BLOCK_CODE, false},
        {"  \342\200\242 item", RX_B_LIST_BLOCK, true},
        {"12. item", RX_B_LIST_BLOCK, true},
        {"item", RX_B_LIST_BLOCK, false},
        /* \d is Unicode's: N'Ko and Arabic-Indic digits start lists too
         * (the fuzzer found the N'Ko one). */
        {"\337\200. item", RX_B_LIST_BLOCK, true},
        {" \331\243. item", RX_B_LIST_BLOCK, true},
        {"\303\251. item", RX_B_LIST_BLOCK, false},
        {"[^1]: x", RX_B_DEF_FOOTNOTES, true},
        {" [^1]: x", RX_B_DEF_FOOTNOTES, false},
    };
    size_t i;

    (void)state;
    for (i = 0; i < COUNT(cases); i++)
        assert_int_equal(
            rx_can_match_at(cases[i].id, cases[i].text, strlen(cases[i].text)),
            cases[i].at);
    {
        /* And the pattern itself agrees that it matches. */
        static const char nko[] = "\337\200. item";
        struct rx_ctx rx;
        struct rx_m m;

        rx_ctx_init(&rx, 1000000);
        assert_int_equal(
            rx_match(&rx, RX_B_LIST_BLOCK, nko, strlen(nko), 0, &m), 1);
        rx_ctx_release(&rx);
    }
    assert_true(rx_can_match_in(RX_F_HYPHENS, "a - b", 5));
    assert_true(rx_can_match_in(RX_F_HYPHENS, "a\302\240- b", 6));
    assert_false(rx_can_match_in(RX_F_HYPHENS, "well-known", 10));
    assert_true(rx_can_match_in(RX_F_SPACE_PUNCT, "end .", 5));
    assert_false(rx_can_match_in(RX_F_SPACE_PUNCT, "end. x,y", 8));
    assert_true(rx_can_match_in(RX_F_GOVUK, "see Gov.Uk", 10));
    assert_false(rx_can_match_in(RX_F_GOVUK, "see gov uk", 10));
}

static void test_random_texts(void **state)
{
    static const char *const parts[] = {
        " ",
        "  ",
        "    ",
        "\n",
        "\n\n",
        "\t",
        "-",
        "\342\200\223",
        "\342\200\224",
        "=",
        "|",
        ":",
        ".",
        ",",
        "*",
        "_",
        "#",
        "^",
        "<",
        ">",
        "[",
        "]",
        "`",
        "~",
        "1.",
        "\342\200\242",
        "gov",
        "GOV",
        "uk",
        ".UK",
        "a",
        "word",
        "\302\240",
        "\343\200\200",
        "<p>",
        "http://x",
        "\"",
        "'",
    };
    char text[96];
    struct rx_ctx rx;
    unsigned seed = 20261128;
    long matched = 0;
    int round;

    (void)state;
    rx_ctx_init(&rx, 100000000ULL);
    for (round = 0; round < 40000; round++) {
        size_t n = 0;
        int k = 1 + (int)(rand_r(&seed) % 12);

        while (k-- > 0) {
            const char *p = parts[rand_r(&seed) % COUNT(parts)];
            size_t len = strlen(p);

            if (n + len >= sizeof(text))
                break;
            memcpy(text + n, p, len);
            n += len;
        }
        matched += check(&rx, text, n);
    }
    rx_ctx_release(&rx);
    /* The generator must reach the patterns, or the check proves nothing. */
    assert_true(matched > 4000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_cases),
        cmocka_unit_test(test_random_texts),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
