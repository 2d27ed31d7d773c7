/* Private to worker/: the files a notification of a service in attachment
 * mode carries, read back from the store and opened for the providers. */
#ifndef BODE_WORKER_ATTACH_H
#define BODE_WORKER_ATTACH_H

#include <stddef.h>

#include "bode/docpack.h"
#include "bode/provider.h"
#include "bode/secretbox.h"
#include "bode/store.h"

#define BODE_ATTACH_MAX 20

struct bode_attach_set {
    struct bode_attachment items[BODE_ATTACH_MAX];
    unsigned char *plain[BODE_ATTACH_MAX]; /* owned: the opened documents */
    size_t plain_len[BODE_ATTACH_MAX];
    char names[BODE_ATTACH_MAX][BODE_DOC_NAME_SIZE];
    size_t n;
};

/* Loads the attachments of notification nid of service sid into set
 * (release it in every case). None recorded is no attachment and
 * BODE_OK. BODE_ERR_NOT_FOUND when a listed file is gone (expired),
 * BODE_ERR_INVALID when one does not open with box, BODE_ERR_REDIS,
 * BODE_ERR_NOMEM. */
enum bode_err bode_attach_load(struct bode_redis *r,
                               const struct bode_secretbox *box,
                               const char *sid, const char *nid,
                               struct bode_attach_set *set);

void bode_attach_release(struct bode_attach_set *set);

#endif
