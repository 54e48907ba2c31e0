// The portable Hamming kernels and the run-time choice (hamming_scan.h). This file is
// built without -mavx2/-mpopcnt, so what it holds runs on every x86-64.
#include "index/hamming_scan.h"

#include <bit>
#include <cstdlib>
#include <cstring>

namespace vhm::hamming {
namespace {

void range_scan_portable(const Hash256* codes, size_t n, const Hash256& q, int max_distance, uint32_t first_row,
                         std::vector<ScanHit>& out) {
  for (size_t i = 0; i < n; ++i) {
    const int d = codes[i].hamming(q);
    if (d <= max_distance) out.push_back({first_row + static_cast<uint32_t>(i), d});
  }
}

void distances_portable(const Hash256* codes, size_t n, const Hash256& q, uint16_t* out) {
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint16_t>(codes[i].hamming(q));
}

void verify_rows_portable(const Hash256* codes, const uint32_t* rows, size_t n, const Hash256& q, int max_distance,
                          std::vector<ScanHit>& out) {
  for (size_t i = 0; i < n; ++i) {
    const int d = codes[rows[i]].hamming(q);
    if (d <= max_distance) out.push_back({rows[i], d});
  }
}

const Kernels kPortable{"portable", range_scan_portable, distances_portable, verify_rows_portable};

const Kernels& choose() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  const char* cap = std::getenv("VHM_HAMMING_KERNEL");
  const bool portable_only = cap && !std::strcmp(cap, "portable");
  const bool avx2_only = cap && !std::strcmp(cap, "avx2");
  if (!portable_only && !avx2_only && avx512_kernels() && __builtin_cpu_supports("avx512f") &&
      __builtin_cpu_supports("avx512vpopcntdq"))
    return *avx512_kernels();
  if (!portable_only && avx2_kernels() && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt"))
    return *avx2_kernels();
#endif
  return kPortable;
}

}  // namespace

const Kernels& portable_kernels() { return kPortable; }

const Kernels& kernels() {
  static const Kernels& chosen = choose();
  return chosen;
}

}  // namespace vhm::hamming
