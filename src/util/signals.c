/* Synchronous signal collection. Must not install handlers that do work. */
#include "bode/signals.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <time.h>

static void watched(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGCHLD);
}

void bode_signals_block(void)
{
    sigset_t set;

    watched(&set);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int bode_signals_wait(int timeout_ms)
{
    sigset_t set;
    struct timespec ts;
    int sig;

    watched(&set);
    ts.tv_sec = timeout_ms / 1000;
    ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
    do {
        sig = sigtimedwait(&set, NULL, &ts);
    } while (sig < 0 && errno == EINTR);
    return sig < 0 ? 0 : sig;
}

void bode_signals_reset(void)
{
    sigset_t set;

    sigemptyset(&set);
    pthread_sigmask(SIG_SETMASK, &set, NULL);
    signal(SIGPIPE, SIG_DFL);
}
