/* Hexadecimal digits, without the locale (isxdigit would consult it). */
#ifndef BODE_HEX_H
#define BODE_HEX_H

/* The value of hex digit c (either case), or -1 when c is not one. */
int bode_hex_value(char c);

#endif
