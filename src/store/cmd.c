/* Building and running Redis commands and scripts; reading replies. Must
 * not know any key layout. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bode/alloc.h"
#include "bode/hash.h"
#include "bode/num.h"
#include "store_int.h"

extern const char bode_lua_accept[];
extern const char bode_lua_list[];
extern const char bode_lua_template_put[];
extern const char bode_lua_claim[];
extern const char bode_lua_transition[];
extern const char bode_lua_promote[];
extern const char bode_lua_promote_callbacks[];
extern const char bode_lua_dead_retry[];
extern const char bode_lua_janitor[];
extern const char bode_lua_redact[];
extern const char bode_lua_cancel[];
extern const char bode_lua_job_create[];
extern const char bode_lua_job_rows[];
extern const char bode_lua_job_commit[];
extern const char bode_lua_job_cancel[];
extern const char bode_lua_job_counts[];
extern const char bode_lua_promote_scheduled[];
extern const char bode_lua_sender[];
extern const char bode_lua_callback_health[];
extern const char bode_lua_inbound_put[];

void bode_cmd_init(struct bode_cmd *c)
{
    c->argc = 0;
    c->overflow = false;
}

void bode_cmd_addn(struct bode_cmd *c, const char *s, size_t n)
{
    if (c->argc == BODE_CMD_MAX) {
        c->overflow = true;
        return;
    }
    c->argv[c->argc] = s;
    c->len[c->argc] = n;
    c->argc++;
}

void bode_cmd_add(struct bode_cmd *c, const char *s)
{
    bode_cmd_addn(c, s, strlen(s));
}

void bode_cmd_addi(struct bode_cmd *c, long long v)
{
    size_t n;

    if (c->argc == BODE_CMD_MAX) {
        c->overflow = true;
        return;
    }
    n = bode_format_ll(v, c->num[c->argc]);
    bode_cmd_addn(c, c->num[c->argc], n);
}

void bode_cmd_field(struct bode_cmd *c, const char *name, const char *value)
{
    if (!value)
        return;
    bode_cmd_add(c, name);
    bode_cmd_add(c, value);
}

void bode_cmd_fieldi(struct bode_cmd *c, const char *name, long long value)
{
    bode_cmd_add(c, name);
    bode_cmd_addi(c, value);
}

redisReply *bode_cmd_run(struct bode_redis *r, struct bode_cmd *c, bool retry,
                         enum bode_err *err)
{
    redisReply *reply;

    if (c->overflow || c->argc == 0) {
        *err = BODE_ERR_INVALID;
        return NULL;
    }
    reply = bode_redis__command(r, retry, c->argc, c->argv, c->len, err);
    if (reply && reply->type == REDIS_REPLY_ERROR) {
        freeReplyObject(reply);
        *err = BODE_ERR_REDIS;
        return NULL;
    }
    return reply;
}

redisReply *bode_cmd_words(struct bode_redis *r, bool retry, enum bode_err *err,
                           ...)
{
    struct bode_cmd c;
    const char *word;
    va_list ap;

    bode_cmd_init(&c);
    va_start(ap, err);
    while ((word = va_arg(ap, const char *)) != NULL)
        if (c.argc < 8)
            bode_cmd_add(&c, word);
        else
            c.overflow = true;
    va_end(ap);
    return bode_cmd_run(r, &c, retry, err);
}

enum bode_err bode_cmd_hgetall(struct bode_redis *r, const char *key,
                               redisReply **out)
{
    enum bode_err err;
    redisReply *reply = bode_cmd_words(r, true, &err, "HGETALL", key, NULL);

    *out = NULL;
    if (!reply)
        return err;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements == 0) {
        freeReplyObject(reply);
        return BODE_ERR_NOT_FOUND;
    }
    *out = reply;
    return BODE_OK;
}

static struct {
    const char *text;
    char sha[BODE_SHA1_HEX_SIZE];
} scripts[BODE_SCRIPT__COUNT];

static pthread_once_t scripts_once = PTHREAD_ONCE_INIT;

static void hash_scripts(void)
{
    int i;

    scripts[BODE_SCRIPT_ACCEPT].text = bode_lua_accept;
    scripts[BODE_SCRIPT_LIST].text = bode_lua_list;
    scripts[BODE_SCRIPT_TEMPLATE_PUT].text = bode_lua_template_put;
    scripts[BODE_SCRIPT_CLAIM].text = bode_lua_claim;
    scripts[BODE_SCRIPT_TRANSITION].text = bode_lua_transition;
    scripts[BODE_SCRIPT_PROMOTE].text = bode_lua_promote;
    scripts[BODE_SCRIPT_PROMOTE_CALLBACKS].text = bode_lua_promote_callbacks;
    scripts[BODE_SCRIPT_DEAD_RETRY].text = bode_lua_dead_retry;
    scripts[BODE_SCRIPT_JANITOR].text = bode_lua_janitor;
    scripts[BODE_SCRIPT_REDACT].text = bode_lua_redact;
    scripts[BODE_SCRIPT_CANCEL].text = bode_lua_cancel;
    scripts[BODE_SCRIPT_JOB_CREATE].text = bode_lua_job_create;
    scripts[BODE_SCRIPT_JOB_ROWS].text = bode_lua_job_rows;
    scripts[BODE_SCRIPT_JOB_COMMIT].text = bode_lua_job_commit;
    scripts[BODE_SCRIPT_JOB_CANCEL].text = bode_lua_job_cancel;
    scripts[BODE_SCRIPT_JOB_COUNTS].text = bode_lua_job_counts;
    scripts[BODE_SCRIPT_PROMOTE_SCHEDULED].text = bode_lua_promote_scheduled;
    scripts[BODE_SCRIPT_SENDER].text = bode_lua_sender;
    scripts[BODE_SCRIPT_CALLBACK_HEALTH].text = bode_lua_callback_health;
    scripts[BODE_SCRIPT_INBOUND_PUT].text = bode_lua_inbound_put;
    for (i = 0; i < BODE_SCRIPT__COUNT; i++)
        bode_sha1_hex(scripts[i].text, strlen(scripts[i].text), scripts[i].sha);
}

static bool is_noscript(const redisReply *reply)
{
    return reply->type == REDIS_REPLY_ERROR &&
           strncmp(reply->str, "NOSCRIPT", 8) == 0;
}

redisReply *bode_script_run(struct bode_redis *r, enum bode_script script,
                            int numkeys, struct bode_cmd *c, enum bode_err *err)
{
    const char *argv[BODE_CMD_MAX + 3];
    size_t len[BODE_CMD_MAX + 3];
    char nkeys[16];
    redisReply *reply;
    int i;

    pthread_once(&scripts_once, hash_scripts);
    if (c->overflow || (unsigned)script >= BODE_SCRIPT__COUNT) {
        *err = BODE_ERR_INVALID;
        return NULL;
    }
    nkeys[bode_format_ll(numkeys, nkeys)] = '\0';
    argv[0] = "EVALSHA";
    argv[1] = scripts[script].sha;
    argv[2] = nkeys;
    len[0] = 7;
    len[1] = strlen(scripts[script].sha);
    len[2] = strlen(nkeys);
    for (i = 0; i < c->argc; i++) {
        argv[i + 3] = c->argv[i];
        len[i + 3] = c->len[i];
    }
    reply = bode_redis__command(r, false, c->argc + 3, argv, len, err);
    if (reply && is_noscript(reply)) {
        /* A restarted or flushed Redis forgets scripts: send the text. */
        freeReplyObject(reply);
        argv[0] = "EVAL";
        len[0] = 4;
        argv[1] = scripts[script].text;
        len[1] = strlen(scripts[script].text);
        reply = bode_redis__command(r, false, c->argc + 3, argv, len, err);
    }
    if (reply && reply->type == REDIS_REPLY_ERROR) {
        freeReplyObject(reply);
        *err = BODE_ERR_REDIS;
        return NULL;
    }
    return reply;
}

enum bode_err bode_script_run_many(struct bode_redis *r,
                                   enum bode_script script, int numkeys,
                                   struct bode_cmd *const *cmds, size_t n,
                                   redisReply **replies)
{
    const char ***argv = NULL;
    size_t **lens = NULL;
    int *argc = NULL;
    char nkeys[16];
    size_t i;
    int k;
    enum bode_err err = BODE_ERR_NOMEM;

    pthread_once(&scripts_once, hash_scripts);
    if (n == 0)
        return BODE_OK;
    nkeys[bode_format_ll(numkeys, nkeys)] = '\0';
    argv = bode_calloc(n, sizeof(*argv));
    lens = bode_calloc(n, sizeof(*lens));
    argc = bode_calloc(n, sizeof(*argc));
    if (!argv || !lens || !argc)
        goto out;
    for (i = 0; i < n; i++) {
        if (cmds[i]->overflow) {
            err = BODE_ERR_INVALID;
            goto out;
        }
        argv[i] = bode_calloc((size_t)cmds[i]->argc + 3, sizeof(**argv));
        lens[i] = bode_calloc((size_t)cmds[i]->argc + 3, sizeof(**lens));
        if (!argv[i] || !lens[i])
            goto out;
        argv[i][0] = "EVALSHA";
        argv[i][1] = scripts[script].sha;
        argv[i][2] = nkeys;
        lens[i][0] = 7;
        lens[i][1] = strlen(scripts[script].sha);
        lens[i][2] = strlen(nkeys);
        for (k = 0; k < cmds[i]->argc; k++) {
            argv[i][k + 3] = cmds[i]->argv[k];
            lens[i][k + 3] = cmds[i]->len[k];
        }
        argc[i] = cmds[i]->argc + 3;
    }
    err = bode_redis__pipeline(r, n, argc, argv, (const size_t *const *)lens,
                               replies);
    for (i = 0; !err && i < n; i++) {
        if (!is_noscript(replies[i]))
            continue;
        /* A restarted Redis forgot the script: the rest of the batch
         * failed the same way, so each is sent again with its text. */
        freeReplyObject(replies[i]);
        replies[i] = bode_script_run(r, script, numkeys, cmds[i], &err);
        if (!replies[i] && err != BODE_ERR_REDIS)
            err = BODE_OK; /* an error reply: the caller sees NULL */
    }
out:
    for (i = 0; argv && i < n; i++)
        bode_free(argv[i]);
    for (i = 0; lens && i < n; i++)
        bode_free(lens[i]);
    bode_free(argv);
    bode_free(lens);
    bode_free(argc);
    return err;
}

const redisReply *bode_reply_field(const redisReply *flat, const char *name)
{
    size_t i;

    if (!flat || flat->type != REDIS_REPLY_ARRAY)
        return NULL;
    for (i = 0; i + 1 < flat->elements; i += 2) {
        const redisReply *k = flat->element[i];
        const redisReply *v = flat->element[i + 1];

        if (k->type == REDIS_REPLY_STRING && strcmp(k->str, name) == 0)
            return v->type == REDIS_REPLY_STRING ? v : NULL;
    }
    return NULL;
}

void bode_reply_copy(const redisReply *flat, const char *name, char *out,
                     size_t size)
{
    const redisReply *v = bode_reply_field(flat, name);
    size_t n;

    if (!size)
        return;
    n = v ? v->len : 0;
    if (n >= size)
        n = size - 1;
    if (n)
        memcpy(out, v->str, n);
    out[n] = '\0';
}

long long bode_reply_int(const redisReply *flat, const char *name,
                         long long fallback)
{
    const redisReply *v = bode_reply_field(flat, name);
    long long n = 0;
    size_t i = 0;
    bool neg = false;

    if (!v || v->len == 0 || v->len > 19)
        return fallback;
    if (v->str[0] == '-') {
        neg = true;
        i = 1;
    }
    for (; i < v->len; i++) {
        if (v->str[i] < '0' || v->str[i] > '9')
            return fallback;
        n = n * 10 + (v->str[i] - '0');
    }
    return neg ? -n : n;
}

char *bode_reply_dup(const redisReply *flat, const char *name,
                     enum bode_err *err)
{
    const redisReply *v = bode_reply_field(flat, name);
    char *s;

    if (!v)
        return NULL;
    s = bode_malloc(v->len + 1);
    if (!s) {
        *err = BODE_ERR_NOMEM;
        return NULL;
    }
    memcpy(s, v->str, v->len);
    s[v->len] = '\0';
    return s;
}
