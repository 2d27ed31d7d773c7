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
    int request_timeout;  /* seconds to receive one request, headers and
                             body, before the connection is closed */
    int conn_limit;       /* open connections, all clients */
    int per_ip_limit;     /* open connections from one address */
    int shutdown_timeout; /* seconds allowed for a graceful stop */
    char data_dir[256];   /* bode dev's private state */
    char secret_key[160]; /* master key text (hex); "" = use the file */
    char secret_key_file[320];
    int auth_cache_ms;      /* how long a service's keys are trusted */
    char default_region[3]; /* phone numbers without a country code */
    int worker_concurrency; /* provider requests in flight per worker */
    int worker_batch;       /* entries read per stream per round */
    int visibility_ms;      /* a claimed entry idle this long is retaken */
    int max_deliveries;     /* deliveries of one entry before dead letter */
    int provider_timeout_ms;
    int worker_metrics_port; /* the worker's /metrics listener; 0 = off */
    int retry_base_priority_s;
    int retry_base_s;          /* normal and bulk lanes */
    int retry_window_s;        /* give up this long after creation */
    char email_providers[128]; /* comma-separated, in failover order */
    char sms_providers[128];
    char callback_ca_file[256]; /* extra CA for callback endpoints */
    int callback_retry_s;       /* between callback attempts */
    int jwt_replay_guard;       /* 1: each token is accepted once */
    int callback_pause_after;   /* failed attempts in a row; 0 = never */
    int callback_probe_s;       /* between probes of a paused endpoint */
    /* Provider settings (BODE_SMTP_URL, ...) from the config file; the
     * environment wins over these (bode_config_get). */
    size_t n_extra;
    struct {
        char name[48];
        char value[512];
    } extra[32];
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

/* A provider setting: the environment first, then the config file's
 * extra lines. NULL when unset. The pointer stays valid while cfg and the
 * environment are unchanged. */
const char *bode_config_get(const struct bode_config *cfg, const char *name);

/* Writes a description of every setting, its default and its meaning, for
 * --help and the README. */
void bode_config_print_help(FILE *out);

#endif
