/* Secrets at rest: AES-256-GCM under a master key ring.
 *
 * A box holds one to BODE_SECRETBOX_MAX_KEYS 32-byte master keys. The
 * first key added seals; every key opens, so keys rotate without a flag
 * day: put the new key first, keep the old one after it until every record
 * has been re-sealed (bode_secretbox_is_current says which need it), then
 * drop it.
 *
 * Sealed text, all ASCII:  "v1:" KID ":" base64url(nonce || ct || tag)
 * KID is 8 lower-case hex digits naming the key (the first 4 bytes of
 * HMAC-SHA256(key, "bode secretbox key id")), nonce 12 random bytes, tag
 * 16 bytes. The associated data is the 12-byte prefix followed by the
 * caller's ad, so a sealed value only opens with the same ad (use the
 * record's Redis key, so values cannot be moved between records) and the
 * version and key id cannot be changed.
 *
 * Key text (BODE_SECRET_KEY or a key file): one or more keys separated by
 * commas or white space, the first one sealing; each is 64 hex digits or
 * the base64 (standard or URL alphabet, padding optional) of 32 bytes. In
 * a file, "#" starts a comment that runs to the end of the line.
 *
 * A box is immutable once keys are added and may then be shared by
 * threads; sealing and opening keep no state. Key material is wiped with
 * OPENSSL_cleanse when the box is freed. See docs/internals/auth.md. */
#ifndef BODE_SECRETBOX_H
#define BODE_SECRETBOX_H

#include <stdbool.h>
#include <stddef.h>

#include "bode/err.h"

#define BODE_SECRETBOX_KEY_LEN 32
#define BODE_SECRETBOX_KEY_HEX_LEN 64
#define BODE_SECRETBOX_MAX_KEYS 8
#define BODE_SECRETBOX_MAX_PLAIN 65536 /* bytes of plaintext */
#define BODE_SECRETBOX_MAX_AD 65536    /* bytes of associated data */
#define BODE_SECRETBOX_PREFIX_LEN 12   /* "v1:" + 8 + ":" */
#define BODE_SECRETBOX_OVERHEAD 28     /* nonce + tag, before base64 */

struct bode_secretbox;

/* What went wrong while loading keys, for the operator: names the source
 * and the key's position, never key bytes. */
struct bode_secretbox_error {
    char text[256];
};

/* Makes an empty box in *out; add keys before use. BODE_ERR_NOMEM, or
 * BODE_ERR_PERMANENT if OpenSSL lacks AES-256-GCM. Free with
 * bode_secretbox_free. */
enum bode_err bode_secretbox_new(struct bode_secretbox **out);

/* Wipes every key and frees box. box may be NULL. */
void bode_secretbox_free(struct bode_secretbox *box);

/* Adds a copy of key (the caller keeps and wipes its own). The first key
 * added seals. Adding a key already present does nothing.
 * BODE_ERR_TOO_BIG when the box already has BODE_SECRETBOX_MAX_KEYS. */
enum bode_err bode_secretbox_add_key(struct bode_secretbox *box,
                                     const unsigned char *key);

/* Parses key text (see above) from text[0..len) and adds every key, in
 * order, or none. origin names the source in e->text (e may be NULL).
 * BODE_ERR_INVALID for a malformed key, BODE_ERR_NOT_FOUND if the text
 * holds no key, BODE_ERR_TOO_BIG for too many keys. */
enum bode_err bode_secretbox_add_keys_text(struct bode_secretbox *box,
                                           const char *text, size_t len,
                                           const char *origin,
                                           struct bode_secretbox_error *e);

/* Reads key text from the regular file at path (at most 4 KiB) and adds
 * its keys. BODE_ERR_NOT_FOUND if the file does not exist, BODE_ERR_IO if
 * it cannot be read, otherwise as bode_secretbox_add_keys_text. */
enum bode_err bode_secretbox_add_key_file(struct bode_secretbox *box,
                                          const char *path,
                                          struct bode_secretbox_error *e);

/* Makes a box from env_value (the value of BODE_SECRET_KEY) when it is
 * set and not empty, otherwise from the key file at key_file. Sets *out
 * only on success. BODE_ERR_NOT_FOUND when neither is given, otherwise
 * the errors of the functions above. */
enum bode_err bode_secretbox_load(const char *env_value, const char *key_file,
                                  struct bode_secretbox **out,
                                  struct bode_secretbox_error *e);

/* How many keys box holds. */
size_t bode_secretbox_key_count(const struct bode_secretbox *box);

/* Exact length of the sealed text for plain_len bytes, without the NUL. */
size_t bode_secretbox_sealed_len(size_t plain_len);

/* Seals plain[0..plain_len) with the first key, binding ad[0..ad_len),
 * and writes the sealed text and a NUL to out. BODE_ERR_INVALID if the
 * box has no key, BODE_ERR_TOO_BIG if plain or ad is over its cap or
 * size < bode_secretbox_sealed_len(plain_len) + 1, BODE_ERR_IO without
 * randomness, BODE_ERR_NOMEM, BODE_ERR_PERMANENT if OpenSSL fails. out is
 * "" on error. */
enum bode_err bode_secretbox_seal(const struct bode_secretbox *box,
                                  const void *plain, size_t plain_len,
                                  const void *ad, size_t ad_len, char *out,
                                  size_t size);

/* Opens sealed[0..len) sealed with any key of box and the same ad, and
 * writes the plaintext and a NUL to out (size must exceed the plaintext
 * length; the caller wipes it after use), setting *out_len.
 * BODE_ERR_INVALID for text not in the format, BODE_ERR_NOT_FOUND if no
 * key of the box has its key id, BODE_ERR_AUTH if it fails authentication
 * (tampered, other ad, other key), BODE_ERR_TOO_BIG for a small out or an
 * over-long input, BODE_ERR_NOMEM. On error out holds nothing. */
enum bode_err bode_secretbox_open(const struct bode_secretbox *box,
                                  const char *sealed, size_t len,
                                  const void *ad, size_t ad_len, void *out,
                                  size_t size, size_t *out_len);

/* True when sealed[0..len) is in the format and names the sealing (first)
 * key, so it need not be re-sealed during a rotation. Does not decrypt. */
bool bode_secretbox_is_current(const struct bode_secretbox *box,
                               const char *sealed, size_t len);

/* Writes a new random key as 64 lower-case hex digits and a NUL.
 * BODE_ERR_IO without randomness. */
enum bode_err bode_secretbox_key_generate(char *out, size_t size);

/* Creates a new key file at path holding one fresh key: mode 0600, never
 * following a symlink or replacing a file (BODE_ERR_CONFLICT if path
 * exists), data and directory synced. The directory must exist.
 * BODE_ERR_IO on failure (nothing is left behind). For `bode dev`. */
enum bode_err bode_secretbox_keyfile_create(const char *path,
                                            struct bode_secretbox_error *e);

#endif
