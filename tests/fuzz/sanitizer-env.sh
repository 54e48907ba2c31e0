# shellcheck shell=bash
# Sanitizer run-time settings, sourced by scripts/sanitize.sh (the test suite) and
# scripts/fuzz.sh (the fuzzers), so that both judge the same way. Needs $root (the
# checkout).
#
# ASan: leaks are findings, with third-party leaks suppressed by name (lsan.supp says
# which and why); the symbolizer gives file:line in every report.
# UBSan: a report stops the process (the build also says -fno-sanitize-recover=all)
# and prints its stack.
_vhm_symbolizer=$(command -v llvm-symbolizer-14 || command -v llvm-symbolizer || true)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:check_initialization_order=1:strict_init_order=1:detect_stack_use_after_return=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/tests/fuzz/lsan.supp:print_suppressions=0}
[ -n "$_vhm_symbolizer" ] && export ASAN_SYMBOLIZER_PATH=$_vhm_symbolizer
unset _vhm_symbolizer
