/* Parses, generates and formats Notify-format API keys. Must not store,
 * log or look up keys: that is the store's and the API's business. */
#include "bode/apikey.h"

#include <string.h>

#include <openssl/crypto.h>

#include "bode/rand.h"

enum bode_err bode_apikey_parse(const char *key, size_t len,
                                struct bode_apikey *out, size_t *name_len)
{
    const char *sid;
    const char *secret;

    memset(out, 0, sizeof(*out));
    if (name_len)
        *name_len = 0;
    if (len > BODE_APIKEY_MAX_LEN)
        return BODE_ERR_TOO_BIG;
    if (!key || len < BODE_APIKEY_SUFFIX_LEN || memchr(key, '\0', len))
        return BODE_ERR_INVALID;
    /* The clients' slices: [-73:-37] and [-36:]. */
    sid = key + len - BODE_APIKEY_SUFFIX_LEN + 1;
    secret = key + len - BODE_UUID_LEN;
    if (sid[-1] != '-' || secret[-1] != '-' ||
        !bode_uuid_is_canonical(sid, BODE_UUID_LEN) ||
        !bode_uuid_is_canonical(secret, BODE_UUID_LEN))
        return BODE_ERR_INVALID;
    memcpy(out->service_id, sid, BODE_UUID_LEN);
    out->service_id[BODE_UUID_LEN] = '\0';
    memcpy(out->secret, secret, BODE_UUID_LEN);
    out->secret[BODE_UUID_LEN] = '\0';
    if (name_len)
        *name_len = len - BODE_APIKEY_SUFFIX_LEN;
    return BODE_OK;
}

bool bode_apikey_is_valid(const char *key, size_t len)
{
    struct bode_apikey k;
    bool ok = bode_apikey_parse(key, len, &k, NULL) == BODE_OK;

    bode_apikey_release(&k);
    return ok;
}

enum bode_err bode_apikey_generate(const char *service_id,
                                   struct bode_apikey *out)
{
    enum bode_err rc;

    memset(out, 0, sizeof(*out));
    if (!service_id)
        return BODE_ERR_INVALID;
    rc = bode_uuid_normalize(service_id, strlen(service_id), out->service_id);
    if (rc)
        return rc;
    rc = bode_rand_uuid(out->secret);
    if (rc)
        bode_apikey_release(out);
    return rc;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
           c == '\v';
}

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9');
}

enum bode_err bode_apikey_name_safe(const char *name, char *out, size_t size)
{
    const char *p = name;
    const char *end;
    size_t o = 0;

    if (size == 0)
        return BODE_ERR_TOO_BIG;
    out[0] = '\0';
    if (!name)
        return BODE_ERR_INVALID;
    end = name + strlen(name);
    while (p < end && is_space(*p))
        p++;
    while (end > p && is_space(end[-1]))
        end--;
    while (p < end) {
        char c = *p;

        if (is_space(c)) {
            while (p < end && is_space(*p))
                p++;
            c = '_';
        } else {
            p++;
            if (!is_alnum(c) && c != '_')
                continue;
            if (c >= 'A' && c <= 'Z')
                c = (char)(c - 'A' + 'a');
        }
        if (o + 1 >= size) {
            out[0] = '\0';
            return BODE_ERR_TOO_BIG;
        }
        out[o++] = c;
    }
    out[o] = '\0';
    return BODE_OK;
}

enum bode_err bode_apikey_format(const struct bode_apikey *key,
                                 const char *name, char *out, size_t size)
{
    char safe[BODE_APIKEY_NAME_MAX + 1];
    size_t n;
    enum bode_err rc;

    if (size > 0)
        out[0] = '\0';
    if (!key || !name)
        return BODE_ERR_INVALID;
    if (!bode_uuid_is_canonical(key->service_id,
                                strnlen(key->service_id, BODE_UUID_SIZE)) ||
        !bode_uuid_is_canonical(key->secret,
                                strnlen(key->secret, BODE_UUID_SIZE)))
        return BODE_ERR_INVALID;
    if (strlen(name) > BODE_APIKEY_NAME_MAX)
        return BODE_ERR_TOO_BIG;
    rc = bode_apikey_name_safe(name, safe, sizeof(safe));
    if (rc)
        return rc;
    n = strlen(safe);
    if (size < n + BODE_APIKEY_SUFFIX_LEN + 1)
        return BODE_ERR_TOO_BIG;
    memcpy(out, safe, n);
    out[n] = '-';
    memcpy(out + n + 1, key->service_id, BODE_UUID_LEN);
    out[n + 1 + BODE_UUID_LEN] = '-';
    memcpy(out + n + 2 + BODE_UUID_LEN, key->secret, BODE_UUID_LEN);
    out[n + BODE_APIKEY_SUFFIX_LEN] = '\0';
    return BODE_OK;
}

void bode_apikey_release(struct bode_apikey *key)
{
    if (key)
        OPENSSL_cleanse(key, sizeof(*key));
}
