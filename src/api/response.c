/* Response values and the Notify error shapes. The only place that decides
 * which status and text an API error gets. */
#include <string.h>

#include "api_int.h"
#include "bode/alloc.h"

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

void bode_api_reply_json(struct bode_response *resp, int status, json_t *body)
{
    char *text = NULL;

    if (body)
        text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    set_body(resp, status, text);
}

void bode_api_fail(struct bode_response *resp, enum bode_api_error e,
                   const char *message)
{
    json_t *body;

    if ((int)e < 0 || e >= BODE_API_E__COUNT)
        e = BODE_API_E_INTERNAL;
    if (!message)
        message = errors[e].message;
    if (errors[e].shape == SHAPE_V1)
        body = json_pack("{s:s, s:s}", "result", "error", "message", message);
    else
        body =
            json_pack("{s:i, s:[{s:s, s:s}]}", "status_code", errors[e].status,
                      "errors", "error", errors[e].type, "message", message);
    bode_api_reply_json(resp, errors[e].status, body);
}
