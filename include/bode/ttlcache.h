/* A small fixed-size cache of reference-counted, immutable entries that
 * expire after a time-to-live, shared between threads. One entry per slot
 * (a newer one replaces whatever hashed there): meant for a few hundred
 * services or templates, not as a general map. */
#ifndef BODE_TTLCACHE_H
#define BODE_TTLCACHE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Embed as the first member of a cached object. */
struct bode_ttl_entry {
    atomic_int refs;
    int64_t fetched_ms;
    char key[112];
    /* Frees the whole object when the last reference goes. */
    void (*destroy)(struct bode_ttl_entry *e);
};

struct bode_ttlcache;

/* NULL without memory. ttl_ms <= 0 makes a cache that keeps nothing. */
struct bode_ttlcache *bode_ttlcache_new(size_t slots, int ttl_ms);

/* Drops the cache's references; entries still held elsewhere live on.
 * Accepts NULL. */
void bode_ttlcache_free(struct bode_ttlcache *c);

/* Starts an entry with one reference (the caller's) under key (cut to
 * fit). */
void bode_ttl_entry_init(struct bode_ttl_entry *e, const char *key,
                         void (*destroy)(struct bode_ttl_entry *e));

/* The fresh entry for key with a reference for the caller, or NULL.
 * c may be NULL. Thread safe. */
struct bode_ttl_entry *bode_ttlcache_get(struct bode_ttlcache *c,
                                         const char *key);

/* Stores e (the cache takes its own reference). c may be NULL. Thread
 * safe. */
void bode_ttlcache_put(struct bode_ttlcache *c, struct bode_ttl_entry *e);

/* Drops one reference; the last one destroys e. Accepts NULL. */
void bode_ttl_entry_unref(struct bode_ttl_entry *e);

#endif
