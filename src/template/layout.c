/* The HTML document around a rendered email body: accessible (lang,
 * title, presentation tables), responsive, table-and-inline-style markup
 * that common mail clients show alike, brandable per service. Must not
 * touch the body: it arrives rendered and escaped. */
#include <string.h>

#include "template/html.h"
#include "template/template_int.h"

#define FONT "font-family: Helvetica, Arial, sans-serif;"
#define PAGE_BG "#F3F2F1"
#define TEXT "#0B0C0C"

static bool valid_colour(const char *c)
{
    size_t n = strlen(c);
    size_t i;

    if ((n != 4 && n != 7) || c[0] != '#')
        return false;
    for (i = 1; i < n; i++)
        if (!strchr("0123456789abcdefABCDEF", c[i]) || !c[i])
            return false;
    return true;
}

static bool valid_url(const char *u)
{
    size_t i;

    if (strncmp(u, "https://", 8) != 0 && strncmp(u, "http://", 7) != 0)
        return false;
    for (i = 0; u[i]; i++)
        if ((unsigned char)u[i] <= 0x20 || u[i] == 0x7F)
            return false;
    return true;
}

static bool valid_lang(const char *l)
{
    size_t i;

    if (!l[0] || strlen(l) > 35)
        return false;
    for (i = 0; l[i]; i++)
        if (!((l[i] >= 'a' && l[i] <= 'z') || (l[i] >= 'A' && l[i] <= 'Z') ||
              (l[i] >= '0' && l[i] <= '9') || l[i] == '-'))
            return false;
    return true;
}

static unsigned hexval(char c)
{
    return c <= '9' ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);
}

/* White or near-black text, whichever reads better on the banner. */
static const char *text_on(const char *colour)
{
    unsigned r;
    unsigned g;
    unsigned b;

    if (strlen(colour) == 4) {
        r = hexval(colour[1]) * 17;
        g = hexval(colour[2]) * 17;
        b = hexval(colour[3]) * 17;
    } else {
        r = hexval(colour[1]) * 16 + hexval(colour[2]);
        g = hexval(colour[3]) * 16 + hexval(colour[4]);
        b = hexval(colour[5]) * 16 + hexval(colour[6]);
    }
    return 299 * r + 587 * g + 114 * b > 140000 ? TEXT : "#FFFFFF";
}

static enum bode_err add_attr(struct bode_buf *out, const char *s)
{
    return html_md_escape(s, strlen(s), true, out);
}

static enum bode_err banner(const struct bode_tmpl_brand *b,
                            struct bode_buf *out)
{
    const char *colour = b->colour ? b->colour : "#FFFFFF";
    const char *fg = text_on(colour);
    const char *alt = b->logo_alt ? b->logo_alt : (b->name ? b->name : "");
    enum bode_err err;

    err = bode_buf_addf(out,
                        "<tr><td class=\"bode-pad\" style=\"padding: 20px "
                        "30px; background-color: %s; color: %s; "
                        "border-bottom: 1px solid #B1B4B6; " FONT
                        " font-size: 24px; line-height: 30px; font-weight: "
                        "bold;\">",
                        colour, fg);
    if (!err && b->logo_url) {
        err = bode_buf_adds(out, "<img src=\"");
        if (!err)
            err = add_attr(out, b->logo_url);
        if (!err)
            err = bode_buf_adds(out, "\" alt=\"");
        if (!err)
            err = add_attr(out, alt);
        if (!err)
            err = bode_buf_adds(out, "\" height=\"40\" style=\"display: "
                                     "inline-block; height: 40px; width: "
                                     "auto; max-width: 100%; border: 0; "
                                     "vertical-align: middle;\">");
        if (!err && b->name)
            err = bode_buf_adds(out, "&nbsp;&nbsp;");
    }
    if (!err && b->name) {
        err = bode_buf_addf(out,
                            "<span style=\"color: %s; "
                            "vertical-align: middle;\">",
                            fg);
        if (!err)
            err = add_attr(out, b->name);
        if (!err)
            err = bode_buf_adds(out, "</span>");
    }
    return err ? err : bode_buf_adds(out, "</td></tr>\n");
}

enum bode_err layout_render(const char *body_html, size_t body_len,
                            const char *subject_html, size_t subject_len,
                            const char *preheader, size_t preheader_len,
                            const struct bode_tmpl_brand *brand,
                            struct bode_buf *out, struct bode_tmpl_error *e)
{
    static const struct bode_tmpl_brand none;
    const struct bode_tmpl_brand *b = brand ? brand : &none;
    const char *lang = b->lang ? b->lang : "en";
    enum bode_err err;

    if (b->colour && !valid_colour(b->colour)) {
        tmpl_error_set(e, "Brand colour must look like #1d70b8");
        return BODE_ERR_INVALID;
    }
    if (b->logo_url && !valid_url(b->logo_url)) {
        tmpl_error_set(e, "Brand logo must be an http or https URL");
        return BODE_ERR_INVALID;
    }
    if (!valid_lang(lang)) {
        tmpl_error_set(e, "Language must be a tag such as en or cy");
        return BODE_ERR_INVALID;
    }
    err = bode_buf_addf(
        out,
        "<!DOCTYPE html>\n<html lang=\"%s\" dir=\"ltr\">\n<head>\n"
        "<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, "
        "initial-scale=1\">\n"
        "<meta name=\"x-apple-disable-message-reformatting\">\n"
        "<meta name=\"color-scheme\" content=\"light\">\n"
        "<meta name=\"supported-color-schemes\" content=\"light\">\n"
        "<title>",
        lang);
    if (!err)
        err = bode_buf_add(out, subject_html, subject_len);
    if (!err)
        err = bode_buf_adds(
            out,
            "</title>\n<style>\n"
            "body { margin: 0; padding: 0; }\n"
            "table, td { border-collapse: collapse; }\n"
            "img { -ms-interpolation-mode: bicubic; }\n"
            "@media only screen and (max-width: 620px) {\n"
            "  .bode-container { width: 100% !important; }\n"
            "  .bode-pad { padding-left: 15px !important; "
            "padding-right: 15px !important; }\n"
            "}\n</style>\n</head>\n"
            "<body style=\"margin: 0; padding: 0; background-color: " PAGE_BG
            "; -webkit-text-size-adjust: 100%; "
            "-ms-text-size-adjust: 100%;\">\n"
            "<div style=\"display: none; max-height: 0; max-width: 0; "
            "overflow: hidden; opacity: 0; font-size: 1px; "
            "line-height: 1px; color: " PAGE_BG ";\">");
    if (!err)
        err = bode_buf_add(out, preheader, preheader_len);
    if (!err)
        err = bode_buf_adds(
            out, "</div>\n"
                 "<table role=\"presentation\" width=\"100%\" "
                 "cellpadding=\"0\" cellspacing=\"0\" border=\"0\" "
                 "style=\"width: 100%; background-color: " PAGE_BG ";\">\n"
                 "<tr><td align=\"center\" style=\"padding: 20px 0;\">\n"
                 "<!--[if mso]><table role=\"presentation\" width=\"580\" "
                 "cellpadding=\"0\" cellspacing=\"0\" border=\"0\"><tr><td>"
                 "<![endif]-->\n"
                 "<table role=\"presentation\" class=\"bode-container\" "
                 "width=\"580\" cellpadding=\"0\" cellspacing=\"0\" "
                 "border=\"0\" style=\"width: 100%; max-width: 580px; "
                 "background-color: #FFFFFF;\">\n");
    if (!err && (b->name || b->logo_url || b->colour))
        err = banner(b, out);
    if (!err)
        err = bode_buf_adds(out, "<tr><td class=\"bode-pad\" "
                                 "style=\"padding: 30px 30px 10px 30px; " FONT
                                 " font-size: 19px; line-height: 25px; "
                                 "color: " TEXT ";\">\n");
    if (!err)
        err = bode_buf_add(out, body_html, body_len);
    if (!err)
        err = bode_buf_adds(out, "\n</td></tr>\n</table>\n"
                                 "<!--[if mso]></td></tr></table><![endif]-->\n"
                                 "</td></tr>\n</table>\n</body>\n</html>\n");
    return err;
}
