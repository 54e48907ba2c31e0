// `vhm bank` and `vhm match --bank` against hostile inputs and damaged banks (issue 9):
// each repro is a clear error of its input or bank (exit 1), never a signal, an
// internal error (exit 3) or a half-done add; text that is not UTF-8 is stored as given
// and written as valid JSON.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "bank/bank_test_util.h"
#include "support/test_support.h"

namespace vhm {
namespace {

namespace fs = std::filesystem;
using test::RawDb;
using test::TempBankDir;

// Parses one JSON document; strict about UTF-8, so an invalid byte in vhm's output
// fails here.
nlohmann::json json_of(const std::string& text) {
  try {
    return nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not valid JSON (" << e.what() << "): " << text;
    return {};
  }
}

// Single-quoted for sh (the words may hold any byte but the quote itself).
std::string q(const std::string& word) { return "'" + word + "'"; }

std::string hex_of(std::mt19937_64& rng) { return test::random_hash(rng).to_hex(); }

// A vhm JSON Lines record of a video with `n` random frames; their hashes in `hashes`.
std::string video_record(std::mt19937_64& rng, int n, std::vector<std::string>* hashes = nullptr,
                         const std::string& extra = "") {
  nlohmann::json frames = nlohmann::json::array();
  for (int i = 0; i < n; ++i) {
    const std::string h = hex_of(rng);
    if (hashes) hashes->push_back(h);
    frames.push_back({{"frame", i}, {"pts", i / 30.0}, {"quality", 100}, {"pdq", h}});
  }
  nlohmann::json j{{"type", "video"}, {"frames", frames}};
  std::string text = j.dump();
  if (!extra.empty()) text.insert(1, extra + ",");
  return text;
}

void write(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

// A bank with two videos of 40 frames each; their hashes.
struct SmallBank {
  TempBankDir dir;
  std::string bank;
  std::vector<std::string> hashes;
  SmallBank() : bank(dir.bank()) {
    std::mt19937_64 rng(90);
    EXPECT_EQ(test::run_vhm("bank create " + bank).exit_code, 0);
    const std::string input = dir.file("two.jsonl");
    const std::string first = video_record(rng, 40, &hashes);  // in order: hashes[0..39] are content 1's
    const std::string second = video_record(rng, 40, &hashes);
    write(input, first + "\n" + second + "\n");
    auto r = test::run_vhm("bank add " + bank + " " + input);
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
};

void expect_bad_bank(const test::CommandResult& r, const std::string& what, const std::string& fragment) {
  EXPECT_EQ(r.exit_code, 1) << what << "\nstdout: " << r.out << "\nstderr: " << r.err;
  EXPECT_NE(r.err.find(fragment), std::string::npos) << what << ": " << r.err;
  EXPECT_EQ(r.err.find("internal error"), std::string::npos) << what << ": " << r.err;
}

// ---------------------------------------------------------------------------- importers

TEST(CliBankHostile, JsonLinesThatCrashedAddAreErrorsOfTheirFile) {
  TempBankDir dir;
  const std::string bank = dir.bank();
  ASSERT_EQ(test::run_vhm("bank create " + bank).exit_code, 0);
  std::mt19937_64 rng(91);
  const std::string deep = dir.file("deep.jsonl"), huge = dir.file("huge.jsonl"), good = dir.file("good.txt");
  write(deep, "{\"error\": " + std::string(100000, '[') + std::string(100000, ']') + "}\n");
  write(huge, R"({"type":"video","frames":[{"frame":0,"pts":1e999,"quality":100,"pdq":")" + hex_of(rng) + "\"}]}\n");
  write(good, hex_of(rng) + "\n");
  auto r = test::run_vhm("bank add " + bank + " " + deep + " " + huge + " " + good);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find(deep + ": line 1: not JSON"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(huge + ": line 1: not JSON"), std::string::npos) << r.err;
  // The file after them was still added.
  auto stats = test::run_vhm("bank stats " + bank + " --json");
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  EXPECT_EQ(json_of(stats.out)["contents_live"], 1);
}

// FIFOs named as a hash file or an @list blocked `vhm bank add` forever: refused
// unread, named, and the other inputs added. (timeout(1) only ends a hang; the test
// then fails on its exit code.)
TEST(CliBankHostile, FifosGivenToAddAreRefusedUnread) {
  TempBankDir dir;
  const std::string bank = dir.bank();
  ASSERT_EQ(test::run_vhm("bank create " + bank).exit_code, 0);
  std::mt19937_64 rng(95);
  const std::string fifo = dir.file("hashes.txt"), list = dir.file("list.txt"), good = dir.file("good.txt");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  ASSERT_EQ(::mkfifo(list.c_str(), 0600), 0);
  write(good, hex_of(rng) + "\n");
  auto r = test::run_command("timeout 60 " + std::string(VHM_BINARY) + " bank add " + bank + " " + fifo + " " + good);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("FIFO"), std::string::npos) << r.err;
  auto stats = test::run_vhm("bank stats " + bank + " --json");
  EXPECT_EQ(json_of(stats.out)["contents_live"], 1);
  r = test::run_command("timeout 60 " + std::string(VHM_BINARY) + " bank add " + bank + " @" + list);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("FIFO"), std::string::npos) << r.err;
}

TEST(CliBankHostile, ADuplicateExternalIdNamesTheInputAndLine) {
  TempBankDir dir;
  const std::string bank = dir.bank();
  ASSERT_EQ(test::run_vhm("bank create " + bank).exit_code, 0);
  std::mt19937_64 rng(92);
  const std::string first = dir.file("first.jsonl"), second = dir.file("second.jsonl");
  write(first, video_record(rng, 3, nullptr, R"("external_id":"te:1")") + "\n");
  write(second, video_record(rng, 3, nullptr, R"("external_id":"te:2")") + "\n" +
                    video_record(rng, 3, nullptr, R"("external_id":"te:1")") + "\n");
  ASSERT_EQ(test::run_vhm("bank add " + bank + " " + first).exit_code, 0);
  auto r = test::run_vhm("bank add " + bank + " " + second + " --json");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find(second + ": line 2: external id 'te:1' is already content 1 of bank " + bank), std::string::npos)
      << r.err;
  EXPECT_EQ(json_of(r.out)["code"], "invalid argument");
  // Nothing of the file was added (te:2 neither).
  auto stats = test::run_vhm("bank stats " + bank + " --json");
  EXPECT_EQ(json_of(stats.out)["contents_live"], 1);
}

// ---------------------------------------------------------------------------- text that is not UTF-8

TEST(CliBankHostile, TextThatIsNotUtf8IsStoredAndWrittenAsValidJson) {
  SmallBank b;
  std::mt19937_64 rng(93);
  std::vector<std::string> hashes;
  const std::string input = b.dir.file("bytes.jsonl");
  write(input, video_record(rng, 5, &hashes) + "\n");
  const std::string ff = "\xff", label = "lab" + ff + "el", external = "te:" + ff + "\xfe";
  auto r = test::run_vhm("bank add " + b.bank + " " + input + " --label " + q(label) + " --external-id " + q(external));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Stored byte for byte.
  {
    RawDb db(b.bank);
    EXPECT_EQ(db.column("SELECT label FROM contents WHERE id = 3"), std::vector<std::string>{label});
    EXPECT_EQ(db.column("SELECT external_id FROM contents WHERE id = 3"), std::vector<std::string>{external});
  }
  const std::string replaced =
      "lab\xEF\xBF\xBD"
      "el";  // U+FFFD in JSON output
  // match --hashes hitting it: exit 0, valid JSON naming it (it was exit 3).
  const std::string list = b.dir.file("query.txt");
  write(list, hashes[2] + "\n");
  r = test::run_vhm("match --bank " + b.bank + " --hashes " + list);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto hit = json_of(r.out);
  ASSERT_TRUE(hit.contains("hits")) << r.out;
  ASSERT_EQ(hit["hits"].size(), 1u) << r.out;
  EXPECT_EQ(hit["hits"][0]["label"], replaced);
  // export: exit 0, valid JSON (it was exit 3).
  r = test::run_vhm("bank export " + b.bank);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = test::json_lines(r.out);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[2]["label"], replaced);
  EXPECT_EQ(lines[2]["external_id"], "te:\xEF\xBF\xBD\xEF\xBF\xBD");
  // remove --json and stats --json with such text: valid JSON.
  r = test::run_vhm("bank remove " + b.bank + " --external-id " + q(external) + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json_of(r.out)["content_id"], 3);
  EXPECT_EQ(test::run_vhm("bank verify " + b.bank).exit_code, 0);
}

TEST(CliBankHostile, AddJsonOfAFileWhoseNameIsNotUtf8ExitsZeroOnce) {
  TempBankDir dir;
  const std::string bank = dir.bank();
  ASSERT_EQ(test::run_vhm("bank create " + bank).exit_code, 0);
  std::mt19937_64 rng(94);
  const std::string name = dir.file("list-\xff.txt");
  write(name, hex_of(rng) + "\n" + hex_of(rng) + "\n");
  auto r = test::run_vhm("bank add " + bank + " " + q(name) + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;  // it committed, then reported exit 3: a retry added it twice
  auto j = json_of(r.out);
  EXPECT_EQ(j["contents"], 2);
  EXPECT_NE(j["input"].get<std::string>().find("list-\xEF\xBF\xBD.txt"), std::string::npos) << r.out;
  // The source keeps the name's bytes; export writes it as valid JSON.
  EXPECT_EQ(RawDb(bank).column("SELECT source FROM contents WHERE id = 1"), std::vector<std::string>{name + ":1"});
  r = test::run_vhm("bank export " + bank);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::json_lines(r.out).size(), 2u);
  // A failure of such a file is valid JSON too.
  write(name, "not a hash\n");
  r = test::run_vhm("bank add " + bank + " " + q(name) + " --json");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(json_of(r.out)["code"], "corrupt");
}

// The issue's repro, with a real video: `vhm bank add B --label $'\xff' clip.mp4; vhm
// match --bank B clip.mp4` aborted (exit 134).
TEST(CliBankHostile, MatchingAContentWhoseLabelIsNotUtf8) {
  VHM_REQUIRE_CORPUS(corpus);
  TempBankDir dir;
  const std::string bank = dir.bank();
  ASSERT_EQ(test::run_vhm("bank create " + bank).exit_code, 0);
  const std::string clip = corpus + "/threatexchange/tmk/sample-videos/chair-19-sd-bar.mp4";
  auto r = test::run_vhm("bank add " + bank + " --device cpu --sample 1s --label " + q("\xff") + " " + clip);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = test::run_vhm("match --bank " + bank + " --device cpu --sample 1s " + clip);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = json_of(r.out);
  ASSERT_EQ(j["verdicts"].size(), 2u) << r.out;  // by the file's MD5 and by vPDQ
  for (const auto& v : j["verdicts"]) EXPECT_EQ(v["label"], "\xEF\xBF\xBD");
  r = test::run_vhm("match --bank " + bank + " --device cpu --sample 1s --format table " + clip);
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

// ---------------------------------------------------------------------------- a restored bank

// The issue's repro (item 4): only bank.sqlite restored from a backup, the index cache
// left over, a content added; the leftover cache held another content at the same
// generation and frame id.
TEST(CliBankHostile, ARestoredDatabaseAnswersWithItsOwnHashes) {
  TempBankDir dir;
  const std::string bank = dir.bank(), db = bank + "/bank.sqlite";
  ASSERT_EQ(test::run_vhm("bank create " + bank).exit_code, 0);
  std::mt19937_64 rng(96);
  write(dir.file("base.jsonl"), video_record(rng, 10000) + "\n");  // the cache's 16 spot-checks land here
  const std::string x = hex_of(rng), y = hex_of(rng);
  write(dir.file("x.txt"), x + "\n");
  write(dir.file("y.txt"), y + "\n");
  ASSERT_EQ(test::run_vhm("bank add " + bank + " " + dir.file("base.jsonl")).exit_code, 0);
  fs::copy_file(db, dir.file("backup.sqlite"));
  ASSERT_EQ(test::run_vhm("bank add " + bank + " " + dir.file("x.txt")).exit_code, 0);
  ASSERT_EQ(test::run_vhm("bank verify " + bank + " --rebuild-index").exit_code, 0);  // the cache holds X
  fs::copy_file(dir.file("backup.sqlite"), db, fs::copy_options::overwrite_existing);
  ASSERT_EQ(test::run_vhm("bank add " + bank + " " + dir.file("y.txt")).exit_code, 0);

  auto r = test::run_vhm("match --bank " + bank + " --hashes " + dir.file("y.txt") + " --distance 0");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto hit = json_of(r.out);
  ASSERT_EQ(hit["hits"].size(), 1u) << r.out;
  EXPECT_EQ(hit["hits"][0]["content_id"], 2);
  r = test::run_vhm("match --bank " + bank + " --hashes " + dir.file("x.txt") + " --distance 0");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(json_of(r.out)["hits"].empty()) << r.out;  // the abandoned hash is not the new content
  r = test::run_vhm("bank verify " + bank + " --all-frames --json");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(json_of(r.out)["frames_probed"], 10001);
}

// ---------------------------------------------------------------------------- damaged banks

TEST(CliBankHostile, ABankSqliteSymlinkLoopIsABadBank) {
  TempBankDir dir;
  const std::string bank = dir.bank();
  fs::create_directories(bank);
  fs::create_symlink(bank + "/bank.sqlite", bank + "/bank.sqlite");
  for (const char* cmd : {"stats", "verify", "export"})
    expect_bad_bank(test::run_vhm(std::string("bank ") + cmd + " " + bank), cmd, "bank.sqlite");
  std::mt19937_64 rng(95);
  const std::string list = dir.file("q.txt");
  write(list, hex_of(rng) + "\n");
  expect_bad_bank(test::run_vhm("match --bank " + bank + " --hashes " + list), "match", "bank.sqlite");
}

TEST(CliBankHostile, ADroppedTableIsABadBank) {
  for (const char* table : {"pending_adds", "frames", "meta"}) {
    SmallBank b;
    RawDb(b.bank).exec(std::string("DROP TABLE ") + table);
    for (const char* cmd : {"stats", "verify", "export"})
      expect_bad_bank(test::run_vhm(std::string("bank ") + cmd + " " + b.bank), std::string(table) + " " + cmd,
                      "bank.sqlite");
  }
  SmallBank b;
  RawDb(b.bank).exec("DROP TABLE pending_adds");
  auto r = test::run_vhm("bank verify " + b.bank);
  EXPECT_NE(r.err.find("table(s) 'pending_adds' missing"), std::string::npos) << r.err;
}

TEST(CliBankHostile, OverlappingFrameRangesAreProblemsOfTheBank) {
  SmallBank b;
  RawDb(b.bank).exec("UPDATE contents SET first_frame_id = first_frame_id - 3 WHERE id = 2");
  auto r = test::run_vhm("bank verify " + b.bank + " --all-frames");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("overlapping frame id ranges"), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find("internal error"), std::string::npos) << r.err;
  // A lookup hitting a frame no content's range holds: an error of the bank, exit 1.
  const std::string list = b.dir.file("q.txt");
  write(list, b.hashes.back() + "\n");
  expect_bad_bank(test::run_vhm("match --bank " + b.bank + " --hashes " + list), "match",
                  "lies in no content's frame range");
}

// timeout(1) is a watchdog only: the fixed commands return at once; a regression (an
// open blocking on a FIFO, a read of /dev/zero without end) fails with exit 124.
test::CommandResult run_vhm_watched(const std::string& args) {
  return test::run_command("timeout 120 " + std::string(VHM_BINARY) + " " + args);
}

TEST(CliBankHostile, ACacheFifoOrDeviceDoesNotHangCommands) {
  SmallBank b;
  ASSERT_EQ(test::run_vhm("bank verify " + b.bank + " --rebuild-index").exit_code, 0);  // writes the cache
  const std::string list = b.dir.file("q.txt");
  write(list, b.hashes[3] + "\n");
  for (const char* name : {"index.vhmidx", "index.vhmidx.meta"}) {
    for (const bool fifo : {true, false}) {
      const std::string path = b.bank + "/" + name, what = std::string(name) + (fifo ? " a FIFO" : " -> /dev/zero");
      fs::remove(path);
      if (fifo) ASSERT_EQ(test::run_command("mkfifo " + q(path)).exit_code, 0);
      else fs::create_symlink("/dev/zero", path);
      auto r = run_vhm_watched("match --bank " + b.bank + " --hashes " + list);
      EXPECT_EQ(r.exit_code, 0) << what << ": " << r.err;
      EXPECT_EQ(json_of(r.out)["hits"].size(), 1u) << what << ": " << r.out;
      EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(path))) << what << ": the rebuild replaces it";
      fs::remove(path);
      if (fifo) ASSERT_EQ(test::run_command("mkfifo " + q(path)).exit_code, 0);
      else fs::create_symlink("/dev/zero", path);
      r = run_vhm_watched("bank verify " + b.bank);
      EXPECT_EQ(r.exit_code, 0) << what << ": " << r.out << r.err;
    }
  }
  // Wrong-typed metadata: every command worked on it again, and verify --rebuild-index
  // repairs it (both had exited 3).
  write(b.bank + "/index.vhmidx.meta", R"({"format": 2, "spec": "mih", "generation": "x"})");
  auto r = run_vhm_watched("bank verify " + b.bank + " --rebuild-index");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  write(b.bank + "/index.vhmidx.meta", R"({"format": "2"})");
  r = run_vhm_watched("match --bank " + b.bank + " --hashes " + list);
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(CliBankHostile, ATruncatedDatabaseIsABadBank) {
  SmallBank b;
  const std::string db = b.bank + "/bank.sqlite";
  const auto size = fs::file_size(db);
  for (const uintmax_t keep : {uintmax_t{0}, uintmax_t{100}, size / 2, size - 1000}) {
    SmallBank c;
    fs::resize_file(c.bank + "/bank.sqlite", keep);
    // verify reads every page: it must find the damage. stats may not read the pages
    // that are gone (exit 0 then), but neither may fail as vhm's own bug.
    for (const char* cmd : {"verify", "stats", "export"}) {
      auto r = test::run_vhm(std::string("bank ") + cmd + " " + c.bank);
      if (std::string(cmd) == "verify")
        EXPECT_EQ(r.exit_code, 1) << cmd << " at " << keep << " bytes\n" << r.out << r.err;
      else EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << cmd << " at " << keep << " bytes\n" << r.out << r.err;
      EXPECT_EQ(r.err.find("internal error"), std::string::npos) << r.err;
    }
  }
}

TEST(CliBankHostile, AHugeFrameCountIsABadBank) {
  SmallBank b;
  RawDb(b.bank).exec("UPDATE contents SET frame_count = 9223372036854775807 WHERE id = 1");
  // Was bad_alloc (exit 3) in export and a hang counting 2^63 ids in match.
  expect_bad_bank(test::run_vhm("bank export " + b.bank), "export", "damaged bank: content 1 should have");
  auto r = test::run_vhm("bank verify " + b.bank);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("frame count differs"), std::string::npos) << r.out;
  r = test::run_vhm("bank stats " + b.bank + " --json");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const std::string list = b.dir.file("q.txt");
  write(list, b.hashes[50] + "\n");  // a frame of content 2
  r = run_vhm_watched("match --bank " + b.bank + " --hashes " + list);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  // A hit on the damaged content itself: an error naming it, exit 1.
  write(list, b.hashes[5] + "\n");
  expect_bad_bank(run_vhm_watched("match --bank " + b.bank + " --hashes " + list), "match content 1",
                  "damaged bank: content 1");
}

}  // namespace
}  // namespace vhm
