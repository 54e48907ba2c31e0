// match_json's shapes read back: real results (a corpus video matched against a bank
// of reference vPDQ files and one image content, and raw hashes looked up) are written
// by the one writer `vhm match` and `vhm serve` share, parsed, and read into the typed
// verdicts again, field for field at the precision the writer rounds to.
#include <gtest/gtest.h>

#include <unistd.h>
#include <filesystem>

#include "bank/importers.h"
#include "core/json_text.h"
#include "match/match_json.h"
#include "support/test_support.h"

namespace vhm {
namespace {

namespace fs = std::filesystem;

std::vector<TimeRange> rounded(const std::vector<TimeRange>& ranges) {
  std::vector<TimeRange> out;
  for (const TimeRange& r : ranges) out.push_back({json_seconds(r.start), json_seconds(r.end)});
  return out;
}

class MatchJson : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::temp_directory_path() / ("vhm_match_json_" + std::to_string(::getpid()))).string();
    fs::remove_all(dir_);
    ASSERT_TRUE(Bank::create(dir_).is_ok());
    auto bank = Bank::open(dir_);
    ASSERT_TRUE(bank) << bank.status().message();
    bank_ = std::move(bank).value();
  }
  void TearDown() override {
    bank_.reset();
    fs::remove_all(dir_);
  }
  std::string dir_;
  std::unique_ptr<Bank> bank_;
};

TEST_F(MatchJson, VerdictsOfARealMatchReadBack) {
  VHM_REQUIRE_CORPUS(corpus);
  const std::string refs = corpus + "/threatexchange/vpdq/reference-debian12/one-per-second/";
  std::vector<NewContent> contents;
  for (const char* name : {"doorknob-hd-no-bar", "chair-orig-22-sd-bar"}) {
    auto r = import_file(refs + name + ".txt");
    ASSERT_TRUE(r) << r.status().message();
    ASSERT_EQ(r->contents.size(), 1u);
    NewContent c = std::move(r->contents[0]);
    c.meta.external_id = std::string("te:") + name;
    c.meta.label = "family \"quoted\" \xc3\xa9";
    contents.push_back(std::move(c));
  }
  // An image content: the doorknob's first frame alone.
  NewContent image;
  image.meta = {"te:still", "still", "test", ContentKind::kImage};
  image.frames = {contents[0].frames.at(0)};
  contents.push_back(image);
  ASSERT_TRUE(bank_->add_contents(contents));

  MatchConfig config;
  Matcher matcher(*bank_, config);
  const InputMatch m = matcher.match_input({corpus + "/threatexchange/tmk/sample-videos/doorknob-hd-no-bar.mp4"});
  ASSERT_TRUE(m.hashed.status.is_ok()) << m.hashed.status.message();
  ASSERT_GE(m.verdicts.size(), 2u) << "the video and the image content are both hit";

  auto parsed = parse_json_text(json_text(match_json(m, true)));
  ASSERT_TRUE(parsed) << parsed.status().message();
  auto back = verdicts_from_json(*parsed);
  ASSERT_TRUE(back) << back.status().message();
  ASSERT_EQ(back->size(), m.verdicts.size());
  bool saw_image = false, saw_video = false;
  for (size_t i = 0; i < m.verdicts.size(); ++i) {
    const VerdictContent& a = m.verdicts[i];
    const VerdictContent& b = (*back)[i];
    EXPECT_EQ(b.external_id, a.external_id);
    EXPECT_EQ(b.label, a.label);
    EXPECT_EQ(b.kind, a.kind);
    EXPECT_EQ(b.signal, a.signal);
    EXPECT_EQ(b.signal, SignalId::kPdq);
    EXPECT_EQ(b.verdict.content, a.verdict.content);
    EXPECT_EQ(b.verdict.single_image, a.verdict.single_image);
    EXPECT_EQ(b.verdict.match, a.verdict.match);
    EXPECT_EQ(b.verdict.query_match_percent, json_percent(a.verdict.query_match_percent));
    EXPECT_EQ(b.verdict.bank_match_percent, json_percent(a.verdict.bank_match_percent));
    EXPECT_EQ(b.verdict.best_distance, a.verdict.best_distance);
    EXPECT_EQ(b.verdict.query_frames_matched, a.verdict.query_frames_matched);
    EXPECT_EQ(b.verdict.query_frames_considered, a.verdict.query_frames_considered);
    EXPECT_EQ(b.verdict.content_frames_matched, a.verdict.content_frames_matched);
    EXPECT_EQ(b.verdict.content_frames_considered, a.verdict.content_frames_considered);
    EXPECT_EQ(b.verdict.query_ranges, rounded(a.verdict.query_ranges));
    EXPECT_EQ(b.verdict.content_ranges, rounded(a.verdict.content_ranges));
    saw_image = saw_image || a.kind == ContentKind::kImage;
    saw_video = saw_video || a.kind == ContentKind::kVideo;
  }
  EXPECT_TRUE(saw_image && saw_video);
  EXPECT_EQ((*parsed)["verdicts"][0]["signal"], "pdq");

  // A field missing or of a kind this vhm does not know is an error, never a default.
  nlohmann::json broken = *parsed;
  broken["verdicts"][0].erase("best_distance");
  EXPECT_EQ(verdicts_from_json(broken).status().code(), StatusCode::kCorrupt);
  broken = *parsed;
  broken["verdicts"][0]["signal"] = "no-such-signal";
  EXPECT_EQ(verdicts_from_json(broken).status().code(), StatusCode::kCorrupt);
  broken = *parsed;
  broken["verdicts"][0]["content_kind"] = "audio";
  EXPECT_EQ(verdicts_from_json(broken).status().code(), StatusCode::kCorrupt);
}

TEST_F(MatchJson, HashHitsReadBack) {
  VHM_REQUIRE_CORPUS(corpus);
  auto r = import_file(corpus + "/threatexchange/vpdq/reference-debian12/one-per-second/pattern-hd-no-bar.txt");
  ASSERT_TRUE(r) << r.status().message();
  r->contents[0].meta.external_id = "te:pattern";
  ASSERT_TRUE(bank_->add_contents(r->contents));
  std::vector<Hash256> queries;
  for (size_t i = 0; i < 3 && i < r->contents[0].frames.size(); ++i) queries.push_back(r->contents[0].frames[i].hash);

  Matcher matcher(*bank_, MatchConfig{});
  auto hits = matcher.match_hashes(queries);
  ASSERT_TRUE(hits) << hits.status().message();
  for (size_t q = 0; q < queries.size(); ++q) {
    ASSERT_FALSE((*hits)[q].empty()) << "a stored hash finds itself";
    auto parsed = parse_json_text(json_text(hash_hits_json(static_cast<int>(q + 1), queries[q], (*hits)[q])));
    ASSERT_TRUE(parsed);
    EXPECT_EQ((*parsed)["pdq"], queries[q].to_hex());
    auto back = hash_hits_from_json(*parsed);
    ASSERT_TRUE(back) << back.status().message();
    ASSERT_EQ(back->size(), (*hits)[q].size());
    for (size_t i = 0; i < back->size(); ++i) {
      const HashHit& a = (*hits)[q][i];
      const HashHit& b = (*back)[i];
      EXPECT_EQ(b.content, a.content);
      EXPECT_EQ(b.external_id, a.external_id);
      EXPECT_EQ(b.label, a.label);
      EXPECT_EQ(b.kind, a.kind);
      EXPECT_EQ(b.signal, a.signal);
      EXPECT_EQ(b.distance, a.distance);
      EXPECT_EQ(b.frame, a.frame);
      EXPECT_EQ(b.seconds, a.seconds);
    }
  }
}

}  // namespace
}  // namespace vhm
