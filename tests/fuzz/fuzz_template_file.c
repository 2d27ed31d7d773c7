/* Fuzz target: the template-file loader (header block and body), then
 * compiling what it accepts. */
#include <stddef.h>
#include <stdint.h>

#include "bode/template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bode_tmpl_def *def = NULL;
    struct bode_tmpl *t = NULL;
    struct bode_tmpl_error e;

    if (bode_tmpl_file_parse((const char *)data, size, "fuzz", &def, &e) ==
        BODE_OK) {
        if (!def->body || !def->name)
            __builtin_trap();
        (void)bode_tmpl_def_compile(def, &t, &e);
    }
    bode_tmpl_free(t);
    bode_tmpl_def_free(def);
    return 0;
}
