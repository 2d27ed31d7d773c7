/* `bode template preview FILE` and `bode template check DIR`: render a
 * template file the way the API would, and validate a folder of them.
 * Must not talk to Redis or the network. */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bode/alloc.h"
#include "bode/template.h"
#include "cli.h"

static const char usage[] =
    "usage: bode template preview FILE [--personalisation JSON|@FILE]\n"
    "                                  [--format html|text|sms|subject|body]\n"
    "                                  [--prefix SERVICE_NAME]\n"
    "       bode template check DIR\n"
    "\n"
    "preview  renders a template file as the API would send it; exits 1 when\n"
    "         Notify would refuse the message (missing personalisation, "
    "empty,\n"
    "         too long)\n"
    "check    validates every *.tmpl file in DIR and prints problems as\n"
    "         file:line: message; exits 1 when there are any\n";

static void print_error(const struct bode_tmpl_error *e, const char *fallback)
{
    if (e->file[0] && e->line)
        fprintf(stderr, "%s:%u: %s\n", e->file, e->line, e->text);
    else if (e->file[0])
        fprintf(stderr, "%s: %s\n", e->file, e->text);
    else
        fprintf(stderr, "%s: %s\n", fallback, e->text);
}

static json_t *load_personalisation(const char *arg)
{
    json_error_t je;
    json_t *v;

    if (arg[0] == '@')
        v = json_load_file(arg + 1, JSON_DECODE_ANY, &je);
    else
        v = json_loads(arg, JSON_DECODE_ANY, &je);
    if (!v) {
        fprintf(stderr,
                "bode template: --personalisation is not JSON: %s "
                "(line %d)\n",
                je.text, je.line);
        return NULL;
    }
    if (!json_is_object(v)) {
        fprintf(stderr, "bode template: --personalisation must be a JSON "
                        "object\n");
        json_decref(v);
        return NULL;
    }
    return v;
}

static int preview(int argc, char **argv)
{
    const char *file = NULL;
    const char *pers_arg = NULL;
    const char *format = NULL;
    const char *prefix = NULL;
    struct bode_tmpl_def *def = NULL;
    struct bode_tmpl *t = NULL;
    struct bode_tmpl_error e;
    struct bode_tmpl_opts opts = {0};
    struct bode_sms_info info;
    struct bode_buf out;
    json_t *pers = NULL;
    enum bode_err err;
    int rc = BODE_EXIT_USAGE;
    int i;

    bode_buf_init(&out, BODE_TMPL_DEFAULT_CAP);
    memset(&e, 0, sizeof(e));
    for (i = 2; i < argc; i++) {
        const char *a = argv[i];

        if (strcmp(a, "--personalisation") == 0 && i + 1 < argc) {
            pers_arg = argv[++i];
        } else if (strncmp(a, "--personalisation=", 18) == 0) {
            pers_arg = a + 18;
        } else if (strcmp(a, "--format") == 0 && i + 1 < argc) {
            format = argv[++i];
        } else if (strncmp(a, "--format=", 9) == 0) {
            format = a + 9;
        } else if (strcmp(a, "--prefix") == 0 && i + 1 < argc) {
            prefix = argv[++i];
        } else if (strncmp(a, "--prefix=", 9) == 0) {
            prefix = a + 9;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "bode template: unknown option %s\n\n%s", a, usage);
            goto out;
        } else if (!file) {
            file = a;
        } else {
            fprintf(stderr, "bode template: one FILE only\n\n%s", usage);
            goto out;
        }
    }
    if (!file) {
        fprintf(stderr, "bode template preview: FILE is required\n\n%s", usage);
        goto out;
    }
    if (pers_arg) {
        pers = load_personalisation(pers_arg);
        if (!pers)
            goto out;
    }
    err = bode_tmpl_file_load(file, &def, &e);
    if (!err)
        err = bode_tmpl_def_compile(def, &t, &e);
    if (err) {
        print_error(&e, file);
        rc = err == BODE_ERR_IO ? BODE_EXIT_USAGE : BODE_EXIT_FAIL;
        goto out;
    }
    if (!format)
        format = def->type == BODE_TMPL_SMS ? "sms" : "html";
    if ((def->type == BODE_TMPL_SMS && strcmp(format, "sms") != 0 &&
         strcmp(format, "body") != 0) ||
        (def->type == BODE_TMPL_EMAIL && strcmp(format, "html") != 0 &&
         strcmp(format, "text") != 0 && strcmp(format, "subject") != 0 &&
         strcmp(format, "body") != 0)) {
        fprintf(stderr,
                "bode template: --format %s does not suit %s templates "
                "(use %s)\n",
                format, def->type == BODE_TMPL_SMS ? "sms" : "email",
                def->type == BODE_TMPL_SMS ? "sms or body"
                                           : "html, text, subject or body");
        goto out;
    }
    opts.sms_prefix = prefix;
    err = bode_tmpl_check(t, pers, &opts, &e);
    if (err) {
        fprintf(stderr, "%s: %s\n", file, e.text);
        rc = BODE_EXIT_FAIL;
        goto out;
    }
    if (strcmp(format, "html") == 0)
        err = bode_tmpl_render_email_html(t, pers, &opts, NULL, &out, &e);
    else if (strcmp(format, "text") == 0)
        err = bode_tmpl_render_text(t, pers, &opts, &out, &e);
    else if (strcmp(format, "subject") == 0)
        err = bode_tmpl_render_subject(t, pers, &out, &e);
    else if (strcmp(format, "body") == 0)
        err = bode_tmpl_render_body(t, pers, &out, &e);
    else
        err = bode_tmpl_render_sms(t, pers, &opts, &out, &info, &e);
    if (err) {
        fprintf(stderr, "%s: %s\n", file, e.text);
        rc = BODE_EXIT_FAIL;
        goto out;
    }
    fwrite(bode_buf_str(&out), 1, out.len, stdout);
    if (out.len == 0 || out.data[out.len - 1] != '\n')
        fputc('\n', stdout);
    if (strcmp(format, "sms") == 0)
        fprintf(stderr, "%s, %zu characters, %zu %s, %u fragment%s\n",
                info.encoding == BODE_SMS_GSM7 ? "GSM-7" : "UCS-2", info.chars,
                info.units,
                info.encoding == BODE_SMS_GSM7 ? "septets" : "UTF-16 units",
                info.fragments, info.fragments == 1 ? "" : "s");
    rc = BODE_EXIT_OK;
out:
    bode_buf_release(&out);
    bode_tmpl_free(t);
    bode_tmpl_def_free(def);
    json_decref(pers);
    return rc;
}

struct seen_id {
    char id[37];
    char *file;
};

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_tmpl(const char *name)
{
    size_t n = strlen(name);

    return n > 5 && strcmp(name + n - 5, ".tmpl") == 0 && name[0] != '.';
}

static int check(int argc, char **argv)
{
    const char *dir;
    DIR *d = NULL;
    struct dirent *de;
    char **names = NULL;
    struct seen_id *ids = NULL;
    size_t n = 0;
    size_t nids = 0;
    size_t i;
    size_t k;
    unsigned problems = 0;
    struct stat st;
    int rc = BODE_EXIT_USAGE;

    if (argc != 3 || argv[2][0] == '-') {
        fprintf(stderr, "%s", usage);
        return BODE_EXIT_USAGE;
    }
    dir = argv[2];
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "bode template check: %s is not a directory\n", dir);
        return BODE_EXIT_USAGE;
    }
    d = opendir(dir);
    if (!d) {
        fprintf(stderr, "bode template check: cannot open %s\n", dir);
        return BODE_EXIT_USAGE;
    }
    while ((de = readdir(d)) != NULL) {
        char **grown;

        if (!is_tmpl(de->d_name))
            continue;
        grown = bode_realloc(names, (n + 1) * sizeof(*grown));
        if (!grown)
            goto nomem;
        names = grown;
        names[n] = bode_malloc(strlen(dir) + strlen(de->d_name) + 2);
        if (!names[n])
            goto nomem;
        snprintf(names[n], strlen(dir) + strlen(de->d_name) + 2, "%s/%s", dir,
                 de->d_name);
        n++;
    }
    qsort(names, n, sizeof(*names), by_name);
    ids = bode_calloc(n + 1, sizeof(*ids));
    if (!ids)
        goto nomem;
    for (i = 0; i < n; i++) {
        struct bode_tmpl_def *def = NULL;
        struct bode_tmpl *t = NULL;
        struct bode_tmpl_error e;
        enum bode_err err;

        memset(&e, 0, sizeof(e));
        err = bode_tmpl_file_load(names[i], &def, &e);
        if (!err)
            err = bode_tmpl_def_compile(def, &t, &e);
        if (err) {
            if (!e.file[0])
                snprintf(e.file, sizeof(e.file), "%s", names[i]);
            if (!e.line && def)
                e.line = def->body_line;
            print_error(&e, names[i]);
            problems++;
        } else {
            for (k = 0; k < nids; k++) {
                if (strcmp(ids[k].id, def->id) == 0) {
                    fprintf(stderr, "%s:1: duplicate id %s (also in %s)\n",
                            names[i], def->id, ids[k].file);
                    problems++;
                    break;
                }
            }
            if (k == nids) {
                memcpy(ids[nids].id, def->id, sizeof(ids[nids].id));
                ids[nids].file = names[i];
                nids++;
            }
        }
        bode_tmpl_free(t);
        bode_tmpl_def_free(def);
    }
    if (problems) {
        fprintf(stderr, "%u problem%s in %zu template file%s\n", problems,
                problems == 1 ? "" : "s", n, n == 1 ? "" : "s");
        rc = BODE_EXIT_FAIL;
    } else {
        printf("%zu template file%s OK\n", n, n == 1 ? "" : "s");
        rc = BODE_EXIT_OK;
    }
    goto out;
nomem:
    fprintf(stderr, "bode template check: out of memory\n");
    rc = BODE_EXIT_FAIL;
out:
    if (d)
        closedir(d);
    for (i = 0; i < n; i++)
        bode_free(names[i]);
    bode_free(names);
    bode_free(ids);
    return rc;
}

int bode_cmd_template(int argc, char **argv)
{
    if (argc < 2 || bode_cli_wants_help(argc, argv)) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? BODE_EXIT_USAGE : BODE_EXIT_OK;
    }
    if (strcmp(argv[1], "preview") == 0)
        return preview(argc, argv);
    if (strcmp(argv[1], "check") == 0)
        return check(argc, argv);
    fprintf(stderr, "bode template: unknown subcommand %s\n\n%s", argv[1],
            usage);
    return BODE_EXIT_USAGE;
}
