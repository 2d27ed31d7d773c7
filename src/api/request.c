/* Schema validation of POST notification bodies, reproducing Notify's
 * jsonschema messages. Must not touch Redis or decide permissions. */
#include "request.h"

#include <stdio.h>
#include <string.h>

#include "bode/buf.h"

/* Deep documents are refused before jansson builds them. */
#define MAX_DEPTH 32

static void add(struct bode_req_errors *e, const char *fmt, const char *a,
                const char *b)
{
    size_t i;

    if (e->n == BODE_REQ_MAX_ERRORS)
        return;
    snprintf(e->text[e->n], sizeof(e->text[0]), fmt, a, b);
    /* Notify deduplicates its error list. */
    for (i = 0; i < e->n; i++)
        if (strcmp(e->text[i], e->text[e->n]) == 0)
            return;
    e->msg[e->n] = e->text[e->n];
    e->n++;
}

static void repr_into(const json_t *v, struct bode_buf *b, int depth)
{
    const char *key;
    json_t *item;
    size_t i;
    bool first = true;

    if (depth > MAX_DEPTH) {
        bode_buf_adds(b, "...");
        return;
    }
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        bode_buf_addc(b, '{');
        json_object_foreach((json_t *)(uintptr_t)v, key, item)
        {
            bode_buf_addf(b, "%s%s: ", first ? "" : ", ", key);
            repr_into(item, b, depth + 1);
            first = false;
        }
        bode_buf_addc(b, '}');
        break;
    case JSON_ARRAY:
        bode_buf_addc(b, '[');
        json_array_foreach(v, i, item)
        {
            if (i)
                bode_buf_adds(b, ", ");
            repr_into(item, b, depth + 1);
        }
        bode_buf_addc(b, ']');
        break;
    case JSON_STRING:
        bode_buf_add(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        bode_buf_addf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL:
        bode_buf_addf(b, "%.17g", json_real_value(v));
        break;
    case JSON_TRUE:
        bode_buf_adds(b, "True");
        break;
    case JSON_FALSE:
        bode_buf_adds(b, "False");
        break;
    case JSON_NULL:
        bode_buf_adds(b, "None");
        break;
    }
}

void bode_req_repr(const json_t *v, char *out, size_t size)
{
    struct bode_buf b;
    const char *s;
    size_t o = 0;

    /* The buffer caps the work on huge values; past it the text is cut. */
    bode_buf_init(&b, 64 * 1024);
    repr_into(v, &b, 0);
    for (s = bode_buf_str(&b); *s && o + 1 < size; s++)
        if (*s != '\'')
            out[o++] = *s;
    out[o] = '\0';
    bode_buf_release(&b);
}

static void not_of_type(struct bode_req_errors *e, const char *field,
                        const json_t *v, const char *want)
{
    char value[1100];
    char fmt[64];

    bode_req_repr(v, value, sizeof(value));
    snprintf(fmt, sizeof(fmt), "%%s %%s is not of type %s", want);
    add(e, fmt, field, value);
}

static void check_uuid(struct bode_req_errors *e, json_t *root,
                       const char *field, bool nullable,
                       char out[BODE_UUID_SIZE])
{
    json_t *v = json_object_get(root, field);

    out[0] = '\0';
    if (!v || (nullable && json_is_null(v)))
        return;
    if (!json_is_string(v) ||
        bode_uuid_normalize(json_string_value(v), json_string_length(v), out))
        add(e, "%s is not a valid UUID%s", field, "");
}

static const char *const email_fields[] = {
    "reference",
    "email_address",
    "template_id",
    "personalisation",
    "scheduled_for",
    "email_reply_to_id",
    "one_click_unsubscribe_url",
    "sanitise_content_for",
    NULL,
};

static const char *const sms_fields[] = {
    "reference",     "phone_number",  "template_id", "personalisation",
    "scheduled_for", "sms_sender_id", NULL,
};

static bool listed(const char *const *fields, const char *key)
{
    for (; *fields; fields++)
        if (strcmp(*fields, key) == 0)
            return true;
    return false;
}

static void check_additional(struct bode_req_errors *e, json_t *root,
                             const char *const *fields)
{
    struct bode_buf names;
    const char *key;
    json_t *v;
    size_t n = 0;

    bode_buf_init(&names, 250);
    json_object_foreach(root, key, v)
    {
        if (listed(fields, key))
            continue;
        if (bode_buf_addf(&names, "%s%s", n ? ", " : "", key))
            break;
        n++;
    }
    (void)v;
    if (n)
        add(e, "Additional properties are not allowed (%s %s unexpected)",
            bode_buf_str(&names), n == 1 ? "was" : "were");
    bode_buf_release(&names);
}

static void check_recipient(struct bode_post *p, struct bode_req_errors *e,
                            const char *region)
{
    const char *field =
        p->channel == BODE_CHANNEL_EMAIL ? "email_address" : "phone_number";
    json_t *v = json_object_get(p->root, field);
    struct bode_phone_opts opts = {region, true, true};

    if (!v)
        return;
    if (!json_is_string(v)) {
        not_of_type(e, field, v, "string");
        return;
    }
    p->recipient = json_string_value(v);
    if (p->channel == BODE_CHANNEL_EMAIL) {
        if (bode_validate_email(p->recipient, json_string_length(v), &p->email))
            add(e, "%s %s", field, BODE_EMAIL_ERROR);
        return;
    }
    if (bode_validate_phone(p->recipient, json_string_length(v), &opts,
                            &p->phone) &&
        p->phone.message)
        add(e, "%s %s", field, p->phone.message);
}

enum bode_req_result bode_post_parse(enum bode_channel channel,
                                     const char *body, size_t len,
                                     const char *region, struct bode_post *p,
                                     struct bode_req_errors *errs)
{
    const char *const *fields =
        channel == BODE_CHANNEL_EMAIL ? email_fields : sms_fields;
    const char *recipient =
        channel == BODE_CHANNEL_EMAIL ? "email_address" : "phone_number";
    json_error_t jerr;
    json_t *v;
    char value[1100];

    memset(p, 0, sizeof(*p));
    errs->n = 0;
    p->channel = channel;
    /* Notify reads an empty body as {}. Duplicate keys are refused so a
     * proxy and Bode can never disagree on what was asked. */
    p->root = len ? json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr)
                  : json_object();
    if (!p->root)
        return len && jerr.position == 0 && !jerr.text[0] ? BODE_REQ_NOMEM
                                                          : BODE_REQ_BAD_JSON;
    if (!json_is_object(p->root)) {
        bode_req_repr(p->root, value, sizeof(value));
        add(errs, "%s is not of type object%s", value, "");
        return BODE_REQ_INVALID;
    }
    v = json_object_get(p->root, "reference");
    if (v && !json_is_null(v)) {
        if (!json_is_string(v)) {
            not_of_type(errs, "reference", v, "string");
        } else if (json_string_length(v) > 1000) {
            bode_req_repr(v, value, sizeof(value));
            add(errs, "reference %s is too long%s", value, "");
        } else {
            p->reference = json_string_value(v);
        }
    }
    check_recipient(p, errs, region);
    check_uuid(errs, p->root, "template_id", false, p->template_id);
    v = json_object_get(p->root, "personalisation");
    if (v && !json_is_object(v))
        not_of_type(errs, "personalisation", v, "object");
    else
        p->personalisation = v;
    v = json_object_get(p->root, "scheduled_for");
    if (v && !json_is_null(v) && !json_is_string(v))
        not_of_type(errs, "scheduled_for", v, "string, null");
    else
        bode_req_scheduled_for(v, bode_now_us(), &p->scheduled_for,
                               &p->scheduled_for_text, errs);
    if (channel == BODE_CHANNEL_EMAIL) {
        check_uuid(errs, p->root, "email_reply_to_id", false, p->reply_to_id);
        v = json_object_get(p->root, "one_click_unsubscribe_url");
        if (v && !json_is_null(v)) {
            if (!json_is_string(v) ||
                strncmp(json_string_value(v), "https://", 8) != 0 ||
                json_string_length(v) < 9 ||
                strpbrk(json_string_value(v), " \r\n\t<>\""))
                add(errs,
                    "one_click_unsubscribe_url is not a valid https "
                    "url%s%s",
                    "", "");
            else
                p->one_click_unsubscribe_url = json_string_value(v);
        }
        v = json_object_get(p->root, "sanitise_content_for");
        if (v && !json_is_null(v)) {
            if (!json_is_array(v))
                not_of_type(errs, "sanitise_content_for", v, "array, null");
            else
                p->sanitise_content_for = v;
        }
    } else {
        check_uuid(errs, p->root, "sms_sender_id", false, p->sms_sender_id);
    }
    if (!json_object_get(p->root, recipient))
        add(errs, "%s is a required property%s", recipient, "");
    if (!json_object_get(p->root, "template_id"))
        add(errs, "%s is a required property%s", "template_id", "");
    check_additional(errs, p->root, fields);
    return errs->n ? BODE_REQ_INVALID : BODE_REQ_OK;
}

void bode_post_release(struct bode_post *p)
{
    json_decref(p->root);
    p->root = NULL;
}
