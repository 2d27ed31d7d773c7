/* Templates as text and metadata, every version kept. Knows nothing of
 * the template language: compiling happens above the store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bode/alloc.h"
#include "bode/store.h"
#include "store_int.h"

void bode_template_rec_release(struct bode_template_rec *t)
{
    bode_free(t->subject);
    bode_free(t->body);
    t->subject = NULL;
    t->body = NULL;
}

enum bode_err bode_store_template_put(struct bode_redis *r,
                                      const struct bode_template_rec *t,
                                      int *version)
{
    char key[BODE_KEY_SIZE];
    char set[BODE_KEY_SIZE];
    struct bode_cmd c;
    redisReply *reply;
    enum bode_err err;

    bode_key_template(key, t->service_id, t->id);
    bode_key_templates(set, t->service_id);
    bode_cmd_init(&c);
    bode_cmd_add(&c, key);
    bode_cmd_add(&c, set);
    bode_cmd_add(&c, t->id);
    bode_cmd_addi(&c, bode_now_us());
    bode_cmd_field(&c, "name", t->name);
    bode_cmd_field(&c, "type", bode_channel_name(t->type));
    bode_cmd_field(&c, "subject", t->subject ? t->subject : "");
    bode_cmd_field(&c, "body", t->body);
    bode_cmd_fieldi(&c, "archived", t->archived);
    bode_cmd_field(&c, "lane", bode_lane_name(t->lane));
    bode_cmd_field(&c, "created_by", t->created_by);
    reply = bode_script_run(r, BODE_SCRIPT_TEMPLATE_PUT, 2, &c, &err);
    if (!reply)
        return err;
    *version = reply->type == REDIS_REPLY_INTEGER ? (int)reply->integer : 0;
    freeReplyObject(reply);
    return *version > 0 ? BODE_OK : BODE_ERR_REDIS;
}

static enum bode_err fill(const redisReply *h, const char *sid,
                          struct bode_template_rec *out)
{
    char type[16];
    char lane[16];
    enum bode_err err = BODE_OK;

    memset(out, 0, sizeof(*out));
    snprintf(out->service_id, sizeof(out->service_id), "%s", sid);
    bode_reply_copy(h, "id", out->id, sizeof(out->id));
    bode_reply_copy(h, "name", out->name, sizeof(out->name));
    bode_reply_copy(h, "type", type, sizeof(type));
    bode_reply_copy(h, "lane", lane, sizeof(lane));
    bode_reply_copy(h, "created_by", out->created_by, sizeof(out->created_by));
    if (bode_channel_parse(type, &out->type))
        return BODE_ERR_INVALID;
    if (bode_lane_parse(lane, &out->lane))
        out->lane = BODE_LANE_NORMAL;
    out->version = (int)bode_reply_int(h, "version", 0);
    out->created_at = bode_reply_int(h, "created_at", 0);
    out->updated_at = bode_reply_int(h, "updated_at", 0);
    out->archived = bode_reply_int(h, "archived", 0) != 0;
    out->body = bode_reply_dup(h, "body", &err);
    if (!out->body)
        return err ? err : BODE_ERR_INVALID;
    if (out->type == BODE_CHANNEL_EMAIL) {
        out->subject = bode_reply_dup(h, "subject", &err);
        if (err) {
            bode_template_rec_release(out);
            return err;
        }
    }
    return BODE_OK;
}

enum bode_err bode_store_template_get(struct bode_redis *r, const char *sid,
                                      const char *tid, int version,
                                      struct bode_template_rec *out)
{
    char key[BODE_KEY_SIZE];
    redisReply *reply;
    enum bode_err err;

    memset(out, 0, sizeof(*out));
    if (version > 0)
        bode_key_template_version(key, sid, tid, version);
    else
        bode_key_template(key, sid, tid);
    err = bode_cmd_hgetall(r, key, &reply);
    if (err)
        return err;
    err = fill(reply, sid, out);
    freeReplyObject(reply);
    return err;
}

static int newest_first(const void *a, const void *b)
{
    const struct bode_template_rec *x = a;
    const struct bode_template_rec *y = b;

    if (x->created_at != y->created_at)
        return x->created_at < y->created_at ? 1 : -1;
    return strcmp(x->id, y->id);
}

enum bode_err bode_store_template_list(struct bode_redis *r, const char *sid,
                                       int type_filter,
                                       struct bode_template_rec **out,
                                       size_t *n)
{
    char set[BODE_KEY_SIZE];
    redisReply *ids = NULL;
    struct bode_template_rec *recs = NULL;
    struct bode_template_rec rec;
    enum bode_err err;
    size_t i;
    size_t count = 0;

    *out = NULL;
    *n = 0;
    bode_key_templates(set, sid);
    ids = bode_cmd_words(r, true, &err, "SMEMBERS", set, NULL);
    if (!ids)
        return err;
    recs = bode_calloc(ids->elements ? ids->elements : 1, sizeof(*recs));
    if (!recs) {
        err = BODE_ERR_NOMEM;
        goto out;
    }
    for (i = 0; i < ids->elements; i++) {
        err = bode_store_template_get(r, sid, ids->element[i]->str, 0, &rec);
        if (err == BODE_ERR_NOT_FOUND)
            continue;
        if (err)
            goto out;
        if (rec.archived ||
            (type_filter >= 0 && (int)rec.type != type_filter)) {
            bode_template_rec_release(&rec);
            continue;
        }
        recs[count++] = rec;
    }
    qsort(recs, count, sizeof(*recs), newest_first);
    *out = recs;
    *n = count;
    recs = NULL;
    err = BODE_OK;
out:
    if (recs) {
        for (i = 0; i < count; i++)
            bode_template_rec_release(&recs[i]);
        bode_free(recs);
    }
    freeReplyObject(ids);
    return err;
}
