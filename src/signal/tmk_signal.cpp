#include "signal/tmk_signal.h"

#include <algorithm>
#include <cmath>
#include <span>
#include <string>
#include <vector>

namespace vhm {
namespace {

constexpr double kPi = 3.14159265358979323846;

// Sequential float sums, in the reference's order (no reassociation: -ffp-contract=off
// and no -ffast-math for this tree).
float dot(std::span<const float> u, std::span<const float> v) {
  float sum = 0.0f;
  for (size_t i = 0; i < u.size(); ++i) sum += u[i] * v[i];
  return sum;
}

float norm(std::span<const float> u) { return std::sqrt(dot(u, u)); }

// c0 + 2 c1 + 2 c2 + ...: K(0) of a video against itself. Each step is done in double and
// rounded to float, as the reference's `float += 2.0 * c` is.
float pair_score_normalizer(std::span<const float> c) {
  if (c.empty()) return 1.0f;
  float n = c[0];
  for (size_t j = 1; j < c.size(); ++j) n = static_cast<float>(n + 2.0 * c[j]);
  return n;
}

Status incomparable(const std::string& why) { return Status(StatusCode::kInvalidArgument, "TMK: " + why); }

// Where the query sits, from every period's peak: a kernel of period T and C
// coefficients peaks about T / C frames wide, so the longest period's peak is coarse
// (at 14,653 frames, a 45-frame shift read as 0) but ambiguous only modulo 16 minutes at 15 fps,
// and the shortest's (2,731) sharp but ambiguous modulo 3 minutes. Starting from the longest, each
// shorter period's peak is taken at the wrap nearest the estimate so far. The kernel
// is periodic: an offset past half the period is the same alignment shifted the other
// way, which is what a person reads from it.
int64_t refined_offset(std::vector<std::pair<int, int>> peaks) {
  if (peaks.empty()) return 0;
  std::sort(peaks.begin(), peaks.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
  const auto [longest, first] = peaks.front();
  int64_t estimate = first > longest / 2 ? first - longest : first;
  for (size_t i = 1; i < peaks.size(); ++i) {
    const auto [period, offset] = peaks[i];
    const double wraps = std::round(static_cast<double>(estimate - offset) / period);
    estimate = offset + static_cast<int64_t>(wraps) * period;
  }
  return estimate;
}

}  // namespace

Status tmk_check_comparable(const TmkFeatures& a, const TmkFeatures& b) {
  if (a.algorithm_magic != b.algorithm_magic) return incomparable("frame-feature algorithms differ");
  if (a.frames_per_second != b.frames_per_second)
    return incomparable("frames per second " + std::to_string(a.frames_per_second) +
                        " != " + std::to_string(b.frames_per_second));
  if (a.periods != b.periods) return incomparable("periods differ");
  if (a.coefficients.size() != b.coefficients.size()) return incomparable("coefficient counts differ");
  for (size_t j = 0; j < a.coefficients.size(); ++j) {
    const float ca = a.coefficients[j], cb = b.coefficients[j];
    const float m = std::fmax(std::fabs(ca), std::fabs(cb));
    if (m > 0 && std::fabs((ca - cb) / m) > 1e-6f) return incomparable("coefficient " + std::to_string(j) + " differs");
  }
  if (a.feature_dimension() != b.feature_dimension()) return incomparable("feature dimensions differ");
  return Status::ok();
}

float tmk_level1_score(const TmkFeatures& a, const TmkFeatures& b) {
  const float na = norm(a.pure_average), nb = norm(b.pure_average);
  if (na == 0.0f && nb == 0.0f) return 0.0f;
  return dot(a.pure_average, b.pure_average) / (na * nb);
}

float tmk_level2_score(const TmkFeatures& a, const TmkFeatures& b) { return tmk_level2_alignment(a, b).score; }

TmkAlignment tmk_level2_alignment(const TmkFeatures& a, const TmkFeatures& b) {
  TmkAlignment out;
  const int periods = a.period_count(), coefficients = a.coefficient_count();
  if (periods == 0 || coefficients == 0) return out;
  float best = 0.0f;
  std::vector<std::pair<int, int>> peaks;  // (period, the offset of its kernel's peak)
  std::vector<float> cos_cos(coefficients), sin_sin(coefficients), sin_cos(coefficients), cos_sin(coefficients);
  for (int i = 0; i < periods; ++i) {
    for (int j = 0; j < coefficients; ++j) {
      cos_cos[j] = dot(a.cos_feature(i, j), b.cos_feature(i, j));
      sin_sin[j] = dot(a.sin_feature(i, j), b.sin_feature(i, j));
      sin_cos[j] = dot(a.sin_feature(i, j), b.cos_feature(i, j));
      cos_sin[j] = dot(a.cos_feature(i, j), b.sin_feature(i, j));
    }
    const int period = a.periods[i];
    float period_best = 0.0f;
    int period_offset = 0;
    for (int offset = 0; offset < period; ++offset) {
      // cos(j delta) and sin(j delta) by repeated rotation (Numerical Recipes' recurrence
      // with alpha = 2 sin^2(delta/2)), in float, as the reference does: the offsets it
      // picks, and so the score's last digits, depend on these roundings.
      const float delta = static_cast<float>(2.0 * kPi * static_cast<float>(offset) / static_cast<float>(period));
      float k = cos_cos[0];
      float cos_jd = 1.0f, sin_jd = 0.0f;
      const float beta = static_cast<float>(std::sin(static_cast<double>(delta)));
      float alpha = static_cast<float>(std::sin(static_cast<double>(delta / 2)));
      alpha = 2 * alpha * alpha;
      for (int j = 1; j < coefficients; ++j) {
        const float next_cos = (alpha * cos_jd) + (beta * sin_jd);
        const float next_sin = (alpha * sin_jd) - (beta * cos_jd);
        cos_jd -= next_cos;
        sin_jd -= next_sin;
        k += cos_jd * (cos_cos[j] + sin_sin[j]);
        k += sin_jd * (sin_cos[j] - cos_sin[j]);
      }
      if (offset == 0 || k > period_best) {
        period_best = k;
        period_offset = offset;
      }
    }
    peaks.emplace_back(period, period_offset);
    if (i == 0 || period_best > best) {
      best = period_best;
      out.period = period;
    }
  }
  out.score = best / pair_score_normalizer(a.coefficients);
  out.offset_frames = refined_offset(std::move(peaks));
  out.offset_seconds = a.frames_per_second > 0 ? static_cast<double>(out.offset_frames) / a.frames_per_second : 0.0;
  return out;
}

}  // namespace vhm
