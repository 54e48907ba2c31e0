// vhm bench serve --bank: starts its own daemon, drives it, stops it, and reports a
// well-formed result (shape only: no timing thresholds).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "serve/serve_test_util.h"

namespace vhm {
namespace {

TEST(BenchServe, JsonReportHasOneRunPerClientCountAndNoErrors) {
  VHM_REQUIRE_CORPUS(corpus);
  const std::string bank = test::make_doorknob_bank(corpus, "bench");
  ASSERT_FALSE(bank.empty());
  const auto r = test::run_vhm("bench serve --bank " + bank + " --clients 1,2 --seconds 1 --json " +
                               test::sample_videos(corpus) + "/doorknob-hd-no-bar.mp4");
  std::filesystem::remove_all(bank);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json report = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(report.is_object()) << r.out;
  EXPECT_EQ(report["benchmark"], "serve");
  EXPECT_TRUE(report.contains("environment"));
  EXPECT_TRUE(report["server"]["started_here"].get<bool>());
  ASSERT_EQ(report["runs"].size(), 2u);
  for (const auto& run : report["runs"]) {
    EXPECT_GT(run["requests"].get<int64_t>(), 0) << run.dump();
    EXPECT_EQ(run["errors"], 0) << run.dump();
    EXPECT_GT(run["frames"].get<int64_t>(), 0) << run.dump();
    EXPECT_LE(run["latency_p50_ms"].get<double>(), run["latency_p99_ms"].get<double>()) << run.dump();
    EXPECT_LE(run["latency_p99_ms"].get<double>(), run["latency_max_ms"].get<double>()) << run.dump();
  }
  EXPECT_EQ(report["runs"][0]["clients"], 1);
  EXPECT_EQ(report["runs"][1]["clients"], 2);
}

}  // namespace
}  // namespace vhm
