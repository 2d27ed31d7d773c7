/* Names for enum bode_err. Owns nothing else: modules keep their own
 * detail structs. */
#include "bode/err.h"

#include <string.h>

static const char *const names[BODE_ERR__COUNT] = {
    [BODE_OK] = "success",
    [BODE_ERR_NOMEM] = "out of memory",
    [BODE_ERR_INVALID] = "invalid input",
    [BODE_ERR_NOT_FOUND] = "not found",
    [BODE_ERR_AUTH] = "authentication failed",
    [BODE_ERR_TOO_BIG] = "too big",
    [BODE_ERR_REDIS] = "redis error",
    [BODE_ERR_TRANSIENT] = "temporary failure",
    [BODE_ERR_PERMANENT] = "permanent failure",
    [BODE_ERR_IO] = "input/output error",
    [BODE_ERR_CONFLICT] = "conflict",
};

const char *bode_err_str(enum bode_err err)
{
    if ((int)err < 0 || err >= BODE_ERR__COUNT || !names[err])
        return "unknown error";
    return names[err];
}

const char *bode_errno_str(int errnum, char *buf, unsigned long size)
{
    /* _GNU_SOURCE gives the GNU strerror_r, which returns the text. */
    return strerror_r(errnum, buf, size);
}
