/* Fuzzes text messages: the input is an SMS template body, rendered with
 * and without a service-name prefix, checked against Notify's limits and
 * measured. The counts must hold together; nothing may crash. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bode/template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body;
    struct bode_tmpl_source src = {BODE_TMPL_SMS, NULL, NULL};
    struct bode_tmpl_opts opts = {"Gwasanaeth \xc5\xb5", NULL, 0};
    struct bode_tmpl *t = NULL;
    struct bode_tmpl_error e;
    struct bode_sms_info info;
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
        bode_buf_init(&out, (size_t)1 << 20);
        if (bode_tmpl_render_sms(t, NULL, NULL, &out, &info, &e) == BODE_OK &&
            (info.fragments == 0 || info.units < info.chars / 2))
            abort();
        bode_buf_reset(&out);
        bode_tmpl_render_sms(t, NULL, &opts, &out, &info, &e);
        bode_buf_reset(&out);
        bode_tmpl_render_body(t, NULL, &out, &e);
        bode_tmpl_check(t, NULL, &opts, &e);
        bode_buf_release(&out);
        bode_tmpl_free(t);
    }
    bode_sms_measure(body, strlen(body), &info);
    free(body);
    return 0;
}
