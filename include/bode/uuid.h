/* UUID text checks shared by auth, keys and request validation.
 *
 * Bode accepts one spelling of a UUID: the 36-character 8-4-4-4-12 form
 * with hyphens at fixed places. Python's uuid.UUID, which Notify uses,
 * also takes braces, a "urn:uuid:" prefix, 32 digits without hyphens and
 * hyphens anywhere; no official client sends those, so Bode refuses them
 * (docs/internals/auth.md). Upper case is accepted where Notify accepts it
 * and normalised to lower case, the form Bode stores. No version or variant
 * bits are checked, as Notify checks none. */
#ifndef BODE_UUID_H
#define BODE_UUID_H

#include <stdbool.h>
#include <stddef.h>

#include "bode/err.h"

#define BODE_UUID_LEN 36  /* characters, without the NUL */
#define BODE_UUID_SIZE 37 /* bytes for a UUID and its NUL */

/* True when s[0..len) is exactly 36 characters in the 8-4-4-4-12 form of
 * hex digits of either case. s need not be NUL-terminated and may be NULL
 * when len is 0. Thread safe. */
bool bode_uuid_is_valid(const char *s, size_t len);

/* As bode_uuid_is_valid, but only lower-case digits: the form Bode and
 * Notify generate and store (service ids, key secrets). */
bool bode_uuid_is_canonical(const char *s, size_t len);

/* Writes the lower-case form of the UUID s[0..len) and a NUL to out.
 * BODE_ERR_INVALID (and out = "") when bode_uuid_is_valid is false.
 * Thread safe. */
enum bode_err bode_uuid_normalize(const char *s, size_t len,
                                  char out[BODE_UUID_SIZE]);

#endif
