/* A throwaway redis-server with one service in it. */
#include "testservice.h"

#include <stdio.h>
#include <string.h>

#include "bode/rand.h"

int test_service_start(struct test_service *t, const char *name)
{
    struct bode_secretbox_error e;
    char key[65];

    memset(t, 0, sizeof(*t));
    memset(key, 'c', 64);
    key[64] = '\0';
    if (test_redis_start(&t->srv) ||
        bode_secretbox_load(key, NULL, &t->box, &e) ||
        bode_service_defaults(&t->svc, name))
        return -1;
    t->r = bode_redis_new(t->srv.url, 2000);
    if (!t->r || bode_store_service_put(t->r, t->box, &t->svc)) {
        fprintf(stderr, "test_service: cannot store the service\n");
        return -1;
    }
    return 0;
}

void test_service_stop(struct test_service *t)
{
    bode_redis_free(t->r);
    bode_secretbox_free(t->box);
    test_redis_stop(&t->srv, 1);
    t->r = NULL;
    t->box = NULL;
}

int test_service_accept_sms(struct test_service *t, char *id,
                            const char *personalisation)
{
    struct bode_accept a;
    struct bode_accept_result res;

    memset(&a, 0, sizeof(a));
    if (bode_rand_uuid(id))
        return -1;
    a.id = id;
    a.service_id = t->svc.id;
    a.key_type = BODE_KEY_LIVE;
    a.key_id = "k";
    a.channel = BODE_CHANNEL_SMS;
    a.lane = BODE_LANE_NORMAL;
    a.template_id = "11111111-1111-1111-1111-111111111111";
    a.template_version = 1;
    a.to = "447700900123";
    a.personalisation = personalisation;
    a.body = "Hello";
    a.created_at = bode_now_us();
    a.retention_days = 7;
    if (bode_store_accept(t->r, &a, &res) || res.outcome != BODE_ACCEPT_STORED)
        return -1;
    return 0;
}
