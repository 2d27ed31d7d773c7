/* `bode service inbound-number|inbound-callback ...`: which inbound
 * numbers route texts to a service, and where its received texts are
 * reported. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "admin_int.h"
#include "bode/inbound.h"
#include "bode/store.h"
#include "cli.h"

#define MAX_NUMBERS 256

static const char inbound_usage[] =
    "usage: bode service inbound-number add|remove SERVICE_ID NUMBER\n"
    "       bode service inbound-number list SERVICE_ID [--json]\n"
    "       bode service inbound-callback SERVICE_ID URL TOKEN\n"
    "       bode service inbound-callback SERVICE_ID --clear\n\n"
    "Texts to an inbound number (from the twilio or http provider's webhook\n"
    "at /notifications/inbound/PROVIDER) go to the service that has it;\n"
    "a number belongs to one service. The inbound callback gets Notify's\n"
    "inbound SMS payload with Authorization: Bearer TOKEN (https only,\n"
    "token at least 10 characters).\n";

static int failed(const char *what, enum bode_err err)
{
    fprintf(stderr, "bode: %s: %s\n", what,
            err == BODE_ERR_NOT_FOUND  ? "not found"
            : err == BODE_ERR_CONFLICT ? "another service has that number"
                                       : bode_err_str(err));
    return err == BODE_ERR_NOT_FOUND || err == BODE_ERR_CONFLICT
               ? BODE_EXIT_USAGE
               : BODE_EXIT_FAIL;
}

static int numbers(struct admin *a, int argc, char **argv)
{
    char list[MAX_NUMBERS][BODE_INBOUND_NUMBER_SIZE];
    char number[BODE_INBOUND_NUMBER_SIZE];
    struct bode_service svc;
    const char *verb = argc > 2 ? argv[2] : "";
    json_t *arr;
    size_t n = 0;
    size_t i;
    enum bode_err err;

    if (strcmp(verb, "list") == 0 && (argc == 4 || argc == 5)) {
        err = bode_store_inbound_number_list(a->redis, argv[3], list,
                                             MAX_NUMBERS, &n);
        if (err)
            return failed("cannot list", err);
        if (argc == 4) {
            for (i = 0; i < n; i++)
                puts(list[i]);
            return BODE_EXIT_OK;
        }
        arr = json_array();
        for (i = 0; arr && i < n; i++)
            json_array_append_new(arr, json_string(list[i]));
        return bode_cli_print_json(arr);
    }
    if ((strcmp(verb, "add") != 0 && strcmp(verb, "remove") != 0) ||
        argc != 5) {
        fputs(inbound_usage, stderr);
        return BODE_EXIT_USAGE;
    }
    if (!bode_inbound_number_normalise(argv[4], number)) {
        fprintf(stderr, "bode: %s is not a phone number\n", argv[4]);
        return BODE_EXIT_USAGE;
    }
    err = bode_store_service_get(a->redis, a->box, argv[3], &svc);
    memset(&svc, 0, sizeof(svc));
    if (err)
        return failed("cannot read service", err);
    err = verb[0] == 'a'
              ? bode_store_inbound_number_add(a->redis, argv[3], number)
              : bode_store_inbound_number_remove(a->redis, argv[3], number);
    if (err)
        return failed(verb[0] == 'a' ? "cannot add" : "cannot remove", err);
    puts(number);
    return BODE_EXIT_OK;
}

static int callback(struct admin *a, int argc, char **argv)
{
    struct bode_service svc;
    bool clear = argc == 4 && strcmp(argv[3], "--clear") == 0;
    enum bode_err err;
    int rc = BODE_EXIT_OK;

    if (!clear && argc != 5) {
        fputs(inbound_usage, stderr);
        return BODE_EXIT_USAGE;
    }
    if (!clear &&
        (strncmp(argv[3], "https://", 8) != 0 || strlen(argv[3]) < 9 ||
         strlen(argv[3]) >= sizeof(svc.inbound_callback_url) ||
         strlen(argv[4]) < 10 ||
         strlen(argv[4]) >= sizeof(svc.inbound_callback_token) ||
         strpbrk(argv[3], " \r\n") || strpbrk(argv[4], "\r\n"))) {
        fprintf(stderr, "bode: the URL must be https:// and the token 10 to "
                        "255 characters\n");
        return BODE_EXIT_USAGE;
    }
    err = bode_store_service_get(a->redis, a->box, argv[2], &svc);
    if (err) {
        rc = failed("cannot read service", err);
        goto out;
    }
    snprintf(svc.inbound_callback_url, sizeof(svc.inbound_callback_url), "%s",
             clear ? "" : argv[3]);
    snprintf(svc.inbound_callback_token, sizeof(svc.inbound_callback_token),
             "%s", clear ? "" : argv[4]);
    err = bode_store_service_put(a->redis, a->box, &svc);
    if (err)
        rc = failed("cannot store service", err);
out:
    memset(&svc, 0, sizeof(svc));
    return rc;
}

int bode_cli_service_inbound(struct admin *a, int argc, char **argv)
{
    if (strcmp(argv[1], "inbound-number") == 0)
        return numbers(a, argc, argv);
    return callback(a, argc, argv);
}
