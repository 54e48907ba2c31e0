// Matcher and whole-content signals: a video input is looked up by its file's MD5 and
// SHA-256 and by its TMK+PDQF wherever the bank holds those signals (and only then are
// they computed), each verdict names its signal, TMK's carries both levels and the
// alignment, and match_json writes them so that verdicts_from_json reads them back.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "bank/bank.h"
#include "bank/bank_test_util.h"
#include "core/json_text.h"
#include "core/tmk_features.h"
#include "hash/hashing_presets.h"
#include "hash/input_digests.h"
#include "match/hash_list.h"
#include "match/match_json.h"
#include "match/matcher.h"
#include "signal/signal_registry.h"
#include "support/test_support.h"

namespace vhm {
namespace {

namespace fs = std::filesystem;
using test::TempBankDir;

std::vector<uint8_t> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<uint8_t> digest_bytes_of(SignalId signal, const std::string& hex) {
  auto bytes = builtin_signals().find(signal)->parse_value(hex);
  EXPECT_TRUE(bytes) << bytes.status().to_string();
  return bytes ? std::move(bytes).value() : std::vector<uint8_t>{};
}

// What an exchange sends for a video: no frames, only whole-content signals.
NewContent exchange_video(const std::string& external_id, std::vector<ContentSignal> signals) {
  NewContent c;
  c.meta.external_id = external_id;
  c.meta.kind = ContentKind::kVideo;
  c.signals = std::move(signals);
  return c;
}

// Queries are hashed as `vhm match` hashes them: key frames only.
MatchConfig query_config() {
  MatchConfig config;
  config.hashing = hashing_preset(HashingPreset::kQuery);
  return config;
}

struct SignalBank {
  TempBankDir dir;
  std::unique_ptr<Bank> bank;
  std::string video;  // the doorknob video, whose MD5, SHA-256 and TMK the bank holds
};

// Content "te:doorknob": the doorknob video's MD5, SHA-256 and reference TMK, no frames;
// content "te:chair": the chair video's reference TMK (another family: never matched).
void make_signal_bank(const std::string& corpus, SignalBank& out) {
  const fs::path tmk = fs::path(corpus) / "threatexchange" / "tmk";
  out.video = (tmk / "sample-videos" / "doorknob-hd-no-bar.mp4").string();
  auto digests = digest_file(out.video, {.md5 = true, .sha256 = true});
  ASSERT_TRUE(digests) << digests.status().to_string();
  ASSERT_TRUE(Bank::create(out.dir.bank()).is_ok());
  out.bank = test::open_ok(out.dir.bank());
  ASSERT_TRUE(out.bank);
  std::vector<NewContent> contents;
  contents.push_back(exchange_video(
      "te:doorknob", {{SignalId::kVideoMd5, digest_bytes_of(SignalId::kVideoMd5, digests->md5_hex)},
                      {SignalId::kVideoSha256, digest_bytes_of(SignalId::kVideoSha256, digests->sha256_hex)},
                      {SignalId::kTmk, read_bytes(tmk / "sample-hashes" / "doorknob-hd-no-bar.tmk")}}));
  contents.push_back(
      exchange_video("te:chair", {{SignalId::kTmk, read_bytes(tmk / "sample-hashes" / "chair-19-sd-bar.tmk")}}));
  ASSERT_TRUE(out.bank->add_contents(contents));
}

TEST(MatcherSignals, AVideoMatchesAContentOfExchangeSignalsByEachOfThem) {
  VHM_REQUIRE_CORPUS(corpus);
  SignalBank b;
  make_signal_bank(corpus, b);
  ASSERT_FALSE(HasFatalFailure());
  const Matcher matcher(*b.bank, query_config());
  const InputMatch m = matcher.match_input({b.video, InputKind::kVideo, "doorknob"});
  ASSERT_TRUE(m.ok()) << m.status.to_string();
  EXPECT_TRUE(m.matched());
  EXPECT_EQ(m.signals_searched,
            (std::vector<SignalId>{SignalId::kPdq, SignalId::kVideoMd5, SignalId::kVideoSha256, SignalId::kTmk}));
  // Digests first, then TMK; the chair's TMK is another video's and stays out.
  ASSERT_EQ(m.verdicts.size(), 3u);
  const std::vector<SignalId> order{SignalId::kVideoMd5, SignalId::kVideoSha256, SignalId::kTmk};
  for (size_t i = 0; i < order.size(); ++i) {
    const VerdictContent& v = m.verdicts[i];
    EXPECT_EQ(v.signal, order[i]);
    EXPECT_EQ(v.external_id, "te:doorknob");
    EXPECT_TRUE(v.verdict.match);
    ASSERT_TRUE(v.whole_content.has_value());
    EXPECT_EQ(v.whole_content->signal, order[i]);
  }
  // The query's TMK is the reference's own file, made from every frame although PDQ
  // hashed the key frames only: both levels are 1 at offset 0.
  const SignalHit& tmk = *m.verdicts[2].whole_content;
  EXPECT_NEAR(tmk.level1, 1.0, 1e-5);
  EXPECT_NEAR(tmk.score, 1.0, 1e-5);
  EXPECT_EQ(tmk.offset_frames, 0);
  EXPECT_GT(tmk.period, 0);

  // The one writer's JSON reads back into the same verdicts, rounded as it writes them.
  auto parsed = parse_json_text(json_text(match_json(m, false)));
  ASSERT_TRUE(parsed) << parsed.status().message();
  EXPECT_EQ((*parsed)["signals_searched"], nlohmann::json({"pdq", "video_md5", "video_sha256", "tmk"}));
  EXPECT_EQ((*parsed)["sha256"], m.hashed.video->sha256_hex);
  EXPECT_FALSE((*parsed)["verdicts"][0].contains("query_match_pct")) << "a digest has no percentages";
  auto back = verdicts_from_json(*parsed);
  ASSERT_TRUE(back) << back.status().message();
  ASSERT_EQ(back->size(), m.verdicts.size());
  for (size_t i = 0; i < m.verdicts.size(); ++i) {
    const VerdictContent& a = m.verdicts[i];
    const VerdictContent& r = (*back)[i];
    EXPECT_EQ(r.signal, a.signal);
    EXPECT_EQ(r.verdict.content, a.verdict.content);
    EXPECT_EQ(r.verdict.match, a.verdict.match);
    EXPECT_EQ(r.external_id, a.external_id);
    ASSERT_TRUE(r.whole_content.has_value());
    EXPECT_EQ(r.whole_content->content_id, a.whole_content->content_id);
  }
  const SignalHit& tmk_back = *(*back)[2].whole_content;
  EXPECT_EQ(tmk_back.level1, json_score(tmk.level1));
  EXPECT_EQ(tmk_back.score, json_score(tmk.score));
  EXPECT_EQ(tmk_back.period, tmk.period);
  EXPECT_EQ(tmk_back.offset_frames, tmk.offset_frames);
  EXPECT_EQ(tmk_back.offset_seconds, json_seconds(tmk.offset_seconds));
  nlohmann::json broken = *parsed;
  broken["verdicts"][2].erase("level2");
  EXPECT_EQ(verdicts_from_json(broken).status().code(), StatusCode::kCorrupt);
}

// A bank of vPDQ alone costs a query nothing more: no SHA-256, no TMK computed, only
// the MD5 that is always read looked up when the bank holds MD5s.
TEST(MatcherSignals, OnlyTheSignalsTheBankHoldsAreComputed) {
  VHM_REQUIRE_CORPUS(corpus);
  SignalBank b;
  make_signal_bank(corpus, b);
  ASSERT_FALSE(HasFatalFailure());
  // Before: the bank holds every signal, so the query gets all of them.
  {
    const InputMatch m = Matcher(*b.bank, query_config()).match_input({b.video, InputKind::kVideo, "doorknob"});
    ASSERT_TRUE(m.ok()) << m.status.to_string();
    EXPECT_FALSE(m.hashed.video->sha256_hex.empty());
    EXPECT_TRUE(m.hashed.video->tmk.has_value());
  }
  // Told not to (vhm match --no-tmk): no TMK, the digests still.
  {
    MatchConfig no_tmk = query_config();
    no_tmk.tmk = false;
    const InputMatch m = Matcher(*b.bank, no_tmk).match_input({b.video, InputKind::kVideo, "doorknob"});
    ASSERT_TRUE(m.ok()) << m.status.to_string();
    EXPECT_FALSE(m.hashed.video->tmk.has_value());
    EXPECT_EQ(m.signals_searched, (std::vector<SignalId>{SignalId::kPdq, SignalId::kVideoMd5, SignalId::kVideoSha256}));
  }
  ASSERT_TRUE(b.bank->remove(ContentRef::by_external_id("te:doorknob")));
  ASSERT_TRUE(b.bank->remove(ContentRef::by_external_id("te:chair")));
  NewContent md5_only = exchange_video("te:md5", {{SignalId::kVideoMd5, std::vector<uint8_t>(16, 7)}});
  ASSERT_TRUE(b.bank->add_contents(std::span(&md5_only, 1)));

  const InputMatch m = Matcher(*b.bank, query_config()).match_input({b.video, InputKind::kVideo, "doorknob"});
  ASSERT_TRUE(m.ok()) << m.status.to_string();
  EXPECT_EQ(m.signals_searched, (std::vector<SignalId>{SignalId::kPdq, SignalId::kVideoMd5}));
  EXPECT_TRUE(m.hashed.video->sha256_hex.empty());
  EXPECT_FALSE(m.hashed.video->tmk.has_value());
  EXPECT_TRUE(m.verdicts.empty()) << "the removed contents match by no signal";
}

// The raw lookup of exchange values (vhm match --hashes, POST /v1/lookup): a listed MD5
// and a listed TMK find their content, in the list's order, and read back.
TEST(MatcherSignals, ListedValuesFindTheirContentAndReadBack) {
  VHM_REQUIRE_CORPUS(corpus);
  SignalBank b;
  make_signal_bank(corpus, b);
  ASSERT_FALSE(HasFatalFailure());
  auto digests = digest_file(b.video, {});
  ASSERT_TRUE(digests);
  const auto chair = read_bytes(fs::path(corpus) / "threatexchange/tmk/sample-hashes/chair-20-sd-bar.tmk");
  const HashList list = parse_hash_lines("tmk " + format_threatexchange_tmk(chair) + "\n" + digests->md5_hex + "\n");
  ASSERT_TRUE(list.errors.empty()) << list.errors.front().message;
  auto hits = Matcher(*b.bank, MatchConfig{}).match_hash_list(list);
  ASSERT_TRUE(hits) << hits.status().to_string();
  const std::vector<nlohmann::json> results = hash_list_json(list, *hits);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0]["signal"], "tmk");
  EXPECT_FALSE(results[0].contains("value")) << "a TMK is not said back";
  EXPECT_EQ(results[1]["value"], digests->md5_hex);
  const std::vector<std::string> want{"te:chair", "te:doorknob"};
  for (size_t i = 0; i < results.size(); ++i) {
    auto parsed = parse_json_text(json_text(results[i]));
    ASSERT_TRUE(parsed);
    auto back = hash_hits_from_json(*parsed);
    ASSERT_TRUE(back) << back.status().message();
    ASSERT_EQ(back->size(), 1u) << results[i].dump();
    EXPECT_EQ((*back)[0].external_id, want[i]);
    ASSERT_TRUE((*back)[0].whole_content.has_value());
  }
  // chair-20 against chair-19 (the bank's): the reference's pair-scores.csv says
  // 0.989083 and 0.991138.
  const SignalHit& tmk = *hits->signals[0].at(0).whole_content;
  EXPECT_NEAR(tmk.level1, 0.989083, 1.5e-6);
  EXPECT_NEAR(tmk.score, 0.991138, 1.5e-6);
}

}  // namespace
}  // namespace vhm
