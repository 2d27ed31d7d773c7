/* Private to api/: the handler signature and helpers shared by the
 * resource files. */
#ifndef BODE_API_INT_H
#define BODE_API_INT_H

#include <jansson.h>

#include "bode/api.h"
#include "bode/model.h"
#include "bode/store.h"

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

/* Answers text (JSON already written; stolen, freed with bode_free) with
 * the given status; NULL answers 500. */
void bode_api_reply_raw(struct bode_response *resp, int status, char *text);

/* Who is calling: the authenticated service and the key it used. */
struct bode_caller {
    struct bode_service service;
    enum bode_key_type key_type;
    char key_id[BODE_UUID_SIZE];
};

/* Checks the request's bearer token as Notify does. True with caller
 * filled, or false with resp holding Notify's AuthError (or a 5xx when
 * Redis fails). */
bool bode_api_authenticate(const struct bode_api_ctx *ctx,
                           const struct bode_request *req,
                           struct bode_caller *caller,
                           struct bode_response *resp);

/* This thread's Redis handle for ctx; NULL only without memory. */
struct bode_redis *bode_api_redis(const struct bode_api_ctx *ctx);

/* Writes the base for `uri` fields: BODE_PUBLIC_URL, else http://<Host>.
 * Never ends in "/". */
void bode_api_base_url(const struct bode_api_ctx *ctx,
                       const struct bode_request *req, char *out, size_t size);

/* Answers a store error: 503 for Redis, 404 NoResultFound for not found,
 * 500 otherwise. */
void bode_api_fail_store(struct bode_response *resp, enum bode_err err);

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

/* Metrics (metrics.c): GET /metrics, and the counters handlers bump.
 * Thread safe; no-ops when ctx->metrics is NULL. */
void bode_api_metrics(const struct bode_api_ctx *ctx,
                      const struct bode_request *req,
                      const struct bode_api_params *params,
                      struct bode_response *resp);
void bode_api_metrics_accepted(const struct bode_api_ctx *ctx,
                               enum bode_channel channel,
                               enum bode_key_type key_type);
/* limit: "rate" (per-minute rate limit) or "daily". */
void bode_api_metrics_rejected(const struct bode_api_ctx *ctx,
                               const char *limit);

void bode_api_notification_get(const struct bode_api_ctx *ctx,
                               const struct bode_request *req,
                               const struct bode_api_params *params,
                               struct bode_response *resp);
void bode_api_notification_list(const struct bode_api_ctx *ctx,
                                const struct bode_request *req,
                                const struct bode_api_params *params,
                                struct bode_response *resp);
void bode_api_notification_pdf(const struct bode_api_ctx *ctx,
                               const struct bode_request *req,
                               const struct bode_api_params *params,
                               struct bode_response *resp);
void bode_api_receipt(const struct bode_api_ctx *ctx,
                      const struct bode_request *req,
                      const struct bode_api_params *params,
                      struct bode_response *resp);
void bode_api_inbound(const struct bode_api_ctx *ctx,
                      const struct bode_request *req,
                      const struct bode_api_params *params,
                      struct bode_response *resp);
void bode_api_received_texts(const struct bode_api_ctx *ctx,
                             const struct bode_request *req,
                             const struct bode_api_params *params,
                             struct bode_response *resp);

/* Scheduled sends and bulk jobs (schedule.c, bulk.c). */
void bode_api_notification_cancel(const struct bode_api_ctx *ctx,
                                  const struct bode_request *req,
                                  const struct bode_api_params *params,
                                  struct bode_response *resp);
void bode_api_bulk_post(const struct bode_api_ctx *ctx,
                        const struct bode_request *req,
                        const struct bode_api_params *params,
                        struct bode_response *resp);
void bode_api_bulk_get(const struct bode_api_ctx *ctx,
                       const struct bode_request *req,
                       const struct bode_api_params *params,
                       struct bode_response *resp);
void bode_api_bulk_cancel(const struct bode_api_ctx *ctx,
                          const struct bode_request *req,
                          const struct bode_api_params *params,
                          struct bode_response *resp);

void bode_api_post_email(const struct bode_api_ctx *ctx,
                         const struct bode_request *req,
                         const struct bode_api_params *params,
                         struct bode_response *resp);
void bode_api_post_sms(const struct bode_api_ctx *ctx,
                       const struct bode_request *req,
                       const struct bode_api_params *params,
                       struct bode_response *resp);
void bode_api_post_letter(const struct bode_api_ctx *ctx,
                          const struct bode_request *req,
                          const struct bode_api_params *params,
                          struct bode_response *resp);
void bode_api_template_get(const struct bode_api_ctx *ctx,
                           const struct bode_request *req,
                           const struct bode_api_params *params,
                           struct bode_response *resp);
void bode_api_template_list(const struct bode_api_ctx *ctx,
                            const struct bode_request *req,
                            const struct bode_api_params *params,
                            struct bode_response *resp);
void bode_api_template_preview(const struct bode_api_ctx *ctx,
                               const struct bode_request *req,
                               const struct bode_api_params *params,
                               struct bode_response *resp);

/* Files sent by email (download.c): the page behind a link, and the file
 * (GET, or POST with the recipient's address when confirmation was
 * asked for). Bode extensions, no API key: the link's key is the secret. */
void bode_api_download_page(const struct bode_api_ctx *ctx,
                            const struct bode_request *req,
                            const struct bode_api_params *params,
                            struct bode_response *resp);
void bode_api_download_file(const struct bode_api_ctx *ctx,
                            const struct bode_request *req,
                            const struct bode_api_params *params,
                            struct bode_response *resp);

#endif
