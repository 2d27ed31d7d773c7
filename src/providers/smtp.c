/* The SMTP provider: sends the MIME message from mime.c through libcurl's
 * SMTP client (SMTPS or STARTTLS, AUTH) and classifies reply codes. Must
 * pass envelope addresses only through MAIL FROM/RCPT TO options, never
 * through text a message could shape. */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "bode/alloc.h"
#include "provider_int.h"

struct smtp {
    struct bode_provider base;
    char *url;
    char *user;
    char *password;
    char *ca_file;
    char *mail_from;    /* envelope sender; NULL: the message's From */
    char *msgid_domain; /* NULL: the From address's domain */
    long use_ssl;       /* CURLUSESSL_* */
    long timeout_ms;
    enum bode_outcome accepted;
};

static const char *const settings[] = {"BODE_SMTP_URL",
                                       "BODE_SMTP_USER",
                                       "BODE_SMTP_PASSWORD",
                                       "BODE_SMTP_STARTTLS",
                                       "BODE_SMTP_TIMEOUT_MS",
                                       "BODE_SMTP_CA_FILE",
                                       "BODE_SMTP_MAIL_FROM",
                                       "BODE_SMTP_MESSAGE_ID_DOMAIN",
                                       "BODE_SMTP_ACCEPTED_STATUS",
                                       NULL};

static void smtp_destroy(struct bode_provider *p)
{
    struct smtp *s = (struct smtp *)p;

    if (!s)
        return;
    bode_free(s->url);
    bode_free(s->user);
    if (s->password) {
        explicit_bzero(s->password, strlen(s->password));
        bode_free(s->password);
    }
    bode_free(s->ca_file);
    bode_free(s->mail_from);
    bode_free(s->msgid_domain);
    bode_free(s);
}

/* smtp:// or smtps://, printable ASCII, no credentials in the URL (they
 * belong in BODE_SMTP_USER/PASSWORD, which are never logged). */
static bool url_is_ok(const char *url, bool *implicit_tls)
{
    const char *host;
    const char *end;
    const char *p;

    if (strncmp(url, "smtps://", 8) == 0) {
        *implicit_tls = true;
        host = url + 8;
    } else if (strncmp(url, "smtp://", 7) == 0) {
        *implicit_tls = false;
        host = url + 7;
    } else {
        return false;
    }
    for (p = url; *p; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
            return false;
    end = strchr(host, '/');
    if (!end)
        end = host + strlen(host);
    return end > host && !memchr(host, '@', (size_t)(end - host));
}

static enum bode_err smtp_create(bode_setting_fn get, void *ctx,
                                 struct bode_provider **out, char *why,
                                 size_t why_size)
{
    static const char *const tls_name[] = {"BODE_SMTP_STARTTLS"};
    struct smtp *s = bode_calloc(1, sizeof(*s));
    const char *tls;
    bool implicit_tls = false;
    enum bode_err err;

    *out = NULL;
    if (!s)
        return BODE_ERR_NOMEM;
    s->base.ops = &prov_smtp_ops;
    err = prov_setting_dup(get, ctx, "BODE_SMTP_URL", &s->url);
    if (!err)
        err = prov_setting_dup(get, ctx, "BODE_SMTP_USER", &s->user);
    if (!err)
        err = prov_setting_dup(get, ctx, "BODE_SMTP_PASSWORD", &s->password);
    if (!err)
        err = prov_setting_dup(get, ctx, "BODE_SMTP_CA_FILE", &s->ca_file);
    if (!err)
        err = prov_setting_dup(get, ctx, "BODE_SMTP_MAIL_FROM", &s->mail_from);
    if (!err)
        err = prov_setting_dup(get, ctx, "BODE_SMTP_MESSAGE_ID_DOMAIN",
                               &s->msgid_domain);
    if (!err)
        err = prov_setting_ms(get, ctx, "BODE_SMTP_TIMEOUT_MS", 0, 100, 600000,
                              &s->timeout_ms, why, why_size);
    if (!err)
        err = prov_setting_outcome(get, ctx, "BODE_SMTP_ACCEPTED_STATUS",
                                   BODE_OUTCOME_DELIVERED, &s->accepted, why,
                                   why_size);
    if (err)
        goto out;
    if (!s->url || !url_is_ok(s->url, &implicit_tls)) {
        err = prov_why(why, why_size,
                       "BODE_SMTP_URL: must be smtp://host[:port] or "
                       "smtps://host[:port], without credentials");
        goto out;
    }
    if (!s->user != !s->password) {
        err = prov_why(why, why_size,
                       "BODE_SMTP_USER and BODE_SMTP_PASSWORD go together");
        goto out;
    }
    if (s->mail_from && !prov_address_is_safe(s->mail_from)) {
        err = prov_why(why, why_size, "BODE_SMTP_MAIL_FROM: not an address");
        goto out;
    }
    tls = prov_setting(get, ctx, tls_name, 1);
    if (implicit_tls || (tls && strcmp(tls, "required") == 0)) {
        s->use_ssl = (long)CURLUSESSL_ALL;
    } else if (tls && strcmp(tls, "no") == 0) {
        s->use_ssl = (long)CURLUSESSL_NONE;
    } else if (!tls || strcmp(tls, "yes") == 0) {
        /* With credentials, an attacker who strips STARTTLS would read the
         * password: "yes" then means "required". */
        s->use_ssl = (long)(s->user ? CURLUSESSL_ALL : CURLUSESSL_TRY);
    } else {
        err = prov_why(why, why_size,
                       "BODE_SMTP_STARTTLS: must be yes, no or required");
        goto out;
    }
out:
    if (err) {
        smtp_destroy(&s->base);
        return err;
    }
    *out = &s->base;
    return BODE_OK;
}

static size_t on_read(char *buf, size_t size, size_t nitems, void *ud)
{
    struct prov_attempt *a = ud;
    size_t room = size * nitems;
    size_t left = a->body.len - a->read_pos;
    size_t n = left < room ? left : room;

    if (n)
        memcpy(buf, a->body.data + a->read_pos, n);
    a->read_pos += n;
    return n;
}

/* "<addr>" for MAIL FROM and RCPT TO. */
static enum bode_err angle(const char *addr, char *out, size_t size)
{
    int n = snprintf(out, size, "<%s>", addr);

    return n < 0 || (size_t)n >= size ? BODE_ERR_TOO_BIG : BODE_OK;
}

static enum bode_err setup_easy(struct smtp *s, struct bode_delivery *d,
                                struct prov_attempt *a, const char *from)
{
    long timeout = prov_timeout(s->timeout_ms, d);
    CURLcode rc;
    CURL *e = curl_easy_init();

    if (!e)
        return BODE_ERR_NOMEM;
    d->easy = e;
    rc = curl_easy_setopt(e, CURLOPT_URL, s->url);
    if (!rc)
        rc = curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    if (!rc)
        rc = curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    if (!rc)
        rc = curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout);
    if (!rc)
        rc = curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                              timeout < 10000 ? timeout : 10000L);
    if (!rc)
        rc = curl_easy_setopt(e, CURLOPT_USE_SSL, s->use_ssl);
    if (!rc && s->user)
        rc = curl_easy_setopt(e, CURLOPT_USERNAME, s->user);
    if (!rc && s->password)
        rc = curl_easy_setopt(e, CURLOPT_PASSWORD, s->password);
    if (!rc && s->ca_file)
        rc = curl_easy_setopt(e, CURLOPT_CAINFO, s->ca_file);
    if (!rc)
        rc = curl_easy_setopt(e, CURLOPT_MAIL_FROM, from);
    if (!rc)
        rc = curl_easy_setopt(e, CURLOPT_MAIL_RCPT, a->rcpt);
    if (!rc)
        rc = curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
    if (!rc)
        rc = curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
    if (!rc)
        rc = curl_easy_setopt(e, CURLOPT_READDATA, a);
    if (!rc)
        rc = curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE,
                              (curl_off_t)a->body.len);
    return rc == CURLE_OK ? BODE_OK : BODE_ERR_NOMEM;
}

static enum bode_err smtp_start(struct bode_provider *p,
                                const struct bode_message *m,
                                struct bode_delivery *d,
                                struct bode_provider_result *done)
{
    struct smtp *s = (struct smtp *)p;
    const struct prov_mime_opts opts = {.msgid_domain = s->msgid_domain};
    struct prov_attempt *a = NULL;
    struct curl_slist *rcpt;
    char why[200] = "";
    char from[260];
    char to[260];
    enum bode_err err;

    memset(done, 0, sizeof(*done));
    d->easy = NULL;
    if (m->channel != BODE_CHANNEL_EMAIL) {
        snprintf(done->detail, sizeof(done->detail), "smtp: email only");
        return BODE_ERR_INVALID;
    }
    err = prov_attempt_new(d, PROV_MIME_CAP, &a);
    if (err)
        return err;
    err = prov_mime_build(m, &opts, &a->body, why, sizeof(why));
    if (err == BODE_ERR_TOO_BIG) {
        snprintf(why, sizeof(why), "message over %u bytes", PROV_MIME_CAP);
        err = BODE_ERR_INVALID;
    }
    if (!err)
        err = prov_message_id(m, s->msgid_domain, a->reference,
                              sizeof(a->reference));
    if (!err)
        err = angle(s->mail_from ? s->mail_from : m->from_address, from,
                    sizeof(from));
    if (!err)
        err = angle(m->to, to, sizeof(to));
    if (err)
        goto out;
    rcpt = curl_slist_append(NULL, to);
    if (!rcpt) {
        err = BODE_ERR_NOMEM;
        goto out;
    }
    a->rcpt = rcpt;
    err = setup_easy(s, d, a, from);
out:
    if (err == BODE_ERR_INVALID || err == BODE_ERR_TOO_BIG) {
        snprintf(done->detail, sizeof(done->detail), "smtp: %s",
                 why[0] ? why : "message not safe to send");
        err = BODE_ERR_INVALID;
    }
    if (err)
        prov_release(p, d);
    return err;
}

/* RFC 5321 section 4.2.1: 4yz transient, 5yz permanent; the AUTH replies
 * (RFC 4954) say our account is wrong, not the recipient. */
static enum bode_outcome reply_outcome(long code)
{
    if (code >= 400 && code <= 499)
        return BODE_OUTCOME_TEMPORARY;
    if (code == 530 || code == 534 || code == 535 || code == 538)
        return BODE_OUTCOME_TECHNICAL;
    return BODE_OUTCOME_PERMANENT;
}

static void smtp_finish(struct bode_provider *p, struct bode_delivery *d,
                        int curl_code, long status,
                        struct bode_provider_result *out)
{
    struct smtp *s = (struct smtp *)p;
    struct prov_attempt *a = d->data;
    char curl_text[160];

    memset(out, 0, sizeof(*out));
    if (a)
        snprintf(out->reference, sizeof(out->reference), "%s", a->reference);
    if (curl_code == CURLE_OK) {
        out->outcome = s->accepted;
        snprintf(out->detail, sizeof(out->detail), "SMTP %ld", status);
        return;
    }
    prov_curl_detail(curl_text, sizeof(curl_text), curl_code);
    if (status >= 400 && status <= 599) {
        out->outcome = reply_outcome(status);
        snprintf(out->detail, sizeof(out->detail), "SMTP %ld (%s)", status,
                 curl_text);
        return;
    }
    out->outcome = prov_classify_curl(curl_code);
    out->ambiguous = out->outcome == BODE_OUTCOME_TEMPORARY &&
                     prov_is_ambiguous(d, curl_code, a ? a->body.len : 0);
    snprintf(out->detail, sizeof(out->detail), "%s", curl_text);
}

const struct bode_provider_ops prov_smtp_ops = {
    .name = "smtp",
    .channels = 1u << BODE_CHANNEL_EMAIL,
    .settings = settings,
    .create = smtp_create,
    .destroy = smtp_destroy,
    .start = smtp_start,
    .finish = smtp_finish,
    .release = prov_release,
    .receipt = NULL,
};
