// End to end: a bank copy WITH bars (corpus chair-orig-22-sd-bar.mp4, pillarboxed) is
// added with `vhm bank add`, which stores each frame's inside-bars hash; uploads made
// with the ffmpeg CLI with those bars cut away, and with more bars added, match it;
// with --no-bars (no variants on either side) the bars-cut upload does not, so the
// bank's variant is what matches. The inside-bars hashes survive a JSON Lines export and
// import, and `vhm hash --bars` writes the quality that goes with them.
#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "bank/bank.h"
#include "support/test_support.h"

namespace vhm {
namespace {

namespace fs = std::filesystem;

constexpr const char* kBarred = "chair-orig-22-sd-bar";

using test::json_lines;

bool have_ffmpeg() { return test::run_command("ffmpeg -version").exit_code == 0; }

// The external ids of the contents an input's verdicts say it matches.
std::vector<std::string> matched_ids(const nlohmann::json& match_line) {
  std::vector<std::string> ids;
  for (const auto& v : match_line.at("verdicts"))
    if (v.at("match").get<bool>()) ids.push_back(v.at("external_id").get<std::string>());
  return ids;
}

class CliBankBars : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto corpus = test::corpus_dir();
    if (!corpus) return;
    video_ = *corpus + "/threatexchange/tmk/sample-videos/" + kBarred + ".mp4";
    dir_ = (fs::temp_directory_path() / ("vhm_bank_bars_" + std::to_string(::getpid()))).string();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    bank_ = dir_ + "/bank";
    ASSERT_EQ(test::run_vhm("bank create " + bank_).exit_code, 0);
    // Every frame (the default), as a bank is built from a reported video.
    const auto r = test::run_vhm("bank add " + bank_ + " " + video_ + " --device cpu --external-id " + kBarred);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // Re-encodes the first 10 s of the bank's video through an ffmpeg filter.
  static std::string make_upload(const std::string& name, const std::string& filter) {
    const std::string out = dir_ + "/" + name + ".mp4";
    const auto r = test::run_command("ffmpeg -v error -y -i '" + video_ + "' -t 10 -vf " + filter +
                                     " -an -c:v libx264 -preset veryfast -crf 20 '" + out + "'");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return out;
  }

  static nlohmann::json match(const std::string& upload, const std::string& flags = "") {
    const auto r =
        test::run_vhm("match -q --bank " + bank_ + " --sample every-frame --device cpu " + flags + " " + upload);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto lines = json_lines(r.out);
    EXPECT_EQ(lines.size(), 1u) << r.out;
    return lines.empty() ? nlohmann::json::object({{"verdicts", nlohmann::json::array()}}) : lines[0];
  }

  static inline std::string video_, dir_, bank_;
};

TEST_F(CliBankBars, BankAddStoresTheInsideBarsHashesAndVerifyProbesThem) {
  VHM_REQUIRE_CORPUS(corpus);
  auto r = test::run_vhm("bank stats " + bank_ + " --json --load-index");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto stats = nlohmann::json::parse(r.out);
  EXPECT_EQ(stats["format"], kBankFormatVersion);
  EXPECT_GT(stats["frames_live"].get<int>(), 600);
  // Every frame of this video is pillarboxed.
  EXPECT_EQ(stats["frames_inside_bars"], stats["frames_live"]);
  EXPECT_EQ(stats["index"]["inside_bars_codes"], stats["frames_live"]);
  r = test::run_vhm("bank verify " + bank_ + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto verify = nlohmann::json::parse(r.out);
  EXPECT_EQ(verify["ok"], true) << r.out;
  EXPECT_EQ(verify["frames_inside_bars"], stats["frames_live"]);
  EXPECT_EQ(verify["inside_bars_probed"], stats["frames_live"]);
}

TEST_F(CliBankBars, UploadsWithTheBarsCutAwayOrMoreBarsMatchThroughTheBankVariant) {
  VHM_REQUIRE_CORPUS(corpus);
  if (!have_ffmpeg()) GTEST_SKIP() << "the ffmpeg CLI is not installed";
  // Find the bars as ffmpeg sees them (the most frequent crop over the video).
  const auto detect =
      test::run_command("ffmpeg -hide_banner -i '" + video_ + "' -vf cropdetect=limit=24:round=2:reset=0 -f null -");
  ASSERT_EQ(detect.exit_code, 0) << detect.err;
  std::map<std::string, int> votes;  // cropdetect reports on stderr, a line per frame
  const std::regex crop_re("crop=(\\d+):(\\d+):(\\d+):(\\d+)");
  for (std::sregex_iterator it(detect.err.begin(), detect.err.end(), crop_re), end; it != end; ++it) ++votes[(*it)[0]];
  ASSERT_FALSE(votes.empty()) << detect.err;
  const std::string crop = std::max_element(votes.begin(), votes.end(), [](const auto& a, const auto& b) {
                             return a.second < b.second;
                           })->first;
  std::smatch m;
  ASSERT_TRUE(std::regex_match(crop, m, crop_re));
  ASSERT_LT(std::stoi(m[1]), 480) << "the corpus video is pillarboxed: " << crop;

  const std::string cut = make_upload("bars-cut", crop);
  // The same picture with wider bars at the sides and new ones at the top and bottom.
  const std::string padded = make_upload("bars-added", "pad=iw+160:ih+240:80:120");

  for (const std::string& upload : {cut, padded}) {
    const auto j = match(upload);
    EXPECT_EQ(matched_ids(j), std::vector<std::string>{kBarred}) << upload << ": " << j.dump();
  }
  // Without bar variants on either side the bars-cut upload is a different picture:
  // the bank's inside-bars hash is what matched it.
  const auto plain = match(cut, "--no-bars");
  EXPECT_TRUE(matched_ids(plain).empty()) << plain.dump();
}

TEST_F(CliBankBars, JsonlExportAndImportKeepTheInsideBarsHashes) {
  VHM_REQUIRE_CORPUS(corpus);
  auto r = test::run_vhm("bank export " + bank_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto exported = json_lines(r.out);
  ASSERT_EQ(exported.size(), 1u);
  const auto& frames = exported[0]["frames"];
  ASSERT_GT(frames.size(), 600u);
  for (const auto& f : frames) {
    ASSERT_TRUE(f.contains("pdq_inside_bars")) << f.dump();
    EXPECT_EQ(f["pdq_inside_bars"].get<std::string>().size(), 64u);
    EXPECT_NE(f["pdq_inside_bars"], f["pdq"]);
    ASSERT_TRUE(f["quality_inside_bars"].is_number_integer()) << f.dump();
  }
  const std::string file = dir_ + "/exported.jsonl";
  std::ofstream(file) << r.out;
  const std::string bank2 = dir_ + "/bank2";
  ASSERT_EQ(test::run_vhm("bank create " + bank2 + " --index flat").exit_code, 0);
  r = test::run_vhm("bank add " + bank2 + " " + file);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = test::run_vhm("bank export " + bank2);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto again = json_lines(r.out);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0]["frames"], frames);
  EXPECT_EQ(again[0]["external_id"], kBarred);
  // The vPDQ export stays the reference format: four fields a line, no variants.
  const std::string out_dir = dir_ + "/vpdq";
  ASSERT_EQ(test::run_vhm("bank export " + bank2 + " --format vpdq --out-dir " + out_dir).exit_code, 0);
  std::istringstream vpdq(test::read_text_file(out_dir + "/" + kBarred + ".txt"));
  size_t lines = 0;
  for (std::string line; std::getline(vpdq, line); ++lines)
    EXPECT_EQ(std::count(line.begin(), line.end(), ','), 3) << line;
  EXPECT_EQ(lines, frames.size());
}

TEST_F(CliBankBars, HashBarsWritesTheInsideQualityAndBankAddStoresIt) {
  VHM_REQUIRE_CORPUS(corpus);
  auto r = test::run_vhm("hash --format jsonl --bars --sample 1s --device cpu " + video_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 1u);
  // What the bank keeps: the first frame of each distinct hash, with its inside-bars
  // hash and quality.
  std::set<std::string> seen;
  std::vector<nlohmann::json> kept;
  for (const auto& f : lines[0]["frames"]) {
    if (!f.contains("pdq_inside_bars")) continue;
    ASSERT_TRUE(f["quality_inside_bars"].is_number_integer()) << f.dump();
    EXPECT_GE(f["quality_inside_bars"].get<int>(), 0);
    EXPECT_LE(f["quality_inside_bars"].get<int>(), 100);
  }
  for (const auto& f : lines[0]["frames"])
    if (seen.insert(f["pdq"].get<std::string>()).second) kept.push_back(f);
  const auto with_bars =
      std::count_if(kept.begin(), kept.end(), [](const auto& f) { return f.contains("pdq_inside_bars"); });
  ASSERT_GT(with_bars, 10);
  const std::string file = dir_ + "/hashed.jsonl";
  std::ofstream(file) << r.out;
  const std::string bank3 = dir_ + "/bank3";
  ASSERT_EQ(test::run_vhm("bank create " + bank3).exit_code, 0);
  ASSERT_EQ(test::run_vhm("bank add " + bank3 + " " + file).exit_code, 0);
  r = test::run_vhm("bank stats " + bank3 + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["frames_inside_bars"], with_bars);
  r = test::run_vhm("bank export " + bank3);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto exported = json_lines(r.out);
  ASSERT_EQ(exported.size(), 1u);
  ASSERT_EQ(exported[0]["frames"].size(), kept.size());
  for (size_t i = 0; i < kept.size(); ++i) {
    const auto& out = exported[0]["frames"][i];
    EXPECT_EQ(out["pdq"], kept[i]["pdq"]) << i;
    EXPECT_EQ(out.value("pdq_inside_bars", ""), kept[i].value("pdq_inside_bars", "")) << i;
    EXPECT_EQ(out.value("quality_inside_bars", -1), kept[i].value("quality_inside_bars", -1)) << i;
  }
}

}  // namespace
}  // namespace vhm
