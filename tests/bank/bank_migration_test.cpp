// Bank formats: a format-1 bank (as vhm wrote before frames had inside-bars hashes) and
// a format-2 bank (before frames recorded their signal) are migrated in place at open,
// once, with a note; lookups, adds, removals and verify work after it, and the bank
// matches as before. A bank of a newer format than this vhm knows is refused; a frame of
// a signal this vhm does not know is damage.
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
// Turns a bank back into format 2, as vhm wrote it before frames recorded their signal:
// the column format 3 added is dropped and the version goes back to 2. The index cache
// has the same format in both.
// Turns a bank back into format 3, as vhm wrote it before whole-content signals: the two
// signal tables go, and contents is rebuilt with format 1's CHECK (frame_count > 0),
// its AUTOINCREMENT counter carried over (as format 3's text of the table, which
// sqlite_master then holds, is format 1's).
void downgrade_to_format_3(const std::string& bank) {
  RawDb db(bank);
  db.exec(R"sql(BEGIN;
DROP TABLE content_signal_vectors;
DROP TABLE content_signals;
CREATE TABLE contents_v3 (
  id                 INTEGER PRIMARY KEY AUTOINCREMENT,
  external_id        TEXT,
  label              TEXT NOT NULL DEFAULT '',
  source             TEXT NOT NULL DEFAULT '',
  signal_type        TEXT NOT NULL CHECK (signal_type IN ('video', 'pdq')),
  added_at           TEXT NOT NULL,
  added_generation   INTEGER NOT NULL,
  removed_at         TEXT,
  removed_generation INTEGER,
  removed_reason     TEXT,
  first_frame_id     INTEGER NOT NULL,
  frame_count        INTEGER NOT NULL CHECK (frame_count > 0),
  input_frame_count  INTEGER NOT NULL,
  CHECK ((removed_at IS NULL) = (removed_generation IS NULL))
);
INSERT INTO contents_v3 SELECT * FROM contents;
UPDATE sqlite_sequence SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'contents') WHERE name = 'contents_v3';
DROP TABLE contents;
ALTER TABLE contents_v3 RENAME TO contents;
CREATE UNIQUE INDEX contents_live_external_id ON contents(external_id)
  WHERE removed_at IS NULL AND external_id IS NOT NULL;
CREATE INDEX contents_external_id ON contents(external_id);
CREATE INDEX contents_removed_generation ON contents(removed_generation);
UPDATE meta SET value = '3' WHERE key = 'format';
PRAGMA user_version = 3;
COMMIT;)sql");
  EXPECT_EQ(db.column("PRAGMA user_version"), std::vector<std::string>{"3"});
  EXPECT_EQ(db.column("SELECT count(*) FROM sqlite_master WHERE name LIKE 'content_signal%'"),
            std::vector<std::string>{"0"});
}

void downgrade_to_format_2(const std::string& bank) {
  downgrade_to_format_3(bank);
  RawDb db(bank);
  db.exec(
      "BEGIN; ALTER TABLE frames DROP COLUMN signal; UPDATE meta SET value = '2' WHERE key = 'format'; "
      "PRAGMA user_version = 2; COMMIT;");
  EXPECT_EQ(db.column("SELECT name FROM pragma_table_info('frames') ORDER BY cid"),
            (std::vector<std::string>{"id", "content_id", "frame", "timestamp", "quality", "hash", "inside_bars_hash",
                                      "inside_bars_quality"}));
  EXPECT_EQ(db.column("PRAGMA user_version"), std::vector<std::string>{"2"});
}

void downgrade_to_format_1(const std::string& bank) {
  downgrade_to_format_2(bank);
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
  EXPECT_NE(bank->recovery_notes()[0].find("bank format 1 migrated in place to format 4"), std::string::npos)
      << bank->recovery_notes()[0];
  // The format-1 cache cannot hold inside-bars codes: rebuilt, not loaded.
  EXPECT_NE(bank->index_info().origin.find("rebuilt"), std::string::npos) << bank->index_info().origin;
  EXPECT_NE(bank->index_info().origin.find("format 1"), std::string::npos) << bank->index_info().origin;
  auto st = bank->stats();
  ASSERT_TRUE(st.is_ok());
  EXPECT_EQ(st->format_version, kBankFormatVersion);
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
  EXPECT_EQ(RawDb(dir.bank()).column("PRAGMA user_version"), std::vector<std::string>{"4"});
}

// A bank as the vhm before signals wrote it (format 2, frames with and without bars, a
// video and an image, its index cache): opened, migrated once, every frame 'pdq', and
// it matches as it did, through the frames as stored and through their inside-bars
// hashes, with the same cache.
TEST(BankFormat, AFormat2BankIsMigratedAndMatchesAsBefore) {
  TempBankDir dir;
  ASSERT_TRUE(Bank::create(dir.bank()).is_ok());
  std::mt19937_64 rng(202);
  auto frames = test::random_frames(60, rng);
  for (size_t i = 0; i < frames.size(); i += 3) {
    frames[i].has_cropped = true;
    frames[i].cropped = test::random_hash(rng);
    frames[i].cropped_quality = 70;
  }
  const auto image = test::random_frames(1, rng);
  const std::vector<Hash256> queries = {test::flip_bits(frames[9].hash, 5, rng),
                                        test::flip_bits(frames[12].cropped, 4, rng), image[0].hash};
  std::vector<BankHit> before;
  {
    auto bank = open_ok(dir.bank());
    ASSERT_TRUE(bank->add_content(meta("video"), frames).is_ok());
    ContentMeta m = meta("image");
    m.kind = ContentKind::kImage;
    ASSERT_TRUE(bank->add_content(m, image).is_ok());
    ASSERT_TRUE(bank->merge().is_ok());
    auto hits = bank->lookup(queries, 31);
    ASSERT_TRUE(hits.is_ok());
    before = *hits;
  }
  ASSERT_EQ(before.size(), 3u);
  downgrade_to_format_2(dir.bank());

  auto bank = open_ok(dir.bank());
  ASSERT_TRUE(bank);
  ASSERT_EQ(bank->recovery_notes().size(), 1u);
  EXPECT_NE(bank->recovery_notes()[0].find("bank format 2 migrated in place to format 4"), std::string::npos)
      << bank->recovery_notes()[0];
  EXPECT_EQ(bank->index_info().origin, "cache") << "the signal column changes nothing the cache holds";
  EXPECT_EQ(RawDb(dir.bank()).column("SELECT DISTINCT signal FROM frames"), std::vector<std::string>{"pdq"});
  auto hits = bank->lookup(queries, 31);
  ASSERT_TRUE(hits.is_ok()) << hits.status().to_string();
  EXPECT_EQ(*hits, before);
  EXPECT_EQ((*hits)[1].bank_variant, FrameVariant::kInsideBars);
  for (const BankHit& h : *hits) EXPECT_EQ(h.signal, SignalId::kPdq);
  auto img = bank->content(ContentRef::by_external_id("image"));
  ASSERT_TRUE(img.is_ok());
  EXPECT_EQ(img->meta.kind, ContentKind::kImage);
  auto report = bank->verify({.rebuild_index = true});
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  EXPECT_TRUE(report->ok()) << ::testing::PrintToString(report->problems);
  hits = bank->lookup(queries, 31);
  ASSERT_TRUE(hits.is_ok());
  EXPECT_EQ(*hits, before) << "rebuilt from the migrated rows";

  TempBankDir fresh;
  ASSERT_TRUE(Bank::create(fresh.bank()).is_ok());
  const std::string schema = "SELECT type || ' ' || name || ': ' || sql FROM sqlite_master ORDER BY type, name";
  EXPECT_EQ(RawDb(dir.bank()).column(schema), RawDb(fresh.bank()).column(schema));
}

// A frame stored under a signal this vhm does not know: verify counts it, and an index
// build refuses the bank as damaged rather than search it as PDQ.
// A bank as vhm wrote it before whole-content signals (format 3: a video, an image, a
// removed content, its cache): every row is kept through the contents rebuild, ids go
// on where they were, lookups answer as before, and a content with only an MD5 can now
// be added.
TEST(BankFormat, AFormat3BankKeepsEveryRowAndTakesSignals) {
  TempBankDir dir;
  ASSERT_TRUE(Bank::create(dir.bank()).is_ok());
  std::mt19937_64 rng(203);
  const auto frames = test::random_frames(30, rng);
  const auto image = test::random_frames(1, rng);
  std::vector<BankHit> before;
  {
    auto bank = open_ok(dir.bank());
    ASSERT_TRUE(bank->add_content(meta("video"), frames).is_ok());
    ContentMeta m = meta("image");
    m.kind = ContentKind::kImage;
    ASSERT_TRUE(bank->add_content(m, image).is_ok());
    ASSERT_TRUE(bank->add_content(meta("gone"), test::random_frames(5, rng)).is_ok());
    ASSERT_TRUE(bank->remove(ContentRef::by_external_id("gone"), "test").is_ok());
    ASSERT_TRUE(bank->merge().is_ok());
    before = bank->lookup(std::vector<Hash256>{frames[3].hash, image[0].hash}, 0).value();
  }
  ASSERT_EQ(before.size(), 2u);
  const std::string contents =
      "SELECT quote(id) || ' ' || quote(external_id) || ' ' || quote(label) || ' ' || "
      "quote(signal_type) || ' ' || quote(added_at) || ' ' || quote(removed_at) || ' ' || "
      "quote(removed_reason) || ' ' || first_frame_id || ' ' || frame_count || ' ' || "
      "input_frame_count || ' ' || added_generation || ' ' || "
      "quote(removed_generation) FROM contents ORDER BY id";
  const std::string frame_rows = "SELECT id || ' ' || content_id || ' ' || hex(hash) FROM frames ORDER BY id";
  downgrade_to_format_3(dir.bank());
  const auto contents_before = RawDb(dir.bank()).column(contents);
  const auto frames_before = RawDb(dir.bank()).column(frame_rows);
  ASSERT_EQ(contents_before.size(), 3u);

  auto bank = open_ok(dir.bank());
  ASSERT_TRUE(bank);
  ASSERT_EQ(bank->recovery_notes().size(), 1u);
  EXPECT_NE(bank->recovery_notes()[0].find("bank format 3 migrated in place to format 4"), std::string::npos)
      << bank->recovery_notes()[0];
  EXPECT_EQ(bank->index_info().origin, "cache") << "the frames and their checksum are as they were";
  EXPECT_EQ(RawDb(dir.bank()).column(contents), contents_before);
  EXPECT_EQ(RawDb(dir.bank()).column(frame_rows), frames_before);
  EXPECT_EQ(bank->lookup(std::vector<Hash256>{frames[3].hash, image[0].hash}, 0).value(), before);
  EXPECT_EQ(bank->content(ContentRef::by_external_id("gone"))->removed_reason, "test");

  // Whole-content signals now: an MD5 alone is a content (no frame), with the next id.
  NewContent md5_only;
  md5_only.meta = meta("md5-only");
  md5_only.signals.push_back({SignalId::kVideoMd5, std::vector<uint8_t>(16, 0xab)});
  auto added = bank->add_contents(std::span<const NewContent>(&md5_only, 1));
  ASSERT_TRUE(added.is_ok()) << added.status().to_string();
  EXPECT_EQ(added->front().id, 4) << "ids go on after the three contents";
  const std::vector<uint8_t> digest(16, 0xab);
  const SignalQuery q{SignalId::kVideoMd5, digest};
  auto hits = bank->lookup_signals(std::span<const SignalQuery>(&q, 1));
  ASSERT_TRUE(hits.is_ok()) << hits.status().to_string();
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ(hits->front().content_id, 4);
  auto report = bank->verify();
  ASSERT_TRUE(report.is_ok());
  EXPECT_TRUE(report->ok()) << ::testing::PrintToString(report->problems);

  TempBankDir fresh;
  ASSERT_TRUE(Bank::create(fresh.bank()).is_ok());
  const std::string schema = "SELECT type || ' ' || name || ': ' || sql FROM sqlite_master ORDER BY type, name";
  EXPECT_EQ(RawDb(dir.bank()).column(schema), RawDb(fresh.bank()).column(schema));
  EXPECT_EQ(RawDb(dir.bank()).column("PRAGMA foreign_key_check"), std::vector<std::string>{});
}

TEST(BankFormat, AFrameOfAnUnknownSignalIsDamage) {
  TempBankDir dir;
  ASSERT_TRUE(Bank::create(dir.bank()).is_ok());
  std::mt19937_64 rng(203);
  {
    auto bank = open_ok(dir.bank());
    ASSERT_TRUE(bank->add_content(meta("v"), test::random_frames(10, rng)).is_ok());
  }
  RawDb(dir.bank()).exec("UPDATE frames SET signal = 'tmk_pdqf' WHERE id = 3");
  fs::remove(dir.bank() + "/" + kBankIndexFile);
  fs::remove(dir.bank() + "/" + kBankIndexMetaFile);
  auto bank = Bank::open(dir.bank(), test::quiet_options());
  ASSERT_FALSE(bank.is_ok());
  EXPECT_EQ(bank.status().code(), StatusCode::kCorrupt) << bank.status().to_string();

  BankOptions lazy = test::quiet_options();
  lazy.load_index = false;
  auto opened = open_ok(dir.bank(), lazy);
  ASSERT_TRUE(opened);
  auto report = opened->verify();
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  EXPECT_FALSE(report->ok());
  bool named = false;
  for (const std::string& p : report->problems) named = named || p == "1 frames of a signal this vhm does not know";
  EXPECT_TRUE(named) << ::testing::PrintToString(report->problems);
}

TEST(BankFormat, ANewerFormatIsRefused) {
  TempBankDir dir;
  ASSERT_TRUE(Bank::create(dir.bank()).is_ok());
  RawDb(dir.bank()).exec("PRAGMA user_version = 5");
  auto bank = Bank::open(dir.bank(), test::quiet_options());
  ASSERT_FALSE(bank.is_ok());
  EXPECT_EQ(bank.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(bank.status().message().find("bank format 5 is newer than this vhm reads (formats 1..4)"),
            std::string::npos)
      << bank.status().to_string();
  EXPECT_EQ(bank.status().subject(), dir.bank());
  // Nothing was changed by the refusal.
  EXPECT_EQ(RawDb(dir.bank()).column("PRAGMA user_version"), std::vector<std::string>{"5"});
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
