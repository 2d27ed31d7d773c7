/* Writing JSON text straight into a buffer, for hot paths where building
 * a jansson tree only to serialise it would cost more than the work. */
#ifndef BODE_JSONW_H
#define BODE_JSONW_H

#include <stddef.h>

#include "bode/buf.h"
#include "bode/err.h"

/* Appends the JSON string escape of s[0..n) without quotes: quote,
 * backslash, controls and U+2028/U+2029 as escapes, other bytes as they
 * are (s must be UTF-8). */
enum bode_err bode_json_escape(struct bode_buf *out, const char *s, size_t n);

/* Appends s as a quoted JSON string, or null when s is NULL. */
enum bode_err bode_json_str(struct bode_buf *out, const char *s);

#endif
