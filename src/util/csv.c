/* CSV tables for bulk sends: parsing and building. Must not know what a
 * column means (recipients and placeholders are the API's business). */
#include "bode/csv.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "bode/alloc.h"

void bode_csv_init(struct bode_csv *t)
{
    memset(t, 0, sizeof(*t));
}

void bode_csv_release(struct bode_csv *t)
{
    bode_free(t->data);
    bode_free(t->cell);
    bode_free(t->row);
    bode_csv_init(t);
}

/* Grows *p (of *cap elements of size each) to hold at least need. */
static enum bode_err grow(void **p, size_t *cap, size_t need, size_t size)
{
    size_t n = *cap ? *cap : 64;
    void *q;

    if (need <= *cap)
        return BODE_OK;
    while (n < need) {
        if (n > SIZE_MAX / 2 / size)
            return BODE_ERR_NOMEM;
        n *= 2;
    }
    q = bode_realloc(*p, n * size);
    if (!q)
        return BODE_ERR_NOMEM;
    *p = q;
    *cap = n;
    return BODE_OK;
}

/* Appends bytes to the cell being read (not yet ended). */
static enum bode_err add_bytes(struct bode_csv *t, const char *s, size_t n)
{
    void *p = t->data;
    enum bode_err err;

    if (n > SIZE_MAX - t->data_len - 1)
        return BODE_ERR_NOMEM;
    err = grow(&p, &t->data_cap, t->data_len + n + 1, 1);
    t->data = p;
    if (err)
        return err;
    memcpy(t->data + t->data_len, s, n);
    t->data_len += n;
    return BODE_OK;
}

/* Ends the cell that started at data offset start. */
static enum bode_err end_cell(struct bode_csv *t, size_t start)
{
    void *p = t->cell;
    enum bode_err err;

    err = add_bytes(t, "", 0);
    if (err)
        return err;
    t->data[t->data_len++] = '\0';
    err = grow(&p, &t->cell_cap, t->n_cells + 1, sizeof(size_t));
    t->cell = p;
    if (err)
        return err;
    t->cell[t->n_cells++] = start;
    return BODE_OK;
}

enum bode_err bode_csv_add_cell(struct bode_csv *t, const char *s, size_t n)
{
    size_t start = t->data_len;
    enum bode_err err = add_bytes(t, s, n);

    return err ? err : end_cell(t, start);
}

enum bode_err bode_csv_end_row(struct bode_csv *t)
{
    void *p = t->row;
    enum bode_err err;

    err = grow(&p, &t->row_cap, t->n_rows + 1, sizeof(size_t));
    t->row = p;
    if (err)
        return err;
    t->row[t->n_rows++] = t->open_row;
    t->open_row = t->n_cells;
    return BODE_OK;
}

size_t bode_csv_row_len(const struct bode_csv *t, size_t r)
{
    size_t end = r + 1 < t->n_rows ? t->row[r + 1] : t->open_row;

    return end - t->row[r];
}

const char *bode_csv_cell(const struct bode_csv *t, size_t r, size_t c,
                          size_t *len)
{
    const char *s = "";

    if (r < t->n_rows && c < bode_csv_row_len(t, r))
        s = t->data + t->cell[t->row[r] + c];
    if (len)
        *len = strlen(s);
    return s;
}

static bool blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
            return false;
    return true;
}

/* Ends the row being parsed, dropping it (and its cells' bytes) when
 * every cell is blank. */
static enum bode_err end_parsed_row(struct bode_csv *t, size_t data_start)
{
    size_t i;

    for (i = t->open_row; i < t->n_cells; i++)
        if (!blank(t->data + t->cell[i]))
            return bode_csv_end_row(t);
    t->n_cells = t->open_row;
    t->data_len = data_start;
    return BODE_OK;
}

enum bode_err bode_csv_parse(struct bode_csv *t, const char *text, size_t len)
{
    size_t i = 0;
    size_t start;
    size_t row_data;
    enum bode_err err = BODE_OK;

    while (i < len && !err) {
        row_data = t->data_len;
        for (;;) {
            start = t->data_len;
            if (i < len && text[i] == '"') {
                bool closed = false;

                i++;
                while (i < len && !err) {
                    if (text[i] == '"' && i + 1 < len && text[i + 1] == '"') {
                        err = add_bytes(t, "\"", 1);
                        i += 2;
                    } else if (text[i] == '"') {
                        i++;
                        closed = true;
                        break;
                    } else {
                        err = add_bytes(t, text + i, 1);
                        i++;
                    }
                }
                if (!err && !closed)
                    err = BODE_ERR_INVALID;
            }
            /* Unquoted text, or what follows a closing quote (Python's
             * csv keeps it), up to the next separator. */
            while (!err && i < len && text[i] != ',' && text[i] != '\n' &&
                   text[i] != '\r') {
                size_t j = i;

                while (j < len && text[j] != ',' && text[j] != '\n' &&
                       text[j] != '\r')
                    j++;
                err = add_bytes(t, text + i, j - i);
                i = j;
            }
            if (err)
                break;
            err = end_cell(t, start);
            if (err || i >= len || text[i] != ',')
                break;
            i++;
        }
        if (err)
            break;
        if (i < len && text[i] == '\r')
            i++;
        if (i < len && text[i] == '\n')
            i++;
        err = end_parsed_row(t, row_data);
    }
    if (err == BODE_ERR_INVALID) {
        /* Leave the complete rows; drop the broken one. */
        t->n_cells = t->open_row;
    }
    return err;
}
