/* Tests for the TTL cache: hits, expiry, replacement, reference counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "bode/ttlcache.h"

static int destroyed;

struct thing {
    struct bode_ttl_entry base;
    int value;
};

static void destroy(struct bode_ttl_entry *e)
{
    destroyed++;
    free(e);
}

static struct thing *make(const char *key, int value)
{
    struct thing *t = calloc(1, sizeof(*t));

    assert_non_null(t);
    bode_ttl_entry_init(&t->base, key, destroy);
    t->value = value;
    return t;
}

static void test_bode_ttlcache_get_put_and_expiry(void **state)
{
    struct bode_ttlcache *c = bode_ttlcache_new(8, 100);
    struct thing *a = make("a", 1);
    struct thing *got;

    (void)state;
    destroyed = 0;
    assert_null(bode_ttlcache_get(c, "a"));
    bode_ttlcache_put(c, &a->base);
    bode_ttl_entry_unref(&a->base); /* the cache still holds it */
    assert_int_equal(destroyed, 0);
    got = (struct thing *)bode_ttlcache_get(c, "a");
    assert_non_null(got);
    assert_int_equal(got->value, 1);
    bode_ttl_entry_unref(&got->base);
    assert_null(bode_ttlcache_get(c, "b"));
    usleep(150000);
    assert_null(bode_ttlcache_get(c, "a"));
    bode_ttlcache_free(c);
    assert_int_equal(destroyed, 1);
}

static void test_bode_ttlcache_replacement_keeps_held_entries(void **state)
{
    struct bode_ttlcache *c = bode_ttlcache_new(1, 10000);
    struct thing *a = make("a", 1);
    struct thing *b = make("b", 2);
    struct thing *held;

    (void)state;
    destroyed = 0;
    bode_ttlcache_put(c, &a->base);
    held = (struct thing *)bode_ttlcache_get(c, "a");
    bode_ttl_entry_unref(&a->base);
    /* One slot: b replaces a, but a request still holds a. */
    bode_ttlcache_put(c, &b->base);
    bode_ttl_entry_unref(&b->base);
    assert_int_equal(destroyed, 0);
    assert_int_equal(held->value, 1);
    bode_ttl_entry_unref(&held->base);
    assert_int_equal(destroyed, 1);
    assert_null(bode_ttlcache_get(c, "a"));
    bode_ttlcache_free(c);
    assert_int_equal(destroyed, 2);
}

static void test_bode_ttlcache_zero_ttl_keeps_nothing(void **state)
{
    struct bode_ttlcache *c = bode_ttlcache_new(4, 0);
    struct thing *a = make("a", 1);

    (void)state;
    destroyed = 0;
    bode_ttlcache_put(c, &a->base);
    assert_null(bode_ttlcache_get(c, "a"));
    bode_ttl_entry_unref(&a->base);
    assert_int_equal(destroyed, 1);
    bode_ttlcache_free(c);
    bode_ttlcache_free(NULL);
    assert_null(bode_ttlcache_get(NULL, "a"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bode_ttlcache_get_put_and_expiry),
        cmocka_unit_test(test_bode_ttlcache_replacement_keeps_held_entries),
        cmocka_unit_test(test_bode_ttlcache_zero_ttl_keeps_nothing),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
