/* Notify's redact_personalisation, applied after a provider has the
 * message: the stored personalisation, body and subject lose the values
 * the client sent (docs/security.md). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "bode/alloc.h"
#include "bode/buf.h"
#include "bode/log.h"
#include "worker_int.h"

#define REDACT_TTL_US (5LL * 1000000)
#define REDACTED "<redacted>"
#define CONTENT_CAP (4L * 1024 * 1024)

bool worker_redact_wanted(struct bode_redis *r, struct redact_slot *cache,
                          const struct bode_notification *rec, int64_t now)
{
    char key[80];
    size_t h = 5381;
    const char *p;
    struct redact_slot *s;
    bool yes = false;

    snprintf(key, sizeof(key), "%s:%s", rec->service_id, rec->template_id);
    for (p = key; *p; p++)
        h = h * 33 + (unsigned char)*p;
    s = &cache[h % REDACT_SLOTS];
    if (s->fetched && strcmp(s->key, key) == 0 &&
        now - s->fetched < REDACT_TTL_US)
        return s->yes;
    if (bode_store_template_is_redacted(r, rec->service_id, rec->template_id,
                                        &yes))
        return false;
    snprintf(s->key, sizeof(s->key), "%s", key);
    s->yes = yes;
    s->fetched = now;
    return yes;
}

/* Every key of the stored personalisation, and every placeholder of the
 * template, mapped to "<redacted>". */
static json_t *redacted_values(const struct bode_notification *rec,
                               const struct bode_tmpl *t)
{
    json_t *sent =
        json_loads(rec->personalisation ? rec->personalisation : "{}", 0, NULL);
    json_t *out = json_object();
    const char *name;
    json_t *value;
    size_t i;
    bool ok = out != NULL && json_is_object(sent);

    if (ok) {
        json_object_foreach(sent, name, value)
        {
            if (json_object_set_new(out, name, json_string(REDACTED)))
                ok = false;
        }
    }
    for (i = 0; ok && t && i < bode_tmpl_placeholder_count(t); i++)
        if (json_object_set_new(out, bode_tmpl_placeholder(t, i),
                                json_string(REDACTED)))
            ok = false;
    json_decref(sent);
    if (!ok) {
        json_decref(out);
        return NULL;
    }
    return out;
}

void worker_redact(struct bode_redis *r, const struct bode_notification *rec,
                   const struct bode_tmpl *t)
{
    struct bode_tmpl_error terr;
    struct bode_buf body;
    struct bode_buf subject;
    json_t *values = NULL;
    char *pers = NULL;
    enum bode_err err = BODE_ERR_NOMEM;
    bool done = false;

    bode_buf_init(&body, CONTENT_CAP);
    bode_buf_init(&subject, CONTENT_CAP);
    if (!t) {
        err = BODE_ERR_NOT_FOUND;
        goto out;
    }
    values = redacted_values(rec, t);
    pers = values ? json_dumps(values, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if (!pers)
        goto out;
    err = bode_tmpl_render_body(t, values, &body, &terr);
    if (!err && rec->channel == BODE_CHANNEL_EMAIL)
        err = bode_tmpl_render_subject(t, values, &subject, &terr);
    if (!err)
        err = bode_store_notification_redact(
            r, rec->service_id, rec->id, pers, bode_buf_str(&body),
            rec->channel == BODE_CHANNEL_EMAIL ? bode_buf_str(&subject) : NULL,
            &done);
out:
    /* Delivery stands either way; a record left unredacted is logged so an
     * operator can see it. */
    if (err || !done)
        bode_log(BODE_LOG_WARN, "personalisation not redacted",
                 BODE_LOG_S("notification_id", rec->id),
                 BODE_LOG_S("error", err ? bode_err_str(err)
                                         : "record not past created"));
    bode_free(pers);
    json_decref(values);
    bode_buf_release(&body);
    bode_buf_release(&subject);
}
