/* Helpers every resource handler shares: Redis access, base URLs, store
 * errors. */
#include <stdio.h>
#include <string.h>

#include "api_int.h"
#include "bode/redis.h"

struct bode_redis *bode_api_redis(const struct bode_api_ctx *ctx)
{
    return bode_redis_for_thread(ctx->cfg->redis_url,
                                 ctx->cfg->redis_timeout_ms);
}

void bode_api_base_url(const struct bode_api_ctx *ctx,
                       const struct bode_request *req, char *out, size_t size)
{
    const char *host;
    size_t len;

    if (ctx->cfg->public_url[0]) {
        snprintf(out, size, "%s", ctx->cfg->public_url);
        return;
    }
    host = req->header ? req->header(req->ctx, "Host") : NULL;
    /* A Host header goes into every uri we send back: take only what a
     * host name and port can contain. */
    if (!host || !*host ||
        strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789.-:[]") != strlen(host))
        host = "localhost";
    snprintf(out, size, "http://%s", host);
    len = strlen(out);
    while (len && out[len - 1] == '/')
        out[--len] = '\0';
}

void bode_api_fail_store(struct bode_response *resp, enum bode_err err)
{
    if (err == BODE_ERR_NOT_FOUND)
        bode_api_fail(resp, BODE_API_E_NO_RESULT, NULL);
    else if (err == BODE_ERR_REDIS)
        bode_api_fail(resp, BODE_API_E_UNAVAILABLE, NULL);
    else
        bode_api_fail(resp, BODE_API_E_INTERNAL, NULL);
}
