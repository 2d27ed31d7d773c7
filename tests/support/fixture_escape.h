/* The escapes the data-driven fixtures use (tests/fixtures/email/README.md):
 * \\ \t \n \r \v \f, \xHH (a byte), \uXXXX and \UXXXXXXXX (a code point,
 * written as UTF-8). */
#ifndef BODE_FIXTURE_ESCAPE_H
#define BODE_FIXTURE_ESCAPE_H

/* Decodes s into out (at least as long as s plus one) and returns the
 * length, or -1 for a malformed escape. */
long test_unescape(const char *s, char *out);

#endif
