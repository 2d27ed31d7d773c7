/* Private to worker/: delivery-status callbacks to services, on their own
 * streams and their own curl multi handle, so a dead endpoint slows
 * neither deliveries nor other services' callbacks. */
#ifndef BODE_WORKER_CALLBACKS_H
#define BODE_WORKER_CALLBACKS_H

#include <stddef.h>
#include <stdint.h>

#include "bode/config.h"
#include "bode/redis.h"
#include "bode/secretbox.h"

struct bode_callbacks;

/* Borrows everything; r is the worker's connection (same thread). NULL
 * without memory. */
struct bode_callbacks *bode_callbacks_new(const struct bode_config *cfg,
                                          const struct bode_secretbox *box,
                                          struct bode_redis *r,
                                          const char *consumer);
void bode_callbacks_free(struct bode_callbacks *c);

/* Does what can be done without waiting: schedules due retries, reads new
 * callbacks while there is room, moves transfers along and records their
 * outcomes. When draining, only finishes what is in flight. */
void bode_callbacks_step(struct bode_callbacks *c, int64_t now, bool draining);

/* True when no callback request is in flight (the worker may then wait in
 * Redis for new work without delaying one). */
bool bode_callbacks_idle(const struct bode_callbacks *c);

size_t bode_callbacks_in_flight(const struct bode_callbacks *c);

/* Counts callback results in m (borrowed; NULL: none). */
struct bode_metrics;
void bode_callbacks_set_metrics(struct bode_callbacks *c,
                                struct bode_metrics *m);

/* The request body Notify sends for notification n with status (§7),
 * as a new string for bode_free; NULL without memory. */
struct bode_notification;
char *bode_callback_payload(const struct bode_notification *n,
                            const char *status);

#endif
