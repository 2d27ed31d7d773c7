/* The Amazon SNS SMS provider: Publish to a phone number over the Query
 * API, signed with SigV4. SNS posts no per-message receipts to
 * webhooks, so a published message is "sent" by default. Must not send
 * anything but SMS. */
#include <stdio.h>
#include <string.h>

#include "bode/alloc.h"
#include "provider_int.h"

struct sns {
    struct bode_provider base;
    struct prov_aws aws;
    char *sms_type;  /* Transactional or Promotional */
    char *sender_id; /* default alphanumeric sender, NULL for none */
    enum bode_outcome accepted;
    long timeout_ms;
};

static const char *const settings[] = {
    "BODE_SNS_REGION",          "BODE_SNS_ENDPOINT",
    "BODE_SNS_SMS_TYPE",        "BODE_SNS_SENDER_ID",
    "BODE_SNS_ACCEPTED_STATUS", "BODE_SNS_TIMEOUT_MS",
    PROV_AWS_SETTINGS,          NULL};

static void sns_destroy(struct bode_provider *p)
{
    struct sns *s = (struct sns *)p;

    if (!s)
        return;
    prov_aws_release(&s->aws);
    bode_free(s->sms_type);
    bode_free(s->sender_id);
    bode_free(s);
}

/* An SNS sender ID: 1 to 11 letters and digits, at least one letter. */
static bool sender_id_is_ok(const char *s)
{
    size_t n = strlen(s);
    bool letter = false;
    size_t i;

    if (n == 0 || n > 11)
        return false;
    for (i = 0; i < n; i++) {
        if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))
            letter = true;
        else if (!(s[i] >= '0' && s[i] <= '9'))
            return false;
    }
    return letter;
}

/* "+" then 5 to 15 digits, with or without the '+' given. */
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

static enum bode_err sns_create(bode_setting_fn get, void *ctx,
                                struct bode_provider **out, char *why,
                                size_t why_size)
{
    struct sns *s = bode_calloc(1, sizeof(*s));
    enum bode_err err;

    *out = NULL;
    if (!s)
        return BODE_ERR_NOMEM;
    s->base.ops = &prov_sns_ops;
    err = prov_aws_load(&s->aws, get, ctx, "sns", "sns", "BODE_SNS_REGION",
                        "BODE_SNS_ENDPOINT", why, why_size);
    if (!err)
        err = prov_setting_dup(get, ctx, "BODE_SNS_SMS_TYPE", &s->sms_type);
    if (!err)
        err = prov_setting_dup(get, ctx, "BODE_SNS_SENDER_ID", &s->sender_id);
    if (!err)
        err = prov_setting_outcome(get, ctx, "BODE_SNS_ACCEPTED_STATUS",
                                   BODE_OUTCOME_SENT, &s->accepted, why,
                                   why_size);
    if (!err)
        err = prov_setting_ms(get, ctx, "BODE_SNS_TIMEOUT_MS", 0, 100, 600000,
                              &s->timeout_ms, why, why_size);
    if (err)
        goto out;
    if (s->sms_type && strcmp(s->sms_type, "Transactional") != 0 &&
        strcmp(s->sms_type, "Promotional") != 0) {
        err = prov_why(why, why_size,
                       "BODE_SNS_SMS_TYPE: Transactional or Promotional");
        goto out;
    }
    if (s->sender_id && !sender_id_is_ok(s->sender_id)) {
        err = prov_why(why, why_size,
                       "BODE_SNS_SENDER_ID: 1 to 11 letters and digits");
        goto out;
    }
out:
    if (err) {
        sns_destroy(&s->base);
        return err;
    }
    *out = &s->base;
    return BODE_OK;
}

static enum bode_err add_attribute(struct bode_buf *b, int i, const char *name,
                                   const char *value)
{
    char key[64];
    enum bode_err err;

    snprintf(key, sizeof(key), "MessageAttributes.entry.%d.Name", i);
    err = prov_form_add(b, key, name);
    snprintf(key, sizeof(key), "MessageAttributes.entry.%d.Value.DataType", i);
    if (!err)
        err = prov_form_add(b, key, "String");
    snprintf(key, sizeof(key), "MessageAttributes.entry.%d.Value.StringValue",
             i);
    if (!err)
        err = prov_form_add(b, key, value);
    return err;
}

/* The Publish form: PhoneNumber, Message, and the SMS attributes. The
 * message's sender is a sender ID when alphanumeric, an origination
 * number when it is a number. */
static enum bode_err publish_body(struct sns *s, struct bode_buf *b,
                                  const struct bode_message *m)
{
    const char *sender =
        m->sms_sender && *m->sms_sender ? m->sms_sender : s->sender_id;
    char number[20];
    char origin[20];
    enum bode_err err;
    int i = 1;

    snprintf(number, sizeof(number), "+%s", m->to + (m->to[0] == '+'));
    err = prov_form_add(b, "Action", "Publish");
    if (!err)
        err = prov_form_add(b, "Version", "2010-03-31");
    if (!err)
        err = prov_form_add(b, "PhoneNumber", number);
    if (!err)
        err = prov_form_add(b, "Message", m->sms_text);
    if (!err)
        err = add_attribute(b, i++, "AWS.SNS.SMS.SMSType",
                            s->sms_type ? s->sms_type : "Transactional");
    if (!err && sender && sender_id_is_ok(sender)) {
        err = add_attribute(b, i++, "AWS.SNS.SMS.SenderID", sender);
    } else if (!err && sender && number_is_ok(sender)) {
        snprintf(origin, sizeof(origin), "+%s", sender + (sender[0] == '+'));
        err = add_attribute(b, i++, "AWS.MM.SMS.OriginationNumber", origin);
    }
    return err;
}

static enum bode_err sns_start(struct bode_provider *p,
                               const struct bode_message *m,
                               struct bode_delivery *d,
                               struct bode_provider_result *done)
{
    struct sns *s = (struct sns *)p;
    struct prov_attempt *a = NULL;
    enum bode_err err;

    memset(done, 0, sizeof(*done));
    d->easy = NULL;
    if (m->channel != BODE_CHANNEL_SMS || !m->to || !number_is_ok(m->to) ||
        !m->sms_text || !*m->sms_text) {
        snprintf(done->detail, sizeof(done->detail),
                 "sns: needs an SMS with a number and text");
        return BODE_ERR_INVALID;
    }
    err = prov_attempt_new(d, PROV_BODY_CAP, &a);
    if (!err)
        err = publish_body(s, &a->body, m);
    if (!err)
        err = prov_aws_post(&s->aws, d, a, "/",
                            "application/x-www-form-urlencoded; charset=utf-8",
                            prov_timeout(s->timeout_ms, d));
    if (err == BODE_ERR_TOO_BIG) {
        snprintf(done->detail, sizeof(done->detail), "sns: message too big");
        err = BODE_ERR_INVALID;
    }
    if (err)
        prov_release(p, d);
    return err;
}

/* Copies the text of the first <tag>...</tag> in xml to out ("" if
 * none). The Query API's replies are flat enough for this. */
static void xml_text(const char *xml, const char *tag, char *out, size_t size)
{
    char open[48];
    char close[48];
    const char *a;
    const char *b;
    size_t n;

    out[0] = '\0';
    snprintf(open, sizeof(open), "<%s>", tag);
    snprintf(close, sizeof(close), "</%s>", tag);
    a = strstr(xml, open);
    if (!a)
        return;
    a += strlen(open);
    b = strstr(a, close);
    if (!b)
        return;
    n = (size_t)(b - a);
    if (n >= size)
        return;
    memcpy(out, a, n);
    out[n] = '\0';
}

static bool code_in(const char *code, const char *const *list, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(code, list[i]) == 0)
            return true;
    return false;
}

static void sns_finish(struct bode_provider *p, struct bode_delivery *d,
                       int curl_code, long status,
                       struct bode_provider_result *out)
{
    static const char *const temporary[] = {
        "Throttling",    "ThrottlingException",   "ThrottledException",
        "InternalError", "InternalFailure",       "ServiceUnavailable",
        "KMSThrottling", "KMSThrottlingException"};
    static const char *const permanent[] = {
        "InvalidParameter", "InvalidParameterValue", "ParameterValueInvalid"};
    struct sns *s = (struct sns *)p;
    struct prov_attempt *a = d->data;
    const char *xml = bode_buf_str(&d->response);
    char code[96];

    memset(out, 0, sizeof(*out));
    if (prov_classify_http(d, curl_code, status, out)) {
        out->outcome = s->accepted;
        xml_text(xml, "MessageId", out->reference, sizeof(out->reference));
        snprintf(out->detail, sizeof(out->detail), "HTTP %ld%s", status,
                 out->reference[0] ? "" : ", no MessageId");
        return;
    }
    if (status < 400)
        return;
    xml_text(xml, "Code", code, sizeof(code));
    if (code_in(code, temporary, sizeof(temporary) / sizeof(temporary[0]))) {
        out->outcome = BODE_OUTCOME_TEMPORARY;
        out->retry_after_s = a ? a->retry_after_s : 0;
    } else if (code_in(code, permanent,
                       sizeof(permanent) / sizeof(permanent[0]))) {
        /* SNS says this when the phone number is not one it can reach. */
        out->outcome = BODE_OUTCOME_PERMANENT;
    } else if (code[0] && status < 500 && status != 429 && status != 408) {
        /* Authorization, signature, KMS and opt-out configuration errors
         * are our account's problem, not the recipient's. */
        out->outcome = BODE_OUTCOME_TECHNICAL;
    }
    snprintf(out->detail, sizeof(out->detail), "HTTP %ld %s", status,
             code[0] ? code : "(no error code)");
}

const struct bode_provider_ops prov_sns_ops = {
    .name = "sns",
    .channels = 1u << BODE_CHANNEL_SMS,
    .settings = settings,
    .create = sns_create,
    .destroy = sns_destroy,
    .start = sns_start,
    .finish = sns_finish,
    .release = prov_release,
    .receipt = NULL,
};
