/* Seals and opens secrets at rest with AES-256-GCM under a key ring, and
 * loads the ring. Must never log, return or leave behind key material. */
#include "bode/secretbox.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "bode/alloc.h"
#include "bode/base64.h"
#include "bode/hex.h"
#include "bode/rand.h"

#define NONCE_LEN 12
#define TAG_LEN 16
#define KID_LEN 8
#define KEY_FILE_MAX 4096

struct slot {
    unsigned char key[BODE_SECRETBOX_KEY_LEN];
    char kid[KID_LEN + 1];
};

struct bode_secretbox {
    EVP_CIPHER *cipher;
    size_t n;
    struct slot keys[BODE_SECRETBOX_MAX_KEYS];
};

static void set_error(struct bode_secretbox_error *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_error(struct bode_secretbox_error *e, const char *fmt, ...)
{
    va_list ap;

    if (!e)
        return;
    va_start(ap, fmt);
    vsnprintf(e->text, sizeof(e->text), fmt, ap);
    va_end(ap);
}

enum bode_err bode_secretbox_new(struct bode_secretbox **out)
{
    struct bode_secretbox *box;

    *out = NULL;
    box = bode_calloc(1, sizeof(*box));
    if (!box)
        return BODE_ERR_NOMEM;
    /* Fetched once so sealing does not look the cipher up every time. */
    box->cipher = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
    if (!box->cipher) {
        ERR_clear_error();
        bode_free(box);
        return BODE_ERR_PERMANENT;
    }
    *out = box;
    return BODE_OK;
}

void bode_secretbox_free(struct bode_secretbox *box)
{
    if (!box)
        return;
    EVP_CIPHER_free(box->cipher);
    OPENSSL_cleanse(box, sizeof(*box));
    bode_free(box);
}

static enum bode_err key_id(const unsigned char *key, char kid[KID_LEN + 1])
{
    static const char label[] = "bode secretbox key id";
    static const char hex[] = "0123456789abcdef";
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    size_t i;

    if (!HMAC(EVP_sha256(), key, BODE_SECRETBOX_KEY_LEN,
              (const unsigned char *)label, sizeof(label) - 1, mac, &mac_len)) {
        /* The error is reported by our code; leave no stale entries on
         * this thread's OpenSSL error queue. */
        ERR_clear_error();
        return BODE_ERR_PERMANENT;
    }
    for (i = 0; i < KID_LEN / 2; i++) {
        kid[2 * i] = hex[mac[i] >> 4];
        kid[2 * i + 1] = hex[mac[i] & 0xf];
    }
    kid[KID_LEN] = '\0';
    OPENSSL_cleanse(mac, sizeof(mac));
    return BODE_OK;
}

enum bode_err bode_secretbox_add_key(struct bode_secretbox *box,
                                     const unsigned char *key)
{
    struct slot *s;
    size_t i;
    enum bode_err rc;

    if (!box || !key)
        return BODE_ERR_INVALID;
    for (i = 0; i < box->n; i++)
        if (CRYPTO_memcmp(box->keys[i].key, key, BODE_SECRETBOX_KEY_LEN) == 0)
            return BODE_OK;
    if (box->n == BODE_SECRETBOX_MAX_KEYS)
        return BODE_ERR_TOO_BIG;
    s = &box->keys[box->n];
    rc = key_id(key, s->kid);
    if (rc)
        return rc;
    memcpy(s->key, key, BODE_SECRETBOX_KEY_LEN);
    box->n++;
    return BODE_OK;
}

size_t bode_secretbox_key_count(const struct bode_secretbox *box)
{
    return box ? box->n : 0;
}

/* One key: 64 hex digits, or 43 base64 characters (44 with one "="), in
 * either alphabet. */
static enum bode_err parse_key(const char *t, size_t n,
                               unsigned char key[BODE_SECRETBOX_KEY_LEN])
{
    char b64[43];
    size_t got = 0;
    size_t i;
    enum bode_err rc = BODE_ERR_INVALID;

    if (n == BODE_SECRETBOX_KEY_HEX_LEN) {
        for (i = 0; i < BODE_SECRETBOX_KEY_LEN; i++) {
            int hi = bode_hex_value(t[2 * i]);
            int lo = bode_hex_value(t[2 * i + 1]);

            if (hi < 0 || lo < 0) {
                OPENSSL_cleanse(key, BODE_SECRETBOX_KEY_LEN);
                return BODE_ERR_INVALID;
            }
            key[i] = (unsigned char)(hi << 4 | lo);
        }
        return BODE_OK;
    }
    if (n == 44 && t[43] == '=')
        n = 43;
    if (n != 43)
        return BODE_ERR_INVALID;
    for (i = 0; i < n; i++)
        b64[i] = t[i] == '+' ? '-' : t[i] == '/' ? '_' : t[i];
    if (bode_base64url_decode(b64, n, key, BODE_SECRETBOX_KEY_LEN, &got) ==
            BODE_OK &&
        got == BODE_SECRETBOX_KEY_LEN)
        rc = BODE_OK;
    OPENSSL_cleanse(b64, sizeof(b64));
    if (rc)
        OPENSSL_cleanse(key, BODE_SECRETBOX_KEY_LEN);
    return rc;
}

static bool is_separator(char c)
{
    return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

enum bode_err bode_secretbox_add_keys_text(struct bode_secretbox *box,
                                           const char *text, size_t len,
                                           const char *origin,
                                           struct bode_secretbox_error *e)
{
    unsigned char keys[BODE_SECRETBOX_MAX_KEYS][BODE_SECRETBOX_KEY_LEN];
    size_t count = 0;
    size_t i = 0;
    size_t k;
    enum bode_err rc = BODE_OK;

    if (!origin)
        origin = "key text";
    if (!box || (!text && len)) {
        set_error(e, "%s: no key ring to add to", origin);
        return BODE_ERR_INVALID;
    }
    /* Everything is parsed before anything is added, so a bad key leaves
     * the box as it was. */
    while (i < len) {
        size_t start;

        if (is_separator(text[i])) {
            i++;
            continue;
        }
        if (text[i] == '#') {
            while (i < len && text[i] != '\n')
                i++;
            continue;
        }
        start = i;
        while (i < len && !is_separator(text[i]) && text[i] != '#')
            i++;
        if (count == BODE_SECRETBOX_MAX_KEYS) {
            set_error(e, "%s: more than %d keys", origin,
                      BODE_SECRETBOX_MAX_KEYS);
            rc = BODE_ERR_TOO_BIG;
            goto out;
        }
        if (parse_key(text + start, i - start, keys[count])) {
            set_error(e,
                      "%s: key %zu is not 64 hex digits or the base64 of "
                      "32 bytes",
                      origin, count + 1);
            rc = BODE_ERR_INVALID;
            goto out;
        }
        count++;
    }
    if (count == 0) {
        set_error(e, "%s: no key found", origin);
        rc = BODE_ERR_NOT_FOUND;
        goto out;
    }
    if (box->n + count > BODE_SECRETBOX_MAX_KEYS) {
        set_error(e, "%s: more than %d keys in all", origin,
                  BODE_SECRETBOX_MAX_KEYS);
        rc = BODE_ERR_TOO_BIG;
        goto out;
    }
    for (k = 0; k < count; k++) {
        rc = bode_secretbox_add_key(box, keys[k]);
        if (rc) {
            set_error(e, "%s: cannot add key %zu: %s", origin, k + 1,
                      bode_err_str(rc));
            goto out;
        }
    }
out:
    OPENSSL_cleanse(keys, sizeof(keys));
    return rc;
}

enum bode_err bode_secretbox_add_key_file(struct bode_secretbox *box,
                                          const char *path,
                                          struct bode_secretbox_error *e)
{
    char text[KEY_FILE_MAX + 1];
    char why[128];
    struct stat st;
    size_t len = 0;
    ssize_t got;
    int fd = -1;
    enum bode_err rc;

    if (!path || !*path) {
        set_error(e, "no key file given");
        return BODE_ERR_INVALID;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        rc = errno == ENOENT ? BODE_ERR_NOT_FOUND : BODE_ERR_IO;
        set_error(e, "key file %s: %s", path,
                  bode_errno_str(errno, why, sizeof(why)));
        return rc;
    }
    if (fstat(fd, &st) != 0) {
        set_error(e, "key file %s: %s", path,
                  bode_errno_str(errno, why, sizeof(why)));
        rc = BODE_ERR_IO;
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        set_error(e, "key file %s: not a regular file", path);
        rc = BODE_ERR_INVALID;
        goto out;
    }
    while (len < sizeof(text)) {
        got = read(fd, text + len, sizeof(text) - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            set_error(e, "key file %s: %s", path,
                      bode_errno_str(errno, why, sizeof(why)));
            rc = BODE_ERR_IO;
            goto out;
        }
        if (got == 0)
            break;
        len += (size_t)got;
    }
    if (len > KEY_FILE_MAX) {
        set_error(e, "key file %s: larger than %d bytes", path, KEY_FILE_MAX);
        rc = BODE_ERR_TOO_BIG;
        goto out;
    }
    rc = bode_secretbox_add_keys_text(box, text, len, path, e);
out:
    OPENSSL_cleanse(text, sizeof(text));
    close(fd);
    return rc;
}

enum bode_err bode_secretbox_load(const char *env_value, const char *key_file,
                                  struct bode_secretbox **out,
                                  struct bode_secretbox_error *e)
{
    struct bode_secretbox *box = NULL;
    enum bode_err rc;

    *out = NULL;
    if ((!env_value || !*env_value) && (!key_file || !*key_file)) {
        set_error(e, "no master key: set BODE_SECRET_KEY or a key file");
        return BODE_ERR_NOT_FOUND;
    }
    rc = bode_secretbox_new(&box);
    if (rc) {
        set_error(e, "cannot make the key ring: %s", bode_err_str(rc));
        return rc;
    }
    if (env_value && *env_value)
        rc = bode_secretbox_add_keys_text(box, env_value, strlen(env_value),
                                          "BODE_SECRET_KEY", e);
    else
        rc = bode_secretbox_add_key_file(box, key_file, e);
    if (rc) {
        bode_secretbox_free(box);
        return rc;
    }
    *out = box;
    return BODE_OK;
}

size_t bode_secretbox_sealed_len(size_t plain_len)
{
    return BODE_SECRETBOX_PREFIX_LEN +
           bode_base64url_encoded_len(BODE_SECRETBOX_OVERHEAD + plain_len);
}

static void make_prefix(const struct slot *s,
                        char prefix[BODE_SECRETBOX_PREFIX_LEN])
{
    memcpy(prefix, "v1:", 3);
    memcpy(prefix + 3, s->kid, KID_LEN);
    prefix[3 + KID_LEN] = ':';
}

/* Feeds the prefix and the caller's ad to ctx as associated data. */
static bool add_ad(EVP_CIPHER_CTX *ctx, bool enc, const char *prefix,
                   const void *ad, size_t ad_len)
{
    int n;

    if (enc) {
        if (EVP_EncryptUpdate(ctx, NULL, &n, (const unsigned char *)prefix,
                              BODE_SECRETBOX_PREFIX_LEN) != 1)
            return false;
        return ad_len == 0 ||
               EVP_EncryptUpdate(ctx, NULL, &n, ad, (int)ad_len) == 1;
    }
    if (EVP_DecryptUpdate(ctx, NULL, &n, (const unsigned char *)prefix,
                          BODE_SECRETBOX_PREFIX_LEN) != 1)
        return false;
    return ad_len == 0 ||
           EVP_DecryptUpdate(ctx, NULL, &n, ad, (int)ad_len) == 1;
}

/* raw = nonce || ciphertext || tag, with the nonce already in place. */
static enum bode_err encrypt(const struct bode_secretbox *box,
                             const struct slot *s, const char *prefix,
                             const void *ad, size_t ad_len,
                             const unsigned char *plain, size_t len,
                             unsigned char *raw)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0;
    int fin = 0;
    enum bode_err rc = BODE_ERR_PERMANENT;

    if (!ctx) {
        ERR_clear_error();
        return BODE_ERR_NOMEM;
    }
    if (EVP_EncryptInit_ex2(ctx, box->cipher, s->key, raw, NULL) != 1 ||
        !add_ad(ctx, true, prefix, ad, ad_len))
        goto out;
    if (len > 0 &&
        EVP_EncryptUpdate(ctx, raw + NONCE_LEN, &n, plain, (int)len) != 1)
        goto out;
    if (EVP_EncryptFinal_ex(ctx, raw + NONCE_LEN + n, &fin) != 1 ||
        (size_t)n + (size_t)fin != len)
        goto out;
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, TAG_LEN,
                            raw + NONCE_LEN + len) != 1)
        goto out;
    rc = BODE_OK;
out:
    if (rc)
        ERR_clear_error();
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

enum bode_err bode_secretbox_seal(const struct bode_secretbox *box,
                                  const void *plain, size_t plain_len,
                                  const void *ad, size_t ad_len, char *out,
                                  size_t size)
{
    char prefix[BODE_SECRETBOX_PREFIX_LEN];
    unsigned char *raw = NULL;
    size_t raw_len;
    enum bode_err rc;

    if (size > 0)
        out[0] = '\0';
    if (!box || box->n == 0 || (!plain && plain_len) || (!ad && ad_len))
        return BODE_ERR_INVALID;
    if (plain_len > BODE_SECRETBOX_MAX_PLAIN || ad_len > BODE_SECRETBOX_MAX_AD)
        return BODE_ERR_TOO_BIG;
    if (size < bode_secretbox_sealed_len(plain_len) + 1)
        return BODE_ERR_TOO_BIG;
    raw_len = BODE_SECRETBOX_OVERHEAD + plain_len;
    raw = bode_malloc(raw_len);
    if (!raw)
        return BODE_ERR_NOMEM;
    rc = bode_rand_bytes(raw, NONCE_LEN);
    if (rc)
        goto out;
    make_prefix(&box->keys[0], prefix);
    rc = encrypt(box, &box->keys[0], prefix, ad, ad_len, plain, plain_len, raw);
    if (rc)
        goto out;
    memcpy(out, prefix, sizeof(prefix));
    rc = bode_base64url_encode(raw, raw_len, out + sizeof(prefix),
                               size - sizeof(prefix));
out:
    if (rc && size > 0)
        out[0] = '\0';
    bode_free(raw);
    return rc;
}

/* Checks the "v1:KID:" prefix; the key id must be lower-case hex. */
static bool prefix_ok(const char *sealed, size_t len)
{
    size_t i;

    if (len < BODE_SECRETBOX_PREFIX_LEN || memcmp(sealed, "v1:", 3) != 0 ||
        sealed[3 + KID_LEN] != ':')
        return false;
    for (i = 3; i < 3 + KID_LEN; i++) {
        char c = sealed[i];

        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

static enum bode_err decrypt(const struct bode_secretbox *box,
                             const struct slot *s, const char *prefix,
                             const void *ad, size_t ad_len, unsigned char *raw,
                             size_t len, unsigned char *out)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0;
    int fin = 0;
    enum bode_err rc = BODE_ERR_PERMANENT;

    if (!ctx) {
        ERR_clear_error();
        return BODE_ERR_NOMEM;
    }
    if (EVP_DecryptInit_ex2(ctx, box->cipher, s->key, raw, NULL) != 1 ||
        !add_ad(ctx, false, prefix, ad, ad_len))
        goto out;
    if (len > 0 &&
        EVP_DecryptUpdate(ctx, out, &n, raw + NONCE_LEN, (int)len) != 1)
        goto out;
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, TAG_LEN,
                            raw + NONCE_LEN + len) != 1)
        goto out;
    /* A tag mismatch is the one expected failure here. */
    if (EVP_DecryptFinal_ex(ctx, out + n, &fin) != 1) {
        rc = BODE_ERR_AUTH;
        goto out;
    }
    rc = (size_t)n + (size_t)fin == len ? BODE_OK : BODE_ERR_PERMANENT;
out:
    if (rc)
        ERR_clear_error();
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

enum bode_err bode_secretbox_open(const struct bode_secretbox *box,
                                  const char *sealed, size_t len,
                                  const void *ad, size_t ad_len, void *out,
                                  size_t size, size_t *out_len)
{
    unsigned char *raw = NULL;
    size_t raw_len = 0;
    size_t plain_len;
    size_t i;
    bool known = false;
    enum bode_err rc;

    *out_len = 0;
    if (!box || !sealed || (!ad && ad_len))
        return BODE_ERR_INVALID;
    if (ad_len > BODE_SECRETBOX_MAX_AD ||
        len > bode_secretbox_sealed_len(BODE_SECRETBOX_MAX_PLAIN))
        return BODE_ERR_TOO_BIG;
    if (!prefix_ok(sealed, len))
        return BODE_ERR_INVALID;
    raw = bode_malloc(
        bode_base64url_decoded_max(len - BODE_SECRETBOX_PREFIX_LEN));
    if (!raw)
        return BODE_ERR_NOMEM;
    rc = bode_base64url_decode(
        sealed + BODE_SECRETBOX_PREFIX_LEN, len - BODE_SECRETBOX_PREFIX_LEN,
        raw, bode_base64url_decoded_max(len - BODE_SECRETBOX_PREFIX_LEN),
        &raw_len);
    if (rc || raw_len < BODE_SECRETBOX_OVERHEAD) {
        rc = BODE_ERR_INVALID;
        goto out;
    }
    plain_len = raw_len - BODE_SECRETBOX_OVERHEAD;
    if (!out || size <= plain_len) {
        rc = BODE_ERR_TOO_BIG;
        goto out;
    }
    rc = BODE_ERR_NOT_FOUND;
    /* Key ids are short, so two keys may share one: try each that does. */
    for (i = 0; i < box->n; i++) {
        if (memcmp(box->keys[i].kid, sealed + 3, KID_LEN) != 0)
            continue;
        known = true;
        rc = decrypt(box, &box->keys[i], sealed, ad, ad_len, raw, plain_len,
                     out);
        if (rc != BODE_ERR_AUTH)
            break;
    }
    if (rc == BODE_OK) {
        ((unsigned char *)out)[plain_len] = '\0';
        *out_len = plain_len;
    } else {
        /* GCM writes plaintext before the tag is checked: never hand
         * unauthenticated bytes back. */
        OPENSSL_cleanse(out, plain_len + 1);
        if (!known)
            rc = BODE_ERR_NOT_FOUND;
    }
out:
    bode_free(raw);
    return rc;
}

bool bode_secretbox_is_current(const struct bode_secretbox *box,
                               const char *sealed, size_t len)
{
    size_t body;

    if (!box || box->n == 0 || !sealed || !prefix_ok(sealed, len))
        return false;
    body = len - BODE_SECRETBOX_PREFIX_LEN;
    if (!bode_base64url_is_valid(sealed + BODE_SECRETBOX_PREFIX_LEN, body) ||
        bode_base64url_decoded_max(body) < BODE_SECRETBOX_OVERHEAD)
        return false;
    return memcmp(box->keys[0].kid, sealed + 3, KID_LEN) == 0;
}

enum bode_err bode_secretbox_key_generate(char *out, size_t size)
{
    unsigned char key[BODE_SECRETBOX_KEY_LEN];
    static const char hex[] = "0123456789abcdef";
    size_t i;
    enum bode_err rc;

    if (size > 0)
        out[0] = '\0';
    if (size < BODE_SECRETBOX_KEY_HEX_LEN + 1)
        return BODE_ERR_TOO_BIG;
    rc = bode_rand_bytes(key, sizeof(key));
    if (rc)
        return rc;
    for (i = 0; i < sizeof(key); i++) {
        out[2 * i] = hex[key[i] >> 4];
        out[2 * i + 1] = hex[key[i] & 0xf];
    }
    out[BODE_SECRETBOX_KEY_HEX_LEN] = '\0';
    OPENSSL_cleanse(key, sizeof(key));
    return BODE_OK;
}

static bool write_all(int fd, const char *p, size_t n)
{
    ssize_t w;

    while (n > 0) {
        w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Makes the new directory entry durable; best effort, as some file
 * systems refuse fsync on directories. */
static void sync_parent(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    size_t n;
    int fd;

    if (!slash) {
        memcpy(dir, ".", 2);
    } else {
        n = slash == path ? 1 : (size_t)(slash - path);
        if (n >= sizeof(dir))
            return;
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return;
    (void)fsync(fd);
    close(fd);
}

enum bode_err bode_secretbox_keyfile_create(const char *path,
                                            struct bode_secretbox_error *e)
{
    static const char header[] =
        "# Bode master key (AES-256-GCM) for API key secrets at rest.\n"
        "# Keep it private and backed up: without it no stored key opens.\n";
    char text[sizeof(header) + BODE_SECRETBOX_KEY_HEX_LEN + 1];
    char why[128];
    bool created = false;
    int fd = -1;
    int closed;
    enum bode_err rc;

    if (!path || !*path) {
        set_error(e, "no key file path given");
        return BODE_ERR_INVALID;
    }
    memcpy(text, header, sizeof(header) - 1);
    rc = bode_secretbox_key_generate(text + sizeof(header) - 1,
                                     BODE_SECRETBOX_KEY_HEX_LEN + 1);
    if (rc) {
        set_error(e, "no randomness for a new key");
        goto out;
    }
    text[sizeof(text) - 2] = '\n';
    /* O_EXCL with O_NOFOLLOW: never replace a key or write through a
     * planted symlink. */
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = errno == EEXIST ? BODE_ERR_CONFLICT : BODE_ERR_IO;
        set_error(e, "key file %s: %s", path,
                  bode_errno_str(errno, why, sizeof(why)));
        goto out;
    }
    created = true;
    /* The umask can only remove bits; make the mode exact anyway. */
    if (fchmod(fd, 0600) != 0 || !write_all(fd, text, sizeof(text) - 1) ||
        fsync(fd) != 0) {
        set_error(e, "key file %s: %s", path,
                  bode_errno_str(errno, why, sizeof(why)));
        rc = BODE_ERR_IO;
        goto out;
    }
    closed = close(fd);
    fd = -1;
    if (closed != 0) {
        set_error(e, "key file %s: %s", path,
                  bode_errno_str(errno, why, sizeof(why)));
        rc = BODE_ERR_IO;
        goto out;
    }
    sync_parent(path);
out:
    if (fd >= 0)
        close(fd);
    if (rc && created)
        unlink(path);
    OPENSSL_cleanse(text, sizeof(text));
    return rc;
}
