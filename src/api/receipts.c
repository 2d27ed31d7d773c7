/* Provider receipt webhooks: POST /notifications/receipts/{provider}.
 * The provider verifies and parses; this moves the notification's status
 * forward (never back) and lets the service's callback follow. */
#include <stdio.h>
#include <string.h>

#include "api_int.h"
#include "bode/log.h"
#include "bode/provider.h"
#include "bode/queue.h"

#define MAX_RECEIPTS 64

static struct bode_provider *find(const struct bode_api_ctx *ctx,
                                  const char *name, size_t len)
{
    size_t i;

    for (i = 0; i < ctx->n_providers; i++) {
        const char *have = bode_provider_ops(ctx->providers[i])->name;

        if (strlen(have) == len && memcmp(have, name, len) == 0)
            return ctx->providers[i];
    }
    return NULL;
}

static void apply(const struct bode_api_ctx *ctx, const char *provider,
                  const struct bode_receipt *rc, const char *request_id,
                  size_t *applied, size_t *unknown)
{
    struct bode_redis *r = bode_api_redis(ctx);
    struct bode_service svc;
    struct bode_transition t;
    char sid[BODE_UUID_SIZE];
    char nid[BODE_UUID_SIZE];
    /* Providers with no id of their own are matched by ours. */
    const char *ref = rc->reference[0] ? rc->reference : rc->notification_id;
    bool moved = false;

    if (!r || !ref[0] || bode_queue_find_ref(r, provider, ref, sid, nid) ||
        bode_store_service_get(r, ctx->box, sid, &svc)) {
        (*unknown)++;
        return;
    }
    memset(&t, 0, sizeof(t));
    t.service_id = sid;
    t.notification_id = nid;
    t.worker = "";
    t.status = rc->status;
    t.retention_days = svc.retention_days;
    /* Notify calls back on every provider update but "pending". */
    t.callback =
        svc.callback_url[0] != '\0' && rc->status != BODE_STATUS_PENDING;
    t.detail = rc->detail;
    t.now = bode_now_us();
    if (bode_queue_transition(r, &t, &moved) == BODE_OK && moved)
        (*applied)++;
    bode_log(BODE_LOG_INFO, "receipt", BODE_LOG_S("request_id", request_id),
             BODE_LOG_S("provider", provider),
             BODE_LOG_S("notification_id", nid),
             BODE_LOG_S("status", bode_status_name(rc->status)),
             BODE_LOG_S("applied", moved ? "yes" : "no (already further)"));
    memset(&svc, 0, sizeof(svc));
}

void bode_api_receipt(const struct bode_api_ctx *ctx,
                      const struct bode_request *req,
                      const struct bode_api_params *params,
                      struct bode_response *resp)
{
    struct bode_receipt receipts[MAX_RECEIPTS];
    struct bode_receipt_request rr;
    struct bode_provider *p = find(ctx, params->value[0], params->len[0]);
    const struct bode_provider_ops *ops;
    char base[600];
    char url[9000];
    size_t n = 0;
    size_t applied = 0;
    size_t unknown = 0;
    size_t i;
    enum bode_err err;

    ops = p ? bode_provider_ops(p) : NULL;
    if (!ops || !ops->receipt) {
        bode_api_fail(resp, BODE_API_E_ROUTE_NOT_FOUND, NULL);
        return;
    }
    bode_api_base_url(ctx, req, base, sizeof(base));
    snprintf(url, sizeof(url), "%s%s", base, req->raw_uri);
    memset(&rr, 0, sizeof(rr));
    rr.url = url;
    rr.body = req->body ? req->body : "";
    rr.body_len = req->body_len;
    rr.header = req->header;
    rr.ctx = req->ctx;
    err = ops->receipt(p, &rr, receipts, MAX_RECEIPTS, &n);
    if (err == BODE_ERR_AUTH) {
        bode_log(BODE_LOG_WARN, "receipt refused",
                 BODE_LOG_S("request_id", req->request_id),
                 BODE_LOG_S("provider", ops->name),
                 BODE_LOG_S("reason", "signature or secret"));
        bode_api_fail(resp, BODE_API_E_RECEIPT_AUTH, NULL);
        return;
    }
    if (err) {
        bode_api_fail(resp, BODE_API_E_BAD_REQUEST, "Receipt not understood");
        return;
    }
    for (i = 0; i < n; i++)
        apply(ctx, ops->name, &receipts[i], req->request_id, &applied,
              &unknown);
    /* Unknown references still get a 200: retrying would not help. */
    bode_api_reply_json(resp, 200,
                        json_pack("{s:s, s:i, s:i}", "result", "success",
                                  "applied", (int)applied, "unknown",
                                  (int)unknown));
}
