/* Request deadlines: a slot table written by libmicrohttpd's threads and
 * swept by one watchdog thread. Slots are claimed and released under the
 * lock; the stage and clock of a slot are atomics, so the per-request
 * updates on the hot path take no lock. */
#include "deadline.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>

#include "bode/alloc.h"

enum stage { S_IDLE, S_HEADERS, S_BODY, S_ANSWERING };

struct deadline_slot {
    int fd;             /* -1 when free; written under the lock */
    bool shut;          /* under the lock: shut down once, not again */
    atomic_int stage;   /* enum stage */
    atomic_llong since; /* ms when the current stage's clock started */
};

struct deadline {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    bool started;
    bool stopping; /* under the lock */
    long tick_ms;
    long request_ms;
    long idle_ms;
    deadline_expired_fn expired;
    void *cls;
    struct deadline_slot *slots;
    size_t nslots;
    size_t used;       /* slots[0..used) have been handed out at least once */
    size_t *free_list; /* indices of released slots */
    size_t nfree;
};

long long deadline_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct deadline *deadline_new(size_t max_conns, long request_ms, long idle_ms,
                              deadline_expired_fn expired, void *cls)
{
    struct deadline *d = bode_calloc(1, sizeof(*d));

    if (!d)
        return NULL;
    d->slots = bode_calloc(max_conns ? max_conns : 1, sizeof(*d->slots));
    d->free_list = bode_calloc(max_conns ? max_conns : 1, sizeof(size_t));
    if (!d->slots || !d->free_list) {
        bode_free(d->slots);
        bode_free(d->free_list);
        bode_free(d);
        return NULL;
    }
    pthread_mutex_init(&d->lock, NULL);
    pthread_cond_init(&d->wake, NULL);
    d->nslots = max_conns;
    d->request_ms = request_ms;
    d->idle_ms = idle_ms;
    d->expired = expired;
    d->cls = cls;
    return d;
}

static void *watchdog(void *arg)
{
    struct deadline *d = arg;
    struct timespec until;

    pthread_mutex_lock(&d->lock);
    while (!d->stopping) {
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += d->tick_ms / 1000;
        until.tv_nsec += (d->tick_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        if (pthread_cond_timedwait(&d->wake, &d->lock, &until) != ETIMEDOUT)
            continue;
        pthread_mutex_unlock(&d->lock);
        deadline_sweep(d, deadline_now_ms());
        pthread_mutex_lock(&d->lock);
    }
    pthread_mutex_unlock(&d->lock);
    return NULL;
}

enum bode_err deadline_start(struct deadline *d, long tick_ms)
{
    d->tick_ms = tick_ms > 0 ? tick_ms : 1;
    if (pthread_create(&d->thread, NULL, watchdog, d) != 0)
        return BODE_ERR_IO;
    d->started = true;
    return BODE_OK;
}

void deadline_free(struct deadline *d)
{
    if (!d)
        return;
    if (d->started) {
        pthread_mutex_lock(&d->lock);
        d->stopping = true;
        pthread_cond_signal(&d->wake);
        pthread_mutex_unlock(&d->lock);
        pthread_join(d->thread, NULL);
    }
    pthread_cond_destroy(&d->wake);
    pthread_mutex_destroy(&d->lock);
    bode_free(d->slots);
    bode_free(d->free_list);
    bode_free(d);
}

struct deadline_slot *deadline_open(struct deadline *d, int fd)
{
    struct deadline_slot *s = NULL;

    pthread_mutex_lock(&d->lock);
    if (d->nfree)
        s = &d->slots[d->free_list[--d->nfree]];
    else if (d->used < d->nslots)
        s = &d->slots[d->used++];
    if (s) {
        s->fd = fd;
        s->shut = false;
        atomic_store(&s->stage, S_IDLE);
        atomic_store(&s->since, deadline_now_ms());
    }
    pthread_mutex_unlock(&d->lock);
    return s;
}

void deadline_close(struct deadline *d, struct deadline_slot *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&d->lock);
    s->fd = -1;
    d->free_list[d->nfree++] = (size_t)(s - d->slots);
    pthread_mutex_unlock(&d->lock);
}

void deadline_request_line(struct deadline_slot *s)
{
    if (!s)
        return;
    atomic_store(&s->since, deadline_now_ms());
    atomic_store(&s->stage, S_HEADERS);
}

void deadline_headers_done(struct deadline_slot *s)
{
    if (s)
        atomic_store(&s->stage, S_BODY);
}

void deadline_answering(struct deadline_slot *s)
{
    if (s)
        atomic_store(&s->stage, S_ANSWERING);
}

void deadline_next_request(struct deadline_slot *s)
{
    if (!s)
        return;
    atomic_store(&s->since, deadline_now_ms());
    atomic_store(&s->stage, S_IDLE);
}

static enum deadline_phase phase_of(int stage)
{
    if (stage == S_IDLE)
        return DEADLINE_REQUEST_LINE;
    return stage == S_HEADERS ? DEADLINE_HEADERS : DEADLINE_BODY;
}

size_t deadline_sweep(struct deadline *d, long long now_ms)
{
    size_t shut = 0;
    size_t i;
    int stage;

    pthread_mutex_lock(&d->lock);
    for (i = 0; i < d->used; i++) {
        struct deadline_slot *s = &d->slots[i];

        if (s->fd < 0 || s->shut)
            continue;
        stage = atomic_load(&s->stage);
        if (stage == S_ANSWERING ||
            now_ms - atomic_load(&s->since) <=
                (stage == S_IDLE ? d->idle_ms : d->request_ms))
            continue;
        /* shutdown, not close: libmicrohttpd owns the descriptor and
         * closes it once it sees the end of the stream. */
        shutdown(s->fd, SHUT_RDWR);
        s->shut = true;
        shut++;
        if (d->expired)
            d->expired(d->cls, phase_of(stage));
    }
    pthread_mutex_unlock(&d->lock);
    return shut;
}
