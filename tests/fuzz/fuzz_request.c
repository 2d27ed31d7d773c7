/* Fuzz target: POST notification bodies through Notify's schema checks.
 * Any bytes must give a clean accept or a bounded list of error texts. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "api/request.h"
#include "bode/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    struct bode_post p;
    struct bode_req_errors errs;
    enum bode_req_result r;
    size_t i;
    int ch;

    if (!ready) {
        bode_alloc_install_json();
        ready = 1;
    }
    for (ch = 0; ch < 2; ch++) {
        r = bode_post_parse(ch ? BODE_CHANNEL_SMS : BODE_CHANNEL_EMAIL,
                            (const char *)data, size, "GB", &p, &errs);
        if (r == BODE_REQ_INVALID) {
            if (errs.n == 0 || errs.n > BODE_REQ_MAX_ERRORS)
                __builtin_trap();
            for (i = 0; i < errs.n; i++)
                if (!memchr(errs.msg[i], '\0', sizeof(errs.text[0])))
                    __builtin_trap();
        }
        if (r == BODE_REQ_OK && (!p.recipient || !p.template_id[0]))
            __builtin_trap();
        bode_post_release(&p);
    }
    return 0;
}
