// Bank: persistence, dedup, lookups against a brute-force twin, removal seen by the
// very next lookup (same and other Bank objects), adds while another Bank looks up,
// a kill -9 in the middle of an add, a corrupt or stale index cache.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "bank/bank.h"
#include "bank/bank_test_util.h"
#include "bank/importers.h"
#include "hash/vpdq_format.h"
#include "support/test_support.h"

namespace vhm {
namespace {

namespace fs = std::filesystem;
using test::TempBankDir;

using test::open_ok;

ContentMeta meta(const std::string& external_id, ContentKind type = ContentKind::kVideo) {
  ContentMeta m;
  m.external_id = external_id;
  m.label = "label-" + external_id;
  m.source = "test:" + external_id;
  m.kind = type;
  return m;
}

// Every (query, content, frame) within d, by brute force over what was added.
struct Twin {
  struct Frame {
    int64_t content;
    int64_t frame_id;
    Hash256 hash;
  };
  std::vector<Frame> frames;
  std::set<int64_t> removed;
  void add(int64_t content, const AddedContent&, const std::vector<FrameHash>& stored, int64_t first_frame_id) {
    for (size_t i = 0; i < stored.size(); ++i)
      frames.push_back({content, first_frame_id + static_cast<int64_t>(i), stored[i].hash});
  }
  std::vector<BankHit> lookup(std::span<const Hash256> queries, int d) const {
    std::vector<BankHit> hits;
    for (uint32_t q = 0; q < queries.size(); ++q)
      for (const Frame& f : frames) {
        if (removed.count(f.content)) continue;
        const int dist = queries[q].hamming(f.hash);
        if (dist <= d) hits.push_back({q, dist, f.content, f.frame_id, 0});
      }
    std::sort(hits.begin(), hits.end(), [](const BankHit& a, const BankHit& b) {
      return std::tie(a.query, a.content_id, a.frame_id) < std::tie(b.query, b.content_id, b.frame_id);
    });
    return hits;
  }
};

std::vector<BankHit> without_ordinals(std::vector<BankHit> hits) {
  for (auto& h : hits) h.frame_ordinal = 0;
  return hits;
}

TEST(Bank, CreateOpenAndRefuseTwice) {
  TempBankDir dir;
  ASSERT_TRUE(Bank::create(dir.bank()).is_ok());
  const Status again = Bank::create(dir.bank());
  EXPECT_FALSE(again.is_ok());
  EXPECT_NE(again.message().find("already exists"), std::string::npos) << again.to_string();
  auto bank = open_ok(dir.bank());
  ASSERT_TRUE(bank);
  auto st = bank->stats();
  ASSERT_TRUE(st.is_ok()) << st.status().to_string();
  EXPECT_EQ(st->contents_live, 0);
  EXPECT_EQ(st->generation, 0);
  EXPECT_EQ(st->format_version, kBankFormatVersion);
  std::mt19937_64 rng(1);
  const Hash256 q = test::random_hash(rng);
  auto hits = bank->lookup(std::span<const Hash256>(&q, 1), 31);
  ASSERT_TRUE(hits.is_ok()) << hits.status().to_string();
  EXPECT_TRUE(hits->empty());

  auto missing = Bank::open(dir.file("nowhere"));
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  auto not_bank = Bank::open(dir.str());
  EXPECT_EQ(not_bank.status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(Bank::create(dir.file("other"), BankCreateOptions{"no-such-index"}).is_ok());
}

TEST(Bank, VpdqRoundTripPersistsAcrossReopen) {
  VHM_REQUIRE_CORPUS(corpus);
  TempBankDir dir;
  ASSERT_TRUE(Bank::create(dir.bank()).is_ok());
  std::map<std::string, std::vector<FrameHash>> expected;  // external id -> deduped input
  {
    auto bank = open_ok(dir.bank());
    for (const std::string& file : test::vpdq_reference_files(corpus)) {
      auto frames = read_vpdq_file(file);
      ASSERT_TRUE(frames.is_ok()) << frames.status().to_string();
      const std::string name = fs::path(file).stem().string();
      auto added = bank->add_content(meta(name), *frames);
      ASSERT_TRUE(added.is_ok()) << added.status().to_string();
      expected[name] = test::dedup_frames(*frames);
      EXPECT_EQ(added->frames_stored, static_cast<int64_t>(expected[name].size()));
      EXPECT_EQ(added->duplicates_dropped, static_cast<int64_t>(frames->size() - expected[name].size()));
    }
  }
  auto bank = open_ok(dir.bank());
  size_t seen = 0;
  Status st = bank->for_each_content(false, [&](const ContentInfo& c, std::span<const FrameHash> frames) {
    ++seen;
    const auto it = expected.find(c.meta.external_id);
    EXPECT_NE(it, expected.end()) << c.meta.external_id;
    if (it == expected.end()) return Status::ok();
    EXPECT_EQ(c.meta.label, "label-" + c.meta.external_id);
    EXPECT_EQ(c.meta.kind, ContentKind::kVideo);
    EXPECT_FALSE(c.added_at.empty());
    // Export equals the input modulo dedup, byte for byte in the reference format.
    EXPECT_EQ(format_vpdq(frames), format_vpdq(it->second)) << c.meta.external_id;
    auto direct = bank->content_frames(c.id);
    EXPECT_TRUE(direct.is_ok());
    if (direct) {
      EXPECT_EQ(*direct, it->second);
    }
    return Status::ok();
  });
  ASSERT_TRUE(st.is_ok()) << st.to_string();
  EXPECT_EQ(seen, expected.size());
  auto report = bank->verify();
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  EXPECT_TRUE(report->ok()) << ::testing::PrintToString(report->problems);
  EXPECT_GT(report->frames_probed, 0);
}

TEST(Bank, ExactDuplicateFramesStoredOncePerContent) {
  TempBankDir dir;
  ASSERT_TRUE(Bank::create(dir.bank()).is_ok());
  auto bank = open_ok(dir.bank());
  std::mt19937_64 rng(7);
  auto frames = test::random_frames(10, rng);
  frames[3].hash = frames[1].hash;  // repeats, as a still scene gives
  frames[7].hash = frames[1].hash;
  frames[9].hash = frames[8].hash;
  auto a = bank->add_content(meta("a"), frames);
  ASSERT_TRUE(a.is_ok()) << a.status().to_string();
  EXPECT_EQ(a->frames_stored, 7);
  EXPECT_EQ(a->duplicates_dropped, 3);
  // Another content with the same hashes keeps its own copy: dedup is per content.
  auto b = bank->add_content(meta("b"), frames);
  ASSERT_TRUE(b.is_ok());
  EXPECT_EQ(b->frames_stored, 7);
  auto stored = bank->content_frames(a->id);
  ASSERT_TRUE(stored.is_ok());
  EXPECT_EQ(*stored, test::dedup_frames(frames));
  EXPECT_EQ((*stored)[3].index, 4);  // the first of each hash kept, in order
  auto info = bank->content(a->id);
  ASSERT_TRUE(info.is_ok());
  EXPECT_EQ(info->frame_count, 7);
  EXPECT_EQ(info->input_frame_count, 10);
  auto hits = bank->lookup(std::span<const Hash256>(&frames[1].hash, 1), 0);
  ASSERT_TRUE(hits.is_ok());
  ASSERT_EQ(hits->size(), 2u);  // one frame per content
  EXPECT_EQ((*hits)[0].content_id, a->id);
  EXPECT_EQ((*hits)[1].content_id, b->id);
  EXPECT_EQ((*hits)[0].frame_ordinal, 1);
}

TEST(Bank, LookupEqualsBruteForceAcrossMainAndDelta) {
  TempBankDir dir;
  ASSERT_TRUE(Bank::create(dir.bank()).is_ok());
  std::mt19937_64 rng(42);
  Twin twin;
  std::vector<Hash256> queries;
  auto add_some = [&](Bank& bank, int n, const std::string& prefix) {
    for (int i = 0; i < n; ++i) {
      auto frames = test::random_frames(1 + rng() % 50, rng);
      const auto stored = test::dedup_frames(frames);
      auto added = bank.add_content(meta(prefix + std::to_string(i)), frames);
      ASSERT_TRUE(added.is_ok()) << added.status().to_string();
      auto info = bank.content(added->id);
      ASSERT_TRUE(info.is_ok());
      twin.add(added->id, *added, stored, info->first_frame_id);
      for (int k = 0; k < 3; ++k)
        queries.push_back(test::flip_bits(stored[rng() % stored.size()].hash, static_cast<int>(rng() % 40), rng));
    }
  };
  {
    auto bank = open_ok(dir.bank());
    add_some(*bank, 30, "main-");  // these end up in the saved cache at the next open's rebuild
  }
  auto bank = open_ok(dir.bank());  // rebuilt main (no cache yet after adds? cache from first open is stale)
  add_some(*bank, 20, "delta-");    // these go to the delta
  for (int i = 0; i < 20; ++i) queries.push_back(test::random_hash(rng));
  for (int d : {0, 10, 31, 45}) {
    auto hits = bank->lookup(queries, d);
    ASSERT_TRUE(hits.is_ok()) << hits.status().to_string();
    EXPECT_EQ(without_ordinals(*hits), twin.lookup(queries, d)) << "distance " << d;
  }
  // Ordinals point at the content's stored frames.
  auto hits = bank->lookup(queries, 31);
  ASSERT_TRUE(hits.is_ok());
  for (const BankHit& h : *hits) {
    auto frames = bank->content_frames(h.content_id);
    ASSERT_TRUE(frames.is_ok());
    ASSERT_LT(static_cast<size_t>(h.frame_ordinal), frames->size());
    EXPECT_EQ(queries[h.query].hamming((*frames)[h.frame_ordinal].hash), h.distance);
  }
  const BankIndexInfo info = bank->index_info();
  EXPECT_TRUE(info.loaded);
  EXPECT_GT(info.delta_frames, 0);
  // After a merge everything is in the main index and the answers are the same.
  ASSERT_TRUE(bank->merge().is_ok());
  EXPECT_EQ(bank->index_info().delta_frames, 0);
  auto merged = bank->lookup(queries, 31);
  ASSERT_TRUE(merged.is_ok());
  EXPECT_EQ(without_ordinals(*merged), twin.lookup(queries, 31));
  EXPECT_EQ(bank->lookup(queries, 257).status().code(), StatusCode::kInvalidArgument);
}

TEST(Bank, RemovalTakesEffectForTheNextLookupHereAndInAnotherOpenBank) {
  TempBankDir dir;
  ASSERT_TRUE(Bank::create(dir.bank()).is_ok());
  std::mt19937_64 rng(3);
  const auto victim = test::random_frames(20, rng);
  const auto other = test::random_frames(20, rng);
  auto writer = open_ok(dir.bank());
  auto v = writer->add_content(meta("te:victim"), victim);
  auto o = writer->add_content(meta("te:other"), other);
  ASSERT_TRUE(v.is_ok() && o.is_ok());
  // Two more Banks opened before the removal, as matchers in other processes would be:
  // one whose index was saved as a cache with the victim in it, one freshly merged.
  ASSERT_TRUE(writer->merge().is_ok());
  auto reader1 = open_ok(dir.bank());
  auto reader2 = open_ok(dir.bank());
  ASSERT_TRUE(reader1 && reader2);
  EXPECT_EQ(reader1->index_info().origin, "cache");
  std::vector<Hash256> queries{victim[5].hash, other[5].hash};
  for (Bank* b : {writer.get(), reader1.get(), reader2.get()}) {
    auto hits = b->lookup(queries, 0);
    ASSERT_TRUE(hits.is_ok());
    ASSERT_EQ(hits->size(), 2u);
  }
  auto removed = writer->remove(ContentRef::by_external_id("te:victim"), "consent withdrawn");
  ASSERT_TRUE(removed.is_ok()) << removed.status().to_string();
  EXPECT_FALSE(removed->already_removed);
  EXPECT_EQ(removed->content.id, v->id);
  // The very next lookup of every Bank, with no refresh() called.
  for (Bank* b : {writer.get(), reader1.get(), reader2.get()}) {
    auto hits = b->lookup(queries, 31);
    ASSERT_TRUE(hits.is_ok());
    for (const BankHit& h : *hits) EXPECT_NE(h.content_id, v->id);
    EXPECT_EQ(hits->size(), 1u);
  }
  // Audit: the rows stay, marked.
  auto info = reader1->content(v->id);
  ASSERT_TRUE(info.is_ok());
  EXPECT_TRUE(info->removed());
  EXPECT_EQ(info->removed_reason, "consent withdrawn");
  auto frames = reader1->content_frames(v->id);
  ASSERT_TRUE(frames.is_ok());
  EXPECT_EQ(frames->size(), 20u);
  // Export skips it unless asked.
  int live = 0, all = 0;
  ASSERT_TRUE(writer
                  ->for_each_content(false,
                                     [&](const ContentInfo&, std::span<const FrameHash>) {
                                       ++live;
                                       return Status::ok();
                                     })
                  .is_ok());
  ASSERT_TRUE(writer
                  ->for_each_content(true,
                                     [&](const ContentInfo&, std::span<const FrameHash>) {
                                       ++all;
                                       return Status::ok();
                                     })
                  .is_ok());
  EXPECT_EQ(live, 1);
  EXPECT_EQ(all, 2);
  // Twice: not an error; unknown: kNotFound; by id works.
  auto again = reader2->remove(ContentRef::by_external_id("te:victim"));
  ASSERT_TRUE(again.is_ok());
  EXPECT_TRUE(again->already_removed);
  EXPECT_EQ(writer->remove(ContentRef::by_external_id("te:nobody")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(writer->remove(ContentRef::by_id(999)).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(reader2->remove(ContentRef::by_id(o->id)).is_ok());
  auto none = writer->lookup(queries, 31);
  ASSERT_TRUE(none.is_ok());
  EXPECT_TRUE(none->empty());
  // A reopened bank (index rebuilt or loaded from a cache made before the removals)
  // honours the tombstones too.
  auto reopened = open_ok(dir.bank());
  auto after = reopened->lookup(queries, 31);
  ASSERT_TRUE(after.is_ok());
  EXPECT_TRUE(after->empty());
  // The external id is free again once its content is removed.
  EXPECT_TRUE(writer->add_content(meta("te:victim"), victim).is_ok());
}

TEST(Bank, ExternalIdsAreUniqueAmongLiveContents) {
  TempBankDir dir;
  ASSERT_TRUE(Bank::create(dir.bank()).is_ok());
  auto bank = open_ok(dir.bank());
  std::mt19937_64 rng(5);
  const auto frames = test::random_frames(3, rng);
  ASSERT_TRUE(bank->add_content(meta("x"), frames).is_ok());
  auto dup = bank->add_content(meta("x"), frames);
  EXPECT_EQ(dup.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(dup.status().message().find("already content"), std::string::npos) << dup.status().to_string();
  // A batch is all or nothing.
  std::vector<NewContent> batch{{meta("y"), frames}, {meta("x"), frames}};
  EXPECT_FALSE(bank->add_contents(batch).is_ok());
  EXPECT_EQ(bank->content(ContentRef::by_external_id("y")).status().code(), StatusCode::kNotFound);
  // Bad inputs are refused before anything is written.
  EXPECT_EQ(bank->add_content(meta("empty"), {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bank->add_content(meta("two", ContentKind::kImage), frames).status().code(), StatusCode::kInvalidArgument);
  auto st = bank->stats();
  ASSERT_TRUE(st.is_ok());
  EXPECT_EQ(st->contents_live, 1);
}

TEST(Bank, PdqContentMatchesAnyQueryFrame) {
  TempBankDir dir;
  ASSERT_TRUE(Bank::create(dir.bank()).is_ok());
  auto bank = open_ok(dir.bank());
  std::mt19937_64 rng(11);
  const auto image = test::random_frames(1, rng);
  auto added = bank->add_content(meta("img", ContentKind::kImage), image);
  ASSERT_TRUE(added.is_ok()) << added.status().to_string();
  auto video = test::random_frames(30, rng);
  video[17].hash = test::flip_bits(image[0].hash, 12, rng);
  std::vector<Hash256> queries;
  for (const auto& f : video) queries.push_back(f.hash);
  auto hits = bank->lookup(queries, 31);
  ASSERT_TRUE(hits.is_ok());
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].query, 17u);
  EXPECT_EQ((*hits)[0].distance, 12);
  auto info = bank->content((*hits)[0].content_id);
  ASSERT_TRUE(info.is_ok());
  EXPECT_EQ(info->meta.kind, ContentKind::kImage);
  auto st = bank->stats();
  ASSERT_TRUE(st.is_ok());
  EXPECT_EQ(st->image_contents, 1);
}

TEST(Bank, AddsWhileAnotherBankLooksUp) {
  TempBankDir dir;
  ASSERT_TRUE(Bank::create(dir.bank()).is_ok());
  std::mt19937_64 rng(9);
  auto writer = open_ok(dir.bank());
  auto reader = open_ok(dir.bank());
  const auto base = test::random_frames(50, rng);
  ASSERT_TRUE(writer->add_content(meta("base"), base).is_ok());
  std::vector<std::vector<FrameHash>> batches;
  for (int i = 0; i < 20; ++i) batches.push_back(test::random_frames(500, rng));
  std::atomic<bool> done{false};
  std::atomic<int> lookups{0}, failures{0};
  std::thread looker([&] {
    std::vector<Hash256> queries{base[0].hash, batches.back()[0].hash};
    while (!done) {
      auto hits = reader->lookup(queries, 0);
      if (!hits || hits->empty() || (*hits)[0].query != 0) ++failures;
      ++lookups;
    }
  });
  for (int i = 0; i < 20; ++i) {
    auto added = writer->add_content(meta("new-" + std::to_string(i)), batches[i]);
    ASSERT_TRUE(added.is_ok()) << added.status().to_string();
    // Committed: the other Bank's very next lookup finds it.
    auto hits = reader->lookup(std::span<const Hash256>(&batches[i][250].hash, 1), 0);
    ASSERT_TRUE(hits.is_ok());
    ASSERT_EQ(hits->size(), 1u);
    EXPECT_EQ((*hits)[0].content_id, added->id);
    EXPECT_EQ((*hits)[0].frame_ordinal, 250);
  }
  done = true;
  looker.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(lookups.load(), 0);
}

TEST(Bank, BackgroundMergeFoldsTheDeltaAndSavesTheCache) {
  TempBankDir dir;
  ASSERT_TRUE(Bank::create(dir.bank()).is_ok());
  BankOptions options = test::quiet_options();
  options.background_merge = true;
  options.merge_frames = 1000;
  auto bank = open_ok(dir.bank(), options);
  std::mt19937_64 rng(13);
  std::vector<std::vector<FrameHash>> all;
  for (int i = 0; i < 6; ++i) {
    all.push_back(test::random_frames(400, rng));
    ASSERT_TRUE(bank->add_content(meta(std::string("c") + std::to_string(i)), all.back()).is_ok());
  }
  bank->wait_for_merge();
  ASSERT_TRUE(bank->refresh().is_ok());
  const BankIndexInfo info = bank->index_info();
  EXPECT_GE(info.merges, 1);
  EXPECT_GE(info.main_frames, 1000);
  EXPECT_LT(info.delta_frames, 1000);
  for (const auto& frames : all) {
    auto hits = bank->lookup(std::span<const Hash256>(&frames[123].hash, 1), 0);
    ASSERT_TRUE(hits.is_ok());
    EXPECT_EQ(hits->size(), 1u);
  }
  // The cache the merge wrote is loaded by the next open.
  bank.reset();
  auto again = open_ok(dir.bank());
  EXPECT_EQ(again->index_info().origin, "cache");
  EXPECT_EQ(again->index_info().main_frames + again->index_info().delta_frames, 2400);
}

// ---------------------------------------------------------------------------- the cache

void corrupt_file(const std::string& path) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(f.good()) << path;
  f.seekg(0, std::ios::end);
  const auto size = static_cast<int64_t>(f.tellg());
  ASSERT_GT(size, 64);
  for (int64_t pos : {size / 2, size / 3, size - 9}) {
    f.seekp(pos);
    f.put('\x5a');
    f.put('\xa5');
  }
}

TEST(Bank, CorruptIndexFileIsDetectedAndRebuilt) {
  TempBankDir dir;
  ASSERT_TRUE(Bank::create(dir.bank()).is_ok());
  std::mt19937_64 rng(21);
  const auto frames = test::random_frames(300, rng);
  {
    auto bank = open_ok(dir.bank());
    ASSERT_TRUE(bank->add_content(meta("a"), frames).is_ok());
    ASSERT_TRUE(bank->merge().is_ok());  // writes the cache
  }
  const std::string index = dir.bank() + "/" + kBankIndexFile;
  ASSERT_TRUE(fs::exists(index));
  EXPECT_EQ(open_ok(dir.bank())->index_info().origin, "cache");

  corrupt_file(index);
  {
    auto bank = open_ok(dir.bank());
    ASSERT_TRUE(bank);
    EXPECT_NE(bank->index_info().origin.find("rebuilt"), std::string::npos) << bank->index_info().origin;
    auto hits = bank->lookup(std::span<const Hash256>(&frames[77].hash, 1), 0);
    ASSERT_TRUE(hits.is_ok());
    EXPECT_EQ(hits->size(), 1u);
  }
  // The rebuild rewrote a good cache.
  EXPECT_EQ(open_ok(dir.bank())->index_info().origin, "cache");

  // Truncated, metadata lying about the count, metadata missing: all rebuilt.
  fs::resize_file(index, fs::file_size(index) / 2);
  EXPECT_NE(open_ok(dir.bank())->index_info().origin.find("rebuilt"), std::string::npos);
  {
    const std::string meta_path = dir.bank() + "/" + kBankIndexMetaFile;
    std::string text = test::read_text_file(meta_path);
    const auto pos = text.find("\"count\": 300");
    ASSERT_NE(pos, std::string::npos) << text;
    text.replace(pos, 12, "\"count\": 299");
    std::ofstream(meta_path, std::ios::trunc) << text;
    EXPECT_NE(open_ok(dir.bank())->index_info().origin.find("rebuilt"), std::string::npos);
    fs::remove(meta_path);
    EXPECT_NE(open_ok(dir.bank())->index_info().origin.find("rebuilt"), std::string::npos);
  }
  auto bank = open_ok(dir.bank());
  auto report = bank->verify();
  ASSERT_TRUE(report.is_ok());
  EXPECT_TRUE(report->ok()) << ::testing::PrintToString(report->problems);
  EXPECT_EQ(report->index_cache.rfind("consistent", 0), 0u) << report->index_cache;
}

TEST(Bank, StaleCacheIsLoadedAndCaughtUpWithAddsAndRemovals) {
  TempBankDir dir;
  ASSERT_TRUE(Bank::create(dir.bank()).is_ok());
  std::mt19937_64 rng(23);
  const auto a = test::random_frames(100, rng), b = test::random_frames(100, rng), c = test::random_frames(100, rng);
  int64_t a_id = 0;
  {
    auto bank = open_ok(dir.bank());
    auto added = bank->add_content(meta("a"), a);
    ASSERT_TRUE(added.is_ok());
    a_id = added->id;
    ASSERT_TRUE(bank->add_content(meta("b"), b).is_ok());
    ASSERT_TRUE(bank->merge().is_ok());  // cache at this generation
    ASSERT_TRUE(bank->add_content(meta("c"), c).is_ok());
    ASSERT_TRUE(bank->remove(ContentRef::by_id(a_id)).is_ok());
  }
  auto bank = open_ok(dir.bank());
  const BankIndexInfo info = bank->index_info();
  EXPECT_EQ(info.origin, "cache");
  EXPECT_EQ(info.main_frames, 200);
  EXPECT_EQ(info.delta_frames, 100);
  std::vector<Hash256> q{a[1].hash, b[1].hash, c[1].hash};
  auto hits = bank->lookup(q, 0);
  ASSERT_TRUE(hits.is_ok());
  ASSERT_EQ(hits->size(), 2u);
  EXPECT_EQ((*hits)[0].query, 1u);
  EXPECT_EQ((*hits)[1].query, 2u);
}

// ---------------------------------------------------------------------------- other processes
//
// The children are forked while the parent holds no SQLite connection to the bank (a
// connection must not cross a fork); the parent opens its own Bank after the fork.

// Kills and reaps a child that is still there, closes pipe ends, joins a thread: so a
// failed assertion in the parent neither hangs the suite nor leaves a process behind.
struct ChildGuard {
  pid_t pid = -1;
  std::vector<int> fds;
  std::thread* thread = nullptr;
  std::atomic<bool>* stop = nullptr;
  ~ChildGuard() {
    if (stop) *stop = true;
    if (thread && thread->joinable()) thread->join();
    for (int fd : fds) ::close(fd);
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

// Writes one byte; reads one byte (false at EOF).
void send_byte(int fd, char c = 'x') { ASSERT_EQ(::write(fd, &c, 1), 1); }
bool recv_byte(int fd) {
  char c = 0;
  return ::read(fd, &c, 1) == 1;
}

TEST(Bank, AnotherProcessAddsAndRemovesWhileThisOneLooksUp) {
  TempBankDir dir;
  ASSERT_TRUE(Bank::create(dir.bank()).is_ok());
  std::mt19937_64 rng(17);
  std::vector<std::vector<FrameHash>> batches;
  for (int i = 0; i < 12; ++i) batches.push_back(test::random_frames(300, rng));
  int to_parent[2], to_child[2];
  ASSERT_EQ(::pipe(to_parent), 0);
  ASSERT_EQ(::pipe(to_child), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(to_parent[0]);
    ::close(to_child[1]);
    BankOptions options = test::quiet_options();
    options.load_index = false;
    auto bank = Bank::open(dir.bank(), options);
    if (!bank) ::_exit(10);
    for (size_t i = 0; i < batches.size(); ++i) {
      if (!(*bank)->add_content(meta(std::string("p") + std::to_string(i)), batches[i])) ::_exit(11);
      char c = 'a';
      if (::write(to_parent[1], &c, 1) != 1 || !recv_byte(to_child[0])) ::_exit(12);
    }
    if (!(*bank)->remove(ContentRef::by_external_id("p0"), "withdrawn")) ::_exit(13);
    char c = 'r';
    if (::write(to_parent[1], &c, 1) != 1) ::_exit(14);
    ::_exit(0);
  }
  ::close(to_parent[1]);
  ::close(to_child[0]);
  // Declared before the guard, so that they outlive its destructor, which sets `done`
  // and joins `looker` (the looker reads `reader` and the counters until then).
  std::atomic<bool> done{false};
  std::atomic<int> failures{0}, lookups{0};
  std::unique_ptr<Bank> reader;
  std::thread looker;
  ChildGuard guard;
  guard.pid = child;
  guard.fds = {to_parent[0], to_child[1]};
  reader = open_ok(dir.bank());
  ASSERT_TRUE(reader);
  // Lookups on another thread all along: none may fail or block on the writer.
  guard.stop = &done;
  looker = std::thread([&] {
    std::vector<Hash256> q{batches[0][1].hash, batches[5][1].hash};
    while (!done) {
      if (!reader->lookup(q, 8)) ++failures;
      ++lookups;
    }
  });
  guard.thread = &looker;
  for (size_t i = 0; i < batches.size(); ++i) {
    ASSERT_TRUE(recv_byte(to_parent[0])) << "child died before add " << i;
    // Committed in the other process: this process's very next lookup finds it.
    auto hits = reader->lookup(std::span<const Hash256>(&batches[i][150].hash, 1), 0);
    ASSERT_TRUE(hits.is_ok()) << hits.status().to_string();
    ASSERT_EQ(hits->size(), 1u) << "content " << i;
    auto info = reader->content((*hits)[0].content_id);
    ASSERT_TRUE(info.is_ok());
    EXPECT_EQ(info->meta.external_id, std::string("p") + std::to_string(i));
    send_byte(to_child[1]);
  }
  ASSERT_TRUE(recv_byte(to_parent[0]));  // removal committed
  auto hits = reader->lookup(std::span<const Hash256>(&batches[0][150].hash, 1), 0);
  ASSERT_TRUE(hits.is_ok());
  EXPECT_TRUE(hits->empty());
  done = true;
  looker.join();
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  guard.pid = -1;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(lookups.load(), 0);
}

TEST(Bank, KillDuringAddLeavesTheBankConsistent) {
  TempBankDir dir;
  ASSERT_TRUE(Bank::create(dir.bank()).is_ok());
  std::mt19937_64 rng(31);
  const auto kept = test::random_frames(200, rng);
  {
    auto bank = open_ok(dir.bank());
    ASSERT_TRUE(bank->add_content(meta("kept"), kept).is_ok());
  }
  const auto big = test::random_frames(200000, rng);
  int pipe_fd[2];
  ASSERT_EQ(::pipe(pipe_fd), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(pipe_fd[0]);
    BankOptions options = test::quiet_options();
    options.load_index = false;
    bool told = false;
    options.add_progress = [&](int64_t written) {
      // Deep inside the transaction: ~10 MB of uncommitted pages, spilled to the WAL.
      if (!told && written >= 150000) {
        told = true;
        const char byte = 'x';
        (void)!::write(pipe_fd[1], &byte, 1);
        ::sleep(60);  // killed here
      }
    };
    auto bank = Bank::open(dir.bank(), options);
    if (!bank) ::_exit(10);
    (void)(*bank)->add_content(meta("partial"), big);
    ::_exit(11);  // not reached when the parent kills us
  }
  ::close(pipe_fd[1]);
  ChildGuard guard;
  guard.pid = child;
  guard.fds = {pipe_fd[0]};
  // A matcher that is open across the crash, opened while the add runs.
  auto survivor = open_ok(dir.bank());
  ASSERT_TRUE(survivor);
  const std::vector<Hash256> queries{kept[0].hash, big[0].hash, big[149999].hash};
  ASSERT_TRUE(recv_byte(pipe_fd[0])) << "the child never got inside its add";
  // The add is in flight (its write transaction open): a lookup neither waits for it
  // nor sees any of it. The child stays inside its transaction until it is killed (or
  // for a minute), so a lookup that waited for the writer would return only after the
  // child had committed and exited: the child still running once the lookup has
  // returned proves the lookup did not wait (no clock involved).
  auto during = survivor->lookup(queries, 0);
  int early_status = 0;
  EXPECT_EQ(::waitpid(child, &early_status, WNOHANG), 0)
      << "the writer left its transaction before the lookup returned";
  ASSERT_TRUE(during.is_ok()) << during.status().to_string();
  EXPECT_EQ(during->size(), 1u);
  EXPECT_GT(fs::file_size(dir.bank() + "/" + kBankDatabaseFile + "-wal"), 1u << 20);  // the WAL holds its pages
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  guard.pid = -1;
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

  // The matcher that was open all along still works and sees no partial content.
  auto hits = survivor->lookup(queries, 0);
  ASSERT_TRUE(hits.is_ok()) << hits.status().to_string();
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].query, 0u);

  // The next open says what happened, and the bank is consistent.
  auto bank = open_ok(dir.bank());
  ASSERT_TRUE(bank);
  ASSERT_FALSE(bank->recovery_notes().empty());
  EXPECT_NE(bank->recovery_notes()[0].find("did not finish"), std::string::npos) << bank->recovery_notes()[0];
  EXPECT_NE(bank->recovery_notes()[0].find("200000 frames"), std::string::npos) << bank->recovery_notes()[0];
  EXPECT_EQ(bank->content(ContentRef::by_external_id("partial")).status().code(), StatusCode::kNotFound);
  auto st = bank->stats();
  ASSERT_TRUE(st.is_ok());
  EXPECT_EQ(st->contents_live, 1);
  EXPECT_EQ(st->frames_total, 200);
  auto report = bank->verify();
  ASSERT_TRUE(report.is_ok());
  EXPECT_TRUE(report->ok()) << ::testing::PrintToString(report->problems);
  EXPECT_EQ(report->integrity, "ok");
  // Said once: the open after that has nothing to report.
  EXPECT_TRUE(open_ok(dir.bank())->recovery_notes().empty());
  // And the bank takes new adds with contiguous frame ids.
  auto added = bank->add_content(meta("after"), test::random_frames(50, rng));
  ASSERT_TRUE(added.is_ok()) << added.status().to_string();
  auto report2 = bank->verify();
  ASSERT_TRUE(report2.is_ok());
  EXPECT_TRUE(report2->ok()) << ::testing::PrintToString(report2->problems);
}

// ---------------------------------------------------------------------------- verify

TEST(Bank, VerifyFindsTamperedRows) {
  TempBankDir dir;
  ASSERT_TRUE(Bank::create(dir.bank()).is_ok());
  std::mt19937_64 rng(41);
  int64_t id = 0;
  {
    auto bank = open_ok(dir.bank());
    auto added = bank->add_content(meta("a"), test::random_frames(40, rng));
    ASSERT_TRUE(added.is_ok());
    id = added->id;
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir.bank() + "/" + kBankDatabaseFile).c_str(), &db), SQLITE_OK);
  const std::string sql =
      "DELETE FROM frames WHERE id = (SELECT first_frame_id + 5 FROM contents WHERE id = " + std::to_string(id) + ")";
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto bank = open_ok(dir.bank());
  auto report = bank->verify();
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  EXPECT_FALSE(report->ok());
  const std::string all = ::testing::PrintToString(report->problems);
  EXPECT_NE(all.find("frame count differs"), std::string::npos) << all;
}

}  // namespace
}  // namespace vhm
