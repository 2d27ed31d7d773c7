/* Operator functions over the queue and the store: finding and inspecting
 * notifications, queue statistics, dead letters, daily outcome counters
 * and the retention janitor. For the `bode` operator commands and the
 * worker's janitor tick; nothing on the request path uses them.
 * Not thread safe with the same bode_redis. */
#ifndef BODE_OPS_H
#define BODE_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bode/err.h"
#include "bode/model.h"
#include "bode/redis.h"
#include "bode/uuid.h"

/* One field of a raw record. */
struct bode_ops_field {
    char *name;  /* owned */
    char *value; /* owned */
};

/* One line of a notification's history. */
struct bode_ops_event {
    int64_t at;      /* microseconds */
    char status[24]; /* or "retry" */
    char *detail;    /* owned; "" when none */
};

/* A notification as stored, every field, plus its history. */
struct bode_ops_record {
    char service_id[BODE_UUID_SIZE];
    struct bode_ops_field *fields; /* sorted by name */
    size_t n_fields;
    struct bode_ops_event *history; /* oldest first */
    size_t n_history;
};

void bode_ops_record_init(struct bode_ops_record *rec);
void bode_ops_record_release(struct bode_ops_record *rec);

/* Reads notification id into rec (caller's memory, released with
 * bode_ops_record_release even on error). sid may be NULL or "": every
 * service in bode:services is tried. BODE_ERR_NOT_FOUND when no service
 * has it (expired or never existed). */
enum bode_err bode_queue_ops_record(struct bode_redis *r, const char *sid,
                                    const char *id,
                                    struct bode_ops_record *rec);

/* Queue figures for one lane, summed over services and channels. */
struct bode_ops_lane_stats {
    long long depth;          /* XLEN: entries still in the streams */
    long long pending;        /* read by a worker, not acknowledged */
    long long oldest_pending; /* age in ms of the oldest pending; 0 none */
};

struct bode_ops_queue_stats {
    struct bode_ops_lane_stats lanes[BODE_LANE__COUNT];
    long long retries;       /* waiting in retry sets */
    long long retries_due;   /* of which due now */
    long long dead;          /* dead letters */
    long long scheduled;     /* waiting for their scheduled_for time */
    long long scheduled_due; /* of which due now (not yet promoted) */
    size_t services;
};

/* Fills st from every service's streams, retry sets and dead-letter
 * streams. Reads only. now is microseconds. */
enum bode_err bode_queue_ops_stats(struct bode_redis *r, int64_t now,
                                   struct bode_ops_queue_stats *st);

/* One dead letter. */
struct bode_ops_dead {
    char service_id[BODE_UUID_SIZE];
    char entry_id[48];
    char notification_id[BODE_UUID_SIZE];
    char from[160]; /* the lane stream it came from */
    char reason[128];
    int64_t at; /* microseconds */
};

/* Lists up to max dead letters, oldest first, of service sid (NULL or ""
 * for every service). *out is a bode_malloc'd array of *n (free it with
 * bode_free; NULL when none). */
enum bode_err bode_queue_ops_dead_list(struct bode_redis *r, const char *sid,
                                       size_t max, struct bode_ops_dead **out,
                                       size_t *n);

/* Puts dead letter entry_id of service sid back on its lane in one atomic
 * step, only if its notification is still the technical-failure the dead
 * letter caused: status "created", lease and attempts cleared, history
 * line, XADD to the lane, XDEL of the dead entry. *requeued says whether
 * it was; when not, why (32 bytes, may be NULL) says why.
 * BODE_ERR_NOT_FOUND when there is no such entry. */
enum bode_err bode_queue_ops_dead_retry(struct bode_redis *r, const char *sid,
                                        const char *entry_id, int64_t now,
                                        bool *requeued, char *why);

/* Deletes dead letter entry_id of service sid. BODE_ERR_NOT_FOUND when
 * there is no such entry. */
enum bode_err bode_queue_ops_dead_drop(struct bode_redis *r, const char *sid,
                                       const char *entry_id);

/* What one janitor pass removed. */
struct bode_ops_janitor_result {
    long long index_entries;  /* listing-index members */
    long long open_entries;   /* open-set members */
    long long stream_entries; /* acknowledged stream entries trimmed */
};

/* One retention pass over every service: listing-index members older than
 * the service's retention, open-set members whose record has expired,
 * and lane and callback stream entries acknowledged and older than the
 * retention (never at or after the oldest pending or undelivered entry).
 * Works in batches of a few hundred so Redis is never held for long;
 * up to max_batches batches a set. Adds what it removed to res. */
enum bode_err bode_queue_ops_janitor(struct bode_redis *r, int64_t now,
                                     int max_batches,
                                     struct bode_ops_janitor_result *res);

/* For the worker loop: runs bode_queue_ops_janitor when *last (the
 * caller's, 0 at start) is more than five minutes before now, and then
 * sets *last. Errors other than BODE_ERR_REDIS are not reported: the
 * janitor must not stop deliveries. */
enum bode_err bode_queue_ops_janitor_tick(struct bode_redis *r, int64_t now,
                                          int64_t *last);

/* A day's outcome counters of one service: counts[channel][status] of
 * notifications that reached each final status that UTC day. */
struct bode_ops_day_stats {
    long long counts[BODE_CHANNEL__COUNT][BODE_STATUS__COUNT];
};

/* Reads service sid's counters for day (YYYY-MM-DD). A day with nothing
 * recorded gives zeros, not an error. */
enum bode_err bode_store_stats_day(struct bode_redis *r, const char *sid,
                                   const char *day,
                                   struct bode_ops_day_stats *out);

#endif
