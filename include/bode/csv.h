/* A table of text cells read from CSV (RFC 4180 as Python's csv module
 * reads it) or built row by row, for bulk sends. Pure: no I/O.
 *
 * Memory is bounded by the input: every cell's bytes are stored once in
 * one growing buffer, so a table never takes more than about twice the
 * text it came from plus one offset per cell. Not thread safe per table;
 * tables are independent. */
#ifndef BODE_CSV_H
#define BODE_CSV_H

#include <stddef.h>

#include "bode/err.h"

struct bode_csv {
    char *data;      /* cells, each NUL-terminated, in order */
    size_t data_len; /* bytes used in data */
    size_t data_cap;
    size_t *cell; /* offset of each cell in data */
    size_t n_cells;
    size_t cell_cap;
    size_t *row; /* index in cell of each row's first cell */
    size_t n_rows;
    size_t row_cap;
    size_t open_row; /* first cell of the row being built */
};

/* Makes an empty table in caller memory. */
void bode_csv_init(struct bode_csv *t);

/* Frees what t holds; t is empty again afterwards. Accepts an empty t. */
void bode_csv_release(struct bode_csv *t);

/* Appends the cell s[0..n) to the row being built. BODE_ERR_NOMEM. */
enum bode_err bode_csv_add_cell(struct bode_csv *t, const char *s, size_t n);

/* Ends the row being built (it may have no cells). BODE_ERR_NOMEM. */
enum bode_err bode_csv_end_row(struct bode_csv *t);

/* Parses text[0..len) into t (which must be empty): fields separated by
 * commas, optionally quoted with `"` (`""` inside quotes is one quote),
 * rows ended by CRLF, LF or CR, a newline inside quotes kept. Rows that
 * are empty or whose cells are all blank are left out, as Notify's
 * RecipientCSV does. BODE_ERR_INVALID when a quoted field is not closed
 * before the end (t then holds the rows before it), BODE_ERR_NOMEM. */
enum bode_err bode_csv_parse(struct bode_csv *t, const char *text, size_t len);

/* Number of cells in row r (r < t->n_rows). */
size_t bode_csv_row_len(const struct bode_csv *t, size_t r);

/* Cell c of row r, NUL-terminated, or "" past the row's end. Valid until
 * t changes. *len (may be NULL) gets its length. */
const char *bode_csv_cell(const struct bode_csv *t, size_t r, size_t c,
                          size_t *len);

#endif
