#include <gtest/gtest.h>

#include <random>

#include "hash/letterbox.h"
#include "support/test_support.h"

namespace vhm {
namespace {

// A picture with black (noisy) bars of the given widths around it.
test::OwnedImage framed(int width, int height, int top, int bottom, int left, int right, int bar_noise = 6) {
  auto img = test::random_image(width, height, PixelFormat::kRgb24, 42);
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> noise(0, bar_noise);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      if (y < top || y >= height - bottom || x < left || x >= width - right)
        for (int c = 0; c < 3; ++c) img.pixels[y * img.view.stride + 3 * x + c] = static_cast<uint8_t>(noise(rng));
  return img;
}

TEST(Letterbox, FindsPillarboxAndLetterbox) {
  auto pillar = framed(480, 720, 0, 0, 32, 32);
  EXPECT_EQ(detect_bars(pillar.view), (CropRect{32, 0, 416, 720}));
  auto letter = framed(1280, 720, 90, 90, 0, 0);
  EXPECT_EQ(detect_bars(letter.view), (CropRect{0, 90, 1280, 540}));
  auto both = framed(640, 480, 40, 36, 20, 24);
  EXPECT_EQ(detect_bars(both.view), (CropRect{20, 40, 596, 404}));
  // A 9:16 phone clip on a 16:9 player: 405 of 1280 columns, the commonest bars of all.
  auto phone = framed(1280, 720, 0, 0, 437, 438);
  EXPECT_EQ(detect_bars(phone.view), (CropRect{437, 0, 405, 720}));
}

TEST(Letterbox, LeavesFramesWithoutBarsAndDarkFramesAlone) {
  auto plain = test::random_image(320, 240, PixelFormat::kRgb24, 1);
  EXPECT_TRUE(detect_bars(plain.view).empty());
  std::vector<uint8_t> black(320 * 240 * 3, 3);
  EXPECT_TRUE(detect_bars({black.data(), 320, 240, 320 * 3, PixelFormat::kRgb24}).empty());
  auto thin = framed(640, 480, 0, 0, 2, 2);  // 2 px of 640: below 2%, not worth it
  EXPECT_TRUE(detect_bars(thin.view).empty());
  auto mostly_bar = framed(640, 480, 0, 0, 250, 250);  // would keep 22% < 30%: refuse
  EXPECT_TRUE(detect_bars(mostly_bar.view).empty());
}

TEST(Letterbox, CropViewHashesLikeACopy) {
  auto pillar = framed(480, 720, 0, 0, 32, 32);
  const CropRect r = detect_bars(pillar.view);
  const ImageView inner = crop_view(pillar.view, r);
  std::vector<uint8_t> copy;
  for (int y = 0; y < r.height; ++y)
    copy.insert(copy.end(), inner.data + y * inner.stride, inner.data + y * inner.stride + 3 * r.width);
  const ImageView copied{copy.data(), r.width, r.height, 3 * r.width, PixelFormat::kRgb24};
  EXPECT_EQ(pdq_hash_reference(inner), pdq_hash_reference(copied));
  // And the bars change the hash a lot: that is why this exists.
  EXPECT_GT(pdq_hash_reference(pillar.view).hash.hamming(pdq_hash_reference(inner).hash), 31);
}

TEST(Letterbox, GreyFrames) {
  auto rgb = framed(400, 300, 30, 30, 0, 0);
  std::vector<uint8_t> grey(400 * 300);
  for (int i = 0; i < 400 * 300; ++i) grey[i] = rgb.pixels[3 * i + 1];
  EXPECT_EQ(detect_bars({grey.data(), 400, 300, 400, PixelFormat::kGray8}), (CropRect{0, 30, 400, 240}));
}

}  // namespace
}  // namespace vhm
