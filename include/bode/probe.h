/* A minimal HTTP/1.0 GET over TCP for health checks, so the container image
 * needs no curl and `bode dev` can wait for its API to answer. */
#ifndef BODE_PROBE_H
#define BODE_PROBE_H

#include "bode/err.h"

/* Sends GET path to host:port (IPv4 or IPv6 literal) and stores the response
 * status code in *status. BODE_ERR_IO when nothing answers within
 * timeout_ms or the reply is not HTTP. */
enum bode_err bode_probe_get(const char *host, int port, const char *path,
                             int timeout_ms, int *status);

#endif
