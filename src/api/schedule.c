/* Scheduled sending: GC Notify's scheduled_for rules, and the Bode
 * extension that cancels a scheduled notification before it is due. Must
 * not queue anything itself: the store's scripts decide atomically. */
#include <stdio.h>
#include <string.h>

#include "api_int.h"
#include "api_serialize.h"
#include "bode/job.h"
#include "request.h"

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

void bode_req_scheduled_for(const json_t *v, int64_t now, int64_t *at,
                            const char **text, struct bode_req_errors *e)
{
    char msg[160];
    int64_t t;

    *at = 0;
    *text = NULL;
    if (!v || !json_is_string(v))
        return;
    /* Unlike GC Notify, which drops a UTC offset without applying it, an
     * offset is honoured: "10:00-05:00" means 15:00 UTC. */
    if (bode_time_parse(json_string_value(v), &t) ||
        strlen(json_string_value(v)) != json_string_length(v)) {
        add_error(e, "scheduled_for datetime format is invalid. It must be a "
                     "valid ISO8601 date time format, "
                     "https://en.wikipedia.org/wiki/ISO_8601");
        return;
    }
    if (t < now) {
        add_error(e, "scheduled_for datetime cannot be in the past");
        return;
    }
    if (t > now + (int64_t)BODE_SCHEDULE_MAX_HOURS * 3600 * 1000000) {
        snprintf(msg, sizeof(msg),
                 "scheduled_for datetime can only be up to %d hours in the "
                 "future",
                 BODE_SCHEDULE_MAX_HOURS);
        add_error(e, msg);
        return;
    }
    *at = t;
    *text = json_string_value(v);
}

void bode_api_notification_cancel(const struct bode_api_ctx *ctx,
                                  const struct bode_request *req,
                                  const struct bode_api_params *params,
                                  struct bode_response *resp)
{
    struct bode_caller caller;
    struct bode_notification n;
    char id[BODE_UUID_SIZE];
    char status[BODE_STATUS_SIZE];
    char text[200];
    char base[600];
    struct bode_redis *r;
    enum bode_err err;

    memset(&n, 0, sizeof(n));
    if (!bode_api_authenticate(ctx, req, &caller, resp))
        return;
    if (bode_uuid_normalize(params->value[0], params->len[0], id)) {
        bode_api_fail(resp, BODE_API_E_VALIDATION,
                      "notification_id is not a valid UUID");
        return;
    }
    r = bode_api_redis(ctx);
    if (!r) {
        bode_api_fail(resp, BODE_API_E_INTERNAL, NULL);
        return;
    }
    err = bode_store_notification_cancel(r, caller.service.id, id,
                                         caller.service.retention_days,
                                         bode_now_us(), status);
    if (err == BODE_ERR_CONFLICT) {
        snprintf(text, sizeof(text),
                 "Notification cannot be cancelled: it is not waiting for "
                 "its scheduled time (status %s)",
                 status);
        bode_api_fail(resp, BODE_API_E_BAD_REQUEST, text);
        return;
    }
    if (!err)
        err = bode_store_notification_get(r, caller.service.id, id, &n);
    if (err) {
        bode_api_fail_store(resp, err);
        return;
    }
    bode_api_base_url(ctx, req, base, sizeof(base));
    bode_api_reply_json(resp, 200, bode_api_notification_json(&n, base));
    bode_notification_release(&n);
}
