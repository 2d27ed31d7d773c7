/* Fixture escapes for the data-driven tests. */
#include "fixture_escape.h"

#include <stddef.h>

#include "bode/hex.h"

static size_t put_utf8(char *out, unsigned long cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Decodes the fixture escapes (README.md) of s into out; returns the
 * length, or -1 for a malformed escape. */
long test_unescape(const char *s, char *out)
{
    size_t n = 0;
    unsigned long cp;
    int digits;
    int i;
    int d;

    while (*s) {
        if (*s != '\\') {
            out[n++] = *s++;
            continue;
        }
        s++;
        switch (*s) {
        case '\\':
            out[n++] = '\\';
            break;
        case 't':
            out[n++] = '\t';
            break;
        case 'n':
            out[n++] = '\n';
            break;
        case 'r':
            out[n++] = '\r';
            break;
        case 'v':
            out[n++] = '\v';
            break;
        case 'f':
            out[n++] = '\f';
            break;
        case 'x':
        case 'u':
        case 'U':
            digits = *s == 'x' ? 2 : (*s == 'u' ? 4 : 8);
            cp = 0;
            for (i = 1; i <= digits; i++) {
                d = bode_hex_value(s[i]);
                if (d < 0)
                    return -1;
                cp = cp * 16 + (unsigned long)d;
            }
            if (*s == 'x')
                out[n++] = (char)cp;
            else
                n += put_utf8(out + n, cp);
            s += digits;
            break;
        default:
            return -1;
        }
        s++;
    }
    out[n] = '\0';
    return (long)n;
}
