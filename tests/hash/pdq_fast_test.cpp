// The optimised CPU path and the hasher implementations against the reference path,
// bit for bit (hash, quality and every DCT coefficient).
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "hash/pdq.h"
#include "hash/pdq_fast.h"
#include "hash/pdq_hasher.h"
#include "support/test_support.h"

namespace vhm {
namespace {

PdqDct reference_dct(const ImageView& v) {
  const size_t n = static_cast<size_t>(v.width) * v.height;
  std::vector<float> luma(n), scratch(n);
  pdq::luma_from_image(v, luma.data());
  return pdq::dct_from_luma_reference(luma.data(), scratch.data(), v.width, v.height);
}

void expect_same(const PdqDct& a, const PdqDct& b, const std::string& what) {
  EXPECT_EQ(a.too_small, b.too_small) << what;
  EXPECT_EQ(a.quality, b.quality) << what;
  EXPECT_EQ(std::memcmp(a.coeffs.data(), b.coeffs.data(), sizeof(float) * 256), 0) << what;
  EXPECT_EQ(pdq::hash_from_dct(a), pdq::hash_from_dct(b)) << what;
}

class PdqFastSizes : public ::testing::TestWithParam<std::pair<int, int>> {};

TEST_P(PdqFastSizes, BitExactWithReference) {
  const auto [w, h] = GetParam();
  pdq::FastScratch scratch;
  for (PixelFormat f : {PixelFormat::kRgb24, PixelFormat::kGray8}) {
    for (int extra : {0, 13}) {
      auto img = test::random_image(w, h, f, w * 1000 + h + extra, extra);
      const std::string what = std::to_string(w) + "x" + std::to_string(h) +
                               (f == PixelFormat::kRgb24 ? " rgb" : " grey") + " pad " + std::to_string(extra);
      expect_same(pdq::dct_from_image_fast(img.view, scratch), reference_dct(img.view), what);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(EdgeAndVideoSizes, PdqFastSizes,
                         ::testing::Values(std::pair{1, 1}, std::pair{4, 9}, std::pair{5, 5}, std::pair{7, 13},
                                           std::pair{8, 8}, std::pair{63, 65}, std::pair{64, 64}, std::pair{65, 64},
                                           std::pair{64, 200}, std::pair{127, 129}, std::pair{300, 17},
                                           std::pair{512, 512}, std::pair{854, 480}, std::pair{1280, 720},
                                           std::pair{1920, 1080}, std::pair{1366, 769}));

TEST(PdqFast, ManyRandomSizesBitExact) {
  std::mt19937 rng(99);
  std::uniform_int_distribution<int> dim(5, 700);
  pdq::FastScratch scratch;  // reused across sizes, as a video would
  for (int t = 0; t < 60; ++t) {
    const int w = dim(rng), h = dim(rng);
    auto img = test::random_image(w, h, t % 2 ? PixelFormat::kRgb24 : PixelFormat::kGray8, t);
    expect_same(pdq::dct_from_image_fast(img.view, scratch), reference_dct(img.view),
                std::to_string(w) + "x" + std::to_string(h));
  }
}

TEST(PdqFast, ExtremeValuesBitExact) {
  // All-white, all-black and alternating pixels stress the running sums' rounding.
  pdq::FastScratch scratch;
  for (int pattern = 0; pattern < 3; ++pattern) {
    std::vector<uint8_t> px(333 * 222 * 3);
    for (size_t i = 0; i < px.size(); ++i) px[i] = pattern == 0 ? 255 : pattern == 1 ? 0 : ((i / 3) % 2 ? 255 : 0);
    const ImageView v{px.data(), 333, 222, 333 * 3, PixelFormat::kRgb24};
    expect_same(pdq::dct_from_image_fast(v, scratch), reference_dct(v), "pattern " + std::to_string(pattern));
  }
}

TEST(PdqHasher, AllCpuImplementationsAgreeOnABatch) {
  std::vector<test::OwnedImage> images;
  std::vector<ImageView> views;
  for (int i = 0; i < 12; ++i) images.push_back(test::random_image(100 + 37 * i, 80 + 23 * i, PixelFormat::kRgb24, i));
  for (auto& im : images) views.push_back(im.view);
  std::vector<PdqHash> expected(views.size());
  auto reference = make_pdq_hasher({Device::kReference, 1});
  ASSERT_TRUE(reference);
  ASSERT_TRUE((*reference)->hash(views, expected).is_ok());
  for (int threads : {1, 2, 4}) {
    auto cpu = make_pdq_hasher({Device::kCpu, threads});
    ASSERT_TRUE(cpu);
    std::vector<PdqHash> got(views.size());
    std::vector<PdqDct> dcts(views.size());
    ASSERT_TRUE((*cpu)->hash(views, got, dcts).is_ok());
    EXPECT_EQ(got, expected) << threads << " threads";
    EXPECT_EQ(pdq::hash_from_dct(dcts[3]), expected[3].hash);
  }
}

TEST(PdqHasher, FactoryRejectsBadBatches) {
  auto cpu = make_pdq_hasher({Device::kCpu, 1});
  ASSERT_TRUE(cpu);
  auto img = test::random_image(10, 10, PixelFormat::kRgb24, 1);
  std::vector<PdqHash> two(2);
  EXPECT_EQ((*cpu)->hash({&img.view, 1}, two).code(), StatusCode::kInvalidArgument);
  ImageView short_stride = img.view;
  short_stride.stride = 5;
  PdqHash one;
  EXPECT_EQ((*cpu)->hash({&short_stride, 1}, {&one, 1}).code(), StatusCode::kInvalidArgument);
}

TEST(PdqHasher, AutoFallsBackToCpuWithoutGpu) {
  auto hasher = make_pdq_hasher({Device::kAuto, 1});
  ASSERT_TRUE(hasher);
  auto img = test::random_image(50, 40, PixelFormat::kRgb24, 5);
  PdqHash got;
  ASSERT_TRUE((*hasher)->hash({&img.view, 1}, {&got, 1}).is_ok());
  EXPECT_EQ(got, pdq_hash_reference(img.view));
}

}  // namespace
}  // namespace vhm
