/* The sandbox provider: "delivers" every message by appending it as one
 * JSON line to an outbox file. Must never reach the network, and must keep
 * lines whole when several workers append to the same file. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bode/alloc.h"
#include "bode/hash.h"
#include "bode/model.h"
#include "provider_int.h"

#define DEFAULT_DIR "./.bode"
#define OUTBOX_NAME "outbox.jsonl"

struct sandbox {
    struct bode_provider base;
    char path[1024];
    char dir[1024]; /* the default directory to create, "" for none */
    int fd;         /* -1 until the first message */
};

static const char *const settings[] = {"BODE_SANDBOX_OUTBOX", "BODE_DATA_DIR",
                                       NULL};

/* Only works out the path: processes that never deliver (the API makes
 * providers for receipts) must not need a writable directory. The file
 * is opened by the first start. */
static enum bode_err sandbox_create(bode_setting_fn get, void *ctx,
                                    struct bode_provider **out, char *why,
                                    size_t why_size)
{
    static const char *const outbox_name[] = {"BODE_SANDBOX_OUTBOX"};
    static const char *const dir_name[] = {"BODE_DATA_DIR"};
    const char *outbox = prov_setting(get, ctx, outbox_name, 1);
    const char *dir = prov_setting(get, ctx, dir_name, 1);
    struct sandbox *s = bode_calloc(1, sizeof(*s));
    int n;

    *out = NULL;
    if (!s)
        return BODE_ERR_NOMEM;
    s->base.ops = &prov_sandbox_ops;
    s->fd = -1;
    if (outbox) {
        n = snprintf(s->path, sizeof(s->path), "%s", outbox);
    } else {
        snprintf(s->dir, sizeof(s->dir), "%s", dir ? dir : DEFAULT_DIR);
        n = snprintf(s->path, sizeof(s->path), "%s/%s", s->dir, OUTBOX_NAME);
    }
    if (n < 0 || (size_t)n >= sizeof(s->path) - sizeof(OUTBOX_NAME)) {
        bode_free(s);
        return prov_why(why, why_size, "BODE_SANDBOX_OUTBOX: path too long");
    }
    *out = &s->base;
    return BODE_OK;
}

static void sandbox_destroy(struct bode_provider *p)
{
    struct sandbox *s = (struct sandbox *)p;

    if (!s)
        return;
    if (s->fd >= 0)
        close(s->fd);
    bode_free(s);
}

/* Opens the outbox once. On failure, detail says why (for the log line of
 * a temporary failure) and the next message tries again. */
static enum bode_err open_outbox(struct sandbox *s, char *detail, size_t size)
{
    char ebuf[128];

    if (s->fd >= 0)
        return BODE_OK;
    /* The default directory may not exist yet on a fresh checkout. */
    if (s->dir[0] && mkdir(s->dir, 0700) != 0 && errno != EEXIST) {
        snprintf(detail, size, "sandbox: cannot create %.150s: %s", s->dir,
                 bode_errno_str(errno, ebuf, sizeof(ebuf)));
        return BODE_ERR_IO;
    }
    /* O_APPEND makes each write(2) land whole at the end of the file, so
     * lines from several workers never interleave. */
    s->fd = open(s->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (s->fd < 0) {
        snprintf(detail, size, "sandbox: cannot open %.150s: %s", s->path,
                 bode_errno_str(errno, ebuf, sizeof(ebuf)));
        return BODE_ERR_IO;
    }
    return BODE_OK;
}

/* Sets key to v as a JSON string (null for NULL). BODE_ERR_INVALID for
 * text that is not UTF-8. */
static enum bode_err put_str(json_t *o, const char *key, const char *v)
{
    json_t *j;

    if (v && !prov_utf8_is_valid(v, strlen(v)))
        return BODE_ERR_INVALID;
    j = v ? json_string(v) : json_null();
    if (!j)
        return BODE_ERR_NOMEM;
    return json_object_set_new(o, key, j) == 0 ? BODE_OK : BODE_ERR_NOMEM;
}

/* Unfolds the header block text into a JSON array of [name, value]. */
static enum bode_err headers_json(const char *text, json_t **out)
{
    json_t *arr = json_array();
    json_t *pair = NULL;
    struct bode_buf value;
    enum bode_err err = BODE_OK;
    const char *line = text;
    const char *eol;
    const char *colon = NULL;
    const char *name = NULL;
    size_t name_len = 0;

    *out = NULL;
    bode_buf_init(&value, PROV_MIME_CAP);
    if (!arr)
        return BODE_ERR_NOMEM;
    while (!err && *line) {
        eol = strstr(line, "\r\n");
        if (!eol)
            eol = line + strlen(line);
        if (*line == ' ' || *line == '\t') {
            err = bode_buf_add(&value, line, (size_t)(eol - line));
        } else {
            colon = memchr(line, ':', (size_t)(eol - line));
            if (!colon) {
                err = BODE_ERR_INVALID;
                break;
            }
            if (name) {
                pair = json_pack("[s%s]", name, name_len, bode_buf_str(&value));
                if (!pair || json_array_append_new(arr, pair) != 0)
                    err = BODE_ERR_NOMEM;
            }
            name = line;
            name_len = (size_t)(colon - line);
            bode_buf_reset(&value);
            colon++;
            if (*colon == ' ')
                colon++;
            if (!err)
                err = bode_buf_add(&value, colon, (size_t)(eol - colon));
        }
        line = *eol ? eol + 2 : eol;
    }
    if (!err && name) {
        pair = json_pack("[s%s]", name, name_len, bode_buf_str(&value));
        if (!pair || json_array_append_new(arr, pair) != 0)
            err = BODE_ERR_NOMEM;
    }
    bode_buf_release(&value);
    if (err) {
        json_decref(arr);
        return err;
    }
    *out = arr;
    return BODE_OK;
}

/* What the outbox says of each attachment: name, type, size and SHA-256,
 * never the bytes. */
static enum bode_err attachments_json(json_t *o, const struct bode_message *m)
{
    char sha[BODE_SHA256_HEX_SIZE];
    json_t *arr = json_array();
    size_t i;

    for (i = 0; arr && i < m->n_attachments; i++) {
        const struct bode_attachment *a = &m->attachments[i];

        bode_sha256_hex(a->data ? (const void *)a->data : "", a->len, sha);
        if (json_array_append_new(
                arr, json_pack("{s:s, s:s, s:I, s:s}", "filename", a->filename,
                               "content_type", a->mimetype, "size",
                               (json_int_t)a->len, "sha256", sha)) != 0) {
            json_decref(arr);
            return BODE_ERR_INVALID;
        }
    }
    if (!arr || json_object_set_new(o, "attachments", arr) != 0)
        return BODE_ERR_NOMEM;
    return BODE_OK;
}

static enum bode_err email_fields(json_t *o, const struct bode_message *m,
                                  char *why, size_t why_size)
{
    struct bode_buf hdrs;
    json_t *harr = NULL;
    char boundary[64];
    enum bode_err err;

    bode_buf_init(&hdrs, PROV_MIME_CAP);
    err = prov_mime_headers(m, NULL, &hdrs, boundary, why, why_size);
    if (!err)
        err = headers_json(bode_buf_str(&hdrs), &harr);
    if (!err && json_object_set_new(o, "headers", harr) != 0)
        err = BODE_ERR_NOMEM;
    if (!err)
        err = put_str(o, "from_address", m->from_address);
    if (!err)
        err = put_str(o, "from_name", m->from_name);
    if (!err)
        err = put_str(o, "reply_to", m->reply_to);
    if (!err)
        err = put_str(o, "subject", m->subject);
    if (!err)
        err = put_str(o, "text", m->text);
    if (!err)
        err = put_str(o, "html", m->html);
    if (!err)
        err = put_str(o, "one_click_unsubscribe_url",
                      m->one_click_unsubscribe_url);
    if (!err && m->n_attachments > 0)
        err = attachments_json(o, m);
    bode_buf_release(&hdrs);
    return err;
}

static enum bode_err write_line(int fd, const char *line, size_t len)
{
    ssize_t n;

    do {
        n = write(fd, line, len);
    } while (n < 0 && errno == EINTR);
    /* A short write cannot be finished without risking an interleaved
     * line, so it counts as a failure. */
    return n == (ssize_t)len ? BODE_OK : BODE_ERR_IO;
}

static enum bode_err sandbox_start(struct bode_provider *p,
                                   const struct bode_message *m,
                                   struct bode_delivery *d,
                                   struct bode_provider_result *done)
{
    struct sandbox *s = (struct sandbox *)p;
    char now[BODE_TIME_SIZE];
    char why[200] = "";
    json_t *o = json_object();
    char *line = NULL;
    size_t len;
    enum bode_err err = BODE_OK;

    d->easy = NULL;
    memset(done, 0, sizeof(*done));
    if (!o)
        return BODE_ERR_NOMEM;
    bode_time_format(bode_now_us(), now);
    err = put_str(o, "id", m->id);
    if (!err)
        err = put_str(o, "channel", bode_channel_name(m->channel));
    if (!err)
        err = put_str(o, "to", m->to);
    if (!err)
        err = put_str(o, "reference", m->reference);
    if (!err)
        err = put_str(o, "sent_at", now);
    if (!err && m->channel == BODE_CHANNEL_EMAIL)
        err = email_fields(o, m, why, sizeof(why));
    else if (!err && m->channel == BODE_CHANNEL_SMS) {
        err = put_str(o, "sms_text", m->sms_text);
        if (!err)
            err = put_str(o, "sms_sender", m->sms_sender);
    } else if (!err) {
        err = BODE_ERR_INVALID;
    }
    if (err)
        goto out;
    line = json_dumps(o, JSON_COMPACT);
    if (!line) {
        err = BODE_ERR_NOMEM;
        goto out;
    }
    len = strlen(line);
    /* json_dumps leaves room for nothing more; the newline is written in
     * place of the terminator so the line stays one write. */
    line[len] = '\n';
    if (open_outbox(s, done->detail, sizeof(done->detail)) != BODE_OK) {
        done->outcome = BODE_OUTCOME_TEMPORARY;
        goto out;
    }
    if (write_line(s->fd, line, len + 1) != BODE_OK) {
        done->outcome = BODE_OUTCOME_TEMPORARY;
        snprintf(done->detail, sizeof(done->detail),
                 "sandbox: outbox write failed");
        goto out;
    }
    done->outcome = BODE_OUTCOME_DELIVERED;
    snprintf(done->reference, sizeof(done->reference), "%s",
             m->id ? m->id : "");
    snprintf(done->detail, sizeof(done->detail), "sandbox: written");
out:
    if (err == BODE_ERR_INVALID)
        snprintf(done->detail, sizeof(done->detail), "sandbox: %s",
                 why[0] ? why : "not valid UTF-8");
    bode_free(line);
    json_decref(o);
    return err;
}

static void sandbox_finish(struct bode_provider *p, struct bode_delivery *d,
                           int curl_code, long status,
                           struct bode_provider_result *out)
{
    (void)p;
    (void)d;
    (void)curl_code;
    (void)status;
    out->outcome = BODE_OUTCOME_DELIVERED;
}

const struct bode_provider_ops prov_sandbox_ops = {
    .name = "sandbox",
    .channels = 1u << BODE_CHANNEL_EMAIL | 1u << BODE_CHANNEL_SMS,
    .settings = settings,
    .create = sandbox_create,
    .destroy = sandbox_destroy,
    .start = sandbox_start,
    .finish = sandbox_finish,
    .release = prov_release,
    .receipt = NULL,
};
