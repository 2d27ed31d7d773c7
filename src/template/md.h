/* Notify-flavoured Markdown: a faithful port of mistune 0.8.4 as
 * notifications-utils configures it (its grammar changes, hard wraps, no
 * emphasis or code spans) with its three email renderers. Module-private.
 */
#ifndef BODE_TEMPLATE_MD_H
#define BODE_TEMPLATE_MD_H

#include <stddef.h>

#include "bode/buf.h"
#include "bode/err.h"
#include "template/rx.h"

enum md_kind {
    MD_HTML,      /* NotifyEmailMarkdownRenderer */
    MD_PLAIN,     /* NotifyPlainTextEmailMarkdownRenderer */
    MD_PREHEADER, /* NotifyEmailPreheaderMarkdownRenderer */
};

/* Renders src[0..n) and appends the result to out. Temporary buffers are
 * capped at out->cap. Errors: BODE_ERR_NOMEM, BODE_ERR_TOO_BIG (an output
 * or the rx budget ran out). Thread safe with a per-call rx. */
enum bode_err md_render(struct rx_ctx *rx, enum md_kind kind, const char *src,
                        size_t n, struct bode_buf *out);

/* The sequence notifications-utils marks list items with in plain text. */
#define MD_MAGIC                                                               \
    "\360\237\207\254\360\237\207\247\360\237\220\246\342\234\211\357\270\217"

#endif
