/* Unpadded base64url (RFC 4648 section 5), the encoding of JWS segments
 * and of Bode's sealed secrets.
 *
 * Decoding is strict: only A-Z a-z 0-9 - _ are accepted, no padding, no
 * whitespace, and the unused low bits of the last character must be zero,
 * so every byte string has exactly one accepted spelling. Callers that
 * must accept other spellings (padded or standard-alphabet key text)
 * convert first. No allocation; thread safe. */
#ifndef BODE_BASE64_H
#define BODE_BASE64_H

#include <stdbool.h>
#include <stddef.h>

#include "bode/err.h"

/* Length of the unpadded encoding of n bytes, without a NUL. n must be
 * below SIZE_MAX / 4. */
size_t bode_base64url_encoded_len(size_t n);

/* Largest decoded length of an encoding of len characters. */
size_t bode_base64url_decoded_max(size_t len);

/* Encodes in[0..n) into out followed by a NUL. BODE_ERR_TOO_BIG (out = ""
 * when size > 0) if size < bode_base64url_encoded_len(n) + 1. */
enum bode_err bode_base64url_encode(const void *in, size_t n, char *out,
                                    size_t size);

/* True when bode_base64url_decode would accept in[0..len); its decoded
 * length is then exactly bode_base64url_decoded_max(len). */
bool bode_base64url_is_valid(const char *in, size_t len);

/* Decodes in[0..len) into out and sets *out_len. BODE_ERR_INVALID for any
 * character outside the alphabet, a length of 1 mod 4, or non-zero unused
 * bits; BODE_ERR_TOO_BIG if size is below the decoded length. On error
 * *out_len is 0 and out holds no partial result. */
enum bode_err bode_base64url_decode(const char *in, size_t len, void *out,
                                    size_t size, size_t *out_len);

#endif
