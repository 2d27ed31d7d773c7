/* JSON-lines logger. Must never allocate, never block on a lock and never
 * write a sensitive field's value. */
#include "bode/log.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 4096
/* Escaping can grow text six-fold; this keeps the fixed part of a line
 * inside LINE_MAX_BYTES. */
#define MSG_MAX_BYTES 512

static enum bode_log_level threshold = BODE_LOG_INFO;
static int out_fd = STDOUT_FILENO;
static const char *component = "bode";

static const char *const level_names[] = {"debug", "info", "warn", "error"};

static const char *const sensitive_keys[] = {
    "authorization", "token",          "secret",     "password",
    "api_key",       "apikey",         "key_secret", "personalisation",
    "body",          "content",        "subject",    "recipient",
    "email_address", "phone_number",   "to",         "message",
    "bearer_token",  "callback_token", "html",       "text",
};

bool bode_log_key_is_sensitive(const char *key)
{
    size_t i;

    for (i = 0; i < sizeof(sensitive_keys) / sizeof(sensitive_keys[0]); i++)
        if (strcasecmp(key, sensitive_keys[i]) == 0)
            return true;
    return false;
}

struct line {
    char buf[LINE_MAX_BYTES];
    size_t len;
    bool truncated;
};

/* Keeps room for the closing `,"truncated":true}\n`. */
#define LINE_RESERVE 24

static void put(struct line *l, const char *s, size_t n)
{
    size_t room = sizeof(l->buf) - LINE_RESERVE - l->len;

    if (n > room) {
        n = room;
        l->truncated = true;
    }
    memcpy(l->buf + l->len, s, n);
    l->len += n;
}

static void puts_raw(struct line *l, const char *s)
{
    put(l, s, strlen(s));
}

/* Writes s as a JSON string, reading at most max input bytes and never
 * stopping inside a UTF-8 sequence. */
static void put_json_string(struct line *l, const char *s, size_t max)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    const unsigned char *end = p + strnlen(s, max);
    char esc[6];

    if (*end)
        while (end > p && (*end & 0xc0) == 0x80)
            end--;
    put(l, "\"", 1);
    for (; p < end; p++) {
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            put(l, esc, 2);
        } else if (*p < 0x20 || *p == 0x7f) {
            esc[0] = '\\';
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[*p >> 4];
            esc[5] = hex[*p & 0xf];
            put(l, esc, 6);
        } else {
            put(l, (const char *)p, 1);
        }
    }
    put(l, "\"", 1);
}

static void put_timestamp(struct line *l)
{
    struct timespec ts;
    struct tm tm;
    char stamp[64];

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(stamp, sizeof(stamp), "\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\"",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, (ts.tv_nsec / 1000000L) % 1000);
    puts_raw(l, stamp);
}

void bode_log_write(enum bode_log_level level, const char *msg,
                    const struct bode_log_field *fields, size_t n)
{
    struct line l;
    char num[32];
    size_t i;
    ssize_t wrote;

    if (level < threshold || level > BODE_LOG_ERROR)
        return;
    l.len = 0;
    l.truncated = false;
    puts_raw(&l, "{\"ts\":");
    put_timestamp(&l);
    puts_raw(&l, ",\"level\":\"");
    puts_raw(&l, level_names[level]);
    puts_raw(&l, "\",\"component\":");
    put_json_string(&l, component, 64);
    puts_raw(&l, ",\"msg\":");
    put_json_string(&l, msg ? msg : "", MSG_MAX_BYTES);
    for (i = 0; i < n && !l.truncated; i++) {
        size_t before = l.len;

        puts_raw(&l, ",");
        put_json_string(&l, fields[i].key, 64);
        puts_raw(&l, ":");
        if (bode_log_key_is_sensitive(fields[i].key)) {
            puts_raw(&l, "\"[redacted]\"");
        } else if (fields[i].kind == BODE_LOG_KIND_INT) {
            snprintf(num, sizeof(num), "%lld", fields[i].num);
            puts_raw(&l, num);
        } else if (!fields[i].str) {
            puts_raw(&l, "null");
        } else {
            put_json_string(&l, fields[i].str, LINE_MAX_BYTES);
        }
        /* A field that does not fit is dropped whole, so the line stays
         * valid JSON. */
        if (l.truncated)
            l.len = before;
    }
    if (l.truncated) {
        memcpy(l.buf + l.len, ",\"truncated\":true", 17);
        l.len += 17;
    }
    memcpy(l.buf + l.len, "}\n", 2);
    l.len += 2;
    wrote = write(out_fd, l.buf, l.len);
    (void)wrote; /* Nowhere better to report a failing log sink. */
}

void bode_log_set_level(enum bode_log_level level)
{
    threshold = level;
}

void bode_log_set_fd(int fd)
{
    out_fd = fd;
}

void bode_log_set_component(const char *name)
{
    component = name;
}

enum bode_err bode_log_level_parse(const char *s, enum bode_log_level *out)
{
    if (strcasecmp(s, "debug") == 0)
        *out = BODE_LOG_DEBUG;
    else if (strcasecmp(s, "info") == 0)
        *out = BODE_LOG_INFO;
    else if (strcasecmp(s, "warn") == 0 || strcasecmp(s, "warning") == 0)
        *out = BODE_LOG_WARN;
    else if (strcasecmp(s, "error") == 0)
        *out = BODE_LOG_ERROR;
    else
        return BODE_ERR_INVALID;
    return BODE_OK;
}
