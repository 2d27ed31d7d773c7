/* Everything Bode keeps in Redis: services, API keys, team members,
 * templates and notifications. The only module (with queue/) that knows key
 * names and Lua scripts; callers pass a struct bode_redis and plain structs.
 *
 * Key layout (docs/internals/store.md): every key of one service shares the
 * hash tag {s:<service id>}, so each atomic step touches one slot and a move
 * to Redis Cluster stays open. Secrets (API key secrets, callback tokens)
 * are sealed with the caller's secretbox before they are written.
 *
 * Functions that read fill caller-owned structs; those with heap fields say
 * so and have a _release. All return BODE_ERR_REDIS when Redis fails,
 * BODE_ERR_NOT_FOUND when the thing is absent, BODE_ERR_NOMEM when memory
 * runs out. None is thread safe with the same bode_redis. */
#ifndef BODE_STORE_H
#define BODE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bode/err.h"
#include "bode/model.h"
#include "bode/redis.h"
#include "bode/secretbox.h"
#include "bode/uuid.h"

/* ---- services ---- */

enum bode_permission {
    BODE_PERM_EMAIL = 1u << 0,
    BODE_PERM_SMS = 1u << 1,
    BODE_PERM_INTERNATIONAL_SMS = 1u << 2,
    BODE_PERM_SMS_TO_UK_LANDLINES = 1u << 3,
};

struct bode_service {
    char id[BODE_UUID_SIZE];
    char name[256];
    bool restricted; /* trial mode: only team and guest-list recipients */
    bool active;
    unsigned permissions;
    int rate_limit;  /* requests per 60 s per key type */
    int email_limit; /* per day; 0 = unlimited */
    int sms_limit;
    int international_sms_limit;
    char email_from[64]; /* local part of the sender address */
    char email_domain[128];
    char sms_sender[16];
    bool prefix_sms;
    int retention_days;
    char callback_url[512];
    char callback_token[256]; /* plain text in memory, sealed in Redis */
    char brand_name[128];
    char brand_logo[512];
    char brand_colour[16];
    int64_t created_at; /* microseconds */
    /* Who recipients of a sent file can contact (a URL, email address or
     * phone number); "" = sending files by email is not set up. */
    char file_contact[256];
    /* Files sent by email travel as attachments in the message instead
     * of as download links (docs/operations.md). */
    bool file_attach;
    /* The default reply-to address and SMS sender of the lists in
     * bode/senders.h ("" when none); sms_sender above is the default's
     * text. */
    char reply_to_id[BODE_UUID_SIZE];
    char reply_to[320];
    char sms_sender_id[BODE_UUID_SIZE];
    /* Statuses that trigger a delivery-status callback: a bit per enum
     * bode_status; 0 means every final status. */
    unsigned callback_statuses;
    /* The callback endpoint's health, kept by the worker
     * (bode_queue_callback_health): read here, never written by put. */
    int64_t callback_paused_at; /* 0 = not paused */
    long callback_failures;     /* failed attempts in a row */
    /* Where received texts are reported (Notify's inbound SMS callback);
     * the token is plain text in memory, sealed in Redis. */
    char inbound_callback_url[512];
    char inbound_callback_token[256];
};

/* Fills s with Notify's defaults for a new live service named name (a
 * fresh id, all channel permissions but landlines, rate 3000/min, daily
 * limits 250000/250000/100, 7 days' retention). */
enum bode_err bode_service_defaults(struct bode_service *s, const char *name);

/* Writes s (creating or replacing). box seals the callback token. */
enum bode_err bode_store_service_put(struct bode_redis *r,
                                     const struct bode_secretbox *box,
                                     const struct bode_service *s);

/* Reads service id into out, opening its sealed fields with box. */
enum bode_err bode_store_service_get(struct bode_redis *r,
                                     const struct bode_secretbox *box,
                                     const char *id, struct bode_service *out);

/* Fills ids (up to max) with every service's id and sets *n to how many
 * there are (which may exceed max). */
enum bode_err bode_store_service_list(struct bode_redis *r,
                                      char (*ids)[BODE_UUID_SIZE], size_t max,
                                      size_t *n);

/* ---- API keys ---- */

struct bode_api_key {
    char id[BODE_UUID_SIZE];
    char name[128];
    enum bode_key_type type;
    char secret[BODE_UUID_SIZE]; /* plain text in memory, sealed in Redis */
    int64_t created_at;
    int64_t revoked_at; /* 0 while the key is live */
};

#define BODE_STORE_MAX_KEYS 64

/* Adds key to service sid. */
enum bode_err bode_store_key_put(struct bode_redis *r,
                                 const struct bode_secretbox *box,
                                 const char *sid,
                                 const struct bode_api_key *key);

/* Fills keys (up to BODE_STORE_MAX_KEYS) with service sid's keys, oldest
 * first, secrets opened. *n may be 0. */
enum bode_err bode_store_key_list(struct bode_redis *r,
                                  const struct bode_secretbox *box,
                                  const char *sid, struct bode_api_key *keys,
                                  size_t *n);

/* Marks key key_id of service sid revoked at time now (microseconds).
 * BODE_ERR_NOT_FOUND if there is no such key; revoking twice keeps the
 * first time. */
enum bode_err bode_store_key_revoke(struct bode_redis *r, const char *sid,
                                    const char *key_id, int64_t now);

/* ---- replay guard ---- */

/* Records that a token of service sid with signature sig[0..len) has
 * been used, for ttl_ms, unless it already was: one atomic SET NX PX, so
 * of two API processes racing on one token exactly one sees *first true.
 * Only a digest of the signature is stored. Never retried: a retry after
 * a lost reply would see its own write and refuse a first use. */
enum bode_err bode_store_token_first_use(struct bode_redis *r, const char *sid,
                                         const void *sig, size_t len,
                                         long ttl_ms, bool *first);

/* ---- team members and guest list ---- */

/* Adds a normalised email address or phone number (E.164 digits). */
enum bode_err bode_store_team_add(struct bode_redis *r, const char *sid,
                                  const char *recipient);

/* Sets *yes when recipient is on service sid's team or guest list. */
enum bode_err bode_store_team_has(struct bode_redis *r, const char *sid,
                                  const char *recipient, bool *yes);

/* ---- templates ---- */

struct bode_template_rec {
    char id[BODE_UUID_SIZE];
    char service_id[BODE_UUID_SIZE];
    enum bode_channel type;
    char name[256];
    char *subject; /* owned; NULL for SMS */
    char *body;    /* owned */
    int version;
    int64_t created_at;
    int64_t updated_at; /* when this version was made */
    char created_by[320];
    bool archived;
    enum bode_lane lane;
};

/* Frees the owned fields; accepts a zeroed struct. */
void bode_template_rec_release(struct bode_template_rec *t);

/* Stores t's content as template t->id of service t->service_id, adding a
 * version only when something changed, and sets *version to the version
 * now current. t->version and timestamps are ignored. */
enum bode_err bode_store_template_put(struct bode_redis *r,
                                      const struct bode_template_rec *t,
                                      int *version);

/* Reads version (0 = latest) of template tid of service sid into out (the
 * caller releases it). */
enum bode_err bode_store_template_get(struct bode_redis *r, const char *sid,
                                      const char *tid, int version,
                                      struct bode_template_rec *out);

/* Reads the latest version of every template of service sid, optionally
 * only of one type (type_filter < 0 for all), newest first by creation.
 * *out is a bode_malloc'd array of *n records: release each, then free. */
enum bode_err bode_store_template_list(struct bode_redis *r, const char *sid,
                                       int type_filter,
                                       struct bode_template_rec **out,
                                       size_t *n);

/* Sets template tid of service sid to have personalisation redacted after
 * sending (Notify's redact_personalisation). One way, as in Notify: there
 * is no call to undo it. Not versioned: it applies to every version and
 * survives edits. BODE_ERR_NOT_FOUND if there is no such template. */
enum bode_err bode_store_template_redact(struct bode_redis *r, const char *sid,
                                         const char *tid);

/* Sets *yes when template tid of service sid has the flag above. */
enum bode_err bode_store_template_is_redacted(struct bode_redis *r,
                                              const char *sid, const char *tid,
                                              bool *yes);

/* ---- notifications ---- */

/* What the API has validated and rendered, ready to store. Strings are
 * borrowed; NULL means absent. */
struct bode_accept {
    const char *id;
    const char *service_id;
    enum bode_key_type key_type;
    const char *key_id;
    enum bode_channel channel;
    enum bode_lane lane;
    const char *template_id;
    int template_version;
    const char *to;              /* normalised recipient */
    const char *personalisation; /* JSON text */
    const char *reference;
    const char *subject;
    const char *body;
    const char *from; /* SMS sender or email from address */
    const char *reply_to;
    const char *one_click_unsubscribe_url;
    const char *request_id;
    int billable_units; /* SMS fragments */
    bool international;
    const char *country_prefix;
    int64_t created_at; /* microseconds */
    int retention_days;
    int rate_limit;              /* per minute; 0 = none */
    int daily_limit;             /* 0 = not counted (test keys) */
    int international_limit;     /* international texts a day */
    const char *idempotency_key; /* NULL = none */
    const char *idempotency_hash;
    const char *response; /* body to replay for the same key */

    /* Microseconds; 0 = queue now. Else the record waits in the scheduled
     * set until then (docs/internals/store.md). */
    int64_t scheduled_for;
    const char *sender_id; /* email_reply_to_id or sms_sender_id chosen */
    int attachments;       /* files the worker must attach (attachment mode) */
};

enum bode_accept_outcome {
    BODE_ACCEPT_STORED,
    BODE_ACCEPT_RATE_LIMITED,
    BODE_ACCEPT_DAILY_LIMITED,
    BODE_ACCEPT_INTERNATIONAL_LIMITED,
    BODE_ACCEPT_REPLAYED,     /* same idempotency key and body */
    BODE_ACCEPT_KEY_CONFLICT, /* same idempotency key, other body */
};

struct bode_accept_result {
    enum bode_accept_outcome outcome;
    long tokens_left;   /* rate-limit tokens remaining */
    long ms_until_full; /* until the bucket is full again */
    long ms_retry;      /* when rate limited: until one token */
    char *replayed;     /* owned: the remembered response */
};

void bode_accept_result_release(struct bode_accept_result *res);

/* Stores a notification, its listing entry and its queue entry in one
 * atomic step after checking the idempotency key, the rate limit and the
 * daily limit. On BODE_OK, res->outcome says which happened; nothing is
 * written unless it is BODE_ACCEPT_STORED. */
enum bode_err bode_store_accept(struct bode_redis *r,
                                const struct bode_accept *a,
                                struct bode_accept_result *res);

struct bode_notification {
    char id[BODE_UUID_SIZE];
    char service_id[BODE_UUID_SIZE];
    enum bode_key_type key_type;
    enum bode_channel channel;
    enum bode_status status;
    enum bode_lane lane;
    char template_id[BODE_UUID_SIZE];
    int template_version;
    char *to;                        /* owned */
    char *reference;                 /* owned; NULL if none */
    char *subject;                   /* owned; NULL for SMS */
    char *body;                      /* owned */
    char *personalisation;           /* owned JSON text */
    char *one_click_unsubscribe_url; /* owned; NULL if none */
    char *provider;                  /* owned; NULL until sent */
    int billable_units;
    bool international;
    int attempts; /* delivery attempts so far */
    int retention_days;
    int attachments;     /* files stored to attach; 0 for none */
    char request_id[48]; /* the accepting request's id, for logs */
    int64_t created_at;
    int64_t sent_at; /* 0 = not yet */
    int64_t updated_at;
    int64_t scheduled_for; /* 0 = not scheduled */
    /* Chosen at accept: the SMS sender, or the email reply-to address
     * (NULL when none), and the id it came from ("" for the default). */
    char *reply_to_text; /* owned */
    char sender_id[BODE_UUID_SIZE];
};

void bode_notification_release(struct bode_notification *n);

/* Reads notification id of service sid. */
enum bode_err bode_store_notification_get(struct bode_redis *r, const char *sid,
                                          const char *id,
                                          struct bode_notification *out);

struct bode_list_filter {
    enum bode_key_type key_type; /* only notifications sent with it */
    unsigned channels;           /* bit per enum bode_channel; 0 = any */
    unsigned statuses;           /* bit per enum bode_status; 0 = any */
    const char *reference;       /* NULL = any */
    const char *older_than;      /* an id; NULL = from the newest */

    /* Also notifications of bulk jobs (Notify's include_jobs). */
    bool include_jobs;
};

/* Reads up to limit notifications of service sid matching f, newest
 * first. *out is a bode_malloc'd array of *n records: release each, then
 * free. An older_than id that does not exist gives an empty list. */
enum bode_err
bode_store_notification_list(struct bode_redis *r, const char *sid,
                             const struct bode_list_filter *f, size_t limit,
                             struct bode_notification **out, size_t *n);

/* ---- files sent by email (src/store/document.c) ---- */

/* Stores blob[0..len) as document did of service sid, expiring after
 * ttl_s seconds, in one command. The store never sees the key that
 * opens it. BODE_ERR_INVALID for ids that are not UUIDs. */
enum bode_err bode_store_document_put(struct bode_redis *r, const char *sid,
                                      const char *did, const void *blob,
                                      size_t len, long long ttl_s);

/* Reads document did of service sid into *blob (bode_malloc'd, the
 * caller frees) and *len. BODE_ERR_NOT_FOUND when absent or expired. */
enum bode_err bode_store_document_get(struct bode_redis *r, const char *sid,
                                      const char *did, char **blob,
                                      size_t *len);

/* Removes document did of service sid; absent is not an error. */
enum bode_err bode_store_document_delete(struct bode_redis *r, const char *sid,
                                         const char *did);

/* The attachments of notification nid of service sid (attachment mode): a
 * text list the caller seals, expiring after ttl_s seconds. get gives a
 * bode_malloc'd NUL-terminated copy (the caller frees);
 * BODE_ERR_NOT_FOUND when there is none. */
enum bode_err bode_store_attachments_put(struct bode_redis *r, const char *sid,
                                         const char *nid, const char *list,
                                         long long ttl_s);
enum bode_err bode_store_attachments_get(struct bode_redis *r, const char *sid,
                                         const char *nid, char **list);
enum bode_err bode_store_attachments_delete(struct bode_redis *r,
                                            const char *sid, const char *nid);
/* Overwrites notification id's stored personalisation with the JSON
 * text personalisation, and its body and subject (subject NULL: left
 * alone), and marks it redacted, only if the record exists and is past
 * `created` (*done says whether it did). For the worker, after a provider
 * accepted a message whose template has the redact flag. */
enum bode_err bode_store_notification_redact(struct bode_redis *r,
                                             const char *sid, const char *id,
                                             const char *personalisation,
                                             const char *body,
                                             const char *subject, bool *done);

#endif
