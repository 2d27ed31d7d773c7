/* Digests through OpenSSL's libcrypto. Must not be used for secrets'
 * storage (secretbox does that). */
#include "bode/hash.h"

#include <openssl/evp.h>
#include <string.h>

static void to_hex(const unsigned char *md, unsigned len, char *out)
{
    static const char hex[] = "0123456789abcdef";
    unsigned i;

    for (i = 0; i < len; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 0xf];
    }
    out[2 * len] = '\0';
}

static void digest(const EVP_MD *type, const void *data, size_t len, char *out)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned md_len = 0;

    /* EVP_Digest only fails when the library cannot allocate; the empty
     * string then stands for "no digest" and never matches a real one. */
    if (EVP_Digest(data, len, md, &md_len, type, NULL) != 1) {
        out[0] = '\0';
        return;
    }
    to_hex(md, md_len, out);
}

void bode_sha1_hex(const void *data, size_t len, char out[BODE_SHA1_HEX_SIZE])
{
    digest(EVP_sha1(), data, len, out);
}

void bode_sha256_hex(const void *data, size_t len,
                     char out[BODE_SHA256_HEX_SIZE])
{
    digest(EVP_sha256(), data, len, out);
}
