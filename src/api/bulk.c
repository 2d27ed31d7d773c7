/* POST /v2/notifications/bulk (GC Notify's bulk send) and Bode's job
 * progress and cancel routes. The whole job is validated before anything
 * is written; then the job record, its rows in chunks and its commit go to
 * Redis, and the workers' promoter queues it. Must not queue rows itself. */
#include <stdio.h>
#include <string.h>

#include "bode/alloc.h"
#include "bode/buf.h"
#include "bode/csv.h"
#include "bode/job.h"
#include "bode/log.h"
#include "bode/rand.h"
#include "bode/template.h"
#include "bulk_int.h"
#include "request.h"
#include "tmpl_cache.h"

/* Rows written per job_rows.lua call: a few milliseconds of Redis each. */
#define CHUNK_ROWS 500
/* Records of a job live as long as single sends' (notification.c). */
#define OPEN_SLACK_S (4 * 86400)

static void state_release(struct bulk_state *s)
{
    json_decref(s->root);
    if (s->tmpl)
        bode_tmpl_entry_unref(s->tmpl);
    bode_csv_release(&s->table);
    bode_free(s->cols);
}

/* The job in GC Notify's job_schema shape, plus Bode's progress fields
 * when counts is not NULL. */
static json_t *job_json(const struct bode_job *j, const char *service_name,
                        const long *counts, long expired)
{
    char stamp[BODE_TIME_SIZE];
    json_t *o = json_object();
    json_t *stats;
    int i;

#define TIME_OR_NULL(t)                                                        \
    ((t) ? (bode_time_format((t), stamp), json_string(stamp)) : json_null())

    if (!o)
        return NULL;
    json_object_set_new(o, "id", json_string(j->id));
    json_object_set_new(o, "api_key",
                        json_pack("{s:s, s:s, s:s}", "id", j->key_id, "name",
                                  j->key_name, "key_type",
                                  j->key_type == BODE_KEY_LIVE
                                      ? "normal"
                                      : bode_key_type_name(j->key_type)));
    json_object_set_new(o, "archived", json_false());
    json_object_set_new(o, "created_at", TIME_OR_NULL(j->created_at));
    json_object_set_new(o, "created_by", json_null());
    json_object_set_new(o, "job_status", json_string(j->status));
    json_object_set_new(o, "notification_count",
                        json_integer(j->notification_count));
    json_object_set_new(o, "original_file_name", json_string(j->name));
    json_object_set_new(o, "processing_finished",
                        TIME_OR_NULL(j->processing_finished));
    json_object_set_new(o, "processing_started",
                        TIME_OR_NULL(j->processing_started));
    json_object_set_new(o, "scheduled_for", TIME_OR_NULL(j->scheduled_for));
    json_object_set_new(o, "sender_id",
                        j->sender_id[0] ? json_string(j->sender_id)
                                        : json_null());
    json_object_set_new(o, "service", json_string(j->service_id));
    json_object_set_new(o, "service_name",
                        json_pack("{s:s}", "name", service_name));
    json_object_set_new(o, "template", json_string(j->template_id));
    json_object_set_new(o, "template_version",
                        json_integer(j->template_version));
    json_object_set_new(o, "updated_at", TIME_OR_NULL(j->updated_at));
#undef TIME_OR_NULL
    if (!counts)
        return o;
    json_object_set_new(o, "rows_inserted", json_integer(j->rows_inserted));
    json_object_set_new(o, "rows_queued", json_integer(j->rows_queued));
    stats = json_array();
    for (i = 0; stats && i < BODE_STATUS__COUNT; i++)
        if (counts[i])
            json_array_append_new(
                stats, json_pack("{s:s, s:i}", "status",
                                 bode_status_name((enum bode_status)i), "count",
                                 (json_int_t)counts[i]));
    if (stats && expired)
        json_array_append_new(stats,
                              json_pack("{s:s, s:i}", "status", "expired",
                                        "count", (json_int_t)expired));
    json_object_set_new(o, "statistics", stats ? stats : json_array());
    return o;
}

/* The fields every row of the job shares, as one JSON object of strings
 * (job_rows.lua). */
static json_t *common_fields(const struct bulk_state *s)
{
    char num[32];
    json_t *o;

    snprintf(num, sizeof(num), "%lld", (long long)s->now);
    o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
                  "service_id", s->caller.service.id, "key_type",
                  bode_key_type_name(s->caller.key_type), "key_id",
                  s->caller.key_id, "type",
                  bode_channel_name(s->tmpl->rec.type), "lane",
                  bode_lane_name(BODE_LANE_BULK), "status", "created",
                  "template_id", s->tmpl->rec.id, "from", s->from, "job_id",
                  s->job_id, "created_at", num, "updated_at", num);
    if (!o)
        return NULL;
    snprintf(num, sizeof(num), "%d", s->tmpl->rec.version);
    json_object_set_new(o, "template_version", json_string(num));
    snprintf(num, sizeof(num), "%d", s->caller.service.retention_days);
    json_object_set_new(o, "retention_days", json_string(num));
    if (s->reference)
        json_object_set_new(o, "reference", json_string(s->reference));
    if (s->tmpl->rec.type == BODE_CHANNEL_EMAIL && s->sender.text[0])
        json_object_set_new(o, "reply_to", json_string(s->sender.text));
    if (s->sender.id[0])
        json_object_set_new(o, "sender_id", json_string(s->sender.id));
    return o;
}

/* Renders data row r into a record object of strings. */
static enum bode_err row_record(const struct bode_api_ctx *ctx,
                                const struct bulk_state *s, size_t r,
                                struct recipient *rc, json_t **out)
{
    struct bode_tmpl_opts opts;
    struct bode_tmpl_error terr;
    struct bode_sms_info info;
    struct bode_buf body;
    struct bode_buf subject;
    struct bode_buf sms;
    char id[BODE_UUID_SIZE];
    char num[32];
    json_t *pers = bode_bulk_row_personalisation(s, r);
    json_t *o = NULL;
    char *pers_text = NULL;
    bool sms_channel = s->tmpl->rec.type == BODE_CHANNEL_SMS;
    enum bode_err err = BODE_OK;

    *out = NULL;
    bode_buf_init(&body, BODE_TMPL_DEFAULT_CAP);
    bode_buf_init(&subject, 64 * 1024);
    bode_buf_init(&sms, 64 * 1024);
    memset(&info, 0, sizeof(info));
    bode_bulk_sms_opts(s, &opts);
    if (!pers || bode_rand_uuid(id) ||
        !bode_bulk_row_recipient(ctx, s, r, rc)) {
        err = pers ? BODE_ERR_INVALID : BODE_ERR_NOMEM;
        goto out;
    }
    err = bode_tmpl_render_body(s->tmpl->tmpl, pers, &body, &terr);
    if (!err && !sms_channel)
        err = bode_tmpl_render_subject(s->tmpl->tmpl, pers, &subject, &terr);
    if (!err && sms_channel)
        err = bode_tmpl_render_sms(s->tmpl->tmpl, pers, &opts, &sms, &info,
                                   &terr);
    pers_text = err ? NULL : json_dumps(pers, JSON_COMPACT);
    if (!err && !pers_text)
        err = BODE_ERR_NOMEM;
    if (err)
        goto out;
    snprintf(num, sizeof(num), "%zu", r);
    o = json_pack("{s:s, s:s, s:s, s:s%, s:s}", "id", id, "to", rc->to,
                  "personalisation", pers_text, "body", bode_buf_str(&body),
                  body.len, "job_row_number", num);
    if (o && !sms_channel)
        json_object_set_new(o, "subject",
                            json_stringn(bode_buf_str(&subject), subject.len));
    if (o && sms_channel) {
        snprintf(num, sizeof(num), "%u", (unsigned)info.fragments);
        json_object_set_new(o, "billable_units", json_string(num));
        json_object_set_new(o, "international",
                            json_string(rc->phone.international ? "1" : "0"));
        json_object_set_new(o, "country_prefix", json_string(rc->phone.prefix));
    }
    if (!o)
        err = BODE_ERR_NOMEM;
out:
    *out = o;
    json_decref(pers);
    bode_free(pers_text);
    bode_buf_release(&body);
    bode_buf_release(&subject);
    bode_buf_release(&sms);
    return err;
}

/* Writes every row in chunks of CHUNK_ROWS, each chunk atomic with the
 * job's rows_inserted, then commits the job. */
static enum bode_err insert_rows(const struct bode_api_ctx *ctx,
                                 struct bulk_state *s, struct bode_redis *r)
{
    long long ttl =
        (long long)s->caller.service.retention_days * 86400 + OPEN_SLACK_S +
        (s->scheduled_for ? (s->scheduled_for - s->now) / 1000000 : 0);
    struct recipient *rc = bode_malloc(sizeof(*rc));
    json_t *common = common_fields(s);
    char *common_text = common ? json_dumps(common, JSON_COMPACT) : NULL;
    json_t *chunk = NULL;
    json_t *rec;
    char *chunk_text = NULL;
    size_t first;
    size_t i;
    enum bode_err err = BODE_OK;

    if (!rc || !common_text)
        err = BODE_ERR_NOMEM;
    for (first = 0; !err && first < s->n_rows; first += CHUNK_ROWS) {
        chunk = json_array();
        for (i = first;
             chunk && !err && i < s->n_rows && i < first + CHUNK_ROWS; i++) {
            err = row_record(ctx, s, i, rc, &rec);
            if (!err && json_array_append_new(chunk, rec))
                err = BODE_ERR_NOMEM;
        }
        chunk_text = chunk && !err ? json_dumps(chunk, JSON_COMPACT) : NULL;
        if (!err && !chunk_text)
            err = BODE_ERR_NOMEM;
        if (!err)
            err = bode_store_job_add_rows(r, s->caller.service.id, s->job_id,
                                          first, common_text, chunk_text, ttl);
        json_decref(chunk);
        chunk = NULL;
        bode_free(chunk_text);
        chunk_text = NULL;
    }
    if (!err)
        err =
            bode_store_job_commit(r, s->caller.service.id, s->job_id,
                                  s->scheduled_for ? s->scheduled_for : s->now,
                                  s->scheduled_for != 0, bode_now_us());
    bode_free(rc);
    json_decref(common);
    bode_free(common_text);
    return err;
}

/* The API key's name, for the job's api_key object. */
static void key_name(const struct bode_api_ctx *ctx, struct bode_redis *r,
                     const struct bode_caller *caller, char *out, size_t size)
{
    struct bode_api_key *keys = bode_calloc(BODE_STORE_MAX_KEYS, sizeof(*keys));
    size_t n = 0;
    size_t i;

    out[0] = '\0';
    if (keys && !bode_store_key_list(r, ctx->box, caller->service.id, keys, &n))
        for (i = 0; i < n; i++)
            if (strcmp(keys[i].id, caller->key_id) == 0)
                snprintf(out, size, "%s", keys[i].name);
    bode_free(keys);
}

static int daily_limit(const struct bulk_state *s)
{
    const struct bode_service *svc = &s->caller.service;
    int limit;

    /* Test keys, and (as GC Notify) jobs only to smoke-test numbers, are
     * not counted. */
    if (s->caller.key_type == BODE_KEY_TEST ||
        (s->n_rows > 0 && s->simulated == s->n_rows))
        return 0;
    limit = s->tmpl->rec.type == BODE_CHANNEL_EMAIL ? svc->email_limit
                                                    : svc->sms_limit;
    if (svc->restricted && (limit == 0 || limit > 50))
        limit = 50;
    return limit;
}

static void fail_daily(struct bode_response *resp, long remaining, size_t n)
{
    char text[200];

    snprintf(text, sizeof(text),
             "You only have %ld remaining messages before you reach your "
             "daily limit. You've tried to send %zu messages.",
             remaining < 0 ? 0 : remaining, n);
    bode_api_fail(resp, BODE_API_E_BAD_REQUEST, text);
}

/* Template, permission and the first daily-limit check, in GC Notify's
 * order around the CSV checks. False with resp filled. */
static bool check_template(const struct bode_api_ctx *ctx, struct bulk_state *s,
                           struct bode_response *resp)
{
    static const char *const nouns[] = {"emails", "text messages"};
    struct bode_redis *r = bode_api_redis(ctx);
    char text[160];
    unsigned need;
    enum bode_err err;

    err = r ? bode_tmpl_cache_get(ctx->tmpls, r, s->caller.service.id,
                                  s->template_id, 0, &s->tmpl)
            : BODE_ERR_NOMEM;
    if (err == BODE_ERR_NOT_FOUND || err == BODE_ERR_INVALID) {
        bode_api_fail(resp, BODE_API_E_BAD_REQUEST, "Template not found");
        return false;
    }
    if (err) {
        bode_api_fail_store(resp, err);
        return false;
    }
    if (s->tmpl->rec.archived) {
        bode_api_fail(resp, BODE_API_E_BAD_REQUEST,
                      "Template has been deleted");
        return false;
    }
    need = s->tmpl->rec.type == BODE_CHANNEL_EMAIL ? BODE_PERM_EMAIL
                                                   : BODE_PERM_SMS;
    if (!(s->caller.service.permissions & need)) {
        snprintf(text, sizeof(text), "Service is not allowed to send %s",
                 nouns[s->tmpl->rec.type]);
        bode_api_fail(resp, BODE_API_E_BAD_REQUEST, text);
        return false;
    }
    return true;
}

static bool check_counts(const struct bode_api_ctx *ctx, struct bulk_state *s,
                         struct bode_response *resp)
{
    struct bode_redis *r = bode_api_redis(ctx);
    int limit;
    char text[160];
    long used = 0;
    enum bode_err err;

    if (s->n_rows == 0) {
        bode_api_fail(resp, BODE_API_E_BAD_REQUEST,
                      "There are no rows to send: the first row holds the "
                      "column headers");
        return false;
    }
    bode_bulk_count_simulated(ctx, s);
    limit = daily_limit(s);
    if (limit > 0) {
        err = r ? bode_store_daily_used(r, s->caller.service.id,
                                        s->tmpl->rec.type, s->now, &used)
                : BODE_ERR_NOMEM;
        if (err) {
            bode_api_fail_store(resp, err);
            return false;
        }
        if ((long)s->n_rows > limit - used) {
            fail_daily(resp, limit - used, s->n_rows);
            return false;
        }
    }
    if (s->n_rows > BODE_JOB_MAX_ROWS) {
        snprintf(text, sizeof(text),
                 "Too many rows. Maximum number of rows allowed is %d",
                 BODE_JOB_MAX_ROWS);
        bode_api_fail(resp, BODE_API_E_BAD_REQUEST, text);
        return false;
    }
    return true;
}

/* Creates the job (taking the daily limit whole), writes its rows and
 * commits it; answers 201 with the job. */
/* GC Notify's reply_to_id is the email reply-to address or the SMS sender,
 * by the template's type: checked against the service's lists with
 * Notify's error texts, as email_reply_to_id and sms_sender_id are. */
static bool choose_sender(const struct bode_api_ctx *ctx, struct bulk_state *s,
                          struct bode_response *resp)
{
    struct bode_post p;
    bool sms = s->tmpl->rec.type == BODE_CHANNEL_SMS;

    memset(&p, 0, sizeof(p));
    p.channel = s->tmpl->rec.type;
    memcpy(sms ? p.sms_sender_id : p.reply_to_id, s->reply_to_id,
           sizeof(s->reply_to_id));
    return bode_api_choose_sender(ctx, &s->caller, &p, &s->sender, resp);
}

static void create_job(const struct bode_api_ctx *ctx,
                       const struct bode_request *req, struct bulk_state *s,
                       struct bode_response *resp)
{
    struct bode_redis *r = bode_api_redis(ctx);
    const struct bode_service *svc = &s->caller.service;
    struct bode_job_new j;
    struct bode_job job;
    enum bode_job_outcome outcome;
    long remaining;
    char text[200];
    enum bode_err err;

    memset(&job, 0, sizeof(job));
    if (!choose_sender(ctx, s, resp))
        return;
    if (!r || bode_rand_uuid(s->job_id)) {
        bode_api_fail(resp, BODE_API_E_INTERNAL, NULL);
        return;
    }
    key_name(ctx, r, &s->caller, s->key_name, sizeof(s->key_name));
    if (s->tmpl->rec.type == BODE_CHANNEL_EMAIL)
        snprintf(s->from, sizeof(s->from), "%s@%s", svc->email_from,
                 svc->email_domain);
    else
        snprintf(s->from, sizeof(s->from), "%.255s", s->sender.text);
    memset(&j, 0, sizeof(j));
    j.id = s->job_id;
    j.service_id = svc->id;
    j.name = s->name;
    j.template_id = s->tmpl->rec.id;
    j.template_version = s->tmpl->rec.version;
    j.channel = s->tmpl->rec.type;
    j.key_type = s->caller.key_type;
    j.key_id = s->caller.key_id;
    j.key_name = s->key_name;
    j.sender_id = s->reply_to_id[0] ? s->reply_to_id : NULL;
    j.rows = s->n_rows;
    j.international = s->international;
    j.created_at = s->now;
    j.scheduled_for = s->scheduled_for;
    j.retention_days = svc->retention_days;
    j.daily_limit = daily_limit(s);
    j.international_limit = svc->international_sms_limit;
    err = bode_store_job_create(r, &j, &outcome, &remaining);
    if (!err && outcome == BODE_JOB_DAILY_LIMITED) {
        fail_daily(resp, remaining, s->n_rows);
        return;
    }
    if (!err && outcome == BODE_JOB_INTERNATIONAL_LIMITED) {
        snprintf(text, sizeof(text),
                 "Exceeded send limits (international_sms: %d) for today",
                 j.international_limit);
        bode_api_fail(resp, BODE_API_E_DAILY_LIMIT, text);
        return;
    }
    if (!err)
        err = insert_rows(ctx, s, r);
    if (!err)
        err = bode_store_job_get(r, svc->id, s->job_id, &job);
    if (err) {
        /* The job stays uncommitted: none of its rows is ever sent, and
         * its record shows how far the insert got. */
        bode_log(BODE_LOG_ERROR, "bulk job not stored",
                 BODE_LOG_S("request_id", req->request_id),
                 BODE_LOG_S("job_id", s->job_id),
                 BODE_LOG_S("error", bode_err_str(err)));
        bode_api_fail_store(resp,
                            err == BODE_ERR_NOT_FOUND ? BODE_ERR_REDIS : err);
        return;
    }
    bode_log(BODE_LOG_INFO, "bulk job accepted",
             BODE_LOG_S("request_id", req->request_id),
             BODE_LOG_S("job_id", s->job_id),
             BODE_LOG_S("service_id", svc->id));
    bode_api_reply_json(
        resp, 201,
        json_pack("{s:o}", "data", job_json(&job, svc->name, NULL, 0)));
    bode_job_release(&job);
}

void bode_api_bulk_post(const struct bode_api_ctx *ctx,
                        const struct bode_request *req,
                        const struct bode_api_params *params,
                        struct bode_response *resp)
{
    struct bulk_state s;
    struct bode_req_errors errs;
    json_error_t jerr;

    (void)params;
    memset(&s, 0, sizeof(s));
    bode_csv_init(&s.table);
    errs.n = 0;
    s.now = bode_now_us();
    if (!bode_api_authenticate(ctx, req, &s.caller, resp))
        goto out;
    s.root = req->body_len ? json_loadb(req->body, req->body_len,
                                        JSON_REJECT_DUPLICATES, &jerr)
                           : json_object();
    if (!s.root) {
        bode_api_fail(resp, BODE_API_E_BAD_REQUEST,
                      "Invalid JSON supplied in POST data");
        goto out;
    }
    bode_bulk_check_schema(&s, &errs);
    if (errs.n) {
        bode_api_fail_many(resp, BODE_API_E_VALIDATION, errs.msg, errs.n);
        goto out;
    }
    if (!bode_bulk_read_table(&s, resp) || !check_template(ctx, &s, resp) ||
        !bode_bulk_check_headers(&s, resp) || !check_counts(ctx, &s, resp) ||
        !bode_bulk_check_rows(ctx, &s, resp))
        goto out;
    create_job(ctx, req, &s, resp);
out:
    state_release(&s);
}

/* Authenticates and reads the parameters of a job route. */
static bool job_route(const struct bode_api_ctx *ctx,
                      const struct bode_request *req,
                      const struct bode_api_params *params,
                      struct bode_caller *caller, char *jid,
                      struct bode_response *resp)
{
    if (!bode_api_authenticate(ctx, req, caller, resp))
        return false;
    if (bode_uuid_normalize(params->value[0], params->len[0], jid)) {
        bode_api_fail(resp, BODE_API_E_VALIDATION,
                      "job_id is not a valid UUID");
        return false;
    }
    if (!bode_api_redis(ctx)) {
        bode_api_fail(resp, BODE_API_E_INTERNAL, NULL);
        return false;
    }
    return true;
}

void bode_api_bulk_get(const struct bode_api_ctx *ctx,
                       const struct bode_request *req,
                       const struct bode_api_params *params,
                       struct bode_response *resp)
{
    struct bode_caller caller;
    struct bode_job job;
    char jid[BODE_UUID_SIZE];
    long counts[BODE_STATUS__COUNT];
    long expired = 0;
    struct bode_redis *r;
    enum bode_err err;

    memset(&job, 0, sizeof(job));
    if (!job_route(ctx, req, params, &caller, jid, resp))
        return;
    r = bode_api_redis(ctx);
    err = bode_store_job_get(r, caller.service.id, jid, &job);
    if (!err)
        err = bode_store_job_counts(r, caller.service.id, jid,
                                    job.rows_inserted, counts, &expired);
    if (err) {
        bode_api_fail_store(resp, err);
        bode_job_release(&job);
        return;
    }
    bode_api_reply_json(
        resp, 200,
        json_pack("{s:o}", "data",
                  job_json(&job, caller.service.name, counts, expired)));
    bode_job_release(&job);
}

void bode_api_bulk_cancel(const struct bode_api_ctx *ctx,
                          const struct bode_request *req,
                          const struct bode_api_params *params,
                          struct bode_response *resp)
{
    struct bode_caller caller;
    struct bode_job job;
    char jid[BODE_UUID_SIZE];
    char status[BODE_STATUS_SIZE];
    char text[200];
    struct bode_redis *r;
    enum bode_err err;

    memset(&job, 0, sizeof(job));
    if (!job_route(ctx, req, params, &caller, jid, resp))
        return;
    r = bode_api_redis(ctx);
    err =
        bode_store_job_cancel(r, caller.service.id, jid, bode_now_us(), status);
    if (err == BODE_ERR_CONFLICT) {
        snprintf(text, sizeof(text),
                 "Job cannot be cancelled: it is not waiting for its "
                 "scheduled time (job_status %s)",
                 status);
        bode_api_fail(resp, BODE_API_E_BAD_REQUEST, text);
        return;
    }
    if (!err)
        err = bode_store_job_get(r, caller.service.id, jid, &job);
    if (err) {
        bode_api_fail_store(resp, err);
        return;
    }
    bode_api_reply_json(
        resp, 200,
        json_pack("{s:o}", "data",
                  job_json(&job, caller.service.name, NULL, 0)));
    bode_job_release(&job);
}
