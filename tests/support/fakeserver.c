/* Fake provider servers and a worker-like curl runner for tests. */
#include "fakeserver.h"

#include <curl/curl.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bode/buf.h"

#define MAX_ARGS 32
#define RESPONSE_CAP (64u * 1024)

int fake_tmpdir(char *out, size_t size)
{
    snprintf(out, size, "/tmp/bode-test-fake-XXXXXX");
    return mkdtemp(out) ? 0 : -1;
}

void fake_rmdir(const char *dir)
{
    char cmd[400];

    if (!dir[0])
        return;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "fake: could not remove %s\n", dir);
}

/* Reads the first line the child writes (up to 10 s). */
static int read_ready(int fd, int *port)
{
    char line[128];
    size_t n = 0;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    ssize_t got;
    int waited = 0;

    while (n + 1 < sizeof(line) && waited < 10000) {
        if (poll(&p, 1, 100) <= 0) {
            waited += 100;
            continue;
        }
        got = read(fd, line + n, 1);
        if (got <= 0)
            return -1;
        if (line[n] == '\n')
            break;
        n++;
    }
    line[n] = '\0';
    return sscanf(line, "READY %d", port) == 1 ? 0 : -1;
}

int fake_server_start(struct fake_server *f, const char *script,
                      const char *const *args)
{
    const char *src = getenv("BODE_SOURCE_DIR");
    char path[512];
    const char *argv[MAX_ARGS];
    static char copy[MAX_ARGS][512];
    char *cargv[MAX_ARGS];
    int pipefd[2];
    int n = 0;
    int i;

    memset(f, 0, sizeof(*f));
    if (fake_tmpdir(f->dir, sizeof(f->dir)) != 0) {
        fprintf(stderr, "fake: mkdtemp failed\n");
        return -1;
    }
    snprintf(path, sizeof(path), "%s/tests/integration/fakes/%s",
             src ? src : ".", script);
    argv[n++] = "/usr/bin/python3";
    argv[n++] = path;
    argv[n++] = "--dir";
    argv[n++] = f->dir;
    for (i = 0; args && args[i] && n < MAX_ARGS - 1; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    if (pipe(pipefd) != 0)
        return -1;
    f->pid = fork();
    if (f->pid < 0)
        return -1;
    if (f->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(pipefd[1], 1);
        close(pipefd[0]);
        close(pipefd[1]);
        /* execv wants writable strings. */
        for (i = 0; i < n; i++) {
            snprintf(copy[i], sizeof(copy[i]), "%s", argv[i]);
            cargv[i] = copy[i];
        }
        cargv[n] = NULL;
        execv(cargv[0], cargv);
        fprintf(stderr, "fake: cannot run %s\n", path);
        _exit(127);
    }
    close(pipefd[1]);
    if (read_ready(pipefd[0], &f->port) != 0) {
        close(pipefd[0]);
        fprintf(stderr, "fake: %s did not start\n", script);
        fake_server_stop(f);
        return -1;
    }
    close(pipefd[0]);
    snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%d", f->port);
    return 0;
}

void fake_server_stop(struct fake_server *f)
{
    if (f->pid > 0) {
        kill(f->pid, SIGKILL);
        waitpid(f->pid, NULL, 0);
        f->pid = 0;
    }
    fake_rmdir(f->dir);
    f->dir[0] = '\0';
}

void fake_server_records(const struct fake_server *f, char *out, size_t size)
{
    snprintf(out, size, "%s/requests.jsonl", f->dir);
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct bode_buf *b = ud;
    size_t n = size * nmemb;

    return bode_buf_add(b, ptr, n) == BODE_OK ? n : 0;
}

int fake_run(struct bode_delivery *d, long *status)
{
    CURLM *multi = curl_multi_init();
    CURLMsg *msg;
    int running = 1;
    int left;
    int code = CURLE_FAILED_INIT;

    *status = 0;
    bode_buf_init(&d->response, RESPONSE_CAP);
    curl_easy_setopt(d->easy, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(d->easy, CURLOPT_WRITEDATA, &d->response);
    curl_multi_add_handle(multi, d->easy);
    while (running) {
        if (curl_multi_perform(multi, &running) != CURLM_OK)
            break;
        if (running)
            curl_multi_poll(multi, NULL, 0, 100, NULL);
    }
    while ((msg = curl_multi_info_read(multi, &left)) != NULL)
        if (msg->msg == CURLMSG_DONE)
            code = (int)msg->data.result;
    curl_easy_getinfo(d->easy, CURLINFO_RESPONSE_CODE, status);
    curl_multi_remove_handle(multi, d->easy);
    curl_multi_cleanup(multi);
    return code;
}

const char *fake_setting(void *ctx, const char *name)
{
    const char *const *kv = ctx;
    size_t n = strlen(name);

    for (; kv && *kv; kv++)
        if (strncmp(*kv, name, n) == 0 && (*kv)[n] == '=')
            return *kv + n + 1;
    return NULL;
}

enum bode_err fake_deliver(struct bode_provider *p,
                           const struct bode_message *m, long timeout_ms,
                           struct bode_provider_result *r)
{
    const struct bode_provider_ops *ops = bode_provider_ops(p);
    struct bode_delivery d;
    enum bode_err err;
    long status = 0;
    int code;

    memset(&d, 0, sizeof(d));
    memset(r, 0, sizeof(*r));
    d.timeout_ms = timeout_ms;
    err = ops->start(p, m, &d, r);
    if (err || !d.easy) {
        ops->release(p, &d);
        return err;
    }
    code = fake_run(&d, &status);
    ops->finish(p, &d, code, status, r);
    ops->release(p, &d);
    bode_buf_release(&d.response);
    return BODE_OK;
}

json_t *fake_server_requests(const struct fake_server *f)
{
    char path[300];
    char line[1 << 16];
    json_t *arr = json_array();
    json_t *rec;
    FILE *in;

    fake_server_records(f, path, sizeof(path));
    in = fopen(path, "r");
    if (!in)
        return arr;
    /* Records can be long (a whole email); read with a growing buffer. */
    while (fgets(line, sizeof(line), in)) {
        struct bode_buf b;
        bode_buf_init(&b, 64u << 20);
        bode_buf_adds(&b, line);
        while (b.len && b.data[b.len - 1] != '\n' &&
               fgets(line, sizeof(line), in))
            bode_buf_adds(&b, line);
        rec = json_loads(bode_buf_str(&b), 0, NULL);
        if (rec)
            json_array_append_new(arr, rec);
        bode_buf_release(&b);
    }
    fclose(in);
    return arr;
}
