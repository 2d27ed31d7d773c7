/* libFuzzer target for bode_validate_phone: the first byte picks the home
 * region and the permissions, the rest is the number. Never a crash, and
 * every result is self-consistent. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bode/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const regions[] = {
    "GB", "IE", "US", "CA", "FR", "DE", "AU", "NZ",
    "AR", "BR", "JE", "IT", "RU", "MX", "IN", "SM",
};

static void check(int ok)
{
    if (!ok)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bode_phone_opts opts;
    struct bode_phone r;
    struct bode_phone again;
    char plus[BODE_PHONE_E164_SIZE + 1];
    enum bode_err err;
    size_t i;

    if (size == 0)
        return 0;
    memset(&opts, 0, sizeof(opts));
    opts.region = regions[data[0] & 15];
    opts.allow_international = (data[0] & 16) != 0;
    opts.allow_landline = (data[0] & 32) != 0;
    err = bode_validate_phone((const char *)data + 1, size - 1, &opts, &r);
    if (err != BODE_OK) {
        check(err == BODE_ERR_INVALID);
        check(r.error > BODE_PHONE_OK && r.error < BODE_PHONE_ERROR__COUNT);
        check(r.error_class != BODE_PHONE_CLASS_NONE);
        check(r.message &&
              strcmp(r.message, bode_validate_phone_message(r.error)) == 0);
        return 0;
    }
    check(r.message == NULL && r.error == BODE_PHONE_OK);
    check(strlen(r.e164) >= 3 && strlen(r.e164) <= 20);
    for (i = 0; r.e164[i]; i++)
        check(r.e164[i] >= '0' && r.e164[i] <= '9');
    check(strncmp(r.e164, r.prefix, strlen(r.prefix)) == 0);
    check(r.rate_multiplier >= 1 && r.rate_multiplier <= 4);
    check(r.region[0] != '\0');
    check(!r.crown_dependency || r.country_code == 44);
    if (strcmp(opts.region, "GB") == 0) {
        check(opts.allow_international || r.country_code == 44);
        check(opts.allow_landline || r.country_code != 44 || !r.landline);
    }
    /* The normalised form, written in E.164, keeps its calling code.
     * (It need not keep its digits: libphonenumber reads "+52 1 ..." and
     * "+521..." differently, and Bode follows it.) */
    snprintf(plus, sizeof(plus), "+%s", r.e164);
    opts.allow_international = true;
    opts.allow_landline = true;
    err = bode_validate_phone(plus, strlen(plus), &opts, &again);
    check(err == BODE_OK || err == BODE_ERR_INVALID);
    check(err != BODE_OK || again.country_code == r.country_code);
    return 0;
}
