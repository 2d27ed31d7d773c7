/* GET /v2/notifications/{id} and GET /v2/notifications: reading back what
 * the caller's service sent. */
#include <stdio.h>
#include <string.h>

#include "api_int.h"
#include "api_serialize.h"
#include "bode/alloc.h"
#include "bode/buf.h"
#include "bode/uuid.h"

#define PAGE_SIZE 250

/* Authenticates and reads the notification the path names, by service
 * and id whatever the key type (as Notify). False with resp filled when
 * there is nothing to show. */
static bool load(const struct bode_api_ctx *ctx, const struct bode_request *req,
                 const struct bode_api_params *params,
                 struct bode_notification *n, struct bode_response *resp)
{
    struct bode_caller caller;
    char id[BODE_UUID_SIZE];
    struct bode_redis *r;
    enum bode_err err;

    if (!bode_api_authenticate(ctx, req, &caller, resp))
        return false;
    if (bode_uuid_normalize(params->value[0], params->len[0], id)) {
        bode_api_fail(resp, BODE_API_E_VALIDATION,
                      "notification_id is not a valid UUID");
        return false;
    }
    r = bode_api_redis(ctx);
    err = r ? bode_store_notification_get(r, caller.service.id, id, n)
            : BODE_ERR_NOMEM;
    if (err) {
        bode_api_fail_store(resp, err);
        return false;
    }
    return true;
}

void bode_api_notification_get(const struct bode_api_ctx *ctx,
                               const struct bode_request *req,
                               const struct bode_api_params *params,
                               struct bode_response *resp)
{
    struct bode_notification n;
    char base[600];

    if (!load(ctx, req, params, &n, resp))
        return;
    bode_api_base_url(ctx, req, base, sizeof(base));
    bode_api_reply_json(resp, 200, bode_api_notification_json(&n, base));
    bode_notification_release(&n);
}

void bode_api_notification_pdf(const struct bode_api_ctx *ctx,
                               const struct bode_request *req,
                               const struct bode_api_params *params,
                               struct bode_response *resp)
{
    struct bode_notification n;

    if (!load(ctx, req, params, &n, resp))
        return;
    /* Bode has no letters, so every notification answers as Notify does
     * for an email or a text. */
    bode_notification_release(&n);
    bode_api_fail(resp, BODE_API_E_BAD_REQUEST, "Notification is not a letter");
}

static const char *const query_statuses =
    "cancelled, created, sending, sent, delivered, pending, failed, "
    "technical-failure, temporary-failure, permanent-failure, "
    "pending-virus-check, validation-failed, virus-scan-failed, "
    "returned-letter, accepted, received";

#define S(x) (1u << BODE_STATUS_##x)

/* Notify's filter words, with its aliases expanded. Letter-only statuses
 * match nothing here. */
static bool status_bits(const char *word, unsigned *bits)
{
    static const struct {
        const char *word;
        unsigned bits;
    } map[] = {
        {"cancelled", S(CANCELLED)},
        {"created", S(CREATED)},
        {"sending", S(SENDING)},
        {"sent", S(SENT)},
        {"delivered", S(DELIVERED)},
        {"pending", S(PENDING)},
        {"failed", S(TECHNICAL_FAILURE) | S(TEMPORARY_FAILURE) |
                       S(PERMANENT_FAILURE) | S(VALIDATION_FAILED)},
        {"technical-failure", S(TECHNICAL_FAILURE)},
        {"temporary-failure", S(TEMPORARY_FAILURE)},
        {"permanent-failure", S(PERMANENT_FAILURE)},
        {"pending-virus-check", 0},
        {"validation-failed", S(VALIDATION_FAILED)},
        {"virus-scan-failed", 0},
        {"returned-letter", 0},
        {"accepted", S(CREATED) | S(SENDING)},
        {"received", S(DELIVERED)},
    };
    size_t i;

    for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (strcmp(map[i].word, word) == 0) {
            *bits |= map[i].bits;
            return true;
        }
    }
    return false;
}

#define MAX_VALUES 32
#define MAX_ERRORS 8

struct list_query {
    unsigned statuses;
    unsigned channels;
    bool any_status; /* no status filter given */
    bool any_type;
    const char *reference;
    char older_than[BODE_UUID_SIZE];
    bool include_jobs;
    /* The validated parameters, to echo in links. */
    const char *types_given[MAX_VALUES];
    size_t n_types;
    const char *statuses_given[MAX_VALUES];
    size_t n_statuses;
};

struct messages {
    char text[MAX_ERRORS][512];
    const char *ptr[MAX_ERRORS];
    size_t n;
};

static void add_message(struct messages *m, const char *fmt, const char *arg)
{
    if (m->n == MAX_ERRORS)
        return;
    snprintf(m->text[m->n], sizeof(m->text[0]), fmt, arg);
    m->ptr[m->n] = m->text[m->n];
    m->n++;
}

static void parse_list_query(const struct bode_request *req,
                             struct list_query *q, struct messages *m)
{
    const char *keys[16];
    const char *v;
    size_t nkeys = req->query_keys(req->ctx, keys, 16);
    size_t i;

    memset(q, 0, sizeof(*q));
    for (i = 0; i < nkeys && i < 16; i++) {
        if (strcmp(keys[i], "template_type") && strcmp(keys[i], "status") &&
            strcmp(keys[i], "reference") && strcmp(keys[i], "older_than") &&
            strcmp(keys[i], "include_jobs"))
            add_message(m,
                        "Additional properties are not allowed (%s was "
                        "unexpected)",
                        keys[i]);
    }
    q->n_types =
        req->query_all(req->ctx, "template_type", q->types_given, MAX_VALUES);
    q->any_type = q->n_types == 0;
    for (i = 0; i < q->n_types && i < MAX_VALUES; i++) {
        v = q->types_given[i];
        if (strcmp(v, "email") == 0)
            q->channels |= 1u << BODE_CHANNEL_EMAIL;
        else if (strcmp(v, "sms") == 0)
            q->channels |= 1u << BODE_CHANNEL_SMS;
        else if (strcmp(v, "letter") != 0)
            add_message(
                m, "template_type %s is not one of [sms, email, letter]", v);
    }
    q->n_statuses =
        req->query_all(req->ctx, "status", q->statuses_given, MAX_VALUES);
    q->any_status = q->n_statuses == 0;
    for (i = 0; i < q->n_statuses && i < MAX_VALUES; i++) {
        char fmt[600];

        if (status_bits(q->statuses_given[i], &q->statuses))
            continue;
        snprintf(fmt, sizeof(fmt), "status %%s is not one of [%s]",
                 query_statuses);
        add_message(m, fmt, q->statuses_given[i]);
    }
    q->reference = req->query(req->ctx, "reference");
    v = req->query(req->ctx, "older_than");
    if (v && bode_uuid_normalize(v, strlen(v), q->older_than))
        add_message(m, "older_than is not a valid UUID%s", "");
    v = req->query(req->ctx, "include_jobs");
    if (v) {
        if (strcmp(v, "true") == 0 || strcmp(v, "True") == 0)
            q->include_jobs = true;
        else
            add_message(m, "include_jobs %s is not one of [true, True]", v);
    }
}

/* Appends ?a=b&c=d for the validated parameters, URL-encoded. */
static enum bode_err add_param(struct bode_buf *b, bool *first,
                               const char *name, const char *value)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = (const unsigned char *)value;
    enum bode_err err = bode_buf_addf(b, "%c%s=", *first ? '?' : '&', name);

    *first = false;
    for (; !err && *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
            (*p >= '0' && *p <= '9') || strchr("-._~", *p))
            err = bode_buf_addc(b, (char)*p);
        else
            err = bode_buf_addf(b, "%%%c%c", hex[*p >> 4], hex[*p & 0xf]);
    }
    return err;
}

static enum bode_err list_url(struct bode_buf *b, const char *base,
                              const struct list_query *q,
                              const char *older_than)
{
    bool first = true;
    enum bode_err err = bode_buf_addf(b, "%s/v2/notifications", base);
    size_t i;

    for (i = 0; !err && i < q->n_types && i < MAX_VALUES; i++)
        err = add_param(b, &first, "template_type", q->types_given[i]);
    for (i = 0; !err && i < q->n_statuses && i < MAX_VALUES; i++)
        err = add_param(b, &first, "status", q->statuses_given[i]);
    if (!err && q->reference)
        err = add_param(b, &first, "reference", q->reference);
    if (!err && older_than)
        err = add_param(b, &first, "older_than", older_than);
    if (!err && q->include_jobs)
        err = add_param(b, &first, "include_jobs", "true");
    return err;
}

void bode_api_notification_list(const struct bode_api_ctx *ctx,
                                const struct bode_request *req,
                                const struct bode_api_params *params,
                                struct bode_response *resp)
{
    struct bode_caller caller;
    struct list_query q;
    struct messages m = {.n = 0};
    struct bode_list_filter f;
    struct bode_notification *list = NULL;
    struct bode_buf current;
    struct bode_buf next;
    char base[600];
    json_t *items = NULL;
    json_t *links = NULL;
    struct bode_redis *r;
    size_t n = 0;
    size_t i;
    enum bode_err err = BODE_OK;
    bool none_can_match;

    (void)params;
    bode_buf_init(&current, 8192);
    bode_buf_init(&next, 8192);
    if (!bode_api_authenticate(ctx, req, &caller, resp))
        goto out;
    parse_list_query(req, &q, &m);
    if (m.n) {
        bode_api_fail_many(resp, BODE_API_E_VALIDATION, m.ptr, m.n);
        goto out;
    }
    r = bode_api_redis(ctx);
    if (!r) {
        bode_api_fail(resp, BODE_API_E_INTERNAL, NULL);
        goto out;
    }
    /* Filters that only name letters or letter statuses match nothing. */
    none_can_match =
        (!q.any_type && !q.channels) || (!q.any_status && !q.statuses);
    memset(&f, 0, sizeof(f));
    f.key_type = caller.key_type;
    f.channels = q.channels;
    f.statuses = q.statuses;
    f.reference = q.reference;
    f.older_than = q.older_than[0] ? q.older_than : NULL;
    f.include_jobs = q.include_jobs;
    if (!none_can_match) {
        err = bode_store_notification_list(r, caller.service.id, &f, PAGE_SIZE,
                                           &list, &n);
        if (err) {
            bode_api_fail_store(resp, err);
            goto out;
        }
    }
    bode_api_base_url(ctx, req, base, sizeof(base));
    items = json_array();
    for (i = 0; items && i < n; i++)
        json_array_append_new(items,
                              bode_api_notification_json(&list[i], base));
    err = list_url(&current, base, &q, f.older_than);
    if (!err && n)
        err = list_url(&next, base, &q, list[n - 1].id);
    if (err || !items) {
        bode_api_fail(resp, BODE_API_E_INTERNAL, NULL);
        goto out;
    }
    links = n ? json_pack("{s:s, s:s}", "current", bode_buf_str(&current),
                          "next", bode_buf_str(&next))
              : json_pack("{s:s}", "current", bode_buf_str(&current));
    bode_api_reply_json(
        resp, 200,
        json_pack("{s:o, s:o}", "notifications", items, "links", links));
    items = NULL;
out:
    json_decref(items);
    for (i = 0; i < n; i++)
        bode_notification_release(&list[i]);
    bode_free(list);
    bode_buf_release(&current);
    bode_buf_release(&next);
}
