/* Redis connections: address parsing, connect with timeouts, AUTH/SELECT,
 * reconnect. Must not know any key names or data layout. */
#include "bode/redis.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "bode/alloc.h"
#include "bode/num.h"
#include "redis_int.h"

struct bode_redis {
    struct bode_redis_addr addr;
    char url[512];
    int timeout_ms;
    redisContext *ctx;
    char error[128];
};

static enum bode_err copy_part(char *dst, size_t size, const char *src,
                               size_t len)
{
    if (len >= size)
        return BODE_ERR_INVALID;
    memcpy(dst, src, len);
    dst[len] = '\0';
    return BODE_OK;
}

static enum bode_err parse_int(const char *s, size_t len, int min, int max,
                               int *out)
{
    long v = 0;
    size_t i;

    if (len == 0 || len > 9)
        return BODE_ERR_INVALID;
    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return BODE_ERR_INVALID;
        v = v * 10 + (s[i] - '0');
    }
    if (v < min || v > max)
        return BODE_ERR_INVALID;
    *out = (int)v;
    return BODE_OK;
}

static enum bode_err parse_unix(const char *rest, struct bode_redis_addr *a)
{
    const char *q = strchr(rest, '?');
    size_t plen = q ? (size_t)(q - rest) : strlen(rest);
    const char *p;
    const char *amp;
    size_t len;

    if (plen == 0 || rest[0] != '/')
        return BODE_ERR_INVALID;
    if (copy_part(a->path, sizeof(a->path), rest, plen))
        return BODE_ERR_INVALID;
    for (p = q; p && *p; p = amp) {
        p++;
        amp = strchr(p, '&');
        len = amp ? (size_t)(amp - p) : strlen(p);
        if (strncmp(p, "db=", 3) == 0) {
            if (parse_int(p + 3, len - 3, 0, 100000, &a->db))
                return BODE_ERR_INVALID;
        } else if (strncmp(p, "password=", 9) == 0) {
            if (copy_part(a->password, sizeof(a->password), p + 9, len - 9))
                return BODE_ERR_INVALID;
        } else {
            return BODE_ERR_INVALID;
        }
    }
    return BODE_OK;
}

static enum bode_err parse_tcp(const char *rest, struct bode_redis_addr *a)
{
    const char *at = strrchr(rest, '@');
    const char *hostport = at ? at + 1 : rest;
    const char *slash = strchr(hostport, '/');
    size_t hplen = slash ? (size_t)(slash - hostport) : strlen(hostport);
    const char *colon;
    const char *host_end;

    if (at) {
        const char *c = memchr(rest, ':', (size_t)(at - rest));
        if (c) {
            if (copy_part(a->user, sizeof(a->user), rest, (size_t)(c - rest)) ||
                copy_part(a->password, sizeof(a->password), c + 1,
                          (size_t)(at - c - 1)))
                return BODE_ERR_INVALID;
        } else if (copy_part(a->password, sizeof(a->password), rest,
                             (size_t)(at - rest))) {
            return BODE_ERR_INVALID;
        }
    }
    if (hplen == 0)
        return BODE_ERR_INVALID;
    if (hostport[0] == '[') {
        host_end = memchr(hostport, ']', hplen);
        if (!host_end || host_end == hostport + 1)
            return BODE_ERR_INVALID;
        if (copy_part(a->host, sizeof(a->host), hostport + 1,
                      (size_t)(host_end - hostport - 1)))
            return BODE_ERR_INVALID;
        colon = host_end + 1 < hostport + hplen ? host_end + 1 : NULL;
        if (colon && *colon != ':')
            return BODE_ERR_INVALID;
    } else {
        colon = memchr(hostport, ':', hplen);
        host_end = colon ? colon : hostport + hplen;
        if (host_end == hostport ||
            copy_part(a->host, sizeof(a->host), hostport,
                      (size_t)(host_end - hostport)))
            return BODE_ERR_INVALID;
    }
    if (colon && parse_int(colon + 1, (size_t)(hostport + hplen - colon - 1), 1,
                           65535, &a->port))
        return BODE_ERR_INVALID;
    if (slash && slash[1] &&
        parse_int(slash + 1, strlen(slash + 1), 0, 100000, &a->db))
        return BODE_ERR_INVALID;
    return BODE_OK;
}

enum bode_err bode_redis_addr_parse(const char *url,
                                    struct bode_redis_addr *out)
{
    memset(out, 0, sizeof(*out));
    out->port = 6379;
    if (strncmp(url, "unix://", 7) == 0)
        return parse_unix(url + 7, out);
    if (strncmp(url, "redis://", 8) == 0)
        return parse_tcp(url + 8, out);
    return BODE_ERR_INVALID;
}

struct bode_redis *bode_redis_new(const char *url, int timeout_ms)
{
    struct bode_redis *r = bode_calloc(1, sizeof(*r));

    if (!r)
        return NULL;
    if (strlen(url) >= sizeof(r->url) || bode_redis_addr_parse(url, &r->addr)) {
        bode_free(r);
        return NULL;
    }
    memcpy(r->url, url, strlen(url) + 1);
    r->timeout_ms = timeout_ms > 0 ? timeout_ms : 2000;
    return r;
}

static void drop(struct bode_redis *r)
{
    if (r->ctx)
        redisFree(r->ctx);
    r->ctx = NULL;
}

void bode_redis_free(struct bode_redis *r)
{
    if (!r)
        return;
    drop(r);
    /* The password must not linger in freed memory. */
    memset(&r->addr, 0, sizeof(r->addr));
    memset(r->url, 0, sizeof(r->url));
    bode_free(r);
}

static void set_error(struct bode_redis *r, const char *what, const char *why)
{
    snprintf(r->error, sizeof(r->error), "%s: %.90s", what, why);
}

static enum bode_err handshake(struct bode_redis *r)
{
    redisReply *reply = NULL;
    enum bode_err err = BODE_OK;

    if (r->addr.password[0]) {
        if (r->addr.user[0])
            reply = redisCommand(r->ctx, "AUTH %s %s", r->addr.user,
                                 r->addr.password);
        else
            reply = redisCommand(r->ctx, "AUTH %s", r->addr.password);
        if (!reply || reply->type == REDIS_REPLY_ERROR) {
            set_error(r, "redis AUTH failed", "credentials refused");
            err = BODE_ERR_REDIS;
            goto out;
        }
        freeReplyObject(reply);
        reply = NULL;
    }
    if (r->addr.db) {
        reply = redisCommand(r->ctx, "SELECT %d", r->addr.db);
        if (!reply || reply->type == REDIS_REPLY_ERROR) {
            set_error(r, "redis SELECT failed",
                      reply ? reply->str : r->ctx->errstr);
            err = BODE_ERR_REDIS;
            goto out;
        }
    }
out:
    if (reply)
        freeReplyObject(reply);
    return err;
}

enum bode_err bode_redis_connect(struct bode_redis *r)
{
    struct timeval tv;
    enum bode_err err;

    if (r->ctx)
        return BODE_OK;
    tv.tv_sec = r->timeout_ms / 1000;
    tv.tv_usec = (r->timeout_ms % 1000) * 1000;
    if (r->addr.path[0])
        r->ctx = redisConnectUnixWithTimeout(r->addr.path, tv);
    else
        r->ctx = redisConnectWithTimeout(r->addr.host, r->addr.port, tv);
    if (!r->ctx) {
        set_error(r, "redis connect failed", "out of memory");
        return BODE_ERR_REDIS;
    }
    if (r->ctx->err) {
        set_error(r, "redis connect failed", r->ctx->errstr);
        drop(r);
        return BODE_ERR_REDIS;
    }
    if (redisSetTimeout(r->ctx, tv) != REDIS_OK) {
        set_error(r, "redis connect failed", "cannot set timeout");
        drop(r);
        return BODE_ERR_REDIS;
    }
    err = handshake(r);
    if (err)
        drop(r);
    return err;
}

bool bode_redis_is_connected(const struct bode_redis *r)
{
    return r->ctx != NULL;
}

/* The command in Redis's wire format (RESP), in stack when it fits, else
 * in *heap (freed by the caller). hiredis's own formatting runs its
 * printf-like sdscatfmt once per argument, which cost 4% of the API's CPU
 * on the accept script's 56 arguments. NULL when out of memory. */
static char *format_command(int argc, const char **argv, const size_t *lens,
                            char *stack, size_t stack_size, char **heap,
                            size_t *out_len)
{
    size_t total = 16;
    size_t len;
    char *buf;
    char *p;
    int i;

    for (i = 0; i < argc; i++)
        total += (lens ? lens[i] : strlen(argv[i])) + 26;
    *heap = NULL;
    buf = stack;
    if (total > stack_size) {
        buf = *heap = bode_malloc(total);
        if (!buf)
            return NULL;
    }
    p = buf;
    *p++ = '*';
    p += bode_format_padded((unsigned long)argc, 1, p);
    *p++ = '\r';
    *p++ = '\n';
    for (i = 0; i < argc; i++) {
        len = lens ? lens[i] : strlen(argv[i]);
        *p++ = '$';
        p += bode_format_padded((unsigned long)len, 1, p);
        *p++ = '\r';
        *p++ = '\n';
        memcpy(p, argv[i], len);
        p += len;
        *p++ = '\r';
        *p++ = '\n';
    }
    *out_len = (size_t)(p - buf);
    return buf;
}

/* Sends one formatted command and reads its reply; NULL when the
 * connection failed (r->ctx->err says how). */
static redisReply *exchange(struct bode_redis *r, const char *cmd, size_t len)
{
    void *reply = NULL;

    if (redisAppendFormattedCommand(r->ctx, cmd, len) != REDIS_OK ||
        redisGetReply(r->ctx, &reply) != REDIS_OK)
        return NULL;
    return reply;
}

redisReply *bode_redis__command(struct bode_redis *r, bool retry, int argc,
                                const char **argv, const size_t *lens,
                                enum bode_err *err)
{
    redisReply *reply = NULL;
    bool was_connected = r->ctx != NULL;
    char stack[4096];
    char *heap;
    const char *cmd;
    size_t cmd_len = 0;
    int attempt;

    cmd =
        format_command(argc, argv, lens, stack, sizeof(stack), &heap, &cmd_len);
    if (!cmd) {
        *err = BODE_ERR_NOMEM;
        return NULL;
    }
    for (attempt = 0; attempt < 2; attempt++) {
        *err = bode_redis_connect(r);
        if (*err)
            break;
        reply = exchange(r, cmd, cmd_len);
        if (reply) {
            *err = BODE_OK;
            break;
        }
        set_error(r, "redis command failed",
                  r->ctx->err == REDIS_ERR_OOM ? "out of memory"
                                               : r->ctx->errstr);
        *err = r->ctx->err == REDIS_ERR_OOM ? BODE_ERR_NOMEM : BODE_ERR_REDIS;
        drop(r);
        /* Only a connection that had been idle may have died quietly;
         * a fresh one failing means Redis itself is in trouble. */
        if (!retry || !was_connected)
            break;
        was_connected = false;
    }
    bode_free(heap);
    return reply;
}

/* Adds one command, written by format_command, to r's output buffer.
 * BODE_ERR_NOMEM, or BODE_ERR_REDIS (r->ctx->err says why). */
static enum bode_err append_command(struct bode_redis *r, int argc,
                                    const char **argv, const size_t *lens)
{
    char stack[4096];
    char *heap;
    size_t len = 0;
    const char *cmd =
        format_command(argc, argv, lens, stack, sizeof(stack), &heap, &len);
    enum bode_err err;

    if (!cmd)
        return BODE_ERR_NOMEM;
    err = redisAppendFormattedCommand(r->ctx, cmd, len) == REDIS_OK
              ? BODE_OK
              : BODE_ERR_REDIS;
    bode_free(heap);
    return err;
}

enum bode_err bode_redis__pipeline(struct bode_redis *r, size_t n,
                                   const int *argc, const char **const *argv,
                                   const size_t *const *lens,
                                   redisReply **replies)
{
    enum bode_err err = bode_redis_connect(r);
    size_t i;
    size_t got = 0;
    void *reply;

    for (i = 0; i < n; i++)
        replies[i] = NULL;
    if (err)
        return err;
    for (i = 0; i < n && !err; i++)
        err = append_command(r, argc[i], argv[i], lens[i]);
    if (err)
        goto fail;
    for (got = 0; got < n; got++) {
        if (redisGetReply(r->ctx, &reply) != REDIS_OK) {
            err = BODE_ERR_REDIS;
            goto fail;
        }
        replies[got] = reply;
    }
    return BODE_OK;
fail:
    set_error(r, "redis pipeline failed",
              err == BODE_ERR_NOMEM ? "out of memory" : r->ctx->errstr);
    for (i = 0; i < got; i++) {
        freeReplyObject(replies[i]);
        replies[i] = NULL;
    }
    /* Commands may sit half sent in the output buffer: start afresh. */
    drop(r);
    return err;
}

enum bode_err bode_redis_ping(struct bode_redis *r)
{
    const char *argv[] = {"PING"};
    enum bode_err err;
    redisReply *reply = bode_redis__command(r, true, 1, argv, NULL, &err);

    if (!reply)
        return err;
    if (reply->type != REDIS_REPLY_STATUS) {
        set_error(r, "redis PING failed",
                  reply->type == REDIS_REPLY_ERROR ? reply->str : "bad reply");
        err = BODE_ERR_REDIS;
    }
    freeReplyObject(reply);
    return err;
}

enum bode_err bode_redis_server_version(struct bode_redis *r, char *out,
                                        size_t size)
{
    const char *argv[] = {"INFO", "server"};
    enum bode_err err;
    redisReply *reply = bode_redis__command(r, true, 2, argv, NULL, &err);
    const char *v;
    size_t len;

    if (!reply)
        return err;
    err = BODE_ERR_REDIS;
    if (reply->type != REDIS_REPLY_STRING)
        goto out;
    v = strstr(reply->str, "redis_version:");
    if (!v)
        goto out;
    v += strlen("redis_version:");
    len = strcspn(v, "\r\n");
    if (size == 0)
        goto out;
    if (len >= size)
        len = size - 1;
    memcpy(out, v, len);
    out[len] = '\0';
    err = BODE_OK;
out:
    freeReplyObject(reply);
    return err;
}

const char *bode_redis_last_error(const struct bode_redis *r)
{
    return r->error[0] ? r->error : "no error";
}

static pthread_key_t thread_key;
static pthread_once_t thread_key_once = PTHREAD_ONCE_INIT;

static void free_thread_handle(void *p)
{
    bode_redis_free(p);
}

static void make_thread_key(void)
{
    /* Cannot fail in practice (PTHREAD_KEYS_MAX is 1024); if it did,
     * pthread_getspecific below returns NULL and we make a handle per
     * call, which is slow but correct. */
    (void)pthread_key_create(&thread_key, free_thread_handle);
}

struct bode_redis *bode_redis_for_thread(const char *url, int timeout_ms)
{
    struct bode_redis *r;

    pthread_once(&thread_key_once, make_thread_key);
    r = pthread_getspecific(thread_key);
    if (r && strcmp(r->url, url) == 0)
        return r;
    /* Only tests switch URLs on one thread; servers pass the same one. */
    if (r) {
        pthread_setspecific(thread_key, NULL);
        bode_redis_free(r);
    }
    r = bode_redis_new(url, timeout_ms);
    if (r && pthread_setspecific(thread_key, r) != 0) {
        bode_redis_free(r);
        r = NULL;
    }
    return r;
}
