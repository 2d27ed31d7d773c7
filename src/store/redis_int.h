/* Private to store/ and queue/: raw command access to a bode_redis handle.
 * Replies never leave these modules. */
#ifndef BODE_REDIS_INT_H
#define BODE_REDIS_INT_H

#include <hiredis/hiredis.h>

#include "bode/redis.h"

/* Runs one command given as argv (binary safe). When retry is true the
 * command is sent again once after a reconnect if the connection failed:
 * use it only for commands that are safe to repeat. Returns the reply,
 * owned by the caller (freeReplyObject), or NULL with *err set to
 * BODE_ERR_REDIS (connection) or BODE_ERR_NOMEM. A reply of type
 * REDIS_REPLY_ERROR is returned as a reply, not as an error. */
redisReply *bode_redis__command(struct bode_redis *r, bool retry, int argc,
                                const char **argv, const size_t *lens,
                                enum bode_err *err);

#endif
