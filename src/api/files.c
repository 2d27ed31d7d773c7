/* Files sent by email on the accept path: check, seal, link. Must never
 * store the per-document key or put file bytes in a notification. */
#include "files.h"

#include <stdio.h>
#include <string.h>

#include "bode/alloc.h"
#include "bode/base64.h"
#include "bode/buf.h"
#include "bode/docbox.h"
#include "bode/rand.h"
#include "bode/secretbox.h"
#include "upload.h"

#define KEY_TEXT_SIZE 44 /* 32 bytes as unpadded base64url, and NUL */

void bode_files_release(struct bode_files *f)
{
    size_t i;

    for (i = 0; i < f->n; i++)
        bode_free(f->docs[i].sealed);
    json_decref(f->pers);
    /* Clears the keys with the rest. */
    memset(f, 0, sizeof(*f));
}

static bool has_upload(json_t *pers)
{
    const char *key;
    json_t *v;

    json_object_foreach(pers, key, v)
    {
        (void)key;
        if (bode_upload_is_file(v))
            return true;
    }
    return false;
}

static void fail_upload(struct bode_response *resp,
                        const struct bode_upload_error *e)
{
    bode_api_fail_status(resp, e->status, e->type, e->message);
}

/* Seals one checked upload as document d and writes its link (or, with
 * attach, its file name) to url. */
static enum bode_err seal(const struct bode_service *svc,
                          const struct bode_upload *u, const char *recipient,
                          const char *base, bool attach,
                          struct bode_files_doc *d, char *url, size_t url_size)
{
    char key_text[KEY_TEXT_SIZE];
    char hash[BODE_UPLOAD_HASH_SIZE];
    char ad[2 * BODE_UUID_SIZE + 2];
    struct bode_buf plain;
    bool confirm = u->confirm && !attach;
    enum bode_err err;

    bode_buf_init(&plain, BODE_UPLOAD_MAX_BYTES + 4096);
    err = bode_rand_uuid(d->did);
    if (!err)
        err = bode_docbox_key_new(d->key);
    if (!err && confirm && !bode_upload_email_hash(d->did, recipient, hash))
        err = BODE_ERR_INVALID;
    if (!err)
        err = bode_upload_pack(u, confirm ? hash : NULL, &plain);
    if (err)
        goto out;
    d->sealed = bode_malloc(plain.len + BODE_DOCBOX_OVERHEAD);
    if (!d->sealed) {
        err = BODE_ERR_NOMEM;
        goto out;
    }
    snprintf(ad, sizeof(ad), "%s/%s", svc->id, d->did);
    err = bode_docbox_seal(d->key, ad, strlen(ad), plain.data, plain.len,
                           d->sealed);
    if (err)
        goto out;
    d->sealed_len = plain.len + BODE_DOCBOX_OVERHEAD;
    if (attach) {
        /* Kept while the notification is: retries need the file. */
        d->ttl_s =
            (long long)(svc->retention_days > 0 ? svc->retention_days : 7) *
            24 * 3600;
        if (u->filename[0])
            snprintf(url, url_size, "%s", u->filename);
        else
            snprintf(url, url_size, "attachment%s", u->extension);
        goto out;
    }
    d->ttl_s = (long long)u->weeks * 7 * 24 * 3600;
    err = bode_base64url_encode(d->key, sizeof(d->key), key_text,
                                sizeof(key_text));
    /* The link carries the only copy of the key. */
    memset(d->key, 0, sizeof(d->key));
    if (!err && snprintf(url, url_size, "%s/d/%s/%s?key=%s", base, svc->id,
                         d->did, key_text) >= (int)url_size)
        err = BODE_ERR_TOO_BIG;
out:
    memset(key_text, 0, sizeof(key_text));
    bode_buf_release(&plain);
    return err;
}

bool bode_files_prepare(const struct bode_service *svc,
                        enum bode_channel channel, json_t *pers,
                        const char *recipient, const char *base, bool smoke,
                        struct bode_files *f, struct bode_response *resp)
{
    struct bode_upload u;
    struct bode_upload_error e;
    char text[400];
    char url[900];
    const char *key;
    json_t *v;
    enum bode_err err;

    memset(f, 0, sizeof(*f));
    if (!pers || !has_upload(pers))
        return true;
    if (channel != BODE_CHANNEL_EMAIL) {
        bode_api_fail(resp, BODE_API_E_BAD_REQUEST,
                      "Can only send a file by email");
        return false;
    }
    /* Every value is checked before anything else is said: the schema
     * comes first in Notify. */
    json_object_foreach(pers, key, v)
    {
        (void)key;
        if (!bode_upload_is_file(v))
            continue;
        err = bode_upload_parse(v, &u, &e);
        bode_upload_release(&u);
        if (err == BODE_ERR_INVALID && !strcmp(e.type, "ValidationError")) {
            fail_upload(resp, &e);
            return false;
        }
        if (err == BODE_ERR_NOMEM) {
            bode_api_fail(resp, BODE_API_E_INTERNAL, NULL);
            return false;
        }
    }
    if (!svc->file_contact[0] && !svc->file_attach) {
        snprintf(text, sizeof(text),
                 "Send files by email has not been set up - add contact "
                 "details for your service with: bode service update %s "
                 "--file-contact CONTACT",
                 svc->id);
        bode_api_fail(resp, BODE_API_E_BAD_REQUEST, text);
        return false;
    }
    f->attach = svc->file_attach;
    f->pers = json_deep_copy(pers);
    if (!f->pers) {
        bode_api_fail(resp, BODE_API_E_INTERNAL, NULL);
        return false;
    }
    json_object_foreach(f->pers, key, v)
    {
        if (!bode_upload_is_file(v))
            continue;
        if (f->n == BODE_FILES_MAX) {
            snprintf(text, sizeof(text),
                     "A notification can have at most %d files",
                     BODE_FILES_MAX);
            bode_api_fail(resp, BODE_API_E_BAD_REQUEST, text);
            return false;
        }
        err = bode_upload_parse(v, &u, &e);
        if (!err && smoke)
            snprintf(url, sizeof(url), "%s/d/%s/test-document", base, svc->id);
        else if (!err)
            err = seal(svc, &u, recipient, base, f->attach, &f->docs[f->n++],
                       url, sizeof(url));
        bode_upload_release(&u);
        if (err == BODE_ERR_INVALID && e.type) {
            fail_upload(resp, &e);
            return false;
        }
        if (err) {
            bode_api_fail(resp, BODE_API_E_INTERNAL, NULL);
            return false;
        }
        /* Replaces the value under iteration: jansson allows it. */
        if (json_object_set_new(f->pers, key, json_string(url))) {
            bode_api_fail(resp, BODE_API_E_INTERNAL, NULL);
            return false;
        }
    }
    return true;
}

/* "DID SEALED-KEY" lines: the document keys sealed with the secret-key
 * ring, bound to service and document, for the worker. */
static enum bode_err key_list(const struct bode_api_ctx *ctx,
                              const struct bode_service *svc,
                              const struct bode_files *f, struct bode_buf *out)
{
    char sealed[256];
    char ad[2 * BODE_UUID_SIZE + 2];
    enum bode_err err = BODE_OK;
    size_t i;

    if (!ctx->box)
        return BODE_ERR_INVALID;
    for (i = 0; !err && i < f->n; i++) {
        snprintf(ad, sizeof(ad), "%s/%s", svc->id, f->docs[i].did);
        err = bode_secretbox_seal(ctx->box, f->docs[i].key,
                                  sizeof(f->docs[i].key), ad, strlen(ad),
                                  sealed, sizeof(sealed));
        if (!err)
            err = bode_buf_addf(out, "%s %s\n", f->docs[i].did, sealed);
    }
    return err;
}

bool bode_files_store(const struct bode_api_ctx *ctx,
                      const struct bode_service *svc, const char *nid,
                      struct bode_files *f, struct bode_response *resp)
{
    struct bode_redis *r = bode_api_redis(ctx);
    enum bode_err err = r ? BODE_OK : BODE_ERR_NOMEM;
    struct bode_buf list;
    size_t i;

    bode_buf_init(&list, 64 * 1024);
    snprintf(f->nid, sizeof(f->nid), "%s", nid);
    for (i = 0; !err && i < f->n; i++) {
        f->stored = true;
        err = bode_store_document_put(r, svc->id, f->docs[i].did,
                                      f->docs[i].sealed, f->docs[i].sealed_len,
                                      f->docs[i].ttl_s);
    }
    if (!err && f->attach && f->n > 0) {
        err = key_list(ctx, svc, f, &list);
        if (!err)
            err = bode_store_attachments_put(
                r, svc->id, nid, bode_buf_str(&list), f->docs[0].ttl_s);
    }
    bode_buf_release(&list);
    if (err) {
        bode_files_discard(ctx, svc, f);
        bode_api_fail_store(resp,
                            err == BODE_ERR_NOT_FOUND ? BODE_ERR_REDIS : err);
        return false;
    }
    return true;
}

void bode_files_discard(const struct bode_api_ctx *ctx,
                        const struct bode_service *svc, struct bode_files *f)
{
    struct bode_redis *r = bode_api_redis(ctx);
    size_t i;

    if (!f->stored || !r)
        return;
    /* Best effort: what is left expires with its retention period. */
    for (i = 0; i < f->n; i++)
        (void)bode_store_document_delete(r, svc->id, f->docs[i].did);
    if (f->attach && f->nid[0])
        (void)bode_store_attachments_delete(r, svc->id, f->nid);
    f->stored = false;
}
