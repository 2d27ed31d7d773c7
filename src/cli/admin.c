/* Administration commands: services, API keys and team members, against
 * the same Redis the API uses. Each create command prints only the new id
 * or key (or, with --json, the whole object) so scripts can use it. */
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin_int.h"
#include "bode/apikey.h"
#include "bode/rand.h"
#include "bode/store.h"
#include "bode/validate.h"
#include "cli.h"

static bool env_set(const char *name)
{
    const char *v = getenv(name);

    return v && *v;
}

int bode_admin_load_box(const struct bode_config *cfg,
                        struct bode_secretbox **box)
{
    struct bode_secretbox_error e;
    enum bode_err err;

    err = bode_secretbox_load(
        cfg->secret_key[0] ? cfg->secret_key : NULL,
        cfg->secret_key_file[0] ? cfg->secret_key_file : NULL, box, &e);
    if (err == BODE_ERR_NOT_FOUND) {
        fprintf(stderr, "bode: no master key: set BODE_SECRET_KEY or "
                        "BODE_SECRET_KEY_FILE (bode dev makes one)\n");
        return BODE_EXIT_USAGE;
    }
    if (err) {
        fprintf(stderr, "bode: master key: %s\n", e.text);
        return BODE_EXIT_USAGE;
    }
    return -1;
}

int bode_admin_open(int *argc, char **argv, struct admin *a)
{
    struct bode_config_error e;
    const char *file = NULL;
    char sock[300];
    char keyfile[300];
    int i;
    int j = 1;
    int rc;

    memset(a, 0, sizeof(*a));
    for (i = 1; i < *argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < *argc)
            file = argv[++i];
        else
            argv[j++] = argv[i];
    }
    *argc = j;
    argv[j] = NULL;
    if (bode_config_load(&a->cfg, file, NULL, &e)) {
        fprintf(stderr, "bode: %s\n", e.text);
        return BODE_EXIT_USAGE;
    }
    /* With nothing configured, talk to the `bode dev` of this directory. */
    snprintf(sock, sizeof(sock), "%s/redis.sock", a->cfg.data_dir);
    snprintf(keyfile, sizeof(keyfile), "%s/secret.key", a->cfg.data_dir);
    if (!file && !env_set("BODE_CONFIG") && !env_set("BODE_REDIS_URL") &&
        !env_set("BODE_REDIS_SOCKET") && access(sock, F_OK) == 0) {
        char *abs = realpath(sock, NULL);

        if (abs) {
            snprintf(a->cfg.redis_url, sizeof(a->cfg.redis_url), "unix://%s",
                     abs);
            free(abs);
        }
    }
    if (!a->cfg.secret_key[0] && !a->cfg.secret_key_file[0] &&
        access(keyfile, R_OK) == 0)
        snprintf(a->cfg.secret_key_file, sizeof(a->cfg.secret_key_file), "%s",
                 keyfile);
    rc = bode_admin_load_box(&a->cfg, &a->box);
    if (rc >= 0)
        return rc;
    a->redis = bode_redis_new(a->cfg.redis_url, a->cfg.redis_timeout_ms);
    if (!a->redis || bode_redis_connect(a->redis)) {
        fprintf(stderr, "bode: cannot reach Redis at %s: %s\n",
                a->cfg.redis_url,
                a->redis ? bode_redis_last_error(a->redis) : "out of memory");
        bode_admin_close(a);
        return BODE_EXIT_FAIL;
    }
    return -1;
}

void bode_admin_close(struct admin *a)
{
    bode_redis_free(a->redis);
    bode_secretbox_free(a->box);
    a->redis = NULL;
    a->box = NULL;
}

static int store_failed(const char *what, enum bode_err err)
{
    fprintf(stderr, "bode: %s: %s\n", what,
            err == BODE_ERR_NOT_FOUND ? "not found" : bode_err_str(err));
    return err == BODE_ERR_NOT_FOUND ? BODE_EXIT_USAGE : BODE_EXIT_FAIL;
}

int bode_cli_print_json(json_t *j)
{
    char *text = j ? json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;

    json_decref(j);
    if (!text)
        return BODE_EXIT_FAIL;
    puts(text);
    free(text);
    return BODE_EXIT_OK;
}

static json_t *service_json_base(const struct bode_service *s)
{
    json_t *perms = json_array();

    if (s->permissions & BODE_PERM_EMAIL)
        json_array_append_new(perms, json_string("email"));
    if (s->permissions & BODE_PERM_SMS)
        json_array_append_new(perms, json_string("sms"));
    if (s->permissions & BODE_PERM_INTERNATIONAL_SMS)
        json_array_append_new(perms, json_string("international_sms"));
    if (s->permissions & BODE_PERM_SMS_TO_UK_LANDLINES)
        json_array_append_new(perms, json_string("sms_to_uk_landlines"));
    /* The callback token is a secret: shown only as set or not. */
    return json_pack(
        "{s:s, s:s, s:b, s:b, s:o, s:i, s:i, s:i, s:i, s:s, "
        "s:s, s:s, s:b, s:i, s:s, s:b}",
        "id", s->id, "name", s->name, "restricted", s->restricted, "active",
        s->active, "permissions", perms, "rate_limit", s->rate_limit,
        "email_limit", s->email_limit, "sms_limit", s->sms_limit,
        "international_sms_limit", s->international_sms_limit, "email_from",
        s->email_from, "email_domain", s->email_domain, "sms_sender",
        s->sms_sender, "prefix_sms", s->prefix_sms, "retention_days",
        s->retention_days, "callback_url", s->callback_url,
        "callback_token_set", s->callback_token[0] != '\0');
}

static json_t *service_json(const struct bode_service *s)
{
    json_t *o = service_json_base(s);

    if (!o)
        return NULL;
    json_object_set_new(o, "file_contact", json_string(s->file_contact));
    json_object_set_new(o, "file_delivery",
                        json_string(s->file_attach ? "attachment" : "link"));
    bode_cli_service_json_more(o, s);
    return o;
}

static int parse_int_opt(const char *name, const char *v, int min, int max,
                         int *out)
{
    char *end = NULL;
    long n = strtol(v, &end, 10);

    if (!*v || *end || n < min || n > max) {
        fprintf(stderr, "bode: --%s must be a whole number from %d to %d\n",
                name, min, max);
        return -1;
    }
    *out = (int)n;
    return 0;
}

static int parse_permissions(const char *v, unsigned *out)
{
    char copy[256];
    char *save = NULL;
    char *word;

    snprintf(copy, sizeof(copy), "%s", v);
    *out = 0;
    for (word = strtok_r(copy, ",", &save); word;
         word = strtok_r(NULL, ",", &save)) {
        if (strcmp(word, "email") == 0)
            *out |= BODE_PERM_EMAIL;
        else if (strcmp(word, "sms") == 0)
            *out |= BODE_PERM_SMS;
        else if (strcmp(word, "international_sms") == 0)
            *out |= BODE_PERM_INTERNATIONAL_SMS;
        else if (strcmp(word, "sms_to_uk_landlines") == 0)
            *out |= BODE_PERM_SMS_TO_UK_LANDLINES;
        else {
            fprintf(stderr,
                    "bode: unknown permission %s (email, sms, "
                    "international_sms, sms_to_uk_landlines)\n",
                    word);
            return -1;
        }
    }
    return 0;
}

static bool set_text(char *dst, size_t size, const char *opt, const char *v)
{
    if (strlen(v) >= size || strpbrk(v, "\r\n")) {
        fprintf(stderr, "bode: --%s is too long or has a line break\n", opt);
        return false;
    }
    snprintf(dst, size, "%s", v);
    return true;
}

static const struct option service_opts[] = {
    {"name", required_argument, NULL, 'n'},
    {"restricted", no_argument, NULL, 'r'},
    {"live", no_argument, NULL, 'L'},
    {"rate-limit", required_argument, NULL, 'R'},
    {"email-limit", required_argument, NULL, 'E'},
    {"sms-limit", required_argument, NULL, 'S'},
    {"international-sms-limit", required_argument, NULL, 'I'},
    {"permissions", required_argument, NULL, 'p'},
    {"email-from", required_argument, NULL, 'f'},
    {"email-domain", required_argument, NULL, 'd'},
    {"sms-sender", required_argument, NULL, 's'},
    {"prefix-sms", required_argument, NULL, 'P'},
    {"retention-days", required_argument, NULL, 't'},
    {"callback-url", required_argument, NULL, 'u'},
    {"callback-token", required_argument, NULL, 'T'},
    {"brand-name", required_argument, NULL, 'b'},
    {"brand-logo", required_argument, NULL, 'l'},
    {"brand-colour", required_argument, NULL, 'c'},
    {"active", required_argument, NULL, 'a'},
    {"file-contact", required_argument, NULL, 'F'},
    {"file-delivery", required_argument, NULL, 'D'},
    {"json", no_argument, NULL, 'j'},
    {NULL, 0, NULL, 0},
};

static bool yes_no(const char *opt, const char *v, bool *out)
{
    if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0) {
        *out = true;
        return true;
    }
    if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0) {
        *out = false;
        return true;
    }
    fprintf(stderr, "bode: --%s takes yes or no\n", opt);
    return false;
}

/* Applies service options to s. Returns -1 on success, else an exit code. */
static int apply_service_opts(int argc, char **argv, struct bode_service *s,
                              bool *json, bool *named)
{
    int c;
    bool ok = true;

    optind = 1;
    opterr = 0;
    while (ok && (c = getopt_long(argc, argv, "", service_opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            ok = set_text(s->name, sizeof(s->name), "name", optarg) && *optarg;
            *named = true;
            break;
        case 'r':
            s->restricted = true;
            break;
        case 'L':
            s->restricted = false;
            break;
        case 'R':
            ok = !parse_int_opt("rate-limit", optarg, 1, 1000000,
                                &s->rate_limit);
            break;
        case 'E':
            ok = !parse_int_opt("email-limit", optarg, 0, 100000000,
                                &s->email_limit);
            break;
        case 'S':
            ok = !parse_int_opt("sms-limit", optarg, 0, 100000000,
                                &s->sms_limit);
            break;
        case 'I':
            ok = !parse_int_opt("international-sms-limit", optarg, 0, 100000000,
                                &s->international_sms_limit);
            break;
        case 'p':
            ok = !parse_permissions(optarg, &s->permissions);
            break;
        case 'f':
            ok = set_text(s->email_from, sizeof(s->email_from), "email-from",
                          optarg);
            break;
        case 'd':
            ok = set_text(s->email_domain, sizeof(s->email_domain),
                          "email-domain", optarg);
            break;
        case 's':
            ok = set_text(s->sms_sender, sizeof(s->sms_sender), "sms-sender",
                          optarg);
            /* The service's own sender now stands in for a listed one. */
            s->sms_sender_id[0] = '\0';
            break;
        case 'P':
            ok = yes_no("prefix-sms", optarg, &s->prefix_sms);
            break;
        case 't':
            ok = !parse_int_opt("retention-days", optarg, 1, 90,
                                &s->retention_days);
            break;
        case 'u':
            if (*optarg && strncmp(optarg, "https://", 8) != 0) {
                fprintf(stderr, "bode: --callback-url must be https://\n");
                ok = false;
                break;
            }
            ok = set_text(s->callback_url, sizeof(s->callback_url),
                          "callback-url", optarg);
            break;
        case 'T':
            if (*optarg && strlen(optarg) < 10) {
                fprintf(stderr, "bode: --callback-token must be at least 10 "
                                "characters\n");
                ok = false;
                break;
            }
            ok = set_text(s->callback_token, sizeof(s->callback_token),
                          "callback-token", optarg);
            break;
        case 'b':
            ok = set_text(s->brand_name, sizeof(s->brand_name), "brand-name",
                          optarg);
            break;
        case 'l':
            ok = set_text(s->brand_logo, sizeof(s->brand_logo), "brand-logo",
                          optarg);
            break;
        case 'c':
            ok = set_text(s->brand_colour, sizeof(s->brand_colour),
                          "brand-colour", optarg);
            break;
        case 'a':
            ok = yes_no("active", optarg, &s->active);
            break;
        case 'F':
            ok = set_text(s->file_contact, sizeof(s->file_contact),
                          "file-contact", optarg);
            break;
        case 'D':
            ok = strcmp(optarg, "link") == 0 ||
                 strcmp(optarg, "attachment") == 0;
            if (!ok)
                fprintf(stderr,
                        "bode: --file-delivery must be link or attachment\n");
            s->file_attach = strcmp(optarg, "attachment") == 0;
            break;
        case 'j':
            *json = true;
            break;
        default:
            fprintf(stderr, "bode service: unknown or incomplete option %s\n",
                    argv[optind - 1]);
            ok = false;
        }
    }
    if (ok && optind < argc) {
        fprintf(stderr, "bode service: unexpected argument %s\n", argv[optind]);
        ok = false;
    }
    return ok ? -1 : BODE_EXIT_USAGE;
}

static const char service_usage[] =
    "usage: bode service create --name NAME [options]\n"
    "       bode service update SERVICE_ID [options]\n"
    "       bode service list [--json]\n"
    "       bode service show SERVICE_ID [--json]\n"
    "       bode service reply-to|sms-sender add|list|default|remove ...\n"
    "       bode service callbacks SERVICE_ID [--statuses LIST|--pause|"
    "--resume]\n"
    "       bode service inbound-number add|list|remove ...\n"
    "       bode service inbound-callback SERVICE_ID URL TOKEN|--clear\n\n"
    "options:\n"
    "  --name NAME                 the service's name\n"
    "  --restricted | --live       trial mode (team and guest list only) or "
    "live\n"
    "  --rate-limit N              requests per minute per key type [3000]\n"
    "  --email-limit N, --sms-limit N, --international-sms-limit N\n"
    "                              daily limits [250000, 250000, 100]\n"
    "  --permissions LIST          email,sms,international_sms,"
    "sms_to_uk_landlines\n"
    "  --email-from LOCAL          sender local part [notify]\n"
    "  --email-domain DOMAIN       sender domain [bode.localhost]\n"
    "  --sms-sender TEXT           SMS sender [Bode]\n"
    "  --prefix-sms yes|no         start texts with \"Service name: \"\n"
    "  --retention-days N          keep notifications N days [7]\n"
    "  --callback-url URL --callback-token TOKEN\n"
    "                              delivery-status callbacks (https only)\n"
    "  --brand-name, --brand-logo URL, --brand-colour #RRGGBB\n"
    "  --active yes|no             an inactive service cannot send\n"
    "  --file-contact CONTACT      URL, email or phone shown on file download\n"
    "                              pages; sets up sending files by email\n"
    "  --file-delivery link|attachment\n"
    "                              files as download links [link] or as\n"
    "                              attachments in the message\n"
    "  --json                      print the whole service as JSON\n";

int bode_cmd_service(int argc, char **argv)
{
    struct admin a;
    struct bode_service s;
    char ids[256][BODE_UUID_SIZE];
    size_t n = 0;
    size_t i;
    bool json = false;
    bool named = false;
    enum bode_err err;
    int rc;

    if (argc < 2 || bode_cli_wants_help(argc, argv)) {
        fputs(service_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? BODE_EXIT_USAGE : BODE_EXIT_OK;
    }
    rc = bode_admin_open(&argc, argv, &a);
    if (rc >= 0)
        return rc;
    if (strcmp(argv[1], "create") == 0) {
        if (bode_service_defaults(&s, "")) {
            rc = BODE_EXIT_FAIL;
            goto out;
        }
        rc = apply_service_opts(argc - 1, argv + 1, &s, &json, &named);
        if (rc >= 0)
            goto out;
        if (!named) {
            fprintf(stderr, "bode service create: --name is required\n");
            rc = BODE_EXIT_USAGE;
            goto out;
        }
        err = bode_store_service_put(a.redis, a.box, &s);
        if (err) {
            rc = store_failed("cannot store service", err);
            goto out;
        }
        rc = json ? bode_cli_print_json(service_json(&s)) : (puts(s.id), 0);
    } else if (strcmp(argv[1], "update") == 0 || strcmp(argv[1], "show") == 0) {
        if (argc < 3) {
            fputs(service_usage, stderr);
            rc = BODE_EXIT_USAGE;
            goto out;
        }
        err = bode_store_service_get(a.redis, a.box, argv[2], &s);
        if (err) {
            rc = store_failed("cannot read service", err);
            goto out;
        }
        rc = apply_service_opts(argc - 2, argv + 2, &s, &json, &named);
        if (rc >= 0)
            goto out;
        if (strcmp(argv[1], "update") == 0) {
            err = bode_store_service_put(a.redis, a.box, &s);
            if (err) {
                rc = store_failed("cannot store service", err);
                goto out;
            }
        }
        rc = bode_cli_print_json(service_json(&s));
    } else if (strcmp(argv[1], "list") == 0) {
        json = argc > 2 && strcmp(argv[2], "--json") == 0;
        err = bode_store_service_list(a.redis, ids, 256, &n);
        if (err) {
            rc = store_failed("cannot list services", err);
            goto out;
        }
        json_t *list = json_array();
        if (!json)
            printf("%-36s  %-10s  %s\n", "ID", "MODE", "NAME");
        for (i = 0; i < n && i < 256; i++) {
            if (bode_store_service_get(a.redis, a.box, ids[i], &s))
                continue;
            if (json)
                json_array_append_new(list, service_json(&s));
            else
                printf("%-36s  %-10s  %s\n", s.id,
                       s.restricted ? "trial" : "live", s.name);
        }
        rc = json ? bode_cli_print_json(list) : (json_decref(list), 0);
    } else if (strcmp(argv[1], "reply-to") == 0 ||
               strcmp(argv[1], "sms-sender") == 0) {
        rc = bode_cli_service_senders(&a, argc, argv);
    } else if (strcmp(argv[1], "callbacks") == 0) {
        rc = bode_cli_service_callbacks(&a, argc, argv);
    } else if (strcmp(argv[1], "inbound-number") == 0 ||
               strcmp(argv[1], "inbound-callback") == 0) {
        rc = bode_cli_service_inbound(&a, argc, argv);
    } else {
        fprintf(stderr, "bode service: unknown subcommand %s\n", argv[1]);
        rc = BODE_EXIT_USAGE;
    }
out:
    bode_admin_close(&a);
    return rc;
}

static const char key_usage[] =
    "usage: bode key create SERVICE_ID --type live|team|test [--name NAME] "
    "[--json]\n"
    "       bode key list SERVICE_ID [--json]\n"
    "       bode key revoke SERVICE_ID KEY_ID\n\n"
    "`create` prints the full API key once; it cannot be shown again.\n";

static int key_create(struct admin *a, int argc, char **argv)
{
    static const struct option opts[] = {
        {"type", required_argument, NULL, 't'},
        {"name", required_argument, NULL, 'n'},
        {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    struct bode_api_key key;
    struct bode_apikey parts;
    struct bode_service s;
    char text[BODE_APIKEY_MAX_LEN + 1];
    const char *name = NULL;
    bool json = false;
    bool typed = false;
    enum bode_err err;
    int c;

    memset(&key, 0, sizeof(key));
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 't' && !bode_key_type_parse(optarg, &key.type))
            typed = true;
        else if (c == 'n')
            name = optarg;
        else if (c == 'j')
            json = true;
        else {
            fputs(key_usage, stderr);
            return BODE_EXIT_USAGE;
        }
    }
    if (!typed || optind != argc - 1) {
        fputs(key_usage, stderr);
        return BODE_EXIT_USAGE;
    }
    err = bode_store_service_get(a->redis, a->box, argv[optind], &s);
    if (err)
        return store_failed("cannot read service", err);
    if (!name)
        name = bode_key_type_name(key.type);
    if (!set_text(key.name, sizeof(key.name), "name", name) ||
        bode_apikey_generate(s.id, &parts) || bode_rand_uuid(key.id)) {
        fprintf(stderr, "bode key create: cannot make a key\n");
        return BODE_EXIT_FAIL;
    }
    memcpy(key.secret, parts.secret, sizeof(key.secret));
    key.created_at = bode_now_us();
    err = bode_apikey_format(&parts, name, text, sizeof(text));
    if (!err)
        err = bode_store_key_put(a->redis, a->box, s.id, &key);
    bode_apikey_release(&parts);
    if (err)
        return store_failed("cannot store key", err);
    if (json)
        return bode_cli_print_json(
            json_pack("{s:s, s:s, s:s, s:s}", "id", key.id, "name", key.name,
                      "type", bode_key_type_name(key.type), "key", text));
    puts(text);
    return BODE_EXIT_OK;
}

int bode_cmd_key(int argc, char **argv)
{
    struct admin a;
    struct bode_api_key keys[BODE_STORE_MAX_KEYS];
    char stamp[BODE_TIME_SIZE];
    char created[BODE_TIME_SIZE];
    size_t n = 0;
    size_t i;
    enum bode_err err;
    int rc;

    if (argc < 3 || bode_cli_wants_help(argc, argv)) {
        fputs(key_usage, argc < 3 ? stderr : stdout);
        return argc < 3 ? BODE_EXIT_USAGE : BODE_EXIT_OK;
    }
    rc = bode_admin_open(&argc, argv, &a);
    if (rc >= 0)
        return rc;
    if (strcmp(argv[1], "create") == 0) {
        rc = key_create(&a, argc - 1, argv + 1);
    } else if (strcmp(argv[1], "list") == 0) {
        err = bode_store_key_list(a.redis, a.box, argv[2], keys, &n);
        if (err) {
            rc = store_failed("cannot list keys", err);
            goto out;
        }
        json_t *list = json_array();
        bool json = argc > 3 && strcmp(argv[3], "--json") == 0;
        if (!json)
            printf("%-36s  %-6s  %-27s  %-27s  %s\n", "ID", "TYPE", "CREATED",
                   "REVOKED", "NAME");
        for (i = 0; i < n; i++) {
            bode_time_format(keys[i].created_at, created);
            if (keys[i].revoked_at)
                bode_time_format(keys[i].revoked_at, stamp);
            if (json)
                json_array_append_new(
                    list, json_pack("{s:s, s:s, s:s, s:s, s:s?}", "id",
                                    keys[i].id, "name", keys[i].name, "type",
                                    bode_key_type_name(keys[i].type),
                                    "created_at", created, "revoked_at",
                                    keys[i].revoked_at ? stamp : NULL));
            else
                printf("%-36s  %-6s  %-27s  %-27s  %s\n", keys[i].id,
                       bode_key_type_name(keys[i].type), created,
                       keys[i].revoked_at ? stamp : "-", keys[i].name);
        }
        memset(keys, 0, sizeof(keys));
        rc = json ? bode_cli_print_json(list) : (json_decref(list), 0);
    } else if (strcmp(argv[1], "revoke") == 0 && argc == 4) {
        err = bode_store_key_revoke(a.redis, argv[2], argv[3], bode_now_us());
        rc = err ? store_failed("cannot revoke key", err) : BODE_EXIT_OK;
    } else {
        fputs(key_usage, stderr);
        rc = BODE_EXIT_USAGE;
    }
out:
    bode_admin_close(&a);
    return rc;
}

int bode_cmd_team(int argc, char **argv)
{
    struct admin a;
    struct bode_service s;
    struct bode_email email;
    struct bode_phone phone;
    struct bode_phone_opts opts = {NULL, true, true};
    const char *normalised;
    enum bode_err err;
    int rc;

    if (argc != 4 || strcmp(argv[1], "add") != 0) {
        fputs("usage: bode team add SERVICE_ID EMAIL_OR_PHONE\n\n"
              "Adds a team member or guest-list address: team keys and "
              "trial services\nmay send only to these.\n",
              bode_cli_wants_help(argc, argv) ? stdout : stderr);
        return bode_cli_wants_help(argc, argv) ? BODE_EXIT_OK : BODE_EXIT_USAGE;
    }
    rc = bode_admin_open(&argc, argv, &a);
    if (rc >= 0)
        return rc;
    err = bode_store_service_get(a.redis, a.box, argv[2], &s);
    if (err) {
        rc = store_failed("cannot read service", err);
        goto out;
    }
    opts.region = a.cfg.default_region;
    if (strchr(argv[3], '@')) {
        if (bode_validate_email(argv[3], strlen(argv[3]), &email)) {
            fprintf(stderr, "bode team add: %s\n", BODE_EMAIL_ERROR);
            rc = BODE_EXIT_USAGE;
            goto out;
        }
        normalised = email.address;
    } else {
        if (bode_validate_phone(argv[3], strlen(argv[3]), &opts, &phone)) {
            fprintf(stderr, "bode team add: %s\n",
                    phone.message ? phone.message : "invalid phone number");
            rc = BODE_EXIT_USAGE;
            goto out;
        }
        normalised = phone.e164;
    }
    err = bode_store_team_add(a.redis, s.id, normalised);
    rc = err ? store_failed("cannot add team member", err) : BODE_EXIT_OK;
out:
    bode_admin_close(&a);
    return rc;
}
