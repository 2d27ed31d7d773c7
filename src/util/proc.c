/* Spawning and stopping child processes. Must never leave a child behind
 * when the parent goes away. */
#include "bode/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bode/signals.h"

pid_t bode_proc_spawn(char *const argv[], const char *stdout_path,
                      enum bode_err *err)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    int fd;

    if (pid < 0) {
        *err = BODE_ERR_IO;
        return -1;
    }
    if (pid > 0) {
        *err = BODE_OK;
        return pid;
    }
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    /* The parent may have died before prctl took effect. */
    if (getppid() != parent)
        _exit(127);
    bode_signals_reset();
    if (stdout_path) {
        fd = open(stdout_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
    }
    execvp(argv[0], argv);
    _exit(127);
}

static long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int bode_proc_reap(pid_t *pids, int n, int *status)
{
    int i;
    pid_t got;

    for (i = 0; i < n; i++) {
        if (pids[i] <= 0)
            continue;
        got = waitpid(pids[i], status, WNOHANG);
        if (got == pids[i] || (got < 0 && errno == ECHILD)) {
            pids[i] = 0;
            return i;
        }
    }
    return -1;
}

bool bode_proc_stop(pid_t *pids, int n, int sig, int timeout_ms)
{
    long deadline = now_ms() + timeout_ms;
    int status;
    int i;
    bool alive;

    for (i = 0; i < n; i++)
        if (pids[i] > 0)
            kill(pids[i], sig);
    for (;;) {
        while (bode_proc_reap(pids, n, &status) >= 0)
            ;
        alive = false;
        for (i = 0; i < n; i++)
            alive = alive || pids[i] > 0;
        if (!alive)
            return true;
        if (now_ms() >= deadline)
            return false;
        usleep(20000);
    }
}
