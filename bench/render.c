/* Template rendering micro-benchmark: what one worker spends turning a
 * stored notification into the email it hands to a provider (subject, HTML
 * with layout, plain text), for the bench template and the richest example
 * template. The personalisation changes every iteration so nothing can be
 * reused between renders. Prints JSON: renders per CPU second and CPU
 * microseconds per render for each case (CPU time, not wall time, so other
 * load on the machine does not distort it).
 * Usage: render [--iterations N] [--template FILE] */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bode/buf.h"
#include "bode/template.h"

#define BENCH_SUBJECT "Your application ((reference))"
#define BENCH_BODY                                                             \
    "Dear ((name)),\n\nWe have received your application ((reference)). We "   \
    "will write to you within 10 working days."

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static json_t *personalisation(long i)
{
    char name[32];
    char ref[32];

    snprintf(name, sizeof(name), "Ada %ld", i);
    snprintf(ref, sizeof(ref), "REF%08ld", i);
    return json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:[s,s,s], s:s, s:[s,s], s:s}", "name",
        name, "reference", ref, "first name", name, "date", "3 March 2027",
        "time", "10:30am", "clinic", "Riverside Health Centre", "address lines",
        "1 River Road", "Leeds", "LS1 4AB", "needs interpreter", "yes",
        "documents", "your appointment letter", "a list of your medicines",
        "reschedule url", "https://example.gov.uk/appointments/change");
}

/* Renders t n times as the worker does; returns seconds taken, or -1. */
static double run(const struct bode_tmpl *t, long n)
{
    struct bode_tmpl_brand brand = {0};
    struct bode_tmpl_error e;
    struct bode_buf subject;
    struct bode_buf html;
    struct bode_buf text;
    double start = now_s();
    double took = -1;
    long i;

    brand.name = "Bench service";
    bode_buf_init(&subject, 64 * 1024);
    bode_buf_init(&html, BODE_TMPL_DEFAULT_CAP);
    bode_buf_init(&text, BODE_TMPL_DEFAULT_CAP);
    for (i = 0; i < n; i++) {
        json_t *pers = personalisation(i);

        bode_buf_reset(&subject);
        bode_buf_reset(&html);
        bode_buf_reset(&text);
        if (!pers || bode_tmpl_render_subject(t, pers, &subject, &e) ||
            bode_tmpl_render_email_html(t, pers, NULL, &brand, &html, &e) ||
            bode_tmpl_render_text(t, pers, NULL, &text, &e)) {
            fprintf(stderr, "render: failed at iteration %ld: %s\n", i, e.text);
            json_decref(pers);
            goto out;
        }
        json_decref(pers);
    }
    took = now_s() - start;
out:
    bode_buf_release(&subject);
    bode_buf_release(&html);
    bode_buf_release(&text);
    return took;
}

static int report(const char *name, const struct bode_tmpl *t, long n,
                  bool last)
{
    double s = run(t, n);

    if (s < 0)
        return 1;
    printf("  \"%s\": {\"renders\": %ld, \"per_second\": %.0f, "
           "\"us_per_render\": %.1f}%s\n",
           name, n, (double)n / s, s * 1e6 / (double)n, last ? "" : ",");
    return 0;
}

int main(int argc, char **argv)
{
    struct bode_tmpl_source src = {BODE_TMPL_EMAIL, BENCH_SUBJECT, BENCH_BODY};
    const char *file = "templates/appointment-reminder.tmpl";
    struct bode_tmpl_def *def = NULL;
    struct bode_tmpl *bench = NULL;
    struct bode_tmpl *rich = NULL;
    struct bode_tmpl_error e;
    long n = 20000;
    int status = 1;
    int i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc) {
            char *end;

            n = strtol(argv[++i], &end, 10);
            if (*end)
                n = 0;
        } else if (strcmp(argv[i], "--template") == 0 && i + 1 < argc) {
            file = argv[++i];
        } else {
            fprintf(stderr, "usage: render [--iterations N] [--template F]\n");
            return 2;
        }
    }
    if (n <= 0 || bode_tmpl_compile(&src, &bench, &e) ||
        bode_tmpl_file_load(file, &def, &e) ||
        bode_tmpl_def_compile(def, &rich, &e)) {
        fprintf(stderr, "render: %s\n", n <= 0 ? "bad --iterations" : e.text);
        goto out;
    }
    printf("{\n");
    if (report("bench_template", bench, n, false) ||
        report("appointment_reminder", rich, n / 4 > 0 ? n / 4 : 1, true))
        goto out;
    printf("}\n");
    status = 0;
out:
    bode_tmpl_free(bench);
    bode_tmpl_free(rich);
    bode_tmpl_def_free(def);
    return status;
}
