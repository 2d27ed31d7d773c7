/* `bode notification`, `bode queue`, `bode stats` and `bode janitor`: what
 * an operator runs against a live Redis. Must not touch Redis itself: it
 * goes through the store and queue operator functions (bode/ops.h). */
#include <getopt.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin_int.h"
#include "bode/alloc.h"
#include "bode/ops.h"
#include "bode/store.h"
#include "cli.h"

#define LIST_DEFAULT 50
#define LIST_MAX 1000

struct ops_opts {
    bool json;
    bool all;
    const char *service;
    unsigned statuses;
    int64_t since; /* microseconds; 0 = any */
    long limit;
    const char *day;
    char **args; /* positional, after the subcommand words */
    int n_args;
};

static const char notification_usage[] =
    "usage: bode notification show ID [--service SERVICE_ID] [--json]\n"
    "       bode notification list SERVICE_ID [--status STATUS]...\n"
    "                              [--since ISO-8601|DURATION] [--limit N]\n"
    "                              [--json]\n"
    "\n"
    "show prints the record and its history of status changes. The table\n"
    "leaves out personalisation, subject and body (personal data); --json\n"
    "prints every field, personalisation included.\n"
    "list prints the newest first; --since takes a time such as\n"
    "2026-01-31T09:00:00Z or a duration back from now: 90s, 30m, 6h, 2d.\n";

static const char queue_usage[] =
    "usage: bode queue stats [--json]\n"
    "       bode queue dead list [SERVICE_ID] [--limit N] [--json]\n"
    "       bode queue dead retry SERVICE_ID ENTRY_ID|--all\n"
    "       bode queue dead drop SERVICE_ID ENTRY_ID|--all\n"
    "\n"
    "retry puts a dead letter back on its lane only when its notification\n"
    "is still the technical-failure the dead letter caused.\n";

static const char stats_usage[] =
    "usage: bode stats SERVICE_ID [--day YYYY-MM-DD] [--json]\n"
    "\n"
    "Notifications that reached a final status that UTC day (default\n"
    "today), per channel.\n";

static const char janitor_usage[] =
    "usage: bode janitor run [--json]\n"
    "\n"
    "One retention pass: drops expired ids from listing indexes and open\n"
    "sets and trims acknowledged stream entries older than the retention.\n"
    "Workers run the same pass every five minutes.\n";

static int failed(const char *what, enum bode_err err)
{
    fprintf(stderr, "bode: %s: %s\n", what,
            err == BODE_ERR_NOT_FOUND ? "not found" : bode_err_str(err));
    return err == BODE_ERR_NOT_FOUND ? BODE_EXIT_USAGE : BODE_EXIT_FAIL;
}

/* "90s", "30m", "6h", "2d" back from now, or an ISO-8601 time. */
static bool parse_since(const char *s, int64_t now, int64_t *out)
{
    char *end;
    long long n = strtoll(s, &end, 10);
    long long unit = 0;

    if (end != s && n >= 0 && end[0] && !end[1]) {
        unit = end[0] == 's'   ? 1
               : end[0] == 'm' ? 60
               : end[0] == 'h' ? 3600
               : end[0] == 'd' ? 86400
                               : 0;
        if (unit && n <= 3650LL * 86400 / unit) {
            *out = now - n * unit * 1000000;
            return true;
        }
    }
    return bode_time_parse(s, out) == BODE_OK;
}

static bool valid_day(const char *s)
{
    int i;

    if (strlen(s) != 10)
        return false;
    for (i = 0; i < 10; i++)
        if (i == 4 || i == 7 ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
            return false;
    return true;
}

/* Parses options from argv[skip..]; positional words are left in
 * o->args. Prints a one-line error; returns -1 to go on or an exit code. */
static int parse_opts(int argc, char **argv, int skip, const char *usage,
                      struct ops_opts *o)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"all", no_argument, NULL, 'a'},
        {"service", required_argument, NULL, 'S'},
        {"status", required_argument, NULL, 's'},
        {"since", required_argument, NULL, 'n'},
        {"limit", required_argument, NULL, 'l'},
        {"day", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    enum bode_status st;
    char *end;
    int c;

    memset(o, 0, sizeof(*o));
    o->limit = LIST_DEFAULT;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc - skip + 1, argv + skip - 1, "", opts,
                            NULL)) != -1) {
        switch (c) {
        case 'j':
            o->json = true;
            break;
        case 'a':
            o->all = true;
            break;
        case 'S':
            o->service = optarg;
            break;
        case 's':
            if (bode_status_parse(optarg, &st)) {
                fprintf(stderr, "bode: unknown status %s\n", optarg);
                return BODE_EXIT_USAGE;
            }
            o->statuses |= 1u << st;
            break;
        case 'n':
            if (!parse_since(optarg, bode_now_us(), &o->since)) {
                fprintf(stderr, "bode: --since wants a time or 30m, 6h, 2d\n");
                return BODE_EXIT_USAGE;
            }
            break;
        case 'l':
            o->limit = strtol(optarg, &end, 10);
            if (*end || o->limit < 1 || o->limit > LIST_MAX) {
                fprintf(stderr, "bode: --limit wants 1 to %d\n", LIST_MAX);
                return BODE_EXIT_USAGE;
            }
            break;
        case 'd':
            if (!valid_day(optarg)) {
                fprintf(stderr, "bode: --day wants YYYY-MM-DD\n");
                return BODE_EXIT_USAGE;
            }
            o->day = optarg;
            break;
        case 'h':
            fputs(usage, stdout);
            return BODE_EXIT_OK;
        default:
            fprintf(stderr, "bode: unknown option %s\n%s",
                    argv[optind - 1 + skip - 1], usage);
            return BODE_EXIT_USAGE;
        }
    }
    o->args = argv + skip - 1 + optind;
    o->n_args = argc - skip + 1 - optind;
    return -1;
}

static void print_time(const char *label, int64_t us)
{
    char t[BODE_TIME_SIZE];

    bode_time_format(us, t);
    printf("%-28s %s\n", label, t);
}

static bool is_private_field(const char *name)
{
    return strcmp(name, "personalisation") == 0 || strcmp(name, "body") == 0 ||
           strcmp(name, "subject") == 0;
}

static bool is_time_field(const char *name)
{
    size_t n = strlen(name);

    return (n > 3 && strcmp(name + n - 3, "_at") == 0) ||
           strcmp(name, "lease_until") == 0;
}

static json_t *record_json(const struct bode_ops_record *rec)
{
    json_t *j = json_object();
    json_t *fields = json_object();
    json_t *hist = json_array();
    char t[BODE_TIME_SIZE];
    size_t i;

    if (!j || !fields || !hist) {
        json_decref(j);
        json_decref(fields);
        json_decref(hist);
        return NULL;
    }
    for (i = 0; i < rec->n_fields; i++)
        json_object_set_new(fields, rec->fields[i].name,
                            json_string(rec->fields[i].value));
    for (i = 0; i < rec->n_history; i++) {
        bode_time_format(rec->history[i].at, t);
        json_array_append_new(hist,
                              json_pack("{s:s, s:I, s:s, s:s}", "at", t,
                                        "at_us", (json_int_t)rec->history[i].at,
                                        "status", rec->history[i].status,
                                        "detail", rec->history[i].detail));
    }
    json_object_set_new(j, "service_id", json_string(rec->service_id));
    json_object_set_new(j, "record", fields);
    json_object_set_new(j, "history", hist);
    return j;
}

static void record_table(const struct bode_ops_record *rec)
{
    size_t i;
    const char *v;

    printf("%-28s %s\n", "service", rec->service_id);
    for (i = 0; i < rec->n_fields; i++) {
        v = rec->fields[i].value;
        if (is_private_field(rec->fields[i].name))
            printf("%-28s (hidden; --json shows it)\n", rec->fields[i].name);
        else if (is_time_field(rec->fields[i].name) && v[0])
            print_time(rec->fields[i].name, strtoll(v, NULL, 10));
        else
            printf("%-28s %s\n", rec->fields[i].name, v);
    }
    printf("\nhistory:\n");
    for (i = 0; i < rec->n_history; i++) {
        char t[BODE_TIME_SIZE];

        bode_time_format(rec->history[i].at, t);
        printf("  %s  %-18s %s\n", t, rec->history[i].status,
               rec->history[i].detail);
    }
}

static int notification_show(struct admin *a, const struct ops_opts *o)
{
    struct bode_ops_record rec;
    enum bode_err err;
    int rc;

    if (o->n_args != 1) {
        fputs(notification_usage, stderr);
        return BODE_EXIT_USAGE;
    }
    err = bode_queue_ops_record(a->redis, o->service, o->args[0], &rec);
    if (err)
        rc = failed("cannot read notification", err);
    else if (o->json)
        rc = bode_cli_print_json(record_json(&rec));
    else {
        record_table(&rec);
        rc = BODE_EXIT_OK;
    }
    bode_ops_record_release(&rec);
    return rc;
}

static int newest_first(const void *x, const void *y)
{
    const struct bode_notification *a = x;
    const struct bode_notification *b = y;

    return a->created_at < b->created_at   ? 1
           : a->created_at > b->created_at ? -1
                                           : 0;
}

static json_t *listed_json(const struct bode_notification *n)
{
    char created[BODE_TIME_SIZE];

    bode_time_format(n->created_at, created);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:i}", "id", n->id,
                     "created_at", created, "type",
                     bode_channel_name(n->channel), "status",
                     bode_status_name(n->status), "key_type",
                     bode_key_type_name(n->key_type), "to", n->to ? n->to : "",
                     "reference", n->reference, "attempts", n->attempts);
}

/* Lists each key type's index (each holds only its own key type), then
 * merges newest first. */
static int notification_list(struct admin *a, const struct ops_opts *o)
{
    struct bode_notification *all = NULL;
    struct bode_notification *part = NULL;
    struct bode_notification *grown;
    struct bode_list_filter f;
    size_t n_all = 0;
    size_t n_part;
    size_t i;
    size_t shown = 0;
    enum bode_err err = BODE_OK;
    json_t *arr = NULL;
    int kt;
    int rc = BODE_EXIT_FAIL;

    if (o->n_args != 1) {
        fputs(notification_usage, stderr);
        return BODE_EXIT_USAGE;
    }
    for (kt = 0; kt < BODE_KEY__COUNT && !err; kt++) {
        memset(&f, 0, sizeof(f));
        f.key_type = (enum bode_key_type)kt;
        /* Operators see every notification, bulk jobs' too. */
        f.include_jobs = true;
        f.statuses = o->statuses;
        err = bode_store_notification_list(a->redis, o->args[0], &f,
                                           (size_t)o->limit, &part, &n_part);
        if (err)
            break;
        if (n_part == 0) {
            bode_free(part);
            continue;
        }
        grown = bode_realloc(all, (n_all + n_part) * sizeof(*all));
        if (!grown) {
            for (i = 0; i < n_part; i++)
                bode_notification_release(&part[i]);
            bode_free(part);
            err = BODE_ERR_NOMEM;
            break;
        }
        all = grown;
        memcpy(all + n_all, part, n_part * sizeof(*part));
        n_all += n_part;
        bode_free(part);
    }
    if (err) {
        rc = failed("cannot list notifications", err);
        goto out;
    }
    if (n_all)
        qsort(all, n_all, sizeof(*all), newest_first);
    if (o->json && !(arr = json_array()))
        goto out;
    if (!o->json)
        printf("%-36s  %-27s  %-5s  %-18s  %-6s  %s\n", "ID", "CREATED", "TYPE",
               "STATUS", "KEY", "TO");
    for (i = 0; i < n_all && shown < (size_t)o->limit; i++) {
        char created[BODE_TIME_SIZE];

        if (o->since && all[i].created_at < o->since)
            break;
        shown++;
        if (o->json) {
            json_array_append_new(arr, listed_json(&all[i]));
            continue;
        }
        bode_time_format(all[i].created_at, created);
        printf("%-36s  %-27s  %-5s  %-18s  %-6s  %s\n", all[i].id, created,
               bode_channel_name(all[i].channel),
               bode_status_name(all[i].status),
               bode_key_type_name(all[i].key_type), all[i].to ? all[i].to : "");
    }
    rc = o->json ? bode_cli_print_json(arr) : BODE_EXIT_OK;
    arr = NULL;
out:
    json_decref(arr);
    for (i = 0; i < n_all; i++)
        bode_notification_release(&all[i]);
    bode_free(all);
    return rc;
}

int bode_cmd_notification(int argc, char **argv)
{
    struct ops_opts o;
    struct admin a;
    int rc;

    if (argc < 2 || bode_cli_wants_help(argc, argv)) {
        fputs(notification_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? BODE_EXIT_USAGE : BODE_EXIT_OK;
    }
    rc = bode_admin_open(&argc, argv, &a);
    if (rc >= 0)
        return rc;
    rc = parse_opts(argc, argv, 2, notification_usage, &o);
    if (rc >= 0)
        goto out;
    if (strcmp(argv[1], "show") == 0)
        rc = notification_show(&a, &o);
    else if (strcmp(argv[1], "list") == 0)
        rc = notification_list(&a, &o);
    else {
        fputs(notification_usage, stderr);
        rc = BODE_EXIT_USAGE;
    }
out:
    bode_admin_close(&a);
    return rc;
}

static int queue_stats(struct admin *a, const struct ops_opts *o)
{
    struct bode_ops_queue_stats st;
    enum bode_err err;
    json_t *j;
    json_t *lanes;
    int l;

    err = bode_queue_ops_stats(a->redis, bode_now_us(), &st);
    if (err)
        return failed("cannot read queue", err);
    if (o->json) {
        lanes = json_object();
        for (l = 0; lanes && l < BODE_LANE__COUNT; l++)
            json_object_set_new(
                lanes, bode_lane_name((enum bode_lane)l),
                json_pack("{s:I, s:I, s:f}", "depth",
                          (json_int_t)st.lanes[l].depth, "pending",
                          (json_int_t)st.lanes[l].pending,
                          "oldest_pending_age_s",
                          (double)st.lanes[l].oldest_pending / 1000.0));
        j = json_pack("{s:o?, s:I, s:I, s:I, s:I, s:I, s:I}", "lanes", lanes,
                      "retries", (json_int_t)st.retries, "retries_due",
                      (json_int_t)st.retries_due, "scheduled",
                      (json_int_t)st.scheduled, "scheduled_due",
                      (json_int_t)st.scheduled_due, "dead", (json_int_t)st.dead,
                      "services", (json_int_t)st.services);
        return bode_cli_print_json(j);
    }
    printf("%-9s %10s %10s %16s\n", "LANE", "DEPTH", "PENDING",
           "OLDEST PENDING");
    for (l = 0; l < BODE_LANE__COUNT; l++)
        printf("%-9s %10lld %10lld %15.1fs\n",
               bode_lane_name((enum bode_lane)l), st.lanes[l].depth,
               st.lanes[l].pending,
               (double)st.lanes[l].oldest_pending / 1000.0);
    printf("\nretries: %lld (%lld due now)   scheduled: %lld (%lld due now)"
           "   dead letters: %lld   services: %zu\n",
           st.retries, st.retries_due, st.scheduled, st.scheduled_due, st.dead,
           st.services);
    return BODE_EXIT_OK;
}

static int dead_list(struct admin *a, const struct ops_opts *o)
{
    struct bode_ops_dead *d = NULL;
    enum bode_err err;
    char t[BODE_TIME_SIZE];
    json_t *arr;
    size_t n;
    size_t i;

    err = bode_queue_ops_dead_list(a->redis, o->n_args ? o->args[0] : NULL,
                                   (size_t)o->limit, &d, &n);
    if (err)
        return failed("cannot list dead letters", err);
    if (o->json) {
        arr = json_array();
        for (i = 0; arr && i < n; i++) {
            bode_time_format(d[i].at, t);
            json_array_append_new(
                arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "service_id",
                               d[i].service_id, "entry_id", d[i].entry_id,
                               "notification_id", d[i].notification_id, "from",
                               d[i].from, "reason", d[i].reason, "at", t));
        }
        bode_free(d);
        return bode_cli_print_json(arr);
    }
    printf("%-36s  %-17s  %-36s  %-27s  %s\n", "SERVICE", "ENTRY",
           "NOTIFICATION", "AT", "REASON");
    for (i = 0; i < n; i++) {
        bode_time_format(d[i].at, t);
        printf("%-36s  %-17s  %-36s  %-27s  %s\n", d[i].service_id,
               d[i].entry_id, d[i].notification_id, t, d[i].reason);
    }
    bode_free(d);
    return BODE_EXIT_OK;
}

/* Retries or drops one entry; prints what happened to it when asked. */
static enum bode_err dead_one(struct admin *a, const char *sid,
                              const char *entry, bool retry, bool *done,
                              char *why)
{
    enum bode_err err;

    if (retry)
        return bode_queue_ops_dead_retry(a->redis, sid, entry, bode_now_us(),
                                         done, why);
    err = bode_queue_ops_dead_drop(a->redis, sid, entry);
    *done = !err;
    return err;
}

/* retry or drop, one entry or --all (in batches, progress on stderr). */
static int dead_act(struct admin *a, const struct ops_opts *o, bool retry)
{
    const char *verb = retry ? "requeued" : "dropped";
    struct bode_ops_dead *d = NULL;
    char why[32];
    size_t n;
    size_t i;
    size_t done_n = 0;
    size_t skipped = 0;
    enum bode_err err;
    bool done;

    if (o->n_args < 1 || (o->n_args == 1) == !o->all) {
        fputs(queue_usage, stderr);
        return BODE_EXIT_USAGE;
    }
    if (!o->all) {
        err = dead_one(a, o->args[0], o->args[1], retry, &done, why);
        if (err)
            return failed(retry ? "cannot retry" : "cannot drop", err);
        if (!done) {
            fprintf(stderr, "bode: %s left in place: %s\n", o->args[1], why);
            return BODE_EXIT_FAIL;
        }
        printf("%s %s\n", verb, o->args[1]);
        return BODE_EXIT_OK;
    }
    /* Skipped entries stay, so each batch starts after the last seen. */
    for (;;) {
        err = bode_queue_ops_dead_list(a->redis, o->args[0], 100, &d, &n);
        if (err)
            return failed("cannot list dead letters", err);
        if (n <= skipped) {
            bode_free(d);
            break;
        }
        for (i = skipped; i < n; i++) {
            err = dead_one(a, o->args[0], d[i].entry_id, retry, &done, why);
            if (err && err != BODE_ERR_NOT_FOUND) {
                bode_free(d);
                return failed(retry ? "cannot retry" : "cannot drop", err);
            }
            if (done)
                done_n++;
            else
                skipped++;
        }
        bode_free(d);
        fprintf(stderr, "\r%zu %s, %zu left in place", done_n, verb, skipped);
        fflush(stderr);
        if (n < 100)
            break;
    }
    fprintf(stderr, "\n");
    printf("%zu %s, %zu left in place\n", done_n, verb, skipped);
    return BODE_EXIT_OK;
}

int bode_cmd_queue(int argc, char **argv)
{
    struct ops_opts o;
    struct admin a;
    bool dead;
    int rc;

    if (argc < 2 || bode_cli_wants_help(argc, argv)) {
        fputs(queue_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? BODE_EXIT_USAGE : BODE_EXIT_OK;
    }
    dead = strcmp(argv[1], "dead") == 0;
    if (dead && argc < 3) {
        fputs(queue_usage, stderr);
        return BODE_EXIT_USAGE;
    }
    rc = bode_admin_open(&argc, argv, &a);
    if (rc >= 0)
        return rc;
    rc = parse_opts(argc, argv, dead ? 3 : 2, queue_usage, &o);
    if (rc >= 0)
        goto out;
    if (!dead && strcmp(argv[1], "stats") == 0)
        rc = queue_stats(&a, &o);
    else if (dead && strcmp(argv[2], "list") == 0)
        rc = dead_list(&a, &o);
    else if (dead && strcmp(argv[2], "retry") == 0)
        rc = dead_act(&a, &o, true);
    else if (dead && strcmp(argv[2], "drop") == 0)
        rc = dead_act(&a, &o, false);
    else {
        fputs(queue_usage, stderr);
        rc = BODE_EXIT_USAGE;
    }
out:
    bode_admin_close(&a);
    return rc;
}

static long long failures(const long long *c)
{
    return c[BODE_STATUS_PERMANENT_FAILURE] + c[BODE_STATUS_TEMPORARY_FAILURE] +
           c[BODE_STATUS_TECHNICAL_FAILURE] + c[BODE_STATUS_VALIDATION_FAILED];
}

int bode_cmd_stats(int argc, char **argv)
{
    struct bode_ops_day_stats st;
    struct ops_opts o;
    struct admin a;
    enum bode_err err;
    char today[16];
    const char *day;
    time_t now = time(NULL);
    struct tm tm;
    json_t *j = NULL;
    json_t *ch_j;
    int ch;
    int s;
    int rc;

    if (argc < 2 || bode_cli_wants_help(argc, argv)) {
        fputs(stats_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? BODE_EXIT_USAGE : BODE_EXIT_OK;
    }
    rc = bode_admin_open(&argc, argv, &a);
    if (rc >= 0)
        return rc;
    rc = parse_opts(argc, argv, 1, stats_usage, &o);
    if (rc >= 0)
        goto out;
    if (o.n_args != 1) {
        fputs(stats_usage, stderr);
        rc = BODE_EXIT_USAGE;
        goto out;
    }
    if (!gmtime_r(&now, &tm) ||
        !strftime(today, sizeof(today), "%Y-%m-%d", &tm))
        snprintf(today, sizeof(today), "1970-01-01");
    day = o.day ? o.day : today;
    err = bode_store_stats_day(a.redis, o.args[0], day, &st);
    if (err) {
        rc = failed("cannot read stats", err);
        goto out;
    }
    if (o.json) {
        j = json_pack("{s:s, s:s, s:{}}", "service_id", o.args[0], "day", day,
                      "channels");
        for (ch = 0; j && ch < BODE_CHANNEL__COUNT; ch++) {
            const long long *c = st.counts[ch];

            ch_j = json_pack("{s:I, s:I, s:I, s:{}}", "sent",
                             (json_int_t)c[BODE_STATUS_SENT], "delivered",
                             (json_int_t)c[BODE_STATUS_DELIVERED], "failed",
                             (json_int_t)failures(c), "by_status");
            for (s = 0; ch_j && s < BODE_STATUS__COUNT; s++)
                if (c[s])
                    json_object_set_new(json_object_get(ch_j, "by_status"),
                                        bode_status_name((enum bode_status)s),
                                        json_integer(c[s]));
            json_object_set_new(json_object_get(j, "channels"),
                                bode_channel_name((enum bode_channel)ch), ch_j);
        }
        rc = bode_cli_print_json(j);
        goto out;
    }
    printf("service %s, %s (UTC)\n\n", o.args[0], day);
    printf("%-7s %10s %10s %10s\n", "CHANNEL", "SENT", "DELIVERED", "FAILED");
    for (ch = 0; ch < BODE_CHANNEL__COUNT; ch++)
        printf("%-7s %10lld %10lld %10lld\n",
               bode_channel_name((enum bode_channel)ch),
               st.counts[ch][BODE_STATUS_SENT],
               st.counts[ch][BODE_STATUS_DELIVERED], failures(st.counts[ch]));
    rc = BODE_EXIT_OK;
out:
    bode_admin_close(&a);
    return rc;
}

int bode_cmd_janitor(int argc, char **argv)
{
    struct bode_ops_janitor_result res = {0, 0, 0};
    struct ops_opts o;
    struct admin a;
    enum bode_err err;
    int rc;

    if (argc < 2 || strcmp(argv[1], "run") != 0 ||
        bode_cli_wants_help(argc, argv)) {
        bool help = bode_cli_wants_help(argc, argv);

        fputs(janitor_usage, help ? stdout : stderr);
        return help ? BODE_EXIT_OK : BODE_EXIT_USAGE;
    }
    rc = bode_admin_open(&argc, argv, &a);
    if (rc >= 0)
        return rc;
    rc = parse_opts(argc, argv, 2, janitor_usage, &o);
    if (rc >= 0)
        goto out;
    err = bode_queue_ops_janitor(a.redis, bode_now_us(), 1000, &res);
    if (err) {
        rc = failed("janitor", err);
        goto out;
    }
    if (o.json)
        rc = bode_cli_print_json(json_pack(
            "{s:I, s:I, s:I}", "index_entries", (json_int_t)res.index_entries,
            "open_entries", (json_int_t)res.open_entries, "stream_entries",
            (json_int_t)res.stream_entries));
    else {
        printf("removed %lld index entries, %lld open-set entries, "
               "%lld stream entries\n",
               res.index_entries, res.open_entries, res.stream_entries);
        rc = BODE_EXIT_OK;
    }
out:
    bode_admin_close(&a);
    return rc;
}
