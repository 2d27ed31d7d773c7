/* JSON text written directly: the API's 201 body and provider payloads. */
#include "bode/jsonw.h"

#include <string.h>

/* The escape for the character at s[i], written to esc; returns its
 * length (0: the byte goes as it is) and sets *used to the input bytes it
 * stands for. */
static size_t escape_at(const char *s, size_t n, size_t i, char esc[6],
                        size_t *used)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char c = (unsigned char)s[i];

    *used = 1;
    esc[0] = '\\';
    switch (c) {
    case '"':
    case '\\':
        esc[1] = (char)c;
        return 2;
    case '\n':
        esc[1] = 'n';
        return 2;
    case '\r':
        esc[1] = 'r';
        return 2;
    case '\t':
        esc[1] = 't';
        return 2;
    default:
        break;
    }
    if (c < 0x20) {
        memcpy(esc + 1, "u00", 3);
        esc[4] = hex[c >> 4];
        esc[5] = hex[c & 15];
        return 6;
    }
    /* Line and paragraph separators are valid JSON but not valid in
     * JavaScript string literals, so they are escaped for old parsers. */
    if (c == 0xe2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
        ((unsigned char)s[i + 2] == 0xa8 || (unsigned char)s[i + 2] == 0xa9)) {
        memcpy(esc + 1, (unsigned char)s[i + 2] == 0xa8 ? "u2028" : "u2029", 5);
        *used = 3;
        return 6;
    }
    return 0;
}

enum bode_err bode_json_escape(struct bode_buf *out, const char *s, size_t n)
{
    enum bode_err err = BODE_OK;
    size_t plain = 0; /* start of the bytes not yet copied */
    size_t i = 0;
    size_t used;
    size_t len;
    char esc[6];

    while (!err && i < n) {
        len = escape_at(s, n, i, esc, &used);
        if (!len) {
            i++;
            continue;
        }
        err = bode_buf_add(out, s + plain, i - plain);
        if (!err)
            err = bode_buf_add(out, esc, len);
        i += used;
        plain = i;
    }
    return err ? err : bode_buf_add(out, s + plain, n - plain);
}

enum bode_err bode_json_str(struct bode_buf *out, const char *s)
{
    enum bode_err err;

    if (!s)
        return bode_buf_add(out, "null", 4);
    err = bode_buf_addc(out, '"');
    if (!err)
        err = bode_json_escape(out, s, strlen(s));
    return err ? err : bode_buf_addc(out, '"');
}
