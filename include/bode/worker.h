/* The delivery worker: reads lane streams, claims notifications, renders
 * them, hands them to providers on one curl multi handle with many
 * requests in flight, and records every outcome. One thread; run several
 * processes side by side.
 *
 * The owner calls bode_worker_step in a loop, then bode_worker_drain when
 * told to stop. */
#ifndef BODE_WORKER_H
#define BODE_WORKER_H

#include <stddef.h>

#include "bode/config.h"
#include "bode/err.h"
#include "bode/secretbox.h"

struct bode_worker;

/* Makes a worker named name (unique among live workers; "host:pid" is
 * usual) for cfg and box (both borrowed; they must outlive the worker),
 * with the providers cfg names. NULL with why filled when a provider's
 * settings are wrong or memory runs out. */
struct bode_worker *bode_worker_new(const struct bode_config *cfg,
                                    const struct bode_secretbox *box,
                                    const char *name, char *why,
                                    size_t why_size);

/* Frees w, abandoning anything in flight (its leases expire and other
 * workers take the notifications over). Accepts NULL. */
void bode_worker_free(struct bode_worker *w);

/* One round: promotes due retries, takes over abandoned work, reads new
 * work while there is room, and waits up to wait_ms for provider replies,
 * recording outcomes. BODE_ERR_REDIS while Redis is unreachable (the
 * worker keeps trying on later rounds). */
enum bode_err bode_worker_step(struct bode_worker *w, int wait_ms);

/* Stops taking work and finishes what is in flight, for at most
 * deadline_ms; what is still in flight then is handed back to the queue
 * to be retried. Returns how many were handed back. */
size_t bode_worker_drain(struct bode_worker *w, int deadline_ms);

/* Requests in flight now. */
size_t bode_worker_in_flight(const struct bode_worker *w);

struct bode_metrics;

/* From now on w (and its callback sender) records outcomes, provider
 * latency, hand-over time, breaker states and callbacks in m (borrowed;
 * must outlive w; NULL stops recording). */
void bode_worker_set_metrics(struct bode_worker *w, struct bode_metrics *m);

/* Registers the worker's metric families in m so they are scraped before
 * the first event. BODE_ERR_NOMEM, BODE_ERR_TOO_BIG. */
enum bode_err bode_worker_metrics_declare(struct bode_metrics *m);

#endif
