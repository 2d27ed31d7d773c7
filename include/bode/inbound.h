/* Inbound SMS in the store: which service owns which inbound number, and
 * the texts received (Notify's inbound_sms). Part of the store module: the
 * only code that knows their keys. Content is sealed with the caller's
 * secretbox, bound to the service and the text's id.
 *
 * All functions return BODE_ERR_REDIS when Redis fails and BODE_ERR_NOMEM
 * when memory runs out; none is thread safe with the same bode_redis. */
#ifndef BODE_INBOUND_H
#define BODE_INBOUND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bode/err.h"
#include "bode/redis.h"
#include "bode/secretbox.h"
#include "bode/uuid.h"

/* Numbers are E.164 digits without "+", as Notify shows them. */
#define BODE_INBOUND_NUMBER_SIZE 20

/* Writes number as E.164 digits into out: spaces, dashes, brackets and a
 * leading "+" or "00" dropped, a UK national "0..." made "44...". False
 * unless 3 to 15 digits remain. Pure. */
bool bode_inbound_number_normalise(const char *in,
                                   char out[BODE_INBOUND_NUMBER_SIZE]);

/* Gives inbound number (normalised) to service sid. BODE_ERR_CONFLICT
 * when another service has it; adding it twice is BODE_OK. */
enum bode_err bode_store_inbound_number_add(struct bode_redis *r,
                                            const char *sid,
                                            const char *number);

/* Takes number away from service sid. BODE_ERR_NOT_FOUND unless sid has
 * it. */
enum bode_err bode_store_inbound_number_remove(struct bode_redis *r,
                                               const char *sid,
                                               const char *number);

/* Fills out (up to max) with service sid's numbers, sorted; *n is how
 * many were filled. */
enum bode_err
bode_store_inbound_number_list(struct bode_redis *r, const char *sid,
                               char (*out)[BODE_INBOUND_NUMBER_SIZE],
                               size_t max, size_t *n);

/* Writes the id of the service that owns number into sid.
 * BODE_ERR_NOT_FOUND when none does. */
enum bode_err bode_store_inbound_number_owner(struct bode_redis *r,
                                              const char *number,
                                              char sid[BODE_UUID_SIZE]);

struct bode_received_text {
    char id[BODE_UUID_SIZE];
    char service_id[BODE_UUID_SIZE];
    char user_number[BODE_INBOUND_NUMBER_SIZE];   /* who sent it */
    char notify_number[BODE_INBOUND_NUMBER_SIZE]; /* the service's */
    char *content;                                /* owned, UTF-8 */
    char provider[16];   /* the webhook it came through */
    char reference[128]; /* the provider's message id, "" if none */
    int64_t created_at;  /* microseconds */
};

void bode_received_text_release(struct bode_received_text *t);

/* Stores t (content borrowed) for retention_days, indexes it and, with
 * callback, queues the service's inbound callback, in one step. When the
 * provider sent the same reference before, nothing is stored and *dup is
 * set, with t's id replaced by the first one's. */
enum bode_err bode_store_received_put(struct bode_redis *r,
                                      const struct bode_secretbox *box,
                                      struct bode_received_text *t,
                                      int retention_days, bool callback,
                                      bool *dup);

/* Reads received text id of service sid (the caller releases out). */
enum bode_err bode_store_received_get(struct bode_redis *r,
                                      const struct bode_secretbox *box,
                                      const char *sid, const char *id,
                                      struct bode_received_text *out);

/* Reads up to limit texts of service sid, newest first, older than the
 * text older_than (NULL: from the newest; an unknown id gives an empty
 * list). *out is a bode_malloc'd array of *n: release each, then free. */
enum bode_err
bode_store_received_list(struct bode_redis *r, const struct bode_secretbox *box,
                         const char *sid, const char *older_than, size_t limit,
                         struct bode_received_text **out, size_t *n);

#endif
