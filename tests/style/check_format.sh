#!/usr/bin/env bash
# Fails when a C++ file is not in the shape .clang-format describes. Pinned to
# clang-format-14: other versions format differently.
set -euo pipefail
cd "$(dirname "$0")/../.."
files=$(find config gateway filters tests examples -name '*.cc' -o -name '*.h' | sort)
unformatted=()
for file in $files; do
  clang-format-14 --dry-run -Werror "$file" >/dev/null 2>&1 || unformatted+=("$file")
done
if ((${#unformatted[@]})); then
  echo "not clang-format-14 clean (run 'make format'):"
  printf '  %s\n' "${unformatted[@]}"
  exit 1
fi
echo "$(echo "$files" | wc -l) files clang-format-14 clean"
