// Bank frames stored with the hash of the picture inside their bars: found through it
// (bank_variant kInsideBars, the frame's own id and ordinal), once per (query, frame) at the
// nearer code, equal to a brute-force twin across main index, deltas, the cache, a
// rebuild and removals; stats and verify count and probe them.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <set>

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
  m.source = "test:" + external_id;
  return m;
}

// Random frames, every `every`-th one with bars: its inside-bars hash is unrelated to
// its hash as stored (bars move every PDQ bit), unless `near` bits say how close.
std::vector<FrameHash> frames_with_bars(size_t n, size_t every, std::mt19937_64& rng, int near = -1) {
  auto frames = test::random_frames(n, rng);
  for (size_t i = 0; i < n; i += every) {
    FrameHash& f = frames[i];
    f.has_cropped = true;
    f.cropped = near >= 0 ? test::flip_bits(f.hash, near, rng) : test::random_hash(rng);
    f.cropped_quality = static_cast<int>(rng() % 101);
  }
  return frames;
}

// Every (query, frame) within d through either code, at the nearer one (as stored on a
// tie), by brute force over what the bank stores.
struct Twin {
  struct Frame {
    int64_t content, frame_id;
    int32_t ordinal;
    Hash256 hash;
    std::optional<Hash256> inside;
  };
  std::vector<Frame> frames;
  std::set<int64_t> removed;

  void add(const Bank& bank, int64_t content, const std::vector<FrameHash>& given) {
    auto info = bank.content(content);
    ASSERT_TRUE(info.is_ok());
    const auto stored = test::dedup_frames(given);
    for (size_t i = 0; i < stored.size(); ++i) {
      Frame f{content, info->first_frame_id + static_cast<int64_t>(i), static_cast<int32_t>(i), stored[i].hash, {}};
      if (stored[i].has_cropped) f.inside = stored[i].cropped;
      frames.push_back(f);
    }
  }

  std::vector<BankHit> lookup(std::span<const Hash256> queries, int d, bool inside_bars = true) const {
    std::vector<BankHit> hits;
    for (uint32_t q = 0; q < queries.size(); ++q)
      for (const Frame& f : frames) {
        if (removed.count(f.content)) continue;
        int best = queries[q].hamming(f.hash);
        FrameVariant variant = FrameVariant::kOriginal;
        if (inside_bars && f.inside && queries[q].hamming(*f.inside) < best) {
          best = queries[q].hamming(*f.inside);
          variant = FrameVariant::kInsideBars;
        }
        if (best <= d) hits.push_back({q, best, f.content, f.frame_id, f.ordinal, variant});
      }
    std::sort(hits.begin(), hits.end(), [](const BankHit& a, const BankHit& b) {
      return std::tie(a.query, a.content_id, a.frame_id) < std::tie(b.query, b.content_id, b.frame_id);
    });
    return hits;
  }
};

// Queries near stored hashes and near inside-bars hashes, and far from everything.
std::vector<Hash256> queries_for(const Twin& twin, std::mt19937_64& rng, size_t n) {
  std::vector<Hash256> q;
  for (size_t i = 0; i < n; ++i) {
    const Twin::Frame& f = twin.frames[rng() % twin.frames.size()];
    const Hash256& base = f.inside && (i % 2 == 0) ? *f.inside : f.hash;
    q.push_back(test::flip_bits(base, static_cast<int>(rng() % 36), rng));
  }
  for (int i = 0; i < 10; ++i) q.push_back(test::random_hash(rng));
  return q;
}

TEST(BankBars, AFrameIsFoundThroughItsInsideBarsHashUnderItsOwnIdAndOrdinal) {
  TempBankDir dir;
  ASSERT_TRUE(Bank::create(dir.bank()).is_ok());
  auto bank = open_ok(dir.bank());
  std::mt19937_64 rng(101);
  const auto plain = test::random_frames(30, rng);
  const auto barred = frames_with_bars(30, 3, rng);
  ASSERT_TRUE(bank->add_content(meta("plain"), plain).is_ok());
  auto added = bank->add_content(meta("barred"), barred);
  ASSERT_TRUE(added.is_ok()) << added.status().to_string();
  auto info = bank->content(added->id);
  ASSERT_TRUE(info.is_ok());

  // Frame 9 has bars: a query 5 bits from the picture inside them finds frame 9.
  const Hash256 q = test::flip_bits(barred[9].cropped, 5, rng);
  auto hits = bank->lookup(std::span<const Hash256>(&q, 1), 31);
  ASSERT_TRUE(hits.is_ok()) << hits.status().to_string();
  ASSERT_EQ(hits->size(), 1u);
  const BankHit& h = hits->front();
  EXPECT_EQ(h.content_id, added->id);
  EXPECT_EQ(h.frame_id, info->first_frame_id + 9);
  EXPECT_EQ(h.frame_ordinal, 9);
  EXPECT_EQ(h.distance, 5);
  EXPECT_EQ(h.bank_variant, FrameVariant::kInsideBars);

  // Its hash as stored still finds it, as stored.
  auto own = bank->lookup(std::span<const Hash256>(&barred[9].hash, 1), 0);
  ASSERT_TRUE(own.is_ok());
  ASSERT_EQ(own->size(), 1u);
  EXPECT_EQ(own->front().bank_variant, FrameVariant::kOriginal);
  EXPECT_EQ(own->front().frame_ordinal, 9);

  // Without inside-bars codes (a `--no-bars` run) the picture inside is not searched.
  LookupOptions as_stored;
  as_stored.inside_bars = false;
  auto none = bank->lookup(std::span<const Hash256>(&q, 1), 31, as_stored);
  ASSERT_TRUE(none.is_ok());
  EXPECT_TRUE(none->empty());

  // The stored frames carry what was given; a frame without bars has none.
  auto stored = bank->content_frames(added->id);
  ASSERT_TRUE(stored.is_ok());
  EXPECT_EQ(*stored, barred);
  auto plain_stored = bank->content_frames(added->id - 1);
  ASSERT_TRUE(plain_stored.is_ok());
  EXPECT_TRUE(
      std::none_of(plain_stored->begin(), plain_stored->end(), [](const FrameHash& f) { return f.has_cropped; }));

  auto st = bank->stats();
  ASSERT_TRUE(st.is_ok());
  EXPECT_EQ(st->frames_inside_bars, 10);
  EXPECT_EQ(st->format_version, kBankFormatVersion);
  EXPECT_EQ(bank->index_info().inside_bars_codes, 10);
  EXPECT_EQ(bank->index_info().delta_frames + bank->index_info().main_frames, 60);
}

TEST(BankBars, OneHitPerQueryAndFrameAtTheNearerCode) {
  TempBankDir dir;
  ASSERT_TRUE(Bank::create(dir.bank()).is_ok());
  auto bank = open_ok(dir.bank());
  std::mt19937_64 rng(102);
  auto frames = test::random_frames(4, rng);
  // Frame 0: the picture inside is 10 bits from the frame; frame 1: identical to it.
  frames[0].has_cropped = true;
  frames[0].cropped = test::flip_bits(frames[0].hash, 10, rng);
  frames[0].cropped_quality = 60;
  frames[1].has_cropped = true;
  frames[1].cropped = frames[1].hash;
  frames[1].cropped_quality = 70;
  auto added = bank->add_content(meta("a"), frames);
  ASSERT_TRUE(added.is_ok());

  const std::vector<Hash256> queries{frames[0].hash, frames[0].cropped, frames[1].hash};
  auto hits = bank->lookup(queries, 31);
  ASSERT_TRUE(hits.is_ok());
  ASSERT_EQ(hits->size(), 3u) << "each query hits its frame once, though both codes are within 31";
  EXPECT_EQ((*hits)[0].distance, 0);
  EXPECT_EQ((*hits)[0].bank_variant, FrameVariant::kOriginal);
  EXPECT_EQ((*hits)[1].distance, 0);
  EXPECT_EQ((*hits)[1].bank_variant, FrameVariant::kInsideBars);
  EXPECT_EQ((*hits)[1].frame_ordinal, 0);
  EXPECT_EQ((*hits)[2].distance, 0);
  EXPECT_EQ((*hits)[2].bank_variant, FrameVariant::kOriginal) << "a tie reports the hash as stored";
}

TEST(BankBars, LookupsEqualTheTwinAcrossDeltaMergeCacheRebuildAndRemoval) {
  TempBankDir dir;
  ASSERT_TRUE(Bank::create(dir.bank()).is_ok());
  std::mt19937_64 rng(103);
  Twin twin;
  std::vector<int64_t> ids;
  auto add_some = [&](Bank& bank, int n, const std::string& prefix) {
    for (int i = 0; i < n; ++i) {
      // Some contents without bars, some with a few, some with bars near the frame.
      const size_t len = 1 + rng() % 40;
      auto frames =
          i % 3 == 0 ? test::random_frames(len, rng) : frames_with_bars(len, 1 + rng() % 4, rng, i % 3 == 2 ? 12 : -1);
      if (len > 4) frames[len - 1].hash = frames[1].hash;  // an exact duplicate: dropped, bars and all
      auto added = bank.add_content(meta(prefix + std::to_string(i)), frames);
      ASSERT_TRUE(added.is_ok()) << added.status().to_string();
      twin.add(bank, added->id, frames);
      ids.push_back(added->id);
    }
  };
  auto check = [&](Bank& bank, const std::string& when) {
    std::mt19937_64 qrng(7);
    const auto queries = queries_for(twin, qrng, 150);
    for (int d : {0, 12, 31}) {
      auto hits = bank.lookup(queries, d);
      ASSERT_TRUE(hits.is_ok()) << hits.status().to_string();
      EXPECT_EQ(*hits, twin.lookup(queries, d)) << when << ", distance " << d;
    }
    LookupOptions as_stored;
    as_stored.inside_bars = false;
    auto plain = bank.lookup(queries, 31, as_stored);
    ASSERT_TRUE(plain.is_ok());
    EXPECT_EQ(*plain, twin.lookup(queries, 31, false)) << when << ", as stored only";
  };
  {
    auto bank = open_ok(dir.bank());
    add_some(*bank, 20, "main-");
    ASSERT_TRUE(bank->merge().is_ok());  // main index and cache
    add_some(*bank, 15, "delta-");       // deltas
    EXPECT_GT(bank->index_info().delta_frames, 0);
    check(*bank, "main + delta");
    ASSERT_TRUE(bank->merge().is_ok());
    EXPECT_EQ(bank->index_info().delta_frames, 0);
    check(*bank, "merged");
  }
  int64_t bars = 0;
  for (const auto& f : twin.frames) bars += f.inside.has_value();
  ASSERT_GT(bars, 0);
  {
    auto bank = open_ok(dir.bank());
    EXPECT_EQ(bank->index_info().origin, "cache");
    EXPECT_EQ(bank->index_info().inside_bars_codes, bars);
    check(*bank, "reopened from the cache");
    // Removals are honoured through the inside-bars codes too.
    for (size_t k = 1; k < ids.size(); k += 4) {
      ASSERT_TRUE(bank->remove(ContentRef::by_id(ids[k])).is_ok());
      twin.removed.insert(ids[k]);
    }
    check(*bank, "after removals");
  }
  {
    auto bank = open_ok(dir.bank());  // cache from before the removals, tombstones read after it
    check(*bank, "reopened after removals");
  }
  fs::remove(dir.bank() + "/" + kBankIndexFile);
  auto bank = open_ok(dir.bank());
  EXPECT_NE(bank->index_info().origin.find("rebuilt"), std::string::npos) << bank->index_info().origin;
  check(*bank, "rebuilt from SQLite");
  auto report = bank->verify();
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  EXPECT_TRUE(report->ok()) << ::testing::PrintToString(report->problems);
  EXPECT_EQ(report->frames_inside_bars, bars);
  EXPECT_EQ(report->inside_bars_probed, bars);  // fewer than --probe: every one
  EXPECT_GT(report->frames_probed, 0);
}

TEST(BankBars, ACacheMissingItsInsideBarsCodesIsRebuilt) {
  TempBankDir dir;
  ASSERT_TRUE(Bank::create(dir.bank()).is_ok());
  std::mt19937_64 rng(104);
  const auto frames = frames_with_bars(200, 2, rng);
  {
    auto bank = open_ok(dir.bank());
    ASSERT_TRUE(bank->add_content(meta("a"), frames).is_ok());
    ASSERT_TRUE(bank->merge().is_ok());
  }
  EXPECT_EQ(open_ok(dir.bank())->index_info().origin, "cache");
  // Metadata claiming fewer inside-bars codes than the bank has: not trusted.
  const std::string meta_path = dir.bank() + "/" + kBankIndexMetaFile;
  std::string text = test::read_text_file(meta_path);
  const auto pos = text.find("\"inside_bars_count\": 100");
  ASSERT_NE(pos, std::string::npos) << text;
  text.replace(pos, 24, "\"inside_bars_count\": 99");
  std::ofstream(meta_path, std::ios::trunc) << text;
  auto bank = open_ok(dir.bank());
  EXPECT_NE(bank->index_info().origin.find("rebuilt"), std::string::npos) << bank->index_info().origin;
  auto hits = bank->lookup(std::span<const Hash256>(&frames[42].cropped, 1), 0);
  ASSERT_TRUE(hits.is_ok());
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ(hits->front().frame_ordinal, 42);
  EXPECT_EQ(hits->front().bank_variant, FrameVariant::kInsideBars);
}

TEST(BankBars, InvalidInsideBarsQualityIsRefusedBeforeAnythingIsWritten) {
  TempBankDir dir;
  ASSERT_TRUE(Bank::create(dir.bank()).is_ok());
  auto bank = open_ok(dir.bank());
  std::mt19937_64 rng(105);
  auto frames = frames_with_bars(5, 1, rng);
  frames[3].cropped_quality = 101;
  auto r = bank->add_content(meta("bad"), frames);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("inside-bars quality"), std::string::npos) << r.status().to_string();
  EXPECT_EQ(bank->stats()->contents_live, 0);
}

}  // namespace
}  // namespace vhm
