// Still-image decoding: formats the reference reads (exact pixels), formats it cannot
// (documented conversions), and bad input (clear errors naming the file).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "decode/image_decoder.h"
#include "hash/pdq.h"
#include "support/test_support.h"

namespace vhm {
namespace {

namespace fs = std::filesystem;

PdqHash photo_hash(const std::string& path) {
  auto image = decode_image_file(path);
  EXPECT_TRUE(image.is_ok()) << image.status().to_string();
  if (!image) return {};
  resize_like_reference_photo_tool(*image);
  return pdq_hash_reference(image->view());
}

TEST(ImageDecoder, FormatsTheReferenceCannotReadStillHash) {
  // The modes/ images are one picture in many pixel formats; the reference tool reads
  // only some. Every one must hash, and match the original.
  VHM_REQUIRE_CORPUS(corpus);
  const std::string dir = corpus + "/threatexchange/pdq/data/misc-images/modes/";
  const PdqHash original = photo_hash(dir + "original.jpg");
  for (const char* name : {"CMYK.jpg", "RGBA.png", "LA.png", "F.webp", "HSV.webp", "I.webp", "LAB.webp", "PA.webp"}) {
    auto image = decode_image_file(dir + name);
    ASSERT_TRUE(image.is_ok()) << name << ": " << image.status().to_string();
    EXPECT_FALSE(image->conversion.empty()) << name << " should say how it was converted";
    const int distance = photo_hash(dir + name).hash.hamming(original.hash);
    EXPECT_LE(distance, 8) << name;
    RecordProperty(std::string("distance_") + name, distance);
  }
}

TEST(ImageDecoder, GreyPngStaysOneChannel) {
  VHM_REQUIRE_CORPUS(corpus);
  auto image = decode_image_file(corpus + "/threatexchange/pdq/data/misc-images/modes/L.png");
  ASSERT_TRUE(image.is_ok());
  EXPECT_EQ(image->format, PixelFormat::kGray8);
  EXPECT_EQ(image->width, 1600);
  EXPECT_EQ(image->height, 1004);
}

TEST(ImageDecoder, TiffAndBmpThroughFfmpeg) {
  VHM_REQUIRE_CORPUS(corpus);
  if (std::system("command -v ffmpeg >/dev/null 2>&1") != 0) GTEST_SKIP() << "ffmpeg CLI not installed";
  const std::string src = corpus + "/threatexchange/pdq/data/misc-images/modes/original.jpg";
  const fs::path dir = fs::temp_directory_path() / "vhm_decoder_test";
  fs::create_directories(dir);
  const PdqHash original = photo_hash(src);
  for (const char* ext : {"tiff", "bmp"}) {
    const std::string out = (dir / (std::string("x.") + ext)).string();
    ASSERT_EQ(std::system(("ffmpeg -v error -y -i " + src + " " + out).c_str()), 0);
    auto image = decode_image_file(out);
    ASSERT_TRUE(image.is_ok()) << image.status().to_string();
    EXPECT_TRUE(image->decoder.starts_with("ffmpeg:")) << image->decoder;
    EXPECT_LE(photo_hash(out).hash.hamming(original.hash), 8) << ext;
  }
  fs::remove_all(dir);
}

// How vhm serve tells an upload's kind when the client does not say.
TEST(ImageDecoder, LooksLikeStillImageBySignature) {
  VHM_REQUIRE_CORPUS(corpus);
  auto bytes_of = [](const std::string& path) {
    const std::string text = test::read_text_file(path);
    return std::vector<uint8_t>(text.begin(), text.end());
  };
  const std::string modes = corpus + "/threatexchange/pdq/data/misc-images/modes/";
  for (const char* name : {"original.jpg", "RGBA.png", "F.webp"})
    EXPECT_TRUE(looks_like_still_image(bytes_of(modes + name))) << name;
  EXPECT_FALSE(looks_like_still_image(bytes_of(corpus + "/threatexchange/tmk/sample-videos/doorknob-hd-no-bar.mp4")));
  const std::string gif = "GIF89a\x01\x00";
  EXPECT_TRUE(looks_like_still_image({reinterpret_cast<const uint8_t*>(gif.data()), gif.size()}));
  EXPECT_FALSE(looks_like_still_image({}));
}

TEST(ImageDecoder, NearestNeighbourResizeMatchesCImg) {
  // 3x2 -> 2x2 would not trigger; check the index rule directly on a 600x1 gradient.
  DecodedImage image;
  image.width = 600;
  image.height = 3;
  image.format = PixelFormat::kGray8;
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 600; ++x) image.pixels.push_back(static_cast<uint8_t>((x * 7 + y) & 255));
  ASSERT_TRUE(resize_like_reference_photo_tool(image, 512));
  EXPECT_EQ(image.width, 512);
  EXPECT_EQ(image.height, 512);
  for (int y : {0, 255, 511})
    for (int x : {0, 1, 300, 511}) {
      const int sx = static_cast<int>(static_cast<double>(x) * 600 / 512);
      const int sy = static_cast<int>(static_cast<double>(y) * 3 / 512);
      EXPECT_EQ(image.pixels[y * 512 + x], static_cast<uint8_t>((sx * 7 + sy) & 255));
    }
  DecodedImage small;
  small.width = 512;
  small.height = 100;
  small.pixels.resize(512 * 100 * 3);
  EXPECT_FALSE(resize_like_reference_photo_tool(small, 512));
}

class BadImages : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("vhm_bad_images_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& bytes) {
    const std::string p = (dir_ / name).string();
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
  fs::path dir_;
};

TEST_F(BadImages, EachFailsWithTheFileNamed) {
  std::string random_bytes;
  for (int i = 0; i < 5000; ++i) random_bytes.push_back(static_cast<char>((i * 2654435761u) >> 13));
  const std::string png_header_only = std::string("\x89PNG\r\n\x1a\n", 8) + "garbage";
  const std::string jpeg_header_only = "\xFF\xD8\xFF\xE0garbage";
  for (const std::string& path :
       {write("empty.jpg", ""), write("random.png", random_bytes), write("bad.png", png_header_only),
        write("bad.jpg", jpeg_header_only), write("text.jpg", "hello world\n"), (dir_ / "missing.jpg").string()}) {
    auto r = decode_image_file(path);
    ASSERT_FALSE(r.is_ok()) << path;
    EXPECT_NE(r.status().to_string().find(path), std::string::npos) << r.status().to_string();
    EXPECT_FALSE(r.status().message().empty());
  }
}

TEST_F(BadImages, TruncatedPngFailsTruncatedJpegKeepsWhatItHas) {
  VHM_REQUIRE_CORPUS(corpus);
  const std::string png = test::read_text_file(corpus + "/threatexchange/pdq/data/misc-images/modes/L.png");
  auto r = decode_image_file(write("cut.png", png.substr(0, png.size() / 2)));
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("PNG"), std::string::npos);
  // libjpeg (like the reference) decodes a truncated JPEG, filling the missing rows.
  const std::string jpg = test::read_text_file(corpus + "/threatexchange/pdq/data/misc-images/modes/original.jpg");
  auto j = decode_image_file(write("cut.jpg", jpg.substr(0, jpg.size() / 2)));
  ASSERT_TRUE(j.is_ok()) << j.status().to_string();
  EXPECT_EQ(j->width, 1600);
}

}  // namespace
}  // namespace vhm
