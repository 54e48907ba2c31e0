// The Hamming-distance kernels every CPU index runs: a scan of contiguous codes, and the
// verification of scattered candidate rows. Chosen once at run time: AVX-512 VPOPCNTDQ
// where the CPU has it, else AVX2 with the POPCNT instruction, else a portable loop
// (Debian's baseline x86-64 has neither AVX2 nor POPCNT).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/hash256.h"

namespace vhm::hamming {

struct ScanHit {
  uint32_t row = 0;
  int32_t distance = 0;
};

struct Kernels {
  const char* name;
  // Appends {first_row + i, d} for every codes[i] (i < n) within max_distance (inclusive).
  void (*range_scan)(const Hash256* codes, size_t n, const Hash256& query, int max_distance, uint32_t first_row,
                     std::vector<ScanHit>& out);
  // out[i] = hamming(codes[i], query) for i < n.
  void (*distances)(const Hash256* codes, size_t n, const Hash256& query, uint16_t* out);
  // Appends {rows[i], d} for every codes[rows[i]] within max_distance; the rows are
  // scattered, so they are prefetched ahead.
  void (*verify_rows)(const Hash256* codes, const uint32_t* rows, size_t n, const Hash256& query, int max_distance,
                      std::vector<ScanHit>& out);
};

// The best kernels this CPU runs ("avx512-vpopcntdq", "avx2-popcnt" or "portable"); the
// environment variable VHM_HAMMING_KERNEL=portable|avx2 caps the choice (tests, benches).
const Kernels& kernels();
const Kernels& portable_kernels();

// Defined in hamming_scan_avx2.cpp (built with -mavx2 -mpopcnt); nullptr when the file
// is built for another architecture.
const Kernels* avx2_kernels();
const Kernels* avx512_kernels();

}  // namespace vhm::hamming
