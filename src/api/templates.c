/* The template endpoints: read one (any version), list, and preview with
 * personalisation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "bode/alloc.h"
#include "bode/buf.h"
#include "request.h"
#include "tmpl_cache.h"

static json_t *time_json(int64_t t)
{
    char stamp[BODE_TIME_SIZE];

    bode_time_format(t, stamp);
    return json_string(stamp);
}

static json_t *template_json(const struct bode_tmpl_entry *e)
{
    const struct bode_template_rec *t = &e->rec;
    json_t *pers = json_object();
    size_t i;

    for (i = 0; pers && i < bode_tmpl_placeholder_count(e->tmpl); i++)
        json_object_set_new(pers, bode_tmpl_placeholder(e->tmpl, i),
                            json_pack("{s:b}", "required", 1));
    /* Notify's updated_at is null until a template is first edited. */
    return json_pack("{s:s, s:s, s:o, s:o, s:s, s:i, s:s, s:s?, s:s, s:o, "
                     "s:n, s:n}",
                     "id", t->id, "type", bode_channel_name(t->type),
                     "created_at", time_json(t->created_at), "updated_at",
                     t->version > 1 ? time_json(t->updated_at) : json_null(),
                     "created_by", t->created_by, "version", t->version, "body",
                     t->body, "subject", t->subject, "name", t->name,
                     "personalisation", pers, "postage",
                     "letter_contact_block");
}

/* The template named by the path for the caller, or false with resp set. */
static bool load(const struct bode_api_ctx *ctx,
                 const struct bode_caller *caller,
                 const struct bode_api_params *params, int version,
                 const struct bode_tmpl_entry **out, struct bode_response *resp)
{
    char id[BODE_UUID_SIZE];
    struct bode_redis *r;
    enum bode_err err;

    if (bode_uuid_normalize(params->value[0], params->len[0], id)) {
        bode_api_fail(resp, BODE_API_E_VALIDATION, "id is not a valid UUID");
        return false;
    }
    r = bode_api_redis(ctx);
    err = r ? bode_tmpl_cache_get(ctx->tmpls, r, caller->service.id, id,
                                  version, out)
            : BODE_ERR_NOMEM;
    if (err == BODE_ERR_INVALID)
        err = BODE_ERR_NOT_FOUND;
    if (!err && (*out)->rec.archived) {
        bode_tmpl_entry_unref(*out);
        err = BODE_ERR_NOT_FOUND;
    }
    if (err) {
        bode_api_fail_store(resp, err);
        return false;
    }
    return true;
}

void bode_api_template_get(const struct bode_api_ctx *ctx,
                           const struct bode_request *req,
                           const struct bode_api_params *params,
                           struct bode_response *resp)
{
    struct bode_caller caller;
    const struct bode_tmpl_entry *e = NULL;
    char digits[16];
    char *end = NULL;
    long version = 0;

    if (!bode_api_authenticate(ctx, req, &caller, resp))
        return;
    if (params->n == 2) {
        /* Flask's <int:version> converter: digits only, else no route. */
        if (params->len[1] == 0 || params->len[1] >= sizeof(digits) ||
            strspn(params->value[1], "0123456789") < params->len[1]) {
            bode_api_fail(resp, BODE_API_E_ROUTE_NOT_FOUND, NULL);
            return;
        }
        memcpy(digits, params->value[1], params->len[1]);
        digits[params->len[1]] = '\0';
        version = strtol(digits, &end, 10);
        if (version < 1) {
            bode_api_fail(resp, BODE_API_E_VALIDATION,
                          "version 0 is less than the minimum of 1");
            return;
        }
        if (version > 1000000000L) {
            bode_api_fail(resp, BODE_API_E_NO_RESULT, NULL);
            return;
        }
    }
    if (!load(ctx, &caller, params, (int)version, &e, resp))
        return;
    bode_api_reply_json(resp, 200, template_json(e));
    bode_tmpl_entry_unref(e);
}

void bode_api_template_list(const struct bode_api_ctx *ctx,
                            const struct bode_request *req,
                            const struct bode_api_params *params,
                            struct bode_response *resp)
{
    struct bode_caller caller;
    struct bode_template_rec *recs = NULL;
    const struct bode_tmpl_entry *e;
    const char *keys[8];
    const char *type = NULL;
    char text[200];
    struct bode_redis *r;
    enum bode_channel ch;
    json_t *list = NULL;
    size_t nkeys;
    size_t n = 0;
    size_t i;
    int filter = -1;
    enum bode_err err;

    (void)params;
    if (!bode_api_authenticate(ctx, req, &caller, resp))
        return;
    nkeys = req->query_keys(req->ctx, keys, 8);
    for (i = 0; i < nkeys && i < 8; i++) {
        if (strcmp(keys[i], "type") != 0) {
            snprintf(text, sizeof(text),
                     "Additional properties are not allowed (%s was "
                     "unexpected)",
                     keys[i]);
            bode_api_fail(resp, BODE_API_E_VALIDATION, text);
            return;
        }
    }
    type = req->query(req->ctx, "type");
    if (type && strcmp(type, "letter") != 0) {
        if (bode_channel_parse(type, &ch)) {
            snprintf(text, sizeof(text),
                     "type %.100s is not one of [sms, email, letter]", type);
            bode_api_fail(resp, BODE_API_E_VALIDATION, text);
            return;
        }
        filter = (int)ch;
    }
    list = json_array();
    if (!list) {
        bode_api_fail(resp, BODE_API_E_INTERNAL, NULL);
        return;
    }
    if (!type || strcmp(type, "letter") != 0) {
        r = bode_api_redis(ctx);
        err = r ? bode_store_template_list(r, caller.service.id, filter, &recs,
                                           &n)
                : BODE_ERR_NOMEM;
        if (err) {
            json_decref(list);
            bode_api_fail_store(resp, err);
            return;
        }
        for (i = 0; i < n; i++) {
            if (bode_tmpl_cache_get(ctx->tmpls, r, caller.service.id,
                                    recs[i].id, recs[i].version, &e) == 0) {
                json_array_append_new(list, template_json(e));
                bode_tmpl_entry_unref(e);
            }
            bode_template_rec_release(&recs[i]);
        }
        bode_free(recs);
    }
    bode_api_reply_json(resp, 200, json_pack("{s:o}", "templates", list));
}

void bode_api_template_preview(const struct bode_api_ctx *ctx,
                               const struct bode_request *req,
                               const struct bode_api_params *params,
                               struct bode_response *resp)
{
    struct bode_caller caller;
    const struct bode_tmpl_entry *e = NULL;
    struct bode_tmpl_error terr;
    struct bode_buf body;
    struct bode_buf html;
    struct bode_buf subject;
    json_error_t jerr;
    json_t *root = NULL;
    json_t *pers = NULL;
    const char *key;
    json_t *v;
    char text[400];
    char value[200];
    bool email;
    enum bode_err err;

    bode_buf_init(&body, BODE_TMPL_DEFAULT_CAP);
    bode_buf_init(&html, BODE_TMPL_DEFAULT_CAP);
    bode_buf_init(&subject, 64 * 1024);
    if (!bode_api_authenticate(ctx, req, &caller, resp))
        goto out;
    root = req->body_len ? json_loadb(req->body, req->body_len,
                                      JSON_REJECT_DUPLICATES, &jerr)
                         : json_object();
    if (!root) {
        bode_api_fail(resp, BODE_API_E_BAD_REQUEST,
                      "Invalid JSON supplied in POST data");
        goto out;
    }
    if (!json_is_object(root)) {
        bode_req_repr(root, value, sizeof(value));
        snprintf(text, sizeof(text), "%s is not of type object", value);
        bode_api_fail(resp, BODE_API_E_VALIDATION, text);
        goto out;
    }
    json_object_foreach(root, key, v)
    {
        if (strcmp(key, "personalisation") == 0)
            continue;
        snprintf(text, sizeof(text),
                 "Additional properties are not allowed (%.100s was "
                 "unexpected)",
                 key);
        bode_api_fail(resp, BODE_API_E_VALIDATION, text);
        goto out;
    }
    pers = json_object_get(root, "personalisation");
    if (pers && !json_is_object(pers)) {
        bode_req_repr(pers, value, sizeof(value));
        snprintf(text, sizeof(text), "personalisation %s is not of type object",
                 value);
        bode_api_fail(resp, BODE_API_E_VALIDATION, text);
        goto out;
    }
    if (!load(ctx, &caller, params, 0, &e, resp))
        goto out;
    email = e->rec.type == BODE_CHANNEL_EMAIL;
    err = bode_tmpl_check(e->tmpl, pers, NULL, &terr);
    if (err == BODE_ERR_INVALID || err == BODE_ERR_TOO_BIG) {
        bode_api_fail(resp, BODE_API_E_BAD_REQUEST, terr.text);
        goto out;
    }
    if (!err)
        err = bode_tmpl_render_body(e->tmpl, pers, &body, &terr);
    if (!err && email)
        err = bode_tmpl_render_subject(e->tmpl, pers, &subject, &terr);
    if (!err && email)
        err = bode_tmpl_render_html_body(e->tmpl, pers, NULL, &html, &terr);
    if (err) {
        bode_api_fail(resp, BODE_API_E_INTERNAL, NULL);
        goto out;
    }
    bode_api_reply_json(
        resp, 200,
        json_pack("{s:s, s:s, s:i, s:s%, s:s?, s:s?, s:n}", "id", e->rec.id,
                  "type", bode_channel_name(e->rec.type), "version",
                  e->rec.version, "body", bode_buf_str(&body), body.len, "html",
                  email ? bode_buf_str(&html) : NULL, "subject",
                  email ? bode_buf_str(&subject) : NULL, "postage"));
out:
    if (e)
        bode_tmpl_entry_unref(e);
    json_decref(root);
    bode_buf_release(&body);
    bode_buf_release(&html);
    bode_buf_release(&subject);
}
