#!/usr/bin/env bash
# gpu-check.sh: builds and runs the GPU PDQ checks without the rest of vhm.
#
# Meant for a GPU machine that has nvcc and CMake but none of vhm's other dependencies
# (no FFmpeg/libjpeg/... headers, no network). It writes a small standalone CMake
# project into its work folder that compiles only
#   kernels/pdq_cuda.cu (or pdq_cuda_none.cpp where there is no nvcc),
#   src/core/status.cpp, src/core/hash256.cpp, src/hash/pdq_reference.cpp,
#   tests/kernels/pdq_cuda_test.cpp   (only when find_package(GTest) finds GoogleTest),
#   bench/gpu_hash_timing.cpp         (GPU vs CPU timing; exits non-zero on any
#                                      hash that differs from the CPU reference),
# runs them, and prints a summary with the figures (also written to
# $OUT/gpu-check.txt, with the full log in $OUT/gpu-check.log, when OUT is set).
# It runs anywhere: without a GPU the GPU tests skip and the timing reports no GPU.
#
# Environment (all optional):
#   VHM_GPU_CHECK_DIR       work folder (default ${TMPDIR:-/tmp}/vhm-gpu-check)
#   VHM_GPU_CHECK_BUDGET_S  time for the whole script in seconds (default 450)
#   VHM_CUDA_ARCH           CUDA architecture, e.g. 90 (default: the GPU's, else 90)
#   VHM_GPU_CHECK_BATCH     frames per timed batch (default 64)
#   CUDACXX                 nvcc to use (default: nvcc on PATH, else /usr/local/cuda/bin/nvcc)
#   VHM_WITH_CUDA=0         build without CUDA (pdq_cuda_none.cpp), as where nvcc is absent
#   VHM_GPU_CHECK_NO_GTEST=1  ignore an installed GoogleTest, as where none is
# Exit status: 0 when everything that ran passed (skips included), 1 otherwise.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${VHM_GPU_CHECK_DIR:-${TMPDIR:-/tmp}/vhm-gpu-check}
BUDGET=${VHM_GPU_CHECK_BUDGET_S:-450}
BATCH=${VHM_GPU_CHECK_BATCH:-64}
START=$SECONDS
JOBS=$(nproc 2>/dev/null || echo 4)

mkdir -p "$WORK/project" "$WORK/build"
LOG="$WORK/gpu-check.log"
SUMMARY="$WORK/gpu-check.txt"
: >"$LOG"

say() { echo "gpu-check: $*" | tee -a "$LOG"; }
# Seconds a step may take: at most $1, and never past the budget (10 s kept back).
step_limit() {
  local want=$1 left=$((BUDGET - (SECONDS - START) - 10))
  ((left < want)) && want=$left
  ((want < 5)) && want=5
  echo "$want"
}
# Runs a step under `timeout`, its output appended to the log (and shown).
run_step() {
  local limit=$1
  shift
  echo "+ $*" >>"$LOG"
  timeout --kill-after=5 "$limit" "$@" 2>&1 | tee -a "$LOG"
  return "${PIPESTATUS[0]}"
}

for f in kernels/pdq_cuda.cu kernels/pdq_cuda_none.cpp kernels/pdq_cuda.h src/core/status.cpp \
  src/core/hash256.cpp src/hash/pdq_reference.cpp tests/kernels/pdq_cuda_test.cpp bench/gpu_hash_timing.cpp; do
  [ -f "$ROOT/$f" ] || { say "missing $ROOT/$f"; exit 1; }
done
command -v cmake >/dev/null || { say "cmake not found"; exit 1; }

# ----------------------------------------------------------------- toolchain and GPU
NVCC=${CUDACXX:-}
[ -z "$NVCC" ] && NVCC=$(command -v nvcc || true)
[ -z "$NVCC" ] && [ -x /usr/local/cuda/bin/nvcc ] && NVCC=/usr/local/cuda/bin/nvcc
[ "${VHM_WITH_CUDA:-1}" = 0 ] && NVCC=""
GPU_LIST="none (no nvidia-smi)"
if command -v nvidia-smi >/dev/null; then
  GPU_LIST=$(nvidia-smi -L 2>&1 | head -4 | tr '\n' ';' | sed 's/;$//')
  [ -z "$GPU_LIST" ] && GPU_LIST="none (nvidia-smi lists nothing)"
fi
ARCH=${VHM_CUDA_ARCH:-}
if [ -z "$ARCH" ] && command -v nvidia-smi >/dev/null; then
  ARCH=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d ' .')
fi
[[ "$ARCH" =~ ^[0-9]+[a-z]?$ ]] || ARCH=90
NVCC_VERSION="none"
[ -n "$NVCC" ] && NVCC_VERSION=$("$NVCC" --version 2>/dev/null | sed -n 's/.*release \([0-9.]*\).*/\1/p' | head -1)
CMAKE_VERSION=$(cmake --version | head -1 | awk '{print $3}')
GENERATOR=()
command -v ninja >/dev/null && GENERATOR=(-G Ninja)
REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "uncommitted")

say "vhm at $ROOT ($REV), work folder $WORK, budget ${BUDGET}s"
say "GPU: $GPU_LIST"
say "nvcc: ${NVCC:-none} ($NVCC_VERSION), cmake $CMAKE_VERSION, CUDA arch $ARCH"

# ----------------------------------------------------------------- the standalone project
cat >"$WORK/project/CMakeLists.txt" <<'CMAKE'
# Written by vhm's scripts/gpu-check.sh: the CUDA PDQ facade, its test and the timing
# program, built from the vhm checkout at VHM_ROOT without vhm's other dependencies.
cmake_minimum_required(VERSION 3.18)
project(vhm_gpu_check LANGUAGES CXX)
if(NOT VHM_ROOT)
  message(FATAL_ERROR "pass -DVHM_ROOT=<vhm checkout>")
endif()
set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
if(NOT CMAKE_BUILD_TYPE)
  set(CMAKE_BUILD_TYPE Release)
endif()
# As in vhm: bit-exact float arithmetic (no fast-math, no contraction into FMA).
add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-ffp-contract=off> $<$<COMPILE_LANGUAGE:CXX>:-fno-fast-math>)
find_package(Threads REQUIRED)

set(HAVE_CUDA OFF)
if(VHM_WITH_CUDA AND CMAKE_CUDA_COMPILER)
  enable_language(CUDA)
  find_package(CUDAToolkit REQUIRED)
  set(CMAKE_CUDA_STANDARD 20)
  set(CMAKE_CUDA_STANDARD_REQUIRED ON)
  if(NOT CMAKE_CUDA20_STANDARD_COMPILE_OPTION)  # CMake < 3.26 knows no nvcc C++20 switch
    set(CMAKE_CUDA20_STANDARD_COMPILE_OPTION "-std=c++20")
    set(CMAKE_CUDA20_EXTENSION_COMPILE_OPTION "-std=c++20")
  endif()
  set(HAVE_CUDA ON)
endif()

add_library(vhm_check_core STATIC
  ${VHM_ROOT}/src/core/status.cpp ${VHM_ROOT}/src/core/hash256.cpp ${VHM_ROOT}/src/core/pdq_hash.cpp ${VHM_ROOT}/src/hash/pdq_reference.cpp)
target_include_directories(vhm_check_core PUBLIC ${VHM_ROOT}/src ${VHM_ROOT})

if(HAVE_CUDA)
  add_library(vhm_check_kernels STATIC ${VHM_ROOT}/kernels/pdq_cuda.cu)
  target_compile_options(vhm_check_kernels PRIVATE
    $<$<COMPILE_LANGUAGE:CUDA>:-fmad=false --prec-div=true --prec-sqrt=true --ftz=false>)
  target_link_libraries(vhm_check_kernels PUBLIC vhm_check_core CUDA::cudart_static)
  target_compile_definitions(vhm_check_kernels PUBLIC VHM_HAVE_CUDA=1)
else()
  add_library(vhm_check_kernels STATIC ${VHM_ROOT}/kernels/pdq_cuda_none.cpp)
  target_link_libraries(vhm_check_kernels PUBLIC vhm_check_core)
endif()

add_executable(gpu_hash_timing ${VHM_ROOT}/bench/gpu_hash_timing.cpp)
target_link_libraries(gpu_hash_timing PRIVATE vhm_check_kernels Threads::Threads)

set(HAVE_GTEST OFF)
find_package(GTest QUIET)
if(GTest_FOUND OR GTEST_FOUND)
  if(TARGET GTest::gtest_main)
    set(_gtest_main GTest::gtest_main)
  else()
    set(_gtest_main GTest::Main)
  endif()
  add_executable(pdq_cuda_test ${VHM_ROOT}/tests/kernels/pdq_cuda_test.cpp)
  target_link_libraries(pdq_cuda_test PRIVATE vhm_check_kernels ${_gtest_main} Threads::Threads)
  set(HAVE_GTEST ON)
endif()
file(WRITE ${CMAKE_BINARY_DIR}/features.txt "cuda=${HAVE_CUDA}\ngtest=${HAVE_GTEST}\n")
CMAKE

CONFIG_ARGS=(-S "$WORK/project" -B "$WORK/build" "${GENERATOR[@]}" -DVHM_ROOT="$ROOT" -DCMAKE_BUILD_TYPE=Release)
if [ -n "$NVCC" ]; then
  CONFIG_ARGS+=(-DVHM_WITH_CUDA=ON -DCMAKE_CUDA_COMPILER="$NVCC" -DCMAKE_CUDA_ARCHITECTURES="$ARCH")
else
  CONFIG_ARGS+=(-DVHM_WITH_CUDA=OFF)
fi
[ "${VHM_GPU_CHECK_NO_GTEST:-0}" = 1 ] && CONFIG_ARGS+=(-DCMAKE_DISABLE_FIND_PACKAGE_GTest=ON)
# A work folder configured earlier with another generator or compiler starts afresh.
rm -f "$WORK/build/CMakeCache.txt"

FAIL=()
say "configuring"
if ! run_step "$(step_limit 150)" cmake "${CONFIG_ARGS[@]}" >/dev/null; then
  say "configure failed (see $LOG)"
  FAIL+=("configure")
fi
if [ ${#FAIL[@]} -eq 0 ]; then
  say "building (${JOBS} jobs)"
  if ! run_step "$(step_limit 300)" cmake --build "$WORK/build" -j "$JOBS" >/dev/null; then
    say "build failed (see $LOG)"
    tail -30 "$LOG"
    FAIL+=("build")
  fi
fi
HAVE_CUDA=$(sed -n 's/^cuda=//p' "$WORK/build/features.txt" 2>/dev/null)
HAVE_GTEST=$(sed -n 's/^gtest=//p' "$WORK/build/features.txt" 2>/dev/null)

# ----------------------------------------------------------------- the GPU tests
TESTS="not run"
if [ ${#FAIL[@]} -eq 0 ]; then
  if [ "$HAVE_GTEST" = "ON" ]; then
    say "running pdq_cuda_test"
    run_step "$(step_limit 180)" "$WORK/build/pdq_cuda_test" --gtest_color=no >"$WORK/test.log"
    rc=$?
    passed=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$WORK/test.log" | tail -1)
    skipped=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$WORK/test.log" | tail -1)
    failed=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$WORK/test.log" | tail -1)
    reason=$(grep -m1 -o 'no usable GPU, GPU tests skipped: .*' "$WORK/test.log" | sed 's/^no usable GPU, GPU tests skipped: //')
    TESTS="${passed:-0} passed, ${skipped:-0} skipped, ${failed:-0} failed"
    if [ "$rc" -ne 0 ]; then
      [ "$rc" -eq 124 ] && TESTS="$TESTS (timed out)"
      TESTS="$TESTS (exit $rc)"
      FAIL+=("tests")
      { grep -E '^\[  FAILED  \] [A-Za-z]' "$WORK/test.log" | sort -u | head -12
        grep -m3 -A4 'Failure' "$WORK/test.log"; } | tee -a "$LOG"
    elif [ -n "${skipped:-}" ] && [ "${skipped:-0}" -gt 0 ]; then
      TESTS="$TESTS: the GPU tests skipped (${reason:-no usable GPU})"
    fi
  else
    TESTS="not built: GoogleTest not found (find_package(GTest)); the timing program checks the bits"
  fi
fi

# ----------------------------------------------------------------- the timing
TIMING="not run"
if [ ${#FAIL[@]} -eq 0 ] || [ "${FAIL[*]}" = "tests" ]; then
  say "running gpu_hash_timing --batch $BATCH"
  run_step "$(step_limit 200)" "$WORK/build/gpu_hash_timing" --batch "$BATCH" >"$WORK/timing.log"
  rc=$?
  TIMING=$(cat "$WORK/timing.log")
  if [ "$rc" -ne 0 ]; then
    FAIL+=("timing (exit $rc$([ "$rc" -eq 124 ] && echo ', timed out'))")
  fi
fi

# ----------------------------------------------------------------- summary
{
  echo "vhm gpu-check $(date -u '+%Y-%m-%d %H:%M:%SZ') ($REV)"
  echo "GPU:     $GPU_LIST"
  echo "tools:   nvcc ${NVCC_VERSION:-?} (${NVCC:-not found}), cmake $CMAKE_VERSION, CUDA arch $ARCH"
  echo "built:   CUDA kernels ${HAVE_CUDA:-?}, GoogleTest ${HAVE_GTEST:-?}"
  echo "tests:   $TESTS"
  echo "timing:"
  echo "$TIMING" | sed 's/^/  /'
  if [ ${#FAIL[@]} -eq 0 ]; then
    echo "result:  OK ($((SECONDS - START)) s)"
  else
    echo "result:  FAIL: ${FAIL[*]} ($((SECONDS - START)) s; log: $LOG)"
  fi
} >"$SUMMARY"
echo
echo "================================ gpu-check summary"
cat "$SUMMARY"
if [ -n "${OUT:-}" ]; then
  mkdir -p "$OUT" && cp "$SUMMARY" "$OUT/gpu-check.txt" && cp "$LOG" "$OUT/gpu-check.log"
fi
[ ${#FAIL[@]} -eq 0 ]
