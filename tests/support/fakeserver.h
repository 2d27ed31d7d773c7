/* Fake provider servers for tests: launches a Python fake from
 * tests/integration/fakes/ on a free port with a fresh record directory,
 * and runs a provider's curl handle the way the worker will. A missing
 * python3 or fake is a test failure, never a skip. */
#ifndef BODE_FAKESERVER_H
#define BODE_FAKESERVER_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

#include "bode/provider.h"

struct fake_server {
    pid_t pid;
    int port;
    char dir[256]; /* the fake's records: requests.jsonl */
    char url[64];  /* http://127.0.0.1:PORT */
};

/* Starts /usr/bin/python3 tests/integration/fakes/<script> --dir DIR
 * followed by args (NULL-terminated, may be NULL) and waits up to 10 s for
 * its "READY <port>" line. Returns 0, or -1 with a message on stderr. */
int fake_server_start(struct fake_server *f, const char *script,
                      const char *const *args);

/* Stops the fake and removes its directory. Safe to call twice. */
void fake_server_stop(struct fake_server *f);

/* Writes the path of DIR/requests.jsonl to out. */
void fake_server_records(const struct fake_server *f, char *out, size_t size);

/* Makes a fresh empty directory under /tmp into out (size >= 64).
 * Returns 0 or -1. */
int fake_tmpdir(char *out, size_t size);

/* Removes a directory made by fake_tmpdir and everything in it. */
void fake_rmdir(const char *dir);

/* Runs d->easy to completion on a curl multi handle, as the worker does:
 * the response body is appended to d->response (initialised here with the
 * worker's 64 KiB cap). Returns the CURLcode and sets *status to
 * CURLINFO_RESPONSE_CODE. */
int fake_run(struct bode_delivery *d, long *status);

/* Delivers m through p as the worker would: start, then (when start set
 * d->easy) fake_run, finish and release. timeout_ms is the worker's
 * per-request timeout. Returns start's error; *r holds the result. */
enum bode_err fake_deliver(struct bode_provider *p,
                           const struct bode_message *m, long timeout_ms,
                           struct bode_provider_result *r);

/* The records the fake has written so far: a new JSON array (never NULL;
 * empty when there are none). The caller decrefs it. */
json_t *fake_server_requests(const struct fake_server *f);

/* A bode_setting_fn over a NULL-terminated array of "NAME=value". */
const char *fake_setting(void *ctx, const char *name);

#endif
