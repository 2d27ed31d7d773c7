#!/usr/bin/python3
"""Generates src/validate/phone_data.c, the phone numbering tables.

Numbering facts come from Google's libphonenumber metadata as shipped by
Debian's python3-phonenumbers (apt-get install python3-phonenumbers); the
billing prefixes, rate multipliers and alphanumeric-sender support come from
GOV.UK Notify's notifications_utils/international_billing_rates.yml, copied
into BILLING below. Run from the repository root:

    /usr/bin/python3 src/validate/phone_data_gen.py > src/validate/phone_data.c

The output is deterministic, so a regenerated file diffs cleanly.
"""
import sys

import phonenumbers
from phonenumbers import PhoneMetadata

# prefix, rate multiplier (Notify's billable_units), alpha sender support
# (Y = YES, N = NO, R = REG, - = unknown).
BILLING = """
1 1 N|7 4 R|20 3 R|27 2 N|30 2 Y|31 3 Y|32 3 N|33 2 Y|34 2 Y|36 3 N|39 2 Y
40 2 R|41 2 Y|43 3 R|44 1 Y|45 2 Y|46 2 Y|47 3 Y|48 2 Y|49 4 Y|51 2 N
52 2 N|53 2 N|54 3 N|55 2 N|56 1 N|57 1 N|58 2 N|60 1 N|61 2 Y|62 2 R
63 1 R|64 3 N|65 1 R|66 2 R|81 3 N|82 2 N|84 2 R|86 2 N|90 2 R|91 3 R
92 2 Y|93 3 R|94 2 Y|95 2 R|98 2 N|211 2 -|212 2 R|213 2 R|216 2 Y
218 2 N|220 2 Y|221 2 Y|222 2 -|223 2 Y|224 3 Y|225 2 Y|226 3 Y|227 3 Y
228 2 -|229 3 -|230 2 Y|231 2 -|232 2 Y|233 2 Y|234 4 R|235 3 Y|236 3 -
237 2 Y|238 3 -|239 2 -|240 2 -|241 2 Y|242 3 Y|243 3 Y|244 3 Y|245 3 -
246 2 -|248 2 Y|249 2 -|250 2 Y|251 2 Y|252 2 -|253 2 -|254 1 R|255 1 Y
256 2 R|257 3 -|258 2 Y|260 2 Y|261 2 Y|262 2 -|263 1 Y|264 2 R|265 2 Y
266 2 -|267 2 Y|268 2 Y|269 2 -|291 4 Y|297 3 -|298 2 -|299 2 -|350 2 N
351 2 Y|352 2 Y|353 3 Y|354 2 Y|355 2 Y|356 2 Y|357 2 R|358 3 Y|359 4 N
370 2 Y|371 2 Y|372 2 Y|373 3 N|374 3 R|375 1 R|376 2 Y|377 2 N|378 3 -
380 4 R|381 1 R|382 2 R|383 4 -|385 2 R|386 2 R|387 2 R|389 1 Y|420 4 R
421 2 Y|423 1 Y|500 2 Y|501 3 Y|502 3 N|503 2 Y|504 2 -|505 3 -|506 2 Y
507 2 N|508 2 -|509 3 -|590 2 N|591 3 Y|592 2 Y|593 1 N|594 2 -|595 2 -
596 2 -|597 4 -|598 1 N|599 3 Y|670 2 -|672 3 -|673 1 Y|674 2 -|675 2 Y
676 2 -|677 1 -|678 2 -|679 2 Y|680 3 -|681 4 Y|682 3 -|683 4 Y|685 3 -
686 4 Y|687 3 Y|689 2 Y|690 4 Y|691 2 -|692 1 -|852 3 R|853 1 Y|855 3 N
856 2 N|880 3 Y|886 2 N|960 2 -|961 2 N|962 2 Y|963 3 N|964 2 Y|965 2 R
966 2 Y|967 2 -|968 1 R|970 4 -|971 2 R|972 3 Y|973 3 Y|974 1 R|975 2 -
976 2 N|977 2 N|992 2 Y|993 2 -|994 2 Y|995 2 R|996 2 Y|998 2 R|1242 2 N
1246 3 N|1264 3 Y|1268 3 Y|1284 3 Y|1345 3 Y|1441 3 -|1473 3 Y|1649 3 Y
1664 3 N|1684 3 N|1721 1 -|1758 3 Y|1767 3 Y|1784 3 Y|1868 3 -|1869 3 Y
1876 3 Y
"""

# Patterns taken from later libphonenumber releases where the packaged
# metadata is known to be wrong, keyed by (region, description). Jersey's
# 7797 0-6 mobiles were missing until 8.13; Notify's tests rely on them.
OVERRIDES = {
    ("JE", "mobile"):
        r"7(?:(?:(?:50|82)9|937)\d|7(?:00[378]|97\d))\d{5}",
}

# Order matters: it is libphonenumber's _number_type_helper order.
DESCS = [
    ("PD_GENERAL", "general_desc"),
    ("PD_PREMIUM_RATE", "premium_rate"),
    ("PD_TOLL_FREE", "toll_free"),
    ("PD_SHARED_COST", "shared_cost"),
    ("PD_VOIP", "voip"),
    ("PD_PERSONAL_NUMBER", "personal_number"),
    ("PD_PAGER", "pager"),
    ("PD_UAN", "uan"),
    ("PD_VOICEMAIL", "voicemail"),
    ("PD_FIXED_LINE", "fixed_line"),
    ("PD_MOBILE", "mobile"),
]


def cstr(s):
    if s is None or s == "":
        return "NULL"
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def mask(lengths):
    m = 0
    for n in lengths or ():
        if n < 0:
            return 0
        assert n < 32
        m |= 1 << n
    return m


def emit_pattern(out, s, indent):
    """Splits a long pattern over lines of at most 80 columns, never inside
    an escape sequence."""
    if s is None or s == "":
        out.append(indent + "NULL")
        return
    units = []
    i = 0
    while i < len(s):
        if s[i] == "\\" and i + 1 < len(s):
            units.append("\\\\" + s[i + 1])
            i += 2
        else:
            units.append(s[i])
            i += 1
    width = 80 - len(indent) - 3  # two quotes and a trailing comma
    lines = [""]
    for u in units:
        if len(lines[-1]) + len(u) > width:
            lines.append("")
        lines[-1] += u
    out.append("\n".join(indent + '"' + c + '"' for c in lines))


def region_entry(code, md):
    out = []
    out.append("    {")
    out.append('        "%s", %d, %d,' % (code, md.country_code,
               1 if md.same_mobile_and_fixed_line_pattern else 0))
    for attr in ("international_prefix", "national_prefix_for_parsing",
                 "national_prefix_transform_rule", "leading_digits"):
        emit_pattern(out, getattr(md, attr), "        ")
        out[-1] += ","
    out.append("        {")
    for enum, attr in DESCS:
        d = getattr(md, attr)
        pat = d.national_number_pattern if d is not None else None
        pat = OVERRIDES.get((code, attr), pat)
        lens = d.possible_length if d is not None else ()
        local = d.possible_length_local_only if d is not None else ()
        if pat is None or mask(lens) == 0:
            out.append("            {NULL, 0, 0},")
            continue
        out.append("            {")
        emit_pattern(out, pat, "                ")
        out[-1] += ","
        out.append("                0x%xu, 0x%xu}," % (mask(lens), mask(local)))
    out.append("        },")
    out.append("    },")
    return "\n".join(out)


def main():
    w = sys.stdout.write
    w("/* Phone numbering tables: generated by phone_data_gen.py; do not "
      "edit.\n")
    w(" * Numbering metadata: libphonenumber %s (python3-phonenumbers).\n"
      % phonenumbers.__version__)
    w(" * Billing: GOV.UK Notify international_billing_rates.yml. */\n")
    w("/* clang-format off */\n")
    w("#include \"validate/validate_int.h\"\n\n")
    w("const char phone_metadata_version[] = \"%s\";\n\n"
      % phonenumbers.__version__)

    regions = []
    for r in sorted(phonenumbers.SUPPORTED_REGIONS):
        regions.append((r, PhoneMetadata.metadata_for_region(r)))
    for cc in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        regions.append(("001", PhoneMetadata.metadata_for_nongeo_region(cc)))
    index = {}
    for i, (r, md) in enumerate(regions):
        index[(r, md.country_code)] = i

    w("const struct phone_region phone_regions[] = {\n")
    w("\n".join(region_entry(r, md) for r, md in regions))
    w("\n};\n\n")
    w("const size_t phone_region_count = %d;\n\n" % len(regions))

    # Country calling code -> regions, main region first (libphonenumber's
    # COUNTRY_CODE_TO_REGION_CODE order).
    ccs = sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE.items())
    flat = []
    rows = []
    for cc, rlist in ccs:
        first = len(flat)
        for r in rlist:
            flat.append(index[(r, cc)])
        rows.append("    {%d, %d, %d}," % (cc, first, len(rlist)))
    w("const uint16_t phone_cc_region_index[] = {\n")
    for i in range(0, len(flat), 12):
        w("    " + ", ".join(str(x) for x in flat[i:i + 12]) + ",\n")
    w("};\n\n")
    w("const struct phone_cc phone_ccs[] = {\n")
    w("\n".join(rows))
    w("\n};\n\n")
    w("const size_t phone_cc_count = %d;\n\n" % len(rows))

    items = []
    for line in BILLING.strip().splitlines():
        for item in line.split("|"):
            prefix, rate, alpha = item.split()
            items.append((prefix, int(rate), alpha))
    items.sort(key=lambda x: x[0])
    assert len({p for p, _, _ in items}) == len(items)
    w("const struct phone_billing phone_billing[] = {\n")
    for prefix, rate, alpha in items:
        a = "0" if alpha == "-" else "'%s'" % alpha
        w('    {"%s", %d, %s},\n' % (prefix, rate, a))
    w("};\n\n")
    w("const size_t phone_billing_count = %d;\n" % len(items))


if __name__ == "__main__":
    main()
