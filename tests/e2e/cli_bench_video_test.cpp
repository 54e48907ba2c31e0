// End to end: `vhm bench decode` and `vhm bench sampling` on a few short corpus videos.
// Shape and sanity only (no timing thresholds): the figures themselves are noisy.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

#include "support/test_support.h"

namespace vhm {
namespace {

std::string sample_video(const std::string& corpus, const std::string& name) {
  return corpus + "/threatexchange/tmk/sample-videos/" + name;
}

const nlohmann::json* find_row(const nlohmann::json& rows, const std::string& tool, const std::string& mode) {
  for (const auto& r : rows)
    if (r["tool"] == tool && r["mode"] == mode) return &r;
  return nullptr;
}

TEST(CliBenchVideo, DecodeJsonIsSane) {
  VHM_REQUIRE_CORPUS(corpus);
  const auto r = test::run_vhm("bench decode " + sample_video(corpus, "doorknob-hd-no-bar.mp4") +
                               " --modes every-frame,keyframes --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["benchmark"], "decode");
  EXPECT_TRUE(j["environment"].contains("ffmpeg"));
  EXPECT_EQ(j["modes"], nlohmann::json::array({"every-frame", "keyframes"}));

  const auto* every = find_row(j["results"], "vhm", "every-frame");
  const auto* key = find_row(j["results"], "vhm", "keyframes");
  ASSERT_NE(every, nullptr);
  ASSERT_NE(key, nullptr);
  for (const auto* row : {every, key}) {
    ASSERT_TRUE((*row)["ok"].get<bool>()) << row->dump();
    EXPECT_EQ((*row)["file"], "doorknob-hd-no-bar.mp4");
    EXPECT_GT((*row)["wall_seconds"].get<double>(), 0.0);
    EXPECT_GT((*row)["frames_per_s"].get<double>(), 0.0);
    EXPECT_GT((*row)["x_realtime"].get<double>(), 0.0);
    EXPECT_GT((*row)["max_rss_kib"].get<long>(), 0);
    EXPECT_GT((*row)["frames_hashed"].get<int64_t>(), 0);
    EXPECT_LE((*row)["frames_hashed"].get<int64_t>(), (*row)["frames_decoded"].get<int64_t>());
    EXPECT_NEAR((*row)["duration_seconds"].get<double>(), 4.0, 0.1);
  }
  EXPECT_EQ((*every)["frames_hashed"].get<int64_t>(), 120);
  EXPECT_EQ((*every)["frames_decoded"].get<int64_t>(), 120);
  EXPECT_LT((*key)["frames_decoded"].get<int64_t>(), 120);  // the other frames are not decoded at all

  if (!j["ffmpeg"].is_null()) {  // the baseline, where ffmpeg is installed
    const auto* ff = find_row(j["results"], "ffmpeg", "-threads 1");
    ASSERT_NE(ff, nullptr);
    ASSERT_TRUE((*ff)["ok"].get<bool>()) << ff->dump();
    EXPECT_DOUBLE_EQ((*ff)["vs_ffmpeg"].get<double>(), 1.0);
    EXPECT_GT((*every)["vs_ffmpeg"].get<double>(), 0.0);
  }
  // One total per run kind, summing the (single) file.
  ASSERT_EQ(j["totals"].size(), j["results"].size());
  const auto* total = find_row(j["totals"], "vhm", "every-frame");
  ASSERT_NE(total, nullptr);
  EXPECT_DOUBLE_EQ((*total)["wall_seconds"].get<double>(), (*every)["wall_seconds"].get<double>());
}

TEST(CliBenchVideo, SamplingJsonIsSane) {
  VHM_REQUIRE_CORPUS(corpus);
  const auto r = test::run_vhm("bench sampling " + sample_video(corpus, "pattern-sd-grey-bar.mp4") + " " +
                               sample_video(corpus, "pattern-sd-with-small-logo-bar.mp4") + " " +
                               sample_video(corpus, "doorknob-hd-no-bar.mp4") + " --modes 1s,every-frame --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["benchmark"], "sampling");
  ASSERT_EQ(j["videos"].size(), 3u);
  EXPECT_EQ(j["videos"][0]["family"], "pattern");
  EXPECT_EQ(j["videos"][2]["family"], "doorknob");
  ASSERT_EQ(j["modes"].size(), 2u);
  const auto& every = j["modes"][0];  // every-frame comes first: it is the target and the baseline
  const auto& one = j["modes"][1];
  EXPECT_EQ(every["mode"], "every-frame");
  EXPECT_EQ(one["mode"], "1s");
  for (const auto* m : {&every, &one}) {
    EXPECT_TRUE((*m)["ok"].get<bool>());
    EXPECT_EQ((*m)["same_family_pairs"], 2);   // the two pattern videos, both ways
    EXPECT_EQ((*m)["cross_family_pairs"], 4);  // each with the doorknob, both ways
    ASSERT_EQ((*m)["pairs"].size(), 9u);       // including each video with itself
    for (const auto& p : (*m)["pairs"]) {
      EXPECT_GE(p["query_match"].get<double>(), 0.0);
      EXPECT_LE(p["query_match"].get<double>(), 100.0);
      EXPECT_GE(p["target_match"].get<double>(), 0.0);
      EXPECT_LE(p["target_match"].get<double>(), 100.0);
    }
    // A video's sampled frames are frames of its own every-frame hashing.
    EXPECT_DOUBLE_EQ((*m)["self_query_match_min"].get<double>(), 100.0);
    EXPECT_LE((*m)["frames_hashed"].get<int64_t>(), (*m)["frames_decoded"].get<int64_t>());
    EXPECT_GT((*m)["wall_seconds"].get<double>(), 0.0);
  }
  EXPECT_EQ(every["frames_hashed"].get<int64_t>(), 206 + 206 + 120);
  EXPECT_DOUBLE_EQ(every["share_of_every_frame"].get<double>(), 1.0);
  EXPECT_LT(one["frames_hashed"].get<int64_t>(), every["frames_hashed"].get<int64_t>());
  EXPECT_GT(one["share_of_every_frame"].get<double>(), 0.0);
  // Variants of one recording match; unrelated videos do not (vPDQ's own figures).
  EXPECT_GT(every["same_family_query_match_mean"].get<double>(), 50.0);
  EXPECT_LT(every["cross_family_query_match_max"].get<double>(), 50.0);
  EXPECT_FALSE(j["recommendation"].get<std::string>().empty());
}

TEST(CliBenchVideo, MatchJsonIsSane) {
  VHM_REQUIRE_CORPUS(corpus);
  const auto r = test::run_vhm("bench match --n 20000 --json " + sample_video(corpus, "doorknob-hd-no-bar.mp4") + " " +
                               sample_video(corpus, "pattern-sd-grey-bar.mp4") + " " +
                               sample_video(corpus, "chair-22-with-large-logo-bar.mp4"));
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["benchmark"], "match");
  EXPECT_TRUE(j["environment"].contains("ffmpeg"));
  EXPECT_EQ(j["bank"]["n"], 20000);
  EXPECT_EQ(j["bank"]["index_spec"], "mih");
  EXPECT_GT(j["bank"]["frames_live"].get<int64_t>(), 20000);  // the background plus the references
  EXPECT_GE(j["bank"]["add_s"].get<double>(), 0.0);
  EXPECT_GE(j["bank"]["open_s"].get<double>(), 0.0);
  EXPECT_EQ(j["config"]["sample"], "keyframes");
  ASSERT_EQ(j["videos"].size(), 3u);
  EXPECT_EQ(j["videos"][0]["expected"], "doorknob-hd-no-bar");
  EXPECT_EQ(j["videos"][1]["expected"], "pattern-hd-no-bar");
  EXPECT_TRUE(j["videos"][2]["hard_case"].get<bool>());
  for (const auto& v : j["videos"]) {
    EXPECT_NE(v["status"], "FALSE-POSITIVE") << v.dump();
    if (!v["hard_case"].get<bool>()) {
      EXPECT_EQ(v["status"], "OK") << v.dump();
      EXPECT_EQ(v["verdict"], v["expected"]) << v.dump();
    }
    EXPECT_GT(v["frames_searched"].get<int64_t>(), 0);
    EXPECT_GE(v["codes_searched"].get<int64_t>(), v["frames_searched"].get<int64_t>());
    EXPECT_GT(v["hash_s"].get<double>(), 0.0);
    EXPECT_GE(v["total_s"].get<double>(), v["hash_s"].get<double>());
    EXPECT_GT(v["x_realtime"].get<double>(), 0.0);
  }
  const auto& t = j["totals"];
  EXPECT_EQ(t["false_positive"], 0);
  EXPECT_EQ(t["miss"], 0);
  EXPECT_EQ(t["errors"], 0);
  EXPECT_GT(t["videos_per_s"].get<double>(), 0.0);
  EXPECT_GT(t["lookup_frames_per_s"].get<double>(), 0.0);
  EXPECT_GT(t["latency_p95_s"].get<double>(), 0.0);
  EXPECT_GE(t["latency_p95_s"].get<double>(), t["latency_p50_s"].get<double>());
  EXPECT_GT(t["peak_rss_mib"].get<double>(), 0.0);
}

TEST(CliBenchVideo, UsageErrorsAndHelp) {
  EXPECT_EQ(test::run_vhm("bench decode --modes sometimes /dev/null").exit_code, 2);
  EXPECT_EQ(test::run_vhm("bench decode --repeat 0 /dev/null").exit_code, 2);
  EXPECT_EQ(test::run_vhm("bench sampling --modes 0s /dev/null").exit_code, 2);
  EXPECT_EQ(test::run_vhm("bench sampling --modes 1s+prune /dev/null").exit_code, 2);
  for (const char* cmd : {"bench decode --help", "bench sampling --help"}) {
    const auto r = test::run_vhm(cmd);
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_NE(r.out.find("Example"), std::string::npos) << cmd;
  }
  const auto usage = test::run_vhm("bench --help");
  EXPECT_NE(usage.out.find("decode"), std::string::npos);
  EXPECT_NE(usage.out.find("sampling"), std::string::npos);
}

}  // namespace
}  // namespace vhm
