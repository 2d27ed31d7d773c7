/* Message digests as lower-case hex, for script ids and request
 * fingerprints. Not for passwords or secrets. */
#ifndef BODE_HASH_H
#define BODE_HASH_H

#include <stddef.h>

#define BODE_SHA1_HEX_SIZE 41
#define BODE_SHA256_HEX_SIZE 65

/* Writes the SHA-1 of data[0..len) as 40 hex digits and a NUL. */
void bode_sha1_hex(const void *data, size_t len, char out[BODE_SHA1_HEX_SIZE]);

/* Writes the SHA-256 of data[0..len) as 64 hex digits and a NUL. */
void bode_sha256_hex(const void *data, size_t len,
                     char out[BODE_SHA256_HEX_SIZE]);

#endif
