/* A small per-process cache of compiled templates: compiling on every
 * request would cost more than the rest of an accept. */
#include "tmpl_cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bode/alloc.h"

struct entry {
    struct bode_tmpl_entry pub; /* first, so the public pointer is ours */
    atomic_int refs;
    int64_t fetched_ms;
    char sid[BODE_UUID_SIZE];
};

#define SLOTS 256

struct bode_tmpl_cache {
    pthread_mutex_t lock;
    int ttl_ms;
    struct entry *slot[SLOTS];
};

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void unref(struct entry *e)
{
    if (!e || atomic_fetch_sub(&e->refs, 1) != 1)
        return;
    bode_tmpl_free(e->pub.tmpl);
    bode_template_rec_release(&e->pub.rec);
    bode_free(e);
}

void bode_tmpl_entry_unref(const struct bode_tmpl_entry *e)
{
    /* The public struct is the first member of ours. */
    unref((struct entry *)(uintptr_t)e);
}

struct bode_tmpl_cache *bode_tmpl_cache_new(int ttl_ms)
{
    struct bode_tmpl_cache *c = bode_calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    if (pthread_mutex_init(&c->lock, NULL) != 0) {
        bode_free(c);
        return NULL;
    }
    c->ttl_ms = ttl_ms;
    return c;
}

void bode_tmpl_cache_free(struct bode_tmpl_cache *c)
{
    size_t i;

    if (!c)
        return;
    for (i = 0; i < SLOTS; i++)
        unref(c->slot[i]);
    pthread_mutex_destroy(&c->lock);
    bode_free(c);
}

static size_t slot_of(const char *sid, const char *tid)
{
    size_t h = 5381;

    for (; *sid; sid++)
        h = h * 33 + (unsigned char)*sid;
    for (; *tid; tid++)
        h = h * 33 + (unsigned char)*tid;
    return h % SLOTS;
}

static struct entry *lookup(struct bode_tmpl_cache *c, const char *sid,
                            const char *tid)
{
    struct entry *e;

    pthread_mutex_lock(&c->lock);
    e = c->slot[slot_of(sid, tid)];
    if (e && (strcmp(e->sid, sid) != 0 || strcmp(e->pub.rec.id, tid) != 0 ||
              mono_ms() - e->fetched_ms > c->ttl_ms))
        e = NULL;
    if (e)
        atomic_fetch_add(&e->refs, 1);
    pthread_mutex_unlock(&c->lock);
    return e;
}

static void insert(struct bode_tmpl_cache *c, struct entry *e)
{
    struct entry *old;
    size_t i = slot_of(e->sid, e->pub.rec.id);

    atomic_fetch_add(&e->refs, 1);
    pthread_mutex_lock(&c->lock);
    old = c->slot[i];
    c->slot[i] = e;
    pthread_mutex_unlock(&c->lock);
    unref(old);
}

static enum bode_err load(struct bode_redis *r, const char *sid,
                          const char *tid, int version, struct entry **out)
{
    struct bode_tmpl_source src;
    struct bode_tmpl_error terr;
    struct entry *e = bode_calloc(1, sizeof(*e));
    enum bode_err err;

    if (!e)
        return BODE_ERR_NOMEM;
    atomic_init(&e->refs, 1);
    e->fetched_ms = mono_ms();
    snprintf(e->sid, sizeof(e->sid), "%s", sid);
    err = bode_store_template_get(r, sid, tid, version, &e->pub.rec);
    if (err)
        goto fail;
    src.type =
        e->pub.rec.type == BODE_CHANNEL_EMAIL ? BODE_TMPL_EMAIL : BODE_TMPL_SMS;
    src.subject = src.type == BODE_TMPL_EMAIL ? e->pub.rec.subject : NULL;
    src.body = e->pub.rec.body;
    err = bode_tmpl_compile(&src, &e->pub.tmpl, &terr);
    if (err)
        goto fail;
    *out = e;
    return BODE_OK;
fail:
    unref(e);
    return err;
}

enum bode_err bode_tmpl_cache_get(struct bode_tmpl_cache *c,
                                  struct bode_redis *r, const char *sid,
                                  const char *tid, int version,
                                  const struct bode_tmpl_entry **out)
{
    struct entry *e = NULL;
    enum bode_err err;
    bool cacheable = c && c->ttl_ms > 0 && version == 0;

    if (cacheable)
        e = lookup(c, sid, tid);
    if (!e) {
        err = load(r, sid, tid, version, &e);
        if (err)
            return err;
        if (cacheable)
            insert(c, e);
    }
    *out = &e->pub;
    return BODE_OK;
}
