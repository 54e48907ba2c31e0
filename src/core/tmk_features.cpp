#include "core/tmk_features.h"

#include "core/base64.h"

#include <bit>
#include <cstring>
#include <string>

namespace vhm {

// The file is the host's memory image on little-endian machines (the reference fwrites
// its structs); vhm reads and writes it with memcpy, so it must be one too.
static_assert(std::endian::native == std::endian::little, "the .tmk format is little-endian");

namespace {

constexpr int kHeaderBytes = 32;
// Far above any real hash (the reference's are 4 x 32 x 256), low enough that the
// product of the three cannot overflow before the length check refuses it.
constexpr int32_t kMaxCount = 1 << 16;

constexpr int32_t kPeriods[] = {2731, 4391, 9767, 14653};
// Double literals rounded to float, as the reference's initializer does.
constexpr float kCoefficients[] = {
    0.0708041893112,   0.13937789309,     0.132897260304,    0.122765735552,    0.109878684888,    0.09529606433,
    0.0800986647852,   0.0652590650356,   0.0515478238322,   0.0394851531195,   0.0293374252025,   0.0211492623679,
    0.0147973073245,   0.0100512818746,   0.0066306408014,   0.00424947117334,  0.0026467615764,   0.00160270959695,
    0.000943882629639, 0.000540841638603, 0.000301633183798, 0.000163800158855, 8.66454753015e-05, 4.46626303151e-05,
    2.24429442235e-05, 1.09982139799e-05, 5.25823487999e-06, 2.45358229988e-06, 1.11781474895e-06, 4.97406489221e-07,
    2.16265487234e-07, 9.19087006565e-08};

Status corrupt(const std::string& why) { return Status(StatusCode::kCorrupt, "not a TMK+PDQF file: " + why); }

class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  size_t remaining() const { return bytes_.size() - at_; }
  bool magic(const char* expected) {
    const bool same = std::memcmp(bytes_.data() + at_, expected, 4) == 0;
    at_ += 4;
    return same;
  }
  template <typename T>
  void values(T* out, size_t count) {
    std::memcpy(out, bytes_.data() + at_, count * sizeof(T));
    at_ += count * sizeof(T);
  }

 private:
  std::span<const uint8_t> bytes_;
  size_t at_ = 0;
};

template <typename T>
void append(std::vector<uint8_t>& out, const T* values, size_t count) {
  const auto* p = reinterpret_cast<const uint8_t*>(values);
  out.insert(out.end(), p, p + count * sizeof(T));
}

}  // namespace

std::span<const int32_t> tmk_default_periods() { return kPeriods; }
std::span<const float> tmk_default_coefficients() { return kCoefficients; }

TmkFeatures TmkFeatures::make_empty_pdqf() {
  constexpr int kPdqfDimension = 256;
  TmkFeatures f;
  f.periods.assign(std::begin(kPeriods), std::end(kPeriods));
  f.coefficients.assign(std::begin(kCoefficients), std::end(kCoefficients));
  f.pure_average.assign(kPdqfDimension, 0.0f);
  const size_t cells = f.periods.size() * f.coefficients.size() * kPdqfDimension;
  f.cos_features.assign(cells, 0.0f);
  f.sin_features.assign(cells, 0.0f);
  return f;
}

Result<TmkFeatures> parse_tmk(std::span<const uint8_t> bytes) {
  if (bytes.size() < kHeaderBytes)
    return corrupt(std::to_string(bytes.size()) + " bytes, shorter than the 32-byte header");
  ByteReader in(bytes);
  if (!in.magic("TMK1")) return corrupt("project magic is not TMK1");
  if (!in.magic("FVEC")) return corrupt("file-type magic is not FVEC (a .vstr or .feat file?)");
  TmkFeatures f;
  in.values(f.algorithm_magic.data(), 4);
  if (f.algorithm_magic != TmkFeatures::kPdqfMagic) return corrupt("frame-feature algorithm is not PDQF");
  int32_t counts[5];  // fps, P, C, D, frame count
  in.values(counts, 5);
  f.frames_per_second = counts[0];
  f.frame_count = counts[4];
  const int32_t p = counts[1], c = counts[2], d = counts[3];
  for (int32_t n : {p, c, d}) {
    if (n < 0 || n > kMaxCount)
      return corrupt("period, coefficient or dimension count " + std::to_string(n) + " out of range");
  }
  const uint64_t cells = uint64_t(p) * uint64_t(c) * uint64_t(d);
  const uint64_t expected = 4ull * (uint64_t(p) + uint64_t(c) + uint64_t(d) + 2 * cells);
  if (in.remaining() < expected)
    return corrupt("truncated: " + std::to_string(in.remaining()) + " bytes after the header, " +
                   std::to_string(expected) + " expected");
  if (in.remaining() > expected)
    return corrupt(std::to_string(in.remaining() - expected) + " bytes after the sin features");
  f.periods.resize(p);
  f.coefficients.resize(c);
  f.pure_average.resize(d);
  f.cos_features.resize(cells);
  f.sin_features.resize(cells);
  in.values(f.periods.data(), f.periods.size());
  in.values(f.coefficients.data(), f.coefficients.size());
  in.values(f.pure_average.data(), f.pure_average.size());
  in.values(f.cos_features.data(), f.cos_features.size());
  in.values(f.sin_features.data(), f.sin_features.size());
  return f;
}

std::vector<uint8_t> serialize_tmk(const TmkFeatures& f) {
  std::vector<uint8_t> out;
  out.reserve(kHeaderBytes + 4 * (f.periods.size() + f.coefficients.size() + f.pure_average.size() +
                                  f.cos_features.size() + f.sin_features.size()));
  append(out, "TMK1", 4);
  append(out, "FVEC", 4);
  append(out, f.algorithm_magic.data(), 4);
  const int32_t counts[5] = {f.frames_per_second, f.period_count(), f.coefficient_count(), f.feature_dimension(),
                             f.frame_count};
  append(out, counts, 5);
  append(out, f.periods.data(), f.periods.size());
  append(out, f.coefficients.data(), f.coefficients.size());
  append(out, f.pure_average.data(), f.pure_average.size());
  append(out, f.cos_features.data(), f.cos_features.size());
  append(out, f.sin_features.data(), f.sin_features.size());
  return out;
}

std::string format_threatexchange_tmk(std::span<const uint8_t> tmk_file) {
  if (tmk_file.size() < kTmkTextMagic.size()) return base64_encode(tmk_file);
  return std::string(kTmkTextMagic) + "|" + base64_encode(tmk_file.subspan(kTmkTextMagic.size()));
}

Result<std::vector<uint8_t>> parse_threatexchange_tmk(std::string_view text, size_t max_bytes) {
  const size_t magic = kTmkTextMagic.size();
  if (text.size() <= magic || text.substr(0, magic) != kTmkTextMagic || text[magic] != '|')
    return Status(StatusCode::kCorrupt, "not ThreatExchange's TMK form (\"TMK1FVECPDQF|\" + base64)");
  auto rest = base64_decode(text.substr(magic + 1), max_bytes);
  if (!rest) return rest.status();
  std::vector<uint8_t> out(kTmkTextMagic.begin(), kTmkTextMagic.end());
  out.insert(out.end(), rest->begin(), rest->end());
  return out;
}

}  // namespace vhm
