#include <gtest/gtest.h>

#include <random>

#include "core/hash256.h"
#include "core/status.h"

namespace vhm {
namespace {

TEST(Hash256, HexFollowsReferenceWordOrder) {
  // The reference prints 16-bit words w[15]..w[0]; bit k lives in w[k/16], bit k%16.
  Hash256 h;
  h.set_bit(0);
  EXPECT_EQ(h.to_hex(), std::string(63, '0') + "1");
  h.clear();
  h.set_bit(255);
  EXPECT_EQ(h.to_hex(), "8" + std::string(63, '0'));
  h.clear();
  h.set_bit(16);  // w[1] bit 0: the second word from the right
  EXPECT_EQ(h.to_hex(), std::string(59, '0') + "10000");
}

TEST(Hash256, HexRoundTripAndHamming) {
  std::mt19937_64 rng(7);
  for (int t = 0; t < 100; ++t) {
    Hash256 a, b;
    for (auto& w : a.words) w = rng();
    for (auto& w : b.words) w = rng();
    auto parsed = Hash256::from_hex(a.to_hex());
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, a);
    int expected = 0;
    for (int k = 0; k < 256; ++k) expected += a.bit(k) != b.bit(k);
    EXPECT_EQ(a.hamming(b), expected);
  }
}

TEST(Hash256, RejectsMalformedHex) {
  EXPECT_FALSE(Hash256::from_hex("abc"));
  EXPECT_FALSE(Hash256::from_hex(std::string(63, '0') + "g"));
  EXPECT_FALSE(Hash256::from_hex(std::string(65, '0')));
  auto upper = Hash256::from_hex(std::string(63, '0') + "F");
  ASSERT_TRUE(upper);
  EXPECT_EQ(upper->popcount(), 4);
}

TEST(Status, CarriesSubjectAndMessage) {
  Status s(StatusCode::kCorrupt, "truncated");
  EXPECT_FALSE(s.is_ok());
  EXPECT_EQ(s.with_subject("a.jpg").to_string(), "a.jpg: truncated");
  EXPECT_EQ(s.with_subject("a.jpg").with_subject("b.jpg").subject(), "a.jpg");
  Result<int> r = Status(StatusCode::kNotFound, "missing", "x");
  EXPECT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  Result<int> v = 5;
  EXPECT_TRUE(v.is_ok());
  EXPECT_EQ(*v, 5);
}

}  // namespace
}  // namespace vhm
