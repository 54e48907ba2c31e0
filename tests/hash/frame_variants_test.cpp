// Variants: the inside-bars hash of host frames with bars, and the 7 dihedral hashes.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "hash/frame_variants.h"
#include "hash/letterbox.h"
#include "hash/pdq.h"
#include "hash/pdq_hasher.h"
#include "support/test_support.h"

namespace vhm {
namespace {

// A picture with black bars `bar` pixels tall above and below it.
test::OwnedImage letterboxed(int width, int height, int bar, uint32_t seed) {
  auto img = test::random_image(width, height, PixelFormat::kRgb24, seed);
  for (int y = 0; y < height; ++y)
    if (y < bar || y >= height - bar) std::fill_n(img.pixels.begin() + y * img.view.stride, 3 * width, uint8_t{2});
  return img;
}

std::unique_ptr<PdqHasher> cpu_hasher() {
  auto h = make_pdq_hasher({Device::kCpu, 1});
  EXPECT_TRUE(h.is_ok());
  return std::move(h).value();
}

TEST(FrameVariants, NoneAskedLeavesTheFrameAsItWas) {
  auto hasher = cpu_hasher();
  auto bars = letterboxed(320, 240, 40, 1);
  const std::vector<ImageView> frames = {bars.view};
  const std::vector<PixelMemory> memory = {PixelMemory::kHost};
  BatchVariants variants({});
  EXPECT_FALSE(variants.wants_dcts());
  ASSERT_TRUE(variants.hash_batch(*hasher, frames, memory).is_ok());
  FrameHash frame;
  frame.index = 3;
  const FrameHash before = frame;
  variants.add_to(0, nullptr, frame);
  EXPECT_EQ(frame, before);
}

TEST(FrameVariants, InsideBarsHashOfHostFramesWithBarsOnly) {
  auto hasher = cpu_hasher();
  auto bars_a = letterboxed(320, 240, 40, 1);
  auto plain = test::random_image(320, 240, PixelFormat::kRgb24, 2);
  auto bars_b = letterboxed(400, 300, 50, 3);
  ASSERT_FALSE(detect_bars(bars_a.view).empty());
  ASSERT_TRUE(detect_bars(plain.view).empty());
  // The last frame claims to be on the device: its pixels are not to be read for bars
  // (here they are host bytes with bars, so reading them would show).
  const std::vector<ImageView> frames = {bars_a.view, plain.view, bars_b.view, bars_b.view};
  const std::vector<PixelMemory> memory = {PixelMemory::kHost, PixelMemory::kHost, PixelMemory::kHost,
                                           PixelMemory::kDevice};
  BatchVariants variants({.crop_bars = true, .dihedral = false});
  ASSERT_TRUE(variants.hash_batch(*hasher, frames, memory).is_ok());
  std::vector<FrameHash> out(frames.size());
  for (size_t i = 0; i < frames.size(); ++i) variants.add_to(i, nullptr, out[i]);

  for (const size_t i : {size_t{0}, size_t{2}}) {
    const PdqHash want = pdq_hash_reference(crop_view(frames[i], detect_bars(frames[i])));
    ASSERT_TRUE(out[i].has_cropped) << i;
    EXPECT_EQ(out[i].cropped, want.hash) << i;
    EXPECT_EQ(out[i].cropped_quality, want.quality) << i;
    EXPECT_TRUE(out[i].dihedral.empty());
  }
  EXPECT_FALSE(out[1].has_cropped);
  EXPECT_FALSE(out[3].has_cropped);
}

TEST(FrameVariants, DihedralHashesAreTheSevenTransformsOfTheDct) {
  auto hasher = cpu_hasher();
  auto img = test::random_image(256, 192, PixelFormat::kRgb24, 9);
  const std::vector<ImageView> frames = {img.view};
  const std::vector<PixelMemory> memory = {PixelMemory::kHost};
  std::vector<PdqHash> hashes(1);
  std::vector<PdqDct> dcts(1);
  ASSERT_TRUE(hasher->hash(frames, hashes, dcts).is_ok());

  BatchVariants variants({.crop_bars = false, .dihedral = true});
  EXPECT_TRUE(variants.wants_dcts());
  ASSERT_TRUE(variants.hash_batch(*hasher, frames, memory).is_ok());
  FrameHash frame;
  variants.add_to(0, &dcts[0], frame);
  ASSERT_EQ(frame.dihedral.size(), static_cast<size_t>(kDihedralCount - 1));
  for (int d = 1; d < kDihedralCount; ++d) {
    const auto coefficients = pdq::dct_dihedral(dcts[0].coeffs, static_cast<Dihedral>(d));
    PdqDct transformed = dcts[0];
    transformed.coeffs = coefficients;
    EXPECT_EQ(frame.dihedral[d - 1], pdq::hash_from_dct(transformed)) << d;
  }
  // The identity is the frame's own hash, so it is not repeated among the variants.
  EXPECT_EQ(pdq::hash_from_dct(dcts[0]), hashes[0].hash);
  EXPECT_FALSE(frame.has_cropped);
}

}  // namespace
}  // namespace vhm
