/* GET/POST /d/{service_id}/{document_id}: the pages and file behind a
 * link sent by email (a Bode extension; Notify's document-download). Must
 * answer a wrong key, a wrong id and an expired file with the same page,
 * and never serve a file whose confirmation was asked for without it. */
#include <stdio.h>
#include <string.h>

#include "api_int.h"
#include "bode/alloc.h"
#include "bode/base64.h"
#include "bode/buf.h"
#include "bode/docbox.h"
#include "bode/hex.h"
#include "bode/log.h"
#include "bode/uuid.h"
#include "upload.h"

#define PAGE_CAP (64 * 1024)
#define FORM_FIELD_MAX 512

static const char page_csp[] =
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'";
static const char file_csp[] = "default-src 'none'; sandbox";

/* One opened document, and what the pages show. */
struct dl {
    char sid[BODE_UUID_SIZE];
    char did[BODE_UUID_SIZE];
    char key_text[64];
    unsigned char key[BODE_DOCBOX_KEY_LEN];
    struct bode_service svc;
    unsigned char *plain; /* owned: the opened blob */
    size_t plain_len;
    struct bode_doc doc;
};

static void dl_release(struct dl *d)
{
    if (d->plain)
        memset(d->plain, 0, d->plain_len);
    bode_free(d->plain);
    memset(d->key, 0, sizeof(d->key));
    d->plain = NULL;
}

static enum bode_err html_add(struct bode_buf *b, const char *s)
{
    enum bode_err err = BODE_OK;

    for (; !err && *s; s++) {
        switch (*s) {
        case '&':
            err = bode_buf_adds(b, "&amp;");
            break;
        case '<':
            err = bode_buf_adds(b, "&lt;");
            break;
        case '>':
            err = bode_buf_adds(b, "&gt;");
            break;
        case '"':
            err = bode_buf_adds(b, "&quot;");
            break;
        case '\'':
            err = bode_buf_adds(b, "&#39;");
            break;
        default:
            err = bode_buf_addc(b, *s);
        }
    }
    return err;
}

static void page(struct bode_response *resp, int status, const char *title,
                 const struct bode_buf *main_html)
{
    struct bode_buf b;
    enum bode_err err;

    bode_buf_init(&b, PAGE_CAP);
    err = bode_buf_adds(
        &b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
            "charset=\"utf-8\">\n<meta name=\"viewport\" "
            "content=\"width=device-width, initial-scale=1\">\n<meta "
            "name=\"referrer\" content=\"no-referrer\">\n<title>");
    if (!err)
        err = html_add(&b, title);
    if (!err)
        err = bode_buf_adds(
            &b, "</title>\n<style>body{font-family:arial,sans-serif;"
                "max-width:40em;margin:2em auto;padding:0 1em;"
                "line-height:1.5;color:#0b0c0c}a{color:#1d70b8}"
                ".error{color:#d4351c;font-weight:bold}input{font-size:1em;"
                "padding:.3em;display:block;margin:.5em 0}button{font-size:"
                "1em;padding:.4em 1em;background:#00703c;color:#fff;"
                "border:0}</style>\n</head>\n<body>\n<main>\n<h1>");
    if (!err)
        err = html_add(&b, title);
    if (!err)
        err = bode_buf_adds(&b, "</h1>\n");
    if (!err)
        err = bode_buf_add(&b, bode_buf_str(main_html), main_html->len);
    if (!err)
        err = bode_buf_adds(&b, "</main>\n</body>\n</html>\n");
    bode_free(resp->body);
    resp->body = err ? NULL : bode_buf_take(&b, &resp->body_len);
    bode_buf_release(&b);
    if (!resp->body) {
        bode_api_fail(resp, BODE_API_E_INTERNAL, NULL);
        return;
    }
    resp->status = status;
    resp->content_type = "text/html; charset=utf-8";
    bode_response_add_header(resp, "Content-Security-Policy", page_csp);
    bode_response_add_header(resp, "Referrer-Policy", "no-referrer");
    bode_response_add_header(resp, "X-Robots-Tag", "noindex, nofollow");
}

/* The one answer for every link that does not open a file. */
static void gone(struct bode_response *resp)
{
    struct bode_buf m;

    bode_buf_init(&m, PAGE_CAP);
    (void)bode_buf_adds(
        &m, "<p>The link you used has expired or is not valid.</p>\n<p>If "
            "you still need the file, contact the service that sent it to "
            "you.</p>\n");
    page(resp, 404, "The file is no longer available", &m);
    bode_buf_release(&m);
}

static bool id_of(const struct bode_api_params *params, size_t i,
                  char out[BODE_UUID_SIZE])
{
    return i < params->n && bode_uuid_normalize(params->value[i],
                                                params->len[i], out) == BODE_OK;
}

/* Opens the document the link names. false (with nothing opened) for any
 * link that does not open one; *err tells a store failure apart. */
static bool open_doc(const struct bode_api_ctx *ctx,
                     const struct bode_api_params *params, const char *key,
                     struct dl *d, enum bode_err *err)
{
    struct bode_redis *r = bode_api_redis(ctx);
    char ad[2 * BODE_UUID_SIZE + 2];
    char *blob = NULL;
    size_t blob_len = 0;
    size_t n = 0;
    bool ok = false;

    *err = BODE_OK;
    if (!id_of(params, 0, d->sid) || !id_of(params, 1, d->did) || !key ||
        strlen(key) >= sizeof(d->key_text) ||
        bode_base64url_decoded_max(strlen(key)) != BODE_DOCBOX_KEY_LEN ||
        bode_base64url_decode(key, strlen(key), d->key, sizeof(d->key), &n) ||
        n != BODE_DOCBOX_KEY_LEN)
        return false;
    snprintf(d->key_text, sizeof(d->key_text), "%s", key);
    if (!r) {
        *err = BODE_ERR_NOMEM;
        return false;
    }
    *err = bode_store_document_get(r, d->sid, d->did, &blob, &blob_len);
    if (*err == BODE_ERR_NOT_FOUND)
        *err = BODE_OK;
    if (*err || !blob)
        goto out;
    if (blob_len < BODE_DOCBOX_OVERHEAD)
        goto out;
    d->plain = bode_malloc(blob_len - BODE_DOCBOX_OVERHEAD + 1);
    if (!d->plain) {
        *err = BODE_ERR_NOMEM;
        goto out;
    }
    snprintf(ad, sizeof(ad), "%s/%s", d->sid, d->did);
    if (bode_docbox_open(d->key, ad, strlen(ad), (unsigned char *)blob,
                         blob_len, d->plain, &d->plain_len) ||
        bode_docpack_read(d->plain, d->plain_len, &d->doc))
        goto out;
    *err = bode_store_service_get(r, ctx->box, d->sid, &d->svc);
    if (*err == BODE_ERR_NOT_FOUND)
        *err = BODE_OK;
    else if (!*err)
        ok = true;
out:
    bode_free(blob);
    if (!ok)
        dl_release(d);
    return ok;
}

static void size_text(size_t n, char *out, size_t size)
{
    if (n < 1024)
        snprintf(out, size, "%zu bytes", n);
    else if (n < 1024 * 1024)
        snprintf(out, size, "%zu KB", (n + 1023) / 1024);
    else
        snprintf(out, size, "%.1f MB", (double)n / (1024.0 * 1024.0));
}

static enum bode_err contact_add(struct bode_buf *m, const struct dl *d)
{
    enum bode_err err = bode_buf_adds(m, "<p>If you have any questions, "
                                         "contact ");

    if (!err)
        err = html_add(m, d->svc.name);
    if (!err)
        err = bode_buf_adds(m, ": ");
    if (!err)
        err = html_add(m, d->svc.file_contact);
    return err ? err : bode_buf_adds(m, "</p>\n");
}

static void confirm_page(struct bode_response *resp, const struct dl *d,
                         int status, bool wrong)
{
    struct bode_buf m;
    enum bode_err err = BODE_OK;

    bode_buf_init(&m, PAGE_CAP);
    if (wrong)
        err = bode_buf_adds(&m, "<p class=\"error\">This is not the email "
                                "address the file was sent to.</p>\n");
    if (!err)
        err = bode_buf_adds(&m, "<p>");
    if (!err)
        err = html_add(&m, d->svc.name);
    if (!err)
        err = bode_buf_adds(&m, " sent you a file. To download it, enter the "
                                "email address it was sent to.</p>\n");
    if (!err)
        err = bode_buf_addf(&m,
                            "<form method=\"post\" action=\"/d/%s/%s/"
                            "download\" novalidate>\n<input type=\"hidden\" "
                            "name=\"key\" value=\"",
                            d->sid, d->did);
    if (!err)
        err = html_add(&m, d->key_text);
    if (!err)
        err = bode_buf_adds(
            &m, "\">\n<label for=\"email_address\">Email address</label>\n"
                "<input id=\"email_address\" name=\"email_address\" "
                "type=\"email\" autocomplete=\"email\" spellcheck=\"false\">\n"
                "<button type=\"submit\">Continue</button>\n</form>\n");
    if (!err)
        err = contact_add(&m, d);
    if (err)
        bode_api_fail(resp, BODE_API_E_INTERNAL, NULL);
    else
        page(resp, status, "Confirm your email address", &m);
    bode_buf_release(&m);
}

static void landing_page(struct bode_response *resp, const struct dl *d)
{
    struct bode_buf m;
    char size[32];
    enum bode_err err;

    bode_buf_init(&m, PAGE_CAP);
    size_text(d->doc.len, size, sizeof(size));
    err = bode_buf_adds(&m, "<p>");
    if (!err)
        err = html_add(&m, d->svc.name);
    if (!err)
        err = bode_buf_addf(&m,
                            " sent you a file.</p>\n<p><a href=\"/d/%s/%s/"
                            "download?key=",
                            d->sid, d->did);
    if (!err)
        err = html_add(&m, d->key_text);
    if (!err)
        err = bode_buf_addf(&m,
                            "\" download>Download this file</a> (%s file, "
                            "%s)</p>\n",
                            d->doc.extension + 1, size);
    if (!err)
        err = contact_add(&m, d);
    if (err)
        bode_api_fail(resp, BODE_API_E_INTERNAL, NULL);
    else
        page(resp, 200, "You have a file to download", &m);
    bode_buf_release(&m);
}

static const char hex[] = "0123456789ABCDEF";

/* Content-Disposition with an ASCII name for every client and the UTF-8
 * name (RFC 6266 / RFC 8187) when it fits the header. */
static void disposition(const struct dl *d, char *out, size_t size)
{
    char fallback[128];
    char utf8[216];
    const char *name = d->doc.filename;
    char made[BODE_UUID_SIZE + 8];
    size_t o = 0;
    size_t u = 0;
    bool fits = true;
    const char *p;

    if (!name[0]) {
        snprintf(made, sizeof(made), "%s%s", d->did, d->doc.extension);
        name = made;
    }
    for (p = name; *p && o + 1 < sizeof(fallback); p++) {
        unsigned char c = (unsigned char)*p;
        fallback[o++] =
            c < 0x20 || c >= 0x7f || c == '"' || c == '\\' ? '_' : (char)c;
    }
    fallback[o] = '\0';
    for (p = name; *p && fits; p++) {
        unsigned char c = (unsigned char)*p;
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                     (c >= '0' && c <= '9') || strchr("!#$&+-.^_`|~", c);

        if (u + (plain ? 1 : 3) + 1 > sizeof(utf8)) {
            fits = false;
            break;
        }
        if (plain) {
            utf8[u++] = (char)c;
        } else {
            utf8[u++] = '%';
            utf8[u++] = hex[c >> 4];
            utf8[u++] = hex[c & 15];
        }
    }
    utf8[u] = '\0';
    if (fits && snprintf(out, size,
                         "attachment; filename=\"%s\"; "
                         "filename*=UTF-8''%s",
                         fallback, utf8) < (int)size)
        return;
    snprintf(out, size, "attachment; filename=\"%.180s\"", fallback);
}

static void serve_file(const struct bode_request *req,
                       struct bode_response *resp, struct dl *d)
{
    char cd[216];

    disposition(d, cd, sizeof(cd));
    /* The opened blob becomes the body: the file is its tail. */
    memmove(d->plain, d->doc.data, d->doc.len);
    bode_free(resp->body);
    resp->body = (char *)d->plain;
    resp->body_len = d->doc.len;
    d->plain = NULL;
    resp->status = 200;
    resp->content_type = d->doc.mimetype;
    bode_response_add_header(resp, "Content-Disposition", cd);
    bode_response_add_header(resp, "Content-Security-Policy", file_csp);
    bode_response_add_header(resp, "Referrer-Policy", "no-referrer");
    bode_response_add_header(resp, "X-Robots-Tag", "noindex, nofollow");
    bode_log(BODE_LOG_INFO, "file downloaded",
             BODE_LOG_S("request_id", req->request_id),
             BODE_LOG_S("service_id", d->sid),
             BODE_LOG_S("document_id", d->did));
}

/* The value of name in an application/x-www-form-urlencoded body, decoded
 * into out. false when absent, too long or badly escaped. */
static bool form_value(const char *body, size_t len, const char *name,
                       char *out, size_t size)
{
    size_t nlen = strlen(name);
    size_t i = 0;

    while (i < len) {
        size_t end = i;
        size_t o = 0;

        while (end < len && body[end] != '&')
            end++;
        if (end - i > nlen && body[i + nlen] == '=' &&
            memcmp(body + i, name, nlen) == 0) {
            for (i += nlen + 1; i < end; i++) {
                char c = body[i];

                if (c == '%') {
                    if (end - i < 3 || bode_hex_value(body[i + 1]) < 0 ||
                        bode_hex_value(body[i + 2]) < 0)
                        return false;
                    c = (char)(bode_hex_value(body[i + 1]) << 4 |
                               bode_hex_value(body[i + 2]));
                    i += 2;
                } else if (c == '+') {
                    c = ' ';
                }
                if (c == '\0' || o + 1 >= size)
                    return false;
                out[o++] = c;
            }
            out[o] = '\0';
            return true;
        }
        i = end + 1;
    }
    return false;
}

static void answer_store_error(struct bode_response *resp, enum bode_err err)
{
    struct bode_buf m;

    (void)err;
    bode_buf_init(&m, PAGE_CAP);
    (void)bode_buf_adds(&m, "<p>Try again later.</p>\n");
    page(resp, 503, "Sorry, there is a problem with the service", &m);
    bode_buf_release(&m);
}

void bode_api_download_page(const struct bode_api_ctx *ctx,
                            const struct bode_request *req,
                            const struct bode_api_params *params,
                            struct bode_response *resp)
{
    struct dl d;
    enum bode_err err;

    memset(&d, 0, sizeof(d));
    if (!open_doc(ctx, params, req->query(req->ctx, "key"), &d, &err)) {
        if (err)
            answer_store_error(resp, err);
        else
            gone(resp);
        return;
    }
    if (d.doc.email_hash[0])
        confirm_page(resp, &d, 200, false);
    else
        landing_page(resp, &d);
    dl_release(&d);
}

void bode_api_download_file(const struct bode_api_ctx *ctx,
                            const struct bode_request *req,
                            const struct bode_api_params *params,
                            struct bode_response *resp)
{
    char key[FORM_FIELD_MAX];
    char email[FORM_FIELD_MAX];
    char hash[BODE_UPLOAD_HASH_SIZE];
    const char *k = req->query(req->ctx, "key");
    bool post = req->method == BODE_METHOD_POST;
    bool have_email = false;
    struct dl d;
    enum bode_err err;

    memset(&d, 0, sizeof(d));
    if (post && req->body &&
        form_value(req->body, req->body_len, "key", key, sizeof(key)))
        k = key;
    if (post && req->body)
        have_email = form_value(req->body, req->body_len, "email_address",
                                email, sizeof(email));
    if (!open_doc(ctx, params, k, &d, &err)) {
        if (err)
            answer_store_error(resp, err);
        else
            gone(resp);
        return;
    }
    if (!d.doc.email_hash[0]) {
        serve_file(req, resp, &d);
    } else if (!post) {
        /* Asked to confirm: the address comes first, whatever the link. */
        confirm_page(resp, &d, 403, false);
    } else if (have_email && bode_upload_email_hash(d.did, email, hash) &&
               bode_docbox_equal(hash, d.doc.email_hash, 64)) {
        serve_file(req, resp, &d);
    } else {
        bode_log(BODE_LOG_INFO, "file download refused",
                 BODE_LOG_S("request_id", req->request_id),
                 BODE_LOG_S("service_id", d.sid),
                 BODE_LOG_S("document_id", d.did),
                 BODE_LOG_S("reason", "email address does not match"));
        confirm_page(resp, &d, 403, true);
    }
    dl_release(&d);
}
