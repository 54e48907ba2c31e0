// The arithmetic of PDQ, one element at a time, shared by every implementation:
// the reference-order CPU path (pdq_reference.cpp), the optimised CPU path
// (pdq_fast_*.cpp, tested bit for bit against the reference) and the CUDA kernels
// (kernels/pdq_cuda.cu), which include this header as __host__ __device__ code.
//
// Every function follows Meta's reference (ThreatExchange pdq/cpp) operation by
// operation: same types, same evaluation order. The file must be compiled without
// -ffast-math and with -ffp-contract=off (host) / -fmad=false (device), since a fused
// multiply-add rounds once where the reference rounds twice and changes hash bits.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>

#if defined(__CUDACC__)
#define VHM_HD __host__ __device__
#else
#define VHM_HD
#endif

namespace vhm::pdq {

inline constexpr int kMinHashableDim = 5;  // smaller images get a zero hash, quality 0
inline constexpr int kDownsampled = 64;    // the 64x64 image the DCT reads
inline constexpr int kDctSize = 16;        // 16x16 DCT coefficients -> 256 bits
inline constexpr int kJaroszPasses = 2;    // box rows+cols twice: a tent-like filter

// Luminance weights, as float (the reference stores them in floats).
inline constexpr float kLumaR = 0.299f;
inline constexpr float kLumaG = 0.587f;
inline constexpr float kLumaB = 0.114f;

// Y = 0.299 R + 0.587 G + 0.114 B in float, left to right.
VHM_HD inline float luma_from_rgb(uint8_t r, uint8_t g, uint8_t b) {
  return kLumaR * static_cast<float>(r) + kLumaG * static_cast<float>(g) + kLumaB * static_cast<float>(b);
}

// Box window per axis: half of one 64th of the side, rounded up ((dim + 127) / 128).
VHM_HD inline int jarosz_window(int dim) { return (dim + 2 * kDownsampled - 1) / (2 * kDownsampled); }

// The source row/column sampled for output index `out` (0..63): the centre of its cell.
VHM_HD inline int decimate_source(int out, int in_dim) {
  return static_cast<int>(((out + 0.5) * in_dim) / kDownsampled);
}

// One box filter along a vector of `length` elements `stride` apart, with a running
// sum whose window shrinks at both ends, exactly as the reference's box1DFloat.
// The four phases matter: each changes the order of float additions.
VHM_HD inline void box1d(const float* in, float* out, int length, int stride, int window) {
  const int half = (window + 2) / 2;
  const int phase1 = half - 1;
  const int phase2 = window - half + 1;
  const int phase3 = length - window;
  const int phase4 = half - 1;
  int li = 0, ri = 0, oi = 0;
  float sum = 0.0f;
  int current = 0;
  for (int i = 0; i < phase1; ++i) {
    sum += in[ri];
    ++current;
    ri += stride;
  }
  for (int i = 0; i < phase2; ++i) {
    sum += in[ri];
    ++current;
    out[oi] = sum / current;
    ri += stride;
    oi += stride;
  }
  for (int i = 0; i < phase3; ++i) {
    sum += in[ri];
    sum -= in[li];
    out[oi] = sum / current;
    li += stride;
    ri += stride;
    oi += stride;
  }
  for (int i = 0; i < phase4; ++i) {
    sum -= in[li];
    --current;
    out[oi] = sum / current;
    li += stride;
    oi += stride;
  }
}

// One neighbour pair's share of the quality metric: |int((u - v) * 100 / 255)|.
VHM_HD inline int quality_term(float u, float v) {
  const int d = static_cast<int>(((u - v) * 100) / 255);
  return d < 0 ? -d : d;
}

// Quality from the sum of all 2*63*64 neighbour terms: / 90, capped at 100.
VHM_HD inline int quality_from_gradient_sum(int gradient_sum) {
  const int q = gradient_sum / 90;
  return q > 100 ? 100 : q;
}

// Sum of a[k*as] * b[k*bs] for k = 0..63, in order: one row of the 16x64 DCT stage.
VHM_HD inline float dot64(const float* a, int a_stride, const float* b, int b_stride) {
  float sum = 0.0f;
  for (int k = 0; k < 64; ++k) sum += a[k * a_stride] * b[k * b_stride];
  return sum;
}

// Torben Mogensen's median (public domain, as the reference uses it): returns the
// lower median of m[0..n), never reordering m.
VHM_HD inline float torben_median(const float* m, int n) {
  float min = m[0], max = m[0];
  for (int i = 1; i < n; ++i) {
    if (m[i] < min) min = m[i];
    if (m[i] > max) max = m[i];
  }
  int less, greater, equal;
  float guess, max_lt_guess, min_gt_guess;
  while (true) {
    guess = (min + max) / 2;
    less = 0;
    greater = 0;
    equal = 0;
    max_lt_guess = min;
    min_gt_guess = max;
    for (int i = 0; i < n; ++i) {
      if (m[i] < guess) {
        ++less;
        if (m[i] > max_lt_guess) max_lt_guess = m[i];
      } else if (m[i] > guess) {
        ++greater;
        if (m[i] < min_gt_guess) min_gt_guess = m[i];
      } else {
        ++equal;
      }
    }
    if (less <= (n + 1) / 2 && greater <= (n + 1) / 2) break;
    if (less > greater) max = max_lt_guess;
    else min = min_gt_guess;
  }
  if (less >= (n + 1) / 2) return max_lt_guess;
  if (less + equal >= (n + 1) / 2) return guess;
  return min_gt_guess;
}

// Writes the 256 hash bits of a 16x16 DCT as four 64-bit words: bit k = i*16+j is set
// when coefficient (i, j) exceeds the median.
VHM_HD inline void bits_from_dct(const float* dct256, uint64_t words[4]) {
  const float median = torben_median(dct256, kDctSize * kDctSize);
  for (int w = 0; w < 4; ++w) words[w] = 0;
  for (int k = 0; k < kDctSize * kDctSize; ++k) {
    if (dct256[k] > median) words[k >> 6] |= uint64_t{1} << (k & 63);
  }
}

// The 16x64 DCT matrix D[i][j] = sqrt(2/64) cos(pi/128 (i+1)(2j+1)), computed once on
// the host exactly as the reference computes it: the scale in double stored in a float,
// multiplied by a double cosine, the product rounded to float. The CUDA facade copies
// this very table to the device.
inline const float* dct_matrix() {
  static const std::array<float, 16 * 64> matrix = [] {
    constexpr double kPi = 3.14159265358979323846;
    const float scale = static_cast<float>(std::sqrt(2.0 / 64.0));
    std::array<float, 16 * 64> m{};
    for (size_t i = 0; i < 16; ++i) {
      for (size_t j = 0; j < 64; ++j) {
        m[i * 64 + j] = static_cast<float>(
            scale * std::cos((kPi / 2.0 / 64.0) * static_cast<double>(i + 1) * static_cast<double>(2 * j + 1)));
      }
    }
    return m;
  }();
  return matrix.data();
}

}  // namespace vhm::pdq
