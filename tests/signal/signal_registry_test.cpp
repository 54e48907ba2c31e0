// The signal seam: the registry finds each signal by id and by stored name, refuses a
// table that would make names ambiguous, and PDQ's value text, comparison and index
// behave as the bank and the matcher rely on.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <stdexcept>

#include "signal/pdq_signal.h"
#include "signal/signal_registry.h"

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
