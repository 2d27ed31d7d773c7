/* Notify's JSON shapes for notifications. Must emit every key Notify
 * emits, null where it does not apply. */
#include <stdio.h>
#include <string.h>

#include "api_int.h"
#include "api_serialize.h"

static json_t *time_or_null(int64_t t)
{
    char stamp[BODE_TIME_SIZE];

    if (!t)
        return json_null();
    bode_time_format(t, stamp);
    return json_string(stamp);
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

json_t *bode_api_notification_json(const struct bode_notification *n,
                                   const char *base_url)
{
    char uri[512];
    char stamp[BODE_TIME_SIZE];
    json_t *o = json_object();
    json_t *cost_details;
    bool email = n->channel == BODE_CHANNEL_EMAIL;
    bool final = bode_status_is_final(n->status);
    bool cost_ready = email || n->status != BODE_STATUS_CREATED;
    int i;

    if (!o)
        return NULL;
    bode_time_format(n->created_at, stamp);
    snprintf(uri, sizeof(uri), "%s/v2/template/%s/version/%d", base_url,
             n->template_id, n->template_version);
    json_object_set_new(o, "id", json_string(n->id));
    json_object_set_new(o, "reference", str_or_null(n->reference));
    json_object_set_new(o, "email_address",
                        email ? json_string(n->to) : json_null());
    json_object_set_new(o, "phone_number",
                        email ? json_null() : json_string(n->to));
    for (i = 1; i <= 6; i++) {
        char line[8];

        snprintf(line, sizeof(line), "line_%d", i);
        json_object_set_new(o, line, json_null());
    }
    json_object_set_new(o, "postcode", json_null());
    json_object_set_new(o, "type", json_string(bode_channel_name(n->channel)));
    json_object_set_new(o, "status", json_string(bode_status_name(n->status)));
    json_object_set_new(o, "template",
                        json_pack("{s:s, s:i, s:s}", "id", n->template_id,
                                  "version", n->template_version, "uri", uri));
    json_object_set_new(o, "body", json_string(n->body));
    json_object_set_new(o, "subject", str_or_null(n->subject));
    json_object_set_new(o, "created_at", json_string(stamp));
    json_object_set_new(o, "created_by_name", json_null());
    json_object_set_new(o, "sent_at", time_or_null(n->sent_at));
    json_object_set_new(o, "completed_at",
                        final ? time_or_null(n->updated_at) : json_null());
    json_object_set_new(o, "scheduled_for", time_or_null(n->scheduled_for));
    json_object_set_new(o, "postage", json_null());
    json_object_set_new(o, "one_click_unsubscribe_url",
                        str_or_null(n->one_click_unsubscribe_url));
    json_object_set_new(o, "is_cost_data_ready", json_boolean(cost_ready));
    if (email) {
        json_object_set_new(o, "cost_in_pounds", json_real(0.0));
        cost_details = json_object();
    } else if (cost_ready) {
        /* Bode does not bill: the figures say what Notify would count,
         * at a rate of zero. */
        json_object_set_new(o, "cost_in_pounds", json_real(0.0));
        cost_details = json_pack(
            "{s:i, s:f, s:f}", "billable_sms_fragments", n->billable_units,
            "international_rate_multiplier", 1.0, "sms_rate", 0.0);
    } else {
        json_object_set_new(o, "cost_in_pounds", json_null());
        cost_details = json_object();
    }
    json_object_set_new(o, "cost_details", cost_details);
    return o;
}
