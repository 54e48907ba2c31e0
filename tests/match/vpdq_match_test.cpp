// vPDQ verdicts from hits equal the brute-force definition, on the corpus's real hashes.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <random>

#include "hash/vpdq_format.h"
#include "match/vpdq_match.h"
#include "support/test_support.h"

namespace vhm {
namespace {

std::vector<QueryFrame> as_query(const std::vector<FrameHash>& f) {
  std::vector<QueryFrame> q;
  for (const auto& x : f) q.push_back({x.index, x.pts_seconds, x.quality, x.hash});
  return q;
}

MatchContent as_content(int64_t id, const std::vector<FrameHash>& f) {
  MatchContent c;
  c.id = id;
  for (const auto& x : f) c.frames.push_back({x.index, x.pts_seconds, x.quality, x.hash});
  return c;
}

// What an exact index returns: every (code, content frame) within the distance.
std::vector<MatchHit> brute_hits(const std::vector<QueryCode>& codes, const std::map<int64_t, MatchContent>& bank,
                                 int d) {
  std::vector<MatchHit> hits;
  for (uint32_t c = 0; c < codes.size(); ++c)
    for (const auto& [id, info] : bank)
      for (uint32_t f = 0; f < info.frames.size(); ++f) {
        const int dist = codes[c].hash.hamming(info.frames[f].hash);
        if (dist <= d) hits.push_back({c, id, f, dist});
      }
  return hits;
}

TEST(VpdqMatch, VerdictsFromHitsEqualBruteForceOnCorpus) {
  VHM_REQUIRE_CORPUS(corpus);
  const std::string dir = corpus + "/threatexchange/vpdq/reference-debian12/every-frame/";
  auto load = [&](const std::string& n) {
    auto r = read_vpdq_file(dir + n + ".txt");
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    return r.is_ok() ? *r : std::vector<FrameHash>{};
  };
  std::map<int64_t, MatchContent> bank;
  const std::vector<std::string> bank_names = {"chair-orig-22-sd-bar", "pattern-hd-no-bar", "doorknob-hd-no-bar"};
  for (size_t i = 0; i < bank_names.size(); ++i)
    bank[static_cast<int64_t>(i + 1)] = as_content(i + 1, load(bank_names[i]));
  const MatchThresholds t;
  for (const char* name : {"chair-19-sd-bar", "chair-22-with-large-logo-bar", "pattern-longer-no-bar",
                           "doorknob-hd-no-bar", "test-padded-dimensions"}) {
    const auto query = as_query(load(name));
    std::vector<QueryCode> codes;
    for (uint32_t i = 0; i < query.size(); ++i) codes.push_back({i, FrameVariant::kOriginal, query[i].hash});
    const auto hits = brute_hits(codes, bank, t.distance);
    const auto verdicts = compute_verdicts(
        query, codes, hits, [&](int64_t id) -> const MatchContent& { return bank.at(id); }, t);
    for (const auto& [id, info] : bank) {
      const auto [q, b] = vpdq_match_brute(query, info.frames, t);
      // id by init-capture: clang before 16 cannot capture a structured binding.
      const auto it = std::find_if(verdicts.begin(), verdicts.end(),
                                   [&, id = id](const ContentVerdict& v) { return v.content == id; });
      if (q == 0) {
        EXPECT_EQ(it, verdicts.end()) << name << " vs " << id;
        continue;
      }
      ASSERT_NE(it, verdicts.end()) << name << " vs " << id;
      EXPECT_DOUBLE_EQ(it->query_match_percent, q) << name;
      EXPECT_DOUBLE_EQ(it->bank_match_percent, b) << name;
      EXPECT_EQ(it->match, q >= 80) << name;
      EXPECT_FALSE(it->query_ranges.empty());
    }
  }
}

TEST(VpdqMatch, KnownPercentagesOfTheCorpusFamilies) {
  // Figures computed independently with python-threatexchange's definition.
  VHM_REQUIRE_CORPUS(corpus);
  const std::string dir = corpus + "/threatexchange/vpdq/reference-debian12/every-frame/";
  auto q = as_query(*read_vpdq_file(dir + "chair-19-sd-bar.txt"));
  auto c = as_content(1, *read_vpdq_file(dir + "chair-orig-22-sd-bar.txt"));
  const auto [qm, bm] = vpdq_match_brute(q, c.frames, {});
  EXPECT_DOUBLE_EQ(qm, 100.0);
  EXPECT_NEAR(bm, 85.8, 0.05);
  auto logo = as_query(*read_vpdq_file(dir + "chair-22-with-large-logo-bar.txt"));
  EXPECT_NEAR(vpdq_match_brute(logo, c.frames, {}).first, 11.1, 0.05);
}

TEST(VpdqMatch, VariantsDedupQualityAndImages) {
  std::mt19937_64 rng(3);
  auto random_hash = [&] {
    Hash256 h;
    for (auto& w : h.words) w = rng();
    return h;
  };
  auto near = [&](Hash256 h, int flips) {
    for (int i = 0; i < flips; ++i) h.words[i % 4] ^= uint64_t{1} << (7 * i % 64);
    return h;
  };
  MatchContent video{1, false, {}};
  for (int i = 0; i < 10; ++i) video.frames.push_back({i, i * 1.0, 90, random_hash()});
  video.frames.push_back({10, 10.0, 20, random_hash()});  // low quality: never counts
  MatchContent image{2, true, {{0, 0, 100, random_hash()}}};
  // Query: frames 0..3 like content frames 0..3 (frame 2 only through its variant),
  // a duplicate of frame 0, a frame like the image, and unrelated frames.
  std::vector<QueryFrame> query;
  std::vector<QueryCode> codes;
  for (int i = 0; i < 4; ++i)
    query.push_back({i, i * 1.0, 80, i == 2 ? random_hash() : near(video.frames[i].hash, 10)});
  query.push_back({4, 4.0, 80, query[0].hash});  // exact duplicate: counted once
  query.push_back({5, 5.0, 80, near(image.frames[0].hash, 31)});
  for (int i = 6; i < 10; ++i) query.push_back({i, i * 1.0, 80, random_hash()});
  for (uint32_t i = 0; i < query.size(); ++i) codes.push_back({i, FrameVariant::kOriginal, query[i].hash});
  codes.push_back({2, FrameVariant::kInsideBars, near(video.frames[2].hash, 5)});  // frame 2 inside its bars
  std::map<int64_t, MatchContent> bank{{1, video}, {2, image}};
  const auto hits = brute_hits(codes, bank, 31);
  const auto v =
      compute_verdicts(query, codes, hits, [&](int64_t id) -> const MatchContent& { return bank.at(id); }, {});
  ASSERT_EQ(v.size(), 2u);
  const ContentVerdict& img = v[0].content == 2 ? v[0] : v[1];
  const ContentVerdict& vid = v[0].content == 1 ? v[0] : v[1];
  EXPECT_TRUE(img.match);
  EXPECT_EQ(img.best_distance, 31);
  EXPECT_EQ(vid.query_frames_considered, 9);  // 10 frames, one exact duplicate
  EXPECT_EQ(vid.query_frames_matched, 4);     // frames 0,1,2 (variant),3
  EXPECT_EQ(vid.content_frames_considered, 10);
  EXPECT_EQ(vid.content_frames_matched, 4);
  EXPECT_FALSE(vid.match);  // 44% < 80%
  EXPECT_EQ(vid.best_distance, 5);
  EXPECT_EQ(vid.query_ranges, (std::vector<TimeRange>{{0, 3}}));
  MatchThresholds loose;
  loose.query_threshold = 40;
  EXPECT_TRUE(compute_verdicts(
                  query, codes, hits, [&](int64_t id) -> const MatchContent& { return bank.at(id); }, loose)[0]
                  .match);
}

TEST(VpdqMatch, MergeTimes) {
  EXPECT_EQ(merge_times({3, 1, 2, 10, 11, 30}, 1.5), (std::vector<TimeRange>{{1, 3}, {10, 11}, {30, 30}}));
  EXPECT_TRUE(merge_times({}, 1).empty());
}

}  // namespace
}  // namespace vhm
