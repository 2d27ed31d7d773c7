/* Signing for tests of signature checks: what AWS does to SNS messages,
 * done with a test-only key from tests/fixtures/providers/sns/. */
#ifndef BODE_TESTSIGN_H
#define BODE_TESTSIGN_H

#include <stddef.h>

/* Signs data[0..len) with the PEM RSA private key at key_path (PKCS#1
 * v1.5, SHA-256 when sha256 else SHA-1) and writes the padded standard
 * base64 of the signature and a NUL to out. Returns 0, or -1. */
int test_sign_b64(const char *key_path, int sha256, const void *data,
                  size_t len, char *out, size_t size);

#endif
