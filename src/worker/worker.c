/* The delivery loop. Must reach Redis only through store/ and queue/, and
 * providers only through the provider interface; decides retry timing and
 * failover, nothing about message content. */
#include "bode/worker.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "bode/alloc.h"
#include "bode/log.h"
#include "bode/ops.h"
#include "bode/rand.h"
#include "bode/redis.h"
#include "bode/validate.h"
#include "callbacks.h"
#include "worker_int.h"
#include "worker_metrics.h"

#define RESPONSE_CAP (64 * 1024)
#define STREAMS_EVERY_US (5LL * 1000000)
#define PROMOTE_EVERY_US (1LL * 1000000)
#define SERVICE_TTL_US (5LL * 1000000)
#define RETRY_CAP_PRIORITY_S 300
#define RETRY_CAP_S 3600
#define BREAKER_FAILURES 5
#define BREAKER_COOLDOWN_US (30LL * 1000000)
#define TIMEOUT_EVERY_US (60LL * 1000000)
#define READ_ROUNDS 8
#define IDLE_POLL_MS 5
#define IDLE_BLOCK_MS 50
/* Outcomes written per round trip: more saves little, and every one held
 * is 900 bytes resident (a whole round at 500 in flight was 440 KB). */
#define MAX_PENDING 128
/* Notify's SENDING_NOTIFICATIONS_TIMEOUT_PERIOD. */
#define SENDING_TIMEOUT_US (72LL * 3600 * 1000000)

struct bode_worker {
    const struct bode_config *cfg;
    const struct bode_secretbox *box;
    char name[128];
    struct bode_redis *redis;
    CURLM *multi;
    struct provider_slot providers[BODE_CHANNEL__COUNT][MAX_PROVIDERS];
    size_t n_providers[BODE_CHANNEL__COUNT];
    struct service_slot services[SERVICE_SLOTS];
    struct template_slot templates[TEMPLATE_SLOTS];
    struct redact_slot redact[REDACT_SLOTS];
    char (*streams[BODE_LANE__COUNT])[BODE_QUEUE_KEY_SIZE];
    size_t n_streams[BODE_LANE__COUNT];
    size_t window[BODE_LANE__COUNT];           /* where the next read starts */
    char (*idle_streams)[BODE_QUEUE_KEY_SIZE]; /* every lane's, in order */
    size_t n_idle_streams;
    size_t idle_window;
    char (*service_ids)[BODE_UUID_SIZE];
    size_t n_services;
    int64_t streams_at;
    int64_t promoted_at;
    int64_t autoclaimed_at;
    int64_t timed_out_at;
    int64_t janitor_at;
    bool pending_done;
    bool draining;
    bool was_up;
    bool reported;
    struct job *jobs;
    size_t n_jobs;
    size_t in_flight;
    struct bode_queue_entry *batch;
    long *deliveries;
    struct bode_callbacks *callbacks;
    struct pending_transition *pending;
    size_t n_pending;
    struct bode_metrics *metrics;
};

static const char *setting(void *ctx, const char *name)
{
    return bode_config_get(ctx, name);
}

static enum bode_err make_providers(struct bode_worker *w, enum bode_channel ch,
                                    const char *list, char *why,
                                    size_t why_size)
{
    char names[128];
    char *save = NULL;
    char *name;
    const struct bode_provider_ops *ops;
    struct provider_slot *slot;
    enum bode_err err;

    snprintf(names, sizeof(names), "%s", list);
    for (name = strtok_r(names, ", ", &save); name;
         name = strtok_r(NULL, ", ", &save)) {
        ops = bode_provider_find(name);
        if (!ops || !(ops->channels & (1u << ch))) {
            snprintf(why, why_size, "unknown %s provider %s",
                     bode_channel_name(ch), name);
            return BODE_ERR_INVALID;
        }
        if (w->n_providers[ch] == MAX_PROVIDERS) {
            snprintf(why, why_size, "at most %d %s providers", MAX_PROVIDERS,
                     bode_channel_name(ch));
            return BODE_ERR_INVALID;
        }
        slot = &w->providers[ch][w->n_providers[ch]];
        err = ops->create(setting, (void *)(uintptr_t)w->cfg, &slot->p, why,
                          why_size);
        if (err)
            return err;
        bode_breaker_init(&slot->breaker, BREAKER_FAILURES,
                          BREAKER_COOLDOWN_US);
        w->n_providers[ch]++;
    }
    if (w->n_providers[ch] == 0) {
        snprintf(why, why_size, "no %s provider configured",
                 bode_channel_name(ch));
        return BODE_ERR_INVALID;
    }
    return BODE_OK;
}

struct bode_worker *bode_worker_new(const struct bode_config *cfg,
                                    const struct bode_secretbox *box,
                                    const char *name, char *why,
                                    size_t why_size)
{
    struct bode_worker *w = bode_calloc(1, sizeof(*w));
    size_t i;

    if (!w)
        goto nomem;
    w->cfg = cfg;
    w->box = box;
    snprintf(w->name, sizeof(w->name), "%s", name);
    w->n_jobs = (size_t)cfg->worker_concurrency;
    w->redis = bode_redis_new(cfg->redis_url, cfg->redis_timeout_ms);
    w->multi = curl_multi_init();
    w->jobs = bode_calloc(w->n_jobs, sizeof(*w->jobs));
    w->batch = bode_calloc(w->n_jobs, sizeof(*w->batch));
    w->deliveries = bode_calloc(w->n_jobs, sizeof(*w->deliveries));
    w->service_ids = bode_calloc(MAX_STREAMS, sizeof(*w->service_ids));
    for (i = 0; i < BODE_LANE__COUNT; i++)
        w->streams[i] = bode_calloc(MAX_STREAMS, sizeof(*w->streams[i]));
    w->idle_streams = bode_calloc(MAX_STREAMS, sizeof(*w->idle_streams));
    w->callbacks =
        w->redis ? bode_callbacks_new(cfg, box, w->redis, name) : NULL;
    w->pending = bode_calloc(MAX_PENDING, sizeof(*w->pending));
    if (!w->callbacks || !w->pending || !w->multi || !w->jobs || !w->batch ||
        !w->deliveries || !w->service_ids || !w->streams[0] || !w->streams[1] ||
        !w->streams[2] || !w->idle_streams)
        goto nomem;
    if (make_providers(w, BODE_CHANNEL_EMAIL, cfg->email_providers, why,
                       why_size) ||
        make_providers(w, BODE_CHANNEL_SMS, cfg->sms_providers, why,
                       why_size)) {
        bode_worker_free(w);
        return NULL;
    }
    return w;
nomem:
    snprintf(why, why_size, "out of memory");
    bode_worker_free(w);
    return NULL;
}

static void job_service_unref(struct job_service *js)
{
    if (js && --js->refs == 0)
        bode_free(js);
}

static void job_release(struct bode_worker *w, struct job *j)
{
    const struct bode_provider_ops *ops;

    if (!j->used)
        return;
    if (j->in_multi) {
        curl_multi_remove_handle(w->multi, j->d.easy);
        w->in_flight--;
    }
    if (j->provider >= 0) {
        ops = bode_provider_ops(w->providers[j->rec.channel][j->provider].p);
        ops->release(w->providers[j->rec.channel][j->provider].p, &j->d);
    }
    bode_buf_release(&j->d.response);
    bode_buf_release(&j->subject);
    bode_buf_release(&j->html);
    bode_buf_release(&j->text);
    bode_buf_release(&j->sms);
    if (j->att) {
        bode_attach_release(j->att);
        bode_free(j->att);
    }
    bode_notification_release(&j->rec);
    bode_free(j->from);
    bode_free(j->to_ascii);
    job_service_unref(j->svc);
    memset(j, 0, sizeof(*j));
}

void bode_worker_free(struct bode_worker *w)
{
    size_t i;
    int ch;

    if (!w)
        return;
    for (i = 0; w->jobs && i < w->n_jobs; i++)
        job_release(w, &w->jobs[i]);
    bode_callbacks_free(w->callbacks);
    bode_free(w->pending);
    for (ch = 0; ch < BODE_CHANNEL__COUNT; ch++)
        for (i = 0; i < w->n_providers[ch]; i++)
            bode_provider_ops(w->providers[ch][i].p)
                ->destroy(w->providers[ch][i].p);
    for (i = 0; i < TEMPLATE_SLOTS; i++)
        bode_tmpl_free(w->templates[i].tmpl);
    if (w->multi)
        curl_multi_cleanup(w->multi);
    for (i = 0; i < BODE_LANE__COUNT; i++)
        bode_free(w->streams[i]);
    bode_free(w->idle_streams);
    bode_free(w->service_ids);
    bode_free(w->jobs);
    bode_free(w->batch);
    bode_free(w->deliveries);
    bode_redis_free(w->redis);
    for (i = 0; i < SERVICE_SLOTS; i++)
        job_service_unref(w->services[i].snap);
    bode_free(w);
}

size_t bode_worker_in_flight(const struct bode_worker *w)
{
    return w->in_flight;
}

static void record_breakers(struct bode_worker *w)
{
    const char *v[2];
    size_t ch;
    size_t i;

    for (ch = 0; ch < BODE_CHANNEL__COUNT && w->metrics; ch++) {
        for (i = 0; i < w->n_providers[ch]; i++) {
            v[0] = bode_channel_name((enum bode_channel)ch);
            v[1] = bode_provider_ops(w->providers[ch][i].p)->name;
            bode_metrics_set(w->metrics, &bode_wm_breaker, v,
                             (double)w->providers[ch][i].breaker.state);
        }
    }
}

void bode_worker_set_metrics(struct bode_worker *w, struct bode_metrics *m)
{
    w->metrics = m;
    bode_callbacks_set_metrics(w->callbacks, m);
    record_breakers(w);
}

static const char *outcome_name(enum bode_outcome o)
{
    switch (o) {
    case BODE_OUTCOME_SENDING:
        return "sending";
    case BODE_OUTCOME_DELIVERED:
        return "delivered";
    case BODE_OUTCOME_SENT:
        return "sent";
    case BODE_OUTCOME_TEMPORARY:
        return "temporary";
    case BODE_OUTCOME_PERMANENT:
        return "permanent-failure";
    case BODE_OUTCOME_TECHNICAL:
        return "technical-failure";
    }
    return "unknown";
}

/* One provider answer: its outcome, how long it took, and for a hand-over
 * the time since accept. */
static void record_outcome(struct bode_worker *w, const struct job *j,
                           const char *provider, enum bode_outcome o,
                           int64_t now)
{
    const char *v[3];
    const char *lane = bode_lane_name(j->rec.lane);

    if (!w->metrics)
        return;
    v[0] = bode_channel_name(j->rec.channel);
    v[1] = provider;
    v[2] = outcome_name(o);
    bode_metrics_add(w->metrics, &bode_wm_outcomes, v, 1);
    bode_metrics_observe(w->metrics, &bode_wm_provider_duration, &provider,
                         (double)(now - j->sent_at) / 1e6);
    if (o == BODE_OUTCOME_SENDING || o == BODE_OUTCOME_DELIVERED ||
        o == BODE_OUTCOME_SENT)
        bode_metrics_observe(w->metrics, &bode_wm_handover, &lane,
                             (double)(now - j->rec.created_at) / 1e6);
}

/* ---- caches ---- */

static struct job_service *job_service_new(const struct bode_service *s)
{
    struct job_service *js = bode_calloc(1, sizeof(*js));

    if (!js)
        return NULL;
    js->refs = 1;
    memcpy(js->name, s->name, sizeof(js->name));
    memcpy(js->email_from, s->email_from, sizeof(js->email_from));
    memcpy(js->email_domain, s->email_domain, sizeof(js->email_domain));
    memcpy(js->sms_sender, s->sms_sender, sizeof(js->sms_sender));
    memcpy(js->brand_name, s->brand_name, sizeof(js->brand_name));
    memcpy(js->brand_logo, s->brand_logo, sizeof(js->brand_logo));
    memcpy(js->brand_colour, s->brand_colour, sizeof(js->brand_colour));
    js->retention_days = s->retention_days;
    js->active = s->active;
    js->prefix_sms = s->prefix_sms;
    js->file_attach = s->file_attach;
    js->has_callback = s->callback_url[0] != '\0';
    return js;
}

/* Service sid as read in the last SERVICE_TTL_US, with a reference for
 * the caller; NULL when it cannot be read. */
static struct job_service *get_service(struct bode_worker *w, const char *sid,
                                       int64_t now)
{
    struct bode_service svc;
    struct job_service *js;
    size_t h = 5381;
    const char *p;
    struct service_slot *s;

    for (p = sid; *p; p++)
        h = h * 33 + (unsigned char)*p;
    s = &w->services[h % SERVICE_SLOTS];
    if (!s->snap || strcmp(s->id, sid) != 0 ||
        now - s->fetched >= SERVICE_TTL_US) {
        if (bode_store_service_get(w->redis, w->box, sid, &svc))
            return NULL;
        js = job_service_new(&svc);
        if (!js)
            return NULL;
        job_service_unref(s->snap);
        s->snap = js;
        s->fetched = now;
        snprintf(s->id, sizeof(s->id), "%s", sid);
    }
    s->snap->refs++;
    return s->snap;
}

static const struct bode_tmpl *get_template(struct bode_worker *w,
                                            const struct bode_notification *n,
                                            int64_t now)
{
    struct bode_template_rec rec;
    struct bode_tmpl_source src;
    struct bode_tmpl_error terr;
    struct template_slot *oldest = &w->templates[0];
    char key[120];
    size_t i;

    snprintf(key, sizeof(key), "%s:%s:%d", n->service_id, n->template_id,
             n->template_version);
    for (i = 0; i < TEMPLATE_SLOTS; i++) {
        /* A version never changes, so a compiled one is good forever. */
        if (w->templates[i].tmpl && strcmp(w->templates[i].key, key) == 0) {
            w->templates[i].used_at = now;
            return w->templates[i].tmpl;
        }
        if (w->templates[i].used_at < oldest->used_at)
            oldest = &w->templates[i];
    }
    if (bode_store_template_get(w->redis, n->service_id, n->template_id,
                                n->template_version, &rec))
        return NULL;
    src.type = rec.type == BODE_CHANNEL_EMAIL ? BODE_TMPL_EMAIL : BODE_TMPL_SMS;
    src.subject = src.type == BODE_TMPL_EMAIL ? rec.subject : NULL;
    src.body = rec.body;
    bode_tmpl_free(oldest->tmpl);
    oldest->tmpl = NULL;
    if (bode_tmpl_compile(&src, &oldest->tmpl, &terr) == BODE_OK) {
        snprintf(oldest->key, sizeof(oldest->key), "%s", key);
        oldest->used_at = now;
    }
    bode_template_rec_release(&rec);
    return oldest->tmpl;
}

/* ---- outcomes ---- */

static void log_outcome(const struct job *j, const char *what,
                        const char *provider, const char *detail)
{
    bode_log(BODE_LOG_INFO, what, BODE_LOG_S("request_id", j->rec.request_id),
             BODE_LOG_S("notification_id", j->rec.id),
             BODE_LOG_S("service_id", j->rec.service_id),
             BODE_LOG_S("type", bode_channel_name(j->rec.channel)),
             BODE_LOG_S("provider", provider),
             BODE_LOG_I("attempt", j->rec.attempts),
             BODE_LOG_S("detail", detail));
}

/* Writes the outcomes gathered this round in one pipelined round trip. */
static void flush(struct bode_worker *w)
{
    struct bode_transition *t;
    enum bode_err err;
    size_t i;

    if (!w->n_pending)
        return;
    t = bode_calloc(w->n_pending, sizeof(*t));
    if (!t) {
        err = BODE_ERR_NOMEM;
        goto out;
    }
    for (i = 0; i < w->n_pending; i++)
        t[i] = w->pending[i].t;
    err = bode_queue_transition_many(w->redis, t, w->n_pending, NULL);
    bode_free(t);
out:
    /* Unrecorded outcomes are not lost: the leases run out and another
     * worker retries (at worst the message goes twice). */
    if (err)
        bode_log(BODE_LOG_ERROR, "outcomes not recorded",
                 BODE_LOG_I("count", (long long)w->n_pending),
                 BODE_LOG_S("error", bode_err_str(err)));
    w->n_pending = 0;
}

static void transition(struct bode_worker *w, struct job *j,
                       enum bode_status status, bool retry, int64_t retry_at,
                       const char *provider, const char *ref,
                       const char *detail)
{
    struct pending_transition *p;

    if (w->n_pending == MAX_PENDING)
        flush(w);
    p = &w->pending[w->n_pending++];
    memset(p, 0, sizeof(*p));
    memcpy(p->service_id, j->rec.service_id, sizeof(p->service_id));
    memcpy(p->notification_id, j->rec.id, sizeof(p->notification_id));
    snprintf(p->provider, sizeof(p->provider), "%s", provider ? provider : "");
    snprintf(p->ref, sizeof(p->ref), "%s", ref ? ref : "");
    snprintf(p->detail, sizeof(p->detail), "%s", detail ? detail : "");
    p->entry = j->entry;
    p->t.service_id = p->service_id;
    p->t.notification_id = p->notification_id;
    p->t.entry = j->entry.entry_id[0] ? &p->entry : NULL;
    p->t.worker = w->name;
    p->t.retry = retry;
    p->t.retry_at = retry_at;
    p->t.status = status;
    p->t.provider = provider ? p->provider : NULL;
    p->t.provider_ref = ref ? p->ref : NULL;
    /* No service (it could not be read): the default retention. */
    p->t.retention_days = j->svc ? j->svc->retention_days : 0;
    p->t.callback = j->svc && j->svc->has_callback;
    p->t.detail = p->detail;
    p->t.now = bode_now_us();
}

static void fail_job(struct bode_worker *w, struct job *j,
                     enum bode_status status, const char *why)
{
    log_outcome(j, "delivery failed", "", why);
    transition(w, j, status, false, 0, NULL, NULL, why);
}

static void retry_job(struct bode_worker *w, struct job *j, long retry_after,
                      const char *why)
{
    bool priority = j->rec.lane == BODE_LANE_PRIORITY;
    uint64_t random = 0;
    int64_t now = bode_now_us();
    int64_t delay;

    bode_rand_bytes(&random, sizeof(random));
    delay = bode_retry_delay_us(
        j->rec.attempts,
        priority ? w->cfg->retry_base_priority_s : w->cfg->retry_base_s,
        priority ? RETRY_CAP_PRIORITY_S : RETRY_CAP_S, retry_after, random);
    if (now + delay >
        j->rec.created_at + (int64_t)w->cfg->retry_window_s * 1000000) {
        fail_job(w, j, BODE_STATUS_TECHNICAL_FAILURE, "retry window exhausted");
        return;
    }
    log_outcome(j, "delivery will be retried", "", why);
    transition(w, j, BODE_STATUS_CREATED, true, now + delay, NULL, NULL, why);
}

static bool start_provider(struct bode_worker *w, struct job *j, int from);
static const char *prepare(struct bode_worker *w, struct job *j, int64_t now);

/* Once a provider holds its own copy of the message, the rendered one is
 * dropped: with hundreds of requests in flight it would be most of the
 * worker's memory. A failover renders it again. */
static void drop_rendered(struct job *j)
{
    bode_buf_release(&j->subject);
    bode_buf_release(&j->html);
    bode_buf_release(&j->text);
    bode_buf_release(&j->sms);
    j->rendered = false;
}

static void finish_job(struct bode_worker *w, struct job *j,
                       const struct bode_provider_result *res)
{
    struct provider_slot *slot = &w->providers[j->rec.channel][j->provider];
    const char *name = bode_provider_ops(slot->p)->name;
    int64_t now = bode_now_us();

    bode_breaker_record(&slot->breaker, res->outcome != BODE_OUTCOME_TEMPORARY,
                        now);
    record_outcome(w, j, name, res->outcome, now);
    switch (res->outcome) {
    case BODE_OUTCOME_SENDING:
    case BODE_OUTCOME_DELIVERED:
    case BODE_OUTCOME_SENT:
        log_outcome(j, "handed to provider", name, res->detail);
        transition(w, j,
                   res->outcome == BODE_OUTCOME_SENDING ? BODE_STATUS_SENDING
                   : res->outcome == BODE_OUTCOME_SENT  ? BODE_STATUS_SENT
                                                        : BODE_STATUS_DELIVERED,
                   false, 0, name,
                   res->reference[0] ? res->reference : j->rec.id, res->detail);
        if (worker_redact_wanted(w->redis, w->redact, &j->rec, now)) {
            flush(w); /* the hand-over is saved before the data goes */
            worker_redact(w->redis, &j->rec, get_template(w, &j->rec, now));
        }
        break;
    case BODE_OUTCOME_PERMANENT:
        log_outcome(j, "recipient refused", name, res->detail);
        transition(w, j, BODE_STATUS_PERMANENT_FAILURE, false, 0, name,
                   res->reference, res->detail);
        break;
    case BODE_OUTCOME_TECHNICAL:
        /* The provider refused our request or account: no retry helps, and
         * it is not the recipient's fault (Notify's technical-failure). */
        log_outcome(j, "provider refused", name, res->detail);
        transition(w, j, BODE_STATUS_TECHNICAL_FAILURE, false, 0, name, NULL,
                   res->detail);
        break;
    case BODE_OUTCOME_TEMPORARY:
        /* Another provider may take it now; an ambiguous timeout may have
         * been delivered, so it waits for a retry instead. */
        if (!res->ambiguous && !w->draining) {
            const struct bode_provider_ops *ops = bode_provider_ops(slot->p);

            ops->release(slot->p, &j->d);
            bode_buf_reset(&j->d.response);
            j->d.easy = NULL;
            j->d.data = NULL;
            if (!j->rendered && !prepare(w, j, now))
                j->rendered = true;
            if (j->rendered && start_provider(w, j, j->provider + 1))
                return;
        }
        retry_job(w, j, res->retry_after_s, res->detail);
        break;
    }
    job_release(w, j);
}

static size_t on_body(char *data, size_t size, size_t n, void *userp)
{
    struct job *j = userp;

    /* Past the cap the rest is dropped: a provider's reply is small. */
    (void)bode_buf_add(&j->d.response, data, size * n);
    return size * n;
}

/* Starts j on the first healthy provider from index from. Returns false
 * when none would take it (the job is still the caller's). */
static bool start_provider(struct bode_worker *w, struct job *j, int from)
{
    enum bode_channel ch = j->rec.channel;
    struct bode_provider_result done;
    struct bode_message m;
    int64_t now = bode_now_us();
    int i;

    memset(&m, 0, sizeof(m));
    m.id = j->rec.id;
    m.channel = ch;
    m.reference = j->rec.reference;
    if (ch == BODE_CHANNEL_EMAIL) {
        m.to = j->to_ascii;
        m.from_address = j->from;
        m.from_name = j->svc->name;
        m.subject = bode_buf_str(&j->subject);
        m.html = bode_buf_str(&j->html);
        m.text = bode_buf_str(&j->text);
        m.one_click_unsubscribe_url = j->rec.one_click_unsubscribe_url;
        m.attachments = j->att && j->att->n ? j->att->items : NULL;
        m.n_attachments = j->att ? j->att->n : 0;
        /* Chosen at accept (email_reply_to_id or the default then). */
        m.reply_to = j->rec.reply_to_text;
    } else {
        m.to = j->rec.to;
        m.sms_text = bode_buf_str(&j->sms);
        m.sms_sender = j->rec.reply_to_text && *j->rec.reply_to_text
                           ? j->rec.reply_to_text
                           : j->svc->sms_sender;
    }
    for (i = from; i < (int)w->n_providers[ch]; i++) {
        struct provider_slot *slot = &w->providers[ch][i];
        const struct bode_provider_ops *ops = bode_provider_ops(slot->p);
        enum bode_err err;

        if (!bode_breaker_allow(&slot->breaker, now))
            continue;
        memset(&done, 0, sizeof(done));
        j->provider = i;
        j->d.timeout_ms = w->cfg->provider_timeout_ms;
        j->sent_at = bode_now_us();
        err = ops->start(slot->p, &m, &j->d, &done);
        if (err) {
            bode_breaker_record(&slot->breaker, true, now);
            fail_job(w, j, BODE_STATUS_TECHNICAL_FAILURE,
                     err == BODE_ERR_NOMEM ? "out of memory"
                                           : "provider cannot send this");
            job_release(w, j);
            return true;
        }
        if (!j->d.easy) {
            finish_job(w, j, &done);
            return true;
        }
        curl_easy_setopt(j->d.easy, CURLOPT_PRIVATE, j);
        curl_easy_setopt(j->d.easy, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(j->d.easy, CURLOPT_WRITEDATA, j);
        curl_easy_setopt(j->d.easy, CURLOPT_TIMEOUT_MS,
                         (long)w->cfg->provider_timeout_ms);
        curl_easy_setopt(j->d.easy, CURLOPT_NOSIGNAL, 1L);
        if (curl_multi_add_handle(w->multi, j->d.easy) != CURLM_OK) {
            ops->release(slot->p, &j->d);
            j->d.easy = NULL;
            continue;
        }
        w->in_flight++;
        j->in_multi = true;
        drop_rendered(j);
        return true;
    }
    j->provider = -1;
    return false;
}

static bool smoke_test(const struct bode_notification *rec)
{
    if (!rec->to)
        return false;
    return rec->channel == BODE_CHANNEL_EMAIL
               ? bode_validate_is_smoke_test_email(rec->to)
               : bode_validate_is_smoke_test_phone(rec->to);
}

/* Notify's test keys and smoke-test recipients (a bulk job may carry
 * them): nothing reaches a provider; the status moves on as a provider's
 * receipt would move it, magic recipients included. */
static void simulate(struct bode_worker *w, struct job *j)
{
    enum bode_test_outcome o =
        j->rec.channel == BODE_CHANNEL_EMAIL
            ? bode_validate_test_outcome_email(j->rec.to)
            : bode_validate_test_outcome_phone(j->rec.to);
    enum bode_status final =
        o == BODE_TEST_TEMPORARY_FAILURE   ? BODE_STATUS_TEMPORARY_FAILURE
        : o == BODE_TEST_PERMANENT_FAILURE ? BODE_STATUS_PERMANENT_FAILURE
                                           : BODE_STATUS_DELIVERED;
    struct bode_queue_entry entry = j->entry;

    const char *why =
        j->rec.key_type == BODE_KEY_TEST ? "test key" : "smoke-test recipient";

    log_outcome(j,
                j->rec.key_type == BODE_KEY_TEST
                    ? "simulated for a test key"
                    : "simulated for a smoke-test recipient",
                "test", bode_status_name(final));
    /* The entry is acknowledged with the final step only. */
    j->entry.entry_id[0] = '\0';
    transition(w, j, BODE_STATUS_SENDING, false, 0, "test", NULL, why);
    j->entry = entry;
    transition(w, j, final, false, 0, "test", NULL, "simulated receipt");
}

static enum bode_err render(struct bode_worker *w, struct job *j,
                            const struct bode_tmpl *t, const json_t *pers)
{
    struct bode_tmpl_opts opts;
    struct bode_tmpl_brand brand;
    struct bode_tmpl_error terr;
    struct bode_email email;
    enum bode_err err;

    memset(&opts, 0, sizeof(opts));
    memset(&brand, 0, sizeof(brand));
    if (j->rec.channel == BODE_CHANNEL_SMS) {
        if (j->svc->prefix_sms)
            opts.sms_prefix = j->svc->name;
        return bode_tmpl_render_sms(t, pers, &opts, &j->sms, NULL, &terr);
    }
    opts.unsubscribe_url = j->rec.one_click_unsubscribe_url;
    brand.name = j->svc->brand_name[0] ? j->svc->brand_name : j->svc->name;
    brand.logo_url = j->svc->brand_logo[0] ? j->svc->brand_logo : NULL;
    brand.colour = j->svc->brand_colour[0] ? j->svc->brand_colour : NULL;
    err = bode_tmpl_render_subject(t, pers, &j->subject, &terr);
    if (!err)
        err = bode_tmpl_render_email_html(t, pers, &opts, &brand, &j->html,
                                          &terr);
    if (!err)
        err = bode_tmpl_render_text(t, pers, &opts, &j->text, &terr);
    if (!err && bode_validate_email(j->rec.to, strlen(j->rec.to), &email))
        err = BODE_ERR_INVALID;
    if (!err) {
        bode_free(j->to_ascii);
        j->to_ascii = bode_strdup(email.ascii);
        if (!j->to_ascii)
            err = BODE_ERR_NOMEM;
    }
    (void)w;
    return err;
}

/* "local@domain" in a new heap string; NULL when out of memory. */
static char *join_address(const char *local, const char *domain)
{
    size_t l = strlen(local);
    size_t d = strlen(domain);
    char *out = bode_malloc(l + d + 2);

    if (!out)
        return NULL;
    memcpy(out, local, l);
    out[l] = '@';
    memcpy(out + l + 1, domain, d + 1);
    return out;
}

/* Renders j's message from its template version and personalisation.
 * Returns NULL, or why it cannot be rendered. */
static const char *prepare(struct bode_worker *w, struct job *j, int64_t now)
{
    const struct bode_tmpl *t = get_template(w, &j->rec, now);
    json_t *pers = json_loads(
        j->rec.personalisation ? j->rec.personalisation : "{}", 0, NULL);
    const char *why = NULL;

    if (!t)
        why = "template version unavailable";
    else if (!pers)
        why = "personalisation unreadable";
    else if (render(w, j, t, pers))
        why = "cannot render";
    json_decref(pers);
    if (!why && j->rec.channel == BODE_CHANNEL_EMAIL) {
        bode_free(j->from);
        j->from = join_address(j->svc->email_from, j->svc->email_domain);
        if (!j->from)
            why = "out of memory";
    }
    return why;
}

static void deliver(struct bode_worker *w, struct job *j)
{
    int64_t now = bode_now_us();
    const char *why;

    j->svc = get_service(w, j->rec.service_id, now);
    if (!j->svc) {
        fail_job(w, j, BODE_STATUS_TECHNICAL_FAILURE, "service not found");
        goto done;
    }
    if (!j->svc->active) {
        fail_job(w, j, BODE_STATUS_TECHNICAL_FAILURE, "service inactive");
        goto done;
    }
    if (j->rec.key_type == BODE_KEY_TEST || smoke_test(&j->rec)) {
        simulate(w, j);
        goto done;
    }
    why = prepare(w, j, now);
    if (why) {
        fail_job(w, j, BODE_STATUS_TECHNICAL_FAILURE, why);
        goto done;
    }
    j->rendered = true;
    /* Attachment mode: the files travel in the message. */
    if (j->rec.channel == BODE_CHANNEL_EMAIL && j->svc->file_attach) {
        enum bode_err err = BODE_ERR_NOMEM;

        j->att = bode_calloc(1, sizeof(*j->att));
        if (j->att)
            err = bode_attach_load(w->redis, w->box, j->rec.service_id,
                                   j->rec.id, j->att);
        /* The list expires with the files: a notification that had some
         * must not go without them. */
        if (!err && (int)j->att->n < j->rec.attachments)
            err = BODE_ERR_NOT_FOUND;
        if (err == BODE_ERR_REDIS || err == BODE_ERR_NOMEM) {
            retry_job(w, j, 0, "attachments unavailable");
            goto done;
        }
        if (err) {
            fail_job(w, j, BODE_STATUS_TECHNICAL_FAILURE,
                     err == BODE_ERR_NOT_FOUND ? "attachment expired"
                                               : "attachment unreadable");
            goto done;
        }
    }
    if (start_provider(w, j, 0))
        return;
    retry_job(w, j, 0, "no provider available");
done:
    job_release(w, j);
}

/* True when this worker is delivering notification nid right now: an entry
 * it takes over from itself (a request slower than the visibility timeout)
 * must not start a second delivery. */
static bool in_progress(const struct bode_worker *w, const char *nid)
{
    size_t i;

    for (i = 0; i < w->n_jobs; i++)
        if (w->jobs[i].used && strcmp(w->jobs[i].rec.id, nid) == 0)
            return true;
    return false;
}

static struct job *free_job(struct bode_worker *w)
{
    size_t i;

    for (i = 0; i < w->n_jobs; i++)
        if (!w->jobs[i].used)
            return &w->jobs[i];
    return NULL;
}

/* Claims and starts one queue entry; deliveries is how often the stream
 * has handed it out (0 when unknown). */
/* Starts delivering a claimed notification; rec is moved into the job. */
static void start_claimed(struct bode_worker *w,
                          const struct bode_queue_entry *e, long deliveries,
                          struct bode_notification *rec)
{
    struct job *j = free_job(w);

    if (!j) {
        /* Cannot happen: callers take no more than there are free jobs. */
        bode_notification_release(rec);
        return;
    }
    j->used = true;
    j->provider = -1;
    j->entry = *e;
    j->rec = *rec;
    memset(rec, 0, sizeof(*rec));
    bode_buf_init(&j->d.response, RESPONSE_CAP);
    bode_buf_init(&j->subject, 64 * 1024);
    bode_buf_init(&j->html, BODE_TMPL_DEFAULT_CAP);
    bode_buf_init(&j->text, BODE_TMPL_DEFAULT_CAP);
    bode_buf_init(&j->sms, 64 * 1024);
    if (deliveries > w->cfg->max_deliveries) {
        bode_queue_dead(w->redis, e, "delivered too many times",
                        j->rec.retention_days, true, bode_now_us());
        log_outcome(j, "moved to dead letters", "", "too many deliveries");
        job_release(w, j);
        return;
    }
    deliver(w, j);
}

static size_t free_jobs(const struct bode_worker *w)
{
    size_t i;
    size_t n = 0;

    for (i = 0; i < w->n_jobs; i++)
        n += !w->jobs[i].used;
    return n;
}

/* Claims a batch of queue entries in one round trip and starts each one
 * claimed; deliveries (may be NULL) says how often the stream has handed
 * each out. Entries left over stay pending and are taken over later. */
static void take(struct bode_worker *w, struct bode_queue_entry *e, size_t n,
                 const long *deliveries)
{
    struct bode_claim *claims;
    size_t room_left = free_jobs(w);
    size_t keep = 0;
    size_t i;

    for (i = 0; i < n && keep < room_left; i++) {
        if (!e[i].service_id[0] || !e[i].notification_id[0]) {
            bode_queue_ack(w->redis, &e[i]);
            continue;
        }
        if (deliveries && deliveries[i] > 0 &&
            in_progress(w, e[i].notification_id))
            continue;
        e[keep] = e[i];
        if (deliveries)
            w->deliveries[keep] = deliveries[i];
        keep++;
    }
    if (keep == 0)
        return;
    claims = bode_calloc(keep, sizeof(*claims));
    if (!claims)
        return;
    if (bode_queue_claim_many(w->redis, e, keep, w->name, bode_now_us(),
                              (int64_t)w->cfg->visibility_ms * 1000,
                              claims) == BODE_OK) {
        for (i = 0; i < keep; i++) {
            if (claims[i].claimed)
                start_claimed(w, &e[i], deliveries ? w->deliveries[i] : 0,
                              &claims[i].rec);
            /* Past "created" (or gone): no work left. A live lease is
             * never acknowledged: the entry is the notification's only
             * way back to a worker, and a take-over can come before the
             * lease of a worker that died runs out (the lease starts at
             * the claim, a little after the read the idle time counts
             * from). The next take-over finds the lease gone. */
            else if (!claims[i].err && strcmp(claims[i].skip, "leased") != 0)
                bode_queue_ack(w->redis, &e[i]);
        }
    }
    for (i = 0; i < keep; i++)
        bode_notification_release(&claims[i].rec);
    bode_free(claims);
}

/* ---- the loop ---- */

static enum bode_err refresh_streams(struct bode_worker *w, int64_t now)
{
    enum bode_err err = BODE_OK;
    int lane;

    if (now - w->streams_at < STREAMS_EVERY_US)
        return BODE_OK;
    for (lane = 0; lane < BODE_LANE__COUNT && !err; lane++)
        err =
            bode_queue_streams(w->redis, (enum bode_lane)lane, w->streams[lane],
                               MAX_STREAMS, &w->n_streams[lane]);
    if (!err)
        err = bode_store_service_list(w->redis, w->service_ids, MAX_STREAMS,
                                      &w->n_services);
    if (w->n_services > MAX_STREAMS)
        w->n_services = MAX_STREAMS;
    w->n_idle_streams = 0;
    for (lane = 0; lane < BODE_LANE__COUNT; lane++) {
        size_t k = w->n_streams[lane];

        if (k > MAX_STREAMS)
            k = w->n_streams[lane] = MAX_STREAMS;
        if (k > MAX_STREAMS - w->n_idle_streams)
            k = MAX_STREAMS - w->n_idle_streams;
        memcpy(w->idle_streams + w->n_idle_streams, w->streams[lane],
               k * sizeof(*w->idle_streams));
        w->n_idle_streams += k;
    }
    if (!err)
        w->streams_at = now;
    return err;
}

/* With nothing in flight and nothing queued, waits in Redis for the next
 * entry on any lane (order does not matter without a backlog), so new
 * work starts at once instead of at the next poll. */
static enum bode_err read_idle(struct bode_worker *w, size_t *taken)
{
    size_t got = 0;
    long block_ms = w->cfg->redis_timeout_ms / 2;
    enum bode_err err;

    if (block_ms > IDLE_BLOCK_MS)
        block_ms = IDLE_BLOCK_MS;
    if (w->n_idle_streams == 0 || block_ms < 1 || free_jobs(w) == 0)
        return BODE_OK;
    err = bode_queue_read(w->redis, w->idle_streams, w->n_idle_streams, w->name,
                          1, block_ms, false, w->batch, free_jobs(w),
                          &w->idle_window, &got);
    if (!err)
        take(w, w->batch, got, NULL);
    *taken += got;
    return err;
}

static size_t room(const struct bode_worker *w)
{
    return w->draining || w->in_flight >= w->n_jobs ? 0
                                                    : w->n_jobs - w->in_flight;
}

/* Reads up to count entries per stream of one lane, never more in all
 * than there are free jobs (see bode_queue_read). */
static enum bode_err read_lane(struct bode_worker *w, enum bode_lane lane,
                               long count, bool pending, size_t *taken)
{
    size_t got = 0;
    size_t space = room(w) < free_jobs(w) ? room(w) : free_jobs(w);
    enum bode_err err;

    err = bode_queue_read(w->redis, w->streams[lane], w->n_streams[lane],
                          w->name, count, 0, pending, w->batch, space,
                          &w->window[lane], &got);
    if (!err)
        take(w, w->batch, got, NULL);
    *taken += got;
    return err;
}

/* One round of reads: priority first; bulk gets a quarter of normal's
 * share so it moves but never starves normal. */
static enum bode_err read_round(struct bode_worker *w, long batch,
                                size_t *taken)
{
    enum bode_err err;
    size_t before = *taken;

    err = read_lane(w, BODE_LANE_PRIORITY, batch, false, taken);
    if (!err && *taken - before < (size_t)batch)
        err = read_lane(w, BODE_LANE_NORMAL, batch, false, taken);
    if (!err)
        err = read_lane(w, BODE_LANE_BULK, batch / 4 > 0 ? batch / 4 : 1, false,
                        taken);
    return err;
}

static enum bode_err autoclaim(struct bode_worker *w, int64_t now)
{
    size_t got;
    size_t k;
    int lane;
    enum bode_err err = BODE_OK;

    /* Entries become takeable after a full visibility timeout idle (any
     * sooner and a live worker's slow request would be handed out again);
     * scanning every quarter of it takes them within 1.25 timeouts. */
    if (now - w->autoclaimed_at < (int64_t)w->cfg->visibility_ms * 250)
        return BODE_OK;
    w->autoclaimed_at = now;
    for (lane = 0; lane < BODE_LANE__COUNT && !err; lane++) {
        for (k = 0; k < w->n_streams[lane] && !err && room(w); k++) {
            err = bode_queue_autoclaim(w->redis, w->streams[lane][k], w->name,
                                       w->cfg->visibility_ms, (long)room(w),
                                       w->batch, w->deliveries, room(w), &got);
            if (!err)
                take(w, w->batch, got, w->deliveries);
        }
    }
    return err;
}

static enum bode_err promote(struct bode_worker *w, int64_t now)
{
    size_t moved;
    size_t i;
    enum bode_err err = BODE_OK;

    if (now - w->promoted_at < PROMOTE_EVERY_US)
        return BODE_OK;
    w->promoted_at = now;
    for (i = 0; i < w->n_services && !err; i++) {
        err = bode_queue_promote(w->redis, w->service_ids[i], now, 500, &moved);
        if (!err)
            err = bode_queue_promote_scheduled(w->redis, w->service_ids[i], now,
                                               1000, &moved);
    }
    return err;
}

/* Notifications a provider took but never answered for 72 hours become
 * temporary-failure, as in Notify. */
static enum bode_err timeouts(struct bode_worker *w, int64_t now)
{
    struct job_service *svc;
    const char *sid;
    size_t n;
    size_t i;
    enum bode_err err = BODE_OK;

    if (now - w->timed_out_at < TIMEOUT_EVERY_US)
        return BODE_OK;
    w->timed_out_at = now;
    for (i = 0; i < w->n_services && !err; i++) {
        sid = w->service_ids[i];
        svc = get_service(w, sid, now);
        if (!svc)
            continue;
        err =
            bode_queue_timeout(w->redis, sid, now - SENDING_TIMEOUT_US,
                               svc->retention_days, svc->has_callback, now, &n);
        job_service_unref(svc);
        if (!err && n)
            bode_log(BODE_LOG_WARN, "notifications timed out",
                     BODE_LOG_S("service_id", sid),
                     BODE_LOG_I("count", (long long)n));
    }
    return err;
}

static void collect(struct bode_worker *w)
{
    struct bode_provider_result res;
    struct job *j;
    CURLMsg *msg;
    int left;
    long status;

    while ((msg = curl_multi_info_read(w->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        j = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&j);
        if (!j)
            continue;
        status = 0;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
        curl_multi_remove_handle(w->multi, msg->easy_handle);
        w->in_flight--;
        j->in_multi = false;
        memset(&res, 0, sizeof(res));
        bode_provider_ops(w->providers[j->rec.channel][j->provider].p)
            ->finish(w->providers[j->rec.channel][j->provider].p, &j->d,
                     (int)msg->data.result, status, &res);
        /* finish_job releases the easy handle through the provider. */
        finish_job(w, j, &res);
    }
}

static void report_redis(struct bode_worker *w, enum bode_err err)
{
    /* Log transitions only, so a long outage is one line, not thousands. */
    if (err == BODE_ERR_REDIS && (w->was_up || !w->reported))
        bode_log(BODE_LOG_WARN, "redis unreachable",
                 BODE_LOG_S("reason", bode_redis_last_error(w->redis)));
    else if (!err && (!w->was_up || !w->reported))
        bode_log_msg(BODE_LOG_INFO, "redis connected");
    if (err == BODE_ERR_REDIS || !err) {
        w->was_up = !err;
        w->reported = true;
    }
}

enum bode_err bode_worker_step(struct bode_worker *w, int wait_ms)
{
    int64_t now = bode_now_us();
    size_t taken = 0;
    int running = 0;
    int round;
    bool idle;
    long batch = w->cfg->worker_batch;
    enum bode_err err;

    err = refresh_streams(w, now);
    if (!err)
        err = promote(w, now);
    if (!err && !w->pending_done && !w->draining) {
        /* After a restart, this worker's own unacknowledged entries come
         * first: they were claimed by the process that had its name. */
        int lane;

        for (lane = 0; lane < BODE_LANE__COUNT && !err; lane++)
            err = read_lane(w, (enum bode_lane)lane, batch, true, &taken);
        if (!err)
            w->pending_done = true;
    }
    if (!err)
        err = timeouts(w, now);
    if (!err)
        err = bode_queue_ops_janitor_tick(w->redis, now, &w->janitor_at);
    if (!err)
        err = autoclaim(w, now);
    /* Keep reading while the lanes hand out full rounds and jobs are
     * free, so a backlog fills the worker without waiting for replies. */
    for (round = 0; !err && round < READ_ROUNDS; round++) {
        size_t before = taken;

        err = read_round(w, batch, &taken);
        if (taken - before < (size_t)batch || room(w) == 0)
            break;
    }
    idle = !err && !taken && w->in_flight == 0 && !w->draining &&
           bode_callbacks_idle(w->callbacks);
    if (idle)
        err = read_idle(w, &taken);
    report_redis(w, err);
    curl_multi_perform(w->multi, &running);
    collect(w);
    /* With free jobs, look at the queue again soon: new work waits at
     * most IDLE_POLL_MS. Full, only a reply can make room. */
    if (!idle && (w->in_flight || !taken))
        curl_multi_poll(w->multi, NULL, 0,
                        room(w) == 0 || wait_ms < IDLE_POLL_MS ? wait_ms
                                                               : IDLE_POLL_MS,
                        NULL);
    curl_multi_perform(w->multi, &running);
    collect(w);
    flush(w);
    if (!err)
        bode_callbacks_step(w->callbacks, bode_now_us(), w->draining);
    record_breakers(w);
    return err;
}

size_t bode_worker_drain(struct bode_worker *w, int deadline_ms)
{
    int64_t end = bode_now_us() + (int64_t)deadline_ms * 1000;
    size_t handed = 0;
    size_t i;
    int running = 0;

    w->draining = true;
    while ((w->in_flight || bode_callbacks_in_flight(w->callbacks)) &&
           bode_now_us() < end) {
        curl_multi_perform(w->multi, &running);
        collect(w);
        flush(w);
        bode_callbacks_step(w->callbacks, bode_now_us(), true);
        curl_multi_poll(w->multi, NULL, 0, 50, NULL);
    }
    for (i = 0; i < w->n_jobs; i++) {
        struct job *j = &w->jobs[i];

        if (!j->used)
            continue;
        /* Hand it back for another worker: it may already have reached
         * the provider, so this is the one place a message can go twice. */
        transition(w, j, BODE_STATUS_CREATED, true, bode_now_us(), NULL, NULL,
                   "worker stopped");
        job_release(w, j);
        handed++;
    }
    flush(w);
    return handed;
}
