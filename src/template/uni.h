/* UTF-8 and Unicode character classes for the template engine, matching
 * Python 3's `str` and `re` so the C rendering agrees with
 * notifications-utils character for character. Module-private. */
#ifndef BODE_TEMPLATE_UNI_H
#define BODE_TEMPLATE_UNI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct uni_range {
    uint32_t lo;
    uint32_t hi;
};

struct uni_lower {
    uint32_t lo;
    uint32_t hi;
    int32_t delta;
    uint32_t stride;
};

extern const struct uni_range uni_word_tab[];
extern const size_t uni_word_tab_len;
extern const struct uni_range uni_space_tab[];
extern const size_t uni_space_tab_len;
extern const struct uni_range uni_digit_tab[];
extern const size_t uni_digit_tab_len;
extern const struct uni_range uni_unprintable_tab[];
extern const size_t uni_unprintable_tab_len;
extern const struct uni_lower uni_lower_tab[];
extern const size_t uni_lower_tab_len;

#define UNI_REPLACEMENT 0xFFFDu

/* Decodes one code point from s[0..n) (n >= 1) into *cp and returns the
 * bytes used (1..4). A malformed sequence yields U+FFFD for one byte. */
size_t uni_decode(const char *s, size_t n, uint32_t *cp);

/* Start of the code point that ends just before s[pos]; pos > 0. */
size_t uni_prev(const char *s, size_t pos);

/* Writes cp as UTF-8 into out (4 bytes room) and returns its length. */
size_t uni_encode(uint32_t cp, char *out);

/* True when s[0..n) is well-formed UTF-8 without surrogates; *bad gets the
 * byte offset of the first problem otherwise. */
bool uni_valid(const char *s, size_t n, size_t *bad);

/* Python's str.isspace(), isalnum() or '_' (re's \w), and category Nd
 * (re's \d). */
bool uni_is_space(uint32_t cp);
bool uni_is_word(uint32_t cp);
bool uni_is_digit(uint32_t cp);

/* Python's str.isprintable() for one character. */
bool uni_is_printable(uint32_t cp);

/* Python's one-to-one str.lower() mapping (identity where lower() would
 * give several characters). */
uint32_t uni_lower(uint32_t cp);

/* Number of code points in s[0..n). */
size_t uni_count(const char *s, size_t n);

/* UTF-16 code units needed for s[0..n). */
size_t uni_utf16_units(const char *s, size_t n);

/* Python's str.strip(), lstrip() and rstrip() without arguments (every
 * Unicode whitespace character): adjust *s and *n in place. */
void uni_strip(const char **s, size_t *n);
void uni_lstrip(const char **s, size_t *n);
void uni_rstrip(const char *s, size_t *n);

/* True when s[0..n) is empty or only Unicode whitespace. */
bool uni_is_blank(const char *s, size_t n);

#endif
