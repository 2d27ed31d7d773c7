/* Maps method and path to a handler. Must not contain resource logic:
 * handlers live in one file per resource. */
#include <string.h>

#include "api_int.h"

#define M(x) (1u << BODE_METHOD_##x)

struct route {
    unsigned methods;
    const char *pattern; /* `{x}` matches one non-empty path segment */
    bode_api_handler handler;
};

static const struct route routes[] = {
    {M(GET), "/", bode_api_status},
    {M(GET) | M(POST), "/_status", bode_api_status},
    {M(GET), "/_status/live", bode_api_status_live},
    {M(GET), "/metrics", bode_api_metrics},
    {M(GET), "/_status/ready", bode_api_status_ready},
    {M(POST), "/v2/notifications/email", bode_api_post_email},
    {M(POST), "/v2/notifications/sms", bode_api_post_sms},
    {M(POST), "/v2/notifications/letter", bode_api_post_letter},
    {M(GET), "/v2/notifications", bode_api_notification_list},
    {M(GET), "/v2/template/{id}", bode_api_template_get},
    {M(GET), "/v2/template/{id}/version/{v}", bode_api_template_get},
    {M(POST), "/v2/template/{id}/preview", bode_api_template_preview},
    {M(GET), "/v2/templates", bode_api_template_list},
    {M(GET), "/v2/notifications/{id}", bode_api_notification_get},
    {M(GET), "/v2/notifications/{id}/pdf", bode_api_notification_pdf},
    {M(GET), "/v2/received-text-messages", bode_api_received_texts},
    {M(POST), "/notifications/receipts/{provider}", bode_api_receipt},
    {M(GET), "/d/{service_id}/{document_id}", bode_api_download_page},
    {M(GET) | M(POST), "/d/{service_id}/{document_id}/download",
     bode_api_download_file},
    {M(POST), "/v2/notifications/{id}/cancel", bode_api_notification_cancel},
    {M(POST), "/v2/notifications/bulk", bode_api_bulk_post},
    {M(GET), "/v2/notifications/bulk/{id}", bode_api_bulk_get},
    {M(POST), "/v2/notifications/bulk/{id}/cancel", bode_api_bulk_cancel},
    {M(POST), "/notifications/inbound/{provider}", bode_api_inbound},
};

#define N_ROUTES (sizeof(routes) / sizeof(routes[0]))

/* The only routes of a worker's metrics listener (ctx->metrics_only). */
static bool on_metrics_listener(const struct route *r)
{
    return strcmp(r->pattern, "/metrics") == 0 ||
           strcmp(r->pattern, "/_status/live") == 0;
}

static const char *const method_names[] = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "OTHER",
};

/* Walks pattern and path segment by segment. */
static bool match(const char *pattern, const char *path,
                  struct bode_api_params *params)
{
    const char *p = pattern;
    const char *s = path;
    const char *end;

    params->n = 0;
    while (*p && *s) {
        if (*p == '{') {
            end = strchr(s, '/');
            if (!end)
                end = s + strlen(s);
            if (end == s || params->n == BODE_API_MAX_PARAMS)
                return false;
            params->value[params->n] = s;
            params->len[params->n] = (size_t)(end - s);
            params->n++;
            s = end;
            p = strchr(p, '}');
            if (!p)
                return false;
            p++;
            continue;
        }
        if (*p != *s)
            return false;
        p++;
        s++;
    }
    return *p == '\0' && *s == '\0';
}

static bool allows(unsigned methods, enum bode_method m)
{
    /* HEAD is GET without a body; the HTTP layer drops the body. */
    if (m == BODE_METHOD_HEAD)
        m = BODE_METHOD_GET;
    return (methods & (1u << m)) != 0;
}

static void method_not_allowed(unsigned methods, struct bode_response *resp)
{
    char allow[64] = "";
    size_t i;

    for (i = 0; i < sizeof(method_names) / sizeof(method_names[0]); i++) {
        if (!(methods & (1u << i)))
            continue;
        if (allow[0])
            strncat(allow, ", ", sizeof(allow) - strlen(allow) - 1);
        strncat(allow, method_names[i], sizeof(allow) - strlen(allow) - 1);
    }
    if (methods & M(GET))
        strncat(allow, ", HEAD", sizeof(allow) - strlen(allow) - 1);
    bode_api_fail(resp, BODE_API_E_METHOD_NOT_ALLOWED, NULL);
    bode_response_add_header(resp, "Allow", allow);
}

void bode_api_handle(const struct bode_api_ctx *ctx,
                     const struct bode_request *req, struct bode_response *resp)
{
    struct bode_api_params params;
    unsigned path_methods = 0;
    size_t i;

    for (i = 0; i < N_ROUTES; i++) {
        if (ctx->metrics_only && !on_metrics_listener(&routes[i]))
            continue;
        if (!match(routes[i].pattern, req->path, &params))
            continue;
        if (allows(routes[i].methods, req->method)) {
            routes[i].handler(ctx, req, &params, resp);
            return;
        }
        path_methods |= routes[i].methods;
    }
    if (path_methods)
        method_not_allowed(path_methods, resp);
    else
        bode_api_fail(resp, BODE_API_E_ROUTE_NOT_FOUND, NULL);
}

const char *bode_api_route_name(enum bode_method method, const char *path)
{
    struct bode_api_params params;
    size_t i;

    (void)method;
    for (i = 0; i < N_ROUTES; i++)
        if (match(routes[i].pattern, path, &params))
            return routes[i].pattern;
    return "unmatched";
}
