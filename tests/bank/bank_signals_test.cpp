// Whole-content signals in the bank (NewContent::signals, Bank::lookup_signals): video
// MD5 and SHA-256 found by value and missed otherwise; the reference TMK files each
// found by themselves and by exactly the pairs the reference's pair-scores.csv scores
// at or above 0.7 / 0.7; removals and adds seen by the next lookup of this Bank and of
// another on the same directory; contents without frames through stats, verify and
// export; a malformed value refused naming its record, nothing of the add kept.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

#include "bank/bank.h"
#include "bank/bank_test_util.h"
#include "bank/importers.h"
#include "core/tmk_features.h"
#include "support/test_support.h"

namespace vhm {
namespace {

namespace fs = std::filesystem;
using test::open_ok;
using test::TempBankDir;

std::vector<uint8_t> digest(size_t n, uint8_t seed) {
  std::vector<uint8_t> d(n);
  for (size_t i = 0; i < n; ++i) d[i] = static_cast<uint8_t>(seed * 31 + i * 7);
  return d;
}

NewContent with_signals(const std::string& external_id, std::vector<ContentSignal> signals,
                        std::vector<FrameHash> frames = {}) {
  NewContent c;
  c.meta.external_id = external_id;
  c.meta.kind = ContentKind::kVideo;
  c.frames = std::move(frames);
  c.signals = std::move(signals);
  return c;
}

std::vector<uint8_t> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

Result<std::vector<SignalHit>> lookup_one(Bank& bank, SignalId signal, std::span<const uint8_t> value) {
  const SignalQuery q{signal, value};
  return bank.lookup_signals(std::span<const SignalQuery>(&q, 1));
}

TEST(BankSignals, DigestsAreFoundByValueAndMissesAreNot) {
  TempBankDir dir;
  ASSERT_TRUE(Bank::create(dir.bank()).is_ok());
  auto bank = open_ok(dir.bank());
  std::mt19937_64 rng(301);
  const auto md5 = digest(16, 1), md5_b = digest(16, 2), sha = digest(32, 3);
  std::vector<NewContent> add = {
      with_signals("both", {{SignalId::kVideoMd5, md5}, {SignalId::kVideoSha256, sha}, {SignalId::kVideoMd5, md5}},
                   test::random_frames(10, rng)),
      with_signals("md5-only", {{SignalId::kVideoMd5, md5_b}}),
      with_signals("same-md5", {{SignalId::kVideoMd5, md5}}),
  };
  auto added = bank->add_contents(add);
  ASSERT_TRUE(added.is_ok()) << added.status().to_string();
  const int64_t both = (*added)[0].id, md5_only = (*added)[1].id, same = (*added)[2].id;
  EXPECT_EQ((*added)[1].frames_stored, 0);

  // The repeated MD5 of "both" is stored once.
  auto stored = bank->content_signals(both);
  ASSERT_TRUE(stored.is_ok());
  EXPECT_EQ(*stored, (std::vector<ContentSignal>{{SignalId::kVideoMd5, md5}, {SignalId::kVideoSha256, sha}}));
  EXPECT_TRUE(bank->content_frames(md5_only)->empty());

  const std::vector<uint8_t> miss = digest(16, 9);
  const std::vector<SignalQuery> queries = {{SignalId::kVideoMd5, md5},
                                            {SignalId::kVideoMd5, miss},
                                            {SignalId::kVideoSha256, sha},
                                            {SignalId::kVideoMd5, md5_b},
                                            {SignalId::kVideoSha256, std::span(md5_b).first(16)}};
  // The last is an MD5's bytes asked as a SHA-256: the wrong size, refused.
  auto refused = bank->lookup_signals(queries);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("signal query 4"), std::string::npos) << refused.status().to_string();
  auto hits = bank->lookup_signals(std::span(queries).first(4));
  ASSERT_TRUE(hits.is_ok()) << hits.status().to_string();
  ASSERT_EQ(hits->size(), 4u);
  EXPECT_EQ((*hits)[0], (SignalHit{0, SignalId::kVideoMd5, both, 1.0}));
  EXPECT_EQ((*hits)[1], (SignalHit{0, SignalId::kVideoMd5, same, 1.0}));
  EXPECT_EQ((*hits)[2], (SignalHit{2, SignalId::kVideoSha256, both, 1.0}));
  EXPECT_EQ((*hits)[3], (SignalHit{3, SignalId::kVideoMd5, md5_only, 1.0}));
  // A PDQ hash is a frame's, not a whole-content signal.
  const std::vector<uint8_t> pdq(32, 1);
  EXPECT_EQ(lookup_one(*bank, SignalId::kPdq, pdq).status().code(), StatusCode::kInvalidArgument);

  auto st = bank->stats();
  ASSERT_TRUE(st.is_ok());
  EXPECT_EQ(st->contents_without_frames, 2);
  ASSERT_EQ(st->signals.size(), 2u);
  EXPECT_EQ(st->signals[0].signal, SignalId::kVideoMd5);
  EXPECT_EQ(st->signals[0].contents, 3);
  EXPECT_EQ(st->signals[0].values, 3);
  EXPECT_EQ(st->signals[1].signal, SignalId::kVideoSha256);
  EXPECT_EQ(st->signals[1].contents, 1);
  auto report = bank->verify();
  ASSERT_TRUE(report.is_ok());
  EXPECT_TRUE(report->ok()) << ::testing::PrintToString(report->problems);
  EXPECT_EQ(report->signal_values_checked, 4);
}

// The reference hashes' scores, both ways round: pair-scores.csv lists each pair once.
struct PairScores {
  std::map<std::pair<std::string, std::string>, std::pair<double, double>> scores;
  const std::pair<double, double>* find(const std::string& a, const std::string& b) const {
    auto it = scores.find({a, b});
    if (it == scores.end()) it = scores.find({b, a});
    return it == scores.end() ? nullptr : &it->second;
  }
};

PairScores read_pair_scores(const fs::path& csv_path) {
  PairScores p;
  std::ifstream csv(csv_path);
  std::string line;
  std::getline(csv, line);
  EXPECT_EQ(line, "a,b,level1,level2");
  while (std::getline(csv, line)) {
    std::stringstream fields(line);
    std::string a, b, l1, l2;
    std::getline(fields, a, ',');
    std::getline(fields, b, ',');
    std::getline(fields, l1, ',');
    std::getline(fields, l2, ',');
    p.scores[{a, b}] = {std::stod(l1), std::stod(l2)};
  }
  return p;
}

TEST(BankSignals, TmkReferenceHashesFindThemselvesAndTheReferencesPairs) {
  VHM_REQUIRE_CORPUS(corpus);
  const fs::path tmk_dir = fs::path(corpus) / "threatexchange" / "tmk";
  std::map<std::string, std::vector<uint8_t>> files;
  for (const auto& e : fs::directory_iterator(tmk_dir / "sample-hashes"))
    if (e.path().extension() == ".tmk") files[e.path().stem().string()] = read_bytes(e.path());
  files["test-padded-dimensions"] = read_bytes(tmk_dir / "reference-debian12" / "test-padded-dimensions.tmk");
  ASSERT_EQ(files.size(), 16u);
  const PairScores csv = read_pair_scores(tmk_dir / "reference-debian12" / "pair-scores.csv");
  ASSERT_EQ(csv.scores.size(), 120u);

  TempBankDir dir;
  ASSERT_TRUE(Bank::create(dir.bank()).is_ok());
  auto bank = open_ok(dir.bank());
  std::vector<NewContent> add;
  for (const auto& [name, bytes] : files) add.push_back(with_signals(name, {{SignalId::kTmk, bytes}}));
  auto added = bank->add_contents(add);
  ASSERT_TRUE(added.is_ok()) << added.status().to_string();
  std::map<int64_t, std::string> name_of;
  size_t i = 0;
  for (const auto& [name, bytes] : files) name_of[(*added)[i++].id] = name;

  std::vector<SignalQuery> queries;
  std::vector<std::string> names;
  for (const auto& [name, bytes] : files) {
    queries.push_back({SignalId::kTmk, bytes});
    names.push_back(name);
  }
  auto hits = bank->lookup_signals(queries);
  ASSERT_TRUE(hits.is_ok()) << hits.status().to_string();
  std::map<uint32_t, std::map<std::string, SignalHit>> found;
  for (const SignalHit& h : *hits) found[h.query][name_of.at(h.content_id)] = h;
  constexpr double kThreshold = 0.7, kPrinted = 1e-6;  // the CSV's six decimals
  int pairs_found = 0, pairs_judged = 0;
  for (uint32_t q = 0; q < names.size(); ++q) {
    const std::string& a = names[q];
    ASSERT_TRUE(found[q].count(a)) << a << " does not find itself";
    const SignalHit& self = found[q][a];
    EXPECT_NEAR(self.level1, 1.0, 1e-5) << a;
    EXPECT_NEAR(self.score, 1.0, 1e-4) << a;
    EXPECT_EQ(self.offset_frames, 0) << a;
    for (const auto& [b, bytes] : files) {
      if (b == a) continue;
      const auto* s = csv.find(a, b);
      ASSERT_NE(s, nullptr) << a << " " << b;
      // A pair within the CSV's rounding of a threshold cannot be judged from it.
      if (std::abs(s->first - kThreshold) <= kPrinted || std::abs(s->second - kThreshold) <= kPrinted) continue;
      ++pairs_judged;
      const bool expected = s->first >= kThreshold && s->second >= kThreshold;
      EXPECT_EQ(found[q].count(b) == 1, expected)
          << a << " -> " << b << ": reference level1 " << s->first << " level2 " << s->second;
      if (found[q].count(b)) {
        ++pairs_found;
        EXPECT_NEAR(found[q][b].level1, s->first, 2e-6) << a << " " << b;
        EXPECT_NEAR(found[q][b].score, s->second, 1e-4) << a << " " << b;
      }
    }
  }
  EXPECT_EQ(pairs_judged, 240) << "every ordered pair of the 16";
  EXPECT_GT(pairs_found, 0) << "the corpus has matching pairs";
  EXPECT_LT(pairs_found, pairs_judged) << "and pairs that do not match";

  // What is resident: one pure average per TMK content, not the files.
  auto st = bank->stats();
  ASSERT_TRUE(st.is_ok());
  EXPECT_EQ(st->tmk_vectors_resident, 16);
  EXPECT_EQ(st->contents_without_frames, 16);
  auto report = bank->verify();
  ASSERT_TRUE(report.is_ok());
  EXPECT_TRUE(report->ok()) << ::testing::PrintToString(report->problems);
}

// The shift theorem (tests/signal/tmk_signal_test.cpp) through the bank: a query that is
// a stored video with its first 45 frames cut reports that offset.
TEST(BankSignals, TmkHitsReportTheOffsetOfTheQuery) {
  VHM_REQUIRE_CORPUS(corpus);
  const auto bytes = read_bytes(fs::path(corpus) / "threatexchange/tmk/sample-hashes/pattern-longer-no-bar.tmk");
  auto features = parse_tmk(bytes);
  ASSERT_TRUE(features.is_ok());
  TmkFeatures cut = *features;
  const int shift = 45;
  for (int i = 0; i < cut.period_count(); ++i)
    for (int j = 0; j < cut.coefficient_count(); ++j) {
      const double angle = 2.0 * 3.14159265358979323846 * j * shift / cut.periods[i];
      const double c = std::cos(angle), s = std::sin(angle);
      auto fc = features->cos_feature(i, j), fs = features->sin_feature(i, j);
      auto oc = cut.cos_feature(i, j), os = cut.sin_feature(i, j);
      for (size_t k = 0; k < fc.size(); ++k) {
        oc[k] = static_cast<float>(c * fc[k] + s * fs[k]);
        os[k] = static_cast<float>(c * fs[k] - s * fc[k]);
      }
    }
  TempBankDir dir;
  ASSERT_TRUE(Bank::create(dir.bank()).is_ok());
  auto bank = open_ok(dir.bank());
  NewContent c = with_signals("pattern", {{SignalId::kTmk, bytes}});
  ASSERT_TRUE(bank->add_contents(std::span<const NewContent>(&c, 1)).is_ok());
  const auto query = serialize_tmk(cut);
  auto hits = lookup_one(*bank, SignalId::kTmk, query);
  ASSERT_TRUE(hits.is_ok()) << hits.status().to_string();
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ(hits->front().offset_frames, shift);
  EXPECT_DOUBLE_EQ(hits->front().offset_seconds, 3.0);
  EXPECT_GT(hits->front().period, 0);
}

TEST(BankSignals, RemovalsAndAddsAreSeenByTheNextLookupOfEveryBank) {
  VHM_REQUIRE_CORPUS(corpus);
  const fs::path dir_tmk = fs::path(corpus) / "threatexchange/tmk/sample-hashes";
  const auto chair = read_bytes(dir_tmk / "chair-19-sd-bar.tmk");
  const auto door = read_bytes(dir_tmk / "doorknob-hd-no-bar.tmk");
  const auto md5 = digest(16, 5);
  TempBankDir dir;
  ASSERT_TRUE(Bank::create(dir.bank()).is_ok());
  auto writer = open_ok(dir.bank());
  auto reader = open_ok(dir.bank());  // another connection, as another process has
  std::vector<NewContent> add = {with_signals("te:1", {{SignalId::kTmk, chair}, {SignalId::kVideoMd5, md5}})};
  ASSERT_TRUE(writer->add_contents(add).is_ok());
  ASSERT_EQ(lookup_one(*reader, SignalId::kTmk, chair)->size(), 1u);
  ASSERT_EQ(lookup_one(*reader, SignalId::kVideoMd5, md5)->size(), 1u);

  ASSERT_TRUE(writer->remove(ContentRef::by_external_id("te:1"), "withdrawn").is_ok());
  for (Bank* b : {writer.get(), reader.get()}) {
    EXPECT_TRUE(lookup_one(*b, SignalId::kTmk, chair)->empty()) << "a tombstone is never returned";
    EXPECT_TRUE(lookup_one(*b, SignalId::kVideoMd5, md5)->empty());
  }
  // The external id is free again; the new content is found by both at once.
  std::vector<NewContent> again = {with_signals("te:1", {{SignalId::kTmk, door}})};
  auto added = writer->add_contents(again);
  ASSERT_TRUE(added.is_ok()) << added.status().to_string();
  for (Bank* b : {reader.get(), writer.get()}) {
    auto hits = lookup_one(*b, SignalId::kTmk, door);
    ASSERT_TRUE(hits.is_ok());
    ASSERT_EQ(hits->size(), 1u);
    EXPECT_EQ(hits->front().content_id, added->front().id);
    EXPECT_TRUE(lookup_one(*b, SignalId::kTmk, chair)->empty());
  }
  EXPECT_EQ(reader->stats()->tmk_vectors_resident, 1) << "the removed content's vector was dropped";
}

TEST(BankSignals, AMalformedValueIsRefusedNamingItsRecordAndNothingIsAdded) {
  TempBankDir dir;
  ASSERT_TRUE(Bank::create(dir.bank()).is_ok());
  auto bank = open_ok(dir.bank());
  std::vector<uint8_t> bad_tmk = serialize_tmk(TmkFeatures::make_empty_pdqf());
  bad_tmk.resize(bad_tmk.size() - 5);
  std::vector<NewContent> add = {with_signals("good", {{SignalId::kVideoMd5, digest(16, 1)}}),
                                 with_signals("bad", {{SignalId::kTmk, bad_tmk}})};
  add[1].origin = {"list.json", 7};
  auto r = bank->add_contents(add);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().subject(), "list.json");
  EXPECT_NE(r.status().message().find("line 7"), std::string::npos) << r.status().to_string();
  EXPECT_NE(r.status().message().find("tmk"), std::string::npos) << r.status().to_string();
  EXPECT_EQ(bank->stats()->contents_live, 0) << "nothing of the add is kept";
  // A video needs frames or signals; an image takes no whole-content signal.
  std::vector<NewContent> empty = {with_signals("none", {})};
  EXPECT_EQ(bank->add_contents(empty).status().code(), StatusCode::kInvalidArgument);
  std::mt19937_64 rng(5);
  NewContent image = with_signals("img", {{SignalId::kVideoMd5, digest(16, 1)}}, test::random_frames(1, rng));
  image.meta.kind = ContentKind::kImage;
  EXPECT_EQ(bank->add_contents(std::span<const NewContent>(&image, 1)).status().code(), StatusCode::kInvalidArgument);
}

// Contents without frames between contents with frames: the index cache built over them
// is proved and loaded at the next open, frame lookups answer, verify is content.
TEST(BankSignals, ContentsWithoutFramesLeaveTheFrameIndexAsItWas) {
  TempBankDir dir;
  ASSERT_TRUE(Bank::create(dir.bank()).is_ok());
  std::mt19937_64 rng(9);
  const auto first = test::random_frames(20, rng), second = test::random_frames(7, rng);
  {
    auto bank = open_ok(dir.bank());
    std::vector<NewContent> add = {with_signals("md5-1", {{SignalId::kVideoMd5, digest(16, 1)}}),
                                   with_signals("v1", {}, first),
                                   with_signals("md5-2", {{SignalId::kVideoMd5, digest(16, 2)}}),
                                   with_signals("v2", {{SignalId::kVideoSha256, digest(32, 3)}}, second)};
    ASSERT_TRUE(bank->add_contents(add).is_ok());
    std::vector<NewContent> later = {with_signals("md5-3", {{SignalId::kVideoMd5, digest(16, 4)}})};
    ASSERT_TRUE(bank->add_contents(later).is_ok());
    ASSERT_TRUE(bank->merge().is_ok());
  }
  auto bank = open_ok(dir.bank());
  EXPECT_EQ(bank->index_info().origin, "cache");
  auto hits = bank->lookup(std::vector<Hash256>{first[5].hash, second[6].hash}, 0);
  ASSERT_TRUE(hits.is_ok()) << hits.status().to_string();
  ASSERT_EQ(hits->size(), 2u);
  EXPECT_EQ(bank->content((*hits)[0].content_id)->meta.external_id, "v1");
  EXPECT_EQ((*hits)[0].frame_ordinal, 5);
  EXPECT_EQ(bank->content((*hits)[1].content_id)->meta.external_id, "v2");
  EXPECT_EQ((*hits)[1].frame_ordinal, 6);
  auto report = bank->verify();
  ASSERT_TRUE(report.is_ok());
  EXPECT_TRUE(report->ok()) << ::testing::PrintToString(report->problems);
  EXPECT_EQ(report->index_cache, "consistent");
}

// Export's JSON Lines carry the signals, and add reads them back: the same values.
TEST(BankSignals, JsonLinesExportRoundTrips) {
  TempBankDir dir;
  ASSERT_TRUE(Bank::create(dir.bank()).is_ok());
  auto bank = open_ok(dir.bank());
  std::mt19937_64 rng(7);
  const std::vector<uint8_t> tmk = serialize_tmk(TmkFeatures::make_empty_pdqf());
  std::vector<NewContent> add = {
      with_signals("a", {{SignalId::kVideoMd5, digest(16, 1)}, {SignalId::kTmk, tmk}}, test::random_frames(3, rng)),
      with_signals("b", {{SignalId::kVideoSha256, digest(32, 2)}})};
  ASSERT_TRUE(bank->add_contents(add).is_ok());
  std::string jsonl;
  ASSERT_TRUE(bank->for_each_content_with_signals(false,
                                                  [&](const ContentInfo& c, std::span<const FrameHash> frames,
                                                      std::span<const ContentSignal> signals) {
                                                    jsonl += content_to_json(c, frames, signals).dump() + "\n";
                                                    return Status::ok();
                                                  })
                  .is_ok());
  auto back = parse_hash_jsonl(jsonl, "export.jsonl");
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  ASSERT_EQ(back->contents.size(), 2u);
  EXPECT_EQ(back->contents[0].signals, add[0].signals);
  EXPECT_EQ(back->contents[0].frames.size(), 3u);
  EXPECT_EQ(back->contents[1].signals, add[1].signals);
  EXPECT_TRUE(back->contents[1].frames.empty());
  EXPECT_EQ(back->contents[1].meta.kind, ContentKind::kVideo);
  // A bad value in a line names the line.
  auto bad = parse_hash_jsonl(R"({"type": "video", "signals": [{"signal": "video_md5", "value": "abc"}]})", "x");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("line 1: signals[0]"), std::string::npos) << bad.status().to_string();
}

// The TMK level-1 index is this open's choice: an approximate one answers the
// reference files' lookups as the exact one does (16 vectors: IVF scans them exactly
// until trained, HNSW's graph is complete), and a spec that is none fails the open.
TEST(BankSignals, TheTmkIndexIsChosenPerOpen) {
  VHM_REQUIRE_CORPUS(corpus);
  const fs::path dir_of = fs::path(corpus) / "threatexchange" / "tmk" / "sample-hashes";
  std::vector<std::vector<uint8_t>> files;
  for (const auto& e : fs::directory_iterator(dir_of))
    if (e.path().extension() == ".tmk") files.push_back(read_bytes(e.path()));
  ASSERT_GE(files.size(), 15u);
  TempBankDir dir;
  ASSERT_TRUE(Bank::create(dir.bank()).is_ok());
  {
    auto bank = open_ok(dir.bank());
    std::vector<NewContent> add;
    for (size_t i = 0; i < files.size(); ++i)
      add.push_back(with_signals("t" + std::to_string(i), {{SignalId::kTmk, files[i]}}));
    ASSERT_TRUE(bank->add_contents(add).is_ok());
  }
  std::vector<SignalQuery> queries;
  for (const auto& f : files) queries.push_back({SignalId::kTmk, f});
  std::vector<SignalHit> exact;
  for (const char* spec : {"flat-ip", "ivf4,nprobe=4", "hnsw16"}) {
    SCOPED_TRACE(spec);
    BankOptions options = test::quiet_options();
    options.tmk_index_spec = spec;
    auto bank = open_ok(dir.bank(), options);
    ASSERT_TRUE(bank);
    auto hits = bank->lookup_signals(queries);
    ASSERT_TRUE(hits.is_ok()) << hits.status().to_string();
    EXPECT_EQ(bank->stats().value().tmk_index_spec, spec);
    if (exact.empty()) exact = *hits;
    else EXPECT_EQ(*hits, exact);
  }
  EXPECT_GT(exact.size(), files.size()) << "each finds itself, and the family pairs each other";
  BankOptions bad = test::quiet_options();
  bad.tmk_index_spec = "kd-tree";
  auto refused = Bank::open(dir.bank(), bad);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vhm
