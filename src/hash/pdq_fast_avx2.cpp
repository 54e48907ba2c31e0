// The AVX2 PDQ path (see pdq_fast.h for the plan). Compiled with -mavx2 only, never
// -mfma, and with -ffp-contract=off like everything else: each vector lane performs
// the reference's float operations in the reference's order, so results are bitwise
// those of pdq_reference.cpp.
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "hash/pdq_fast.h"
#include "kernels/pdq_core.h"

namespace vhm::pdq {
namespace {

using Lanes8 = std::integral_constant<int, 8>;
using Lanes64 = std::integral_constant<int, 64>;

constexpr int round_up8(int n) { return (n + 7) & ~7; }

struct LumaTables {
  float r[256], g[256], b[256];
};

// kLumaR * R as the reference computes it (uint8 -> float, float multiply), per byte.
const LumaTables& luma_tables() {
  static const LumaTables kTables = [] {
    LumaTables t;
    for (int v = 0; v < 256; ++v) {
      t.r[v] = kLumaR * static_cast<float>(v);
      t.g[v] = kLumaG * static_cast<float>(v);
      t.b[v] = kLumaB * static_cast<float>(v);
    }
    return t;
  }();
  return kTables;
}

// Luminance of one row into `out` (width floats), then zeros up to `padded`.
void luma_row(const ImageView& image, int row, float* out, int padded) {
  const uint8_t* p = image.data + row * image.stride;
  if (image.format == PixelFormat::kGray8) {
    for (int j = 0; j < image.width; ++j) out[j] = static_cast<float>(p[j]);
  } else {
    // 8 pixels at a time: de-interleave 24 bytes into R, G, B lanes, widen to float
    // (exact), then (0.299f*R + 0.587f*G) + 0.114f*B with separate multiplies and adds,
    // the reference's operations in its order, so the bits equal the scalar path's.
    const __m256 kr = _mm256_set1_ps(kLumaR), kg = _mm256_set1_ps(kLumaG), kb = _mm256_set1_ps(kLumaB);
    const __m128i r_lo = _mm_setr_epi8(0, 3, 6, 9, 12, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m128i r_hi = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, 10, 13, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m128i g_lo = _mm_setr_epi8(1, 4, 7, 10, 13, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m128i g_hi = _mm_setr_epi8(-1, -1, -1, -1, -1, 8, 11, 14, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m128i b_lo = _mm_setr_epi8(2, 5, 8, 11, 14, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m128i b_hi = _mm_setr_epi8(-1, -1, -1, -1, -1, 9, 12, 15, -1, -1, -1, -1, -1, -1, -1, -1);
    int j = 0;
    for (; j + 8 <= image.width; j += 8, p += 24) {
      const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));      // bytes 0..15
      const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 8));  // bytes 8..23
      auto lane = [&](__m128i lo, __m128i hi) {
        const __m128i bytes = _mm_or_si128(_mm_shuffle_epi8(a, lo), _mm_shuffle_epi8(b, hi));
        return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes));
      };
      const __m256 y =
          _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(kr, lane(r_lo, r_hi)), _mm256_mul_ps(kg, lane(g_lo, g_hi))),
                        _mm256_mul_ps(kb, lane(b_lo, b_hi)));
      _mm256_storeu_ps(out + j, y);
    }
    const LumaTables& t = luma_tables();
    for (; j < image.width; ++j, p += 3) out[j] = t.r[p[0]] + t.g[p[1]] + t.b[p[2]];
  }
  std::fill(out + image.width, out + padded, 0.0f);
}

// dst[c * dst_stride + r] = src[r * src_stride + c] for an 8x8 tile.
inline void transpose8x8(const float* src, size_t src_stride, float* dst, size_t dst_stride) {
  __m256 r0 = _mm256_loadu_ps(src + 0 * src_stride), r1 = _mm256_loadu_ps(src + 1 * src_stride);
  __m256 r2 = _mm256_loadu_ps(src + 2 * src_stride), r3 = _mm256_loadu_ps(src + 3 * src_stride);
  __m256 r4 = _mm256_loadu_ps(src + 4 * src_stride), r5 = _mm256_loadu_ps(src + 5 * src_stride);
  __m256 r6 = _mm256_loadu_ps(src + 6 * src_stride), r7 = _mm256_loadu_ps(src + 7 * src_stride);
  __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
  __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
  __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
  __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
  __m256 u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
  __m256 u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
  __m256 u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
  __m256 u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
  _mm256_storeu_ps(dst + 0 * dst_stride, _mm256_permute2f128_ps(u0, u4, 0x20));
  _mm256_storeu_ps(dst + 1 * dst_stride, _mm256_permute2f128_ps(u1, u5, 0x20));
  _mm256_storeu_ps(dst + 2 * dst_stride, _mm256_permute2f128_ps(u2, u6, 0x20));
  _mm256_storeu_ps(dst + 3 * dst_stride, _mm256_permute2f128_ps(u3, u7, 0x20));
  _mm256_storeu_ps(dst + 4 * dst_stride, _mm256_permute2f128_ps(u0, u4, 0x31));
  _mm256_storeu_ps(dst + 5 * dst_stride, _mm256_permute2f128_ps(u1, u5, 0x31));
  _mm256_storeu_ps(dst + 6 * dst_stride, _mm256_permute2f128_ps(u2, u6, 0x31));
  _mm256_storeu_ps(dst + 7 * dst_stride, _mm256_permute2f128_ps(u3, u7, 0x31));
}

// An 8-row band (8 x padded_width, row-major) -> padded_width vectors of 8 lanes.
void transpose_band(const float* band, int padded_width, float* lanes) {
  for (int t = 0; t < padded_width; t += 8) transpose8x8(band + t, padded_width, lanes + t * 8, 8);
}

// out[l] = sum[l] / current for all lanes: the reference's `sum / current_window_size`.
template <typename Lanes>
inline void divide_lanes(const float* sum, int current, Lanes lanes, float* out) {
  const __m256 divisor = _mm256_set1_ps(static_cast<float>(current));
  for (int l = 0; l < lanes; l += 8) _mm256_storeu_ps(out + l, _mm256_div_ps(_mm256_loadu_ps(sum + l), divisor));
}

// box1d (pdq_core.h) over `length` elements of `lanes` independent floats each, element
// k at in + k * element_stride. Each lane adds and subtracts exactly as box1d does for
// one vector; sink(out_index, sum, current) is called once per output, in order, and
// divides only where it needs a value.
template <typename Lanes, typename Sink>
inline void box_lanes(const float* in, size_t element_stride, int length, int window, Lanes lanes, float* sum,
                      Sink&& sink) {
  const int half = (window + 2) / 2;
  const int phase1 = half - 1;
  const int phase2 = window - half + 1;
  const int phase3 = length - window;
  const int phase4 = half - 1;
  for (int l = 0; l < lanes; l += 8) _mm256_storeu_ps(sum + l, _mm256_setzero_ps());
  auto add = [&](int k) {
    const float* p = in + k * element_stride;
    for (int l = 0; l < lanes; l += 8)
      _mm256_storeu_ps(sum + l, _mm256_add_ps(_mm256_loadu_ps(sum + l), _mm256_loadu_ps(p + l)));
  };
  auto subtract = [&](int k) {
    const float* p = in + k * element_stride;
    for (int l = 0; l < lanes; l += 8)
      _mm256_storeu_ps(sum + l, _mm256_sub_ps(_mm256_loadu_ps(sum + l), _mm256_loadu_ps(p + l)));
  };
  int li = 0, ri = 0, oi = 0, current = 0;
  for (int i = 0; i < phase1; ++i, ++ri, ++current) add(ri);
  for (int i = 0; i < phase2; ++i) {
    add(ri++);
    sink(oi++, sum, ++current);
  }
  for (int i = 0; i < phase3; ++i) {
    const float* pr = in + ri++ * element_stride;
    const float* pl = in + li++ * element_stride;
    for (int l = 0; l < lanes; l += 8) {
      __m256 s = _mm256_add_ps(_mm256_loadu_ps(sum + l), _mm256_loadu_ps(pr + l));
      _mm256_storeu_ps(sum + l, _mm256_sub_ps(s, _mm256_loadu_ps(pl + l)));
    }
    sink(oi++, sum, current);
  }
  for (int i = 0; i < phase4; ++i) {
    subtract(li++);
    sink(oi++, sum, --current);
  }
}

// Quality and 16x16 DCT of the 64x64 downsample, vectorised across columns: every
// output element still sums its 64 products in k order, as dot64 does.
PdqDct dct_from_64x64_avx2(const float* a) {
  PdqDct result;
  const __m256 hundred = _mm256_set1_ps(100.0f), d255 = _mm256_set1_ps(255.0f);
  __m256i gradient = _mm256_setzero_si256();
  auto term = [&](__m256 u, __m256 v) {
    const __m256 q = _mm256_div_ps(_mm256_mul_ps(_mm256_sub_ps(u, v), hundred), d255);
    return _mm256_abs_epi32(_mm256_cvttps_epi32(q));
  };
  for (int i = 0; i < 63; ++i)
    for (int j = 0; j < 64; j += 8)
      gradient =
          _mm256_add_epi32(gradient, term(_mm256_loadu_ps(a + i * 64 + j), _mm256_loadu_ps(a + (i + 1) * 64 + j)));
  // Columns 56..62 against 57..63: the neighbours come from the same load shifted by
  // one lane, and lane 7 (column 63, which has no right neighbour) is masked out.
  const __m256i first7 = _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, -1, 0);
  const __m256i shift_one = _mm256_setr_epi32(1, 2, 3, 4, 5, 6, 7, 7);
  for (int i = 0; i < 64; ++i) {
    for (int j = 0; j < 56; j += 8)
      gradient = _mm256_add_epi32(gradient, term(_mm256_loadu_ps(a + i * 64 + j), _mm256_loadu_ps(a + i * 64 + j + 1)));
    const __m256 u = _mm256_loadu_ps(a + i * 64 + 56);
    const __m256 v = _mm256_permutevar8x32_ps(u, shift_one);
    gradient = _mm256_add_epi32(gradient, _mm256_and_si256(term(u, v), first7));
  }
  alignas(32) int lanes[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), gradient);
  int gradient_sum = 0;
  for (int v : lanes) gradient_sum += v;
  result.quality = quality_from_gradient_sum(gradient_sum);

  const float* d = dct_matrix();
  alignas(32) float t[16 * 64];
  for (int i = 0; i < 16; ++i) {
    for (int j = 0; j < 64; j += 8) {
      __m256 acc = _mm256_setzero_ps();
      for (int k = 0; k < 64; ++k)
        acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_set1_ps(d[i * 64 + k]), _mm256_loadu_ps(a + k * 64 + j)));
      _mm256_store_ps(t + i * 64 + j, acc);
    }
  }
  // B[i][j] = sum_k T[i][k] * D[j][k]; with DT[k][j] = D[j][k] the j's are contiguous.
  static const auto kDctTransposed = [] {
    std::array<float, 64 * 16> m{};
    const float* dm = dct_matrix();
    for (int j = 0; j < 16; ++j)
      for (int k = 0; k < 64; ++k) m[k * 16 + j] = dm[j * 64 + k];
    return m;
  }();
  for (int i = 0; i < 16; ++i) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    for (int k = 0; k < 64; ++k) {
      const __m256 tik = _mm256_set1_ps(t[i * 64 + k]);
      acc0 = _mm256_add_ps(acc0, _mm256_mul_ps(tik, _mm256_loadu_ps(&kDctTransposed[k * 16])));
      acc1 = _mm256_add_ps(acc1, _mm256_mul_ps(tik, _mm256_loadu_ps(&kDctTransposed[k * 16 + 8])));
    }
    _mm256_storeu_ps(&result.coeffs[i * 16], acc0);
    _mm256_storeu_ps(&result.coeffs[i * 16 + 8], acc1);
  }
  return result;
}

}  // namespace

PdqDct dct_from_image_avx2(const ImageView& image, FastScratch& s) {
  const int width = image.width, height = image.height;
  if (width < kMinHashableDim || height < kMinHashableDim) {
    PdqDct tiny;
    tiny.too_small = true;
    return tiny;
  }
  alignas(32) float buffer64[64 * 64];
  if (width == 64 && height == 64) {  // no filter, as the reference
    for (int i = 0; i < 64; ++i) luma_row(image, i, buffer64 + i * 64, 64);
    return dct_from_64x64_avx2(buffer64);
  }

  const int padded_width = round_up8(width);
  const int padded_height = round_up8(height);
  const int window_along_rows = jarosz_window(width);
  const int window_along_cols = jarosz_window(height);
  int sampled_col[64], sampled_row[64];
  for (int k = 0; k < 64; ++k) {
    sampled_col[k] = decimate_source(k, width);
    sampled_row[k] = decimate_source(k, height);
  }

  // a: first row pass output (padded_height x padded_width); b: an 8-row band;
  // c, d: the band as lanes (padded_width x 8); e: running sums, then 2nd row pass at
  // the sampled columns (padded_height x 64).
  s.a.resize(static_cast<size_t>(padded_height) * padded_width);
  s.b.assign(static_cast<size_t>(8) * padded_width, 0.0f);
  s.c.resize(static_cast<size_t>(padded_width) * 8);
  s.d.assign(static_cast<size_t>(padded_width) * 8, 0.0f);
  s.e.resize(static_cast<size_t>(padded_height) * 64 + padded_width + 64 + 8);
  float* first_rows = s.a.data();
  float* band = s.b.data();
  float* band_lanes = s.c.data();
  float* out_lanes = s.d.data();
  float* second_rows = s.e.data();                                             // padded_height x 64
  float* column_sums = second_rows + static_cast<size_t>(padded_height) * 64;  // padded_width
  alignas(32) float lane_sums[64];

  // Pass 1, rows: luminance of 8 rows, transposed, box-filtered lane-wise, transposed back.
  for (int b0 = 0; b0 < height; b0 += 8) {
    const int rows = std::min(8, height - b0);
    for (int r = 0; r < 8; ++r) {
      if (r < rows) luma_row(image, b0 + r, band + r * padded_width, padded_width);
      else std::fill(band + r * padded_width, band + (r + 1) * padded_width, 0.0f);
    }
    transpose_band(band, padded_width, band_lanes);
    box_lanes(band_lanes, 8, width, window_along_rows, Lanes8{}, lane_sums,
              [&](int o, const float* sum, int current) { divide_lanes(sum, current, Lanes8{}, out_lanes + o * 8); });
    for (int t = 0; t < padded_width; t += 8)
      transpose8x8(out_lanes + t * 8, 8, first_rows + static_cast<size_t>(b0) * padded_width + t, padded_width);
  }

  // Pass 1, columns, streamed row by row; every 8 output rows form a band for pass 2's
  // row filter, whose outputs are kept only at the 64 sampled columns.
  alignas(32) float sampled_lanes[64 * 8];
  auto second_row_pass = [&](int band_start, int rows) {
    transpose_band(band, padded_width, band_lanes);
    int next = 0;
    box_lanes(band_lanes, 8, width, window_along_rows, Lanes8{}, lane_sums, [&](int o, const float* sum, int current) {
      for (; next < 64 && sampled_col[next] == o; ++next)
        divide_lanes(sum, current, Lanes8{}, sampled_lanes + next * 8);
    });
    for (int k = 0; k < 64; ++k)
      for (int r = 0; r < rows; ++r)
        second_rows[static_cast<size_t>(band_start + r) * 64 + k] = sampled_lanes[k * 8 + r];
  };
  auto padded_lanes = padded_width;
  box_lanes(first_rows, padded_width, height, window_along_cols, padded_lanes, column_sums,
            [&](int o, const float* sum, int current) {
              divide_lanes(sum, current, padded_lanes, band + (o % 8) * padded_width);
              if (o % 8 == 7 || o == height - 1) second_row_pass(o - o % 8, o % 8 + 1);
            });

  // Pass 2, columns, on the 64 sampled columns only; rows kept where sampled.
  int next = 0;
  box_lanes(second_rows, 64, height, window_along_cols, Lanes64{}, lane_sums,
            [&](int o, const float* sum, int current) {
              for (; next < 64 && sampled_row[next] == o; ++next)
                divide_lanes(sum, current, Lanes64{}, buffer64 + next * 64);
            });
  return dct_from_64x64_avx2(buffer64);
}

}  // namespace vhm::pdq
