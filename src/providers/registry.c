/* The table of built-in providers, looked up by name. Must not create
 * instances or read settings: that is each provider's create. */
#include <string.h>

#include "provider_int.h"

static const struct bode_provider_ops *const providers[] = {
    &prov_sandbox_ops, &prov_smtp_ops,   &prov_ses_ops,
    &prov_sns_ops,     &prov_twilio_ops, &prov_http_ops,
};

const struct bode_provider_ops *bode_provider_find(const char *name)
{
    size_t i;

    if (!name)
        return NULL;
    for (i = 0; i < sizeof(providers) / sizeof(providers[0]); i++)
        if (strcmp(providers[i]->name, name) == 0)
            return providers[i];
    return NULL;
}

const struct bode_provider_ops *bode_provider_ops(const struct bode_provider *p)
{
    return p ? p->ops : NULL;
}
