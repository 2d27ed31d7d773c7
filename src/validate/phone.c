/* Phone number validation and normalisation as Notify does it: its checks
 * on top of libphonenumber's parse, length and type rules, re-done over the
 * generated tables in phone_data.c. It must not allocate or keep state.
 *
 * The steps and their order mirror notifications_utils PhoneNumber and
 * phonenumbers.parse() closely, because clients compare error texts; each
 * function names the upstream function it stands for. */
#include <stdio.h>
#include <string.h>

#include "bode/validate.h"
#include "validate/validate_int.h"

#define MAX_INPUT 250 /* libphonenumber's _MAX_INPUT_STRING_LENGTH */
#define MIN_NSN 2
#define MAX_NSN 17
#define DIGITS_SIZE (MAX_INPUT + 32)

/* The input, one symbol per code point: a digit, '+', 'P' for the
 * separators libphonenumber accepts inside a number, 'W' for whitespace it
 * does not. Anything else is refused before parsing. */
struct symbols {
    char s[MAX_INPUT + 1];
    size_t n;
    bool overflow; /* more than MAX_INPUT code points */
};

/* A parsed number: country calling code and national significant
 * number. */
struct pnum {
    unsigned cc;
    char nsn[MAX_NSN + 1];
    size_t len;
};

enum length_result {
    LEN_POSSIBLE,
    LEN_LOCAL_ONLY,
    LEN_TOO_SHORT,
    LEN_TOO_LONG,
    LEN_INVALID
};

static const char *const legacy_text[BODE_PHONE_ERROR__COUNT] = {
    "",
    ("Number is not valid \xe2\x80\x93 double check the phone number you "
     "entered"),
    "Too many digits",
    "Not enough digits",
    "Not a UK mobile number",
    "Must not contain letters or symbols",
    "Not a valid country prefix",
    "Cannot send to international mobile numbers",
};

static const char *const long_text[BODE_PHONE_ERROR__COUNT] = {
    "",
    ("Number is not valid \xe2\x80\x93 double check the phone number you "
     "entered"),
    "Mobile number is too long",
    "Mobile number is too short",
    ("This does not look like a UK mobile number \xe2\x80\x93 double check "
     "the mobile number you entered"),
    "Mobile numbers can only include: 0 1 2 3 4 5 6 7 8 9 ( ) + -",
    "Country code not found - double check the mobile number you entered",
    "Cannot send to international mobile numbers",
};

const char *bode_validate_phone_message(enum bode_phone_error e)
{
    if ((unsigned)e >= BODE_PHONE_ERROR__COUNT)
        return "";
    return legacy_text[e];
}

const char *bode_validate_phone_message_long(enum bode_phone_error e)
{
    if ((unsigned)e >= BODE_PHONE_ERROR__COUNT)
        return "";
    return long_text[e];
}

const char *bode_validate_phone_metadata_version(void)
{
    return phone_metadata_version;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char upper(char c)
{
    return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

static const struct phone_region *region_by_code(const char *code)
{
    size_t i;

    if (!code || !code[0] || !code[1] || code[2])
        return NULL;
    for (i = 0; i < phone_region_count; i++) {
        if (phone_regions[i].code[0] == upper(code[0]) &&
            phone_regions[i].code[1] == upper(code[1]) &&
            phone_regions[i].code[2] == '\0')
            return &phone_regions[i];
    }
    return NULL;
}

bool bode_validate_region_is_supported(const char *region)
{
    return region_by_code(region) != NULL;
}

static const struct phone_cc *cc_find(unsigned cc)
{
    size_t lo = 0;
    size_t hi = phone_cc_count;
    size_t mid;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        if (phone_ccs[mid].cc == cc)
            return &phone_ccs[mid];
        if (phone_ccs[mid].cc < cc)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* region_code_for_country_code: the main region of a calling code. */
static const struct phone_region *main_region(const struct phone_cc *c)
{
    return &phone_regions[phone_cc_region_index[c->first]];
}

static const struct phone_billing *billing_find(const char *prefix)
{
    size_t i;

    for (i = 0; i < phone_billing_count; i++) {
        if (strcmp(phone_billing[i].prefix, prefix) == 0)
            return &phone_billing[i];
    }
    return NULL;
}

/* _match_national_number: the whole of s matches the description's
 * pattern; possible lengths are not consulted. */
static bool pattern_matches(const struct phone_desc *d, const char *s, size_t n)
{
    return d->pattern && phone_re_match(d->pattern, s, n, true, NULL) >= 0;
}

/* _is_number_matching_desc: possible length, then pattern. */
static bool desc_matches(const struct phone_desc *d, const char *s, size_t n)
{
    if (!d->pattern)
        return false;
    if (d->lengths && (n >= 32 || !(d->lengths & (1u << n))))
        return false;
    return pattern_matches(d, s, n);
}

/* _test_number_length against the general description. */
static enum length_result test_length(const struct phone_region *r, size_t n)
{
    uint32_t lengths = r->desc[PD_GENERAL].lengths;
    uint32_t local = r->desc[PD_GENERAL].local_lengths;
    unsigned min = 0;
    unsigned max = 31;

    if (n < 32 && (local & (1u << n)))
        return LEN_LOCAL_ONLY;
    while (min < 32 && !(lengths & (1u << min)))
        min++;
    while (max > 0 && !(lengths & (1u << max)))
        max--;
    if (n == min)
        return LEN_POSSIBLE;
    if (n < min)
        return LEN_TOO_SHORT;
    if (n > max)
        return LEN_TOO_LONG;
    return (lengths & (1u << n)) ? LEN_POSSIBLE : LEN_INVALID;
}

/* _number_type_helper. */
static enum bode_phone_type number_type(const struct phone_region *r,
                                        const char *nsn, size_t n)
{
    static const struct {
        enum phone_desc_kind desc;
        enum bode_phone_type type;
    } order[] = {
        {PD_PREMIUM_RATE, BODE_PHONE_TYPE_PREMIUM_RATE},
        {PD_TOLL_FREE, BODE_PHONE_TYPE_TOLL_FREE},
        {PD_SHARED_COST, BODE_PHONE_TYPE_SHARED_COST},
        {PD_VOIP, BODE_PHONE_TYPE_VOIP},
        {PD_PERSONAL_NUMBER, BODE_PHONE_TYPE_PERSONAL_NUMBER},
        {PD_PAGER, BODE_PHONE_TYPE_PAGER},
        {PD_UAN, BODE_PHONE_TYPE_UAN},
        {PD_VOICEMAIL, BODE_PHONE_TYPE_VOICEMAIL},
    };
    size_t i;

    if (!desc_matches(&r->desc[PD_GENERAL], nsn, n))
        return BODE_PHONE_TYPE_UNKNOWN;
    for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        if (desc_matches(&r->desc[order[i].desc], nsn, n))
            return order[i].type;
    }
    if (desc_matches(&r->desc[PD_FIXED_LINE], nsn, n)) {
        if (r->same_mobile_fixed || desc_matches(&r->desc[PD_MOBILE], nsn, n))
            return BODE_PHONE_TYPE_FIXED_LINE_OR_MOBILE;
        return BODE_PHONE_TYPE_FIXED_LINE;
    }
    if (!r->same_mobile_fixed && desc_matches(&r->desc[PD_MOBILE], nsn, n))
        return BODE_PHONE_TYPE_MOBILE;
    return BODE_PHONE_TYPE_UNKNOWN;
}

/* region_code_for_number: the region whose rules the number follows, or
 * NULL when none of the calling code's regions claims it. */
static const struct phone_region *region_for(const struct pnum *p)
{
    const struct phone_cc *c = cc_find(p->cc);
    const struct phone_region *r;
    unsigned i;

    if (!c)
        return NULL;
    if (c->count == 1)
        return main_region(c);
    for (i = 0; i < c->count; i++) {
        r = &phone_regions[phone_cc_region_index[c->first + i]];
        if (r->leading) {
            if (phone_re_match(r->leading, p->nsn, p->len, false, NULL) >= 0)
                return r;
        } else if (number_type(r, p->nsn, p->len) != BODE_PHONE_TYPE_UNKNOWN) {
            return r;
        }
    }
    return NULL;
}

/* _maybe_strip_national_prefix_carrier_code: writes the number with any
 * national prefix removed (or transformed) to out and returns its length;
 * out gets num unchanged when nothing applies. out must hold n + 16. */
static size_t strip_national_prefix(const struct phone_region *r,
                                    const char *num, size_t n, char *out)
{
    struct phone_re_caps caps;
    const struct phone_desc *general = &r->desc[PD_GENERAL];
    char tmp[DIGITS_SIZE + 16];
    size_t len = 0;
    const char *p;
    int end;
    int g;
    bool viable;

    memcpy(out, num, n);
    if (n == 0 || !r->npfp)
        return n;
    end = phone_re_match(r->npfp, num, n, false, &caps);
    if (end < 0)
        return n;
    viable = pattern_matches(general, num, n);
    g = caps.ngroups;
    if (!r->npt || g == 0 || g > PHONE_RE_MAX_GROUPS || caps.start[g - 1] < 0) {
        if (viable && !pattern_matches(general, num + end, n - (size_t)end))
            return n;
        memmove(out, num + end, n - (size_t)end);
        return n - (size_t)end;
    }
    for (p = r->npt; *p && len < sizeof(tmp); p++) {
        if (*p == '\\' && p[1] >= '1' && p[1] <= '9') {
            g = p[1] - '1';
            p++;
            if (g < PHONE_RE_MAX_GROUPS && caps.start[g] >= 0) {
                size_t glen = (size_t)(caps.end[g] - caps.start[g]);
                if (len + glen > sizeof(tmp))
                    return n;
                memcpy(tmp + len, num + caps.start[g], glen);
                len += glen;
            }
        } else {
            tmp[len++] = *p;
        }
    }
    if (len + (n - (size_t)end) > sizeof(tmp))
        return n;
    memcpy(tmp + len, num + end, n - (size_t)end);
    len += n - (size_t)end;
    if (viable && !pattern_matches(general, tmp, len))
        return n;
    memcpy(out, tmp, len);
    return len;
}

static size_t collect_digits(const char *s, size_t n, char *out)
{
    size_t i;
    size_t len = 0;

    for (i = 0; i < n; i++) {
        if (is_digit(s[i]))
            out[len++] = s[i];
    }
    return len;
}

enum cc_result { CC_OK, CC_FAIL, CC_INVALID };

/* _maybe_extract_country_code over the symbols s[0..n): sets *cc (0 when
 * the number has none) and, for a found code, the rest of the digits. */
static enum cc_result extract_cc(const char *s, size_t n,
                                 const struct phone_region *r, unsigned *cc,
                                 char *nat, size_t *nat_len)
{
    char full[DIGITS_SIZE];
    char pot[DIGITS_SIZE + 16];
    char code[8];
    size_t flen;
    size_t plen;
    size_t clen;
    size_t i = 0;
    bool from_default = true;
    unsigned v = 0;
    int end;

    *cc = 0;
    *nat_len = 0;
    if (n == 0)
        return CC_OK;
    if (s[0] == '+') {
        while (i < n && s[i] == '+')
            i++;
        flen = collect_digits(s + i, n - i, full);
        from_default = false;
    } else {
        flen = collect_digits(s, n, full);
        end =
            r && r->idd ? phone_re_match(r->idd, full, flen, false, NULL) : -1;
        /* A calling code never starts with 0, so "00" then "0" is not an
         * IDD (_parse_prefix_as_idd). */
        if (end >= 0 && !((size_t)end < flen && full[end] == '0')) {
            flen -= (size_t)end;
            memmove(full, full + end, flen);
            from_default = false;
        }
    }
    if (!from_default) {
        if (flen <= MIN_NSN)
            return CC_FAIL;
        /* _extract_country_code: the shortest known prefix wins. */
        for (i = 0; i < 3 && i < flen && full[0] != '0'; i++) {
            v = v * 10 + (unsigned)(full[i] - '0');
            if (cc_find(v)) {
                *cc = v;
                *nat_len = flen - i - 1;
                memcpy(nat, full + i + 1, *nat_len);
                return CC_OK;
            }
        }
        return CC_INVALID;
    }
    if (!r)
        return CC_OK;
    snprintf(code, sizeof(code), "%u", (unsigned)r->cc);
    clen = strlen(code);
    if (flen >= clen && memcmp(full, code, clen) == 0) {
        plen = strip_national_prefix(r, full + clen, flen - clen, pot);
        if ((!pattern_matches(&r->desc[PD_GENERAL], full, flen) &&
             pattern_matches(&r->desc[PD_GENERAL], pot, plen)) ||
            test_length(r, flen) == LEN_TOO_LONG) {
            *cc = r->cc;
            *nat_len = plen;
            memcpy(nat, pot, plen);
        }
    }
    return CC_OK;
}

/* _is_viable_phone_number over the extracted symbols. */
static bool is_viable(const char *s, size_t n)
{
    size_t i = 0;
    size_t digits = 0;

    if (n < MIN_NSN)
        return false;
    if (n == 2 && is_digit(s[0]) && is_digit(s[1]))
        return true;
    while (i < n && s[i] == '+')
        i++;
    for (; i < n; i++) {
        if (is_digit(s[i]))
            digits++;
        else if (s[i] != 'P')
            return false;
    }
    return digits >= 3;
}

/* phonenumbers.parse(s, region): false for any NumberParseException.
 * r is the default region, NULL for none. */
static bool parse(const char *s, size_t n, bool overflow,
                  const struct phone_region *r, struct pnum *out)
{
    char nat[DIGITS_SIZE + 16];
    char pot[DIGITS_SIZE + 32];
    const struct phone_region *md = r;
    const struct phone_cc *c;
    enum length_result lr;
    enum cc_result res;
    size_t first;
    size_t last;
    size_t nat_len = 0;
    size_t plen;
    unsigned cc = 0;

    if (overflow || n > MAX_INPUT)
        return false;
    /* _extract_possible_number: from the first '+' or digit to the last
     * digit. */
    for (first = 0; first < n && s[first] != '+' && !is_digit(s[first]);
         first++)
        ;
    for (last = n; last > first && !is_digit(s[last - 1]); last--)
        ;
    if (first >= last)
        return false;
    s += first;
    n = last - first;
    if (!is_viable(s, n))
        return false;
    if (!r && s[0] != '+')
        return false;
    res = extract_cc(s, n, md, &cc, nat, &nat_len);
    if (res == CC_INVALID && s[0] == '+') {
        while (n > 0 && s[0] == '+') {
            s++;
            n--;
        }
        res = extract_cc(s, n, md, &cc, nat, &nat_len);
        if (res == CC_OK && cc == 0)
            return false;
    }
    if (res != CC_OK)
        return false;
    if (cc != 0) {
        c = cc_find(cc);
        if (!md || strcmp(main_region(c)->code, md->code) != 0)
            md = main_region(c);
    } else {
        nat_len = collect_digits(s, n, nat);
        cc = md->cc;
    }
    if (nat_len < MIN_NSN)
        return false;
    plen = strip_national_prefix(md, nat, nat_len, pot);
    lr = test_length(md, plen);
    if (lr != LEN_TOO_SHORT && lr != LEN_LOCAL_ONLY && lr != LEN_INVALID) {
        memcpy(nat, pot, plen);
        nat_len = plen;
    }
    if (nat_len < MIN_NSN || nat_len > MAX_NSN)
        return false;
    out->cc = cc;
    memcpy(out->nsn, nat, nat_len);
    out->nsn[nat_len] = '\0';
    out->len = nat_len;
    return true;
}

/* is_possible_number_with_reason. */
static enum length_result possible(const struct pnum *p)
{
    return test_length(main_region(cc_find(p->cc)), p->len);
}

/* Ofcom's drama range, 07700 900000 to 07700 900999. Deliberately
 * narrower than Notify's regex: see docs/internals/validate.md. */
static bool is_tv_number(const struct pnum *p)
{
    size_t i;

    if (p->cc != 44 || p->len != 10 || memcmp(p->nsn, "7700900", 7) != 0)
        return false;
    for (i = 7; i < 10; i++) {
        if (!is_digit(p->nsn[i]))
            return false;
    }
    return true;
}

static bool allowed_type(enum bode_phone_type t)
{
    return t == BODE_PHONE_TYPE_FIXED_LINE || t == BODE_PHONE_TYPE_MOBILE ||
           t == BODE_PHONE_TYPE_FIXED_LINE_OR_MOBILE ||
           t == BODE_PHONE_TYPE_UAN || t == BODE_PHONE_TYPE_PERSONAL_NUMBER;
}

static enum bode_phone_type type_of(const struct pnum *p)
{
    const struct phone_region *r = region_for(p);

    return r ? number_type(r, p->nsn, p->len) : BODE_PHONE_TYPE_UNKNOWN;
}

/* PhoneNumber.parse_phone_number for one candidate string. */
static enum bode_phone_error parse_candidate(const struct symbols *in,
                                             const struct phone_region *home,
                                             struct pnum *out)
{
    struct symbols forced;
    struct pnum alt;
    enum length_result reason;
    enum length_result alt_reason;

    if (in->n == 0 && !in->overflow)
        return BODE_PHONE_TOO_SHORT;
    if (!parse(in->s, in->n, in->overflow, home, out))
        return BODE_PHONE_INVALID_NUMBER;
    reason = possible(out);
    if (reason != LEN_POSSIBLE) {
        /* Excel strips the leading '+': try the digits as international
         * (_validate_forced_international_number). */
        forced.s[0] = '+';
        memcpy(forced.s + 1, in->s, in->n < MAX_INPUT ? in->n : MAX_INPUT);
        forced.n = in->n + 1;
        forced.overflow = in->overflow || forced.n > MAX_INPUT;
        if (parse(forced.s, forced.n, forced.overflow, NULL, &alt)) {
            alt_reason = possible(&alt);
            if (alt_reason == LEN_POSSIBLE || alt_reason == LEN_LOCAL_ONLY) {
                *out = alt;
                reason = LEN_POSSIBLE;
            }
        }
    }
    switch (reason) {
    case LEN_POSSIBLE:
        break;
    case LEN_TOO_LONG:
        return BODE_PHONE_TOO_LONG;
    case LEN_TOO_SHORT:
    case LEN_LOCAL_ONLY:
        return BODE_PHONE_TOO_SHORT;
    case LEN_INVALID:
        return BODE_PHONE_INVALID_NUMBER;
    }
    if (region_for(out) && allowed_type(type_of(out)))
        return BODE_PHONE_OK;
    return is_tv_number(out) ? BODE_PHONE_OK : BODE_PHONE_INVALID_NUMBER;
}

static void push(struct symbols *sy, char c)
{
    if (sy->n < MAX_INPUT)
        sy->s[sy->n++] = c;
    else
        sy->overflow = true;
}

/* Classifies one code point; 0 for a character Notify refuses
 * (_raise_if_phone_number_contains_invalid_characters). */
static char classify(long cp)
{
    if (cp >= '0' && cp <= '9')
        return (char)cp;
    switch (cp) {
    case '+':
        return '+';
    case '-':
    case ' ':
    case '(':
    case ')':
    case 0x00a0:
    case 0x200b:
    case 0x2060:
        return 'P';
    case '\t':
    case '\n':
    case '\r':
    case '\v':
    case '\f':
    case 0x180e:
    case 0x200c:
    case 0x200d:
    case 0xfeff:
        return 'W';
    default:
        return 0;
    }
}

/* Reads the input into the raw candidate and Notify's second candidate,
 * the same with every '+' and then any leading zeros removed
 * (_thoroughly_normalise_number). False for a refused character. */
static bool read_input(const char *in, size_t len, struct symbols *raw,
                       struct symbols *norm)
{
    const unsigned char *u = (const unsigned char *)in;
    size_t i = 0;
    bool started = false;
    long cp;
    char c;

    memset(raw, 0, sizeof(*raw));
    memset(norm, 0, sizeof(*norm));
    while (i < len) {
        cp = validate_utf8_next(u, len, &i);
        c = cp < 0 ? 0 : classify(cp);
        if (!c)
            return false;
        push(raw, c);
        if (c == '+' || (!started && c == '0'))
            continue;
        started = true;
        push(norm, c);
    }
    return true;
}

static enum bode_err fail(struct bode_phone *out, enum bode_phone_error e,
                          enum bode_phone_error_class cls)
{
    out->error = e;
    out->error_class = cls;
    out->message = legacy_text[e];
    return BODE_ERR_INVALID;
}

/* Fills the description of an accepted number (get_international_phone_info
 * and friends). */
static void describe(const struct pnum *p, const struct phone_region *home,
                     struct bode_phone *out)
{
    const struct phone_region *r = region_for(p);
    const struct phone_billing *b;
    bool tv = is_tv_number(p);

    snprintf(out->e164, sizeof(out->e164), "%u%s", p->cc, p->nsn);
    out->country_code = p->cc;
    snprintf(out->prefix, sizeof(out->prefix), "%u", p->cc);
    if (p->cc == 1) {
        /* NANP members billed apart: "1" plus their area code. */
        memcpy(out->prefix, out->e164, 4);
        out->prefix[4] = '\0';
        if (!billing_find(out->prefix))
            snprintf(out->prefix, sizeof(out->prefix), "1");
    }
    if (tv)
        snprintf(out->region, sizeof(out->region), "GB");
    else if (r)
        snprintf(out->region, sizeof(out->region), "%s", r->code);
    out->type =
        tv ? BODE_PHONE_TYPE_TV
           : (r ? number_type(r, p->nsn, p->len) : BODE_PHONE_TYPE_UNKNOWN);
    out->international = strcmp(out->region, home->code) != 0;
    out->crown_dependency =
        p->cc == 44 && !tv && strcmp(out->region, "GB") != 0;
    out->landline = out->type == BODE_PHONE_TYPE_FIXED_LINE ||
                    out->type == BODE_PHONE_TYPE_FIXED_LINE_OR_MOBILE ||
                    out->type == BODE_PHONE_TYPE_UAN;
    b = billing_find(out->prefix);
    out->rate_multiplier = b ? b->rate : 0;
    out->numeric_sender = b && b->alpha == 'N';
}

/* Notify counts a number that may be fixed or mobile as a landline. That
 * suits the UK; where a plan cannot tell the two apart at all (the US and
 * Canada call every number fixed-or-mobile) it would refuse every mobile,
 * so outside +44 only definite landlines need the permission. */
static bool ambiguous_abroad(enum bode_phone_type t,
                             const struct phone_region *home)
{
    return t == BODE_PHONE_TYPE_FIXED_LINE_OR_MOBILE && home->cc != 44;
}

enum bode_err bode_validate_phone(const char *in, size_t len,
                                  const struct bode_phone_opts *opts,
                                  struct bode_phone *out)
{
    static const struct bode_phone_opts defaults;
    struct symbols raw;
    struct symbols norm;
    struct pnum p;
    const struct phone_region *home;
    enum bode_phone_error e;

    memset(out, 0, sizeof(*out));
    if (!opts)
        opts = &defaults;
    home = region_by_code(opts->region ? opts->region : "GB");
    if (!home)
        return BODE_ERR_NOT_FOUND;
    if (!in)
        len = 0;
    if (!read_input(in, len, &raw, &norm))
        return fail(out, BODE_PHONE_UNKNOWN_CHARACTER,
                    BODE_PHONE_CLASS_VALIDATION);
    e = parse_candidate(&raw, home, &p);
    if (e != BODE_PHONE_OK)
        e = parse_candidate(&norm, home, &p);
    if (e != BODE_PHONE_OK)
        return fail(out, e, BODE_PHONE_CLASS_VALIDATION);
    describe(&p, home, out);
    /* The API's order: schema check (calling code billable), then the
     * international permission, then the landline permission. */
    if (!out->rate_multiplier)
        return fail(out, BODE_PHONE_UNSUPPORTED_COUNTRY_CODE,
                    BODE_PHONE_CLASS_VALIDATION);
    if (!opts->allow_international && p.cc != home->cc)
        return fail(out, BODE_PHONE_INTERNATIONAL_NOT_ALLOWED,
                    BODE_PHONE_CLASS_BAD_REQUEST);
    if (!opts->allow_landline && p.cc == home->cc && out->landline &&
        !ambiguous_abroad(out->type, home))
        return fail(out, BODE_PHONE_NOT_A_UK_MOBILE,
                    BODE_PHONE_CLASS_INVALID_PHONE);
    return BODE_OK;
}

static const char *const smoke_phones[] = {
    "447700900000",
    "447700900111",
    "447700900222",
};

bool bode_validate_is_smoke_test_phone(const char *e164)
{
    size_t i;

    if (!e164)
        return false;
    for (i = 0; i < sizeof(smoke_phones) / sizeof(smoke_phones[0]); i++) {
        if (strcmp(e164, smoke_phones[i]) == 0)
            return true;
    }
    return false;
}

enum bode_test_outcome bode_validate_test_outcome_phone(const char *e164)
{
    if (e164 && strcmp(e164, "447700900003") == 0)
        return BODE_TEST_TEMPORARY_FAILURE;
    if (e164 && strcmp(e164, "447700900002") == 0)
        return BODE_TEST_PERMANENT_FAILURE;
    return BODE_TEST_DELIVERED;
}
