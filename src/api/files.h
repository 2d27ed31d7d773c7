/* Private to api/: the accept path's part of sending files by email.
 * Uploads in the personalisation are checked, sealed under fresh keys and
 * replaced by their download links before the template is rendered, so
 * the stored notification and the 201 carry links, never file bytes. */
#ifndef BODE_API_FILES_H
#define BODE_API_FILES_H

#include <jansson.h>
#include <stdbool.h>

#include "api_int.h"

#define BODE_FILES_MAX 20 /* uploads in one notification */

struct bode_files_doc {
    char did[BODE_UUID_SIZE];
    unsigned char key[32]; /* attachment mode only: sealed for the worker */
    unsigned char *sealed; /* owned */
    size_t sealed_len;
    long long ttl_s;
};

struct bode_files {
    json_t *pers; /* the personalisation with links, or NULL if no file */
    struct bode_files_doc docs[BODE_FILES_MAX];
    size_t n;
    bool stored; /* put in Redis: discard them if the accept fails */
    bool attach; /* attachment mode: the worker opens them */
    long long attach_ttl_s;
    char nid[BODE_UUID_SIZE]; /* attachment mode: the notification */
};

/* Checks every upload in pers and prepares the documents and links for a
 * notification of channel from svc to recipient (Notify's stored address
 * form). base is the public URL base. smoke: Notify's smoke-test
 * recipients get a link to nothing and nothing is kept. In attachment mode
 * (svc->file_attach) each upload's value becomes its file name instead. True
 * with f filled (f->pers NULL when there is no upload), or false with resp
 * holding Notify's error. Release f in every case. */
bool bode_files_prepare(const struct bode_service *svc,
                        enum bode_channel channel, json_t *pers,
                        const char *recipient, const char *base, bool smoke,
                        struct bode_files *f, struct bode_response *resp);

/* Stores the prepared documents of notification nid (and, in attachment
 * mode, their keys sealed with ctx->box for the worker). False with resp
 * filled on a Redis failure (and nothing left behind). */
bool bode_files_store(const struct bode_api_ctx *ctx,
                      const struct bode_service *svc, const char *nid,
                      struct bode_files *f, struct bode_response *resp);

/* Removes stored documents after the notification was refused. */
void bode_files_discard(const struct bode_api_ctx *ctx,
                        const struct bode_service *svc, struct bode_files *f);

void bode_files_release(struct bode_files *f);

#endif
