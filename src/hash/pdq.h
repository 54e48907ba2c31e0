// PDQ hashing: types and the reference-order implementation.
//
// A frame or image is given as a view on pixels the caller owns (RGB24, grey or float
// luminance, any size, any row stride). PDQ follows Meta's reference step by step:
// luminance -> two Jarosz box-filter passes -> 64x64 decimation -> 16x16 DCT ->
// median threshold -> 256 bits, plus a quality score 0..100.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/hash256.h"
#include "core/image_view.h"
#include "core/pdq_hash.h"

namespace vhm {

namespace pdq {

// Fills `luma` (width*height floats, row-major) from an image, as the reference does.
void luma_from_image(const ImageView& image, float* luma);

// The reference algorithm, written to follow Meta's code operation by operation.
// `luma` is overwritten (the box filters work in place); `scratch` must hold as
// many floats. This is the plain twin every faster path is tested against.
PdqDct dct_from_luma_reference(float* luma, float* scratch, int width, int height);

// 64x64 downsample -> quality and 16x16 DCT (the tail shared by all CPU paths).
PdqDct dct_from_64x64(const float* buffer64x64);

// Hash bits of a DCT (a zero hash when the image was too small).
Hash256 hash_from_dct(const PdqDct& dct);

// The DCT of the image transformed by `d`, derived by sign flips and transposes.
std::array<float, 256> dct_dihedral(const std::array<float, 256>& original, Dihedral d);

}  // namespace pdq

// Convenience: hash one image with the reference-order path.
PdqHash pdq_hash_reference(const ImageView& image);

// All eight dihedral hashes of one image (index by Dihedral), and its quality.
struct PdqDihedralHashes {
  std::array<Hash256, kDihedralCount> hashes;
  int quality = 0;
};
PdqDihedralHashes pdq_dihedral_from_dct(const PdqDct& dct);

}  // namespace vhm
