/* Checks of a bulk job's table in GC Notify's order and words: the
 * request schema, reading rows or CSV, headers, rows. Must not write to
 * Redis (it only reads the team list). */
#include <stdio.h>
#include <string.h>

#include "bode/alloc.h"
#include "bode/buf.h"
#include "bulk_int.h"

/* The row-error message stops listing rows past this size. */
#define ROW_ERRORS_CAP (64 * 1024)

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

void bode_bulk_check_schema(struct bulk_state *s, struct bode_req_errors *e)
{
    char value[1100];
    char text[1200];
    json_t *v;

    if (!json_is_object(s->root)) {
        bode_req_repr(s->root, value, sizeof(value));
        snprintf(text, sizeof(text), "%s is not of type object", value);
        add_error(e, text);
        return;
    }

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
bool bode_bulk_read_table(struct bulk_state *s, struct bode_response *resp)
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
bool bode_bulk_check_headers(struct bulk_state *s, struct bode_response *resp)
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
json_t *bode_bulk_row_personalisation(const struct bulk_state *s, size_t r)
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

/* Validates row r's recipient with the service's permissions. */
bool bode_bulk_row_recipient(const struct bode_api_ctx *ctx,
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

void bode_bulk_sms_opts(const struct bulk_state *s, struct bode_tmpl_opts *opts)
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
        return bode_bulk_row_recipient(ctx, s, r, rc) ? NULL
                                                      : "invalid recipient";
    }
    if (s->cols[c] != COL_PERSONALISATION || !blank)
        return NULL;
    for (k = 0; k < bode_tmpl_placeholder_count(t); k++)
        if (same_column(h, bode_tmpl_placeholder(t, k)))
            return "Missing";
    return NULL;
}

void bode_bulk_count_simulated(const struct bode_api_ctx *ctx,
                               struct bulk_state *s)
{
    struct recipient rc;
    size_t i;

    s->simulated = 0;
    if (s->tmpl->rec.type != BODE_CHANNEL_SMS)
        return;
    for (i = 0; i < s->n_rows; i++)
        if (bode_bulk_row_recipient(ctx, s, i, &rc) &&
            bode_validate_is_smoke_test_phone(rc.phone.e164))
            s->simulated++;
}

/* GC Notify's checks of every row, in its order: recipients the key may
 * reach, then per-row errors ("Some rows have errors. Row N - ..."), then
 * content too long. False with resp filled. */
bool bode_bulk_check_rows(const struct bode_api_ctx *ctx, struct bulk_state *s,
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
        if (!bode_bulk_row_recipient(ctx, s, i, rc))
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
    bode_bulk_sms_opts(s, &opts);
    for (i = 0; i < s->n_rows; i++) {
        pers = bode_bulk_row_personalisation(s, i);
        if (!pers) {
            bode_api_fail(resp, BODE_API_E_INTERNAL, NULL);
            goto out;
        }
        err = bode_tmpl_check(s->tmpl->tmpl, pers, &opts, &terr);
        json_decref(pers);
        pers = NULL;
        if (err == BODE_ERR_TOO_BIG) {
            char text[600];

            bode_bulk_row_recipient(ctx, s, i, rc);
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
            bode_bulk_row_recipient(ctx, s, i, rc) && rc->phone.international)
            s->international++;
    }
    /* GC Notify: a live or team key may not mix smoke-test numbers with
     * real ones in one job. */
    if (s->caller.key_type != BODE_KEY_TEST && s->simulated > 0 &&
        s->simulated < s->n_rows) {
        bode_api_fail(resp, BODE_API_E_BAD_REQUEST,
                      "Bulk sending to testing and non-testing numbers is "
                      "not supported");
        goto out;
    }
    ok = true;
out:
    json_decref(pers);
    bode_free(rc);
    bode_buf_release(&msg);
    return ok;
}
