/* Private to store/ and queue/: key names, command building and script
 * calls. */
#ifndef BODE_STORE_INT_H
#define BODE_STORE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "bode/err.h"
#include "redis_int.h"

/* ---- key names: every key of a service carries {s:<sid>} ---- */

#define BODE_KEY_SIZE 160

void bode_key_service(char *out, const char *sid);
void bode_key_services(char *out);
void bode_key_apikeys(char *out, const char *sid);
void bode_key_team(char *out, const char *sid);
void bode_key_template(char *out, const char *sid, const char *tid);
void bode_key_template_version(char *out, const char *sid, const char *tid,
                               int version);
void bode_key_templates(char *out, const char *sid);
void bode_key_notification(char *out, const char *sid, const char *id);
/* The prefix to which a notification id is appended (for scripts). */
void bode_key_notification_prefix(char *out, const char *sid);
void bode_key_index(char *out, const char *sid, const char *key_type);
void bode_key_lane(char *out, const char *sid, const char *channel,
                   const char *lane);
void bode_key_daily(char *out, const char *sid, const char *channel,
                    const char *day);
void bode_key_rate(char *out, const char *sid, const char *key_type);
void bode_key_idempotency(char *out, const char *sid, const char *key_hash);
void bode_key_lane_prefix(char *out, const char *sid);
void bode_key_retry(char *out, const char *sid);
void bode_key_history(char *out, const char *sid, const char *id);
void bode_key_callbacks(char *out, const char *sid);
void bode_key_dead(char *out, const char *sid);
void bode_key_callback_retry(char *out, const char *sid);
void bode_key_open(char *out, const char *sid);
/* Per-day outcome counters, day as YYYY-MM-DD (UTC). */
void bode_key_stats(char *out, const char *sid, const char *day);
/* Provider reference → "sid id". Global, not under a service's tag: a
 * receipt names only the provider's reference (docs/internals/store.md). */
void bode_key_ref(char *out, const char *provider, const char *ref);
/* A file sent by email, sealed (src/store/document.c). */
void bode_key_document(char *out, const char *sid, const char *did);
/* The sealed keys of a notification's attachments (attachment mode). */
void bode_key_attachments(char *out, const char *sid, const char *nid);
/* A template's redact_personalisation flag (not versioned, as Notify's
 * TemplateRedacted). */
void bode_key_template_redact(char *out, const char *sid, const char *tid);
/* A token already used, by the SHA-256 of its signature (replay guard). */
void bode_key_token_seen(char *out, const char *sid, const char *sig_hash);
/* Scheduled sends and jobs waiting for their time (docs/internals/store.md). */
void bode_key_scheduled(char *out, const char *sid);
void bode_key_job(char *out, const char *sid, const char *jid);
void bode_key_job_ids(char *out, const char *sid, const char *jid);
/* Prefixes to which a job id or a key type is appended (for scripts). */
void bode_key_job_prefix(char *out, const char *sid);
void bode_key_index_prefix(char *out, const char *sid);
/* A service's reply-to addresses or SMS senders (kind "reply_to"/"sms"). */
void bode_key_senders(char *out, const char *sid, const char *kind);
/* Inbound SMS: number -> service (global, like bode_key_ref), a service's
 * numbers, its received texts, their index and provider references. */
void bode_key_inbound_number(char *out, const char *number);
void bode_key_inbound_numbers(char *out, const char *sid);
void bode_key_received(char *out, const char *sid, const char *id);
void bode_key_received_prefix(char *out, const char *sid);
void bode_key_received_index(char *out, const char *sid);
void bode_key_received_ref(char *out, const char *sid, const char *provider,
                           const char *ref);

/* ---- command building ---- */

#define BODE_CMD_MAX 96

/* An argv for redisCommandArgv. Strings added with cmd_add are borrowed
 * and must outlive the call; numbers are formatted into the struct. Past
 * BODE_CMD_MAX arguments, overflow is set and the command must not run. */
struct bode_cmd {
    int argc;
    bool overflow;
    const char *argv[BODE_CMD_MAX];
    size_t len[BODE_CMD_MAX];
    char num[BODE_CMD_MAX][24];
};

void bode_cmd_init(struct bode_cmd *c);
void bode_cmd_add(struct bode_cmd *c, const char *s);
void bode_cmd_addn(struct bode_cmd *c, const char *s, size_t n);
void bode_cmd_addi(struct bode_cmd *c, long long v);
/* Adds name and value when value is not NULL. */
void bode_cmd_field(struct bode_cmd *c, const char *name, const char *value);
void bode_cmd_fieldi(struct bode_cmd *c, const char *name, long long value);

/* Runs c (no retry on a lost connection unless retry). Returns the reply
 * (caller frees with freeReplyObject) or NULL with *err set; a Redis error
 * reply becomes BODE_ERR_REDIS and NULL. */
redisReply *bode_cmd_run(struct bode_redis *r, struct bode_cmd *c, bool retry,
                         enum bode_err *err);

/* Runs a command given as string words, NULL-terminated (at most 8), with
 * the same reply and error rules as bode_cmd_run. */
redisReply *bode_cmd_words(struct bode_redis *r, bool retry, enum bode_err *err,
                           ...);

/* HGETALL key into *out (caller frees with freeReplyObject).
 * BODE_ERR_NOT_FOUND when the hash does not exist. */
enum bode_err bode_cmd_hgetall(struct bode_redis *r, const char *key,
                               redisReply **out);

/* ---- scripts ---- */

enum bode_script {
    BODE_SCRIPT_ACCEPT,
    BODE_SCRIPT_LIST,
    BODE_SCRIPT_TEMPLATE_PUT,
    BODE_SCRIPT_CLAIM,
    BODE_SCRIPT_TRANSITION,
    BODE_SCRIPT_PROMOTE,
    BODE_SCRIPT_PROMOTE_CALLBACKS,
    BODE_SCRIPT_DEAD_RETRY,
    BODE_SCRIPT_JANITOR,
    BODE_SCRIPT_REDACT,
    BODE_SCRIPT_CANCEL,
    BODE_SCRIPT_JOB_CREATE,
    BODE_SCRIPT_JOB_ROWS,
    BODE_SCRIPT_JOB_COMMIT,
    BODE_SCRIPT_JOB_CANCEL,
    BODE_SCRIPT_JOB_COUNTS,
    BODE_SCRIPT_PROMOTE_SCHEDULED,
    BODE_SCRIPT_SENDER,
    BODE_SCRIPT_CALLBACK_HEALTH,
    BODE_SCRIPT_INBOUND_PUT,
    BODE_SCRIPT__COUNT
};

/* Runs script with numkeys keys followed by arguments: c holds them (keys
 * first), without the EVALSHA, sha and numkeys words. Loads the script
 * when Redis does not have it. Never retried: scripts write. */
redisReply *bode_script_run(struct bode_redis *r, enum bode_script script,
                            int numkeys, struct bode_cmd *c,
                            enum bode_err *err);

/* Runs script n times, with the arguments of cmds[i] each, pipelined in
 * one round trip; replies[i] (caller frees each) may be an error reply.
 * Scripts Redis has forgotten are re-sent one by one. BODE_ERR_REDIS when
 * the connection fails (then no replies; the scripts may or may not have
 * run), BODE_ERR_NOMEM. */
enum bode_err bode_script_run_many(struct bode_redis *r,
                                   enum bode_script script, int numkeys,
                                   struct bode_cmd *const *cmds, size_t n,
                                   redisReply **replies);

/* ---- reply helpers ---- */

/* Finds field name in a flat field/value array reply; NULL if absent. */
const redisReply *bode_reply_field(const redisReply *flat, const char *name);
/* Copies a field's string into out (cut to size); "" when absent. */
void bode_reply_copy(const redisReply *flat, const char *name, char *out,
                     size_t size);
/* A field as a number; fallback when absent or not a number. */
long long bode_reply_int(const redisReply *flat, const char *name,
                         long long fallback);
/* A field duplicated with bode_malloc; NULL when absent. *err is set to
 * BODE_ERR_NOMEM when the copy fails. */
char *bode_reply_dup(const redisReply *flat, const char *name,
                     enum bode_err *err);

/* Fills out from a flat field/value array reply of a notification hash.
 * BODE_ERR_INVALID for a damaged record. */
struct bode_notification;
enum bode_err bode_store__fill_notification(const redisReply *h,
                                            struct bode_notification *out);

#endif
