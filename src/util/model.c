/* Names and formats for Bode's data vocabulary. Must stay free of I/O. */
#include "bode/model.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bode/num.h"

static const char *const channels[BODE_CHANNEL__COUNT] = {"email", "sms"};
static const char *const key_types[BODE_KEY__COUNT] = {"normal", "team",
                                                       "test"};
static const char *const key_labels[BODE_KEY__COUNT] = {"LIVE", "TEAM", "TEST"};
static const char *const statuses[BODE_STATUS__COUNT] = {
    "created",   "sending",           "pending",           "sent",
    "delivered", "permanent-failure", "temporary-failure", "technical-failure",
    "cancelled", "validation-failed",
};
static const char *const lanes[BODE_LANE__COUNT] = {"priority", "normal",
                                                    "bulk"};

static enum bode_err find(const char *const *names, int n, const char *s,
                          int *out)
{
    int i;

    for (i = 0; i < n; i++) {
        if (strcmp(names[i], s) == 0) {
            *out = i;
            return BODE_OK;
        }
    }
    return BODE_ERR_INVALID;
}

const char *bode_channel_name(enum bode_channel c)
{
    return (unsigned)c < BODE_CHANNEL__COUNT ? channels[c] : "unknown";
}

enum bode_err bode_channel_parse(const char *s, enum bode_channel *out)
{
    int i;
    enum bode_err err = find(channels, BODE_CHANNEL__COUNT, s, &i);

    if (!err)
        *out = (enum bode_channel)i;
    return err;
}

const char *bode_key_type_name(enum bode_key_type t)
{
    return (unsigned)t < BODE_KEY__COUNT ? key_types[t] : "unknown";
}

const char *bode_key_type_label(enum bode_key_type t)
{
    return (unsigned)t < BODE_KEY__COUNT ? key_labels[t] : "UNKNOWN";
}

enum bode_err bode_key_type_parse(const char *s, enum bode_key_type *out)
{
    int i;

    if (strcmp(s, "live") == 0) {
        *out = BODE_KEY_LIVE;
        return BODE_OK;
    }
    if (find(key_types, BODE_KEY__COUNT, s, &i))
        return BODE_ERR_INVALID;
    *out = (enum bode_key_type)i;
    return BODE_OK;
}

const char *bode_status_name(enum bode_status s)
{
    return (unsigned)s < BODE_STATUS__COUNT ? statuses[s] : "unknown";
}

enum bode_err bode_status_parse(const char *s, enum bode_status *out)
{
    int i;
    enum bode_err err = find(statuses, BODE_STATUS__COUNT, s, &i);

    if (!err)
        *out = (enum bode_status)i;
    return err;
}

bool bode_status_is_final(enum bode_status s)
{
    switch (s) {
    case BODE_STATUS_CREATED:
    case BODE_STATUS_SENDING:
    case BODE_STATUS_PENDING:
        return false;
    default:
        return true;
    }
}

const char *bode_lane_name(enum bode_lane l)
{
    return (unsigned)l < BODE_LANE__COUNT ? lanes[l] : "unknown";
}

enum bode_err bode_lane_parse(const char *s, enum bode_lane *out)
{
    int i;
    enum bode_err err = find(lanes, BODE_LANE__COUNT, s, &i);

    if (!err)
        *out = (enum bode_lane)i;
    return err;
}

int64_t bode_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void bode_time_format(int64_t t, char out[BODE_TIME_SIZE])
{
    time_t secs = (time_t)(t / 1000000);
    long micros = (long)(t % 1000000);
    struct tm tm;
    char wide[96];
    char *p = out;

    if (micros < 0) {
        micros += 1000000;
        secs -= 1;
    }
    if (!gmtime_r(&secs, &tm)) {
        snprintf(out, BODE_TIME_SIZE, "1970-01-01T00:00:00.000000Z");
        return;
    }
    if (tm.tm_year < -1900 || tm.tm_year > 9999 - 1900) {
        /* Years that do not fit four digits: cut, as before. A roomy
         * buffer first: the compiler cannot prove the fields fit. */
        snprintf(wide, sizeof(wide), "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                 tm.tm_min, tm.tm_sec, micros);
        memcpy(out, wide, BODE_TIME_SIZE - 1);
        out[BODE_TIME_SIZE - 1] = '\0';
        return;
    }
    /* Digit by digit: every accept formats a time, and snprintf's format
     * parsing was the larger part of that. */
    p += bode_format_padded((unsigned long)(tm.tm_year + 1900), 4, p);
    *p++ = '-';
    p += bode_format_padded((unsigned long)(tm.tm_mon + 1), 2, p);
    *p++ = '-';
    p += bode_format_padded((unsigned long)tm.tm_mday, 2, p);
    *p++ = 'T';
    p += bode_format_padded((unsigned long)tm.tm_hour, 2, p);
    *p++ = ':';
    p += bode_format_padded((unsigned long)tm.tm_min, 2, p);
    *p++ = ':';
    p += bode_format_padded((unsigned long)tm.tm_sec, 2, p);
    *p++ = '.';
    p += bode_format_padded((unsigned long)micros, 6, p);
    *p++ = 'Z';
    *p = '\0';
}

static int digits(const char **p, int n, int *out)
{
    int v = 0;
    int i;

    for (i = 0; i < n; i++) {
        if ((*p)[i] < '0' || (*p)[i] > '9')
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

enum bode_err bode_time_parse(const char *s, int64_t *out)
{
    struct tm tm;
    const char *p = s;
    int year, mon, day, hour = 0, min = 0, sec = 0, oh, om;
    long micros = 0;
    long scale = 100000;
    long offset = 0;
    time_t secs;

    memset(&tm, 0, sizeof(tm));
    if (digits(&p, 4, &year) || *p++ != '-' || digits(&p, 2, &mon) ||
        *p++ != '-' || digits(&p, 2, &day))
        return BODE_ERR_INVALID;
    if (*p == 'T' || *p == ' ') {
        p++;
        if (digits(&p, 2, &hour) || *p++ != ':' || digits(&p, 2, &min))
            return BODE_ERR_INVALID;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &sec))
                return BODE_ERR_INVALID;
            if (*p == '.') {
                p++;
                if (*p < '0' || *p > '9')
                    return BODE_ERR_INVALID;
                for (; *p >= '0' && *p <= '9'; p++) {
                    micros += (*p - '0') * scale;
                    scale /= 10;
                }
            }
        }
    }
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        char sign = *p++;
        if (digits(&p, 2, &oh))
            return BODE_ERR_INVALID;
        if (*p == ':')
            p++;
        if (digits(&p, 2, &om) || oh > 23 || om > 59)
            return BODE_ERR_INVALID;
        offset = (oh * 3600L + om * 60L) * (sign == '+' ? 1 : -1);
    }
    if (*p || mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 ||
        min > 59 || sec > 60)
        return BODE_ERR_INVALID;
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = min;
    tm.tm_sec = sec;
    secs = timegm(&tm);
    if (tm.tm_mday != day) /* 31 February and friends */
        return BODE_ERR_INVALID;
    *out = ((int64_t)secs - offset) * 1000000 + micros;
    return BODE_OK;
}
