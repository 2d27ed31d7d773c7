/* Upload personalisation values: Notify's schema and document-store checks
 * and the packed form a download reads. Must stay pure (no I/O) and never
 * trust a length it did not check. */
#include "upload.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bode/alloc.h"
#include "bode/docpack.h"
#include "bode/hash.h"
#include "bode/validate.h"
#include "request.h"

static const char supported[] = "'.csv, .doc, .docx, .jpeg, .jpg, .odt, .pdf, "
                                ".png, .rtf, .txt, .xlsx'";

static const char *const allowed_keys[] = {
    "file",   "filename", "confirm_email_before_download", "retention_period",
    "is_csv", NULL,
};

bool bode_upload_is_file(const json_t *v)
{
    return json_is_object(v) && json_object_get(v, "file") != NULL;
}

void bode_upload_release(struct bode_upload *u)
{
    bode_free(u->data);
    memset(u, 0, sizeof(*u));
}

static enum bode_err fail(struct bode_upload_error *e, int status,
                          const char *type, const char *fmt, const char *a)
{
    e->status = status;
    e->type = type;
    snprintf(e->message, sizeof(e->message), fmt, a ? a : "");
    return BODE_ERR_INVALID;
}

/* A value as Notify's jsonschema texts show it (Python repr, quotes
 * removed). */
static enum bode_err fail_value(struct bode_upload_error *e, const char *fmt,
                                const json_t *v)
{
    char value[1100];

    bode_req_repr(v, value, sizeof(value));
    return fail(e, 400, "ValidationError", fmt, value);
}

static enum bode_err check_keys(json_t *v, struct bode_upload_error *e)
{
    char extra[1000] = "";
    const char *key;
    json_t *val;
    size_t n = 0;
    size_t i;

    json_object_foreach(v, key, val)
    {
        for (i = 0; allowed_keys[i] && strcmp(allowed_keys[i], key); i++)
            ;
        if (allowed_keys[i])
            continue;
        if (n++ > 0)
            strncat(extra, ", ", sizeof(extra) - strlen(extra) - 1);
        strncat(extra, key, sizeof(extra) - strlen(extra) - 1);
    }
    (void)val;
    if (n == 0)
        return BODE_OK;
    e->status = 400;
    e->type = "ValidationError";
    snprintf(e->message, sizeof(e->message),
             "personalisation Additional properties are not allowed (%s %s "
             "unexpected)",
             extra, n == 1 ? "was" : "were");
    return BODE_ERR_INVALID;
}

/* Python's int() of a run of ASCII digits, capped: only 1..78 matter. */
static int weeks_of(const char *s, size_t n)
{
    long v = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        v = v * 10 + (s[i] - '0');
        if (v > 1000)
            v = 1000;
    }
    return (int)v;
}

/* "<n> week" or "<n> weeks", surrounding whitespace and case ignored,
 * n from 1 to 78 (Notify's send_a_file_retention_period). 0 if not. */
static int parse_retention(const char *s)
{
    size_t n = strlen(s);
    size_t d = 0;
    char rest[8];
    size_t k = 0;
    size_t i;

    while (n > 0 && strchr(" \t\r\n\f\v", s[n - 1]))
        n--;
    while (n > 0 && strchr(" \t\r\n\f\v", *s)) {
        s++;
        n--;
    }
    while (d < n && s[d] >= '0' && s[d] <= '9')
        d++;
    if (d == 0 || d == n || s[d] != ' ')
        return 0;
    for (i = d + 1; i < n && k < sizeof(rest) - 1; i++)
        rest[k++] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
    rest[k] = '\0';
    if (i != n || (strcmp(rest, "week") != 0 && strcmp(rest, "weeks") != 0))
        return 0;
    k = (size_t)weeks_of(s, d);
    return k >= 1 && k <= BODE_UPLOAD_MAX_WEEKS ? (int)k : 0;
}

/* Notify's schema checks of one upload (ValidationError texts). */
static enum bode_err check_schema(json_t *v, struct bode_upload *u,
                                  struct bode_upload_error *e)
{
    const json_t *file = json_object_get(v, "file");
    const json_t *name = json_object_get(v, "filename");
    const json_t *confirm = json_object_get(v, "confirm_email_before_download");
    const json_t *period = json_object_get(v, "retention_period");
    const json_t *csv = json_object_get(v, "is_csv");
    enum bode_err err = check_keys(v, e);

    if (err)
        return err;
    if (!json_is_string(file))
        return fail_value(e, "personalisation %s is not of type string", file);
    if (name && !json_is_null(name) &&
        (!json_is_string(name) || !strchr(json_string_value(name), '.') ||
         strlen(json_string_value(name)) != json_string_length(name)))
        return fail(e, 400, "ValidationError",
                    "personalisation `filename` must end with a file "
                    "extension. For example, filename.csv%s",
                    NULL);
    if (confirm && !json_is_null(confirm) && !json_is_boolean(confirm))
        return fail_value(e,
                          "personalisation Unsupported value for "
                          "confirm_email_before_download: %s. Use a boolean "
                          "true or false value.",
                          confirm);
    if (csv && !json_is_null(csv) && !json_is_boolean(csv))
        return fail_value(e,
                          "personalisation Unsupported value for is_csv: %s. "
                          "Use a boolean true or false value.",
                          csv);
    u->weeks = BODE_UPLOAD_DEFAULT_WEEKS;
    if (period && !json_is_null(period)) {
        u->weeks =
            json_is_string(period) && strlen(json_string_value(period)) ==
                                          json_string_length(period)
                ? parse_retention(json_string_value(period))
                : 0;
        if (u->weeks == 0)
            return fail_value(e,
                              "personalisation Unsupported value for "
                              "retention_period: %s. Supported periods are "
                              "from 1 to 78 weeks.",
                              period);
    }
    u->confirm = !json_is_false(confirm);
    return BODE_OK;
}

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Python's base64.b64decode without validate (CPython's a2b_base64):
 * characters outside the alphabet are skipped, a complete padding ends
 * the data (whatever follows), and a group left incomplete is an error.
 * Writes at most n * 3 / 4 + 1 bytes to out. */
static bool b64_decode(const char *in, size_t n, unsigned char *out,
                       size_t *out_len)
{
    unsigned left = 0;
    size_t o = 0;
    int pos = 0;
    int pads = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        int v;

        if (in[i] == '=') {
            if (pos >= 2 && pos + ++pads >= 4)
                break;
            continue;
        }
        v = b64_value((unsigned char)in[i]);
        if (v < 0)
            continue;
        pads = 0;
        switch (pos) {
        case 0:
            left = (unsigned)v;
            break;
        case 1:
            out[o++] = (unsigned char)(left << 2 | (unsigned)v >> 4);
            left = (unsigned)v & 0xf;
            break;
        case 2:
            out[o++] = (unsigned char)(left << 4 | (unsigned)v >> 2);
            left = (unsigned)v & 3;
            break;
        default:
            out[o++] = (unsigned char)(left << 6 | (unsigned)v);
        }
        pos = (pos + 1) % 4;
    }
    *out_len = o;
    return pos == 0 || i < n;
}

static bool has_at(const unsigned char *p, size_t n, size_t at, const char *s,
                   size_t k)
{
    return n >= at + k && memcmp(p + at, s, k) == 0;
}

static bool contains(const unsigned char *p, size_t n, const char *s)
{
    size_t k = strlen(s);
    size_t i;

    for (i = 0; k <= n && i <= n - k; i++)
        if (p[i] == (unsigned char)s[0] && memcmp(p + i, s, k) == 0)
            return true;
    return false;
}

static bool is_text(const unsigned char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' && p[i] != '\r' &&
            p[i] != '\f')
            return false;
    return n > 0;
}

/* The type of content sent without a file name, by its first bytes, as
 * libmagic names it in Notify's document store. */
static const char *sniff(const unsigned char *p, size_t n, bool csv)
{
    if (n == 0)
        return "application/x-empty";
    if (has_at(p, n, 0, "%PDF-", 5))
        return "application/pdf";
    if (has_at(p, n, 0, "\x89PNG\r\n\x1a\n", 8))
        return "image/png";
    if (has_at(p, n, 0, "\xff\xd8\xff", 3))
        return "image/jpeg";
    if (has_at(p, n, 0, "{\\rtf", 5))
        return "text/rtf";
    if (has_at(p, n, 0, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8))
        return "application/msword";
    if (has_at(p, n, 0, "PK\x03\x04", 4)) {
        if (has_at(p, n, 30, "mimetypeapplication/vnd.oasis.opendocument.text",
                   47))
            return "application/vnd.oasis.opendocument.text";
        if (contains(p, n < 65536 ? n : 65536, "word/"))
            return bode_docpack_ext_type(".docx");
        if (contains(p, n < 65536 ? n : 65536, "xl/"))
            return bode_docpack_ext_type(".xlsx");
        return "application/zip";
    }
    if (is_text(p, n))
        return csv ? "text/csv" : "text/plain";
    return "application/octet-stream";
}

/* Code points of a UTF-8 string (jansson strings are valid UTF-8). */
static size_t chars_of(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            n++;
    return n;
}

/* The document store's checks: file name, base64, size, type
 * (BadRequestError texts, 413 for size as Notify passes it on). */
static enum bode_err check_content(const json_t *v, struct bode_upload *u,
                                   struct bode_upload_error *e)
{
    const json_t *file = json_object_get(v, "file");
    const json_t *name = json_object_get(v, "filename");
    const json_t *csv = json_object_get(v, "is_csv");
    const char *text = json_string_value(file);
    size_t n = json_string_length(file);
    const char *fname = json_is_string(name) ? json_string_value(name) : NULL;
    const char *mimetype;
    const char *dot;

    if (fname && csv && !json_is_null(csv))
        return fail(e, 400, "BadRequestError",
                    "Do not set a value for `is_csv` if `filename` is set.%s",
                    NULL);
    if (fname && chars_of(fname) > BODE_UPLOAD_MAX_FILENAME)
        return fail(e, 400, "BadRequestError",
                    "`filename` cannot be longer than 100 characters%s", NULL);
    /* Anything longer cannot decode to 2 MB or less: refuse it before
     * allocating. Skipped characters make this a bound, not the rule. */
    if (n / 4 * 3 > (size_t)BODE_UPLOAD_MAX_BYTES * 2)
        return fail(e, 413, "BadRequestError",
                    "Uploaded file exceeds file size limit%s", NULL);
    u->data = bode_malloc(n / 4 * 3 + 3);
    if (!u->data)
        return BODE_ERR_NOMEM;
    if (!b64_decode(text, n, u->data, &u->len))
        return fail(e, 400, "BadRequestError",
                    "Document is not base64 encoded%s", NULL);
    if (u->len > BODE_UPLOAD_MAX_BYTES)
        return fail(e, 413, "BadRequestError",
                    "Uploaded file exceeds file size limit%s", NULL);
    if (fname) {
        dot = strrchr(fname, '.');
        mimetype = bode_docpack_type_of_ext(dot, &u->extension);
        if (!mimetype) {
            e->status = 400;
            e->type = "BadRequestError";
            snprintf(e->message, sizeof(e->message),
                     "Unsupported file type '%.100s'. Supported types are: %s",
                     dot, supported);
            return BODE_ERR_INVALID;
        }
        snprintf(u->filename, sizeof(u->filename), "%s", fname);
    } else {
        mimetype = sniff(u->data, u->len, json_is_true(csv));
        u->extension = bode_docpack_ext_of_type(mimetype);
        if (!u->extension) {
            e->status = 400;
            e->type = "BadRequestError";
            snprintf(e->message, sizeof(e->message),
                     "Unsupported file type '%s'. Supported types are: %s",
                     mimetype, supported);
            return BODE_ERR_INVALID;
        }
    }
    u->mimetype = mimetype;
    return BODE_OK;
}

enum bode_err bode_upload_parse(json_t *v, struct bode_upload *u,
                                struct bode_upload_error *e)
{
    enum bode_err err;

    memset(u, 0, sizeof(*u));
    memset(e, 0, sizeof(*e));
    if (!bode_upload_is_file(v))
        return fail(e, 400, "ValidationError",
                    "personalisation file is a required property%s", NULL);
    err = check_schema(v, u, e);
    if (!err)
        err = check_content(v, u, e);
    return err;
}

bool bode_upload_email_hash(const char *did, const char *email,
                            char out[BODE_UPLOAD_HASH_SIZE])
{
    struct bode_email parsed;
    char salted[BODE_EMAIL_SIZE + 64];
    int n;

    out[0] = '\0';
    if (bode_validate_email(email, strlen(email), &parsed))
        return false;
    n = snprintf(salted, sizeof(salted), "%s:%s", did, parsed.address);
    if (n < 0 || (size_t)n >= sizeof(salted))
        return false;
    bode_sha256_hex(salted, (size_t)n, out);
    return true;
}

enum bode_err bode_upload_pack(const struct bode_upload *u,
                               const char *email_hash, struct bode_buf *out)
{
    return bode_docpack_write(u->mimetype, u->filename, email_hash, u->data,
                              u->len, out);
}
