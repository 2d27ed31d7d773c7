/* Fuzz target: whatever the message fields hold, the email builder either
 * refuses them or writes a message whose header block has only Bode's own
 * headers, each once (no injection), with CRLF line ends and no line over
 * 998 octets. The input is split at 0xff bytes into subject, from name,
 * recipient, reply-to, unsubscribe URL, text and HTML. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/providers/provider_int.h"
#include "bode/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const allowed[] = {"Date",
                                      "Message-ID",
                                      "From",
                                      "Reply-To",
                                      "To",
                                      "Subject",
                                      "MIME-Version",
                                      "List-Unsubscribe",
                                      "List-Unsubscribe-Post",
                                      "Content-Type",
                                      "Content-Transfer-Encoding"};
#define NALLOWED (sizeof(allowed) / sizeof(allowed[0]))

static void check(const char *s, size_t n)
{
    const char *body = NULL;
    size_t seen[NALLOWED] = {0};
    size_t start = 0;
    size_t i;
    size_t k;

    for (i = 0; i + 3 < n; i++)
        if (memcmp(s + i, "\r\n\r\n", 4) == 0) {
            body = s + i + 2;
            break;
        }
    if (!body)
        __builtin_trap();
    for (i = 0; i < n; i++) {
        if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
            __builtin_trap();
        if (s[i] == '\r' && (i + 1 == n || s[i + 1] != '\n'))
            __builtin_trap();
        if (s[i] != '\n')
            continue;
        if (i - start > 999)
            __builtin_trap();
        /* A header line (not a continuation) names an allowed header. */
        if (s + start < body && s[start] != ' ' && s[start] != '\t') {
            for (k = 0; k < NALLOWED; k++)
                if (strncmp(s + start, allowed[k], strlen(allowed[k])) == 0 &&
                    s[start + strlen(allowed[k])] == ':')
                    break;
            if (k == NALLOWED || ++seen[k] > 1)
                __builtin_trap();
        }
        start = i + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = bode_malloc(size + 1);
    char *field[7] = {NULL};
    struct bode_message m;
    const struct prov_mime_opts o = {.now = 1700000000, .boundary = "=_bode_F"};
    struct bode_buf out;
    char why[200];
    size_t nf = 0;
    size_t i;
    enum bode_err err;

    if (!copy)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    field[nf++] = copy;
    for (i = 0; i < size && nf < 7; i++)
        if ((unsigned char)copy[i] == 0xff) {
            copy[i] = '\0';
            field[nf++] = copy + i + 1;
        }
    memset(&m, 0, sizeof(m));
    m.id = "3f8b2a6c-1d4e-4f5a-9b7c-2e1d0c9b8a7f";
    m.channel = BODE_CHANNEL_EMAIL;
    m.from_address = "notify@service.example";
    m.subject = field[0];
    m.from_name = field[1];
    m.to = field[2] && *field[2] ? field[2] : "someone@example.com";
    m.reply_to = field[3];
    m.one_click_unsubscribe_url = field[4];
    m.text = field[5] ? field[5] : "text";
    m.html = field[6];
    bode_buf_init(&out, PROV_MIME_CAP);
    err = prov_mime_build(&m, &o, &out, why, sizeof(why));
    if (err == BODE_OK)
        check(out.data, out.len);
    else if (err != BODE_ERR_INVALID && err != BODE_ERR_NOMEM &&
             err != BODE_ERR_TOO_BIG)
        __builtin_trap();
    bode_buf_release(&out);
    bode_free(copy);
    return 0;
}
