// TMK+PDQF scores: level-1 and level-2 of all 120 pairs of the reference hashes equal
// the scores Meta's tmk-two-level-score printed for them (reference-debian12).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>

#include "core/tmk_features.h"
#include "hash/tmk_hasher.h"
#include "signal/tmk_signal.h"
#include "support/test_support.h"

namespace vhm {
namespace {

namespace fs = std::filesystem;

TmkFeatures read_tmk(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  const std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  auto parsed = parse_tmk(bytes);
  EXPECT_TRUE(parsed.is_ok()) << path << ": " << parsed.status().to_string();
  return parsed.is_ok() ? std::move(parsed).value() : TmkFeatures{};
}

// The reference printed "%.6f"; the same formatting of our float must give the same text.
std::string six_decimals(float v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6f", v);
  return text;
}

TEST(TmkSignal, AllPairsScoreAsTheReference) {
  VHM_REQUIRE_CORPUS(corpus);
  const fs::path tmk = fs::path(corpus) / "threatexchange" / "tmk";
  std::map<std::string, TmkFeatures> hashes;
  for (const auto& entry : fs::directory_iterator(tmk / "sample-hashes"))
    if (entry.path().extension() == ".tmk") hashes[entry.path().stem().string()] = read_tmk(entry.path());
  hashes["test-padded-dimensions"] = read_tmk(tmk / "reference-debian12" / "test-padded-dimensions.tmk");
  ASSERT_EQ(hashes.size(), 16u);

  std::ifstream csv(tmk / "reference-debian12" / "pair-scores.csv");
  std::string line;
  std::getline(csv, line);
  ASSERT_EQ(line, "a,b,level1,level2");
  int pairs = 0;
  while (std::getline(csv, line)) {
    std::stringstream fields(line);
    std::string a, b, level1, level2;
    std::getline(fields, a, ',');
    std::getline(fields, b, ',');
    std::getline(fields, level1, ',');
    std::getline(fields, level2, ',');
    ASSERT_TRUE(hashes.count(a) && hashes.count(b)) << line;
    const TmkFeatures& fa = hashes[a];
    const TmkFeatures& fb = hashes[b];
    ASSERT_TRUE(tmk_check_comparable(fa, fb).is_ok()) << line;
    EXPECT_EQ(six_decimals(tmk_level1_score(fa, fb)), level1) << a << " " << b;
    EXPECT_EQ(six_decimals(tmk_level2_score(fa, fb)), level2) << a << " " << b;
    ++pairs;
  }
  EXPECT_EQ(pairs, 120);
}

TEST(TmkSignal, AVideoAgainstItselfScoresOne) {
  VHM_REQUIRE_CORPUS(corpus);
  const auto f = read_tmk(fs::path(corpus) / "threatexchange/tmk/sample-hashes/chair-19-sd-bar.tmk");
  EXPECT_NEAR(tmk_level1_score(f, f), 1.0f, 1e-6f);
  EXPECT_NEAR(tmk_level2_score(f, f), 1.0f, 1e-4f);
}

TEST(TmkSignal, IncomparableHashesAreNamed) {
  TmkFeatures a = TmkFeatures::make_empty_pdqf(), b = a;
  b.frames_per_second = 30;
  EXPECT_EQ(tmk_check_comparable(a, b).code(), StatusCode::kInvalidArgument);
  b = a;
  b.periods[0] += 1;
  EXPECT_NE(tmk_check_comparable(a, b).message().find("periods"), std::string::npos);
  b = a;
  b.coefficients[3] *= 1.01f;
  EXPECT_NE(tmk_check_comparable(a, b).message().find("coefficient 3"), std::string::npos);
  EXPECT_TRUE(tmk_check_comparable(a, a).is_ok());
}

// The features of `f`'s video with its first `shift` frames cut away, by the shift
// theorem of the Fourier cells (within each period; the video's ends aside): frame u of
// the cut video is frame u + shift of the original, so for theta = 2 pi j / T
//   cos' = cos(j theta shift) cos + sin(j theta shift) sin
//   sin' = cos(j theta shift) sin - sin(j theta shift) cos.
TmkFeatures shifted(const TmkFeatures& f, int shift) {
  TmkFeatures out = f;
  for (int i = 0; i < f.period_count(); ++i)
    for (int j = 0; j < f.coefficient_count(); ++j) {
      const double angle = 2.0 * 3.14159265358979323846 * j * shift / f.periods[i];
      const double c = std::cos(angle), s = std::sin(angle);
      auto fc = f.cos_feature(i, j), fs = f.sin_feature(i, j);
      auto oc = out.cos_feature(i, j), os = out.sin_feature(i, j);
      for (size_t k = 0; k < fc.size(); ++k) {
        oc[k] = static_cast<float>(c * fc[k] + s * fs[k]);
        os[k] = static_cast<float>(c * fs[k] - s * fc[k]);
      }
    }
  return out;
}

// A synthetic video (no corpus needed): 400 frames of smooth pseudo-random features.
TmkFeatures synthetic_video() {
  TmkAccumulator acc;
  uint32_t state = 12345;
  std::vector<float> frame(256, 0.0f);
  for (int t = 0; t < 400; ++t) {
    for (float& e : frame) {
      state = state * 1664525u + 1013904223u;
      e = 0.8f * e + static_cast<float>(state >> 8) / static_cast<float>(1u << 24) - 0.5f;
    }
    acc.add_feature(frame);
  }
  return acc.finish();
}

TEST(TmkSignal, AlignmentScoresAsLevel2AndFindsTheShift) {
  const TmkFeatures video = synthetic_video();
  for (int shift : {0, 1, 45, 100, 600}) {
    const TmkFeatures cut = shifted(video, shift);
    const TmkAlignment a = tmk_level2_alignment(video, cut);
    EXPECT_EQ(a.score, tmk_level2_score(video, cut)) << shift;
    EXPECT_NEAR(a.score, tmk_level2_score(video, video), 1e-3) << "a shift loses nothing";
    EXPECT_GT(a.period, 0);
    EXPECT_EQ(a.offset_frames, shift) << "the query starts " << shift << " frames into the video";
    EXPECT_DOUBLE_EQ(a.offset_seconds, shift / 15.0);
    // The other way round, the shift is the other way.
    const TmkAlignment back = tmk_level2_alignment(cut, video);
    EXPECT_EQ(back.score, tmk_level2_score(cut, video));
    EXPECT_EQ(back.offset_frames, -shift) << shift;
    EXPECT_DOUBLE_EQ(back.offset_seconds, -shift / 15.0);
  }
}

// A real cut, not the shift theorem: a clip of 300 frames taken `start` frames into a
// 1,200-frame video. Its features are its own frames' (normalised per cell), so the
// kernels peak broadly; the longest period's peak alone read a 45-frame cut as 0.
TEST(TmkSignal, AlignmentLocatesAClipCutFromTheVideo) {
  uint32_t state = 777;
  std::vector<std::vector<float>> frames(1200, std::vector<float>(256, 0.0f));
  std::vector<float> walk(256, 0.0f);
  for (auto& frame : frames) {
    for (float& e : walk) {
      state = state * 1664525u + 1013904223u;
      e = 0.99f * e + static_cast<float>(state >> 8) / static_cast<float>(1u << 24) - 0.5f;
    }
    frame = walk;
  }
  TmkAccumulator whole;
  for (const auto& f : frames) whole.add_feature(f);
  const TmkFeatures video = whole.finish();
  for (int start : {45, 300, 700}) {
    TmkAccumulator cut;
    for (int t = start; t < start + 300; ++t) cut.add_feature(frames[t]);
    const TmkFeatures clip = cut.finish();
    const TmkAlignment a = tmk_level2_alignment(video, clip);
    EXPECT_NEAR(static_cast<double>(a.offset_frames), start, 5.0) << "the clip starts " << start << " frames in";
    EXPECT_NEAR(static_cast<double>(tmk_level2_alignment(clip, video).offset_frames), -start, 5.0) << start;
  }
}

TEST(TmkSignal, AlignmentOfReferenceHashesScoresAsLevel2) {
  VHM_REQUIRE_CORPUS(corpus);
  const fs::path dir = fs::path(corpus) / "threatexchange/tmk/sample-hashes";
  const auto a = read_tmk(dir / "chair-19-sd-bar.tmk");
  const auto b = read_tmk(dir / "chair-20-sd-bar.tmk");
  EXPECT_EQ(tmk_level2_alignment(a, b).score, tmk_level2_score(a, b));
  const TmkAlignment self = tmk_level2_alignment(a, a);
  EXPECT_EQ(self.offset_frames, 0) << "a video aligns with itself at 0";
  EXPECT_EQ(self.score, tmk_level2_score(a, a));
}

TEST(TmkSignal, ZeroAveragesScoreZero) {
  const TmkFeatures a = TmkFeatures::make_empty_pdqf();
  EXPECT_EQ(tmk_level1_score(a, a), 0.0f);
}

}  // namespace
}  // namespace vhm
