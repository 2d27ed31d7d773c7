/* The GOV.UK Notify template language: ((placeholders)), ((conditional??
 * text)), list values, Notify-flavoured Markdown for email (HTML, plain
 * text, subject, preheader) and text messages (GSM-7 or UCS-2, fragments),
 * rendered exactly as notifications-utils renders them.
 *
 * A template is compiled once (bode_tmpl_compile) into an immutable
 * struct bode_tmpl that any number of threads may render at the same time:
 * rendering keeps no hidden state and takes everything it needs as
 * arguments. Every rendering appends to a caller-owned struct bode_buf and
 * never grows it past its cap (BODE_ERR_TOO_BIG); temporary buffers use
 * the same cap. Personalisation is a borrowed jansson object; the module
 * only reads it. Errors come back as enum bode_err plus a caller-supplied
 * struct bode_tmpl_error; no error text is ever allocated.
 *
 * The template-file loader (bode_tmpl_file_*) reads the human-editable
 * files in templates/ and reports problems as file:line. */
#ifndef BODE_TEMPLATE_H
#define BODE_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "bode/buf.h"
#include "bode/err.h"

struct json_t; /* jansson's json_t; borrowed, never changed */

/* Notify's limits. */
#define BODE_TMPL_SMS_CHAR_LIMIT 918
#define BODE_TMPL_EMAIL_BYTE_LIMIT 2000000
/* A good cap for a struct bode_buf that receives a rendered email. */
#define BODE_TMPL_DEFAULT_CAP ((size_t)16 << 20)

enum bode_tmpl_type {
    BODE_TMPL_SMS,
    BODE_TMPL_EMAIL,
};

struct bode_tmpl_error {
    char text[512]; /* one sentence; Notify's exact wording where it has
                       one, e.g. "Missing personalisation: name" */
    char file[256]; /* loader: the file; otherwise "" */
    unsigned line;  /* loader: 1-based line; otherwise 0 */
};

struct bode_tmpl;

/* Template source, all borrowed for the duration of the call. */
struct bode_tmpl_source {
    enum bode_tmpl_type type;
    const char *subject; /* email: required; sms: must be NULL */
    const char *body;    /* UTF-8 */
};

/* Options for one rendering; a zeroed struct (or NULL) means none. */
struct bode_tmpl_opts {
    const char *sms_prefix;      /* service name for "Name: " when the
                                    service prefixes texts; NULL for none */
    const char *unsubscribe_url; /* email: appends Notify's unsubscribe
                                    link to HTML and text; NULL for none */
    unsigned long long budget;   /* work budget in pattern-matching steps;
                                    0 picks one proportional to the input */
};

/* Branding for the HTML email layout, all borrowed; NULL fields take the
 * neutral default (no banner colour, no logo). */
struct bode_tmpl_brand {
    const char *name;     /* shown in the header, e.g. the service name */
    const char *logo_url; /* http(s) URL of a logo image */
    const char *logo_alt; /* alt text for the logo; defaults to name */
    const char *colour;   /* header colour "#rgb" or "#rrggbb" */
    const char *lang;     /* language tag for <html lang>, default "en" */
};

enum bode_sms_encoding {
    BODE_SMS_GSM7,
    BODE_SMS_UCS2,
};

/* What a rendered text message costs. */
struct bode_sms_info {
    enum bode_sms_encoding encoding;
    size_t chars;       /* Notify's count for the 918 limit: characters of
                           the normalised body, prefix excluded */
    size_t units;       /* GSM-7 septets (extension characters count two) or
                           UTF-16 code units, prefix included */
    unsigned fragments; /* 160/153 septets or 70/67 units per fragment */
};

/* Compiles src. On success *out is a new template the caller frees with
 * bode_tmpl_free. BODE_ERR_INVALID (e->text says why) for a body or subject
 * that is not UTF-8, a missing subject on an email or a subject on a text;
 * BODE_ERR_NOMEM. Thread safe. */
enum bode_err bode_tmpl_compile(const struct bode_tmpl_source *src,
                                struct bode_tmpl **out,
                                struct bode_tmpl_error *e);

/* Frees t; NULL is fine. */
void bode_tmpl_free(struct bode_tmpl *t);

/* Getters; strings stay valid while t lives. */
enum bode_tmpl_type bode_tmpl_type(const struct bode_tmpl *t);
const char *bode_tmpl_body(const struct bode_tmpl *t);
const char *bode_tmpl_subject(const struct bode_tmpl *t); /* NULL for sms */

/* Placeholder names in template order (subject first), each once however
 * its case, spaces, hyphens and underscores vary. i < count. */
size_t bode_tmpl_placeholder_count(const struct bode_tmpl *t);
const char *bode_tmpl_placeholder(const struct bode_tmpl *t, size_t i);

/* Appends to out the placeholders pers gives no value for (absent or
 * null), in template order, joined by ", " -- the tail of Notify's
 * "Missing personalisation: a, b" -- and sets *count (may be NULL).
 * pers may be NULL (everything missing). Errors: BODE_ERR_TOO_BIG,
 * BODE_ERR_NOMEM. */
enum bode_err bode_tmpl_missing(const struct bode_tmpl *t,
                                const struct json_t *pers, struct bode_buf *out,
                                size_t *count);

/* Notify's send-time checks, in its order: missing personalisation
 * (BODE_ERR_INVALID), empty message (BODE_ERR_INVALID, "Your message is
 * empty."), too long (BODE_ERR_TOO_BIG, Notify's exact sentence with the
 * size). e->text holds the message. BODE_ERR_NOMEM also possible. */
enum bode_err bode_tmpl_check(const struct bode_tmpl *t,
                              const struct json_t *pers,
                              const struct bode_tmpl_opts *opts,
                              struct bode_tmpl_error *e);

/* bode_tmpl_check, then, when it passes, the API body into body as
 * bode_tmpl_render_body gives it. An email's body is the text the check
 * measured, kept rather than rendered a second time. */
enum bode_err bode_tmpl_check_body(const struct bode_tmpl *t,
                                   const struct json_t *pers,
                                   const struct bode_tmpl_opts *opts,
                                   struct bode_buf *body,
                                   struct bode_tmpl_error *e);

/* The API `body`: for email the Markdown source with placeholders filled
 * and lists as Markdown bullets, trimmed; for a text message the sent text
 * without the service-name prefix. Missing values stay as ((name)). */
enum bode_err bode_tmpl_render_body(const struct bode_tmpl *t,
                                    const struct json_t *pers,
                                    struct bode_buf *out,
                                    struct bode_tmpl_error *e);

/* Email subject for the Subject header: filled, typography applied,
 * whitespace collapsed. BODE_ERR_INVALID for a text-message template. */
enum bode_err bode_tmpl_render_subject(const struct bode_tmpl *t,
                                       const struct json_t *pers,
                                       struct bode_buf *out,
                                       struct bode_tmpl_error *e);

/* Email body as an HTML fragment (the API preview `html`): values
 * HTML-escaped, Notify's Markdown, typography. */
enum bode_err bode_tmpl_render_html_body(const struct bode_tmpl *t,
                                         const struct json_t *pers,
                                         const struct bode_tmpl_opts *opts,
                                         struct bode_buf *out,
                                         struct bode_tmpl_error *e);

/* Email body as plain text (the text/plain part). */
enum bode_err bode_tmpl_render_text(const struct bode_tmpl *t,
                                    const struct json_t *pers,
                                    const struct bode_tmpl_opts *opts,
                                    struct bode_buf *out,
                                    struct bode_tmpl_error *e);

/* Email preheader: the first 256 characters of the text, one line. opts
 * may be NULL; only its budget counts. */
enum bode_err bode_tmpl_render_preheader(const struct bode_tmpl *t,
                                         const struct json_t *pers,
                                         const struct bode_tmpl_opts *opts,
                                         struct bode_buf *out,
                                         struct bode_tmpl_error *e);

/* The complete HTML email (text/html part): the body in Bode's accessible,
 * responsive layout with brand (NULL for the neutral default).
 * BODE_ERR_INVALID for a bad brand colour or logo URL. */
enum bode_err bode_tmpl_render_email_html(const struct bode_tmpl *t,
                                          const struct json_t *pers,
                                          const struct bode_tmpl_opts *opts,
                                          const struct bode_tmpl_brand *brand,
                                          struct bode_buf *out,
                                          struct bode_tmpl_error *e);

/* The text message as sent (prefix included when opts asks for one) and,
 * when info is not NULL, its encoding and fragment count. BODE_ERR_INVALID
 * for an email template. */
enum bode_err
bode_tmpl_render_sms(const struct bode_tmpl *t, const struct json_t *pers,
                     const struct bode_tmpl_opts *opts, struct bode_buf *out,
                     struct bode_sms_info *info, struct bode_tmpl_error *e);

/* Measures a text message as sent: encoding, units and fragments (chars is
 * set to the code points of s). s must be UTF-8. */
void bode_sms_measure(const char *s, size_t n, struct bode_sms_info *info);

/* Template files: a header of "key: value" lines (id, name, type, subject
 * for email; '#' starts a comment line), a blank line, then the body. */
struct bode_tmpl_def {
    char id[37]; /* canonical lower-case UUID */
    char *name;
    char *subject; /* NULL for sms */
    char *body;
    enum bode_tmpl_type type;
    unsigned body_line; /* line where the body starts */
};

/* Parses text[0..len) read from origin (used in errors). On success *out
 * is a new definition freed with bode_tmpl_def_free. BODE_ERR_INVALID with
 * e->file = origin and e->line for malformed files, BODE_ERR_NOMEM. */
enum bode_err bode_tmpl_file_parse(const char *text, size_t len,
                                   const char *origin,
                                   struct bode_tmpl_def **out,
                                   struct bode_tmpl_error *e);

/* Reads and parses the file at path. BODE_ERR_IO when it cannot be read,
 * BODE_ERR_TOO_BIG past 4 MiB, otherwise as bode_tmpl_file_parse. */
enum bode_err bode_tmpl_file_load(const char *path, struct bode_tmpl_def **out,
                                  struct bode_tmpl_error *e);

/* Compiles a loaded definition (see bode_tmpl_compile). */
enum bode_err bode_tmpl_def_compile(const struct bode_tmpl_def *d,
                                    struct bode_tmpl **out,
                                    struct bode_tmpl_error *e);

/* Frees d; NULL is fine. */
void bode_tmpl_def_free(struct bode_tmpl_def *d);

#endif
