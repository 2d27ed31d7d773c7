/* Files sent by email: one sealed string per document under the service's
 * hash tag, with Redis expiring it. Must not know how the blob is sealed
 * or hold the key that opens it. */
#include <string.h>

#include "bode/alloc.h"
#include "bode/store.h"
#include "bode/uuid.h"
#include "store_int.h"

static bool ids_ok(const char *sid, const char *did)
{
    return bode_uuid_is_valid(sid, strlen(sid)) &&
           bode_uuid_is_valid(did, strlen(did));
}

static enum bode_err put_blob(struct bode_redis *r, const char *key,
                              const void *blob, size_t len, long long ttl_s)
{
    struct bode_cmd c;
    redisReply *reply;
    enum bode_err err = BODE_OK;

    bode_cmd_init(&c);
    bode_cmd_add(&c, "SET");
    bode_cmd_add(&c, key);
    bode_cmd_addn(&c, blob, len);
    bode_cmd_add(&c, "EX");
    bode_cmd_addi(&c, ttl_s);
    /* A fresh random id never collides; NX keeps that a fact. */
    bode_cmd_add(&c, "NX");
    reply = bode_cmd_run(r, &c, false, &err);
    if (!reply)
        return err;
    err = reply->type == REDIS_REPLY_STATUS ? BODE_OK : BODE_ERR_REDIS;
    freeReplyObject(reply);
    return err;
}

static enum bode_err get_blob(struct bode_redis *r, const char *key,
                              char **blob, size_t *len)
{
    redisReply *reply;
    enum bode_err err = BODE_OK;

    reply = bode_cmd_words(r, true, &err, "GET", key, NULL);
    if (!reply)
        return err;
    if (reply->type != REDIS_REPLY_STRING) {
        err = reply->type == REDIS_REPLY_NIL ? BODE_ERR_NOT_FOUND
                                             : BODE_ERR_REDIS;
        goto out;
    }
    *blob = bode_malloc(reply->len + 1);
    if (!*blob) {
        err = BODE_ERR_NOMEM;
        goto out;
    }
    memcpy(*blob, reply->str, reply->len);
    *len = reply->len;
out:
    freeReplyObject(reply);
    return err;
}

static enum bode_err del_key(struct bode_redis *r, const char *key)
{
    redisReply *reply;
    enum bode_err err = BODE_OK;

    reply = bode_cmd_words(r, true, &err, "DEL", key, NULL);
    if (!reply)
        return err;
    freeReplyObject(reply);
    return BODE_OK;
}

enum bode_err bode_store_document_put(struct bode_redis *r, const char *sid,
                                      const char *did, const void *blob,
                                      size_t len, long long ttl_s)
{
    char key[BODE_KEY_SIZE];

    if (!ids_ok(sid, did) || ttl_s <= 0)
        return BODE_ERR_INVALID;
    bode_key_document(key, sid, did);
    return put_blob(r, key, blob, len, ttl_s);
}

enum bode_err bode_store_document_get(struct bode_redis *r, const char *sid,
                                      const char *did, char **blob, size_t *len)
{
    char key[BODE_KEY_SIZE];

    *blob = NULL;
    *len = 0;
    if (!ids_ok(sid, did))
        return BODE_ERR_NOT_FOUND;
    bode_key_document(key, sid, did);
    return get_blob(r, key, blob, len);
}

enum bode_err bode_store_document_delete(struct bode_redis *r, const char *sid,
                                         const char *did)
{
    char key[BODE_KEY_SIZE];

    if (!ids_ok(sid, did))
        return BODE_ERR_INVALID;
    bode_key_document(key, sid, did);
    return del_key(r, key);
}

enum bode_err bode_store_attachments_put(struct bode_redis *r, const char *sid,
                                         const char *nid, const char *list,
                                         long long ttl_s)
{
    char key[BODE_KEY_SIZE];

    if (!ids_ok(sid, nid) || ttl_s <= 0)
        return BODE_ERR_INVALID;
    bode_key_attachments(key, sid, nid);
    return put_blob(r, key, list, strlen(list), ttl_s);
}

enum bode_err bode_store_attachments_get(struct bode_redis *r, const char *sid,
                                         const char *nid, char **list)
{
    char key[BODE_KEY_SIZE];
    size_t len = 0;
    enum bode_err err;

    *list = NULL;
    if (!ids_ok(sid, nid))
        return BODE_ERR_NOT_FOUND;
    bode_key_attachments(key, sid, nid);
    err = get_blob(r, key, list, &len);
    if (!err && memchr(*list, '\0', len)) {
        bode_free(*list);
        *list = NULL;
        return BODE_ERR_INVALID;
    }
    if (!err)
        (*list)[len] = '\0';
    return err;
}

enum bode_err bode_store_attachments_delete(struct bode_redis *r,
                                            const char *sid, const char *nid)
{
    char key[BODE_KEY_SIZE];

    if (!ids_ok(sid, nid))
        return BODE_ERR_INVALID;
    bode_key_attachments(key, sid, nid);
    return del_key(r, key);
}
