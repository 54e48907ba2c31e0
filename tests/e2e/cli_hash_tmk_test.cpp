// End to end: `vhm hash --signal tmk` writes the reference's .tmk files byte for byte,
// and `--signals vpdq,tmk,md5,sha256` gives all four from one run, the vPDQ frames as
// vPDQ alone gives them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

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

TEST(CliHashTmk, SignalCombinationsThatCannotBeWrittenAreUsageErrors) {
  for (const char* args : {"--signals md5 x.mp4", "--signals vpdq,tmk x.mp4", "--signals vpdq,md5 x.mp4",
                           "--signals vpdq,nope x.mp4", "--signals tmk --signal tmk x.mp4"}) {
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
