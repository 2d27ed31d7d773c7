/* Bode's data vocabulary: channels, key types, statuses and lanes, with
 * their Notify spellings, plus the timestamp format every API response
 * uses. Pure data; no I/O. */
#ifndef BODE_MODEL_H
#define BODE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bode/err.h"

enum bode_channel { BODE_CHANNEL_EMAIL, BODE_CHANNEL_SMS, BODE_CHANNEL__COUNT };

/* Notify's key types: "normal" on the wire and in storage, "live" in the
 * docs and the CLI. */
enum bode_key_type {
    BODE_KEY_LIVE,
    BODE_KEY_TEAM,
    BODE_KEY_TEST,
    BODE_KEY__COUNT
};

enum bode_status {
    BODE_STATUS_CREATED,
    BODE_STATUS_SENDING,
    BODE_STATUS_PENDING,
    BODE_STATUS_SENT,
    BODE_STATUS_DELIVERED,
    BODE_STATUS_PERMANENT_FAILURE,
    BODE_STATUS_TEMPORARY_FAILURE,
    BODE_STATUS_TECHNICAL_FAILURE,
    BODE_STATUS_CANCELLED,
    BODE_STATUS_VALIDATION_FAILED,
    BODE_STATUS__COUNT
};

enum bode_lane {
    BODE_LANE_PRIORITY,
    BODE_LANE_NORMAL,
    BODE_LANE_BULK,
    BODE_LANE__COUNT
};

/* "email" / "sms". Never NULL for valid values. */
const char *bode_channel_name(enum bode_channel c);
enum bode_err bode_channel_parse(const char *s, enum bode_channel *out);

/* Storage and wire name: "normal", "team", "test". */
const char *bode_key_type_name(enum bode_key_type t);
/* Accepts "normal", "live", "team", "test". */
enum bode_err bode_key_type_parse(const char *s, enum bode_key_type *out);
/* Rate-limit text: "LIVE", "TEAM", "TEST". */
const char *bode_key_type_label(enum bode_key_type t);

/* Notify's spelling, e.g. "permanent-failure". */
const char *bode_status_name(enum bode_status s);
enum bode_err bode_status_parse(const char *s, enum bode_status *out);
/* Final statuses get completed_at and never change again. */
bool bode_status_is_final(enum bode_status s);

const char *bode_lane_name(enum bode_lane l);
enum bode_err bode_lane_parse(const char *s, enum bode_lane *out);

/* Microseconds since the Unix epoch, from the real-time clock. */
int64_t bode_now_us(void);

/* Formats t (microseconds since the epoch) as Notify does:
 * YYYY-MM-DDTHH:MM:SS.ffffffZ in UTC. out needs BODE_TIME_SIZE bytes. */
#define BODE_TIME_SIZE 28
void bode_time_format(int64_t t, char out[BODE_TIME_SIZE]);

/* Parses the format above, and the ISO-8601 forms clients send
 * (YYYY-MM-DD[THH:MM[:SS[.ffffff]]][Z|+HH:MM]), into microseconds since the
 * epoch. BODE_ERR_INVALID otherwise. */
enum bode_err bode_time_parse(const char *s, int64_t *out);

#endif
