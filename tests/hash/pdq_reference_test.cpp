// PDQ against the reference photo tool's own output on the shared corpus.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "decode/image_decoder.h"
#include "hash/pdq.h"
#include "hash/pdq_hasher.h"
#include "support/test_support.h"

namespace vhm {
namespace {

struct ReferenceLine {
  std::string hex;
  int quality;
  std::string path;
};

std::vector<ReferenceLine> read_reference_csv(const std::string& file) {
  std::vector<ReferenceLine> lines;
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::stringstream s(line);
    ReferenceLine r;
    std::string q;
    std::getline(s, r.hex, ',');
    std::getline(s, q, ',');
    std::getline(s, r.path);
    r.quality = std::stoi(q);
    lines.push_back(r);
  }
  return lines;
}

// Hash as the reference photo tool does: decode, pre-resize to 512x512 when larger.
PdqDct photo_tool_dct(const std::string& path) {
  auto image = decode_image_file(path);
  EXPECT_TRUE(image.is_ok()) << image.status().to_string();
  if (!image) return {};
  resize_like_reference_photo_tool(*image);
  const size_t n = static_cast<size_t>(image->width) * image->height;
  std::vector<float> luma(n), scratch(n);
  pdq::luma_from_image(image->view(), luma.data());
  return pdq::dct_from_luma_reference(luma.data(), scratch.data(), image->width, image->height);
}

TEST(PdqReference, ReproducesReferencePhotoToolOnCorpus) {
  VHM_REQUIRE_CORPUS(corpus);
  const auto lines = read_reference_csv(corpus + "/threatexchange/pdq/reference-debian12-photo.csv");
  ASSERT_EQ(lines.size(), 39u);
  int worst_jpeg = 0, png_count = 0;
  for (const auto& ref : lines) {
    const PdqDct dct = photo_tool_dct(corpus + "/threatexchange/" + ref.path);
    const Hash256 got = pdq::hash_from_dct(dct);
    const int distance = got.hamming(*Hash256::from_hex(ref.hex));
    if (ref.path.ends_with(".png")) {
      ++png_count;
      EXPECT_EQ(got.to_hex(), ref.hex) << ref.path;  // same decoder: must be exact
    } else {
      worst_jpeg = std::max(worst_jpeg, distance);
    }
    EXPECT_EQ(dct.quality, ref.quality) << ref.path;
  }
  EXPECT_EQ(png_count, 3);
  // libjpeg-turbo is the reference's decoder too, so JPEGs are exact as well.
  EXPECT_EQ(worst_jpeg, 0) << "worst JPEG distance from the reference";
  RecordProperty("worst_jpeg_distance", worst_jpeg);
}

TEST(PdqReference, DihedralHashesMatchReference) {
  VHM_REQUIRE_CORPUS(corpus);
  std::ifstream in(corpus + "/threatexchange/pdq/reference-debian12-dihedral.txt");
  std::string header, line;
  std::getline(in, header);
  std::getline(in, line);
  std::vector<std::string> fields;
  std::stringstream s(line);
  for (std::string f; std::getline(s, f, ',');) fields.push_back(f);
  ASSERT_EQ(fields.size(), 10u);
  const PdqDct dct = photo_tool_dct(corpus + "/threatexchange/" + fields[9]);
  const PdqDihedralHashes d = pdq_dihedral_from_dct(dct);
  for (int k = 0; k < kDihedralCount; ++k)
    EXPECT_EQ(d.hashes[k].to_hex(), fields[k]) << dihedral_name(static_cast<Dihedral>(k));
  EXPECT_EQ(d.quality, std::stoi(fields[8]));
}

TEST(PdqReference, DihedralVariantsPredictTransformedFiles) {
  // bridge-2..8 are the original rotated and flipped as files (re-encoded JPEGs): each
  // must match (distance <= 31) the DCT-domain variant of the original, and be far from the others.
  VHM_REQUIRE_CORPUS(corpus);
  const std::string dir = corpus + "/threatexchange/pdq/data/reg-test-input/dih/";
  const char* files[] = {"bridge-1-original.jpg",    "bridge-2-rotate-90.jpg",   "bridge-3-rotate-180.jpg",
                         "bridge-4-rotate-270.jpg",  "bridge-5-flipx.jpg",       "bridge-6-flipy.jpg",
                         "bridge-7-flip-plus-1.jpg", "bridge-8-flip-minus-1.jpg"};
  const PdqDihedralHashes variants = pdq_dihedral_from_dct(photo_tool_dct(dir + files[0]));
  for (int k = 0; k < kDihedralCount; ++k) {
    const Hash256 actual = pdq::hash_from_dct(photo_tool_dct(dir + files[k]));
    for (int v = 0; v < kDihedralCount; ++v) {
      if (v == k) EXPECT_LE(variants.hashes[v].hamming(actual), 31) << files[k];
      else EXPECT_GT(variants.hashes[v].hamming(actual), 64) << files[k] << " vs variant " << v;
    }
  }
}

TEST(PdqReference, TinyImagesHashToZeroWithQualityZero) {
  for (auto [w, h] : {std::pair{4, 100}, {100, 4}, {1, 1}, {0, 0}}) {
    auto img = test::random_image(w, h, PixelFormat::kRgb24, 1);
    const PdqHash r = pdq_hash_reference(img.view);
    EXPECT_TRUE(r.hash.is_zero()) << w << "x" << h;
    EXPECT_EQ(r.quality, 0);
  }
  auto five = test::random_image(5, 5, PixelFormat::kRgb24, 1);
  EXPECT_FALSE(pdq_hash_reference(five.view).hash.is_zero());
}

TEST(PdqReference, FlatImageHasQualityZero) {
  std::vector<uint8_t> grey(100 * 80, 128);
  const PdqHash r = pdq_hash_reference({grey.data(), 100, 80, 100, PixelFormat::kGray8});
  EXPECT_EQ(r.quality, 0);
}

TEST(PdqReference, HashesOfDifferentImagesAreFarAndOfSameImageEqual) {
  auto a = test::random_image(320, 240, PixelFormat::kRgb24, 10);
  auto b = test::random_image(320, 240, PixelFormat::kRgb24, 11);
  const PdqHash ha = pdq_hash_reference(a.view), hb = pdq_hash_reference(b.view);
  EXPECT_EQ(ha, pdq_hash_reference(a.view));
  EXPECT_GT(ha.hash.hamming(hb.hash), 64);
  // A PDQ hash thresholds at the median: about half of the bits are set.
  EXPECT_NEAR(ha.hash.popcount(), 128, 8);
}

}  // namespace
}  // namespace vhm
