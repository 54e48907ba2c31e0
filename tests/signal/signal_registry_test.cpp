// The signal seam: the registry finds each signal by id and by stored name, refuses a
// table that would make names ambiguous, and PDQ's value text, comparison and index
// behave as the bank and the matcher rely on.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <stdexcept>

#include "core/tmk_features.h"
#include "hash/tmk_hasher.h"
#include "signal/digest_signal.h"
#include "signal/pdq_signal.h"
#include "signal/signal_registry.h"
#include "signal/tmk_pdqf_signal.h"

namespace vhm {
namespace {

Hash256 random_hash(std::mt19937_64& rng) {
  Hash256 h;
  for (auto& w : h.words) w = rng();
  return h;
}

Hash256 flip_bits(Hash256 h, int n) {
  for (int b = 0; b < n; ++b) h.words[b / 64] ^= uint64_t{1} << (b % 64);
  return h;
}

TEST(SignalRegistry, FindsEverySignalByIdAndName) {
  const SignalRegistry& r = builtin_signals();
  ASSERT_FALSE(r.all().empty());
  for (const SignalType* s : r.all()) {
    EXPECT_EQ(r.find(s->id()), s);
    EXPECT_EQ(r.find(s->name()), s);
    EXPECT_EQ(signal_name(s->id()), s->name());
    EXPECT_EQ(parse_signal_name(s->name()), s->id());
  }
  EXPECT_EQ(r.find("pdq"), &r.pdq());
  EXPECT_EQ(r.find("PDQ"), nullptr) << "stored names are exact";
  EXPECT_EQ(r.find("video"), nullptr) << "a content kind is not a signal";
  EXPECT_FALSE(parse_signal_name("md5").has_value());
  // The names the exchanges' readers (bank/exchange_formats.h) use.
  EXPECT_EQ(parse_signal_name("video_md5"), SignalId::kVideoMd5);
  EXPECT_EQ(parse_signal_name("video_sha256"), SignalId::kVideoSha256);
  EXPECT_EQ(parse_signal_name("tmk"), SignalId::kTmk);
}

TEST(DigestSignal, HexRoundTripsAndComparesByEquality) {
  for (SignalId id : {SignalId::kVideoMd5, SignalId::kVideoSha256}) {
    const SignalType& s = *builtin_signals().find(id);
    EXPECT_EQ(s.index_family(), IndexFamily::kExactDigest);
    std::vector<uint8_t> v(s.value_bytes());
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<uint8_t>(i * 37 + 5);
    const std::string text = s.format_value(v);
    EXPECT_EQ(text.size(), v.size() * 2);
    for (char c : text) EXPECT_FALSE(std::isupper(static_cast<unsigned char>(c))) << text;
    auto back = s.parse_value(text);
    ASSERT_TRUE(back) << back.status().message();
    EXPECT_EQ(*back, v);
    std::string upper = text;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(s.parse_value(upper).value(), v) << "either case is read";
    EXPECT_EQ(s.parse_value(text.substr(1)).status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(s.parse_value("z" + text.substr(1)).status().code(), StatusCode::kInvalidArgument);
    auto same = s.compare(v, v, s.default_threshold());
    ASSERT_TRUE(same);
    EXPECT_TRUE(same->match);
    std::vector<uint8_t> other = v;
    other.back() ^= 1;
    EXPECT_FALSE(s.compare(v, other, s.default_threshold())->match);
    EXPECT_EQ(s.compare(v, std::vector<uint8_t>(3), 0).status().code(), StatusCode::kInvalidArgument);
    EXPECT_FALSE(s.make_hamming_index("flat"));
  }
}

TEST(TmkPdqfSignal, ThreatExchangeFormRoundTripsAndBase64IsRead) {
  const SignalType& s = *builtin_signals().find(SignalId::kTmk);
  EXPECT_EQ(s.index_family(), IndexFamily::kTmkTwoLevel);
  TmkFeatures f = TmkFeatures::make_empty_pdqf();
  f.pure_average[3] = 1.5f;
  f.frame_count = 7;
  const std::vector<uint8_t> bytes = serialize_tmk(f);
  const std::string text = s.format_value(bytes);
  EXPECT_EQ(text.substr(0, 13), "TMK1FVECPDQF|");
  auto back = s.parse_value(text);
  ASSERT_TRUE(back) << back.status().message();
  EXPECT_EQ(*back, bytes);
  // StopNCII's form: base64 of the whole file.
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string plain;
  for (size_t i = 0; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    for (int shift = 18; shift >= 0; shift -= 6) plain += kAlphabet[(v >> shift) & 63];
  }
  const size_t rest = bytes.size() % 3, i = bytes.size() - rest;
  if (rest) {
    const uint32_t v = (uint32_t{bytes[i]} << 16) | (rest == 2 ? uint32_t{bytes[i + 1]} << 8 : 0u);
    plain +=
        std::string{kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], rest == 2 ? kAlphabet[(v >> 6) & 63] : '=', '='};
  }
  EXPECT_EQ(s.parse_value(plain).value(), bytes);
  EXPECT_EQ(s.parse_value("TMK1FVECPDQF|AAAA").status().code(), StatusCode::kInvalidArgument) << "too short";
  EXPECT_EQ(s.parse_value("not base64 !").status().code(), StatusCode::kInvalidArgument);
  // Compared as tmk-two-level-score: a video matches itself; zero features do not.
  TmkAccumulator acc;
  for (int t = 0; t < 30; ++t) {
    std::vector<float> frame(256);
    for (int k = 0; k < 256; ++k) frame[k] = static_cast<float>((t * 7 + k * 3) % 11) - 5.0f;
    acc.add_feature(frame);
  }
  const auto gb = serialize_tmk(acc.finish());
  auto self = s.compare(gb, gb, s.default_threshold());
  ASSERT_TRUE(self) << self.status().message();
  EXPECT_TRUE(self->match);
  EXPECT_FALSE(s.closer_is_lower());
  EXPECT_EQ(s.compare(gb, std::vector<uint8_t>(10), 0.7).status().code(), StatusCode::kInvalidArgument);
}

TEST(SignalRegistry, RefusesTwoSignalsUnderOneName) {
  std::vector<std::unique_ptr<const SignalType>> twice;
  twice.push_back(std::make_unique<PdqSignal>());
  twice.push_back(std::make_unique<PdqSignal>());
  EXPECT_THROW(SignalRegistry(std::move(twice)), std::logic_error);
  EXPECT_THROW(SignalRegistry({}), std::logic_error) << "a registry without PDQ cannot read an older bank";
}

TEST(PdqSignal, ValueTextRoundTrips) {
  const SignalType& pdq = builtin_signals().pdq();
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20; ++i) {
    const Hash256 h = random_hash(rng);
    const std::vector<uint8_t> v = PdqSignal::value_of(h);
    ASSERT_EQ(v.size(), pdq.value_bytes());
    const std::string text = pdq.format_value(v);
    EXPECT_EQ(text, h.to_hex());
    auto back = pdq.parse_value(text);
    ASSERT_TRUE(back) << back.status().message();
    EXPECT_EQ(*back, v);
    EXPECT_EQ(PdqSignal::hash_of(*back), h);
  }
  EXPECT_EQ(pdq.parse_value("abc").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(pdq.parse_value(std::string(64, 'g')).status().code(), StatusCode::kInvalidArgument);
}

TEST(PdqSignal, ComparesByHammingDistanceInclusive) {
  const SignalType& pdq = builtin_signals().pdq();
  std::mt19937_64 rng(11);
  const Hash256 a = random_hash(rng);
  const auto va = PdqSignal::value_of(a);
  for (int bits : {0, 1, 30, 31, 32, 100}) {
    auto c = pdq.compare(va, PdqSignal::value_of(flip_bits(a, bits)), pdq.default_threshold());
    ASSERT_TRUE(c);
    EXPECT_EQ(c->distance, bits);
    EXPECT_EQ(c->match, bits <= 31) << bits << " bits";
  }
  EXPECT_TRUE(pdq.closer_is_lower());
  const std::vector<uint8_t> short_value(31, 0);
  EXPECT_EQ(pdq.compare(va, short_value, 31).status().code(), StatusCode::kInvalidArgument);
}

// The index the signal names finds what its comparison calls a match, and nothing else.
TEST(PdqSignal, ItsIndexAgreesWithItsComparison) {
  const SignalType& pdq = builtin_signals().pdq();
  ASSERT_EQ(pdq.index_family(), IndexFamily::kHamming256);
  auto index = pdq.make_hamming_index("flat");
  ASSERT_TRUE(index) << index.status().message();
  std::mt19937_64 rng(3);
  const Hash256 query = random_hash(rng);
  std::vector<Hash256> codes;
  std::vector<HashId> ids;
  for (int i = 0; i < 64; ++i) {
    codes.push_back(i % 2 ? flip_bits(query, i) : random_hash(rng));
    ids.push_back(i);
  }
  ASSERT_TRUE((*index)->add(codes, ids).is_ok());
  std::vector<RangeHit> hits;
  ASSERT_TRUE((*index)->range_search(std::span(&query, 1), 31, hits).is_ok());
  std::set<HashId> found;
  for (const RangeHit& h : hits) found.insert(h.id);
  for (int i = 0; i < 64; ++i) {
    auto c = pdq.compare(PdqSignal::value_of(query), PdqSignal::value_of(codes[i]), 31);
    ASSERT_TRUE(c);
    EXPECT_EQ(found.count(i) == 1, c->match) << "code " << i;
  }
  EXPECT_FALSE(pdq.make_hamming_index("no-such-index"));
}

}  // namespace
}  // namespace vhm
