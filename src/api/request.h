/* Private to api/: parsing and schema validation of POST notification
 * bodies, with Notify's jsonschema error texts. */
#ifndef BODE_API_REQUEST_H
#define BODE_API_REQUEST_H

#include <jansson.h>
#include <stdbool.h>

#include "bode/model.h"
#include "bode/uuid.h"
#include "bode/validate.h"

#define BODE_REQ_MAX_ERRORS 16

struct bode_req_errors {
    char text[BODE_REQ_MAX_ERRORS][1200];
    const char *msg[BODE_REQ_MAX_ERRORS];
    size_t n;
};

/* A validated POST /v2/notifications/{email,sms} body. Borrowed pointers
 * point into root, which the struct owns. */
struct bode_post {
    json_t *root;
    enum bode_channel channel;
    char template_id[BODE_UUID_SIZE];
    const char *recipient;              /* as sent */
    json_t *personalisation;            /* an object, or NULL */
    const char *reference;              /* NULL when absent or null */
    char reply_to_id[BODE_UUID_SIZE];   /* email_reply_to_id or "" */
    char sms_sender_id[BODE_UUID_SIZE]; /* "" when absent */
    const char *one_click_unsubscribe_url;
    json_t *sanitise_content_for; /* an array, or NULL */
    struct bode_email email;      /* filled for email */
    struct bode_phone phone;      /* filled for SMS */

    /* scheduled_for in microseconds (0 = send now) and as sent, for the
     * 201's echo. */
    int64_t scheduled_for;
    const char *scheduled_for_text;
};

enum bode_req_result {
    BODE_REQ_OK,
    BODE_REQ_BAD_JSON, /* BadRequestError "Invalid JSON supplied..." */
    BODE_REQ_INVALID,  /* ValidationError with errors filled */
    BODE_REQ_NOMEM,
};

/* Parses body[0..len) (empty means {}) and checks it against Notify's
 * post_email_request or post_sms_request schema, including the recipient's
 * format (phone numbers allowing international and landlines, as Notify's
 * schema does; permissions are checked later). Fills p (release it with
 * bode_post_release in every case) and, for BODE_REQ_INVALID, errs. */
enum bode_req_result bode_post_parse(enum bode_channel channel,
                                     const char *body, size_t len,
                                     const char *region, struct bode_post *p,
                                     struct bode_req_errors *errs);

void bode_post_release(struct bode_post *p);

/* Longest a send may be scheduled ahead (GC Notify's
 * JOBS_MAX_SCHEDULE_HOURS_AHEAD). */
#define BODE_SCHEDULE_MAX_HOURS 96

/* Checks a scheduled_for value (absent or null: not scheduled) with GC
 * Notify's rules and texts: an ISO 8601 date-time, not in the past, at
 * most BODE_SCHEDULE_MAX_HOURS after now. Sets *at (0 when not scheduled)
 * and *text, or adds an error to e. schedule.c. */
void bode_req_scheduled_for(const json_t *v, int64_t now, int64_t *at,
                            const char **text, struct bode_req_errors *e);

/* Python's repr() of a JSON value with quotes removed, as Notify's error
 * texts show values. Cut to size. */
void bode_req_repr(const json_t *v, char *out, size_t size);

#endif
