/* Bode benchmark provider stub: answers every POST with HTTP 200
 * {"id": "stub-N"} after --latency-ms (suspended connections resumed by a
 * timer thread, so a 50 ms latency holds no MHD thread), or, with
 * probability --error-rate, 503. GET /count answers {"requests": N}, the
 * number of POSTs seen so far (the bench counts deliveries with it).
 * Listens on 127.0.0.1 only; runs until SIGTERM or SIGINT. */
#include <errno.h>
#include <getopt.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct req {
    struct MHD_Connection *conn;
    double due;
    bool resumed;
    struct req *next;
};

static long g_latency_ms;
static double g_error_rate;
static atomic_ullong g_count;
static atomic_ullong g_rng = 0x9e3779b97f4a7c15ull;
static volatile sig_atomic_t g_stop;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;
static struct req *g_head, *g_tail; /* FIFO: constant latency keeps order */

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* splitmix64 over a shared atomic counter: good enough for an error rate. */
static double uniform(void)
{
    uint64_t z = atomic_fetch_add(&g_rng, 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

static enum MHD_Result send_text(struct MHD_Connection *conn, unsigned int code,
                                 const char *text)
{
    size_t n = strlen(text);
    char *copy = malloc(n + 1);
    struct MHD_Response *resp;
    enum MHD_Result ret;

    if (!copy)
        return MHD_NO;
    memcpy(copy, text, n + 1);
    resp = MHD_create_response_from_buffer(n, copy, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(resp, "Content-Type", "application/json");
    ret = MHD_queue_response(conn, code, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result answer(struct MHD_Connection *conn)
{
    char out[64];
    unsigned long long n = atomic_fetch_add(&g_count, 1) + 1;

    if (g_error_rate > 0 && uniform() < g_error_rate)
        return send_text(conn, 503, "{\"error\": \"stub failure\"}");
    snprintf(out, sizeof(out), "{\"id\": \"stub-%llu\"}", n);
    return send_text(conn, 200, out);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **state)
{
    struct req *r = *state;

    (void)cls;
    (void)version;
    (void)upload;
    if (strcmp(method, "GET") == 0) {
        char out[64];
        if (strcmp(url, "/count") != 0)
            return send_text(conn, 404, "{}");
        snprintf(out, sizeof(out), "{\"requests\": %llu}",
                 (unsigned long long)atomic_load(&g_count));
        return send_text(conn, 200, out);
    }
    if (!r) {
        r = calloc(1, sizeof(*r));
        if (!r)
            return MHD_NO;
        r->conn = conn;
        *state = r;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0;
        return MHD_YES;
    }
    if (g_latency_ms <= 0 || r->resumed)
        return answer(conn);
    r->due = now_s() + (double)g_latency_ms / 1000.0;
    MHD_suspend_connection(conn);
    pthread_mutex_lock(&g_lock);
    r->next = NULL;
    if (g_tail)
        g_tail->next = r;
    else
        g_head = r;
    g_tail = r;
    pthread_cond_signal(&g_cond);
    pthread_mutex_unlock(&g_lock);
    return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **state,
                         enum MHD_RequestTerminationCode code)
{
    (void)cls;
    (void)conn;
    (void)code;
    free(*state);
    *state = NULL;
}

static void *timer_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&g_lock);
    while (!g_stop) {
        double t = now_s();
        while (g_head && g_head->due <= t) {
            struct req *r = g_head;
            g_head = r->next;
            if (!g_head)
                g_tail = NULL;
            r->resumed = true;
            MHD_resume_connection(r->conn);
        }
        if (g_head) {
            pthread_mutex_unlock(&g_lock);
            usleep(1000);
            pthread_mutex_lock(&g_lock);
        } else {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 100 * 1000 * 1000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&g_cond, &g_lock, &ts);
        }
    }
    pthread_mutex_unlock(&g_lock);
    return NULL;
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"port", required_argument, NULL, 'p'},
        {"threads", required_argument, NULL, 't'},
        {"latency-ms", required_argument, NULL, 'l'},
        {"error-rate", required_argument, NULL, 'e'},
        {NULL, 0, NULL, 0}};
    long port = 8090, threads = 2;
    struct MHD_Daemon *d;
    struct sigaction sa;
    struct sockaddr_in addr;
    pthread_t timer;
    int ch;

    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case 'p':
            port = strtol(optarg, NULL, 10);
            break;
        case 't':
            threads = strtol(optarg, NULL, 10);
            break;
        case 'l':
            g_latency_ms = strtol(optarg, NULL, 10);
            break;
        case 'e':
            g_error_rate = strtod(optarg, NULL);
            break;
        default:
            fputs("usage: stub [--port P] [--threads N] [--latency-ms MS] "
                  "[--error-rate 0..1]\n",
                  stderr);
            return 2;
        }
    }
    if (port < 1 || port > 65535 || threads < 1 || threads > 256 ||
        g_latency_ms < 0 || g_latency_ms > 60000 || g_error_rate < 0 ||
        g_error_rate > 1)
        return 2;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    d = MHD_start_daemon(
        MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_ITC |
            MHD_ALLOW_SUSPEND_RESUME,
        (uint16_t)port, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned int)threads, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)4000,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)1024,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
    if (!d) {
        fputs("stub: cannot start the HTTP server\n", stderr);
        return 1;
    }
    if (pthread_create(&timer, NULL, timer_main, NULL) != 0)
        return 1;
    fprintf(stderr, "stub: listening on %ld (latency %ld ms, errors %.3f)\n",
            port, g_latency_ms, g_error_rate);
    while (!g_stop)
        pause();
    pthread_join(timer, NULL);
    MHD_stop_daemon(d);
    return 0;
}
