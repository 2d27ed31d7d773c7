/* The generic HTTP provider: POSTs a configurable JSON body template to
 * any email or SMS gateway, and takes receipts as a small JSON body with
 * a shared secret. Must JSON-escape every value it puts in the template. */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "bode/alloc.h"
#include "bode/jsonw.h"
#include "bode/model.h"
#include "bode/sig.h"
#include "bode/uuid.h"
#include "provider_int.h"

#define MAX_HEADERS 16
#define MAX_SEGMENTS 256
#define TEMPLATE_CAP (64u * 1024)
#define SECRET_MAX 512
#define DEFAULT_RECEIPT_HEADER "X-Bode-Receipt-Secret"

enum field {
    F_LITERAL,
    F_ID,
    F_CHANNEL,
    F_TO,
    F_FROM,
    F_FROM_NAME,
    F_REPLY_TO,
    F_SUBJECT,
    F_TEXT,
    F_HTML,
    F_SMS_TEXT,
    F_SMS_SENDER,
    F_REFERENCE,
    F_UNSUBSCRIBE_URL,
    F_ATTACHMENTS, /* a JSON array, written without quotes around it */
};

static const struct {
    const char *name;
    enum field f;
} placeholders[] = {
    {"id", F_ID},
    {"channel", F_CHANNEL},
    {"to", F_TO},
    {"from", F_FROM},
    {"from_name", F_FROM_NAME},
    {"reply_to", F_REPLY_TO},
    {"subject", F_SUBJECT},
    {"text", F_TEXT},
    {"html", F_HTML},
    {"sms_text", F_SMS_TEXT},
    {"sms_sender", F_SMS_SENDER},
    {"reference", F_REFERENCE},
    {"unsubscribe_url", F_UNSUBSCRIBE_URL},
    {"attachments", F_ATTACHMENTS},
};

static const char default_template[] =
    "{\"id\":\"${id}\",\"channel\":\"${channel}\",\"to\":\"${to}\","
    "\"from\":\"${from}\",\"from_name\":\"${from_name}\","
    "\"reply_to\":\"${reply_to}\",\"subject\":\"${subject}\","
    "\"text\":\"${text}\",\"html\":\"${html}\",\"sms_text\":\"${sms_text}\","
    "\"sms_sender\":\"${sms_sender}\",\"reference\":\"${reference}\","
    "\"unsubscribe_url\":\"${unsubscribe_url}\"}";

struct segment {
    enum field f;
    size_t off; /* literal text in tmpl */
    size_t len;
};

struct http {
    struct bode_provider base;
    char *url;
    char *tmpl;
    struct segment seg[MAX_SEGMENTS];
    size_t nseg;
    char *headers[MAX_HEADERS]; /* "Name: value" */
    size_t nheaders;
    char *content_type;
    char *ref_field; /* dotted path into the response JSON */
    char *secret;
    char *secret_header;
    unsigned channels;
    enum bode_outcome accepted;
    long timeout_ms;
};

static const char *const settings[] = {"BODE_HTTP_URL",
                                       "BODE_HTTP_BODY_TEMPLATE",
                                       "BODE_HTTP_BODY_TEMPLATE_FILE",
                                       "BODE_HTTP_CONTENT_TYPE",
                                       "BODE_HTTP_CHANNELS",
                                       "BODE_HTTP_REFERENCE_FIELD",
                                       "BODE_HTTP_ACCEPTED_STATUS",
                                       "BODE_HTTP_TIMEOUT_MS",
                                       "BODE_HTTP_RECEIPT_SECRET",
                                       "BODE_HTTP_RECEIPT_HEADER",
                                       "BODE_HTTP_HEADER_1",
                                       "BODE_HTTP_HEADER_2",
                                       "BODE_HTTP_HEADER_3",
                                       "BODE_HTTP_HEADER_4",
                                       "BODE_HTTP_HEADER_5",
                                       "BODE_HTTP_HEADER_6",
                                       "BODE_HTTP_HEADER_7",
                                       "BODE_HTTP_HEADER_8",
                                       "BODE_HTTP_HEADER_9",
                                       "BODE_HTTP_HEADER_10",
                                       "BODE_HTTP_HEADER_11",
                                       "BODE_HTTP_HEADER_12",
                                       "BODE_HTTP_HEADER_13",
                                       "BODE_HTTP_HEADER_14",
                                       "BODE_HTTP_HEADER_15",
                                       "BODE_HTTP_HEADER_16",
                                       NULL};

static void http_destroy(struct bode_provider *p)
{
    struct http *h = (struct http *)p;
    size_t i;

    if (!h)
        return;
    bode_free(h->url);
    bode_free(h->tmpl);
    for (i = 0; i < h->nheaders; i++) {
        explicit_bzero(h->headers[i], strlen(h->headers[i]));
        bode_free(h->headers[i]);
    }
    bode_free(h->content_type);
    bode_free(h->ref_field);
    if (h->secret) {
        explicit_bzero(h->secret, strlen(h->secret));
        bode_free(h->secret);
    }
    bode_free(h->secret_header);
    bode_free(h);
}

static bool add_segment(struct http *h, enum field f, size_t off, size_t len)
{
    if (f == F_LITERAL && len == 0)
        return true;
    if (h->nseg == MAX_SEGMENTS)
        return false;
    h->seg[h->nseg].f = f;
    h->seg[h->nseg].off = off;
    h->seg[h->nseg].len = len;
    h->nseg++;
    return true;
}

/* Splits h->tmpl into literal text and ${name} placeholders. A '$' not
 * followed by '{' is literal. */
static enum bode_err compile_template(struct http *h, char *why,
                                      size_t why_size)
{
    const char *t = h->tmpl;
    size_t lit = 0;
    size_t i = 0;
    size_t k;
    size_t j;
    const char *close;

    while (t[i]) {
        if (t[i] != '$' || t[i + 1] != '{') {
            i++;
            continue;
        }
        close = strchr(t + i + 2, '}');
        if (!close)
            return prov_why(why, why_size,
                            "BODE_HTTP_BODY_TEMPLATE: unclosed ${ at %zu", i);
        k = (size_t)(close - (t + i + 2));
        for (j = 0; j < sizeof(placeholders) / sizeof(placeholders[0]); j++)
            if (strlen(placeholders[j].name) == k &&
                memcmp(placeholders[j].name, t + i + 2, k) == 0)
                break;
        if (j == sizeof(placeholders) / sizeof(placeholders[0]))
            return prov_why(why, why_size,
                            "BODE_HTTP_BODY_TEMPLATE: unknown placeholder "
                            "${%.*s}",
                            (int)(k < 40 ? k : 40), t + i + 2);
        if (!add_segment(h, F_LITERAL, lit, i - lit) ||
            !add_segment(h, placeholders[j].f, 0, 0))
            return prov_why(why, why_size,
                            "BODE_HTTP_BODY_TEMPLATE: too many placeholders");
        i += k + 3;
        lit = i;
    }
    if (!add_segment(h, F_LITERAL, lit, i - lit))
        return prov_why(why, why_size,
                        "BODE_HTTP_BODY_TEMPLATE: too many placeholders");
    return BODE_OK;
}

static enum bode_err read_file(const char *path, char **out)
{
    struct bode_buf b;
    char chunk[4096];
    enum bode_err err = BODE_OK;
    FILE *f = fopen(path, "rb");
    size_t n;

    *out = NULL;
    if (!f)
        return BODE_ERR_IO;
    bode_buf_init(&b, TEMPLATE_CAP);
    while (!err && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        err = bode_buf_add(&b, chunk, n);
    if (!err && ferror(f))
        err = BODE_ERR_IO;
    fclose(f);
    if (!err) {
        *out = bode_buf_take(&b, NULL);
        if (!*out)
            err = BODE_ERR_NOMEM;
    }
    bode_buf_release(&b);
    return err;
}

/* "Name: value" with a token name and a value fit for a header. */
static bool header_line_is_ok(const char *s)
{
    const char *colon = strchr(s, ':');
    const char *p;

    if (!colon || colon == s || !prov_header_text_is_safe(s))
        return false;
    for (p = s; p < colon; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || strchr("!#$%&'*+-.^_`|~", *p)))
            return false;
    return true;
}

static enum bode_err read_headers(struct http *h, bode_setting_fn get,
                                  void *ctx, char *why, size_t why_size)
{
    char name[32];
    char *v = NULL;
    enum bode_err err;
    int i;

    for (i = 1; i <= MAX_HEADERS; i++) {
        snprintf(name, sizeof(name), "BODE_HTTP_HEADER_%d", i);
        err = prov_setting_dup(get, ctx, name, &v);
        if (err)
            return err;
        if (!v)
            continue;
        if (!header_line_is_ok(v)) {
            bode_free(v);
            return prov_why(why, why_size, "%s: must be \"Name: value\"", name);
        }
        h->headers[h->nheaders++] = v;
        v = NULL;
    }
    return BODE_OK;
}

static enum bode_err read_channels(struct http *h, const char *v, char *why,
                                   size_t why_size)
{
    if (!v || strcmp(v, "email,sms") == 0 || strcmp(v, "sms,email") == 0)
        h->channels = 1u << BODE_CHANNEL_EMAIL | 1u << BODE_CHANNEL_SMS;
    else if (strcmp(v, "email") == 0)
        h->channels = 1u << BODE_CHANNEL_EMAIL;
    else if (strcmp(v, "sms") == 0)
        h->channels = 1u << BODE_CHANNEL_SMS;
    else
        return prov_why(why, why_size,
                        "BODE_HTTP_CHANNELS: email, sms or email,sms");
    return BODE_OK;
}

static enum bode_err http_create(bode_setting_fn get, void *ctx,
                                 struct bode_provider **out, char *why,
                                 size_t why_size)
{
    static const char *const tmpl_name[] = {"BODE_HTTP_BODY_TEMPLATE"};
    static const char *const file_name[] = {"BODE_HTTP_BODY_TEMPLATE_FILE"};
    static const char *const chan_name[] = {"BODE_HTTP_CHANNELS"};
    struct http *h = bode_calloc(1, sizeof(*h));
    const char *tmpl;
    const char *file;
    enum bode_err err;

    *out = NULL;
    if (!h)
        return BODE_ERR_NOMEM;
    h->base.ops = &prov_http_ops;
    err = prov_setting_dup(get, ctx, "BODE_HTTP_URL", &h->url);
    if (!err)
        err = prov_setting_dup(get, ctx, "BODE_HTTP_CONTENT_TYPE",
                               &h->content_type);
    if (!err)
        err = prov_setting_dup(get, ctx, "BODE_HTTP_REFERENCE_FIELD",
                               &h->ref_field);
    if (!err)
        err =
            prov_setting_dup(get, ctx, "BODE_HTTP_RECEIPT_SECRET", &h->secret);
    if (!err)
        err = prov_setting_dup(get, ctx, "BODE_HTTP_RECEIPT_HEADER",
                               &h->secret_header);
    if (!err)
        err = prov_setting_outcome(get, ctx, "BODE_HTTP_ACCEPTED_STATUS",
                                   BODE_OUTCOME_SENDING, &h->accepted, why,
                                   why_size);
    if (!err)
        err = prov_setting_ms(get, ctx, "BODE_HTTP_TIMEOUT_MS", 0, 100, 600000,
                              &h->timeout_ms, why, why_size);
    if (!err)
        err = read_channels(h, prov_setting(get, ctx, chan_name, 1), why,
                            why_size);
    if (!err)
        err = read_headers(h, get, ctx, why, why_size);
    if (err)
        goto out;
    if (!h->url || !prov_url_is_plain(h->url)) {
        err = prov_why(why, why_size, "BODE_HTTP_URL: needs an http(s) URL");
        goto out;
    }
    if (h->content_type && !prov_header_text_is_safe(h->content_type)) {
        err = prov_why(why, why_size, "BODE_HTTP_CONTENT_TYPE: not text");
        goto out;
    }
    if (h->secret &&
        (strlen(h->secret) < 16 || strlen(h->secret) > SECRET_MAX)) {
        err = prov_why(why, why_size,
                       "BODE_HTTP_RECEIPT_SECRET: 16 to %d characters",
                       SECRET_MAX);
        goto out;
    }
    tmpl = prov_setting(get, ctx, tmpl_name, 1);
    file = prov_setting(get, ctx, file_name, 1);
    if (tmpl && file) {
        err = prov_why(why, why_size,
                       "BODE_HTTP_BODY_TEMPLATE and _FILE: set only one");
        goto out;
    }
    if (file) {
        err = read_file(file, &h->tmpl);
        if (err && err != BODE_ERR_NOMEM)
            err = prov_why(why, why_size,
                           "BODE_HTTP_BODY_TEMPLATE_FILE: cannot read %s "
                           "(at most %u bytes)",
                           file, TEMPLATE_CAP);
    } else {
        h->tmpl = bode_strdup(tmpl ? tmpl : default_template);
        if (!h->tmpl)
            err = BODE_ERR_NOMEM;
    }
    if (!err)
        err = compile_template(h, why, why_size);
out:
    if (err) {
        http_destroy(&h->base);
        return err;
    }
    *out = &h->base;
    return BODE_OK;
}

static const char *field_value(enum field f, const struct bode_message *m)
{
    switch (f) {
    case F_ID:
        return m->id;
    case F_CHANNEL:
        return bode_channel_name(m->channel);
    case F_TO:
        return m->to;
    case F_FROM:
        return m->channel == BODE_CHANNEL_SMS ? m->sms_sender : m->from_address;
    case F_FROM_NAME:
        return m->from_name;
    case F_REPLY_TO:
        return m->reply_to;
    case F_SUBJECT:
        return m->subject;
    case F_TEXT:
        return m->channel == BODE_CHANNEL_SMS ? m->sms_text : m->text;
    case F_HTML:
        return m->html;
    case F_SMS_TEXT:
        return m->sms_text;
    case F_SMS_SENDER:
        return m->sms_sender;
    case F_REFERENCE:
        return m->reference;
    case F_UNSUBSCRIBE_URL:
        return m->one_click_unsubscribe_url;
    case F_ATTACHMENTS:
    case F_LITERAL:
        break;
    }
    return NULL;
}

/* [{"filename","content_type","content" (base64)}, ...] */
static enum bode_err attachments_add(struct bode_buf *out,
                                     const struct bode_message *m)
{
    enum bode_err err = bode_buf_addc(out, '[');
    size_t i;

    for (i = 0; !err && i < m->n_attachments; i++) {
        const struct bode_attachment *a = &m->attachments[i];

        if (!prov_utf8_is_valid(a->filename, strlen(a->filename)))
            return BODE_ERR_INVALID;
        err = bode_buf_adds(out, i ? ",{\"filename\":\"" : "{\"filename\":\"");
        if (!err)
            err = bode_json_escape(out, a->filename, strlen(a->filename));
        if (!err)
            err = bode_buf_adds(out, "\",\"content_type\":\"");
        if (!err)
            err = bode_json_escape(out, a->mimetype, strlen(a->mimetype));
        if (!err)
            err = bode_buf_adds(out, "\",\"content\":\"");
        if (!err)
            err = prov_base64_add(out, a->data ? a->data : (const void *)"",
                                  a->len, false);
        if (!err)
            err = bode_buf_adds(out, "\"}");
    }
    return err ? err : bode_buf_addc(out, ']');
}

static bool has_field(const struct http *h, enum field f)
{
    size_t i;

    for (i = 0; i < h->nseg; i++)
        if (h->seg[i].f == f)
            return true;
    return false;
}

static enum bode_err render(const struct http *h, const struct bode_message *m,
                            struct bode_buf *out)
{
    enum bode_err err = BODE_OK;
    const char *v;
    size_t i;

    /* Files are never dropped silently: a template must place them. */
    if (m->n_attachments > 0 && !has_field(h, F_ATTACHMENTS))
        return BODE_ERR_INVALID;
    for (i = 0; !err && i < h->nseg; i++) {
        if (h->seg[i].f == F_LITERAL) {
            err = bode_buf_add(out, h->tmpl + h->seg[i].off, h->seg[i].len);
            continue;
        }
        if (h->seg[i].f == F_ATTACHMENTS) {
            err = attachments_add(out, m);
            continue;
        }
        v = field_value(h->seg[i].f, m);
        if (v && !prov_utf8_is_valid(v, strlen(v)))
            return BODE_ERR_INVALID;
        if (v)
            err = bode_json_escape(out, v, strlen(v));
    }
    return err;
}

static enum bode_err http_start(struct bode_provider *p,
                                const struct bode_message *m,
                                struct bode_delivery *d,
                                struct bode_provider_result *done)
{
    struct http *h = (struct http *)p;
    struct prov_attempt *a = NULL;
    struct curl_slist *grown;
    char why[200] = "";
    enum bode_err err = BODE_OK;
    size_t i;

    memset(done, 0, sizeof(*done));
    d->easy = NULL;
    if ((unsigned)m->channel >= BODE_CHANNEL__COUNT ||
        !(h->channels & 1u << m->channel)) {
        snprintf(done->detail, sizeof(done->detail),
                 "http: channel not configured");
        return BODE_ERR_INVALID;
    }
    /* The gateway may build an email from these: refuse what SMTP would. */
    if (m->channel == BODE_CHANNEL_EMAIL)
        err = prov_mime_check(m, NULL, why, sizeof(why));
    if (!err)
        err = prov_attempt_new(d, PROV_BODY_CAP, &a);
    if (!err)
        err = render(h, m, &a->body);
    if (!err)
        err = prov_header_add(&a->headers, "Content-Type",
                              h->content_type ? h->content_type
                                              : "application/json");
    for (i = 0; !err && i < h->nheaders; i++) {
        grown = curl_slist_append(a->headers, h->headers[i]);
        if (!grown)
            err = BODE_ERR_NOMEM;
        else
            a->headers = grown;
    }
    if (!err)
        err =
            prov_easy_post(d, a, h->url, prov_timeout(h->timeout_ms, d), true);
    if (err == BODE_ERR_INVALID || err == BODE_ERR_TOO_BIG) {
        snprintf(done->detail, sizeof(done->detail), "http: %s",
                 why[0] ? why : "not UTF-8 or too big");
        err = BODE_ERR_INVALID;
    }
    if (err)
        prov_release(p, d);
    return err;
}

/* Follows a dotted path ("data.id") through objects. */
static json_t *lookup(json_t *root, const char *path)
{
    char part[128];
    const char *dot;
    size_t n;

    while (root && *path) {
        dot = strchr(path, '.');
        n = dot ? (size_t)(dot - path) : strlen(path);
        if (n >= sizeof(part))
            return NULL;
        memcpy(part, path, n);
        part[n] = '\0';
        root = json_object_get(root, part);
        path += n + (dot != NULL);
    }
    return root;
}

static void http_finish(struct bode_provider *p, struct bode_delivery *d,
                        int curl_code, long status,
                        struct bode_provider_result *out)
{
    struct http *h = (struct http *)p;
    json_t *root;
    json_t *ref;

    memset(out, 0, sizeof(*out));
    if (!prov_classify_http(d, curl_code, status, out))
        return;
    out->outcome = h->accepted;
    root = json_loadb(bode_buf_str(&d->response), d->response.len, 0, NULL);
    ref = lookup(root, h->ref_field ? h->ref_field : "id");
    if (json_is_string(ref) &&
        strlen(json_string_value(ref)) < sizeof(out->reference))
        snprintf(out->reference, sizeof(out->reference), "%s",
                 json_string_value(ref));
    else if (json_is_integer(ref))
        snprintf(out->reference, sizeof(out->reference),
                 "%" JSON_INTEGER_FORMAT, json_integer_value(ref));
    snprintf(out->detail, sizeof(out->detail), "HTTP %ld", status);
    json_decref(root);
}

/* ---- receipts ---- */

static enum bode_err one_receipt(json_t *o, struct bode_receipt *r)
{
    const char *ref = json_string_value(json_object_get(o, "reference"));
    const char *id = json_string_value(json_object_get(o, "id"));
    const char *st = json_string_value(json_object_get(o, "status"));
    const char *detail = json_string_value(json_object_get(o, "detail"));

    memset(r, 0, sizeof(*r));
    if (!json_is_object(o) || !st || (!ref && !id))
        return BODE_ERR_INVALID;
    if (bode_status_parse(st, &r->status) != BODE_OK ||
        r->status == BODE_STATUS_CREATED ||
        r->status == BODE_STATUS_CANCELLED ||
        r->status == BODE_STATUS_VALIDATION_FAILED)
        return BODE_ERR_INVALID;
    if (ref && (!*ref || strlen(ref) >= sizeof(r->reference)))
        return BODE_ERR_INVALID;
    if (ref)
        snprintf(r->reference, sizeof(r->reference), "%s", ref);
    if (id && bode_uuid_normalize(id, strlen(id), r->notification_id))
        return BODE_ERR_INVALID;
    snprintf(r->detail, sizeof(r->detail), "http: %.200s",
             detail && prov_header_text_is_safe(detail) ? detail : st);
    return BODE_OK;
}

static enum bode_err http_receipt(struct bode_provider *p,
                                  const struct bode_receipt_request *req,
                                  struct bode_receipt *out, size_t max,
                                  size_t *n)
{
    struct http *h = (struct http *)p;
    const char *given = NULL;
    json_t *root = NULL;
    enum bode_err err = BODE_OK;
    size_t count;
    size_t i;

    *n = 0;
    if (h->secret && req->header)
        given =
            req->header(req->ctx, h->secret_header ? h->secret_header
                                                   : DEFAULT_RECEIPT_HEADER);
    if (!h->secret || !given || strlen(given) != strlen(h->secret) ||
        !bode_sig_equal(given, h->secret, strlen(h->secret)))
        return BODE_ERR_AUTH;
    err = prov_json_load(req->body, req->body_len, &root);
    if (err)
        return err;
    if (json_is_object(root)) {
        if (max == 0)
            goto out;
        err = one_receipt(root, &out[0]);
        *n = err ? 0 : 1;
        goto out;
    }
    if (!json_is_array(root)) {
        err = BODE_ERR_INVALID;
        goto out;
    }
    count = json_array_size(root);
    if (count > max) {
        err = BODE_ERR_TOO_BIG;
        goto out;
    }
    for (i = 0; !err && i < count; i++)
        err = one_receipt(json_array_get(root, i), &out[i]);
    *n = err ? 0 : count;
out:
    json_decref(root);
    return err;
}

/* A JSON string member into out; false when absent, not a string, holding
 * a NUL or too long. */
static bool json_field(json_t *o, const char *name, char *out, size_t size,
                       size_t *len)
{
    json_t *v = json_object_get(o, name);
    size_t n;

    if (!json_is_string(v))
        return false;
    n = json_string_length(v);
    if (n >= size || memchr(json_string_value(v), '\0', n))
        return false;
    memcpy(out, json_string_value(v), n + 1);
    if (len)
        *len = n;
    return true;
}

/* A generic gateway's incoming text: {"from", "to", "message",
 * "reference"?} with the receipts' shared secret. */
static enum bode_err http_inbound(struct bode_provider *p,
                                  const struct bode_receipt_request *req,
                                  struct bode_inbound *out)
{
    struct http *h = (struct http *)p;
    const char *given = NULL;
    json_t *root = NULL;
    json_t *msg;
    enum bode_err err = BODE_ERR_INVALID;

    memset(out, 0, sizeof(*out));
    if (h->secret && req->header)
        given =
            req->header(req->ctx, h->secret_header ? h->secret_header
                                                   : DEFAULT_RECEIPT_HEADER);
    if (!h->secret || !given || strlen(given) != strlen(h->secret) ||
        !bode_sig_equal(given, h->secret, strlen(h->secret)))
        return BODE_ERR_AUTH;
    err = prov_json_load(req->body, req->body_len, &root);
    if (err)
        return err;
    err = BODE_ERR_INVALID;
    msg = json_object_get(root, "message");
    if (!json_is_object(root) ||
        !json_field(root, "from", out->from, sizeof(out->from), NULL) ||
        !json_field(root, "to", out->to, sizeof(out->to), NULL) ||
        !out->from[0] || !out->to[0] || !json_is_string(msg))
        goto out;
    if (json_object_get(root, "reference") &&
        !json_field(root, "reference", out->reference, sizeof(out->reference),
                    NULL))
        goto out;
    if (json_string_length(msg) >= sizeof(out->content)) {
        err = BODE_ERR_TOO_BIG;
        goto out;
    }
    if (!json_field(root, "message", out->content, sizeof(out->content),
                    &out->content_len))
        goto out;
    err = BODE_OK;
out:
    if (err)
        memset(out, 0, sizeof(*out));
    json_decref(root);
    return err;
}

const struct bode_provider_ops prov_http_ops = {
    .name = "http",
    .channels = 1u << BODE_CHANNEL_EMAIL | 1u << BODE_CHANNEL_SMS,
    .settings = settings,
    .create = http_create,
    .destroy = http_destroy,
    .start = http_start,
    .finish = http_finish,
    .release = prov_release,
    .receipt = http_receipt,
    .inbound = http_inbound,
};
