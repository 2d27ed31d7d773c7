/* Test-only RSA signing through OpenSSL. */
#include "testsign.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>

int test_sign_b64(const char *key_path, int sha256, const void *data,
                  size_t len, char *out, size_t size)
{
    unsigned char sig[1024];
    size_t sig_len = sizeof(sig);
    EVP_PKEY *key = NULL;
    EVP_MD_CTX *ctx = NULL;
    FILE *f = fopen(key_path, "r");
    int rc = -1;

    if (!f)
        return -1;
    key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    ctx = EVP_MD_CTX_new();
    if (!key || !ctx ||
        EVP_DigestSignInit(ctx, NULL, sha256 ? EVP_sha256() : EVP_sha1(), NULL,
                           key) != 1 ||
        EVP_DigestSign(ctx, sig, &sig_len, data, len) != 1 ||
        size < 4 * ((sig_len + 2) / 3) + 1)
        goto out;
    EVP_EncodeBlock((unsigned char *)out, sig, (int)sig_len);
    rc = 0;
out:
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    return rc;
}
