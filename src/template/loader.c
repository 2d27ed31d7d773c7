/* Template files: a small "key: value" header, a blank line, then the
 * body, with every problem reported as file:line. Must not interpret the
 * body beyond checking it is UTF-8 text. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bode/alloc.h"
#include "bode/template.h"
#include "template/template_int.h"
#include "template/uni.h"

#define FILE_MAX ((size_t)4 << 20)

enum hdr { H_ID, H_NAME, H_TYPE, H_SUBJECT, H__COUNT };

static const char *const hdr_names[H__COUNT] = {"id", "name", "type",
                                                "subject"};

static void set_err(struct bode_tmpl_error *e, const char *origin,
                    unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void set_err(struct bode_tmpl_error *e, const char *origin,
                    unsigned line, const char *fmt, ...)
{
    va_list ap;

    if (!e)
        return;
    va_start(ap, fmt);
    vsnprintf(e->text, sizeof(e->text), fmt, ap);
    va_end(ap);
    snprintf(e->file, sizeof(e->file), "%s", origin ? origin : "");
    e->line = line;
}

void bode_tmpl_def_free(struct bode_tmpl_def *d)
{
    if (!d)
        return;
    bode_free(d->name);
    bode_free(d->subject);
    bode_free(d->body);
    bode_free(d);
}

static bool is_uuid(const char *s, size_t n)
{
    size_t i;

    if (n != 36)
        return false;
    for (i = 0; i < n; i++) {
        char c = s[i];

        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
                     (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return true;
}

static void trim(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' ||
                  (*s)[*n - 1] == '\r'))
        (*n)--;
}

static enum bode_err set_header(struct bode_tmpl_def *d, enum hdr h,
                                const char *v, size_t vn, const char *origin,
                                unsigned line, struct bode_tmpl_error *e)
{
    size_t i;

    switch (h) {
    case H_ID:
        if (!is_uuid(v, vn)) {
            set_err(e, origin, line,
                    "id must be a UUID such as "
                    "3fa85f64-5717-4562-b3fc-2c963f66afa6");
            return BODE_ERR_INVALID;
        }
        for (i = 0; i < vn; i++)
            d->id[i] = (char)(v[i] >= 'A' && v[i] <= 'F' ? v[i] + 32 : v[i]);
        d->id[vn] = '\0';
        return BODE_OK;
    case H_NAME:
        if (!vn) {
            set_err(e, origin, line, "name must not be empty");
            return BODE_ERR_INVALID;
        }
        d->name = bode_strndup(v, vn);
        return d->name ? BODE_OK : BODE_ERR_NOMEM;
    case H_TYPE:
        if (vn == 3 && memcmp(v, "sms", 3) == 0) {
            d->type = BODE_TMPL_SMS;
        } else if (vn == 5 && memcmp(v, "email", 5) == 0) {
            d->type = BODE_TMPL_EMAIL;
        } else {
            set_err(e, origin, line, "type must be sms or email");
            return BODE_ERR_INVALID;
        }
        return BODE_OK;
    case H_SUBJECT:
        if (!vn) {
            set_err(e, origin, line, "subject must not be empty");
            return BODE_ERR_INVALID;
        }
        d->subject = bode_strndup(v, vn);
        return d->subject ? BODE_OK : BODE_ERR_NOMEM;
    default:
        return BODE_ERR_INVALID;
    }
}

enum bode_err bode_tmpl_file_parse(const char *text, size_t len,
                                   const char *origin,
                                   struct bode_tmpl_def **out,
                                   struct bode_tmpl_error *e)
{
    struct bode_tmpl_def *d = NULL;
    unsigned seen[H__COUNT] = {0};
    unsigned line = 1;
    unsigned sep_line = 0;
    size_t pos = 0;
    size_t bad;
    size_t body_end;
    enum bode_err err = BODE_OK;

    *out = NULL;
    if (memchr(text, '\0', len)) {
        const char *z = memchr(text, '\0', len);
        size_t k;

        for (k = 0; text + k < z; k++)
            line += text[k] == '\n';
        set_err(e, origin, line, "the file contains a NUL byte");
        return BODE_ERR_INVALID;
    }
    if (!uni_valid(text, len, &bad)) {
        size_t k;

        for (k = 0; k < bad; k++)
            line += text[k] == '\n';
        set_err(e, origin, line, "the file is not valid UTF-8");
        return BODE_ERR_INVALID;
    }
    d = bode_calloc(1, sizeof(*d));
    if (!d)
        return BODE_ERR_NOMEM;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        const char *s = text + pos;
        size_t n = end - pos;
        const char *colon;
        size_t kn;
        int h;

        trim(&s, &n);
        pos = nl ? end + 1 : len;
        if (n == 0) {
            sep_line = line;
            line++;
            break;
        }
        if (s[0] == '#') {
            line++;
            continue;
        }
        colon = memchr(s, ':', n);
        if (!colon) {
            set_err(e, origin, line,
                    "expected a 'key: value' header line or a blank line");
            err = BODE_ERR_INVALID;
            goto out;
        }
        kn = (size_t)(colon - s);
        for (h = 0; h < H__COUNT; h++)
            if (strlen(hdr_names[h]) == kn && memcmp(hdr_names[h], s, kn) == 0)
                break;
        if (h == H__COUNT) {
            set_err(e, origin, line,
                    "unknown header '%.*s' (expected id, name, type or "
                    "subject)",
                    (int)(kn > 40 ? 40 : kn), s);
            err = BODE_ERR_INVALID;
            goto out;
        }
        if (seen[h]) {
            set_err(e, origin, line, "duplicate header '%s' (first on line %u)",
                    hdr_names[h], seen[h]);
            err = BODE_ERR_INVALID;
            goto out;
        }
        seen[h] = line;
        s = colon + 1;
        n = n - kn - 1;
        trim(&s, &n);
        err = set_header(d, (enum hdr)h, s, n, origin, line, e);
        if (err) {
            if (err == BODE_ERR_NOMEM)
                set_err(e, origin, line, "out of memory");
            goto out;
        }
        line++;
    }
    if (!sep_line) {
        set_err(e, origin, line,
                "missing the blank line between the header and the body");
        err = BODE_ERR_INVALID;
        goto out;
    }
    for (int h = 0; h < H__COUNT; h++) {
        if (h == H_SUBJECT || seen[h])
            continue;
        set_err(e, origin, sep_line, "missing header '%s'", hdr_names[h]);
        err = BODE_ERR_INVALID;
        goto out;
    }
    if (d->type == BODE_TMPL_EMAIL && !seen[H_SUBJECT]) {
        set_err(e, origin, sep_line, "an email template needs a subject");
        err = BODE_ERR_INVALID;
        goto out;
    }
    if (d->type == BODE_TMPL_SMS && seen[H_SUBJECT]) {
        set_err(e, origin, seen[H_SUBJECT],
                "a text message template has no subject");
        err = BODE_ERR_INVALID;
        goto out;
    }
    /* Blank lines before the body are part of the separator. */
    for (;;) {
        size_t k = pos;

        while (k < len && strchr(" \t\r", text[k]))
            k++;
        if (k >= len || text[k] != '\n')
            break;
        pos = k + 1;
        line++;
    }
    body_end = len;
    while (body_end > pos && strchr(" \t\r\n", text[body_end - 1]))
        body_end--;
    if (body_end == pos) {
        set_err(e, origin, line, "the body is empty");
        err = BODE_ERR_INVALID;
        goto out;
    }
    d->body = bode_strndup(text + pos, body_end - pos);
    if (!d->body) {
        err = BODE_ERR_NOMEM;
        goto out;
    }
    d->body_line = line;
out:
    if (err) {
        if (err == BODE_ERR_NOMEM)
            set_err(e, origin, line, "out of memory");
        bode_tmpl_def_free(d);
        return err;
    }
    *out = d;
    return BODE_OK;
}

enum bode_err bode_tmpl_file_load(const char *path, struct bode_tmpl_def **out,
                                  struct bode_tmpl_error *e)
{
    FILE *f = NULL;
    char *text = NULL;
    size_t len = 0;
    size_t got;
    char why[128];
    enum bode_err err = BODE_OK;

    *out = NULL;
    f = fopen(path, "rb");
    if (!f) {
        set_err(e, path, 0, "cannot open: %s",
                strerror_r(errno, why, sizeof(why)));
        return BODE_ERR_IO;
    }
    text = bode_malloc(FILE_MAX + 1);
    if (!text) {
        err = BODE_ERR_NOMEM;
        set_err(e, path, 0, "out of memory");
        goto out;
    }
    while ((got = fread(text + len, 1, FILE_MAX + 1 - len, f)) > 0)
        len += got;
    if (ferror(f)) {
        set_err(e, path, 0, "cannot read: %s",
                strerror_r(errno, why, sizeof(why)));
        err = BODE_ERR_IO;
        goto out;
    }
    if (len > FILE_MAX) {
        set_err(e, path, 0, "the file is over 4 MiB");
        err = BODE_ERR_TOO_BIG;
        goto out;
    }
    err = bode_tmpl_file_parse(text, len, path, out, e);
out:
    bode_free(text);
    if (f)
        fclose(f);
    return err;
}

enum bode_err bode_tmpl_def_compile(const struct bode_tmpl_def *d,
                                    struct bode_tmpl **out,
                                    struct bode_tmpl_error *e)
{
    struct bode_tmpl_source src = {d->type, d->subject, d->body};

    return bode_tmpl_compile(&src, out, e);
}
