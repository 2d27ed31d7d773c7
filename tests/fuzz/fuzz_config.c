/* Fuzz target: the config file parser must accept or reject any bytes
 * without crashing, and always leave a valid configuration. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bode/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bode_config cfg;
    struct bode_config_error e;

    bode_config_defaults(&cfg);
    if (bode_config_parse(&cfg, (const char *)data, size, "fuzz", &e)) {
        /* Errors are one bounded line. */
        if (!memchr(e.text, '\0', sizeof(e.text)))
            __builtin_trap();
    }
    if (cfg.port < 1 || cfg.port > 65535 || cfg.threads < 1 ||
        !memchr(cfg.redis_url, '\0', sizeof(cfg.redis_url)))
        __builtin_trap();
    return 0;
}
