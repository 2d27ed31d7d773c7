/* A throwaway redis-server with one service in it, for tests of the store,
 * the queue and the operator views. */
#ifndef BODE_TESTSERVICE_H
#define BODE_TESTSERVICE_H

#include "bode/secretbox.h"
#include "bode/store.h"
#include "testredis.h"

struct test_service {
    struct test_redis srv;
    struct bode_redis *r;
    struct bode_secretbox *box;
    struct bode_service svc;
};

/* Starts the server and stores a service called name. 0, or -1 with a
 * message on stderr. */
int test_service_start(struct test_service *t, const char *name);

/* Frees everything and stops the server. */
void test_service_stop(struct test_service *t);

/* Accepts one live-key SMS on the normal lane with personalisation (JSON
 * text) and writes its new id to id. 0, or -1 when it was not stored. */
int test_service_accept_sms(struct test_service *t, char *id,
                            const char *personalisation);

#endif
