/* BODE_* settings: defaults, file, environment, validation. Must not
 * connect to anything or keep state beyond the struct it fills. */
#include "bode/config.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bode/buf.h"

enum kind { K_STR, K_INT, K_LONG, K_LEVEL, K_URL, K_REDIS, K_SECRET, K_REGION };

struct setting {
    const char *name;
    enum kind kind;
    size_t offset;
    size_t size; /* for strings: the array size */
    long min;
    long max;
    const char *help;
};

#define STR(n, f, h)                                                           \
    {                                                                          \
        n, K_STR, offsetof(struct bode_config, f),                             \
            sizeof(((struct bode_config *)0)->f), 0, 0, h                      \
    }
#define INT(n, f, lo, hi, h)                                                   \
    {                                                                          \
        n, K_INT, offsetof(struct bode_config, f), 0, lo, hi, h                \
    }

static const struct setting settings[] = {
    {"BODE_REDIS_URL", K_REDIS, offsetof(struct bode_config, redis_url),
     sizeof(((struct bode_config *)0)->redis_url), 0, 0,
     "Redis to use: redis://[:password@]host[:port][/db] or "
     "unix:///path/to/redis.sock[?db=N]"},
    {"BODE_REDIS_SOCKET", K_REDIS, offsetof(struct bode_config, redis_url),
     sizeof(((struct bode_config *)0)->redis_url), 0, 0,
     "Path of a Redis unix socket; overrides BODE_REDIS_URL"},
    INT("BODE_REDIS_TIMEOUT_MS", redis_timeout_ms, 10, 60000,
        "Redis connect and command timeout in milliseconds"),
    STR("BODE_LISTEN_ADDR", listen_addr,
        "Address the API listens on (IPv4 or IPv6 literal)"),
    INT("BODE_PORT", port, 1, 65535, "TCP port the API listens on"),
    INT("BODE_THREADS", threads, 1, 256,
        "HTTP worker threads (default: 4 per CPU, at least 16)"),
    {"BODE_LOG_LEVEL", K_LEVEL, offsetof(struct bode_config, log_level), 0, 0,
     0, "debug, info, warn or error"},
    {"BODE_BODY_LIMIT", K_LONG, offsetof(struct bode_config, body_limit), 0,
     1024, 64L * 1024 * 1024,
     "Largest request body in bytes; larger requests get 413"},
    {"BODE_PUBLIC_URL", K_URL, offsetof(struct bode_config, public_url),
     sizeof(((struct bode_config *)0)->public_url), 0, 0,
     "Public base URL used in `uri` fields, e.g. https://notify.example.org "
     "(default: from the request's Host header)"},
    INT("BODE_CONN_TIMEOUT", conn_timeout, 1, 3600,
        "Seconds an idle client connection is kept open"),
    INT("BODE_REQUEST_TIMEOUT", request_timeout, 1, 3600,
        "Seconds a client has to send a whole request (headers and body) "
        "from its request line; a request line itself gets "
        "BODE_CONN_TIMEOUT plus this; then the connection is closed"),
    INT("BODE_CONN_LIMIT", conn_limit, 1, 100000,
        "Most client connections open at once"),
    INT("BODE_PER_IP_LIMIT", per_ip_limit, 0, 100000,
        "Most connections from one client address (0 = no limit; set it at "
        "the proxy when behind one)"),
    INT("BODE_SHUTDOWN_TIMEOUT", shutdown_timeout, 1, 3600,
        "Seconds allowed for a graceful stop before work is abandoned"),
    STR("BODE_DATA_DIR", data_dir,
        "Where `bode dev` keeps its Redis data, socket and secrets"),
    {"BODE_SECRET_KEY", K_SECRET, offsetof(struct bode_config, secret_key),
     sizeof(((struct bode_config *)0)->secret_key), 0, 0,
     "Master key that seals secrets in Redis: 64 hex digits (several, "
     "comma-separated, to rotate: the first seals, all open)"},
    {"BODE_SECRET_KEY_FILE", K_SECRET,
     offsetof(struct bode_config, secret_key_file),
     sizeof(((struct bode_config *)0)->secret_key_file), 0, 0,
     "File holding the master key, used when BODE_SECRET_KEY is unset"},
    INT("BODE_WORKER_CONCURRENCY", worker_concurrency, 1, 10000,
        "Provider requests a worker keeps in flight"),
    INT("BODE_WORKER_METRICS_PORT", worker_metrics_port, 0, 65535,
        "Port of the worker's /metrics and /_status/live listener; 0 = off"),
    INT("BODE_WORKER_BATCH", worker_batch, 1, 1000,
        "Queue entries a worker reads from each stream at a time"),
    INT("BODE_VISIBILITY_TIMEOUT_MS", visibility_ms, 1000, 3600000,
        "A claimed notification whose worker is silent this long is taken "
        "over by another worker"),
    INT("BODE_MAX_DELIVERIES", max_deliveries, 1, 1000,
        "Times one queue entry may be taken over before it is moved to the "
        "dead-letter stream"),
    INT("BODE_PROVIDER_TIMEOUT_MS", provider_timeout_ms, 100, 600000,
        "Timeout of one provider request"),
    INT("BODE_RETRY_BASE_PRIORITY_S", retry_base_priority_s, 1, 86400,
        "First retry delay on the priority lane, doubling with jitter"),
    INT("BODE_RETRY_BASE_S", retry_base_s, 1, 86400,
        "First retry delay on the normal and bulk lanes, doubling with "
        "jitter"),
    INT("BODE_RETRY_WINDOW_S", retry_window_s, 1, 259200,
        "How long after creation temporary errors are retried before the "
        "notification becomes technical-failure"),
    {"BODE_CALLBACK_CA_FILE", K_SECRET,
     offsetof(struct bode_config, callback_ca_file),
     sizeof(((struct bode_config *)0)->callback_ca_file), 0, 0,
     "PEM file of the certificate authorities to trust for services' "
     "callback URLs (default: the system's)"},
    INT("BODE_CALLBACK_RETRY_S", callback_retry_s, 1, 86400,
        "Seconds between attempts of a failed delivery-status callback "
        "(5 attempts in all, as Notify)"),
    INT("BODE_CALLBACK_PAUSE_AFTER", callback_pause_after, 0, 1000000,
        "Failed callback attempts in a row after which a service's callback "
        "endpoint is paused (its callbacks kept, not sent); 0 never pauses"),
    INT("BODE_CALLBACK_PROBE_S", callback_probe_s, 1, 86400,
        "Seconds between probes of a paused callback endpoint: one kept "
        "callback is tried, and success resumes the rest"),
    STR("BODE_EMAIL_PROVIDERS", email_providers,
        "Email providers in failover order: sandbox, smtp, ses, http"),
    STR("BODE_SMS_PROVIDERS", sms_providers,
        "SMS providers in failover order: sandbox, twilio, sns, http"),
    INT("BODE_AUTH_CACHE_MS", auth_cache_ms, 0, 10000,
        "Milliseconds an API process trusts its copy of a service's keys; "
        "a revoked key stops working everywhere within this time"),
    {"BODE_DEFAULT_REGION", K_REGION,
     offsetof(struct bode_config, default_region),
     sizeof(((struct bode_config *)0)->default_region), 0, 0,
     "Country (ISO 3166 alpha-2) assumed for phone numbers without a "
     "country code"},
    INT("BODE_JWT_REPLAY_GUARD", jwt_replay_guard, 0, 1,
        "1 = accept each API token once (Bode extension; the official "
        "clients repeat a token within one second: docs/security.md); "
        "0 = off"),
};

#define N_SETTINGS (sizeof(settings) / sizeof(settings[0]))

/* Each HTTP thread spends most of a request waiting for its one Redis
 * round trip, so threads are not CPUs: with more of them, more accepts
 * reach Redis together (with appendfsync always, one fsync covers them
 * all). bench/README.md has the measurements behind 4 per CPU, at
 * least 16. */
static long default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    n = n < 1 ? 16 : 4 * n;
    if (n < 16)
        n = 16;
    return n > 256 ? 256 : n;
}

void bode_config_defaults(struct bode_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    memcpy(cfg->redis_url, "redis://127.0.0.1:6379/0",
           sizeof("redis://127.0.0.1:6379/0"));
    cfg->redis_timeout_ms = 2000;
    memcpy(cfg->listen_addr, "127.0.0.1", sizeof("127.0.0.1"));
    cfg->port = 6011;
    cfg->threads = (int)default_threads();
    cfg->log_level = BODE_LOG_INFO;
    cfg->body_limit = 4L * 1024 * 1024;
    cfg->conn_timeout = 30;
    cfg->request_timeout = 30;
    cfg->conn_limit = 1000;
    cfg->per_ip_limit = 64;
    cfg->shutdown_timeout = 10;
    memcpy(cfg->data_dir, ".bode", sizeof(".bode"));
    cfg->auth_cache_ms = 5000;
    cfg->worker_concurrency = 256;
    cfg->worker_batch = 64;
    cfg->visibility_ms = 30000;
    cfg->max_deliveries = 5;
    cfg->provider_timeout_ms = 10000;
    cfg->retry_base_priority_s = 25;
    cfg->retry_base_s = 300;
    cfg->retry_window_s = 4 * 3600;
    cfg->callback_retry_s = 300;
    cfg->callback_pause_after = 20;
    cfg->callback_probe_s = 300;
    memcpy(cfg->email_providers, "sandbox", sizeof("sandbox"));
    memcpy(cfg->sms_providers, "sandbox", sizeof("sandbox"));
    memcpy(cfg->default_region, "GB", sizeof("GB"));
}

static void fail(struct bode_config_error *e, const char *name,
                 const char *value, const char *why)
{
    snprintf(e->text, sizeof(e->text), "invalid %s \"%.80s\": %s", name, value,
             why);
}

static enum bode_err set_string(char *dst, size_t size, const char *name,
                                const char *value, struct bode_config_error *e)
{
    size_t len = strlen(value);

    if (len >= size) {
        fail(e, name, value, "too long");
        return BODE_ERR_INVALID;
    }
    memcpy(dst, value, len + 1);
    return BODE_OK;
}

static enum bode_err parse_long(const char *value, long min, long max,
                                long *out)
{
    char *end = NULL;
    long v;

    if (!*value)
        return BODE_ERR_INVALID;
    errno = 0;
    v = strtol(value, &end, 10);
    if (errno || *end || v < min || v > max)
        return BODE_ERR_INVALID;
    *out = v;
    return BODE_OK;
}

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static enum bode_err apply(struct bode_config *cfg, const struct setting *s,
                           const char *value, struct bode_config_error *e)
{
    char *field = (char *)cfg + s->offset;
    char why[96];
    long v;

    switch (s->kind) {
    case K_STR:
        if (!*value) {
            fail(e, s->name, value, "must not be empty");
            return BODE_ERR_INVALID;
        }
        return set_string(field, s->size, s->name, value, e);
    case K_REDIS:
        if (strcmp(s->name, "BODE_REDIS_SOCKET") == 0) {
            if (value[0] != '/') {
                fail(e, s->name, value, "must be an absolute path");
                return BODE_ERR_INVALID;
            }
            if (strlen(value) + sizeof("unix://") > s->size) {
                fail(e, s->name, value, "too long");
                return BODE_ERR_INVALID;
            }
            snprintf(field, s->size, "unix://%s", value);
            return BODE_OK;
        }
        if (!has_prefix(value, "redis://") && !has_prefix(value, "unix://")) {
            fail(e, s->name, value, "must start with redis:// or unix://");
            return BODE_ERR_INVALID;
        }
        return set_string(field, s->size, s->name, value, e);
    case K_URL:
        if (*value && !has_prefix(value, "http://") &&
            !has_prefix(value, "https://")) {
            fail(e, s->name, value, "must start with http:// or https://");
            return BODE_ERR_INVALID;
        }
        if (set_string(field, s->size, s->name, value, e))
            return BODE_ERR_INVALID;
        /* Clients append paths verbatim, so keep no trailing slash. */
        v = (long)strlen(field);
        while (v > 0 && field[v - 1] == '/')
            field[--v] = '\0';
        return BODE_OK;
    case K_SECRET:
        /* Never echo a secret back in an error message. */
        if (strlen(value) >= s->size) {
            snprintf(e->text, sizeof(e->text), "invalid %s: too long", s->name);
            return BODE_ERR_INVALID;
        }
        memcpy(field, value, strlen(value) + 1);
        return BODE_OK;
    case K_REGION:
        if (strlen(value) != 2 || value[0] < 'A' || value[0] > 'Z' ||
            value[1] < 'A' || value[1] > 'Z') {
            fail(e, s->name, value, "must be two capital letters, e.g. GB");
            return BODE_ERR_INVALID;
        }
        memcpy(field, value, 3);
        return BODE_OK;
    case K_LEVEL:
        if (bode_log_level_parse(value, (enum bode_log_level *)field)) {
            fail(e, s->name, value, "must be debug, info, warn or error");
            return BODE_ERR_INVALID;
        }
        return BODE_OK;
    case K_INT:
    case K_LONG:
        if (parse_long(value, s->min, s->max, &v)) {
            snprintf(why, sizeof(why), "must be a whole number from %ld to %ld",
                     s->min, s->max);
            fail(e, s->name, value, why);
            return BODE_ERR_INVALID;
        }
        if (s->kind == K_INT)
            *(int *)field = (int)v;
        else
            *(long *)field = v;
        return BODE_OK;
    }
    return BODE_ERR_INVALID;
}

/* Providers read their own settings (docs/internals/providers.md); the
 * file may hold them under these prefixes. */
static const char *const provider_prefixes[] = {
    "BODE_SMTP_", "BODE_SES_",     "BODE_SNS_", "BODE_TWILIO_",
    "BODE_HTTP_", "BODE_SANDBOX_", "BODE_AWS_",
};

static bool is_provider_setting(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(provider_prefixes) / sizeof(provider_prefixes[0]);
         i++)
        if (has_prefix(name, provider_prefixes[i]))
            return true;
    return false;
}

static enum bode_err set_extra(struct bode_config *cfg, const char *name,
                               const char *value, struct bode_config_error *e)
{
    size_t i;

    if (strlen(name) >= sizeof(cfg->extra[0].name) ||
        strlen(value) >= sizeof(cfg->extra[0].value)) {
        snprintf(e->text, sizeof(e->text), "setting %.60s is too long", name);
        return BODE_ERR_INVALID;
    }
    for (i = 0; i < cfg->n_extra; i++)
        if (strcmp(cfg->extra[i].name, name) == 0)
            break;
    if (i == sizeof(cfg->extra) / sizeof(cfg->extra[0])) {
        snprintf(e->text, sizeof(e->text), "too many provider settings");
        return BODE_ERR_INVALID;
    }
    memcpy(cfg->extra[i].name, name, strlen(name) + 1);
    memcpy(cfg->extra[i].value, value, strlen(value) + 1);
    if (i == cfg->n_extra)
        cfg->n_extra++;
    return BODE_OK;
}

const char *bode_config_get(const struct bode_config *cfg, const char *name)
{
    const char *env = getenv(name);
    size_t i;

    if (env)
        return env;
    for (i = 0; i < cfg->n_extra; i++)
        if (strcmp(cfg->extra[i].name, name) == 0)
            return cfg->extra[i].value;
    return NULL;
}

enum bode_err bode_config_set(struct bode_config *cfg, const char *name,
                              const char *value, struct bode_config_error *e)
{
    size_t i;

    for (i = 0; i < N_SETTINGS; i++)
        if (strcmp(settings[i].name, name) == 0)
            return apply(cfg, &settings[i], value, e);
    if (is_provider_setting(name))
        return set_extra(cfg, name, value, e);
    snprintf(e->text, sizeof(e->text), "unknown setting %.80s", name);
    return BODE_ERR_INVALID;
}

static char *trim(char *s)
{
    char *end;

    while (*s == ' ' || *s == '\t')
        s++;
    end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        *--end = '\0';
    return s;
}

static enum bode_err parse_line(struct bode_config *cfg, char *line,
                                const char *origin, int lineno,
                                struct bode_config_error *e)
{
    char *eq;
    char *value;
    char *name;
    size_t vlen;
    struct bode_config_error inner;

    name = trim(line);
    if (!*name || *name == '#')
        return BODE_OK;
    if (has_prefix(name, "export "))
        name = trim(name + 7);
    eq = strchr(name, '=');
    if (!eq) {
        snprintf(e->text, sizeof(e->text), "%.200s:%d: expected NAME=value",
                 origin, lineno);
        return BODE_ERR_INVALID;
    }
    *eq = '\0';
    value = eq + 1;
    name = trim(name);
    value = trim(value);
    vlen = strlen(value);
    if (vlen >= 2 && (value[0] == '"' || value[0] == '\'') &&
        value[vlen - 1] == value[0]) {
        value[vlen - 1] = '\0';
        value++;
    }
    if (bode_config_set(cfg, name, value, &inner)) {
        snprintf(e->text, sizeof(e->text), "%.100s:%d: %.200s", origin, lineno,
                 inner.text);
        return BODE_ERR_INVALID;
    }
    return BODE_OK;
}

enum bode_err bode_config_parse(struct bode_config *cfg, const char *text,
                                size_t len, const char *origin,
                                struct bode_config_error *e)
{
    char line[1024];
    size_t start = 0;
    size_t end;
    int lineno = 0;
    enum bode_err err;

    while (start < len) {
        lineno++;
        end = start;
        while (end < len && text[end] != '\n')
            end++;
        if (end - start >= sizeof(line)) {
            snprintf(e->text, sizeof(e->text), "%.200s:%d: line too long",
                     origin, lineno);
            return BODE_ERR_INVALID;
        }
        if (memchr(text + start, '\0', end - start)) {
            snprintf(e->text, sizeof(e->text), "%.200s:%d: NUL byte", origin,
                     lineno);
            return BODE_ERR_INVALID;
        }
        memcpy(line, text + start, end - start);
        line[end - start] = '\0';
        err = parse_line(cfg, line, origin, lineno, e);
        if (err)
            return err;
        start = end + 1;
    }
    return BODE_OK;
}

static enum bode_err load_file(struct bode_config *cfg, const char *path,
                               struct bode_config_error *e)
{
    FILE *f = NULL;
    struct bode_buf text;
    char chunk[4096];
    size_t n;
    enum bode_err err = BODE_OK;

    bode_buf_init(&text, 1024 * 1024);
    f = fopen(path, "r");
    if (!f) {
        snprintf(e->text, sizeof(e->text), "cannot read config file %.200s: %s",
                 path, errno == ENOENT ? "no such file" : "access denied");
        err = BODE_ERR_IO;
        goto out;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        err = bode_buf_add(&text, chunk, n);
        if (err) {
            snprintf(e->text, sizeof(e->text), "config file %.200s: %s", path,
                     bode_err_str(err));
            goto out;
        }
    }
    if (ferror(f)) {
        snprintf(e->text, sizeof(e->text), "cannot read config file %.200s",
                 path);
        err = BODE_ERR_IO;
        goto out;
    }
    err = bode_config_parse(cfg, bode_buf_str(&text), text.len, path, e);
out:
    if (f)
        fclose(f);
    bode_buf_release(&text);
    return err;
}

static const char *process_getenv(const char *name)
{
    return getenv(name);
}

enum bode_err bode_config_load(struct bode_config *cfg, const char *file,
                               bode_getenv_fn getenv_fn,
                               struct bode_config_error *e)
{
    const char *value;
    size_t i;
    enum bode_err err;

    if (!getenv_fn)
        getenv_fn = process_getenv;
    bode_config_defaults(cfg);
    if (!file)
        file = getenv_fn("BODE_CONFIG");
    if (file && *file) {
        err = load_file(cfg, file, e);
        if (err)
            return err;
    }
    for (i = 0; i < N_SETTINGS; i++) {
        value = getenv_fn(settings[i].name);
        if (!value)
            continue;
        err = apply(cfg, &settings[i], value, e);
        if (err)
            return err;
    }
    return BODE_OK;
}

void bode_config_print_help(FILE *out)
{
    size_t i;
    struct bode_config d;

    bode_config_defaults(&d);
    fputs("Settings (environment variables, or NAME=value lines in the file "
          "named by\n--config or BODE_CONFIG; the environment wins):\n",
          out);
    for (i = 0; i < N_SETTINGS; i++) {
        const struct setting *s = &settings[i];
        const char *field = (const char *)&d + s->offset;

        fprintf(out, "  %-22s %s", s->name, s->help);
        if (s->kind == K_INT && strcmp(s->name, "BODE_THREADS") != 0)
            fprintf(out, " [%d]", *(const int *)field);
        else if (s->kind == K_LONG)
            fprintf(out, " [%ld]", *(const long *)field);
        else if ((s->kind == K_STR || s->kind == K_REDIS ||
                  s->kind == K_REGION) &&
                 *field && strcmp(s->name, "BODE_REDIS_SOCKET") != 0)
            fprintf(out, " [%s]", field);
        else if (s->kind == K_LEVEL)
            fputs(" [info]", out);
        fputc('\n', out);
    }
}
