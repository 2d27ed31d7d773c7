/* Fuzz target: token parsing, verification and the clock rule must give a
 * verdict for any bytes without crashing, and a token made by the signer
 * must always parse back to what was signed. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "bode/alloc.h"
#include "bode/jwt.h"

#define SECRET "3d4f1a5c-8f7e-4b2a-9c1d-0e6f5a4b3c2d"
#define NOW ((int64_t)1700000000)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_parsed(const char *token, size_t len)
{
    struct bode_jwt jwt;
    struct bode_jwt_error err;
    enum bode_err rc = bode_jwt_parse(token, len, &jwt, &err);

    if (rc == BODE_ERR_NOMEM)
        return;
    if (rc != BODE_OK && rc != BODE_ERR_AUTH)
        __builtin_trap();
    if (!err.detail)
        __builtin_trap();
    if (rc == BODE_ERR_AUTH && err.reason != BODE_JWT_UNDECODABLE &&
        err.reason != BODE_JWT_NO_ISS && err.reason != BODE_JWT_ISS_NOT_UUID &&
        err.reason != BODE_JWT_ALG)
        __builtin_trap();
    if (rc == BODE_ERR_AUTH && err.reason != BODE_JWT_ALG) {
        if (jwt.signing_input || jwt.iss[0])
            __builtin_trap();
        return;
    }
    /* A parsed token names a service and points into the input. */
    if (!bode_uuid_is_canonical(jwt.iss, strlen(jwt.iss)) ||
        jwt.signing_input != token || jwt.signing_len >= len ||
        token[jwt.signing_len] != '.' || jwt.alg_ok != (rc == BODE_OK))
        __builtin_trap();
    if (bode_jwt_verify(&jwt, SECRET, strlen(SECRET)) &&
        (!jwt.alg_ok || jwt.sig_len != BODE_JWT_SIG_LEN))
        __builtin_trap();
    rc = bode_jwt_check_iat(&jwt, NOW, &err);
    if (rc == BODE_ERR_AUTH && err.reason != BODE_JWT_CLOCK &&
        err.reason != BODE_JWT_KEY_NOT_FOUND && err.reason != BODE_JWT_OTHER)
        __builtin_trap();
    if (rc != BODE_OK && rc != BODE_ERR_AUTH)
        __builtin_trap();
    if (rc == BODE_OK && (jwt.iat_kind != BODE_JWT_CLAIM_NUMBER ||
                          jwt.iat < NOW - 30 || jwt.iat > NOW + 30))
        __builtin_trap();
}

/* The first bytes choose iat; the rest, as a string, is the iss. */
static void check_round_trip(const uint8_t *data, size_t size)
{
    char iss[257];
    char token[BODE_JWT_MAX_LEN];
    struct bode_jwt jwt;
    struct bode_jwt_error err;
    int64_t iat = 0;
    size_t n;
    size_t i;
    enum bode_err rc;

    for (i = 0; i < 8 && i < size; i++)
        iat = (int64_t)((uint64_t)iat << 8 | data[i]);
    data += i;
    size -= i;
    n = size < sizeof(iss) - 1 ? size : sizeof(iss) - 1;
    memcpy(iss, data, n);
    iss[n] = '\0';
    rc = bode_jwt_sign(iss, iat, SECRET, strlen(SECRET), token, sizeof(token));
    if (rc != BODE_OK)
        __builtin_trap();
    rc = bode_jwt_parse(token, strlen(token), &jwt, &err);
    if (rc == BODE_ERR_NOMEM)
        return;
    if (rc == BODE_ERR_AUTH) {
        /* Only an iss that is not a UUID (or not UTF-8) may fail. */
        if ((err.reason != BODE_JWT_ISS_NOT_UUID &&
             err.reason != BODE_JWT_UNDECODABLE) ||
            bode_uuid_is_valid(iss, strlen(iss)))
            __builtin_trap();
        return;
    }
    if (rc != BODE_OK || !bode_uuid_is_valid(iss, strlen(iss)) ||
        strncasecmp(jwt.iss, iss, BODE_UUID_LEN) != 0 ||
        jwt.iat_kind != BODE_JWT_CLAIM_NUMBER ||
        (iat > -((int64_t)1 << 62) && iat < ((int64_t)1 << 62) &&
         jwt.iat != iat) ||
        !bode_jwt_verify(&jwt, SECRET, strlen(SECRET)) ||
        bode_jwt_verify(&jwt, SECRET, strlen(SECRET) - 1))
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy;
    const char *token;
    size_t token_len;
    struct bode_jwt_error err;

    check_parsed((const char *)data, size);
    check_round_trip(data, size);
    copy = bode_malloc(size + 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    if (bode_jwt_parse_bearer(copy, &token, &token_len, &err) == BODE_OK) {
        if (token != copy + 7 || token_len != strlen(copy) - 7)
            __builtin_trap();
        check_parsed(token, token_len);
    } else if (err.reason != BODE_JWT_NO_HEADER &&
               err.reason != BODE_JWT_NOT_BEARER) {
        __builtin_trap();
    }
    bode_free(copy);
    return 0;
}
