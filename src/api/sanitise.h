/* Private to api/: Notify's sanitise_content_for. */
#ifndef BODE_API_SANITISE_H
#define BODE_API_SANITISE_H

#include <jansson.h>

#include "bode/buf.h"
#include "bode/err.h"

/* Appends in[0..len) to out with URL-looking words defused (a bare host
 * name has its dots spaced out, anything else is removed) and Markdown's
 * special characters backslash-escaped. */
enum bode_err bode_api_sanitise_value(const char *in, size_t len,
                                      struct bode_buf *out);

/* For each string value of pers whose key list names (matching keys
 * ignoring case, spaces, hyphens and underscores), sanitises it. *clean is
 * a new copy of pers with the changes (NULL when nothing is listed: use
 * pers), *report a new object of {"key": {"unsanitised", "sanitised"}} for
 * the values that changed. */
enum bode_err bode_api_sanitise(const json_t *pers, const json_t *list,
                                json_t **clean, json_t **report);

#endif
