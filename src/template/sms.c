/* Text-message characters: Notify's downgrades to GSM-7, then GSM-7 or
 * UCS-2 encoding and fragment counting. Must not change characters that
 * have no GSM-7 equivalent: they are sent as UCS-2, never as '?'. */
#include <string.h>

#include "template/template_int.h"
#include "template/uni.h"

static bool in_sorted(const unsigned *tab, size_t n, uint32_t cp)
{
    size_t lo = 0;
    size_t hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (cp < tab[mid])
            hi = mid;
        else if (cp > tab[mid])
            lo = mid + 1;
        else
            return true;
    }
    return false;
}

bool sms_is_gsm_ext(uint32_t cp)
{
    return cp < 0x80 ? strchr("^{}\\[~]|", (int)cp) != NULL && cp != 0
                     : cp == 0x20AC;
}

bool sms_is_gsm(uint32_t cp)
{
    return sms_is_gsm_ext(cp) ||
           in_sorted(sms_gsm_basic_tab, sms_gsm_basic_tab_len, cp);
}

static bool is_welsh(uint32_t cp)
{
    return in_sorted(sms_welsh_tab, sms_welsh_tab_len, cp);
}

/* Notify's explicit replacements: the contract's list (dashes, quotes,
 * ellipsis, zero-width and no-break spaces, tab, L with stroke). */
static const char *replacement(uint32_t cp)
{
    switch (cp) {
    case 0x2011: /* non-breaking hyphen */
    case 0x2013: /* en dash */
    case 0x2014: /* em dash */
    case 0x2212: /* minus sign */
        return "-";
    case 0x2026:
        return "...";
    case 0x2018:
    case 0x2019:
    case 0x201A:
        return "'";
    case 0x201C:
    case 0x201D:
    case 0x201E:
        return "\"";
    case 0x180E:
    case 0x200B:
    case 0x200C:
    case 0x200D:
    case 0x2060:
    case 0xFEFF:
    case 0x2028:
    case 0x2029:
        return "";
    case 0x00A0:
    case 0x202F:
    case '\t':
        return " ";
    case 0x0141:
        return "L";
    case 0x0142:
        return "l";
    default:
        return NULL;
    }
}

static uint32_t decomposed(uint32_t cp)
{
    size_t lo = 0;
    size_t hi = sms_decomp_tab_len;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (cp < sms_decomp_tab[mid].from)
            hi = mid;
        else if (cp > sms_decomp_tab[mid].from)
            lo = mid + 1;
        else
            return sms_decomp_tab[mid].to;
    }
    return 0;
}

enum bode_err sms_encode(const char *s, size_t n, struct bode_buf *out)
{
    enum bode_err err = BODE_OK;
    size_t i = 0;

    while (i < n && !err) {
        uint32_t cp;
        size_t len = uni_decode(s + i, n - i, &cp);
        const char *rep;
        uint32_t down;
        char tmp[4];

        if (sms_is_gsm(cp) || is_welsh(cp)) {
            err = bode_buf_add(out, s + i, len);
        } else if ((rep = replacement(cp)) != NULL) {
            err = bode_buf_adds(out, rep);
        } else if ((down = decomposed(cp)) != 0) {
            err = bode_buf_add(out, tmp, uni_encode(down, tmp));
        } else {
            err = bode_buf_add(out, s + i, len);
        }
        i += len;
    }
    return err;
}

void bode_sms_measure(const char *s, size_t n, struct bode_sms_info *info)
{
    size_t septets = 0;
    size_t units = 0;
    size_t chars = 0;
    bool gsm = true;
    size_t i = 0;

    while (i < n) {
        uint32_t cp;

        i += uni_decode(s + i, n - i, &cp);
        chars++;
        units += cp >= 0x10000 ? 2 : 1;
        if (sms_is_gsm_ext(cp))
            septets += 2;
        else if (sms_is_gsm(cp))
            septets += 1;
        else
            gsm = false;
    }
    info->chars = chars;
    if (gsm) {
        info->encoding = BODE_SMS_GSM7;
        info->units = septets;
        info->fragments =
            septets <= 160 ? 1 : (unsigned)((septets + 152) / 153);
    } else {
        info->encoding = BODE_SMS_UCS2;
        info->units = units;
        info->fragments = units <= 70 ? 1 : (unsigned)((units + 66) / 67);
    }
}
