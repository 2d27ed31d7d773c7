/* Tests for the store against a real redis-server: services, keys, team,
 * templates and the notification accept, read and list paths. */
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
#include "store/store_int.h"
#include "testredis.h"

struct fixture {
    struct test_redis srv;
    struct bode_redis *r;
    struct bode_secretbox *box;
    struct bode_service svc;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct bode_secretbox_error e;
    char key[80];

    if (!f || test_redis_start(&f->srv))
        return -1;
    f->r = bode_redis_new(f->srv.url, 2000);
    memset(key, 'a', 64);
    key[64] = '\0';
    if (bode_secretbox_load(key, NULL, &f->box, &e))
        return -1;
    if (bode_service_defaults(&f->svc, "Test service"))
        return -1;
    snprintf(f->svc.callback_url, sizeof(f->svc.callback_url),
             "https://example.org/cb");
    snprintf(f->svc.callback_token, sizeof(f->svc.callback_token),
             "token-0123456789");
    if (bode_store_service_put(f->r, f->box, &f->svc))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    bode_redis_free(f->r);
    bode_secretbox_free(f->box);
    test_redis_stop(&f->srv, 1);
    free(f);
    return 0;
}

/* The names are the layout in docs/internals/store.md: every conversion
 * the key formatter knows, and its cut at BODE_KEY_SIZE - 1. */
static void test_bode_store_key_names(void **state)
{
    char k[BODE_KEY_SIZE];
    char lng[400];

    (void)state;
    bode_key_notification(k, "S", "N");
    assert_string_equal(k, "bode:{s:S}:n:N");
    bode_key_template_version(k, "S", "T", -12);
    assert_string_equal(k, "bode:{s:S}:tpl:T:v:-12");
    bode_key_template_version(k, "S", "T", 0);
    assert_string_equal(k, "bode:{s:S}:tpl:T:v:0");
    bode_key_services(k);
    assert_string_equal(k, "bode:services");
    /* %.16s and %.60s: precision cuts each value. */
    bode_key_received_ref(k, "S", "providerwithalongname",
                          "0123456789012345678901234567890123456789012345678"
                          "90123456789012345");
    assert_string_equal(k, "bode:{s:S}:inref:providerwithalon:"
                           "0123456789012345678901234567890123456789012345678"
                           "90123456789");
    bode_key_ref(k, "p", "");
    assert_string_equal(k, "bode:ref:p:");
    memset(lng, 'a', sizeof(lng) - 1);
    lng[sizeof(lng) - 1] = '\0';
    bode_key_notification(k, lng, "N");
    assert_int_equal(strlen(k), BODE_KEY_SIZE - 1);
    assert_memory_equal(k, "bode:{s:aaa", 11);
}

static void test_bode_store_service_round_trip(void **state)
{
    struct fixture *f = *state;
    struct bode_service got;
    char ids[4][BODE_UUID_SIZE];
    size_t n = 0;

    assert_int_equal(bode_store_service_get(f->r, f->box, f->svc.id, &got),
                     BODE_OK);
    assert_string_equal(got.name, "Test service");
    assert_string_equal(got.callback_token, "token-0123456789");
    assert_int_equal(got.rate_limit, 3000);
    assert_int_equal(got.permissions, f->svc.permissions);
    assert_true(got.active);
    assert_int_equal(bode_store_service_list(f->r, ids, 4, &n), BODE_OK);
    assert_int_equal(n, 1);
    assert_string_equal(ids[0], f->svc.id);
    assert_int_equal(
        bode_store_service_get(f->r, f->box,
                               "00000000-0000-0000-0000-000000000000", &got),
        BODE_ERR_NOT_FOUND);
}

static void test_bode_store_service_token_is_sealed(void **state)
{
    struct fixture *f = *state;
    char cmd[512];
    FILE *p;
    char out[4096] = "";
    size_t got;

    snprintf(cmd, sizeof(cmd),
             "redis-cli -s %s --no-raw HGETALL "
             "'bode:{s:%s}:svc'",
             f->srv.sock, f->svc.id);
    p = popen(cmd, "r");
    assert_non_null(p);
    got = fread(out, 1, sizeof(out) - 1, p);
    out[got] = '\0';
    pclose(p);
    assert_non_null(strstr(out, "callback_token"));
    assert_null(strstr(out, "token-0123456789"));
}

static void test_bode_store_keys_put_list_revoke(void **state)
{
    struct fixture *f = *state;
    struct bode_api_key k;
    struct bode_api_key keys[BODE_STORE_MAX_KEYS];
    size_t n = 0;

    memset(&k, 0, sizeof(k));
    assert_int_equal(bode_rand_uuid(k.id), BODE_OK);
    assert_int_equal(bode_rand_uuid(k.secret), BODE_OK);
    snprintf(k.name, sizeof(k.name), "first");
    k.type = BODE_KEY_TEST;
    k.created_at = 1000;
    assert_int_equal(bode_store_key_put(f->r, f->box, f->svc.id, &k), 0);
    k.created_at = 500;
    k.type = BODE_KEY_TEAM;
    snprintf(k.name, sizeof(k.name), "older");
    assert_int_equal(bode_rand_uuid(k.id), BODE_OK);
    assert_int_equal(bode_store_key_put(f->r, f->box, f->svc.id, &k), 0);
    assert_int_equal(bode_store_key_list(f->r, f->box, f->svc.id, keys, &n),
                     BODE_OK);
    assert_int_equal(n, 2);
    assert_string_equal(keys[0].name, "older");
    assert_int_equal(keys[0].type, BODE_KEY_TEAM);
    assert_string_equal(keys[0].secret, k.secret);
    assert_int_equal(keys[1].type, BODE_KEY_TEST);
    assert_int_equal(keys[0].revoked_at, 0);

    assert_int_equal(bode_store_key_revoke(f->r, f->svc.id, k.id, 777), 0);
    assert_int_equal(bode_store_key_revoke(f->r, f->svc.id, k.id, 999), 0);
    assert_int_equal(bode_store_key_list(f->r, f->box, f->svc.id, keys, &n),
                     BODE_OK);
    assert_int_equal(keys[0].revoked_at, 777);
    assert_int_equal(bode_store_key_revoke(f->r, f->svc.id, "nope", 1),
                     BODE_ERR_NOT_FOUND);
}

static void test_bode_store_team(void **state)
{
    struct fixture *f = *state;
    bool yes = true;

    assert_int_equal(bode_store_team_has(f->r, f->svc.id, "a@b.cd", &yes), 0);
    assert_false(yes);
    assert_int_equal(bode_store_team_add(f->r, f->svc.id, "a@b.cd"), 0);
    assert_int_equal(bode_store_team_has(f->r, f->svc.id, "a@b.cd", &yes), 0);
    assert_true(yes);
}

static void test_bode_store_template_versions(void **state)
{
    struct fixture *f = *state;
    struct bode_template_rec t;
    struct bode_template_rec got;
    struct bode_template_rec *list = NULL;
    size_t n = 0;
    size_t i;
    int version = 0;
    char subject[] = "Hello ((name))";
    char body[] = "Your code is ((code))";
    char body2[] = "Your new code is ((code))";

    memset(&t, 0, sizeof(t));
    assert_int_equal(bode_rand_uuid(t.id), BODE_OK);
    memcpy(t.service_id, f->svc.id, sizeof(t.service_id));
    t.type = BODE_CHANNEL_EMAIL;
    snprintf(t.name, sizeof(t.name), "Code");
    t.subject = subject;
    t.body = body;
    snprintf(t.created_by, sizeof(t.created_by), "ops@example.org");
    assert_int_equal(bode_store_template_put(f->r, &t, &version), BODE_OK);
    assert_int_equal(version, 1);
    /* Same content: same version. */
    assert_int_equal(bode_store_template_put(f->r, &t, &version), BODE_OK);
    assert_int_equal(version, 1);
    t.body = body2;
    assert_int_equal(bode_store_template_put(f->r, &t, &version), BODE_OK);
    assert_int_equal(version, 2);

    assert_int_equal(bode_store_template_get(f->r, f->svc.id, t.id, 0, &got),
                     BODE_OK);
    assert_int_equal(got.version, 2);
    assert_string_equal(got.body, body2);
    assert_string_equal(got.subject, subject);
    assert_int_equal(got.type, BODE_CHANNEL_EMAIL);
    assert_string_equal(got.created_by, "ops@example.org");
    bode_template_rec_release(&got);
    assert_int_equal(bode_store_template_get(f->r, f->svc.id, t.id, 1, &got),
                     BODE_OK);
    assert_int_equal(got.version, 1);
    assert_string_equal(got.body, body);
    bode_template_rec_release(&got);
    assert_int_equal(bode_store_template_get(f->r, f->svc.id, t.id, 3, &got),
                     BODE_ERR_NOT_FOUND);

    assert_int_equal(
        bode_store_template_list(f->r, f->svc.id, BODE_CHANNEL_SMS, &list, &n),
        BODE_OK);
    assert_int_equal(n, 0);
    bode_free(list);
    assert_int_equal(bode_store_template_list(f->r, f->svc.id, -1, &list, &n),
                     BODE_OK);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].version, 2);
    for (i = 0; i < n; i++)
        bode_template_rec_release(&list[i]);
    bode_free(list);
}

static void accept_one(struct fixture *f, struct bode_accept *a, char *id,
                       enum bode_channel ch, enum bode_key_type kt,
                       const char *reference, int64_t at)
{
    memset(a, 0, sizeof(*a));
    assert_int_equal(bode_rand_uuid(id), BODE_OK);
    a->id = id;
    a->service_id = f->svc.id;
    a->key_type = kt;
    a->key_id = "k";
    a->channel = ch;
    a->lane = BODE_LANE_NORMAL;
    a->template_id = "11111111-1111-1111-1111-111111111111";
    a->template_version = 3;
    a->to = ch == BODE_CHANNEL_EMAIL ? "a@b.cd" : "447700900123";
    a->personalisation = "{}";
    a->reference = reference;
    a->subject = ch == BODE_CHANNEL_EMAIL ? "Subject" : NULL;
    a->body = "Body";
    a->created_at = at;
    a->retention_days = 7;
    a->rate_limit = 3000;
    a->daily_limit = 1000;
}

static void test_bode_store_accept_get_and_list(void **state)
{
    struct fixture *f = *state;
    struct bode_accept a;
    struct bode_accept_result res;
    struct bode_notification n;
    struct bode_notification *list = NULL;
    struct bode_list_filter filter;
    char ids[6][BODE_UUID_SIZE];
    int64_t now = bode_now_us();
    size_t count = 0;
    size_t i;

    accept_one(f, &a, ids[0], BODE_CHANNEL_EMAIL, BODE_KEY_LIVE, "r1", now);
    assert_int_equal(bode_store_accept(f->r, &a, &res), BODE_OK);
    assert_int_equal(res.outcome, BODE_ACCEPT_STORED);
    assert_true(res.tokens_left > 900);
    accept_one(f, &a, ids[1], BODE_CHANNEL_SMS, BODE_KEY_LIVE, NULL, now + 1);
    assert_int_equal(bode_store_accept(f->r, &a, &res), BODE_OK);
    accept_one(f, &a, ids[2], BODE_CHANNEL_SMS, BODE_KEY_TEST, "r1", now + 2);
    assert_int_equal(bode_store_accept(f->r, &a, &res), BODE_OK);
    accept_one(f, &a, ids[3], BODE_CHANNEL_EMAIL, BODE_KEY_LIVE, "r2", now + 3);
    assert_int_equal(bode_store_accept(f->r, &a, &res), BODE_OK);

    assert_int_equal(bode_store_notification_get(f->r, f->svc.id, ids[1], &n),
                     BODE_OK);
    assert_int_equal(n.channel, BODE_CHANNEL_SMS);
    assert_int_equal(n.status, BODE_STATUS_CREATED);
    assert_string_equal(n.to, "447700900123");
    assert_null(n.reference);
    assert_null(n.subject);
    assert_int_equal(n.template_version, 3);
    assert_int_equal(n.created_at, now + 1);
    bode_notification_release(&n);
    assert_int_equal(bode_store_notification_get(f->r, "other", ids[1], &n),
                     BODE_ERR_NOT_FOUND);

    /* Live key: newest first, test-key notifications invisible. */
    memset(&filter, 0, sizeof(filter));
    filter.key_type = BODE_KEY_LIVE;
    assert_int_equal(bode_store_notification_list(f->r, f->svc.id, &filter, 250,
                                                  &list, &count),
                     BODE_OK);
    assert_int_equal(count, 3);
    assert_string_equal(list[0].id, ids[3]);
    assert_string_equal(list[2].id, ids[0]);
    for (i = 0; i < count; i++)
        bode_notification_release(&list[i]);
    bode_free(list);

    filter.channels = 1u << BODE_CHANNEL_EMAIL;
    filter.older_than = ids[3];
    assert_int_equal(bode_store_notification_list(f->r, f->svc.id, &filter, 250,
                                                  &list, &count),
                     BODE_OK);
    assert_int_equal(count, 1);
    assert_string_equal(list[0].id, ids[0]);
    bode_notification_release(&list[0]);
    bode_free(list);

    memset(&filter, 0, sizeof(filter));
    filter.key_type = BODE_KEY_TEST;
    filter.reference = "r1";
    filter.statuses = 1u << BODE_STATUS_CREATED;
    assert_int_equal(bode_store_notification_list(f->r, f->svc.id, &filter, 250,
                                                  &list, &count),
                     BODE_OK);
    assert_int_equal(count, 1);
    assert_string_equal(list[0].id, ids[2]);
    bode_notification_release(&list[0]);
    bode_free(list);

    filter.statuses = 1u << BODE_STATUS_DELIVERED;
    assert_int_equal(bode_store_notification_list(f->r, f->svc.id, &filter, 250,
                                                  &list, &count),
                     BODE_OK);
    assert_int_equal(count, 0);
    bode_free(list);

    filter.statuses = 0;
    filter.older_than = "not-an-id-we-know";
    assert_int_equal(bode_store_notification_list(f->r, f->svc.id, &filter, 250,
                                                  &list, &count),
                     BODE_OK);
    assert_int_equal(count, 0);
    bode_free(list);
}

static void test_bode_store_accept_rate_limit(void **state)
{
    struct fixture *f = *state;
    struct bode_accept a;
    struct bode_accept_result res;
    char id[BODE_UUID_SIZE];
    int stored = 0;
    int i;

    /* rate 6/min: bucket holds min(ceil(6/3)+1, 1000) = 3 tokens. */
    for (i = 0; i < 5; i++) {
        accept_one(f, &a, id, BODE_CHANNEL_SMS, BODE_KEY_TEAM, NULL,
                   bode_now_us());
        a.rate_limit = 6;
        assert_int_equal(bode_store_accept(f->r, &a, &res), BODE_OK);
        if (res.outcome == BODE_ACCEPT_STORED)
            stored++;
        else
            assert_int_equal(res.outcome, BODE_ACCEPT_RATE_LIMITED);
    }
    assert_int_equal(stored, 3);
    assert_true(res.ms_retry > 0 && res.ms_retry <= 10000);
}

static void test_bode_store_accept_daily_limit(void **state)
{
    struct fixture *f = *state;
    struct bode_accept a;
    struct bode_accept_result res;
    char id[BODE_UUID_SIZE];
    int i;

    for (i = 0; i < 3; i++) {
        accept_one(f, &a, id, BODE_CHANNEL_EMAIL, BODE_KEY_LIVE, NULL,
                   bode_now_us());
        a.daily_limit = 2;
        a.rate_limit = 0;
        /* Earlier tests counted live emails today: use a fresh day. */
        a.created_at = 86400LL * 1000000 * (20000 + 1);
        assert_int_equal(bode_store_accept(f->r, &a, &res), BODE_OK);
        assert_int_equal(res.outcome, i < 2 ? BODE_ACCEPT_STORED
                                            : BODE_ACCEPT_DAILY_LIMITED);
    }
    /* The refused send was not counted: a limit of 3 lets one more in. */
    accept_one(f, &a, id, BODE_CHANNEL_EMAIL, BODE_KEY_LIVE, NULL,
               bode_now_us());
    a.daily_limit = 3;
    a.rate_limit = 0;
    a.created_at = 86400LL * 1000000 * (20000 + 1);
    assert_int_equal(bode_store_accept(f->r, &a, &res), BODE_OK);
    assert_int_equal(res.outcome, BODE_ACCEPT_STORED);
}

static void test_bode_store_accept_international_limit(void **state)
{
    struct fixture *f = *state;
    struct bode_accept a;
    struct bode_accept_result res;
    char id[BODE_UUID_SIZE];
    int i;

    for (i = 0; i < 3; i++) {
        accept_one(f, &a, id, BODE_CHANNEL_SMS, BODE_KEY_LIVE, NULL, 0);
        a.created_at = 86400LL * 1000000 * (20000 + 2);
        a.rate_limit = 0;
        a.daily_limit = 100;
        a.international = i < 2;
        a.international_limit = 1;
        assert_int_equal(bode_store_accept(f->r, &a, &res), BODE_OK);
        /* The second international text is over; a UK one still goes. */
        assert_int_equal(res.outcome, i == 1 ? BODE_ACCEPT_INTERNATIONAL_LIMITED
                                             : BODE_ACCEPT_STORED);
    }
    /* The refused international text counted against neither limit: two
     * texts are counted today, so a daily limit of 3 takes exactly one. */
    for (i = 0; i < 2; i++) {
        accept_one(f, &a, id, BODE_CHANNEL_SMS, BODE_KEY_LIVE, NULL, 0);
        a.created_at = 86400LL * 1000000 * (20000 + 2);
        a.rate_limit = 0;
        a.daily_limit = 3;
        assert_int_equal(bode_store_accept(f->r, &a, &res), BODE_OK);
        assert_int_equal(res.outcome, i == 0 ? BODE_ACCEPT_STORED
                                             : BODE_ACCEPT_DAILY_LIMITED);
    }
}

static void test_bode_store_accept_idempotency(void **state)
{
    struct fixture *f = *state;
    struct bode_accept a;
    struct bode_accept_result res;
    struct bode_notification n;
    char id[BODE_UUID_SIZE];
    char first[BODE_UUID_SIZE];

    accept_one(f, &a, first, BODE_CHANNEL_EMAIL, BODE_KEY_LIVE, NULL,
               bode_now_us());
    a.idempotency_key = "k1";
    a.idempotency_hash = "h1";
    a.response = "{\"id\":\"first\"}";
    assert_int_equal(bode_store_accept(f->r, &a, &res), BODE_OK);
    assert_int_equal(res.outcome, BODE_ACCEPT_STORED);

    accept_one(f, &a, id, BODE_CHANNEL_EMAIL, BODE_KEY_LIVE, NULL,
               bode_now_us());
    a.idempotency_key = "k1";
    a.idempotency_hash = "h1";
    a.response = "{\"id\":\"second\"}";
    assert_int_equal(bode_store_accept(f->r, &a, &res), BODE_OK);
    assert_int_equal(res.outcome, BODE_ACCEPT_REPLAYED);
    assert_string_equal(res.replayed, "{\"id\":\"first\"}");
    bode_accept_result_release(&res);
    /* Nothing was stored for the replay. */
    assert_int_equal(bode_store_notification_get(f->r, f->svc.id, id, &n),
                     BODE_ERR_NOT_FOUND);

    a.idempotency_hash = "h2";
    assert_int_equal(bode_store_accept(f->r, &a, &res), BODE_OK);
    assert_int_equal(res.outcome, BODE_ACCEPT_KEY_CONFLICT);
}

static void test_bode_store_accept_fails_cleanly_without_redis(void **state)
{
    struct fixture *f = *state;
    struct bode_redis *dead = bode_redis_new("redis://127.0.0.1:1", 200);
    struct bode_accept a;
    struct bode_accept_result res;
    char id[BODE_UUID_SIZE];

    accept_one(f, &a, id, BODE_CHANNEL_EMAIL, BODE_KEY_LIVE, NULL,
               bode_now_us());
    assert_int_equal(bode_store_accept(dead, &a, &res), BODE_ERR_REDIS);
    bode_redis_free(dead);
}

static void test_bode_store_accept_reloads_flushed_scripts(void **state)
{
    struct fixture *f = *state;
    struct bode_accept a;
    struct bode_accept_result res;
    char id[BODE_UUID_SIZE];
    char cmd[400];

    snprintf(cmd, sizeof(cmd), "redis-cli -s %s SCRIPT FLUSH >/dev/null",
             f->srv.sock);
    assert_int_equal(system(cmd), 0);
    accept_one(f, &a, id, BODE_CHANNEL_EMAIL, BODE_KEY_LIVE, NULL,
               bode_now_us());
    a.rate_limit = 0;
    a.daily_limit = 0;
    assert_int_equal(bode_store_accept(f->r, &a, &res), BODE_OK);
    assert_int_equal(res.outcome, BODE_ACCEPT_STORED);
}

/* Asserts the index of f's live ("normal") keys holds n entries. */
static void assert_index_size(struct fixture *f, int n)
{
    char cmd[600];

    snprintf(
        cmd, sizeof(cmd),
        "test \"$(redis-cli -s %s ZCARD 'bode:{s:%s}:idx:normal')\" -eq %d",
        f->srv.sock, f->svc.id, n);
    assert_int_equal(system(cmd), 0);
}

static void test_bode_store_accept_trims_the_index_now_and_then(void **state)
{
    struct fixture *f = *state;
    struct bode_accept a;
    struct bode_accept_result res;
    char id[BODE_UUID_SIZE];
    int64_t now = bode_now_us();
    char cmd[400];

    snprintf(cmd, sizeof(cmd), "redis-cli -s %s FLUSHALL >/dev/null",
             f->srv.sock);
    assert_int_equal(system(cmd), 0);
    /* Past the 7-day retention. */
    accept_one(f, &a, id, BODE_CHANNEL_EMAIL, BODE_KEY_LIVE, NULL,
               now - 30LL * 86400 * 1000000);
    assert_int_equal(bode_store_accept(f->r, &a, &res), BODE_OK);
    /* An id ending in 0x04 or above (63 in 64) leaves the index alone... */
    accept_one(f, &a, id, BODE_CHANNEL_EMAIL, BODE_KEY_LIVE, NULL, now);
    memcpy(id + 34, "ff", 2);
    assert_int_equal(bode_store_accept(f->r, &a, &res), BODE_OK);
    assert_index_size(f, 2);
    /* ...one ending below 0x04 drops what is past the retention. */
    accept_one(f, &a, id, BODE_CHANNEL_EMAIL, BODE_KEY_LIVE, NULL, now + 1);
    memcpy(id + 34, "03", 2);
    assert_int_equal(bode_store_accept(f->r, &a, &res), BODE_OK);
    assert_index_size(f, 2);
}

static void test_bode_store_token_first_use(void **state)
{
    struct fixture *f = *state;
    const char *sid = "6f1c1d4e-1111-4a4a-8b8b-000000000001";
    unsigned char sig[32];
    char cmd[1200];
    bool first = false;

    memset(sig, 7, sizeof(sig));
    assert_int_equal(
        bode_store_token_first_use(f->r, sid, sig, sizeof(sig), 2000, &first),
        BODE_OK);
    assert_true(first);
    assert_int_equal(
        bode_store_token_first_use(f->r, sid, sig, sizeof(sig), 2000, &first),
        BODE_OK);
    assert_false(first);
    sig[31] ^= 1;
    assert_int_equal(
        bode_store_token_first_use(f->r, sid, sig, sizeof(sig), 2000, &first),
        BODE_OK);
    assert_true(first);
    /* The entry expires with the token's window: exactly one key, with a
     * TTL no longer than asked. */
    snprintf(cmd, sizeof(cmd),
             "test \"$(redis-cli -s %s PTTL \"$(redis-cli -s %s KEYS "
             "'bode:{s:%s}:jwt:*' | head -1)\")\" -le 2000",
             f->srv.sock, f->srv.sock, sid);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bode_store_key_names),
        cmocka_unit_test(test_bode_store_service_round_trip),
        cmocka_unit_test(test_bode_store_service_token_is_sealed),
        cmocka_unit_test(test_bode_store_keys_put_list_revoke),
        cmocka_unit_test(test_bode_store_team),
        cmocka_unit_test(test_bode_store_template_versions),
        cmocka_unit_test(test_bode_store_accept_get_and_list),
        cmocka_unit_test(test_bode_store_accept_rate_limit),
        cmocka_unit_test(test_bode_store_accept_daily_limit),
        cmocka_unit_test(test_bode_store_accept_international_limit),
        cmocka_unit_test(test_bode_store_accept_idempotency),
        cmocka_unit_test(test_bode_store_accept_fails_cleanly_without_redis),
        cmocka_unit_test(test_bode_store_accept_reloads_flushed_scripts),
        cmocka_unit_test(test_bode_store_accept_trims_the_index_now_and_then),
        cmocka_unit_test(test_bode_store_token_first_use),
    };

    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, setup, teardown);
}
