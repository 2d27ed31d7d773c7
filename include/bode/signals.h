/* Process-wide signal handling for the long-running commands: SIGINT and
 * SIGTERM are blocked in every thread and collected synchronously by the
 * main thread, so shutdown runs in ordinary code, not a handler. */
#ifndef BODE_SIGNALS_H
#define BODE_SIGNALS_H

/* Blocks SIGINT, SIGTERM and SIGCHLD and ignores SIGPIPE. Call in main
 * before starting any thread, so threads inherit the mask. */
void bode_signals_block(void);

/* Waits up to timeout_ms for one of the blocked signals. Returns its number,
 * or 0 when the time ran out. */
int bode_signals_wait(int timeout_ms);

/* Restores the default mask and dispositions; for a child before exec. */
void bode_signals_reset(void);

#endif
