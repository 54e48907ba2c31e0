// TMK+PDQF from libav: every reference .tmk whose video is in the corpus is reproduced.
// Where a file is not byte-identical the test prints, per section, the largest absolute
// difference, and still requires level-1 and level-2 against the reference >= 0.99999.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/tmk_features.h"
#include "hash/tmk_hasher.h"
#include "hash/video_hasher.h"
#include "signal/tmk_signal.h"
#include "support/test_support.h"

namespace vhm {
namespace {

namespace fs = std::filesystem;

std::vector<uint8_t> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

float max_abs_difference(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return INFINITY;
  float m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

// (video, reference hash) for every sample video with a hash, and the padded one.
std::vector<std::pair<fs::path, fs::path>> reference_pairs(const std::string& corpus) {
  const fs::path tmk = fs::path(corpus) / "threatexchange" / "tmk";
  std::vector<std::pair<fs::path, fs::path>> pairs;
  for (const auto& entry : fs::directory_iterator(tmk / "sample-hashes")) {
    if (entry.path().extension() != ".tmk") continue;
    const fs::path video = tmk / "sample-videos" / (entry.path().stem().string() + ".mp4");
    if (fs::exists(video)) pairs.emplace_back(video, entry.path());
  }
  pairs.emplace_back(tmk / "sample-videos" / "test-padded-dimensions.mp4",
                     tmk / "reference-debian12" / "test-padded-dimensions.tmk");
  std::sort(pairs.begin(), pairs.end());
  return pairs;
}

TEST(TmkHasher, ReproducesTheReferenceHashes) {
  VHM_REQUIRE_CORPUS(corpus);
  const auto pairs = reference_pairs(corpus);
  ASSERT_EQ(pairs.size(), 14u);
  int identical = 0;
  for (const auto& [video, reference_path] : pairs) {
    const auto reference_bytes = read_bytes(reference_path);
    auto reference = parse_tmk(reference_bytes);
    ASSERT_TRUE(reference.is_ok()) << reference.status().to_string();
    auto ours = tmk_hash_video(video.string());
    ASSERT_TRUE(ours.is_ok()) << ours.status().to_string();
    // The one-pass path (TMK beside vPDQ, from the decode vPDQ makes) gives the same.
    VideoHashConfig both;
    both.sampling = VideoSampling::kEverySeconds;
    both.compute_tmk = true;
    auto one_pass = hash_video(video.string(), both);
    ASSERT_TRUE(one_pass.is_ok()) << one_pass.status().to_string();
    ASSERT_TRUE(one_pass->tmk.has_value());
    EXPECT_TRUE(*one_pass->tmk == *ours) << video.filename() << ": one pass differs from TMK alone";
    if (serialize_tmk(*ours) == reference_bytes) {
      ++identical;
      continue;
    }
    const float level1 = tmk_level1_score(*ours, *reference);
    const float level2 = tmk_level2_score(*ours, *reference);
    ADD_FAILURE() << video.filename() << " not byte-identical: frames " << ours->frame_count << " vs "
                  << reference->frame_count << "; max |diff| pure average "
                  << max_abs_difference(ours->pure_average, reference->pure_average) << ", cos "
                  << max_abs_difference(ours->cos_features, reference->cos_features) << ", sin "
                  << max_abs_difference(ours->sin_features, reference->sin_features) << "; level-1 " << level1
                  << ", level-2 " << level2;
    EXPECT_GE(level1, 0.99999f) << video.filename();
    EXPECT_GE(level2, 0.99999f) << video.filename();
  }
  std::printf("TMK: %d of %zu reference hashes byte-identical\n", identical, pairs.size());
}

// One video through the whole path, for the sanitizer run (which leaves out the sweep
// above): the odd-sized one, whose frames are padded, byte for byte.
TEST(TmkHasher, OddSizedVideoReproducesItsReferenceHash) {
  VHM_REQUIRE_CORPUS(corpus);
  const fs::path tmk = fs::path(corpus) / "threatexchange" / "tmk";
  const auto reference_bytes = read_bytes(tmk / "reference-debian12" / "test-padded-dimensions.tmk");
  ASSERT_FALSE(reference_bytes.empty());
  auto ours = tmk_hash_video((tmk / "sample-videos" / "test-padded-dimensions.mp4").string());
  ASSERT_TRUE(ours.is_ok()) << ours.status().to_string();
  EXPECT_TRUE(serialize_tmk(*ours) == reference_bytes);
}

// One decode for both signals: every frame's vPDQ exactly as without TMK, and the TMK
// exactly the reference's.
TEST(TmkHasher, OnePassGivesTheVpdqAndTheTmkOfTwoPasses) {
  VHM_REQUIRE_CORPUS(corpus);
  const fs::path tmk = fs::path(corpus) / "threatexchange" / "tmk";
  const std::string video = (tmk / "sample-videos" / "test-padded-dimensions.mp4").string();
  const auto reference_bytes = read_bytes(tmk / "reference-debian12" / "test-padded-dimensions.tmk");
  VideoHashConfig vpdq_only;
  auto alone = hash_video(video, vpdq_only);
  ASSERT_TRUE(alone.is_ok()) << alone.status().to_string();
  EXPECT_FALSE(alone->tmk.has_value());
  VideoHashConfig both = vpdq_only;
  both.compute_tmk = true;
  auto one_pass = hash_video(video, both);
  ASSERT_TRUE(one_pass.is_ok()) << one_pass.status().to_string();
  EXPECT_EQ(one_pass->frames, alone->frames);
  EXPECT_EQ(one_pass->frames_decoded, alone->frames_decoded);
  ASSERT_TRUE(one_pass->tmk.has_value());
  EXPECT_TRUE(serialize_tmk(*one_pass->tmk) == reference_bytes);
}

// Key frames with TMK: every frame is decoded for TMK, and PDQ hashes the key frames of
// them: the same frames, indexes and hashes as a keyframes-only decode, and the
// reference's TMK.
TEST(TmkHasher, KeyframesSamplingWithTmkGivesTheKeyframesAndTheFullTmk) {
  VHM_REQUIRE_CORPUS(corpus);
  const fs::path tmk = fs::path(corpus) / "threatexchange" / "tmk";
  const std::string video = (tmk / "sample-videos" / "chair-19-sd-bar.mp4").string();
  const auto reference_bytes = read_bytes(tmk / "sample-hashes" / "chair-19-sd-bar.tmk");
  VideoHashConfig keyframes;
  keyframes.sampling = VideoSampling::kKeyframes;
  auto alone = hash_video(video, keyframes);
  ASSERT_TRUE(alone.is_ok()) << alone.status().to_string();
  ASSERT_GT(alone->frames.size(), 1u);
  VideoHashConfig with_tmk = keyframes;
  with_tmk.compute_tmk = true;
  auto both = hash_video(video, with_tmk);
  ASSERT_TRUE(both.is_ok()) << both.status().to_string();
  EXPECT_EQ(both->frames, alone->frames);
  EXPECT_GT(both->frames_decoded, alone->frames_decoded);  // the other frames were decoded too
  ASSERT_TRUE(both->tmk.has_value());
  EXPECT_TRUE(serialize_tmk(*both->tmk) == reference_bytes);
}

TEST(TmkHasher, FeatureAccumulationIsNormalisedAndWeighted) {
  TmkAccumulator acc;
  std::vector<float> feature(256);
  for (int k = 0; k < 256; ++k) feature[k] = static_cast<float>((k * 37) % 101) - 50.0f;
  acc.add_feature(feature);
  acc.add_feature(feature);
  const TmkFeatures f = acc.finish();
  EXPECT_EQ(f.frame_count, 2);
  EXPECT_EQ(f.pure_average, feature);  // the average of two equal features
  // Each (period, coefficient) cell has norm sqrt(c_j), sin of j = 0 excepted (zero).
  for (int j = 0; j < f.coefficient_count(); ++j) {
    float sum = 0;
    for (float e : f.cos_feature(0, j)) sum += e * e;
    EXPECT_NEAR(std::sqrt(sum), std::sqrt(f.coefficients[j]), 1e-6f) << j;
  }
  for (float e : f.sin_feature(2, 0)) EXPECT_EQ(e, 0.0f);
}

}  // namespace
}  // namespace vhm
