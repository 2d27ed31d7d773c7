/* Unpredictable identifiers from the kernel's CSPRNG (getrandom). */
#ifndef BODE_RAND_H
#define BODE_RAND_H

#include <stddef.h>

#include "bode/err.h"

/* Fills buf with n random bytes. BODE_ERR_IO if the kernel refuses, which
 * callers must treat as fatal for anything secret. Thread safe. */
enum bode_err bode_rand_bytes(void *buf, size_t n);

/* Writes n random lowercase hex digits and a NUL to out (size > n). */
enum bode_err bode_rand_hex(char *out, size_t n);

/* Writes a random (version 4) UUID, 36 characters and a NUL, to out. */
enum bode_err bode_rand_uuid(char out[37]);

#endif
