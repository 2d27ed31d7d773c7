/* Response values and the Notify error shapes. The only place that decides
 * which status and text an API error gets. */
#include <string.h>

#include "api_int.h"
#include "bode/alloc.h"
#include "bode/buf.h"

const char *const bode_api_common_headers[] = {
    "Access-Control-Allow-Origin",
    "*",
    "X-Content-Type-Options",
    "nosniff",
    "X-Frame-Options",
    "SAMEORIGIN",
    "Strict-Transport-Security",
    "max-age=31536000; includeSubDomains; preload",
    "Cache-Control",
    "no-store, no-cache, private, must-revalidate",
    NULL,
};

enum shape { SHAPE_V1, SHAPE_V2 };

static const struct {
    int status;
    enum shape shape;
    const char *type;
    const char *message;
} errors[BODE_API_E__COUNT] = {
    /* Notify answers unknown routes from Flask's 404 handler, in the v1
     * shape, with werkzeug's description as the message. */
    [BODE_API_E_ROUTE_NOT_FOUND] =
        {404, SHAPE_V1, NULL,
         "The requested URL was not found on the server. If you entered the "
         "URL manually please check your spelling and try again."},
    [BODE_API_E_METHOD_NOT_ALLOWED] =
        {405, SHAPE_V1, NULL,
         "The method is not allowed for the requested URL."},
    [BODE_API_E_BODY_TOO_LARGE] = {413, SHAPE_V2, "RequestEntityTooLarge",
                                   "Request body is too large"},
    [BODE_API_E_INTERNAL] = {500, SHAPE_V2, "InternalServerError",
                             "Internal server error"},
    [BODE_API_E_UNAVAILABLE] =
        {503, SHAPE_V2, "ServiceUnavailable",
         "Service temporarily unavailable, please try again"},
    [BODE_API_E_VALIDATION] = {400, SHAPE_V2, "ValidationError",
                               "Invalid request"},
    [BODE_API_E_BAD_REQUEST] = {400, SHAPE_V2, "BadRequestError",
                                "Bad request"},
    [BODE_API_E_INVALID_PHONE] = {400, SHAPE_V2, "InvalidPhoneError",
                                  "Not a valid phone number"},
    [BODE_API_E_NO_RESULT] = {404, SHAPE_V2, "NoResultFound",
                              "No result found"},
    [BODE_API_E_RATE_LIMIT] = {429, SHAPE_V2, "RateLimitError",
                               "Exceeded rate limit"},
    [BODE_API_E_DAILY_LIMIT] = {429, SHAPE_V2, "TooManyRequestsError",
                                "Exceeded send limits for today"},
    /* Bode's own: Notify has no idempotency keys. 422 as the IETF
     * Idempotency-Key draft recommends for a reused key. */
    [BODE_API_E_RECEIPT_AUTH] = {403, SHAPE_V2, "AuthError",
                                 "Invalid receipt signature"},
    [BODE_API_E_IDEMPOTENCY] =
        {422, SHAPE_V2, "IdempotencyError",
         "Idempotency-Key was already used with a different request body"},
};

void bode_response_init(struct bode_response *resp)
{
    memset(resp, 0, sizeof(*resp));
    resp->status = 500;
    resp->content_type = "application/json";
}

void bode_response_release(struct bode_response *resp)
{
    bode_free(resp->body);
    bode_response_init(resp);
}

enum bode_err bode_response_add_header(struct bode_response *resp,
                                       const char *name, const char *value)
{
    struct bode_header *h;
    size_t nlen = strlen(name);
    size_t vlen = strlen(value);

    if (strpbrk(name, "\r\n:") || strpbrk(value, "\r\n"))
        return BODE_ERR_INVALID;
    if (resp->n_headers == BODE_RESPONSE_MAX_HEADERS ||
        nlen >= sizeof(h->name) || vlen >= sizeof(h->value))
        return BODE_ERR_TOO_BIG;
    h = &resp->headers[resp->n_headers++];
    memcpy(h->name, name, nlen + 1);
    memcpy(h->value, value, vlen + 1);
    return BODE_OK;
}

static void set_body(struct bode_response *resp, int status, char *text)
{
    static const char fallback[] =
        "{\"status_code\":500,\"errors\":[{\"error\":\"InternalServerError\","
        "\"message\":\"Internal server error\"}]}";

    bode_free(resp->body);
    resp->content_type = "application/json";
    if (text) {
        resp->status = status;
        resp->body = text;
        resp->body_len = strlen(text);
        return;
    }
    /* No memory even for the error: answer from static storage. */
    resp->status = 500;
    resp->body = bode_strdup(fallback);
    resp->body_len = resp->body ? sizeof(fallback) - 1 : 0;
}

/* Length of the well-formed UTF-8 sequence at s[0..len), 0 if none. */
static size_t utf8_len(const unsigned char *s, size_t len)
{
    size_t need;
    size_t k;
    unsigned long cp;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        need = 1;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        need = 2;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        need = 3;
    else
        return 0;
    if (len <= need)
        return 0;
    cp = s[0] & (0x3fu >> need);
    for (k = 1; k <= need; k++) {
        if ((s[k] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[k] & 0x3f);
    }
    if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return need + 1;
}

/* An error message as a JSON string. Messages quote what the client sent
 * (a query value, a key name), which may not be UTF-8: like Notify's
 * Werkzeug, which decodes requests with errors="replace", each bad byte
 * becomes U+FFFD rather than the whole answer becoming a 500. */
static json_t *message_json(const char *message)
{
    const unsigned char *p = (const unsigned char *)message;
    size_t len = strlen(message);
    size_t i = 0;
    size_t n;
    struct bode_buf b;
    json_t *out = json_string(message);

    if (out)
        return out;
    bode_buf_init(&b, 3 * len + 1);
    while (i < len) {
        n = utf8_len(p + i, len - i);
        if (n == 0) {
            if (bode_buf_add(&b, "\xef\xbf\xbd", 3))
                break;
            i++;
            continue;
        }
        if (bode_buf_add(&b, p + i, n))
            break;
        i += n;
    }
    if (i == len)
        out = json_stringn(bode_buf_str(&b), b.len);
    bode_buf_release(&b);
    return out;
}

void bode_api_reply_json(struct bode_response *resp, int status, json_t *body)
{
    char *text = NULL;

    if (body)
        text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    set_body(resp, status, text);
}

void bode_api_reply_raw(struct bode_response *resp, int status, char *text)
{
    set_body(resp, status, text);
}

void bode_api_fail_status(struct bode_response *resp, int status,
                          const char *type, const char *message)
{
    bode_api_reply_json(resp, status,
                        json_pack("{s:i, s:[{s:s, s:o}]}", "status_code",
                                  status, "errors", "error", type, "message",
                                  message_json(message)));
}

void bode_api_fail_many(struct bode_response *resp, enum bode_api_error e,
                        const char *const *messages, size_t n)
{
    json_t *list;
    json_t *item;
    size_t i;

    if ((unsigned)e >= BODE_API_E__COUNT || errors[e].shape != SHAPE_V2 ||
        n == 0) {
        bode_api_fail(resp, e, n ? messages[0] : NULL);
        return;
    }
    list = json_array();
    for (i = 0; list && i < n; i++) {
        item = json_pack("{s:s, s:o}", "error", errors[e].type, "message",
                         message_json(messages[i]));
        if (json_array_append_new(list, item) != 0) {
            json_decref(list);
            list = NULL;
        }
    }
    bode_api_reply_json(resp, errors[e].status,
                        list ? json_pack("{s:i, s:o}", "status_code",
                                         errors[e].status, "errors", list)
                             : NULL);
}

void bode_api_fail(struct bode_response *resp, enum bode_api_error e,
                   const char *message)
{
    if ((int)e < 0 || e >= BODE_API_E__COUNT)
        e = BODE_API_E_INTERNAL;
    if (!message)
        message = errors[e].message;
    if (errors[e].shape == SHAPE_V1)
        bode_api_reply_json(resp, errors[e].status,
                            json_pack("{s:s, s:o}", "result", "error",
                                      "message", message_json(message)));
    else
        bode_api_fail_status(resp, errors[e].status, errors[e].type, message);
}
