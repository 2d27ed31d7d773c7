/* The API's request handling, independent of the HTTP library.
 *
 * The http module parses a request into struct bode_request and calls
 * bode_api_handle, which routes it and fills struct bode_response. Handlers
 * never see libmicrohttpd. The Notify error shapes and the table of error
 * statuses live here, once. */
#ifndef BODE_API_H
#define BODE_API_H

#include <stdbool.h>
#include <stddef.h>

#include "bode/config.h"
#include "bode/err.h"

enum bode_method {
    BODE_METHOD_GET,
    BODE_METHOD_HEAD,
    BODE_METHOD_POST,
    BODE_METHOD_PUT,
    BODE_METHOD_DELETE,
    BODE_METHOD_PATCH,
    BODE_METHOD_OPTIONS,
    BODE_METHOD_OTHER,
};

struct bode_request {
    enum bode_method method;
    const char *path; /* decoded path without the query string */
    const char *body; /* NULL when there is none; not NUL-terminated */
    size_t body_len;
    const char *request_id;
    const char *raw_uri; /* path and query exactly as sent */
    /* Accessors into the HTTP layer's parsed request; ctx is theirs.
     * header: case-insensitive name, NULL if absent. query: first value or
     * NULL. query_all: fills up to max values of a repeated key, returns how
     * many there are. query_keys: fills up to max distinct keys. Strings stay
     * valid while the request is being handled. */
    void *ctx;
    const char *(*header)(void *ctx, const char *name);
    const char *(*query)(void *ctx, const char *name);
    size_t (*query_all)(void *ctx, const char *name, const char **out,
                        size_t max);
    size_t (*query_keys)(void *ctx, const char **out, size_t max);
};

#define BODE_RESPONSE_MAX_HEADERS 8

struct bode_header {
    char name[40];
    char value[216];
};

struct bode_response {
    int status;
    char *body; /* owned; allocated with bode_malloc */
    size_t body_len;
    const char *content_type; /* static string */
    struct bode_header headers[BODE_RESPONSE_MAX_HEADERS];
    size_t n_headers;
};

/* The errors the API can answer with. Each has one fixed status, Notify
 * error type and (unless the caller supplies one) message. */
enum bode_api_error {
    BODE_API_E_ROUTE_NOT_FOUND,    /* 404, v1 shape */
    BODE_API_E_METHOD_NOT_ALLOWED, /* 405, v1 shape */
    BODE_API_E_BODY_TOO_LARGE,     /* 413 */
    BODE_API_E_INTERNAL,           /* 500 */
    BODE_API_E_UNAVAILABLE,        /* 503: Redis unreachable */
    BODE_API_E_VALIDATION,         /* 400 ValidationError */
    BODE_API_E_BAD_REQUEST,        /* 400 BadRequestError */
    BODE_API_E_INVALID_PHONE,      /* 400 InvalidPhoneError */
    BODE_API_E_NO_RESULT,          /* 404 NoResultFound */
    BODE_API_E_RATE_LIMIT,         /* 429 RateLimitError */
    BODE_API_E_DAILY_LIMIT,        /* 429 TooManyRequestsError */
    BODE_API_E_IDEMPOTENCY,        /* 422 IdempotencyError (Bode) */
    BODE_API_E_RECEIPT_AUTH,       /* 403: a receipt signature is wrong */
    BODE_API_E__COUNT
};

struct bode_secretbox;
struct bode_ttlcache;
struct bode_provider;
struct bode_metrics;

/* Shared state for every request: read-only but for the auth cache, which
 * locks internally. */
struct bode_api_ctx {
    const struct bode_config *cfg;
    const struct bode_secretbox *box; /* opens sealed key secrets */
    /* Services with their keys, and compiled templates, each kept at most
     * BODE_AUTH_CACHE_MS (bode/ttlcache.h); NULL: no caching. */
    struct bode_ttlcache *auth;
    struct bode_ttlcache *tmpls;
    /* Providers whose receipts this API accepts (one per name). */
    struct bode_provider *const *providers;
    size_t n_providers;
    /* Where request and accept metrics go (bode/metrics.h, thread safe);
     * NULL: none are kept and /metrics answers an empty page. */
    struct bode_metrics *metrics;
    /* A worker's metrics listener: only /metrics and /_status/live are
     * routed, and /metrics reads no queue levels from Redis. */
    bool metrics_only;
};

/* Routes req and fills resp (which the caller must pass initialised with
 * bode_response_init and release afterwards). Never fails: every problem is
 * turned into a Notify-shaped error response. Thread safe; uses this thread's
 * own Redis connection. */
void bode_api_handle(const struct bode_api_ctx *ctx,
                     const struct bode_request *req,
                     struct bode_response *resp);

void bode_response_init(struct bode_response *resp);
void bode_response_release(struct bode_response *resp);

/* Adds a header; BODE_ERR_TOO_BIG when the table or the value is full.
 * Values containing CR or LF are refused with BODE_ERR_INVALID. */
enum bode_err bode_response_add_header(struct bode_response *resp,
                                       const char *name, const char *value);

/* Fills resp with error e in Notify's shape. message overrides the table's
 * text when not NULL. If memory runs out the body is a fixed string. */
void bode_api_fail(struct bode_response *resp, enum bode_api_error e,
                   const char *message);

/* Fills resp with several messages of error e in one Notify v2 body, as
 * schema validation does. */
void bode_api_fail_many(struct bode_response *resp, enum bode_api_error e,
                        const char *const *messages, size_t n);

/* Fills resp with a v2 error whose status and type come from another
 * module's table (the authentication errors of jwt.h). */
void bode_api_fail_status(struct bode_response *resp, int status,
                          const char *type, const char *message);

/* The headers Notify puts on every response (nosniff, no-store, ...):
 * a NULL-terminated array of name, value pairs. */
extern const char *const bode_api_common_headers[];

/* Short name of the route that matched path, for metrics and logs (never
 * contains ids): "/v2/notifications/{id}", or "unmatched". */
const char *bode_api_route_name(enum bode_method method, const char *path);

/* Registers the API's metric families in m so they are scraped (at zero)
 * before the first request. BODE_ERR_NOMEM, BODE_ERR_TOO_BIG. */
enum bode_err bode_api_metrics_declare(struct bode_metrics *m);

/* Counts one answered request and its duration in ctx->metrics (no-op when
 * NULL). route comes from bode_api_route_name. Thread safe; called by the
 * HTTP layer where it writes the access log line. */
void bode_api_metrics_request(const struct bode_api_ctx *ctx,
                              enum bode_method method, const char *path,
                              int status, long duration_us);

/* Counts one connection closed by the HTTP layer's request deadline;
 * phase is what was still arriving: "request_line", "headers" or "body". */
void bode_api_metrics_request_timeout(const struct bode_api_ctx *ctx,
                                      const char *phase);

#endif
