/* Random identifiers (src/util/rand.c): UUID version and variant bits,
 * hex ids, no repeats across the per-thread pool's refills, and a forked
 * child never handing out the id its parent hands out next. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "bode/rand.h"

static int cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void test_uuids_are_version_4_and_distinct(void **state)
{
    enum { N = 5000 };
    char(*ids)[37] = malloc(N * sizeof(*ids));
    int i;

    (void)state;
    assert_non_null(ids);
    /* 5,000 ids take the pool through 300 refills. */
    for (i = 0; i < N; i++) {
        assert_int_equal(bode_rand_uuid(ids[i]), BODE_OK);
        assert_int_equal(strlen(ids[i]), 36);
        assert_int_equal(ids[i][14], '4');
        assert_non_null(strchr("89ab", ids[i][19]));
        assert_int_equal(strspn(ids[i], "0123456789abcdef-"), 36);
    }
    qsort(ids, N, sizeof(ids[0]), cmp);
    for (i = 1; i < N; i++)
        assert_string_not_equal(ids[i - 1], ids[i]);
    free(ids);
}

static void test_hex_ids(void **state)
{
    char a[200];
    char b[200];

    (void)state;
    assert_int_equal(bode_rand_hex(a, 199), BODE_OK);
    assert_int_equal(strlen(a), 199);
    assert_int_equal(strspn(a, "0123456789abcdef"), 199);
    assert_int_equal(bode_rand_hex(b, 32), BODE_OK);
    assert_int_equal(strlen(b), 32);
    assert_memory_not_equal(a, b, 32);
}

static void test_forked_child_does_not_repeat_the_parent(void **state)
{
    char first[37];
    char parent[37];
    char child[37] = "";
    int fds[2];
    pid_t pid;
    int status;

    (void)state;
    /* Fills the pool, so the next id would come from bytes the child
     * inherits. */
    assert_int_equal(bode_rand_uuid(first), BODE_OK);
    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char id[37];

        close(fds[0]);
        if (bode_rand_uuid(id) != BODE_OK ||
            write(fds[1], id, sizeof(id)) != (ssize_t)sizeof(id))
            _exit(1);
        _exit(0);
    }
    close(fds[1]);
    assert_int_equal(bode_rand_uuid(parent), BODE_OK);
    assert_int_equal(read(fds[0], child, sizeof(child)),
                     (ssize_t)sizeof(child));
    close(fds[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_string_not_equal(parent, child);
    assert_string_not_equal(first, child);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uuids_are_version_4_and_distinct),
        cmocka_unit_test(test_hex_ids),
        cmocka_unit_test(test_forked_child_does_not_repeat_the_parent),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
