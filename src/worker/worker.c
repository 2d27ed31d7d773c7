/* The delivery worker loop. Must reach Redis only through store/ and
 * queue/, and providers only through providers/. */
#include "bode/worker.h"

#include "bode/alloc.h"
#include "bode/log.h"
#include "bode/redis.h"

struct bode_worker {
    const struct bode_config *cfg;
    struct bode_redis *redis;
    bool was_up;
    bool reported;
};

struct bode_worker *bode_worker_new(const struct bode_config *cfg)
{
    struct bode_worker *w = bode_calloc(1, sizeof(*w));

    if (!w)
        return NULL;
    w->cfg = cfg;
    w->redis = bode_redis_new(cfg->redis_url, cfg->redis_timeout_ms);
    if (!w->redis) {
        bode_free(w);
        return NULL;
    }
    return w;
}

void bode_worker_free(struct bode_worker *w)
{
    if (!w)
        return;
    bode_redis_free(w->redis);
    bode_free(w);
}

enum bode_err bode_worker_step(struct bode_worker *w)
{
    enum bode_err err = bode_redis_ping(w->redis);

    /* Log transitions only, so a long outage is one line, not thousands. */
    if (err && (w->was_up || !w->reported))
        bode_log(BODE_LOG_WARN, "redis unreachable",
                 BODE_LOG_S("reason", bode_redis_last_error(w->redis)));
    else if (!err && (!w->was_up || !w->reported))
        bode_log_msg(BODE_LOG_INFO, "redis connected");
    w->was_up = !err;
    w->reported = true;
    return err;
}
