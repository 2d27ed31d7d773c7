/* The template module's public face: compiling templates and chaining the
 * notifications-utils pipelines (fill, Markdown, typography, SMS) for each
 * rendering. Must keep no state between calls: everything lives on the
 * caller's stack or in the caller's buffers. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bode/alloc.h"
#include "bode/template.h"
#include "template/fmt.h"
#include "template/html.h"
#include "template/md.h"
#include "template/template_int.h"
#include "template/uni.h"

#define BASE_BUDGET 20000000ULL
#define BUDGET_PER_BYTE 400ULL
#define PREHEADER_CHARS 256
#define EMAIL_MEASURE_CAP ((size_t)32 << 20)
#define KEY_CAP ((size_t)1 << 30) /* finite: a cap of SIZE_MAX overflows */
#define UNSUB_BEFORE "\n\n---\n\n[Unsubscribe from these emails]("

void tmpl_error_set(struct bode_tmpl_error *e, const char *fmt, ...)
{
    va_list ap;

    if (!e)
        return;
    va_start(ap, fmt);
    vsnprintf(e->text, sizeof(e->text), fmt, ap);
    va_end(ap);
    e->file[0] = '\0';
    e->line = 0;
}

static enum bode_err fail(struct bode_tmpl_error *e, enum bode_err err)
{
    if (err == BODE_ERR_NOMEM)
        tmpl_error_set(e, "Out of memory while rendering the template");
    else if (err == BODE_ERR_TOO_BIG)
        tmpl_error_set(e, "The rendered message is over the size or work "
                          "limit");
    return err;
}

/* Rendering context: the rx scratch with a budget that grows with the
 * text it is asked to work on. */
struct run {
    struct rx_ctx rx;
    const struct bode_tmpl_opts *opts;
    bool fixed;
};

static void run_init(struct run *r, const struct bode_tmpl_opts *opts)
{
    static const struct bode_tmpl_opts none;

    r->opts = opts ? opts : &none;
    r->fixed = r->opts->budget != 0;
    rx_ctx_init(&r->rx, r->fixed ? r->opts->budget : BASE_BUDGET);
}

static void run_grow(struct run *r, size_t len)
{
    if (!r->fixed)
        r->rx.budget += BUDGET_PER_BYTE * (unsigned long long)len;
}

static void run_release(struct run *r)
{
    rx_ctx_release(&r->rx);
}

/* Compiling. */

static enum bode_err escaped_field(const char *s, size_t n, struct field *f)
{
    struct rx_ctx rx;
    struct bode_buf esc;
    enum bode_err err;

    rx_ctx_init(&rx, BASE_BUDGET + BUDGET_PER_BYTE * n);
    bode_buf_init(&esc, n * 8 + 64);
    err = html_escape_notify(&rx, s, n, &esc);
    if (!err)
        err = field_parse(bode_buf_str(&esc), esc.len, f);
    bode_buf_release(&esc);
    rx_ctx_release(&rx);
    return err;
}

static enum bode_err add_names(struct bode_tmpl *t, const struct field *f)
{
    size_t i;
    size_t k;

    for (i = 0; i < f->nsegs; i++) {
        const struct seg *s = &f->segs[i];
        char **grown;
        bool seen = false;

        if (s->kind == SEG_TEXT)
            continue;
        for (k = 0; k < t->nnames && !seen; k++) {
            struct bode_buf key;
            enum bode_err err;

            bode_buf_init(&key, KEY_CAP);
            err = field_make_key(t->names[k], strlen(t->names[k]), &key);
            if (err) {
                bode_buf_release(&key);
                return err;
            }
            seen = key.len == s->key_len &&
                   memcmp(bode_buf_str(&key), s->key, key.len) == 0;
            bode_buf_release(&key);
        }
        if (seen)
            continue;
        grown = bode_realloc(t->names, (t->nnames + 1) * sizeof(*grown));
        if (!grown)
            return BODE_ERR_NOMEM;
        t->names = grown;
        t->names[t->nnames] = bode_strndup(f->src + s->off, s->name_len);
        if (!t->names[t->nnames])
            return BODE_ERR_NOMEM;
        t->nnames++;
    }
    return BODE_OK;
}

enum bode_err bode_tmpl_compile(const struct bode_tmpl_source *src,
                                struct bode_tmpl **out,
                                struct bode_tmpl_error *e)
{
    struct bode_tmpl *t = NULL;
    enum bode_err err;
    size_t bad;

    *out = NULL;
    if (!src || !src->body) {
        tmpl_error_set(e, "A template needs a body");
        return BODE_ERR_INVALID;
    }
    if (src->type == BODE_TMPL_EMAIL && !src->subject) {
        tmpl_error_set(e, "An email template needs a subject");
        return BODE_ERR_INVALID;
    }
    if (src->type == BODE_TMPL_SMS && src->subject) {
        tmpl_error_set(e, "A text message template has no subject");
        return BODE_ERR_INVALID;
    }
    if (src->type != BODE_TMPL_SMS && src->type != BODE_TMPL_EMAIL) {
        tmpl_error_set(e, "Unknown template type");
        return BODE_ERR_INVALID;
    }
    if (!uni_valid(src->body, strlen(src->body), &bad)) {
        tmpl_error_set(e, "The body is not valid UTF-8 (byte %zu)", bad);
        return BODE_ERR_INVALID;
    }
    if (src->subject && !uni_valid(src->subject, strlen(src->subject), &bad)) {
        tmpl_error_set(e, "The subject is not valid UTF-8 (byte %zu)", bad);
        return BODE_ERR_INVALID;
    }
    t = bode_calloc(1, sizeof(*t));
    if (!t) {
        err = BODE_ERR_NOMEM;
        goto out;
    }
    t->type = src->type;
    t->body = bode_strdup(src->body);
    if (!t->body) {
        err = BODE_ERR_NOMEM;
        goto out;
    }
    err = field_parse(src->body, strlen(src->body), &t->body_raw);
    if (!err)
        err = escaped_field(src->body, strlen(src->body), &t->body_esc);
    if (!err && src->subject) {
        t->subject = bode_strdup(src->subject);
        if (!t->subject)
            err = BODE_ERR_NOMEM;
        if (!err)
            err = field_parse(src->subject, strlen(src->subject), &t->subj_raw);
        if (!err)
            err =
                escaped_field(src->subject, strlen(src->subject), &t->subj_esc);
        if (!err)
            err = add_names(t, &t->subj_raw);
    }
    if (!err)
        err = add_names(t, &t->body_raw);
out:
    if (err) {
        fail(e, err);
        bode_tmpl_free(t);
        return err;
    }
    *out = t;
    return BODE_OK;
}

void bode_tmpl_free(struct bode_tmpl *t)
{
    size_t i;

    if (!t)
        return;
    field_release(&t->body_raw);
    field_release(&t->body_esc);
    field_release(&t->subj_raw);
    field_release(&t->subj_esc);
    for (i = 0; i < t->nnames; i++)
        bode_free(t->names[i]);
    bode_free(t->names);
    bode_free(t->body);
    bode_free(t->subject);
    bode_free(t);
}

enum bode_tmpl_type bode_tmpl_type(const struct bode_tmpl *t)
{
    return t->type;
}

const char *bode_tmpl_body(const struct bode_tmpl *t)
{
    return t->body;
}

const char *bode_tmpl_subject(const struct bode_tmpl *t)
{
    return t->subject;
}

size_t bode_tmpl_placeholder_count(const struct bode_tmpl *t)
{
    return t->nnames;
}

const char *bode_tmpl_placeholder(const struct bode_tmpl *t, size_t i)
{
    return i < t->nnames ? t->names[i] : NULL;
}

enum bode_err bode_tmpl_missing(const struct bode_tmpl *t,
                                const struct json_t *pers, struct bode_buf *out,
                                size_t *count)
{
    struct bode_buf key;
    enum bode_err err = BODE_OK;
    size_t n = 0;
    size_t i;

    bode_buf_init(&key, KEY_CAP);
    for (i = 0; i < t->nnames && !err; i++) {
        bode_buf_reset(&key);
        err = field_make_key(t->names[i], strlen(t->names[i]), &key);
        if (err)
            break;
        if (field_lookup(pers, bode_buf_str(&key), key.len))
            continue;
        if (n++)
            err = bode_buf_adds(out, ", ");
        if (!err)
            err = bode_buf_adds(out, t->names[i]);
    }
    bode_buf_release(&key);
    if (count)
        *count = n;
    return err;
}

/* Pipelines. */

static enum bode_err fill(struct run *r, const struct field *f, bool escape,
                          bool markdown_lists, const struct json_t *pers,
                          struct bode_buf *out)
{
    struct fill_opts fo = {escape, markdown_lists};
    enum bode_err err = field_fill(&r->rx, f, &fo, pers, out);

    run_grow(r, out->len);
    return err;
}

static enum bode_err api_body_email(struct run *r, const struct bode_tmpl *t,
                                    const struct json_t *pers,
                                    struct bode_buf *out)
{
    struct bode_buf a;
    enum bode_err err;
    const char *s;
    size_t n;

    bode_buf_init(&a, out->cap);
    err = fill(r, &t->body_raw, false, true, pers, &a);
    if (!err) {
        s = bode_buf_str(&a);
        n = a.len;
        uni_strip(&s, &n);
        err = bode_buf_add(out, s, n);
    }
    bode_buf_release(&a);
    return err;
}

/* BaseSMSTemplate._get_unsanitised_content. */
static enum bode_err sms_unsanitised(struct run *r, const struct bode_tmpl *t,
                                     const struct json_t *pers,
                                     const char *prefix, struct bode_buf *out)
{
    struct bode_buf a;
    struct bode_buf b;
    enum bode_err err;
    const char *s;
    size_t n;

    bode_buf_init(&a, out->cap);
    bode_buf_init(&b, out->cap);
    if (prefix && prefix[0]) {
        s = prefix;
        n = strlen(prefix);
        uni_strip(&s, &n);
        err = bode_buf_add(&a, s, n);
        if (!err)
            err = bode_buf_adds(&a, ": ");
    } else {
        err = BODE_OK;
    }
    if (!err)
        err = fill(r, &t->body_raw, false, false, pers, &a);
    if (!err)
        err = fmt_space_punct(&r->rx, bode_buf_str(&a), a.len, &b);
    bode_buf_reset(&a);
    if (!err)
        err = fmt_normalise_lines(bode_buf_str(&b), b.len, &a);
    bode_buf_reset(&b);
    if (!err)
        err = fmt_multiple_newlines(bode_buf_str(&a), a.len, &b);
    if (!err) {
        s = bode_buf_str(&b);
        n = b.len;
        uni_strip(&s, &n);
        err = bode_buf_add(out, s, n);
    }
    bode_buf_release(&a);
    bode_buf_release(&b);
    return err;
}

static size_t count_without_prefix(size_t count, const char *prefix)
{
    size_t plen;

    if (!prefix || !prefix[0])
        return count;
    plen = uni_count(prefix, strlen(prefix)) + 2;
    return count > plen ? count - plen : 0;
}

/* The email body before Markdown: filled (escaped for HTML), GOV.UK
 * unlinked, unsupported characters dropped, a trailing newline. */
static enum bode_err email_source(struct run *r, const struct bode_tmpl *t,
                                  const struct json_t *pers, bool escape,
                                  bool unsubscribe, struct bode_buf *out)
{
    const char *url = r->opts->unsubscribe_url;
    struct bode_buf a;
    struct bode_buf b;
    enum bode_err err;

    bode_buf_init(&a, out->cap);
    bode_buf_init(&b, out->cap);
    err = fill(r, escape ? &t->body_esc : &t->body_raw, escape, true, pers, &a);
    if (!err && unsubscribe && url && url[0]) {
        err = bode_buf_adds(&b, UNSUB_BEFORE);
        if (!err)
            err = bode_buf_adds(&b, url);
        if (!err)
            err = bode_buf_addc(&b, ')');
        if (!err) {
            /* Notify appends the link before filling, so placeholders in
             * it are filled too; no placeholder can span the join. */
            struct bode_buf c;
            struct field f;

            bode_buf_init(&c, out->cap);
            if (escape)
                err = html_escape_notify(&r->rx, bode_buf_str(&b), b.len, &c);
            else
                err = bode_buf_add(&c, bode_buf_str(&b), b.len);
            if (!err)
                err = field_parse(bode_buf_str(&c), c.len, &f);
            if (!err) {
                err = fill(r, &f, escape, true, pers, &a);
                field_release(&f);
            }
            bode_buf_release(&c);
        }
        bode_buf_reset(&b);
    }
    if (!err)
        err = fmt_unlink_govuk(&r->rx, bode_buf_str(&a), a.len, &b);
    if (!err)
        err = fmt_strip_unsupported(bode_buf_str(&b), b.len, out);
    if (!err)
        err = bode_buf_addc(out, '\n');
    bode_buf_release(&a);
    bode_buf_release(&b);
    return err;
}

static enum bode_err html_body(struct run *r, const struct bode_tmpl *t,
                               const struct json_t *pers, struct bode_buf *out)
{
    struct bode_buf a;
    struct bode_buf b;
    enum bode_err err;

    bode_buf_init(&a, out->cap);
    bode_buf_init(&b, out->cap);
    err = email_source(r, t, pers, true, true, &a);
    if (!err)
        err = md_render(&r->rx, MD_HTML, bode_buf_str(&a), a.len, &b);
    if (!err)
        err = fmt_nice_typography(&r->rx, bode_buf_str(&b), b.len, out);
    bode_buf_release(&a);
    bode_buf_release(&b);
    return err;
}

static enum bode_err preheader(struct run *r, const struct bode_tmpl *t,
                               const struct json_t *pers, struct bode_buf *out)
{
    struct bode_buf a;
    struct bode_buf b;
    enum bode_err err;
    const char *s;
    size_t n;
    size_t i = 0;
    size_t chars = 0;

    bode_buf_init(&a, out->cap);
    bode_buf_init(&b, out->cap);
    err = email_source(r, t, pers, true, false, &a);
    if (!err)
        err = md_render(&r->rx, MD_PREHEADER, bode_buf_str(&a), a.len, &b);
    bode_buf_reset(&a);
    if (!err)
        err = fmt_nice_typography(&r->rx, bode_buf_str(&b), b.len, &a);
    if (!err) {
        /* " ".join(text.split())[:256].strip() */
        struct bode_buf c;

        bode_buf_init(&c, out->cap);
        s = bode_buf_str(&a);
        n = a.len;
        while (n > 0 && !err) {
            size_t w = 0;
            uint32_t cp;

            uni_lstrip(&s, &n);
            while (w < n) {
                size_t len = uni_decode(s + w, n - w, &cp);

                if (uni_is_space(cp))
                    break;
                w += len;
            }
            if (w) {
                if (c.len)
                    err = bode_buf_addc(&c, ' ');
                if (!err)
                    err = bode_buf_add(&c, s, w);
            }
            s += w;
            n -= w;
        }
        s = bode_buf_str(&c);
        n = c.len;
        while (i < n && chars < PREHEADER_CHARS) {
            uint32_t cp;

            i += uni_decode(s + i, n - i, &cp);
            chars++;
        }
        n = i;
        uni_strip(&s, &n);
        if (!err)
            err = bode_buf_add(out, s, n);
        bode_buf_release(&c);
    }
    bode_buf_release(&a);
    bode_buf_release(&b);
    return err;
}

static enum bode_err subject(struct run *r, const struct bode_tmpl *t,
                             const struct json_t *pers, bool escape,
                             struct bode_buf *out)
{
    struct bode_buf a;
    struct bode_buf b;
    enum bode_err err;

    bode_buf_init(&a, out->cap);
    bode_buf_init(&b, out->cap);
    err =
        fill(r, escape ? &t->subj_esc : &t->subj_raw, escape, false, pers, &a);
    if (!err)
        err = fmt_nice_typography(&r->rx, bode_buf_str(&a), a.len, &b);
    if (!err)
        err = fmt_normalise_whitespace(bode_buf_str(&b), b.len, out);
    bode_buf_release(&a);
    bode_buf_release(&b);
    return err;
}

/* Public renderings. */

static enum bode_err need_type(const struct bode_tmpl *t,
                               enum bode_tmpl_type type,
                               struct bode_tmpl_error *e)
{
    if (t->type == type)
        return BODE_OK;
    tmpl_error_set(e, type == BODE_TMPL_EMAIL
                          ? "This rendering needs an email template"
                          : "This rendering needs a text message template");
    return BODE_ERR_INVALID;
}

/* body (may be NULL) receives an email's measured text on success. */
static enum bode_err check(const struct bode_tmpl *t, const struct json_t *pers,
                           const struct bode_tmpl_opts *opts,
                           struct bode_buf *body, struct bode_tmpl_error *e)
{
    struct run r;
    struct bode_buf a;
    enum bode_err err;
    size_t missing = 0;
    size_t count;
    bool worded = true;

    bode_buf_init(&a, sizeof(e->text) - 32);
    err = bode_tmpl_missing(t, pers, &a, &missing);
    if (err == BODE_ERR_TOO_BIG) {
        /* Too many names for the message: say so rather than cut one. */
        err = BODE_OK;
        missing = 1;
        bode_buf_reset(&a);
        bode_buf_adds(&a, "(too many to list)");
    }
    if (err) {
        bode_buf_release(&a);
        return fail(e, err);
    }
    if (missing) {
        tmpl_error_set(e, "Missing personalisation: %s", bode_buf_str(&a));
        bode_buf_release(&a);
        return BODE_ERR_INVALID;
    }
    bode_buf_release(&a);
    run_init(&r, opts);
    bode_buf_init(&a, BODE_TMPL_DEFAULT_CAP);
    if (t->type == BODE_TMPL_SMS) {
        err = sms_unsanitised(&r, t, pers, r.opts->sms_prefix, &a);
        if (err) {
            worded = false;
            goto out;
        }
        count = count_without_prefix(uni_count(bode_buf_str(&a), a.len),
                                     r.opts->sms_prefix);
        if (count == 0) {
            tmpl_error_set(e, "Your message is empty.");
            err = BODE_ERR_INVALID;
        } else if (count > BODE_TMPL_SMS_CHAR_LIMIT) {
            tmpl_error_set(e,
                           "Your message is too long. Text messages cannot "
                           "be longer than %d characters. Your message is "
                           "%zu characters long.",
                           BODE_TMPL_SMS_CHAR_LIMIT, count);
            err = BODE_ERR_TOO_BIG;
        }
        goto out;
    }
    a.cap = EMAIL_MEASURE_CAP;
    err = api_body_email(&r, t, pers, &a);
    if (err == BODE_ERR_TOO_BIG) {
        /* Past what we will hold in memory: still Notify's sentence. */
        tmpl_error_set(e,
                       "Your message is too long. Emails cannot be longer "
                       "than %d bytes. Your message is more than %zu bytes.",
                       BODE_TMPL_EMAIL_BYTE_LIMIT, EMAIL_MEASURE_CAP);
        goto out;
    }
    if (err) {
        worded = false;
        goto out;
    }
    if (!t->body[0] ||
        (strncmp(t->body, "((", 2) == 0 && strlen(t->body) >= 2 &&
         strcmp(t->body + strlen(t->body) - 2, "))") == 0 &&
         uni_count(bode_buf_str(&a), a.len) == 0)) {
        tmpl_error_set(e, "Your message is empty.");
        err = BODE_ERR_INVALID;
    } else if (a.len > BODE_TMPL_EMAIL_BYTE_LIMIT) {
        tmpl_error_set(e,
                       "Your message is too long. Emails cannot be longer "
                       "than %d bytes. Your message is %zu bytes.",
                       BODE_TMPL_EMAIL_BYTE_LIMIT, a.len);
        err = BODE_ERR_TOO_BIG;
    } else if (body) {
        if (a.len > body->cap) {
            err = BODE_ERR_TOO_BIG;
            worded = false;
        } else {
            a.cap = body->cap;
            bode_buf_release(body);
            *body = a;
            bode_buf_init(&a, 0);
        }
    }
out:
    if (err && !worded)
        fail(e, err);
    bode_buf_release(&a);
    run_release(&r);
    return err;
}

enum bode_err bode_tmpl_check(const struct bode_tmpl *t,
                              const struct json_t *pers,
                              const struct bode_tmpl_opts *opts,
                              struct bode_tmpl_error *e)
{
    return check(t, pers, opts, NULL, e);
}

enum bode_err bode_tmpl_check_body(const struct bode_tmpl *t,
                                   const struct json_t *pers,
                                   const struct bode_tmpl_opts *opts,
                                   struct bode_buf *body,
                                   struct bode_tmpl_error *e)
{
    enum bode_err err = check(t, pers, opts, body, e);

    if (!err && t->type == BODE_TMPL_SMS)
        err = bode_tmpl_render_body(t, pers, body, e);
    return err;
}

enum bode_err bode_tmpl_render_body(const struct bode_tmpl *t,
                                    const struct json_t *pers,
                                    struct bode_buf *out,
                                    struct bode_tmpl_error *e)
{
    struct run r;
    struct bode_buf a;
    enum bode_err err;

    run_init(&r, NULL);
    if (t->type == BODE_TMPL_EMAIL) {
        err = api_body_email(&r, t, pers, out);
    } else {
        bode_buf_init(&a, out->cap);
        err = sms_unsanitised(&r, t, pers, NULL, &a);
        if (!err)
            err = sms_encode(bode_buf_str(&a), a.len, out);
        bode_buf_release(&a);
    }
    run_release(&r);
    return err ? fail(e, err) : BODE_OK;
}

enum bode_err bode_tmpl_render_subject(const struct bode_tmpl *t,
                                       const struct json_t *pers,
                                       struct bode_buf *out,
                                       struct bode_tmpl_error *e)
{
    struct run r;
    enum bode_err err = need_type(t, BODE_TMPL_EMAIL, e);

    if (err)
        return err;
    run_init(&r, NULL);
    err = subject(&r, t, pers, false, out);
    run_release(&r);
    return err ? fail(e, err) : BODE_OK;
}

enum bode_err bode_tmpl_render_html_body(const struct bode_tmpl *t,
                                         const struct json_t *pers,
                                         const struct bode_tmpl_opts *opts,
                                         struct bode_buf *out,
                                         struct bode_tmpl_error *e)
{
    struct run r;
    enum bode_err err = need_type(t, BODE_TMPL_EMAIL, e);

    if (err)
        return err;
    run_init(&r, opts);
    err = html_body(&r, t, pers, out);
    run_release(&r);
    return err ? fail(e, err) : BODE_OK;
}

enum bode_err bode_tmpl_render_text(const struct bode_tmpl *t,
                                    const struct json_t *pers,
                                    const struct bode_tmpl_opts *opts,
                                    struct bode_buf *out,
                                    struct bode_tmpl_error *e)
{
    struct run r;
    struct bode_buf a;
    struct bode_buf b;
    const char *s;
    size_t n;
    enum bode_err err = need_type(t, BODE_TMPL_EMAIL, e);

    if (err)
        return err;
    run_init(&r, opts);
    bode_buf_init(&a, out->cap);
    bode_buf_init(&b, out->cap);
    err = email_source(&r, t, pers, false, true, &a);
    if (!err)
        err = md_render(&r.rx, MD_PLAIN, bode_buf_str(&a), a.len, &b);
    bode_buf_reset(&a);
    if (!err)
        err = fmt_nice_typography(&r.rx, bode_buf_str(&b), b.len, &a);
    bode_buf_reset(&b);
    if (!err)
        err = html_unescape(&r.rx, bode_buf_str(&a), a.len, &b);
    if (!err) {
        s = bode_buf_str(&b);
        n = b.len;
        uni_lstrip(&s, &n);
        err = bode_buf_add(out, s, n);
        if (!err)
            err = bode_buf_addc(out, '\n');
    }
    bode_buf_release(&a);
    bode_buf_release(&b);
    run_release(&r);
    return err ? fail(e, err) : BODE_OK;
}

enum bode_err bode_tmpl_render_preheader(const struct bode_tmpl *t,
                                         const struct json_t *pers,
                                         const struct bode_tmpl_opts *opts,
                                         struct bode_buf *out,
                                         struct bode_tmpl_error *e)
{
    struct run r;
    enum bode_err err = need_type(t, BODE_TMPL_EMAIL, e);

    if (err)
        return err;
    run_init(&r, opts);
    err = preheader(&r, t, pers, out);
    run_release(&r);
    return err ? fail(e, err) : BODE_OK;
}

enum bode_err bode_tmpl_render_email_html(const struct bode_tmpl *t,
                                          const struct json_t *pers,
                                          const struct bode_tmpl_opts *opts,
                                          const struct bode_tmpl_brand *brand,
                                          struct bode_buf *out,
                                          struct bode_tmpl_error *e)
{
    struct run r;
    struct bode_buf body;
    struct bode_buf subj;
    struct bode_buf pre;
    enum bode_err err = need_type(t, BODE_TMPL_EMAIL, e);

    if (err)
        return err;
    run_init(&r, opts);
    bode_buf_init(&body, out->cap);
    bode_buf_init(&subj, out->cap);
    bode_buf_init(&pre, out->cap);
    err = html_body(&r, t, pers, &body);
    if (!err)
        err = subject(&r, t, pers, true, &subj);
    if (!err)
        err = preheader(&r, t, pers, &pre);
    if (!err) {
        err =
            layout_render(bode_buf_str(&body), body.len, bode_buf_str(&subj),
                          subj.len, bode_buf_str(&pre), pre.len, brand, out, e);
        if (err == BODE_ERR_INVALID)
            goto out;
    }
    if (err)
        fail(e, err);
out:
    bode_buf_release(&body);
    bode_buf_release(&subj);
    bode_buf_release(&pre);
    run_release(&r);
    return err;
}

enum bode_err
bode_tmpl_render_sms(const struct bode_tmpl *t, const struct json_t *pers,
                     const struct bode_tmpl_opts *opts, struct bode_buf *out,
                     struct bode_sms_info *info, struct bode_tmpl_error *e)
{
    struct run r;
    struct bode_buf a;
    size_t before = out->len;
    enum bode_err err = need_type(t, BODE_TMPL_SMS, e);

    if (err)
        return err;
    run_init(&r, opts);
    bode_buf_init(&a, out->cap);
    err = sms_unsanitised(&r, t, pers, r.opts->sms_prefix, &a);
    if (!err)
        err = sms_encode(bode_buf_str(&a), a.len, out);
    if (!err && info) {
        bode_sms_measure(bode_buf_str(out) + before, out->len - before, info);
        info->chars = count_without_prefix(uni_count(bode_buf_str(&a), a.len),
                                           r.opts->sms_prefix);
    }
    bode_buf_release(&a);
    run_release(&r);
    return err ? fail(e, err) : BODE_OK;
}
