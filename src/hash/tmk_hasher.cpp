#include "hash/tmk_hasher.h"

#include <cmath>

#include "decode/tmk_frames.h"
#include "hash/pdq.h"

namespace vhm {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr int kSide = kTmkFrameSide;

// libvec's L2 normalisation: float sum of squares, float sqrt, divide (a zero vector
// stays zero).
template <typename Span>
void l2_normalize(Span v) {
  float sum = 0.0f;
  for (float e : v) sum += e * e;
  const float norm = std::sqrt(sum);
  if (norm > 0.0f)
    for (float& e : v) e /= norm;
}

}  // namespace

TmkAccumulator::TmkAccumulator() : features_(TmkFeatures::make_empty_pdqf()), luma_(kSide * kSide) {}

void TmkAccumulator::add_rgb64x64(const uint8_t* rgb) {
  // The reference's fillFloatLumaFromRGB then, the frame being 64x64 already, the DCT
  // straight from that luminance (no Jarosz filter, no decimation).
  pdq::luma_from_image(ImageView{rgb, kSide, kSide, 3 * kSide, PixelFormat::kRgb24}, luma_.data());
  const PdqDct dct = pdq::dct_from_64x64(luma_.data());
  add_feature(std::vector<float>(dct.coeffs.begin(), dct.coeffs.end()));
}

void TmkAccumulator::add_feature(const std::vector<float>& feature) {
  const int d = features_.feature_dimension();
  for (int k = 0; k < d; ++k) features_.pure_average[k] += feature[k];
  std::vector<float> unit(feature);
  l2_normalize(std::span<float>(unit));
  const int t = features_.frame_count;
  for (int i = 0; i < features_.period_count(); ++i) {
    const int period = features_.periods[i];
    auto dc = features_.cos_feature(i, 0);
    for (int k = 0; k < d; ++k) dc[k] += unit[k];
    for (int j = 1; j < features_.coefficient_count(); ++j) {
      // float += float * double: the product and sum in double, rounded to float.
      const double arg = 2.0 * kPi * static_cast<double>(j) * static_cast<double>(t) / static_cast<double>(period);
      const double c = std::cos(arg), s = std::sin(arg);
      auto cf = features_.cos_feature(i, j);
      auto sf = features_.sin_feature(i, j);
      for (int k = 0; k < d; ++k) {
        cf[k] = static_cast<float>(cf[k] + unit[k] * c);
        sf[k] = static_cast<float>(sf[k] + unit[k] * s);
      }
    }
  }
  ++features_.frame_count;
}

TmkFeatures TmkAccumulator::finish() {
  if (features_.frame_count > 0) {
    const float n = static_cast<float>(features_.frame_count);
    for (float& e : features_.pure_average) e /= n;
    for (int i = 0; i < features_.period_count(); ++i) {
      for (int j = 0; j < features_.coefficient_count(); ++j) {
        const float weight = std::sqrt(features_.coefficients[j]);
        for (auto cell : {features_.cos_feature(i, j), features_.sin_feature(i, j)}) {
          l2_normalize(cell);
          for (float& e : cell) e *= weight;
        }
      }
    }
  }
  return std::move(features_);
}

Result<TmkFeatures> tmk_hash_video(const std::string& url, const MediaPolicy& media) {
  TmkAccumulator accumulator;
  auto stats = decode_tmk_frames(
      url, [&](const uint8_t* rgb) { accumulator.add_rgb64x64(rgb); }, media);
  if (!stats.is_ok()) return stats.status();
  return accumulator.finish();
}

}  // namespace vhm
