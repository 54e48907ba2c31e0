// The optimised CPU PDQ path: the same operations as the reference, in the same
// order for every element, rearranged for SIMD and for cache:
//   - row box filters run 8 rows at a time, one row per AVX lane, after an in-register
//     8x8 transpose, so each lane's running sum adds exactly what the reference adds;
//   - column box filters stream row by row with a vector of running sums;
//   - the second pass computes only what the 64x64 decimation reads (running sums
//     still visit every element, divisions happen only at sampled positions);
//   - luminance uses per-byte product tables (bitwise equal to computing 0.299f*R ...).
// Machines without AVX2 fall back to the reference path. Tests compare both bit for bit.
#pragma once

#include <vector>

#include "hash/pdq.h"

namespace vhm::pdq {

// Buffers reused across frames, so a video hashes without allocating per frame.
// One per thread.
struct FastScratch {
  std::vector<float> a, b, c, d, e;
};

// True when this CPU runs the AVX2 path (false: the reference path is used).
bool fast_path_uses_avx2();

PdqDct dct_from_image_fast(const ImageView& image, FastScratch& scratch);

// The AVX2 implementation itself (call only when fast_path_uses_avx2()).
PdqDct dct_from_image_avx2(const ImageView& image, FastScratch& scratch);

}  // namespace vhm::pdq
