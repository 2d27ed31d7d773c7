/* Delivery-status callbacks: Notify's payload POSTed to the service's URL
 * with its bearer token, retried every 5 minutes up to 5 times on network
 * errors, 5xx and 429; only for the statuses the service asked for; kept
 * (parked) while its endpoint is paused after failing too often. Must
 * never hold up deliveries. */
#include "callbacks.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "bode/alloc.h"
#include "bode/buf.h"
#include "bode/inbound.h"
#include "bode/jwt.h"
#include "bode/log.h"
#include "bode/queue.h"
#include "bode/store.h"
#include "worker_metrics.h"

#define MAX_IN_FLIGHT 32
#define MAX_STREAMS 512
#define TIMEOUT_MS 5000L
#define MAX_ATTEMPTS 5
#define REFRESH_EVERY_US (5LL * 1000000)

struct call {
    bool used;
    CURL *easy;
    struct curl_slist *headers;
    char *body;
    struct bode_queue_entry entry;
    bool endpoint_unwell; /* failures counted or paused when read */
};

struct bode_callbacks {
    const struct bode_config *cfg;
    const struct bode_secretbox *box;
    struct bode_redis *r;
    char consumer[160];
    CURLM *multi;
    struct call calls[MAX_IN_FLIGHT];
    size_t in_flight;
    char (*streams)[BODE_QUEUE_KEY_SIZE];
    size_t n_streams;
    size_t window; /* where the next read starts (bode_queue_read) */
    char (*services)[BODE_UUID_SIZE];
    size_t n_services;
    int64_t refreshed;
    int64_t promoted;
    struct bode_metrics *metrics;
};

struct bode_callbacks *bode_callbacks_new(const struct bode_config *cfg,
                                          const struct bode_secretbox *box,
                                          struct bode_redis *r,
                                          const char *consumer)
{
    struct bode_callbacks *c = bode_calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    c->cfg = cfg;
    c->box = box;
    c->r = r;
    snprintf(c->consumer, sizeof(c->consumer), "%s", consumer);
    c->multi = curl_multi_init();
    c->streams = bode_calloc(MAX_STREAMS, sizeof(*c->streams));
    c->services = bode_calloc(MAX_STREAMS, sizeof(*c->services));
    if (!c->multi || !c->streams || !c->services) {
        bode_callbacks_free(c);
        return NULL;
    }
    return c;
}

static void call_release(struct bode_callbacks *c, struct call *k)
{
    if (k->easy) {
        curl_multi_remove_handle(c->multi, k->easy);
        curl_easy_cleanup(k->easy);
        c->in_flight--;
    }
    curl_slist_free_all(k->headers);
    bode_free(k->body);
    memset(k, 0, sizeof(*k));
}

void bode_callbacks_free(struct bode_callbacks *c)
{
    size_t i;

    if (!c)
        return;
    for (i = 0; i < MAX_IN_FLIGHT; i++)
        if (c->calls[i].used)
            call_release(c, &c->calls[i]);
    if (c->multi)
        curl_multi_cleanup(c->multi);
    bode_free(c->streams);
    bode_free(c->services);
    bode_free(c);
}

size_t bode_callbacks_in_flight(const struct bode_callbacks *c)
{
    return c->in_flight;
}

static json_t *stamp(int64_t t)
{
    char s[BODE_TIME_SIZE];

    if (!t)
        return json_null();
    bode_time_format(t, s);
    return json_string(s);
}

char *bode_callback_payload(const struct bode_notification *n,
                            const char *status)
{
    json_t *o;
    char *text;
    enum bode_status st = BODE_STATUS_CREATED;

    bode_status_parse(status, &st);
    o = json_pack("{s:s, s:s?, s:s, s:s, s:o, s:o, s:o, s:s, s:s, s:i}", "id",
                  n->id, "reference", n->reference, "to", n->to, "status",
                  status, "created_at", stamp(n->created_at), "completed_at",
                  stamp(bode_status_is_final(st) ? n->updated_at : 0),
                  "sent_at", stamp(n->sent_at), "notification_type",
                  bode_channel_name(n->channel), "template_id", n->template_id,
                  "template_version", n->template_version);
    if (!o)
        return NULL;
    text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

void bode_callbacks_set_metrics(struct bode_callbacks *c,
                                struct bode_metrics *m)
{
    if (c)
        c->metrics = m;
}

/* Keeps the callback for later without spending an attempt: its endpoint
 * is paused, and a probe or an operator resumes it. */
static void park(struct bode_callbacks *c, const struct bode_queue_entry *e)
{
    const char *result = "parked";

    bode_metrics_add(c->metrics, &bode_wm_callbacks, &result, 1);
    bode_queue_callback_retry(c->r, e, e->service_id, e->attempt,
                              BODE_QUEUE_CALLBACK_PARKED);
}

/* Counts the outcome towards the endpoint's health. True when the
 * endpoint is paused now, so a failed callback is parked, not spent. */
static bool record_health(struct bode_callbacks *c, struct call *k, bool ok,
                          int64_t now)
{
    long failures = 0;
    bool paused = false;

    if (ok && !k->endpoint_unwell)
        return false; /* nothing to clear: spare Redis a write */
    if (bode_queue_callback_health(c->r, k->entry.service_id,
                                   ok ? BODE_CALLBACK_OK : BODE_CALLBACK_FAILED,
                                   now, c->cfg->callback_pause_after, &failures,
                                   &paused) != BODE_OK)
        return false;
    if (ok && k->endpoint_unwell)
        bode_log(BODE_LOG_INFO, "callback endpoint healthy again",
                 BODE_LOG_S("service_id", k->entry.service_id));
    else if (!ok && paused && failures == c->cfg->callback_pause_after)
        bode_log(BODE_LOG_WARN, "callback endpoint paused",
                 BODE_LOG_S("service_id", k->entry.service_id),
                 BODE_LOG_I("failures", failures));
    return paused;
}

static void finish(struct bode_callbacks *c, struct call *k, bool retryable,
                   const char *detail)
{
    int64_t now = bode_now_us();
    bool ok = strcmp(detail, "ok") == 0;
    bool paused = record_health(c, k, ok, now);
    bool again = retryable && k->entry.attempt + 1 < MAX_ATTEMPTS;
    const char *result = ok ? "sent" : again ? "retry" : "failed";

    if (!ok && paused) {
        /* A paused endpoint drops nothing: the callback waits. */
        park(c, &k->entry);
        bode_log(BODE_LOG_WARN, "callback kept for a paused endpoint",
                 BODE_LOG_S("notification_id", k->entry.notification_id),
                 BODE_LOG_S("detail", detail));
        return;
    }
    bode_metrics_add(c->metrics, &bode_wm_callbacks, &result, 1);
    if (again) {
        bode_queue_callback_retry(
            c->r, &k->entry, k->entry.service_id, k->entry.attempt + 1,
            now + (int64_t)c->cfg->callback_retry_s * 1000000);
        bode_log(BODE_LOG_WARN, "callback will be retried",
                 BODE_LOG_S("notification_id", k->entry.notification_id),
                 BODE_LOG_I("attempt", k->entry.attempt + 1),
                 BODE_LOG_S("detail", detail));
    } else {
        bode_queue_ack(c->r, &k->entry);
        bode_log(retryable || strcmp(detail, "ok") != 0 ? BODE_LOG_WARN
                                                        : BODE_LOG_INFO,
                 strcmp(detail, "ok") == 0 ? "callback sent"
                                           : "callback given up",
                 BODE_LOG_S("notification_id", k->entry.notification_id),
                 BODE_LOG_S("status", k->entry.status),
                 BODE_LOG_S("detail", detail));
    }
}

/* Notify's inbound SMS callback body for received text id of service sid
 * (a new string in *out; NULL without memory). */
static enum bode_err inbound_payload(struct bode_callbacks *c, const char *sid,
                                     const char *id, char **out)
{
    struct bode_received_text t;
    char when[BODE_TIME_SIZE];
    json_t *o;
    enum bode_err err;

    *out = NULL;
    err = bode_store_received_get(c->r, c->box, sid, id, &t);
    if (err)
        return err;
    bode_time_format(t.created_at, when);
    o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", t.id, "source_number",
                  t.user_number, "destination_number", t.notify_number,
                  "message", t.content, "date_received", when);
    *out = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    bode_received_text_release(&t);
    return BODE_OK;
}

/* The service's delivery preferences: no preference means every final
 * status, as Notify. */
static bool wanted(const struct bode_service *svc, const char *status)
{
    enum bode_status st;

    if (bode_status_parse(status, &st))
        return false;
    if (!svc->callback_statuses)
        return bode_status_is_final(st);
    return (svc->callback_statuses & (1u << st)) != 0;
}

/* Builds the request for entry e into k (not yet on the multi handle).
 * False when the entry needs no call (it is acknowledged) or cannot be
 * made now (it is scheduled again). */
static bool prepare(struct bode_callbacks *c, struct call *k,
                    const struct bode_queue_entry *e)
{
    struct bode_service svc;
    struct bode_notification n;
    unsigned char mac[BODE_JWT_SIG_LEN];
    char header[600];
    char hex[2 * BODE_JWT_SIG_LEN + 1];
    bool inbound = strcmp(e->status, "inbound") == 0;
    const char *url = "";
    const char *token = "";
    bool ok = false;
    size_t i;
    enum bode_err err;

    memset(k, 0, sizeof(*k));
    k->entry = *e;
    /* The callback stream is the service's own: its key names it. */
    if (sscanf(e->stream, "bode:{s:%36[0-9a-f-]}", k->entry.service_id) != 1 ||
        bode_store_service_get(c->r, c->box, k->entry.service_id, &svc)) {
        bode_queue_ack(c->r, e);
        return false;
    }
    url = svc.callback_url;
    token = svc.callback_token;
    if (inbound) {
        url = svc.inbound_callback_url;
        token = svc.inbound_callback_token;
    }
    if (!url[0] || (!inbound && !wanted(&svc, e->status))) {
        bode_queue_ack(c->r, e);
        goto out;
    }
    if (svc.callback_paused_at && !e->probe) {
        park(c, &k->entry);
        goto out;
    }
    if (inbound) {
        err = inbound_payload(c, k->entry.service_id, e->notification_id,
                              &k->body);
    } else {
        err = bode_store_notification_get(c->r, k->entry.service_id,
                                          e->notification_id, &n);
        if (!err) {
            k->body = bode_callback_payload(&n, e->status);
            bode_notification_release(&n);
        }
    }
    if (err == BODE_ERR_NOT_FOUND || err == BODE_ERR_INVALID) {
        bode_queue_ack(c->r, e); /* gone with its retention */
        goto out;
    }
    if (err) {
        /* Our side failed (Redis, memory), not the endpoint: try again
         * later without counting it against the endpoint or the attempt. */
        bode_queue_callback_retry(
            c->r, e, k->entry.service_id, e->attempt,
            bode_now_us() + (int64_t)c->cfg->callback_retry_s * 1000000);
        goto out;
    }
    k->endpoint_unwell = svc.callback_paused_at || svc.callback_failures;
    k->easy = k->body ? curl_easy_init() : NULL;
    if (!k->easy) {
        finish(c, k, true, "out of memory");
        goto out;
    }
    snprintf(header, sizeof(header), "Authorization: Bearer %s", token);
    k->headers = curl_slist_append(NULL, "Content-Type: application/json");
    k->headers = curl_slist_append(k->headers, header);
    /* Bode's addition: an HMAC of the body with the service's token, so a
     * receiver can check nothing changed it on the way. */
    if (bode_jwt_hmac_sha256(token, strlen(token), k->body, strlen(k->body),
                             mac) == BODE_OK) {
        for (i = 0; i < sizeof(mac); i++)
            snprintf(hex + 2 * i, 3, "%02x", mac[i]);
        snprintf(header, sizeof(header), "X-Bode-Signature: sha256=%s", hex);
        k->headers = curl_slist_append(k->headers, header);
    }
    curl_easy_setopt(k->easy, CURLOPT_URL, url);
    curl_easy_setopt(k->easy, CURLOPT_POST, 1L);
    curl_easy_setopt(k->easy, CURLOPT_POSTFIELDS, k->body);
    curl_easy_setopt(k->easy, CURLOPT_HTTPHEADER, k->headers);
    curl_easy_setopt(k->easy, CURLOPT_TIMEOUT_MS, TIMEOUT_MS);
    curl_easy_setopt(k->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(k->easy, CURLOPT_PROTOCOLS_STR, "https");
    if (c->cfg->callback_ca_file[0])
        curl_easy_setopt(k->easy, CURLOPT_CAINFO, c->cfg->callback_ca_file);
    curl_easy_setopt(k->easy, CURLOPT_PRIVATE, k);
    ok = true;
out:
    /* The token must not linger on the stack. */
    memset(&svc, 0, sizeof(svc));
    memset(header, 0, sizeof(header));
    if (!ok) {
        if (k->easy)
            curl_easy_cleanup(k->easy);
        curl_slist_free_all(k->headers);
        bode_free(k->body);
        memset(k, 0, sizeof(*k));
    }
    return ok;
}

static void launch(struct bode_callbacks *c, const struct bode_queue_entry *e)
{
    struct call *k = NULL;
    size_t i;

    for (i = 0; i < MAX_IN_FLIGHT && !k; i++)
        if (!c->calls[i].used)
            k = &c->calls[i];
    if (!k || !prepare(c, k, e))
        return; /* with no room it stays pending and is taken over later */
    k->used = true;
    if (curl_multi_add_handle(c->multi, k->easy) != CURLM_OK) {
        curl_easy_cleanup(k->easy);
        k->easy = NULL;
        finish(c, k, true, "cannot start request");
        call_release(c, k);
        return;
    }
    c->in_flight++;
}

static void collect(struct bode_callbacks *c)
{
    char detail[64];
    struct call *k;
    CURLMsg *msg;
    long status;
    int left;

    while ((msg = curl_multi_info_read(c->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        k = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&k);
        if (!k)
            continue;
        status = 0;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
        if (msg->data.result != CURLE_OK) {
            snprintf(detail, sizeof(detail), "curl error %d",
                     (int)msg->data.result);
            finish(c, k, true, detail);
        } else if (status >= 200 && status < 300) {
            finish(c, k, false, "ok");
        } else {
            snprintf(detail, sizeof(detail), "HTTP %ld", status);
            /* Notify retries 5xx and 429 (alphagov#3289), not other 4xx. */
            finish(c, k, status >= 500 || status == 429, detail);
        }
        call_release(c, k);
    }
}

bool bode_callbacks_idle(const struct bode_callbacks *c)
{
    return c->in_flight == 0;
}

void bode_callbacks_step(struct bode_callbacks *c, int64_t now, bool draining)
{
    struct bode_queue_entry batch[MAX_IN_FLIGHT];
    size_t got = 0;
    size_t moved;
    size_t i;
    int running;

    if (!draining && now - c->refreshed > REFRESH_EVERY_US) {
        if (bode_queue_callback_streams(c->r, c->streams, MAX_STREAMS,
                                        &c->n_streams) == BODE_OK &&
            bode_store_service_list(c->r, c->services, MAX_STREAMS,
                                    &c->n_services) == BODE_OK)
            c->refreshed = now;
        if (c->n_services > MAX_STREAMS)
            c->n_services = MAX_STREAMS;
    }
    if (!draining && now - c->promoted > 1000000) {
        c->promoted = now;
        for (i = 0; i < c->n_services; i++)
            bode_queue_callback_promote(
                c->r, c->services[i], now, 100,
                (int64_t)c->cfg->callback_probe_s * 1000000, &moved);
    }
    if (!draining && c->in_flight < MAX_IN_FLIGHT && c->n_streams) {
        if (bode_queue_read(c->r, c->streams, c->n_streams, c->consumer,
                            (long)(MAX_IN_FLIGHT - c->in_flight), 0, false,
                            batch, MAX_IN_FLIGHT - c->in_flight, &c->window,
                            &got) == BODE_OK)
            for (i = 0; i < got; i++)
                launch(c, &batch[i]);
    }
    curl_multi_perform(c->multi, &running);
    collect(c);
}
