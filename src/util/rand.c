/* Random bytes and identifiers. Must only use the kernel CSPRNG: ids and
 * secrets made here must not be guessable. */
#include "bode/rand.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/random.h>

enum bode_err bode_rand_bytes(void *buf, size_t n)
{
    unsigned char *p = buf;
    ssize_t got;

    while (n > 0) {
        got = getrandom(p, n, 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return BODE_ERR_IO;
        }
        p += got;
        n -= (size_t)got;
    }
    return BODE_OK;
}

static const char hex[] = "0123456789abcdef";

/* Identifiers take their bytes from a per-thread pool filled 256 bytes at
 * a time: one getrandom call per 16 UUIDs instead of one per id (two per
 * accept, with the request id). Bytes are wiped as they are handed out,
 * and a forked child starts with an empty pool, so parent and child can
 * never hand out the same id. */
#define POOL_SIZE 256

static _Thread_local struct {
    unsigned char bytes[POOL_SIZE];
    size_t left; /* unused bytes at the end of bytes */
} pool;

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void empty_pool(void)
{
    memset(pool.bytes, 0, sizeof(pool.bytes));
    pool.left = 0;
}

static void register_atfork(void)
{
    pthread_atfork(NULL, NULL, empty_pool);
}

/* n random bytes (at most POOL_SIZE) from this thread's pool. */
static enum bode_err pool_take(unsigned char *out, size_t n)
{
    unsigned char *from;
    enum bode_err err;

    pthread_once(&atfork_once, register_atfork);
    if (pool.left < n) {
        err = bode_rand_bytes(pool.bytes, sizeof(pool.bytes));
        if (err)
            return err;
        pool.left = sizeof(pool.bytes);
    }
    from = pool.bytes + sizeof(pool.bytes) - pool.left;
    memcpy(out, from, n);
    memset(from, 0, n);
    pool.left -= n;
    return BODE_OK;
}

enum bode_err bode_rand_hex(char *out, size_t n)
{
    unsigned char bytes[64];
    size_t i;
    size_t done = 0;
    enum bode_err err;

    while (done < n) {
        size_t chunk =
            n - done > 2 * sizeof(bytes) ? 2 * sizeof(bytes) : n - done;
        err = pool_take(bytes, (chunk + 1) / 2);
        if (err) {
            out[0] = '\0';
            return err;
        }
        for (i = 0; i < chunk; i++)
            out[done + i] = hex[(bytes[i / 2] >> (i % 2 ? 0 : 4)) & 0xf];
        done += chunk;
    }
    out[n] = '\0';
    return BODE_OK;
}

enum bode_err bode_rand_uuid(char out[37])
{
    unsigned char b[16];
    size_t i;
    size_t o = 0;
    enum bode_err err = pool_take(b, sizeof(b));

    if (err) {
        out[0] = '\0';
        return err;
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    for (i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 0xf];
    }
    out[o] = '\0';
    return BODE_OK;
}
