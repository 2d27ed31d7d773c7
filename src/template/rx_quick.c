/* Cheap necessary conditions for the patterns that run most often. Every
 * rendered email goes through Notify's Markdown block rules (up to fifteen
 * tried per block, most unable to match) and typography substitutions
 * (three renderings each, rarely finding anything). Plain byte tests for
 * what a match must begin with or contain rule those out without starting
 * the backtracking matcher. tests/unit/test_template.c and
 * tests/fuzz/fuzz_rx_quick.c check that no test ever says "cannot" where
 * the pattern matches. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "template/rx.h"
#include "template/uni.h"

static size_t skip_spaces(const char *t, size_t len, size_t max)
{
    size_t i = 0;

    while (i < len && i < max && t[i] == ' ')
        i++;
    return i;
}

/* "^X\n *Y": a non-empty first line (containing '|' when pipe is set),
 * then a line whose first non-space byte is y1 or y2. */
static bool underlined(const char *t, size_t len, bool pipe, char y1, char y2)
{
    const char *nl = memchr(t, '\n', len);
    size_t j;

    if (!nl || nl == t || (pipe && !memchr(t, '|', (size_t)(nl - t))))
        return false;
    j = (size_t)(nl - t) + 1;
    j += skip_spaces(t + j, len - j, len - j);
    return j < len && (t[j] == y1 || t[j] == y2);
}

/* "•" or a decimal digit: Python's \d (which the list rule uses) takes
 * every Unicode decimal digit, such as the N'Ko "߀", not only 0-9. */
static bool starts_bullet_or_digit(const char *t, size_t len)
{
    uint32_t cp;

    if (len == 0)
        return false;
    if ((unsigned char)t[0] < 0x80)
        return t[0] >= '0' && t[0] <= '9';
    uni_decode(t, len, &cp);
    return cp == 0x2022 || uni_is_digit(cp);
}

bool rx_can_match_at(enum rx_id id, const char *t, size_t len)
{
    size_t i = skip_spaces(t, len, len);

    switch (id) {
    case RX_B_NEWLINE:
        return len > 0 && t[0] == '\n';
    case RX_B_HRULE:
        i = skip_spaces(t, len, 3);
        return i < len && (t[i] == '-' || t[i] == '*' || t[i] == '_');
    case RX_B_BLOCK_CODE:
        return i >= 4;
    case RX_B_FENCES:
        return i < len && (t[i] == '`' || t[i] == '~');
    case RX_B_HEADING:
        return i < len && t[i] == '#';
    case RX_B_BLOCK_QUOTE:
        return i < len && t[i] == '^';
    case RX_B_LIST_BLOCK:
        return i < len && (t[i] == '*' || t[i] == '-' ||
                           starts_bullet_or_digit(t + i, len - i));
    case RX_B_BLOCK_HTML:
        return i < len && t[i] == '<';
    case RX_B_DEF_LINKS:
        return i < len && t[i] == '[';
    case RX_B_DEF_FOOTNOTES:
        return len > 1 && t[0] == '[' && t[1] == '^';
    case RX_B_TABLE:
        return i < len && t[i] == '|';
    case RX_B_NPTABLE:
        return underlined(t, len, true, '-', ':');
    case RX_B_LHEADING:
        return underlined(t, len, false, '=', '-');
    default:
        return true;
    }
}

/* White space right before a hyphen, en dash or em dash. A byte of a
 * multi-byte character counts as possible white space. */
static bool space_before_dash(const char *s, size_t n)
{
    size_t i;

    for (i = 1; i < n; i++) {
        unsigned char before = (unsigned char)s[i - 1];
        bool dash = s[i] == '-' ||
                    (n - i >= 3 && s[i] == '\342' && s[i + 1] == '\200' &&
                     (s[i + 2] == '\223' || s[i + 2] == '\224'));

        if (dash && (before >= 0x80 || uni_is_space(before)))
            return true;
    }
    return false;
}

/* A space or tab right before a comma or full stop. */
static bool space_before_punct(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i + 1 < n; i++)
        if ((s[i] == ' ' || s[i] == '\t') &&
            (s[i + 1] == ',' || s[i + 1] == '.'))
            return true;
    return false;
}

/* "gov." in any case: no character outside ASCII folds to g, o or v, so
 * comparing ASCII finds every case-insensitive match. */
static bool has_gov_dot(const char *s, size_t n)
{
    const char *dot = s;
    size_t at;

    while ((dot = memchr(dot, '.', n - (size_t)(dot - s))) != NULL) {
        at = (size_t)(dot - s);
        if (at >= 3 && (s[at - 3] | 0x20) == 'g' && (s[at - 2] | 0x20) == 'o' &&
            (s[at - 1] | 0x20) == 'v')
            return true;
        dot++;
    }
    return false;
}

bool rx_can_match_in(enum rx_id id, const char *s, size_t n)
{
    switch (id) {
    case RX_F_HYPHENS:
        return space_before_dash(s, n);
    case RX_F_SPACE_PUNCT:
        return space_before_punct(s, n);
    case RX_F_GOVUK:
        return has_gov_dot(s, n);
    default:
        return true;
    }
}
