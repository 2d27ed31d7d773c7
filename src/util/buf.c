/* Bounded growable buffers. Must never write past cap or return a
 * half-appended buffer. */
#include "bode/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bode/alloc.h"

void bode_buf_init(struct bode_buf *b, size_t cap)
{
    b->data = NULL;
    b->len = 0;
    b->alloc = 0;
    b->cap = cap;
}

void bode_buf_release(struct bode_buf *b)
{
    bode_free(b->data);
    bode_buf_init(b, b->cap);
}

void bode_buf_reset(struct bode_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static enum bode_err reserve(struct bode_buf *b, size_t n)
{
    size_t need;
    size_t want;
    char *grown;

    if (n > b->cap || b->len > b->cap - n)
        return BODE_ERR_TOO_BIG;
    need = b->len + n + 1;
    if (need <= b->alloc)
        return BODE_OK;
    want = b->alloc ? b->alloc : 64;
    while (want < need)
        want = want > SIZE_MAX / 2 ? need : want * 2;
    /* cap + 1 would wrap for an unbounded (SIZE_MAX) buffer. */
    if (b->cap < SIZE_MAX && want > b->cap + 1)
        want = b->cap + 1;
    grown = bode_realloc(b->data, want);
    if (!grown)
        return BODE_ERR_NOMEM;
    b->data = grown;
    b->alloc = want;
    return BODE_OK;
}

enum bode_err bode_buf_add(struct bode_buf *b, const void *data, size_t n)
{
    enum bode_err err = reserve(b, n);

    if (err)
        return err;
    if (n)
        memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return BODE_OK;
}

enum bode_err bode_buf_adds(struct bode_buf *b, const char *s)
{
    return bode_buf_add(b, s, strlen(s));
}

enum bode_err bode_buf_addv(struct bode_buf *b, ...)
{
    enum bode_err err = BODE_OK;
    const char *s;
    va_list ap;

    va_start(ap, b);
    while (!err && (s = va_arg(ap, const char *)) != NULL)
        err = bode_buf_adds(b, s);
    va_end(ap);
    return err;
}

enum bode_err bode_buf_addc(struct bode_buf *b, char c)
{
    return bode_buf_add(b, &c, 1);
}

enum bode_err bode_buf_vaddf(struct bode_buf *b, const char *fmt, va_list ap)
{
    va_list again;
    int n;
    enum bode_err err;

    va_copy(again, ap);
    n = vsnprintf(NULL, 0, fmt, ap);
    if (n < 0) {
        err = BODE_ERR_INVALID;
        goto out;
    }
    err = reserve(b, (size_t)n);
    if (err)
        goto out;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
    b->len += (size_t)n;
out:
    va_end(again);
    return err;
}

enum bode_err bode_buf_addf(struct bode_buf *b, const char *fmt, ...)
{
    va_list ap;
    enum bode_err err;

    va_start(ap, fmt);
    err = bode_buf_vaddf(b, fmt, ap);
    va_end(ap);
    return err;
}

const char *bode_buf_str(const struct bode_buf *b)
{
    return b->data ? b->data : "";
}

char *bode_buf_take(struct bode_buf *b, size_t *len)
{
    char *out = b->data;

    if (!out)
        out = bode_strdup("");
    if (out && len)
        *len = b->len;
    if (out)
        bode_buf_init(b, b->cap);
    return out;
}
