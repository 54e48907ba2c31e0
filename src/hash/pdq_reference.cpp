// The reference-order PDQ path: a direct rendering of Meta's pdqhashing.cpp and
// downscaling.cpp on top of the shared element helpers in pdq_core.h.
#include <cmath>
#include <vector>

#include "hash/pdq.h"
#include "kernels/pdq_core.h"

namespace vhm {

namespace pdq {

void luma_from_image(const ImageView& image, float* luma) {
  for (int i = 0; i < image.height; ++i) {
    const uint8_t* row = image.data + i * image.stride;
    float* out = luma + static_cast<ptrdiff_t>(i) * image.width;
    if (image.format == PixelFormat::kGray8) {
      for (int j = 0; j < image.width; ++j) out[j] = static_cast<float>(row[j]);
    } else {
      for (int j = 0; j < image.width; ++j) out[j] = luma_from_rgb(row[3 * j], row[3 * j + 1], row[3 * j + 2]);
    }
  }
}

PdqDct dct_from_64x64(const float* a) {
  PdqDct result;
  int gradient_sum = 0;
  for (int i = 0; i < 63; ++i)
    for (int j = 0; j < 64; ++j) gradient_sum += quality_term(a[i * 64 + j], a[(i + 1) * 64 + j]);
  for (int i = 0; i < 64; ++i)
    for (int j = 0; j < 63; ++j) gradient_sum += quality_term(a[i * 64 + j], a[i * 64 + j + 1]);
  result.quality = quality_from_gradient_sum(gradient_sum);

  // B = D A D^T through T = D A (16x64).
  const float* d = dct_matrix();
  float t[16 * 64];
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 64; ++j) t[i * 64 + j] = dot64(d + i * 64, 1, a + j, 64);
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 16; ++j) result.coeffs[i * 16 + j] = dot64(t + i * 64, 1, d + j * 64, 1);
  return result;
}

PdqDct dct_from_luma_reference(float* luma, float* scratch, int width, int height) {
  if (width < kMinHashableDim || height < kMinHashableDim) {
    PdqDct tiny;
    tiny.too_small = true;
    return tiny;
  }
  float buffer64[64 * 64];
  if (width == 64 && height == 64) {
    // Already 64x64 (video pipelines that pre-scale): no filter, as the reference.
    for (int k = 0; k < 64 * 64; ++k) buffer64[k] = luma[k];
  } else {
    const int window_along_rows = jarosz_window(width);
    const int window_along_cols = jarosz_window(height);
    for (int pass = 0; pass < kJaroszPasses; ++pass) {
      for (int i = 0; i < height; ++i)
        box1d(luma + static_cast<ptrdiff_t>(i) * width, scratch + static_cast<ptrdiff_t>(i) * width, width, 1,
              window_along_rows);
      for (int j = 0; j < width; ++j) box1d(scratch + j, luma + j, height, width, window_along_cols);
    }
    for (int i = 0; i < 64; ++i) {
      const int si = decimate_source(i, height);
      for (int j = 0; j < 64; ++j)
        buffer64[i * 64 + j] = luma[static_cast<ptrdiff_t>(si) * width + decimate_source(j, width)];
    }
  }
  return dct_from_64x64(buffer64);
}

Hash256 hash_from_dct(const PdqDct& dct) {
  Hash256 h;
  if (!dct.too_small) bits_from_dct(dct.coeffs.data(), h.words.data());
  return h;
}

// Dihedral transforms of the DCT, after the reference's dct16OriginalTo* functions.
// Rotations and diagonal flips transpose; each negates coefficients by index parity.
std::array<float, 256> dct_dihedral(const std::array<float, 256>& a, Dihedral d) {
  std::array<float, 256> b{};
  for (int i = 0; i < 16; ++i) {
    for (int j = 0; j < 16; ++j) {
      const float v = a[i * 16 + j];
      switch (d) {
        case Dihedral::kOriginal:
          b[i * 16 + j] = v;
          break;
        case Dihedral::kRotate90:
          b[j * 16 + i] = (j & 1) ? v : -v;
          break;
        case Dihedral::kRotate180:
          b[i * 16 + j] = ((i + j) & 1) ? -v : v;
          break;
        case Dihedral::kRotate270:
          b[j * 16 + i] = (i & 1) ? v : -v;
          break;
        case Dihedral::kFlipX:
          b[i * 16 + j] = (i & 1) ? v : -v;
          break;
        case Dihedral::kFlipY:
          b[i * 16 + j] = (j & 1) ? v : -v;
          break;
        case Dihedral::kFlipPlus1:
          b[j * 16 + i] = v;
          break;
        case Dihedral::kFlipMinus1:
          b[j * 16 + i] = ((i + j) & 1) ? -v : v;
          break;
      }
    }
  }
  return b;
}

}  // namespace pdq

PdqHash pdq_hash_reference(const ImageView& image) {
  const size_t n = static_cast<size_t>(image.width) * image.height;
  std::vector<float> luma(n), scratch(n);
  pdq::luma_from_image(image, luma.data());
  const PdqDct dct = pdq::dct_from_luma_reference(luma.data(), scratch.data(), image.width, image.height);
  return {pdq::hash_from_dct(dct), dct.quality};
}

PdqDihedralHashes pdq_dihedral_from_dct(const PdqDct& dct) {
  PdqDihedralHashes out;
  out.quality = dct.quality;
  for (int k = 0; k < kDihedralCount; ++k) {
    PdqDct variant = dct;
    variant.coeffs = pdq::dct_dihedral(dct.coeffs, static_cast<Dihedral>(k));
    out.hashes[k] = pdq::hash_from_dct(variant);
  }
  return out;
}

}  // namespace vhm
