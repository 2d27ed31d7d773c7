/* Allocation wrappers with a failure hook for tests.
 *
 * Every Bode allocation goes through these so a test can make the Nth
 * allocation fail and check that the caller cleans up and reports
 * BODE_ERR_NOMEM (curl's torture tests). jansson is routed through them too
 * by bode_alloc_install_json(). */
#ifndef BODE_ALLOC_H
#define BODE_ALLOC_H

#include <stddef.h>

/* Same contracts as malloc, calloc, realloc, free and strdup. bode_free
 * accepts NULL. Thread safe. */
void *bode_malloc(size_t size);
void *bode_calloc(size_t n, size_t size);
void *bode_realloc(void *ptr, size_t size);
void bode_free(void *ptr);
char *bode_strdup(const char *s);
char *bode_strndup(const char *s, size_t n);

/* Makes the allocation after `n` more successful ones fail, then every later
 * one until reset; n < 0 turns failure injection off. Tests only; not meant
 * to be changed while other threads allocate. */
void bode_alloc_fail_after(long n);

/* How many allocations have succeeded since the last bode_alloc_fail_after
 * call: a test runs an operation once to count, then fails each in turn. */
long bode_alloc_count(void);

/* Routes jansson's allocations through the hooks above. Call once at start
 * before any JSON object exists. */
void bode_alloc_install_json(void);

#endif
