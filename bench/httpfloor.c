/* Bode benchmark baselines (a) and (b): a bare libmicrohttpd server with
 * Bode's thread settings (MHD_USE_AUTO_INTERNAL_THREAD + thread pool).
 *
 *   --mode plain   answers every request with a small JSON 201 (HTTP
 *                  ceiling);
 *   --mode redis   does exactly one EVALSHA per request of a script that
 *                  writes what Bode's accept writes (record hash with
 *                  Bode's 25 fields, listing index and open-set ZADDs,
 *                  stream XADD, EXPIRE) and nothing else: no auth, no
 *                  JSON parsing, no rendering (accept floor). One hiredis
 *                  connection per MHD thread.
 *
 * --print-script prints the Lua script and exits. Runs until SIGTERM or
 * SIGINT. */
#include <errno.h>
#include <getopt.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char SCRIPT[] =
    "redis.call('HSET', KEYS[1], unpack(ARGV, 4))\n"
    "redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))\n"
    "redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])\n"
    "redis.call('ZADD', KEYS[4], ARGV[1], ARGV[2])\n"
    "redis.call('XADD', KEYS[3], '*', 's', 'svc', 'n', ARGV[2])\n"
    "return 1\n";

static char REPLY[] = "{\"id\": \"5a1f0b7e-0000-4000-8000-000000000000\","
                      " \"reference\": null}";

static char EMPTY[] = "{}";

static char g_sha[64];
static const char *g_socket;
static const char *g_host = "127.0.0.1";
static int g_redis_port = 6379;
static bool g_redis;
static atomic_ullong g_seq;
static _Thread_local redisContext *t_redis;
static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static redisContext *connect_redis(void)
{
    redisContext *c = g_socket ? redisConnectUnix(g_socket)
                               : redisConnect(g_host, g_redis_port);
    if (!c || c->err) {
        fprintf(stderr, "httpfloor: redis connect failed\n");
        if (c)
            redisFree(c);
        return NULL;
    }
    return c;
}

static long long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* One accept's worth of writes; false on any Redis error. */
static bool do_accept(void)
{
    unsigned long long n = atomic_fetch_add(&g_seq, 1);
    char id[48], rec[96], ts[24];
    redisReply *r;
    const char *argv[64];
    size_t i = 0;

    if (!t_redis && !(t_redis = connect_redis()))
        return false;
    snprintf(id, sizeof(id), "00000000-0000-4000-8000-%012llx", n);
    snprintf(rec, sizeof(rec), "bode:{s:svc}:n:%s", id);
    snprintf(ts, sizeof(ts), "%lld", now_us());
    argv[i++] = "EVALSHA";
    argv[i++] = g_sha;
    argv[i++] = "4";
    argv[i++] = rec;
    argv[i++] = "bode:{s:svc}:idx:live";
    argv[i++] = "bode:{s:svc}:q:email:normal";
    argv[i++] = "bode:{s:svc}:open";
    argv[i++] = ts;
    argv[i++] = id;
    argv[i++] = "691200";
    {
        /* Bode's record: 25 fields with realistic values. */
        static const char *const fields[] = {
            "id",
            NULL,
            "service_id",
            "7d3c0a2e-1111-4222-8333-444455556666",
            "key_type",
            "normal",
            "key_id",
            "9b8a7c6d-1111-4222-8333-444455556666",
            "type",
            "email",
            "lane",
            "normal",
            "status",
            "created",
            "template_id",
            "f0e1d2c3-1111-4222-8333-444455556666",
            "template_version",
            "1",
            "to",
            "someone@example.com",
            "personalisation",
            "{\"name\": \"Ada\", \"reference\": \"ABC123\"}",
            "reference",
            "",
            "subject",
            "Your application ABC123",
            "body",
            "Dear Ada,\n\nWe have received your application ABC123. We "
            "will write to you within 10 working days to tell you what "
            "happens next.\n\nIf you need to change anything, reply to "
            "this email quoting your reference.",
            "from",
            "notify@bode.localhost",
            "reply_to",
            "",
            "one_click_unsubscribe_url",
            "",
            "request_id",
            "c0ffee00-1111-4222-8333-444455556666",
            "billable_units",
            "0",
            "international",
            "0",
            "country_prefix",
            "",
            "created_at",
            NULL,
            "updated_at",
            NULL,
            "retention_days",
            "7"};
        size_t k;
        for (k = 0; k < sizeof(fields) / sizeof(fields[0]); k++) {
            const char *v = fields[k];
            if (!v)
                v = k == 1 ? id : ts;
            argv[i++] = v;
        }
    }
    r = redisCommandArgv(t_redis, (int)i, argv, NULL);
    if (!r) {
        redisFree(t_redis);
        t_redis = NULL;
        return false;
    }
    {
        bool ok = r->type == REDIS_REPLY_INTEGER;
        freeReplyObject(r);
        return ok;
    }
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **state)
{
    static int marker;
    struct MHD_Response *resp;
    enum MHD_Result ret;
    bool ok = true;

    (void)cls;
    (void)url;
    (void)method;
    (void)version;
    (void)upload;
    if (!*state) {
        *state = &marker;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0; /* the body is ignored */
        return MHD_YES;
    }
    if (g_redis)
        ok = do_accept();
    resp = MHD_create_response_from_buffer(
        ok ? sizeof(REPLY) - 1 : 2, ok ? REPLY : EMPTY, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(resp, "Content-Type", "application/json");
    ret = MHD_queue_response(conn, ok ? 201 : 500, resp);
    MHD_destroy_response(resp);
    return ret;
}

static bool load_script(void)
{
    redisContext *c = connect_redis();
    redisReply *r;
    bool ok;

    if (!c)
        return false;
    r = redisCommand(c, "SCRIPT LOAD %s", SCRIPT);
    ok = r && r->type == REDIS_REPLY_STRING && r->len < sizeof(g_sha);
    if (ok)
        snprintf(g_sha, sizeof(g_sha), "%s", r->str);
    if (r)
        freeReplyObject(r);
    redisFree(c);
    return ok;
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"port", required_argument, NULL, 'p'},
        {"threads", required_argument, NULL, 't'},
        {"mode", required_argument, NULL, 'm'},
        {"redis-socket", required_argument, NULL, 's'},
        {"redis-port", required_argument, NULL, 'r'},
        {"print-script", no_argument, NULL, 'P'},
        {NULL, 0, NULL, 0}};
    long port = 8080, threads = 2;
    struct MHD_Daemon *d;
    struct sigaction sa;
    struct sockaddr_in addr;
    int ch;

    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case 'p':
            port = strtol(optarg, NULL, 10);
            break;
        case 't':
            threads = strtol(optarg, NULL, 10);
            break;
        case 'm':
            g_redis = strcmp(optarg, "redis") == 0;
            break;
        case 's':
            g_socket = optarg;
            break;
        case 'r':
            g_redis_port = (int)strtol(optarg, NULL, 10);
            break;
        case 'P':
            fputs(SCRIPT, stdout);
            return 0;
        default:
            fputs("usage: httpfloor [--port P] [--threads N] "
                  "[--mode plain|redis] [--redis-socket PATH | --redis-port "
                  "P] [--print-script]\n",
                  stderr);
            return 2;
        }
    }
    if (port < 1 || port > 65535 || threads < 1 || threads > 256)
        return 2;
    if (g_redis && !load_script()) {
        fputs("httpfloor: SCRIPT LOAD failed\n", stderr);
        return 1;
    }
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
        MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_ITC,
        (uint16_t)port, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned int)threads, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)1000,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)1024, MHD_OPTION_END);
    if (!d) {
        fputs("httpfloor: cannot start the HTTP server\n", stderr);
        return 1;
    }
    fprintf(stderr, "httpfloor: listening on %ld (%s, %ld threads)\n", port,
            g_redis ? "redis" : "plain", threads);
    while (!g_stop)
        pause();
    MHD_stop_daemon(d);
    return 0;
}
