/* Compiled templates shared between requests: compiling on every request
 * would cost more than the rest of an accept. */
#include "tmpl_cache.h"

#include <stdio.h>
#include <string.h>

#include "bode/alloc.h"

struct entry {
    struct bode_ttl_entry base; /* first: the cache's view */
    struct bode_tmpl_entry pub;
};

static void destroy(struct bode_ttl_entry *base)
{
    struct entry *e = (struct entry *)base;

    bode_tmpl_free(e->pub.tmpl);
    bode_template_rec_release(&e->pub.rec);
    bode_free(e);
}

void bode_tmpl_entry_unref(const struct bode_tmpl_entry *pub)
{
    struct entry *e;

    if (!pub)
        return;
    e = (struct entry *)(uintptr_t)((const char *)pub -
                                    offsetof(struct entry, pub));
    bode_ttl_entry_unref(&e->base);
}

static enum bode_err load(struct bode_redis *r, const char *key,
                          const char *sid, const char *tid, int version,
                          struct entry **out)
{
    struct bode_tmpl_source src;
    struct bode_tmpl_error terr;
    struct entry *e = bode_calloc(1, sizeof(*e));
    enum bode_err err;

    if (!e)
        return BODE_ERR_NOMEM;
    bode_ttl_entry_init(&e->base, key, destroy);
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
    bode_ttl_entry_unref(&e->base);
    return err;
}

enum bode_err bode_tmpl_cache_get(struct bode_ttlcache *c, struct bode_redis *r,
                                  const char *sid, const char *tid, int version,
                                  const struct bode_tmpl_entry **out)
{
    struct entry *e;
    char key[112];
    enum bode_err err;

    /* A given version never changes; "latest" is re-read after the TTL. */
    snprintf(key, sizeof(key), "%s:%s:%d", sid, tid, version);
    e = (struct entry *)bode_ttlcache_get(c, key);
    if (!e) {
        err = load(r, key, sid, tid, version, &e);
        if (err)
            return err;
        bode_ttlcache_put(c, &e->base);
    }
    *out = &e->pub;
    return BODE_OK;
}
