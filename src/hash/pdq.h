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

namespace vhm {

enum class PixelFormat {
  kRgb24,  // packed R,G,B bytes
  kGray8,  // one byte per pixel, used as luminance directly (as the reference does)
};

// Pixels the caller owns. `stride` is bytes between row starts (>= width * channels).
struct ImageView {
  const uint8_t* data = nullptr;
  int width = 0;
  int height = 0;
  ptrdiff_t stride = 0;
  PixelFormat format = PixelFormat::kRgb24;
};

struct PdqHash {
  Hash256 hash;
  int quality = 0;
  friend bool operator==(const PdqHash&, const PdqHash&) = default;
};

// The eight dihedral transforms, in the order the reference tool prints them.
enum class Dihedral : int {
  kOriginal = 0,
  kRotate90,
  kRotate180,
  kRotate270,
  kFlipX,
  kFlipY,
  kFlipPlus1,
  kFlipMinus1,
};
inline constexpr int kDihedralCount = 8;
const char* dihedral_name(Dihedral d);

// The 16x16 DCT coefficients (row-major) and the quality of one image: everything
// PDQ bits (and their dihedral variants) are derived from.
struct PdqDct {
  std::array<float, 256> coeffs{};
  int quality = 0;
  bool too_small = false;  // a side < 5: the hash is defined as zero
};

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
