/* Fuzzes text messages: the input is an SMS template body, rendered with
 * and without a service-name prefix, checked against Notify's limits and
 * measured. The counts must hold together; nothing may crash. */
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
    struct bode_tmpl_source src = {BODE_TMPL_SMS, NULL, NULL};
    struct bode_tmpl_opts capped = {NULL, NULL, FUZZ_RX_BUDGET};
    struct bode_tmpl_opts opts = {"Gwasanaeth \xc5\xb5", NULL, FUZZ_RX_BUDGET};
    struct bode_tmpl *t = NULL;
    struct bode_tmpl_error e;
    struct bode_sms_info info;
    enum bode_err first;
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
        first = bode_tmpl_render_sms(t, NULL, &capped, &out, &info, &e);
        if (first == BODE_OK &&
            (info.fragments == 0 || info.units < info.chars / 2))
            abort();
        bode_buf_reset(&out);
        bode_tmpl_render_sms(t, NULL, &opts, &out, &info, &e);
        /* The API body takes no budget; it is the first rendering's
         * work again, so skip it when that one ran out. */
        if (first != BODE_ERR_TOO_BIG) {
            bode_buf_reset(&out);
            bode_tmpl_render_body(t, NULL, &out, &e);
        }
        bode_tmpl_check(t, NULL, &opts, &e);
        bode_buf_release(&out);
        bode_tmpl_free(t);
    }
    bode_sms_measure(body, strlen(body), &info);
    free(body);
    return 0;
}
