/* The delivery worker's state and one step of its loop. The command that
 * owns it calls bode_worker_step until it is told to stop. */
#ifndef BODE_WORKER_H
#define BODE_WORKER_H

#include "bode/config.h"
#include "bode/err.h"

struct bode_worker;

/* Makes a worker for cfg (borrowed; must outlive the worker). Does not
 * connect yet. NULL when memory runs out. */
struct bode_worker *bode_worker_new(const struct bode_config *cfg);

/* Frees w, closing its connections. Accepts NULL. */
void bode_worker_free(struct bode_worker *w);

/* Does one step of work: keeps the Redis connection alive, logging when it
 * is lost and regained. BODE_ERR_REDIS while Redis is unreachable (the
 * worker keeps trying on later steps). */
enum bode_err bode_worker_step(struct bode_worker *w);

#endif
