/* A service's email reply-to addresses and SMS senders (Notify's
 * service_email_reply_to and service_sms_senders): a list each, one of
 * them the default. Part of the store module: the only code that knows
 * their keys.
 *
 * The default's id and text are mirrored into the service hash
 * (reply_to_id/reply_to, sms_sender_id/sms_sender), so an accept that
 * names no id reads nothing beyond the cached service. All functions
 * return BODE_ERR_REDIS when Redis fails and BODE_ERR_NOMEM when memory
 * runs out; none is thread safe with the same bode_redis. */
#ifndef BODE_SENDERS_H
#define BODE_SENDERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bode/err.h"
#include "bode/redis.h"
#include "bode/uuid.h"

enum bode_sender_kind {
    BODE_SENDER_REPLY_TO, /* email reply-to addresses */
    BODE_SENDER_SMS,      /* SMS sender names or numbers */
};

/* Longest value: an email address (RFC 5321 path). */
#define BODE_SENDER_VALUE_SIZE 320
#define BODE_SENDER_MAX 64

struct bode_sender {
    char id[BODE_UUID_SIZE];
    char value[BODE_SENDER_VALUE_SIZE];
    bool is_default;    /* filled by get and list */
    int64_t created_at; /* microseconds */
};

/* Adds s (its id, value and created_at) to service sid's list of kind.
 * The first one, or any with s->is_default, becomes the default.
 * BODE_ERR_NOT_FOUND when the service does not exist. */
enum bode_err bode_store_sender_add(struct bode_redis *r,
                                    enum bode_sender_kind kind, const char *sid,
                                    const struct bode_sender *s);

/* Reads sender id of service sid into out. BODE_ERR_NOT_FOUND when the
 * service has no such sender (another service's id included). */
enum bode_err bode_store_sender_get(struct bode_redis *r,
                                    enum bode_sender_kind kind, const char *sid,
                                    const char *id, struct bode_sender *out);

/* Fills out (up to max) with service sid's senders of kind, oldest first,
 * and sets *n to how many were filled. */
enum bode_err bode_store_sender_list(struct bode_redis *r,
                                     enum bode_sender_kind kind,
                                     const char *sid, struct bode_sender *out,
                                     size_t max, size_t *n);

/* Makes sender id the default. BODE_ERR_NOT_FOUND when there is no such
 * sender or service. */
enum bode_err bode_store_sender_set_default(struct bode_redis *r,
                                            enum bode_sender_kind kind,
                                            const char *sid, const char *id);

/* Removes sender id. The default can be removed only when it is the last
 * one (Notify's rule), else BODE_ERR_CONFLICT. BODE_ERR_NOT_FOUND when
 * there is no such sender. Notifications already accepted keep the text
 * chosen for them. */
enum bode_err bode_store_sender_remove(struct bode_redis *r,
                                       enum bode_sender_kind kind,
                                       const char *sid, const char *id);

#endif
