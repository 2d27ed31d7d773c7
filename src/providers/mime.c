/* Builds RFC 5322 / MIME email messages for the SMTP, SES and sandbox
 * providers. Must never let a CR, LF or NUL from a message field reach a
 * header, and never write a line over 998 octets. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bode/rand.h"
#include "provider_int.h"

#define LINE_SOFT 78 /* RFC 5322 SHOULD */
#define EW_MAX 75    /* RFC 2047 encoded-word length */
#define EW_OPEN "=?UTF-8?Q?"
#define EW_CLOSE "?="
#define URL_MAX 900
#define ID_MAX 64

static const char hex_upper[] = "0123456789ABCDEF";

/* The length (1..4) of the UTF-8 character at s[0..n) with its code point
 * in *cp, or 0 for an invalid, overlong or surrogate sequence. */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    size_t len;
    size_t i;
    uint32_t c;

    if (n == 0)
        return 0;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        len = 2;
        c = s[0] & 0x1f;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        len = 3;
        c = s[0] & 0x0f;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        len = 4;
        c = s[0] & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = c << 6 | (s[i] & 0x3f);
    }
    if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
        (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
        return 0;
    *cp = c;
    return len;
}

bool prov_utf8_is_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t k;
    uint32_t cp;

    while (n > 0) {
        k = utf8_next(p, n, &cp);
        if (k == 0)
            return false;
        p += k;
        n -= k;
    }
    return true;
}

bool prov_header_text_is_safe(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n;
    size_t k;
    uint32_t cp;

    if (!s)
        return false;
    n = strlen(s);
    while (n > 0) {
        k = utf8_next(p, n, &cp);
        if (k == 0)
            return false;
        if ((cp < 0x20 && cp != '\t') || (cp >= 0x7f && cp <= 0x9f) ||
            cp == 0x2028 || cp == 0x2029)
            return false;
        p += k;
        n -= k;
    }
    return true;
}

bool prov_address_is_safe(const char *s)
{
    const char *at;
    size_t n;
    size_t i;

    if (!s)
        return false;
    n = strlen(s);
    if (n < 3 || n > 254)
        return false;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f || strchr("<>()[],;:\\\"", c))
            return false;
    }
    at = strchr(s, '@');
    return at && at != s && at[1] != '\0' && !strchr(at + 1, '@');
}

/* Characters of the current (last) line of b. */
static size_t cur_col(const struct bode_buf *b)
{
    size_t i = b->len;

    while (i > 0 && b->data[i - 1] != '\n')
        i--;
    return b->len - i;
}

/* Bytes one character takes in a Q encoded-word (RFC 2047 section 5, the
 * strictest rule, for phrases): letters, digits and !*+-/ stand for
 * themselves, space is '_', everything else =XX. */
static size_t q_len(unsigned char c)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
        (c >= '0' && c <= '9') || strchr("!*+-/ ", c))
        return 1;
    return 3;
}

static enum bode_err q_add(struct bode_buf *out, unsigned char c)
{
    char esc[3];

    if (c == ' ')
        return bode_buf_addc(out, '_');
    if (q_len(c) == 1)
        return bode_buf_addc(out, (char)c);
    esc[0] = '=';
    esc[1] = hex_upper[c >> 4];
    esc[2] = hex_upper[c & 0xf];
    return bode_buf_add(out, esc, 3);
}

enum bode_err prov_ew_add(struct bode_buf *out, const char *s, size_t col,
                          bool fold)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    size_t room;
    size_t used = 0; /* encoded characters in the open word */
    bool open = false;
    enum bode_err err = BODE_OK;
    size_t k;
    size_t need;
    size_t i;
    uint32_t cp;

    /* The first word must fit what is left of the line: at least one
     * four-byte character (12 characters) inside the 12 of framing. */
    room = col + 24 <= LINE_SOFT - 2 ? LINE_SOFT - 2 - col : 0;
    if (room > EW_MAX)
        room = EW_MAX;
    if (room == 0 && fold) {
        err = bode_buf_add(out, "\r\n ", 3);
        room = EW_MAX;
    } else if (room == 0) {
        room = EW_MAX;
    }
    while (!err && n > 0) {
        k = utf8_next(p, n, &cp);
        if (k == 0)
            return BODE_ERR_INVALID;
        for (need = 0, i = 0; i < k; i++)
            need += q_len(p[i]);
        if (open && used + need + strlen(EW_CLOSE) > room - strlen(EW_OPEN)) {
            err = bode_buf_adds(out, EW_CLOSE);
            if (!err)
                err = fold ? bode_buf_add(out, "\r\n ", 3)
                           : bode_buf_addc(out, ' ');
            open = false;
            room = EW_MAX;
        }
        if (!err && !open) {
            err = bode_buf_adds(out, EW_OPEN);
            open = true;
            used = 0;
        }
        for (i = 0; !err && i < k; i++)
            err = q_add(out, p[i]);
        used += need;
        p += k;
        n -= k;
    }
    if (!err && open)
        err = bode_buf_adds(out, EW_CLOSE);
    return err;
}

/* Printable ASCII that cannot be mistaken for an encoded-word. */
static bool is_plain_ascii(const char *s)
{
    const char *p;

    for (p = s; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            return false;
    return !strstr(s, "=?");
}

static enum bode_err quoted_add(struct bode_buf *out, const char *s)
{
    enum bode_err err = bode_buf_addc(out, '"');

    for (; !err && *s; s++) {
        if (*s == '"' || *s == '\\')
            err = bode_buf_addc(out, '\\');
        if (!err)
            err = bode_buf_addc(out, *s);
    }
    return err ? err : bode_buf_addc(out, '"');
}

/* The mailbox after "Name: " on the current line, folding when fold. */
static enum bode_err mailbox_add(struct bode_buf *out, const char *name,
                                 const char *addr, bool fold)
{
    enum bode_err err;
    size_t col;

    if (!prov_address_is_safe(addr))
        return BODE_ERR_INVALID;
    if (!name || !*name)
        return bode_buf_adds(out, addr);
    if (!prov_header_text_is_safe(name))
        return BODE_ERR_INVALID;
    col = cur_col(out);
    if (is_plain_ascii(name) &&
        (!fold || col + 2 * strlen(name) + 5 + strlen(addr) <= 998))
        err = quoted_add(out, name);
    else
        err = prov_ew_add(out, name, col, fold);
    if (err)
        return err;
    if (fold && cur_col(out) + 3 + strlen(addr) > LINE_SOFT)
        err = bode_buf_add(out, "\r\n", 2);
    if (!err)
        err = bode_buf_addc(out, ' ');
    if (!err)
        err = bode_buf_addf(out, "<%s>", addr);
    return err;
}

enum bode_err prov_mime_mailbox(struct bode_buf *out, const char *name,
                                const char *addr)
{
    return mailbox_add(out, name, addr, false);
}

static bool id_is_safe(const char *s)
{
    size_t n = strlen(s);
    size_t i;

    if (n == 0 || n > ID_MAX)
        return false;
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

static bool domain_is_safe(const char *s)
{
    size_t n = strlen(s);
    size_t i;

    if (n == 0 || n > 253 || s[0] == '.' || s[0] == '-')
        return false;
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '.'))
            return false;
    }
    return true;
}

enum bode_err prov_message_id(const struct bode_message *m, const char *domain,
                              char *out, size_t size)
{
    const char *at;
    int n;

    if (!domain) {
        at = m->from_address ? strrchr(m->from_address, '@') : NULL;
        domain = at ? at + 1 : "";
    }
    if (!m->id || !id_is_safe(m->id) || !domain_is_safe(domain))
        return BODE_ERR_INVALID;
    n = snprintf(out, size, "<%s@%s>", m->id, domain);
    if (n < 0 || (size_t)n >= size)
        return BODE_ERR_TOO_BIG;
    return BODE_OK;
}

static enum bode_err date_add(struct bode_buf *out, time_t now)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed",
                                       "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr",
                                         "May", "Jun", "Jul", "Aug",
                                         "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;

    if (!gmtime_r(&now, &tm) || tm.tm_wday < 0 || tm.tm_wday > 6 ||
        tm.tm_mon < 0 || tm.tm_mon > 11)
        return BODE_ERR_INVALID;
    return bode_buf_addf(out, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
                         days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
                         tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static enum bode_err subject_add(struct bode_buf *out, const char *subject)
{
    enum bode_err err = bode_buf_adds(out, "Subject: ");

    if (err)
        return err;
    if (is_plain_ascii(subject) && subject[0] != ' ' &&
        strlen("Subject: ") + strlen(subject) <= LINE_SOFT)
        err = bode_buf_adds(out, subject);
    else
        err = prov_ew_add(out, subject, strlen("Subject: "), true);
    return err ? err : bode_buf_add(out, "\r\n", 2);
}

static enum bode_err check_message(const struct bode_message *m, char *why,
                                   size_t why_size)
{
    size_t i;

    if (!m->to || !prov_address_is_safe(m->to))
        return prov_why(why, why_size, "recipient address is not safe");
    if (!m->from_address || !prov_address_is_safe(m->from_address))
        return prov_why(why, why_size, "from address is not safe");
    if (m->reply_to && *m->reply_to && !prov_address_is_safe(m->reply_to))
        return prov_why(why, why_size, "reply-to address is not safe");
    if (m->from_name && !prov_header_text_is_safe(m->from_name))
        return prov_why(why, why_size,
                        "from name has a control character or bad UTF-8");
    if (m->subject && !prov_header_text_is_safe(m->subject))
        return prov_why(why, why_size,
                        "subject has a control character or bad UTF-8");
    if (m->subject && strlen(m->subject) > 4000)
        return prov_why(why, why_size, "subject is too long");
    if (m->one_click_unsubscribe_url && *m->one_click_unsubscribe_url &&
        (!prov_url_is_plain(m->one_click_unsubscribe_url) ||
         strlen(m->one_click_unsubscribe_url) > URL_MAX))
        return prov_why(why, why_size, "unsubscribe URL is not a plain URL");
    if ((!m->text || !*m->text) && (!m->html || !*m->html))
        return prov_why(why, why_size, "email has neither text nor HTML");
    for (i = 0; i < m->n_attachments; i++)
        if (!m->attachments[i].filename || !*m->attachments[i].filename ||
            !m->attachments[i].mimetype ||
            strpbrk(m->attachments[i].mimetype, "\r\n\";\\ "))
            return prov_why(why, why_size, "attachment has no name or type");
    return BODE_OK;
}

/* Bytes a transfer encoding must escape: non-ASCII and controls other
 * than line breaks and TAB. */
static size_t count_unsafe(const char *s, size_t n)
{
    size_t k = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x7f || (c < 0x20 && c != '\r' && c != '\n' && c != '\t'))
            k++;
    }
    return k;
}

/* Quoted-printable costs two extra bytes per escaped byte, base64 a
 * third of everything: base64 wins once more than a sixth needs escaping. */
static bool wants_base64(const char *s, size_t n)
{
    return count_unsafe(s, n) > n / 6;
}

static enum bode_err qp_token(struct bode_buf *out, unsigned char c, bool lit)
{
    char esc[3];

    if (lit)
        return bode_buf_addc(out, (char)c);
    esc[0] = '=';
    esc[1] = hex_upper[c >> 4];
    esc[2] = hex_upper[c & 0xf];
    return bode_buf_add(out, esc, 3);
}

enum bode_err prov_qp_add(struct bode_buf *out, const char *text, size_t n)
{
    enum bode_err err = BODE_OK;
    size_t col = 0;
    size_t i;

    for (i = 0; !err && i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        bool eol;
        bool lit;

        if (c == '\n' || (c == '\r' && i + 1 < n && text[i + 1] == '\n')) {
            if (c == '\r')
                i++;
            err = bode_buf_add(out, "\r\n", 2);
            col = 0;
            continue;
        }
        eol = i + 1 == n || text[i + 1] == '\n' ||
              (text[i + 1] == '\r' && i + 2 < n && text[i + 2] == '\n');
        lit = (c >= 33 && c <= 126 && c != '=') ||
              ((c == ' ' || c == '\t') && !eol);
        if (col + (lit ? 1 : 3) > 75) {
            err = bode_buf_add(out, "=\r\n", 3);
            col = 0;
        }
        /* A line starting with '.' or "From " survives relays that
         * dot-stuff badly or mbox-quote. */
        if (col == 0 && (c == '.' || (c == 'F' && n - i >= 5 &&
                                      memcmp(text + i, "From ", 5) == 0)))
            lit = false;
        if (!err)
            err = qp_token(out, c, lit);
        col += lit ? 1 : 3;
    }
    return err;
}

/* Appends text with every line break as CRLF, base64 wrapped at 76. */
static enum bode_err base64_body_add(struct bode_buf *out, const char *text,
                                     size_t n)
{
    struct bode_buf crlf;
    enum bode_err err = BODE_OK;
    size_t i;

    bode_buf_init(&crlf, PROV_MIME_CAP);
    for (i = 0; !err && i < n; i++) {
        if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r'))
            err = bode_buf_addc(&crlf, '\r');
        if (!err)
            err = bode_buf_addc(&crlf, text[i]);
    }
    if (!err)
        err = prov_base64_add(out, crlf.data ? crlf.data : "", crlf.len, true);
    bode_buf_release(&crlf);
    return err;
}

/* The Content-Type and Content-Transfer-Encoding lines of one part. */
static enum bode_err part_headers_add(struct bode_buf *out, const char *type,
                                      bool b64)
{
    return bode_buf_addf(out,
                         "Content-Type: %s; charset=utf-8\r\n"
                         "Content-Transfer-Encoding: %s\r\n",
                         type, b64 ? "base64" : "quoted-printable");
}

/* The encoded body; with end_crlf, ending in a line break (the end of a
 * single-part message), else as encoded (a multipart delimiter's own CRLF
 * follows). */
static enum bode_err part_body_add(struct bode_buf *out, const char *text,
                                   bool b64, bool end_crlf)
{
    size_t n = strlen(text);
    enum bode_err err;

    err = b64 ? base64_body_add(out, text, n) : prov_qp_add(out, text, n);
    if (!err && end_crlf &&
        (out->len < 2 || memcmp(out->data + out->len - 2, "\r\n", 2) != 0))
        err = bode_buf_add(out, "\r\n", 2);
    return err;
}

enum bode_err prov_mime_check(const struct bode_message *m,
                              const char *msgid_domain, char *why,
                              size_t why_size)
{
    char msgid[ID_MAX + 260];
    enum bode_err err = check_message(m, why, why_size);

    if (err)
        return err;
    if (prov_message_id(m, msgid_domain, msgid, sizeof(msgid)) != BODE_OK)
        return prov_why(why, why_size,
                        "notification id or message id domain is not safe");
    return BODE_OK;
}

enum bode_err prov_mime_headers(const struct bode_message *m,
                                const struct prov_mime_opts *o,
                                struct bode_buf *out, char *boundary_out,
                                char *why, size_t why_size)
{
    char msgid[ID_MAX + 260];
    char rnd[33];
    const char *url = m->one_click_unsubscribe_url;
    const char *single;
    enum bode_err err;

    boundary_out[0] = '\0';
    err = prov_mime_check(m, o ? o->msgid_domain : NULL, why, why_size);
    if (err)
        return err;
    err = prov_message_id(m, o ? o->msgid_domain : NULL, msgid, sizeof(msgid));
    if (err)
        return err;
    err = date_add(out, o && o->now ? o->now : time(NULL));
    if (!err)
        err = bode_buf_addf(out, "Message-ID: %s\r\n", msgid);
    if (!err)
        err = bode_buf_adds(out, "From: ");
    if (!err)
        err = mailbox_add(out, m->from_name, m->from_address, true);
    if (!err && m->reply_to && *m->reply_to)
        err = bode_buf_addf(out, "\r\nReply-To: %s", m->reply_to);
    if (!err)
        err = bode_buf_addf(out, "\r\nTo: %s\r\n", m->to);
    if (!err)
        err = subject_add(out, m->subject ? m->subject : "");
    if (!err)
        err = bode_buf_adds(out, "MIME-Version: 1.0\r\n");
    if (!err && url && *url)
        err = bode_buf_addf(out,
                            "List-Unsubscribe:%s<%s>\r\n"
                            "List-Unsubscribe-Post: List-Unsubscribe=One-Click"
                            "\r\n",
                            strlen(url) + 20 > LINE_SOFT ? "\r\n " : " ", url);
    if (err)
        return err;
    if (m->n_attachments > 0 || (m->text && *m->text && m->html && *m->html)) {
        /* "=_" never occurs in quoted-printable or base64 text, so the
         * boundary cannot collide with a body line; the random part is
         * convention, and the id serves if the kernel has no randomness. */
        if (o && o->boundary)
            snprintf(boundary_out, 64, "%s", o->boundary);
        else if (bode_rand_hex(rnd, 32) == BODE_OK)
            snprintf(boundary_out, 64, "=_bode_%s", rnd);
        else
            snprintf(boundary_out, 64, "=_bode_%.40s", m->id);
        if (m->n_attachments > 0)
            return bode_buf_addf(out,
                                 "Content-Type: multipart/mixed;\r\n"
                                 " boundary=\"%s\"\r\n",
                                 boundary_out);
        return bode_buf_addf(out,
                             "Content-Type: multipart/alternative;\r\n"
                             " boundary=\"%s\"\r\n",
                             boundary_out);
    }
    single = m->text && *m->text ? m->text : m->html;
    return part_headers_add(out, single == m->text ? "text/plain" : "text/html",
                            wants_base64(single, strlen(single)));
}

/* The parts of a multipart/alternative body (text, then HTML), each
 * opened by its delimiter, and the closing delimiter. */
static enum bode_err alternative_add(const struct bode_message *m,
                                     const char *boundary, struct bode_buf *out)
{
    const char *parts[2];
    const char *types[2] = {"text/plain", "text/html"};
    enum bode_err err = BODE_OK;
    bool b64;
    size_t i;

    parts[0] = m->text;
    parts[1] = m->html;
    for (i = 0; !err && i < 2; i++) {
        b64 = wants_base64(parts[i], strlen(parts[i]));
        err = bode_buf_addf(out, "\r\n--%s\r\n", boundary);
        if (!err)
            err = part_headers_add(out, types[i], b64);
        if (!err)
            err = bode_buf_add(out, "\r\n", 2);
        if (!err)
            err = part_body_add(out, parts[i], b64, false);
    }
    if (!err)
        err = bode_buf_addf(out, "\r\n--%s--\r\n", boundary);
    return err;
}

/* RFC 2231 attribute-chars: what a parameter value keeps unescaped. */
static bool attr_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || (c != 0 && strchr("!#$&+-.^_`|~", c));
}

/* A value that can be a plain quoted parameter on a short line. */
static bool plain_param(const char *s)
{
    size_t n = strlen(s);
    size_t i;

    if (n == 0 || n > 60)
        return false;
    for (i = 0; i < n; i++)
        if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\')
            return false;
    return !strstr(s, "=?");
}

/* Encoded characters per section: " filename*0*=UTF-8''" and the ";"
 * still fit a 78-character line. */
#define PARAM_CHUNK 50

/* ";" and name*=UTF-8''value percent-encoded (RFC 2231), split into
 * name*0*, name*1*, ... sections when long, one per folded line. */
static enum bode_err rfc2231_add(struct bode_buf *out, const char *name,
                                 const char *value)
{
    const unsigned char *p = (const unsigned char *)value;
    size_t total = 0;
    size_t chunk = 0;
    int section = 0;
    enum bode_err err;

    for (; *p; p++)
        total += attr_char(*p) ? 1 : 3;
    p = (const unsigned char *)value;
    if (total <= PARAM_CHUNK)
        err = bode_buf_addf(out, ";\r\n %s*=UTF-8''", name);
    else
        err = bode_buf_addf(out, ";\r\n %s*0*=UTF-8''", name);
    for (; !err && *p; p++) {
        size_t need = attr_char(*p) ? 1 : 3;
        char esc[3];

        if (total > PARAM_CHUNK && chunk + need > PARAM_CHUNK) {
            err = bode_buf_addf(out, ";\r\n %s*%d*=", name, ++section);
            chunk = 0;
        }
        esc[0] = '%';
        esc[1] = hex_upper[*p >> 4];
        esc[2] = hex_upper[*p & 0xf];
        if (!err)
            err = need == 1 ? bode_buf_addc(out, (char)*p)
                            : bode_buf_add(out, esc, 3);
        chunk += need;
    }
    return err;
}

/* One attachment's headers: its type with a name for older readers
 * (quoted ASCII, or RFC 2047 encoded-words as common practice), and the
 * file name in Content-Disposition (quoted ASCII, or RFC 2231). */
static enum bode_err attachment_headers_add(struct bode_buf *out,
                                            const struct bode_attachment *a)
{
    enum bode_err err;

    if (!a->mimetype || strpbrk(a->mimetype, "\r\n\";\\ ") || !a->filename ||
        !*a->filename)
        return BODE_ERR_INVALID;
    err = bode_buf_addf(out, "Content-Type: %s", a->mimetype);
    if (!err && plain_param(a->filename))
        err = bode_buf_addf(out, ";\r\n name=\"%s\"", a->filename);
    else if (!err && prov_header_text_is_safe(a->filename)) {
        err = bode_buf_adds(out, ";\r\n name=\"");
        if (!err)
            err = prov_ew_add(out, a->filename, 7, true);
        if (!err)
            err = bode_buf_addc(out, '"');
    }
    if (!err)
        err = bode_buf_adds(out, "\r\nContent-Disposition: attachment");
    if (!err && plain_param(a->filename))
        err = bode_buf_addf(out, ";\r\n filename=\"%s\"", a->filename);
    else if (!err)
        err = rfc2231_add(out, "filename", a->filename);
    if (!err)
        err = bode_buf_adds(out, "\r\nContent-Transfer-Encoding: base64\r\n"
                                 "\r\n");
    return err;
}

/* multipart/mixed: the message text (alternative or single part), then
 * each attachment base64 in lines of 76. */
static enum bode_err mixed_add(const struct bode_message *m,
                               const char *boundary, struct bode_buf *out)
{
    char alt[80];
    const char *single;
    enum bode_err err;
    bool b64;
    size_t i;

    err = bode_buf_addf(out,
                        "This is a multi-part message in MIME format.\r\n"
                        "\r\n--%s\r\n",
                        boundary);
    if (!err && m->text && *m->text && m->html && *m->html) {
        /* Not a prefix of the outer boundary, nor it of this one. */
        snprintf(alt, sizeof(alt), "alt%s", boundary);
        err = bode_buf_addf(out,
                            "Content-Type: multipart/alternative;\r\n"
                            " boundary=\"%s\"\r\n\r\n",
                            alt);
        if (!err)
            err = alternative_add(m, alt, out);
    } else if (!err) {
        single = m->text && *m->text ? m->text : m->html;
        b64 = wants_base64(single, strlen(single));
        err = part_headers_add(
            out, single == m->text ? "text/plain" : "text/html", b64);
        if (!err)
            err = bode_buf_add(out, "\r\n", 2);
        if (!err)
            err = part_body_add(out, single, b64, false);
    }
    for (i = 0; !err && i < m->n_attachments; i++) {
        const struct bode_attachment *a = &m->attachments[i];

        err = bode_buf_addf(out, "\r\n--%s\r\n", boundary);
        if (!err)
            err = attachment_headers_add(out, a);
        if (!err)
            err = prov_base64_add(out, a->data ? a->data : (const void *)"",
                                  a->len, true);
    }
    if (!err)
        err = bode_buf_addf(out, "\r\n--%s--\r\n", boundary);
    return err;
}

enum bode_err prov_mime_build(const struct bode_message *m,
                              const struct prov_mime_opts *o,
                              struct bode_buf *out, char *why, size_t why_size)
{
    char boundary[64];
    enum bode_err err;
    const char *single;

    err = prov_mime_headers(m, o, out, boundary, why, why_size);
    if (!err)
        err = bode_buf_add(out, "\r\n", 2);
    if (err)
        return err;
    if (m->n_attachments > 0)
        return mixed_add(m, boundary, out);
    if (!boundary[0]) {
        single = m->text && *m->text ? m->text : m->html;
        return part_body_add(out, single, wants_base64(single, strlen(single)),
                             true);
    }
    err =
        bode_buf_adds(out, "This is a multi-part message in MIME format.\r\n");
    return err ? err : alternative_add(m, boundary, out);
}
