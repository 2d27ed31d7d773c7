/* Retry timing and provider health: pure policy, no I/O, so it is tested
 * alone and the worker only asks questions of it. */
#ifndef BODE_RETRY_H
#define BODE_RETRY_H

#include <stdbool.h>
#include <stdint.h>

/* Delay before attempt number `attempt` (1 = the first retry): the base
 * doubles each time up to cap_s, and the delay is drawn uniformly from the
 * upper half of that ("equal jitter", so retries of many messages spread
 * out but none comes back at once). A provider's Retry-After wins when it
 * is longer. random is any 64-bit random value. Microseconds. */
int64_t bode_retry_delay_us(int attempt, int base_s, int cap_s,
                            long retry_after_s, uint64_t random);

enum bode_breaker_state {
    BODE_BREAKER_CLOSED,    /* healthy: traffic flows */
    BODE_BREAKER_OPEN,      /* failing: no traffic until the cool-down */
    BODE_BREAKER_HALF_OPEN, /* one probe is allowed through */
};

/* A circuit breaker per provider: opens after `threshold` failures in a
 * row, lets one probe through after cooldown_us, closes on its success. */
struct bode_breaker {
    enum bode_breaker_state state;
    int failures;
    int threshold;
    int64_t cooldown_us;
    int64_t opened_at;
    bool probing;
};

void bode_breaker_init(struct bode_breaker *b, int threshold,
                       int64_t cooldown_us);

/* True when a request may go to this provider now (in half-open state,
 * only the one probe). */
bool bode_breaker_allow(struct bode_breaker *b, int64_t now);

/* Records how a request that was allowed went. */
void bode_breaker_record(struct bode_breaker *b, bool success, int64_t now);

#endif
