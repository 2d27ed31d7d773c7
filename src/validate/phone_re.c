/* Matches libphonenumber's metadata patterns against strings of digits.
 * It knows only the constructs the metadata uses; it must not allocate.
 *
 * A backtracking matcher that walks the pattern text directly, in Python's
 * re priority order (alternatives left to right, greedy quantifiers), so
 * prefix matches and captures come out as libphonenumber's own. Every
 * quantifier in the metadata is bounded, and a step budget stops any
 * pattern from running away on hostile input. */
#include <string.h>

#include "validate/validate_int.h"

#define STEP_BUDGET 200000

enum kont_kind { K_ACCEPT, K_REPEAT, K_CLOSE };

/* What to do after the current atom has matched: a linked list of frames
 * on the C stack (continuation-passing style). */
struct kont {
    enum kont_kind kind;
    const char *atom; /* K_REPEAT: the atom being repeated */
    const char *atom_end;
    const char *rest; /* K_REPEAT: the sequence after the quantifier */
    const char *rest_end;
    int count; /* K_REPEAT: iterations done, including this one */
    int min;
    int max;
    size_t start;  /* K_REPEAT: where this iteration began */
    int group;     /* K_CLOSE: capture index, 0-based */
    size_t gstart; /* K_CLOSE: where the group began */
    const struct kont *next;
};

struct matcher {
    const char *pat;
    const char *s;
    size_t n;
    bool full;
    long steps;
    size_t end;
    struct phone_re_caps *caps;
};

static bool match_alts(struct matcher *m, const char *p, const char *end,
                       size_t pos, const struct kont *k);
static bool match_seq(struct matcher *m, const char *p, const char *end,
                      size_t pos, const struct kont *k);

/* Returns the end of the atom starting at p (a class, an escape, a group
 * or one character). */
static const char *atom_end(const char *p, const char *end)
{
    int depth = 0;

    if (*p == '[') {
        while (p < end && *p != ']')
            p++;
        return p < end ? p + 1 : end;
    }
    if (*p == '\\')
        return p + 2 <= end ? p + 2 : end;
    if (*p != '(')
        return p + 1;
    for (; p < end; p++) {
        if (*p == '[') {
            while (p < end && *p != ']')
                p++;
        } else if (*p == '\\') {
            p++;
        } else if (*p == '(') {
            depth++;
        } else if (*p == ')' && --depth == 0) {
            return p + 1;
        }
    }
    return end;
}

static int parse_int(const char **pp)
{
    int v = 0;

    while (**pp >= '0' && **pp <= '9') {
        v = v * 10 + (**pp - '0');
        (*pp)++;
    }
    return v;
}

/* Reads an optional quantifier at p into min/max; returns the end. */
static const char *quantifier(const char *p, const char *end, int *min,
                              int *max)
{
    *min = 1;
    *max = 1;
    if (p < end && *p == '?') {
        *min = 0;
        return p + 1;
    }
    if (p < end && *p == '{') {
        p++;
        *min = parse_int(&p);
        *max = *min;
        if (*p == ',') {
            p++;
            *max = parse_int(&p);
        }
        return p + 1; /* past '}' */
    }
    return p;
}

/* Returns the end of the top-level alternative starting at p. */
static const char *alt_end(const char *p, const char *end)
{
    while (p < end && *p != '|')
        p = atom_end(p, end);
    return p;
}

static bool class_has(const char *p, const char *end, char c)
{
    p++; /* '[' */
    while (p < end && *p != ']') {
        if (p + 2 < end && p[1] == '-' && p[2] != ']') {
            if (c >= p[0] && c <= p[2])
                return true;
            p += 3;
        } else if (*p == '\\' && p + 1 < end && p[1] == 'd') {
            if (c >= '0' && c <= '9')
                return true;
            p += 2;
        } else {
            if (c == *p)
                return true;
            p++;
        }
    }
    return false;
}

/* Index of the capturing group whose '(' is at p. */
static int group_index(const char *pat, const char *p)
{
    int idx = 0;
    const char *q;

    for (q = pat; q < p; q++) {
        if (*q == '\\') {
            q++;
        } else if (*q == '[') {
            while (*q && *q != ']')
                q++;
        } else if (*q == '(' && q[1] != '?') {
            idx++;
        }
    }
    return idx;
}

static bool run(struct matcher *m, const struct kont *k, size_t pos);

static bool match_repeat(struct matcher *m, const char *a, const char *a_end,
                         int count, int min, int max, const char *rest,
                         const char *rest_end, size_t pos,
                         const struct kont *k);

static bool match_atom(struct matcher *m, const char *a, const char *a_end,
                       size_t pos, const struct kont *k)
{
    struct kont close;
    int group;

    if (++m->steps > STEP_BUDGET)
        return false;
    switch (*a) {
    case '[':
        if (pos < m->n && class_has(a, a_end, m->s[pos]))
            return run(m, k, pos + 1);
        return false;
    case '\\':
        if (pos < m->n && m->s[pos] >= '0' && m->s[pos] <= '9')
            return run(m, k, pos + 1);
        return false;
    case '$':
        return pos == m->n && run(m, k, pos);
    case '(':
        if (a[1] == '?')
            return match_alts(m, a + 3, a_end - 1, pos, k);
        group = group_index(m->pat, a);
        if (group >= PHONE_RE_MAX_GROUPS || !m->caps)
            return match_alts(m, a + 1, a_end - 1, pos, k);
        memset(&close, 0, sizeof(close));
        close.kind = K_CLOSE;
        close.group = group;
        close.gstart = pos;
        close.next = k;
        return match_alts(m, a + 1, a_end - 1, pos, &close);
    default:
        if (pos < m->n && m->s[pos] == *a)
            return run(m, k, pos + 1);
        return false;
    }
}

static bool match_repeat(struct matcher *m, const char *a, const char *a_end,
                         int count, int min, int max, const char *rest,
                         const char *rest_end, size_t pos, const struct kont *k)
{
    struct kont again;

    if (count < max) {
        memset(&again, 0, sizeof(again));
        again.kind = K_REPEAT;
        again.atom = a;
        again.atom_end = a_end;
        again.rest = rest;
        again.rest_end = rest_end;
        again.count = count + 1;
        again.min = min;
        again.max = max;
        again.start = pos;
        again.next = k;
        if (match_atom(m, a, a_end, pos, &again))
            return true;
    }
    if (count >= min)
        return match_seq(m, rest, rest_end, pos, k);
    return false;
}

static bool match_seq(struct matcher *m, const char *p, const char *end,
                      size_t pos, const struct kont *k)
{
    const char *a_end;
    const char *q_end;
    int min;
    int max;

    if (p >= end)
        return run(m, k, pos);
    a_end = atom_end(p, end);
    q_end = quantifier(a_end, end, &min, &max);
    return match_repeat(m, p, a_end, 0, min, max, q_end, end, pos, k);
}

static bool match_alts(struct matcher *m, const char *p, const char *end,
                       size_t pos, const struct kont *k)
{
    const char *q;

    for (;;) {
        q = alt_end(p, end);
        if (match_seq(m, p, q, pos, k))
            return true;
        if (q >= end || m->steps > STEP_BUDGET)
            return false;
        p = q + 1;
    }
}

static bool run(struct matcher *m, const struct kont *k, size_t pos)
{
    int old_start;
    int old_end;

    switch (k->kind) {
    case K_ACCEPT:
        if (m->full && pos != m->n)
            return false;
        m->end = pos;
        return true;
    case K_REPEAT:
        /* An iteration that matched nothing cannot help; stopping here
         * keeps optional groups inside counted repeats from looping. */
        if (pos == k->start && k->count > k->min)
            return false;
        return match_repeat(m, k->atom, k->atom_end, k->count, k->min, k->max,
                            k->rest, k->rest_end, pos, k->next);
    case K_CLOSE:
        old_start = m->caps->start[k->group];
        old_end = m->caps->end[k->group];
        m->caps->start[k->group] = (int)k->gstart;
        m->caps->end[k->group] = (int)pos;
        if (run(m, k->next, pos))
            return true;
        m->caps->start[k->group] = old_start;
        m->caps->end[k->group] = old_end;
        return false;
    }
    return false;
}

int phone_re_groups(const char *pat)
{
    return group_index(pat, pat + strlen(pat));
}

int phone_re_match(const char *pat, const char *s, size_t n, bool full,
                   struct phone_re_caps *caps)
{
    struct matcher m;
    struct kont accept;
    int i;

    memset(&m, 0, sizeof(m));
    memset(&accept, 0, sizeof(accept));
    m.pat = pat;
    m.s = s;
    m.n = n;
    m.full = full;
    m.caps = caps;
    accept.kind = K_ACCEPT;
    if (caps) {
        caps->ngroups = phone_re_groups(pat);
        for (i = 0; i < PHONE_RE_MAX_GROUPS; i++) {
            caps->start[i] = -1;
            caps->end[i] = -1;
        }
    }
    if (!match_alts(&m, pat, pat + strlen(pat), 0, &accept))
        return -1;
    return (int)m.end;
}
