#!/usr/bin/env bash
# The style checks CI runs (docs/STYLE.md, .clang-format, .clang-tidy):
#   scripts/check-style.sh format     every C++ file of the tree formatted as .clang-format says
#   scripts/check-style.sh naming     the naming rules of .clang-tidy over every source of
#                                     src/, index/, kernels/ and bench/ and the headers they
#                                     include (needs build/compile_commands.json: run after
#                                     scripts/build.sh or scripts/test.sh)
#   scripts/check-style.sh            both
# To fix formatting: git ls-files '*.h' '*.cpp' '*.cu' | xargs clang-format-14 -i
# Exit status: 0 clean, 1 findings (each printed with its file and line), 2 usage.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
case "$what" in format|naming|all) ;; *) echo "usage: $0 [format|naming|all]" >&2; exit 2 ;; esac
BUILD=${VHM_BUILD_DIR:-build}
JOBS=${VHM_JOBS:-$(nproc)}
failed=0

if [ "$what" != naming ]; then
  mapfile -t files < <(git ls-files '*.h' '*.cpp' '*.cu' | grep -v '^tests/fuzz/regressions/')
  if ! clang-format-14 --dry-run -Werror "${files[@]}"; then
    echo "check-style: files not formatted as .clang-format says (clang-format-14 -i FILE fixes them)" >&2
    failed=1
  else
    echo "check-style: ${#files[@]} files formatted"
  fi
fi

if [ "$what" != format ]; then
  if [ ! -f "$BUILD/compile_commands.json" ]; then
    echo "check-style: $BUILD/compile_commands.json missing: configure first (scripts/build.sh)" >&2
    exit 2
  fi
  root=$(pwd)
  mapfile -t sources < <(git ls-files 'src/*.cpp' 'index/*.cpp' 'kernels/*.cpp' 'bench/*.cpp')
  # Only the naming check: the rest of .clang-tidy's checks advise, they do not gate.
  if ! printf '%s\n' "${sources[@]}" |
      xargs -P "$JOBS" -n 8 clang-tidy-14 -p "$BUILD" --quiet --checks='-*,readability-identifier-naming' \
        --warnings-as-errors='*' --header-filter="^$root/(src|index|kernels|bench)/" 2>/dev/null; then
    echo "check-style: names that break .clang-tidy's rules (above)" >&2
    failed=1
  else
    echo "check-style: naming of ${#sources[@]} sources and their headers OK"
  fi
fi
exit $failed
