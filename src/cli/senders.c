/* `bode service reply-to|sms-sender ...`: a service's email reply-to
 * addresses and SMS senders. Validates values; the store keeps them. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "admin_int.h"
#include "bode/model.h"
#include "bode/rand.h"
#include "bode/senders.h"
#include "bode/store.h"
#include "bode/validate.h"
#include "cli.h"

static const char senders_usage[] =
    "usage: bode service reply-to add SERVICE_ID EMAIL [--default]\n"
    "       bode service sms-sender add SERVICE_ID SENDER [--default]\n"
    "       bode service reply-to|sms-sender list SERVICE_ID [--json]\n"
    "       bode service reply-to|sms-sender default SERVICE_ID ID\n"
    "       bode service reply-to|sms-sender remove SERVICE_ID ID\n\n"
    "The first one added is the default, used when a request names no\n"
    "email_reply_to_id / sms_sender_id. SMS senders are 3 to 11 letters,\n"
    "digits or spaces, or a phone number of up to 15 digits (+ allowed).\n";

/* Notify's SMS sender rule: an alphanumeric name of 3 to 11 characters
 * (networks cut longer ones) or a number. */
static bool sms_sender_ok(const char *v)
{
    size_t n = strlen(v);
    size_t i = v[0] == '+' ? 1 : 0;
    bool digits = n > i;
    bool plain = n >= 3 && n <= 11;

    for (; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            digits = false;
        if (!((v[i] >= 'A' && v[i] <= 'Z') || (v[i] >= 'a' && v[i] <= 'z') ||
              (v[i] >= '0' && v[i] <= '9') || v[i] == ' '))
            plain = false;
    }
    if (digits)
        return n >= 3 && n <= 16;
    return plain && v[0] != '+';
}

static int failed(const char *what, enum bode_err err)
{
    if (err == BODE_ERR_CONFLICT) {
        fprintf(stderr,
                "bode: %s: it is the default and others exist; "
                "make another the default first\n",
                what);
        return BODE_EXIT_USAGE;
    }
    fprintf(stderr, "bode: %s: %s\n", what,
            err == BODE_ERR_NOT_FOUND ? "not found" : bode_err_str(err));
    return err == BODE_ERR_NOT_FOUND ? BODE_EXIT_USAGE : BODE_EXIT_FAIL;
}

static int add(struct admin *a, enum bode_sender_kind kind, int argc,
               char **argv)
{
    struct bode_sender s;
    struct bode_email email;
    const char *value = argv[4];
    enum bode_err err;

    memset(&s, 0, sizeof(s));
    s.is_default = argc > 5 && strcmp(argv[5], "--default") == 0;
    if (argc > (s.is_default ? 6 : 5)) {
        fputs(senders_usage, stderr);
        return BODE_EXIT_USAGE;
    }
    if (kind == BODE_SENDER_REPLY_TO) {
        if (bode_validate_email(value, strlen(value), &email) ||
            email.ascii_len >= sizeof(s.value)) {
            fprintf(stderr, "bode: %s is not a valid email address\n", value);
            return BODE_EXIT_USAGE;
        }
        /* The ASCII form goes into the Reply-To header as it is. */
        memcpy(s.value, email.ascii, email.ascii_len + 1);
    } else {
        if (!sms_sender_ok(value)) {
            fprintf(stderr, "bode: SMS sender must be 3 to 11 letters, digits "
                            "or spaces, or a phone number\n");
            return BODE_EXIT_USAGE;
        }
        snprintf(s.value, sizeof(s.value), "%s", value);
    }
    if (bode_rand_uuid(s.id))
        return BODE_EXIT_FAIL;
    s.created_at = bode_now_us();
    err = bode_store_sender_add(a->redis, kind, argv[3], &s);
    if (err)
        return failed("cannot add", err);
    puts(s.id);
    return BODE_EXIT_OK;
}

static int list(struct admin *a, enum bode_sender_kind kind, const char *sid,
                bool json)
{
    struct bode_sender items[BODE_SENDER_MAX];
    json_t *arr;
    size_t n = 0;
    size_t i;
    enum bode_err err;

    err =
        bode_store_sender_list(a->redis, kind, sid, items, BODE_SENDER_MAX, &n);
    if (err)
        return failed("cannot list", err);
    if (!json) {
        printf("%-36s  %-7s  %s\n", "ID", "DEFAULT", "VALUE");
        for (i = 0; i < n; i++)
            printf("%-36s  %-7s  %s\n", items[i].id,
                   items[i].is_default ? "yes" : "", items[i].value);
        return BODE_EXIT_OK;
    }
    arr = json_array();
    for (i = 0; arr && i < n; i++)
        json_array_append_new(
            arr, json_pack("{s:s, s:s, s:b}", "id", items[i].id,
                           kind == BODE_SENDER_REPLY_TO ? "email_address"
                                                        : "sms_sender",
                           items[i].value, "is_default", items[i].is_default));
    return bode_cli_print_json(arr);
}

int bode_cli_service_senders(struct admin *a, int argc, char **argv)
{
    enum bode_sender_kind kind = strcmp(argv[1], "reply-to") == 0
                                     ? BODE_SENDER_REPLY_TO
                                     : BODE_SENDER_SMS;
    const char *verb = argc > 2 ? argv[2] : "";
    enum bode_err err;

    if (strcmp(verb, "add") == 0 && argc >= 5)
        return add(a, kind, argc, argv);
    if (strcmp(verb, "list") == 0 && (argc == 4 || argc == 5))
        return list(a, kind, argv[3],
                    argc == 5 && strcmp(argv[4], "--json") == 0);
    if (strcmp(verb, "default") == 0 && argc == 5) {
        err = bode_store_sender_set_default(a->redis, kind, argv[3], argv[4]);
        return err ? failed("cannot make it the default", err) : BODE_EXIT_OK;
    }
    if (strcmp(verb, "remove") == 0 && argc == 5) {
        err = bode_store_sender_remove(a->redis, kind, argv[3], argv[4]);
        return err ? failed("cannot remove", err) : BODE_EXIT_OK;
    }
    fputs(senders_usage, stderr);
    return BODE_EXIT_USAGE;
}

void bode_cli_service_json_more(json_t *o, const struct bode_service *s)
{
    if (!o)
        return;
    json_object_set_new(o, "reply_to", json_string(s->reply_to));
    json_object_set_new(o, "reply_to_id", json_string(s->reply_to_id));
    json_object_set_new(o, "sms_sender_id", json_string(s->sms_sender_id));
    json_object_set_new(o, "callback_statuses",
                        bode_cli_callback_statuses_json(s->callback_statuses));
    json_object_set_new(o, "callback_paused",
                        json_boolean(s->callback_paused_at));
    json_object_set_new(o, "callback_failures",
                        json_integer((json_int_t)s->callback_failures));
    json_object_set_new(o, "inbound_callback_url",
                        json_string(s->inbound_callback_url));
    /* A secret: shown only as set or not. */
    json_object_set_new(o, "inbound_callback_token_set",
                        json_boolean(s->inbound_callback_token[0] != '\0'));
}
