// The PDQ signal's value types: a hash with its quality, the 16x16 DCT every PDQ
// path derives bits from, and the eight dihedral transforms (the variants a frame may
// be hashed under). The arithmetic is in hash/pdq.h and kernels/pdq_core.h.
#pragma once

#include <array>

#include "core/hash256.h"

namespace vhm {

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
const char* dihedral_name(Dihedral d);  // frame_variant_name() of its variant

// The 16x16 DCT coefficients (row-major) and the quality of one image: everything
// PDQ bits (and their dihedral variants) are derived from.
struct PdqDct {
  std::array<float, 256> coeffs{};
  int quality = 0;
  bool too_small = false;  // a side < 5: the hash is defined as zero
};

}  // namespace vhm
