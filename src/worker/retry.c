/* Retry delays and circuit breakers. Pure functions of their inputs. */
#include "bode/retry.h"

int64_t bode_retry_delay_us(int attempt, int base_s, int cap_s,
                            long retry_after_s, uint64_t random)
{
    int64_t ceiling = (int64_t)(base_s > 0 ? base_s : 1) * 1000000;
    int64_t cap = (int64_t)(cap_s > base_s ? cap_s : base_s) * 1000000;
    int64_t delay;
    int i;

    for (i = 1; i < attempt && ceiling < cap; i++)
        ceiling *= 2;
    if (ceiling > cap)
        ceiling = cap;
    delay = ceiling / 2 + (int64_t)(random % (uint64_t)(ceiling / 2 + 1));
    if (retry_after_s > 0 && (int64_t)retry_after_s * 1000000 > delay)
        delay = (int64_t)retry_after_s * 1000000;
    return delay;
}

void bode_breaker_init(struct bode_breaker *b, int threshold,
                       int64_t cooldown_us)
{
    b->state = BODE_BREAKER_CLOSED;
    b->failures = 0;
    b->threshold = threshold > 0 ? threshold : 1;
    b->cooldown_us = cooldown_us;
    b->opened_at = 0;
    b->probing = false;
}

bool bode_breaker_allow(struct bode_breaker *b, int64_t now)
{
    switch (b->state) {
    case BODE_BREAKER_CLOSED:
        return true;
    case BODE_BREAKER_OPEN:
        if (now - b->opened_at < b->cooldown_us)
            return false;
        b->state = BODE_BREAKER_HALF_OPEN;
        b->probing = true;
        return true;
    case BODE_BREAKER_HALF_OPEN:
        if (b->probing)
            return false;
        b->probing = true;
        return true;
    }
    return false;
}

void bode_breaker_record(struct bode_breaker *b, bool success, int64_t now)
{
    b->probing = false;
    if (success) {
        b->state = BODE_BREAKER_CLOSED;
        b->failures = 0;
        return;
    }
    b->failures++;
    if (b->state == BODE_BREAKER_HALF_OPEN || b->failures >= b->threshold) {
        b->state = BODE_BREAKER_OPEN;
        b->opened_at = now;
    }
}
