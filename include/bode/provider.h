/* Delivery providers: one small interface, one file per provider in
 * src/providers/. A provider turns a rendered message into a libcurl easy
 * handle (or delivers it at once, like the sandbox), classifies what came
 * back, and parses the receipts its service posts to Bode's webhook.
 *
 * The worker owns every struct bode_delivery and the curl multi handle it
 * runs them on; providers never block and never touch Redis. A provider
 * instance is made once per worker from configuration and is then used
 * from that worker's one thread only. */
#ifndef BODE_PROVIDER_H
#define BODE_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>

#include "bode/buf.h"
#include "bode/err.h"
#include "bode/model.h"

typedef void CURL_handle; /* CURL, without making callers include curl */

/* A file sent with an email (a service in attachment mode). */
struct bode_attachment {
    const char *filename; /* UTF-8, never empty */
    const char *mimetype; /* one of the supported types */
    const unsigned char *data;
    size_t len;
};

/* A message ready to go: everything rendered, every address validated.
 * All strings borrowed for the duration of start(). */
struct bode_message {
    const char *id; /* the notification id: a provider's idempotency key */
    enum bode_channel channel;
    const char *to; /* email: ASCII (A-label) address; SMS: E.164 digits */
    /* email */
    const char *from_address; /* e.g. notify@service.example */
    const char *from_name;    /* display name, e.g. the service name */
    const char *reply_to;     /* NULL for none */
    const char *subject;
    const char *html;                      /* complete HTML document */
    const char *text;                      /* plain-text part */
    const char *one_click_unsubscribe_url; /* NULL for none */
    /* sms */
    const char *sms_text;   /* as sent, prefix included */
    const char *sms_sender; /* alphanumeric sender or number */
    const char *reference;  /* the client's reference, NULL for none */
    /* email: files to attach (none: NULL, 0) */
    const struct bode_attachment *attachments;
    size_t n_attachments;
};

enum bode_outcome {
    BODE_OUTCOME_SENDING,   /* accepted by the provider; a receipt follows */
    BODE_OUTCOME_DELIVERED, /* final already (sandbox, some SMTP setups) */
    BODE_OUTCOME_SENT,      /* handed over, no receipt will come */
    BODE_OUTCOME_TEMPORARY, /* try again later (5xx, 408, 429, timeouts,
                               connection errors, SMTP 4xx) */
    BODE_OUTCOME_PERMANENT, /* never works for this recipient (4xx but
                               408/429, SMTP 5xx): permanent-failure */
    BODE_OUTCOME_TECHNICAL, /* never works as sent, and not because of the
                               recipient: the provider refused our request
                               or account (401/403, bad parameter, SMTP
                               auth). technical-failure, no retry, as
                               Notify's EmailClientNonRetryableException */
};

struct bode_provider_result {
    enum bode_outcome outcome;
    char reference[128]; /* the provider's id for the message, "" if none */
    long retry_after_s;  /* from Retry-After; 0 when not given */
    bool ambiguous;      /* timed out after sending: may have been sent */
    char detail[256];    /* for logs: status and a short reason; never the
                            recipient or content */
};

/* One attempt in flight. The worker zeroes it, calls start, runs easy (if
 * set) on its multi handle, then calls finish and release. */
struct bode_delivery {
    CURL_handle *easy;        /* set by start when a request is needed */
    struct bode_buf response; /* the worker appends the response body,
                                 capped at 64 KiB */
    long timeout_ms;          /* the worker's per-request timeout */
    void *data;               /* the provider's own per-attempt state */
};

struct bode_provider;

/* How a provider reads its settings (BODE_SMTP_URL, ...): the worker passes
 * a lookup over its configuration file and the environment. NULL = unset. */
typedef const char *(*bode_setting_fn)(void *ctx, const char *name);

/* A receipt webhook request, as the API received it. */
struct bode_receipt_request {
    const char *url; /* the full URL the provider called (for signatures) */
    const char *body;
    size_t body_len;
    const char *(*header)(void *ctx, const char *name);
    void *ctx;
};

/* What a receipt says about one notification. */
struct bode_receipt {
    char reference[128];      /* provider reference, or "" */
    char notification_id[37]; /* when the provider echoes ours, or "" */
    enum bode_status status;  /* sending, pending, delivered, sent or a
                                 failure status */
    bool complaint;           /* a spam complaint (SES): status is
                                 delivered; the service's complaint
                                 callback is due */
    char detail[256];
};

/* An inbound text as a provider's webhook reports it. Numbers are as the
 * provider gave them (the API normalises them); content is the text's
 * bytes, not yet checked as UTF-8. */
#define BODE_INBOUND_CONTENT_MAX 8192
struct bode_inbound {
    char from[64];       /* the sender's number */
    char to[64];         /* the number it was sent to: one of ours */
    char reference[128]; /* the provider's message id, "" if none */
    char content[BODE_INBOUND_CONTENT_MAX];
    size_t content_len;
};

struct bode_provider_ops {
    const char *name;  /* "sandbox", "smtp", "ses", "sns", "twilio", "http" */
    unsigned channels; /* bit per enum bode_channel */
    /* Every setting name create may read, NULL-terminated, so a config
     * file can accept exactly these and --help can list them. */
    const char *const *settings;

    /* Makes an instance from settings. BODE_ERR_INVALID with why filled
     * for missing or bad settings. */
    enum bode_err (*create)(bode_setting_fn get, void *ctx,
                            struct bode_provider **out, char *why,
                            size_t why_size);
    void (*destroy)(struct bode_provider *p);

    /* Starts delivering m. Either sets d->easy (a configured easy handle
     * the worker will run) and returns BODE_OK, or delivers at once and
     * fills *done, setting d->easy to NULL. Errors: BODE_ERR_INVALID for a
     * message this provider cannot send (permanent), BODE_ERR_NOMEM. */
    enum bode_err (*start)(struct bode_provider *p,
                           const struct bode_message *m,
                           struct bode_delivery *d,
                           struct bode_provider_result *done);

    /* Classifies a finished request: curl_code is the CURLcode, status the
     * HTTP or SMTP response code (0 if none), d->response the body. */
    void (*finish)(struct bode_provider *p, struct bode_delivery *d,
                   int curl_code, long status,
                   struct bode_provider_result *out);

    /* Frees d->data and d->easy (and anything hanging off them). */
    void (*release)(struct bode_provider *p, struct bode_delivery *d);

    /* Verifies and parses a receipt webhook. BODE_ERR_AUTH when its
     * signature or shared secret does not check out, BODE_ERR_INVALID when
     * it cannot be parsed; NULL when the provider has no receipts. Up to
     * max receipts; *n set to how many. */
    enum bode_err (*receipt)(struct bode_provider *p,
                             const struct bode_receipt_request *req,
                             struct bode_receipt *out, size_t max, size_t *n);

    /* Verifies and parses an inbound-SMS webhook with the same checks as
     * receipt: BODE_ERR_AUTH for a bad signature or secret,
     * BODE_ERR_INVALID when a field is missing or malformed,
     * BODE_ERR_TOO_BIG when the text is over BODE_INBOUND_CONTENT_MAX.
     * NULL when the provider receives no texts. */
    enum bode_err (*inbound)(struct bode_provider *p,
                             const struct bode_receipt_request *req,
                             struct bode_inbound *out);
};

/* The providers built in, by name; NULL if unknown. */
const struct bode_provider_ops *bode_provider_find(const char *name);

/* The ops of an instance. */
const struct bode_provider_ops *
bode_provider_ops(const struct bode_provider *p);

#endif
