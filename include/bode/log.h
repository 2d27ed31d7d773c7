/* Structured logging: one JSON object per line on a file descriptor
 * (stdout by default) with ts, level, component, msg and typed fields.
 *
 * Fields whose key names a secret or personal data (authorization, token,
 * secret, password, personalisation, body, recipient, email_address,
 * phone_number, to, ...) are written as "[redacted]" whatever the caller
 * passes, so a careless call site cannot leak them. Thread safe: each line is
 * formatted on the stack and written with one write(2). */
#ifndef BODE_LOG_H
#define BODE_LOG_H

#include <stdbool.h>
#include <stddef.h>

#include "bode/err.h"

enum bode_log_level {
    BODE_LOG_DEBUG,
    BODE_LOG_INFO,
    BODE_LOG_WARN,
    BODE_LOG_ERROR,
};

enum bode_log_kind { BODE_LOG_KIND_STR, BODE_LOG_KIND_INT };

struct bode_log_field {
    const char *key;
    enum bode_log_kind kind;
    const char *str; /* borrowed; NULL is written as null */
    long long num;
};

#define BODE_LOG_S(k, v)                                                       \
    ((struct bode_log_field){.key = (k), .kind = BODE_LOG_KIND_STR, .str = (v)})
#define BODE_LOG_I(k, v)                                                       \
    ((struct bode_log_field){                                                  \
        .key = (k), .kind = BODE_LOG_KIND_INT, .num = (long long)(v)})

/* Writes one line if level is at or above the threshold. Lines longer than
 * 4 KiB are cut and marked "truncated": true. */
void bode_log_write(enum bode_log_level level, const char *msg,
                    const struct bode_log_field *fields, size_t n);

/* bode_log(level, msg, BODE_LOG_S(...), BODE_LOG_I(...), ...) */
#define bode_log(level, msg, ...)                                              \
    do {                                                                       \
        const struct bode_log_field bode_log_f_[] = {__VA_ARGS__};             \
        bode_log_write((level), (msg), bode_log_f_,                            \
                       sizeof(bode_log_f_) / sizeof(bode_log_f_[0]));          \
    } while (0)
#define bode_log_msg(level, msg) bode_log_write((level), (msg), NULL, 0)

/* Settings; call before threads start. The component is a borrowed string
 * that must outlive all logging (normally a literal). */
void bode_log_set_level(enum bode_log_level level);
void bode_log_set_fd(int fd);
void bode_log_set_component(const char *component);

/* Parses "debug", "info", "warn"/"warning" or "error" (any case).
 * BODE_ERR_INVALID for anything else. */
enum bode_err bode_log_level_parse(const char *s, enum bode_log_level *out);

/* True when key is one whose value the logger never writes. */
bool bode_log_key_is_sensitive(const char *key);

#endif
