/* Notify API keys: "{key_name}-{service_id}-{secret}".
 *
 * The service id and the secret are lower-case UUIDs; the name may hold
 * anything, hyphens included, so keys are read from the end as the
 * official clients do: secret = the last 36 characters, service id = the
 * 36 before the hyphen that precedes them. The secret's 36 characters are
 * the HMAC key clients sign tokens with. A struct bode_apikey holds a
 * secret: release it with bode_apikey_release. All functions are thread
 * safe. */
#ifndef BODE_APIKEY_H
#define BODE_APIKEY_H

#include <stdbool.h>
#include <stddef.h>

#include "bode/err.h"
#include "bode/uuid.h"

#define BODE_APIKEY_NAME_MAX 255 /* Notify's api_keys.name column */
#define BODE_APIKEY_SUFFIX_LEN (1 + BODE_UUID_LEN + 1 + BODE_UUID_LEN)
#define BODE_APIKEY_MAX_LEN (BODE_APIKEY_NAME_MAX + BODE_APIKEY_SUFFIX_LEN)

/* The parts of a key a server needs. Caller-owned memory. */
struct bode_apikey {
    char service_id[BODE_UUID_SIZE];
    char secret[BODE_UUID_SIZE];
};

/* Splits key[0..len) into out. The name is key[0..*name_len) (borrowed
 * from key; name_len may be NULL) and is not checked beyond its length
 * and the absence of NUL bytes. BODE_ERR_INVALID if the key is shorter
 * than 74 bytes, lacks the two hyphens, or either UUID is not canonical
 * lower case; BODE_ERR_TOO_BIG past BODE_APIKEY_MAX_LEN. On error out is
 * zeroed. */
enum bode_err bode_apikey_parse(const char *key, size_t len,
                                struct bode_apikey *out, size_t *name_len);

/* True when bode_apikey_parse would accept key[0..len). */
bool bode_apikey_is_valid(const char *key, size_t len);

/* Fills out with service_id (any case; stored lower case) and a fresh
 * random version 4 secret from the kernel CSPRNG, as Notify's uuid4().
 * BODE_ERR_INVALID for a bad service id, BODE_ERR_IO if no randomness. */
enum bode_err bode_apikey_generate(const char *service_id,
                                   struct bode_apikey *out);

/* Writes the key to show the user once, "{name}-{service_id}-{secret}",
 * and a NUL into out. name goes through bode_apikey_name_safe first, as
 * Notify's admin app does. BODE_ERR_INVALID for NULL name or a key whose
 * UUIDs are not canonical, BODE_ERR_TOO_BIG for a name over
 * BODE_APIKEY_NAME_MAX bytes or a small out (out = "" on error). */
enum bode_err bode_apikey_format(const struct bode_apikey *key,
                                 const char *name, char *out, size_t size);

/* Notify's email_safe(name, "_") for ASCII: trims, turns each run of
 * white space into "_", keeps "_" and letters and digits (lower-cased),
 * and drops everything else, non-ASCII bytes included. Writes a NUL-ended
 * result to out; BODE_ERR_INVALID for NULL name, BODE_ERR_TOO_BIG if it
 * does not fit (out = "" on error). */
enum bode_err bode_apikey_name_safe(const char *name, char *out, size_t size);

/* Wipes key (the secret with OPENSSL_cleanse). key may be NULL. */
void bode_apikey_release(struct bode_apikey *key);

#endif
