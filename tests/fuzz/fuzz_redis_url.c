/* Fuzz target: the Redis URL parser, which reads operator input. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bode/redis.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bode_redis_addr a;
    char url[1024];

    if (size >= sizeof(url))
        return 0;
    memcpy(url, data, size);
    url[size] = '\0';
    if (bode_redis_addr_parse(url, &a) == BODE_OK) {
        /* Accepted addresses are usable: terminated, port in range. */
        if (!memchr(a.host, '\0', sizeof(a.host)) ||
            !memchr(a.path, '\0', sizeof(a.path)) || a.port < 1 ||
            a.port > 65535 || (!a.host[0] && !a.path[0]))
            __builtin_trap();
    }
    return 0;
}
