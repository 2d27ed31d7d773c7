/* Parses and checks Notify client tokens (HS256 JWTs) with Notify's error
 * outcomes. Must not look anything up, keep state, log, or trust the
 * header to choose an algorithm or a key. */
#include "bode/jwt.h"

#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "bode/base64.h"

#define CLAIM_LIMIT ((int64_t)1 << 62)

/* Longest iss bode_jwt_sign will embed: far above a UUID, far below the
 * token cap even when every byte needs a six-byte escape. */
#define SIGN_ISS_MAX 256

#define GENERAL_MESSAGE                                                        \
    "Invalid token: make sure your API token matches the example at "          \
    "https://docs.notifications.service.gov.uk/rest-api.html"                  \
    "#authorisation-header"

struct reason_row {
    const char *name;
    int status;
    const char *message;
};

static const struct reason_row reasons[BODE_JWT__COUNT] = {
    [BODE_JWT_OK] = {"ok", 0, ""},
    [BODE_JWT_NO_HEADER] = {"no_header", 401,
                            "Unauthorized: authentication token must be "
                            "provided"},
    [BODE_JWT_NOT_BEARER] = {"not_bearer", 401,
                             "Unauthorized: authentication bearer scheme "
                             "must be used"},
    [BODE_JWT_UNDECODABLE] = {"undecodable", 403, GENERAL_MESSAGE},
    [BODE_JWT_NO_ISS] = {"no_iss", 403,
                         "Invalid token: iss field not provided"},
    [BODE_JWT_ISS_NOT_UUID] = {"iss_not_uuid", 403,
                               "Invalid token: service id is not the right "
                               "data type"},
    [BODE_JWT_SERVICE_NOT_FOUND] = {"service_not_found", 403,
                                    "Invalid token: service not found"},
    [BODE_JWT_NO_KEYS] = {"no_keys", 403,
                          "Invalid token: service has no API keys"},
    [BODE_JWT_SERVICE_ARCHIVED] = {"service_archived", 403,
                                   "Invalid token: service is archived"},
    [BODE_JWT_CLOCK] = {"clock", 403,
                        "Error: Your system clock must be accurate to "
                        "within 30 seconds"},
    [BODE_JWT_ALG] = {"alg", 403, "Invalid token: algorithm used is not HS256"},
    [BODE_JWT_KEY_NOT_FOUND] = {"key_not_found", 403,
                                "Invalid token: API key not found"},
    [BODE_JWT_KEY_REVOKED] = {"key_revoked", 403,
                              "Invalid token: API key revoked"},
    [BODE_JWT_OTHER] = {"other", 403, GENERAL_MESSAGE},
    [BODE_JWT_REPLAYED] = {"replayed", 403,
                           "Invalid token: this token has already been used; "
                           "make a new token for every request"},
};

static bool reason_known(enum bode_jwt_reason reason)
{
    return (int)reason >= 0 && reason < BODE_JWT__COUNT;
}

const char *bode_jwt_reason_message(enum bode_jwt_reason reason)
{
    return reason_known(reason) ? reasons[reason].message : GENERAL_MESSAGE;
}

int bode_jwt_reason_status(enum bode_jwt_reason reason)
{
    return reason_known(reason) ? reasons[reason].status : 403;
}

const char *bode_jwt_reason_name(enum bode_jwt_reason reason)
{
    return reason_known(reason) ? reasons[reason].name : "unknown";
}

static enum bode_err fail(struct bode_jwt_error *err,
                          enum bode_jwt_reason reason, const char *detail)
{
    if (err) {
        err->reason = reason;
        err->detail = detail;
    }
    return BODE_ERR_AUTH;
}

static void succeed(struct bode_jwt_error *err)
{
    if (err) {
        err->reason = BODE_JWT_OK;
        err->detail = "";
    }
}

static char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

enum bode_err bode_jwt_parse_bearer(const char *value, const char **token,
                                    size_t *token_len,
                                    struct bode_jwt_error *err)
{
    static const char scheme[] = "bearer ";
    size_t i;

    *token = NULL;
    *token_len = 0;
    /* Notify treats an empty header like a missing one. */
    if (!value || value[0] == '\0')
        return fail(err, BODE_JWT_NO_HEADER, "no Authorization header");
    /* Title-casing the first 7 characters and comparing with "Bearer "
     * is, for ASCII, a case-insensitive match of the letters plus an
     * exact space. */
    for (i = 0; i < 7; i++) {
        if (value[i] == '\0' || ascii_lower(value[i]) != scheme[i])
            return fail(err, BODE_JWT_NOT_BEARER,
                        "Authorization scheme is not Bearer");
    }
    *token = value + 7;
    *token_len = strlen(value + 7);
    succeed(err);
    return BODE_OK;
}

/* Decodes one base64url segment into buf and parses it as a JSON object. */
static enum bode_err load_object(const char *seg, size_t len,
                                 unsigned char *buf, size_t size, json_t **out,
                                 struct bode_jwt_error *err,
                                 const char *bad_b64, const char *bad_json)
{
    size_t n;
    json_error_t jerr;
    json_t *v;

    *out = NULL;
    if (bode_base64url_decode(seg, len, buf, size, &n))
        return fail(err, BODE_JWT_UNDECODABLE, bad_b64);
    memset(&jerr, 0, sizeof(jerr));
    v = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, &jerr);
    if (!v) {
        /* jansson describes every syntax error; most of its allocation
         * failures return NULL with no text at all. */
        if (jerr.text[0] == '\0' ||
            json_error_code(&jerr) == json_error_out_of_memory)
            return BODE_ERR_NOMEM;
        return fail(err, BODE_JWT_UNDECODABLE, bad_json);
    }
    if (!json_is_object(v)) {
        json_decref(v);
        return fail(err, BODE_JWT_UNDECODABLE, bad_json);
    }
    *out = v;
    return BODE_OK;
}

static int64_t clamp_int(json_int_t v)
{
    if (v > CLAIM_LIMIT)
        return CLAIM_LIMIT;
    if (v < -CLAIM_LIMIT)
        return -CLAIM_LIMIT;
    return (int64_t)v;
}

/* Python's int() truncates toward zero; the clamp keeps the later
 * arithmetic (now +- 30) away from overflow without changing any verdict. */
static int64_t clamp_real(double d)
{
    if (d != d || d >= (double)CLAIM_LIMIT)
        return CLAIM_LIMIT;
    if (d <= -(double)CLAIM_LIMIT)
        return -CLAIM_LIMIT;
    return (int64_t)d;
}

/* Numbers as Python sees them: integers, reals and booleans (a bool is an
 * int there). Strings, null, arrays and objects are not numbers. */
static enum bode_jwt_claim time_claim(const json_t *obj, const char *name,
                                      int64_t *value)
{
    const json_t *v = json_object_get(obj, name);

    *value = 0;
    if (!v)
        return BODE_JWT_CLAIM_ABSENT;
    if (json_is_integer(v)) {
        *value = clamp_int(json_integer_value(v));
        return BODE_JWT_CLAIM_NUMBER;
    }
    if (json_is_real(v)) {
        *value = clamp_real(json_real_value(v));
        return BODE_JWT_CLAIM_NUMBER;
    }
    if (json_is_boolean(v)) {
        *value = json_is_true(v) ? 1 : 0;
        return BODE_JWT_CLAIM_NUMBER;
    }
    return BODE_JWT_CLAIM_OTHER;
}

/* PyJWT rejects an aud claim only when Python would call it true. */
static bool python_truthy(const json_t *v)
{
    if (!v || json_is_null(v) || json_is_false(v))
        return false;
    if (json_is_integer(v))
        return json_integer_value(v) != 0;
    if (json_is_real(v))
        return json_real_value(v) != 0.0;
    if (json_is_string(v))
        return json_string_length(v) > 0;
    if (json_is_array(v))
        return json_array_size(v) > 0;
    if (json_is_object(v))
        return json_object_size(v) > 0;
    return true;
}

static bool header_alg_is_hs256(const json_t *header)
{
    const json_t *alg = json_object_get(header, "alg");

    return json_is_string(alg) && json_string_length(alg) == 5 &&
           memcmp(json_string_value(alg), "HS256", 5) == 0;
}

static enum bode_err read_header(const json_t *header, struct bode_jwt *out,
                                 struct bode_jwt_error *err)
{
    /* PyJWT refuses unencoded payloads; crit names extensions we do not
     * implement, which RFC 7515 says must then be refused. */
    if (json_is_false(json_object_get(header, "b64")))
        return fail(err, BODE_JWT_UNDECODABLE, "header has b64 false");
    if (json_object_get(header, "crit"))
        return fail(err, BODE_JWT_UNDECODABLE, "header has crit");
    out->alg_ok = header_alg_is_hs256(header);
    return BODE_OK;
}

static enum bode_err read_claims(const json_t *claims, struct bode_jwt *out,
                                 struct bode_jwt_error *err)
{
    const json_t *iss = json_object_get(claims, "iss");

    if (!iss)
        return fail(err, BODE_JWT_NO_ISS, "no iss claim");
    if (!json_is_string(iss) ||
        bode_uuid_normalize(json_string_value(iss), json_string_length(iss),
                            out->iss))
        return fail(err, BODE_JWT_ISS_NOT_UUID, "iss is not a UUID string");
    out->iat_kind = time_claim(claims, "iat", &out->iat);
    out->nbf_kind = time_claim(claims, "nbf", &out->nbf);
    out->exp_kind = time_claim(claims, "exp", &out->exp);
    out->aud_set = python_truthy(json_object_get(claims, "aud"));
    return BODE_OK;
}

enum bode_err bode_jwt_parse(const char *token, size_t len,
                             struct bode_jwt *out, struct bode_jwt_error *err)
{
    unsigned char buf[BODE_JWT_MAX_LEN];
    const char *dot1;
    const char *dot2;
    const char *payload;
    const char *sig;
    size_t hlen;
    size_t plen;
    size_t slen;
    size_t n;
    json_t *header = NULL;
    json_t *claims = NULL;
    struct bode_jwt_error local;
    enum bode_err rc;

    /* The out label needs the reason even when the caller passed none. */
    if (!err)
        err = &local;
    memset(out, 0, sizeof(*out));
    succeed(err);
    if (len > BODE_JWT_MAX_LEN)
        return fail(err, BODE_JWT_UNDECODABLE, "token too long");
    if (!token && len)
        return fail(err, BODE_JWT_UNDECODABLE, "no token");
    dot1 = len ? memchr(token, '.', len) : NULL;
    dot2 =
        dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
    if (!dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)))
        return fail(err, BODE_JWT_UNDECODABLE,
                    "token is not three dot-separated segments");
    hlen = (size_t)(dot1 - token);
    payload = dot1 + 1;
    plen = (size_t)(dot2 - payload);
    sig = dot2 + 1;
    slen = len - (size_t)(sig - token);

    rc = load_object(token, hlen, buf, sizeof(buf), &header, err,
                     "header is not base64url", "header is not a JSON object");
    if (rc)
        goto out;
    rc = read_header(header, out, err);
    if (rc)
        goto out;
    rc =
        load_object(payload, plen, buf, sizeof(buf), &claims, err,
                    "payload is not base64url", "payload is not a JSON object");
    if (rc)
        goto out;
    /* Any well-formed signature parses: a wrong length is simply one no
     * key can match, as in PyJWT. */
    if (bode_base64url_decode(sig, slen, buf, sizeof(buf), &n)) {
        rc = fail(err, BODE_JWT_UNDECODABLE, "signature is not base64url");
        goto out;
    }
    out->sig_len = n;
    if (n == BODE_JWT_SIG_LEN)
        memcpy(out->sig, buf, n);
    rc = read_claims(claims, out, err);
    if (rc)
        goto out;
    out->signing_input = token;
    out->signing_len = hlen + 1 + plen;
    if (!out->alg_ok)
        rc = fail(err, BODE_JWT_ALG, "alg is not HS256");
out:
    json_decref(claims);
    json_decref(header);
    if (rc && err->reason != BODE_JWT_ALG)
        memset(out, 0, sizeof(*out));
    return rc;
}

/* Every API request verifies a token, and OpenSSL 3's one-shot HMAC()
 * looks up its algorithms on each call (a measurable share of a request's
 * CPU). SHA-256 is fetched once for the process and HMAC (RFC 2104) is
 * built on it; tests/unit/test_jwt.c checks RFC 4231's vectors. */
#define SHA256_BLOCK 64

static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void fetch_sha256(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static bool digest2(EVP_MD_CTX *ctx, const void *a, size_t alen, const void *b,
                    size_t blen, unsigned char *out)
{
    unsigned int n = 0;

    return EVP_DigestInit_ex2(ctx, sha256_md, NULL) &&
           EVP_DigestUpdate(ctx, a, alen) && EVP_DigestUpdate(ctx, b, blen) &&
           EVP_DigestFinal_ex(ctx, out, &n) && n == BODE_JWT_SIG_LEN;
}

enum bode_err bode_jwt_hmac_sha256(const void *key, size_t key_len,
                                   const void *data, size_t len,
                                   unsigned char out[BODE_JWT_SIG_LEN])
{
    unsigned char k0[SHA256_BLOCK];
    unsigned char pad[SHA256_BLOCK];
    unsigned char inner[BODE_JWT_SIG_LEN];
    EVP_MD_CTX *ctx = NULL;
    enum bode_err err = BODE_ERR_PERMANENT;
    size_t i;

    if (pthread_once(&sha256_once, fetch_sha256) != 0 || !sha256_md)
        goto out;
    ctx = EVP_MD_CTX_new();
    if (!ctx)
        goto out;
    memset(k0, 0, sizeof(k0));
    if (key_len > SHA256_BLOCK) {
        if (!digest2(ctx, key, key_len, "", 0, k0))
            goto out;
    } else if (key_len > 0) {
        memcpy(k0, key, key_len);
    }
    for (i = 0; i < SHA256_BLOCK; i++)
        pad[i] = k0[i] ^ 0x36;
    if (!digest2(ctx, pad, sizeof(pad), data ? data : "", data ? len : 0,
                 inner))
        goto out;
    for (i = 0; i < SHA256_BLOCK; i++)
        pad[i] = k0[i] ^ 0x5c;
    if (!digest2(ctx, pad, sizeof(pad), inner, sizeof(inner), out))
        goto out;
    err = BODE_OK;
out:
    if (err) {
        ERR_clear_error();
        OPENSSL_cleanse(out, BODE_JWT_SIG_LEN);
    }
    OPENSSL_cleanse(k0, sizeof(k0));
    OPENSSL_cleanse(pad, sizeof(pad));
    OPENSSL_cleanse(inner, sizeof(inner));
    EVP_MD_CTX_free(ctx);
    return err;
}

bool bode_jwt_verify(const struct bode_jwt *jwt, const void *secret,
                     size_t secret_len)
{
    unsigned char mac[BODE_JWT_SIG_LEN];
    bool ok;

    if (!jwt || !jwt->alg_ok || !jwt->signing_input || !secret ||
        secret_len == 0 || jwt->sig_len != BODE_JWT_SIG_LEN)
        return false;
    if (bode_jwt_hmac_sha256(secret, secret_len, jwt->signing_input,
                             jwt->signing_len, mac))
        return false;
    ok = CRYPTO_memcmp(mac, jwt->sig, sizeof(mac)) == 0;
    OPENSSL_cleanse(mac, sizeof(mac));
    return ok;
}

bool bode_jwt_same_token(const char *a, size_t alen, const char *b, size_t blen)
{
    /* Eight bytes a step: CRYPTO_memcmp goes a byte at a time, and every
     * accept compares its token with four remembered ones (1.4% of the
     * API's CPU). The loop's branches depend on the length only. */
    uint64_t diff = 0;
    uint64_t x;
    uint64_t y;
    size_t i = 0;

    if (alen != blen)
        return false;
    for (; i + 8 <= alen; i += 8) {
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        diff |= x ^ y;
    }
    for (; i < alen; i++)
        diff |= (uint64_t)((unsigned char)a[i] ^ (unsigned char)b[i]);
    return diff == 0;
}

enum bode_err bode_jwt_check_iat(const struct bode_jwt *jwt, int64_t now,
                                 struct bode_jwt_error *err)
{
    const int64_t bound = BODE_JWT_CLOCK_BOUND;

    succeed(err);
    if (now > CLAIM_LIMIT || now < -CLAIM_LIMIT)
        return fail(err, BODE_JWT_CLOCK, "server clock out of range");
    /* PyJWT's own checks, in its order. */
    if (jwt->iat_kind == BODE_JWT_CLAIM_OTHER)
        return fail(err, BODE_JWT_CLOCK, "iat is not a number");
    if (jwt->iat_kind == BODE_JWT_CLAIM_NUMBER && jwt->iat > now + bound)
        return fail(err, BODE_JWT_CLOCK, "iat is in the future");
    if (jwt->nbf_kind == BODE_JWT_CLAIM_OTHER)
        return fail(err, BODE_JWT_KEY_NOT_FOUND, "nbf is not a number");
    if (jwt->nbf_kind == BODE_JWT_CLAIM_NUMBER && jwt->nbf > now + bound)
        return fail(err, BODE_JWT_CLOCK, "nbf is in the future");
    if (jwt->exp_kind == BODE_JWT_CLAIM_OTHER)
        return fail(err, BODE_JWT_KEY_NOT_FOUND, "exp is not a number");
    if (jwt->exp_kind == BODE_JWT_CLAIM_NUMBER && jwt->exp <= now - bound)
        return fail(err, BODE_JWT_OTHER, "exp has passed");
    if (jwt->aud_set)
        return fail(err, BODE_JWT_OTHER, "aud claim is not accepted");
    /* Then the Notify client's: iat required, and not too old. */
    if (jwt->iat_kind == BODE_JWT_CLAIM_ABSENT)
        return fail(err, BODE_JWT_KEY_NOT_FOUND, "no iat claim");
    if (now - bound > jwt->iat)
        return fail(err, BODE_JWT_CLOCK, "iat is too old");
    return BODE_OK;
}

enum bode_err bode_jwt_encode(const char *header_json, const char *claims_json,
                              const void *secret, size_t secret_len, char *out,
                              size_t size)
{
    unsigned char mac[BODE_JWT_SIG_LEN];
    size_t hlen;
    size_t clen;
    size_t henc;
    size_t cenc;
    size_t need;
    size_t pos;
    enum bode_err rc;

    if (size > 0)
        out[0] = '\0';
    if (!header_json || !claims_json || !secret || secret_len == 0)
        return BODE_ERR_INVALID;
    hlen = strlen(header_json);
    clen = strlen(claims_json);
    if (hlen > BODE_JWT_MAX_LEN || clen > BODE_JWT_MAX_LEN)
        return BODE_ERR_TOO_BIG;
    henc = bode_base64url_encoded_len(hlen);
    cenc = bode_base64url_encoded_len(clen);
    need =
        henc + 1 + cenc + 1 + bode_base64url_encoded_len(BODE_JWT_SIG_LEN) + 1;
    if (size < need)
        return BODE_ERR_TOO_BIG;
    /* Sizes were checked above, so the encoders cannot fail. */
    bode_base64url_encode(header_json, hlen, out, size);
    out[henc] = '.';
    bode_base64url_encode(claims_json, clen, out + henc + 1, size - henc - 1);
    pos = henc + 1 + cenc;
    rc = bode_jwt_hmac_sha256(secret, secret_len, out, pos, mac);
    if (rc) {
        out[0] = '\0';
        return rc;
    }
    out[pos] = '.';
    bode_base64url_encode(mac, sizeof(mac), out + pos + 1, size - pos - 1);
    OPENSSL_cleanse(mac, sizeof(mac));
    return BODE_OK;
}

/* Appends s to buf as the inside of a JSON string. */
static bool json_escape(char *buf, size_t size, size_t *pos, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;

    for (; *p; p++) {
        char esc[7];
        size_t n = 0;

        if (*p == '"' || *p == '\\') {
            esc[n++] = '\\';
            esc[n++] = (char)*p;
        } else if (*p < 0x20) {
            memcpy(esc, "\\u00", 4);
            n = 4;
            esc[n++] = hex[*p >> 4];
            esc[n++] = hex[*p & 0xf];
        } else {
            esc[n++] = (char)*p;
        }
        if (size - *pos <= n)
            return false;
        memcpy(buf + *pos, esc, n);
        *pos += n;
    }
    buf[*pos] = '\0';
    return true;
}

enum bode_err bode_jwt_sign(const char *iss, int64_t iat, const void *secret,
                            size_t secret_len, char *out, size_t size)
{
    char claims[SIGN_ISS_MAX * 6 + 64];
    size_t pos;
    int n;

    if (size > 0)
        out[0] = '\0';
    if (!iss || !secret || secret_len == 0)
        return BODE_ERR_INVALID;
    if (strlen(iss) > SIGN_ISS_MAX)
        return BODE_ERR_TOO_BIG;
    memcpy(claims, "{\"iss\":\"", 8);
    pos = 8;
    if (!json_escape(claims, sizeof(claims), &pos, iss))
        return BODE_ERR_TOO_BIG;
    n = snprintf(claims + pos, sizeof(claims) - pos, "\",\"iat\":%" PRId64 "}",
                 iat);
    if (n < 0 || (size_t)n >= sizeof(claims) - pos)
        return BODE_ERR_TOO_BIG;
    return bode_jwt_encode("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", claims,
                           secret, secret_len, out, size);
}
