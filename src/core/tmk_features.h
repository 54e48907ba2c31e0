// TmkFeatures: one video's TMK+PDQF hash (Meta's "Temporal Match Kernel" over PDQ-float
// frame features), and its .tmk file format as Meta's tmk/cpp writes it.
//
// A .tmk file, all little-endian, no padding:
//   "TMK1" "FVEC" <algorithm magic, "PDQF">
//   int32 frames per second, period count P, coefficient count C, feature dimension D,
//         frame count (the time-resampled frames that were hashed, informational)
//   int32 periods[P], float coefficients[C], float pure_average[D],
//   float cos[P][C][D], float sin[P][C][D]
// The reference's defaults give 263,344 bytes (P=4, C=32, D=256).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace vhm {

struct TmkFeatures {
  static constexpr std::array<char, 4> kPdqfMagic{'P', 'D', 'Q', 'F'};

  std::array<char, 4> algorithm_magic = kPdqfMagic;
  int32_t frames_per_second = 15;
  int32_t frame_count = 0;
  std::vector<int32_t> periods;
  std::vector<float> coefficients;
  // The average of the raw (unnormalised) frame features: what level-1 compares.
  std::vector<float> pure_average;
  // [period][coefficient][dimension], period-major as in the file.
  std::vector<float> cos_features;
  std::vector<float> sin_features;

  int period_count() const { return static_cast<int>(periods.size()); }
  int coefficient_count() const { return static_cast<int>(coefficients.size()); }
  int feature_dimension() const { return static_cast<int>(pure_average.size()); }

  // The D floats of one (period, coefficient) cell.
  std::span<const float> cos_feature(int period, int coefficient) const {
    return {cos_features.data() + cell_offset(period, coefficient), pure_average.size()};
  }
  std::span<const float> sin_feature(int period, int coefficient) const {
    return {sin_features.data() + cell_offset(period, coefficient), pure_average.size()};
  }
  std::span<float> cos_feature(int period, int coefficient) {
    return {cos_features.data() + cell_offset(period, coefficient), pure_average.size()};
  }
  std::span<float> sin_feature(int period, int coefficient) {
    return {sin_features.data() + cell_offset(period, coefficient), pure_average.size()};
  }
  size_t cell_offset(int period, int coefficient) const {
    return (static_cast<size_t>(period) * coefficients.size() + coefficient) * pure_average.size();
  }

  // The reference's parameters (Poullot's periods and Fourier coefficients, 256-d PDQF),
  // with every feature zero and no frames.
  static TmkFeatures make_empty_pdqf();

  friend bool operator==(const TmkFeatures&, const TmkFeatures&) = default;
};

// Poullot's periods (in frames at 15 fps) and the 32 coefficients of the kernel's Fourier
// series, the values Meta's reference hard-codes.
std::span<const int32_t> tmk_default_periods();
std::span<const float> tmk_default_coefficients();

// ThreatExchange's text form of a .tmk file (HASH_TMK's raw indicator, also what
// StopNCII may carry): the file's 12 magic bytes, "|", then base64 of the rest.
inline constexpr std::string_view kTmkTextMagic = "TMK1FVECPDQF";
// A value shorter than the magic is written as plain base64 of all of it.
std::string format_threatexchange_tmk(std::span<const uint8_t> tmk_file);
// The file's bytes back; kCorrupt when `text` is not that form, its base64 is bad, or it
// would decode to more than max_bytes. The bytes are not checked to be a .tmk file.
Result<std::vector<uint8_t>> parse_threatexchange_tmk(std::string_view text, size_t max_bytes);

// Reads a .tmk file. kCorrupt, naming what is wrong, for a short file, other magics,
// counts that are negative or absurd, or bytes left after the sin features.
Result<TmkFeatures> parse_tmk(std::span<const uint8_t> bytes);
// The file's bytes: parse_tmk(serialize_tmk(f)) == f, and serialize_tmk(parse_tmk(b)) == b.
std::vector<uint8_t> serialize_tmk(const TmkFeatures& features);

}  // namespace vhm
