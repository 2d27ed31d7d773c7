/* Fuzzes template compile + every rendering + the send-time checks.
 * Input: template body, then optionally a NUL byte and a personalisation
 * JSON object; a 0x01 byte in the body splits off an email subject and
 * makes the template an email. Anything may fail; nothing may crash. */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bode/template.h"
#include "fuzz_limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void render_all(const struct bode_tmpl *t, const json_t *p)
{
    struct bode_tmpl_opts opts = {"Service", "https://example.com/u?a=1",
                                  FUZZ_RX_BUDGET};
    struct bode_tmpl_brand brand = {"Name", "https://example.com/l.png", NULL,
                                    "#1d70b8", "cy"};
    struct bode_tmpl_error e;
    struct bode_sms_info info;
    struct bode_buf out;
    enum bode_err first;
    bool email = bode_tmpl_type(t) == BODE_TMPL_EMAIL;

    bode_buf_init(&out, (size_t)4 << 20);
    bode_tmpl_check(t, p, &opts, &e);
    bode_tmpl_missing(t, p, &out, NULL);
    bode_buf_reset(&out);
    if (email)
        first = bode_tmpl_render_text(t, p, &opts, &out, &e);
    else
        first = bode_tmpl_render_sms(t, p, &opts, &out, &info, &e);
    /* The API body and the subject take no budget; the body is the
     * capped rendering's work again, so skip them when that ran out. */
    if (first != BODE_ERR_TOO_BIG) {
        bode_buf_reset(&out);
        bode_tmpl_render_body(t, p, &out, &e);
        bode_buf_reset(&out);
        if (email)
            bode_tmpl_render_subject(t, p, &out, &e);
    }
    bode_buf_reset(&out);
    if (email)
        bode_tmpl_render_email_html(t, p, &opts, &brand, &out, &e);
    bode_buf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *nul = memchr(data, '\0', size);
    size_t body_len = nul ? (size_t)((const uint8_t *)nul - data) : size;
    char *body = malloc(body_len + 1);
    char *split;
    json_t *p = NULL;
    struct bode_tmpl_source src = {BODE_TMPL_SMS, NULL, body};
    struct bode_tmpl *t = NULL;
    struct bode_tmpl_error e;

    if (!body || size > 65536) {
        free(body);
        return 0;
    }
    memcpy(body, data, body_len);
    body[body_len] = '\0';
    split = strchr(body, '\x01');
    if (split) {
        *split = '\0';
        src.type = BODE_TMPL_EMAIL;
        src.subject = body;
        src.body = split + 1;
    }
    if (nul)
        p = json_loadb((const char *)nul + 1, size - body_len - 1,
                       JSON_DECODE_ANY, NULL);
    if (!p)
        p = json_pack("{s:s, s:[s,i,n], s:b, s:f}", "name", "Jo & <b>", "items",
                      "a", 1, "show", 1, "amount", 1.5);
    if (bode_tmpl_compile(&src, &t, &e) == BODE_OK) {
        render_all(t, p);
        bode_tmpl_free(t);
    }
    json_decref(p);
    free(body);
    return 0;
}
