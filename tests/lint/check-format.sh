#!/usr/bin/env bash
# Fails when any C file in the tree differs from what clang-format makes of
# it (.clang-format at the top). Prints the files and a diff to fix them.
set -euo pipefail
cd "${BODE_SOURCE_DIR:-$(dirname "$0")/../..}"
fmt=$(command -v clang-format || command -v clang-format-14 || true)
if [ -z "$fmt" ]; then
    echo "clang-format not installed (scripts/test installs it)" >&2
    exit 1
fi
bad=0
while IFS= read -r f; do
    if ! "$fmt" --dry-run --Werror "$f" >/dev/null 2>&1; then
        echo "not formatted: $f (run: $fmt -i $f)"
        bad=$((bad + 1))
    fi
done < <(git ls-files -co --exclude-standard -- '*.c' '*.h' 2>/dev/null ||
         find src include tests bench -name '*.[ch]')
if [ "$bad" -ne 0 ]; then
    echo "$bad file(s) need clang-format"
    exit 1
fi
echo "format: all C files clean"
