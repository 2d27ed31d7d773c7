/* Unit tests for the template module's API: compiling, checks, each
 * rendering, limits, the loader, the CLI, threads and allocation failure.
 * Rendering details are covered by tests/fixtures/template/. */
#include <jansson.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "bode/alloc.h"
#include "bode/template.h"
#include "template/rx.h"

int bode_cmd_template(int argc, char **argv);

static const char *email_body = "# Hello ((name))\n\n"
                                "* one\n* two\n\n"
                                "^ Inset ((date))\n\n"
                                "Visit https://www.example.com?a=1&b=2 or "
                                "[GOV.UK](https://www.gov.uk).\n\n"
                                "((items))((show??Shown.))";

static struct bode_tmpl *compile(enum bode_tmpl_type type, const char *subj,
                                 const char *body)
{
    struct bode_tmpl_source src = {type, subj, body};
    struct bode_tmpl *t = NULL;
    struct bode_tmpl_error e;

    assert_int_equal(bode_tmpl_compile(&src, &t, &e), BODE_OK);
    return t;
}

static json_t *pers_full(void)
{
    return json_pack("{s:s, s:s, s:[s,s], s:b}", "name", "Jo & Co", "date",
                     "1 May", "items", "a", "b", "show", 1);
}

static void test_bode_tmpl_compile_rejects_bad_sources(void **state)
{
    struct bode_tmpl_source src = {BODE_TMPL_EMAIL, NULL, "x"};
    struct bode_tmpl *t = (struct bode_tmpl *)1;
    struct bode_tmpl_error e;

    (void)state;
    assert_int_equal(bode_tmpl_compile(&src, &t, &e), BODE_ERR_INVALID);
    assert_null(t);
    assert_string_equal(e.text, "An email template needs a subject");
    src.type = BODE_TMPL_SMS;
    src.subject = "s";
    assert_int_equal(bode_tmpl_compile(&src, &t, &e), BODE_ERR_INVALID);
    src.subject = NULL;
    src.body = "bad \xff utf-8";
    assert_int_equal(bode_tmpl_compile(&src, &t, &e), BODE_ERR_INVALID);
    assert_non_null(strstr(e.text, "UTF-8"));
    src.type = BODE_TMPL_EMAIL;
    src.subject = "bad \xc3";
    src.body = "ok";
    assert_int_equal(bode_tmpl_compile(&src, &t, &e), BODE_ERR_INVALID);
    src.body = NULL;
    assert_int_equal(bode_tmpl_compile(&src, &t, &e), BODE_ERR_INVALID);
    assert_int_equal(bode_tmpl_compile(NULL, &t, &e), BODE_ERR_INVALID);
    src.type = (enum bode_tmpl_type)7;
    src.body = "x";
    src.subject = NULL;
    assert_int_equal(bode_tmpl_compile(&src, &t, &e), BODE_ERR_INVALID);
    bode_tmpl_free(NULL);
}

static void test_bode_tmpl_placeholder_subject_first_deduplicated(void **st)
{
    struct bode_tmpl *t =
        compile(BODE_TMPL_EMAIL, "((Ref)) for ((first name))",
                "((first_name)) ((date)) ((FIRST-NAME)) ((x??y)) ((ref))");

    (void)st;
    assert_int_equal(bode_tmpl_type(t), BODE_TMPL_EMAIL);
    assert_string_equal(bode_tmpl_subject(t), "((Ref)) for ((first name))");
    assert_non_null(bode_tmpl_body(t));
    assert_int_equal(bode_tmpl_placeholder_count(t), 4);
    assert_string_equal(bode_tmpl_placeholder(t, 0), "Ref");
    assert_string_equal(bode_tmpl_placeholder(t, 1), "first name");
    assert_string_equal(bode_tmpl_placeholder(t, 2), "date");
    assert_string_equal(bode_tmpl_placeholder(t, 3), "x");
    assert_null(bode_tmpl_placeholder(t, 4));
    bode_tmpl_free(t);
}

static void test_bode_tmpl_missing_lists_in_order(void **state)
{
    struct bode_tmpl *t =
        compile(BODE_TMPL_EMAIL, "((b))", "((a)) ((b)) ((c)) ((A))");
    json_t *p = json_pack("{s:s, s:n}", "c", "", "a", NULL);
    struct bode_buf out;
    size_t n = 99;

    (void)state;
    bode_buf_init(&out, 1024);
    assert_int_equal(bode_tmpl_missing(t, p, &out, &n), BODE_OK);
    assert_string_equal(bode_buf_str(&out), "b, a");
    assert_int_equal(n, 2);
    bode_buf_reset(&out);
    assert_int_equal(bode_tmpl_missing(t, NULL, &out, NULL), BODE_OK);
    assert_string_equal(bode_buf_str(&out), "b, a, c");
    bode_buf_release(&out);
    bode_buf_init(&out, 3);
    assert_int_equal(bode_tmpl_missing(t, NULL, &out, &n), BODE_ERR_TOO_BIG);
    bode_buf_release(&out);
    json_decref(p);
    bode_tmpl_free(t);
}

static void test_bode_tmpl_check_messages(void **state)
{
    struct bode_tmpl *t = compile(BODE_TMPL_SMS, NULL, "((msg))");
    struct bode_tmpl *e = compile(BODE_TMPL_EMAIL, "S", "((msg))");
    struct bode_tmpl_opts opts = {"Service", NULL, 0};
    struct bode_tmpl_error err;
    json_t *p = json_pack("{s:s}", "msg", "");
    char *longer = malloc(1001);

    (void)state;
    assert_int_equal(bode_tmpl_check(t, NULL, NULL, &err), BODE_ERR_INVALID);
    assert_string_equal(err.text, "Missing personalisation: msg");
    assert_int_equal(bode_tmpl_check(t, p, &opts, &err), BODE_ERR_INVALID);
    assert_string_equal(err.text, "Your message is empty.");
    assert_int_equal(bode_tmpl_check(e, p, NULL, &err), BODE_ERR_INVALID);
    assert_string_equal(err.text, "Your message is empty.");
    memset(longer, 'x', 1000);
    longer[1000] = '\0';
    json_object_set_new(p, "msg", json_string(longer));
    assert_int_equal(bode_tmpl_check(t, p, &opts, &err), BODE_ERR_TOO_BIG);
    assert_string_equal(err.text,
                        "Your message is too long. Text messages cannot be "
                        "longer than 918 characters. Your message is 1000 "
                        "characters long.");
    assert_int_equal(bode_tmpl_check(e, p, NULL, &err), BODE_OK);
    free(longer);
    json_decref(p);
    bode_tmpl_free(t);
    bode_tmpl_free(e);
}

/* check_body gives the body render_body gives, for both channels, and
 * leaves it alone when the check fails. */
static void test_bode_tmpl_check_body_matches_render_body(void **state)
{
    static const char *const bodies[] = {
        "Hi ((name)),\n\n* one\n* two\n\n^ note \"quoted\" -- dash",
        "((name)) ((name))   trailing  \n\n\n", "# Heading\n\n1. ((name))"};
    enum bode_tmpl_type types[] = {BODE_TMPL_EMAIL, BODE_TMPL_SMS};
    struct bode_tmpl_opts opts = {"Service", NULL, 0};
    struct bode_tmpl_error err;
    json_t *p = json_pack("{s:s}", "name", "Ann <b> & ‘Bo’");
    struct bode_buf want;
    struct bode_buf got;
    struct bode_tmpl *t;
    size_t i;
    size_t k;

    (void)state;
    for (k = 0; k < 2; k++) {
        for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
            t = compile(types[k], types[k] == BODE_TMPL_EMAIL ? "S" : NULL,
                        bodies[i]);
            bode_buf_init(&want, BODE_TMPL_DEFAULT_CAP);
            bode_buf_init(&got, BODE_TMPL_DEFAULT_CAP);
            assert_int_equal(bode_tmpl_render_body(t, p, &want, &err), BODE_OK);
            assert_int_equal(bode_tmpl_check_body(t, p, &opts, &got, &err),
                             BODE_OK);
            assert_string_equal(bode_buf_str(&got), bode_buf_str(&want));
            assert_int_equal(got.cap, BODE_TMPL_DEFAULT_CAP);
            bode_buf_release(&got);
            /* Missing personalisation: an error, and no body. */
            bode_buf_init(&got, BODE_TMPL_DEFAULT_CAP);
            assert_int_equal(bode_tmpl_check_body(t, NULL, &opts, &got, &err),
                             BODE_ERR_INVALID);
            assert_int_equal(got.len, 0);
            /* A body over the caller's cap is refused, not cut. */
            bode_buf_release(&got);
            bode_buf_init(&got, 4);
            assert_int_equal(bode_tmpl_check_body(t, p, &opts, &got, &err),
                             BODE_ERR_TOO_BIG);
            bode_buf_release(&got);
            bode_buf_release(&want);
            bode_tmpl_free(t);
        }
    }
    json_decref(p);
}

static void test_bode_tmpl_check_many_missing_names(void **state)
{
    struct bode_buf body;
    struct bode_tmpl *t;
    struct bode_tmpl_error e;
    int i;

    (void)state;
    bode_buf_init(&body, 1 << 20);
    for (i = 0; i < 200; i++)
        bode_buf_addf(&body, "((placeholder number %d))", i);
    t = compile(BODE_TMPL_EMAIL, "s", bode_buf_str(&body));
    assert_int_equal(bode_tmpl_check(t, NULL, NULL, &e), BODE_ERR_INVALID);
    assert_string_equal(e.text, "Missing personalisation: (too many to list)");
    bode_tmpl_free(t);
    bode_buf_release(&body);
}

static void test_bode_tmpl_email_too_big_beyond_measure(void **state)
{
    struct bode_tmpl *t;
    struct bode_buf body;
    struct bode_tmpl_error e;
    json_t *p;
    char *big = malloc((1 << 20) + 1);
    int i;

    (void)state;
    memset(big, 'x', 1 << 20);
    big[1 << 20] = '\0';
    p = json_pack("{s:s}", "x", big);
    bode_buf_init(&body, 1 << 20);
    for (i = 0; i < 40; i++)
        bode_buf_adds(&body, "((x))");
    t = compile(BODE_TMPL_EMAIL, "s", bode_buf_str(&body));
    assert_int_equal(bode_tmpl_check(t, p, NULL, &e), BODE_ERR_TOO_BIG);
    assert_non_null(strstr(e.text, "Emails cannot be longer than 2000000 "
                                   "bytes. Your message is more than"));
    bode_tmpl_free(t);
    bode_buf_release(&body);
    json_decref(p);
    free(big);
}

static void test_bode_tmpl_render_wrong_type(void **state)
{
    struct bode_tmpl *sms = compile(BODE_TMPL_SMS, NULL, "hi");
    struct bode_tmpl *em = compile(BODE_TMPL_EMAIL, "s", "hi");
    struct bode_tmpl_error e;
    struct bode_buf out;

    (void)state;
    bode_buf_init(&out, 1024);
    assert_int_equal(bode_tmpl_render_subject(sms, NULL, &out, &e),
                     BODE_ERR_INVALID);
    assert_int_equal(bode_tmpl_render_html_body(sms, NULL, NULL, &out, &e),
                     BODE_ERR_INVALID);
    assert_int_equal(bode_tmpl_render_text(sms, NULL, NULL, &out, &e),
                     BODE_ERR_INVALID);
    assert_int_equal(bode_tmpl_render_preheader(sms, NULL, NULL, &out, &e),
                     BODE_ERR_INVALID);
    assert_int_equal(
        bode_tmpl_render_email_html(sms, NULL, NULL, NULL, &out, &e),
        BODE_ERR_INVALID);
    assert_int_equal(bode_tmpl_render_sms(em, NULL, NULL, &out, NULL, &e),
                     BODE_ERR_INVALID);
    assert_string_equal(e.text, "This rendering needs a text message template");
    bode_buf_release(&out);
    bode_tmpl_free(sms);
    bode_tmpl_free(em);
}

static void test_bode_tmpl_render_email_html_layout(void **state)
{
    struct bode_tmpl *t = compile(BODE_TMPL_EMAIL, "Hi ((name))", email_body);
    struct bode_tmpl_brand brand = {"Example & Service",
                                    "https://example.com/logo.png?a=1&b=\"",
                                    NULL, "#1d70b8", "cy"};
    struct bode_tmpl_error e;
    struct bode_buf out;
    json_t *p = pers_full();
    const char *s;

    (void)state;
    bode_buf_init(&out, BODE_TMPL_DEFAULT_CAP);
    assert_int_equal(bode_tmpl_render_email_html(t, p, NULL, &brand, &out, &e),
                     BODE_OK);
    s = bode_buf_str(&out);
    assert_non_null(strstr(s, "<html lang=\"cy\""));
    assert_non_null(strstr(s, "<title>Hi Jo &amp; Co</title>"));
    assert_non_null(strstr(s, "role=\"presentation\""));
    assert_non_null(strstr(s, "background-color: #1d70b8; color: #FFFFFF"));
    assert_non_null(strstr(s, "Example &amp; Service"));
    assert_non_null(strstr(s, "logo.png?a=1&amp;b=&quot;"));
    assert_non_null(strstr(s, "alt=\"Example &amp; Service\""));
    assert_non_null(strstr(s, "Hello Jo &amp; Co</h2>"));
    assert_null(strstr(s, "crown"));
    bode_buf_reset(&out);
    assert_int_equal(bode_tmpl_render_email_html(t, p, NULL, NULL, &out, &e),
                     BODE_OK);
    assert_non_null(strstr(bode_buf_str(&out), "<html lang=\"en\""));
    assert_null(strstr(bode_buf_str(&out), "border-bottom"));
    brand.colour = "#fff";
    brand.logo_url = NULL;
    bode_buf_reset(&out);
    assert_int_equal(bode_tmpl_render_email_html(t, p, NULL, &brand, &out, &e),
                     BODE_OK);
    assert_non_null(strstr(bode_buf_str(&out), "color: #0B0C0C"));
    brand.colour = "blue";
    assert_int_equal(bode_tmpl_render_email_html(t, p, NULL, &brand, &out, &e),
                     BODE_ERR_INVALID);
    brand.colour = NULL;
    brand.logo_url = "javascript:alert(1)";
    assert_int_equal(bode_tmpl_render_email_html(t, p, NULL, &brand, &out, &e),
                     BODE_ERR_INVALID);
    brand.logo_url = NULL;
    brand.lang = "e n";
    assert_int_equal(bode_tmpl_render_email_html(t, p, NULL, &brand, &out, &e),
                     BODE_ERR_INVALID);
    bode_buf_release(&out);
    json_decref(p);
    bode_tmpl_free(t);
}

static void test_bode_tmpl_render_cap_and_budget(void **state)
{
    struct bode_tmpl *t = compile(BODE_TMPL_EMAIL, "s", email_body);
    struct bode_tmpl_opts opts = {NULL, NULL, 50};
    struct bode_tmpl_error e;
    struct bode_buf out;
    json_t *p = pers_full();

    (void)state;
    bode_buf_init(&out, 40);
    assert_int_equal(bode_tmpl_render_html_body(t, p, NULL, &out, &e),
                     BODE_ERR_TOO_BIG);
    assert_int_equal(out.len, 0);
    bode_buf_release(&out);
    bode_buf_init(&out, BODE_TMPL_DEFAULT_CAP);
    assert_int_equal(bode_tmpl_render_html_body(t, p, &opts, &out, &e),
                     BODE_ERR_TOO_BIG);
    assert_non_null(strstr(e.text, "limit"));
    /* The preheader keeps to the same budget, and renders without one. */
    bode_buf_reset(&out);
    assert_int_equal(bode_tmpl_render_preheader(t, p, &opts, &out, &e),
                     BODE_ERR_TOO_BIG);
    bode_buf_reset(&out);
    assert_int_equal(bode_tmpl_render_preheader(t, p, NULL, &out, &e), BODE_OK);
    assert_true(out.len > 0);
    bode_buf_release(&out);
    json_decref(p);
    bode_tmpl_free(t);
}

static void test_bode_tmpl_render_sms_info(void **state)
{
    struct bode_tmpl *t = compile(BODE_TMPL_SMS, NULL, "Code ((c)) \xc5\xb5");
    struct bode_tmpl_opts opts = {" Gwasanaeth ", NULL, 0};
    struct bode_sms_info info;
    struct bode_tmpl_error e;
    struct bode_buf out;
    json_t *p = json_pack("{s:i}", "c", 12);

    (void)state;
    bode_buf_init(&out, 1024);
    assert_int_equal(bode_tmpl_render_sms(t, p, &opts, &out, &info, &e),
                     BODE_OK);
    assert_string_equal(bode_buf_str(&out), "Gwasanaeth: Code 12 \xc5\xb5");
    assert_int_equal(info.encoding, BODE_SMS_UCS2);
    assert_int_equal(info.units, 21);
    assert_int_equal(info.fragments, 1);
    /* Notify subtracts the prefix as given, spaces and all. */
    assert_int_equal(info.chars, 7);
    bode_buf_reset(&out);
    assert_int_equal(bode_tmpl_render_body(t, p, &out, &e), BODE_OK);
    assert_string_equal(bode_buf_str(&out), "Code 12 \xc5\xb5");
    bode_buf_release(&out);
    json_decref(p);
    bode_tmpl_free(t);
}

static void test_bode_sms_measure(void **state)
{
    struct bode_sms_info i;

    (void)state;
    bode_sms_measure("", 0, &i);
    assert_int_equal(i.encoding, BODE_SMS_GSM7);
    assert_int_equal(i.fragments, 1);
    bode_sms_measure("\xe2\x82\xac{}", 5, &i);
    assert_int_equal(i.units, 6);
    bode_sms_measure("\xf0\x9f\x98\x80", 4, &i);
    assert_int_equal(i.encoding, BODE_SMS_UCS2);
    assert_int_equal(i.units, 2);
    assert_int_equal(i.chars, 1);
}

struct shared {
    const struct bode_tmpl *t;
    const json_t *p;
    const char *want;
    int ok;
};

static void *render_many(void *arg)
{
    struct shared *s = arg;
    struct bode_tmpl_error e;
    struct bode_buf out;
    int i;

    s->ok = 1;
    bode_buf_init(&out, BODE_TMPL_DEFAULT_CAP);
    for (i = 0; i < 20; i++) {
        bode_buf_reset(&out);
        if (bode_tmpl_render_html_body(s->t, s->p, NULL, &out, &e) ||
            strcmp(bode_buf_str(&out), s->want) != 0)
            s->ok = 0;
    }
    bode_buf_release(&out);
    return NULL;
}

static void test_bode_tmpl_render_shared_across_threads(void **state)
{
    struct bode_tmpl *t = compile(BODE_TMPL_EMAIL, "s", email_body);
    json_t *p = pers_full();
    struct bode_tmpl_error e;
    struct bode_buf want;
    struct shared sh[4];
    pthread_t th[4];
    int i;

    (void)state;
    bode_buf_init(&want, BODE_TMPL_DEFAULT_CAP);
    assert_int_equal(bode_tmpl_render_html_body(t, p, NULL, &want, &e),
                     BODE_OK);
    for (i = 0; i < 4; i++) {
        sh[i].t = t;
        sh[i].p = p;
        sh[i].want = bode_buf_str(&want);
        assert_int_equal(pthread_create(&th[i], NULL, render_many, &sh[i]), 0);
    }
    for (i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_true(sh[i].ok);
    }
    bode_buf_release(&want);
    json_decref(p);
    bode_tmpl_free(t);
}

/* Allocation failure: every allocation in turn fails, the call reports
 * BODE_ERR_NOMEM and frees everything (valgrind and ASan watch for
 * leaks), until there are enough allocations for it to succeed. */
typedef enum bode_err (*op_fn)(const struct bode_tmpl *t, const json_t *p,
                               struct bode_buf *out, struct bode_tmpl_error *e);

static enum bode_err op_html(const struct bode_tmpl *t, const json_t *p,
                             struct bode_buf *out, struct bode_tmpl_error *e)
{
    struct bode_tmpl_opts o = {NULL, "https://x.example/u?a=1", 0};

    return bode_tmpl_render_html_body(t, p, &o, out, e);
}

static enum bode_err op_text(const struct bode_tmpl *t, const json_t *p,
                             struct bode_buf *out, struct bode_tmpl_error *e)
{
    struct bode_tmpl_opts o = {NULL, "https://x.example/u?a=1", 0};

    return bode_tmpl_render_text(t, p, &o, out, e);
}

static enum bode_err op_email(const struct bode_tmpl *t, const json_t *p,
                              struct bode_buf *out, struct bode_tmpl_error *e)
{
    struct bode_tmpl_brand b = {"S", "https://x.example/l.png", NULL, "#000",
                                NULL};

    return bode_tmpl_render_email_html(t, p, NULL, &b, out, e);
}

static enum bode_err op_subject(const struct bode_tmpl *t, const json_t *p,
                                struct bode_buf *out, struct bode_tmpl_error *e)
{
    return bode_tmpl_render_subject(t, p, out, e);
}

static enum bode_err op_body(const struct bode_tmpl *t, const json_t *p,
                             struct bode_buf *out, struct bode_tmpl_error *e)
{
    return bode_tmpl_render_body(t, p, out, e);
}

static enum bode_err op_preheader(const struct bode_tmpl *t, const json_t *p,
                                  struct bode_buf *out,
                                  struct bode_tmpl_error *e)
{
    return bode_tmpl_render_preheader(t, p, NULL, out, e);
}

static enum bode_err op_check(const struct bode_tmpl *t, const json_t *p,
                              struct bode_buf *out, struct bode_tmpl_error *e)
{
    (void)out;
    return bode_tmpl_check(t, p, NULL, e);
}

static enum bode_err op_missing(const struct bode_tmpl *t, const json_t *p,
                                struct bode_buf *out, struct bode_tmpl_error *e)
{
    (void)p;
    (void)e;
    return bode_tmpl_missing(t, NULL, out, NULL);
}

static enum bode_err op_sms(const struct bode_tmpl *t, const json_t *p,
                            struct bode_buf *out, struct bode_tmpl_error *e)
{
    struct bode_tmpl_opts o = {"Service", NULL, 0};
    struct bode_sms_info info;

    return bode_tmpl_render_sms(t, p, &o, out, &info, e);
}

static void sweep(const struct bode_tmpl *t, const json_t *p, op_fn op)
{
    struct bode_tmpl_error e;
    struct bode_buf out;
    enum bode_err err;
    long n;

    for (n = 0;; n++) {
        bode_buf_init(&out, BODE_TMPL_DEFAULT_CAP);
        bode_alloc_fail_after(n);
        err = op(t, p, &out, &e);
        bode_alloc_fail_after(-1);
        bode_buf_release(&out);
        if (err == BODE_OK)
            break;
        assert_int_equal(err, BODE_ERR_NOMEM);
        assert_true(n < 100000);
    }
}

static void test_bode_tmpl_render_allocation_failures(void **state)
{
    static const char *sms_body = "Hi ((name)), \xe2\x80\x9cquoted\xe2\x80"
                                  "\x9d ((items)) \xc4\x87 ((show??x))";
    struct bode_tmpl *t =
        compile(BODE_TMPL_EMAIL, "Hi ((name)) ((items))",
                "# ((name))\n\n[ref]: http://x.example\n\nA[^1] [r][ref]\n\n"
                "[^1]: note\n\na | b\n--|--\n1 | 2\n\n<div>x</div>\n\n"
                "``` \ncode\n```\n\n    indented\n\n* a\n\n  * b\n\n"
                "1. c\n\n^ q\n\nTitle\n===\n\n"
                "\"quote\" it's - a <pre>'x'</pre> \\\\ "
                "<!-- a -- b -->");
    struct bode_tmpl *s = compile(BODE_TMPL_SMS, NULL, sms_body);
    json_t *p =
        json_pack("{s:s, s:[s,i,n,[i]], s:s, s:{s:f}}", "name", "Jo & <b>",
                  "items", "a", 1, 2, "show", "yes", "obj", "k", 1.5);

    (void)state;
    sweep(t, p, op_html);
    sweep(t, p, op_text);
    sweep(t, p, op_email);
    sweep(t, p, op_subject);
    sweep(t, p, op_body);
    sweep(t, p, op_preheader);
    sweep(t, p, op_check);
    sweep(t, p, op_missing);
    sweep(s, p, op_sms);
    sweep(s, p, op_body);
    sweep(s, p, op_check);
    json_decref(p);
    bode_tmpl_free(t);
    bode_tmpl_free(s);
}

static void test_bode_tmpl_compile_allocation_failures(void **state)
{
    struct bode_tmpl_source src = {BODE_TMPL_EMAIL, "((a)) &amp; ((b))",
                                   "((a)) x ((c??d)) &lt; ((a))"};
    struct bode_tmpl *t;
    struct bode_tmpl_error e;
    enum bode_err err;
    long n;

    (void)state;
    for (n = 0;; n++) {
        bode_alloc_fail_after(n);
        err = bode_tmpl_compile(&src, &t, &e);
        bode_alloc_fail_after(-1);
        if (err == BODE_OK)
            break;
        assert_int_equal(err, BODE_ERR_NOMEM);
        assert_null(t);
    }
    bode_tmpl_free(t);
}

static const char good_file[] = "# comment\n"
                                "id: 3FA85F64-5717-4562-B3FC-2C963F66AFA6\n"
                                "name: Test\n"
                                "type: email\n"
                                "subject: Hello\r\n"
                                "\n\n"
                                "Body ((x))\n\n";

static void test_bode_tmpl_file_parse(void **state)
{
    struct bode_tmpl_def *d = NULL;
    struct bode_tmpl *t = NULL;
    struct bode_tmpl_error e;

    (void)state;
    assert_int_equal(bode_tmpl_file_parse(good_file, sizeof(good_file) - 1,
                                          "f.tmpl", &d, &e),
                     BODE_OK);
    assert_string_equal(d->id, "3fa85f64-5717-4562-b3fc-2c963f66afa6");
    assert_string_equal(d->name, "Test");
    assert_string_equal(d->subject, "Hello");
    assert_string_equal(d->body, "Body ((x))");
    assert_int_equal(d->body_line, 8);
    assert_int_equal(bode_tmpl_def_compile(d, &t, &e), BODE_OK);
    bode_tmpl_free(t);
    bode_tmpl_def_free(d);
    assert_int_equal(bode_tmpl_file_parse("id: x\0y", 7, "nul.tmpl", &d, &e),
                     BODE_ERR_INVALID);
    assert_string_equal(e.file, "nul.tmpl");
    assert_int_equal(e.line, 1);
    assert_int_equal(bode_tmpl_file_parse("name:\n", 6, "n", &d, &e),
                     BODE_ERR_INVALID);
    assert_string_equal(e.text, "name must not be empty");
    assert_int_equal(bode_tmpl_file_parse("subject:\n", 9, "n", &d, &e),
                     BODE_ERR_INVALID);
    bode_tmpl_def_free(NULL);
}

static void test_bode_tmpl_file_parse_allocation_failures(void **state)
{
    struct bode_tmpl_def *d;
    struct bode_tmpl_error e;
    enum bode_err err;
    long n;

    (void)state;
    for (n = 0;; n++) {
        bode_alloc_fail_after(n);
        err =
            bode_tmpl_file_parse(good_file, sizeof(good_file) - 1, "f", &d, &e);
        bode_alloc_fail_after(-1);
        if (err == BODE_OK)
            break;
        assert_int_equal(err, BODE_ERR_NOMEM);
    }
    bode_tmpl_def_free(d);
}

static char tmpdir[64];

static void write_file(const char *name, const char *text)
{
    char path[256];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_bode_tmpl_file_load(void **state)
{
    struct bode_tmpl_def *d = NULL;
    struct bode_tmpl_error e;
    char path[256];

    (void)state;
    write_file("ok.tmpl", good_file);
    snprintf(path, sizeof(path), "%s/ok.tmpl", tmpdir);
    assert_int_equal(bode_tmpl_file_load(path, &d, &e), BODE_OK);
    bode_tmpl_def_free(d);
    snprintf(path, sizeof(path), "%s/absent.tmpl", tmpdir);
    assert_int_equal(bode_tmpl_file_load(path, &d, &e), BODE_ERR_IO);
    assert_non_null(strstr(e.text, "cannot open"));
    assert_int_equal(bode_tmpl_file_load(tmpdir, &d, &e), BODE_ERR_IO);
}

static int run_cli(int argc, const char **argv)
{
    return bode_cmd_template(argc, (char **)(uintptr_t)argv);
}

static void test_bode_cmd_template(void **state)
{
    char file[256];
    char sms[256];
    char pers[256];
    char bad[256];

    (void)state;
    write_file("ok.tmpl", good_file);
    write_file("code.tmpl", "id: 2b807231-cc51-46ce-8e8c-6373d04a8c75\n"
                            "name: Code\ntype: sms\n\n((code)) is your code");
    write_file("p.json", "{\"x\": \"value\", \"code\": 42}");
    snprintf(file, sizeof(file), "%s/ok.tmpl", tmpdir);
    snprintf(sms, sizeof(sms), "%s/code.tmpl", tmpdir);
    snprintf(pers, sizeof(pers), "@%s/p.json", tmpdir);
    {
        const char *a[] = {
            "template",       "preview",  file,  "--personalisation",
            "{\"x\": \"1\"}", "--format", "text"};

        assert_int_equal(run_cli(7, a), 0);
    }
    {
        const char *a[] = {"template", "preview", file,
                           "--personalisation={\"x\": 1}"};

        assert_int_equal(run_cli(4, a), 0);
    }
    {
        const char *a[] = {"template",         "preview",           file,
                           "--format=subject", "--personalisation", pers};

        assert_int_equal(run_cli(6, a), 0);
    }
    {
        const char *a[] = {"template", "preview",           file, "--format",
                           "body",     "--personalisation", pers};

        assert_int_equal(run_cli(7, a), 0);
    }
    {
        const char *a[] = {"template", "preview",           sms, "--prefix",
                           "Service",  "--personalisation", pers};

        assert_int_equal(run_cli(7, a), 0);
    }
    {
        const char *a[] = {"template",          "preview",  sms,
                           "--prefix=S",        "--format", "body",
                           "--personalisation", pers};

        assert_int_equal(run_cli(8, a), 0);
    }
    {
        const char *a[] = {"template", "preview", file};

        assert_int_equal(run_cli(3, a), 1); /* missing personalisation */
    }
    {
        const char *a[] = {"template", "preview",           sms, "--format",
                           "html",     "--personalisation", pers};

        assert_int_equal(run_cli(7, a), 2);
    }
    {
        const char *a[] = {"template", "preview", file, "--personalisation",
                           "[1]"};

        assert_int_equal(run_cli(5, a), 2);
    }
    {
        const char *a[] = {"template", "preview", file, "--personalisation",
                           "{bad"};

        assert_int_equal(run_cli(5, a), 2);
    }
    {
        const char *a[] = {"template", "preview", file, "--nope"};

        assert_int_equal(run_cli(4, a), 2);
    }
    {
        const char *a[] = {"template", "preview", file, file};

        assert_int_equal(run_cli(4, a), 2);
    }
    {
        const char *a[] = {"template", "preview"};

        assert_int_equal(run_cli(2, a), 2);
    }
    {
        const char *a[] = {"template", "preview", "/nonexistent/x.tmpl"};

        assert_int_equal(run_cli(3, a), 2);
    }
    {
        const char *a[] = {"template", "check", "templates"};

        assert_int_equal(run_cli(3, a), 0);
    }
    {
        const char *a[] = {"template", "check", tmpdir};

        assert_int_equal(run_cli(3, a), 0);
    }
    write_file("dup.tmpl", good_file);
    snprintf(bad, sizeof(bad), "%s/bad.tmpl", tmpdir);
    write_file("bad.tmpl", "id: nope\n\nbody");
    {
        const char *a[] = {"template", "check", tmpdir};

        assert_int_equal(run_cli(3, a), 1);
    }
    {
        const char *a[] = {"template", "check", file};

        assert_int_equal(run_cli(3, a), 2);
    }
    {
        const char *a[] = {"template", "check"};

        assert_int_equal(run_cli(2, a), 2);
    }
    {
        const char *a[] = {"template", "frobnicate"};

        assert_int_equal(run_cli(2, a), 2);
    }
    {
        const char *a[] = {"template"};

        assert_int_equal(run_cli(1, a), 2);
    }
    {
        const char *a[] = {"template", "--help"};

        assert_int_equal(run_cli(2, a), 0);
    }
    unlink(bad);
}

static void test_rx_python_semantics(void **state)
{
    struct rx_ctx c;
    struct rx_m m;
    struct bode_buf out;

    (void)state;
    rx_ctx_init(&c, 1000000);
    assert_int_equal(rx_search(&c, RX_T_BACKREF, "xbcb", 4, 0, &m), 1);
    assert_int_equal(m.g[0], 1);
    assert_int_equal(rx_search(&c, RX_T_BACKREF, "acb", 3, 0, &m), 0);
    assert_int_equal(rx_match(&c, RX_T_COND, "<x>", 3, 0, &m), 1);
    assert_int_equal(rx_match(&c, RX_T_COND, "xy", 2, 0, &m), 1);
    assert_int_equal(rx_match(&c, RX_T_COND, "<xy", 3, 0, &m), 0);
    assert_int_equal(rx_match(&c, RX_T_LAZY, "aaabbc", 6, 0, &m), 1);
    assert_int_equal(m.g[1], 6);
    bode_buf_init(&out, 100);
    assert_int_equal(rx_sub(&c, RX_T_BEHIND, "a , b  . c", 10, "\\1", &out),
                     BODE_OK);
    assert_string_equal(bode_buf_str(&out), "a, b. c");
    bode_buf_release(&out);
    rx_ctx_release(&c);
    /* A spent budget is sticky and reported. */
    rx_ctx_init(&c, 3);
    assert_int_equal(rx_search(&c, RX_T_LAZY, "aaaaaaaa", 8, 0, &m), -1);
    assert_int_equal(c.err, BODE_ERR_TOO_BIG);
    assert_int_equal(rx_match(&c, RX_T_LAZY, "abc", 3, 0, &m), -1);
    rx_ctx_release(&c);
}

static int setup_tmp(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/bode-tmpl-test-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_tmp(void **state)
{
    static const char *const files[] = {"ok.tmpl", "code.tmpl", "p.json",
                                        "dup.tmpl", "bad.tmpl"};
    char path[256];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", tmpdir, files[i]);
        unlink(path);
    }
    rmdir(tmpdir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bode_tmpl_compile_rejects_bad_sources),
        cmocka_unit_test(test_bode_tmpl_placeholder_subject_first_deduplicated),
        cmocka_unit_test(test_bode_tmpl_missing_lists_in_order),
        cmocka_unit_test(test_bode_tmpl_check_messages),
        cmocka_unit_test(test_bode_tmpl_check_many_missing_names),
        cmocka_unit_test(test_bode_tmpl_email_too_big_beyond_measure),
        cmocka_unit_test(test_bode_tmpl_render_wrong_type),
        cmocka_unit_test(test_bode_tmpl_render_email_html_layout),
        cmocka_unit_test(test_bode_tmpl_render_cap_and_budget),
        cmocka_unit_test(test_bode_tmpl_render_sms_info),
        cmocka_unit_test(test_bode_sms_measure),
        cmocka_unit_test(test_bode_tmpl_render_shared_across_threads),
        cmocka_unit_test(test_bode_tmpl_render_allocation_failures),
        cmocka_unit_test(test_bode_tmpl_compile_allocation_failures),
        cmocka_unit_test(test_bode_tmpl_check_body_matches_render_body),
        cmocka_unit_test(test_bode_tmpl_file_parse),
        cmocka_unit_test(test_bode_tmpl_file_parse_allocation_failures),
        cmocka_unit_test(test_bode_tmpl_file_load),
        cmocka_unit_test(test_bode_cmd_template),
        cmocka_unit_test(test_rx_python_semantics),
    };

    return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
