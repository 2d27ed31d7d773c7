/* Tests for sealing secrets at rest: the format (against a vector made
 * with Python's cryptography package), tampering, associated data, key
 * rotation, key text and key files, and allocation failures, with
 * OpenSSL's own allocations routed through the failure hook. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/crypto.h>

#include "bode/alloc.h"
#include "bode/secretbox.h"

#define SECRET "3d4f1a5c-8f7e-4b2a-9c1d-0e6f5a4b3c2d"
#define AD "bode:{svc:8b3aa916-ec82-434e-b0c5-d5d9b371d6a3}:keys"
#define KEY_HEX                                                                \
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define KEY_B64 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define KEY_B64URL "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
#define KEY2_HEX                                                               \
    "f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f"

/* AESGCM(bytes(range(32))).encrypt(bytes(range(0xa0, 0xac)), SECRET,
 * b"v1:f9d1a796:" + AD), laid out as the format says. */
static const char vector[] =
    "v1:f9d1a796:oKGio6Slpqeoqaqr1XxIS3SqN9xPXeHkYlf0vELNdCnxhiZBrGsQ4ErKQWPh"
    "FXWbPIwQsop76AwTHoKR0dJrQQ";

static char dir[64];

static struct bode_secretbox *box_from(const char *text)
{
    struct bode_secretbox *box = NULL;
    struct bode_secretbox_error e;

    assert_int_equal(bode_secretbox_new(&box), BODE_OK);
    assert_int_equal(
        bode_secretbox_add_keys_text(box, text, strlen(text), "test", &e),
        BODE_OK);
    return box;
}

static void test_bode_secretbox_open_known_vector(void **state)
{
    struct bode_secretbox *box = box_from(KEY_HEX);
    char out[64];
    size_t n;

    (void)state;
    assert_int_equal(bode_secretbox_open(box, vector, strlen(vector), AD,
                                         strlen(AD), out, sizeof(out), &n),
                     BODE_OK);
    assert_int_equal(n, strlen(SECRET));
    assert_string_equal(out, SECRET);
    assert_true(bode_secretbox_is_current(box, vector, strlen(vector)));
    bode_secretbox_free(box);
    /* The same key written as base64, either alphabet. */
    box = box_from(KEY_B64);
    assert_int_equal(bode_secretbox_open(box, vector, strlen(vector), AD,
                                         strlen(AD), out, sizeof(out), &n),
                     BODE_OK);
    bode_secretbox_free(box);
    box = box_from(KEY_B64URL);
    assert_int_equal(bode_secretbox_open(box, vector, strlen(vector), AD,
                                         strlen(AD), out, sizeof(out), &n),
                     BODE_OK);
    bode_secretbox_free(box);
    bode_secretbox_free(NULL);
}

static void test_bode_secretbox_seal_round_trips(void **state)
{
    struct bode_secretbox *box = box_from(KEY_HEX);
    char sealed[256];
    char again[256];
    char out[64];
    size_t n;

    (void)state;
    assert_int_equal(bode_secretbox_seal(box, SECRET, strlen(SECRET), AD,
                                         strlen(AD), sealed, sizeof(sealed)),
                     BODE_OK);
    assert_int_equal(strlen(sealed), bode_secretbox_sealed_len(strlen(SECRET)));
    assert_memory_equal(sealed, "v1:f9d1a796:", 12);
    assert_int_equal(bode_secretbox_open(box, sealed, strlen(sealed), AD,
                                         strlen(AD), out, sizeof(out), &n),
                     BODE_OK);
    assert_string_equal(out, SECRET);
    /* A fresh nonce every time. */
    assert_int_equal(bode_secretbox_seal(box, SECRET, strlen(SECRET), AD,
                                         strlen(AD), again, sizeof(again)),
                     BODE_OK);
    assert_string_not_equal(sealed, again);
    /* Empty plaintext and no associated data work too. */
    assert_int_equal(
        bode_secretbox_seal(box, NULL, 0, NULL, 0, sealed, sizeof(sealed)),
        BODE_OK);
    assert_int_equal(strlen(sealed), bode_secretbox_sealed_len(0));
    assert_int_equal(bode_secretbox_open(box, sealed, strlen(sealed), NULL, 0,
                                         out, sizeof(out), &n),
                     BODE_OK);
    assert_int_equal(n, 0);
    assert_string_equal(out, "");
    bode_secretbox_free(box);
}

static void test_bode_secretbox_open_refuses_other_ad(void **state)
{
    struct bode_secretbox *box = box_from(KEY_HEX);
    char out[64];
    size_t n = 7;

    (void)state;
    assert_int_equal(bode_secretbox_open(box, vector, strlen(vector),
                                         "bode:{svc:other}:keys", 21, out,
                                         sizeof(out), &n),
                     BODE_ERR_AUTH);
    assert_int_equal(n, 0);
    assert_int_equal(bode_secretbox_open(box, vector, strlen(vector), NULL, 0,
                                         out, sizeof(out), &n),
                     BODE_ERR_AUTH);
    assert_int_equal(bode_secretbox_open(box, vector, strlen(vector), AD,
                                         strlen(AD) - 1, out, sizeof(out), &n),
                     BODE_ERR_AUTH);
    /* Nothing unauthenticated is left in out. */
    assert_int_equal(out[0], '\0');
    assert_null(memchr(out, '-', strlen(SECRET)));
    bode_secretbox_free(box);
}

static void test_bode_secretbox_open_refuses_tampering(void **state)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    struct bode_secretbox *box = box_from(KEY_HEX);
    char t[sizeof(vector)];
    char out[64];
    size_t n;
    size_t i;
    size_t len = strlen(vector);

    (void)state;
    /* Every character of the body, changed to every other character. */
    for (i = 12; i < len; i++) {
        size_t a;

        for (a = 0; a < 64; a++) {
            enum bode_err rc;

            memcpy(t, vector, sizeof(vector));
            if (t[i] == alphabet[a])
                continue;
            t[i] = alphabet[a];
            rc = bode_secretbox_open(box, t, len, AD, strlen(AD), out,
                                     sizeof(out), &n);
            if (rc != BODE_ERR_AUTH && rc != BODE_ERR_INVALID)
                fail_msg("position %zu char %c gave %d", i, alphabet[a], rc);
        }
    }
    /* Truncated and extended bodies. */
    for (i = 0; i < len; i++) {
        enum bode_err rc = bode_secretbox_open(box, vector, i, AD, strlen(AD),
                                               out, sizeof(out), &n);

        assert_true(rc == BODE_ERR_INVALID || rc == BODE_ERR_AUTH);
    }
    bode_secretbox_free(box);
}

static void test_bode_secretbox_open_refuses_bad_format(void **state)
{
    static const char *const bad[] = {
        "",
        "v1:",
        "v1:f9d1a796",
        "v1:f9d1a796:",
        "v2:f9d1a796:oKGio6Slpqeoqaqr1XxIS3SqN9xPXeHkYlf0vELNdCnxhiZBrGsQ4E",
        "v1:F9D1A796:oKGio6Slpqeoqaqr1XxIS3SqN9xPXeHkYlf0vELNdCnxhiZBrGsQ4E",
        "v1:f9d1a79:oKGio6Slpqeoqaqr1XxIS3SqN9xPXeHkYlf0vELNdCnxhiZBrGsQ4E",
        "v1:f9d1a796;oKGio6Slpqeoqaqr1XxIS3SqN9xPXeHkYlf0vELNdCnxhiZBrGsQ4E",
        "v1:f9d1a796:oKGio6Slpqeoqaqr1XxIS3SqN9xPXeHkYlf0vELNdCnxhiZBrGsQ4E=",
        "v1:f9d1a796:oKGio6Slpqeoqaqr+XxIS3SqN9xPXeHkYlf0vELNdCnxhiZBrGsQ4E",
        "v1:f9d1a796:oKGio6Slpqeoqaqr", /* shorter than nonce + tag */
        "plain text secret",
    };
    struct bode_secretbox *box = box_from(KEY_HEX);
    char out[64];
    size_t n;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(bode_secretbox_open(box, bad[i], strlen(bad[i]), AD,
                                             strlen(AD), out, sizeof(out), &n),
                         BODE_ERR_INVALID);
        assert_false(bode_secretbox_is_current(box, bad[i], strlen(bad[i])));
    }
    assert_int_equal(
        bode_secretbox_open(box, NULL, 0, AD, strlen(AD), out, sizeof(out), &n),
        BODE_ERR_INVALID);
    assert_int_equal(bode_secretbox_open(NULL, vector, strlen(vector), AD,
                                         strlen(AD), out, sizeof(out), &n),
                     BODE_ERR_INVALID);
    /* A key id no key of the box has. */
    assert_int_equal(bode_secretbox_open(
                         box,
                         "v1:00000000:oKGio6Slpqeoqaqr1XxIS3SqN9xPXeHkYlf"
                         "0vELNdCnxhiZBrGsQ4ErKQWPhFXWbPIwQsop76AwTHoKR0d"
                         "JrQQ",
                         strlen(vector), AD, strlen(AD), out, sizeof(out), &n),
                     BODE_ERR_NOT_FOUND);
    bode_secretbox_free(box);
}

static void test_bode_secretbox_open_refuses_wrong_key(void **state)
{
    struct bode_secretbox *box = box_from(KEY2_HEX);
    char out[64];
    size_t n;

    (void)state;
    assert_int_equal(bode_secretbox_open(box, vector, strlen(vector), AD,
                                         strlen(AD), out, sizeof(out), &n),
                     BODE_ERR_NOT_FOUND);
    assert_false(bode_secretbox_is_current(box, vector, strlen(vector)));
    bode_secretbox_free(box);
}

static void test_bode_secretbox_rotation(void **state)
{
    struct bode_secretbox *old_box = box_from(KEY_HEX);
    struct bode_secretbox *new_box = box_from(KEY2_HEX "," KEY_HEX);
    char sealed_old[256];
    char sealed_new[256];
    char out[64];
    size_t n;

    (void)state;
    assert_int_equal(bode_secretbox_key_count(new_box), 2);
    assert_int_equal(bode_secretbox_seal(old_box, SECRET, strlen(SECRET), AD,
                                         strlen(AD), sealed_old,
                                         sizeof(sealed_old)),
                     BODE_OK);
    /* The new ring still opens old values, and says they need re-sealing. */
    assert_int_equal(bode_secretbox_open(new_box, sealed_old,
                                         strlen(sealed_old), AD, strlen(AD),
                                         out, sizeof(out), &n),
                     BODE_OK);
    assert_string_equal(out, SECRET);
    assert_false(
        bode_secretbox_is_current(new_box, sealed_old, strlen(sealed_old)));
    assert_true(
        bode_secretbox_is_current(old_box, sealed_old, strlen(sealed_old)));
    /* New values use the first key, which the old ring does not have. */
    assert_int_equal(bode_secretbox_seal(new_box, out, n, AD, strlen(AD),
                                         sealed_new, sizeof(sealed_new)),
                     BODE_OK);
    assert_true(
        bode_secretbox_is_current(new_box, sealed_new, strlen(sealed_new)));
    assert_int_equal(bode_secretbox_open(old_box, sealed_new,
                                         strlen(sealed_new), AD, strlen(AD),
                                         out, sizeof(out), &n),
                     BODE_ERR_NOT_FOUND);
    bode_secretbox_free(old_box);
    bode_secretbox_free(new_box);
}

static void test_bode_secretbox_limits(void **state)
{
    struct bode_secretbox *box = NULL;
    static char big[BODE_SECRETBOX_MAX_PLAIN + 2];
    static char sealed[BODE_SECRETBOX_MAX_PLAIN * 2];
    static char out[BODE_SECRETBOX_MAX_PLAIN + 2];
    unsigned char key[BODE_SECRETBOX_KEY_LEN];
    char small[40];
    size_t n;
    int i;

    (void)state;
    assert_int_equal(bode_secretbox_new(&box), BODE_OK);
    /* No key yet: nothing can be sealed. */
    assert_int_equal(
        bode_secretbox_seal(box, "x", 1, NULL, 0, sealed, sizeof(sealed)),
        BODE_ERR_INVALID);
    assert_string_equal(sealed, "");
    for (i = 0; i < BODE_SECRETBOX_MAX_KEYS; i++) {
        memset(key, i + 1, sizeof(key));
        assert_int_equal(bode_secretbox_add_key(box, key), BODE_OK);
    }
    /* The same key again changes nothing; a ninth is too many. */
    assert_int_equal(bode_secretbox_add_key(box, key), BODE_OK);
    assert_int_equal(bode_secretbox_key_count(box), BODE_SECRETBOX_MAX_KEYS);
    memset(key, 0x77, sizeof(key));
    assert_int_equal(bode_secretbox_add_key(box, key), BODE_ERR_TOO_BIG);
    assert_int_equal(bode_secretbox_add_key(NULL, key), BODE_ERR_INVALID);
    memset(big, 'p', sizeof(big));
    assert_int_equal(bode_secretbox_seal(box, big, BODE_SECRETBOX_MAX_PLAIN,
                                         NULL, 0, sealed, sizeof(sealed)),
                     BODE_OK);
    assert_int_equal(bode_secretbox_open(box, sealed, strlen(sealed), NULL, 0,
                                         out, sizeof(out), &n),
                     BODE_OK);
    assert_int_equal(n, BODE_SECRETBOX_MAX_PLAIN);
    assert_int_equal(bode_secretbox_seal(box, big, BODE_SECRETBOX_MAX_PLAIN + 1,
                                         NULL, 0, sealed, sizeof(sealed)),
                     BODE_ERR_TOO_BIG);
    assert_int_equal(bode_secretbox_seal(box, "x", 1, big,
                                         BODE_SECRETBOX_MAX_AD + 1, sealed,
                                         sizeof(sealed)),
                     BODE_ERR_TOO_BIG);
    assert_int_equal(bode_secretbox_open(box, big, sizeof(big), NULL, 0, out,
                                         sizeof(out), &n),
                     BODE_ERR_INVALID);
    /* Output buffers: exact fit works, one byte less does not. */
    assert_int_equal(bode_secretbox_seal(box, SECRET, 36, NULL, 0, sealed,
                                         bode_secretbox_sealed_len(36) + 1),
                     BODE_OK);
    memset(small, 'x', sizeof(small));
    assert_int_equal(
        bode_secretbox_seal(box, SECRET, 36, NULL, 0, small, sizeof(small)),
        BODE_ERR_TOO_BIG);
    assert_string_equal(small, "");
    assert_int_equal(bode_secretbox_open(box, sealed, strlen(sealed), NULL, 0,
                                         small, 37, &n),
                     BODE_OK);
    assert_int_equal(bode_secretbox_open(box, sealed, strlen(sealed), NULL, 0,
                                         small, 36, &n),
                     BODE_ERR_TOO_BIG);
    assert_int_equal(
        bode_secretbox_seal(NULL, "x", 1, NULL, 0, small, sizeof(small)),
        BODE_ERR_INVALID);
    assert_int_equal(
        bode_secretbox_seal(box, NULL, 1, NULL, 0, small, sizeof(small)),
        BODE_ERR_INVALID);
    bode_secretbox_free(box);
}

static void test_bode_secretbox_add_keys_text_rules(void **state)
{
    static const char *const bad[] = {
        KEY_HEX "0", /* 65 hex digits */
        "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f0", /* 63
                                                                            */
        "g00102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1",
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8==", /* 2 pads */
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh",    /* 31 bytes */
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh!",
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9", /* stray bits */
        "password",
    };
    const char *key_tail = KEY_HEX;
    struct bode_secretbox *box = NULL;
    struct bode_secretbox_error e;
    char text[1024];
    size_t i;

    (void)state;
    key_tail += 2;
    assert_int_equal(bode_secretbox_new(&box), BODE_OK);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(
            bode_secretbox_add_keys_text(box, bad[i], strlen(bad[i]), "T", &e),
            BODE_ERR_INVALID);
        assert_non_null(strstr(e.text, "key 1"));
    }
    /* A bad second key adds nothing, and the message never echoes keys. */
    snprintf(text, sizeof(text), "%s,%s", KEY_HEX, "AAAA" KEY_HEX);
    assert_int_equal(
        bode_secretbox_add_keys_text(box, text, strlen(text), "ENV", &e),
        BODE_ERR_INVALID);
    assert_string_equal(e.text, "ENV: key 2 is not 64 hex digits or the "
                                "base64 of 32 bytes");
    assert_int_equal(bode_secretbox_key_count(box), 0);
    /* Nothing there at all. */
    assert_int_equal(
        bode_secretbox_add_keys_text(box, " ,\n# only\n", 10, "ENV", &e),
        BODE_ERR_NOT_FOUND);
    assert_int_equal(bode_secretbox_add_keys_text(box, "", 0, NULL, NULL),
                     BODE_ERR_NOT_FOUND);
    /* Comments, white space, upper case hex and mixed separators. */
    snprintf(text, sizeof(text), "# new key first\n  %s ,\r\n\t%s # old key\n",
             KEY2_HEX,
             "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E"
             "1F");
    assert_int_equal(
        bode_secretbox_add_keys_text(box, text, strlen(text), "file", &e),
        BODE_OK);
    assert_int_equal(bode_secretbox_key_count(box), 2);
    bode_secretbox_free(box);
    /* Nine keys are too many, even spread over two calls. */
    assert_int_equal(bode_secretbox_new(&box), BODE_OK);
    text[0] = '\0';
    for (i = 0; i < 9; i++)
        snprintf(text + strlen(text), sizeof(text) - strlen(text),
                 "%02zx%.62s ", i, key_tail);
    assert_int_equal(
        bode_secretbox_add_keys_text(box, text, strlen(text), "ENV", &e),
        BODE_ERR_TOO_BIG);
    assert_int_equal(bode_secretbox_add_keys_text(box, text, 65 * 5, "ENV", &e),
                     BODE_OK);
    assert_int_equal(
        bode_secretbox_add_keys_text(box, text + 65 * 4, 65 * 5, "ENV", &e),
        BODE_ERR_TOO_BIG);
    assert_int_equal(bode_secretbox_key_count(box), 5);
    bode_secretbox_free(box);
}

static void path_in_dir(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", dir, name);
}

static void test_bode_secretbox_keyfile_create_and_load(void **state)
{
    struct bode_secretbox *box = NULL;
    struct bode_secretbox *from_env = NULL;
    struct bode_secretbox_error e;
    char path[128];
    char link_path[128];
    char target[128];
    char sealed[256];
    char out[64];
    struct stat st;
    mode_t old_mask;
    size_t n;

    (void)state;
    path_in_dir(path, sizeof(path), "master.key");
    /* A permissive umask must not loosen the mode. */
    old_mask = umask(0);
    assert_int_equal(bode_secretbox_keyfile_create(path, &e), BODE_OK);
    umask(old_mask);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(bode_secretbox_keyfile_create(path, &e),
                     BODE_ERR_CONFLICT);
    assert_int_equal(bode_secretbox_load(NULL, path, &box, &e), BODE_OK);
    assert_int_equal(bode_secretbox_key_count(box), 1);
    assert_int_equal(bode_secretbox_seal(box, SECRET, 36, AD, strlen(AD),
                                         sealed, sizeof(sealed)),
                     BODE_OK);
    /* The environment wins over the file. */
    assert_int_equal(bode_secretbox_load(KEY_HEX, path, &from_env, &e),
                     BODE_OK);
    assert_int_equal(bode_secretbox_open(from_env, sealed, strlen(sealed), AD,
                                         strlen(AD), out, sizeof(out), &n),
                     BODE_ERR_NOT_FOUND);
    bode_secretbox_free(from_env);
    /* ... unless it is empty. */
    assert_int_equal(bode_secretbox_load("", path, &from_env, &e), BODE_OK);
    assert_int_equal(bode_secretbox_open(from_env, sealed, strlen(sealed), AD,
                                         strlen(AD), out, sizeof(out), &n),
                     BODE_OK);
    bode_secretbox_free(from_env);
    bode_secretbox_free(box);
    /* Never through a symlink, dangling or not. */
    path_in_dir(link_path, sizeof(link_path), "link.key");
    path_in_dir(target, sizeof(target), "target.key");
    assert_int_equal(symlink(target, link_path), 0);
    assert_int_equal(bode_secretbox_keyfile_create(link_path, &e),
                     BODE_ERR_CONFLICT);
    assert_int_equal(stat(target, &st), -1);
    unlink(link_path);
    unlink(path);
    /* A missing directory is an I/O error and leaves nothing. */
    path_in_dir(path, sizeof(path), "missing/master.key");
    assert_int_equal(bode_secretbox_keyfile_create(path, &e), BODE_ERR_IO);
    assert_non_null(strstr(e.text, "missing/master.key"));
    assert_int_equal(bode_secretbox_keyfile_create("", &e), BODE_ERR_INVALID);
    assert_int_equal(bode_secretbox_keyfile_create(NULL, NULL),
                     BODE_ERR_INVALID);
}

static void test_bode_secretbox_add_key_file_errors(void **state)
{
    struct bode_secretbox *box = NULL;
    struct bode_secretbox_error e;
    char path[128];
    char big[5000];
    FILE *f;

    (void)state;
    assert_int_equal(bode_secretbox_load(NULL, NULL, &box, &e),
                     BODE_ERR_NOT_FOUND);
    assert_null(box);
    assert_int_equal(bode_secretbox_load("", "", &box, &e), BODE_ERR_NOT_FOUND);
    assert_int_equal(bode_secretbox_load("nonsense", NULL, &box, &e),
                     BODE_ERR_INVALID);
    assert_null(box);
    assert_non_null(strstr(e.text, "BODE_SECRET_KEY"));
    path_in_dir(path, sizeof(path), "absent.key");
    assert_int_equal(bode_secretbox_load(NULL, path, &box, &e),
                     BODE_ERR_NOT_FOUND);
    assert_int_equal(bode_secretbox_load(NULL, dir, &box, &e),
                     BODE_ERR_INVALID);
    assert_non_null(strstr(e.text, "not a regular file"));
    path_in_dir(path, sizeof(path), "big.key");
    f = fopen(path, "w");
    assert_non_null(f);
    memset(big, '#', sizeof(big));
    assert_int_equal(fwrite(big, 1, sizeof(big), f), sizeof(big));
    fclose(f);
    assert_int_equal(bode_secretbox_load(NULL, path, &box, &e),
                     BODE_ERR_TOO_BIG);
    unlink(path);
    path_in_dir(path, sizeof(path), "bad.key");
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("# comment\n" KEY_HEX "\nnot-a-key\n", f);
    fclose(f);
    assert_int_equal(bode_secretbox_load(NULL, path, &box, &e),
                     BODE_ERR_INVALID);
    assert_non_null(strstr(e.text, "key 2"));
    unlink(path);
    assert_int_equal(bode_secretbox_add_key_file(NULL, NULL, &e),
                     BODE_ERR_INVALID);
}

static void test_bode_secretbox_key_generate(void **state)
{
    char a[BODE_SECRETBOX_KEY_HEX_LEN + 1];
    char b[BODE_SECRETBOX_KEY_HEX_LEN + 1];
    struct bode_secretbox *box = NULL;

    (void)state;
    assert_int_equal(bode_secretbox_key_generate(a, sizeof(a)), BODE_OK);
    assert_int_equal(bode_secretbox_key_generate(b, sizeof(b)), BODE_OK);
    assert_int_equal(strlen(a), 64);
    assert_string_not_equal(a, b);
    assert_int_equal(strspn(a, "0123456789abcdef"), 64);
    assert_int_equal(bode_secretbox_key_generate(b, 64), BODE_ERR_TOO_BIG);
    box = box_from(a);
    assert_int_equal(bode_secretbox_key_count(box), 1);
    bode_secretbox_free(box);
}

/* Every allocation, Bode's and OpenSSL's, failing in turn: the result is
 * an error code or the right answer, never a crash, a leak or a wrong
 * plaintext. */
static void test_bode_secretbox_survives_every_allocation_failure(void **state)
{
    struct bode_secretbox *box = NULL;
    char sealed[256];
    char out[64];
    size_t n;
    long count;
    long i;
    enum bode_err rc;

    (void)state;
    for (i = 0;; i++) {
        bode_alloc_fail_after(i);
        rc = bode_secretbox_new(&box);
        if (rc == BODE_OK)
            rc = bode_secretbox_add_keys_text(box, KEY_HEX, 64, "T", NULL);
        bode_alloc_fail_after(-1);
        if (rc == BODE_OK)
            break;
        assert_true(rc == BODE_ERR_NOMEM || rc == BODE_ERR_PERMANENT);
        bode_secretbox_free(box);
        box = NULL;
        assert_true(i < 1000);
    }
    bode_alloc_fail_after(-1);
    assert_int_equal(bode_secretbox_seal(box, SECRET, 36, AD, strlen(AD),
                                         sealed, sizeof(sealed)),
                     BODE_OK);
    count = bode_alloc_count();
    for (i = 0; i <= count; i++) {
        bode_alloc_fail_after(i);
        rc = bode_secretbox_seal(box, SECRET, 36, AD, strlen(AD), sealed,
                                 sizeof(sealed));
        bode_alloc_fail_after(-1);
        assert_true(rc == BODE_OK || rc == BODE_ERR_NOMEM ||
                    rc == BODE_ERR_PERMANENT);
        if (rc)
            assert_string_equal(sealed, "");
    }
    assert_int_equal(bode_secretbox_seal(box, SECRET, 36, AD, strlen(AD),
                                         sealed, sizeof(sealed)),
                     BODE_OK);
    bode_alloc_fail_after(-1);
    assert_int_equal(bode_secretbox_open(box, sealed, strlen(sealed), AD,
                                         strlen(AD), out, sizeof(out), &n),
                     BODE_OK);
    count = bode_alloc_count();
    for (i = 0; i <= count; i++) {
        bode_alloc_fail_after(i);
        rc = bode_secretbox_open(box, sealed, strlen(sealed), AD, strlen(AD),
                                 out, sizeof(out), &n);
        bode_alloc_fail_after(-1);
        if (rc == BODE_OK)
            assert_string_equal(out, SECRET);
        else
            assert_true(rc == BODE_ERR_NOMEM || rc == BODE_ERR_PERMANENT);
    }
    bode_secretbox_free(box);
}

static void *ossl_malloc(size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    return bode_malloc(n);
}

static void *ossl_realloc(void *p, size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    return bode_realloc(p, n);
}

static void ossl_free(void *p, const char *file, int line)
{
    (void)file;
    (void)line;
    bode_free(p);
}

static int make_dir(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/bode-secretbox-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bode_secretbox_open_known_vector),
        cmocka_unit_test(test_bode_secretbox_seal_round_trips),
        cmocka_unit_test(test_bode_secretbox_open_refuses_other_ad),
        cmocka_unit_test(test_bode_secretbox_open_refuses_tampering),
        cmocka_unit_test(test_bode_secretbox_open_refuses_bad_format),
        cmocka_unit_test(test_bode_secretbox_open_refuses_wrong_key),
        cmocka_unit_test(test_bode_secretbox_rotation),
        cmocka_unit_test(test_bode_secretbox_limits),
        cmocka_unit_test(test_bode_secretbox_add_keys_text_rules),
        cmocka_unit_test(test_bode_secretbox_keyfile_create_and_load),
        cmocka_unit_test(test_bode_secretbox_add_key_file_errors),
        cmocka_unit_test(test_bode_secretbox_key_generate),
        cmocka_unit_test(test_bode_secretbox_survives_every_allocation_failure),
    };

    /* Must come before OpenSSL allocates anything. */
    if (!CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free)) {
        fprintf(stderr, "cannot route OpenSSL allocations\n");
        return 1;
    }
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
