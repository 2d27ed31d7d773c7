/* Notify client tokens: the Authorization header, HS256 JWT parsing,
 * signature checks and the clock rule, with Notify's error texts.
 *
 * Pure building blocks: nothing here knows about services, keys or Redis.
 * The API layer runs them in Notify's order (docs/internals/auth.md):
 *
 *   bode_jwt_parse_bearer(header)        no header / not Bearer      401
 *   bode_jwt_parse(token)                undecodable, no iss,
 *                                        iss not a UUID              403
 *                                        (alg not HS256: remember it,
 *                                        the struct is still filled)
 *   look up jwt.iss                      service not found, no keys,
 *                                        archived                    403
 *   remembered alg error                 algorithm not HS256         403
 *   bode_jwt_verify with each key        none matches: key not found 403
 *   bode_jwt_check_iat on the match      clock, key not found, other 403
 *   matched key revoked                  key revoked                 403
 *
 * bode_jwt_reason_message and bode_jwt_reason_status give the exact text
 * and status for each outcome. Every function is thread safe and keeps no
 * state. No function here logs, and no error detail contains token bytes. */
#ifndef BODE_JWT_H
#define BODE_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bode/err.h"
#include "bode/uuid.h"

#define BODE_JWT_MAX_LEN 4096   /* longest token accepted, in bytes */
#define BODE_JWT_CLOCK_BOUND 30 /* seconds either side of now (Notify) */
#define BODE_JWT_SIG_LEN 32     /* an HMAC-SHA256 signature */

/* Why a request is not authenticated: one value per row of Notify's
 * authentication error table (notify-api.md section 2.1). */
enum bode_jwt_reason {
    BODE_JWT_OK = 0,
    BODE_JWT_NO_HEADER,         /* 401: no Authorization header */
    BODE_JWT_NOT_BEARER,        /* 401: not "Bearer " */
    BODE_JWT_UNDECODABLE,       /* 403: not a decodable JWT */
    BODE_JWT_NO_ISS,            /* 403: no iss claim */
    BODE_JWT_ISS_NOT_UUID,      /* 403: iss is not a UUID string */
    BODE_JWT_SERVICE_NOT_FOUND, /* 403: (API layer) unknown service */
    BODE_JWT_NO_KEYS,           /* 403: (API layer) service has no keys */
    BODE_JWT_SERVICE_ARCHIVED,  /* 403: (API layer) service inactive */
    BODE_JWT_CLOCK,             /* 403: iat off by > 30 s or not a number */
    BODE_JWT_ALG,               /* 403: alg is not exactly "HS256" */
    BODE_JWT_KEY_NOT_FOUND,     /* 403: no key signed it; or no iat */
    BODE_JWT_KEY_REVOKED,       /* 403: (API layer) matching key revoked */
    BODE_JWT_OTHER,             /* 403: other claim error (exp, aud) */
    BODE_JWT_REPLAYED,          /* 403: (API layer, Bode's optional replay
                                   guard) token already used */
    BODE_JWT__COUNT
};

/* Filled by the functions below when they return BODE_ERR_AUTH. detail is
 * a static English phrase for logs (never for clients: Notify's texts are
 * the contract) and never contains token bytes. */
struct bode_jwt_error {
    enum bode_jwt_reason reason;
    const char *detail;
};

/* How a time claim (iat, nbf, exp) appeared in the payload. */
enum bode_jwt_claim {
    BODE_JWT_CLAIM_ABSENT = 0,
    BODE_JWT_CLAIM_NUMBER, /* a JSON number; value truncated to seconds */
    BODE_JWT_CLAIM_OTHER   /* present but not a number */
};

/* A parsed token. Callers read the fields but never write them. The
 * signing input points into the token given to bode_jwt_parse, which must
 * stay valid and unchanged while this struct is used; nothing is owned,
 * so there is nothing to release. */
struct bode_jwt {
    const char *signing_input; /* "header.payload", borrowed */
    size_t signing_len;
    unsigned char sig[BODE_JWT_SIG_LEN];
    size_t sig_len;           /* decoded length; only 32 can verify */
    bool alg_ok;              /* header alg was exactly "HS256" */
    char iss[BODE_UUID_SIZE]; /* the service id, lower case */
    enum bode_jwt_claim iat_kind;
    int64_t iat; /* seconds; clamped to +-2^62 */
    enum bode_jwt_claim nbf_kind;
    int64_t nbf;
    enum bode_jwt_claim exp_kind;
    int64_t exp;
    bool aud_set; /* an aud claim that Python would call true */
};

/* Notify's message for reason, e.g. "Invalid token: API key not found".
 * Never NULL; "" for BODE_JWT_OK. Unknown values give the generic "make
 * sure your API token matches" text, so a bug fails closed. */
const char *bode_jwt_reason_message(enum bode_jwt_reason reason);

/* The HTTP status Notify sends for reason: 401 or 403 (0 for OK; 403 for
 * unknown values). The error type on the wire is always "AuthError". */
int bode_jwt_reason_status(enum bode_jwt_reason reason);

/* A short stable name for logs and metric labels, e.g. "clock". */
const char *bode_jwt_reason_name(enum bode_jwt_reason reason);

/* Notify's scheme rule on the Authorization header value: NULL or "" is
 * BODE_JWT_NO_HEADER; unless the first 7 bytes, title-cased, are "Bearer "
 * it is BODE_JWT_NOT_BEARER. On success *token points into value just
 * after the 7 bytes (borrowed; may be empty) and *token_len is its length.
 * Returns BODE_OK or BODE_ERR_AUTH with err filled (err may be NULL). */
enum bode_err bode_jwt_parse_bearer(const char *value, const char **token,
                                    size_t *token_len,
                                    struct bode_jwt_error *err);

/* Decodes token[0..len) without checking the signature and fills out.
 * Returns BODE_OK, BODE_ERR_NOMEM, or BODE_ERR_AUTH with err->reason:
 * BODE_JWT_UNDECODABLE (longer than BODE_JWT_MAX_LEN, not three strict
 * base64url segments, header or payload not a JSON object, duplicate JSON
 * keys, header "b64": false or any "crit"), BODE_JWT_NO_ISS,
 * BODE_JWT_ISS_NOT_UUID, or BODE_JWT_ALG. On BODE_JWT_ALG, and only then,
 * out is complete (alg_ok false) so the caller can report Notify's
 * service errors first. out borrows token (see struct bode_jwt); err may
 * be NULL. */
enum bode_err bode_jwt_parse(const char *token, size_t len,
                             struct bode_jwt *out, struct bode_jwt_error *err);

/* True when jwt's header said HS256 and its signature is the HMAC-SHA256
 * of its signing input under secret[0..secret_len), compared in constant
 * time. Always false for an empty secret or a failed HMAC computation.
 * secret is borrowed and not copied. */
bool bode_jwt_verify(const struct bode_jwt *jwt, const void *secret,
                     size_t secret_len);

/* True when a[0..alen) and b[0..blen) are the same bytes, in time that
 * depends only on the lengths: for comparing a token with one that
 * verified earlier without telling how much of a forged one matched. */
bool bode_jwt_same_token(const char *a, size_t alen, const char *b,
                         size_t blen);

/* Applies, to a token whose signature verified, the claim checks PyJWT
 * and Notify make after the signature, in their order: iat not a number
 * or more than 30 s ahead of now, then nbf ahead (BODE_JWT_CLOCK); nbf or
 * exp not a number (BODE_JWT_KEY_NOT_FOUND, as Notify tries the next key);
 * exp 30 s or more in the past or a true aud (BODE_JWT_OTHER); no iat
 * (BODE_JWT_KEY_NOT_FOUND); iat more than 30 s before now
 * (BODE_JWT_CLOCK). iat exactly now +- 30 passes. now is Unix seconds.
 * Returns BODE_OK or BODE_ERR_AUTH with err filled (err may be NULL). */
enum bode_err bode_jwt_check_iat(const struct bode_jwt *jwt, int64_t now,
                                 struct bode_jwt_error *err);

/* Makes the token an official client makes: header
 * {"alg":"HS256","typ":"JWT"}, claims {"iss":iss,"iat":iat}, signed with
 * secret[0..secret_len) (the 36 characters of the key's secret). iss is
 * JSON-escaped, not checked. Writes the token and a NUL to out.
 * BODE_ERR_INVALID for NULL iss or an empty secret, BODE_ERR_TOO_BIG if
 * size is too small (out = "" then). For tests, the bench and the CLI. */
enum bode_err bode_jwt_sign(const char *iss, int64_t iat, const void *secret,
                            size_t secret_len, char *out, size_t size);

/* As bode_jwt_sign, but with the header and claims JSON given verbatim
 * (not checked), so tests and tools can make any token: alg none, float
 * iat, extra claims. */
enum bode_err bode_jwt_encode(const char *header_json, const char *claims_json,
                              const void *secret, size_t secret_len, char *out,
                              size_t size);

/* HMAC-SHA256 of data[0..len) under key[0..key_len) into out. key may be
 * NULL when key_len is 0. BODE_ERR_PERMANENT if OpenSSL fails. */
enum bode_err bode_jwt_hmac_sha256(const void *key, size_t key_len,
                                   const void *data, size_t len,
                                   unsigned char out[BODE_JWT_SIG_LEN]);

#endif
