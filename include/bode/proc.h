/* Child processes for `bode dev`: start them so they cannot outlive us, and
 * stop them within a deadline. */
#ifndef BODE_PROC_H
#define BODE_PROC_H

#include <stdbool.h>
#include <sys/types.h>

#include "bode/err.h"

/* Starts argv[0] (searched in PATH when it has no slash) with argv, in its
 * own process group (so a terminal's Ctrl-C reaches only us, and we stop
 * children in order), with SIGTERM sent to it if we die. stdout_path, when
 * not NULL, receives its output (appended). Returns the pid, or -1 with
 * *err set (BODE_ERR_IO). */
pid_t bode_proc_spawn(char *const argv[], const char *stdout_path,
                      enum bode_err *err);

/* Sends sig to each live pid in pids (0 entries are skipped), then waits
 * up to timeout_ms for them to exit, reaping them and zeroing their
 * entries. Returns true if all exited in time. */
bool bode_proc_stop(pid_t *pids, int n, int sig, int timeout_ms);

/* Reaps any exited child among pids without blocking; returns the index of
 * the first that exited (its entry zeroed, status in *status), or -1. */
int bode_proc_reap(pid_t *pids, int n, int *status);

#endif
