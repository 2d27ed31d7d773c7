/* HTML text helpers with notifications-utils' exact behaviour: its
 * escape_html (strict unescape, then escape & < >), Python's
 * html.unescape, mistune's escape and urllib's quote. Module-private. */
#ifndef BODE_TEMPLATE_HTML_H
#define BODE_TEMPLATE_HTML_H

#include <stdbool.h>
#include <stddef.h>

#include "bode/buf.h"
#include "bode/err.h"
#include "template/rx.h"

struct html_entity {
    const char *name;  /* without the leading '&', with ';' when it has one */
    const char *value; /* UTF-8 */
};

extern const struct html_entity html_entity_tab[];
extern const size_t html_entity_tab_len;

/* notifications-utils escape_html(): entities are decoded (only those with
 * a ';'), then & < > escaped; &amp; and &nbsp; survive as written. */
enum bode_err html_escape_notify(struct rx_ctx *rx, const char *s, size_t n,
                                 struct bode_buf *out);

/* Python's html.unescape(). */
enum bode_err html_unescape(struct rx_ctx *rx, const char *s, size_t n,
                            struct bode_buf *out);

/* mistune 0.8.4 escape(): '&' unless it starts an entity-like "&#?\w+;",
 * '<' and '>'; quotes too when quote is set. */
enum bode_err html_md_escape(const char *s, size_t n, bool quote,
                             struct bode_buf *out);

/* urllib.parse.quote(s, safe=":/?#=&;%"). */
enum bode_err html_url_quote(const char *s, size_t n, struct bode_buf *out);

#endif
