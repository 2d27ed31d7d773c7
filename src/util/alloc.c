/* Allocation wrappers with test-time failure injection. Must stay a thin
 * shim: no pooling, no tracking beyond a counter. */
#include "bode/alloc.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_long fail_after = -1;
static atomic_long succeeded;

static int should_fail(void)
{
    long left = atomic_load(&fail_after);

    if (left < 0)
        return 0;
    if (left == 0)
        return 1;
    atomic_fetch_sub(&fail_after, 1);
    return 0;
}

static void *counted(void *p)
{
    if (p)
        atomic_fetch_add(&succeeded, 1);
    return p;
}

void *bode_malloc(size_t size)
{
    if (should_fail())
        return NULL;
    return counted(malloc(size ? size : 1));
}

void *bode_calloc(size_t n, size_t size)
{
    if (should_fail())
        return NULL;
    return counted(calloc(n ? n : 1, size ? size : 1));
}

void *bode_realloc(void *ptr, size_t size)
{
    if (should_fail())
        return NULL;
    return counted(realloc(ptr, size ? size : 1));
}

void bode_free(void *ptr)
{
    free(ptr);
}

char *bode_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *copy = bode_malloc(len + 1);

    if (!copy)
        return NULL;
    memcpy(copy, s, len);
    copy[len] = '\0';
    return copy;
}

char *bode_strdup(const char *s)
{
    return bode_strndup(s, strlen(s));
}

void bode_alloc_fail_after(long n)
{
    atomic_store(&succeeded, 0);
    atomic_store(&fail_after, n);
}

long bode_alloc_count(void)
{
    return atomic_load(&succeeded);
}

void bode_alloc_install_json(void)
{
    json_set_alloc_funcs(bode_malloc, bode_free);
}
