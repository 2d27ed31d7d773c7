/* Per-service, per-day outcome counters (written by transition.lua) read
 * for `bode stats`. Must not write: only the transition counts. */
#include <string.h>

#include "bode/ops.h"
#include "store_int.h"

enum bode_err bode_store_stats_day(struct bode_redis *r, const char *sid,
                                   const char *day,
                                   struct bode_ops_day_stats *out)
{
    char key[BODE_KEY_SIZE];
    char name[64];
    redisReply *reply = NULL;
    enum bode_channel ch;
    enum bode_status st;
    enum bode_err err;
    const char *colon;
    size_t i;

    memset(out, 0, sizeof(*out));
    bode_key_stats(key, sid, day);
    err = bode_cmd_hgetall(r, key, &reply);
    if (err == BODE_ERR_NOT_FOUND)
        return BODE_OK;
    if (err)
        return err;
    for (i = 0; i + 1 < reply->elements; i += 2) {
        const redisReply *k = reply->element[i];

        if (k->type != REDIS_REPLY_STRING || k->len >= sizeof(name))
            continue;
        memcpy(name, k->str, k->len + 1);
        colon = strchr(name, ':');
        if (!colon)
            continue;
        name[colon - name] = '\0';
        if (bode_channel_parse(name, &ch) || bode_status_parse(colon + 1, &st))
            continue; /* a counter from a newer version: not ours to show */
        out->counts[ch][st] = bode_reply_int(reply, k->str, 0);
    }
    freeReplyObject(reply);
    return BODE_OK;
}
