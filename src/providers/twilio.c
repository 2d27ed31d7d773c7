/* The Twilio SMS provider: the Messages API (form POST, basic auth) with a
 * status callback, and the callbacks as receipts after checking
 * X-Twilio-Signature. Must not read a receipt field before its signature
 * checks out. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bode/alloc.h"
#include "bode/sig.h"
#include "provider_int.h"

#define DEFAULT_URL "https://api.twilio.com"

struct twilio {
    struct bode_provider base;
    char *messages_url;
    char *account_sid;
    char *auth_token; /* signs callbacks; the password unless an API key */
    char *api_key;
    char *api_secret;
    char *from;
    char *service_sid; /* MessagingServiceSid */
    char *status_callback;
    enum bode_outcome accepted;
    long timeout_ms;
};

static const char *const settings[] = {"BODE_TWILIO_ACCOUNT_SID",
                                       "BODE_TWILIO_AUTH_TOKEN",
                                       "BODE_TWILIO_API_KEY",
                                       "BODE_TWILIO_API_SECRET",
                                       "BODE_TWILIO_FROM",
                                       "BODE_TWILIO_MESSAGING_SERVICE_SID",
                                       "BODE_TWILIO_STATUS_CALLBACK",
                                       "BODE_TWILIO_URL",
                                       "BODE_TWILIO_ACCEPTED_STATUS",
                                       "BODE_TWILIO_TIMEOUT_MS",
                                       NULL};

static void free_secret(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        bode_free(s);
    }
}

static void twilio_destroy(struct bode_provider *p)
{
    struct twilio *t = (struct twilio *)p;

    if (!t)
        return;
    bode_free(t->messages_url);
    bode_free(t->account_sid);
    free_secret(t->auth_token);
    bode_free(t->api_key);
    free_secret(t->api_secret);
    bode_free(t->from);
    bode_free(t->service_sid);
    bode_free(t->status_callback);
    bode_free(t);
}

/* Twilio SIDs: two letters and 32 hex digits; letters and digits, at
 * least, since they go into a URL path. */
static bool sid_is_ok(const char *s)
{
    size_t n = strlen(s);
    size_t i;

    if (n < 2 || n > 64)
        return false;
    for (i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9')))
            return false;
    return true;
}

static enum bode_err twilio_create(bode_setting_fn get, void *ctx,
                                   struct bode_provider **out, char *why,
                                   size_t why_size)
{
    static const char *const url_name[] = {"BODE_TWILIO_URL"};
    struct twilio *t = bode_calloc(1, sizeof(*t));
    const char *base;
    struct bode_buf url;
    enum bode_err err;
    size_t n;

    *out = NULL;
    if (!t)
        return BODE_ERR_NOMEM;
    t->base.ops = &prov_twilio_ops;
    bode_buf_init(&url, 2048);
    err =
        prov_setting_dup(get, ctx, "BODE_TWILIO_ACCOUNT_SID", &t->account_sid);
    if (!err)
        err = prov_setting_dup(get, ctx, "BODE_TWILIO_AUTH_TOKEN",
                               &t->auth_token);
    if (!err)
        err = prov_setting_dup(get, ctx, "BODE_TWILIO_API_KEY", &t->api_key);
    if (!err)
        err = prov_setting_dup(get, ctx, "BODE_TWILIO_API_SECRET",
                               &t->api_secret);
    if (!err)
        err = prov_setting_dup(get, ctx, "BODE_TWILIO_FROM", &t->from);
    if (!err)
        err = prov_setting_dup(get, ctx, "BODE_TWILIO_MESSAGING_SERVICE_SID",
                               &t->service_sid);
    if (!err)
        err = prov_setting_dup(get, ctx, "BODE_TWILIO_STATUS_CALLBACK",
                               &t->status_callback);
    if (!err)
        err = prov_setting_ms(get, ctx, "BODE_TWILIO_TIMEOUT_MS", 0, 100,
                              600000, &t->timeout_ms, why, why_size);
    /* Without a status callback no receipt comes, so "sent" is final. */
    if (!err)
        err = prov_setting_outcome(get, ctx, "BODE_TWILIO_ACCEPTED_STATUS",
                                   t->status_callback ? BODE_OUTCOME_SENDING
                                                      : BODE_OUTCOME_SENT,
                                   &t->accepted, why, why_size);
    if (err)
        goto out;
    if (!t->account_sid || !sid_is_ok(t->account_sid) || !t->auth_token) {
        err = prov_why(why, why_size,
                       "BODE_TWILIO_ACCOUNT_SID and BODE_TWILIO_AUTH_TOKEN "
                       "are needed");
        goto out;
    }
    if (!t->api_key != !t->api_secret ||
        (t->api_key && !sid_is_ok(t->api_key))) {
        err = prov_why(why, why_size,
                       "BODE_TWILIO_API_KEY and BODE_TWILIO_API_SECRET go "
                       "together");
        goto out;
    }
    if (t->service_sid && !sid_is_ok(t->service_sid)) {
        err = prov_why(why, why_size,
                       "BODE_TWILIO_MESSAGING_SERVICE_SID: not a SID");
        goto out;
    }
    if (t->status_callback && !prov_url_is_plain(t->status_callback)) {
        err = prov_why(why, why_size,
                       "BODE_TWILIO_STATUS_CALLBACK: not an http(s) URL");
        goto out;
    }
    base = prov_setting(get, ctx, url_name, 1);
    if (!base)
        base = DEFAULT_URL;
    n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    err = bode_buf_add(&url, base, n);
    if (!err)
        err = bode_buf_addf(&url, "/2010-04-01/Accounts/%s/Messages.json",
                            t->account_sid);
    if (err)
        goto out;
    if (!prov_url_is_plain(url.data) || strchr(url.data, '?')) {
        err = prov_why(why, why_size, "BODE_TWILIO_URL: not an http(s) URL");
        goto out;
    }
    t->messages_url = bode_buf_take(&url, NULL);
    if (!t->messages_url)
        err = BODE_ERR_NOMEM;
out:
    bode_buf_release(&url);
    if (err) {
        twilio_destroy(&t->base);
        return err;
    }
    *out = &t->base;
    return BODE_OK;
}

static bool number_is_ok(const char *s)
{
    size_t n;
    size_t i;

    if (*s == '+')
        s++;
    n = strlen(s);
    if (n < 5 || n > 15)
        return false;
    for (i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static enum bode_err twilio_start(struct bode_provider *p,
                                  const struct bode_message *m,
                                  struct bode_delivery *d,
                                  struct bode_provider_result *done)
{
    struct twilio *t = (struct twilio *)p;
    const char *from =
        m->sms_sender && *m->sms_sender ? m->sms_sender : t->from;
    struct prov_attempt *a = NULL;
    char to[20];
    enum bode_err err;

    memset(done, 0, sizeof(*done));
    d->easy = NULL;
    if (m->channel != BODE_CHANNEL_SMS || !m->to || !number_is_ok(m->to) ||
        !m->sms_text || !*m->sms_text) {
        snprintf(done->detail, sizeof(done->detail),
                 "twilio: needs an SMS with a number and text");
        return BODE_ERR_INVALID;
    }
    if (!from && !t->service_sid) {
        snprintf(done->detail, sizeof(done->detail),
                 "twilio: no sender and no messaging service");
        return BODE_ERR_INVALID;
    }
    if (from && !prov_header_text_is_safe(from)) {
        snprintf(done->detail, sizeof(done->detail), "twilio: bad sender");
        return BODE_ERR_INVALID;
    }
    snprintf(to, sizeof(to), "+%s", m->to + (m->to[0] == '+'));
    err = prov_attempt_new(d, PROV_BODY_CAP, &a);
    if (!err)
        err = prov_form_add(&a->body, "To", to);
    if (!err && from)
        err = prov_form_add(&a->body, "From", from);
    if (!err && t->service_sid)
        err = prov_form_add(&a->body, "MessagingServiceSid", t->service_sid);
    if (!err)
        err = prov_form_add(&a->body, "Body", m->sms_text);
    if (!err && t->status_callback)
        err = prov_form_add(&a->body, "StatusCallback", t->status_callback);
    if (!err)
        err = prov_header_add(&a->headers, "Content-Type",
                              "application/x-www-form-urlencoded");
    if (!err)
        err = prov_easy_post(d, a, t->messages_url,
                             prov_timeout(t->timeout_ms, d), true);
    if (!err)
        err = prov_easy_basic_auth(d, t->api_key ? t->api_key : t->account_sid,
                                   t->api_key ? t->api_secret : t->auth_token);
    if (err == BODE_ERR_TOO_BIG) {
        snprintf(done->detail, sizeof(done->detail), "twilio: too big");
        err = BODE_ERR_INVALID;
    }
    if (err)
        prov_release(p, d);
    return err;
}

static bool code_in(long code, const long *list, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (list[i] == code)
            return true;
    return false;
}

/* Send-time errors that say the number cannot take SMS: Notify's
 * permanent-failure ("Phone number doesn't exist"). */
static const long send_permanent[] = {21211, 21214, 21217, 21401, 21407,
                                      21421, 21610, 21612, 21614, 21635};

static void twilio_finish(struct bode_provider *p, struct bode_delivery *d,
                          int curl_code, long status,
                          struct bode_provider_result *out)
{
    struct twilio *t = (struct twilio *)p;
    json_t *root = NULL;
    const char *sid;
    long code = 0;

    memset(out, 0, sizeof(*out));
    root = json_loadb(bode_buf_str(&d->response), d->response.len, 0, NULL);
    if (prov_classify_http(d, curl_code, status, out)) {
        out->outcome = t->accepted;
        sid = json_string_value(json_object_get(root, "sid"));
        if (sid && strlen(sid) < sizeof(out->reference))
            snprintf(out->reference, sizeof(out->reference), "%s", sid);
        snprintf(out->detail, sizeof(out->detail), "HTTP %ld%s", status,
                 out->reference[0] ? "" : ", no sid");
        goto out;
    }
    if (status < 400)
        goto out;
    code = (long)json_integer_value(json_object_get(root, "code"));
    if (code == 20429 || status == 429 || status >= 500 || status == 408) {
        out->outcome = BODE_OUTCOME_TEMPORARY;
        out->retry_after_s =
            d->data ? ((struct prov_attempt *)d->data)->retry_after_s : 0;
    } else if (code_in(code, send_permanent,
                       sizeof(send_permanent) / sizeof(send_permanent[0]))) {
        out->outcome = BODE_OUTCOME_PERMANENT;
    } else {
        /* Credentials, sender, account and region permissions. */
        out->outcome = BODE_OUTCOME_TECHNICAL;
    }
    snprintf(out->detail, sizeof(out->detail), "HTTP %ld twilio %ld", status,
             code);
out:
    json_decref(root);
}

/* ---- receipts ---- */

static int pair_cmp(const void *a, const void *b)
{
    const struct prov_form_pair *x = a;
    const struct prov_form_pair *y = b;
    int c = strcmp(x->name, y->name);

    return c ? c : strcmp(x->value, y->value);
}

/* Checks sig against Twilio's signature of url and the sorted
 * parameters: base64(HMAC-SHA1(auth token, url + name1 + value1 + ...)).
 * BODE_OK when it matches, BODE_ERR_AUTH when not, BODE_ERR_NOMEM. */
static enum bode_err check_signature(const struct twilio *t, const char *url,
                                     const struct prov_form *sorted,
                                     const char *sig)
{
    unsigned char mac[BODE_HMAC_MAX];
    struct bode_buf data;
    struct bode_buf want;
    enum bode_err err;
    size_t mac_len = 0;
    size_t i;

    bode_buf_init(&data, PROV_BODY_CAP);
    bode_buf_init(&want, 64);
    err = bode_buf_adds(&data, url);
    for (i = 0; !err && i < sorted->n; i++) {
        err = bode_buf_adds(&data, sorted->pairs[i].name);
        if (!err)
            err = bode_buf_adds(&data, sorted->pairs[i].value);
    }
    if (!err)
        err = bode_hmac(BODE_DIGEST_SHA1, t->auth_token, strlen(t->auth_token),
                        bode_buf_str(&data), data.len, mac, &mac_len);
    if (!err)
        err = prov_base64_add(&want, mac, mac_len, false);
    if (!err &&
        !(strlen(sig) == want.len && bode_sig_equal(sig, want.data, want.len)))
        err = BODE_ERR_AUTH;
    /* A URL or body over the cap cannot be what Twilio signed. */
    if (err == BODE_ERR_TOO_BIG || err == BODE_ERR_INVALID)
        err = BODE_ERR_AUTH;
    bode_buf_release(&data);
    bode_buf_release(&want);
    return err;
}

/* Delivery errors by Twilio error code (30xxx): temporary when the phone
 * or network may take it later, permanent when the number cannot take
 * SMS, technical when our account or sender is the problem. */
static const long rcpt_temporary[] = {30001, 30003, 30008, 30017,
                                      30022, 30500, 60005};
static const long rcpt_permanent[] = {21211, 21610, 21612, 21614, 21635,
                                      30004, 30005, 30006, 30007};
static const long rcpt_technical[] = {21408, 21606, 30002, 30010,
                                      30024, 30032, 30034};

static enum bode_status failure_status(bool failed, long code)
{
    if (code_in(code, rcpt_temporary,
                sizeof(rcpt_temporary) / sizeof(rcpt_temporary[0])))
        return BODE_STATUS_TEMPORARY_FAILURE;
    if (code_in(code, rcpt_permanent,
                sizeof(rcpt_permanent) / sizeof(rcpt_permanent[0])))
        return BODE_STATUS_PERMANENT_FAILURE;
    if (code_in(code, rcpt_technical,
                sizeof(rcpt_technical) / sizeof(rcpt_technical[0])))
        return BODE_STATUS_TECHNICAL_FAILURE;
    /* Unknown: "failed" never left Twilio, "undelivered" did. */
    return failed ? BODE_STATUS_TECHNICAL_FAILURE
                  : BODE_STATUS_TEMPORARY_FAILURE;
}

/* Twilio's MessageStatus in Notify's terms; false for statuses that say
 * nothing about an outbound message. */
static bool map_status(const char *st, const char *code_text,
                       enum bode_status *out)
{
    long code = code_text ? strtol(code_text, NULL, 10) : 0;

    if (!strcmp(st, "accepted") || !strcmp(st, "scheduled") ||
        !strcmp(st, "queued") || !strcmp(st, "sending"))
        *out = BODE_STATUS_SENDING;
    else if (!strcmp(st, "sent"))
        *out = BODE_STATUS_PENDING; /* with the carrier; final to follow */
    else if (!strcmp(st, "delivered") || !strcmp(st, "read"))
        *out = BODE_STATUS_DELIVERED;
    else if (!strcmp(st, "undelivered") || !strcmp(st, "failed"))
        *out = failure_status(st[0] == 'f', code);
    else if (!strcmp(st, "canceled"))
        *out = BODE_STATUS_TECHNICAL_FAILURE;
    else
        return false;
    return true;
}

static enum bode_err twilio_receipt(struct bode_provider *p,
                                    const struct bode_receipt_request *req,
                                    struct bode_receipt *out, size_t max,
                                    size_t *n)
{
    struct twilio *t = (struct twilio *)p;
    struct prov_form form;
    struct prov_form sorted;
    const char *sig =
        req->header ? req->header(req->ctx, "X-Twilio-Signature") : NULL;
    const char *sid;
    const char *st;
    const char *code;
    const char *account;
    enum bode_status status;
    enum bode_err err;

    *n = 0;
    if (!sig || !req->url)
        return BODE_ERR_AUTH;
    err = prov_form_parse(req->body ? req->body : "", req->body_len, &form);
    if (err)
        return err == BODE_ERR_NOMEM ? err : BODE_ERR_AUTH;
    /* Sort a shallow copy: the pairs stay owned by form. */
    sorted = form;
    qsort(sorted.pairs, sorted.n, sizeof(sorted.pairs[0]), pair_cmp);
    err = check_signature(t, req->url, &sorted, sig);
    if (err == BODE_ERR_AUTH && t->status_callback)
        err = check_signature(t, t->status_callback, &sorted, sig);
    if (err)
        goto out;
    account = prov_form_get(&form, "AccountSid");
    if (account && strcmp(account, t->account_sid) != 0) {
        err = BODE_ERR_AUTH;
        goto out;
    }
    sid = prov_form_get(&form, "MessageSid");
    if (!sid)
        sid = prov_form_get(&form, "SmsSid");
    st = prov_form_get(&form, "MessageStatus");
    if (!st)
        st = prov_form_get(&form, "SmsStatus");
    code = prov_form_get(&form, "ErrorCode");
    if (!sid || !st || !*sid || strlen(sid) >= sizeof(out->reference)) {
        err = BODE_ERR_INVALID;
        goto out;
    }
    if (!map_status(st, code, &status) || max == 0)
        goto out;
    memset(out, 0, sizeof(*out));
    snprintf(out->reference, sizeof(out->reference), "%s", sid);
    out->status = status;
    snprintf(out->detail, sizeof(out->detail), "twilio: %.40s%s%.12s", st,
             code ? " " : "", code ? code : "");
    *n = 1;
out:
    prov_form_release(&form);
    return err;
}

/* Copies a form field into out; false when it does not fit. */
static bool copy_field(char *out, size_t size, const char *v)
{
    if (strlen(v) >= size)
        return false;
    memcpy(out, v, strlen(v) + 1);
    return true;
}

/* Twilio's incoming-message webhook: the same form encoding and signature
 * as status callbacks, with From, To, Body and MessageSid. */
static enum bode_err twilio_inbound(struct bode_provider *p,
                                    const struct bode_receipt_request *req,
                                    struct bode_inbound *out)
{
    struct twilio *t = (struct twilio *)p;
    struct prov_form form;
    struct prov_form sorted;
    const char *sig =
        req->header ? req->header(req->ctx, "X-Twilio-Signature") : NULL;
    const char *from;
    const char *to;
    const char *body;
    const char *sid;
    const char *account;
    enum bode_err err;

    memset(out, 0, sizeof(*out));
    if (!sig || !req->url)
        return BODE_ERR_AUTH;
    err = prov_form_parse(req->body ? req->body : "", req->body_len, &form);
    if (err)
        return err == BODE_ERR_NOMEM ? err : BODE_ERR_AUTH;
    sorted = form;
    qsort(sorted.pairs, sorted.n, sizeof(sorted.pairs[0]), pair_cmp);
    err = check_signature(t, req->url, &sorted, sig);
    if (err)
        goto out;
    account = prov_form_get(&form, "AccountSid");
    if (account && strcmp(account, t->account_sid) != 0) {
        err = BODE_ERR_AUTH;
        goto out;
    }
    from = prov_form_get(&form, "From");
    to = prov_form_get(&form, "To");
    body = prov_form_get(&form, "Body");
    sid = prov_form_get(&form, "MessageSid");
    if (!sid)
        sid = prov_form_get(&form, "SmsSid");
    if (!from || !to || !body || !*from || !*to ||
        !copy_field(out->from, sizeof(out->from), from) ||
        !copy_field(out->to, sizeof(out->to), to) ||
        (sid && !copy_field(out->reference, sizeof(out->reference), sid))) {
        err = BODE_ERR_INVALID;
        goto out;
    }
    out->content_len = strlen(body);
    if (out->content_len >= sizeof(out->content)) {
        err = BODE_ERR_TOO_BIG;
        goto out;
    }
    memcpy(out->content, body, out->content_len + 1);
out:
    if (err)
        memset(out, 0, sizeof(*out));
    prov_form_release(&form);
    return err;
}

const struct bode_provider_ops prov_twilio_ops = {
    .name = "twilio",
    .channels = 1u << BODE_CHANNEL_SMS,
    .settings = settings,
    .create = twilio_create,
    .destroy = twilio_destroy,
    .start = twilio_start,
    .finish = twilio_finish,
    .release = prov_release,
    .receipt = twilio_receipt,
    .inbound = twilio_inbound,
};
