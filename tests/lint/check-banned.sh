#!/usr/bin/env bash
# Fails when C code calls a function the house style bans (STYLE.md):
# unbounded string functions, the ato* family, and non-reentrant time and
# error functions that are unsafe in threaded code.
set -euo pipefail
cd "${BODE_SOURCE_DIR:-$(dirname "$0")/../..}"
banned='sprintf|vsprintf|strcpy|strcat|strncpy|strtok|gets|atoi|atol|atoll|atof|gmtime|localtime|ctime|asctime|strerror|rand|srand|tmpnam|mktemp'
# A call is the name as a whole word followed by "(", not part of a longer
# name such as snprintf, strerror_r or gmtime_r.
pattern="(^|[^A-Za-z0-9_])(${banned})[[:space:]]*\\("
files=$(git ls-files -co --exclude-standard -- 'src/*.c' 'src/*.h' \
        'include/*.h' 'bench/*.c' 2>/dev/null || find src include bench -name '*.[ch]')
hits=$(grep -nE "$pattern" $files | grep -vE '^\S+:[0-9]+:\s*(/\*|\*)' || true)
if [ -n "$hits" ]; then
    echo "banned functions used (see STYLE.md, Build):"
    echo "$hits"
    exit 1
fi
echo "banned: none of ${banned//|/, } used in $(echo $files | wc -w) files"
