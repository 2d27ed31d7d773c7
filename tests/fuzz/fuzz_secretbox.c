/* Fuzz target: opening arbitrary text must fail cleanly (or succeed only
 * for the seed sealed with the test key), and anything sealed must open
 * to itself and to nothing else once a byte changes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bode/alloc.h"
#include "bode/secretbox.h"

/* The seed corpus holds values sealed under the first key. */
#define KEYS                                                                   \
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f,"        \
    "f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f"
#define AD "bode:{svc:8b3aa916-ec82-434e-b0c5-d5d9b371d6a3}:keys"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Made once: a fuzzing process runs the target many times. */
static struct bode_secretbox *ring(void)
{
    static struct bode_secretbox *box;

    if (!box) {
        if (bode_secretbox_new(&box) ||
            bode_secretbox_add_keys_text(box, KEYS, strlen(KEYS), "fuzz", NULL))
            __builtin_trap();
    }
    return box;
}

static void check_open(const char *text, size_t len)
{
    static unsigned char out[BODE_SECRETBOX_MAX_PLAIN + 1];
    size_t n = 1;
    enum bode_err rc = bode_secretbox_open(ring(), text, len, AD, strlen(AD),
                                           out, sizeof(out), &n);

    switch (rc) {
    case BODE_OK:
        if (n >= len || out[n] != '\0')
            __builtin_trap();
        break;
    case BODE_ERR_INVALID:
    case BODE_ERR_NOT_FOUND:
    case BODE_ERR_AUTH:
    case BODE_ERR_TOO_BIG:
    case BODE_ERR_NOMEM:
        if (n != 0)
            __builtin_trap();
        break;
    default:
        __builtin_trap();
    }
    (void)bode_secretbox_is_current(ring(), text, len);
}

static void check_round_trip(const uint8_t *data, size_t size)
{
    static char sealed[BODE_SECRETBOX_MAX_PLAIN * 2];
    static unsigned char out[BODE_SECRETBOX_MAX_PLAIN + 1];
    size_t ad_len = size ? data[0] % 16 : 0;
    size_t len;
    size_t n;
    size_t at;
    enum bode_err rc;

    if (ad_len > size)
        ad_len = size;
    if (size > BODE_SECRETBOX_MAX_PLAIN)
        size = BODE_SECRETBOX_MAX_PLAIN;
    rc = bode_secretbox_seal(ring(), data, size, data, ad_len, sealed,
                             sizeof(sealed));
    if (rc == BODE_ERR_NOMEM)
        return;
    if (rc != BODE_OK)
        __builtin_trap();
    len = strlen(sealed);
    if (len != bode_secretbox_sealed_len(size) ||
        !bode_secretbox_is_current(ring(), sealed, len))
        __builtin_trap();
    rc = bode_secretbox_open(ring(), sealed, len, data, ad_len, out,
                             sizeof(out), &n);
    if (rc != BODE_OK || n != size || (size && memcmp(out, data, size)))
        __builtin_trap();
    /* Change one body character (chosen by the input) to another. */
    at = BODE_SECRETBOX_PREFIX_LEN +
         (size > 1 ? data[1] : 0) % (len - BODE_SECRETBOX_PREFIX_LEN);
    sealed[at] = sealed[at] == 'A' ? 'B' : 'A';
    rc = bode_secretbox_open(ring(), sealed, len, data, ad_len, out,
                             sizeof(out), &n);
    if (rc != BODE_ERR_AUTH && rc != BODE_ERR_INVALID)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_open((const char *)data, size);
    check_round_trip(data, size);
    return 0;
}
