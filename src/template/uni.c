/* UTF-8 decoding and Python-compatible character classes. Must stay pure
 * table look-ups: no allocation, no locale. */
#include "template/uni.h"

size_t uni_decode(const char *s, size_t n, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    uint32_t c;
    size_t len;
    size_t i;

    if (u[0] < 0x80) {
        *cp = u[0];
        return 1;
    }
    if (u[0] >= 0xC2 && u[0] <= 0xDF) {
        len = 2;
        c = u[0] & 0x1F;
    } else if (u[0] >= 0xE0 && u[0] <= 0xEF) {
        len = 3;
        c = u[0] & 0x0F;
    } else if (u[0] >= 0xF0 && u[0] <= 0xF4) {
        len = 4;
        c = u[0] & 0x07;
    } else {
        goto bad;
    }
    if (n < len)
        goto bad;
    for (i = 1; i < len; i++) {
        if ((u[i] & 0xC0) != 0x80)
            goto bad;
        c = (c << 6) | (u[i] & 0x3F);
    }
    if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) || c > 0x10FFFF ||
        (c >= 0xD800 && c <= 0xDFFF))
        goto bad;
    *cp = c;
    return len;
bad:
    *cp = UNI_REPLACEMENT;
    return 1;
}

size_t uni_prev(const char *s, size_t pos)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t p = pos - 1;
    size_t back = 0;
    uint32_t cp;

    while (p > 0 && back < 3 && (u[p] & 0xC0) == 0x80) {
        p--;
        back++;
    }
    /* Only step over continuation bytes that really belong to p. */
    if (uni_decode(s + p, pos - p, &cp) == pos - p)
        return p;
    return pos - 1;
}

size_t uni_encode(uint32_t cp, char *out)
{
    unsigned char *o = (unsigned char *)out;

    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

bool uni_valid(const char *s, size_t n, size_t *bad)
{
    size_t i = 0;
    size_t len;
    uint32_t cp;

    while (i < n) {
        len = uni_decode(s + i, n - i, &cp);
        if (cp == UNI_REPLACEMENT && len == 1 && (unsigned char)s[i] >= 0x80) {
            if (bad)
                *bad = i;
            return false;
        }
        i += len;
    }
    return true;
}

static bool in_ranges(const struct uni_range *t, size_t n, uint32_t cp)
{
    size_t lo = 0;
    size_t hi = n;
    size_t mid;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        if (cp < t[mid].lo)
            hi = mid;
        else if (cp > t[mid].hi)
            lo = mid + 1;
        else
            return true;
    }
    return false;
}

bool uni_is_space(uint32_t cp)
{
    if (cp < 0x80)
        return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) ||
               (cp >= 0x1C && cp <= 0x1F);
    return in_ranges(uni_space_tab, uni_space_tab_len, cp);
}

bool uni_is_word(uint32_t cp)
{
    if (cp < 0x80)
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
               (cp >= '0' && cp <= '9') || cp == '_';
    return in_ranges(uni_word_tab, uni_word_tab_len, cp);
}

bool uni_is_digit(uint32_t cp)
{
    if (cp < 0x80)
        return cp >= '0' && cp <= '9';
    return in_ranges(uni_digit_tab, uni_digit_tab_len, cp);
}

uint32_t uni_lower(uint32_t cp)
{
    size_t lo = 0;
    size_t hi = uni_lower_tab_len;
    size_t mid;
    const struct uni_lower *r;

    if (cp < 0x80)
        return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        r = &uni_lower_tab[mid];
        if (cp < r->lo) {
            hi = mid;
        } else if (cp > r->hi) {
            lo = mid + 1;
        } else {
            if ((cp - r->lo) % r->stride == 0)
                return (uint32_t)((int32_t)cp + r->delta);
            return cp;
        }
    }
    return cp;
}

size_t uni_count(const char *s, size_t n)
{
    size_t i = 0;
    size_t count = 0;
    uint32_t cp;

    while (i < n) {
        i += uni_decode(s + i, n - i, &cp);
        count++;
    }
    return count;
}

size_t uni_utf16_units(const char *s, size_t n)
{
    size_t i = 0;
    size_t units = 0;
    uint32_t cp;

    while (i < n) {
        i += uni_decode(s + i, n - i, &cp);
        units += cp >= 0x10000 ? 2 : 1;
    }
    return units;
}

void uni_lstrip(const char **s, size_t *n)
{
    uint32_t cp;
    size_t len;

    while (*n > 0) {
        len = uni_decode(*s, *n, &cp);
        if (!uni_is_space(cp))
            break;
        *s += len;
        *n -= len;
    }
}

void uni_rstrip(const char *s, size_t *n)
{
    uint32_t cp;
    size_t p;

    while (*n > 0) {
        p = uni_prev(s, *n);
        uni_decode(s + p, *n - p, &cp);
        if (!uni_is_space(cp))
            break;
        *n = p;
    }
}

void uni_strip(const char **s, size_t *n)
{
    uni_lstrip(s, n);
    uni_rstrip(*s, n);
}

bool uni_is_blank(const char *s, size_t n)
{
    uni_lstrip(&s, &n);
    return n == 0;
}

bool uni_is_printable(uint32_t cp)
{
    if (cp < 0x80)
        return cp >= 0x20 && cp < 0x7F;
    return !in_ranges(uni_unprintable_tab, uni_unprintable_tab_len, cp);
}
