// vhm enqueue and vhm results against a real redis-server and `vhm serve --redis`: the
// ids enqueue prints are the ones results waits for, each result printed once with its
// job id; path and media jobs alike; a job without a result ends --timeout with exit 1.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "serve/redis_server_process.h"
#include "serve/serve_test_util.h"
#include "support/test_support.h"

namespace vhm {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

TEST(CliJobs, EnqueuedIdsAreTheResultsThatArrive) {
  const std::string binary = test::find_redis_server();
  if (binary.empty()) GTEST_SKIP() << "redis-server is not installed (scripts/install-deps.sh)";
  VHM_REQUIRE_CORPUS(corpus);
  auto redis = test::RedisServerProcess::start(binary);
  ASSERT_TRUE(redis) << "redis-server did not start";
  const std::string videos = test::sample_videos(corpus);
  const std::string bank = test::make_doorknob_bank(corpus, "jobs");
  ASSERT_FALSE(bank.empty());
  auto daemon = test::start_serve(bank, {"--redis", redis->url(), "--allow-paths", videos});
  ASSERT_TRUE(daemon);
  const std::string r = " --redis " + redis->url();
  const fs::path ids = fs::path(bank).parent_path() / ("vhm_jobs_ids_" + std::to_string(::getpid()));
  const auto paths =
      test::run_vhm("enqueue" + r + " " + videos + "/doorknob-hd-no-bar.mp4 " + videos + "/chair-orig-22-sd-bar.mp4");
  ASSERT_EQ(paths.exit_code, 0) << paths.err;
  const auto media = test::run_vhm("enqueue" + r + " --media " + videos + "/doorknob-hd-no-bar.mp4");
  ASSERT_EQ(media.exit_code, 0) << media.err;
  std::ofstream(ids) << paths.out << media.out;
  std::vector<std::string> order;
  for (const std::string& text : {paths.out, media.out}) {
    std::istringstream lines(text);
    for (std::string id; std::getline(lines, id);) order.push_back(id);
  }
  ASSERT_EQ(order.size(), 3u);

  const auto got = test::run_vhm("results" + r + " --ids " + ids.string() + " --timeout 300");
  ASSERT_EQ(got.exit_code, 0) << got.err;
  std::map<std::string, json> by_job;
  for (const json& l : test::json_lines(got.out)) by_job[l["job"].get<std::string>()] = l;
  ASSERT_EQ(by_job.size(), 3u) << got.out;
  const auto matched_doorknob = [](const json& result) {
    for (const json& v : result.value("verdicts", json::array()))
      if (v["match"].get<bool>() && v["external_id"] == "te:doorknob") return true;
    return false;
  };
  EXPECT_TRUE(matched_doorknob(by_job[order[0]])) << by_job[order[0]].dump();
  EXPECT_FALSE(matched_doorknob(by_job[order[1]])) << by_job[order[1]].dump();  // another video
  EXPECT_TRUE(matched_doorknob(by_job[order[2]])) << by_job[order[2]].dump();   // the bytes themselves
  // The whole stream: the same three.
  EXPECT_EQ(test::json_lines(test::run_vhm("results" + r).out).size(), 3u);
  // A job nobody ran: waited for until --timeout, then named.
  std::ofstream(ids) << "no-such-job\n";
  const auto late = test::run_vhm("results" + r + " --ids " + ids.string() + " --timeout 1");
  EXPECT_EQ(late.exit_code, 1);
  EXPECT_NE(late.err.find("no-such-job"), std::string::npos) << late.err;
  fs::remove(ids);
  fs::remove_all(bank);
}

TEST(CliJobs, UsageErrors) {
  EXPECT_EQ(test::run_vhm("enqueue a.mp4").exit_code, 2);                        // no --redis
  EXPECT_EQ(test::run_vhm("enqueue --redis redis://127.0.0.1:1").exit_code, 2);  // no inputs
  EXPECT_EQ(test::run_vhm("enqueue --redis redis://127.0.0.1:1 --kind audio a.mp4").exit_code, 2);
  EXPECT_EQ(test::run_vhm("results").exit_code, 2);
  EXPECT_EQ(test::run_vhm("results --redis redis://127.0.0.1:1 --follow --ids x").exit_code, 2);
  EXPECT_NE(test::run_vhm("enqueue --help").out.find("Examples"), std::string::npos);
  EXPECT_NE(test::run_vhm("results --help").out.find("Examples"), std::string::npos);
}

}  // namespace
}  // namespace vhm
