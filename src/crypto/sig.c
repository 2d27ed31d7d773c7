/* HMACs and certificate-based signature checks through OpenSSL, for
 * provider webhooks. Must not load certificates from the network. */
#include "bode/sig.h"

#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "bode/alloc.h"

/* Enough for any sensible bundle; AWS rotates with one or two at once. */
#define MAX_CERTS 16

struct bode_certs {
    EVP_PKEY *keys[MAX_CERTS];
    size_t n;
};

static const EVP_MD *digest_md(enum bode_digest alg)
{
    switch (alg) {
    case BODE_DIGEST_SHA1:
        return EVP_sha1();
    case BODE_DIGEST_SHA256:
        return EVP_sha256();
    }
    return NULL;
}

enum bode_err bode_hmac(enum bode_digest alg, const void *key, size_t key_len,
                        const void *data, size_t len,
                        unsigned char out[BODE_HMAC_MAX], size_t *out_len)
{
    static const unsigned char empty[1] = {0};
    const EVP_MD *md = digest_md(alg);
    unsigned int n = 0;

    *out_len = 0;
    if (!md || key_len > INT_MAX || (size_t)EVP_MD_get_size(md) > BODE_HMAC_MAX)
        return BODE_ERR_INVALID;
    if (!key || key_len == 0)
        key = empty;
    if (!data)
        data = empty;
    if (!HMAC(md, key, (int)key_len, data, len, out, &n)) {
        ERR_clear_error();
        return BODE_ERR_NOMEM;
    }
    *out_len = n;
    return BODE_OK;
}

bool bode_sig_equal(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}

enum bode_err bode_certs_load(const char *path, struct bode_certs **out)
{
    struct bode_certs *c = NULL;
    BIO *bio = NULL;
    X509 *x = NULL;
    enum bode_err err = BODE_OK;

    *out = NULL;
    bio = BIO_new_file(path, "r");
    if (!bio) {
        err = BODE_ERR_IO;
        goto out;
    }
    c = bode_calloc(1, sizeof(*c));
    if (!c) {
        err = BODE_ERR_NOMEM;
        goto out;
    }
    while (c->n < MAX_CERTS) {
        x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        if (!x)
            break;
        c->keys[c->n] = X509_get_pubkey(x);
        X509_free(x);
        x = NULL;
        if (!c->keys[c->n]) {
            err = BODE_ERR_INVALID;
            goto out;
        }
        c->n++;
    }
    if (c->n == 0)
        err = BODE_ERR_INVALID;
out:
    /* The loop ends on PEM's "no start line", which is not an error. */
    ERR_clear_error();
    BIO_free(bio);
    if (err) {
        bode_certs_free(c);
        return err;
    }
    *out = c;
    return BODE_OK;
}

void bode_certs_free(struct bode_certs *c)
{
    size_t i;

    if (!c)
        return;
    for (i = 0; i < c->n; i++)
        EVP_PKEY_free(c->keys[i]);
    bode_free(c);
}

enum bode_err bode_certs_verify(const struct bode_certs *c,
                                enum bode_digest alg, const void *data,
                                size_t len, const unsigned char *sig,
                                size_t sig_len)
{
    const EVP_MD *md = digest_md(alg);
    EVP_MD_CTX *ctx = NULL;
    enum bode_err err = BODE_ERR_AUTH;
    size_t i;
    int rc;

    if (!c || !md || !sig || sig_len == 0)
        return BODE_ERR_AUTH;
    for (i = 0; i < c->n && err == BODE_ERR_AUTH; i++) {
        ctx = EVP_MD_CTX_new();
        if (!ctx) {
            err = BODE_ERR_NOMEM;
            break;
        }
        rc = EVP_DigestVerifyInit(ctx, NULL, md, NULL, c->keys[i]);
        if (rc == 1)
            rc = EVP_DigestVerify(ctx, sig, sig_len, data, len);
        if (rc == 1)
            err = BODE_OK;
        EVP_MD_CTX_free(ctx);
        ctx = NULL;
    }
    ERR_clear_error();
    return err;
}
