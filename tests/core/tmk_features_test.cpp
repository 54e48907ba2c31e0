// The .tmk format: every reference file reads and writes back byte for byte, and a
// damaged file is refused with a reason, never read past its end.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/tmk_features.h"
#include "support/test_support.h"

namespace vhm {
namespace {

std::vector<uint8_t> read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::filesystem::path> reference_tmk_files(const std::string& corpus) {
  const std::filesystem::path tmk = std::filesystem::path(corpus) / "threatexchange" / "tmk";
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(tmk / "sample-hashes"))
    if (entry.path().extension() == ".tmk") files.push_back(entry.path());
  files.push_back(tmk / "reference-debian12" / "test-padded-dimensions.tmk");
  std::sort(files.begin(), files.end());
  return files;
}

TEST(TmkFeatures, ReferenceFilesRoundTripByteForByte) {
  VHM_REQUIRE_CORPUS(corpus);
  const auto files = reference_tmk_files(corpus);
  ASSERT_EQ(files.size(), 16u);
  for (const auto& path : files) {
    const auto bytes = read_bytes(path);
    ASSERT_EQ(bytes.size(), 263344u) << path;
    auto parsed = parse_tmk(bytes);
    ASSERT_TRUE(parsed.is_ok()) << path << ": " << parsed.status().to_string();
    EXPECT_EQ(parsed->frames_per_second, 15) << path;
    EXPECT_GT(parsed->frame_count, 0) << path;
    EXPECT_EQ(parsed->periods, std::vector<int32_t>(tmk_default_periods().begin(), tmk_default_periods().end()));
    EXPECT_EQ(parsed->coefficients,
              std::vector<float>(tmk_default_coefficients().begin(), tmk_default_coefficients().end()));
    EXPECT_TRUE(serialize_tmk(*parsed) == bytes) << path;
  }
}

TEST(TmkFeatures, EmptyPdqfHasTheReferenceSize) {
  const auto bytes = serialize_tmk(TmkFeatures::make_empty_pdqf());
  EXPECT_EQ(bytes.size(), 263344u);
  auto back = parse_tmk(bytes);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(*back, TmkFeatures::make_empty_pdqf());
}

void expect_corrupt(const std::vector<uint8_t>& bytes, const std::string& reason) {
  auto parsed = parse_tmk(bytes);
  ASSERT_FALSE(parsed.is_ok()) << reason;
  EXPECT_EQ(parsed.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(parsed.status().message().find(reason), std::string::npos) << parsed.status().message();
}

TEST(TmkFeatures, DamagedFilesAreRefusedWithTheReason) {
  const auto good = serialize_tmk(TmkFeatures::make_empty_pdqf());
  expect_corrupt({good.begin(), good.begin() + 31}, "header");
  expect_corrupt({good.begin(), good.end() - 1}, "truncated");
  auto longer = good;
  longer.push_back(0);
  expect_corrupt(longer, "after the sin features");
  auto magic = good;
  magic[0] = 'X';
  expect_corrupt(magic, "TMK1");
  auto type = good;
  type[4] = 'V';
  expect_corrupt(type, "FVEC");
  auto algorithm = good;
  algorithm[8] = 'Q';
  expect_corrupt(algorithm, "PDQF");
  auto negative = good;
  negative[16 + 3] = 0xff;  // period count's top byte: negative
  expect_corrupt(negative, "out of range");
}

}  // namespace
}  // namespace vhm
