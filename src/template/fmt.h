/* notifications-utils' text formatters (formatters.py) and the part of
 * smartypants 2.0 it uses, each appending its result to out. Module-
 * private; every function returns BODE_ERR_NOMEM or BODE_ERR_TOO_BIG (an
 * output cap or the rx budget) on failure. */
#ifndef BODE_TEMPLATE_FMT_H
#define BODE_TEMPLATE_FMT_H

#include <stddef.h>

#include "bode/buf.h"
#include "bode/err.h"
#include "template/rx.h"

/* smartypants(value, Attr.q | Attr.u) with <a> added to the skipped tags. */
enum bode_err fmt_smartypants(struct rx_ctx *rx, const char *s, size_t n,
                              struct bode_buf *out);

/* do_nice_typography: whitespace before , and . removed, smart quotes
 * (straight again inside email addresses), spaced hyphens to en dashes. */
enum bode_err fmt_nice_typography(struct rx_ctx *rx, const char *s, size_t n,
                                  struct bode_buf *out);

/* remove_whitespace_before_punctuation. */
enum bode_err fmt_space_punct(struct rx_ctx *rx, const char *s, size_t n,
                              struct bode_buf *out);

/* unlink_govuk_escaped: a zero-width space after "GOV." in GOV.UK. */
enum bode_err fmt_unlink_govuk(struct rx_ctx *rx, const char *s, size_t n,
                               struct bode_buf *out);

/* strip_unsupported_characters: drops U+2028 and U+3164. */
enum bode_err fmt_strip_unsupported(const char *s, size_t n,
                                    struct bode_buf *out);

/* normalise_whitespace: no-break spaces become spaces, zero-width
 * characters go, then runs of whitespace become one space, trimmed. */
enum bode_err fmt_normalise_whitespace(const char *s, size_t n,
                                       struct bode_buf *out);

/* normalise_whitespace_and_newlines: the above per line (str.splitlines),
 * lines joined by \n. */
enum bode_err fmt_normalise_lines(const char *s, size_t n,
                                  struct bode_buf *out);

/* normalise_multiple_newlines: three or more \n become two. */
enum bode_err fmt_multiple_newlines(const char *s, size_t n,
                                    struct bode_buf *out);

/* strip_and_remove_obscure_whitespace: zero-width and no-break spaces
 * removed everywhere, then ASCII whitespace trimmed. */
enum bode_err fmt_strip_obscure(const char *s, size_t n, struct bode_buf *out);

/* True for the zero-width characters notifications-utils removes. */
static inline int fmt_is_zero_width(unsigned cp)
{
    return cp == 0x180E || cp == 0x200B || cp == 0x200C || cp == 0x200D ||
           cp == 0x2060 || cp == 0xFEFF || cp == 0x2028 || cp == 0x2029;
}

#endif
