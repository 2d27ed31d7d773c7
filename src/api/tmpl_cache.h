/* Private to api/: compiled templates shared between requests. */
#ifndef BODE_API_TMPL_CACHE_H
#define BODE_API_TMPL_CACHE_H

#include "bode/api.h"
#include "bode/redis.h"
#include "bode/store.h"
#include "bode/template.h"
#include "bode/ttlcache.h"

/* A template version as stored, compiled. Immutable and reference
 * counted: hold it with bode_tmpl_entry_unref when done. */
struct bode_tmpl_entry {
    struct bode_template_rec rec;
    struct bode_tmpl *tmpl;
};

/* Gets version (0 = latest) of template tid of service sid, from the
 * cache (c may be NULL: no caching) or from Redis, compiled. *out is held
 * for the caller. BODE_ERR_NOT_FOUND, BODE_ERR_REDIS, BODE_ERR_NOMEM, or
 * BODE_ERR_INVALID for a stored template that does not compile. */
enum bode_err bode_tmpl_cache_get(struct bode_ttlcache *c, struct bode_redis *r,
                                  const char *sid, const char *tid, int version,
                                  const struct bode_tmpl_entry **out);

void bode_tmpl_entry_unref(const struct bode_tmpl_entry *e);

#endif
