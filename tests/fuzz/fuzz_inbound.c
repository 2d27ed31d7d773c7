/* Fuzz target: the inbound-SMS webhook parsers (Twilio's form with
 * X-Twilio-Signature, the http provider's JSON with a shared secret) must
 * give a verdict for any body without crashing, refuse a wrong signature
 * or secret, and on success hand over bounded, NUL-terminated fields that
 * the number normaliser then takes. data[0] bit 0 picks the provider, bit
 * 1 the right credentials; the rest is the body. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/providers/provider_int.h"
#include "bode/alloc.h"
#include "bode/inbound.h"
#include "bode/provider.h"
#include "bode/sig.h"

#define URL "https://bode.example/notifications/inbound/twilio"
#define TOKEN "fuzz-auth-token"
#define SECRET "fuzz-secret-0123456789"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *given;

static const char *header(void *ctx, const char *name)
{
    (void)ctx;
    if (strcmp(name, "X-Twilio-Signature") == 0 ||
        strcmp(name, "X-Bode-Receipt-Secret") == 0)
        return given;
    return NULL;
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

static struct bode_provider *make(const char *name, const char *const *kv)
{
    struct bode_provider *p = NULL;
    char why[256];

    if (bode_provider_find(name)->create(setting, (void *)(uintptr_t)kv, &p,
                                         why, sizeof(why)) != BODE_OK)
        abort();
    return p;
}

static void check(enum bode_err rc, const struct bode_inbound *in)
{
    char number[BODE_INBOUND_NUMBER_SIZE];

    if (rc != BODE_OK && rc != BODE_ERR_INVALID && rc != BODE_ERR_AUTH &&
        rc != BODE_ERR_NOMEM && rc != BODE_ERR_TOO_BIG)
        __builtin_trap();
    if (rc != BODE_OK)
        return;
    if (!memchr(in->from, '\0', sizeof(in->from)) ||
        !memchr(in->to, '\0', sizeof(in->to)) ||
        !memchr(in->reference, '\0', sizeof(in->reference)) ||
        in->content_len >= sizeof(in->content) ||
        in->content[in->content_len] != '\0' || !in->from[0] || !in->to[0])
        __builtin_trap();
    if (bode_inbound_number_normalise(in->from, number) &&
        (strlen(number) < 3 || strlen(number) > 15 ||
         strspn(number, "0123456789") != strlen(number)))
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct bode_provider *twilio;
    static struct bode_provider *http;
    static struct bode_inbound in;
    struct bode_provider *p;
    struct bode_receipt_request rq;
    char sig[64];
    bool right;
    enum bode_err rc;

    if (!twilio) {
        const char *tk[] = {"BODE_TWILIO_ACCOUNT_SID=AC0123",
                            "BODE_TWILIO_AUTH_TOKEN=" TOKEN,
                            "BODE_TWILIO_FROM=+447700900000", NULL};
        const char *hk[] = {"BODE_HTTP_URL=http://127.0.0.1:1",
                            "BODE_HTTP_RECEIPT_SECRET=" SECRET, NULL};

        bode_alloc_install_json();
        twilio = make("twilio", tk);
        http = make("http", hk);
    }
    if (size == 0)
        return 0;
    p = data[0] & 1 ? http : twilio;
    right = (data[0] & 2) != 0;
    if (p == twilio && right)
        sign((const char *)data + 1, size - 1, sig, sizeof(sig));
    else
        snprintf(sig, sizeof(sig), "%s",
                 right ? SECRET : "AAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    given = sig;
    rq.url = URL;
    rq.body = (const char *)data + 1;
    rq.body_len = size - 1;
    rq.header = header;
    rq.ctx = NULL;
    rc = bode_provider_ops(p)->inbound(p, &rq, &in);
    check(rc, &in);
    if (!right && rc == BODE_OK)
        __builtin_trap(); /* wrong credentials were accepted */
    return 0;
}
