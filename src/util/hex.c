/* Hexadecimal digits for the parsers that decode them (UUIDs, the master
 * key, percent-encoding in URLs and forms). */
#include "bode/hex.h"

int bode_hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}
