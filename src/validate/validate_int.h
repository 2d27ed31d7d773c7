/* Private to src/validate: the phone numbering tables (generated into
 * phone_data.c) and the small regular-expression matcher that reads their
 * patterns. Nothing here is part of Bode's public contract. */
#ifndef BODE_VALIDATE_INT_H
#define BODE_VALIDATE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Number descriptions in libphonenumber's type-test order. */
enum phone_desc_kind {
    PD_GENERAL,
    PD_PREMIUM_RATE,
    PD_TOLL_FREE,
    PD_SHARED_COST,
    PD_VOIP,
    PD_PERSONAL_NUMBER,
    PD_PAGER,
    PD_UAN,
    PD_VOICEMAIL,
    PD_FIXED_LINE,
    PD_MOBILE,
    PD__COUNT
};

/* One number type of one region. pattern is NULL when the region has no
 * numbers of that type; lengths has bit n set when a national significant
 * number of n digits is possible. */
struct phone_desc {
    const char *pattern;
    uint32_t lengths;
    uint32_t local_lengths;
};

/* One region's numbering plan. code is the ISO 3166-1 alpha-2 code, or
 * "001" for a non-geographic calling code such as +800. The four pattern
 * strings may be NULL. */
struct phone_region {
    char code[4];
    uint16_t cc;
    uint8_t same_mobile_fixed;
    const char *idd;     /* international (IDD) prefix pattern */
    const char *npfp;    /* national prefix for parsing pattern */
    const char *npt;     /* national prefix transform rule */
    const char *leading; /* leading digits that pick this region */
    struct phone_desc desc[PD__COUNT];
};

/* A country calling code and its regions, the main region first: entries
 * [first, first + count) of phone_cc_region_index. */
struct phone_cc {
    uint16_t cc;
    uint16_t first;
    uint8_t count;
};

/* A Notify billing prefix: "44", "1664". alpha is 'Y', 'N', 'R' or 0 for
 * unknown, as the alpha attribute in Notify's billing table. */
struct phone_billing {
    char prefix[5];
    uint8_t rate;
    char alpha;
};

extern const char phone_metadata_version[];
extern const struct phone_region phone_regions[];
extern const size_t phone_region_count;
extern const uint16_t phone_cc_region_index[];
extern const struct phone_cc phone_ccs[];
extern const size_t phone_cc_count;
extern const struct phone_billing phone_billing[];
extern const size_t phone_billing_count;

/* Decodes the UTF-8 code point at in[*i] (i < len) and advances *i past
 * it. Returns the code point, or -1 for malformed input (overlong forms,
 * surrogates, truncation, values past U+10FFFF), leaving *i alone. */
long validate_utf8_next(const unsigned char *in, size_t len, size_t *i);

#define PHONE_RE_MAX_GROUPS 4

/* Capture spans of a match: start[i] < 0 when group i + 1 took no part. */
struct phone_re_caps {
    int ngroups;
    int start[PHONE_RE_MAX_GROUPS];
    int end[PHONE_RE_MAX_GROUPS];
};

/* Matches the metadata regular expression pat (digits, [classes], \d,
 * groups, |, ?, {n}, {n,m}, $) against the digits s[0..n). With full the
 * whole of s must match (Python's re.fullmatch); otherwise a prefix may
 * (re.match) and its length is returned. Returns -1 for no match. caps may
 * be NULL. Pure and thread safe. */
int phone_re_match(const char *pat, const char *s, size_t n, bool full,
                   struct phone_re_caps *caps);

/* Number of capturing groups in pat. */
int phone_re_groups(const char *pat);

#endif
