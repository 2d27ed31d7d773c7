/* The Amazon SES provider: SES v2 SendEmail (raw MIME from mime.c, or
 * Simple content) signed with SigV4, and SES events delivered as SNS
 * notifications as receipts. Must verify every receipt (shared token
 * and/or the SNS signature) before reading a field of it. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "bode/alloc.h"
#include "bode/jsonw.h"
#include "bode/log.h"
#include "bode/sig.h"
#include "bode/uuid.h"
#include "provider_int.h"

#define TAG_NAME "bode_id"
#define TOKEN_MAX 256
#define SIG_MAX 1024

struct ses {
    struct bode_provider base;
    struct prov_aws aws;
    char *config_set;
    char *msgid_domain;
    char *receipt_token;
    char *topic_arn;
    struct bode_certs *certs;
    bool simple;
    long timeout_ms;
};

static const char *const settings[] = {"BODE_SES_REGION",
                                       "BODE_SES_ENDPOINT",
                                       "BODE_SES_CONTENT",
                                       "BODE_SES_CONFIGURATION_SET",
                                       "BODE_SES_MESSAGE_ID_DOMAIN",
                                       "BODE_SES_TIMEOUT_MS",
                                       "BODE_SES_RECEIPT_TOKEN",
                                       "BODE_SES_TOPIC_ARN",
                                       "BODE_SNS_CERT_FILE",
                                       PROV_AWS_SETTINGS,
                                       NULL};

static void ses_destroy(struct bode_provider *p)
{
    struct ses *s = (struct ses *)p;

    if (!s)
        return;
    prov_aws_release(&s->aws);
    bode_free(s->config_set);
    bode_free(s->msgid_domain);
    if (s->receipt_token) {
        explicit_bzero(s->receipt_token, strlen(s->receipt_token));
        bode_free(s->receipt_token);
    }
    bode_free(s->topic_arn);
    bode_certs_free(s->certs);
    bode_free(s);
}

/* SES configuration-set names: letters, digits, '_' and '-'. */
static bool name_is_ok(const char *s)
{
    size_t n = strlen(s);
    size_t i;

    if (n == 0 || n > 64)
        return false;
    for (i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
            return false;
    return true;
}

static enum bode_err ses_create(bode_setting_fn get, void *ctx,
                                struct bode_provider **out, char *why,
                                size_t why_size)
{
    static const char *const content_name[] = {"BODE_SES_CONTENT"};
    static const char *const cert_name[] = {"BODE_SNS_CERT_FILE"};
    struct ses *s = bode_calloc(1, sizeof(*s));
    const char *content;
    const char *cert;
    enum bode_err err;

    *out = NULL;
    if (!s)
        return BODE_ERR_NOMEM;
    s->base.ops = &prov_ses_ops;
    err = prov_aws_load(&s->aws, get, ctx, "ses", "email", "BODE_SES_REGION",
                        "BODE_SES_ENDPOINT", why, why_size);
    if (!err)
        err = prov_setting_dup(get, ctx, "BODE_SES_CONFIGURATION_SET",
                               &s->config_set);
    if (!err)
        err = prov_setting_dup(get, ctx, "BODE_SES_MESSAGE_ID_DOMAIN",
                               &s->msgid_domain);
    if (!err)
        err = prov_setting_dup(get, ctx, "BODE_SES_RECEIPT_TOKEN",
                               &s->receipt_token);
    if (!err)
        err = prov_setting_dup(get, ctx, "BODE_SES_TOPIC_ARN", &s->topic_arn);
    if (!err)
        err = prov_setting_ms(get, ctx, "BODE_SES_TIMEOUT_MS", 0, 100, 600000,
                              &s->timeout_ms, why, why_size);
    if (err)
        goto out;
    content = prov_setting(get, ctx, content_name, 1);
    if (content && strcmp(content, "simple") == 0) {
        s->simple = true;
    } else if (content && strcmp(content, "raw") != 0) {
        err =
            prov_why(why, why_size, "BODE_SES_CONTENT: must be raw or simple");
        goto out;
    }
    if (s->config_set && !name_is_ok(s->config_set)) {
        err = prov_why(why, why_size,
                       "BODE_SES_CONFIGURATION_SET: letters, digits, _ and -");
        goto out;
    }
    if (s->receipt_token && strlen(s->receipt_token) < 16) {
        err = prov_why(why, why_size,
                       "BODE_SES_RECEIPT_TOKEN: at least 16 characters");
        goto out;
    }
    cert = prov_setting(get, ctx, cert_name, 1);
    if (cert) {
        err = bode_certs_load(cert, &s->certs);
        if (err == BODE_ERR_IO || err == BODE_ERR_INVALID) {
            err = prov_why(why, why_size,
                           "BODE_SNS_CERT_FILE: cannot read a PEM "
                           "certificate from %s",
                           cert);
            goto out;
        }
        if (err)
            goto out;
    }
out:
    if (err) {
        ses_destroy(&s->base);
        return err;
    }
    *out = &s->base;
    return BODE_OK;
}

/* ---- sending ---- */

static enum bode_err json_str(struct bode_buf *b, const char *s)
{
    enum bode_err err = bode_buf_addc(b, '"');

    if (!err)
        err = bode_json_escape(b, s, strlen(s));
    return err ? err : bode_buf_addc(b, '"');
}

static enum bode_err simple_content(struct bode_buf *b,
                                    const struct bode_message *m)
{
    enum bode_err err;
    const char *url = m->one_click_unsubscribe_url;

    err = bode_buf_adds(b, "\"Simple\":{\"Subject\":{\"Charset\":\"UTF-8\","
                           "\"Data\":");
    if (!err)
        err = json_str(b, m->subject ? m->subject : "");
    if (!err)
        err = bode_buf_adds(b, "},\"Body\":{");
    if (!err && m->text && *m->text) {
        err = bode_buf_adds(b, "\"Text\":{\"Charset\":\"UTF-8\",\"Data\":");
        if (!err)
            err = json_str(b, m->text);
        if (!err)
            err = bode_buf_adds(b, m->html && *m->html ? "}," : "}");
    }
    if (!err && m->html && *m->html) {
        err = bode_buf_adds(b, "\"Html\":{\"Charset\":\"UTF-8\",\"Data\":");
        if (!err)
            err = json_str(b, m->html);
        if (!err)
            err = bode_buf_addc(b, '}');
    }
    if (!err)
        err = bode_buf_addc(b, '}');
    if (!err && url && *url) {
        err = bode_buf_adds(b, ",\"Headers\":[{\"Name\":\"List-Unsubscribe\","
                               "\"Value\":\"<");
        if (!err)
            err = bode_json_escape(b, url, strlen(url));
        if (!err)
            err =
                bode_buf_adds(b, ">\"},{\"Name\":\"List-Unsubscribe-Post\","
                                 "\"Value\":\"List-Unsubscribe=One-Click\"}]");
    }
    return err ? err : bode_buf_addc(b, '}');
}

static enum bode_err raw_content(struct ses *s, struct bode_buf *b,
                                 const struct bode_message *m, char *why,
                                 size_t why_size)
{
    const struct prov_mime_opts opts = {.msgid_domain = s->msgid_domain};
    struct bode_buf mime;
    enum bode_err err;

    bode_buf_init(&mime, PROV_MIME_CAP);
    err = prov_mime_build(m, &opts, &mime, why, why_size);
    if (!err)
        err = bode_buf_adds(b, "\"Raw\":{\"Data\":\"");
    if (!err)
        err = prov_base64_add(b, mime.data, mime.len, false);
    if (!err)
        err = bode_buf_adds(b, "\"}");
    bode_buf_release(&mime);
    return err;
}

/* The SendEmail request body (SES API v2, application/json). */
static enum bode_err send_body(struct ses *s, struct bode_buf *b,
                               const struct bode_message *m, char *why,
                               size_t why_size)
{
    struct bode_buf scratch;
    enum bode_err err;

    /* The header checks (injection, addresses) run for Simple content
     * too, so both forms refuse the same messages. */
    err = prov_mime_check(m, s->msgid_domain, why, why_size);
    if (!err)
        err = bode_buf_adds(b, "{\"FromEmailAddress\":\"");
    bode_buf_init(&scratch, 4096);
    if (!err)
        err = prov_mime_mailbox(&scratch, m->from_name, m->from_address);
    if (!err)
        err = bode_json_escape(b, bode_buf_str(&scratch), scratch.len);
    bode_buf_release(&scratch);
    if (!err)
        err = bode_buf_adds(b, "\",\"Destination\":{\"ToAddresses\":[");
    if (!err)
        err = json_str(b, m->to);
    if (!err)
        err = bode_buf_adds(b, "]}");
    if (!err && m->reply_to && *m->reply_to) {
        err = bode_buf_adds(b, ",\"ReplyToAddresses\":[");
        if (!err)
            err = json_str(b, m->reply_to);
        if (!err)
            err = bode_buf_addc(b, ']');
    }
    if (!err)
        err = bode_buf_adds(b, ",\"Content\":{");
    if (!err)
        /* Simple content has no attachments: those go raw. */
        err = s->simple && m->n_attachments == 0
                  ? simple_content(b, m)
                  : raw_content(s, b, m, why, why_size);
    if (!err)
        err = bode_buf_adds(b, "},\"EmailTags\":[{\"Name\":\"" TAG_NAME
                               "\",\"Value\":");
    if (!err)
        err = json_str(b, m->id);
    if (!err)
        err = bode_buf_adds(b, "}]");
    if (!err && s->config_set) {
        err = bode_buf_adds(b, ",\"ConfigurationSetName\":");
        if (!err)
            err = json_str(b, s->config_set);
    }
    return err ? err : bode_buf_addc(b, '}');
}

static enum bode_err ses_start(struct bode_provider *p,
                               const struct bode_message *m,
                               struct bode_delivery *d,
                               struct bode_provider_result *done)
{
    struct ses *s = (struct ses *)p;
    struct prov_attempt *a = NULL;
    char why[200] = "";
    enum bode_err err;

    memset(done, 0, sizeof(*done));
    d->easy = NULL;
    if (m->channel != BODE_CHANNEL_EMAIL) {
        snprintf(done->detail, sizeof(done->detail), "ses: email only");
        return BODE_ERR_INVALID;
    }
    err = prov_attempt_new(d, PROV_BODY_CAP, &a);
    if (!err)
        err = send_body(s, &a->body, m, why, sizeof(why));
    if (!err)
        err = prov_aws_post(&s->aws, d, a, "/v2/email/outbound-emails",
                            "application/json", prov_timeout(s->timeout_ms, d));
    if (err == BODE_ERR_INVALID || err == BODE_ERR_TOO_BIG) {
        snprintf(done->detail, sizeof(done->detail), "ses: %s",
                 why[0] ? why : "message too big");
        err = BODE_ERR_INVALID;
    }
    if (err)
        prov_release(p, d);
    return err;
}

/* The error code of an AWS JSON error: "__type" or "code" in the body,
 * after any "namespace#" prefix. */
static void body_error_type(const struct bode_buf *body, char *out, size_t size)
{
    json_t *root = json_loadb(bode_buf_str(body), body->len, 0, NULL);
    const char *t = NULL;
    const char *hash;

    if (json_is_object(root)) {
        t = json_string_value(json_object_get(root, "__type"));
        if (!t)
            t = json_string_value(json_object_get(root, "code"));
    }
    if (t) {
        hash = strrchr(t, '#');
        snprintf(out, size, "%s", hash ? hash + 1 : t);
    }
    json_decref(root);
}

static bool is_throttling(const char *type)
{
    static const char *const temporary[] = {
        "TooManyRequestsException", "LimitExceededException",
        "ThrottlingException",      "Throttling",
        "ServiceUnavailable",       "InternalFailure",
        "RequestTimeout",           "RequestTimeoutException"};
    size_t i;

    for (i = 0; i < sizeof(temporary) / sizeof(temporary[0]); i++)
        if (strcmp(type, temporary[i]) == 0)
            return true;
    return false;
}

static void ses_finish(struct bode_provider *p, struct bode_delivery *d,
                       int curl_code, long status,
                       struct bode_provider_result *out)
{
    struct prov_attempt *a = d->data;
    char type[96] = "";
    json_t *root;
    const char *id;

    (void)p;
    memset(out, 0, sizeof(*out));
    if (prov_classify_http(d, curl_code, status, out)) {
        out->outcome = BODE_OUTCOME_SENDING;
        root = json_loadb(bode_buf_str(&d->response), d->response.len, 0, NULL);
        id = json_string_value(json_object_get(root, "MessageId"));
        if (id && strlen(id) < sizeof(out->reference))
            snprintf(out->reference, sizeof(out->reference), "%s", id);
        snprintf(out->detail, sizeof(out->detail), "HTTP %ld%s", status,
                 out->reference[0] ? "" : ", no MessageId");
        json_decref(root);
        return;
    }
    if (status < 400)
        return;
    if (a && a->error_type[0])
        snprintf(type, sizeof(type), "%s", a->error_type);
    else
        body_error_type(&d->response, type, sizeof(type));
    /* Notify: throttling is retried; any other refusal of our request is
     * a technical failure, never the recipient's (aws_ses.py). */
    if (is_throttling(type) || status >= 500 || status == 429 ||
        status == 408) {
        out->outcome = BODE_OUTCOME_TEMPORARY;
        out->retry_after_s = a ? a->retry_after_s : 0;
    } else {
        out->outcome = BODE_OUTCOME_TECHNICAL;
    }
    snprintf(out->detail, sizeof(out->detail), "HTTP %ld %s", status,
             type[0] ? type : "(no error type)");
}

/* ---- receipts: SES events in SNS notifications ---- */

static const char *jstr(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* BODE_OK when the shared token arrived as ?token= or as the password of
 * HTTP basic auth (SNS supports https://user:token@host/... endpoints),
 * BODE_ERR_AUTH when not, BODE_ERR_NOMEM. */
static enum bode_err check_token(const struct ses *s,
                                 const struct bode_receipt_request *req)
{
    char given[TOKEN_MAX];
    unsigned char basic[TOKEN_MAX * 2];
    const char *auth;
    const char *colon;
    size_t n;
    size_t want = strlen(s->receipt_token);
    enum bode_err err;

    err = prov_query_get(req->url, "token", given, sizeof(given));
    if (err == BODE_ERR_NOMEM)
        return err;
    if (!err && strlen(given) == want &&
        bode_sig_equal(given, s->receipt_token, want))
        return BODE_OK;
    auth = req->header ? req->header(req->ctx, "Authorization") : NULL;
    if (!auth || strncasecmp(auth, "Basic ", 6) != 0)
        return BODE_ERR_AUTH;
    if (prov_base64_decode(auth + 6, strlen(auth + 6), basic, sizeof(basic) - 1,
                           &n) != BODE_OK)
        return BODE_ERR_AUTH;
    basic[n] = '\0';
    colon = memchr(basic, ':', n);
    if (!colon)
        return BODE_ERR_AUTH;
    colon++;
    if ((size_t)((const char *)basic + n - colon) == want &&
        bode_sig_equal(colon, s->receipt_token, want))
        return BODE_OK;
    return BODE_ERR_AUTH;
}

/* AWS's advice: only trust certificates from https://sns.<region>.
 * amazonaws.com. Bode reads its certificate from a file, so this is a
 * second line of defence. */
static bool cert_url_is_aws(const char *url)
{
    const char *host;
    const char *end;
    size_t n;

    if (!url || strncmp(url, "https://sns.", 12) != 0)
        return false;
    host = url + 8;
    end = strchr(host, '/');
    if (!end || strlen(end) < 5 || strcmp(url + strlen(url) - 4, ".pem") != 0)
        return false;
    n = (size_t)(end - host);
    return (n > 18 && memcmp(end - 14, ".amazonaws.com", 14) == 0) ||
           (n > 21 && memcmp(end - 17, ".amazonaws.com.cn", 17) == 0);
}

/* The text SNS signs: "Key\nValue\n" for each signed key in order. */
static enum bode_err string_to_sign(json_t *msg, const char *type,
                                    struct bode_buf *out)
{
    static const char *const notification[] = {
        "Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"};
    static const char *const subscription[] = {
        "Message", "MessageId", "SubscribeURL", "Timestamp",
        "Token",   "TopicArn",  "Type"};
    const char *const *keys = notification;
    size_t n = 6;
    enum bode_err err = BODE_OK;
    const char *v;
    size_t i;

    if (strcmp(type, "Notification") != 0) {
        keys = subscription;
        n = 7;
    }
    for (i = 0; !err && i < n; i++) {
        v = jstr(msg, keys[i]);
        if (!v) {
            /* Only Subject is optional. */
            if (strcmp(keys[i], "Subject") == 0)
                continue;
            return BODE_ERR_AUTH;
        }
        err = bode_buf_addf(out, "%s\n%s\n", keys[i], v);
    }
    return err;
}

static enum bode_err verify_signature(const struct ses *s, json_t *msg,
                                      const char *type)
{
    unsigned char sig[SIG_MAX];
    struct bode_buf text;
    const char *version = jstr(msg, "SignatureVersion");
    const char *sig64 = jstr(msg, "Signature");
    enum bode_digest alg;
    enum bode_err err;
    size_t sig_len;

    if (!version || !sig64 || !cert_url_is_aws(jstr(msg, "SigningCertURL")))
        return BODE_ERR_AUTH;
    if (strcmp(version, "1") == 0)
        alg = BODE_DIGEST_SHA1;
    else if (strcmp(version, "2") == 0)
        alg = BODE_DIGEST_SHA256;
    else
        return BODE_ERR_AUTH;
    if (prov_base64_decode(sig64, strlen(sig64), sig, sizeof(sig), &sig_len))
        return BODE_ERR_AUTH;
    bode_buf_init(&text, PROV_BODY_CAP);
    err = string_to_sign(msg, type, &text);
    if (!err)
        err =
            bode_certs_verify(s->certs, alg, text.data, text.len, sig, sig_len);
    bode_buf_release(&text);
    return err;
}

/* The notification id Bode tagged the message with, if it is there. */
static void tagged_id(json_t *mail, char out[37])
{
    json_t *tag = json_object_get(json_object_get(mail, "tags"), TAG_NAME);
    const char *v = json_string_value(json_array_get(tag, 0));

    out[0] = '\0';
    if (v && bode_uuid_is_valid(v, strlen(v)))
        bode_uuid_normalize(v, strlen(v), out);
}

/* Turns one SES event (notification or event-publishing form) into at
 * most one receipt. */
static enum bode_err ses_event(json_t *ev, struct bode_receipt *out, size_t max,
                               size_t *n)
{
    const char *kind = jstr(ev, "notificationType");
    json_t *mail = json_object_get(ev, "mail");
    const char *ref = jstr(mail, "messageId");
    struct bode_receipt r;
    json_t *sub;
    const char *bt;
    const char *st;

    if (!kind)
        kind = jstr(ev, "eventType");
    if (!kind || !ref || !*ref || strlen(ref) >= sizeof(r.reference))
        return BODE_ERR_INVALID;
    memset(&r, 0, sizeof(r));
    snprintf(r.reference, sizeof(r.reference), "%s", ref);
    tagged_id(mail, r.notification_id);
    if (strcmp(kind, "Delivery") == 0) {
        r.status = BODE_STATUS_DELIVERED;
        snprintf(r.detail, sizeof(r.detail), "ses: delivery");
    } else if (strcmp(kind, "Bounce") == 0) {
        sub = json_object_get(ev, "bounce");
        bt = jstr(sub, "bounceType");
        st = jstr(sub, "bounceSubType");
        /* Notify: Permanent is a hard bounce; Transient and Undetermined
         * are soft. */
        r.status = bt && strcmp(bt, "Permanent") == 0
                       ? BODE_STATUS_PERMANENT_FAILURE
                       : BODE_STATUS_TEMPORARY_FAILURE;
        snprintf(r.detail, sizeof(r.detail), "ses: bounce %.40s/%.60s",
                 bt ? bt : "?", st ? st : "?");
    } else if (strcmp(kind, "Complaint") == 0) {
        sub = json_object_get(ev, "complaint");
        st = jstr(sub, "complaintFeedbackType");
        r.status = BODE_STATUS_DELIVERED;
        r.complaint = true;
        snprintf(r.detail, sizeof(r.detail), "ses: complaint %.60s",
                 st ? st : "");
    } else if (strcmp(kind, "Reject") == 0 ||
               strcmp(kind, "Rendering Failure") == 0) {
        r.status = BODE_STATUS_TECHNICAL_FAILURE;
        snprintf(r.detail, sizeof(r.detail), "ses: %.60s", kind);
    } else {
        /* Send, DeliveryDelay, Open, Click, Subscription: no status. */
        return BODE_OK;
    }
    if (*n < max)
        out[(*n)++] = r;
    return BODE_OK;
}

static enum bode_err ses_receipt(struct bode_provider *p,
                                 const struct bode_receipt_request *req,
                                 struct bode_receipt *out, size_t max,
                                 size_t *n)
{
    struct ses *s = (struct ses *)p;
    json_t *msg = NULL;
    json_t *ev = NULL;
    const char *type;
    const char *text;
    const char *arn;
    enum bode_err err = BODE_OK;

    *n = 0;
    if (!s->receipt_token && !s->certs)
        return BODE_ERR_AUTH;
    if (s->receipt_token) {
        err = check_token(s, req);
        if (err)
            return err;
    }
    err = prov_json_load(req->body, req->body_len, &msg);
    if (!err && !json_is_object(msg))
        err = BODE_ERR_INVALID;
    if (err)
        goto out;
    type = jstr(msg, "Type");
    if (!type) {
        /* Raw message delivery: the SES event itself, unsigned, so only
         * when the token alone is the check. */
        err = s->certs ? BODE_ERR_AUTH : ses_event(msg, out, max, n);
        goto out;
    }
    if (s->certs) {
        err = verify_signature(s, msg, type);
        if (err)
            goto out;
    }
    arn = jstr(msg, "TopicArn");
    if (s->topic_arn && (!arn || strcmp(arn, s->topic_arn) != 0)) {
        err = BODE_ERR_AUTH;
        goto out;
    }
    if (strcmp(type, "SubscriptionConfirmation") == 0) {
        /* Bode does not fetch URLs from the API: an operator confirms the
         * subscription by opening SubscribeURL once. */
        bode_log(BODE_LOG_WARN, "sns subscription waiting for confirmation",
                 BODE_LOG_S("topic_arn", arn),
                 BODE_LOG_S("subscribe_url", jstr(msg, "SubscribeURL")));
        goto out;
    }
    if (strcmp(type, "Notification") != 0)
        goto out;
    text = jstr(msg, "Message");
    if (!text) {
        err = BODE_ERR_INVALID;
        goto out;
    }
    err = prov_json_load(text, strlen(text), &ev);
    if (!err)
        err =
            json_is_object(ev) ? ses_event(ev, out, max, n) : BODE_ERR_INVALID;
out:
    json_decref(ev);
    json_decref(msg);
    if (err)
        *n = 0;
    return err;
}

const struct bode_provider_ops prov_ses_ops = {
    .name = "ses",
    .channels = 1u << BODE_CHANNEL_EMAIL,
    .settings = settings,
    .create = ses_create,
    .destroy = ses_destroy,
    .start = ses_start,
    .finish = ses_finish,
    .release = prov_release,
    .receipt = ses_receipt,
};
