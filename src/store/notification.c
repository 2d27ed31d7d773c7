/* Notification records: the atomic accept, reads and filtered listing.
 * Must not decide anything about validity: the API has done that. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bode/alloc.h"
#include "bode/store.h"
#include "store_int.h"

/* Idempotency keys are remembered for a day (issue 4). */
#define IDEMPOTENCY_TTL_S 86400
/* A record outlives its retention by the longest a notification can stay
 * open (72 h until the timeout makes it final) plus a day of slack. */
#define OPEN_SLACK_S (4 * 86400)
/* Most index entries one listing call may look at. */
#define LIST_BUDGET 20000

void bode_accept_result_release(struct bode_accept_result *res)
{
    bode_free(res->replayed);
    res->replayed = NULL;
}

/* The UTC day of us, YYYY-MM-DD: daily limits reset at midnight UTC. */
static void day_of(int64_t us, char out[16])
{
    char stamp[BODE_TIME_SIZE];

    bode_time_format(us, stamp);
    memcpy(out, stamp, 10);
    out[10] = '\0';
}

static long long reply_ll(const redisReply *r)
{
    if (r->type == REDIS_REPLY_INTEGER)
        return r->integer;
    if (r->type == REDIS_REPLY_STRING)
        return strtoll(r->str, NULL, 10);
    return 0;
}

static void add_record_fields(struct bode_cmd *c, const struct bode_accept *a)
{
    bode_cmd_field(c, "id", a->id);
    bode_cmd_field(c, "service_id", a->service_id);
    bode_cmd_field(c, "key_type", bode_key_type_name(a->key_type));
    bode_cmd_field(c, "key_id", a->key_id);
    bode_cmd_field(c, "type", bode_channel_name(a->channel));
    bode_cmd_field(c, "lane", bode_lane_name(a->lane));
    bode_cmd_field(c, "status", "created");
    bode_cmd_field(c, "template_id", a->template_id);
    bode_cmd_fieldi(c, "template_version", a->template_version);
    bode_cmd_field(c, "to", a->to);
    bode_cmd_field(c, "personalisation", a->personalisation);
    bode_cmd_field(c, "reference", a->reference);
    bode_cmd_field(c, "subject", a->subject);
    bode_cmd_field(c, "body", a->body);
    bode_cmd_field(c, "from", a->from);
    bode_cmd_field(c, "reply_to", a->reply_to);
    bode_cmd_field(c, "one_click_unsubscribe_url",
                   a->one_click_unsubscribe_url);
    bode_cmd_field(c, "request_id", a->request_id);
    bode_cmd_fieldi(c, "billable_units", a->billable_units);
    bode_cmd_fieldi(c, "international", a->international);
    bode_cmd_field(c, "country_prefix", a->country_prefix);
    bode_cmd_fieldi(c, "created_at", a->created_at);
    bode_cmd_fieldi(c, "updated_at", a->created_at);
    bode_cmd_fieldi(c, "retention_days", a->retention_days);
    if (a->scheduled_for)
        bode_cmd_fieldi(c, "scheduled_for", a->scheduled_for);
    bode_cmd_field(c, "sender_id", a->sender_id);
    if (a->attachments > 0)
        bode_cmd_fieldi(c, "attachments", a->attachments);
}

enum bode_err bode_store_accept(struct bode_redis *r,
                                const struct bode_accept *a,
                                struct bode_accept_result *res)
{
    char record[BODE_KEY_SIZE];
    char index[BODE_KEY_SIZE];
    char lane[BODE_KEY_SIZE];
    char daily[BODE_KEY_SIZE];
    char rate[BODE_KEY_SIZE];
    char idem[BODE_KEY_SIZE];
    char intl[BODE_KEY_SIZE];
    char open[BODE_KEY_SIZE];
    char sched[BODE_KEY_SIZE];
    char day[16];
    const char *kt = bode_key_type_name(a->key_type);
    /* A scheduled record waits before its clock starts. */
    long long wait_s = a->scheduled_for > a->created_at
                           ? (a->scheduled_for - a->created_at) / 1000000 + 1
                           : 0;
    int64_t retention_us = (int64_t)a->retention_days * 86400 * 1000000;
    struct bode_cmd c;
    redisReply *reply;
    const char *code;
    enum bode_err err = BODE_OK;

    memset(res, 0, sizeof(*res));
    day_of(a->created_at, day);
    bode_key_notification(record, a->service_id, a->id);
    bode_key_index(index, a->service_id, kt);
    bode_key_lane(lane, a->service_id, bode_channel_name(a->channel),
                  bode_lane_name(a->lane));
    bode_key_daily(daily, a->service_id, bode_channel_name(a->channel), day);
    bode_key_rate(rate, a->service_id, kt);
    bode_key_idempotency(idem, a->service_id,
                         a->idempotency_key ? a->idempotency_key : "-");
    bode_key_daily(intl, a->service_id, "international_sms", day);
    bode_key_open(open, a->service_id);
    bode_key_scheduled(sched, a->service_id);
    bode_cmd_init(&c);
    bode_cmd_add(&c, record);
    bode_cmd_add(&c, index);
    bode_cmd_add(&c, lane);
    bode_cmd_add(&c, daily);
    bode_cmd_add(&c, rate);
    bode_cmd_add(&c, idem);
    bode_cmd_add(&c, intl);
    bode_cmd_add(&c, open);
    bode_cmd_add(&c, sched);
    bode_cmd_addi(&c, a->created_at);
    bode_cmd_addi(&c, a->rate_limit);
    bode_cmd_addi(&c, a->daily_limit);
    bode_cmd_addi(&c,
                  (long long)a->retention_days * 86400 + OPEN_SLACK_S + wait_s);
    bode_cmd_add(&c, a->idempotency_key && a->idempotency_hash
                         ? a->idempotency_hash
                         : "");
    /* The response is remembered only under an idempotency key; without
     * one, sending it would only cost Redis the parsing. */
    bode_cmd_add(&c, a->idempotency_key && a->idempotency_hash && a->response
                         ? a->response
                         : "");
    bode_cmd_addi(&c, IDEMPOTENCY_TTL_S);
    bode_cmd_addi(&c, a->created_at - retention_us);
    bode_cmd_add(&c, a->id);
    bode_cmd_add(&c, a->service_id);
    bode_cmd_addi(&c, a->international ? a->international_limit : 0);
    if (a->scheduled_for)
        bode_cmd_addi(&c, a->scheduled_for);
    else
        bode_cmd_add(&c, "");
    add_record_fields(&c, a);
    reply = bode_script_run(r, BODE_SCRIPT_ACCEPT, 9, &c, &err);
    if (!reply)
        return err;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1 ||
        reply->element[0]->type != REDIS_REPLY_STRING) {
        err = BODE_ERR_REDIS;
        goto out;
    }
    code = reply->element[0]->str;
    if (strcmp(code, "ok") == 0 && reply->elements == 3) {
        res->outcome = BODE_ACCEPT_STORED;
        res->tokens_left = (long)(reply_ll(reply->element[1]) / 1000);
        res->ms_until_full = (long)reply_ll(reply->element[2]);
    } else if (strcmp(code, "rate") == 0 && reply->elements == 3) {
        res->outcome = BODE_ACCEPT_RATE_LIMITED;
        res->ms_retry = (long)reply_ll(reply->element[2]);
    } else if (strcmp(code, "daily") == 0) {
        res->outcome = BODE_ACCEPT_DAILY_LIMITED;
    } else if (strcmp(code, "daily_international") == 0) {
        res->outcome = BODE_ACCEPT_INTERNATIONAL_LIMITED;
    } else if (strcmp(code, "idem") == 0 && reply->elements == 2 &&
               reply->element[1]->type == REDIS_REPLY_STRING) {
        res->outcome = BODE_ACCEPT_REPLAYED;
        res->replayed =
            bode_strndup(reply->element[1]->str, reply->element[1]->len);
        if (!res->replayed)
            err = BODE_ERR_NOMEM;
    } else if (strcmp(code, "idem_conflict") == 0) {
        res->outcome = BODE_ACCEPT_KEY_CONFLICT;
    } else {
        err = BODE_ERR_REDIS;
    }
out:
    freeReplyObject(reply);
    return err;
}

void bode_notification_release(struct bode_notification *n)
{
    bode_free(n->to);
    bode_free(n->reference);
    bode_free(n->subject);
    bode_free(n->body);
    bode_free(n->personalisation);
    bode_free(n->one_click_unsubscribe_url);
    bode_free(n->provider);
    bode_free(n->reply_to_text);
    memset(n, 0, sizeof(*n));
}

enum bode_err bode_store__fill_notification(const redisReply *h,
                                            struct bode_notification *out)
{
    char word[32];
    enum bode_err err = BODE_OK;

    memset(out, 0, sizeof(*out));
    bode_reply_copy(h, "id", out->id, sizeof(out->id));
    bode_reply_copy(h, "service_id", out->service_id, sizeof(out->service_id));
    bode_reply_copy(h, "template_id", out->template_id,
                    sizeof(out->template_id));
    bode_reply_copy(h, "key_type", word, sizeof(word));
    if (bode_key_type_parse(word, &out->key_type))
        return BODE_ERR_INVALID;
    bode_reply_copy(h, "type", word, sizeof(word));
    if (bode_channel_parse(word, &out->channel))
        return BODE_ERR_INVALID;
    bode_reply_copy(h, "status", word, sizeof(word));
    if (bode_status_parse(word, &out->status))
        return BODE_ERR_INVALID;
    bode_reply_copy(h, "lane", word, sizeof(word));
    if (bode_lane_parse(word, &out->lane))
        out->lane = BODE_LANE_NORMAL;
    out->template_version = (int)bode_reply_int(h, "template_version", 1);
    out->billable_units = (int)bode_reply_int(h, "billable_units", 0);
    out->international = bode_reply_int(h, "international", 0) != 0;
    out->attempts = (int)bode_reply_int(h, "attempts", 0);
    out->attachments = (int)bode_reply_int(h, "attachments", 0);
    out->retention_days = (int)bode_reply_int(h, "retention_days", 7);
    bode_reply_copy(h, "request_id", out->request_id, sizeof(out->request_id));
    out->created_at = bode_reply_int(h, "created_at", 0);
    out->sent_at = bode_reply_int(h, "sent_at", 0);
    out->updated_at = bode_reply_int(h, "updated_at", out->created_at);
    out->scheduled_for = bode_reply_int(h, "scheduled_for", 0);
    out->to = bode_reply_dup(h, "to", &err);
    out->reference = bode_reply_dup(h, "reference", &err);
    out->subject = bode_reply_dup(h, "subject", &err);
    out->body = bode_reply_dup(h, "body", &err);
    out->personalisation = bode_reply_dup(h, "personalisation", &err);
    out->one_click_unsubscribe_url =
        bode_reply_dup(h, "one_click_unsubscribe_url", &err);
    out->provider = bode_reply_dup(h, "provider", &err);
    /* "from" is the SMS sender; an email's from address is the service's. */
    out->reply_to_text = bode_reply_dup(
        h, out->channel == BODE_CHANNEL_SMS ? "from" : "reply_to", &err);
    bode_reply_copy(h, "sender_id", out->sender_id, sizeof(out->sender_id));
    if (!err && (!out->to || !out->body))
        err = BODE_ERR_INVALID;
    if (err)
        bode_notification_release(out);
    return err;
}

enum bode_err bode_store_notification_get(struct bode_redis *r, const char *sid,
                                          const char *id,
                                          struct bode_notification *out)
{
    char key[BODE_KEY_SIZE];
    redisReply *reply;
    enum bode_err err;

    memset(out, 0, sizeof(*out));
    bode_key_notification(key, sid, id);
    err = bode_cmd_hgetall(r, key, &reply);
    if (err)
        return err;
    err = bode_store__fill_notification(reply, out);
    freeReplyObject(reply);
    return err;
}

static void join_bits(unsigned bits, int count, const char *(*name)(int),
                      char *out, size_t size)
{
    size_t used = 0;
    int i;
    int n;

    out[0] = '\0';
    for (i = 0; i < count; i++) {
        if (!(bits & (1u << i)))
            continue;
        n = snprintf(out + used, size - used, "%s%s", used ? "," : "", name(i));
        if (n < 0 || (size_t)n >= size - used)
            return;
        used += (size_t)n;
    }
}

static const char *status_name_i(int i)
{
    return bode_status_name((enum bode_status)i);
}

static const char *channel_name_i(int i)
{
    return bode_channel_name((enum bode_channel)i);
}

/* The creation time of id, as the exclusive upper bound of a page. */
static enum bode_err older_than_bound(struct bode_redis *r, const char *sid,
                                      const char *kt, const char *id,
                                      char *bound, size_t size)
{
    char index[BODE_KEY_SIZE];
    redisReply *reply;
    enum bode_err err;

    bode_key_index(index, sid, kt);
    reply = bode_cmd_words(r, true, &err, "ZSCORE", index, id, NULL);
    if (!reply)
        return err;
    if (reply->type != REDIS_REPLY_STRING) {
        freeReplyObject(reply);
        return BODE_ERR_NOT_FOUND;
    }
    snprintf(bound, size, "(%s", reply->str);
    freeReplyObject(reply);
    return BODE_OK;
}

enum bode_err
bode_store_notification_list(struct bode_redis *r, const char *sid,
                             const struct bode_list_filter *f, size_t limit,
                             struct bode_notification **out, size_t *n)
{
    char index[BODE_KEY_SIZE];
    char prefix[BODE_KEY_SIZE];
    char bound[48] = "+inf";
    char types[64];
    char statuses[256];
    const char *kt = bode_key_type_name(f->key_type);
    struct bode_notification *list = NULL;
    struct bode_cmd c;
    redisReply *reply = NULL;
    enum bode_err err;
    size_t i;
    size_t count = 0;

    *out = NULL;
    *n = 0;
    if (f->older_than) {
        err = older_than_bound(r, sid, kt, f->older_than, bound, sizeof(bound));
        if (err == BODE_ERR_NOT_FOUND)
            return BODE_OK;
        if (err)
            return err;
    }
    join_bits(f->channels, BODE_CHANNEL__COUNT, channel_name_i, types,
              sizeof(types));
    join_bits(f->statuses, BODE_STATUS__COUNT, status_name_i, statuses,
              sizeof(statuses));
    bode_key_index(index, sid, kt);
    bode_key_notification_prefix(prefix, sid);
    bode_cmd_init(&c);
    bode_cmd_add(&c, index);
    bode_cmd_add(&c, bound);
    bode_cmd_addi(&c, (long long)limit);
    bode_cmd_add(&c, prefix);
    bode_cmd_add(&c, types);
    bode_cmd_add(&c, statuses);
    bode_cmd_add(&c, f->reference ? f->reference : "");
    bode_cmd_addi(&c, LIST_BUDGET);
    bode_cmd_add(&c, f->include_jobs ? "1" : "0");
    reply = bode_script_run(r, BODE_SCRIPT_LIST, 1, &c, &err);
    if (!reply)
        return err;
    if (reply->type != REDIS_REPLY_ARRAY) {
        err = BODE_ERR_REDIS;
        goto out;
    }
    list = bode_calloc(reply->elements ? reply->elements : 1, sizeof(*list));
    if (!list) {
        err = BODE_ERR_NOMEM;
        goto out;
    }
    for (i = 0; i < reply->elements; i++) {
        err = bode_store__fill_notification(reply->element[i], &list[count]);
        if (err == BODE_ERR_INVALID)
            continue; /* a damaged record must not hide the others */
        if (err)
            goto out;
        count++;
    }
    *out = list;
    *n = count;
    list = NULL;
    err = BODE_OK;
out:
    if (list) {
        for (i = 0; i < count; i++)
            bode_notification_release(&list[i]);
        bode_free(list);
    }
    freeReplyObject(reply);
    return err;
}
