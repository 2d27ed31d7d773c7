/* Entity decoding and escaping the way notifications-utils does it.
 * Must not interpret markup: it only rewrites characters. */
#include "template/html.h"

#include <string.h>

#include "template/uni.h"

/* The temporary stand-ins notifications-utils swaps &nbsp; and &amp; for
 * while it unescapes, so they come back exactly as written. */
static const char *const keep[2][2] = {
    {"&nbsp;", "\360\237\221\276\360\237\220\246\360\237\245\264"},
    {"&amp;", "\342\236\225\360\237\220\246\360\237\245\264"},
};

static const struct html_entity *entity_find(const char *name, size_t len)
{
    size_t lo = 0;
    size_t hi = html_entity_tab_len;
    size_t mid;
    size_t elen;
    int c;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        elen = strlen(html_entity_tab[mid].name);
        c = memcmp(name, html_entity_tab[mid].name, len < elen ? len : elen);
        if (c == 0)
            c = len < elen ? -1 : (len > elen ? 1 : 0);
        if (c == 0)
            return &html_entity_tab[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

static bool invalid_codepoint(unsigned long v)
{
    return (v >= 0x1 && v <= 0x8) || v == 0xB || (v >= 0xE && v <= 0x1F) ||
           (v >= 0x7F && v <= 0x9F) || (v >= 0xFDD0 && v <= 0xFDEF) ||
           (v & 0xFFFE) == 0xFFFE;
}

/* Python's html._invalid_charrefs for 0x80..0x9F (Windows-1252). */
static const unsigned short cp1252[32] = {
    0x20AC, 0x81,   0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D,   0x017D, 0x8F,
    0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D,   0x017E, 0x0178,
};

static enum bode_err add_cp(struct bode_buf *out, unsigned long cp)
{
    char tmp[4];

    return bode_buf_add(out, tmp, uni_encode((uint32_t)cp, tmp));
}

/* html._replace_charref for the text after '&' (s[0..n), ';' included
 * when present). */
static enum bode_err replace_charref(const char *s, size_t n,
                                     struct bode_buf *out)
{
    const struct html_entity *e;
    unsigned long v = 0;
    size_t i;
    size_t x;
    bool hex;

    if (s[0] == '#') {
        hex = n > 1 && (s[1] == 'x' || s[1] == 'X');
        for (i = hex ? 2 : 1; i < n && s[i] != ';'; i++) {
            unsigned d = (unsigned char)s[i];

            d = d <= '9' ? d - '0' : (d | 0x20) - 'a' + 10;
            if (v <= 0x10FFFF)
                v = v * (hex ? 16 : 10) + d;
        }
        if (v == 0)
            return add_cp(out, 0xFFFD);
        if (v == 0x0D)
            return bode_buf_addc(out, '\r');
        if (v >= 0x80 && v <= 0x9F)
            return add_cp(out, cp1252[v - 0x80]);
        if ((v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF)
            return add_cp(out, 0xFFFD);
        if (invalid_codepoint(v))
            return BODE_OK;
        return add_cp(out, v);
    }
    e = entity_find(s, n);
    if (e)
        return bode_buf_adds(out, e->value);
    for (x = n - 1; x > 1; x--) {
        e = entity_find(s, x);
        if (e) {
            enum bode_err err = bode_buf_adds(out, e->value);

            return err ? err : bode_buf_add(out, s + x, n - x);
        }
    }
    return bode_buf_add(out, s - 1, n + 1);
}

static enum bode_err unescape_with(struct rx_ctx *rx, enum rx_id id,
                                   const char *s, size_t n,
                                   struct bode_buf *out)
{
    struct rx_m m;
    size_t pos = 0;
    enum bode_err err;
    int r;

    if (!memchr(s, '&', n))
        return bode_buf_add(out, s, n);
    for (;;) {
        r = rx_search(rx, id, s, n, pos, &m);
        if (r < 0)
            return rx->err;
        if (r == 0)
            break;
        err = bode_buf_add(out, s + pos, (size_t)m.g[0] - pos);
        if (!err)
            err = replace_charref(s + m.g[2], rx_glen(&m, 1), out);
        if (err)
            return err;
        pos = (size_t)m.g[1];
    }
    return bode_buf_add(out, s + pos, n - pos);
}

enum bode_err html_unescape(struct rx_ctx *rx, const char *s, size_t n,
                            struct bode_buf *out)
{
    return unescape_with(rx, RX_F_CHARREF, s, n, out);
}

static enum bode_err replace_all(const char *s, size_t n, const char *from,
                                 const char *to, struct bode_buf *out)
{
    size_t flen = strlen(from);
    size_t pos = 0;
    const char *hit;
    enum bode_err err;

    while (pos < n) {
        hit = memmem(s + pos, n - pos, from, flen);
        if (!hit)
            break;
        err = bode_buf_add(out, s + pos, (size_t)(hit - s) - pos);
        if (!err)
            err = bode_buf_adds(out, to);
        if (err)
            return err;
        pos = (size_t)(hit - s) + flen;
    }
    return bode_buf_add(out, s + pos, n - pos);
}

enum bode_err html_escape_notify(struct rx_ctx *rx, const char *s, size_t n,
                                 struct bode_buf *out)
{
    struct bode_buf a;
    struct bode_buf b;
    enum bode_err err;
    size_t i;

    if (n == 0)
        return BODE_OK;
    bode_buf_init(&a, out->cap);
    bode_buf_init(&b, out->cap);
    err = replace_all(s, n, keep[0][0], keep[0][1], &a);
    if (!err)
        err = replace_all(a.data ? a.data : "", a.len, keep[1][0], keep[1][1],
                          &b);
    if (err)
        goto out;
    bode_buf_reset(&a);
    err = unescape_with(rx, RX_F_CHARREF_STRICT, bode_buf_str(&b), b.len, &a);
    if (err)
        goto out;
    bode_buf_reset(&b);
    for (i = 0; i < a.len && !err; i++) {
        switch (a.data[i]) {
        case '&':
            err = bode_buf_add(&b, "&amp;", 5);
            break;
        case '<':
            err = bode_buf_add(&b, "&lt;", 4);
            break;
        case '>':
            err = bode_buf_add(&b, "&gt;", 4);
            break;
        default:
            err = bode_buf_addc(&b, a.data[i]);
        }
    }
    if (err)
        goto out;
    bode_buf_reset(&a);
    err = replace_all(bode_buf_str(&b), b.len, keep[0][1], keep[0][0], &a);
    if (!err)
        err = replace_all(bode_buf_str(&a), a.len, keep[1][1], keep[1][0], out);
out:
    bode_buf_release(&a);
    bode_buf_release(&b);
    return err;
}

static bool amp_is_entity(const char *s, size_t n, size_t i)
{
    size_t p = i + 1;
    size_t start;
    uint32_t cp;

    if (p < n && s[p] == '#')
        p++;
    start = p;
    while (p < n) {
        size_t len = uni_decode(s + p, n - p, &cp);

        if (!uni_is_word(cp))
            break;
        p += len;
    }
    return p > start && p < n && s[p] == ';';
}

enum bode_err html_md_escape(const char *s, size_t n, bool quote,
                             struct bode_buf *out)
{
    enum bode_err err = BODE_OK;
    size_t i;
    size_t run = 0;

    for (i = 0; i < n && !err; i++) {
        const char *rep = NULL;

        switch (s[i]) {
        case '&':
            if (!amp_is_entity(s, n, i))
                rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = quote ? "&quot;" : NULL;
            break;
        case '\'':
            rep = quote ? "&#39;" : NULL;
            break;
        default:
            break;
        }
        if (!rep)
            continue;
        err = bode_buf_add(out, s + run, i - run);
        if (!err)
            err = bode_buf_adds(out, rep);
        run = i + 1;
    }
    if (!err)
        err = bode_buf_add(out, s + run, n - run);
    return err;
}

enum bode_err html_url_quote(const char *s, size_t n, struct bode_buf *out)
{
    static const char hexd[] = "0123456789ABCDEF";
    enum bode_err err = BODE_OK;
    size_t i;

    for (i = 0; i < n && !err; i++) {
        unsigned char c = (unsigned char)s[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || strchr("_.-~:/?#=&;%", c)) {
            if (c == 0) {
                char esc[3] = {'%', '0', '0'};

                err = bode_buf_add(out, esc, 3);
            } else {
                err = bode_buf_addc(out, (char)c);
            }
        } else {
            char esc[3] = {'%', hexd[c >> 4], hexd[c & 15]};

            err = bode_buf_add(out, esc, 3);
        }
    }
    return err;
}
