/* Growable byte buffers with a hard cap fixed at creation (curl's dynbuf).
 *
 * A buffer never grows past its cap: an append that would exceed it fails
 * with BODE_ERR_TOO_BIG and leaves the contents unchanged. The contents are
 * always NUL-terminated (the terminator does not count towards len or cap),
 * so text can be passed on as a C string. */
#ifndef BODE_BUF_H
#define BODE_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "bode/err.h"

struct bode_buf {
    char *data; /* NULL until the first append */
    size_t len;
    size_t alloc;
    size_t cap;
};

/* Prepares caller-owned b, empty, allowing at most cap bytes. */
void bode_buf_init(struct bode_buf *b, size_t cap);

/* Frees the contents; b may be initialised again or dropped. */
void bode_buf_release(struct bode_buf *b);

/* Empties b but keeps its memory for reuse. */
void bode_buf_reset(struct bode_buf *b);

/* Appends n bytes (which may contain NULs). BODE_ERR_TOO_BIG past the cap,
 * BODE_ERR_NOMEM if memory runs out; on error b is unchanged. */
enum bode_err bode_buf_add(struct bode_buf *b, const void *data, size_t n);

/* Appends a C string. Errors as bode_buf_add. */
enum bode_err bode_buf_adds(struct bode_buf *b, const char *s);

/* Appends each C string given, up to a NULL; stops at the first error,
 * which it returns (errors as bode_buf_add). */
enum bode_err bode_buf_addv(struct bode_buf *b, ...) __attribute__((sentinel));

/* Appends one byte. Errors as bode_buf_add. */
enum bode_err bode_buf_addc(struct bode_buf *b, char c);

/* Appends printf-style formatted text. Errors as bode_buf_add, plus
 * BODE_ERR_INVALID for a bad format. */
enum bode_err bode_buf_addf(struct bode_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
enum bode_err bode_buf_vaddf(struct bode_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Returns the contents as a C string (never NULL: "" when empty). Valid
 * until the next change to b. */
const char *bode_buf_str(const struct bode_buf *b);

/* Hands the contents to the caller, who frees them with bode_free, and
 * leaves b empty. Returns NULL only when memory runs out. */
char *bode_buf_take(struct bode_buf *b, size_t *len);

#endif
