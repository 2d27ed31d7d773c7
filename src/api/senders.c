/* email_reply_to_id and sms_sender_id on POST: the chosen text is fixed at
 * accept time and stored with the notification. Must not send anything. */
#include "senders.h"

#include <stdio.h>
#include <string.h>

#include "bode/senders.h"

bool bode_api_choose_sender(const struct bode_api_ctx *ctx,
                            const struct bode_caller *caller,
                            const struct bode_post *p,
                            struct bode_chosen_sender *out,
                            struct bode_response *resp)
{
    const struct bode_service *svc = &caller->service;
    bool sms = p->channel == BODE_CHANNEL_SMS;
    const char *id = sms ? p->sms_sender_id : p->reply_to_id;
    struct bode_sender found;
    struct bode_redis *r;
    char text[300];
    enum bode_err err;

    memset(out, 0, sizeof(*out));
    if (!id[0]) {
        /* The default is mirrored into the cached service: no read. */
        snprintf(out->text, sizeof(out->text), "%s",
                 sms ? svc->sms_sender : svc->reply_to);
        return true;
    }
    r = bode_api_redis(ctx);
    err = r ? bode_store_sender_get(
                  r, sms ? BODE_SENDER_SMS : BODE_SENDER_REPLY_TO, svc->id, id,
                  &found)
            : BODE_ERR_NOMEM;
    if (err == BODE_ERR_NOT_FOUND || err == BODE_ERR_INVALID) {
        snprintf(text, sizeof(text),
                 "%s %s does not exist in database for service id %s",
                 sms ? "sms_sender_id" : "email_reply_to_id", id, svc->id);
        bode_api_fail(resp, BODE_API_E_BAD_REQUEST, text);
        return false;
    }
    if (err) {
        bode_api_fail_store(resp, err);
        return false;
    }
    snprintf(out->text, sizeof(out->text), "%s", found.value);
    snprintf(out->id, sizeof(out->id), "%s", id);
    return true;
}
