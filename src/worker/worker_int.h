/* Private to worker/: the caches and tables the delivery loop keeps. */
#ifndef BODE_WORKER_INT_H
#define BODE_WORKER_INT_H

#include <curl/curl.h>

#include "attach.h"
#include "bode/provider.h"
#include "bode/queue.h"
#include "bode/retry.h"
#include "bode/store.h"
#include "bode/template.h"

#define MAX_STREAMS 512
#define MAX_PROVIDERS 4
#define SERVICE_SLOTS 64
#define TEMPLATE_SLOTS 128

struct provider_slot {
    struct bode_provider *p;
    struct bode_breaker breaker;
};

struct job_service;

/* The last read of one service: snap is shared by the jobs that started
 * with it and outlives the slot while any of them is in flight. */
struct service_slot {
    int64_t fetched;
    char id[BODE_UUID_SIZE];
    struct job_service *snap; /* NULL when the slot is empty */
};

struct template_slot {
    char key[120]; /* sid:tid:version */
    struct bode_tmpl *tmpl;
    int64_t used_at;
};

#define REDACT_SLOTS 64

/* Whether a template has redact_personalisation, as last read. */
struct redact_slot {
    char key[80]; /* sid:tid */
    bool yes;
    int64_t fetched;
};

/* An outcome waiting to be written with the others of this round (one
 * pipelined round trip for all). Owns copies of everything it names. */
struct pending_transition {
    struct bode_transition t;
    struct bode_queue_entry entry;
    char service_id[BODE_UUID_SIZE];
    char notification_id[BODE_UUID_SIZE];
    char provider[32];
    char ref[128];
    char detail[256];
};

/* What a job needs of its service, as read when the job started (the
 * cache may read a newer one under a job in flight). One copy per read,
 * shared by reference: a copy in every job was 1.1 KB times hundreds of
 * jobs. */
#define JOB_FIELD(f) sizeof(((struct bode_service *)0)->f)
struct job_service {
    int refs; /* the cache slot's and each job's */
    char name[JOB_FIELD(name)];
    char email_from[JOB_FIELD(email_from)];
    char email_domain[JOB_FIELD(email_domain)];
    char sms_sender[JOB_FIELD(sms_sender)];
    char brand_name[JOB_FIELD(brand_name)];
    char brand_logo[JOB_FIELD(brand_logo)];
    char brand_colour[JOB_FIELD(brand_colour)];
    int retention_days;
    bool active;
    bool prefix_sms;
    bool file_attach;
    bool has_callback;
};

/* One notification being delivered. */
struct job {
    bool used;
    struct bode_queue_entry entry;
    struct bode_notification rec;
    struct job_service *svc; /* a reference; NULL until deliver */
    struct bode_delivery d;
    int provider;  /* index into the channel's provider list */
    bool in_multi; /* d.easy is on the multi handle */
    bool rendered; /* subject, html, text or sms hold the message */
    /* Rendered content; the message points into these. */
    struct bode_buf subject;
    struct bode_buf html;
    struct bode_buf text;
    struct bode_buf sms;
    /* Email only, owned, set by prepare: heap strings rather than room in
     * every job (1.5 KB each, times hundreds in flight). */
    char *from;      /* the service's sender address */
    char *to_ascii;  /* the recipient with its domain in ASCII (IDNA) */
    int64_t sent_at; /* when the current provider was given it */
    /* Files sent as attachments (attach.c); NULL unless the service is
     * in attachment mode: most jobs never need the room. */
    struct bode_attach_set *att;
};

/* redact.c: Notify's redact_personalisation after a provider accepted.
 * worker_redact_wanted says whether rec's template has the flag (cached
 * per template for a few seconds; a Redis error counts as no).
 * worker_redact overwrites rec's stored personalisation (every value
 * "<redacted>"), body and subject (re-rendered from t with those values)
 * once the record's hand-over is saved; failures are logged, never fatal
 * to delivery. */
bool worker_redact_wanted(struct bode_redis *r, struct redact_slot *cache,
                          const struct bode_notification *rec, int64_t now);
void worker_redact(struct bode_redis *r, const struct bode_notification *rec,
                   const struct bode_tmpl *t);

#endif
