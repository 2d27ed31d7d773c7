/* Markdown to email HTML, plain text and preheader, reproducing mistune
 * 0.8.4 with notifications-utils' grammar and renderers rule for rule.
 * Must not do typography or entity decoding: callers chain those. */
#include "template/md.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "bode/alloc.h"
#include "template/html.h"
#include "template/uni.h"

#define MAX_DEPTH 6

enum tok_type {
    T_NEWLINE,
    T_HRULE,
    T_HEADING,
    T_CODE,
    T_TABLE,
    T_LIST_START,
    T_LIST_END,
    T_ITEM_START,
    T_LOOSE_START,
    T_ITEM_END,
    T_QUOTE_START,
    T_QUOTE_END,
    T_FOOT_START,
    T_FOOT_END,
    T_OPEN_HTML,
    T_CLOSE_HTML,
    T_PARAGRAPH,
    T_TEXT,
};

struct span {
    const char *s;
    size_t n;
};

struct tok {
    uint8_t type;
    uint8_t num; /* heading level, or 1 for an ordered list */
    struct span text;
    struct span tag; /* html tag, or footnote key */
    struct span extra;
};

struct link_def {
    struct span key;
    struct span link;
    struct span title;
    bool has_title;
};

struct foot_def {
    struct span key;
    size_t index; /* 0 until referenced */
};

struct foot_body {
    struct span key;
    char *text;
    size_t n;
};

struct chunk {
    struct chunk *next;
    char data[];
};

struct md {
    struct rx_ctx *rx;
    enum md_kind kind;
    size_t cap;
    struct tok *toks;
    size_t ntoks;
    size_t atoks;
    struct link_def *links;
    size_t nlinks;
    struct foot_def *feet;
    size_t nfeet;
    struct foot_body *bodies;
    size_t nbodies;
    struct chunk *chunks;
    int list_depth;
    int quote_depth;
    bool in_link;
    bool in_footnote;
    size_t foot_index;
};

enum rule {
    R_NEWLINE,
    R_HRULE,
    R_BLOCK_CODE,
    R_FENCES,
    R_HEADING,
    R_NPTABLE,
    R_LHEADING,
    R_BLOCK_QUOTE,
    R_LIST_BLOCK,
    R_BLOCK_HTML,
    R_DEF_LINKS,
    R_DEF_FOOTNOTES,
    R_TABLE,
    R_PARAGRAPH,
    R_TEXT,
};

static const enum rule default_rules[] = {
    R_NEWLINE,   R_HRULE,         R_BLOCK_CODE,  R_FENCES,     R_HEADING,
    R_NPTABLE,   R_LHEADING,      R_BLOCK_QUOTE, R_LIST_BLOCK, R_BLOCK_HTML,
    R_DEF_LINKS, R_DEF_FOOTNOTES, R_TABLE,       R_PARAGRAPH,  R_TEXT,
};

static const enum rule list_rules[] = {
    R_NEWLINE,     R_BLOCK_CODE, R_FENCES,     R_LHEADING, R_HRULE,
    R_BLOCK_QUOTE, R_LIST_BLOCK, R_BLOCK_HTML, R_TEXT,
};

static const enum rule footnote_rules[] = {
    R_NEWLINE,  R_BLOCK_CODE, R_FENCES,      R_HEADING,    R_NPTABLE,
    R_LHEADING, R_HRULE,      R_BLOCK_QUOTE, R_LIST_BLOCK, R_BLOCK_HTML,
    R_TABLE,    R_PARAGRAPH,  R_TEXT,
};

static const enum rx_id rule_rx[] = {
    [R_NEWLINE] = RX_B_NEWLINE,
    [R_HRULE] = RX_B_HRULE,
    [R_BLOCK_CODE] = RX_B_BLOCK_CODE,
    [R_FENCES] = RX_B_FENCES,
    [R_HEADING] = RX_B_HEADING,
    [R_NPTABLE] = RX_B_NPTABLE,
    [R_LHEADING] = RX_B_LHEADING,
    [R_BLOCK_QUOTE] = RX_B_BLOCK_QUOTE,
    [R_LIST_BLOCK] = RX_B_LIST_BLOCK,
    [R_BLOCK_HTML] = RX_B_BLOCK_HTML,
    [R_DEF_LINKS] = RX_B_DEF_LINKS,
    [R_DEF_FOOTNOTES] = RX_B_DEF_FOOTNOTES,
    [R_TABLE] = RX_B_TABLE,
    [R_PARAGRAPH] = RX_B_PARAGRAPH,
    [R_TEXT] = RX_B_TEXT,
};

static const char style_p[] = "<p style=\"Margin: 0 0 20px 0; font-size: "
                              "19px; line-height: 25px; color: #0B0C0C;\">";
static const char style_h2[] =
    "<h2 style=\"Margin: 0 0 15px 0; padding: 10px 0 0 0; font-size: 27px; "
    "line-height: 35px; font-weight: bold; color: #0B0C0C;\">";
static const char style_h3[] =
    "<h3 style=\"Margin: 0 0 15px 0; padding: 10px 0 0 0; font-size: 19px; "
    "line-height: 25px; font-weight: bold; color: #0B0C0C;\">";
static const char style_hr[] = "<hr style=\"border: 0; height: 1px; "
                               "background: #B1B4B6; Margin: 30px 0 30px "
                               "0;\">";
static const char style_list[] =
    "<table role=\"presentation\" style=\"padding: 0 0 20px 0;\"><tr><td "
    "style=\"font-family: Helvetica, Arial, sans-serif;\">";
static const char style_ol[] = "<ol style=\"Margin: 0 0 0 20px; padding: 0; "
                               "list-style-type: decimal;\">";
static const char style_ul[] = "<ul style=\"Margin: 0 0 0 20px; padding: 0; "
                               "list-style-type: disc;\">";
static const char style_li[] = "<li style=\"Margin: 5px 0 5px; padding: 0 0 "
                               "0 5px; font-size: 19px;line-height: 25px; "
                               "color: #0B0C0C;\">";
static const char style_quote[] =
    "<div style=\"Margin: 0 0 20px 0;\"><blockquote style=\"Margin: 0; "
    "border-left: 10px solid #B1B4B6;padding: 15px 0 0.1px 15px; "
    "font-size: 19px; line-height: 25px;\">";
static const char link_style[] = "word-wrap: break-word; color: #1D70B8;";

/* Memory: derived strings live in chunks freed with the parser. */

static char *keep(struct md *m, const char *s, size_t n)
{
    struct chunk *c = bode_malloc(sizeof(*c) + n + 1);

    if (!c)
        return NULL;
    memcpy(c->data, s, n);
    c->data[n] = '\0';
    c->next = m->chunks;
    m->chunks = c;
    return c->data;
}

static char *keep_buf(struct md *m, const struct bode_buf *b)
{
    return keep(m, bode_buf_str(b), b->len);
}

static enum bode_err add_tok(struct md *m, const struct tok *t)
{
    struct tok *grown;
    size_t want;

    if (m->ntoks == m->atoks) {
        want = m->atoks ? m->atoks * 2 : 32;
        grown = bode_realloc(m->toks, want * sizeof(*grown));
        if (!grown)
            return BODE_ERR_NOMEM;
        m->toks = grown;
        m->atoks = want;
    }
    m->toks[m->ntoks++] = *t;
    return BODE_OK;
}

static enum bode_err add_simple(struct md *m, uint8_t type, uint8_t num)
{
    struct tok t;

    memset(&t, 0, sizeof(t));
    t.type = type;
    t.num = num;
    return add_tok(m, &t);
}

static enum bode_err add_text_tok(struct md *m, uint8_t type, const char *s,
                                  size_t n, uint8_t num)
{
    struct tok t;

    memset(&t, 0, sizeof(t));
    t.type = type;
    t.num = num;
    t.text.s = s;
    t.text.n = n;
    return add_tok(m, &t);
}

static struct span group(const char *s, const struct rx_m *mm, int g)
{
    struct span sp = {s, 0};

    if (rx_gset(mm, g)) {
        sp.s = s + mm->g[2 * g];
        sp.n = rx_glen(mm, g);
    }
    return sp;
}

static size_t rstrip_nl(const char *s, size_t n)
{
    while (n > 0 && s[n - 1] == '\n')
        n--;
    return n;
}

/* mistune's _keyify: escape(key.lower(), quote=True), whitespace runs to
 * one space. */
static enum bode_err keyify(struct md *m, const char *s, size_t n,
                            struct span *out)
{
    struct bode_buf low;
    struct bode_buf esc;
    struct bode_buf sp;
    enum bode_err err = BODE_OK;
    size_t i = 0;
    char *kept;

    bode_buf_init(&low, m->cap);
    bode_buf_init(&esc, m->cap);
    bode_buf_init(&sp, m->cap);
    while (i < n && !err) {
        uint32_t cp;
        char tmp[4];

        i += uni_decode(s + i, n - i, &cp);
        err = bode_buf_add(&low, tmp, uni_encode(uni_lower(cp), tmp));
    }
    if (!err)
        err = html_md_escape(bode_buf_str(&low), low.len, true, &esc);
    if (!err)
        err = rx_sub(m->rx, RX_MD_KEY_SPACE, bode_buf_str(&esc), esc.len, " ",
                     &sp);
    if (err)
        goto out;
    kept = keep_buf(m, &sp);
    if (!kept) {
        err = BODE_ERR_NOMEM;
        goto out;
    }
    out->s = kept;
    out->n = sp.len;
out:
    bode_buf_release(&low);
    bode_buf_release(&esc);
    bode_buf_release(&sp);
    return err;
}

static bool span_eq(struct span a, struct span b)
{
    return a.n == b.n && memcmp(a.s, b.s, a.n) == 0;
}

/* Block lexer. */

static enum bode_err block_parse(struct md *m, const char *s, size_t n,
                                 const enum rule *rules, size_t nrules);

/* Removes the leading pattern of id (a ^-anchored multi-line pattern such
 * as "^ {4}" or "^ *\^ ?") from every line. */
static enum bode_err strip_lines(struct md *m, enum rx_id id, const char *s,
                                 size_t n, struct span *out)
{
    struct bode_buf b;
    enum bode_err err = BODE_OK;
    struct rx_m mm;
    size_t pos = 0;
    char *kept;
    int r;

    bode_buf_init(&b, m->cap);
    while (pos <= n && !err) {
        const char *nl = memchr(s + pos, '\n', n - pos);
        size_t end = nl ? (size_t)(nl - s) : n;

        r = rx_match(m->rx, id, s + pos, end - pos, 0, &mm);
        if (r < 0) {
            err = m->rx->err;
            break;
        }
        if (r)
            pos += (size_t)mm.g[1];
        err = bode_buf_add(&b, s + pos, end - pos);
        if (!err && nl)
            err = bode_buf_addc(&b, '\n');
        if (!nl)
            break;
        pos = end + 1;
    }
    if (!err) {
        kept = keep_buf(m, &b);
        if (!kept)
            err = BODE_ERR_NOMEM;
        else {
            out->s = kept;
            out->n = b.len;
        }
    }
    bode_buf_release(&b);
    return err;
}

static enum bode_err parse_list_items(struct md *m, const char *cap,
                                      size_t capn)
{
    struct rx_m mm;
    struct span items[1];
    size_t pos = 0;
    size_t count = 0;
    size_t i;
    size_t *starts = NULL;
    size_t *ends = NULL;
    size_t alloc = 0;
    bool next = false;
    enum bode_err err = BODE_OK;
    int r;

    (void)items;
    while (pos <= capn) {
        r = rx_search(m->rx, RX_B_LIST_ITEM, cap, capn, pos, &mm);
        if (r < 0) {
            err = m->rx->err;
            goto out;
        }
        if (!r)
            break;
        if (count == alloc) {
            size_t want = alloc ? alloc * 2 : 8;
            size_t *a = bode_realloc(starts, want * sizeof(*a));

            if (!a) {
                err = BODE_ERR_NOMEM;
                goto out;
            }
            starts = a;
            a = bode_realloc(ends, want * sizeof(*a));
            if (!a) {
                err = BODE_ERR_NOMEM;
                goto out;
            }
            ends = a;
            alloc = want;
        }
        starts[count] = (size_t)mm.g[2];
        ends[count] = (size_t)mm.g[3];
        count++;
        pos = (size_t)mm.g[1];
        if (mm.g[1] == mm.g[0])
            pos++;
    }
    for (i = 0; i < count && !err; i++) {
        const char *item = cap + starts[i];
        size_t len = ends[i] - starts[i];
        size_t space = uni_count(item, len);
        struct span body = {item, len};
        bool loose;

        r = rx_match(m->rx, RX_B_LIST_BULLET, item, len, 0, &mm);
        if (r < 0) {
            err = m->rx->err;
            break;
        }
        if (r) {
            body.s = item + mm.g[1];
            body.n = len - (size_t)mm.g[1];
        }
        if (memmem(body.s, body.n, "\n ", 2)) {
            struct bode_buf b;
            size_t p = 0;
            size_t width;
            char *kept;

            space -= uni_count(body.s, body.n);
            bode_buf_init(&b, m->cap);
            while (p <= body.n && !err) {
                const char *nl = memchr(body.s + p, '\n', body.n - p);
                size_t end = nl ? (size_t)(nl - body.s) : body.n;

                for (width = 0; width < space && p < end && body.s[p] == ' ';
                     width++)
                    p++;
                err = bode_buf_add(&b, body.s + p, end - p);
                if (!err && nl)
                    err = bode_buf_addc(&b, '\n');
                if (!nl)
                    break;
                p = end + 1;
            }
            kept = err ? NULL : keep_buf(m, &b);
            if (!err && !kept)
                err = BODE_ERR_NOMEM;
            if (kept) {
                body.s = kept;
                body.n = b.len;
            }
            bode_buf_release(&b);
            if (err)
                break;
        }
        loose = next;
        if (!loose) {
            r = rx_search(m->rx, RX_B_LOOSE, body.s, body.n, 0, &mm);
            if (r < 0) {
                err = m->rx->err;
                break;
            }
            loose = r == 1;
        }
        if (i != count - 1 && body.n) {
            next = body.s[body.n - 1] == '\n';
            if (!loose)
                loose = next;
        }
        err = add_simple(m, loose ? T_LOOSE_START : T_ITEM_START, 0);
        if (!err)
            err = block_parse(m, body.s, body.n, list_rules,
                              sizeof(list_rules) / sizeof(list_rules[0]));
        if (!err)
            err = add_simple(m, T_ITEM_END, 0);
    }
out:
    bode_free(starts);
    bode_free(ends);
    return err;
}

static enum bode_err parse_footnote(struct md *m, const char *s,
                                    const struct rx_m *mm)
{
    struct span key;
    struct span text = group(s, mm, 2);
    struct foot_def *grown;
    struct tok t;
    enum bode_err err;
    size_t i;

    err = keyify(m, s + mm->g[2], rx_glen(mm, 1), &key);
    if (err)
        return err;
    for (i = 0; i < m->nfeet; i++)
        if (span_eq(m->feet[i].key, key))
            return BODE_OK;
    grown = bode_realloc(m->feet, (m->nfeet + 1) * sizeof(*grown));
    if (!grown)
        return BODE_ERR_NOMEM;
    m->feet = grown;
    m->feet[m->nfeet].key = key;
    m->feet[m->nfeet].index = 0;
    m->nfeet++;
    memset(&t, 0, sizeof(t));
    t.type = T_FOOT_START;
    t.tag = key;
    err = add_tok(m, &t);
    if (err)
        return err;
    text.s = s + mm->g[4];
    if (memchr(text.s, '\n', text.n)) {
        /* Dedent continuation lines by their smallest indentation. */
        struct bode_buf b;
        size_t ws = 0;
        bool have_ws = false;
        size_t p;
        const char *nl = memchr(text.s, '\n', text.n);
        char *kept;

        for (p = (size_t)(nl - text.s) + 1;;) {
            const char *e = memchr(text.s + p, '\n', text.n - p);
            size_t end = e ? (size_t)(e - text.s) : text.n;
            const char *ls = text.s + p;
            size_t ln = end - p;
            size_t full = uni_count(ls, ln);
            size_t space;

            uni_lstrip(&ls, &ln);
            space = full - uni_count(ls, ln);
            if (space && (!have_ws || space < ws)) {
                ws = space;
                have_ws = true;
            }
            if (!e)
                break;
            p = end + 1;
        }
        bode_buf_init(&b, m->cap);
        err = bode_buf_add(&b, text.s, (size_t)(nl - text.s));
        for (p = (size_t)(nl - text.s) + 1; !err;) {
            const char *e = memchr(text.s + p, '\n', text.n - p);
            size_t end = e ? (size_t)(e - text.s) : text.n;
            size_t q = p;
            size_t k;
            uint32_t cp;

            for (k = 0; have_ws && k < ws && q < end; k++)
                q += uni_decode(text.s + q, end - q, &cp);
            err = bode_buf_addc(&b, '\n');
            if (!err)
                err = bode_buf_add(&b, text.s + q, end - q);
            if (!e)
                break;
            p = end + 1;
        }
        kept = err ? NULL : keep_buf(m, &b);
        if (!err && !kept)
            err = BODE_ERR_NOMEM;
        if (kept) {
            text.s = kept;
            text.n = b.len;
        }
        bode_buf_release(&b);
        if (err)
            return err;
    }
    err = block_parse(m, text.s, text.n, footnote_rules,
                      sizeof(footnote_rules) / sizeof(footnote_rules[0]));
    if (err)
        return err;
    memset(&t, 0, sizeof(t));
    t.type = T_FOOT_END;
    t.tag = key;
    return add_tok(m, &t);
}

static enum bode_err parse_def_link(struct md *m, const char *s,
                                    const struct rx_m *mm)
{
    struct span key;
    struct link_def *grown;
    struct link_def *d = NULL;
    enum bode_err err;
    size_t i;

    err = keyify(m, s + mm->g[2], rx_glen(mm, 1), &key);
    if (err)
        return err;
    for (i = 0; i < m->nlinks; i++)
        if (span_eq(m->links[i].key, key))
            d = &m->links[i];
    if (!d) {
        grown = bode_realloc(m->links, (m->nlinks + 1) * sizeof(*grown));
        if (!grown)
            return BODE_ERR_NOMEM;
        m->links = grown;
        d = &m->links[m->nlinks++];
    }
    d->key = key;
    d->link = group(s, mm, 2);
    d->title = group(s, mm, 3);
    d->has_title = rx_gset(mm, 3);
    return BODE_OK;
}

static enum bode_err apply_rule(struct md *m, enum rule rule, const char *s,
                                const struct rx_m *mm)
{
    struct span sp;
    struct tok t;
    enum bode_err err;

    switch (rule) {
    case R_NEWLINE:
        if (rx_glen(mm, 0) > 1)
            return add_simple(m, T_NEWLINE, 0);
        return BODE_OK;
    case R_HRULE:
        return add_simple(m, T_HRULE, 0);
    case R_BLOCK_CODE:
        err = strip_lines(m, RX_B_CODE_LEADING, s, rx_glen(mm, 0), &sp);
        if (err)
            return err;
        return add_text_tok(m, T_CODE, sp.s, sp.n, 0);
    case R_FENCES:
        sp = group(s, mm, 3);
        return add_text_tok(m, T_CODE, sp.s, sp.n, 0);
    case R_HEADING:
        sp = group(s, mm, 2);
        return add_text_tok(m, T_HEADING, sp.s, sp.n, (uint8_t)rx_glen(mm, 1));
    case R_LHEADING:
        sp = group(s, mm, 1);
        return add_text_tok(m, T_HEADING, sp.s, sp.n,
                            s[mm->g[4]] == '=' ? 1 : 2);
    case R_NPTABLE:
    case R_TABLE:
        memset(&t, 0, sizeof(t));
        t.type = T_TABLE;
        t.num = rule == R_TABLE;
        t.tag = group(s, mm, 1);
        t.text = group(s, mm, 3);
        return add_tok(m, &t);
    case R_BLOCK_QUOTE:
        err = add_simple(m, T_QUOTE_START, 0);
        if (err)
            return err;
        m->quote_depth++;
        if (m->quote_depth > MAX_DEPTH) {
            err = add_text_tok(m, T_TEXT, s, rx_glen(mm, 0), 0);
        } else {
            err = strip_lines(m, RX_B_QUOTE_LEADING, s, rx_glen(mm, 0), &sp);
            if (!err)
                err = block_parse(m, sp.s, sp.n, default_rules,
                                  sizeof(default_rules) /
                                      sizeof(default_rules[0]));
        }
        if (!err)
            err = add_simple(m, T_QUOTE_END, 0);
        m->quote_depth--;
        return err;
    case R_LIST_BLOCK:
        err = add_simple(m, T_LIST_START,
                         memchr(s + mm->g[4], '.', rx_glen(mm, 2)) ? 1 : 0);
        if (err)
            return err;
        m->list_depth++;
        if (m->list_depth > MAX_DEPTH) {
            err = add_simple(m, T_ITEM_START, 0);
            if (!err)
                err = add_text_tok(m, T_TEXT, s, rx_glen(mm, 0), 0);
            if (!err)
                err = add_simple(m, T_ITEM_END, 0);
        } else {
            err = parse_list_items(m, s, rx_glen(mm, 0));
        }
        if (!err)
            err = add_simple(m, T_LIST_END, 0);
        m->list_depth--;
        return err;
    case R_BLOCK_HTML:
        memset(&t, 0, sizeof(t));
        if (!rx_gset(mm, 1)) {
            t.type = T_CLOSE_HTML;
            t.text.s = s;
            t.text.n = rx_glen(mm, 0);
        } else {
            t.type = T_OPEN_HTML;
            t.tag = group(s, mm, 1);
            t.extra = group(s, mm, 2);
            t.text = group(s, mm, 3);
        }
        return add_tok(m, &t);
    case R_DEF_LINKS:
        return parse_def_link(m, s, mm);
    case R_DEF_FOOTNOTES:
        return parse_footnote(m, s, mm);
    case R_PARAGRAPH:
        sp = group(s, mm, 1);
        return add_text_tok(m, T_PARAGRAPH, sp.s, rstrip_nl(sp.s, sp.n), 0);
    case R_TEXT:
        return add_text_tok(m, T_TEXT, s, rx_glen(mm, 0), 0);
    }
    return BODE_OK;
}

static enum bode_err block_parse(struct md *m, const char *s, size_t n,
                                 const enum rule *rules, size_t nrules)
{
    struct rx_m mm;
    enum bode_err err;
    size_t pos = 0;
    size_t i;
    int r;

    n = rstrip_nl(s, n);
    while (pos < n) {
        const char *t = s + pos;
        size_t len = n - pos;
        bool matched = false;

        for (i = 0; i < nrules; i++) {
            if (!rx_can_match_at(rule_rx[rules[i]], t, len))
                continue;
            r = rx_match(m->rx, rule_rx[rules[i]], t, len, 0, &mm);
            if (r < 0)
                return m->rx->err;
            if (!r)
                continue;
            err = apply_rule(m, rules[i], t, &mm);
            if (err)
                return err;
            pos += (size_t)mm.g[1];
            matched = true;
            break;
        }
        if (!matched || mm.g[1] == 0) {
            /* mistune raises "Infinite loop" here; every rule set ends
             * with one that always consumes, so this cannot happen. */
            return BODE_ERR_INVALID;
        }
    }
    return BODE_OK;
}

/* Renderers. */

static bool html(const struct md *m)
{
    return m->kind == MD_HTML;
}

static enum bode_err r_linebreak(const struct md *m, struct bode_buf *out)
{
    return bode_buf_adds(out, html(m) ? "<br>" : "\n");
}

static enum bode_err r_paragraph(const struct md *m, const char *s, size_t n,
                                 struct bode_buf *out)
{
    enum bode_err err;

    if (uni_is_blank(s, n))
        return BODE_OK;
    if (!html(m)) {
        err = bode_buf_adds(out, "\n\n");
        return err ? err : bode_buf_add(out, s, n);
    }
    err = bode_buf_adds(out, style_p);
    if (!err)
        err = bode_buf_add(out, s, n);
    if (!err)
        err = bode_buf_adds(out, "</p>");
    return err;
}

static enum bode_err r_header(const struct md *m, const char *s, size_t n,
                              int level, struct bode_buf *out)
{
    enum bode_err err;
    int i;

    if (m->kind == MD_PREHEADER || level > 2)
        return r_paragraph(m, s, n, out);
    if (html(m)) {
        err = bode_buf_adds(out, level == 1 ? style_h2 : style_h3);
        if (!err)
            err = bode_buf_add(out, s, n);
        if (!err)
            err = bode_buf_adds(out, level == 1 ? "</h2>" : "</h3>");
        return err;
    }
    err = bode_buf_adds(out, "\n\n\n");
    if (!err)
        err = bode_buf_add(out, s, n);
    if (!err)
        err = bode_buf_addc(out, '\n');
    for (i = 0; i < 65 && !err; i++)
        err = bode_buf_addc(out, level == 1 ? '=' : '-');
    return err;
}

static enum bode_err r_hrule(const struct md *m, struct bode_buf *out)
{
    static const char rule[] = "=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-"
                               "=-=-=-=-=-=-=-=-=-=-=-=";

    if (m->kind == MD_PREHEADER)
        return BODE_OK;
    if (html(m))
        return bode_buf_adds(out, style_hr);
    return r_paragraph(m, rule, sizeof(rule) - 1, out);
}

static enum bode_err r_list(const struct md *m, const struct bode_buf *body,
                            bool ordered, struct bode_buf *out)
{
    static const char magic[] = MD_MAGIC;
    const char *s = bode_buf_str(body);
    size_t n = body->len;
    size_t pos = 0;
    size_t count = 0;
    const char *hit;
    enum bode_err err;

    if (html(m)) {
        err = bode_buf_adds(out, style_list);
        if (!err)
            err = bode_buf_adds(out, ordered ? style_ol : style_ul);
        if (!err)
            err = bode_buf_add(out, s, n);
        if (!err)
            err = bode_buf_adds(out, ordered ? "</ol>" : "</ul>");
        if (!err)
            err = bode_buf_adds(out, "</td></tr></table>");
        return err;
    }
    err = bode_buf_addc(out, '\n');
    while (!err &&
           (hit = memmem(s + pos, n - pos, magic, sizeof(magic) - 1)) != NULL) {
        err = bode_buf_add(out, s + pos, (size_t)(hit - s) - pos);
        if (!err && ordered)
            err = bode_buf_addf(out, "%zu.", ++count);
        else if (!err)
            err = bode_buf_adds(out, "\342\200\242");
        pos = (size_t)(hit - s) + sizeof(magic) - 1;
    }
    return err ? err : bode_buf_add(out, s + pos, n - pos);
}

static enum bode_err r_list_item(const struct md *m,
                                 const struct bode_buf *body,
                                 struct bode_buf *out)
{
    const char *s = bode_buf_str(body);
    size_t n = body->len;
    enum bode_err err;

    uni_strip(&s, &n);
    if (html(m)) {
        err = bode_buf_adds(out, style_li);
        if (!err)
            err = bode_buf_add(out, s, n);
        return err ? err : bode_buf_adds(out, "</li>");
    }
    err = bode_buf_addc(out, '\n');
    if (!err)
        err = bode_buf_adds(out, MD_MAGIC " ");
    return err ? err : bode_buf_add(out, s, n);
}

static enum bode_err r_block_quote(const struct md *m,
                                   const struct bode_buf *body,
                                   struct bode_buf *out)
{
    enum bode_err err;

    if (!html(m))
        return bode_buf_add(out, bode_buf_str(body), body->len);
    err = bode_buf_adds(out, style_quote);
    if (!err)
        err = bode_buf_add(out, bode_buf_str(body), body->len);
    return err ? err : bode_buf_adds(out, "</blockquote></div>");
}

/* notifications-utils create_sanitised_html_for_url. */
static enum bode_err r_sanitised_link(const char *link, size_t ln,
                                      const char *title, size_t tn,
                                      const char *text, size_t xn,
                                      struct bode_buf *out)
{
    static const char *const schemes[] = {
        "ftp:", "file:", "http:", "https:", "mailto:", "tel:"};
    bool known = false;
    enum bode_err err;
    size_t i;
    size_t k;

    if (xn == 0) {
        text = link;
        xn = ln;
    }
    for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]) && !known; i++) {
        size_t sl = strlen(schemes[i]);

        if (ln < sl)
            continue;
        for (k = 0; k < sl; k++) {
            char c = link[k];

            if (c >= 'A' && c <= 'Z')
                c = (char)(c + 32);
            if (c != schemes[i][k])
                break;
        }
        known = k == sl;
    }
    err = bode_buf_addf(out, "<a style=\"%s\" href=\"", link_style);
    if (!err && !known)
        err = bode_buf_adds(out, "http://");
    if (!err)
        err = html_url_quote(link, ln, out);
    if (!err && tn) {
        err = bode_buf_adds(out, "\" title=\"");
        if (!err)
            err = bode_buf_add(out, title, tn);
    }
    if (!err)
        err = bode_buf_adds(out, "\">");
    if (!err)
        err = bode_buf_add(out, text, xn);
    return err ? err : bode_buf_adds(out, "</a>");
}

static enum bode_err r_autolink(const struct md *m, const char *link, size_t n,
                                bool is_email, struct bode_buf *out)
{
    if (!html(m) || is_email)
        return bode_buf_add(out, link, n);
    return r_sanitised_link(link, n, NULL, 0, NULL, 0, out);
}

static enum bode_err r_link(const struct md *m, struct span link,
                            struct span title, const struct bode_buf *text,
                            struct bode_buf *out)
{
    enum bode_err err;

    if (html(m))
        return r_sanitised_link(link.s, link.n, title.s, title.n,
                                bode_buf_str(text), text->len, out);
    err = bode_buf_add(out, bode_buf_str(text), text->len);
    if (!err && title.n) {
        err = bode_buf_adds(out, " (");
        if (!err)
            err = bode_buf_add(out, title.s, title.n);
        if (!err)
            err = bode_buf_addc(out, ')');
    }
    if (m->kind == MD_PREHEADER || err)
        return err;
    err = bode_buf_adds(out, ": ");
    return err ? err : bode_buf_add(out, link.s, link.n);
}

/* Inline lexer. */

static enum bode_err inline_out(struct md *m, const char *s, size_t n,
                                struct bode_buf *out);

static enum bode_err process_link(struct md *m, const char *s,
                                  const struct rx_m *mm, struct span link,
                                  struct span title, struct bode_buf *out)
{
    struct bode_buf text;
    enum bode_err err;

    if (s[0] == '!')
        return BODE_OK; /* images are dropped */
    bode_buf_init(&text, out->cap);
    m->in_link = true;
    err = inline_out(m, s + mm->g[2], rx_glen(mm, 1), &text);
    m->in_link = false;
    if (!err)
        err = r_link(m, link, title, &text, out);
    bode_buf_release(&text);
    return err;
}

static const struct link_def *find_link(const struct md *m, struct span key)
{
    size_t i;

    for (i = 0; i < m->nlinks; i++)
        if (span_eq(m->links[i].key, key))
            return &m->links[i];
    return NULL;
}

/* Length of mistune's hard-wrap text rule at s, done by hand because it
 * runs on every character: ^[\s\S]+?(?=[\\<!\[_*`~]|https?://| *\n|$). */
static size_t text_rule_len(const char *s, size_t n)
{
    size_t k = 1;

    while (k < n && (s[k] & 0xC0) == 0x80)
        k++;
    for (; k < n; k++) {
        size_t j = k;

        if ((s[k] & 0xC0) == 0x80)
            continue;
        if (strchr("\\<![_*`~", s[k]) && s[k])
            return k;
        if ((n - k >= 7 && memcmp(s + k, "http://", 7) == 0) ||
            (n - k >= 8 && memcmp(s + k, "https://", 8) == 0))
            return k;
        while (j < n && s[j] == ' ')
            j++;
        if (j < n && s[j] == '\n')
            return k;
    }
    return n;
}

/* Tries inline rule id at s; returns 1 when it produced output, 0 when the
 * rule does not apply, -1 on error (*err set). */
static int try_inline(struct md *m, enum rx_id id, const char *s, size_t n,
                      struct rx_m *mm, struct bode_buf *out, enum bode_err *err)
{
    struct span key;
    const struct link_def *d;
    size_t i;
    int r;

    if (id == RX_I_TEXT) {
        mm->g[0] = 0;
        mm->g[1] = (long)text_rule_len(s, n);
        *err = html_md_escape(s, (size_t)mm->g[1], false, out);
        return *err ? -1 : 1;
    }
    r = rx_match(m->rx, id, s, n, 0, mm);
    if (r <= 0) {
        *err = m->rx->err;
        return r;
    }
    switch (id) {
    case RX_I_ESCAPE:
        *err = html_md_escape(s + mm->g[2], rx_glen(mm, 1), false, out);
        break;
    case RX_I_INLINE_HTML:
        *err = bode_buf_add(out, s, rx_glen(mm, 0));
        break;
    case RX_I_AUTOLINK:
        *err = r_autolink(m, s + mm->g[2], rx_glen(mm, 1), s[mm->g[4]] == '@',
                          out);
        break;
    case RX_I_URL:
        if (m->in_link)
            *err = html_md_escape(s + mm->g[2], rx_glen(mm, 1), false, out);
        else
            *err = r_autolink(m, s + mm->g[2], rx_glen(mm, 1), false, out);
        break;
    case RX_I_FOOTNOTE:
        *err = keyify(m, s + mm->g[2], rx_glen(mm, 1), &key);
        if (*err)
            return -1;
        for (i = 0; i < m->nfeet; i++)
            if (span_eq(m->feet[i].key, key))
                break;
        if (i == m->nfeet || m->feet[i].index)
            return 0;
        m->feet[i].index = ++m->foot_index;
        break;
    case RX_I_LINK:
        *err = process_link(m, s, mm, group(s, mm, 3), group(s, mm, 4), out);
        break;
    case RX_I_REFLINK:
    case RX_I_NOLINK:
        if (id == RX_I_REFLINK && rx_glen(mm, 2))
            *err = keyify(m, s + mm->g[4], rx_glen(mm, 2), &key);
        else
            *err = keyify(m, s + mm->g[2], rx_glen(mm, 1), &key);
        if (*err)
            return -1;
        d = find_link(m, key);
        if (!d)
            return 0;
        *err = process_link(m, s, mm, d->link, d->title, out);
        break;
    case RX_I_LINEBREAK:
        *err = r_linebreak(m, out);
        break;
    default:
        *err = html_md_escape(s, rx_glen(mm, 0), false, out);
        break;
    }
    return *err ? -1 : 1;
}

static enum bode_err inline_out(struct md *m, const char *s, size_t n,
                                struct bode_buf *out)
{
    static const enum rx_id rules[] = {
        RX_I_ESCAPE,    RX_I_INLINE_HTML, RX_I_AUTOLINK, RX_I_URL,
        RX_I_FOOTNOTE,  RX_I_LINK,        RX_I_REFLINK,  RX_I_NOLINK,
        RX_I_LINEBREAK, RX_I_TEXT,
    };
    struct rx_m mm;
    enum bode_err err = BODE_OK;
    size_t pos = 0;
    size_t i;
    int r;

    n = rstrip_nl(s, n);
    while (pos < n) {
        r = 0;
        for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
            if (rules[i] == RX_I_FOOTNOTE && m->in_footnote)
                continue;
            r = try_inline(m, rules[i], s + pos, n - pos, &mm, out, &err);
            if (r < 0)
                return err ? err : BODE_ERR_NOMEM;
            if (r > 0)
                break;
        }
        if (r == 0 || mm.g[1] == 0)
            return BODE_ERR_INVALID;
        pos += (size_t)mm.g[1];
    }
    return BODE_OK;
}

/* Tables render as nothing, but mistune still runs every cell through the
 * inline lexer, so a footnote referenced in a cell is printed at the end.
 * Reproduce that: split the cells as mistune does and lex them. */
static enum bode_err lex_split(struct md *m, enum rx_id split, const char *s,
                               size_t n, bool unescape_pipes)
{
    struct bode_buf sink;
    struct bode_buf cell;
    struct rx_m mm;
    enum bode_err err = BODE_OK;
    size_t pos = 0;
    int r;

    bode_buf_init(&sink, m->cap);
    bode_buf_init(&cell, m->cap);
    for (;;) {
        size_t end = n;
        size_t next = n + 1;

        r = rx_search(m->rx, split, s, n, pos, &mm);
        if (r < 0) {
            err = m->rx->err;
            break;
        }
        if (r) {
            end = (size_t)mm.g[0];
            next = (size_t)mm.g[1];
        }
        bode_buf_reset(&cell);
        if (unescape_pipes) {
            size_t k;

            for (k = pos; k < end && !err; k++) {
                if (s[k] == '\\' && k + 1 < end && s[k + 1] == '|')
                    continue;
                err = bode_buf_addc(&cell, s[k]);
            }
        } else {
            err = bode_buf_add(&cell, s + pos, end - pos);
        }
        if (!err)
            err = inline_out(m, bode_buf_str(&cell), cell.len, &sink);
        bode_buf_reset(&sink);
        if (err || !r)
            break;
        pos = next;
    }
    bode_buf_release(&sink);
    bode_buf_release(&cell);
    return err;
}

static enum bode_err table_cells(struct md *m, const struct tok *t)
{
    struct bode_buf a;
    struct bode_buf b;
    enum bode_err err;
    size_t pos = 0;

    bode_buf_init(&a, m->cap);
    bode_buf_init(&b, m->cap);
    err = rx_sub(m->rx, RX_TB_HEAD_TRIM, t->tag.s, t->tag.n, "", &a);
    if (!err)
        err = lex_split(m, RX_TB_SPLIT, bode_buf_str(&a), a.len, false);
    bode_buf_reset(&a);
    if (!err)
        err = rx_sub(m->rx, t->num ? RX_TB_CELLS_END : RX_TB_NL_END, t->text.s,
                     t->text.n, "", &a);
    while (!err && pos <= a.len) {
        const char *p = bode_buf_str(&a);
        const char *nl = memchr(p + pos, '\n', a.len - pos);
        size_t end = nl ? (size_t)(nl - p) : a.len;

        bode_buf_reset(&b);
        if (t->num)
            err = rx_sub(m->rx, RX_TB_ROW_TRIM, p + pos, end - pos, "", &b);
        else
            err = bode_buf_add(&b, p + pos, end - pos);
        if (!err)
            err = lex_split(m, RX_TB_SPLIT_ESC, bode_buf_str(&b), b.len, true);
        if (!nl)
            break;
        pos = end + 1;
    }
    bode_buf_release(&a);
    bode_buf_release(&b);
    return err;
}

/* Token output (mistune's Markdown.tok). */

static enum bode_err tok(struct md *m, size_t *i, struct bode_buf *out);

static enum bode_err tok_text(struct md *m, size_t *i, struct bode_buf *out)
{
    struct bode_buf joined;
    enum bode_err err;

    bode_buf_init(&joined, out->cap);
    err = bode_buf_add(&joined, m->toks[*i].text.s, m->toks[*i].text.n);
    while (!err && *i + 1 < m->ntoks && m->toks[*i + 1].type == T_TEXT) {
        (*i)++;
        err = bode_buf_addc(&joined, '\n');
        if (!err)
            err = bode_buf_add(&joined, m->toks[*i].text.s, m->toks[*i].text.n);
    }
    (*i)++;
    if (!err)
        err = inline_out(m, bode_buf_str(&joined), joined.len, out);
    bode_buf_release(&joined);
    return err;
}

static enum bode_err tok_until(struct md *m, size_t *i, uint8_t end, bool tight,
                               struct bode_buf *body)
{
    enum bode_err err = BODE_OK;

    while (!err && *i < m->ntoks && m->toks[*i].type != end) {
        if (tight && m->toks[*i].type == T_TEXT)
            err = tok_text(m, i, body);
        else
            err = tok(m, i, body);
    }
    (*i)++; /* the end token */
    return err;
}

static enum bode_err tok(struct md *m, size_t *i, struct bode_buf *out)
{
    const struct tok *t = &m->toks[*i];
    struct bode_buf a;
    struct bode_buf b;
    enum bode_err err = BODE_OK;

    bode_buf_init(&a, out->cap);
    bode_buf_init(&b, out->cap);
    switch (t->type) {
    case T_NEWLINE:
        (*i)++;
        err = r_linebreak(m, out);
        break;
    case T_HRULE:
        (*i)++;
        err = r_hrule(m, out);
        break;
    case T_HEADING:
        (*i)++;
        err = inline_out(m, t->text.s, t->text.n, &a);
        if (!err)
            err = r_header(m, bode_buf_str(&a), a.len, t->num, out);
        break;
    case T_CODE:
        (*i)++;
        err = bode_buf_add(out, t->text.s, t->text.n);
        break;
    case T_TABLE:
        (*i)++;
        err = table_cells(m, t);
        break;
    case T_QUOTE_START:
        (*i)++;
        err = tok_until(m, i, T_QUOTE_END, false, &a);
        if (!err)
            err = r_block_quote(m, &a, out);
        break;
    case T_LIST_START: {
        bool ordered = t->num != 0;

        (*i)++;
        err = tok_until(m, i, T_LIST_END, false, &a);
        if (!err)
            err = r_list(m, &a, ordered, out);
        break;
    }
    case T_ITEM_START:
    case T_LOOSE_START: {
        bool tight = t->type == T_ITEM_START;

        (*i)++;
        err = tok_until(m, i, T_ITEM_END, tight, &a);
        if (!err)
            err = r_list_item(m, &a, out);
        break;
    }
    case T_FOOT_START: {
        struct foot_body *grown;
        struct span key = t->tag;

        (*i)++;
        m->in_footnote = true;
        err = tok_until(m, i, T_FOOT_END, false, &a);
        m->in_footnote = false;
        if (err)
            break;
        grown = bode_realloc(m->bodies, (m->nbodies + 1) * sizeof(*grown));
        if (!grown) {
            err = BODE_ERR_NOMEM;
            break;
        }
        m->bodies = grown;
        grown[m->nbodies].key = key;
        grown[m->nbodies].text = keep_buf(m, &a);
        grown[m->nbodies].n = a.len;
        if (!grown[m->nbodies].text) {
            err = BODE_ERR_NOMEM;
            break;
        }
        m->nbodies++;
        break;
    }
    case T_CLOSE_HTML:
        (*i)++;
        err = bode_buf_add(out, t->text.s, t->text.n);
        break;
    case T_OPEN_HTML:
        (*i)++;
        err = bode_buf_addc(out, '<');
        if (!err)
            err = bode_buf_add(out, t->tag.s, t->tag.n);
        if (!err)
            err = bode_buf_add(out, t->extra.s, t->extra.n);
        if (!err)
            err = bode_buf_addc(out, '>');
        if (!err)
            err = bode_buf_add(out, t->text.s, t->text.n);
        if (!err)
            err = bode_buf_adds(out, "</");
        if (!err)
            err = bode_buf_add(out, t->tag.s, t->tag.n);
        if (!err)
            err = bode_buf_addc(out, '>');
        break;
    case T_PARAGRAPH:
        (*i)++;
        err = inline_out(m, t->text.s, t->text.n, &a);
        if (!err)
            err = r_paragraph(m, bode_buf_str(&a), a.len, out);
        break;
    case T_TEXT:
        err = tok_text(m, i, &a);
        if (!err)
            err = r_paragraph(m, bode_buf_str(&a), a.len, out);
        break;
    default:
        /* A stray end token: mistune never emits one unpaired. */
        (*i)++;
        break;
    }
    bode_buf_release(&a);
    bode_buf_release(&b);
    return err;
}

/* mistune's preprocessing: \r\n and \r to \n, tabs expanded to 4
 * columns (Python's expandtabs, which counts code points and restarts at
 * \r and \n), U+2424 to \n, then lines of only spaces emptied. */
static enum bode_err preprocess(const char *s, size_t n, struct bode_buf *out)
{
    struct bode_buf a;
    enum bode_err err = BODE_OK;
    size_t col = 0;
    size_t i = 0;
    size_t k;

    bode_buf_init(&a, out->cap);
    while (i < n && !err) {
        uint32_t cp;
        size_t len = uni_decode(s + i, n - i, &cp);

        if (cp == '\r' || cp == '\n') {
            err = bode_buf_addc(&a, '\n');
            if (cp == '\r' && i + 1 < n && s[i + 1] == '\n')
                len = 2;
            col = 0;
        } else if (cp == '\t') {
            do {
                err = bode_buf_addc(&a, ' ');
                col++;
            } while (!err && col % 4);
        } else if (cp == 0x2424) {
            err = bode_buf_addc(&a, '\n');
            col++;
        } else {
            err = bode_buf_add(&a, s + i, len);
            col++;
        }
        i += len;
    }
    for (i = 0; !err && i <= a.len;) {
        const char *p = bode_buf_str(&a);
        const char *nl = memchr(p + i, '\n', a.len - i);
        size_t end = nl ? (size_t)(nl - p) : a.len;
        bool spaces = end > i;

        for (k = i; k < end && spaces; k++)
            spaces = p[k] == ' ';
        if (!spaces)
            err = bode_buf_add(out, p + i, end - i);
        if (!err && nl)
            err = bode_buf_addc(out, '\n');
        if (!nl)
            break;
        i = end + 1;
    }
    bode_buf_release(&a);
    return err;
}

static void md_release(struct md *m)
{
    struct chunk *c = m->chunks;

    while (c) {
        struct chunk *next = c->next;

        bode_free(c);
        c = next;
    }
    bode_free(m->toks);
    bode_free(m->links);
    bode_free(m->feet);
    bode_free(m->bodies);
}

enum bode_err md_render(struct rx_ctx *rx, enum md_kind kind, const char *src,
                        size_t n, struct bode_buf *out)
{
    struct md m;
    struct bode_buf pre;
    enum bode_err err;
    size_t i = 0;
    size_t k;
    size_t idx;

    memset(&m, 0, sizeof(m));
    m.rx = rx;
    m.kind = kind;
    m.cap = out->cap;
    bode_buf_init(&pre, out->cap);
    err = preprocess(src, n, &pre);
    if (!err)
        err = block_parse(&m, bode_buf_str(&pre), pre.len, default_rules,
                          sizeof(default_rules) / sizeof(default_rules[0]));
    while (!err && i < m.ntoks)
        err = tok(&m, &i, out);
    /* Referenced footnotes follow, in the order they were referenced. */
    for (idx = 1; !err && idx <= m.foot_index; idx++) {
        for (k = 0; k < m.nfeet; k++) {
            size_t b;

            if (m.feet[k].index != idx)
                continue;
            for (b = 0; b < m.nbodies; b++)
                if (span_eq(m.bodies[b].key, m.feet[k].key))
                    err = bode_buf_add(out, m.bodies[b].text, m.bodies[b].n);
        }
    }
    bode_buf_release(&pre);
    md_release(&m);
    return err;
}
