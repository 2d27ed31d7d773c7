/* Recipient validation: email addresses and phone numbers, accepted,
 * rejected and normalised as GOV.UK Notify's notifications-utils does it.
 *
 * Pure functions: no I/O, no allocation that outlives a call, no global
 * mutable state. Every function here is thread safe. Results and errors go
 * into caller-owned fixed-size structs; error texts are static strings that
 * stay valid for the life of the program. See docs/internals/validate.md. */
#ifndef BODE_VALIDATE_H
#define BODE_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include "bode/err.h"

/* Notify's one email error text. */
#define BODE_EMAIL_ERROR "Not a valid email address"

/* Longest accepted address, in Unicode code points, and the buffer size
 * that holds any accepted address as UTF-8 with its NUL. */
#define BODE_EMAIL_MAX_CHARS 320
#define BODE_EMAIL_SIZE (BODE_EMAIL_MAX_CHARS * 4 + 1)

/* A validated email address, or why it was refused. */
struct bode_email {
    /* Notify's stored form: whitespace and zero-width characters removed,
     * lower-cased. UTF-8, NUL-terminated. */
    char address[BODE_EMAIL_SIZE];
    size_t address_len;
    /* The same address with the domain as IDNA A-labels ("xn--..."): pure
     * ASCII, for the SMTP envelope. Equal to address for ASCII domains. */
    char ascii[BODE_EMAIL_SIZE];
    size_t ascii_len;
    bool idn;            /* the domain had non-ASCII labels */
    const char *message; /* NULL on success, else BODE_EMAIL_ERROR */
};

/* Validates the len bytes at in (UTF-8, need not be NUL-terminated) as an
 * email address and fills caller-owned out. Returns BODE_OK;
 * BODE_ERR_INVALID with out->message set when the address is refused
 * (including any CR, LF, NUL or other control character, so an accepted
 * address cannot inject SMTP headers); BODE_ERR_NOMEM if libidn2 runs out
 * of memory. in may be NULL only when len is 0. */
enum bode_err bode_validate_email(const char *in, size_t len,
                                  struct bode_email *out);

/* Which of Notify's phone errors refused a number. */
enum bode_phone_error {
    BODE_PHONE_OK = 0,
    BODE_PHONE_INVALID_NUMBER,
    BODE_PHONE_TOO_LONG,
    BODE_PHONE_TOO_SHORT,
    BODE_PHONE_NOT_A_UK_MOBILE,
    BODE_PHONE_UNKNOWN_CHARACTER,
    BODE_PHONE_UNSUPPORTED_COUNTRY_CODE,
    BODE_PHONE_INTERNATIONAL_NOT_ALLOWED,
    BODE_PHONE_ERROR__COUNT
};

/* Which Notify error the API wraps the message in (notify-api.md §2.2). */
enum bode_phone_error_class {
    BODE_PHONE_CLASS_NONE = 0,
    BODE_PHONE_CLASS_VALIDATION,    /* ValidationError "phone_number <msg>" */
    BODE_PHONE_CLASS_INVALID_PHONE, /* InvalidPhoneError "<msg>" */
    BODE_PHONE_CLASS_BAD_REQUEST    /* BadRequestError "<msg>" */
};

/* libphonenumber's number types, plus TV for Ofcom's drama range. */
enum bode_phone_type {
    BODE_PHONE_TYPE_UNKNOWN = 0,
    BODE_PHONE_TYPE_FIXED_LINE,
    BODE_PHONE_TYPE_MOBILE,
    BODE_PHONE_TYPE_FIXED_LINE_OR_MOBILE,
    BODE_PHONE_TYPE_TOLL_FREE,
    BODE_PHONE_TYPE_PREMIUM_RATE,
    BODE_PHONE_TYPE_SHARED_COST,
    BODE_PHONE_TYPE_VOIP,
    BODE_PHONE_TYPE_PERSONAL_NUMBER,
    BODE_PHONE_TYPE_PAGER,
    BODE_PHONE_TYPE_UAN,
    BODE_PHONE_TYPE_VOICEMAIL,
    BODE_PHONE_TYPE_TV
};

/* What a service may send to. A zeroed struct means: home region GB, UK
 * mobiles only (Notify's defaults). */
struct bode_phone_opts {
    const char *region;       /* home region, ISO 3166-1 alpha-2; NULL = GB */
    bool allow_international; /* Notify's international_sms permission */
    bool allow_landline;      /* Notify's sms_to_uk_landlines permission */
};

/* E.164 digits are at most 15; the buffer leaves room for odd metadata. */
#define BODE_PHONE_E164_SIZE 24

/* A validated phone number, or why it was refused. */
struct bode_phone {
    char e164[BODE_PHONE_E164_SIZE]; /* "447700900123": no '+' */
    char prefix[8];                  /* billing prefix: "44", "1", "1664" */
    char region[4]; /* "GB", "JE", "US"; "001" for +800 and kin */
    unsigned country_code;
    enum bode_phone_type type;
    bool international;       /* not the home region (Notify's definition) */
    bool crown_dependency;    /* +44 in Jersey, Guernsey or the Isle of Man */
    bool landline;            /* fixed line, fixed-or-mobile or UAN */
    unsigned rate_multiplier; /* Notify's SMS billing multiplier */
    bool numeric_sender;      /* the country refuses alphanumeric senders */
    enum bode_phone_error error;
    enum bode_phone_error_class error_class;
    const char *message; /* NULL on success, else the v2 API text */
};

/* Validates the len bytes at in (UTF-8, need not be NUL-terminated) as a
 * phone number under opts (NULL = defaults) and fills caller-owned out.
 * Follows Notify's whole API path: parsing and schema checks, then the
 * international permission, then the landline permission. Returns BODE_OK;
 * BODE_ERR_INVALID with out->error, out->error_class and out->message set
 * (when the number parsed but its country or a permission refused it, the
 * description fields are filled too); BODE_ERR_NOT_FOUND when opts->region
 * is not a supported region (a configuration error: out->message stays
 * NULL). in may be NULL only when len is 0. */
enum bode_err bode_validate_phone(const char *in, size_t len,
                                  const struct bode_phone_opts *opts,
                                  struct bode_phone *out);

/* Notify's v2 API ("legacy") text for e, as bode_validate_phone reports
 * it, e.g. "Too many digits". Never NULL; "" for BODE_PHONE_OK. */
const char *bode_validate_phone_message(enum bode_phone_error e);

/* Notify's current long text for e (what its admin app shows), e.g.
 * "Mobile number is too long". Never NULL; "" for BODE_PHONE_OK. */
const char *bode_validate_phone_message_long(enum bode_phone_error e);

/* True when region (ISO 3166-1 alpha-2, any case) can be the home region,
 * i.e. the numbering tables have its national-number rules. */
bool bode_validate_region_is_supported(const char *region);

/* Version of the libphonenumber metadata the tables were built from. */
const char *bode_validate_phone_metadata_version(void);

/* True when address (a normalised address from bode_validate_email) is one
 * of Notify's smoke-test recipients: fake success, nothing stored or sent
 * (notify-api.md §8). */
bool bode_validate_is_smoke_test_email(const char *address);

/* True when e164 (from bode_validate_phone) is a smoke-test number:
 * 07700900000, 07700900111 or 07700900222. */
bool bode_validate_is_smoke_test_phone(const char *e164);

/* The simulated outcome of sending to a recipient with a test API key
 * (notify-api.md §3.4). */
enum bode_test_outcome {
    BODE_TEST_DELIVERED = 0,
    BODE_TEST_TEMPORARY_FAILURE,
    BODE_TEST_PERMANENT_FAILURE
};

/* Outcome for a normalised email address: temp-fail@simulator.notify and
 * perm-fail@simulator.notify fail; everything else is delivered. */
enum bode_test_outcome bode_validate_test_outcome_email(const char *address);

/* Outcome for normalised digits: 447700900003 fails temporarily,
 * 447700900002 permanently; everything else is delivered. */
enum bode_test_outcome bode_validate_test_outcome_phone(const char *e164);

#endif
