/* Strict unpadded base64url. Must accept exactly one spelling per byte
 * string and never read or write outside the given lengths. */
#include "bode/base64.h"

#include <stdint.h>

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int value_of(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

size_t bode_base64url_encoded_len(size_t n)
{
    return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
}

size_t bode_base64url_decoded_max(size_t len)
{
    return len / 4 * 3 + (len % 4 > 1 ? len % 4 - 1 : 0);
}

enum bode_err bode_base64url_encode(const void *in, size_t n, char *out,
                                    size_t size)
{
    const unsigned char *p = in;
    size_t need = bode_base64url_encoded_len(n);
    size_t i;
    size_t o = 0;
    uint32_t v;

    if (n > SIZE_MAX / 4 - 1 || size < need + 1) {
        if (size > 0)
            out[0] = '\0';
        return BODE_ERR_TOO_BIG;
    }
    for (i = 0; i + 3 <= n; i += 3) {
        v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = alphabet[v >> 6 & 63];
        out[o++] = alphabet[v & 63];
    }
    if (n - i == 1) {
        v = (uint32_t)p[i] << 16;
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
    } else if (n - i == 2) {
        v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = alphabet[v >> 6 & 63];
    }
    out[o] = '\0';
    return BODE_OK;
}

/* Checks the whole input before anything is written, so a caller never
 * sees half-decoded bytes after an error. */
static enum bode_err validate(const unsigned char *in, size_t len)
{
    size_t i;
    int last;

    if (len % 4 == 1)
        return BODE_ERR_INVALID;
    for (i = 0; i < len; i++)
        if (value_of(in[i]) < 0)
            return BODE_ERR_INVALID;
    if (len % 4 == 0)
        return BODE_OK;
    last = value_of(in[len - 1]);
    /* Two characters carry 8 bits (4 unused), three carry 16 (2 unused). */
    if (len % 4 == 2 && (last & 0x0f) != 0)
        return BODE_ERR_INVALID;
    if (len % 4 == 3 && (last & 0x03) != 0)
        return BODE_ERR_INVALID;
    return BODE_OK;
}

bool bode_base64url_is_valid(const char *in, size_t len)
{
    return (in || len == 0) &&
           validate((const unsigned char *)in, len) == BODE_OK;
}

enum bode_err bode_base64url_decode(const char *in, size_t len, void *out,
                                    size_t size, size_t *out_len)
{
    const unsigned char *s = (const unsigned char *)in;
    unsigned char *d = out;
    size_t need = bode_base64url_decoded_max(len);
    size_t i;
    size_t o = 0;
    uint32_t v;
    enum bode_err err;

    *out_len = 0;
    err = validate(s, len);
    if (err)
        return err;
    if (size < need)
        return BODE_ERR_TOO_BIG;
    for (i = 0; i + 4 <= len; i += 4) {
        v = (uint32_t)value_of(s[i]) << 18 |
            (uint32_t)value_of(s[i + 1]) << 12 |
            (uint32_t)value_of(s[i + 2]) << 6 | (uint32_t)value_of(s[i + 3]);
        d[o++] = (unsigned char)(v >> 16);
        d[o++] = (unsigned char)(v >> 8);
        d[o++] = (unsigned char)v;
    }
    if (len - i >= 2) {
        v = (uint32_t)value_of(s[i]) << 18 | (uint32_t)value_of(s[i + 1]) << 12;
        if (len - i == 3)
            v |= (uint32_t)value_of(s[i + 2]) << 6;
        d[o++] = (unsigned char)(v >> 16);
        if (len - i == 3)
            d[o++] = (unsigned char)(v >> 8);
    }
    *out_len = o;
    return BODE_OK;
}
