/* Services, their API keys and their team: hashes under the service's
 * hash tag. Secrets are sealed with the caller's secretbox, bound to the
 * service and field they belong to. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "bode/alloc.h"
#include "bode/rand.h"
#include "bode/store.h"
#include "store_int.h"

/* Sealed text of a secret of up to 255 bytes, with room to spare. */
#define SEALED_SIZE 512

enum bode_err bode_service_defaults(struct bode_service *s, const char *name)
{
    memset(s, 0, sizeof(*s));
    if (bode_rand_uuid(s->id))
        return BODE_ERR_IO;
    snprintf(s->name, sizeof(s->name), "%s", name);
    s->active = true;
    s->permissions =
        BODE_PERM_EMAIL | BODE_PERM_SMS | BODE_PERM_INTERNATIONAL_SMS;
    s->rate_limit = 3000;
    s->email_limit = 250000;
    s->sms_limit = 250000;
    s->international_sms_limit = 100;
    snprintf(s->email_from, sizeof(s->email_from), "notify");
    snprintf(s->email_domain, sizeof(s->email_domain), "bode.localhost");
    snprintf(s->sms_sender, sizeof(s->sms_sender), "Bode");
    s->retention_days = 7;
    s->created_at = bode_now_us();
    return BODE_OK;
}

static void bind_ad(char *ad, size_t size, const char *sid, const char *what)
{
    snprintf(ad, size, "bode:%s:%s", sid, what);
}

enum bode_err bode_store_service_put(struct bode_redis *r,
                                     const struct bode_secretbox *box,
                                     const struct bode_service *s)
{
    char key[BODE_KEY_SIZE];
    char set[BODE_KEY_SIZE];
    char sealed[SEALED_SIZE] = "";
    char sealed_in[SEALED_SIZE] = "";
    char ad[128];
    struct bode_cmd c;
    redisReply *reply;
    enum bode_err err;

    if (s->inbound_callback_token[0]) {
        bind_ad(ad, sizeof(ad), s->id, "inbound_callback_token");
        err = bode_secretbox_seal(box, s->inbound_callback_token,
                                  strlen(s->inbound_callback_token), ad,
                                  strlen(ad), sealed_in, sizeof(sealed_in));
        if (err)
            return err;
    }
    if (s->callback_token[0]) {
        bind_ad(ad, sizeof(ad), s->id, "callback_token");
        err = bode_secretbox_seal(box, s->callback_token,
                                  strlen(s->callback_token), ad, strlen(ad),
                                  sealed, sizeof(sealed));
        if (err)
            return err;
    }
    bode_key_service(key, s->id);
    bode_cmd_init(&c);
    bode_cmd_add(&c, "HSET");
    bode_cmd_add(&c, key);
    bode_cmd_field(&c, "id", s->id);
    bode_cmd_field(&c, "name", s->name);
    bode_cmd_fieldi(&c, "restricted", s->restricted);
    bode_cmd_fieldi(&c, "active", s->active);
    bode_cmd_fieldi(&c, "permissions", s->permissions);
    bode_cmd_fieldi(&c, "rate_limit", s->rate_limit);
    bode_cmd_fieldi(&c, "email_limit", s->email_limit);
    bode_cmd_fieldi(&c, "sms_limit", s->sms_limit);
    bode_cmd_fieldi(&c, "international_sms_limit", s->international_sms_limit);
    bode_cmd_field(&c, "email_from", s->email_from);
    bode_cmd_field(&c, "email_domain", s->email_domain);
    bode_cmd_field(&c, "sms_sender", s->sms_sender);
    bode_cmd_fieldi(&c, "prefix_sms", s->prefix_sms);
    bode_cmd_fieldi(&c, "retention_days", s->retention_days);
    bode_cmd_field(&c, "callback_url", s->callback_url);
    bode_cmd_field(&c, "callback_token", sealed);
    bode_cmd_field(&c, "brand_name", s->brand_name);
    bode_cmd_field(&c, "brand_logo", s->brand_logo);
    bode_cmd_field(&c, "brand_colour", s->brand_colour);
    bode_cmd_fieldi(&c, "created_at", s->created_at);
    bode_cmd_field(&c, "file_contact", s->file_contact);
    bode_cmd_fieldi(&c, "file_attach", s->file_attach);
    bode_cmd_field(&c, "reply_to_id", s->reply_to_id);
    bode_cmd_field(&c, "reply_to", s->reply_to);
    bode_cmd_field(&c, "sms_sender_id", s->sms_sender_id);
    bode_cmd_fieldi(&c, "callback_statuses", s->callback_statuses);
    bode_cmd_field(&c, "inbound_callback_url", s->inbound_callback_url);
    bode_cmd_field(&c, "inbound_callback_token", sealed_in);
    reply = bode_cmd_run(r, &c, true, &err);
    if (!reply)
        return err;
    freeReplyObject(reply);
    bode_key_services(set);
    bode_cmd_init(&c);
    bode_cmd_add(&c, "SADD");
    bode_cmd_add(&c, set);
    bode_cmd_add(&c, s->id);
    reply = bode_cmd_run(r, &c, true, &err);
    if (!reply)
        return err;
    freeReplyObject(reply);
    return BODE_OK;
}

enum bode_err bode_store_service_get(struct bode_redis *r,
                                     const struct bode_secretbox *box,
                                     const char *id, struct bode_service *out)
{
    char key[BODE_KEY_SIZE];
    char sealed[SEALED_SIZE];
    char ad[128];
    redisReply *reply;
    enum bode_err err = BODE_OK;
    size_t len = 0;

    memset(out, 0, sizeof(*out));
    bode_key_service(key, id);
    err = bode_cmd_hgetall(r, key, &reply);
    if (err)
        return err;
    bode_reply_copy(reply, "id", out->id, sizeof(out->id));
    bode_reply_copy(reply, "name", out->name, sizeof(out->name));
    out->restricted = bode_reply_int(reply, "restricted", 0) != 0;
    out->active = bode_reply_int(reply, "active", 1) != 0;
    out->permissions = (unsigned)bode_reply_int(reply, "permissions", 0);
    out->rate_limit = (int)bode_reply_int(reply, "rate_limit", 3000);
    out->email_limit = (int)bode_reply_int(reply, "email_limit", 250000);
    out->sms_limit = (int)bode_reply_int(reply, "sms_limit", 250000);
    out->international_sms_limit =
        (int)bode_reply_int(reply, "international_sms_limit", 100);
    bode_reply_copy(reply, "email_from", out->email_from,
                    sizeof(out->email_from));
    bode_reply_copy(reply, "email_domain", out->email_domain,
                    sizeof(out->email_domain));
    bode_reply_copy(reply, "sms_sender", out->sms_sender,
                    sizeof(out->sms_sender));
    out->prefix_sms = bode_reply_int(reply, "prefix_sms", 0) != 0;
    out->retention_days = (int)bode_reply_int(reply, "retention_days", 7);
    bode_reply_copy(reply, "callback_url", out->callback_url,
                    sizeof(out->callback_url));
    bode_reply_copy(reply, "brand_name", out->brand_name,
                    sizeof(out->brand_name));
    bode_reply_copy(reply, "brand_logo", out->brand_logo,
                    sizeof(out->brand_logo));
    bode_reply_copy(reply, "brand_colour", out->brand_colour,
                    sizeof(out->brand_colour));
    out->created_at = bode_reply_int(reply, "created_at", 0);
    bode_reply_copy(reply, "file_contact", out->file_contact,
                    sizeof(out->file_contact));
    out->file_attach = bode_reply_int(reply, "file_attach", 0) != 0;
    bode_reply_copy(reply, "reply_to_id", out->reply_to_id,
                    sizeof(out->reply_to_id));
    bode_reply_copy(reply, "reply_to", out->reply_to, sizeof(out->reply_to));
    bode_reply_copy(reply, "sms_sender_id", out->sms_sender_id,
                    sizeof(out->sms_sender_id));
    out->callback_statuses =
        (unsigned)bode_reply_int(reply, "callback_statuses", 0);
    out->callback_paused_at = bode_reply_int(reply, "callback_paused_at", 0);
    out->callback_failures =
        (long)bode_reply_int(reply, "callback_failures", 0);
    bode_reply_copy(reply, "callback_token", sealed, sizeof(sealed));
    if (sealed[0]) {
        bind_ad(ad, sizeof(ad), out->id, "callback_token");
        err = bode_secretbox_open(box, sealed, strlen(sealed), ad, strlen(ad),
                                  out->callback_token,
                                  sizeof(out->callback_token), &len);
        if (err)
            goto out;
        out->callback_token[len] = '\0';
    }
    bode_reply_copy(reply, "inbound_callback_url", out->inbound_callback_url,
                    sizeof(out->inbound_callback_url));
    bode_reply_copy(reply, "inbound_callback_token", sealed, sizeof(sealed));
    if (sealed[0]) {
        bind_ad(ad, sizeof(ad), out->id, "inbound_callback_token");
        err =
            bode_secretbox_open(box, sealed, strlen(sealed), ad, strlen(ad),
                                out->inbound_callback_token,
                                sizeof(out->inbound_callback_token) - 1, &len);
        if (err)
            goto out;
        out->inbound_callback_token[len] = '\0';
    }
out:
    freeReplyObject(reply);
    return err;
}

enum bode_err bode_store_service_list(struct bode_redis *r,
                                      char (*ids)[BODE_UUID_SIZE], size_t max,
                                      size_t *n)
{
    char set[BODE_KEY_SIZE];
    redisReply *reply;
    enum bode_err err;
    size_t i;

    bode_key_services(set);
    reply = bode_cmd_words(r, true, &err, "SMEMBERS", set, NULL);
    if (!reply)
        return err;
    *n = reply->type == REDIS_REPLY_ARRAY ? reply->elements : 0;
    for (i = 0; i < *n && i < max; i++)
        snprintf(ids[i], BODE_UUID_SIZE, "%s", reply->element[i]->str);
    freeReplyObject(reply);
    return BODE_OK;
}

/* One hash field per key, its value a small JSON object with the secret
 * sealed and bound to the service and key id. */
static enum bode_err write_key(struct bode_redis *r, const char *sid,
                               const char *key_id, json_t *obj)
{
    char hkey[BODE_KEY_SIZE];
    struct bode_cmd c;
    redisReply *reply;
    enum bode_err err;
    char *text = json_dumps(obj, JSON_COMPACT);

    if (!text)
        return BODE_ERR_NOMEM;
    bode_key_apikeys(hkey, sid);
    bode_cmd_init(&c);
    bode_cmd_add(&c, "HSET");
    bode_cmd_add(&c, hkey);
    bode_cmd_add(&c, key_id);
    bode_cmd_add(&c, text);
    reply = bode_cmd_run(r, &c, true, &err);
    bode_free(text);
    if (!reply)
        return err;
    freeReplyObject(reply);
    return BODE_OK;
}

enum bode_err bode_store_key_put(struct bode_redis *r,
                                 const struct bode_secretbox *box,
                                 const char *sid,
                                 const struct bode_api_key *key)
{
    char sealed[SEALED_SIZE];
    char ad[128];
    json_t *obj = NULL;
    enum bode_err err;

    bind_ad(ad, sizeof(ad), sid, key->id);
    err = bode_secretbox_seal(box, key->secret, strlen(key->secret), ad,
                              strlen(ad), sealed, sizeof(sealed));
    if (err)
        return err;
    obj = json_pack("{s:s, s:s, s:s, s:I, s:I}", "name", key->name, "type",
                    bode_key_type_name(key->type), "secret", sealed,
                    "created_at", (json_int_t)key->created_at, "revoked_at",
                    (json_int_t)key->revoked_at);
    if (!obj)
        return BODE_ERR_NOMEM;
    err = write_key(r, sid, key->id, obj);
    json_decref(obj);
    return err;
}

static enum bode_err parse_key(const struct bode_secretbox *box,
                               const char *sid, const redisReply *id,
                               const redisReply *value,
                               struct bode_api_key *out)
{
    char ad[128];
    const char *name = NULL;
    const char *type = NULL;
    const char *sealed = NULL;
    json_int_t created = 0;
    json_int_t revoked = 0;
    json_t *obj = NULL;
    size_t len = 0;
    enum bode_err err = BODE_ERR_INVALID;

    memset(out, 0, sizeof(*out));
    if (id->len >= sizeof(out->id))
        return BODE_ERR_INVALID;
    memcpy(out->id, id->str, id->len + 1);
    obj = json_loadb(value->str, value->len, 0, NULL);
    if (!obj || json_unpack(obj, "{s:s, s:s, s:s, s:I, s:I}", "name", &name,
                            "type", &type, "secret", &sealed, "created_at",
                            &created, "revoked_at", &revoked) != 0)
        goto out;
    if (bode_key_type_parse(type, &out->type))
        goto out;
    snprintf(out->name, sizeof(out->name), "%s", name);
    out->created_at = created;
    out->revoked_at = revoked;
    bind_ad(ad, sizeof(ad), sid, out->id);
    err = bode_secretbox_open(box, sealed, strlen(sealed), ad, strlen(ad),
                              out->secret, sizeof(out->secret), &len);
    if (!err)
        out->secret[len] = '\0';
out:
    json_decref(obj);
    return err;
}

enum bode_err bode_store_key_list(struct bode_redis *r,
                                  const struct bode_secretbox *box,
                                  const char *sid, struct bode_api_key *keys,
                                  size_t *n)
{
    char hkey[BODE_KEY_SIZE];
    redisReply *reply;
    enum bode_err err = BODE_OK;
    size_t i;
    size_t j;

    *n = 0;
    bode_key_apikeys(hkey, sid);
    reply = bode_cmd_words(r, true, &err, "HGETALL", hkey, NULL);
    if (!reply)
        return err;
    for (i = 0; i + 1 < reply->elements && *n < BODE_STORE_MAX_KEYS; i += 2) {
        err = parse_key(box, sid, reply->element[i], reply->element[i + 1],
                        &keys[*n]);
        if (err)
            goto out;
        (*n)++;
    }
    /* Oldest first, so listings and lookups are stable. */
    for (i = 1; i < *n; i++) {
        struct bode_api_key k = keys[i];

        for (j = i; j > 0 && keys[j - 1].created_at > k.created_at; j--)
            keys[j] = keys[j - 1];
        keys[j] = k;
    }
out:
    freeReplyObject(reply);
    return err;
}

enum bode_err bode_store_key_revoke(struct bode_redis *r, const char *sid,
                                    const char *key_id, int64_t now)
{
    char hkey[BODE_KEY_SIZE];
    redisReply *reply;
    json_t *obj = NULL;
    json_t *revoked;
    enum bode_err err;

    bode_key_apikeys(hkey, sid);
    reply = bode_cmd_words(r, true, &err, "HGET", hkey, key_id, NULL);
    if (!reply)
        return err;
    if (reply->type == REDIS_REPLY_STRING)
        obj = json_loadb(reply->str, reply->len, 0, NULL);
    err = reply->type == REDIS_REPLY_STRING ? BODE_ERR_INVALID
                                            : BODE_ERR_NOT_FOUND;
    freeReplyObject(reply);
    if (!obj)
        return err;
    revoked = json_object_get(obj, "revoked_at");
    /* Revoking twice keeps the first time, as Notify's expiry_date. */
    if (json_integer_value(revoked) != 0) {
        err = BODE_OK;
        goto out;
    }
    if (json_object_set_new(obj, "revoked_at", json_integer(now)) != 0) {
        err = BODE_ERR_NOMEM;
        goto out;
    }
    err = write_key(r, sid, key_id, obj);
out:
    json_decref(obj);
    return err;
}

enum bode_err bode_store_team_add(struct bode_redis *r, const char *sid,
                                  const char *recipient)
{
    char key[BODE_KEY_SIZE];
    enum bode_err err;
    redisReply *reply;

    bode_key_team(key, sid);
    reply = bode_cmd_words(r, true, &err, "SADD", key, recipient, NULL);
    if (!reply)
        return err;
    freeReplyObject(reply);
    return BODE_OK;
}

enum bode_err bode_store_team_has(struct bode_redis *r, const char *sid,
                                  const char *recipient, bool *yes)
{
    char key[BODE_KEY_SIZE];
    enum bode_err err;
    redisReply *reply;

    bode_key_team(key, sid);
    reply = bode_cmd_words(r, true, &err, "SISMEMBER", key, recipient, NULL);
    if (!reply)
        return err;
    *yes = reply->type == REDIS_REPLY_INTEGER && reply->integer == 1;
    freeReplyObject(reply);
    return BODE_OK;
}
