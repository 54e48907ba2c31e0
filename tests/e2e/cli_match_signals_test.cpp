// End to end, every signal at once: a bank of the three corpus originals stored with
// their vPDQ, file MD5 and TMK+PDQF (`vhm bank add --signals vpdq,md5,tmk`), and every
// corpus video matched against it with `vhm match`'s defaults. The TMK verdicts are the
// reference's own at 0.7/0.7 (reference-debian12/pair-scores.csv, its level-1 and
// level-2 to 6 decimals); the MD5 verdicts are exactly the bank's own files; and the
// verdict of any signal matches each variant with its family and nothing across them.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/test_support.h"

namespace vhm {
namespace {

namespace fs = std::filesystem;

using test::json_lines;

const std::vector<std::string> kOriginals{"chair-orig-22-sd-bar", "pattern-hd-no-bar", "doorknob-hd-no-bar"};

std::string family_of(const std::string& name) {
  if (name.starts_with("chair")) return "chair";
  if (name.starts_with("pattern")) return "pattern";
  return name;
}

struct Levels {
  double level1 = 0, level2 = 0;
};

// The reference's scores of each unordered pair of its hashes ("a,b,level1,level2").
std::map<std::pair<std::string, std::string>, Levels> read_pair_scores(const std::string& csv) {
  std::map<std::pair<std::string, std::string>, Levels> scores;
  std::ifstream in(csv);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::stringstream row(line);
    std::string a, b, l1, l2;
    std::getline(row, a, ',');
    std::getline(row, b, ',');
    std::getline(row, l1, ',');
    std::getline(row, l2, ',');
    const Levels levels{std::stod(l1), std::stod(l2)};
    scores[{a, b}] = levels;
    scores[{b, a}] = levels;
  }
  return scores;
}

class CliMatchSignals : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto corpus = test::corpus_dir();
    if (!corpus) return;
    videos_ = *corpus + "/threatexchange/tmk/sample-videos";
    scores_ = read_pair_scores(*corpus + "/threatexchange/tmk/reference-debian12/pair-scores.csv");
    bank_ = (fs::temp_directory_path() / ("vhm_match_signals_" + std::to_string(::getpid()))).string();
    fs::remove_all(bank_);
    ASSERT_EQ(test::run_vhm("bank create " + bank_).exit_code, 0);
    for (const std::string& name : kOriginals) {
      const auto r = test::run_vhm("bank add " + bank_ + " " + videos_ + "/" + name + ".mp4 --signals vpdq,md5,tmk" +
                                   " --label " + family_of(name) + " --external-id " + name);
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    const auto r = test::run_vhm("match -q --bank " + bank_ + " " + videos_);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    results_ = json_lines(r.out);
  }
  static void TearDownTestSuite() {
    if (!bank_.empty()) fs::remove_all(bank_);
  }
  static std::string name_of(const nlohmann::json& result) {
    return fs::path(result["path"].get<std::string>()).stem().string();
  }
  static inline std::string videos_, bank_;
  static inline std::map<std::pair<std::string, std::string>, Levels> scores_;
  static inline std::vector<nlohmann::json> results_;
};

TEST_F(CliMatchSignals, TmkVerdictsAreTheReferencesAtPointSeven) {
  VHM_REQUIRE_CORPUS(corpus);
  ASSERT_EQ(results_.size(), 14u);
  int tmk_matches = 0;
  for (const auto& j : results_) {
    const std::string name = name_of(j);
    EXPECT_EQ(j["signals_searched"], nlohmann::json({"pdq", "video_md5", "tmk"})) << name;
    std::set<std::string> expected, got;
    for (const std::string& original : kOriginals) {
      if (original == name) {
        expected.insert(original);  // a video's own TMK: both levels 1
        continue;
      }
      const auto it = scores_.find({name, original});
      ASSERT_NE(it, scores_.end()) << name << " / " << original << " not in pair-scores.csv";
      if (it->second.level1 >= 0.7 && it->second.level2 >= 0.7) expected.insert(original);
    }
    for (const auto& v : j["verdicts"]) {
      if (v["signal"] != "tmk") continue;
      const std::string original = v["external_id"];
      got.insert(original);
      EXPECT_TRUE(v["match"]);
      const Levels want = original == name ? Levels{1.0, 1.0} : scores_.at({name, original});
      EXPECT_NEAR(v["level1"].get<double>(), want.level1, 1.5e-6) << name << " / " << original;
      EXPECT_NEAR(v["level2"].get<double>(), want.level2, 1.5e-6) << name << " / " << original;
    }
    EXPECT_EQ(got, expected) << name;
    tmk_matches += static_cast<int>(got.size());
  }
  // Not only each original finding itself: variants match by TMK too.
  EXPECT_GT(tmk_matches, static_cast<int>(kOriginals.size()));
  std::printf("TMK matched %d of %zu videos\n", tmk_matches, results_.size());
}

TEST_F(CliMatchSignals, AnySignalMatchesEveryVariantWithItsFamilyAndNothingElse) {
  VHM_REQUIRE_CORPUS(corpus);
  ASSERT_EQ(results_.size(), 14u);
  for (const auto& j : results_) {
    const std::string name = name_of(j);
    const std::string family = family_of(name);
    std::set<std::string> matched_by;  // the signals of the matching verdicts
    std::set<std::string> md5_of;
    for (const auto& v : j["verdicts"]) {
      EXPECT_EQ(v["label"], family) << name << " hit " << v["external_id"] << " by " << v["signal"];
      if (!v["match"]) continue;
      matched_by.insert(v["signal"].get<std::string>());
      if (v["signal"] == "video_md5") md5_of.insert(v["external_id"].get<std::string>());
    }
    // MD5: exactly the bank's own files.
    const bool original = std::find(kOriginals.begin(), kOriginals.end(), name) != kOriginals.end();
    EXPECT_EQ(md5_of, original ? std::set<std::string>{name} : std::set<std::string>{}) << name;
    if (name == "test-padded-dimensions") {
      EXPECT_TRUE(j["verdicts"].empty()) << name;
    } else if (name.find("large-logo") != std::string::npos) {
      // Neither vPDQ (at 80% query-match) nor TMK (level-1 0.12..0.46) reaches them: the
      // robustness work starts from them. Reported, not required.
      std::string signals;
      for (const std::string& s : matched_by) signals += " " + s;
      std::printf("hard case %s: matched by:%s\n", name.c_str(), signals.empty() ? " nothing" : signals.c_str());
    } else {
      EXPECT_FALSE(matched_by.empty()) << name << ": " << j.dump();
    }
  }
}

TEST(CliMatchSignalsUsage, BadSignalListsAndTmkThresholdsAreUsageErrors) {
  EXPECT_EQ(test::run_vhm("bank add b x.mp4 --signals vpdq,nope").exit_code, 2);
  EXPECT_EQ(test::run_vhm("match --bank b --tmk-level1 1.5 x.mp4").exit_code, 2);
  EXPECT_EQ(test::run_vhm("match --bank b --tmk-level2 nan x.mp4").exit_code, 2);
  EXPECT_EQ(test::run_vhm("match --bank b --tmk-index kd-tree x.mp4").exit_code, 2);
  EXPECT_EQ(test::run_vhm("serve --bank b --tmk-index ivf0 --port 0").exit_code, 2);
  const auto help = test::run_vhm("match --help");
  EXPECT_NE(help.out.find("--tmk-level1"), std::string::npos);
}

}  // namespace
}  // namespace vhm
