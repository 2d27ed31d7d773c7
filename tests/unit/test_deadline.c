/* The HTTP request deadline (src/http/deadline.c) on real sockets: a
 * connection is shut down only when its request has not arrived whole in
 * time (or its request line, within the longer idle allowance), once,
 * never while it is being answered, never after its slot is closed, and
 * the clock restarts for each request on a keep-alive connection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "http/deadline.h"

#define REQUEST_MS 1000
#define IDLE_MS 3000

struct seen {
    int phase[3]; /* by enum deadline_phase */
};

static void count(void *cls, enum deadline_phase phase)
{
    struct seen *seen = cls;

    seen->phase[phase]++;
}

struct pair {
    int ours; /* the watched end, as libmicrohttpd's socket */
    int peer; /* the client's end */
};

static void pair_open(struct pair *p)
{
    int fds[2];

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    p->ours = fds[0];
    p->peer = fds[1];
}

static void pair_close(struct pair *p)
{
    close(p->ours);
    close(p->peer);
}

/* True when the client sees the end of the stream. */
static bool peer_sees_eof(const struct pair *p)
{
    char c;

    return recv(p->peer, &c, 1, MSG_DONTWAIT) == 0;
}

static struct deadline *make(size_t max, struct seen *seen)
{
    struct deadline *d = deadline_new(max, REQUEST_MS, IDLE_MS, count, seen);

    assert_non_null(d);
    return d;
}

static void test_request_line_gets_the_idle_allowance(void **state)
{
    struct seen seen = {{0}};
    struct deadline *d = make(4, &seen);
    struct deadline_slot *s;
    struct pair p;
    long long t0;

    (void)state;
    pair_open(&p);
    t0 = deadline_now_ms();
    s = deadline_open(d, p.ours);
    assert_non_null(s);
    /* Past the request timeout but within the idle allowance. */
    assert_int_equal(deadline_sweep(d, t0 + IDLE_MS - 100), 0);
    assert_false(peer_sees_eof(&p));
    assert_int_equal(deadline_sweep(d, t0 + IDLE_MS + 100), 1);
    assert_true(peer_sees_eof(&p));
    assert_int_equal(seen.phase[DEADLINE_REQUEST_LINE], 1);
    deadline_close(d, s);
    pair_close(&p);
    deadline_free(d);
}

static void test_late_headers_are_shut_down_once(void **state)
{
    struct seen seen = {{0}};
    struct deadline *d = make(4, &seen);
    struct deadline_slot *s;
    struct pair p;
    long long t0;

    (void)state;
    pair_open(&p);
    s = deadline_open(d, p.ours);
    t0 = deadline_now_ms();
    deadline_request_line(s);
    assert_int_equal(deadline_sweep(d, t0 + REQUEST_MS - 100), 0);
    assert_false(peer_sees_eof(&p));
    assert_int_equal(deadline_sweep(d, t0 + REQUEST_MS + 100), 1);
    assert_true(peer_sees_eof(&p));
    assert_int_equal(seen.phase[DEADLINE_HEADERS], 1);
    assert_int_equal(seen.phase[DEADLINE_BODY], 0);
    assert_int_equal(deadline_sweep(d, t0 + 10 * IDLE_MS), 0);
    assert_int_equal(seen.phase[DEADLINE_HEADERS], 1);
    deadline_close(d, s);
    pair_close(&p);
    deadline_free(d);
}

static void test_slow_body_counts_as_body(void **state)
{
    struct seen seen = {{0}};
    struct deadline *d = make(4, &seen);
    struct deadline_slot *s;
    struct pair p;

    (void)state;
    pair_open(&p);
    s = deadline_open(d, p.ours);
    deadline_request_line(s);
    deadline_headers_done(s);
    assert_int_equal(deadline_sweep(d, deadline_now_ms() + 2 * REQUEST_MS), 1);
    assert_true(peer_sees_eof(&p));
    assert_int_equal(seen.phase[DEADLINE_HEADERS], 0);
    assert_int_equal(seen.phase[DEADLINE_BODY], 1);
    deadline_close(d, s);
    pair_close(&p);
    deadline_free(d);
}

static void test_answering_and_next_request(void **state)
{
    struct seen seen = {{0}};
    struct deadline *d = make(4, &seen);
    struct deadline_slot *s;
    struct pair p;
    long long t0;

    (void)state;
    pair_open(&p);
    s = deadline_open(d, p.ours);
    deadline_request_line(s);
    deadline_headers_done(s);
    deadline_answering(s);
    /* A slow handler is not the client's fault. */
    assert_int_equal(deadline_sweep(d, deadline_now_ms() + 60 * IDLE_MS), 0);
    /* Between requests a keep-alive connection has the idle allowance,
     * counted from when the previous request completed... */
    deadline_next_request(s);
    t0 = deadline_now_ms();
    assert_int_equal(deadline_sweep(d, t0 + IDLE_MS - 100), 0);
    /* ...and its next request a whole request timeout of its own. */
    deadline_request_line(s);
    t0 = deadline_now_ms();
    assert_int_equal(deadline_sweep(d, t0 + REQUEST_MS - 100), 0);
    assert_false(peer_sees_eof(&p));
    assert_int_equal(deadline_sweep(d, t0 + REQUEST_MS + 100), 1);
    assert_true(peer_sees_eof(&p));
    deadline_close(d, s);
    pair_close(&p);
    deadline_free(d);
}

static void test_closed_slots_are_never_touched_and_reused(void **state)
{
    struct deadline *d = deadline_new(2, REQUEST_MS, IDLE_MS, NULL, NULL);
    struct deadline_slot *a;
    struct deadline_slot *b;
    struct deadline_slot *c;
    struct pair pa;
    struct pair pb;
    struct pair pc;

    (void)state;
    pair_open(&pa);
    pair_open(&pb);
    pair_open(&pc);
    a = deadline_open(d, pa.ours);
    b = deadline_open(d, pb.ours);
    assert_non_null(a);
    assert_non_null(b);
    /* Full: the third connection is left to the idle timeout. */
    assert_null(deadline_open(d, pc.ours));
    deadline_close(d, a);
    assert_int_equal(deadline_sweep(d, deadline_now_ms() + 2 * IDLE_MS), 1);
    assert_false(peer_sees_eof(&pa));
    assert_true(peer_sees_eof(&pb));
    c = deadline_open(d, pc.ours);
    assert_ptr_equal(c, a);
    assert_int_equal(deadline_sweep(d, deadline_now_ms() + 2 * IDLE_MS), 1);
    assert_true(peer_sees_eof(&pc));
    deadline_close(d, b);
    deadline_close(d, c);
    deadline_close(d, NULL);
    pair_close(&pa);
    pair_close(&pb);
    pair_close(&pc);
    deadline_free(d);
}

static void test_watchdog_thread_shuts_down_in_time(void **state)
{
    struct seen seen = {{0}};
    struct deadline *d = deadline_new(4, 200, 400, count, &seen);
    struct deadline_slot *s;
    struct pair p;
    long long t0 = deadline_now_ms();
    long long waited;

    (void)state;
    pair_open(&p);
    s = deadline_open(d, p.ours);
    deadline_request_line(s);
    assert_int_equal(deadline_start(d, 20), 0);
    while (!peer_sees_eof(&p) && deadline_now_ms() - t0 < 5000)
        usleep(5000);
    waited = deadline_now_ms() - t0;
    assert_true(peer_sees_eof(&p));
    assert_true(waited >= 200);
    assert_int_equal(seen.phase[DEADLINE_HEADERS], 1);
    deadline_close(d, s);
    pair_close(&p);
    deadline_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_line_gets_the_idle_allowance),
        cmocka_unit_test(test_late_headers_are_shut_down_once),
        cmocka_unit_test(test_slow_body_counts_as_body),
        cmocka_unit_test(test_answering_and_next_request),
        cmocka_unit_test(test_closed_slots_are_never_touched_and_reused),
        cmocka_unit_test(test_watchdog_thread_shuts_down_in_time),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
