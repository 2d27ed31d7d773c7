/* The HTTP server: libmicrohttpd with an internal epoll thread pool,
 * connection limits and timeouts, capped request bodies, and access logs.
 * The only module that includes microhttpd.h. */
#ifndef BODE_HTTP_H
#define BODE_HTTP_H

#include "bode/api.h"
#include "bode/config.h"
#include "bode/err.h"

struct bode_http_server;

/* Starts listening on cfg's address and port and serving api. cfg and api
 * are borrowed and must outlive the server. Returns NULL with *err set
 * (BODE_ERR_INVALID for a bad address, BODE_ERR_IO when the port cannot be
 * bound, BODE_ERR_NOMEM) and a reason written to why. */
struct bode_http_server *bode_http_start(const struct bode_config *cfg,
                                         const struct bode_api_ctx *api,
                                         enum bode_err *err, char *why,
                                         size_t why_size);

/* The port actually bound (useful when cfg asked for port 0). */
int bode_http_port(const struct bode_http_server *s);

/* Stops accepting connections, waits up to deadline_s seconds for requests
 * in progress to finish, then closes everything and frees s. Accepts NULL.
 * Returns how many requests were still in progress at the deadline. */
int bode_http_stop(struct bode_http_server *s, int deadline_s);

#endif
