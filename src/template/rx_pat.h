/* Every regular expression the template module uses, in Python `re`
 * syntax, generated from mistune 0.8.4 with the notifications-utils
 * grammar changes, notifications-utils formatters and smartypants 2.0.
 * X-macro: RX_ENUM(id, flags, pattern). No include guard on purpose. */
RX_ENUM(RX_B_NEWLINE, 0, "^\\n+")
RX_ENUM(RX_B_BLOCK_CODE, 0, "^( {4}[^\\n]+\\n*)+")
RX_ENUM(RX_B_FENCES, 0,
        "^ *(`{3,}|~{3,}) *([^`\\s]+)\? *\\n([\\s\\S]+\?)\\s*\\1 *(\?"
        ":\\n+|$)")
RX_ENUM(RX_B_HRULE, 0, "^ {0,3}[-*_](\?: *[-*_]){2,} *(\?:\\n+|$)")
RX_ENUM(RX_B_HEADING, 0, "^ *(#{1,6}) *([^\\n]+\?) *#* *(\?:\\n+|$)")
RX_ENUM(RX_B_NPTABLE, 0,
        "^ *(\\S.*\\|.*)\\n *([-:]+ *\\|[-| :]*)\\n((\?:.*\\|.*(\?:"
        "\\n|$))*)\\n*")
RX_ENUM(RX_B_LHEADING, 0, "^([^\\n]+)\\n *(=|-)+ *(\?:\\n+|$)")
RX_ENUM(RX_B_BLOCK_QUOTE, 0, "^( *\\^[^\\n]+(\\n[^\\n]+)*\\n*)+")
RX_ENUM(RX_B_LIST_BLOCK, 0,
        "^( *)([\342\200\242*-]|\\d+\\.)[\\s\\S]+\?(\?:\\n+(\?=\\1\?("
        "\?:[-*_] *){3,}(\?:\\n+|$))|\\n+(\?= *\\[([^^\\]]+)\\]: *<\?"
        "([^\\s>]+)>\?(\?: +[\"(]([^\\n]+)[\")])\? *(\?:\\n+|$))|\\n+"
        "(\?=\\[\\^([^\\]]+)\\]: *([^\\n]*(\?:\\n+|$)(\?: {1,}[^\\n]*"
        "(\?:\\n+|$))*))|\\n{2,}(\?! )(\?!\\1(\?:[\342\200\242*-]|\\d"
        "+\\.) )\\n*|\\s*$)")
RX_ENUM(RX_B_BLOCK_HTML, 0,
        "^ *(\?:<!--[\\s\\S]*\?-->|<((\?!(\?:a|em|strong|small|s|cite"
        "|q|dfn|abbr|data|time|code|var|samp|kbd|sub|sup|i|b|u|mark|r"
        "uby|rt|rp|bdi|bdo|span|br|wbr|ins|del|img|font)\\b)\\w+(\?!:"
        "/|[^\\w\\s@]*@)\\b)((\?:\\s*[a-zA-Z\\-](\?:\\s*\\=\\s*(\?:\""
        "[^\"]*\"|'[^']*'|[^\\s'\">]+))\?)*\?)>([\\s\\S]*\?)<\\/\\1>|"
        "<(\?!(\?:a|em|strong|small|s|cite|q|dfn|abbr|data|time|code|"
        "var|samp|kbd|sub|sup|i|b|u|mark|ruby|rt|rp|bdi|bdo|span|br|w"
        "br|ins|del|img|font)\\b)\\w+(\?!:/|[^\\w\\s@]*@)\\b(\?:\\s*["
        "a-zA-Z\\-](\?:\\s*\\=\\s*(\?:\"[^\"]*\"|'[^']*'|[^\\s'\">]+)"
        ")\?)*\?\\s*\\/\?>) *(\?:\\n{2,}|\\s*$)")
RX_ENUM(RX_B_DEF_LINKS, 0,
        "^ *\\[([^^\\]]+)\\]: *<\?([^\\s>]+)>\?(\?: +[\"(]([^\\n]+)["
        "\")])\? *(\?:\\n+|$)")
RX_ENUM(RX_B_DEF_FOOTNOTES, 0,
        "^\\[\\^([^\\]]+)\\]: *([^\\n]*(\?:\\n+|$)(\?: {1,}[^\\n]*(\?"
        ":\\n+|$))*)")
RX_ENUM(RX_B_TABLE, 0,
        "^ *\\|(.+)\\n *\\|( *[-:]+[-| :]*)\\n((\?: *\\|.*(\?:\\n|$))"
        "*)\\n*")
RX_ENUM(RX_B_PARAGRAPH, 0,
        "^((\?:[^\\n]+\\n\?(\?! *(`{3,}|~{3,}) *([^`\\s]+)\? *\\n(["
        "\\s\\S]+\?)\\s*\\2 *(\?:\\n+|$)|( *)(\?=[*+-]|\\d+\\.)(([*+-"
        "])\?(\?:\\d+\\.)\?) [\\s\\S]+\?(\?:\\n+(\?=\\3\?(\?:[-*_] *)"
        "{3,}(\?:\\n+|$))|\\n+(\?= *\\[([^^\\]]+)\\]: *<\?([^\\s>]+)>"
        "\?(\?: +[\"(]([^\\n]+)[\")])\? *(\?:\\n+|$))|\\n+(\?=\\[\\^("
        "[^\\]]+)\\]: *([^\\n]*(\?:\\n+|$)(\?: {1,}[^\\n]*(\?:\\n+|$)"
        ")*))|\\n+(\?=\\3(\?(3)\\d+\\.|[*+-]) )|\\n{2,}(\?! )(\?!"
        "\\3(\?:[*+-]|\\d+\\.) )\\n*|\\s*$)| {0,3}[-*_](\?: *[-*_]){2"
        ",} *(\?:\\n+|$)| *(#{1,6}) *([^\\n]+\?) *#* *(\?:\\n+|$)|([^"
        "\\n]+)\\n *(=|-)+ *(\?:\\n+|$)|( *>[^\\n]+(\\n[^\\n]+)*\\n*)"
        "+| *\\[([^^\\]]+)\\]: *<\?([^\\s>]+)>\?(\?: +[\"(]([^\\n]+)["
        "\")])\? *(\?:\\n+|$)|\\[\\^([^\\]]+)\\]: *([^\\n]*(\?:\\n+|$"
        ")(\?: {1,}[^\\n]*(\?:\\n+|$))*)|<(\?!(\?:a|em|strong|small|s"
        "|cite|q|dfn|abbr|data|time|code|var|samp|kbd|sub|sup|i|b|u|m"
        "ark|ruby|rt|rp|bdi|bdo|span|br|wbr|ins|del|img|font)\\b)\\w+"
        "(\?!:/|[^\\w\\s@]*@)\\b))+)\\n*")
RX_ENUM(RX_B_TEXT, 0, "^[^\\n]+")
RX_ENUM(RX_B_LIST_ITEM, RXF_M,
        "^(( *)(\?:[\342\200\242*-]|\\d+\\.)[^\\n]*(\?:\\n(\?!\\2(\?:"
        "[\342\200\242*-]|\\d+\\.))[^\\n]*)*)")
RX_ENUM(RX_B_LIST_BULLET, 0, "^ *(\?:[\342\200\242*-]|\\d+\\.)")
RX_ENUM(RX_B_LOOSE, 0, "\\n\\n(\?!\\s*$)")
RX_ENUM(RX_I_ESCAPE, 0, "^\\\\([\\\\`*{}\\[\\]()#+\\-.!_>~|])")
RX_ENUM(RX_I_INLINE_HTML, 0,
        "^(\?:<!--[\\s\\S]*\?-->|<(\\w+(\?!:/|[^\\w\\s@]*@)\\b)((\?:"
        "\\s*[a-zA-Z\\-](\?:\\s*\\=\\s*(\?:\"[^\"]*\"|'[^']*'|[^\\s'"
        "\">]+))\?)*\?)\\s*>([\\s\\S]*\?)<\\/\\1>|<\\w+(\?!:/|[^\\w"
        "\\s@]*@)\\b(\?:\\s*[a-zA-Z\\-](\?:\\s*\\=\\s*(\?:\"[^\"]*\"|"
        "'[^']*'|[^\\s'\">]+))\?)*\?\\s*\\/\?>)")
RX_ENUM(RX_I_AUTOLINK, 0, "^<([^ >]+(@|:)[^ >]+)>")
RX_ENUM(RX_I_URL, 0, "^(https\?:\\/\\/[^\\s<]+[^<.,:\"')\\]\\s])")
RX_ENUM(RX_I_FOOTNOTE, 0, "^\\[\\^([^\\]]+)\\]")
RX_ENUM(RX_I_LINK, 0,
        "^!\?\\[((\?:\\[[^^\\]]*\\]|[^\\[\\]]|\\](\?=[^\\[]*\\]))*)"
        "\\]\\(\\s*(<)\?([\\s\\S]*\?)(\?(2)>)(\?:\\s+['\"]([\\s\\S]*"
        "\?)['\"])\?\\s*\\)")
RX_ENUM(RX_I_REFLINK, 0,
        "^!\?\\[((\?:\\[[^^\\]]*\\]|[^\\[\\]]|\\](\?=[^\\[]*\\]))*)"
        "\\]\\s*\\[([^^\\]]*)\\]")
RX_ENUM(RX_I_NOLINK, 0, "^!\?\\[((\?:\\[[^\\]]*\\]|[^\\[\\]])*)\\]")
RX_ENUM(RX_I_LINEBREAK, 0, "^ *\\n(\?!\\s*$)")
RX_ENUM(RX_I_TEXT, 0, "^[\\s\\S]+\?(\?=[\\\\<!\\[_*`~]|https\?://| *\\n|$)")
RX_ENUM(RX_MD_ESCAPE_AMP, 0, "&(\?!#\?\\w+;)")
RX_ENUM(RX_MD_KEY_SPACE, 0, "\\s+")
RX_ENUM(RX_F_GOVUK, RXF_I, "(^|\\s)(#|\\*|\\^)\?(GOV)\\.(UK)(\?!\\/|\\\?|#)")
RX_ENUM(RX_F_SPACE_PUNCT, 0, "(\?<![ \\t])[ \\t]+([,\\.])")
RX_ENUM(RX_F_HYPHENS, 0, "(\?<!\\s)\\s+[-\342\200\223\342\200\224]{1,3}\\s+")
RX_ENUM(RX_F_EMAIL_QUOTES, RXF_M, "(^|\\s)\\S+@\\S+(\\s|$)")
RX_ENUM(RX_F_CHARREF_STRICT, 0,
        "&(#[0-9]+;|#[xX][0-9a-fA-F]+;|[^\\t\\n\\f <&#;]{1,32};)")
RX_ENUM(RX_F_CHARREF, 0,
        "&(#[0-9]+;\?|#[xX][0-9a-fA-F]+;\?|[^\\t\\n\\f <&#;]{1,32};\?"
        ")")
RX_ENUM(RX_SP_TAG_SOUP, RXF_S, "([^<]*)(<!--.*\?--\\s*>|<[^>]*>)")
RX_ENUM(RX_SP_SKIP_TAG, RXF_I,
        "<(/)\?(pre|samp|code|tt|kbd|script|style|math|a)[^>]*>")
RX_ENUM(RX_SP_Q1, 0,
        "^'(\?=[!\"#\\$\\%'()*+,-.\\/:;<=>\?\\@\\[\\\\\\]\\^_`{|}~]"
        "\\\\B)")
RX_ENUM(RX_SP_Q2, 0,
        "^\"(\?=[!\"#\\$\\%'()*+,-.\\/:;<=>\?\\@\\[\\\\\\]\\^_`{|}~]"
        "\\\\B)")
RX_ENUM(RX_SP_Q3, 0, "\"'(\?=\\w)")
RX_ENUM(RX_SP_Q4, 0, "'\"(\?=\\w)")
RX_ENUM(RX_SP_Q5, 0, "\\b'(\?=\\d{2}s)")
RX_ENUM(RX_SP_Q6, 0, "(\\s|&nbsp;|--|&[mn]dash;|&&\\#x201[34];)'(\?=\\w)")
RX_ENUM(RX_SP_Q7, 0, "([^\\ \\t\\r\\n\\[\\{\\(\\-])'(\?!\\s|s\\b|\\d)")
RX_ENUM(RX_SP_Q8, 0, "([^\\ \\t\\r\\n\\[\\{\\(\\-])'(\\s|s\\b)")
RX_ENUM(RX_SP_Q10, 0, "(\\s|&nbsp;|--|&[mn]dash;|&&\\#x201[34];)\"(\?=\\w)")
RX_ENUM(RX_SP_Q11, 0, "\"(\?=\\s)")
RX_ENUM(RX_SP_Q12, 0, "([^\\ \\t\\r\\n\\[\\{\\(\\-])\\\"")
RX_ENUM(RX_T_BACKREF, 0, "(a|b)c\\1")
RX_ENUM(RX_T_COND, 0, "(<)\?x(\?(1)>|y)")
RX_ENUM(RX_T_BEHIND, 0, "(\?<![ \\t])[ \\t]+([,\\.])")
RX_ENUM(RX_T_LAZY, 0, "a{2,3}\?b*\?c")
RX_ENUM(RX_B_CODE_LEADING, 0, "^ {4}")
RX_ENUM(RX_B_QUOTE_LEADING, 0, "^ *\\^ \?")
RX_ENUM(RX_TB_HEAD_TRIM, 0, "^ *| *\\| *$")
RX_ENUM(RX_TB_SPLIT, 0, " *\\| *")
RX_ENUM(RX_TB_CELLS_END, 0, "(\?: *\\| *)\?\\n$")
RX_ENUM(RX_TB_ROW_TRIM, 0, "^ *\\| *| *\\| *$")
RX_ENUM(RX_TB_SPLIT_ESC, 0, " *(\?<!\\\\)\\| *")
RX_ENUM(RX_TB_NL_END, 0, "\\n$")
