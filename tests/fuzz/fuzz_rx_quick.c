/* Checks the template engine's quick tests (src/template/rx_quick.c)
 * against the pattern matcher: whenever a pattern matches at the start of
 * the input (rx_match) or anywhere in it (rx_search), its quick test must
 * not have said "cannot". Aborts on a disagreement. Inputs are kept to
 * valid UTF-8, as every rendered text is. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_limits.h"
#include "template/rx.h"
#include "template/uni.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const enum rx_id anchored[] = {
    RX_B_NEWLINE,    RX_B_HRULE,      RX_B_BLOCK_CODE, RX_B_FENCES,
    RX_B_HEADING,    RX_B_NPTABLE,    RX_B_LHEADING,   RX_B_BLOCK_QUOTE,
    RX_B_LIST_BLOCK, RX_B_BLOCK_HTML, RX_B_DEF_LINKS,  RX_B_DEF_FOOTNOTES,
    RX_B_TABLE,
};

static const enum rx_id anywhere[] = {RX_F_HYPHENS, RX_F_SPACE_PUNCT,
                                      RX_F_GOVUK};

/* A fresh budget for each pattern: one that runs out must not leave the
 * rest of the input unchecked. */
static void fresh(struct rx_ctx *rx)
{
    rx_ctx_release(rx);
    rx_ctx_init(rx, FUZZ_RX_BUDGET);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    struct rx_ctx rx;
    struct rx_m m;
    size_t bad;
    size_t i;

    if (size > 4096 || !uni_valid(s, size, &bad))
        return 0;
    rx_ctx_init(&rx, FUZZ_RX_BUDGET);
    for (i = 0; i < sizeof(anchored) / sizeof(anchored[0]); i++) {
        fresh(&rx);
        if (rx_match(&rx, anchored[i], s, size, 0, &m) > 0 &&
            !rx_can_match_at(anchored[i], s, size)) {
            fprintf(stderr, "rx_can_match_at wrong for pattern %d\n",
                    (int)anchored[i]);
            abort();
        }
    }
    for (i = 0; i < sizeof(anywhere) / sizeof(anywhere[0]); i++) {
        fresh(&rx);
        if (rx_search(&rx, anywhere[i], s, size, 0, &m) > 0 &&
            !rx_can_match_in(anywhere[i], s, size)) {
            fprintf(stderr, "rx_can_match_in wrong for pattern %d\n",
                    (int)anywhere[i]);
            abort();
        }
    }
    rx_ctx_release(&rx);
    return 0;
}
