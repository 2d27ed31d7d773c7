/* The packed form of a sent file (type, name, confirmation hash, bytes)
 * and the file types Bode accepts, as Notify's send-a-file. Pure; never
 * reads outside the given lengths. */
#include "bode/docpack.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define PACK_MAGIC "BODEDOC1"
#define PACK_MAGIC_LEN 8

/* Notify's supported types (its "send files by email" documentation), by
 * extension; the first entry of a type is the one a download is named
 * with when the sender gave no file name. */
static const struct {
    const char *ext;
    const char *mimetype;
} types[] = {
    {".csv", "text/csv"},
    {".doc", "application/msword"},
    {".docx", "application/vnd.openxmlformats-officedocument."
              "wordprocessingml.document"},
    {".jpeg", "image/jpeg"},
    {".jpg", "image/jpeg"},
    {".odt", "application/vnd.oasis.opendocument.text"},
    {".pdf", "application/pdf"},
    {".png", "image/png"},
    {".rtf", "text/rtf"},
    {".txt", "text/plain"},
    {".xlsx", "application/vnd.openxmlformats-officedocument."
              "spreadsheetml.sheet"},
};

#define N_TYPES (sizeof(types) / sizeof(types[0]))

const char *bode_docpack_type_of_ext(const char *ext, const char **canonical)
{
    size_t i;

    for (i = 0; ext && i < N_TYPES; i++) {
        size_t k = strlen(types[i].ext);
        size_t j;

        if (strlen(ext) != k)
            continue;
        for (j = 0; j < k; j++) {
            char c = ext[j];
            if (c >= 'A' && c <= 'Z')
                c = (char)(c + 32);
            if (c != types[i].ext[j])
                break;
        }
        if (j == k) {
            if (canonical)
                *canonical = types[i].ext;
            return types[i].mimetype;
        }
    }
    return NULL;
}

const char *bode_docpack_ext_type(const char *ext)
{
    return bode_docpack_type_of_ext(ext, NULL);
}

const char *bode_docpack_ext_of_type(const char *mimetype)
{
    size_t i;

    for (i = 0; i < N_TYPES; i++)
        if (strcmp(types[i].mimetype, mimetype) == 0)
            return types[i].ext;
    return NULL;
}

static enum bode_err add_field(struct bode_buf *out, const void *p, size_t n)
{
    unsigned char len[4];
    enum bode_err err;

    if (n > UINT32_MAX)
        return BODE_ERR_TOO_BIG;
    len[0] = (unsigned char)(n >> 24);
    len[1] = (unsigned char)(n >> 16);
    len[2] = (unsigned char)(n >> 8);
    len[3] = (unsigned char)n;
    err = bode_buf_add(out, (const char *)len, 4);
    if (!err && n > 0)
        err = bode_buf_add(out, p, n);
    return err;
}

enum bode_err bode_docpack_write(const char *mimetype, const char *filename,
                                 const char *email_hash, const void *data,
                                 size_t len, struct bode_buf *out)
{
    enum bode_err err;

    if (!bode_docpack_ext_of_type(mimetype) ||
        strlen(filename) >= BODE_DOC_NAME_SIZE ||
        (email_hash && strlen(email_hash) != BODE_DOC_HASH_SIZE - 1))
        return BODE_ERR_INVALID;
    err = bode_buf_add(out, PACK_MAGIC, PACK_MAGIC_LEN);
    if (!err)
        err = add_field(out, mimetype, strlen(mimetype));
    if (!err)
        err = add_field(out, filename, strlen(filename));
    if (!err)
        err = add_field(out, email_hash ? email_hash : "",
                        email_hash ? strlen(email_hash) : 0);
    if (!err)
        err = add_field(out, data, len);
    return err;
}

/* Reads one length-prefixed field at *at; false past the end. */
static bool next_field(const unsigned char *p, size_t n, size_t *at,
                       const unsigned char **f, size_t *len)
{
    size_t k;

    if (n - *at < 4)
        return false;
    k = (size_t)p[*at] << 24 | (size_t)p[*at + 1] << 16 |
        (size_t)p[*at + 2] << 8 | p[*at + 3];
    *at += 4;
    if (n - *at < k)
        return false;
    *f = p + *at;
    *len = k;
    *at += k;
    return true;
}

enum bode_err bode_docpack_read(const unsigned char *p, size_t n,
                                struct bode_doc *d)
{
    const unsigned char *f;
    size_t len;
    size_t at = PACK_MAGIC_LEN;
    size_t i;

    memset(d, 0, sizeof(*d));
    if (n < PACK_MAGIC_LEN || memcmp(p, PACK_MAGIC, PACK_MAGIC_LEN) != 0)
        return BODE_ERR_INVALID;
    if (!next_field(p, n, &at, &f, &len))
        return BODE_ERR_INVALID;
    for (i = 0; i < N_TYPES; i++)
        if (strlen(types[i].mimetype) == len &&
            memcmp(types[i].mimetype, f, len) == 0)
            break;
    if (i == N_TYPES)
        return BODE_ERR_INVALID;
    d->mimetype = types[i].mimetype;
    d->extension = types[i].ext;
    if (!next_field(p, n, &at, &f, &len) || len >= sizeof(d->name) ||
        memchr(f, '\0', len))
        return BODE_ERR_INVALID;
    memcpy(d->name, f, len);
    d->name[len] = '\0';
    d->filename = d->name;
    if (!next_field(p, n, &at, &f, &len) || (len != 0 && len != 64))
        return BODE_ERR_INVALID;
    memcpy(d->email_hash, f, len);
    d->email_hash[len] = '\0';
    if (!next_field(p, n, &at, &d->data, &d->len) || at != n)
        return BODE_ERR_INVALID;
    return BODE_OK;
}
