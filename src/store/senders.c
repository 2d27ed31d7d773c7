/* A service's email reply-to addresses and SMS senders: a hash of JSON
 * records per kind, the default mirrored into the service hash. Must not
 * judge whether a value is a valid address or sender: callers do. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "bode/alloc.h"
#include "bode/senders.h"
#include "store_int.h"

struct kind_names {
    const char *key;        /* key suffix */
    const char *id_field;   /* service hash field: the default's id */
    const char *text_field; /* service hash field: the default's text */
    bool clear_text;        /* clear the text when the last one goes */
};

/* The SMS text stays when the last sender goes: it is also the service's
 * own sms_sender setting, used when no sender is listed. */
static const struct kind_names kinds[] = {
    [BODE_SENDER_REPLY_TO] = {"reply_to", "reply_to_id", "reply_to", true},
    [BODE_SENDER_SMS] = {"sms", "sms_sender_id", "sms_sender", false},
};

static enum bode_err run(struct bode_redis *r, enum bode_sender_kind kind,
                         const char *sid, const char *op, const char *id,
                         const char *record, bool make_default)
{
    const struct kind_names *k = &kinds[kind];
    char list[BODE_KEY_SIZE];
    char svc[BODE_KEY_SIZE];
    struct bode_cmd c;
    redisReply *reply;
    enum bode_err err = BODE_OK;

    bode_key_senders(list, sid, k->key);
    bode_key_service(svc, sid);
    bode_cmd_init(&c);
    bode_cmd_add(&c, list);
    bode_cmd_add(&c, svc);
    bode_cmd_add(&c, op);
    bode_cmd_add(&c, id);
    bode_cmd_add(&c, record ? record : "");
    bode_cmd_add(&c, make_default ? "1" : "0");
    bode_cmd_add(&c, k->id_field);
    bode_cmd_add(&c, k->text_field);
    bode_cmd_add(&c, k->clear_text ? "1" : "0");
    reply = bode_script_run(r, BODE_SCRIPT_SENDER, 2, &c, &err);
    if (!reply)
        return err;
    if (reply->type != REDIS_REPLY_STRING)
        err = BODE_ERR_REDIS;
    else if (strcmp(reply->str, "noservice") == 0 ||
             strcmp(reply->str, "missing") == 0)
        err = BODE_ERR_NOT_FOUND;
    else if (strcmp(reply->str, "default") == 0)
        err = BODE_ERR_CONFLICT;
    else if (strcmp(reply->str, "ok") != 0)
        err = BODE_ERR_REDIS;
    freeReplyObject(reply);
    return err;
}

enum bode_err bode_store_sender_add(struct bode_redis *r,
                                    enum bode_sender_kind kind, const char *sid,
                                    const struct bode_sender *s)
{
    json_t *obj;
    char *text;
    enum bode_err err;

    obj = json_pack("{s:s, s:I}", "value", s->value, "created_at",
                    (json_int_t)s->created_at);
    text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);
    if (!text)
        return BODE_ERR_NOMEM;
    err = run(r, kind, sid, "add", s->id, text, s->is_default);
    bode_free(text);
    return err;
}

enum bode_err bode_store_sender_set_default(struct bode_redis *r,
                                            enum bode_sender_kind kind,
                                            const char *sid, const char *id)
{
    return run(r, kind, sid, "default", id, NULL, false);
}

enum bode_err bode_store_sender_remove(struct bode_redis *r,
                                       enum bode_sender_kind kind,
                                       const char *sid, const char *id)
{
    return run(r, kind, sid, "remove", id, NULL, false);
}

static enum bode_err parse(const char *id, size_t id_len, const char *raw,
                           size_t raw_len, const char *default_id,
                           struct bode_sender *out)
{
    json_t *obj = json_loadb(raw, raw_len, 0, NULL);
    const char *value = NULL;
    json_int_t created = 0;
    enum bode_err err = BODE_ERR_INVALID;

    memset(out, 0, sizeof(*out));
    if (!obj || id_len >= sizeof(out->id) ||
        json_unpack(obj, "{s:s, s:I}", "value", &value, "created_at",
                    &created) != 0 ||
        strlen(value) >= sizeof(out->value))
        goto out;
    memcpy(out->id, id, id_len);
    out->id[id_len] = '\0';
    snprintf(out->value, sizeof(out->value), "%s", value);
    out->created_at = created;
    out->is_default = strcmp(out->id, default_id) == 0;
    err = BODE_OK;
out:
    json_decref(obj);
    return err;
}

/* The id of the current default ("" when none). */
static enum bode_err default_id(struct bode_redis *r,
                                enum bode_sender_kind kind, const char *sid,
                                char *out)
{
    char svc[BODE_KEY_SIZE];
    redisReply *reply;
    enum bode_err err;

    out[0] = '\0';
    bode_key_service(svc, sid);
    reply =
        bode_cmd_words(r, true, &err, "HGET", svc, kinds[kind].id_field, NULL);
    if (!reply)
        return err;
    if (reply->type == REDIS_REPLY_STRING && reply->len < BODE_UUID_SIZE)
        memcpy(out, reply->str, reply->len + 1);
    freeReplyObject(reply);
    return BODE_OK;
}

enum bode_err bode_store_sender_get(struct bode_redis *r,
                                    enum bode_sender_kind kind, const char *sid,
                                    const char *id, struct bode_sender *out)
{
    char list[BODE_KEY_SIZE];
    char def[BODE_UUID_SIZE];
    redisReply *reply;
    enum bode_err err;

    memset(out, 0, sizeof(*out));
    bode_key_senders(list, sid, kinds[kind].key);
    reply = bode_cmd_words(r, true, &err, "HGET", list, id, NULL);
    if (!reply)
        return err;
    if (reply->type != REDIS_REPLY_STRING) {
        freeReplyObject(reply);
        return BODE_ERR_NOT_FOUND;
    }
    err = default_id(r, kind, sid, def);
    if (!err)
        err = parse(id, strlen(id), reply->str, reply->len, def, out);
    freeReplyObject(reply);
    return err;
}

enum bode_err bode_store_sender_list(struct bode_redis *r,
                                     enum bode_sender_kind kind,
                                     const char *sid, struct bode_sender *out,
                                     size_t max, size_t *n)
{
    char list[BODE_KEY_SIZE];
    char def[BODE_UUID_SIZE];
    redisReply *reply;
    enum bode_err err;
    size_t i;
    size_t j;

    *n = 0;
    err = default_id(r, kind, sid, def);
    if (err)
        return err;
    bode_key_senders(list, sid, kinds[kind].key);
    reply = bode_cmd_words(r, true, &err, "HGETALL", list, NULL);
    if (!reply)
        return err;
    for (i = 0; reply->type == REDIS_REPLY_ARRAY && i + 1 < reply->elements &&
                *n < max;
         i += 2) {
        const redisReply *k = reply->element[i];
        const redisReply *v = reply->element[i + 1];

        if (parse(k->str, k->len, v->str, v->len, def, &out[*n]))
            continue; /* a damaged record must not hide the others */
        (*n)++;
    }
    freeReplyObject(reply);
    /* Oldest first, so listings are stable. */
    for (i = 1; i < *n; i++) {
        struct bode_sender s = out[i];

        for (j = i; j > 0 && out[j - 1].created_at > s.created_at; j--)
            out[j] = out[j - 1];
        out[j] = s;
    }
    return BODE_OK;
}
