/* Inbound SMS: POST /notifications/inbound/{provider} (the provider
 * verifies and parses its webhook; the text is stored with the service
 * that owns the number and its inbound callback queued) and
 * GET /v2/received-text-messages. Never logs numbers or content. */
#include <stdio.h>
#include <string.h>

#include "api_int.h"
#include "bode/alloc.h"
#include "bode/inbound.h"
#include "bode/log.h"
#include "bode/provider.h"
#include "bode/rand.h"

#define PAGE_SIZE 250

/* An empty TwiML document: Twilio wants XML back and sends no reply. */
static const char twiml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>";

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

static void reply_ok(struct bode_response *resp, bool xml, const char *id)
{
    char *body;
    json_t *o;

    if (!xml) {
        /* No id when no service has the number: nothing was stored. */
        o = json_pack("{s:s}", "result", "success");
        if (o && id[0])
            json_object_set_new(o, "id", json_string(id));
        bode_api_reply_json(resp, 200, o);
        return;
    }
    body = bode_strndup(twiml, sizeof(twiml) - 1);
    if (!body) {
        bode_api_fail(resp, BODE_API_E_INTERNAL, NULL);
        return;
    }
    resp->status = 200;
    resp->body = body;
    resp->body_len = sizeof(twiml) - 1;
    resp->content_type = "text/xml";
}

/* The sender as Notify keeps it: E.164 digits when it is a phone number,
 * else as sent (an alphanumeric sender), if it is short, printable ASCII
 * (Notify's try_validate_and_format_phone_number). */
static bool user_number(const char *from, char out[BODE_INBOUND_NUMBER_SIZE])
{
    size_t n = strlen(from);
    size_t i;

    if (bode_inbound_number_normalise(from, out))
        return true;
    if (n == 0 || n >= BODE_INBOUND_NUMBER_SIZE)
        return false;
    for (i = 0; i < n; i++)
        if (from[i] < 0x20 || from[i] > 0x7e)
            return false;
    memcpy(out, from, n + 1);
    return true;
}

/* Stores in (a verified webhook) for the service owning its number. */
static void store(const struct bode_api_ctx *ctx,
                  const struct bode_request *req, const char *provider,
                  const struct bode_inbound *in, struct bode_response *resp)
{
    struct bode_received_text t;
    struct bode_service svc;
    struct bode_redis *r = bode_api_redis(ctx);
    bool xml = strcmp(provider, "twilio") == 0;
    bool dup = false;
    json_t *utf8;
    enum bode_err err;

    memset(&t, 0, sizeof(t));
    memset(&svc, 0, sizeof(svc));
    utf8 = json_stringn(in->content, in->content_len);
    if (!utf8 || strlen(in->content) != in->content_len ||
        !user_number(in->from, t.user_number) ||
        !bode_inbound_number_normalise(in->to, t.notify_number)) {
        json_decref(utf8);
        bode_api_fail(resp, BODE_API_E_BAD_REQUEST,
                      "Inbound text not understood");
        return;
    }
    json_decref(utf8);
    err = r ? bode_store_inbound_number_owner(r, t.notify_number, t.service_id)
            : BODE_ERR_NOMEM;
    if (!err)
        err = bode_store_service_get(r, ctx->box, t.service_id, &svc);
    if (err == BODE_ERR_NOT_FOUND) {
        /* Retrying would not help: answered as received, and dropped. */
        bode_log(BODE_LOG_WARN, "inbound text for a number no service has",
                 BODE_LOG_S("request_id", req->request_id),
                 BODE_LOG_S("provider", provider));
        reply_ok(resp, xml, "");
        return;
    }
    if (err || bode_rand_uuid(t.id)) {
        bode_api_fail_store(resp, err ? err : BODE_ERR_IO);
        goto out;
    }
    snprintf(t.provider, sizeof(t.provider), "%s", provider);
    snprintf(t.reference, sizeof(t.reference), "%s", in->reference);
    t.created_at = bode_now_us();
    /* Borrowed for the write; t.content is not freed by release here. */
    t.content = (char *)(uintptr_t)in->content;
    err = bode_store_received_put(r, ctx->box, &t, svc.retention_days,
                                  svc.inbound_callback_url[0] != '\0', &dup);
    t.content = NULL;
    if (err) {
        bode_log(BODE_LOG_ERROR, "inbound text not stored",
                 BODE_LOG_S("request_id", req->request_id),
                 BODE_LOG_S("error", bode_err_str(err)));
        bode_api_fail_store(resp,
                            err == BODE_ERR_NOT_FOUND ? BODE_ERR_REDIS : err);
        goto out;
    }
    bode_log(BODE_LOG_INFO,
             dup ? "inbound text repeated by provider"
                 : "inbound text received",
             BODE_LOG_S("request_id", req->request_id),
             BODE_LOG_S("provider", provider),
             BODE_LOG_S("service_id", t.service_id),
             BODE_LOG_S("received_text_id", t.id));
    reply_ok(resp, xml, t.id);
out:
    memset(&svc, 0, sizeof(svc)); /* callback tokens */
}

void bode_api_inbound(const struct bode_api_ctx *ctx,
                      const struct bode_request *req,
                      const struct bode_api_params *params,
                      struct bode_response *resp)
{
    struct bode_receipt_request rr;
    struct bode_inbound *in = NULL;
    struct bode_provider *p = find(ctx, params->value[0], params->len[0]);
    const struct bode_provider_ops *ops = p ? bode_provider_ops(p) : NULL;
    char base[600];
    char url[9000];
    enum bode_err err;

    if (!ops || !ops->inbound) {
        bode_api_fail(resp, BODE_API_E_ROUTE_NOT_FOUND, NULL);
        return;
    }
    in = bode_malloc(sizeof(*in));
    if (!in) {
        bode_api_fail(resp, BODE_API_E_INTERNAL, NULL);
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
    err = ops->inbound(p, &rr, in);
    if (err == BODE_ERR_AUTH) {
        bode_log(BODE_LOG_WARN, "inbound text refused",
                 BODE_LOG_S("request_id", req->request_id),
                 BODE_LOG_S("provider", ops->name),
                 BODE_LOG_S("reason", "signature or secret"));
        bode_api_fail(resp, BODE_API_E_RECEIPT_AUTH, NULL);
    } else if (err == BODE_ERR_NOMEM) {
        bode_api_fail(resp, BODE_API_E_INTERNAL, NULL);
    } else if (err) {
        bode_api_fail(resp, BODE_API_E_BAD_REQUEST,
                      err == BODE_ERR_TOO_BIG ? "Inbound text too long"
                                              : "Inbound text not understood");
    } else {
        store(ctx, req, ops->name, in, resp);
    }
    explicit_bzero(in, sizeof(*in));
    bode_free(in);
}

static json_t *text_json(const struct bode_received_text *t)
{
    char created[BODE_TIME_SIZE];

    bode_time_format(t->created_at, created);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", t->id,
                     "created_at", created, "service_id", t->service_id,
                     "notify_number", t->notify_number, "user_number",
                     t->user_number, "content", t->content);
}

void bode_api_received_texts(const struct bode_api_ctx *ctx,
                             const struct bode_request *req,
                             const struct bode_api_params *params,
                             struct bode_response *resp)
{
    struct bode_caller caller;
    struct bode_received_text *list = NULL;
    const char *msgs[8];
    char text[8][200];
    char base[600];
    char current[700];
    char next[800];
    char id[BODE_UUID_SIZE];
    const char *keys[8];
    const char *older;
    struct bode_redis *r;
    json_t *arr = NULL;
    json_t *links;
    size_t nkeys;
    size_t nmsg = 0;
    size_t n = 0;
    size_t i;
    bool built = true;
    enum bode_err err;

    (void)params;
    if (!bode_api_authenticate(ctx, req, &caller, resp))
        return;
    nkeys = req->query_keys(req->ctx, keys, 8);
    for (i = 0; i < nkeys && i < 8; i++)
        if (strcmp(keys[i], "older_than") != 0) {
            snprintf(text[nmsg], sizeof(text[0]),
                     "Additional properties are not allowed (%.100s was "
                     "unexpected)",
                     keys[i]);
            msgs[nmsg] = text[nmsg];
            nmsg++;
        }
    older = req->query(req->ctx, "older_than");
    if (older && bode_uuid_normalize(older, strlen(older), id) && nmsg < 8) {
        snprintf(text[nmsg], sizeof(text[0]), "older_than is not a valid UUID");
        msgs[nmsg] = text[nmsg];
        nmsg++;
    }
    if (nmsg) {
        bode_api_fail_many(resp, BODE_API_E_VALIDATION, msgs, nmsg);
        return;
    }
    r = bode_api_redis(ctx);
    err = r ? bode_store_received_list(r, ctx->box, caller.service.id,
                                       older ? id : NULL, PAGE_SIZE, &list, &n)
            : BODE_ERR_NOMEM;
    if (err) {
        bode_api_fail_store(resp, err);
        return;
    }
    bode_api_base_url(ctx, req, base, sizeof(base));
    if (older)
        snprintf(current, sizeof(current),
                 "%s/v2/received-text-messages?older_than=%s", base, id);
    else
        snprintf(current, sizeof(current), "%s/v2/received-text-messages",
                 base);
    arr = json_array();
    for (i = 0; arr && i < n; i++)
        if (json_array_append_new(arr, text_json(&list[i])))
            built = false;
    links = json_pack("{s:s}", "current", current);
    /* Notify gives "next" whenever the page is not empty. */
    if (links && n) {
        snprintf(next, sizeof(next),
                 "%s/v2/received-text-messages?older_than=%s", base,
                 list[n - 1].id);
        json_object_set_new(links, "next", json_string(next));
    }
    for (i = 0; i < n; i++)
        bode_received_text_release(&list[i]);
    bode_free(list);
    if (!arr || !built || !links) {
        json_decref(arr);
        json_decref(links);
        bode_api_fail(resp, BODE_API_E_INTERNAL, NULL);
        return;
    }
    bode_api_reply_json(
        resp, 200,
        json_pack("{s:o, s:o}", "received_text_messages", arr, "links", links));
}
