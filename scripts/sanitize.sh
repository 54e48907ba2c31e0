#!/usr/bin/env bash
# Builds vhm with clang, AddressSanitizer and UndefinedBehaviorSanitizer, and runs the
# test suite under them (docs/FUZZING.md). The same tree holds the libFuzzer targets
# (VHM_FUZZ): libraries are instrumented for both, so one build serves scripts/fuzz.sh.
#
#   scripts/sanitize.sh                 configure if needed, build everything, run CTest
#   scripts/sanitize.sh --build [TGT]   configure and build only (TGT: one CMake target)
#   scripts/sanitize.sh -- ARGS...      extra CTest arguments (e.g. -R bank)
#
# The tree is build-sanitize/ (or $VHM_SANITIZE_BUILD); CPU only (no CUDA).
#
# Left out (scripts/test.sh runs them, in the gcc build): eleven sweeps that hash many
# corpus videos again and again (bit-exactness against the reference for each of 13
# videos, every frame and one per second; fast pixels against exact on three; every
# variant of the family matrix at one threshold and at every threshold; the 72-variant
# accuracy suite; uploads with their bars cut or added, each through the bank; TMK+PDQF
# of the 14 corpus videos, of which TmkHasher.OddSizedVideo... runs one; four videos on
# "auto" against "cpu", which without a GPU is the cpu path twice). Under ASan they
# took over a third of the suite's time here while running no code the other tests do
# not: one video through the same path checks the same memory.
# $VHM_SANITIZE_EXCLUDE_TESTS (a CTest -E regex) replaces the list; empty runs all.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${VHM_SANITIZE_BUILD:-build-sanitize}
jobs=${VHM_JOBS:-$(nproc)}
# Debian's clang 14 (scripts/install-deps.sh installs it).
cc=${VHM_SANITIZE_CC:-$(command -v clang-14 || command -v clang)}
cxx=${VHM_SANITIZE_CXX:-$(command -v clang++-14 || command -v clang++)}

scripts/install-deps.sh
if [ ! -f "$build/CMakeCache.txt" ]; then
  generator=()
  command -v ninja > /dev/null && generator=(-G Ninja)
  # -O1: a sanitizer build spends its time in checks, not in what -O2 adds; asserts
  # stay on (no NDEBUG), so invariants are checked under fuzzing too. Line tables for
  # the reports come from VHM_SANITIZE (CMakeLists.txt).
  CC=$cc CXX=$cxx cmake -S . -B "$build" "${generator[@]}" \
    -DVHM_FUZZ=ON -DVHM_SANITIZE=ON -DVHM_WITH_CUDA=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1
fi

if [ "${1:-}" = --build ]; then
  cmake --build "$build" -j"$jobs" ${2:+--target "$2"}
  exit 0
fi
[ "${1:-}" = -- ] && shift
cmake --build "$build" -j"$jobs"

source "$root/tests/fuzz/sanitizer-env.sh"
sweeps='^(CliBenchAccuracy\.TransformsRecallAndDistances|CliMatch\.NoCrossFamilyMatchAtAnyTestedThreshold'
sweeps+='|CliHashVideo\.VpdqFilesEqualReferenceForEveryCorpusVideo'
sweeps+='|VideoHasher\.EveryFrameEqualsReferenceDebian12AndUpstreamWithinTolerance'
sweeps+='|VideoHasher\.FastPixelsStayCloseToExact|CliMatch\.EveryVariantMatchesItsFamilyAndNothingElse'
sweeps+='|VideoHasher\.OnePerSecondEqualsReferenceDebian12ByteForByte'
sweeps+='|CliBankBars\.UploadsWithTheBarsCutAwayOrMoreBarsMatchThroughTheBankVariant'
sweeps+='|TmkHasher\.ReproducesTheReferenceHashes|CliMatchSignals\..*'
sweeps+='|VideoHasher\.AutoWithoutGpuEqualsCpu|VideoHasher\.AutoWithoutGpuLogsOncePerProcess)$'
exclude=${VHM_SANITIZE_EXCLUDE_TESTS-$sweeps}
cd "$build"
ctest --output-on-failure -j"$jobs" --timeout 900 ${exclude:+-E "$exclude"} "$@"
