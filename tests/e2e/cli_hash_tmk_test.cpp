// End to end: `vhm hash --signal tmk` writes the reference's .tmk files byte for byte,
// and `--signals vpdq,tmk,md5,sha256` gives all four from one run, the vPDQ frames as
// vPDQ alone gives them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/tmk_features.h"
#include "support/test_support.h"

namespace vhm {
namespace {

namespace fs = std::filesystem;

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(CliHashTmk, WritesTheReferenceTmkFiles) {
  VHM_REQUIRE_CORPUS(corpus);
  const fs::path tmk = fs::path(corpus) / "threatexchange" / "tmk";
  const fs::path out = fs::temp_directory_path() / ("vhm_tmk_" + std::to_string(::getpid()));
  fs::remove_all(out);
  const std::string videos = (tmk / "sample-videos" / "chair-19-sd-bar.mp4").string() + " " +
                             (tmk / "sample-videos" / "test-padded-dimensions.mp4").string();
  const auto r = test::run_vhm("hash --quiet --signal tmk --out-dir " + out.string() + " " + videos);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_all(out / "chair-19-sd-bar.tmk"), read_all(tmk / "sample-hashes" / "chair-19-sd-bar.tmk"));
  EXPECT_EQ(read_all(out / "test-padded-dimensions.tmk"),
            read_all(tmk / "reference-debian12" / "test-padded-dimensions.tmk"));
  fs::remove_all(out);
}

TEST(CliHashTmk, VpdqTmkMd5AndSha256FromOneRun) {
  VHM_REQUIRE_CORPUS(corpus);
  const fs::path tmk = fs::path(corpus) / "threatexchange" / "tmk";
  const fs::path video = tmk / "sample-videos" / "chair-19-sd-bar.mp4";
  const fs::path out = fs::temp_directory_path() / ("vhm_signals_" + std::to_string(::getpid()));
  fs::remove_all(out);
  const auto both = test::run_vhm("hash --quiet --format jsonl --signals vpdq,tmk,md5,sha256 --out-dir " +
                                  out.string() + " " + video.string());
  ASSERT_EQ(both.exit_code, 0) << both.err;
  const auto alone = test::run_vhm("hash --quiet --format jsonl " + video.string());
  ASSERT_EQ(alone.exit_code, 0) << alone.err;
  const auto j = nlohmann::json::parse(both.out);
  const auto k = nlohmann::json::parse(alone.out);
  EXPECT_EQ(j["frames"], k["frames"]);
  EXPECT_EQ(j["md5"], k["md5"]);
  EXPECT_FALSE(k.contains("tmk"));
  EXPECT_FALSE(k.contains("sha256"));
  const std::string reference = read_all(tmk / "sample-hashes" / "chair-19-sd-bar.tmk");
  EXPECT_EQ(read_all(out / "chair-19-sd-bar.tmk"), reference);
  // The JSON's TMK is ThreatExchange's text form of the same file.
  auto decoded = parse_threatexchange_tmk(j["tmk"].get<std::string>(), 64u << 20);
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().to_string();
  EXPECT_EQ(std::string(decoded->begin(), decoded->end()), reference);
  const auto sha256sum = test::run_command("sha256sum '" + video.string() + "'");
  ASSERT_EQ(sha256sum.exit_code, 0);
  EXPECT_EQ(j["sha256"], sha256sum.out.substr(0, 64));
  fs::remove_all(out);
}

// The hashing side of an exchange: `vhm hash --format te-csv|te-file` writes a row per
// signal of the video, which the exchange tools (and `vhm bank add`) read; a bank of
// those rows alone matches the video by every one of them.
TEST(CliHashTmk, ExchangeFormatsCarryEverySignalAndReadBack) {
  VHM_REQUIRE_CORPUS(corpus);
  const fs::path tmk = fs::path(corpus) / "threatexchange" / "tmk";
  const fs::path video = tmk / "sample-videos" / "chair-19-sd-bar.mp4";
  const fs::path out = fs::temp_directory_path() / ("vhm_te_" + std::to_string(::getpid()));
  fs::remove_all(out);
  fs::create_directories(out);
  const auto csv = test::run_vhm("hash --quiet --format te-csv --signals vpdq,md5,sha256,tmk " + video.string());
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  std::vector<std::string> rows;
  std::istringstream lines(csv.out);
  for (std::string line; std::getline(lines, line);) rows.push_back(line);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0], "signal_type,signal_str,collab,category,tags");
  EXPECT_TRUE(rows[1].starts_with("vpdq,")) << rows[1].substr(0, 40);
  const auto md5sum = test::run_command("md5sum '" + video.string() + "'");
  ASSERT_EQ(md5sum.exit_code, 0);
  EXPECT_EQ(rows[2], "video_md5," + md5sum.out.substr(0, 32) + ",,,");
  EXPECT_TRUE(rows[3].starts_with("video_sha256,")) << rows[3];
  ASSERT_TRUE(rows[4].starts_with("tmk,TMK1FVECPDQF|")) << rows[4].substr(0, 40);
  auto decoded = parse_threatexchange_tmk(rows[4].substr(4, rows[4].size() - 4 - 3), 64u << 20);
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().to_string();
  EXPECT_EQ(std::string(decoded->begin(), decoded->end()), read_all(tmk / "sample-hashes" / "chair-19-sd-bar.tmk"));

  const auto file = test::run_vhm("hash --quiet --format te-file --signals vpdq,md5,tmk " + video.string());
  ASSERT_EQ(file.exit_code, 0) << file.err;
  std::ofstream(out / "share.csv") << csv.out;
  std::ofstream(out / "share.txt") << file.out;
  EXPECT_TRUE(file.out.starts_with("vpdq [")) << file.out.substr(0, 40);
  EXPECT_NE(file.out.find("\nvideo_md5 " + md5sum.out.substr(0, 32) + "\n"), std::string::npos);
  EXPECT_NE(file.out.find("\ntmk TMK1FVECPDQF|"), std::string::npos);

  // The JSON exchanges' own shapes: vPDQ has no type there (said on stderr).
  for (const char* format : {"stopncii", "threatexchange"}) {
    const auto doc =
        test::run_vhm(std::string("hash --quiet --format ") + format + " --signals vpdq,md5,tmk " + video.string());
    ASSERT_EQ(doc.exit_code, 0) << doc.err;
    EXPECT_NE(doc.err.find("left out"), std::string::npos) << doc.err;
    std::ofstream(out / (std::string("share-") + format + ".json")) << doc.out;
  }
  const std::map<std::string, std::string> files{{"te-csv", "share.csv"},
                                                 {"te-file", "share.txt"},
                                                 {"stopncii", "share-stopncii.json"},
                                                 {"threatexchange", "share-threatexchange.json"}};
  for (const auto& [format, file] : files) {
    const std::string bank = (out / ("bank-" + format)).string();
    ASSERT_EQ(test::run_vhm("bank create " + bank).exit_code, 0);
    const std::string list = (out / file).string();
    const auto added = test::run_vhm("bank add " + bank + " " + list + " --format " + format);
    ASSERT_EQ(added.exit_code, 0) << format << ": " << added.err;
    const auto m = test::run_vhm("match -q --bank " + bank + " " + video.string());
    ASSERT_EQ(m.exit_code, 0) << m.err;
    std::set<std::string> matched_by;
    const auto result = nlohmann::json::parse(m.out);
    for (const auto& v : result["verdicts"])
      if (v["match"]) matched_by.insert(v["signal"].get<std::string>());
    const std::set<std::string> want = format == "te-csv"
                                           ? std::set<std::string>{"pdq", "video_md5", "video_sha256", "tmk"}
                                       : format == "te-file" ? std::set<std::string>{"pdq", "video_md5", "tmk"}
                                                             : std::set<std::string>{"video_md5", "tmk"};
    EXPECT_EQ(matched_by, want) << format;
  }
  fs::remove_all(out);
}

TEST(CliHashTmk, SignalCombinationsThatCannotBeWrittenAreUsageErrors) {
  for (const char* args :
       {"--signals md5 x.mp4", "--signals vpdq,tmk x.mp4", "--signals vpdq,md5 x.mp4", "--signals vpdq,nope x.mp4",
        "--signals tmk --signal tmk x.mp4", "--signals tmk --format te-csv x.mp4", "--format te-xml x.mp4"}) {
    const auto r = test::run_vhm(std::string("hash ") + args);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.err;
  }
}

TEST(CliHashTmk, RefusesAnUnknownSignal) {
  const auto r = test::run_vhm("hash --signal nope x.mp4");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--signal must be pdq or tmk"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace vhm
