/* Email address validation and normalisation as Notify does it
 * (notifications_utils email_address.py). It must not keep state or
 * allocate beyond libidn2's own short-lived buffers.
 *
 * The only library call is libidn2 for domains with non-ASCII labels; an
 * ASCII domain is checked as Python's idna codec does, without it. */
#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#include "bode/validate.h"
#include "validate/validate_int.h"

#define HOST_MAX 253
#define LABEL_MAX 63

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9');
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* The local-part characters Notify allows: a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-
 * (no quotes or semicolons, to keep Amazon SES happy). */
static bool is_local_char(char c)
{
    return is_alnum(c) || (c != '\0' && strchr(".!#$%&'*+/=?^_`{|}~-", c));
}

/* Removed wherever they appear (formatters.py OBSCURE_ZERO_WIDTH_WHITESPACE
 * and OBSCURE_FULL_WIDTH_WHITESPACE). */
static bool is_obscure(long cp)
{
    return cp == 0x180e || cp == 0x200b || cp == 0x200c || cp == 0x200d ||
           cp == 0x2060 || cp == 0xfeff || cp == 0x00a0;
}

/* Python's string.whitespace, stripped from both ends. */
static bool is_ascii_space(long cp)
{
    return cp == ' ' || (cp >= '\t' && cp <= '\r');
}

/* Python's str.isspace(), which the domain must not contain. */
static bool is_unicode_space(long cp)
{
    return is_ascii_space(cp) || (cp >= 0x1c && cp <= 0x1f) || cp == 0x85 ||
           cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f ||
           cp == 0x3000;
}

/* Copies in to buf with obscure whitespace removed and ASCII whitespace
 * stripped from the ends (strip_and_remove_obscure_whitespace). Refuses
 * malformed UTF-8, control characters, whitespace left inside the address
 * and more than BODE_EMAIL_MAX_CHARS code points. Returns the length, or
 * -1 when refused. */
static long clean(const char *in, size_t len, char *buf, bool *ascii)
{
    const unsigned char *u = (const unsigned char *)in;
    size_t i = 0;
    size_t prev;
    size_t out = 0;
    size_t chars = 0;
    bool pending_space = false;
    long cp;

    *ascii = true;
    while (i < len) {
        prev = i;
        cp = validate_utf8_next(u, len, &i);
        if (cp < 0)
            return -1;
        if (is_obscure(cp))
            continue;
        if (is_ascii_space(cp)) {
            pending_space = out > 0;
            continue;
        }
        /* Inner whitespace, CR, LF, NUL and every other control character
         * would fail Notify's checks below anyway; refusing them here is
         * what keeps header injection out. */
        if (pending_space || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
            return -1;
        if (++chars > BODE_EMAIL_MAX_CHARS)
            return -1;
        if (cp >= 0x80)
            *ascii = false;
        memcpy(buf + out, in + prev, i - prev);
        out += i - prev;
    }
    buf[out] = '\0';
    return (long)out;
}

/* hostname_part: ^(xn|[a-z0-9]+)(-?-[a-z0-9]+)*$, case-insensitive: runs
 * of letters and digits joined by one or two hyphens. */
static bool label_ok(const char *s, size_t n)
{
    size_t i;
    size_t hyphens = 0;

    if (n == 0 || n > LABEL_MAX || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
        return false;
    for (i = 0; i < n; i++) {
        if (s[i] == '-') {
            if (++hyphens > 2)
                return false;
        } else if (is_alnum(s[i])) {
            hyphens = 0;
        } else {
            return false;
        }
    }
    return true;
}

/* tld_part: ^([a-z]{2,63}|xn--([a-z0-9]+-)*[a-z0-9]+)$, case-insensitive.
 * The label check has already bounded the length and the characters. */
static bool tld_ok(const char *s, size_t n)
{
    size_t i;

    if (n >= 4 && lower(s[0]) == 'x' && lower(s[1]) == 'n' && s[2] == '-' &&
        s[3] == '-') {
        if (n == 4 || s[n - 1] == '-' || s[4] == '-')
            return false;
        for (i = 5; i < n; i++) {
            if (s[i] == '-' && s[i - 1] == '-')
                return false;
        }
        return true;
    }
    if (n < 2)
        return false;
    for (i = 0; i < n; i++) {
        if (!is_alpha(s[i]))
            return false;
    }
    return true;
}

/* The checks Notify makes on the IDNA-encoded host name. */
static bool host_ok(const char *host, size_t n)
{
    size_t start = 0;
    size_t i;
    size_t labels = 0;

    if (n > HOST_MAX)
        return false;
    for (i = 0; i <= n; i++) {
        if (i < n && host[i] != '.')
            continue;
        if (!label_ok(host + start, i - start))
            return false;
        labels++;
        start = i + 1;
    }
    if (labels < 2)
        return false;
    for (i = n; i > 0 && host[i - 1] != '.'; i--)
        ;
    return tld_ok(host + i, n - i);
}

/* Decodes one A-label ("xn--...") into out when it round-trips exactly;
 * otherwise copies it unchanged, so a malformed A-label that Notify would
 * pass through stays as written. Returns the bytes written, or 0 for no
 * memory (*err set) or no room. */
static size_t unicode_label(const char *label, size_t n, char *out, size_t room,
                            enum bode_err *err)
{
    char alabel[LABEL_MAX + 1];
    char *u = NULL;
    char *back = NULL;
    const char *src = label;
    size_t len = n;
    int rc;

    memcpy(alabel, label, n);
    alabel[n] = '\0';
    if (n > 4 && memcmp(alabel, "xn--", 4) == 0) {
        rc = idn2_to_unicode_8z8z(alabel, &u, 0);
        if (rc == IDN2_OK)
            rc = idn2_to_ascii_8z(u, &back,
                                  IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
        if (rc == IDN2_MALLOC)
            *err = BODE_ERR_NOMEM;
        if (rc == IDN2_OK && strcmp(back, alabel) == 0) {
            src = u;
            len = strlen(u);
        }
    }
    if (*err || len >= room)
        len = 0;
    else
        memcpy(out, src, len);
    idn2_free(back);
    idn2_free(u);
    return len;
}

/* Writes the Unicode form of the A-label host name ace to out (size
 * room, NUL-terminated). BODE_ERR_INVALID when it does not fit. */
static enum bode_err unicode_host(const char *ace, char *out, size_t room,
                                  size_t *len)
{
    enum bode_err err = BODE_OK;
    const char *label = ace;
    const char *dot;
    size_t n;
    size_t w;

    *len = 0;
    for (;;) {
        dot = strchr(label, '.');
        n = dot ? (size_t)(dot - label) : strlen(label);
        w = unicode_label(label, n, out + *len, room - *len, &err);
        if (err)
            return err;
        if (w == 0 || *len + w + 1 >= room)
            return BODE_ERR_INVALID;
        *len += w;
        if (!dot)
            break;
        out[(*len)++] = '.';
        label = dot + 1;
    }
    out[*len] = '\0';
    return BODE_OK;
}

static enum bode_err refuse(struct bode_email *out)
{
    out->address[0] = '\0';
    out->ascii[0] = '\0';
    out->address_len = 0;
    out->ascii_len = 0;
    out->idn = false;
    out->message = BODE_EMAIL_ERROR;
    return BODE_ERR_INVALID;
}

/* Writes local@domain, ASCII-lower-cased, to dst (BODE_EMAIL_SIZE bytes);
 * returns the length, or 0 when it does not fit. */
static size_t join(char *dst, const char *local, size_t llen,
                   const char *domain, size_t dlen)
{
    size_t i;

    if (llen + 1 + dlen >= BODE_EMAIL_SIZE)
        return 0;
    for (i = 0; i < llen; i++)
        dst[i] = lower(local[i]);
    dst[llen] = '@';
    for (i = 0; i < dlen; i++)
        dst[llen + 1 + i] = lower(domain[i]);
    dst[llen + 1 + dlen] = '\0';
    return llen + 1 + dlen;
}

enum bode_err bode_validate_email(const char *in, size_t len,
                                  struct bode_email *out)
{
    char buf[BODE_EMAIL_SIZE];
    const char *at;
    const char *domain;
    char host[BODE_EMAIL_SIZE];
    char *ace = NULL;
    size_t hlen = 0;
    enum bode_err err = BODE_OK;
    long blen;
    size_t llen;
    size_t dlen;
    size_t i;
    bool ascii;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!in)
        len = 0;
    blen = clean(in, len, buf, &ascii);
    if (blen < 0)
        return refuse(out);
    /* ^[local chars]+@([^.@][^@\s]+)$ and no ".." anywhere. */
    at = memchr(buf, '@', (size_t)blen);
    if (!at || at == buf || strstr(buf, ".."))
        return refuse(out);
    llen = (size_t)(at - buf);
    domain = at + 1;
    dlen = (size_t)blen - llen - 1;
    for (i = 0; i < llen; i++) {
        if (!is_local_char(buf[i]))
            return refuse(out);
    }
    if (dlen < 2 || domain[0] == '.' || memchr(domain, '@', dlen))
        return refuse(out);
    for (i = 0; i < dlen;) {
        if (is_unicode_space(
                validate_utf8_next((const unsigned char *)domain, dlen, &i)))
            return refuse(out);
    }
    if (ascii) {
        if (!host_ok(domain, dlen))
            return refuse(out);
        out->address_len = join(out->address, buf, llen, domain, dlen);
        memcpy(out->ascii, out->address, out->address_len + 1);
        out->ascii_len = out->address_len;
        return BODE_OK;
    }
    /* IDNA2008 with UTS #46 non-transitional mapping, as browsers do. */
    rc = idn2_to_ascii_8z(domain, &ace, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
    if (rc == IDN2_MALLOC) {
        err = BODE_ERR_NOMEM;
        goto out;
    }
    if (rc != IDN2_OK || !host_ok(ace, strlen(ace))) {
        err = refuse(out);
        goto out;
    }
    err = unicode_host(ace, host, sizeof(host), &hlen);
    if (err == BODE_ERR_INVALID)
        err = refuse(out);
    if (err)
        goto out;
    out->ascii_len = join(out->ascii, buf, llen, ace, strlen(ace));
    out->address_len = join(out->address, buf, llen, host, hlen);
    if (!out->ascii_len || !out->address_len) {
        err = refuse(out);
        goto out;
    }
    out->idn = true;
out:
    if (err == BODE_ERR_NOMEM)
        memset(out, 0, sizeof(*out));
    idn2_free(ace);
    return err;
}

static const char *const smoke_emails[] = {
    "simulate-delivered@notifications.service.gov.uk",
    "simulate-delivered-2@notifications.service.gov.uk",
    "simulate-delivered-3@notifications.service.gov.uk",
};

bool bode_validate_is_smoke_test_email(const char *address)
{
    size_t i;

    if (!address)
        return false;
    for (i = 0; i < sizeof(smoke_emails) / sizeof(smoke_emails[0]); i++) {
        if (strcmp(address, smoke_emails[i]) == 0)
            return true;
    }
    return false;
}

enum bode_test_outcome bode_validate_test_outcome_email(const char *address)
{
    if (address && strcmp(address, "temp-fail@simulator.notify") == 0)
        return BODE_TEST_TEMPORARY_FAILURE;
    if (address && strcmp(address, "perm-fail@simulator.notify") == 0)
        return BODE_TEST_PERMANENT_FAILURE;
    return BODE_TEST_DELIVERED;
}
