/* Tests for configuration: defaults, file, environment, validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bode/config.h"

/* A fake environment: NAME=value strings, NULL-terminated. */
static const char *const *fake_env;

static const char *fake_getenv(const char *name)
{
    size_t len = strlen(name);
    const char *const *p;

    for (p = fake_env; p && *p; p++)
        if (strncmp(*p, name, len) == 0 && (*p)[len] == '=')
            return *p + len + 1;
    return NULL;
}

static enum bode_err load(const char *const *env, const char *file,
                          struct bode_config *cfg, struct bode_config_error *e)
{
    fake_env = env;
    return bode_config_load(cfg, file, fake_getenv, e);
}

static void test_bode_config_load_defaults(void **state)
{
    static const char *const env[] = {NULL};
    struct bode_config cfg;
    struct bode_config_error e;

    (void)state;
    assert_int_equal(load(env, NULL, &cfg, &e), BODE_OK);
    assert_string_equal(cfg.redis_url, "redis://127.0.0.1:6379/0");
    assert_int_equal(cfg.port, 6011);
    assert_string_equal(cfg.listen_addr, "127.0.0.1");
    assert_true(cfg.threads >= 1);
    assert_int_equal(cfg.body_limit, 4L * 1024 * 1024);
    assert_int_equal(cfg.log_level, BODE_LOG_INFO);
    assert_string_equal(cfg.public_url, "");
    assert_int_equal(cfg.jwt_replay_guard, 0);
}

static void test_bode_config_load_reads_environment(void **state)
{
    static const char *const env[] = {
        "BODE_PORT=8080",
        "BODE_THREADS=3",
        "BODE_LOG_LEVEL=debug",
        "BODE_BODY_LIMIT=65536",
        "BODE_PUBLIC_URL=https://notify.example.org//",
        "BODE_REDIS_SOCKET=/run/redis.sock",
        "BODE_LISTEN_ADDR=::",
        "BODE_JWT_REPLAY_GUARD=1",
        NULL,
    };
    struct bode_config cfg;
    struct bode_config_error e;

    (void)state;
    assert_int_equal(load(env, NULL, &cfg, &e), BODE_OK);
    assert_int_equal(cfg.port, 8080);
    assert_int_equal(cfg.threads, 3);
    assert_int_equal(cfg.log_level, BODE_LOG_DEBUG);
    assert_int_equal(cfg.body_limit, 65536);
    assert_string_equal(cfg.public_url, "https://notify.example.org");
    assert_string_equal(cfg.redis_url, "unix:///run/redis.sock");
    assert_string_equal(cfg.listen_addr, "::");
    assert_int_equal(cfg.jwt_replay_guard, 1);
}

static void test_bode_config_load_rejects_bad_values(void **state)
{
    static const char *const cases[][2] = {
        {"BODE_PORT=abc", "invalid BODE_PORT \"abc\": must be a whole number "
                          "from 1 to 65535"},
        {"BODE_PORT=70000", "invalid BODE_PORT \"70000\""},
        {"BODE_PORT=", "invalid BODE_PORT \"\""},
        {"BODE_THREADS=0", "invalid BODE_THREADS"},
        {"BODE_LOG_LEVEL=chatty", "must be debug, info, warn or error"},
        {"BODE_REDIS_URL=http://x", "must start with redis:// or unix://"},
        {"BODE_REDIS_SOCKET=relative.sock", "must be an absolute path"},
        {"BODE_PUBLIC_URL=ftp://x", "must start with http:// or https://"},
        {"BODE_BODY_LIMIT=12x", "invalid BODE_BODY_LIMIT"},
        {"BODE_LISTEN_ADDR=", "must not be empty"},
        {"BODE_JWT_REPLAY_GUARD=yes", "invalid BODE_JWT_REPLAY_GUARD"},
        {"BODE_JWT_REPLAY_GUARD=2", "invalid BODE_JWT_REPLAY_GUARD"},
    };
    struct bode_config cfg;
    struct bode_config_error e;
    const char *env[2] = {NULL, NULL};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        env[0] = cases[i][0];
        assert_int_equal(load(env, NULL, &cfg, &e), BODE_ERR_INVALID);
        if (!strstr(e.text, cases[i][1]))
            fail_msg("%s gave \"%s\"", cases[i][0], e.text);
        assert_null(strchr(e.text, '\n'));
    }
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_bode_config_load_file_then_environment(void **state)
{
    static const char *const env[] = {"BODE_THREADS=7", NULL};
    char path[] = "/tmp/bode-config-XXXXXX";
    int fd = mkstemp(path);
    struct bode_config cfg;
    struct bode_config_error e;

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    write_file(path, "# comment\n\nexport BODE_PORT = 9000\r\n"
                     "BODE_THREADS=2\nBODE_PUBLIC_URL=\"http://a.b\"\n"
                     "BODE_LOG_LEVEL='warn'\n");
    assert_int_equal(load(env, path, &cfg, &e), BODE_OK);
    assert_int_equal(cfg.port, 9000);
    assert_int_equal(cfg.threads, 7); /* environment wins */
    assert_string_equal(cfg.public_url, "http://a.b");
    assert_int_equal(cfg.log_level, BODE_LOG_WARN);

    write_file(path, "BODE_PORT=1\nBODE_PROT=2\n");
    assert_int_equal(load(env, path, &cfg, &e), BODE_ERR_INVALID);
    assert_non_null(strstr(e.text, ":2: unknown setting BODE_PROT"));

    write_file(path, "just words\n");
    assert_int_equal(load(env, path, &cfg, &e), BODE_ERR_INVALID);
    assert_non_null(strstr(e.text, ":1: expected NAME=value"));
    unlink(path);

    assert_int_equal(load(env, "/nonexistent/bode.conf", &cfg, &e),
                     BODE_ERR_IO);
    assert_non_null(strstr(e.text, "no such file"));
}

static void test_bode_config_parse_refuses_long_and_nul_lines(void **state)
{
    struct bode_config cfg;
    struct bode_config_error e;
    char text[2000];

    (void)state;
    bode_config_defaults(&cfg);
    memset(text, 'A', sizeof(text));
    assert_int_equal(bode_config_parse(&cfg, text, sizeof(text), "f", &e),
                     BODE_ERR_INVALID);
    assert_non_null(strstr(e.text, "line too long"));
    assert_int_equal(bode_config_parse(&cfg, "BODE_PORT=1\0", 12, "f", &e),
                     BODE_ERR_INVALID);
    assert_non_null(strstr(e.text, "NUL byte"));
    assert_int_equal(bode_config_parse(&cfg, "BODE_PORT=5\n", 12, "f", &e),
                     BODE_OK);
    assert_int_equal(cfg.port, 5);
}

static void test_bode_config_print_help_lists_every_setting(void **state)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    (void)state;
    assert_non_null(f);
    bode_config_print_help(f);
    fclose(f);
    assert_non_null(strstr(text, "BODE_REDIS_URL"));
    assert_non_null(strstr(text, "BODE_PORT"));
    assert_non_null(strstr(text, "[6011]"));
    assert_non_null(strstr(text, "BODE_PUBLIC_URL"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bode_config_load_defaults),
        cmocka_unit_test(test_bode_config_load_reads_environment),
        cmocka_unit_test(test_bode_config_load_rejects_bad_values),
        cmocka_unit_test(test_bode_config_load_file_then_environment),
        cmocka_unit_test(test_bode_config_parse_refuses_long_and_nul_lines),
        cmocka_unit_test(test_bode_config_print_help_lists_every_setting),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
