/* Throwaway redis-server for tests (hiredis's test.sh, in C): started on a
 * unix socket in a fresh temporary directory, stopped and removed after.
 * A missing redis-server is a test failure, never a skip. */
#ifndef BODE_TESTREDIS_H
#define BODE_TESTREDIS_H

#include <sys/types.h>

struct test_redis {
    pid_t pid;
    char dir[256];
    char sock[300];
    char url[320];
};

/* Starts the server and waits until it answers PING. Returns 0, or -1 with
 * a message on stderr. */
int test_redis_start(struct test_redis *r);

/* Stops the server (SIGKILL when hard is non-zero, else SIGTERM) and
 * removes its directory. Safe to call twice. */
void test_redis_stop(struct test_redis *r, int hard);

#endif
