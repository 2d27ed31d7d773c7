/* libmicrohttpd glue: turns connections into bode_request values and
 * bode_response values into replies. Must not contain API logic. */
#include "bode/http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "bode/alloc.h"
#include "bode/buf.h"
#include "bode/log.h"
#include "bode/rand.h"
#include "deadline.h"

struct bode_http_server {
    struct MHD_Daemon *daemon;
    const struct bode_config *cfg;
    const struct bode_api_ctx *api;
    struct deadline *deadline;
    atomic_int in_flight;
    int port;
};

/* Per-request state, from the first callback to the completion callback. */
struct req_state {
    struct bode_buf body;
    char *raw_uri;               /* as the client sent it, query included */
    struct deadline_slot *watch; /* the connection's, borrowed */
    bool started;
    bool overflow;
    bool responded;
    struct timespec start;
    char request_id[40];
};

static const struct {
    const char *name;
    enum bode_method method;
} methods[] = {
    {"GET", BODE_METHOD_GET},         {"HEAD", BODE_METHOD_HEAD},
    {"POST", BODE_METHOD_POST},       {"PUT", BODE_METHOD_PUT},
    {"DELETE", BODE_METHOD_DELETE},   {"PATCH", BODE_METHOD_PATCH},
    {"OPTIONS", BODE_METHOD_OPTIONS},
};

static enum bode_method parse_method(const char *m)
{
    size_t i;

    for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        if (strcmp(methods[i].name, m) == 0)
            return methods[i].method;
    return BODE_METHOD_OTHER;
}

static const char *method_label(enum bode_method m)
{
    size_t i;

    for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        if (methods[i].method == m)
            return methods[i].name;
    return "OTHER";
}

static const char *get_header(void *ctx, const char *name)
{
    return MHD_lookup_connection_value(ctx, MHD_HEADER_KIND, name);
}

static const char *get_query(void *ctx, const char *name)
{
    return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, name);
}

struct collect {
    const char *name; /* NULL: collect distinct keys */
    const char **out;
    size_t max;
    size_t n;
};

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind,
                                   const char *key, const char *value)
{
    struct collect *c = cls;
    size_t i;

    (void)kind;
    if (c->name) {
        if (strcmp(key, c->name) != 0)
            return MHD_YES;
        if (c->n < c->max)
            c->out[c->n] = value ? value : "";
        c->n++;
        return MHD_YES;
    }
    for (i = 0; i < c->n && i < c->max; i++)
        if (strcmp(c->out[i], key) == 0)
            return MHD_YES;
    if (c->n < c->max)
        c->out[c->n] = key;
    c->n++;
    return MHD_YES;
}

static size_t get_query_all(void *ctx, const char *name, const char **out,
                            size_t max)
{
    struct collect c = {name, out, max, 0};

    MHD_get_connection_values(ctx, MHD_GET_ARGUMENT_KIND, collect_arg, &c);
    return c.n;
}

static size_t get_query_keys(void *ctx, const char **out, size_t max)
{
    struct collect c = {NULL, out, max, 0};

    MHD_get_connection_values(ctx, MHD_GET_ARGUMENT_KIND, collect_arg, &c);
    return c.n;
}

/* Accepts a caller's X-Request-Id only when it is short and plain, so it is
 * safe in logs and headers; otherwise makes a fresh one. */
static void pick_request_id(struct MHD_Connection *conn, char *out, size_t size)
{
    const char *given = get_header(conn, "X-Request-Id");
    size_t len;

    if (given) {
        len = strlen(given);
        if (len >= 8 && len < size &&
            strspn(given, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                          "0123456789-_.") == len) {
            memcpy(out, given, len + 1);
            return;
        }
    }
    bode_rand_hex(out, 32 < size - 1 ? 32 : size - 1);
}

static long elapsed_us(const struct timespec *start)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long)(now.tv_sec - start->tv_sec) * 1000000L +
           (now.tv_nsec - start->tv_nsec) / 1000L;
}

static enum MHD_Result send_response(struct bode_http_server *s,
                                     struct MHD_Connection *conn,
                                     struct req_state *st,
                                     enum bode_method method, const char *path,
                                     struct bode_response *r)
{
    struct MHD_Response *mr;
    enum MHD_Result ret;
    long duration_us;
    size_t i;

    mr = MHD_create_response_from_buffer(r->body_len, r->body,
                                         MHD_RESPMEM_MUST_COPY);
    if (!mr)
        return MHD_NO;
    for (i = 0; bode_api_common_headers[i]; i += 2)
        MHD_add_response_header(mr, bode_api_common_headers[i],
                                bode_api_common_headers[i + 1]);
    MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
    MHD_add_response_header(mr, "X-Request-Id", st->request_id);
    for (i = 0; i < r->n_headers; i++)
        MHD_add_response_header(mr, r->headers[i].name, r->headers[i].value);
    ret = MHD_queue_response(conn, (unsigned)r->status, mr);
    MHD_destroy_response(mr);
    st->responded = true;
    deadline_answering(st->watch);
    duration_us = elapsed_us(&st->start);
    bode_log(r->status >= 500 ? BODE_LOG_WARN : BODE_LOG_INFO, "request",
             BODE_LOG_S("request_id", st->request_id),
             BODE_LOG_S("method", method_label(method)),
             BODE_LOG_S("route", bode_api_route_name(method, path)),
             BODE_LOG_I("status", r->status),
             BODE_LOG_I("duration_us", duration_us));
    bode_api_metrics_request(s->api, method, path, r->status, duration_us);
    return ret;
}

static enum MHD_Result reply_error(struct bode_http_server *s,
                                   struct MHD_Connection *conn,
                                   struct req_state *st,
                                   enum bode_method method, const char *path,
                                   enum bode_api_error e)
{
    struct bode_response r;
    enum MHD_Result ret;

    bode_response_init(&r);
    bode_api_fail(&r, e, NULL);
    ret = send_response(s, conn, st, method, path, &r);
    bode_response_release(&r);
    return ret;
}

static bool content_length_too_big(struct MHD_Connection *conn, long limit)
{
    const char *cl = get_header(conn, MHD_HTTP_HEADER_CONTENT_LENGTH);
    unsigned long long v = 0;
    const char *p;

    if (!cl)
        return false;
    for (p = cl; *p >= '0' && *p <= '9'; p++) {
        if (v > (unsigned long long)limit)
            return true;
        v = v * 10 + (unsigned)(*p - '0');
    }
    return v > (unsigned long long)limit;
}

static struct deadline_slot *connection_slot(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

    return info ? info->socket_context : NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method_name,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls)
{
    struct bode_http_server *s = cls;
    struct req_state *st = *req_cls;
    enum bode_method method = parse_method(method_name);
    struct bode_request req;
    struct bode_response resp;
    enum MHD_Result ret;

    (void)version;
    if (!st) {
        st = bode_calloc(1, sizeof(*st));
        if (!st)
            return MHD_NO;
        *req_cls = st;
    }
    if (!st->started) {
        st->started = true;
        bode_buf_init(&st->body, (size_t)s->cfg->body_limit);
        clock_gettime(CLOCK_MONOTONIC, &st->start);
        pick_request_id(conn, st->request_id, sizeof(st->request_id));
        atomic_fetch_add(&s->in_flight, 1);
        st->watch = connection_slot(conn);
        deadline_headers_done(st->watch);
        /* Refuse a declared oversize body before reading any of it; MHD
         * then discards the rest and closes the connection. */
        if (content_length_too_big(conn, s->cfg->body_limit))
            return reply_error(s, conn, st, method, url,
                               BODE_API_E_BODY_TOO_LARGE);
        return MHD_YES;
    }
    if (st->responded) {
        *upload_size = 0;
        return MHD_YES;
    }
    if (*upload_size) {
        /* Chunked bodies have no Content-Length: count as they come and
         * keep consuming after the cap so the client gets its 413. */
        if (!st->overflow &&
            bode_buf_add(&st->body, upload, *upload_size) != BODE_OK)
            st->overflow = true;
        *upload_size = 0;
        return MHD_YES;
    }
    if (st->overflow)
        return reply_error(s, conn, st, method, url, BODE_API_E_BODY_TOO_LARGE);

    memset(&req, 0, sizeof(req));
    req.method = method;
    req.path = url;
    req.body = st->body.len ? st->body.data : NULL;
    req.body_len = st->body.len;
    req.request_id = st->request_id;
    req.raw_uri = st->raw_uri ? st->raw_uri : url;
    req.ctx = conn;
    req.header = get_header;
    req.query = get_query;
    req.query_all = get_query_all;
    req.query_keys = get_query_keys;
    bode_response_init(&resp);
    bode_api_handle(s->api, &req, &resp);
    ret = send_response(s, conn, st, method, url, &resp);
    bode_response_release(&resp);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct bode_http_server *s = cls;
    struct req_state *st = *req_cls;

    (void)toe;
    deadline_next_request(connection_slot(conn));
    if (!st)
        return;
    bode_buf_release(&st->body);
    bode_free(st->raw_uri);
    if (st->started)
        atomic_fetch_sub(&s->in_flight, 1);
    bode_free(st);
    *req_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct bode_http_server *s = cls;
    const union MHD_ConnectionInfo *info;

    if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        /* Called before libmicrohttpd closes the socket. */
        deadline_close(s->deadline, *socket_context);
        *socket_context = NULL;
        return;
    }
    info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    *socket_context =
        info ? deadline_open(s->deadline, info->connect_fd) : NULL;
}

static void on_deadline(void *cls, enum deadline_phase phase)
{
    static const char *const names[] = {"request_line", "headers", "body"};
    struct bode_http_server *s = cls;

    bode_log(BODE_LOG_WARN, "request_timeout",
             BODE_LOG_S("phase", names[phase]),
             BODE_LOG_I("timeout_s", s->cfg->request_timeout));
    bode_api_metrics_request_timeout(s->api, names[phase]);
}

/* Called with the request line's URI before it is parsed: the only place
 * to see the query string exactly as sent, which signed webhooks (Twilio)
 * need. The state made here is the request's from now on. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct req_state *st = bode_calloc(1, sizeof(*st));

    (void)cls;
    deadline_request_line(connection_slot(conn));
    if (st)
        st->raw_uri = bode_strndup(uri, 8192);
    return st;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char text[256];
    size_t len;

    (void)cls;
    vsnprintf(text, sizeof(text), fmt, ap);
    len = strlen(text);
    while (len && (text[len - 1] == '\n' || text[len - 1] == ' '))
        text[--len] = '\0';
    bode_log(BODE_LOG_WARN, "libmicrohttpd", BODE_LOG_S("detail", text));
}

static enum bode_err parse_listen(const struct bode_config *cfg,
                                  struct sockaddr_storage *ss, bool *v6)
{
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

    memset(ss, 0, sizeof(*ss));
    if (inet_pton(AF_INET, cfg->listen_addr, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)cfg->port);
        *v6 = false;
        return BODE_OK;
    }
    if (inet_pton(AF_INET6, cfg->listen_addr, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)cfg->port);
        *v6 = true;
        return BODE_OK;
    }
    return BODE_ERR_INVALID;
}

struct bode_http_server *bode_http_start(const struct bode_config *cfg,
                                         const struct bode_api_ctx *api,
                                         enum bode_err *err, char *why,
                                         size_t why_size)
{
    struct bode_http_server *s = NULL;
    struct sockaddr_storage addr;
    const union MHD_DaemonInfo *info;
    unsigned int flags;
    enum MHD_OPTION pool_opt;
    unsigned int pool_val;
    bool v6 = false;

    if (parse_listen(cfg, &addr, &v6)) {
        *err = BODE_ERR_INVALID;
        snprintf(why, why_size, "BODE_LISTEN_ADDR %s is not an IP address",
                 cfg->listen_addr);
        goto fail;
    }
    s = bode_calloc(1, sizeof(*s));
    if (!s) {
        *err = BODE_ERR_NOMEM;
        snprintf(why, why_size, "out of memory");
        goto fail;
    }
    s->cfg = cfg;
    s->api = api;
    atomic_init(&s->in_flight, 0);
    s->deadline =
        /* Before a request line, libmicrohttpd's idle timeout closes a
         * silent connection first; the watchdog only has to catch one
         * dribbling its request line, so it allows both timeouts. */
        deadline_new((size_t)cfg->conn_limit,
                     (long)cfg->request_timeout * 1000L,
                     ((long)cfg->conn_timeout + cfg->request_timeout) * 1000L,
                     on_deadline, s);
    if (!s->deadline || deadline_start(s->deadline, 250)) {
        *err = s->deadline ? BODE_ERR_IO : BODE_ERR_NOMEM;
        snprintf(why, why_size, "cannot start the request watchdog");
        goto fail;
    }
    /* ITC lets MHD_quiesce_daemon stop the pool's listeners cleanly. */
    flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_ITC;
    if (v6)
        flags |= MHD_USE_IPv6;
    /* One thread means no pool, and MHD warns about a pool size of 0 or 1,
     * so that slot then repeats the connection timeout instead. */
    if (cfg->threads > 1) {
        pool_opt = MHD_OPTION_THREAD_POOL_SIZE;
        pool_val = (unsigned int)cfg->threads;
    } else {
        pool_opt = MHD_OPTION_CONNECTION_TIMEOUT;
        pool_val = (unsigned int)cfg->conn_timeout;
    }
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s,
        /* The logger must come first to catch messages about the rest. */
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&addr, pool_opt, pool_val,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)cfg->conn_timeout,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)cfg->conn_limit,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)cfg->per_ip_limit,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)1024,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
#if MHD_VERSION >= 0x00097701
        MHD_OPTION_CLIENT_DISCIPLINE_LVL, (int)1,
#else
        MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
#endif
        MHD_OPTION_END);
    if (!s->daemon) {
        *err = BODE_ERR_IO;
        snprintf(why, why_size, "cannot listen on %s port %d (in use?)",
                 cfg->listen_addr, cfg->port);
        goto fail;
    }
    info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : cfg->port;
    *err = BODE_OK;
    return s;
fail:
    if (s)
        deadline_free(s->deadline);
    bode_free(s);
    return NULL;
}

int bode_http_port(const struct bode_http_server *s)
{
    return s->port;
}

int bode_http_stop(struct bode_http_server *s, int deadline_s)
{
    struct timespec start;
    MHD_socket listen_fd;
    int left;

    if (!s)
        return 0;
    listen_fd = MHD_quiesce_daemon(s->daemon);
    if (listen_fd != MHD_INVALID_SOCKET)
        close(listen_fd);
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (atomic_load(&s->in_flight) > 0 &&
           elapsed_us(&start) < (long)deadline_s * 1000000L)
        usleep(10000);
    left = atomic_load(&s->in_flight);
    MHD_stop_daemon(s->daemon);
    deadline_free(s->deadline);
    bode_free(s);
    return left;
}
