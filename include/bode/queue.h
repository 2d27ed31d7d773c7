/* The delivery queue: per-service lane streams read through one consumer
 * group, the claim guard, status transitions, retries and dead letters.
 * With store/, the only code that knows Redis key names and scripts.
 *
 * Streams are bode:{s:SID}:q:CHANNEL:LANE, one per service, channel and
 * lane, so one XREADGROUP COUNT n over many services takes at most n from
 * each: a flood from one service cannot hold another back for long.
 * Not thread safe with the same bode_redis. */
#ifndef BODE_QUEUE_H
#define BODE_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bode/err.h"
#include "bode/model.h"
#include "bode/redis.h"
#include "bode/store.h"
#include "bode/uuid.h"

#define BODE_QUEUE_KEY_SIZE 160

/* One stream entry: which notification of which service. */
struct bode_queue_entry {
    char stream[BODE_QUEUE_KEY_SIZE];
    char entry_id[48];
    char service_id[BODE_UUID_SIZE];
    char notification_id[BODE_UUID_SIZE];
    char status[24]; /* callback entries: the status to report */
    int attempt;     /* callback entries: 0 for the first try */
    bool probe;      /* callback entries: a probe of a paused endpoint */
};

/* Fills keys (up to max) with the lane streams of lane for every service
 * and channel, creating the consumer group "workers" on each (from the
 * beginning, so nothing queued before is missed). *n is set to how many. */
enum bode_err bode_queue_streams(struct bode_redis *r, enum bode_lane lane,
                                 char (*keys)[BODE_QUEUE_KEY_SIZE], size_t max,
                                 size_t *n);

/* XREADGROUP for consumer over keys: new entries (">"), or this
 * consumer's own pending entries when pending is true (after a restart).
 * Up to count per stream but never more than max in all, since an entry
 * Redis hands out and the caller never sees would sit pending until the
 * visibility timeout: count is lowered to fit, and with more streams than
 * max, only max streams are read, starting at *cursor (which advances so
 * every stream gets its turn; NULL starts at the first). Blocks up to
 * block_ms when block_ms > 0. Fills out and *got. */
enum bode_err bode_queue_read(struct bode_redis *r,
                              char (*keys)[BODE_QUEUE_KEY_SIZE], size_t n,
                              const char *consumer, long count, long block_ms,
                              bool pending, struct bode_queue_entry *out,
                              size_t max, size_t *cursor, size_t *got);

/* Takes over up to count entries of stream idle longer than min_idle_ms
 * (their worker died), with how often each has now been delivered in
 * deliveries (parallel to out). */
enum bode_err bode_queue_autoclaim(struct bode_redis *r, const char *stream,
                                   const char *consumer, long min_idle_ms,
                                   long count, struct bode_queue_entry *out,
                                   long *deliveries, size_t max, size_t *got);

/* Acknowledges an entry without any other change (a notification that
 * needs no work). */
enum bode_err bode_queue_ack(struct bode_redis *r,
                             const struct bode_queue_entry *e);

/* The claim guard: leases notification e for worker until now + lease_us,
 * only if it is still "created" and not leased to another live worker.
 * *claimed says whether it was; when it was, out holds the record (release
 * it with bode_notification_release); when not, skip_reason (if not NULL,
 * 32 bytes) says why. */
struct bode_notification;
enum bode_err bode_queue_claim(struct bode_redis *r,
                               const struct bode_queue_entry *e,
                               const char *worker, int64_t now,
                               int64_t lease_us, bool *claimed,
                               char *skip_reason,
                               struct bode_notification *out);

/* One result of bode_queue_claim_many. When claimed, rec holds the
 * record (the caller releases it); else skip says why, or err is set when
 * that claim failed. */
struct bode_claim {
    bool claimed;
    char skip[32];
    enum bode_err err;
    struct bode_notification rec;
};

/* Claims n entries in one pipelined round trip, each as bode_queue_claim
 * would. out has n elements. BODE_ERR_REDIS when the connection failed
 * (claims may have been made: their leases simply run out). */
enum bode_err bode_queue_claim_many(struct bode_redis *r,
                                    const struct bode_queue_entry *e, size_t n,
                                    const char *worker, int64_t now,
                                    int64_t lease_us, struct bode_claim *out);

/* A change of a notification's state. */
struct bode_transition {
    const char *service_id;
    const char *notification_id;
    const struct bode_queue_entry *entry; /* to acknowledge, or NULL */
    const char *worker;                   /* "" for receipts */
    bool retry;                           /* try again at retry_at */
    int64_t retry_at;
    enum bode_status status;  /* when not retrying */
    const char *provider;     /* NULL to keep */
    const char *provider_ref; /* NULL for none */
    int retention_days;
    bool callback;      /* queue a callback if final */
    const char *detail; /* history note, no personal data */
    int64_t now;
};

/* Applies t atomically: status only moves forward, a final status never
 * changes, the history gets a line, a final status starts the retention
 * clock and queues the callback, and the entry is acknowledged. *applied
 * (may be NULL) is false when the notification had moved on already. */
enum bode_err bode_queue_transition(struct bode_redis *r,
                                    const struct bode_transition *t,
                                    bool *applied);

/* Applies n transitions in one round trip (pipelined), each as
 * bode_queue_transition would; applied (may be NULL) gets one flag each.
 * On BODE_ERR_REDIS some may have been applied: each is safe to repeat. */
enum bode_err bode_queue_transition_many(struct bode_redis *r,
                                         const struct bode_transition *t,
                                         size_t n, bool *applied);

/* Moves up to max notifications of service sid whose retry is due back
 * onto their lanes. *moved says how many. */
enum bode_err bode_queue_promote(struct bode_redis *r, const char *sid,
                                 int64_t now, long max, size_t *moved);

/* Queues up to max notifications of service sid whose scheduled time has
 * come: scheduled single sends and the rows of due bulk jobs (a job is
 * spread over as many calls as it needs). *moved says how many. */
enum bode_err bode_queue_promote_scheduled(struct bode_redis *r,
                                           const char *sid, int64_t now,
                                           long max, size_t *moved);

/* Finds the notification a provider reference belongs to (for receipts).
 * BODE_ERR_NOT_FOUND when unknown. */
enum bode_err bode_queue_find_ref(struct bode_redis *r, const char *provider,
                                  const char *ref, char *sid, char *nid);

/* Moves entry e to its service's dead-letter stream with reason, then
 * marks the notification technical-failure and acknowledges the entry. */
enum bode_err bode_queue_dead(struct bode_redis *r,
                              const struct bode_queue_entry *e,
                              const char *reason, int retention_days,
                              bool callback, int64_t now);

/* Notify's timeout: service sid's notifications created before cutoff and
 * still sending or pending become temporary-failure (with a callback when
 * asked). Up to 200 a call; *timed_out says how many. */
enum bode_err bode_queue_timeout(struct bode_redis *r, const char *sid,
                                 int64_t cutoff, int retention_days,
                                 bool callback, int64_t now, size_t *timed_out);

/* Fills keys with every service's delivery-status callback stream,
 * creating the consumer group on each. */
enum bode_err bode_queue_callback_streams(struct bode_redis *r,
                                          char (*keys)[BODE_QUEUE_KEY_SIZE],
                                          size_t max, size_t *n);

/* Schedules callback entry e (for service sid) to be tried again at due
 * with attempt number attempt, and acknowledges e, in one step. */
enum bode_err bode_queue_callback_retry(struct bode_redis *r,
                                        const struct bode_queue_entry *e,
                                        const char *sid, int attempt,
                                        int64_t due);

/* Moves service sid's due callback retries back onto its stream. While
 * its endpoint is paused, moves instead one kept callback (marked probe)
 * when probe_us has passed since the last probe. */
enum bode_err bode_queue_callback_promote(struct bode_redis *r, const char *sid,
                                          int64_t now, long max,
                                          int64_t probe_us, size_t *moved);

/* The retry-set score of a parked callback: later than any due time. */
#define BODE_QUEUE_CALLBACK_PARKED 1000000000000000000LL

enum bode_callback_health {
    BODE_CALLBACK_FAILED, /* an attempt failed: count it, maybe pause */
    BODE_CALLBACK_OK,     /* an attempt succeeded: clear and resume */
    BODE_CALLBACK_PAUSE,  /* an operator pauses the endpoint */
    BODE_CALLBACK_RESUME, /* an operator resumes it */
};

/* Records op for service sid's callback endpoint at now in one step: a
 * failure counts towards pause_after failures in a row (0: never pause);
 * OK and RESUME clear the count, lift a pause and make every parked
 * callback due now. Sets *failures and *paused to the state after. A
 * missing service is left alone. */
enum bode_err bode_queue_callback_health(struct bode_redis *r, const char *sid,
                                         enum bode_callback_health op,
                                         int64_t now, int pause_after,
                                         long *failures, bool *paused);

/* Counts service sid's parked callbacks and those waiting for a retry. */
enum bode_err bode_queue_callback_backlog(struct bode_redis *r, const char *sid,
                                          long long *parked,
                                          long long *waiting);

/* Queue levels for metrics, summed over every service. */
struct bode_queue_levels {
    /* XLEN of the lane streams: acknowledged entries count until the
     * janitor trims them, so this is not the backlog; unread is. */
    long long depth[BODE_LANE__COUNT];
    long long unread[BODE_LANE__COUNT];       /* not yet read by any worker */
    double oldest_unread_s[BODE_LANE__COUNT]; /* since queued; 0: none */
    long long pending[BODE_LANE__COUNT];      /* handed out, not acknowledged */
    /* Age in seconds of the oldest pending entry over all services (by
     * its entry id, i.e. since it was queued); 0 when none is pending. */
    double oldest_pending_s[BODE_LANE__COUNT];
    long long retry;     /* notifications waiting for a retry */
    long long scheduled; /* waiting for their scheduled_for time */
    long long dead;      /* entries in the dead-letter streams */
    long long services;
};

/* Fills out from Redis at time now (microseconds): per service one
 * pipelined round trip of read-only commands. Lane streams that do not
 * exist yet count as empty. BODE_ERR_REDIS, BODE_ERR_NOMEM. Not thread
 * safe with the same bode_redis. */
enum bode_err bode_queue_measure(struct bode_redis *r, int64_t now,
                                 struct bode_queue_levels *out);

#endif
