/* `bode dev`: a private redis-server, one API and one worker, supervised
 * together. Must leave no process behind however it stops. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "admin_int.h"
#include "bode/log.h"
#include "bode/probe.h"
#include "bode/proc.h"
#include "bode/redis.h"
#include "bode/secretbox.h"
#include "bode/signals.h"
#include "cli.h"

static const char usage[] =
    "usage: bode dev [--config FILE]\n\n"
    "Runs Bode on this machine with its embedded defaults: a private\n"
    "redis-server (unix socket, AOF on, data under BODE_DATA_DIR), the API\n"
    "and one worker. Prints the URL; Ctrl-C or SIGTERM stops all three.\n"
    "Set BODE_REDIS_SERVER to use a redis-server other than the one in PATH.\n";

enum { REDIS, API, WORKER, N_CHILDREN };

static const char *const child_names[N_CHILDREN] = {"redis-server", "api",
                                                    "worker"};

struct dev {
    char dir[PATH_MAX];
    char sock[108]; /* sun_path's size */
    char url[160];
    int lock_fd;
    pid_t pids[N_CHILDREN];
};

/* A fresh stack buffer per use keeps this safe anywhere. */
#define ERRNO_TEXT bode_errno_str(errno, (char[128]){0}, 128)

static long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int make_dirs(struct dev *d, const char *data_dir)
{
    char redis_dir[PATH_MAX + 8];
    int n;

    if (mkdir(data_dir, 0700) < 0 && errno != EEXIST) {
        fprintf(stderr, "bode dev: cannot create %s: %s\n", data_dir,
                ERRNO_TEXT);
        return -1;
    }
    if (!realpath(data_dir, d->dir)) {
        fprintf(stderr, "bode dev: cannot resolve %s\n", data_dir);
        return -1;
    }
    n = snprintf(redis_dir, sizeof(redis_dir), "%s/redis", d->dir);
    if (n < 0 || (size_t)n >= sizeof(redis_dir) ||
        (mkdir(redis_dir, 0700) < 0 && errno != EEXIST)) {
        fprintf(stderr, "bode dev: cannot create %s/redis\n", d->dir);
        return -1;
    }
    n = snprintf(d->sock, sizeof(d->sock), "%s/redis.sock", d->dir);
    if (n < 0 || (size_t)n >= sizeof(d->sock)) {
        fprintf(stderr,
                "bode dev: %s is too long a path for a unix socket; set "
                "BODE_DATA_DIR to a shorter one\n",
                d->dir);
        return -1;
    }
    snprintf(d->url, sizeof(d->url), "unix://%s", d->sock);
    return 0;
}

/* One `bode dev` per data directory: a second one would fight over the
 * Redis socket and data files. */
static int take_lock(struct dev *d)
{
    char path[PATH_MAX + 16];
    char pid[32] = "";
    ssize_t n;
    int len;

    snprintf(path, sizeof(path), "%s/dev.lock", d->dir);
    d->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (d->lock_fd < 0) {
        fprintf(stderr, "bode dev: cannot open %s: %s\n", path, ERRNO_TEXT);
        return -1;
    }
    if (flock(d->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        n = pread(d->lock_fd, pid, sizeof(pid) - 1, 0);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        fprintf(stderr,
                "bode dev: already running in %s (pid %s); stop it first or "
                "set BODE_DATA_DIR to another directory\n",
                d->dir, pid[0] ? pid : "unknown");
        close(d->lock_fd);
        d->lock_fd = -1;
        return -1;
    }
    len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (ftruncate(d->lock_fd, 0) < 0 ||
        pwrite(d->lock_fd, pid, (size_t)len, 0) != len)
        fprintf(stderr, "bode dev: warning: cannot record pid in %s\n", path);
    return 0;
}

static int write_redis_conf(const struct dev *d, char *conf, size_t size)
{
    FILE *f;
    int n = snprintf(conf, size, "%s/redis.conf", d->dir);

    if (n < 0 || (size_t)n >= size)
        return -1;
    f = fopen(conf, "w");
    if (!f) {
        fprintf(stderr, "bode dev: cannot write %s: %s\n", conf, ERRNO_TEXT);
        return -1;
    }
    /* Durability settings match what production should run: AOF with an
     * fsync every second, and no eviction of accepted work. */
    fprintf(f,
            "# Written by bode dev on each start; edits are overwritten.\n"
            "port 0\n"
            "unixsocket %s\n"
            "unixsocketperm 700\n"
            "dir %s/redis\n"
            "logfile %s/redis.log\n"
            "daemonize no\n"
            "appendonly yes\n"
            "appendfsync everysec\n"
            "save 3600 1 300 100 60 10000\n"
            "maxmemory-policy noeviction\n",
            d->sock, d->dir, d->dir);
    if (fclose(f) != 0)
        return -1;
    return 0;
}

/* A master key of this machine's own, made once, so secrets in the dev
 * Redis stay sealed like in production. */
static int make_key(const struct dev *d, struct bode_config *cfg)
{
    struct bode_secretbox_error e;
    char path[PATH_MAX + 16];
    enum bode_err err;

    snprintf(path, sizeof(path), "%s/secret.key", d->dir);
    if (access(path, R_OK) != 0) {
        err = bode_secretbox_keyfile_create(path, &e);
        if (err) {
            fprintf(stderr, "bode dev: cannot make %s: %s\n", path, e.text);
            return -1;
        }
    }
    setenv("BODE_SECRET_KEY_FILE", path, 1);
    if (strlen(path) >= sizeof(cfg->secret_key_file)) {
        fprintf(stderr, "bode dev: %s is too long a path\n", path);
        return -1;
    }
    memcpy(cfg->secret_key_file, path, strlen(path) + 1);
    return 0;
}

static int wait_for_redis(struct dev *d, int timeout_ms)
{
    struct bode_redis *r = bode_redis_new(d->url, 500);
    long deadline = now_ms() + timeout_ms;
    int status;
    int rc = -1;

    if (!r)
        return -1;
    while (now_ms() < deadline) {
        if (bode_proc_reap(d->pids, N_CHILDREN, &status) >= 0) {
            fprintf(
                stderr,
                "bode dev: redis-server exited at start; see %s/redis.log\n",
                d->dir);
            goto out;
        }
        if (bode_redis_ping(r) == BODE_OK) {
            rc = 0;
            goto out;
        }
        usleep(50000);
    }
    fprintf(stderr, "bode dev: redis-server did not answer within %d ms\n",
            timeout_ms);
out:
    bode_redis_free(r);
    return rc;
}

static int wait_for_api(struct dev *d, const struct bode_config *cfg,
                        int timeout_ms)
{
    long deadline = now_ms() + timeout_ms;
    int status = 0;
    int which;

    while (now_ms() < deadline) {
        which = bode_proc_reap(d->pids, N_CHILDREN, &status);
        if (which >= 0) {
            fprintf(stderr,
                    "bode dev: %s exited at start (see its log above)\n",
                    child_names[which]);
            return -1;
        }
        if (bode_probe_get(cfg->listen_addr, cfg->port, "/_status?simple=1",
                           500, &status) == BODE_OK &&
            status == 200)
            return 0;
        usleep(50000);
    }
    fprintf(stderr, "bode dev: the API did not answer within %d ms\n",
            timeout_ms);
    return -1;
}

static int spawn_bode(struct dev *d, int which, const char *cmd,
                      const char *config_file)
{
    char self[PATH_MAX];
    char command[16];
    char option[] = "--config";
    char file[PATH_MAX];
    char *argv[5];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    enum bode_err err;
    int argc = 0;

    if (n <= 0)
        return -1;
    self[n] = '\0';
    argv[argc++] = self;
    snprintf(command, sizeof(command), "%s", cmd);
    argv[argc++] = command;
    if (config_file) {
        snprintf(file, sizeof(file), "%s", config_file);
        argv[argc++] = option;
        argv[argc++] = file;
    }
    argv[argc] = NULL;
    d->pids[which] = bode_proc_spawn(argv, NULL, &err);
    return d->pids[which] > 0 ? 0 : -1;
}

static void stop_all(struct dev *d, const struct bode_config *cfg)
{
    pid_t bode[2] = {d->pids[API], d->pids[WORKER]};
    pid_t redis[1] = {d->pids[REDIS]};

    /* Bode first, so nothing writes to Redis while it saves and exits. */
    if (!bode_proc_stop(bode, 2, SIGTERM, (cfg->shutdown_timeout + 2) * 1000))
        bode_proc_stop(bode, 2, SIGKILL, 2000);
    if (!bode_proc_stop(redis, 1, SIGTERM, 15000))
        bode_proc_stop(redis, 1, SIGKILL, 2000);
    d->pids[API] = d->pids[WORKER] = d->pids[REDIS] = 0;
}

static const char *find_config_arg(int argc, char **argv)
{
    int i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            return argv[i + 1];
        if (strncmp(argv[i], "--config=", 9) == 0)
            return argv[i] + 9;
    }
    return NULL;
}

static int supervise(struct dev *d, const struct bode_config *cfg)
{
    int sig = 0;
    int status = 0;
    int which;

    for (;;) {
        sig = bode_signals_wait(1000);
        if (sig == SIGINT || sig == SIGTERM) {
            printf("\nbode dev: stopping (%s)\n",
                   sig == SIGINT ? "SIGINT" : "SIGTERM");
            fflush(stdout);
            stop_all(d, cfg);
            return BODE_EXIT_OK;
        }
        which = bode_proc_reap(d->pids, N_CHILDREN, &status);
        if (which >= 0) {
            fprintf(stderr,
                    "bode dev: %s stopped unexpectedly (%s %d); "
                    "stopping the rest\n",
                    child_names[which],
                    WIFSIGNALED(status) ? "signal" : "exit code",
                    WIFSIGNALED(status) ? WTERMSIG(status)
                                        : WEXITSTATUS(status));
            stop_all(d, cfg);
            return BODE_EXIT_FAIL;
        }
    }
}

int bode_cmd_dev(int argc, char **argv)
{
    struct bode_config cfg;
    struct dev d;
    char conf[PATH_MAX + 16];
    char redis_path[PATH_MAX];
    char outbox[PATH_MAX + 16];
    char *redis_argv[3];
    const char *redis_bin = getenv("BODE_REDIS_SERVER");
    const char *config_file = find_config_arg(argc, argv);
    enum bode_err err;
    int rc = bode_cli_load_config(argc, argv, usage, &cfg);

    if (rc >= 0)
        return rc;
    memset(&d, 0, sizeof(d));
    d.lock_fd = -1;
    bode_log_set_component("dev");
    bode_signals_block();
    if (make_dirs(&d, cfg.data_dir) || take_lock(&d) ||
        write_redis_conf(&d, conf, sizeof(conf))) {
        rc = BODE_EXIT_FAIL;
        goto out;
    }
    snprintf(redis_path, sizeof(redis_path), "%s",
             redis_bin && *redis_bin ? redis_bin : "redis-server");
    redis_argv[0] = redis_path;
    redis_argv[1] = conf;
    redis_argv[2] = NULL;
    d.pids[REDIS] = bode_proc_spawn(redis_argv, NULL, &err);
    if (d.pids[REDIS] <= 0 || wait_for_redis(&d, 15000)) {
        fprintf(stderr,
                "bode dev: cannot start %s (is redis-server "
                "installed? scripts/run installs it)\n",
                redis_argv[0]);
        rc = BODE_EXIT_FAIL;
        goto out;
    }
    /* Children read their settings from the environment like any
     * deployment; only the Redis address and, unless one is configured,
     * the master key are ours to choose. */
    setenv("BODE_REDIS_URL", d.url, 1);
    unsetenv("BODE_REDIS_SOCKET");
    snprintf(outbox, sizeof(outbox), "%s/outbox.jsonl", d.dir);
    /* The sandbox providers write what they "send" here. */
    setenv("BODE_SANDBOX_OUTBOX", outbox, 0);
    if (!cfg.secret_key[0] && !cfg.secret_key_file[0] && make_key(&d, &cfg)) {
        rc = BODE_EXIT_FAIL;
        goto out;
    }
    if (spawn_bode(&d, API, "api", config_file) ||
        spawn_bode(&d, WORKER, "worker", config_file) ||
        wait_for_api(&d, &cfg, 15000)) {
        rc = BODE_EXIT_FAIL;
        goto out;
    }
    printf("\nBode is running at http://%s:%d\n"
           "  health: curl http://%s:%d/_status\n"
           "  redis:  %s (data in %s)\n"
           "  sent messages (sandbox providers): %s\n",
           strchr(cfg.listen_addr, ':') ? "[::1]" : cfg.listen_addr, cfg.port,
           cfg.listen_addr, cfg.port, d.url, d.dir,
           getenv("BODE_SANDBOX_OUTBOX"));
    if (bode_dev_demo(&cfg, d.dir, d.url) != 0)
        fprintf(stderr, "bode dev: could not set up the demo service\n");
    fputs("\nPress Ctrl-C to stop.\n\n", stdout);
    fflush(stdout);
    rc = supervise(&d, &cfg);
out:
    stop_all(&d, &cfg);
    if (d.lock_fd >= 0)
        close(d.lock_fd);
    return rc;
}
