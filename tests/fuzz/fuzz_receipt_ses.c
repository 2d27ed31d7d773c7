/* Fuzz target: SES receipts (SES events inside SNS messages) must give a
 * verdict for any body without crashing, with both the shared-token check
 * and the SNS signature check configured. Even inputs are the raw webhook
 * body; odd inputs are wrapped as the Message of an SNS notification, so
 * the event parser is reached often. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bode/alloc.h"
#include "bode/log.h"
#include "bode/provider.h"
#include "receipt_check.h"

#define TOKEN "fuzz-token-0123456789"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* tests/fixtures/providers/sns/test-cert.pem: no fuzz input carries a
 * signature by its key, but the signature path (base64, the string to
 * sign, RSA) still runs on every SNS-shaped input. */
static const char cert_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIDUTCCAjmgAwIBAgIUZQ9CRZDPfnqm0WF/35gywyolKcwwDQYJKoZIhvcNAQEL\n"
    "BQAwNzE1MDMGA1UEAwwsc25zLmV1LXdlc3QtMi5hbWF6b25hd3MuY29tIChCb2Rl\n"
    "IHRlc3Qgb25seSkwIBcNMjYxMTI4MjExMjQ0WhgPMjEyNjExMDQyMTEyNDRaMDcx\n"
    "NTAzBgNVBAMMLHNucy5ldS13ZXN0LTIuYW1hem9uYXdzLmNvbSAoQm9kZSB0ZXN0\n"
    "IG9ubHkpMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAurPNRjK7Itym\n"
    "zpgE7diyVmyH0WoYATvL5qgSjEmdrLRp5NB821M6Xv3F4HAkUpQTHjQskwZYcHEN\n"
    "3Oc0rSSbhH2XmwaVIrQayqR6qsNHvQMeYk7hFMObxQPH0Zzcp+WwUTk5Nn7jd7mr\n"
    "rqC3W6z9reog8e3J4ZFclxGigPRyib46HilhocqRbGVL1+GjhNnZ2DdvDm2C2nua\n"
    "ES3Xk30I/Fj2THc8B6MTe+0GmLjtt8RbhjYIGBH5PLp2KrzO+oeXvTTe+5bAfih+\n"
    "6tFjtYWIMQTiIDKm/QVrJguiHRgH/Y+KBGyQPH0jeC7uCD318yQjX1dxRRWis+Bx\n"
    "/aTdM9GeowIDAQABo1MwUTAdBgNVHQ4EFgQU4Bl3M6Tg/fgzb8QkpsFX2vbNbtcw\n"
    "HwYDVR0jBBgwFoAU4Bl3M6Tg/fgzb8QkpsFX2vbNbtcwDwYDVR0TAQH/BAUwAwEB\n"
    "/zANBgkqhkiG9w0BAQsFAAOCAQEAnQoB7B/xkihZiOVfY+bavydfdkjRUg30I2yE\n"
    "119Xu2EZuHliRB2R+VN2b8gzswh9LxT4zojbUr7pMSX/ni2ReYBTBm9CmXWka8Sw\n"
    "rkC1dJyChCZSqUjmrYfBUlTVd4dMCXec08fB++v0flKid+ajxDvrtdtGYycKifDf\n"
    "xNgrTFD9kQLiQ1r9iPphfatGmWGk7/wYAbrslJ9xCzfE8yCX/TWGrvm436sv995d\n"
    "SOa2wth1F5WlexC4JdCdFxQbRLVnovLc5XgbjW9r2BbMnSVMtsrfnKJP2sBjfWKu\n"
    "sVXBx5o21e39SS0xNnyAa48+n81LxHcsu2Ho0ErZfYE8Qgxd8w==\n"
    "-----END CERTIFICATE-----\n";

struct req {
    const char *auth;
};

static const char *header(void *ctx, const char *name)
{
    struct req *r = ctx;

    return strcmp(name, "Authorization") == 0 ? r->auth : NULL;
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

static struct bode_provider *make(const char **kv)
{
    const struct bode_provider_ops *ops = bode_provider_find("ses");
    struct bode_provider *p = NULL;
    char why[256];

    if (ops->create(setting, (void *)kv, &p, why, sizeof(why)) != BODE_OK) {
        fprintf(stderr, "fuzz_receipt_ses: %s\n", why);
        abort();
    }
    return p;
}

static void run(struct bode_provider *p, const char *url, const char *auth,
                const char *body, size_t len)
{
    struct bode_receipt out[4];
    struct req ctx = {auth};
    struct bode_receipt_request rq = {.url = url,
                                      .body = body,
                                      .body_len = len,
                                      .header = header,
                                      .ctx = &ctx};
    size_t n = 99;
    enum bode_err rc = bode_provider_ops(p)->receipt(p, &rq, out, 4, &n);

    receipt_check(rc, out, 4, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct bode_provider *token_p;
    static struct bode_provider *cert_p;
    static char cert_path[64];
    static char cert_setting[96];
    json_t *env;
    char *text;

    if (!token_p) {
        const char *tkv[] = {"AWS_REGION=eu-west-2", "AWS_ACCESS_KEY_ID=k",
                             "AWS_SECRET_ACCESS_KEY=s",
                             "BODE_SES_RECEIPT_TOKEN=" TOKEN, NULL};
        const char *ckv[] = {"AWS_REGION=eu-west-2", "AWS_ACCESS_KEY_ID=k",
                             "AWS_SECRET_ACCESS_KEY=s", cert_setting, NULL};
        FILE *f;
        int fd;

        bode_alloc_install_json();
        /* Subscription confirmations are logged; keep the run quiet. */
        bode_log_set_level(BODE_LOG_ERROR);
        token_p = make(tkv);
        snprintf(cert_path, sizeof(cert_path), "/tmp/bode-fuzz-cert-XXXXXX");
        fd = mkstemp(cert_path);
        f = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (!f)
            abort();
        fputs(cert_pem, f);
        fclose(f);
        snprintf(cert_setting, sizeof(cert_setting), "BODE_SNS_CERT_FILE=%s",
                 cert_path);
        cert_p = make(ckv);
        unlink(cert_path);
    }
    run(token_p, "https://b/r/ses?token=" TOKEN, NULL, (const char *)data,
        size);
    run(token_p, "https://b/r/ses",
        "Basic c25zOmZ1enotdG9rZW4tMDEyMzQ1Njc4OQ==", (const char *)data, size);
    run(cert_p, "https://b/r/ses", NULL, (const char *)data, size);
    if (size == 0 || !(data[0] & 1))
        return 0;
    env = json_pack("{s:s, s:s%, s:s}", "Type", "Notification", "Message",
                    (const char *)data + 1, size - 1, "TopicArn", "arn:x");
    if (!env)
        return 0; /* not UTF-8 */
    text = json_dumps(env, JSON_COMPACT);
    json_decref(env);
    if (!text)
        return 0;
    run(token_p, "https://b/r/ses?token=" TOKEN, NULL, text, strlen(text));
    bode_free(text);
    return 0;
}
