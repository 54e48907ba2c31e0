// `vhm bank` end to end: create, add (vPDQ, JSONL, PDQ list, a video), stats, export,
// remove, verify; garbage inputs give exit 1 and the line number.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "bank/bank_test_util.h"
#include "hash/vpdq_format.h"
#include "support/test_support.h"

namespace vhm {
namespace {

namespace fs = std::filesystem;

std::string dedup_text(const std::string& vpdq_text) {
  auto frames = parse_vpdq(vpdq_text);
  EXPECT_TRUE(frames.is_ok());
  return frames ? format_vpdq(test::dedup_frames(*frames)) : std::string();
}

nlohmann::json json_of(const std::string& out) {
  try {
    return nlohmann::json::parse(out);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not JSON: " << out;
    return {};
  }
}

TEST(CliBank, HelpAndUsage) {
  auto r = test::run_vhm("bank --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("Subcommands:"), std::string::npos);
  for (const char* sub : {"create", "add", "remove", "stats", "export", "verify"}) {
    auto h = test::run_vhm(std::string("bank ") + sub + " --help");
    EXPECT_EQ(h.exit_code, 0) << sub;
    EXPECT_NE(h.out.find("Examples:"), std::string::npos) << sub;
  }
  EXPECT_EQ(test::run_vhm("bank frobnicate x").exit_code, 2);
  EXPECT_EQ(test::run_vhm("bank add").exit_code, 2);
  test::TempBankDir dir;
  auto bad = test::run_vhm("bank create " + dir.bank() + " --index nonsense");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--index"), std::string::npos) << bad.err;
  EXPECT_EQ(test::run_vhm("bank stats " + dir.file("absent")).exit_code, 1);
}

TEST(CliBank, AddExportRemoveVerifyRoundTrip) {
  VHM_REQUIRE_CORPUS(corpus);
  test::TempBankDir dir;
  const std::string bank = dir.bank();
  ASSERT_EQ(test::run_vhm("bank create " + bank).exit_code, 0);

  // vPDQ reference files, one with an external id.
  const auto files = test::vpdq_reference_files(corpus);
  ASSERT_GE(files.size(), 3u);
  auto r = test::run_vhm("bank add " + bank + " " + files[0] + " --external-id te:1 --label first");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("added 1 content (id 1)"), std::string::npos) << r.out;
  r = test::run_vhm("bank add " + bank + " " + files[1] + " " + files[2] + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;

  // A JSONL file as `vhm hash --format jsonl` writes, and a PDQ list.
  const std::string jsonl = dir.file("h.jsonl");
  std::ofstream(jsonl) << R"({"path":"p.jpg","type":"image","pdq":")" << std::string(64, 'a') << R"(","quality":90})"
                       << "\n";
  const std::string list = dir.file("list.txt");
  std::ofstream(list) << "pdq " << std::string(64, 'b') << "\n" << std::string(64, 'c') << "\n";
  r = test::run_vhm("bank add " + bank + " " + jsonl + " " + list);
  ASSERT_EQ(r.exit_code, 0) << r.err;

  // Garbage: exit 1, file and line named, nothing of it added, the others still added.
  const std::string garbage = dir.file("garbage.txt");
  std::ofstream(garbage) << "pdq " << std::string(64, 'd') << "\npdq not-a-hash\n";
  const std::string good = dir.file("good.txt");
  std::ofstream(good) << std::string(64, 'e') << "\n";
  r = test::run_vhm("bank add " + bank + " " + garbage + " " + good);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(garbage + ": line 2: bad PDQ hash"), std::string::npos) << r.err;

  r = test::run_vhm("bank stats " + bank + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto stats = json_of(r.out);
  EXPECT_EQ(stats["contents_live"], 7);  // 3 videos, 1 image, 2 list hashes, 1 good
  EXPECT_EQ(stats["video_contents"], 3);
  EXPECT_EQ(stats["pdq_contents"], 4);

  // Export vPDQ: each file equals its input less exact-duplicate frames.
  const std::string out = dir.file("exported");
  r = test::run_vhm("bank export " + bank + " --format vpdq --out-dir " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::read_text_file(out + "/te_1.txt"), dedup_text(test::read_text_file(files[0])));
  EXPECT_EQ(test::read_text_file(out + "/content-2.txt"), dedup_text(test::read_text_file(files[1])));
  EXPECT_EQ(test::read_text_file(out + "/content-4.txt"), "0,90," + std::string(64, 'a') + ",0.000\n");

  // Remove, then export skips it; verify is clean.
  r = test::run_vhm("bank remove " + bank + " --external-id te:1 --reason test --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json_of(r.out)["content_id"], 1);
  EXPECT_EQ(test::run_vhm("bank remove " + bank + " --external-id te:missing").exit_code, 1);
  r = test::run_vhm("bank export " + bank);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  int count = 0;
  for (std::string line; std::getline(lines, line);) {
    ++count;
    EXPECT_NE(json_of(line)["external_id"], "te:1");
  }
  EXPECT_EQ(count, 6);

  // The JSONL export loads into another bank and exports the same.
  const std::string exported = dir.file("all.jsonl");
  std::ofstream(exported) << r.out;
  const std::string bank2 = dir.file("bank2");
  ASSERT_EQ(test::run_vhm("bank create " + bank2 + " --index flat").exit_code, 0);
  ASSERT_EQ(test::run_vhm("bank add " + bank2 + " " + exported).exit_code, 0);
  auto r2 = test::run_vhm("bank export " + bank2);
  ASSERT_EQ(r2.exit_code, 0);
  std::istringstream a(r.out), b(r2.out);
  for (std::string la, lb; std::getline(a, la) && std::getline(b, lb);) {
    auto ja = json_of(la), jb = json_of(lb);
    for (const char* key : {"external_id", "label", "source", "signal_type", "frames", "pdq"})
      EXPECT_EQ(ja.value(key, nlohmann::json()), jb.value(key, nlohmann::json())) << key;
  }

  r = test::run_vhm("bank verify " + bank + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto verify = json_of(r.out);
  EXPECT_EQ(verify["ok"], true);
  EXPECT_EQ(verify["integrity"], "ok");
  EXPECT_GT(verify["frames_probed"].get<int>(), 0);
}

TEST(CliBank, AddsAVideoHashedOnTheFly) {
  VHM_REQUIRE_CORPUS(corpus);
  test::TempBankDir dir;
  const std::string bank = dir.bank();
  ASSERT_EQ(test::run_vhm("bank create " + bank).exit_code, 0);
  const std::string video = corpus + "/threatexchange/tmk/sample-videos/test-padded-dimensions.mp4";
  auto r = test::run_vhm("bank add " + bank + " " + video + " --device cpu --external-id vid");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string out = dir.file("out");
  ASSERT_EQ(test::run_vhm("bank export " + bank + " --format vpdq --out-dir " + out).exit_code, 0);
  const std::string reference = test::read_text_file(test::vpdq_reference_dir(corpus) + "/test-padded-dimensions.txt");
  EXPECT_EQ(test::read_text_file(out + "/vid.txt"), dedup_text(reference));
}

}  // namespace
}  // namespace vhm
