/* Authentication of API requests: Notify's JWT rules against the
 * service's keys, with a short-lived per-process cache of those keys.
 * Must answer only with Notify's texts and never log a token. */
#include <stdio.h>
#include <string.h>

#include "api_int.h"
#include "bode/alloc.h"
#include "bode/jwt.h"
#include "bode/log.h"
#include "bode/redis.h"
#include "bode/store.h"
#include "bode/ttlcache.h"

/* A service and its keys as read at one moment. Immutable once made and
 * shared by reference between the cache and requests in flight. */
struct auth_entry {
    struct bode_ttl_entry base; /* first: the cache's view */
    bool found;
    struct bode_service svc;
    size_t n_keys;
    struct bode_api_key keys[BODE_STORE_MAX_KEYS];
};

static void destroy_entry(struct bode_ttl_entry *base)
{
    /* Key secrets must not linger in freed memory. */
    memset(base, 0, sizeof(struct auth_entry));
    bode_free(base);
}

static void entry_unref(struct auth_entry *e)
{
    bode_ttl_entry_unref(e ? &e->base : NULL);
}

static struct auth_entry *cache_get(struct bode_ttlcache *c, const char *sid)
{
    /* base is the first member: the entry is an auth_entry. */
    return (struct auth_entry *)bode_ttlcache_get(c, sid);
}

static void cache_put(struct bode_ttlcache *c, struct auth_entry *e)
{
    if (e->found)
        bode_ttlcache_put(c, &e->base);
}

static enum bode_err load_entry(const struct bode_api_ctx *ctx,
                                struct bode_redis *r, const char *sid,
                                struct auth_entry **out)
{
    struct auth_entry *e = bode_calloc(1, sizeof(*e));
    enum bode_err err;

    if (!e)
        return BODE_ERR_NOMEM;
    bode_ttl_entry_init(&e->base, sid, destroy_entry);
    err = bode_store_service_get(r, ctx->box, sid, &e->svc);
    if (err == BODE_ERR_NOT_FOUND) {
        snprintf(e->svc.id, sizeof(e->svc.id), "%s", sid);
        *out = e;
        return BODE_OK;
    }
    if (!err)
        err = bode_store_key_list(r, ctx->box, sid, e->keys, &e->n_keys);
    if (err) {
        entry_unref(e);
        return err;
    }
    e->found = true;
    *out = e;
    return BODE_OK;
}

static void deny(struct bode_response *resp, enum bode_jwt_reason reason,
                 const char *request_id, const char *detail)
{
    bode_log(BODE_LOG_INFO, "authentication refused",
             BODE_LOG_S("request_id", request_id),
             BODE_LOG_S("reason", bode_jwt_reason_name(reason)),
             BODE_LOG_S("detail", detail));
    bode_api_fail_status(resp, bode_jwt_reason_status(reason), "AuthError",
                         bode_jwt_reason_message(reason));
}

/* Bode's optional replay guard: the token's signature is recorded until
 * the token leaves its clock window (iat + 30 s, plus a second for the
 * rounding of iat), so a second use inside the window is refused. Redis
 * failing fails closed (503): the guard is only worth having if it holds. */
static bool first_use(const struct bode_api_ctx *ctx,
                      const struct bode_jwt *jwt, int64_t now_us,
                      const char *request_id, struct bode_response *resp)
{
    struct bode_redis *r;
    long ttl_ms =
        (long)((jwt->iat + BODE_JWT_CLOCK_BOUND + 1) * 1000 - now_us / 1000);
    enum bode_err err;
    bool first = false;

    if (ttl_ms < 1000)
        ttl_ms = 1000;
    if (ttl_ms > (2 * BODE_JWT_CLOCK_BOUND + 1) * 1000)
        ttl_ms = (2 * BODE_JWT_CLOCK_BOUND + 1) * 1000;
    r = bode_redis_for_thread(ctx->cfg->redis_url, ctx->cfg->redis_timeout_ms);
    err = r ? bode_store_token_first_use(r, jwt->iss, jwt->sig, jwt->sig_len,
                                         ttl_ms, &first)
            : BODE_ERR_NOMEM;
    if (err) {
        bode_log(BODE_LOG_ERROR, "cannot check token reuse",
                 BODE_LOG_S("request_id", request_id),
                 BODE_LOG_S("error", bode_err_str(err)));
        bode_api_fail(resp,
                      err == BODE_ERR_REDIS ? BODE_API_E_UNAVAILABLE
                                            : BODE_API_E_INTERNAL,
                      NULL);
        return false;
    }
    if (!first)
        deny(resp, BODE_JWT_REPLAYED, request_id, "token seen before");
    return first;
}

/* Notify keeps trying keys revoked less than 7 days ago, so a token signed
 * with one is told "revoked" rather than "not found". */
#define REVOKED_VISIBLE_US (7LL * 86400 * 1000000)

/* Tokens this thread verified lately. The official clients sign a token
 * per request, but iat counts whole seconds, so a busy client sends the
 * same token for a second at a time: decoding it again (base64, two JSON
 * documents) and recomputing its HMAC was 9% of an accept. A token found
 * here skips only that: the key must still be one of the service's keys
 * as cached now (so revocation is seen as before), and the iat window,
 * the revocation and the replay guard are checked as for any token. */
#define RECENT_SLOTS 4
#define RECENT_TOKEN_MAX 512
#define RECENT_FOR_US 1000000

struct recent_token {
    char token[RECENT_TOKEN_MAX];
    size_t len;          /* 0: empty slot */
    struct bode_jwt jwt; /* its claims; signing_input is not kept */
    char key_id[BODE_UUID_SIZE];
    int64_t verified_at;
};

static _Thread_local struct recent_token recent[RECENT_SLOTS];
static _Thread_local unsigned recent_next;

/* The slot holding token, verified less than RECENT_FOR_US ago, or NULL.
 * Every slot is compared, in constant time. */
static const struct recent_token *recent_find(const char *token, size_t len,
                                              int64_t now)
{
    const struct recent_token *hit = NULL;
    size_t i;

    for (i = 0; i < RECENT_SLOTS; i++)
        if (bode_jwt_same_token(recent[i].token, recent[i].len, token, len) &&
            now - recent[i].verified_at < RECENT_FOR_US)
            hit = &recent[i];
    return hit;
}

static void recent_add(const char *token, size_t len,
                       const struct bode_jwt *jwt, const char *key_id,
                       int64_t now)
{
    struct recent_token *slot = &recent[recent_next++ % RECENT_SLOTS];

    if (len > sizeof(slot->token))
        return;
    memcpy(slot->token, token, len);
    slot->len = len;
    slot->jwt = *jwt;
    slot->jwt.signing_input = NULL;
    slot->jwt.signing_len = 0;
    snprintf(slot->key_id, sizeof(slot->key_id), "%s", key_id);
    slot->verified_at = now;
}

/* The key of e with id key_id, unless it was revoked too long ago to be
 * tried at all; NULL when there is none. */
static const struct bode_api_key *key_by_id(const struct auth_entry *e,
                                            const char *key_id, int64_t now)
{
    size_t i;

    for (i = 0; i < e->n_keys; i++) {
        const struct bode_api_key *k = &e->keys[i];

        if (strcmp(k->id, key_id) != 0)
            continue;
        if (k->revoked_at && now - k->revoked_at > REVOKED_VISIBLE_US)
            return NULL;
        return k;
    }
    return NULL;
}

bool bode_api_authenticate(const struct bode_api_ctx *ctx,
                           const struct bode_request *req,
                           struct bode_caller *caller,
                           struct bode_response *resp)
{
    struct bode_jwt_error jerr = {BODE_JWT_OK, ""};
    struct bode_jwt jwt;
    const struct recent_token *seen;
    struct auth_entry *e = NULL;
    struct bode_redis *r;
    const char *token = NULL;
    size_t token_len = 0;
    int64_t now = bode_now_us();
    enum bode_jwt_reason alg_error = BODE_JWT_OK;
    const struct bode_api_key *match = NULL;
    enum bode_err err;
    bool ok = false;
    bool from_cache;
    size_t i;

    memset(caller, 0, sizeof(*caller));
    if (bode_jwt_parse_bearer(req->header(req->ctx, "Authorization"), &token,
                              &token_len, &jerr)) {
        deny(resp, jerr.reason, req->request_id, jerr.detail);
        return false;
    }
    seen = recent_find(token, token_len, now);
    err = seen ? BODE_OK : bode_jwt_parse(token, token_len, &jwt, &jerr);
    if (seen)
        jwt = seen->jwt;
    if (err == BODE_ERR_NOMEM) {
        bode_api_fail(resp, BODE_API_E_INTERNAL, NULL);
        return false;
    }
    if (err && jerr.reason != BODE_JWT_ALG) {
        deny(resp, jerr.reason, req->request_id, jerr.detail);
        return false;
    }
    if (err)
        alg_error = BODE_JWT_ALG;
    e = cache_get(ctx->auth, jwt.iss);
    from_cache = e != NULL;
reload:
    if (!e) {
        r = bode_redis_for_thread(ctx->cfg->redis_url,
                                  ctx->cfg->redis_timeout_ms);
        err = r ? load_entry(ctx, r, jwt.iss, &e) : BODE_ERR_NOMEM;
        if (err) {
            bode_log(BODE_LOG_ERROR, "cannot load service keys",
                     BODE_LOG_S("request_id", req->request_id),
                     BODE_LOG_S("error", bode_err_str(err)));
            bode_api_fail(resp,
                          err == BODE_ERR_REDIS ? BODE_API_E_UNAVAILABLE
                                                : BODE_API_E_INTERNAL,
                          NULL);
            return false;
        }
        cache_put(ctx->auth, e);
    }
    if (!e->found) {
        deny(resp, BODE_JWT_SERVICE_NOT_FOUND, req->request_id, "");
        goto out;
    }
    if (e->n_keys == 0) {
        deny(resp, BODE_JWT_NO_KEYS, req->request_id, "");
        goto out;
    }
    if (!e->svc.active) {
        deny(resp, BODE_JWT_SERVICE_ARCHIVED, req->request_id, "");
        goto out;
    }
    if (alg_error) {
        deny(resp, alg_error, req->request_id, "");
        goto out;
    }
    if (seen)
        match = key_by_id(e, seen->key_id, now);
    for (i = 0; i < e->n_keys && !match && !seen; i++) {
        const struct bode_api_key *k = &e->keys[i];

        if (k->revoked_at && now - k->revoked_at > REVOKED_VISIBLE_US)
            continue;
        if (bode_jwt_verify(&jwt, k->secret, strlen(k->secret)))
            match = k;
    }
    if (!match && seen) {
        /* Its key is gone from the service: verify it from scratch. */
        seen = NULL;
        if (bode_jwt_parse(token, token_len, &jwt, &jerr)) {
            /* It parsed when it verified, so only memory can fail now. */
            bode_api_fail(resp, BODE_API_E_INTERNAL, NULL);
            goto out;
        }
        goto reload;
    }
    if (!match && from_cache) {
        /* A key made since the entry was cached must work at once; only
         * revocations may lag by the cache's lifetime. */
        entry_unref(e);
        e = NULL;
        from_cache = false;
        goto reload;
    }
    if (!match) {
        deny(resp, BODE_JWT_KEY_NOT_FOUND, req->request_id, "");
        goto out;
    }
    if (bode_jwt_check_iat(&jwt, now / 1000000, &jerr)) {
        deny(resp, jerr.reason, req->request_id, jerr.detail);
        goto out;
    }
    if (match->revoked_at) {
        deny(resp, BODE_JWT_KEY_REVOKED, req->request_id, "");
        goto out;
    }
    if (ctx->cfg->jwt_replay_guard &&
        !first_use(ctx, &jwt, now, req->request_id, resp))
        goto out;
    caller->service = e->svc;
    caller->key_type = match->type;
    snprintf(caller->key_id, sizeof(caller->key_id), "%s", match->id);
    if (!seen)
        recent_add(token, token_len, &jwt, match->id, now);
    ok = true;
out:
    entry_unref(e);
    return ok;
}
