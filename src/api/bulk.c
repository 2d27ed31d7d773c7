/* POST /v2/notifications/bulk (GC Notify's bulk send) and Bode's job
 * progress and cancel routes. The whole job is validated before anything
 * is written; then the job record, its rows in chunks and its commit go to
 * Redis, and the workers' promoter queues it. Must not queue rows itself. */
#include <stdio.h>
#include <string.h>

#include "api_int.h"
#include "bode/alloc.h"
#include "bode/buf.h"
#include "bode/csv.h"
#include "bode/job.h"
#include "bode/log.h"
#include "bode/rand.h"
#include "bode/template.h"
#include "request.h"
#include "tmpl_cache.h"

/* Rows written per job_rows.lua call: a few milliseconds of Redis each. */
#define CHUNK_ROWS 500
/* The row-error message stops listing rows past this size. */
#define ROW_ERRORS_CAP (64 * 1024)
/* Records of a job live as long as single sends' (notification.c). */
#define OPEN_SLACK_S (4 * 86400)

enum col_kind { COL_RECIPIENT, COL_PERSONALISATION, COL_IGNORED };

struct bulk_state {
    struct bode_caller caller;
    json_t *root;
    const char *name;
    const char *reference;
    char template_id[BODE_UUID_SIZE];
    char reply_to_id[BODE_UUID_SIZE];
    int64_t scheduled_for;
    const char *scheduled_text;
    const struct bode_tmpl_entry *tmpl;
    struct bode_csv table;
    enum col_kind *cols;
    size_t n_cols;
    size_t recipient_col;
    size_t n_rows; /* data rows (the header excluded) */
    size_t international;
    char job_id[BODE_UUID_SIZE];
    char key_name[128];
    char from[256];
    int64_t now;
};

static void state_release(struct bulk_state *s)
{
    json_decref(s->root);
    if (s->tmpl)
        bode_tmpl_entry_unref(s->tmpl);
    bode_csv_release(&s->table);
    bode_free(s->cols);
}

/* Notify's column key: lower case without spaces, underscores, hyphens. */
static void column_key(const char *in, char *out, size_t size)
{
    size_t o = 0;

    for (; *in && o + 1 < size; in++) {
        if (*in == ' ' || *in == '_' || *in == '-')
            continue;
        out[o++] = (*in >= 'A' && *in <= 'Z') ? (char)(*in + 32) : *in;
    }
    out[o] = '\0';
}

static bool same_column(const char *a, const char *b)
{
    char ka[256];
    char kb[256];

    column_key(a, ka, sizeof(ka));
    column_key(b, kb, sizeof(kb));
    return strcmp(ka, kb) == 0;
}

static const char *recipient_header(enum bode_channel ch)
{
    return ch == BODE_CHANNEL_EMAIL ? "email address" : "phone number";
}

static const char *const bulk_fields[] = {
    "name",          "template_id", "rows",      "csv",
    "scheduled_for", "reply_to_id", "reference", NULL,
};

static void add_error(struct bode_req_errors *e, const char *text)
{
    size_t i;

    if (e->n == BODE_REQ_MAX_ERRORS)
        return;
    for (i = 0; i < e->n; i++)
        if (strcmp(e->msg[i], text) == 0)
            return;
    snprintf(e->text[e->n], sizeof(e->text[0]), "%s", text);
    e->msg[e->n] = e->text[e->n];
    e->n++;
}

static void type_error(struct bode_req_errors *e, const char *field,
                       const json_t *v, const char *want)
{
    char value[1100];
    char text[1200];

    bode_req_repr(v, value, sizeof(value));
    snprintf(text, sizeof(text), "%s %s is not of type %s", field, value, want);
    add_error(e, text);
}

static void check_unexpected(json_t *root, struct bode_req_errors *e)
{
    struct bode_buf names;
    const char *key;
    json_t *v;
    char text[1200];
    size_t n = 0;
    size_t i;

    bode_buf_init(&names, 250);
    json_object_foreach(root, key, v)
    {
        for (i = 0; bulk_fields[i] && strcmp(bulk_fields[i], key); i++)
            ;
        if (bulk_fields[i])
            continue;
        if (bode_buf_addf(&names, "%s%s", n ? ", " : "", key))
            break;
        n++;
    }
    (void)v;
    if (n) {
        snprintf(text, sizeof(text),
                 "Additional properties are not allowed (%s %s unexpected)",
                 bode_buf_str(&names), n == 1 ? "was" : "were");
        add_error(e, text);
    }
    bode_buf_release(&names);
}

static void check_uuid_field(json_t *root, const char *field, char *out,
                             struct bode_req_errors *e)
{
    json_t *v = json_object_get(root, field);
    char text[200];

    out[0] = '\0';
    if (!v || json_is_null(v))
        return;
    if (!json_is_string(v) ||
        bode_uuid_normalize(json_string_value(v), json_string_length(v), out)) {
        snprintf(text, sizeof(text), "%s is not a valid UUID", field);
        add_error(e, text);
    }
}

/* GC Notify's post_bulk_request schema. */
static void check_schema(struct bulk_state *s, struct bode_req_errors *e)
{
    json_t *v;

    v = json_object_get(s->root, "name");
    if (!v)
        add_error(e, "name is a required property");
    else if (!json_is_string(v))
        type_error(e, "name", v, "string");
    else
        s->name = json_string_value(v);
    if (!json_object_get(s->root, "template_id"))
        add_error(e, "template_id is a required property");
    check_uuid_field(s->root, "template_id", s->template_id, e);
    check_uuid_field(s->root, "reply_to_id", s->reply_to_id, e);
    v = json_object_get(s->root, "reference");
    if (v && !json_is_null(v) && !json_is_string(v))
        type_error(e, "reference", v, "string");
    else if (v && json_is_string(v))
        s->reference = json_string_value(v);
    v = json_object_get(s->root, "rows");
    if (v && !json_is_null(v) && !json_is_array(v))
        type_error(e, "rows", v, "array, null");
    v = json_object_get(s->root, "csv");
    if (v && !json_is_null(v) && !json_is_string(v))
        type_error(e, "csv", v, "string, null");
    v = json_object_get(s->root, "scheduled_for");
    if (v && !json_is_null(v) && !json_is_string(v))
        type_error(e, "scheduled_for", v, "string, null");
    else
        bode_req_scheduled_for(v, s->now, &s->scheduled_for, &s->scheduled_text,
                               e);
    check_unexpected(s->root, e);
}

/* A JSON cell as Python's csv.writer writes it (GC Notify turns rows into
 * CSV text before reading them). */
static enum bode_err add_json_cell(struct bode_csv *t, const json_t *v)
{
    char num[64];

    switch (json_typeof(v)) {
    case JSON_STRING:
        return bode_csv_add_cell(t, json_string_value(v),
                                 json_string_length(v));
    case JSON_INTEGER:
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
                 json_integer_value(v));
        return bode_csv_add_cell(t, num, strlen(num));
    case JSON_REAL:
        snprintf(num, sizeof(num), "%.17g", json_real_value(v));
        return bode_csv_add_cell(t, num, strlen(num));
    case JSON_TRUE:
        return bode_csv_add_cell(t, "True", 4);
    case JSON_FALSE:
        return bode_csv_add_cell(t, "False", 5);
    default:
        return bode_csv_add_cell(t, "", 0);
    }
}

/* Fills s->table from rows or csv. False with resp filled. */
static bool read_table(struct bulk_state *s, struct bode_response *resp)
{
    json_t *rows = json_object_get(s->root, "rows");
    json_t *csv = json_object_get(s->root, "csv");
    bool have_rows = json_is_array(rows) && json_array_size(rows) > 0;
    bool have_csv = json_is_string(csv) && json_string_length(csv) > 0;
    json_t *row;
    json_t *cell;
    size_t i;
    size_t j;
    enum bode_err err = BODE_OK;

    if (have_rows == have_csv) {
        bode_api_fail(resp, BODE_API_E_BAD_REQUEST,
                      "You should specify either rows or csv");
        return false;
    }
    if (have_csv) {
        err = bode_csv_parse(&s->table, json_string_value(csv),
                             json_string_length(csv));
        if (err == BODE_ERR_INVALID) {
            bode_api_fail(resp, BODE_API_E_BAD_REQUEST,
                          "Error converting to CSV: unexpected end of data");
            return false;
        }
    }
    json_array_foreach(have_rows ? rows : NULL, i, row)
    {
        if (!json_is_array(row)) {
            bode_api_fail(resp, BODE_API_E_VALIDATION,
                          "rows must be an array of arrays");
            return false;
        }
        json_array_foreach(row, j, cell)
        {
            if (json_is_object(cell) || json_is_array(cell)) {
                bode_api_fail(resp, BODE_API_E_VALIDATION,
                              "rows must hold strings, numbers or null");
                return false;
            }
            if (!err)
                err = add_json_cell(&s->table, cell);
        }
        if (!err)
            err = bode_csv_end_row(&s->table);
    }
    if (err) {
        bode_api_fail(resp, BODE_API_E_INTERNAL, NULL);
        return false;
    }
    return true;
}

/* Answers GC Notify's "<prefix>: a, b" with the names sorted. */
static void fail_names(struct bode_response *resp, const char *prefix,
                       const char **names, size_t n)
{
    struct bode_buf text;
    size_t i;
    size_t j;
    const char *t;

    for (i = 1; i < n; i++)
        for (j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    bode_buf_init(&text, 32 * 1024);
    bode_buf_addf(&text, "%s: ", prefix);
    for (i = 0; i < n; i++)
        bode_buf_addf(&text, "%s%s", i ? ", " : "", names[i]);
    bode_api_fail(resp, BODE_API_E_BAD_REQUEST, bode_buf_str(&text));
    bode_buf_release(&text);
}

/* Classifies the header row: GC Notify's "Missing column headers" and
 * "Duplicate column headers". False with resp filled. */
static bool check_headers(struct bulk_state *s, struct bode_response *resp)
{
    const struct bode_tmpl *t = s->tmpl->tmpl;
    const char *want = recipient_header(s->tmpl->rec.type);
    size_t n_ph = bode_tmpl_placeholder_count(t);
    const char **names = NULL;
    size_t n_names = 0;
    size_t i;
    size_t c;
    bool ok = false;

    s->n_cols = s->table.n_rows ? bode_csv_row_len(&s->table, 0) : 0;
    s->cols = bode_calloc(s->n_cols + 1, sizeof(*s->cols));
    names = bode_calloc(s->n_cols + n_ph + 1, sizeof(*names));
    if (!s->cols || !names) {
        bode_api_fail(resp, BODE_API_E_INTERNAL, NULL);
        goto out;
    }
    s->recipient_col = s->n_cols;
    for (c = 0; c < s->n_cols; c++) {
        const char *h = bode_csv_cell(&s->table, 0, c, NULL);

        if (!same_column(h, want)) {
            s->cols[c] = COL_PERSONALISATION;
            continue;
        }
        s->cols[c] = COL_RECIPIENT;
        if (s->recipient_col == s->n_cols)
            s->recipient_col = c;
        names[n_names++] = h;
    }
    if (n_names > 1) {
        fail_names(resp, "Duplicate column headers", names, n_names);
        goto out;
    }
    n_names = 0;
    if (s->recipient_col == s->n_cols)
        names[n_names++] = want;
    for (i = 0; i < n_ph; i++) {
        const char *ph = bode_tmpl_placeholder(t, i);

        for (c = 0; c < s->n_cols; c++)
            if (s->cols[c] == COL_PERSONALISATION &&
                same_column(bode_csv_cell(&s->table, 0, c, NULL), ph))
                break;
        if (c == s->n_cols)
            names[n_names++] = ph;
    }
    if (n_names) {
        fail_names(resp, "Missing column headers", names, n_names);
        goto out;
    }
    /* A personalisation column named twice keeps its first value. */
    for (c = 0; c < s->n_cols; c++)
        for (i = 0; i < c && s->cols[c] == COL_PERSONALISATION; i++)
            if (s->cols[i] == COL_PERSONALISATION &&
                same_column(bode_csv_cell(&s->table, 0, c, NULL),
                            bode_csv_cell(&s->table, 0, i, NULL)))
                s->cols[c] = COL_IGNORED;
    s->n_rows = s->table.n_rows - 1;
    ok = true;
out:
    bode_free(names);
    return ok;
}

/* The personalisation of data row r (table row r + 1): every column but
 * the recipient, blank cells left out so the template reports them. */
static json_t *row_personalisation(const struct bulk_state *s, size_t r)
{
    json_t *o = json_object();
    size_t c;
    size_t len;
    const char *v;
    bool blank;
    size_t i;

    for (c = 0; o && c < s->n_cols; c++) {
        if (s->cols[c] != COL_PERSONALISATION)
            continue;
        v = bode_csv_cell(&s->table, r + 1, c, &len);
        for (blank = true, i = 0; i < len && blank; i++)
            blank = v[i] == ' ' || v[i] == '\t';
        if (blank)
            continue;
        if (json_object_set_new(o, bode_csv_cell(&s->table, 0, c, NULL),
                                json_stringn(v, len))) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

struct recipient {
    struct bode_email email;
    struct bode_phone phone;
    const char *to;
};

/* Validates row r's recipient with the service's permissions. */
static bool row_recipient(const struct bode_api_ctx *ctx,
                          const struct bulk_state *s, size_t r,
                          struct recipient *out)
{
    struct bode_phone_opts opts;
    unsigned perms = s->caller.service.permissions;
    size_t len;
    const char *v = bode_csv_cell(&s->table, r + 1, s->recipient_col, &len);

    if (s->tmpl->rec.type == BODE_CHANNEL_EMAIL) {
        if (bode_validate_email(v, len, &out->email))
            return false;
        out->to = out->email.address;
        return true;
    }
    opts.region = ctx->cfg->default_region;
    opts.allow_international = (perms & BODE_PERM_INTERNATIONAL_SMS) != 0;
    opts.allow_landline = (perms & BODE_PERM_SMS_TO_UK_LANDLINES) != 0;
    if (bode_validate_phone(v, len, &opts, &out->phone))
        return false;
    out->to = out->phone.e164;
    return true;
}

static void sms_opts(const struct bulk_state *s, struct bode_tmpl_opts *opts)
{
    memset(opts, 0, sizeof(*opts));
    if (s->tmpl->rec.type == BODE_CHANNEL_SMS && s->caller.service.prefix_sms)
        opts->sms_prefix = s->caller.service.name;
}

/* What is wrong with cell c of data row r, in GC Notify's words, or NULL:
 * a blank recipient or placeholder is "Missing", a bad recipient "invalid
 * recipient". Other columns are never wrong. */
static const char *cell_error(const struct bode_api_ctx *ctx,
                              const struct bulk_state *s, size_t r, size_t c,
                              struct recipient *rc)
{
    const struct bode_tmpl *t = s->tmpl->tmpl;
    const char *h = bode_csv_cell(&s->table, 0, c, NULL);
    size_t len;
    const char *v = bode_csv_cell(&s->table, r + 1, c, &len);
    bool blank = true;
    size_t k;

    for (k = 0; k < len && blank; k++)
        blank = v[k] == ' ' || v[k] == '\t';
    if (c == s->recipient_col) {
        if (blank)
            return "Missing";
        return row_recipient(ctx, s, r, rc) ? NULL : "invalid recipient";
    }
    if (s->cols[c] != COL_PERSONALISATION || !blank)
        return NULL;
    for (k = 0; k < bode_tmpl_placeholder_count(t); k++)
        if (same_column(h, bode_tmpl_placeholder(t, k)))
            return "Missing";
    return NULL;
}

/* GC Notify's checks of every row, in its order: recipients the key may
 * reach, then per-row errors ("Some rows have errors. Row N - ..."), then
 * content too long. False with resp filled. */
static bool check_rows(const struct bode_api_ctx *ctx, struct bulk_state *s,
                       struct bode_response *resp)
{
    struct bode_redis *r = bode_api_redis(ctx);
    bool restricted =
        s->caller.key_type == BODE_KEY_TEAM ||
        (s->caller.key_type == BODE_KEY_LIVE && s->caller.service.restricted);
    struct bode_buf msg;
    struct bode_tmpl_opts opts;
    struct bode_tmpl_error terr;
    struct recipient *rc = NULL;
    json_t *pers = NULL;
    size_t listed = 0;
    size_t with_errors = 0;
    size_t i;
    size_t c;
    bool member;
    bool ok = false;
    enum bode_err err;

    bode_buf_init(&msg, ROW_ERRORS_CAP + 4096);
    rc = bode_malloc(sizeof(*rc));
    if (!rc || !r) {
        bode_api_fail(resp, BODE_API_E_INTERNAL, NULL);
        goto out;
    }
    for (i = 0; restricted && i < s->n_rows; i++) {
        if (!row_recipient(ctx, s, i, rc))
            continue;
        err = bode_store_team_has(r, s->caller.service.id, rc->to, &member);
        if (err) {
            bode_api_fail_store(resp, err);
            goto out;
        }
        if (!member) {
            bode_api_fail(
                resp, BODE_API_E_BAD_REQUEST,
                s->caller.service.restricted
                    ? "You cannot send to these recipients because your "
                      "service is in trial mode. You can only send to "
                      "members of your team and your safelist."
                    : "You cannot send to these recipients because you "
                      "used a team and safelist API key.");
            goto out;
        }
    }
    bode_buf_adds(&msg, "Some rows have errors.");
    for (i = 0; i < s->n_rows; i++) {
        bool row_bad = false;

        for (c = 0; c < s->n_cols; c++) {
            const char *what = cell_error(ctx, s, i, c, rc);

            if (!what)
                continue;
            if (!row_bad) {
                with_errors++;
                if (msg.len >= ROW_ERRORS_CAP)
                    break;
                listed++;
                bode_buf_addf(&msg, " Row %zu - ", i);
            } else {
                bode_buf_addc(&msg, ',');
            }
            bode_buf_addf(&msg, "`%s`: %s",
                          bode_csv_cell(&s->table, 0, c, NULL), what);
            row_bad = true;
        }
        if (row_bad)
            bode_buf_addc(&msg, '.');
    }
    if (with_errors > listed)
        bode_buf_addf(&msg, " %zu more rows have errors.",
                      with_errors - listed);
    if (with_errors) {
        bode_api_fail(resp, BODE_API_E_BAD_REQUEST, bode_buf_str(&msg));
        goto out;
    }
    sms_opts(s, &opts);
    for (i = 0; i < s->n_rows; i++) {
        pers = row_personalisation(s, i);
        if (!pers) {
            bode_api_fail(resp, BODE_API_E_INTERNAL, NULL);
            goto out;
        }
        err = bode_tmpl_check(s->tmpl->tmpl, pers, &opts, &terr);
        json_decref(pers);
        pers = NULL;
        if (err == BODE_ERR_TOO_BIG) {
            char text[600];

            row_recipient(ctx, s, i, rc);
            snprintf(text, sizeof(text),
                     "%s. Notification to %s on row #%zu exceeds the "
                     "maximum size limit.",
                     terr.text,
                     bode_csv_cell(&s->table, i + 1, s->recipient_col, NULL),
                     i + 1);
            bode_api_fail(resp, BODE_API_E_BAD_REQUEST, text);
            goto out;
        }
        if (err && err != BODE_ERR_INVALID) {
            bode_api_fail(resp, BODE_API_E_INTERNAL, NULL);
            goto out;
        }
        if (s->tmpl->rec.type == BODE_CHANNEL_SMS &&
            row_recipient(ctx, s, i, rc) && rc->phone.international)
            s->international++;
    }
    ok = true;
out:
    json_decref(pers);
    bode_free(rc);
    bode_buf_release(&msg);
    return ok;
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
    json_t *pers = row_personalisation(s, r);
    json_t *o = NULL;
    char *pers_text = NULL;
    bool sms_channel = s->tmpl->rec.type == BODE_CHANNEL_SMS;
    enum bode_err err = BODE_OK;

    *out = NULL;
    bode_buf_init(&body, BODE_TMPL_DEFAULT_CAP);
    bode_buf_init(&subject, 64 * 1024);
    bode_buf_init(&sms, 64 * 1024);
    memset(&info, 0, sizeof(info));
    sms_opts(s, &opts);
    if (!pers || bode_rand_uuid(id) || !row_recipient(ctx, s, r, rc)) {
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

    if (s->caller.key_type == BODE_KEY_TEST)
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
    int limit = daily_limit(s);
    char text[160];
    long used = 0;
    enum bode_err err;

    if (s->n_rows == 0) {
        bode_api_fail(resp, BODE_API_E_BAD_REQUEST,
                      "There are no rows to send: the first row holds the "
                      "column headers");
        return false;
    }
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
    if (!r || bode_rand_uuid(s->job_id)) {
        bode_api_fail(resp, BODE_API_E_INTERNAL, NULL);
        return;
    }
    key_name(ctx, r, &s->caller, s->key_name, sizeof(s->key_name));
    if (s->tmpl->rec.type == BODE_CHANNEL_EMAIL)
        snprintf(s->from, sizeof(s->from), "%s@%s", svc->email_from,
                 svc->email_domain);
    else
        snprintf(s->from, sizeof(s->from), "%s", svc->sms_sender);
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
    char value[1100];
    char text[1200];

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
    if (!json_is_object(s.root)) {
        bode_req_repr(s.root, value, sizeof(value));
        snprintf(text, sizeof(text), "%s is not of type object", value);
        add_error(&errs, text);
    } else {
        check_schema(&s, &errs);
    }
    if (errs.n) {
        bode_api_fail_many(resp, BODE_API_E_VALIDATION, errs.msg, errs.n);
        goto out;
    }
    if (!read_table(&s, resp) || !check_template(ctx, &s, resp) ||
        !check_headers(&s, resp) || !check_counts(ctx, &s, resp) ||
        !check_rows(ctx, &s, resp))
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
