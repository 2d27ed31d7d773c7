/* Inbound numbers and received texts. Must not judge a text's content or
 * who may receive it: the API does that. */
#include "bode/inbound.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bode/alloc.h"
#include "store_int.h"

/* Retention + this much: a text outlives its listing by a little, so a
 * page never names a record that has just gone. */
#define RECORD_SLACK_S 3600
#define LIST_BUDGET 20000

bool bode_inbound_number_normalise(const char *in,
                                   char out[BODE_INBOUND_NUMBER_SIZE])
{
    char digits[BODE_INBOUND_NUMBER_SIZE];
    size_t n = 0;
    size_t i;
    const char *d;

    out[0] = '\0';
    for (i = 0; in[i]; i++) {
        char ch = in[i];

        if (ch == ' ' || ch == '-' || ch == '(' || ch == ')' ||
            (ch == '+' && n == 0 && i == strspn(in, " ")))
            continue;
        if (ch < '0' || ch > '9' || n + 1 >= sizeof(digits))
            return false;
        digits[n++] = ch;
    }
    digits[n] = '\0';
    d = digits;
    if (strncmp(d, "00", 2) == 0)
        d += 2;
    n = strlen(d);
    if (d[0] == '0' && d[1] != '0') {
        /* A UK national number, as Notify's numbers are. */
        if (n + 1 >= BODE_INBOUND_NUMBER_SIZE)
            return false;
        memcpy(out, "44", 2);
        memcpy(out + 2, d + 1, n);
    } else {
        memcpy(out, d, n + 1);
    }
    n = strlen(out);
    if (n < 3 || n > 15) {
        out[0] = '\0';
        return false;
    }
    return true;
}

enum bode_err bode_store_inbound_number_owner(struct bode_redis *r,
                                              const char *number,
                                              char sid[BODE_UUID_SIZE])
{
    char key[BODE_KEY_SIZE];
    redisReply *reply;
    enum bode_err err;

    sid[0] = '\0';
    bode_key_inbound_number(key, number);
    reply = bode_cmd_words(r, true, &err, "GET", key, NULL);
    if (!reply)
        return err;
    err = BODE_ERR_NOT_FOUND;
    if (reply->type == REDIS_REPLY_STRING && reply->len < BODE_UUID_SIZE) {
        memcpy(sid, reply->str, reply->len + 1);
        err = BODE_OK;
    }
    freeReplyObject(reply);
    return err;
}

enum bode_err bode_store_inbound_number_add(struct bode_redis *r,
                                            const char *sid, const char *number)
{
    char key[BODE_KEY_SIZE];
    char set[BODE_KEY_SIZE];
    char owner[BODE_UUID_SIZE];
    redisReply *reply;
    enum bode_err err;

    bode_key_inbound_number(key, number);
    bode_key_inbound_numbers(set, sid);
    /* The number key is global (a webhook names only the number), so it
     * is claimed first and the service's own set follows. */
    reply = bode_cmd_words(r, false, &err, "SET", key, sid, "NX", NULL);
    if (!reply)
        return err;
    freeReplyObject(reply);
    err = bode_store_inbound_number_owner(r, number, owner);
    if (err)
        return err;
    if (strcmp(owner, sid) != 0)
        return BODE_ERR_CONFLICT;
    reply = bode_cmd_words(r, true, &err, "SADD", set, number, NULL);
    if (!reply)
        return err;
    freeReplyObject(reply);
    return BODE_OK;
}

enum bode_err bode_store_inbound_number_remove(struct bode_redis *r,
                                               const char *sid,
                                               const char *number)
{
    char key[BODE_KEY_SIZE];
    char set[BODE_KEY_SIZE];
    char owner[BODE_UUID_SIZE];
    redisReply *reply;
    enum bode_err err;

    err = bode_store_inbound_number_owner(r, number, owner);
    if (err)
        return err;
    if (strcmp(owner, sid) != 0)
        return BODE_ERR_NOT_FOUND;
    bode_key_inbound_number(key, number);
    bode_key_inbound_numbers(set, sid);
    reply = bode_cmd_words(r, true, &err, "SREM", set, number, NULL);
    if (!reply)
        return err;
    freeReplyObject(reply);
    reply = bode_cmd_words(r, true, &err, "DEL", key, NULL);
    if (!reply)
        return err;
    freeReplyObject(reply);
    return BODE_OK;
}

static int number_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

enum bode_err
bode_store_inbound_number_list(struct bode_redis *r, const char *sid,
                               char (*out)[BODE_INBOUND_NUMBER_SIZE],
                               size_t max, size_t *n)
{
    char set[BODE_KEY_SIZE];
    redisReply *reply;
    enum bode_err err;
    size_t i;

    *n = 0;
    bode_key_inbound_numbers(set, sid);
    reply = bode_cmd_words(r, true, &err, "SMEMBERS", set, NULL);
    if (!reply)
        return err;
    for (i = 0;
         reply->type == REDIS_REPLY_ARRAY && i < reply->elements && *n < max;
         i++)
        if (reply->element[i]->len < BODE_INBOUND_NUMBER_SIZE)
            memcpy(out[(*n)++], reply->element[i]->str,
                   reply->element[i]->len + 1);
    freeReplyObject(reply);
    qsort(out, *n, sizeof(*out), number_cmp);
    return BODE_OK;
}

void bode_received_text_release(struct bode_received_text *t)
{
    if (t->content) {
        explicit_bzero(t->content, strlen(t->content));
        bode_free(t->content);
    }
    memset(t, 0, sizeof(*t));
}

static void bind_ad(char *ad, size_t size, const char *sid, const char *id)
{
    snprintf(ad, size, "bode:%s:inbound:%s", sid, id);
}

enum bode_err bode_store_received_put(struct bode_redis *r,
                                      const struct bode_secretbox *box,
                                      struct bode_received_text *t,
                                      int retention_days, bool callback,
                                      bool *dup)
{
    char record[BODE_KEY_SIZE];
    char index[BODE_KEY_SIZE];
    char ref[BODE_KEY_SIZE];
    char stream[BODE_KEY_SIZE];
    char ad[128];
    size_t len = strlen(t->content);
    size_t sealed_size = bode_secretbox_sealed_len(len) + 1;
    char *sealed = bode_malloc(sealed_size);
    long long ttl = (long long)retention_days * 86400 + RECORD_SLACK_S;
    struct bode_cmd c;
    redisReply *reply = NULL;
    enum bode_err err;

    *dup = false;
    if (!sealed)
        return BODE_ERR_NOMEM;
    bind_ad(ad, sizeof(ad), t->service_id, t->id);
    err = bode_secretbox_seal(box, t->content, len, ad, strlen(ad), sealed,
                              sealed_size);
    if (err)
        goto out;
    bode_key_received(record, t->service_id, t->id);
    bode_key_received_index(index, t->service_id);
    bode_key_received_ref(ref, t->service_id, t->provider,
                          t->reference[0] ? t->reference : "-");
    bode_key_callbacks(stream, t->service_id);
    bode_cmd_init(&c);
    bode_cmd_add(&c, record);
    bode_cmd_add(&c, index);
    bode_cmd_add(&c, ref);
    bode_cmd_add(&c, stream);
    bode_cmd_add(&c, t->id);
    bode_cmd_addi(&c, ttl);
    bode_cmd_addi(&c, t->created_at);
    bode_cmd_addi(&c, t->created_at - (int64_t)retention_days * 86400000000LL);
    bode_cmd_add(&c, t->reference[0] ? "1" : "0");
    bode_cmd_add(&c, callback ? "1" : "0");
    bode_cmd_field(&c, "id", t->id);
    bode_cmd_field(&c, "service_id", t->service_id);
    bode_cmd_field(&c, "user_number", t->user_number);
    bode_cmd_field(&c, "notify_number", t->notify_number);
    bode_cmd_field(&c, "content", sealed);
    bode_cmd_field(&c, "provider", t->provider);
    bode_cmd_field(&c, "reference", t->reference);
    bode_cmd_fieldi(&c, "created_at", t->created_at);
    reply = bode_script_run(r, BODE_SCRIPT_INBOUND_PUT, 4, &c, &err);
    if (!reply)
        goto out;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
        reply->element[0]->type != REDIS_REPLY_STRING ||
        reply->element[1]->type != REDIS_REPLY_STRING ||
        reply->element[1]->len >= sizeof(t->id)) {
        err = BODE_ERR_REDIS;
        goto out;
    }
    if (strcmp(reply->element[0]->str, "dup") == 0) {
        *dup = true;
        memcpy(t->id, reply->element[1]->str, reply->element[1]->len + 1);
    }
out:
    freeReplyObject(reply);
    bode_free(sealed);
    return err;
}

/* Fills out from a record hash, opening its content. */
static enum bode_err fill(const struct bode_secretbox *box, const redisReply *h,
                          struct bode_received_text *out)
{
    const redisReply *sealed = bode_reply_field(h, "content");
    char ad[128];
    size_t len = 0;
    enum bode_err err;

    memset(out, 0, sizeof(*out));
    bode_reply_copy(h, "id", out->id, sizeof(out->id));
    bode_reply_copy(h, "service_id", out->service_id, sizeof(out->service_id));
    bode_reply_copy(h, "user_number", out->user_number,
                    sizeof(out->user_number));
    bode_reply_copy(h, "notify_number", out->notify_number,
                    sizeof(out->notify_number));
    bode_reply_copy(h, "provider", out->provider, sizeof(out->provider));
    bode_reply_copy(h, "reference", out->reference, sizeof(out->reference));
    out->created_at = bode_reply_int(h, "created_at", 0);
    if (!sealed || !out->id[0] || !out->service_id[0])
        return BODE_ERR_INVALID;
    out->content = bode_malloc(sealed->len + 1);
    if (!out->content)
        return BODE_ERR_NOMEM;
    bind_ad(ad, sizeof(ad), out->service_id, out->id);
    err = bode_secretbox_open(box, sealed->str, sealed->len, ad, strlen(ad),
                              out->content, sealed->len, &len);
    if (err) {
        bode_received_text_release(out);
        return err == BODE_ERR_NOMEM ? err : BODE_ERR_INVALID;
    }
    out->content[len] = '\0';
    return BODE_OK;
}

enum bode_err bode_store_received_get(struct bode_redis *r,
                                      const struct bode_secretbox *box,
                                      const char *sid, const char *id,
                                      struct bode_received_text *out)
{
    char key[BODE_KEY_SIZE];
    redisReply *reply;
    enum bode_err err;

    memset(out, 0, sizeof(*out));
    bode_key_received(key, sid, id);
    err = bode_cmd_hgetall(r, key, &reply);
    if (err)
        return err;
    err = fill(box, reply, out);
    freeReplyObject(reply);
    return err;
}

enum bode_err
bode_store_received_list(struct bode_redis *r, const struct bode_secretbox *box,
                         const char *sid, const char *older_than, size_t limit,
                         struct bode_received_text **out, size_t *n)
{
    char index[BODE_KEY_SIZE];
    char prefix[BODE_KEY_SIZE];
    char bound[48] = "+inf";
    struct bode_received_text *list = NULL;
    struct bode_cmd c;
    redisReply *reply = NULL;
    enum bode_err err;
    size_t count = 0;
    size_t i;

    *out = NULL;
    *n = 0;
    bode_key_received_index(index, sid);
    if (older_than) {
        reply =
            bode_cmd_words(r, true, &err, "ZSCORE", index, older_than, NULL);
        if (!reply)
            return err;
        if (reply->type != REDIS_REPLY_STRING) {
            freeReplyObject(reply);
            return BODE_OK;
        }
        snprintf(bound, sizeof(bound), "(%s", reply->str);
        freeReplyObject(reply);
    }
    bode_key_received_prefix(prefix, sid);
    bode_cmd_init(&c);
    bode_cmd_add(&c, index);
    bode_cmd_add(&c, bound);
    bode_cmd_addi(&c, (long long)limit);
    bode_cmd_add(&c, prefix);
    bode_cmd_add(&c, "");
    bode_cmd_add(&c, "");
    bode_cmd_add(&c, "");
    bode_cmd_addi(&c, LIST_BUDGET);
    /* list.lua with no filters: the index newest first, records fetched
     * on the server, expired ones skipped. */
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
        err = fill(box, reply->element[i], &list[count]);
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
            bode_received_text_release(&list[i]);
        bode_free(list);
    }
    freeReplyObject(reply);
    return err;
}
