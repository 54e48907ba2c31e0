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

TEST(TmkSignal, ZeroAveragesScoreZero) {
  const TmkFeatures a = TmkFeatures::make_empty_pdqf();
  EXPECT_EQ(tmk_level1_score(a, a), 0.0f);
}

}  // namespace
}  // namespace vhm
