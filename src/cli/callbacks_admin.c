/* `bode service callbacks ...`: which statuses trigger a service's
 * delivery-status callback, and the health of its endpoint (failures in
 * a row, pause, kept callbacks) with pause and resume by hand. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "admin_int.h"
#include "bode/model.h"
#include "bode/queue.h"
#include "bode/store.h"
#include "cli.h"

static const char callbacks_usage[] =
    "usage: bode service callbacks SERVICE_ID [--json]\n"
    "       bode service callbacks SERVICE_ID --statuses LIST|all\n"
    "       bode service callbacks SERVICE_ID --pause|--resume\n\n"
    "LIST: comma-separated final statuses (delivered, permanent-failure,\n"
    "temporary-failure, technical-failure, sent); all = every final status.\n"
    "A paused endpoint gets no callbacks; they are kept, and one is tried\n"
    "every BODE_CALLBACK_PROBE_S seconds. Success, or --resume, sends the\n"
    "rest.\n";

/* Parses LIST into a bit per status; "all" is 0 (every final status). */
static int parse_statuses(const char *v, unsigned *out)
{
    char copy[256];
    char *save = NULL;
    char *word;
    enum bode_status st;

    *out = 0;
    if (strcmp(v, "all") == 0)
        return 0;
    snprintf(copy, sizeof(copy), "%s", v);
    for (word = strtok_r(copy, ",", &save); word;
         word = strtok_r(NULL, ",", &save)) {
        if (bode_status_parse(word, &st) || !bode_status_is_final(st) ||
            st == BODE_STATUS_CANCELLED ||
            st == BODE_STATUS_VALIDATION_FAILED) {
            fprintf(stderr,
                    "bode: %s is not a status callbacks report (delivered, "
                    "permanent-failure, temporary-failure, "
                    "technical-failure, sent)\n",
                    word);
            return -1;
        }
        *out |= 1u << st;
    }
    return *out ? 0 : -1;
}

json_t *bode_cli_callback_statuses_json(unsigned bits)
{
    json_t *arr = json_array();
    int i;

    for (i = 0; arr && i < BODE_STATUS__COUNT; i++) {
        enum bode_status st = (enum bode_status)i;

        if (bits ? (bits & (1u << i)) != 0 : bode_status_is_final(st))
            json_array_append_new(arr, json_string(bode_status_name(st)));
    }
    return arr;
}

static json_t *state_json(struct admin *a, const struct bode_service *s)
{
    char when[BODE_TIME_SIZE] = "";
    long long parked = 0;
    long long waiting = 0;

    if (bode_queue_callback_backlog(a->redis, s->id, &parked, &waiting))
        return NULL;
    if (s->callback_paused_at)
        bode_time_format(s->callback_paused_at, when);
    return json_pack(
        "{s:s, s:o, s:b, s:s?, s:i, s:I, s:I}", "callback_url", s->callback_url,
        "statuses", bode_cli_callback_statuses_json(s->callback_statuses),
        "paused", s->callback_paused_at != 0, "paused_at",
        when[0] ? when : NULL, "failures_in_a_row", (int)s->callback_failures,
        "kept", (json_int_t)parked, "retrying", (json_int_t)waiting);
}

int bode_cli_service_callbacks(struct admin *a, int argc, char **argv)
{
    struct bode_service s;
    const char *opt = argc > 3 ? argv[3] : "";
    long failures;
    bool paused;
    json_t *o;
    enum bode_err err;

    if (argc < 3 || argc > 5) {
        fputs(callbacks_usage, stderr);
        return BODE_EXIT_USAGE;
    }
    err = bode_store_service_get(a->redis, a->box, argv[2], &s);
    if (err) {
        fprintf(stderr, "bode: cannot read service: %s\n",
                err == BODE_ERR_NOT_FOUND ? "not found" : bode_err_str(err));
        return err == BODE_ERR_NOT_FOUND ? BODE_EXIT_USAGE : BODE_EXIT_FAIL;
    }
    if (strcmp(opt, "--statuses") == 0 && argc == 5) {
        if (parse_statuses(argv[4], &s.callback_statuses))
            return BODE_EXIT_USAGE;
        err = bode_store_service_put(a->redis, a->box, &s);
    } else if ((strcmp(opt, "--pause") == 0 || strcmp(opt, "--resume") == 0) &&
               argc == 4) {
        err = bode_queue_callback_health(a->redis, s.id,
                                         opt[2] == 'p' ? BODE_CALLBACK_PAUSE
                                                       : BODE_CALLBACK_RESUME,
                                         bode_now_us(), 0, &failures, &paused);
        if (!err) /* argv[2], not s.id: the read clears s first */
            err = bode_store_service_get(a->redis, a->box, argv[2], &s);
    } else if (argc != 3 && !(argc == 4 && strcmp(opt, "--json") == 0)) {
        fputs(callbacks_usage, stderr);
        return BODE_EXIT_USAGE;
    }
    memset(s.callback_token, 0, sizeof(s.callback_token));
    if (err) {
        fprintf(stderr, "bode: %s\n", bode_err_str(err));
        return BODE_EXIT_FAIL;
    }
    o = state_json(a, &s);
    if (!o)
        return BODE_EXIT_FAIL;
    if (strcmp(opt, "--json") == 0 || argc != 3)
        return bode_cli_print_json(o);
    printf("callback url       %s\n", s.callback_url[0] ? s.callback_url : "-");
    printf("statuses           %s\n", s.callback_statuses ? "" : "all final");
    if (s.callback_statuses) {
        size_t i;

        for (i = 0; i < json_array_size(json_object_get(o, "statuses")); i++)
            printf("                   %s\n",
                   json_string_value(
                       json_array_get(json_object_get(o, "statuses"), i)));
    }
    printf("paused             %s\n",
           s.callback_paused_at
               ? json_string_value(json_object_get(o, "paused_at"))
               : "no");
    printf("failures in a row  %ld\n", s.callback_failures);
    printf("kept (parked)      %lld\n",
           (long long)json_integer_value(json_object_get(o, "kept")));
    printf("waiting to retry   %lld\n",
           (long long)json_integer_value(json_object_get(o, "retrying")));
    json_decref(o);
    return BODE_EXIT_OK;
}
