/* Fuzz target: the generic HTTP provider's receipts ({"reference"/"id",
 * "status"} objects or arrays of them) must give a verdict for any body
 * without crashing, and only with the right shared secret. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bode/alloc.h"
#include "bode/provider.h"
#include "receipt_check.h"

#define SECRET "fuzz-secret-0123456789"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *given;

static const char *header(void *ctx, const char *name)
{
    (void)ctx;
    return strcmp(name, "X-Bode-Receipt-Secret") == 0 ? given : NULL;
}

static const char *setting(void *ctx, const char *name)
{
    const char *const *kv = ctx;
    size_t n = strlen(name);

    for (; *kv; kv++)
        if (strncmp(*kv, name, n) == 0 && (*kv)[n] == '=')
            return *kv + n + 1;
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct bode_provider *p;
    struct bode_receipt out[3];
    struct bode_receipt_request rq = {.url = "https://b/r/http",
                                      .body = (const char *)data,
                                      .body_len = size,
                                      .header = header,
                                      .ctx = NULL};
    size_t n = 99;
    enum bode_err rc;

    if (!p) {
        const char *kv[] = {"BODE_HTTP_URL=http://127.0.0.1:1",
                            "BODE_HTTP_RECEIPT_SECRET=" SECRET, NULL};
        char why[256];

        bode_alloc_install_json();
        if (bode_provider_find("http")->create(setting, (void *)kv, &p, why,
                                               sizeof(why)) != BODE_OK)
            abort();
    }
    given = SECRET;
    rc = bode_provider_ops(p)->receipt(p, &rq, out, 3, &n);
    receipt_check(rc, out, 3, n);
    given = "fuzz-secret-0123456788";
    if (bode_provider_ops(p)->receipt(p, &rq, out, 3, &n) != BODE_ERR_AUTH)
        __builtin_trap();
    return 0;
}
