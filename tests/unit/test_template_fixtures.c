/* Data-driven template tests: every folder under tests/fixtures/template/
 * is one case (see the README there), so a regression test is a few
 * files. Each case runs as its own cmocka test named after its folder. */
#include <dirent.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bode/alloc.h"
#include "bode/template.h"

#define FIXTURES "tests/fixtures/template"

struct text {
    char *data;
    size_t len;
};

static bool read_file(const char *dir, const char *name, struct text *out)
{
    char path[1024];
    FILE *f;
    long size;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "rb");
    if (!f)
        return false;
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, 0, SEEK_SET);
    out->data = malloc((size_t)size + 1);
    assert_non_null(out->data);
    out->len = fread(out->data, 1, (size_t)size, f);
    out->data[out->len] = '\0';
    fclose(f);
    return true;
}

static void expect_same(const char *dir, const char *what,
                        const struct text *want, const struct bode_buf *got)
{
    size_t i = 0;

    if (want->len == got->len &&
        memcmp(want->data, bode_buf_str(got), got->len) == 0)
        return;
    while (i < want->len && i < got->len && want->data[i] == got->data[i])
        i++;
    print_error("%s: %s differs at byte %zu (want %zu bytes, got %zu)\n"
                "  want: %.120s\n  got:  %.120s\n",
                dir, what, i, want->len, got->len,
                want->data + (i > 40 ? i - 40 : 0),
                bode_buf_str(got) + (i > 40 ? i - 40 : 0));
    fail();
}

static const char *opt_str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static void run_case(void **state)
{
    const char *dir = *state;
    struct text tmpl = {0};
    struct text want = {0};
    struct bode_tmpl_def *def = NULL;
    struct bode_tmpl *t = NULL;
    struct bode_tmpl_error e;
    struct bode_tmpl_opts opts = {0};
    struct bode_tmpl_brand brand = {0};
    struct bode_sms_info info;
    struct bode_buf out;
    json_t *pers = NULL;
    json_t *options = NULL;
    json_error_t je;
    char path[1024];
    enum bode_err err;

    bode_buf_init(&out, BODE_TMPL_DEFAULT_CAP);
    assert_true(read_file(dir, "template", &tmpl));
    err = bode_tmpl_file_parse(tmpl.data, tmpl.len, "template", &def, &e);
    if (read_file(dir, "expected.load-error", &want)) {
        assert_int_equal(err, BODE_ERR_INVALID);
        bode_buf_addf(&out, "%s:%u: %s", e.file, e.line, e.text);
        expect_same(dir, "load error", &want, &out);
        goto out;
    }
    if (err)
        print_error("%s: %s:%u: %s\n", dir, e.file, e.line, e.text);
    assert_int_equal(err, BODE_OK);
    assert_int_equal(bode_tmpl_def_compile(def, &t, &e), BODE_OK);
    snprintf(path, sizeof(path), "%s/personalisation.json", dir);
    pers = json_load_file(path, 0, &je);
    snprintf(path, sizeof(path), "%s/options.json", dir);
    options = json_load_file(path, 0, &je);
    if (options) {
        json_t *b = json_object_get(options, "brand");

        opts.sms_prefix = opt_str(options, "sms_prefix");
        opts.unsubscribe_url = opt_str(options, "unsubscribe_url");
        brand.name = opt_str(b, "name");
        brand.logo_url = opt_str(b, "logo_url");
        brand.logo_alt = opt_str(b, "logo_alt");
        brand.colour = opt_str(b, "colour");
        brand.lang = opt_str(b, "lang");
    }

    if (read_file(dir, "expected.missing", &want)) {
        assert_int_equal(bode_tmpl_missing(t, pers, &out, NULL), BODE_OK);
        expect_same(dir, "missing", &want, &out);
        free(want.data);
        want.data = NULL;
        bode_buf_reset(&out);
    }
    err = bode_tmpl_check(t, pers, &opts, &e);
    if (read_file(dir, "expected.error", &want)) {
        assert_int_not_equal(err, BODE_OK);
        bode_buf_adds(&out, e.text);
        expect_same(dir, "error", &want, &out);
        free(want.data);
        want.data = NULL;
        bode_buf_reset(&out);
    } else {
        if (err)
            print_error("%s: unexpected check error: %s\n", dir, e.text);
        assert_int_equal(err, BODE_OK);
    }

#define RENDER(file, call)                                                     \
    do {                                                                       \
        if (read_file(dir, file, &want)) {                                     \
            err = (call);                                                      \
            if (err)                                                           \
                print_error("%s: %s: %s\n", dir, file, e.text);                \
            assert_int_equal(err, BODE_OK);                                    \
            expect_same(dir, file, &want, &out);                               \
            free(want.data);                                                   \
            want.data = NULL;                                                  \
            bode_buf_reset(&out);                                              \
        }                                                                      \
    } while (0)

    RENDER("expected.html",
           bode_tmpl_render_html_body(t, pers, &opts, &out, &e));
    RENDER("expected.text", bode_tmpl_render_text(t, pers, &opts, &out, &e));
    RENDER("expected.subject", bode_tmpl_render_subject(t, pers, &out, &e));
    RENDER("expected.body", bode_tmpl_render_body(t, pers, &out, &e));
    RENDER("expected.preheader",
           bode_tmpl_render_preheader(t, pers, NULL, &out, &e));
    RENDER("expected.sms",
           bode_tmpl_render_sms(t, pers, &opts, &out, &info, &e));
    RENDER("expected.email",
           bode_tmpl_render_email_html(t, pers, &opts, options ? &brand : NULL,
                                       &out, &e));
    if (read_file(dir, "expected.sms-info", &want)) {
        struct bode_buf sent;

        bode_buf_init(&sent, BODE_TMPL_DEFAULT_CAP);
        assert_int_equal(bode_tmpl_render_sms(t, pers, &opts, &sent, &info, &e),
                         BODE_OK);
        bode_buf_release(&sent);
        bode_buf_addf(&out,
                      "encoding: %s\nchars: %zu\nunits: %zu\nfragments: %u\n",
                      info.encoding == BODE_SMS_GSM7 ? "gsm7" : "ucs2",
                      info.chars, info.units, info.fragments);
        expect_same(dir, "sms-info", &want, &out);
    }
out:
    free(want.data);
    free(tmpl.data);
    json_decref(pers);
    json_decref(options);
    bode_tmpl_free(t);
    bode_tmpl_def_free(def);
    bode_buf_release(&out);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct CMUnitTest *)a)->name,
                  ((const struct CMUnitTest *)b)->name);
}

int main(void)
{
    struct CMUnitTest *tests = NULL;
    char **paths = NULL;
    size_t n = 0;
    size_t i;
    DIR *d;
    struct dirent *de;
    int rc;

    d = opendir(FIXTURES);
    if (!d) {
        fprintf(stderr, "cannot open %s (run from the repository root)\n",
                FIXTURES);
        return 1;
    }
    while ((de = readdir(d)) != NULL) {
        char path[1024];
        FILE *f;

        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s/template", FIXTURES, de->d_name);
        f = fopen(path, "rb");
        if (!f)
            continue;
        fclose(f);
        tests = realloc(tests, (n + 1) * sizeof(*tests));
        paths = realloc(paths, (n + 1) * sizeof(*paths));
        if (!tests || !paths)
            return 1;
        snprintf(path, sizeof(path), "%s/%s", FIXTURES, de->d_name);
        paths[n] = strdup(path);
        memset(&tests[n], 0, sizeof(tests[n]));
        tests[n].name = paths[n] + strlen(FIXTURES) + 1;
        tests[n].test_func = run_case;
        tests[n].initial_state = paths[n];
        n++;
    }
    closedir(d);
    if (n == 0) {
        fprintf(stderr, "no fixtures found under %s\n", FIXTURES);
        return 1;
    }
    qsort(tests, n, sizeof(*tests), by_name);
    rc = _cmocka_run_group_tests("template fixtures", tests, n, NULL, NULL);
    for (i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
    free(tests);
    return rc;
}
