/* What the providers share: settings, per-attempt state, the curl set-up
 * of an HTTP request, result classification and small codecs. Must not
 * know any one provider's wire format. */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "bode/alloc.h"
#include "bode/hex.h"
#include "provider_int.h"

#define RETRY_AFTER_MAX 86400L
#define CONNECT_TIMEOUT_MS 10000L
#define HEADER_CAP (16u * 1024)

/* ---- settings ---- */

const char *prov_setting(bode_setting_fn get, void *ctx,
                         const char *const *names, size_t n)
{
    const char *v;
    size_t i;

    for (i = 0; i < n; i++) {
        v = get(ctx, names[i]);
        if (v && *v)
            return v;
    }
    return NULL;
}

enum bode_err prov_setting_dup(bode_setting_fn get, void *ctx, const char *name,
                               char **out)
{
    const char *v = prov_setting(get, ctx, &name, 1);

    *out = NULL;
    if (!v)
        return BODE_OK;
    *out = bode_strdup(v);
    return *out ? BODE_OK : BODE_ERR_NOMEM;
}

enum bode_err prov_why(char *why, size_t why_size, const char *fmt, ...)
{
    va_list ap;

    if (why && why_size > 0) {
        va_start(ap, fmt);
        vsnprintf(why, why_size, fmt, ap);
        va_end(ap);
    }
    return BODE_ERR_INVALID;
}

enum bode_err prov_setting_ms(bode_setting_fn get, void *ctx, const char *name,
                              long def, long min, long max, long *out,
                              char *why, size_t why_size)
{
    const char *v = prov_setting(get, ctx, &name, 1);
    char *end = NULL;
    long n;

    *out = def;
    if (!v)
        return BODE_OK;
    errno = 0;
    n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < min || n > max)
        return prov_why(why, why_size, "%s: must be a number from %ld to %ld",
                        name, min, max);
    *out = n;
    return BODE_OK;
}

enum bode_err prov_setting_outcome(bode_setting_fn get, void *ctx,
                                   const char *name, enum bode_outcome def,
                                   enum bode_outcome *out, char *why,
                                   size_t why_size)
{
    const char *v = prov_setting(get, ctx, &name, 1);

    *out = def;
    if (!v)
        return BODE_OK;
    if (strcmp(v, "sending") == 0)
        *out = BODE_OUTCOME_SENDING;
    else if (strcmp(v, "sent") == 0)
        *out = BODE_OUTCOME_SENT;
    else if (strcmp(v, "delivered") == 0)
        *out = BODE_OUTCOME_DELIVERED;
    else
        return prov_why(why, why_size, "%s: must be sending, sent or delivered",
                        name);
    return BODE_OK;
}

bool prov_url_is_plain(const char *s)
{
    const char *host;
    const char *p;

    if (!s)
        return false;
    if (strncmp(s, "https://", 8) == 0)
        host = s + 8;
    else if (strncmp(s, "http://", 7) == 0)
        host = s + 7;
    else
        return false;
    if (*host == '\0' || *host == '/' || *host == '?' || *host == '#')
        return false;
    for (p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c >= 0x7f || strchr("<>\"\\`{}|^", c))
            return false;
    }
    return true;
}

/* ---- attempts ---- */

enum bode_err prov_attempt_new(struct bode_delivery *d, size_t body_cap,
                               struct prov_attempt **out)
{
    struct prov_attempt *a = bode_calloc(1, sizeof(*a));

    *out = NULL;
    if (!a)
        return BODE_ERR_NOMEM;
    bode_buf_init(&a->body, body_cap);
    d->data = a;
    *out = a;
    return BODE_OK;
}

void prov_release(struct bode_provider *p, struct bode_delivery *d)
{
    struct prov_attempt *a = d->data;

    (void)p;
    if (d->easy) {
        curl_easy_cleanup(d->easy);
        d->easy = NULL;
    }
    if (a) {
        curl_slist_free_all(a->headers);
        curl_slist_free_all(a->rcpt);
        bode_buf_release(&a->body);
        bode_free(a);
        d->data = NULL;
    }
}

long prov_timeout(long own_ms, const struct bode_delivery *d)
{
    if (own_ms > 0)
        return own_ms;
    if (d->timeout_ms > 0)
        return d->timeout_ms;
    return PROV_DEFAULT_TIMEOUT_MS;
}

enum bode_err prov_header_add(struct curl_slist **list, const char *name,
                              const char *value)
{
    struct bode_buf line;
    struct curl_slist *grown;
    enum bode_err err;

    bode_buf_init(&line, HEADER_CAP);
    err = bode_buf_addf(&line, "%s: %s", name, value);
    if (err)
        goto out;
    grown = curl_slist_append(*list, line.data);
    if (!grown) {
        err = BODE_ERR_NOMEM;
        goto out;
    }
    *list = grown;
out:
    bode_buf_release(&line);
    return err;
}

/* True when the header line buf[0..n) is named name (any case); *value is
 * then its trimmed value and *vlen its length. */
static bool header_is(const char *buf, size_t n, const char *name,
                      const char **value, size_t *vlen)
{
    size_t k = strlen(name);

    if (n <= k || buf[k] != ':' || strncasecmp(buf, name, k) != 0)
        return false;
    buf += k + 1;
    n -= k + 1;
    while (n > 0 && (*buf == ' ' || *buf == '\t')) {
        buf++;
        n--;
    }
    while (n > 0 && (buf[n - 1] == '\r' || buf[n - 1] == '\n' ||
                     buf[n - 1] == ' ' || buf[n - 1] == '\t'))
        n--;
    *value = buf;
    *vlen = n;
    return true;
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *ud)
{
    struct prov_attempt *a = ud;
    size_t n = size * nitems;
    const char *v;
    size_t vlen;
    size_t k;

    if (n >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
        /* A new response (after a 100 Continue, say) starts afresh. */
        a->retry_after_s = 0;
        a->error_type[0] = '\0';
    } else if (header_is(buf, n, "retry-after", &v, &vlen)) {
        a->retry_after_s = prov_retry_after_parse(v, vlen, time(NULL));
    } else if (header_is(buf, n, "x-amzn-errortype", &v, &vlen)) {
        for (k = 0; k < vlen && v[k] != ':' && k + 1 < sizeof(a->error_type);
             k++)
            a->error_type[k] = v[k];
        a->error_type[k] = '\0';
    }
    return n;
}

enum bode_err prov_easy_post(struct bode_delivery *d, struct prov_attempt *a,
                             const char *url, long timeout_ms, bool no_expect)
{
    struct curl_slist *grown;
    CURLcode rc = CURLE_OK;
    CURL *e;

    /* No "Expect: 100-continue" round trip: providers answer at once. */
    if (no_expect) {
        grown = curl_slist_append(a->headers, "Expect:");
        if (!grown)
            return BODE_ERR_NOMEM;
        a->headers = grown;
    }
    e = curl_easy_init();
    if (!e)
        return BODE_ERR_NOMEM;
    d->easy = e;
    rc = curl_easy_setopt(e, CURLOPT_URL, url);
    if (!rc)
        rc = curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    if (!rc)
        rc = curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    if (!rc)
        rc = curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    if (!rc)
        rc = curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
    if (!rc)
        rc = curl_easy_setopt(
            e, CURLOPT_CONNECTTIMEOUT_MS,
            timeout_ms < CONNECT_TIMEOUT_MS ? timeout_ms : CONNECT_TIMEOUT_MS);
    /* Providers answer with a few hundred bytes; libcurl's 16 KiB default
     * receive buffer per transfer would be most of a busy worker's memory
     * (hundreds of requests in flight). */
    if (!rc)
        rc = curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 1024L);
    if (!rc)
        rc = curl_easy_setopt(e, CURLOPT_USERAGENT, "bode/" BODE_VERSION);
    if (!rc)
        rc = curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    if (!rc)
        rc = curl_easy_setopt(e, CURLOPT_HEADERDATA, a);
    if (!rc)
        rc = curl_easy_setopt(e, CURLOPT_POST, 1L);
    if (!rc)
        rc = curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                              (curl_off_t)a->body.len);
    if (!rc)
        rc = curl_easy_setopt(e, CURLOPT_POSTFIELDS, bode_buf_str(&a->body));
    if (!rc)
        rc = curl_easy_setopt(e, CURLOPT_HTTPHEADER, a->headers);
    return rc == CURLE_OK ? BODE_OK : BODE_ERR_NOMEM;
}

enum bode_err prov_easy_basic_auth(struct bode_delivery *d, const char *user,
                                   const char *password)
{
    CURLcode rc =
        curl_easy_setopt(d->easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);

    if (!rc)
        rc = curl_easy_setopt(d->easy, CURLOPT_USERNAME, user);
    if (!rc)
        rc = curl_easy_setopt(d->easy, CURLOPT_PASSWORD, password);
    return rc == CURLE_OK ? BODE_OK : BODE_ERR_NOMEM;
}

/* ---- classification ---- */

enum bode_outcome prov_classify_curl(int curl_code)
{
    switch (curl_code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_UNKNOWN_OPTION:
    case CURLE_LOGIN_DENIED:
    case CURLE_REMOTE_ACCESS_DENIED:
        return BODE_OUTCOME_TECHNICAL;
    default:
        return BODE_OUTCOME_TEMPORARY;
    }
}

bool prov_is_ambiguous(struct bode_delivery *d, int curl_code, size_t body_len)
{
    curl_off_t up = 0;
    long req = 0;

    switch (curl_code) {
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        break;
    default:
        return false;
    }
    if (!d->easy)
        return false;
    if (body_len == 0)
        return curl_easy_getinfo(d->easy, CURLINFO_REQUEST_SIZE, &req) ==
                   CURLE_OK &&
               req > 0;
    return curl_easy_getinfo(d->easy, CURLINFO_SIZE_UPLOAD_T, &up) ==
               CURLE_OK &&
           up >= (curl_off_t)body_len;
}

void prov_curl_detail(char *out, size_t size, int curl_code)
{
    snprintf(out, size, "curl %d: %s", curl_code,
             curl_easy_strerror((CURLcode)curl_code));
}

/* What an HTTP status says about trying again. */
static enum bode_outcome status_outcome(long status)
{
    switch (status) {
    case 408:
    case 425:
    case 429:
        return BODE_OUTCOME_TEMPORARY;
    case 401:
    case 403:
    case 404:
    case 405:
    case 406:
    case 407:
    case 411:
    case 413:
    case 414:
    case 415:
    case 426:
    case 431:
        return BODE_OUTCOME_TECHNICAL;
    default:
        break;
    }
    if (status >= 500 && status <= 599)
        return BODE_OUTCOME_TEMPORARY;
    if (status >= 400 && status <= 499)
        return BODE_OUTCOME_PERMANENT;
    /* A redirect or an informational answer: the URL is wrong. */
    if (status >= 100)
        return BODE_OUTCOME_TECHNICAL;
    return BODE_OUTCOME_TEMPORARY;
}

bool prov_classify_http(struct bode_delivery *d, int curl_code, long status,
                        struct bode_provider_result *out)
{
    struct prov_attempt *a = d->data;

    /* A response longer than the worker's cap still has its status. */
    if (curl_code == CURLE_WRITE_ERROR && status > 0)
        curl_code = CURLE_OK;
    if (curl_code != CURLE_OK) {
        out->outcome = prov_classify_curl(curl_code);
        out->ambiguous = out->outcome == BODE_OUTCOME_TEMPORARY &&
                         prov_is_ambiguous(d, curl_code, a ? a->body.len : 0);
        prov_curl_detail(out->detail, sizeof(out->detail), curl_code);
        return false;
    }
    if (status >= 200 && status <= 299)
        return true;
    out->outcome = status_outcome(status);
    if (out->outcome == BODE_OUTCOME_TEMPORARY && a)
        out->retry_after_s = a->retry_after_s;
    snprintf(out->detail, sizeof(out->detail), "HTTP %ld", status);
    return false;
}

static bool parse_uint(const char *s, size_t n, long max, long *out)
{
    long v = 0;
    size_t i;

    if (n == 0)
        return false;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        if (v <= max)
            v = v * 10 + (s[i] - '0');
    }
    *out = v > max ? max + 1 : v;
    return true;
}

/* IMF-fixdate (RFC 9110 section 5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT". */
static bool parse_http_date(const char *s, size_t n, time_t *out)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    struct tm tm;
    long day;
    long year;
    long hh;
    long mm;
    long ss;
    const char *m;

    if (n != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' ||
        s[16] != ' ' || s[19] != ':' || s[22] != ':' ||
        memcmp(s + 25, " GMT", 4) != 0)
        return false;
    if (!parse_uint(s + 5, 2, 31, &day) ||
        !parse_uint(s + 12, 4, 9999, &year) ||
        !parse_uint(s + 17, 2, 23, &hh) || !parse_uint(s + 20, 2, 59, &mm) ||
        !parse_uint(s + 23, 2, 60, &ss) || day < 1 || day > 31)
        return false;
    for (m = months; *m; m += 3)
        if (memcmp(m, s + 8, 3) == 0)
            break;
    if (!*m)
        return false;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = (int)year - 1900;
    tm.tm_mon = (int)((m - months) / 3);
    tm.tm_mday = (int)day;
    tm.tm_hour = (int)hh;
    tm.tm_min = (int)mm;
    tm.tm_sec = (int)ss;
    *out = timegm(&tm);
    return *out != (time_t)-1;
}

long prov_retry_after_parse(const char *v, size_t n, time_t now)
{
    long secs;
    time_t at;

    while (n > 0 && (*v == ' ' || *v == '\t')) {
        v++;
        n--;
    }
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    if (parse_uint(v, n, RETRY_AFTER_MAX, &secs))
        return secs > RETRY_AFTER_MAX ? RETRY_AFTER_MAX : secs;
    if (!parse_http_date(v, n, &at) || at <= now)
        return 0;
    return at - now > RETRY_AFTER_MAX ? RETRY_AFTER_MAX : (long)(at - now);
}

/* ---- codecs ---- */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

enum bode_err prov_base64_add(struct bode_buf *out, const void *in, size_t n,
                              bool wrap)
{
    const unsigned char *p = in;
    enum bode_err err = BODE_OK;
    char quad[4];
    size_t col = 0;
    size_t i;
    uint32_t v;

    for (i = 0; !err && i < n; i += 3) {
        v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        quad[0] = b64_alphabet[v >> 18 & 63];
        quad[1] = b64_alphabet[v >> 12 & 63];
        quad[2] = i + 1 < n ? b64_alphabet[v >> 6 & 63] : '=';
        quad[3] = i + 2 < n ? b64_alphabet[v & 63] : '=';
        if (wrap && col == 76) {
            err = bode_buf_add(out, "\r\n", 2);
            col = 0;
        }
        if (!err)
            err = bode_buf_add(out, quad, 4);
        col += 4;
    }
    return err;
}

static int b64_value(char c)
{
    const char *p;

    if (c == '\0')
        return -1;
    p = strchr(b64_alphabet, c);
    return p ? (int)(p - b64_alphabet) : -1;
}

enum bode_err prov_base64_decode(const char *in, size_t len, unsigned char *out,
                                 size_t size, size_t *out_len)
{
    uint32_t acc = 0;
    size_t got = 0; /* characters in the current quad */
    size_t pad = 0;
    size_t o = 0;
    size_t i;
    int v;

    *out_len = 0;
    for (i = 0; i < len; i++) {
        char c = in[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        if (c == '=') {
            if (got < 2 || ++pad > 2)
                return BODE_ERR_INVALID;
            acc <<= 6;
            got++;
        } else {
            v = b64_value(c);
            if (v < 0 || pad)
                return BODE_ERR_INVALID;
            acc = acc << 6 | (uint32_t)v;
            got++;
        }
        if (got == 4) {
            if (o + 3 - pad > size)
                return BODE_ERR_TOO_BIG;
            out[o++] = (unsigned char)(acc >> 16);
            if (pad < 2)
                out[o++] = (unsigned char)(acc >> 8);
            if (pad < 1)
                out[o++] = (unsigned char)acc;
            acc = 0;
            got = 0;
            if (pad)
                pad = 3; /* nothing may follow padding */
        }
    }
    if (got != 0)
        return BODE_ERR_INVALID;
    *out_len = o;
    return BODE_OK;
}

static enum bode_err pct_add(struct bode_buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    enum bode_err err = BODE_OK;
    char esc[3];

    for (; !err && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
            c == '~') {
            err = bode_buf_addc(out, (char)c);
        } else {
            esc[0] = '%';
            esc[1] = hex[c >> 4];
            esc[2] = hex[c & 0xf];
            err = bode_buf_add(out, esc, 3);
        }
    }
    return err;
}

enum bode_err prov_form_add(struct bode_buf *out, const char *name,
                            const char *value)
{
    enum bode_err err = BODE_OK;

    if (out->len > 0)
        err = bode_buf_addc(out, '&');
    if (!err)
        err = pct_add(out, name);
    if (!err)
        err = bode_buf_addc(out, '=');
    if (!err)
        err = pct_add(out, value ? value : "");
    return err;
}

enum bode_err prov_json_load(const char *s, size_t n, json_t **out)
{
    json_error_t e;

    /* jansson leaves the error code unset on some allocation failures. */
    memset(&e, 0, sizeof(e));
    *out = json_loadb(s ? s : "", n, JSON_REJECT_DUPLICATES, &e);
    if (*out)
        return BODE_OK;
    return json_error_code(&e) == json_error_out_of_memory ? BODE_ERR_NOMEM
                                                           : BODE_ERR_INVALID;
}

/* Decodes s[0..n) ('+' as space, %XX) into a new string in *out.
 * BODE_ERR_INVALID for a bad escape or a NUL; BODE_ERR_NOMEM. */
static enum bode_err form_decode(const char *s, size_t n, char **out)
{
    char *d = bode_malloc(n + 1);
    size_t o = 0;
    size_t i;
    int hi;
    int lo;

    *out = NULL;
    if (!d)
        return BODE_ERR_NOMEM;
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (i + 2 >= n)
                goto bad;
            hi = bode_hex_value(s[i + 1]);
            lo = bode_hex_value(s[i + 2]);
            if (hi < 0 || lo < 0)
                goto bad;
            c = (char)(hi << 4 | lo);
            i += 2;
        }
        if (c == '\0')
            goto bad;
        d[o++] = c;
    }
    d[o] = '\0';
    *out = d;
    return BODE_OK;
bad:
    bode_free(d);
    return BODE_ERR_INVALID;
}

enum bode_err prov_form_parse(const char *s, size_t len, struct prov_form *f)
{
    enum bode_err err = BODE_OK;
    const char *end = s + len;
    const char *amp;
    const char *eq;

    memset(f, 0, sizeof(*f));
    while (s < end) {
        amp = memchr(s, '&', (size_t)(end - s));
        if (!amp)
            amp = end;
        if (amp == s) {
            s++;
            continue;
        }
        if (f->n == PROV_FORM_MAX) {
            err = BODE_ERR_INVALID;
            break;
        }
        eq = memchr(s, '=', (size_t)(amp - s));
        if (!eq)
            eq = amp;
        err = form_decode(s, (size_t)(eq - s), &f->pairs[f->n].name);
        if (!err)
            err = form_decode(eq == amp ? eq : eq + 1,
                              eq == amp ? 0 : (size_t)(amp - eq - 1),
                              &f->pairs[f->n].value);
        if (err) {
            bode_free(f->pairs[f->n].name);
            f->pairs[f->n].name = NULL;
            break;
        }
        f->n++;
        s = amp;
    }
    if (err)
        prov_form_release(f);
    return err;
}

void prov_form_release(struct prov_form *f)
{
    size_t i;

    for (i = 0; i < f->n; i++) {
        bode_free(f->pairs[i].name);
        bode_free(f->pairs[i].value);
    }
    f->n = 0;
}

const char *prov_form_get(const struct prov_form *f, const char *name)
{
    size_t i;

    for (i = 0; i < f->n; i++)
        if (strcmp(f->pairs[i].name, name) == 0)
            return f->pairs[i].value;
    return NULL;
}

enum bode_err prov_query_get(const char *url, const char *name, char *out,
                             size_t size)
{
    const char *q = url ? strchr(url, '?') : NULL;
    const char *end;
    const char *amp;
    size_t k = strlen(name);
    char *v = NULL;
    enum bode_err err;

    if (size > 0)
        out[0] = '\0';
    if (!q)
        return BODE_ERR_NOT_FOUND;
    q++;
    end = strchr(q, '#');
    if (!end)
        end = q + strlen(q);
    while (q < end) {
        amp = memchr(q, '&', (size_t)(end - q));
        if (!amp)
            amp = end;
        if ((size_t)(amp - q) > k && q[k] == '=' && memcmp(q, name, k) == 0) {
            err = form_decode(q + k + 1, (size_t)(amp - q - k - 1), &v);
            if (err)
                return err;
            if (strlen(v) >= size) {
                bode_free(v);
                return BODE_ERR_TOO_BIG;
            }
            memcpy(out, v, strlen(v) + 1);
            bode_free(v);
            return BODE_OK;
        }
        q = amp + (amp < end);
    }
    return BODE_ERR_NOT_FOUND;
}
