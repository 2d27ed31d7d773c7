/* AWS plumbing shared by the SES and SNS providers: region, credentials,
 * endpoint and a SigV4-signed POST through libcurl's CURLOPT_AWS_SIGV4.
 * Must never put a credential in a log line or an error text. */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "bode/alloc.h"
#include "provider_int.h"

static bool region_is_ok(const char *r)
{
    size_t n = strlen(r);
    size_t i;

    if (n == 0 || n >= 40)
        return false;
    for (i = 0; i < n; i++)
        if (!((r[i] >= 'a' && r[i] <= 'z') || (r[i] >= '0' && r[i] <= '9') ||
              r[i] == '-'))
            return false;
    return true;
}

static enum bode_err dup_first(bode_setting_fn get, void *ctx,
                               const char *const *names, size_t n, char **out)
{
    const char *v = prov_setting(get, ctx, names, n);

    *out = NULL;
    if (!v)
        return BODE_OK;
    *out = bode_strdup(v);
    return *out ? BODE_OK : BODE_ERR_NOMEM;
}

enum bode_err prov_aws_load(struct prov_aws *aws, bode_setting_fn get,
                            void *ctx, const char *service,
                            const char *host_prefix, const char *region_setting,
                            const char *endpoint_setting, char *why,
                            size_t why_size)
{
    const char *const region_names[] = {region_setting, "BODE_AWS_REGION",
                                        "AWS_REGION", "AWS_DEFAULT_REGION"};
    static const char *const key_names[] = {"BODE_AWS_ACCESS_KEY_ID",
                                            "AWS_ACCESS_KEY_ID"};
    static const char *const secret_names[] = {"BODE_AWS_SECRET_ACCESS_KEY",
                                               "AWS_SECRET_ACCESS_KEY"};
    static const char *const token_names[] = {"BODE_AWS_SESSION_TOKEN",
                                              "AWS_SESSION_TOKEN"};
    const char *region = prov_setting(get, ctx, region_names, 4);
    const char *endpoint = prov_setting(get, ctx, &endpoint_setting, 1);
    struct bode_buf ep;
    enum bode_err err;
    size_t n;

    memset(aws, 0, sizeof(*aws));
    if (!region || !region_is_ok(region))
        return prov_why(why, why_size,
                        "%s (or BODE_AWS_REGION): missing or not a region",
                        region_setting);
    snprintf(aws->region, sizeof(aws->region), "%s", region);
    snprintf(aws->sigv4, sizeof(aws->sigv4), "aws:amz:%s:%s", region, service);
    err = dup_first(get, ctx, key_names, 2, &aws->key_id);
    if (!err)
        err = dup_first(get, ctx, secret_names, 2, &aws->secret);
    if (!err)
        err = dup_first(get, ctx, token_names, 2, &aws->token);
    if (err)
        goto out;
    if (!aws->key_id || !aws->secret) {
        err = prov_why(why, why_size,
                       "BODE_AWS_ACCESS_KEY_ID and BODE_AWS_SECRET_ACCESS_KEY "
                       "(or AWS_*) are needed");
        goto out;
    }
    if (aws->token && !prov_header_text_is_safe(aws->token)) {
        err = prov_why(why, why_size, "BODE_AWS_SESSION_TOKEN: not text");
        goto out;
    }
    bode_buf_init(&ep, 1024);
    if (endpoint)
        err = bode_buf_adds(&ep, endpoint);
    else
        err = bode_buf_addf(&ep, "https://%s.%s.amazonaws.com", host_prefix,
                            region);
    if (!err) {
        n = ep.len;
        while (n > 0 && ep.data[n - 1] == '/')
            n--;
        ep.data[n] = '\0';
        ep.len = n;
        if (!prov_url_is_plain(ep.data) || strchr(ep.data, '?'))
            err = prov_why(why, why_size, "%s: not an http(s) URL",
                           endpoint_setting);
    }
    if (!err) {
        aws->endpoint = bode_buf_take(&ep, NULL);
        if (!aws->endpoint)
            err = BODE_ERR_NOMEM;
    }
    bode_buf_release(&ep);
out:
    if (err)
        prov_aws_release(aws);
    return err;
}

static void free_secret(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        bode_free(s);
    }
}

void prov_aws_release(struct prov_aws *aws)
{
    bode_free(aws->endpoint);
    bode_free(aws->key_id);
    free_secret(aws->secret);
    free_secret(aws->token);
    memset(aws, 0, sizeof(*aws));
}

enum bode_err prov_aws_post(const struct prov_aws *aws, struct bode_delivery *d,
                            struct prov_attempt *a, const char *path,
                            const char *content_type, long timeout_ms)
{
    struct bode_buf url;
    CURLcode rc;
    enum bode_err err;

    bode_buf_init(&url, 2048);
    err = bode_buf_addf(&url, "%s%s", aws->endpoint, path);
    if (!err)
        err = prov_header_add(&a->headers, "Content-Type", content_type);
    /* curl signs every header it is given, the token included. */
    if (!err && aws->token)
        err = prov_header_add(&a->headers, "X-Amz-Security-Token", aws->token);
    if (!err)
        err = prov_easy_post(d, a, bode_buf_str(&url), timeout_ms, false);
    if (err)
        goto out;
    rc = curl_easy_setopt(d->easy, CURLOPT_AWS_SIGV4, aws->sigv4);
    if (!rc)
        rc = curl_easy_setopt(d->easy, CURLOPT_USERNAME, aws->key_id);
    if (!rc)
        rc = curl_easy_setopt(d->easy, CURLOPT_PASSWORD, aws->secret);
    if (rc)
        err = BODE_ERR_NOMEM;
out:
    bode_buf_release(&url);
    return err;
}
