/* Private to api/: the state of one POST /v2/notifications/bulk and the
 * checks of its table (bulk_check.c), used by bulk.c. */
#ifndef BODE_API_BULK_INT_H
#define BODE_API_BULK_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api_int.h"
#include "bode/csv.h"
#include "bode/template.h"
#include "bode/validate.h"
#include "request.h"
#include "senders.h"
#include "tmpl_cache.h"

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
    /* Text-message rows to Notify's smoke-test numbers: never sent to a
     * provider; a job of only those is not counted against the limit. */
    size_t simulated;
    char job_id[BODE_UUID_SIZE];
    char key_name[128];
    char from[256];
    /* reply_to_id resolved against the service's reply-to addresses
     * (email) or SMS senders: the text every row is sent with. */
    struct bode_chosen_sender sender;
    int64_t now;
};

struct recipient {
    struct bode_email email;
    struct bode_phone phone;
    const char *to;
};

/* GC Notify's post_bulk_request schema on s->root (any JSON value):
 * fills name, reference, template_id, reply_to_id and scheduled_for, or
 * adds errors to e. */
void bode_bulk_check_schema(struct bulk_state *s, struct bode_req_errors *e);

/* Fills s->table from `rows` or `csv` (exactly one). False with resp
 * filled ("You should specify either rows or csv", CSV errors). */
bool bode_bulk_read_table(struct bulk_state *s, struct bode_response *resp);

/* Classifies the header row against s->tmpl: GC Notify's "Missing column
 * headers" and "Duplicate column headers". Sets cols, recipient_col and
 * n_rows. False with resp filled. */
bool bode_bulk_check_headers(struct bulk_state *s, struct bode_response *resp);

/* GC Notify's checks of every row: recipients the key may reach, per-row
 * errors with row numbers, content too long. Counts international texts.
 * False with resp filled. */
bool bode_bulk_check_rows(const struct bode_api_ctx *ctx, struct bulk_state *s,
                          struct bode_response *resp);

/* The personalisation of data row r: a new object (NULL without memory). */
json_t *bode_bulk_row_personalisation(const struct bulk_state *s, size_t r);

/* Validates data row r's recipient with the service's permissions into
 * out; false when it is not a valid recipient. */
bool bode_bulk_row_recipient(const struct bode_api_ctx *ctx,
                             const struct bulk_state *s, size_t r,
                             struct recipient *out);

/* The template options for s (the service-name prefix of texts). */
/* Counts into s->simulated the text-message rows whose recipient is a
 * smoke-test number (0 for email templates). */
void bode_bulk_count_simulated(const struct bode_api_ctx *ctx,
                               struct bulk_state *s);

void bode_bulk_sms_opts(const struct bulk_state *s,
                        struct bode_tmpl_opts *opts);

#endif
