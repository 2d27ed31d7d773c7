/* Placeholders: finding ((name)) and ((name??text)) in template text and
 * filling them from personalisation the way notifications-utils' Field
 * does. Must not apply Markdown, typography or SMS rules. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bode/alloc.h"
#include "template/fmt.h"
#include "template/html.h"
#include "template/template_int.h"
#include "template/uni.h"

static enum bode_err add_seg(struct field *f, size_t *alloc,
                             const struct seg *s)
{
    struct seg *grown;
    size_t want;

    if (f->nsegs == *alloc) {
        want = *alloc ? *alloc * 2 : 8;
        grown = bode_realloc(f->segs, want * sizeof(*grown));
        if (!grown)
            return BODE_ERR_NOMEM;
        f->segs = grown;
        *alloc = want;
    }
    f->segs[f->nsegs++] = *s;
    return BODE_OK;
}

enum bode_err field_make_key(const char *s, size_t n, struct bode_buf *out)
{
    enum bode_err err = BODE_OK;
    size_t i = 0;

    while (i < n && !err) {
        uint32_t cp;
        char tmp[4];

        i += uni_decode(s + i, n - i, &cp);
        if (cp == ' ' || cp == '_' || cp == '-')
            continue;
        if (cp == 0x130) /* 'İ'.lower() is "i" + U+0307 */
            err = bode_buf_add(out, "i\314\207", 3);
        else
            err = bode_buf_add(out, tmp, uni_encode(uni_lower(cp), tmp));
    }
    return err;
}

/* The placeholder pattern \(\(([^()]+)\)\), scanned leftmost-first. */
enum bode_err field_parse(const char *src, size_t n, struct field *f)
{
    enum bode_err err = BODE_OK;
    size_t alloc = 0;
    size_t text = 0;
    size_t i = 0;
    struct seg s;

    memset(f, 0, sizeof(*f));
    f->src = bode_malloc(n + 1);
    if (!f->src)
        return BODE_ERR_NOMEM;
    memcpy(f->src, src, n);
    f->src[n] = '\0';
    f->n = n;
    while (i + 1 < n && !err) {
        size_t j;
        const char *q;

        if (f->src[i] != '(' || f->src[i + 1] != '(') {
            i++;
            continue;
        }
        for (j = i + 2; j < n && f->src[j] != '(' && f->src[j] != ')'; j++)
            ;
        if (j == i + 2 || j + 1 >= n || f->src[j] != ')' ||
            f->src[j + 1] != ')') {
            i++;
            continue;
        }
        if (i > text) {
            memset(&s, 0, sizeof(s));
            s.kind = SEG_TEXT;
            s.off = text;
            s.len = i - text;
            err = add_seg(f, &alloc, &s);
            if (err)
                break;
        }
        memset(&s, 0, sizeof(s));
        s.off = i + 2;
        s.len = j - (i + 2);
        q = memmem(f->src + s.off, s.len, "??", 2);
        s.kind = q ? SEG_CONDITIONAL : SEG_PLACEHOLDER;
        s.name_len = q ? (size_t)(q - (f->src + s.off)) : s.len;
        {
            struct bode_buf key;

            bode_buf_init(&key, s.name_len * 3 + 16);
            err = field_make_key(f->src + s.off, s.name_len, &key);
            if (!err) {
                s.key = bode_buf_take(&key, &s.key_len);
                if (!s.key)
                    err = BODE_ERR_NOMEM;
            }
            bode_buf_release(&key);
        }
        if (!err)
            err = add_seg(f, &alloc, &s);
        if (err) {
            bode_free(s.key);
            break;
        }
        i = j + 2;
        text = i;
    }
    if (!err && text < n) {
        memset(&s, 0, sizeof(s));
        s.kind = SEG_TEXT;
        s.off = text;
        s.len = n - text;
        err = add_seg(f, &alloc, &s);
    }
    if (err)
        field_release(f);
    return err;
}

void field_release(struct field *f)
{
    size_t i;

    for (i = 0; i < f->nsegs; i++)
        bode_free(f->segs[i].key);
    bode_free(f->segs);
    bode_free(f->src);
    memset(f, 0, sizeof(*f));
}

/* Compares make_key(s) with an already normalised key without building
 * the normalised copy. */
static bool key_matches(const char *s, size_t n, const char *key,
                        size_t key_len)
{
    size_t i = 0;
    size_t k = 0;
    char tmp[4];
    size_t len;

    while (i < n) {
        uint32_t cp;

        i += uni_decode(s + i, n - i, &cp);
        if (cp == ' ' || cp == '_' || cp == '-')
            continue;
        if (cp == 0x130) {
            memcpy(tmp, "i\314\207", 3);
            len = 3;
        } else {
            len = uni_encode(uni_lower(cp), tmp);
        }
        if (k + len > key_len || memcmp(key + k, tmp, len) != 0)
            return false;
        k += len;
    }
    return k == key_len;
}

const struct json_t *field_lookup(const struct json_t *pers, const char *key,
                                  size_t key_len)
{
    const char *k;
    json_t *v;
    const json_t *found = NULL;

    if (!pers || !json_is_object(pers))
        return NULL;
    /* json_object_foreach wants a non-const object; it does not change it. */
    json_object_foreach((json_t *)(uintptr_t)pers, k, v)
    {
        if (key_matches(k, strlen(k), key, key_len))
            found = v; /* the last duplicate wins, as in a Python dict */
    }
    if (found && json_is_null(found))
        return NULL;
    return found;
}

/* Python's repr() of a float: the shortest digits that read back the same,
 * in fixed notation for exponents -4..15 and scientific otherwise. */
static enum bode_err py_float(double d, struct bode_buf *out)
{
    char digits[40];
    char mant[24];
    int prec;
    int exp10;
    size_t nd = 0;
    size_t i;
    char *e;
    enum bode_err err = BODE_OK;
    bool neg;

    if (isnan(d))
        return bode_buf_adds(out, "nan");
    if (isinf(d))
        return bode_buf_adds(out, d < 0 ? "-inf" : "inf");
    if (d == 0)
        return bode_buf_adds(out, signbit(d) ? "-0.0" : "0.0");
    for (prec = 1; prec <= 17; prec++) {
        snprintf(digits, sizeof(digits), "%.*e", prec - 1, d);
        if (strtod(digits, NULL) == d)
            break;
    }
    neg = digits[0] == '-';
    e = strchr(digits, 'e');
    exp10 = (int)strtol(e + 1, NULL, 10);
    for (i = neg ? 1 : 0; digits + i < e; i++)
        if (digits[i] != '.')
            mant[nd++] = digits[i];
    while (nd > 1 && mant[nd - 1] == '0')
        nd--;
    if (neg)
        err = bode_buf_addc(out, '-');
    if (err)
        return err;
    if (exp10 >= -4 && exp10 < 16) {
        if (exp10 < 0) {
            err = bode_buf_adds(out, "0.");
            for (i = 0; i < (size_t)(-exp10 - 1) && !err; i++)
                err = bode_buf_addc(out, '0');
            if (!err)
                err = bode_buf_add(out, mant, nd);
        } else {
            size_t intd = (size_t)exp10 + 1;

            for (i = 0; i < intd && !err; i++)
                err = bode_buf_addc(out, i < nd ? mant[i] : '0');
            if (!err)
                err = bode_buf_addc(out, '.');
            if (!err && nd > intd)
                err = bode_buf_add(out, mant + intd, nd - intd);
            else if (!err)
                err = bode_buf_addc(out, '0');
        }
        return err;
    }
    err = bode_buf_addc(out, mant[0]);
    if (!err && nd > 1) {
        err = bode_buf_addc(out, '.');
        if (!err)
            err = bode_buf_add(out, mant + 1, nd - 1);
    }
    if (!err)
        err = bode_buf_addf(out, "e%c%02d", exp10 < 0 ? '-' : '+',
                            exp10 < 0 ? -exp10 : exp10);
    return err;
}

/* Python's repr() of a str. */
static enum bode_err py_repr_str(const char *s, size_t n, struct bode_buf *out)
{
    char quote = '\'';
    enum bode_err err;
    size_t i = 0;

    if (memchr(s, '\'', n) && !memchr(s, '"', n))
        quote = '"';
    err = bode_buf_addc(out, quote);
    while (i < n && !err) {
        uint32_t cp;
        size_t len = uni_decode(s + i, n - i, &cp);

        if (cp == '\\' || cp == (uint32_t)quote)
            err = bode_buf_addf(out, "\\%c", (char)cp);
        else if (cp == '\n')
            err = bode_buf_adds(out, "\\n");
        else if (cp == '\r')
            err = bode_buf_adds(out, "\\r");
        else if (cp == '\t')
            err = bode_buf_adds(out, "\\t");
        else if (uni_is_printable(cp))
            err = bode_buf_add(out, s + i, len);
        else if (cp < 0x100)
            err = bode_buf_addf(out, "\\x%02x", cp);
        else if (cp < 0x10000)
            err = bode_buf_addf(out, "\\u%04x", cp);
        else
            err = bode_buf_addf(out, "\\U%08x", cp);
        i += len;
    }
    return err ? err : bode_buf_addc(out, quote);
}

static enum bode_err py_repr(const json_t *v, struct bode_buf *out);

static enum bode_err py_container(const json_t *v, struct bode_buf *out)
{
    enum bode_err err;
    size_t i;

    if (json_is_array(v)) {
        err = bode_buf_addc(out, '[');
        for (i = 0; i < json_array_size(v) && !err; i++) {
            if (i)
                err = bode_buf_adds(out, ", ");
            if (!err)
                err = py_repr(json_array_get(v, i), out);
        }
        return err ? err : bode_buf_addc(out, ']');
    }
    {
        const char *k;
        json_t *val;
        bool first = true;

        err = bode_buf_addc(out, '{');
        json_object_foreach((json_t *)(uintptr_t)v, k, val)
        {
            if (err)
                break;
            if (!first)
                err = bode_buf_adds(out, ", ");
            first = false;
            if (!err)
                err = py_repr_str(k, strlen(k), out);
            if (!err)
                err = bode_buf_adds(out, ": ");
            if (!err)
                err = py_repr(val, out);
        }
        return err ? err : bode_buf_addc(out, '}');
    }
}

static enum bode_err py_repr(const json_t *v, struct bode_buf *out)
{
    if (json_is_string(v))
        return py_repr_str(json_string_value(v), json_string_length(v), out);
    if (json_is_null(v))
        return bode_buf_adds(out, "None");
    return field_py_str(v, out);
}

enum bode_err field_py_str(const json_t *v, struct bode_buf *out)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        return bode_buf_add(out, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        return bode_buf_addf(out, "%" JSON_INTEGER_FORMAT,
                             json_integer_value(v));
    case JSON_REAL:
        return py_float(json_real_value(v), out);
    case JSON_TRUE:
        return bode_buf_adds(out, "True");
    case JSON_FALSE:
        return bode_buf_adds(out, "False");
    case JSON_NULL:
        return bode_buf_adds(out, "None");
    case JSON_ARRAY:
    case JSON_OBJECT:
        return py_container(v, out);
    }
    return BODE_OK;
}

/* Field.get_replacement for a list: items stringified and stripped, None
 * and empty items dropped, then bullets or "a, b and c". */
static enum bode_err list_value(const json_t *v, bool markdown,
                                struct bode_buf *out)
{
    struct bode_buf item;
    struct bode_buf items;
    size_t *ends = NULL;
    size_t count = 0;
    size_t i;
    size_t start;
    enum bode_err err = BODE_OK;

    bode_buf_init(&item, out->cap);
    bode_buf_init(&items, out->cap);
    ends = bode_calloc(json_array_size(v) + 1, sizeof(*ends));
    if (!ends) {
        err = BODE_ERR_NOMEM;
        goto out;
    }
    for (i = 0; i < json_array_size(v) && !err; i++) {
        const json_t *x = json_array_get(v, i);

        if (json_is_null(x))
            continue;
        bode_buf_reset(&item);
        err = field_py_str(x, &item);
        if (!err) {
            size_t before = items.len;

            err = fmt_strip_obscure(bode_buf_str(&item), item.len, &items);
            if (!err && items.len > before)
                ends[count++] = items.len;
        }
    }
    for (i = 0, start = 0; i < count && !err; i++) {
        const char *p = bode_buf_str(&items) + start;
        size_t len = ends[i] - start;

        if (markdown) {
            err = bode_buf_adds(out, i == 0 ? "\n\n* " : "\n* ");
        } else if (i > 0) {
            err = bode_buf_adds(out, i == count - 1 ? " and " : ", ");
        }
        if (!err)
            err = bode_buf_add(out, p, len);
        start = ends[i];
    }
out:
    bode_free(ends);
    bode_buf_release(&item);
    bode_buf_release(&items);
    return err;
}

static bool truthy(const char *s, size_t n)
{
    static const char *const words[] = {"yes", "y",       "true", "t",
                                        "1",   "include", "show"};
    size_t i;
    size_t k;

    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (strlen(words[i]) != n)
            continue;
        for (k = 0; k < n; k++) {
            char c = s[k];

            if (c >= 'A' && c <= 'Z')
                c = (char)(c + 32);
            if (c != words[i][k])
                break;
        }
        if (k == n)
            return true;
    }
    return false;
}

static enum bode_err add_missing(const struct field *f, const struct seg *s,
                                 bool html, struct bode_buf *out)
{
    const char *body = f->src + s->off;
    enum bode_err err;

    if (!html) {
        err = bode_buf_adds(out, "((");
        if (!err)
            err = bode_buf_add(out, body, s->len);
        return err ? err : bode_buf_adds(out, "))");
    }
    if (s->kind == SEG_CONDITIONAL) {
        err = bode_buf_adds(out, "<span class='placeholder-conditional'>"
                                 "&#40;&#40;");
        if (!err)
            err = bode_buf_add(out, body, s->name_len);
        if (!err)
            err = bode_buf_adds(out, "?\?</span>");
        if (!err)
            err = bode_buf_add(out, body + s->name_len + 2,
                               s->len - s->name_len - 2);
        return err ? err : bode_buf_adds(out, "&#41;&#41;");
    }
    err = bode_buf_adds(out, "<span class='placeholder'>&#40;&#40;");
    if (!err)
        err = bode_buf_add(out, body, s->len);
    return err ? err : bode_buf_adds(out, "&#41;&#41;</span>");
}

/* The value for a placeholder in an HTML field: notifications-utils
 * escapes the personalisation keys too, which only matters for keys with
 * & < or > in them. */
static const json_t *lookup_escaped(struct rx_ctx *rx, const json_t *pers,
                                    const struct seg *s, enum bode_err *err)
{
    const char *k;
    json_t *v;
    const json_t *found = NULL;

    if (!pers || !json_is_object(pers))
        return NULL;
    json_object_foreach((json_t *)(uintptr_t)pers, k, v)
    {
        size_t kn = strlen(k);

        if (strpbrk(k, "&<>")) {
            struct bode_buf esc;

            bode_buf_init(&esc, kn * 8 + 16);
            *err = html_escape_notify(rx, k, kn, &esc);
            if (!*err &&
                key_matches(bode_buf_str(&esc), esc.len, s->key, s->key_len))
                found = v;
            bode_buf_release(&esc);
            if (*err)
                return NULL;
        } else if (key_matches(k, kn, s->key, s->key_len)) {
            found = v;
        }
    }
    return found && !json_is_null(found) ? found : NULL;
}

enum bode_err field_fill(struct rx_ctx *rx, const struct field *f,
                         const struct fill_opts *fo, const struct json_t *pers,
                         struct bode_buf *out)
{
    struct bode_buf val;
    struct bode_buf san;
    enum bode_err err = BODE_OK;
    size_t i;

    bode_buf_init(&val, out->cap);
    bode_buf_init(&san, out->cap);
    for (i = 0; i < f->nsegs && !err; i++) {
        const struct seg *s = &f->segs[i];
        const json_t *v;

        if (s->kind == SEG_TEXT) {
            err = bode_buf_add(out, f->src + s->off, s->len);
            continue;
        }
        if (fo->escape)
            v = lookup_escaped(rx, pers, s, &err);
        else
            v = field_lookup(pers, s->key, s->key_len);
        if (err)
            break;
        if (!v) {
            err = add_missing(f, s, fo->escape, out);
            continue;
        }
        bode_buf_reset(&val);
        bode_buf_reset(&san);
        if (json_is_array(v))
            err = list_value(v, fo->markdown_lists, &val);
        else
            err = field_py_str(v, &val);
        if (!err && fo->escape)
            err = html_escape_notify(rx, bode_buf_str(&val), val.len, &san);
        else if (!err)
            err = bode_buf_add(&san, bode_buf_str(&val), val.len);
        if (err)
            break;
        if (s->kind == SEG_CONDITIONAL) {
            if (truthy(bode_buf_str(&san), san.len))
                err = bode_buf_add(out, f->src + s->off + s->name_len + 2,
                                   s->len - s->name_len - 2);
        } else {
            err = bode_buf_add(out, bode_buf_str(&san), san.len);
        }
    }
    bode_buf_release(&val);
    bode_buf_release(&san);
    return err;
}
