/* Private to api/: Notify's JSON shapes. */
#ifndef BODE_API_SERIALIZE_H
#define BODE_API_SERIALIZE_H

#include <jansson.h>

#include "bode/store.h"

/* The notification object of GET /v2/notifications/{id} (new reference,
 * NULL without memory). base_url prefixes the template uri. */
json_t *bode_api_notification_json(const struct bode_notification *n,
                                   const char *base_url);

#endif
