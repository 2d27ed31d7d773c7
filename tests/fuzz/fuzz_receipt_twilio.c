/* Fuzz target: Twilio status callbacks must give a verdict for any form
 * body without crashing. Odd inputs carry the correct X-Twilio-Signature
 * (computed here from the decoded, sorted parameters), so the status
 * parser is reached; even inputs carry a wrong one and must be refused. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/providers/provider_int.h"
#include "bode/alloc.h"
#include "bode/provider.h"
#include "bode/sig.h"
#include "receipt_check.h"

#define URL "https://bode.example/notifications/receipts/twilio"
#define TOKEN "fuzz-auth-token"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *given;

static const char *header(void *ctx, const char *name)
{
    (void)ctx;
    return strcmp(name, "X-Twilio-Signature") == 0 ? given : NULL;
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

static int cmp(const void *a, const void *b)
{
    const struct prov_form_pair *x = a;
    const struct prov_form_pair *y = b;
    int c = strcmp(x->name, y->name);

    return c ? c : strcmp(x->value, y->value);
}

/* The signature Twilio would send for body, or "" if it cannot parse. */
static void sign(const char *body, size_t len, char *out, size_t size)
{
    unsigned char mac[BODE_HMAC_MAX];
    struct prov_form f;
    struct bode_buf d;
    struct bode_buf b;
    size_t n = 0;
    size_t i;

    out[0] = '\0';
    if (prov_form_parse(body, len, &f) != BODE_OK)
        return;
    qsort(f.pairs, f.n, sizeof(f.pairs[0]), cmp);
    bode_buf_init(&d, 1 << 20);
    bode_buf_init(&b, 64);
    bode_buf_adds(&d, URL);
    for (i = 0; i < f.n; i++) {
        bode_buf_adds(&d, f.pairs[i].name);
        bode_buf_adds(&d, f.pairs[i].value);
    }
    if (bode_hmac(BODE_DIGEST_SHA1, TOKEN, strlen(TOKEN), bode_buf_str(&d),
                  d.len, mac, &n) == BODE_OK &&
        prov_base64_add(&b, mac, n, false) == BODE_OK)
        snprintf(out, size, "%s", bode_buf_str(&b));
    bode_buf_release(&d);
    bode_buf_release(&b);
    prov_form_release(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct bode_provider *p;
    struct bode_receipt out[2];
    struct bode_receipt_request rq;
    char sig[64];
    size_t n = 99;
    enum bode_err rc;

    if (!p) {
        const char *kv[] = {"BODE_TWILIO_ACCOUNT_SID=AC0123",
                            "BODE_TWILIO_AUTH_TOKEN=" TOKEN, NULL};
        char why[256];

        if (bode_provider_find("twilio")->create(setting, (void *)kv, &p, why,
                                                 sizeof(why)) != BODE_OK)
            abort();
    }
    if (size == 0)
        return 0;
    if (data[0] & 1)
        sign((const char *)data + 1, size - 1, sig, sizeof(sig));
    else
        snprintf(sig, sizeof(sig), "AAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    given = sig;
    rq.url = URL;
    rq.body = (const char *)data + 1;
    rq.body_len = size - 1;
    rq.header = header;
    rq.ctx = NULL;
    rc = bode_provider_ops(p)->receipt(p, &rq, out, 2, &n);
    receipt_check(rc, out, 2, n);
    if (!(data[0] & 1) && rc == BODE_OK)
        __builtin_trap(); /* a wrong signature was accepted */
    if (rc == BODE_OK && n == 1 && out[0].reference[0] == '\0')
        __builtin_trap();
    return 0;
}
