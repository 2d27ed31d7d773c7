/* Tests for sent files in the store (store/document.c) against a real
 * redis-server: one string per document, expiring, under the service's
 * hash tag. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bode/alloc.h"
#include "bode/rand.h"
#include "bode/store.h"
#include "testredis.h"

struct fixture {
    struct test_redis srv;
    struct bode_redis *r;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (!f || test_redis_start(&f->srv))
        return -1;
    f->r = bode_redis_new(f->srv.url, 2000);
    if (!f->r)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    bode_redis_free(f->r);
    test_redis_stop(&f->srv, 1);
    free(f);
    return 0;
}

/* The output of redis-cli with args, first line, into out. */
static void cli(const struct fixture *f, const char *args, char *out,
                size_t size)
{
    char cmd[600];
    FILE *p;

    snprintf(cmd, sizeof(cmd), "redis-cli -s %s %s", f->srv.sock, args);
    p = popen(cmd, "r");
    assert_non_null(p);
    if (!fgets(out, (int)size, p))
        out[0] = '\0';
    out[strcspn(out, "\n")] = '\0';
    pclose(p);
}

static void test_bode_store_document_put_get_delete(void **state)
{
    struct fixture *f = *state;
    char sid[37];
    char did[37];
    char args[200];
    char out[64];
    static const char blob[] = "sealed\0bytes\r\n";
    char *got = NULL;
    size_t len = 0;

    assert_int_equal(bode_rand_uuid(sid), BODE_OK);
    assert_int_equal(bode_rand_uuid(did), BODE_OK);
    assert_int_equal(bode_store_document_get(f->r, sid, did, &got, &len),
                     BODE_ERR_NOT_FOUND);
    assert_int_equal(
        bode_store_document_put(f->r, sid, did, blob, sizeof(blob), 3600),
        BODE_OK);
    /* Ids are random: a second put of the same id is a fault. */
    assert_int_equal(
        bode_store_document_put(f->r, sid, did, blob, sizeof(blob), 3600),
        BODE_ERR_REDIS);
    assert_int_equal(bode_store_document_get(f->r, sid, did, &got, &len),
                     BODE_OK);
    assert_int_equal(len, sizeof(blob));
    assert_memory_equal(got, blob, len);
    bode_free(got);
    snprintf(args, sizeof(args), "TTL 'bode:{s:%s}:doc:%s'", sid, did);
    cli(f, args, out, sizeof(out));
    assert_true(strtol(out, NULL, 10) > 3500 && strtol(out, NULL, 10) <= 3600);
    assert_int_equal(bode_store_document_delete(f->r, sid, did), BODE_OK);
    assert_int_equal(bode_store_document_get(f->r, sid, did, &got, &len),
                     BODE_ERR_NOT_FOUND);
    assert_int_equal(bode_store_document_delete(f->r, sid, did), BODE_OK);
}

static void test_bode_store_document_refuses_bad_ids(void **state)
{
    struct fixture *f = *state;
    char sid[37];
    char *got = NULL;
    size_t len = 0;

    assert_int_equal(bode_rand_uuid(sid), BODE_OK);
    assert_int_equal(bode_store_document_put(f->r, sid, "../x", "b", 1, 60),
                     BODE_ERR_INVALID);
    assert_int_equal(bode_store_document_put(f->r, sid, sid, "b", 1, 0),
                     BODE_ERR_INVALID);
    assert_int_equal(bode_store_document_get(f->r, "x}:svc", sid, &got, &len),
                     BODE_ERR_NOT_FOUND);
    assert_null(got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bode_store_document_put_get_delete),
        cmocka_unit_test(test_bode_store_document_refuses_bad_ids),
    };

    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, setup, teardown);
}
