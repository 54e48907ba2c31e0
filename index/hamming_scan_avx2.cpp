// The AVX2 + POPCNT Hamming kernels (and the AVX-512 VPOPCNTDQ ones, by function
// attribute). Built with -mavx2 -mpopcnt; reached only through hamming::kernels(), which
// checks the CPU first.
//
// Scans compute four (AVX2) or eight (AVX-512) distances at once and compare them with
// the bound; only the rare codes within it are recomputed one by one for the hit list.
// GCC 12 warns inside its own AVX-512 headers (_mm512_undefined_*), not about this file.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <bit>

#include "index/hamming_scan.h"

namespace vhm::hamming {
namespace {

inline int distance_popcnt(const Hash256& a, const Hash256& b) {
  return static_cast<int>(_mm_popcnt_u64(a.words[0] ^ b.words[0]) + _mm_popcnt_u64(a.words[1] ^ b.words[1]) +
                          _mm_popcnt_u64(a.words[2] ^ b.words[2]) + _mm_popcnt_u64(a.words[3] ^ b.words[3]));
}

// ---------------------------------------------------------------------------- AVX2

// Per-byte popcounts by nibble lookup (Mula's method).
inline __m256i popcount_bytes(__m256i v) {
  const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,  //
                                       0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  const __m256i nibble = _mm256_set1_epi8(0x0f);
  const __m256i lo = _mm256_and_si256(v, nibble);
  const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble);
  return _mm256_add_epi8(_mm256_shuffle_epi8(lut, lo), _mm256_shuffle_epi8(lut, hi));
}

// The distances of codes c[0..3] to q, as four 32-bit lanes in code order.
inline __m128i distances4(const Hash256* c, __m256i q) {
  const __m256i zero = _mm256_setzero_si256();
  auto sad = [&](const Hash256& x) {  // four 64-bit partial counts, one per word
    const __m256i v = _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(&x)), q);
    return _mm256_sad_epu8(popcount_bytes(v), zero);
  };
  const __m256i s0 = sad(c[0]), s1 = sad(c[1]), s2 = sad(c[2]), s3 = sad(c[3]);
  // 32-bit lanes [a0 b0 a1 b1 | a2 b2 a3 b3] and [c0 d0 c1 d1 | c2 d2 c3 d3].
  const __m256i ab = _mm256_or_si256(s0, _mm256_slli_epi64(s1, 32));
  const __m256i cd = _mm256_or_si256(s2, _mm256_slli_epi64(s3, 32));
  const __m128i t = _mm_add_epi32(_mm256_castsi256_si128(ab), _mm256_extracti128_si256(ab, 1));  // [a b a b]
  const __m128i u = _mm_add_epi32(_mm256_castsi256_si128(cd), _mm256_extracti128_si256(cd, 1));  // [c d c d]
  return _mm_add_epi32(_mm_unpacklo_epi64(t, u), _mm_unpackhi_epi64(t, u));                      // [a b c d]
}

void range_scan_avx2(const Hash256* codes, size_t n, const Hash256& query, int max_distance, uint32_t first_row,
                     std::vector<ScanHit>& out) {
  const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(&query));
  const __m128i bound = _mm_set1_epi32(max_distance);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const __m128i d = distances4(codes + i, q);
    const int over = _mm_movemask_ps(_mm_castsi128_ps(_mm_cmpgt_epi32(d, bound)));
    if (over != 0xf) [[unlikely]] {
      alignas(16) int32_t ds[4];
      _mm_store_si128(reinterpret_cast<__m128i*>(ds), d);
      for (int j = 0; j < 4; ++j)
        if (!(over >> j & 1)) out.push_back({first_row + static_cast<uint32_t>(i + j), ds[j]});
    }
  }
  for (; i < n; ++i) {
    const int d = distance_popcnt(codes[i], query);
    if (d <= max_distance) out.push_back({first_row + static_cast<uint32_t>(i), d});
  }
}

void distances_avx2(const Hash256* codes, size_t n, const Hash256& query, uint16_t* out) {
  const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(&query));
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const __m128i d = distances4(codes + i, q);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out + i), _mm_packus_epi32(d, d));
  }
  for (; i < n; ++i) out[i] = static_cast<uint16_t>(distance_popcnt(codes[i], query));
}

void verify_rows_popcnt(const Hash256* codes, const uint32_t* rows, size_t n, const Hash256& query, int max_distance,
                        std::vector<ScanHit>& out) {
  constexpr size_t kAhead = 12;
  for (size_t i = 0; i < n && i < kAhead; ++i)
    _mm_prefetch(reinterpret_cast<const char*>(codes + rows[i]), _MM_HINT_T0);
  for (size_t i = 0; i < n; ++i) {
    if (i + kAhead < n) _mm_prefetch(reinterpret_cast<const char*>(codes + rows[i + kAhead]), _MM_HINT_T0);
    const int d = distance_popcnt(codes[rows[i]], query);
    if (d <= max_distance) out.push_back({rows[i], d});
  }
}

// ---------------------------------------------------------------------------- AVX-512

#define VHM_AVX512 __attribute__((target("avx512f,avx512vpopcntdq")))
// The 512-bit helpers are internal and inlined: their ABI never crosses a file.
#pragma GCC diagnostic ignored "-Wpsabi"

// The distances of codes c[0..7] to q as eight 64-bit lanes, in the order
// c0 c2 c1 c3 c4 c6 c5 c7 (kLaneCode below).
VHM_AVX512 inline __m512i pop2(const Hash256* x, __m512i q) {  // two codes: 8 words' popcounts
  return _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_loadu_si512(x), q));
}

VHM_AVX512 inline __m512i distances8(const Hash256* c, __m512i q) {
  const __m512i p0 = pop2(c, q), p1 = pop2(c + 2, q), p2 = pop2(c + 4, q), p3 = pop2(c + 6, q);
  // Within each 128-bit lane: pairs of words summed, codes interleaved.
  const __m512i a = _mm512_add_epi64(_mm512_unpacklo_epi64(p0, p1), _mm512_unpackhi_epi64(p0, p1));
  const __m512i b = _mm512_add_epi64(_mm512_unpacklo_epi64(p2, p3), _mm512_unpackhi_epi64(p2, p3));
  // a's 128-bit lanes: [c0w01 c2w01] [c0w23 c2w23] [c1w01 c3w01] [c1w23 c3w23]; add halves.
  const __m512i x = _mm512_shuffle_i64x2(a, b, _MM_SHUFFLE(2, 0, 2, 0));
  const __m512i y = _mm512_shuffle_i64x2(a, b, _MM_SHUFFLE(3, 1, 3, 1));
  return _mm512_add_epi64(x, y);
}
constexpr int kLaneCode[8] = {0, 2, 1, 3, 4, 6, 5, 7};

VHM_AVX512 void range_scan_avx512(const Hash256* codes, size_t n, const Hash256& query, int max_distance,
                                  uint32_t first_row, std::vector<ScanHit>& out) {
  const __m512i q = _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(&query)));
  const __m512i bound = _mm512_set1_epi64(max_distance);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m512i d = distances8(codes + i, q);
    const __mmask8 within = _mm512_cmple_epi64_mask(d, bound);
    if (within) [[unlikely]] {
      alignas(64) int64_t ds[8];
      _mm512_store_si512(ds, d);
      for (int lane = 0; lane < 8; ++lane)
        if (within >> lane & 1)
          out.push_back({first_row + static_cast<uint32_t>(i + kLaneCode[lane]), static_cast<int32_t>(ds[lane])});
      // Keep rows ascending within the block of eight (lanes are interleaved).
      auto* last = out.data() + out.size();
      const int k = std::popcount(static_cast<unsigned>(within));
      for (ScanHit* p = last - k + 1; p < last; ++p)
        for (ScanHit* r = p; r > last - k && (r - 1)->row > r->row; --r) std::swap(*r, *(r - 1));
    }
  }
  for (; i < n; ++i) {
    const int d = distance_popcnt(codes[i], query);
    if (d <= max_distance) out.push_back({first_row + static_cast<uint32_t>(i), d});
  }
}

VHM_AVX512 void distances_avx512(const Hash256* codes, size_t n, const Hash256& query, uint16_t* out) {
  const __m512i q = _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(&query)));
  // Lane order c0 c2 c1 c3 c4 c6 c5 c7 back to code order.
  const __m512i order = _mm512_setr_epi64(0, 2, 1, 3, 4, 6, 5, 7);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m512i d = _mm512_permutexvar_epi64(order, distances8(codes + i, q));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), _mm512_cvtepi64_epi16(d));
  }
  for (; i < n; ++i) out[i] = static_cast<uint16_t>(distance_popcnt(codes[i], query));
}

const Kernels kAvx2{"avx2-popcnt", range_scan_avx2, distances_avx2, verify_rows_popcnt};
const Kernels kAvx512{"avx512-vpopcntdq", range_scan_avx512, distances_avx512, verify_rows_popcnt};

}  // namespace

const Kernels* avx2_kernels() { return &kAvx2; }
const Kernels* avx512_kernels() { return &kAvx512; }

}  // namespace vhm::hamming
