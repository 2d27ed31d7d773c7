/* sanitise_content_for: defusing Markdown and links in personalisation
 * values a service does not trust, as Notify does. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "api_int.h"
#include "bode/buf.h"
#include "sanitise.h"

/* Keys match as Notify's InsensitiveDict does: case, spaces, hyphens and
 * underscores do not count. */
static void fold_key(const char *in, char *out, size_t size)
{
    size_t o = 0;

    for (; *in && o + 1 < size; in++)
        if (*in != ' ' && *in != '_' && *in != '-')
            out[o++] = (char)tolower((unsigned char)*in);
    out[o] = '\0';
}

static bool listed(const json_t *list, const char *key)
{
    char want[256];
    char have[256];
    const json_t *item;
    size_t i;

    fold_key(key, want, sizeof(want));
    json_array_foreach(list, i, item)
    {
        if (!json_is_string(item))
            continue;
        fold_key(json_string_value(item), have, sizeof(have));
        if (strcmp(want, have) == 0)
            return true;
    }
    return false;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
           c == '\v';
}

/* A word looks like a link when it has a scheme, starts with www., or is
 * dotted labels ending in a top-level domain of two or more letters. */
static bool looks_like_url(const char *w, size_t n)
{
    size_t i;
    size_t last_dot = 0;
    size_t tld;
    bool dot = false;

    for (i = 0; i + 2 < n; i++)
        if (w[i] == ':' && w[i + 1] == '/' && w[i + 2] == '/' && i > 0)
            return true;
    if (n > 4 && strncasecmp(w, "www.", 4) == 0)
        return true;
    for (i = 0; i < n && w[i] != '/'; i++) {
        if (w[i] == '.') {
            if (i == 0 || w[i - 1] == '.')
                return false;
            dot = true;
            last_dot = i;
        } else if (!isalnum((unsigned char)w[i]) && w[i] != '-') {
            return false;
        }
    }
    if (!dot)
        return false;
    for (tld = last_dot + 1; tld < i; tld++)
        if (!isalpha((unsigned char)w[tld]))
            return false;
    return i - last_dot - 1 >= 2;
}

static bool only_host_chars(const char *w, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (!isalnum((unsigned char)w[i]) && w[i] != '.' && w[i] != '-')
            return false;
    return true;
}

static enum bode_err escape_markdown(struct bode_buf *out, const char *s,
                                     size_t n)
{
    static const char special[] = "`*_(){}[]<>#+-.!|\\";
    enum bode_err err = BODE_OK;
    size_t i;

    for (i = 0; !err && i < n; i++) {
        if (strchr(special, s[i]) && s[i])
            err = bode_buf_addc(out, '\\');
        if (!err)
            err = bode_buf_addc(out, s[i]);
    }
    return err;
}

enum bode_err bode_api_sanitise_value(const char *in, size_t len,
                                      struct bode_buf *out)
{
    struct bode_buf stage;
    enum bode_err err = BODE_OK;
    size_t i = 0;
    size_t start;
    size_t k;

    bode_buf_init(&stage, out->cap);
    while (!err && i < len) {
        if (is_space(in[i])) {
            err = bode_buf_addc(&stage, in[i++]);
            continue;
        }
        start = i;
        while (i < len && !is_space(in[i]))
            i++;
        if (!looks_like_url(in + start, i - start)) {
            err = bode_buf_add(&stage, in + start, i - start);
        } else if (only_host_chars(in + start, i - start)) {
            /* "example.com" becomes "example. com": no longer a link. */
            for (k = start; !err && k < i; k++) {
                err = bode_buf_addc(&stage, in[k]);
                if (!err && in[k] == '.' && k + 1 < i)
                    err = bode_buf_addc(&stage, ' ');
            }
        }
        /* Anything else that looks like a URL is dropped. */
    }
    if (!err)
        err = escape_markdown(out, bode_buf_str(&stage), stage.len);
    bode_buf_release(&stage);
    return err;
}

enum bode_err bode_api_sanitise(const json_t *pers, const json_t *list,
                                json_t **clean, json_t **report)
{
    struct bode_buf b;
    const char *key;
    json_t *value;
    json_t *copy = NULL;
    json_t *changed = json_object();
    enum bode_err err = BODE_OK;

    *clean = NULL;
    *report = NULL;
    if (!changed)
        return BODE_ERR_NOMEM;
    if (!pers || !list || json_array_size(list) == 0) {
        *report = changed;
        return BODE_OK;
    }
    copy = json_deep_copy(pers);
    if (!copy) {
        json_decref(changed);
        return BODE_ERR_NOMEM;
    }
    bode_buf_init(&b, 4u << 20);
    json_object_foreach(copy, key, value)
    {
        if (!json_is_string(value) || !listed(list, key))
            continue;
        bode_buf_reset(&b);
        err = bode_api_sanitise_value(json_string_value(value),
                                      json_string_length(value), &b);
        if (err)
            break;
        if (b.len == json_string_length(value) &&
            memcmp(bode_buf_str(&b), json_string_value(value), b.len) == 0)
            continue;
        if (json_object_set_new(changed, key,
                                json_pack("{s:s, s:s%}", "unsanitised",
                                          json_string_value(value), "sanitised",
                                          bode_buf_str(&b), b.len)) ||
            json_string_setn(value, bode_buf_str(&b), b.len)) {
            err = BODE_ERR_NOMEM;
            break;
        }
    }
    bode_buf_release(&b);
    if (err) {
        json_decref(copy);
        json_decref(changed);
        return err;
    }
    *clean = copy;
    *report = changed;
    return BODE_OK;
}
