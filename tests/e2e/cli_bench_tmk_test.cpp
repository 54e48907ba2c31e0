// End to end: `vhm bench tmk` on a small synthetic bank. Shape and sanity only (no
// timing thresholds): every record of --format jsonl is there, the exact index and an
// IVF that probes every list agree with the brute-force truth, the queries find their
// near variants, and a bad spec is a usage error.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <string>

#include "support/test_support.h"

namespace vhm {
namespace {

TEST(CliBenchTmk, ReportsEverySpecAndTheSqliteBankAsJsonLines) {
  VHM_REQUIRE_CORPUS(corpus);
  const std::string args =
      "bench tmk --contents 3000 --index flat-ip,ivf16,nprobe=16,hnsw8,ef=32 --bank-contents 30 "
      "--repeat 1 --query-copies 0 --format jsonl --corpus " +
      corpus + "/threatexchange/tmk/sample-hashes";
  const auto r = test::run_vhm(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = test::json_lines(r.out);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.front()["record"], "environment");
  EXPECT_EQ(lines.front()["queries"], 15);
  std::map<std::string, nlohmann::json> index;
  nlohmann::json bank, sqlite;
  for (const auto& j : lines) {
    if (j["record"] == "index") index[j["spec"].get<std::string>()] = j;
    if (j["record"] == "bank") bank = j;
    if (j["record"] == "sqlite_bank") sqlite = j;
  }
  ASSERT_EQ(index.size(), 3u) << r.out;
  ASSERT_FALSE(bank.is_null());
  EXPECT_EQ(bank["contents"], 3000);
  EXPECT_EQ(bank["near"], 75) << "5 variants of each of the 15 corpus files";
  EXPECT_GT(bank["truth_matches_mean"].get<double>(), 1.0) << "a corpus file matches some of its variants";
  for (const auto& [spec, j] : index) {
    ASSERT_FALSE(j.contains("error")) << spec << ": " << j.dump();
    EXPECT_EQ(j["size"], 3000) << spec;
    EXPECT_EQ(j["exact"], spec == "flat-ip") << spec;
    EXPECT_EQ(j["timed_lookups"], 15) << spec;
    EXPECT_GT(j["candidates_mean"].get<double>(), 0.0) << spec;
    EXPECT_GE(j["total_ms_p50"].get<double>(), j["level1_ms_p50"].get<double>()) << spec;
  }
  // Exact, and IVF probing all 16 of its lists, find every true candidate and match.
  for (const char* spec : {"flat-ip", "ivf16,nprobe=16"}) {
    EXPECT_EQ(index[spec]["recall_level1"], 1.0) << spec;
    EXPECT_EQ(index[spec]["recall_matches"], 1.0) << spec;
    EXPECT_EQ(index[spec]["matches_mean"], bank["truth_matches_mean"]) << spec;
  }
  ASSERT_FALSE(sqlite.is_null()) << r.out;
  ASSERT_FALSE(sqlite.contains("error")) << sqlite.dump();
  EXPECT_EQ(sqlite["contents"], 30);
  EXPECT_EQ(sqlite["timed_lookups"], 15);
  EXPECT_GT(sqlite["matches_mean"].get<double>(), 0.0) << "the bank holds near variants of the queries";
}

TEST(CliBenchTmk, RefusesABadSpecOrFormat) {
  EXPECT_EQ(test::run_vhm("bench tmk --contents 10 --index hnsw2").exit_code, 2);
  EXPECT_EQ(test::run_vhm("bench tmk --contents 10 --index ivf16,ef=3").exit_code, 2);
  EXPECT_EQ(test::run_vhm("bench tmk --contents 10 --format csv").exit_code, 2);
  EXPECT_EQ(test::run_vhm("bench tmk --contents zero").exit_code, 2);
  const auto help = test::run_vhm("bench tmk --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Examples:"), std::string::npos);
}

}  // namespace
}  // namespace vhm
