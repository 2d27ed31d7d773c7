/* Notify's redact_personalisation: the per-template flag and the
 * overwrite of a sent notification's personal data (docs/security.md). */
#include <stdio.h>

#include "bode/store.h"
#include "store_int.h"

enum bode_err bode_store_template_redact(struct bode_redis *r, const char *sid,
                                         const char *tid)
{
    char tkey[BODE_KEY_SIZE];
    char flag[BODE_KEY_SIZE];
    redisReply *reply;
    enum bode_err err;
    bool exists;

    bode_key_template(tkey, sid, tid);
    bode_key_template_redact(flag, sid, tid);
    reply = bode_cmd_words(r, true, &err, "EXISTS", tkey, NULL);
    if (!reply)
        return err;
    exists = reply->type == REDIS_REPLY_INTEGER && reply->integer == 1;
    freeReplyObject(reply);
    if (!exists)
        return BODE_ERR_NOT_FOUND;
    /* Setting it twice is harmless, so the write may be retried. */
    reply = bode_cmd_words(r, true, &err, "SET", flag, "1", NULL);
    if (!reply)
        return err;
    freeReplyObject(reply);
    return BODE_OK;
}

enum bode_err bode_store_template_is_redacted(struct bode_redis *r,
                                              const char *sid, const char *tid,
                                              bool *yes)
{
    char flag[BODE_KEY_SIZE];
    redisReply *reply;
    enum bode_err err;

    *yes = false;
    bode_key_template_redact(flag, sid, tid);
    reply = bode_cmd_words(r, true, &err, "GET", flag, NULL);
    if (!reply)
        return err;
    *yes = reply->type == REDIS_REPLY_STRING;
    freeReplyObject(reply);
    return BODE_OK;
}

enum bode_err bode_store_notification_redact(struct bode_redis *r,
                                             const char *sid, const char *id,
                                             const char *personalisation,
                                             const char *body,
                                             const char *subject, bool *done)
{
    char key[BODE_KEY_SIZE];
    struct bode_cmd c;
    redisReply *reply;
    enum bode_err err;

    *done = false;
    bode_key_notification(key, sid, id);
    bode_cmd_init(&c);
    bode_cmd_add(&c, key);
    bode_cmd_field(&c, "personalisation", personalisation);
    bode_cmd_field(&c, "body", body);
    bode_cmd_field(&c, "subject", subject);
    bode_cmd_field(&c, "redacted", "1");
    reply = bode_script_run(r, BODE_SCRIPT_REDACT, 1, &c, &err);
    if (!reply)
        return err;
    *done = reply->type == REDIS_REPLY_INTEGER && reply->integer == 1;
    freeReplyObject(reply);
    return BODE_OK;
}
