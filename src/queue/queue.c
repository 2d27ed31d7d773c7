/* Lane streams, consumer group, claim guard, transitions, retries and dead
 * letters. Must not render, send or decide retry policy: the worker does. */
#include "bode/queue.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bode/alloc.h"
#include "bode/store.h"
#include "store/store_int.h"

#define GROUP "workers"

static void copy_str(char *dst, size_t size, const redisReply *r)
{
    size_t n = r && r->type == REDIS_REPLY_STRING ? r->len : 0;

    if (n >= size)
        n = size - 1;
    if (n)
        memcpy(dst, r->str, n);
    dst[n] = '\0';
}

static enum bode_err ensure_group(struct bode_redis *r, const char *key)
{
    struct bode_cmd c;
    redisReply *reply;
    enum bode_err err;

    bode_cmd_init(&c);
    bode_cmd_add(&c, "XGROUP");
    bode_cmd_add(&c, "CREATE");
    bode_cmd_add(&c, key);
    bode_cmd_add(&c, GROUP);
    bode_cmd_add(&c, "0");
    bode_cmd_add(&c, "MKSTREAM");
    reply = bode_redis__command(r, true, c.argc, c.argv, c.len, &err);
    if (!reply)
        return err;
    /* BUSYGROUP: it exists already, which is the usual case. */
    err = reply->type == REDIS_REPLY_ERROR &&
                  strncmp(reply->str, "BUSYGROUP", 9) != 0
              ? BODE_ERR_REDIS
              : BODE_OK;
    freeReplyObject(reply);
    return err;
}

/* Fills keys with one stream per service (name made by make_key from the
 * service id and arg), creating the consumer group on each. */
static enum bode_err service_streams(
    struct bode_redis *r,
    void (*make_key)(char *out, const char *sid, int arg, const void *ctx),
    const void *ctx, int args, char (*keys)[BODE_QUEUE_KEY_SIZE], size_t max,
    size_t *n)
{
    char set[BODE_KEY_SIZE];
    redisReply *ids;
    enum bode_err err = BODE_OK;
    size_t i;
    int arg;

    *n = 0;
    bode_key_services(set);
    ids = bode_cmd_words(r, true, &err, "SMEMBERS", set, NULL);
    if (!ids)
        return err;
    for (i = 0; i < ids->elements && !err; i++) {
        for (arg = 0; arg < args && *n < max && !err; arg++) {
            make_key(keys[*n], ids->element[i]->str, arg, ctx);
            err = ensure_group(r, keys[*n]);
            if (!err)
                (*n)++;
        }
    }
    freeReplyObject(ids);
    return err;
}

static void lane_key(char *out, const char *sid, int channel, const void *lane)
{
    bode_key_lane(out, sid, bode_channel_name((enum bode_channel)channel),
                  bode_lane_name(*(const enum bode_lane *)lane));
}

static void callback_key(char *out, const char *sid, int unused,
                         const void *ctx)
{
    (void)unused;
    (void)ctx;
    bode_key_callbacks(out, sid);
}

enum bode_err bode_queue_streams(struct bode_redis *r, enum bode_lane lane,
                                 char (*keys)[BODE_QUEUE_KEY_SIZE], size_t max,
                                 size_t *n)
{
    return service_streams(r, lane_key, &lane, BODE_CHANNEL__COUNT, keys, max,
                           n);
}

/* Fills an entry from one [id, [field, value, ...]] stream element. */
static bool parse_entry(const char *stream, const redisReply *el,
                        struct bode_queue_entry *e)
{
    const redisReply *fields;

    memset(e, 0, sizeof(*e));
    if (el->type != REDIS_REPLY_ARRAY || el->elements < 2)
        return false;
    snprintf(e->stream, sizeof(e->stream), "%s", stream);
    copy_str(e->entry_id, sizeof(e->entry_id), el->element[0]);
    fields = el->element[1];
    /* A pending entry deleted from the stream has no fields. */
    if (fields->type != REDIS_REPLY_ARRAY)
        return e->entry_id[0] != '\0';
    bode_reply_copy(fields, "s", e->service_id, sizeof(e->service_id));
    bode_reply_copy(fields, "n", e->notification_id,
                    sizeof(e->notification_id));
    bode_reply_copy(fields, "status", e->status, sizeof(e->status));
    e->attempt = (int)bode_reply_int(fields, "a", 0);
    e->probe = bode_reply_int(fields, "probe", 0) == 1;
    return e->entry_id[0] != '\0';
}

enum bode_err bode_queue_read(struct bode_redis *r,
                              char (*keys)[BODE_QUEUE_KEY_SIZE], size_t n,
                              const char *consumer, long count, long block_ms,
                              bool pending, struct bode_queue_entry *out,
                              size_t max, size_t *cursor, size_t *got)
{
    const char *argv[2 * 512 + 12];
    size_t lens[2 * 512 + 12];
    char count_s[24];
    char block_s[24];
    redisReply *reply;
    enum bode_err err;
    size_t argc = 0;
    size_t i;
    size_t j;

    *got = 0;
    if (n == 0 || max == 0 || count <= 0)
        return BODE_OK;
    if (n > max) {
        size_t first = cursor ? (*cursor)++ % n : 0;

        /* A window of max streams; one that runs past the end takes the
         * last max instead, so every window is full. */
        keys += first + max <= n ? first : n - max;
        n = max;
        count = 1;
    } else if ((size_t)count * n > max) {
        count = (long)(max / n);
    }
    if (n > 512)
        n = 512;
    snprintf(count_s, sizeof(count_s), "%ld", count);
    snprintf(block_s, sizeof(block_s), "%ld", block_ms);
    argv[argc++] = "XREADGROUP";
    argv[argc++] = "GROUP";
    argv[argc++] = GROUP;
    argv[argc++] = consumer;
    argv[argc++] = "COUNT";
    argv[argc++] = count_s;
    if (block_ms > 0) {
        argv[argc++] = "BLOCK";
        argv[argc++] = block_s;
    }
    argv[argc++] = "STREAMS";
    for (i = 0; i < n; i++)
        argv[argc++] = keys[i];
    for (i = 0; i < n; i++)
        argv[argc++] = pending ? "0" : ">";
    for (i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    reply = bode_redis__command(r, false, (int)argc, argv, lens, &err);
    if (!reply)
        return err;
    if (reply->type == REDIS_REPLY_ERROR) {
        freeReplyObject(reply);
        return BODE_ERR_REDIS;
    }
    /* Nil when nothing arrived; else [[stream, [entries...]], ...]. */
    for (i = 0; reply->type == REDIS_REPLY_ARRAY && i < reply->elements; i++) {
        const redisReply *s = reply->element[i];

        if (s->type != REDIS_REPLY_ARRAY || s->elements != 2 ||
            s->element[1]->type != REDIS_REPLY_ARRAY)
            continue;
        for (j = 0; j < s->element[1]->elements && *got < max; j++)
            if (parse_entry(s->element[0]->str, s->element[1]->element[j],
                            &out[*got]))
                (*got)++;
    }
    freeReplyObject(reply);
    return BODE_OK;
}

static long delivery_count(struct bode_redis *r, const char *stream,
                           const char *id)
{
    redisReply *reply;
    enum bode_err err;
    long n = 0;

    reply = bode_cmd_words(r, true, &err, "XPENDING", stream, GROUP, id, id,
                           "1", NULL);
    if (!reply)
        return 0;
    if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 1 &&
        reply->element[0]->type == REDIS_REPLY_ARRAY &&
        reply->element[0]->elements == 4)
        n = (long)reply->element[0]->element[3]->integer;
    freeReplyObject(reply);
    return n;
}

enum bode_err bode_queue_autoclaim(struct bode_redis *r, const char *stream,
                                   const char *consumer, long min_idle_ms,
                                   long count, struct bode_queue_entry *out,
                                   long *deliveries, size_t max, size_t *got)
{
    struct bode_cmd c;
    redisReply *reply;
    const redisReply *list;
    enum bode_err err;
    size_t i;

    *got = 0;
    bode_cmd_init(&c);
    bode_cmd_add(&c, "XAUTOCLAIM");
    bode_cmd_add(&c, stream);
    bode_cmd_add(&c, GROUP);
    bode_cmd_add(&c, consumer);
    bode_cmd_addi(&c, min_idle_ms);
    bode_cmd_add(&c, "0-0");
    bode_cmd_add(&c, "COUNT");
    bode_cmd_addi(&c, count);
    reply = bode_cmd_run(r, &c, false, &err);
    if (!reply)
        return err;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2) {
        freeReplyObject(reply);
        return BODE_ERR_REDIS;
    }
    list = reply->element[1];
    for (i = 0;
         list->type == REDIS_REPLY_ARRAY && i < list->elements && *got < max;
         i++) {
        if (!parse_entry(stream, list->element[i], &out[*got]))
            continue;
        deliveries[*got] = delivery_count(r, stream, out[*got].entry_id);
        (*got)++;
    }
    freeReplyObject(reply);
    return BODE_OK;
}

enum bode_err bode_queue_ack(struct bode_redis *r,
                             const struct bode_queue_entry *e)
{
    redisReply *reply;
    enum bode_err err;

    reply = bode_cmd_words(r, true, &err, "XACK", e->stream, GROUP, e->entry_id,
                           NULL);
    if (!reply)
        return err;
    freeReplyObject(reply);
    return BODE_OK;
}

static void claim_cmd(const struct bode_queue_entry *e, const char *worker,
                      int64_t now, int64_t lease_us, char *record,
                      struct bode_cmd *c)
{
    bode_key_notification(record, e->service_id, e->notification_id);
    bode_cmd_init(c);
    bode_cmd_add(c, record);
    bode_cmd_addi(c, now);
    bode_cmd_addi(c, lease_us);
    bode_cmd_add(c, worker);
}

/* Reads claim.lua's answer: {"ok", record} or {"skip", reason}. */
static enum bode_err claim_result(const redisReply *reply, bool *claimed,
                                  char *skip_reason,
                                  struct bode_notification *out)
{
    enum bode_err err = BODE_OK;

    *claimed = false;
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements < 1 ||
        reply->element[0]->type != REDIS_REPLY_STRING)
        return BODE_ERR_REDIS;
    *claimed = strcmp(reply->element[0]->str, "ok") == 0;
    if (*claimed && reply->elements == 2) {
        err = bode_store__fill_notification(reply->element[1], out);
        if (err)
            *claimed = false;
    }
    if (!*claimed && skip_reason)
        copy_str(skip_reason, 32,
                 reply->elements > 1 ? reply->element[1] : NULL);
    return err;
}

enum bode_err bode_queue_claim(struct bode_redis *r,
                               const struct bode_queue_entry *e,
                               const char *worker, int64_t now,
                               int64_t lease_us, bool *claimed,
                               char *skip_reason, struct bode_notification *out)
{
    char record[BODE_KEY_SIZE];
    struct bode_cmd c;
    redisReply *reply;
    enum bode_err err;

    *claimed = false;
    claim_cmd(e, worker, now, lease_us, record, &c);
    reply = bode_script_run(r, BODE_SCRIPT_CLAIM, 1, &c, &err);
    if (!reply)
        return err;
    err = claim_result(reply, claimed, skip_reason, out);
    freeReplyObject(reply);
    return err;
}

enum bode_err bode_queue_claim_many(struct bode_redis *r,
                                    const struct bode_queue_entry *e, size_t n,
                                    const char *worker, int64_t now,
                                    int64_t lease_us, struct bode_claim *out)
{
    char(*records)[BODE_KEY_SIZE] = NULL;
    struct bode_cmd *c = NULL;
    struct bode_cmd **cmds = NULL;
    redisReply **replies = NULL;
    enum bode_err err = BODE_ERR_NOMEM;
    size_t i;

    for (i = 0; i < n; i++)
        memset(&out[i], 0, sizeof(out[i]));
    if (n == 0)
        return BODE_OK;
    records = bode_calloc(n, sizeof(*records));
    c = bode_calloc(n, sizeof(*c));
    cmds = bode_calloc(n, sizeof(*cmds));
    replies = bode_calloc(n, sizeof(*replies));
    if (!records || !c || !cmds || !replies)
        goto out;
    for (i = 0; i < n; i++) {
        claim_cmd(&e[i], worker, now, lease_us, records[i], &c[i]);
        cmds[i] = &c[i];
    }
    err = bode_script_run_many(r, BODE_SCRIPT_CLAIM, 1, cmds, n, replies);
    for (i = 0; !err && i < n; i++)
        out[i].err =
            claim_result(replies[i], &out[i].claimed, out[i].skip, &out[i].rec);
out:
    for (i = 0; replies && i < n; i++)
        if (replies[i])
            freeReplyObject(replies[i]);
    bode_free(replies);
    bode_free(cmds);
    bode_free(c);
    bode_free(records);
    return err;
}

/* One transition's keys and arguments, ready to run. */
struct transition_cmd {
    char record[BODE_KEY_SIZE];
    char history[BODE_KEY_SIZE];
    char retry[BODE_KEY_SIZE];
    char callbacks[BODE_KEY_SIZE];
    char ref[BODE_KEY_SIZE];
    char open[BODE_KEY_SIZE];
    char stats[BODE_KEY_SIZE];
    char day[16];
    struct bode_cmd c;
};

/* The UTC day of t (microseconds) as YYYY-MM-DD: which day's counters a
 * final status adds to. */
static void utc_day(int64_t t, char out[16])
{
    time_t secs = (time_t)(t / 1000000);
    struct tm tm;

    if (!gmtime_r(&secs, &tm) || strftime(out, 16, "%Y-%m-%d", &tm) == 0)
        snprintf(out, 16, "1970-01-01");
}

static void build_transition(const struct bode_transition *t,
                             struct transition_cmd *tc)
{
    struct bode_cmd *c = &tc->c;

    bode_key_notification(tc->record, t->service_id, t->notification_id);
    bode_key_history(tc->history, t->service_id, t->notification_id);
    bode_key_retry(tc->retry, t->service_id);
    bode_key_callbacks(tc->callbacks, t->service_id);
    bode_key_open(tc->open, t->service_id);
    utc_day(t->now, tc->day);
    bode_key_stats(tc->stats, t->service_id, tc->day);
    tc->ref[0] = '\0';
    if (t->provider && t->provider_ref && t->provider_ref[0])
        bode_key_ref(tc->ref, t->provider, t->provider_ref);
    bode_cmd_init(c);
    bode_cmd_add(c, tc->record);
    bode_cmd_add(c, tc->history);
    bode_cmd_add(c, t->entry ? t->entry->stream : tc->record);
    bode_cmd_add(c, tc->retry);
    bode_cmd_add(c, tc->callbacks);
    bode_cmd_add(c, tc->ref);
    bode_cmd_add(c, tc->open);
    bode_cmd_add(c, tc->stats);
    bode_cmd_addi(c, t->now);
    bode_cmd_add(c, t->worker ? t->worker : "");
    bode_cmd_add(c, t->retry ? "retry" : bode_status_name(t->status));
    bode_cmd_add(c, t->entry ? t->entry->entry_id : "");
    bode_cmd_addi(c, t->retry_at);
    bode_cmd_add(c, t->provider ? t->provider : "");
    bode_cmd_add(c, t->provider_ref ? t->provider_ref : "");
    bode_cmd_addi(
        c, (long long)(t->retention_days > 0 ? t->retention_days : 7) * 86400);
    bode_cmd_add(c, t->callback ? "1" : "0");
    bode_cmd_add(c, t->detail ? t->detail : "");
    bode_cmd_add(c, tc->day);
}

static enum bode_err transition_result(const redisReply *reply, bool *applied)
{
    if (applied)
        *applied = false;
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements < 1 ||
        reply->element[0]->type != REDIS_REPLY_STRING)
        return BODE_ERR_REDIS;
    if (applied)
        *applied = strcmp(reply->element[0]->str, "ok") == 0;
    return BODE_OK;
}

enum bode_err bode_queue_transition(struct bode_redis *r,
                                    const struct bode_transition *t,
                                    bool *applied)
{
    struct transition_cmd tc;
    redisReply *reply;
    enum bode_err err;

    if (applied)
        *applied = false;
    build_transition(t, &tc);
    reply = bode_script_run(r, BODE_SCRIPT_TRANSITION, 8, &tc.c, &err);
    if (!reply)
        return err;
    err = transition_result(reply, applied);
    freeReplyObject(reply);
    return err;
}

enum bode_err bode_queue_transition_many(struct bode_redis *r,
                                         const struct bode_transition *t,
                                         size_t n, bool *applied)
{
    struct transition_cmd *tc = NULL;
    struct bode_cmd **cmds = NULL;
    redisReply **replies = NULL;
    enum bode_err err = BODE_ERR_NOMEM;
    enum bode_err one;
    size_t i;

    if (n == 0)
        return BODE_OK;
    tc = bode_calloc(n, sizeof(*tc));
    cmds = bode_calloc(n, sizeof(*cmds));
    replies = bode_calloc(n, sizeof(*replies));
    if (!tc || !cmds || !replies)
        goto out;
    for (i = 0; i < n; i++) {
        build_transition(&t[i], &tc[i]);
        cmds[i] = &tc[i].c;
    }
    err = bode_script_run_many(r, BODE_SCRIPT_TRANSITION, 8, cmds, n, replies);
    for (i = 0; i < n; i++) {
        one = err ? err
                  : transition_result(replies[i], applied ? &applied[i] : NULL);
        if (!err && one)
            err = one;
    }
out:
    for (i = 0; replies && i < n; i++)
        if (replies[i])
            freeReplyObject(replies[i]);
    bode_free(replies);
    bode_free(cmds);
    bode_free(tc);
    return err;
}

enum bode_err bode_queue_promote(struct bode_redis *r, const char *sid,
                                 int64_t now, long max, size_t *moved)
{
    char retry[BODE_KEY_SIZE];
    char lanes[BODE_KEY_SIZE];
    char records[BODE_KEY_SIZE];
    struct bode_cmd c;
    redisReply *reply;
    enum bode_err err;

    *moved = 0;
    bode_key_retry(retry, sid);
    bode_key_lane_prefix(lanes, sid);
    bode_key_notification_prefix(records, sid);
    bode_cmd_init(&c);
    bode_cmd_add(&c, retry);
    bode_cmd_add(&c, lanes);
    bode_cmd_addi(&c, now);
    bode_cmd_addi(&c, max);
    bode_cmd_add(&c, sid);
    bode_cmd_add(&c, records);
    reply = bode_script_run(r, BODE_SCRIPT_PROMOTE, 2, &c, &err);
    if (!reply)
        return err;
    if (reply->type == REDIS_REPLY_INTEGER)
        *moved = (size_t)reply->integer;
    freeReplyObject(reply);
    return BODE_OK;
}

enum bode_err bode_queue_promote_scheduled(struct bode_redis *r,
                                           const char *sid, int64_t now,
                                           long max, size_t *moved)
{
    char sched[BODE_KEY_SIZE];
    char open[BODE_KEY_SIZE];
    char records[BODE_KEY_SIZE];
    char lanes[BODE_KEY_SIZE];
    char jobs[BODE_KEY_SIZE];
    char index[BODE_KEY_SIZE];
    struct bode_cmd c;
    redisReply *reply;
    enum bode_err err;

    *moved = 0;
    bode_key_scheduled(sched, sid);
    bode_key_open(open, sid);
    bode_key_notification_prefix(records, sid);
    bode_key_lane_prefix(lanes, sid);
    bode_key_job_prefix(jobs, sid);
    bode_key_index_prefix(index, sid);
    bode_cmd_init(&c);
    bode_cmd_add(&c, sched);
    bode_cmd_add(&c, open);
    bode_cmd_addi(&c, now);
    bode_cmd_addi(&c, max);
    bode_cmd_add(&c, sid);
    bode_cmd_add(&c, records);
    bode_cmd_add(&c, lanes);
    bode_cmd_add(&c, jobs);
    bode_cmd_add(&c, index);
    reply = bode_script_run(r, BODE_SCRIPT_PROMOTE_SCHEDULED, 2, &c, &err);
    if (!reply)
        return err;
    if (reply->type == REDIS_REPLY_INTEGER)
        *moved = (size_t)reply->integer;
    freeReplyObject(reply);
    return BODE_OK;
}

enum bode_err bode_queue_find_ref(struct bode_redis *r, const char *provider,
                                  const char *ref, char *sid, char *nid)
{
    char key[BODE_KEY_SIZE];
    redisReply *reply;
    enum bode_err err;
    const char *space;

    bode_key_ref(key, provider, ref);
    reply = bode_cmd_words(r, true, &err, "GET", key, NULL);
    if (!reply)
        return err;
    err = BODE_ERR_NOT_FOUND;
    if (reply->type == REDIS_REPLY_STRING &&
        (space = strchr(reply->str, ' ')) != NULL &&
        space - reply->str == BODE_UUID_LEN &&
        strlen(space + 1) == BODE_UUID_LEN) {
        memcpy(sid, reply->str, BODE_UUID_LEN);
        sid[BODE_UUID_LEN] = '\0';
        memcpy(nid, space + 1, BODE_UUID_SIZE);
        err = BODE_OK;
    }
    freeReplyObject(reply);
    return err;
}

enum bode_err bode_queue_dead(struct bode_redis *r,
                              const struct bode_queue_entry *e,
                              const char *reason, int retention_days,
                              bool callback, int64_t now)
{
    char dead[BODE_KEY_SIZE];
    struct bode_transition t;
    struct bode_cmd c;
    redisReply *reply;
    enum bode_err err;

    bode_key_dead(dead, e->service_id);
    bode_cmd_init(&c);
    bode_cmd_add(&c, "XADD");
    bode_cmd_add(&c, dead);
    bode_cmd_add(&c, "*");
    bode_cmd_field(&c, "n", e->notification_id);
    bode_cmd_field(&c, "from", e->stream);
    bode_cmd_field(&c, "entry", e->entry_id);
    bode_cmd_field(&c, "reason", reason);
    bode_cmd_fieldi(&c, "at", now);
    reply = bode_cmd_run(r, &c, false, &err);
    if (!reply)
        return err;
    freeReplyObject(reply);
    memset(&t, 0, sizeof(t));
    t.service_id = e->service_id;
    t.notification_id = e->notification_id;
    t.entry = e;
    t.worker = "";
    t.status = BODE_STATUS_TECHNICAL_FAILURE;
    t.retention_days = retention_days;
    t.callback = callback;
    t.detail = reason;
    t.now = now;
    return bode_queue_transition(r, &t, NULL);
}

enum bode_err bode_queue_callback_streams(struct bode_redis *r,
                                          char (*keys)[BODE_QUEUE_KEY_SIZE],
                                          size_t max, size_t *n)
{
    return service_streams(r, callback_key, NULL, 1, keys, max, n);
}

enum bode_err bode_queue_callback_retry(struct bode_redis *r,
                                        const struct bode_queue_entry *e,
                                        const char *sid, int attempt,
                                        int64_t due)
{
    char key[BODE_KEY_SIZE];
    char member[128];
    struct bode_cmd c;
    redisReply *reply;
    enum bode_err err;

    bode_key_callback_retry(key, sid);
    snprintf(member, sizeof(member), "%s|%s|%d", e->notification_id, e->status,
             attempt);
    bode_cmd_init(&c);
    bode_cmd_add(&c, "ZADD");
    bode_cmd_add(&c, key);
    bode_cmd_addi(&c, due);
    bode_cmd_add(&c, member);
    reply = bode_cmd_run(r, &c, false, &err);
    if (!reply)
        return err;
    freeReplyObject(reply);
    /* Acknowledged only once the retry is safely scheduled. */
    return bode_queue_ack(r, e);
}

enum bode_err bode_queue_callback_promote(struct bode_redis *r, const char *sid,
                                          int64_t now, long max,
                                          int64_t probe_us, size_t *moved)
{
    char retry[BODE_KEY_SIZE];
    char stream[BODE_KEY_SIZE];
    char svc[BODE_KEY_SIZE];
    struct bode_cmd c;
    redisReply *reply;
    enum bode_err err;

    *moved = 0;
    bode_key_callback_retry(retry, sid);
    bode_key_callbacks(stream, sid);
    bode_key_service(svc, sid);
    bode_cmd_init(&c);
    bode_cmd_add(&c, retry);
    bode_cmd_add(&c, stream);
    bode_cmd_add(&c, svc);
    bode_cmd_addi(&c, now);
    bode_cmd_addi(&c, max);
    bode_cmd_addi(&c, probe_us);
    reply = bode_script_run(r, BODE_SCRIPT_PROMOTE_CALLBACKS, 3, &c, &err);
    if (!reply)
        return err;
    if (reply->type == REDIS_REPLY_INTEGER)
        *moved = (size_t)reply->integer;
    freeReplyObject(reply);
    return BODE_OK;
}

enum bode_err bode_queue_timeout(struct bode_redis *r, const char *sid,
                                 int64_t cutoff, int retention_days,
                                 bool callback, int64_t now, size_t *timed_out)
{
    char open[BODE_KEY_SIZE];
    char record[BODE_KEY_SIZE];
    struct bode_transition t;
    struct bode_cmd c;
    redisReply *ids;
    redisReply *st;
    enum bode_err err;
    bool applied;
    size_t i;

    *timed_out = 0;
    bode_key_open(open, sid);
    bode_cmd_init(&c);
    bode_cmd_add(&c, "ZRANGEBYSCORE");
    bode_cmd_add(&c, open);
    bode_cmd_add(&c, "-inf");
    bode_cmd_addi(&c, cutoff);
    bode_cmd_add(&c, "LIMIT");
    bode_cmd_add(&c, "0");
    bode_cmd_add(&c, "200");
    ids = bode_cmd_run(r, &c, true, &err);
    if (!ids)
        return err;
    for (i = 0; i < ids->elements && !err; i++) {
        const char *id = ids->element[i]->str;

        bode_key_notification(record, sid, id);
        st = bode_cmd_words(r, true, &err, "HGET", record, "status", NULL);
        if (!st)
            break;
        /* Only what a provider has and never answered times out; work
         * still queued is the retry window's business. */
        if (st->type == REDIS_REPLY_STRING &&
            (strcmp(st->str, "sending") == 0 ||
             strcmp(st->str, "pending") == 0)) {
            memset(&t, 0, sizeof(t));
            t.service_id = sid;
            t.notification_id = id;
            t.worker = "";
            t.status = BODE_STATUS_TEMPORARY_FAILURE;
            t.retention_days = retention_days;
            t.callback = callback;
            t.detail = "no receipt within 72 hours";
            t.now = now;
            err = bode_queue_transition(r, &t, &applied);
            if (!err && applied)
                (*timed_out)++;
        }
        freeReplyObject(st);
    }
    freeReplyObject(ids);
    return err;
}

enum bode_err bode_queue_callback_health(struct bode_redis *r, const char *sid,
                                         enum bode_callback_health op,
                                         int64_t now, int pause_after,
                                         long *failures, bool *paused)
{
    static const char *const ops[] = {"fail", "ok", "pause", "resume"};
    char svc[BODE_KEY_SIZE];
    char retry[BODE_KEY_SIZE];
    struct bode_cmd c;
    redisReply *reply;
    enum bode_err err = BODE_OK;

    *failures = 0;
    *paused = false;
    bode_key_service(svc, sid);
    bode_key_callback_retry(retry, sid);
    bode_cmd_init(&c);
    bode_cmd_add(&c, svc);
    bode_cmd_add(&c, retry);
    bode_cmd_add(&c, ops[op]);
    bode_cmd_addi(&c, now);
    bode_cmd_addi(&c, pause_after);
    bode_cmd_addi(&c, BODE_QUEUE_CALLBACK_PARKED);
    reply = bode_script_run(r, BODE_SCRIPT_CALLBACK_HEALTH, 2, &c, &err);
    if (!reply)
        return err;
    if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
        reply->element[0]->type == REDIS_REPLY_INTEGER &&
        reply->element[1]->type == REDIS_REPLY_INTEGER) {
        *failures = (long)reply->element[0]->integer;
        *paused = reply->element[1]->integer == 1;
    } else {
        err = BODE_ERR_REDIS;
    }
    freeReplyObject(reply);
    return err;
}

static enum bode_err zcount(struct bode_redis *r, const char *key,
                            const char *min, const char *max, long long *out)
{
    redisReply *reply;
    enum bode_err err;

    *out = 0;
    reply = bode_cmd_words(r, true, &err, "ZCOUNT", key, min, max, NULL);
    if (!reply)
        return err;
    if (reply->type == REDIS_REPLY_INTEGER)
        *out = reply->integer;
    freeReplyObject(reply);
    return BODE_OK;
}

enum bode_err bode_queue_callback_backlog(struct bode_redis *r, const char *sid,
                                          long long *parked, long long *waiting)
{
    char retry[BODE_KEY_SIZE];
    char bound[32];
    enum bode_err err;

    bode_key_callback_retry(retry, sid);
    snprintf(bound, sizeof(bound), "%lld", BODE_QUEUE_CALLBACK_PARKED);
    err = zcount(r, retry, bound, "+inf", parked);
    if (!err) {
        snprintf(bound, sizeof(bound), "(%lld", BODE_QUEUE_CALLBACK_PARKED);
        err = zcount(r, retry, "-inf", bound, waiting);
    }
    return err;
}
