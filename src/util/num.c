/* Decimal digits without snprintf. */
#include "bode/num.h"

size_t bode_format_padded(unsigned long v, int width, char *out)
{
    char tmp[24];
    size_t n = 0;
    size_t i;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while ((int)n < width && n < sizeof(tmp))
        tmp[n++] = '0';
    for (i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

size_t bode_format_ll(long long v, char *out)
{
    /* Negated as unsigned, so LLONG_MIN does not overflow. */
    unsigned long long mag =
        v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    size_t n = 0;
    char tmp[24];
    size_t k = 0;

    if (v < 0)
        out[n++] = '-';
    do {
        tmp[k++] = (char)('0' + mag % 10);
        mag /= 10;
    } while (mag);
    while (k)
        out[n++] = tmp[--k];
    out[n] = '\0';
    return n;
}
