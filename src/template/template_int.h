/* Internals shared by the template module's files: the compiled template,
 * placeholder fields and text-message encoding. Module-private. */
#ifndef BODE_TEMPLATE_INT_H
#define BODE_TEMPLATE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bode/buf.h"
#include "bode/err.h"
#include "bode/template.h"
#include "template/rx.h"

enum seg_kind {
    SEG_TEXT,
    SEG_PLACEHOLDER,
    SEG_CONDITIONAL,
};

/* One run of a field: literal text, or a ((placeholder)) whose body is
 * src[off..off+len) (without the brackets). */
struct seg {
    uint8_t kind;
    size_t off;
    size_t len;
    size_t name_len; /* the name is the body up to the first "??" */
    char *key;       /* normalised name: case, ' ', '_' and '-' folded */
    size_t key_len;
};

/* A piece of template text split into segments. */
struct field {
    char *src;
    size_t n;
    struct seg *segs;
    size_t nsegs;
};

struct bode_tmpl {
    enum bode_tmpl_type type;
    char *body;
    char *subject;
    struct field body_raw; /* as written (plain text, SMS, API body) */
    struct field body_esc; /* after escape_html (HTML renderings) */
    struct field subj_raw;
    struct field subj_esc;
    char **names; /* unique placeholder names, template order */
    size_t nnames;
};

/* Splits src[0..n) (copied) into f. BODE_ERR_NOMEM. */
enum bode_err field_parse(const char *src, size_t n, struct field *f);
void field_release(struct field *f);

/* How values are written into a field. */
struct fill_opts {
    bool escape;         /* HTML-escape values (and use HTML "missing"
                            markers) */
    bool markdown_lists; /* lists as "\n\n* a\n* b", else "a, b and c" */
};

/* Appends f with every placeholder replaced from pers (may be NULL), as
 * notifications-utils' Field does. */
enum bode_err field_fill(struct rx_ctx *rx, const struct field *f,
                         const struct fill_opts *fo, const struct json_t *pers,
                         struct bode_buf *out);

/* The value pers holds for normalised key, or NULL for none/null. */
const struct json_t *field_lookup(const struct json_t *pers, const char *key,
                                  size_t key_len);

/* Appends make_key(s): ' ', '_' and '-' removed, lower-cased. */
enum bode_err field_make_key(const char *s, size_t n, struct bode_buf *out);

/* Python str() of a JSON value. */
enum bode_err field_py_str(const struct json_t *v, struct bode_buf *out);

/* Text messages: downgrades characters to GSM-7 where Notify's rules give
 * an equivalent, keeping everything else (see docs/internals/template.md).
 */
enum bode_err sms_encode(const char *s, size_t n, struct bode_buf *out);

struct sms_downgrade {
    uint32_t from;
    uint32_t to;
};

extern const struct sms_downgrade sms_decomp_tab[];
extern const size_t sms_decomp_tab_len;
extern const unsigned sms_gsm_basic_tab[];
extern const size_t sms_gsm_basic_tab_len;
extern const unsigned sms_welsh_tab[];
extern const size_t sms_welsh_tab_len;

bool sms_is_gsm(uint32_t cp);
bool sms_is_gsm_ext(uint32_t cp);

/* The HTML document around an email body. */
enum bode_err layout_render(const char *body_html, size_t body_len,
                            const char *subject_html, size_t subject_len,
                            const char *preheader, size_t preheader_len,
                            const struct bode_tmpl_brand *brand,
                            struct bode_buf *out, struct bode_tmpl_error *e);

/* Fills e->text (truncating) printf-style; e may be NULL. */
void tmpl_error_set(struct bode_tmpl_error *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
