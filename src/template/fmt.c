/* Typography and whitespace formatters, reproducing notifications-utils'
 * formatters.py and smartypants 2.0. Must not parse Markdown or know
 * about placeholders. */
#include "template/fmt.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "bode/alloc.h"
#include "template/uni.h"

#define ZWSP "\342\200\213"
#define EN_DASH "\342\200\223"

static enum bode_err replace_all(const char *s, size_t n, const char *from,
                                 const char *to, struct bode_buf *out)
{
    size_t flen = strlen(from);
    size_t pos = 0;
    const char *hit;
    enum bode_err err;

    while (pos < n && (hit = memmem(s + pos, n - pos, from, flen)) != NULL) {
        err = bode_buf_add(out, s + pos, (size_t)(hit - s) - pos);
        if (!err)
            err = bode_buf_adds(out, to);
        if (err)
            return err;
        pos = (size_t)(hit - s) + flen;
    }
    return bode_buf_add(out, s + pos, n - pos);
}

/* Runs one rewriting step from *cur into *next and swaps them. */
struct pipe {
    struct bode_buf a;
    struct bode_buf b;
    struct bode_buf *cur;
    struct bode_buf *next;
};

static void pipe_init(struct pipe *p, size_t cap)
{
    bode_buf_init(&p->a, cap);
    bode_buf_init(&p->b, cap);
    p->cur = &p->a;
    p->next = &p->b;
}

static void pipe_release(struct pipe *p)
{
    bode_buf_release(&p->a);
    bode_buf_release(&p->b);
}

static void pipe_swap(struct pipe *p)
{
    struct bode_buf *t = p->cur;

    p->cur = p->next;
    p->next = t;
    bode_buf_reset(p->next);
}

static enum bode_err pipe_replace(struct pipe *p, const char *from,
                                  const char *to)
{
    enum bode_err err =
        replace_all(bode_buf_str(p->cur), p->cur->len, from, to, p->next);

    if (!err)
        pipe_swap(p);
    return err;
}

static enum bode_err pipe_sub(struct pipe *p, struct rx_ctx *rx, enum rx_id id,
                              const char *repl)
{
    enum bode_err err =
        rx_sub(rx, id, bode_buf_str(p->cur), p->cur->len, repl, p->next);

    if (!err)
        pipe_swap(p);
    return err;
}

/* smartypants' convert_quotes, then convert_entities(mode 0). */
static enum bode_err educate(struct pipe *p, struct rx_ctx *rx)
{
    static const struct {
        enum rx_id id;
        const char *repl;
    } steps[] = {
        {RX_SP_Q1, "&#8217;"},        {RX_SP_Q2, "&#8221;"},
        {RX_SP_Q3, "&#8220;&#8216;"}, {RX_SP_Q4, "&#8216;&#8220;"},
        {RX_SP_Q5, "&#8217;"},        {RX_SP_Q6, "\\1&#8216;"},
        {RX_SP_Q7, "\\1&#8217;"},     {RX_SP_Q8, "\\1&#8217;\\2"},
    };
    static const struct {
        enum rx_id id;
        const char *repl;
    } dsteps[] = {
        {RX_SP_Q10, "\\1&#8220;"},
        {RX_SP_Q11, "&#8221;"},
        {RX_SP_Q12, "\\1&#8221;"},
    };
    static const char *const entities[][2] = {
        {"&#8211;", "\342\200\223"}, {"&#8212;", "\342\200\224"},
        {"&#8216;", "\342\200\230"}, {"&#8217;", "\342\200\231"},
        {"&#8220;", "\342\200\234"}, {"&#8221;", "\342\200\235"},
        {"&#8230;", "\342\200\246"},
    };
    enum bode_err err = BODE_OK;
    size_t i;

    /* Every quote rule has a literal quote in it: text without quotes
     * only needs the entity step. */
    if (memchr(bode_buf_str(p->cur), '\'', p->cur->len)) {
        for (i = 0; i < sizeof(steps) / sizeof(steps[0]) && !err; i++)
            err = pipe_sub(p, rx, steps[i].id, steps[i].repl);
        if (!err)
            err = pipe_replace(p, "'", "&#8216;");
    }
    if (!err && memchr(bode_buf_str(p->cur), '"', p->cur->len)) {
        for (i = 0; i < sizeof(dsteps) / sizeof(dsteps[0]) && !err; i++)
            err = pipe_sub(p, rx, dsteps[i].id, dsteps[i].repl);
        if (!err)
            err = pipe_replace(p, "\"", "&#8220;");
    }
    if (!err && !memmem(bode_buf_str(p->cur), p->cur->len, "&#82", 4))
        return BODE_OK;
    for (i = 0; i < sizeof(entities) / sizeof(entities[0]) && !err; i++)
        err = pipe_replace(p, entities[i][0], entities[i][1]);
    return err;
}

static enum bode_err process_text(struct rx_ctx *rx, const char *t, size_t n,
                                  bool in_pre, uint32_t prev_last,
                                  struct bode_buf *out)
{
    static const char *const escapes[][2] = {
        {"\\\\", "&#92;"}, {"\\\"", "&#34;"}, {"\\'", "&#39;"},
        {"\\.", "&#46;"},  {"\\-", "&#45;"},  {"\\`", "&#96;"},
    };
    struct pipe p;
    enum bode_err err;
    size_t i;
    bool prev_nonspace = prev_last != 0 && !uni_is_space(prev_last);

    if (in_pre)
        return bode_buf_add(out, t, n);
    pipe_init(&p, out->cap);
    err = bode_buf_add(p.cur, t, n);
    for (i = 0; i < sizeof(escapes) / sizeof(escapes[0]) && !err; i++)
        err = pipe_replace(&p, escapes[i][0], escapes[i][1]);
    if (err)
        goto out;
    if (p.cur->len == 1 && p.cur->data[0] == '\'') {
        bode_buf_reset(p.cur);
        err = bode_buf_adds(p.cur,
                            prev_nonspace ? "\342\200\231" : "\342\200\230");
    } else if (p.cur->len == 1 && p.cur->data[0] == '"') {
        bode_buf_reset(p.cur);
        err = bode_buf_adds(p.cur,
                            prev_nonspace ? "\342\200\235" : "\342\200\234");
    } else {
        err = educate(&p, rx);
    }
    if (!err)
        err = bode_buf_add(out, bode_buf_str(p.cur), p.cur->len);
out:
    pipe_release(&p);
    return err;
}

/* smartypants._tokenize, done by hand: it is linear where the original
 * regex search is quadratic on text with a '<' and no '>'. Returns the
 * start of the next tag at or after pos (n when none) and sets *tag_end. */
static size_t next_tag(const char *s, size_t n, size_t pos, size_t *tag_end)
{
    const char *lt = memchr(s + pos, '<', n - pos);
    size_t q;
    size_t r;

    if (!lt)
        return n;
    q = (size_t)(lt - s);
    if (!memchr(s + q, '>', n - q))
        return n;
    if (n - q >= 4 && memcmp(s + q, "<!--", 4) == 0) {
        for (r = q + 4; r + 2 <= n; r++) {
            size_t k;

            if (s[r] != '-' || s[r + 1] != '-')
                continue;
            k = r + 2;
            while (k < n) {
                uint32_t cp;
                size_t len = uni_decode(s + k, n - k, &cp);

                if (!uni_is_space(cp))
                    break;
                k += len;
            }
            if (k < n && s[k] == '>') {
                *tag_end = k + 1;
                return q;
            }
        }
    }
    *tag_end = (size_t)((const char *)memchr(s + q, '>', n - q) - s) + 1;
    return q;
}

/* A "tag" starting with <!-- that has -- inside counts as text. */
static bool comment_is_text(const char *s, size_t n)
{
    size_t e = n;

    if (n < 4 || memcmp(s, "<!--", 4) != 0)
        return false;
    while (e > 4 && s[e - 1] == '>')
        e--;
    {
        size_t len = e - 4;

        uni_rstrip(s + 4, &len);
        e = 4 + len;
    }
    while (e > 4 && s[e - 1] == '-')
        e--;
    return memmem(s + 4, e - 4, "--", 2) != NULL;
}

enum bode_err fmt_smartypants(struct rx_ctx *rx, const char *s, size_t n,
                              struct bode_buf *out)
{
    uint16_t *stack = NULL;
    size_t depth = 0;
    size_t alloc = 0;
    bool in_pre = false;
    uint32_t prev_last = 0;
    size_t pos = 0;
    enum bode_err err = BODE_OK;

    while (pos < n && !err) {
        size_t tag_end = 0;
        size_t q = next_tag(s, n, pos, &tag_end);
        struct rx_m m;
        int r;

        if (q > pos) {
            size_t last = uni_prev(s, q);

            err = process_text(rx, s + pos, q - pos, in_pre, prev_last, out);
            uni_decode(s + last, q - last, &prev_last);
        }
        if (err || q >= n)
            break;
        if (comment_is_text(s + q, tag_end - q)) {
            size_t last = uni_prev(s, tag_end);

            err = process_text(rx, s + q, tag_end - q, in_pre, prev_last, out);
            uni_decode(s + last, tag_end - last, &prev_last);
            pos = tag_end;
            continue;
        }
        err = bode_buf_add(out, s + q, tag_end - q);
        if (err)
            break;
        r = rx_match(rx, RX_SP_SKIP_TAG, s + q, tag_end - q, 0, &m);
        if (r < 0) {
            err = rx->err;
            break;
        }
        if (r) {
            /* The skipped tag names differ in first letter or length. */
            uint16_t name =
                (uint16_t)((s[q + m.g[4]] | 0x20) | (rx_glen(&m, 2) << 8));
            if (!rx_gset(&m, 1)) {
                if (depth == alloc) {
                    size_t want = alloc ? alloc * 2 : 8;
                    uint16_t *grown =
                        bode_realloc(stack, want * sizeof(*grown));

                    if (!grown) {
                        err = BODE_ERR_NOMEM;
                        break;
                    }
                    stack = grown;
                    alloc = want;
                }
                stack[depth++] = name;
                in_pre = true;
            } else {
                if (depth > 0 && stack[depth - 1] == name)
                    depth--;
                if (depth == 0)
                    in_pre = false;
            }
        }
        pos = tag_end;
    }
    bode_free(stack);
    return err;
}

enum bode_err fmt_space_punct(struct rx_ctx *rx, const char *s, size_t n,
                              struct bode_buf *out)
{
    if (!rx_can_match_in(RX_F_SPACE_PUNCT, s, n))
        return bode_buf_add(out, s, n);
    return rx_sub(rx, RX_F_SPACE_PUNCT, s, n, "\\1", out);
}

/* remove_smart_quotes_from_email_addresses. */
static enum bode_err email_quotes(struct rx_ctx *rx, const char *s, size_t n,
                                  struct bode_buf *out)
{
    struct rx_m m;
    size_t pos = 0;
    size_t from = 0;
    enum bode_err err;
    int r;

    /* Nothing to do without an '@' and a curly single quote. */
    if (!memchr(s, '@', n) ||
        (!memmem(s, n, "\342\200\230", 3) && !memmem(s, n, "\342\200\231", 3)))
        return bode_buf_add(out, s, n);
    while (from <= n) {
        r = rx_search(rx, RX_F_EMAIL_QUOTES, s, n, from, &m);
        if (r < 0)
            return rx->err;
        if (!r)
            break;
        err = bode_buf_add(out, s + pos, (size_t)m.g[0] - pos);
        if (!err) {
            struct bode_buf tmp;

            bode_buf_init(&tmp, out->cap);
            err = replace_all(s + m.g[0], rx_glen(&m, 0), "\342\200\230", "'",
                              &tmp);
            if (!err)
                err = replace_all(bode_buf_str(&tmp), tmp.len, "\342\200\231",
                                  "'", out);
            bode_buf_release(&tmp);
        }
        if (err)
            return err;
        pos = (size_t)m.g[1];
        from = pos;
    }
    return bode_buf_add(out, s + pos, n - pos);
}

enum bode_err fmt_nice_typography(struct rx_ctx *rx, const char *s, size_t n,
                                  struct bode_buf *out)
{
    struct pipe p;
    enum bode_err err;

    pipe_init(&p, out->cap);
    err = fmt_space_punct(rx, s, n, p.cur);
    if (!err)
        err = fmt_smartypants(rx, bode_buf_str(p.cur), p.cur->len, p.next);
    if (!err) {
        pipe_swap(&p);
        err = email_quotes(rx, bode_buf_str(p.cur), p.cur->len, p.next);
    }
    if (!err &&
        !rx_can_match_in(RX_F_HYPHENS, bode_buf_str(p.next), p.next->len))
        err = bode_buf_add(out, bode_buf_str(p.next), p.next->len);
    else if (!err)
        err = rx_sub(rx, RX_F_HYPHENS, bode_buf_str(p.next), p.next->len,
                     " " EN_DASH " ", out);
    pipe_release(&p);
    return err;
}

enum bode_err fmt_unlink_govuk(struct rx_ctx *rx, const char *s, size_t n,
                               struct bode_buf *out)
{
    if (!rx_can_match_in(RX_F_GOVUK, s, n))
        return bode_buf_add(out, s, n);
    return rx_sub(rx, RX_F_GOVUK, s, n, "\\1\\2\\3." ZWSP "\\4", out);
}

enum bode_err fmt_strip_unsupported(const char *s, size_t n,
                                    struct bode_buf *out)
{
    size_t i = 0;
    size_t run = 0;
    enum bode_err err = BODE_OK;

    while (i < n && !err) {
        uint32_t cp;
        size_t len = uni_decode(s + i, n - i, &cp);

        if (cp == 0x2028 || cp == 0x3164) {
            err = bode_buf_add(out, s + run, i - run);
            run = i + len;
        }
        i += len;
    }
    return err ? err : bode_buf_add(out, s + run, n - run);
}

enum bode_err fmt_normalise_whitespace(const char *s, size_t n,
                                       struct bode_buf *out)
{
    enum bode_err err = BODE_OK;
    bool pending = false;
    bool any = false;
    size_t i = 0;

    while (i < n && !err) {
        uint32_t cp;
        size_t len = uni_decode(s + i, n - i, &cp);

        if (cp == 0xA0 || cp == 0x202F)
            cp = ' ';
        if (fmt_is_zero_width(cp)) {
            i += len;
            continue;
        }
        if (uni_is_space(cp)) {
            pending = any;
        } else {
            if (pending)
                err = bode_buf_addc(out, ' ');
            if (!err)
                err = bode_buf_add(out, s + i, len);
            pending = false;
            any = true;
        }
        i += len;
    }
    return err;
}

/* Python's str.splitlines boundaries. */
static size_t line_break(const char *s, size_t n, size_t i, size_t *len)
{
    uint32_t cp;
    size_t l = uni_decode(s + i, n - i, &cp);

    *len = l;
    switch (cp) {
    case '\r':
        if (i + 1 < n && s[i + 1] == '\n')
            *len = 2;
        return 1;
    case '\n':
    case 0x0B:
    case 0x0C:
    case 0x1C:
    case 0x1D:
    case 0x1E:
    case 0x85:
    case 0x2028:
    case 0x2029:
        return 1;
    default:
        return 0;
    }
}

enum bode_err fmt_normalise_lines(const char *s, size_t n, struct bode_buf *out)
{
    enum bode_err err = BODE_OK;
    size_t start = 0;
    size_t i = 0;
    size_t len;
    bool first = true;

    while (i < n && !err) {
        if (line_break(s, n, i, &len)) {
            if (!first)
                err = bode_buf_addc(out, '\n');
            if (!err)
                err = fmt_normalise_whitespace(s + start, i - start, out);
            first = false;
            i += len;
            start = i;
        } else {
            i += len;
        }
    }
    if (!err && start < n) {
        if (!first)
            err = bode_buf_addc(out, '\n');
        if (!err)
            err = fmt_normalise_whitespace(s + start, n - start, out);
    }
    return err;
}

enum bode_err fmt_multiple_newlines(const char *s, size_t n,
                                    struct bode_buf *out)
{
    enum bode_err err = BODE_OK;
    size_t i = 0;

    while (i < n && !err) {
        size_t run = 0;

        while (i + run < n && s[i + run] == '\n')
            run++;
        if (run >= 3) {
            err = bode_buf_add(out, "\n\n", 2);
            i += run;
        } else if (run) {
            err = bode_buf_add(out, s + i, run);
            i += run;
        } else {
            err = bode_buf_addc(out, s[i]);
            i++;
        }
    }
    return err;
}

enum bode_err fmt_strip_obscure(const char *s, size_t n, struct bode_buf *out)
{
    struct bode_buf tmp;
    enum bode_err err = BODE_OK;
    size_t i = 0;
    const char *p;
    size_t len;

    bode_buf_init(&tmp, out->cap);
    while (i < n && !err) {
        uint32_t cp;
        size_t l = uni_decode(s + i, n - i, &cp);

        if (!fmt_is_zero_width(cp) && cp != 0xA0 && cp != 0x202F)
            err = bode_buf_add(&tmp, s + i, l);
        i += l;
    }
    if (!err) {
        p = bode_buf_str(&tmp);
        len = tmp.len;
        while (len && strchr(" \t\n\r\v\f", p[0]) && p[0])
            p++, len--;
        while (len && strchr(" \t\n\r\v\f", p[len - 1]) && p[len - 1])
            len--;
        err = bode_buf_add(out, p, len);
    }
    bode_buf_release(&tmp);
    return err;
}
