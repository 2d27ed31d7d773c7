/* Process configuration from BODE_* environment variables and an optional
 * KEY=value file.
 *
 * Precedence, lowest first: built-in defaults, the config file (path from
 * the caller or BODE_CONFIG), then the environment. Every setting is
 * validated on load; the first bad one is described in a one-line error.
 * The result is plain data, immutable after start-up and shared freely. */
#ifndef BODE_CONFIG_H
#define BODE_CONFIG_H

#include <stdio.h>

#include "bode/err.h"
#include "bode/log.h"

struct bode_config {
    char redis_url[512];  /* redis://[:pass@]host[:port][/db] or unix:// */
    int redis_timeout_ms; /* connect and command timeout */
    char listen_addr[64]; /* IPv4 or IPv6 literal */
    int port;
    int threads; /* HTTP worker threads */
    enum bode_log_level log_level;
    long body_limit;      /* largest request body accepted, bytes */
    char public_url[512]; /* base of `uri` fields; "" = request's Host */
    int conn_timeout;     /* idle seconds before a connection is closed */
    int conn_limit;       /* open connections, all clients */
    int per_ip_limit;     /* open connections from one address */
    int shutdown_timeout; /* seconds allowed for a graceful stop */
    char data_dir[256];   /* bode dev's private state */
};

struct bode_config_error {
    char text[320];
};

typedef const char *(*bode_getenv_fn)(const char *name);

/* Fills cfg with the defaults alone. Never fails. */
void bode_config_defaults(struct bode_config *cfg);

/* Loads defaults, then file (or BODE_CONFIG when file is NULL; no file when
 * both are unset), then variables read through getenv_fn (NULL means the
 * process environment). BODE_ERR_INVALID with e->text naming the setting
 * and the problem, or BODE_ERR_IO when the file cannot be read. */
enum bode_err bode_config_load(struct bode_config *cfg, const char *file,
                               bode_getenv_fn getenv_fn,
                               struct bode_config_error *e);

/* Applies one NAME=value setting on top of cfg, validating it. Errors as
 * bode_config_load. */
enum bode_err bode_config_set(struct bode_config *cfg, const char *name,
                              const char *value, struct bode_config_error *e);

/* Parses the text of a config file: KEY=value lines, `#` comments, blank
 * lines, optional `export ` and quotes around the value. Unknown keys are
 * errors so typos do not pass silently; e->text names the line. */
enum bode_err bode_config_parse(struct bode_config *cfg, const char *text,
                                size_t len, const char *origin,
                                struct bode_config_error *e);

/* Writes a description of every setting, its default and its meaning, for
 * --help and the README. */
void bode_config_print_help(FILE *out);

#endif
