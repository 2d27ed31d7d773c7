/* UTF-8 decoding shared by the email and phone validators. Strict: it
 * must never accept a byte sequence that is not well-formed UTF-8. */
#include "validate/validate_int.h"

long validate_utf8_next(const unsigned char *in, size_t len, size_t *i)
{
    unsigned char c = in[*i];
    long cp;
    size_t need;
    size_t k;

    if (c < 0x80) {
        (*i)++;
        return c;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        need = 1;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 2;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 3;
        cp = c & 0x07;
    } else {
        return -1;
    }
    if (len - *i <= need)
        return -1;
    for (k = 1; k <= need; k++) {
        if ((in[*i + k] & 0xc0) != 0x80)
            return -1;
        cp = (cp << 6) | (in[*i + k] & 0x3f);
    }
    if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return -1;
    *i += need + 1;
    return cp;
}
