/* `bode template create|list|show`: templates in Redis. Previewing and
 * checking template files live in template.c. */
#include <dirent.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "admin_int.h"
#include "bode/alloc.h"
#include "bode/buf.h"
#include "bode/rand.h"
#include "bode/store.h"
#include "bode/template.h"
#include "bode/uuid.h"
#include "cli.h"

static const char usage[] =
    "usage: bode template create SERVICE_ID --type email|sms --name NAME\n"
    "           [--subject TEXT] (--body TEXT | --body-file FILE)\n"
    "           [--id UUID] [--lane priority|normal|bulk] [--json]\n"
    "       bode template import SERVICE_ID FILE|DIR\n"
    "       bode template list SERVICE_ID [--type email|sms] [--json]\n"
    "       bode template show SERVICE_ID TEMPLATE_ID [--version N]\n"
    "       bode template redact SERVICE_ID TEMPLATE_ID\n"
    "       bode template preview FILE --personalisation JSON "
    "[--format ...]\n"
    "       bode template check DIR\n\n"
    "`create` prints the template id. Storing changed content under an\n"
    "existing --id adds a new version. `redact` sets Notify's\n"
    "redact_personalisation: once a provider has a message from this\n"
    "template, its stored personalisation is replaced by \"<redacted>\"\n"
    "(every version; it cannot be undone).\n";

/* Reads a whole file of at most 2 MB + 1 KB (Notify's email cap plus a
 * header) into a new string. */
char *bode_cli_read_file(const char *path)
{
    struct bode_buf b;
    char chunk[8192];
    size_t n;
    FILE *f = fopen(path, "rb");
    char *out = NULL;

    if (!f)
        return NULL;
    bode_buf_init(&b, 2000000 + 1024);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (bode_buf_add(&b, chunk, n))
            goto out;
    if (!ferror(f))
        out = bode_buf_take(&b, NULL);
out:
    fclose(f);
    bode_buf_release(&b);
    return out;
}

json_t *bode_cli_template_json(const struct bode_template_rec *t)
{
    char created[BODE_TIME_SIZE];
    char updated[BODE_TIME_SIZE];

    bode_time_format(t->created_at, created);
    bode_time_format(t->updated_at, updated);
    return json_pack("{s:s, s:s, s:s, s:i, s:s?, s:s, s:s, s:s, s:s, s:b, "
                     "s:s}",
                     "id", t->id, "name", t->name, "type",
                     bode_channel_name(t->type), "version", t->version,
                     "subject", t->subject, "body", t->body, "created_at",
                     created, "updated_at", updated, "lane",
                     bode_lane_name(t->lane), "archived", t->archived,
                     "created_by", t->created_by);
}

static int create(struct admin *a, int argc, char **argv)
{
    static const struct option opts[] = {
        {"type", required_argument, NULL, 't'},
        {"name", required_argument, NULL, 'n'},
        {"subject", required_argument, NULL, 's'},
        {"body", required_argument, NULL, 'b'},
        {"body-file", required_argument, NULL, 'f'},
        {"id", required_argument, NULL, 'i'},
        {"lane", required_argument, NULL, 'l'},
        {"archived", no_argument, NULL, 'a'},
        {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    struct bode_template_rec t;
    struct bode_service s;
    char *file_body = NULL;
    bool typed = false;
    bool json = false;
    int version = 0;
    int rc = BODE_EXIT_USAGE;
    enum bode_err err;
    int c;

    memset(&t, 0, sizeof(t));
    t.lane = BODE_LANE_NORMAL;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            typed = !bode_channel_parse(optarg, &t.type);
            break;
        case 'n':
            snprintf(t.name, sizeof(t.name), "%s", optarg);
            break;
        case 's':
            t.subject = optarg;
            break;
        case 'b':
            t.body = optarg;
            break;
        case 'f':
            file_body = bode_cli_read_file(optarg);
            if (!file_body) {
                fprintf(stderr, "bode template: cannot read %s\n", optarg);
                goto out;
            }
            t.body = file_body;
            break;
        case 'i':
            if (bode_uuid_normalize(optarg, strlen(optarg), t.id)) {
                fprintf(stderr, "bode template: --id is not a UUID\n");
                goto out;
            }
            break;
        case 'l':
            if (bode_lane_parse(optarg, &t.lane)) {
                fprintf(stderr, "bode template: --lane is priority, normal "
                                "or bulk\n");
                goto out;
            }
            break;
        case 'a':
            t.archived = true;
            break;
        case 'j':
            json = true;
            break;
        default:
            fputs(usage, stderr);
            goto out;
        }
    }
    if (!typed || !t.name[0] || !t.body || optind != argc - 1 ||
        (t.type == BODE_CHANNEL_EMAIL && (!t.subject || !*t.subject))) {
        fprintf(stderr, "bode template create: need SERVICE_ID, --type, "
                        "--name, --body and, for email, --subject\n");
        goto out;
    }
    if (t.type == BODE_CHANNEL_SMS)
        t.subject = NULL;
    err = bode_store_service_get(a->redis, a->box, argv[optind], &s);
    if (err) {
        fprintf(stderr, "bode template: service %s: %s\n", argv[optind],
                bode_err_str(err));
        rc = BODE_EXIT_USAGE;
        goto out;
    }
    memcpy(t.service_id, s.id, sizeof(t.service_id));
    if (!t.id[0] && bode_rand_uuid(t.id)) {
        rc = BODE_EXIT_FAIL;
        goto out;
    }
    snprintf(t.created_by, sizeof(t.created_by), "bode-cli");
    err = bode_store_template_put(a->redis, &t, &version);
    if (err) {
        fprintf(stderr, "bode template: cannot store: %s\n", bode_err_str(err));
        rc = BODE_EXIT_FAIL;
        goto out;
    }
    t.version = version;
    if (json) {
        t.created_at = t.updated_at = bode_now_us();
        rc = bode_cli_print_json(bode_cli_template_json(&t));
    } else {
        puts(t.id);
        rc = BODE_EXIT_OK;
    }
out:
    bode_free(file_body);
    return rc;
}

static int list(struct admin *a, int argc, char **argv)
{
    struct bode_template_rec *recs = NULL;
    enum bode_channel type;
    int filter = -1;
    bool json = false;
    size_t n = 0;
    size_t i;
    json_t *out;
    enum bode_err err;
    int k;

    for (k = 2; k < argc; k++) {
        if (strcmp(argv[k], "--json") == 0)
            json = true;
        else if (strcmp(argv[k], "--type") == 0 && k + 1 < argc &&
                 !bode_channel_parse(argv[k + 1], &type))
            filter = (int)type, k++;
        else {
            fputs(usage, stderr);
            return BODE_EXIT_USAGE;
        }
    }
    err = bode_store_template_list(a->redis, argv[1], filter, &recs, &n);
    if (err) {
        fprintf(stderr, "bode template list: %s\n", bode_err_str(err));
        return BODE_EXIT_FAIL;
    }
    out = json_array();
    if (!json)
        printf("%-36s  %-5s  %-7s  %s\n", "ID", "TYPE", "VERSION", "NAME");
    for (i = 0; i < n; i++) {
        if (json)
            json_array_append_new(out, bode_cli_template_json(&recs[i]));
        else
            printf("%-36s  %-5s  %-7d  %s\n", recs[i].id,
                   bode_channel_name(recs[i].type), recs[i].version,
                   recs[i].name);
        bode_template_rec_release(&recs[i]);
    }
    bode_free(recs);
    if (json)
        return bode_cli_print_json(out);
    json_decref(out);
    return BODE_EXIT_OK;
}

static int show(struct admin *a, int argc, char **argv)
{
    struct bode_template_rec t;
    json_t *obj;
    bool redacted = false;
    char *end = NULL;
    long version = 0;
    enum bode_err err;
    int rc;

    if (argc == 5 && strcmp(argv[3], "--version") == 0)
        version = strtol(argv[4], &end, 10);
    if ((argc != 3 && argc != 5) || (end && *end) || version < 0 ||
        version > 1000000) {
        fputs(usage, stderr);
        return BODE_EXIT_USAGE;
    }
    err = bode_store_template_get(a->redis, argv[1], argv[2], (int)version, &t);
    if (err) {
        fprintf(stderr, "bode template show: %s\n", bode_err_str(err));
        return err == BODE_ERR_NOT_FOUND ? BODE_EXIT_USAGE : BODE_EXIT_FAIL;
    }
    obj = bode_cli_template_json(&t);
    bode_template_rec_release(&t);
    err =
        bode_store_template_is_redacted(a->redis, argv[1], argv[2], &redacted);
    if (err) {
        json_decref(obj);
        fprintf(stderr, "bode template show: %s\n", bode_err_str(err));
        return BODE_EXIT_FAIL;
    }
    if (obj)
        json_object_set_new(obj, "redact_personalisation",
                            json_boolean(redacted));
    rc = bode_cli_print_json(obj);
    return rc;
}

static int redact(struct admin *a, int argc, char **argv)
{
    enum bode_err err;

    if (argc != 3) {
        fputs(usage, stderr);
        return BODE_EXIT_USAGE;
    }
    err = bode_store_template_redact(a->redis, argv[1], argv[2]);
    if (err) {
        fprintf(stderr, "bode template redact: %s\n", bode_err_str(err));
        return err == BODE_ERR_NOT_FOUND ? BODE_EXIT_USAGE : BODE_EXIT_FAIL;
    }
    return BODE_EXIT_OK;
}

/* Stores one template file (compiled first, so a broken file is never
 * stored) and prints "id version name". */
static int import_file(struct admin *a, const char *sid, const char *path,
                       FILE *out)
{
    struct bode_tmpl_def *def = NULL;
    struct bode_tmpl *compiled = NULL;
    struct bode_tmpl_error e;
    struct bode_template_rec t;
    int version = 0;
    enum bode_err err;

    err = bode_tmpl_file_load(path, &def, &e);
    if (!err)
        err = bode_tmpl_def_compile(def, &compiled, &e);
    if (err) {
        if (e.line)
            fprintf(stderr, "%s:%u: %s\n", e.file[0] ? e.file : path, e.line,
                    e.text);
        else
            fprintf(stderr, "%s: %s\n", path, e.text);
        bode_tmpl_def_free(def);
        return BODE_EXIT_FAIL;
    }
    bode_tmpl_free(compiled);
    memset(&t, 0, sizeof(t));
    memcpy(t.id, def->id, sizeof(t.id));
    snprintf(t.service_id, sizeof(t.service_id), "%s", sid);
    t.type =
        def->type == BODE_TMPL_EMAIL ? BODE_CHANNEL_EMAIL : BODE_CHANNEL_SMS;
    snprintf(t.name, sizeof(t.name), "%s", def->name);
    t.subject = def->subject;
    t.body = def->body;
    t.lane = BODE_LANE_NORMAL;
    snprintf(t.created_by, sizeof(t.created_by), "bode-cli");
    err = bode_store_template_put(a->redis, &t, &version);
    if (err)
        fprintf(stderr, "%s: cannot store: %s\n", path, bode_err_str(err));
    else if (out)
        fprintf(out, "%s %d %s\n", t.id, version, t.name);
    bode_tmpl_def_free(def);
    return err ? BODE_EXIT_FAIL : BODE_EXIT_OK;
}

static bool is_tmpl_name(const char *name)
{
    size_t n = strlen(name);

    return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".tmpl") == 0;
}

static int cmp_names(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Imports FILE, or every *.tmpl in DIR in name order; a changed template
 * gets a new version, an unchanged one keeps its version. */
int bode_cli_template_import(struct admin *a, const char *sid, const char *path,
                             FILE *out)
{
    struct bode_service s;
    struct stat st;
    struct dirent *de;
    char *names[512];
    char full[4096];
    size_t n = 0;
    size_t i;
    DIR *dir;
    int rc = BODE_EXIT_OK;
    enum bode_err err;

    err = bode_store_service_get(a->redis, a->box, sid, &s);
    if (err) {
        fprintf(stderr, "bode template import: service %s: %s\n", sid,
                bode_err_str(err));
        return BODE_EXIT_USAGE;
    }
    if (stat(path, &st) != 0) {
        fprintf(stderr, "bode template import: cannot read %s\n", path);
        return BODE_EXIT_USAGE;
    }
    if (!S_ISDIR(st.st_mode))
        return import_file(a, s.id, path, out);
    dir = opendir(path);
    if (!dir) {
        fprintf(stderr, "bode template import: cannot open %s\n", path);
        return BODE_EXIT_USAGE;
    }
    while ((de = readdir(dir)) != NULL && n < 512)
        if (is_tmpl_name(de->d_name) && (names[n] = bode_strdup(de->d_name)))
            n++;
    closedir(dir);
    qsort(names, n, sizeof(names[0]), cmp_names);
    for (i = 0; i < n; i++) {
        snprintf(full, sizeof(full), "%s/%s", path, names[i]);
        if (import_file(a, s.id, full, out) != BODE_EXIT_OK)
            rc = BODE_EXIT_FAIL;
        bode_free(names[i]);
    }
    return rc;
}

int bode_cmd_template_admin(int argc, char **argv)
{
    struct admin a;
    int rc;

    if (argc < 3 || bode_cli_wants_help(argc, argv)) {
        fputs(usage, argc < 3 ? stderr : stdout);
        return argc < 3 ? BODE_EXIT_USAGE : BODE_EXIT_OK;
    }
    rc = bode_admin_open(&argc, argv, &a);
    if (rc >= 0)
        return rc;
    if (strcmp(argv[1], "create") == 0)
        rc = create(&a, argc - 1, argv + 1);
    else if (strcmp(argv[1], "list") == 0)
        rc = list(&a, argc - 1, argv + 1);
    else if (strcmp(argv[1], "show") == 0)
        rc = show(&a, argc - 1, argv + 1);
    else if (strcmp(argv[1], "redact") == 0)
        rc = redact(&a, argc - 1, argv + 1);
    else if (strcmp(argv[1], "import") == 0 && argc == 4)
        rc = bode_cli_template_import(&a, argv[2], argv[3], stdout);
    else {
        fprintf(stderr, "bode template: unknown subcommand %s\n", argv[1]);
        rc = BODE_EXIT_USAGE;
    }
    bode_admin_close(&a);
    return rc;
}

int bode_cmd_templates(int argc, char **argv)
{
    /* Working on files needs no Redis; the rest is administration. */
    if (argc >= 2 &&
        (strcmp(argv[1], "preview") == 0 || strcmp(argv[1], "check") == 0))
        return bode_cmd_template(argc, argv);
    return bode_cmd_template_admin(argc, argv);
}
