// The BankStore contract (src/bank/bank_store.h), run against every store
// implementation: INSTANTIATE_TEST_SUITE_P below lists their factories (SQLite today; a
// PostgreSQL store joins the list with its own factory). Expected values are computed
// here from what the test adds, never copied from the code's output.
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "bank/bank_store.h"
#include "bank/bank_test_util.h"
#include "bank/hash_blob.h"
#include "bank/sqlite_store.h"
#include "core/tmk_features.h"

namespace vhm {
namespace {

using test::TempBankDir;

constexpr int64_t kFromStart = std::numeric_limits<int64_t>::min();

struct StoreFactory {
  std::string name;
  // Makes `dir` a new, empty bank.
  std::function<Status(const std::string& dir)> create;
  std::function<Result<std::unique_ptr<BankStore>>(const std::string& dir)> open;
  // The store keeps crash markers (pending adds) that a process killed mid-add leaves.
  bool has_crash_marker = false;
};

void PrintTo(const StoreFactory& f, std::ostream* os) { *os << f.name; }

StoreFactory sqlite_factory() {
  StoreFactory f;
  f.name = "Sqlite";
  f.create = [](const std::string& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    return SqliteBankStore::create(dir, "mih");
  };
  f.open = [](const std::string& dir) -> Result<std::unique_ptr<BankStore>> {
    auto s = SqliteBankStore::open(dir, {.busy_timeout_ms = 10000});
    if (!s) return s.status();
    return std::unique_ptr<BankStore>(std::move(s).value());
  };
  f.has_crash_marker = true;
  return f;
}

NewContent video(const std::string& external_id, std::vector<FrameHash> frames) {
  NewContent c;
  c.meta.external_id = external_id;
  c.meta.label = "label of " + external_id;
  c.meta.source = external_id + ".txt";
  c.meta.kind = ContentKind::kVideo;
  c.frames = std::move(frames);
  return c;
}

// Every other frame gets an inside-bars hash.
std::vector<FrameHash> frames_with_bars(size_t n, std::mt19937_64& rng) {
  auto frames = test::random_frames(n, rng);
  for (size_t i = 0; i < frames.size(); i += 2) {
    frames[i].has_cropped = true;
    frames[i].cropped = test::random_hash(rng);
    frames[i].cropped_quality = static_cast<int>(rng() % 101);
  }
  return frames;
}

void expect_same_frames(const std::vector<FrameHash>& want, const std::vector<FrameHash>& got) {
  ASSERT_EQ(want.size(), got.size());
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE("frame " + std::to_string(i));
    EXPECT_EQ(want[i].index, got[i].index);
    EXPECT_DOUBLE_EQ(want[i].pts_seconds, got[i].pts_seconds);
    EXPECT_EQ(want[i].quality, got[i].quality);
    EXPECT_EQ(want[i].hash, got[i].hash);
    EXPECT_EQ(want[i].has_cropped, got[i].has_cropped);
    if (want[i].has_cropped && got[i].has_cropped) {
      EXPECT_EQ(want[i].cropped, got[i].cropped);
      EXPECT_EQ(want[i].cropped_quality, got[i].cropped_quality);
    }
  }
}

class BankStoreTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override { ASSERT_TRUE(GetParam().create(dir_.bank()).is_ok()); }

  std::unique_ptr<BankStore> open_store() {
    auto s = GetParam().open(dir_.bank());
    EXPECT_TRUE(s.is_ok()) << s.status().to_string();
    return s ? std::move(s).value() : nullptr;
  }

  static std::unique_ptr<BankStoreReader> read(BankStore& store,
                                               BankStore::ReadKind kind = BankStore::ReadKind::kShort) {
    auto r = store.begin_read(kind);
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    return r ? std::move(r).value() : nullptr;
  }

  static std::vector<AddedContent> add_ok(BankStore& store, const std::vector<NewContent>& contents) {
    auto r = store.add_contents(contents, {});
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    if (!r) return {};
    EXPECT_EQ(r->outcome, AddOutcome::kAdded);
    return r->added;
  }

  static int64_t generation(BankStore& store) {
    auto r = read(store);
    auto g = r ? r->generation() : Result<int64_t>(Status(StatusCode::kInternal, "no reader"));
    EXPECT_TRUE(g.is_ok()) << g.status().to_string();
    return g ? *g : -1;
  }

  TempBankDir dir_;
};

TEST_P(BankStoreTest, AddedContentsAndFramesReadBack) {
  auto store = open_store();
  ASSERT_TRUE(store);
  std::mt19937_64 rng(1);
  std::vector<NewContent> contents = {video("a", frames_with_bars(37, rng)), video("b", test::random_frames(1, rng)),
                                      video("", frames_with_bars(300, rng))};
  contents[1].meta.kind = ContentKind::kImage;
  // Exact duplicates within a content are stored once, the first kept.
  contents[2].frames[10].hash = contents[2].frames[3].hash;
  contents[2].frames[11].hash = contents[2].frames[3].hash;
  const auto added = add_ok(*store, contents);
  ASSERT_EQ(added.size(), contents.size());

  auto r = read(*store);
  ASSERT_TRUE(r);
  int64_t next_first = 0;
  for (size_t i = 0; i < contents.size(); ++i) {
    SCOPED_TRACE("content " + std::to_string(i));
    const std::vector<FrameHash> want = test::dedup_frames(contents[i].frames);
    EXPECT_EQ(added[i].frames_stored, static_cast<int64_t>(want.size()));
    EXPECT_EQ(added[i].duplicates_dropped, static_cast<int64_t>(contents[i].frames.size() - want.size()));
    auto info = r->find_content(ContentRef::by_id(added[i].id));
    ASSERT_TRUE(info.is_ok()) << info.status().to_string();
    EXPECT_EQ(info->meta.external_id, contents[i].meta.external_id);
    EXPECT_EQ(info->meta.label, contents[i].meta.label);
    EXPECT_EQ(info->meta.source, contents[i].meta.source);
    EXPECT_EQ(info->meta.kind, contents[i].meta.kind);
    EXPECT_EQ(info->frame_count, static_cast<int64_t>(want.size()));
    EXPECT_EQ(info->input_frame_count, static_cast<int64_t>(contents[i].frames.size()));
    EXPECT_FALSE(info->removed());
    // One contiguous range per content, the next content's starting after it.
    if (i > 0) {
      EXPECT_EQ(info->first_frame_id, next_first);
    }
    next_first = info->first_frame_id + info->frame_count;
    std::vector<FrameHash> frames;
    ASSERT_TRUE(r->read_frames(*info, frames).is_ok());
    expect_same_frames(want, frames);
    if (!contents[i].meta.external_id.empty()) {
      auto by_ext = r->find_content(ContentRef::by_external_id(contents[i].meta.external_id));
      ASSERT_TRUE(by_ext.is_ok());
      EXPECT_EQ(by_ext->id, added[i].id);
    }
  }
  EXPECT_EQ(added[2].duplicates_dropped, 2);
  auto missing = r->find_content(ContentRef::by_id(added.back().id + 1));
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);

  // frame_code: a frame's own hash, its inside-bars hash where it has one.
  auto first = r->find_content(ContentRef::by_id(added[0].id));
  ASSERT_TRUE(first.is_ok());
  auto code = r->frame_code(first->first_frame_id, false);
  ASSERT_TRUE(code.is_ok());
  ASSERT_TRUE(code->has_value());
  EXPECT_EQ(**code, contents[0].frames[0].hash);
  auto bars = r->frame_code(first->first_frame_id, true);
  ASSERT_TRUE(bars.is_ok() && bars->has_value());
  EXPECT_EQ(**bars, contents[0].frames[0].cropped);
  auto no_bars = r->frame_code(first->first_frame_id + 1, true);  // frame 1 has none
  ASSERT_TRUE(no_bars.is_ok());
  EXPECT_FALSE(no_bars->has_value());
}

TEST_P(BankStoreTest, AnAddIsAllOrNothing) {
  auto store = open_store();
  ASSERT_TRUE(store);
  std::mt19937_64 rng(2);
  const auto first = add_ok(*store, {video("taken", test::random_frames(5, rng))});
  ASSERT_EQ(first.size(), 1u);
  const int64_t gen_before = generation(*store);
  // Two contents are written before the third is refused: none of the three stays.
  std::vector<NewContent> batch = {video("new-1", test::random_frames(50, rng)),
                                   video("new-2", test::random_frames(60, rng)),
                                   video("taken", test::random_frames(7, rng))};
  auto refused = store->add_contents(batch, {});
  ASSERT_TRUE(refused.is_ok()) << refused.status().to_string();
  EXPECT_EQ(refused->outcome, AddOutcome::kDuplicateExternalId);
  EXPECT_EQ(refused->position, 2u);
  EXPECT_EQ(refused->existing_content_id, first[0].id);
  EXPECT_TRUE(refused->added.empty());

  EXPECT_EQ(generation(*store), gen_before);
  auto r = read(*store);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->find_content(ContentRef::by_external_id("new-1")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(r->find_content(ContentRef::by_external_id("new-2")).status().code(), StatusCode::kNotFound);
  auto counts = r->counts();
  ASSERT_TRUE(counts.is_ok());
  EXPECT_EQ(counts->contents_live, 1);
  EXPECT_EQ(counts->frames_total, 5);
  auto rows = r->row_counts();
  ASSERT_TRUE(rows.is_ok());
  EXPECT_EQ(rows->frames, 5);
  auto pending = r->pending_add_count();
  ASSERT_TRUE(pending.is_ok());
  EXPECT_EQ(*pending, 0);  // a refused add leaves no crash marker behind
  r.reset();

  // The frame ids the refused add used are free again: the next content follows the first.
  const auto next = add_ok(*store, {video("new-1", test::random_frames(3, rng))});
  ASSERT_EQ(next.size(), 1u);
  r = read(*store);
  auto a = r->find_content(ContentRef::by_id(first[0].id));
  auto b = r->find_content(ContentRef::by_id(next[0].id));
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  EXPECT_EQ(b->first_frame_id, a->first_frame_id + 5);
}

TEST_P(BankStoreTest, GenerationsIncreaseWithEveryCommitAndStampItsRows) {
  auto store = open_store();
  ASSERT_TRUE(store);
  std::mt19937_64 rng(3);
  const int64_t g0 = generation(*store);
  const auto a = add_ok(*store, {video("g1", test::random_frames(4, rng)), video("g2", test::random_frames(4, rng))});
  ASSERT_EQ(a.size(), 2u);
  const int64_t g1 = generation(*store);
  EXPECT_EQ(g1, g0 + 1);  // one add, one generation, however many contents
  const auto b = add_ok(*store, {video("g3", test::random_frames(4, rng))});
  ASSERT_EQ(b.size(), 1u);
  const int64_t g2 = generation(*store);
  EXPECT_EQ(g2, g1 + 1);
  auto removed = store->remove(ContentRef::by_id(a[1].id), "test");
  ASSERT_TRUE(removed.is_ok());
  const int64_t g3 = generation(*store);
  EXPECT_EQ(g3, g2 + 1);
  EXPECT_EQ(removed->content.removed_generation, g3);
  // Removing a tombstone changes nothing.
  auto again = store->remove(ContentRef::by_id(a[1].id), "again");
  ASSERT_TRUE(again.is_ok());
  EXPECT_TRUE(again->already_removed);
  EXPECT_EQ(generation(*store), g3);

  auto r = read(*store);
  ASSERT_TRUE(r);
  auto c1 = r->find_content(ContentRef::by_id(a[0].id));
  auto c3 = r->find_content(ContentRef::by_id(b[0].id));
  auto c2 = r->find_content(ContentRef::by_id(a[1].id));
  ASSERT_TRUE(c1.is_ok() && c2.is_ok() && c3.is_ok());
  EXPECT_EQ(c1->added_generation, g1);
  EXPECT_EQ(c2->added_generation, g1);
  EXPECT_EQ(c3->added_generation, g2);
  EXPECT_EQ(c2->removed_generation, g3);
  EXPECT_EQ(c2->removed_reason, "test");
  auto after_g2 = r->removed_after(g2);
  ASSERT_TRUE(after_g2.is_ok());
  EXPECT_EQ(*after_g2, std::vector<int64_t>{a[1].id});
  auto after_g3 = r->removed_after(g3);
  ASSERT_TRUE(after_g3.is_ok());
  EXPECT_TRUE(after_g3->empty());
}

TEST_P(BankStoreTest, TombstonesKeepTheRowsAndFreeTheExternalId) {
  auto store = open_store();
  ASSERT_TRUE(store);
  std::mt19937_64 rng(4);
  const auto frames = test::random_frames(6, rng);
  const auto first = add_ok(*store, {video("te:1", frames), video("te:2", test::random_frames(2, rng))});
  ASSERT_EQ(first.size(), 2u);
  auto removed = store->remove(ContentRef::by_external_id("te:1"), "consent withdrawn");
  ASSERT_TRUE(removed.is_ok()) << removed.status().to_string();
  EXPECT_FALSE(removed->already_removed);
  EXPECT_EQ(removed->content.id, first[0].id);
  EXPECT_TRUE(removed->content.removed());
  EXPECT_EQ(store->remove(ContentRef::by_external_id("nobody"), "").status().code(), StatusCode::kNotFound);

  {
    auto r = read(*store);
    ASSERT_TRUE(r);
    auto c = r->find_content(ContentRef::by_id(first[0].id));
    ASSERT_TRUE(c.is_ok());
    EXPECT_TRUE(c->removed());
    EXPECT_EQ(c->removed_reason, "consent withdrawn");
    std::vector<FrameHash> kept;
    ASSERT_TRUE(r->read_frames(*c, kept).is_ok());  // rows stay for audit
    expect_same_frames(frames, kept);
    auto counts = r->counts();
    ASSERT_TRUE(counts.is_ok());
    EXPECT_EQ(counts->contents_live, 1);
    EXPECT_EQ(counts->contents_removed, 1);
    EXPECT_EQ(counts->frames_live, 2);
    EXPECT_EQ(counts->frames_total, 8);
    std::vector<int64_t> live;
    ASSERT_TRUE(r->for_each_content(false, [&](const ContentInfo& ci, std::span<const FrameHash>) {
                   live.push_back(ci.id);
                   return Status::ok();
                 }).is_ok());
    EXPECT_EQ(live, std::vector<int64_t>{first[1].id});
  }
  // The external id is free for a new content; looking it up finds the live one.
  const auto second = add_ok(*store, {video("te:1", test::random_frames(3, rng))});
  ASSERT_EQ(second.size(), 1u);
  auto r = read(*store);
  auto c = r->find_content(ContentRef::by_external_id("te:1"));
  ASSERT_TRUE(c.is_ok());
  EXPECT_EQ(c->id, second[0].id);
  EXPECT_FALSE(c->removed());
}

TEST_P(BankStoreTest, ExternalIdsAreUniqueAmongLiveContents) {
  auto store = open_store();
  ASSERT_TRUE(store);
  std::mt19937_64 rng(5);
  const auto first = add_ok(*store, {video("dup", test::random_frames(2, rng))});
  ASSERT_EQ(first.size(), 1u);
  auto again = store->add_contents(std::vector<NewContent>{video("dup", test::random_frames(2, rng))}, {});
  ASSERT_TRUE(again.is_ok());
  EXPECT_EQ(again->outcome, AddOutcome::kDuplicateExternalId);
  EXPECT_EQ(again->position, 0u);
  EXPECT_EQ(again->existing_content_id, first[0].id);
  // No external id is no constraint: two contents without one are both added.
  const auto anonymous =
      add_ok(*store, {video("", test::random_frames(2, rng)), video("", test::random_frames(2, rng))});
  EXPECT_EQ(anonymous.size(), 2u);
}

TEST_P(BankStoreTest, AnotherStoreOnTheSameBankSeesANewDataVersion) {
  auto writer = open_store();
  auto looker = open_store();
  ASSERT_TRUE(writer && looker);
  std::mt19937_64 rng(6);
  auto v0 = looker->data_version();
  ASSERT_TRUE(v0.is_ok());
  auto still = looker->data_version();
  ASSERT_TRUE(still.is_ok());
  EXPECT_EQ(*still, *v0);  // nothing committed: no change

  const auto added = add_ok(*writer, {video("seen", test::random_frames(9, rng))});
  ASSERT_EQ(added.size(), 1u);
  auto v1 = looker->data_version();
  ASSERT_TRUE(v1.is_ok());
  EXPECT_NE(*v1, *v0);
  {
    auto r = read(*looker);
    ASSERT_TRUE(r);
    auto c = r->find_content(ContentRef::by_external_id("seen"));
    ASSERT_TRUE(c.is_ok()) << c.status().to_string();
    EXPECT_EQ(c->id, added[0].id);
  }
  auto v1_again = looker->data_version();
  ASSERT_TRUE(v1_again.is_ok());
  EXPECT_EQ(*v1_again, *v1);

  ASSERT_TRUE(writer->remove(ContentRef::by_id(added[0].id), "gone").is_ok());
  auto v2 = looker->data_version();
  ASSERT_TRUE(v2.is_ok());
  EXPECT_NE(*v2, *v1);
}

TEST_P(BankStoreTest, AReaderIsOneSnapshot) {
  auto store = open_store();
  auto other = open_store();
  ASSERT_TRUE(store && other);
  std::mt19937_64 rng(7);
  ASSERT_EQ(add_ok(*store, {video("before", test::random_frames(4, rng))}).size(), 1u);
  auto r = read(*store, BankStore::ReadKind::kLong);
  ASSERT_TRUE(r);
  auto g = r->generation();  // the first read fixes the view
  ASSERT_TRUE(g.is_ok());
  ASSERT_EQ(add_ok(*other, {video("after", test::random_frames(4, rng))}).size(), 1u);
  auto g_again = r->generation();
  ASSERT_TRUE(g_again.is_ok());
  EXPECT_EQ(*g_again, *g);
  EXPECT_EQ(r->find_content(ContentRef::by_external_id("after")).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(r->finish().is_ok());
  EXPECT_EQ(generation(*store), *g + 1);
}

TEST_P(BankStoreTest, SnapshotScansReturnEveryFrameOnceInBatches) {
  auto store = open_store();
  ASSERT_TRUE(store);
  std::mt19937_64 rng(8);
  std::vector<NewContent> contents;
  for (size_t n : {1u, 97u, 1000u, 4099u, 3u}) contents.push_back(video("", frames_with_bars(n, rng)));
  const auto added = add_ok(*store, contents);
  ASSERT_EQ(added.size(), contents.size());
  ASSERT_TRUE(store->remove(ContentRef::by_id(added[2].id), "").is_ok());

  // What the rows must be, from what was added: id -> (content, hash, inside-bars hash).
  auto r = read(*store, BankStore::ReadKind::kLong);
  ASSERT_TRUE(r);
  struct Want {
    int64_t content;
    Hash256 hash;
    bool has_bars;
    Hash256 bars;
  };
  std::map<int64_t, Want> want;
  FramesChecksum all;
  std::set<int64_t> live_ids;
  for (size_t i = 0; i < added.size(); ++i) {
    auto c = r->find_content(ContentRef::by_id(added[i].id));
    ASSERT_TRUE(c.is_ok());
    const auto kept = test::dedup_frames(contents[i].frames);
    for (size_t k = 0; k < kept.size(); ++k) {
      const int64_t id = c->first_frame_id + static_cast<int64_t>(k);
      want[id] = {added[i].id, kept[k].hash, kept[k].has_cropped, kept[k].cropped};
      const auto blob = hash_to_blob(kept[k].hash);
      const auto bars = hash_to_blob(kept[k].cropped);
      all.add_row(id, blob, kept[k].has_cropped ? std::span<const uint8_t>(bars) : std::span<const uint8_t>());
      if (i != 2) live_ids.insert(id);
    }
  }
  std::set<int64_t> removed_contents;
  ASSERT_TRUE(r->for_each_content_span(kFromStart, [&](const ContentSpanRow& s) {
                 if (s.removed) removed_contents.insert(s.content_id);
                 return Status::ok();
               }).is_ok());
  EXPECT_EQ(removed_contents, std::set<int64_t>{added[2].id});

  for (size_t batch : {size_t{1}, size_t{97}, size_t{4096}, size_t{100000}}) {
    SCOPED_TRACE("batch " + std::to_string(batch));
    std::vector<int64_t> seen;
    std::set<int64_t> live_seen;
    std::vector<size_t> sizes;
    ASSERT_TRUE(r->scan_frames(kFromStart, batch, [&](std::span<const FrameCodesRow> rows) {
                   sizes.push_back(rows.size());
                   for (const FrameCodesRow& row : rows) {
                     seen.push_back(row.id);
                     const auto it = want.find(row.id);
                     if (it == want.end()) {
                       ADD_FAILURE() << "frame " << row.id << " was never added";
                       continue;
                     }
                     EXPECT_EQ(row.content_id, it->second.content);
                     EXPECT_EQ(row.signal, SignalId::kPdq) << "frame " << row.id;
                     Hash256 h;
                     EXPECT_TRUE(hash_from_blob(row.hash, h) && h == it->second.hash) << "frame " << row.id;
                     EXPECT_EQ(row.has_inside_bars, it->second.has_bars);
                     if (row.has_inside_bars) {
                       EXPECT_TRUE(hash_from_blob(row.inside_bars, h) && h == it->second.bars) << "frame " << row.id;
                     }
                     if (!removed_contents.count(row.content_id)) live_seen.insert(row.id);
                   }
                   return Status::ok();
                 }).is_ok());
    ASSERT_EQ(seen.size(), want.size());
    EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
    EXPECT_EQ(std::set<int64_t>(seen.begin(), seen.end()).size(), seen.size());  // each once
    EXPECT_EQ(live_seen, live_ids);
    for (size_t k = 0; k + 1 < sizes.size(); ++k) EXPECT_EQ(sizes[k], batch);
    ASSERT_FALSE(sizes.empty());
    EXPECT_GE(sizes.back(), 1u);
    EXPECT_LE(sizes.back(), batch);
  }
  // A scan from a frame id on returns exactly the rows after it.
  const int64_t middle = std::next(want.begin(), static_cast<long>(want.size() / 2))->first;
  size_t after = 0;
  ASSERT_TRUE(r->scan_frames(middle, 512, [&](std::span<const FrameCodesRow> rows) {
                 for (const FrameCodesRow& row : rows) {
                   EXPECT_GT(row.id, middle);
                   ++after;
                 }
                 return Status::ok();
               }).is_ok());
  EXPECT_EQ(after, static_cast<size_t>(std::distance(want.upper_bound(middle), want.end())));
  // The callback's error stops the scan and comes back.
  int calls = 0;
  Status stopped = r->scan_frames(kFromStart, 10, [&](std::span<const FrameCodesRow>) {
    ++calls;
    return Status(StatusCode::kUnavailable, "stop");
  });
  EXPECT_EQ(stopped.code(), StatusCode::kUnavailable);
  EXPECT_EQ(calls, 1);

  // The frames checksum the store records is the one of these rows.
  auto gen = r->generation();
  ASSERT_TRUE(gen.is_ok());
  auto recorded = r->recorded_frames_checksum(*gen);
  ASSERT_TRUE(recorded.is_ok());
  ASSERT_TRUE(recorded->has_value());
  EXPECT_EQ(**recorded, all);
  auto sum = r->checksum_frames_after(kFromStart);
  ASSERT_TRUE(sum.is_ok());
  EXPECT_EQ(*sum, all);
}

TEST_P(BankStoreTest, AnAddInFlightLeavesACrashMarkerThatACrashKeeps) {
  if (!GetParam().has_crash_marker) GTEST_SKIP() << GetParam().name << " keeps no crash markers";
  std::mt19937_64 rng(9);
  const std::vector<NewContent> batch = {video("crash-1", test::random_frames(10, rng)),
                                         video("crash-2", test::random_frames(20, rng))};
  {
    // In flight: another store sees the marker, and does not take it for a crash.
    auto store = open_store();
    auto other = open_store();
    ASSERT_TRUE(store && other);
    int64_t seen_pending = -1;
    bool recovery_checked = true;
    auto r = store->add_contents(batch, [&](int64_t) {
      if (seen_pending >= 0) return;
      auto reader = read(*other);
      auto n = reader ? reader->pending_add_count() : Result<int64_t>(-1);
      seen_pending = n ? *n : -1;
      reader.reset();
      auto rec = other->recover_interrupted_adds();
      recovery_checked = rec.is_ok() ? rec->checked : true;
    });
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_EQ(seen_pending, 1);
    EXPECT_FALSE(recovery_checked);
    auto reader = read(*other);
    auto n = reader->pending_add_count();
    ASSERT_TRUE(n.is_ok());
    EXPECT_EQ(*n, 0);  // committed: the marker went with the commit
    ASSERT_TRUE(store->remove(ContentRef::by_external_id("crash-1"), "").is_ok());
    ASSERT_TRUE(store->remove(ContentRef::by_external_id("crash-2"), "").is_ok());
  }
  // A process that dies mid-add (no store is open across the fork).
  const int64_t gen_before = [&] {
    auto s = open_store();
    return s ? generation(*s) : -1;
  }();
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto s = GetParam().open(dir_.bank());
    if (!s) ::_exit(10);
    (void)(*s)->add_contents(batch, [](int64_t) { ::_exit(0); });  // dies after its first content's rows
    ::_exit(11);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);

  auto store = open_store();
  ASSERT_TRUE(store);
  {
    auto r = read(*store);
    auto pending = r->pending_add_count();
    ASSERT_TRUE(pending.is_ok());
    EXPECT_EQ(*pending, 1);
  }
  auto recovered = store->recover_interrupted_adds();
  ASSERT_TRUE(recovered.is_ok()) << recovered.status().to_string();
  EXPECT_TRUE(recovered->checked);
  ASSERT_EQ(recovered->interrupted.size(), 1u);
  const InterruptedAdd& a = recovered->interrupted[0];
  EXPECT_EQ(a.pid, static_cast<int64_t>(child));
  EXPECT_EQ(a.contents, 2);
  EXPECT_EQ(a.frames, 30);
  EXPECT_NE(a.description.find("crash-1"), std::string::npos) << a.description;
  EXPECT_TRUE(recovered->storage.ok) << recovered->storage.verdict;
  // None of it is in the store, and the marker is gone.
  EXPECT_EQ(generation(*store), gen_before);
  auto r = read(*store);
  auto crashed = r->find_content(ContentRef::by_external_id("crash-1"));
  ASSERT_TRUE(crashed.is_ok());
  EXPECT_TRUE(crashed->removed());  // the first add's content, not the crashed one's
  auto counts = r->counts();
  ASSERT_TRUE(counts.is_ok());
  EXPECT_EQ(counts->contents_live, 0);
  EXPECT_EQ(counts->contents_removed, 2);
  auto rows = r->row_counts();
  ASSERT_TRUE(rows.is_ok());
  EXPECT_EQ(rows->frames, 30);  // the first add's rows only (tombstoned)
  auto pending = r->pending_add_count();
  ASSERT_TRUE(pending.is_ok());
  EXPECT_EQ(*pending, 0);
  r.reset();
  auto again = store->recover_interrupted_adds();
  ASSERT_TRUE(again.is_ok());
  EXPECT_TRUE(again->interrupted.empty());
}

TEST_P(BankStoreTest, InvariantsOfAFreshBankHoldAndProbeReadsCoverTheFrames) {
  auto store = open_store();
  ASSERT_TRUE(store);
  std::mt19937_64 rng(10);
  const auto added = add_ok(*store, {video("p1", frames_with_bars(40, rng)), video("p2", frames_with_bars(21, rng))});
  ASSERT_EQ(added.size(), 2u);
  ASSERT_TRUE(store->remove(ContentRef::by_id(added[1].id), "").is_ok());
  auto r = read(*store, BankStore::ReadKind::kLong);
  ASSERT_TRUE(r);
  auto storage = r->check_storage();
  ASSERT_TRUE(storage.is_ok());
  EXPECT_TRUE(storage->ok) << storage->verdict;
  auto gen = r->generation();
  ASSERT_TRUE(gen.is_ok());
  auto v = r->invariant_violations(*gen);
  ASSERT_TRUE(v.is_ok());
  EXPECT_EQ(v->frames_outside_ranges + v->contents_miscounted + v->malformed_frames + v->malformed_inside_bars +
                v->duplicate_hashes + v->image_not_one_frame + v->frames_of_unknown_signal + v->from_later_generation +
                v->overlapping_ranges,
            0);
  auto rows = r->row_counts();
  ASSERT_TRUE(rows.is_ok());
  EXPECT_EQ(rows->contents, 2);
  EXPECT_EQ(rows->frames, 61);
  EXPECT_EQ(rows->frames_inside_bars, 20 + 11);  // every other frame
  // Spacing 1: every frame, each with its content's removal.
  int64_t frames = 0, removed = 0;
  ASSERT_TRUE(r->for_each_probe_frame(1, [&](const FrameCodesRow& row) {
                 ++frames;
                 removed += row.content_removed;
                 EXPECT_EQ(row.content_removed, row.content_id == added[1].id);
                 return Status::ok();
               }).is_ok());
  EXPECT_EQ(frames, 61);
  EXPECT_EQ(removed, 21);
  // Spacing 7: frame ids 1, 8, 15, ... (the bank's first frame id is 1).
  int64_t spaced = 0;
  ASSERT_TRUE(r->for_each_probe_frame(7, [&](const FrameCodesRow& row) {
                 EXPECT_EQ((row.id - 1) % 7, 0);
                 ++spaced;
                 return Status::ok();
               }).is_ok());
  EXPECT_EQ(spaced, (61 + 6) / 7);
  int64_t barred = 0;
  ASSERT_TRUE(r->for_each_inside_bars_frame([&](const FrameCodesRow& row) {
                 EXPECT_TRUE(row.has_inside_bars);
                 EXPECT_EQ(row.inside_bars.size(), 32u);
                 ++barred;
                 return Status::ok();
               }).is_ok());
  EXPECT_EQ(barred, 31);
}

// Whole-content signals: stored with their content in its transaction (a content may
// have no frame), duplicates once, digests found by value among live contents only,
// TMK values with their first-cut vector (the pure average) read without the file, a
// removed content's values no longer live, and the invariants hold.
TEST_P(BankStoreTest, WholeContentSignalsAreStoredFoundAndTombstoned) {
  auto store = open_store();
  std::mt19937_64 rng(44);
  TmkFeatures tmk = TmkFeatures::make_empty_pdqf();
  for (size_t k = 0; k < tmk.pure_average.size(); ++k) tmk.pure_average[k] = static_cast<float>(k) * 0.5f;
  const std::vector<uint8_t> tmk_bytes = serialize_tmk(tmk);
  const std::vector<uint8_t> md5(16, 0x11), sha(32, 0x22);
  NewContent a = video("a", test::random_frames(4, rng));
  a.signals = {{SignalId::kVideoMd5, md5}, {SignalId::kTmk, tmk_bytes}, {SignalId::kVideoMd5, md5}};
  NewContent b = video("b", {});
  b.signals = {{SignalId::kVideoSha256, sha}, {SignalId::kVideoMd5, md5}};
  const auto added = add_ok(*store, {a, b});
  ASSERT_EQ(added.size(), 2u);
  EXPECT_EQ(added[1].frames_stored, 0);
  const int64_t gen = generation(*store);  // before the reader below holds the short connection
  {
    auto r = read(*store);
    std::vector<ContentSignal> got;
    ASSERT_TRUE(r->read_content_signals(added[0].id, got).is_ok());
    EXPECT_EQ(got, (std::vector<ContentSignal>{{SignalId::kVideoMd5, md5}, {SignalId::kTmk, tmk_bytes}}));
    EXPECT_EQ(r->contents_with_digest(SignalId::kVideoMd5, md5).value(),
              (std::vector<int64_t>{added[0].id, added[1].id}));
    EXPECT_EQ(r->contents_with_digest(SignalId::kVideoSha256, sha).value(), std::vector<int64_t>{added[1].id});
    EXPECT_TRUE(r->contents_with_digest(SignalId::kVideoSha256, std::vector<uint8_t>(32, 0x23))->empty());
    std::vector<SignalVectorRow> rows;
    std::vector<std::vector<uint8_t>> vectors;
    ASSERT_TRUE(r->scan_signal_vectors(SignalId::kTmk, kFromStart, [&](const SignalVectorRow& row) {
                   rows.push_back(row);
                   vectors.emplace_back(row.vector.begin(), row.vector.end());
                   return Status::ok();
                 }).is_ok());
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].content_id, added[0].id);
    ASSERT_EQ(vectors[0].size(), 256 * sizeof(float));
    float v100;
    std::memcpy(&v100, vectors[0].data() + 100 * sizeof(float), sizeof v100);
    EXPECT_EQ(v100, 50.0f) << "the pure average, as stored";
    auto value = r->live_signal_value(rows[0].signal_row);
    ASSERT_TRUE(value.is_ok());
    ASSERT_TRUE(value->has_value());
    EXPECT_EQ((*value)->value, tmk_bytes);
    auto counts = r->counts();
    ASSERT_TRUE(counts.is_ok());
    EXPECT_EQ(counts->contents_without_frames, 1);
    ASSERT_EQ(counts->signals.size(), 3u);
    EXPECT_EQ(counts->signals[0].signal, SignalId::kVideoMd5);
    EXPECT_EQ(counts->signals[0].contents, 2);
    auto v = r->signal_violations();
    ASSERT_TRUE(v.is_ok());
    EXPECT_EQ(v->values_checked, 4);
    EXPECT_EQ(v->of_missing_contents + v->of_unknown_signal + v->malformed_digests + v->malformed_values +
                  v->vectors_not_matching + v->duplicate_values + v->videos_without_hashes,
              0);
    auto inv = r->invariant_violations(gen);
    ASSERT_TRUE(inv.is_ok());
    EXPECT_EQ(inv->overlapping_ranges + inv->contents_miscounted + inv->frames_outside_ranges, 0)
        << "an empty frame range is no overlap";
  }
  ASSERT_TRUE(store->remove(ContentRef::by_external_id("a"), "gone").is_ok());
  auto r = read(*store);
  EXPECT_EQ(r->contents_with_digest(SignalId::kVideoMd5, md5).value(), std::vector<int64_t>{added[1].id});
  int64_t row = 0;
  ASSERT_TRUE(r->scan_signal_vectors(SignalId::kTmk, kFromStart, [&](const SignalVectorRow& v) {
                 EXPECT_TRUE(v.content_removed);
                 row = v.signal_row;
                 return Status::ok();
               }).is_ok());
  EXPECT_FALSE(r->live_signal_value(row)->has_value()) << "a removed content's value is not live";
  std::vector<ContentSignal> kept;
  ASSERT_TRUE(r->read_content_signals(added[0].id, kept).is_ok());
  EXPECT_EQ(kept.size(), 2u) << "the rows stay for audit";
}

INSTANTIATE_TEST_SUITE_P(Stores, BankStoreTest, ::testing::Values(sqlite_factory()),
                         [](const ::testing::TestParamInfo<StoreFactory>& info) { return info.param.name; });

}  // namespace
}  // namespace vhm
