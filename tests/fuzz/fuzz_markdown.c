/* Fuzzes Notify's Markdown: the input is an email body rendered as HTML,
 * plain text and preheader, which run the whole Markdown and typography
 * chain. Nothing may crash; errors (invalid UTF-8, limits) are fine. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bode/template.h"
#include "fuzz_limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body;
    struct bode_tmpl_source src = {BODE_TMPL_EMAIL, "Subject", NULL};
    struct bode_tmpl_opts opts = {NULL, NULL, FUZZ_RX_BUDGET};
    struct bode_tmpl *t = NULL;
    struct bode_tmpl_error e;
    struct bode_buf out;

    if (size > 65536)
        return 0;
    body = malloc(size + 1);
    if (!body)
        return 0;
    memcpy(body, data, size);
    body[size] = '\0';
    src.body = body;
    if (bode_tmpl_compile(&src, &t, &e) == BODE_OK) {
        bode_buf_init(&out, (size_t)4 << 20);
        bode_tmpl_render_html_body(t, NULL, &opts, &out, &e);
        bode_buf_reset(&out);
        bode_tmpl_render_text(t, NULL, &opts, &out, &e);
        bode_buf_reset(&out);
        /* Under the budget too, as inside the HTML email: unbudgeted it
         * was a third of this target's time. */
        bode_tmpl_render_preheader(t, NULL, &opts, &out, &e);
        bode_buf_release(&out);
        bode_tmpl_free(t);
    }
    free(body);
    return 0;
}
