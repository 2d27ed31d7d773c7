/* Operator work on the queue: reading records and history, queue figures,
 * dead letters and the retention janitor. Must not deliver or decide
 * statuses: it only inspects, requeues and trims. */
#include "bode/ops.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bode/alloc.h"
#include "store/store_int.h"

#define GROUP "workers"
#define JANITOR_BATCH 200
#define JANITOR_EVERY_US (300LL * 1000000)
#define DAY_US (86400LL * 1000000)
#define GRACE_US (4 * DAY_US) /* records outlive retention by 4 days */

/* A stream id as two numbers, for comparing. */
struct sid_pair {
    uint64_t ms;
    uint64_t seq;
};

static bool parse_stream_id(const char *s, struct sid_pair *out)
{
    char *end;

    out->ms = strtoull(s, &end, 10);
    if (end == s)
        return false;
    out->seq = 0;
    if (*end == '-')
        out->seq = strtoull(end + 1, &end, 10);
    return *end == '\0';
}

static bool stream_id_less(const struct sid_pair *a, const struct sid_pair *b)
{
    return a->ms < b->ms || (a->ms == b->ms && a->seq < b->seq);
}

/* Runs a command of words and keeps error replies as replies, so a
 * missing group (NOGROUP) is told apart from a lost connection. */
static redisReply *raw_words(struct bode_redis *r, enum bode_err *err, int argc,
                             const char **argv)
{
    size_t lens[16];
    int i;

    for (i = 0; i < argc && i < 16; i++)
        lens[i] = strlen(argv[i]);
    return bode_redis__command(r, true, argc, argv, lens, err);
}

static redisReply *services(struct bode_redis *r, enum bode_err *err)
{
    char key[BODE_KEY_SIZE];
    redisReply *ids;

    bode_key_services(key);
    ids = bode_cmd_words(r, true, err, "SMEMBERS", key, NULL);
    if (ids && ids->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(ids);
        *err = BODE_ERR_REDIS;
        return NULL;
    }
    return ids;
}

void bode_ops_record_init(struct bode_ops_record *rec)
{
    memset(rec, 0, sizeof(*rec));
}

void bode_ops_record_release(struct bode_ops_record *rec)
{
    size_t i;

    if (!rec)
        return;
    for (i = 0; i < rec->n_fields; i++) {
        bode_free(rec->fields[i].name);
        bode_free(rec->fields[i].value);
    }
    for (i = 0; i < rec->n_history; i++)
        bode_free(rec->history[i].detail);
    bode_free(rec->fields);
    bode_free(rec->history);
    bode_ops_record_init(rec);
}

static char *dup_n(const char *s, size_t n)
{
    char *d = bode_malloc(n + 1);

    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static int field_cmp(const void *a, const void *b)
{
    return strcmp(((const struct bode_ops_field *)a)->name,
                  ((const struct bode_ops_field *)b)->name);
}

/* Finds which service holds record id: the first whose key exists. */
static enum bode_err find_service(struct bode_redis *r, const char *id,
                                  char *sid)
{
    char key[BODE_KEY_SIZE];
    redisReply *ids;
    redisReply *ex;
    enum bode_err err = BODE_ERR_NOT_FOUND;
    size_t i;

    ids = services(r, &err);
    if (!ids)
        return err;
    err = BODE_ERR_NOT_FOUND;
    for (i = 0; i < ids->elements; i++) {
        bode_key_notification(key, ids->element[i]->str, id);
        ex = bode_cmd_words(r, true, &err, "EXISTS", key, NULL);
        if (!ex)
            break;
        err = BODE_ERR_NOT_FOUND;
        if (ex->type == REDIS_REPLY_INTEGER && ex->integer == 1) {
            snprintf(sid, BODE_UUID_SIZE, "%s", ids->element[i]->str);
            err = BODE_OK;
        }
        freeReplyObject(ex);
        if (err == BODE_OK)
            break;
    }
    freeReplyObject(ids);
    return err;
}

static enum bode_err fill_fields(const redisReply *h,
                                 struct bode_ops_record *rec)
{
    size_t i;
    size_t n = h->elements / 2;

    rec->fields = bode_calloc(n ? n : 1, sizeof(*rec->fields));
    if (!rec->fields)
        return BODE_ERR_NOMEM;
    for (i = 0; i < n; i++) {
        const redisReply *k = h->element[2 * i];
        const redisReply *v = h->element[2 * i + 1];

        rec->fields[i].name = dup_n(k->str ? k->str : "", k->len);
        rec->fields[i].value = dup_n(v->str ? v->str : "", v->len);
        rec->n_fields++;
        if (!rec->fields[i].name || !rec->fields[i].value)
            return BODE_ERR_NOMEM;
    }
    qsort(rec->fields, rec->n_fields, sizeof(*rec->fields), field_cmp);
    return BODE_OK;
}

/* Parses one "<microseconds> <status> <detail>" history line. */
static enum bode_err parse_event(const redisReply *line,
                                 struct bode_ops_event *ev)
{
    const char *s = line->str ? line->str : "";
    const char *sp1 = strchr(s, ' ');
    const char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    size_t n;

    ev->at = strtoll(s, NULL, 10);
    ev->status[0] = '\0';
    if (sp1) {
        n = sp2 ? (size_t)(sp2 - sp1 - 1) : strlen(sp1 + 1);
        if (n >= sizeof(ev->status))
            n = sizeof(ev->status) - 1;
        memcpy(ev->status, sp1 + 1, n);
        ev->status[n] = '\0';
    }
    ev->detail = bode_strdup(sp2 ? sp2 + 1 : "");
    return ev->detail ? BODE_OK : BODE_ERR_NOMEM;
}

enum bode_err bode_queue_ops_record(struct bode_redis *r, const char *sid,
                                    const char *id, struct bode_ops_record *rec)
{
    char key[BODE_KEY_SIZE];
    redisReply *h = NULL;
    redisReply *hist = NULL;
    enum bode_err err;
    size_t i;

    bode_ops_record_init(rec);
    if (sid && sid[0])
        snprintf(rec->service_id, sizeof(rec->service_id), "%s", sid);
    else {
        err = find_service(r, id, rec->service_id);
        if (err)
            return err;
    }
    bode_key_notification(key, rec->service_id, id);
    err = bode_cmd_hgetall(r, key, &h);
    if (err)
        goto out;
    err = fill_fields(h, rec);
    if (err)
        goto out;
    bode_key_history(key, rec->service_id, id);
    hist = bode_cmd_words(r, true, &err, "LRANGE", key, "0", "-1", NULL);
    if (!hist)
        goto out;
    if (hist->type == REDIS_REPLY_ARRAY && hist->elements) {
        rec->history = bode_calloc(hist->elements, sizeof(*rec->history));
        if (!rec->history) {
            err = BODE_ERR_NOMEM;
            goto out;
        }
        for (i = 0; i < hist->elements && !err; i++) {
            err = parse_event(hist->element[i], &rec->history[i]);
            rec->n_history++;
        }
    }
out:
    if (h)
        freeReplyObject(h);
    if (hist)
        freeReplyObject(hist);
    return err;
}

static long long reply_integer(const redisReply *x)
{
    return x && x->type == REDIS_REPLY_INTEGER ? x->integer : 0;
}

/* Adds one lane stream's length and pending summary to ls. */
static enum bode_err lane_stats(struct bode_redis *r, const char *key,
                                int64_t now, struct bode_ops_lane_stats *ls)
{
    const char *xpending[] = {"XPENDING", key, GROUP};
    struct sid_pair oldest;
    redisReply *x;
    enum bode_err err;
    long long age;

    x = bode_cmd_words(r, true, &err, "XLEN", key, NULL);
    if (!x)
        return err;
    ls->depth += reply_integer(x);
    freeReplyObject(x);
    x = raw_words(r, &err, 3, xpending);
    if (!x)
        return err;
    /* [count, smallest id, greatest id, consumers]; an error reply means
     * no worker has made the group yet: nothing is pending. */
    if (x->type == REDIS_REPLY_ARRAY && x->elements == 4 &&
        x->element[0]->type == REDIS_REPLY_INTEGER) {
        ls->pending += x->element[0]->integer;
        if (x->element[1]->type == REDIS_REPLY_STRING &&
            parse_stream_id(x->element[1]->str, &oldest)) {
            age = now / 1000 - (long long)oldest.ms;
            if (age > ls->oldest_pending)
                ls->oldest_pending = age;
        }
    }
    freeReplyObject(x);
    return BODE_OK;
}

/* Adds to *all the members of the sorted set key (scored by when they
 * are due) and to *due those due by now_s. */
static enum bode_err add_timed_set(struct bode_redis *r, const char *key,
                                   const char *now_s, long long *all,
                                   long long *due)
{
    enum bode_err err = BODE_OK;
    redisReply *x = bode_cmd_words(r, true, &err, "ZCARD", key, NULL);

    if (!x)
        return err;
    *all += reply_integer(x);
    freeReplyObject(x);
    x = bode_cmd_words(r, true, &err, "ZCOUNT", key, "-inf", now_s, NULL);
    if (!x)
        return err;
    *due += reply_integer(x);
    freeReplyObject(x);
    return BODE_OK;
}

static enum bode_err service_stats(struct bode_redis *r, const char *sid,
                                   int64_t now, struct bode_ops_queue_stats *st)
{
    char key[BODE_KEY_SIZE];
    char now_s[24];
    redisReply *x;
    enum bode_err err = BODE_OK;
    int ch;
    int lane;

    for (lane = 0; lane < BODE_LANE__COUNT && !err; lane++)
        for (ch = 0; ch < BODE_CHANNEL__COUNT && !err; ch++) {
            bode_key_lane(key, sid, bode_channel_name((enum bode_channel)ch),
                          bode_lane_name((enum bode_lane)lane));
            err = lane_stats(r, key, now, &st->lanes[lane]);
        }
    if (err)
        return err;
    snprintf(now_s, sizeof(now_s), "%" PRId64, now);
    bode_key_retry(key, sid);
    err = add_timed_set(r, key, now_s, &st->retries, &st->retries_due);
    if (err)
        return err;
    bode_key_scheduled(key, sid);
    err = add_timed_set(r, key, now_s, &st->scheduled, &st->scheduled_due);
    if (err)
        return err;
    bode_key_dead(key, sid);
    x = bode_cmd_words(r, true, &err, "XLEN", key, NULL);
    if (!x)
        return err;
    st->dead += reply_integer(x);
    freeReplyObject(x);
    return BODE_OK;
}

enum bode_err bode_queue_ops_stats(struct bode_redis *r, int64_t now,
                                   struct bode_ops_queue_stats *st)
{
    redisReply *ids;
    enum bode_err err = BODE_OK;
    size_t i;

    memset(st, 0, sizeof(*st));
    ids = services(r, &err);
    if (!ids)
        return err;
    for (i = 0; i < ids->elements && !err; i++)
        err = service_stats(r, ids->element[i]->str, now, st);
    st->services = ids->elements;
    freeReplyObject(ids);
    return err;
}

static void fill_dead(const char *sid, const redisReply *el,
                      struct bode_ops_dead *d)
{
    const redisReply *f = el->element[1];
    char at[24];

    memset(d, 0, sizeof(*d));
    snprintf(d->service_id, sizeof(d->service_id), "%s", sid);
    snprintf(d->entry_id, sizeof(d->entry_id), "%s",
             el->element[0]->str ? el->element[0]->str : "");
    bode_reply_copy(f, "n", d->notification_id, sizeof(d->notification_id));
    bode_reply_copy(f, "from", d->from, sizeof(d->from));
    bode_reply_copy(f, "reason", d->reason, sizeof(d->reason));
    bode_reply_copy(f, "at", at, sizeof(at));
    d->at = strtoll(at, NULL, 10);
}

/* Appends up to max - *n dead letters of sid to *out (grown as needed). */
static enum bode_err dead_of(struct bode_redis *r, const char *sid, size_t max,
                             struct bode_ops_dead **out, size_t *n)
{
    char key[BODE_KEY_SIZE];
    char count[24];
    struct bode_ops_dead *grown;
    redisReply *x;
    enum bode_err err;
    size_t i;

    if (*n >= max)
        return BODE_OK;
    bode_key_dead(key, sid);
    snprintf(count, sizeof(count), "%zu", max - *n);
    x = bode_cmd_words(r, true, &err, "XRANGE", key, "-", "+", "COUNT", count,
                       NULL);
    if (!x)
        return err;
    if (x->type == REDIS_REPLY_ARRAY && x->elements) {
        grown = bode_realloc(*out, (*n + x->elements) * sizeof(**out));
        if (!grown) {
            freeReplyObject(x);
            return BODE_ERR_NOMEM;
        }
        *out = grown;
        for (i = 0; i < x->elements; i++) {
            const redisReply *el = x->element[i];

            if (el->type == REDIS_REPLY_ARRAY && el->elements == 2 &&
                el->element[1]->type == REDIS_REPLY_ARRAY)
                fill_dead(sid, el, &(*out)[(*n)++]);
        }
    }
    freeReplyObject(x);
    return BODE_OK;
}

enum bode_err bode_queue_ops_dead_list(struct bode_redis *r, const char *sid,
                                       size_t max, struct bode_ops_dead **out,
                                       size_t *n)
{
    redisReply *ids;
    enum bode_err err = BODE_OK;
    size_t i;

    *out = NULL;
    *n = 0;
    if (sid && sid[0])
        err = dead_of(r, sid, max, out, n);
    else {
        ids = services(r, &err);
        if (!ids)
            return err;
        for (i = 0; i < ids->elements && !err; i++)
            err = dead_of(r, ids->element[i]->str, max, out, n);
        freeReplyObject(ids);
    }
    if (err) {
        bode_free(*out);
        *out = NULL;
        *n = 0;
    }
    return err;
}

enum bode_err bode_queue_ops_dead_retry(struct bode_redis *r, const char *sid,
                                        const char *entry_id, int64_t now,
                                        bool *requeued, char *why)
{
    char dead[BODE_KEY_SIZE];
    char lanes[BODE_KEY_SIZE];
    char open[BODE_KEY_SIZE];
    char records[BODE_KEY_SIZE];
    struct bode_cmd c;
    redisReply *x;
    enum bode_err err = BODE_OK;
    const char *what;

    *requeued = false;
    if (why)
        why[0] = '\0';
    bode_key_dead(dead, sid);
    bode_key_lane_prefix(lanes, sid);
    bode_key_open(open, sid);
    bode_key_notification_prefix(records, sid);
    bode_cmd_init(&c);
    bode_cmd_add(&c, dead);
    bode_cmd_add(&c, lanes);
    bode_cmd_add(&c, open);
    bode_cmd_add(&c, entry_id);
    bode_cmd_add(&c, records);
    bode_cmd_add(&c, sid);
    bode_cmd_addi(&c, now);
    x = bode_script_run(r, BODE_SCRIPT_DEAD_RETRY, 3, &c, &err);
    if (!x)
        return err;
    if (x->type != REDIS_REPLY_ARRAY || x->elements != 2 ||
        x->element[0]->type != REDIS_REPLY_STRING ||
        x->element[1]->type != REDIS_REPLY_STRING) {
        err = BODE_ERR_REDIS;
        goto out;
    }
    what = x->element[0]->str;
    if (strcmp(what, "gone") == 0)
        err = BODE_ERR_NOT_FOUND;
    else if (strcmp(what, "ok") == 0)
        *requeued = true;
    else if (why)
        snprintf(why, 32, "%s", x->element[1]->str);
out:
    freeReplyObject(x);
    return err;
}

enum bode_err bode_queue_ops_dead_drop(struct bode_redis *r, const char *sid,
                                       const char *entry_id)
{
    char dead[BODE_KEY_SIZE];
    redisReply *x;
    enum bode_err err;

    bode_key_dead(dead, sid);
    x = bode_cmd_words(r, false, &err, "XDEL", dead, entry_id, NULL);
    if (!x)
        return err;
    err = reply_integer(x) == 1 ? BODE_OK : BODE_ERR_NOT_FOUND;
    freeReplyObject(x);
    return err;
}

/* Removes stale members of one id set in batches; adds the count. */
static enum bode_err janitor_set(struct bode_redis *r, const char *key,
                                 const char *records, int64_t cutoff,
                                 bool all_old, int max_batches,
                                 long long *removed)
{
    struct bode_cmd c;
    redisReply *x;
    enum bode_err err;
    long long gone;
    long long seen;
    int b;

    for (b = 0; b < max_batches; b++) {
        bode_cmd_init(&c);
        bode_cmd_add(&c, key);
        bode_cmd_add(&c, records);
        bode_cmd_addi(&c, cutoff);
        bode_cmd_addi(&c, JANITOR_BATCH);
        bode_cmd_add(&c, all_old ? "1" : "0");
        x = bode_script_run(r, BODE_SCRIPT_JANITOR, 1, &c, &err);
        if (!x)
            return err;
        gone = seen = 0;
        if (x->type == REDIS_REPLY_ARRAY && x->elements == 2) {
            gone = reply_integer(x->element[0]);
            seen = reply_integer(x->element[1]);
        }
        freeReplyObject(x);
        *removed += gone;
        /* A short batch means the set is clean; one with live records in
         * it would only be read again. */
        if (seen < JANITOR_BATCH || gone < seen)
            break;
    }
    return BODE_OK;
}

/* The first id a trim must keep: the oldest of the cutoff, the oldest
 * pending entry and the group's last delivered entry (entries after it
 * were never read). False when the stream has no group yet. */
static bool trim_floor(struct bode_redis *r, const char *key, int64_t cutoff,
                       struct sid_pair *floor, enum bode_err *err)
{
    const char *xinfo[] = {"XINFO", "GROUPS", key};
    const char *xpending[] = {"XPENDING", key, GROUP};
    struct sid_pair p;
    redisReply *x;
    char last[48] = "";
    bool found = false;
    size_t i;

    floor->ms = (uint64_t)(cutoff / 1000);
    floor->seq = 0;
    x = raw_words(r, err, 3, xinfo);
    if (!x)
        return false;
    for (i = 0; x->type == REDIS_REPLY_ARRAY && i < x->elements; i++) {
        char name[64];

        bode_reply_copy(x->element[i], "name", name, sizeof(name));
        if (strcmp(name, GROUP) == 0) {
            bode_reply_copy(x->element[i], "last-delivered-id", last,
                            sizeof(last));
            found = true;
        }
    }
    freeReplyObject(x);
    if (!found || !parse_stream_id(last, &p))
        return false;
    if (stream_id_less(&p, floor))
        *floor = p;
    x = raw_words(r, err, 3, xpending);
    if (!x)
        return false;
    if (x->type == REDIS_REPLY_ARRAY && x->elements == 4 &&
        x->element[1]->type == REDIS_REPLY_STRING &&
        parse_stream_id(x->element[1]->str, &p) && stream_id_less(&p, floor))
        *floor = p;
    freeReplyObject(x);
    return true;
}

/* Trims acknowledged entries older than cutoff from one stream, at most
 * JANITOR_BATCH a step, so each XTRIM is small. */
static enum bode_err janitor_stream(struct bode_redis *r, const char *key,
                                    int64_t cutoff, int max_batches,
                                    long long *removed)
{
    struct sid_pair floor;
    struct sid_pair nth;
    char minid[48];
    char count[16];
    redisReply *x;
    enum bode_err err = BODE_OK;
    int b;

    if (!trim_floor(r, key, cutoff, &floor, &err))
        return err;
    snprintf(count, sizeof(count), "%d", JANITOR_BATCH);
    for (b = 0; b < max_batches; b++) {
        /* Bound this step by the id of the batch's last entry. */
        x = bode_cmd_words(r, true, &err, "XRANGE", key, "-", "+", "COUNT",
                           count, NULL);
        if (!x)
            return err;
        if (x->type != REDIS_REPLY_ARRAY || x->elements == 0 ||
            !parse_stream_id(x->element[x->elements - 1]->element[0]->str,
                             &nth)) {
            freeReplyObject(x);
            break;
        }
        freeReplyObject(x);
        nth.seq++; /* MINID keeps its argument: include the last one */
        if (stream_id_less(&floor, &nth))
            nth = floor;
        snprintf(minid, sizeof(minid), "%" PRIu64 "-%" PRIu64, nth.ms, nth.seq);
        x = bode_cmd_words(r, false, &err, "XTRIM", key, "MINID", "=", minid,
                           NULL);
        if (!x)
            return err;
        *removed += reply_integer(x);
        if (reply_integer(x) < JANITOR_BATCH) {
            freeReplyObject(x);
            break;
        }
        freeReplyObject(x);
    }
    return BODE_OK;
}

static int service_retention(struct bode_redis *r, const char *sid)
{
    char key[BODE_KEY_SIZE];
    redisReply *x;
    enum bode_err err;
    long days = 7;

    bode_key_service(key, sid);
    x = bode_cmd_words(r, true, &err, "HGET", key, "retention_days", NULL);
    if (x && x->type == REDIS_REPLY_STRING)
        days = strtol(x->str, NULL, 10);
    if (x)
        freeReplyObject(x);
    return days > 0 && days <= 3650 ? (int)days : 7;
}

static enum bode_err janitor_service(struct bode_redis *r, const char *sid,
                                     int64_t now, int max_batches,
                                     struct bode_ops_janitor_result *res)
{
    char key[BODE_KEY_SIZE];
    char records[BODE_KEY_SIZE];
    int64_t cutoff = now - service_retention(r, sid) * DAY_US;
    enum bode_err err = BODE_OK;
    int i;
    int lane;

    bode_key_notification_prefix(records, sid);
    for (i = 0; i < BODE_KEY__COUNT && !err; i++) {
        bode_key_index(key, sid, bode_key_type_name((enum bode_key_type)i));
        err = janitor_set(r, key, records, cutoff, true, max_batches,
                          &res->index_entries);
    }
    if (err)
        return err;
    /* Open records live retention + 4 days from acceptance; an older
     * member whose record is gone is stale. */
    bode_key_open(key, sid);
    err = janitor_set(r, key, records, cutoff - GRACE_US, false, max_batches,
                      &res->open_entries);
    for (lane = 0; lane < BODE_LANE__COUNT && !err; lane++)
        for (i = 0; i < BODE_CHANNEL__COUNT && !err; i++) {
            bode_key_lane(key, sid, bode_channel_name((enum bode_channel)i),
                          bode_lane_name((enum bode_lane)lane));
            err = janitor_stream(r, key, cutoff, max_batches,
                                 &res->stream_entries);
        }
    if (!err) {
        bode_key_callbacks(key, sid);
        err = janitor_stream(r, key, cutoff, max_batches, &res->stream_entries);
    }
    if (!err) {
        /* Received texts: their listing index, as for notifications. */
        bode_key_received_index(key, sid);
        bode_key_received_prefix(records, sid);
        err = janitor_set(r, key, records, cutoff, true, max_batches,
                          &res->index_entries);
    }
    return err;
}

enum bode_err bode_queue_ops_janitor(struct bode_redis *r, int64_t now,
                                     int max_batches,
                                     struct bode_ops_janitor_result *res)
{
    redisReply *ids;
    enum bode_err err = BODE_OK;
    size_t i;

    ids = services(r, &err);
    if (!ids)
        return err;
    for (i = 0; i < ids->elements && !err; i++)
        err = janitor_service(r, ids->element[i]->str, now, max_batches, res);
    freeReplyObject(ids);
    return err;
}

enum bode_err bode_queue_ops_janitor_tick(struct bode_redis *r, int64_t now,
                                          int64_t *last)
{
    struct bode_ops_janitor_result res = {0, 0, 0};
    enum bode_err err;

    if (*last && now - *last < JANITOR_EVERY_US)
        return BODE_OK;
    *last = now;
    err = bode_queue_ops_janitor(r, now, 5, &res);
    return err == BODE_ERR_REDIS ? err : BODE_OK;
}
