/* Request deadlines for the HTTP server. libmicrohttpd 0.9.75 closes only
 * connections that are idle, so a client that sends one header byte a
 * second keeps its connection for ever (slowloris). Each connection gets a
 * slot here; a watchdog thread shuts down the socket of any connection
 * that has spent longer than the timeout getting a request in (headers and
 * body), counted from when the connection opened or its previous request
 * completed. Module-private to src/http. */
#ifndef BODE_HTTP_DEADLINE_H
#define BODE_HTTP_DEADLINE_H

#include <stdbool.h>
#include <stddef.h>

#include "bode/err.h"

struct deadline;
struct deadline_slot;

/* Called by the sweep for each connection it shuts down; headers says
 * whether the request's headers had not all arrived yet. */
typedef void (*deadline_expired_fn)(void *cls, bool headers);

/* A table for at most max_conns connections and a timeout of timeout_ms;
 * no thread runs until deadline_start. NULL when out of memory. */
struct deadline *deadline_new(size_t max_conns, long timeout_ms,
                              deadline_expired_fn expired, void *cls);

/* Starts the watchdog thread, which sweeps every tick_ms milliseconds.
 * BODE_ERR_IO when the thread cannot be made. */
enum bode_err deadline_start(struct deadline *d, long tick_ms);

/* Stops the thread (if started) and frees d. Accepts NULL. Every slot must
 * have been closed. */
void deadline_free(struct deadline *d);

/* Starts watching the connected socket fd, now waiting for request
 * headers. NULL when the table is full: that connection is then only
 * subject to the idle timeout. */
struct deadline_slot *deadline_open(struct deadline *d, int fd);

/* Stops watching; must be called before fd is closed, so the watchdog can
 * never shut down a reused descriptor. Accepts NULL. */
void deadline_close(struct deadline *d, struct deadline_slot *s);

/* The request's headers are in; its body may still be arriving. */
void deadline_headers_done(struct deadline_slot *s);

/* The request is whole and being answered: the deadline no longer runs. */
void deadline_answering(struct deadline_slot *s);

/* The request completed: the clock starts again for the next one on this
 * keep-alive connection. */
void deadline_next_request(struct deadline_slot *s);

/* Shuts down every connection past its deadline at now_ms (monotonic
 * milliseconds, as deadline_now_ms). Returns how many it shut down. */
size_t deadline_sweep(struct deadline *d, long long now_ms);

long long deadline_now_ms(void);

#endif
