/* Request deadlines for the HTTP server. libmicrohttpd 0.9.75 closes only
 * connections that are idle, so a client that sends one header byte a
 * second keeps its connection for ever (slowloris). Each connection gets a
 * slot here; a watchdog thread shuts down the socket of any connection
 * that has spent longer than the request timeout getting a request in
 * (headers and body) since its request line arrived. Before a request
 * line, a connection gets the idle timeout (the server passes its own idle
 * timeout plus the request timeout, so libmicrohttpd closes a silent
 * keep-alive connection first and this only catches a dribbled request
 * line). Module-private to src/http. */
#ifndef BODE_HTTP_DEADLINE_H
#define BODE_HTTP_DEADLINE_H

#include <stdbool.h>
#include <stddef.h>

#include "bode/err.h"

struct deadline;
struct deadline_slot;

/* What a connection was still waiting for when its deadline passed. */
enum deadline_phase {
    DEADLINE_REQUEST_LINE,
    DEADLINE_HEADERS,
    DEADLINE_BODY,
};

/* Called by the sweep for each connection it shuts down. */
typedef void (*deadline_expired_fn)(void *cls, enum deadline_phase phase);

/* A table for at most max_conns connections: request_ms from a request
 * line to the whole request, idle_ms before a request line. No thread runs
 * until deadline_start. NULL when out of memory. */
struct deadline *deadline_new(size_t max_conns, long request_ms, long idle_ms,
                              deadline_expired_fn expired, void *cls);

/* Starts the watchdog thread, which sweeps every tick_ms milliseconds.
 * BODE_ERR_IO when the thread cannot be made. */
enum bode_err deadline_start(struct deadline *d, long tick_ms);

/* Stops the thread (if started) and frees d. Accepts NULL. Every slot must
 * have been closed. */
void deadline_free(struct deadline *d);

/* Starts watching the connected socket fd, now waiting for a request
 * line. NULL when the table is full: that connection is then only subject
 * to libmicrohttpd's idle timeout. */
struct deadline_slot *deadline_open(struct deadline *d, int fd);

/* Stops watching; must be called before fd is closed, so the watchdog can
 * never shut down a reused descriptor. Accepts NULL. */
void deadline_close(struct deadline *d, struct deadline_slot *s);

/* A request line arrived: the request timeout starts now. */
void deadline_request_line(struct deadline_slot *s);

/* The request's headers are in; its body may still be arriving. */
void deadline_headers_done(struct deadline_slot *s);

/* The request is whole and being answered: the deadline no longer runs. */
void deadline_answering(struct deadline_slot *s);

/* The request completed: the connection waits for its next request line,
 * under the idle timeout from now. */
void deadline_next_request(struct deadline_slot *s);

/* Shuts down every connection past its deadline at now_ms (monotonic
 * milliseconds, as deadline_now_ms). Returns how many it shut down. */
size_t deadline_sweep(struct deadline *d, long long now_ms);

long long deadline_now_ms(void);

#endif
