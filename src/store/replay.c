/* The optional JWT replay guard's one Redis step (docs/security.md). */
#include <stdio.h>

#include "bode/hash.h"
#include "bode/store.h"
#include "store_int.h"

enum bode_err bode_store_token_first_use(struct bode_redis *r, const char *sid,
                                         const void *sig, size_t len,
                                         long ttl_ms, bool *first)
{
    char key[BODE_KEY_SIZE];
    char digest[BODE_SHA256_HEX_SIZE];
    char ttl[24];
    redisReply *reply;
    enum bode_err err;

    *first = false;
    /* A digest, not the signature: with the public header and claims the
     * signature would rebuild a token still inside its window. */
    bode_sha256_hex(sig, len, digest);
    bode_key_token_seen(key, sid, digest);
    snprintf(ttl, sizeof(ttl), "%ld", ttl_ms);
    reply =
        bode_cmd_words(r, false, &err, "SET", key, "1", "NX", "PX", ttl, NULL);
    if (!reply)
        return err;
    /* OK when set; a nil reply when the key was already there. */
    *first = reply->type == REDIS_REPLY_STATUS;
    freeReplyObject(reply);
    return BODE_OK;
}
