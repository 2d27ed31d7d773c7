/* Checks and normalises the text form of UUIDs. Must stay a pure function
 * of its input: no allocation, no locale (isxdigit would consult it). */
#include "bode/uuid.h"

#include "bode/hex.h"

static bool is_hyphen_position(size_t i)
{
    return i == 8 || i == 13 || i == 18 || i == 23;
}

static bool check(const char *s, size_t len, bool lower_only)
{
    size_t i;

    if (!s || len != BODE_UUID_LEN)
        return false;
    for (i = 0; i < len; i++) {
        if (is_hyphen_position(i)) {
            if (s[i] != '-')
                return false;
        } else if (bode_hex_value(s[i]) < 0) {
            return false;
        } else if (lower_only && s[i] >= 'A' && s[i] <= 'F') {
            return false;
        }
    }
    return true;
}

bool bode_uuid_is_valid(const char *s, size_t len)
{
    return check(s, len, false);
}

bool bode_uuid_is_canonical(const char *s, size_t len)
{
    return check(s, len, true);
}

enum bode_err bode_uuid_normalize(const char *s, size_t len,
                                  char out[BODE_UUID_SIZE])
{
    size_t i;

    out[0] = '\0';
    if (!check(s, len, false))
        return BODE_ERR_INVALID;
    for (i = 0; i < len; i++) {
        char c = s[i];

        out[i] = (c >= 'A' && c <= 'F') ? (char)(c - 'A' + 'a') : c;
    }
    out[len] = '\0';
    return BODE_OK;
}
