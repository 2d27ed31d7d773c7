/* POST /v2/notifications/{email,sms,letter}: Notify's checks in Notify's
 * order, then one atomic store-and-enqueue. A 201 is sent only after Redis
 * has the record and its queue entry. */
#include <stdio.h>
#include <string.h>

#include "api_int.h"
#include "bode/alloc.h"
#include "bode/buf.h"
#include "bode/hash.h"
#include "bode/jsonw.h"
#include "bode/log.h"
#include "bode/num.h"
#include "bode/rand.h"
#include "bode/template.h"
#include "files.h"
#include "request.h"
#include "sanitise.h"
#include "senders.h"
#include "tmpl_cache.h"

/* The 201 body holds the rendered body and subject, escaped: room for
 * both at their caps even if every byte needed a two-byte escape. */
#define RESPONSE_CAP (4 * BODE_TMPL_DEFAULT_CAP)

/* Everything one request builds, freed in one place. */
struct post_state {
    struct bode_caller caller;
    struct bode_post p;
    const struct bode_tmpl_entry *tmpl;
    json_t *clean_pers; /* sanitised copy, or NULL */
    json_t *sanitised;  /* report for the response */
    struct bode_buf body;
    struct bode_buf subject;
    struct bode_buf sms;
    char *pers_text;
    char *response;
    char id[BODE_UUID_SIZE];
    char base[600];
    char from[256];
    const char *to;
    struct bode_sms_info sms_info;
    struct bode_files files;          /* uploads replaced by download links */
    struct bode_chosen_sender sender; /* reply-to or SMS sender */
};

static void state_release(struct post_state *s)
{
    bode_post_release(&s->p);
    if (s->tmpl)
        bode_tmpl_entry_unref(s->tmpl);
    json_decref(s->clean_pers);
    json_decref(s->sanitised);
    bode_buf_release(&s->body);
    bode_buf_release(&s->subject);
    bode_buf_release(&s->sms);
    bode_free(s->pers_text);
    bode_free(s->response);
    bode_files_release(&s->files);
}

static const json_t *personalisation(const struct post_state *s)
{
    return s->clean_pers ? s->clean_pers : s->p.personalisation;
}

/* The service's channel permission, template existence, state and type:
 * Notify's 400 BadRequestError texts. Returns false with resp filled. */
static bool check_template(const struct bode_api_ctx *ctx, struct post_state *s,
                           struct bode_response *resp)
{
    static const char *const nouns[] = {"emails", "text messages"};
    enum bode_channel ch = s->p.channel;
    unsigned need = ch == BODE_CHANNEL_EMAIL ? BODE_PERM_EMAIL : BODE_PERM_SMS;
    char text[160];
    struct bode_redis *r = bode_api_redis(ctx);
    enum bode_err err;

    if (!(s->caller.service.permissions & need)) {
        snprintf(text, sizeof(text), "Service is not allowed to send %s",
                 nouns[ch]);
        bode_api_fail(resp, BODE_API_E_BAD_REQUEST, text);
        return false;
    }
    err = r ? bode_tmpl_cache_get(ctx->tmpls, r, s->caller.service.id,
                                  s->p.template_id, 0, &s->tmpl)
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
    if (s->tmpl->rec.type != ch) {
        snprintf(text, sizeof(text),
                 "%s template is not suitable for %s notification",
                 bode_channel_name(s->tmpl->rec.type), bode_channel_name(ch));
        bode_api_fail(resp, BODE_API_E_BAD_REQUEST, text);
        return false;
    }
    return true;
}

/* The service's phone permissions (international, UK landlines), checked
 * after the schema accepted the number as any valid number. */
static bool check_phone_permissions(const struct bode_api_ctx *ctx,
                                    struct post_state *s,
                                    struct bode_response *resp)
{
    struct bode_phone_opts opts;
    struct bode_phone phone;
    char text[200];
    unsigned perms = s->caller.service.permissions;

    opts.region = ctx->cfg->default_region;
    opts.allow_international = (perms & BODE_PERM_INTERNATIONAL_SMS) != 0;
    opts.allow_landline = (perms & BODE_PERM_SMS_TO_UK_LANDLINES) != 0;
    if (!bode_validate_phone(s->p.recipient, strlen(s->p.recipient), &opts,
                             &phone))
        return true;
    switch (phone.error_class) {
    case BODE_PHONE_CLASS_INVALID_PHONE:
        bode_api_fail(resp, BODE_API_E_INVALID_PHONE, phone.message);
        break;
    case BODE_PHONE_CLASS_BAD_REQUEST:
        bode_api_fail(resp, BODE_API_E_BAD_REQUEST, phone.message);
        break;
    default:
        snprintf(text, sizeof(text), "phone_number %s",
                 phone.message ? phone.message : "Not a valid phone number");
        bode_api_fail(resp, BODE_API_E_VALIDATION, text);
    }
    return false;
}

/* Renders what the response and the record carry, and applies Notify's
 * content checks (missing personalisation, empty, too long). */
static bool render(struct post_state *s, struct bode_response *resp)
{
    struct bode_tmpl_opts opts;
    struct bode_tmpl_error terr;
    const struct bode_tmpl *t = s->tmpl->tmpl;
    const json_t *pers = personalisation(s);
    enum bode_err err;

    memset(&opts, 0, sizeof(opts));
    if (s->p.channel == BODE_CHANNEL_SMS && s->caller.service.prefix_sms)
        opts.sms_prefix = s->caller.service.name;
    err = bode_tmpl_check_body(t, pers, &opts, &s->body, &terr);
    if (err == BODE_ERR_INVALID || err == BODE_ERR_TOO_BIG) {
        bode_api_fail(resp, BODE_API_E_BAD_REQUEST, terr.text);
        return false;
    }
    if (!err && s->p.channel == BODE_CHANNEL_EMAIL)
        err = bode_tmpl_render_subject(t, pers, &s->subject, &terr);
    if (!err && s->p.channel == BODE_CHANNEL_SMS)
        err =
            bode_tmpl_render_sms(t, pers, &opts, &s->sms, &s->sms_info, &terr);
    if (err) {
        bode_api_fail(resp,
                      err == BODE_ERR_TOO_BIG ? BODE_API_E_BAD_REQUEST
                                              : BODE_API_E_INTERNAL,
                      err == BODE_ERR_TOO_BIG ? terr.text : NULL);
        return false;
    }
    return true;
}

static bool is_smoke_test(const struct post_state *s)
{
    if (s->p.channel == BODE_CHANNEL_EMAIL)
        return bode_validate_is_smoke_test_email(s->p.email.address);
    return bode_validate_is_smoke_test_phone(s->p.phone.e164);
}

/* Team keys reach only the team and guest list; so do live keys of a
 * trial service. Test keys and smoke-test recipients reach anyone. */
static bool check_recipient_allowed(const struct bode_api_ctx *ctx,
                                    struct post_state *s,
                                    struct bode_response *resp)
{
    bool restricted =
        s->caller.key_type == BODE_KEY_TEAM ||
        (s->caller.key_type == BODE_KEY_LIVE && s->caller.service.restricted);
    struct bode_redis *r;
    bool member = false;
    enum bode_err err;

    if (!restricted || is_smoke_test(s))
        return true;
    r = bode_api_redis(ctx);
    err = r ? bode_store_team_has(r, s->caller.service.id, s->to, &member)
            : BODE_ERR_NOMEM;
    if (err) {
        bode_api_fail_store(resp, err);
        return false;
    }
    if (member)
        return true;
    bode_api_fail(resp, BODE_API_E_BAD_REQUEST,
                  s->caller.key_type == BODE_KEY_TEAM
                      ? "Can\u2019t send to this recipient using a team-only "
                        "API key"
                      : "Can\u2019t send to this recipient when service is in "
                        "trial mode \u2013 see "
                        "https://www.notifications.service.gov.uk/trial-mode");
    return false;
}

/* Appends "key":"value" (value null when NULL), preceded by a comma
 * unless first. */
static enum bode_err put_field(struct bode_buf *b, const char *key,
                               const char *value, bool first)
{
    enum bode_err err = first ? BODE_OK : bode_buf_addc(b, ',');

    if (!err)
        err = bode_json_str(b, key);
    if (!err)
        err = bode_buf_addc(b, ':');
    return err ? err : bode_json_str(b, value);
}

/* The 201 body, written straight into out: this runs on every accept,
 * and a jansson tree built only to be serialised cost more than the
 * writing. Keys in Notify's order. */
static enum bode_err response_text(const struct post_state *s,
                                   struct bode_buf *out)
{
    bool email = s->p.channel == BODE_CHANNEL_EMAIL;
    char *sanitised = NULL;
    char version[24];
    enum bode_err err;

    err = put_field(out, "id", s->id, true);
    if (!err)
        err = put_field(out, "reference", s->p.reference, false);
    if (!err)
        err = bode_buf_adds(out, ",\"content\":{");
    if (!err && email)
        err = put_field(out, "from_email", s->from, true);
    if (!err)
        err = put_field(out, "body", bode_buf_str(&s->body), !email);
    if (!err && email)
        err = put_field(out, "subject", bode_buf_str(&s->subject), false);
    if (!err && email)
        err = put_field(out, "one_click_unsubscribe_url",
                        s->p.one_click_unsubscribe_url, false);
    if (!err && !email)
        err = put_field(out, "from_number", s->from, false);
    if (!err)
        err = bode_buf_adds(out, "},\"uri\":\"");
    if (!err)
        err = bode_json_escape(out, s->base, strlen(s->base));
    bode_format_ll(s->tmpl->rec.version, version);
    if (!err)
        err = bode_buf_addv(out, "/v2/notifications/", s->id,
                            "\",\"template\":{", NULL);
    if (!err)
        err = put_field(out, "id", s->tmpl->rec.id, true);
    if (!err)
        err = bode_buf_addv(out, ",\"version\":", version, ",\"uri\":\"", NULL);
    if (!err)
        err = bode_json_escape(out, s->base, strlen(s->base));
    if (!err)
        err = bode_buf_addv(out, "/services/", s->caller.service.id,
                            "/templates/", s->tmpl->rec.id, "\"}", NULL);
    if (!err)
        err = put_field(out, "scheduled_for", s->p.scheduled_for_text, false);
    if (!err && email) {
        /* Only a request with sanitise_content_for has a report to show. */
        if (s->sanitised && json_object_size(s->sanitised)) {
            sanitised = json_dumps(s->sanitised, JSON_COMPACT);
            err = sanitised ? bode_buf_adds(out, ",\"sanitised_content\":")
                            : BODE_ERR_NOMEM;
            if (!err)
                err = bode_buf_adds(out, sanitised);
        } else {
            err = bode_buf_adds(out, ",\"sanitised_content\":{}");
        }
    }
    bode_free(sanitised);
    if (!err)
        err = bode_buf_addc(out, '}');
    return err;
}

/* The 201 body as a string of its own, or NULL when out of memory. */
static char *response_body(const struct post_state *s)
{
    struct bode_buf b;
    char *text;

    bode_buf_init(&b, RESPONSE_CAP);
    if (bode_buf_addc(&b, '{') || response_text(s, &b)) {
        bode_buf_release(&b);
        return NULL;
    }
    text = bode_buf_take(&b, NULL);
    bode_buf_release(&b);
    return text;
}

/* Daily limit for this send: 0 when not counted (test keys). Trial
 * services get Notify's 50 a day. */
static int daily_limit(const struct post_state *s)
{
    const struct bode_service *svc = &s->caller.service;
    int limit;

    if (s->caller.key_type == BODE_KEY_TEST)
        return 0;
    limit =
        s->p.channel == BODE_CHANNEL_EMAIL ? svc->email_limit : svc->sms_limit;
    if (svc->restricted && (limit == 0 || limit > 50))
        limit = 50;
    return limit;
}

static void rate_headers(struct bode_response *resp, int limit,
                         const struct bode_accept_result *res)
{
    char v[32];

    if (limit <= 0)
        return;
    v[bode_format_ll(limit, v)] = '\0';
    bode_response_add_header(resp, "RateLimit-Limit", v);
    v[bode_format_ll(res->tokens_left, v)] = '\0';
    bode_response_add_header(resp, "RateLimit-Remaining", v);
    v[bode_format_ll((res->ms_until_full + 999) / 1000, v)] = '\0';
    bode_response_add_header(resp, "RateLimit-Reset", v);
}

/* Idempotency-Key (a Bode extension): printable ASCII, 1 to 255 bytes. */
static bool idempotency_key(const struct bode_request *req,
                            const struct post_state *s, char *key_hash,
                            char *body_hash, struct bode_response *resp)
{
    const char *key = req->header(req->ctx, "Idempotency-Key");
    char scoped[600];
    size_t i;
    size_t n;

    key_hash[0] = body_hash[0] = '\0';
    if (!key)
        return true;
    n = strlen(key);
    for (i = 0; i < n && key[i] > 0x20 && key[i] < 0x7f; i++)
        ;
    if (n == 0 || n > 255 || i != n) {
        bode_api_fail(resp, BODE_API_E_VALIDATION,
                      "Idempotency-Key must be 1 to 255 printable ASCII "
                      "characters");
        return false;
    }
    /* Scoped by key type and channel, so the same key used for an email
     * and a text never collides. */
    snprintf(scoped, sizeof(scoped), "%s:%s:%s",
             bode_key_type_name(s->caller.key_type),
             bode_channel_name(s->p.channel), key);
    bode_sha256_hex(scoped, strlen(scoped), key_hash);
    bode_sha256_hex(req->body ? req->body : "", req->body_len, body_hash);
    return true;
}

static void store_and_reply(const struct bode_api_ctx *ctx,
                            const struct bode_request *req,
                            struct post_state *s, struct bode_response *resp)
{
    struct bode_accept a;
    struct bode_accept_result res;
    char key_hash[BODE_SHA256_HEX_SIZE];
    char body_hash[BODE_SHA256_HEX_SIZE];
    char text[200];
    char retry[24];
    const struct bode_service *svc = &s->caller.service;
    struct bode_redis *r = bode_api_redis(ctx);
    enum bode_err err;

    memset(&res, 0, sizeof(res));
    if (!idempotency_key(req, s, key_hash, body_hash, resp))
        return;
    s->response = response_body(s);
    s->pers_text = json_dumps(
        personalisation(s) ? personalisation(s) : json_object(), JSON_COMPACT);
    if (!s->response || !s->pers_text || !r) {
        bode_api_fail(resp, BODE_API_E_INTERNAL, NULL);
        return;
    }
    memset(&a, 0, sizeof(a));
    a.id = s->id;
    a.service_id = svc->id;
    a.key_type = s->caller.key_type;
    a.key_id = s->caller.key_id;
    a.channel = s->p.channel;
    a.lane = s->tmpl->rec.lane;
    a.template_id = s->tmpl->rec.id;
    a.template_version = s->tmpl->rec.version;
    a.to = s->to;
    a.personalisation = s->pers_text;
    a.reference = s->p.reference;
    a.subject =
        s->p.channel == BODE_CHANNEL_EMAIL ? bode_buf_str(&s->subject) : NULL;
    a.body = bode_buf_str(&s->body);
    a.from = s->from;
    a.one_click_unsubscribe_url = s->p.one_click_unsubscribe_url;
    a.request_id = req->request_id;
    a.billable_units =
        s->p.channel == BODE_CHANNEL_SMS ? (int)s->sms_info.fragments : 0;
    a.international =
        s->p.channel == BODE_CHANNEL_SMS && s->p.phone.international;
    a.country_prefix =
        s->p.channel == BODE_CHANNEL_SMS ? s->p.phone.prefix : NULL;
    a.created_at = bode_now_us();
    a.retention_days = svc->retention_days;
    a.rate_limit = svc->rate_limit;
    a.daily_limit = daily_limit(s);
    a.international_limit = svc->international_sms_limit;
    a.idempotency_key = key_hash[0] ? key_hash : NULL;
    a.idempotency_hash = key_hash[0] ? body_hash : NULL;
    a.response = s->response;
    if (!bode_files_store(ctx, svc, s->id, &s->files, resp))
        return;
    a.scheduled_for = s->p.scheduled_for;
    if (s->p.channel == BODE_CHANNEL_EMAIL && s->sender.text[0])
        a.reply_to = s->sender.text;
    a.sender_id = s->sender.id[0] ? s->sender.id : NULL;
    /* The worker must find exactly these, or fail the notification rather
     * than send it without them once they have expired. */
    a.attachments = s->files.attach ? (int)s->files.n : 0;
    err = bode_store_accept(r, &a, &res);
    if (err || res.outcome != BODE_ACCEPT_STORED)
        bode_files_discard(ctx, svc, &s->files);
    if (err) {
        bode_log(BODE_LOG_ERROR, "notification not stored",
                 BODE_LOG_S("request_id", req->request_id),
                 BODE_LOG_S("error", bode_err_str(err)));
        bode_api_fail_store(resp,
                            err == BODE_ERR_NOT_FOUND ? BODE_ERR_REDIS : err);
        return;
    }
    switch (res.outcome) {
    case BODE_ACCEPT_STORED:
        resp->status = 201;
        resp->body = s->response;
        resp->body_len = strlen(s->response);
        s->response = NULL;
        rate_headers(resp, svc->rate_limit, &res);
        bode_log(BODE_LOG_INFO, "notification accepted",
                 BODE_LOG_S("request_id", req->request_id),
                 BODE_LOG_S("notification_id", s->id),
                 BODE_LOG_S("service_id", svc->id),
                 BODE_LOG_S("type", bode_channel_name(s->p.channel)),
                 BODE_LOG_S("key_type", bode_key_type_name(a.key_type)));
        bode_api_metrics_accepted(ctx, a.channel, a.key_type);
        break;
    case BODE_ACCEPT_REPLAYED:
        resp->status = 201;
        resp->body = res.replayed;
        resp->body_len = strlen(res.replayed);
        res.replayed = NULL;
        bode_response_add_header(resp, "Idempotent-Replayed", "true");
        break;
    case BODE_ACCEPT_KEY_CONFLICT:
        bode_api_fail(resp, BODE_API_E_IDEMPOTENCY, NULL);
        break;
    case BODE_ACCEPT_RATE_LIMITED:
        snprintf(text, sizeof(text),
                 "Exceeded rate limit for key type %s of %d requests per 60 "
                 "seconds",
                 bode_key_type_label(a.key_type), svc->rate_limit);
        bode_api_fail(resp, BODE_API_E_RATE_LIMIT, text);
        bode_api_metrics_rejected(ctx, "rate");
        snprintf(retry, sizeof(retry), "%ld", (res.ms_retry + 999) / 1000);
        bode_response_add_header(resp, "Retry-After", retry);
        snprintf(retry, sizeof(retry), "%d", svc->rate_limit);
        bode_response_add_header(resp, "RateLimit-Limit", retry);
        bode_response_add_header(resp, "RateLimit-Remaining", "0");
        break;
    case BODE_ACCEPT_INTERNATIONAL_LIMITED:
        snprintf(text, sizeof(text),
                 "Exceeded send limits (international_sms: %d) for today",
                 a.international_limit);
        bode_api_fail(resp, BODE_API_E_DAILY_LIMIT, text);
        bode_api_metrics_rejected(ctx, "international");
        break;
    case BODE_ACCEPT_DAILY_LIMITED:
        snprintf(text, sizeof(text), "Exceeded send limits (%s: %d) for today",
                 bode_channel_name(a.channel), a.daily_limit);
        bode_api_fail(resp, BODE_API_E_DAILY_LIMIT, text);
        bode_api_metrics_rejected(ctx, "daily");
        break;
    }
    bode_accept_result_release(&res);
}

static void post(const struct bode_api_ctx *ctx, const struct bode_request *req,
                 enum bode_channel channel, struct bode_response *resp)
{
    struct post_state s;
    struct bode_req_errors errs;
    const struct bode_service *svc;
    enum bode_req_result parsed;

    memset(&s, 0, sizeof(s));
    bode_buf_init(&s.body, BODE_TMPL_DEFAULT_CAP);
    bode_buf_init(&s.subject, 64 * 1024);
    bode_buf_init(&s.sms, 64 * 1024);
    if (!bode_api_authenticate(ctx, req, &s.caller, resp))
        goto out;
    svc = &s.caller.service;
    parsed = bode_post_parse(channel, req->body, req->body_len,
                             ctx->cfg->default_region, &s.p, &errs);
    if (parsed == BODE_REQ_BAD_JSON) {
        bode_api_fail(resp, BODE_API_E_BAD_REQUEST,
                      "Invalid JSON supplied in POST data");
        goto out;
    }
    if (parsed == BODE_REQ_INVALID) {
        bode_api_fail_many(resp, BODE_API_E_VALIDATION, errs.msg, errs.n);
        goto out;
    }
    if (parsed != BODE_REQ_OK) {
        bode_api_fail(resp, BODE_API_E_INTERNAL, NULL);
        goto out;
    }
    if (!check_template(ctx, &s, resp))
        goto out;
    if (channel == BODE_CHANNEL_SMS && !check_phone_permissions(ctx, &s, resp))
        goto out;
    s.to = channel == BODE_CHANNEL_EMAIL ? s.p.email.address : s.p.phone.e164;
    /* Files sent by email: the template sees their download links. */
    bode_api_base_url(ctx, req, s.base, sizeof(s.base));
    if (!bode_files_prepare(svc, channel, s.p.personalisation, s.to, s.base,
                            is_smoke_test(&s), &s.files, resp))
        goto out;
    if (s.files.pers)
        s.p.personalisation = s.files.pers;
    if (channel == BODE_CHANNEL_EMAIL &&
        bode_api_sanitise(s.p.personalisation, s.p.sanitise_content_for,
                          &s.clean_pers, &s.sanitised)) {
        bode_api_fail(resp, BODE_API_E_INTERNAL, NULL);
        goto out;
    }
    if (!render(&s, resp) ||
        !bode_api_choose_sender(ctx, &s.caller, &s.p, &s.sender, resp) ||
        !check_recipient_allowed(ctx, &s, resp))
        goto out;
    if (bode_rand_uuid(s.id)) {
        bode_api_fail(resp, BODE_API_E_INTERNAL, NULL);
        goto out;
    }
    if (channel == BODE_CHANNEL_EMAIL)
        snprintf(s.from, sizeof(s.from), "%s@%s", svc->email_from,
                 svc->email_domain);
    else
        snprintf(s.from, sizeof(s.from), "%.255s", s.sender.text);
    bode_api_base_url(ctx, req, s.base, sizeof(s.base));
    if (is_smoke_test(&s)) {
        /* Notify's smoke-test recipients: a real-looking 201, nothing
         * stored, nothing sent. */
        bode_api_reply_raw(resp, 201, response_body(&s));
        goto out;
    }
    store_and_reply(ctx, req, &s, resp);
out:
    state_release(&s);
}

void bode_api_post_email(const struct bode_api_ctx *ctx,
                         const struct bode_request *req,
                         const struct bode_api_params *params,
                         struct bode_response *resp)
{
    (void)params;
    post(ctx, req, BODE_CHANNEL_EMAIL, resp);
}

void bode_api_post_sms(const struct bode_api_ctx *ctx,
                       const struct bode_request *req,
                       const struct bode_api_params *params,
                       struct bode_response *resp)
{
    (void)params;
    post(ctx, req, BODE_CHANNEL_SMS, resp);
}

void bode_api_post_letter(const struct bode_api_ctx *ctx,
                          const struct bode_request *req,
                          const struct bode_api_params *params,
                          struct bode_response *resp)
{
    struct bode_caller caller;

    (void)params;
    if (!bode_api_authenticate(ctx, req, &caller, resp))
        return;
    /* Letters are not part of Bode: every service answers as a Notify
     * service without the letter permission. */
    bode_api_fail(resp, BODE_API_E_BAD_REQUEST,
                  "Service is not allowed to send letters");
}
