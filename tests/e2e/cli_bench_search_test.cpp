// End to end: `vhm bench search` on a small bank, and `--plot` on the search, hash and
// decode workloads. Shape and sanity only (no timing thresholds): the figures are noisy.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "support/test_support.h"

namespace vhm {
namespace {

namespace fs = std::filesystem;

// Small enough to run well under a second: 20k codes, two batches of 300 queries.
const std::string kSmallSearch = "bench search --n 20000 --queries 600 --index flat,mih --threads 1,2";

// Real frame hashes in the bank where the corpus is present; the workload runs without.
std::string corpus_frames_flag() {
  const auto corpus = test::corpus_dir();
  return corpus ? " --corpus-frames " + *corpus + "/threatexchange/vpdq/reference-debian12/every-frame"
                : std::string(" --corpus-frames none");
}

bool have_gnuplot() { return test::run_command("command -v gnuplot").exit_code == 0; }

// A fresh directory under the system temp dir, removed when the test ends.
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& tag) {
    path = fs::temp_directory_path() / ("vhm_plot_" + tag + "_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::error_code ec;
    fs::remove_all(path, ec);  // a leftover of an earlier, killed run
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

void expect_svg(const std::string& path) {
  ASSERT_TRUE(fs::exists(path)) << path;
  EXPECT_NE(test::read_text_file(path).find("<svg"), std::string::npos) << path;
}

// The data rows of a chart's .dat (the first line is the '#' header), split at tabs.
std::vector<std::vector<std::string>> data_rows(const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  std::stringstream in(test::read_text_file(path));
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> fields;
    std::stringstream cells(line);
    for (std::string f; std::getline(cells, f, '\t');) fields.push_back(f);
    rows.push_back(fields);
  }
  return rows;
}

TEST(CliBenchSearch, SmallBankJsonIsSane) {
  const auto r = test::run_vhm(kSmallSearch + corpus_frames_flag() + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["environment"].contains("cpu"));
  EXPECT_EQ(j["radius"], 31);
  ASSERT_EQ(j["banks"].size(), 1u);
  const auto& bank = j["banks"][0];
  EXPECT_EQ(bank["n"], 20000);
  EXPECT_EQ(bank["planted_missing"], 0);  // the exhaustive scan finds every planted match
  EXPECT_GT(bank["truth_hits"].get<size_t>(), 0u);
  ASSERT_EQ(bank["indexes"].size(), 2u);
  for (const auto& index : bank["indexes"]) {
    ASSERT_FALSE(index.contains("error")) << index.dump();
    EXPECT_EQ(index["size"], 20000);
    EXPECT_GE(index["build_s"].get<double>(), 0.0);
    // RSS growth of a 640 kB bank may be zero (heap pages already resident), so the
    // memory figures checked are the index's own count and the child's peak.
    EXPECT_GT(index["memory_bytes_mib"].get<double>(), 0.0);
    EXPECT_GT(index["child_peak_rss_mib"].get<double>(), 0.0);
    ASSERT_TRUE(index["exact"].get<bool>()) << index["spec"];  // flat and mih are both exact
    ASSERT_EQ(index["runs"].size(), 2u);
    for (const auto& run : index["runs"]) {
      EXPECT_GT(run["qps"].get<double>(), 0.0);
      EXPECT_EQ(run["queries"], 600);
      EXPECT_EQ(run["recall"].get<double>(), 1.0) << index["spec"] << " threads " << run["threads"];
      EXPECT_EQ(run["extra"], 0) << index["spec"] << " threads " << run["threads"];
      EXPECT_EQ(run["hits"], bank["truth_hits"]);
    }
    EXPECT_EQ(index["runs"][0]["threads"], 1);
    EXPECT_EQ(index["runs"][1]["threads"], 2);
  }
}

TEST(CliBenchPlot, SearchDrawsThroughputAndRecall) {
  if (!have_gnuplot()) GTEST_SKIP() << "gnuplot is not on PATH";
  TempDir dir("search");
  const auto r = test::run_vhm(kSmallSearch + corpus_frames_flag() + " --json --plot " + dir.path.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(nlohmann::json::accept(r.out));  // stdout stays pure JSON
  EXPECT_NE(r.err.find("plots: "), std::string::npos) << r.err;
  expect_svg(dir.file("search-throughput.svg"));
  expect_svg(dir.file("search-recall.svg"));
  EXPECT_TRUE(fs::exists(dir.file("search-throughput.gp")));

  // Throughput: a row per thread count, x then one q/s per index.
  const auto qps = data_rows(dir.file("search-throughput.dat"));
  ASSERT_EQ(qps.size(), 2u);
  EXPECT_EQ(qps[0][0], "1");
  EXPECT_EQ(qps[1][0], "2");
  for (const auto& row : qps) {
    ASSERT_EQ(row.size(), 3u);
    EXPECT_GT(std::stod(row[1]), 0.0);
    EXPECT_GT(std::stod(row[2]), 0.0);
  }
  // Recall: a bar per index, both exact.
  const auto recall = data_rows(dir.file("search-recall.dat"));
  ASSERT_EQ(recall.size(), 2u);
  EXPECT_EQ(recall[0], (std::vector<std::string>{"flat", "100"}));
  EXPECT_EQ(recall[1], (std::vector<std::string>{"mih", "100"}));
}

TEST(CliBenchPlot, HashDrawsMsPerFrame) {
  if (!have_gnuplot()) GTEST_SKIP() << "gnuplot is not on PATH";
  TempDir dir("hash");
  const auto r = test::run_vhm(
      "bench hash --sizes 96x64,320x200 --impl reference,cpu --threads 1,2 --frames 2 "
      "--repeat 1 --json --plot " +
      dir.path.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(nlohmann::json::accept(r.out));
  expect_svg(dir.file("hash-ms-per-frame.svg"));
  // A cluster per size; a bar each for reference, cpu 1 thread and cpu 2 threads.
  const auto rows = data_rows(dir.file("hash-ms-per-frame.dat"));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][0], "96x64");
  EXPECT_EQ(rows[1][0], "320x200");
  for (const auto& row : rows) EXPECT_EQ(row.size(), 4u);
}

TEST(CliBenchPlot, DecodeDrawsSpeed) {
  VHM_REQUIRE_CORPUS(corpus);
  if (!have_gnuplot()) GTEST_SKIP() << "gnuplot is not on PATH";
  TempDir dir("decode");
  const auto r = test::run_vhm("bench decode " + corpus + "/threatexchange/tmk/sample-videos/doorknob-hd-no-bar.mp4" +
                               " --modes keyframes --no-vpdq --json --plot " + dir.path.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(nlohmann::json::accept(r.out));
  expect_svg(dir.file("decode-speed.svg"));
  const auto rows = data_rows(dir.file("decode-speed.dat"));
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows[0][0], "keyframes");
}

TEST(CliBenchPlot, MissingGnuplotFailsAfterTheReport) {
  // No gnuplot on an empty PATH (the hash workload runs no other program), so this
  // runs everywhere, gnuplot installed or not.
  TempDir dir("nognuplot");
  const auto r = test::run_command("PATH=" + dir.file("empty") + " " + VHM_BINARY +
                                   " bench hash --sizes 96x64 --impl reference --frames 1 --repeat 1 --json --plot " +
                                   dir.path.string());
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto j = nlohmann::json::parse(r.out);  // the report was printed in full first
  EXPECT_EQ(j["results"].size(), 1u);
  EXPECT_NE(r.err.find("vhm bench hash: --plot: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("gnuplot"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("plots: "), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir.file("hash-ms-per-frame.svg")));
}

}  // namespace
}  // namespace vhm
