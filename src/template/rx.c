/* Backtracking regular expressions with Python `re` semantics for the
 * template engine. Must not allocate while compiling (programs live in
 * static pools) and must bound all matching work through struct rx_ctx. */
#include "template/rx.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bode/alloc.h"
#include "template/uni.h"

#define POOL_INSTS 24576
#define POOL_NODES 4096
#define POOL_CLASSES 1024
#define POOL_RANGES 4096
#define RX_INF (-1)
#define STACK_MAX_ENTRIES ((size_t)1 << 22)

enum op {
    OP_CHAR,
    OP_ANY,   /* any character but \n */
    OP_ANYNL, /* any character */
    OP_CLASS,
    OP_SPLIT, /* try x, then y */
    OP_JMP,
    OP_SAVE,
    OP_BOL,
    OP_BOLM,
    OP_EOL,
    OP_EOLM,
    OP_WORDB,
    OP_NWORDB,
    OP_LOOK, /* n: 0 ahead, 1 not ahead, 2 behind, 3 not behind; x: after */
    OP_BACKREF,
    OP_COND, /* n: group; x: pc of the "no" branch */
    OP_REP,  /* x: min, y: max (-1 infinite); the matcher is at pc + 1 */
    OP_MATCH,
    OP_SUBMATCH,
};

struct inst {
    uint8_t op;
    uint8_t greedy;
    uint16_t n;
    int32_t x;
    int32_t y;
    uint32_t c;
};

enum { CAT_W = 1, CAT_NW = 2, CAT_S = 4, CAT_NS = 8, CAT_D = 16, CAT_ND = 32 };

struct cls {
    uint32_t first;
    uint16_t nranges;
    uint8_t neg;
    uint8_t cats;
};

struct rx_prog {
    int start;
    int flags;
    int ngroups;       /* capture groups used, group 0 included */
    bool any_first;    /* a match may start with any byte */
    uint8_t first[32]; /* bitmap of bytes a match can start with */
};

enum nt {
    N_EMPTY,
    N_CHAR,
    N_ANY,
    N_CLASS,
    N_BOL,
    N_EOL,
    N_WORDB,
    N_NWORDB,
    N_CAT,
    N_ALT,
    N_REP,
    N_GROUP,
    N_LOOK,
    N_BACKREF,
    N_COND,
};

struct node {
    uint8_t t;
    uint8_t greedy;
    int16_t group; /* capture index, or -1 */
    int kind;
    int min;
    int max;
    uint32_t c;
    int a;    /* first child */
    int b;    /* second child (COND "no") */
    int next; /* next sibling in a CAT or ALT list */
};

enum bt_kind { BT_FLOOR, BT_PC, BT_UNDO, BT_GREEDY, BT_LAZY };

struct rx_bt {
    uint8_t kind;
    int32_t pc;
    size_t pos;
    size_t aux;
};

static struct inst insts[POOL_INSTS];
static int ninsts;
static struct cls classes[POOL_CLASSES];
static int nclasses;
static struct uni_range ranges[POOL_RANGES];
static uint32_t nranges;
static struct node nodes[POOL_NODES];
static int nnodes;
static struct rx_prog progs[RX__COUNT];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static const struct {
    int flags;
    const char *pattern;
} defs[RX__COUNT] = {
#define RX_ENUM(id, flags, pattern) [id] = {flags, pattern},
#include "template/rx_pat.h"
#undef RX_ENUM
};

/* Compiling. A pattern the parser rejects is a programmer error: the
 * list is fixed at build time, so abort loudly rather than limp on. */

struct parser {
    const char *p;
    int flags;
    int ngroups;
};

static _Noreturn void die(const char *why)
{
    (void)why;
    abort();
}

static int new_node(uint8_t t)
{
    struct node *n;

    if (nnodes >= POOL_NODES)
        die("rx: node pool exhausted");
    n = &nodes[nnodes];
    memset(n, 0, sizeof(*n));
    n->t = t;
    n->group = -1;
    n->a = -1;
    n->b = -1;
    n->next = -1;
    return nnodes++;
}

static uint32_t next_cp(struct parser *ps)
{
    uint32_t cp;
    size_t len = uni_decode(ps->p, 4, &cp);

    ps->p += len;
    return cp;
}

static int parse_alt(struct parser *ps);

static void add_range(uint32_t lo, uint32_t hi)
{
    if (nranges >= POOL_RANGES)
        die("rx: range pool exhausted");
    ranges[nranges].lo = lo;
    ranges[nranges].hi = hi;
    nranges++;
}

static uint32_t simple_escape(char e)
{
    switch (e) {
    case 'n':
        return '\n';
    case 't':
        return '\t';
    case 'r':
        return '\r';
    case 'f':
        return '\f';
    case 'v':
        return '\v';
    case 'a':
        return '\a';
    default:
        return (unsigned char)e;
    }
}

static int parse_class(struct parser *ps)
{
    struct cls *c;
    int id;
    uint32_t lo;
    uint32_t hi;
    bool first = true;

    if (nclasses >= POOL_CLASSES)
        die("rx: class pool exhausted");
    id = nclasses++;
    c = &classes[id];
    memset(c, 0, sizeof(*c));
    c->first = nranges;
    if (*ps->p == '^') {
        c->neg = 1;
        ps->p++;
    }
    while (*ps->p && (*ps->p != ']' || first)) {
        first = false;
        if (*ps->p == '\\') {
            char e = ps->p[1];

            ps->p += 2;
            switch (e) {
            case 'w':
                c->cats |= CAT_W;
                continue;
            case 'W':
                c->cats |= CAT_NW;
                continue;
            case 's':
                c->cats |= CAT_S;
                continue;
            case 'S':
                c->cats |= CAT_NS;
                continue;
            case 'd':
                c->cats |= CAT_D;
                continue;
            case 'D':
                c->cats |= CAT_ND;
                continue;
            case 'b':
                lo = '\b';
                break;
            default:
                lo = simple_escape(e);
            }
        } else {
            lo = next_cp(ps);
        }
        hi = lo;
        if (ps->p[0] == '-' && ps->p[1] && ps->p[1] != ']') {
            ps->p++;
            if (*ps->p == '\\') {
                hi = simple_escape(ps->p[1]);
                ps->p += 2;
            } else {
                hi = next_cp(ps);
            }
        }
        add_range(lo, hi);
    }
    if (*ps->p != ']')
        die("rx: unterminated class");
    ps->p++;
    c->nranges = (uint16_t)(nranges - c->first);
    return id;
}

static int parse_int(struct parser *ps, int *out)
{
    int v = 0;
    int digits = 0;

    while (*ps->p >= '0' && *ps->p <= '9') {
        v = v * 10 + (*ps->p - '0');
        ps->p++;
        digits++;
    }
    *out = v;
    return digits;
}

static int parse_atom(struct parser *ps)
{
    int id = -1;
    char ch = *ps->p;

    if (ch == '(') {
        ps->p++;
        if (ps->p[0] == '?') {
            if (ps->p[1] == ':') {
                ps->p += 2;
                id = parse_alt(ps);
            } else if (ps->p[1] == '=' || ps->p[1] == '!') {
                id = new_node(N_LOOK);
                nodes[id].kind = ps->p[1] == '=' ? 0 : 1;
                ps->p += 2;
                nodes[id].a = parse_alt(ps);
            } else if (ps->p[1] == '<' &&
                       (ps->p[2] == '=' || ps->p[2] == '!')) {
                id = new_node(N_LOOK);
                nodes[id].kind = ps->p[2] == '=' ? 2 : 3;
                ps->p += 3;
                nodes[id].a = parse_alt(ps);
            } else if (ps->p[1] == '(') {
                int g;
                int yes;

                ps->p += 2;
                if (!parse_int(ps, &g) || *ps->p != ')')
                    die("rx: bad conditional");
                ps->p++;
                id = new_node(N_COND);
                nodes[id].group = (int16_t)g;
                yes = parse_alt(ps);
                /* parse_alt made an ALT of "yes|no" when there is a no. */
                if (nodes[yes].t == N_ALT) {
                    nodes[id].a = nodes[yes].a;
                    nodes[id].b = nodes[nodes[yes].a].next;
                    nodes[nodes[yes].a].next = -1;
                } else {
                    nodes[id].a = yes;
                }
            } else {
                die("rx: unsupported group");
            }
        } else {
            int g = ++ps->ngroups;

            if (g >= RX_NGROUPS)
                die("rx: too many groups");
            id = new_node(N_GROUP);
            nodes[id].group = (int16_t)g;
            nodes[id].a = parse_alt(ps);
        }
        if (*ps->p != ')')
            die("rx: missing )");
        ps->p++;
        return id;
    }
    if (ch == '[') {
        ps->p++;
        id = new_node(N_CLASS);
        nodes[id].c = (uint32_t)parse_class(ps);
        return id;
    }
    if (ch == '.') {
        ps->p++;
        return new_node(N_ANY);
    }
    if (ch == '^') {
        ps->p++;
        return new_node(N_BOL);
    }
    if (ch == '$') {
        ps->p++;
        return new_node(N_EOL);
    }
    if (ch == '\\') {
        char e = ps->p[1];
        int cats = 0;

        ps->p += 2;
        if (e >= '1' && e <= '9') {
            id = new_node(N_BACKREF);
            nodes[id].group = (int16_t)(e - '0');
            return id;
        }
        switch (e) {
        case 'b':
            return new_node(N_WORDB);
        case 'B':
            return new_node(N_NWORDB);
        case 'w':
            cats = CAT_W;
            break;
        case 'W':
            cats = CAT_NW;
            break;
        case 's':
            cats = CAT_S;
            break;
        case 'S':
            cats = CAT_NS;
            break;
        case 'd':
            cats = CAT_D;
            break;
        case 'D':
            cats = CAT_ND;
            break;
        default:
            id = new_node(N_CHAR);
            nodes[id].c = simple_escape(e);
            return id;
        }
        if (nclasses >= POOL_CLASSES)
            die("rx: class pool exhausted");
        memset(&classes[nclasses], 0, sizeof(classes[0]));
        classes[nclasses].first = nranges;
        classes[nclasses].cats = (uint8_t)cats;
        id = new_node(N_CLASS);
        nodes[id].c = (uint32_t)nclasses++;
        return id;
    }
    id = new_node(N_CHAR);
    nodes[id].c = next_cp(ps);
    return id;
}

static bool parse_quant(struct parser *ps, int *min, int *max)
{
    const char *save = ps->p;

    switch (*ps->p) {
    case '*':
        *min = 0;
        *max = RX_INF;
        ps->p++;
        return true;
    case '+':
        *min = 1;
        *max = RX_INF;
        ps->p++;
        return true;
    case '?':
        *min = 0;
        *max = 1;
        ps->p++;
        return true;
    case '{':
        ps->p++;
        if (!parse_int(ps, min))
            *min = 0;
        if (*ps->p == '}') {
            *max = *min;
        } else if (*ps->p == ',') {
            ps->p++;
            if (!parse_int(ps, max))
                *max = RX_INF;
        } else {
            ps->p = save;
            return false;
        }
        if (*ps->p != '}') {
            ps->p = save;
            return false;
        }
        ps->p++;
        return true;
    default:
        return false;
    }
}

static int parse_concat(struct parser *ps)
{
    int head = -1;
    int tail = -1;
    int cat = new_node(N_CAT);

    while (*ps->p && *ps->p != '|' && *ps->p != ')') {
        int atom = parse_atom(ps);
        int min;
        int max;

        if (parse_quant(ps, &min, &max)) {
            int rep = new_node(N_REP);

            nodes[rep].min = min;
            nodes[rep].max = max;
            nodes[rep].greedy = 1;
            if (*ps->p == '?') {
                nodes[rep].greedy = 0;
                ps->p++;
            }
            nodes[rep].a = atom;
            atom = rep;
        }
        if (tail < 0)
            head = atom;
        else
            nodes[tail].next = atom;
        tail = atom;
    }
    nodes[cat].a = head;
    return cat;
}

static int parse_alt(struct parser *ps)
{
    int first = parse_concat(ps);
    int alt;
    int tail = first;

    if (*ps->p != '|')
        return first;
    alt = new_node(N_ALT);
    nodes[alt].a = first;
    while (*ps->p == '|') {
        int next;

        ps->p++;
        next = parse_concat(ps);
        nodes[tail].next = next;
        tail = next;
    }
    return alt;
}

static bool nullable(int id)
{
    const struct node *n = &nodes[id];
    int ch;

    switch (n->t) {
    case N_CHAR:
    case N_ANY:
    case N_CLASS:
        return false;
    case N_CAT:
        for (ch = n->a; ch >= 0; ch = nodes[ch].next)
            if (!nullable(ch))
                return false;
        return true;
    case N_ALT:
        for (ch = n->a; ch >= 0; ch = nodes[ch].next)
            if (nullable(ch))
                return true;
        return false;
    case N_REP:
        return n->min == 0 || nullable(n->a);
    case N_GROUP:
        return nullable(n->a);
    case N_BACKREF:
        return true;
    case N_COND:
        return true;
    default:
        return true;
    }
}

static int emit(uint8_t op)
{
    if (ninsts >= POOL_INSTS)
        die("rx: instruction pool exhausted");
    memset(&insts[ninsts], 0, sizeof(insts[0]));
    insts[ninsts].op = op;
    return ninsts++;
}

static bool single_char(int id)
{
    uint8_t t = nodes[id].t;

    return t == N_CHAR || t == N_ANY || t == N_CLASS;
}

static void gen(int id, int flags);

static void gen_single(int id, int flags)
{
    const struct node *n = &nodes[id];
    int pc;

    if (n->t == N_CHAR) {
        pc = emit(OP_CHAR);
        insts[pc].c = n->c;
    } else if (n->t == N_ANY) {
        emit((flags & RXF_S) ? OP_ANYNL : OP_ANY);
    } else {
        pc = emit(OP_CLASS);
        insts[pc].c = n->c;
    }
}

static void gen_rep(int id, int flags)
{
    const struct node *n = &nodes[id];
    int i;
    int pc;
    int patch[64];
    int npatch = 0;

    if (single_char(n->a)) {
        pc = emit(OP_REP);
        insts[pc].x = n->min;
        insts[pc].y = n->max;
        insts[pc].greedy = n->greedy;
        gen_single(n->a, flags);
        return;
    }
    if (n->max == RX_INF && nullable(n->a))
        die("rx: empty loop body");
    for (i = 0; i < n->min; i++)
        gen(n->a, flags);
    if (n->max == RX_INF) {
        int loop = emit(OP_SPLIT);

        gen(n->a, flags);
        pc = emit(OP_JMP);
        insts[pc].x = loop;
        if (n->greedy) {
            insts[loop].x = loop + 1;
            insts[loop].y = ninsts;
        } else {
            insts[loop].x = ninsts;
            insts[loop].y = loop + 1;
        }
        return;
    }
    for (i = n->min; i < n->max; i++) {
        if (npatch >= 64)
            die("rx: repeat count too large");
        pc = emit(OP_SPLIT);
        patch[npatch++] = pc;
        gen(n->a, flags);
    }
    for (i = 0; i < npatch; i++) {
        pc = patch[i];
        if (n->greedy) {
            insts[pc].x = pc + 1;
            insts[pc].y = ninsts;
        } else {
            insts[pc].x = ninsts;
            insts[pc].y = pc + 1;
        }
    }
}

static void gen(int id, int flags)
{
    const struct node *n = &nodes[id];
    int ch;
    int pc;

    switch (n->t) {
    case N_EMPTY:
        break;
    case N_CHAR:
    case N_ANY:
    case N_CLASS:
        gen_single(id, flags);
        break;
    case N_BOL:
        emit((flags & RXF_M) ? OP_BOLM : OP_BOL);
        break;
    case N_EOL:
        emit((flags & RXF_M) ? OP_EOLM : OP_EOL);
        break;
    case N_WORDB:
        emit(OP_WORDB);
        break;
    case N_NWORDB:
        emit(OP_NWORDB);
        break;
    case N_CAT:
        for (ch = n->a; ch >= 0; ch = nodes[ch].next)
            gen(ch, flags);
        break;
    case N_ALT: {
        int jumps[64];
        int njumps = 0;

        for (ch = n->a; ch >= 0; ch = nodes[ch].next) {
            int split = -1;

            if (nodes[ch].next >= 0)
                split = emit(OP_SPLIT);
            gen(ch, flags);
            if (nodes[ch].next >= 0) {
                if (njumps >= 64)
                    die("rx: too many alternatives");
                jumps[njumps++] = emit(OP_JMP);
                insts[split].x = split + 1;
                insts[split].y = ninsts;
            }
        }
        while (njumps > 0)
            insts[jumps[--njumps]].x = ninsts;
        break;
    }
    case N_REP:
        gen_rep(id, flags);
        break;
    case N_GROUP:
        pc = emit(OP_SAVE);
        insts[pc].n = (uint16_t)(2 * n->group);
        gen(n->a, flags);
        pc = emit(OP_SAVE);
        insts[pc].n = (uint16_t)(2 * n->group + 1);
        break;
    case N_LOOK:
        pc = emit(OP_LOOK);
        insts[pc].n = (uint16_t)n->kind;
        gen(n->a, flags);
        emit(OP_SUBMATCH);
        insts[pc].x = ninsts;
        break;
    case N_BACKREF:
        pc = emit(OP_BACKREF);
        insts[pc].n = (uint16_t)n->group;
        break;
    case N_COND: {
        int jmp;

        pc = emit(OP_COND);
        insts[pc].n = (uint16_t)n->group;
        gen(n->a, flags);
        jmp = emit(OP_JMP);
        insts[pc].x = ninsts;
        if (n->b >= 0)
            gen(n->b, flags);
        insts[jmp].x = ninsts;
        break;
    }
    default:
        die("rx: bad node");
    }
}

static void first_byte(struct rx_prog *p, unsigned b)
{
    p->first[b >> 3] = (uint8_t)(p->first[b >> 3] | (1u << (b & 7)));
}

static void first_range(struct rx_prog *p, uint32_t lo, uint32_t hi)
{
    uint32_t c;

    for (c = lo; c <= hi && c < 0x80; c++)
        first_byte(p, c);
    if (hi >= 0x80)
        for (c = 0xC2; c <= 0xF4; c++)
            first_byte(p, c);
}

static bool match_class(const struct cls *c, uint32_t cp, bool icase);

/* Adds the bytes a character of class c can begin with: exactly for
 * ASCII, and every UTF-8 lead byte whenever the class (negated, with \w
 * \s \d, a range past ASCII, or case folding) may match beyond ASCII. */
static void class_first(struct rx_prog *p, const struct cls *c)
{
    bool icase = (p->flags & RXF_I) != 0;
    bool wide = c->neg || c->cats || icase;
    uint32_t b;
    uint32_t i;

    for (b = 0; b < 0x80; b++)
        if (match_class(c, b, icase))
            first_byte(p, b);
    for (i = 0; i < c->nranges && !wide; i++)
        wide = ranges[c->first + i].hi >= 0x80;
    if (wide)
        first_range(p, 0x80, 0x80);
}

/* Works out which bytes a match can begin with by walking the program
 * from pc until instructions that consume; sets any_first when it cannot
 * tell. Depth-limited: patterns are small and loops always consume. */
static void first_set(struct rx_prog *p, int pc, int depth)
{
    const struct inst *in;

    if (p->any_first)
        return;
    if (depth > 64) {
        p->any_first = true;
        return;
    }
    for (;;) {
        in = &insts[pc];
        switch (in->op) {
        case OP_CHAR:
            if ((p->flags & RXF_I) && in->c < 0x80 &&
                ((in->c | 0x20) >= 'a' && (in->c | 0x20) <= 'z')) {
                first_byte(p, in->c | 0x20);
                first_byte(p, in->c & ~0x20u);
            } else if (in->c < 0x80) {
                first_byte(p, in->c);
            } else {
                char tmp[4];

                uni_encode(in->c, tmp);
                first_byte(p, (unsigned char)tmp[0]);
            }
            if (p->flags & RXF_I)
                first_range(p, 0x80, 0x80);
            return;
        case OP_CLASS:
            class_first(p, &classes[in->c]);
            return;
        case OP_ANY:
        case OP_ANYNL:
        case OP_BACKREF:
        case OP_MATCH:
        case OP_SUBMATCH:
            p->any_first = true;
            return;
        case OP_SPLIT:
            first_set(p, in->x, depth + 1);
            pc = in->y;
            continue;
        case OP_JMP:
            pc = in->x;
            continue;
        case OP_LOOK:
            pc = in->x;
            continue;
        case OP_COND:
            first_set(p, pc + 1, depth + 1);
            pc = in->x;
            continue;
        case OP_REP:
            if (in->x == 0)
                first_set(p, pc + 2, depth + 1);
            pc++;
            continue;
        default: /* SAVE and zero-width assertions */
            pc++;
            continue;
        }
    }
}

static void compile_one(int id)
{
    struct parser ps = {defs[id].pattern, defs[id].flags, 0};
    int root;
    int pc;

    nnodes = 0;
    root = parse_alt(&ps);
    if (*ps.p)
        die("rx: trailing input");
    progs[id].flags = defs[id].flags;
    progs[id].start = ninsts;
    pc = emit(OP_SAVE);
    insts[pc].n = 0;
    gen(root, defs[id].flags);
    pc = emit(OP_SAVE);
    insts[pc].n = 1;
    emit(OP_MATCH);
    progs[id].ngroups = ps.ngroups + 1;
    first_set(&progs[id], progs[id].start, 0);
}

static void compile_all(void)
{
    int id;

    for (id = 0; id < RX__COUNT; id++)
        compile_one(id);
}

/* Matching. */

static bool class_has(const struct cls *c, uint32_t cp)
{
    uint32_t i;

    for (i = 0; i < c->nranges; i++)
        if (cp >= ranges[c->first + i].lo && cp <= ranges[c->first + i].hi)
            return true;
    if ((c->cats & CAT_W) && uni_is_word(cp))
        return true;
    if ((c->cats & CAT_NW) && !uni_is_word(cp))
        return true;
    if ((c->cats & CAT_S) && uni_is_space(cp))
        return true;
    if ((c->cats & CAT_NS) && !uni_is_space(cp))
        return true;
    if ((c->cats & CAT_D) && uni_is_digit(cp))
        return true;
    if ((c->cats & CAT_ND) && !uni_is_digit(cp))
        return true;
    return false;
}

static uint32_t ascii_upper(uint32_t cp)
{
    return (cp >= 'a' && cp <= 'z') ? cp - 32 : cp;
}

static bool match_class(const struct cls *c, uint32_t cp, bool icase)
{
    bool in = class_has(c, cp);

    if (!in && icase)
        in = class_has(c, uni_lower(cp)) || class_has(c, ascii_upper(cp));
    return c->neg ? !in : in;
}

/* Matches the single-character instruction at in against s[pos]; returns
 * the bytes consumed, or 0. */
static size_t match1(const struct inst *in, bool icase, const char *s, size_t n,
                     size_t pos)
{
    uint32_t cp;
    size_t len;

    if (pos >= n)
        return 0;
    len = uni_decode(s + pos, n - pos, &cp);
    switch (in->op) {
    case OP_CHAR:
        if (cp == in->c || (icase && uni_lower(cp) == uni_lower(in->c)))
            return len;
        return 0;
    case OP_ANY:
        return cp == '\n' ? 0 : len;
    case OP_ANYNL:
        return len;
    case OP_CLASS:
        return match_class(&classes[in->c], cp, icase) ? len : 0;
    default:
        return 0;
    }
}

static bool is_word_at(const char *s, size_t n, size_t pos)
{
    uint32_t cp;

    if (pos >= n)
        return false;
    uni_decode(s + pos, n - pos, &cp);
    return uni_is_word(cp);
}

static bool is_word_before(const char *s, size_t pos)
{
    uint32_t cp;
    size_t p;

    if (pos == 0)
        return false;
    p = uni_prev(s, pos);
    uni_decode(s + p, pos - p, &cp);
    return uni_is_word(cp);
}

static int push(struct rx_ctx *c, uint8_t kind, int32_t pc, size_t pos,
                size_t aux)
{
    struct rx_bt *grown;
    size_t want;

    if (c->len == c->cap) {
        if (c->cap >= STACK_MAX_ENTRIES) {
            c->err = BODE_ERR_TOO_BIG;
            return -1;
        }
        want = c->cap ? c->cap * 2 : 256;
        grown = bode_realloc(c->stack, want * sizeof(*grown));
        if (!grown) {
            c->err = BODE_ERR_NOMEM;
            return -1;
        }
        c->stack = grown;
        c->cap = want;
    }
    c->stack[c->len].kind = kind;
    c->stack[c->len].pc = pc;
    c->stack[c->len].pos = pos;
    c->stack[c->len].aux = aux;
    c->len++;
    return 0;
}

static bool backref_eq(const char *s, size_t n, size_t pos, const long *caps,
                       int g, bool icase, size_t *len)
{
    size_t a;
    size_t b;
    size_t i = 0;
    size_t j = pos;
    uint32_t x;
    uint32_t y;

    if (caps[2 * g] < 0 || caps[2 * g + 1] < 0)
        return false;
    a = (size_t)caps[2 * g];
    b = (size_t)caps[2 * g + 1];
    if (!icase) {
        if (b - a > n - pos || memcmp(s + a, s + pos, b - a) != 0)
            return false;
        *len = b - a;
        return true;
    }
    for (i = a; i < b;) {
        if (j >= n)
            return false;
        i += uni_decode(s + i, b - i, &x);
        j += uni_decode(s + j, n - j, &y);
        if (uni_lower(x) != uni_lower(y))
            return false;
    }
    *len = j - pos;
    return true;
}

static int run(struct rx_ctx *c, const struct rx_prog *p, int pc, const char *s,
               size_t n, size_t pos, long *caps, size_t *endpos);

static int look(struct rx_ctx *c, const struct rx_prog *p, int pc,
                const char *s, size_t n, size_t pos, long *caps)
{
    const struct inst *in = &insts[pc];
    long saved[2 * RX_NGROUPS];
    size_t from = pos;
    size_t end = 0;
    bool ok;
    int r;
    int i;

    memcpy(saved, caps, 2 * (size_t)p->ngroups * sizeof(*caps));
    if (in->n >= 2) {
        if (pos == 0) {
            ok = false;
            goto decided;
        }
        from = uni_prev(s, pos);
    }
    r = run(c, p, pc + 1, s, n, from, caps, &end);
    if (r < 0)
        return -1;
    ok = r == 1 && (in->n < 2 || end == pos);
decided:
    if (in->n == 1 || in->n == 3) {
        memcpy(caps, saved, 2 * (size_t)p->ngroups * sizeof(*caps));
        return ok ? 0 : 1;
    }
    if (!ok) {
        memcpy(caps, saved, 2 * (size_t)p->ngroups * sizeof(*caps));
        return 0;
    }
    for (i = 0; i < 2 * p->ngroups; i++)
        if (caps[i] != saved[i] && push(c, BT_UNDO, i, (size_t)saved[i], 0) < 0)
            return -1;
    return 1;
}

static int run(struct rx_ctx *c, const struct rx_prog *p, int pc, const char *s,
               size_t n, size_t pos, long *caps, size_t *endpos)
{
    size_t base = c->len;
    bool icase = (p->flags & RXF_I) != 0;
    const struct inst *in;
    size_t len;
    int r;

    if (push(c, BT_FLOOR, 0, 0, 0) < 0)
        return -1;
    for (;;) {
        if (++c->steps > c->budget) {
            c->err = BODE_ERR_TOO_BIG;
            goto error;
        }
        in = &insts[pc];
        switch (in->op) {
        case OP_CHAR:
        case OP_ANY:
        case OP_ANYNL:
        case OP_CLASS:
            len = match1(in, icase, s, n, pos);
            if (!len)
                goto fail;
            pos += len;
            pc++;
            continue;
        case OP_SPLIT:
            if (push(c, BT_PC, in->y, pos, 0) < 0)
                goto error;
            pc = in->x;
            continue;
        case OP_JMP:
            pc = in->x;
            continue;
        case OP_SAVE:
            if (push(c, BT_UNDO, in->n, (size_t)caps[in->n], 0) < 0)
                goto error;
            caps[in->n] = (long)pos;
            pc++;
            continue;
        case OP_BOL:
            if (pos != 0)
                goto fail;
            pc++;
            continue;
        case OP_BOLM:
            if (pos != 0 && s[pos - 1] != '\n')
                goto fail;
            pc++;
            continue;
        case OP_EOL:
            if (!(pos == n || (pos + 1 == n && s[pos] == '\n')))
                goto fail;
            pc++;
            continue;
        case OP_EOLM:
            if (!(pos == n || s[pos] == '\n'))
                goto fail;
            pc++;
            continue;
        case OP_WORDB:
        case OP_NWORDB: {
            bool at = is_word_before(s, pos) != is_word_at(s, n, pos);

            if (at != (in->op == OP_WORDB))
                goto fail;
            pc++;
            continue;
        }
        case OP_LOOK:
            r = look(c, p, pc, s, n, pos, caps);
            if (r < 0)
                goto error;
            if (!r)
                goto fail;
            pc = in->x;
            continue;
        case OP_BACKREF:
            if (!backref_eq(s, n, pos, caps, in->n, icase, &len))
                goto fail;
            pos += len;
            pc++;
            continue;
        case OP_COND:
            if (caps[2 * in->n] >= 0 && caps[2 * in->n + 1] >= 0)
                pc++;
            else
                pc = in->x;
            continue;
        case OP_REP: {
            size_t count = 0;
            size_t minpos;

            while (count < (size_t)in->x) {
                len = match1(in + 1, icase, s, n, pos);
                if (!len)
                    goto fail;
                pos += len;
                count++;
            }
            minpos = pos;
            if (in->greedy) {
                while (in->y == RX_INF || count < (size_t)in->y) {
                    len = match1(in + 1, icase, s, n, pos);
                    if (!len)
                        break;
                    pos += len;
                    count++;
                    c->steps++;
                }
                if (pos > minpos && push(c, BT_GREEDY, pc + 2, pos, minpos) < 0)
                    goto error;
            } else if (in->y == RX_INF || count < (size_t)in->y) {
                size_t left =
                    in->y == RX_INF ? SIZE_MAX : (size_t)in->y - count;

                if (push(c, BT_LAZY, pc, pos, left) < 0)
                    goto error;
            }
            pc += 2;
            continue;
        }
        case OP_MATCH:
        case OP_SUBMATCH:
            *endpos = pos;
            c->len = base;
            return 1;
        }
    fail:
        for (;;) {
            struct rx_bt *t = &c->stack[c->len - 1];

            switch (t->kind) {
            case BT_FLOOR:
                c->len = base;
                return 0;
            case BT_UNDO:
                caps[t->pc] = (long)t->pos;
                c->len--;
                continue;
            case BT_PC:
                pc = t->pc;
                pos = t->pos;
                c->len--;
                break;
            case BT_GREEDY:
                pc = t->pc;
                pos = uni_prev(s, t->pos);
                if (pos <= t->aux)
                    c->len--;
                else
                    t->pos = pos;
                break;
            case BT_LAZY: {
                const struct inst *rep = &insts[t->pc];

                len = match1(rep + 1, icase, s, n, t->pos);
                if (!len || t->aux == 0) {
                    c->len--;
                    continue;
                }
                t->pos += len;
                t->aux--;
                pos = t->pos;
                pc = t->pc + 2;
                if (t->aux == 0)
                    c->len--;
                break;
            }
            }
            break;
        }
    }
error:
    c->len = base;
    return -1;
}

static const struct rx_prog *prog(enum rx_id id)
{
    pthread_once(&once, compile_all);
    return &progs[id];
}

void rx_ctx_init(struct rx_ctx *c, unsigned long long budget)
{
    c->stack = NULL;
    c->len = 0;
    c->cap = 0;
    c->steps = 0;
    c->budget = budget;
    c->err = BODE_OK;
}

void rx_ctx_release(struct rx_ctx *c)
{
    bode_free(c->stack);
    c->stack = NULL;
    c->len = 0;
    c->cap = 0;
}

static int match_at(struct rx_ctx *c, const struct rx_prog *p, const char *s,
                    size_t n, size_t pos, struct rx_m *m)
{
    size_t end;
    int i;
    int r;

    /* Groups past ngroups are never written, so stay -1 from the caller. */
    for (i = 0; i < 2 * p->ngroups; i++)
        m->g[i] = -1;
    r = run(c, p, p->start, s, n, pos, m->g, &end);
    return r;
}

static void unset_all(struct rx_m *m)
{
    int i;

    for (i = 0; i < 2 * RX_NGROUPS; i++)
        m->g[i] = -1;
}

int rx_match(struct rx_ctx *c, enum rx_id id, const char *s, size_t n,
             size_t pos, struct rx_m *m)
{
    if (c->err)
        return -1;
    unset_all(m);
    return match_at(c, prog(id), s, n, pos, m);
}

int rx_search(struct rx_ctx *c, enum rx_id id, const char *s, size_t n,
              size_t pos, struct rx_m *m)
{
    const struct rx_prog *p;
    uint32_t cp;
    int r;

    if (c->err)
        return -1;
    p = prog(id);
    unset_all(m);
    while (pos <= n) {
        if (!p->any_first) {
            while (pos < n && !(p->first[(unsigned char)s[pos] >> 3] &
                                (1u << ((unsigned char)s[pos] & 7))))
                pos++;
            if (pos >= n)
                return 0;
        }
        r = match_at(c, p, s, n, pos, m);
        if (r != 0)
            return r;
        if (pos == n)
            break;
        pos += uni_decode(s + pos, n - pos, &cp);
    }
    return 0;
}

static enum bode_err add_repl(const char *s, const struct rx_m *m,
                              const char *repl, struct bode_buf *out)
{
    enum bode_err err = BODE_OK;
    const char *r;
    int g;

    for (r = repl; *r && !err; r++) {
        if (r[0] == '\\' && r[1] >= '1' && r[1] <= '9') {
            g = r[1] - '0';
            if (rx_gset(m, g))
                err = bode_buf_add(out, s + m->g[2 * g], rx_glen(m, g));
            r++;
        } else {
            err = bode_buf_addc(out, *r);
        }
    }
    return err;
}

enum bode_err rx_sub(struct rx_ctx *c, enum rx_id id, const char *s, size_t n,
                     const char *repl, struct bode_buf *out)
{
    struct rx_m m;
    size_t pos = 0;
    size_t from = 0;
    size_t mstart;
    size_t mend;
    enum bode_err err;
    uint32_t cp;
    int r;

    while (from <= n) {
        r = rx_search(c, id, s, n, from, &m);
        if (r < 0)
            return c->err;
        if (r == 0)
            break;
        mstart = (size_t)m.g[0];
        mend = (size_t)m.g[1];
        err = bode_buf_add(out, s + pos, mstart - pos);
        if (!err)
            err = add_repl(s, &m, repl, out);
        if (err)
            return err;
        pos = mend;
        if (mend == mstart) {
            if (mend >= n)
                break;
            from = mend + uni_decode(s + mend, n - mend, &cp);
        } else {
            from = mend;
        }
    }
    return bode_buf_add(out, s + pos, n - pos);
}
