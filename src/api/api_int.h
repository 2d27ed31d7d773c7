/* Private to api/: the handler signature and helpers shared by the
 * resource files. */
#ifndef BODE_API_INT_H
#define BODE_API_INT_H

#include <jansson.h>

#include "bode/api.h"

#define BODE_API_MAX_PARAMS 4

/* Path segments captured by `{name}` in a route pattern, in order. */
struct bode_api_params {
    const char *value[BODE_API_MAX_PARAMS];
    size_t len[BODE_API_MAX_PARAMS];
    size_t n;
};

typedef void (*bode_api_handler)(const struct bode_api_ctx *ctx,
                                 const struct bode_request *req,
                                 const struct bode_api_params *params,
                                 struct bode_response *resp);

/* Serialises body (stolen: decref'd here in every case) as the response
 * with the given status. On failure to serialise, answers 500. */
void bode_api_reply_json(struct bode_response *resp, int status, json_t *body);

/* Handlers, one group per resource file. */
void bode_api_status(const struct bode_api_ctx *ctx,
                     const struct bode_request *req,
                     const struct bode_api_params *params,
                     struct bode_response *resp);
void bode_api_status_live(const struct bode_api_ctx *ctx,
                          const struct bode_request *req,
                          const struct bode_api_params *params,
                          struct bode_response *resp);
void bode_api_status_ready(const struct bode_api_ctx *ctx,
                           const struct bode_request *req,
                           const struct bode_api_params *params,
                           struct bode_response *resp);

#endif
