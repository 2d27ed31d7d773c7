/* Error codes shared by every Bode module.
 *
 * Actions return enum bode_err; BODE_OK is zero so `if (err)` reads
 * naturally. Detail for the caller (which field, which line) travels in a
 * caller-supplied struct owned by the module that needs it, never in heap
 * strings. */
#ifndef BODE_ERR_H
#define BODE_ERR_H

enum bode_err {
    BODE_OK = 0,
    BODE_ERR_NOMEM,     /* an allocation failed */
    BODE_ERR_INVALID,   /* input the caller gave is malformed */
    BODE_ERR_NOT_FOUND, /* the thing asked for does not exist */
    BODE_ERR_AUTH,      /* credentials missing or wrong */
    BODE_ERR_TOO_BIG,   /* input or output over a fixed cap */
    BODE_ERR_REDIS,     /* Redis answered with an error or not at all */
    BODE_ERR_TRANSIENT, /* may work if tried again later */
    BODE_ERR_PERMANENT, /* will never work as asked */
    BODE_ERR_IO,        /* a system call on a file or socket failed */
    BODE_ERR_CONFLICT,  /* state changed under us, or already exists */
    BODE_ERR__COUNT
};

/* Returns a fixed, human-readable English sentence fragment for err.
 * Never NULL; unknown values give "unknown error". Thread safe. */
const char *bode_err_str(enum bode_err err);

/* Describes the system error number errnum in buf (thread safe, unlike
 * strerror) and returns the text, which may be buf or a static string. */
const char *bode_errno_str(int errnum, char *buf, unsigned long size);

#endif
