/* Private to api/: files sent by email. A personalisation value that is an
 * object with a "file" member is an upload (Notify's prepareUpload shape);
 * this parses and checks it with Notify's texts, and packs what a download
 * needs into one blob for sealing. Pure: no I/O. */
#ifndef BODE_API_UPLOAD_H
#define BODE_API_UPLOAD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "bode/buf.h"
#include "bode/docpack.h"
#include "bode/err.h"

#define BODE_UPLOAD_MAX_BYTES (2u * 1024 * 1024) /* decoded, as Notify */
#define BODE_UPLOAD_MAX_FILENAME 100             /* characters */
#define BODE_UPLOAD_DEFAULT_WEEKS 26
#define BODE_UPLOAD_MAX_WEEKS 78
#define BODE_UPLOAD_HASH_SIZE BODE_DOC_HASH_SIZE

struct bode_upload {
    unsigned char *data; /* decoded file, owned; NULL when empty */
    size_t len;
    const char *mimetype;  /* static; one of Notify's supported types */
    const char *extension; /* static, with the dot, e.g. ".pdf" */
    char filename[BODE_DOC_NAME_SIZE]; /* UTF-8; "" = none */
    bool confirm; /* confirm_email_before_download, default true */
    int weeks;    /* retention_period, default 26 */
};

/* Why an upload was refused: a Notify error type, status and text. */
struct bode_upload_error {
    int status;       /* 400 or 413 */
    const char *type; /* "ValidationError" or "BadRequestError" */
    char message[1300];
};

/* True when v is an upload: an object with a "file" member. */
bool bode_upload_is_file(const json_t *v);

/* Checks upload v (bode_upload_is_file) as Notify's schema does
 * (ValidationError texts) and as its document store does (base64, size,
 * file type: BadRequestError texts), filling u (release it in every case).
 * BODE_ERR_INVALID with e filled, BODE_ERR_NOMEM. */
enum bode_err bode_upload_parse(json_t *v, struct bode_upload *u,
                                struct bode_upload_error *e);

void bode_upload_release(struct bode_upload *u);

/* The hash a download compares against: SHA-256 over the document id and
 * the recipient's address as bode_validate_email stores it. false when
 * email is not a valid address. */
bool bode_upload_email_hash(const char *did, const char *email,
                            char out[BODE_UPLOAD_HASH_SIZE]);

/* What a download needs, packed for sealing: mimetype, file name, the
 * confirmation hash ("" when not asked) and the bytes. */
enum bode_err bode_upload_pack(const struct bode_upload *u,
                               const char *email_hash, struct bode_buf *out);

#endif
