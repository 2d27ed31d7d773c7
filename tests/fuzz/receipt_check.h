/* Invariants every receipt parser keeps, whatever the input: shared by the
 * fuzz_receipt_* targets. */
#ifndef BODE_FUZZ_RECEIPT_CHECK_H
#define BODE_FUZZ_RECEIPT_CHECK_H

#include <string.h>

#include "bode/provider.h"
#include "bode/uuid.h"

static inline void receipt_check(enum bode_err rc, const struct bode_receipt *r,
                                 size_t max, size_t n)
{
    size_t i;

    if (rc != BODE_OK && rc != BODE_ERR_INVALID && rc != BODE_ERR_AUTH &&
        rc != BODE_ERR_NOMEM && rc != BODE_ERR_TOO_BIG)
        __builtin_trap();
    if (n > max || (rc != BODE_OK && n != 0))
        __builtin_trap();
    for (i = 0; i < n; i++) {
        if (!memchr(r[i].reference, '\0', sizeof(r[i].reference)) ||
            !memchr(r[i].notification_id, '\0', sizeof(r[i].notification_id)) ||
            !memchr(r[i].detail, '\0', sizeof(r[i].detail)))
            __builtin_trap();
        if (!r[i].reference[0] && !r[i].notification_id[0])
            __builtin_trap();
        if (r[i].notification_id[0] &&
            !bode_uuid_is_canonical(r[i].notification_id,
                                    strlen(r[i].notification_id)))
            __builtin_trap();
        if ((unsigned)r[i].status >= BODE_STATUS__COUNT ||
            r[i].status == BODE_STATUS_CREATED)
            __builtin_trap();
        if (r[i].complaint && r[i].status != BODE_STATUS_DELIVERED)
            __builtin_trap();
    }
}

#endif
