/* Private to providers/: the instance header every provider embeds, the
 * per-attempt state of curl-based providers, settings helpers, result
 * classification, MIME building and small codecs. Only providers/ (and its
 * tests) include this, and only providers/ include curl. */
#ifndef BODE_PROVIDER_INT_H
#define BODE_PROVIDER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "bode/buf.h"
#include "bode/err.h"
#include "bode/provider.h"

struct curl_slist;

/* The first member of every provider instance, so a struct bode_provider *
 * can be cast to the provider's own struct. */
struct bode_provider {
    const struct bode_provider_ops *ops;
};

extern const struct bode_provider_ops prov_sandbox_ops;
extern const struct bode_provider_ops prov_smtp_ops;
extern const struct bode_provider_ops prov_ses_ops;
extern const struct bode_provider_ops prov_sns_ops;
extern const struct bode_provider_ops prov_twilio_ops;
extern const struct bode_provider_ops prov_http_ops;

/* Caps: a whole MIME message (SES takes 10 MB raw), one HTTP request body,
 * and the longest setting value copied. */
#define PROV_MIME_CAP (10u * 1024 * 1024)
#define PROV_BODY_CAP (16u * 1024 * 1024)
#define PROV_DEFAULT_TIMEOUT_MS 30000L

/* ---- settings ---- */

/* The value of the first of names[0..n) that is set and not empty, or
 * NULL. Borrowed from the setting function; copy it to keep it. */
const char *prov_setting(bode_setting_fn get, void *ctx,
                         const char *const *names, size_t n);

/* Copies the setting named name (or NULL when unset) into *out, which the
 * caller frees with bode_free. BODE_ERR_NOMEM. */
enum bode_err prov_setting_dup(bode_setting_fn get, void *ctx, const char *name,
                               char **out);

/* Reads a whole number of milliseconds from name into *out, def when
 * unset. BODE_ERR_INVALID with why filled when it is not a number in
 * [min, max]. */
enum bode_err prov_setting_ms(bode_setting_fn get, void *ctx, const char *name,
                              long def, long min, long max, long *out,
                              char *why, size_t why_size);

/* Parses an accepted-status setting ("sending", "sent", "delivered") into
 * *out, def when unset. BODE_ERR_INVALID with why filled. */
enum bode_err prov_setting_outcome(bode_setting_fn get, void *ctx,
                                   const char *name, enum bode_outcome def,
                                   enum bode_outcome *out, char *why,
                                   size_t why_size);

/* Fills why (if any room) with printf-style text. Returns BODE_ERR_INVALID
 * so a caller can `return prov_why(...)`. */
enum bode_err prov_why(char *why, size_t why_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* True when s is an http:// or https:// URL with a host and no characters
 * that would need escaping (spaces, controls, quotes, angle brackets). */
bool prov_url_is_plain(const char *s);

/* ---- one attempt of a curl-based provider (d->data) ---- */

struct prov_attempt {
    struct curl_slist *headers; /* HTTP headers */
    struct curl_slist *rcpt;    /* SMTP envelope recipients */
    struct bode_buf body;       /* the request body or the mail message */
    size_t read_pos;            /* SMTP upload cursor into body */
    long retry_after_s;         /* from the last response's Retry-After */
    char error_type[96];        /* x-amzn-ErrorType, up to the first ':' */
    char reference[128];        /* set at start when known (SMTP) */
};

/* Makes d->data a new, empty attempt with a body capped at body_cap and
 * returns it in *out. BODE_ERR_NOMEM. */
enum bode_err prov_attempt_new(struct bode_delivery *d, size_t body_cap,
                               struct prov_attempt **out);

/* The release op of every curl-based provider: cleans up d->easy and frees
 * the attempt in d->data. Safe on a zeroed delivery and when called twice. */
void prov_release(struct bode_provider *p, struct bode_delivery *d);

/* Makes d->easy an HTTP POST of a->body to url with a->headers, the
 * Retry-After capture, no redirects, http/https only and timeout_ms
 * overall. no_expect adds "Expect:" so curl never waits for a 100
 * Continue; SigV4 requests must not (curl 7.88 signs that empty header
 * but does not send it, so AWS would refuse the signature). Leaves the
 * write callback and CURLOPT_PRIVATE to the worker. BODE_ERR_NOMEM. */
enum bode_err prov_easy_post(struct bode_delivery *d, struct prov_attempt *a,
                             const char *url, long timeout_ms, bool no_expect);

/* Sets HTTP basic auth on d->easy. BODE_ERR_NOMEM. */
enum bode_err prov_easy_basic_auth(struct bode_delivery *d, const char *user,
                                   const char *password);

/* The timeout to use: the provider's own when set (> 0), else the worker's
 * d->timeout_ms when set, else PROV_DEFAULT_TIMEOUT_MS. */
long prov_timeout(long own_ms, const struct bode_delivery *d);

/* Adds "Name: value" to *list. BODE_ERR_NOMEM. */
enum bode_err prov_header_add(struct curl_slist **list, const char *name,
                              const char *value);

/* ---- AWS (aws.c): region, credentials and SigV4 through libcurl ---- */

struct prov_aws {
    char region[40];
    char sigv4[80]; /* "aws:amz:REGION:SERVICE" */
    char *endpoint; /* scheme://host[:port], no trailing slash */
    char *key_id;
    char *secret;
    char *token; /* session token, NULL for none */
};

/* Reads the region (region_setting, then BODE_AWS_REGION, AWS_REGION,
 * AWS_DEFAULT_REGION), the credentials (BODE_AWS_ACCESS_KEY_ID /
 * BODE_AWS_SECRET_ACCESS_KEY / BODE_AWS_SESSION_TOKEN, then the AWS_*
 * names) and the endpoint (endpoint_setting, else https://HOST_PREFIX.
 * REGION.amazonaws.com) into aws, which the caller releases with
 * prov_aws_release. BODE_ERR_INVALID with why filled; BODE_ERR_NOMEM. */
enum bode_err prov_aws_load(struct prov_aws *aws, bode_setting_fn get,
                            void *ctx, const char *service,
                            const char *host_prefix, const char *region_setting,
                            const char *endpoint_setting, char *why,
                            size_t why_size);
void prov_aws_release(struct prov_aws *aws);

/* The settings prov_aws_load reads besides the two named ones. */
#define PROV_AWS_SETTINGS                                                      \
    "BODE_AWS_REGION", "AWS_REGION", "AWS_DEFAULT_REGION",                     \
        "BODE_AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID",                         \
        "BODE_AWS_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY",                 \
        "BODE_AWS_SESSION_TOKEN", "AWS_SESSION_TOKEN"

/* Makes d->easy a SigV4-signed POST of a->body (content_type) to
 * aws->endpoint + path, with the session token header when there is one.
 * BODE_ERR_NOMEM. */
enum bode_err prov_aws_post(const struct prov_aws *aws, struct bode_delivery *d,
                            struct prov_attempt *a, const char *path,
                            const char *content_type, long timeout_ms);

/* ---- classification (reliability-notes section 3) ---- */

/* Classifies a finished HTTP request by transport result and status:
 * returns true for a 2xx (the caller then reads the body), otherwise
 * fills out (outcome, retry_after_s, ambiguous, detail) and returns false.
 * Errors: 408, 429, 5xx and transport failures temporary; 401, 403, 404
 * and other "our request is wrong" codes technical; other 4xx permanent.
 * A transport failure after the whole body went out is ambiguous. */
bool prov_classify_http(struct bode_delivery *d, int curl_code, long status,
                        struct bode_provider_result *out);

/* The outcome for a transport failure (no usable response): temporary for
 * everything the network or the peer can cause, technical for a bad URL or
 * option. */
enum bode_outcome prov_classify_curl(int curl_code);

/* True when curl_code may have come after the request (body_len bytes) was
 * fully sent, so the provider may have acted on it. */
bool prov_is_ambiguous(struct bode_delivery *d, int curl_code, size_t body_len);

/* Parses a Retry-After value: delta-seconds or an IMF-fixdate relative to
 * now. Returns seconds (0 when absent, past or malformed), capped at a
 * day. */
long prov_retry_after_parse(const char *v, size_t n, time_t now);

/* Writes "curl 28: Timeout was reached" style text for curl_code. */
void prov_curl_detail(char *out, size_t size, int curl_code);

/* ---- codecs ---- */

/* Appends the standard base64 (RFC 4648 section 4, padded) of in[0..n),
 * with CRLF after every 76 characters when wrap. Errors as bode_buf_add. */
enum bode_err prov_base64_add(struct bode_buf *out, const void *in, size_t n,
                              bool wrap);

/* Decodes padded standard base64 in[0..len) (whitespace ignored) into out
 * (size bytes) and sets *out_len. BODE_ERR_INVALID for anything else,
 * BODE_ERR_TOO_BIG when out is too small. */
enum bode_err prov_base64_decode(const char *in, size_t len, unsigned char *out,
                                 size_t size, size_t *out_len);

/* Appends s percent-encoded for application/x-www-form-urlencoded
 * (unreserved characters as they are, space as %20). */
enum bode_err prov_form_add(struct bode_buf *out, const char *name,
                            const char *value);

/* Parses s[0..n) as one JSON object or array, duplicate keys refused,
 * into a new reference in *out. BODE_ERR_INVALID for anything else,
 * BODE_ERR_NOMEM when jansson says it ran out of memory (it reports some
 * failed allocations as syntax errors, so INVALID may also mean that). */
struct json_t;
enum bode_err prov_json_load(const char *s, size_t n, struct json_t **out);

/* Form bodies (Twilio receipts): up to PROV_FORM_MAX decoded pairs. */
#define PROV_FORM_MAX 64
struct prov_form_pair {
    char *name;
    char *value;
};
struct prov_form {
    struct prov_form_pair pairs[PROV_FORM_MAX];
    size_t n;
};

/* Decodes an application/x-www-form-urlencoded body ('+' as space, %XX)
 * into f, which the caller releases with prov_form_release. Decoded
 * values may hold any byte but NUL. BODE_ERR_INVALID for a bad escape, a
 * NUL or more than PROV_FORM_MAX pairs; BODE_ERR_NOMEM. */
enum bode_err prov_form_parse(const char *s, size_t len, struct prov_form *f);
void prov_form_release(struct prov_form *f);

/* The value of the first pair named name, or NULL. */
const char *prov_form_get(const struct prov_form *f, const char *name);

/* Finds query parameter name in url and decodes its value into out.
 * BODE_ERR_NOT_FOUND when absent, BODE_ERR_TOO_BIG or BODE_ERR_INVALID. */
enum bode_err prov_query_get(const char *url, const char *name, char *out,
                             size_t size);

/* ---- email (mime.c) ---- */

/* True when s[0..n) is valid UTF-8 (no overlongs, no surrogates). */
bool prov_utf8_is_valid(const char *s, size_t n);

/* True when s is valid UTF-8 with no CR, LF, NUL, other C0 control but
 * TAB, DEL, U+2028 or U+2029: safe to put in a header. */
bool prov_header_text_is_safe(const char *s);

/* True when s looks like an ASCII addr-spec with nothing a header or an
 * SMTP command could misread: 3..254 printable characters, one '@' with
 * text either side, no whitespace or <>()[],;:\". */
bool prov_address_is_safe(const char *s);

struct prov_mime_opts {
    time_t now;               /* Date header; 0 for the current time */
    const char *boundary;     /* NULL for a random one */
    const char *msgid_domain; /* NULL for the From address's domain */
};

/* Checks every field of m's email that reaches a header (addresses,
 * names, subject, unsubscribe URL, id, Message-ID domain; NULL for the
 * From domain) and that there is a body, without building anything.
 * BODE_ERR_INVALID with why filled. */
enum bode_err prov_mime_check(const struct bode_message *m,
                              const char *msgid_domain, char *why,
                              size_t why_size);

/* Appends the headers of m's email (each line CRLF-terminated, folded
 * under 78 columns where the value allows, never over 998) to out,
 * without the blank line that ends them. Non-ASCII subjects and names are
 * RFC 2047 encoded-words. BODE_ERR_INVALID with why filled for a field
 * that is missing or unsafe (CR, LF, NUL: header injection); errors of
 * bode_buf_add. boundary_out (at least 64 bytes) receives the multipart
 * boundary, "" for a single part. */
enum bode_err prov_mime_headers(const struct bode_message *m,
                                const struct prov_mime_opts *o,
                                struct bode_buf *out, char *boundary_out,
                                char *why, size_t why_size);

/* Appends the whole message: headers, blank line, then a multipart/
 * alternative text + HTML body (or the one part given), each part
 * quoted-printable or base64, whichever is shorter. Errors as
 * prov_mime_headers. */
enum bode_err prov_mime_build(const struct bode_message *m,
                              const struct prov_mime_opts *o,
                              struct bode_buf *out, char *why, size_t why_size);

/* Appends a mailbox for a header value: `"Name" <addr>`, an encoded-word
 * form for non-ASCII names, or the bare address when name is NULL or "".
 * No folding. BODE_ERR_INVALID for an unsafe name or address. */
enum bode_err prov_mime_mailbox(struct bode_buf *out, const char *name,
                                const char *addr);

/* Appends text[0..n) quoted-printable (RFC 2045) with CRLF line breaks
 * (LF and CRLF in the input are line breaks), lines at most 76 characters,
 * and a leading '.' or "From " encoded. */
enum bode_err prov_qp_add(struct bode_buf *out, const char *text, size_t n);

/* Appends s as RFC 2047 Q encoded-words of at most 75 characters each,
 * split only between UTF-8 characters, the first on a line that already
 * holds col characters, the rest on folded lines (CRLF SP) when fold,
 * else after a single space. s must pass prov_header_text_is_safe. */
enum bode_err prov_ew_add(struct bode_buf *out, const char *s, size_t col,
                          bool fold);

/* The email part of a message id or the provider reference used for it:
 * "<id@domain>". BODE_ERR_INVALID when id or domain is unsafe. */
enum bode_err prov_message_id(const struct bode_message *m, const char *domain,
                              char *out, size_t size);

#endif
