/* One-shot HTTP status probe. Must stay tiny: it is not an HTTP client. */
#include "bode/probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static enum bode_err wait_fd(int fd, short events, long deadline)
{
    struct pollfd p = {fd, events, 0};
    long left;
    int rc;

    for (;;) {
        left = deadline - now_ms();
        if (left <= 0)
            return BODE_ERR_IO;
        rc = poll(&p, 1, (int)left);
        if (rc > 0)
            return BODE_OK;
        if (rc == 0 || errno != EINTR)
            return BODE_ERR_IO;
    }
}

static int open_socket(const char *host, int port, struct sockaddr_storage *ss,
                       socklen_t *len)
{
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

    memset(ss, 0, sizeof(*ss));
    if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)port);
        *len = sizeof(*in4);
    } else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        *len = sizeof(*in6);
    } else {
        return -1;
    }
    return socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

enum bode_err bode_probe_get(const char *host, int port, const char *path,
                             int timeout_ms, int *status)
{
    struct sockaddr_storage ss;
    socklen_t slen = 0;
    long deadline = now_ms() + timeout_ms;
    char req[512];
    char resp[64];
    size_t got = 0;
    ssize_t n;
    int len;
    int fd;
    int soerr = 0;
    socklen_t soerr_len = sizeof(soerr);
    enum bode_err err = BODE_ERR_IO;

    /* A wildcard listen address is reached through loopback. */
    if (strcmp(host, "0.0.0.0") == 0)
        host = "127.0.0.1";
    else if (strcmp(host, "::") == 0)
        host = "::1";
    fd = open_socket(host, port, &ss, &slen);
    if (fd < 0)
        return BODE_ERR_IO;
    if (connect(fd, (struct sockaddr *)&ss, slen) < 0) {
        if (errno != EINPROGRESS || wait_fd(fd, POLLOUT, deadline))
            goto out;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &soerr_len) < 0 ||
            soerr)
            goto out;
    }
    len = snprintf(req, sizeof(req),
                   "GET %s HTTP/1.0\r\nHost: localhost\r\n"
                   "User-Agent: bode-probe\r\n\r\n",
                   path);
    if (len < 0 || (size_t)len >= sizeof(req))
        goto out;
    if (wait_fd(fd, POLLOUT, deadline) ||
        send(fd, req, (size_t)len, MSG_NOSIGNAL) != len)
        goto out;
    while (got < sizeof(resp) - 1) {
        if (wait_fd(fd, POLLIN, deadline))
            goto out;
        n = recv(fd, resp + got, sizeof(resp) - 1 - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
        if (memchr(resp, '\n', got))
            break;
    }
    resp[got] = '\0';
    if (strncmp(resp, "HTTP/1.", 7) != 0 || got < 12 || resp[8] != ' ')
        goto out;
    if (sscanf(resp + 9, "%3d", status) != 1)
        goto out;
    err = BODE_OK;
out:
    close(fd);
    return err;
}
