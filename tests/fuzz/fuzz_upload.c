/* Fuzz target: upload personalisation values (Notify's prepareUpload
 * shape) through the schema and content checks, and packed documents
 * through unpack. Any bytes must give a clean upload or one bounded error,
 * and every accepted upload must survive a pack/unpack round trip. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "api/upload.h"
#include "bode/alloc.h"
#include "bode/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(const struct bode_upload *u)
{
    struct bode_buf b;
    struct bode_doc d;

    bode_buf_init(&b, BODE_UPLOAD_MAX_BYTES + 4096);
    if (bode_upload_pack(u,
                         u->confirm ? "0123456789abcdef0123456789abcdef"
                                      "0123456789abcdef0123456789abcdef"
                                    : NULL,
                         &b))
        goto out;
    if (bode_docpack_read((const unsigned char *)b.data, b.len, &d) ||
        d.len != u->len || (u->len && memcmp(d.data, u->data, u->len)) ||
        strcmp(d.mimetype, u->mimetype) || strcmp(d.filename, u->filename) ||
        (d.email_hash[0] != '\0') != u->confirm)
        __builtin_trap();
out:
    bode_buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    struct bode_upload u;
    struct bode_upload_error e;
    struct bode_doc d;
    json_error_t jerr;
    json_t *v;
    enum bode_err err;

    if (!ready) {
        bode_alloc_install_json();
        ready = 1;
    }
    /* The same bytes as a packed document: unpack must never read past
     * them. */
    (void)bode_docpack_read(data, size, &d);
    v = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
    if (!v)
        return 0;
    if (bode_upload_is_file(v)) {
        err = bode_upload_parse(v, &u, &e);
        if (err == BODE_ERR_INVALID &&
            (!e.type || !e.message[0] || (e.status != 400 && e.status != 413) ||
             !memchr(e.message, '\0', sizeof(e.message))))
            __builtin_trap();
        if (!err) {
            if (!u.mimetype || !u.extension || u.len > BODE_UPLOAD_MAX_BYTES ||
                u.weeks < 1 || u.weeks > BODE_UPLOAD_MAX_WEEKS)
                __builtin_trap();
            round_trip(&u);
        }
        bode_upload_release(&u);
    }
    json_decref(v);
    return 0;
}
