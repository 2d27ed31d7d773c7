/* Queue levels for metrics: stream lengths, unread and pending entries,
 * retry sets and dead letters over all services. Read only: must never
 * change a key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bode/queue.h"
#include "store/store_int.h"

#define GROUP "workers"
#define LANE_STREAMS (BODE_CHANNEL__COUNT * BODE_LANE__COUNT)
/* XLEN, XPENDING and XINFO GROUPS per lane stream, then ZCARD retry,
 * XLEN dead and ZCARD scheduled. */
#define PER_STREAM 3
#define PER_SERVICE (PER_STREAM * LANE_STREAMS + 3)
#define MAX_ARGS 6

/* One pipelined batch of commands over borrowed strings. */
struct batch {
    size_t n;
    int argc[PER_SERVICE];
    const char *argv[PER_SERVICE][MAX_ARGS];
    size_t lens[PER_SERVICE][MAX_ARGS];
    redisReply *replies[PER_SERVICE];
};

static void batch_add(struct batch *b, const char *a0, const char *a1,
                      const char *a2, const char *a3, const char *a4,
                      const char *a5)
{
    const char *args[MAX_ARGS] = {a0, a1, a2, a3, a4, a5};
    int i;

    for (i = 0; i < MAX_ARGS && args[i]; i++) {
        b->argv[b->n][i] = args[i];
        b->lens[b->n][i] = strlen(args[i]);
    }
    b->argc[b->n] = i;
    b->n++;
}

static enum bode_err batch_run(struct bode_redis *r, struct batch *b)
{
    const char **argv[PER_SERVICE];
    const size_t *lens[PER_SERVICE];
    size_t i;

    for (i = 0; i < b->n; i++) {
        argv[i] = b->argv[i];
        lens[i] = b->lens[i];
    }
    return bode_redis__pipeline(r, b->n, b->argc, argv, lens, b->replies);
}

static void batch_release(struct batch *b)
{
    size_t i;

    for (i = 0; i < b->n; i++)
        freeReplyObject(b->replies[i]);
    b->n = 0;
}

static long long int_reply(const redisReply *r)
{
    return r && r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
}

/* Seconds since the entry whose id ("ms-seq") r holds was added; -1 when r
 * is not an id. */
static double id_age(const redisReply *r, int64_t now)
{
    if (!r || r->type != REDIS_REPLY_STRING)
        return -1;
    return (double)(now / 1000 - strtoll(r->str, NULL, 10)) / 1000.0;
}

/* A field of a flat field/value array, of any type. */
static const redisReply *field(const redisReply *flat, const char *name)
{
    size_t i;

    if (!flat || flat->type != REDIS_REPLY_ARRAY)
        return NULL;
    for (i = 0; i + 1 < flat->elements; i += 2)
        if (flat->element[i]->type == REDIS_REPLY_STRING &&
            strcmp(flat->element[i]->str, name) == 0)
            return flat->element[i + 1];
    return NULL;
}

/* The group's entry in an XINFO GROUPS reply; NULL when it does not exist
 * yet (no worker has seen the stream). */
static const redisReply *find_group(const redisReply *groups)
{
    const redisReply *name;
    size_t i;

    if (!groups || groups->type != REDIS_REPLY_ARRAY)
        return NULL;
    for (i = 0; i < groups->elements; i++) {
        name = field(groups->element[i], "name");
        if (name && name->type == REDIS_REPLY_STRING &&
            strcmp(name->str, GROUP) == 0)
            return groups->element[i];
    }
    return NULL;
}

/* XPENDING's summary: [count, smallest id, greatest id, consumers]. A
 * stream without the group answers an error: nothing is pending. */
static void add_pending(struct bode_queue_levels *out, int lane,
                        const redisReply *r, int64_t now)
{
    double age;

    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 2 ||
        int_reply(r->element[0]) <= 0)
        return;
    out->pending[lane] += int_reply(r->element[0]);
    age = id_age(r->element[1], now);
    if (age > out->oldest_pending_s[lane])
        out->oldest_pending_s[lane] = age;
}

static void add_oldest_unread(struct bode_queue_levels *out, int lane,
                              const redisReply *range, int64_t now)
{
    double age;

    /* XRANGE answers [[id, [field, value, ...]], ...]. */
    if (!range || range->type != REDIS_REPLY_ARRAY || range->elements == 0 ||
        range->element[0]->type != REDIS_REPLY_ARRAY ||
        range->element[0]->elements == 0)
        return;
    age = id_age(range->element[0]->element[0], now);
    if (age > out->oldest_unread_s[lane])
        out->oldest_unread_s[lane] = age;
}

static enum bode_err measure_service(struct bode_redis *r, const char *sid,
                                     int64_t now, struct bode_queue_levels *out)
{
    char keys[LANE_STREAMS + 3][BODE_KEY_SIZE];
    char start[LANE_STREAMS][64];
    int lane_of[LANE_STREAMS];
    struct batch b;
    struct batch unread;
    const redisReply *g;
    const redisReply *v;
    enum bode_err err;
    size_t k;
    int ch;
    int lane;

    b.n = 0;
    unread.n = 0;
    for (ch = 0; ch < BODE_CHANNEL__COUNT; ch++)
        for (lane = 0; lane < BODE_LANE__COUNT; lane++)
            bode_key_lane(keys[ch * BODE_LANE__COUNT + lane], sid,
                          bode_channel_name((enum bode_channel)ch),
                          bode_lane_name((enum bode_lane)lane));
    bode_key_retry(keys[LANE_STREAMS], sid);
    bode_key_dead(keys[LANE_STREAMS + 1], sid);
    bode_key_scheduled(keys[LANE_STREAMS + 2], sid);
    for (k = 0; k < LANE_STREAMS; k++) {
        batch_add(&b, "XLEN", keys[k], NULL, NULL, NULL, NULL);
        batch_add(&b, "XPENDING", keys[k], GROUP, NULL, NULL, NULL);
        batch_add(&b, "XINFO", "GROUPS", keys[k], NULL, NULL, NULL);
    }
    batch_add(&b, "ZCARD", keys[LANE_STREAMS], NULL, NULL, NULL, NULL);
    batch_add(&b, "XLEN", keys[LANE_STREAMS + 1], NULL, NULL, NULL, NULL);
    batch_add(&b, "ZCARD", keys[LANE_STREAMS + 2], NULL, NULL, NULL, NULL);
    err = batch_run(r, &b);
    if (err)
        return err;
    for (k = 0; k < LANE_STREAMS; k++) {
        const redisReply *len = b.replies[PER_STREAM * k];
        long long n_unread;
        bool known;

        lane = (int)(k % BODE_LANE__COUNT);
        out->depth[lane] += int_reply(len);
        add_pending(out, lane, b.replies[PER_STREAM * k + 1], now);
        g = find_group(b.replies[PER_STREAM * k + 2]);
        if (!g) {
            /* No worker has read it yet: every entry is unread. */
            n_unread = int_reply(len);
            snprintf(start[unread.n], sizeof(start[0]), "-");
        } else {
            /* Redis cannot always tell the lag (after deletions): then
             * only the oldest unread entry is looked up. */
            v = field(g, "lag");
            known = v && v->type == REDIS_REPLY_INTEGER;
            n_unread = known ? v->integer : 0;
            v = field(g, "last-delivered-id");
            if ((known && n_unread == 0) || !v || v->type != REDIS_REPLY_STRING)
                continue;
            snprintf(start[unread.n], sizeof(start[0]), "(%s", v->str);
        }
        out->unread[lane] += n_unread;
        if (int_reply(len) == 0)
            continue;
        lane_of[unread.n] = lane;
        batch_add(&unread, "XRANGE", keys[k], start[unread.n], "+", "COUNT",
                  "1");
    }
    out->retry += int_reply(b.replies[PER_STREAM * LANE_STREAMS]);
    out->dead += int_reply(b.replies[PER_STREAM * LANE_STREAMS + 1]);
    out->scheduled += int_reply(b.replies[PER_STREAM * LANE_STREAMS + 2]);
    batch_release(&b);
    if (unread.n == 0)
        return BODE_OK;
    err = batch_run(r, &unread);
    if (err)
        return err;
    for (k = 0; k < unread.n; k++)
        add_oldest_unread(out, lane_of[k], unread.replies[k], now);
    batch_release(&unread);
    return BODE_OK;
}

enum bode_err bode_queue_measure(struct bode_redis *r, int64_t now,
                                 struct bode_queue_levels *out)
{
    char set[BODE_KEY_SIZE];
    redisReply *ids;
    enum bode_err err = BODE_OK;
    size_t i;

    memset(out, 0, sizeof(*out));
    bode_key_services(set);
    ids = bode_cmd_words(r, true, &err, "SMEMBERS", set, NULL);
    if (!ids)
        return err;
    for (i = 0; i < ids->elements && !err; i++) {
        if (ids->element[i]->type != REDIS_REPLY_STRING)
            continue;
        err = measure_service(r, ids->element[i]->str, now, out);
        if (!err)
            out->services++;
    }
    freeReplyObject(ids);
    return err;
}
