/* Fixed-slot TTL cache of reference-counted entries. Must never hand out
 * an entry without a reference, or free one that is still held. */
#include "bode/ttlcache.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bode/alloc.h"

struct bode_ttlcache {
    pthread_mutex_t lock;
    int ttl_ms;
    size_t n_slots;
    struct bode_ttl_entry **slot;
};

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void bode_ttl_entry_init(struct bode_ttl_entry *e, const char *key,
                         void (*destroy)(struct bode_ttl_entry *e))
{
    atomic_init(&e->refs, 1);
    e->fetched_ms = mono_ms();
    snprintf(e->key, sizeof(e->key), "%s", key);
    e->destroy = destroy;
}

void bode_ttl_entry_unref(struct bode_ttl_entry *e)
{
    if (e && atomic_fetch_sub(&e->refs, 1) == 1)
        e->destroy(e);
}

struct bode_ttlcache *bode_ttlcache_new(size_t slots, int ttl_ms)
{
    struct bode_ttlcache *c = bode_calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    c->slot = bode_calloc(slots ? slots : 1, sizeof(*c->slot));
    if (!c->slot || pthread_mutex_init(&c->lock, NULL) != 0) {
        bode_free(c->slot);
        bode_free(c);
        return NULL;
    }
    c->n_slots = slots ? slots : 1;
    c->ttl_ms = ttl_ms;
    return c;
}

void bode_ttlcache_free(struct bode_ttlcache *c)
{
    size_t i;

    if (!c)
        return;
    for (i = 0; i < c->n_slots; i++)
        bode_ttl_entry_unref(c->slot[i]);
    pthread_mutex_destroy(&c->lock);
    bode_free(c->slot);
    bode_free(c);
}

static size_t slot_of(const struct bode_ttlcache *c, const char *key)
{
    size_t h = 5381;

    for (; *key; key++)
        h = h * 33 + (unsigned char)*key;
    return h % c->n_slots;
}

struct bode_ttl_entry *bode_ttlcache_get(struct bode_ttlcache *c,
                                         const char *key)
{
    struct bode_ttl_entry *e;

    if (!c || c->ttl_ms <= 0)
        return NULL;
    pthread_mutex_lock(&c->lock);
    e = c->slot[slot_of(c, key)];
    if (e &&
        (strcmp(e->key, key) != 0 || mono_ms() - e->fetched_ms > c->ttl_ms))
        e = NULL;
    if (e)
        atomic_fetch_add(&e->refs, 1);
    pthread_mutex_unlock(&c->lock);
    return e;
}

void bode_ttlcache_put(struct bode_ttlcache *c, struct bode_ttl_entry *e)
{
    struct bode_ttl_entry *old;
    size_t i;

    if (!c || c->ttl_ms <= 0)
        return;
    i = slot_of(c, e->key);
    atomic_fetch_add(&e->refs, 1);
    pthread_mutex_lock(&c->lock);
    old = c->slot[i];
    c->slot[i] = e;
    pthread_mutex_unlock(&c->lock);
    bode_ttl_entry_unref(old);
}
