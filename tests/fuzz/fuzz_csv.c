/* libFuzzer target for bode_csv_parse: any bytes in, never a crash, and
 * the table must hold together: every cell inside the data, no more bytes
 * kept than the input (plus one NUL per cell), no row that is all blank,
 * and writing the table back as CSV must read to the same table. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bode/buf.h"
#include "bode/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

static int blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
            return 0;
    return 1;
}

/* Writes t as CSV with every cell quoted. Cells holding NUL are cut there,
 * so those tables are not compared. */
static int write_back(const struct bode_csv *t, struct bode_buf *out)
{
    size_t r;
    size_t c;
    const char *s;
    size_t len;

    for (r = 0; r < t->n_rows; r++) {
        for (c = 0; c < bode_csv_row_len(t, r); c++) {
            s = bode_csv_cell(t, r, c, &len);
            if (bode_buf_adds(out, c ? ",\"" : "\""))
                return -1;
            for (; *s; s++)
                if ((*s == '"' && bode_buf_adds(out, "\"\"")) ||
                    (*s != '"' && bode_buf_addc(out, *s)))
                    return -1;
            if (bode_buf_addc(out, '"'))
                return -1;
        }
        if (bode_buf_addc(out, '\n'))
            return -1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bode_csv t;
    struct bode_csv again;
    struct bode_buf out;
    enum bode_err err;
    size_t r;
    size_t c;
    int all_blank;

    bode_csv_init(&t);
    bode_csv_init(&again);
    bode_buf_init(&out, 4 * size + 1024);
    err = bode_csv_parse(&t, (const char *)data, size);
    check(err == BODE_OK || err == BODE_ERR_INVALID || err == BODE_ERR_NOMEM);
    check(t.data_len <= size + t.n_cells);
    for (r = 0; r < t.n_rows; r++) {
        all_blank = 1;
        for (c = 0; c < bode_csv_row_len(&t, r); c++) {
            check(t.cell[t.row[r] + c] < t.data_len);
            all_blank &= blank(bode_csv_cell(&t, r, c, NULL));
        }
        check(!all_blank);
    }
    if (err == BODE_OK && !memchr(data, 0, size) && !write_back(&t, &out)) {
        check(bode_csv_parse(&again, bode_buf_str(&out), out.len) == BODE_OK);
        check(again.n_rows == t.n_rows);
        for (r = 0; r < t.n_rows; r++) {
            check(bode_csv_row_len(&again, r) == bode_csv_row_len(&t, r));
            for (c = 0; c < bode_csv_row_len(&t, r); c++)
                check(strcmp(bode_csv_cell(&again, r, c, NULL),
                             bode_csv_cell(&t, r, c, NULL)) == 0);
        }
    }
    bode_buf_release(&out);
    bode_csv_release(&again);
    bode_csv_release(&t);
    return 0;
}
