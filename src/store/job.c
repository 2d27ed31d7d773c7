/* Scheduled sends and bulk jobs: the Redis side of cancelling, creating,
 * filling, committing and reading jobs. Must not validate rows or render
 * anything: the API has done that. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bode/alloc.h"
#include "bode/job.h"
#include "store_int.h"

/* Ids counted per job_counts.lua call: short enough not to hold Redis. */
#define COUNT_SLICE 2000
/* A job record outlives the longest schedule, its retention and slack. */
#define JOB_SLACK_S (9 * 86400)

/* The first element of an array reply as a string, or NULL. */
static const char *code_of(const redisReply *reply)
{
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1 ||
        reply->element[0]->type != REDIS_REPLY_STRING)
        return NULL;
    return reply->element[0]->str;
}

static long long element_ll(const redisReply *reply, size_t i)
{
    const redisReply *e;

    if (reply->elements <= i)
        return 0;
    e = reply->element[i];
    if (e->type == REDIS_REPLY_INTEGER)
        return e->integer;
    if (e->type == REDIS_REPLY_STRING)
        return strtoll(e->str, NULL, 10);
    return 0;
}

static void copy_element(const redisReply *reply, size_t i, char *out,
                         size_t size)
{
    if (!out)
        return;
    out[0] = '\0';
    if (reply->elements > i && reply->element[i]->type == REDIS_REPLY_STRING)
        snprintf(out, size, "%s", reply->element[i]->str);
}

/* Runs a cancel script: "ok", "missing" (BODE_ERR_NOT_FOUND) or
 * "not_scheduled" with the status it has (BODE_ERR_CONFLICT, copied to
 * status when not NULL). */
static enum bode_err run_cancel(struct bode_redis *r, enum bode_script script,
                                int nkeys, struct bode_cmd *c, char *status)
{
    enum bode_err err;
    redisReply *reply = bode_script_run(r, script, nkeys, c, &err);
    const char *code;

    if (!reply)
        return err;
    code = code_of(reply);
    if (!code)
        err = BODE_ERR_REDIS;
    else if (strcmp(code, "missing") == 0)
        err = BODE_ERR_NOT_FOUND;
    else if (strcmp(code, "not_scheduled") == 0) {
        err = BODE_ERR_CONFLICT;
        copy_element(reply, 1, status, BODE_STATUS_SIZE);
    } else if (strcmp(code, "ok") != 0)
        err = BODE_ERR_REDIS;
    freeReplyObject(reply);
    return err;
}

enum bode_err bode_store_notification_cancel(struct bode_redis *r,
                                             const char *sid, const char *id,
                                             int retention_days, int64_t now,
                                             char *status)
{
    char record[BODE_KEY_SIZE];
    char sched[BODE_KEY_SIZE];
    char history[BODE_KEY_SIZE];
    struct bode_cmd c;

    if (status)
        status[0] = '\0';
    bode_key_notification(record, sid, id);
    bode_key_scheduled(sched, sid);
    bode_key_history(history, sid, id);
    bode_cmd_init(&c);
    bode_cmd_add(&c, record);
    bode_cmd_add(&c, sched);
    bode_cmd_add(&c, history);
    bode_cmd_addi(&c, now);
    bode_cmd_add(&c, id);
    bode_cmd_addi(&c, (long long)retention_days * 86400);
    return run_cancel(r, BODE_SCRIPT_CANCEL, 3, &c, status);
}

static long long job_ttl(int retention_days, int64_t created_at,
                         int64_t scheduled_for)
{
    long long wait_s = scheduled_for > created_at
                           ? (scheduled_for - created_at) / 1000000 + 1
                           : 0;

    return (long long)retention_days * 86400 + JOB_SLACK_S + wait_s;
}

static void day_of(int64_t us, char out[16])
{
    char stamp[BODE_TIME_SIZE];

    bode_time_format(us, stamp);
    memcpy(out, stamp, 10);
    out[10] = '\0';
}

enum bode_err bode_store_daily_used(struct bode_redis *r, const char *sid,
                                    enum bode_channel channel, int64_t now,
                                    long *used)
{
    char key[BODE_KEY_SIZE];
    char day[16];
    redisReply *reply;
    enum bode_err err;

    *used = 0;
    day_of(now, day);
    bode_key_daily(key, sid, bode_channel_name(channel), day);
    reply = bode_cmd_words(r, true, &err, "GET", key, NULL);
    if (!reply)
        return err;
    if (reply->type == REDIS_REPLY_STRING)
        *used = strtol(reply->str, NULL, 10);
    freeReplyObject(reply);
    return BODE_OK;
}

enum bode_err bode_store_job_create(struct bode_redis *r,
                                    const struct bode_job_new *j,
                                    enum bode_job_outcome *outcome,
                                    long *remaining)
{
    char job[BODE_KEY_SIZE];
    char daily[BODE_KEY_SIZE];
    char intl[BODE_KEY_SIZE];
    char day[16];
    struct bode_cmd c;
    redisReply *reply;
    const char *code;
    enum bode_err err = BODE_OK;

    *outcome = BODE_JOB_CREATED;
    *remaining = 0;
    day_of(j->created_at, day);
    bode_key_job(job, j->service_id, j->id);
    bode_key_daily(daily, j->service_id, bode_channel_name(j->channel), day);
    bode_key_daily(intl, j->service_id, "international_sms", day);
    bode_cmd_init(&c);
    bode_cmd_add(&c, job);
    bode_cmd_add(&c, daily);
    bode_cmd_add(&c, intl);
    bode_cmd_addi(&c, j->daily_limit);
    bode_cmd_addi(&c, (long long)j->rows);
    bode_cmd_addi(&c, j->international_limit);
    bode_cmd_addi(&c, (long long)j->international);
    bode_cmd_addi(&c,
                  job_ttl(j->retention_days, j->created_at, j->scheduled_for));
    bode_cmd_field(&c, "id", j->id);
    bode_cmd_field(&c, "service_id", j->service_id);
    bode_cmd_field(&c, "name", j->name);
    bode_cmd_field(&c, "template_id", j->template_id);
    bode_cmd_fieldi(&c, "template_version", j->template_version);
    bode_cmd_field(&c, "type", bode_channel_name(j->channel));
    bode_cmd_field(&c, "key_type", bode_key_type_name(j->key_type));
    bode_cmd_field(&c, "key_id", j->key_id);
    bode_cmd_field(&c, "key_name", j->key_name);
    bode_cmd_field(&c, "sender_id", j->sender_id);
    bode_cmd_field(&c, "job_status", "pending");
    bode_cmd_fieldi(&c, "notification_count", (long long)j->rows);
    bode_cmd_fieldi(&c, "rows_inserted", 0);
    bode_cmd_fieldi(&c, "rows_queued", 0);
    bode_cmd_fieldi(&c, "created_at", j->created_at);
    if (j->scheduled_for)
        bode_cmd_fieldi(&c, "scheduled_for", j->scheduled_for);
    reply = bode_script_run(r, BODE_SCRIPT_JOB_CREATE, 3, &c, &err);
    if (!reply)
        return err;
    code = code_of(reply);
    if (!code)
        err = BODE_ERR_REDIS;
    else if (strcmp(code, "exists") == 0)
        err = BODE_ERR_CONFLICT;
    else if (strcmp(code, "daily") == 0) {
        *outcome = BODE_JOB_DAILY_LIMITED;
        *remaining = (long)element_ll(reply, 1);
    } else if (strcmp(code, "daily_international") == 0) {
        *outcome = BODE_JOB_INTERNATIONAL_LIMITED;
        *remaining = (long)element_ll(reply, 1);
    } else if (strcmp(code, "ok") != 0)
        err = BODE_ERR_REDIS;
    freeReplyObject(reply);
    return err;
}

/* Runs a job script that answers "ok", refused (BODE_ERR_CONFLICT) or
 * anything else (BODE_ERR_REDIS). */
static enum bode_err run_for_code(struct bode_redis *r, enum bode_script script,
                                  int nkeys, struct bode_cmd *c,
                                  const char *refused)
{
    enum bode_err err;
    redisReply *reply = bode_script_run(r, script, nkeys, c, &err);
    const char *code;

    if (!reply)
        return err;
    code = code_of(reply);
    if (!code)
        err = BODE_ERR_REDIS;
    else if (strcmp(code, refused) == 0)
        err = BODE_ERR_CONFLICT;
    else if (strcmp(code, "ok") != 0)
        err = BODE_ERR_REDIS;
    freeReplyObject(reply);
    return err;
}

enum bode_err bode_store_job_add_rows(struct bode_redis *r, const char *sid,
                                      const char *jid, size_t first,
                                      const char *common_json,
                                      const char *rows_json, long long ttl_s)
{
    char job[BODE_KEY_SIZE];
    char ids[BODE_KEY_SIZE];
    char prefix[BODE_KEY_SIZE];
    struct bode_cmd c;

    bode_key_job(job, sid, jid);
    bode_key_job_ids(ids, sid, jid);
    bode_key_notification_prefix(prefix, sid);
    bode_cmd_init(&c);
    bode_cmd_add(&c, job);
    bode_cmd_add(&c, ids);
    bode_cmd_addi(&c, (long long)first);
    bode_cmd_addi(&c, ttl_s);
    bode_cmd_add(&c, prefix);
    bode_cmd_add(&c, common_json);
    bode_cmd_add(&c, rows_json);
    return run_for_code(r, BODE_SCRIPT_JOB_ROWS, 2, &c, "skip");
}

enum bode_err bode_store_job_commit(struct bode_redis *r, const char *sid,
                                    const char *jid, int64_t due,
                                    bool scheduled, int64_t now)
{
    char job[BODE_KEY_SIZE];
    char sched[BODE_KEY_SIZE];
    char member[BODE_UUID_SIZE + 4];
    struct bode_cmd c;

    bode_key_job(job, sid, jid);
    bode_key_scheduled(sched, sid);
    snprintf(member, sizeof(member), "j:%s", jid);
    bode_cmd_init(&c);
    bode_cmd_add(&c, job);
    bode_cmd_add(&c, sched);
    bode_cmd_addi(&c, due);
    bode_cmd_add(&c, member);
    bode_cmd_add(&c, scheduled ? "scheduled" : "pending");
    bode_cmd_addi(&c, now);
    return run_for_code(r, BODE_SCRIPT_JOB_COMMIT, 2, &c, "incomplete");
}

enum bode_err bode_store_job_cancel(struct bode_redis *r, const char *sid,
                                    const char *jid, int64_t now, char *status)
{
    char job[BODE_KEY_SIZE];
    char sched[BODE_KEY_SIZE];
    char member[BODE_UUID_SIZE + 4];
    struct bode_cmd c;

    if (status)
        status[0] = '\0';
    bode_key_job(job, sid, jid);
    bode_key_scheduled(sched, sid);
    snprintf(member, sizeof(member), "j:%s", jid);
    bode_cmd_init(&c);
    bode_cmd_add(&c, job);
    bode_cmd_add(&c, sched);
    bode_cmd_addi(&c, now);
    bode_cmd_add(&c, member);
    return run_cancel(r, BODE_SCRIPT_JOB_CANCEL, 2, &c, status);
}

void bode_job_release(struct bode_job *j)
{
    bode_free(j->name);
    memset(j, 0, sizeof(*j));
}

enum bode_err bode_store_job_get(struct bode_redis *r, const char *sid,
                                 const char *jid, struct bode_job *out)
{
    char key[BODE_KEY_SIZE];
    char word[32];
    redisReply *h;
    enum bode_err err;

    memset(out, 0, sizeof(*out));
    bode_key_job(key, sid, jid);
    err = bode_cmd_hgetall(r, key, &h);
    if (err)
        return err;
    bode_reply_copy(h, "id", out->id, sizeof(out->id));
    bode_reply_copy(h, "service_id", out->service_id, sizeof(out->service_id));
    bode_reply_copy(h, "template_id", out->template_id,
                    sizeof(out->template_id));
    bode_reply_copy(h, "key_id", out->key_id, sizeof(out->key_id));
    bode_reply_copy(h, "key_name", out->key_name, sizeof(out->key_name));
    bode_reply_copy(h, "sender_id", out->sender_id, sizeof(out->sender_id));
    bode_reply_copy(h, "job_status", out->status, sizeof(out->status));
    bode_reply_copy(h, "type", word, sizeof(word));
    if (bode_channel_parse(word, &out->channel))
        err = BODE_ERR_INVALID;
    bode_reply_copy(h, "key_type", word, sizeof(word));
    if (!err && bode_key_type_parse(word, &out->key_type))
        err = BODE_ERR_INVALID;
    out->template_version = (int)bode_reply_int(h, "template_version", 1);
    out->notification_count = (long)bode_reply_int(h, "notification_count", 0);
    out->rows_inserted = (long)bode_reply_int(h, "rows_inserted", 0);
    out->rows_queued = (long)bode_reply_int(h, "rows_queued", 0);
    out->created_at = bode_reply_int(h, "created_at", 0);
    out->updated_at = bode_reply_int(h, "updated_at", 0);
    out->scheduled_for = bode_reply_int(h, "scheduled_for", 0);
    out->processing_started = bode_reply_int(h, "processing_started", 0);
    out->processing_finished = bode_reply_int(h, "processing_finished", 0);
    if (!err)
        out->name = bode_reply_dup(h, "name", &err);
    if (!err && !out->name)
        err = BODE_ERR_INVALID;
    freeReplyObject(h);
    if (err)
        bode_job_release(out);
    return err;
}

enum bode_err bode_store_job_counts(struct bode_redis *r, const char *sid,
                                    const char *jid, long n,
                                    long counts[BODE_STATUS__COUNT],
                                    long *expired)
{
    char ids[BODE_KEY_SIZE];
    char prefix[BODE_KEY_SIZE];
    struct bode_cmd c;
    redisReply *reply;
    enum bode_status st;
    enum bode_err err = BODE_OK;
    long from;
    size_t i;

    memset(counts, 0, sizeof(long) * BODE_STATUS__COUNT);
    *expired = 0;
    bode_key_job_ids(ids, sid, jid);
    bode_key_notification_prefix(prefix, sid);
    for (from = 0; from < n && !err; from += COUNT_SLICE) {
        bode_cmd_init(&c);
        bode_cmd_add(&c, ids);
        bode_cmd_addi(&c, from);
        bode_cmd_addi(&c, from + COUNT_SLICE - 1);
        bode_cmd_add(&c, prefix);
        reply = bode_script_run(r, BODE_SCRIPT_JOB_COUNTS, 1, &c, &err);
        if (!reply)
            break;
        if (reply->type != REDIS_REPLY_ARRAY)
            err = BODE_ERR_REDIS;
        for (i = 0; !err && i + 1 < reply->elements; i += 2) {
            const redisReply *name = reply->element[i];
            long count = (long)element_ll(reply, i + 1);

            if (name->type == REDIS_REPLY_STRING &&
                !bode_status_parse(name->str, &st))
                counts[st] += count;
            else
                *expired += count;
        }
        freeReplyObject(reply);
    }
    return err;
}
