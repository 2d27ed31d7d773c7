/* Message authentication for provider webhooks: HMACs (Twilio's
 * X-Twilio-Signature) and RSA signatures checked against X.509
 * certificates (Amazon SNS messages). Thread safe; no global state. */
#ifndef BODE_SIG_H
#define BODE_SIG_H

#include <stdbool.h>
#include <stddef.h>

#include "bode/err.h"

enum bode_digest { BODE_DIGEST_SHA1, BODE_DIGEST_SHA256 };

/* Largest MAC bode_hmac writes (SHA-256). */
#define BODE_HMAC_MAX 32

/* Writes the HMAC of data[0..len) under key[0..key_len) with digest alg to
 * out (at least BODE_HMAC_MAX bytes) and its length to *out_len (20 or
 * 32). key and data may be empty. BODE_ERR_INVALID for an unknown alg or
 * lengths over INT_MAX, BODE_ERR_NOMEM if OpenSSL cannot allocate. */
enum bode_err bode_hmac(enum bode_digest alg, const void *key, size_t key_len,
                        const void *data, size_t len,
                        unsigned char out[BODE_HMAC_MAX], size_t *out_len);

/* Compares a[0..n) and b[0..n) in time that does not depend on where they
 * differ. True when equal. */
bool bode_sig_equal(const void *a, const void *b, size_t n);

/* Certificates whose public keys may sign messages. */
struct bode_certs;

/* Reads every PEM certificate in the file at path into a new set, which
 * the caller frees with bode_certs_free. BODE_ERR_IO when the file cannot
 * be opened, BODE_ERR_INVALID when it holds no certificate, BODE_ERR_NOMEM.
 * The set is read-only afterwards and may be shared between threads. */
enum bode_err bode_certs_load(const char *path, struct bode_certs **out);

/* Frees c. Accepts NULL. */
void bode_certs_free(struct bode_certs *c);

/* Checks sig[0..sig_len) as an RSA PKCS#1 v1.5 signature over
 * data[0..len) with digest alg, against each certificate in turn.
 * BODE_OK when one verifies, BODE_ERR_AUTH when none does,
 * BODE_ERR_NOMEM if OpenSSL cannot allocate. Thread safe. */
enum bode_err bode_certs_verify(const struct bode_certs *c,
                                enum bode_digest alg, const void *data,
                                size_t len, const unsigned char *sig,
                                size_t sig_len);

#endif
