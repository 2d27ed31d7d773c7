/* libFuzzer target for bode_validate_email: any bytes in, never a crash,
 * and an accepted address must be safe to put in a mail header and must
 * validate again to itself. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bode/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct bode_email r;
    static struct bode_email again;
    enum bode_err err;
    size_t i;

    err = bode_validate_email((const char *)data, size, &r);
    if (err == BODE_ERR_NOMEM)
        return 0;
    if (err != BODE_OK) {
        check(err == BODE_ERR_INVALID);
        check(r.message && strcmp(r.message, BODE_EMAIL_ERROR) == 0);
        check(r.address[0] == '\0' && r.ascii[0] == '\0');
        return 0;
    }
    check(r.message == NULL);
    check(r.address_len == strlen(r.address));
    check(r.ascii_len == strlen(r.ascii));
    check(r.address_len > 0 && r.address_len < BODE_EMAIL_SIZE);
    check(memchr(r.address, '@', r.address_len) != NULL);
    for (i = 0; i < r.address_len; i++) {
        unsigned char c = (unsigned char)r.address[i];
        check(c >= 0x20 && c != 0x7f && !(c >= 'A' && c <= 'Z'));
    }
    for (i = 0; i < r.ascii_len; i++) {
        unsigned char c = (unsigned char)r.ascii[i];
        check(c > 0x20 && c < 0x7f && !(c >= 'A' && c <= 'Z'));
    }
    check(r.idn || strcmp(r.address, r.ascii) == 0);
    err = bode_validate_email(r.address, r.address_len, &again);
    if (err == BODE_ERR_NOMEM)
        return 0;
    check(err == BODE_OK);
    check(strcmp(again.address, r.address) == 0);
    check(strcmp(again.ascii, r.ascii) == 0);
    return 0;
}
