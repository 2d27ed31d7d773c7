/* A small backtracking regular-expression engine with Python 3 `re`
 * semantics (Unicode \w \s \d \b, lazy quantifiers, look-around, back
 * references, conditionals), so the template engine can apply the very
 * patterns notifications-utils, mistune 0.8.4 and smartypants use.
 *
 * Every pattern the module needs is listed once in rx_pat.h and compiled
 * on first use into static storage (pthread_once): the programs are
 * immutable afterwards and shared by all threads. Matching state lives in a
 * caller-owned struct rx_ctx, whose backtrack stack and step budget bound
 * the work any input can cause. Module-private. */
#ifndef BODE_TEMPLATE_RX_H
#define BODE_TEMPLATE_RX_H

#include <stdbool.h>
#include <stddef.h>

#include "bode/buf.h"
#include "bode/err.h"

#define RX_NGROUPS 32

/* Pattern flags, as Python's re.I, re.M and re.S. */
enum { RXF_I = 1, RXF_M = 2, RXF_S = 4 };

enum rx_id {
#define RX_ENUM(id, flags, pattern) id,
#include "template/rx_pat.h"
#undef RX_ENUM
    RX__COUNT
};

struct rx_bt;

/* Per-call scratch. Not shared between threads. */
struct rx_ctx {
    struct rx_bt *stack;
    size_t len;
    size_t cap;
    unsigned long long steps;
    unsigned long long budget;
    enum bode_err err; /* sticky: set once a limit or allocation fails */
};

/* Capture offsets relative to the subject start; -1 when unset. */
struct rx_m {
    long g[2 * RX_NGROUPS];
};

/* Prepares c with a budget of instruction steps for everything matched
 * through it. */
void rx_ctx_init(struct rx_ctx *c, unsigned long long budget);
void rx_ctx_release(struct rx_ctx *c);

/* Anchored match of pattern id at s[pos], the subject being s[0..n).
 * Returns 1 on a match (m filled), 0 on none, -1 on error (c->err says
 * which: BODE_ERR_NOMEM or BODE_ERR_TOO_BIG when the budget or stack cap
 * is exhausted). */
int rx_match(struct rx_ctx *c, enum rx_id id, const char *s, size_t n,
             size_t pos, struct rx_m *m);

/* Cheap tests (rx_quick.c) that answer false only when pattern id cannot
 * match: rx_can_match_at for a match starting at s[0] (as rx_match at 0),
 * rx_can_match_in for one anywhere in s[0..n) (as rx_search from 0).
 * Patterns without a test answer true. */
bool rx_can_match_at(enum rx_id id, const char *s, size_t n);
bool rx_can_match_in(enum rx_id id, const char *s, size_t n);

/* Like rx_match but tries every start from pos on (re.search). */
int rx_search(struct rx_ctx *c, enum rx_id id, const char *s, size_t n,
              size_t pos, struct rx_m *m);

/* re.sub: appends s[0..n) to out with every match of id replaced by repl,
 * in which \1..\9 stand for groups (unset groups give ""). */
enum bode_err rx_sub(struct rx_ctx *c, enum rx_id id, const char *s, size_t n,
                     const char *repl, struct bode_buf *out);

/* Length of group g of m, 0 when unset. */
static inline size_t rx_glen(const struct rx_m *m, int g)
{
    return m->g[2 * g] < 0 ? 0 : (size_t)(m->g[2 * g + 1] - m->g[2 * g]);
}

static inline bool rx_gset(const struct rx_m *m, int g)
{
    return m->g[2 * g] >= 0;
}

#endif
