// Bank formats: a format-1 bank (as vhm wrote before frames had inside-bars hashes) is
// migrated in place at open, once, with a note; its format-1 index cache is rebuilt;
// lookups, adds with inside-bars hashes, removals and verify work after it. A bank of a
// newer format than this vhm knows is refused.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "bank/bank.h"
#include "bank/bank_test_util.h"
#include "support/test_support.h"

namespace vhm {
namespace {

namespace fs = std::filesystem;
using test::TempBankDir;

using test::open_ok;

ContentMeta meta(const std::string& external_id) {
  ContentMeta m;
  m.external_id = external_id;
  return m;
}

using test::RawDb;

// Turns a bank back into format 1: the columns and the index format 2 added are dropped
// (SQLite's DROP COLUMN rewrites the table as format 1 declared it), the version goes
// back to 1, and the index cache metadata is rewritten as format 1's was (no
// inside_bars_count), as a format-1 vhm would have left it.
void downgrade_to_format_1(const std::string& bank) {
  {
    RawDb db(bank);
    db.exec(
        "BEGIN; DROP INDEX frames_inside_bars; ALTER TABLE frames DROP COLUMN inside_bars_quality; "
        "ALTER TABLE frames DROP COLUMN inside_bars_hash; UPDATE meta SET value = '1' WHERE key = 'format'; "
        "PRAGMA user_version = 1; COMMIT;");
    EXPECT_EQ(db.column("SELECT name FROM pragma_table_info('frames') ORDER BY cid"),
              (std::vector<std::string>{"id", "content_id", "frame", "timestamp", "quality", "hash"}));
    EXPECT_EQ(db.column("PRAGMA user_version"), std::vector<std::string>{"1"});
  }
  const std::string meta_path = bank + "/" + kBankIndexMetaFile;
  ASSERT_TRUE(fs::exists(meta_path));
  std::string text = test::read_text_file(meta_path);
  for (const std::string& from : {std::string("\"format\": 2"), std::string("\"inside_bars_count\": 0,")}) {
    const auto pos = text.find(from);
    ASSERT_NE(pos, std::string::npos) << text;
    text.replace(pos, from.size(), from.starts_with("\"format\"") ? "\"format\": 1" : "");
  }
  std::ofstream(meta_path, std::ios::trunc) << text;
}

TEST(BankFormat, AFormat1BankIsMigratedInPlaceOnce) {
  TempBankDir dir;
  ASSERT_TRUE(Bank::create(dir.bank()).is_ok());
  std::mt19937_64 rng(201);
  const auto old_frames = test::random_frames(120, rng);
  int64_t old_id = 0;
  {
    auto bank = open_ok(dir.bank());
    auto added = bank->add_content(meta("old"), old_frames);
    ASSERT_TRUE(added.is_ok());
    old_id = added->id;
    ASSERT_TRUE(bank->add_content(meta("old-2"), test::random_frames(50, rng)).is_ok());
    ASSERT_TRUE(bank->merge().is_ok());  // a cache, to be downgraded with the bank
  }
  downgrade_to_format_1(dir.bank());

  auto bank = open_ok(dir.bank());
  ASSERT_TRUE(bank);
  ASSERT_EQ(bank->recovery_notes().size(), 1u);
  EXPECT_NE(bank->recovery_notes()[0].find("bank format 1 migrated in place to format 2"), std::string::npos)
      << bank->recovery_notes()[0];
  // The format-1 cache cannot hold inside-bars codes: rebuilt, not loaded.
  EXPECT_NE(bank->index_info().origin.find("rebuilt"), std::string::npos) << bank->index_info().origin;
  EXPECT_NE(bank->index_info().origin.find("format 1"), std::string::npos) << bank->index_info().origin;
  auto st = bank->stats();
  ASSERT_TRUE(st.is_ok());
  EXPECT_EQ(st->format_version, 2);
  EXPECT_EQ(st->frames_live, 170);
  EXPECT_EQ(st->frames_inside_bars, 0);

  // What was there is found as before.
  auto hits = bank->lookup(std::span<const Hash256>(&old_frames[17].hash, 1), 0);
  ASSERT_TRUE(hits.is_ok()) << hits.status().to_string();
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ(hits->front().content_id, old_id);
  EXPECT_EQ(hits->front().frame_ordinal, 17);
  auto stored = bank->content_frames(old_id);
  ASSERT_TRUE(stored.is_ok());
  EXPECT_EQ(*stored, old_frames);

  // New adds carry inside-bars hashes, and lookups find frames through them.
  auto frames = test::random_frames(40, rng);
  for (size_t i = 0; i < frames.size(); i += 2) {
    frames[i].has_cropped = true;
    frames[i].cropped = test::random_hash(rng);
    frames[i].cropped_quality = 80;
  }
  auto added = bank->add_content(meta("new"), frames);
  ASSERT_TRUE(added.is_ok()) << added.status().to_string();
  const Hash256 q = test::flip_bits(frames[6].cropped, 3, rng);
  hits = bank->lookup(std::span<const Hash256>(&q, 1), 31);
  ASSERT_TRUE(hits.is_ok());
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ(hits->front().content_id, added->id);
  EXPECT_EQ(hits->front().frame_ordinal, 6);
  EXPECT_EQ(hits->front().bank_variant, FrameVariant::kInsideBars);
  EXPECT_EQ(bank->stats()->frames_inside_bars, 20);

  // Removal still honoured, through both codes.
  ASSERT_TRUE(bank->remove(ContentRef::by_external_id("old")).is_ok());
  hits = bank->lookup(std::span<const Hash256>(&old_frames[17].hash, 1), 0);
  ASSERT_TRUE(hits.is_ok());
  EXPECT_TRUE(hits->empty());
  auto report = bank->verify();
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  EXPECT_TRUE(report->ok()) << ::testing::PrintToString(report->problems);
  EXPECT_EQ(report->inside_bars_probed, 20);

  // Once: the next open has nothing to say, loads the cache the first one wrote and
  // still finds the new content through its inside-bars hash and not the removed one.
  bank.reset();
  auto again = open_ok(dir.bank());
  EXPECT_TRUE(again->recovery_notes().empty());
  EXPECT_EQ(again->index_info().origin, "cache");
  hits = again->lookup(std::vector<Hash256>{q, old_frames[17].hash}, 31);
  ASSERT_TRUE(hits.is_ok());
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ(hits->front().query, 0u);
  EXPECT_EQ(hits->front().bank_variant, FrameVariant::kInsideBars);

  // The migrated schema is the one a new bank gets, statement for statement.
  TempBankDir fresh;
  ASSERT_TRUE(Bank::create(fresh.bank()).is_ok());
  const std::string schema = "SELECT type || ' ' || name || ': ' || sql FROM sqlite_master ORDER BY type, name";
  EXPECT_EQ(RawDb(dir.bank()).column(schema), RawDb(fresh.bank()).column(schema));
  EXPECT_EQ(RawDb(dir.bank()).column("PRAGMA user_version"), std::vector<std::string>{"2"});
}

TEST(BankFormat, ANewerFormatIsRefused) {
  TempBankDir dir;
  ASSERT_TRUE(Bank::create(dir.bank()).is_ok());
  RawDb(dir.bank()).exec("PRAGMA user_version = 3");
  auto bank = Bank::open(dir.bank(), test::quiet_options());
  ASSERT_FALSE(bank.is_ok());
  EXPECT_EQ(bank.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(bank.status().message().find("bank format 3 is newer than this vhm reads"), std::string::npos)
      << bank.status().to_string();
  EXPECT_EQ(bank.status().subject(), dir.bank());
  // Nothing was changed by the refusal.
  EXPECT_EQ(RawDb(dir.bank()).column("PRAGMA user_version"), std::vector<std::string>{"3"});
}

// A dropped table or column is a damaged bank, named at open (kCorrupt: exit 1), not
// "no such table" from a later statement, an SQLite logic error that read as a vhm bug
// (exit 3, issue 9 item 9).
TEST(BankFormat, AMissingTableOrColumnIsADamagedBank) {
  struct Case {
    const char* sql;
    const char* missing;
  } cases[] = {{"DROP TABLE pending_adds", "table(s) 'pending_adds' missing"},
               {"DROP TABLE frames", "table(s) 'frames' missing"},
               {"ALTER TABLE contents DROP COLUMN removed_reason", "column(s) contents.removed_reason missing"}};
  for (const Case& c : cases) {
    TempBankDir dir;
    ASSERT_TRUE(Bank::create(dir.bank()).is_ok());
    RawDb(dir.bank()).exec(c.sql);
    auto bank = Bank::open(dir.bank(), test::quiet_options());
    ASSERT_FALSE(bank.is_ok()) << c.sql;
    EXPECT_EQ(bank.status().code(), StatusCode::kCorrupt) << bank.status().to_string();
    EXPECT_NE(bank.status().message().find("bank.sqlite is damaged: "), std::string::npos) << bank.status().to_string();
    EXPECT_NE(bank.status().message().find(c.missing), std::string::npos) << bank.status().to_string();
  }
}

}  // namespace
}  // namespace vhm
