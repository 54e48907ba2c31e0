// End to end: `vhm bench accuracy` on two short corpus videos with a few transforms.
// Shape and sanity, plus the outcomes each search setting exists for (a flip needs the
// dihedral variants, a letterbox the inside-bars variant); no timing thresholds.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>
#include <filesystem>
#include <numeric>
#include <string>

#include "support/test_support.h"

namespace vhm {
namespace {

const nlohmann::json& find_result(const nlohmann::json& results, const std::string& transform, const std::string& mode,
                                  const std::string& config) {
  for (const auto& r : results)
    if (r["transform"] == transform && r["mode"] == mode && r["config"] == config) return r;
  ADD_FAILURE() << "no result for " << transform << " / " << mode << " / " << config;
  static const nlohmann::json kNone = nlohmann::json::object();
  return kNone;
}

bool have_program(const std::string& name) { return test::run_command("command -v " + name).exit_code == 0; }

TEST(CliBenchAccuracy, TransformsRecallAndDistances) {
  VHM_REQUIRE_CORPUS(corpus);
  if (!have_program("ffmpeg")) GTEST_SKIP() << "the ffmpeg CLI is not installed";
  const bool plots = have_program("gnuplot");
  const std::string videos = corpus + "/threatexchange/tmk/sample-videos/";
  const auto plot_dir = std::filesystem::temp_directory_path() / ("vhm-accuracy-plots-" + std::to_string(::getpid()));
  const auto r = test::run_vhm("bench accuracy " + videos + "doorknob-hd-no-bar.mp4 " + videos +
                               "pattern-hd-no-bar.mp4 --transforms identity,hflip,letterbox "
                               "--modes every-frame,keyframes --configs plain,bars,dihedral --json" +
                               (plots ? " --plot " + plot_dir.string() : std::string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["benchmark"], "accuracy");
  EXPECT_TRUE(j["environment"].contains("ffmpeg"));
  EXPECT_TRUE(j["environment"].contains("faiss"));
  ASSERT_EQ(j["sources"].size(), 2u);
  EXPECT_EQ(j["sources"][0]["family"], "doorknob");
  EXPECT_EQ(j["sources"][1]["family"], "pattern");
  EXPECT_EQ(j["variants"]["made"], 6);
  EXPECT_EQ(j["variants"]["failed"], 0);
  const auto& results = j["results"];
  ASSERT_EQ(results.size(), 3u * 2u * 3u);  // transforms x modes x settings
  for (const auto& row : results) {
    EXPECT_EQ(row["videos"], 2) << row.dump();
    EXPECT_EQ(row["errors"], 0) << row.dump();
    // Two unrelated videos: no setting, mode or transform may pair them.
    EXPECT_EQ(row["false_positive_videos"], 0) << row.dump();
    EXPECT_GE(row["recall"].get<double>(), 0.0);
    EXPECT_LE(row["recall"].get<double>(), 1.0);
    EXPECT_GT(row["codes"].get<size_t>(), 0u);
    ASSERT_EQ(row["per_video"].size(), 2u);
  }
  for (const char* mode : {"every-frame", "keyframes"})
    for (const char* config : {"plain", "bars", "dihedral"})
      EXPECT_EQ(find_result(results, "identity", mode, config)["recall"], 1.0) << mode << " " << config;
  // A mirrored copy is found only through the dihedral variants ...
  EXPECT_EQ(find_result(results, "hflip", "every-frame", "plain")["recall"], 0.0);
  EXPECT_EQ(find_result(results, "hflip", "every-frame", "dihedral")["recall"], 1.0);
  // ... a letterboxed one only through the picture inside its bars (every frame of it,
  // blurred ones included: they count with the quality of the picture, not the bars').
  EXPECT_EQ(find_result(results, "letterbox", "every-frame", "plain")["recall"], 0.0);
  const auto& boxed = find_result(results, "letterbox", "every-frame", "bars");
  EXPECT_EQ(boxed["recall"], 1.0);
  EXPECT_GT(boxed["query_match_mean_percent"].get<double>(), 95.0);
  // Searching 8 variants of each frame searches more codes.
  EXPECT_GT(find_result(results, "identity", "every-frame", "dihedral")["codes"].get<size_t>(),
            4 * find_result(results, "identity", "every-frame", "plain")["codes"].get<size_t>());

  // Distances: a re-encode stays close to its source, other content stays far.
  const auto& d = j["distances"];
  EXPECT_EQ(d["mode"], "every-frame");
  const auto& same = d["same_content"]["identity"];
  EXPECT_GT(same["frames"].get<int64_t>(), 0);
  EXPECT_LE(same["p50"].get<int>(), 8);
  EXPECT_GT(same["within_distance_percent"].get<double>(), 90.0);
  const auto& counts = same["counts"];
  ASSERT_EQ(counts.size(), 257u);
  EXPECT_EQ(std::accumulate(counts.begin(), counts.end(), int64_t{0},
                            [](int64_t a, const nlohmann::json& c) { return a + c.get<int64_t>(); }),
            same["frames"].get<int64_t>());
  const auto& different = d["different_content"];
  EXPECT_GT(different["frames"].get<int64_t>(), 0);
  EXPECT_GT(different["min"].get<int>(), 31);
  EXPECT_EQ(different["within_distance_percent"].get<double>(), 0.0);
  EXPECT_GT(d["same_content"]["hflip"]["p50"].get<int>(), 31);  // the frame as hashed, no variants

  if (plots) {
    for (const char* name : {"accuracy-recall", "accuracy-distances", "accuracy-distance-by-transform"}) {
      const auto svg = plot_dir / (std::string(name) + ".svg");
      ASSERT_TRUE(std::filesystem::exists(svg)) << svg;
      EXPECT_NE(test::read_text_file(svg.string()).find("<svg"), std::string::npos) << svg;
      EXPECT_TRUE(std::filesystem::exists(plot_dir / (std::string(name) + ".gp"))) << name;
    }
    std::filesystem::remove_all(plot_dir);
  }
}

TEST(CliBenchAccuracy, UsageErrors) {
  auto r = test::run_vhm("bench accuracy --transforms identity,sideways");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown transform 'sideways'"), std::string::npos) << r.err;
  r = test::run_vhm("bench accuracy --configs bars,mirror");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown setting 'mirror'"), std::string::npos) << r.err;
  r = test::run_vhm("bench accuracy --ffmpeg /nonexistent/ffmpeg");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("/nonexistent/ffmpeg"), std::string::npos) << r.err;
  r = test::run_vhm("bench accuracy --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("rotate90"), std::string::npos);
  EXPECT_NE(r.out.find("--plot"), std::string::npos);
}

}  // namespace
}  // namespace vhm
