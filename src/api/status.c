/* Health endpoints: Notify's /_status and the liveness and readiness
 * probes. Must never require authentication. */
#include <string.h>

#include "api_int.h"
#include "bode/redis.h"

#ifndef BODE_GIT_COMMIT
#define BODE_GIT_COMMIT "unknown"
#endif
#ifndef BODE_BUILD_TIME
#define BODE_BUILD_TIME "unknown"
#endif

static bool want_simple(const struct bode_request *req)
{
    return req->query && req->query(req->ctx, "simple") != NULL;
}

static enum bode_err redis_version(const struct bode_api_ctx *ctx, char *out,
                                   size_t size)
{
    struct bode_redis *r =
        bode_redis_for_thread(ctx->cfg->redis_url, ctx->cfg->redis_timeout_ms);

    if (!r)
        return BODE_ERR_NOMEM;
    return bode_redis_server_version(r, out, size);
}

void bode_api_status(const struct bode_api_ctx *ctx,
                     const struct bode_request *req,
                     const struct bode_api_params *params,
                     struct bode_response *resp)
{
    char version[64];
    char db[80];

    (void)params;
    if (want_simple(req)) {
        bode_api_reply_json(resp, 200, json_pack("{s:s}", "status", "ok"));
        return;
    }
    if (redis_version(ctx, version, sizeof(version))) {
        bode_api_reply_json(resp, 503,
                            json_pack("{s:s, s:s, s:s, s:s}", "status", "error",
                                      "message", "Redis unavailable",
                                      "git_commit", BODE_GIT_COMMIT,
                                      "build_time", BODE_BUILD_TIME));
        return;
    }
    snprintf(db, sizeof(db), "redis %s", version);
    bode_api_reply_json(resp, 200,
                        json_pack("{s:s, s:s, s:s, s:s, s:n}", "status", "ok",
                                  "git_commit", BODE_GIT_COMMIT, "build_time",
                                  BODE_BUILD_TIME, "db_version", db,
                                  "db_bulk_version"));
}

void bode_api_status_live(const struct bode_api_ctx *ctx,
                          const struct bode_request *req,
                          const struct bode_api_params *params,
                          struct bode_response *resp)
{
    (void)ctx;
    (void)req;
    (void)params;
    bode_api_reply_json(resp, 200, json_pack("{s:s}", "status", "ok"));
}

void bode_api_status_ready(const struct bode_api_ctx *ctx,
                           const struct bode_request *req,
                           const struct bode_api_params *params,
                           struct bode_response *resp)
{
    struct bode_redis *r =
        bode_redis_for_thread(ctx->cfg->redis_url, ctx->cfg->redis_timeout_ms);

    (void)req;
    (void)params;
    if (!r || bode_redis_ping(r)) {
        bode_api_reply_json(resp, 503,
                            json_pack("{s:s, s:s}", "status", "error",
                                      "message", "Redis unavailable"));
        return;
    }
    bode_api_reply_json(resp, 200, json_pack("{s:s}", "status", "ok"));
}
