/* AES-256-GCM with a caller-held key, for files sent by email. Must never
 * keep, log or return key material, and never return unauthenticated
 * plaintext. */
#include "bode/docbox.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "bode/rand.h"

#define NONCE_LEN 12
#define TAG_LEN 16

enum bode_err bode_docbox_key_new(unsigned char key[BODE_DOCBOX_KEY_LEN])
{
    return bode_rand_bytes(key, BODE_DOCBOX_KEY_LEN);
}

/* GCM takes int lengths: feed large inputs in pieces. */
static bool update(EVP_CIPHER_CTX *ctx, bool enc, unsigned char *out,
                   const unsigned char *in, size_t n)
{
    const size_t step = 1u << 30;
    int got = 0;

    while (n > 0) {
        size_t k = n < step ? n : step;

        if (enc ? EVP_EncryptUpdate(ctx, out, &got, in, (int)k) != 1
                : EVP_DecryptUpdate(ctx, out, &got, in, (int)k) != 1)
            return false;
        if ((size_t)got != k)
            return false;
        out += k;
        in += k;
        n -= k;
    }
    return true;
}

static bool add_ad(EVP_CIPHER_CTX *ctx, bool enc, const void *ad, size_t ad_len)
{
    int got = 0;

    if (ad_len == 0)
        return true;
    if (ad_len > 4096)
        return false;
    return enc ? EVP_EncryptUpdate(ctx, NULL, &got, ad, (int)ad_len) == 1
               : EVP_DecryptUpdate(ctx, NULL, &got, ad, (int)ad_len) == 1;
}

enum bode_err bode_docbox_seal(const unsigned char key[BODE_DOCBOX_KEY_LEN],
                               const void *ad, size_t ad_len, const void *plain,
                               size_t n, unsigned char *out)
{
    EVP_CIPHER_CTX *ctx = NULL;
    enum bode_err rc;
    int fin = 0;

    if (n > BODE_DOCBOX_MAX_PLAIN)
        return BODE_ERR_TOO_BIG;
    if ((!plain && n) || (!ad && ad_len))
        return BODE_ERR_INVALID;
    rc = bode_rand_bytes(out, NONCE_LEN);
    if (rc)
        return rc;
    ctx = EVP_CIPHER_CTX_new();
    if (!ctx) {
        rc = BODE_ERR_NOMEM;
        goto out;
    }
    rc = BODE_ERR_PERMANENT;
    if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, out) != 1 ||
        !add_ad(ctx, true, ad, ad_len) ||
        !update(ctx, true, out + NONCE_LEN, plain, n) ||
        EVP_EncryptFinal_ex(ctx, out + NONCE_LEN + n, &fin) != 1 || fin != 0 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, TAG_LEN,
                            out + NONCE_LEN + n) != 1)
        goto out;
    rc = BODE_OK;
out:
    if (rc)
        ERR_clear_error();
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

enum bode_err bode_docbox_open(const unsigned char key[BODE_DOCBOX_KEY_LEN],
                               const void *ad, size_t ad_len,
                               const unsigned char *sealed, size_t len,
                               unsigned char *out, size_t *out_len)
{
    EVP_CIPHER_CTX *ctx = NULL;
    unsigned char tag[TAG_LEN];
    enum bode_err rc = BODE_ERR_PERMANENT;
    size_t n;
    int fin = 0;

    *out_len = 0;
    if (len < BODE_DOCBOX_OVERHEAD || (!ad && ad_len))
        return BODE_ERR_INVALID;
    n = len - BODE_DOCBOX_OVERHEAD;
    memcpy(tag, sealed + NONCE_LEN + n, TAG_LEN);
    ctx = EVP_CIPHER_CTX_new();
    if (!ctx) {
        rc = BODE_ERR_NOMEM;
        goto out;
    }
    if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, sealed) != 1 ||
        !add_ad(ctx, false, ad, ad_len) ||
        !update(ctx, false, out, sealed + NONCE_LEN, n) ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, TAG_LEN, tag) != 1)
        goto out;
    if (EVP_DecryptFinal_ex(ctx, out + n, &fin) != 1) {
        rc = BODE_ERR_AUTH;
        /* Nothing unauthenticated may reach the caller. */
        OPENSSL_cleanse(out, n);
        goto out;
    }
    *out_len = n;
    rc = BODE_OK;
out:
    if (rc)
        ERR_clear_error();
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

bool bode_docbox_equal(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}
