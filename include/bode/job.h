/* Scheduled sends and bulk jobs in Redis (docs/internals/store.md, "Jobs
 * and scheduled sends"): cancelling a scheduled notification, and a bulk
 * job's life: created (daily limit taken whole), rows written in chunks,
 * committed to the scheduled set, read back with its progress, cancelled.
 *
 * Same rules as store.h: caller-owned structs, BODE_ERR_REDIS when Redis
 * fails, BODE_ERR_NOT_FOUND when the thing is absent, BODE_ERR_NOMEM. Not
 * thread safe with the same bode_redis. */
#ifndef BODE_JOB_H
#define BODE_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bode/err.h"
#include "bode/model.h"
#include "bode/redis.h"
#include "bode/uuid.h"

/* Most rows one bulk job may hold (Notify's CSV_MAX_ROWS). */
#define BODE_JOB_MAX_ROWS 50000

/* Cancels scheduled notification id of service sid if it is still waiting
 * (atomically against the promoter). BODE_OK: now `cancelled`, with
 * retention_days before it expires. BODE_ERR_CONFLICT: not waiting (never
 * scheduled, already queued, or final); status (BODE_STATUS_SIZE bytes, may
 * be NULL) gets its status. BODE_ERR_NOT_FOUND: no such notification. */
#define BODE_STATUS_SIZE 32
enum bode_err bode_store_notification_cancel(struct bode_redis *r,
                                             const char *sid, const char *id,
                                             int retention_days, int64_t now,
                                             char *status);

/* A job as created by POST /v2/notifications/bulk. Strings borrowed. */
struct bode_job_new {
    const char *id;
    const char *service_id;
    const char *name;
    const char *template_id;
    int template_version;
    enum bode_channel channel;
    enum bode_key_type key_type;
    const char *key_id;
    const char *key_name;
    const char *sender_id; /* NULL = none */
    size_t rows;           /* notification_count */
    size_t international;  /* international SMS rows */
    int64_t created_at;
    int64_t scheduled_for; /* 0 = now */
    int retention_days;
    int daily_limit;         /* 0 = not counted (test keys) */
    int international_limit; /* international texts a day */
};

enum bode_job_outcome {
    BODE_JOB_CREATED,
    BODE_JOB_DAILY_LIMITED,         /* remaining says how many fit */
    BODE_JOB_INTERNATIONAL_LIMITED, /* remaining likewise */
};

/* Sets *used to what service sid has counted against its daily limit of
 * channel on the UTC day of now (a first check; job creation checks again
 * atomically). */
enum bode_err bode_store_daily_used(struct bode_redis *r, const char *sid,
                                    enum bode_channel channel, int64_t now,
                                    long *used);

/* Writes job j's record (status `pending`, rows_inserted 0) after taking
 * j->rows from today's daily limit (and j->international from the
 * international one) in the same atomic step. A job that does not fit
 * writes nothing: *outcome says so and *remaining how many would have.
 * BODE_ERR_CONFLICT when the id exists. */
enum bode_err bode_store_job_create(struct bode_redis *r,
                                    const struct bode_job_new *j,
                                    enum bode_job_outcome *outcome,
                                    long *remaining);

/* Writes n rows starting at row number first (0-based) of job jid:
 * common_json is one JSON object of string fields every record shares,
 * rows_json a JSON array of n objects of string fields (each with "id").
 * The records, their ids on the job's list and the job's rows_inserted
 * change together. A chunk whose first row is not where rows_inserted
 * stands is not written again: BODE_ERR_CONFLICT. ttl_s: record TTL. */
enum bode_err bode_store_job_add_rows(struct bode_redis *r, const char *sid,
                                      const char *jid, size_t first,
                                      const char *common_json,
                                      const char *rows_json, long long ttl_s);

/* Commits job jid once all its rows are written: status `scheduled` when
 * scheduled (due at due), else `pending` (due now); the workers' promoter
 * queues it from then on. BODE_ERR_CONFLICT when rows are missing. */
enum bode_err bode_store_job_commit(struct bode_redis *r, const char *sid,
                                    const char *jid, int64_t due,
                                    bool scheduled, int64_t now);

/* Cancels job jid if it is still `scheduled` (atomically against the
 * promoter). BODE_ERR_CONFLICT otherwise, with status (BODE_STATUS_SIZE
 * bytes, may be NULL) set to the job's status. BODE_ERR_NOT_FOUND. */
enum bode_err bode_store_job_cancel(struct bode_redis *r, const char *sid,
                                    const char *jid, int64_t now, char *status);

struct bode_job {
    char id[BODE_UUID_SIZE];
    char service_id[BODE_UUID_SIZE];
    char *name; /* owned */
    char template_id[BODE_UUID_SIZE];
    int template_version;
    enum bode_channel channel;
    enum bode_key_type key_type;
    char key_id[BODE_UUID_SIZE];
    char key_name[128];
    char sender_id[BODE_UUID_SIZE]; /* "" = none */
    char status[BODE_STATUS_SIZE];  /* Notify's job_status words */
    long notification_count;
    long rows_inserted;
    long rows_queued;
    int64_t created_at;
    int64_t updated_at; /* 0 = never */
    int64_t scheduled_for;
    int64_t processing_started;
    int64_t processing_finished;
};

/* Frees the owned fields; accepts a zeroed struct. */
void bode_job_release(struct bode_job *j);

/* Reads job jid of service sid. */
enum bode_err bode_store_job_get(struct bode_redis *r, const char *sid,
                                 const char *jid, struct bode_job *out);

/* Counts job jid's notifications by status, reading the first n ids in
 * short slices. counts[i] is for enum bode_status i; *expired counts ids
 * whose records are gone. */
enum bode_err bode_store_job_counts(struct bode_redis *r, const char *sid,
                                    const char *jid, long n,
                                    long counts[BODE_STATUS__COUNT],
                                    long *expired);

#endif
