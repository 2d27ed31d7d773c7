/* Sealing of sent files at rest: AES-256-GCM under a fresh key per
 * document, a key that is never stored (it travels only in the download
 * link). Thread safe; no global state. */
#ifndef BODE_DOCBOX_H
#define BODE_DOCBOX_H

#include <stdbool.h>
#include <stddef.h>

#include "bode/err.h"

#define BODE_DOCBOX_KEY_LEN 32
#define BODE_DOCBOX_OVERHEAD 28 /* 12-byte nonce, 16-byte tag */
#define BODE_DOCBOX_MAX_PLAIN (64u * 1024 * 1024)

/* Fills key with BODE_DOCBOX_KEY_LEN random bytes. */
enum bode_err bode_docbox_key_new(unsigned char key[BODE_DOCBOX_KEY_LEN]);

/* Seals plain[0..n) with key, binding ad[0..ad_len) (not secret, not
 * stored), into out, which must hold n + BODE_DOCBOX_OVERHEAD bytes:
 * nonce || ciphertext || tag. BODE_ERR_TOO_BIG past
 * BODE_DOCBOX_MAX_PLAIN, BODE_ERR_NOMEM. */
enum bode_err bode_docbox_seal(const unsigned char key[BODE_DOCBOX_KEY_LEN],
                               const void *ad, size_t ad_len, const void *plain,
                               size_t n, unsigned char *out);

/* Opens sealed[0..len) into out (len - BODE_DOCBOX_OVERHEAD bytes) and
 * sets *out_len. BODE_ERR_AUTH when the key, ad or data do not match (the
 * one expected failure), BODE_ERR_INVALID when len is too short,
 * BODE_ERR_NOMEM. */
enum bode_err bode_docbox_open(const unsigned char key[BODE_DOCBOX_KEY_LEN],
                               const void *ad, size_t ad_len,
                               const unsigned char *sealed, size_t len,
                               unsigned char *out, size_t *out_len);

/* Compares a[0..n) and b[0..n) in time independent of their contents. */
bool bode_docbox_equal(const void *a, const void *b, size_t n);

#endif
