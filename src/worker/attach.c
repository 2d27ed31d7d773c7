/* Attachment mode: opens the files of one notification for its delivery.
 * Must not keep a document key past the call or hand a provider bytes
 * that did not authenticate. */
#include "attach.h"

#include <stdio.h>
#include <string.h>

#include "bode/alloc.h"
#include "bode/docbox.h"
#include "bode/uuid.h"

void bode_attach_release(struct bode_attach_set *set)
{
    size_t i;

    for (i = 0; i < set->n; i++) {
        if (set->plain[i])
            memset(set->plain[i], 0, set->plain_len[i]);
        bode_free(set->plain[i]);
    }
    memset(set, 0, sizeof(*set));
}

/* Opens document did with its sealed key into slot set->n. */
static enum bode_err open_one(struct bode_redis *r,
                              const struct bode_secretbox *box, const char *sid,
                              const char *did, const char *sealed_key,
                              struct bode_attach_set *set)
{
    /* One byte more: the secretbox wants room for a terminator. */
    unsigned char key[BODE_DOCBOX_KEY_LEN + 1];
    char ad[2 * BODE_UUID_SIZE + 2];
    struct bode_attachment *a = &set->items[set->n];
    struct bode_doc doc;
    char *blob = NULL;
    size_t blob_len = 0;
    size_t key_len = 0;
    size_t i = set->n;
    enum bode_err err;

    snprintf(ad, sizeof(ad), "%s/%s", sid, did);
    err = bode_secretbox_open(box, sealed_key, strlen(sealed_key), ad,
                              strlen(ad), key, sizeof(key), &key_len);
    if (err || key_len != BODE_DOCBOX_KEY_LEN) {
        err = err == BODE_ERR_NOMEM ? err : BODE_ERR_INVALID;
        goto out;
    }
    err = bode_store_document_get(r, sid, did, &blob, &blob_len);
    if (err)
        goto out;
    if (blob_len < BODE_DOCBOX_OVERHEAD) {
        err = BODE_ERR_INVALID;
        goto out;
    }
    set->plain[i] = bode_malloc(blob_len - BODE_DOCBOX_OVERHEAD + 1);
    if (!set->plain[i]) {
        err = BODE_ERR_NOMEM;
        goto out;
    }
    set->n++;
    err = bode_docbox_open(key, ad, strlen(ad), (unsigned char *)blob, blob_len,
                           set->plain[i], &set->plain_len[i]);
    if (!err)
        err = bode_docpack_read(set->plain[i], set->plain_len[i], &doc);
    if (err) {
        err = err == BODE_ERR_NOMEM ? err : BODE_ERR_INVALID;
        goto out;
    }
    snprintf(set->names[i], sizeof(set->names[i]), "%s",
             doc.filename[0] ? doc.filename : "attachment");
    if (!doc.filename[0])
        snprintf(set->names[i], sizeof(set->names[i]), "attachment%s",
                 doc.extension);
    a->filename = set->names[i];
    a->mimetype = doc.mimetype;
    a->data = doc.data;
    a->len = doc.len;
out:
    memset(key, 0, sizeof(key));
    bode_free(blob);
    return err;
}

enum bode_err bode_attach_load(struct bode_redis *r,
                               const struct bode_secretbox *box,
                               const char *sid, const char *nid,
                               struct bode_attach_set *set)
{
    char *list = NULL;
    char *line;
    char *next;
    enum bode_err err;

    memset(set, 0, sizeof(*set));
    err = bode_store_attachments_get(r, sid, nid, &list);
    if (err == BODE_ERR_NOT_FOUND)
        return BODE_OK;
    if (err)
        return err;
    if (!box) {
        err = BODE_ERR_INVALID;
        goto out;
    }
    for (line = list; !err && *line; line = next) {
        char *space = strchr(line, ' ');

        next = strchr(line, '\n');
        if (!next || !space || space > next ||
            !bode_uuid_is_valid(line, (size_t)(space - line)) ||
            set->n == BODE_ATTACH_MAX) {
            err = BODE_ERR_INVALID;
            break;
        }
        *space = '\0';
        *next++ = '\0';
        err = open_one(r, box, sid, line, space + 1, set);
    }
out:
    bode_free(list);
    return err;
}
