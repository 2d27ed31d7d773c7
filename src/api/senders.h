/* Private to api/: choosing the reply-to address or SMS sender of a POST
 * from email_reply_to_id / sms_sender_id, with Notify's error texts. */
#ifndef BODE_API_SENDERS_H
#define BODE_API_SENDERS_H

#include <stdbool.h>
#include <stddef.h>

#include "api_int.h"
#include "request.h"

struct bode_chosen_sender {
    char text[320];          /* SMS sender or reply-to; "" for none */
    char id[BODE_UUID_SIZE]; /* the id that chose it ("" = default) */
};

/* Fills out with the sender p names (or the service's default when it
 * names none). False with resp filled (400 BadRequestError, Notify's
 * "... does not exist in database for service id ...") when the id is
 * not one of the caller's service's, or on a Redis failure. */
bool bode_api_choose_sender(const struct bode_api_ctx *ctx,
                            const struct bode_caller *caller,
                            const struct bode_post *p,
                            struct bode_chosen_sender *out,
                            struct bode_response *resp);

#endif
