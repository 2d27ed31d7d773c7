/* A Redis connection with timeouts and reconnection.
 *
 * This is the only public face of hiredis: modules above store/ and queue/
 * see just this opaque handle. A handle belongs to one thread at a time
 * (hiredis contexts are not thread safe); the API keeps one per HTTP thread.
 * A failed command drops the socket; the next call reconnects. The process
 * must ignore SIGPIPE (bode's main does), or a vanished server kills it. */
#ifndef BODE_REDIS_H
#define BODE_REDIS_H

#include <stdbool.h>
#include <stddef.h>

#include "bode/err.h"

struct bode_redis_addr {
    char host[256]; /* empty for a unix socket */
    int port;
    char path[256]; /* unix socket path, empty for TCP */
    int db;
    char user[64];
    char password[256];
};

/* Parses redis://[[user]:password@]host[:port][/db] (host may be [v6]) or
 * unix:///path[?db=N][&password=P]. BODE_ERR_INVALID for anything else. */
enum bode_err bode_redis_addr_parse(const char *url,
                                    struct bode_redis_addr *out);

struct bode_redis;

/* Makes a handle for url with timeout_ms for connect and each command. Does
 * not connect yet. NULL when memory runs out or the URL is invalid (callers
 * validate URLs through config first). */
struct bode_redis *bode_redis_new(const char *url, int timeout_ms);

/* Closes the connection and frees r. Accepts NULL. */
void bode_redis_free(struct bode_redis *r);

/* Connects if not connected. BODE_ERR_REDIS when the server cannot be
 * reached, refuses AUTH or SELECT. */
enum bode_err bode_redis_connect(struct bode_redis *r);

/* True while a connection is open (it may still have died unseen). */
bool bode_redis_is_connected(const struct bode_redis *r);

/* PING, reconnecting once if the connection had gone. */
enum bode_err bode_redis_ping(struct bode_redis *r);

/* Copies the server's redis_version into out (NUL-terminated, cut to
 * size). */
enum bode_err bode_redis_server_version(struct bode_redis *r, char *out,
                                        size_t size);

/* The last error's fixed description, for logs. Valid until the next call
 * on r. Never contains credentials. */
const char *bode_redis_last_error(const struct bode_redis *r);

/* This thread's own handle for url, made on first use and freed when the
 * thread exits. A call with a different url replaces the handle. NULL only
 * when memory runs out. The handle must not be passed to another thread. */
struct bode_redis *bode_redis_for_thread(const char *url, int timeout_ms);

#endif
