/* Bode benchmark load generator: libcurl multi, HTTP/1.1 keep-alive.
 *
 * Notify mode (--service and --key given) POSTs email or SMS notifications
 * with a fresh Notify JWT minted every second; URL mode (no key) POSTs a
 * fixed body to any URL. Flat out at a given concurrency, or at a fixed
 * rate (latency then counts from the scheduled start, so a stall is not
 * hidden by coordinated omission). Stops after --duration seconds or
 * --count requests, whichever comes first, and prints one JSON object. */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bode/jwt.h"

#define MAX_CONC 4096
#define N_STATUS 600

struct slot {
    CURL *h;
    struct curl_slist *hdrs;
    long tok_gen; /* token generation the headers carry */
    double started;
    bool busy;
};

struct opts {
    const char *url;
    const char *service;
    const char *key;
    const char *channel;
    const char *template_id;
    const char *to;
    const char *personalisation;
    const char *body;
    int conc;
    double duration;
    double rate;
    long count;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t discard(char *p, size_t sz, size_t n, void *u)
{
    (void)p;
    (void)u;
    return sz * n;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static bool parse_num(const char *s, double *out)
{
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    return errno == 0 && end != s && *end == '\0';
}

static void usage(void)
{
    fputs("usage: loadgen --url URL [--concurrency N] [--duration S] "
          "[--rate R] [--count N]\n"
          "  Notify mode: --service ID --key KEY --template ID --to ADDR\n"
          "               [--channel email|sms] [--personalisation JSON]\n"
          "  URL mode:    [--body JSON]\n",
          stderr);
}

static bool parse_opts(int argc, char **argv, struct opts *o)
{
    static const struct option lo[] = {
        {"url", required_argument, NULL, 'u'},
        {"service", required_argument, NULL, 's'},
        {"key", required_argument, NULL, 'k'},
        {"channel", required_argument, NULL, 'C'},
        {"template", required_argument, NULL, 't'},
        {"to", required_argument, NULL, 'T'},
        {"personalisation", required_argument, NULL, 'p'},
        {"body", required_argument, NULL, 'b'},
        {"concurrency", required_argument, NULL, 'c'},
        {"duration", required_argument, NULL, 'd'},
        {"rate", required_argument, NULL, 'r'},
        {"count", required_argument, NULL, 'n'},
        {NULL, 0, NULL, 0}};
    int ch;
    double v;

    memset(o, 0, sizeof(*o));
    o->channel = "email";
    o->personalisation = "{}";
    o->body = "{\"hello\": \"world\"}";
    o->conc = 64;
    o->duration = 10;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case 'u':
            o->url = optarg;
            break;
        case 's':
            o->service = optarg;
            break;
        case 'k':
            o->key = optarg;
            break;
        case 'C':
            o->channel = optarg;
            break;
        case 't':
            o->template_id = optarg;
            break;
        case 'T':
            o->to = optarg;
            break;
        case 'p':
            o->personalisation = optarg;
            break;
        case 'b':
            o->body = optarg;
            break;
        case 'c':
            if (!parse_num(optarg, &v) || v < 1 || v > MAX_CONC)
                return false;
            o->conc = (int)v;
            break;
        case 'd':
            if (!parse_num(optarg, &v) || v <= 0 || v > 86400)
                return false;
            o->duration = v;
            break;
        case 'r':
            if (!parse_num(optarg, &v) || v < 0)
                return false;
            o->rate = v;
            break;
        case 'n':
            if (!parse_num(optarg, &v) || v < 1)
                return false;
            o->count = (long)v;
            break;
        default:
            return false;
        }
    }
    if (!o->url)
        return false;
    if (o->key &&
        (!o->service || !o->template_id || !o->to || strlen(o->key) < 36))
        return false;
    if (strcmp(o->channel, "email") != 0 && strcmp(o->channel, "sms") != 0)
        return false;
    return true;
}

/* The Authorization header for this second's token. */
static bool mint(const struct opts *o, char *hdr, size_t size)
{
    char tok[1024];
    const char *secret = o->key + strlen(o->key) - 36;

    if (bode_jwt_sign(o->service, (int64_t)time(NULL), secret, 36, tok,
                      sizeof(tok)) != BODE_OK)
        return false;
    return snprintf(hdr, size, "Authorization: Bearer %s", tok) < (int)size;
}

static void set_headers(struct slot *s, const char *auth, long gen)
{
    curl_slist_free_all(s->hdrs);
    s->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    s->hdrs = curl_slist_append(s->hdrs, "Expect:");
    if (auth)
        s->hdrs = curl_slist_append(s->hdrs, auth);
    curl_easy_setopt(s->h, CURLOPT_HTTPHEADER, s->hdrs);
    s->tok_gen = gen;
}

struct samples {
    uint32_t *us;
    size_t n, cap;
};

static void add_sample(struct samples *sm, double secs)
{
    double us = secs * 1e6;
    if (sm->n == sm->cap) {
        size_t cap = sm->cap ? sm->cap * 2 : 65536;
        uint32_t *p = realloc(sm->us, cap * sizeof(*p));
        if (!p)
            return;
        sm->us = p;
        sm->cap = cap;
    }
    sm->us[sm->n++] = us > 4e9 ? 4000000000u : (uint32_t)us;
}

static double pct(const struct samples *sm, double p)
{
    size_t i;
    if (sm->n == 0)
        return 0;
    i = (size_t)(p / 100.0 * (double)(sm->n - 1) + 0.5);
    return sm->us[i] / 1000.0;
}

int main(int argc, char **argv)
{
    struct opts o;
    static struct slot slots[MAX_CONC];
    static long status[N_STATUS];
    struct samples sm = {0};
    char body[8192];
    char auth[1200];
    const char *auth_p = NULL;
    long gen = 0, sent = 0, done = 0, ok = 0, polled_done = 0;
    double start, end, next_due, last_mint = 0;
    CURLM *m;
    int i, running;
    bool first;

    if (!parse_opts(argc, argv, &o)) {
        usage();
        return 2;
    }
    if (o.key) {
        bool email = strcmp(o.channel, "email") == 0;
        if (snprintf(body, sizeof(body),
                     "{\"%s\": \"%s\", \"template_id\": \"%s\", "
                     "\"personalisation\": %s}",
                     email ? "email_address" : "phone_number", o.to,
                     o.template_id, o.personalisation) >= (int)sizeof(body))
            return 2;
        if (!mint(&o, auth, sizeof(auth)))
            return 2;
        auth_p = auth;
        gen = 1;
    } else if (snprintf(body, sizeof(body), "%s", o.body) >=
               (int)sizeof(body)) {
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    m = curl_multi_init();
    curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)o.conc);
    curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)o.conc);
    for (i = 0; i < o.conc; i++) {
        CURL *h = curl_easy_init();
        slots[i].h = h;
        curl_easy_setopt(h, CURLOPT_URL, o.url);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
        curl_easy_setopt(h, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 30000L);
        curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
        curl_easy_setopt(h, CURLOPT_PRIVATE, &slots[i]);
        set_headers(&slots[i], auth_p, gen);
    }
    start = now_s();
    last_mint = start;
    end = start + o.duration;
    next_due = start;
    first = true;
    for (;;) {
        double t = now_s();
        CURLMsg *msg;
        int left, timeout_ms = 100;

        if (auth_p && t - last_mint >= 1.0) {
            if (mint(&o, auth, sizeof(auth)))
                gen++;
            last_mint = t;
        }
        /* Start requests on free slots. */
        for (i = 0; i < o.conc && t < end && (!o.count || sent < o.count);
             i++) {
            struct slot *s = &slots[i];
            if (s->busy)
                continue;
            if (o.rate > 0 && next_due > t)
                break;
            if (auth_p && s->tok_gen != gen)
                set_headers(s, auth_p, gen);
            s->started = o.rate > 0 ? next_due : t;
            s->busy = true;
            curl_multi_add_handle(m, s->h);
            sent++;
            if (o.rate > 0)
                next_due = start + (double)sent / o.rate;
        }
        curl_multi_perform(m, &running);
        while ((msg = curl_multi_info_read(m, &left))) {
            struct slot *s;
            long code = 0;
            if (msg->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &s);
            if (msg->data.result == CURLE_OK)
                curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &code);
            if (code < 0 || code >= N_STATUS)
                code = 0;
            status[code]++;
            if (code >= 200 && code < 300)
                ok++;
            add_sample(&sm, now_s() - s->started);
            curl_multi_remove_handle(m, s->h);
            s->busy = false;
            done++;
        }
        t = now_s();
        if (done == sent && (t >= end || (o.count && sent >= o.count)))
            break;
        if (t > end + 35)
            break; /* a request stuck beyond its timeout */
        if (o.rate > 0 && next_due > t) {
            double w = (next_due - t) * 1000;
            timeout_ms = w < 1 ? 1 : (w > 100 ? 100 : (int)w);
        } else if (o.rate > 0) {
            timeout_ms = 0;
        }
        /* Slots freed above are refilled only at the top of the loop:
         * waiting here first would leave them idle for up to 100 ms
         * whenever every request in flight had just finished. */
        if (first || done > polled_done) {
            first = false;
            timeout_ms = 0;
        }
        polled_done = done;
        curl_multi_poll(m, NULL, 0, timeout_ms, NULL);
    }
    end = now_s();
    qsort(sm.us, sm.n, sizeof(*sm.us), cmp_u32);
    {
        double el = end - start;
        bool comma = false;
        printf("{\"url\": \"%s\", \"mode\": \"%s\", \"concurrency\": %d, "
               "\"rate\": %.0f, \"requests\": %ld, \"ok\": %ld, "
               "\"errors\": {",
               o.url, o.key ? o.channel : "url", o.conc, o.rate, done, ok);
        for (i = 0; i < N_STATUS; i++) {
            if (status[i] && (i < 200 || i >= 300)) {
                printf("%s\"%d\": %ld", comma ? ", " : "", i, status[i]);
                comma = true;
            }
        }
        printf("}, \"elapsed_s\": %.3f, \"throughput\": %.1f, "
               "\"latency_ms\": {\"p50\": %.3f, \"p90\": %.3f, "
               "\"p99\": %.3f, \"max\": %.3f}}\n",
               el, el > 0 ? (double)done / el : 0.0, pct(&sm, 50), pct(&sm, 90),
               pct(&sm, 99), pct(&sm, 100));
    }
    for (i = 0; i < o.conc; i++) {
        curl_multi_remove_handle(m, slots[i].h);
        curl_easy_cleanup(slots[i].h);
        curl_slist_free_all(slots[i].hdrs);
    }
    curl_multi_cleanup(m);
    curl_global_cleanup();
    free(sm.us);
    return 0;
}
