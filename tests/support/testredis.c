/* Throwaway redis-server for tests. */
#include "testredis.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bode/redis.h"

int test_redis_start(struct test_redis *r)
{
    struct bode_redis *probe = NULL;
    char sockopt[320];
    char diropt[300];
    int i;

    memset(r, 0, sizeof(*r));
    snprintf(r->dir, sizeof(r->dir), "/tmp/bode-test-redis-XXXXXX");
    if (!mkdtemp(r->dir)) {
        fprintf(stderr, "test_redis: mkdtemp failed\n");
        return -1;
    }
    snprintf(r->sock, sizeof(r->sock), "%s/redis.sock", r->dir);
    snprintf(r->url, sizeof(r->url), "unix://%s", r->sock);
    snprintf(sockopt, sizeof(sockopt), "%s", r->sock);
    snprintf(diropt, sizeof(diropt), "%s", r->dir);
    r->pid = fork();
    if (r->pid < 0)
        return -1;
    if (r->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        execlp("redis-server", "redis-server", "--port", "0", "--unixsocket",
               sockopt, "--dir", diropt, "--save", "", "--appendonly", "no",
               "--loglevel", "warning", (char *)NULL);
        fprintf(stderr, "test_redis: cannot run redis-server\n");
        _exit(127);
    }
    probe = bode_redis_new(r->url, 200);
    for (i = 0; i < 200; i++) {
        if (waitpid(r->pid, NULL, WNOHANG) == r->pid) {
            r->pid = 0;
            fprintf(stderr, "test_redis: redis-server exited at start\n");
            break;
        }
        if (bode_redis_ping(probe) == 0) {
            bode_redis_free(probe);
            return 0;
        }
        usleep(25000);
    }
    bode_redis_free(probe);
    test_redis_stop(r, 1);
    fprintf(stderr, "test_redis: redis-server did not start\n");
    return -1;
}

void test_redis_stop(struct test_redis *r, int hard)
{
    char cmd[400];

    if (r->pid > 0) {
        kill(r->pid, hard ? SIGKILL : SIGTERM);
        waitpid(r->pid, NULL, 0);
        r->pid = 0;
    }
    if (r->dir[0]) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "test_redis: could not remove %s\n", r->dir);
        r->dir[0] = '\0';
    }
}
