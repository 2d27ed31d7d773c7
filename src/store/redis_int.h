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

/* Sends n commands in one write and reads their n replies (one round
 * trip). replies[i] is owned by the caller (freeReplyObject; a Redis error
 * is a REDIS_REPLY_ERROR reply). On a connection failure every reply is
 * freed, the connection dropped, and BODE_ERR_REDIS returned: the caller
 * cannot know which commands ran, so they must be safe to repeat. */
enum bode_err bode_redis__pipeline(struct bode_redis *r, size_t n,
                                   const int *argc, const char **const *argv,
                                   const size_t *const *lens,
                                   redisReply **replies);

#endif
