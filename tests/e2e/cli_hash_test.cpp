// End to end: the vhm binary as a user runs it.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/test_support.h"

namespace vhm {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream s(text);
  for (std::string l; std::getline(s, l);)
    if (!l.empty()) lines.push_back(l);
  return lines;
}

TEST(CliHash, ReproducesReferenceCsvLines) {
  VHM_REQUIRE_CORPUS(corpus);
  // Run from the corpus root so the printed paths equal the reference file's.
  const std::string root = corpus + "/threatexchange";
  const auto expected = lines_of(test::read_text_file(root + "/pdq/reference-debian12-photo.csv"));
  std::string args;
  for (size_t i = 1; i < expected.size(); ++i) args += " " + expected[i].substr(expected[i].rfind(',') + 1);
  const auto r = test::run_command("cd " + root + " && " + VHM_BINARY + " hash" + args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto got = lines_of(r.out);
  ASSERT_EQ(got.size(), expected.size() - 1);
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], expected[i + 1]);
}

TEST(CliHash, DihedralLineEqualsReferenceTool) {
  VHM_REQUIRE_CORPUS(corpus);
  const std::string root = corpus + "/threatexchange";
  const auto expected = lines_of(test::read_text_file(root + "/pdq/reference-debian12-dihedral.txt"));
  const auto r = test::run_command("cd " + root + " && " + VHM_BINARY +
                                   " hash --dihedral pdq/data/reg-test-input/dih/bridge-1-original.jpg");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines_of(r.out), std::vector<std::string>{expected[1]});
}

TEST(CliHash, BadInputsAreNamedAndTheRestGoOn) {
  VHM_REQUIRE_CORPUS(corpus);
  const auto dir = std::filesystem::temp_directory_path() / ("vhm_cli_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string empty = (dir / "empty.png").string();
  const std::string text = (dir / "notes.jpg").string();
  std::ofstream(empty).close();
  std::ofstream(text) << "not an image";
  const std::string good = corpus + "/threatexchange/pdq/data/misc-images/wee.jpg";
  const auto r = test::run_vhm("hash " + empty + " " + good + " /no/such/file.jpg " + text + " --format jsonl");
  EXPECT_EQ(r.exit_code, 1);
  const auto out = lines_of(r.out);
  ASSERT_EQ(out.size(), 4u);
  int errors = 0;
  for (const auto& line : out) {
    const auto j = nlohmann::json::parse(line);
    ASSERT_TRUE(j.contains("path"));
    if (j.contains("error")) {
      ++errors;
    } else {
      EXPECT_EQ(j["pdq"], "6227401f601ff4ccafcc9fad4b0d95d371a2eb7265a3285234d228ca94deeb2d");
      EXPECT_EQ(j["quality"], 100);
    }
  }
  EXPECT_EQ(errors, 3);
  const auto err = lines_of(r.err);
  ASSERT_EQ(err.size(), 3u);
  EXPECT_NE(err[0].find(empty), std::string::npos);
  EXPECT_NE(err[1].find("/no/such/file.jpg"), std::string::npos);
  EXPECT_NE(err[2].find(text), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(CliHash, NamesOnStdinAndUsageErrors) {
  VHM_REQUIRE_CORPUS(corpus);
  const std::string good = corpus + "/threatexchange/pdq/data/misc-images/wee.jpg";
  // "-" reads input names from stdin (as find | vhm hash - would).
  const auto r = test::run_command("echo " + good + " | " + VHM_BINARY + " hash -");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "6227401f601ff4ccafcc9fad4b0d95d371a2eb7265a3285234d228ca94deeb2d,100," + good + "\n");
  EXPECT_EQ(test::run_vhm("hash").exit_code, 2);
  EXPECT_EQ(test::run_vhm("hash --format xml " + good).exit_code, 2);
  EXPECT_EQ(test::run_vhm("hash --no-such-flag " + good).exit_code, 2);
  EXPECT_EQ(test::run_vhm("hash --sample sometimes " + good).exit_code, 2);
  EXPECT_EQ(test::run_vhm("hash --shard 4/4 " + good).exit_code, 2);
  EXPECT_EQ(test::run_vhm("hash --jobs 0 " + good).exit_code, 2);
  EXPECT_EQ(test::run_vhm("frobnicate").exit_code, 2);
}

TEST(CliHash, HelpHasExamples) {
  for (const char* cmd : {"--help", "hash --help", "bench --help", "bench hash --help"}) {
    const auto r = test::run_vhm(cmd);
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_NE(r.out.find("Example"), std::string::npos) << cmd;
  }
}

TEST(CliBench, HashBenchmarkJsonIsSane) {
  const auto r = test::run_vhm(
      "bench hash --sizes 96x64,320x200 --impl reference,cpu,gpu --threads 1,2 --frames 2 --repeat 1 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["benchmark"], "hash");
  EXPECT_TRUE(j["environment"].contains("cpu"));
  ASSERT_GE(j["results"].size(), 6u);  // 2 sizes x (reference + cpu x 2 threads) [+ gpu]
  for (const auto& row : j["results"]) {
    EXPECT_GT(row["ms_per_frame"].get<double>(), 0.0);
    EXPECT_GT(row["frames_per_s"].get<double>(), 0.0);
    EXPECT_TRUE(row["bits_equal_reference"].get<bool>());
  }
}

}  // namespace
}  // namespace vhm
