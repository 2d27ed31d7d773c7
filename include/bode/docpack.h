/* Files sent by email, as one packed blob: the bytes with their type, name
 * and (for download links) the recipient confirmation hash. Written by the
 * API, read by download pages and the worker; sealed and stored by
 * others. Pure: no I/O, thread safe. */
#ifndef BODE_DOCPACK_H
#define BODE_DOCPACK_H

#include <stddef.h>

#include "bode/buf.h"
#include "bode/err.h"

#define BODE_DOC_NAME_SIZE 401 /* 100 characters of UTF-8, and NUL */
#define BODE_DOC_HASH_SIZE 65  /* SHA-256 hex, and NUL */

/* The MIME type of a supported extension (".pdf", any case), with the
 * table's own spelling in *canonical (may be NULL); NULL if unsupported. */
const char *bode_docpack_type_of_ext(const char *ext, const char **canonical);

/* As bode_docpack_type_of_ext, without the canonical spelling. */
const char *bode_docpack_ext_type(const char *ext);

/* The extension (with the dot) a supported type is named with; NULL if
 * the type is not supported. Static strings. */
const char *bode_docpack_ext_of_type(const char *mimetype);

/* Appends the packed document to out. email_hash: NULL or 64 hex digits.
 * BODE_ERR_INVALID for an unsupported type, a name too long or a bad hash;
 * buffer errors as bode_buf_add. */
enum bode_err bode_docpack_write(const char *mimetype, const char *filename,
                                 const char *email_hash, const void *data,
                                 size_t len, struct bode_buf *out);

/* A packed document, read; data points into the buffer given to read. */
struct bode_doc {
    const char *mimetype; /* static: the supported type it names */
    const char *extension;
    const char *filename; /* NUL-terminated copy in name */
    char name[BODE_DOC_NAME_SIZE];
    char email_hash[BODE_DOC_HASH_SIZE]; /* "" when not asked */
    const unsigned char *data;
    size_t len;
};

/* Reads p[0..n) written by bode_docpack_write. BODE_ERR_INVALID when it
 * is not such a blob. */
enum bode_err bode_docpack_read(const unsigned char *p, size_t n,
                                struct bode_doc *d);

#endif
