/* Decimal formatting for hot paths, where snprintf's format parsing and
 * locale handling cost more than the digits. */
#ifndef BODE_NUM_H
#define BODE_NUM_H

#include <stddef.h>

/* Writes v in decimal and a NUL to out (21 bytes are always enough);
 * returns the characters written, NUL not counted. */
size_t bode_format_ll(long long v, char *out);

/* Writes v in decimal, zero-padded to at least width digits (v >= 0),
 * without a NUL; returns the characters written. */
size_t bode_format_padded(unsigned long v, int width, char *out);

#endif
